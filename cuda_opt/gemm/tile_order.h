// The order in which the blocks of a tensor-core GEMM (steps 9 and 10) visit the tiles of C. Plain C++ with
// QWEN3_HOST_DEVICE, so the CPU tests check it (tests/test_gemm_fragment_layout.cpp) as well as the kernels use it.
#pragma once

#include "core/host_device.h"

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
QWEN3_HOST_DEVICE inline TileCoord grouped_tile(unsigned b, int tiles_m, int tiles_n) {
  const int per_group = kGroupM * tiles_n;  // blocks in one band of kGroupM tile rows
  const int group = static_cast<int>(b) / per_group, first_m = group * kGroupM;
  const int rows = tiles_m - first_m < kGroupM ? tiles_m - first_m : kGroupM;  // the last band may be thinner
  const int in_group = static_cast<int>(b) % per_group;
  return {first_m + in_group % rows, in_group / rows};
}

}  // namespace qwen3::gemm
