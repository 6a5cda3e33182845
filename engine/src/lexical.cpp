// Lexical retrieval for routing (lexical.h).
#include "elex/lexical.h"

#include <algorithm>
#include <cmath>

#include "elex/embed.h"

namespace elex::lexical {

std::uint32_t Index::term_id(const std::string& token) {
  const auto [it, inserted] = vocab_.try_emplace(token, std::uint32_t(vocab_.size()));
  return it->second;
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

Status Index::add_tokens(std::uint32_t doc, std::uint32_t field,
                         const std::vector<std::string>& tokens) {
  if (finished_)
    return fail(ELEX_E_INVALID_ARGUMENT, "the lexical index is finished; add before finish()");
  if (field >= kFieldCount)
    return fail(ELEX_E_INVALID_ARGUMENT, "field %u is not one of 0..%u", field, kFieldCount - 1);
  if (doc >= kMaxDocuments)
    return fail(ELEX_E_INVALID_ARGUMENT, "document %u is over the limit of %u", doc, kMaxDocuments);
  if (doc >= docs_) {
    docs_ = doc + 1;
    len_.resize(std::size_t(docs_) * kFieldCount, 0.0f);
  }
  len_[std::size_t(doc) * kFieldCount + field] += float(tokens.size());
  for (const std::string& t : tokens) {
    const std::uint32_t id = term_id(t);
    if (id >= postings_.size()) postings_.resize(id + 1);
    std::vector<Posting>& list = postings_[id];
    if (!list.empty() && list.back().doc == doc && list.back().field == field &&
        list.back().tf < 0xffff)
      ++list.back().tf;
    else
      list.push_back({doc, std::uint16_t(field), 1});
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
  if (synonyms_.size() >= kMaxSynonyms)
    return fail(ELEX_E_INVALID_ARGUMENT, "the glossary holds at most %u entries", kMaxSynonyms);
  std::vector<std::string> a, b;
  embed::tokenize(term, term_len, &a);
  embed::tokenize(expansion, expansion_len, &b);
  // A side that tokenises to nothing (only stop words) cannot match: skip it quietly.
  if (!a.empty() && !b.empty() && a != b) {
    synonyms_.emplace_back(std::move(a), std::move(b));
    index_synonym(std::uint32_t(synonyms_.size() - 1));
  }
  return ELEX_OK;
}

void Index::index_synonym(std::uint32_t entry) {
  const auto& [a, b] = synonyms_[entry];
  sides_by_first_[a.front()].push_back(2 * entry);
  sides_by_first_[b.front()].push_back(2 * entry + 1);
}

Status Index::finish() {
  if (finished_) return ELEX_OK;
  // Documents added out of order: each list sorted by document (stable, so
  // a document's postings keep their order).
  for (std::vector<Posting>& list : postings_)
    if (!std::is_sorted(list.begin(), list.end(),
                        [](const Posting& x, const Posting& y) { return x.doc < y.doc; }))
      std::stable_sort(list.begin(), list.end(),
                       [](const Posting& x, const Posting& y) { return x.doc < y.doc; });
  idf_.assign(postings_.size(), 0.0f);
  len_.resize(std::size_t(docs_) * kFieldCount, 0.0f);
  for (std::uint32_t f = 0; f < kFieldCount; ++f) {
    double sum = 0;
    for (std::uint32_t d = 0; d < docs_; ++d) sum += len_[std::size_t(d) * kFieldCount + f];
    avg_len_[f] = docs_ > 0 ? float(sum / docs_) : 0.0f;
  }
  const double n = docs_;
  for (std::size_t t = 0; t < postings_.size(); ++t) {
    std::uint32_t df = 0, last = ~0u;
    for (const Posting& p : postings_[t])
      if (p.doc != last) ++df, last = p.doc;
    idf_[t] = float(std::log(1.0 + (n - df + 0.5) / (df + 0.5)));
  }
  finished_ = true;
  ready();
  return ELEX_OK;
}

void Index::ready() {
  for (auto& v : short_) v.clear();
  for (const auto& [token, id] : vocab_) {
    // Consonants after the first letter: a vowel-less abbreviation ("mac",
    // "sec" are words of their own, and "matches" is not about MAC).
    bool ok = token.size() >= 3 && token.size() <= 5 && token[0] >= 'a' && token[0] <= 'z';
    for (std::size_t i = 1; i < token.size(); ++i) {
      const char c = token[i];
      ok = ok && c >= 'a' && c <= 'z' && c != 'a' && c != 'e' && c != 'i' && c != 'o' && c != 'u';
    }
    if (ok) short_[std::size_t(token[0] - 'a')].push_back(token);
  }
  for (auto& v : short_) std::sort(v.begin(), v.end());
  acc_.assign(docs_, 0.0f);
  score_.assign(docs_, 0.0f);
  touched_.clear();
  touched_.reserve(docs_);
}

void Index::save(serial::Writer& w) const {
  w.pod<std::uint32_t>(docs_);
  std::vector<std::string> words(vocab_.size());
  for (const auto& [token, id] : vocab_) words[id] = token;
  w.strs(words);
  for (const std::vector<Posting>& list : postings_) w.vec(list);
  w.vec(idf_);
  w.vec(len_);
  w.raw(avg_len_, sizeof avg_len_);
  w.pod<std::uint64_t>(synonyms_.size());
  for (const auto& [a, b] : synonyms_) {
    w.strs(a);
    w.strs(b);
  }
}

bool Index::load(serial::Reader& r) {
  docs_ = r.pod<std::uint32_t>();
  std::vector<std::string> words;
  r.strs(words);
  if (!r.ok() || docs_ > kMaxDocuments) return false;
  vocab_.clear();
  vocab_.reserve(words.size());
  for (std::uint32_t id = 0; id < words.size(); ++id)
    if (!vocab_.emplace(std::move(words[id]), id).second) return false;  // a word twice
  postings_.assign(vocab_.size(), {});
  for (std::vector<Posting>& list : postings_) {
    r.vec(list);
    for (const Posting& p : list)
      if (p.doc >= docs_ || p.field >= kFieldCount) return false;
  }
  r.vec(idf_);
  r.vec(len_);
  r.raw(avg_len_, sizeof avg_len_);
  const std::size_t n = r.count(kMaxSynonyms);
  synonyms_.assign(n, {});
  sides_by_first_.clear();
  for (auto& [a, b] : synonyms_) {
    r.strs(a);
    r.strs(b);
    if (a.empty() || b.empty()) return false;
  }
  for (std::uint32_t e = 0; e < synonyms_.size(); ++e) index_synonym(e);
  if (!r.ok() || idf_.size() != postings_.size() || len_.size() != std::size_t(docs_) * kFieldCount)
    return false;
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
  const auto put = [&](const std::string& t, float w) {
    for (auto& [s, sw] : *out)
      if (s == t) {
        sw = std::max(sw, w);
        return;
      }
    out->emplace_back(t, w);
  };
  for (const std::string& t : tokens) put(t, 1.0f);
  // Words the catalog writes otherwise: a question word the index does not
  // know that splits into two words it does ("macsec" for macSecProfile's
  // mac, sec), and two question words whose concatenation it knows ("rach
  // opt" for rachopt).
  const auto known = [&](const std::string& w) { return vocab_.count(w) > 0; };
  const auto letters = [](const std::string& w) {
    for (char c : w)
      if (c < 'a' || c > 'z') return false;
    return !w.empty();
  };
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::string& t = tokens[i];
    if (t.size() >= 5 && letters(t) && !known(t)) {
      std::size_t best = 0;
      for (std::size_t cut = 2; cut + 2 <= t.size(); ++cut)
        if (known(t.substr(0, cut)) && known(t.substr(cut)) &&
            (best == 0 || std::min(cut, t.size() - cut) > std::min(best, t.size() - best)))
          best = cut;
      if (best > 0) {
        put(t.substr(0, best), kRespellWeight);
        put(t.substr(best), kRespellWeight);
      }
    }
    // Identifier abbreviations that are prefixes of the question's word
    // ("sched" for scheduling, "util" for utilization, "reest" for
    // reestablishment): the longest known prefix of 3+ letters.
    if (t.size() >= 6 && letters(t)) {
      for (std::size_t cut = t.size() - 2; cut >= 3; --cut)
        if (known(t.substr(0, cut))) {
          put(t.substr(0, cut), kPrefixWeight);
          break;
        }
    }
    // Identifier abbreviations that keep the word's first letter and some of
    // its consonants in order ("hdr" for header, "pwr" for power, "ctrl" for
    // control): known vowel-less short words that are a subsequence.
    if (t.size() >= 5 && letters(t)) {
      for (const std::string& a : short_[std::size_t(t[0] - 'a')]) {
        if (a.size() >= t.size() || t.compare(0, a.size(), a) == 0) continue;
        std::size_t j = 1;
        for (std::size_t x = 1; x < t.size() && j < a.size(); ++x)
          if (t[x] == a[j]) ++j;
        if (j == a.size()) put(a, kSubsequenceWeight);
      }
    }
    if (i + 1 < tokens.size() && letters(t) && letters(tokens[i + 1])) {
      const std::string joined = t + tokens[i + 1];
      if (known(joined)) put(joined, kRespellWeight);
    }
  }
  // Glossary sides found in the question (each once), applied in entry
  // order: the term's side brings the expansion's words and the other way.
  std::vector<std::uint32_t>& found = sides_;
  found.clear();
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const auto it = sides_by_first_.find(tokens[i]);
    if (it == sides_by_first_.end()) continue;
    for (const std::uint32_t side : it->second) {
      const auto& entry = synonyms_[side / 2];
      const std::vector<std::string>& words = side % 2 ? entry.second : entry.first;
      if (words.size() <= tokens.size() - i &&
          std::equal(words.begin(), words.end(), tokens.begin() + std::ptrdiff_t(i)))
        found.push_back(side);
    }
  }
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  for (const std::uint32_t side : found) {
    const auto& entry = synonyms_[side / 2];
    for (const std::string& t : side % 2 ? entry.first : entry.second) put(t, kExpansionWeight);
  }
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
    const auto it = vocab_.find(token);
    if (it == vocab_.end()) continue;
    const std::vector<Posting>& list = postings_[it->second];
    const std::size_t first = touched_.size();
    for (const Posting& p : list) {
      const float avg = avg_len_[p.field];
      const float norm =
          1.0f - kFieldB[p.field] +
          (avg > 0 ? kFieldB[p.field] * len_[std::size_t(p.doc) * kFieldCount + p.field] / avg
                   : 0.0f);
      if (acc_[p.doc] == 0.0f) touched_.push_back(p.doc);
      acc_[p.doc] += kFieldWeight[p.field] * float(p.tf) / norm;
    }
    const float w = weight * idf_[it->second];
    for (std::size_t i = first; i < touched_.size(); ++i) {
      const std::uint32_t d = touched_[i];
      const float tf = acc_[d];
      acc_[d] = 0.0f;
      score_[d] += w * tf / (kK1 + tf);
    }
  }
  // touched_ may list a document once per term: collect each once.
  for (const std::uint32_t d : touched_) {
    if (score_[d] <= 0.0f) continue;
    out->push_back({d, score_[d]});
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
  std::size_t b = sizeof(*this);
  for (const auto& list : postings_) b += sizeof(list) + list.capacity() * sizeof(Posting);
  for (const auto& [token, id] : vocab_) b += token.capacity() + sizeof(id) + 32;
  b += idf_.capacity() * sizeof(float) + len_.capacity() * sizeof(float);
  b += (acc_.capacity() + score_.capacity()) * sizeof(float) + touched_.capacity() * 4;
  for (const auto& [a, s] : synonyms_) {
    for (const auto& t : a) b += t.capacity() + sizeof(t);
    for (const auto& t : s) b += t.capacity() + sizeof(t);
  }
  for (const auto& [token, sides] : sides_by_first_)
    b += token.capacity() + sides.capacity() * 4 + sizeof(sides) + 32;
  return b;
}

}  // namespace elex::lexical
