// The one interface that every backend (ref_cpu, cuda_naive, cuda_opt) implements: weights are loaded once
// when the backend is built; forward() runs a packed batch (core/batch.h) and returns one embedding per
// sequence, plus, on request, the hidden state of every token after every layer for layer-by-layer checks.
#pragma once
#include <string>
#include <vector>

#include "core/batch.h"
#include "core/config.h"
#include "core/tracer.h"

namespace qwen3 {

struct ForwardOptions {
  bool keep_hidden_states = false;  // fill ForwardOutput::hidden_states
  bool keep_op_outputs = false;     // fill ForwardOutput::op_outputs (for debugging: large)
  Tracer* tracer = nullptr;         // named ranges for the profiler: forward, layer N, layer N / block / op
};

// One op's output inside a layer, for op-by-op comparison of backends.
struct OpOutput {
  std::string name;           // "layer 3 / q_proj": the same names in every backend (kOpNames)
  std::vector<float> values;  // the op's output tensor, row-major, as the CPU reference lays it out
};

// The ops of one layer in the order they run, the names every backend records under keep_op_outputs.
inline const char* const kOpNames[] = {"input_norm", "q_proj",    "k_proj",    "v_proj",   "q_norm",  "k_norm",
                                       "q_rope",     "k_rope",    "attention", "o_proj",   "residual_attn",
                                       "post_norm",  "gate_proj", "up_proj",   "silu_mul", "down_proj",
                                       "residual_mlp"};

struct ForwardOutput {
  // [B, H]: each sequence's last-token state after the final RMSNorm, L2-normalised.
  std::vector<float> embeddings;
  // Only with keep_hidden_states: L + 2 entries of [T, H] (row t = token t of the packed batch):
  //   [0] the embedding gather's output, [l] the output of layer l (1..L), [L+1] the final RMSNorm's output.
  // Entries 0..L match Hugging Face's output_hidden_states before its last entry is normalised.
  std::vector<std::vector<float>> hidden_states;
  // Only with keep_op_outputs: every op of every layer, in order (layer-major, then kOpNames' order).
  std::vector<OpOutput> op_outputs;
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
