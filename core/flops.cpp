#include "core/flops.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>

#include "core/error.h"

namespace qwen3 {

namespace {

double d(int64_t x) { return static_cast<double>(x); }

__attribute__((format(printf, 1, 2))) std::string format(const char* fmt, ...) {
  char buf[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, args);
  va_end(args);
  return buf;
}

int64_t total_tokens(const std::vector<int64_t>& lengths) {
  int64_t T = 0;
  for (int64_t s : lengths) T += s;
  return T;
}

void check_lengths(const std::vector<int64_t>& lengths) {
  if (lengths.empty()) throw InputError("FLOP count: the batch has no sequences");
  for (int64_t s : lengths) {
    if (s < 1) throw InputError("FLOP count: sequence lengths must be at least 1, got " + std::to_string(s));
  }
}

}  // namespace

// ---- the closed formula ---------------------------------------------------------------------------

double closed_weight_matmuls_flops(const ModelConfig& c, int64_t S) {
  return 25.5 * d(S) * d(c.hidden_size) * d(c.hidden_size);  // 25.5·S·h²
}

double closed_attention_matmuls_flops(const ModelConfig& c, int64_t S) {
  return 4.0 * d(S) * d(S) * d(c.hidden_size);  // 4·S²·h
}

double closed_softmax_flops(const ModelConfig& c, int64_t S) {
  return 5.0 * d(S) * d(S) * d(c.num_attention_heads);  // 5·S²·heads
}

double closed_elementwise_flops(const ModelConfig& c, int64_t S) {
  return 10.0 * d(S) * d(c.hidden_size);  // 10·S·h
}

double closed_formula_flops(const ModelConfig& c, const std::vector<int64_t>& lengths) {
  check_lengths(lengths);
  double f = 0;
  for (int64_t S : lengths) {
    // F = L × (10·S·h + 25.5·S·h² + 4·S²·h + 5·S²·heads)
    f += d(c.num_hidden_layers) * (closed_elementwise_flops(c, S) + closed_weight_matmuls_flops(c, S) +
                                   closed_attention_matmuls_flops(c, S) + closed_softmax_flops(c, S));
  }
  return f;
}

// ---- the exact count, per op ----------------------------------------------------------------------

double q_proj_flops(const ModelConfig& c, int64_t T) { return 2.0 * d(T) * d(c.hidden_size) * d(c.q_dim()); }
double k_proj_flops(const ModelConfig& c, int64_t T) { return 2.0 * d(T) * d(c.hidden_size) * d(c.kv_dim()); }
double v_proj_flops(const ModelConfig& c, int64_t T) { return 2.0 * d(T) * d(c.hidden_size) * d(c.kv_dim()); }
double o_proj_flops(const ModelConfig& c, int64_t T) { return 2.0 * d(T) * d(c.q_dim()) * d(c.hidden_size); }
double gate_proj_flops(const ModelConfig& c, int64_t T) {
  return 2.0 * d(T) * d(c.hidden_size) * d(c.intermediate_size);
}
double up_proj_flops(const ModelConfig& c, int64_t T) {
  return 2.0 * d(T) * d(c.hidden_size) * d(c.intermediate_size);
}
double down_proj_flops(const ModelConfig& c, int64_t T) {
  return 2.0 * d(T) * d(c.intermediate_size) * d(c.hidden_size);
}

double scores_per_head(const std::vector<int64_t>& lengths, Attention mode) {
  double n = 0;
  for (int64_t S : lengths) n += mode == Attention::Full ? d(S) * d(S) : d(S) * d(S + 1) / 2.0;
  return n;
}

double attention_scores_flops(const ModelConfig& c, const std::vector<int64_t>& lengths, Attention mode) {
  return 2.0 * d(c.num_attention_heads) * d(c.head_dim) * scores_per_head(lengths, mode);
}

double attention_values_flops(const ModelConfig& c, const std::vector<int64_t>& lengths, Attention mode) {
  return 2.0 * d(c.num_attention_heads) * d(c.head_dim) * scores_per_head(lengths, mode);
}

double softmax_flops(const ModelConfig& c, const std::vector<int64_t>& lengths, Attention mode) {
  return 6.0 * d(c.num_attention_heads) * scores_per_head(lengths, mode);
}

double rms_norm_flops(int64_t rows, int64_t n) { return d(rows) * (4.0 * d(n) + 4.0); }
double layer_norm_flops(const ModelConfig& c, int64_t T) { return rms_norm_flops(T, c.hidden_size); }
double q_norm_flops(const ModelConfig& c, int64_t T) { return rms_norm_flops(T * c.num_attention_heads, c.head_dim); }
double k_norm_flops(const ModelConfig& c, int64_t T) { return rms_norm_flops(T * c.num_key_value_heads, c.head_dim); }
double q_rope_flops(const ModelConfig& c, int64_t T) { return 3.0 * d(T) * d(c.q_dim()); }
double k_rope_flops(const ModelConfig& c, int64_t T) { return 3.0 * d(T) * d(c.kv_dim()); }
double silu_mul_flops(const ModelConfig& c, int64_t T) { return 4.0 * d(T) * d(c.intermediate_size); }
double residual_flops(const ModelConfig& c, int64_t T) { return d(T) * d(c.hidden_size); }

double rope_table_flops(const ModelConfig& c, int64_t T) { return 3.0 * d(T) * d(c.head_dim / 2); }
double final_norm_flops(const ModelConfig& c, int64_t T) { return rms_norm_flops(T, c.hidden_size); }
double pooling_flops(const ModelConfig& c, int64_t B) { return d(B) * (3.0 * d(c.hidden_size) + 2.0); }

// ---- the whole pass -------------------------------------------------------------------------------

const char* closed_term_name(ClosedTerm t) {
  switch (t) {
    case ClosedTerm::WeightMatmuls: return "25.5·S·h²";
    case ClosedTerm::AttentionMatmuls: return "4·S²·h";
    case ClosedTerm::Softmax: return "5·S²·heads";
    case ClosedTerm::Elementwise: return "10·S·h";
    case ClosedTerm::None: return "(none)";
  }
  return "?";
}

double FlopCount::causal_total() const {
  double s = 0;
  for (const OpFlops& op : ops) s += op.causal;
  return s;
}

double FlopCount::full_total() const {
  double s = 0;
  for (const OpFlops& op : ops) s += op.full;
  return s;
}

double FlopCount::causal_sum(ClosedTerm t) const {
  double s = 0;
  for (const OpFlops& op : ops) s += op.term == t ? op.causal : 0.0;
  return s;
}

double FlopCount::full_sum(ClosedTerm t) const {
  double s = 0;
  for (const OpFlops& op : ops) s += op.term == t ? op.full : 0.0;
  return s;
}

FlopCount exact_flops(const ModelConfig& c, const std::vector<int64_t>& lengths) {
  check_lengths(lengths);
  const int64_t T = total_tokens(lengths), B = static_cast<int64_t>(lengths.size());
  const double L = d(c.num_hidden_layers);
  const double h = d(c.hidden_size), I = d(c.intermediate_size);
  FlopCount count;
  // An op of every layer: the same count for full and causal attention unless `full` is given.
  auto layer_op = [&](const char* name, const char* formula, ClosedTerm term, double per_layer, std::string why,
                      double per_layer_full = -1) {
    count.ops.push_back({name, formula, term, L * per_layer, L * (per_layer_full < 0 ? per_layer : per_layer_full),
                         std::move(why)});
  };
  auto pass_op = [&](const char* name, const char* formula, double flops, std::string why) {
    count.ops.push_back({name, formula, ClosedTerm::None, flops, flops, std::move(why)});
  };
  // How a projection of `out` outputs compares with the square h×h one the formula assumes.
  auto vs_square = [&](const char* what, double out) {
    return out == h ? format("%s = h = %.0f: a square projection, as the formula assumes", what, out)
                    : format("%s = %.0f, not h = %.0f: %.3g× the square projection the formula assumes", what, out, h,
                             out / h);
  };
  const double q = d(c.q_dim()), kv = d(c.kv_dim());
  const std::string attn_width =
      q == h ? format("NH·D = h = %.0f as the formula assumes", q) : format("NH·D = %.0f, not h = %.0f", q, h);
  const std::string causal_note = "; causal: S(S+1)/2 of the S² scores, about half";
  const std::string lumped = "the formula's 10·S·h lumps every elementwise op: ";
  const std::vector<int64_t>& S = lengths;

  layer_op("input_norm", "T·(4·H + 4)", ClosedTerm::Elementwise, layer_norm_flops(c, T),
           lumped + format("this norm alone is %.1f·S·h", layer_norm_flops(c, T) / (d(T) * h)));
  layer_op("q_proj", "2·T·H·NH·D", ClosedTerm::WeightMatmuls, q_proj_flops(c, T), vs_square("NH·D", q));
  layer_op("k_proj", "2·T·H·NKV·D", ClosedTerm::WeightMatmuls, k_proj_flops(c, T),
           "GQA: " + vs_square("NKV·D", kv));
  layer_op("v_proj", "2·T·H·NKV·D", ClosedTerm::WeightMatmuls, v_proj_flops(c, T),
           "GQA: " + vs_square("NKV·D", kv));
  layer_op("q_norm", "T·NH·(4·D + 4)", ClosedTerm::Elementwise, q_norm_flops(c, T),
           "Qwen3's per-head norm (Llama has none): not in the formula's 10·S·h");
  layer_op("k_norm", "T·NKV·(4·D + 4)", ClosedTerm::Elementwise, k_norm_flops(c, T),
           "Qwen3's per-head norm, over the NKV key heads only");
  layer_op("q_rope", "3·T·NH·D", ClosedTerm::Elementwise, q_rope_flops(c, T),
           "4 multiplies + 2 adds per pair of values; the formula has no RoPE term");
  layer_op("k_rope", "3·T·NKV·D", ClosedTerm::Elementwise, k_rope_flops(c, T), "on the NKV key heads only");
  layer_op("attention_scores", "2·NH·D·ΣS²  (causal: ΣS(S+1)/2)", ClosedTerm::AttentionMatmuls,
           attention_scores_flops(c, S, Attention::Causal),
           "Q Kᵀ: " + attn_width + causal_note, attention_scores_flops(c, S, Attention::Full));
  layer_op("softmax", "6·NH·ΣS²  (causal: ΣS(S+1)/2)", ClosedTerm::Softmax, softmax_flops(c, S, Attention::Causal),
           "6 per score (the formula's 5, plus the 1/√D scale)" + causal_note,
           softmax_flops(c, S, Attention::Full));
  layer_op("attention_values", "2·NH·D·ΣS²  (causal: ΣS(S+1)/2)", ClosedTerm::AttentionMatmuls,
           attention_values_flops(c, S, Attention::Causal),
           "P V: " + attn_width + "; K and V are shared by NH/NKV heads, the work is not" + causal_note,
           attention_values_flops(c, S, Attention::Full));
  layer_op("o_proj", "2·T·NH·D·H", ClosedTerm::WeightMatmuls, o_proj_flops(c, T), vs_square("NH·D", q));
  layer_op("residual_attn", "T·H", ClosedTerm::Elementwise, residual_flops(c, T), "one add per value: 1·S·h");
  layer_op("post_norm", "T·(4·H + 4)", ClosedTerm::Elementwise, layer_norm_flops(c, T), "as input_norm");
  const std::string mlp_note = format("I = %.0f = %.3g·h: one MLP matmul is %.3g·S·h² (a square one: 2·S·h²)", I,
                                      I / h, 2.0 * I / h);
  layer_op("gate_proj", "2·T·H·I", ClosedTerm::WeightMatmuls, gate_proj_flops(c, T), mlp_note);
  layer_op("up_proj", "2·T·H·I", ClosedTerm::WeightMatmuls, up_proj_flops(c, T), mlp_note);
  layer_op("silu_mul", "4·T·I", ClosedTerm::Elementwise, silu_mul_flops(c, T),
           format("exp, add, divide, multiply on I values: %.3g·S·h", 4.0 * I / h));
  layer_op("down_proj", "2·T·I·H", ClosedTerm::WeightMatmuls, down_proj_flops(c, T), mlp_note);
  layer_op("residual_mlp", "T·H", ClosedTerm::Elementwise, residual_flops(c, T), "one add per value: 1·S·h");

  pass_op("rope_table", "3·T·D/2 (once)", rope_table_flops(c, T),
          "cos and sin of pos·inv_freq, shared by all layers and heads; outside the formula");
  pass_op("final_norm", "T·(4·H + 4) (once)", final_norm_flops(c, T), "after the last layer; outside the formula");
  pass_op("pooling", "B·(3·H + 2) (once)", pooling_flops(c, B), "last token's L2 normalisation; outside the formula");
  return count;
}

// ---- weights, bound, cost -------------------------------------------------------------------------

double weight_bytes(const ModelConfig& c, int bytes_per_param) {
  return d(c.num_parameters()) * bytes_per_param;
}

double weight_bytes_read(const ModelConfig& c, int64_t T, int bytes_per_param) {
  const double table = d(c.vocab_size) * d(c.hidden_size);
  const double rows = d(std::min(T, c.vocab_size)) * d(c.hidden_size);
  return (d(c.num_parameters()) - table + rows) * bytes_per_param;
}

double compute_time_s(double flops, double tflops) { return flops / (tflops * 1e12); }
double weight_load_time_s(double bytes, double tb_per_s) { return bytes / (tb_per_s * 1e12); }
double embeddings_per_s_bound(int64_t batch, double t_compute, double t_weights) {
  return d(batch) / std::max(t_compute, t_weights);
}
double arithmetic_intensity(double flops, double bytes) { return flops / bytes; }
double usd_per_million_tokens(double usd_per_hour, double tokens_per_s) {
  return usd_per_hour / (tokens_per_s * 3600.0) * 1e6;
}

}  // namespace qwen3
