// Exercise 11_first_kernel: the launcher you write, as the tests (and, under nvcc, a GPU) call it.
#pragma once
#include "exercises/common/gpu_sim/cuda_compat.h"

namespace learner {

// C = A · Bᵀ               C[m][n] = Σ_k A[m][k] · B[n][k]       (the model's linear layer, y = x Wᵀ)
// A: [M, K], B: [N, K], C: [M, N], row-major. Launches one GPU thread per element of C.
void gemm_naive(sim::global_ptr<const float> A, sim::global_ptr<const float> B, sim::global_ptr<float> C, int M,
                int N, int K);

}  // namespace learner
