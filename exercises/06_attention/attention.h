// Exercise 06_attention: the function you write, as the tests and the exercise backend call it.
#pragma once
#include <cstdint>

namespace learner {

// Causal grouped-query attention over packed sequences:
//   out[t, h, :] = Σ_{s ≤ t, s in t's sequence} softmax_s(q[t,h]·k[s,g] / sqrt(D)) · v[s, g, :],  g = h / (NH/NKV)
// q: [T, NH, D], k, v: [T, NKV, D], offsets: [B+1] (sequence b is tokens offsets[b] .. offsets[b+1]-1),
// out: [T, NH, D]
void causal_attention(const float* q, const float* k, const float* v, const int64_t* offsets, int64_t B, int64_t NH,
                      int64_t NKV, int64_t D, float* out);

}  // namespace learner
