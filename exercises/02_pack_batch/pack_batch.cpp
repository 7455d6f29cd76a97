// Exercise 02_pack_batch — the one file you edit. Statement: exercises/02_pack_batch/README.md.
// Check your answer: qwen3emb exercise check 02_pack_batch
#include "exercises/02_pack_batch/pack_batch.h"

#include <string>

#include "core/error.h"
#include "exercises/common/todo.h"

namespace learner {

// tokens = seq 0 | seq 1 | ...,  offsets = [0, len0, len0+len1, ..., T],  positions restart at 0 per sequence,
// last_token[b] = offsets[b+1] - 1
PackedBatch pack(const std::vector<std::vector<int32_t>>& sequences) {
  // TODO: 1. refuse an empty batch and an empty sequence (throw qwen3::InputError)
  //       2. append each sequence's ids to tokens and its positions 0 .. len-1 to positions
  //       3. offsets starts with 0 and gets the running token count after each sequence
  //       4. last_token[b] = offsets[b+1] - 1
  (void)sequences;
  qwen3::exercises::not_implemented("02_pack_batch", "pack_batch.cpp",
                                    "offsets has B+1 entries and starts at 0; positions restart at 0 per sequence");
}

}  // namespace learner
