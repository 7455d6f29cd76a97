// mistake: k_proj and v_proj sized like q_proj (H → NH·D): with grouped-query attention they output NKV·D, NH/NKV times narrower
#include <algorithm>

#include "exercises/09_flop_count/flop_count.h"

namespace learner {

// L × (q [H→NH·D] + k, v [H→NKV·D] + o [NH·D→H] + gate, up [H→I] + down [I→H]),  each 2·T·in·out
double projection_flops(const qwen3::ModelConfig& c, int64_t T) {
  const double t = static_cast<double>(T), H = static_cast<double>(c.hidden_size);
  const double I = static_cast<double>(c.intermediate_size);
  const double q_out = static_cast<double>(c.num_attention_heads * c.head_dim);    // NH·D
  const double kv_out = q_out;  // (as wide as q)
  const double per_layer = 2.0 * t * H * q_out        // q_proj
                           + 2.0 * 2.0 * t * H * kv_out  // k_proj, v_proj
                           + 2.0 * t * q_out * H      // o_proj
                           + 2.0 * 2.0 * t * H * I    // gate_proj, up_proj
                           + 2.0 * t * I * H;         // down_proj
  return static_cast<double>(c.num_hidden_layers) * per_layer;
}

// L × 2 matmuls × 2·NH·D × Σ_b (S_b² full, or S_b(S_b+1)/2 causal)
double attention_flops(const qwen3::ModelConfig& c, const std::vector<int64_t>& lengths, bool causal) {
  double scores = 0;  // per head, summed over the sequences: each attends only to itself
  for (const int64_t len : lengths) {
    const double S = static_cast<double>(len);
    scores += causal ? S * (S + 1.0) / 2.0 : S * S;
  }
  const double per_matmul = 2.0 * static_cast<double>(c.num_attention_heads * c.head_dim) * scores;
  return static_cast<double>(c.num_hidden_layers) * 2.0 * per_matmul;  // Q Kᵀ and P V
}

// t ≥ max(F / (R·10¹²), W / (BW·10¹²))
double roofline_time_s(double flops, double weight_bytes, double tflops, double tb_per_s) {
  const double t_compute = flops / (tflops * 1e12);
  const double t_weights = weight_bytes / (tb_per_s * 1e12);
  return std::max(t_compute, t_weights);  // the two overlap: the slower one bounds the pass
}

}  // namespace learner
