// Exercise 06_attention's checks: learner::causal_attention against ref_cpu's causal_attention (Eigen, the same
// math in matrix form) on the 0.6B model's heads (16 query, 8 KV, D = 128), several packed sequences including one
// of a single token, multi-query attention (one KV head), and scores large enough to overflow a softmax that does
// not subtract its maximum.
#include <gtest/gtest.h>

#include <vector>

#include "exercises/06_attention/attention.h"
#include "exercises/common/check.h"
#include "ref_cpu/ops.h"

namespace {

using qwen3::exercises::close_to;
using qwen3::exercises::random_values;

constexpr double kTol = 1e-5;

void check(const std::vector<int64_t>& lengths, int64_t NH, int64_t NKV, int64_t D, float scale, uint64_t seed,
           const std::string& what) {
  std::vector<int64_t> offsets{0};
  for (int64_t len : lengths) offsets.push_back(offsets.back() + len);
  const int64_t T = offsets.back(), B = static_cast<int64_t>(lengths.size());
  const std::vector<float> q = random_values(T * NH * D, seed, scale), k = random_values(T * NKV * D, seed + 1, scale);
  const std::vector<float> v = random_values(T * NKV * D, seed + 2);
  std::vector<float> want(T * NH * D), got(T * NH * D, 99.0f);
  qwen3::cpu::causal_attention(q.data(), k.data(), v.data(), offsets.data(), B, NH, NKV, D, want.data());
  learner::causal_attention(q.data(), k.data(), v.data(), offsets.data(), B, NH, NKV, D, got.data());
  EXPECT_TRUE(close_to(got, want, kTol, what));
}

TEST(Attention, OneTokenAttendsToItself) { check({1}, 2, 1, 8, 1.0f, 1, "a single token: out = v"); }
TEST(Attention, OneSequenceModelHeads) { check({12}, 16, 8, 128, 1.0f, 2, "12 tokens, 16 query / 8 KV heads, D = 128"); }
TEST(Attention, PackedSequencesStayApart) {
  check({5, 1, 9}, 16, 8, 128, 1.0f, 3, "three packed sequences (5, 1, 9 tokens)");
}
TEST(Attention, GroupsOfFourQueryHeads) { check({6, 4}, 8, 2, 32, 1.0f, 4, "8 query heads over 2 KV heads"); }
TEST(Attention, MultiQuery) { check({7}, 4, 1, 16, 1.0f, 5, "4 query heads sharing one KV head"); }
TEST(Attention, LargeScoresDoNotOverflow) {
  check({6}, 2, 1, 64, 12.0f, 6, "scores in the hundreds (subtract the maximum before exp)");
}

}  // namespace
