// Exercise 01_bpe_merge's checks: learner::bpe_merge
//   - on small hand-made merge tables, where each rule of the loop (lowest rank first, leftmost of equal ranks,
//     merge until nothing applies) decides the answer on its own;
//   - with Qwen3's real merges (data/tokenizer/tokenizer.json, 151387 rules): the tokens it leaves, looked up in
//     the vocabulary, must equal the project's tokenizer (core/tokenizer.h, Tokenizer::encode) on every word of
//     tests/data/tokenizer_corpus.jsonl that can be cut out of its text without the pre-tokenizer's regex, and on
//     edge cases: one byte, bytes no rule joins, runs of one repeated byte, non-ASCII words.
// Without the real tokenizer (QWEN3_DATA_DIR/tokenizer, which scripts/setup.sh fills) the real-merge checks are
// skipped, or fail under QWEN3_STRICT=1.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/tokenizer.h"
#include "exercises/01_bpe_merge/bpe_merge.h"

namespace {

using learner::MergeRanks;
using Symbols = std::vector<std::string>;

std::string join(const Symbols& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", \"" : "\"") + s[i] + "\"";
  return out + "]";
}

// ---- small hand-made tables ----------------------------------------------------------------------------------

void expect_merge(const Symbols& in, const MergeRanks& ranks, const Symbols& want, const std::string& what) {
  const Symbols got = learner::bpe_merge(in, ranks);
  EXPECT_EQ(got, want) << what << ": " << join(in) << " gave " << join(got) << ", expected " << join(want);
}

TEST(BpeMergeByHand, OneSymbolStaysAsItIs) { expect_merge({"a"}, {{{"a", "a"}, 0}}, {"a"}, "a one-byte word"); }
TEST(BpeMergeByHand, NoRuleNoMerge) {
  expect_merge({"a", "b", "c"}, {{{"b", "a"}, 0}, {{"c", "b"}, 1}}, {"a", "b", "c"}, "no rule for (a,b) or (b,c)");
}
TEST(BpeMergeByHand, LowestRankFirstNotLeftmost) {
  expect_merge({"a", "b", "c"}, {{{"a", "b"}, 1}, {{"b", "c"}, 0}}, {"a", "bc"},
               "(b,c) has rank 0, (a,b) rank 1: (b,c) merges first, leaving no (a,b)");
}
TEST(BpeMergeByHand, LowestRankNotHighest) {
  expect_merge({"x", "y", "z"}, {{{"x", "y"}, 0}, {{"y", "z"}, 5}}, {"xy", "z"}, "(x,y) rank 0 beats (y,z) rank 5");
}
TEST(BpeMergeByHand, MergesUntilNothingApplies) {
  const MergeRanks ranks{{{"h", "e"}, 0}, {{"l", "l"}, 1}, {{"he", "ll"}, 2}, {{"hell", "o"}, 3}};
  expect_merge({"h", "e", "l", "l", "o"}, ranks, {"hello"}, "four merges make one token");
}
TEST(BpeMergeByHand, LeftmostOfEqualRanks) {
  expect_merge({"a", "a", "a"}, {{{"a", "a"}, 0}}, {"aa", "a"}, "'a a a' with only (a,a): the leftmost pair first");
}
TEST(BpeMergeByHand, RepeatedPairs) {
  const MergeRanks ranks{{{"a", "a"}, 0}, {{"aa", "aa"}, 1}, {{"aa", "a"}, 2}};
  expect_merge({"a", "a", "a", "a"}, ranks, {"aaaa"}, "'a a a a': (a,a) twice, then (aa,aa)");
  expect_merge({"a", "a", "a", "a", "a"}, ranks, {"aaaa", "a"}, "'a a a a a': (a,a) twice, (aa,aa), no (aaaa,a)");
}
TEST(BpeMergeByHand, MultiByteSymbols) {
  // "é" is the two bytes C3 A9, spelled "Ã" and "©" in byte-level BPE
  const MergeRanks ranks{{{"Ã", "©"}, 0}, {{"c", "af"}, 2}, {{"a", "f"}, 1}, {{"caf", "Ã©"}, 3}};
  expect_merge({"c", "a", "f", "Ã", "©"}, ranks, {"cafÃ©"}, "'café' in byte-level spelling");
}

// ---- Qwen3's real merges against the project's tokenizer ------------------------------------------------------

// GPT-2's byte-level spelling (core/tokenizer_bpe.h describes it): the printable Latin-1 bytes spell themselves,
// the 68 others take the code points 256, 257, ... in byte order. Returned as UTF-8, one string per byte.
std::array<std::string, 256> byte_spellings() {
  std::array<std::string, 256> out;
  unsigned next = 256;
  for (unsigned b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    const unsigned cp = printable ? b : next++;
    if (cp < 0x80) {
      out[b] = std::string(1, static_cast<char>(cp));
    } else {
      out[b] = {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
    }
  }
  return out;
}

struct RealTokenizer {
  std::optional<qwen3::Tokenizer> tokenizer;
  MergeRanks ranks;
  std::string missing;  // why it could not be loaded ("" when loaded)
};

// Loaded once for all tests (reading 151k merge rules takes a moment).
const RealTokenizer& real() {
  static const std::unique_ptr<RealTokenizer> r = [] {
    auto r = std::make_unique<RealTokenizer>();
    const std::string dir = std::string(QWEN3_DATA_DIR) + "/tokenizer";  // the -DQWEN3_DATA_DIR the tests use
    std::ifstream in(dir + "/tokenizer.json");
    if (!in) {
      r->missing = dir + "/tokenizer.json not found (scripts/setup.sh fetches the real Qwen3 tokenizer)";
      return r;
    }
    r->tokenizer = qwen3::Tokenizer::from_dir(dir);
    // parse all but the vocabulary (151k entries the ranks do not need; the tokenizer has read them)
    const nlohmann::json root = nlohmann::json::parse(
        in, [](int depth, nlohmann::json::parse_event_t event, const nlohmann::json& parsed) {
          return !(depth == 2 && event == nlohmann::json::parse_event_t::key &&
                   (parsed == "vocab" || parsed == "added_tokens"));
        });
    int32_t rank = 0;
    for (const nlohmann::json& m : root.at("model").at("merges")) {
      std::pair<std::string, std::string> pair;
      if (m.is_array()) {  // ["Ġ", "t"]
        pair = {m.at(0).get<std::string>(), m.at(1).get<std::string>()};
      } else {  // "Ġ t"
        const std::string s = m.get<std::string>();
        const size_t space = s.find(' ');
        pair = {s.substr(0, space), s.substr(space + 1)};
      }
      r->ranks.insert_or_assign(std::move(pair), rank++);  // a pair given twice keeps its later rank, as core does
    }
    return r;
  }();
  return *r;
}

// QWEN3_STRICT=1: a missing fixture fails instead of skipping (as in tests/test_util.h).
bool strict() {
  const char* v = std::getenv("QWEN3_STRICT");
  return v != nullptr && std::string(v) == "1";
}

#define REQUIRE_REAL_TOKENIZER()                                               \
  do {                                                                         \
    if (!real().missing.empty()) {                                             \
      if (strict()) FAIL() << real().missing << " (QWEN3_STRICT=1)";           \
      GTEST_SKIP() << real().missing;                                          \
    }                                                                          \
  } while (0)

// The learner's tokens for one pre-tokenised word, as ids, against Tokenizer::encode on the same word.
::testing::AssertionResult same_as_tokenizer(const std::string& word) {
  static const std::array<std::string, 256> spell = byte_spellings();
  const RealTokenizer& r = real();
  Symbols symbols;
  for (const char c : word) symbols.push_back(spell[static_cast<unsigned char>(c)]);
  const Symbols got = learner::bpe_merge(symbols, r.ranks);
  std::vector<int32_t> got_ids;
  for (const std::string& piece : got) got_ids.push_back(r.tokenizer->token_to_id(piece));
  const std::vector<int32_t> want_ids = r.tokenizer->encode(word);
  if (got_ids == want_ids) return ::testing::AssertionSuccess();
  Symbols want;
  for (const int32_t id : want_ids) want.push_back(r.tokenizer->id_to_token(id));
  return ::testing::AssertionFailure() << "word \"" << word << "\", bytes " << join(symbols) << ": you merged "
                                       << join(got) << ", the tokenizer gives " << join(want);
}

// Code point at s[i] (s is valid UTF-8); advances i.
char32_t next_code_point(const std::string& s, size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  const int len = b0 < 0x80 ? 1 : b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4;
  char32_t cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
  for (int k = 1; k < len && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += len;
  return cp;
}

// Letters we are sure of: ASCII and Latin-1 letters, basic Cyrillic, CJK ideographs.
bool surely_letter(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xFF && c != 0xD7 && c != 0xF7) ||
         (c >= 0x410 && c <= 0x44F) || (c >= 0x4E00 && c <= 0x9FFF);
}
// Punctuation and symbols we are sure are neither letters, digits, spaces nor combining marks.
bool surely_punct(char32_t c) {
  return (c >= '!' && c <= '/' && c != '\'') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
         (c >= '{' && c <= '~') || (c >= 0x2010 && c <= 0x2027) || (c >= 0x3001 && c <= 0x3003) ||
         (c >= 0x3008 && c <= 0x3011) || (c >= 0xFF01 && c <= 0xFF0F) || (c >= 0xFF1A && c <= 0xFF1F);
}

// Words of `text` that the pre-tokenizer's regex surely matches whole: a maximal run of sure letters, with the one
// character before it when that is a space or a tab, or a sure punctuation mark that follows a letter, a digit, a
// newline or the start (the regex's `[^\r\n\p{L}\p{N}]?\p{L}+`). Runs next to anything else are left out.
std::vector<std::string> words_of(const std::string& text) {
  std::vector<char32_t> cps;
  std::vector<size_t> at;  // byte offset of each code point, and the end
  for (size_t i = 0; i < text.size();) {
    at.push_back(i);
    cps.push_back(next_code_point(text, i));
  }
  at.push_back(text.size());
  const auto n = cps.size();
  std::vector<std::string> words;
  for (size_t i = 0; i < n;) {
    if (!surely_letter(cps[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < n && surely_letter(cps[j])) ++j;
    const bool end_ok = j == n || cps[j] == ' ' || cps[j] == '\n' || surely_punct(cps[j]) ||
                        (cps[j] >= '0' && cps[j] <= '9');
    bool start_ok = i == 0;
    size_t first = i;
    if (i > 0) {
      const char32_t p = cps[i - 1];
      const char32_t q = i >= 2 ? cps[i - 2] : U'\n';
      const bool q_ends_a_match = surely_letter(q) || (q >= '0' && q <= '9') || q == '\n' || q == '\r';
      if (p == ' ' || p == '\t' || (surely_punct(p) && q_ends_a_match)) {
        start_ok = true;
        first = i - 1;
      } else if (p == '\n' || p == '\r' || (p >= '0' && p <= '9')) {
        start_ok = true;
      }
    }
    if (start_ok && end_ok) words.push_back(text.substr(at[first], at[j] - at[first]));
    i = j;
  }
  return words;
}

// Corpus words longer than this are skipped, so that a plain scan-all-pairs loop runs in a blink.
constexpr size_t kMaxWordBytes = 160;

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST(BpeMergeQwen3, EdgeCases) {
  REQUIRE_REAL_TOKENIZER();
  for (const std::string word : {"a", "\n", " ", "Ġ", "\x01\x02", "\x7f\x01", "aa", "aaa", "aaaa", "aaaaa",
                                 "aaaaaaa", " aaaaaaaaaaa", "-----", "-------", "=========", "       ", " é", " café",
                                 " naïve", " Привет", "你好世界", " 東京都", " Ελληνικά", " 🙂🙂", " straße",
                                 " Supercalifragilisticexpialidocious", " tokenization"}) {
    EXPECT_TRUE(same_as_tokenizer(word));
  }
  for (const int n : {2, 3, 5, 8, 13, 21, 40, 101}) {
    EXPECT_TRUE(same_as_tokenizer(repeat("x", n))) << n << " x's";
    EXPECT_TRUE(same_as_tokenizer(std::string(1, ' ').append(repeat("a", n)))) << "a space and " << n << " a's";
    EXPECT_TRUE(same_as_tokenizer(repeat("-", n))) << n << " dashes";
  }
  for (const int n : {2, 3, 7, 30}) {
    EXPECT_TRUE(same_as_tokenizer(repeat("中", n))) << n << " × 中 (3 bytes each)";
    EXPECT_TRUE(same_as_tokenizer(repeat("😀", n))) << n << " × 😀 (4 bytes each)";
  }
}

TEST(BpeMergeQwen3, CorpusWords) {
  REQUIRE_REAL_TOKENIZER();
  std::ifstream in(std::string(QWEN3_TEST_DATA_DIR) + "/tokenizer_corpus.jsonl");
  ASSERT_TRUE(in) << QWEN3_TEST_DATA_DIR << "/tokenizer_corpus.jsonl is missing";
  std::set<std::string> seen;
  std::string line;
  int failures = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    for (const std::string& w : words_of(nlohmann::json::parse(line).at("text").get<std::string>())) {
      // long runs ("xxx...x", 3000 bytes) are left to EdgeCases' shorter ones: the O(n²)-per-merge loop is fine
      if (w.size() > kMaxWordBytes || !seen.insert(w).second) continue;
      const ::testing::AssertionResult ok = same_as_tokenizer(w);
      if (!ok && ++failures <= 5) ADD_FAILURE() << ok.message();
    }
  }
  EXPECT_EQ(failures, 0) << "of " << seen.size() << " distinct corpus words";
  EXPECT_GT(seen.size(), 1000u) << "the corpus should give many words";
}

}  // namespace
