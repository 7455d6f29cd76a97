// mistake: the first token's state pooled (as BERT's [CLS]): in a causal model only the last token has seen the whole text
#include <cmath>

#include "exercises/07_pooling/pooling.h"

namespace learner {

namespace {
// v <- v / ||v||₂ (a zero vector stays zero); the norm summed in double
void normalise(float* v, int64_t n) {
  double ss = 0;
  for (int64_t i = 0; i < n; ++i) ss += double(v[i]) * v[i];
  if (ss == 0) return;
  const float inv = static_cast<float>(1.0 / std::sqrt(ss));
  for (int64_t i = 0; i < n; ++i) v[i] *= inv;
}
}  // namespace

// embedding[b] = x[t_b] / ||x[t_b]||,  t_b = offsets[b+1] - 1
// x: [T, H], offsets: [B+1], out: [B, H]
void last_token_pool(const float* x, const int64_t* offsets, int64_t B, int64_t H, float* out) {
  for (int64_t b = 0; b < B; ++b) {
    const float* row = x + offsets[b] * H;
    for (int64_t i = 0; i < H; ++i) out[b * H + i] = row[i];
    normalise(out + b * H, H);
  }
}

// out = e[0:dim] / ||e[0:dim]||
// e: [H], out: [dim]
void matryoshka(const float* e, int64_t H, int64_t dim, float* out) {
  (void)H;
  for (int64_t i = 0; i < dim; ++i) out[i] = e[i];
  normalise(out, dim);
}

}  // namespace learner
