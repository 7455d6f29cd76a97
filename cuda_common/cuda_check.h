// Checking every CUDA call, shared by the CUDA backends (cuda_naive, cuda_opt) and the GEMM ladder.
//
//   QWEN3_CUDA_CHECK(cudaMalloc(&p, bytes), "weights");   // any cudaError_t-returning call
//   my_kernel<<<grid, block, 0, stream>>>(...);
//   QWEN3_CUDA_CHECK_LAUNCH("rms_norm");                  // after every kernel launch
//
// A failure throws qwen3::CudaError with one line naming the op, the call, the error and where it was checked:
//   CUDA error in rms_norm: cudaMalloc(&p, bytes) failed: cudaErrorMemoryAllocation (out of memory) [device.h:57]
//
// Kernels run asynchronously, so a fault inside a kernel is normally reported by some later call, under the
// wrong name. With the environment variable QWEN3_CUDA_SYNC=1, QWEN3_CUDA_CHECK_LAUNCH also synchronises the
// device after each launch, so the error names the kernel that caused it (slow: for debugging only).
#pragma once
#include <cstdlib>
#include <string>
#include <string_view>

#include <cuda_runtime.h>

#include "core/error.h"

namespace qwen3 {

// A CUDA runtime call failed (no device, out of memory, a kernel fault, ...).
class CudaError : public Error {
 public:
  using Error::Error;
};

// Throws CudaError unless err == cudaSuccess. `call` is the source text of the call, `op` what it was for.
inline void cuda_check(cudaError_t err, std::string_view call, std::string_view op, const char* file, int line) {
  if (err == cudaSuccess) return;
  std::string where = file;
  if (const size_t slash = where.find_last_of('/'); slash != std::string::npos) where = where.substr(slash + 1);
  throw CudaError("CUDA error in " + std::string(op) + ": " + std::string(call) + " failed: " +
                  cudaGetErrorName(err) + " (" + cudaGetErrorString(err) + ") [" + where + ":" +
                  std::to_string(line) + "]");
}

// True when QWEN3_CUDA_SYNC=1: read once, then constant for the life of the process.
inline bool cuda_sync_debug() {
  static const bool enabled = [] {
    const char* v = std::getenv("QWEN3_CUDA_SYNC");
    return v != nullptr && std::string_view(v) == "1";
  }();
  return enabled;
}

// After a kernel launch: a bad launch configuration shows up in cudaGetLastError at once; a fault inside the
// kernel only when the device is synchronised, which QWEN3_CUDA_SYNC=1 does here.
inline void cuda_check_launch(std::string_view op, const char* file, int line) {
  cuda_check(cudaGetLastError(), "kernel launch", op, file, line);
  if (cuda_sync_debug()) {
    cuda_check(cudaDeviceSynchronize(), "cudaDeviceSynchronize (QWEN3_CUDA_SYNC=1)", op, file, line);
  }
}

}  // namespace qwen3

#define QWEN3_CUDA_CHECK(call, op) ::qwen3::cuda_check((call), #call, (op), __FILE__, __LINE__)
#define QWEN3_CUDA_CHECK_LAUNCH(op) ::qwen3::cuda_check_launch((op), __FILE__, __LINE__)
