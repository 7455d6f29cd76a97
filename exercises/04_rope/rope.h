// Exercise 04_rope: the function you write, as the tests and the exercise backend call it.
#pragma once
#include <cstdint>

namespace learner {

// RoPE, rotate-half form (Qwen3, like GPT-NeoX), in place, on every head of every token:
//   (x[i], x[i + D/2]) <- (x[i]·cos θ - x[i + D/2]·sin θ,  x[i + D/2]·cos θ + x[i]·sin θ),
//   θ = positions[t] · theta^(-2i/D),  i < D/2
// x: [T, heads, D], positions: [T] (each packed sequence restarts at 0)
void apply_rope(float* x, const int32_t* positions, int64_t T, int64_t heads, int64_t D, double theta);

}  // namespace learner
