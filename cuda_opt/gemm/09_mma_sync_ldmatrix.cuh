// Step 9 (the kernel; 09_mma_sync_ldmatrix.cu launches it): mma.sync with ldmatrix, a swizzled shared-memory
// layout and a 4-stage cp.async pipeline.
//
// Idea: three things WMMA hides or lacks.
// 1. The PTX instruction itself: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 on register fragments
//    whose layout is documented (PTX ISA, "Matrix fragments for mma.m16n8k16"), so we choose how they are loaded.
// 2. ldmatrix.x4: one instruction loads four 8×8 bf16 matrices from shared memory straight into that fragment
//    layout (each lane gives the address of one 16-byte row). A's 16×16 fragment = one ldmatrix.x4; two n8 tiles
//    of B (B [N,K] row-major is exactly the "col" operand: rows of n, contiguous k) = one ldmatrix.x4.
// 3. A swizzle instead of padding (09_layout.h: swizzle): a shared row is BK = 32 bf16 = 64 bytes = four 16-byte
//    chunks, and chunk c of row r is stored at chunk c ^ ((r >> 1) & 3) (with 64-wide slices, c ^ (r % 8)). The
//    8 rows an ldmatrix phase reads (r = 8q .. 8q+7, one logical chunk) then land in 8 different 16-byte slots of
//    a 128-byte bank window: no conflicts, no wasted bytes, and cp.async can still write whole 16-byte chunks.
// 4. A multi-stage pipeline (kStages = 4 slices in flight, the CUTLASS "multistage" order): wait for slice s,
//    one barrier, issue slice s+3 into the stage slice s-1 used, compute slice s.
// Block tile 128×128 with 4 warps of 64×64 (since 7. below; see 6. for the others tried): 4 m16 × 8 n8 mma tiles,
// 128 fp32 accumulators per thread. Shared memory 4 × (128 + 128) × 64 B = 64 KB: dynamic, above the 48 KB default
// (cudaFuncSetAttribute), two blocks per SM, within every sm_80+ GPU's limit (99 KB on sm_86/89). The tiling and all index
// math (swizzle, which row each lane hands to ldmatrix, where each accumulator lands) live in 09_layout.h, which
// the CPU test tests/test_gemm_fragment_layout.cpp checks by emulating ldmatrix and mma.sync.
//
// Preconditions of the cp.async path, checked at run time: K a multiple of 8, A and B 16-byte aligned.
// Otherwise (kVec = false) each chunk is assembled from guarded element loads and stored with an ordinary
// 16-byte shared store at the same swizzled place (the pipeline then only overlaps with itself, but stays correct).
// Out-of-range chunks are zero-filled (cp.async src-size 0); outputs are guarded (float2 stores when N is even).
//
// Expected (first version, 128×128 tiles): the issue's target is >= 60% of cuBLAS bf16 on the 8B shapes at
// M = 4096. 128×128×32 slices:
// 2·128·128·32 FLOPs per 16 KB, 64 FLOP per byte of L2 traffic; mma.sync on Hopper reaches roughly 60-70% of
// the wgmma peak at best, so 50-65% of cuBLAS is the likely range.
// 5. (added after the first measurement) grouped block order, tile_order.h: grouped_tile.
// measured (H100, 2026-11-26, before 5.): 376 TFLOP/s at 4096³, 50% of cuBLAS; 8B shapes at M = 4096: 49.6 / 49.7
// / 32.8 (gate+up) / 49.1% (docs/results/gemm-ladder.md). After 5. (run 2): 354 TFLOP/s at 4096³ (48%); 8B shapes
// 48.1 / 48.1 / 43.0 / 41.3%: gate+up gained, down_proj lost (unexplained; one run each).
// 6. (added after run 2) the warp tile grows from 64×32 to 64×64, the block tile from 128×128 to 128×256.
//    Why: shared memory bandwidth (128 B per clock per SM) bounds this kernel, not the tensor cores. Per 32-wide
//    k slice a 128×128 block writes 16 KB (cp.async) and its warps read 8 × 2 × 6 ldmatrix.x4 × 512 B = 48 KB,
//    64 KB for 256 mma.m16n8k16: 2 clocks of shared memory per mma, so at most 0.5 mma per clock per SM where
//    the tensor cores (wgmma peak) do 1. 354-376 TFLOP/s measured is 70-80% of that bound (at 1.98-1.76 GHz).
//    A 64×64 warp tile loads 4 A + 4 B fragments for 32 mma (was 4 + 2 for 16): the 128×256 block writes 24 KB
//    and reads 64 KB per slice for 512 mma, 1.375 clocks per mma, a bound of 0.73 mma per clock. Cost: 128
//    accumulators per thread (one block of 8 warps per SM instead of two), each warp with twice the independent
//    mma to hide latency. The other tilings gemm_ladder --step9-tilings can time are listed in 09_layout.h, and
//    gemm_ladder --ceilings measures the two assumptions above (ldmatrix's bytes per clock, mma.sync's peak).
//    Prediction: 55-65% of cuBLAS bf16 on the 8B shapes at M = 4096 (75% of the new bound would be ~68%; mma.sync
//    is not expected to get that close to the Hopper peak). Measured (H200, 2026-11-30, run 4 in
//    docs/results/gemm-ladder.md): 40-42% of cuBLAS, BELOW the 44-45% of the first tiling measured beside it. The
//    prediction counted shared-memory bytes only; with one block of 8 warps per SM, every __syncthreads of a slice
//    stalls the whole SM, and nothing else is resident to fill the gap. The ceilings, measured in the same run:
//    mma.sync with register operands 636 TFLOP/s (83% of cuBLAS's 766: 60% is within the instruction's reach),
//    ldmatrix.x4 430 bytes per SM clock (not the 128 assumed above: shared-memory bandwidth was not the bound).
// 7. (after run 4) the default becomes the fastest tiling measured: 128×128 blocks of 4 warps of 64×64 (the same
//    warp tile as 6., so the same ldmatrix bytes per mma), two blocks per SM so that one block computes while the
//    other waits at its barrier: 50-54% of cuBLAS on the 8B shapes. 64-wide k slices (half the barriers) gained
//    +5-7 points on the 128×256 block; DeepFourWarpTile and SixStageTile (09_layout.h) try that and a deeper
//    pipeline on this tiling. Prediction: 56-60% for the 64-wide slices, +0-3% for 6 stages.
//
// The kernel is a template over its Epilogue, what is done with each finished pair of outputs: the ladder stores
// fp32 (StoreF32); the optimised forward pass (cuda_opt/linear.cu) stores bf16, adds into the residual stream or
// applies SwiGLU there, without another pass over memory.
#pragma once
#include <cstdint>

#include "cuda_opt/gemm/09_layout.h"
#include "cuda_opt/gemm/gemm.h"
#include "cuda_opt/gemm/gemm_common.cuh"
#include "cuda_opt/gemm/gemm_epilogue.cuh"

namespace qwen3::gemm::step09 {

using detail::ldmatrix_x4;
using detail::mma_m16n8k16;


// Copies slice k0 of rows r0 .. r0 + kRows - 1 of X [R, K] into the swizzled slice at shared address `dst` (zeros
// outside X).
template <class T, int kRows, bool kVec>
__device__ __forceinline__ void load_slice(unsigned char* dst, const bf16* X, int R, int K, int r0, int k0) {
#pragma unroll
  for (int p = 0; p < kRows * T::kChunks / T::kThreads; ++p) {
    const auto [r, c] = copy_chunk<T>(static_cast<int>(threadIdx.x), p);
    const int row = r0 + r, k = k0 + c * 8;
    unsigned char* d = dst + swizzle<T::kChunks>(r, c);
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

// C[M,N] = A[M,K] · B[N,K]ᵀ; block b computes the BM × BN tile grouped_tile(b) of C, with tiling T (09_layout.h).
// With the default Tile, two blocks per SM (128 accumulators per thread: 2 × 128 threads × up to 255 registers).
template <class T, bool kVec, class Epilogue>
__global__ void __launch_bounds__(T::kThreads, T::kMinBlocks)
    mma_sync_kernel(const bf16* A, const bf16* B, int M, int N, int K, Epilogue epilogue) {
  constexpr int BM = T::BM, BN = T::BN, BK = T::BK, kStages = T::kStages, MT = T::MT, NT = T::NT;
  constexpr int kChunks = T::kChunks, kABytes = T::kABytes, kStageBytes = T::kStageBytes;
  extern __shared__ __align__(128) unsigned char smem[];  // stage s: A slice at s*kStageBytes, B slice after it
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int warp_m = warp_m_of<T>(warp), warp_n = warp_n_of<T>(warp);
  const TileCoord tile = grouped_tile(blockIdx.x, detail::ceil_div(M, BM), detail::ceil_div(N, BN));
  const int m0 = tile.m * BM, n0 = tile.n * BN;
  const int num_slices = detail::ceil_div(K, BK);
  const uint32_t smem_base = static_cast<uint32_t>(__cvta_generic_to_shared(smem));

  // prologue: slices 0 .. kStages-2 in flight (one commit group each, possibly empty)
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < num_slices) {
      load_slice<T, BM, kVec>(smem + s * kStageBytes, A, M, K, m0, s * BK);
      load_slice<T, BN, kVec>(smem + s * kStageBytes + kABytes, B, N, K, n0, s * BK);
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
        load_slice<T, BM, kVec>(stage, A, M, K, m0, next * BK);
        load_slice<T, BN, kVec>(stage + kABytes, B, N, K, n0, next * BK);
      }
      detail::cp_async_commit();
    }
    const uint32_t a_base = smem_base + (s % kStages) * kStageBytes;
    const uint32_t b_base = a_base + kABytes;
#pragma unroll
    for (int ks = 0; ks < BK / 16; ++ks) {
      uint32_t a[MT][4], b[NT][2];
#pragma unroll
      for (int mt = 0; mt < MT; ++mt) {  // a0, a1, a2, a3 of mma.m16n8k16 (09_layout.h: a_fragment_row)
        const auto [r, c] = a_fragment_row<T>(warp_m, mt, ks, lane);
        ldmatrix_x4(a[mt], a_base + swizzle<kChunks>(r, c));
      }
#pragma unroll
      for (int np = 0; np < NT / 2; ++np) {  // b0, b1 of n tiles 2np and 2np+1 (09_layout.h: b_fragment_row)
        const auto [r, c] = b_fragment_row<T>(warp_n, np, ks, lane);
        uint32_t q[4];
        ldmatrix_x4(q, b_base + swizzle<kChunks>(r, c));
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

  // epilogue: accumulator (mt, nt) holds rows g, g+8 and columns 2t, 2t+1 of its 16×8 tile (g = lane/4, t = lane%4;
  // 09_layout.h: accumulator_position); what happens to each (row, column pair) is the Epilogue's business
  // (gemm_epilogue.cuh)
#pragma unroll
  for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
#pragma unroll
      for (int nt = 0; nt < NT; ++nt) {
        const auto [r, c] = accumulator_position<T>(warp_m, warp_n, mt, nt, half, lane);
        const int m = m0 + r, n = n0 + c;
        if (m < M && n < N) epilogue(m, n, acc[mt][nt][half * 2], acc[mt][nt][half * 2 + 1]);
      }
    }
  }
}

// Launches C = epilogue(A·Bᵀ) over a 1-D grid of ceil(M/BM)·ceil(N/BN) blocks in grouped order. kVec: K % 8 == 0 and
// A, B 16-byte aligned (the cp.async path).
template <class T, bool kVec, class Epilogue>
void launch(const bf16* A, const bf16* B, int M, int N, int K, Epilogue epilogue, cudaStream_t s, const char* what) {
  QWEN3_CUDA_CHECK(cudaFuncSetAttribute(mma_sync_kernel<T, kVec, Epilogue>,
                                        cudaFuncAttributeMaxDynamicSharedMemorySize, T::kSmemBytes),
                   std::string(what) + ": allowing " + std::to_string(T::kSmemBytes / 1024) + " KB of shared memory");
  const unsigned blocks =
      static_cast<unsigned>(detail::ceil_div(M, T::BM)) * static_cast<unsigned>(detail::ceil_div(N, T::BN));
  mma_sync_kernel<T, kVec, Epilogue><<<blocks, T::kThreads, T::kSmemBytes, s>>>(A, B, M, N, K, epilogue);
  QWEN3_CUDA_CHECK_LAUNCH(what);
}

// Picks the cp.async path when its preconditions hold, the guarded one otherwise. T: the tiling (09_layout.h).
template <class T = Tile, class Epilogue>
void run(const bf16* A, const bf16* B, int M, int N, int K, Epilogue epilogue, cudaStream_t s, const char* what) {
  if (M == 0 || N == 0) return;
  if (K % 8 == 0 && detail::aligned(A, 16) && detail::aligned(B, 16)) {
    launch<T, true>(A, B, M, N, K, epilogue, s, what);
  } else {
    launch<T, false>(A, B, M, N, K, epilogue, s, what);
  }
}

}  // namespace qwen3::gemm::step09
