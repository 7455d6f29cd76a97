// Byte-level BPE: the "model" half of the tokenizer (core/tokenizer.cpp is the pipeline around it).
// Internal to qwen3_core; nothing outside core/ includes it.
//
// Words arrive as raw UTF-8 bytes, already cut out by the pre-tokenizer's regex. Byte-level BPE then:
//   1. spells every byte as one printable code point (GPT-2's bytes_to_unicode table), so the vocab can be a
//      table of ordinary strings: byte 0x20 (space) is spelled "Ġ", so " the" is the token "Ġthe";
//   2. starts from one symbol per byte (each of the 256 one-character tokens is in the vocab);
//   3. repeatedly merges the adjacent pair whose merge rule comes earliest in model.merges;
//   4. stops when no adjacent pair has a rule; the symbols left are the tokens.
// Decoding runs step 1 backwards: each code point of a token's spelling becomes its byte again.
//
// Symbols are token ids throughout, never strings: a merge rule is looked up as the pair (left id, right id)
// and gives (rank, merged id) directly.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace qwen3::detail {

// Hash for string-keyed maps that can be searched with a string_view (no temporary std::string).
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
template <class V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

// GPT-2's bytes_to_unicode: byte b -> the code point that spells it in the vocab. The printable Latin-1
// bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') spell themselves; the other 68 (controls, space, 0x7F..0xA0, 0xAD)
// get 256, 257, ... in byte order, so space (0x20) becomes U+0120 'Ġ' and newline (0x0A) U+010A 'Ċ'.
std::array<char32_t, 256> bytes_to_unicode();

class ByteLevelBpe {
 public:
  // Per-encode scratch space: the word cache and the buffers of the merge loop. One per encode() call, so
  // the shared, const tokenizer needs no lock. Only ByteLevelBpe reads or writes its members.
  struct Workspace {
    struct Symbol {
      int32_t id;    // token id of this symbol, -1 once it has been merged into its left neighbour
      int32_t prev;  // index of the live symbol to the left, -1 at the start of the word
      int32_t next;  // index of the live symbol to the right, -1 at the end of the word
    };
    struct Candidate {
      int32_t rank;               // position of the merge rule in model.merges: lower merges first
      int32_t left, right;        // indices of the two adjacent symbols
      int32_t left_id, right_id;  // their ids when this candidate was made (to spot stale ones)
      int32_t merged;             // id of the token the merge makes
    };
    StringMap<std::pair<uint32_t, uint32_t>> cache;  // word bytes -> (offset, count) in cached_ids
    std::vector<int32_t> cached_ids;
    std::vector<Symbol> symbols;
    std::vector<Candidate> heap;
  };

  // --- building (tokenizer.cpp does this while reading tokenizer.json; it names the fields in errors) ---

  // Sizes the tables for this many vocab entries and merge rules (saves rehashing while loading).
  void reserve(size_t tokens, size_t merges);
  // Adds a vocab entry: `token` is its byte-level spelling ("Ġthe"), `id` its id. False if `token` or `id`
  // is already present.
  bool add_token(const std::string& token, int32_t id);
  // Adds the next merge rule (its rank is the number of rules added before it): the adjacent pair
  // (left, right) becomes `merged`. A pair given twice keeps the later rank, as Hugging Face tokenizers
  // and transformers.js both do.
  void add_merge(int32_t left, int32_t right, int32_t merged);
  // When set, a word that is itself a vocab token is emitted whole, without merging (model.ignore_merges).
  void set_ignore_merges(bool on) { ignore_merges_ = on; }
  // Finishes building: resolves the 256 single-byte tokens. Returns the first byte whose token is missing
  // from the vocab, or -1 when all are present.
  int finish();

  // --- using ---

  // Appends the ids of one pre-tokenised word (raw UTF-8 bytes, non-empty) to `out`.
  void encode_word(std::string_view word, Workspace& ws, std::vector<int32_t>& out) const;
  // Id of a token by its byte-level spelling, or -1.
  int32_t token_to_id(std::string_view token) const;
  // The raw bytes that token `id` stands for, or nullptr if no vocab token has that id.
  const std::string* token_bytes(int32_t id) const;
  // The spelling of token `id` as the vocab stores it ("Ġthe" for the bytes " the"), or nullopt if no vocab token
  // has that id: add_token's argument, given back.
  std::optional<std::string> token_spelling(int32_t id) const;
  // One past the largest vocab id (0 when empty).
  int32_t id_end() const { return static_cast<int32_t>(id_bytes_.size()); }
  // Every merge rule as its pair (left id, right id), in rank order (what a GGUF file's tokenizer.ggml.merges lists).
  std::vector<std::pair<int32_t, int32_t>> merges_by_rank() const;

 private:
  // The inverse table of bytes_to_unicode: code point (all are < 324) -> byte, or -1.
  static std::array<int16_t, 324> unicode_to_bytes();
  // A merge rule: its rank and the token it makes.
  struct Merge {
    int32_t rank;
    int32_t merged;
  };
  // The rule for the adjacent pair (left, right), or nullptr.
  const Merge* find_merge(int32_t left, int32_t right) const;
  // Runs the merge loop on one word (no cache); appends the resulting ids to `out`.
  void merge_word(std::string_view word, Workspace& ws, std::vector<int32_t>& out) const;

  std::array<int16_t, 324> cp_to_byte_ = unicode_to_bytes();  // inverse of bytes_to_unicode, -1 = none
  StringMap<int32_t> token_ids_;                              // byte-level spelling -> id
  std::vector<std::string> id_bytes_;                         // id -> raw bytes
  std::vector<bool> id_present_;                              // id -> does a vocab token have this id
  std::vector<bool> id_verbatim_;  // id -> its spelling is not byte-level: id_bytes_ holds the spelling itself
  std::unordered_map<uint64_t, Merge> merges_;                // (left id << 32 | right id) -> rule
  std::array<int32_t, 256> byte_ids_{};                       // byte -> id of its one-character token
  size_t merge_count_ = 0;
  bool ignore_merges_ = false;
};

}  // namespace qwen3::detail
