// Step 8: tensor cores through WMMA. bf16 inputs, fp32 accumulation, fp32 output.
//
// Idea: stop doing the multiply-adds one FFMA at a time. A warp-wide wmma::mma_sync multiplies a 16×16 bf16 tile
// by a 16×16 bf16 tile into a 16×16 fp32 accumulator (4096 FLOPs in one warp instruction sequence, on the tensor
// cores: an H100 SXM's datasheet dense bf16 rate is 989 TFLOP/s against 67 for fp32 FFMA). Inputs in bf16 also
// halve the bytes per element.
// Layout: a block computes a 128×128 tile of C with 8 warps, each warp a 32×64 sub-tile = 2×4 fragments; K is
// walked in BK = 32 slices staged in shared memory (As[i][k], Bs[j][k], rows padded by 8 bf16 = 16 bytes: WMMA
// needs ldm a multiple of 8 elements and 32-byte aligned fragment pointers, both hold: 80-byte rows, fragments
// start at rows multiple of 16 and k multiple of 16). B [N,K] row-major is Bᵀ [K,N] column-major, which is what
// wmma's col_major matrix_b reads: no transpose.
// Epilogue: fragments go through a per-warp 16×16 fp32 scratch in shared memory so that edge tiles can be stored
// element by element with guards (store_matrix_sync straight to C would need a whole in-range, aligned tile).
//
// Preconditions of the 16-byte load path, checked at run time: K a multiple of 8, A and B 16-byte aligned;
// otherwise element loads with guards (kVec = false). Out-of-range elements are zeros.
//
// Expected: several times step 7 despite no pipelining (load → sync → compute): the tensor cores make the
// arithmetic nearly free and the kernel becomes bound by its synchronous loads and by shared-memory bank
// conflicts of the fragment loads (the padding removes only part of them): perhaps 20-35% of cuBLAS bf16.
// measured (H100 80GB HBM3, 2026-11-26, docs/results/gemm-ladder.md): 173.9 TFLOP/s at 4096³,
// 23.1% of cuBLAS bf16; 8B shapes (qkv / o_proj / gate+up / down) at M = 4096: 23.4% / 23.0% / 23.6% / 21.8%.
#include <mma.h>

#include "cuda_opt/gemm/gemm.h"
#include "cuda_opt/gemm/gemm_common.cuh"

namespace qwen3::gemm {

namespace {

namespace wmma = nvcuda::wmma;

constexpr int BM = 128, BN = 128, BK = 32;
constexpr int kWarpsM = 4, kWarpsN = 2;                 // 8 warps
constexpr int WM = BM / kWarpsM, WN = BN / kWarpsN;     // 32 × 64 per warp
constexpr int kFrag = 16;                               // m16n16k16
constexpr int FM = WM / kFrag, FN = WN / kFrag;         // 2 × 4 fragments per warp
constexpr int kThreads = kWarpsM * kWarpsN * 32;        // 256
constexpr int kRow = BK + 8;                            // padded shared row (bf16): 80 bytes
static_assert(BM % (kWarpsM * kFrag) == 0 && BN % (kWarpsN * kFrag) == 0 && BK % kFrag == 0, "fragment tiling");
static_assert(kRow % 8 == 0 && (kRow * 2) % 16 == 0, "wmma ldm must be a multiple of 8 bf16; rows 16-byte aligned");
static_assert((kFrag * kRow * 2) % 32 == 0, "fragments start on 32-byte boundaries");
static_assert((BM * BK / 8) % kThreads == 0 && (BN * BK / 8) % kThreads == 0, "whole 16-byte chunks per thread");

// Loads slice k0 of rows r0.. of X [R, K] into xs [rows][kRow] (zeros outside X).
template <bool kVec, int kRows>
__device__ __forceinline__ void load_slice(bf16 (*xs)[kRow], const bf16* X, int R, int K, int r0, int k0) {
#pragma unroll
  for (int p = 0; p < kRows * BK / 8 / kThreads; ++p) {
    const int idx = threadIdx.x + p * kThreads, r = idx / (BK / 8), kc = (idx % (BK / 8)) * 8;
    const int row = r0 + r, k = k0 + kc;
    if constexpr (kVec) {  // K % 8 == 0: the 8-element chunk is wholly in or wholly out
      uint4 v = make_uint4(0, 0, 0, 0);
      if (row < R && k < K) v = *reinterpret_cast<const uint4*>(X + static_cast<size_t>(row) * K + k);
      *reinterpret_cast<uint4*>(&xs[r][kc]) = v;
    } else {
#pragma unroll
      for (int e = 0; e < 8; ++e) {
        xs[r][kc + e] = (row < R && k + e < K) ? X[static_cast<size_t>(row) * K + k + e] : __float2bfloat16_rn(0.0f);
      }
    }
  }
}

// C[M,N] = A[M,K] · B[N,K]ᵀ; block (bx, by) computes C[by*BM .. +BM][bx*BN .. +BN]
template <bool kVec>
__global__ void __launch_bounds__(kThreads) wmma_kernel(const bf16* A, const bf16* B, float* C, int M, int N,
                                                        int K) {
  __shared__ __align__(128) bf16 As[BM][kRow];
  __shared__ __align__(128) bf16 Bs[BN][kRow];
  __shared__ __align__(128) float scratch[kThreads / 32][kFrag * kFrag];  // one 16×16 tile per warp
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int warp_m = warp / kWarpsN, warp_n = warp % kWarpsN;
  const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;

  wmma::fragment<wmma::accumulator, kFrag, kFrag, kFrag, float> acc[FM][FN];
#pragma unroll
  for (int i = 0; i < FM; ++i) {
#pragma unroll
    for (int j = 0; j < FN; ++j) wmma::fill_fragment(acc[i][j], 0.0f);
  }

  for (int k0 = 0; k0 < K; k0 += BK) {
    load_slice<kVec, BM>(As, A, M, K, m0, k0);
    load_slice<kVec, BN>(Bs, B, N, K, n0, k0);
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < BK; kk += kFrag) {
      wmma::fragment<wmma::matrix_a, kFrag, kFrag, kFrag, bf16, wmma::row_major> a[FM];
      wmma::fragment<wmma::matrix_b, kFrag, kFrag, kFrag, bf16, wmma::col_major> b[FN];
#pragma unroll
      for (int i = 0; i < FM; ++i) wmma::load_matrix_sync(a[i], &As[warp_m * WM + i * kFrag][kk], kRow);
#pragma unroll
      for (int j = 0; j < FN; ++j) wmma::load_matrix_sync(b[j], &Bs[warp_n * WN + j * kFrag][kk], kRow);
#pragma unroll
      for (int i = 0; i < FM; ++i) {
#pragma unroll
        for (int j = 0; j < FN; ++j) wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
      }
    }
    __syncthreads();
  }

  // epilogue: fragment -> this warp's scratch -> C, element by element with guards
  float* mine = scratch[warp];
#pragma unroll
  for (int i = 0; i < FM; ++i) {
#pragma unroll
    for (int j = 0; j < FN; ++j) {
      wmma::store_matrix_sync(mine, acc[i][j], kFrag, wmma::mem_row_major);
      __syncwarp();
      const int row0 = m0 + warp_m * WM + i * kFrag, col0 = n0 + warp_n * WN + j * kFrag;
#pragma unroll
      for (int e = lane; e < kFrag * kFrag; e += 32) {
        const int m = row0 + e / kFrag, n = col0 + e % kFrag;  // a half-warp writes 16 consecutive floats
        if (m < M && n < N) C[static_cast<size_t>(m) * N + n] = mine[e];
      }
      __syncwarp();  // before the next fragment overwrites the scratch
    }
  }
}

}  // namespace

void gemm_08_wmma_bf16(const bf16* A, const bf16* B, float* C, int M, int N, int K, cudaStream_t s) {
  const dim3 grid(detail::ceil_div(N, BN), detail::ceil_div(M, BM));
  detail::check_shape("gemm_08_wmma_bf16", M, N, K, grid.y);
  if (M == 0 || N == 0) return;
  const bool vec = K % 8 == 0 && detail::aligned(A, 16) && detail::aligned(B, 16);
  if (vec) {
    wmma_kernel<true><<<grid, kThreads, 0, s>>>(A, B, C, M, N, K);
  } else {
    wmma_kernel<false><<<grid, kThreads, 0, s>>>(A, B, C, M, N, K);
  }
  QWEN3_CUDA_CHECK_LAUNCH("gemm_08_wmma_bf16");
}

}  // namespace qwen3::gemm
