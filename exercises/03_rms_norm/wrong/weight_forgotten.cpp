// mistake: the learned weight w never multiplied in: the output is normalised but not scaled per channel
#include <cmath>

#include "exercises/03_rms_norm/rms_norm.h"

namespace learner {
void rms_norm(const float* x, const float* w, int64_t rows, int64_t n, float eps, float* y) {
  (void)w;
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * n;
    float* yr = y + r * n;
    float ss = 0.0f;
    for (int64_t i = 0; i < n; ++i) ss += xr[i] * xr[i];
    const float inv_rms = 1.0f / std::sqrt(ss / static_cast<float>(n) + eps);
    for (int64_t i = 0; i < n; ++i) yr[i] = xr[i] * inv_rms;
  }
}
}  // namespace learner
