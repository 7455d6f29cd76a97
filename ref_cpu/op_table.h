// The ops the CPU forward pass calls, gathered in one table of functions.
// The reference fills it from ref_cpu/ops.h (reference_op_table). The course's exercise backend
// (exercises/common/exercise_backend.h) fills a second table with the ops a learner has written and the
// reference for the rest, and runs the very same forward pass (cpu_backend.cpp) with it.
// Shapes as in ops.h: T tokens, NH/NKV query/KV heads, D head_dim, B sequences, H hidden.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace qwen3::cpu {

struct OpTable {
  // y = x / sqrt(mean(x²) + eps) * w        x, y: [rows, n] (may alias), w: [n]
  std::function<void(const float* x, const float* w, int64_t rows, int64_t n, float eps, float* y)> rms_norm;
  // rotate-half RoPE in place              x: [T, heads, D], positions: [T]
  std::function<void(float* x, const int32_t* positions, int64_t T, int64_t heads, int64_t D, double theta)>
      apply_rope;
  // causal GQA attention over packed sequences   q: [T, NH, D], k, v: [T, NKV, D], offsets: [B+1], out: [T, NH, D]
  std::function<void(const float* q, const float* k, const float* v, const int64_t* offsets, int64_t B, int64_t NH,
                     int64_t NKV, int64_t D, float* out)>
      causal_attention;
  // y = silu(g) · u                         g, u, y: [n] (y may alias g)
  std::function<void(const float* g, const float* u, int64_t n, float* y)> silu_mul;
  // out[b] = x[last token of b] / ||x[last token of b]||   x: [T, H], offsets: [B+1], out: [B, H]
  std::function<void(const float* x, const int64_t* offsets, int64_t B, int64_t H, float* out)> last_token_pool;

  // Optional, not an op: called as the pass records an op's output (ForwardOptions::keep_op_outputs) with the
  // op's name ("layer 0 / q_rope"), the buffer it lives in, and the values about to be recorded, which it may
  // replace. The exercise backend uses it to record what the learner's op returned while the pass goes on with
  // the reference's output (compare --isolate). Empty in the reference table.
  std::function<void(const std::string& op, const float* buffer, std::vector<float>& recorded)> on_record;
};

// The reference ops of ref_cpu/ops.h.
OpTable reference_op_table();

}  // namespace qwen3::cpu
