// The Qwen3 forward pass on the CPU, step by step. Each block names the line of Hugging Face's
// modeling_qwen3.py it implements. Shapes: T tokens (packed batch), H hidden, I intermediate,
// NH/NKV query/KV heads, D head_dim, B sequences.
#include "ref_cpu/cpu_backend.h"

#include <vector>

#include "core/model_dir.h"
#include "core/safetensors.h"
#include "ref_cpu/allocator.h"
#include "ref_cpu/ops.h"

namespace qwen3::cpu {

CpuBackend::CpuBackend(const ModelConfig& config, HostWeights weights, OpTable ops, std::string name)
    : config_(config), w_(std::move(weights)), ops_(std::move(ops)), name_(std::move(name)) {
  keep_freed_memory();  // each pass reuses the pages the last one freed (ref_cpu/allocator.h)
}

std::unique_ptr<CpuBackend> CpuBackend::from_dir(const std::string& dir) {
  const ModelConfig c = load_model_config(dir);
  return std::make_unique<CpuBackend>(c, load_model_weights(dir, c));
}

ForwardOutput CpuBackend::forward(const Batch& batch, const ForwardOptions& options) {
  validate(batch, config_);
  const ModelConfig& c = config_;
  const int64_t T = batch.num_tokens(), B = batch.num_sequences();
  const int64_t H = c.hidden_size, I = c.intermediate_size, NH = c.num_attention_heads,
                NKV = c.num_key_value_heads, D = c.head_dim;
  const float eps = static_cast<float>(c.rms_norm_eps);
  const std::vector<int32_t> positions = batch.positions();

  // Named scratch buffers, allocated once per pass (from memory the last pass freed: ref_cpu/allocator.h).
  std::vector<float> x(T * H);           // the residual stream
  std::vector<float> xn(T * H);          // RMSNorm(x)
  std::vector<float> q(T * NH * D);      // queries  [T, NH, D]
  std::vector<float> k(T * NKV * D);     // keys     [T, NKV, D]
  std::vector<float> v(T * NKV * D);     // values   [T, NKV, D]
  std::vector<float> att(T * NH * D);    // attention output before o_proj [T, NH, D]
  std::vector<float> proj(T * H);        // o_proj / down_proj output, added to x
  std::vector<float> gate(T * I), up(T * I);

  ForwardOutput result;
  auto keep = [&](const std::vector<float>& state) {
    if (options.keep_hidden_states) result.hidden_states.push_back(state);
  };
  // Each op runs inside a named range for the profiler ("layer 3 / attention / q_proj") and, on request,
  // records its output for op-by-op comparison with other backends.
  Tracer* tracer = options.tracer;
  std::string layer_name;  // "layer 3"
  auto op_range = [&](const char* block, const char* op, const char* category) {
    return TraceScope(tracer, layer_name + " / " + block + " / " + op, category);
  };
  auto record = [&](const char* op, const std::vector<float>& out) {
    if (!options.keep_op_outputs) return;
    OpOutput recorded{layer_name + " / " + op, out};
    if (ops_.on_record) ops_.on_record(recorded.name, out.data(), recorded.values);
    result.op_outputs.push_back(std::move(recorded));
  };
  TraceScope forward_range(tracer, "forward", "host");

  // hidden_states = self.embed_tokens(input_ids)
  {
    TraceScope r(tracer, "embedding", "elementwise");
    embedding_gather(batch.tokens.data(), T, w_.embed_tokens.ptr(), H, x.data());
  }
  keep(x);

  for (size_t l = 0; l < w_.layers.size(); ++l) {
    const LayerWeights<HostTensor>& lw = w_.layers[l];
    layer_name = "layer " + std::to_string(l);
    TraceScope layer_range(tracer, layer_name, "host");
    {
      // --- attention block: x = x + o_proj(attn(...)) -------------------------------------------
      TraceScope block(tracer, layer_name + " / attention", "host");
      {  // hidden_states = self.input_layernorm(hidden_states)
        auto r = op_range("attention", "input_norm", "norm");
        ops_.rms_norm(x.data(), lw.input_layernorm.ptr(), T, H, eps, xn.data());
      }
      record("input_norm", xn);
      // query_states = self.q_norm(self.q_proj(hidden_states).view(hidden_shape))   (and k likewise)
      { auto r = op_range("attention", "q_proj", "gemm"); linear(xn.data(), lw.q_proj.ptr(), T, H, NH * D, q.data(), counter_); }
      { auto r = op_range("attention", "k_proj", "gemm"); linear(xn.data(), lw.k_proj.ptr(), T, H, NKV * D, k.data(), counter_); }
      { auto r = op_range("attention", "v_proj", "gemm"); linear(xn.data(), lw.v_proj.ptr(), T, H, NKV * D, v.data(), counter_); }
      record("q_proj", q), record("k_proj", k), record("v_proj", v);
      {  // per head: rows are (token, head)
        auto r = op_range("attention", "qk_norm", "norm");
        ops_.rms_norm(q.data(), lw.q_norm.ptr(), T * NH, D, eps, q.data());
        ops_.rms_norm(k.data(), lw.k_norm.ptr(), T * NKV, D, eps, k.data());
      }
      record("q_norm", q), record("k_norm", k);
      {  // query_states, key_states = apply_rotary_pos_emb(query_states, key_states, cos, sin)
        auto r = op_range("attention", "rope", "elementwise");
        ops_.apply_rope(q.data(), positions.data(), T, NH, D, c.rope_theta);
        ops_.apply_rope(k.data(), positions.data(), T, NKV, D, c.rope_theta);
      }
      record("q_rope", q), record("k_rope", k);
      {  // attn_output = eager_attention_forward(...)   (causal, GQA, scaling = head_dim ** -0.5)
        auto r = op_range("attention", "attention", "attention");
        ops_.causal_attention(q.data(), k.data(), v.data(), batch.offsets.data(), B, NH, NKV, D, att.data());
        if (counter_) count_attention(batch.offsets.data(), B, NH, D, *counter_);
      }
      record("attention", att);
      // attn_output = self.o_proj(attn_output); hidden_states = residual + hidden_states
      { auto r = op_range("attention", "o_proj", "gemm"); linear(att.data(), lw.o_proj.ptr(), T, NH * D, H, proj.data(), counter_); }
      record("o_proj", proj);
      { auto r = op_range("attention", "residual", "elementwise"); add_inplace(x.data(), proj.data(), T * H); }
      record("residual_attn", x);
    }
    {
      // --- MLP block: x = x + down(silu(gate(h)) * up(h)),  h = RMSNorm(x) --------------------------
      TraceScope block(tracer, layer_name + " / mlp", "host");
      {  // hidden_states = self.post_attention_layernorm(hidden_states)
        auto r = op_range("mlp", "post_norm", "norm");
        ops_.rms_norm(x.data(), lw.post_attention_layernorm.ptr(), T, H, eps, xn.data());
      }
      record("post_norm", xn);
      // down_proj(act_fn(gate_proj(x)) * up_proj(x))
      { auto r = op_range("mlp", "gate_proj", "gemm"); linear(xn.data(), lw.gate_proj.ptr(), T, H, I, gate.data(), counter_); }
      { auto r = op_range("mlp", "up_proj", "gemm"); linear(xn.data(), lw.up_proj.ptr(), T, H, I, up.data(), counter_); }
      record("gate_proj", gate), record("up_proj", up);
      { auto r = op_range("mlp", "silu_mul", "elementwise"); ops_.silu_mul(gate.data(), up.data(), T * I, gate.data()); }
      record("silu_mul", gate);
      { auto r = op_range("mlp", "down_proj", "gemm"); linear(gate.data(), lw.down_proj.ptr(), T, I, H, proj.data(), counter_); }
      record("down_proj", proj);
      { auto r = op_range("mlp", "residual", "elementwise"); add_inplace(x.data(), proj.data(), T * H); }
      record("residual_mlp", x);
    }
    keep(x);
  }

  {  // hidden_states = self.norm(hidden_states)
    TraceScope r(tracer, "final_norm", "norm");
    ops_.rms_norm(x.data(), w_.norm.ptr(), T, H, eps, x.data());
  }
  keep(x);

  // Last-token pooling, then L2 normalisation: embedding[b] = x[last token of b] / ||x[last token of b]||
  TraceScope pool_range(tracer, "pooling", "elementwise");
  result.embeddings.resize(B * H);
  ops_.last_token_pool(x.data(), batch.offsets.data(), B, H, result.embeddings.data());
  return result;
}

}  // namespace qwen3::cpu
