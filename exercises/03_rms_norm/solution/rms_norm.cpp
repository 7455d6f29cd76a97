// Exercise 03_rms_norm — reference solution.
#include "exercises/03_rms_norm/rms_norm.h"

#include <cmath>

namespace learner {

// y = x / sqrt(mean(x²) + eps) * w
// x, y: [rows, n] (may alias), w: [n]
void rms_norm(const float* x, const float* w, int64_t rows, int64_t n, float eps, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * n;  // seek to x[r, :]
    float* yr = y + r * n;
    float ss = 0.0f;  // the whole row is read before any of it is written, so y may alias x
    for (int64_t i = 0; i < n; ++i) ss += xr[i] * xr[i];
    const float inv_rms = 1.0f / std::sqrt(ss / static_cast<float>(n) + eps);
    for (int64_t i = 0; i < n; ++i) yr[i] = w[i] * (xr[i] * inv_rms);
  }
}

}  // namespace learner
