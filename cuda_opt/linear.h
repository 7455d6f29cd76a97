// cuda_opt's matrix products: y = x Wᵀ with bf16 operands and fp32 accumulation, each with the work that follows
// it fused into its epilogue (epilogues.cuh). Two interchangeable implementations, chosen at run time
// (qwen3emb ... --gemm ladder|cublas):
//   ladder  the GEMM ladder's top step for this GPU: step 10 (wgmma + TMA, cuda_opt/gemm/10_wgmma_tma.cuh) on
//           compute capability 9.0 when this build has sm_90a code, step 9 (mma.sync) otherwise; epilogues fused.
//   cublas  cublasGemmEx with the same bf16 operands and fp32 accumulation; the residual add through beta = 1 into
//           the fp32 stream, SwiGLU as a separate kernel (kernels.cuh: launch_silu_mul) over a [T, 2I] scratch.
//           What cuBLAS costs against the ladder is what a learner compares end to end.
// Plain C++ declarations, so host code compiled by g++ can call them. Shapes: T tokens, in/out features.
#pragma once
#include <cstdint>
#include <string_view>

#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

namespace qwen3::cuda_opt {

using bf16 = __nv_bfloat16;

enum class GemmPath { kLadder, kCublas };

struct LinearContext {
  GemmPath path = GemmPath::kLadder;
  bool wgmma = false;              // ladder path: step 10 usable (compute capability 9.0 and built for sm_90a)
  cublasHandle_t cublas = nullptr; // cublas path: a handle whose workspace was set (safe under graph capture)
};

// "ladder" / "cublas"; and back (InputError naming the option for anything else).
const char* gemm_path_name(GemmPath p);
GemmPath parse_gemm_path(const std::string_view name);
// Whether this build holds the sm_90a (wgmma) kernels, and whether they can run on the current device.
bool linear_wgmma_available();

// y = x Wᵀ                                                   (fused QKV projection)
// x: [T, in] bf16, W: [out, in] bf16, y: [T, out] bf16
void linear_store_bf16(const LinearContext& ctx, const bf16* x, const bf16* W, int64_t T, int64_t in, int64_t out,
                       bf16* y, cudaStream_t s);
// resid += a Wᵀ                                              (o_proj, down_proj, each with its residual add)
// a: [T, in] bf16, W: [out, in] bf16, resid: [T, out] fp32
void linear_add_f32(const LinearContext& ctx, const bf16* a, const bf16* W, int64_t T, int64_t in, int64_t out,
                    float* resid, cudaStream_t s);
// y = silu(x W_gᵀ) · (x W_uᵀ)                                (gate+up projection and SwiGLU)
// x: [T, in] bf16, W_gu: [2I, in] bf16 with gate and up rows interleaved (2i: gate i, 2i+1: up i), y: [T, I] bf16;
// scratch: [T, 2I] bf16, used by the cublas path only (may be null for the ladder path).
void linear_swiglu(const LinearContext& ctx, const bf16* x, const bf16* W_gu, int64_t T, int64_t in, int64_t I,
                   bf16* y, bf16* scratch, cudaStream_t s);

}  // namespace qwen3::cuda_opt
