// Exercise 03_rms_norm — the one file you edit. Statement: exercises/03_rms_norm/README.md.
// Check your answer: qwen3emb exercise check 03_rms_norm
#include "exercises/03_rms_norm/rms_norm.h"

#include <cmath>

#include "exercises/common/todo.h"

namespace learner {

// y = x / sqrt(mean(x²) + eps) * w
// x, y: [rows, n] (may alias), w: [n]
void rms_norm(const float* x, const float* w, int64_t rows, int64_t n, float eps, float* y) {
  // TODO: for each row r: ss = Σ_i x[r,i]²; inv_rms = 1 / sqrt(ss / n + eps); y[r,i] = w[i] · x[r,i] · inv_rms
  (void)x, (void)w, (void)rows, (void)n, (void)eps, (void)y;
  qwen3::exercises::not_implemented("03_rms_norm", "rms_norm.cpp",
                                    "one row first: the sum of squares, then one scale factor for the whole row");
}

}  // namespace learner
