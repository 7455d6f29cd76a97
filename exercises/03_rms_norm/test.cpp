// Exercise 03_rms_norm's checks: learner::rms_norm against ref_cpu's rms_norm on the model's shapes (layer norm
// over H = 1024, per-head q/k norm over D = 128 in place) and on edges (one value, odd sizes, rows of zeros, rows
// so small that eps matters). Any correct answer passes: the bound is a relative error a float sum in any order
// meets, far below what any of the mistakes in wrong/ gives.
#include <gtest/gtest.h>

#include <vector>

#include "exercises/03_rms_norm/rms_norm.h"
#include "exercises/common/check.h"
#include "ref_cpu/ops.h"

namespace {

using qwen3::exercises::close_to;
using qwen3::exercises::random_values;

constexpr double kTol = 1e-5;  // fp32, sums of up to a few thousand squares in any order
constexpr float kEps = 1e-6f;  // Qwen3's rms_norm_eps

struct Case {
  int64_t rows, n;
  float scale;  // how large x is: 1e-4 makes mean(x²) ~ 3e-9, where eps (1e-6) dominates
};

void check_case(const Case& c, uint64_t seed) {
  const std::vector<float> x = random_values(c.rows * c.n, seed, c.scale);
  std::vector<float> w = random_values(c.n, seed + 1);
  for (float& v : w) v += 1.5f;  // weights near 1, as trained models have them
  std::vector<float> want(x.size()), got(x.size(), -7.0f);
  qwen3::cpu::rms_norm(x.data(), w.data(), c.rows, c.n, kEps, want.data());
  learner::rms_norm(x.data(), w.data(), c.rows, c.n, kEps, got.data());
  EXPECT_TRUE(close_to(got, want, kTol,
                       "y for rows=" + std::to_string(c.rows) + ", n=" + std::to_string(c.n) + ", |x| ~ " +
                           std::to_string(c.scale)));
}

TEST(RmsNorm, OneValue) { check_case({1, 1, 1.0f}, 1); }
TEST(RmsNorm, LayerNormShapeOfTheModel) { check_case({7, 1024, 1.0f}, 2); }
TEST(RmsNorm, OddSizes) { check_case({3, 33, 2.0f}, 3); }
TEST(RmsNorm, LargeValues) { check_case({2, 1024, 300.0f}, 4); }
TEST(RmsNorm, SmallRowsWhereEpsMatters) { check_case({4, 128, 1e-4f}, 5); }

TEST(RmsNorm, RowsAreNormalisedOneByOne) {
  // one loud row next to a quiet one: each must come out at unit RMS (times w) on its own
  std::vector<float> x = random_values(2 * 64, 6);
  for (int i = 0; i < 64; ++i) x[i] *= 1000.0f;
  const std::vector<float> w(64, 1.0f);
  std::vector<float> want(x.size()), got(x.size());
  qwen3::cpu::rms_norm(x.data(), w.data(), 2, 64, kEps, want.data());
  learner::rms_norm(x.data(), w.data(), 2, 64, kEps, got.data());
  EXPECT_TRUE(close_to(got, want, kTol, "two rows of very different size"));
}

TEST(RmsNorm, ZeroRowGivesZerosNotNan) {
  const std::vector<float> x(2 * 16, 0.0f), w(16, 1.0f);
  std::vector<float> got(x.size(), 5.0f);
  learner::rms_norm(x.data(), w.data(), 2, 16, kEps, got.data());
  EXPECT_TRUE(close_to(got, x, kTol, "a row of zeros (eps keeps the division finite)"));
}

TEST(RmsNorm, PerHeadInPlaceAsQkNormRunsIt) {
  // q: [T=5, NH=16, D=128] normalised per (token, head) in place, as cpu_backend.cpp calls it for q_norm
  const int64_t rows = 5 * 16, D = 128;
  const std::vector<float> q = random_values(rows * D, 7, 3.0f);
  std::vector<float> w = random_values(D, 8);
  for (float& v : w) v += 1.0f;
  std::vector<float> want(q.size());
  qwen3::cpu::rms_norm(q.data(), w.data(), rows, D, kEps, want.data());
  std::vector<float> inplace = q;
  learner::rms_norm(inplace.data(), w.data(), rows, D, kEps, inplace.data());
  EXPECT_TRUE(close_to(inplace, want, kTol, "q normalised per head, in place (x and y the same array)"));
}

}  // namespace
