// mistake: the numbers are right but the sequence's whole len × len score matrix is computed and kept first (the reference's way), so memory grows with the square of the sequence: the online softmax needs one tile of scores at a time
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
  const int64_t group = NH / NKV;
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  std::vector<float> acc(static_cast<size_t>(D));
  for (int64_t b = 0; b < B; ++b) {
    const int64_t start = offsets[b], len = offsets[b + 1] - offsets[b];
    for (int64_t h = 0; h < NH; ++h) {
      const int64_t g = h / group;
      // every score of the sequence up front: scores[i, j] = q[start+i, h]·k[start+j, g] / sqrt(D), j ≤ i
      std::vector<float> scores(static_cast<size_t>(len * len));
      for (int64_t i = 0; i < len; ++i) {
        const float* qi = q + ((start + i) * NH + h) * D;
        for (int64_t j = 0; j <= i; ++j) {
          const float* kj = k + ((start + j) * NKV + g) * D;
          float dot = 0.0f;
          for (int64_t d = 0; d < D; ++d) dot += qi[d] * kj[d];
          scores[i * len + j] = dot * scale;
        }
      }
      // then each row in tiles, reading the kept scores
      for (int64_t i = 0; i < len; ++i) {
        const float* s = scores.data() + i * len;
        float m = -INFINITY, l = 0.0f;
        std::fill(acc.begin(), acc.end(), 0.0f);
        for (int64_t j0 = 0; j0 <= i; j0 += Bk) {
          const int64_t j1 = std::min(j0 + Bk, i + 1);
          float m_new = m;
          for (int64_t j = j0; j < j1; ++j) m_new = std::max(m_new, s[j]);
          const float correction = std::exp(m - m_new);
          l *= correction;
          for (float& a : acc) a *= correction;
          for (int64_t j = j0; j < j1; ++j) {
            const float p = std::exp(s[j] - m_new);
            const float* vj = v + ((start + j) * NKV + g) * D;
            l += p;
            for (int64_t d = 0; d < D; ++d) acc[d] += p * vj[d];
          }
          m = m_new;
        }
        float* o = out + ((start + i) * NH + h) * D;
        for (int64_t d = 0; d < D; ++d) o[d] = acc[d] / l;
      }
    }
  }
}

}  // namespace learner
