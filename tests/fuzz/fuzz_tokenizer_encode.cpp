// libFuzzer target: the real Qwen3 tokenizer's encode and decode on arbitrary bytes (core/tokenizer.cpp,
// core/tokenizer_bpe.cpp, core/utf8.cpp).
//
// The tokenizer is loaded once per process from $QWEN3_FUZZ_TOKENIZER_DIR, else the build-time default
// QWEN3_FUZZ_TOKENIZER_DIR (data/tokenizer, which scripts/setup.sh fills). If neither has a tokenizer.json, the
// small hand-made tests/fuzz/corpus/tokenizer_load/tiny_qwen_like.json stands in, with a note on stderr
// (an abort instead when QWEN3_STRICT=1).
// Feeds: each input is, at once,
//   text  encode(input): UTF-8 repair, added-token matching, NFC, the split regex, BPE. Checks: ids are
//         below vocab_size(); decode(ids) does not throw; when the repaired text has no '<' (so no added token
//         can strip white space), decode(ids) equals the NFC form of the repaired text (or the text itself,
//         for a stand-in without a normalizer); the invalid-byte count is 0 exactly when the input is valid
//         UTF-8; encode_for_embedding ends with <|endoftext|>;
//   ids   decode() of the input read as 3-byte little-endian ids masked to 18 bits (0..262143: known ids and
//         unknown ones): InputError for an unknown id is expected.
// Expected: a return or qwen3::Error. Finding: anything else (tests/fuzz/fuzz_common.h), or a failed check.
#include <utf8proc.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/tokenizer.h"
#include "tests/fuzz/fuzz_common.h"

#ifndef QWEN3_FUZZ_TOKENIZER_DIR
#define QWEN3_FUZZ_TOKENIZER_DIR "data/tokenizer"
#endif
#ifndef QWEN3_FUZZ_SOURCE_DIR
#define QWEN3_FUZZ_SOURCE_DIR "tests/fuzz"
#endif

using namespace qwen3;

namespace {

const Tokenizer& tokenizer() {
  static const Tokenizer tok = [] {
    const char* env = std::getenv("QWEN3_FUZZ_TOKENIZER_DIR");
    const std::string dir = env && *env ? env : QWEN3_FUZZ_TOKENIZER_DIR;
    if (std::filesystem::exists(std::filesystem::path(dir) / "tokenizer.json")) return Tokenizer::from_dir(dir);
    const char* strict = std::getenv("QWEN3_STRICT");
    if (strict && std::string(strict) == "1") {
      std::fprintf(stderr, "fuzz_tokenizer_encode: no tokenizer.json in %s (run scripts/setup.sh)\n", dir.c_str());
      std::abort();
    }
    const std::string tiny = std::string(QWEN3_FUZZ_SOURCE_DIR) + "/corpus/tokenizer_load/tiny_qwen_like.json";
    std::fprintf(stderr, "fuzz_tokenizer_encode: no tokenizer.json in %s; using %s instead\n", dir.c_str(),
                 tiny.c_str());
    return Tokenizer::from_file(tiny);
  }();
  return tok;
}

std::string nfc(const std::string& s) {
  utf8proc_uint8_t* out = nullptr;
  const utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                                          static_cast<utf8proc_ssize_t>(s.size()), &out,
                                          static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  QWEN3_FUZZ_CHECK(n >= 0, "utf8proc_map failed on repaired text");
  std::string r(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
  std::free(out);
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)tokenizer();  // load before the first input, so that -timeout does not count the load
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Tokenizer& tok = tokenizer();
  const std::string_view text = fuzz::as_text(data, size);
  fuzz::guard([&] {
    size_t invalid = 0;
    const std::vector<int32_t> ids = tok.encode(text, &invalid);
    const std::string repaired = sanitize_utf8(text, nullptr);
    QWEN3_FUZZ_CHECK((invalid == 0) == (repaired == text), "invalid-byte count disagrees with sanitize_utf8");
    for (int32_t id : ids) QWEN3_FUZZ_CHECK(id >= 0 && static_cast<size_t>(id) < tok.vocab_size(), std::to_string(id));
    std::string decoded;
    try {
      decoded = tok.decode(ids);
    } catch (const InputError& e) {
      QWEN3_FUZZ_CHECK(false, std::string("decode of encode's ids threw: ") + e.what());
    }
    if (repaired.find('<') == std::string::npos)  // NFC for Qwen3's tokenizer; a stand-in may have no normalizer
      QWEN3_FUZZ_CHECK(decoded == nfc(repaired) || decoded == repaired, "decode(encode(text)) is not NFC(text)");
    try {
      const std::vector<int32_t> e = tok.encode_for_embedding(text);
      QWEN3_FUZZ_CHECK(!e.empty() && e.back() == kEndOfTextId && e.size() == ids.size() + 1, "encode_for_embedding");
    } catch (const InputError&) {  // the stand-in tokenizer has no id 151643
    }
  });
  fuzz::guard([&] {
    std::vector<int32_t> ids;
    for (size_t i = 0; i + 3 <= size; i += 3)
      ids.push_back(static_cast<int32_t>((data[i] | data[i + 1] << 8 | data[i + 2] << 16) & 0x3FFFF));
    (void)tok.decode(ids);
  });
  return 0;
}
