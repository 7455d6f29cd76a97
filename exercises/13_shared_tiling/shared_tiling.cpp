// Exercise 13_shared_tiling — the one file you edit. Statement: exercises/13_shared_tiling/README.md.
// Check your answer: qwen3emb exercise check 13_shared_tiling
// This file compiles for the CPU simulator (the checks) and, unchanged, with nvcc for a real GPU.
#include "exercises/13_shared_tiling/shared_tiling.h"

#include "exercises/common/todo.h"

namespace learner {

constexpr int kTile = 32;  // BM = BN = BK = 32, one thread per output

// Block (bx, by) computes C[by*32 .. +32][bx*32 .. +32]; thread (tx, ty) computes C[by*32 + ty][bx*32 + tx]
// A: [M, K], B: [N, K], C: [M, N]
__global__ void gemm_shared_tiling_kernel(sim::global_ptr<const float> A, sim::global_ptr<const float> B,
                                          sim::global_ptr<float> C, int M, int N, int K) {
  // Shared tiles are declared like this (under nvcc: __shared__ float As[kTile][kTile];):
  //   QWEN3_SHARED(float, As, [kTile][kTile]);
  // TODO: for each 32-wide slice k0 of K:
  //   1. every thread loads one element of the A tile and one of the B tile (lanes along k: coalesced),
  //      zero when outside the matrices;
  //   2. __syncthreads();  3. acc += Σ_kk As[ty][kk] · Bs[tx][kk];  4. __syncthreads();
  // then store C[m][n] if it is inside C.
  (void)A, (void)B, (void)C, (void)M, (void)N, (void)K;
}

void gemm_shared_tiling(sim::global_ptr<const float> A, sim::global_ptr<const float> B, sim::global_ptr<float> C,
                        int M, int N, int K) {
  // TODO: block 32×32, grid ⌈N/32⌉ × ⌈M/32⌉, sim::launch(gemm_shared_tiling_kernel, grid, block, A, B, C, M, N, K)
  (void)A, (void)B, (void)C, (void)M, (void)N, (void)K;
  qwen3::exercises::not_implemented("13_shared_tiling", "shared_tiling.cpp",
                                    "load a 32×32 tile of A and of B into shared memory, __syncthreads, multiply");
}

}  // namespace learner
