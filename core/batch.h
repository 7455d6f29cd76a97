// A batch of token sequences of different lengths, packed end to end with no padding:
//   tokens  = [ seq 0 | seq 1 | ... | seq B-1 ]                      [T]
//   offsets = [ 0, len0, len0+len1, ..., T ]                          [B+1]
// Sequence b occupies tokens[offsets[b] .. offsets[b+1]); its positions restart at 0, it attends only to
// itself (causally), and its embedding is taken at its last token, offsets[b+1] - 1.
#pragma once
#include <cstdint>
#include <vector>

#include "core/config.h"

namespace qwen3 {

struct Batch {
  std::vector<int32_t> tokens;   // [T]
  std::vector<int64_t> offsets;  // [B+1]

  // Packs sequences; InputError for an empty batch or an empty sequence.
  static Batch pack(const std::vector<std::vector<int32_t>>& sequences);

  int64_t num_sequences() const { return static_cast<int64_t>(offsets.size()) - 1; }
  int64_t num_tokens() const { return static_cast<int64_t>(tokens.size()); }
  int64_t length(int64_t b) const { return offsets[b + 1] - offsets[b]; }
  int64_t max_length() const;
  int64_t last_token(int64_t b) const { return offsets[b + 1] - 1; }
  // Position of every token inside its own sequence: [T], 0, 1, ..., len0-1, 0, 1, ...
  std::vector<int32_t> positions() const;
};

// Token sequences of the given lengths for tests, comparisons and benchmarks: ids drawn from the portable
// RNG (core/rng.h), so the same on every machine; each ends with <|endoftext|> when the vocabulary has it,
// like a real input. InputError for a length below 1.
std::vector<std::vector<int32_t>> synthetic_sequences(const std::vector<int64_t>& lengths, int64_t vocab_size,
                                                      uint64_t seed = 12345);

// Checks a batch against a model before a forward pass: ids in [0, vocab_size), every sequence at most
// max_position_embeddings long. Throws InputError naming the sequence and the limit.
void validate(const Batch& batch, const ModelConfig& config);

}  // namespace qwen3
