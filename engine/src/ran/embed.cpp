// Text embedder (embed.h).
#include "elex/ran/embed.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <string_view>
#include <utility>
#include <vector>

#include "elex/core/utf8.h"

namespace elex::embed {

namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_word(char c) { return is_alpha(c) || is_digit(c) || c == '_'; }
char lower(char c) { return is_upper(c) ? char(c - 'A' + 'a') : c; }

/// Han ideographs, kana and Hangul: each one a token (these scripts put no
/// spaces between words).
bool ideograph(std::uint32_t cp) {
  return (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xAC00 && cp <= 0xD7AF) ||
         (cp >= 0xF900 && cp <= 0xFAFF);
}

/// Letters of alphabets beyond ASCII that are part of words, with the vowel
/// marks written on them: Latin-1 and Latin Extended (é, ß, ł), Greek,
/// Cyrillic, Armenian, Hebrew, Arabic (and Syriac, Thaana), the Indic
/// scripts from Devanagari to Sinhala, Georgian, and the Hebrew and Arabic
/// presentation forms. Punctuation, symbols and spaces beyond ASCII (’, –,
/// µ, no-break space, the Arabic comma and question mark, the danda) still
/// split words.
bool letter(std::uint32_t cp) {
  if (cp < 0x800)
    return (cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7) ||
           (cp >= 0x370 && cp <= 0x3FF) || (cp >= 0x400 && cp <= 0x52F) ||
           (cp >= 0x531 && cp <= 0x556) || (cp >= 0x560 && cp <= 0x588) ||  // Armenian
           (cp >= 0x591 && cp <= 0x5BD) || cp == 0x5BF || cp == 0x5C1 || cp == 0x5C2 ||
           cp == 0x5C4 || cp == 0x5C5 || cp == 0x5C7 || (cp >= 0x5D0 && cp <= 0x5F2) ||  // Hebrew
           (cp >= 0x610 && cp <= 0x61A) || (cp >= 0x620 && cp <= 0x669) ||               // Arabic
           (cp >= 0x66E && cp <= 0x6D3) || (cp >= 0x6D5 && cp <= 0x6DC) ||
           (cp >= 0x6DF && cp <= 0x6E8) || (cp >= 0x6EA && cp <= 0x6FC) || cp == 0x6FF ||
           (cp >= 0x710 && cp <= 0x74A) || (cp >= 0x74D && cp <= 0x7B1);  // Syriac, Thaana
  return (cp >= 0x8A0 && cp <= 0x8FF) ||                                  // Arabic Extended-A
         (cp >= 0x900 && cp <= 0xDFF && cp != 0x964 && cp != 0x965) ||    // Indic, but the dandas
         (cp >= 0x10A0 && cp <= 0x10FA) || (cp >= 0x10FC && cp <= 0x10FF) ||  // Georgian
         (cp >= 0xFB1D && cp <= 0xFB4F && cp != 0xFB29) ||                    // Hebrew forms
         (cp >= 0xFB50 && cp <= 0xFDFB && cp != 0xFD3E && cp != 0xFD3F) ||    // Arabic forms A
         (cp >= 0xFE70 && cp <= 0xFEFC);                                      // Arabic forms B
}

/// The byte length of the letter beyond ASCII at s[0..n), or 0.
std::size_t letter_at(const char* s, std::size_t n) {
  const utf8::Seq q = utf8::decode(s, n);
  return q.ok && letter(q.cp) ? q.len : 0;
}

/// Lower-cases, in place, the capitals among a word's letters beyond ASCII
/// (ASCII is lowered elsewhere): É → é, Ł → ł, Σ → σ, Ж → ж, Բ → բ. A
/// capital and its small letter are both two bytes.
void fold(std::string& t) {
  for (std::size_t i = 0; i < t.size();) {
    const utf8::Seq q = utf8::decode(t.data() + i, t.size() - i);
    std::uint32_t cp = q.cp;
    if ((cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) || (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2) ||
        (cp >= 0x410 && cp <= 0x42F))
      cp += 0x20;
    else if (cp >= 0x531 && cp <= 0x556)  // Armenian
      cp += 0x30;
    else if (cp >= 0x400 && cp <= 0x40F)
      cp += 0x50;
    else if (((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177)) && cp % 2 == 0)
      cp += 1;
    else if (((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E)) && cp % 2 == 1)
      cp += 1;
    if (cp != q.cp) {
      t[i] = char(0xC0 | (cp >> 6));
      t[i + 1] = char(0x80 | (cp & 0x3F));
    }
    i += q.len;
  }
}

constexpr std::string_view kStop[] = {
    "a",    "an",    "and",   "any",   "are",   "as",   "at",   "be",    "by",     "can",  "could",
    "do",   "does",  "for",   "from",  "have",  "how",  "i",    "if",    "in",     "into", "is",
    "it",   "its",   "me",    "my",    "of",    "on",   "or",   "our",   "should", "so",   "that",
    "the",  "their", "them",  "there", "these", "this", "to",   "us",    "was",    "we",   "what",
    "when", "where", "which", "who",   "why",   "will", "with", "would", "you",    "your", "get",
    "set",  "i'm",   "about", "tell",  "show",  "give", "need", "want",  "please"};

/// Stop words by first letter and length (words up to 6 letters: none is longer).
struct StopTable {
  std::vector<std::string_view> by[26][7];
  StopTable() {
    for (const std::string_view s : kStop) by[s[0] - 'a'][s.size()].push_back(s);
  }
};

bool stop(std::string_view w) {
  static const StopTable table;
  if (w.empty() || w.size() > 6 || w[0] < 'a' || w[0] > 'z') return false;
  for (const std::string_view s : table.by[w[0] - 'a'][w.size()])
    if (std::memcmp(s.data(), w.data(), w.size()) == 0) return true;
  return false;
}

// Roots whose British -ise/-isation spelling a question may use where the
// catalog's identifiers (and 3GPP) spell -ize/-ization: "optimisation",
// "prioritised", "synchronising", "utilisation" meet "optimization" etc.
// (A root list, not a rule: "raise", "noise", "precise", "supervise",
// "promise" and "exercise" keep their s.)
constexpr std::string_view kIzeRoots[] = {
    "author",   "capital", "categor", "central", "character", "custom",   "digit",  "emphas",
    "equal",    "final",   "harmon",  "initial", "local",     "maxim",    "memor",  "minim",
    "modern",   "normal",  "optim",   "organ",   "parameter", "priorit",  "quant",  "random",
    "real",     "recogn",  "serial",  "special", "stabil",    "standard", "summar", "symbol",
    "synchron", "util",    "virtual", "visual",  "neutral",   "tokeni",   "penal",  "sanit"};
constexpr std::string_view kIseEnds[] = {"isations", "isation", "isers", "ising",
                                         "ised",     "ises",    "iser",  "ise"};
// Whole British words and their American spelling (after -ise above).
constexpr std::pair<std::string_view, std::string_view> kSpelling[] = {
    {"neighbour", "neighbor"},   {"neighbours", "neighbors"}, {"neighbouring", "neighboring"},
    {"behaviour", "behavior"},   {"behaviours", "behaviors"}, {"favour", "favor"},
    {"colour", "color"},         {"labour", "labor"},         {"licence", "license"},
    {"licences", "licenses"},    {"centre", "center"},        {"centres", "centers"},
    {"metre", "meter"},          {"metres", "meters"},        {"millimetre", "millimeter"},
    {"kilometre", "kilometer"},  {"fibre", "fiber"},          {"signalling", "signaling"},
    {"signalled", "signaled"},   {"modelling", "modeling"},   {"modelled", "modeled"},
    {"labelled", "labeled"},     {"labelling", "labeling"},   {"cancelled", "canceled"},
    {"cancelling", "canceling"}, {"tunnelling", "tunneling"}, {"travelling", "traveling"},
    {"analyse", "analyze"},      {"analysed", "analyzed"},    {"analysing", "analyzing"},
    {"analyser", "analyzer"},    {"analysers", "analyzers"},  {"catalogue", "catalog"},
    {"programme", "program"},    {"defence", "defense"},      {"judgement", "judgment"},
    {"ageing", "aging"}};

/// A fixed set of words (a table's column) by one hash probe: an
/// open-addressing table of (hash, index + 1), a power of two at least four
/// times the words, linear probing.
class WordTable {
 public:
  /// Word i is word(i), for i in 0..n.
  template <typename Word>
  WordTable(std::size_t n, Word word) {
    std::size_t size = 16;
    while (size < 4 * n) size *= 2;
    slots_.assign(size, 0);
    for (std::size_t i = 0; i < n; ++i) {
      words_.push_back(word(i));
      std::size_t s = hash(words_[i]) & (size - 1);
      while (slots_[s] != 0) s = (s + 1) & (size - 1);
      slots_[s] = std::uint64_t(hash(words_[i])) << 32 | (i + 1);
    }
  }
  /// The index of `w` in the words, or -1.
  [[nodiscard]] int find(std::string_view w) const {
    const std::uint32_t h = hash(w);
    for (std::size_t s = h & (slots_.size() - 1);; s = (s + 1) & (slots_.size() - 1)) {
      const std::uint64_t x = slots_[s];
      if (x == 0) return -1;
      const std::size_t i = std::uint32_t(x) - 1;
      if (std::uint32_t(x >> 32) == h && words_[i] == w) return int(i);
    }
  }

 private:
  // FNV-1a 32 of the length and four letters (first, middle, last two): not
  // the whole word, so a probe is a few steps; a clash costs a compare.
  static std::uint32_t hash(std::string_view w) {
    std::uint32_t h = 2166136261u;
    const auto mix = [&](unsigned char c) { h = (h ^ c) * 16777619u; };
    mix(static_cast<unsigned char>(w.size()));
    if (!w.empty()) {
      mix(static_cast<unsigned char>(w[0]));
      mix(static_cast<unsigned char>(w[w.size() / 2]));
      mix(static_cast<unsigned char>(w[w.size() - 1]));
      mix(static_cast<unsigned char>(w[w.size() > 1 ? w.size() - 2 : 0]));
    }
    return h | 1;  // never 0 (an empty slot)
  }
  std::vector<std::string_view> words_;
  std::vector<std::uint64_t> slots_;
};

}  // namespace

namespace detail {

void americanize(std::string& w) {
  static const WordTable british(std::size(kSpelling),
                                 [](std::size_t i) { return kSpelling[i].first; });
  static const WordTable roots(std::size(kIzeRoots), [](std::size_t i) { return kIzeRoots[i]; });
  if (const int i = british.find(w); i >= 0) {
    w = kSpelling[i].second;
    return;
  }
  // The ends differ in their last letter or length: at most one matches.
  for (const std::string_view end : kIseEnds) {
    if (w.size() <= end.size()) continue;
    const std::size_t root = w.size() - end.size();
    if (std::memcmp(w.data() + root, end.data(), end.size()) != 0) continue;
    if (roots.find(std::string_view(w.data(), root)) >= 0) w[root + 1] = 'z';
    return;
  }
}

void americanize_linear(std::string& w) {
  for (const auto& [gb, us] : kSpelling)
    if (w == gb) {
      w = us;
      return;
    }
  for (const std::string_view end : kIseEnds) {
    if (w.size() <= end.size()) continue;
    const std::size_t root = w.size() - end.size();
    if (std::memcmp(w.data() + root, end.data(), end.size()) != 0) continue;
    const std::string_view r(w.data(), root);
    for (const std::string_view known : kIzeRoots)
      if (r == known) {
        w[root + 1] = 'z';
        return;
      }
    return;
  }
}

}  // namespace detail

namespace {

void stem(std::string& w) {
  if (w.size() < 5) return;
  for (char c : w)
    if (!is_lower(c)) return;
  detail::americanize(w);
  const auto ends = [&](std::string_view s) {
    return w.size() > s.size() &&
           std::memcmp(w.data() + w.size() - s.size(), s.data(), s.size()) == 0;
  };
  if (ends("ies"))
    w.replace(w.size() - 3, 3, "y");
  else if (ends("sses"))
    w.erase(w.size() - 2);
  else if (ends("ing") && w.size() >= 6)
    w.erase(w.size() - 3);
  else if (ends("ed") && w.size() >= 5)
    w.erase(w.size() - 2);
  else if (ends("s") && !ends("ss") && !ends("us") && !ends("is"))
    w.erase(w.size() - 1);
  // Derived nouns meet their verb's stem: "aggregation" and "aggregating"
  // are "aggregat", "detection" is "detect", "compression" "compress",
  // "measurement" "measure". (Dropping a final e as well, so that "enable"
  // met "enabled", lost 1.3 points of the synthetic set: not done.)
  if (w.size() >= 8 && ends("ation"))
    w.erase(w.size() - 3);
  else if (w.size() >= 8 && ends("tion"))
    w.erase(w.size() - 3);
  else if (w.size() >= 8 && ends("ssion"))
    w.erase(w.size() - 3);
  else if (w.size() >= 9 && ends("ment"))
    w.erase(w.size() - 4);
}

/// Appends `w` lower-cased, unless it is a stop word; stems it.
void emit(std::string_view w, std::vector<std::string>* out) {
  if (w.empty()) return;
  if (w.size() <= 6) {  // a stop word? (none is longer): checked before a string is made
    char low[6];
    for (std::size_t i = 0; i < w.size(); ++i) low[i] = lower(w[i]);
    if (stop(std::string_view(low, w.size()))) return;
  }
  std::string& t = out->emplace_back(w);
  for (char& c : t) c = lower(c);
  stem(t);
}

/// Appends `w` lower-cased, as it is.
void emit_whole(std::string_view w, std::vector<std::string>* out) {
  std::string& t = out->emplace_back(w);
  for (char& c : t) c = lower(c);
}

/// Splits one identifier part at camelCase, acronym and digit boundaries.
void split_camel(std::string_view p, std::vector<std::string>* out) {
  std::size_t start = 0;
  for (std::size_t i = 1; i <= p.size(); ++i) {
    bool cut = i == p.size();
    if (!cut) {
      const char a = p[i - 1], b = p[i];
      cut = (is_lower(a) && is_upper(b)) ||
            (is_digit(a) != is_digit(b) && is_alpha(a) != is_alpha(b)) ||
            (is_upper(a) && is_upper(b) && i + 1 < p.size() && is_lower(p[i + 1])) || b == '_';
    }
    if (cut) {
      std::string_view piece = p.substr(start, i - start);
      if (!piece.empty() && piece[0] == '_') piece.remove_prefix(1);
      emit(piece, out);
      start = i;
    }
  }
}

/// "UEs", "TTIs", "PRBs", "gNodeBs", "eNBs": a plural s after a capital,
/// in a word with two capitals or more.
bool plural_acronym(std::string_view w) {
  if (w.size() < 3 || w.back() != 's' || !is_upper(w[w.size() - 2])) return false;
  std::size_t caps = 0;
  for (char c : w) caps += is_upper(c) ? 1 : 0;
  return caps >= 2;
}

/// The tokens of one word (rules 2-5); the parts of a dotted word through
/// `memo` when there is one.
void word_tokens(std::string_view word, std::vector<std::string>* out, TokenMemo* memo = nullptr) {
  // Dotted identifiers: the whole, then each part.
  if (word.find('.') != std::string_view::npos) {
    std::string parts_whole;
    bool any = false;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= word.size(); ++i) {
      if (i == word.size() || word[i] == '.') {
        if (i > start) {
          if (any) parts_whole += '.';
          parts_whole += word.substr(start, i - start);
          any = true;
        }
        start = i + 1;
      }
    }
    if (parts_whole.find('.') != std::string::npos) emit_whole(parts_whole, out);
    start = 0;
    for (std::size_t i = 0; i <= word.size(); ++i)
      if (i == word.size() || word[i] == '.') {
        if (i > start) {
          const std::string_view part = word.substr(start, i - start);
          if (memo != nullptr)
            memo->word(part, out);
          else
            word_tokens(part, out);
        }
        start = i + 1;
      }
    return;
  }
  // A word with letters beyond ASCII: one token, lower-cased (no camelCase
  // split, no stop word, no stemming).
  for (const char c : word)
    if (static_cast<unsigned char>(c) >= 0x80) {
      std::string& t = out->emplace_back(word);
      for (char& x : t) x = lower(x);
      fold(t);
      return;
    }
  if (plural_acronym(word)) word.remove_suffix(1);
  bool mixed = false;
  for (std::size_t i = 1; i < word.size(); ++i) {
    const char a = word[i - 1], b = word[i];
    if ((is_lower(a) && is_upper(b)) || (is_alpha(a) && is_digit(b)) ||
        (is_digit(a) && is_alpha(b)) || b == '_')
      mixed = true;
  }
  if (mixed) {
    emit_whole(word, out);  // the identifier as a whole, unstemmed
    split_camel(word, out);
  } else {
    emit(word, out);
  }
}

std::uint64_t fnv(const char* s, std::size_t n, std::uint64_t h = 0xcbf29ce484222325ull) {
  for (std::size_t i = 0; i < n; ++i) h = (h ^ std::uint8_t(s[i])) * 0x100000001b3ull;
  return h;
}

std::uint64_t token_hash(const std::string& t) { return fnv(t.data(), t.size()) | 1; }
std::uint64_t pair_hash(const std::string& a, const std::string& b) {
  return fnv(b.data(), b.size(), fnv(" ", 1, fnv(a.data(), a.size()))) | 1;
}

}  // namespace

void TokenMemo::word(std::string_view word, std::vector<std::string>* out) {
  // A dotted word is kept by its parts (an identifier's whole is rarely seen twice).
  if (word.find('.') != std::string_view::npos) return word_tokens(word, out, this);
  if (const std::uint32_t id = words_.find(word); id != flat::StringIds::kNone) {
    for (std::uint32_t t = first_[id]; t < first_[id + 1]; ++t) out->emplace_back(tokens_[t]);
    return;
  }
  const std::size_t from = out->size();
  word_tokens(word, out);
  if (words_.size() >= kMaxWords) return;
  words_.insert(word);
  for (std::size_t t = from; t < out->size(); ++t) tokens_.add((*out)[t]);
  first_.push_back(std::uint32_t(tokens_.size()));
}

void tokenize(const char* text, std::size_t len, std::vector<std::string>* out) {
  tokenize(text, len, out, nullptr);
}

void tokenize(const char* text, std::size_t len, std::vector<std::string>* out, TokenMemo* memo) {
  out->clear();
  std::size_t i = 0;
  while (i < len) {
    // Feature codes: 2-5 letters, spaces, 2-4 digits, spaces, 2-5 digits.
    if (is_alpha(text[i]) && (i == 0 || !is_word(text[i - 1]))) {
      std::size_t j = i;
      while (j < len && is_alpha(text[j]) && j - i < 6) ++j;
      const std::size_t letters = j - i;
      std::size_t k = j;
      while (k < len && text[k] == ' ') ++k;
      std::size_t d1 = k;
      while (d1 < len && is_digit(text[d1])) ++d1;
      std::size_t k2 = d1;
      while (k2 < len && text[k2] == ' ') ++k2;
      std::size_t d2 = k2;
      while (d2 < len && is_digit(text[d2])) ++d2;
      if (letters >= 2 && letters <= 5 && d1 - k >= 2 && d1 - k <= 4 && d2 - k2 >= 2 &&
          d2 - k2 <= 5 && (d2 == len || !is_word(text[d2]))) {
        bool upper = true;
        for (std::size_t q = i; q < j; ++q) upper = upper && is_upper(text[q]);
        std::string code;
        for (std::size_t q = i; q < d2; ++q)
          if (text[q] != ' ') code += lower(text[q]);
        out->push_back(code);
        // In capitals it is a code; otherwise ("faj 121 3094", but also
        // "band 20 1800") maybe, and its words are tokens too.
        if (upper) {
          i = d2;
          continue;
        }
      }
    }
    // The bytes of text[i]'s character: a letter beyond ASCII is taken
    // whole; an ideograph is a token; anything else beyond ASCII splits.
    std::size_t first = 1;
    if (static_cast<unsigned char>(text[i]) >= 0x80) {
      const utf8::Seq q = utf8::decode(text + i, len - i);
      if (q.ok && ideograph(q.cp)) {
        out->emplace_back(text + i, q.len);
        i += q.len;
        continue;
      }
      if (!q.ok || !letter(q.cp)) {
        i += q.len;
        continue;
      }
      first = q.len;
    }
    if (is_word(text[i]) || first > 1 ||
        (text[i] == '.' && i > 0 && is_word(text[i - 1]) && i + 1 < len && is_alpha(text[i + 1]))) {
      // text[i] is taken (a '.' after a code, too: j = i looped forever).
      std::size_t j = i + first;
      while (j < len) {
        if (is_word(text[j]) || (text[j] == '.' && j + 1 < len && is_alpha(text[j + 1]))) {
          ++j;
        } else if (const std::size_t n = static_cast<unsigned char>(text[j]) >= 0x80
                                             ? letter_at(text + j, len - j)
                                             : 0) {
          j += n;
        } else {
          break;
        }
      }
      const std::string_view word(text + i, j - i);
      if (memo != nullptr)
        memo->word(word, out);
      else
        word_tokens(word, out);
      i = j;
    } else {
      ++i;
    }
  }
}

std::size_t Embedder::bytes() const {
  return sizeof(*this) + keys_.capacity() * sizeof(std::uint64_t) +
         df_.capacity() * sizeof(std::uint32_t);
}

void Embedder::save(serial::Writer& w) const {
  // The used slots only (the table is mostly empty); load() re-inserts them
  // into a table of the same size, where idf() finds each one.
  std::vector<std::uint64_t> keys;
  std::vector<std::uint32_t> df;
  keys.reserve(used_);
  df.reserve(used_);
  for (std::size_t i = 0; i < keys_.size(); ++i)
    if (keys_[i] != 0) (keys.push_back(keys_[i]), df.push_back(df_[i]));
  w.pod<std::uint32_t>(dim_);
  w.pod<std::uint64_t>(docs_);
  w.pod<std::uint64_t>(keys_.size());
  w.vec(keys);
  w.vec(df);
}

bool Embedder::load(serial::Reader& r) {
  const auto dim = r.pod<std::uint32_t>();
  const auto docs = r.pod<std::uint64_t>();
  const auto slots = r.pod<std::uint64_t>();
  std::vector<std::uint64_t> keys;
  std::vector<std::uint32_t> df;
  r.vec(keys);
  r.vec(df);
  // An open-addressing table: a power of two with free slots (idf() stops at one).
  if (!r.ok() || dim != dim_ || df.size() != keys.size() || (slots & (slots - 1)) != 0 ||
      slots > (std::uint64_t(1) << 32) || keys.size() * 2 > slots)
    return false;
  keys_.assign(std::size_t(slots), 0);
  df_.assign(std::size_t(slots), 0);
  const std::size_t mask = std::size_t(slots) - 1;
  for (std::size_t j = 0; j < keys.size(); ++j) {
    if (keys[j] == 0) return false;
    std::size_t i = (keys[j] * 0x9e3779b97f4a7c15ull) >> 40 & mask;
    while (keys_[i] != 0 && keys_[i] != keys[j]) i = (i + 1) & mask;
    if (keys_[i] != 0) return false;  // a key twice
    keys_[i] = keys[j];
    df_[i] = df[j];
  }
  used_ = keys.size();
  docs_ = std::size_t(docs);
  return true;
}

float Embedder::idf(std::uint64_t h) const {
  const float n = float(docs_);
  if (keys_.empty()) return 1.0f;
  const std::size_t mask = keys_.size() - 1;
  for (std::size_t i = (h * 0x9e3779b97f4a7c15ull) >> 40 & mask;; i = (i + 1) & mask) {
    if (keys_[i] == h) return std::log((n + 1.0f) / (float(df_[i]) + 1.0f)) + 1.0f;
    if (keys_[i] == 0) return std::log(n + 1.0f) + 1.0f;
  }
}

Status Embedder::fit(const char* const* texts, const std::size_t* lens, std::size_t n) {
  if (n > 0 && (texts == nullptr || lens == nullptr))
    return fail(ELEX_E_INVALID_ARGUMENT, "null texts");
  for (std::size_t d = 0; d < n; ++d)
    if (texts[d] == nullptr && lens[d] > 0)
      return fail(ELEX_E_INVALID_ARGUMENT, "null text %zu", d);
  std::vector<std::vector<std::string>> docs(n);
  for (std::size_t d = 0; d < n; ++d)
    tokenize(texts[d], lens[d] > kMaxTextBytes ? kMaxTextBytes : lens[d], &docs[d]);
  fit_tokens(docs.data(), n);
  return ELEX_OK;
}

void Embedder::fit_tokens(const std::vector<std::string>* docs, std::size_t n) {
  keys_.assign(1u << 16, 0);
  df_.assign(1u << 16, 0);
  used_ = 0;
  docs_ = n;
  std::vector<std::uint64_t> seen;
  const auto add = [&](std::uint64_t h) {
    if ((used_ + 1) * 2 > keys_.size()) {  // grow
      std::vector<std::uint64_t> k(keys_.size() * 2, 0);
      std::vector<std::uint32_t> d(k.size(), 0);
      const std::size_t m = k.size() - 1;
      for (std::size_t s = 0; s < keys_.size(); ++s) {
        if (keys_[s] == 0) continue;
        std::size_t i = (keys_[s] * 0x9e3779b97f4a7c15ull) >> 40 & m;
        while (k[i] != 0) i = (i + 1) & m;
        k[i] = keys_[s];
        d[i] = df_[s];
      }
      keys_.swap(k);
      df_.swap(d);
    }
    const std::size_t mask = keys_.size() - 1;
    std::size_t i = (h * 0x9e3779b97f4a7c15ull) >> 40 & mask;
    while (keys_[i] != 0 && keys_[i] != h) i = (i + 1) & mask;
    if (keys_[i] == 0) {
      keys_[i] = h;
      ++used_;
    }
    ++df_[i];
  };
  for (std::size_t d = 0; d < n; ++d) {
    const std::vector<std::string>& toks = docs[d];
    seen.clear();
    for (std::size_t t = 0; t < toks.size(); ++t) {
      seen.push_back(token_hash(toks[t]));
      if (t + 1 < toks.size()) seen.push_back(pair_hash(toks[t], toks[t + 1]));
    }
    std::sort(seen.begin(), seen.end());
    for (std::size_t s = 0; s < seen.size(); ++s)
      if (s == 0 || seen[s] != seen[s - 1]) add(seen[s]);  // once per document
  }
}

Status Embedder::embed(const char* text, std::size_t len, float* out) const {
  if (out == nullptr || (text == nullptr && len > 0))
    return fail(ELEX_E_INVALID_ARGUMENT, "null text or output");
  if (len > kMaxTextBytes)
    return fail(ELEX_E_INVALID_ARGUMENT, "text of %zu bytes is over the %zu-byte limit", len,
                kMaxTextBytes);
  std::vector<std::string> toks;
  tokenize(text, len, &toks);
  embed_tokens(toks, out);
  return ELEX_OK;
}

void Embedder::embed_tokens(const std::vector<std::string>& toks, float* out) const {
  std::memset(out, 0, dim_ * sizeof(float));
  const auto put = [&](std::uint64_t h, float w) {
    const std::uint64_t m = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ull;
    out[(m >> 32) % dim_] += (m >> 63) ? -w : w;
  };
  for (std::size_t t = 0; t < toks.size(); ++t) {
    const std::string& tok = toks[t];
    const float w = idf(token_hash(tok));
    put(token_hash(tok) ^ 0x7575, w);
    if (t + 1 < toks.size())
      put(pair_hash(tok, toks[t + 1]) ^ 0x6262, 0.7f * idf(pair_hash(tok, toks[t + 1])));
    // Character 3-grams catch inflections and partial identifiers; tokens
    // with digits (codes, numbers) get none, or every code would look alike.
    bool alpha = tok.size() >= 3;
    for (char c : tok) alpha = alpha && !is_digit(c);
    if (alpha) {
      const std::string padded = "<" + tok + ">";
      const std::size_t grams = padded.size() - 2;
      const float gw = 0.5f * w / std::sqrt(float(grams));
      for (std::size_t g = 0; g + 3 <= padded.size(); ++g)
        put(fnv(padded.data() + g, 3) ^ 0x6363, gw);
    }
  }
  double norm = 0;
  for (std::uint32_t i = 0; i < dim_; ++i) norm += double(out[i]) * out[i];
  if (norm > 0) {
    const float inv = float(1.0 / std::sqrt(norm));
    for (std::uint32_t i = 0; i < dim_; ++i) out[i] *= inv;
  }
}

}  // namespace elex::embed
