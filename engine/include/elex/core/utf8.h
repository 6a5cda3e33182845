// elex/core/utf8.h — the one UTF-8 decoder of the engine and its tools: the
// JSON reader, the tokeniser, the classifier's word count and elex-cli's
// reading of question text all decode with it.
#ifndef ELEX_UTF8_H
#define ELEX_UTF8_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace elex::utf8 {

/// One decoded sequence.
struct Seq {
  std::uint32_t cp;  ///< the code point; U+FFFD when not ok
  std::size_t len;   ///< bytes taken (>= 1)
  bool ok;           ///< well formed: shortest form, no surrogate, at most U+10FFFF
};

/// The sequence at s[0..n) (n >= 1). A malformed one takes its maximal
/// subpart (the bytes a well-formed sequence could have begun with), as the
/// WHATWG decoder (TextDecoder) replaces them with one U+FFFD.
inline Seq decode(const char* s, std::size_t n) {
  const auto b = [&](std::size_t i) { return std::uint32_t(static_cast<unsigned char>(s[i])); };
  const std::uint32_t c = b(0);
  if (c < 0x80) return {c, 1, true};
  std::size_t need = 0;
  std::uint32_t lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    lo = c == 0xE0 ? 0xA0 : 0x80;  // no overlong form
    hi = c == 0xED ? 0x9F : 0xBF;  // no surrogate
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    lo = c == 0xF0 ? 0x90 : 0x80;  // no overlong form
    hi = c == 0xF4 ? 0x8F : 0xBF;  // nothing past U+10FFFF
  } else {
    return {0xFFFD, 1, false};
  }
  std::uint32_t cp = c & (0x3Fu >> need);
  for (std::size_t i = 1; i <= need; ++i, lo = 0x80, hi = 0xBF) {
    if (i >= n || b(i) < lo || b(i) > hi) return {0xFFFD, i, false};
    cp = (cp << 6) | (b(i) & 0x3F);
  }
  return {cp, need + 1, true};
}

/// Appends `cp` (at most U+10FFFF, not a surrogate) as UTF-8.
inline void append(std::string* o, std::uint32_t cp) {
  if (cp < 0x80) {
    o->push_back(char(cp));
  } else if (cp < 0x800) {
    o->push_back(char(0xC0 | (cp >> 6)));
    o->push_back(char(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    o->push_back(char(0xE0 | (cp >> 12)));
    o->push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    o->push_back(char(0x80 | (cp & 0x3F)));
  } else {
    o->push_back(char(0xF0 | (cp >> 18)));
    o->push_back(char(0x80 | ((cp >> 12) & 0x3F)));
    o->push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    o->push_back(char(0x80 | (cp & 0x3F)));
  }
}

/// `text` without a leading byte order mark (Windows editors write one; the
/// browser's fetch() and TextDecoder drop it).
inline std::string_view without_bom(std::string_view text) {
  return text.substr(0, 3) == "\xEF\xBB\xBF" ? text.substr(3) : text;
}

/// JavaScript's \s (String.prototype.trim, split(/\s+/)).
inline bool js_space(std::uint32_t c) {
  return c == 0x20 || (c >= 0x09 && c <= 0x0D) || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000 || c == 0xFEFF;
}

}  // namespace elex::utf8

#endif  // ELEX_UTF8_H
