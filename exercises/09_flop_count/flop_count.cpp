// Exercise 09_flop_count — the one file you edit. Statement: exercises/09_flop_count/README.md.
// Check your answer: qwen3emb exercise check 09_flop_count
#include "exercises/09_flop_count/flop_count.h"

#include <algorithm>

#include "exercises/common/todo.h"

namespace learner {

// L × (q [H→NH·D] + k, v [H→NKV·D] + o [NH·D→H] + gate, up [H→I] + down [I→H]),  each 2·T·in·out
double projection_flops(const qwen3::ModelConfig& c, int64_t T) {
  // TODO: sum 2·T·in·out over the seven projections of one layer, times L
  (void)c, (void)T;
  qwen3::exercises::not_implemented("09_flop_count", "flop_count.cpp",
                                    "a multiply-add is 2 FLOPs; k_proj and v_proj output NKV·D, not NH·D");
}

// L × 2 matmuls × 2·NH·D × Σ_b (S_b² full, or S_b(S_b+1)/2 causal)
double attention_flops(const qwen3::ModelConfig& c, const std::vector<int64_t>& lengths, bool causal) {
  // TODO: count the scores per head sequence by sequence, then scale by 2·NH·D per matmul, 2 matmuls, L layers
  (void)c, (void)lengths, (void)causal;
  qwen3::exercises::not_implemented("09_flop_count", "flop_count.cpp",
                                    "scores are per sequence: Σ_b S_b², not (Σ_b S_b)²");
}

// t ≥ max(F / (R·10¹²), W / (BW·10¹²))
double roofline_time_s(double flops, double weight_bytes, double tflops, double tb_per_s) {
  // TODO: the time to do the arithmetic, the time to read the weights once: the pass takes at least the larger
  (void)flops, (void)weight_bytes, (void)tflops, (void)tb_per_s;
  qwen3::exercises::not_implemented("09_flop_count", "flop_count.cpp",
                                    "TFLOP/s and TB/s are 10¹² per second; compute and memory overlap");
}

}  // namespace learner
