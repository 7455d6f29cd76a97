// Exercise 17_mma_fragments — reference solution (the same math as cuda_opt/gemm/09_layout.h).
#include "exercises/17_mma_fragments/fragments.h"

namespace learner {

// offset = row · row_bytes + (chunk XOR <the number of row's 128-byte window, mod chunks_per_row>) · 16
uint32_t swizzled_offset(int row, int chunk, int chunks_per_row) {
  const int rows_per_window = 8 / chunks_per_row;  // 128 bytes = 8 chunks: 2 rows of 4 chunks, or 1 row of 8
  const int window = row / rows_per_window;
  return static_cast<uint32_t>(row * chunks_per_row * 16 + (chunk ^ (window % chunks_per_row)) * 16);
}

// lanes 8j .. 8j+7 address the rows of matrix j = a_j: lanes 0-15 rows 0-15 at k 0-7, lanes 16-31 at k 8-15
RowChunk a_fragment_row(int lane) { return {lane % 16, lane / 16}; }

// d0, d1 (half 0) and d2, d3 (half 1) of lane `lane`: row g or g + 8, columns 2t and 2t + 1
RowCol accumulator_position(int lane, int half) {
  const int g = lane / 4, t = lane % 4;
  return {g + 8 * half, 2 * t};
}

}  // namespace learner
