// mistake: the rotation runs backwards (sin with the wrong sign): x·cos + rotate_half(x)·sin has -x2·sin in the first half
#include <cmath>

#include "exercises/04_rope/rope.h"

namespace learner {
void apply_rope(float* x, const int32_t* positions, int64_t T, int64_t heads, int64_t D, double theta) {
  const int64_t half = D / 2;
  for (int64_t t = 0; t < T; ++t)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t i = 0; i < half; ++i) {
        const float inv_freq = 1.0f / std::pow(static_cast<float>(theta), static_cast<float>(2 * i) / static_cast<float>(D));
        const float a = static_cast<float>(positions[t]) * inv_freq;
        float* xh = x + (t * heads + h) * D;
        const float x1 = xh[i], x2 = xh[i + half];
        xh[i] = x1 * std::cos(a) + x2 * std::sin(a);
        xh[i + half] = x2 * std::cos(a) - x1 * std::sin(a);
      }
}
}  // namespace learner
