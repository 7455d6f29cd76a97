// The model's weights as one struct of named tensors (as in llama2.c's run.c), shared by every backend:
// the tensor type T is a host array for ref_cpu and a device pointer for the CUDA backends.
// Names are the Hugging Face ones; every shape below is checked against the config when loading.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"

namespace qwen3 {

class SafetensorsCheckpoint;

template <typename T>
struct LayerWeights {
  T input_layernorm;           // [H]         RMSNorm weight before attention
  T q_proj;                    // [NH*D, H]   queries
  T k_proj;                    // [NKV*D, H]  keys (grouped-query: fewer heads)
  T v_proj;                    // [NKV*D, H]  values
  T o_proj;                    // [H, NH*D]   attention output back to the residual stream
  T q_norm;                    // [D]         per-head RMSNorm of queries (Qwen3; Llama has none)
  T k_norm;                    // [D]         per-head RMSNorm of keys
  T post_attention_layernorm;  // [H]         RMSNorm weight before the MLP
  T gate_proj;                 // [I, H]      SwiGLU gate
  T up_proj;                   // [I, H]      SwiGLU up
  T down_proj;                 // [H, I]      SwiGLU down
};

template <typename T>
struct ModelWeights {
  T embed_tokens;                       // [V, H]
  std::vector<LayerWeights<T>> layers;  // L of them
  T norm;                               // [H]   final RMSNorm
};

// What a tensor is for, which decides how random weights are drawn.
enum class TensorRole { Embedding, Norm, Projection };

struct TensorSpec {
  std::string name;            // Hugging Face name, e.g. "model.layers.3.self_attn.q_proj.weight"
  std::vector<int64_t> shape;  // row-major; projections are [out, in] as in torch.nn.Linear
  TensorRole role;
  int64_t index;               // position in the canonical order (embed, layer 0 .. L-1, norm)
};

// Calls fn(spec, tensor) for every tensor of `w` in canonical order; `w.layers` must have L entries.
template <typename T, typename Fn>
void for_each_tensor(const ModelConfig& c, ModelWeights<T>& w, Fn&& fn) {
  const int64_t H = c.hidden_size, I = c.intermediate_size, D = c.head_dim;
  int64_t index = 0;
  auto visit = [&](const std::string& name, std::vector<int64_t> shape, TensorRole role, T& t) {
    fn(TensorSpec{name, std::move(shape), role, index++}, t);
  };
  visit("model.embed_tokens.weight", {c.vocab_size, H}, TensorRole::Embedding, w.embed_tokens);
  for (size_t l = 0; l < w.layers.size(); ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    LayerWeights<T>& lw = w.layers[l];
    visit(p + "input_layernorm.weight", {H}, TensorRole::Norm, lw.input_layernorm);
    visit(p + "self_attn.q_proj.weight", {c.q_dim(), H}, TensorRole::Projection, lw.q_proj);
    visit(p + "self_attn.k_proj.weight", {c.kv_dim(), H}, TensorRole::Projection, lw.k_proj);
    visit(p + "self_attn.v_proj.weight", {c.kv_dim(), H}, TensorRole::Projection, lw.v_proj);
    visit(p + "self_attn.o_proj.weight", {H, c.q_dim()}, TensorRole::Projection, lw.o_proj);
    visit(p + "self_attn.q_norm.weight", {D}, TensorRole::Norm, lw.q_norm);
    visit(p + "self_attn.k_norm.weight", {D}, TensorRole::Norm, lw.k_norm);
    visit(p + "post_attention_layernorm.weight", {H}, TensorRole::Norm, lw.post_attention_layernorm);
    visit(p + "mlp.gate_proj.weight", {I, H}, TensorRole::Projection, lw.gate_proj);
    visit(p + "mlp.up_proj.weight", {I, H}, TensorRole::Projection, lw.up_proj);
    visit(p + "mlp.down_proj.weight", {H, I}, TensorRole::Projection, lw.down_proj);
  }
  visit("model.norm.weight", {H}, TensorRole::Norm, w.norm);
}

// Every tensor's name, shape and role for a config, in canonical order.
std::vector<TensorSpec> tensor_specs(const ModelConfig& c);

// Random weights, identical on every machine and every backend: element i of tensor k is a pure function of
// (seed, k, i) (see core/rng.h), so a GPU can draw the same values on the device without a host copy.
//   embedding  ~ U with std 1;   norms = 1 + U with std 0.1;   projections ~ U with std 1/sqrt(fan_in)
// (uniform draws: x = (2u - 1) * sqrt(3) * std). 1/sqrt(fan_in) keeps every branch's output at the scale of
// its normalised input, so activations stay non-degenerate through all layers.
float random_weight(const TensorSpec& spec, uint64_t seed, int64_t i);
// The pieces of random_weight, for a GPU kernel that draws in place:
//   x = random_symmetric(seed, spec.index, i) * random_half_width(spec);  Norm tensors: 1 + x
// (on the GPU with __fmul_rn / __fadd_rn, so that no FMA contraction changes the bits).
float random_half_width(const TensorSpec& spec);
void fill_random(const TensorSpec& spec, uint64_t seed, float* out);  // out: numel(spec.shape) values

// ---- host (f32) weights: what ref_cpu uses, and what init-tiny writes ------------------------------
struct HostTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
  const float* ptr() const { return data.data(); }
};
using HostWeights = ModelWeights<HostTensor>;

int64_t numel(const std::vector<int64_t>& shape);
std::string shape_str(const std::vector<int64_t>& shape);  // "[151669, 48]"

// Loads every tensor by name, checks its shape against the config (ShapeError naming the tensor, the
// expected and the found shape; ShapeError for a missing tensor), converts to f32.
HostWeights load_host_weights(const SafetensorsCheckpoint& ckpt, const ModelConfig& c);
HostWeights random_host_weights(const ModelConfig& c, uint64_t seed);

// Throws InputError if `bytes` more host memory would not fit in what the machine has available.
void require_host_memory(uint64_t bytes, const std::string& what);

}  // namespace qwen3
