// Exercise 17_mma_fragments's checks: the learner's index math, first directly (each mapping is a bijection onto
// its tile; the 8 row addresses of every ldmatrix phase and every 8 cp.async stores fall in 8 different 16-byte bank
// groups), then plugged into the CPU emulation of step 9's kernel (exercises/common/warp_mma_emulator.h: cp.async,
// swizzled shared memory, ldmatrix.x4, mma.sync.m16n8k16, epilogue) on whole GEMMs compared with a plain GEMM,
// with the emulator counting the ldmatrix phases that would have bank conflicts. The budget is zero conflicts.
#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <utility>

#include "cuda_opt/gemm/09_layout.h"
#include "exercises/17_mma_fragments/fragments.h"
#include "exercises/common/warp_mma_emulator.h"

namespace {

namespace step09 = qwen3::gemm::step09;
namespace emu = qwen3::exercises::warp_mma;

// The kernel's layout for tiling T with the learner's swizzle, A fragment rows and accumulator positions (B's
// fragment rows stay the kernel's).
template <class T>
struct LearnerLayout : emu::KernelLayout<T> {
  static uint32_t swizzle(int r, int c) { return learner::swizzled_offset(r, c, T::kChunks); }
  static step09::RowChunk a_row(int wm, int mt, int ks, int lane) {
    const learner::RowChunk rc = learner::a_fragment_row(lane);
    return {wm * T::WM + mt * 16 + rc.row, ks * 2 + rc.chunk};
  }
  static step09::RowCol acc(int wm, int wn, int mt, int nt, int half, int lane) {
    const learner::RowCol p = learner::accumulator_position(lane, half);
    return {wm * T::WM + mt * 16 + p.row, wn * T::WN + nt * 8 + p.col};
  }
};

// The 16-byte bank group of a shared-memory byte offset: 32 banks of 4 bytes = 8 groups of 16 bytes.
int bank_group(uint32_t offset) { return static_cast<int>((offset / 16) % 8); }

void check_swizzle(int chunks_per_row) {
  SCOPED_TRACE(testing::Message() << chunks_per_row << " chunks per row (" << chunks_per_row * 16 << "-byte rows)");
  const int rows = 64;
  std::set<uint32_t> seen;
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < chunks_per_row; ++c) {
      const uint32_t off = learner::swizzled_offset(r, c, chunks_per_row);
      ASSERT_EQ(off % 16, 0u) << "chunk " << c << " of row " << r << " at byte " << off << ": not 16-byte aligned";
      ASSERT_EQ(off / (chunks_per_row * 16), static_cast<uint32_t>(r))
          << "chunk " << c << " of row " << r << " at byte " << off << " left its row";
      ASSERT_TRUE(seen.insert(off).second) << "chunk " << c << " of row " << r << " at byte " << off
                                           << ", where another chunk already is";
    }
  }
  // ldmatrix reads 8 consecutive rows at the same logical chunk in one phase: 8 different bank groups.
  int conflicts = 0;
  std::string first;
  for (int r0 = 0; r0 < rows; r0 += 8) {
    for (int c = 0; c < chunks_per_row; ++c) {
      std::set<int> groups;
      for (int r = r0; r < r0 + 8; ++r) groups.insert(bank_group(learner::swizzled_offset(r, c, chunks_per_row)));
      if (groups.size() != 8 && conflicts++ == 0) {
        first = "rows " + std::to_string(r0) + "-" + std::to_string(r0 + 7) + " at chunk " + std::to_string(c) +
                " fall in " + std::to_string(groups.size()) + " bank groups, not 8";
      }
    }
  }
  EXPECT_EQ(conflicts, 0) << "ldmatrix phases with bank conflicts (budget: 0); first: " << first;
}

TEST(MmaFragments, SwizzleIsABijectionWithoutBankConflicts64ByteRows) { check_swizzle(4); }
TEST(MmaFragments, SwizzleIsABijectionWithoutBankConflicts128ByteRows) { check_swizzle(8); }

// Step 9's copies: a warp's 16-byte cp.async stores reach shared memory 8 threads at a time.
TEST(MmaFragments, CopyStoresWithoutBankConflicts) {
  using T = step09::Tile;
  for (int p = 0; p < T::BM * T::kChunks / T::kThreads; ++p) {
    for (int t0 = 0; t0 < T::kThreads; t0 += 8) {
      std::set<int> groups;
      for (int t = t0; t < t0 + 8; ++t) {
        const step09::RowChunk rc = step09::copy_chunk<T>(t, p);
        groups.insert(bank_group(learner::swizzled_offset(rc.row, rc.chunk, T::kChunks)));
      }
      EXPECT_EQ(groups.size(), 8u) << "threads " << t0 << "-" << t0 + 7 << " of copy pass " << p
                                   << " store into the same bank group";
    }
  }
}

TEST(MmaFragments, AFragmentLanesCoverTheTileOnce) {
  std::set<std::pair<int, int>> seen;
  for (int lane = 0; lane < 32; ++lane) {
    const learner::RowChunk rc = learner::a_fragment_row(lane);
    ASSERT_TRUE(rc.row >= 0 && rc.row < 16 && rc.chunk >= 0 && rc.chunk < 2)
        << "lane " << lane << " gives row " << rc.row << ", chunk " << rc.chunk << ": outside the 16 x 2 chunks";
    EXPECT_TRUE(seen.insert({rc.row, rc.chunk}).second)
        << "lane " << lane << " gives row " << rc.row << ", chunk " << rc.chunk << " that another lane gives too";
  }
}

TEST(MmaFragments, AccumulatorsCoverTheTileOnce) {
  std::set<std::pair<int, int>> seen;
  for (int lane = 0; lane < 32; ++lane) {
    for (int half = 0; half < 2; ++half) {
      const learner::RowCol p = learner::accumulator_position(lane, half);
      for (int e = 0; e < 2; ++e) {
        ASSERT_TRUE(p.row >= 0 && p.row < 16 && p.col + e >= 0 && p.col + e < 8)
            << "lane " << lane << " half " << half << ": (" << p.row << ", " << p.col + e
            << ") is outside the 16 x 8 tile of C";
        EXPECT_TRUE(seen.insert({p.row, p.col + e}).second)
            << "lane " << lane << " half " << half << ": (" << p.row << ", " << p.col + e << ") is held twice";
      }
    }
  }
}

template <class T>
void expect_gemm(int M, int N, int K) {
  SCOPED_TRACE(testing::Message() << "emulated step 9, tile " << T::BM << "x" << T::BN << "x" << T::BK << " ("
                                  << T::kChunks * 16 << "-byte rows), M=" << M << " N=" << N << " K=" << K);
  const emu::Findings f = emu::emulate_and_compare<T, LearnerLayout<T>>(M, N, K);
  EXPECT_EQ(f.wrong, 0) << f.wrong << " elements of C differ from a plain GEMM; first: " << f.first_wrong;
  EXPECT_EQ(f.conflicts, 0) << "ldmatrix phases with bank conflicts (budget: 0)";
  EXPECT_EQ(f.unaligned, 0) << "unaligned ldmatrix row addresses";
}

TEST(MmaFragments, EmulatedGemmMatches64ByteRows) { expect_gemm<step09::Tile>(200, 136, 72); }
TEST(MmaFragments, EmulatedGemmMatches128ByteRows) { expect_gemm<step09::DeepFourWarpTile>(130, 128, 136); }

}  // namespace
