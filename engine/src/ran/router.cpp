// Question routing (router.h).
#include "elex/ran/router.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <new>

#include "elex/core/parallel.h"
#include "elex/core/utf8.h"
#include "elex/index/hnsw.h"
#include "elex/kernels/kernels.h"

namespace elex::router {

namespace {

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_letter(char c) { return is_upper(c) || (c >= 'a' && c <= 'z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
/// \w of a regular expression: [A-Za-z0-9_].
bool is_word(char c) { return (c >= 'a' && c <= 'z') || is_upper(c) || is_digit(c) || c == '_'; }
/// [a-z0-9] (the text is lower-cased first).
bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || is_digit(c); }
/// A capital letter (ASCII, Latin-1, Greek, Cyrillic, Armenian) or an ASCII digit.
bool capital_or_digit(const utf8::Seq& q) {
  const std::uint32_t c = q.cp;
  return q.ok &&
         ((c < 0x80 && (is_upper(char(c)) || is_digit(char(c)))) ||
          (c >= 0xC0 && c <= 0xDE && c != 0xD7) || (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) ||
          (c >= 0x400 && c <= 0x42F) || (c >= 0x531 && c <= 0x556));
}
/// Whether the character at s[0..n) is part of a word: an ASCII word character,
/// or a letter of the alphabets above (either case).
bool in_word(const char* s, std::size_t n) {
  const utf8::Seq q = utf8::decode(s, n);
  const std::uint32_t c = q.cp;
  return q.ok &&
         ((c < 0x80 && is_word(char(c))) || (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7) ||
          (c >= 0x370 && c <= 0x3FF) || (c >= 0x400 && c <= 0x52F) || (c >= 0x531 && c <= 0x587));
}
/// How many bytes before s[at] its character starts (UTF-8 continuation bytes skipped, at most 3).
std::size_t back_to_start(const char* s, std::size_t at) {
  std::size_t k = 0;
  while (k < 3 && k < at && (static_cast<unsigned char>(s[at - k]) & 0xC0) == 0x80) ++k;
  return k;
}
char lower(char c) { return is_upper(c) ? char(c - 'A' + 'a') : c; }
/// `s` lower-cased into `out` (a buffer reused: no allocation per string).
std::string_view lower_into(std::string_view s, std::string& out) {
  out.assign(s);
  for (char& c : out) c = lower(c);
  return out;
}
/// A code without its whitespace, lower-cased ("FAJ 121 3094" → faj1213094).
std::string norm_code(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') out += lower(c);
  return out;
}
/// Exact-hit strength of an item linked to n features.
double specificity(std::uint32_t n) { return 1.0 / (1.0 + std::log(double(std::max(1u, n)))); }
/// `s` cut to the engine's text limit at a UTF-8 character boundary.
std::string_view clip(std::string_view s) {
  if (s.size() <= embed::kMaxTextBytes) return s;
  std::size_t n = embed::kMaxTextBytes;
  while (n > 0 && (std::uint8_t(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}
/// Whether text[a, b) is a word capitalised only by its place: a capital
/// and no other, first in the text or in a sentence (after '.', '?', '!',
/// ':' or a line break, spaces, quotes and brackets between).
bool sentence_start(const char* text, std::size_t a, std::size_t b) {
  if (!is_upper(text[a])) return false;
  for (std::size_t i = a + 1; i < b; ++i)
    if (is_upper(text[i])) return false;
  std::size_t p = a;
  while (p > 0 && (text[p - 1] == ' ' || text[p - 1] == '\t' || text[p - 1] == '"' ||
                   text[p - 1] == '\'' || text[p - 1] == '(' || text[p - 1] == '['))
    --p;
  if (p == 0) return true;
  const char c = text[p - 1];
  return c == '.' || c == '?' || c == '!' || c == ':' || c == '\n' || c == '\r';
}
double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

namespace {
/// Calls word(x, next) for each word of `text` with the word after it:
/// words of letters and digits, hyphens inside a word dropped ("E-UTRAN"
/// is "eutran", "en-gNB" is "engnb"), lower-cased.
template <typename Word>
void question_words(std::string_view text, Word&& word) {
  std::string prev;
  std::size_t i = 0;
  const std::size_t n = text.size();
  std::string cur;
  while (i < n) {
    while (i < n && !is_word(text[i])) ++i;
    cur.clear();
    while (i < n && (is_word(text[i]) || (text[i] == '-' && i + 1 < n && is_word(text[i + 1])))) {
      if (text[i] != '-' && text[i] != '_') cur.push_back(lower(text[i]));
      ++i;
    }
    if (!prev.empty()) word(prev, std::string_view(cur));
    prev.swap(cur);
  }
  if (!prev.empty()) word(prev, std::string_view{});
}
/// +1 for "ul" and "uplink", −1 for "dl" and "downlink" (in any case), else 0.
int word_direction(std::string_view x) {
  const auto is = [&](std::string_view w) {
    if (x.size() != w.size()) return false;
    for (std::size_t j = 0; j < w.size(); ++j)
      if (lower(x[j]) != w[j]) return false;
    return true;
  };
  if (is("ul") || is("uplink")) return 1;
  if (is("dl") || is("downlink")) return -1;
  return 0;
}
int direction_of(bool up, bool down) { return up == down ? 0 : up ? 1 : -1; }
}  // namespace

QuestionTraits question_traits(std::string_view text) {
  QuestionTraits q;
  bool up = false, down = false;
  question_words(text, [&](const std::string& x, std::string_view next) {
    if (x == "lte" || x == "enodeb" || x == "enb" || x == "eutran" || x == "eutra" || x == "4g")
      q.technology |= kLte;
    // "nr of UEs" is a number, not New Radio.
    if ((x == "nr" && next != "of") || x == "gnodeb" || x == "gnb" || x == "engnb" || x == "5g")
      q.technology |= kNr;
    const int d = word_direction(x);
    up = up || d > 0;
    down = down || d < 0;
  });
  q.direction = direction_of(up, down);
  return q;
}

std::uint8_t question_technology(std::string_view text) { return question_traits(text).technology; }

int question_direction(std::string_view text) { return question_traits(text).direction; }

int item_direction(std::string_view name) {
  const std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) return 0;
  const std::string_view a = name.substr(dot + 1);
  // camelCase words: a capital starts one after a small letter or digit,
  // and ends a run of capitals before a small letter ("ULSched": UL Sched).
  // A word is a run of letters and digits between two cuts: a[w, i).
  const auto up = [](char c) { return c >= 'A' && c <= 'Z'; };
  const auto low = [](char c) { return c >= 'a' && c <= 'z'; };
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  bool u = false, d = false;
  std::size_t w = std::string_view::npos;
  for (std::size_t i = 0; i <= a.size(); ++i) {
    const char c = i < a.size() ? a[i] : '\0';
    const char p = i > 0 ? a[i - 1] : '\0';
    const bool alnum = up(c) || low(c) || digit(c);
    const bool cut =
        !alnum || (up(c) && (low(p) || digit(p) || (up(p) && i + 1 < a.size() && low(a[i + 1])))) ||
        (digit(c) != digit(p) && i > 0 && (up(p) || low(p) || digit(p)) && alnum);
    if (cut && w != std::string_view::npos) {
      const int x = word_direction(a.substr(w, i - w));
      u = u || x > 0;
      d = d || x < 0;
      w = std::string_view::npos;
    }
    if (alnum && w == std::string_view::npos) w = i;
  }
  return direction_of(u, d);
}

std::uint8_t item_technology(std::string_view name) {
  const std::size_t dot = name.find('.');
  const std::string_view mo =
      dot == std::string_view::npos ? std::string_view{} : name.substr(0, dot);
  const auto starts = [&](std::string_view p) { return mo.substr(0, p.size()) == p; };
  if (starts("EUtranCell") || starts("ENodeBFunction") || starts("EUtranFreq")) return kLte;
  if (starts("NRCell") || starts("GNB") || starts("NRSectorCarrier") || starts("NRFreq"))
    return kNr;
  return 0;
}

double squash(double x) { return x <= 0 ? 0 : x <= 0.9 ? x : 1 - 0.1 * std::exp(-(x - 0.9) / 0.1); }

Router::Router() = default;
Router::~Router() { delete memory_index_; }

double Router::fuse(double v, double e, double l, double f) const {
  return (w_.vector * v + w_.exact * e + w_.lexical * l) / (w_.vector + w_.exact + w_.lexical) +
         w_.feedback * f;
}

Status Router::build(const Spec& s, ThreadPool* pool) {
  if (embedder_) return fail(ELEX_E_INVALID_ARGUMENT, "the router is built already");
  const std::size_t F = s.hosted.size(), I = s.item_kinds.size();
  if (F == 0) return fail(ELEX_E_INVALID_ARGUMENT, "a router needs at least one feature");
  if (F > lexical::kMaxDocuments)
    return fail(ELEX_E_INVALID_ARGUMENT, "%zu features is over the limit of %u", F,
                lexical::kMaxDocuments);
  if (s.feature_texts.size() != 5 * F || s.item_names.size() != I ||
      s.item_descriptions.size() != I || s.item_feature_offsets.size() != I + 1 ||
      s.feature_item_offsets.size() != F + 1 || s.glossary.size() % 2 != 0)
    return fail(ELEX_E_INVALID_ARGUMENT, "router spec: counts do not agree");
  if (s.item_feature_offsets[I] != s.item_features.size() ||
      s.feature_item_offsets[F] != s.feature_items.size())
    return fail(ELEX_E_INVALID_ARGUMENT, "router spec: the last offset must be the list's size");
  for (std::size_t i = 0; i < I; ++i)
    if (s.item_feature_offsets[i] > s.item_feature_offsets[i + 1])
      return fail(ELEX_E_INVALID_ARGUMENT, "router spec: item offsets must not decrease (at %zu)",
                  i);
  for (std::size_t f = 0; f < F; ++f)
    if (s.feature_item_offsets[f] > s.feature_item_offsets[f + 1])
      return fail(ELEX_E_INVALID_ARGUMENT,
                  "router spec: feature offsets must not decrease (at %zu)", f);
  for (std::uint32_t f : s.item_features)
    if (f >= F) return fail(ELEX_E_INVALID_ARGUMENT, "router spec: feature %u is not one", f);
  for (std::uint32_t i : s.feature_items)
    if (i >= I) return fail(ELEX_E_INVALID_ARGUMENT, "router spec: item %u is not one", i);
  for (std::uint8_t k : s.item_kinds)
    if (k < kParameter || k > kKpi)
      return fail(ELEX_E_INVALID_ARGUMENT, "router spec: item kind %u is not 1..3", unsigned(k));
  const Weights& w = s.weights;
  for (double x : {w.vector, w.exact, w.lexical, w.feedback, w.item, w.technology, w.direction})
    if (!std::isfinite(x) || x < 0)
      return fail(ELEX_E_INVALID_ARGUMENT, "route weights must be finite and >= 0");
  if (!(w.vector + w.exact + w.lexical > 0))
    return fail(ELEX_E_INVALID_ARGUMENT,
                "at least one of the vector, exact and lexical weights must be > 0");
  if (s.dim < 8 || s.dim > 4096)
    return fail(ELEX_E_INVALID_ARGUMENT, "embedding dimension %u is outside 8..4096", s.dim);

  w_ = w;
  features_ = std::uint32_t(F);
  const auto text = [&](std::size_t f, std::size_t field) {
    return clip(s.feature_texts[5 * f + field]);
  };
  item_names_.clear();
  {
    std::size_t chars = 0;
    for (std::size_t f = 0; f < F; ++f) chars += s.feature_texts[5 * f].size();
    for (std::string_view n : s.item_names) chars += n.size();
    item_names_.reserve(F + I, chars);
  }
  item_kinds_.assign(F + I, kFeature);
  item_share_.assign(F + I, 1);
  for (std::size_t f = 0; f < F; ++f) item_names_.add(s.feature_texts[5 * f]);
  feature_names_.clear();
  for (std::size_t f = 0; f < F; ++f) feature_names_.add(s.feature_texts[5 * f + 1]);
  for (std::size_t i = 0; i < I; ++i) {
    item_names_.add(s.item_names[i]);
    item_kinds_[F + i] = s.item_kinds[i];
    item_share_[F + i] = s.item_feature_offsets[i + 1] - s.item_feature_offsets[i];
  }
  hosted_of_.assign(F, -1);
  for (std::size_t f = 0; f < F; ++f)
    if (s.hosted[f]) {
      hosted_of_[f] = std::int32_t(hosted_ids_.size());
      hosted_ids_.push_back(std::uint32_t(f));
    }
  const std::size_t H = hosted_ids_.size();
  // Each item's hosted features (a feature item: itself).
  item_hosted_off_.assign(F + I + 1, 0);
  item_hosted_.clear();
  for (std::size_t it = 0; it < F + I; ++it) {
    item_hosted_off_[it] = std::uint32_t(item_hosted_.size());
    if (it < F) {
      if (hosted_of_[it] >= 0) item_hosted_.push_back(std::uint32_t(hosted_of_[it]));
    } else {
      const std::size_t i = it - F;
      for (std::uint32_t j = s.item_feature_offsets[i]; j < s.item_feature_offsets[i + 1]; ++j)
        if (hosted_of_[s.item_features[j]] >= 0)
          item_hosted_.push_back(std::uint32_t(hosted_of_[s.item_features[j]]));
    }
  }
  item_hosted_off_[F + I] = std::uint32_t(item_hosted_.size());

  // Four phases; with a pool of two threads or more, the vectors, the exact
  // keys and the tokens of the items' descriptions are made on one thread
  // while the lexical index is made on another; then the item words (which
  // reuse the lexical terms and those tokens). Each phase writes only its
  // own tables, so the router is the same either way.

  // Tokens through a memo per thread (the two tasks below run at once):
  // a catalog's texts share most words, and its identifiers their MO class.
  embed::TokenMemo memo_lexical, memo_other;

  // Vectors: the embedder is fitted on every feature's profile (so IDF, and
  // thus similarities, agree across the pool); the hosted profiles are kept.
  const auto vectors = [&] {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::string> profiles(F);
    for (std::size_t f = 0; f < F; ++f) {
      std::string& p = profiles[f];
      for (std::size_t field = 0; field < 5; ++field) {
        const std::string_view t = s.feature_texts[5 * f + field];
        if (t.empty()) continue;
        if (!p.empty()) p += ". ";
        p += t;
      }
      p = std::string(clip(p));
    }
    embedder_ = std::make_unique<embed::Embedder>(s.dim);
    // Each profile tokenised once: for the fit, then for its embedding.
    std::vector<std::vector<std::string>> profile_tokens(F);
    for (std::size_t f = 0; f < F; ++f)
      embed::tokenize(profiles[f].data(), profiles[f].size(), &profile_tokens[f], &memo_other);
    embedder_->fit_tokens(profile_tokens.data(), F);
    profiles_.assign(H * s.dim, 0.0f);
    {
      std::vector<float> row(s.dim);
      for (std::size_t h = 0; h < H; ++h) {
        embedder_->embed_tokens(profile_tokens[hosted_ids_[h]], row.data());
        for (std::size_t d = 0; d < s.dim; ++d) profiles_[d * H + h] = row[d];
      }
    }
    phases_.vectors = ms_since(t0);
  };

  // Lexical: one document per feature, IDF over the whole catalog. Each
  // item's name is tokenised once (an item may be in many features' lists),
  // for the lexical index and the item words.
  // Each item's name as lexical term ids, tokenised and interned the first
  // time it is added (so the vocabulary grows as add_tokens() of it would
  // grow it): item_terms[terms_at[i] .. + terms_count[i]).
  std::vector<std::string> toks;
  std::vector<std::uint32_t> item_terms, terms_at(I, ~0u), terms_count(I, 0);
  const auto lexical = [&]() -> Status {
    const auto t0 = std::chrono::steady_clock::now();
    const auto add_item = [&](std::uint32_t f, std::uint32_t field, std::uint32_t i) -> Status {
      if (terms_at[i] == ~0u) {
        terms_at[i] = std::uint32_t(item_terms.size());
        const std::string_view t = clip(s.item_names[i]);
        embed::tokenize(t.data(), t.size(), &toks, &memo_lexical);
        for (const std::string& tok : toks) item_terms.push_back(lexical_.intern(tok));
        terms_count[i] = std::uint32_t(item_terms.size() - terms_at[i]);
      }
      return lexical_.add_terms(f, field, item_terms.data() + terms_at[i], terms_count[i]);
    };
    const auto add = [&](std::size_t doc, std::uint32_t field, std::string_view t) -> Status {
      t = clip(t);
      if (t.empty()) return ELEX_OK;
      embed::tokenize(t.data(), t.size(), &toks, &memo_lexical);  // as lexical_.add() would
      return lexical_.add_tokens(std::uint32_t(doc), field, toks);
    };
    std::string joined;
    for (std::size_t f = 0; f < F; ++f) {
      for (std::uint32_t field = 0; field < 5; ++field) {
        std::string_view t = text(f, field);
        // An acronym of several parts ("NSA-DRX") is one term in the acronym
        // field ("nsadrx"); its parts weigh as description words, so that
        // "NSA" (non-standalone) in a question is not this feature's acronym.
        if (field == lexical::kAcronym && t.find_first_of("-/ _.") != std::string_view::npos) {
          joined.clear();
          for (char c : t)
            if (is_word(c) && c != '_') joined.push_back(lower(c));
          if (Status st = add(f, lexical::kDescription, t); st != ELEX_OK) return st;
          t = joined;
        }
        if (Status st = add(f, field, t); st != ELEX_OK) return st;
      }
      for (std::uint32_t j = s.feature_item_offsets[f]; j < s.feature_item_offsets[f + 1]; ++j) {
        const std::uint32_t i = s.feature_items[j];
        const std::uint32_t field =
            s.item_kinds[i] == kKpi ? lexical::kKpis : lexical::kIdentifiers;
        if (Status st = add_item(std::uint32_t(f), field, i); st != ELEX_OK) return st;
      }
    }
    for (std::size_t g = 0; g + 1 < s.glossary.size(); g += 2) {
      const std::string_view a = clip(s.glossary[g]), b = clip(s.glossary[g + 1]);
      if (a.size() > lexical::kMaxGlossaryBytes || b.size() > lexical::kMaxGlossaryBytes)
        return fail(ELEX_E_INVALID_ARGUMENT, "glossary entry %zu: a side is over %zu bytes", g / 2,
                    lexical::kMaxGlossaryBytes);
      if (Status st = lexical_.add_synonym(a.data(), a.size(), b.data(), b.size()); st != ELEX_OK)
        return st;
    }
    if (Status st = lexical_.finish(); st != ELEX_OK) return st;
    phases_.lexical = ms_since(t0);
    return ELEX_OK;
  };

  // Exact keys of the items that name a hosted feature.
  const auto exact = [&] {
    const auto t0 = std::chrono::steady_clock::now();
    id_keys();
    std::vector<std::pair<std::uint32_t, std::uint32_t>> acronym_keys, heads;
    const auto key = [](KeyLists& map, std::vector<std::pair<std::uint32_t, std::uint32_t>>& pairs,
                        std::string_view k,
                        std::uint32_t id) { pairs.emplace_back(map.keys.insert(k).first, id); };
    std::string l;
    for (std::size_t it = 0; it < F + I; ++it) {
      if (item_hosted_off_[it] == item_hosted_off_[it + 1]) continue;
      const std::uint32_t id = std::uint32_t(it);
      if (it < F) {
        if (!text(it, 2).empty()) key(acronyms_, acronym_keys, text(it, 2), id);
        if (!text(it, 1).empty())
          (phrases_.add(lower_into(text(it, 1), l)), phrase_item_.push_back(id));
      } else if (item_kinds_[it] == kKpi) {
        phrases_.add(lower_into(clip(item_names_[it]), l));
        phrase_item_.push_back(id);
      }
    }
    acronyms_.lists.assign(acronyms_.keys.size(), acronym_keys);
    // Phrases of 6+ characters by their first run of [a-z0-9] (a phrase can
    // only start where such a run starts in the text, with that whole run).
    for (std::uint32_t p = 0; p < phrases_.size(); ++p) {
      const std::string_view phrase = phrases_[p];
      if (phrase.size() < 6) continue;
      std::size_t j = 0;
      while (j < phrase.size() && is_alnum(phrase[j])) ++j;
      if (j == 0)
        phrase_other_.push_back(p);
      else
        key(phrase_heads_, heads, phrase.substr(0, j), p);
    }
    phrase_heads_.lists.assign(phrase_heads_.keys.size(), heads);
    phases_.exact = ms_since(t0);
  };

  // Item words of the hosted features' items: each item tokenised once.
  // The items whose words are kept: those a hosted feature lists. Their
  // descriptions' tokens, as numbers of distinct words (desc_words, in the
  // order first seen): desc_ids[desc_at[i] .. desc_at[i + 1]).
  std::vector<std::uint8_t> wanted(I, 0);
  for (std::size_t f = 0; f < F; ++f)
    if (s.hosted[f])
      for (std::uint32_t j = s.feature_item_offsets[f]; j < s.feature_item_offsets[f + 1]; ++j)
        wanted[s.feature_items[j]] = 1;
  flat::StringIds desc_words;
  std::vector<std::uint32_t> desc_ids, desc_at(I + 1, 0);
  double descriptions_ms = 0;
  const auto descriptions = [&] {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::string> tokens;
    for (std::size_t i = 0; i < I; ++i) {
      desc_at[i] = std::uint32_t(desc_ids.size());
      if (!wanted[i]) continue;
      const std::string_view d = clip(s.item_descriptions[i]);
      embed::tokenize(d.data(), d.size(), &tokens, &memo_other);
      for (const std::string& tok : tokens) desc_ids.push_back(desc_words.insert(tok).first);
    }
    desc_at[I] = std::uint32_t(desc_ids.size());
    descriptions_ms = ms_since(t0);
  };
  const auto items = [&] {
    const auto t0 = std::chrono::steady_clock::now();
    own_off_.assign(F + 1, 0);
    own_.clear();
    for (std::size_t f = 0; f < F; ++f) {
      own_off_[f] = std::uint32_t(own_.size());
      for (std::uint32_t j = s.feature_item_offsets[f]; j < s.feature_item_offsets[f + 1]; ++j)
        own_.push_back(std::uint32_t(F) + s.feature_items[j]);
    }
    own_off_[F] = std::uint32_t(own_.size());
    name_words_.assign(F + I, 0);
    std::vector<std::uint32_t> name, desc;
    item_word_off_.assign(F + I + 1, 0);
    item_words_.clear();
    // An item's distinct words in the order first seen: in_name[w] / in_desc[w]
    // is the item's stamp when word w is in its name / description list.
    std::vector<std::uint32_t> in_name, in_desc;
    std::uint32_t stamp = 0;
    const auto unique_id = [&](std::uint32_t id, std::vector<std::uint32_t>* out,
                               std::vector<std::uint32_t>* in) {
      if (id >= in->size()) in->resize(std::max<std::size_t>(id + 1, 2 * in->size()), 0);
      if ((*in)[id] != stamp) ((*in)[id] = stamp, out->push_back(id));
    };
    // A hosted feature's name is an item of its own (item number f).
    for (std::size_t f = 0; f < F; ++f) {
      item_word_off_[f] = std::uint32_t(item_words_.size());
      if (!s.hosted[f] || text(f, 1).empty()) continue;
      const std::string_view t = text(f, 1);
      embed::tokenize(t.data(), t.size(), &toks, &memo_other);
      name.clear();
      ++stamp;
      for (const std::string& tok : toks) unique_id(words_.insert(tok).first, &name, &in_name);
      name_words_[f] = std::uint16_t(std::min<std::size_t>(name.size(), 0xFFFF));
      item_words_.insert(item_words_.end(), name.begin(), name.end());
    }
    // An item's name words are its lexical terms (a hosted feature lists it,
    // so it was added above): each term's word looked up once.
    std::vector<std::uint32_t> word_of_term(lexical_.terms(), ~0u);
    // So is each description word (inserted where first met, as before: the
    // same word numbers).
    std::vector<std::uint32_t> word_of_desc(desc_words.size(), ~0u);
    for (std::size_t i = 0; i < I; ++i) {
      const std::uint32_t item = std::uint32_t(F + i);
      item_word_off_[item] = std::uint32_t(item_words_.size());
      if (!wanted[i]) continue;
      name.clear();
      ++stamp;
      for (std::uint32_t x = terms_at[i]; x < terms_at[i] + terms_count[i]; ++x) {
        std::uint32_t& word = word_of_term[item_terms[x]];
        if (word == ~0u) word = words_.insert(lexical_.term_text(item_terms[x])).first;
        unique_id(word, &name, &in_name);
      }
      desc.clear();
      for (std::uint32_t x = desc_at[i]; x < desc_at[i + 1]; ++x) {
        std::uint32_t& word = word_of_desc[desc_ids[x]];
        if (word == ~0u) word = words_.insert(desc_words[desc_ids[x]]).first;
        unique_id(word, &desc, &in_desc);
      }
      name_words_[item] = std::uint16_t(std::min<std::size_t>(name.size(), 0xFFFF));
      item_words_.insert(item_words_.end(), name.begin(), name.end());
      for (std::uint32_t x : desc)
        if (x >= in_name.size() || in_name[x] != stamp) item_words_.push_back(x | kHalf);
    }
    item_word_off_[F + I] = std::uint32_t(item_words_.size());
    phases_.items = descriptions_ms + ms_since(t0);  // the descriptions' tokens are theirs too
  };

  if (pool != nullptr && pool->size() > 1) {
    // A failure's message is kept per thread (status.h): the one that failed
    // hands it over.
    Status st = ELEX_OK;
    std::string message;
    (void)pool->parallel_for(2, 1, [&](std::size_t begin, std::size_t end) {
      for (std::size_t task = begin; task < end; ++task) {
        if (task == 1) {
          vectors();
          exact();
          descriptions();
        } else if ((st = lexical()) != ELEX_OK) {
          message = last_error_message();
        }
      }
    });
    if (st != ELEX_OK) return fail(st, "%s", message.c_str());
  } else {
    vectors();
    if (Status st = lexical(); st != ELEX_OK) return st;
    exact();
    descriptions();
  }
  items();
  technologies();
  profile_columns();
  scratch();
  return ELEX_OK;
}

void Router::id_keys() {
  // (Items in order; the keys of each in the order build() made them
  // before this was its own pass, so the key ids are the same.)
  ids_ = {};
  std::size_t keys = 0, chars = 0;
  for (std::size_t it = 0; it < item_names_.size(); ++it) {
    if (item_hosted_off_[it] == item_hosted_off_[it + 1] || item_kinds_[it] == kKpi) continue;
    const std::string_view name = item_names_[it];
    const std::size_t dot = it < features_ ? std::string_view::npos : name.rfind('.');
    keys += 1 + (dot != std::string_view::npos && dot > 0);
    chars += name.size() + (dot != std::string_view::npos && dot > 0 ? name.size() - dot - 1 : 0);
  }
  ids_.keys.reserve(keys, chars);
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs;
  pairs.reserve(keys);
  std::string l;
  for (std::size_t it = 0; it < item_names_.size(); ++it) {
    if (item_hosted_off_[it] == item_hosted_off_[it + 1]) continue;
    const std::uint32_t id = std::uint32_t(it);
    if (it < features_) {
      pairs.emplace_back(ids_.keys.insert(norm_code(item_names_[it])).first, id);
    } else if (item_kinds_[it] != kKpi) {
      lower_into(item_names_[it], l);
      pairs.emplace_back(ids_.keys.insert(l).first, id);
      const std::size_t dot = l.rfind('.');
      if (dot != std::string::npos && dot > 0)
        pairs.emplace_back(ids_.keys.insert(std::string_view(l).substr(dot + 1)).first, id);
    }
  }
  ids_.lists.assign(ids_.keys.size(), pairs);
}

void Router::technologies() {
  tech_.assign(hosted_ids_.size(), 0);
  dir_.assign(hosted_ids_.size(), 0.0f);
  // Each item's technology and direction once (an item is shared by many
  // features: FeatureState.featureState by all of them); 3: not yet known.
  std::vector<std::uint8_t> tech(item_names_.size());
  std::vector<std::int8_t> dir(item_names_.size(), 3);
  for (std::size_t h = 0; h < hosted_ids_.size(); ++h) {
    const std::uint32_t f = hosted_ids_[h];
    int up = 0, down = 0;
    for (std::uint32_t j = own_off_[f]; j < own_off_[f + 1]; ++j) {
      const std::uint32_t item = own_[j];
      if (dir[item] == 3) {
        tech[item] = item_technology(item_names_[item]);
        dir[item] = item_kinds_[item] == kKpi ? 0 : std::int8_t(item_direction(item_names_[item]));
      }
      tech_[h] |= tech[item];
      up += dir[item] > 0;
      down += dir[item] < 0;
    }
    const int named = question_direction(feature_names_[f]);
    dir_[h] = named != 0 ? float(named) : float(up - down) / (float(up + down) + 2.0f);
  }
}

void Router::scratch() {
  const std::size_t H = hosted_ids_.size();
  item_hit_.assign(item_names_.size(), 0);
  item_seen_.assign(item_names_.size(), 0);
  term_of_.assign(words_.size(), 0);
  // The item words by word (each word's items in item order, with kHalf as
  // in item_words_): a counting sort of item_words_.
  const std::size_t W = words_.size();
  word_item_off_.assign(W + 1, 0);
  for (std::uint32_t w : item_words_) ++word_item_off_[(w & ~kHalf) + 1];
  for (std::size_t w = 0; w < W; ++w) word_item_off_[w + 1] += word_item_off_[w];
  word_items_.resize(item_words_.size());
  {
    std::vector<std::uint32_t> fill(word_item_off_.begin(), word_item_off_.end() - 1);
    for (std::uint32_t item = 0; item + 1 < item_word_off_.size(); ++item)
      for (std::uint32_t y = item_word_off_[item]; y < item_word_off_[item + 1]; ++y)
        word_items_[fill[item_words_[y] & ~kHalf]++] = item | (item_words_[y] & kHalf);
  }
  vec_.assign(H, 0);
  ex_.assign(H, 0);
  lx_.assign(H, 0);
  fb_.assign(H, 0);
  item_.assign(H, 0);
  stamp_.assign(H, 0);
  gen_ = 0;
  touched_.clear();
  touched_.reserve(H);
  hits_.assign(H, {});
  sims_.resize(H);
  dot_acc_.resize(8 * H);
  query_.assign(embedder_ ? embedder_->dim() : 0, 0.0f);
}

void Router::profile_columns() {
  const std::size_t H = hosted_ids_.size(), dim = embedder_->dim();
  profile_off_.assign(dim + 1, 0);
  profile_rows_.clear();
  profile_vals_.clear();
  for (std::size_t d = 0; d < dim; ++d) {
    for (std::size_t h = 0; h < H; ++h)
      if (profiles_[d * H + h] != 0.0f) {
        profile_rows_.push_back(std::uint32_t(h));
        profile_vals_.push_back(profiles_[d * H + h]);
      }
    profile_off_[d + 1] = std::uint32_t(profile_rows_.size());
  }
}

void Router::touch(std::uint32_t h) {
  if (stamp_[h] == gen_) return;
  stamp_[h] = gen_;
  vec_[h] = ex_[h] = lx_[h] = fb_[h] = item_[h] = 0;
  hits_[h].clear();
  touched_.push_back(h);
}

void Router::exact_hits(const char* text, std::size_t n) {
  spans_.clear();
  const auto hit = [&](const KeyLists& map, std::string_view k, double strength, std::size_t a,
                       std::size_t b) {
    std::uint32_t count = 0;
    const std::uint32_t* items = map.find(k, &count);
    if (count > 0) spans_.push_back({items, count, 0, 0, strength, a, b});
  };
  std::string& low = low_;
  low.assign(text, n);
  for (char& c : low) c = lower(c);
  // Feature codes: 2-5 letters, an optional space, 2-4 digits, an optional
  // space, 2-5 digits, as whole words ("FAJ 121 3094", "FAJ1213094"), in
  // any case ("faj 121 3094", as a question typed in lower case writes it).
  for (std::size_t i = 0; i < n; ++i) {
    if (!is_letter(text[i]) || (i > 0 && is_word(text[i - 1]))) continue;
    std::size_t j = i;
    while (j < n && is_letter(text[j])) ++j;
    if (j - i < 2 || j - i > 5) continue;
    std::size_t a = j + (j < n && text[j] == ' ' ? 1 : 0), d1 = a;
    while (d1 < n && is_digit(text[d1])) ++d1;
    std::size_t end = 0;
    const bool tail = d1 == n || !is_word(text[d1]);
    if (d1 - a >= 2 && d1 - a <= 4 && d1 < n && text[d1] == ' ') {
      std::size_t d2 = d1 + 1;
      while (d2 < n && is_digit(text[d2])) ++d2;
      if (d2 - d1 - 1 >= 2 && d2 - d1 - 1 <= 5 && (d2 == n || !is_word(text[d2]))) end = d2;
    }
    if (end == 0 && d1 - a >= 4 && d1 - a <= 9 && tail) end = d1;
    if (end == 0) continue;
    // A release suffix ("FAJ 121 3094/2") is part of the code when a
    // feature has that code; otherwise the code before it is the hit.
    if (end + 1 < n && text[end] == '/' && is_digit(text[end + 1])) {
      std::size_t s = end + 1;
      while (s < n && is_digit(text[s])) ++s;
      std::uint32_t count = 0;
      if (s == n || !is_word(text[s]))
        ids_.find(norm_code(std::string_view(text + i, s - i)), &count);
      if (count > 0) end = s;
    }
    hit(ids_, norm_code(std::string_view(text + i, end - i)), 1.0, i, end);
    i = end - 1;
  }
  // Words ([A-Za-z0-9_.] runs, outer dots trimmed): acronyms as written,
  // identifiers lower-cased, and their part after the last dot.
  for (std::size_t i = 0; i < n;) {
    if (!(is_word(text[i]) || text[i] == '.')) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < n && (is_word(text[j]) || text[j] == '.')) ++j;
    std::size_t a = i, b = j;
    while (a < b && text[a] == '.') ++a;
    while (b > a && text[b - 1] == '.') --b;
    if (a < b) {
      const std::string_view w(text + a, b - a);
      bool upper = false, acronym = w.size() >= 2 && w.size() <= 10;
      for (char c : w)
        (upper = upper || is_upper(c)), acronym = acronym && (is_upper(c) || is_digit(c));
      if (acronym && upper) hit(acronyms_, w, 1.0, i, j);
      const std::string_view lw = std::string_view(low).substr(a, b - a);
      // A plain lower-case word written as such ("passive", "priority") is
      // a word of the question, not evidence for an identifier that happens
      // to be that one word (`Interface.passive`); so is one capitalised only
      // because it starts a sentence ("Stop UEs …" is not `PacketCapture.stop`);
      // "sleepmode" still finds `sleepMode`, and "MTU" finds `mtu`.
      std::uint32_t count = 0;
      const std::uint32_t* items = ids_.find(lw, &count);
      if (count > 0 && (lw == std::string_view(text + a, b - a) || sentence_start(text, a, b))) {
        const std::string_view name = item_names_[items[0]];
        const std::size_t d = name.rfind('.');
        if (name.substr(d == std::string_view::npos ? 0 : d + 1) == lw) count = 0;
      }
      if (count > 0) spans_.push_back({items, count, 0, 0, 0.8, i, j});
      const std::size_t dot = lw.rfind('.');
      if (dot != std::string::npos && dot > 0) hit(ids_, lw.substr(dot + 1), 0.8, i, j);
    }
    i = j;
  }
  // Hyphenated acronyms as written ("D-PUCCH", "UL-MIMO"): a run of capitals,
  // digits and inner hyphens.
  for (std::size_t i = 0; i < n;) {
    if (!(is_upper(text[i]) || is_digit(text[i])) || (i > 0 && is_word(text[i - 1]))) {
      ++i;
      continue;
    }
    std::size_t j = i;
    bool hyphen = false;
    while (j < n && (is_word(text[j]) || (text[j] == '-' && j + 1 < n && is_word(text[j + 1]))))
      if (text[j++] == '-') hyphen = true;
    if (hyphen && j - i <= 10) hit(acronyms_, std::string_view(text + i, j - i), 1.0, i, j);
    i = j;
  }
  // Acronyms in capitals beyond ASCII as written ("УПМ", "ΔΦΣ-2", "ÉCO"):
  // a run of capitals, digits and inner hyphens, 2 to 10 characters, with a
  // capital beyond ASCII (those without one are found above), not inside a
  // longer word.
  for (std::size_t i = 0; i < n;) {
    const utf8::Seq first = utf8::decode(text + i, n - i);
    const std::size_t before = i > 0 ? i - 1 - back_to_start(text, i - 1) : 0;
    if (!capital_or_digit(first) || (i > 0 && in_word(text + before, n - before))) {
      i += first.len;
      continue;
    }
    std::size_t j = i, chars = 0;
    bool beyond = false;
    while (j < n) {
      const utf8::Seq q = utf8::decode(text + j, n - j);
      if (capital_or_digit(q)) {
        beyond = beyond || q.cp >= 0x80;
      } else if (!(q.cp == '-' && j > i && j + 1 < n &&
                   capital_or_digit(utf8::decode(text + j + 1, n - j - 1)))) {
        break;
      }
      j += q.len;
      ++chars;
    }
    if (beyond && chars >= 2 && chars <= 10 && (j == n || !in_word(text + j, n - j)))
      hit(acronyms_, std::string_view(text + i, j - i), 1.0, i, j);
    i = j;
  }
  // Feature and KPI names of 6+ characters as whole words, in phrase order,
  // then offset order.
  const std::size_t first_phrase = spans_.size();
  const auto phrase_hit = [&](std::uint32_t p, std::size_t at) {
    const std::uint32_t id = phrase_item_[p];
    spans_.push_back({nullptr, 1, id, p, id < features_ ? 1.0 : 0.8, at, at + phrases_[p].size()});
  };
  for (std::size_t i = 0; i < n;) {
    if (!is_alnum(low[i])) {
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    while (j < n && is_alnum(low[j])) ++j;
    std::uint32_t count = 0;
    const std::uint32_t* heads = phrase_heads_.find(std::string_view(low).substr(i, j - i), &count);
    for (std::uint32_t x = 0; x < count; ++x) {
      const std::uint32_t p = heads[x];
      const std::string_view phrase = phrases_[p];
      const std::size_t end = i + phrase.size();
      if (end <= n && low.compare(i, phrase.size(), phrase) == 0 &&
          (end == n || !is_alnum(low[end])))
        phrase_hit(p, i);
    }
    i = j;
  }
  for (std::uint32_t p : phrase_other_) {
    const std::string_view phrase = phrases_[p];
    for (std::size_t at = low.find(phrase); at != std::string::npos;
         at = low.find(phrase, at + 1)) {
      const std::size_t end = at + phrase.size();
      if ((at > 0 && is_alnum(low[at - 1])) || (end < n && is_alnum(low[end]))) continue;
      phrase_hit(p, at);
    }
  }
  std::sort(spans_.begin() + std::ptrdiff_t(first_phrase), spans_.end(),
            [](const Span& x, const Span& y) {
              return x.order != y.order ? x.order < y.order : x.start < y.start;
            });
  // A hit inside a longer one does not count ("Enhanced 4x4 MIMO" names
  // that feature, not "4x4 MIMO"); the strongest hit of an item counts.
  exact_.clear();
  for (const Span& sp : spans_) {
    bool inside = false;
    for (const Span& o : spans_)
      if (&o != &sp && o.start <= sp.start && o.end >= sp.end &&
          o.end - o.start > sp.end - sp.start) {
        inside = true;
        break;
      }
    if (inside) continue;
    const std::uint32_t* list = sp.items ? sp.items : &sp.one;
    const std::size_t count = sp.count;
    for (std::size_t x = 0; x < count; ++x) {
      const std::uint32_t id = list[x];
      const double strength = sp.strength * specificity(item_share_[id]);
      bool seen = false;
      for (auto& [e, st] : exact_)
        if (e == id) {
          st = std::max(st, strength);
          seen = true;
          break;
        }
      if (!seen) exact_.emplace_back(id, strength);
    }
  }
}

void Router::vector_hits(const float* q) {
  const std::size_t H = hosted_ids_.size(), dim = embedder_->dim();
  if (H == 0 || w_.vector == 0) return;
  kernels::dots_by_dim_sparse(q, profiles_.data(), profile_off_.data(), profile_rows_.data(),
                              profile_vals_.data(), H, dim, sims_.data(), dot_acc_.data());
  // The best kVectorK by similarity (then number) of those above 0; the
  // others are skipped. Which ones, not their order, matters (each adds
  // to its own feature only, and route() ranks features by score, then
  // code), so they are selected, not sorted.
  order_.clear();
  for (std::uint32_t h = 0; h < H; ++h)
    if (sims_[h] > 0) order_.push_back(h);
  const std::size_t k = std::min<std::size_t>(kVectorK, order_.size());
  const auto better = [&](std::uint32_t a, std::uint32_t b) {
    return sims_[a] != sims_[b] ? sims_[a] > sims_[b] : a < b;
  };
  if (k < order_.size())
    std::nth_element(order_.begin(), order_.begin() + std::ptrdiff_t(k), order_.end(), better);
  for (std::size_t r = 0; r < k; ++r) {
    const std::uint32_t h = order_[r];
    const double sim = sims_[h];
    touch(h);
    vec_[h] = std::max(vec_[h], sim);
    std::vector<Hit>& list = hits_[h];
    if (list.size() >= kMatchedMax) continue;
    const std::uint32_t item = hosted_ids_[h];
    bool dup = false;
    for (const Hit& x : list) dup = dup || item_names_[x.item] == item_names_[item];
    if (!dup) list.push_back({item, false, sim});
  }
}

void Router::feedback_hits(const float* q) {
  if (memory_index_ == nullptr || memory_.empty() || w_.feedback == 0) return;
  const std::uint32_t k = std::uint32_t(std::min<std::size_t>(kMemoryK, memory_.size()));
  std::uint32_t ids[kMemoryK];
  float dist[kMemoryK];
  if (memory_index_->search(q, 1, k, std::max(64u, k), hnsw::ExactMode::Auto, ids, dist, nullptr) !=
      ELEX_OK)
    return;
  fb_touched_.clear();
  for (std::uint32_t i = 0; i < k; ++i) {
    const auto m = memory_.find(ids[i]);
    const double sim = 1.0 - double(dist[i]);
    if (m == memory_.end() || sim < kMemoryMinSim) continue;
    const std::uint32_t h = m->second.hosted;
    touch(h);
    fb_[h] += double(m->second.reward) * (sim - kMemoryMinSim) / (1 - kMemoryMinSim);
    fb_touched_.push_back(h);
  }
  for (std::uint32_t h : fb_touched_) fb_[h] = std::max(-1.0, std::min(1.0, fb_[h]));
}

Status Router::route(const char* text, std::size_t len, std::uint32_t k, std::vector<Routed>* out,
                     float* vector) {
  if (out == nullptr) return fail(ELEX_E_INVALID_ARGUMENT, "null output");
  out->clear();
  if (!embedder_) return fail(ELEX_E_INVALID_ARGUMENT, "the router is not built");
  if (text == nullptr && len > 0) return fail(ELEX_E_INVALID_ARGUMENT, "null text");
  if (len > embed::kMaxTextBytes)
    return fail(ELEX_E_INVALID_ARGUMENT, "a question of %zu bytes is over the %zu-byte limit", len,
                embed::kMaxTextBytes);
  if (k == 0 || k > kMaxK)
    return fail(ELEX_E_INVALID_ARGUMENT, "k must be 1..%u, got %u", kMaxK, k);
  if (++gen_ == 0) (std::fill(stamp_.begin(), stamp_.end(), 0u), gen_ = 1);
  touched_.clear();
  embed::tokenize(text, len, &tokens_);
  const QuestionTraits traits =
      w_.technology > 0 || w_.direction > 0 ? question_traits({text, len}) : QuestionTraits{};
  const std::uint8_t tech = w_.technology > 0 ? traits.technology : 0;
  const int dir = w_.direction > 0 ? traits.direction : 0;
  float* q = query_.data();
  embedder_->embed_tokens(tokens_, q);
  if (vector != nullptr) std::memcpy(vector, q, query_.size() * sizeof(float));

  exact_hits(text, len);
  for (const auto& [id, strength] : exact_)
    for (std::uint32_t x = item_hosted_off_[id]; x < item_hosted_off_[id + 1]; ++x) {
      const std::uint32_t h = item_hosted_[x];
      touch(h);
      ex_[h] = std::max(ex_[h], strength);
      hits_[h].push_back({id, true, strength});
    }
  vector_hits(q);
  if (w_.lexical > 0) {
    if (Status st = lexical_.search(tokens_, kLexicalK, &lex_hits_); st != ELEX_OK) return st;
    const double best = lex_hits_.empty() ? 0 : lex_hits_[0].score;
    if (best > 0)
      for (const lexical::Hit& x : lex_hits_) {
        const std::int32_t h = hosted_of_[x.doc];
        if (h < 0) continue;
        touch(std::uint32_t(h));
        lx_[h] = x.score / best;
      }
  }
  feedback_hits(q);

  // The best max(k, kRerank) by fused score (then code) are re-scored with
  // the item evidence.
  const std::size_t wide =
      std::min<std::size_t>(touched_.size(), w_.item > 0 ? std::max(k, kRerank) : k);
  scores_.resize(touched_.size());
  for (std::size_t t = 0; t < touched_.size(); ++t) {
    const std::uint32_t h = touched_[t];
    scores_[t] = fuse(vec_[h], ex_[h], lx_[h], fb_[h]);
    if (tech != 0 && tech_[h] != 0 && (tech_[h] & tech) == 0) scores_[t] -= w_.technology;
    scores_[t] += w_.direction * double(dir) * double(dir_[h]);
  }
  order_.resize(touched_.size());
  for (std::uint32_t t = 0; t < order_.size(); ++t) order_[t] = t;
  const auto better = [&](std::uint32_t a, std::uint32_t b) {
    if (scores_[a] != scores_[b]) return scores_[a] > scores_[b];
    return item_names_[hosted_ids_[touched_[a]]] < item_names_[hosted_ids_[touched_[b]]];
  };
  std::partial_sort(order_.begin(), order_.begin() + std::ptrdiff_t(wide), order_.end(), better);
  out->resize(wide);
  for (std::size_t r = 0; r < wide; ++r) {
    const std::uint32_t h = touched_[order_[r]];
    Routed& x = (*out)[r];
    x.feature = hosted_ids_[h];
    x.score = scores_[order_[r]];
    x.vector = vec_[h];
    x.exact = ex_[h];
    x.lexical = lx_[h];
    x.feedback = fb_[h];
    x.technology = tech != 0 && tech_[h] != 0 && (tech_[h] & tech) == 0 ? -1 : 0;
    x.direction = dir == 0 ? 0.0 : double(dir) * double(dir_[h]);  // (not −0)
    x.item = 0;
    x.matched.clear();
    for (const Hit& hit : hits_[h]) {
      if (x.matched.size() >= kMatchedMax) break;
      x.matched.push_back({hit.item, hit.exact, hit.score});
    }
  }
  rank_item_words(out, k, tokens_);
  if (out->size() > k) out->resize(k);
  return ELEX_OK;
}

double Router::item_sum(std::uint32_t item,
                        const std::vector<std::pair<std::string, float>>& terms) const {
  // Its words' term weights (description-only words ½). A sum of floats of
  // like size in a double is exact (each has 24 bits; the weights are from
  // 1 down to a few hundredths, so a sum of millions would still fit 53),
  // so in any order it equals the by-word sums of rank_item_words().
  double sum = 0;
  for (std::uint32_t y = item_word_off_[item]; y < item_word_off_[item + 1]; ++y) {
    const std::uint32_t t = term_of_[item_words_[y] & ~kHalf];
    if (t == 0) continue;
    sum += terms[t - 1].second * ((item_words_[y] & kHalf) ? 0.5f : 1.0f);
  }
  return sum;
}

void Router::rank_item_words(std::vector<Routed>* wide, std::uint32_t k,
                             const std::vector<std::string>& tokens) {
  // The question's distinct words; each item's share of them (an item's
  // name words count 1, its description-only words ½).
  std::size_t q = 0;
  item_touched_.clear();
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    bool again = false;
    for (std::size_t j = 0; j < i && !again; ++j) again = tokens[j] == tokens[i];
    if (again) continue;
    ++q;
  }
  // The words the lexical index searches for: the question's, and at
  // lower weight their glossary expansions, respellings and abbreviations.
  // (search() has just expanded them unless the lexical weight is 0.)
  if (w_.lexical <= 0) lexical_.query_terms(tokens, &terms_);
  const auto& terms = w_.lexical > 0 ? lexical_.last_terms() : terms_;
  qwords_.clear();
  for (std::uint32_t t = 0; t < terms.size(); ++t) {
    const std::uint32_t word = words_.find(terms[t].first);
    if (word == flat::StringIds::kNone) continue;
    term_of_[word] = t + 1;  // terms are distinct: so are their words
    qwords_.push_back(word);
  }
  // Only the items of the features ranked here need their share: each sums
  // its words' term weights in the order of the terms. Either each item's
  // words are looked up among the question's (item_sum), or each question
  // word's items are visited, term by term, adding to those items: the
  // same additions in the same order (an item holds a word once), so the
  // same sums; whichever visits fewer words.
  if (!qwords_.empty()) {
    std::size_t by_item = 0, by_word = 0;
    for (const Routed& x : *wide)
      for (std::uint32_t j = own_off_[x.feature]; j < own_off_[x.feature + 1]; ++j) {
        const std::uint32_t item = own_[j];
        if (item_seen_[item]) continue;
        item_seen_[item] = 1;
        item_touched_.push_back(item);
        by_item += item_word_off_[item + 1] - item_word_off_[item];
      }
    for (std::uint32_t word : qwords_) by_word += word_item_off_[word + 1] - word_item_off_[word];
    if (by_item <= by_word) {
      for (std::uint32_t item : item_touched_) item_hit_[item] = item_sum(item, terms);
    } else {
      for (std::uint32_t word : qwords_) {  // in the order of the terms
        const float weight = terms[term_of_[word] - 1].second;
        for (std::uint32_t y = word_item_off_[word]; y < word_item_off_[word + 1]; ++y) {
          const std::uint32_t item = word_items_[y] & ~kHalf;
          if (item_seen_[item] == 0) continue;  // not an item of the features ranked here
          item_hit_[item] += weight * ((word_items_[y] & kHalf) ? 0.5f : 1.0f);
        }
      }
    }
  }
  const double w = q == 0 ? 0 : w_.item;
  if (!qwords_.empty())
    for (Routed& x : *wide) {
      double best = 0;
      for (std::uint32_t j = own_off_[x.feature]; j < own_off_[x.feature + 1]; ++j)
        best = std::max(best, std::min(1.0, item_hit_[own_[j]] / double(q)));
      // The feature's name: how much of the name the question holds, and of
      // the question the name holds ("MIMO branches to sleep" holds two of
      // "MIMO Sleep Mode"'s three words).
      if (name_words_[x.feature] > 0) {
        const double sum = item_sum(x.feature, terms);
        if (sum > 0)
          best = std::max(
              best,
              kNameShare * std::min(1.0, sum / std::sqrt(double(q) * name_words_[x.feature])));
      }
      x.item = best;
      x.score += w * best;
    }
  // Ranked on the raw score, which is then squashed into [0, 1].
  // (Codes are unique: the order is total, so a plain sort of positions.)
  order_.resize(wide->size());
  for (std::uint32_t r = 0; r < order_.size(); ++r) order_[r] = r;
  std::sort(order_.begin(), order_.end(), [&](std::uint32_t a, std::uint32_t b) {
    const Routed &x = (*wide)[a], &y = (*wide)[b];
    if (x.score != y.score) return x.score > y.score;
    return item_names_[x.feature] < item_names_[y.feature];
  });
  sorted_.clear();
  for (std::uint32_t r : order_) sorted_.push_back(std::move((*wide)[r]));
  wide->swap(sorted_);
  for (Routed& x : *wide) x.score = squash(x.score);
  // `matched` of the k returned: exact hits, then the items by word
  // overlap, then the vector hits.
  for (std::size_t r = 0; r < wide->size() && r < k && !qwords_.empty(); ++r) {
    Routed& x = (*wide)[r];
    found_.clear();
    for (std::uint32_t j = own_off_[x.feature]; j < own_off_[x.feature + 1]; ++j) {
      const std::uint32_t item = own_[j];
      const double sum = item_hit_[item];
      if (sum == 0) continue;
      bool named = false;
      for (const Match& m : x.matched)
        named = named || (m.exact && item_names_[m.item] == item_names_[item]);
      if (named) continue;
      const double score =
          std::min(1.0, sum / std::sqrt(double(q) * std::max<double>(1, name_words_[item])));
      if (score >= kItemMin) found_.push_back({item, false, score});
    }
    if (found_.empty()) continue;
    // By score, then name, then the order of the feature's lists.
    std::sort(found_.begin(), found_.end(), [&](const Match& a, const Match& b) {
      if (a.score != b.score) return a.score > b.score;
      if (item_names_[a.item] != item_names_[b.item])
        return item_names_[a.item] < item_names_[b.item];
      return a.item < b.item;
    });
    std::vector<Match> merged;
    for (const Match& m : x.matched)
      if (m.exact) merged.push_back(m);
    merged.insert(merged.end(), found_.begin(), found_.end());
    for (const Match& m : x.matched)
      if (!m.exact) merged.push_back(m);
    if (merged.size() > kMatchedMax) merged.resize(kMatchedMax);
    x.matched = std::move(merged);
  }
  for (std::uint32_t item : item_touched_) (item_hit_[item] = 0, item_seen_[item] = 0);
  for (std::uint32_t word : qwords_) term_of_[word] = 0;
}

Status Router::embed(const char* text, std::size_t len, float* out) const {
  if (!embedder_) return fail(ELEX_E_INVALID_ARGUMENT, "the router is not built");
  return embedder_->embed(text, len, out);
}

Status Router::remember(const std::uint32_t* ids, const std::uint32_t* features,
                        const float* rewards, const std::string_view* texts, std::size_t n) {
  if (!embedder_) return fail(ELEX_E_INVALID_ARGUMENT, "the router is not built");
  if (n == 0) return ELEX_OK;
  if (ids == nullptr || features == nullptr || rewards == nullptr || texts == nullptr)
    return fail(ELEX_E_INVALID_ARGUMENT, "null input");
  for (std::size_t i = 0; i < n; ++i) {
    if (features[i] >= features_ || hosted_of_[features[i]] < 0)
      return fail(ELEX_E_INVALID_ARGUMENT, "question %zu: feature %u is not hosted here", i,
                  features[i]);
    if (!std::isfinite(rewards[i]) || rewards[i] == 0 || rewards[i] < -1 || rewards[i] > 1)
      return fail(ELEX_E_INVALID_ARGUMENT, "question %zu: reward must be in [-1, 1] and not 0", i);
    if (memory_.count(ids[i]) > 0 || (memory_index_ && memory_index_->contains(ids[i])))
      return fail(ELEX_E_INVALID_ARGUMENT, "question %zu: id %u is remembered already", i, ids[i]);
  }
  if (memory_index_ == nullptr) {
    hnsw::Params p;
    p.dim = embedder_->dim();
    p.metric = Metric::Cosine;
    p.M = 16;
    p.ef_construction = 64;
    if (Status st = hnsw::Index::create(p, &memory_index_); st != ELEX_OK) return st;
  }
  const std::size_t dim = embedder_->dim();
  std::vector<float> vecs(n * dim);
  for (std::size_t i = 0; i < n; ++i) {
    const std::string_view t = clip(texts[i]);
    if (Status st = embedder_->embed(t.data(), t.size(), &vecs[i * dim]); st != ELEX_OK) return st;
  }
  if (Status st = memory_index_->add(ids, vecs.data(), n, nullptr); st != ELEX_OK) return st;
  for (std::size_t i = 0; i < n; ++i) {
    memory_[ids[i]] = {std::uint32_t(hosted_of_[features[i]]), rewards[i]};
    memory_order_.push_back(ids[i]);
  }
  return ELEX_OK;
}

Status Router::forget(const std::uint32_t* ids, std::size_t n) {
  if (n == 0 || memory_index_ == nullptr) return ELEX_OK;
  if (ids == nullptr) return fail(ELEX_E_INVALID_ARGUMENT, "null ids");
  std::size_t removed = 0;
  if (Status st = memory_index_->remove(ids, n, &removed); st != ELEX_OK) return st;
  for (std::size_t i = 0; i < n; ++i) memory_.erase(ids[i]);
  if (memory_order_.size() > 2 * memory_.size() + 256) {
    std::deque<std::uint32_t> kept;
    for (const std::uint32_t id : memory_order_)
      if (memory_.count(id) > 0) kept.push_back(id);
    memory_order_.swap(kept);
  }
  // A removed question stays in the index as a node: once they outnumber the
  // kept ones, the index is rebuilt of the kept ones (amortised: at most one
  // rebuild per as many forgets as there are kept questions, and 256).
  const hnsw::Stats st = memory_index_->stats();
  if (st.nodes - st.live > std::max<std::uint64_t>(st.live, 256)) {
    hnsw::Index* fresh = nullptr;
    if (memory_index_->compacted(&fresh) == ELEX_OK) {  // else it stays as it is (still correct)
      delete memory_index_;
      memory_index_ = fresh;
    }
  }
  return ELEX_OK;
}

Status Router::trim_memory(std::size_t max_bytes, std::vector<std::uint32_t>* forgotten,
                           std::size_t host_bytes) {
  const auto held = [&] { return memory_bytes() + memory_.size() * host_bytes; };
  // Each round keeps the newest questions whose rebuilt index and records,
  // with room for kTrimRoom more, fit; a rebuilt index may hold a little
  // more than bytes_for() says (levels are drawn at random), hence the rounds.
  for (int round = 0; round < 4 && held() > max_bytes && memory_index_ != nullptr; ++round) {
    const std::size_t live = memory_.size();
    const auto need = [&](std::size_t keep) {
      const std::size_t slots = keep + keep / kTrimRoom;
      return keep == 0 ? 0
                       : memory_index_->bytes_for(slots) + slots * (kMemoRecordBytes + host_bytes);
    };
    std::size_t lo = 0, hi = round < 3 ? live : 0;  // the last round forgets all
    if (round > 0 && hi > 0) hi = live - 1;         // (a round that kept all did not fit)
    while (lo < hi) {                               // the most that fit: need() grows with keep
      const std::size_t mid = lo + (hi - lo + 1) / 2;
      if (need(mid) <= max_bytes)
        lo = mid;
      else
        hi = mid - 1;
    }
    const std::size_t keep = lo;
    std::vector<std::uint32_t> drop;
    drop.reserve(live - keep);
    while (drop.size() < live - keep && !memory_order_.empty()) {
      const std::uint32_t id = memory_order_.front();
      memory_order_.pop_front();
      if (memory_.erase(id) > 0) drop.push_back(id);
    }
    if (forgotten != nullptr) forgotten->insert(forgotten->end(), drop.begin(), drop.end());
    if (memory_.empty()) {
      delete memory_index_;
      memory_index_ = nullptr;
      memory_order_.clear();
      break;
    }
    std::size_t removed = 0;
    if (Status st = memory_index_->remove(drop.data(), drop.size(), &removed); st != ELEX_OK)
      return st;
    hnsw::Index* fresh = nullptr;
    if (Status st = memory_index_->compacted(&fresh); st != ELEX_OK) return st;
    if (Status st = fresh->reserve_items(keep + keep / kTrimRoom); st != ELEX_OK) {
      delete fresh;
      return st;
    }
    delete memory_index_;
    memory_index_ = fresh;
  }
  return ELEX_OK;
}

std::size_t Router::memory_bytes() const {
  if (memory_index_ == nullptr) return 0;
  return memory_index_->stats().bytes + memory_.size() * 32 + memory_order_.size() * 4;
}

std::size_t Router::bytes() const {
  std::size_t b =
      sizeof(*this) + lexical_.bytes() + (embedder_ ? embedder_->bytes() : 0) +
      profiles_.capacity() * sizeof(float) + item_names_.bytes() + feature_names_.bytes() +
      (profile_off_.capacity() + profile_rows_.capacity() + profile_vals_.capacity()) * 4;
  b += (item_word_off_.capacity() + item_words_.capacity() + own_off_.capacity() + own_.capacity() +
        term_of_.capacity() + word_item_off_.capacity() + word_items_.capacity()) *
           4 +
       name_words_.capacity() * 2 + item_hit_.capacity() * 9;
  for (const KeyLists* map : {&ids_, &acronyms_, &phrase_heads_})
    b += map->keys.bytes() + map->lists.bytes();
  b += phrases_.bytes() + (phrase_item_.capacity() + phrase_other_.capacity()) * 4;
  b += words_.bytes();
  b += item_hosted_.capacity() * 4 + item_hosted_off_.capacity() * 4 + item_share_.capacity() * 4;
  b += hosted_of_.capacity() * 4 + hosted_ids_.capacity() * 4;
  b += (vec_.capacity() * 5) * sizeof(double) + stamp_.capacity() * 8 + sims_.capacity() * 4;
  return b + memory_bytes();
}

}  // namespace elex::router
