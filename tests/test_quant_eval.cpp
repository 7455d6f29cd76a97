// qwen3emb quant-eval end to end on the tiny model: the JSON it writes, the formats' sizes (exact: they follow from
// the block layouts), the order of the losses, and its bad inputs answered with one line.
//
// Bounds: the tiny model's projections are uniform random weights; the round trip's relative weight error is about
// 2^-9 for BF16, (1/127)/2 for Q8_0 (a uniform rounding error over a step of max|x|/127, relative to a uniform
// spread) and about 0.06 for Q4_K (15 steps over a sub-block's range). Three layers of such errors move an embedding
// by about that much, so the cosines must order BF16 ≥ Q8_0 > Q4_K, and Q4_K's worst cosine stay above 0.9 (it is
// about 0.99 on this model: 0.9 leaves room for a different seed, not for a broken quantiser, which gives ~0).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "tests/test_util.h"

using qwen3::test::CommandResult;
using qwen3::test::expect_one_line_error;
using qwen3::test::run_cli;
using qwen3::test::shell_quote;
using qwen3::test::TempDir;

namespace {

class QuantEval : public ::testing::Test {
 protected:
  void SetUp() override { QWEN3_REQUIRE_PATH(qwen3::test::tiny_model_dir() + "/model.safetensors"); }
  std::string model() const { return "--model " + shell_quote(qwen3::test::tiny_model_dir()); }
  TempDir tmp;
};

TEST_F(QuantEval, TinyModelQ8_0BeatsQ4_KAndBothStayClose) {
  const std::string json = tmp.file("q.json");
  const CommandResult r = run_cli("quant-eval " + model() + " --threads 2 --json " + shell_quote(json));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("Q4_K"), std::string::npos) << r.out;
  const auto j = nlohmann::json::parse(qwen3::test::read_file(json));
  EXPECT_EQ(j["queries"], 8);
  EXPECT_EQ(j["passages"], 24);
  std::map<std::string, nlohmann::json> f;
  for (const auto& row : j["formats"]) f[row["format"].get<std::string>()] = row;
  ASSERT_EQ(f.size(), 4u) << j.dump();
  // sizes follow from the layouts: 32, 16, 34·8/32 = 8.5 and 144·8/256 = 4.5 bits a weight
  EXPECT_DOUBLE_EQ(f["F32"]["bits_per_weight"].get<double>(), 32.0);
  EXPECT_DOUBLE_EQ(f["BF16"]["bits_per_weight"].get<double>(), 16.0);
  EXPECT_DOUBLE_EQ(f["Q8_0"]["bits_per_weight"].get<double>(), 8.5);
  EXPECT_DOUBLE_EQ(f["Q4_K"]["bits_per_weight"].get<double>(), 4.5);
  EXPECT_EQ(f["F32"]["cosine_min"].get<double>(), 1.0);
  EXPECT_EQ(f["F32"]["top1_agreement"].get<int>(), 8);
  const double bf16 = f["BF16"]["cosine_min"], q8 = f["Q8_0"]["cosine_min"], q4 = f["Q4_K"]["cosine_min"];
  EXPECT_GE(bf16, q8);
  EXPECT_GT(q8, q4);
  EXPECT_GT(q4, 0.9);
  EXPECT_LT(q8, 1.0);  // the weights did change
  EXPECT_LT(f["Q8_0"]["weight_rel_error"].get<double>(), 0.01);
  EXPECT_LT(f["Q4_K"]["weight_rel_error"].get<double>(), 0.1);
  EXPECT_GT(f["Q4_K"]["weight_rel_error"].get<double>(), f["Q8_0"]["weight_rel_error"].get<double>());
}

TEST_F(QuantEval, BadInputsAreOneLineErrors) {
  const std::string bad = tmp.file("bad.json");
  qwen3::test::write_file(bad, R"({"task": "t", "queries": [{"text": "q", "relevant": 3}], "passages": ["a", "b"]})");
  std::string args = "quant-eval " + model() + " --retrieval " + shell_quote(bad);
  expect_one_line_error(run_cli(args), "relevant = 3", args);
  qwen3::test::write_file(bad, "{not json");
  expect_one_line_error(run_cli(args), "not JSON", args);
  args = "quant-eval " + model() + " --retrieval " + shell_quote(tmp.file("missing.json"));
  expect_one_line_error(run_cli(args), "missing.json", args);
  args = "quant-eval " + model() + " --formats Q8_0,Q5_K";
  expect_one_line_error(run_cli(args), "Q5_K", args);
  args = "quant-eval --config 0.6b";
  expect_one_line_error(run_cli(args), "--random-weights", args);
  // --also with a file of another model
  const std::string other = tmp.file("other.gguf");
  ASSERT_EQ(run_cli("quantize --random-weights --config small --type q8_0 --out " + shell_quote(other)).status, 0);
  args = "quant-eval " + model() + " --formats Q8_0 --also " + shell_quote(other);
  expect_one_line_error(run_cli(args), "a different model", args);
}

// --also: another program's quantised file of the same model as one more row. A Q8_0 file written by quantize holds
// exactly the bytes quant-eval's own Q8_0 round trip makes, so its row must equal the Q8_0 row.
TEST_F(QuantEval, AlsoFileRowEqualsTheSameFormatsRoundTrip) {
  const std::string gguf = tmp.file("tiny-q8_0.gguf"), json = tmp.file("also.json");
  ASSERT_EQ(run_cli("quantize " + model() + " --type q8_0 --out " + shell_quote(gguf)).status, 0);
  const CommandResult r =
      run_cli("quant-eval " + model() + " --formats Q8_0 --also " + shell_quote(gguf) + " --json " + shell_quote(json));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("file1: " + gguf + ", projections Q8_0 x21"), std::string::npos) << r.out;
  const auto j = nlohmann::json::parse(qwen3::test::read_file(json));
  ASSERT_EQ(j["formats"].size(), 3u);
  const auto& q8 = j["formats"][1];
  const auto& file = j["formats"][2];
  EXPECT_EQ(file["format"], "file1");
  EXPECT_EQ(file["projection_bytes"], q8["projection_bytes"]);
  EXPECT_EQ(file["weight_rel_error"], q8["weight_rel_error"]);
  EXPECT_EQ(file["cosine_min"], q8["cosine_min"]);
  EXPECT_GT(file["weight_rel_error"].get<double>(), 0.0);
}

}  // namespace
