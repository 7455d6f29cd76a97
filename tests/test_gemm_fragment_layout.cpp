// Step 9's index math (cuda_opt/gemm/09_layout.h), checked on the CPU: no GPU needed, so it runs in CI.
// The test emulates what the kernel does with that index math (exercises/common/warp_mma_emulator.h, shared with
// exercise 17_mma_fragments): cp.async chunks into swizzled shared memory, ldmatrix.x4 and mma.sync.m16n8k16 with
// the fragment layouts of the PTX ISA, then the epilogue's positions, block by block in grouped order
// (tile_order.h), and compares C with a plain GEMM. A wrong swizzle, fragment row, chunk or
// accumulator position gives wrong numbers here. The tiling the GPU verified first (128×128×32, warps of 64×32)
// runs beside the others (step09::Tilings), so the emulator itself is held to hardware-checked ground.
// The whole-tile form of mma_m16n8k16 (what exercise 18_flash_attention_tc calls) is checked against a plain product.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <type_traits>
#include <utility>

#include "cuda_opt/gemm/09_layout.h"
#include "cuda_opt/gemm/tile_order.h"
#include "exercises/common/warp_mma_emulator.h"

namespace {

using namespace qwen3;
using namespace qwen3::gemm;
using namespace qwen3::exercises::warp_mma;
using step09::RowChunk;
using step09::RowCol;

// The kernel's layout for tiling T gives C exactly, with aligned, conflict-free ldmatrix phases.
template <class T>
void expect_emulation_matches(int M, int N, int K) {
  SCOPED_TRACE(testing::Message() << "tile " << T::BM << "x" << T::BN << "x" << T::BK << ", M=" << M << " N=" << N
                                  << " K=" << K);
  const Findings f = emulate_and_compare<T>(M, N, K);
  EXPECT_EQ(f.wrong, 0) << "first: " << f.first_wrong;
  EXPECT_EQ(f.conflicts, 0) << "ldmatrix phases with bank conflicts";
  EXPECT_EQ(f.unaligned, 0) << "unaligned ldmatrix row addresses";
}

// Every tiling of step09::Tilings (the ones gemm_ladder --step9-tilings can time) on one shape.
template <class... Ts>
void expect_every_tiling_matches(step09::TilingList<Ts...>, int M, int N, int K) {
  (expect_emulation_matches<Ts>(M, N, K), ...);
}

TEST(GemmFragmentLayout, SwizzleIsAPermutationOfEachRowsChunks) {
  auto check = [](auto chunks_tag, int rows) {
    constexpr int kChunks = decltype(chunks_tag)::value;
    std::set<uint32_t> seen;
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < kChunks; ++c) {
        const uint32_t off = step09::swizzle<kChunks>(r, c);
        EXPECT_EQ(off % 16, 0u);
        EXPECT_EQ(off / (kChunks * 16), static_cast<uint32_t>(r)) << "chunk left its row";
        seen.insert(off);
      }
    }
    EXPECT_EQ(seen.size(), static_cast<size_t>(rows * kChunks));
  };
  check(std::integral_constant<int, 4>{}, 256);
  check(std::integral_constant<int, 8>{}, 256);
}

TEST(GemmFragmentLayout, CopyChunksFillEverySlotOnceWithoutBankConflicts) {
  using T = step09::Tile;  // (the other tilings: the emulation below checks their copies give the right numbers)
  std::set<uint32_t> seen;
  for (int p = 0; p < T::BN * T::kChunks / T::kThreads; ++p) {
    for (int t0 = 0; t0 < T::kThreads; t0 += 8) {  // a warp's 16-byte stores go to shared memory 8 threads at a time
      std::set<uint32_t> groups;
      for (int t = t0; t < t0 + 8; ++t) {
        const RowChunk rc = step09::copy_chunk<T>(t, p);
        const uint32_t off = step09::swizzle<T::kChunks>(rc.row, rc.chunk);
        groups.insert((off / 16) % 8);
        seen.insert(off);
      }
      EXPECT_EQ(groups.size(), 8u) << "threads " << t0 << "-" << t0 + 7 << " of pass " << p << " conflict";
    }
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(T::BN * T::kChunks));
}

TEST(GemmFragmentLayout, GroupedOrderVisitsEveryTileOnce) {
  for (const auto& [tiles_m, tiles_n] : {std::pair{1, 1}, std::pair{32, 24}, std::pair{13, 5}, std::pair{8, 96},
                                        std::pair{17, 1}, std::pair{3, 7}}) {
    std::set<std::pair<int, int>> seen;
    for (int b = 0; b < tiles_m * tiles_n; ++b) {
      const TileCoord t = grouped_tile(static_cast<unsigned>(b), tiles_m, tiles_n);
      EXPECT_TRUE(t.m >= 0 && t.m < tiles_m && t.n >= 0 && t.n < tiles_n) << "block " << b << " off the grid";
      seen.insert({t.m, t.n});
    }
    EXPECT_EQ(seen.size(), static_cast<size_t>(tiles_m * tiles_n)) << tiles_m << " x " << tiles_n << " tiles";
  }
}

// The first tiling is the one the H100 ran (runs 1-3: bit-identical to cuBLAS): the emulation agrees with it.
TEST(GemmFragmentLayout, FirstTilingEmulatesToTheGemm) {
  expect_emulation_matches<step09::FirstTile>(130, 200, 104);
}

TEST(GemmFragmentLayout, DefaultTilingEmulatesToTheGemm) {
  expect_emulation_matches<step09::Tile>(256, 512, 128);  // whole tiles, 4 slices: every stage reused
  expect_emulation_matches<step09::Tile>(200, 300, 104);  // partial tiles in M, N and the last slice
  expect_emulation_matches<step09::Tile>(33, 270, 77);    // K not a multiple of 8 (the kernel's guarded path)
}

TEST(GemmFragmentLayout, EveryTilingEmulatesToTheGemm) {
  expect_every_tiling_matches(step09::Tilings{}, 300, 280, 200);  // several slices: each stage reused
  expect_every_tiling_matches(step09::Tilings{}, 33, 270, 77);
}

// The emulation can fail. Three plausible mistakes, each caught:
// no swizzle at all (right numbers, but every ldmatrix phase reads 8 rows from the same banks) ...
struct NoSwizzle : KernelLayout<step09::Tile> {
  static uint32_t swizzle(int r, int c) { return static_cast<uint32_t>(r * step09::Tile::kChunks * 16 + c * 16); }
};
// ... A's fragment taking its k halves in B's order (lanes 8-15 at k 8-15 instead of rows 8-15) ...
struct AInBOrder : KernelLayout<step09::Tile> {
  static RowChunk a_row(int wm, int mt, int ks, int lane) {
    return {wm * step09::Tile::WM + mt * 16 + (lane / 16) * 8 + lane % 8, ks * 2 + (lane / 8) % 2};
  }
};
// ... and the accumulators' second half stored 4 rows down instead of 8.
struct HalfFourRowsDown : KernelLayout<step09::Tile> {
  static RowCol acc(int wm, int wn, int mt, int nt, int half, int lane) {
    RowCol p = step09::accumulator_position<step09::Tile>(wm, wn, mt, nt, half, lane);
    p.row -= half * 4;
    return p;
  }
};

TEST(GemmFragmentLayout, EmulationCatchesLayoutMistakes) {
  const Findings no_swizzle = emulate_and_compare<step09::Tile, NoSwizzle>(64, 64, 32);
  EXPECT_EQ(no_swizzle.wrong, 0) << "unswizzled but consistent: right numbers";
  EXPECT_GT(no_swizzle.conflicts, 0) << "but every phase conflicts";
  EXPECT_GT((emulate_and_compare<step09::Tile, AInBOrder>(64, 64, 32).wrong), 0);
  const Findings shifted = emulate_and_compare<step09::Tile, HalfFourRowsDown>(64, 64, 32);
  EXPECT_GT(shifted.wrong, 0);
  EXPECT_NE(shifted.first_wrong.find("written 2 times"), std::string::npos) << shifted.first_wrong;
}

}  // namespace

namespace {

// The whole-tile mma (exercise 18_flash_attention_tc's) is the plain product of its bf16 tiles added to D: every
// element against a double-precision sum of the same products (fp32 accumulation of 16 terms: a few ulps).
TEST(GemmFragmentLayout, WholeTileMmaIsThePlainProduct) {
  TileA a;
  TileB b;
  TileC d;
  for (int m = 0; m < 16; ++m) {
    for (int k = 0; k < 16; ++k) a[m][k] = f32_to_bf16(random_symmetric(11, 1, static_cast<uint64_t>(16 * m + k)));
  }
  for (int k = 0; k < 16; ++k) {
    for (int n = 0; n < 8; ++n) b[k][n] = f32_to_bf16(random_symmetric(11, 2, static_cast<uint64_t>(8 * k + n)));
  }
  for (int m = 0; m < 16; ++m) {
    for (int n = 0; n < 8; ++n) d[m][n] = static_cast<float>(m - n);  // D is added to, not overwritten
  }
  const TileC before = d;
  mma_m16n8k16(d, a, b);
  for (int m = 0; m < 16; ++m) {
    for (int n = 0; n < 8; ++n) {
      double want = before[m][n], mag = std::fabs(before[m][n]);
      for (int k = 0; k < 16; ++k) {
        const double p = static_cast<double>(bf16_to_f32(a[m][k])) * bf16_to_f32(b[k][n]);
        want += p;
        mag += std::fabs(p);
      }
      EXPECT_NEAR(d[m][n], want, 1e-6 * mag) << "D[" << m << "][" << n << "]";
    }
  }
}

}  // namespace
