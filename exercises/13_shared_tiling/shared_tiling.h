// Exercise 13_shared_tiling: the launcher you write, as the tests (and, under nvcc, a GPU) call it.
#pragma once
#include "exercises/common/gpu_sim/cuda_compat.h"

namespace learner {

// C = A · Bᵀ               C[m][n] = Σ_k A[m][k] · B[n][k]
// A: [M, K], B: [N, K], C: [M, N], row-major. A block computes a 32×32 tile of C from 32×32 tiles of A and B
// staged in shared memory.
void gemm_shared_tiling(sim::global_ptr<const float> A, sim::global_ptr<const float> B, sim::global_ptr<float> C,
                        int M, int N, int K);

}  // namespace learner
