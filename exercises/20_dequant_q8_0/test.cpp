// Exercise 20_dequant_q8_0's checks: learner::dequantize_q8_0 on a block this file writes by hand from the format's
// definition (expected values from the definition), then on random rows against core/quant.cpp's dequantize_row —
// exactly: d·q of an f16 and an int8 is exact in f32.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "core/quant.h"
#include "core/rng.h"
#include "core/safetensors.h"
#include "exercises/20_dequant_q8_0/dequant_q8_0.h"

namespace {

void put_f16(std::vector<uint8_t>& b, size_t at, uint16_t bits) {
  b[at] = static_cast<uint8_t>(bits & 0xFF);  // little-endian: low byte first
  b[at + 1] = static_cast<uint8_t>(bits >> 8);
}

TEST(DequantQ8_0, HandWrittenBlocks) {
  // block 0: d = 0.5 (f16 0x3800), codes 1, −2, 127, −128, 0...; block 1: d = −3 (f16 0xC200), codes 2 and −1 (0xFF)
  std::vector<uint8_t> b(68, 0);
  put_f16(b, 0, 0x3800);
  b[2] = 1;
  b[3] = 0xFE;  // −2
  b[4] = 127;
  b[5] = 0x80;  // −128
  put_f16(b, 34, 0xC200);
  b[36] = 2;
  b[67] = 0xFF;  // −1, the last code of block 1
  std::vector<float> y(64, -999.0f);
  learner::dequantize_q8_0(b.data(), 64, y.data());
  const std::vector<std::pair<int, float>> want{{0, 0.5f}, {1, -1.0f}, {2, 63.5f}, {3, -64.0f}, {4, 0.0f},
                                                {31, 0.0f}, {32, -6.0f}, {33, -0.0f}, {63, 3.0f}};
  for (const auto& [i, v] : want) EXPECT_EQ(y[i], v) << "value " << i << " (block " << i / 32 << ", code " << i % 32 << ")";
}

// n/32 random blocks: a random f16 scale over 10⁻⁴..10² of either sign, then 32 random bytes.
std::vector<uint8_t> random_blocks(int64_t n, uint64_t seed) {
  std::vector<uint8_t> b(static_cast<size_t>(n / 32 * 34));
  for (int64_t blk = 0; blk < n / 32; ++blk) {
    const float u = qwen3::random_symmetric(seed, 1, static_cast<uint64_t>(blk));  // in [−1, 1)
    const float d = (u < 0 ? -1.0f : 1.0f) * std::pow(10.0f, 6.0f * std::fabs(u) - 4.0f);
    put_f16(b, static_cast<size_t>(34 * blk), qwen3::f32_to_f16(d));
    for (int j = 0; j < 32; ++j)
      b[static_cast<size_t>(34 * blk + 2 + j)] =
          static_cast<uint8_t>(qwen3::random_bits(seed, 2, static_cast<uint64_t>(blk * 32 + j)) & 0xFF);
  }
  return b;
}

TEST(DequantQ8_0, RandomRowsMatchCoreExactly) {
  for (const int64_t n : {32, 64, 1024, 4096}) {
    const auto b = random_blocks(n, 20 + static_cast<uint64_t>(n));
    std::vector<float> got(static_cast<size_t>(n), -999.0f), want(static_cast<size_t>(n));
    learner::dequantize_q8_0(b.data(), n, got.data());
    qwen3::dequantize_row(qwen3::GgmlType::Q8_0, b.data(), want.data(), n);
    for (int64_t i = 0; i < n; ++i)
      ASSERT_EQ(got[static_cast<size_t>(i)], want[static_cast<size_t>(i)])
          << "n = " << n << ", value " << i << " (block " << i / 32 << ", code " << i % 32 << ")";
  }
}

}  // namespace
