// core/flops.h against arithmetic done by hand, against the analysis's figures (16.4 TFLOPs for the 8B config at
// 1024 tokens; 0.021 s, 0.0046 s and about 47 embeddings/s on an H100), and against the multiply-adds the CPU
// backend really performs, counted by its OpCounter hook.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "core/flops.h"
#include "core/tiny_model.h"
#include "core/weights.h"
#include "ref_cpu/cpu_backend.h"
#include "tests/test_util.h"

using qwen3::Attention;
using qwen3::ClosedTerm;
using qwen3::ModelConfig;

namespace {

// The default tiny model's shapes: L=3 H=64 I=192 NH=4 NKV=2 D=32.
ModelConfig tiny() { return qwen3::tiny_config(); }

const qwen3::OpFlops& op(const qwen3::FlopCount& f, const std::string& name) {
  for (const auto& o : f.ops)
    if (o.name == name) return o;
  throw std::runtime_error("no op " + name);
}

}  // namespace

TEST(Flops, TinyConfigIsWhatTheTestSays) {
  const ModelConfig c = tiny();
  EXPECT_EQ(c.num_hidden_layers, 3);
  EXPECT_EQ(c.hidden_size, 64);
  EXPECT_EQ(c.intermediate_size, 192);
  EXPECT_EQ(c.num_attention_heads, 4);
  EXPECT_EQ(c.num_key_value_heads, 2);
  EXPECT_EQ(c.head_dim, 32);
}

// A batch of two sequences, 5 and 3 tokens: T = 8. Every count written out by hand.
TEST(Flops, ExactCountByHandOnTheTinyConfig) {
  const ModelConfig c = tiny();
  const std::vector<int64_t> lengths{5, 3};
  const int64_t T = 8;
  // projections, per layer: 2·T·in·out
  EXPECT_EQ(qwen3::q_proj_flops(c, T), 2.0 * 8 * 64 * 128);  // 131072 (NH·D = 128 outputs)
  EXPECT_EQ(qwen3::k_proj_flops(c, T), 2.0 * 8 * 64 * 64);   // 65536  (NKV·D = 64 outputs)
  EXPECT_EQ(qwen3::v_proj_flops(c, T), 65536.0);
  EXPECT_EQ(qwen3::o_proj_flops(c, T), 2.0 * 8 * 128 * 64);  // 131072
  EXPECT_EQ(qwen3::gate_proj_flops(c, T), 2.0 * 8 * 64 * 192);  // 196608
  EXPECT_EQ(qwen3::up_proj_flops(c, T), 196608.0);
  EXPECT_EQ(qwen3::down_proj_flops(c, T), 196608.0);
  // scores per head: full 5² + 3² = 34; causal 5·6/2 + 3·4/2 = 15 + 6 = 21
  EXPECT_EQ(qwen3::scores_per_head(lengths, Attention::Full), 34.0);
  EXPECT_EQ(qwen3::scores_per_head(lengths, Attention::Causal), 21.0);
  EXPECT_EQ(qwen3::attention_scores_flops(c, lengths, Attention::Full), 2.0 * 4 * 32 * 34);    // 8704
  EXPECT_EQ(qwen3::attention_scores_flops(c, lengths, Attention::Causal), 2.0 * 4 * 32 * 21);  // 5376
  EXPECT_EQ(qwen3::attention_values_flops(c, lengths, Attention::Causal), 5376.0);
  EXPECT_EQ(qwen3::softmax_flops(c, lengths, Attention::Full), 6.0 * 4 * 34);    // 816
  EXPECT_EQ(qwen3::softmax_flops(c, lengths, Attention::Causal), 6.0 * 4 * 21);  // 504
  // elementwise, per layer
  EXPECT_EQ(qwen3::layer_norm_flops(c, T), 8.0 * (4 * 64 + 4));      // 2080
  EXPECT_EQ(qwen3::q_norm_flops(c, T), 8.0 * 4 * (4 * 32 + 4));      // 4224
  EXPECT_EQ(qwen3::k_norm_flops(c, T), 8.0 * 2 * (4 * 32 + 4));      // 2112
  EXPECT_EQ(qwen3::q_rope_flops(c, T), 3.0 * 8 * 128);               // 3072
  EXPECT_EQ(qwen3::k_rope_flops(c, T), 3.0 * 8 * 64);                // 1536
  EXPECT_EQ(qwen3::silu_mul_flops(c, T), 4.0 * 8 * 192);             // 6144
  EXPECT_EQ(qwen3::residual_flops(c, T), 8.0 * 64);                  // 512
  // once per pass
  EXPECT_EQ(qwen3::rope_table_flops(c, T), 3.0 * 8 * 16);            // 384
  EXPECT_EQ(qwen3::final_norm_flops(c, T), 2080.0);
  EXPECT_EQ(qwen3::pooling_flops(c, 2), 2.0 * (3 * 64 + 2));         // 388

  // One layer, causal: matmuls 2·131072 + 2·65536 + 3·196608 = 983040; attention 2·5376 = 10752; softmax 504;
  // elementwise 2·2080 + 4224 + 2112 + 3072 + 1536 + 6144 + 2·512 = 22272. Sum 1016568; 3 layers 3049704;
  // plus 384 + 2080 + 388 = 2852 outside the layers: 3052556.
  const qwen3::FlopCount f = qwen3::exact_flops(c, lengths);
  EXPECT_EQ(f.causal_sum(ClosedTerm::WeightMatmuls), 3.0 * 983040);
  EXPECT_EQ(f.causal_sum(ClosedTerm::AttentionMatmuls), 3.0 * 10752);
  EXPECT_EQ(f.causal_sum(ClosedTerm::Softmax), 3.0 * 504);
  EXPECT_EQ(f.causal_sum(ClosedTerm::Elementwise), 3.0 * 22272);
  EXPECT_EQ(f.causal_sum(ClosedTerm::None), 2852.0);
  EXPECT_EQ(f.causal_total(), 3052556.0);
  // Full attention adds, per layer, 2·(8704 − 5376) + (816 − 504) = 6968: 3052556 + 3·6968 = 3073460.
  EXPECT_EQ(f.full_total(), 3073460.0);
  EXPECT_EQ(op(f, "q_proj").causal, 3.0 * 131072);
  EXPECT_EQ(op(f, "attention_scores").full, 3.0 * 8704);
  EXPECT_EQ(op(f, "k_proj").causal, op(f, "k_proj").full);
  EXPECT_EQ(f.ops.size(), 22u);  // 19 ops per layer + rope_table, final_norm, pooling
  for (const auto& o : f.ops) EXPECT_FALSE(o.why.empty()) << o.name;

  // The closed formula, S = 5: 10·5·64 + 25.5·5·64² + 4·25·64 + 5·25·4 = 3200 + 522240 + 6400 + 500 = 532340;
  // S = 3: 1920 + 313344 + 2304 + 180 = 317748; 3 layers × (532340 + 317748) = 2550264.
  EXPECT_EQ(qwen3::closed_formula_flops(c, lengths), 2550264.0);
}

TEST(Flops, EveryOpIsASumOverSequences) {
  const ModelConfig c = ModelConfig::preset("0.6b");
  const double one = qwen3::exact_flops(c, {700}).causal_total();
  EXPECT_DOUBLE_EQ(qwen3::exact_flops(c, {700, 700, 700}).causal_total(), 3 * one);
  EXPECT_DOUBLE_EQ(qwen3::exact_flops(c, {300, 400}).causal_total() + one,
                   qwen3::exact_flops(c, {300, 400, 700}).causal_total());
}

// The analysis: "For the 8B config at S = 1024 tokens: 16.4 TFLOPs."
TEST(Flops, ClosedFormulaGivesTheAnalysisFigure) {
  const ModelConfig c = ModelConfig::preset("8b");
  // 36 × (10·1024·4096 + 25.5·1024·4096² + 4·1024²·4096 + 5·1024²·32)
  //   = 36 × (41943040 + 438086664192 + 17179869184 + 167772160) = 36 × 455476248576 = 16397144948736
  EXPECT_EQ(qwen3::closed_formula_flops(c, {1024}), 16397144948736.0);
  EXPECT_NEAR(qwen3::closed_formula_flops(c, {1024}) / 1e12, 16.4, 0.005);
  // The exact count is lower: GQA's K/V (23·S·h² of weight matmuls, not 25.5) and causal attention.
  const qwen3::FlopCount f = qwen3::exact_flops(c, {1024});
  EXPECT_DOUBLE_EQ(f.causal_sum(ClosedTerm::WeightMatmuls), 36 * 23.0 * 1024 * 4096.0 * 4096);
  EXPECT_NEAR(f.causal_total() / 1e12, 14.54, 0.005);
  EXPECT_NEAR(f.full_total() / 1e12, 14.86, 0.005);
}

// The analysis on an H100: 750 TFLOP/s measured, 3.3 TB/s, 7.57B parameters × 2 bytes = 15.14 GB:
// 0.021 s of compute, 0.0046 s of weight loading, about 47 embeddings/s at S = 1024, batch 1.
TEST(Flops, H100BoundFigures) {
  const ModelConfig c = ModelConfig::preset("8b");
  const double bytes = qwen3::weight_bytes(c, 2);
  EXPECT_EQ(bytes, 2.0 * 7567295488);  // 15.13 GB (the analysis rounds the parameters to 7.57B: 15.14)
  EXPECT_EQ(qwen3::weight_bytes(c, 4), 4.0 * 7567295488);
  const double t_weights = qwen3::weight_load_time_s(bytes, 3.3);
  EXPECT_NEAR(t_weights, 0.0046, 0.00005);  // 15.13e9 / 3.3e12 = 0.004586
  const double t_compute = qwen3::compute_time_s(qwen3::closed_formula_flops(c, {1024}), 750);
  // 16.397e12 / 750e12 = 0.02186 s: the analysis writes 0.021 (cut, not rounded) and 1 / 0.021 = 47.6.
  EXPECT_NEAR(t_compute, 0.02186, 0.00001);
  EXPECT_GT(t_compute, 4 * t_weights);  // compute bound by far
  const double bound = qwen3::embeddings_per_s_bound(1, t_compute, t_weights);
  EXPECT_NEAR(bound, 45.7, 0.05);  // "about 47" in the analysis, from the cut 0.021 s
  EXPECT_NEAR(qwen3::embeddings_per_s_bound(1, 0.021, t_weights), 47.6, 0.05);
  // Arithmetic intensity ~1083 FLOP/byte against a ridge point of 750/3.3 = 227 FLOP/byte.
  EXPECT_NEAR(qwen3::arithmetic_intensity(qwen3::closed_formula_flops(c, {1024}), bytes), 1083, 1);
  // The cheaper accelerator: 123 TFLOP/s → 0.133 s per pass, bound 7.5 embeddings/s.
  const double t_cheap = qwen3::compute_time_s(qwen3::closed_formula_flops(c, {1024}), 123);
  EXPECT_NEAR(t_cheap, 0.133, 0.0005);
  EXPECT_NEAR(qwen3::embeddings_per_s_bound(1, t_cheap, t_weights), 7.5, 0.05);
  // The embedding table is gathered, not read whole: a pass of 1024 tokens reads V·H − 1024·H fewer values.
  EXPECT_EQ(qwen3::weight_bytes_read(c, 1024, 2), 2.0 * (7567295488 - 151665.0 * 4096 + 1024.0 * 4096));
}

// The analysis: at $2/hour, batch 4 × 1040 tokens at 33,488 tokens/s costs $0.0166 per million tokens.
TEST(Flops, CostPerMillionTokens) {
  EXPECT_NEAR(qwen3::usd_per_million_tokens(2.0, 33488), 0.0166, 0.00005);
  EXPECT_NEAR(qwen3::usd_per_million_tokens(0.37, 9672), 0.0106, 0.00005);  // the RTX 4090 example
}

TEST(Flops, BadBatches) {
  EXPECT_THROW(qwen3::exact_flops(tiny(), {}), qwen3::InputError);
  EXPECT_THROW(qwen3::exact_flops(tiny(), {4, 0}), qwen3::InputError);
  EXPECT_THROW(qwen3::closed_formula_flops(tiny(), {}), qwen3::InputError);
}

// What the CPU backend really does: its matrix products count every multiply-add (ref_cpu/ops.h: OpCounter).
// It computes the full S×S score square and masks it, so its attention matches the full count, not the causal.
TEST(Flops, MatchesTheMultiplyAddsOfTheCpuBackend) {
  const ModelConfig c = qwen3::test::small_config();  // L=3 H=40 I=72 NH=6 NKV=2 D=8
  qwen3::cpu::CpuBackend backend(c, qwen3::random_host_weights(c, 3));
  qwen3::cpu::OpCounter counter;
  backend.count_ops(&counter);
  const std::vector<int64_t> lengths{1, 7, 20};
  backend.forward(qwen3::Batch::pack(qwen3::synthetic_sequences(lengths, c.vocab_size)));
  backend.count_ops(nullptr);

  const qwen3::FlopCount f = qwen3::exact_flops(c, lengths);
  EXPECT_EQ(2.0 * static_cast<double>(counter.linear), f.full_sum(ClosedTerm::WeightMatmuls));
  EXPECT_EQ(2.0 * static_cast<double>(counter.attention_scores), op(f, "attention_scores").full);
  EXPECT_EQ(2.0 * static_cast<double>(counter.attention_values), op(f, "attention_values").full);
  EXPECT_GT(2.0 * static_cast<double>(counter.attention_scores), op(f, "attention_scores").causal);
  // By hand, T = 28: one layer's projections are 28·(40·48 + 2·40·16 + 48·40 + 3·40·72) = 28·13760 = 385280
  // multiply-adds; 3 layers 1155840. Scores: 6 heads × 8 × (1 + 49 + 400) = 21600 per layer, 64800 in all.
  EXPECT_EQ(counter.linear, 1155840);
  EXPECT_EQ(counter.attention_scores, 64800);

  // Without a counter nothing is counted.
  const qwen3::cpu::OpCounter before = counter;
  backend.forward(qwen3::Batch::pack(qwen3::synthetic_sequences({5}, c.vocab_size)));
  EXPECT_EQ(counter.linear, before.linear);
}

// ---- the command ----------------------------------------------------------------------------------------------

TEST(FlopsCli, PrintsTheAnalysisFiguresFor8B) {
  const auto r = qwen3::test::run_command(qwen3::test::shell_quote(qwen3::test::cli_path()) +
                                          " flops --config 8b --seq 1024 --tflops 750 --bandwidth 3.3");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("= 16.40 TFLOP"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("14.54 T"), std::string::npos) << r.out;  // the exact, causal total
  for (const char* op : {"q_proj", "k_proj", "attention_scores", "softmax", "silu_mul", "q_norm", "pooling"}) {
    EXPECT_NE(r.out.find("\n  " + std::string(op)), std::string::npos) << op;
  }
  EXPECT_NE(r.out.find("GQA: NKV·D = 1024, not h = 4096"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0.0219 s"), std::string::npos) << r.out;   // compute time
  EXPECT_NE(r.out.find("0.00459 s"), std::string::npos) << r.out;  // weight-load time
  EXPECT_NE(r.out.find("45.7"), std::string::npos) << r.out;       // embeddings/s bound
  EXPECT_NE(r.out.find("compute"), std::string::npos) << r.out;
}

// With the rate alone, the bound is the compute time's: the analysis's cheaper accelerator (123 TFLOP/s measured,
// 0.133 s per pass, 7.5 embeddings/s).
TEST(FlopsCli, ComputeOnlyBound) {
  const auto r = qwen3::test::run_command(qwen3::test::shell_quote(qwen3::test::cli_path()) +
                                          " flops --config 8b --seq 1024 --tflops 123");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("0.133 s"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("upper bound, embeddings/s (compute only)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" 7.5 "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("weight-load time"), std::string::npos) << r.out;
}

TEST(FlopsCli, BadArguments) {
  const std::string cli = qwen3::test::shell_quote(qwen3::test::cli_path());
  auto r = qwen3::test::run_command(cli + " flops --config 8b --model /nonexistent");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("exclude each other"), std::string::npos) << r.err;
  r = qwen3::test::run_command(cli + " flops --model /nonexistent/model");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
  r = qwen3::test::run_command(cli + " flops --config 8b --seq 0");
  EXPECT_NE(r.status, 0);
}
