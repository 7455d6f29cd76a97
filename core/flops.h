// How much arithmetic one forward pass is, and the fastest it could possibly run (docs/flops.md).
//
// Two counts, side by side:
//  * the closed formula of the analysis this project grows from (Llama-style, per sequence of S tokens,
//    LM head omitted; h = hidden size, heads = query heads):
//        F = L × (10·S·h + 25.5·S·h² + 4·S²·h + 5·S²·heads)
//  * this project's exact count, op by op, for the real shapes: GQA's narrower K/V projections, head_dim
//    (NH·D need not equal H), the real intermediate size, q/k norms, RoPE, and attention counted both over the
//    full S×S square and causally (S(S+1)/2 scores per head: what a kernel that skips masked blocks does).
//
// Conventions: a multiply-add is 2 FLOPs; an add, multiply, divide, compare, exp or sqrt is 1 FLOP.
// Letters as in core/config.h: T = Σ S_b tokens of the batch, S_b the length of sequence b, B sequences.
// Counts are doubles: exact integers up to 2^53 ≈ 9·10^15, and within 1e-16 relative beyond that.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"

namespace qwen3 {

// ---- the closed formula, term by term (per layer, one sequence of S tokens) --------------------------
// 25.5·S·h²      the weight matmuls (q, k, v, o, gate, up, down)
double closed_weight_matmuls_flops(const ModelConfig& c, int64_t S);
// 4·S²·h         the attention matmuls Q Kᵀ and P V, each 2·S²·h, over the full S×S square
double closed_attention_matmuls_flops(const ModelConfig& c, int64_t S);
// 5·S²·heads     softmax, 5 FLOPs per score
double closed_softmax_flops(const ModelConfig& c, int64_t S);
// 10·S·h         norms, residuals and activations
double closed_elementwise_flops(const ModelConfig& c, int64_t S);
// F = L × (10·S·h + 25.5·S·h² + 4·S²·h + 5·S²·heads), summed over the sequences of a batch
double closed_formula_flops(const ModelConfig& c, const std::vector<int64_t>& lengths);

// ---- the exact count: one function per op, for one layer (unless said) over a packed batch -----------
// q_proj:  q = x Wqᵀ, [T, H]·[H, NH·D]                      2·T·H·NH·D
double q_proj_flops(const ModelConfig& c, int64_t T);
// k_proj:  k = x Wkᵀ, [T, H]·[H, NKV·D]                     2·T·H·NKV·D
double k_proj_flops(const ModelConfig& c, int64_t T);
// v_proj:  v = x Wvᵀ, [T, H]·[H, NKV·D]                     2·T·H·NKV·D
double v_proj_flops(const ModelConfig& c, int64_t T);
// o_proj:  y = o Woᵀ, [T, NH·D]·[NH·D, H]                   2·T·NH·D·H
double o_proj_flops(const ModelConfig& c, int64_t T);
// gate_proj: [T, H]·[H, I]                                  2·T·H·I
double gate_proj_flops(const ModelConfig& c, int64_t T);
// up_proj:   [T, H]·[H, I]                                  2·T·H·I
double up_proj_flops(const ModelConfig& c, int64_t T);
// down_proj: [T, I]·[I, H]                                  2·T·I·H
double down_proj_flops(const ModelConfig& c, int64_t T);

// Scores per head: Σ_b S_b² over the full square, Σ_b S_b(S_b+1)/2 causally (query t sees keys 0..t).
enum class Attention { Full, Causal };
double scores_per_head(const std::vector<int64_t>& lengths, Attention mode);
// attention scores:  Q Kᵀ, D multiply-adds per score        2·NH·D·scores_per_head
double attention_scores_flops(const ModelConfig& c, const std::vector<int64_t>& lengths, Attention mode);
// attention values:  P V, D multiply-adds per score          2·NH·D·scores_per_head
double attention_values_flops(const ModelConfig& c, const std::vector<int64_t>& lengths, Attention mode);
// softmax: scale by 1/√D, max, subtract, exp, sum, divide   6·NH·scores_per_head
double softmax_flops(const ModelConfig& c, const std::vector<int64_t>& lengths, Attention mode);

// RMSNorm of `rows` rows of n: per element x² and its sum (a multiply-add), ·(1/rms), ·w; per row
// mean (÷n), +eps, sqrt, reciprocal                         rows·(4·n + 4)
double rms_norm_flops(int64_t rows, int64_t n);
// input_norm, post_norm: RMSNorm over H                     T·(4·H + 4) each
double layer_norm_flops(const ModelConfig& c, int64_t T);
// q_norm: RMSNorm over each query head's D values            T·NH·(4·D + 4)
double q_norm_flops(const ModelConfig& c, int64_t T);
// k_norm: RMSNorm over each key head's D values              T·NKV·(4·D + 4)
double k_norm_flops(const ModelConfig& c, int64_t T);
// RoPE rotation of q: per pair (x_i, x_{i+D/2}) 4 multiplies and 2 adds = 3 per value      3·T·NH·D
double q_rope_flops(const ModelConfig& c, int64_t T);
// RoPE rotation of k                                         3·T·NKV·D
double k_rope_flops(const ModelConfig& c, int64_t T);
// silu(g)·u = g / (1 + e^−g) · u: exp, add, divide, multiply  4·T·I
double silu_mul_flops(const ModelConfig& c, int64_t T);
// residual: x += y                                           T·H (once after attention, once after the MLP)
double residual_flops(const ModelConfig& c, int64_t T);

// Outside the layers (the closed formula has no term for these):
// RoPE table: θ = pos·inv_freq, cos θ, sin θ for D/2 frequencies, once per pass   3·T·D/2
double rope_table_flops(const ModelConfig& c, int64_t T);
// final RMSNorm over every token                             T·(4·H + 4)
double final_norm_flops(const ModelConfig& c, int64_t T);
// pooling: the last token's L2 norm (H multiply-adds, sqrt, reciprocal) and H multiplies   B·(3·H + 2)
double pooling_flops(const ModelConfig& c, int64_t B);

// ---- the whole pass, op by op ---------------------------------------------------------------------
// Which term of the closed formula stands for an op.
enum class ClosedTerm { WeightMatmuls, AttentionMatmuls, Softmax, Elementwise, None };
const char* closed_term_name(ClosedTerm t);  // "25.5·S·h²", ..., "(none)"

struct OpFlops {
  std::string name;     // "q_proj", as in core/backend.h's kOpNames where the op has one
  std::string formula;  // "2·T·H·NH·D" (per layer unless the op is outside the layers)
  ClosedTerm term;
  double causal = 0;    // the whole pass, all layers; attention counted causally
  double full = 0;      // the same with attention over the full S×S square (equal for every other op)
  std::string why;      // one line: how the op differs from the closed formula, with this config's numbers
};

struct FlopCount {
  std::vector<OpFlops> ops;  // the layer's ops in the order they run (all layers summed), then the rest
  double causal_total() const;
  double full_total() const;
  // Σ over the ops that the given closed term stands for
  double causal_sum(ClosedTerm t) const;
  double full_sum(ClosedTerm t) const;
};

// The exact count of one forward pass over sequences of the given lengths. InputError for an empty batch
// or a length below 1.
FlopCount exact_flops(const ModelConfig& c, const std::vector<int64_t>& lengths);

// ---- weights, the roofline bound, and cost --------------------------------------------------------
// Every parameter once (the embedding table whole, as the analysis counts it)   P·bytes_per_param
double weight_bytes(const ModelConfig& c, int bytes_per_param);
// What a pass actually reads: every layer weight and the final norm once, but only the min(T, V) gathered
// rows of the embedding table                                 (P − V·H + min(T, V)·H)·bytes_per_param
double weight_bytes_read(const ModelConfig& c, int64_t T, int bytes_per_param);

// t_compute = F / (R·10¹²)         R in TFLOP/s
double compute_time_s(double flops, double tflops);
// t_weights = W / (BW·10¹²)        BW in TB/s: every weight byte crosses from memory once per pass
double weight_load_time_s(double bytes, double tb_per_s);
// embeddings/s ≤ B / max(t_compute, t_weights): a pass can be no faster than either
double embeddings_per_s_bound(int64_t batch, double t_compute, double t_weights);
// arithmetic intensity = F / W (FLOP per byte of weights); compute bound when it exceeds R / BW
double arithmetic_intensity(double flops, double bytes);
// $ per million tokens = usd_per_hour / (tokens_per_s · 3600) · 10⁶
double usd_per_million_tokens(double usd_per_hour, double tokens_per_s);

}  // namespace qwen3
