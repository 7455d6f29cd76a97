// Qwen3 in GGUF: config from the metadata, llama.cpp's tensor names, dequantisation into the project's f32 weights,
// and the metadata the writer puts in front of them (the table of names is in core/gguf_model.h).
#include "core/gguf_model.h"

#include <cstring>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/tokenizer.h"

namespace qwen3 {

namespace {

// Hugging Face suffix (after "model.layers.N.") -> llama.cpp suffix (after "blk.N.").
constexpr std::pair<const char*, const char*> kLayerNames[] = {
    {"input_layernorm.weight", "attn_norm.weight"},
    {"self_attn.q_proj.weight", "attn_q.weight"},
    {"self_attn.k_proj.weight", "attn_k.weight"},
    {"self_attn.v_proj.weight", "attn_v.weight"},
    {"self_attn.o_proj.weight", "attn_output.weight"},
    {"self_attn.q_norm.weight", "attn_q_norm.weight"},
    {"self_attn.k_norm.weight", "attn_k_norm.weight"},
    {"post_attention_layernorm.weight", "ffn_norm.weight"},
    {"mlp.gate_proj.weight", "ffn_gate.weight"},
    {"mlp.up_proj.weight", "ffn_up.weight"},
    {"mlp.down_proj.weight", "ffn_down.weight"},
};

// Pooling types in llama.cpp's numbering (qwen3.pooling_type).
const char* pooling_name(uint64_t p) {
  switch (p) {
    case 0: return "none";
    case 1: return "mean";
    case 2: return "cls";
    case 3: return "last";
    case 4: return "rank";
    default: return "unknown";
  }
}

}  // namespace

std::string gguf_tensor_name(const std::string& hf_name) {
  if (hf_name == "model.embed_tokens.weight") return "token_embd.weight";
  if (hf_name == "model.norm.weight") return "output_norm.weight";
  const std::string prefix = "model.layers.";
  if (hf_name.rfind(prefix, 0) == 0) {
    const size_t dot = hf_name.find('.', prefix.size());
    if (dot != std::string::npos) {
      const std::string layer = hf_name.substr(prefix.size(), dot - prefix.size());
      const std::string rest = hf_name.substr(dot + 1);
      for (const auto& [hf, gg] : kLayerNames)
        if (rest == hf) return "blk." + layer + "." + gg;
    }
  }
  throw InputError("no GGUF name for tensor '" + hf_name + "'");
}

ModelConfig gguf_model_config(const GgufFile& f) {
  const std::string arch = f.require_string("general.architecture");
  if (arch != "qwen3")
    throw FormatError(f.path() + ": metadata key 'general.architecture' is \"" + arch + "\", expected \"qwen3\"");
  const auto key = [](const char* k) { return std::string("qwen3.") + k; };
  // The hyperparameters, as the config.json fields they are (ModelConfig::from_json checks ranges and consistency).
  nlohmann::json j;
  j["model_type"] = "qwen3";
  j["num_hidden_layers"] = f.require_uint(key("block_count"));
  j["max_position_embeddings"] = f.require_uint(key("context_length"));
  j["hidden_size"] = f.require_uint(key("embedding_length"));
  j["intermediate_size"] = f.require_uint(key("feed_forward_length"));
  j["num_attention_heads"] = f.require_uint(key("attention.head_count"));
  // llama.cpp's defaults: as many KV heads as query heads; key/value length hidden / heads.
  j["num_key_value_heads"] = f.find(key("attention.head_count_kv")) ? f.require_uint(key("attention.head_count_kv"))
                                                                    : j["num_attention_heads"].get<uint64_t>();
  const bool has_k = f.find(key("attention.key_length")) != nullptr;
  const bool has_v = f.find(key("attention.value_length")) != nullptr;
  if (has_k) j["head_dim"] = f.require_uint(key("attention.key_length"));
  if (has_v) {
    const uint64_t v = f.require_uint(key("attention.value_length"));
    if (!has_k) j["head_dim"] = v;
    if (j["head_dim"].get<uint64_t>() != v)
      throw FormatError(f.path() + ": metadata keys 'qwen3.attention.key_length' (" + j["head_dim"].dump() +
                        ") and 'qwen3.attention.value_length' (" + std::to_string(v) + ") differ");
  }
  j["rms_norm_eps"] = f.require_float(key("attention.layer_norm_rms_epsilon"));
  j["rope_theta"] = f.require_float(key("rope.freq_base"));
  if (const GgufValue* s = f.find(key("rope.scaling.type")); s && !(s->type == GgufType::STRING && s->str == "none"))
    throw FormatError(f.path() + ": metadata key 'qwen3.rope.scaling.type' asks for a RoPE variant that is not "
                      "supported (only none)");
  if (f.find(key("pooling_type"))) {
    const uint64_t p = f.require_uint(key("pooling_type"));
    if (p != 3)
      throw FormatError(f.path() + ": metadata key 'qwen3.pooling_type' is " + std::to_string(p) + " (" +
                        pooling_name(p) + "), but Qwen3-Embedding pools the last token (3)");
  }

  // The vocabulary: the tokenizer's size, which must be the embedding table's rows.
  const GgufValue& tokens = f.require_array("tokenizer.ggml.tokens", GgufType::STRING);
  if (const GgufValue* vs = f.find(key("vocab_size")); vs && f.require_uint(key("vocab_size")) != tokens.count)
    throw FormatError(f.path() + ": metadata key 'qwen3.vocab_size' (" + std::to_string(vs->as_uint()) +
                      ") disagrees with tokenizer.ggml.tokens (" + std::to_string(tokens.count) + " tokens)");
  const GgufTensor* embd = f.find_tensor("token_embd.weight");
  if (!embd) throw ShapeError("missing tensor token_embd.weight (model.embed_tokens.weight) in " + f.path());
  if (embd->dims.size() == 2 && static_cast<uint64_t>(embd->dims[1]) != tokens.count)
    throw FormatError(f.path() + ": the tokenizer has " + std::to_string(tokens.count) +
                      " tokens (tokenizer.ggml.tokens) but token_embd.weight has " + std::to_string(embd->dims[1]) +
                      " rows: the tokenizer does not belong to these tensors");
  j["vocab_size"] = tokens.count;
  j["tie_word_embeddings"] = f.find_tensor("output.weight") == nullptr;
  return ModelConfig::from_json(j, f.path() + " (GGUF metadata read as config.json fields)");
}

HostWeights load_gguf_host_weights(const GgufFile& f, const ModelConfig& c) {
  require_host_memory(static_cast<uint64_t>(c.num_parameters()) * sizeof(float), "loading " + f.path() + " as f32");
  HostWeights w;
  w.layers.resize(c.num_hidden_layers);
  for_each_tensor(c, w, [&](const TensorSpec& spec, HostTensor& t) {
    const std::string name = gguf_tensor_name(spec.name);
    const GgufTensor* g = f.find_tensor(name);
    if (!g) throw ShapeError("missing tensor " + name + " (" + spec.name + ") in " + f.path());
    if (g->shape() != spec.shape)
      throw ShapeError(f.path() + ": tensor '" + name + "' has shape " + shape_str(g->shape()) + " (ggml dims " +
                       shape_str(g->dims) + ") but the config needs " + shape_str(spec.shape));
    // Dequantise row by row: rows of dims[0] values, row_bytes(type, dims[0]) bytes each.
    t.shape = spec.shape;
    t.data.resize(static_cast<size_t>(numel(spec.shape)));
    const int64_t n = g->dims[0], rows = g->numel() / n, stride = row_bytes(g->type, n);
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; ++r) dequantize_row(g->type, g->data + r * stride, t.data.data() + r * n, n);
  });
  return w;
}

std::vector<std::pair<std::string, GgufValue>> qwen3_gguf_metadata(const ModelConfig& c, const Tokenizer& tok,
                                                                   GgufFileType file_type, const std::string& name) {
  const auto u32 = [](int64_t v) { return GgufValue::u32(static_cast<uint32_t>(v)); };
  GgufVocab vocab = tok.to_gguf_vocab(static_cast<size_t>(c.vocab_size));
  std::vector<std::pair<std::string, GgufValue>> m = {
      {"general.architecture", GgufValue::string("qwen3")},
      {"general.type", GgufValue::string("model")},
      {"general.name", GgufValue::string(name)},
      {"general.file_type", GgufValue::u32(static_cast<uint32_t>(file_type))},
      {"general.quantization_version", GgufValue::u32(2)},
      {"qwen3.block_count", u32(c.num_hidden_layers)},
      {"qwen3.context_length", u32(c.max_position_embeddings)},
      {"qwen3.embedding_length", u32(c.hidden_size)},
      {"qwen3.feed_forward_length", u32(c.intermediate_size)},
      {"qwen3.attention.head_count", u32(c.num_attention_heads)},
      {"qwen3.attention.head_count_kv", u32(c.num_key_value_heads)},
      {"qwen3.attention.key_length", u32(c.head_dim)},
      {"qwen3.attention.value_length", u32(c.head_dim)},
      {"qwen3.attention.layer_norm_rms_epsilon", GgufValue::f32(static_cast<float>(c.rms_norm_eps))},
      {"qwen3.rope.freq_base", GgufValue::f32(static_cast<float>(c.rope_theta))},
      {"qwen3.pooling_type", GgufValue::u32(3)},  // last token
      {"tokenizer.ggml.model", GgufValue::string("gpt2")},
      {"tokenizer.ggml.pre", GgufValue::string("qwen2")},
      {"tokenizer.ggml.tokens", GgufValue::string_array(std::move(vocab.tokens))},
      {"tokenizer.ggml.token_type", GgufValue::i32_array(vocab.types)},
      {"tokenizer.ggml.merges", GgufValue::string_array(std::move(vocab.merges))},
      {"tokenizer.ggml.eos_token_id", GgufValue::u32(kEndOfTextId)},
      {"tokenizer.ggml.padding_token_id", GgufValue::u32(kEndOfTextId)},
      {"tokenizer.ggml.add_bos_token", GgufValue::boolean(false)},
      {"tokenizer.ggml.add_eos_token", GgufValue::boolean(true)},
  };
  return m;
}

}  // namespace qwen3
