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
//         storage at every start, and reading costs about 7 ms per MB in
//         Chromium's OPFS): the profiles as a bitmap of their non-zero
//         entries and those entries (they are mostly zeros); the item words
//         as u16 when the word ids fit in 15 bits. The hosted features'
//         technologies are kept too (a load does not derive them again from
//         every item name). The features' names are kept beside the
//         items' names (the worker reads both through elex_router_items).
// The reader checks every index against the table it points into before the
// router is used (here and in consistent()), so a payload that passed the CRC
// but does not hold together is CORRUPT_DATA, never a read out of bounds.
// Version 1 (kStateVersion 1) kept node-based hash maps; versions before 7
// kept these tables whole; versions before 9 did not keep the technologies;
// versions before 11 did not keep the features' names (a worker that loads
// a state names its results from it, before it has parsed the catalog);
// they are refused (UNSUPPORTED_VERSION) and rebuilt.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "elex/core/format.h"
#include "elex/core/serial.h"
#include "elex/ran/router.h"

namespace elex::router {

namespace {

static_assert(sizeof(Weights) == 6 * sizeof(double), "Weights is six doubles");

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
bool load_sparse(serial::Reader& r, std::vector<float>& v) {
  const auto n = r.pod<std::uint64_t>();
  std::vector<std::uint64_t> bits;
  std::vector<float> values;
  r.vec(bits);
  r.vec(values);
  if (!r.ok() || bits.size() != (n + 63) / 64) return false;
  std::size_t set = 0;
  for (std::uint64_t b : bits) set += std::size_t(__builtin_popcountll(b));
  if (set != values.size() || (n % 64 != 0 && (bits.back() >> (n % 64)) != 0)) return false;
  v.assign(std::size_t(n), 0.0f);
  std::size_t at = 0;
  for (std::size_t wi = 0; wi < bits.size(); ++wi)
    for (std::uint64_t b = bits[wi]; b != 0; b &= b - 1)
      v[wi * 64 + std::size_t(__builtin_ctzll(b))] = values[at++];
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
  for (const KeyLists* m : {&ids_, &acronyms_}) (m->keys.save(w), m->lists.save(w));
  phrases_.save(w);
  w.vec(phrase_item_);
  phrase_heads_.keys.save(w);
  phrase_heads_.lists.save(w);
  w.vec(phrase_other_);
  words_.save(w);
  w.vec(item_word_off_);
  save_words(w, item_words_, words_.size(), kHalf);
  w.vec(name_words_);
  w.vec(own_off_);
  w.vec(own_);
  w.vec(tech_);
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
  ok = ok && r.ok() && load_sparse(r, profiles_);
  ok = ok && lexical_.load(r);
  for (KeyLists* k : {&ids_, &acronyms_})
    ok = ok && k->keys.load(r) && k->lists.load(r, k->keys.size(), N);
  ok = ok && phrases_.load(r);
  r.vec(phrase_item_);
  ok = ok && r.ok() && phrase_item_.size() == phrases_.size() && phrase_heads_.keys.load(r) &&
       phrase_heads_.lists.load(r, phrase_heads_.keys.size(), phrases_.size());
  r.vec(phrase_other_);
  ok = ok && words_.load(r);
  r.vec(item_word_off_);
  ok = ok && load_words(r, item_words_, kHalf);
  r.vec(name_words_);
  r.vec(own_off_);
  r.vec(own_);
  r.vec(tech_);
  if (!ok || !r.done() || features_ != m[1] || hosted_ids_.size() != m[2] || !consistent()) {
    embedder_.reset();  // not built: build() or load() may be tried again
    return fail(ELEX_E_CORRUPT_DATA, "router state: the tables do not hold together");
  }
  phases_ = {};
  scratch();
  return ELEX_OK;
}

bool Router::consistent() const {
  // (The key lists were checked against their tables as they were read.)
  const std::size_t F = features_, N = item_names_.size(), H = hosted_ids_.size();
  if (F == 0 || N < F || item_kinds_.size() != N || item_share_.size() != N ||
      hosted_of_.size() != F || H > F || name_words_.size() != N || feature_names_.size() != F)
    return false;
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
  return csr(own_off_, F, own_.size()) && below(own_, N) && tech_.size() == H;
}

}  // namespace elex::router
