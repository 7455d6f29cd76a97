// Step 2: coalesced global access. The same one-thread-per-output kernel, with the thread mapping swapped.
//
// Idea: make the 32 threads of a warp touch consecutive addresses. threadIdx.x now walks n (along a row of C):
// a warp writes 32 consecutive floats of C (one 128-byte line instead of 32 sectors) and reads one A element,
// A[m][k], for all its threads (a broadcast). B [N,K] is K-contiguous, so the warp still reads B[n..n+31][k],
// 32 rows K floats apart: with this layout no one-thread-per-output mapping coalesces both inputs; the fix is
// to stage tiles through shared memory (step 3). What improves: half the uncoalesced streams and all the stores.
//
// Expected: a few times step 1 (the A stream becomes one transaction per warp; B's 32 lines per k are reused
// over the next 31 k from L1). Still ~0.25 FLOP per requested byte and load-instruction bound.
// measured (H100 80GB HBM3, 2026-11-26, docs/results/gemm-ladder.md): 0.5 TFLOP/s at 4096³,
// 1.0% of cuBLAS fp32; 8B shapes (qkv / o_proj / gate+up / down) at M = 4096: 1.0% / 1.0% / skipped / skipped.
#include "cuda_opt/gemm/gemm.h"
#include "cuda_opt/gemm/gemm_common.cuh"

namespace qwen3::gemm {

namespace {

constexpr int kTile = 32;
static_assert(kTile == 32, "threadIdx.x must span one warp for the coalescing argument");

// C[M,N] = A[M,K] · B[N,K]ᵀ; thread (x, y) of block (bx, by) computes C[by*32 + y][bx*32 + x]
__global__ void coalesced_kernel(const float* A, const float* B, float* C, int M, int N, int K) {
  const int n = blockIdx.x * kTile + threadIdx.x;  // consecutive lanes: consecutive columns of C
  const int m = blockIdx.y * kTile + threadIdx.y;
  if (m >= M || n >= N) return;
  const float* a = A + static_cast<size_t>(m) * K;  // seek to A[m, :], the same row for the whole warp
  const float* b = B + static_cast<size_t>(n) * K;  // seek to B[n, :]
  float acc = 0.0f;
  for (int k = 0; k < K; ++k) acc += a[k] * b[k];
  C[static_cast<size_t>(m) * N + n] = acc;
}

}  // namespace

void gemm_02_coalesced(const float* A, const float* B, float* C, int M, int N, int K, cudaStream_t s) {
  const dim3 grid(detail::ceil_div(N, kTile), detail::ceil_div(M, kTile));
  detail::check_shape("gemm_02_coalesced", M, N, K, grid.y);
  if (M == 0 || N == 0) return;
  coalesced_kernel<<<grid, dim3(kTile, kTile), 0, s>>>(A, B, C, M, N, K);
  QWEN3_CUDA_CHECK_LAUNCH("gemm_02_coalesced");
}

}  // namespace qwen3::gemm
