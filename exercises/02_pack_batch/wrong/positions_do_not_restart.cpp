// mistake: positions count on across the whole batch (0 .. T-1): RoPE must see each sequence start at position 0, as if it were alone
#include <string>

#include "core/error.h"
#include "exercises/02_pack_batch/pack_batch.h"

namespace learner {

// tokens = seq 0 | seq 1 | ...,  offsets = [0, len0, len0+len1, ..., T],  positions restart at 0 per sequence,
// last_token[b] = offsets[b+1] - 1
PackedBatch pack(const std::vector<std::vector<int32_t>>& sequences) {
  if (sequences.empty()) throw qwen3::InputError("empty batch: nothing to embed");
  PackedBatch p;
  p.offsets.push_back(0);  // sequence 0 starts at token 0
  for (size_t b = 0; b < sequences.size(); ++b) {
    const std::vector<int32_t>& seq = sequences[b];
    if (seq.empty()) throw qwen3::InputError("sequence " + std::to_string(b) + " of the batch has no tokens");
    for (size_t t = 0; t < seq.size(); ++t) {
      p.tokens.push_back(seq[t]);
      p.positions.push_back(static_cast<int32_t>(p.tokens.size() - 1));
    }
    p.offsets.push_back(static_cast<int64_t>(p.tokens.size()));  // one past sequence b's last token
    p.last_token.push_back(p.offsets.back() - 1);
  }
  return p;
}

}  // namespace learner
