// Step 9's tiling and the index math of its fragments: which chunk of shared memory each thread's cp.async fills,
// which row each lane hands to ldmatrix, where each accumulator lands in C. Plain C++ (QWEN3_HOST_DEVICE), so the
// CPU test tests/test_gemm_fragment_layout.cpp emulates ldmatrix and mma.sync with exactly these functions and
// checks a whole block's result against a plain GEMM, and the swizzle's bank-conflict freedom, without a GPU.
#pragma once
#include <cstdint>

#include "core/host_device.h"

namespace qwen3::gemm::step09 {

// A block computes a BM × BN tile of C in slices of BK along k, with kWarpsM × kWarpsN warps (each a WM × WN tile
// of C made of MT × NT mma tiles of 16 × 8) and kStages slices in flight.
template <int kBM, int kBN, int kBK, int kStageCount, int kWarpRows, int kWarpCols>
struct Tiling {
  static constexpr int BM = kBM, BN = kBN, BK = kBK, kStages = kStageCount;
  static constexpr int kWarpsM = kWarpRows, kWarpsN = kWarpCols;
  static constexpr int WM = BM / kWarpsM, WN = BN / kWarpsN;  // one warp's tile of C
  static constexpr int MT = WM / 16, NT = WN / 8;             // its m16 × n8 mma tiles
  static constexpr int kThreads = kWarpsM * kWarpsN * 32;
  static constexpr int kChunks = BK / 8;                      // 16-byte chunks per shared row
  static constexpr int kABytes = BM * BK * 2, kBBytes = BN * BK * 2;  // one slice of each operand
  static constexpr int kStageBytes = kABytes + kBBytes;
  static constexpr int kSmemBytes = kStages * kStageBytes;
  // __launch_bounds__'s blocks per SM: two 256-thread blocks when a thread holds at most 64 accumulators (the
  // registers then fit 2 × 256 × 128), else one, which leaves ptxas all 255 registers.
  static constexpr int kMinBlocks = MT * NT * 4 <= 64 ? 2 : 1;
  static_assert(kChunks == 4 || kChunks == 8, "the swizzle is written for 64- and 128-byte rows");
  static_assert(WM % 16 == 0 && WN % 16 == 0, "A fragments are m16; B fragments are loaded two n8 tiles at a time");
  static_assert((BM * kChunks) % kThreads == 0 && (BN * kChunks) % kThreads == 0, "whole chunks per thread");
  static_assert(kStages >= 2, "a pipeline needs at least two stages");
};

// The ladder's and the forward pass's step 9: 128 × 128 × 32, 4 warps of 64 × 64, 4 stages of 16 KB = 64 KB, two
// blocks per SM, which fits every sm_80+ GPU. The fastest of the five tilings measured side by side on an H200
// (2026-11-30, docs/results/gemm-ladder.md run 4): 50-54% of cuBLAS on the 8B shapes at M = 4096, where the
// 128 × 256 block of 8 warps predicted at 55-65% measured 40-42%. See 09_mma_sync_ldmatrix.cuh for the why.
using Tile = Tiling<128, 128, 32, 4, 2, 2>;

// The tilings `gemm_ladder --step9-tilings` can time side by side (the default first):
using WideTile = Tiling<128, 256, 32, 4, 2, 4>;     // 8 warps of 64 × 64 in a 128 × 256 block, 96 KB, one per SM
using FirstTile = Tiling<128, 128, 32, 4, 2, 4>;    // the first version: 8 warps of 64 × 32 (H100 runs 1-3)
using TallTile = Tiling<256, 128, 32, 4, 4, 2>;     // 8 warps of 64 × 64, the block tall instead of wide
using DeepTile = Tiling<128, 256, 64, 3, 2, 4>;     // WideTile with 64-wide k slices (128-byte rows): half the
                                                    // barriers; 144 KB, so sm_80 and sm_90 only
using DeepFourWarpTile = Tiling<128, 128, 64, 3, 2, 2>;  // the default with 64-wide k slices: 96 KB, two blocks per
                                                         // SM on sm_90 (one on sm_80)
using SixStageTile = Tiling<128, 128, 32, 6, 2, 2>;      // the default with 6 stages: 96 KB, two blocks per SM on sm_90
template <class... Ts>
struct TilingList {};
using Tilings = TilingList<Tile, WideTile, FirstTile, TallTile, DeepTile, DeepFourWarpTile, SixStageTile>;

struct RowChunk {
  int row, chunk;  // a row of a slice and a 16-byte chunk (8 bf16 along k) of it
};
struct RowCol {
  int row, col;  // a position in the block's tile of C
};

// Byte offset of 16-byte chunk c of row r in a swizzled slice whose rows hold kChunks chunks.
// 128 bytes of shared memory span all 32 banks and hold 8 / kChunks rows; the chunk index is XORed with that
// 128-byte window's number (mod kChunks), so the 8 rows one ldmatrix phase reads at the same logical chunk fall
// into 8 different 16-byte bank groups. With 128-byte rows this is c ^ (r % 8), TMA's SWIZZLE_128B (step 10).
template <int kChunks>
QWEN3_HOST_DEVICE constexpr uint32_t swizzle(int r, int c) {
  constexpr int kRowsPerWindow = 8 / kChunks;
  return static_cast<uint32_t>(r * kChunks * 16 + ((c ^ ((r / kRowsPerWindow) % kChunks)) * 16));
}

// The chunk that copy pass p of thread t fills: consecutive threads take consecutive chunks of a row, so a warp
// reads whole rows of global memory (coalesced) and writes whole 128-byte windows of shared memory.
template <class T>
QWEN3_HOST_DEVICE constexpr RowChunk copy_chunk(int thread, int pass) {
  const int idx = thread + pass * T::kThreads;
  return {idx / T::kChunks, idx % T::kChunks};
}

// Warp w's place in the block: warp_m = w % kWarpsM, warp_n = w / kWarpsM.
template <class T>
QWEN3_HOST_DEVICE constexpr int warp_m_of(int warp) { return warp % T::kWarpsM; }
template <class T>
QWEN3_HOST_DEVICE constexpr int warp_n_of(int warp) { return warp / T::kWarpsM; }

// ldmatrix.x4 for A's m16 tile mt at k step ks: lane l gives row l % 16 of the tile at k 0-7 (lanes 0-15) or
// k 8-15 (lanes 16-31); matrices 0, 1, 2, 3 (lanes 0-7, 8-15, 16-23, 24-31) are a0, a1, a2, a3 of mma.m16n8k16.
template <class T>
QWEN3_HOST_DEVICE constexpr RowChunk a_fragment_row(int warp_m, int mt, int ks, int lane) {
  return {warp_m * T::WM + mt * 16 + lane % 16, ks * 2 + lane / 16};
}

// ldmatrix.x4 for B's n8 tiles 2np and 2np+1 at k step ks (B [N, K] row-major is mma's "col" operand: rows of n,
// contiguous k): lanes 0-7 give tile 2np at k 0-7 (b0), 8-15 the same rows at k 8-15 (b1), 16-31 the same for
// tile 2np+1.
template <class T>
QWEN3_HOST_DEVICE constexpr RowChunk b_fragment_row(int warp_n, int np, int ks, int lane) {
  return {warp_n * T::WN + np * 16 + (lane / 16) * 8 + lane % 8, ks * 2 + (lane / 8) % 2};
}

// Accumulators [2*half], [2*half+1] of mma tile (mt, nt) hold C at row g (half 0) or g + 8 (half 1), columns 2t and
// 2t + 1 of the 16 × 8 tile, with g = lane / 4 and t = lane % 4 (PTX ISA, "Matrix fragments for mma.m16n8k16").
template <class T>
QWEN3_HOST_DEVICE constexpr RowCol accumulator_position(int warp_m, int warp_n, int mt, int nt, int half, int lane) {
  return {warp_m * T::WM + mt * 16 + lane / 4 + half * 8, warp_n * T::WN + nt * 8 + (lane % 4) * 2};
}

}  // namespace qwen3::gemm::step09
