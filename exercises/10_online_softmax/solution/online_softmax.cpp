// Exercise 10_online_softmax — reference solution: one query row at a time, its keys in tiles of Bk, with a running
// maximum, sum and output (the online softmax), one tile of scores in memory.
#include <algorithm>
#include <cmath>
#include <vector>

#include "exercises/10_online_softmax/online_softmax.h"

namespace learner {

// per query row: for each tile of Bk keys: m' = max(m, max s),  l = l·e^(m-m') + Σ e^(s-m'),
//                acc = acc·e^(m-m') + Σ e^(s-m')·v,  m = m';   at the end out = acc / l
// q: [T, NH, D], k, v: [T, NKV, D], offsets: [B+1], Bk ≥ 1, out: [T, NH, D]
void flash_attention(const float* q, const float* k, const float* v, const int64_t* offsets, int64_t B, int64_t NH,
                     int64_t NKV, int64_t D, int64_t Bk, float* out) {
  const int64_t group = NH / NKV;  // query heads that share one KV head
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  std::vector<float> s(static_cast<size_t>(Bk));  // one tile of scores: all the scores ever held
  std::vector<float> acc(static_cast<size_t>(D));
  for (int64_t b = 0; b < B; ++b) {
    const int64_t start = offsets[b], end = offsets[b + 1];
    for (int64_t t = start; t < end; ++t) {
      for (int64_t h = 0; h < NH; ++h) {
        const int64_t g = h / group;
        const float* qt = q + (t * NH + h) * D;  // seek to q[t, h, :]
        float m = -INFINITY, l = 0.0f;
        std::fill(acc.begin(), acc.end(), 0.0f);
        for (int64_t j0 = start; j0 <= t; j0 += Bk) {
          const int64_t j1 = std::min(j0 + Bk, t + 1);  // this tile: keys j0 .. j1-1
          // 1. the tile's scores and the new running maximum
          float m_new = m;
          for (int64_t j = j0; j < j1; ++j) {
            const float* kj = k + (j * NKV + g) * D;  // seek to k[j, g, :]
            float dot = 0.0f;
            for (int64_t d = 0; d < D; ++d) dot += qt[d] * kj[d];
            s[j - j0] = dot * scale;
            m_new = std::max(m_new, s[j - j0]);
          }
          // 2. what was summed against the old maximum, rescaled to the new one (exp(-inf) = 0 on the first tile)
          const float correction = std::exp(m - m_new);
          l *= correction;
          for (float& a : acc) a *= correction;
          // 3. the tile's exponentials, added to the running sum and output
          for (int64_t j = j0; j < j1; ++j) {
            const float p = std::exp(s[j - j0] - m_new);
            const float* vj = v + (j * NKV + g) * D;  // seek to v[j, g, :]
            l += p;
            for (int64_t d = 0; d < D; ++d) acc[d] += p * vj[d];
          }
          m = m_new;
        }
        // normalise once, at the end
        float* o = out + (t * NH + h) * D;
        for (int64_t d = 0; d < D; ++d) o[d] = acc[d] / l;
      }
    }
  }
}

}  // namespace learner
