// The one interface that every backend (ref_cpu, cuda_naive, cuda_opt) implements: weights are loaded once
// when the backend is built; forward() runs a packed batch (core/batch.h) and returns one embedding per
// sequence, plus, on request, the hidden state of every token after every layer for layer-by-layer checks.
#pragma once
#include <string>
#include <vector>

#include "core/batch.h"
#include "core/config.h"

namespace qwen3 {

struct ForwardOptions {
  bool keep_hidden_states = false;  // fill ForwardOutput::hidden_states
};

struct ForwardOutput {
  // [B, H]: each sequence's last-token state after the final RMSNorm, L2-normalised.
  std::vector<float> embeddings;
  // Only with keep_hidden_states: L + 2 entries of [T, H] (row t = token t of the packed batch):
  //   [0] the embedding gather's output, [l] the output of layer l (1..L), [L+1] the final RMSNorm's output.
  // Entries 0..L match Hugging Face's output_hidden_states before its last entry is normalised.
  std::vector<std::vector<float>> hidden_states;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  virtual const ModelConfig& config() const = 0;
  // Runs the forward pass. Throws InputError for a batch the model cannot take (core/batch.h: validate).
  virtual ForwardOutput forward(const Batch& batch, const ForwardOptions& options = {}) = 0;
};

}  // namespace qwen3
