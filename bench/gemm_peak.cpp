#include "bench/gemm_peak.h"

#include <cstdint>
#include <vector>

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "core/rng.h"
#include "core/safetensors.h"  // f32_to_bf16
#include "cuda_common/device.h"

namespace qwen3::bench {

namespace {

// Throws CudaError naming the cuBLAS call unless it succeeded.
void cublas_check(cublasStatus_t status, const char* call) {
  if (status != CUBLAS_STATUS_SUCCESS) {
    throw CudaError(std::string("cuBLAS error in the bf16 GEMM peak: ") + call + " failed: " +
                    cublasGetStatusString(status));
  }
}

// Owns a cuBLAS handle, released also when an exception unwinds.
struct CublasHandle {
  cublasHandle_t handle = nullptr;
  ~CublasHandle() {
    if (handle) cublasDestroy(handle);
  }
};

}  // namespace

std::string cuda_device_name() {
  require_cuda_device("bench");
  cudaDeviceProp prop{};
  QWEN3_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0), "reading the device name");
  return prop.name;
}

GemmPeak measure_bf16_gemm(int n, int warmup, int iterations) {
  require_cuda_device("bench: the cuBLAS GEMM peak");
  const size_t count = static_cast<size_t>(n) * n;
  require_device_memory(3 * count * sizeof(uint16_t), "bench: three " + std::to_string(n) + "² bf16 matrices");
  // A and B: uniform in [-1, 1) from the portable RNG, as bf16 bits.
  std::vector<uint16_t> host(count);
  DeviceBuffer<uint16_t> A(count, "the GEMM peak's A"), B(count, "the GEMM peak's B"), C(count, "the GEMM peak's C");
  for (size_t i = 0; i < count; ++i) host[i] = f32_to_bf16(random_symmetric(7, 0, i));
  A.upload(host.data(), count, "the GEMM peak's A");
  for (size_t i = 0; i < count; ++i) host[i] = f32_to_bf16(random_symmetric(7, 1, i));
  B.upload(host.data(), count, "the GEMM peak's B");

  CublasHandle r;
  cublas_check(cublasCreate(&r.handle), "cublasCreate");
  CudaTimer timer;
  const float alpha = 1.0f, beta = 0.0f;
  // C = A·B: bf16 inputs and output, fp32 accumulation (column-major, as cuBLAS reads it; square, so no matter).
  auto gemm = [&] {
    cublas_check(cublasGemmEx(r.handle, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &alpha, A.data(), CUDA_R_16BF, n,
                              B.data(), CUDA_R_16BF, n, &beta, C.data(), CUDA_R_16BF, n, CUBLAS_COMPUTE_32F,
                              CUBLAS_GEMM_DEFAULT),
                 "cublasGemmEx (bf16, fp32 accumulation)");
  };
  for (int i = 0; i < warmup; ++i) gemm();
  timer.start(nullptr);  // the default stream, where the handle's GEMMs run
  for (int i = 0; i < iterations; ++i) gemm();
  timer.stop(nullptr);
  const float ms = timer.elapsed_ms("the GEMM peak's GEMMs");

  GemmPeak peak;
  peak.n = n;
  peak.iterations = iterations;
  // TFLOP/s = 2·n³·iterations / seconds / 10¹²
  peak.tflops = 2.0 * n * static_cast<double>(n) * n * iterations / (ms * 1e-3) / 1e12;
  return peak;
}

}  // namespace qwen3::bench
