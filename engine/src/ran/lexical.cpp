// Lexical retrieval for routing (lexical.h).
#include "elex/ran/lexical.h"

#include <algorithm>
#include <cmath>

#include "elex/ran/embed.h"

namespace elex::lexical {

bool answer_word(std::string_view w) {
  for (const std::string_view a : kAnswerWords)
    if (w == a) return true;
  return false;
}

std::size_t Index::side_at(std::uint32_t s, const std::vector<std::string>& hay) const {
  const std::size_t first = syn_off_[s], n = syn_off_[s + 1] - first;
  if (n == 0 || n > hay.size()) return kNowhere;
  for (std::size_t i = 0; i + n <= hay.size(); ++i) {
    std::size_t j = 0;
    while (j < n && hay[i + j] == syn_tokens_[first + j]) ++j;
    if (j == n) return i;
  }
  return kNowhere;
}

Status Index::add(std::uint32_t doc, std::uint32_t field, const char* text, std::size_t len) {
  // add_tokens() checks the index, field and document.
  if (text == nullptr && len > 0) return fail(ELEX_E_INVALID_ARGUMENT, "null text");
  if (len > embed::kMaxTextBytes)
    return fail(ELEX_E_INVALID_ARGUMENT, "text of %zu bytes is over the %zu-byte limit", len,
                embed::kMaxTextBytes);
  std::vector<std::string> tokens;
  embed::tokenize(text, len, &tokens);
  return add_tokens(doc, field, tokens);
}

Status Index::check_add(std::uint32_t doc, std::uint32_t field) const {
  if (finished_)
    return fail(ELEX_E_INVALID_ARGUMENT, "the lexical index is finished; add before finish()");
  if (field >= kFieldCount)
    return fail(ELEX_E_INVALID_ARGUMENT, "field %u is not one of 0..%u", field, kFieldCount - 1);
  if (doc >= kMaxDocuments)
    return fail(ELEX_E_INVALID_ARGUMENT, "document %u is over the limit of %u", doc, kMaxDocuments);
  return ELEX_OK;
}

Status Index::add_tokens(std::uint32_t doc, std::uint32_t field,
                         const std::vector<std::string>& tokens) {
  // Checked before interning: a refused add leaves the vocabulary alone.
  if (Status st = check_add(doc, field); st != ELEX_OK) return st;
  ids_.clear();
  intern(tokens, &ids_);
  return add_terms(doc, field, ids_.data(), ids_.size());
}

void Index::intern(const std::vector<std::string>& tokens, std::vector<std::uint32_t>* ids) {
  for (const std::string& t : tokens) ids->push_back(vocab_.insert(t).first);
}

std::uint32_t Index::intern(std::string_view token) { return vocab_.insert(token).first; }

Status Index::add_terms(std::uint32_t doc, std::uint32_t field, const std::uint32_t* ids,
                        std::size_t n) {
  if (Status st = check_add(doc, field); st != ELEX_OK) return st;
  for (std::size_t i = 0; i < n; ++i)
    if (ids[i] >= vocab_.size())
      return fail(ELEX_E_INVALID_ARGUMENT, "term %u is not one intern() gave", ids[i]);
  if (doc >= docs_) {
    docs_ = doc + 1;
    len_.resize(std::size_t(docs_) * kFieldCount, 0.0f);
  }
  len_[std::size_t(doc) * kFieldCount + field] += float(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t id = ids[i];
    if (id >= last_.size()) last_.resize(id + 1, 0);
    if (last_[id] != 0) {
      Posting& p = postings_[last_[id] - 1];
      if (p.doc == doc && p.field == field && p.tf < 0xffff) {
        ++p.tf;
        continue;
      }
    }
    postings_.push_back({doc, std::uint16_t(field), 1});
    post_term_.push_back(id);
    last_[id] = std::uint32_t(postings_.size());
  }
  return ELEX_OK;
}

Status Index::add_synonym(const char* term, std::size_t term_len, const char* expansion,
                          std::size_t expansion_len) {
  if ((term == nullptr && term_len > 0) || (expansion == nullptr && expansion_len > 0))
    return fail(ELEX_E_INVALID_ARGUMENT, "null glossary text");
  // The catalog check allows 256 characters a side; UTF-8 needs up to 4 bytes each.
  if (term_len > kMaxGlossaryBytes || expansion_len > kMaxGlossaryBytes)
    return fail(ELEX_E_INVALID_ARGUMENT, "a glossary entry's sides are at most %zu bytes",
                kMaxGlossaryBytes);
  if (synonyms() >= kMaxSynonyms)
    return fail(ELEX_E_INVALID_ARGUMENT, "the glossary holds at most %u entries", kMaxSynonyms);
  std::vector<std::string> a, b;
  embed::tokenize(term, term_len, &a);
  embed::tokenize(expansion, expansion_len, &b);
  // A side that tokenises to nothing (only stop words) cannot match: skip it quietly.
  if (a.empty() || b.empty() || a == b) return ELEX_OK;
  for (const auto* side : {&a, &b}) {
    for (const std::string& t : *side) syn_tokens_.add(t);
    syn_off_.push_back(std::uint32_t(syn_tokens_.size()));
  }
  return ELEX_OK;
}

Status Index::finish() {
  if (finished_) return ELEX_OK;
  // Postings by term (a stable counting sort: each term's in the order
  // added); a term's documents added out of order are sorted by document
  // (stable, so a document's postings keep their order).
  const std::size_t T = vocab_.size();
  post_off_.assign(T + 1, 0);
  for (std::uint32_t t : post_term_) ++post_off_[t + 1];
  for (std::size_t t = 0; t < T; ++t) post_off_[t + 1] += post_off_[t];
  {
    std::vector<Posting> by_term(postings_.size());
    std::vector<std::uint32_t> fill(post_off_.begin(), post_off_.end() - 1);
    for (std::size_t i = 0; i < postings_.size(); ++i)
      by_term[fill[post_term_[i]]++] = postings_[i];
    postings_.swap(by_term);
  }
  post_term_ = {};
  last_ = {};
  const auto by_doc = [](const Posting& x, const Posting& y) { return x.doc < y.doc; };
  for (std::size_t t = 0; t < T; ++t) {
    Posting* first = postings_.data() + post_off_[t];
    Posting* last = postings_.data() + post_off_[t + 1];
    if (!std::is_sorted(first, last, by_doc)) std::stable_sort(first, last, by_doc);
  }
  idf_.assign(T, 0.0f);
  len_.resize(std::size_t(docs_) * kFieldCount, 0.0f);
  float avg_len[kFieldCount];
  for (std::uint32_t f = 0; f < kFieldCount; ++f) {
    double sum = 0;
    for (std::uint32_t d = 0; d < docs_; ++d) sum += len_[std::size_t(d) * kFieldCount + f];
    avg_len[f] = docs_ > 0 ? float(sum / docs_) : 0.0f;
  }
  const double n = docs_;
  for (std::size_t t = 0; t < T; ++t) {
    std::uint32_t df = 0, last = ~0u;
    for (std::uint32_t x = post_off_[t]; x < post_off_[t + 1]; ++x)
      if (postings_[x].doc != last) ++df, last = postings_[x].doc;
    idf_[t] = float(std::log(1.0 + (n - df + 0.5) / (df + 0.5)));
  }
  scored_.resize(postings_.size());
  for (std::size_t x = 0; x < postings_.size(); ++x) {
    const Posting& p = postings_[x];
    const float avg = avg_len[p.field];
    const float norm =
        1.0f - kFieldB[p.field] +
        (avg > 0 ? kFieldB[p.field] * len_[std::size_t(p.doc) * kFieldCount + p.field] / avg
                 : 0.0f);
    scored_[x] = {p.doc, kFieldWeight[p.field] * float(p.tf) / norm};
  }
  postings_ = {};
  len_ = {};
  finished_ = true;
  abbreviations();
  ready();
  return ELEX_OK;
}

void Index::abbreviations() {
  std::vector<std::uint32_t> by[26];
  for (std::uint32_t id = 0; id < vocab_.size(); ++id) {
    const std::string_view token = vocab_[id];
    // Consonants after the first letter: a vowel-less abbreviation ("mac",
    // "sec" are words of their own, and "matches" is not about MAC).
    bool ok = token.size() >= 3 && token.size() <= 5 && token[0] >= 'a' && token[0] <= 'z';
    for (std::size_t i = 1; i < token.size(); ++i) {
      const char c = token[i];
      ok = ok && c >= 'a' && c <= 'z' && c != 'a' && c != 'e' && c != 'i' && c != 'o' && c != 'u';
    }
    if (ok) by[std::size_t(token[0] - 'a')].push_back(id);
  }
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs;
  for (std::uint32_t c = 0; c < 26; ++c) {
    std::sort(by[c].begin(), by[c].end(),
              [&](std::uint32_t a, std::uint32_t b) { return vocab_[a] < vocab_[b]; });
    for (std::uint32_t id : by[c]) pairs.emplace_back(c, id);
  }
  short_.assign(26, pairs);
}

void Index::ready() {
  // Glossary sides by their first token.
  syn_first_.clear();
  std::vector<std::pair<std::uint32_t, std::uint32_t>> firsts;
  for (std::uint32_t side = 0; side + 1 < syn_off_.size(); ++side)
    if (syn_off_[side] < syn_off_[side + 1])
      firsts.emplace_back(syn_first_.insert(syn_tokens_[syn_off_[side]]).first, side);
  syn_sides_.assign(syn_first_.size(), firsts);
  // Words of letters by first letter and length, for typos().
  std::vector<std::pair<std::uint32_t, std::uint32_t>> by_shape;
  for (std::uint32_t id = 0; id < vocab_.size(); ++id) {
    const std::string_view v = vocab_[id];
    bool letters = v.size() >= 4;
    for (std::size_t i = 0; letters && i < v.size(); ++i) letters = v[i] >= 'a' && v[i] <= 'z';
    if (letters)
      by_shape.emplace_back(
          std::uint32_t(26 * std::min(v.size(), kTypoLengths - 1) + std::size_t(v[0] - 'a')), id);
  }
  typo_.assign(26 * kTypoLengths, by_shape);
  // Per short word (as short_ lists them): the letters after its first, a
  // bit each ('a' = bit 0; anything else bit 26, which no question word has).
  short_letters_.assign(short_.values.size(), 0);
  for (std::size_t x = 0; x < short_.values.size(); ++x) {
    const std::string_view a = vocab_[short_.values[x]];
    for (std::size_t i = 1; i < a.size(); ++i)
      short_letters_[x] |= a[i] >= 'a' && a[i] <= 'z' ? 1u << (a[i] - 'a') : 1u << 26;
  }
  // Each term's postings with one entry per document: a document's
  // postings (adjacent: sorted by document) summed in their order, as
  // search() summed them (from 0, in float), so the scores are the same
  // bits with one pass and no accumulator per document. (A loaded index
  // has them already: the state keeps them, not the postings.)
  score_.assign(docs_, 0.0f);
  touched_.clear();
  touched_.reserve(docs_);
  if (!doc_off_.empty()) return;
  const std::size_t T = post_off_.size() - 1;
  doc_off_.assign(T + 1, 0);
  doc_tf_.clear();
  doc_tf_.reserve(scored_.size());
  for (std::size_t t = 0; t < T; ++t) {
    doc_off_[t] = std::uint32_t(doc_tf_.size());
    for (std::uint32_t x = post_off_[t]; x < post_off_[t + 1]; ++x) {
      const Scored& p = scored_[x];
      if (x > post_off_[t] && scored_[x - 1].doc == p.doc)
        doc_tf_.back().tf += p.tf;
      else
        doc_tf_.push_back({p.doc, 0.0f + p.tf});
    }
  }
  doc_off_[T] = std::uint32_t(doc_tf_.size());
  doc_tf_.shrink_to_fit();
}

void Index::save(serial::Writer& w) const {
  w.pod<std::uint32_t>(docs_);
  vocab_.save(w);
  w.vec(doc_off_);
  w.vec(doc_tf_);
  w.vec(idf_);
  syn_tokens_.save(w);
  w.vec(syn_off_);
  short_.save(w);
}

bool Index::load(serial::Reader& r) {
  docs_ = r.pod<std::uint32_t>();
  if (!r.ok() || docs_ > kMaxDocuments || !vocab_.load(r)) return false;
  const std::size_t T = vocab_.size();
  // The postings merged per document (what ready() makes of them).
  post_off_ = {};
  scored_ = {};
  r.vec(doc_off_);
  r.vec(doc_tf_);
  if (!r.ok() || doc_off_.size() != T + 1 || doc_off_[0] != 0 || doc_off_[T] != doc_tf_.size())
    return false;
  for (std::size_t t = 0; t < T; ++t)
    if (doc_off_[t] > doc_off_[t + 1]) return false;
  for (const Scored& p : doc_tf_)
    if (p.doc >= docs_) return false;
  r.vec(idf_);
  if (!syn_tokens_.load(r)) return false;
  r.vec(syn_off_);
  if (!short_.load(r, 26, T)) return false;
  if (!r.ok() || idf_.size() != T || syn_off_.empty() || syn_off_.size() % 2 != 1 ||
      syn_off_.size() / 2 > kMaxSynonyms || syn_off_[0] != 0 ||
      syn_off_.back() != syn_tokens_.size())
    return false;
  for (std::size_t i = 1; i < syn_off_.size(); ++i)
    if (syn_off_[i - 1] > syn_off_[i]) return false;
  finished_ = true;
  ready();
  return true;
}

void Index::query_terms(const char* text, std::size_t len,
                        std::vector<std::pair<std::string, float>>* out) const {
  std::vector<std::string> tokens;
  embed::tokenize(text, len, &tokens);
  query_terms(tokens, out);
}

void Index::query_terms(const std::vector<std::string>& tokens,
                        std::vector<std::pair<std::string, float>>* out) const {
  out->clear();
  // Each term's question tokens (from_), for the answer words' weight below;
  // `from` is those of the terms put() adds now.
  std::vector<std::uint64_t>& from_tokens = from_;
  from_tokens.clear();
  std::uint64_t from = 0;
  const auto bit = [](std::size_t i) { return i < 64 ? std::uint64_t(1) << i : 0; };
  const auto put = [&](std::string_view t, float w) {
    for (std::size_t x = 0; x < out->size(); ++x)
      if ((*out)[x].first == t) {
        (*out)[x].second = std::max((*out)[x].second, w);
        from_tokens[x] |= from;
        return;
      }
    out->emplace_back(t, w);
    from_tokens.push_back(from);
  };
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    from = bit(i);
    put(tokens[i], 1.0f);
  }
  // Words the catalog writes otherwise: a question word the index does not
  // know that splits into two words it does ("macsec" for macSecProfile's
  // mac, sec), and two question words whose concatenation it knows ("rach
  // opt" for rachopt).
  const auto letters = [](const std::string& w) {
    for (char c : w)
      if (c < 'a' || c > 'z') return false;
    return !w.empty();
  };
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::string& t = tokens[i];
    from = bit(i);
    if (t.size() >= 5 && letters(t) && !known(t)) {
      std::size_t best = 0;
      for (std::size_t cut = 2; cut + 2 <= t.size(); ++cut)
        if (known(std::string_view(t).substr(0, cut)) && known(std::string_view(t).substr(cut)) &&
            (best == 0 || std::min(cut, t.size() - cut) > std::min(best, t.size() - best)))
          best = cut;
      if (best > 0) {
        put(t.substr(0, best), kRespellWeight);
        put(t.substr(best), kRespellWeight);
      }
    }
    // A typo: known words one edit away.
    if (t.size() >= 5 && letters(t) && !known(t))
      typos(t, [&](std::string_view v) { put(v, kTypoWeight); });
    // Identifier abbreviations that are prefixes of the question's word
    // ("sched" for scheduling, "util" for utilization, "reest" for
    // reestablishment): the longest known prefix of 3+ letters.
    if (t.size() >= 6 && letters(t)) {
      for (std::size_t cut = t.size() - 2; cut >= 3; --cut)
        if (known(std::string_view(t).substr(0, cut))) {
          put(t.substr(0, cut), kPrefixWeight);
          break;
        }
    }
    // Identifier abbreviations that keep the word's first letter and some of
    // its consonants in order ("hdr" for header, "pwr" for power, "ctrl" for
    // control): known vowel-less short words that are a subsequence.
    if (t.size() >= 5 && letters(t)) {
      const std::size_t letter = std::size_t(t[0] - 'a');
      // Only a word whose letters after the first all occur in t after its
      // first can be such a subsequence: their masks (ready()) skip the rest.
      std::uint32_t have = 0;
      for (std::size_t x = 1; x < t.size(); ++x) have |= 1u << (t[x] - 'a');
      for (const std::uint32_t* id = short_.begin(letter); id != short_.end(letter); ++id) {
        if (short_letters_[std::size_t(id - short_.values.data())] & ~have) continue;
        const std::string_view a = vocab_[*id];
        if (a.size() >= t.size() || t.compare(0, a.size(), a) == 0) continue;
        std::size_t j = 1;
        for (std::size_t x = 1; x < t.size() && j < a.size(); ++x)
          if (t[x] == a[j]) ++j;
        if (j == a.size()) put(a, kSubsequenceWeight);
      }
    }
    if (i + 1 < tokens.size() && letters(t) && letters(tokens[i + 1])) {
      const std::string joined = t + tokens[i + 1];
      from = bit(i) | bit(i + 1);
      if (known(joined)) put(joined, kRespellWeight);
    }
  }
  // Glossary sides that occur in the question, in entry order (a term
  // side before its expansion): those starting with one of its tokens.
  std::vector<std::uint32_t>& sides = sides_;
  sides.clear();
  for (const std::string& t : tokens) {
    const std::uint32_t first = syn_first_.find(t);
    if (first != flat::StringIds::kNone)
      sides.insert(sides.end(), syn_sides_.begin(first), syn_sides_.end(first));
  }
  std::sort(sides.begin(), sides.end());
  sides.erase(std::unique(sides.begin(), sides.end()), sides.end());
  for (const std::uint32_t side : sides) {
    const std::size_t at = side_at(side, tokens);
    if (at == kNowhere) continue;
    from = 0;
    for (std::size_t i = at; i < at + (syn_off_[side + 1] - syn_off_[side]); ++i) from |= bit(i);
    const std::uint32_t other = side ^ 1u;
    for (std::uint32_t x = syn_off_[other]; x < syn_off_[other + 1]; ++x)
      put(syn_tokens_[x], kExpansionWeight);
  }
  // The answer words, and the terms that come from them alone.
  std::uint64_t answer = 0;
  for (std::size_t i = 0; i < tokens.size() && i < 64; ++i)
    if (answer_word(tokens[i])) answer |= bit(i);
  if (answer != 0)
    for (std::size_t x = 0; x < out->size(); ++x)
      if (from_tokens[x] != 0 && (from_tokens[x] & ~answer) == 0)
        (*out)[x].second *= kAnswerWordWeight;
}

namespace {

/// Whether `a` becomes `b` by one edit: a letter dropped, added or changed,
/// or two neighbours swapped.
bool one_edit(std::string_view a, std::string_view b) {
  if (a.size() > b.size()) std::swap(a, b);
  if (b.size() - a.size() > 1) return false;
  std::size_t i = 0;
  while (i < a.size() && a[i] == b[i]) ++i;
  if (a.size() < b.size()) return a.substr(i) == b.substr(i + 1);
  if (i == a.size()) return false;  // the same word
  if (a.substr(i + 1) == b.substr(i + 1)) return true;
  return i + 1 < a.size() && a[i] == b[i + 1] && a[i + 1] == b[i] &&
         a.substr(i + 2) == b.substr(i + 2);
}

}  // namespace

void Index::typos(const std::string& word, const std::function<void(std::string_view)>& put) const {
  // Typos rarely hit the first letter: the candidates share it and are
  // within one letter of the word's length.
  const std::size_t letter = std::size_t(word[0] - 'a');
  for (std::size_t n = word.size() - 1; n <= word.size() + 1 && n < kTypoLengths - 1; ++n)
    for (const std::uint32_t* id = typo_.begin(26 * n + letter); id != typo_.end(26 * n + letter);
         ++id)
      if (one_edit(word, vocab_[*id])) put(vocab_[*id]);
}

Status Index::search(const char* text, std::size_t len, std::uint32_t k,
                     std::vector<Hit>* out) const {
  if (out == nullptr) return fail(ELEX_E_INVALID_ARGUMENT, "null output");
  out->clear();
  if (!finished_) return fail(ELEX_E_INVALID_ARGUMENT, "the lexical index is not finished");
  if (text == nullptr && len > 0) return fail(ELEX_E_INVALID_ARGUMENT, "null text");
  if (len > embed::kMaxTextBytes)
    return fail(ELEX_E_INVALID_ARGUMENT, "text of %zu bytes is over the %zu-byte limit", len,
                embed::kMaxTextBytes);
  std::vector<std::string> tokens;
  embed::tokenize(text, len, &tokens);
  return search(tokens, k, out);
}

Status Index::search(const std::vector<std::string>& tokens, std::uint32_t k,
                     std::vector<Hit>* out) const {
  if (out == nullptr) return fail(ELEX_E_INVALID_ARGUMENT, "null output");
  out->clear();
  if (!finished_) return fail(ELEX_E_INVALID_ARGUMENT, "the lexical index is not finished");
  std::vector<std::pair<std::string, float>>& terms = terms_;
  query_terms(tokens, &terms);
  touched_.clear();
  for (const auto& [token, weight] : terms) {
    const std::uint32_t id = vocab_.find(token);
    if (id == flat::StringIds::kNone) continue;
    const float w = weight * idf_[id];
    // A term's tf per document (ready(): its postings summed per document).
    for (std::uint32_t x = doc_off_[id]; x < doc_off_[id + 1]; ++x) {
      const Scored& p = doc_tf_[x];
      // Every term adds more than 0 (weight, idf and tf are positive):
      // a document is listed the first time it scores.
      if (score_[p.doc] == 0.0f) touched_.push_back(p.doc);
      score_[p.doc] += w * p.tf / (kK1 + p.tf);
    }
  }
  for (const std::uint32_t d : touched_) {
    if (score_[d] > 0.0f) out->push_back({d, score_[d]});
    score_[d] = 0.0f;
  }
  const auto better = [](const Hit& x, const Hit& y) {
    return x.score != y.score ? x.score > y.score : x.doc < y.doc;
  };
  if (out->size() > k) {
    std::partial_sort(out->begin(), out->begin() + std::ptrdiff_t(k), out->end(), better);
    out->resize(k);
  } else {
    std::sort(out->begin(), out->end(), better);
  }
  return ELEX_OK;
}

std::size_t Index::bytes() const {
  std::size_t b = sizeof(*this) + vocab_.bytes() + postings_.capacity() * sizeof(Posting) +
                  scored_.capacity() * sizeof(Scored) +
                  (post_off_.capacity() + post_term_.capacity() + last_.capacity()) * 4;
  b += idf_.capacity() * sizeof(float) + len_.capacity() * sizeof(float);
  b += score_.capacity() * sizeof(float) + touched_.capacity() * 4 + from_.capacity() * 8;
  b +=
      doc_off_.capacity() * 4 + doc_tf_.capacity() * sizeof(Scored) + short_letters_.capacity() * 4;
  b += syn_tokens_.bytes() + syn_off_.capacity() * 4 + syn_first_.bytes() + syn_sides_.bytes();
  b += short_.bytes() + typo_.bytes();
  return b;
}

}  // namespace elex::lexical
