// End to end against an independent implementation: llama.cpp's embeddings of 20 texts on a tiny random
// Qwen3 (BF16, two shards + index; tests/data/peer_golden/PEER_README.md). Tokenizer ids must be equal;
// every embedding component within 1e-5 and 1 - cos <= 1e-9 (the peer's suggested fp32 tolerance: 40x
// above what a correct fp32 implementation shows, below the smallest effect of every known mistake).
#include <gtest/gtest.h>

#include <cmath>


#include "core/pooling.h"
#include "core/tokenizer.h"
#include "ref_cpu/cpu_backend.h"
#include "tests/test_util.h"

using namespace qwen3;

namespace {

std::vector<qwen3::test::EmbeddingGolden> read_golden() {
  return qwen3::test::read_embedding_goldens(qwen3::test::test_data("peer_golden/golden.jsonl"));
}

constexpr double kMaxAbs = 1e-5;
constexpr double kOneMinusCos = 1e-9;

}  // namespace

TEST(PeerGolden, TokenizerAndForwardPassMatchLlamaCpp) {
  QWEN3_REQUIRE_PATH(qwen3::test::peer_model_dir() + "/model.safetensors.index.json");
  const auto rows = read_golden();
  ASSERT_EQ(rows.size(), 20u);
  const Tokenizer tok = Tokenizer::from_dir(qwen3::test::peer_model_dir());
  auto backend = cpu::CpuBackend::from_dir(qwen3::test::peer_model_dir());
  const int64_t H = backend->config().hidden_size;
  double worst = 0;
  for (size_t r = 0; r < rows.size(); ++r) {
    EXPECT_EQ(tok.encode_for_embedding(rows[r].text), rows[r].ids) << "row " << r;
    const auto out = backend->forward(Batch::pack({rows[r].ids}));
    double max_abs = 0;
    for (int64_t i = 0; i < H; ++i) max_abs = std::max(max_abs, std::abs(double(out.embeddings[i]) - rows[r].embedding[i]));
    worst = std::max(worst, max_abs);
    EXPECT_LE(max_abs, kMaxAbs) << "row " << r;
    EXPECT_LE(1.0 - cosine(out.embeddings.data(), rows[r].embedding.data(), H), kOneMinusCos) << "row " << r;
  }
  std::cout << "[ peer    ] worst max|diff| over 20 rows: " << worst << "\n";
}

// All 20 rows packed into one batch give the same embeddings as one at a time.
TEST(PeerGolden, PackedBatchMatchesToo) {
  QWEN3_REQUIRE_PATH(qwen3::test::peer_model_dir() + "/model.safetensors.index.json");
  const auto rows = read_golden();
  std::vector<std::vector<int32_t>> seqs;
  for (const auto& r : rows) seqs.push_back(r.ids);
  auto backend = cpu::CpuBackend::from_dir(qwen3::test::peer_model_dir());
  const auto out = backend->forward(Batch::pack(seqs));
  const int64_t H = backend->config().hidden_size;
  for (size_t r = 0; r < rows.size(); ++r) {
    for (int64_t i = 0; i < H; ++i) EXPECT_NEAR(out.embeddings[r * H + i], rows[r].embedding[i], kMaxAbs) << "row " << r;
  }
}
