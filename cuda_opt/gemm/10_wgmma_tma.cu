// Step 10 (Hopper, sm_90a): wgmma with TMA, a producer warpgroup feeding two consumer warpgroups.
// The kernel and its idea are in 10_wgmma_tma.cuh (shared with the optimised forward pass); this file is the
// ladder's launcher: fp32 output stored as it is (StoreF32), step 9 where TMA's preconditions fail.
//
// Compiled twice by CMake: for sm_90a with QWEN3_GEMM_SM90A (the real step), or, when the build's architectures
// do not include 90, as a stub whose launcher says the step was not built.
#include <string>

#include "core/error.h"
#include "cuda_common/cuda_check.h"
#include "cuda_opt/gemm/gemm.h"
#include "cuda_opt/gemm/gemm_common.cuh"

#if defined(QWEN3_GEMM_SM90A)
#include "cuda_opt/gemm/10_wgmma_tma.cuh"
#endif

namespace qwen3::gemm {

#if defined(QWEN3_GEMM_SM90A)

bool gemm_10_built() { return true; }

void gemm_10_wgmma_tma(const bf16* A, const bf16* B, float* C, int M, int N, int K, cudaStream_t s) {
  detail::check_shape("gemm_10_wgmma_tma", M, N, K, 0);
  if (M == 0 || N == 0) return;
  // Two attribute reads, not cudaGetDeviceProperties: this runs on every call, inside the runner's timed region.
  int dev = 0, major = 0, minor = 0;
  QWEN3_CUDA_CHECK(cudaGetDevice(&dev), "gemm_10_wgmma_tma");
  QWEN3_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev), "gemm_10_wgmma_tma");
  QWEN3_CUDA_CHECK(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev), "gemm_10_wgmma_tma");
  if (major != 9 || minor != 0) {
    cudaDeviceProp prop{};
    QWEN3_CUDA_CHECK(cudaGetDeviceProperties(&prop, dev), "gemm_10_wgmma_tma");
    throw CudaError(std::string("gemm_10_wgmma_tma: needs compute capability 9.0 (sm_90a), not ") + prop.name +
                    " (" + std::to_string(major) + "." + std::to_string(minor) + "); use step 9");
  }
  // TMA: global address 16-byte aligned, row stride a multiple of 16 bytes. Otherwise step 9 (same function).
  if (!step10::operands_ok(A, B, K)) {
    gemm_09_mma_sync_ldmatrix(A, B, C, M, N, K, s);
    return;
  }
  step10::run(A, B, M, N, K, StoreF32{C, N, N % 2 == 0 && detail::aligned(C, 8)}, s, "gemm_10_wgmma_tma");
}

#else  // not compiled for sm_90a: the step exists only as a launcher that says so

bool gemm_10_built() { return false; }

void gemm_10_wgmma_tma(const bf16*, const bf16*, float*, int M, int N, int K, cudaStream_t) {
  detail::check_shape("gemm_10_wgmma_tma", M, N, K, 0);
  throw CudaError(
      "gemm_10_wgmma_tma: not built (this build's CUDA architectures do not include 90, so no sm_90a code); "
      "use step 9");
}

#endif

}  // namespace qwen3::gemm
