// libFuzzer target: one GGUF file through qwen3::GgufFile (core/gguf.cpp), then the Qwen3 view of it
// (core/gguf_model.cpp: config from the metadata, dequantised weights) and Tokenizer::from_gguf.
//
// Feeds: the input is the whole file, written as is. The seeds (tests/fuzz/corpus/gguf, from make_corpus.py) are
// small valid Qwen3 files with a 256-byte-token vocabulary and F32/F16/BF16/Q8_0/Q4_K/Q6_K tensors, so mutations
// start inside every section.
// On a file that opens: the invariants the reader promises (each tensor's bytes inside the mapping, aligned, sized
// as its type and dims say), every tensor dequantised row by row (touches every byte: ASan checks the mapping),
// every metadata value's accessors; then the config, the weights when the model is small, and the tokenizer, which
// may each refuse with qwen3::Error.
// Expected: a return, or qwen3::Error. Finding: anything else (tests/fuzz/fuzz_common.h).
#include <string>
#include <vector>

#include "core/gguf.h"
#include "core/gguf_model.h"
#include "core/quant.h"
#include "core/tokenizer.h"
#include "tests/fuzz/fuzz_common.h"

using namespace qwen3;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = (fuzz::scratch_dir() / "model.gguf").string();
  fuzz::write_file(path, std::string(reinterpret_cast<const char*>(data), size));

  fuzz::guard([&] {
    const GgufFile f(path);
    for (const GgufTensor& t : f.tensors()) {
      QWEN3_FUZZ_CHECK(f.find_tensor(t.name) == &t, t.name);
      QWEN3_FUZZ_CHECK(t.offset % f.alignment() == 0, t.name);
      QWEN3_FUZZ_CHECK(f.data_offset() + t.offset + t.nbytes <= size, t.name);
      const int64_t n = t.dims[0], stride = row_bytes(t.type, n), rows = t.numel() / n;
      QWEN3_FUZZ_CHECK(static_cast<uint64_t>(stride * rows) == t.nbytes, t.name);
      std::vector<float> row(static_cast<size_t>(n));
      for (int64_t r = 0; r < rows; ++r) dequantize_row(t.type, t.data + r * stride, row.data(), n);
    }
    for (const auto& [key, v] : f.metadata()) {
      QWEN3_FUZZ_CHECK(f.find(key) == &v, key);
      try {
        if (v.is_integer()) (void)v.as_int();
        if (v.is_float()) (void)v.as_float();
      } catch (const Error&) {
      }
    }
    try {
      const ModelConfig c = gguf_model_config(f);
      if (c.num_parameters() <= (int64_t{1} << 20)) (void)load_gguf_host_weights(f, c);
    } catch (const Error&) {
    }
    const Tokenizer tok = Tokenizer::from_gguf(f);
    (void)tok.encode("abc, world <|im_start|> <think> é");
    (void)tok.encode_for_embedding("abc");  // InputError unless the vocabulary reaches 151643
  });
  return 0;
}
