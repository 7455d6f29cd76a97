// libFuzzer target: one safetensors file through qwen3::SafetensorsFile (core/safetensors.cpp).
//
// Feeds: each input becomes a file in the scratch folder, in one of two shapes:
//   raw     the input is the whole file, [u64 LE header length N][N bytes of JSON header][data], written as
//           is: reaches the length checks, truncation, a header length past the file;
//   header  an input that starts with '{' is a JSON header, up to its first NUL byte; the bytes after that NUL
//           are the data section; the target writes [its length][header][data]. Mutations of the header text
//           then keep the length right, so they reach the JSON parser and the field checks instead of dying at
//           "header length runs past the end of the file".
// On a file that opens: every tensor's to_f32 (reads its bytes), find() of each name, the metadata map, and
// the invariants the header documents (each tensor's bytes inside the mapping, numel * dtype size = nbytes).
// Expected: a return, or qwen3::Error (FormatError, IoError). Finding: anything else (tests/fuzz/fuzz_common.h).
#include <cstring>
#include <string>

#include "core/safetensors.h"
#include "tests/fuzz/fuzz_common.h"

using namespace qwen3;

QWEN3_FUZZ_JSON_MUTATOR()

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in = fuzz::as_text(data, size);
  std::string file;
  if (!in.empty() && in[0] == '{') {
    const size_t nul = in.find('\0');
    const std::string_view header = in.substr(0, nul);
    const std::string_view body = nul == std::string_view::npos ? std::string_view() : in.substr(nul + 1);
    uint64_t n = header.size();
    char len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
    file.assign(len, 8).append(header).append(body);
  } else {
    file.assign(in);
  }
  const std::string path = (fuzz::scratch_dir() / "model.safetensors").string();
  fuzz::write_file(path, file);

  fuzz::guard([&] {
    SafetensorsFile f(path);
    for (const TensorView& t : f.tensors()) {
      QWEN3_FUZZ_CHECK(f.find(t.name) != nullptr, t.name);
      QWEN3_FUZZ_CHECK(t.numel() >= 0, t.name);
      QWEN3_FUZZ_CHECK(static_cast<uint64_t>(t.numel()) * dtype_size(t.dtype) == t.nbytes, t.name);
      QWEN3_FUZZ_CHECK(t.nbytes <= file.size(), t.name);
      std::vector<float> v = to_f32(t);  // touches every byte of the tensor (ASan: inside the mapping)
      QWEN3_FUZZ_CHECK(v.size() == static_cast<size_t>(t.numel()), t.name);
    }
    for (const auto& [k, v] : f.metadata()) (void)k.size(), (void)v.size();
    (void)f.find("");
  });
  return 0;
}
