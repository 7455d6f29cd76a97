// The one header a kernel exercise's source includes. The same source then compiles two ways:
//   - nvcc (__CUDACC__): real CUDA. sim::global_ptr<T> is T*, QWEN3_SHARED declares a __shared__ array,
//     sim::launch(kernel, grid, block, args...) is kernel<<<grid, block>>>(args...) plus an error check,
//     sim::load_float4 / store_float4 and sim::load_vec16 are 16-byte vector accesses.
//   - a C++ compiler: the CPU simulator (sim.h): the threads of a block run as fibers, __syncthreads() is a
//     barrier, every global and shared access is checked (bounds, poison, races) and counted per warp request.
// Write kernels with: __global__, threadIdx/blockIdx/blockDim/gridDim, __syncthreads(), sim::global_ptr<T> for
// every pointer to global memory, QWEN3_SHARED(type, name, [n]...) for shared arrays, sim::launch to launch.
#pragma once

#if defined(__CUDACC__)

#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#define QWEN3_SHARED(type, name, ...) __shared__ type name __VA_ARGS__

namespace qwen3::sim {

template <class T>
using global_ptr = T*;

// Host side: the device pointer itself (the GPU tests pass device buffers).
template <class T>
T* global(T* p, const char*) {
  return p;
}

__device__ __forceinline__ float4 load_float4(const float* p) { return *reinterpret_cast<const float4*>(p); }
__device__ __forceinline__ void store_float4(float* p, const float4& v) { *reinterpret_cast<float4*>(p) = v; }

// 16 bytes of any element type in one 128-bit load (p 16-byte aligned).
template <class T>
struct alignas(16) Vec16 {
  static constexpr int kCount = static_cast<int>(16 / sizeof(T));
  T v[kCount];
};
template <class T>
__device__ __forceinline__ Vec16<T> load_vec16(const T* p) {
  return *reinterpret_cast<const Vec16<T>*>(p);
}

// kernel<<<grid, block>>>(args...), then the launch's error (a bad configuration) as an exception.
template <class... P, class... Args>
void launch(void (*kernel)(P...), dim3 grid, dim3 block, Args&&... args) {
  kernel<<<grid, block>>>(static_cast<P>(args)...);
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) throw std::runtime_error(std::string("kernel launch failed: ") + cudaGetErrorString(e));
}

// The same on a stream (the simulator runs every launch at once and ignores it).
using Stream = cudaStream_t;
template <class... P, class... Args>
void launch_on(Stream stream, void (*kernel)(P...), dim3 grid, dim3 block, Args&&... args) {
  kernel<<<grid, block, 0, stream>>>(static_cast<P>(args)...);
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) throw std::runtime_error(std::string("kernel launch failed: ") + cudaGetErrorString(e));
}

}  // namespace qwen3::sim

#else  // the CPU simulator

#include <cmath>

#include "exercises/common/gpu_sim/sim.h"

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__
#define __launch_bounds__(...)
#define QWEN3_SHARED(type, name, ...) ::qwen3::sim::shared_array<type __VA_ARGS__> name(#name)

inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }

#endif

namespace sim = qwen3::sim;
