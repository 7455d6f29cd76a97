// Step 9 (the kernel; 09_mma_sync_ldmatrix.cu launches it): mma.sync with ldmatrix, a swizzled shared-memory layout and a 4-stage cp.async pipeline.
//
// Idea: three things WMMA hides or lacks.
// 1. The PTX instruction itself: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 on register fragments
//    whose layout is documented (PTX ISA, "Matrix fragments for mma.m16n8k16"), so we choose how they are loaded.
// 2. ldmatrix.x4: one instruction loads four 8×8 bf16 matrices from shared memory straight into that fragment
//    layout (each lane gives the address of one 16-byte row). A's 16×16 fragment = one ldmatrix.x4; two n8 tiles
//    of B (B [N,K] row-major is exactly the "col" operand: rows of n, contiguous k) = one ldmatrix.x4.
// 3. A swizzle instead of padding: a shared row is BK = 32 bf16 = 64 bytes = four 16-byte chunks, and chunk c of
//    row r is stored at chunk c ^ ((r >> 1) & 3). The 8 rows an ldmatrix phase reads (r = 8q .. 8q+7, one
//    logical chunk) then land in 8 different 16-byte slots of a 128-byte bank window: no conflicts, no wasted
//    bytes, and cp.async can still write whole 16-byte chunks.
// 4. A multi-stage pipeline (kStages = 4 slices in flight, the CUTLASS "multistage" order): wait for slice s,
//    one barrier, issue slice s+3 into the stage slice s-1 used, compute slice s.
// Block tile 128×128, 8 warps of 64×32 (4 m16 × 4 n8 mma tiles, 64 fp32 accumulators per thread).
// Shared memory 4 × (128 + 128) × 64 B = 64 KB: dynamic, above the 48 KB default (cudaFuncSetAttribute).
//
// Preconditions of the cp.async path, checked at run time: K a multiple of 8, A and B 16-byte aligned.
// Otherwise (kVec = false) each chunk is assembled from guarded element loads and stored with an ordinary
// 16-byte shared store at the same swizzled place (the pipeline then only overlaps with itself, but stays correct).
// Out-of-range chunks are zero-filled (cp.async src-size 0); outputs are guarded (float2 stores when N is even).
//
// Expected: the issue's target is >= 60% of cuBLAS bf16 on the 8B shapes at M = 4096. 128×128×32 slices:
// 2·128·128·32 FLOPs per 16 KB, 64 FLOP per byte of L2 traffic; mma.sync on Hopper reaches roughly 60-70% of
// the wgmma peak at best, so 50-65% of cuBLAS is the likely range.
// 5. (added after the first measurement) grouped block order, gemm_epilogue.cuh: grouped_tile.
// measured (H100, 2026-11-26, before 5.): 376 TFLOP/s at 4096³, 50% of cuBLAS; 8B shapes at M = 4096: 49.6 / 49.7
// / 32.8 (gate+up) / 49.1% (docs/results/gemm-ladder.md). After 5. (run 2): 354 TFLOP/s at 4096³ (48%); 8B shapes
// 48.1 / 48.1 / 43.0 / 41.3%: gate+up gained, down_proj lost (unexplained; one run each).
//
// The kernel is a template over its Epilogue, what is done with each finished pair of outputs: the ladder stores
// fp32 (StoreF32); the optimised forward pass (cuda_opt/linear.cu) stores bf16, adds into the residual stream or
// applies SwiGLU there, without another pass over memory.
#pragma once
#include <cstdint>

#include "cuda_opt/gemm/gemm.h"
#include "cuda_opt/gemm/gemm_common.cuh"
#include "cuda_opt/gemm/gemm_epilogue.cuh"

namespace qwen3::gemm::step09 {

using detail::ldmatrix_x4;
using detail::mma_m16n8k16;


constexpr int BM = 128, BN = 128, BK = 32, kStages = 4;
constexpr int kWarpsM = 2, kWarpsN = 4;
constexpr int WM = BM / kWarpsM, WN = BN / kWarpsN;  // 64 × 32 per warp
constexpr int MT = WM / 16, NT = WN / 8;             // 4 m16 tiles × 4 n8 tiles
constexpr int kThreads = kWarpsM * kWarpsN * 32;     // 256
constexpr int kChunks = BK / 8;                      // 16-byte chunks per shared row: 4
constexpr int kTileBytes = BM * BK * 2;              // one operand's slice: 8 KB
constexpr int kStageBytes = (BM + BN) * BK * 2;      // 16 KB
constexpr int kSmemBytes = kStages * kStageBytes;    // 64 KB
static_assert(BM == BN, "A and B slices share one layout and one load routine");
static_assert(kChunks == 4, "the swizzle c ^ ((r >> 1) & 3) is written for 64-byte rows");
static_assert(WM % 16 == 0 && WN % 16 == 0, "B fragments are loaded two n8 tiles at a time");
static_assert((BM * kChunks) % kThreads == 0, "whole chunks per thread");
static_assert(kStages >= 2, "a pipeline needs at least two stages");

// Byte offset of 16-byte chunk c of row r in a swizzled slice.
__device__ __forceinline__ uint32_t swizzle(int r, int c) {
  return static_cast<uint32_t>(r * (BK * 2) + ((c ^ ((r >> 1) & 3)) * 16));
}

// Copies slice k0 of rows r0.. of X [R, K] into the swizzled slice at shared address `dst` (zeros outside X).
template <bool kVec>
__device__ __forceinline__ void load_slice(unsigned char* dst, const bf16* X, int R, int K, int r0, int k0) {
#pragma unroll
  for (int p = 0; p < BM * kChunks / kThreads; ++p) {
    const int idx = threadIdx.x + p * kThreads, r = idx / kChunks, c = idx % kChunks;
    const int row = r0 + r, k = k0 + c * 8;
    unsigned char* d = dst + swizzle(r, c);
    if constexpr (kVec) {  // K % 8 == 0: the chunk is wholly in or wholly out
      const bool in = row < R && k < K;
      detail::cp_async_16(d, in ? X + static_cast<size_t>(row) * K + k : X, in ? 16 : 0);
    } else {
      alignas(16) bf16 v[8];
#pragma unroll
      for (int e = 0; e < 8; ++e) {
        v[e] = (row < R && k + e < K) ? X[static_cast<size_t>(row) * K + k + e] : __float2bfloat16_rn(0.0f);
      }
      *reinterpret_cast<uint4*>(d) = *reinterpret_cast<const uint4*>(v);
    }
  }
}

// C[M,N] = A[M,K] · B[N,K]ᵀ; block (bx, by) computes C[by*BM .. +BM][bx*BN .. +BN]
template <bool kVec, class Epilogue>
__global__ void __launch_bounds__(kThreads) mma_sync_kernel(const bf16* A, const bf16* B, int M, int N, int K,
                                                            Epilogue epilogue) {
  extern __shared__ __align__(128) unsigned char smem[];  // stage s: A slice at s*kStageBytes, B slice after it
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int warp_m = warp % kWarpsM, warp_n = warp / kWarpsM;
  const TileCoord tile = grouped_tile(blockIdx.x, detail::ceil_div(M, BM), detail::ceil_div(N, BN));
  const int m0 = tile.m * BM, n0 = tile.n * BN;
  const int num_slices = detail::ceil_div(K, BK);
  const uint32_t smem_base = static_cast<uint32_t>(__cvta_generic_to_shared(smem));

  // prologue: slices 0 .. kStages-2 in flight (one commit group each, possibly empty)
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < num_slices) {
      load_slice<kVec>(smem + s * kStageBytes, A, M, K, m0, s * BK);
      load_slice<kVec>(smem + s * kStageBytes + kTileBytes, B, N, K, n0, s * BK);
    }
    detail::cp_async_commit();
  }

  float acc[MT][NT][4] = {};
  for (int s = 0; s < num_slices; ++s) {
    detail::cp_async_wait<kStages - 2>();  // this thread's copies of slice s have landed
    __syncthreads();                       // everyone's have; and everyone finished computing slice s-1
    {  // refill the stage slice s-1 used with slice s + kStages - 1
      const int next = s + kStages - 1;
      if (next < num_slices) {
        unsigned char* stage = smem + (next % kStages) * kStageBytes;
        load_slice<kVec>(stage, A, M, K, m0, next * BK);
        load_slice<kVec>(stage + kTileBytes, B, N, K, n0, next * BK);
      }
      detail::cp_async_commit();
    }
    const uint32_t a_base = smem_base + (s % kStages) * kStageBytes;
    const uint32_t b_base = a_base + kTileBytes;
#pragma unroll
    for (int ks = 0; ks < BK / 16; ++ks) {
      uint32_t a[MT][4], b[NT][2];
#pragma unroll
      for (int mt = 0; mt < MT; ++mt) {
        // lanes 0-15: rows 0-15 at k 0-7; lanes 16-31: rows 0-15 at k 8-15 -> a0, a1, a2, a3 of mma.m16n8k16
        const int r = warp_m * WM + mt * 16 + (lane % 16);
        ldmatrix_x4(a[mt], a_base + swizzle(r, ks * 2 + lane / 16));
      }
#pragma unroll
      for (int np = 0; np < NT / 2; ++np) {
        // lanes 0-7: n tile 2np, k 0-7 (b0); 8-15: tile 2np, k 8-15 (b1); 16-23, 24-31: the same for tile 2np+1
        const int r = warp_n * WN + np * 16 + (lane / 16) * 8 + (lane % 8);
        uint32_t q[4];
        ldmatrix_x4(q, b_base + swizzle(r, ks * 2 + (lane / 8) % 2));
        b[2 * np][0] = q[0], b[2 * np][1] = q[1], b[2 * np + 1][0] = q[2], b[2 * np + 1][1] = q[3];
      }
#pragma unroll
      for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
        for (int nt = 0; nt < NT; ++nt) mma_m16n8k16(acc[mt][nt], a[mt], b[nt][0], b[nt][1]);
      }
    }
  }
  detail::cp_async_wait<0>();  // only empty groups can remain; leave nothing in flight

  // epilogue: accumulator (mt, nt) holds rows g, g+8 and columns 2t, 2t+1 of its 16×8 tile (g = lane/4, t = lane%4);
  // what happens to each (row, column pair) is the Epilogue's business (gemm_epilogue.cuh)
#pragma unroll
  for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int m = m0 + warp_m * WM + mt * 16 + lane / 4 + half * 8;
      if (m >= M) continue;
#pragma unroll
      for (int nt = 0; nt < NT; ++nt) {
        const int n = n0 + warp_n * WN + nt * 8 + (lane % 4) * 2;
        if (n < N) epilogue(m, n, acc[mt][nt][half * 2], acc[mt][nt][half * 2 + 1]);
      }
    }
  }
}

// Launches C = epilogue(A·Bᵀ) over a 1-D grid of ceil(M/BM)·ceil(N/BN) blocks in grouped order. kVec: K % 8 == 0 and
// A, B 16-byte aligned (the cp.async path).
template <bool kVec, class Epilogue>
void launch(const bf16* A, const bf16* B, int M, int N, int K, Epilogue epilogue, cudaStream_t s, const char* what) {
  QWEN3_CUDA_CHECK(cudaFuncSetAttribute(mma_sync_kernel<kVec, Epilogue>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                        kSmemBytes),
                   std::string(what) + ": allowing 64 KB of shared memory");
  const unsigned blocks = static_cast<unsigned>(detail::ceil_div(M, BM)) * static_cast<unsigned>(detail::ceil_div(N, BN));
  mma_sync_kernel<kVec, Epilogue><<<blocks, kThreads, kSmemBytes, s>>>(A, B, M, N, K, epilogue);
  QWEN3_CUDA_CHECK_LAUNCH(what);
}

// Picks the cp.async path when its preconditions hold, the guarded one otherwise.
template <class Epilogue>
void run(const bf16* A, const bf16* B, int M, int N, int K, Epilogue epilogue, cudaStream_t s, const char* what) {
  if (M == 0 || N == 0) return;
  if (K % 8 == 0 && detail::aligned(A, 16) && detail::aligned(B, 16)) {
    launch<true>(A, B, M, N, K, epilogue, s, what);
  } else {
    launch<false>(A, B, M, N, K, epilogue, s, what);
  }
}

}  // namespace qwen3::gemm::step09
