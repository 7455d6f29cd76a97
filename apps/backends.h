// Backends by name, chosen at run time: cpu (always), cuda_naive and cuda_opt (when built with CUDA), and exercise
// (always: the CPU reference with the learner's ops from exercises/).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/backend.h"

namespace qwen3::cli {

// Where the weights come from: a model directory, or random weights of a preset's shapes
// (drawn where the backend keeps them: host memory for cpu, device memory for the CUDA backends,
// the same values everywhere; see core/weights.h).
struct WeightsSource {
  std::string model_dir;  // used when preset is empty
  std::string preset;     // "0.6b" | "4b" | "8b" with random weights
  uint64_t seed = 1;
  // cuda_opt only (ignored by the others): its GEMMs ("ladder" or "cublas") and whether it replays CUDA graphs.
  std::string gemm = "ladder";
  bool graph = true;
  // exercise only: feed each of the learner's ops the reference's input (compare --isolate).
  bool exercise_isolate = false;
};

// Names a user can pass to --backend, and whether this build has them.
std::vector<std::string> backend_names();
// Builds backend `name`. InputError for an unknown name or one this build lacks, with the reason in one line;
// the backend's own error (e.g. no CUDA device) otherwise.
std::unique_ptr<Backend> make_backend(const std::string& name, const WeightsSource& source);

}  // namespace qwen3::cli
