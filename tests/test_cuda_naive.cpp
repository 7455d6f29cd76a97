// cuda_naive against ref_cpu: each kernel against the ref_cpu op it mirrors (odd sizes, random inputs), random
// weights drawn on the device against the host ones bit for bit, the whole forward pass layer by layer against
// CpuBackend (tiny model and a random config), packed batches against one sequence at a time, and bad input.
// Every test that needs a GPU skips, with the reason, when there is none.
#include <gtest/gtest.h>

#if !defined(QWEN3_HAVE_CUDA)
// Built without the CUDA backends (qwen3_cuda_naive, which defines QWEN3_HAVE_CUDA, is not linked): nothing to test.
TEST(CudaNaive, NotBuilt) { GTEST_SKIP() << "built without CUDA: the cuda_naive backend is not part of this build"; }
#else

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/batch.h"
#include "core/error.h"
#include "core/pooling.h"
#include "core/tolerances.h"
#include "core/weights.h"
#include "cuda_common/device.h"
#include "cuda_common/rope_inv_freq.h"
#include "cuda_naive/cuda_naive_backend.h"
#include "cuda_naive/kernels.cuh"
#include "ref_cpu/cpu_backend.h"
#include "ref_cpu/ops.h"
#include "tests/gpu_test_util.h"
#include "tests/test_util.h"

using namespace qwen3;

using qwen3::test::random_vector;
using qwen3::test::small_config;

namespace {

std::vector<int32_t> random_ids(size_t n, int32_t vocab, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int32_t> dist(0, vocab - 1);
  std::vector<int32_t> v(n);
  for (int32_t& x : v) x = dist(gen);
  return v;
}

double rel(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  return relative_error(a.data(), b.data(), static_cast<int64_t>(b.size()));
}

template <typename T>
DeviceBuffer<T> to_device(const std::vector<T>& v) {
  return DeviceBuffer<T>::from_host(v, "test input");
}

template <typename T>
std::vector<T> to_host(const DeviceBuffer<T>& b) {
  return b.to_host("test output");
}

// Sequences of lengths 1, 7, 64 and 300 with random ids below `vocab`.
std::vector<std::vector<int32_t>> test_sequences(int32_t vocab) {
  std::vector<std::vector<int32_t>> seqs;
  unsigned seed = 100;
  for (size_t len : {1, 7, 64, 300}) seqs.push_back(random_ids(len, vocab, seed++));
  return seqs;
}

constexpr cudaStream_t kDefaultStream = nullptr;  // kernels on the legacy stream; cudaMemcpy waits for them

}  // namespace

// ---- (1) each kernel against its ref_cpu op ---------------------------------------------------------------

TEST(CudaNaiveKernels, EmbeddingGather) {
  QWEN3_REQUIRE_GPU();
  const int64_t T = 37, V = 50, H = 40;
  const auto ids = random_ids(T, V, 1);
  const auto E = random_vector(V * H, 2);
  std::vector<float> ref(T * H);
  cpu::embedding_gather(ids.data(), T, E.data(), H, ref.data());
  auto d_ids = to_device(ids);
  auto d_E = to_device(E);
  DeviceBuffer<float> d_out(T * H, "out");
  cuda_naive::launch_embedding_gather(d_ids.data(), T, d_E.data(), H, d_out.data(), kDefaultStream);
  EXPECT_EQ(to_host(d_out), ref);  // a copy: bit for bit
}

TEST(CudaNaiveKernels, RmsNormRowsAndHeadsAndInPlace) {
  QWEN3_REQUIRE_GPU();
  const float eps = 1e-6f;
  // (rows, n): the layer norm on [T=37, H=40], and the per-head norm on [T·heads = 37·6, D = 8]
  for (const auto& [rows, n] : {std::pair<int64_t, int64_t>{37, 40}, {37 * 6, 8}}) {
    const auto x = random_vector(rows * n, 3);
    auto w = random_vector(n, 4);
    for (float& wi : w) wi = 1.0f + 0.1f * wi;
    std::vector<float> ref(rows * n);
    cpu::rms_norm(x.data(), w.data(), rows, n, eps, ref.data());
    auto d_x = to_device(x);
    auto d_w = to_device(w);
    DeviceBuffer<float> d_inv(rows, "inv_rms"), d_y(rows * n, "y");
    cuda_naive::launch_rms_norm(d_x.data(), d_w.data(), rows, n, eps, d_inv.data(), d_y.data(), kDefaultStream);
    EXPECT_LE(rel(to_host(d_y), ref), 1e-5) << "rows=" << rows << " n=" << n;
    // in place (x and y alias), as used for q_norm, k_norm and the final norm
    cuda_naive::launch_rms_norm(d_x.data(), d_w.data(), rows, n, eps, d_inv.data(), d_x.data(), kDefaultStream);
    EXPECT_LE(rel(to_host(d_x), ref), 1e-5) << "in place, rows=" << rows << " n=" << n;
  }
}

TEST(CudaNaiveKernels, LinearIsXTimesWTransposed) {
  QWEN3_REQUIRE_GPU();
  const int64_t T = 33, in = 47, out = 29;
  const auto x = random_vector(T * in, 5), W = random_vector(out * in, 6);
  std::vector<float> ref(T * out);
  cpu::linear(x.data(), W.data(), T, in, out, ref.data());
  auto d_x = to_device(x);
  auto d_W = to_device(W);
  DeviceBuffer<float> d_y(T * out, "y");
  cuda_naive::launch_linear(d_x.data(), d_W.data(), T, in, out, d_y.data(), kDefaultStream);
  EXPECT_LE(rel(to_host(d_y), ref), 1e-5);
}

TEST(CudaNaiveKernels, RopeAtPositionsUpTo3000) {
  QWEN3_REQUIRE_GPU();
  const int64_t T = 37;
  const double theta = 1e6;
  std::vector<int32_t> pos = random_ids(T, 3001, 7);  // positions in [0, 3000]
  pos[0] = 0, pos[1] = 3000, pos[2] = 1;
  for (const auto& [heads, D] : {std::pair<int64_t, int64_t>{6, 8}, {2, 128}}) {
    const auto x = random_vector(T * heads * D, 8);
    auto ref = x;
    cpu::apply_rope(ref.data(), pos.data(), T, heads, D, theta);
    auto d_x = to_device(x);
    auto d_pos = to_device(pos);
    auto d_inv_freq = to_device(rope_inv_freq(D, theta));
    cuda_naive::launch_apply_rope(d_x.data(), d_pos.data(), d_inv_freq.data(), T, heads, D, kDefaultStream);
    const auto y = to_host(d_x);
    EXPECT_LE(rel(y, ref), 1e-5) << "heads=" << heads << " D=" << D;
    for (int64_t i = 0; i < heads * D; ++i) ASSERT_EQ(y[i], x[i]) << "position 0 must be the identity";
  }
}

// Passes 2-4 alone: the softmax of rows of scores computed by pass 1, against the same passes on the host.
TEST(CudaNaiveKernels, CausalSoftmaxRows) {
  QWEN3_REQUIRE_GPU();
  const int64_t NH = 6, NKV = 2, D = 8, len = 31, T = len;
  const auto q = random_vector(T * NH * D, 9), k = random_vector(T * NKV * D, 10);
  auto d_q = to_device(q);
  auto d_k = to_device(k);
  DeviceBuffer<float> d_S(NH * len * len, "S");
  cuda_naive::launch_attention_scores(d_q.data(), d_k.data(), 0, len, NH, NKV, D, d_S.data(), kDefaultStream);
  const auto S = to_host(d_S);
  // Pass 1 against a direct loop, including the mask.
  for (int64_t h = 0; h < NH; ++h)
    for (int64_t i = 0; i < len; ++i)
      for (int64_t j = 0; j < len; ++j) {
        const float s = S[(h * len + i) * len + j];
        if (j > i) {
          ASSERT_TRUE(std::isinf(s) && s < 0) << "masked score (" << h << ", " << i << ", " << j << ")";
          continue;
        }
        double dot = 0;
        for (int64_t d = 0; d < D; ++d) dot += double(q[(i * NH + h) * D + d]) * k[(j * NKV + h / (NH / NKV)) * D + d];
        ASSERT_NEAR(s, dot / std::sqrt(double(D)), 1e-5 * (1 + std::abs(dot)));
      }
  // Passes 2-4 on the host from the same scores.
  std::vector<float> ref(S.size());
  for (int64_t r = 0; r < NH * len; ++r) {
    const int64_t i = r % len;
    const float* row = S.data() + r * len;
    float* p = ref.data() + r * len;
    float m = row[0];
    for (int64_t j = 1; j <= i; ++j) m = std::max(m, row[j]);
    float sum = 0;
    for (int64_t j = 0; j <= i; ++j) sum += (p[j] = std::exp(row[j] - m));
    for (int64_t j = 0; j < len; ++j) p[j] = j <= i ? p[j] / sum : 0.0f;
  }
  cuda_naive::launch_causal_softmax(d_S.data(), NH, len, kDefaultStream);
  const auto P = to_host(d_S);
  EXPECT_LE(rel(P, ref), 1e-5);
  for (int64_t r = 0; r < NH * len; ++r) {
    double sum = 0;
    for (int64_t j = 0; j < len; ++j) sum += P[r * len + j];
    ASSERT_NEAR(sum, 1.0, 1e-5) << "row " << r;
    for (int64_t j = r % len + 1; j < len; ++j) ASSERT_EQ(P[r * len + j], 0.0f) << "masked probability";
  }
}

TEST(CudaNaiveKernels, CausalAttentionOverPackedSequences) {
  QWEN3_REQUIRE_GPU();
  const int64_t NH = 6, NKV = 2, D = 8;
  // lengths 5, 1, 31 and 1, 7, 64, 300
  const std::vector<std::vector<int64_t>> batches = {{0, 5, 6, 37}, {0, 1, 8, 72, 372}};
  for (const std::vector<int64_t>& offsets : batches) {
    const int64_t B = static_cast<int64_t>(offsets.size()) - 1, T = offsets.back();
    const auto q = random_vector(T * NH * D, 11);
    const auto k = random_vector(T * NKV * D, 12), v = random_vector(T * NKV * D, 13);
    std::vector<float> ref(T * NH * D);
    cpu::causal_attention(q.data(), k.data(), v.data(), offsets.data(), B, NH, NKV, D, ref.data());
    int64_t max_len = 0;
    for (int64_t b = 0; b < B; ++b) max_len = std::max(max_len, offsets[b + 1] - offsets[b]);
    auto d_q = to_device(q);
    auto d_k = to_device(k);
    auto d_v = to_device(v);
    const int64_t scores_floats = cuda_naive::attention_scores_floats(NH, max_len);
    DeviceBuffer<float> d_scores(scores_floats, "scores"), d_out(T * NH * D, "out");
    cuda_naive::causal_attention(d_q.data(), d_k.data(), d_v.data(), offsets.data(), B, NH, NKV, D, d_scores.data(),
                                 scores_floats, d_out.data(), kDefaultStream);
    EXPECT_LE(rel(to_host(d_out), ref), 1e-5) << "T=" << T;
  }
}

TEST(CudaNaiveKernels, SiluMulAndAddInplace) {
  QWEN3_REQUIRE_GPU();
  const int64_t n = 37 * 72;
  const auto g = random_vector(n, 14), u = random_vector(n, 15);
  std::vector<float> ref(n);
  cpu::silu_mul(g.data(), u.data(), n, ref.data());
  auto d_g = to_device(g);
  auto d_u = to_device(u);
  cuda_naive::launch_silu_mul(d_g.data(), d_u.data(), n, d_g.data(), kDefaultStream);  // in place, as the forward does
  EXPECT_LE(rel(to_host(d_g), ref), 1e-5);

  auto x = random_vector(n, 16);
  const auto y = random_vector(n, 17);
  auto d_x = to_device(x);
  auto d_y = to_device(y);
  cpu::add_inplace(x.data(), y.data(), n);
  cuda_naive::launch_add_inplace(d_x.data(), d_y.data(), n, kDefaultStream);
  EXPECT_EQ(to_host(d_x), x);  // one correctly rounded addition: bit for bit
}

TEST(CudaNaiveKernels, LastTokenGatherAndL2Normalize) {
  QWEN3_REQUIRE_GPU();
  const int64_t H = 40;
  const std::vector<int64_t> offsets = {0, 5, 6, 37};
  const int64_t B = 3, T = offsets.back();
  const auto x = random_vector(T * H, 18);
  std::vector<float> ref(B * H);
  for (int64_t b = 0; b < B; ++b) {
    std::copy_n(x.data() + (offsets[b + 1] - 1) * H, H, ref.data() + b * H);  // seek to x[last token of b, :]
    l2_normalize(ref.data() + b * H, H);
  }
  auto d_x = to_device(x);
  auto d_offsets = to_device(offsets);
  DeviceBuffer<float> d_emb(B * H, "emb");
  cuda_naive::launch_gather_last_tokens(d_x.data(), d_offsets.data(), B, H, d_emb.data(), kDefaultStream);
  cuda_naive::launch_l2_normalize(d_emb.data(), B, H, kDefaultStream);
  EXPECT_LE(rel(to_host(d_emb), ref), 1e-6);
}

// ---- (2) random weights drawn on the device = host random weights, bit for bit --------------------------------

TEST(CudaNaiveRandomWeights, EqualHostRandomWeightsBitForBit) {
  QWEN3_REQUIRE_GPU();
  const ModelConfig c = small_config();
  const uint64_t seed = 11;
  const auto gpu = CudaNaiveBackend::random(c, seed);
  HostWeights host = random_host_weights(c, seed);
  std::vector<const HostTensor*> host_list;
  for_each_tensor(c, host, [&](const TensorSpec&, HostTensor& t) { host_list.push_back(&t); });
  ModelWeights<DeviceTensor> dev = gpu->weights();
  int checked = 0;
  for_each_tensor(c, dev, [&](const TensorSpec& spec, DeviceTensor& t) {
    const HostTensor& h = *host_list[spec.index];
    ASSERT_EQ(t.shape, h.shape) << spec.name;
    std::vector<float> got(h.data.size());
    QWEN3_CUDA_CHECK(cudaMemcpy(got.data(), t.ptr, got.size() * sizeof(float), cudaMemcpyDeviceToHost), "test");
    EXPECT_EQ(std::memcmp(got.data(), h.data.data(), got.size() * sizeof(float)), 0) << spec.name;
    ++checked;
  });
  EXPECT_EQ(checked, 2 + 11 * c.num_hidden_layers);
}

// ---- (3) the whole forward pass against CpuBackend -----------------------------------------------------------

namespace {

// Runs both backends on sequences of lengths 1, 7, 64, 300; checks every op's output, every hidden state and
// every embedding against core/tolerances.h's bounds for cpu vs cuda_naive (||a-b||/||b|| <= 1e-4, cos >= 0.99999).
void expect_same_forward(Backend& gpu, Backend& cpu_backend) {
  const Tolerance tol = tolerance_for(gpu.name(), cpu_backend.name());
  const ModelConfig& c = cpu_backend.config();
  const Batch batch = Batch::pack(test_sequences(static_cast<int32_t>(c.vocab_size)));
  ForwardOptions opt;
  opt.keep_hidden_states = true;
  opt.keep_op_outputs = true;
  const ForwardOutput a = gpu.forward(batch, opt);
  const ForwardOutput b = cpu_backend.forward(batch, opt);
  const int64_t T = batch.num_tokens(), H = c.hidden_size;
  ASSERT_EQ(a.op_outputs.size(), b.op_outputs.size());
  for (size_t i = 0; i < a.op_outputs.size(); ++i) {
    ASSERT_EQ(a.op_outputs[i].name, b.op_outputs[i].name);
    EXPECT_LE(rel(a.op_outputs[i].values, b.op_outputs[i].values), tol.layer_rel) << a.op_outputs[i].name;
  }
  ASSERT_EQ(a.hidden_states.size(), size_t(c.num_hidden_layers + 2));
  ASSERT_EQ(b.hidden_states.size(), a.hidden_states.size());
  for (size_t l = 0; l < a.hidden_states.size(); ++l) {
    ASSERT_EQ(a.hidden_states[l].size(), size_t(T * H));
    EXPECT_LE(rel(a.hidden_states[l], b.hidden_states[l]), tol.layer_rel) << "hidden state " << l;
  }
  ASSERT_EQ(a.embeddings.size(), size_t(batch.num_sequences() * H));
  for (int64_t s = 0; s < batch.num_sequences(); ++s) {
    EXPECT_GE(cosine(a.embeddings.data() + s * H, b.embeddings.data() + s * H, H), tol.embedding_cos)
        << "sequence " << s;
  }
}

}  // namespace

TEST(CudaNaiveForward, TinyModelMatchesCpuLayerByLayer) {
  QWEN3_REQUIRE_GPU();
  const std::string dir = qwen3::test::tiny_model_dir();
  QWEN3_REQUIRE_PATH(dir + "/model.safetensors");
  const auto gpu = CudaNaiveBackend::from_dir(dir);
  const auto cpu_backend = cpu::CpuBackend::from_dir(dir);
  EXPECT_EQ(gpu->name(), "cuda_naive");
  expect_same_forward(*gpu, *cpu_backend);
}

TEST(CudaNaiveForward, RandomConfigMatchesCpuLayerByLayer) {
  QWEN3_REQUIRE_GPU();
  const ModelConfig c = small_config();
  const auto gpu = CudaNaiveBackend::random(c, 7);
  cpu::CpuBackend cpu_backend(c, random_host_weights(c, 7));
  expect_same_forward(*gpu, cpu_backend);
}

// Uploading host weights gives the same model as drawing them on the device.
TEST(CudaNaiveForward, UploadedWeightsEqualDeviceDrawnWeights) {
  QWEN3_REQUIRE_GPU();
  const ModelConfig c = small_config();
  CudaNaiveBackend uploaded(c, random_host_weights(c, 3));
  const auto drawn = CudaNaiveBackend::random(c, 3);
  const Batch batch = Batch::pack({{1, 2, 3, 4, 5}, {6, 7}});
  EXPECT_EQ(uploaded.forward(batch).embeddings, drawn->forward(batch).embeddings);
}

// ---- (4) a packed batch equals its sequences run one at a time -----------------------------------------------

TEST(CudaNaiveForward, PackedBatchEqualsOneAtATime) {
  QWEN3_REQUIRE_GPU();
  const ModelConfig c = small_config();
  const auto gpu = CudaNaiveBackend::random(c, 5);
  const auto seqs = test_sequences(static_cast<int32_t>(c.vocab_size));
  const auto batched = gpu->forward(Batch::pack(seqs));
  const int64_t H = c.hidden_size;
  for (size_t s = 0; s < seqs.size(); ++s) {
    const auto single = gpu->forward(Batch::pack({seqs[s]}));
    EXPECT_LE(relative_error(batched.embeddings.data() + s * H, single.embeddings.data(), H), 1e-5) << "sequence " << s;
  }
}

// ---- (5) bad input ---------------------------------------------------------------------------------------------

TEST(CudaNaiveErrors, BadBatchesAreInputErrors) {
  QWEN3_REQUIRE_GPU();
  const ModelConfig c = small_config();
  const auto gpu = CudaNaiveBackend::random(c, 1);
  EXPECT_THROW(Batch::pack({}), InputError);                                          // empty batch
  EXPECT_THROW(gpu->forward(Batch::pack({std::vector<int32_t>(513, 1)})), InputError);  // > max_position_embeddings
  EXPECT_THROW(gpu->forward(Batch::pack({{1, 2, 500}})), InputError);                 // id == vocab_size
}

TEST(CudaNaiveErrors, ModelTooLargeForTheGpuIsAnInputError) {
  QWEN3_REQUIRE_GPU();
  ModelConfig c = ModelConfig::preset("8b");
  c.num_hidden_layers = 36 * 100;  // ~3 TB of f32 weights
  try {
    CudaNaiveBackend::random(c, 1);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bytes of GPU memory"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("cuda_naive"), std::string::npos) << e.what();
  }
}

// The forward pass checks its buffers too: one 200,000-token sequence needs 6·200000² scores (960 GB).
TEST(CudaNaiveErrors, AttentionScoresTooLargeForTheGpuIsAnInputError) {
  QWEN3_REQUIRE_GPU();
  ModelConfig c = small_config();
  c.max_position_embeddings = 1 << 20;
  const auto gpu = CudaNaiveBackend::random(c, 1);
  try {
    gpu->forward(Batch::pack({std::vector<int32_t>(200000, 1)}));
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bytes of GPU memory"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("attention scores"), std::string::npos) << e.what();
  }
}

// Without a GPU the constructor says so in one line (this one runs only where the others skip).
TEST(CudaNaiveErrors, NoDeviceIsNamedInTheError) {
  if (qwen3::test::no_gpu_reason().empty()) GTEST_SKIP() << "a CUDA device is present";
  try {
    CudaNaiveBackend::random(small_config(), 1);
    FAIL() << "expected CudaError";
  } catch (const CudaError& e) {
    EXPECT_NE(std::string(e.what()).find("backend 'cuda_naive': no CUDA device"), std::string::npos) << e.what();
  }
}

#endif  // QWEN3_HAVE_CUDA
