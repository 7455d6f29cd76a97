#include "serve/response.h"

#include <bit>
#include <cstdio>
#include <cstring>

#include <nlohmann/json.hpp>

#include "core/pooling.h"

namespace qwen3::serve {

std::vector<float> truncate_embedding(const std::vector<float>& e, int64_t dim) {
  if (dim >= static_cast<int64_t>(e.size())) return e;
  std::vector<float> out(e.begin(), e.begin() + dim);
  l2_normalize(out.data(), dim);  // v <- v / ||v||₂ over the kept components
  return out;
}

std::string base64_encode(const uint8_t* bytes, size_t n) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  // Each 3 bytes (24 bits) become 4 characters of 6 bits; a last group of 1 or 2 bytes is padded with '='.
  for (size_t i = 0; i < n; i += 3) {
    const uint32_t b0 = bytes[i], b1 = i + 1 < n ? bytes[i + 1] : 0, b2 = i + 2 < n ? bytes[i + 2] : 0;
    const uint32_t group = (b0 << 16) | (b1 << 8) | b2;
    out.push_back(kAlphabet[(group >> 18) & 63]);
    out.push_back(kAlphabet[(group >> 12) & 63]);
    out.push_back(i + 1 < n ? kAlphabet[(group >> 6) & 63] : '=');
    out.push_back(i + 2 < n ? kAlphabet[group & 63] : '=');
  }
  return out;
}

std::string base64_floats(const std::vector<float>& v) {
  static_assert(std::endian::native == std::endian::little, "base64 embeddings are little-endian float32");
  std::vector<uint8_t> bytes(v.size() * sizeof(float));
  if (!v.empty()) std::memcpy(bytes.data(), v.data(), bytes.size());
  return base64_encode(bytes.data(), bytes.size());
}

namespace {

// A float with enough digits to read back the same float32 (as `qwen3emb embed` writes them).
void append_float(std::string& s, float x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(x));
  s.append(buf);
}

}  // namespace

std::string embeddings_body(const std::vector<std::vector<float>>& embeddings, bool base64, const std::string& model,
                            int64_t prompt_tokens) {
  std::string s = "{\"object\":\"list\",\"data\":[";
  for (size_t i = 0; i < embeddings.size(); ++i) {
    if (i) s.push_back(',');
    s.append("{\"object\":\"embedding\",\"index\":").append(std::to_string(i)).append(",\"embedding\":");
    if (base64) {
      s.push_back('"');
      s.append(base64_floats(embeddings[i]));
      s.push_back('"');
    } else {
      s.push_back('[');
      for (size_t k = 0; k < embeddings[i].size(); ++k) {
        if (k) s.push_back(',');
        append_float(s, embeddings[i][k]);
      }
      s.push_back(']');
    }
    s.push_back('}');
  }
  const nlohmann::json usage = {{"prompt_tokens", prompt_tokens}, {"total_tokens", prompt_tokens}};
  s.append("],\"model\":").append(nlohmann::json(model).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)).append(",\"usage\":").append(usage.dump());
  s.push_back('}');
  return s;
}

std::string models_body(const std::string& model, int64_t created, int64_t vocab_size) {
  nlohmann::json m = {{"id", model}, {"object", "model"}, {"created", created}, {"owned_by", "qwen3emb"}};
  if (vocab_size > 0) m["vocab_size"] = vocab_size;
  return nlohmann::json{{"object", "list"}, {"data", nlohmann::json::array({m})}}.dump();
}

std::string error_body(const ApiError& e) {
  auto or_null = [](const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); };
  const nlohmann::json err = {{"message", e.what()}, {"type", e.type}, {"param", or_null(e.param)}, {"code", or_null(e.code)}};
  // Invalid UTF-8 echoed from a request (a model name) is replaced rather than thrown on.
  return nlohmann::json{{"error", err}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace qwen3::serve
