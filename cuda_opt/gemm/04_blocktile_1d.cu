// Step 4: 1-D register blocking. Each thread computes TM = 8 outputs of one column of C instead of one.
//
// Idea: in step 3 every FMA needed two shared-memory loads. Here a thread keeps one B value in a register and
// multiplies it by 8 consecutive A values: per k, 1 + 8 shared loads feed 8 FMAs. The block tile grows to
// BM = 64 rows × BN = 64 columns, walked in BK = 8 slices, with 512 threads (64·64 / 8): each slice moves
// (64 + 64)·8 floats from global memory for 2·64·64·8 FLOPs, 16 FLOP per byte of L2 traffic (step 3: 8).
// Shared tiles are stored k-major (As[k][m], Bs[k][n]: transposed on the way in, since A and B are both
// K-contiguous in global memory) so that a thread's 8 A values are 8 consecutive words (one per-warp broadcast
// each) and a warp's B values are 32 consecutive words (no bank conflict). Rows padded by 4 floats so that the
// transposing stores (8 k × 4 rows per warp) spread over the 32 banks.
//
// Expected: ~2× step 3 (siboehm's kernel 4 gained about that), shared-memory instructions per FMA down from 2 to
// about 1.1. Edges: zero-filled loads, guarded stores.
// measured (H100 80GB HBM3, 2026-11-26, docs/results/gemm-ladder.md): 18.6 TFLOP/s at 4096³,
// 37.8% of cuBLAS fp32; 8B shapes (qkv / o_proj / gate+up / down) at M = 4096: 37.6% / 38.1% / 37.2% / 35.0%.
#include "cuda_opt/gemm/gemm.h"
#include "cuda_opt/gemm/gemm_common.cuh"

namespace qwen3::gemm {

namespace {

constexpr int BM = 64, BN = 64, BK = 8, TM = 8;
constexpr int kThreads = BM * BN / TM;  // 512: one thread per TM outputs
constexpr int kPad = 4;                 // floats of padding per shared row
static_assert(BM % TM == 0, "a thread's TM rows must tile BM");
static_assert(kThreads == BM * BK && kThreads == BN * BK, "one A and one B element loaded per thread per slice");
static_assert(kThreads % BN == 0 && kThreads <= 1024, "thread layout: BN columns × (BM / TM) row groups");
static_assert(BN % 32 == 0, "a warp must lie in one row group (broadcast A reads)");

// C[M,N] = A[M,K] · B[N,K]ᵀ; block (bx, by) computes C[by*BM .. +BM][bx*BN .. +BN]
__global__ void __launch_bounds__(kThreads) blocktile_1d_kernel(const float* A, const float* B, float* C, int M,
                                                                int N, int K) {
  __shared__ float As[BK][BM + kPad];  // As[k][i] = A[m0 + i][k0 + k]
  __shared__ float Bs[BK][BN + kPad];  // Bs[k][j] = B[n0 + j][k0 + k]
  const int t = threadIdx.x;
  const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
  const int col = t % BN;          // this thread's column of the tile
  const int row0 = (t / BN) * TM;  // and its first row
  // load mapping: element (r, kk) of each BM×BK (BN×BK) slice, 8 lanes along k per row
  const int load_r = t / BK, load_k = t % BK;

  float acc[TM] = {};
  for (int k0 = 0; k0 < K; k0 += BK) {
    const int k = k0 + load_k;
    As[load_k][load_r] = (m0 + load_r < M && k < K) ? A[static_cast<size_t>(m0 + load_r) * K + k] : 0.0f;
    Bs[load_k][load_r] = (n0 + load_r < N && k < K) ? B[static_cast<size_t>(n0 + load_r) * K + k] : 0.0f;
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < BK; ++kk) {
      const float b = Bs[kk][col];  // one register reused TM times
#pragma unroll
      for (int i = 0; i < TM; ++i) acc[i] += As[kk][row0 + i] * b;
    }
    __syncthreads();
  }
  const int n = n0 + col;
  if (n >= N) return;
#pragma unroll
  for (int i = 0; i < TM; ++i) {
    const int m = m0 + row0 + i;
    if (m < M) C[static_cast<size_t>(m) * N + n] = acc[i];
  }
}

}  // namespace

void gemm_04_blocktile_1d(const float* A, const float* B, float* C, int M, int N, int K, cudaStream_t s) {
  const dim3 grid(detail::ceil_div(N, BN), detail::ceil_div(M, BM));
  detail::check_shape("gemm_04_blocktile_1d", M, N, K, grid.y);
  if (M == 0 || N == 0) return;
  blocktile_1d_kernel<<<grid, kThreads, 0, s>>>(A, B, C, M, N, K);
  QWEN3_CUDA_CHECK_LAUNCH("gemm_04_blocktile_1d");
}

}  // namespace qwen3::gemm
