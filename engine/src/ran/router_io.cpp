// Router::save / Router::load: a built router's tables in one container, so a
// worker that has routed a catalog before skips build() (ts/host/ran-host.ts keeps
// the bytes in the learned-state store, keyed by the catalog, the glossary,
// the weights and the worker's share).
//
// Container kind RouterState, sections:
//   META  u32 kStateVersion, u32 features, u32 hosted, u32 dim
//   BODY  the tables in the order save() writes them (serial.h encoding):
//         flat arrays (flat.h), so a load is mostly copies; the hash slots
//         of the string tables are rebuilt (one pass over their keys).
//         Kept smaller than the tables in memory (the state is read from
//         storage at every start; reading, checksumming and copying it
//         cost by the byte): the profiles as a bitmap of their non-zero
//         entries and those entries (they are mostly zeros; the load makes
//         the by-dimension lists from the bitmap, in its order); the item
//         words as u16 when the word ids fit in 15 bits, and their strings
//         as lexical term ids where they are terms (most are); the lexical
//         index's postings merged per document (what it searches), not as
//         added. The exact identifier keys (codes, lower-cased parameter and
//         counter names and their part after the last '.') are not kept:
//         the load makes them from the item names (id_keys(), as build()
//         does). The hosted features' technologies are kept (a load does not
//         derive them again from every item name), and the features' names
//         beside the items' names (the worker reads both through
//         elex_router_items).
// The reader checks every index against the table it points into before the
// router is used (here and in consistent()), so a payload that passed the CRC
// but does not hold together is CORRUPT_DATA, never a read out of bounds.
// Version 1 (kStateVersion 1) kept node-based hash maps; versions before 7
// kept these tables whole; versions before 9 did not keep the technologies (before 15, the link
// directions);
// versions before 11 did not keep the features' names (a worker that loads
// a state names its results from it, before it has parsed the catalog);
// versions before 12 kept the exact keys, the item words' strings and the
// postings as added (3.8 / 4.9 MB for the facts / default catalog on one
// worker, now 2.6 / 3.3 MB); they are refused (UNSUPPORTED_VERSION) and
// rebuilt.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "elex/core/format.h"
#include "elex/core/serial.h"
#include "elex/ran/router.h"

namespace elex::router {

namespace {

static_assert(sizeof(Weights) == 7 * sizeof(double), "Weights is seven doubles");

/// A CSR offsets array: n + 1 entries, not decreasing, ending at `size`.
bool csr(const std::vector<std::uint32_t>& off, std::size_t n, std::size_t size) {
  if (off.size() != n + 1 || off[0] != 0 || off[n] != size) return false;
  for (std::size_t i = 0; i < n; ++i)
    if (off[i] > off[i + 1]) return false;
  return true;
}

bool below(const std::vector<std::uint32_t>& v, std::size_t n) {
  for (std::uint32_t x : v)
    if (x >= n) return false;
  return true;
}

/// Floats as a bitmap of the non-zero ones (by bit pattern: −0 is kept) and
/// those values in order.
void save_sparse(serial::Writer& w, const std::vector<float>& v) {
  std::vector<std::uint64_t> bits((v.size() + 63) / 64, 0);
  std::vector<float> values;
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::uint32_t b;
    std::memcpy(&b, &v[i], 4);
    if (b != 0) (bits[i / 64] |= std::uint64_t(1) << (i % 64), values.push_back(v[i]));
  }
  w.pod<std::uint64_t>(v.size());
  w.vec(bits);
  w.vec(values);
}

/// False unless the bitmap covers exactly `n` floats and has a bit per value.
/// The floats are `columns` columns of `n / columns` rows (a multiple):
/// their entries that are not ±0 by column go to off / rows / vals (CSR),
/// as Router::profile_columns() makes them from the floats.
bool load_sparse(serial::Reader& r, std::vector<float>& v, std::size_t columns,
                 std::vector<std::uint32_t>& off, std::vector<std::uint32_t>& rows,
                 std::vector<float>& vals) {
  const auto n = r.pod<std::uint64_t>();
  std::vector<std::uint64_t> bits;
  std::vector<float> values;
  r.vec(bits);
  r.vec(values);
  if (!r.ok() || bits.size() != (n + 63) / 64 || columns == 0 || n % columns != 0) return false;
  std::size_t set = 0;
  for (std::uint64_t b : bits) set += std::size_t(__builtin_popcountll(b));
  if (set != values.size() || (n % 64 != 0 && (bits.back() >> (n % 64)) != 0)) return false;
  const std::size_t per = std::size_t(n) / columns;
  v.assign(std::size_t(n), 0.0f);
  off.assign(columns + 1, 0);
  rows.clear();
  vals.clear();
  rows.reserve(values.size());
  vals.reserve(values.size());
  std::size_t at = 0;
  for (std::size_t wi = 0; wi < bits.size(); ++wi)
    for (std::uint64_t b = bits[wi]; b != 0; b &= b - 1) {
      const std::size_t i = wi * 64 + std::size_t(__builtin_ctzll(b));
      const float x = values[at++];
      v[i] = x;
      if (x == 0.0f) continue;  // −0
      rows.push_back(std::uint32_t(i % per));
      vals.push_back(x);
      ++off[i / per + 1];
    }
  for (std::size_t c = 0; c < columns; ++c) off[c + 1] += off[c];
  return true;
}

/// Item word ids with their kHalf bit: as u16 (bit 15 for kHalf) when every
/// id fits in 15 bits, else as they are.
void save_words(serial::Writer& w, const std::vector<std::uint32_t>& v, std::size_t words,
                std::uint32_t half) {
  const bool narrow = words <= 0x8000;
  w.pod<std::uint8_t>(narrow ? 2 : 4);
  if (!narrow) return w.vec(v);
  std::vector<std::uint16_t> n(v.size());
  for (std::size_t i = 0; i < v.size(); ++i)
    n[i] = std::uint16_t((v[i] & ~half) | ((v[i] & half) ? 0x8000u : 0u));
  w.vec(n);
}

bool load_words(serial::Reader& r, std::vector<std::uint32_t>& v, std::uint32_t half) {
  const auto width = r.pod<std::uint8_t>();
  if (width == 4) return r.vec(v), r.ok();
  if (width != 2) return false;
  std::vector<std::uint16_t> n;
  r.vec(n);
  v.resize(n.size());
  for (std::size_t i = 0; i < n.size(); ++i)
    v[i] = std::uint32_t(n[i] & 0x7FFFu) | ((n[i] & 0x8000u) ? half : 0u);
  return r.ok();
}

/// The item words' strings: per word its lexical term id when it is one
/// (most are: the items' name words are lexical terms), else kNone and the
/// word among `other`, in order.
void save_word_table(serial::Writer& w, const flat::StringIds& words, const lexical::Index& lex) {
  std::vector<std::uint32_t> term(words.size());
  flat::Strings other;
  for (std::size_t i = 0; i < words.size(); ++i)
    if ((term[i] = lex.term(words[i])) == flat::StringIds::kNone) other.add(words[i]);
  w.vec(term);
  other.save(w);
}

/// False unless every term id is the lexical index's, `other` holds exactly
/// the words that are not, and no word comes twice.
bool load_word_table(serial::Reader& r, flat::StringIds& words, const lexical::Index& lex) {
  std::vector<std::uint32_t> term;
  flat::Strings other;
  r.vec(term);
  if (!r.ok() || !other.load(r)) return false;
  std::size_t chars = 0, others = 0;
  for (std::uint32_t t : term) {
    if (t == flat::StringIds::kNone) {
      if (others == other.size()) return false;
      chars += other[others++].size();
    } else if (t < lex.terms()) {
      chars += lex.term_text(t).size();
    } else {
      return false;
    }
  }
  if (others != other.size()) return false;
  words.clear();
  words.reserve(term.size(), chars);
  std::size_t next = 0;
  for (std::uint32_t t : term)
    if (!words.insert(t == flat::StringIds::kNone ? other[next++] : lex.term_text(t)).second)
      return false;
  return true;
}

constexpr std::uint32_t kMeta = format::tag("META");
constexpr std::uint32_t kBody = format::tag("BODY");

}  // namespace

Status Router::save(std::uint8_t** out, std::size_t* size) const {
  if (out == nullptr || size == nullptr) return fail(ELEX_E_INVALID_ARGUMENT, "null output");
  if (!embedder_) return fail(ELEX_E_INVALID_ARGUMENT, "the router is not built");
  serial::Writer w;
  w.reserve(bytes());
  w.pod(w_);
  w.pod<std::uint32_t>(features_);
  item_names_.save(w);
  feature_names_.save(w);
  w.vec(item_kinds_);
  w.vec(item_share_);
  w.vec(hosted_ids_);
  w.vec(hosted_of_);
  w.vec(item_hosted_off_);
  w.vec(item_hosted_);
  embedder_->save(w);
  save_sparse(w, profiles_);
  lexical_.save(w);
  acronyms_.keys.save(w);
  acronyms_.lists.save(w);
  phrases_.save(w);
  w.vec(phrase_item_);
  phrase_heads_.keys.save(w);
  phrase_heads_.lists.save(w);
  w.vec(phrase_other_);
  save_word_table(w, words_, lexical_);
  w.vec(item_word_off_);
  save_words(w, item_words_, words_.size(), kHalf);
  w.vec(name_words_);
  w.vec(own_off_);
  w.vec(own_);
  w.vec(tech_);
  w.vec(dir_);
  const std::uint32_t meta[4] = {kStateVersion, features_, std::uint32_t(hosted_ids_.size()),
                                 embedder_->dim()};
  const format::SectionIn sections[2] = {{kMeta, meta, sizeof meta},
                                         {kBody, w.bytes().data(), w.bytes().size()}};
  return format::write(format::ContainerKind::RouterState, sections, 2, out, size);
}

Status Router::load(const std::uint8_t* bytes, std::size_t size) {
  if (embedder_) return fail(ELEX_E_INVALID_ARGUMENT, "the router is built already");
  if (bytes == nullptr && size > 0) return fail(ELEX_E_INVALID_ARGUMENT, "null bytes");
  format::Reader c;
  if (Status st = c.open(bytes, size, format::ContainerKind::RouterState); st != ELEX_OK) return st;
  std::size_t meta_size = 0, body_size = 0;
  const std::uint8_t* meta = c.section(kMeta, &meta_size);
  const std::uint8_t* body = c.section(kBody, &body_size);
  if (meta == nullptr || meta_size != 16 || body == nullptr)
    return fail(ELEX_E_CORRUPT_DATA, "router state: META or BODY missing");
  std::uint32_t m[4];
  std::memcpy(m, meta, sizeof m);
  if (m[0] != kStateVersion)
    return fail(ELEX_E_UNSUPPORTED_VERSION,
                "router state version %u; this engine builds version %u (rebuild the router)", m[0],
                kStateVersion);
  if (m[3] < 8 || m[3] > 4096) return fail(ELEX_E_CORRUPT_DATA, "router state: dimension %u", m[3]);
  serial::Reader r(body, body_size);
  w_ = r.pod<Weights>();
  features_ = r.pod<std::uint32_t>();
  bool ok = item_names_.load(r) && feature_names_.load(r);
  const std::size_t N = item_names_.size();
  r.vec(item_kinds_);
  r.vec(item_share_);
  r.vec(hosted_ids_);
  r.vec(hosted_of_);
  r.vec(item_hosted_off_);
  r.vec(item_hosted_);
  embedder_ = std::make_unique<embed::Embedder>(m[3]);
  ok = ok && r.ok() && embedder_->load(r);
  ok = ok && r.ok() && load_sparse(r, profiles_, m[3], profile_off_, profile_rows_, profile_vals_);
  ok = ok && lexical_.load(r);
  ok = ok && acronyms_.keys.load(r) && acronyms_.lists.load(r, acronyms_.keys.size(), N);
  ok = ok && phrases_.load(r);
  r.vec(phrase_item_);
  ok = ok && r.ok() && phrase_item_.size() == phrases_.size() && phrase_heads_.keys.load(r) &&
       phrase_heads_.lists.load(r, phrase_heads_.keys.size(), phrases_.size());
  r.vec(phrase_other_);
  ok = ok && load_word_table(r, words_, lexical_);
  r.vec(item_word_off_);
  ok = ok && load_words(r, item_words_, kHalf);
  r.vec(name_words_);
  r.vec(own_off_);
  r.vec(own_);
  r.vec(tech_);
  r.vec(dir_);
  if (!ok || !r.done() || features_ != m[1] || hosted_ids_.size() != m[2] || !consistent()) {
    embedder_.reset();  // not built: build() or load() may be tried again
    return fail(ELEX_E_CORRUPT_DATA, "router state: the tables do not hold together");
  }
  phases_ = {};
  id_keys();
  scratch();
  return ELEX_OK;
}

bool Router::consistent() const {
  // (The key lists were checked against their tables as they were read.)
  const std::size_t F = features_, N = item_names_.size(), H = hosted_ids_.size();
  if (F == 0 || N < F || item_kinds_.size() != N || item_share_.size() != N ||
      hosted_of_.size() != F || H > F || name_words_.size() != N || feature_names_.size() != F)
    return false;
  for (std::size_t i = 0; i < N; ++i)  // features first, then parameters, counters, KPIs
    if ((item_kinds_[i] == kFeature) != (i < F) || item_kinds_[i] > kKpi) return false;
  for (std::size_t h = 0; h < H; ++h)
    if (hosted_ids_[h] >= F || hosted_of_[hosted_ids_[h]] != std::int32_t(h)) return false;
  for (std::int32_t x : hosted_of_)
    if (x < -1 || x >= std::int32_t(H)) return false;
  if (!csr(item_hosted_off_, N, item_hosted_.size()) || !below(item_hosted_, H)) return false;
  if (profiles_.size() != H * embedder_->dim() || lexical_.documents() != F) return false;
  if (!below(phrase_item_, N) || !below(phrase_other_, phrases_.size())) return false;
  if (!csr(item_word_off_, N, item_words_.size())) return false;
  for (std::uint32_t x : item_words_)
    if ((x & ~kHalf) >= words_.size()) return false;
  for (float d : dir_)
    if (!(d >= -1.0f && d <= 1.0f)) return false;  // NaN too
  return csr(own_off_, F, own_.size()) && below(own_, N) && tech_.size() == H && dir_.size() == H;
}

}  // namespace elex::router
