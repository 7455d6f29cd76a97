// Exercise 09_flop_count: the functions you write, as the tests call them.
#pragma once
#include <cstdint>
#include <vector>

#include "core/config.h"

namespace learner {

// A multiply-add is 2 FLOPs. Letters as in core/config.h: L layers, H hidden, I intermediate, NH query heads,
// NKV key/value heads, D head dimension; T = Σ S_b tokens of a batch of sequences of lengths S_b.

// The seven weight matmuls of the whole pass (all L layers) over T tokens: q, k, v, o, gate, up and down.
// A projection [T, in]·[in, out] costs 2·T·in·out.
double projection_flops(const qwen3::ModelConfig& c, int64_t T);

// The two attention matmuls of the whole pass (all L layers), Q Kᵀ and P V, over packed sequences of the given
// lengths: each is 2·NH·D FLOPs per score, and a sequence of S tokens has S² scores per head (causal = false: the
// full square) or S(S+1)/2 (causal = true: query t sees keys 0..t only). Sequences never attend to each other.
double attention_flops(const qwen3::ModelConfig& c, const std::vector<int64_t>& lengths, bool causal);

// The roofline bound: the fastest a pass of `flops` FLOPs that reads `weight_bytes` bytes of weights can run on a
// chip of `tflops` TFLOP/s and `tb_per_s` TB/s of memory bandwidth, in seconds.
double roofline_time_s(double flops, double weight_bytes, double tflops, double tb_per_s);

}  // namespace learner
