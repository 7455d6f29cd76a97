// qwen3emb's CPU options end to end: --threads (refused with one line when not a positive number, the same
// embeddings whatever its value), what --version says about the CPU build, and what bench --backend cpu records:
// the build, the instruction sets, the threads and the fp32 GEMM rate measured in the same run.
#include <gtest/gtest.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "tests/test_util.h"

using qwen3::test::CommandResult;
using qwen3::test::expect_one_line_error;
using qwen3::test::run_cli;
using qwen3::test::shell_quote;
using qwen3::test::TempDir;

namespace {

std::vector<double> embedding(const std::string& json_line) {
  return nlohmann::json::parse(json_line)["embedding"].get<std::vector<double>>();
}

class CliCpu : public ::testing::Test {
 protected:
  void SetUp() override { QWEN3_REQUIRE_PATH(qwen3::test::tiny_model_dir() + "/model.safetensors"); }
  TempDir tmp;
};

}  // namespace

TEST_F(CliCpu, ThreadsMustBeAPositiveWholeNumber) {
  for (const char* bad : {"0", "-1", "abc", "1.5", "''", "99999"}) {
    for (const std::string cmd : {"embed", "bench --seq 4 --batch 1 --peak-tflops 1", "compare --backends cpu,cpu"}) {
      const std::string args = cmd + " --threads " + bad + " hello";
      expect_one_line_error(run_cli(args), "--threads", args);
    }
  }
}

TEST_F(CliCpu, EmbeddingsDoNotDependOnTheThreadCount) {
  const auto one = run_cli("embed --threads 1 'the same text'");
  const auto two = run_cli("embed --threads 2 'the same text'");
  ASSERT_EQ(one.status, 0) << one.err;
  ASSERT_EQ(two.status, 0) << two.err;
  const auto a = embedding(one.out), b = embedding(two.out);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-6) << i;
}

TEST_F(CliCpu, VersionSaysHowTheCpuCodeWasBuilt) {
  const auto r = run_cli("--version");
  ASSERT_EQ(r.status, 0) << r.err;
  const bool native = r.out.find("CPU build: native") != std::string::npos;
  const bool portable = r.out.find("CPU build: portable") != std::string::npos;
  EXPECT_TRUE(native != portable) << r.out;
  for (const char* field : {"CPU instruction sets: ", "Eigen vectorisation: ", "CPU threads: "}) {
    EXPECT_NE(r.out.find(field), std::string::npos) << field << " missing in: " << r.out;
  }
}

// Without --peak-tflops, bench --backend cpu measures an fp32 GEMM in the same run and gives each cell's
// fraction of it; the JSON says which build ran, with which instruction sets and how many threads.
TEST_F(CliCpu, BenchRecordsTheBuildAndTheGemmRate) {
  const auto r = run_cli("bench --backend cpu --threads 1 --seq 8 --batch 1 --warmup 0 --repeats 1 --gemm-n 128 --json " +
                     tmp.file("b.json"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("Eigen fp32 128³ GEMM on 1 thread, measured in this run"), std::string::npos) << r.out;
  const auto j = nlohmann::json::parse(qwen3::test::read_file(tmp.file("b.json")));
  ASSERT_TRUE(j.contains("cpu_build")) << j.dump();
  const std::string build = j["cpu_build"]["build"];
  EXPECT_TRUE(build == "native" || build == "portable") << build;
  EXPECT_FALSE(j["cpu_build"]["compiled_for"].get<std::string>().empty());
  EXPECT_FALSE(j["cpu_build"]["eigen_vectorisation"].get<std::string>().empty());
  EXPECT_EQ(j["cpu_build"]["threads"], 1);
  EXPECT_EQ(j["settings"]["threads"], 1);
  EXPECT_NE(j["settings"]["peak_source"].get<std::string>().find("GEMM"), std::string::npos);
  ASSERT_TRUE(j["settings"]["peak_tflops"].is_number()) << j["settings"].dump();
  EXPECT_GT(j["settings"]["peak_tflops"].get<double>(), 0);
  ASSERT_EQ(j["cells"].size(), 1u);
  ASSERT_TRUE(j["cells"][0]["fraction_of_peak"].is_number());
  const double f = j["cells"][0]["fraction_of_peak"];
  EXPECT_TRUE(std::isfinite(f) && f > 0) << f;
}

TEST_F(CliCpu, BenchGemmSizeIsBounded) {
  for (const char* bad : {"0", "8", "100000"}) {
    const std::string args = std::string("bench --backend cpu --seq 4 --batch 1 --gemm-n ") + bad;
    expect_one_line_error(run_cli(args), "--gemm-n", args);
  }
}
