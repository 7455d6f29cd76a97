// Texts on the command line reach a subcommand exactly as typed, whatever characters they hold.
//
// CLI11 rewrites a positional argument that looks like a list: "[hello, world]" becomes the two values "hello" and
// "world", "[hello]" becomes "hello", "[]" disappears, even after "--". A text is not a list, so main takes the
// positional arguments of the chosen subcommand out of argv before CLI11 parses the rest, and stores them where
// the subcommand reads its texts. Options keep CLI11's parsing and errors (an unknown option is still one).
#pragma once
#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace qwen3::cli {

// app's subcommand called `name` (or one of its aliases), or nullptr.
const CLI::App* find_subcommand(const CLI::App& app, const std::string& name);

class VerbatimTexts {
 public:
  // Declares `cmd`'s positional "texts" (so --help lists it) and where its texts go.
  void add_to(CLI::App& cmd, std::vector<std::string>* texts, const std::string& help);
  // argv[1..] without the positional arguments of the subcommand it names (stored for that subcommand):
  //   every argument after "--"; before it, every argument that is neither an option (starting with '-', longer
  //   than "-") nor the value of an option that takes one.
  std::vector<std::string> take_from(const CLI::App& app, int argc, const char* const* argv);

 private:
  std::map<const CLI::App*, std::vector<std::string>*> targets_;
  std::vector<std::string> ignored_;  // what CLI11's declared positional binds to: it never receives anything
};

}  // namespace qwen3::cli
