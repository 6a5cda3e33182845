// elex/core/serial.h — a flat little-endian byte writer and a bounds-checked
// reader, for the payloads of built state kept in containers (format.h):
// the router's tables (router.h: Router::save / Router::load).
//
// Scalars are written as their bytes (every target ELEX builds for is
// little-endian; a static_assert in serial.cpp checks it), vectors of
// trivially copyable values as a u64 count then the values, strings as a u32
// length then the bytes. The reader never reads past its buffer: a short or
// inconsistent payload sets ok() false and yields empty values.
#ifndef ELEX_SERIAL_H
#define ELEX_SERIAL_H

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

namespace elex::serial {

class Writer {
 public:
  /// Room for `n` bytes (a hint: writes grow the buffer as needed).
  void reserve(std::size_t n) { bytes_.reserve(n); }
  void raw(const void* p, std::size_t n) {
    const auto* b = static_cast<const std::uint8_t*>(p);
    bytes_.insert(bytes_.end(), b, b + n);
  }
  template <class T>
  void pod(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    raw(&v, sizeof v);
  }
  template <class T>
  void vec(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    pod<std::uint64_t>(v.size());
    raw(v.data(), v.size() * sizeof(T));
  }
  void str(const std::string& s) {
    pod<std::uint32_t>(std::uint32_t(s.size()));
    raw(s.data(), s.size());
  }
  void strs(const std::vector<std::string>& v) {
    pod<std::uint64_t>(v.size());
    for (const std::string& s : v) str(s);
  }
  [[nodiscard]] const std::vector<std::uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<std::uint8_t> bytes_;
};

class Reader {
 public:
  Reader(const std::uint8_t* p, std::size_t n) : p_(p), n_(n) {}
  bool raw(void* out, std::size_t n) {
    if (!ok_ || n > n_ - at_) return (ok_ = false);
    if (n > 0) std::memcpy(out, p_ + at_, n);
    at_ += n;
    return true;
  }
  template <class T>
  T pod() {
    static_assert(std::is_trivially_copyable_v<T>);
    T v{};
    if (!raw(&v, sizeof v)) v = T{};
    return v;
  }
  template <class T>
  void vec(std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto n = pod<std::uint64_t>();
    v.clear();
    if (!ok_ || n > (n_ - at_) / sizeof(T)) {
      ok_ = false;
      return;
    }
    v.resize(std::size_t(n));
    raw(v.data(), std::size_t(n) * sizeof(T));
  }
  void str(std::string& s) {
    const auto n = pod<std::uint32_t>();
    s.clear();
    if (!ok_ || n > n_ - at_) {
      ok_ = false;
      return;
    }
    s.assign(reinterpret_cast<const char*>(p_ + at_), n);
    at_ += n;
  }
  void strs(std::vector<std::string>& v) {
    const auto n = pod<std::uint64_t>();
    v.clear();
    if (!ok_ || n > (n_ - at_) / 4) {  // each string takes 4 bytes at least
      ok_ = false;
      return;
    }
    v.resize(std::size_t(n));
    for (std::string& s : v) str(s);
  }
  /// A count that must be at most `max` (fails the reader otherwise).
  std::size_t count(std::size_t max) {
    const auto n = pod<std::uint64_t>();
    if (n > max) ok_ = false;
    return ok_ ? std::size_t(n) : 0;
  }
  void fail() { ok_ = false; }
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] bool done() const { return ok_ && at_ == n_; }
  [[nodiscard]] std::size_t left() const { return n_ - at_; }

 private:
  const std::uint8_t* p_;
  std::size_t n_;
  std::size_t at_ = 0;
  bool ok_ = true;
};

}  // namespace elex::serial

#endif  // ELEX_SERIAL_H
