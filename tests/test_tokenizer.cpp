// Tests of the byte-level BPE tokenizer (core/tokenizer.h).
//
// The truth is an independent implementation: transformers.js (@lenml/tokenizers, run by
// tests/js/encode_peer.mjs under node) must give the same ids for every text of
// tests/data/tokenizer_corpus.jsonl, and llama.cpp's ids in tests/data/peer_golden/golden.jsonl must match
// encode_for_embedding. The real tokenizer (data/tokenizer) comes from scripts/setup.sh; tests that need it
// skip without it. The "Tiny" tests build small tokenizer.json files in a temporary folder and run anywhere.
#include <gtest/gtest.h>
#include <utf8proc.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "core/tokenizer.h"
#include "tests/test_util.h"

namespace qwen3 {
namespace {

using nlohmann::json;
using test::read_file;
using test::shell_quote;
using test::TempDir;
using test::test_data;
using test::tokenizer_dir;
using test::write_file;
using Ids = std::vector<int32_t>;

// ---------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------

// The "text" field of each non-blank line of a JSONL file.
std::vector<std::string> read_jsonl_texts(const std::string& path) {
  std::vector<std::string> texts;
  std::istringstream lines(read_file(path));
  for (std::string line; std::getline(lines, line);) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    texts.push_back(json::parse(line).at("text").get<std::string>());
  }
  return texts;
}

// NFC of a valid UTF-8 string, for the round-trip check (decode gives back the normalised text).
std::string nfc(const std::string& s) {
  utf8proc_uint8_t* out = nullptr;
  const auto len =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()), static_cast<utf8proc_ssize_t>(s.size()), &out,
                   static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  if (len < 0) throw std::runtime_error("utf8proc_map failed");
  std::string r(reinterpret_cast<const char*>(out), static_cast<size_t>(len));
  std::free(out);
  return r;
}

// Ids as "[1, 2, 3]" for failure messages.
std::string show(const Ids& ids) { return json(ids).dump(); }

// A text for failure messages: JSON-escaped, cut to 200 characters.
std::string show(const std::string& text) {
  const std::string quoted = json(text).dump(-1, ' ', false, json::error_handler_t::replace);
  return quoted.size() > 200 ? quoted.substr(0, 200) + "...\"" : quoted;
}

// Loads the real Qwen3 tokenizer once for the whole suite.
const Tokenizer& qwen3_tokenizer() {
  static const Tokenizer tok = Tokenizer::from_dir(tokenizer_dir());
  return tok;
}

#define REQUIRE_QWEN3_TOKENIZER() QWEN3_REQUIRE_PATH(tokenizer_dir() + "/tokenizer.json")

// ---------------------------------------------------------------------------------------------------------
// sanitize_utf8: expected strings are what Python's bytes.decode("utf-8", errors="replace") gives.
// ---------------------------------------------------------------------------------------------------------

#define FFFD "\xEF\xBF\xBD"

struct SanitizeCase {
  std::string input;
  std::string expected;
  size_t invalid_bytes;
};

TEST(Utf8, SanitizeMatchesPythonReplace) {
  const std::vector<SanitizeCase> cases = {
      {"", "", 0},
      {"plain ascii", "plain ascii", 0},
      {"ab\xFF", "ab" FFFD, 1},
      {"\xE2\x82", FFFD, 2},  // "€" cut short: one maximal subpart
      {"\xE2\x82x", FFFD "x", 2},
      {"\xC0\x80", FFFD FFFD, 2},           // overlong NUL: C0 never starts a character
      {"\xED\xA0\x80", FFFD FFFD FFFD, 3},  // the surrogate U+D800
      {"\xED\x9F\xBF", "\xED\x9F\xBF", 0},  // U+D7FF, just below the surrogates: valid
      {"\xE0\x80\x80", FFFD FFFD FFFD, 3},  // overlong 3-byte
      {"\xF5\x80\x80\x80", FFFD FFFD FFFD FFFD, 4},
      {"\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD, 4},  // above U+10FFFF
      {"\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF", 0},   // U+10FFFF: valid
      {"\x80\xBF", FFFD FFFD, 2},                    // lone continuation bytes
      {"\xF0\x9F\x98", FFFD, 3},                     // truncated emoji
      {"\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80", 0},   // U+1F600
      {std::string("a\xF0\x9F") + "b", "a" FFFD "b", 2},
      {"\xC2", FFFD, 1},
      {"\xFE\xFF", FFFD FFFD, 2},
      {std::string("\xE1\x80\xE2\xF0\x91\x92\xF1\xBF") + "A", FFFD FFFD FFFD FFFD "A", 8},
      {"\xEF\xBF\xBD", FFFD, 0},  // a real U+FFFD is valid text
      // Unicode's own example (chapter 3, "U+FFFD Substitution of Maximal Subparts")
      {"\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64", "a" FFFD FFFD FFFD "b" FFFD "c" FFFD FFFD "d", 9},
      {std::string("a\0b", 3), std::string("a\0b", 3), 0},  // NUL is a character
  };
  for (const auto& c : cases) {
    size_t invalid = 12345;
    EXPECT_EQ(sanitize_utf8(c.input, &invalid), c.expected) << show(c.input);
    EXPECT_EQ(invalid, c.invalid_bytes) << show(c.input);
  }
  EXPECT_EQ(sanitize_utf8("\xFF", nullptr), FFFD);  // the count is optional
}

// ---------------------------------------------------------------------------------------------------------
// Tiny tokenizers written into a temporary folder: BPE mechanics and error handling, no data needed.
// ---------------------------------------------------------------------------------------------------------

// GPT-2's byte -> code point table, written out again here independently of the code under test.
std::string byte_spelling(int b) {
  int n = 0;
  for (int x = 0; x < b; ++x) {
    const bool printable_x = (x >= 33 && x <= 126) || (x >= 161 && x <= 172) || (x >= 174 && x <= 255);
    if (!printable_x) ++n;
  }
  const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const char32_t cp = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + n);
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

// Qwen2/Qwen3's split regex, as in its tokenizer.json.
const char* kQwenSplit =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// A small tokenizer.json: the 256 byte tokens (id = byte), then "ab" 256, "abc" 257, "aa" 258, "Ġa" 259
// (space + a), "aaa" 260, and the added tokens "<x>" 300 (lstrip) and "<xy>" 301.
json tiny_tokenizer_json() {
  json vocab = json::object();
  for (int b = 0; b < 256; ++b) vocab[byte_spelling(b)] = b;
  vocab["ab"] = 256;
  vocab["abc"] = 257;
  vocab["aa"] = 258;
  vocab["Ġa"] = 259;
  vocab["aaa"] = 260;
  json merges = json::array({json::array({"a", "b"}), json::array({"ab", "c"}), json::array({"a", "a"}),
                             json::array({"Ġ", "a"}), json::array({"aa", "a"})});
  json root;
  root["version"] = "1.0";
  root["normalizer"] = {{"type", "NFC"}};
  root["pre_tokenizer"] = {
      {"type", "Sequence"},
      {"pretokenizers",
       json::array(
           {{{"type", "Split"}, {"pattern", {{"Regex", kQwenSplit}}}, {"behavior", "Isolated"}, {"invert", false}},
            {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", false}}})}};
  root["model"] = {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}};
  const auto added = [](int id, const char* content, bool lstrip, bool rstrip) {
    return json{{"id", id},         {"content", content}, {"special", true},
                {"lstrip", lstrip}, {"rstrip", rstrip},   {"normalized", false}};
  };
  root["added_tokens"] = json::array({added(300, "<x>", true, false), added(301, "<xy>", false, true)});
  root["decoder"] = {{"type", "ByteLevel"}};
  return root;
}

// Writes `root` as DIR/tokenizer.json and loads it.
Tokenizer load_json(const TempDir& dir, const json& root) {
  write_file(dir.file("tokenizer.json"), root.dump());
  return Tokenizer::from_dir(dir.path().string());
}

// Expects loading `root` to throw FormatError whose message contains `needle`.
void expect_format_error(const json& root, const std::string& needle) {
  TempDir dir;
  try {
    load_json(dir, root);
    ADD_FAILURE() << "no FormatError; expected one mentioning " << needle;
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("tokenizer.json"), std::string::npos) << e.what();
  }
}

TEST(TokenizerTiny, MergesByRankLeftmostFirst) {
  TempDir dir;
  const Tokenizer tok = load_json(dir, tiny_tokenizer_json());
  const int a = 'a', b = 'b', c = 'c';
  EXPECT_EQ(tok.encode("abc"), (Ids{257}));  // a+b (rank 0), then ab+c (rank 1)
  EXPECT_EQ(tok.encode("cab"), (Ids{c, 256}));
  EXPECT_EQ(tok.encode("aa"), (Ids{258}));
  EXPECT_EQ(tok.encode("aaaa"), (Ids{258, 258}));  // the leftmost "a a" first, then the other
  EXPECT_EQ(tok.encode("aaa"), (Ids{260}));        // "aa" first (leftmost), then "aa"+"a"
  EXPECT_EQ(tok.encode("ba"), (Ids{b, a}));        // no rule for "b a"
  EXPECT_EQ(tok.encode(" a"), (Ids{259}));
  EXPECT_EQ(tok.encode("x a"), (Ids{'x', 259}));  // the regex keeps the space with the next word
  EXPECT_EQ(tok.encode(""), (Ids{}));
  EXPECT_EQ(tok.vocab_size(), 302u);
  EXPECT_EQ(tok.token_to_id("abc"), 257);
  EXPECT_EQ(tok.token_to_id("<xy>"), 301);
  EXPECT_EQ(tok.token_to_id("nope"), -1);
  EXPECT_EQ(tok.decode({257, 259, ' ', 300}), "abc a <x>");
}

TEST(TokenizerTiny, OldStringMergesGiveTheSameIds) {
  json root = tiny_tokenizer_json();
  json merges = json::array();
  for (const auto& m : root["model"]["merges"])
    merges.push_back(m[0].get<std::string>() + " " + m[1].get<std::string>());
  root["model"]["merges"] = merges;
  TempDir dir;
  const Tokenizer tok = load_json(dir, root);
  EXPECT_EQ(tok.encode("abc aaa cab"), (Ids{257, ' ', 260, ' ', 'c', 256}));
}

TEST(TokenizerTiny, AddedTokensLongestFirstAndStrip) {
  TempDir dir;
  const Tokenizer tok = load_json(dir, tiny_tokenizer_json());
  EXPECT_EQ(tok.encode("<xy>"), (Ids{301}));  // longest match, not "<x" ...
  EXPECT_EQ(tok.encode("<x>"), (Ids{300}));
  EXPECT_EQ(tok.encode("ab  <x>ab"), (Ids{256, 300, 256}));  // lstrip: the spaces before <x> go
  EXPECT_EQ(tok.encode("<xy>  ab"), (Ids{301, 256}));        // rstrip: the spaces after <xy> go
  EXPECT_EQ(tok.encode("<x"), (Ids{'<', 'x'}));
}

TEST(TokenizerTiny, NfcBeforeBpe) {
  TempDir dir;
  const Tokenizer tok = load_json(dir, tiny_tokenizer_json());
  // "e" + U+0301 becomes U+00E9, two bytes C3 A9 -> two byte tokens
  EXPECT_EQ(tok.encode("e\xCC\x81"), (Ids{0xC3, 0xA9}));
  EXPECT_EQ(tok.decode(tok.encode("e\xCC\x81")), "\xC3\xA9");
}

TEST(TokenizerTiny, IgnoreMergesEmitsWholeTokens) {
  json root = tiny_tokenizer_json();
  root["model"]["merges"] = json::array({json::array({"a", "b"})});  // no rule makes "abc" or "aaa"
  TempDir dir;
  const Tokenizer merging = load_json(dir, root);
  EXPECT_EQ(merging.encode("abc"), (Ids{256, 'c'}));
  EXPECT_EQ(merging.encode("aaa"), (Ids{'a', 'a', 'a'}));
  root["model"]["ignore_merges"] = true;
  TempDir dir2;
  const Tokenizer whole = load_json(dir2, root);
  EXPECT_EQ(whole.encode("abc"), (Ids{257}));
  EXPECT_EQ(whole.encode("aaa"), (Ids{260}));
  EXPECT_EQ(whole.encode("abcc"), (Ids{256, 'c', 'c'}));  // not a token: merged as usual
}

// id_to_token gives each token back as tokenizer.json spells it: byte tokens as their printable code point, BPE
// tokens in byte-level spelling, added tokens as their content; a vocab spelling that is not byte-level comes back
// verbatim; unknown ids are InputError.
TEST(TokenizerTiny, IdToTokenIsTheVocabSpelling) {
  json root = tiny_tokenizer_json();
  root["model"]["vocab"]["\u2603x"] = 270;  // "☃x": U+2603 is outside the byte table, so not byte-level
  TempDir dir;
  const Tokenizer tok = load_json(dir, root);
  EXPECT_EQ(tok.id_to_token('a'), "a");
  EXPECT_EQ(tok.id_to_token(' '), "\u0120");   // Ġ
  EXPECT_EQ(tok.id_to_token('\n'), "\u010A");  // Ċ
  EXPECT_EQ(tok.id_to_token(0xC3), "\u00C3");  // Ã: a byte >= 0x80 that is printable keeps its code point
  EXPECT_EQ(tok.id_to_token(259), "\u0120a");   // "Ġa", the bytes " a"
  EXPECT_EQ(tok.id_to_token(257), "abc");
  EXPECT_EQ(tok.id_to_token(270), "\u2603x");
  EXPECT_EQ(tok.id_to_token(300), "<x>");
  EXPECT_EQ(tok.id_to_token(301), "<xy>");
  for (int32_t id = 0; id < 261; ++id) EXPECT_EQ(tok.token_to_id(tok.id_to_token(id)), id) << id;
  EXPECT_THROW(tok.id_to_token(280), InputError);  // a hole between the vocab and the added tokens
  EXPECT_THROW(tok.id_to_token(-1), InputError);
  EXPECT_THROW(tok.id_to_token(999999), InputError);
}

TEST(TokenizerErrors, MissingDirectoryIsIoError) {
  EXPECT_THROW(Tokenizer::from_dir("/nonexistent/qwen3/tokenizer/dir"), IoError);
  TempDir empty;
  EXPECT_THROW(Tokenizer::from_dir(empty.path().string()), IoError);  // folder without tokenizer.json
  EXPECT_THROW(Tokenizer::from_file(empty.file("tokenizer.json")), IoError);
}

TEST(TokenizerErrors, NotJsonIsFormatError) {
  TempDir dir;
  write_file(dir.file("tokenizer.json"), "{\"model\": {\"vocab\": ");
  try {
    Tokenizer::from_dir(dir.path().string());
    FAIL() << "no FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("not valid JSON"), std::string::npos) << e.what();
  }
}

TEST(TokenizerErrors, MalformedFieldsAreFormatErrorsNamingTheField) {
  json root = tiny_tokenizer_json();
  root["model"].erase("vocab");
  expect_format_error(root, "model.vocab");

  root = tiny_tokenizer_json();
  root["model"].erase("merges");
  expect_format_error(root, "model.merges");

  root = tiny_tokenizer_json();
  root.erase("model");
  expect_format_error(root, "model");

  root = tiny_tokenizer_json();
  root["model"]["merges"].push_back(json::array({"q", "zz"}));  // "zz" is not a token
  expect_format_error(root, "model.merges[5]");

  root = tiny_tokenizer_json();
  root["model"]["merges"].push_back("a b c");
  expect_format_error(root, "model.merges[5]");

  root = tiny_tokenizer_json();
  root["model"]["vocab"].erase("a");  // byte 0x61 has no token
  expect_format_error(root, "model.vocab");

  root = tiny_tokenizer_json();
  root["model"]["vocab"]["dup"] = 5;  // id 5 already used
  expect_format_error(root, "repeats an id");

  root = tiny_tokenizer_json();
  root["model"]["vocab"]["bad"] = "seven";
  expect_format_error(root, "model.vocab[\"bad\"]");

  root = tiny_tokenizer_json();
  root["normalizer"] = {{"type", "Sequence"}, {"normalizers", json::array({{{"type", "NFC"}}})}};
  expect_format_error(root, "normalizer.type");

  root = tiny_tokenizer_json();
  root["normalizer"] = {{"type", "Lowercase"}};
  expect_format_error(root, "normalizer.type");

  root = tiny_tokenizer_json();
  root["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "Removed";
  expect_format_error(root, "pre_tokenizer.pretokenizers[0].behavior");

  root = tiny_tokenizer_json();
  root["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "(unclosed";
  expect_format_error(root, "pre_tokenizer.pretokenizers[0].pattern.Regex");

  root = tiny_tokenizer_json();
  root["pre_tokenizer"]["pretokenizers"][1]["use_regex"] = true;
  expect_format_error(root, "use_regex");

  root = tiny_tokenizer_json();
  root["model"]["type"] = "WordPiece";
  expect_format_error(root, "model.type");

  root = tiny_tokenizer_json();
  root["added_tokens"][0].erase("content");
  expect_format_error(root, "added_tokens[0].content");

  root = tiny_tokenizer_json();
  root["added_tokens"][1]["id"] = 300;
  expect_format_error(root, "added_tokens[1].id");

  root = json::array({1, 2});
  expect_format_error(root, "top level");

  // ids are bounded before any table is sized by them: an id of 10^8 cost 3.4 GB and 11 s, and an added token
  // of id 2^31 - 1 was accepted (its id + 1 overflowed)
  root = tiny_tokenizer_json();
  root["model"]["vocab"]["far"] = 100000000;
  expect_format_error(root, "out of range (0..16777215)");
  root = tiny_tokenizer_json();
  root["added_tokens"][1]["id"] = 2147483647;
  expect_format_error(root, "added_tokens[1].id");

  // deep nesting is refused while parsing, never recursed into
  TempDir dir;
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const std::string text = tiny_tokenizer_json().dump();
  qwen3::test::write_file(dir.file("tokenizer.json"), "{\"x\": " + deep + ", " + text.substr(1));
  try {
    Tokenizer::from_dir(dir.path().string());
    ADD_FAILURE() << "no FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("nested deeper than 64"), std::string::npos) << e.what();
  }
}

TEST(TokenizerErrors, DecodeUnknownIdIsInputError) {
  TempDir dir;
  const Tokenizer tok = load_json(dir, tiny_tokenizer_json());
  EXPECT_THROW(tok.decode({999999}), InputError);
  EXPECT_THROW(tok.decode({280}), InputError);  // a hole between the vocab and the added tokens
  EXPECT_THROW(tok.decode({-1}), InputError);
}

// ---------------------------------------------------------------------------------------------------------
// The real Qwen3 tokenizer.
// ---------------------------------------------------------------------------------------------------------

TEST(TokenizerQwen3, Sizes) {
  REQUIRE_QWEN3_TOKENIZER();
  const Tokenizer& tok = qwen3_tokenizer();
  EXPECT_EQ(tok.vocab_size(), 151669u);
  EXPECT_EQ(tok.token_to_id("<|endoftext|>"), kEndOfTextId);
  EXPECT_EQ(tok.token_to_id("<|im_start|>"), 151644);
  EXPECT_EQ(tok.token_to_id("Ġthe"), 279);  // " the" in byte-level spelling
}

TEST(TokenizerQwen3, KnownIds) {
  REQUIRE_QWEN3_TOKENIZER();
  const Tokenizer& tok = qwen3_tokenizer();
  EXPECT_EQ(tok.encode("Hello world <|im_start|> don't"), (Ids{9707, 1879, 220, 151644, 1513, 944}));

  // golden row 9 of the peer set: " treat", " ", <|im_start|>, " as"
  const Ids ids = tok.encode("Please do not treat <|im_start|> as a command.");
  const Ids want = {4228, 220, 151644, 438};
  EXPECT_NE(std::search(ids.begin(), ids.end(), want.begin(), want.end()), ids.end()) << show(ids);

  EXPECT_EQ(tok.encode(""), (Ids{}));
  EXPECT_EQ(tok.encode_for_embedding(""), (Ids{kEndOfTextId}));
  Ids hello = tok.encode("Hello world");
  hello.push_back(kEndOfTextId);
  EXPECT_EQ(tok.encode_for_embedding("Hello world"), hello);
}

TEST(TokenizerQwen3, PeerGoldenRows) {
  REQUIRE_QWEN3_TOKENIZER();
  const Tokenizer& tok = qwen3_tokenizer();
  std::istringstream lines(read_file(test_data("peer_golden/golden.jsonl")));
  int rows = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    const json row = json::parse(line);
    const std::string text = row.at("text").get<std::string>();
    const Ids want = row.at("token_ids").get<Ids>();
    EXPECT_EQ(tok.encode_for_embedding(text), want) << "row " << rows << ": " << show(text);
    ++rows;
  }
  EXPECT_EQ(rows, 20);
}

TEST(TokenizerQwen3, InvalidUtf8IsReplacedAndCounted) {
  REQUIRE_QWEN3_TOKENIZER();
  const Tokenizer& tok = qwen3_tokenizer();
  size_t invalid = 0;
  const Ids ids = tok.encode("ab\xFF", &invalid);
  EXPECT_EQ(invalid, 1u);
  EXPECT_EQ(ids, tok.encode("ab" FFFD));
  tok.encode_for_embedding("\xC0\x80 x \xED\xA0\x80", &invalid);
  EXPECT_EQ(invalid, 5u);
  tok.encode("fine", &invalid);
  EXPECT_EQ(invalid, 0u);
}

TEST(TokenizerQwen3, DecodeUnknownIdIsInputError) {
  REQUIRE_QWEN3_TOKENIZER();
  EXPECT_THROW(qwen3_tokenizer().decode({9707, 999999}), InputError);
  EXPECT_THROW(qwen3_tokenizer().decode({151669}), InputError);
  EXPECT_EQ(qwen3_tokenizer().decode({151669 - 1}), "</think>");
}

// Every id of the real vocabulary has a token string that maps back to it; a few known spellings.
TEST(TokenizerQwen3, IdToTokenInvertsTokenToId) {
  REQUIRE_QWEN3_TOKENIZER();
  const Tokenizer& tok = qwen3_tokenizer();
  for (int32_t id = 0; id < static_cast<int32_t>(tok.vocab_size()); ++id) {
    ASSERT_EQ(tok.token_to_id(tok.id_to_token(id)), id) << id;
  }
  EXPECT_EQ(tok.id_to_token(9707), "Hello");
  EXPECT_EQ(tok.id_to_token(1879), "\u0120world");  // "Ġworld": " world"
  EXPECT_EQ(tok.id_to_token(279), "\u0120the");
  EXPECT_EQ(tok.id_to_token(kEndOfTextId), "<|endoftext|>");
  EXPECT_THROW(tok.id_to_token(151669), InputError);
}

// decode(encode(s)) gives NFC(s) back, byte for byte, for every corpus text.
TEST(TokenizerQwen3, RoundTripIsNfc) {
  REQUIRE_QWEN3_TOKENIZER();
  const Tokenizer& tok = qwen3_tokenizer();
  const auto texts = read_jsonl_texts(test_data("tokenizer_corpus.jsonl"));
  int failures = 0;
  for (const auto& text : texts) {
    const std::string back = tok.decode(tok.encode(text));
    if (back != nfc(text) && ++failures <= 5) {
      ADD_FAILURE() << "round trip differs for " << show(text) << "\n  got " << show(back);
    }
  }
  EXPECT_EQ(failures, 0) << "of " << texts.size() << " texts";
}

// Several threads share one tokenizer: each must get the same ids as a lone caller.
TEST(TokenizerQwen3, ConcurrentEncodesAgree) {
  REQUIRE_QWEN3_TOKENIZER();
  const Tokenizer& tok = qwen3_tokenizer();
  const auto texts = read_jsonl_texts(test_data("tokenizer_corpus.jsonl"));
  std::vector<Ids> expected;
  for (const auto& t : texts) expected.push_back(tok.encode(t));
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (size_t k = 0; k < texts.size(); ++k) {
        const size_t i = (k * 7 + static_cast<size_t>(t) * 13) % texts.size();
        if (tok.encode(texts[i]) != expected[i]) ++mismatches[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

// Pathological inputs finish and round-trip: huge single words and white-space runs.
TEST(TokenizerQwen3, HugeRunsFinish) {
  REQUIRE_QWEN3_TOKENIZER();
  const Tokenizer& tok = qwen3_tokenizer();
  for (const std::string& text : {std::string(200000, ' ') + "x", std::string(200000, 'a'), std::string(100000, '\n'),
                                  std::string(50000, '!') + "a"}) {
    EXPECT_EQ(tok.decode(tok.encode(text)), text) << text.size() << " bytes starting " << show(text.substr(0, 3));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Parity with transformers.js on the committed corpus.
// ---------------------------------------------------------------------------------------------------------

TEST(TokenizerParity, CorpusCoversEnough) {
  const auto texts = read_jsonl_texts(test_data("tokenizer_corpus.jsonl"));
  EXPECT_GE(texts.size(), 300u);
  int long_texts = 0, empty = 0;
  for (const auto& t : texts) {
    long_texts += t.size() > 2000;
    empty += t.empty();
  }
  EXPECT_GE(long_texts, 3);
  EXPECT_EQ(empty, 1);
}

// The code points of a valid UTF-8 text (the corpus is JSON: always valid).
std::vector<char32_t> code_points(const std::string& s) {
  std::vector<char32_t> cps;
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  for (utf8proc_ssize_t i = 0, n = static_cast<utf8proc_ssize_t>(s.size()); i < n;) {
    utf8proc_int32_t cp = 0;
    const utf8proc_ssize_t used = utf8proc_iterate(p + i, n - i, &cp);
    if (used <= 0) throw std::runtime_error("corpus text is not valid UTF-8");
    cps.push_back(static_cast<char32_t>(cp));
    i += used;
  }
  return cps;
}

bool any_cp(const std::string& t, char32_t lo, char32_t hi) {
  for (char32_t cp : code_points(t)) {
    if (cp >= lo && cp <= hi) return true;
  }
  return false;
}

bool any_category(const std::string& t, std::initializer_list<utf8proc_category_t> cats) {
  for (char32_t cp : code_points(t)) {
    const utf8proc_category_t k = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
    if (std::find(cats.begin(), cats.end(), k) != cats.end()) return true;
  }
  return false;
}

// `apostrophe` + `suffix` (either case, as the split regex's (?i:'s|'t|...)) not followed by a letter.
bool has_contraction(const std::string& t, const std::string& apostrophe, std::string suffix, bool upper) {
  if (upper) std::transform(suffix.begin(), suffix.end(), suffix.begin(), [](char ch) { return char(ch - 32); });
  const std::string needle = apostrophe + suffix;
  for (size_t at = t.find(needle); at != std::string::npos; at = t.find(needle, at + 1)) {
    const size_t end = at + needle.size();
    if (end == t.size() || !std::isalpha(static_cast<unsigned char>(t[end]))) return true;
  }
  return false;
}

// The longest run of one repeated byte.
size_t longest_byte_run(const std::string& t) {
  size_t best = 0, run = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    run = i > 0 && t[i] == t[i - 1] ? run + 1 : 1;
    best = std::max(best, run);
  }
  return best;
}

bool has_digit_run(const std::string& t, size_t n) {
  size_t run = 0;
  for (char ch : t) {
    run = ch >= '0' && ch <= '9' ? run + 1 : 0;
    if (run >= n) return true;
  }
  return false;
}

// The hard cases the parity corpus was built for, each with a test on one text and how many texts must pass it.
// Invalid UTF-8 itself cannot be in a JSON corpus: it is replaced by U+FFFD before encoding (sanitize_utf8,
// checked byte for byte against Python in Utf8.SanitizeMatchesPythonReplace), so the corpus holds U+FFFD.
struct HardCase {
  std::string name;
  size_t min_texts;
  std::function<bool(const std::string&)> holds;
};

std::vector<HardCase> hard_cases() {
  std::vector<HardCase> cases = {
      {"CJK ideographs", 10, [](const std::string& t) { return any_cp(t, 0x4E00, 0x9FFF); }},
      {"kana", 3, [](const std::string& t) { return any_cp(t, 0x3040, 0x30FF); }},
      {"hangul", 3, [](const std::string& t) { return any_cp(t, 0xAC00, 0xD7AF); }},
      {"emoji ZWJ sequence", 3,
       [](const std::string& t) { return any_cp(t, 0x200D, 0x200D) && any_cp(t, 0x1F300, 0x1FAFF); }},
      {"emoji skin-tone modifier", 1, [](const std::string& t) { return any_cp(t, 0x1F3FB, 0x1F3FF); }},
      {"flag (regional indicators)", 1, [](const std::string& t) { return any_cp(t, 0x1F1E6, 0x1F1FF); }},
      {"combining mark", 5,
       [](const std::string& t) {
         return any_category(t, {UTF8PROC_CATEGORY_MN, UTF8PROC_CATEGORY_MC, UTF8PROC_CATEGORY_ME});
       }},
      {"NFD input (NFC changes it)", 5, [](const std::string& t) { return nfc(t) != t; }},
      {"Hebrew (right to left)", 1, [](const std::string& t) { return any_cp(t, 0x0590, 0x05FF); }},
      {"Arabic (right to left)", 3, [](const std::string& t) { return any_cp(t, 0x0600, 0x06FF); }},
      {"bidi control marks", 1,
       [](const std::string& t) {
         return any_cp(t, 0x200E, 0x200F) || any_cp(t, 0x202A, 0x202E) || any_cp(t, 0x2066, 0x2069);
       }},
      {"run of 10+ ASCII digits (split one by one)", 2, [](const std::string& t) { return has_digit_run(t, 10); }},
      {"non-ASCII decimal digits", 1,
       [](const std::string& t) {
         for (char32_t cp : code_points(t)) {
           if (cp > 0x7F && utf8proc_category(static_cast<utf8proc_int32_t>(cp)) == UTF8PROC_CATEGORY_ND) return true;
         }
         return false;
       }},
      {"CRLF", 2, [](const std::string& t) { return t.find("\r\n") != std::string::npos; }},
      {"lone CR", 1,
       [](const std::string& t) {
         for (size_t i = 0; i < t.size(); ++i) {
           if (t[i] == '\r' && (i + 1 == t.size() || t[i + 1] != '\n')) return true;
         }
         return false;
       }},
      {"tab", 3, [](const std::string& t) { return t.find('\t') != std::string::npos; }},
      {"run of 4+ spaces", 3, [](const std::string& t) { return t.find("    ") != std::string::npos; }},
      {"run of 3+ newlines", 1, [](const std::string& t) { return t.find("\n\n\n") != std::string::npos; }},
      {"Unicode spaces (NBSP, U+2000..U+200A, U+3000)", 1,
       [](const std::string& t) { return any_cp(t, 0xA0, 0xA0) || any_cp(t, 0x2000, 0x200A) || any_cp(t, 0x3000, 0x3000); }},
      {"zero-width space or non-joiner", 1, [](const std::string& t) { return any_cp(t, 0x200B, 0x200C); }},
      {"byte-order mark", 1, [](const std::string& t) { return any_cp(t, 0xFEFF, 0xFEFF); }},
      {"special token <|im_start|> in text", 1, [](const std::string& t) { return t.find("<|im_start|>") != std::string::npos; }},
      {"special token <|im_end|> in text", 1, [](const std::string& t) { return t.find("<|im_end|>") != std::string::npos; }},
      {"special token <|endoftext|> in text", 1,
       [](const std::string& t) { return t.find("<|endoftext|>") != std::string::npos; }},
      {"control character (C0 other than tab/LF/CR, or DEL)", 2,
       [](const std::string& t) {
         return std::any_of(t.begin(), t.end(), [](char ch) {
           const auto b = static_cast<unsigned char>(ch);
           return (b < 0x20 && b != '\t' && b != '\n' && b != '\r') || b == 0x7F;
         });
       }},
      {"NUL", 1, [](const std::string& t) { return t.find('\0') != std::string::npos; }},
      {"U+FFFD (what invalid UTF-8 becomes)", 1, [](const std::string& t) { return any_cp(t, 0xFFFD, 0xFFFD); }},
      {"run of 1000+ of one byte", 2, [](const std::string& t) { return longest_byte_run(t) >= 1000; }},
      {"astral letters (outside the BMP, not emoji)", 1, [](const std::string& t) { return any_cp(t, 0x1D400, 0x1D7FF); }},
  };
  // Every English contraction the split regex knows, lower and upper case, and with the typographic apostrophe
  // (U+2019, which the regex does not treat as one).
  for (const char* suffix : {"s", "t", "re", "ve", "m", "ll", "d"}) {
    for (bool upper : {false, true}) {
      std::string name = std::string("contraction '") + suffix;
      if (upper) std::transform(name.begin(), name.end(), name.begin(), [](char ch) { return char(std::toupper(ch)); });
      cases.push_back({name, 1, [suffix, upper](const std::string& t) { return has_contraction(t, "'", suffix, upper); }});
    }
    cases.push_back({std::string("contraction \u2019") + suffix, 1,
                     [suffix](const std::string& t) { return has_contraction(t, "\u2019", suffix, false); }});
  }
  return cases;
}

// The corpus must keep every hard case it was built for: parity on a corpus that lost them would prove little.
TEST(TokenizerParity, CorpusHoldsEveryHardCase) {
  const auto texts = read_jsonl_texts(test_data("tokenizer_corpus.jsonl"));
  for (const HardCase& c : hard_cases()) {
    // each test can fail: plain ASCII prose holds none of the hard cases
    EXPECT_FALSE(c.holds("Hello world, this is plain text. 42")) << c.name;
    const auto n = static_cast<size_t>(std::count_if(texts.begin(), texts.end(), c.holds));
    EXPECT_GE(n, c.min_texts) << "tokenizer_corpus.jsonl: only " << n << " texts hold the hard case '" << c.name
                              << "'";
  }
}

TEST(TokenizerParity, IdsEqualTransformersJs) {
  REQUIRE_QWEN3_TOKENIZER();
  const std::string source = QWEN3_SOURCE_DIR;
  QWEN3_REQUIRE_PATH(source + "/tests/js/node_modules/@lenml/tokenizers");
  if (test::run_command("node --version").status != 0) {
    if (test::strict()) FAIL() << "node is not installed (QWEN3_STRICT=1)";
    GTEST_SKIP() << "node is not installed";
  }
  const std::string corpus = test_data("tokenizer_corpus.jsonl");
  const auto peer = test::run_command("node " + shell_quote(source + "/tests/js/encode_peer.mjs") + " " +
                                      shell_quote(tokenizer_dir()) + " " + shell_quote(corpus));
  ASSERT_EQ(peer.status, 0) << peer.err;

  const Tokenizer& tok = qwen3_tokenizer();
  const auto texts = read_jsonl_texts(corpus);
  std::vector<Ids> peer_ids;
  std::istringstream lines(peer.out);
  for (std::string line; std::getline(lines, line);) peer_ids.push_back(json::parse(line).get<Ids>());
  ASSERT_EQ(peer_ids.size(), texts.size()) << "the peer printed a different number of lines";

  size_t mismatches = 0, tokens = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    const Ids ours = tok.encode(texts[i]);
    tokens += ours.size();
    if (ours != peer_ids[i] && ++mismatches <= 5) {
      ADD_FAILURE() << "corpus line " << i + 1 << ": " << show(texts[i]) << "\n  ours: " << show(ours)
                    << "\n  peer: " << show(peer_ids[i]);
    }
  }
  EXPECT_EQ(mismatches, 0u) << "of " << texts.size() << " texts";
  std::cout << "[ parity   ] " << texts.size() - mismatches << "/" << texts.size() << " texts, " << tokens
            << " tokens equal to transformers.js\n";
}

}  // namespace
}  // namespace qwen3
