// cuda_naive's ops: the host launchers of the kernels in kernels.cu, one per equation of the forward pass.
// Plain C++ declarations (no __global__ here), so host code compiled by g++ can call them.
//
// Legend (as in llm.c):  T = tokens of the packed batch, B = sequences, H = hidden, I = intermediate,
//   NH / NKV = query / key-value heads, D = head_dim, V = vocabulary, len = one sequence's length.
// Every pointer is device memory unless its name ends in _host. Every tensor is row-major fp32.
// Each launcher queues its kernel on stream `s`, checks the launch with QWEN3_CUDA_CHECK_LAUNCH naming the op
// and returns at once (the kernel runs asynchronously).
//
// Put this file next to ref_cpu/ops.h: the same ops, the same argument order, the same equations.
#pragma once
#include <cstdint>
#include <vector>

#include <cuda_runtime.h>

namespace qwen3::cuda_naive {

// out[t, :] = E[ids[t], :]
// ids: [T], E: [V, H], out: [T, H]
void launch_embedding_gather(const int32_t* ids, int64_t T, const float* E, int64_t H, float* out, cudaStream_t s);

// y = x / sqrt(mean(x²) + eps) * w                     (mean over the last dimension, in fp32 as HF does)
// x, y: [rows, n], w: [n], inv_rms: [rows] scratch (receives 1/sqrt(mean(x²) + eps) per row).
// x and y may alias. Used for the layer norms (n = H) and per head (rows = T·heads, n = D).
void launch_rms_norm(const float* x, const float* w, int64_t rows, int64_t n, float eps, float* inv_rms, float* y,
                     cudaStream_t s);

// y = x Wᵀ                                             (torch.nn.Linear without bias)
// x: [T, in], W: [out, in], y: [T, out]
void launch_linear(const float* x, const float* W, int64_t T, int64_t in, int64_t out, float* y, cudaStream_t s);

// RoPE, rotate-half (NeoX) form, in place, on each head of each token:
//   (x[i], x[i + D/2]) <- (x[i]·cos θ - x[i + D/2]·sin θ,  x[i + D/2]·cos θ + x[i]·sin θ),
//   θ = pos · inv_freq[i], i < D/2
// x: [T, heads, D], positions: [T], inv_freq: [D/2] (from cuda_common/rope_inv_freq.h)
void launch_apply_rope(float* x, const int32_t* positions, const float* inv_freq, int64_t T, int64_t heads, int64_t D,
                       cudaStream_t s);

// ---- attention, for one sequence at a time: tokens start .. start+len-1 of the packed batch ----------------
// Pass 1, scores with the causal mask:  S[h, i, j] = q[start+i, h]·k[start+j, g] / sqrt(D) if j <= i, else -inf
//   q: [T, NH, D], k: [T, NKV, D], S: [NH, len, len] (at the start of the scores buffer), g = h / (NH/NKV)
void launch_attention_scores(const float* q, const float* k, int64_t start, int64_t len, int64_t NH, int64_t NKV,
                             int64_t D, float* S, cudaStream_t s);
// Passes 2-4, causal softmax of each row, in place:  P[h, i, j] = exp(S[h,i,j] - max_j S[h,i,:]) / Σ_j exp(...)
//   S: [NH, len, len]; entries j > i become 0
void launch_causal_softmax(float* S, int64_t NH, int64_t len, cudaStream_t s);
// Pass 5, weighted sum of values:  out[start+i, h, :] = Σ_{j <= i} P[h, i, j] · v[start+j, g, :]
//   P: [NH, len, len], v: [T, NKV, D], out: [T, NH, D]
void launch_attention_values(const float* P, const float* v, int64_t start, int64_t len, int64_t NH, int64_t NKV,
                             int64_t D, float* out, cudaStream_t s);

// Floats of scores buffer that causal_attention needs for sequences up to max_len tokens: NH · max_len².
// Memory cost: 4·NH·max_len² bytes, e.g. NH = 32 (4B/8B) at 8192 tokens: 8 GiB; at 32768 tokens: 128 GiB,
// more than any single GPU has, which is why the optimised backend never materialises S (cuda_opt/attention).
int64_t attention_scores_floats(int64_t NH, int64_t max_len);

// Causal grouped-query attention over packed sequences (ref_cpu's causal_attention), as a host loop over the
// sequences launching the three passes above for each one:
//   out[t, h, :] = Σ_{s ≤ t, s in t's sequence} softmax_s(q[t,h]·k[s,g] / sqrt(D)) · v[s, g, :],  g = h / (NH/NKV)
// q: [T, NH, D], k, v: [T, NKV, D], offsets_host: [B+1] (HOST memory: the loop runs on the host),
// scores: scratch of scores_floats >= attention_scores_floats(NH, longest sequence), out: [T, NH, D]
void causal_attention(const float* q, const float* k, const float* v, const int64_t* offsets_host, int64_t B,
                      int64_t NH, int64_t NKV, int64_t D, float* scores, int64_t scores_floats, float* out,
                      cudaStream_t s);

// y = silu(g) · u = g / (1 + e^-g) · u                  (SwiGLU's gate)
// g, u, y: [n]; y may alias g
void launch_silu_mul(const float* g, const float* u, int64_t n, float* y, cudaStream_t s);

// x += y                                               (residual connection)
// x, y: [n]
void launch_add_inplace(float* x, const float* y, int64_t n, cudaStream_t s);

// out[b, :] = x[offsets[b+1] - 1, :]                   (last-token pooling)
// x: [T, H], offsets: [B+1] (device), out: [B, H]
void launch_gather_last_tokens(const float* x, const int64_t* offsets, int64_t B, int64_t H, float* out,
                               cudaStream_t s);

// x[r, :] <- x[r, :] / ||x[r, :]||₂                    (core/pooling.h's l2_normalize on each row)
// A zero row stays zero.
// x: [rows, n]
void launch_l2_normalize(float* x, int64_t rows, int64_t n, cudaStream_t s);

}  // namespace qwen3::cuda_naive
