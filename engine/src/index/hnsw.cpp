// HNSW index: building and searching (see hnsw.h). Serialisation is in
// hnsw_io.cpp.
#include "elex/index/hnsw.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

#include "elex/kernels/quant.h"
#include "elex/kernels/vectors.h"
#include "hnsw_scratch.h"

namespace elex::hnsw {

namespace {

constexpr std::uint32_t kNone = 0xFFFFFFFFu;
constexpr float kInf = std::numeric_limits<float>::infinity();

std::uint64_t splitmix64(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::size_t map_home(std::uint32_t id, std::size_t cap) {
  return (std::size_t(id) * 0x9E3779B1u) & (cap - 1);
}

/// Normalises x into out (cosine); a zero vector stays zero.
void normalise(const float* x, std::uint32_t dim, float* out) {
  const float nn = kernels::dot(x, x, dim);
  const float inv = nn > 0.0f ? 1.0f / std::sqrt(nn) : 0.0f;
  for (std::uint32_t i = 0; i < dim; ++i) out[i] = x[i] * inv;
}

/// 1 - factor * sum(q_i * c_i): the f32 unit query against a node's codes.
float asymmetric(const float* q, const std::int8_t* c, std::uint32_t dim, float factor) {
  float s = 0.0f;
  for (std::uint32_t i = 0; i < dim; ++i) s += q[i] * static_cast<float>(c[i]);
  return 1.0f - factor * s;
}

}  // namespace

/// Scores stored nodes against a prepared query: one at a time, or a list
/// (four per pass where the metric has a four-way kernel).
template <class Ix>
struct NodeScorer {
  const Ix* ix;
  const float* q;         // f32 query (normalised for cosine)
  const std::int8_t* qc;  // int8 query codes (int8 indexes)
  std::uint32_t dim;
  int kind;  // 0: 1 - dot, 1: l2, 2: int8, 3: generic fn
  kernels::DistanceFn fn;
  float qf;  // int8: the query codes' factor (quant.h quantize_unit)

  /// Loads one float from every cache line of the listed vectors before any
  /// is scored, so their misses overlap (wasm has no prefetch instruction).
  void touch(const std::uint32_t* ids, std::uint32_t n) const {
    if (n < 2) return;
    const std::size_t bytes = kind == 2 ? dim : std::size_t(dim) * 4;
    float acc = 0.0f;
    for (std::uint32_t j = 0; j < n; ++j) {
      const auto* p = reinterpret_cast<const unsigned char*>(
          kind == 2 ? static_cast<const void*>(ix->codes_of(ids[j]))
                    : static_cast<const void*>(ix->vec_of(ids[j])));
      for (std::size_t b = 0; b < bytes; b += 64) acc += static_cast<float>(p[b]);
    }
    sink = acc;
  }
  static inline thread_local volatile float sink = 0.0f;

  float operator()(std::uint32_t n) const {
    switch (kind) {
      case 2:
        return 1.0f - qf * ix->factor_of(n) * float(quant::dot_i8(qc, ix->codes_of(n), dim));
      default:
        return fn(q, ix->vec_of(n), dim);
    }
  }

  void many(const std::uint32_t* ids, std::uint32_t n, float* out) const {
    std::uint32_t j = 0;
    if (kind == 2) {
      for (; j + 4 <= n; j += 4) {
        const std::int8_t* v[4] = {ix->codes_of(ids[j]), ix->codes_of(ids[j + 1]),
                                   ix->codes_of(ids[j + 2]), ix->codes_of(ids[j + 3])};
        std::int32_t dots[4];
        quant::dot4_i8(qc, v, dim, dots);
        for (int t = 0; t < 4; ++t)
          out[j + t] = 1.0f - qf * ix->factor_of(ids[j + t]) * float(dots[t]);
      }
    }
    if (kind == 0 || kind == 1) {
      for (; j + 4 <= n; j += 4) {
        const float* v[4] = {ix->vec_of(ids[j]), ix->vec_of(ids[j + 1]), ix->vec_of(ids[j + 2]),
                             ix->vec_of(ids[j + 3])};
        if (kind == 0) {
          kernels::dot4(q, v, dim, out + j);
          for (int t = 0; t < 4; ++t) out[j + t] = 1.0f - out[j + t];
        } else {
          kernels::l2sq4(q, v, dim, out + j);
        }
      }
    }
    for (; j < n; ++j) out[j] = (*this)(ids[j]);
  }
};

// ------------------------------------------------------------ construction

NodeScorer<Index> Index::scorer(const float* q, const std::int8_t* qc, float qf) const {
  int kind = 3;
  if (int8())
    kind = 2;
  else if (params_.metric == Metric::L2)
    kind = 1;
  else
    kind = 0;  // cosine (stored normalised) and inner product: 1 - dot
  return NodeScorer<Index>{this, q, qc, params_.dim, kind, dist_, qf};
}

Index::Index(const Params& p)
    : params_(p),
      M0_(2 * p.M),
      links_bytes_(p.quantization == Quantization::Int8 || p.quantization == Quantization::Int8Res4
                       ? 3 * std::size_t(2 * p.M)
                       : 4 + 4 * std::size_t(2 * p.M)),
      vec_bytes_(p.quantization != Quantization::None
                     ? ((std::size_t(p.dim) + 3) & ~std::size_t{3}) + 4  // codes, factor
                     : std::size_t(p.dim) * 4),
      node_bytes_(links_bytes_ + vec_bytes_),
      res_bytes_(p.quantization == Quantization::Int8Res4
                     ? ((quant::residual4_bytes(p.dim) + 3) & ~std::size_t{3}) + 4
                     : 0),
      level_mult_(1.0 / std::log(double(p.M))),
      rng_state_(0x5EED0000ull ^ p.seed) {
  dist_ = kernels::distance_fn(p.metric == Metric::Cosine ? Metric::InnerProduct : p.metric);
}

Status Index::create(const Params& p, Index** out) {
  if (out == nullptr) return fail(ELEX_E_INVALID_ARGUMENT, "index output pointer is null");
  if (p.dim == 0 || p.dim > vectors::kMaxDim)
    return fail(ELEX_E_INVALID_ARGUMENT, "dim %u is outside 1..%u", p.dim, vectors::kMaxDim);
  if (!valid_metric(static_cast<int>(p.metric)))
    return fail(ELEX_E_INVALID_ARGUMENT, "unknown metric %d", static_cast<int>(p.metric));
  if (p.M < 2 || p.M > kMaxM)
    return fail(ELEX_E_INVALID_ARGUMENT, "M %u is outside 2..%u", p.M, kMaxM);
  if (p.ef_construction < 1 || p.ef_construction > 100000)
    return fail(ELEX_E_INVALID_ARGUMENT, "efConstruction %u is outside 1..100000",
                p.ef_construction);
  if (p.quantization != Quantization::None && p.quantization != Quantization::Int8 &&
      p.quantization != Quantization::Int8F32 && p.quantization != Quantization::Int8Res4)
    return fail(ELEX_E_INVALID_ARGUMENT, "unknown quantization %u",
                static_cast<unsigned>(p.quantization));
  if (p.quantization != Quantization::None && p.metric != Metric::Cosine)
    return fail(ELEX_E_INVALID_ARGUMENT, "int8 quantization supports the cosine metric only");
  if (p.quantization != Quantization::None && p.dim > quant::kMaxDim)
    return fail(ELEX_E_INVALID_ARGUMENT, "int8 quantization supports dim up to %zu",
                quant::kMaxDim);
  auto* ix = new (std::nothrow) Index(p);
  if (ix == nullptr) return fail(ELEX_E_OUT_OF_MEMORY, "could not allocate an index");
  *out = ix;
  return ELEX_OK;
}

Index::~Index() {
  delete[] scratch_;
  std::free(level0_);
  std::free(f32_);
  std::free(res_);
  std::free(labels_);
  std::free(meta_);
  std::free(upper_off_);
  std::free(locks_);
  std::free(upper_);
  std::free(map_);
}

namespace {
template <class T>
bool grow(T*& p, std::size_t n) {
  auto* q = static_cast<T*>(std::realloc(p, n * sizeof(T)));
  if (q == nullptr) return false;
  p = q;
  return true;
}
}  // namespace

Status Index::reserve(std::size_t cap) {
  if (cap <= capacity_) return ELEX_OK;
  auto* l0 = static_cast<std::uint8_t*>(std::realloc(level0_, cap * node_bytes_));
  if (l0 == nullptr)
    return fail(ELEX_E_OUT_OF_MEMORY, "could not grow the index to %zu vectors (%zu bytes)", cap,
                cap * node_bytes_);
  level0_ = l0;
  if (params_.quantization == Quantization::Int8F32 && !grow(f32_, cap * params_.dim))
    return fail(ELEX_E_OUT_OF_MEMORY, "could not grow the f32 originals to %zu vectors", cap);
  if (res_bytes_ > 0 && !grow(res_, cap * res_bytes_))
    return fail(ELEX_E_OUT_OF_MEMORY, "could not grow the 4-bit residuals to %zu vectors", cap);
  if (!grow(labels_, cap) || !grow(meta_, cap) || !grow(upper_off_, cap) || !grow(locks_, cap))
    return fail(ELEX_E_OUT_OF_MEMORY, "could not grow the index to %zu vectors", cap);
  std::memset(locks_ + capacity_, 0, cap - capacity_);
  capacity_ = cap;
  return ELEX_OK;
}

Status Index::check_vectors(const float* v, std::size_t n) const {
  const std::size_t total = n * params_.dim;
  for (std::size_t i = 0; i < total; ++i)
    if (!std::isfinite(v[i]))
      return fail(ELEX_E_INVALID_ARGUMENT, "vector %zu has a NaN or infinite value at position %zu",
                  i / params_.dim, i % params_.dim);
  return ELEX_OK;
}

void Index::store_vector(std::uint32_t node, const float* v, float* tmp) {
  auto* dst = level0_ + std::size_t(node) * node_bytes_ + links_bytes_;
  const std::uint32_t dim = params_.dim;
  if (int8()) {
    if (f32_ != nullptr) tmp = f32_ + std::size_t(node) * dim;
    normalise(v, dim, tmp);
    std::memset(dst, 0, vec_bytes_);
    const float f = quant::quantize_unit(tmp, dim, reinterpret_cast<std::int8_t*>(dst));
    std::memcpy(dst + code_bytes(), &f, 4);
    if (res_ != nullptr) {
      std::uint8_t* r = res_ + std::size_t(node) * res_bytes_;
      std::memset(r, 0, res_bytes_);
      const float g = quant::quantize_residual4(tmp, dim, codes(node), r);
      std::memcpy(r + res_bytes_ - 4, &g, 4);
    }
  } else if (params_.metric == Metric::Cosine) {
    normalise(v, dim, reinterpret_cast<float*>(dst));
  } else {
    std::memcpy(dst, v, std::size_t(dim) * sizeof(float));
  }
}

std::uint32_t* Index::links_at(std::uint32_t i, std::uint32_t level) const {
  if (level == 0) return links0(i);
  return upper_ + upper_off_[i] + std::size_t(level - 1) * (1 + params_.M);
}

void Index::lock(std::uint32_t i) const {
  while (__atomic_test_and_set(&locks_[i], __ATOMIC_ACQUIRE)) {
  }
}
void Index::unlock(std::uint32_t i) const { __atomic_clear(&locks_[i], __ATOMIC_RELEASE); }

// ------------------------------------------------------------------ id map

std::uint32_t Index::find(std::uint32_t id) const {
  if (map_cap_ == 0) return kNone;
  for (std::size_t s = map_home(id, map_cap_);; s = (s + 1) & (map_cap_ - 1)) {
    const std::uint32_t v = map_[s];
    if (v == 0) return kNone;
    if (labels_[v - 1] == id) return v - 1;
  }
}

Status Index::map_reserve(std::size_t n) {
  // At most 3/4 full (a lookup probes ~4 slots when absent): the map is used
  // by add and remove only, never by search, so bytes matter more here.
  std::size_t want = 16;
  while (3 * want < 4 * n) want <<= 1;
  if (want <= map_cap_) return ELEX_OK;
  auto* fresh = static_cast<std::uint32_t*>(std::calloc(want, sizeof(std::uint32_t)));
  if (fresh == nullptr) return fail(ELEX_E_OUT_OF_MEMORY, "could not grow the id map");
  for (std::size_t s = 0; s < map_cap_; ++s) {
    if (map_[s] == 0) continue;
    std::size_t t = map_home(labels_[map_[s] - 1], want);
    while (fresh[t] != 0) t = (t + 1) & (want - 1);
    fresh[t] = map_[s];
  }
  std::free(map_);
  map_ = fresh;
  map_cap_ = want;
  return ELEX_OK;
}

void Index::map_put(std::uint32_t id, std::uint32_t node) {
  std::size_t s = map_home(id, map_cap_);
  while (map_[s] != 0) s = (s + 1) & (map_cap_ - 1);
  map_[s] = node + 1;
}

void Index::map_erase(std::uint32_t id) {
  const std::size_t mask = map_cap_ - 1;
  std::size_t i = map_home(id, map_cap_);
  while (map_[i] != 0 && labels_[map_[i] - 1] != id) i = (i + 1) & mask;
  if (map_[i] == 0) return;
  map_[i] = 0;
  // Backward-shift deletion keeps every probe chain unbroken.
  for (std::size_t j = (i + 1) & mask; map_[j] != 0; j = (j + 1) & mask) {
    const std::size_t k = map_home(labels_[map_[j] - 1], map_cap_);
    const bool stays = (i <= j) ? (i < k && k <= j) : (i < k || k <= j);
    if (stays) continue;
    map_[i] = map_[j];
    map_[j] = 0;
    i = j;
  }
}

bool Index::contains(std::uint32_t id) const {
  const std::uint32_t n = find(id);
  return n != kNone && !deleted(n);
}

// ---------------------------------------------------------------- distances

/// The layer search of the paper (Algorithm 2) with a visited set. Results
/// exclude removed nodes, which still route. kLocked: copy each link list
/// under its node's lock (concurrent inserts); kSkipDeleted: see above.
template <bool kLocked, class NodeDist>
void Index::search_layer(const NodeDist& nd, std::uint32_t entry, float entry_d, std::size_t ef,
                         std::uint32_t level, Scratch& s) const {
  s.results.clear();
  s.candidates.clear();
  s.new_visit();
  s.visit(entry);
  s.candidates.push({entry_d, entry});
  const bool skip_deleted = !kLocked;  // construction links to removed nodes too
  if (!(skip_deleted && deleted(entry))) s.results.push({entry_d, entry});
  std::uint32_t buf[2 * kMaxM + 1];
  while (!s.candidates.empty()) {
    const Pair c = s.candidates.top();
    if (s.results.size() >= ef && c.d > s.results.top().d) break;
    s.candidates.pop();
    std::uint32_t cnt;
    const std::uint32_t* ids;
    if (level == 0 && packed0()) {
      if constexpr (kLocked) lock(c.id);
      cnt = unpack0(c.id, buf);
      if constexpr (kLocked) unlock(c.id);
      ids = buf;
    } else if constexpr (kLocked) {
      const std::uint32_t* l = links_at(c.id, level);
      lock(c.id);
      cnt = l[0];
      std::memcpy(buf, l + 1, cnt * sizeof(std::uint32_t));
      unlock(c.id);
      ids = buf;
    } else {
      const std::uint32_t* l = links_at(c.id, level);
      cnt = l[0];
      ids = l + 1;
    }
    // Gather the unvisited neighbours, then score them in groups of four:
    // four independent vector loads in flight (wasm has no prefetch).
    std::uint32_t fresh[2 * kMaxM];
    std::uint32_t nf = 0;
    for (std::uint32_t j = 0; j < cnt; ++j)
      if (!s.visit(ids[j])) fresh[nf++] = ids[j];
    float dists[2 * kMaxM];
    if constexpr (!kLocked) nd.touch(fresh, nf);  // queries only: measured no gain for builds
    nd.many(fresh, nf, dists);
    for (std::uint32_t j = 0; j < nf; ++j) {
      const std::uint32_t n = fresh[j];
      const float d = dists[j];
      if (s.results.size() < ef || d < s.results.top().d) {
        if (!s.candidates.push({d, n})) s.oom = true;
        if (!(skip_deleted && deleted(n))) {
          if (s.results.size() < ef) {
            if (!s.results.push({d, n})) s.oom = true;
          } else {
            s.results.replace_top({d, n});  // d beats the worst kept
          }
        }
      }
    }
  }
}

// ------------------------------------------------------------------ insert

namespace {

/// Malkov & Yashunin, Algorithm 4 (keepPrunedConnections = false): keeps a
/// candidate only if it is closer to the base than to every kept one. The
/// kept ones are checked four at a time (`many` scores a list against one
/// node), stopping at the first group that rules the candidate out.
template <class Many>
std::uint32_t select_heuristic(Pair* sorted, std::uint32_t n, std::uint32_t m, Pair* out,
                               const Many& many) {
  std::uint32_t kept = 0;
  std::uint32_t kept_ids[2 * kMaxM + 1];
  for (std::uint32_t i = 0; i < n && kept < m; ++i) {
    bool good = true;
    for (std::uint32_t j = 0; j < kept && good; j += 4) {
      const std::uint32_t g = kept - j < 4 ? kept - j : 4;
      float d[4];
      many(sorted[i].id, kept_ids + j, g, d);
      for (std::uint32_t t = 0; t < g; ++t) good &= !(d[t] < sorted[i].d);
    }
    if (good) {
      out[kept] = sorted[i];
      kept_ids[kept++] = sorted[i].id;
    }
  }
  return kept;
}

/// Offers p to a max-heap that keeps the k nearest seen.
inline void keep_best(Heap<true>& h, Pair p, std::uint32_t k) {
  if (h.size() < k) {
    h.push(p);
  } else if (p.d < h.top().d) {
    h.replace_top(p);
  }
}

bool by_distance(const Pair& a, const Pair& b) { return a.d < b.d || (a.d == b.d && a.id < b.id); }

}  // namespace

void Index::connect(std::uint32_t node, std::uint32_t level, Scratch& s) {
  // Results heap -> ascending array.
  Pair* cand = s.tmp();
  std::uint32_t n = 0;
  while (!s.results.empty()) {
    cand[n++] = s.results.top();
    s.results.pop();
  }
  std::reverse(cand, cand + n);
  // Scores `count` stored nodes against stored node `base`.
  auto many = [this](std::uint32_t base, const std::uint32_t* ids, std::uint32_t count,
                     float* out) {
    scorer(vec(base), codes(base), int8() ? factor(base) : 0.0f).many(ids, count, out);
  };
  Pair* sel = s.sel();
  const std::uint32_t kept = select_heuristic(cand, n, params_.M, sel, many);
  const std::uint32_t cap = level == 0 ? M0_ : params_.M;

  const bool packed = level == 0 && packed0();
  // A packed list is edited as u32 {count, links...} in `wide`, then packed back.
  std::uint32_t wide[2 * kMaxM + 1];
  lock(node);
  std::uint32_t* own = packed ? wide : links_at(node, level);
  own[0] = kept;
  for (std::uint32_t i = 0; i < kept; ++i) own[1 + i] = sel[i].id;
  if (packed) pack0(node, own + 1, kept);
  unlock(node);

  for (std::uint32_t i = 0; i < kept; ++i) {
    const std::uint32_t nb = sel[i].id;
    lock(nb);
    std::uint32_t* l = packed ? wide : links_at(nb, level);
    if (packed) wide[0] = unpack0(nb, wide + 1);
    const std::uint32_t cnt = l[0];
    bool present = false;
    for (std::uint32_t j = 0; j < cnt; ++j) present |= l[1 + j] == node;
    if (!present) {
      if (cnt < cap) {
        l[1 + cnt] = node;
        l[0] = cnt + 1;
      } else {
        // Full: re-select the neighbour's links among old ones + node.
        Pair local[2 * kMaxM + 1], pick[2 * kMaxM + 1];
        float d[2 * kMaxM];
        many(nb, l + 1, cnt, d);
        local[0] = {sel[i].d, node};
        for (std::uint32_t j = 0; j < cnt; ++j) local[1 + j] = {d[j], l[1 + j]};
        std::sort(local, local + cnt + 1, by_distance);
        const std::uint32_t k = select_heuristic(local, cnt + 1, cap, pick, many);
        l[0] = k;
        for (std::uint32_t j = 0; j < k; ++j) l[1 + j] = pick[j].id;
      }
      if (packed) pack0(nb, l + 1, l[0]);
    }
    unlock(nb);
  }
  // The nearest candidate is the entry for the next layer down.
  s.results.clear();
  if (n > 0) s.results.push(cand[0]);
}

void Index::insert(std::uint32_t node, Scratch& s) {
  const std::uint32_t level = level_of(node);
  std::unique_lock<std::mutex> global(global_, std::defer_lock);
  std::uint32_t top, cur;
  {
    std::lock_guard<std::mutex> g(global_);
    top = max_level_;
    cur = entry_;
  }
  if (level > top) global.lock();  // this node may become the entry point
  if (global.owns_lock()) top = max_level_, cur = entry_;

  const NodeScorer<Index> nd = scorer(vec(node), codes(node), int8() ? factor(node) : 0.0f);
  float d = nd(cur);
  for (std::uint32_t l = top; l > level; --l) {
    for (bool changed = true; changed;) {
      changed = false;
      lock(cur);
      std::uint32_t* ll = links_at(cur, l);
      std::uint32_t buf[kMaxM + 1];
      const std::uint32_t cnt = ll[0];
      std::memcpy(buf, ll + 1, cnt * sizeof(std::uint32_t));
      unlock(cur);
      for (std::uint32_t j = 0; j < cnt; ++j) {
        const float dj = nd(buf[j]);
        if (dj < d) d = dj, cur = buf[j], changed = true;
      }
    }
  }
  for (std::uint32_t l = std::min(level, top) + 1; l-- > 0;) {
    search_layer<true>(nd, cur, d, params_.ef_construction, l, s);
    if (s.results.empty()) break;
    connect(node, l, s);
    if (!s.results.empty()) cur = s.results.top().id, d = s.results.top().d;
  }
  if (level > top) {
    entry_ = node;
    max_level_ = level;
  }
}

Status Index::reserve_items(std::size_t items) {
  if (items >= 0x7FFFFFFFu)
    return fail(ELEX_E_INVALID_ARGUMENT, "an index holds at most 2^31 - 2 vectors");
  if (packed0() && items > kMaxPackedNodes)
    return fail(ELEX_E_INVALID_ARGUMENT,
                "an int8 index holds at most %u vectors, removed ones included (24-bit links)",
                kMaxPackedNodes);
  if (Status st = reserve(items); st != ELEX_OK) return st;
  // Upper layers: a node reaches level l with probability M^-l, so the
  // expected blocks above level 0 are items / (M - 1); room for half again.
  const std::size_t upper_want =
      items * (1 + params_.M) * 3 / (2 * std::max<std::size_t>(1, params_.M - 1));
  if (upper_want > upper_cap_) {
    if (!grow(upper_, upper_want))
      return fail(ELEX_E_OUT_OF_MEMORY, "could not grow the upper layers");
    upper_cap_ = upper_want;
  }
  return map_reserve(items);
}

Status Index::add(const std::uint32_t* ids, const float* v, std::size_t n, ThreadPool* pool) {
  if (n == 0) return ELEX_OK;
  if (ids == nullptr || v == nullptr)
    return fail(ELEX_E_INVALID_ARGUMENT, "ids or vectors are null");
  if (count_ + n >= 0x7FFFFFFFu)
    return fail(ELEX_E_INVALID_ARGUMENT, "an index holds at most 2^31 - 2 vectors");
  if (packed0() && count_ + n > kMaxPackedNodes)
    return fail(ELEX_E_INVALID_ARGUMENT,
                "an int8 index holds at most %u vectors, removed ones included (24-bit links); "
                "use 'int8+f32' or 'none' for more",
                kMaxPackedNodes);
  if (Status st = check_vectors(v, n); st != ELEX_OK) return st;
  // Duplicates: against the index, and within the batch.
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t node = find(ids[i]);
    if (node != kNone && !deleted(node))
      return fail(ELEX_E_DUPLICATE_ID, "id %u is already in the index", ids[i]);
  }
  {
    auto* sorted = static_cast<std::uint32_t*>(std::malloc(n * sizeof(std::uint32_t)));
    if (sorted == nullptr) return fail(ELEX_E_OUT_OF_MEMORY, "could not check ids");
    std::memcpy(sorted, ids, n * sizeof(std::uint32_t));
    std::sort(sorted, sorted + n);
    const std::uint32_t* dup = std::adjacent_find(sorted, sorted + n);
    const bool has_dup = dup != sorted + n;
    const std::uint32_t dup_id = has_dup ? *dup : 0;
    std::free(sorted);
    if (has_dup) return fail(ELEX_E_DUPLICATE_ID, "id %u appears twice in one add", dup_id);
  }
  // Capacity: exact for the first batch, then grow by half.
  std::size_t cap = capacity_ == 0 ? count_ + n : std::max(count_ + n, capacity_ + capacity_ / 2);
  if (cap > count_ + n && count_ + n <= capacity_) cap = capacity_;
  if (Status st = reserve(cap); st != ELEX_OK) return st;
  if (Status st = map_reserve(count_ + n); st != ELEX_OK) return st;

  const unsigned threads = pool ? pool->size() : 1;
  Scratch* scratch = new (std::nothrow) Scratch[threads];
  if (scratch == nullptr) return fail(ELEX_E_OUT_OF_MEMORY, "could not allocate search scratch");
  for (unsigned t = 0; t < threads; ++t)
    if (!scratch[t].prepare(count_ + n, params_.dim, params_.ef_construction, M0_)) {
      delete[] scratch;
      return fail(ELEX_E_OUT_OF_MEMORY, "could not allocate search scratch");
    }

  // Levels and upper-layer blocks, sequentially (reproducible, and the
  // parallel phase never reallocates).
  std::size_t upper_need = upper_size_;
  const std::size_t first = count_;
  for (std::size_t i = 0; i < n; ++i) {
    const double u = (double(splitmix64(rng_state_) >> 11) + 0.5) * 0x1.0p-53;
    std::uint32_t level = static_cast<std::uint32_t>(-std::log(u) * level_mult_);
    if (level > kMaxLevel) level = kMaxLevel;
    meta_[first + i] = static_cast<std::uint8_t>(level);
    upper_off_[first + i] = level ? static_cast<std::uint32_t>(upper_need) : 0;
    upper_need += std::size_t(level) * (1 + params_.M);
  }
  if (upper_need > upper_cap_) {
    const std::size_t want = std::max(upper_need, upper_cap_ + upper_cap_ / 2);
    if (!grow(upper_, want)) {
      delete[] scratch;
      return fail(ELEX_E_OUT_OF_MEMORY, "could not grow the upper layers");
    }
    upper_cap_ = want;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const auto node = static_cast<std::uint32_t>(first + i);
    labels_[node] = ids[i];
    const std::uint32_t old = find(ids[i]);
    if (old != kNone) map_erase(ids[i]);  // a removed id being re-added
    map_put(ids[i], node);
    // Zero every link slot: unused ones are serialised too (reproducible
    // bytes). A packed list is ended by all-ones instead.
    std::memset(level0_ + std::size_t(node) * node_bytes_, packed0() ? 0xFF : 0, links_bytes_);
    if (level_of(node) > 0)
      std::memset(links_at(node, 1), 0,
                  std::size_t(level_of(node)) * (1 + params_.M) * sizeof(std::uint32_t));
    store_vector(node, v + i * params_.dim, scratch[0].query());
  }
  upper_size_ = upper_need;
  const bool was_empty = count_ == 0;
  count_ += n;
  live_ += n;

  std::size_t start = first;
  if (was_empty) {
    entry_ = static_cast<std::uint32_t>(first);
    max_level_ = level_of(entry_);
    ++start;
  }
  const std::size_t todo = first + n - start;
  if (threads > 1 && todo > 1) {
    pool->parallel_for(todo, 1, [&](std::size_t b, std::size_t e, unsigned t) {
      for (std::size_t i = b; i < e; ++i) insert(static_cast<std::uint32_t>(start + i), scratch[t]);
    });
  } else {
    for (std::size_t i = start; i < first + n; ++i)
      insert(static_cast<std::uint32_t>(i), scratch[0]);
  }
  bool oom = false;
  for (unsigned t = 0; t < threads; ++t) oom |= scratch[t].oom;
  delete[] scratch;
  if (oom)
    return fail(ELEX_E_OUT_OF_MEMORY,
                "memory ran out while linking new vectors; they were added with fewer links");
  return ELEX_OK;
}

Status Index::remove(const std::uint32_t* ids, std::size_t n, std::size_t* removed) {
  std::size_t r = 0;
  if (n > 0 && ids == nullptr) return fail(ELEX_E_INVALID_ARGUMENT, "ids are null");
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t node = find(ids[i]);
    if (node == kNone || deleted(node)) continue;
    meta_[node] |= 0x80u;
    --live_;
    ++r;
  }
  if (removed) *removed = r;
  return ELEX_OK;
}

Status Index::compacted(Index** out) const {
  if (out == nullptr) return fail(ELEX_E_INVALID_ARGUMENT, "output is null");
  *out = nullptr;
  if (int8()) return fail(ELEX_E_INVALID_ARGUMENT, "only an f32 index can be compacted");
  Index* ix = nullptr;
  if (Status s = create(params_, &ix); s != ELEX_OK) return s;
  const std::size_t dim = params_.dim;
  auto* ids = static_cast<std::uint32_t*>(std::malloc(sizeof(std::uint32_t) * (live_ + 1)));
  auto* vecs = static_cast<float*>(std::malloc(sizeof(float) * (live_ * dim + 1)));
  Status st = ids && vecs ? ELEX_OK : fail(ELEX_E_OUT_OF_MEMORY, "no memory to compact an index");
  std::size_t n = 0;
  for (std::size_t node = 0; st == ELEX_OK && node < count_; ++node) {
    if (deleted(std::uint32_t(node))) continue;
    ids[n] = labels_[node];
    std::memcpy(vecs + n * dim, vec(std::uint32_t(node)), dim * sizeof(float));
    ++n;
  }
  if (st == ELEX_OK && n > 0) st = ix->reserve_items(n);
  if (st == ELEX_OK && n > 0) st = ix->add(ids, vecs, n, nullptr);
  std::free(ids);
  std::free(vecs);
  if (st != ELEX_OK) {
    delete ix;
    return st;
  }
  *out = ix;
  return ELEX_OK;
}

// ------------------------------------------------------------------ search

void Index::search_one(const float* query, std::uint32_t k, std::uint32_t ef,
                       std::uint32_t rerank_pool, ExactMode mode, Scratch& s,
                       std::uint32_t* out_ids, float* out_d) const {
  const std::uint32_t dim = params_.dim;
  const bool int8 = this->int8();
  float* q = s.query();
  if (params_.metric == Metric::Cosine)
    normalise(query, dim, q);
  else
    std::memcpy(q, query, dim * sizeof(float));
  const float qf = int8 ? quant::quantize_unit(q, dim, s.codes()) : 0.0f;

  const bool exact = use_exact(mode, ef);
  Pair* best = s.tmp();
  if (exact) {
    s.results.clear();
    // int8: the best by the int8 dot go on to the re-rank below.
    scan_range(q, s.codes(), qf, int8 ? rerank_pool : k, 0, static_cast<std::uint32_t>(count_),
               s.results);
  } else {
    const NodeScorer<Index> nd = scorer(q, s.codes(), qf);
    std::uint32_t cur = entry_;
    float d = nd(cur);
    for (std::uint32_t l = max_level_; l > 0; --l) {
      for (bool changed = true; changed;) {
        changed = false;
        const std::uint32_t* ll = links_at(cur, l);
        for (std::uint32_t j = 0; j < ll[0]; ++j) {
          const float dj = nd(ll[1 + j]);
          if (dj < d) d = dj, cur = ll[1 + j], changed = true;
        }
      }
    }
    search_layer<false>(nd, cur, d, std::max(ef, k), 0, s);
  }
  if (int8) rerank(q, k, rerank_pool, s.results, best, s.decoded());
  while (s.results.size() > k) s.results.pop();
  emit_hits(s.results, best, k, out_ids, out_d);
}

void Index::rerank(const float* q, std::uint32_t k, std::uint32_t pool, Heap<true>& h, Pair* tmp,
                   float* work) const {
  while (h.size() > pool) h.pop();
  std::uint32_t n = 0;
  const std::uint32_t dim = params_.dim;
  if (f32_ != nullptr || res_ != nullptr) {
    // Start the originals' (residuals') cache lines loading: overlapped misses.
    const auto* base = f32_ != nullptr ? reinterpret_cast<const std::uint8_t*>(f32_) : res_;
    const std::size_t stride = f32_ != nullptr ? std::size_t(dim) * 4 : res_bytes_;
    float acc = 0.0f;
    for (std::size_t i = 0; i < h.size(); ++i)
      for (std::size_t j = 0; j < stride; j += 64) acc += float(base[h.data()[i].id * stride + j]);
    NodeScorer<Index>::sink = acc;
  }
  while (!h.empty()) {
    const std::uint32_t id = h.top().id;
    h.pop();
    if (res_ != nullptr) quant::decode_residual4(codes(id), residual(id), dim, work);
    const float d = f32_ != nullptr   ? 1.0f - kernels::dot(q, f32_ + std::size_t(id) * dim, dim)
                    : res_ != nullptr ? 1.0f - residual_factor(id) * kernels::dot(q, work, dim)
                                      : asymmetric(q, codes(id), dim, factor(id));
    tmp[n++] = {d, id};
  }
  for (std::uint32_t i = 0; i < n; ++i) keep_best(h, tmp[i], k);
}

void Index::emit_hits(Heap<true>& h, Pair* tmp, std::uint32_t k, std::uint32_t* ids,
                      float* dist) const {
  std::uint32_t found = 0;
  while (!h.empty()) {
    tmp[found++] = h.top();
    h.pop();
  }
  std::reverse(tmp, tmp + found);
  for (std::uint32_t i = 0; i < k; ++i) {
    ids[i] = i < found ? labels_[tmp[i].id] : kNone;
    dist[i] = i < found ? tmp[i].d : kInf;
  }
}

Status Index::search(const float* queries, std::size_t nq, std::uint32_t k, std::uint32_t ef,
                     ExactMode mode, std::uint32_t* out_ids, float* out_dist, ThreadPool* pool,
                     std::uint32_t rerank_pool) const {
  if (k == 0 || k > kMaxK) return fail(ELEX_E_INVALID_ARGUMENT, "k %u is outside 1..%u", k, kMaxK);
  if (live_ == 0) return fail(ELEX_E_EMPTY_INDEX, "the index is empty: add vectors first");
  if (k > live_)
    return fail(ELEX_E_INVALID_ARGUMENT, "k %u is larger than the %zu items in the index", k,
                live_);
  if (nq == 0) return ELEX_OK;
  if (queries == nullptr || out_ids == nullptr || out_dist == nullptr)
    return fail(ELEX_E_INVALID_ARGUMENT, "queries or outputs are null");
  if (mode != ExactMode::Auto && mode != ExactMode::Never && mode != ExactMode::Always)
    return fail(ELEX_E_INVALID_ARGUMENT, "unknown exact mode %u", static_cast<unsigned>(mode));
  if (Status st = check_vectors(queries, nq); st != ELEX_OK) return st;
  if (ef < k) ef = k;  // documented clamp
  if (rerank_pool > 100000)
    return fail(ELEX_E_INVALID_ARGUMENT, "rerank %u is outside 0..100000", rerank_pool);
  if (rerank_pool == 0) rerank_pool = default_rerank(k);
  rerank_pool = std::max(rerank_pool, k);
  const unsigned threads = pool && nq > 1 ? std::min<std::size_t>(pool->size(), nq) : 1;
  const std::size_t width = std::max(ef, rerank_pool);  // heap and temporaries per thread
  Scratch* scratch = scratch_for(threads, width);
  if (scratch == nullptr) return fail(ELEX_E_OUT_OF_MEMORY, "could not allocate search scratch");
  if (nq == 1 && pool && pool->size() > 1 && count_ >= kSplitScanAbove && use_exact(mode, ef)) {
    // One exact query over a large index: each thread scans a slice of the
    // nodes into its own top-k, then the lists are merged.
    Scratch* all = scratch_for(pool->size(), width);
    if (all == nullptr) return fail(ELEX_E_OUT_OF_MEMORY, "could not allocate search scratch");
    float* q = all[0].query();
    if (params_.metric == Metric::Cosine)
      normalise(queries, params_.dim, q);
    else
      std::memcpy(q, queries, params_.dim * sizeof(float));
    const bool int8 = this->int8();
    const float qf = int8 ? quant::quantize_unit(q, params_.dim, all[0].codes()) : 0.0f;
    const std::uint32_t keep = int8 ? rerank_pool : k;
    for (unsigned t = 0; t < pool->size(); ++t) all[t].results.clear();
    const std::size_t grain = (count_ + pool->size() * 4 - 1) / (pool->size() * 4);
    pool->parallel_for(count_, grain, [&](std::size_t b, std::size_t e, unsigned t) {
      scan_range(q, all[0].codes(), qf, keep, static_cast<std::uint32_t>(b),
                 static_cast<std::uint32_t>(e), all[t].results);
    });
    Heap<true>& merged = all[0].results;
    for (unsigned t = 1; t < pool->size(); ++t) {
      while (!all[t].results.empty()) {
        keep_best(merged, all[t].results.top(), keep);
        all[t].results.pop();
      }
    }
    if (int8) rerank(q, k, rerank_pool, merged, all[0].tmp(), all[0].decoded());
    emit_hits(merged, all[0].tmp(), k, out_ids, out_dist);
    return ELEX_OK;
  }
  auto run = [&](std::size_t b, std::size_t e, unsigned t) {
    for (std::size_t i = b; i < e; ++i)
      search_one(queries + i * params_.dim, k, ef, rerank_pool, mode, scratch[t], out_ids + i * k,
                 out_dist + i * k);
  };
  if (threads > 1)
    pool->parallel_for(nq, 1, run);
  else
    run(0, nq, 0);
  bool oom = false;
  for (unsigned t = 0; t < threads; ++t) oom |= scratch[t].oom, scratch[t].oom = false;
  if (oom) return fail(ELEX_E_OUT_OF_MEMORY, "memory ran out during the search");
  return ELEX_OK;
}

Scratch* Index::scratch_for(unsigned threads, std::size_t ef) const {
  if (threads > scratch_n_) {
    auto* fresh = new (std::nothrow) Scratch[threads];
    if (fresh == nullptr) return nullptr;
    delete[] scratch_;
    scratch_ = fresh;
    scratch_n_ = threads;
  }
  for (unsigned t = 0; t < threads; ++t)
    if (!scratch_[t].prepare(count_, params_.dim, ef, M0_)) return nullptr;
  return scratch_;
}

bool Index::use_exact(ExactMode mode, std::uint32_t ef) const {
  return mode == ExactMode::Always ||
         (mode == ExactMode::Auto && (live_ <= kExactBelow || std::size_t(ef) * M0_ >= live_));
}

void Index::scan_range(const float* q, const std::int8_t* qc, float qf, std::uint32_t keep,
                       std::uint32_t begin, std::uint32_t end, Heap<true>& h) const {
  const std::uint32_t dim = params_.dim;
  // Most nodes lose to the current worst kept: scores come a block at a
  // time from one kernel call, a block whose best loses is skipped with one
  // test, and only the few winners touch the heap.
  float bound = h.size() >= keep ? h.top().d : kInf;
  auto offer = [&](float d, std::uint32_t i) {
    if (!(d < bound) || deleted(i)) return;
    keep_best(h, {d, i}, keep);
    if (h.size() >= keep) bound = h.top().d;
  };
  // score(b, nb, dots) fills a block's raw scores; distance(x) maps one to
  // a distance that falls as x grows, so a block's best is its largest.
  constexpr std::uint32_t kBlock = 64;
  auto blocks = [&](auto* dots, auto&& score, auto&& distance) {
    for (std::uint32_t b = begin; b < end; b += kBlock) {
      const std::uint32_t nb = std::min(kBlock, end - b);
      score(b, nb, dots);
      auto hi = dots[0];
      for (std::uint32_t j = 1; j < nb; ++j) hi = dots[j] > hi ? dots[j] : hi;
      if (!(distance(hi) < bound)) continue;
      for (std::uint32_t j = 0; j < nb; ++j) offer(distance(dots[j]), b + j);
    }
  };
  if (int8()) {
    // 1 - qf * f_i * dot_i8, as the graph search scores.
    float dots[kBlock];
    std::int32_t raw[kBlock];
    blocks(
        dots,
        [&](std::uint32_t b, std::uint32_t nb, float* out) {
          quant::dots_i8(qc, codes(b), node_bytes_, nb, dim, raw);
          for (std::uint32_t j = 0; j < nb; ++j) out[j] = qf * factor(b + j) * float(raw[j]);
        },
        [](float x) { return 1.0f - x; });
    return;
  }
  if (params_.metric != Metric::L2) {
    float dots[kBlock];  // 1 - dot (cosine vectors are stored unit length)
    blocks(
        dots,
        [&](std::uint32_t b, std::uint32_t nb, float* out) {
          kernels::dots(q, vec(b), node_bytes_, nb, dim, out);
        },
        [](float x) { return 1.0f - x; });
    return;
  }
  for (std::uint32_t i = begin; i < end; ++i) offer(dist_(q, vec(i), dim), i);
}

std::size_t Index::add_bytes(std::size_t n) const {
  if (n == 0) return 0;
  std::size_t grown = 0;
  // The arenas, as add() sizes them.
  std::size_t cap = capacity_ == 0 ? count_ + n : std::max(count_ + n, capacity_ + capacity_ / 2);
  if (cap > count_ + n && count_ + n <= capacity_) cap = capacity_;
  if (cap > capacity_) {
    const std::size_t slot = node_bytes_ + 4 + 1 + 4 + 1 +
                             (f32_ != nullptr || params_.quantization == Quantization::Int8F32
                                  ? params_.dim * sizeof(float)
                                  : 0) +
                             res_bytes_;
    grown += (cap - capacity_) * slot;
  }
  // The id map, as map_reserve() sizes it.
  std::size_t want = 16;
  while (3 * want < 4 * (count_ + n)) want <<= 1;
  if (want > map_cap_) grown += (want - map_cap_) * 4;
  // Upper layers: a node's expected level is 1 / (M - 1), each level a
  // block of 1 + M links; twice that, for the draws.
  const std::size_t m = std::max<std::size_t>(2, params_.M);
  const std::size_t need = upper_size_ + 2 * n * (1 + m) / (m - 1) + 2 * (1 + m);
  if (need > upper_cap_) grown += (std::max(need, upper_cap_ + upper_cap_ / 2) - upper_cap_) * 4;
  return grown;
}

std::size_t Index::bytes_for(std::size_t items) const {
  const std::size_t slot =
      node_bytes_ + 4 + 1 + 4 + 1 +
      (params_.quantization == Quantization::Int8F32 ? params_.dim * sizeof(float) : 0) +
      res_bytes_;
  std::size_t map = 16;  // as map_reserve()
  while (3 * map < 4 * items) map <<= 1;
  const std::size_t upper =  // as reserve_items()
      items * (1 + params_.M) * 3 / (2 * std::max<std::size_t>(1, params_.M - 1));
  return sizeof(Index) + items * slot + upper * 4 + map * 4;
}

Stats Index::stats() const {
  Stats st{};
  st.nodes = count_;
  st.live = live_;
  st.bytes = sizeof(Index) + capacity_ * (node_bytes_ + 4 + 1 + 4 + 1) + upper_cap_ * 4 +
             map_cap_ * 4 + (f32_ != nullptr ? capacity_ * params_.dim * sizeof(float) : 0) +
             capacity_ * res_bytes_;
  st.max_level = max_level_;
  st.dim = params_.dim;
  st.M = params_.M;
  st.ef_construction = params_.ef_construction;
  st.metric = params_.metric;
  st.quantization = params_.quantization;
  return st;
}

}  // namespace elex::hnsw
