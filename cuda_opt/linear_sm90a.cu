// The forward pass's fused GEMMs on GEMM ladder step 10 (wgmma + TMA), compiled for sm_90a only: see
// linear_sm90a.h. Each is the ladder's kernel with another epilogue (epilogues.cuh).
#include "cuda_opt/linear_sm90a.h"

#include "cuda_opt/epilogues.cuh"
#include "cuda_opt/gemm/10_wgmma_tma.cuh"

namespace qwen3::cuda_opt {

bool wgmma_operands_ok(const __nv_bfloat16* A, const __nv_bfloat16* B, int K) {
  return gemm::step10::operands_ok(A, B, K);
}

void wgmma_store_bf16(const __nv_bfloat16* A, const __nv_bfloat16* B, int M, int N, int K, __nv_bfloat16* C,
                      cudaStream_t s) {
  gemm::step10::run(A, B, M, N, K, StoreBF16{C, N}, s, "linear (wgmma, bf16 out)");
}

void wgmma_add_f32(const __nv_bfloat16* A, const __nv_bfloat16* B, int M, int N, int K, float* C, cudaStream_t s) {
  gemm::step10::run(A, B, M, N, K, AddF32{C, N}, s, "linear (wgmma, residual add)");
}

void wgmma_swiglu(const __nv_bfloat16* A, const __nv_bfloat16* B, int M, int N, int K, __nv_bfloat16* Y,
                  cudaStream_t s) {
  gemm::step10::run(A, B, M, N, K, SwiGLU{Y, N / 2}, s, "linear (wgmma, SwiGLU)");
}

}  // namespace qwen3::cuda_opt
