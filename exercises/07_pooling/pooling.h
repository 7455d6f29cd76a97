// Exercise 07_pooling: the functions you write, as the tests and the exercise backend call them.
#pragma once
#include <cstdint>

namespace learner {

// embedding[b] = x[t_b] / ||x[t_b]||₂,  t_b = offsets[b+1] - 1     (last-token pooling, then L2 normalisation)
// x: [T, H] (the final RMSNorm's output), offsets: [B+1], out: [B, H]. A zero row stays zero.
void last_token_pool(const float* x, const int64_t* offsets, int64_t B, int64_t H, float* out);

// Matryoshka: out = e[0:dim] / ||e[0:dim]||₂       (the first dim components of an embedding, re-normalised)
// e: [H], out: [dim], 1 <= dim <= H
void matryoshka(const float* e, int64_t H, int64_t dim, float* out);

}  // namespace learner
