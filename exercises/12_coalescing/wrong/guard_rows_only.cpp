// mistake: the edge guard checks m but not n: when N is not a multiple of 32 the threads past the last column compute garbage into the next row of C (or past its end)
#include "exercises/12_coalescing/coalescing.h"

namespace learner {

constexpr int kTile = 32;  // threadIdx.x spans one warp: a warp is 32 consecutive columns of one row of C

// One thread per output, consecutive lanes on consecutive columns n: C[m][n] = Σ_k A[m][k] · B[n][k]
// A: [M, K], B: [N, K], C: [M, N]
__global__ void gemm_coalesced_kernel(sim::global_ptr<const float> A, sim::global_ptr<const float> B,
                                      sim::global_ptr<float> C, int M, int N, int K) {
  const int n = blockIdx.x * blockDim.x + threadIdx.x;  // lanes: consecutive columns of C
  const int m = blockIdx.y * blockDim.y + threadIdx.y;  // the whole warp: one row of C, one row of A
  if (m >= M) return;
  float acc = 0.0f;
  for (int k = 0; k < K; ++k) acc += A[m * K + k] * B[n * K + k];  // A[m][k]: one address for the warp
  C[m * N + n] = acc;                                                // 32 consecutive floats: one 128-byte line
}

void gemm_coalesced(sim::global_ptr<const float> A, sim::global_ptr<const float> B, sim::global_ptr<float> C, int M,
                    int N, int K) {
  if (M == 0 || N == 0) return;
  const dim3 block(kTile, kTile);
  const dim3 grid((N + kTile - 1) / kTile, (M + kTile - 1) / kTile);  // x along n, y along m
  sim::launch(gemm_coalesced_kernel, grid, block, A, B, C, M, N, K);
}

}  // namespace learner
