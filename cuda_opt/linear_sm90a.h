// The wgmma (GEMM ladder step 10) instantiations of the forward pass's three fused GEMMs, compiled for sm_90a only
// (linear_sm90a.cu) and called by linear.cu when the build has them (QWEN3_HAVE_SM90A) and the device is a Hopper.
// Preconditions: K a multiple of 8, A and B 16-byte aligned (wgmma_operands_ok); N even.
#pragma once
#include <cuda_bf16.h>
#include <cuda_runtime.h>

namespace qwen3::cuda_opt {

bool wgmma_operands_ok(const __nv_bfloat16* A, const __nv_bfloat16* B, int K);
void wgmma_store_bf16(const __nv_bfloat16* A, const __nv_bfloat16* B, int M, int N, int K, __nv_bfloat16* C,
                      cudaStream_t s);
void wgmma_add_f32(const __nv_bfloat16* A, const __nv_bfloat16* B, int M, int N, int K, float* C, cudaStream_t s);
void wgmma_swiglu(const __nv_bfloat16* A, const __nv_bfloat16* B, int M, int N, int K, __nv_bfloat16* Y,
                  cudaStream_t s);

}  // namespace qwen3::cuda_opt
