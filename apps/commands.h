// The subcommands of qwen3emb, one file each. Each `add_*` registers its subcommand and options;
// the callback it installs does the work and throws qwen3::Error on bad input.
#pragma once
#include <CLI/CLI.hpp>

namespace qwen3::cli {

void add_embed(CLI::App& app);      // apps/cmd_embed.cpp
void add_tokenize(CLI::App& app);   // apps/cmd_tokenize.cpp
void add_init_tiny(CLI::App& app);  // apps/cmd_init_tiny.cpp
void add_compare(CLI::App& app);    // apps/cmd_compare.cpp
void add_flops(CLI::App& app);      // apps/cmd_flops.cpp
void add_bench(CLI::App& app);      // apps/cmd_bench.cpp
void add_trace(CLI::App& app);      // apps/cmd_trace.cpp

}  // namespace qwen3::cli
