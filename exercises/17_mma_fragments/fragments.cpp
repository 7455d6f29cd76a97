// Exercise 17_mma_fragments — the one file you edit. Statement: exercises/17_mma_fragments/README.md.
// Check your answer: qwen3emb exercise check 17_mma_fragments
#include "exercises/17_mma_fragments/fragments.h"

#include "exercises/common/todo.h"

namespace learner {

// offset = row · row_bytes + (chunk XOR <the number of row's 128-byte window, mod chunks_per_row>) · 16
uint32_t swizzled_offset(int row, int chunk, int chunks_per_row) {
  // TODO: 128 bytes of shared memory span all 32 banks. Find which 128-byte window `row` lies in, XOR the chunk
  // index with that window's number (mod chunks_per_row), and return the byte offset.
  (void)row, (void)chunk, (void)chunks_per_row;
  qwen3::exercises::not_implemented("17_mma_fragments", "fragments.cpp",
                                    "without a swizzle the numbers are right but every ldmatrix phase reads 8 rows "
                                    "from the same few banks; XOR the chunk with the row's 128-byte window");
}

// lanes 8j .. 8j+7 address the rows of matrix j = a_j
RowChunk a_fragment_row(int lane) {
  // TODO: which of the tile's 16 rows and which chunk (k 0-7 or 8-15) lane gives, from the order a0 a1 a2 a3
  (void)lane;
  qwen3::exercises::not_implemented("17_mma_fragments", "fragments.cpp",
                                    "a1 is rows 8-15 at the same k as a0: lanes 0-15 walk down the rows");
}

// d0, d1 (half 0) and d2, d3 (half 1) of lane `lane`: the position of the first of each pair
RowCol accumulator_position(int lane, int half) {
  // TODO: with g = lane / 4 and t = lane % 4 (PTX ISA, "Matrix fragments for mma.m16n8k16")
  (void)lane, (void)half;
  qwen3::exercises::not_implemented("17_mma_fragments", "fragments.cpp",
                                    "a group of 4 lanes (g = lane / 4) shares a row; t = lane % 4 picks 2 columns");
}

}  // namespace learner
