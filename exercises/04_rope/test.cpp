// Exercise 04_rope's checks: learner::apply_rope against ref_cpu's apply_rope on the model's shapes (16 query and
// 8 key heads of D = 128, theta = 1e6), on several packed sequences whose positions restart at 0, on positions up
// to 4000, and on the tiniest head (D = 2). The bound admits computing the angles in double instead of fp32
// (they differ by ~p·1e-7 radians at position p) and rejects every mistake in wrong/.
#include <gtest/gtest.h>

#include <vector>

#include "exercises/04_rope/rope.h"
#include "exercises/common/check.h"
#include "ref_cpu/ops.h"

namespace {

using qwen3::exercises::close_to;
using qwen3::exercises::random_values;

constexpr double kTol = 1e-3;
constexpr double kTheta = 1e6;  // Qwen3's rope_theta

void check(const std::vector<int32_t>& positions, int64_t heads, int64_t D, uint64_t seed, const std::string& what) {
  const int64_t T = static_cast<int64_t>(positions.size());
  const std::vector<float> x = random_values(T * heads * D, seed);
  std::vector<float> want = x, got = x;
  qwen3::cpu::apply_rope(want.data(), positions.data(), T, heads, D, kTheta);
  learner::apply_rope(got.data(), positions.data(), T, heads, D, kTheta);
  EXPECT_TRUE(close_to(got, want, kTol, what));
}

std::vector<int32_t> packed_positions(const std::vector<int32_t>& lengths) {
  std::vector<int32_t> p;
  for (int32_t len : lengths)
    for (int32_t i = 0; i < len; ++i) p.push_back(i);
  return p;
}

TEST(Rope, PositionZeroLeavesXUnchanged) { check({0}, 1, 128, 1, "one token at position 0 (cos 1, sin 0)"); }
TEST(Rope, OneSequenceQueries) { check(packed_positions({9}), 16, 128, 2, "9 tokens, 16 query heads, D = 128"); }
TEST(Rope, PackedSequencesRestartAtZero) {
  check(packed_positions({3, 1, 6}), 8, 128, 3, "three packed sequences (lengths 3, 1, 6), 8 key heads");
}
TEST(Rope, LongPositions) { check({1000, 2047, 4000}, 2, 128, 4, "positions 1000, 2047 and 4000"); }
TEST(Rope, SmallestHead) { check(packed_positions({5}), 3, 2, 5, "D = 2: one pair per head"); }

TEST(Rope, RotationKeepsEachPairsLength) {
  // a rotation: |(x[i], x[i+D/2])| is the same before and after, for every pair
  const int64_t D = 64;
  const std::vector<int32_t> pos = {0, 1, 2, 3};
  const std::vector<float> x = random_values(4 * D, 6);
  std::vector<float> y = x;
  learner::apply_rope(y.data(), pos.data(), 4, 1, D, kTheta);
  for (int64_t t = 0; t < 4; ++t)
    for (int64_t i = 0; i < D / 2; ++i) {
      const float* a = x.data() + t * D;
      const float* b = y.data() + t * D;
      EXPECT_NEAR(a[i] * a[i] + a[i + D / 2] * a[i + D / 2], b[i] * b[i] + b[i + D / 2] * b[i + D / 2], 1e-5)
          << "token " << t << ", pair (" << i << ", " << i + D / 2 << ")";
    }
}

}  // namespace
