// The CPU reference against Hugging Face transformers (Qwen3Model, float32, eager attention) on the tiny
// default model: tests/data/golden_hf.json is written by scripts/make_golden.py where torch and
// transformers are installed. Token ids identical; every layer's last-token state and the final embedding
// within ||ours - hf|| / ||hf|| <= 1e-5.
#include <algorithm>
#include <cstdio>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/pooling.h"
#include "core/tokenizer.h"
#include "ref_cpu/cpu_backend.h"
#include "tests/test_util.h"

using namespace qwen3;

TEST(GoldenHF, TinyModelMatchesTransformers) {
  const std::string golden = qwen3::test::test_data("golden_hf.json");
  if (!std::filesystem::exists(golden)) {
    if (qwen3::test::strict()) FAIL() << "tests/data/golden_hf.json is missing (QWEN3_STRICT=1)";
    GTEST_SKIP() << "tests/data/golden_hf.json does not exist yet: it must come from transformers "
                    "(run scripts/make_golden.py where torch and transformers are installed); "
                    "no session has had such a machine so far";
  }
  QWEN3_REQUIRE_PATH(qwen3::test::tiny_model_dir() + "/model.safetensors");
  const auto j = nlohmann::json::parse(qwen3::test::read_file(golden));
  // The golden belongs to one exact tiny model: if init-tiny's bytes changed, it must be made again.
  const auto sum = qwen3::test::run_command("sha256sum " + qwen3::test::shell_quote(qwen3::test::tiny_model_dir() +
                                                                                      "/model.safetensors"));
  ASSERT_EQ(sum.out.substr(0, 64), j["generator"]["model_sha256"].get<std::string>())
      << "data/tiny-qwen3 is not the model the golden was made from: run scripts/make_golden.py again";
  const Tokenizer tok = Tokenizer::from_dir(qwen3::test::tiny_model_dir());
  auto backend = cpu::CpuBackend::from_dir(qwen3::test::tiny_model_dir());
  const int64_t H = backend->config().hidden_size;
  ForwardOptions opt;
  opt.keep_hidden_states = true;
  double worst_state = 0, worst_embedding = 0;  // printed: the figure docs/results/correctness.md quotes
  for (const auto& row : j["rows"]) {
    const std::string text = row["text"];
    const auto ids = row["token_ids"].get<std::vector<int32_t>>();
    EXPECT_EQ(tok.encode_for_embedding(text), ids) << text.substr(0, 60);
    const auto out = backend->forward(Batch::pack({ids}), opt);
    const auto& hf_states = row["hidden_last"];
    ASSERT_EQ(hf_states.size(), out.hidden_states.size());
    const int64_t last = static_cast<int64_t>(ids.size()) - 1;
    for (size_t l = 0; l < hf_states.size(); ++l) {
      const auto hf = hf_states[l].get<std::vector<float>>();
      const float* ours = out.hidden_states[l].data() + last * H;
      const double e = relative_error(ours, hf.data(), H);
      worst_state = std::max(worst_state, e);
      EXPECT_LE(e, 1e-5) << "state " << l << " of: " << text.substr(0, 60);
    }
    const auto hf_emb = row["embedding"].get<std::vector<float>>();
    const double e = relative_error(out.embeddings.data(), hf_emb.data(), H);
    worst_embedding = std::max(worst_embedding, e);
    EXPECT_LE(e, 1e-5) << text.substr(0, 60);
  }
  std::printf("ref_cpu vs transformers %s: %zu texts, worst last-token state ||a-b||/||b|| %.2e, worst embedding %.2e\n",
              j["generator"]["transformers"].get<std::string>().c_str(), j["rows"].size(), worst_state,
              worst_embedding);
}
