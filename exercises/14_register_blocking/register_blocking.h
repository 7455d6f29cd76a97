// Exercise 14_register_blocking: the launcher you write, as the tests (and, under nvcc, a GPU) call it.
#pragma once
#include "exercises/common/gpu_sim/cuda_compat.h"

namespace learner {

// C = A · Bᵀ               C[m][n] = Σ_k A[m][k] · B[n][k]
// A: [M, K], B: [N, K], C: [M, N], row-major. A block of 256 threads computes a 64×64 tile of C, each thread a
// 4×4 micro-tile kept in registers.
void gemm_register_blocking(sim::global_ptr<const float> A, sim::global_ptr<const float> B,
                            sim::global_ptr<float> C, int M, int N, int K);

}  // namespace learner
