// Exercise 02_pack_batch: the function you write, as the tests call it.
#pragma once
#include <cstdint>
#include <vector>

namespace learner {

// B sequences of token ids packed end to end, with no padding (core/batch.h's Batch, spelled out):
//   tokens     = [ seq 0 | seq 1 | ... | seq B-1 ]                       [T]
//   offsets    = [ 0, len0, len0+len1, ..., T ]                           [B+1]
//   positions  = [ 0, 1, ..., len0-1, 0, 1, ..., len1-1, ... ]            [T]    (restart at 0 in every sequence)
//   last_token = [ offsets[1]-1, offsets[2]-1, ..., offsets[B]-1 ]        [B]    (where each embedding is taken)
struct PackedBatch {
  std::vector<int32_t> tokens;      // [T]
  std::vector<int64_t> offsets;     // [B+1]
  std::vector<int32_t> positions;   // [T]
  std::vector<int64_t> last_token;  // [B]
};

// Packs `sequences`. Throws qwen3::InputError (core/error.h) for an empty batch or an empty sequence, naming which.
PackedBatch pack(const std::vector<std::vector<int32_t>>& sequences);

}  // namespace learner
