// Host side of the quantised GEMMs: GGUF tensors into the kernels' operands (quant_gemm.h says why Q8_0 is split
// and Q4_K is not).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/gguf.h"
#include "core/quant.h"

namespace qwen3::quant_gemm {

// Q8_0 split for gemm_w8a16: codes [N, K] int8 and scales [N, K/32] float (the f16 d of each block, widened).
struct SplitQ8_0 {
  std::vector<int8_t> codes;
  std::vector<float> scales;
};

// rows: N rows of K values in GGUF's Q8_0 (N · K/32 blocks of 34 bytes). InputError when K is not a positive
// multiple of 32 or N is negative.
SplitQ8_0 split_q8_0(const uint8_t* rows, int64_t N, int64_t K);

// One fused projection of a layer as cuda_opt multiplies it (cuda_opt_backend.h: Layer): q, k, v rows stacked;
// gate and up rows interleaved (row 2i gate i, row 2i+1 up i).
enum class Projection { kQkv, kO, kGateUp, kDown };
const char* projection_name(Projection p);  // "qkv", "o", "gate_up", "down"

struct QuantProjection {
  int64_t layer = 0;
  Projection which = Projection::kQkv;
  GgmlType type = GgmlType::Q8_0;  // Q8_0 or Q4_K
  int64_t rows = 0, in = 0;        // the fused matrix: [rows, in]
  std::vector<uint8_t> bytes;      // Q4_K: rows · in/256 super-blocks of 144 bytes; Q8_0: the int8 codes [rows, in]
  std::vector<float> scales;       // Q8_0 only: [rows, in/32]
};

// The projections of a Qwen3 GGUF model whose every part is stored in Q8_0, or every part in Q4_K, fused and
// repacked for gemm_w8a16 / gemm_w4a16_q4k. Projections with another type (F32, F16, BF16, Q6_K as llama.cpp's
// Q4_K_M uses for some), or parts of different types, are left out: their caller keeps them in bf16. ShapeError
// when a part is missing or its shape is not the config's.
std::vector<QuantProjection> quantised_projections(const GgufFile& f, const ModelConfig& c);

}  // namespace qwen3::quant_gemm
