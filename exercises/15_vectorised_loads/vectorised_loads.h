// Exercise 15_vectorised_loads: the launcher you write, as the tests (and, under nvcc, a GPU) call it.
#pragma once
#include "exercises/common/gpu_sim/cuda_compat.h"

namespace learner {

// C = A · Bᵀ               C[m][n] = Σ_k A[m][k] · B[n][k]
// A: [M, K], B: [N, K], C: [M, N], row-major (buffers 16-byte aligned, as cudaMalloc's are). 14_register_blocking's
// kernel with its global loads four floats at a time (float4) when K % 4 == 0, scalar otherwise.
void gemm_vectorised(sim::global_ptr<const float> A, sim::global_ptr<const float> B, sim::global_ptr<float> C, int M,
                     int N, int K);

}  // namespace learner
