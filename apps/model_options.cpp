#include "apps/model_options.h"

#include <filesystem>
#include <iostream>

#include "apps/backends.h"
#include "apps/cli_checks.h"
#include "core/error.h"
#include "core/model_dir.h"
#include "core/regular_file.h"
#include "ref_cpu/threads.h"

namespace qwen3::cli {

void ModelOptions::add_source_to(CLI::App& app) {
  app.add_option("--model", model_dir, "Model directory in Hugging Face layout, or a GGUF file (default: the tiny model)");
  app.add_option("--config", preset, "With --random-weights: the shapes of Qwen3-Embedding 0.6b, 4b or 8b, or "
                                     "small (2 layers, hidden 256: core/config.h)")
      ->check(CLI::IsMember({"0.6b", "4b", "8b", "small"}));
  app.add_flag("--random-weights", random_weights, "Random weights of the --config shapes, built in memory");
  app.add_option("--seed", seed, "Seed for --random-weights")->check(whole_number(0));
}

void ModelOptions::add_to(CLI::App& app, bool backend_option) {
  add_source_to(app);
  if (backend_option) app.add_option("--backend", backend, "cpu | cuda_naive | cuda_opt | exercise (the CPU reference with your exercises' ops)");
  app.add_option("--gemm", gemm, "cuda_opt's matrix products: ladder (the GEMM ladder's top step, fused epilogues) "
                                 "or cublas");
  app.add_flag("--no-graph", no_graph, "cuda_opt: launch every kernel of every pass instead of replaying a CUDA graph");
  app.add_option("--threads", threads, "cpu: the most threads an op may use (default: OMP_NUM_THREADS, else the cores)")
      ->check(whole_number(1, 4096));
}

std::string ModelOptions::resolved_model_dir() const {
  if (!model_dir.empty()) return model_dir;
  const std::string dir = default_model_dir();
  if (!std::filesystem::exists(dir)) {
    throw IoError("no --model given and the default model " + dir + " does not exist: run `qwen3emb init-tiny`");
  }
  if (!announced_) {
    std::cerr << "qwen3emb: no --model given; using the default tiny model " << dir << " (random weights)\n";
    announced_ = true;
  }
  return dir;
}

void ModelOptions::check_source() const {
  if (random_weights && preset.empty()) throw InputError("--random-weights needs --config 0.6b|4b|8b|small");
  if (!preset.empty() && !random_weights) throw InputError("--config needs --random-weights");
  if (random_weights && !model_dir.empty()) throw InputError("--model and --random-weights exclude each other");
}

ModelConfig ModelOptions::load_config() const {
  check_source();
  return random_weights ? ModelConfig::preset(preset) : load_model_config(resolved_model_dir());
}

HostWeights ModelOptions::load_host_weights(const ModelConfig& c) const {
  check_source();
  return random_weights ? random_host_weights(c, seed) : load_model_weights(resolved_model_dir(), c);
}

std::string ModelOptions::describe_source() const {
  return random_weights ? "random " + preset + " (seed " + std::to_string(seed) + ")" : resolved_model_dir();
}

std::unique_ptr<Backend> ModelOptions::make_backend(const std::string& name) const {
  check_source();
  if (gemm != "ladder" && gemm != "cublas") throw InputError("--gemm: expected 'ladder' or 'cublas', not '" + gemm + "'");
  if (threads != 0) cpu::set_num_threads(threads);
  WeightsSource source;
  source.seed = seed;
  source.gemm = gemm;
  source.graph = !no_graph;
  source.exercise_isolate = exercise_isolate;
  if (random_weights) source.preset = preset;
  else source.model_dir = resolved_model_dir();
  return cli::make_backend(name, source);
}

Tokenizer ModelOptions::make_tokenizer() const {
  if (random_weights) return Tokenizer::from_dir(data_dir() + "/tokenizer");
  return load_model_tokenizer(resolved_model_dir());  // DIR/tokenizer.json, or a GGUF file's tokenizer
}

}  // namespace qwen3::cli
