#include "core/config.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/regular_file.h"
#include "core/json_read.h"

namespace qwen3 {

namespace {

// The largest value each size may take. They keep every product the project forms from them (q_dim, parameter
// counts, FLOP counts, buffer sizes) far inside int64, and are far above any released model (the 8B: hidden 4096,
// intermediate 12288, 36 layers, 32 heads, head_dim 128, vocabulary 151665, 40960 positions).
constexpr int64_t kMaxHidden = int64_t{1} << 20, kMaxIntermediate = int64_t{1} << 22, kMaxLayers = 4096,
                  kMaxHeads = 4096, kMaxHeadDim = 4096, kMaxVocab = int64_t{1} << 24, kMaxPositions = int64_t{1} << 24;

// Reads a required integer field in 1..max, naming the file, the field and the limit when it is missing, not an
// integer or out of range.
int64_t require_int(const nlohmann::json& j, const char* field, const std::string& source, int64_t max) {
  if (!j.contains(field)) throw FormatError(source + ": missing field '" + field + "'");
  const auto& v = j[field];
  if (!v.is_number_integer()) throw FormatError(source + ": field '" + field + "' must be an integer");
  // compared as the JSON integer it is: a value above INT64_MAX is unsigned and must not wrap to a negative
  const bool too_large =
      v.is_number_unsigned() ? v.get<uint64_t>() > static_cast<uint64_t>(max) : v.get<int64_t>() > max;
  if (too_large) {
    throw FormatError(source + ": field '" + field + "' is " + v.dump() + ", above the limit " + std::to_string(max));
  }
  const int64_t x = v.get<int64_t>();
  if (x <= 0) throw FormatError(source + ": field '" + field + "' must be positive, got " + std::to_string(x));
  return x;
}

double require_number(const nlohmann::json& j, const char* field, const std::string& source) {
  if (!j.contains(field)) throw FormatError(source + ": missing field '" + field + "'");
  const auto& v = j[field];
  if (!v.is_number()) throw FormatError(source + ": field '" + field + "' must be a number");
  const double x = v.get<double>();
  if (!(x > 0) || !std::isfinite(x)) throw FormatError(source + ": field '" + field + "' must be positive and finite");
  return x;
}

// RoPE's base θ. transformers 4.x and the released checkpoints write `rope_theta` at the top level; transformers
// 5.x writes it inside `rope_parameters` ({"rope_theta": 1000000.0, "rope_type": "default"}). Either is read (both
// must agree when both are there). Only the default RoPE is implemented: a `rope_parameters` or `rope_scaling` of
// another type (yarn, linear, dynamic, ...) is refused rather than run as something it is not.
double read_rope_theta(const nlohmann::json& j, const std::string& source) {
  auto check_default = [&](const char* field) {
    if (!j.contains(field) || j[field].is_null()) return;
    const nlohmann::json& r = j[field];
    if (!r.is_object()) throw FormatError(source + ": field '" + field + "' must be an object or null");
    const char* type_key = r.contains("rope_type") ? "rope_type" : r.contains("type") ? "type" : nullptr;
    const bool is_default = type_key != nullptr && r[type_key].is_string() && r[type_key] == "default";
    if (!is_default) {
      throw FormatError(source + ": " + field + " asks for a RoPE variant that is not supported (only " +
                        "rope_type \"default\" is)");
    }
  };
  check_default("rope_parameters");
  check_default("rope_scaling");
  const bool top = j.contains("rope_theta");
  const bool nested = j.contains("rope_parameters") && j["rope_parameters"].is_object() &&
                      j["rope_parameters"].contains("rope_theta");
  if (!top && !nested) throw FormatError(source + ": missing field 'rope_theta' (nor rope_parameters.rope_theta)");
  const double theta = top ? require_number(j, "rope_theta", source) : 0;
  if (!nested) return theta;
  const double inner = require_number(j["rope_parameters"], "rope_theta", source + ": rope_parameters");
  if (top && inner != theta) {
    throw FormatError(source + ": rope_theta (" + std::to_string(theta) + ") and rope_parameters.rope_theta (" +
                      std::to_string(inner) + ") disagree");
  }
  return inner;
}

}  // namespace

ModelConfig ModelConfig::from_json(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) throw FormatError(source + ": expected a JSON object");
  if (j.contains("model_type") && j["model_type"] != "qwen3") {
    throw FormatError(source + ": model_type is " + json_excerpt(j["model_type"]) + ", expected \"qwen3\"");
  }
  ModelConfig c;
  c.hidden_size = require_int(j, "hidden_size", source, kMaxHidden);
  c.intermediate_size = require_int(j, "intermediate_size", source, kMaxIntermediate);
  c.num_hidden_layers = require_int(j, "num_hidden_layers", source, kMaxLayers);
  c.num_attention_heads = require_int(j, "num_attention_heads", source, kMaxHeads);
  c.num_key_value_heads = require_int(j, "num_key_value_heads", source, kMaxHeads);
  // head_dim is optional in Hugging Face configs: it defaults to hidden_size / num_attention_heads.
  if (j.contains("head_dim") && !j["head_dim"].is_null()) {
    c.head_dim = require_int(j, "head_dim", source, kMaxHeadDim);
  } else {
    c.head_dim = c.hidden_size / c.num_attention_heads;
    if (c.head_dim == 0) {
      throw FormatError(source + ": no head_dim, and hidden_size (" + std::to_string(c.hidden_size) +
                        ") / num_attention_heads (" + std::to_string(c.num_attention_heads) + ") is 0");
    }
    if (c.head_dim > kMaxHeadDim) {
      throw FormatError(source + ": head_dim (hidden_size / num_attention_heads) is " + std::to_string(c.head_dim) +
                        ", above the limit " + std::to_string(kMaxHeadDim));
    }
  }
  c.vocab_size = require_int(j, "vocab_size", source, kMaxVocab);
  c.max_position_embeddings = require_int(j, "max_position_embeddings", source, kMaxPositions);
  c.rms_norm_eps = require_number(j, "rms_norm_eps", source);
  c.rope_theta = read_rope_theta(j, source);
  if (j.contains("tie_word_embeddings")) {
    if (!j["tie_word_embeddings"].is_boolean()) throw FormatError(source + ": field 'tie_word_embeddings' must be a boolean");
    c.tie_word_embeddings = j["tie_word_embeddings"].get<bool>();
  }
  if (c.num_attention_heads % c.num_key_value_heads != 0) {
    throw FormatError(source + ": num_attention_heads (" + std::to_string(c.num_attention_heads) +
                      ") is not a multiple of num_key_value_heads (" + std::to_string(c.num_key_value_heads) + ")");
  }
  if (c.head_dim % 2 != 0) throw FormatError(source + ": head_dim must be even for rotary embeddings");
  if (j.contains("attention_bias") && j["attention_bias"] == true) {
    throw FormatError(source + ": attention_bias=true is not supported (Qwen3 has no attention biases)");
  }
  return c;
}

ModelConfig ModelConfig::from_file(const std::string& path) {
  // A config.json is a few hundred bytes; 16 MiB is far beyond any real one.
  return from_json(parse_json(read_regular_file(path, "config file", uint64_t{16} << 20), path), path);
}

nlohmann::json ModelConfig::to_json() const {
  return nlohmann::json{
      {"architectures", {"Qwen3ForCausalLM"}},
      {"model_type", "qwen3"},
      {"hidden_size", hidden_size},
      {"intermediate_size", intermediate_size},
      {"num_hidden_layers", num_hidden_layers},
      {"num_attention_heads", num_attention_heads},
      {"num_key_value_heads", num_key_value_heads},
      {"head_dim", head_dim},
      {"vocab_size", vocab_size},
      {"max_position_embeddings", max_position_embeddings},
      {"rms_norm_eps", rms_norm_eps},
      {"rope_theta", rope_theta},
      {"rope_scaling", nullptr},
      {"tie_word_embeddings", tie_word_embeddings},
      {"hidden_act", "silu"},
      {"attention_bias", false},
      {"attention_dropout", 0.0},
      {"use_sliding_window", false},
      {"sliding_window", nullptr},
      {"max_window_layers", num_hidden_layers},
      {"bos_token_id", 151643},
      {"eos_token_id", 151643},
      {"torch_dtype", "float32"},
  };
}

int64_t ModelConfig::num_parameters() const {
  const int64_t H = hidden_size, I = intermediate_size, D = head_dim;
  const int64_t attn = H * q_dim() + 2 * H * kv_dim() + q_dim() * H;  // q, k, v, o projections
  const int64_t mlp = 3 * H * I;                                     // gate, up, down
  const int64_t norms = 2 * H + 2 * D;                               // input/post-attention norms, q/k norms
  return vocab_size * H + num_hidden_layers * (attn + mlp + norms) + H;
}

ModelConfig ModelConfig::preset(const std::string& name) {
  // The config.json values of Qwen/Qwen3-Embedding-{0.6B,4B,8B}. Their parameter counts (without the 8B's
  // unused lm_head) are 595,776,512 / 4,021,774,336 / 7,567,295,488; tests/test_config.cpp checks them.
  ModelConfig c;
  c.rms_norm_eps = 1e-6;
  c.rope_theta = 1e6;
  c.head_dim = 128;
  c.num_key_value_heads = 8;
  if (name == "0.6b") {
    c.hidden_size = 1024, c.intermediate_size = 3072, c.num_hidden_layers = 28, c.num_attention_heads = 16;
    c.vocab_size = 151669, c.max_position_embeddings = 32768, c.tie_word_embeddings = true;
  } else if (name == "4b") {
    c.hidden_size = 2560, c.intermediate_size = 9728, c.num_hidden_layers = 36, c.num_attention_heads = 32;
    c.vocab_size = 151665, c.max_position_embeddings = 40960, c.tie_word_embeddings = true;
  } else if (name == "8b") {
    c.hidden_size = 4096, c.intermediate_size = 12288, c.num_hidden_layers = 36, c.num_attention_heads = 32;
    c.vocab_size = 151665, c.max_position_embeddings = 40960, c.tie_word_embeddings = false;
  } else if (name == "small") {
    c.hidden_size = 256, c.intermediate_size = 768, c.num_hidden_layers = 2, c.num_attention_heads = 4;
    c.num_key_value_heads = 2, c.head_dim = 64;
    c.vocab_size = 151669, c.max_position_embeddings = 32768, c.tie_word_embeddings = true;
  } else {
    throw InputError("unknown config '" + name + "' (expected 0.6b, 4b, 8b or small)");
  }
  return c;
}

std::string describe(const ModelConfig& c) {
  std::ostringstream s;
  s << "L=" << c.num_hidden_layers << " H=" << c.hidden_size << " I=" << c.intermediate_size
    << " NH=" << c.num_attention_heads << " NKV=" << c.num_key_value_heads << " D=" << c.head_dim
    << " V=" << c.vocab_size;
  return s.str();
}

}  // namespace qwen3
