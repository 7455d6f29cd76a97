// Exercise 17_mma_fragments: the functions you write, as the tests call them. Step 9 of the GEMM ladder
// (cuda_opt/gemm/09_mma_sync_ldmatrix.cuh) keeps bf16 tiles in shared memory as rows of 16-byte chunks (8 values
// along k each), reads them into registers with ldmatrix.x4 and multiplies with mma.sync.m16n8k16.
#pragma once
#include <cstdint>

namespace learner {

struct RowChunk {
  int row, chunk;  // a row of a shared-memory tile and one of its 16-byte chunks (8 bf16 along k)
};
struct RowCol {
  int row, col;  // a position in a tile
};

// The byte offset, in a tile whose rows hold `chunks_per_row` 16-byte chunks (4: 64-byte rows, BK = 32; or 8:
// 128-byte rows, BK = 64), where chunk `chunk` of row `row` is stored — swizzled, so that the 8 rows one ldmatrix
// phase reads at the same chunk lie in 8 different 16-byte bank groups. Each row keeps its chunks inside its own
// row_bytes = chunks_per_row · 16 bytes: offset / row_bytes == row.
uint32_t swizzled_offset(int row, int chunk, int chunks_per_row);

// ldmatrix.x4 loading a 16 × 16 tile of A (16 rows of m, two chunks along k) as mma.m16n8k16's registers a0..a3:
// the row and chunk (0 or 1) of the tile whose address lane `lane` (0..31) gives. Lanes 8j..8j+7 address the 8
// rows of matrix j, and matrix j becomes register a_j: a0 = rows 0-7, k 0-7; a1 = rows 8-15, k 0-7;
// a2 = rows 0-7, k 8-15; a3 = rows 8-15, k 8-15.
RowChunk a_fragment_row(int lane);

// mma.m16n8k16's accumulators: lane `lane` holds four floats of the 16 × 8 tile of C, d0 d1 (half 0) and d2 d3
// (half 1). The position of the first of the pair (the second is one column to the right).
RowCol accumulator_position(int lane, int half);

}  // namespace learner
