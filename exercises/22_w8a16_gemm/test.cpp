// Exercise 22_w8a16_gemm's checks: learner::gemm_w8a16 on the CPU simulator against ref_cpu's linear over the
// dequantised fp32 weights and the widened bf16 activations, on odd shapes (NaN-poisoned Y: an output never written
// fails); then the README's budget of global sectors, which only int8 weight reads can meet.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/rng.h"
#include "core/safetensors.h"
#include "exercises/22_w8a16_gemm/w8a16_gemm.h"
#include "exercises/common/check.h"
#include "exercises/common/gpu_sim/cuda_compat.h"
#include "ref_cpu/ops.h"

namespace {

// A buffer of `count` T whose first element is 128-byte aligned, so the simulator's sector counts are exact.
template <class T>
struct Aligned {
  std::vector<T> storage;
  T* data = nullptr;
  size_t count = 0;
  explicit Aligned(size_t n) : storage(n + 128 / sizeof(T)), count(n) {
    const auto addr = reinterpret_cast<uintptr_t>(storage.data());
    data = storage.data() + ((128 - addr % 128) % 128) / sizeof(T);
  }
  T& operator[](size_t i) { return data[i]; }
};

struct GemmRun {
  std::vector<float> Y, want;
  qwen3::sim::Stats stats;
};

GemmRun run(int M, int N, int K, uint64_t seed) {
  Aligned<uint16_t> X(size_t(M) * K);
  Aligned<int8_t> Wq(size_t(N) * K);
  Aligned<float> S(size_t(N) * (K / 32));
  Aligned<float> Y(size_t(M) * N);
  std::vector<float> Xf(X.count), W(Wq.count);
  for (size_t i = 0; i < X.count; ++i) {
    X[i] = qwen3::f32_to_bf16(qwen3::random_symmetric(seed, 1, i));
    Xf[i] = qwen3::bf16_to_f32(X[i]);
  }
  for (size_t i = 0; i < S.count; ++i) S[i] = 0.002f + 0.01f * std::fabs(qwen3::random_symmetric(seed, 2, i));
  for (size_t i = 0; i < Wq.count; ++i) {
    Wq[i] = static_cast<int8_t>(qwen3::random_bits(seed, 3, i) & 0xFF);  // every code, −128..127
    W[i] = S[i / 32] * static_cast<float>(Wq[i]);                        // W[n][k] = S[n][k/32] · Wq[n][k]
  }
  for (size_t i = 0; i < Y.count; ++i) Y[i] = std::numeric_limits<float>::quiet_NaN();
  GemmRun r;
  r.want.assign(Y.count, 0.0f);
  qwen3::cpu::linear(Xf.data(), W.data(), M, K, N, r.want.data());
  {
    qwen3::sim::Capture capture;
    learner::gemm_w8a16(qwen3::sim::global_ptr<const uint16_t>(X.data, X.count, "X"),
                        qwen3::sim::global_ptr<const int8_t>(Wq.data, Wq.count, "Wq"),
                        qwen3::sim::global_ptr<const float>(S.data, S.count, "S"),
                        qwen3::sim::global_ptr<float>(Y.data, Y.count, "Y"), M, N, K);
    r.stats = capture.stats();
  }
  r.Y.assign(Y.data, Y.data + Y.count);
  return r;
}

::testing::AssertionResult matches(int M, int N, int K, uint64_t seed) {
  const GemmRun r = run(M, N, K, seed);
  return qwen3::exercises::close_to(r.Y, r.want, 1e-5,
                                    "Y for M=" + std::to_string(M) + ", N=" + std::to_string(N) + ", K=" + std::to_string(K));
}

TEST(W8A16Gemm, OneByOne) { EXPECT_TRUE(matches(1, 1, 32, 1)); }
TEST(W8A16Gemm, OneTokenLikeAShortText) { EXPECT_TRUE(matches(1, 161, 96, 2)); }
TEST(W8A16Gemm, OddSizesEveryEdgeCut) { EXPECT_TRUE(matches(95, 67, 160, 3)); }
TEST(W8A16Gemm, OneColumn) { EXPECT_TRUE(matches(33, 1, 32, 4)); }

TEST(W8A16Gemm, BudgetGlobalSectorsProveInt8WeightReads) {
  const int M = 64, N = 96, K = 128;
  const GemmRun r = run(M, N, K, 5);
  ASSERT_TRUE(qwen3::exercises::close_to(r.Y, r.want, 1e-5, "Y for the budget's shape"));
  const auto ceil32 = [](int x) { return int64_t(x + 31) / 32; };
  // per k-tile of each block: 1 sector per weight row (32 int8) + 1 for its scale; 2 per activation row (32 bf16)
  const int64_t budget = 2 * int64_t(N) * (K / 32) * ceil32(M) + 2 * int64_t(M) * (K / 32) * ceil32(N);
  EXPECT_LE(r.stats.global_load_sectors, budget) << r.stats.describe();
}

}  // namespace
