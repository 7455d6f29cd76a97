// Step 3: shared-memory tiling. A block computes a 32×32 tile of C and walks K in 32-wide slices; each slice of
// A (32 rows × 32 k) and of B (32 rows × 32 k) is loaded once into shared memory by the whole block, with the
// lanes of a warp reading 32 consecutive k of one row (coalesced for both inputs at last), then every thread
// reads its 2×32 operands from shared memory.
//
// Idea: reuse. Each element brought from global memory now serves 32 threads instead of one, so global (L2)
// traffic drops 32×: per slice the block moves 2·32·32 floats for 2·32·32·32 FLOPs, 8 FLOP per byte of L2
// traffic. The inner loop reads As[ty][k] (the same address for the whole warp: a broadcast) and Bs[tx][k]
// (32 rows of one column): with a row length of 32 floats those 32 reads hit one bank; one float of padding per
// row (33) spreads them over the 32 banks.
//
// Expected: ~1.5-2× step 2. The kernel is now bound by shared-memory load instructions: two LDS per FMA.
// Edges: out-of-range loads put zeros in shared memory (they add nothing), out-of-range outputs are not stored.
// measured (H100 80GB HBM3, 2026-11-26, docs/results/gemm-ladder.md): 8.9 TFLOP/s at 4096³,
// 18.1% of cuBLAS fp32; 8B shapes (qkv / o_proj / gate+up / down) at M = 4096: 17.6% / 18.2% / skipped / skipped.
#include "cuda_opt/gemm/gemm.h"
#include "cuda_opt/gemm/gemm_common.cuh"

namespace qwen3::gemm {

namespace {

constexpr int kTile = 32;  // BM = BN = BK = 32, one thread per output
static_assert(kTile == 32, "one warp per row of the tile: the load and bank arguments assume 32");

// C[M,N] = A[M,K] · B[N,K]ᵀ; block (bx, by) computes C[by*32 .. +32][bx*32 .. +32]
__global__ void smem_tiling_kernel(const float* A, const float* B, float* C, int M, int N, int K) {
  __shared__ float As[kTile][kTile];      // As[i][k] = A[m0 + i][k0 + k]
  __shared__ float Bs[kTile][kTile + 1];  // Bs[j][k] = B[n0 + j][k0 + k], padded: column reads hit 32 banks
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int m0 = blockIdx.y * kTile, n0 = blockIdx.x * kTile;
  const int m = m0 + ty, n = n0 + tx;  // this thread's output
  float acc = 0.0f;
  for (int k0 = 0; k0 < K; k0 += kTile) {
    // load: lane tx reads column k0 + tx of row ty of each tile (coalesced), zero outside the matrices
    const int k = k0 + tx;
    As[ty][tx] = (m0 + ty < M && k < K) ? A[static_cast<size_t>(m0 + ty) * K + k] : 0.0f;
    Bs[ty][tx] = (n0 + ty < N && k < K) ? B[static_cast<size_t>(n0 + ty) * K + k] : 0.0f;
    __syncthreads();
    // compute: C[m][n] += Σ_kk A[m][k0+kk] · B[n][k0+kk]
#pragma unroll
    for (int kk = 0; kk < kTile; ++kk) acc += As[ty][kk] * Bs[tx][kk];
    __syncthreads();  // before the next slice overwrites the tiles
  }
  if (m < M && n < N) C[static_cast<size_t>(m) * N + n] = acc;
}

}  // namespace

void gemm_03_smem_tiling(const float* A, const float* B, float* C, int M, int N, int K, cudaStream_t s) {
  const dim3 grid(detail::ceil_div(N, kTile), detail::ceil_div(M, kTile));
  detail::check_shape("gemm_03_smem_tiling", M, N, K, grid.y);
  if (M == 0 || N == 0) return;
  smem_tiling_kernel<<<grid, dim3(kTile, kTile), 0, s>>>(A, B, C, M, N, K);
  QWEN3_CUDA_CHECK_LAUNCH("gemm_03_smem_tiling");
}

}  // namespace qwen3::gemm
