// Step 10's tile schedule (cuda_opt/gemm/tile_schedule.h) on the CPU: for every shape the 8B and 0.6B models give at
// many token counts, and for a sweep of small grids, every (tile, k-tile) is computed by exactly one block, a block
// has at most two segments, the partial sums of a shared tile are stored in distinct slots, and the contributors
// the last block adds are exactly the blocks that computed parts of that tile. Then the fix-up itself, emulated:
// partial sums added in the schedule's fixed order give the tile's full sum whichever block arrives last.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/config.h"
#include "cuda_opt/gemm/tile_schedule.h"

using namespace qwen3;
using namespace qwen3::gemm;

namespace {

constexpr int kSms = 132;  // an H100 / H200: one step-10 block per SM

std::string describe(int tm, int tn, int kt, int slots) {
  return std::to_string(tm) + "x" + std::to_string(tn) + " tiles, " + std::to_string(kt) + " k-tiles, " +
         std::to_string(slots) + " slots";
}

// Walks every block's segments and checks the schedule's promises; returns how many (tile, k) were covered.
void check_schedule(int tm, int tn, int kt, int slots) {
  SCOPED_TRACE(describe(tm, tn, kt, slots));
  const TileSchedule s = make_tile_schedule(tm, tn, kt, slots);
  ASSERT_EQ(s.tiles, tm * tn);
  ASSERT_EQ(s.dp_tiles + s.sk_tiles, s.tiles);
  ASSERT_LE(s.sk_blocks, slots);
  if (s.sk_tiles > 0) {
    ASSERT_GE(s.sk_blocks, s.sk_tiles);
    ASSERT_EQ(s.dp_tiles % slots, 0) << "the whole tiles fill whole waves";
  }
  std::vector<std::vector<int>> covered(s.tiles, std::vector<int>(kt, 0));
  std::set<int> slots_used;
  std::map<int, std::set<int>> contributors;  // SK tile -> the SK blocks that computed part of it
  for (int block = 0; block < s.blocks(); ++block) {
    TileSegment seg{};
    int n = 0;
    for (; tile_segment(s, block, n, seg); ++n) {
      ASSERT_GE(seg.tile, 0);
      ASSERT_LT(seg.tile, s.tiles);
      ASSERT_LT(seg.k_begin, seg.k_end) << "block " << block << " segment " << n << " is empty";
      ASSERT_LE(seg.k_end, kt);
      for (int k = seg.k_begin; k < seg.k_end; ++k) ++covered[seg.tile][k];
      EXPECT_EQ(seg.whole, seg.k_begin == 0 && seg.k_end == kt);
      if (!seg.whole) {
        EXPECT_TRUE(slots_used.insert(seg.slot).second) << "slot " << seg.slot << " used twice";
        EXPECT_LT(seg.slot, 2 * slots) << "the workspace holds 2 slots per SM";
        EXPECT_EQ(seg.tile, s.dp_tiles + seg.sk_tile);
        contributors[seg.sk_tile].insert(block - s.dp_tiles);
      }
    }
    EXPECT_GE(n, 1) << "block " << block << " has nothing to do";
    EXPECT_LE(n, 2) << "block " << block;
  }
  for (int t = 0; t < s.tiles; ++t) {
    for (int k = 0; k < kt; ++k) ASSERT_EQ(covered[t][k], 1) << "tile " << t << ", k-tile " << k;
  }
  for (const auto& [j, blocks] : contributors) {
    const int first = sk_first_contributor(s, j), last = sk_last_contributor(s, j);
    EXPECT_EQ(*blocks.begin(), first) << "SK tile " << j;
    EXPECT_EQ(*blocks.rbegin(), last) << "SK tile " << j;
    EXPECT_EQ(static_cast<int>(blocks.size()), last - first + 1) << "SK tile " << j << ": contributors not contiguous";
    for (int b = first; b <= last; ++b) {
      // the slot the fix-up reads is the slot the contributor wrote
      bool found = false;
      TileSegment seg{};
      for (int n = 0; tile_segment(s, s.dp_tiles + b, n, seg); ++n) {
        if (!seg.whole && seg.sk_tile == j) found = seg.slot == sk_contributor_slot(s, j, b);
      }
      EXPECT_TRUE(found) << "SK tile " << j << ", block " << b;
    }
  }
}

}  // namespace

TEST(TileSchedule, ModelShapesAtManyTokenCounts) {
  for (const char* preset : {"8b", "0.6b"}) {
    const ModelConfig c = ModelConfig::preset(preset);
    const int H = static_cast<int>(c.hidden_size), I = static_cast<int>(c.intermediate_size);
    const int q = static_cast<int>(c.q_dim()), kv = static_cast<int>(c.kv_dim());
    const int shapes[4][2] = {{q + 2 * kv, H}, {H, q}, {2 * I, H}, {H, I}};  // N, K of qkv, o_proj, gate_up, down
    for (int M : {1, 7, 128, 260, 520, 1000, 1024, 1040, 2048, 2080, 4096, 4160, 5200, 8192, 16384}) {
      for (const auto& nk : shapes) check_schedule((M + 127) / 128, (nk[0] + 255) / 256, (nk[1] + 63) / 64, kSms);
    }
  }
}

TEST(TileSchedule, SmallGridsEveryWay) {
  for (int tm = 1; tm <= 12; ++tm) {
    for (int tn = 1; tn <= 12; ++tn) {
      for (int kt : {1, 2, 7, 8, 9, 31, 64, 127, 128, 192, 300}) {
        for (int slots : {1, 5, 13, 132}) check_schedule(tm, tn, kt, slots);
      }
    }
  }
}

// The case the schedule was made for (down_proj at 1040 tokens on 132 SMs), and the ones it leaves alone.
TEST(TileSchedule, SharesOnlyASparseLastWaveOfLongTiles) {
  TileSchedule s = make_tile_schedule(9, 16, 192, kSms);  // 8B down_proj (K = 12288), 1040 tokens: 144 tiles
  EXPECT_EQ(s.dp_tiles, 132);
  EXPECT_EQ(s.sk_tiles, 12);
  EXPECT_EQ(s.sk_blocks, 132);  // 2304 k-tiles in runs of 17-18
  s = make_tile_schedule(8, 16, 192, kSms);  // 1024 tokens: 128 tiles, one wave, nearly full
  EXPECT_EQ(s.sk_tiles, 0);
  s = make_tile_schedule(32, 16, 192, kSms);  // 4096 tokens: 512 tiles, 3 waves + 116 (88% of a wave)
  EXPECT_EQ(s.sk_tiles, 0);
  s = make_tile_schedule(9, 16, 64, kSms);  // o_proj (K = 4096): too short to repay sharing (measured)
  EXPECT_EQ(s.sk_tiles, 0);
}

// The fix-up on the CPU: each contributor's partial sum of a tile (here: the sum of its k-tiles' numbers, in
// floats, so the order of additions shows in the bits) stored in its slot; the full sum is the slots added in
// contributor order, and equals the same sum whichever block would have arrived last.
TEST(TileSchedule, FixupAddsTheSlotsInOneOrder) {
  const TileSchedule s = make_tile_schedule(9, 16, 192, kSms);
  ASSERT_GT(s.sk_tiles, 0);
  std::map<int, float> slot_sum;
  for (int block = s.dp_tiles; block < s.blocks(); ++block) {
    TileSegment seg{};
    for (int n = 0; tile_segment(s, block, n, seg); ++n) {
      float partial = 0;
      for (int k = seg.k_begin; k < seg.k_end; ++k) partial += 1.0f / (1 + k + 192 * seg.tile);
      if (!seg.whole) slot_sum[seg.slot] = partial;
    }
  }
  for (int j = 0; j < s.sk_tiles; ++j) {
    float fixed_order = 0, reference = 0;
    for (int b = sk_first_contributor(s, j); b <= sk_last_contributor(s, j); ++b) {
      fixed_order += slot_sum.at(sk_contributor_slot(s, j, b));
    }
    for (int b = sk_first_contributor(s, j); b <= sk_last_contributor(s, j); ++b) {
      float partial = 0;
      const int64_t lo = s.sk_begin(b) > int64_t{j} * 192 ? s.sk_begin(b) : int64_t{j} * 192;
      const int64_t hi = s.sk_begin(b + 1) < int64_t{j + 1} * 192 ? s.sk_begin(b + 1) : int64_t{j + 1} * 192;
      for (int64_t i = lo; i < hi; ++i) partial += 1.0f / (1 + (i - int64_t{j} * 192) + 192 * (s.dp_tiles + j));
      reference += partial;
    }
    EXPECT_EQ(fixed_order, reference) << "SK tile " << j;
  }
}
