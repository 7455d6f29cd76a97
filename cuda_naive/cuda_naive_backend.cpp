// The Qwen3 forward pass on the GPU, step by step, in fp32. The same steps in the same order as
// ref_cpu/cpu_backend.cpp, with the same scratch buffer names; each block names the line of Hugging Face's
// modeling_qwen3.py it implements. Every op is one launcher from kernels.cuh, queued on one stream; the host
// waits once, at the end (with keep_hidden_states / keep_op_outputs, each copy into pageable host memory also
// waits for the work before it: debugging options, not the fast path). Shapes: T tokens (packed batch), H hidden, I intermediate, NH/NKV query/KV heads,
// D head_dim, B sequences, L layers.
#include "cuda_naive/cuda_naive_backend.h"

#include <iterator>
#include <vector>

#include "core/error.h"
#include "core/model_dir.h"
#include "core/safetensors.h"
#include "cuda_common/fill_random.h"
#include "cuda_common/rope_inv_freq.h"
#include "cuda_naive/kernels.cuh"

namespace qwen3 {

using namespace cuda_naive;  // the launchers of kernels.cuh

namespace {

const char* const kWho = "backend 'cuda_naive'";

// Every weight tensor starts on a 256-byte boundary (64 floats), as if each had its own cudaMalloc.
constexpr int64_t kAlignFloats = 64;
int64_t aligned(int64_t floats) { return (floats + kAlignFloats - 1) / kAlignFloats * kAlignFloats; }

// Throws (CudaError) when there is no device: the first thing every constructor does.
const ModelConfig& with_device(const ModelConfig& c) {
  require_cuda_device(kWho);
  return c;
}

}  // namespace

uint64_t CudaNaiveBackend::weight_bytes(const ModelConfig& c) {
  uint64_t floats = 0;
  for (const TensorSpec& spec : tensor_specs(c)) floats += static_cast<uint64_t>(aligned(numel(spec.shape)));
  return floats * sizeof(float);
}

CudaNaiveBackend::CudaNaiveBackend(const ModelConfig& config) : config_(with_device(config)) {
  const ModelConfig& c = config_;
  // All the weights in one allocation, after checking that it fits.
  const uint64_t bytes = weight_bytes(c);
  require_device_memory(bytes, std::string(kWho) + ": the f32 weights of " + describe(c));
  weight_storage_ = DeviceBuffer<float>(bytes / sizeof(float), "the f32 weights of " + describe(c));
  // Give each named tensor its slice, in for_each_tensor's canonical order.
  w_.layers.resize(c.num_hidden_layers);
  int64_t offset = 0;
  for_each_tensor(c, w_, [&](const TensorSpec& spec, DeviceTensor& t) {
    t.ptr = weight_storage_.data() + offset;  // seek to this tensor's first float
    t.shape = spec.shape;
    offset += aligned(numel(spec.shape));
  });
  // RoPE's inverse frequencies, computed once on the host exactly as ref_cpu does (cuda_common/rope_inv_freq.h).
  inv_freq_ = DeviceBuffer<float>::from_host(rope_inv_freq(c.head_dim, c.rope_theta), "RoPE inv_freq");
}

CudaNaiveBackend::CudaNaiveBackend(const ModelConfig& config, const HostWeights& weights) : CudaNaiveBackend(config) {
  const ModelConfig& c = config_;
  if (static_cast<int64_t>(weights.layers.size()) != c.num_hidden_layers) {
    throw ShapeError(std::string(kWho) + ": the host weights have " + std::to_string(weights.layers.size()) +
                     " layers but the config has " + std::to_string(c.num_hidden_layers));
  }
  // The host tensors in canonical order. (for_each_tensor takes a non-const reference because loaders fill the
  // tensors through it; this walk only reads them.)
  std::vector<const HostTensor*> host;
  for_each_tensor(c, const_cast<HostWeights&>(weights), [&](const TensorSpec&, HostTensor& t) { host.push_back(&t); });
  for_each_tensor(c, w_, [&](const TensorSpec& spec, DeviceTensor& t) {
    const HostTensor& h = *host[spec.index];
    if (h.shape != spec.shape || static_cast<int64_t>(h.data.size()) != numel(spec.shape)) {
      throw ShapeError(std::string(kWho) + ": host tensor '" + spec.name + "' has shape " + shape_str(h.shape) +
                       " (" + std::to_string(h.data.size()) + " values) but the config needs " + shape_str(spec.shape));
    }
    QWEN3_CUDA_CHECK(cudaMemcpy(t.ptr, h.data.data(), h.data.size() * sizeof(float), cudaMemcpyHostToDevice),
                     "uploading " + spec.name);
  });
}

std::unique_ptr<CudaNaiveBackend> CudaNaiveBackend::from_dir(const std::string& dir) {
  const ModelConfig c = load_model_config(dir);
  // Fail before reading gigabytes from disk when there is no GPU or no room on it.
  require_cuda_device(kWho);
  require_device_memory(weight_bytes(c), std::string(kWho) + ": the f32 weights of " + dir + " (" + describe(c) + ")");
  return std::make_unique<CudaNaiveBackend>(c, load_model_weights(dir, c));
}

std::unique_ptr<CudaNaiveBackend> CudaNaiveBackend::random(const ModelConfig& config, uint64_t seed) {
  std::unique_ptr<CudaNaiveBackend> backend(new CudaNaiveBackend(config));  // the constructor is private
  // Element i of tensor k = random_weight(spec_k, seed, i), drawn in place by one thread per element.
  for_each_tensor(backend->config_, backend->w_, [&](const TensorSpec& spec, DeviceTensor& t) {
    launch_fill_random(t.ptr, numel(spec.shape), seed, static_cast<uint64_t>(spec.index), random_half_width(spec),
                       spec.role == TensorRole::Norm, backend->stream_.get());
  });
  backend->stream_.synchronize("drawing random weights");
  return backend;
}

ForwardOutput CudaNaiveBackend::forward(const Batch& batch, const ForwardOptions& options) {
  validate(batch, config_);
  const ModelConfig& c = config_;
  const int64_t T = batch.num_tokens(), B = batch.num_sequences(), max_len = batch.max_length();
  const int64_t H = c.hidden_size, I = c.intermediate_size, NH = c.num_attention_heads,
                NKV = c.num_key_value_heads, D = c.head_dim;
  const float eps = static_cast<float>(c.rms_norm_eps);
  const std::vector<int32_t> positions = batch.positions();
  cudaStream_t s = stream_.get();

  // Check that every buffer below fits before allocating any. The scores of the longest sequence, [NH, max_len,
  // max_len], grow with the square of its length: 4·NH·max_len² bytes (8 GiB for NH = 32 at 8192 tokens).
  const int64_t scores_floats = attention_scores_floats(NH, max_len);
  // x, xn, proj | q, att | k, v | gate, up | inv_rms | emb: the float buffers allocated below
  const uint64_t activation_floats = 3 * T * H + 2 * T * NH * D + 2 * T * NKV * D + 2 * T * I + T * NH + B * H;
  const uint64_t activation_bytes =
      activation_floats * sizeof(float) + 2 * T * sizeof(int32_t) + (B + 1) * sizeof(int64_t);  // + ids, pos, offsets
  const uint64_t scores_bytes = static_cast<uint64_t>(scores_floats) * sizeof(float);
  const std::string pass = std::string(kWho) + ": a forward pass of " + std::to_string(T) + " tokens in " +
                           std::to_string(B) + (B == 1 ? " sequence" : " sequences") + " (activations " +
                           std::to_string(activation_bytes) + " bytes + attention scores [" + std::to_string(NH) +
                           ", " + std::to_string(max_len) + ", " + std::to_string(max_len) + "] " +
                           std::to_string(scores_bytes) + " bytes)";
  require_device_memory(activation_bytes + scores_bytes, pass);

  // The batch on the device.
  DeviceBuffer<int32_t> ids(T, "token ids");          // [T]
  DeviceBuffer<int32_t> pos(T, "positions");          // [T] position of each token inside its sequence
  DeviceBuffer<int64_t> offsets(B + 1, "offsets");    // [B+1]
  ids.upload_async(batch.tokens.data(), T, s, "token ids");
  pos.upload_async(positions.data(), T, s, "positions");
  offsets.upload_async(batch.offsets.data(), B + 1, s, "offsets");

  // Named scratch buffers, allocated once per pass (the same names as ref_cpu).
  DeviceBuffer<float> x(T * H, "x");                   // the residual stream [T, H]
  DeviceBuffer<float> xn(T * H, "xn");                 // RMSNorm(x) [T, H]
  DeviceBuffer<float> q(T * NH * D, "q");              // queries  [T, NH, D]
  DeviceBuffer<float> k(T * NKV * D, "k");             // keys     [T, NKV, D]
  DeviceBuffer<float> v(T * NKV * D, "v");             // values   [T, NKV, D]
  DeviceBuffer<float> att(T * NH * D, "att");          // attention output before o_proj [T, NH, D]
  DeviceBuffer<float> proj(T * H, "proj");             // o_proj / down_proj output, added to x [T, H]
  DeviceBuffer<float> gate(T * I, "gate"), up(T * I, "up");  // [T, I]
  DeviceBuffer<float> inv_rms(T * NH, "inv_rms");      // RMSNorm's per-row statistic, up to T·NH rows
  DeviceBuffer<float> scores(scores_floats, "attention scores");  // [NH, max_len, max_len], one sequence at a time
  DeviceBuffer<float> emb(B * H, "embeddings");        // [B, H]

  ForwardOutput result;
  if (options.keep_hidden_states) result.hidden_states.reserve(c.num_hidden_layers + 2);
  // Copies a [T, H] state into a new host entry, in stream order (complete after the final synchronisation).
  auto keep = [&](const DeviceBuffer<float>& state) {
    if (!options.keep_hidden_states) return;
    result.hidden_states.emplace_back(T * H);
    download_async(state.data(), T * H, result.hidden_states.back().data(), s, "a hidden state");
  };
  // Each op runs inside a named range for the profiler ("layer 3 / attention / q_proj"; NVTX on the GPU
  // backends, so a kernel is tied to the range its launch sat in) and, on request, records its output
  // "layer l / op" (core/backend.h's kOpNames), copied in stream order.
  Tracer* tracer = options.tracer;
  std::string layer_name;  // "layer 3"
  auto op_range = [&](const char* block, const char* op, const char* category) {
    return TraceScope(tracer, layer_name + " / " + block + " / " + op, category);
  };
  if (options.keep_op_outputs) result.op_outputs.reserve(c.num_hidden_layers * std::size(kOpNames));
  auto record = [&](const char* op, const DeviceBuffer<float>& out) {
    if (!options.keep_op_outputs) return;
    result.op_outputs.push_back({layer_name + " / " + op, std::vector<float>(out.size())});
    download_async(out.data(), out.size(), result.op_outputs.back().values.data(), s, std::string("op ") + op);
  };
  TraceScope forward_range(tracer, "forward", "nvtx");

  {  // hidden_states = self.embed_tokens(input_ids)
    TraceScope r(tracer, "embedding", "elementwise");
    launch_embedding_gather(ids.data(), T, w_.embed_tokens.ptr, H, x.data(), s);
  }
  keep(x);

  for (size_t l = 0; l < w_.layers.size(); ++l) {
    const LayerWeights<DeviceTensor>& lw = w_.layers[l];
    layer_name = "layer " + std::to_string(l);
    TraceScope layer_range(tracer, layer_name, "nvtx");
    {
      // --- attention block: x = x + o_proj(attn(...)) -------------------------------------------
      TraceScope block(tracer, layer_name + " / attention", "nvtx");
      {  // hidden_states = self.input_layernorm(hidden_states)
        auto r = op_range("attention", "input_norm", "norm");
        launch_rms_norm(x.data(), lw.input_layernorm.ptr, T, H, eps, inv_rms.data(), xn.data(), s);
      }
      record("input_norm", xn);
      // query_states = self.q_norm(self.q_proj(hidden_states).view(hidden_shape))   (and k likewise)
      { auto r = op_range("attention", "q_proj", "gemm"); launch_linear(xn.data(), lw.q_proj.ptr, T, H, NH * D, q.data(), s); }
      { auto r = op_range("attention", "k_proj", "gemm"); launch_linear(xn.data(), lw.k_proj.ptr, T, H, NKV * D, k.data(), s); }
      { auto r = op_range("attention", "v_proj", "gemm"); launch_linear(xn.data(), lw.v_proj.ptr, T, H, NKV * D, v.data(), s); }
      record("q_proj", q), record("k_proj", k), record("v_proj", v);
      {  // per head: rows are (token, head)
        auto r = op_range("attention", "qk_norm", "norm");
        launch_rms_norm(q.data(), lw.q_norm.ptr, T * NH, D, eps, inv_rms.data(), q.data(), s);
        launch_rms_norm(k.data(), lw.k_norm.ptr, T * NKV, D, eps, inv_rms.data(), k.data(), s);
      }
      record("q_norm", q), record("k_norm", k);
      {  // query_states, key_states = apply_rotary_pos_emb(query_states, key_states, cos, sin)
        auto r = op_range("attention", "rope", "elementwise");
        launch_apply_rope(q.data(), pos.data(), inv_freq_.data(), T, NH, D, s);
        launch_apply_rope(k.data(), pos.data(), inv_freq_.data(), T, NKV, D, s);
      }
      record("q_rope", q), record("k_rope", k);
      {  // attn_output = eager_attention_forward(...)   (causal, GQA, scaling = head_dim ** -0.5)
        auto r = op_range("attention", "attention", "attention");
        causal_attention(q.data(), k.data(), v.data(), batch.offsets.data(), B, NH, NKV, D, scores.data(),
                         scores_floats, att.data(), s);
      }
      record("attention", att);
      // attn_output = self.o_proj(attn_output); hidden_states = residual + hidden_states
      { auto r = op_range("attention", "o_proj", "gemm"); launch_linear(att.data(), lw.o_proj.ptr, T, NH * D, H, proj.data(), s); }
      record("o_proj", proj);
      { auto r = op_range("attention", "residual", "elementwise"); launch_add_inplace(x.data(), proj.data(), T * H, s); }
      record("residual_attn", x);
    }
    {
      // --- MLP block: x = x + down(silu(gate(h)) * up(h)),  h = RMSNorm(x) --------------------------
      TraceScope block(tracer, layer_name + " / mlp", "nvtx");
      {  // hidden_states = self.post_attention_layernorm(hidden_states)
        auto r = op_range("mlp", "post_norm", "norm");
        launch_rms_norm(x.data(), lw.post_attention_layernorm.ptr, T, H, eps, inv_rms.data(), xn.data(), s);
      }
      record("post_norm", xn);
      // down_proj(act_fn(gate_proj(x)) * up_proj(x))
      { auto r = op_range("mlp", "gate_proj", "gemm"); launch_linear(xn.data(), lw.gate_proj.ptr, T, H, I, gate.data(), s); }
      { auto r = op_range("mlp", "up_proj", "gemm"); launch_linear(xn.data(), lw.up_proj.ptr, T, H, I, up.data(), s); }
      record("gate_proj", gate), record("up_proj", up);
      { auto r = op_range("mlp", "silu_mul", "elementwise"); launch_silu_mul(gate.data(), up.data(), T * I, gate.data(), s); }
      record("silu_mul", gate);
      { auto r = op_range("mlp", "down_proj", "gemm"); launch_linear(gate.data(), lw.down_proj.ptr, T, I, H, proj.data(), s); }
      record("down_proj", proj);
      { auto r = op_range("mlp", "residual", "elementwise"); launch_add_inplace(x.data(), proj.data(), T * H, s); }
      record("residual_mlp", x);
    }
    keep(x);
  }

  {  // hidden_states = self.norm(hidden_states)
    TraceScope r(tracer, "final_norm", "norm");
    launch_rms_norm(x.data(), w_.norm.ptr, T, H, eps, inv_rms.data(), x.data(), s);
  }
  keep(x);

  // Last-token pooling, then L2 normalisation: embedding[b] = x[last token of b] / ||x[last token of b]||
  TraceScope pool_range(tracer, "pooling", "elementwise");
  launch_gather_last_tokens(x.data(), offsets.data(), B, H, emb.data(), s);
  launch_l2_normalize(emb.data(), B, H, s);
  result.embeddings.resize(B * H);
  download_async(emb.data(), B * H, result.embeddings.data(), s, "embeddings");

  // The one wait of the pass: every kernel and copy above has finished after this (a kernel fault shows here).
  stream_.synchronize("cuda_naive forward");
  return result;
}

}  // namespace qwen3
