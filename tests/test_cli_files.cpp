// qwen3emb given something that is not a regular file where it expects one (a FIFO, /dev/zero, a directory) or not
// a directory where it expects a model directory: one `error:` line naming the path and what it is, exit 1, and
// never a hang (every command runs under `timeout`: exit 124 would mean it waited on a FIFO). A /proc file, whose
// size reads as 0, is read to its end like any file. core/regular_file.h does the refusing.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "core/error.h"
#include "core/regular_file.h"
#include "tests/test_util.h"

using qwen3::test::CommandResult;
using qwen3::test::shell_quote;
using qwen3::test::TempDir;
namespace fs = std::filesystem;

namespace {

// The command under `timeout 30`: a command that waits on a FIFO ends with status 124 instead of hanging the suite.
CommandResult cli(const std::string& args) {
  return qwen3::test::run_command("timeout 30 " + shell_quote(qwen3::test::cli_path()) + " " + args);
}

// One line on stderr, "error: ..." holding every phrase, exit status 1 (not 124: it did not wait).
void expect_one_line_error(const CommandResult& r, std::initializer_list<std::string> phrases) {
  ASSERT_NE(r.status, 124) << "timed out: the command waited on something";
  EXPECT_EQ(r.status, 1) << r.err;
  const size_t at = r.err.rfind("error: ");
  ASSERT_NE(at, std::string::npos) << r.err;
  const std::string last = r.err.substr(at);
  EXPECT_EQ(std::count(last.begin(), last.end(), '\n'), 1) << "not one line: " << r.err;
  for (const std::string& p : phrases) EXPECT_NE(last.find(p), std::string::npos) << "expected '" << p << "' in: " << r.err;
}

class CliFiles : public ::testing::Test {
 protected:
  void SetUp() override { QWEN3_REQUIRE_PATH(qwen3::test::tiny_model_dir() + "/model.safetensors"); }

  // A model directory of symbolic links to the tiny model's files, with `name` replaced by `make(path)`.
  std::string model_with(const std::string& name, const std::function<void(const fs::path&)>& make) {
    const fs::path dir = tmp.path() / ("model-" + std::to_string(++models_));
    fs::create_directory(dir);
    for (const auto& e : fs::directory_iterator(qwen3::test::tiny_model_dir())) {
      if (e.path().filename() != name) fs::create_symlink(e.path(), dir / e.path().filename());
    }
    make(dir / name);
    return dir.string();
  }
  static void fifo(const fs::path& p) { ASSERT_EQ(::mkfifo(p.c_str(), 0600), 0) << p; }
  static void dev_zero(const fs::path& p) { fs::create_symlink("/dev/zero", p); }
  static void directory(const fs::path& p) { fs::create_directory(p); }

  TempDir tmp;
  int models_ = 0;
};

}  // namespace

TEST_F(CliFiles, ConfigThatIsAFifoADeviceOrADirectoryIsRefused) {
  expect_one_line_error(cli("flops --model " + shell_quote(model_with("config.json", fifo))),
                        {"config file ", "config.json is a FIFO (named pipe), not a regular file"});
  expect_one_line_error(cli("flops --model " + shell_quote(model_with("config.json", dev_zero))),
                        {"config.json is a character device, not a regular file"});
  expect_one_line_error(cli("flops --model " + shell_quote(model_with("config.json", directory))),
                        {"config.json is a directory, not a regular file"});
}

// compare on a synthetic batch loads the weights without the tokenizer (quick under ASan)
const std::string kCompare = "compare --backends cpu,cpu --lengths 1 --model ";

TEST_F(CliFiles, WeightsThatAreAFifoADeviceOrADirectoryAreRefused) {
  expect_one_line_error(cli(kCompare + shell_quote(model_with("model.safetensors", fifo))),
                        {"safetensors file ", "model.safetensors is a FIFO (named pipe), not a regular file"});
  expect_one_line_error(cli(kCompare + shell_quote(model_with("model.safetensors", dev_zero))),
                        {"model.safetensors is a character device, not a regular file"});
  expect_one_line_error(cli(kCompare + shell_quote(model_with("model.safetensors", directory))),
                        {"model.safetensors is a directory, not a regular file"});
  // a shard index that is a FIFO (next to the single file, the index wins)
  expect_one_line_error(cli(kCompare + shell_quote(model_with("model.safetensors.index.json", fifo))),
                        {"shard index ", "model.safetensors.index.json is a FIFO (named pipe), not a regular file"});
}

TEST_F(CliFiles, TokenizerThatIsAFifoOrADirectoryIsRefused) {
  expect_one_line_error(cli("tokenize --model " + shell_quote(model_with("tokenizer.json", fifo)) + " x"),
                        {"tokenizer file ", "tokenizer.json is a FIFO (named pipe), not a regular file"});
  expect_one_line_error(cli("tokenize --model " + shell_quote(model_with("tokenizer.json", directory)) + " x"),
                        {"tokenizer.json is a directory, not a regular file"});
  expect_one_line_error(cli("init-tiny --out " + shell_quote(tmp.file("out")) + " --tokenizer /dev/zero"),
                        {"tokenizer directory /dev/zero is a character device, not a directory"});
}

TEST_F(CliFiles, AModelDirectoryThatIsNotADirectoryIsNamedAsSuch) {
  expect_one_line_error(cli("embed --model /dev/zero x"), {"model directory /dev/zero is a character device, not a directory"});
  const fs::path pipe = tmp.path() / "pipe";
  fifo(pipe);
  expect_one_line_error(cli("flops --model " + shell_quote(pipe.string())),
                        {"is a FIFO (named pipe), not a directory"});
  expect_one_line_error(cli("embed --model " + shell_quote(tmp.file("absent")) + " x"), {"absent does not exist"});
}

// Texts on stdin stay one per line from any stream (a pipe is the usual case), but a stream without line ends is
// refused at 64 MiB instead of filling memory.
TEST_F(CliFiles, StdinWithoutLineEndsIsRefusedAtTheLineLimit) {
  expect_one_line_error(cli("tokenize < /dev/zero"), {"stdin: line 1 is longer than 64 MiB"});
  const CommandResult piped = qwen3::test::run_command("printf 'a\\r\\nb' | timeout 30 " +
                                                       shell_quote(qwen3::test::cli_path()) + " tokenize");
  EXPECT_EQ(piped.status, 0) << piped.err;
  EXPECT_EQ(std::count(piped.out.begin(), piped.out.end(), '\n'), 2) << piped.out;
}

// /proc's files report size 0 but hold text: read to the end (here: not JSON, so the file's format error).
TEST_F(CliFiles, AProcFileOfSizeZeroIsReadNotTrustedForItsSize) {
  expect_one_line_error(cli("flops --model " + shell_quote(model_with("config.json", [](const fs::path& p) {
                          fs::create_symlink("/proc/self/status", p);
                        }))),
                        {"config.json"});
  const std::string status = qwen3::read_regular_file("/proc/self/status", "status file", 1 << 20);
  EXPECT_NE(status.find("Name:"), std::string::npos) << status;
}

TEST(RegularFile, ReadingStopsAtTheLimit) {
  TempDir tmp;
  qwen3::test::write_file(tmp.file("f"), std::string(3 << 20, 'x'));
  EXPECT_EQ(qwen3::read_regular_file(tmp.file("f"), "test file", 3 << 20).size(), size_t{3} << 20);
  try {
    qwen3::read_regular_file(tmp.file("f"), "test file", 2 << 20);
    ADD_FAILURE() << "no IoError";
  } catch (const qwen3::IoError& e) {
    EXPECT_NE(std::string(e.what()).find("is larger than the limit of 2 MiB"), std::string::npos) << e.what();
  }
  EXPECT_THROW(qwen3::read_regular_file(tmp.file("absent"), "test file", 1), qwen3::IoError);
}
