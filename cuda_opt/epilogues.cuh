// The forward pass's GEMM epilogues: what the tensor-core kernels (cuda_opt/gemm/09_*.cuh, 10_*.cuh) do with each
// finished pair of outputs C[m][n], C[m][n+1] = v0, v1 (n even, m < M, n < N) while they are still in registers,
// instead of writing C and reading it back in another kernel. N must be even for all three (checked by linear.cu).
// Included by .cu files only (device code).
#pragma once
#include <cuda_bf16.h>
#include <cuda_runtime.h>

namespace qwen3::cuda_opt {

// y = x Wᵀ stored as bf16                                   (the fused QKV projection)
// C: [M, ldc] bf16
struct StoreBF16 {
  __nv_bfloat16* C;
  int ldc;
  __device__ __forceinline__ void operator()(int m, int n, float v0, float v1) const {
    *reinterpret_cast<__nv_bfloat162*>(C + static_cast<size_t>(m) * ldc + n) = __floats2bfloat162_rn(v0, v1);
  }
};

// x += a Wᵀ                                                 (o_proj and down_proj with the residual connection)
// C: [M, ldc] fp32, the residual stream, read and written in place (each element by exactly one thread)
struct AddF32 {
  float* C;
  int ldc;
  __device__ __forceinline__ void operator()(int m, int n, float v0, float v1) const {
    float2* p = reinterpret_cast<float2*>(C + static_cast<size_t>(m) * ldc + n);
    const float2 r = *p;
    *p = make_float2(r.x + v0, r.y + v1);
  }
};

// y[m, n/2] = silu(g) · u = g / (1 + e^-g) · u,  g = C[m][n], u = C[m][n+1]      (gate+up projection and SwiGLU)
// The fused weight interleaves gate and up rows (row 2i = gate_proj row i, row 2i+1 = up_proj row i), so the two
// values one output needs land in the same thread, side by side. Y: [M, ldy] bf16, ldy >= N/2.
struct SwiGLU {
  __nv_bfloat16* Y;
  int ldy;
  __device__ __forceinline__ void operator()(int m, int n, float g, float u) const {
    Y[static_cast<size_t>(m) * ldy + n / 2] = __float2bfloat16_rn(g / (1.0f + __expf(-g)) * u);
  }
};

}  // namespace qwen3::cuda_opt
