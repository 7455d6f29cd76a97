// Exercise 10_online_softmax — the one file you edit. Statement: exercises/10_online_softmax/README.md.
// Check your answer: qwen3emb exercise check 10_online_softmax
#include "exercises/10_online_softmax/online_softmax.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "exercises/common/todo.h"

namespace learner {

// per query row: for each tile of Bk keys: m' = max(m, max s),  l = l·e^(m-m') + Σ e^(s-m'),
//                acc = acc·e^(m-m') + Σ e^(s-m')·v,  m = m';   at the end out = acc / l
// q: [T, NH, D], k, v: [T, NKV, D], offsets: [B+1], Bk ≥ 1, out: [T, NH, D]
void flash_attention(const float* q, const float* k, const float* v, const int64_t* offsets, int64_t B, int64_t NH,
                     int64_t NKV, int64_t D, int64_t Bk, float* out) {
  // TODO: for each sequence b, query token t in it, and query head h (KV head g = h / (NH/NKV)):
  //   m = -inf, l = 0, acc[0..D) = 0
  //   for each tile of at most Bk keys j (from offsets[b], up to t):
  //     1. the tile's scores s_j = q[t,h]·k[j,g] / sqrt(D), and the new maximum m' = max(m, max_j s_j)
  //     2. rescale what you have: l and acc times exp(m - m')
  //     3. add the tile: l += Σ exp(s_j - m'),  acc += Σ exp(s_j - m') · v[j,g,:];  m = m'
  //   out[t,h,:] = acc / l
  (void)q, (void)k, (void)v, (void)offsets, (void)B, (void)NH, (void)NKV, (void)D, (void)Bk, (void)out;
  qwen3::exercises::not_implemented("10_online_softmax", "online_softmax.cpp",
                                    "when the running maximum grows from m to m', multiply l and acc by exp(m - m') "
                                    "before adding the tile; divide by l only at the end");
}

}  // namespace learner
