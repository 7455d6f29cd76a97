// Step 1: naive. One thread per output element C[m][n], a plain loop over k.
//
// Idea: the textbook triple loop with the two outer loops spread over threads. threadIdx.x walks m (down a
// column of C), as in siboehm/SGEMM_CUDA's kernel 1: consecutive threads of a warp read A from 32 different rows
// (addresses K floats apart: 32 separate 32-byte sectors per load instead of one 128-byte line), all read the
// same B element (a broadcast), and write C 32 rows apart (32 sectors per store).
//
// Expected: far below everything else. Each output reads 2K floats for 2K FLOPs: 0.25 FLOP per byte requested.
// The L1/L2 caches catch most of the re-reads, so the kernel is bound by load instructions and by L1 sector
// traffic, not by DRAM: of the order of 1% of cuBLAS fp32.
// measured (H100 80GB HBM3, 2026-11-26, docs/results/gemm-ladder.md): 0.5 TFLOP/s at 4096³,
// 1.0% of cuBLAS fp32; 8B shapes (qkv / o_proj / gate+up / down) at M = 4096: 1.0% / 1.0% / skipped / skipped.
#include "cuda_opt/gemm/gemm.h"
#include "cuda_opt/gemm/gemm_common.cuh"

namespace qwen3::gemm {

namespace {

constexpr int kTile = 32;  // a 32×32 block of threads, one thread per output
static_assert(kTile * kTile <= 1024, "a block holds at most 1024 threads");

// C[M,N] = A[M,K] · B[N,K]ᵀ; thread (x, y) of block (bx, by) computes C[bx*32 + x][by*32 + y]
__global__ void naive_kernel(const float* A, const float* B, float* C, int M, int N, int K) {
  const int m = blockIdx.x * kTile + threadIdx.x;
  const int n = blockIdx.y * kTile + threadIdx.y;
  if (m >= M || n >= N) return;
  const float* a = A + static_cast<size_t>(m) * K;  // seek to A[m, :]
  const float* b = B + static_cast<size_t>(n) * K;  // seek to B[n, :]
  float acc = 0.0f;
  for (int k = 0; k < K; ++k) acc += a[k] * b[k];
  C[static_cast<size_t>(m) * N + n] = acc;
}

}  // namespace

void gemm_01_naive(const float* A, const float* B, float* C, int M, int N, int K, cudaStream_t s) {
  const dim3 grid(detail::ceil_div(M, kTile), detail::ceil_div(N, kTile));
  detail::check_shape("gemm_01_naive", M, N, K, grid.y);
  if (M == 0 || N == 0) return;
  naive_kernel<<<grid, dim3(kTile, kTile), 0, s>>>(A, B, C, M, N, K);
  QWEN3_CUDA_CHECK_LAUNCH("gemm_01_naive");
}

}  // namespace qwen3::gemm
