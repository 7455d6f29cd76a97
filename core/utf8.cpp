// UTF-8 repair: sanitize_utf8 (declared in core/tokenizer.h), the first step of Tokenizer::encode.
//
// Well-formed UTF-8 (Unicode 15, Table 3-7) is exactly:
//   00..7F
//   C2..DF  80..BF
//   E0      A0..BF  80..BF          (E0 80..9F would be an overlong encoding)
//   E1..EC  80..BF  80..BF
//   ED      80..9F  80..BF          (ED A0..BF would be a UTF-16 surrogate, D800..DFFF)
//   EE..EF  80..BF  80..BF
//   F0      90..BF  80..BF  80..BF  (F0 80..8F would be overlong)
//   F1..F3  80..BF  80..BF  80..BF
//   F4      80..8F  80..BF  80..BF  (F4 90.. would be above U+10FFFF)
// C0, C1 and F5..FF never occur, and 80..BF never start a character.
#include <cstdint>

#include "core/tokenizer.h"

namespace qwen3 {

namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER

}  // namespace

// Walks the text one character at a time. A lead byte fixes how many continuation bytes must follow and the
// range the first of them must lie in (the table above); the walk takes continuation bytes while they fit.
// If the character completes, it is copied; if not, the bytes taken so far -- the lead byte alone when
// nothing fits -- form one "maximal subpart" and become a single U+FFFD, and the walk resumes at the byte
// that did not fit. So "\xE2\x82" (a truncated "€") is one U+FFFD, but "\xC0\x80" is two (C0 can start
// nothing, and 80 alone is a stray continuation byte).
std::string sanitize_utf8(std::string_view text, size_t* invalid_bytes) {
  std::string out;
  out.reserve(text.size());
  size_t replaced = 0;
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const auto lead = static_cast<uint8_t>(text[i]);
    if (lead < 0x80) {  // ASCII
      out += static_cast<char>(lead);
      ++i;
      continue;
    }
    // how many continuation bytes the lead byte promises, and the range of the first one
    int needed = 0;
    uint8_t lo = 0x80, hi = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      needed = 1;
    } else if (lead == 0xE0) {
      needed = 2;
      lo = 0xA0;
    } else if (lead >= 0xE1 && lead <= 0xEC) {
      needed = 2;
    } else if (lead == 0xED) {
      needed = 2;
      hi = 0x9F;
    } else if (lead >= 0xEE && lead <= 0xEF) {
      needed = 2;
    } else if (lead == 0xF0) {
      needed = 3;
      lo = 0x90;
    } else if (lead >= 0xF1 && lead <= 0xF3) {
      needed = 3;
    } else if (lead == 0xF4) {
      needed = 3;
      hi = 0x8F;
    } else {  // 80..C1 or F5..FF: cannot start a character, a subpart of one byte
      out += kReplacement;
      ++replaced;
      ++i;
      continue;
    }
    // take continuation bytes while they fit; after the first, any 80..BF fits
    size_t taken = 1;
    while (taken <= static_cast<size_t>(needed) && i + taken < n) {
      const auto c = static_cast<uint8_t>(text[i + taken]);
      if (c < lo || c > hi) break;
      lo = 0x80;
      hi = 0xBF;
      ++taken;
    }
    if (taken == static_cast<size_t>(needed) + 1) {
      out.append(text.substr(i, taken));  // a whole, well-formed character
    } else {
      out += kReplacement;  // a truncated character: one U+FFFD for its maximal subpart
      replaced += taken;
    }
    i += taken;
  }
  if (invalid_bytes != nullptr) *invalid_bytes = replaced;
  return out;
}

}  // namespace qwen3
