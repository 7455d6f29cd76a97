// Byte-level BPE tokenizer driven by a Hugging Face tokenizer.json (the Qwen2/Qwen3 family), from scratch.
//
// encode(text):
//   1. invalid UTF-8 bytes are replaced by U+FFFD (counted, so the caller can warn);
//   2. added tokens (e.g. "<|im_start|>", "<|endoftext|>") are matched whole in the raw text, longest first,
//      and emitted as their ids; the text between them goes through steps 3..6;
//   3. NFC normalisation (utf8proc), as the file's "normalizer" says;
//   4. pre-tokenisation: the Split regex from the file's "pre_tokenizer" (run with PCRE2, UTF + UCP),
//      each match a "word";
//   5. byte-to-unicode: each byte of a word becomes one printable code point (GPT-2's table);
//   6. BPE: repeatedly merge the adjacent pair with the lowest merge rank, then look the pieces up in the vocab.
// decode(ids): concatenate the tokens' strings, map code points back to bytes; added tokens as their text.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace qwen3 {

class GgufFile;

// A GGUF file's tokenizer keys (tokenizer.ggml.*): every id's token string and type, and the merge rules.
struct GgufVocab {
  std::vector<std::string> tokens;  // by id: byte-level spelling (BPE) or content (added token); "[PADn]" if unused
  std::vector<int32_t> types;       // by id: 1 normal, 3 control, 4 user-defined, 5 unused (llama.cpp's token types)
  std::vector<std::string> merges;  // "left right" (byte-level spellings), in rank order
};

// Qwen3-Embedding appends this id to every input (its tokenizer.json post-processor does; the plain Qwen3
// tokenizer.json does not, so the project appends it itself).
inline constexpr int32_t kEndOfTextId = 151643;
// The largest token id a tokenizer.json may use: tables are indexed by id, so an id of 10^8 would cost gigabytes
// before anything else is checked. Qwen3's largest is 151668; 2^24 - 1 leaves room for any real vocabulary.
inline constexpr int32_t kMaxTokenId = (1 << 24) - 1;

class Tokenizer {
 public:
  // Reads `dir`/tokenizer.json. Missing file -> IoError; malformed -> FormatError naming the file and field.
  static Tokenizer from_dir(const std::string& dir);
  static Tokenizer from_file(const std::string& tokenizer_json_path);
  // Reads a GGUF file's tokenizer (tokenizer.ggml.model "gpt2", .pre "qwen2", .tokens, .token_type, .merges) into
  // the same pipeline: the Qwen2 split regex and NFC (which a GGUF file does not spell out: "qwen2" names them),
  // normal tokens into the BPE vocab, control and user-defined ones as added tokens. FormatError naming the file
  // and the key for anything missing, of the wrong type or inconsistent.
  static Tokenizer from_gguf(const GgufFile& file);
  ~Tokenizer();
  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;

  // Token ids of `text`, without any appended token. If `invalid_bytes` is non-null it receives the number of
  // invalid UTF-8 bytes that were replaced with U+FFFD.
  std::vector<int32_t> encode(std::string_view text, size_t* invalid_bytes = nullptr) const;
  // encode(text) followed by <|endoftext|> (151643): what Qwen3-Embedding feeds the model.
  std::vector<int32_t> encode_for_embedding(std::string_view text, size_t* invalid_bytes = nullptr) const;
  // The text of `ids`. Unknown ids throw InputError.
  std::string decode(const std::vector<int32_t>& ids) const;

  // Number of ids (BPE vocab + added tokens): 151669 for Qwen3.
  size_t vocab_size() const;
  // Id of a token string (BPE vocab or added token), or -1.
  int32_t token_to_id(std::string_view token) const;
  // The inverse: the token string of `id` as tokenizer.json stores it, so that byte-level BPE can be seen. A BPE
  // token comes in its byte-level spelling, each byte one printable code point ("Ġworld" for " world", "Ċ" for a
  // newline, "Ã©" for the two bytes of "é"); an added token as its content ("<|endoftext|>").
  // token_to_id(id_to_token(id)) == id. Unknown ids throw InputError, as in decode.
  std::string id_to_token(int32_t id) const;
  // The vocabulary as a GGUF file stores it, padded with unused "[PADn]" entries to `vocab_size` ids (the
  // embedding's rows). InputError if vocab_size is below vocab_size().
  GgufVocab to_gguf_vocab(size_t vocab_size) const;

 private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Replaces invalid UTF-8 with U+FFFD, one replacement per maximal invalid subpart (the Unicode practice that
// Python's errors="replace" and the WHATWG TextDecoder follow); returns the cleaned string and, in
// `invalid_bytes`, the number of bytes that were replaced.
std::string sanitize_utf8(std::string_view text, size_t* invalid_bytes);

}  // namespace qwen3
