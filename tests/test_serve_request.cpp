// The embeddings request parser and the response bodies (serve/request.h, serve/response.h): every bad input of
// the API gets its status, error code and field; good inputs come out typed; texts tokenise as `embed` does.
#include <cmath>
#include <cstring>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/embed.h"
#include "serve/request.h"
#include "serve/response.h"
#include "test_util.h"

using namespace qwen3;
using namespace qwen3::serve;

namespace {

RequestLimits limits() {
  RequestLimits l;
  l.model_name = "tiny";
  l.hidden_size = 64;
  l.vocab_size = 1000;
  l.max_inputs = 4;
  l.max_input_tokens = 8;
  return l;
}

// The ApiError a body gets (fails the test if it is accepted).
ApiError refusal(const std::string& body, const RequestLimits& l = limits()) {
  try {
    parse_embeddings_request(body, l);
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "accepted: " << body;
  return ApiError(0, "", "", "", "");
}

struct Bad {
  const char* body;
  int status;
  const char* param;
  const char* code;
};

}  // namespace

TEST(ServeRequest, EveryBadInputHasItsStatusAndField) {
  const Bad cases[] = {
      {"{", 400, "", ""},                                        // malformed JSON
      {"", 400, "", ""},                                         // empty body
      {"[1,2]", 400, "", ""},                                    // not an object
      {"{}", 400, "input", ""},                                  // input missing
      {R"({"input":null})", 400, "input", ""},
      {R"({"input":5})", 400, "input", ""},                     // wrong type
      {R"({"input":{"a":1}})", 400, "input", ""},
      {R"({"input":""})", 400, "input", ""},                    // empty string
      {R"({"input":[]})", 400, "input", ""},                    // empty array
      {R"({"input":["a",""]})", 400, "input", ""},              // an empty string among texts
      {R"({"input":["a",1]})", 400, "input", ""},               // mixed types
      {R"({"input":[true]})", 400, "input", ""},
      {R"({"input":[1.5]})", 400, "input", ""},                 // a token id with a fraction
      {R"({"input":[1,2.5]})", 400, "input", ""},
      {R"({"input":[-1]})", 400, "input", ""},                  // negative token id
      {R"({"input":[1000]})", 400, "input", ""},                // out of the vocabulary
      {R"({"input":[18446744073709551615]})", 400, "input", ""},
      {R"({"input":[[1],[]]})", 400, "input", ""},              // an empty token list
      {R"({"input":[[1],[1000]]})", 400, "input", ""},
      {R"({"input":[[1],"a"]})", 400, "input", ""},
      {R"({"input":["a","b","c","d","e"]})", 413, "input", "too_many_inputs"},  // over max_inputs
      {R"({"input":[[1],[1],[1],[1],[1]]})", 413, "input", "too_many_inputs"},
      {R"({"input":"a","model":"other"})", 404, "model", "model_not_found"},
      {R"({"input":"a","model":5})", 400, "model", ""},
      {R"({"input":"a","encoding_format":"int8"})", 400, "encoding_format", ""},
      {R"({"input":"a","encoding_format":1})", 400, "encoding_format", ""},
      {R"({"input":"a","dimensions":0})", 400, "dimensions", ""},
      {R"({"input":"a","dimensions":65})", 400, "dimensions", ""},
      {R"({"input":"a","dimensions":-3})", 400, "dimensions", ""},
      {R"({"input":"a","dimensions":32.5})", 400, "dimensions", ""},
      {R"({"input":"a","dimensions":"32"})", 400, "dimensions", ""},
      {R"({"input":"a","instruction":7})", 400, "instruction", ""},
      {R"({"input":[1,2],"instruction":"task"})", 400, "instruction", ""},
  };
  for (const Bad& c : cases) {
    SCOPED_TRACE(c.body);
    const ApiError e = refusal(c.body);
    EXPECT_EQ(e.status, c.status);
    EXPECT_EQ(e.param, c.param);
    EXPECT_EQ(e.code, c.code);
    EXPECT_FALSE(std::string(e.what()).empty());
    // The error body is OpenAI's shape, with null for an empty param/code.
    const auto j = nlohmann::json::parse(error_body(e));
    EXPECT_EQ(j["error"]["message"], e.what());
    EXPECT_EQ(j["error"]["type"], e.type);
    EXPECT_EQ(j["error"]["param"].is_null(), e.param.empty());
    EXPECT_EQ(j["error"]["code"].is_null(), e.code.empty());
  }
}

TEST(ServeRequest, GoodInputsAreTyped) {
  EmbeddingsRequest r = parse_embeddings_request(R"({"input":"hello","user":"u","extra":{"x":[1]}})", limits());
  EXPECT_FALSE(r.token_input);
  ASSERT_EQ(r.texts, std::vector<std::string>{"hello"});
  EXPECT_FALSE(r.base64);
  EXPECT_EQ(r.dimensions, 0);
  EXPECT_FALSE(r.model.has_value());

  r = parse_embeddings_request(R"({"input":["a","b"],"model":"tiny","encoding_format":"base64","dimensions":64})", limits());
  EXPECT_EQ(r.texts.size(), 2u);
  EXPECT_TRUE(r.base64);
  EXPECT_EQ(r.dimensions, 64);
  EXPECT_EQ(r.model.value(), "tiny");

  r = parse_embeddings_request(R"({"input":[0,999,5],"encoding_format":"float","dimensions":null,"model":null})", limits());
  EXPECT_TRUE(r.token_input);
  ASSERT_EQ(r.ids.size(), 1u);
  EXPECT_EQ(r.ids[0], (std::vector<int32_t>{0, 999, 5}));

  r = parse_embeddings_request(R"({"input":[[1,2],[3]],"dimensions":1,"instruction":null})", limits());
  ASSERT_EQ(r.ids.size(), 2u);
  EXPECT_EQ(r.ids[1], std::vector<int32_t>{3});
  EXPECT_EQ(r.dimensions, 1);
}

TEST(ServeRequest, TokenIdInputsAreUsedAsGivenAndLimited) {
  RequestLimits l = limits();
  QWEN3_REQUIRE_PATH(test::tokenizer_dir());
  const Tokenizer tok = Tokenizer::from_dir(test::tokenizer_dir());
  l.vocab_size = static_cast<int64_t>(tok.vocab_size());
  EmbeddingsRequest r = parse_embeddings_request(R"({"input":[[1,2,3],[4,5,6,7,8,9,10,11,12]]})", l);
  try {
    input_token_ids(r, tok, l);
    ADD_FAILURE() << "9 tokens over a limit of 8 accepted";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status, 400);
    EXPECT_EQ(e.code, "context_length_exceeded");
  }
  l.auto_truncate = true;
  const auto ids = input_token_ids(r, tok, l);
  EXPECT_EQ(ids[0], (std::vector<int32_t>{1, 2, 3}));  // no <|endoftext|> appended to token ids
  EXPECT_EQ(ids[1], (std::vector<int32_t>{4, 5, 6, 7, 8, 9, 10, 11}));
}

TEST(ServeRequest, TextsTokeniseAsEmbedDoes) {
  QWEN3_REQUIRE_PATH(test::tokenizer_dir());
  const Tokenizer tok = Tokenizer::from_dir(test::tokenizer_dir());
  RequestLimits l = limits();
  l.vocab_size = static_cast<int64_t>(tok.vocab_size());
  l.max_input_tokens = 8192;
  const auto ignore = [](const std::string&) {};
  EmbeddingsRequest r = parse_embeddings_request(R"({"input":["Hello, world","What is the capital of China?"],
                                                     "instruction":"Given a query, retrieve passages"})", l);
  auto ids = input_token_ids(r, tok, l);
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0], embedding_ids(tok, format_query("Given a query, retrieve passages", "Hello, world"), 8192, 0, ignore));
  EXPECT_EQ(ids[0].back(), kEndOfTextId);

  // Over-long texts: refused, or cut exactly as `embed --max-tokens` cuts them.
  const std::string long_text = "one two three four five six seven eight nine ten eleven twelve";
  r = parse_embeddings_request(nlohmann::json{{"input", long_text}}.dump(), l);
  l.max_input_tokens = 6;
  EXPECT_THROW(input_token_ids(r, tok, l), ApiError);
  l.auto_truncate = true;
  ids = input_token_ids(r, tok, l);
  EXPECT_EQ(ids[0], embedding_ids(tok, long_text, 6, 0, ignore));
  EXPECT_EQ(ids[0].size(), 6u);
}

TEST(ServeResponse, Base64IsLittleEndianFloat32) {
  EXPECT_EQ(base64_encode(reinterpret_cast<const uint8_t*>("Man"), 3), "TWFu");
  EXPECT_EQ(base64_encode(reinterpret_cast<const uint8_t*>("Ma"), 2), "TWE=");
  EXPECT_EQ(base64_encode(reinterpret_cast<const uint8_t*>("M"), 1), "TQ==");
  // 1.0f = 0x3f800000 -> bytes 00 00 80 3f -> "AACAPw=="
  EXPECT_EQ(base64_floats({1.0f}), "AACAPw==");
  EXPECT_EQ(base64_floats({1.0f, -2.0f}), "AACAPwAAAMA=");  // -2.0f = 0xc0000000
}

TEST(ServeResponse, BodyHasOpenAIsShape) {
  const auto j = nlohmann::json::parse(embeddings_body({{0.6f, 0.8f}, {1.0f, 0.0f}}, false, "m", 7));
  EXPECT_EQ(j["object"], "list");
  EXPECT_EQ(j["model"], "m");
  EXPECT_EQ(j["usage"]["prompt_tokens"], 7);
  EXPECT_EQ(j["usage"]["total_tokens"], 7);
  ASSERT_EQ(j["data"].size(), 2u);
  EXPECT_EQ(j["data"][1]["object"], "embedding");
  EXPECT_EQ(j["data"][1]["index"], 1);
  EXPECT_FLOAT_EQ(j["data"][0]["embedding"][1].get<float>(), 0.8f);
  const auto b = nlohmann::json::parse(embeddings_body({{1.0f}}, true, "m", 1));
  EXPECT_EQ(b["data"][0]["embedding"], "AACAPw==");
}

TEST(ServeResponse, MatryoshkaKeepsTheFirstComponentsRenormalised) {
  const std::vector<float> e = {0.6f, 0.0f, 0.8f, 0.0f};
  const auto t = truncate_embedding(e, 1);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_FLOAT_EQ(t[0], 1.0f);
  const auto t2 = truncate_embedding({0.3f, 0.4f, 0.866f}, 2);
  EXPECT_NEAR(t2[0], 0.6f, 1e-6);
  EXPECT_NEAR(t2[1], 0.8f, 1e-6);
  EXPECT_EQ(truncate_embedding(e, 4), e);
}
