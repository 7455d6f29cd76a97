// rope_inv_freq.h: the RoPE table both GPU backends upload, on the host (glibc's powf, as ref_cpu).
#include "cuda_common/rope_inv_freq.h"

#include <cmath>

namespace qwen3 {

std::vector<float> rope_inv_freq(int64_t D, double theta) {
  // The same two lines as ref_cpu/ops.cpp's apply_rope: fp32 exponent, fp32 pow (glibc's powf), fp32 reciprocal.
  const int64_t half = D / 2;
  std::vector<float> inv_freq(half);
  for (int64_t i = 0; i < half; ++i) {
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(D);
    inv_freq[i] = 1.0f / std::pow(static_cast<float>(theta), exponent);
  }
  return inv_freq;
}

}  // namespace qwen3
