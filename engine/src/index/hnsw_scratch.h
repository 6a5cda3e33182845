// Per-thread scratch space for HNSW: visited marks, the two heaps of the
// layer search, the prepared query and temporaries. Everything is malloc'ed
// once and grown with checks, so running out of memory is a status, never
// an abort. Internal to the engine (not an installed header).
#ifndef ELEX_HNSW_SCRATCH_H
#define ELEX_HNSW_SCRATCH_H

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace elex::hnsw {

struct Pair {
  float d;
  std::uint32_t id;
};

/// A binary heap of Pair on a growable malloc'ed array. Max-heap on d when
/// kMax, else min-heap.
template <bool kMax>
class Heap {
 public:
  Heap() = default;
  Heap(const Heap&) = delete;
  Heap& operator=(const Heap&) = delete;
  ~Heap() { std::free(a_); }

  bool reserve(std::size_t n) {
    if (n <= cap_) return true;
    auto* p = static_cast<Pair*>(std::realloc(a_, n * sizeof(Pair)));
    if (p == nullptr) return false;
    a_ = p;
    cap_ = n;
    return true;
  }
  void clear() { n_ = 0; }
  std::size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  const Pair& top() const { return a_[0]; }
  Pair* data() { return a_; }

  /// False if the heap could not grow (the item is dropped).
  bool push(Pair x) {
    if (n_ == cap_ && !reserve(cap_ < 16 ? 32 : cap_ * 2)) return false;
    std::size_t i = n_++;
    while (i > 0) {
      const std::size_t parent = (i - 1) / 2;
      if (!before(x, a_[parent])) break;
      a_[i] = a_[parent];
      i = parent;
    }
    a_[i] = x;
    return true;
  }

  void pop() {
    const Pair last = a_[--n_];
    if (n_ > 0) sift_down(last);
  }

  /// pop() then push(x) in one sift (the heap must not be empty).
  void replace_top(Pair x) { sift_down(x); }

 private:
  static bool before(const Pair& x, const Pair& y) { return kMax ? x.d > y.d : x.d < y.d; }
  /// Puts x at the root's place and moves it down to where it belongs.
  void sift_down(Pair x) {
    std::size_t i = 0;
    for (;;) {
      std::size_t c = 2 * i + 1;
      if (c >= n_) break;
      if (c + 1 < n_ && before(a_[c + 1], a_[c])) ++c;
      if (!before(a_[c], x)) break;
      a_[i] = a_[c];
      i = c;
    }
    a_[i] = x;
  }
  Pair* a_ = nullptr;
  std::size_t n_ = 0, cap_ = 0;
};

class Scratch {
 public:
  Scratch() = default;
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() {
    std::free(marks_);
    std::free(query_);
    std::free(codes_);
    std::free(tmp_);
    std::free(sel_);
  }

  /// Sizes everything for an index of `nodes` slots, `dim` dimensions and
  /// searches with up to `ef` results. False when memory ran out.
  bool prepare(std::size_t nodes, std::uint32_t dim, std::size_t ef, std::size_t m0) {
    if (nodes > marks_cap_) {
      auto* p = static_cast<std::uint16_t*>(std::realloc(marks_, nodes * sizeof(std::uint16_t)));
      if (p == nullptr) return false;
      std::memset(p + marks_cap_, 0, (nodes - marks_cap_) * sizeof(std::uint16_t));
      marks_ = p;
      marks_cap_ = nodes;
    }
    if (dim > dim_) {
      auto* q = static_cast<float*>(std::realloc(query_, 2 * dim * sizeof(float)));
      if (q == nullptr) return false;
      query_ = q;
      auto* c = static_cast<std::int8_t*>(std::realloc(codes_, dim + 16));
      if (c == nullptr) return false;
      codes_ = c;
      dim_ = dim;
    }
    const std::size_t t = ef + m0 + 2;
    if (t > tmp_cap_) {
      auto* p = static_cast<Pair*>(std::realloc(tmp_, t * sizeof(Pair)));
      if (p == nullptr) return false;
      tmp_ = p;
      auto* s = static_cast<Pair*>(std::realloc(sel_, t * sizeof(Pair)));
      if (s == nullptr) return false;
      sel_ = s;
      tmp_cap_ = t;
    }
    return results.reserve(ef + 1) && candidates.reserve(ef + m0 + 1);
  }

  /// Starts a new visited set: O(1) except once every 65,535 searches.
  void new_visit() {
    if (++epoch_ == 0) {
      std::memset(marks_, 0, marks_cap_ * sizeof(std::uint16_t));
      epoch_ = 1;
    }
  }
  /// Marks node i; true if it was already visited in this search.
  bool visit(std::uint32_t i) {
    if (marks_[i] == epoch_) return true;
    marks_[i] = epoch_;
    return false;
  }

  float* query() { return query_; }
  /// dim floats beside the query: a re-rank decodes a vector into them.
  float* decoded() { return query_ + dim_; }
  std::int8_t* codes() { return codes_; }
  Pair* tmp() { return tmp_; }
  Pair* sel() { return sel_; }

  Heap<true> results;      ///< nearest found so far, worst on top
  Heap<false> candidates;  ///< to expand, best on top
  bool oom = false;        ///< a heap could not grow during the search

 private:
  std::uint16_t* marks_ = nullptr;
  std::size_t marks_cap_ = 0;
  std::uint16_t epoch_ = 0;
  float* query_ = nullptr;
  std::int8_t* codes_ = nullptr;
  std::uint32_t dim_ = 0;
  Pair* tmp_ = nullptr;
  Pair* sel_ = nullptr;
  std::size_t tmp_cap_ = 0;
};

}  // namespace elex::hnsw

#endif  // ELEX_HNSW_SCRATCH_H
