// The OpenAI embeddings request (POST /v1/embeddings), parsed and checked into a typed struct. Pure: no I/O, no
// model; the HTTP layer (serve/http_server.cpp) hands the body in, the unit tests and the fuzz target
// (tests/fuzz/fuzz_serve_request.cpp) call it directly.
//
//   {"input": "text" | ["text", ...] | [id, ...] | [[id, ...], ...],   required, never empty
//    "model": "NAME",                  optional; another name than the served one: 404 model_not_found
//    "encoding_format": "float"|"base64",   optional, default float (base64: little-endian float32 bytes)
//    "dimensions": N,                  optional, 1..hidden: Matryoshka, the first N components re-normalised
//    "instruction": "TASK",            extension: texts become format_query(TASK, text), as `embed --instruct`
//    "user": ..., anything else}       ignored
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/tokenizer.h"

namespace qwen3::serve {

// A refused request: the HTTP status and OpenAI's error fields {"message","type","param","code"}.
class ApiError : public InputError {
 public:
  ApiError(int status, std::string message, std::string type, std::string param, std::string code)
      : InputError(message), status(status), type(std::move(type)), param(std::move(param)), code(std::move(code)) {}
  int status;
  std::string type;   // "invalid_request_error", "rate_limit_error", "server_error"
  std::string param;  // the offending field ("input", "dimensions", ...) or empty (JSON null)
  std::string code;   // "model_not_found", "context_length_exceeded", ... or empty (JSON null)
};

// 400 invalid_request_error naming `param`.
ApiError bad_request(const std::string& message, const std::string& param, const std::string& code = "");

// What a request may ask for: the served model's shape and the server's limits.
struct RequestLimits {
  std::string model_name;           // the name /v1/models lists
  int64_t hidden_size = 0;          // dimensions must be 1..hidden_size
  int64_t vocab_size = 0;           // token ids must be 0..vocab_size-1
  int64_t max_inputs = 2048;        // inputs per request (413 beyond)
  int64_t max_input_tokens = 8192;  // tokens per input, <|endoftext|> included (400 beyond, or cut)
  bool auto_truncate = false;       // cut over-long inputs to max_input_tokens instead of refusing them
};

struct EmbeddingsRequest {
  bool token_input = false;                 // input given as token ids (then `ids`), else as texts (`texts`)
  std::vector<std::string> texts;           // [n] texts, as sent (the instruction not yet applied)
  std::vector<std::vector<int32_t>> ids;    // [n][len] token ids, checked against the vocabulary and cut if allowed
  std::optional<std::string> model;         // as sent
  bool base64 = false;                      // encoding_format "base64"
  int64_t dimensions = 0;                   // 0: the full hidden size
  std::string instruction;                  // extension: the query instruction ("" = none)

  size_t size() const { return token_input ? ids.size() : texts.size(); }
};

// Parses and checks a request body. Throws ApiError (400 malformed JSON or a bad field, 404 model_not_found,
// 413 too many inputs) and nothing else.
EmbeddingsRequest parse_embeddings_request(std::string_view body, const RequestLimits& limits);

// The token ids each input is embedded from. Texts exactly as `qwen3emb embed` tokenises them (embedding_ids:
// the instruction applied, then encode + <|endoftext|>); token-id inputs as given (no <|endoftext|> appended,
// as OpenAI-compatible servers treat pre-tokenised input). An input longer than limits.max_input_tokens is a
// 400 context_length_exceeded, or with auto_truncate is cut to it (a text keeps <|endoftext|> as its last token).
std::vector<std::vector<int32_t>> input_token_ids(const EmbeddingsRequest& request, const Tokenizer& tokenizer,
                                                  const RequestLimits& limits);

}  // namespace qwen3::serve
