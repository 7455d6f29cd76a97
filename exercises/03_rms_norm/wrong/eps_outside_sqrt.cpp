// mistake: eps added after the square root (1 / (sqrt(mean(x²)) + eps)): Qwen3 adds it inside, and the two differ wherever the row is small
#include <cmath>

#include "exercises/03_rms_norm/rms_norm.h"

namespace learner {
void rms_norm(const float* x, const float* w, int64_t rows, int64_t n, float eps, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * n;
    float* yr = y + r * n;
    float ss = 0.0f;
    for (int64_t i = 0; i < n; ++i) ss += xr[i] * xr[i];
    const float inv_rms = 1.0f / (std::sqrt(ss / static_cast<float>(n)) + eps);
    for (int64_t i = 0; i < n; ++i) yr[i] = w[i] * (xr[i] * inv_rms);
  }
}
}  // namespace learner
