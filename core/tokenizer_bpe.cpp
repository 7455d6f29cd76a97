// Byte-level BPE: the byte <-> code point table, the vocab and merge rules, and the merge loop.
// See tokenizer_bpe.h for the idea; core/tokenizer.cpp feeds it words and reads tokenizer.json into it.
#include "core/tokenizer_bpe.h"

#include <algorithm>

namespace qwen3::detail {

namespace {

// Words longer than this many bytes are not cached: they rarely repeat, and the cache stays small.
constexpr size_t kMaxCachedWordBytes = 256;

// Decodes the code point that starts at s[i] (s is valid UTF-8) and advances i past it.
char32_t next_code_point(std::string_view s, size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  const int len = b0 < 0x80 ? 1 : b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4;
  if (i + len > s.size()) {  // truncated: give the byte back as itself, the caller treats it as unknown
    ++i;
    return 0xFFFFFFFF;
  }
  char32_t cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
  for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += len;
  return cp;
}

// Appends the UTF-8 encoding of code point `cp` to `out`.
void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Orders merge candidates for a min-heap: the lowest rank comes out first and, between equal ranks (the
// same rule at several places in a word), the leftmost.
bool comes_later(const ByteLevelBpe::Workspace::Candidate& a, const ByteLevelBpe::Workspace::Candidate& b) {
  return a.rank != b.rank ? a.rank > b.rank : a.left > b.left;
}

}  // namespace

// GPT-2's table: printable Latin-1 bytes keep their code point; the 68 others get 256 + n in byte order.
std::array<char32_t, 256> bytes_to_unicode() {
  std::array<char32_t, 256> table{};
  char32_t next_free = 256;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    table[b] = printable ? static_cast<char32_t>(b) : next_free++;
  }
  return table;
}

// The inverse table: code point -> byte. The largest code point in the table is 256 + 67 = 323.
std::array<int16_t, 324> ByteLevelBpe::unicode_to_bytes() {
  std::array<int16_t, 324> inverse;
  inverse.fill(-1);
  const auto table = bytes_to_unicode();
  for (int b = 0; b < 256; ++b) inverse[table[b]] = static_cast<int16_t>(b);
  return inverse;
}

void ByteLevelBpe::reserve(size_t tokens, size_t merges) {
  token_ids_.reserve(tokens);
  id_bytes_.reserve(tokens);
  merges_.reserve(merges);
}

// Stores the token under its spelling and, by id, the raw bytes it stands for. A spelling with a code point
// outside the table (none in Qwen3's vocab) stands for its own UTF-8 bytes, as Hugging Face's ByteLevel
// decoder does.
bool ByteLevelBpe::add_token(const std::string& token, int32_t id) {
  if (id < 0 || !token_ids_.emplace(token, id).second) return false;
  if (static_cast<size_t>(id) >= id_bytes_.size()) {
    id_bytes_.resize(static_cast<size_t>(id) + 1);
    id_present_.resize(static_cast<size_t>(id) + 1, false);
    id_verbatim_.resize(static_cast<size_t>(id) + 1, false);
  }
  if (id_present_[id]) {
    token_ids_.erase(token);
    return false;
  }
  id_present_[id] = true;
  std::string bytes;
  bytes.reserve(token.size());
  for (size_t i = 0; i < token.size();) {
    const char32_t cp = next_code_point(token, i);
    if (cp >= cp_to_byte_.size() || cp_to_byte_[cp] < 0) {
      bytes = token;  // not a byte-level spelling: fall back to the token's own bytes
      id_verbatim_[id] = true;
      break;
    }
    bytes += static_cast<char>(cp_to_byte_[cp]);
  }
  id_bytes_[id] = std::move(bytes);
  return true;
}

// Key of a pair of ids in merges_: left in the high 32 bits, right in the low 32.
static uint64_t pair_key(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

// Rule number `rank` = the number of rules added so far; a repeated pair is overwritten (last one wins).
void ByteLevelBpe::add_merge(int32_t left, int32_t right, int32_t merged) {
  const auto rank = static_cast<int32_t>(merge_count_++);
  merges_.insert_or_assign(pair_key(left, right), Merge{rank, merged});
}

std::vector<std::pair<int32_t, int32_t>> ByteLevelBpe::merges_by_rank() const {
  std::vector<std::pair<int32_t, std::pair<int32_t, int32_t>>> ranked;  // (rank, (left, right))
  ranked.reserve(merges_.size());
  for (const auto& [key, m] : merges_)
    ranked.push_back({m.rank, {static_cast<int32_t>(key >> 32), static_cast<int32_t>(key & 0xFFFFFFFFu)}});
  std::sort(ranked.begin(), ranked.end());
  std::vector<std::pair<int32_t, int32_t>> out;
  out.reserve(ranked.size());
  for (const auto& r : ranked) out.push_back(r.second);
  return out;
}

// Looks up the one-character token of every byte (its spelling is the code point from bytes_to_unicode).
int ByteLevelBpe::finish() {
  const auto table = bytes_to_unicode();
  for (int b = 0; b < 256; ++b) {
    std::string spelling;
    append_utf8(spelling, table[b]);
    byte_ids_[b] = token_to_id(spelling);
    if (byte_ids_[b] < 0) return b;
  }
  return -1;
}

int32_t ByteLevelBpe::token_to_id(std::string_view token) const {
  const auto it = token_ids_.find(token);
  return it == token_ids_.end() ? -1 : it->second;
}

const std::string* ByteLevelBpe::token_bytes(int32_t id) const {
  if (id < 0 || id >= id_end() || !id_present_[id]) return nullptr;
  return &id_bytes_[id];
}

// The inverse of add_token's byte mapping: each byte back to its code point (bytes_to_unicode), unless the
// spelling was not byte-level and the bytes are the spelling itself.
std::optional<std::string> ByteLevelBpe::token_spelling(int32_t id) const {
  const std::string* bytes = token_bytes(id);
  if (bytes == nullptr) return std::nullopt;
  if (id_verbatim_[id]) return *bytes;
  const auto table = bytes_to_unicode();
  std::string spelling;
  for (const char c : *bytes) append_utf8(spelling, table[static_cast<unsigned char>(c)]);
  return spelling;
}

const ByteLevelBpe::Merge* ByteLevelBpe::find_merge(int32_t left, int32_t right) const {
  const auto it = merges_.find(pair_key(left, right));
  return it == merges_.end() ? nullptr : &it->second;
}

// Encodes one word, through the workspace's cache: a word seen before in this call costs one lookup.
void ByteLevelBpe::encode_word(std::string_view word, Workspace& ws, std::vector<int32_t>& out) const {
  if (ignore_merges_) {  // model.ignore_merges: a word that is a whole token is not merged up from bytes
    std::string spelling;
    const auto table = bytes_to_unicode();
    for (const char c : word) append_utf8(spelling, table[static_cast<unsigned char>(c)]);
    if (const int32_t id = token_to_id(spelling); id >= 0) {
      out.push_back(id);
      return;
    }
  }
  if (word.size() > kMaxCachedWordBytes) {
    merge_word(word, ws, out);
    return;
  }
  if (const auto hit = ws.cache.find(word); hit != ws.cache.end()) {
    const auto [offset, count] = hit->second;
    out.insert(out.end(), ws.cached_ids.begin() + offset, ws.cached_ids.begin() + offset + count);
    return;
  }
  const size_t first = out.size();
  merge_word(word, ws, out);
  const auto offset = static_cast<uint32_t>(ws.cached_ids.size());
  ws.cached_ids.insert(ws.cached_ids.end(), out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
  ws.cache.emplace(std::string(word), std::pair{offset, static_cast<uint32_t>(out.size() - first)});
}

// The BPE loop. The word is a doubly linked list of symbols (initially one per byte); a min-heap holds a
// candidate for every adjacent pair that has a merge rule, keyed by (rank, position). Each round pops the
// best candidate, merges its right symbol into its left one, and offers the two new pairs the merged symbol
// forms with its neighbours. A candidate whose symbols have changed since it was pushed is stale and
// skipped ("lazy deletion"), so nothing is ever searched for in the heap. O(n log n) for n bytes, which
// matters for long unspaced runs (a paragraph of Chinese is one regex match).
void ByteLevelBpe::merge_word(std::string_view word, Workspace& ws, std::vector<int32_t>& out) const {
  using Candidate = Workspace::Candidate;
  const auto n = static_cast<int32_t>(word.size());
  if (n == 1) {
    out.push_back(byte_ids_[static_cast<unsigned char>(word[0])]);
    return;
  }

  // 1. one symbol per byte: the id of the byte's one-character token, linked to its neighbours
  auto& sym = ws.symbols;
  sym.clear();
  for (int32_t i = 0; i < n; ++i) {
    sym.push_back({byte_ids_[static_cast<unsigned char>(word[i])], i - 1, i + 1 < n ? i + 1 : -1});
  }

  // 2. a candidate for each adjacent pair (left, left.next) that a rule can merge
  auto& heap = ws.heap;
  heap.clear();
  auto offer_pair = [&](int32_t left) {
    const int32_t right = sym[left].next;
    if (right < 0) return;
    const Merge* m = find_merge(sym[left].id, sym[right].id);
    if (m == nullptr) return;
    heap.push_back({m->rank, left, right, sym[left].id, sym[right].id, m->merged});
    std::push_heap(heap.begin(), heap.end(), comes_later);
  };
  for (int32_t i = 0; i + 1 < n; ++i) offer_pair(i);

  // 3. merge the best pair until no rule applies
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), comes_later);
    const Candidate c = heap.back();
    heap.pop_back();
    Workspace::Symbol& left = sym[c.left];
    Workspace::Symbol& right = sym[c.right];
    // stale: one side was merged away, grew, or the two are no longer neighbours
    if (left.id != c.left_id || right.id != c.right_id || left.next != c.right) continue;
    // the left symbol becomes the merged token; the right one leaves the list
    left.id = c.merged;
    left.next = right.next;
    if (right.next >= 0) sym[right.next].prev = c.left;
    right.id = -1;
    // the merged symbol may now merge with either neighbour
    if (left.prev >= 0) offer_pair(left.prev);
    offer_pair(c.left);
  }

  // 4. the symbols still in the list, left to right, are the tokens (symbol 0 is never merged away)
  for (int32_t i = 0; i >= 0; i = sym[i].next) out.push_back(sym[i].id);
}

}  // namespace qwen3::detail
