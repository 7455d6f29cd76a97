// Exercise 12_coalescing: the launcher you write, as the tests (and, under nvcc, a GPU) call it.
#pragma once
#include "exercises/common/gpu_sim/cuda_compat.h"

namespace learner {

// C = A · Bᵀ               C[m][n] = Σ_k A[m][k] · B[n][k]
// A: [M, K], B: [N, K], C: [M, N], row-major. One thread per element of C, lanes of a warp along n.
void gemm_coalesced(sim::global_ptr<const float> A, sim::global_ptr<const float> B, sim::global_ptr<float> C, int M,
                    int N, int K);

}  // namespace learner
