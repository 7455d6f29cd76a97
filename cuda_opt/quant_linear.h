// cuda_opt's matrix products over quantised weights (a GGUF model's Q8_0 and Q4_K tensors): the weight-only GEMMs of
// quant_gemm/ (quant_gemm.h) into an fp32 scratch, then the same work the bf16 path fuses into its epilogue
// (linear.h), as one small kernel. Used at few tokens, where a pass is bound by reading the weights
// (kQuantMaxTokens); above it cuda_opt runs its bf16 GEMMs on the dequantised copy it also holds.
// Plain C++ declarations, so host code compiled by g++ can call them. Shapes: T tokens, in/out features.
#pragma once
#include <cstdint>

#include <cuda_bf16.h>
#include <cuda_runtime.h>

namespace qwen3::cuda_opt {

// Up to this many tokens a projection with quantised weights runs the weight-only GEMM. The prediction it rests on
// (docs/gemm_ladder.md, "Quantised weights"): on an H100 the CUDA-core kernels are bandwidth bound up to ~11 (Q8_0)
// and ~5 (Q4_K) tokens and stay faster than cuBLAS's bf16 GEMM up to ~20, where M FMAs per weight cost as much
// as reading 2 bytes of it. Not yet measured: a GPU run should move it.
constexpr int64_t kQuantMaxTokens = 16;

// One projection's quantised weights on the device, rows in the order of the bf16 matrix they stand for (q, k, v
// stacked; gate and up interleaved: row 2i gate i, row 2i+1 up i).
struct QuantMatrix {
  enum class Kind { kNone, kQ8_0, kQ4_K };
  Kind kind = Kind::kNone;
  const int8_t* codes = nullptr;   // Q8_0: [out, in] int8 (quant_gemm/repack.h: split_q8_0)
  const float* scales = nullptr;   // Q8_0: [out, in/32]
  const uint8_t* blocks = nullptr; // Q4_K: [out, in/256 · 144] bytes, GGUF's super-blocks
  bool usable(int64_t T) const { return kind != Kind::kNone && T <= kQuantMaxTokens; }
};

// y = x Wᵀ, stored as bf16                      x: [T, in] bf16, y: [T, out] bf16, scratch: [T, out] fp32
void quant_linear_store_bf16(const QuantMatrix& W, const __nv_bfloat16* x, int64_t T, int64_t in, int64_t out,
                             __nv_bfloat16* y, float* scratch, cudaStream_t s);
// resid += a Wᵀ                                 a: [T, in] bf16, resid: [T, out] fp32, scratch: [T, out] fp32
void quant_linear_add_f32(const QuantMatrix& W, const __nv_bfloat16* a, int64_t T, int64_t in, int64_t out,
                          float* resid, float* scratch, cudaStream_t s);
// y = silu(x W_gᵀ) · (x W_uᵀ)                   x: [T, in] bf16, W: [2I, in] interleaved, y: [T, I] bf16,
//                                               scratch: [T, 2I] fp32
void quant_linear_swiglu(const QuantMatrix& W, const __nv_bfloat16* x, int64_t T, int64_t in, int64_t I,
                         __nv_bfloat16* y, float* scratch, cudaStream_t s);

}  // namespace qwen3::cuda_opt
