// cuda_opt's attention: causal grouped-query attention over packed sequences in one kernel, flash-attention
// style (FlashAttention-2's loop order, tensor cores through mma.sync). The equation is ref_cpu's
// causal_attention and cuda_naive's three passes; the difference is that the len×len scores never exist in memory
// (see cuda_opt/attention.cu for how, and why that matters at 32k tokens).
// Plain C++ declarations (no __global__ here), so host code compiled by g++ can call them.
//
// Legend (as in ref_cpu/ops.h):  T = tokens of the packed batch, B = sequences, NH / NKV = query / key-value heads,
//   D = head_dim, len = one sequence's length. Every pointer is device memory. bf16 storage, fp32 arithmetic.
#pragma once
#include <cstdint>

#include <cuda_bf16.h>
#include <cuda_runtime.h>

namespace qwen3::cuda_opt {

using bf16 = __nv_bfloat16;

// Causal grouped-query attention over packed variable-length sequences, flash-attention style (online softmax,
// the len×len scores never stored):
//   out[t, h, :] = Σ_{s ≤ t, s in t's sequence} softmax_s(q[t,h]·k[s,g] / sqrt(D)) · v[s, g, :],  g = h / (NH/NKV)
// q: row t at q + t*q_stride, head h at + h*D (bf16); k, v: likewise with k_stride / v_stride and heads g < NKV.
//   (the strides let the kernel read q, k, v straight out of a fused QKV projection output [T, (NH+2·NKV)·D]:
//    q = qkv, k = qkv + NH·D, v = qkv + (NH+NKV)·D, all three strides (NH+2·NKV)·D)
// offsets: [B+1] int32 DEVICE array, sequence b = tokens offsets[b] .. offsets[b+1]-1; max_len = longest length
//   (at least the longest: rows past max_len would not be computed; larger is allowed and only costs idle blocks).
// out: [T, NH, D] bf16, contiguous.
// Checked before any CUDA call (InputError otherwise): D is 32, 64 or 128; NH, NKV > 0 and NH % NKV == 0;
// B, max_len >= 0 (0 = nothing to do), B and NH <= 65535 (grid limits); strides multiples of 8 and at least the
// heads they hold (q_stride >= NH·D, k_stride and v_stride >= NKV·D); q, k, v, out 16-byte aligned; no null
// pointer when there is work. Queues the kernel on stream `s` and returns at once; launch errors throw CudaError.
void flash_attention(const bf16* q, int64_t q_stride, const bf16* k, int64_t k_stride, const bf16* v,
                     int64_t v_stride, const int32_t* offsets, int B, int max_len, int NH, int NKV, int D,
                     bf16* out, cudaStream_t s);

}  // namespace qwen3::cuda_opt
