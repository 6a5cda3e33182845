// elex/index/hnsw.h — a Hierarchical Navigable Small World index (Malkov &
// Yashunin, arXiv:1603.09320) with the neighbour-selection heuristic.
//
// Storage (one index = one arena for layer 0 plus one for upper layers):
//
//   level0_  capacity x node_bytes_, node i at level0_ + i * node_bytes_:
//              u32  link count c (<= M0 = 2M)
//              u32  links[M0]          internal node numbers, first c valid
//              f32  vector[dim]        (or i8 codes[dim] padded to 4 bytes,
//                                       then the codes' f32 factor)
//            quantizations Int8 and Int8Res4 pack the links instead:
//              u24  links[M0]          little-endian, the first 0xFFFFFF ends
//                                      the list (no count); then the codes
//                                      and the factor
//            so a 128-d node is 228 bytes instead of 264, and such an index
//            holds at most kMaxPackedNodes nodes. Serialised bytes use the
//            u32 layout for every quantization (hnsw_io.cpp converts).
//   res_     Int8Res4: capacity x res_bytes_, node i's 4-bit residual
//            nibbles (quant.h quantize_residual4) padded to 4 bytes, then
//            its f32 factor g (g * (15 codes + r) is the unit vector)
//   labels_  u32 per node: the caller's id
//   meta_    u8 per node: bits 0-6 level (0..kMaxLevel), bit 7 deleted
//   upper_   u32 arena; node i with level L > 0 owns upper_off_[i] ..
//            + L * (1 + M): per level l = 1..L, u32 count then u32 links[M]
//   id map   open addressing, u32 slot = internal node + 1 (0 = empty)
//
// A search touches one contiguous block per visited node: its links and
// its vector. Metrics: L2 (squared), inner product (1 - dot), cosine (stored
// normalised; 1 - dot of unit vectors; a zero vector stays zero, distance 1).
// The distance function is fixed when the index is made. Inner product is
// meant for unit vectors (then it ranks like cosine); on unnormalised vectors
// it is not a metric and recall drops (0.85 at ef 64 on the test set).
//
// Quantisation (optional, cosine only): each normalised vector is stored as
// int8 codes at its own scale (its largest |component| -> 127) followed by
// an f32 factor that makes factor * codes a unit vector (quant.h
// quantize_unit). Graph search and the exact scan rank nodes by
// factor_q * factor_v * the int8 dot of the query's codes; the best `rerank`
// candidates (default max(2k, 16), see search()) are then re-ranked:
//   Int8     against the codes with the f32 query (asymmetric distance). The
//            f32 originals are not kept: that is what saves the memory.
//   Int8F32  exactly, against the f32 originals (unit length), held in a
//            separate arena `f32_` (capacity x dim floats) that only the
//            re-rank reads, so the graph walk stays on the compact nodes.
//   Int8Res4 against the codes refined by a 4-bit residual (12 bits per
//            component, quant.h quantize_residual4), held in a separate
//            arena `res_` (dim / 2 + 4 bytes a vector) that only the
//            re-rank reads. At 1M x 128 the codes alone cap recall@10
//            near 0.965, the f32 originals do not fit a 500 MiB tab, and
//            this reaches 0.98 (ef 384) at 321 B a vector; a wider pool than
//            the default changed no result there, the graph walk is what
//            limits it (docs/performance.md).
//
// Threads: add() with a pool inserts in parallel (per-node spinlocks, a
// global lock for entry-point changes); search() with a pool spreads its
// queries over the threads. Calls on one index must not overlap: the index
// keeps its search scratch between calls.
//
// Bad input returns a status (status.h), never a crash: dimension mismatch,
// NaN/Inf in a vector, k == 0, k > live size, duplicate id, empty index. An
// ef below k is raised to k.
#ifndef ELEX_HNSW_H
#define ELEX_HNSW_H

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <mutex>

#include "elex/core/parallel.h"
#include "elex/core/status.h"
#include "elex/kernels/kernels.h"

namespace elex::hnsw {

inline constexpr std::uint32_t kMaxLevel = 16;
inline constexpr std::uint32_t kMaxM = 64;
inline constexpr std::uint32_t kMaxK = 4096;
/// Most nodes (removed ones included) of an Int8 index: its links are 24-bit.
inline constexpr std::uint32_t kMaxPackedNodes = 0xFFFFFEu;

/// How an index stores its vectors (elex_index_create).
/// @ts QUANTIZATION
enum class Quantization : std::uint32_t {
  None = 0,      ///< `none`: f32 vectors.
  Int8 = 1,      ///< `int8`: 1-byte codes per dimension only.
  Int8F32 = 2,   ///< `int8+f32`: the codes, plus the f32 vectors for an exact re-rank.
  Int8Res4 = 3,  ///< `int8+res4`: the codes, plus a 4-bit residual per component for the re-rank.
};

struct Params {
  std::uint32_t dim = 0;
  Metric metric = Metric::Cosine;
  std::uint32_t M = 16;  ///< links per node on upper layers (2M on layer 0)
  std::uint32_t ef_construction =
      100;  // see README "Vector index": 200 built half as fast for no recall gain here
  std::uint32_t seed = 100;  ///< level generator seed (builds are reproducible)
  Quantization quantization = Quantization::None;
};

/// When search() runs a flat exact scan instead of the graph.
/// @ts EXACT_MODE
enum class ExactMode : std::uint32_t {
  Auto = 0,    ///< `auto`: exact when live size <= kExactBelow or ef * M0 >= live size.
  Never = 1,   ///< `never`: the graph only.
  Always = 2,  ///< `always`: a flat exact scan.
};
inline constexpr std::uint32_t kExactBelow = 1024;
/// Candidates re-ranked on an int8 index unless told: max(2k, 16). Measured
/// recall@10 1.000 against f32 brute force with 'int8+f32' at 10K and 100K
/// (README "Vector index"); 10 (= k) gave 0.944-0.988.
constexpr std::uint32_t default_rerank(std::uint32_t k) { return 2 * k > 16 ? 2 * k : 16; }
/// A single exact query over at least this many nodes is split across the
/// pool's threads (simd-mt), each scanning a slice.
inline constexpr std::size_t kSplitScanAbove = 8192;

struct Stats {
  std::uint64_t nodes;  ///< slots used, removed ones included
  std::uint64_t live;   ///< searchable items
  std::uint64_t bytes;  ///< every byte the index holds
  std::uint32_t max_level;
  std::uint32_t dim;
  std::uint32_t M;
  std::uint32_t ef_construction;
  Metric metric;
  Quantization quantization;
};

class Scratch;
struct Pair;
template <bool kMax>
class Heap;
template <class Ix>
struct NodeScorer;

class Index {
 public:
  /// A new empty index, or an error for bad params (*out untouched then).
  [[nodiscard]] static Status create(const Params& params, Index** out);
  ~Index();
  Index(const Index&) = delete;
  Index& operator=(const Index&) = delete;

  /// Adds n vectors (row-major, dim floats each) with the caller's ids. All
  /// or nothing: any bad vector or id fails the whole call before anything
  /// changes. With a pool of more than one thread, inserts in parallel.
  [[nodiscard]] Status add(const std::uint32_t* ids, const float* vectors, std::size_t n,
                           ThreadPool* pool);

  /// The k nearest live items to each of nq queries: out_ids / out_dist get
  /// nq * k entries, nearest first; a query's unused slots (fewer than k
  /// found) hold id 0xFFFFFFFF and distance +Inf. *found (optional) gets the
  /// number of hits per query. With a pool, queries run in parallel.
  /// rerank (int8 indexes): how many of the best candidates by code get the
  /// final re-rank, at least k; 0 = default_rerank(k). The graph yields at
  /// most max(ef, k) candidates; the exact scan keeps exactly that many.
  [[nodiscard]] Status search(const float* queries, std::size_t nq, std::uint32_t k,
                              std::uint32_t ef, ExactMode mode, std::uint32_t* out_ids,
                              float* out_dist, ThreadPool* pool, std::uint32_t rerank = 0) const;

  /// Marks ids removed (their nodes stay as routing points). Unknown ids are
  /// skipped; *removed gets how many were live.
  [[nodiscard]] Status remove(const std::uint32_t* ids, std::size_t n, std::size_t* removed);

  /// A new index of the live items only, with the same parameters and the
  /// vectors as stored (f32 indexes; an int8 one is INVALID_ARGUMENT): what
  /// an index with many removed items is rebuilt into to free them.
  [[nodiscard]] Status compacted(Index** out) const;

  /// True if `id` is a live item.
  bool contains(std::uint32_t id) const;

  /// Room for `items` nodes (removed ones included) in every per-node arena
  /// and the id map, allocated now: adds up to that size never reallocate.
  /// Without it a growing index moves its arenas (by half again each time),
  /// and a move needs the old and the new block at once, which at a million
  /// vectors is most of the memory a tab has. No-op below the capacity held.
  [[nodiscard]] Status reserve_items(std::size_t items);

  /// How much stats().bytes grows when n vectors are added now: the arenas
  /// grow by half again (not by n) once they are full, the id map doubles,
  /// and the upper layers are counted at twice their expected share (a
  /// node's level is drawn at random). The memory budget reserves this
  /// before an add.
  std::size_t add_bytes(std::size_t n) const;
  /// What stats().bytes is for an index of these parameters after
  /// reserve_items(items) and nothing else (room for `items` nodes and no
  /// more): what a compacted index with that room will hold.
  std::size_t bytes_for(std::size_t items) const;

  Stats stats() const;
  std::size_t live() const { return live_; }
  std::uint32_t dim() const { return params_.dim; }

  /// Serialised form (an ELEX container, kind HnswIndex); caller frees *out.
  [[nodiscard]] Status serialize(std::uint8_t** out, std::size_t* size) const;
  /// Parses serialize()'s bytes; every count, link and offset is checked.
  [[nodiscard]] static Status deserialize(const std::uint8_t* bytes, std::size_t size, Index** out);

 private:
  explicit Index(const Params& params);
  friend class Scratch;
  friend struct IndexIo;

  // layout
  std::uint32_t* links0(std::uint32_t i) const {
    return reinterpret_cast<std::uint32_t*>(level0_ + std::size_t(i) * node_bytes_);
  }
  const float* vec(std::uint32_t i) const {
    return reinterpret_cast<const float*>(level0_ + std::size_t(i) * node_bytes_ + links_bytes_);
  }
  bool int8() const { return params_.quantization != Quantization::None; }
  const std::int8_t* codes(std::uint32_t i) const {
    return reinterpret_cast<const std::int8_t*>(level0_ + std::size_t(i) * node_bytes_ +
                                                links_bytes_);
  }
  /// Bytes of an int8 node's codes (dim rounded up to 4); its f32 factor
  /// (quant.h quantize_unit: factor * codes is the unit vector) follows.
  std::size_t code_bytes() const { return (std::size_t(params_.dim) + 3) & ~std::size_t{3}; }
  float factor(std::uint32_t i) const {
    float f;
    std::memcpy(&f, level0_ + std::size_t(i) * node_bytes_ + links_bytes_ + code_bytes(), 4);
    return f;
  }
  /// Links of node i at `level` as u32 {count, links...}; not for layer 0
  /// of a packed index (see packed0()).
  std::uint32_t* links_at(std::uint32_t i, std::uint32_t level) const;
  /// True when layer-0 links are 24-bit (quantizations Int8 and Int8Res4).
  bool packed0() const {
    return params_.quantization == Quantization::Int8 ||
           params_.quantization == Quantization::Int8Res4;
  }
  /// Int8Res4: node i's residual nibbles, then (at residual4 bytes rounded
  /// up to 4) its f32 factor g.
  const std::uint8_t* residual(std::uint32_t i) const { return res_ + std::size_t(i) * res_bytes_; }
  float residual_factor(std::uint32_t i) const {
    float g;
    std::memcpy(&g, residual(i) + res_bytes_ - 4, 4);
    return g;
  }
  /// A packed node's layer-0 links into out (M0 slots); returns the count.
  std::uint32_t unpack0(std::uint32_t i, std::uint32_t* out) const {
    const std::uint8_t* p = level0_ + std::size_t(i) * node_bytes_;
    std::uint32_t n = 0;
    for (; n < M0_; ++n) {
      std::uint32_t v;
      std::memcpy(&v, p + 3 * n, 4);  // the 4th byte is the next link's or a code's
      v &= 0xFFFFFFu;
      if (v == 0xFFFFFFu) break;
      out[n] = v;
    }
    return n;
  }
  /// Writes a packed node's layer-0 links (n <= M0), ending the list.
  void pack0(std::uint32_t i, const std::uint32_t* ids, std::uint32_t n) {
    std::uint8_t* p = level0_ + std::size_t(i) * node_bytes_;
    for (std::uint32_t j = 0; j < n; ++j) {
      p[3 * j] = std::uint8_t(ids[j]);
      p[3 * j + 1] = std::uint8_t(ids[j] >> 8);
      p[3 * j + 2] = std::uint8_t(ids[j] >> 16);
    }
    if (n < M0_) std::memset(p + 3 * n, 0xFF, 3 * std::size_t(M0_ - n));
  }
  std::uint32_t level_of(std::uint32_t i) const { return meta_[i] & 0x7Fu; }
  bool deleted(std::uint32_t i) const { return (meta_[i] & 0x80u) != 0; }

  // building
  [[nodiscard]] Status reserve(std::size_t capacity);
  [[nodiscard]] Status check_vectors(const float* v, std::size_t n) const;
  void store_vector(std::uint32_t node, const float* v, float* tmp);
  void insert(std::uint32_t node, Scratch& scratch);
  void connect(std::uint32_t node, std::uint32_t level, Scratch& scratch);
  void lock(std::uint32_t i) const;
  void unlock(std::uint32_t i) const;

  // id map
  std::uint32_t find(std::uint32_t id) const;  // internal node or UINT32_MAX
  [[nodiscard]] Status map_reserve(std::size_t n);
  void map_put(std::uint32_t id, std::uint32_t node);
  void map_erase(std::uint32_t id);

  // searching
 public:
  /// @internal for NodeScorer
  const float* vec_of(std::uint32_t i) const { return vec(i); }
  const std::int8_t* codes_of(std::uint32_t i) const { return codes(i); }
  float factor_of(std::uint32_t i) const { return factor(i); }

 private:
  /// qf: the query codes' factor (int8 indexes).
  NodeScorer<Index> scorer(const float* q, const std::int8_t* qc, float qf) const;
  bool use_exact(ExactMode mode, std::uint32_t ef) const;
  /// Writes the heap's items nearest first as ids and distances (k slots,
  /// unused ones NO_HIT / +Inf); empties the heap.
  void emit_hits(Heap<true>& h, Pair* tmp, std::uint32_t k, std::uint32_t* ids, float* dist) const;
  /// Flat scan of nodes [begin, end) into h, keeping the best `keep`; int8
  /// indexes rank by the int8 dot of the query codes qc (factor qf).
  void scan_range(const float* q, const std::int8_t* qc, float qf, std::uint32_t keep,
                  std::uint32_t begin, std::uint32_t end, Heap<true>& h) const;
  /// int8: keeps the heap's best `pool` by code, re-scores them with the f32
  /// query (against the f32 originals when kept, the codes and residuals
  /// when kept, else the codes) and keeps the best k. work: dim floats.
  void rerank(const float* q, std::uint32_t k, std::uint32_t pool, Heap<true>& h, Pair* tmp,
              float* work) const;
  template <bool kLocked, class NodeDist>
  void search_layer(const NodeDist& nd, std::uint32_t entry, float entry_d, std::size_t ef,
                    std::uint32_t level, Scratch& s) const;
  void search_one(const float* query, std::uint32_t k, std::uint32_t ef, std::uint32_t rerank,
                  ExactMode mode, Scratch& s, std::uint32_t* ids, float* dist) const;

  Params params_;
  std::uint32_t M0_;
  std::size_t links_bytes_;  // 4 + 4 * M0, or 3 * M0 when packed0()
  std::size_t vec_bytes_;
  std::size_t node_bytes_;
  std::size_t res_bytes_;               // Int8Res4: nibbles padded to 4, then the f32 g (else 0)
  kernels::DistanceFn dist_ = nullptr;  // f32 metric (cosine -> ip on unit vectors)
  double level_mult_;

  std::uint8_t* level0_ = nullptr;
  float* f32_ = nullptr;         // Int8F32: capacity x dim unit-length originals
  std::uint8_t* res_ = nullptr;  // Int8Res4: capacity x res_bytes_ residuals
  std::uint32_t* labels_ = nullptr;
  std::uint8_t* meta_ = nullptr;
  std::uint32_t* upper_off_ = nullptr;
  mutable std::uint8_t* locks_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t count_ = 0;
  std::size_t live_ = 0;

  std::uint32_t* upper_ = nullptr;
  std::size_t upper_size_ = 0, upper_cap_ = 0;

  std::uint32_t* map_ = nullptr;
  std::size_t map_cap_ = 0;  // power of two

  // Per-thread search scratch, kept between calls (visited marks stay
  // allocated; an epoch counter makes reuse O(1)).
  Scratch* scratch_for(unsigned threads, std::size_t ef) const;
  mutable Scratch* scratch_ = nullptr;
  mutable unsigned scratch_n_ = 0;

  std::uint32_t entry_ = 0;
  std::uint32_t max_level_ = 0;
  std::uint64_t rng_state_;
  std::mutex global_;
};

}  // namespace elex::hnsw

#endif  // ELEX_HNSW_H
