// What two backends' outputs of the same batch must share before `qwen3emb compare` sets them side by side: the
// same number of embeddings, hidden states and layers, each of the same size, and op outputs that pair up by name.
// A backend that returns fewer layers or ops than the other is an Error naming both, never a comparison of the
// shorter list (which would read past an array or report "all match" for what was never compared).
#pragma once
#include <string>
#include <vector>

#include "core/backend.h"
#include "core/batch.h"
#include "core/config.h"

namespace qwen3 {

// One backend's output under the name the messages use ("cpu", "exercise").
struct NamedOutput {
  const std::string& name;
  const ForwardOutput& out;
};

// Throws Error unless both hold, for config c and the batch of B sequences and T tokens:
//   embeddings: B·H values; hidden_states: L + 2 entries of T·H values (core/backend.h).
void require_comparable_states(const NamedOutput& a, const NamedOutput& b, const ModelConfig& c, const Batch& batch);

// The op outputs of two backends paired by name ("layer 3 / q_proj"), in the order `a` recorded them.
struct OpPairs {
  std::vector<std::pair<const OpOutput*, const OpOutput*>> pairs;
  std::vector<std::string> fused;  // op kinds ("q_norm") one backend never records (fused away), sorted
};

// Pairs the ops. Each backend must record an op kind in every layer 0..L-1 exactly once, or in none (a fused op:
// listed, not compared); paired outputs must have equal sizes. Anything else (fewer layers, a layer beyond L, a
// name twice or not of the form "layer N / op", no op in common) is an Error naming the backend and the op.
OpPairs pair_ops(const NamedOutput& a, const NamedOutput& b, const ModelConfig& c);

}  // namespace qwen3
