// mistake: interleaved pairs, GPT-J style (2i, 2i+1): Qwen3 rotates i with i + D/2 (rotate_half)
#include <cmath>

#include "exercises/04_rope/rope.h"

namespace learner {
void apply_rope(float* x, const int32_t* positions, int64_t T, int64_t heads, int64_t D, double theta) {
  for (int64_t t = 0; t < T; ++t)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t i = 0; i < D / 2; ++i) {
        const float inv_freq = 1.0f / std::pow(static_cast<float>(theta), static_cast<float>(2 * i) / static_cast<float>(D));
        const float a = static_cast<float>(positions[t]) * inv_freq;
        float* p = x + (t * heads + h) * D + 2 * i;
        const float x1 = p[0], x2 = p[1];
        p[0] = x1 * std::cos(a) - x2 * std::sin(a);
        p[1] = x2 * std::cos(a) + x1 * std::sin(a);
      }
}
}  // namespace learner
