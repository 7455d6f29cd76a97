// libFuzzer target: loading a tokenizer folder through qwen3::Tokenizer::from_dir (core/tokenizer.cpp,
// core/tokenizer_bpe.cpp).
//
// Feeds: each input is written as tokenizer.json in a scratch folder next to a fixed tokenizer_config.json (the
// project does not read tokenizer_config.json -- everything that changes the ids is in tokenizer.json -- so
// it is only there to make the folder look like a real one), then from_dir loads the folder: JSON, normalizer,
// pre_tokenizer (a fuzzed Split regex goes to PCRE2), BPE vocab and merges, added tokens, decoder.
// On a tokenizer that loads: a few fixed probe strings are encoded (ids < vocab_size(), decode of the ids must
// not throw), token_to_id of a few spellings, decode of ids at the edges, encode_for_embedding.
// Expected: a return or qwen3::Error (FormatError, IoError, InputError). Finding: anything else
// (tests/fuzz/fuzz_common.h); a fuzzed regex that backtracks past -timeout shows up as a timeout.
#include <string>
#include <vector>

#include "core/tokenizer.h"
#include "tests/fuzz/fuzz_common.h"

using namespace qwen3;

namespace {

const char* const kProbes[] = {
    "Hello, world! It's 2024.",
    "abc aaa cab  <x> <xy>  ab",
    "e\xCC\x81 caf\xC3\xA9 \xE4\xBD\xA0\xE5\xA5\xBD \xF0\x9F\x98\x80",
    "\n\n\t  trailing   ",
    "<|endoftext|><|im_start|>user\n",
    "\xFF\xFE bad \xC0\x80 bytes",
};

}  // namespace

QWEN3_FUZZ_JSON_MUTATOR()

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::filesystem::path dir = [] {
    const std::filesystem::path d = fuzz::scratch_dir() / "tokenizer";
    std::filesystem::create_directories(d);
    fuzz::write_file(d / "tokenizer_config.json",
                     R"({"model_max_length": 32768, "tokenizer_class": "Qwen2Tokenizer", "eos_token": "<|endoftext|>"})");
    return d;
  }();
  fuzz::write_file(dir / "tokenizer.json", fuzz::as_text(data, size));

  fuzz::guard([&] {
    const Tokenizer tok = Tokenizer::from_dir(dir.string());
    const size_t vocab = tok.vocab_size();
    for (const char* probe : kProbes) {
      size_t invalid = 0;
      std::vector<int32_t> ids;
      try {
        ids = tok.encode(probe, &invalid);
      } catch (const InputError&) {
        continue;  // e.g. a fuzzed regex that PCRE2 gives up on (match limit): a typed refusal
      }
      for (int32_t id : ids) QWEN3_FUZZ_CHECK(id >= 0 && static_cast<size_t>(id) < vocab, std::to_string(id));
      try {
        (void)tok.decode(ids);
      } catch (const InputError& e) {
        QWEN3_FUZZ_CHECK(false, std::string("decode of encode's ids threw: ") + e.what());
      }
    }
    for (const char* spelling : {"a", "ab", "\xC4\xA0", "<|endoftext|>", ""}) (void)tok.token_to_id(spelling);
    try {
      (void)tok.decode({static_cast<int32_t>(vocab), -1});
    } catch (const InputError&) {
    }
    try {
      (void)tok.encode_for_embedding("x");
    } catch (const InputError&) {
    }
  });
  return 0;
}
