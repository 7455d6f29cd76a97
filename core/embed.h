// The embedding pipeline: text -> (instruction) -> token ids (+ <|endoftext|>) -> packed batches ->
// Backend::forward -> last-token, L2-normalised embeddings -> optional Matryoshka truncation.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/backend.h"
#include "core/tokenizer.h"

namespace qwen3 {

// Queries carry a one-sentence task description; documents are embedded as they are.
// "Instruct: {task}\nQuery:{query}"
std::string format_query(const std::string& task, const std::string& query);

struct EmbedOptions {
  int64_t max_tokens = 8192;     // longer inputs are cut to this many tokens (the last one <|endoftext|>)
  int64_t dim = 0;               // Matryoshka: 0 = the full hidden size, else 32..hidden
  int64_t batch_tokens = 16384;  // texts are packed into forward passes of at most this many tokens
};

struct Embedding {
  std::vector<float> values;  // [dim], unit length
  int64_t tokens = 0;         // tokens fed to the model, <|endoftext|> included
};

// Tokenises and embeds `texts` in order. Warnings (invalid UTF-8 replaced, input truncated) are passed to
// `warn`, one line each, naming the input's index. InputError for a bad --dim or --max-tokens.
std::vector<Embedding> embed_texts(Backend& backend, const Tokenizer& tokenizer, const std::vector<std::string>& texts,
                                   const EmbedOptions& options, const std::function<void(const std::string&)>& warn);

// Token ids exactly as embed_texts feeds them: encode, cut to max_tokens - 1, append <|endoftext|>.
std::vector<int32_t> embedding_ids(const Tokenizer& tokenizer, const std::string& text, int64_t max_tokens,
                                   size_t index, const std::function<void(const std::string&)>& warn);

}  // namespace qwen3
