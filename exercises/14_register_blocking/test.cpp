// Exercise 14_register_blocking's checks: learner::gemm_register_blocking on the CPU simulator against ref_cpu's
// linear on real and odd shapes (tiles of 64 hang over every edge), then README.md's budget: shared-memory load
// requests per multiply-add, and the global traffic of a 64×64 block tile.
#include <gtest/gtest.h>

#include "exercises/14_register_blocking/register_blocking.h"
#include "exercises/common/gpu_sim/gemm_exercise.h"

namespace {

using qwen3::exercises::gemm_matches;
using qwen3::exercises::run_gemm;

const auto gemm = learner::gemm_register_blocking;

TEST(RegisterBlocking, OneByOne) { EXPECT_TRUE(gemm_matches(gemm, 1, 1, 1, 1)); }
TEST(RegisterBlocking, MultiplesOfTheTile) { EXPECT_TRUE(gemm_matches(gemm, 128, 192, 64, 2)); }
TEST(RegisterBlocking, OddSizesEveryEdgeCut) { EXPECT_TRUE(gemm_matches(gemm, 127, 193, 67, 3)); }
TEST(RegisterBlocking, OneRowLikeAShortText) { EXPECT_TRUE(gemm_matches(gemm, 1, 193, 67, 4)); }
TEST(RegisterBlocking, OneColumnAndShortK) { EXPECT_TRUE(gemm_matches(gemm, 33, 1, 5, 5)); }

TEST(RegisterBlocking, BudgetSharedLoadsPerMultiplyAdd) {
  const int M = 128, N = 128, K = 64;
  const auto r = run_gemm(gemm, M, N, K, 6);
  ASSERT_TRUE(qwen3::exercises::close_to(r.C, r.want, 1e-5, qwen3::exercises::shape(M, N, K)));
  // a warp's multiply-add instruction does 32 of the M·N·K multiply-adds
  const double warp_fmas = double(M) * N * K / 32;
  const double per_fma = double(r.stats.shared_load_requests) / warp_fmas;
  EXPECT_LE(per_fma, 0.5) << "shared load requests per warp multiply-add: " << per_fma
                          << " (one thread per output needs 2; a 4×4 micro-tile 8 per 16 = 0.5)\n"
                          << r.stats.describe();
  const int64_t sectors = (int64_t(M) * K * (N / 64) + int64_t(N) * K * (M / 64)) / 8;
  EXPECT_LE(r.stats.global_load_sectors, sectors) << "global traffic of a 64×64 block tile\n" << r.stats.describe();
}

}  // namespace
