// HNSW serialisation (see hnsw.h): an ELEX container of kind HnswIndex,
// format version 3 (format.h version_of).
//
//   "HNSW" header: u32 dim, metric, M, efConstruction, quantization, count,
//          live, entry, max_level, seed; f32 scale (0: unused since
//          version 2); u32 upper_size; u64 rng_state        (56 bytes)
//   "NODE" count x (4 + 4 M0 + vector bytes): the layer-0 arena (u32 link
//          count and links, then the vector, or for int8 indexes the codes
//          padded to 4 bytes and the node's f32 factor, quant.h
//          quantize_unit) — in this u32 layout also for Int8 and Int8Res4
//          indexes, whose arena packs links in 24 bits (hnsw.h)
//   "LABL" count x u32 ids      "META" count x u8 level/removed
//   "UOFF" count x u32 upper offsets   "UPPR" upper_size x u32
//   "F32V" count x dim f32: the originals (quantization Int8F32 only)
//   "RES4" count x (residual4 bytes padded to 4 + f32 g): the 4-bit
//          residuals (quantization Int8Res4 only, from version 3)
//
// Version 3 added quantization Int8Res4 and its RES4 section; the other
// quantizations are written as in version 2, so a version 2 reader would
// read them but stops at the version (ELEX_E_UNSUPPORTED_VERSION) instead
// of misreading a kind of index it does not know.
//
// Version 1 (before per-vector factors) is read too: its int8 nodes hold the
// codes only, all at the header's one scale, which becomes every node's
// factor (scale * codes ~ the unit vector, as factor * codes is now).
//
// The reader trusts nothing: sizes, levels, offsets, link counts and link
// targets, the entry point, the live count, unique ids, finite vectors.
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "elex/core/format.h"
#include "elex/index/hnsw.h"

namespace elex::hnsw {

namespace {
constexpr std::uint32_t kHead = format::tag("HNSW");
constexpr std::uint32_t kNode = format::tag("NODE");
constexpr std::uint32_t kLabl = format::tag("LABL");
constexpr std::uint32_t kMeta = format::tag("META");
constexpr std::uint32_t kUoff = format::tag("UOFF");
constexpr std::uint32_t kUppr = format::tag("UPPR");
constexpr std::uint32_t kF32v = format::tag("F32V");
constexpr std::uint32_t kRes4 = format::tag("RES4");
constexpr std::size_t kHeadBytes = 56;

struct Head {
  std::uint32_t dim, metric, M, ef_construction, quantization, count, live, entry, max_level, seed;
  float scale;
  std::uint32_t upper_size;
  std::uint64_t rng_state;
};
static_assert(sizeof(Head) == kHeadBytes, "Head must be packed as documented");
}  // namespace

struct IndexIo {
  static Status write(const Index& ix, std::uint8_t** out, std::size_t* size) {
    if (out == nullptr || size == nullptr)
      return fail(ELEX_E_INVALID_ARGUMENT, "null output pointer");
    const Head h{ix.params_.dim,
                 static_cast<std::uint32_t>(ix.params_.metric),
                 ix.params_.M,
                 ix.params_.ef_construction,
                 static_cast<std::uint32_t>(ix.params_.quantization),
                 static_cast<std::uint32_t>(ix.count_),
                 static_cast<std::uint32_t>(ix.live_),
                 ix.entry_,
                 ix.max_level_,
                 ix.params_.seed,
                 0.0f,
                 static_cast<std::uint32_t>(ix.upper_size_),
                 ix.rng_state_};
    const std::size_t n = ix.count_;
    // Packed (Int8) nodes are written in the u32 layout every reader knows.
    const std::size_t wide = 4 + 4 * std::size_t(ix.M0_) + ix.vec_bytes_;
    std::uint8_t* widened = nullptr;
    if (ix.packed0() && n > 0) {
      widened = static_cast<std::uint8_t*>(std::calloc(n, wide));
      if (widened == nullptr) return fail(ELEX_E_OUT_OF_MEMORY, "could not serialise the index");
      for (std::size_t i = 0; i < n; ++i) {
        auto* w = reinterpret_cast<std::uint32_t*>(widened + i * wide);
        w[0] = ix.unpack0(static_cast<std::uint32_t>(i), w + 1);
        std::memcpy(widened + i * wide + 4 + 4 * std::size_t(ix.M0_),
                    ix.level0_ + i * ix.node_bytes_ + ix.links_bytes_, ix.vec_bytes_);
      }
    }
    format::SectionIn sections[7] = {
        {kHead, &h, sizeof h},
        {kNode, widened != nullptr ? widened : ix.level0_, n * wide},
        {kLabl, ix.labels_, n * 4},
        {kMeta, ix.meta_, n},
        {kUoff, ix.upper_off_, n * 4},
        {kUppr, ix.upper_, ix.upper_size_ * 4},
        {kF32v, ix.f32_, n * ix.params_.dim * sizeof(float)},
    };
    if (ix.res_ != nullptr) sections[6] = {kRes4, ix.res_, n * ix.res_bytes_};
    const unsigned count = ix.f32_ != nullptr || ix.res_ != nullptr ? 7 : 6;
    const Status st = format::write(format::ContainerKind::HnswIndex, sections, count, out, size);
    std::free(widened);
    return st;
  }

  static Status read(const std::uint8_t* bytes, std::size_t size, Index** out) {
    if (out == nullptr) return fail(ELEX_E_INVALID_ARGUMENT, "null output pointer");
    format::Reader r;
    if (Status s = r.open(bytes, size, format::ContainerKind::HnswIndex); s != ELEX_OK) return s;
    std::size_t len = 0;
    const std::uint8_t* hp = r.section(kHead, &len);
    if (hp == nullptr || len != kHeadBytes)
      return fail(ELEX_E_CORRUPT_DATA, "index data lacks a valid HNSW header");
    Head h;
    std::memcpy(&h, hp, sizeof h);
    Params p;
    p.dim = h.dim;
    p.metric = static_cast<Metric>(h.metric);
    p.M = h.M;
    p.ef_construction = h.ef_construction;
    p.seed = h.seed;
    p.quantization = static_cast<Quantization>(h.quantization);
    if (!valid_metric(static_cast<int>(h.metric)))
      return fail(ELEX_E_CORRUPT_DATA, "index data names unknown metric %u", h.metric);
    Index* ix = nullptr;
    if (Status s = Index::create(p, &ix); s != ELEX_OK)
      return fail(ELEX_E_CORRUPT_DATA, "index data has invalid parameters: %s",
                  last_error_message());
    const Status s = fill(*ix, h, r, r.version());
    if (s != ELEX_OK) {
      delete ix;
      return s;
    }
    *out = ix;
    return ELEX_OK;
  }

 private:
  static Status corrupt(const char* what) {
    return fail(ELEX_E_CORRUPT_DATA, "index data is corrupt: %s", what);
  }

  static Status fill(Index& ix, const Head& h, const format::Reader& r, unsigned version) {
    const std::size_t n = h.count;
    if (n >= 0x7FFFFFFFu) return corrupt("too many nodes");
    auto sec = [&](std::uint32_t tag, std::size_t want) -> const std::uint8_t* {
      std::size_t got = 0;
      const std::uint8_t* p = r.section(tag, &got);
      return p != nullptr && got == want ? p : nullptr;
    };
    const bool int8 = ix.int8();
    // Version 1 int8 nodes lack the factor: their vector bytes are the codes.
    const bool v1_codes = int8 && version < 2;
    const std::size_t in_vec = v1_codes ? ix.code_bytes() : ix.vec_bytes_;
    const std::size_t wide = 4 + 4 * std::size_t(ix.M0_) + in_vec;
    const std::uint8_t* node = sec(kNode, n * wide);
    if (v1_codes && n > 0 && !(std::isfinite(h.scale) && h.scale > 0.0f))
      return corrupt("bad scale");
    if (ix.packed0() && n > kMaxPackedNodes) return corrupt("too many nodes for an int8 index");
    const std::uint8_t* labl = sec(kLabl, n * 4);
    const std::uint8_t* meta = sec(kMeta, n);
    const std::uint8_t* uoff = sec(kUoff, n * 4);
    const std::uint8_t* uppr = sec(kUppr, std::size_t(h.upper_size) * 4);
    if (!node || !labl || !meta || !uoff || !uppr) return corrupt("a section has the wrong size");
    const bool originals = ix.params_.quantization == Quantization::Int8F32;
    const std::uint8_t* f32v =
        originals ? sec(kF32v, n * std::size_t(ix.params_.dim) * sizeof(float)) : nullptr;
    if (originals && f32v == nullptr) return corrupt("the f32 originals are missing or cut");
    const bool residuals = ix.params_.quantization == Quantization::Int8Res4;
    if (residuals && version < 3) return corrupt("a version 2 index names quantization 3");
    const std::uint8_t* res4 = residuals ? sec(kRes4, n * ix.res_bytes_) : nullptr;
    if (residuals && res4 == nullptr) return corrupt("the 4-bit residuals are missing or cut");
    if (n > 0) {
      if (Status s = ix.reserve(n); s != ELEX_OK) return s;
      if (!ix.packed0() && !v1_codes) {
        std::memcpy(ix.level0_, node, n * wide);
      } else if (!ix.packed0()) {
        for (std::size_t i = 0; i < n; ++i) {
          std::uint8_t* dst = ix.level0_ + i * ix.node_bytes_;
          std::memcpy(dst, node + i * wide, wide);
          std::memcpy(dst + wide, &h.scale, 4);
        }
      } else {
        // Validate the u32 lists here (the packed form cannot hold a bad
        // count), then pack them.
        std::uint32_t links[2 * kMaxM + 1];
        for (std::size_t i = 0; i < n; ++i) {
          std::memcpy(links, node + i * wide, 4 + 4 * std::size_t(ix.M0_));
          if (links[0] > ix.M0_) return corrupt("a link count is too large");
          for (std::uint32_t j = 0; j < links[0]; ++j)
            if (links[1 + j] >= n) return corrupt("a link points past the last node");
          ix.pack0(static_cast<std::uint32_t>(i), links + 1, links[0]);
          std::uint8_t* dst = ix.level0_ + i * ix.node_bytes_ + ix.links_bytes_;
          std::memcpy(dst, node + i * wide + 4 + 4 * std::size_t(ix.M0_), in_vec);
          if (v1_codes) std::memcpy(dst + in_vec, &h.scale, 4);
        }
      }
      std::memcpy(ix.labels_, labl, n * 4);
      std::memcpy(ix.meta_, meta, n);
      std::memcpy(ix.upper_off_, uoff, n * 4);
      if (originals) std::memcpy(ix.f32_, f32v, n * std::size_t(ix.params_.dim) * sizeof(float));
      if (residuals) std::memcpy(ix.res_, res4, n * ix.res_bytes_);
    }
    if (h.upper_size > 0) {
      ix.upper_ = static_cast<std::uint32_t*>(std::malloc(std::size_t(h.upper_size) * 4));
      if (ix.upper_ == nullptr) return fail(ELEX_E_OUT_OF_MEMORY, "could not load the index");
      std::memcpy(ix.upper_, uppr, std::size_t(h.upper_size) * 4);
    }
    ix.upper_size_ = ix.upper_cap_ = h.upper_size;
    ix.count_ = n;
    ix.rng_state_ = h.rng_state;

    std::size_t live = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t level = ix.meta_[i] & 0x7Fu;
      if (level > kMaxLevel || level > h.max_level) return corrupt("a node level is out of range");
      if (level > 0) {
        const std::uint64_t end =
            std::uint64_t(ix.upper_off_[i]) + std::uint64_t(level) * (1 + ix.params_.M);
        if (end > h.upper_size) return corrupt("an upper-layer block is out of range");
      }
      for (std::uint32_t l = ix.packed0() ? 1 : 0; l <= level; ++l) {  // packed: checked above
        const std::uint32_t* links = ix.links_at(static_cast<std::uint32_t>(i), l);
        const std::uint32_t cap = l == 0 ? ix.M0_ : ix.params_.M;
        if (links[0] > cap) return corrupt("a link count is too large");
        for (std::uint32_t j = 0; j < links[0]; ++j)
          if (links[1 + j] >= n) return corrupt("a link points past the last node");
      }
      if (int8) {
        const float f = ix.factor(static_cast<std::uint32_t>(i));
        if (!(std::isfinite(f) && f >= 0.0f))
          return corrupt("a code factor is negative or not finite");
      }
      if (residuals) {
        const float g = ix.residual_factor(static_cast<std::uint32_t>(i));
        if (!(std::isfinite(g) && g >= 0.0f))
          return corrupt("a residual factor is negative or not finite");
      }
      if (!int8 || originals) {
        const float* v =
            originals ? ix.f32_ + i * ix.params_.dim : ix.vec(static_cast<std::uint32_t>(i));
        for (std::uint32_t j = 0; j < ix.params_.dim; ++j)
          if (!std::isfinite(v[j])) return corrupt("a vector holds NaN or Inf");
      }
      if (!ix.deleted(static_cast<std::uint32_t>(i))) ++live;
    }
    if (live != h.live) return corrupt("the live count does not match");
    if (n > 0 && (h.entry >= n || (ix.meta_[h.entry] & 0x7Fu) != h.max_level))
      return corrupt("the entry point is invalid");
    if (h.max_level > kMaxLevel) return corrupt("max level out of range");
    ix.live_ = live;
    ix.entry_ = h.entry;
    ix.max_level_ = h.max_level;
    if (Status s = ix.map_reserve(n); s != ELEX_OK) return s;
    for (std::size_t i = 0; i < n; ++i) {
      if (ix.deleted(static_cast<std::uint32_t>(i))) continue;
      if (ix.find(ix.labels_[i]) != 0xFFFFFFFFu) return corrupt("an id appears twice");
      ix.map_put(ix.labels_[i], static_cast<std::uint32_t>(i));
    }
    return ELEX_OK;
  }
};

Status Index::serialize(std::uint8_t** out, std::size_t* size) const {
  return IndexIo::write(*this, out, size);
}

Status Index::deserialize(const std::uint8_t* bytes, std::size_t size, Index** out) {
  return IndexIo::read(bytes, size, out);
}

}  // namespace elex::hnsw
