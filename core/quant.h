// Block-quantised weight formats as llama.cpp and Ollama store them in GGUF files (core/gguf.h reads the file;
// this header is the formats themselves): what one block holds, how to turn it back into floats, and how to make
// one from floats. Each format's block layout is drawn next to its functions in core/quant.cpp.
//
// A row of n values (n a multiple of the format's block_values) is stored as n / block_values blocks of
// block_bytes each, back to back, little-endian. Type numbers are ggml's (they are what a GGUF file stores).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace qwen3 {

enum class GgmlType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q8_0 = 8,   // 32 values: one f16 scale + 32 int8
  Q4_K = 12,  // 256 values: super-block of 8 sub-blocks of 32, 6-bit scales and mins, 4-bit values
  Q6_K = 14,  // 256 values: 16 sub-blocks of 16, 8-bit scales, 6-bit values
  BF16 = 30,
};

struct BlockFormat {
  const char* name;      // "Q8_0", as llama.cpp names it
  int64_t block_values;  // values per block (1 for F32/F16/BF16)
  int64_t block_bytes;   // bytes per block
};

// True for the types this project reads; block_format/dequantize_row throw FormatError for any other.
bool is_supported_type(uint32_t type);
// The layout of `type`. FormatError for an unsupported type (the message names its number).
BlockFormat block_format(GgmlType type);
// Bytes that n values take in `type`. FormatError when n is not a multiple of the block size or the size
// overflows int64.
int64_t row_bytes(GgmlType type, int64_t n);

// src: row_bytes(type, n) bytes -> dst: [n] floats. The scale multiplications are done in f32, in the order
// llama.cpp's reference dequantiser does them, without fused multiply-add, so the floats are the same as there.
// F32/F16/BF16/Q8_0/Q6_K widen exactly (every product fits f32's 24-bit mantissa); Q4_K's d·sc·q − dmin·m can round
// in its final subtraction when d and dmin are far apart in magnitude.
void dequantize_row(GgmlType type, const uint8_t* src, float* dst, int64_t n);

// src: [n] floats -> row_bytes(type, n) bytes. Supported for F32, F16, BF16, Q8_0 and Q4_K (this project's own
// quantisers, designed in core/quant.cpp); InputError for the others.
// Non-finite inputs (NaN, ±inf), and values too large for the format's f16 scales, throw InputError naming the
// value's index or block.
std::vector<uint8_t> quantize_row(GgmlType type, const float* src, int64_t n);
// Same; errors are prefixed with "tensor 'NAME': ".
std::vector<uint8_t> quantize_row(GgmlType type, const float* src, int64_t n, const std::string& tensor_name);
// src: [rows, n] -> rows * row_bytes(type, n) bytes: quantize_row on each row, the rows shared among OpenMP's
// threads (they are independent; the bytes are the same whatever the thread count). An error is the lowest failing
// row's, as row by row (prefixed with "tensor 'NAME': " when `tensor_name` is given).
std::vector<uint8_t> quantize_rows(GgmlType type, const float* src, int64_t rows, int64_t n,
                                   const std::string& tensor_name = "");

}  // namespace qwen3
