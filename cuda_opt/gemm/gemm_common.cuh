// Device helpers shared by the ladder's steps: ceil_div, launch-shape checks, cp.async wrappers, alignment tests,
// and the mma.sync / ldmatrix wrappers (step 9 and cuda_opt/attention.cu).
// Included by the .cu files only (device code).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include <cuda_runtime.h>

#include "core/error.h"
#include "cuda_common/cuda_check.h"

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

// ---- tensor-core fragments (sm_80+), shared by step 9 and cuda_opt's flash attention ---------------------
// ldmatrix.x4: four 8×8 b16 matrices from shared memory into the mma fragment layout; lane l gives the address of
// row l % 8 of matrix l / 8.
__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], uint32_t smem_addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr));
}

// d = a · b + d for one m16n8k16 tile (bf16 inputs, fp32 accumulators)
__device__ __forceinline__ void mma_m16n8k16(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

}  // namespace qwen3::gemm::detail
