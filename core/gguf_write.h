// GGUF writer: metadata key-values and tensors of any supported type (core/quant.h), data aligned to 32 bytes.
// Used by the tests, by `qwen3emb quantize` and by the llama.cpp peer check. The layout is drawn in core/gguf.cpp.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/gguf.h"

namespace qwen3 {

// A tensor to write. `shape` is row-major, outermost first (torch order: a [out, in] weight); the file stores it
// reversed, as ggml does. Give the values either as f32 (`values`, numel(shape) of them: each row of shape.back()
// values is encoded with quantize_row(type, ...)) or already encoded (`encoded`, row_bytes(type, shape.back()) *
// rows bytes, written as they are).
struct GgufTensorToWrite {
  std::string name;
  GgmlType type = GgmlType::F32;
  std::vector<int64_t> shape;
  const float* values = nullptr;
  const uint8_t* encoded = nullptr;
};

inline constexpr uint64_t kGgufDefaultAlignment = 32;

// Writes a GGUF v3 file: the metadata in the given order, then the tensor infos, then each tensor's bytes at the
// next multiple of 32 (zero padding). Deterministic: same input, same bytes. InputError for a tensor whose row is
// not a whole number of blocks, a shape of more than 4 dimensions, a name longer than 63 bytes, or a metadata key
// "general.alignment" other than 32; IoError when the file cannot be written.
void write_gguf(const std::string& path, const std::vector<std::pair<std::string, GgufValue>>& metadata,
                const std::vector<GgufTensorToWrite>& tensors);

}  // namespace qwen3
