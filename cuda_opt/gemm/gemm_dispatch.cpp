// The ladder's dispatchers by step number, its step table and the device-support rule.
#include <string>

#include "core/error.h"
#include "cuda_opt/gemm/gemm.h"

namespace qwen3::gemm {

namespace {

constexpr const char* kNames[kNumSteps] = {
    "00_cublas",       "01_naive",        "02_coalesced",     "03_smem_tiling",
    "04_blocktile_1d", "05_blocktile_2d", "06_vectorized",    "07_cp_async_double_buffer",
    "08_wmma_bf16",    "09_mma_sync_ldmatrix", "10_wgmma_tma"};

void check_step(int step) {
  if (step < 0 || step >= kNumSteps) {
    throw InputError("GEMM ladder: no step " + std::to_string(step) + " (steps are 0 to " +
                     std::to_string(kNumSteps - 1) + ")");
  }
}

}  // namespace

const char* gemm_step_name(int step) {
  check_step(step);
  return kNames[step];
}

Precision gemm_step_precision(int step) {
  check_step(step);
  return step >= 8 ? Precision::kBF16 : Precision::kF32;
}

bool gemm_step_has_precision(int step, Precision p) {
  check_step(step);
  return step == 0 || gemm_step_precision(step) == p;
}

bool gemm_step_supported(int step, const cudaDeviceProp& prop) {
  check_step(step);
  if (prop.major < 8) return false;  // cp.async, bf16 mma.sync and ldmatrix (steps 7-9) need sm_80
  if (step == 10) return prop.major == 9 && prop.minor == 0 && gemm_10_built();
  return true;
}

int gemm_step_fallback(int step, const cudaDeviceProp& prop) {
  if (gemm_step_supported(step, prop)) return step;
  if (step == 10 && gemm_step_supported(9, prop)) return 9;
  throw InputError("GEMM ladder: step " + std::to_string(step) + " cannot run on " + prop.name +
                   " (compute capability " + std::to_string(prop.major) + "." + std::to_string(prop.minor) + ")");
}

void gemm_f32(int step, const float* A, const float* B, float* C, int M, int N, int K, cudaStream_t stream,
              cublasHandle_t cublas) {
  check_step(step);
  switch (step) {
    case 0: return gemm_00_cublas_f32(cublas, A, B, C, M, N, K, stream);
    case 1: return gemm_01_naive(A, B, C, M, N, K, stream);
    case 2: return gemm_02_coalesced(A, B, C, M, N, K, stream);
    case 3: return gemm_03_smem_tiling(A, B, C, M, N, K, stream);
    case 4: return gemm_04_blocktile_1d(A, B, C, M, N, K, stream);
    case 5: return gemm_05_blocktile_2d(A, B, C, M, N, K, stream);
    case 6: return gemm_06_vectorized(A, B, C, M, N, K, stream);
    case 7: return gemm_07_cp_async_double_buffer(A, B, C, M, N, K, stream);
    default:
      throw InputError("GEMM ladder: step " + std::to_string(step) + " (" + kNames[step] +
                       ") takes bf16 inputs: call gemm_bf16");
  }
}

void gemm_bf16(int step, const bf16* A, const bf16* B, float* C, int M, int N, int K, cudaStream_t stream,
               cublasHandle_t cublas) {
  check_step(step);
  switch (step) {
    case 0: return gemm_00_cublas_bf16(cublas, A, B, C, M, N, K, stream);
    case 8: return gemm_08_wmma_bf16(A, B, C, M, N, K, stream);
    case 9: return gemm_09_mma_sync_ldmatrix(A, B, C, M, N, K, stream);
    case 10: return gemm_10_wgmma_tma(A, B, C, M, N, K, stream);
    default:
      throw InputError("GEMM ladder: step " + std::to_string(step) + " (" + kNames[step] +
                       ") takes fp32 inputs: call gemm_f32");
  }
}

}  // namespace qwen3::gemm
