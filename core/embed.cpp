#include "core/embed.h"

#include <algorithm>

#include "core/error.h"
#include "core/pooling.h"

namespace qwen3 {

std::string format_query(const std::string& task, const std::string& query) {
  return "Instruct: " + task + "\nQuery:" + query;
}

std::vector<int32_t> embedding_ids(const Tokenizer& tokenizer, const std::string& text, int64_t max_tokens,
                                   size_t index, const std::function<void(const std::string&)>& warn) {
  if (max_tokens < 1) throw InputError("--max-tokens must be at least 1, got " + std::to_string(max_tokens));
  size_t invalid = 0;
  std::vector<int32_t> ids = tokenizer.encode(text, &invalid);
  if (invalid > 0) {
    warn("input " + std::to_string(index) + ": " + std::to_string(invalid) +
         " invalid UTF-8 byte(s) replaced with U+FFFD");
  }
  // As Hugging Face truncation does with add_special_tokens: the text is cut so that, with <|endoftext|>
  // appended, the sequence has exactly max_tokens tokens.
  if (static_cast<int64_t>(ids.size()) + 1 > max_tokens) {
    warn("input " + std::to_string(index) + ": " + std::to_string(ids.size() + 1) + " tokens, truncated to " +
         std::to_string(max_tokens) + " (--max-tokens)");
    ids.resize(max_tokens - 1);
  }
  ids.push_back(kEndOfTextId);
  return ids;
}

std::vector<Embedding> embed_texts(Backend& backend, const Tokenizer& tokenizer, const std::vector<std::string>& texts,
                                   const EmbedOptions& options, const std::function<void(const std::string&)>& warn) {
  const int64_t H = backend.config().hidden_size;
  const int64_t dim = options.dim == 0 ? H : options.dim;
  if (options.dim != 0) check_matryoshka_dim(dim, H);  // no --dim: the whole state, whatever H is
  if (texts.empty()) throw InputError("no input texts");

  std::vector<std::vector<int32_t>> ids;
  ids.reserve(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) ids.push_back(embedding_ids(tokenizer, texts[i], options.max_tokens, i, warn));

  std::vector<Embedding> out(texts.size());
  // Pack consecutive texts into batches of at most batch_tokens tokens (a longer text goes alone).
  size_t first = 0;
  while (first < ids.size()) {
    size_t last = first;
    int64_t tokens = 0;
    std::vector<std::vector<int32_t>> chunk;
    while (last < ids.size() && (chunk.empty() || tokens + static_cast<int64_t>(ids[last].size()) <= options.batch_tokens)) {
      tokens += static_cast<int64_t>(ids[last].size());
      chunk.push_back(ids[last++]);
    }
    const ForwardOutput fwd = backend.forward(Batch::pack(chunk));
    for (size_t i = first; i < last; ++i) {
      const float* e = fwd.embeddings.data() + (i - first) * H;
      out[i].values = dim == H ? std::vector<float>(e, e + H) : matryoshka_truncate(e, H, dim);
      out[i].tokens = static_cast<int64_t>(ids[i].size());
    }
    first = last;
  }
  return out;
}

}  // namespace qwen3
