// mistake: no __syncthreads() after the multiply: a fast thread overwrites the tiles with the next slice while slower threads still read the current one (right only when K fits in one slice)
#include "exercises/13_shared_tiling/shared_tiling.h"

namespace learner {

constexpr int kTile = 32;  // BM = BN = BK = 32, one thread per output

// Block (bx, by) computes C[by*32 .. +32][bx*32 .. +32]; thread (tx, ty) computes C[by*32 + ty][bx*32 + tx]
// A: [M, K], B: [N, K], C: [M, N]
__global__ void gemm_shared_tiling_kernel(sim::global_ptr<const float> A, sim::global_ptr<const float> B,
                                          sim::global_ptr<float> C, int M, int N, int K) {
  QWEN3_SHARED(float, As, [kTile][kTile]);      // As[i][k] = A[m0 + i][k0 + k]
  QWEN3_SHARED(float, Bs, [kTile][kTile + 1]);  // Bs[j][k] = B[n0 + j][k0 + k]; padded: column reads hit 32 banks
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int m0 = blockIdx.y * kTile, n0 = blockIdx.x * kTile;
  const int m = m0 + ty, n = n0 + tx;  // this thread's output
  float acc = 0.0f;
  for (int k0 = 0; k0 < K; k0 += kTile) {
    // 1. load: lane tx reads column k0 + tx of row ty of each tile (coalesced), zero outside the matrices
    const int k = k0 + tx;
    As[ty][tx] = (m0 + ty < M && k < K) ? A[(m0 + ty) * K + k] : 0.0f;
    Bs[ty][tx] = (n0 + ty < N && k < K) ? B[(n0 + ty) * K + k] : 0.0f;
    __syncthreads();  // 2. the tiles are complete before anyone reads them
    // 3. compute: As[ty][kk] is one address for the warp (broadcast), Bs[tx][kk] 32 rows of one column
    for (int kk = 0; kk < kTile; ++kk) acc += As[ty][kk] * Bs[tx][kk];
  }
  if (m < M && n < N) C[m * N + n] = acc;
}

void gemm_shared_tiling(sim::global_ptr<const float> A, sim::global_ptr<const float> B, sim::global_ptr<float> C,
                        int M, int N, int K) {
  if (M == 0 || N == 0) return;
  const dim3 block(kTile, kTile);
  const dim3 grid((N + kTile - 1) / kTile, (M + kTile - 1) / kTile);
  sim::launch(gemm_shared_tiling_kernel, grid, block, A, B, C, M, N, K);
}

}  // namespace learner
