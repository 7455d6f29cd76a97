// Exercise 14_register_blocking — the one file you edit. Statement: exercises/14_register_blocking/README.md.
// Check your answer: qwen3emb exercise check 14_register_blocking
// This file compiles for the CPU simulator (the checks) and, unchanged, with nvcc for a real GPU.
#include "exercises/14_register_blocking/register_blocking.h"

#include "exercises/common/todo.h"

namespace learner {

constexpr int BM = 64, BN = 64, BK = 8;          // block tile of C, and the k slice staged in shared memory
constexpr int TM = 4, TN = 4;                    // each thread's micro-tile of C
constexpr int kThreads = (BM / TM) * (BN / TN);  // 256

// Block (bx, by) computes C[by*BM .. +BM][bx*BN .. +BN]; thread t the 4×4 micro-tile at rows (t / 16) * TM ..,
// columns (t % 16) * TN ..
// A: [M, K], B: [N, K], C: [M, N]
__global__ void gemm_register_blocking_kernel(sim::global_ptr<const float> A, sim::global_ptr<const float> B,
                                              sim::global_ptr<float> C, int M, int N, int K) {
  // TODO: shared slices stored k-major, e.g. QWEN3_SHARED(float, As, [BK][BM + 4]); (As[k][i] = A[m0 + i][k0 + k])
  //   for each BK-wide slice: the 256 threads load the 64×8 slices of A and of B (zeros outside), __syncthreads;
  //   for each kk: TM values of A and TN values of B into registers, then the TM×TN outer product into acc;
  //   __syncthreads. Finally store the micro-tile (only the elements inside C).
  (void)A, (void)B, (void)C, (void)M, (void)N, (void)K;
}

void gemm_register_blocking(sim::global_ptr<const float> A, sim::global_ptr<const float> B,
                            sim::global_ptr<float> C, int M, int N, int K) {
  // TODO: kThreads threads per block, ⌈N/BN⌉ × ⌈M/BM⌉ blocks, sim::launch(...)
  (void)A, (void)B, (void)C, (void)M, (void)N, (void)K, (void)kThreads;
  qwen3::exercises::not_implemented("14_register_blocking", "register_blocking.cpp",
                                    "per k: 4 values of A and 4 of B into registers, then 16 multiply-adds");
}

}  // namespace learner
