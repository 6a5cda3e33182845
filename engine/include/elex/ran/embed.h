// elex/ran/embed.h — text to vectors without a downloaded model: a RAN-aware
// tokeniser, hashed word uni-/bi-grams and character 3-grams, IDF learned
// from the loaded catalog, L2-normalised output.
//
// Tokeniser, in order:
//   1. Feature codes "FAJ 121 3094" (letters, digits, digits; spaces
//      optional) become one token "faj1213094".
//   2. Text splits into words at anything but letters, digits, '_' and '.'
//      (letters beyond ASCII count: Latin-1 and Latin Extended, Greek,
//      Cyrillic, Armenian, lower-cased as ASCII is; Hebrew, Arabic, Syriac,
//      Thaana, the Indic scripts and Georgian, with their vowel marks; each
//      Han ideograph, kana or Hangul syllable is a token of its own);
//      a '.' splits too, after the dotted whole is kept as a token
//      ("EUtranCellFDD.mimoSleepStartTime" gives
//      "eutrancellfdd.mimosleepstarttime", then its parts).
//   3. An acronym's plural s is dropped: "UEs", "TTIs", "gNodeBs" are "UE",
//      "TTI", "gNodeB" (a word with two capitals or more ending in a
//      capital and s), as identifiers write them.
//   4. A word with inner case changes or digits is kept whole (lower-cased:
//      "mimosleepstarttime", "pmrrcconnestabsucc") and split at camelCase,
//      acronym and digit boundaries: "pmRrcConnEstabSucc" → pm rrc conn
//      estab succ; "EUtranCellFDD" → e utran cell fdd; "256QAM" → 256 qam.
//   5. Lower-case; English stop words dropped; British spellings respelled
//      American as the identifiers are (optimisation, licence, neighbour);
//      light stemming (ies→y, sses→ss, trailing s, ing, ed; -ation, -tion,
//      -ssion, -ment) on alphabetic words of 5+ letters.
// Features: each token (weight 1 × idf), each pair of consecutive tokens
// (0.7 × idf of the pair) and each character 3-gram of a token without
// digits, with boundary marks (0.5 × idf of its token / √grams). A feature hashes
// (FNV-1a 64) to a dimension and a sign. IDF = ln((N + 1) / (df + 1)) + 1
// over the fitted documents; unseen tokens get the largest IDF.
#ifndef ELEX_EMBED_H
#define ELEX_EMBED_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "elex/core/serial.h"
#include "elex/core/status.h"
#include "elex/ran/flat.h"

namespace elex::embed {

/// Longest text the embedder reads (bytes); longer input is an error.
inline constexpr std::size_t kMaxTextBytes = 8192;

/// The tokens of `text` (rules above).
void tokenize(const char* text, std::size_t len, std::vector<std::string>* out);

/// A memo of rules 2-5 (one word of text → its tokens), for tokenising many
/// texts that share words: a catalog's descriptions, its identifiers of one
/// MO class ("EUtranCellFDD.caConfigOffset": the parts of a dotted word are
/// words too). tokenize() with a memo gives the same tokens as without.
/// One per thread (not synchronised); it keeps at most kMaxWords words.
class TokenMemo {
 public:
  static constexpr std::size_t kMaxWords = 1u << 16;
  /// Appends the tokens of `word` (a run of letters, digits, '_' and inner
  /// '.', as tokenize() cuts them) to *out.
  void word(std::string_view word, std::vector<std::string>* out);
  [[nodiscard]] std::size_t words() const { return words_.size(); }
  [[nodiscard]] std::size_t bytes() const {
    return words_.bytes() + tokens_.bytes() + first_.capacity() * 4;
  }

 private:
  flat::StringIds words_;
  flat::Strings tokens_;  // word i's tokens: tokens_[first_[i] .. first_[i + 1])
  std::vector<std::uint32_t> first_{0};
};

/// tokenize() through `memo` (null: none).
void tokenize(const char* text, std::size_t len, std::vector<std::string>* out, TokenMemo* memo);

namespace detail {
/// Rule 4's British → American respelling of a lower-case word, as the
/// tokeniser does it: one probe of a hash table of the whole words, and of
/// the -ise roots when the word has an -ise ending.
void americanize(std::string& w);
/// The same by a linear scan of the word lists: the reference the tests
/// hold americanize() to.
void americanize_linear(std::string& w);
}  // namespace detail

class Embedder {
 public:
  explicit Embedder(std::uint32_t dim) : dim_(dim) {}
  [[nodiscard]] std::uint32_t dim() const { return dim_; }
  /// Learns document frequencies from `n` documents (replaces earlier fits).
  [[nodiscard]] Status fit(const char* const* texts, const std::size_t* lens, std::size_t n);
  /// fit() of `n` documents already tokenised (tokenize()).
  void fit_tokens(const std::vector<std::string>* docs, std::size_t n);
  /// out[0..dim) = the normalised embedding of `text` (all zeros for a
  /// text without tokens).
  [[nodiscard]] Status embed(const char* text, std::size_t len, float* out) const;
  /// embed() of a text already tokenised (tokenize()).
  void embed_tokens(const std::vector<std::string>& tokens, float* out) const;
  [[nodiscard]] std::size_t documents() const { return docs_; }
  [[nodiscard]] std::size_t vocabulary() const { return df_.size(); }
  [[nodiscard]] std::size_t bytes() const;
  /// The fitted state, for Router::save / Router::load.
  void save(serial::Writer& w) const;
  /// Replaces this embedder's state; false (state unspecified) on a bad payload.
  [[nodiscard]] bool load(serial::Reader& r);

 private:
  float idf(std::uint64_t h) const;
  std::uint32_t dim_;
  std::size_t docs_ = 0;
  // Open addressing: token hash → document frequency (hash 0 = empty).
  std::vector<std::uint64_t> keys_;
  std::vector<std::uint32_t> df_;
  std::size_t used_ = 0;
};

}  // namespace elex::embed

#endif  // ELEX_EMBED_H
