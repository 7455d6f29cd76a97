// Exercise 04_rope — reference solution.
#include <cmath>

#include "exercises/04_rope/rope.h"

namespace learner {

// (x[i], x[i+D/2]) <- (x[i]·cos θ - x[i+D/2]·sin θ, x[i+D/2]·cos θ + x[i]·sin θ),  θ = pos · theta^(-2i/D)
// x: [T, heads, D] (in place), positions: [T]
void apply_rope(float* x, const int32_t* positions, int64_t T, int64_t heads, int64_t D, double theta) {
  const int64_t half = D / 2;
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t i = 0; i < half; ++i) {
      // the frequency of pair i, and its angle at this token's position (fp32, as Hugging Face computes it)
      const float inv_freq = 1.0f / std::pow(static_cast<float>(theta), static_cast<float>(2 * i) / static_cast<float>(D));
      const float angle = static_cast<float>(positions[t]) * inv_freq;
      const float c = std::cos(angle), s = std::sin(angle);
      for (int64_t h = 0; h < heads; ++h) {
        float* xh = x + (t * heads + h) * D;  // seek to x[t, h, :]
        const float x1 = xh[i], x2 = xh[i + half];
        xh[i] = x1 * c - x2 * s;
        xh[i + half] = x2 * c + x1 * s;
      }
    }
  }
}

}  // namespace learner
