// The Qwen3 model configuration: the fields of a Hugging Face config.json that the forward pass needs.
//
// Dimension letters used across the project (as in llm.c):
//   T = tokens in a packed batch     H = hidden_size             I = intermediate_size
//   NH = num_attention_heads          NKV = num_key_value_heads   D = head_dim (NOT always H / NH)
//   L = num_hidden_layers             V = vocab_size
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace qwen3 {

struct ModelConfig {
  int64_t hidden_size = 0;              // H
  int64_t intermediate_size = 0;        // I
  int64_t num_hidden_layers = 0;        // L
  int64_t num_attention_heads = 0;      // NH
  int64_t num_key_value_heads = 0;      // NKV (grouped-query attention: NH / NKV query heads share one KV head)
  int64_t head_dim = 0;                 // D
  int64_t vocab_size = 0;               // V
  int64_t max_position_embeddings = 0;  // longest sequence the model was trained for
  double rms_norm_eps = 0;
  double rope_theta = 0;
  bool tie_word_embeddings = false;     // irrelevant to embeddings (no LM head), kept for round-tripping

  int64_t q_dim() const { return num_attention_heads * head_dim; }     // NH*D: q_proj's output width
  int64_t kv_dim() const { return num_key_value_heads * head_dim; }   // NKV*D: k_proj/v_proj's output width
  int64_t group_size() const { return num_attention_heads / num_key_value_heads; }  // query heads per KV head
  // Parameters of the forward pass (embedding table + layers + final norm; no LM head).
  int64_t num_parameters() const;

  // Parses a config.json. Throws IoError if the file cannot be read, FormatError naming the file and the
  // field if it is not JSON, a field is missing or has the wrong type, or the values are inconsistent
  // (e.g. heads not a multiple of KV heads).
  static ModelConfig from_file(const std::string& path);
  // `source` names where the JSON came from, for error messages.
  static ModelConfig from_json(const nlohmann::json& j, const std::string& source);
  nlohmann::json to_json() const;

  // The shapes of the released Qwen3-Embedding models: "0.6b", "4b", "8b"; and "small", not a released size: 2
  // layers, hidden 256, intermediate 768, 4 heads of 64, 2 KV heads, the real vocabulary: the smallest shapes whose
  // rows every GGUF block type can store (256 values), for the GGUF peer check (tests/data/gguf_peer) and quick
  // runs. InputError for other names.
  static ModelConfig preset(const std::string& name);
};

// One line describing a config, e.g. "L=28 H=1024 I=3072 NH=16 NKV=8 D=128 V=151669".
std::string describe(const ModelConfig& c);

}  // namespace qwen3
