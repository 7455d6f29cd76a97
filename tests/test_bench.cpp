// qwen3emb bench end to end on the CPU backend and the tiny model (a 2×2 grid): the table, the CSV and JSON
// columns, every figure finite and positive, cells that do not fit reported instead of crashing; and the
// PyTorch peer script's grid, token ids, FLOP count and CSV columns equal to the C++ ones (without torch).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/batch.h"
#include "core/config.h"
#include "core/flops.h"
#include "core/tiny_model.h"
#include "tests/test_util.h"

using qwen3::test::CommandResult;
using qwen3::test::run_cli;
using qwen3::test::shell_quote;
using qwen3::test::TempDir;

namespace {

const std::vector<std::string> kColumns = {
    "implementation", "backend",         "device",          "commit",         "config",
    "seq",            "batch",           "tokens",          "status",         "warmup",
    "repeats",        "embeddings_per_s", "tokens_per_s",   "latency_p50_ms", "latency_p95_ms",
    "flops_per_batch", "achieved_tflops", "peak_tflops",    "fraction_of_peak", "usd_per_hour",
    "usd_per_million_tokens"};
const std::vector<std::string> kFigures = {"embeddings_per_s", "tokens_per_s",     "latency_p50_ms",
                                           "latency_p95_ms",   "flops_per_batch",  "achieved_tflops",
                                           "peak_tflops",      "fraction_of_peak", "usd_per_hour",
                                           "usd_per_million_tokens"};

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> parts;
  std::stringstream ss(line);
  std::string part;
  while (std::getline(ss, part, sep)) parts.push_back(part);
  if (!line.empty() && line.back() == sep) parts.push_back("");
  return parts;
}

// The CSV as one map per row (no quoted fields expected in these tests).
std::vector<std::map<std::string, std::string>> read_csv(const std::string& path, std::vector<std::string>* header) {
  std::istringstream in(qwen3::test::read_file(path));
  std::string line;
  std::getline(in, line);
  *header = split(line, ',');
  std::vector<std::map<std::string, std::string>> rows;
  while (std::getline(in, line)) {
    const auto fields = split(line, ',');
    EXPECT_EQ(fields.size(), header->size()) << line;
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < fields.size() && i < header->size(); ++i) row[(*header)[i]] = fields[i];
    rows.push_back(row);
  }
  return rows;
}

bool finite_positive(const std::string& s) {
  if (s.empty()) return false;
  size_t used = 0;
  const double x = std::stod(s, &used);
  return used == s.size() && std::isfinite(x) && x > 0;
}

class Bench : public ::testing::Test {
 protected:
  void SetUp() override { QWEN3_REQUIRE_PATH(qwen3::test::tiny_model_dir() + "/model.safetensors"); }
  TempDir tmp;
};

}  // namespace

TEST_F(Bench, TinyGridOnCpu) {
  const auto r = run_cli("bench --backend cpu --seq 8,16 --batch 1,2 --warmup 1 --repeats 2 --peak-tflops 1 --csv " +
                     tmp.file("b.csv") + " --json " + tmp.file("b.json"));
  ASSERT_EQ(r.status, 0) << r.err;
  // the table: a header and one row per cell
  EXPECT_NE(r.out.find("tokens/s"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("$/M tok"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("backend cpu"), std::string::npos) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 5 + 2 + 4) << r.out;  // 5 header lines, blank, columns, 4 cells
  EXPECT_NE(r.err.find("bench: 4/4"), std::string::npos) << r.err;              // progress (stderr is not a terminal)

  std::vector<std::string> header;
  const auto rows = read_csv(tmp.file("b.csv"), &header);
  EXPECT_EQ(header, kColumns);
  ASSERT_EQ(rows.size(), 4u);
  const std::vector<std::pair<std::string, std::string>> cells = {{"8", "1"}, {"8", "2"}, {"16", "1"}, {"16", "2"}};
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    EXPECT_EQ(row.at("implementation"), "qwen3emb");
    EXPECT_EQ(row.at("backend"), "cpu");
    EXPECT_EQ(row.at("config"), "tiny-qwen3");
    EXPECT_FALSE(row.at("device").empty());
    EXPECT_FALSE(row.at("commit").empty());
    EXPECT_EQ(row.at("seq"), cells[i].first);
    EXPECT_EQ(row.at("batch"), cells[i].second);
    EXPECT_EQ(std::stoll(row.at("tokens")), std::stoll(cells[i].first) * std::stoll(cells[i].second));
    EXPECT_EQ(row.at("status"), "ok");
    EXPECT_EQ(row.at("repeats"), "2");
    for (const std::string& k : kFigures) EXPECT_TRUE(finite_positive(row.at(k))) << k << " = '" << row.at(k) << "'";
    // tokens/s = S · embeddings/s; p95 >= p50; the FLOPs are core/flops.h's exact count
    EXPECT_NEAR(std::stod(row.at("tokens_per_s")), std::stod(row.at("seq")) * std::stod(row.at("embeddings_per_s")),
                1e-4 * std::stod(row.at("tokens_per_s")));
    EXPECT_GE(std::stod(row.at("latency_p95_ms")), std::stod(row.at("latency_p50_ms")));
    const auto lengths = std::vector<int64_t>(std::stoll(row.at("batch")), std::stoll(row.at("seq")));
    EXPECT_EQ(std::stod(row.at("flops_per_batch")), qwen3::exact_flops(qwen3::tiny_config(), lengths).causal_total());
  }

  const auto j = nlohmann::json::parse(qwen3::test::read_file(tmp.file("b.json")));
  for (const char* k : {"device", "commit", "backend", "config_name", "config", "settings", "cells"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
  EXPECT_EQ(j["config"]["hidden_size"], 64);
  EXPECT_EQ(j["settings"]["repeats"], 2);
  EXPECT_EQ(j["settings"]["warmup"], 1);
  EXPECT_EQ(j["settings"]["peak_tflops"], 1.0);
  EXPECT_EQ(j["settings"]["usd_per_hour"], 2.0);
  ASSERT_EQ(j["cells"].size(), 4u);
  for (const auto& c : j["cells"]) {
    EXPECT_EQ(c["status"], "ok");
    EXPECT_EQ(c["seconds"].size(), 2u);
    for (const char* k : {"embeddings_per_s", "tokens_per_s", "latency_p50_ms", "latency_p95_ms", "flops_per_batch",
                          "achieved_tflops", "fraction_of_peak", "usd_per_million_tokens"}) {
      ASSERT_TRUE(c[k].is_number()) << k;
      const double x = c[k].get<double>();
      EXPECT_TRUE(std::isfinite(x) && x > 0) << k << " = " << x;
    }
  }
}

// A build carried to the GPU machine records the commit it was built from (scripts/gpu_slim_build.sh).
TEST_F(Bench, CommitFromTheEnvironmentWins) {
  const std::string cmd = "QWEN3_COMMIT=0123abc-carried " + qwen3::test::shell_quote(qwen3::test::cli_path()) +
                          " bench --backend cpu --seq 4 --batch 1 --warmup 1 --repeats 1 --peak-tflops 1 --csv " +
                          tmp.file("c.csv");
  const auto r = qwen3::test::run_command(cmd);
  ASSERT_EQ(r.status, 0) << r.err;
  std::vector<std::string> header;
  const auto rows = read_csv(tmp.file("c.csv"), &header);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("commit"), "0123abc-carried");
}

TEST_F(Bench, CellsThatDoNotFitAreReportedNotCrashedOn) {
  // 10⁸ sequences of 16 tokens need terabytes of activations; 40000 tokens exceed max_position_embeddings.
  const auto r = run_cli("bench --seq 16,40000 --batch 1,100000000 --warmup 0 --repeats 1 --gemm-n 64 --csv " +
                     tmp.file("b.csv"));
  ASSERT_EQ(r.status, 0) << r.err;
  std::vector<std::string> header;
  const auto rows = read_csv(tmp.file("b.csv"), &header);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].at("status"), "ok");
  EXPECT_EQ(rows[1].at("status"), "out_of_memory");
  EXPECT_EQ(rows[2].at("status"), "invalid");
  EXPECT_EQ(rows[3].at("status"), "out_of_memory");
  EXPECT_EQ(rows[1].at("tokens_per_s"), "");
  // no --peak-tflops on the cpu backend: the fraction of an fp32 GEMM measured in the run, for the cells that ran
  EXPECT_TRUE(finite_positive(rows[0].at("peak_tflops"))) << rows[0].at("peak_tflops");
  EXPECT_TRUE(finite_positive(rows[0].at("fraction_of_peak"))) << rows[0].at("fraction_of_peak");
  EXPECT_EQ(rows[1].at("fraction_of_peak"), "");
  EXPECT_NE(r.out.find("out_of_memory  batch 100000000 × 16 tokens on cpu needs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("max_position_embeddings"), std::string::npos) << r.out;
  // ... and one stderr line at the end names the failed cells and why
  EXPECT_NE(r.err.find("bench: 3 of 4 cells failed: out_of_memory at seq×batch 16×100000000, 40000×100000000 (batch "
                       "100000000 × 16 tokens on cpu needs"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("; invalid at seq×batch 40000×1 ("), std::string::npos) << r.err;
}

TEST_F(Bench, AGridWhereNoCellRanIsAnError) {
  // Every cell out of memory or too long for the model: nothing measured, so exit 1 with one error line that lists
  // the cells and why; the table (and the CSV) still show each cell.
  const auto r = run_cli("bench --seq 40000 --batch 1,100000000 --warmup 0 --repeats 1 --peak-tflops 1 --csv " +
                     tmp.file("none.csv"));
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  const std::string expected = "error: bench: no cell produced a figure: invalid at seq×batch 40000×1 (";
  EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("; out_of_memory at seq×batch 40000×100000000 ("), std::string::npos) << r.err;
  size_t error_lines = 0;
  for (size_t at = r.err.find("error: "); at != std::string::npos; at = r.err.find("error: ", at + 1)) ++error_lines;
  EXPECT_EQ(error_lines, 1u) << r.err;
  const size_t line_start = r.err.find(expected);
  EXPECT_EQ(r.err.find('\n', line_start), r.err.size() - 1) << "the error is the last line, one line: " << r.err;
  std::vector<std::string> header;
  const auto rows = read_csv(tmp.file("none.csv"), &header);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].at("status"), "invalid");
  EXPECT_EQ(rows[1].at("status"), "out_of_memory");
}

TEST_F(Bench, BadArguments) {
  auto expect_error = [](const CommandResult& r, const std::string& phrase) {
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_NE(r.err.find("error: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(phrase), std::string::npos) << r.err;
  };
  expect_error(run_cli("bench --seq 8 --batch 1 --repeats 0"), "--repeats must be at least 1");
  expect_error(run_cli("bench --seq 8,0 --batch 1"), "--seq: every length must be at least 1");
  expect_error(run_cli("bench --seq 8 --batch 1 --backend tpu"), "unknown backend 'tpu'");
  expect_error(run_cli("bench --seq 8 --batch 1 --csv /nonexistent/dir/b.csv"), "cannot write /nonexistent/dir/b.csv");
}

// scripts/bench_pytorch.py must write what qwen3emb bench writes: its logic is importable without torch.
TEST_F(Bench, PytorchPeerScriptAgreesWithTheCpp) {
  if (qwen3::test::run_command("python3 --version").status != 0) {
    if (qwen3::test::strict()) FAIL() << "no python3 (QWEN3_STRICT=1)";
    GTEST_SKIP() << "no python3";
  }
  const std::string scripts = std::string(QWEN3_SOURCE_DIR) + "/scripts";
  const std::string program =
      "import json, sys; sys.path.insert(0, " + nlohmann::json(scripts).dump() + "); import bench_pytorch as b\n"
      "print(json.dumps({'columns': b.CSV_COLUMNS, 'seq': b.DEFAULT_SEQ, 'batch': b.DEFAULT_BATCH,\n"
      "  'flops_8b': b.exact_flops(b.PRESETS['8b'], 1024, 1), 'flops_06b': b.exact_flops(b.PRESETS['0.6b'], 520, 4),\n"
      "  'presets': b.PRESETS, 'ids': b.synthetic_sequences([7, 3], 151669),\n"
      "  'ids_small': b.synthetic_sequences([4], 500),\n"
      "  'p': [b.percentile([3.0, 1.0, 2.0], 50), b.percentile([1.0, 2.0], 95)]}))\n";
  qwen3::test::write_file(tmp.file("check.py"), program);
  const auto r = qwen3::test::run_command("python3 -B " + shell_quote(tmp.file("check.py")));
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["columns"].get<std::vector<std::string>>(), kColumns);
  EXPECT_EQ(j["seq"].get<std::vector<int64_t>>(), (std::vector<int64_t>{260, 520, 1040, 2080, 5200}));
  EXPECT_EQ(j["batch"].get<std::vector<int64_t>>(), (std::vector<int64_t>{1, 2, 4, 8, 16, 32, 64}));
  EXPECT_EQ(j["flops_8b"].get<double>(), qwen3::exact_flops(qwen3::ModelConfig::preset("8b"), {1024}).causal_total());
  EXPECT_EQ(j["flops_06b"].get<double>(),
            qwen3::exact_flops(qwen3::ModelConfig::preset("0.6b"), {520, 520, 520, 520}).causal_total());
  for (const char* name : {"0.6b", "4b", "8b"}) {
    const qwen3::ModelConfig c = qwen3::ModelConfig::preset(name);
    const auto& p = j["presets"][name];
    EXPECT_EQ(p["hidden_size"], c.hidden_size) << name;
    EXPECT_EQ(p["intermediate_size"], c.intermediate_size) << name;
    EXPECT_EQ(p["num_hidden_layers"], c.num_hidden_layers) << name;
    EXPECT_EQ(p["num_attention_heads"], c.num_attention_heads) << name;
    EXPECT_EQ(p["num_key_value_heads"], c.num_key_value_heads) << name;
    EXPECT_EQ(p["head_dim"], c.head_dim) << name;
    EXPECT_EQ(p["vocab_size"], c.vocab_size) << name;
    EXPECT_EQ(p["max_position_embeddings"], c.max_position_embeddings) << name;
    EXPECT_EQ(p["rms_norm_eps"], c.rms_norm_eps) << name;
    EXPECT_EQ(p["rope_theta"], c.rope_theta) << name;
    EXPECT_EQ(p["tie_word_embeddings"], c.tie_word_embeddings) << name;
  }
  EXPECT_EQ(j["ids"].get<std::vector<std::vector<int32_t>>>(), qwen3::synthetic_sequences({7, 3}, 151669));
  EXPECT_EQ(j["ids_small"].get<std::vector<std::vector<int32_t>>>(), qwen3::synthetic_sequences({4}, 500));
  EXPECT_EQ(j["p"][0], 2.0);
  EXPECT_DOUBLE_EQ(j["p"][1].get<double>(), 1.95);
}

// scripts/plot_bench.py draws the figures from a bench CSV (Debian's python3-matplotlib).
TEST_F(Bench, PlotsFromTheCsv) {
  if (qwen3::test::run_command("/usr/bin/python3 -c 'import matplotlib'").status != 0) {
    if (qwen3::test::strict()) FAIL() << "no matplotlib for /usr/bin/python3 (QWEN3_STRICT=1)";
    GTEST_SKIP() << "no matplotlib for /usr/bin/python3 (apt install python3-matplotlib)";
  }
  const auto r = run_cli("bench --seq 8,16 --batch 1,2 --warmup 0 --repeats 1 --csv " + tmp.file("b.csv"));
  ASSERT_EQ(r.status, 0) << r.err;
  const auto p = qwen3::test::run_command("/usr/bin/python3 -B " + shell_quote(std::string(QWEN3_SOURCE_DIR) +
                                                                                  "/scripts/plot_bench.py") +
                                          " " + tmp.file("b.csv") + " --peer " + tmp.file("b.csv") +
                                          " --analysis --prefix t --out " + tmp.file("png"));
  ASSERT_EQ(p.status, 0) << p.err;
  for (const char* name : {"embeddings_per_s", "tokens_per_s", "latency", "cost", "vs_peer"}) {
    const auto path = tmp.path() / "png" / ("t_" + std::string(name) + ".png");
    EXPECT_TRUE(std::filesystem::exists(path)) << path;
    if (std::filesystem::exists(path)) {
      EXPECT_GT(std::filesystem::file_size(path), 1000u) << path;
    }
  }
}
