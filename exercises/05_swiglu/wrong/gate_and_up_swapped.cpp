// mistake: SiLU applied to the up projection instead of the gate: silu(u)·g, but Qwen3's MLP is down(silu(gate(x)) · up(x))
#include <cmath>

#include "exercises/05_swiglu/swiglu.h"

namespace learner {
void silu_mul(const float* g, const float* u, int64_t n, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = u[i] / (1.0f + std::exp(-u[i])) * g[i];
}
}  // namespace learner
