// Exercise 05_swiglu — the one file you edit. Statement: exercises/05_swiglu/README.md.
// Check your answer: qwen3emb exercise check 05_swiglu
#include "exercises/05_swiglu/swiglu.h"

#include <cmath>

#include "exercises/common/todo.h"

namespace learner {

// y = silu(g) · u = g / (1 + e^-g) · u
// g, u, y: [n] (y may alias g)
void silu_mul(const float* g, const float* u, int64_t n, float* y) {
  // TODO: y[i] = g[i] / (1 + exp(-g[i])) * u[i]
  (void)g, (void)u, (void)n, (void)y;
  qwen3::exercises::not_implemented("05_swiglu", "swiglu.cpp",
                                    "SiLU is x·sigmoid(x); write it so that g = ±100 gives no inf or NaN");
}

}  // namespace learner
