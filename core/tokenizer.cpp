// The tokenizer pipeline (see core/tokenizer.h for the six steps): reading tokenizer.json, matching added
// tokens, NFC, the pre-tokenizer's split regex, and handing each word to byte-level BPE
// (core/tokenizer_bpe.cpp). Decoding is the byte-level table run backwards.
//
// Where the independent peer (transformers.js, tests/js/encode_peer.mjs) and this code differ -- through the
// regex engines' Unicode tables, not through a mistake on either side -- so the parity corpus leaves these
// characters out:
//   - "\s": PCRE2 with UCP counts U+0085 (NEL) and U+180E as white space; JavaScript does not, but counts
//     U+FEFF (byte order mark), which PCRE2 does not. Hugging Face's Rust tokenizers (Oniguruma) follow the
//     Unicode White_Space property: NEL yes, U+180E and U+FEFF no, so PCRE2 agrees with them on the two
//     that change ids: " \u0085x" and "\uFEFF# Title" give different ids here and in transformers.js.
//   - "(?i:'s|...)": PCRE2 folds case the Unicode way, so "'\u017F" (long s) matches like "'s"; transformers.js
//     rewrites the group to "[sS]", which does not. The words differ; no merge involves U+017F, so the ids
//     have agreed wherever tried.
//   - letters and digits new in Unicode 15.0 or later: PCRE2 10.42 knows Unicode 14, node 20 knows 15.1.
#include "core/tokenizer.h"

#include "core/json_read.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <unordered_map>

#include "core/error.h"
#include "core/gguf.h"
#include "core/regular_file.h"
#include "core/tokenizer_bpe.h"

namespace qwen3 {

using nlohmann::json;

namespace {

// ---------------------------------------------------------------------------------------------------------
// Reading tokenizer.json: every error names the file and the field.
// ---------------------------------------------------------------------------------------------------------

// Throws a FormatError "FILE: FIELD: WHAT".
[[noreturn]] void format_error(const std::string& file, const std::string& field, const std::string& what) {
  throw FormatError(file + ": " + field + ": " + what);
}

// The member `key` of the object `obj` (whose path in the file is `where`); a FormatError if it is missing.
const json& require(const json& obj, const std::string& key, const std::string& where, const std::string& file) {
  const std::string field = where.empty() ? key : where + "." + key;
  if (!obj.is_object()) format_error(file, where.empty() ? "(top level)" : where, "is not a JSON object");
  const auto it = obj.find(key);
  if (it == obj.end()) format_error(file, field, "is missing");
  return *it;
}

// The string member `key` of `obj`, or `fallback` when it is missing or null.
std::string string_or(const json& obj, const std::string& key, const std::string& fallback) {
  const auto it = obj.find(key);
  return (it == obj.end() || it->is_null() || !it->is_string()) ? fallback : it->get<std::string>();
}

// The boolean member `key` of `obj`, or `fallback` when it is missing or null; a FormatError if it is
// something else.
bool bool_or(const json& obj, const std::string& key, bool fallback, const std::string& where,
             const std::string& file) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) format_error(file, where + "." + key, "is not true or false");
  return it->get<bool>();
}

// A token id: a JSON integer in [0, 2^31).
int32_t read_id(const json& value, const std::string& field, const std::string& file) {
  if (!value.is_number_integer()) format_error(file, field, "is not an integer id");
  const auto id = value.get<int64_t>();
  if (id < 0 || id > kMaxTokenId) {
    format_error(file, field, "id " + std::to_string(id) + " is out of range (0.." + std::to_string(kMaxTokenId) + ")");
  }
  return static_cast<int32_t>(id);
}

// ---------------------------------------------------------------------------------------------------------
// Step 2: added tokens, found whole in the raw text.
// ---------------------------------------------------------------------------------------------------------

struct AddedToken {
  std::string content;  // the literal text, e.g. "<|im_start|>"
  int32_t id = -1;
  bool special = false;  // a control token; special or not, it is matched in the text the same way
  bool lstrip = false;   // swallows white space to its left
  bool rstrip = false;   // swallows white space to its right
};

// Where an added token was found: bytes [begin, end) of the text, and which token.
struct AddedMatch {
  size_t begin, end;
  const AddedToken* token;
};

// Finds added tokens the way Hugging Face's AddedVocabulary (and transformers.js's trie) does: the leftmost
// position where any token starts, and there the longest token. Tokens are grouped by their first byte,
// longest first, so most positions cost one table lookup.
class AddedTokenMatcher {
 public:
  void add(AddedToken token) { tokens_.push_back(std::move(token)); }

  // Indexes the tokens by first byte; call once after the last add().
  void finish() {
    for (auto& group : by_first_byte_) group.clear();
    for (size_t k = 0; k < tokens_.size(); ++k) {
      by_first_byte_[static_cast<unsigned char>(tokens_[k].content[0])].push_back(k);
    }
    for (auto& group : by_first_byte_) {
      std::stable_sort(group.begin(), group.end(),
                       [&](size_t a, size_t b) { return tokens_[a].content.size() > tokens_[b].content.size(); });
    }
  }

  // The first added token in text[from..], or nothing.
  std::optional<AddedMatch> find(std::string_view text, size_t from) const {
    if (tokens_.empty()) return std::nullopt;
    for (size_t i = from; i < text.size(); ++i) {
      const auto& group = by_first_byte_[static_cast<unsigned char>(text[i])];
      for (const size_t k : group) {  // longest first, so the first that fits is the longest
        const std::string& c = tokens_[k].content;
        if (text.compare(i, c.size(), c) == 0) return AddedMatch{i, i + c.size(), &tokens_[k]};
      }
    }
    return std::nullopt;
  }

  // The token with this id, or nullptr.
  const AddedToken* by_id(int32_t id) const {
    for (const auto& t : tokens_) {
      if (t.id == id) return &t;
    }
    return nullptr;
  }
  // The token with this content, or nullptr.
  const AddedToken* by_content(std::string_view content) const {
    for (const auto& t : tokens_) {
      if (t.content == content) return &t;
    }
    return nullptr;
  }

 private:
  std::vector<AddedToken> tokens_;
  std::array<std::vector<size_t>, 256> by_first_byte_;
};

// True for the code points with the Unicode White_Space property (what Hugging Face's lstrip/rstrip strip).
bool is_white_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

// Number of bytes of white space at the start of `s` (valid UTF-8).
size_t leading_white_space(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    utf8proc_int32_t cp = 0;
    const auto len = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data() + i),
                                      static_cast<utf8proc_ssize_t>(s.size() - i), &cp);
    if (len <= 0 || !is_white_space(static_cast<char32_t>(cp))) break;
    i += static_cast<size_t>(len);
  }
  return i;
}

// Number of bytes of white space at the end of `s` (valid UTF-8).
size_t trailing_white_space(std::string_view s) {
  size_t end = s.size();
  while (end > 0) {
    size_t start = end - 1;  // back up to the lead byte of the last character
    while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    utf8proc_int32_t cp = 0;
    utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data() + start),
                     static_cast<utf8proc_ssize_t>(end - start), &cp);
    if (!is_white_space(static_cast<char32_t>(cp))) break;
    end = start;
  }
  return s.size() - end;
}

// ---------------------------------------------------------------------------------------------------------
// Step 3: NFC.
// ---------------------------------------------------------------------------------------------------------

// The NFC form of `s` (valid UTF-8): canonical decomposition, then canonical composition, so "e" + U+0301
// becomes "é" and the jamo U+1100 U+1161 become "가". Pure ASCII is already NFC and skips utf8proc.
std::string nfc_normalize(std::string_view s) {
  if (std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    return std::string(s);
  }
  utf8proc_uint8_t* composed = nullptr;
  const utf8proc_ssize_t len =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()), static_cast<utf8proc_ssize_t>(s.size()),
                   &composed, static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  if (len < 0) throw InputError(std::string("NFC normalisation failed: ") + utf8proc_errmsg(len));
  std::string out(reinterpret_cast<const char*>(composed), static_cast<size_t>(len));
  std::free(composed);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Step 4: the pre-tokenizer's split regex.
// ---------------------------------------------------------------------------------------------------------

// The compiled Split pattern (PCRE2, UTF + UCP so that \p{L}, \s and friends are Unicode-aware), JIT-compiled
// when the library supports it. Matching only reads it, so threads can share it.
class SplitRegex {
 public:
  // Compiles `pattern`; `literal` for a Split with {"String": ...} rather than {"Regex": ...}. `file` and
  // `field` name where it came from, for the error if PCRE2 rejects it.
  SplitRegex(const std::string& pattern, bool literal, const std::string& file, const std::string& field) {
    int error = 0;
    PCRE2_SIZE offset = 0;
    const uint32_t options = PCRE2_UTF | PCRE2_UCP | (literal ? PCRE2_LITERAL : 0);
    code_ =
        pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options, &error, &offset, nullptr);
    if (code_ == nullptr) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(error, message, sizeof message);
      format_error(file, field,
                   "PCRE2 cannot compile it at offset " + std::to_string(offset) + ": " +
                       reinterpret_cast<const char*>(message));
    }
    pcre2_jit_compile(code_, PCRE2_JIT_COMPLETE);  // if the library has no JIT, the interpreter runs it, slower
  }
  ~SplitRegex() { pcre2_code_free(code_); }
  SplitRegex(const SplitRegex&) = delete;
  SplitRegex& operator=(const SplitRegex&) = delete;

  // Cuts `text` (valid UTF-8) into pieces with behaviour "Isolated": every match is a piece, and so is
  // every stretch of text between matches. Calls on_piece(piece) for each non-empty piece, in order.
  template <class OnPiece>
  void split(std::string_view text, OnPiece&& on_piece) const {
    std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> match(
        pcre2_match_data_create_from_pattern(code_, nullptr), &pcre2_match_data_free);
    if (!match) throw std::bad_alloc();
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    size_t gap_start = 0;  // start of the text not yet given out
    size_t pos = 0;        // where the next search starts
    while (pos < text.size()) {
      // the text was validated once up front, so PCRE2 need not re-check it on every call
      int rc = pcre2_match(code_, subject, text.size(), pos, PCRE2_NO_UTF_CHECK, match.get(), nullptr);
      if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {  // a huge match overflowed the JIT's stack: use the interpreter
        rc = pcre2_match(code_, subject, text.size(), pos, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, match.get(), nullptr);
      }
      if (rc == PCRE2_ERROR_NOMATCH) break;
      if (rc < 0) {
        PCRE2_UCHAR message[256];
        pcre2_get_error_message(rc, message, sizeof message);
        throw InputError(std::string("tokenizer split regex failed: ") + reinterpret_cast<const char*>(message));
      }
      const PCRE2_SIZE* span = pcre2_get_ovector_pointer(match.get());
      const size_t begin = span[0], end = span[1];
      if (begin > gap_start) on_piece(text.substr(gap_start, begin - gap_start));  // text between matches
      if (end > begin) {
        on_piece(text.substr(begin, end - begin));
        gap_start = pos = end;
      } else {  // an empty match gives no piece; step over one character and search again
        gap_start = begin;
        pos = begin + 1;
        while (pos < text.size() && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) ++pos;
      }
    }
    if (gap_start < text.size()) on_piece(text.substr(gap_start));
  }

 private:
  pcre2_code* code_ = nullptr;
};

// Reads the whole file at `path`; an IoError if it cannot, or if it is not a regular file. 1 GiB: Qwen3's is 11 MB,
// and a vocabulary of 2^24 ids (the most the loader takes) fits.
std::string read_whole_file(const std::string& path) {
  return read_regular_file(path, "tokenizer file", uint64_t{1} << 30);
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// The tokenizer's state: everything read from tokenizer.json, never changed after loading.
// ---------------------------------------------------------------------------------------------------------

struct Tokenizer::Impl {
  std::string file;                   // tokenizer.json, for messages
  bool apply_nfc = false;             // normalizer is NFC (else none)
  std::unique_ptr<SplitRegex> split;  // the pre-tokenizer's Split; null: each section is one word
  detail::ByteLevelBpe bpe;           // model: vocab + merges
  AddedTokenMatcher added;            // added_tokens
  int32_t id_end = 0;                 // one past the largest id

  void read_normalizer(const json& root);
  void read_pre_tokenizer(const json& root);
  void read_model(const json& root);
  void read_added_tokens(const json& root);
  void read_decoder(const json& root);

  // Steps 3..6 for text between added tokens: appends its ids to `out`.
  void encode_section(std::string_view section, detail::ByteLevelBpe::Workspace& ws, std::vector<int32_t>& out) const;
};

// "normalizer": null (none) or {"type": "NFC"}. Anything else would change the text in a way this code does
// not reproduce, so it is refused rather than ignored.
void Tokenizer::Impl::read_normalizer(const json& root) {
  const auto it = root.find("normalizer");
  if (it == root.end() || it->is_null()) return;
  const std::string type = string_or(*it, "type", "");
  if (type != "NFC") {
    format_error(file, "normalizer.type",
                 "\"" + type + "\" is not supported (only NFC or none; a Sequence is not accepted)");
  }
  apply_nfc = true;
}

// "pre_tokenizer": a Split (regex, behaviour Isolated, not inverted) then a ByteLevel that does not split
// again (use_regex false) and adds no prefix space, either in a Sequence or the ByteLevel alone.
void Tokenizer::Impl::read_pre_tokenizer(const json& root) {
  const json& pre = require(root, "pre_tokenizer", "", file);
  if (!pre.is_object()) format_error(file, "pre_tokenizer", "is not a JSON object");
  std::vector<const json*> steps;
  if (string_or(pre, "type", "") == "Sequence") {
    const json& list = require(pre, "pretokenizers", "pre_tokenizer", file);
    if (!list.is_array()) format_error(file, "pre_tokenizer.pretokenizers", "is not an array");
    for (const json& step : list) steps.push_back(&step);
  } else {
    steps.push_back(&pre);
  }
  bool byte_level = false;
  for (size_t k = 0; k < steps.size(); ++k) {
    const json& step = *steps[k];
    const std::string where =
        steps.size() == 1 ? "pre_tokenizer" : "pre_tokenizer.pretokenizers[" + std::to_string(k) + "]";
    const std::string type = string_or(step, "type", "");
    if (type == "Split" && !split && !byte_level) {
      const json& pattern = require(step, "pattern", where, file);
      const std::string behavior = string_or(step, "behavior", "");
      if (behavior != "Isolated") {
        format_error(file, where + ".behavior", "\"" + behavior + "\" is not supported (only Isolated)");
      }
      if (bool_or(step, "invert", false, where, file)) format_error(file, where + ".invert", "true is not supported");
      const auto regex = pattern.find("Regex"), literal = pattern.find("String");
      if (regex != pattern.end() && regex->is_string()) {
        split = std::make_unique<SplitRegex>(regex->get<std::string>(), false, file, where + ".pattern.Regex");
      } else if (literal != pattern.end() && literal->is_string()) {
        split = std::make_unique<SplitRegex>(literal->get<std::string>(), true, file, where + ".pattern.String");
      } else {
        format_error(file, where + ".pattern", "has neither a Regex nor a String");
      }
    } else if (type == "ByteLevel" && k + 1 == steps.size()) {
      if (bool_or(step, "use_regex", true, where, file)) {
        format_error(file, where + ".use_regex", "true (ByteLevel's own GPT-2 split) is not supported");
      }
      if (bool_or(step, "add_prefix_space", false, where, file)) {
        format_error(file, where + ".add_prefix_space", "true is not supported");
      }
      byte_level = true;
    } else {
      format_error(file, where + ".type", "\"" + type + "\" is not supported here (expected Split then ByteLevel)");
    }
  }
  if (!byte_level) format_error(file, "pre_tokenizer", "has no ByteLevel step (this is a byte-level BPE reader)");
}

// "model": a BPE with "vocab" {spelling: id} and "merges", either [["a", "b"], ...] (tokenizers >= 0.20) or
// ["a b", ...]. Each merge's two parts and their concatenation must be in the vocab.
void Tokenizer::Impl::read_model(const json& root) {
  const json& model = require(root, "model", "", file);
  const std::string type = string_or(model, "type", "BPE");
  if (type != "BPE") format_error(file, "model.type", "\"" + type + "\" is not supported (only BPE)");
  if (const auto dropout = model.find("dropout"); dropout != model.end() && !dropout->is_null()) {
    format_error(file, "model.dropout", "is not supported");
  }
  if (!string_or(model, "continuing_subword_prefix", "").empty()) {
    format_error(file, "model.continuing_subword_prefix", "is not supported");
  }
  if (!string_or(model, "end_of_word_suffix", "").empty()) {
    format_error(file, "model.end_of_word_suffix", "is not supported");
  }
  if (bool_or(model, "byte_fallback", false, "model", file)) {
    format_error(file, "model.byte_fallback", "is not supported");
  }
  bpe.set_ignore_merges(bool_or(model, "ignore_merges", false, "model", file));

  const json& vocab = require(model, "vocab", "model", file);
  if (!vocab.is_object()) format_error(file, "model.vocab", "is not a JSON object");
  const json& merges = require(model, "merges", "model", file);
  if (!merges.is_array()) format_error(file, "model.merges", "is not an array");
  bpe.reserve(vocab.size(), merges.size());
  for (auto entry = vocab.begin(); entry != vocab.end(); ++entry) {
    const std::string& token = entry.key();
    const json& value = entry.value();
    const auto field = [&] { return "model.vocab[" + json(token).dump() + "]"; };  // built only for an error
    const int32_t id = read_id(value, field(), file);
    if (!bpe.add_token(token, id)) format_error(file, field(), "repeats an id");
  }
  if (const int missing = bpe.finish(); missing >= 0) {
    format_error(file, "model.vocab",
                 "has no token for byte " + std::to_string(missing) + " (byte-level BPE needs all 256)");
  }

  std::string joined;
  for (size_t r = 0; r < merges.size(); ++r) {
    const json& rule = merges[r];
    const auto field = [r] { return "model.merges[" + std::to_string(r) + "]"; };  // built only for an error
    std::string_view left, right;
    std::string old_form;
    if (rule.is_array() && rule.size() == 2 && rule[0].is_string() && rule[1].is_string()) {
      left = rule[0].get_ref<const std::string&>();
      right = rule[1].get_ref<const std::string&>();
    } else if (rule.is_string()) {  // the older "a b" form
      old_form = rule.get<std::string>();
      const size_t space = old_form.find(' ');
      if (space == std::string::npos || old_form.find(' ', space + 1) != std::string::npos) {
        format_error(file, field(), "\"" + old_form + "\" is not two tokens separated by one space");
      }
      left = std::string_view(old_form).substr(0, space);
      right = std::string_view(old_form).substr(space + 1);
    } else {
      format_error(file, field(), "is neither a pair of strings nor a string \"a b\"");
    }
    joined.assign(left).append(right);
    const int32_t l = bpe.token_to_id(left), rt = bpe.token_to_id(right), m = bpe.token_to_id(joined);
    if (l < 0 || rt < 0 || m < 0) {
      const std::string_view missing = l < 0 ? left : rt < 0 ? right : std::string_view(joined);
      format_error(file, field(), "\"" + std::string(missing) + "\" is not in model.vocab");
    }
    bpe.add_merge(l, rt, m);
  }
  id_end = bpe.id_end();
}

// "added_tokens": [{id, content, special, lstrip, rstrip, normalized, single_word}, ...]. All are matched in
// the raw text before normalisation (Qwen3's all have normalized false; a token with normalized true is
// matched the same way). single_word is not supported.
void Tokenizer::Impl::read_added_tokens(const json& root) {
  const auto it = root.find("added_tokens");
  if (it == root.end() || it->is_null()) return;
  if (!it->is_array()) format_error(file, "added_tokens", "is not an array");
  for (size_t k = 0; k < it->size(); ++k) {
    const json& entry = (*it)[k];
    const std::string where = "added_tokens[" + std::to_string(k) + "]";
    AddedToken token;
    token.id = read_id(require(entry, "id", where, file), where + ".id", file);
    const json& content = require(entry, "content", where, file);
    if (!content.is_string() || content.get_ref<const std::string&>().empty()) {
      format_error(file, where + ".content", "is not a non-empty string");
    }
    token.content = content.get<std::string>();
    if (sanitize_utf8(token.content, nullptr) != token.content) {
      format_error(file, where + ".content", "is not valid UTF-8");
    }
    token.special = bool_or(entry, "special", false, where, file);
    token.lstrip = bool_or(entry, "lstrip", false, where, file);
    token.rstrip = bool_or(entry, "rstrip", false, where, file);
    bool_or(entry, "normalized", false, where, file);  // checked for type only: see above
    if (bool_or(entry, "single_word", false, where, file)) {
      format_error(file, where + ".single_word", "true is not supported");
    }
    if (added.by_id(token.id) != nullptr) format_error(file, where + ".id", "repeats id " + std::to_string(token.id));
    if (added.by_content(token.content) != nullptr) {
      format_error(file, where + ".content", "repeats \"" + token.content + "\"");
    }
    if (token.content == "<|endoftext|>" && token.id != kEndOfTextId) {
      format_error(file, where + ".id",
                   "<|endoftext|> is " + std::to_string(token.id) + ", not " + std::to_string(kEndOfTextId) +
                       " as Qwen3-Embedding expects");
    }
    id_end = std::max(id_end, token.id + 1);
    added.add(std::move(token));
  }
  added.finish();
}

// "decoder": null or ByteLevel, the only decoding this code does.
void Tokenizer::Impl::read_decoder(const json& root) {
  const auto it = root.find("decoder");
  if (it == root.end() || it->is_null()) return;
  const std::string type = string_or(*it, "type", "");
  if (type != "ByteLevel") format_error(file, "decoder.type", "\"" + type + "\" is not supported (only ByteLevel)");
}

// Steps 3..6 on one stretch of text between added tokens: NFC, split into words, BPE each word.
void Tokenizer::Impl::encode_section(std::string_view section, detail::ByteLevelBpe::Workspace& ws,
                                     std::vector<int32_t>& out) const {
  const std::string normalized = apply_nfc ? nfc_normalize(section) : std::string(section);
  if (!split) {
    if (!normalized.empty()) bpe.encode_word(normalized, ws, out);
    return;
  }
  split->split(normalized, [&](std::string_view word) { bpe.encode_word(word, ws, out); });
}

// ---------------------------------------------------------------------------------------------------------
// The public API.
// ---------------------------------------------------------------------------------------------------------

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;

// Loads `dir`/tokenizer.json (tokenizer_config.json is not needed: everything that changes the ids is in
// tokenizer.json).
Tokenizer Tokenizer::from_dir(const std::string& dir) {
  require_directory(dir, "tokenizer directory");
  return from_file((std::filesystem::path(dir) / "tokenizer.json").string());
}

// Parses the file and reads each section; post_processor is ignored on purpose (encode adds nothing; the
// <|endoftext|> that Qwen3-Embedding needs is appended by encode_for_embedding).
Tokenizer Tokenizer::from_file(const std::string& tokenizer_json_path) {
  const std::string text = read_whole_file(tokenizer_json_path);
  const json root = parse_json(text, tokenizer_json_path);
  if (!root.is_object()) format_error(tokenizer_json_path, "(top level)", "is not a JSON object");
  auto impl = std::make_unique<Impl>();
  impl->file = tokenizer_json_path;
  impl->read_normalizer(root);
  impl->read_pre_tokenizer(root);
  impl->read_model(root);
  impl->read_added_tokens(root);
  impl->read_decoder(root);
  return Tokenizer(std::move(impl));
}

// ---------------------------------------------------------------------------------------------------------
// The same tokenizer from a GGUF file's metadata, and back.
//
//   tokenizer.ggml.model       "gpt2"  (byte-level BPE)
//   tokenizer.ggml.pre         "qwen2" (which split regex: llama.cpp names pre-tokenizers rather than storing them)
//   tokenizer.ggml.tokens      [string] by id: a normal token's byte-level spelling ("\u0120the"), an added token's
//                              content ("<|endoftext|>"), "[PAD151665]" for an id no token has
//   tokenizer.ggml.token_type  [i32] by id: 1 normal, 3 control (special added), 4 user-defined (other added),
//                              5 unused
//   tokenizer.ggml.merges      [string] "left right" in rank order
// The file does not record tokenizer.json's NFC normaliser; "qwen2" implies it here. (llama.cpp itself applies no
// normalisation to BPE input, so text that is not in NFC can tokenise differently there.)
// ---------------------------------------------------------------------------------------------------------

namespace {

// The Qwen2 (and Qwen3) pre-tokenizer's split pattern, as Qwen's tokenizer.json spells it.
constexpr const char* kQwen2SplitRegex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

enum GgufTokenType : int32_t { kNormal = 1, kControl = 3, kUserDefined = 4, kUnused = 5 };

}  // namespace

Tokenizer Tokenizer::from_gguf(const GgufFile& f) {
  auto impl = std::make_unique<Impl>();
  impl->file = f.path();
  const std::string& file = impl->file;
  const std::string model = f.require_string("tokenizer.ggml.model");
  if (model != "gpt2")
    format_error(file, "tokenizer.ggml.model", "\"" + model + "\" is not supported (only gpt2, byte-level BPE)");
  const std::string pre = f.require_string("tokenizer.ggml.pre");
  if (pre != "qwen2")
    format_error(file, "tokenizer.ggml.pre", "\"" + pre + "\" is not supported (only qwen2, the Qwen2/Qwen3 split)");
  impl->apply_nfc = true;
  impl->split = std::make_unique<SplitRegex>(kQwen2SplitRegex, false, file, "tokenizer.ggml.pre");

  const GgufValue& tokens = f.require_array("tokenizer.ggml.tokens", GgufType::STRING);
  const GgufValue& types = f.require_array("tokenizer.ggml.token_type", GgufType::I32);
  const GgufValue& merges = f.require_array("tokenizer.ggml.merges", GgufType::STRING);
  if (types.count != tokens.count)
    format_error(file, "tokenizer.ggml.token_type",
                 "has " + std::to_string(types.count) + " entries but tokenizer.ggml.tokens has " +
                     std::to_string(tokens.count));
  if (tokens.count == 0 || tokens.count > static_cast<uint64_t>(kMaxTokenId) + 1)
    format_error(file, "tokenizer.ggml.tokens",
                 "has " + std::to_string(tokens.count) + " tokens (must be 1.." + std::to_string(kMaxTokenId + 1) + ")");

  impl->bpe.reserve(tokens.count, merges.count);
  for (uint64_t k = 0; k < tokens.count; ++k) {
    const int32_t id = static_cast<int32_t>(k);
    const std::string& token = tokens.strings[k];
    const auto field = [&] { return "tokenizer.ggml.tokens[" + std::to_string(k) + "]"; };
    const int64_t type = types.int_at(k);
    if (type == kNormal) {
      if (token.empty()) format_error(file, field(), "is empty");
      if (!impl->bpe.add_token(token, id)) format_error(file, field(), "repeats \"" + token + "\"");
    } else if (type == kControl || type == kUserDefined) {
      AddedToken added;
      added.id = id;
      added.content = token;
      added.special = type == kControl;
      if (token.empty() || sanitize_utf8(token, nullptr) != token)
        format_error(file, field(), "is not a non-empty UTF-8 string");
      if (impl->added.by_content(token) != nullptr) format_error(file, field(), "repeats \"" + token + "\"");
      if (token == "<|endoftext|>" && id != kEndOfTextId)
        format_error(file, field(), "<|endoftext|> is " + std::to_string(id) + ", not " + std::to_string(kEndOfTextId) +
                                        " as Qwen3-Embedding expects");
      impl->added.add(std::move(added));
    } else if (type != kUnused) {
      format_error(file, "tokenizer.ggml.token_type[" + std::to_string(k) + "]",
                   "type " + std::to_string(type) + " is not used by a gpt2 tokenizer (1 normal, 3 control, " +
                       "4 user-defined, 5 unused)");
    }
  }
  impl->added.finish();
  if (const int missing = impl->bpe.finish(); missing >= 0)
    format_error(file, "tokenizer.ggml.tokens",
                 "has no token for byte " + std::to_string(missing) + " (byte-level BPE needs all 256)");

  std::string joined;
  for (uint64_t r = 0; r < merges.count; ++r) {
    const std::string& rule = merges.strings[r];
    const auto field = [r] { return "tokenizer.ggml.merges[" + std::to_string(r) + "]"; };
    const size_t space = rule.find(' ');
    if (space == std::string::npos || rule.find(' ', space + 1) != std::string::npos)
      format_error(file, field(), "\"" + rule + "\" is not two tokens separated by one space");
    const std::string_view left = std::string_view(rule).substr(0, space), right = std::string_view(rule).substr(space + 1);
    joined.assign(left).append(right);
    const int32_t l = impl->bpe.token_to_id(left), rt = impl->bpe.token_to_id(right), m = impl->bpe.token_to_id(joined);
    if (l < 0 || rt < 0 || m < 0) {
      const std::string_view missing = l < 0 ? left : rt < 0 ? right : std::string_view(joined);
      format_error(file, field(), "\"" + std::string(missing) + "\" is not a normal token of tokenizer.ggml.tokens");
    }
    impl->bpe.add_merge(l, rt, m);
  }
  impl->id_end = static_cast<int32_t>(tokens.count);
  return Tokenizer(std::move(impl));
}

GgufVocab Tokenizer::to_gguf_vocab(size_t vocab_size) const {
  if (vocab_size < this->vocab_size())
    throw InputError("the tokenizer has " + std::to_string(this->vocab_size()) + " ids but the model only " +
                     std::to_string(vocab_size) + " embedding rows");
  GgufVocab v;
  v.tokens.reserve(vocab_size);
  v.types.reserve(vocab_size);
  for (size_t k = 0; k < vocab_size; ++k) {
    const int32_t id = static_cast<int32_t>(k);
    if (const AddedToken* added = impl_->added.by_id(id)) {
      // llama.cpp's converter: special added tokens, and any that look like "<|...|>", are control tokens.
      const std::string& c = added->content;
      const bool looks_special = c.size() >= 4 && c.rfind("<|", 0) == 0 && c.compare(c.size() - 2, 2, "|>") == 0;
      v.tokens.push_back(c);
      v.types.push_back(added->special || looks_special ? kControl : kUserDefined);
    } else if (std::optional<std::string> spelling = impl_->bpe.token_spelling(id)) {
      v.tokens.push_back(std::move(*spelling));
      v.types.push_back(kNormal);
    } else {
      v.tokens.push_back("[PAD" + std::to_string(k) + "]");
      v.types.push_back(kUnused);
    }
  }
  for (const auto& [l, r] : impl_->bpe.merges_by_rank()) {
    std::string rule = *impl_->bpe.token_spelling(l);
    rule.append(" ").append(*impl_->bpe.token_spelling(r));
    v.merges.push_back(std::move(rule));
  }
  return v;
}

// Step 1 (repair the bytes), then step 2: the text is cut at each added token; the token becomes its id
// and the stretches in between go through encode_section. An lstrip/rstrip token also swallows the white
// space next to it.
std::vector<int32_t> Tokenizer::encode(std::string_view text, size_t* invalid_bytes) const {
  const std::string clean = sanitize_utf8(text, invalid_bytes);
  const std::string_view rest_of_text(clean);
  std::vector<int32_t> ids;
  ids.reserve(clean.size() / 3 + 1);
  detail::ByteLevelBpe::Workspace ws;
  size_t pos = 0;
  while (pos < clean.size()) {
    const auto match = impl_->added.find(rest_of_text, pos);
    std::string_view section = rest_of_text.substr(pos, (match ? match->begin : clean.size()) - pos);
    if (match && match->token->lstrip) section.remove_suffix(trailing_white_space(section));
    if (!section.empty()) impl_->encode_section(section, ws, ids);
    if (!match) break;
    ids.push_back(match->token->id);
    pos = match->end;
    if (match->token->rstrip) pos += leading_white_space(rest_of_text.substr(pos));
  }
  return ids;
}

std::vector<int32_t> Tokenizer::encode_for_embedding(std::string_view text, size_t* invalid_bytes) const {
  if (kEndOfTextId >= impl_->id_end) {
    throw InputError(impl_->file + " has no id " + std::to_string(kEndOfTextId) + " (<|endoftext|>) to append");
  }
  std::vector<int32_t> ids = encode(text, invalid_bytes);
  ids.push_back(kEndOfTextId);
  return ids;
}

// Each id's bytes, concatenated: an added token's content, or a vocab token's byte-level spelling mapped
// back to bytes. Ids that split a character give bytes that are not valid UTF-8 on their own.
std::string Tokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string out;
  for (const int32_t id : ids) {
    if (const AddedToken* added = impl_->added.by_id(id)) {
      out += added->content;
    } else if (const std::string* bytes = impl_->bpe.token_bytes(id)) {
      out += *bytes;
    } else {
      throw InputError("decode: unknown token id " + std::to_string(id) + " (the tokenizer has ids 0.." +
                       std::to_string(impl_->id_end - 1) + ")");
    }
  }
  return out;
}

size_t Tokenizer::vocab_size() const { return static_cast<size_t>(impl_->id_end); }

int32_t Tokenizer::token_to_id(std::string_view token) const {
  if (const AddedToken* added = impl_->added.by_content(token)) return added->id;
  return impl_->bpe.token_to_id(token);
}

std::string Tokenizer::id_to_token(int32_t id) const {
  if (const AddedToken* added = impl_->added.by_id(id)) return added->content;
  if (std::optional<std::string> spelling = impl_->bpe.token_spelling(id)) return std::move(*spelling);
  throw InputError("id_to_token: unknown token id " + std::to_string(id) + " (the tokenizer has ids 0.." +
                   std::to_string(impl_->id_end - 1) + ")");
}

}  // namespace qwen3
