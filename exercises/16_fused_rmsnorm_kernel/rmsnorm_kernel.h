// Exercise 16_fused_rmsnorm_kernel: the launcher you write, as the tests (and, under nvcc, a GPU) call it.
#pragma once
#include "exercises/common/gpu_sim/cuda_compat.h"

namespace learner {

// y = x / sqrt(mean(x²) + eps) * w          (per row; one block per row)
// x, y: [rows, n] (may be the same array: q/k norm runs in place), w: [n]; n ≤ 4096.
void rms_norm_gpu(sim::global_ptr<const float> x, sim::global_ptr<const float> w, int rows, int n, float eps,
                  sim::global_ptr<float> y);

}  // namespace learner
