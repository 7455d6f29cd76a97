// ref_cpu: each op against a direct loop implementation written here, and forward-pass properties
// (causality, packed batches equal single runs, hidden states exposed per layer).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "core/batch.h"
#include "core/embed.h"
#include "core/error.h"
#include "core/pooling.h"
#include "core/safetensors.h"
#include "core/tokenizer.h"
#include "core/weights.h"
#include "ref_cpu/cpu_backend.h"
#include "ref_cpu/ops.h"
#include "tests/test_util.h"

using namespace qwen3;

using qwen3::test::random_vector;
using qwen3::test::small_config;

namespace {

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(double(a[i]) - b[i]));
  return m;
}

}  // namespace

TEST(Ops, RmsNormKnownValues) {
  const std::vector<float> x = {3, 4}, w = {1, 2};
  std::vector<float> y(2);
  cpu::rms_norm(x.data(), w.data(), 1, 2, 0.0f, y.data());
  const double rms = std::sqrt((9.0 + 16.0) / 2.0);
  EXPECT_NEAR(y[0], 3.0 / rms, 1e-6);
  EXPECT_NEAR(y[1], 2.0 * 4.0 / rms, 1e-6);
}

TEST(Ops, LinearIsXTimesWTransposed) {
  const int64_t T = 3, in = 5, out = 4;
  const auto x = random_vector(T * in, 1), W = random_vector(out * in, 2);
  std::vector<float> y(T * out), ref(T * out);
  cpu::linear(x.data(), W.data(), T, in, out, y.data());
  for (int64_t t = 0; t < T; ++t)
    for (int64_t o = 0; o < out; ++o) {
      double s = 0;
      for (int64_t i = 0; i < in; ++i) s += double(x[t * in + i]) * W[o * in + i];
      ref[t * out + o] = static_cast<float>(s);
    }
  EXPECT_LT(max_abs_diff(y, ref), 1e-5);
}

TEST(Ops, RopeRotatesEachPairByPositionTimesFrequency) {
  const int64_t T = 3, heads = 2, D = 8;
  const double theta = 1e6;
  const std::vector<int32_t> pos = {0, 1, 1000};
  auto x = random_vector(T * heads * D, 3);
  const auto orig = x;
  cpu::apply_rope(x.data(), pos.data(), T, heads, D, theta);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t i = 0; i < D / 2; ++i) {
        const int64_t a = (t * heads + h) * D + i, b = a + D / 2;
        const double ang = pos[t] * std::pow(theta, -2.0 * i / D);
        EXPECT_NEAR(x[a], orig[a] * std::cos(ang) - orig[b] * std::sin(ang), 2e-4);
        EXPECT_NEAR(x[b], orig[b] * std::cos(ang) + orig[a] * std::sin(ang), 2e-4);
      }
  for (int64_t i = 0; i < heads * D; ++i) EXPECT_EQ(x[i], orig[i]);  // position 0: identity
}

// Direct loops: for each token t and head h, softmax over s in t's sequence with s <= t.
TEST(Ops, CausalGqaAttentionMatchesLoops) {
  const int64_t NH = 6, NKV = 2, D = 8;
  const std::vector<int64_t> offsets = {0, 5, 6, 13};  // lengths 5, 1, 7
  const int64_t T = offsets.back(), B = 3;
  const auto q = random_vector(T * NH * D, 4), k = random_vector(T * NKV * D, 5), v = random_vector(T * NKV * D, 6);
  std::vector<float> out(T * NH * D), ref(T * NH * D);
  cpu::causal_attention(q.data(), k.data(), v.data(), offsets.data(), B, NH, NKV, D, out.data());
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = offsets[b]; t < offsets[b + 1]; ++t)
      for (int64_t h = 0; h < NH; ++h) {
        const int64_t g = h / (NH / NKV);
        std::vector<double> p;
        double mx = -1e300;
        for (int64_t s = offsets[b]; s <= t; ++s) {
          double dot = 0;
          for (int64_t d = 0; d < D; ++d) dot += double(q[(t * NH + h) * D + d]) * k[(s * NKV + g) * D + d];
          p.push_back(dot / std::sqrt(double(D)));
          mx = std::max(mx, p.back());
        }
        double sum = 0;
        for (double& e : p) sum += (e = std::exp(e - mx));
        for (int64_t d = 0; d < D; ++d) {
          double o = 0;
          for (int64_t s = offsets[b]; s <= t; ++s) o += p[s - offsets[b]] / sum * v[(s * NKV + g) * D + d];
          ref[(t * NH + h) * D + d] = static_cast<float>(o);
        }
      }
  EXPECT_LT(max_abs_diff(out, ref), 1e-5);
}

TEST(Ops, SiluMul) {
  const std::vector<float> g = {-2, 0, 3}, u = {1, 5, 2};
  std::vector<float> y(3);
  cpu::silu_mul(g.data(), u.data(), 3, y.data());
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(y[i], g[i] / (1 + std::exp(-double(g[i]))) * u[i], 1e-6);
}

class CpuForward : public ::testing::Test {
 protected:
  ModelConfig c = small_config();
  cpu::CpuBackend backend{c, random_host_weights(c, 11)};
};

TEST_F(CpuForward, HiddenStatesPerLayer) {
  ForwardOptions opt;
  opt.keep_hidden_states = true;
  const auto out = backend.forward(Batch::pack({{1, 2, 3, 4}}), opt);
  ASSERT_EQ(out.hidden_states.size(), size_t(c.num_hidden_layers + 2));
  for (const auto& h : out.hidden_states) EXPECT_EQ(h.size(), size_t(4 * c.hidden_size));
  // The embedding is the normalised last row of the final-norm output.
  std::vector<float> last(out.hidden_states.back().end() - c.hidden_size, out.hidden_states.back().end());
  l2_normalize(last.data(), c.hidden_size);
  EXPECT_LT(max_abs_diff(last, out.embeddings), 1e-7);
  // Each layer changes the residual stream by a non-trivial amount (activations are not degenerate).
  for (int64_t l = 1; l <= c.num_hidden_layers; ++l) {
    const double rel = relative_error(out.hidden_states[l].data(), out.hidden_states[l - 1].data(), 4 * c.hidden_size);
    EXPECT_GT(rel, 0.05) << "layer " << l;
  }
}

TEST_F(CpuForward, CausalEarlierTokensIgnoreLaterOnes) {
  ForwardOptions opt;
  opt.keep_hidden_states = true;
  const auto a = backend.forward(Batch::pack({{7, 8, 9, 10, 11}}), opt);
  const auto b = backend.forward(Batch::pack({{7, 8, 9, 99, 12}}), opt);
  const int64_t H = c.hidden_size;
  for (const size_t l : {size_t(1), a.hidden_states.size() - 1}) {
    for (int64_t i = 0; i < 3 * H; ++i) EXPECT_EQ(a.hidden_states[l][i], b.hidden_states[l][i]);
    EXPECT_GT(relative_error(a.hidden_states[l].data() + 3 * H, b.hidden_states[l].data() + 3 * H, 2 * H), 1e-3);
  }
}

TEST_F(CpuForward, PackedBatchEqualsOneAtATime) {
  const std::vector<std::vector<int32_t>> seqs = {{1}, {5, 6, 7, 8, 9, 10, 11}, {42, 43, 44}, {3, 3, 3, 3}};
  const auto batched = backend.forward(Batch::pack(seqs));
  const int64_t H = c.hidden_size;
  for (size_t s = 0; s < seqs.size(); ++s) {
    const auto single = backend.forward(Batch::pack({seqs[s]}));
    EXPECT_LE(relative_error(batched.embeddings.data() + s * H, single.embeddings.data(), H), 1e-5) << "sequence " << s;
  }
}

TEST_F(CpuForward, RejectsBadBatches) {
  EXPECT_THROW(backend.forward(Batch::pack({{1, 2, 500}})), InputError);  // id == vocab_size
  EXPECT_THROW(backend.forward(Batch::pack({std::vector<int32_t>(513, 1)})), InputError);  // > max positions
}

// A checkpoint saved from the bare Qwen3Model (transformers' save_pretrained on it) names its tensors without
// Qwen3ForCausalLM's "model." prefix ("layers.0.mlp.up_proj.weight"): the tiny model rewritten that way loads and
// gives the very same embeddings. (scripts/hf_checkpoint_check.py checks a checkpoint transformers itself wrote.)
TEST(CpuCheckpoint, NamesWithoutTheModelPrefixLoadTheSame) {
  const std::string dir = test::tiny_model_dir();
  QWEN3_REQUIRE_PATH(dir + "/model.safetensors");
  test::TempDir bare;
  {
    const SafetensorsCheckpoint ck(dir);
    std::vector<std::vector<float>> values;
    std::vector<TensorToWrite> out;
    const std::vector<std::string> names = ck.names();
    values.reserve(names.size());
    for (const std::string& name : names) {
      const TensorView& t = ck.get(name);
      values.emplace_back(static_cast<size_t>(t.numel()));
      to_f32(t, values.back().data());
      ASSERT_EQ(name.rfind("model.", 0), 0u) << name;
      out.push_back({name.substr(6), DType::F32, t.shape, values.back().data()});
    }
    write_safetensors(bare.file("model.safetensors"), out);
  }
  for (const char* f : {"config.json", "tokenizer.json", "tokenizer_config.json"}) {
    std::filesystem::copy_file(dir + "/" + f, bare.file(f));
  }
  const Batch batch = Batch::pack({{1, 2, 3, 151643}, {9707, 11, 1879, 151643}});
  const auto prefixed = cpu::CpuBackend::from_dir(dir)->forward(batch);
  const auto unprefixed = cpu::CpuBackend::from_dir(bare.path().string())->forward(batch);
  EXPECT_EQ(prefixed.embeddings, unprefixed.embeddings);
}

// A model narrower than Matryoshka's smallest size (32) embeds at its full width when no --dim is asked for; a
// --dim outside 32..hidden is refused (it once was refused even when never given).
TEST(EmbedTexts, NoDimNeededBelowMatryoshkasSmallestSize) {
  if (!std::filesystem::exists(test::tokenizer_dir() + "/tokenizer.json")) {
    if (test::strict()) FAIL() << "no tokenizer in " << test::tokenizer_dir() << ": run scripts/setup.sh";
    GTEST_SKIP() << "no tokenizer: run scripts/setup.sh";
  }
  ModelConfig c = test::small_config();
  c.hidden_size = 16, c.num_attention_heads = 2, c.num_key_value_heads = 1, c.head_dim = 8, c.vocab_size = 151669;
  cpu::CpuBackend backend(c, random_host_weights(c, 3));
  const Tokenizer tok = Tokenizer::from_dir(test::tokenizer_dir());
  const auto out = embed_texts(backend, tok, {"hello"}, {}, [](const std::string&) {});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].values.size(), 16u);
  EmbedOptions dim8;
  dim8.dim = 8;
  EXPECT_THROW(embed_texts(backend, tok, {"hello"}, dim8, [](const std::string&) {}), InputError);
}
