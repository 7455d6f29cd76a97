// cuda_opt against references: each fused GEMM (both paths, both ladder kernels) against cuBLAS's fp32-output
// product on odd shapes, the whole bf16 forward pass against ref_cpu layer by layer and op by op (tiny model and a
// random config), CUDA-graph replay against kernel-by-kernel launches, a 32k-token sequence, GGUF models with
// quantised projections (the weight-only GEMMs), and bad input.
// Every test that needs a GPU skips, with the reason, when there is none.
#include <gtest/gtest.h>

#if !defined(QWEN3_HAVE_CUDA_OPT)
TEST(CudaOpt, NotBuilt) { GTEST_SKIP() << "built without CUDA and cuBLAS: the cuda_opt backend is not in this build"; }
#else

#include <cmath>
#include <string>
#include <vector>

#include "core/batch.h"
#include "core/error.h"
#include "core/model_dir.h"
#include "core/pooling.h"
#include "core/safetensors.h"
#include "core/tolerances.h"
#include "core/weights.h"
#include "cuda_common/device.h"
#include "cuda_opt/cuda_opt_backend.h"
#include "cuda_opt/gemm/gemm.h"
#include "cuda_opt/linear.h"
#include "ref_cpu/cpu_backend.h"
#include "tests/gpu_test_util.h"
#include "tests/test_util.h"

using namespace qwen3;
using cuda_opt::bf16;
using cuda_opt::GemmPath;

namespace {

// A config with every feature of the real ones and head_dim 32 (the attention kernel takes 32, 64 or 128).
ModelConfig opt_config() {
  ModelConfig c;
  c.hidden_size = 128, c.intermediate_size = 192, c.num_hidden_layers = 3;
  c.num_attention_heads = 4, c.num_key_value_heads = 2, c.head_dim = 32;
  c.vocab_size = 500, c.max_position_embeddings = 4096, c.rms_norm_eps = 1e-6, c.rope_theta = 1e6;
  return c;
}

// bf16 round trip on the host (round to nearest even), for references on the exact bf16 inputs.
float bf16_round(float x) { return bf16_to_f32(f32_to_bf16(x)); }

std::vector<float> to_f32(const std::vector<bf16>& v) {
  std::vector<float> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = __bfloat162float(v[i]);
  return out;
}
std::vector<bf16> to_bf16(const std::vector<float>& v) {
  std::vector<bf16> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = __float2bfloat16_rn(v[i]);
  return out;
}

double rel(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  return relative_error(a.data(), b.data(), static_cast<int64_t>(b.size()));
}

// One fused-GEMM case: random bf16 x [M, K] and W [N, K], and the fp32 reference x Wᵀ from cuBLAS (pedantic).
struct GemmCase {
  int M, N, K;
  std::vector<float> x, W, ref;  // x and W hold exactly the bf16 values
  DeviceBuffer<bf16> dx, dW;
  GemmCase(int m, int n, int k, unsigned seed) : M(m), N(n), K(k) {
    x = test::random_vector(size_t(M) * K, seed), W = test::random_vector(size_t(N) * K, seed + 1);
    for (float& v : x) v = bf16_round(v);
    for (float& v : W) v = bf16_round(v * 0.1f);
    dx = DeviceBuffer<bf16>::from_host(to_bf16(x), "x");
    dW = DeviceBuffer<bf16>::from_host(to_bf16(W), "W");
    DeviceBuffer<float> dref(size_t(M) * N, "ref");
    gemm::CublasHandle h(true);
    gemm::gemm_00_cublas_bf16(h.get(), dx.data(), dW.data(), dref.data(), M, N, K, nullptr);
    ref = dref.to_host("ref");
  }
};

// The contexts a fused GEMM is checked under: cuBLAS, the ladder with step 10 where it can run, step 9.
std::vector<cuda_opt::LinearContext> contexts(gemm::CublasHandle& h) {
  std::vector<cuda_opt::LinearContext> v;
  v.push_back({GemmPath::kCublas, false, h.get()});
  v.push_back({GemmPath::kLadder, false, nullptr});  // step 9
  if (cuda_opt::linear_wgmma_available()) v.push_back({GemmPath::kLadder, true, nullptr});  // step 10
  return v;
}
std::string describe(const cuda_opt::LinearContext& c) {
  return c.path == GemmPath::kCublas ? "cublas" : c.wgmma ? "ladder/wgmma" : "ladder/mma.sync";
}

}  // namespace

// ---- (1) the fused GEMMs -------------------------------------------------------------------------------------

// Shapes: M not a multiple of the 128-row tile; K a multiple of 8 (TMA path) and not (guarded step-9 path).
class FusedGemm : public ::testing::TestWithParam<int> {};

TEST_P(FusedGemm, StoreBf16AddF32AndSwiGLUMatchCublas) {
  QWEN3_REQUIRE_GPU();
  const int K = GetParam();
  GemmCase g(333, 600, K, 11);
  gemm::CublasHandle h;
  for (const auto& ctx : contexts(h)) {
    SCOPED_TRACE(describe(ctx) + ", K=" + std::to_string(K));
    // y = x Wᵀ in bf16: only the final rounding differs (2⁻⁹ relative at most)
    DeviceBuffer<bf16> y(size_t(g.M) * g.N, "y");
    QWEN3_CUDA_CHECK(cudaMemset(y.data(), 0xFF, y.bytes()), "poison");
    cuda_opt::linear_store_bf16(ctx, g.dx.data(), g.dW.data(), g.M, g.K, g.N, y.data(), nullptr);
    const std::vector<float> yh = to_f32(y.to_host("y"));
    EXPECT_LE(rel(yh, g.ref), 4e-3);
    // resid += x Wᵀ in fp32
    const std::vector<float> r0 = test::random_vector(size_t(g.M) * g.N, 5);
    auto resid = DeviceBuffer<float>::from_host(r0, "resid");
    cuda_opt::linear_add_f32(ctx, g.dx.data(), g.dW.data(), g.M, g.K, g.N, resid.data(), nullptr);
    std::vector<float> want(r0.size());
    for (size_t i = 0; i < want.size(); ++i) want[i] = r0[i] + g.ref[i];
    EXPECT_LE(rel(resid.to_host("resid"), want), 1e-5);
    // SwiGLU over interleaved rows: y[m, i] = silu(C[m, 2i]) · C[m, 2i + 1]
    const int I = g.N / 2;
    DeviceBuffer<bf16> act(size_t(g.M) * I, "act"), scratch(size_t(g.M) * g.N, "scratch");
    QWEN3_CUDA_CHECK(cudaMemset(act.data(), 0xFF, act.bytes()), "poison");
    cuda_opt::linear_swiglu(ctx, g.dx.data(), g.dW.data(), g.M, g.K, I, act.data(), scratch.data(), nullptr);
    std::vector<float> sw(size_t(g.M) * I);
    for (int m = 0; m < g.M; ++m) {
      for (int i = 0; i < I; ++i) {
        float gate = g.ref[size_t(m) * g.N + 2 * i], up = g.ref[size_t(m) * g.N + 2 * i + 1];
        if (ctx.path == GemmPath::kCublas) gate = bf16_round(gate), up = bf16_round(up);  // its bf16 scratch
        sw[size_t(m) * I + i] = gate / (1.0f + std::exp(-gate)) * up;
      }
    }
    EXPECT_LE(rel(to_f32(act.to_host("act")), sw), 1e-2);
  }
}
// K = 8200: 129 k-tiles, long enough for step 10 to share its 9 tiles along k among the SMs (tile_schedule.h), so
// each fused epilogue also runs after the partial sums are added.
INSTANTIATE_TEST_SUITE_P(K, FusedGemm, ::testing::Values(264, 250, 8200));

TEST(FusedGemmErrors, OddOutputWidthAndBadPathAreInputErrors) {
  cuda_opt::LinearContext ctx;  // argument checks come before any CUDA call: no GPU needed
  EXPECT_THROW(cuda_opt::linear_store_bf16(ctx, nullptr, nullptr, 4, 8, 7, nullptr, nullptr), InputError);
  EXPECT_THROW(cuda_opt::parse_gemm_path("tensorcore"), InputError);
  EXPECT_EQ(cuda_opt::parse_gemm_path("cublas"), GemmPath::kCublas);
}

// ---- (2) the forward pass against ref_cpu ----------------------------------------------------------------------

namespace {

std::vector<std::vector<int32_t>> mixed_sequences(int64_t vocab) {
  return synthetic_sequences({1, 7, 64, 65, 300}, vocab, 77);
}

// Every kept state and every op cuda_opt records, against the CPU, within the bf16 tolerance.
void expect_close_to_cpu(Backend& opt, Backend& cpu_backend) {
  const ModelConfig& c = opt.config();
  const Tolerance tol = tolerance_for("cpu", "cuda_opt");
  const Batch batch = Batch::pack(mixed_sequences(c.vocab_size));
  ForwardOptions o;
  o.keep_hidden_states = true;
  o.keep_op_outputs = true;
  const ForwardOutput a = opt.forward(batch, o);
  const ForwardOutput b = cpu_backend.forward(batch, o);
  int matched = 0;
  for (const OpOutput& x : a.op_outputs) {
    for (const OpOutput& y : b.op_outputs) {
      if (x.name != y.name) continue;
      ++matched;
      EXPECT_LE(rel(x.values, y.values), tol.layer_rel) << x.name;
    }
  }
  EXPECT_EQ(matched, 9 * c.num_hidden_layers) << "cuda_opt records 9 ops per layer under ref_cpu's names";
  ASSERT_EQ(a.hidden_states.size(), b.hidden_states.size());
  for (size_t l = 0; l < a.hidden_states.size(); ++l) {
    EXPECT_LE(rel(a.hidden_states[l], b.hidden_states[l]), tol.layer_rel) << "hidden state " << l;
  }
  const int64_t H = c.hidden_size;
  ASSERT_EQ(a.embeddings.size(), b.embeddings.size());
  for (int64_t s = 0; s < batch.num_sequences(); ++s) {
    EXPECT_GE(cosine(a.embeddings.data() + s * H, b.embeddings.data() + s * H, H), tol.embedding_cos) << "seq " << s;
  }
}

}  // namespace

TEST(CudaOptForward, TinyModelMatchesCpuOnBothGemmPaths) {
  QWEN3_REQUIRE_GPU();
  const std::string dir = test::tiny_model_dir();
  QWEN3_REQUIRE_PATH(dir + "/model.safetensors");
  const auto cpu_backend = cpu::CpuBackend::from_dir(dir);
  for (GemmPath path : {GemmPath::kLadder, GemmPath::kCublas}) {
    SCOPED_TRACE(cuda_opt::gemm_path_name(path));
    CudaOptOptions opt;
    opt.gemm = path;
    const auto gpu = CudaOptBackend::from_dir(dir, opt);
    EXPECT_EQ(gpu->name(), "cuda_opt");
    expect_close_to_cpu(*gpu, *cpu_backend);
  }
}

TEST(CudaOptForward, RandomConfigMatchesCpu) {
  QWEN3_REQUIRE_GPU();
  const ModelConfig c = opt_config();
  const auto gpu = CudaOptBackend::random(c, 7);
  cpu::CpuBackend cpu_backend(c, random_host_weights(c, 7));
  expect_close_to_cpu(*gpu, cpu_backend);
}

// A replayed graph runs the same kernels on the same buffers: the same bits as kernel-by-kernel launches, for
// this batch and for another batch of the same shape (new ids, new sequence boundaries).
TEST(CudaOptForward, GraphReplayEqualsKernelByKernel) {
  QWEN3_REQUIRE_GPU();
  const ModelConfig c = opt_config();
  CudaOptOptions eager;
  eager.graph = false;
  const auto with_graph = CudaOptBackend::random(c, 3);
  const auto without = CudaOptBackend::random(c, 3, eager);
  const Batch a = Batch::pack(synthetic_sequences({5, 40, 3}, c.vocab_size, 1));
  const Batch b = Batch::pack(synthetic_sequences({40, 3, 5}, c.vocab_size, 2));  // same T, B, longest
  const auto first = with_graph->forward(a);    // kernel by kernel, then captured
  const auto replay_a = with_graph->forward(a);
  const auto replay_b = with_graph->forward(b);
  EXPECT_EQ(first.embeddings, without->forward(a).embeddings);
  EXPECT_EQ(replay_a.embeddings, first.embeddings);
  EXPECT_EQ(replay_b.embeddings, without->forward(b).embeddings);
  EXPECT_NE(replay_b.embeddings, replay_a.embeddings);
}

TEST(CudaOptForward, PackedBatchEqualsOneAtATime) {
  QWEN3_REQUIRE_GPU();
  const ModelConfig c = opt_config();
  const auto gpu = CudaOptBackend::random(c, 5);
  const auto seqs = mixed_sequences(c.vocab_size);
  const auto batched = gpu->forward(Batch::pack(seqs));
  const int64_t H = c.hidden_size;
  for (size_t s = 0; s < seqs.size(); ++s) {
    const auto single = gpu->forward(Batch::pack({seqs[s]}));
    // the same math per row, but the GEMM tiles see other rows beside it: only the order of nothing changes,
    // so this is exact up to bf16 ties; a loose bound still catches any cross-sequence leak
    EXPECT_GE(cosine(batched.embeddings.data() + s * H, single.embeddings.data(), H), 0.9999) << "sequence " << s;
  }
}

// Far past position 300 (the longest the other comparisons reach): a 4000-token sequence packed with two short
// ones through the tiny model, every layer's state compared value by value with ref_cpu at every position, so
// that an error that grows with position (RoPE angles at large p, attention tiles past the first few, the online
// softmax over many tiles) shows in the rows where it happens, not only in a norm over the whole batch.
TEST(CudaOptForward, LongSequenceMatchesCpuAtEveryPosition) {
  QWEN3_REQUIRE_GPU();
  const std::string dir = test::tiny_model_dir();
  QWEN3_REQUIRE_PATH(dir + "/model.safetensors");
  const auto cpu_backend = cpu::CpuBackend::from_dir(dir);
  const auto gpu = CudaOptBackend::from_dir(dir, CudaOptOptions{});
  const ModelConfig& c = gpu->config();
  const Tolerance tol = tolerance_for("cpu", "cuda_opt");
  const Batch batch = Batch::pack(synthetic_sequences({5, 4000, 17}, c.vocab_size, 31));
  ForwardOptions o;
  o.keep_hidden_states = true;
  const ForwardOutput a = gpu->forward(batch, o);
  const ForwardOutput b = cpu_backend->forward(batch, o);
  const int64_t H = c.hidden_size, T = batch.num_tokens();
  ASSERT_EQ(a.hidden_states.size(), b.hidden_states.size());
  for (size_t l = 0; l < a.hidden_states.size(); ++l) {
    ASSERT_EQ(a.hidden_states[l].size(), size_t(T * H));
    // each token's row on its own (a row is 64 values: allow twice the whole-state bound), and the worst row's
    // position reported, so a failure says where along the sequence it starts
    double worst = 0;
    int64_t worst_row = -1;
    for (int64_t t = 0; t < T; ++t) {
      const double e = relative_error(a.hidden_states[l].data() + t * H, b.hidden_states[l].data() + t * H, H);
      ASSERT_TRUE(std::isfinite(e)) << "hidden state " << l << ", row " << t;
      if (e > worst) worst = e, worst_row = t;
    }
    EXPECT_LE(worst, 2 * tol.layer_rel) << "hidden state " << l << ": worst row " << worst_row << " of " << T;
    // the rows past position 300 of the long sequence together (it starts at row 5)
    const int64_t from = 5 + 300, to = 5 + 4000;
    EXPECT_LE(relative_error(a.hidden_states[l].data() + from * H, b.hidden_states[l].data() + from * H,
                             (to - from) * H),
              tol.layer_rel)
        << "hidden state " << l << ", positions 300-3999";
  }
  for (int64_t s = 0; s < batch.num_sequences(); ++s) {
    EXPECT_GE(cosine(a.embeddings.data() + s * H, b.embeddings.data() + s * H, H), tol.embedding_cos) << "seq " << s;
  }
}

// 32k tokens in one sequence: attention never holds the 32768² scores (128 GiB in fp32 for 32 heads), so it fits.
TEST(CudaOptForward, A32kTokenSequenceFits) {
  QWEN3_REQUIRE_GPU();
  ModelConfig c = ModelConfig::preset("0.6b");
  const auto gpu = CudaOptBackend::random(c, 1);
  const auto out = gpu->forward(Batch::pack(synthetic_sequences({32768}, c.vocab_size, 9)));
  ASSERT_EQ(out.embeddings.size(), size_t(c.hidden_size));
  double norm = 0;
  for (float v : out.embeddings) {
    ASSERT_TRUE(std::isfinite(v));
    norm += double(v) * v;
  }
  EXPECT_NEAR(norm, 1.0, 1e-3);
}

// ---- (3) bad input -----------------------------------------------------------------------------------------------

TEST(CudaOptErrors, BadBatchesAreInputErrors) {
  QWEN3_REQUIRE_GPU();
  const ModelConfig c = opt_config();
  const auto gpu = CudaOptBackend::random(c, 1);
  EXPECT_THROW(gpu->forward(Batch::pack({std::vector<int32_t>(4097, 1)})), InputError);  // > max_position
  EXPECT_THROW(gpu->forward(Batch::pack({{1, 2, 500}})), InputError);                   // id == vocab_size
}

// A GGUF model with Q8_0 or Q4_K projections (written by qwen3emb quantize, --config small: 2 layers, rows of 256):
// with --gemm ladder cuda_opt uploads the quantised projections and runs the weight-only GEMMs (quant_gemm/) up to
// kQuantMaxTokens tokens, the bf16 GEMMs on the dequantised copy above; both against the CPU on the same file. The
// CPU multiplies the same dequantised weights in fp32, so cuda_opt's usual bf16 tolerance applies.
void expect_quantised_matches_cpu(const std::string& type, const std::string& expect_types) {
  test::TempDir dir;
  const std::string path = dir.file("small-" + type + ".gguf");
  const auto w = test::write_small_gguf(path, type, 3);
  ASSERT_EQ(w.status, 0) << w.err;
  const ModelConfig c = load_model_config(path);
  cpu::CpuBackend cpu_backend(c, load_model_weights(path, c));
  const auto gpu = CudaOptBackend::from_dir(path);
  EXPECT_EQ(gpu->quantised_projections(), 4 * c.num_hidden_layers);
  EXPECT_NE(gpu->quantised_description().find(expect_types), std::string::npos) << gpu->quantised_description();
  const Tolerance tol = tolerance_for("cpu", "cuda_opt");
  // 1 + 6 + 9 = 16 tokens: the weight-only GEMMs; 1 + 6 + 9 + 40: the bf16 ones
  for (const std::vector<int64_t>& lengths : {std::vector<int64_t>{1}, {1, 6, 9}, {1, 6, 9, 40}}) {
    const Batch batch = Batch::pack(synthetic_sequences(lengths, c.vocab_size, 5));
    ForwardOptions o;
    o.keep_hidden_states = true;
    const ForwardOutput a = gpu->forward(batch, o), b = cpu_backend.forward(batch, o);
    ASSERT_EQ(a.hidden_states.size(), b.hidden_states.size());
    for (size_t l = 0; l < a.hidden_states.size(); ++l)
      EXPECT_LE(rel(a.hidden_states[l], b.hidden_states[l]), tol.layer_rel) << batch.num_tokens() << " tokens, state " << l;
    for (int64_t s = 0; s < batch.num_sequences(); ++s)
      EXPECT_GE(cosine(a.embeddings.data() + s * c.hidden_size, b.embeddings.data() + s * c.hidden_size, c.hidden_size),
                tol.embedding_cos)
          << batch.num_tokens() << " tokens, seq " << s;
  }
  CudaOptOptions cublas;
  cublas.gemm = GemmPath::kCublas;
  EXPECT_EQ(CudaOptBackend::from_dir(path, cublas)->quantised_projections(), 0) << "--gemm cublas keeps bf16 only";
}

TEST(CudaOptQuantised, Q8_0ModelRunsTheW8A16GemmsAndMatchesCpu) {
  QWEN3_REQUIRE_GPU();
  expect_quantised_matches_cpu("q8_0", "Q8_0");
}

TEST(CudaOptQuantised, Q4_KModelRunsTheW4A16GemmsAndMatchesCpu) {
  QWEN3_REQUIRE_GPU();
  expect_quantised_matches_cpu("q4_k", "Q4_K");
}

TEST(CudaOptErrors, UnsupportedHeadDimIsAnInputError) {
  QWEN3_REQUIRE_GPU();
  ModelConfig c = opt_config();
  c.head_dim = 48;
  EXPECT_THROW(CudaOptBackend::random(c, 1), InputError);
}

TEST(CudaOptErrors, ModelTooLargeForTheGpuIsAnInputError) {
  QWEN3_REQUIRE_GPU();
  ModelConfig c = ModelConfig::preset("8b");
  c.num_hidden_layers = 2000;  // ~1 TB of bf16 weights
  try {
    CudaOptBackend::random(c, 1);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("backend 'cuda_opt'"), std::string::npos) << e.what();
  }
}

TEST(CudaOptErrors, NoDeviceIsNamedInTheError) {
  if (test::no_gpu_reason().empty()) GTEST_SKIP() << "a CUDA device is present";
  try {
    CudaOptBackend::random(opt_config(), 1);
    FAIL() << "expected CudaError";
  } catch (const CudaError& e) {
    EXPECT_NE(std::string(e.what()).find("backend 'cuda_opt': no CUDA device"), std::string::npos) << e.what();
  }
}

#endif  // QWEN3_HAVE_CUDA_OPT
