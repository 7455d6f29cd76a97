// qwen3emb init-tiny: writes the default model (core/tiny_model.h), deterministically.
#include <iostream>

#include "apps/commands.h"
#include "core/model_dir.h"
#include "core/tiny_model.h"

namespace qwen3::cli {

namespace {

struct InitTinyArgs {
  std::string out;
  std::string tokenizer;
  uint64_t seed = kTinySeed;
};

}  // namespace

void add_init_tiny(CLI::App& app) {
  auto args = std::make_shared<InitTinyArgs>();
  CLI::App* cmd = app.add_subcommand("init-tiny", "Write the tiny random default model (Hugging Face layout)");
  cmd->add_option("--out", args->out, "Output directory (default: data/tiny-qwen3)");
  cmd->add_option("--tokenizer", args->tokenizer, "Folder with tokenizer.json (default: data/tokenizer)");
  cmd->add_option("--seed", args->seed, "Seed of the random weights");
  cmd->callback([args] {
    const std::string out = args->out.empty() ? default_model_dir() : args->out;
    const std::string tok = args->tokenizer.empty() ? data_dir() + "/tokenizer" : args->tokenizer;
    write_tiny_model(out, tok, args->seed);
    std::cerr << "qwen3emb: wrote the tiny model to " << out << "\n";
  });
}

}  // namespace qwen3::cli
