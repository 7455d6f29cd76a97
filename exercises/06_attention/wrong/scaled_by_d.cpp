// mistake: scores divided by D instead of sqrt(D): the softmax comes out too flat
#include <algorithm>
#include <cmath>
#include <vector>

#include "exercises/06_attention/attention.h"

namespace learner {

// out[t,h,:] = Σ_{s ≤ t in t's sequence} softmax_s(q[t,h]·k[s,g] / sqrt(D)) · v[s,g,:],  g = h / (NH/NKV)
// q: [T, NH, D], k, v: [T, NKV, D], offsets: [B+1], out: [T, NH, D]
void causal_attention(const float* q, const float* k, const float* v, const int64_t* offsets, int64_t B, int64_t NH,
                      int64_t NKV, int64_t D, float* out) {
  const int64_t group = NH / NKV;  // query heads that share one KV head
  const float scale = 1.0f / static_cast<float>(D);
  std::vector<float> p;
  for (int64_t b = 0; b < B; ++b) {
    const int64_t start = offsets[b], end = offsets[b + 1];
    for (int64_t t = start; t < end; ++t) {
      for (int64_t h = 0; h < NH; ++h) {
        const int64_t g = h / group;
        const float* qt = q + (t * NH + h) * D;  // seek to q[t, h, :]
        // pass 1: scores against the keys of this sequence up to t, and their maximum
        p.assign(t - start + 1, 0.0f);
        float m = -INFINITY;
        for (int64_t s = start; s <= t; ++s) {
          const float* ks = k + (s * NKV + g) * D;  // seek to k[s, g, :]
          float dot = 0.0f;
          for (int64_t d = 0; d < D; ++d) dot += qt[d] * ks[d];
          p[s - start] = dot * scale;
          m = std::max(m, p[s - start]);
        }
        // pass 2: exponentials (shifted by the maximum, so none overflows) and their sum
        float sum = 0.0f;
        for (float& x : p) sum += (x = std::exp(x - m));
        // pass 3: the probability-weighted sum of values
        float* o = out + (t * NH + h) * D;
        for (int64_t d = 0; d < D; ++d) o[d] = 0.0f;
        for (int64_t s = start; s <= t; ++s) {
          const float w = p[s - start] / sum;
          const float* vs = v + (s * NKV + g) * D;
          for (int64_t d = 0; d < D; ++d) o[d] += w * vs[d];
        }
      }
    }
  }
}

}  // namespace learner
