// Exercise 05_swiglu's checks: learner::silu_mul against ref_cpu's silu_mul over the model's MLP width
// (I = 3072 for 0.6B) for several tokens, in place as the forward pass calls it, and at gates so large or so
// negative that a careless formula overflows.
#include <gtest/gtest.h>

#include <vector>

#include "exercises/05_swiglu/swiglu.h"
#include "exercises/common/check.h"
#include "ref_cpu/ops.h"

namespace {

using qwen3::exercises::close_to;
using qwen3::exercises::random_values;

constexpr double kTol = 1e-5;

void check(const std::vector<float>& g, const std::vector<float>& u, const std::string& what) {
  const int64_t n = static_cast<int64_t>(g.size());
  std::vector<float> want(n), got(n, -3.0f);
  qwen3::cpu::silu_mul(g.data(), u.data(), n, want.data());
  learner::silu_mul(g.data(), u.data(), n, got.data());
  EXPECT_TRUE(close_to(got, want, kTol, what));
}

TEST(SwiGlu, OneValue) { check({0.5f}, {2.0f}, "one value"); }
TEST(SwiGlu, MlpWidthOfTheModel) {
  check(random_values(3 * 3072, 1, 4.0f), random_values(3 * 3072, 2), "3 tokens × I = 3072");
}
TEST(SwiGlu, GateAndUpAreNotInterchangeable) {
  check({-2.0f, 3.0f, 1.0f}, {5.0f, -0.5f, 0.25f}, "gates and ups of different sizes");
}
TEST(SwiGlu, LargeAndVeryNegativeGates) {
  check({100.0f, -100.0f, 89.0f, -89.0f, 30.0f}, {1.0f, 1.0f, 2.0f, 2.0f, -1.0f}, "gates of ±100 and ±89");
}
TEST(SwiGlu, InPlaceOverTheGate) {
  const std::vector<float> g = random_values(1000, 3, 6.0f), u = random_values(1000, 4);
  std::vector<float> want(1000);
  qwen3::cpu::silu_mul(g.data(), u.data(), 1000, want.data());
  std::vector<float> inplace = g;
  learner::silu_mul(inplace.data(), u.data(), 1000, inplace.data());
  EXPECT_TRUE(close_to(inplace, want, kTol, "y written over g, as the forward pass does"));
}

}  // namespace
