// Exercise 07_pooling's checks: learner::last_token_pool against ref_cpu's last_token_pool on packed batches of the
// model's width (H = 1024) with sequences of 1, 5 and 3 tokens, a zero row, and learner::matryoshka against
// core/pooling.h's matryoshka_truncate at the dimensions Qwen3-Embedding supports (32 .. H) and at 1.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/pooling.h"
#include "exercises/07_pooling/pooling.h"
#include "exercises/common/check.h"
#include "ref_cpu/ops.h"

namespace {

using qwen3::exercises::close_to;
using qwen3::exercises::random_values;

constexpr double kTol = 1e-6;

void check_pool(const std::vector<int64_t>& lengths, int64_t H, uint64_t seed, const std::string& what) {
  std::vector<int64_t> offsets{0};
  for (int64_t len : lengths) offsets.push_back(offsets.back() + len);
  const int64_t T = offsets.back(), B = static_cast<int64_t>(lengths.size());
  const std::vector<float> x = random_values(T * H, seed, 3.0f);
  std::vector<float> want(B * H), got(B * H, 7.0f);
  qwen3::cpu::last_token_pool(x.data(), offsets.data(), B, H, want.data());
  learner::last_token_pool(x.data(), offsets.data(), B, H, got.data());
  EXPECT_TRUE(close_to(got, want, kTol, what));
}

TEST(Pooling, OneSequenceOfOneToken) { check_pool({1}, 1024, 1, "one sequence of one token"); }
TEST(Pooling, PackedSequences) { check_pool({1, 5, 3}, 1024, 2, "three packed sequences (1, 5, 3 tokens)"); }
TEST(Pooling, OddWidth) { check_pool({4, 2}, 37, 3, "H = 37"); }

TEST(Pooling, ZeroRowStaysZero) {
  const std::vector<float> x(2 * 8, 0.0f);
  const std::vector<int64_t> offsets{0, 2};
  std::vector<float> got(8, 1.0f);
  learner::last_token_pool(x.data(), offsets.data(), 1, 8, got.data());
  EXPECT_TRUE(close_to(got, std::vector<float>(8, 0.0f), kTol, "a last token whose state is all zeros"));
}

TEST(Matryoshka, EverySupportedDimension) {
  std::vector<float> e = random_values(1024, 4);
  qwen3::l2_normalize(e.data(), 1024);
  for (int64_t dim : {32, 64, 100, 512, 1024}) {
    const std::vector<float> want = qwen3::matryoshka_truncate(e.data(), 1024, dim);
    std::vector<float> got(dim, 9.0f);
    learner::matryoshka(e.data(), 1024, dim, got.data());
    EXPECT_TRUE(close_to(got, want, kTol, "the first " + std::to_string(dim) + " of 1024 dimensions"));
  }
}

TEST(Matryoshka, OneDimensionIsPlusOrMinusOne) {
  const std::vector<float> e{-0.6f, 0.8f};
  float got = 0;
  learner::matryoshka(e.data(), 2, 1, &got);
  EXPECT_NEAR(got, -1.0f, 1e-6);
}

}  // namespace
