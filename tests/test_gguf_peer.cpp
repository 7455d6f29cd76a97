// GGUF against llama.cpp itself (tests/data/gguf_peer, written by scripts/make_gguf_peer_goldens.py): llama.cpp
// loaded the F32, Q8_0 and Q4_K files that `qwen3emb quantize --random-weights --config small --seed 1` writes and
// embedded the 20 peer texts. Here the same command writes the same files again (their SHA-256 must be the ones
// llama.cpp read), and this project loads them, tokenises with the files' own tokenizer and embeds.
//
// Tolerances:
// - F32: every component within 1e-5 and 1 - cos <= 1e-9, as against the safetensors peer (test_peer_golden.cpp):
//   both sides compute in f32 (llama.cpp ran with an f32 KV cache and flash attention off).
// - Q8_0: both sides dequantise the same bits (qwen3emb's Q8_0 tensors are byte-identical to llama-quantize's; the
//   script checks it), but llama.cpp's CPU path does not multiply in f32: for a Q8_0 weight it first rounds the
//   activations to Q8_0 too (ggml's vec_dot_type for Q8_0 is Q8_0: per 32 values, a scale max|x|/127 and int8
//   codes) and takes integer dot products. That rounding, uniform over ±step/2 with step = max|x|/127 per block,
//   leaves a relative error of (1/127)/sqrt(12) * max/rms ≈ 0.0023 * max/rms per activation (max/rms ≈ 2-3 for a
//   block of 32 normalised values: ≈ 0.5-0.7%) and about the same in each product's output. Over 14 products
//   (2 layers × 7) adding independently: ≈ sqrt(14) * 0.6% ≈ 2% of the last hidden state, before the final norm.
//   Spread over 256 components of a unit vector: ≈ 0.02/16 ≈ 1.3e-3 per component, and 1 - cos ≈ 0.02²/2 = 2e-4.
//   Bounds, a few times above these estimates and far below a wrong dequantisation (a misread scale or
//   nibble order moves whole blocks: 1 - cos of order 1): max|diff| <= 5e-3, 1 - cos <= 1e-3.
// - Q4_K (this project's own quantiser: llama.cpp has no Q4_K file to compare bytes with, so only the embeddings
//   say that llama.cpp reads the bits as qwen3emb meant them): llama.cpp's dot product with a Q4_K weight takes
//   integer sums d·sc·Σ(q·a) − dmin·m·Σa, exact in the weight, over activations rounded to Q8_K: one f32 scale
//   max|x|/127 per 256 values (not per 32 as Q8_0), int8 codes. max/rms of 256 normalised values is about 3.5
//   (against 2-3 for 32), so ≈ 0.0023 · 3.5 ≈ 0.8% per activation, ≈ sqrt(14) · 0.8% ≈ 3% of the last hidden
//   state, ≈ 0.03/16 ≈ 1.9e-3 per component and 1 - cos ≈ 0.03²/2 ≈ 5e-4. Bounds, as for Q8_0 a few times above
//   the estimates: max|diff| <= 1e-2, 1 - cos <= 3e-3.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <sstream>

#include "core/model_dir.h"
#include "core/pooling.h"
#include "core/tokenizer.h"
#include "ref_cpu/cpu_backend.h"
#include "tests/test_util.h"

using namespace qwen3;

namespace {

using test::EmbeddingGolden;

// file name -> its rows, in text order
std::map<std::string, std::vector<EmbeddingGolden>> read_golden() {
  std::map<std::string, std::vector<EmbeddingGolden>> rows;
  for (EmbeddingGolden& row : test::read_embedding_goldens(test::test_data("gguf_peer/golden.jsonl")))
    rows[row.file].push_back(std::move(row));
  return rows;
}

std::string expected_sha256(const std::string& file) {
  std::istringstream sums(test::read_file(test::test_data("gguf_peer/SHA256SUMS")));
  std::string sum, name;
  while (sums >> sum >> name)
    if (name == file) return sum;
  return "";
}

struct Agreement {
  double max_abs = 0, one_minus_cos = 0;
};

// Writes `file` with qwen3emb quantize (`type`), checks it is the file llama.cpp read, then embeds every golden
// text from it and returns the worst disagreement with llama.cpp.
Agreement check_file(const std::string& file, const std::string& type) {
  const auto golden = read_golden();
  const auto it = golden.find(file);
  EXPECT_TRUE(it != golden.end()) << file;
  if (it == golden.end()) return {};
  const std::vector<EmbeddingGolden>& rows = it->second;
  EXPECT_EQ(rows.size(), 20u);

  test::TempDir dir;
  const std::string path = dir.file(file);
  const auto w = test::write_small_gguf(path, type, 1);
  EXPECT_EQ(w.status, 0) << w.err;
  const auto sum = test::run_command("sha256sum " + test::shell_quote(path));
  EXPECT_EQ(sum.out.substr(0, 64), expected_sha256(file)) << file << ": not the file llama.cpp read";

  const ModelConfig c = load_model_config(path);
  const Tokenizer tok = load_model_tokenizer(path);
  cpu::CpuBackend backend(c, load_model_weights(path, c));
  const int64_t H = c.hidden_size;
  Agreement worst;
  for (size_t r = 0; r < rows.size(); ++r) {
    EXPECT_EQ(tok.encode_for_embedding(rows[r].text), rows[r].ids) << file << " row " << r;
    const auto out = backend.forward(Batch::pack({rows[r].ids}));
    for (int64_t i = 0; i < H; ++i)
      worst.max_abs = std::max(worst.max_abs, std::abs(double(out.embeddings[i]) - rows[r].embedding[i]));
    worst.one_minus_cos =
        std::max(worst.one_minus_cos, 1.0 - cosine(out.embeddings.data(), rows[r].embedding.data(), H));
  }
  std::cout << "[ peer    ] " << file << ": worst max|diff| " << worst.max_abs << ", worst 1 - cos "
            << worst.one_minus_cos << " over " << rows.size() << " texts\n";
  return worst;
}

}  // namespace

TEST(GgufPeer, F32FileMatchesLlamaCpp) {
  QWEN3_REQUIRE_PATH(test::data_dir() + "/tokenizer/tokenizer.json");
  const Agreement a = check_file("small-f32.gguf", "f32");
  EXPECT_LE(a.max_abs, 1e-5);
  EXPECT_LE(a.one_minus_cos, 1e-9);
}

TEST(GgufPeer, Q8_0FileMatchesLlamaCpp) {
  QWEN3_REQUIRE_PATH(test::data_dir() + "/tokenizer/tokenizer.json");
  const Agreement a = check_file("small-q8_0.gguf", "q8_0");
  EXPECT_LE(a.max_abs, 5e-3);
  EXPECT_LE(a.one_minus_cos, 1e-3);
}

TEST(GgufPeer, Q4_KFileMatchesLlamaCpp) {
  QWEN3_REQUIRE_PATH(test::data_dir() + "/tokenizer/tokenizer.json");
  const Agreement a = check_file("small-q4_k.gguf", "q4_k");
  EXPECT_LE(a.max_abs, 1e-2);
  EXPECT_LE(a.one_minus_cos, 3e-3);
}
