// Exercise 16_fused_rmsnorm_kernel's checks: learner::rms_norm_gpu on the CPU simulator against ref_cpu's
// rms_norm on the model's shapes (the layer norms over H = 1024, q/k norm per head over D = 128 in place, the 8B
// model's H = 4096) and on edges (n = 1, n not a power of two, rows so small that eps matters); then README.md's
// budget: x read once, y written once, both coalesced, and no bank conflicts in the reduction.
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "exercises/16_fused_rmsnorm_kernel/rmsnorm_kernel.h"
#include "exercises/common/check.h"
#include "ref_cpu/ops.h"

namespace {

using qwen3::exercises::close_to;
using qwen3::exercises::random_values;

constexpr double kTol = 1e-5;  // fp32 sums of up to a few thousand squares in any order
constexpr float kEps = 1e-6f;  // Qwen3's rms_norm_eps

struct NormRun {
  std::vector<float> y, want;
  sim::Stats stats;
};

NormRun run(int rows, int n, float scale, uint64_t seed, bool in_place = false) {
  const std::vector<float> x = random_values(int64_t(rows) * n, seed, scale);
  std::vector<float> w = random_values(n, seed + 1);
  for (float& v : w) v += 1.5f;  // weights near 1, as trained models have them
  NormRun r;
  r.want.resize(x.size());
  qwen3::cpu::rms_norm(x.data(), w.data(), rows, n, kEps, r.want.data());
  sim::Capture cap;
  if (in_place) {
    r.y = x;
    learner::rms_norm_gpu(sim::global_ptr<const float>(r.y.data(), r.y.size(), "x"), sim::global(std::as_const(w), "w"),
                          rows, n, kEps, sim::global(r.y, "y"));
  } else {
    r.y.assign(x.size(), std::numeric_limits<float>::quiet_NaN());
    learner::rms_norm_gpu(sim::global(x, "x"), sim::global(std::as_const(w), "w"), rows, n, kEps,
                          sim::global(r.y, "y"));
  }
  r.stats = cap.stats();
  return r;
}

std::string what(int rows, int n) { return "y for rows=" + std::to_string(rows) + ", n=" + std::to_string(n); }

void check(int rows, int n, float scale, uint64_t seed) {
  const NormRun r = run(rows, n, scale, seed);
  EXPECT_TRUE(close_to(r.y, r.want, kTol, what(rows, n)));
}

TEST(FusedRmsNormKernel, OneValue) { check(1, 1, 1.0f, 1); }
TEST(FusedRmsNormKernel, LayerNormShapeOfTheModel) { check(7, 1024, 1.0f, 2); }
TEST(FusedRmsNormKernel, NotAPowerOfTwo) { check(3, 33, 2.0f, 3); }
TEST(FusedRmsNormKernel, NotAPowerOfTwoLarger) { check(2, 1000, 1.0f, 4); }
TEST(FusedRmsNormKernel, HiddenOfThe8BModel) { check(2, 4096, 1.0f, 5); }
TEST(FusedRmsNormKernel, SmallRowsWhereEpsMatters) { check(4, 128, 1e-4f, 6); }

TEST(FusedRmsNormKernel, PerHeadInPlaceAsQkNormRunsIt) {
  // q: [T=5, NH=16, D=128] normalised per (token, head) in place
  const NormRun r = run(5 * 16, 128, 3.0f, 7, true);
  EXPECT_TRUE(close_to(r.y, r.want, kTol, "q normalised per head, in place (x and y the same array)"));
}

TEST(FusedRmsNormKernel, BudgetOneReadOneWriteNoConflicts) {
  const int rows = 4, n = 1024;
  const NormRun r = run(rows, n, 1.0f, 8);
  ASSERT_TRUE(close_to(r.y, r.want, kTol, what(rows, n)));
  const sim::BufferStats x = r.stats.buffer("x"), y = r.stats.buffer("y");
  EXPECT_EQ(x.load_bytes, int64_t(rows) * n * 4) << "x must be read exactly once\n" << r.stats.describe();
  EXPECT_EQ(y.store_bytes, int64_t(rows) * n * 4) << "y must be written exactly once\n" << r.stats.describe();
  EXPECT_EQ(y.load_requests, 0) << r.stats.describe();
  EXPECT_LE(x.load_sectors_per_request(), 4.0) << "reads of x: lanes on consecutive floats\n" << r.stats.describe();
  EXPECT_LE(y.store_sectors_per_request(), 4.0) << "writes of y: lanes on consecutive floats\n"
                                                << r.stats.describe();
  EXPECT_EQ(r.stats.shared_conflict_wavefronts, 0) << r.stats.describe();
}

}  // namespace
