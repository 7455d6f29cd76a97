// cuda_opt's flash attention (cuda_opt/attention.h) against ref_cpu's causal_attention.
// Inputs are random (fixed seeds), N(0,1) with some rows scaled up so that softmax is peaked rather than flat,
// rounded to bf16; the reference runs in fp32 on exactly those rounded values. Error ||gpu - ref|| / ||ref||
// over the whole output must stay under kTol: the kernel rounds P to bf16 (8 mantissa bits, 4e-3 relative per
// rounding, errors averaging out over the keys) and its output to bf16, everything else is fp32.
// The output is poisoned with 0xFF bytes (NaN in bf16) before each run, with a poisoned guard after its end:
// every element must come back finite, and the guard untouched.
// Argument checks need no GPU (flash_attention checks before any CUDA call), so that test always runs; the
// others skip, with the reason, when there is no device.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <cuda_runtime.h>

#include "core/error.h"
#include "core/pooling.h"
#include "cuda_common/device.h"
#include "cuda_opt/attention.h"
#include "ref_cpu/ops.h"
#include "tests/gpu_test_util.h"
#include "tests/test_util.h"

using namespace qwen3;
using qwen3::cuda_opt::bf16;
using qwen3::cuda_opt::flash_attention;

namespace {

constexpr double kTol = 1e-2;
constexpr size_t kGuard = 256;       // poisoned bf16 elements after the output that must stay untouched
constexpr uint16_t kPoison = 0xFFFF;  // a NaN in bf16

// fp32 -> bf16 bits, round to nearest even (as __float2bfloat16_rn); the inputs here are finite.
uint16_t bf16_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  u += 0x7FFFu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

float bf16_value(uint16_t b) {
  const uint32_t u = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// One fused QKV projection output [T, W], W = (NH + 2·NKV)·D, rounded to bf16: q heads first, then k, then v.
struct Fused {
  int64_t T = 0, NH = 0, NKV = 0, D = 0, W = 0;
  std::vector<uint16_t> bits;  // what the GPU reads
  std::vector<float> vals;     // the same values as floats, for the references

  float at(int64_t t, int64_t col) const { return vals[static_cast<size_t>(t * W + col)]; }
  float q(int64_t t, int64_t h, int64_t d) const { return at(t, h * D + d); }
  float k(int64_t t, int64_t g, int64_t d) const { return at(t, (NH + g) * D + d); }
  float v(int64_t t, int64_t g, int64_t d) const { return at(t, (NH + NKV + g) * D + d); }
};

// N(0,1) values; every 7th token's q and every 11th token's k scaled by 3 and 2, so some rows have large
// logits (peaked softmax) next to ordinary ones.
Fused make_fused(int64_t T, int64_t NH, int64_t NKV, int64_t D, unsigned seed) {
  Fused f;
  f.T = T, f.NH = NH, f.NKV = NKV, f.D = D, f.W = (NH + 2 * NKV) * D;
  const std::vector<float> r = test::random_vector(static_cast<size_t>(T * f.W), seed);
  f.bits.resize(r.size());
  f.vals.resize(r.size());
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t c = 0; c < f.W; ++c) {
      float x = r[static_cast<size_t>(t * f.W + c)];
      if (c < NH * D && t % 7 == 3) x *= 3.0f;
      if (c >= NH * D && c < (NH + NKV) * D && t % 11 == 5) x *= 2.0f;
      const size_t i = static_cast<size_t>(t * f.W + c);
      f.bits[i] = bf16_bits(x);
      f.vals[i] = bf16_value(f.bits[i]);
    }
  }
  return f;
}

// Columns [col0, col0 + n) of every row of f, contiguous [T, n]: separate q, k, v tensors for the reference.
std::vector<float> columns(const Fused& f, int64_t col0, int64_t n) {
  std::vector<float> out(static_cast<size_t>(f.T * n));
  for (int64_t t = 0; t < f.T; ++t) {
    for (int64_t c = 0; c < n; ++c) out[static_cast<size_t>(t * n + c)] = f.at(t, col0 + c);
  }
  return out;
}
std::vector<uint16_t> column_bits(const Fused& f, int64_t col0, int64_t n) {
  std::vector<uint16_t> out(static_cast<size_t>(f.T * n));
  for (int64_t t = 0; t < f.T; ++t) {
    for (int64_t c = 0; c < n; ++c) {
      out[static_cast<size_t>(t * n + c)] = f.bits[static_cast<size_t>(t * f.W + col0 + c)];
    }
  }
  return out;
}

DeviceBuffer<bf16> upload_bits(const std::vector<uint16_t>& bits, const std::string& what) {
  DeviceBuffer<bf16> d(bits.size(), what);
  d.upload(reinterpret_cast<const bf16*>(bits.data()), bits.size(), what);
  return d;
}

// Runs flash_attention on f (read with strides out of the fused buffer, or from three separate contiguous
// tensors when !fused) for sequences of the given lengths, and returns the output as floats [T, NH, D].
// Checks on the way that nothing past the output was written. max_len_extra is added to the true longest length.
std::vector<float> run_gpu(const Fused& f, const std::vector<int>& lens, bool fused, int max_len_extra = 0) {
  std::vector<int32_t> offsets{0};
  int max_len = 0;
  for (int len : lens) {
    offsets.push_back(offsets.back() + len);
    max_len = std::max(max_len, len);
  }
  const int64_t out_n = f.T * f.NH * f.D;
  DeviceBuffer<int32_t> d_offsets = DeviceBuffer<int32_t>::from_host(offsets, "offsets");
  DeviceBuffer<bf16> d_out(static_cast<size_t>(out_n) + kGuard, "out");
  QWEN3_CUDA_CHECK(cudaMemset(d_out.data(), 0xFF, d_out.bytes()), "poisoning out");
  const int NH = static_cast<int>(f.NH), NKV = static_cast<int>(f.NKV), D = static_cast<int>(f.D);
  const int B = static_cast<int>(lens.size());
  if (fused) {
    DeviceBuffer<bf16> qkv = upload_bits(f.bits, "qkv");
    flash_attention(qkv.data(), f.W, qkv.data() + f.NH * f.D, f.W, qkv.data() + (f.NH + f.NKV) * f.D, f.W,
                    d_offsets.data(), B, max_len + max_len_extra, NH, NKV, D, d_out.data(), nullptr);
    QWEN3_CUDA_CHECK(cudaDeviceSynchronize(), "flash_attention (fused qkv)");
  } else {
    DeviceBuffer<bf16> q = upload_bits(column_bits(f, 0, f.NH * f.D), "q");
    DeviceBuffer<bf16> k = upload_bits(column_bits(f, f.NH * f.D, f.NKV * f.D), "k");
    DeviceBuffer<bf16> v = upload_bits(column_bits(f, (f.NH + f.NKV) * f.D, f.NKV * f.D), "v");
    flash_attention(q.data(), f.NH * f.D, k.data(), f.NKV * f.D, v.data(), f.NKV * f.D, d_offsets.data(), B,
                    max_len + max_len_extra, NH, NKV, D, d_out.data(), nullptr);
    QWEN3_CUDA_CHECK(cudaDeviceSynchronize(), "flash_attention (separate q, k, v)");
  }
  std::vector<uint16_t> bits(d_out.size());
  d_out.download(reinterpret_cast<bf16*>(bits.data()), bits.size(), "out");
  for (size_t i = 0; i < kGuard; ++i) {
    EXPECT_EQ(bits[static_cast<size_t>(out_n) + i], kPoison) << "written past the output's end, element " << i;
  }
  std::vector<float> out(static_cast<size_t>(out_n));
  for (size_t i = 0; i < out.size(); ++i) out[i] = bf16_value(bits[i]);
  return out;
}

// Index of the first non-finite element, or -1.
int64_t first_non_finite(const std::vector<float>& x) {
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i])) return static_cast<int64_t>(i);
  }
  return -1;
}

struct Case {
  std::vector<int> lens;
  int NH, NKV, D;
  bool fused = true;
  int max_len_extra = 0;
  unsigned seed = 1;
};

std::string describe(const Case& c) {
  std::string s = "NH=" + std::to_string(c.NH) + " NKV=" + std::to_string(c.NKV) + " D=" + std::to_string(c.D) +
                  (c.fused ? " fused" : " separate") + " lens={";
  for (size_t i = 0; i < c.lens.size(); ++i) {
    if (i > 0) s += ',';
    s += std::to_string(c.lens[i]);
  }
  return s + "}";
}

// The whole output of one case against ref_cpu's causal_attention.
void check_case(const Case& c) {
  SCOPED_TRACE(describe(c));
  int64_t T = 0;
  std::vector<int64_t> offsets{0};
  for (int len : c.lens) offsets.push_back(T += len);
  const Fused f = make_fused(T, c.NH, c.NKV, c.D, c.seed);
  const std::vector<float> q = columns(f, 0, f.NH * f.D), k = columns(f, f.NH * f.D, f.NKV * f.D),
                           v = columns(f, (f.NH + f.NKV) * f.D, f.NKV * f.D);
  std::vector<float> ref(static_cast<size_t>(T * c.NH * c.D));
  cpu::causal_attention(q.data(), k.data(), v.data(), offsets.data(), static_cast<int64_t>(c.lens.size()), c.NH,
                        c.NKV, c.D, ref.data());
  const std::vector<float> out = run_gpu(f, c.lens, c.fused, c.max_len_extra);
  const int64_t bad = first_non_finite(out);
  ASSERT_EQ(bad, -1) << "out[t=" << bad / (c.NH * c.D) << ", h=" << bad / c.D % c.NH << ", d=" << bad % c.D
                     << "] is not finite (unwritten or NaN)";
  const double err = relative_error(out.data(), ref.data(), static_cast<int64_t>(ref.size()));
  EXPECT_LE(err, kTol) << "||gpu - ref|| / ||ref||";
  std::printf("[ attention ] %s: rel error %.3g\n", describe(c).c_str(), err);
}

// out[t, h, :] of a single sequence starting at token 0, in fp64: the reference for a few rows of a sequence
// too long for the full CPU computation.
std::vector<double> attention_row(const Fused& f, int64_t t, int64_t h) {
  const int64_t g = h / (f.NH / f.NKV);
  const double scale = 1.0 / std::sqrt(static_cast<double>(f.D));
  std::vector<double> s(static_cast<size_t>(t + 1));
  double mx = -INFINITY;
  for (int64_t j = 0; j <= t; ++j) {  // scores and their max
    double dot = 0.0;
    for (int64_t d = 0; d < f.D; ++d) dot += static_cast<double>(f.q(t, h, d)) * f.k(j, g, d);
    s[static_cast<size_t>(j)] = dot * scale;
    mx = std::max(mx, s[static_cast<size_t>(j)]);
  }
  double sum = 0.0;
  for (double& x : s) sum += (x = std::exp(x - mx));  // exponentials and their sum
  std::vector<double> o(static_cast<size_t>(f.D), 0.0);
  for (int64_t j = 0; j <= t; ++j) {  // weighted values
    const double p = s[static_cast<size_t>(j)] / sum;
    for (int64_t d = 0; d < f.D; ++d) o[static_cast<size_t>(d)] += p * f.v(j, g, d);
  }
  return o;
}

}  // namespace

// Bad arguments throw InputError before any CUDA call: no GPU needed. Pointers here are never dereferenced.
TEST(CudaOptAttention, RejectsBadArguments) {
  const auto* p = reinterpret_cast<const bf16*>(uintptr_t{0x1000});
  auto* o = reinterpret_cast<bf16*>(uintptr_t{0x2000});
  const auto* off = reinterpret_cast<const int32_t*>(uintptr_t{0x3000});
  const auto call = [&](const bf16* q, int64_t qs, int64_t ks, int NH, int NKV, int D, bf16* out = nullptr,
                        int B = 1) {
    flash_attention(q, qs, p, ks, p, ks, off, B, 10, NH, NKV, D, out != nullptr ? out : o, nullptr);
  };
  for (int D : {0, 16, 48, 96, 256}) {
    EXPECT_THROW(call(p, 4 * D + 8, 2 * D + 8, 4, 2, D), InputError) << "D=" << D;
  }
  try {
    call(p, 1024, 1024, 4, 2, 80);
    ADD_FAILURE() << "D=80 accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("D=80"), std::string::npos) << e.what();
  }
  EXPECT_THROW(call(p, 4 * 64 + 4, 2 * 64, 4, 2, 64), InputError) << "q_stride not a multiple of 8";
  EXPECT_THROW(call(p, 4 * 64, 2 * 64 + 2, 4, 2, 64), InputError) << "k_stride not a multiple of 8";
  EXPECT_THROW(call(p, 3 * 64, 2 * 64, 4, 2, 64), InputError) << "q_stride shorter than NH·D";
  EXPECT_THROW(call(p, 4 * 64, 64, 4, 2, 64), InputError) << "k_stride shorter than NKV·D";
  EXPECT_THROW(call(p + 1, 4 * 64, 2 * 64, 4, 2, 64), InputError) << "q not 16-byte aligned";
  EXPECT_THROW(call(p, 4 * 64, 2 * 64, 4, 2, 64, o + 4), InputError) << "out not 16-byte aligned";
  EXPECT_THROW(call(p, 6 * 64, 4 * 64, 6, 4, 64), InputError) << "NH % NKV != 0";
  EXPECT_THROW(call(p, 4 * 64, 2 * 64, 4, 0, 64), InputError) << "NKV = 0";
  EXPECT_THROW(call(p, 4 * 64, 2 * 64, 4, 2, 64, nullptr, -1), InputError) << "B < 0";
  // nothing to do: returns without touching the GPU
  EXPECT_NO_THROW(call(p, 4 * 64, 2 * 64, 4, 2, 64, nullptr, 0));
}

// Every head_dim and head grouping on a batch of mixed lengths (1, under a tile, exactly a tile, a tile plus
// one, several tiles with a ragged end), q, k, v read with strides out of one fused QKV buffer.
TEST(CudaOptAttention, MatchesReferenceMixedLengths) {
  QWEN3_REQUIRE_GPU();
  unsigned seed = 10;
  for (int D : {32, 64, 128}) {
    for (auto [NH, NKV] : {std::pair{16, 8}, std::pair{32, 8}, std::pair{4, 4}}) {
      check_case({{1, 7, 64, 65, 300}, NH, NKV, D, true, 0, seed++});
    }
  }
}

// q, k, v as three separate contiguous tensors (strides NH·D and NKV·D), and max_len larger than needed.
TEST(CudaOptAttention, SeparateTensorsAndSlackMaxLen) {
  QWEN3_REQUIRE_GPU();
  check_case({{300, 1, 129}, 16, 8, 128, false, 0, 31});
  check_case({{128, 64, 3}, 4, 2, 64, false, 100, 32});
  check_case({{1}, 4, 4, 32, true, 63, 33});
}

// Longer sequences: many key tiles, the pipeline's steady state, the block order reversed.
TEST(CudaOptAttention, MatchesReferenceLongSequence) {
  QWEN3_REQUIRE_GPU();
  check_case({{2048, 129}, 16, 8, 128, true, 0, 41});
  check_case({{1000, 2048}, 32, 8, 64, true, 0, 42});
  check_case({{2048}, 4, 2, 32, true, 0, 43});
}

// One 32768-token sequence fits (no len² memory anywhere): its first and last 64 rows, every head, against an
// fp64 computation of just those rows.
TEST(CudaOptAttention, Sequence32k) {
  QWEN3_REQUIRE_GPU();
  const int len = 32768, NH = 4, NKV = 2, D = 128;
  const Fused f = make_fused(len, NH, NKV, D, 51);
  const std::vector<float> out = run_gpu(f, {len}, true);
  double diff2 = 0.0, ref2 = 0.0;
  std::vector<int64_t> rows;
  for (int64_t t = 0; t < 64; ++t) rows.push_back(t);
  for (int64_t t = len - 64; t < len; ++t) rows.push_back(t);
  for (int64_t t : rows) {
    for (int64_t h = 0; h < NH; ++h) {
      const std::vector<double> ref = attention_row(f, t, h);
      for (int64_t d = 0; d < D; ++d) {
        const float x = out[static_cast<size_t>((t * NH + h) * D + d)];
        ASSERT_TRUE(std::isfinite(x)) << "out[" << t << ", " << h << ", " << d << "] is not finite";
        diff2 += (x - ref[static_cast<size_t>(d)]) * (x - ref[static_cast<size_t>(d)]);
        ref2 += ref[static_cast<size_t>(d)] * ref[static_cast<size_t>(d)];
      }
    }
  }
  const int64_t bad = first_non_finite(out);
  EXPECT_EQ(bad, -1) << "out element " << bad << " (row " << bad / (NH * D) << ") is not finite";
  const double err = std::sqrt(diff2 / ref2);
  EXPECT_LE(err, kTol) << "||gpu - ref|| / ||ref|| over the first and last 64 rows";
  std::printf("[ attention ] 32768 tokens, first and last 64 rows: rel error %.3g\n", err);
}
