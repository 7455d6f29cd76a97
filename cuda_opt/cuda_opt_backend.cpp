// The optimised forward pass (cuda_opt_backend.h): the same steps as cuda_naive/cuda_naive_backend.cpp, each
// block naming the line of Hugging Face's modeling_qwen3.py it implements, fused into eight kernels per layer,
// queued on one stream and, from the second pass of a batch shape on, replayed as one CUDA graph.
// Shapes: T tokens (packed batch), B sequences, H hidden, I intermediate, NH/NKV query/KV heads, D head_dim,
// QKV = (NH + 2·NKV)·D, L layers.
#include "cuda_opt/cuda_opt_backend.h"

#include <algorithm>
#include <cstring>
#include <iterator>

#include "core/error.h"
#include "core/gguf.h"
#include "core/model_dir.h"
#include "core/quant.h"
#include "core/safetensors.h"
#include "cuda_common/fill_random.h"
#include "cuda_common/rope_inv_freq.h"
#include "cuda_opt/attention.h"
#include "cuda_opt/kernels.cuh"
#include "quant_gemm/repack.h"

namespace qwen3 {

using bf16 = __nv_bfloat16;
using namespace cuda_opt;

namespace {

const char* const kWho = "backend 'cuda_opt'";
constexpr int64_t kAlign = 128;  // every tensor starts on a 256-byte boundary (128 bf16, 64 floats)
int64_t aligned(int64_t n) { return (n + kAlign - 1) / kAlign * kAlign; }
constexpr size_t kCublasWorkspace = size_t{32} << 20;

// Elements of the bf16 matrices and of the fp32 vectors, each tensor aligned (the layout place() fills).
struct StorageSizes {
  int64_t matrices = 0, vectors = 0;
};
StorageSizes storage_sizes(const ModelConfig& c) {
  const int64_t H = c.hidden_size, I = c.intermediate_size, D = c.head_dim;
  const int64_t QKV = c.q_dim() + 2 * c.kv_dim();
  StorageSizes s;
  s.matrices = aligned(c.vocab_size * H) +
               c.num_hidden_layers * (aligned(QKV * H) + aligned(H * c.q_dim()) + aligned(2 * I * H) + aligned(H * I));
  s.vectors = c.num_hidden_layers * 4 * aligned(std::max(H, D)) + aligned(H);
  return s;
}

const ModelConfig& with_device(const ModelConfig& c) {
  require_cuda_device(kWho);
  return c;
}

// Owns an instantiated CUDA graph.
struct GraphExec {
  cudaGraphExec_t exec = nullptr;
  ~GraphExec() {
    if (exec != nullptr) cudaGraphExecDestroy(exec);
  }
};

}  // namespace

// The device buffers of one batch shape (T, B, longest sequence), and its graph once captured. The graph bakes
// in these pointers, so it is replayed only with these buffers; a new shape frees them and starts again.
struct CudaOptBackend::Pass {
  int64_t T = 0, B = 0, max_len = 0;
  DeviceBuffer<int32_t> ids, pos, offsets;  // [T], [T], [B+1]
  DeviceBuffer<float> x;                    // [T, H] the residual stream (fp32)
  DeviceBuffer<bf16> xn;                    // [T, H] RMSNorm(x), the next GEMM's input
  DeviceBuffer<bf16> qkv;                   // [T, QKV] fused projection; q and k normed and rotated in place
  DeviceBuffer<bf16> att;                   // [T, NH·D] attention output
  DeviceBuffer<bf16> act;                   // [T, I] silu(gate) · up
  DeviceBuffer<bf16> gate_up;               // [T, 2I] cublas path only: the GEMM's output before SwiGLU
  DeviceBuffer<float> emb;                  // [B, H]
  GraphExec graph;
  bool captured = false;
};

uint64_t CudaOptBackend::weight_bytes(const ModelConfig& c) {
  const StorageSizes s = storage_sizes(c);
  return static_cast<uint64_t>(s.matrices) * sizeof(bf16) + static_cast<uint64_t>(s.vectors) * sizeof(float);
}

CudaOptBackend::CudaOptBackend(const ModelConfig& config, CudaOptOptions options)
    : config_(with_device(config)), options_(options) {
  const ModelConfig& c = config_;
  if (c.head_dim != 32 && c.head_dim != 64 && c.head_dim != 128) {
    throw InputError(std::string(kWho) + ": head_dim " + std::to_string(c.head_dim) +
                     " is not supported by its attention kernel (32, 64 or 128)");
  }
  if (c.hidden_size > 8192) {
    throw InputError(std::string(kWho) + ": hidden size " + std::to_string(c.hidden_size) +
                     " is above its norm kernels' limit of 8192");
  }
  require_device_memory(weight_bytes(c) + kCublasWorkspace, std::string(kWho) + ": the bf16 weights of " + describe(c));
  const StorageSizes sizes = storage_sizes(c);
  matrices_ = DeviceBuffer<bf16>(sizes.matrices, "the bf16 weights of " + describe(c));
  vectors_ = DeviceBuffer<float>(sizes.vectors, "the fp32 norm weights");
  cublas_workspace_ = DeviceBuffer<unsigned char>(kCublasWorkspace, "the cuBLAS workspace");
  if (cublasSetWorkspace(cublas_.get(), cublas_workspace_.data(), kCublasWorkspace) != CUBLAS_STATUS_SUCCESS) {
    throw CudaError(std::string(kWho) + ": cublasSetWorkspace failed");
  }
  linear_.path = options_.gemm;
  linear_.wgmma = linear_wgmma_available();
  linear_.cublas = cublas_.get();

  // Carve the storage: per layer QKV, o, gate+up, down (bf16); input, post, q, k norms (fp32).
  const int64_t H = c.hidden_size, I = c.intermediate_size, D = c.head_dim;
  const int64_t QKV = c.q_dim() + 2 * c.kv_dim();
  bf16* m = matrices_.data();
  float* v = vectors_.data();
  auto take_m = [&](int64_t n) { bf16* p = m; m += aligned(n); return p; };
  auto take_v = [&] { float* p = v; v += aligned(std::max(H, D)); return p; };  // every norm vector: one slot
  embed_ = take_m(c.vocab_size * H);
  layers_.resize(c.num_hidden_layers);
  for (Layer& l : layers_) {
    l.wqkv = take_m(QKV * H), l.wo = take_m(H * c.q_dim()), l.wgu = take_m(2 * I * H), l.wdown = take_m(H * I);
    l.input_norm = take_v(), l.post_norm = take_v(), l.q_norm = take_v(), l.k_norm = take_v();
  }
  final_norm_ = v;
  inv_freq_ = DeviceBuffer<float>::from_host(rope_inv_freq(D, c.rope_theta), "RoPE inv_freq");
}

CudaOptBackend::~CudaOptBackend() = default;

void CudaOptBackend::place(const TensorSpec& spec, const float* src) {
  const ModelConfig& c = config_;
  cudaStream_t s = stream_.get();
  const int64_t n = numel(spec.shape);
  const std::string& name = spec.name;
  auto ends_with = [&](const char* suffix) {
    const size_t k = std::strlen(suffix);
    return name.size() >= k && name.compare(name.size() - k, k, suffix) == 0;
  };
  if (name == "model.embed_tokens.weight") {
    return launch_to_bf16_rows(src, spec.shape[0], spec.shape[1], 1, 0, const_cast<bf16*>(embed_), s);
  }
  auto copy_vector = [&](const float* dst) {
    QWEN3_CUDA_CHECK(cudaMemcpyAsync(const_cast<float*>(dst), src, n * sizeof(float), cudaMemcpyDeviceToDevice, s),
                     "placing " + name);
  };
  if (name == "model.norm.weight") return copy_vector(final_norm_);
  // model.layers.<l>.<...>
  const int64_t l = std::stoll(name.substr(std::strlen("model.layers.")));
  Layer& L = layers_.at(l);
  const int64_t R = spec.shape[0], K = spec.shape.size() > 1 ? spec.shape[1] : 1;
  auto rows = [&](const bf16* dst, int64_t step, int64_t offset) {
    launch_to_bf16_rows(src, R, K, step, offset, const_cast<bf16*>(dst), s);
  };
  if (ends_with("input_layernorm.weight")) return copy_vector(L.input_norm);
  if (ends_with("post_attention_layernorm.weight")) return copy_vector(L.post_norm);
  if (ends_with("q_norm.weight")) return copy_vector(L.q_norm);
  if (ends_with("k_norm.weight")) return copy_vector(L.k_norm);
  if (ends_with("q_proj.weight")) return rows(L.wqkv, 1, 0);
  if (ends_with("k_proj.weight")) return rows(L.wqkv, 1, c.q_dim());
  if (ends_with("v_proj.weight")) return rows(L.wqkv, 1, c.q_dim() + c.kv_dim());
  if (ends_with("o_proj.weight")) return rows(L.wo, 1, 0);
  if (ends_with("gate_proj.weight")) return rows(L.wgu, 2, 0);
  if (ends_with("up_proj.weight")) return rows(L.wgu, 2, 1);
  if (ends_with("down_proj.weight")) return rows(L.wdown, 1, 0);
  throw Error(std::string(kWho) + ": no place for tensor '" + name + "'");
}

// The fp32 buffer every tensor passes through on the device on its way to its bf16 place: the largest tensor's
// size, checked against free memory first.
static DeviceBuffer<float> staging_buffer(const ModelConfig& c) {
  int64_t n = 0;
  for (const TensorSpec& spec : tensor_specs(c)) n = std::max(n, numel(spec.shape));
  require_device_memory(n * sizeof(float), std::string(kWho) + ": staging the weights");
  return DeviceBuffer<float>(n, "the fp32 staging buffer");
}

CudaOptBackend::CudaOptBackend(const ModelConfig& config, const HostWeights& weights, CudaOptOptions options)
    : CudaOptBackend(config, options) {
  const ModelConfig& c = config_;
  if (static_cast<int64_t>(weights.layers.size()) != c.num_hidden_layers) {
    throw ShapeError(std::string(kWho) + ": the host weights have " + std::to_string(weights.layers.size()) +
                     " layers but the config has " + std::to_string(c.num_hidden_layers));
  }
  DeviceBuffer<float> staging = staging_buffer(c);
  std::vector<const HostTensor*> host;
  for_each_tensor(c, const_cast<HostWeights&>(weights), [&](const TensorSpec&, HostTensor& t) { host.push_back(&t); });
  for (const TensorSpec& spec : tensor_specs(c)) {
    const HostTensor& h = *host[spec.index];
    if (h.shape != spec.shape || static_cast<int64_t>(h.data.size()) != numel(spec.shape)) {
      throw ShapeError(std::string(kWho) + ": host tensor '" + spec.name + "' has shape " + shape_str(h.shape) +
                       " but the config needs " + shape_str(spec.shape));
    }
    // synchronous upload: the staging buffer is reused by the next tensor
    QWEN3_CUDA_CHECK(cudaMemcpy(staging.data(), h.data.data(), h.data.size() * sizeof(float), cudaMemcpyHostToDevice),
                     "uploading " + spec.name);
    place(spec, staging.data());
    stream_.synchronize("placing " + spec.name);
  }
}

std::unique_ptr<CudaOptBackend> CudaOptBackend::from_dir(const std::string& dir, CudaOptOptions options) {
  const ModelConfig c = load_model_config(dir);
  require_cuda_device(kWho);
  require_device_memory(weight_bytes(c), std::string(kWho) + ": the bf16 weights of " + dir + " (" + describe(c) + ")");
  auto b = std::make_unique<CudaOptBackend>(c, load_model_weights(dir, c), options);
  const std::string gguf = gguf_file_of(dir);
  if (!gguf.empty() && options.gemm == GemmPath::kLadder) b->load_quantised(gguf);
  return b;
}

void CudaOptBackend::load_quantised(const std::string& gguf_path) {
  const GgufFile f(gguf_path);
  std::vector<quant_gemm::QuantProjection> found = quant_gemm::quantised_projections(f, config_);
  if (found.empty()) return;
  // One buffer, every array on a 256-byte boundary (the kernels' 16-byte loads need 16).
  size_t total = 0;
  auto take = [&](size_t bytes) {
    const size_t at = total;
    total += (bytes + 255) / 256 * 256;
    return at;
  };
  std::vector<std::pair<size_t, size_t>> offsets;  // bytes, scales
  int64_t widest = 0;
  std::vector<std::string> types;
  for (const quant_gemm::QuantProjection& q : found) {
    const size_t bytes_at = take(q.bytes.size());
    offsets.emplace_back(bytes_at, take(q.scales.size() * sizeof(float)));
    widest = std::max(widest, q.rows);
    const std::string name = block_format(q.type).name;
    if (std::find(types.begin(), types.end(), name) == types.end()) types.push_back(name);
  }
  require_device_memory(total + kQuantMaxTokens * widest * sizeof(float),
                        std::string(kWho) + ": the quantised weights of " + gguf_path);
  quant_storage_ = DeviceBuffer<unsigned char>(total, "the quantised weights");
  quant_scratch_ = DeviceBuffer<float>(static_cast<size_t>(kQuantMaxTokens * widest), "the quantised GEMMs' output");
  unsigned char* base = quant_storage_.data();
  for (size_t i = 0; i < found.size(); ++i) {
    const quant_gemm::QuantProjection& q = found[i];
    const std::string what = std::string("the quantised ") + quant_gemm::projection_name(q.which) + " weights of layer " +
                             std::to_string(q.layer);
    QWEN3_CUDA_CHECK(cudaMemcpy(base + offsets[i].first, q.bytes.data(), q.bytes.size(), cudaMemcpyHostToDevice),
                     "uploading " + what);
    Layer& L = layers_.at(static_cast<size_t>(q.layer));
    QuantMatrix& m = q.which == quant_gemm::Projection::kQkv  ? L.q_qkv
                     : q.which == quant_gemm::Projection::kO  ? L.q_o
                     : q.which == quant_gemm::Projection::kGateUp ? L.q_gu
                                                                  : L.q_down;
    if (q.type == GgmlType::Q8_0) {
      QWEN3_CUDA_CHECK(cudaMemcpy(base + offsets[i].second, q.scales.data(), q.scales.size() * sizeof(float),
                                  cudaMemcpyHostToDevice),
                       "uploading the scales of " + what);
      m.kind = QuantMatrix::Kind::kQ8_0;
      m.codes = reinterpret_cast<const int8_t*>(base + offsets[i].first);
      m.scales = reinterpret_cast<const float*>(base + offsets[i].second);
    } else {
      m.kind = QuantMatrix::Kind::kQ4_K;
      m.blocks = base + offsets[i].first;
    }
  }
  quantised_ = static_cast<int>(found.size());
  std::sort(types.begin(), types.end());
  for (const std::string& t : types) quant_types_ += (quant_types_.empty() ? "" : " and ") + t;
}

std::string CudaOptBackend::quantised_description() const {
  if (quantised_ == 0) return "";
  return quant_types_ + " weight-only GEMMs (quant_gemm) for " + std::to_string(quantised_) + " of " +
         std::to_string(4 * config_.num_hidden_layers) + " projections, up to " + std::to_string(kQuantMaxTokens) +
         " tokens";
}

std::unique_ptr<CudaOptBackend> CudaOptBackend::random(const ModelConfig& config, uint64_t seed,
                                                       CudaOptOptions options) {
  std::unique_ptr<CudaOptBackend> b(new CudaOptBackend(config, options));
  DeviceBuffer<float> staging = staging_buffer(b->config_);
  for (const TensorSpec& spec : tensor_specs(b->config_)) {
    // element i = random_weight(spec, seed, i), drawn in place as cuda_naive does (cuda_common/fill_random.h),
    // then rounded into its place
    launch_fill_random(staging.data(), numel(spec.shape), seed, static_cast<uint64_t>(spec.index),
                       random_half_width(spec), spec.role == TensorRole::Norm, b->stream_.get());
    b->place(spec, staging.data());
  }
  b->stream_.synchronize("drawing random weights");
  return b;
}

std::string CudaOptBackend::ladder_kernel() const {
  return linear_.wgmma ? "wgmma + TMA (GEMM ladder step 10)" : "mma.sync (GEMM ladder step 9)";
}

CudaOptBackend::Pass& CudaOptBackend::pass_for(const Batch& batch) {
  const int64_t T = batch.num_tokens(), B = batch.num_sequences(), max_len = batch.max_length();
  if (pass_ && pass_->T == T && pass_->B == B && pass_->max_len == max_len) return *pass_;
  pass_.reset();  // free the previous shape's buffers first
  const ModelConfig& c = config_;
  const int64_t H = c.hidden_size, I = c.intermediate_size, QKV = c.q_dim() + 2 * c.kv_dim();
  const bool cublas = options_.gemm == GemmPath::kCublas;
  const uint64_t bytes = T * H * 4 + T * H * 2 + T * QKV * 2 + T * c.q_dim() * 2 + T * I * 2 +
                         (cublas ? T * 2 * I * 2 : 0) + B * H * 4 + (2 * T + B + 1) * 4;
  require_device_memory(bytes, std::string(kWho) + ": the activations of " + std::to_string(T) + " tokens in " +
                                   std::to_string(B) + (B == 1 ? " sequence" : " sequences") + " (" +
                                   std::to_string(bytes) + " bytes)");
  auto p = std::make_unique<Pass>();
  p->T = T, p->B = B, p->max_len = max_len;
  p->ids = DeviceBuffer<int32_t>(T, "token ids");
  p->pos = DeviceBuffer<int32_t>(T, "positions");
  p->offsets = DeviceBuffer<int32_t>(B + 1, "offsets");
  p->x = DeviceBuffer<float>(T * H, "x");
  p->xn = DeviceBuffer<bf16>(T * H, "xn");
  p->qkv = DeviceBuffer<bf16>(T * QKV, "qkv");
  p->att = DeviceBuffer<bf16>(T * c.q_dim(), "att");
  p->act = DeviceBuffer<bf16>(T * I, "act");
  if (cublas) p->gate_up = DeviceBuffer<bf16>(T * 2 * I, "gate_up");
  p->emb = DeviceBuffer<float>(B * H, "embeddings");
  pass_ = std::move(p);
  return *pass_;
}

void CudaOptBackend::enqueue(Pass& p, const ForwardOptions& options, ForwardOutput* out) {
  const ModelConfig& c = config_;
  const int64_t T = p.T, B = p.B, H = c.hidden_size, I = c.intermediate_size, NH = c.num_attention_heads,
                NKV = c.num_key_value_heads, D = c.head_dim, QKV = c.q_dim() + 2 * c.kv_dim();
  const float eps = static_cast<float>(c.rms_norm_eps);
  cudaStream_t s = stream_.get();
  Tracer* tracer = options.tracer;

  // Debugging copies (eager passes only), each ordered on the stream after the op that wrote it.
  auto keep_f32 = [&](const float* state) {
    if (!options.keep_hidden_states) return;
    out->hidden_states.emplace_back(T * H);
    download_async(state, T * H, out->hidden_states.back().data(), s, "a hidden state");
  };
  std::string layer_name;
  // op_outputs as [T, cols] fp32: columns [col0, col0 + cols) of a [T, ld] bf16 or fp32 buffer
  auto record_bf16 = [&](const char* op, const bf16* buf, int64_t ld, int64_t col0, int64_t cols) {
    if (!options.keep_op_outputs) return;
    std::vector<uint16_t> h(T * ld);
    download_async(reinterpret_cast<const uint16_t*>(buf), h.size(), h.data(), s, std::string("op ") + op);
    stream_.synchronize(std::string("op ") + op);
    std::vector<float> v(T * cols);
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t j = 0; j < cols; ++j) v[t * cols + j] = bf16_to_f32(h[t * ld + col0 + j]);  // exact widening
    }
    out->op_outputs.push_back({layer_name + " / " + op, std::move(v)});
  };
  auto record_f32 = [&](const char* op, const float* buf) {
    if (!options.keep_op_outputs) return;
    out->op_outputs.push_back({layer_name + " / " + op, std::vector<float>(T * H)});
    download_async(buf, T * H, out->op_outputs.back().values.data(), s, std::string("op ") + op);
  };
  auto op_range = [&](const char* block, const char* op, const char* category) {
    return TraceScope(tracer, layer_name + " / " + block + " / " + op, category);
  };

  {  // hidden_states = self.embed_tokens(input_ids)
    TraceScope r(tracer, "embedding", "elementwise");
    launch_embedding_gather(p.ids.data(), T, embed_, H, p.x.data(), s);
  }
  keep_f32(p.x.data());

  for (size_t l = 0; l < layers_.size(); ++l) {
    const Layer& w = layers_[l];
    layer_name = "layer " + std::to_string(l);
    TraceScope layer_range(tracer, layer_name, "nvtx");
    {
      // --- attention block: x = x + o_proj(attn(...)) -------------------------------------------
      TraceScope block(tracer, layer_name + " / attention", "nvtx");
      {  // hidden_states = self.input_layernorm(hidden_states)
        auto r = op_range("attention", "input_norm", "norm");
        launch_rms_norm(p.x.data(), w.input_norm, T, H, eps, p.xn.data(), s);
      }
      record_bf16("input_norm", p.xn.data(), H, 0, H);
      {  // q, k, v = self.q_proj(h), self.k_proj(h), self.v_proj(h): one GEMM over the stacked weights
        auto r = op_range("attention", "qkv_proj", "gemm");
        if (w.q_qkv.usable(T)) quant_linear_store_bf16(w.q_qkv, p.xn.data(), T, H, QKV, p.qkv.data(), quant_scratch_.data(), s);
        else linear_store_bf16(linear_, p.xn.data(), w.wqkv, T, H, QKV, p.qkv.data(), s);
      }
      {  // q = self.q_norm(q), k = self.k_norm(k); q, k = apply_rotary_pos_emb(q, k, cos, sin)
        auto r = op_range("attention", "qk_norm_rope", "norm");
        launch_qk_norm_rope(p.qkv.data(), p.pos.data(), w.q_norm, w.k_norm, inv_freq_.data(), T, NH, NKV, D, eps, s);
      }
      record_bf16("v_proj", p.qkv.data(), QKV, (NH + NKV) * D, NKV * D);
      record_bf16("q_rope", p.qkv.data(), QKV, 0, NH * D);
      record_bf16("k_rope", p.qkv.data(), QKV, NH * D, NKV * D);
      {  // attn_output = eager_attention_forward(...)   (causal, GQA, scaling = head_dim ** -0.5)
        auto r = op_range("attention", "attention", "attention");
        const bf16* qkv = p.qkv.data();
        flash_attention(qkv, QKV, qkv + NH * D, QKV, qkv + (NH + NKV) * D, QKV, p.offsets.data(),
                        static_cast<int>(B), static_cast<int>(p.max_len), static_cast<int>(NH),
                        static_cast<int>(NKV), static_cast<int>(D), p.att.data(), s);
      }
      record_bf16("attention", p.att.data(), NH * D, 0, NH * D);
      {  // hidden_states = residual + self.o_proj(attn_output)
        auto r = op_range("attention", "o_proj_residual", "gemm");
        if (w.q_o.usable(T)) quant_linear_add_f32(w.q_o, p.att.data(), T, NH * D, H, p.x.data(), quant_scratch_.data(), s);
        else linear_add_f32(linear_, p.att.data(), w.wo, T, NH * D, H, p.x.data(), s);
      }
      record_f32("residual_attn", p.x.data());
    }
    {
      // --- MLP block: x = x + down(silu(gate(h)) * up(h)),  h = RMSNorm(x) --------------------------
      TraceScope block(tracer, layer_name + " / mlp", "nvtx");
      {  // hidden_states = self.post_attention_layernorm(hidden_states)
        auto r = op_range("mlp", "post_norm", "norm");
        launch_rms_norm(p.x.data(), w.post_norm, T, H, eps, p.xn.data(), s);
      }
      record_bf16("post_norm", p.xn.data(), H, 0, H);
      {  // self.act_fn(self.gate_proj(x)) * self.up_proj(x): one GEMM, SwiGLU in its epilogue
        auto r = op_range("mlp", "gate_up_swiglu", "gemm");
        if (w.q_gu.usable(T)) quant_linear_swiglu(w.q_gu, p.xn.data(), T, H, I, p.act.data(), quant_scratch_.data(), s);
        else linear_swiglu(linear_, p.xn.data(), w.wgu, T, H, I, p.act.data(), p.gate_up.data(), s);
      }
      record_bf16("silu_mul", p.act.data(), I, 0, I);
      {  // hidden_states = residual + self.down_proj(...)
        auto r = op_range("mlp", "down_proj_residual", "gemm");
        if (w.q_down.usable(T)) quant_linear_add_f32(w.q_down, p.act.data(), T, I, H, p.x.data(), quant_scratch_.data(), s);
        else linear_add_f32(linear_, p.act.data(), w.wdown, T, I, H, p.x.data(), s);
      }
      record_f32("residual_mlp", p.x.data());
    }
    keep_f32(p.x.data());
  }

  if (options.keep_hidden_states) {  // hidden_states = self.norm(hidden_states), every token (debugging only)
    out->hidden_states.emplace_back(T * H);
    DeviceBuffer<float> normed(T * H, "the final norm of every token");
    launch_rms_norm_f32(p.x.data(), final_norm_, T, H, eps, normed.data(), s);
    download_async(normed.data(), T * H, out->hidden_states.back().data(), s, "the final hidden state");
    stream_.synchronize("the final hidden state");
  }
  // the final norm of each sequence's last token, then L2 normalisation: the embeddings
  TraceScope pool_range(tracer, "final_norm_pool", "norm");
  launch_final_norm_pool(p.x.data(), p.offsets.data(), B, H, final_norm_, eps, p.emb.data(), s);
}

ForwardOutput CudaOptBackend::forward(const Batch& batch, const ForwardOptions& options) {
  validate(batch, config_);
  Pass& p = pass_for(batch);
  cudaStream_t s = stream_.get();
  // The batch on the device: the buffers the graph reads, refilled every pass.
  const std::vector<int32_t> positions = batch.positions();
  std::vector<int32_t> offsets(batch.offsets.begin(), batch.offsets.end());
  p.ids.upload_async(batch.tokens.data(), p.T, s, "token ids");
  p.pos.upload_async(positions.data(), p.T, s, "positions");
  p.offsets.upload_async(offsets.data(), p.B + 1, s, "offsets");

  ForwardOutput result;
  const bool debugging = options.keep_hidden_states || options.keep_op_outputs;
  TraceScope forward_range(options.tracer, "forward", "nvtx");
  if (!options_.graph || debugging || !p.captured) {
    enqueue(p, options, &result);  // kernel by kernel
  } else {
    TraceScope r(options.tracer, "forward (CUDA graph replay)", "nvtx");
    QWEN3_CUDA_CHECK(cudaGraphLaunch(p.graph.exec, s), "cuda_opt: replaying the forward pass's graph");
  }
  result.embeddings.resize(p.B * config_.hidden_size);
  download_async(p.emb.data(), result.embeddings.size(), result.embeddings.data(), s, "embeddings");
  stream_.synchronize("cuda_opt forward");

  // After the first kernel-by-kernel pass of a shape (every kernel attribute set, every kernel known to run):
  // capture the same sequence of launches once, for the next passes to replay.
  if (options_.graph && !p.captured) {
    cudaGraph_t graph = nullptr;
    QWEN3_CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal), "cuda_opt: capturing the pass");
    try {
      enqueue(p, ForwardOptions{}, nullptr);
    } catch (...) {
      cudaStreamEndCapture(s, &graph);
      if (graph != nullptr) cudaGraphDestroy(graph);
      throw;
    }
    QWEN3_CUDA_CHECK(cudaStreamEndCapture(s, &graph), "cuda_opt: capturing the pass");
    const cudaError_t err = cudaGraphInstantiate(&p.graph.exec, graph, 0);
    cudaGraphDestroy(graph);
    QWEN3_CUDA_CHECK(err, "cuda_opt: instantiating the pass's graph");
    p.captured = true;
  }
  return result;
}

}  // namespace qwen3
