// Exercise 11_first_kernel — the one file you edit. Statement: exercises/11_first_kernel/README.md.
// Check your answer: qwen3emb exercise check 11_first_kernel
// This file compiles for the CPU simulator (the checks) and, unchanged, with nvcc for a real GPU.
#include "exercises/11_first_kernel/first_kernel.h"

#include "exercises/common/todo.h"

namespace learner {

// One thread per output: C[m][n] = Σ_k A[m][k] · B[n][k]
// A: [M, K], B: [N, K], C: [M, N]
__global__ void gemm_naive_kernel(sim::global_ptr<const float> A, sim::global_ptr<const float> B,
                                  sim::global_ptr<float> C, int M, int N, int K) {
  // TODO: m and n from blockIdx, blockDim and threadIdx; return if outside C; a loop over k; one store to C.
  (void)A, (void)B, (void)C, (void)M, (void)N, (void)K;
}

void gemm_naive(sim::global_ptr<const float> A, sim::global_ptr<const float> B, sim::global_ptr<float> C, int M,
                int N, int K) {
  // TODO: choose a block (e.g. 32×32 threads) and a grid that covers all of C, then
  //   sim::launch(gemm_naive_kernel, grid, block, A, B, C, M, N, K);
  (void)A, (void)B, (void)C, (void)M, (void)N, (void)K;
  qwen3::exercises::not_implemented("11_first_kernel", "first_kernel.cpp",
                                    "one thread per C[m][n]: m = blockIdx.x * blockDim.x + threadIdx.x");
}

}  // namespace learner
