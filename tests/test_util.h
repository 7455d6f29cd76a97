// Small helpers shared by the test suites.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/config.h"

namespace qwen3::test {

// Result of running a shell command: exit status, stdout and stderr.
struct CommandResult {
  int status = -1;
  std::string out;
  std::string err;
};
// Runs `cmd` with /bin/sh, capturing stdout and stderr separately (stdin from /dev/null unless
// `stdin_text` is given, which is fed to it).
CommandResult run_command(const std::string& cmd, const std::string* stdin_text = nullptr);
// Runs qwen3emb with `args` (already shell-quoted where needed), as run_command does.
CommandResult run_cli(const std::string& args, const std::string* stdin_text = nullptr);
// Writes a GGUF model of the "small" preset (2 layers, hidden 256: rows every block type stores) with random weights
// from `seed`, its matrices in `type` (f32, q8_0, q4_k, ...): `qwen3emb quantize --random-weights --config small`.
CommandResult write_small_gguf(const std::string& path, const std::string& type, uint64_t seed);
// The project's error rule, as GoogleTest expectations: exit status 1, nothing on stdout, and stderr exactly one
// line "error: ..." holding `phrase`. `context` (e.g. the arguments) prefixes each failure message.
void expect_one_line_error(const CommandResult& r, const std::string& phrase, const std::string& context);

// A fresh temporary directory, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Paths prepared by scripts/setup.sh / init-tiny (under QWEN3_DATA_DIR) and committed fixtures.
std::string data_dir();          // QWEN3_DATA_DIR
std::string tokenizer_dir();     // data/tokenizer: tokenizer.json + tokenizer_config.json
std::string tiny_model_dir();    // data/tiny-qwen3 (qwen3emb init-tiny)
std::string peer_model_dir();    // data/peer-tiny (setup.sh, from tests/data/peer_golden/make_model.py)
std::string test_data(const std::string& name);  // tests/data/NAME
std::string cli_path();          // the qwen3emb binary

// Reads a whole file; throws std::runtime_error if it cannot.
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& content);
// Shell-quotes one argument with single quotes.
std::string shell_quote(const std::string& s);

// One line of a golden file of embeddings (tests/data/peer_golden, tests/data/gguf_peer): {"text", "token_ids",
// "embedding"} and, where several models share the file, "file".
struct EmbeddingGolden {
  std::string file;  // "" when the line has none
  std::string text;
  std::vector<int32_t> ids;
  std::vector<float> embedding;
};
std::vector<EmbeddingGolden> read_embedding_goldens(const std::string& path);

// n samples of N(0, 1), reproducible from `seed`.
std::vector<float> random_vector(size_t n, unsigned seed);

// A small config with every feature of the real ones (GQA, head_dim != H / NH, several layers), long enough
// for a 300-token sequence: the CPU and GPU tests' common model shape.
ModelConfig small_config();

// True when QWEN3_STRICT=1 (scripts/test.sh sets it): then data that setup.sh provides must be present.
bool strict();

}  // namespace qwen3::test

// Skips the test (with the reason) when a file or folder that setup.sh provides is missing; under
// QWEN3_STRICT=1 a missing file fails the test instead, so CI cannot pass by skipping.
#define QWEN3_REQUIRE_PATH(p)                                                                     \
  do {                                                                                            \
    if (!std::filesystem::exists(p)) {                                                            \
      if (::qwen3::test::strict()) FAIL() << (p) << " is missing (QWEN3_STRICT=1): run scripts/setup.sh"; \
      GTEST_SKIP() << (p) << " is missing: run scripts/setup.sh (and qwen3emb init-tiny) first";  \
    }                                                                                             \
  } while (0)
