// elex/ran/flat.h — flat tables of strings for the routing indexes (router.h,
// lexical.h): a few contiguous arrays instead of a heap node per string, so
// a build allocates little, a save writes arrays and a load reads them back
// (the hash slots are rebuilt, one pass over the keys).
//
//   Strings    strings in one buffer: string i is text[off[i] .. off[i + 1]).
//   StringIds  string → id (0, 1, ... in the order first inserted): Strings
//              plus an open-addressing table of (hash, id + 1) slots, a power
//              of two at most half full, linear probing.
//   Lists      per id, a list of u32 (CSR: off, values), made from (id,
//              value) pairs by a stable counting sort (each list keeps the
//              order its values were added in).
#ifndef ELEX_FLAT_H
#define ELEX_FLAT_H

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

#include "elex/core/serial.h"

namespace elex::flat {

/// A 64-bit hash of bytes (8 at a time; not for untrusted keys' worst case:
/// the tables hold catalog words).
inline std::uint64_t hash(std::string_view s) {
  constexpr std::uint64_t kMul = 0x9e3779b97f4a7c15ull;
  std::uint64_t h = 0x243f6a8885a308d3ull ^ (s.size() * kMul);
  const char* p = s.data();
  std::size_t n = s.size();
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 29;
  }
  if (n > 0) {
    std::uint64_t w = 0;  // the last bytes as a little-endian word (a memcpy of n is a call)
    for (std::size_t i = 0; i < n; ++i) w |= std::uint64_t(std::uint8_t(p[i])) << (8 * i);
    h = (h ^ w) * kMul;
  }
  h ^= h >> 32;
  h *= 0xd6e8feb86659fd93ull;
  return h ^ (h >> 32);
}

class Strings {
 public:
  void add(std::string_view s) {
    text_.insert(text_.end(), s.begin(), s.end());
    off_.push_back(std::uint32_t(text_.size()));
  }
  [[nodiscard]] std::string_view operator[](std::size_t i) const {
    return {text_.data() + off_[i], std::size_t(off_[i + 1] - off_[i])};
  }
  [[nodiscard]] std::size_t size() const { return off_.size() - 1; }
  [[nodiscard]] bool empty() const { return off_.size() == 1; }
  /// The strings' bytes, and their size() + 1 offsets into them.
  [[nodiscard]] const char* text() const { return text_.data(); }
  [[nodiscard]] const std::uint32_t* offsets() const { return off_.data(); }
  void clear() {
    text_.clear();
    off_.assign(1, 0);
  }
  void reserve(std::size_t n, std::size_t chars) {
    off_.reserve(n + 1);
    text_.reserve(chars);
  }
  [[nodiscard]] std::size_t bytes() const { return text_.capacity() + off_.capacity() * 4; }
  void save(serial::Writer& w) const {
    w.vec(text_);
    w.vec(off_);
  }
  /// False (and empty) unless the offsets start at 0, do not decrease and end at the text's size.
  [[nodiscard]] bool load(serial::Reader& r) {
    r.vec(text_);
    r.vec(off_);
    bool ok = r.ok() && !off_.empty() && off_[0] == 0 && off_.back() == text_.size();
    for (std::size_t i = 1; ok && i < off_.size(); ++i) ok = off_[i - 1] <= off_[i];
    if (!ok) clear();
    return ok;
  }

 private:
  std::vector<char> text_;
  std::vector<std::uint32_t> off_{0};
};

class StringIds {
 public:
  static constexpr std::uint32_t kNone = ~0u;
  /// The id of `s`, or kNone.
  [[nodiscard]] std::uint32_t find(std::string_view s) const {
    if (slots_.empty()) return kNone;
    const std::uint64_t h = hash(s);
    const std::uint32_t tag = std::uint32_t(h >> 32);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = std::size_t(h) & mask;; i = (i + 1) & mask) {
      const std::uint64_t slot = slots_[i];
      if (slot == 0) return kNone;
      const std::uint32_t id = std::uint32_t(slot) - 1;
      if (std::uint32_t(slot >> 32) == tag && keys_[id] == s) return id;
    }
  }
  /// The id of `s`, added as the next id when new ({id, true}).
  std::pair<std::uint32_t, bool> insert(std::string_view s) {
    if ((keys_.size() + 1) * 2 > slots_.size()) grow();
    const std::uint64_t h = hash(s);
    const std::uint32_t tag = std::uint32_t(h >> 32);
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = std::size_t(h) & mask;
    for (; slots_[i] != 0; i = (i + 1) & mask) {
      const std::uint32_t id = std::uint32_t(slots_[i]) - 1;
      if (std::uint32_t(slots_[i] >> 32) == tag && keys_[id] == s) return {id, false};
    }
    const std::uint32_t id = std::uint32_t(keys_.size());
    keys_.add(s);
    slots_[i] = std::uint64_t(tag) << 32 | (id + 1);
    return {id, true};
  }
  [[nodiscard]] std::string_view operator[](std::size_t id) const { return keys_[id]; }
  [[nodiscard]] std::size_t size() const { return keys_.size(); }
  /// Room for `n` strings of `chars` bytes in all, so that as many inserts
  /// do not grow the table (an empty one only; the ids are the same).
  void reserve(std::size_t n, std::size_t chars) {
    if (!keys_.empty()) return;
    keys_.reserve(n, chars);
    std::size_t size = 16;
    while (size < n * 2 + 2) size *= 2;
    slots_.assign(size, 0);
  }
  void clear() {
    keys_.clear();
    slots_.clear();
  }
  [[nodiscard]] std::size_t bytes() const { return keys_.bytes() + slots_.capacity() * 8; }
  void save(serial::Writer& w) const { keys_.save(w); }
  /// False when the payload is bad or holds a string twice.
  [[nodiscard]] bool load(serial::Reader& r) {
    slots_.clear();
    if (!keys_.load(r)) return false;
    std::size_t n = 16;
    while (n < keys_.size() * 2 + 2) n *= 2;
    slots_.assign(n, 0);
    for (std::uint32_t id = 0; id < keys_.size(); ++id)
      if (!place(id)) {
        clear();
        return false;
      }
    return true;
  }

 private:
  bool place(std::uint32_t id) {  // slots for an id already in keys_; false if its string is there
    const std::string_view s = keys_[id];
    const std::uint64_t h = hash(s);
    const std::uint32_t tag = std::uint32_t(h >> 32);
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = std::size_t(h) & mask;
    for (; slots_[i] != 0; i = (i + 1) & mask)
      if (std::uint32_t(slots_[i] >> 32) == tag && keys_[std::uint32_t(slots_[i]) - 1] == s)
        return false;
    slots_[i] = std::uint64_t(tag) << 32 | (id + 1);
    return true;
  }
  void grow() {
    slots_.assign(slots_.empty() ? 16 : slots_.size() * 2, 0);
    for (std::uint32_t id = 0; id < keys_.size(); ++id) (void)place(id);
  }
  Strings keys_;
  std::vector<std::uint64_t> slots_;  // (hash >> 32) << 32 | (id + 1); 0 = empty
};

/// Per id 0..n-1, a list of u32 (CSR).
struct Lists {
  std::vector<std::uint32_t> off{0}, values;
  [[nodiscard]] std::size_t size() const { return off.size() - 1; }
  [[nodiscard]] const std::uint32_t* begin(std::size_t id) const { return values.data() + off[id]; }
  [[nodiscard]] const std::uint32_t* end(std::size_t id) const {
    return values.data() + off[id + 1];
  }
  [[nodiscard]] std::size_t count(std::size_t id) const { return off[id + 1] - off[id]; }
  /// From (id, value) pairs with ids < n, each list in the pairs' order.
  void assign(std::size_t n, const std::vector<std::pair<std::uint32_t, std::uint32_t>>& pairs) {
    off.assign(n + 1, 0);
    for (const auto& p : pairs) ++off[p.first + 1];
    for (std::size_t i = 0; i < n; ++i) off[i + 1] += off[i];
    values.resize(pairs.size());
    std::vector<std::uint32_t> fill(off.begin(), off.end() - 1);
    for (const auto& [id, v] : pairs) values[fill[id]++] = v;
  }
  [[nodiscard]] std::size_t bytes() const { return (off.capacity() + values.capacity()) * 4; }
  void save(serial::Writer& w) const {
    w.vec(off);
    w.vec(values);
  }
  /// False unless `n` lists whose offsets hold together and whose values are below `bound`.
  [[nodiscard]] bool load(serial::Reader& r, std::size_t n, std::size_t bound) {
    r.vec(off);
    r.vec(values);
    bool ok = r.ok() && off.size() == n + 1 && off[0] == 0 && off[n] == values.size();
    for (std::size_t i = 0; ok && i < n; ++i) ok = off[i] <= off[i + 1];
    for (std::size_t i = 0; ok && i < values.size(); ++i) ok = values[i] < bound;
    return ok;
  }
};

}  // namespace elex::flat

#endif  // ELEX_FLAT_H
