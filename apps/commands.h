// The subcommands of qwen3emb, one file each. Each `add_*` registers its subcommand and options;
// the callback it installs does the work and throws qwen3::Error on bad input. Subcommands that take texts declare
// them through VerbatimTexts, which hands them over exactly as typed.
#pragma once
#include <CLI/CLI.hpp>

#include "apps/verbatim_texts.h"

namespace qwen3::cli {

void add_embed(CLI::App& app, VerbatimTexts& texts);     // apps/cmd_embed.cpp
void add_tokenize(CLI::App& app, VerbatimTexts& texts);  // apps/cmd_tokenize.cpp
void add_init_tiny(CLI::App& app);  // apps/cmd_init_tiny.cpp
void add_compare(CLI::App& app, VerbatimTexts& texts);   // apps/cmd_compare.cpp
void add_flops(CLI::App& app);      // apps/cmd_flops.cpp
void add_bench(CLI::App& app);      // apps/cmd_bench.cpp
void add_trace(CLI::App& app);      // apps/cmd_trace.cpp
void add_exercise(CLI::App& app);   // apps/cmd_exercise.cpp
void add_quant_eval(CLI::App& app);  // apps/cmd_quant_eval.cpp
void add_quantize(CLI::App& app);   // apps/cmd_quantize.cpp
void add_serve(CLI::App& app);      // apps/cmd_serve.cpp
void add_loadgen(CLI::App& app);    // apps/cmd_loadgen.cpp (client in apps/loadgen.cpp)

}  // namespace qwen3::cli
