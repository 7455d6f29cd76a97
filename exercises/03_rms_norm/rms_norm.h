// Exercise 03_rms_norm: the function you write, as the tests and the exercise backend call it.
#pragma once
#include <cstdint>

namespace learner {

// y = x / sqrt(mean(x²) + eps) * w          (mean over the last dimension, one row at a time)
// x, y: [rows, n], w: [n]. x and y may be the same array (q/k norm runs in place).
void rms_norm(const float* x, const float* w, int64_t rows, int64_t n, float eps, float* y);

}  // namespace learner
