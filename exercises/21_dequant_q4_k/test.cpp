// Exercise 21_dequant_q4_k's checks: learner::unpack_scale_min on scale bytes written by hand; learner::dequantize_q4_k
// on a block written by hand from the format's definition (expected values from the definition), then on random
// blocks against core/quant.cpp's dequantize_row — exactly, since both do the same f32 operations in the same order.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/quant.h"
#include "core/rng.h"
#include "core/safetensors.h"
#include "exercises/21_dequant_q4_k/dequant_q4_k.h"

namespace {

void put_f16(std::vector<uint8_t>& b, size_t at, uint16_t bits) {
  b[at] = static_cast<uint8_t>(bits & 0xFF);
  b[at + 1] = static_cast<uint8_t>(bits >> 8);
}

// The twelve scale bytes for these eight (sc, m) pairs, packed by the statement's table.
std::vector<uint8_t> pack(const int sc[8], const int m[8]) {
  std::vector<uint8_t> s(12);
  for (int j = 0; j < 4; ++j) {
    s[j] = static_cast<uint8_t>(sc[j] | (sc[j + 4] >> 4) << 6);
    s[j + 4] = static_cast<uint8_t>(m[j] | (m[j + 4] >> 4) << 6);
    s[j + 8] = static_cast<uint8_t>((sc[j + 4] & 15) | (m[j + 4] & 15) << 4);
  }
  return s;
}

const int kSc[8] = {1, 2, 40, 63, 17, 35, 50, 62};
const int kM[8] = {0, 63, 5, 9, 20, 41, 60, 31};

TEST(DequantQ4_K, UnpackScaleMinAllEightSubBlocks) {
  const auto s = pack(kSc, kM);
  for (int j = 0; j < 8; ++j) {
    int sc = -1, m = -1;
    learner::unpack_scale_min(s.data(), j, sc, m);
    EXPECT_EQ(sc, kSc[j]) << "scale of sub-block " << j;
    EXPECT_EQ(m, kM[j]) << "min of sub-block " << j;
  }
}

TEST(DequantQ4_K, HandWrittenBlock) {
  std::vector<uint8_t> b(144, 0);
  put_f16(b, 0, 0x3400);  // d = 0.25
  put_f16(b, 2, 0x3C00);  // dmin = 1
  const auto s = pack(kSc, kM);
  std::copy(s.begin(), s.end(), b.begin() + 4);
  auto q_of = [](int v) { return (v * 7 + 3) % 16; };
  for (int v = 0; v < 256; ++v) {  // value v: chunk v/64; low nibble if v%64 < 32
    uint8_t& byte = b[16 + 32 * (v / 64) + v % 32];
    byte = static_cast<uint8_t>(v % 64 < 32 ? (byte & 0xF0) | q_of(v) : (byte & 0x0F) | q_of(v) << 4);
  }
  std::vector<float> y(256, -999.0f);
  learner::dequantize_q4_k(b.data(), 256, y.data());
  for (int v = 0; v < 256; ++v)
    ASSERT_EQ(y[v], 0.25f * static_cast<float>(kSc[v / 32]) * static_cast<float>(q_of(v)) - static_cast<float>(kM[v / 32]))
        << "value " << v << " (sub-block " << v / 32 << ", code " << q_of(v) << ")";
}

TEST(DequantQ4_K, RandomBlocksMatchCoreExactly) {
  for (const int64_t n : {256, 512, 4096}) {
    std::vector<uint8_t> b(static_cast<size_t>(n / 256 * 144));
    for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(qwen3::random_bits(21, 1, i) & 0xFF);
    for (int64_t blk = 0; blk < n / 256; ++blk) {  // finite scales of either sign, 10⁻³..10
      for (int k = 0; k < 2; ++k) {
        const float u = qwen3::random_symmetric(21, 2, static_cast<uint64_t>(2 * blk + k));
        const float d = (u < 0 ? -1.0f : 1.0f) * std::pow(10.0f, 4.0f * std::fabs(u) - 3.0f);
        put_f16(b, static_cast<size_t>(144 * blk + 2 * k), qwen3::f32_to_f16(d));
      }
    }
    std::vector<float> got(static_cast<size_t>(n), -999.0f), want(static_cast<size_t>(n));
    learner::dequantize_q4_k(b.data(), n, got.data());
    qwen3::dequantize_row(qwen3::GgmlType::Q4_K, b.data(), want.data(), n);
    for (int64_t i = 0; i < n; ++i)
      ASSERT_EQ(got[static_cast<size_t>(i)], want[static_cast<size_t>(i)])
          << "n = " << n << ", value " << i << " (block " << i / 256 << ", sub-block " << i % 256 / 32 << ")";
  }
}

}  // namespace
