// mistake: threadIdx.x walks m, as in the first kernel: the numbers are right, but a warp then reads A and writes C 32 rows apart (32 sectors per request instead of 1 and 4): over the budget
#include "exercises/12_coalescing/coalescing.h"

namespace learner {

constexpr int kTile = 32;  // threadIdx.x spans one warp: a warp is 32 consecutive columns of one row of C

// One thread per output, consecutive lanes on consecutive columns n: C[m][n] = Σ_k A[m][k] · B[n][k]
// A: [M, K], B: [N, K], C: [M, N]
__global__ void gemm_coalesced_kernel(sim::global_ptr<const float> A, sim::global_ptr<const float> B,
                                      sim::global_ptr<float> C, int M, int N, int K) {
  const int m = blockIdx.x * blockDim.x + threadIdx.x;
  const int n = blockIdx.y * blockDim.y + threadIdx.y;
  if (m >= M || n >= N) return;
  float acc = 0.0f;
  for (int k = 0; k < K; ++k) acc += A[m * K + k] * B[n * K + k];  // A[m][k]: one address for the warp
  C[m * N + n] = acc;                                                // 32 consecutive floats: one 128-byte line
}

void gemm_coalesced(sim::global_ptr<const float> A, sim::global_ptr<const float> B, sim::global_ptr<float> C, int M,
                    int N, int K) {
  if (M == 0 || N == 0) return;
  const dim3 block(kTile, kTile);
  const dim3 grid((M + kTile - 1) / kTile, (N + kTile - 1) / kTile);
  sim::launch(gemm_coalesced_kernel, grid, block, A, B, C, M, N, K);
}

}  // namespace learner
