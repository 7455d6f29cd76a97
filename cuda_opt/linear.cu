// cuda_opt's fused matrix products (linear.h): the ladder path (step 10 or step 9 with the epilogues of
// epilogues.cuh) and the cuBLAS path (cublasGemmEx, then a separate kernel where cuBLAS cannot fuse).
#include "cuda_opt/linear.h"

#include <string>

#include "core/error.h"
#include "cuda_common/cuda_check.h"
#include "cuda_opt/epilogues.cuh"
#include "cuda_opt/gemm/09_mma_sync_ldmatrix.cuh"
#include "cuda_opt/kernels.cuh"
#if defined(QWEN3_HAVE_SM90A)
#include "cuda_opt/linear_sm90a.h"
#endif

namespace qwen3::cuda_opt {

namespace {

void cublas_check(cublasStatus_t st, const char* what) {
  if (st != CUBLAS_STATUS_SUCCESS) {
    throw CudaError(std::string("cuBLAS error in ") + what + ": " + cublasGetStatusName(st) + " (" +
                    cublasGetStatusString(st) + ")");
  }
}

// The three sizes as int (the kernels' and cuBLAS's index type), N even (every epilogue writes pairs).
struct Dims {
  int M, N, K;
};
Dims dims(int64_t T, int64_t in, int64_t out, const char* what) {
  constexpr int64_t kMax = 0x7fffffff;
  if (T < 0 || in < 0 || out < 0 || T > kMax || in > kMax || out > kMax) {
    throw InputError(std::string(what) + ": sizes out of range (T=" + std::to_string(T) + ", in=" +
                     std::to_string(in) + ", out=" + std::to_string(out) + ")");
  }
  if (out % 2 != 0) throw InputError(std::string(what) + ": the output width must be even, not " + std::to_string(out));
  return {static_cast<int>(T), static_cast<int>(out), static_cast<int>(in)};
}

#if defined(QWEN3_HAVE_SM90A)
// The ladder path takes step 10 when the device can run it and TMA's operand rules hold; step 9 otherwise.
bool use_wgmma(const LinearContext& ctx, const bf16* A, const bf16* B, int K) {
  return ctx.wgmma && wgmma_operands_ok(A, B, K);
}
#endif

// C (type c_type) = alpha · A Bᵀ + beta · C with bf16 A [M, K], B [N, K] and fp32 accumulation (row-major, as the
// column-major C ᵀ = B Aᵀ that cuBLAS computes).
void cublas_gemm(const LinearContext& ctx, const bf16* A, const bf16* B, Dims d, void* C, cudaDataType c_type,
                 float beta, cudaStream_t s, const char* what) {
  if (ctx.cublas == nullptr) throw Error(std::string(what) + ": the cublas path needs a cuBLAS handle");
  cublas_check(cublasSetStream(ctx.cublas, s), what);
  const float alpha = 1.0f;
  cublas_check(cublasGemmEx(ctx.cublas, CUBLAS_OP_T, CUBLAS_OP_N, d.N, d.M, d.K, &alpha, B, CUDA_R_16BF, d.K, A,
                            CUDA_R_16BF, d.K, &beta, C, c_type, d.N, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
               what);
}

}  // namespace

const char* gemm_path_name(GemmPath p) { return p == GemmPath::kCublas ? "cublas" : "ladder"; }

GemmPath parse_gemm_path(const std::string_view name) {
  if (name == "ladder") return GemmPath::kLadder;
  if (name == "cublas") return GemmPath::kCublas;
  throw InputError("--gemm: expected 'ladder' or 'cublas', not '" + std::string(name) + "'");
}

bool linear_wgmma_available() {
#if defined(QWEN3_HAVE_SM90A)
  int dev = 0, major = 0, minor = 0;
  if (cudaGetDevice(&dev) != cudaSuccess) return false;
  if (cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) != cudaSuccess) return false;
  if (cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev) != cudaSuccess) return false;
  return major == 9 && minor == 0;
#else
  return false;
#endif
}

void linear_store_bf16(const LinearContext& ctx, const bf16* x, const bf16* W, int64_t T, int64_t in, int64_t out,
                       bf16* y, cudaStream_t s) {
  const Dims d = dims(T, in, out, "linear (bf16 out)");
  if (d.M == 0 || d.N == 0) return;
  if (ctx.path == GemmPath::kCublas) return cublas_gemm(ctx, x, W, d, y, CUDA_R_16BF, 0.0f, s, "linear (bf16 out)");
#if defined(QWEN3_HAVE_SM90A)
  if (use_wgmma(ctx, x, W, d.K)) return wgmma_store_bf16(x, W, d.M, d.N, d.K, y, s);
#endif
  gemm::step09::run(x, W, d.M, d.N, d.K, StoreBF16{y, d.N}, s, "linear (mma.sync, bf16 out)");
}

void linear_add_f32(const LinearContext& ctx, const bf16* a, const bf16* W, int64_t T, int64_t in, int64_t out,
                    float* resid, cudaStream_t s) {
  const Dims d = dims(T, in, out, "linear (residual add)");
  if (d.M == 0 || d.N == 0) return;
  if (ctx.path == GemmPath::kCublas) {
    return cublas_gemm(ctx, a, W, d, resid, CUDA_R_32F, 1.0f, s, "linear (residual add)");
  }
#if defined(QWEN3_HAVE_SM90A)
  if (use_wgmma(ctx, a, W, d.K)) return wgmma_add_f32(a, W, d.M, d.N, d.K, resid, s);
#endif
  gemm::step09::run(a, W, d.M, d.N, d.K, AddF32{resid, d.N}, s, "linear (mma.sync, residual add)");
}

void linear_swiglu(const LinearContext& ctx, const bf16* x, const bf16* W_gu, int64_t T, int64_t in, int64_t I,
                   bf16* y, bf16* scratch, cudaStream_t s) {
  const Dims d = dims(T, in, 2 * I, "linear (SwiGLU)");
  if (d.M == 0 || d.N == 0) return;
  if (ctx.path == GemmPath::kCublas) {
    if (scratch == nullptr) throw Error("linear (SwiGLU): the cublas path needs a [T, 2I] scratch buffer");
    cublas_gemm(ctx, x, W_gu, d, scratch, CUDA_R_16BF, 0.0f, s, "linear (gate+up)");
    return launch_silu_mul(scratch, T, I, y, s);
  }
#if defined(QWEN3_HAVE_SM90A)
  if (use_wgmma(ctx, x, W_gu, d.K)) return wgmma_swiglu(x, W_gu, d.M, d.N, d.K, y, s);
#endif
  gemm::step09::run(x, W_gu, d.M, d.N, d.K, SwiGLU{y, d.N / 2}, s, "linear (mma.sync, SwiGLU)");
}

}  // namespace qwen3::cuda_opt
