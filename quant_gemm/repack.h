// Host side of the quantised GEMMs: GGUF tensors into the kernels' operands (quant_gemm.h says why Q8_0 is split
// and Q4_K is not).
#pragma once
#include <cstdint>
#include <vector>

namespace qwen3::quant_gemm {

// Q8_0 split for gemm_w8a16: codes [N, K] int8 and scales [N, K/32] float (the f16 d of each block, widened).
struct SplitQ8_0 {
  std::vector<int8_t> codes;
  std::vector<float> scales;
};

// rows: N rows of K values in GGUF's Q8_0 (N · K/32 blocks of 34 bytes). InputError when K is not a positive
// multiple of 32 or N is negative.
SplitQ8_0 split_q8_0(const uint8_t* rows, int64_t N, int64_t K);

}  // namespace qwen3::quant_gemm
