// Which part of C each block of a step-10 launch computes: whole tiles for the full waves, and the tiles of the
// last, partial wave shared out along k among all the SMs ("stream-K" for the remainder only, the hybrid CUTLASS
// calls data-parallel + stream-K). Plain C++ with QWEN3_HOST_DEVICE: the kernel walks it on the GPU, and
// tests/test_tile_schedule.cpp proves on the CPU that every (tile, k-tile) is computed exactly once and that the
// partial sums of a shared tile are found and added in one fixed order.
//
// Why: one block per SM, 132 SMs, 128×256 tiles. The 8B model's down_proj at 1040 tokens has 9 × 16 = 144 tiles:
// one full wave of 132 and a second wave of 12 tiles during which 120 SMs idle, so the GEMM takes two waves for
// 1.09 waves of work (measured: 55% of cuBLAS, where 1024 tokens, 128 tiles, one wave, gives 99%). Here the 132
// full tiles run as before, and the 12 remaining tiles' 12 × 192 k-tiles are cut into 132 runs of ~17 k-tiles, one
// per block: the second wave shrinks to ~1/11 of a tile's time plus the cost of adding the partial sums (72% of
// cuBLAS measured). Only long tiles are shared (kMinSkKTiles): for K = 4096 that cost ate the gain.
//
//   tiles t = 0 .. dp_tiles-1      whole, by block t                       (their order: tile_order.h)
//   tiles t = dp_tiles .. tiles-1  "SK tiles" j = t - dp_tiles, k-tiles numbered i = j·k_tiles + k in one line of
//                                   sk_iters = sk_tiles·k_tiles iterations; SK block b (block dp_tiles + b) takes
//                                   iterations [begin(b), begin(b+1)), begin(b) = b·sk_iters / sk_blocks
// sk_blocks >= sk_tiles, so a block's run is at most one tile long and touches at most two tiles: its "segments".
// A segment that is a whole tile goes straight to the epilogue. A partial one stores its fp32 accumulators in a
// workspace slot (2b for the block's first segment, 2b + 1 for its second), counts itself on the tile's counter,
// and the block that arrives last adds every contributor's slot in block order (a fixed order: the result does
// not depend on which block finished last) and applies the epilogue once.
#pragma once
#include <cstdint>

#include "core/host_device.h"

namespace qwen3::gemm {

struct TileSchedule {
  int tiles = 0;        // tiles of C in all
  int k_tiles = 0;      // k-tiles per tile
  int dp_tiles = 0;     // tiles done whole, tile t by block t
  int sk_tiles = 0;     // the rest, shared along k
  int sk_blocks = 0;    // blocks sharing them (0 when sk_tiles is 0)
  int64_t sk_iters = 0;  // sk_tiles · k_tiles

  QWEN3_HOST_DEVICE int blocks() const { return dp_tiles + sk_blocks; }
  // First SK iteration of SK block b (b = sk_blocks gives the end).
  QWEN3_HOST_DEVICE int64_t sk_begin(int b) const { return static_cast<int64_t>(b) * sk_iters / sk_blocks; }
  // The SK block whose run holds iteration i: the largest b with sk_begin(b) <= i.
  QWEN3_HOST_DEVICE int sk_owner(int64_t i) const {
    return static_cast<int>(((i + 1) * sk_blocks - 1) / sk_iters);
  }
};

// SK blocks get at least this many k-tiles each, so that a partial sum's store and reload (2 × 128 KB) stay small
// beside the loads of the k-tiles it saves.
constexpr int kMinSkIters = 4;
// Tiles are shared only when they are at least this many k-tiles long (K >= 8192 with BK = 64). Measured on an H200
// (docs/results/gemm-ladder.md, run 7): the shared wave costs ~35 µs beyond its k-tiles (the pipeline's restart,
// the partial sums' store, the fences, the fix-up's reload), which a 64-k-tile tile (K = 4096, ~47 µs per tile)
// cannot win back: qkv, o_proj and gate_up at 1040 and 2080 tokens lost 0-15 points of cuBLAS's rate; down_proj
// (K = 12288, 192 k-tiles) gained 13-17.
constexpr int kMinSkKTiles = 128;

// The schedule for a tiles_m × tiles_n grid of tiles with k_tiles k-tiles each on `slots` blocks at a time (SMs ×
// blocks per SM). Whole tiles only when the last wave is empty or nearly full (>= 80% of the slots: sharing it
// saves little), or when the tiles are too short along k to repay sharing (kMinSkKTiles).
QWEN3_HOST_DEVICE inline TileSchedule make_tile_schedule(int tiles_m, int tiles_n, int k_tiles, int slots) {
  TileSchedule s;
  s.tiles = tiles_m * tiles_n;
  s.k_tiles = k_tiles;
  const int rem = slots > 0 ? s.tiles % slots : 0;
  if (rem == 0 || rem * 5 >= slots * 4 || k_tiles < kMinSkKTiles) {
    s.dp_tiles = s.tiles;
    return s;
  }
  s.dp_tiles = s.tiles - rem;
  s.sk_tiles = rem;
  s.sk_iters = static_cast<int64_t>(rem) * k_tiles;
  const int64_t by_length = s.sk_iters / kMinSkIters;
  s.sk_blocks = static_cast<int>(by_length < slots ? by_length : slots);
  if (s.sk_blocks < rem) s.sk_blocks = rem;  // runs of at most one tile: at most two segments per block
  return s;
}

// A stretch of one tile's k-tiles that one block computes.
struct TileSegment {
  int tile;      // linear tile index (tile_order.h maps it to a place in C)
  int k_begin;   // k-tiles [k_begin, k_end) of that tile
  int k_end;
  bool whole;    // the whole tile: straight to the epilogue
  int slot;      // partial: the workspace slot this block stores its sums in
  int sk_tile;   // partial: the SK tile's index j (its counter), -1 when whole
};

// Segment `index` (0, 1) of block `block`; false when the block has no such segment.
QWEN3_HOST_DEVICE inline bool tile_segment(const TileSchedule& s, int block, int index, TileSegment& seg) {
  if (block < s.dp_tiles) {
    if (index > 0) return false;
    seg = {block, 0, s.k_tiles, true, -1, -1};
    return true;
  }
  const int b = block - s.dp_tiles;
  const int64_t begin = s.sk_begin(b), end = s.sk_begin(b + 1);
  int64_t i = begin;
  for (int n = 0; n < index && i < end; ++n) i = (i / s.k_tiles + 1) * s.k_tiles;  // start of the next tile
  if (i >= end) return false;
  const int j = static_cast<int>(i / s.k_tiles);
  const int64_t tile_begin = static_cast<int64_t>(j) * s.k_tiles, tile_end = tile_begin + s.k_tiles;
  const int64_t seg_end = end < tile_end ? end : tile_end;
  seg.tile = s.dp_tiles + j;
  seg.k_begin = static_cast<int>(i - tile_begin);
  seg.k_end = static_cast<int>(seg_end - tile_begin);
  seg.whole = i == tile_begin && seg_end == tile_end;
  seg.slot = 2 * b + index;
  seg.sk_tile = seg.whole ? -1 : j;
  return true;
}

// The SK blocks that share SK tile j: b_first .. b_last. Each stored its sums in slot 2b (when tile j was its first
// segment) or 2b + 1 (its second): sk_contributor_slot.
QWEN3_HOST_DEVICE inline int sk_first_contributor(const TileSchedule& s, int j) {
  return s.sk_owner(static_cast<int64_t>(j) * s.k_tiles);
}
QWEN3_HOST_DEVICE inline int sk_last_contributor(const TileSchedule& s, int j) {
  return s.sk_owner(static_cast<int64_t>(j + 1) * s.k_tiles - 1);
}
QWEN3_HOST_DEVICE inline int sk_contributor_slot(const TileSchedule& s, int j, int b) {
  return 2 * b + (s.sk_begin(b) / s.k_tiles == j ? 0 : 1);
}

}  // namespace qwen3::gemm
