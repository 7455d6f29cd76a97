// Exercise 06_attention — the one file you edit. Statement: exercises/06_attention/README.md.
// Check your answer: qwen3emb exercise check 06_attention
#include "exercises/06_attention/attention.h"

#include <cmath>
#include <vector>

#include "exercises/common/todo.h"

namespace learner {

// out[t,h,:] = Σ_{s ≤ t in t's sequence} softmax_s(q[t,h]·k[s,g] / sqrt(D)) · v[s,g,:],  g = h / (NH/NKV)
// q: [T, NH, D], k, v: [T, NKV, D], offsets: [B+1], out: [T, NH, D]
void causal_attention(const float* q, const float* k, const float* v, const int64_t* offsets, int64_t B, int64_t NH,
                      int64_t NKV, int64_t D, float* out) {
  // TODO: for each sequence b, query token t in it, and query head h:
  //   1. scores s_j = q[t,h]·k[j,g] / sqrt(D) for the tokens j of sequence b up to t
  //   2. softmax them (subtract the largest score first)
  //   3. out[t,h,:] = Σ_j p_j · v[j,g,:]
  (void)q, (void)k, (void)v, (void)offsets, (void)B, (void)NH, (void)NKV, (void)D, (void)out;
  qwen3::exercises::not_implemented("06_attention", "attention.cpp",
                                    "one (sequence, token, head) at a time; query head h reads KV head h / (NH/NKV)");
}

}  // namespace learner
