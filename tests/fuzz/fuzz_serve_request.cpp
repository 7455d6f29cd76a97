// libFuzzer target: the server's embeddings request parser, qwen3::serve::parse_embeddings_request
// (serve/request.cpp), on an HTTP body as a client could send it.
//
// Feeds: each input is the request body, parsed against the tiny model's limits (vocabulary 151,669, hidden 64,
// at most 2,048 inputs). On a request that is accepted, the invariants the server relies on must hold: 1 to 2,048
// inputs, none empty, every token id inside the vocabulary, dimensions 0 or 1..hidden; its answer body is built
// and must be JSON. On a refusal, the status is one the API uses and the error body is JSON.
// Expected: a return or serve::ApiError. Finding: anything else (tests/fuzz/fuzz_common.h).
#include <string>

#include <nlohmann/json.hpp>

#include "serve/request.h"
#include "serve/response.h"
#include "tests/fuzz/fuzz_common.h"

using namespace qwen3;

QWEN3_FUZZ_JSON_MUTATOR()

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  serve::RequestLimits limits;
  limits.model_name = "tiny-qwen3";
  limits.hidden_size = 64;
  limits.vocab_size = 151669;
  limits.max_inputs = 2048;
  fuzz::guard([&] {
    try {
      const serve::EmbeddingsRequest r = serve::parse_embeddings_request(fuzz::as_text(data, size), limits);
      QWEN3_FUZZ_CHECK(r.size() >= 1 && r.size() <= 2048, "accepted " + std::to_string(r.size()) + " inputs");
      QWEN3_FUZZ_CHECK(r.dimensions >= 0 && r.dimensions <= 64, "dimensions " + std::to_string(r.dimensions));
      QWEN3_FUZZ_CHECK(r.token_input ? r.texts.empty() : r.ids.empty(), "both texts and token ids");
      for (const std::string& t : r.texts) QWEN3_FUZZ_CHECK(!t.empty(), "an empty text accepted");
      for (const auto& ids : r.ids) {
        QWEN3_FUZZ_CHECK(!ids.empty(), "an empty token list accepted");
        for (int32_t id : ids) QWEN3_FUZZ_CHECK(id >= 0 && id < 151669, "token id " + std::to_string(id));
      }
      const std::vector<std::vector<float>> embeddings(r.size(), std::vector<float>(r.dimensions ? r.dimensions : 4, 0.5f));
      const std::string body = serve::embeddings_body(embeddings, r.base64, r.model.value_or("tiny-qwen3"), 1);
      QWEN3_FUZZ_CHECK(nlohmann::json::accept(body), "the answer is not JSON");
    } catch (const serve::ApiError& e) {
      QWEN3_FUZZ_CHECK(e.status == 400 || e.status == 404 || e.status == 413, "status " + std::to_string(e.status));
      QWEN3_FUZZ_CHECK(nlohmann::json::accept(serve::error_body(e)), "the error body is not JSON");
      throw;
    }
  });
  return 0;
}
