#include "tests/test_util.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace qwen3::test {

CommandResult run_command(const std::string& cmd, const std::string* stdin_text) {
  TempDir tmp;
  const std::string out = tmp.file("out"), err = tmp.file("err"), in = tmp.file("in");
  write_file(in, stdin_text ? *stdin_text : std::string());
  const std::string full = "(" + cmd + ") <" + shell_quote(in) + " >" + shell_quote(out) + " 2>" + shell_quote(err);
  const int raw = std::system(full.c_str());
  CommandResult r;
  r.status = (raw != -1 && WIFEXITED(raw)) ? WEXITSTATUS(raw) : -1;
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

CommandResult run_cli(const std::string& args, const std::string* stdin_text) {
  return run_command(shell_quote(cli_path()) + " " + args, stdin_text);
}

CommandResult write_small_gguf(const std::string& path, const std::string& type, uint64_t seed) {
  return run_cli("quantize --random-weights --config small --seed " + std::to_string(seed) + " --type " + type +
                 " --out " + shell_quote(path));
}

void expect_one_line_error(const CommandResult& r, const std::string& phrase, const std::string& context) {
  EXPECT_EQ(r.status, 1) << context << ": " << r.err;
  EXPECT_EQ(r.out, "") << context;
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << context << ": " << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << context << ": not one line: " << r.err;
  EXPECT_NE(r.err.find(phrase), std::string::npos) << context << ": expected '" << phrase << "' in " << r.err;
}

TempDir::TempDir() {
  static std::mt19937_64 gen{std::random_device{}()};
  const auto base = std::filesystem::temp_directory_path();
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto p = base / ("qwen3-test-" + std::to_string(::getpid()) + "-" + std::to_string(gen() % 1000000000));
    if (std::filesystem::create_directory(p)) {
      path_ = p;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary directory");
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::vector<EmbeddingGolden> read_embedding_goldens(const std::string& path) {
  std::istringstream lines(read_file(path));
  std::vector<EmbeddingGolden> rows;
  std::string line;
  while (std::getline(lines, line)) {
    const auto j = nlohmann::json::parse(line);
    rows.push_back({j.value("file", ""), j.at("text"), j.at("token_ids").get<std::vector<int32_t>>(),
                    j.at("embedding").get<std::vector<float>>()});
  }
  return rows;
}

std::vector<float> random_vector(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(gen);
  return v;
}

ModelConfig small_config() {
  ModelConfig c;
  c.hidden_size = 40, c.intermediate_size = 72, c.num_hidden_layers = 3;
  c.num_attention_heads = 6, c.num_key_value_heads = 2, c.head_dim = 8;
  c.vocab_size = 500, c.max_position_embeddings = 512, c.rms_norm_eps = 1e-6, c.rope_theta = 1e6;
  return c;
}

bool strict() {
  const char* v = std::getenv("QWEN3_STRICT");
  return v && std::string(v) == "1";
}

std::string data_dir() { return QWEN3_DATA_DIR; }
std::string tokenizer_dir() { return data_dir() + "/tokenizer"; }
std::string tiny_model_dir() { return data_dir() + "/tiny-qwen3"; }
std::string peer_model_dir() { return data_dir() + "/peer-tiny"; }
std::string test_data(const std::string& name) { return std::string(QWEN3_TEST_DATA_DIR) + "/" + name; }
std::string cli_path() { return QWEN3_CLI_PATH; }

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot write " + path);
  f << content;
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') q += "'\\''";
    else q += c;
  }
  return q + "'";
}

}  // namespace qwen3::test
