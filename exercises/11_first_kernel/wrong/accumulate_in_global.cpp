// mistake: the sum is kept in C itself (C[m][n] += ... inside the loop): the numbers are right, but every thread reads and writes global memory K times instead of writing once, far over the budget
#include "exercises/11_first_kernel/first_kernel.h"

namespace learner {

constexpr int kTile = 32;  // a 32×32 block of threads, one thread per output

// One thread per output: C[m][n] = Σ_k A[m][k] · B[n][k]
// A: [M, K], B: [N, K], C: [M, N]
__global__ void gemm_naive_kernel(sim::global_ptr<const float> A, sim::global_ptr<const float> B,
                                  sim::global_ptr<float> C, int M, int N, int K) {
  const int m = blockIdx.x * blockDim.x + threadIdx.x;
  const int n = blockIdx.y * blockDim.y + threadIdx.y;
  if (m >= M || n >= N) return;  // the grid is rounded up: the last blocks hang over the edges of C
  C[m * N + n] = 0.0f;
  for (int k = 0; k < K; ++k) C[m * N + n] += A[m * K + k] * B[n * K + k];
}

void gemm_naive(sim::global_ptr<const float> A, sim::global_ptr<const float> B, sim::global_ptr<float> C, int M,
                int N, int K) {
  if (M == 0 || N == 0) return;
  const dim3 block(kTile, kTile);
  const dim3 grid((M + kTile - 1) / kTile, (N + kTile - 1) / kTile);  // ⌈M/32⌉ × ⌈N/32⌉ blocks
  sim::launch(gemm_naive_kernel, grid, block, A, B, C, M, N, K);
}

}  // namespace learner
