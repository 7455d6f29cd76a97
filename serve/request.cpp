#include "serve/request.h"

#include <nlohmann/json.hpp>

#include "core/embed.h"

namespace qwen3::serve {

ApiError bad_request(const std::string& message, const std::string& param, const std::string& code) {
  return ApiError(400, message, "invalid_request_error", param, code);
}

namespace {

using nlohmann::json;

// A JSON value's type in words, for error messages.
std::string type_name(const json& v) {
  if (v.is_number_integer()) return "an integer";
  if (v.is_number_float()) return "a number with a fraction";
  if (v.is_string()) return "a string";
  if (v.is_array()) return "an array";
  if (v.is_object()) return "an object";
  if (v.is_boolean()) return "a boolean";
  return "null";
}

// One token id: an integer in [0, vocab_size). `where` names it ("input[2][5]").
int32_t token_id(const json& v, const std::string& where, int64_t vocab_size) {
  if (!v.is_number_integer()) {
    throw bad_request("'" + where + "' must be a token id (an integer), not " + type_name(v), "input");
  }
  if (v.is_number_unsigned()) {
    const uint64_t id = v.get<uint64_t>();
    if (id < static_cast<uint64_t>(vocab_size)) return static_cast<int32_t>(id);
    throw bad_request("'" + where + "' = " + v.dump() + " is out of the vocabulary (token ids are 0.." +
                          std::to_string(vocab_size - 1) + ")",
                      "input");
  }
  throw bad_request("'" + where + "' = " + v.dump() + " is negative (token ids are 0.." +
                        std::to_string(vocab_size - 1) + ")",
                    "input");
}

// [id, ...] -> ids; an empty array is refused.
std::vector<int32_t> token_ids(const json& arr, const std::string& where, int64_t vocab_size) {
  if (arr.empty()) throw bad_request("'" + where + "' is an empty list of token ids", "input");
  std::vector<int32_t> ids;
  ids.reserve(arr.size());
  for (size_t i = 0; i < arr.size(); ++i) ids.push_back(token_id(arr[i], where + "[" + std::to_string(i) + "]", vocab_size));
  return ids;
}

// "input": string | [string] | [id] | [[id]]
void parse_input(const json& input, const RequestLimits& limits, EmbeddingsRequest& r) {
  if (input.is_string()) {
    if (input.get_ref<const std::string&>().empty()) throw bad_request("'input' is an empty string", "input");
    r.texts.push_back(input.get<std::string>());
    return;
  }
  if (!input.is_array()) {
    throw bad_request("'input' must be a string, an array of strings, an array of token ids or an array of arrays of "
                      "token ids, not " + type_name(input), "input");
  }
  if (input.empty()) throw bad_request("'input' is an empty array", "input");
  const json& first = input.front();
  if (first.is_number_integer()) {  // one pre-tokenised input
    r.token_input = true;
    r.ids.push_back(token_ids(input, "input", limits.vocab_size));
    return;
  }
  if (static_cast<int64_t>(input.size()) > limits.max_inputs) {
    throw ApiError(413, "'input' has " + std::to_string(input.size()) + " inputs; at most " +
                            std::to_string(limits.max_inputs) + " per request (--max-inputs-per-request)",
                   "invalid_request_error", "input", "too_many_inputs");
  }
  if (first.is_string()) {
    r.texts.reserve(input.size());
    for (size_t i = 0; i < input.size(); ++i) {
      const std::string where = "input[" + std::to_string(i) + "]";
      if (!input[i].is_string()) {
        throw bad_request("'" + where + "' must be a string like input[0], not " + type_name(input[i]), "input");
      }
      if (input[i].get_ref<const std::string&>().empty()) throw bad_request("'" + where + "' is an empty string", "input");
      r.texts.push_back(input[i].get<std::string>());
    }
    return;
  }
  if (first.is_array()) {
    r.token_input = true;
    r.ids.reserve(input.size());
    for (size_t i = 0; i < input.size(); ++i) {
      const std::string where = "input[" + std::to_string(i) + "]";
      if (!input[i].is_array()) {
        throw bad_request("'" + where + "' must be an array of token ids like input[0], not " + type_name(input[i]),
                          "input");
      }
      r.ids.push_back(token_ids(input[i], where, limits.vocab_size));
    }
    return;
  }
  throw bad_request("'input[0]' must be a string, a token id or an array of token ids, not " + type_name(first), "input");
}

// An optional string field: absent or null -> nullopt.
std::optional<std::string> optional_string(const json& body, const char* name) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw bad_request(std::string("'") + name + "' must be a string, not " + type_name(*it), name);
  return it->get<std::string>();
}

}  // namespace

EmbeddingsRequest parse_embeddings_request(std::string_view body, const RequestLimits& limits) {
  const json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw bad_request("the request body is not valid JSON", "");
  if (!j.is_object()) throw bad_request("the request body must be a JSON object, not " + type_name(j), "");

  EmbeddingsRequest r;
  r.model = optional_string(j, "model");
  if (r.model && *r.model != limits.model_name) {
    throw ApiError(404, "the model '" + *r.model + "' does not exist; this server serves '" + limits.model_name + "'",
                   "invalid_request_error", "model", "model_not_found");
  }
  const auto input = j.find("input");
  if (input == j.end() || input->is_null()) throw bad_request("'input' is missing", "input");
  parse_input(*input, limits, r);

  const std::optional<std::string> format = optional_string(j, "encoding_format");
  if (format && *format != "float" && *format != "base64") {
    throw bad_request("'encoding_format' must be 'float' or 'base64', not '" + *format + "'", "encoding_format");
  }
  r.base64 = format && *format == "base64";

  const auto dims = j.find("dimensions");
  if (dims != j.end() && !dims->is_null()) {
    const std::string range = "1.." + std::to_string(limits.hidden_size);
    if (!dims->is_number_integer()) {
      throw bad_request("'dimensions' must be an integer in " + range + ", not " + type_name(*dims), "dimensions");
    }
    const bool in_range = dims->is_number_unsigned() && dims->get<uint64_t>() >= 1 &&
                          dims->get<uint64_t>() <= static_cast<uint64_t>(limits.hidden_size);
    if (!in_range) throw bad_request("'dimensions' = " + dims->dump() + " is outside " + range, "dimensions");
    r.dimensions = dims->get<int64_t>();
  }
  r.instruction = optional_string(j, "instruction").value_or("");
  if (r.token_input && !r.instruction.empty()) {
    throw bad_request("'instruction' applies to text inputs only; prepend it to the token ids yourself", "instruction");
  }
  return r;
}

std::vector<std::vector<int32_t>> input_token_ids(const EmbeddingsRequest& request, const Tokenizer& tokenizer,
                                                  const RequestLimits& limits) {
  const int64_t max = limits.max_input_tokens;
  auto too_long = [&](size_t i, size_t tokens) {
    return bad_request("input " + std::to_string(i) + " has " + std::to_string(tokens) + " tokens; at most " +
                           std::to_string(max) + " are allowed (--max-input-tokens; --auto-truncate cuts instead)",
                       "input", "context_length_exceeded");
  };
  std::vector<std::vector<int32_t>> out;
  out.reserve(request.size());
  if (request.token_input) {
    for (size_t i = 0; i < request.ids.size(); ++i) {
      std::vector<int32_t> ids = request.ids[i];
      if (static_cast<int64_t>(ids.size()) > max) {
        if (!limits.auto_truncate) throw too_long(i, ids.size());
        ids.resize(max);  // keep the start, as the text path does
      }
      out.push_back(std::move(ids));
    }
    return out;
  }
  const auto ignore = [](const std::string&) {};
  for (size_t i = 0; i < request.texts.size(); ++i) {
    const std::string text =
        request.instruction.empty() ? request.texts[i] : format_query(request.instruction, request.texts[i]);
    // Tokenise whole (<|endoftext|> appended), then refuse or cut exactly as embedding_ids(max) would.
    std::vector<int32_t> ids = embedding_ids(tokenizer, text, INT64_MAX, i, ignore);
    if (static_cast<int64_t>(ids.size()) > max) {
      if (!limits.auto_truncate) throw too_long(i, ids.size());
      ids.resize(max);
      ids.back() = kEndOfTextId;
    }
    out.push_back(std::move(ids));
  }
  return out;
}

}  // namespace qwen3::serve
