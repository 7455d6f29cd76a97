// Exercise 11_first_kernel's checks: learner::gemm_naive on the CPU simulator against ref_cpu's linear, on a
// real-sized shape, on shapes that are not multiples of any tile, and on degenerate ones (1×1×1, one row as when
// embedding a single short text); then the budget of README.md on the simulator's counts.
#include <gtest/gtest.h>

#include "exercises/11_first_kernel/first_kernel.h"
#include "exercises/common/gpu_sim/gemm_exercise.h"

namespace {

using qwen3::exercises::gemm_matches;
using qwen3::exercises::run_gemm;

TEST(FirstKernel, OneByOne) { EXPECT_TRUE(gemm_matches(learner::gemm_naive, 1, 1, 1, 1)); }
TEST(FirstKernel, MultiplesOfThe32Tile) { EXPECT_TRUE(gemm_matches(learner::gemm_naive, 96, 160, 64, 2)); }
TEST(FirstKernel, OddSizesEveryEdgeCut) { EXPECT_TRUE(gemm_matches(learner::gemm_naive, 95, 161, 67, 3)); }
TEST(FirstKernel, OneRowLikeAShortText) { EXPECT_TRUE(gemm_matches(learner::gemm_naive, 1, 161, 67, 4)); }
TEST(FirstKernel, OneColumnAndShortK) { EXPECT_TRUE(gemm_matches(learner::gemm_naive, 33, 1, 5, 5)); }

TEST(FirstKernel, BudgetOneStorePerOutputNoReadOfC) {
  // README's budget: C is written once per element and never read; A and B at most once per multiply-add.
  const int M = 64, N = 96, K = 40;
  const auto r = run_gemm(learner::gemm_naive, M, N, K, 6);
  const sim::BufferStats C = r.stats.buffer("C");
  EXPECT_EQ(C.load_requests, 0) << "C is read: accumulate in a register, store once\n" << r.stats.describe();
  EXPECT_EQ(C.store_bytes, int64_t(M) * N * 4) << "each C element must be stored exactly once\n"
                                                << r.stats.describe();
  const int64_t ab = r.stats.buffer("A").load_bytes + r.stats.buffer("B").load_bytes;
  EXPECT_LE(ab, 2 * int64_t(M) * N * K * 4) << r.stats.describe();
  EXPECT_EQ(r.stats.launches, 1);
}

}  // namespace
