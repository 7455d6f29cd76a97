// Exercise 12_coalescing's checks: learner::gemm_coalesced on the CPU simulator against ref_cpu's linear on real
// and odd shapes, then README.md's budget on the simulator's counts: C stored one 128-byte line per warp (4
// sectors per request) and A read as a broadcast (1 sector per request).
#include <gtest/gtest.h>

#include "exercises/12_coalescing/coalescing.h"
#include "exercises/common/gpu_sim/gemm_exercise.h"

namespace {

using qwen3::exercises::gemm_matches;
using qwen3::exercises::run_gemm;

TEST(Coalescing, OneByOne) { EXPECT_TRUE(gemm_matches(learner::gemm_coalesced, 1, 1, 1, 1)); }
TEST(Coalescing, MultiplesOfThe32Tile) { EXPECT_TRUE(gemm_matches(learner::gemm_coalesced, 96, 160, 64, 2)); }
TEST(Coalescing, OddSizesEveryEdgeCut) { EXPECT_TRUE(gemm_matches(learner::gemm_coalesced, 95, 161, 67, 3)); }
TEST(Coalescing, OneRowLikeAShortText) { EXPECT_TRUE(gemm_matches(learner::gemm_coalesced, 1, 161, 67, 4)); }
TEST(Coalescing, OneColumnAndShortK) { EXPECT_TRUE(gemm_matches(learner::gemm_coalesced, 33, 1, 5, 5)); }

TEST(Coalescing, BudgetSectorsPerRequest) {
  const int M = 64, N = 128, K = 64;
  const auto r = run_gemm(learner::gemm_coalesced, M, N, K, 6);
  ASSERT_TRUE(qwen3::exercises::close_to(r.C, r.want, 1e-5, qwen3::exercises::shape(M, N, K)));
  const sim::BufferStats A = r.stats.buffer("A"), C = r.stats.buffer("C");
  EXPECT_LE(C.store_sectors_per_request(), 4.0)
      << "a warp's stores to C should be 32 consecutive floats (4 sectors)\n" << r.stats.describe();
  EXPECT_LE(A.load_sectors_per_request(), 1.0)
      << "the lanes of a warp should all read the same A[m][k] (a broadcast: 1 sector)\n" << r.stats.describe();
  EXPECT_EQ(C.store_bytes, int64_t(M) * N * 4) << r.stats.describe();
}

}  // namespace
