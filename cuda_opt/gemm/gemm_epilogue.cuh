// What the tensor-core GEMMs (steps 9 and 10) share besides their main loops: the order in which blocks visit
// the tiles of C (tile_order.h), and the epilogue the ladder uses (the forward pass's epilogues are in
// cuda_opt/epilogues.cuh).
// Included by .cu files only (device code).
#pragma once
#include <cuda_runtime.h>

#include "cuda_opt/gemm/tile_order.h"  // grouped_tile

namespace qwen3::gemm {

// ---- the ladder's epilogue -----------------------------------------------------------------------------------
// Every epilogue is called as epilogue(m, n, v0, v1) for the outputs C[m][n] = v0 and C[m][n+1] = v1 of one thread,
// with m < M, n < N and n even; it must check n + 1 < N itself when N may be odd.
// C[m][n], C[m][n+1] = v0, v1 (fp32, row-major [M, N]); pairs: N even and C 8-byte aligned, so one float2 store.
struct StoreF32 {
  float* C;
  int N;
  bool pairs;
  __device__ __forceinline__ void operator()(int m, int n, float v0, float v1) const {
    float* c = C + static_cast<size_t>(m) * N + n;
    if (pairs) {
      *reinterpret_cast<float2*>(c) = make_float2(v0, v1);
    } else {
      c[0] = v0;
      if (n + 1 < N) c[1] = v1;
    }
  }
};

}  // namespace qwen3::gemm
