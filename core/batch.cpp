#include "core/batch.h"

#include <algorithm>
#include <string>

#include "core/error.h"
#include "core/rng.h"
#include "core/tokenizer.h"

namespace qwen3 {

Batch Batch::pack(const std::vector<std::vector<int32_t>>& sequences) {
  if (sequences.empty()) throw InputError("empty batch: nothing to embed");
  Batch b;
  b.offsets.push_back(0);
  for (size_t i = 0; i < sequences.size(); ++i) {
    if (sequences[i].empty()) throw InputError("sequence " + std::to_string(i) + " of the batch has no tokens");
    b.tokens.insert(b.tokens.end(), sequences[i].begin(), sequences[i].end());
    b.offsets.push_back(static_cast<int64_t>(b.tokens.size()));
  }
  return b;
}

int64_t Batch::max_length() const {
  int64_t m = 0;
  for (int64_t b = 0; b < num_sequences(); ++b) m = std::max(m, length(b));
  return m;
}

std::vector<int32_t> Batch::positions() const {
  std::vector<int32_t> pos(tokens.size());
  for (int64_t b = 0; b < num_sequences(); ++b) {
    for (int64_t t = offsets[b]; t < offsets[b + 1]; ++t) pos[t] = static_cast<int32_t>(t - offsets[b]);
  }
  return pos;
}

std::vector<std::vector<int32_t>> synthetic_sequences(const std::vector<int64_t>& lengths, int64_t vocab_size,
                                                      uint64_t seed) {
  // Ordinary ids are drawn below the first added token (151643) so that none is a special token by chance.
  const uint64_t range = static_cast<uint64_t>(std::min<int64_t>(vocab_size, kEndOfTextId));
  std::vector<std::vector<int32_t>> seqs;
  for (size_t s = 0; s < lengths.size(); ++s) {
    if (lengths[s] < 1) throw InputError("sequence lengths must be at least 1, got " + std::to_string(lengths[s]));
    std::vector<int32_t> ids(lengths[s]);
    for (int64_t t = 0; t < lengths[s]; ++t) ids[t] = static_cast<int32_t>(random_bits(seed, s, t) % range);
    if (vocab_size > kEndOfTextId) ids.back() = kEndOfTextId;
    seqs.push_back(std::move(ids));
  }
  return seqs;
}

void validate(const Batch& batch, const ModelConfig& config) {
  if (batch.num_sequences() <= 0 || batch.offsets.front() != 0 || batch.offsets.back() != batch.num_tokens()) {
    throw InputError("malformed batch: offsets do not cover the tokens");
  }
  for (int64_t b = 0; b < batch.num_sequences(); ++b) {
    if (batch.length(b) <= 0) throw InputError("sequence " + std::to_string(b) + " of the batch has no tokens");
    if (batch.length(b) > config.max_position_embeddings) {
      throw InputError("sequence " + std::to_string(b) + " has " + std::to_string(batch.length(b)) +
                       " tokens, more than the model's max_position_embeddings (" +
                       std::to_string(config.max_position_embeddings) + ")");
    }
  }
  for (int64_t t = 0; t < batch.num_tokens(); ++t) {
    if (batch.tokens[t] < 0 || batch.tokens[t] >= config.vocab_size) {
      throw InputError("token id " + std::to_string(batch.tokens[t]) + " at position " + std::to_string(t) +
                       " is outside the vocabulary [0, " + std::to_string(config.vocab_size) + ")");
    }
  }
}

}  // namespace qwen3
