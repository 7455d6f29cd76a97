// Device helpers shared by the ladder's steps: ceil_div, launch-shape checks, cp.async wrappers, alignment tests.
// Included by the .cu files only (device code).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include <cuda_runtime.h>

#include "core/error.h"
#include "cuda_naive/cuda_check.h"

namespace qwen3::gemm::detail {

__host__ __device__ constexpr int ceil_div(int a, int b) { return (a + b - 1) / b; }

// Throws InputError for a negative size, and for a grid that CUDA cannot launch (gridDim.y, .z <= 65535).
inline void check_shape(const char* step, int M, int N, int K, unsigned grid_y) {
  if (M < 0 || N < 0 || K < 0) {
    throw InputError(std::string(step) + ": negative GEMM size M=" + std::to_string(M) + " N=" + std::to_string(N) +
                     " K=" + std::to_string(K));
  }
  if (grid_y > 65535u) {
    throw InputError(std::string(step) + ": M=" + std::to_string(M) + " N=" + std::to_string(N) +
                     " needs a grid of " + std::to_string(grid_y) + " blocks along y (CUDA allows 65535)");
  }
}

// True when p is aligned to `bytes`.
inline bool aligned(const void* p, size_t bytes) { return reinterpret_cast<uintptr_t>(p) % bytes == 0; }

// ---- cp.async (sm_80+): global -> shared copies that bypass the registers --------------------------------
// 16 bytes, cached in L2 only (.cg). src_bytes < 16 copies that many and fills the rest with zeros; src_bytes = 0
// reads nothing (the address must still be a valid global address: pass the tensor's base).
__device__ __forceinline__ void cp_async_16(void* smem_dst, const void* gmem_src, int src_bytes) {
  const unsigned dst = static_cast<unsigned>(__cvta_generic_to_shared(smem_dst));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(gmem_src), "r"(src_bytes)
               : "memory");
}
// 4 bytes (.ca: cp-size 4 is allowed only with .ca). src_bytes is 0 or 4.
__device__ __forceinline__ void cp_async_4(void* smem_dst, const void* gmem_src, int src_bytes) {
  const unsigned dst = static_cast<unsigned>(__cvta_generic_to_shared(smem_dst));
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(dst), "l"(gmem_src), "r"(src_bytes)
               : "memory");
}
// Closes the group of cp.async issued by this thread since the last commit.
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
// Waits until at most `kPending` of this thread's committed groups are still in flight.
template <int kPending>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending) : "memory");
}

}  // namespace qwen3::gemm::detail
