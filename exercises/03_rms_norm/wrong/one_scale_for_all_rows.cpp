// mistake: one mean of squares over the whole tensor instead of one per row: every token (or head) must be normalised on its own
#include <cmath>

#include "exercises/03_rms_norm/rms_norm.h"

namespace learner {
void rms_norm(const float* x, const float* w, int64_t rows, int64_t n, float eps, float* y) {
  float ss = 0.0f;
  for (int64_t i = 0; i < rows * n; ++i) ss += x[i] * x[i];
  const float inv_rms = 1.0f / std::sqrt(ss / static_cast<float>(rows * n) + eps);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < n; ++i) y[r * n + i] = w[i] * (x[r * n + i] * inv_rms);
}
}  // namespace learner
