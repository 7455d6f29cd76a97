// A real client: the official OpenAI SDK for Node (npm package `openai`, tests/js/) calls `qwen3emb serve` with its
// defaults (base64) and with encoding_format "float"; its embeddings must equal `qwen3emb embed`'s within 1e-6.
// Skips (with the reason) when node or the package is missing, unless QWEN3_STRICT=1.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

using namespace qwen3;
using nlohmann::json;

namespace {

// `qwen3emb serve` as a child process; SIGTERM on destruction if still running.
class ServeProcess {
 public:
  explicit ServeProcess(const std::vector<std::string>& args) {
    pid_ = ::fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~ServeProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  // SIGTERM, then the exit status (-1 if it did not exit within 20 s).
  int terminate() {
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 400; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
};

}  // namespace

TEST(ServeOpenAISdk, EmbeddingsEqualEmbedsWithinOneMillionth) {
  std::string js = QWEN3_SOURCE_DIR;
  js.append("/tests/js");
  const bool have_node = test::run_command("node --version").status == 0;
  const bool have_sdk = std::filesystem::exists(std::filesystem::path(js) / "node_modules/openai/package.json");
  if (!have_node || !have_sdk) {
    const std::string why = !have_node ? "node is not installed" : "the npm package openai is not in tests/js/node_modules";
    if (test::strict()) FAIL() << why << " (QWEN3_STRICT=1): run scripts/setup.sh";
    GTEST_SKIP() << why << ": run scripts/setup.sh";
  }
  QWEN3_REQUIRE_PATH(test::tiny_model_dir());
  test::TempDir tmp;
  const std::string port_file = tmp.file("port");
  ServeProcess server({test::cli_path(), "serve", "--model", test::tiny_model_dir(), "--port", "0", "--port-file",
                       port_file, "--served-model-name", "tiny"});
  for (int i = 0; i < 600 && !std::filesystem::exists(port_file); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(std::filesystem::exists(port_file)) << "qwen3emb serve did not start within 30 s";
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the file's line written whole
  const std::string port = test::read_file(port_file).substr(0, test::read_file(port_file).find('\n'));

  const std::vector<std::string> texts = {"Hello, world", "The capital of China is Beijing.", "Qwen3 embeddings",
                                          "ünïcödé and emoji 🙂"};
  std::string quoted;
  for (const std::string& t : texts) quoted.append(" ").append(test::shell_quote(t));  // append: GCC 12's false -Wrestrict
  std::string node_cmd = "node ";
  node_cmd.append(js).append("/openai_client.mjs http://127.0.0.1:").append(port).append("/v1 tiny").append(quoted);
  const auto sdk = test::run_command(node_cmd);
  ASSERT_EQ(sdk.status, 0) << sdk.err;
  const json got = json::parse(sdk.out);

  std::string embed_cmd = test::cli_path();
  embed_cmd.append(" embed --model ").append(test::tiny_model_dir()).append(quoted);
  const auto embed = test::run_command(embed_cmd);
  ASSERT_EQ(embed.status, 0) << embed.err;
  std::istringstream lines(embed.out);
  std::string line;
  size_t i = 0;
  for (; std::getline(lines, line); ++i) {
    const std::vector<float> want = json::parse(line)["embedding"].get<std::vector<float>>();
    for (const char* format : {"base64", "float"}) {
      const std::vector<float> have = got[format].at(i).get<std::vector<float>>();
      ASSERT_EQ(have.size(), want.size()) << format;
      double worst = 0;
      for (size_t k = 0; k < want.size(); ++k) worst = std::max(worst, std::fabs(double(have[k]) - double(want[k])));
      EXPECT_LE(worst, 1e-6) << format << " text " << i;
    }
  }
  EXPECT_EQ(i, texts.size());
  EXPECT_EQ(server.terminate(), 0);  // SIGTERM drains and exits 0
}
