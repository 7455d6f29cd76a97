// Options shared by the subcommands that run a model: where it comes from and which backend runs it.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "core/backend.h"
#include "core/tokenizer.h"
#include "core/weights.h"

namespace qwen3::cli {

struct ModelOptions {
  std::string model_dir;      // --model DIR (default: the tiny model, announced on stderr)
  std::string preset;         // --config 0.6b|4b|8b|small (with --random-weights)
  bool random_weights = false;
  uint64_t seed = 1;
  std::string backend = "cpu";
  std::string gemm = "ladder";  // --gemm ladder|cublas (cuda_opt)
  bool no_graph = false;        // --no-graph (cuda_opt)
  int threads = 0;              // --threads N (cpu); 0: OpenMP's default (OMP_NUM_THREADS, else the cores)
  bool exercise_isolate = false;  // compare --isolate (exercise backend): each learner op gets the reference's input

  // Adds --model, --config, --random-weights, --seed, cuda_opt's --gemm and --no-graph, cpu's --threads and
  // (unless told not to) --backend to a subcommand.
  void add_to(CLI::App& app, bool backend_option = true);
  // Adds only where the weights come from: --model, --config, --random-weights, --seed (commands that read a
  // model without running a backend, e.g. quantize).
  void add_source_to(CLI::App& app);
  // One-line InputError unless the source options agree (--config with --random-weights, not with --model).
  void check_source() const;
  // The chosen model's shapes and f32 weights: the --config preset and random_host_weights(--seed), or --model read
  // by core/model_dir (a Hugging Face folder or a GGUF file).
  ModelConfig load_config() const;
  HostWeights load_host_weights(const ModelConfig& c) const;
  // A name for the chosen weights in reports: "random 0.6b (seed 1)", or the model's path.
  std::string describe_source() const;
  // The model directory to read: --model, or the default tiny model (with a note on stderr).
  std::string resolved_model_dir() const;
  // Builds backend `name` (default: --backend) over the chosen weights (apps/backends.h), after applying --threads.
  std::unique_ptr<Backend> make_backend(const std::string& name) const;
  std::unique_ptr<Backend> make_backend() const { return make_backend(backend); }
  // The tokenizer of the model directory (or data/tokenizer with --random-weights).
  Tokenizer make_tokenizer() const;

 private:
  mutable bool announced_ = false;
};

}  // namespace qwen3::cli
