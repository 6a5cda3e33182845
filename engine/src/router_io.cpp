// Router::save / Router::load: a built router's tables in one container, so a
// worker that has routed a catalog before skips build() (ts/ran-host.ts keeps
// the bytes in the learned-state store, keyed by the catalog, the glossary,
// the weights and the worker's share).
//
// Container kind RouterState, sections:
//   META  u32 kStateVersion, u32 features, u32 hosted, u32 dim
//   BODY  the tables in the order save() writes them (serial.h encoding)
// The reader checks every index against the table it points into before the
// router is used (consistent()), so a payload that passed the CRC but does not
// hold together is CORRUPT_DATA, never a read out of bounds.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "elex/format.h"
#include "elex/router.h"
#include "elex/serial.h"

namespace elex::router {

namespace {

static_assert(sizeof(Weights) == 5 * sizeof(double), "Weights is five doubles");

using Lists = std::unordered_map<std::string, std::vector<std::uint32_t>>;

void put_lists(serial::Writer& w, const Lists& m) {
  std::vector<const std::pair<const std::string, std::vector<std::uint32_t>>*> sorted;
  sorted.reserve(m.size());
  for (const auto& e : m) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
  w.pod<std::uint64_t>(sorted.size());
  for (const auto* e : sorted) {
    w.str(e->first);
    w.vec(e->second);
  }
}

void get_lists(serial::Reader& r, Lists& m) {
  m.clear();
  const std::size_t n = r.count(r.left() / 12);  // a key and a list: 12 bytes at least
  m.reserve(n);
  for (std::size_t i = 0; i < n && r.ok(); ++i) {
    std::string k;
    r.str(k);
    std::vector<std::uint32_t> v;
    r.vec(v);
    if (!m.emplace(std::move(k), std::move(v)).second) r.fail();
  }
}

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

constexpr std::uint32_t kMeta = format::tag("META");
constexpr std::uint32_t kBody = format::tag("BODY");

}  // namespace

Status Router::save(std::uint8_t** out, std::size_t* size) const {
  if (out == nullptr || size == nullptr) return fail(ELEX_E_INVALID_ARGUMENT, "null output");
  if (!embedder_) return fail(ELEX_E_INVALID_ARGUMENT, "the router is not built");
  serial::Writer w;
  w.pod(w_);
  w.pod<std::uint32_t>(features_);
  w.strs(codes_);
  w.strs(item_names_);
  w.vec(item_kinds_);
  w.vec(item_share_);
  w.vec(hosted_ids_);
  w.vec(hosted_of_);
  w.vec(item_hosted_off_);
  w.vec(item_hosted_);
  embedder_->save(w);
  w.vec(profiles_);
  lexical_.save(w);
  put_lists(w, ids_);
  put_lists(w, acronyms_);
  std::vector<std::string> phrase_text(phrases_.size());
  std::vector<std::uint32_t> phrase_item(phrases_.size());
  for (std::size_t p = 0; p < phrases_.size(); ++p)
    (phrase_text[p] = phrases_[p].first, phrase_item[p] = phrases_[p].second);
  w.strs(phrase_text);
  w.vec(phrase_item);
  put_lists(w, phrase_heads_);
  w.vec(phrase_other_);
  std::vector<std::string> words(words_.size());
  for (const auto& [word, id] : words_) words[id] = word;
  w.strs(words);
  w.vec(word_off_);
  w.vec(word_items_);
  w.vec(word_weights_);
  w.vec(name_words_);
  w.vec(own_off_);
  w.vec(own_);
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
  r.strs(codes_);
  r.strs(item_names_);
  r.vec(item_kinds_);
  r.vec(item_share_);
  r.vec(hosted_ids_);
  r.vec(hosted_of_);
  r.vec(item_hosted_off_);
  r.vec(item_hosted_);
  embedder_ = std::make_unique<embed::Embedder>(m[3]);
  bool ok = r.ok() && embedder_->load(r);
  r.vec(profiles_);
  ok = ok && r.ok() && lexical_.load(r);
  get_lists(r, ids_);
  get_lists(r, acronyms_);
  std::vector<std::string> phrase_text;
  std::vector<std::uint32_t> phrase_item;
  r.strs(phrase_text);
  r.vec(phrase_item);
  phrases_.clear();
  if (phrase_text.size() == phrase_item.size())
    for (std::size_t p = 0; p < phrase_text.size(); ++p)
      phrases_.emplace_back(std::move(phrase_text[p]), phrase_item[p]);
  else
    r.fail();
  get_lists(r, phrase_heads_);
  r.vec(phrase_other_);
  std::vector<std::string> words;
  r.strs(words);
  words_.clear();
  words_.reserve(words.size());
  for (std::uint32_t id = 0; id < words.size() && r.ok(); ++id)
    if (!words_.emplace(std::move(words[id]), id).second) r.fail();
  r.vec(word_off_);
  r.vec(word_items_);
  r.vec(word_weights_);
  r.vec(name_words_);
  r.vec(own_off_);
  r.vec(own_);
  if (!ok || !r.done() || features_ != m[1] || hosted_ids_.size() != m[2] || !consistent()) {
    embedder_.reset();  // not built: build() or load() may be tried again
    return fail(ELEX_E_CORRUPT_DATA, "router state: the tables do not hold together");
  }
  phases_ = {};
  scratch();
  return ELEX_OK;
}

bool Router::consistent() const {
  const std::size_t F = features_, N = item_names_.size(), H = hosted_ids_.size();
  if (F == 0 || codes_.size() != F || N < F || item_kinds_.size() != N || item_share_.size() != N ||
      hosted_of_.size() != F || H > F || name_words_.size() != N)
    return false;
  for (std::size_t h = 0; h < H; ++h)
    if (hosted_ids_[h] >= F || hosted_of_[hosted_ids_[h]] != std::int32_t(h)) return false;
  for (std::int32_t x : hosted_of_)
    if (x < -1 || x >= std::int32_t(H)) return false;
  if (!csr(item_hosted_off_, N, item_hosted_.size()) || !below(item_hosted_, H)) return false;
  if (profiles_.size() != H * embedder_->dim() || lexical_.documents() != F) return false;
  for (const Lists* m : {&ids_, &acronyms_})
    for (const auto& [k, v] : *m)
      if (!below(v, N)) return false;
  for (const auto& [text, item] : phrases_)
    if (item >= N) return false;
  for (const auto& [k, v] : phrase_heads_)
    if (!below(v, phrases_.size())) return false;
  if (!below(phrase_other_, phrases_.size())) return false;
  if (!csr(word_off_, words_.size(), word_items_.size()) || !below(word_items_, N) ||
      word_weights_.size() != word_items_.size())
    return false;
  return csr(own_off_, F, own_.size()) && below(own_, N);
}

}  // namespace elex::router
