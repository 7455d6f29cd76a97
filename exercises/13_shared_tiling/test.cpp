// Exercise 13_shared_tiling's checks: learner::gemm_shared_tiling on the CPU simulator (whose threads really
// wait at __syncthreads, and which reports a read of a tile element nobody stored yet, or a race between two
// barriers) against ref_cpu's linear on real and odd shapes; then README.md's budget: global traffic of a
// 32×32 tiling and no shared-memory bank conflicts.
#include <gtest/gtest.h>

#include "exercises/13_shared_tiling/shared_tiling.h"
#include "exercises/common/gpu_sim/gemm_exercise.h"

namespace {

using qwen3::exercises::gemm_matches;
using qwen3::exercises::run_gemm;

TEST(SharedTiling, OneByOne) { EXPECT_TRUE(gemm_matches(learner::gemm_shared_tiling, 1, 1, 1, 1)); }
TEST(SharedTiling, MultiplesOfThe32Tile) { EXPECT_TRUE(gemm_matches(learner::gemm_shared_tiling, 96, 160, 64, 2)); }
TEST(SharedTiling, OddSizesEveryEdgeCut) { EXPECT_TRUE(gemm_matches(learner::gemm_shared_tiling, 95, 161, 67, 3)); }
TEST(SharedTiling, OneRowLikeAShortText) { EXPECT_TRUE(gemm_matches(learner::gemm_shared_tiling, 1, 161, 67, 4)); }
TEST(SharedTiling, OneColumnAndShortK) { EXPECT_TRUE(gemm_matches(learner::gemm_shared_tiling, 33, 1, 5, 5)); }

TEST(SharedTiling, BudgetGlobalSectorsAndNoBankConflicts) {
  const int M = 64, N = 128, K = 64;
  const auto r = run_gemm(learner::gemm_shared_tiling, M, N, K, 6);
  ASSERT_TRUE(qwen3::exercises::close_to(r.C, r.want, 1e-5, qwen3::exercises::shape(M, N, K)));
  // each element of A read once per 32-column block of C, each of B once per 32-row block; 8 floats a sector
  const int64_t budget = (int64_t(M) * K * (N / 32) + int64_t(N) * K * (M / 32)) / 8;
  EXPECT_LE(r.stats.global_load_sectors, budget) << r.stats.describe();
  EXPECT_LE(r.stats.load_sectors_per_request(), 4.0) << "tile loads: lanes along k, 4 sectors a request\n"
                                                     << r.stats.describe();
  EXPECT_EQ(r.stats.shared_conflict_wavefronts, 0) << "worst " << r.stats.max_bank_conflict_ways << "-way\n"
                                                   << r.stats.describe();
}

}  // namespace
