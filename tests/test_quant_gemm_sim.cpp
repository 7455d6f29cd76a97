// The quantised GEMMs (quant_gemm/) on the CPU simulator: the very kernel sources nvcc compiles for the GPU, checked
// against ref_cpu's linear over the weights that core/quant.cpp dequantises from the same bytes, on odd shapes
// (NaN-poisoned Y: an output never written fails), with the simulator's checks (bounds, alignment of every 16-byte
// load, races, unwritten shared memory); then the global sectors they read, which only int8 / 4-bit weight reads
// meet; the f16 widening against core's on every half; and the shapes they refuse.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/error.h"
#include "core/gguf.h"
#include "core/gguf_model.h"
#include "core/quant.h"
#include "core/safetensors.h"
#include "exercises/common/check.h"
#include "quant_gemm/quant_gemm.h"
#include "quant_gemm/repack.h"
#include "tests/quant_gemm_problem.h"
#include "test_util.h"

namespace {

using namespace qwen3;
using qwen3::sim::global_ptr;

struct GemmRun {
  std::vector<float> Y, want;
  sim::Stats stats;
};

GemmRun run_w8a16(int M, int N, int K, uint64_t seed) {
  const test::QuantProblem p = test::make_quant_problem(GgmlType::Q8_0, M, N, K, seed);
  const quant_gemm::SplitQ8_0 split = quant_gemm::split_q8_0(p.Wbytes.data(), N, K);
  GemmRun r;
  r.Y.assign(size_t(M) * N, std::numeric_limits<float>::quiet_NaN());
  r.want = p.want;
  sim::Capture capture;
  quant_gemm::gemm_w8a16(global_ptr<const uint16_t>(p.X.data(), p.X.size(), "X"),
                         global_ptr<const int8_t>(split.codes.data(), split.codes.size(), "Wq"),
                         global_ptr<const float>(split.scales.data(), split.scales.size(), "S"),
                         global_ptr<float>(r.Y.data(), r.Y.size(), "Y"), M, N, K);
  r.stats = capture.stats();
  return r;
}

GemmRun run_w4a16(int M, int N, int K, uint64_t seed) {
  const test::QuantProblem p = test::make_quant_problem(GgmlType::Q4_K, M, N, K, seed);
  GemmRun r;
  r.Y.assign(size_t(M) * N, std::numeric_limits<float>::quiet_NaN());
  r.want = p.want;
  sim::Capture capture;
  quant_gemm::gemm_w4a16_q4k(global_ptr<const uint16_t>(p.X.data(), p.X.size(), "X"),
                             global_ptr<const uint8_t>(p.Wbytes.data(), p.Wbytes.size(), "Wb"),
                             global_ptr<float>(r.Y.data(), r.Y.size(), "Y"), M, N, K);
  r.stats = capture.stats();
  return r;
}

std::string shape(int M, int N, int K) {
  return "Y for M=" + std::to_string(M) + ", N=" + std::to_string(N) + ", K=" + std::to_string(K);
}

}  // namespace

TEST(QuantGemmSim, F16WideningIsExactForEveryHalf) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float got = quant_gemm::f16_bits_to_float(static_cast<uint16_t>(h)), want = f16_to_f32(static_cast<uint16_t>(h));
    if (std::isnan(want)) {
      ASSERT_TRUE(std::isnan(got)) << "half 0x" << std::hex << h;
    } else {
      ASSERT_EQ(got, want) << "half 0x" << std::hex << h;
      ASSERT_EQ(std::signbit(got), std::signbit(want)) << "half 0x" << std::hex << h;
    }
  }
}

// The magic-number widening of codes (no conversion instruction) gives every int8 and every 4-bit code exactly.
TEST(QuantGemmSim, CodesWidenExactlyWithoutAConversion) {
  for (int q = -128; q <= 127; ++q) ASSERT_EQ(quant_gemm::int8_to_float(static_cast<int8_t>(q)), float(q)) << q;
  for (uint32_t u = 0; u < 16; ++u) ASSERT_EQ(quant_gemm::nibble_to_float(u), float(u)) << u;
}

// Shapes: one output; one token against a 0.6B-like row count that is not a multiple of the block's 16 features; a
// K that is not a multiple of the warp's 512-value step; exactly one block of tokens (8) and one more (9, 17).
TEST(QuantGemmSim, W8A16MatchesTheDequantisedReference) {
  for (const auto& [M, N, K] : std::vector<std::array<int, 3>>{
           {1, 1, 32}, {1, 161, 96}, {8, 67, 544}, {9, 16, 1024}, {17, 33, 160}, {3, 130, 1088}}) {
    const GemmRun r = run_w8a16(M, N, K, uint64_t(M * 7 + N));
    EXPECT_TRUE(exercises::close_to(r.Y, r.want, 1e-5, shape(M, N, K)));
  }
}

TEST(QuantGemmSim, W4A16Q4KMatchesTheDequantisedReference) {
  for (const auto& [M, N, K] : std::vector<std::array<int, 3>>{
           {1, 1, 256}, {1, 161, 512}, {8, 67, 768}, {9, 16, 1024}, {17, 33, 256}, {3, 130, 1280}}) {
    const GemmRun r = run_w4a16(M, N, K, uint64_t(M * 7 + N));
    EXPECT_TRUE(exercises::close_to(r.Y, r.want, 1e-5, shape(M, N, K)));
  }
}

// A block of tokens reads each weight byte once: the int8 codes exactly N·K bytes, their scales N·K/32 floats.
// (Codes read as floats would be 4x the sectors; a kernel that dequantised into a float copy first would also
// read the copy.)
TEST(QuantGemmSim, W8A16ReadsEachWeightByteOnce) {
  const int M = 5, N = 64, K = 1024;
  const GemmRun r = run_w8a16(M, N, K, 11);
  ASSERT_TRUE(exercises::close_to(r.Y, r.want, 1e-5, shape(M, N, K)));
  EXPECT_EQ(r.stats.buffer("Wq").load_sectors, int64_t(N) * K / 32) << r.stats.describe();
  EXPECT_EQ(r.stats.buffer("S").load_sectors, int64_t(N) * (K / 32) * 4 / 32) << r.stats.describe();
}

// Q4_K: 144 bytes per 256 weights. The codes are read once; each super-block's 16-byte header once more by the
// request that loads the headers (it shares a sector with the first codes): at most 22 sectors per 18 of bytes.
TEST(QuantGemmSim, W4A16ReadsEachSuperBlockOnce) {
  const int M = 5, N = 64, K = 1024;
  const GemmRun r = run_w4a16(M, N, K, 12);
  ASSERT_TRUE(exercises::close_to(r.Y, r.want, 1e-5, shape(M, N, K)));
  const int64_t bytes = int64_t(N) * (K / 256) * 144;
  EXPECT_GE(r.stats.buffer("Wb").load_sectors, bytes / 32) << r.stats.describe();
  EXPECT_LE(r.stats.buffer("Wb").load_sectors, bytes / 32 * 22 / 18) << r.stats.describe();
}

TEST(QuantGemmSim, RefusesShapesTheFormatsCannotHold) {
  std::vector<uint16_t> X(64);
  std::vector<int8_t> Wq(64);
  std::vector<float> S(2), Y(4);
  std::vector<uint8_t> Wb(144);
  EXPECT_THROW(quant_gemm::gemm_w8a16(sim::global(X, "X"), sim::global(Wq, "Wq"), sim::global(S, "S"),
                                      sim::global(Y, "Y"), 1, 1, 48),
               InputError);
  EXPECT_THROW(quant_gemm::gemm_w4a16_q4k(sim::global(X, "X"), sim::global(Wb, "Wb"), sim::global(Y, "Y"), 1, 1, 320),
               InputError);
  EXPECT_THROW(quant_gemm::split_q8_0(Wb.data(), 1, 40), InputError);
  // No tokens or no features: nothing is launched and Y is left as it was.
  Y.assign(4, -1.0f);
  sim::Capture capture;
  quant_gemm::gemm_w4a16_q4k(sim::global(X, "X"), sim::global(Wb, "Wb"), sim::global(Y, "Y"), 0, 4, 256);
  EXPECT_EQ(capture.stats().launches, 0);
  EXPECT_EQ(Y[0], -1.0f);
}

// What cuda_opt uploads from a GGUF model (quant_gemm/repack.h: quantised_projections), on the CPU: every projection
// of a Q8_0 and of a Q4_K file, fused in cuda_opt's row order (q, k, v stacked; gate and up interleaved), each row
// dequantising to the weights core's loader reads from the same file; an F32 file gives none.
namespace {

struct GgufModel {
  test::TempDir dir;
  std::string path;
  explicit GgufModel(const std::string& type) : path(dir.file("small-" + type + ".gguf")) {
    const auto w = test::write_small_gguf(path, type, 4);
    EXPECT_EQ(w.status, 0) << w.err;
  }
};

// Row r of a fused projection, dequantised.
std::vector<float> fused_row(const quant_gemm::QuantProjection& q, int64_t r) {
  std::vector<float> row(static_cast<size_t>(q.in));
  if (q.type == GgmlType::Q4_K) {
    dequantize_row(GgmlType::Q4_K, q.bytes.data() + r * row_bytes(GgmlType::Q4_K, q.in), row.data(), q.in);
  } else {
    for (int64_t k = 0; k < q.in; ++k)
      row[k] = q.scales[r * (q.in / 32) + k / 32] * static_cast<float>(static_cast<int8_t>(q.bytes[r * q.in + k]));
  }
  return row;
}

std::vector<float> host_row(const HostTensor& t, int64_t r) {
  const int64_t in = t.shape[1];
  return std::vector<float>(t.data.begin() + r * in, t.data.begin() + (r + 1) * in);
}

void expect_fused_like_the_loader(const std::string& type, GgmlType want) {
  GgufModel m(type);
  const GgufFile f(m.path);
  const ModelConfig c = gguf_model_config(f);
  const HostWeights w = load_gguf_host_weights(f, c);
  const auto found = quant_gemm::quantised_projections(f, c);
  ASSERT_EQ(found.size(), size_t(4 * c.num_hidden_layers));
  const int64_t Q = c.q_dim(), KV = c.kv_dim(), I = c.intermediate_size;
  for (const quant_gemm::QuantProjection& q : found) {
    SCOPED_TRACE(std::string(quant_gemm::projection_name(q.which)) + " of layer " + std::to_string(q.layer));
    EXPECT_EQ(q.type, want);
    const auto& L = w.layers[static_cast<size_t>(q.layer)];
    switch (q.which) {
      case quant_gemm::Projection::kQkv:
        ASSERT_EQ(q.rows, Q + 2 * KV);
        EXPECT_EQ(fused_row(q, 1), host_row(L.q_proj, 1));
        EXPECT_EQ(fused_row(q, Q + 2), host_row(L.k_proj, 2));
        EXPECT_EQ(fused_row(q, Q + KV + 3), host_row(L.v_proj, 3));
        break;
      case quant_gemm::Projection::kO:
        ASSERT_EQ(q.rows, c.hidden_size);
        EXPECT_EQ(fused_row(q, 5), host_row(L.o_proj, 5));
        break;
      case quant_gemm::Projection::kGateUp:
        ASSERT_EQ(q.rows, 2 * I);
        EXPECT_EQ(fused_row(q, 2 * 7), host_row(L.gate_proj, 7));
        EXPECT_EQ(fused_row(q, 2 * 7 + 1), host_row(L.up_proj, 7));
        EXPECT_EQ(fused_row(q, 2 * (I - 1) + 1), host_row(L.up_proj, I - 1));
        break;
      case quant_gemm::Projection::kDown:
        ASSERT_EQ(q.rows, c.hidden_size);
        EXPECT_EQ(fused_row(q, c.hidden_size - 1), host_row(L.down_proj, c.hidden_size - 1));
        break;
    }
  }
}

}  // namespace

TEST(QuantProjections, Q8_0ModelIsFusedInCudaOptsRowOrder) { expect_fused_like_the_loader("q8_0", GgmlType::Q8_0); }
TEST(QuantProjections, Q4_KModelIsFusedInCudaOptsRowOrder) { expect_fused_like_the_loader("q4_k", GgmlType::Q4_K); }
TEST(QuantProjections, AnF32ModelHasNone) {
  GgufModel m("f32");
  const GgufFile f(m.path);
  EXPECT_TRUE(quant_gemm::quantised_projections(f, gguf_model_config(f)).empty());
}
