// qwen3emb: Qwen3-Embedding from scratch. `qwen3emb --help` lists the subcommands.
// Every error ends as one line on stderr and exit status 1.
#include <iostream>
#include <new>

#include <CLI/CLI.hpp>

#include "apps/commands.h"
#include "core/error.h"

int main(int argc, char** argv) {
  CLI::App app{"qwen3emb: the Qwen3-Embedding forward pass, from scratch"};
  app.require_subcommand(1);
  qwen3::cli::add_embed(app);
  qwen3::cli::add_tokenize(app);
  qwen3::cli::add_init_tiny(app);
  qwen3::cli::add_compare(app);
  qwen3::cli::add_flops(app);
  qwen3::cli::add_bench(app);
  qwen3::cli::add_trace(app);
  try {
    app.parse(argc, argv);  // runs the chosen subcommand's callback
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const qwen3::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    std::cerr << "error: out of host memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
