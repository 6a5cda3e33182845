// elex/core/json.h — a small, strict JSON reader (RFC 8259) for catalogs and
// command-line input, built for hostile bytes.
//
// Strict: exactly one value, optional white space around it; no comments,
// trailing commas, NaN or leading zeros. Strings must be valid UTF-8
// (no overlong forms, no surrogates, nothing above U+10FFFF); a \u escape of
// a lone surrogate is refused. An object with the same key twice is refused
// (JSON.parse keeps the last one silently; a catalog with two "code"s is a
// mistake worth naming). Numbers are read as doubles, correctly rounded;
// one too large for a double becomes ±Infinity and one too small ±0, as
// JavaScript's JSON.parse does, so the catalog checks see what the
// TypeScript checks see.
//
// Limits (each refusal names it): kMaxBytes of input, kMaxDepth nested
// arrays and objects, kMaxNumberChars per number. Every failure is
// INVALID_ARGUMENT with a message giving the JSON path of the value being
// read, the byte offset, line and column.
#ifndef ELEX_JSON_H
#define ELEX_JSON_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "elex/core/status.h"

namespace elex::json {

inline constexpr std::size_t kMaxBytes = std::size_t(256) << 20;
inline constexpr std::uint32_t kMaxDepth = 128;
inline constexpr std::size_t kMaxNumberChars = 1024;

enum class Type : std::uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };

class Value {
 public:
  using Members = std::vector<std::pair<std::string, Value>>;

  Value() = default;
  Value(const Value& o) { copy_from(o); }
  Value(Value&& o) noexcept : type_(o.type_), bool_(o.bool_), u_(o.u_) { o.type_ = Type::kNull; }
  Value& operator=(const Value& o) {
    if (this != &o) {
      Value tmp(o);
      *this = std::move(tmp);
    }
    return *this;
  }
  Value& operator=(Value&& o) noexcept {
    if (this != &o) {
      release();
      type_ = o.type_;
      bool_ = o.bool_;
      u_ = o.u_;
      o.type_ = Type::kNull;
    }
    return *this;
  }
  ~Value() { release(); }

  [[nodiscard]] Type type() const { return type_; }
  [[nodiscard]] bool is_null() const { return type_ == Type::kNull; }
  [[nodiscard]] bool is_bool() const { return type_ == Type::kBool; }
  [[nodiscard]] bool is_number() const { return type_ == Type::kNumber; }
  [[nodiscard]] bool is_string() const { return type_ == Type::kString; }
  [[nodiscard]] bool is_array() const { return type_ == Type::kArray; }
  [[nodiscard]] bool is_object() const { return type_ == Type::kObject; }

  [[nodiscard]] bool boolean() const { return bool_; }
  [[nodiscard]] double number() const { return type_ == Type::kNumber ? u_.number : 0; }
  /// UTF-8 (valid); empty when not a string.
  [[nodiscard]] const std::string& string() const;
  /// The string's length in UTF-16 code units (JavaScript's .length).
  [[nodiscard]] std::size_t utf16_length() const;
  /// The items; empty when not an array.
  [[nodiscard]] const std::vector<Value>& array() const;
  /// Members in document order (keys are unique); empty when not an object.
  [[nodiscard]] const Members& object() const;
  /// The member `key` of an object, or nullptr (also when not an object).
  [[nodiscard]] const Value* find(std::string_view key) const;

  // Builders (the parser's, and tests').
  static Value null() { return Value(); }
  static Value of_bool(bool b);
  static Value of_number(double d);
  static Value of_string(std::string s);
  static Value of_array(std::vector<Value> items);
  static Value of_object(Members members);

 private:
  // 16 bytes: a document of numbers (a monitor batch: tens of millions) is
  // held at 16 bytes a value. Strings, arrays and objects keep their
  // contents in one heap block each.
  void release() noexcept;
  void copy_from(const Value& o);

  Type type_ = Type::kNull;
  bool bool_ = false;
  union {
    double number;
    std::string* string;
    std::vector<Value>* array;
    Members* object;
  } u_{0.0};
};

/// Parses `text` into *out. On failure *out is null and the calling thread's
/// last error holds the message; *error_path (optional) gets the JSON path
/// of the value being read ("$.features[3].code").
[[nodiscard]] Status parse(std::string_view text, Value* out, std::string* error_path = nullptr);

/// `s` as a JSON string literal (quotes included; control characters,
/// quotes and backslashes escaped; UTF-8 kept).
std::string quote(std::string_view s);

/// Appends `d` to *out as JSON: integers of up to 2^53 without a fraction,
/// others with up to 17 significant digits (round-trips); NaN and
/// infinities as null.
void append_number(std::string* out, double d);

}  // namespace elex::json

#endif  // ELEX_JSON_H
