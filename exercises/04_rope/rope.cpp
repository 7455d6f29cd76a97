// Exercise 04_rope — the one file you edit. Statement: exercises/04_rope/README.md.
// Check your answer: qwen3emb exercise check 04_rope
#include "exercises/04_rope/rope.h"

#include <cmath>

#include "exercises/common/todo.h"

namespace learner {

// (x[i], x[i+D/2]) <- (x[i]·cos θ - x[i+D/2]·sin θ, x[i+D/2]·cos θ + x[i]·sin θ),  θ = pos · theta^(-2i/D)
// x: [T, heads, D] (in place), positions: [T]
void apply_rope(float* x, const int32_t* positions, int64_t T, int64_t heads, int64_t D, double theta) {
  // TODO: for each token t, head h and i < D/2: rotate the pair (x[t,h,i], x[t,h,i+D/2]) by the angle θ
  (void)x, (void)positions, (void)T, (void)heads, (void)D, (void)theta;
  qwen3::exercises::not_implemented("04_rope", "rope.cpp",
                                    "the pairs are (i, i + D/2), not (2i, 2i+1); the angle uses positions[t], not t");
}

}  // namespace learner
