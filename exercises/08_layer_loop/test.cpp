// Exercise 08_layer_loop's checks: learner::forward against the CPU reference's forward pass
// (qwen3::cpu::CpuBackend, ref_cpu/cpu_backend.cpp) on small random models with every feature of the real ones
// (grouped-query attention, head_dim != H / NH, several layers), packed sequences of 1, 7 and 20 tokens. Each
// embedding must point the same way as the reference's (cosine ≥ 1 - 1e-6) and have unit length. A last check runs
// both passes with a different op table, which only agrees if the learner calls the ops through the table.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/batch.h"
#include "core/weights.h"
#include "exercises/08_layer_loop/layer_loop.h"
#include "ref_cpu/cpu_backend.h"

namespace {

// The same ops in the same order give the same bits; 1e-6 leaves room for another order of summation in a
// learner's own helper, and is far tighter than any of the structural mistakes (they move the cosine by > 1e-4).
constexpr double kCosineTol = 1e-6;

// Like tests/test_util.cpp small_config(): GQA (6 query heads over 2 KV heads), head_dim 8 != 40 / 6, 3 layers.
qwen3::ModelConfig small_config() {
  qwen3::ModelConfig c;
  c.hidden_size = 40, c.intermediate_size = 72, c.num_hidden_layers = 3;
  c.num_attention_heads = 6, c.num_key_value_heads = 2, c.head_dim = 8;
  c.vocab_size = 500, c.max_position_embeddings = 512, c.rms_norm_eps = 1e-6, c.rope_theta = 1e6;
  return c;
}

::testing::AssertionResult same_embeddings(const std::vector<float>& got, const std::vector<float>& want, int64_t B,
                                           int64_t H, const std::string& what) {
  if (got.size() != want.size()) {
    return ::testing::AssertionFailure() << what << ": " << got.size() << " values, expected " << want.size()
                                         << " ([B, H] = [" << B << ", " << H << "])";
  }
  for (int64_t b = 0; b < B; ++b) {
    double dot = 0, gg = 0, ww = 0;
    for (int64_t i = 0; i < H; ++i) {
      const double g = got[b * H + i], w = want[b * H + i];
      if (!std::isfinite(g)) {
        return ::testing::AssertionFailure() << what << ": embedding " << b << " element " << i << " is " << g;
      }
      dot += g * w, gg += g * g, ww += w * w;
    }
    const double cosine = gg > 0 && ww > 0 ? dot / std::sqrt(gg * ww) : 0;
    if (cosine < 1 - kCosineTol) {
      return ::testing::AssertionFailure() << what << ": embedding " << b << " has cosine " << cosine
                                           << " with the reference's (1 - cosine = " << 1 - cosine << " > "
                                           << kCosineTol << ")";
    }
    if (std::abs(std::sqrt(gg) - 1) > 1e-4) {
      return ::testing::AssertionFailure() << what << ": embedding " << b << " has length " << std::sqrt(gg)
                                           << ", expected 1 (last_token_pool normalises)";
    }
  }
  return ::testing::AssertionSuccess();
}

void check(const qwen3::ModelConfig& c, const std::vector<int64_t>& lengths, uint64_t seed,
           const qwen3::cpu::OpTable& ops, const std::string& what) {
  const qwen3::Batch batch = qwen3::Batch::pack(qwen3::synthetic_sequences(lengths, c.vocab_size, seed));
  qwen3::HostWeights w = qwen3::random_host_weights(c, seed);
  const std::vector<float> got = learner::forward(c, w, batch, ops);
  qwen3::cpu::CpuBackend reference(c, std::move(w), ops);
  const std::vector<float> want = reference.forward(batch).embeddings;
  EXPECT_TRUE(same_embeddings(got, want, batch.num_sequences(), c.hidden_size, what));
}

TEST(LayerLoop, PackedSequencesOf1And7And20Tokens) {
  check(small_config(), {1, 7, 20}, 1, qwen3::cpu::reference_op_table(),
        "3 layers, 6 query / 2 KV heads, sequences of 1, 7, 20 tokens");
}

TEST(LayerLoop, OneLayerOneSequence) {
  qwen3::ModelConfig c = small_config();
  c.num_hidden_layers = 1;
  check(c, {9}, 2, qwen3::cpu::reference_op_table(), "1 layer, one sequence of 9 tokens");
}

TEST(LayerLoop, OtherShapes) {
  qwen3::ModelConfig c = small_config();
  c.hidden_size = 24, c.intermediate_size = 56, c.num_hidden_layers = 4;
  c.num_attention_heads = 4, c.num_key_value_heads = 1, c.head_dim = 12;  // multi-query, NH·D = 48 > H
  check(c, {3, 11}, 3, qwen3::cpu::reference_op_table(), "4 layers, H = 24, 4 query heads over 1 KV head, D = 12");
}

// Another table: both passes must call its ops, so the learner's only agrees with the reference's if it calls
// rms_norm and silu_mul through `ops` (not qwen3::cpu::rms_norm directly).
TEST(LayerLoop, CallsTheOpsThroughTheTable) {
  qwen3::cpu::OpTable ops = qwen3::cpu::reference_op_table();
  // y = x / (mean|x| + eps) * w: a different norm, row by row like RMSNorm
  ops.rms_norm = [](const float* x, const float* w, int64_t rows, int64_t n, float eps, float* y) {
    for (int64_t r = 0; r < rows; ++r) {
      double s = 0;
      for (int64_t i = 0; i < n; ++i) s += std::abs(x[r * n + i]);
      const float inv = static_cast<float>(1.0 / (s / double(n) + eps));
      for (int64_t i = 0; i < n; ++i) y[r * n + i] = x[r * n + i] * inv * w[i];
    }
  };
  // y = g / (1 + |g|) · u: a different gate
  ops.silu_mul = [](const float* g, const float* u, int64_t n, float* y) {
    for (int64_t i = 0; i < n; ++i) y[i] = g[i] / (1 + std::abs(g[i])) * u[i];
  };
  check(small_config(), {1, 7, 20}, 4, ops,
        "with a table whose rms_norm and silu_mul differ from the reference's (call the ops through `ops`)");
}

}  // namespace
