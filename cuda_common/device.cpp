// Device queries shared by the CUDA backends: is there a GPU, and is there room on it.
#include "cuda_common/device.h"

#include <cstdio>

#include "core/error.h"

namespace qwen3 {

bool cuda_device_available(std::string* why) {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    (void)cudaGetLastError();  // clear the error so that it does not resurface in an unrelated later check
    if (why != nullptr) {
      *why = std::string("no CUDA device: ") + cudaGetErrorName(err) + " (" + cudaGetErrorString(err) + ")";
    }
    return false;
  }
  if (count == 0) {
    if (why != nullptr) *why = "no CUDA device: cudaGetDeviceCount found none";
    return false;
  }
  return true;
}

void require_cuda_device(const std::string& who) {
  std::string why;
  if (!cuda_device_available(&why)) throw CudaError(who + ": " + why);
}

std::string gib_str(uint64_t bytes) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0));
  return buf;
}

void require_device_memory(size_t bytes, const std::string& what) {
  size_t free_bytes = 0, total_bytes = 0;
  QWEN3_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes), "require_device_memory for " + what);
  if (bytes > free_bytes) {
    throw InputError(what + " needs " + std::to_string(bytes) + " bytes of GPU memory (" + gib_str(bytes) +
                     ") but only " + std::to_string(free_bytes) + " bytes (" + gib_str(free_bytes) + ") of the GPU's " +
                     gib_str(total_bytes) + " are free");
  }
}

}  // namespace qwen3
