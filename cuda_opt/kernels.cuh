// cuda_opt's small kernels: everything of the forward pass that is not a matrix product (linear.h) or attention
// (attention.h). bf16 storage, fp32 arithmetic and statistics. Each one does in ONE pass over memory what
// cuda_naive does in one or more kernels per equation; put this file next to cuda_naive/kernels.cuh.
// Plain C++ declarations (no __global__ here), so host code compiled by g++ can call them.
//
// Legend (as in cuda_naive):  T = tokens of the packed batch, B = sequences, H = hidden, I = intermediate,
//   NH / NKV = query / key-value heads, D = head_dim, V = vocabulary, QKV = (NH + 2·NKV)·D.
// Every pointer is device memory. Each launcher queues its kernel on stream `s`, checks the launch with
// QWEN3_CUDA_CHECK_LAUNCH naming the op and returns at once.
#pragma once
#include <cstdint>

#include <cuda_bf16.h>
#include <cuda_runtime.h>

namespace qwen3::cuda_opt {

using bf16 = __nv_bfloat16;

// dst[dst_row(r), :] = bf16(src[r, :]),  dst_row(r) = r · row_step + row_offset        (weights, once at load)
// src: [R, K] fp32, dst: rows of K bf16. Lays q/k/v_proj side by side in the fused QKV weight (row_step 1) and
// gate/up interleaved in the fused gate+up weight (row_step 2: gate row i -> 2i, up row i -> 2i + 1).
void launch_to_bf16_rows(const float* src, int64_t R, int64_t K, int64_t row_step, int64_t row_offset, bf16* dst,
                         cudaStream_t s);

// x[t, :] = float(E[ids[t], :])                                                       (embedding gather)
// ids: [T], E: [V, H] bf16, x: [T, H] fp32 (the residual stream stays fp32)
void launch_embedding_gather(const int32_t* ids, int64_t T, const bf16* E, int64_t H, float* x, cudaStream_t s);

// y = bf16(x / sqrt(mean(x²) + eps) · w)                                             (RMSNorm, one pass)
// x: [rows, n] fp32, w: [n] fp32, y: [rows, n] bf16 (the next GEMM's input). One block per row: the row is read
// once into shared memory, its sum of squares reduced, and written normalised: n <= 8192.
void launch_rms_norm(const float* x, const float* w, int64_t rows, int64_t n, float eps, bf16* y, cudaStream_t s);

// Per token t and head h of q and k inside the fused QKV projection output, in place:
//   x = x / sqrt(mean(x²) + eps) · w                  (q_norm with w = q_w for the NH query heads,
//                                                       k_norm with w = k_w for the NKV key heads)
//   (x[i], x[i + D/2]) <- (x[i]·cos θ - x[i + D/2]·sin θ, x[i + D/2]·cos θ + x[i]·sin θ),  θ = pos[t] · inv_freq[i]
// qkv: [T, QKV] bf16 (q heads, then k heads, then v heads, which are left alone), positions: [T],
// q_w, k_w: [D] fp32, inv_freq: [D/2] (cuda_common/rope_inv_freq.h). One warp per (token, head).
void launch_qk_norm_rope(bf16* qkv, const int32_t* positions, const float* q_w, const float* k_w,
                         const float* inv_freq, int64_t T, int64_t NH, int64_t NKV, int64_t D, float eps,
                         cudaStream_t s);

// y[t, i] = silu(gu[t, 2i]) · gu[t, 2i + 1] = g / (1 + e^-g) · u                    (SwiGLU, cuBLAS path only)
// gu: [T, 2I] bf16 (gate and up interleaved, as the fused weight lays them out), y: [T, I] bf16.
// The ladder path does this inside the gate+up GEMM's epilogue (epilogues.cuh: SwiGLU).
void launch_silu_mul(const bf16* gu, int64_t T, int64_t I, bf16* y, cudaStream_t s);

// emb[b, :] = normalize(x[last_b, :] / sqrt(mean(x[last_b, :]²) + eps) · w),  last_b = offsets[b+1] - 1
//                                                      (final RMSNorm of the last tokens only, then L2 norm)
// x: [T, H] fp32, offsets: [B+1] int32, w: [H], emb: [B, H] fp32. The final norm of the other T - B tokens
// would be thrown away by last-token pooling, so it is never computed. One block per sequence, H <= 8192.
void launch_final_norm_pool(const float* x, const int32_t* offsets, int64_t B, int64_t H, const float* w, float eps,
                            float* emb, cudaStream_t s);

// y = x / sqrt(mean(x²) + eps) · w over every row, fp32 in and out (only for keep_hidden_states: the final
// norm of all T tokens, which ForwardOutput::hidden_states[L+1] holds).
void launch_rms_norm_f32(const float* x, const float* w, int64_t rows, int64_t n, float eps, float* y,
                         cudaStream_t s);

}  // namespace qwen3::cuda_opt
