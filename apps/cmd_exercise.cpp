// qwen3emb exercise list | check NAME | hint NAME [--level K] | solution NAME [--give-up]
// The learner's one command for the course's exercises (exercises/, docs/course.md). It only reads the learner's
// files, never writes them; what it remembers (the last check's verdict, with a fingerprint of the file it
// checked) lives in the build folder, exercises/status/.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "apps/commands.h"
#include "core/error.h"
#include "core/regular_file.h"
#include "exercises/common/catalog.h"

namespace qwen3::cli {

namespace {

namespace fs = std::filesystem;
using exercises::ExerciseInfo;

const ExerciseInfo& exercise_named(const std::string& name) {
  if (const ExerciseInfo* e = exercises::find_exercise(name)) return *e;
  throw InputError("no exercise named '" + name + "' (qwen3emb exercise list shows them)");
}

// An exercise's text file (the learner's source, hints, a solution): a regular file of at most 16 MiB.
std::string read_file(const fs::path& path) { return read_regular_file(path.string(), "exercise file", 16ull << 20); }

fs::path learner_file(const ExerciseInfo& e) { return fs::path(exercises::source_dir()) / "exercises" / e.name / e.file; }
fs::path status_file(const ExerciseInfo& e) { return fs::path(exercises::build_dir()) / "exercises" / "status" / e.name; }

// FNV-1a of the learner's file: the verdict stored by `check` holds only for the text it checked.
std::string fingerprint(const std::string& text) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ULL;
  return std::to_string(h);
}

bool untouched(const std::string& text) { return text.find("not_implemented(") != std::string::npos; }

// "not started" | "passing" | "failing" | "edited since the last check"
std::string status_of(const ExerciseInfo& e) {
  const std::string text = read_file(learner_file(e));
  if (untouched(text)) return "not started";
  std::ifstream in(status_file(e));
  std::string verdict, print;
  if (!(in >> verdict >> print) || print != fingerprint(text)) return "edited since the last check";
  return verdict == "passed" ? "passing" : "failing";
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') q += "'\\''";
    else q += c;
  }
  return q + "'";
}

// Runs a shell command with the terminal's output; its exit status.
int run(const std::string& command) {
  std::fflush(stdout);
  const int raw = std::system(command.c_str());
  if (raw == -1) throw Error("could not run: " + command);
  return WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
}

void list() {
  std::printf("%-26s %-28s %s\n", "exercise", "status", "the file you edit");
  for (const ExerciseInfo& e : exercises::catalog()) {
    std::printf("%-26s %-28s exercises/%s/%s\n", e.name, status_of(e).c_str(), e.name, e.file);
  }
  std::printf("\nqwen3emb exercise check NAME runs an exercise's tests; the course: docs/course.md\n");
}

void check(const std::string& name, bool build) {
  const ExerciseInfo& e = exercise_named(name);
  const std::string bdir = exercises::build_dir();
  const std::string target = std::string("exercise_") + e.name;
  if (build) {
    std::printf("building %s ...\n", target.c_str());
    if (run("cmake --build " + shell_quote(bdir) + " --target " + target) != 0) {
      throw Error("exercise " + std::string(e.name) + ": exercises/" + e.name + "/" + e.file +
                  " does not compile (the compiler's first error is above)");
    }
  }
  const std::string text = read_file(learner_file(e));
  const int status = run(shell_quote(bdir + "/exercises/" + target) + " --gtest_brief=1");
  fs::create_directories(status_file(e).parent_path());
  std::ofstream(status_file(e)) << (status == 0 ? "passed " : "failed ") << fingerprint(text) << "\n";
  if (status != 0) throw Error("exercise " + std::string(e.name) + " is not passing yet (what differs is above)");
  if (e.in_model) {
    std::printf("\nSee your op inside the real model (rebuild qwen3emb first so it holds your code):\n"
                "  cmake --build %s --target qwen3emb && qwen3emb compare --backends cpu,exercise --ops --isolate\n",
                bdir.c_str());
  }
}

// hints.md: "## Hint 1" ... sections; level K prints section K.
void hint(const std::string& name, int level) {
  const ExerciseInfo& e = exercise_named(name);
  const std::string text = read_file(fs::path(exercises::source_dir()) / "exercises" / e.name / "hints.md");
  std::vector<std::string> hints;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("## Hint ", 0) == 0) hints.emplace_back();
    else if (!hints.empty()) hints.back().append(line).append("\n");
  }
  if (hints.empty()) throw Error("exercises/" + std::string(e.name) + "/hints.md holds no '## Hint 1'");
  if (level < 1 || level > static_cast<int>(hints.size())) {
    throw InputError("--level " + std::to_string(level) + ": exercise " + e.name + " has hints 1 to " +
                     std::to_string(hints.size()));
  }
  std::printf("Hint %d of %zu for %s:\n%s", level, hints.size(), e.name, hints[level - 1].c_str());
  if (level < static_cast<int>(hints.size())) {
    std::printf("(more: qwen3emb exercise hint %s --level %d)\n", e.name, level + 1);
  }
}

void solution(const std::string& name, bool give_up) {
  const ExerciseInfo& e = exercise_named(name);
  if (!give_up && status_of(e) != "passing") {
    throw InputError("the solution of " + std::string(e.name) + " is shown once `qwen3emb exercise check " + e.name +
                     "` passes on your file; to see it now, add --give-up");
  }
  const fs::path path = fs::path(exercises::source_dir()) / "exercises" / e.name / "solution" / e.file;
  std::printf("// %s\n%s", path.string().c_str(), read_file(path).c_str());
}

}  // namespace

void add_exercise(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("exercise", "The course's exercises: list, check, hint, solution (docs/course.md)");
  cmd->require_subcommand(1);
  cmd->add_subcommand("list", "Every exercise in learning order, with its status")->callback([] { list(); });

  auto name = std::make_shared<std::string>();
  auto no_build = std::make_shared<bool>(false);
  CLI::App* c = cmd->add_subcommand("check", "Build an exercise's tests against your file and run them");
  c->add_option("name", *name, "The exercise, e.g. 03_rms_norm")->required();
  c->add_flag("--no-build", *no_build, "Run the tests as last built, without building first");
  c->callback([name, no_build] { check(*name, !*no_build); });

  auto level = std::make_shared<int>(1);
  CLI::App* h = cmd->add_subcommand("hint", "Show one of an exercise's graded hints");
  h->add_option("name", *name, "The exercise")->required();
  h->add_option("--level", *level, "Which hint: 1 is the gentlest");
  h->callback([name, level] { hint(*name, *level); });

  auto give_up = std::make_shared<bool>(false);
  CLI::App* s = cmd->add_subcommand("solution", "Show the reference solution, once your check passes");
  s->add_option("name", *name, "The exercise")->required();
  s->add_flag("--give-up", *give_up, "Show it even though your answer does not pass yet");
  s->callback([name, give_up] { solution(*name, *give_up); });
}

}  // namespace qwen3::cli
