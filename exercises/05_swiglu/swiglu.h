// Exercise 05_swiglu: the function you write, as the tests and the exercise backend call it.
#pragma once
#include <cstdint>

namespace learner {

// y = silu(g) · u = g / (1 + e^-g) · u         (SwiGLU: the gate's SiLU times the up projection)
// g, u, y: [n]; y may be the same array as g (the forward pass writes the result over the gate)
void silu_mul(const float* g, const float* u, int64_t n, float* y);

}  // namespace learner
