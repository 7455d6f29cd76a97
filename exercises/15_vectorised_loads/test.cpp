// Exercise 15_vectorised_loads' checks: learner::gemm_vectorised on the CPU simulator (which refuses a float4
// access that is not 16-byte aligned) against ref_cpu's linear, on shapes with K % 4 == 0 (the float4 path) and
// without (the scalar fallback), then README.md's budget on global load requests.
#include <gtest/gtest.h>

#include <algorithm>

#include "exercises/15_vectorised_loads/vectorised_loads.h"
#include "exercises/common/gpu_sim/gemm_exercise.h"

namespace {

using qwen3::exercises::gemm_matches;
using qwen3::exercises::run_gemm;

const auto gemm = learner::gemm_vectorised;

TEST(VectorisedLoads, OneByOne) { EXPECT_TRUE(gemm_matches(gemm, 1, 1, 1, 1)); }
TEST(VectorisedLoads, MultiplesOfTheTile) { EXPECT_TRUE(gemm_matches(gemm, 128, 192, 64, 2)); }
TEST(VectorisedLoads, OddRowsAndColumnsKMultipleOfFour) { EXPECT_TRUE(gemm_matches(gemm, 127, 193, 68, 3)); }
TEST(VectorisedLoads, OddKTakesTheScalarPath) { EXPECT_TRUE(gemm_matches(gemm, 127, 193, 67, 4)); }
TEST(VectorisedLoads, OneRowLikeAShortText) { EXPECT_TRUE(gemm_matches(gemm, 1, 193, 68, 5)); }
TEST(VectorisedLoads, OneColumnAndShortK) { EXPECT_TRUE(gemm_matches(gemm, 33, 1, 6, 6)); }

TEST(VectorisedLoads, BudgetSixteenBytesPerLane) {
  const int M = 128, N = 128, K = 64;
  const auto r = run_gemm(gemm, M, N, K, 7);
  ASSERT_TRUE(qwen3::exercises::close_to(r.C, r.want, 1e-5, qwen3::exercises::shape(M, N, K)));
  // the traffic of a 64×64 block tile, 16 bytes per lane: 512 bytes a request
  const int64_t floats = int64_t(M) * K * (N / 64) + int64_t(N) * K * (M / 64);
  EXPECT_LE(r.stats.global_load_requests, floats / 128) << r.stats.describe();
  const double bytes = double(r.stats.global_load_bytes) / double(std::max<int64_t>(r.stats.global_load_requests, 1));
  EXPECT_GE(bytes, 512.0) << "bytes per global load request (a float4 per lane: 512)\n" << r.stats.describe();
}

}  // namespace
