// mistake: sigmoid(g)·u (a GLU gate) instead of silu(g)·u = g·sigmoid(g)·u: the gate's own value is missing
#include <cmath>

#include "exercises/05_swiglu/swiglu.h"

namespace learner {
void silu_mul(const float* g, const float* u, int64_t n, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = 1.0f / (1.0f + std::exp(-g[i])) * u[i];
}
}  // namespace learner
