// Exercise 09_flop_count's checks: learner::projection_flops and learner::attention_flops against core/flops.h's
// per-op counts (q_proj_flops ... down_proj_flops, attention_scores_flops + attention_values_flops, per layer, times
// L) for the three released configs (0.6b, 4b, 8b) at 1 to 32768 tokens, single and packed sequences, causal and
// full; learner::roofline_time_s against compute_time_s and weight_load_time_s with core's own FLOP and byte counts,
// on a compute-bound and a memory-bound pass.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/flops.h"
#include "exercises/09_flop_count/flop_count.h"

namespace {

using qwen3::ModelConfig;

// Doubles summed in another order differ in the last bits; a wrong count differs by far more.
::testing::AssertionResult close(double got, double want, const std::string& what) {
  if (std::isfinite(got) && std::abs(got - want) <= 1e-9 * std::abs(want)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << what << ": got " << got << ", expected " << want << " (ratio "
                                       << got / want << ")";
}

double reference_projections(const ModelConfig& c, int64_t T) {
  const double layer = qwen3::q_proj_flops(c, T) + qwen3::k_proj_flops(c, T) + qwen3::v_proj_flops(c, T) +
                       qwen3::o_proj_flops(c, T) + qwen3::gate_proj_flops(c, T) + qwen3::up_proj_flops(c, T) +
                       qwen3::down_proj_flops(c, T);
  return static_cast<double>(c.num_hidden_layers) * layer;
}

double reference_attention(const ModelConfig& c, const std::vector<int64_t>& lengths, bool causal) {
  const qwen3::Attention mode = causal ? qwen3::Attention::Causal : qwen3::Attention::Full;
  return static_cast<double>(c.num_hidden_layers) *
         (qwen3::attention_scores_flops(c, lengths, mode) + qwen3::attention_values_flops(c, lengths, mode));
}

// The pieces written one after another ("8b", ", T = ", 1024 -> "8b, T = 1024").
template <class... Parts>
std::string cat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

const std::vector<std::string> kConfigs{"0.6b", "4b", "8b"};

TEST(FlopCount, Projections) {
  for (const std::string& name : kConfigs) {
    const ModelConfig c = ModelConfig::preset(name);
    for (const int64_t T : {1, 7, 512, 1024, 32768}) {
      EXPECT_TRUE(close(learner::projection_flops(c, T), reference_projections(c, T),
                        cat(name, ", T = ", T, ": the seven projections of all layers")));
    }
  }
}

TEST(FlopCount, AttentionOneSequence) {
  for (const std::string& name : kConfigs) {
    const ModelConfig c = ModelConfig::preset(name);
    for (const int64_t S : {1, 2, 100, 1024, 8192}) {
      for (const bool causal : {true, false}) {
        EXPECT_TRUE(close(learner::attention_flops(c, {S}, causal), reference_attention(c, {S}, causal),
                          cat(name, ", one sequence of ", S, causal ? ", causal" : ", full")));
      }
    }
  }
}

TEST(FlopCount, AttentionPackedSequences) {
  const std::vector<std::vector<int64_t>> batches{{7, 300, 1}, {512, 512, 512, 512}, {1, 1, 1}, {4096, 17}};
  for (const std::string& name : kConfigs) {
    const ModelConfig c = ModelConfig::preset(name);
    for (const std::vector<int64_t>& lengths : batches) {
      std::string what = cat(name, ", sequences of");
      for (const int64_t S : lengths) what += cat(" ", S);
      for (const bool causal : {true, false}) {
        EXPECT_TRUE(close(learner::attention_flops(c, lengths, causal), reference_attention(c, lengths, causal),
                          cat(what, causal ? ", causal" : ", full")));
      }
    }
  }
}

TEST(FlopCount, RooflineBound) {
  struct Case {
    std::string config;
    std::vector<int64_t> lengths;
    double tflops, tb_per_s;
  };
  // an H200-like chip (989 dense bf16 TFLOP/s, 4.8 TB/s) and a smaller one; one token is memory bound, 8 × 1024
  // tokens compute bound
  for (const Case& k : {Case{"8b", {1024, 1024, 1024, 1024, 1024, 1024, 1024, 1024}, 989.0, 4.8},
                        Case{"8b", {1}, 989.0, 4.8}, Case{"0.6b", {3}, 65.0, 0.9}, Case{"4b", {2048}, 165.0, 1.0}}) {
    const ModelConfig c = ModelConfig::preset(k.config);
    int64_t T = 0;
    for (const int64_t S : k.lengths) T += S;
    const double F = qwen3::exact_flops(c, k.lengths).causal_total();
    const double W = qwen3::weight_bytes_read(c, T, 2);
    const double want = std::max(qwen3::compute_time_s(F, k.tflops), qwen3::weight_load_time_s(W, k.tb_per_s));
    EXPECT_TRUE(close(learner::roofline_time_s(F, W, k.tflops, k.tb_per_s), want,
                      cat(k.config, ", T = ", T, ", ", k.tflops, " TFLOP/s, ", k.tb_per_s, " TB/s")));
  }
}

}  // namespace
