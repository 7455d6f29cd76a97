// Exercise 10_online_softmax: the function you write, as the tests call it.
#pragma once
#include <cstdint>

namespace learner {

// Causal grouped-query attention over packed sequences (the same result as exercise 06's causal_attention),
// computed the flash-attention way: each query row walks its keys in tiles of Bk, keeping a running maximum m, a
// running sum l and a running output acc, and never holds more than one tile of scores.
//   out[t, h, :] = Σ_{s ≤ t, s in t's sequence} softmax_s(q[t,h]·k[s,g] / sqrt(D)) · v[s, g, :],  g = h / (NH/NKV)
// q: [T, NH, D], k, v: [T, NKV, D], offsets: [B+1] (sequence b is tokens offsets[b] .. offsets[b+1]-1),
// Bk: keys per tile (≥ 1), out: [T, NH, D]
void flash_attention(const float* q, const float* k, const float* v, const int64_t* offsets, int64_t B, int64_t NH,
                     int64_t NKV, int64_t D, int64_t Bk, float* out);

}  // namespace learner
