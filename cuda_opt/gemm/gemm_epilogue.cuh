// What the tensor-core GEMMs (steps 9 and 10) share besides their main loops: the order in which blocks visit
// the tiles of C, and the epilogue the ladder uses (the forward pass's epilogues are in cuda_opt/epilogues.cuh).
// Included by .cu files only (device code).
#pragma once
#include <cuda_runtime.h>

namespace qwen3::gemm {

// ---- grouped block order ---------------------------------------------------------------------------------
// Blocks of a wave run at the same time and share L2. In plain row order (block b -> tile (b / tiles_n,
// b % tiles_n)) one wave of 132 blocks sweeps 132 tiles of ONE row of C: every B tile it reads is used once and
// evicted before the next row of tiles needs it again. When B is larger than L2 (the 8B model's fused gate+up
// weight is 201 MB, L2 50 MB) it is read from HBM once per row of tiles. Grouped order walks kGroupM rows of
// tiles column by column: a wave covers a kGroupM × (132 / kGroupM) patch, so each A and B tile it loads is
// reused by the neighbours running beside it.
constexpr int kGroupM = 8;

struct TileCoord {
  int m, n;  // tile indices along M and N
};

// Tile of linear block index b on a grid of tiles_m × tiles_n tiles, kGroupM rows of tiles at a time.
__device__ __forceinline__ TileCoord grouped_tile(unsigned b, int tiles_m, int tiles_n) {
  const int per_group = kGroupM * tiles_n;  // blocks in one band of kGroupM tile rows
  const int group = static_cast<int>(b) / per_group, first_m = group * kGroupM;
  const int rows = min(tiles_m - first_m, kGroupM);  // the last band may be thinner
  const int in_group = static_cast<int>(b) % per_group;
  return {first_m + in_group % rows, in_group / rows};
}

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
