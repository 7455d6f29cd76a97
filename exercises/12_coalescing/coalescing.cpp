// Exercise 12_coalescing — the one file you edit. Statement: exercises/12_coalescing/README.md.
// Check your answer: qwen3emb exercise check 12_coalescing
// This file compiles for the CPU simulator (the checks) and, unchanged, with nvcc for a real GPU.
#include "exercises/12_coalescing/coalescing.h"

#include "exercises/common/todo.h"

namespace learner {

// One thread per output, consecutive lanes on consecutive columns n: C[m][n] = Σ_k A[m][k] · B[n][k]
// A: [M, K], B: [N, K], C: [M, N]
__global__ void gemm_coalesced_kernel(sim::global_ptr<const float> A, sim::global_ptr<const float> B,
                                      sim::global_ptr<float> C, int M, int N, int K) {
  // TODO: as in 11_first_kernel, but threadIdx.x must walk n (the contiguous dimension of C), threadIdx.y m.
  (void)A, (void)B, (void)C, (void)M, (void)N, (void)K;
}

void gemm_coalesced(sim::global_ptr<const float> A, sim::global_ptr<const float> B, sim::global_ptr<float> C, int M,
                    int N, int K) {
  // TODO: a block of 32×32 threads, a grid of ⌈N/32⌉ × ⌈M/32⌉ blocks (x along n), then sim::launch.
  (void)A, (void)B, (void)C, (void)M, (void)N, (void)K;
  qwen3::exercises::not_implemented("12_coalescing", "coalescing.cpp",
                                    "n = blockIdx.x * blockDim.x + threadIdx.x: lanes of a warp on one row of C");
}

}  // namespace learner
