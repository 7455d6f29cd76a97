// Exercise 07_pooling — the one file you edit. Statement: exercises/07_pooling/README.md.
// Check your answer: qwen3emb exercise check 07_pooling
#include "exercises/07_pooling/pooling.h"

#include <cmath>

#include "exercises/common/todo.h"

namespace learner {

// embedding[b] = x[t_b] / ||x[t_b]||,  t_b = offsets[b+1] - 1
// x: [T, H], offsets: [B+1], out: [B, H]
void last_token_pool(const float* x, const int64_t* offsets, int64_t B, int64_t H, float* out) {
  // TODO: copy the row of each sequence's last token, then divide it by its L2 norm
  (void)x, (void)offsets, (void)B, (void)H, (void)out;
  qwen3::exercises::not_implemented("07_pooling", "pooling.cpp",
                                    "sequence b's last token is offsets[b+1] - 1; a causal model sums up the text there");
}

// out = e[0:dim] / ||e[0:dim]||
// e: [H], out: [dim]
void matryoshka(const float* e, int64_t H, int64_t dim, float* out) {
  // TODO: keep the first dim components and re-normalise them
  (void)e, (void)H, (void)dim, (void)out;
  qwen3::exercises::not_implemented("07_pooling", "pooling.cpp", "the first dim components are not a unit vector");
}

}  // namespace learner
