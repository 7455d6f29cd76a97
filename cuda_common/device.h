// The GPU as a resource, shared by the CUDA backends: is there a device, is there enough free memory for an
// allocation, and RAII owners for device memory and a stream so that nothing leaks when an exception is thrown.
// Host C++ (compiled by g++ or nvcc); every CUDA call goes through cuda_check.h.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <cuda_runtime.h>

#include "cuda_common/cuda_check.h"

namespace qwen3 {

// True when a CUDA device can be used. Otherwise false, and *why (if given) says why in one line, e.g.
//   "no CUDA device: cudaErrorInsufficientDriver (CUDA driver version is insufficient for CUDA runtime version)"
// Any error from the first device query counts as "no GPU".
bool cuda_device_available(std::string* why = nullptr);

// Throws CudaError "WHO: no CUDA device: ..." when cuda_device_available() is false.
void require_cuda_device(const std::string& who);

// Throws InputError when `bytes` exceeds what cudaMemGetInfo reports as free:
//   "WHAT needs N bytes of GPU memory (x.xx GiB) but only M bytes (y.yy GiB) of the GPU's z.zz GiB are free"
// Call it BEFORE allocating, with the exact byte count.
void require_device_memory(size_t bytes, const std::string& what);

// "1.50 GiB"
std::string gib_str(uint64_t bytes);

// `count` elements of T in device memory, freed when the owner dies (also during stack unwinding).
// Move-only. Copies to and from the host are synchronous unless the name says async.
template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  // `what` names the buffer in the error if cudaMalloc fails.
  DeviceBuffer(size_t count, const std::string& what) : count_(count) {
    if (count == 0) return;
    void* p = nullptr;
    QWEN3_CUDA_CHECK(cudaMalloc(&p, count * sizeof(T)), "allocating " + what);
    ptr_ = static_cast<T*>(p);
  }
  ~DeviceBuffer() { release(); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)), count_(std::exchange(o.count_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      release();
      ptr_ = std::exchange(o.ptr_, nullptr);
      count_ = std::exchange(o.count_, 0);
    }
    return *this;
  }

  // A device buffer holding a copy of `host`.
  static DeviceBuffer from_host(const std::vector<T>& host, const std::string& what) {
    DeviceBuffer b(host.size(), what);
    b.upload(host.data(), host.size(), what);
    return b;
  }

  T* data() { return ptr_; }
  const T* data() const { return ptr_; }
  size_t size() const { return count_; }
  size_t bytes() const { return count_ * sizeof(T); }

  // host[0 .. n) -> this[0 .. n), n <= size()
  void upload(const T* host, size_t n, const std::string& what) {
    if (n > 0) QWEN3_CUDA_CHECK(cudaMemcpy(ptr_, host, n * sizeof(T), cudaMemcpyHostToDevice), "uploading " + what);
  }
  // this[0 .. n) -> host[0 .. n), n <= size(); waits for all earlier work on the device
  void download(T* host, size_t n, const std::string& what) const {
    if (n > 0) QWEN3_CUDA_CHECK(cudaMemcpy(host, ptr_, n * sizeof(T), cudaMemcpyDeviceToHost), "downloading " + what);
  }
  std::vector<T> to_host(const std::string& what) const {
    std::vector<T> host(count_);
    download(host.data(), count_, what);
    return host;
  }
  // Stream-ordered copies. From pageable host memory the runtime stages the data before returning, so `host`
  // may be freed at once; into host memory, `host` must stay alive until the stream is synchronised.
  void upload_async(const T* host, size_t n, cudaStream_t s, const std::string& what) {
    if (n > 0) {
      QWEN3_CUDA_CHECK(cudaMemcpyAsync(ptr_, host, n * sizeof(T), cudaMemcpyHostToDevice, s), "uploading " + what);
    }
  }

 private:
  void release() noexcept {
    if (ptr_ != nullptr) cudaFree(ptr_);  // an error here cannot be thrown from a destructor; it stays sticky
    ptr_ = nullptr;
    count_ = 0;
  }
  T* ptr_ = nullptr;
  size_t count_ = 0;
};

// Device -> host copy ordered on stream `s` (see upload_async for when `host` may be touched).
template <typename T>
void download_async(const T* device, size_t n, T* host, cudaStream_t s, const std::string& what) {
  if (n > 0) {
    QWEN3_CUDA_CHECK(cudaMemcpyAsync(host, device, n * sizeof(T), cudaMemcpyDeviceToHost, s), "downloading " + what);
  }
}

// One CUDA stream, destroyed with its owner. Move-only.
class CudaStream {
 public:
  CudaStream() { QWEN3_CUDA_CHECK(cudaStreamCreate(&s_), "creating a stream"); }
  ~CudaStream() {
    if (s_ != nullptr) cudaStreamDestroy(s_);
  }
  CudaStream(const CudaStream&) = delete;
  CudaStream& operator=(const CudaStream&) = delete;
  CudaStream(CudaStream&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  CudaStream& operator=(CudaStream&&) = delete;

  cudaStream_t get() const { return s_; }
  // Waits for everything queued on the stream; a kernel fault surfaces here, named with `op`.
  void synchronize(const std::string& op) const { QWEN3_CUDA_CHECK(cudaStreamSynchronize(s_), op); }

 private:
  cudaStream_t s_ = nullptr;
};

// Two CUDA events, destroyed with their owner: times the work queued between start() and stop() on a stream.
class CudaTimer {
 public:
  CudaTimer() {
    QWEN3_CUDA_CHECK(cudaEventCreate(&start_), "creating a timing event");
    try {
      QWEN3_CUDA_CHECK(cudaEventCreate(&stop_), "creating a timing event");
    } catch (...) {
      cudaEventDestroy(start_);
      throw;
    }
  }
  ~CudaTimer() {
    cudaEventDestroy(stop_);
    cudaEventDestroy(start_);
  }
  CudaTimer(const CudaTimer&) = delete;
  CudaTimer& operator=(const CudaTimer&) = delete;

  void start(cudaStream_t s) { QWEN3_CUDA_CHECK(cudaEventRecord(start_, s), "recording a timing event"); }
  void stop(cudaStream_t s) { QWEN3_CUDA_CHECK(cudaEventRecord(stop_, s), "recording a timing event"); }
  // Waits for the stop event and returns the milliseconds since the start event; `op` names the timed work.
  float elapsed_ms(const std::string& op) const {
    QWEN3_CUDA_CHECK(cudaEventSynchronize(stop_), op);
    float ms = 0;
    QWEN3_CUDA_CHECK(cudaEventElapsedTime(&ms, start_, stop_), "reading a timing event: " + op);
    return ms;
  }

 private:
  cudaEvent_t start_ = nullptr, stop_ = nullptr;
};

// A non-owning view of an f32 tensor in device memory: what ModelWeights<DeviceTensor> holds.
struct DeviceTensor {
  float* ptr = nullptr;
  std::vector<int64_t> shape;  // row-major, as in core/weights.h
};

}  // namespace qwen3
