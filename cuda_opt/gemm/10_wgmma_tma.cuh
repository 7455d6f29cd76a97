// Step 10 (the kernel; 10_wgmma_tma.cu launches it) (Hopper, sm_90a): wgmma with TMA, a producer warpgroup
// feeding two consumer warpgroups.
//
// Idea: on Hopper, mma.sync (step 9) cannot reach the tensor cores' peak: every warp must first move its
// fragments from shared memory to registers (ldmatrix), and loads are issued by the same threads that compute.
// Hopper adds two engines:
//  - wgmma.mma_async: a warpgroup (4 consecutive warps, 128 threads) multiplies a 64×N tile whose operands the
//    tensor cores read straight from shared memory through 64-bit matrix descriptors; asynchronous (fence,
//    commit_group, wait_group), with fp32 accumulators in registers (here m64n256k16: 128 floats per thread).
//  - TMA (cp.async.bulk.tensor): ONE thread asks the copy engine for a whole 2-D box of a tensor described by a
//    CUtensorMap (built on the host with cuTensorMapEncodeTiled, passed as a __grid_constant__ parameter); the
//    engine swizzles it into shared memory, fills out-of-bounds elements with zeros (so edge tiles need no
//    guards on the load side), and counts the bytes that arrive on an mbarrier.
// Warp specialisation: warpgroup 0 is the producer (one thread issues the TMA copies for a 4-stage ring),
// warpgroups 1 and 2 are consumers, each computing 64 rows × 256 columns of the block's 128×256 tile of C.
// Per stage two mbarriers: "full" (count 1: the producer's arrive.expect_tx, completed when the stage's 48 KB land) and
// "empty" (count 256: every consumer thread arrives after its wgmma on that stage completed).
// Shared layout: for each stage an A box [128 rows][64 k] and a B box [256 rows][64 k] of bf16, 128-byte rows
// with the 128-byte swizzle (16-byte chunk c of row r stored at chunk c ^ (r % 8)), each box 1024-byte aligned.
// That is the canonical K-major SWIZZLE_128B layout of wgmma: 8-row × 128-byte atoms, 1024 bytes apart (the
// descriptor's stride byte offset), and a k16 step inside the 64-wide box is a +32-byte start address.
//
// Preconditions, checked at run time: compute capability 9.0; K a multiple of 8 and A, B 16-byte aligned (TMA
// global strides must be multiples of 16 bytes, addresses 16-byte aligned). Otherwise the launcher routes the
// call to step 9, which computes the same function. M, N and K otherwise arbitrary: TMA zero-fills the boxes'
// out-of-range parts (the transaction byte count is still the whole box), stores of C are guarded.
//
// Expected (first version): the issue's target is >= 90% of cuBLAS bf16 on the 8B shapes at M = 4096. The
// first version is simpler than a tuned kernel: each consumer waits for its wgmma group to finish (wait_group 0)
// before releasing the stage, there is no setmaxnreg register rebalancing, no persistent/cluster scheduling and
// no TMA store epilogue, and BN = 128 (cuBLAS/CUTLASS typically use 128×256 or 256×128 tiles; adopted since). Likely 60-80% of
// cuBLAS; the next steps to close the gap are listed in docs/gemm_ladder.md.
//
// What was NOT certain when it was written without a GPU (the first GPU run confirmed each, see below):
//  - the matrix-descriptor fields for K-major SWIZZLE_128B operands: start address >> 4 (bits 0-13), leading byte
//    offset 16 B (encoded 1; believed ignored for swizzled K-major layouts), stride byte offset 1024 B (bits
//    32-45), base offset 0 (boxes 1024-byte aligned), swizzle mode 1 = 128B (bits 62-63), and advancing the start
//    address by 32 bytes per k16 step inside the swizzle atom: this matches the PTX ISA's descriptor table as
//    I read it and published hand-written Hopper GEMMs, but a wrong field gives wrong numbers, not a fault;
//  - the accumulator layout used by the epilogue (PTX ISA "wgmma .m64nNk16 register fragment for D": warp w of
//    the warpgroup holds rows 16w .. 16w+15; d[4j + {0,1}] = row g, columns 8j + 2q + {0,1}; d[4j + {2,3}] = row
//    g + 8, same columns; g = lane / 4, q = lane % 4);
//  - barrier-initialisation fences (fence.mbarrier_init + fence.proxy.async before the first TMA).
// The tests (tests/test_cuda_gemm_ladder.cpp) check all of this against cuBLAS on odd shapes on the first GPU run.
// measured (H100, 2026-11-26, first version): bit-identical to cuBLAS on every tested shape (the descriptor and
// fragment guesses above held); 479 TFLOP/s at 4096³, 64% of cuBLAS; 8B shapes at M = 4096: 61.0 / 63.1 / 46.1
// (gate+up) / 66.1% (docs/results/gemm-ladder.md). Two changes since, predicted together at +15-25%:
//  - grouped block order (tile_order.h), for the L2 misses that made gate+up the outlier;
//  - each consumer keeps one wgmma group in flight (wait_group 1) and releases a stage when the group that read it
//    has completed, instead of draining the tensor cores after every k tile (wait_group 0).
// measured after them (same H100, run 2): 568 TFLOP/s at 4096³, 77% of cuBLAS; 8B shapes 77.0 / 75.2 / 80.2 / 80.5%.
// Then 128×256 tiles (m64n256k16, 128 accumulators per consumer thread, 154 registers, no spills), predicted
// +8-12%: a 128×128 tile brings 64 FLOP per byte from L2, which at 750 TFLOP/s asks about 11.7 TB/s of L2 (near
// what an H100's L2 delivers); 128×256 brings 85 FLOP per byte, 8.8 TB/s. Measured (run 3): 688 TFLOP/s at 4096³,
// 93.1% of cuBLAS; 8B shapes 91.5 / 90.8 / 93.9 / 94.3%: +17-21%, more than predicted.
//
// Then the last wave (tile_schedule.h): at awkward M the grid of 128×256 tiles leaves a sparse last wave (8B o_proj
// and down_proj at 1040 tokens: 144 tiles, 132 SMs: 55% of cuBLAS). A block now computes one or two "segments"
// (k-tile ranges of a tile): whole tiles for the full waves, and the last wave's tiles shared along k, the partial
// sums stored in a workspace and added, in a fixed order, by whichever block finishes a tile last. Predicted ~90% at
// 1040 tokens; measured on an H200 (docs/results/gemm-ladder.md runs 6-7): 72% for down_proj (K = 12288), a loss
// where K = 4096 (the shared wave costs ~35 µs beyond its k-tiles), so only tiles of >= 128 k-tiles are shared.
// 168 registers (the 384-thread block's cap), no spills.
//
// The kernel is a template over its Epilogue (see 09_mma_sync_ldmatrix.cuh): fp32 stores for the ladder, the
// forward pass's fused epilogues in cuda_opt/linear_sm90a.cu.
#pragma once
#include <cstdint>
#include <string>

#include <cuda.h>           // CUtensorMap (a type only: nothing is linked from libcuda)
#include <cudaTypedefs.h>   // PFN_cuTensorMapEncodeTiled_v12000

#include "core/error.h"
#include "cuda_common/cuda_check.h"
#include "cuda_opt/gemm/gemm.h"
#include "cuda_opt/gemm/gemm_common.cuh"
#include "cuda_opt/gemm/gemm_epilogue.cuh"
#include "cuda_opt/gemm/tile_schedule.h"

#if !defined(QWEN3_GEMM_SM90A)
#error "10_wgmma_tma.cuh holds sm_90a code: include it only from files compiled for sm_90a (QWEN3_GEMM_SM90A)"
#endif

namespace qwen3::gemm::step10 {



constexpr int BM = 128, BN = 256, BK = 64, kStages = 4;
constexpr int kConsumers = 2;                           // consumer warpgroups, 64 rows of the tile each
constexpr int kThreads = 128 * (1 + kConsumers);        // producer warpgroup + consumers: 384
constexpr int kAccum = BN / 2;                          // fp32 accumulators per consumer thread: 64 × BN / 128
constexpr int kABoxBytes = BM * BK * 2;                 // one A box: 16 KB
constexpr int kBBoxBytes = BN * BK * 2;                 // one B box: 32 KB
constexpr int kStageBytes = kABoxBytes + kBBoxBytes;    // A + B: 48 KB, the expect_tx count
constexpr int kSmemBytes = kStages * kStageBytes + 1024 /* alignment slack */ + 2 * kStages * 8 /* barriers */;
static_assert(BM == 64 * kConsumers, "each consumer warpgroup computes 64 rows (wgmma m64)");
static_assert(BN == 256, "the wgmma instruction below is m64n256k16");
static_assert(BK * 2 == 128, "a box row must be exactly the 128-byte swizzle span");
static_assert(BK % 16 == 0, "k16 steps");
static_assert(kABoxBytes % 1024 == 0 && kBBoxBytes % 1024 == 0, "boxes must stay 1024-byte aligned for SWIZZLE_128B");
static_assert(BM <= 256 && BN <= 256, "a TMA box has at most 256 rows");
static_assert(kSmemBytes <= 227 * 1024, "shared memory per block on sm_90");

__device__ __forceinline__ uint32_t smem_addr(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// ---- mbarrier ---------------------------------------------------------------------------------------------
__device__ __forceinline__ void mbar_init(uint32_t bar, unsigned count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(count) : "memory");
}
__device__ __forceinline__ void mbar_arrive_expect_tx(uint32_t bar, unsigned bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(bar), "r"(bytes) : "memory");
}
__device__ __forceinline__ void mbar_arrive(uint32_t bar) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(bar) : "memory");
}
// Spins until the barrier's phase with parity `parity` has completed.
__device__ __forceinline__ void mbar_wait(uint32_t bar, unsigned parity) {
  asm volatile(
      "{\n"
      ".reg .pred done;\n"
      "WAIT_LOOP:\n"
      "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
      "@!done bra WAIT_LOOP;\n"
      "}\n" ::"r"(bar),
      "r"(parity)
      : "memory");
}

// ---- TMA ------------------------------------------------------------------------------------------------
// Box at coordinates (x = k, y = row) of the tensor `map` -> shared `dst`, completion counted on `bar`.
__device__ __forceinline__ void tma_load_2d(uint32_t dst, const CUtensorMap* map, int x, int y, uint32_t bar) {
  asm volatile(
      "cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3}], [%4];\n"
      ::"r"(dst), "l"(reinterpret_cast<uint64_t>(map)), "r"(x), "r"(y), "r"(bar)
      : "memory");
}

// ---- wgmma ----------------------------------------------------------------------------------------------
// Matrix descriptor of a K-major bf16 operand in the 128-byte-swizzled layout the TMA wrote (see the header).
__device__ __forceinline__ uint64_t make_desc(uint32_t smem_byte_addr) {
  uint64_t desc = 0;
  desc |= static_cast<uint64_t>((smem_byte_addr & 0x3FFFF) >> 4);  // start address, bits 0-13
  desc |= static_cast<uint64_t>(16 >> 4) << 16;                     // leading byte offset, bits 16-29
  desc |= static_cast<uint64_t>(1024 >> 4) << 32;                   // stride byte offset, bits 32-45
  desc |= static_cast<uint64_t>(1) << 62;                           // swizzle mode: 128B, bits 62-63
  return desc;
}

__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
// Waits until at most kPending of this warpgroup's committed wgmma groups are still running.
template <int kPending>
__device__ __forceinline__ void wgmma_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(kPending) : "memory");
}
// Keeps the compiler from moving accesses of the accumulators across the asynchronous wgmma boundaries.
__device__ __forceinline__ void fence_operands(float (&d)[kAccum]) {
#pragma unroll
  for (int i = 0; i < kAccum; ++i) asm volatile("" : "+f"(d[i])::"memory");
}

// d[128] (+)= A-tile · B-tileᵀ for one k16 step: wgmma m64n256k16, bf16 operands from shared memory (both
// K-major: imm-trans-a = imm-trans-b = 0), fp32 accumulators in registers. scale_d = 0: D = A·B; 1: D = A·B + D.
__device__ __forceinline__ void wgmma_m64n256k16(float (&d)[kAccum], uint64_t desc_a, uint64_t desc_b, int scale_d) {
  asm volatile(
      "{\n"
      ".reg .pred p;\n"
      "setp.ne.b32 p, %130, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16 {"
      "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
      "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "
      "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "
      "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63, "
      "%64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, "
      "%80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, "
      "%96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111, "
      "%112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124, %125, %126, %127}, "
      "%128, %129, p, 1, 1, 0, 0;\n"
      "}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
        "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
        "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
        "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
        "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
        "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
        "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
        "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]),
        "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]),
        "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]),
        "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]),
        "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]), "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95]),
        "+f"(d[96]), "+f"(d[97]), "+f"(d[98]), "+f"(d[99]), "+f"(d[100]), "+f"(d[101]), "+f"(d[102]), "+f"(d[103]),
        "+f"(d[104]), "+f"(d[105]), "+f"(d[106]), "+f"(d[107]), "+f"(d[108]), "+f"(d[109]), "+f"(d[110]), "+f"(d[111]),
        "+f"(d[112]), "+f"(d[113]), "+f"(d[114]), "+f"(d[115]), "+f"(d[116]), "+f"(d[117]), "+f"(d[118]), "+f"(d[119]),
        "+f"(d[120]), "+f"(d[121]), "+f"(d[122]), "+f"(d[123]), "+f"(d[124]), "+f"(d[125]), "+f"(d[126]), "+f"(d[127])
      : "l"(desc_a), "l"(desc_b), "r"(scale_d));
}

// Where a block's partial sums of a shared tile go (tile_schedule.h): slot z holds BM × BN floats as float4s
// [kAccum / 4][256 consumer threads]: the i-th float4 of every consumer thread side by side, so that one warp's
// store or load of its i-th float4s is 512 contiguous bytes (coalesced). Laid out thread by thread instead (each
// thread's 512 bytes contiguous), every warp instruction touched 32 different cache lines and the store and reload
// of a slot took ~75-135 µs, slower than the second wave it was meant to save (H200 run 6, gemm-ladder.md).
// counters[j] counts the blocks done with SK tile j (0 between launches).
struct SplitWorkspace {
  float* slots;
  int* counters;
};

// The 256 consumer threads (warpgroups 1 and 2) meet at named barrier 1; the producer warpgroup is not held up.
__device__ __forceinline__ void consumers_sync() { asm volatile("bar.sync 1, 256;\n" ::: "memory"); }

// C[M,N] = A[M,K] · B[N,K]ᵀ; block b computes the segments tile_segment(sched, b, 0 and 1): k-tiles
// [k_begin, k_end) of a tile of C at tile_order.h's place for it (one segment, the whole tile, for blocks of the
// full waves).
template <class Epilogue>
__global__ void __launch_bounds__(kThreads, 1) wgmma_tma_kernel(const __grid_constant__ CUtensorMap map_a,
                                                                const __grid_constant__ CUtensorMap map_b, int M,
                                                                int N, TileSchedule sched, SplitWorkspace ws,
                                                                Epilogue epilogue) {
  extern __shared__ unsigned char smem_raw[];
  __shared__ int last_arrival;  // the consumers' broadcast: did this block finish a shared tile's sum?
  // boxes first (1024-byte aligned), then full[kStages], empty[kStages]
  const uint32_t raw = smem_addr(smem_raw);
  const uint32_t base = (raw + 1023u) & ~1023u;
  const uint32_t bars = base + kStages * kStageBytes;
  auto a_box = [&](int s) { return base + s * kStageBytes; };
  auto b_box = [&](int s) { return base + s * kStageBytes + kABoxBytes; };
  auto full = [&](int s) { return bars + 8u * s; };
  auto empty = [&](int s) { return bars + 8u * (kStages + s); };

  const int wg = threadIdx.x / 128;  // 0: producer, 1..kConsumers: consumers
  const int tiles_m = detail::ceil_div(M, BM), tiles_n = detail::ceil_div(N, BN);

  if (threadIdx.x == 0) {
    for (int s = 0; s < kStages; ++s) {
      mbar_init(full(s), 1);
      mbar_init(empty(s), 128 * kConsumers);
    }
    asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
    asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
  }
  __syncthreads();  // the only block-wide barrier: the roles below never meet again

  // `it` counts the k-tiles this block has moved through the ring, across its segments: stage it % kStages, in
  // round it / kStages (the mbarrier phase parity).
  if (wg == 0) {
    // producer: one thread keeps the ring full, segment after segment
    if (threadIdx.x == 0) {
      int it = 0;
      TileSegment seg;
      for (int n = 0; tile_segment(sched, blockIdx.x, n, seg); ++n) {
        const TileCoord tile = grouped_tile(seg.tile, tiles_m, tiles_n);
        for (int kt = seg.k_begin; kt < seg.k_end; ++kt, ++it) {
          const int s = it % kStages;
          // wait until the consumers released the slot's previous tile (round it / kStages - 1)
          if (it >= kStages) mbar_wait(empty(s), static_cast<unsigned>((it / kStages - 1) & 1));
          mbar_arrive_expect_tx(full(s), kStageBytes);
          tma_load_2d(a_box(s), &map_a, kt * BK, tile.m * BM, full(s));
          tma_load_2d(b_box(s), &map_b, kt * BK, tile.n * BN, full(s));
        }
      }
    }
  } else {
    // consumer warpgroup c computes rows 64c .. +64 of each tile, all BN columns
    const int c = wg - 1;
    const int ct = threadIdx.x - 128;  // 0 .. 255 among the consumers
    const int warp = (threadIdx.x / 32) % 4, lane = threadIdx.x % 32;
    float d[kAccum];
    int it = 0;
    TileSegment seg;
    for (int n = 0; tile_segment(sched, blockIdx.x, n, seg); ++n) {
#pragma unroll
      for (int i = 0; i < kAccum; ++i) d[i] = 0.0f;
      for (int kt = seg.k_begin; kt < seg.k_end; ++kt, ++it) {
        const int s = it % kStages;
        mbar_wait(full(s), static_cast<unsigned>((it / kStages) & 1));
        fence_operands(d);
        wgmma_fence();
#pragma unroll
        for (int kk = 0; kk < BK / 16; ++kk) {
          const uint64_t da = make_desc(a_box(s) + c * 64 * (BK * 2) + kk * 32);  // rows 64c.., k 16kk..
          const uint64_t db = make_desc(b_box(s) + kk * 32);
          wgmma_m64n256k16(d, da, db, 1);
        }
        wgmma_commit();
        // Keep this tile's group in flight and wait only for the one before it: the tensor cores then always have
        // the next k-tile's instructions queued. The previous stage is free once its group has completed.
        wgmma_wait<1>();
        fence_operands(d);
        if (kt > seg.k_begin) mbar_arrive(empty((it - 1) % kStages));
      }
      wgmma_wait<0>();
      fence_operands(d);
      mbar_arrive(empty((it - 1) % kStages));  // the segment's last stage

      if (!seg.whole) {
        // A part of a shared tile: store the partial sums in this block's slot, count this block in; the block
        // that completes the count adds every contributor's slot, in block order, and goes on to the epilogue.
        float4* mine = reinterpret_cast<float4*>(ws.slots + static_cast<size_t>(seg.slot) * BM * BN) + ct;
#pragma unroll
        for (int i = 0; i < kAccum / 4; ++i) {
          mine[i * 256] = make_float4(d[4 * i], d[4 * i + 1], d[4 * i + 2], d[4 * i + 3]);
        }
        __threadfence();  // the stores are visible GPU-wide before the count says so
        consumers_sync();
        const int first = sk_first_contributor(sched, seg.sk_tile), last = sk_last_contributor(sched, seg.sk_tile);
        if (ct == 0) {
          __threadfence();  // cumulative: orders every consumer's stores (seen through the barrier) before the count
          last_arrival = atomicAdd(&ws.counters[seg.sk_tile], 1) == last - first;
        }
        consumers_sync();
        if (!last_arrival) continue;
        __threadfence();
#pragma unroll
        for (int i = 0; i < kAccum; ++i) d[i] = 0.0f;
        for (int b = first; b <= last; ++b) {  // fixed order: the bits do not depend on who arrived last
          const float4* p = reinterpret_cast<const float4*>(
                                ws.slots + static_cast<size_t>(sk_contributor_slot(sched, seg.sk_tile, b)) * BM * BN) +
                            ct;
#pragma unroll
          for (int i = 0; i < kAccum / 4; ++i) {
            const float4 v = __ldcg(p + i * 256);  // from L2: the slots were written by other SMs
            d[4 * i] += v.x, d[4 * i + 1] += v.y, d[4 * i + 2] += v.z, d[4 * i + 3] += v.w;
          }
        }
        if (ct == 0) ws.counters[seg.sk_tile] = 0;  // ready for the next launch (and graph replays)
      }
      // epilogue: registers -> the Epilogue (layout: see the header)
      const TileCoord tile = grouped_tile(seg.tile, tiles_m, tiles_n);
      const int row = tile.m * BM + c * 64 + warp * 16 + lane / 4;
#pragma unroll
      for (int j = 0; j < BN / 8; ++j) {
        const int col = tile.n * BN + 8 * j + 2 * (lane % 4);
#pragma unroll
        for (int half = 0; half < 2; ++half) {
          const int m = row + 8 * half;
          if (m < M && col < N) epilogue(m, col, d[4 * j + 2 * half], d[4 * j + 2 * half + 1]);
        }
      }
    }
  }
}

// cuTensorMapEncodeTiled through the runtime's driver entry point (no link against libcuda).
inline PFN_cuTensorMapEncodeTiled_v12000 encode_fn() {
  static PFN_cuTensorMapEncodeTiled_v12000 fn = [] {
    void* p = nullptr;
    cudaDriverEntryPointQueryResult q{};
    QWEN3_CUDA_CHECK(cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &p, 12000, cudaEnableDefault, &q),
                     "gemm_10_wgmma_tma: finding cuTensorMapEncodeTiled");
    if (q != cudaDriverEntryPointSuccess || p == nullptr) {
      throw CudaError("gemm_10_wgmma_tma: the driver has no cuTensorMapEncodeTiled");
    }
    return reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(p);
  }();
  return fn;
}

// Tensor map of a row-major bf16 matrix X [rows, K], boxes of box_rows rows × BK columns, 128-byte swizzle.
inline CUtensorMap make_map(const bf16* X, int rows, int K, int box_rows, const char* what) {
  CUtensorMap map{};
  const cuuint64_t dims[2] = {static_cast<cuuint64_t>(K), static_cast<cuuint64_t>(rows)};  // innermost first
  const cuuint64_t strides[1] = {static_cast<cuuint64_t>(K) * sizeof(bf16)};              // bytes, dims 1..
  const cuuint32_t box[2] = {BK, static_cast<cuuint32_t>(box_rows)};
  const cuuint32_t elem_strides[2] = {1, 1};
  const CUresult r = encode_fn()(&map, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16, 2, const_cast<bf16*>(X), dims, strides, box,
                                 elem_strides, CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
                                 CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  if (r != CUDA_SUCCESS) {
    throw CudaError(std::string("wgmma GEMM: cuTensorMapEncodeTiled failed for ") + what + " (CUresult " +
                    std::to_string(static_cast<int>(r)) + ")");
  }
  return map;
}


// True when A and B meet TMA's rules: K a multiple of 8 (rows of whole 16-byte units) and 16-byte aligned bases.
// The callers check the device (compute capability 9.0) once, and fall back to step 9 when this is false.
inline bool operands_ok(const bf16* A, const bf16* B, int K) {
  return K > 0 && K % 8 == 0 && detail::aligned(A, 16) && detail::aligned(B, 16);
}

// The split-tile workspace of the current device, allocated on the first launch (before any CUDA-graph capture:
// the forward pass runs eagerly once before it captures) for the largest schedule any shape can have: 2 slots of
// BM × BN floats per SM, a counter per SM, zeroed. One per process and device, so GEMMs of step 10 must not run
// concurrently on two streams (the ladder and the forward pass use one stream each).
inline SplitWorkspace split_workspace(int device, int sms, const char* what) {
  constexpr int kMaxDevices = 64;
  static SplitWorkspace ws[kMaxDevices] = {};
  if (device < 0 || device >= kMaxDevices) throw CudaError(std::string(what) + ": device index out of range");
  if (ws[device].slots == nullptr) {
    SplitWorkspace w{};
    const size_t slot_bytes = static_cast<size_t>(2) * sms * BM * BN * sizeof(float);
    QWEN3_CUDA_CHECK(cudaMalloc(&w.slots, slot_bytes), std::string(what) + ": the split-tile workspace");
    QWEN3_CUDA_CHECK(cudaMalloc(&w.counters, static_cast<size_t>(sms) * sizeof(int)),
                     std::string(what) + ": the split-tile counters");
    QWEN3_CUDA_CHECK(cudaMemset(w.counters, 0, static_cast<size_t>(sms) * sizeof(int)),
                     std::string(what) + ": the split-tile counters");
    ws[device] = w;
  }
  return ws[device];
}

// Launches epilogue(A·Bᵀ) over one block per tile of the full waves and the shared last wave of
// make_tile_schedule (one block per SM at a time). Preconditions: operands_ok, and a device of compute
// capability 9.0.
template <class Epilogue>
void run(const bf16* A, const bf16* B, int M, int N, int K, Epilogue epilogue, cudaStream_t s, const char* what) {
  if (M == 0 || N == 0) return;
  const CUtensorMap map_a = make_map(A, M, K, BM, "A"), map_b = make_map(B, N, K, BN, "B");
  QWEN3_CUDA_CHECK(cudaFuncSetAttribute(wgmma_tma_kernel<Epilogue>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                        kSmemBytes),
                   std::string(what) + ": allowing the shared memory");
  int device = 0, sms = 0;
  QWEN3_CUDA_CHECK(cudaGetDevice(&device), what);
  QWEN3_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device), what);
  const SplitWorkspace ws = split_workspace(device, sms, what);
  const TileSchedule sched =
      make_tile_schedule(detail::ceil_div(M, BM), detail::ceil_div(N, BN), detail::ceil_div(K, BK), sms);
  wgmma_tma_kernel<Epilogue><<<static_cast<unsigned>(sched.blocks()), kThreads, kSmemBytes, s>>>(
      map_a, map_b, M, N, sched, ws, epilogue);
  QWEN3_CUDA_CHECK_LAUNCH(what);
}

}  // namespace qwen3::gemm::step10
