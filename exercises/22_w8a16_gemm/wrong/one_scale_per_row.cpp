// mistake: one scale for the whole row (its first block's): there is a scale per 32 weights, S[n][k/32]
#include "exercises/22_w8a16_gemm/w8a16_gemm.h"

namespace learner {

constexpr int kTile = 32;  // BM = BN = BK = 32 = the scale block: one scale per weight row per k-tile

// Block (bx, by) computes Y[by*32 .. +32][bx*32 .. +32]; thread (tx, ty) computes Y[by*32 + ty][bx*32 + tx].
// X: [M, K] bf16, Wq: [N, K] int8, S: [N, K/32], Y: [M, N]
__global__ void gemm_w8a16_kernel(sim::global_ptr<const uint16_t> X, sim::global_ptr<const int8_t> Wq,
                                  sim::global_ptr<const float> S, sim::global_ptr<float> Y, int M, int N, int K) {
  QWEN3_SHARED(float, Xs, [kTile][kTile]);      // Xs[i][k] = X[m0 + i][k0 + k], widened to float
  QWEN3_SHARED(float, Ws, [kTile][kTile + 1]);  // Ws[j][k] = W[n0 + j][k0 + k], dequantised; padded against conflicts
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int m0 = blockIdx.y * kTile, n0 = blockIdx.x * kTile;
  const int blocks_per_row = K / 32;
  float acc = 0.0f;
  for (int k0 = 0; k0 < K; k0 += kTile) {
    const int k = k0 + tx;  // < K: K is a multiple of 32
    // 1. load X: lane tx reads column k of row m0 + ty (64 contiguous bytes a warp)
    Xs[ty][tx] = m0 + ty < M ? bf16_bits_to_float(X[(m0 + ty) * K + k]) : 0.0f;
    // 2. load W as int8 (32 contiguous bytes a warp: one sector) and its row's scale for this k-tile (one address for
    //    the whole warp: one sector), and dequantise in a register: w = s · q
    if (n0 + ty < N) {
      const float s = S[(n0 + ty) * blocks_per_row];
      const int8_t q = Wq[(n0 + ty) * K + k];
      Ws[ty][tx] = s * static_cast<float>(q);
    } else {
      Ws[ty][tx] = 0.0f;
    }
    __syncthreads();
    // 3. compute from shared memory, exactly as in exercise 13
    for (int kk = 0; kk < kTile; ++kk) acc += Xs[ty][kk] * Ws[tx][kk];
    __syncthreads();
  }
  const int m = m0 + ty, n = n0 + tx;
  if (m < M && n < N) Y[m * N + n] = acc;
}

void gemm_w8a16(sim::global_ptr<const uint16_t> X, sim::global_ptr<const int8_t> Wq, sim::global_ptr<const float> S,
                sim::global_ptr<float> Y, int M, int N, int K) {
  if (M == 0 || N == 0) return;
  const dim3 block(kTile, kTile);
  const dim3 grid((N + kTile - 1) / kTile, (M + kTile - 1) / kTile);
  sim::launch(gemm_w8a16_kernel, grid, block, X, Wq, S, Y, M, N, K);
}

}  // namespace learner
