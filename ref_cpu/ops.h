// The Qwen3 forward pass as equations, in fp32 on the CPU with Eigen: one function per step.
// Every tensor is a plain row-major float array; the shape is written at the head of each function.
//   T = tokens of the packed batch, H = hidden, I = intermediate, NH/NKV = query/KV heads, D = head_dim.
// These functions are the reference the CUDA kernels are checked against: put them side by side with
// cuda_naive/kernels.cu and cuda_opt/ to see the same math.
#pragma once
#include <cstdint>

namespace qwen3::cpu {

// Multiply-adds the matrix products perform, counted only when a counter is passed (tests check core/flops.h
// against them); normal runs pass none, and counting then costs one branch per call.
struct OpCounter {
  int64_t linear = 0;            // x Wᵀ: T·in·out per call
  int64_t attention_scores = 0;  // Q Kᵀ: len²·D per (sequence, head); the masked half is computed too
  int64_t attention_values = 0;  // P V: len²·D per (sequence, head); the masked probabilities are zeros
};

// out[t, :] = E[ids[t], :]
// ids: [T], E: [V, H], out: [T, H]
void embedding_gather(const int32_t* ids, int64_t T, const float* E, int64_t H, float* out);

// y = x / sqrt(mean(x²) + eps) * w                     (mean over the last dimension, in fp32 as HF does)
// x, y: [rows, n], w: [n]. x and y may alias. Used for the layer norms (n = H) and per head (n = D).
void rms_norm(const float* x, const float* w, int64_t rows, int64_t n, float eps, float* y);

// y = x Wᵀ                                             (torch.nn.Linear without bias)
// x: [T, in], W: [out, in], y: [T, out]
void linear(const float* x, const float* W, int64_t T, int64_t in, int64_t out, float* y,
            OpCounter* counter = nullptr);

// RoPE, rotate-half (NeoX) form, in place, on each head of each token:
//   (x[i], x[i + D/2]) <- (x[i]·cos θ - x[i + D/2]·sin θ,  x[i + D/2]·cos θ + x[i]·sin θ),
//   θ = pos · theta^(-2i/D), i < D/2
// x: [T, heads, D], positions: [T]
void apply_rope(float* x, const int32_t* positions, int64_t T, int64_t heads, int64_t D, double theta);

// Causal grouped-query attention over packed sequences:
//   out[t, h, :] = Σ_{s ≤ t, s in t's sequence} softmax_s(q[t,h]·k[s,g] / sqrt(D)) · v[s, g, :],  g = h / (NH/NKV)
// q: [T, NH, D], k, v: [T, NKV, D], offsets: [B+1], out: [T, NH, D]
void causal_attention(const float* q, const float* k, const float* v, const int64_t* offsets, int64_t B,
                      int64_t NH, int64_t NKV, int64_t D, float* out);

// The multiply-adds causal_attention performs, added to counter: len²·D per (sequence, query head) for the scores
// and as many for the weighted values (the masked half of the square is computed too).
// offsets: [B+1]
void count_attention(const int64_t* offsets, int64_t B, int64_t NH, int64_t D, OpCounter& counter);

// y = silu(g) · u = g / (1 + e^-g) · u                  (SwiGLU's gate)
// g, u, y: [n]
void silu_mul(const float* g, const float* u, int64_t n, float* y);

// embedding[b] = x[t_b] / ||x[t_b]||₂,  t_b = offsets[b+1] - 1     (last-token pooling, then L2 normalisation)
// x: [T, H], offsets: [B+1], out: [B, H]
void last_token_pool(const float* x, const int64_t* offsets, int64_t B, int64_t H, float* out);

// x += y                                               (residual connection)
// x, y: [n]
void add_inplace(float* x, const float* y, int64_t n);

}  // namespace qwen3::cpu
