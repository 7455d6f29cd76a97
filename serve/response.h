// The bodies the server sends: OpenAI's embeddings list (floats or base64 of little-endian float32), the model
// list, and the error object {"error":{"message","type","param","code"}}. Pure functions over finished numbers.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "serve/request.h"

namespace qwen3::serve {

// Matryoshka for the API: the first `dim` components of a unit embedding, re-normalised. e: [H] -> [dim],
// 1 <= dim <= H (the request parser checked it; dim == H returns e unchanged).
std::vector<float> truncate_embedding(const std::vector<float>& e, int64_t dim);

// Standard base64 (RFC 4648, with padding) of `n` bytes.
std::string base64_encode(const uint8_t* bytes, size_t n);
// The embedding as OpenAI's base64 encoding_format sends it: its float32 values' little-endian bytes, in base64.
std::string base64_floats(const std::vector<float>& v);

// {"object":"list","data":[{"object":"embedding","index":i,"embedding":[...] or "base64"}...],"model":M,
//  "usage":{"prompt_tokens":N,"total_tokens":N}}. Floats with 9 significant digits (they read back exactly).
std::string embeddings_body(const std::vector<std::vector<float>>& embeddings, bool base64, const std::string& model,
                            int64_t prompt_tokens);

// {"object":"list","data":[{"id":M,"object":"model","created":T,"owned_by":"qwen3emb"}]}
// vocab_size > 0 adds "vocab_size" to the model object (an extension: the range of token ids an input may hold, which
// `qwen3emb loadgen` reads); 0 while no model is loaded.
std::string models_body(const std::string& model, int64_t created, int64_t vocab_size);

// {"error":{"message":...,"type":...,"param":... or null,"code":... or null}}
std::string error_body(const ApiError& e);

}  // namespace qwen3::serve
