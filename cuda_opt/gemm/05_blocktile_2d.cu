// Step 5: 2-D register blocking. Each thread computes an 8×8 sub-tile of C (TM × TN) as outer products.
//
// Idea: per k, a thread loads 8 A values and 8 B values into registers and does 8·8 = 64 FMAs with them:
// 16 shared loads for 64 FMAs (step 4: 9 for 8). The block tile grows to 128×128 with 256 threads, walked in
// BK = 8 slices: (128 + 128)·8 floats per slice for 2·128·128·8 FLOPs, 32 FLOP per byte of L2 traffic (step 4:
// 16), and 64 accumulators per thread. Shared tiles k-major as in step 4, rows padded by 4 floats.
//
// Expected: ~2× step 4 (siboehm's kernel 5: ~1.7-2×), FMA-issue bound at last for large shapes; the remaining
// costs are scalar 4-byte loads everywhere and 4-way bank conflicts on the B reads (16 threads reading words
// 8 apart), which step 6 removes. ~128 registers per thread: 2 blocks per SM.
// Edges: zero-filled loads, guarded stores (a 128-row tile wastes work when M is small, e.g. M = 1).
// measured (H100 80GB HBM3, 2026-11-26, docs/results/gemm-ladder.md): 32.3 TFLOP/s at 4096³,
// 65.5% of cuBLAS fp32; 8B shapes (qkv / o_proj / gate+up / down) at M = 4096: 64.6% / 66.0% / 62.7% / 62.6%.
#include "cuda_opt/gemm/gemm.h"
#include "cuda_opt/gemm/gemm_common.cuh"

namespace qwen3::gemm {

namespace {

constexpr int BM = 128, BN = 128, BK = 8, TM = 8, TN = 8;
constexpr int kThreads = (BM / TM) * (BN / TN);  // 256
constexpr int kPad = 4;
static_assert(BM % TM == 0 && BN % TN == 0, "thread sub-tiles must tile the block tile");
static_assert((BM * BK) % kThreads == 0 && (BN * BK) % kThreads == 0, "each thread loads whole elements");
static_assert(kThreads % BK == 0, "a load pass covers whole rows of the slice");
static_assert(kThreads <= 1024, "block size");

// C[M,N] = A[M,K] · B[N,K]ᵀ; block (bx, by) computes C[by*BM .. +BM][bx*BN .. +BN]
__global__ void __launch_bounds__(kThreads) blocktile_2d_kernel(const float* A, const float* B, float* C, int M,
                                                                int N, int K) {
  __shared__ float As[BK][BM + kPad];  // As[k][i] = A[m0 + i][k0 + k]
  __shared__ float Bs[BK][BN + kPad];  // Bs[k][j] = B[n0 + j][k0 + k]
  const int t = threadIdx.x;
  const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
  const int trow = t / (BN / TN), tcol = t % (BN / TN);  // this thread's sub-tile: rows trow*TM.., cols tcol*TN..

  float acc[TM][TN] = {};
  float a_reg[TM], b_reg[TN];
  for (int k0 = 0; k0 < K; k0 += BK) {
    // load: pass p covers rows (t + p*256) / BK of the slice, BK lanes per row along k (32 bytes per row)
#pragma unroll
    for (int p = 0; p < BM * BK / kThreads; ++p) {
      const int idx = t + p * kThreads, r = idx / BK, kk = idx % BK, k = k0 + kk;
      As[kk][r] = (m0 + r < M && k < K) ? A[static_cast<size_t>(m0 + r) * K + k] : 0.0f;
    }
#pragma unroll
    for (int p = 0; p < BN * BK / kThreads; ++p) {
      const int idx = t + p * kThreads, r = idx / BK, kk = idx % BK, k = k0 + kk;
      Bs[kk][r] = (n0 + r < N && k < K) ? B[static_cast<size_t>(n0 + r) * K + k] : 0.0f;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < BK; ++kk) {
#pragma unroll
      for (int i = 0; i < TM; ++i) a_reg[i] = As[kk][trow * TM + i];
#pragma unroll
      for (int j = 0; j < TN; ++j) b_reg[j] = Bs[kk][tcol * TN + j];
#pragma unroll
      for (int i = 0; i < TM; ++i) {
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] += a_reg[i] * b_reg[j];  // outer product
      }
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < TM; ++i) {
    const int m = m0 + trow * TM + i;
    if (m >= M) break;
#pragma unroll
    for (int j = 0; j < TN; ++j) {
      const int n = n0 + tcol * TN + j;
      if (n < N) C[static_cast<size_t>(m) * N + n] = acc[i][j];
    }
  }
}

}  // namespace

void gemm_05_blocktile_2d(const float* A, const float* B, float* C, int M, int N, int K, cudaStream_t s) {
  const dim3 grid(detail::ceil_div(N, BN), detail::ceil_div(M, BM));
  detail::check_shape("gemm_05_blocktile_2d", M, N, K, grid.y);
  if (M == 0 || N == 0) return;
  blocktile_2d_kernel<<<grid, kThreads, 0, s>>>(A, B, C, M, N, K);
  QWEN3_CUDA_CHECK_LAUNCH("gemm_05_blocktile_2d");
}

}  // namespace qwen3::gemm
