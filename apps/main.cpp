// qwen3emb: Qwen3-Embedding from scratch. `qwen3emb --help` lists the subcommands.
// Every error ends as one line on stderr ("error: ...") and exit status 1, the command line's own errors included.
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "apps/build_info.h"
#include "apps/commands.h"
#include "apps/verbatim_texts.h"
#include "core/error.h"

namespace {

// One line: CLI11's message with its line breaks folded, and where to look.
std::string usage_error(const CLI::App& app, const CLI::ParseError& e, const std::vector<std::string>& args) {
  // A first argument that is no option and no subcommand: CLI11 calls it "not expected" or asks for a subcommand;
  // say what it is.
  if (app.get_subcommands().empty() && !args.empty() && args[0].rfind('-', 0) != 0 && qwen3::cli::find_subcommand(app, args[0]) == nullptr) {
    return "unknown subcommand '" + args[0] + "' (qwen3emb --help lists them)";
  }
  if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr && app.get_subcommands().empty()) {
    return "no subcommand given (qwen3emb --help lists them)";
  }
  std::string msg = e.what();
  for (char& c : msg) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return msg + " (see qwen3emb " + (app.get_subcommands().empty() ? "" : app.get_subcommands()[0]->get_name() + " ") +
         "--help)";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"qwen3emb: the Qwen3-Embedding forward pass, from scratch"};
  app.require_subcommand(1);
  app.set_version_flag("--version", qwen3::cli::version_text());
  qwen3::cli::VerbatimTexts texts;
  qwen3::cli::add_embed(app, texts);
  qwen3::cli::add_tokenize(app, texts);
  qwen3::cli::add_init_tiny(app);
  qwen3::cli::add_compare(app, texts);
  qwen3::cli::add_flops(app);
  qwen3::cli::add_bench(app);
  qwen3::cli::add_trace(app);
  qwen3::cli::add_exercise(app);
  qwen3::cli::add_quant_eval(app);
  qwen3::cli::add_quantize(app);
#ifdef QWEN3_HAVE_SERVE
  qwen3::cli::add_serve(app);
  qwen3::cli::add_loadgen(app);
#endif
  std::vector<std::string> args;
  try {
    args = texts.take_from(app, argc, argv);
    std::vector<const char*> rest{argv[0]};
    for (const std::string& a : args) rest.push_back(a.c_str());
    app.parse(static_cast<int>(rest.size()), rest.data());  // runs the chosen subcommand's callback
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "error: " << usage_error(app, e, args) << "\n";
    return 1;
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
