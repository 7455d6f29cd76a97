// Step 0: cuBLAS, the vendor library, the yardstick every other step is measured against ("% of cuBLAS").
//
// Idea: call the library. cuBLAS is column-major; our row-major C[M,N] is, read column-major, Cᵀ[N,M], and
//   Cᵀ = B · Aᵀ   where B [N,K] row-major is, column-major, a [K,N] matrix with leading dimension K (so op = T),
//                 and A [M,K] row-major is, column-major, Aᵀ [K,M] with leading dimension K (op = N).
// So C = A·Bᵀ is cublas<t>gemm(T, N, m=N, n=M, k=K, B, ldb=K, A, lda=K, C, ldc=N): no copy, no transpose.
//
// fp32: cublasSgemm, math mode CUBLAS_DEFAULT_MATH (no TF32 for Sgemm unless NVIDIA_TF32_OVERRIDE asks for it)
//       or CUBLAS_PEDANTIC_MATH (CublasHandle(true)), which the runner uses for its reference.
// bf16: cublasGemmEx with bf16 A and B, fp32 C, CUBLAS_COMPUTE_32F: the same contract as steps 8-10.
//
// Expected: the ceiling of each precision. On an H100 SXM the datasheet gives 67 TFLOP/s fp32 (FFMA) and
// 989 TFLOP/s dense bf16; cuBLAS typically reaches most of the fp32 figure at 4096³ and 600-750 TFLOP/s bf16.
// These are leads, not results.
// measured (H100 80GB HBM3, 2026-11-26, docs/results/gemm-ladder.md): cublasSgemm 49.3 TFLOP/s and
// cublasGemmEx bf16 752 TFLOP/s at 4096³; 8B shapes at M = 4096: bf16 753-806 TFLOP/s.
#include <string>

#include "cuda_common/cuda_check.h"
#include "cuda_opt/gemm/gemm.h"
#include "cuda_opt/gemm/gemm_common.cuh"

namespace qwen3::gemm {

namespace {

void cublas_check(cublasStatus_t status, const char* call) {
  if (status != CUBLAS_STATUS_SUCCESS) {
    throw CudaError(std::string("cuBLAS error in the GEMM ladder: ") + call + " failed: " +
                    cublasGetStatusString(status));
  }
}

}  // namespace

CublasHandle::CublasHandle(bool pedantic) {
  cublas_check(cublasCreate(&h_), "cublasCreate");
  const cublasStatus_t st = cublasSetMathMode(h_, pedantic ? CUBLAS_PEDANTIC_MATH : CUBLAS_DEFAULT_MATH);
  if (st != CUBLAS_STATUS_SUCCESS) {
    cublasDestroy(h_);
    h_ = nullptr;
    cublas_check(st, "cublasSetMathMode");
  }
}

CublasHandle::~CublasHandle() {
  if (h_ != nullptr) cublasDestroy(h_);
}

// Checks a call's shape and handle; returns true when there is nothing for cuBLAS to do: an empty C, or
// K = 0 (an empty sum, C = 0, which cuBLAS would reject for its lda = 0).
static bool trivial_cublas_call(const char* op, cublasHandle_t h, float* C, int M, int N, int K, cudaStream_t s) {
  detail::check_shape(op, M, N, K, 0);
  if (h == nullptr) throw InputError(std::string(op) + ": no cuBLAS handle");
  if (M == 0 || N == 0) return true;
  if (K == 0) {
    QWEN3_CUDA_CHECK(cudaMemsetAsync(C, 0, sizeof(float) * static_cast<size_t>(M) * N, s), op);
    return true;
  }
  return false;
}

// C[M,N] = A[M,K] · B[N,K]ᵀ in fp32
void gemm_00_cublas_f32(cublasHandle_t h, const float* A, const float* B, float* C, int M, int N, int K,
                        cudaStream_t s) {
  if (trivial_cublas_call("gemm_00_cublas_f32", h, C, M, N, K, s)) return;
  cublas_check(cublasSetStream(h, s), "cublasSetStream");
  const float alpha = 1.0f, beta = 0.0f;
  cublas_check(cublasSgemm(h, CUBLAS_OP_T, CUBLAS_OP_N, N, M, K, &alpha, B, K, A, K, &beta, C, N), "cublasSgemm");
}

// C[M,N] = A[M,K] · B[N,K]ᵀ, bf16 inputs, fp32 accumulation and output
void gemm_00_cublas_bf16(cublasHandle_t h, const bf16* A, const bf16* B, float* C, int M, int N, int K,
                         cudaStream_t s) {
  if (trivial_cublas_call("gemm_00_cublas_bf16", h, C, M, N, K, s)) return;
  cublas_check(cublasSetStream(h, s), "cublasSetStream");
  const float alpha = 1.0f, beta = 0.0f;
  cublas_check(cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, N, M, K, &alpha, B, CUDA_R_16BF, K, A, CUDA_R_16BF, K,
                            &beta, C, CUDA_R_32F, N, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
               "cublasGemmEx (bf16 in, fp32 out, CUBLAS_COMPUTE_32F)");
}

}  // namespace qwen3::gemm
