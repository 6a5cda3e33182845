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
  Value() = default;

  [[nodiscard]] Type type() const { return type_; }
  [[nodiscard]] bool is_null() const { return type_ == Type::kNull; }
  [[nodiscard]] bool is_bool() const { return type_ == Type::kBool; }
  [[nodiscard]] bool is_number() const { return type_ == Type::kNumber; }
  [[nodiscard]] bool is_string() const { return type_ == Type::kString; }
  [[nodiscard]] bool is_array() const { return type_ == Type::kArray; }
  [[nodiscard]] bool is_object() const { return type_ == Type::kObject; }

  [[nodiscard]] bool boolean() const { return bool_; }
  [[nodiscard]] double number() const { return number_; }
  /// UTF-8 (valid).
  [[nodiscard]] const std::string& string() const { return string_; }
  /// The string's length in UTF-16 code units (JavaScript's .length).
  [[nodiscard]] std::size_t utf16_length() const;
  [[nodiscard]] const std::vector<Value>& array() const { return array_; }
  /// Members in document order (keys are unique).
  [[nodiscard]] const std::vector<std::pair<std::string, Value>>& object() const { return object_; }
  /// The member `key` of an object, or nullptr (also when not an object).
  [[nodiscard]] const Value* find(std::string_view key) const;

  // Builders (the parser's, and tests').
  static Value null() { return Value(); }
  static Value of_bool(bool b);
  static Value of_number(double d);
  static Value of_string(std::string s);
  static Value of_array(std::vector<Value> items);
  static Value of_object(std::vector<std::pair<std::string, Value>> members);

 private:
  friend class Parser;
  Type type_ = Type::kNull;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<Value> array_;
  std::vector<std::pair<std::string, Value>> object_;
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
