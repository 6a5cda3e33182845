// The strict JSON reader of json.h: recursive descent over the bytes, depth
// bounded, with the path of the value being read kept for messages.
#include "elex/core/json.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <unordered_set>

#include "elex/core/utf8.h"

namespace elex::json {

std::size_t Value::utf16_length() const {
  std::size_t n = 0;
  for (unsigned char c : string()) {
    if ((c & 0xC0) != 0x80) ++n;  // a lead byte starts a code point
    if (c >= 0xF0) ++n;           // above U+FFFF: a surrogate pair
  }
  return n;
}

const std::string& Value::string() const {
  static const std::string empty;
  return type_ == Type::kString ? *u_.string : empty;
}

const std::vector<Value>& Value::array() const {
  static const std::vector<Value> empty;
  return type_ == Type::kArray ? *u_.array : empty;
}

const Value::Members& Value::object() const {
  static const Members empty;
  return type_ == Type::kObject ? *u_.object : empty;
}

const Value* Value::find(std::string_view key) const {
  if (type_ != Type::kObject) return nullptr;
  for (const auto& [k, v] : *u_.object)
    if (k == key) return &v;
  return nullptr;
}

void Value::release() noexcept {
  switch (type_) {
    case Type::kString:
      delete u_.string;
      break;
    case Type::kArray:
      delete u_.array;
      break;
    case Type::kObject:
      delete u_.object;
      break;
    default:
      break;
  }
  type_ = Type::kNull;
}

void Value::copy_from(const Value& o) {
  bool_ = o.bool_;
  switch (o.type_) {
    case Type::kString:
      u_.string = new std::string(*o.u_.string);
      break;
    case Type::kArray:
      u_.array = new std::vector<Value>(*o.u_.array);
      break;
    case Type::kObject:
      u_.object = new Members(*o.u_.object);
      break;
    default:
      u_ = o.u_;
  }
  type_ = o.type_;
}

Value Value::of_bool(bool b) {
  Value v;
  v.type_ = Type::kBool;
  v.bool_ = b;
  return v;
}
Value Value::of_number(double d) {
  Value v;
  v.type_ = Type::kNumber;
  v.u_.number = d;
  return v;
}
Value Value::of_string(std::string s) {
  Value v;
  v.u_.string = new std::string(std::move(s));
  v.type_ = Type::kString;
  return v;
}
Value Value::of_array(std::vector<Value> items) {
  Value v;
  v.u_.array = new std::vector<Value>(std::move(items));
  v.type_ = Type::kArray;
  return v;
}
Value Value::of_object(Members members) {
  Value v;
  v.u_.object = new Members(std::move(members));
  v.type_ = Type::kObject;
  return v;
}

namespace {

bool is_ident(std::string_view k) {
  if (k.empty()) return false;
  for (std::size_t i = 0; i < k.size(); ++i) {
    const char c = k[i];
    const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == '$';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

}  // namespace

class Parser {
 public:
  explicit Parser(std::string_view text)
      : s_(text), items_(kMaxDepth + 1), members_(kMaxDepth + 1) {}

  Status run(Value* out, std::string* error_path) {
    Status st = ELEX_OK;
    if (s_.size() > kMaxBytes)
      st = fail(ELEX_E_INVALID_ARGUMENT, "JSON: the input is %zu bytes, more than the limit of %zu",
                s_.size(), kMaxBytes);
    else {
      skip_ws();
      st = value(out, 0);
      if (st == ELEX_OK) {
        skip_ws();
        if (at_ < s_.size()) st = error("unexpected characters after the JSON value");
      }
    }
    if (st != ELEX_OK) {
      // The path's keys are views into the tree: read it before freeing it.
      if (error_path) *error_path = path();
      frames_.clear();
      *out = Value();
    }
    return st;
  }

 private:
  struct Frame {
    bool index;
    std::size_t i;
    std::string_view key;
  };

  std::string path() const {
    std::string p = "$";
    for (const Frame& f : frames_) {
      if (f.index) {
        p += '[';
        p += std::to_string(f.i);
        p += ']';
      } else if (is_ident(f.key)) {
        p += '.';
        p += f.key;
      } else {
        p += '[';
        p += quote(f.key);
        p += ']';
      }
    }
    return p;
  }

  Status error(const char* what) {
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < at_ && i < s_.size(); ++i) {
      if (s_[i] == '\n') {
        ++line;
        col = 1;
      } else if ((static_cast<unsigned char>(s_[i]) & 0xC0) != 0x80) {
        ++col;
      }
    }
    return fail(ELEX_E_INVALID_ARGUMENT, "JSON: %s at %s (byte %zu, line %zu, column %zu)", what,
                path().c_str(), at_, line, col);
  }

  void skip_ws() {
    while (at_ < s_.size() &&
           (s_[at_] == ' ' || s_[at_] == '\t' || s_[at_] == '\n' || s_[at_] == '\r'))
      ++at_;
  }

  bool literal(std::string_view word) {
    if (s_.substr(at_, word.size()) != word) return false;
    at_ += word.size();
    return true;
  }

  Status value(Value* out, std::uint32_t depth) {
    if (at_ >= s_.size()) return error("unexpected end of input, expected a value");
    const char c = s_[at_];
    switch (c) {
      case '{':
      case '[':
        if (depth >= kMaxDepth) return error("arrays and objects nested too deep (limit 128)");
        return c == '{' ? object(out, depth + 1) : array(out, depth + 1);
      case '"': {
        std::string text;
        if (Status st = string(&text); st != ELEX_OK) return st;
        *out = Value::of_string(std::move(text));
        return ELEX_OK;
      }
      case 't':
        if (!literal("true")) return error("invalid literal");
        *out = Value::of_bool(true);
        return ELEX_OK;
      case 'f':
        if (!literal("false")) return error("invalid literal");
        *out = Value::of_bool(false);
        return ELEX_OK;
      case 'n':
        if (!literal("null")) return error("invalid literal");
        *out = Value();
        return ELEX_OK;
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return number(out);
        return error("unexpected character, expected a value");
    }
  }

  Status number(Value* out) {
    const std::size_t start = at_;
    const auto digit = [&] { return at_ < s_.size() && s_[at_] >= '0' && s_[at_] <= '9'; };
    if (s_[at_] == '-') ++at_;
    if (!digit()) return error("invalid number");
    if (s_[at_] == '0') {
      ++at_;
      if (digit()) return error("invalid number (leading zero)");
    } else {
      while (digit()) ++at_;
    }
    if (at_ < s_.size() && s_[at_] == '.') {
      ++at_;
      if (!digit()) return error("invalid number (no digit after '.')");
      while (digit()) ++at_;
    }
    if (at_ < s_.size() && (s_[at_] == 'e' || s_[at_] == 'E')) {
      ++at_;
      if (at_ < s_.size() && (s_[at_] == '+' || s_[at_] == '-')) ++at_;
      if (!digit()) return error("invalid number (no digit in the exponent)");
      while (digit()) ++at_;
    }
    const std::size_t n = at_ - start;
    if (n > kMaxNumberChars) {
      at_ = start;
      return error("number longer than 1024 characters");
    }
    char buf[kMaxNumberChars + 1];
    std::memcpy(buf, s_.data() + start, n);
    buf[n] = '\0';
    // strtod rounds correctly; out of range it gives ±HUGE_VAL (= ±Infinity)
    // or a denormal / ±0, which is what JSON.parse gives. The grammar above
    // leaves it nothing locale-dependent to read.
    *out = Value::of_number(std::strtod(buf, nullptr));
    return ELEX_OK;
  }

  bool hex4(std::uint32_t* v) {
    if (s_.size() - at_ < 4) return false;
    std::uint32_t r = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[at_ + i];
      r <<= 4;
      if (c >= '0' && c <= '9')
        r |= std::uint32_t(c - '0');
      else if (c >= 'a' && c <= 'f')
        r |= std::uint32_t(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        r |= std::uint32_t(c - 'A' + 10);
      else
        return false;
    }
    at_ += 4;
    *v = r;
    return true;
  }

  Status string(std::string* o) {
    ++at_;  // the opening quote
    o->clear();
    for (;;) {
      if (at_ >= s_.size()) return error("unterminated string");
      const unsigned char c = static_cast<unsigned char>(s_[at_]);
      if (c == '"') {
        ++at_;
        return ELEX_OK;
      }
      if (c < 0x20) return error("control character in a string (escape it)");
      if (c < 0x80 && c != '\\') {
        // A run of plain ASCII (most of a catalog's text): appended at once.
        std::size_t end = at_ + 1;
        while (end < s_.size()) {
          const unsigned char d = static_cast<unsigned char>(s_[end]);
          if (d < 0x20 || d >= 0x80 || d == '"' || d == '\\') break;
          ++end;
        }
        o->append(s_.data() + at_, end - at_);
        at_ = end;
        continue;
      }
      if (c == '\\') {
        ++at_;
        if (at_ >= s_.size()) return error("unterminated string");
        const char e = s_[at_++];
        switch (e) {
          case '"':
            o->push_back('"');
            break;
          case '\\':
            o->push_back('\\');
            break;
          case '/':
            o->push_back('/');
            break;
          case 'b':
            o->push_back('\b');
            break;
          case 'f':
            o->push_back('\f');
            break;
          case 'n':
            o->push_back('\n');
            break;
          case 'r':
            o->push_back('\r');
            break;
          case 't':
            o->push_back('\t');
            break;
          case 'u': {
            std::uint32_t cp;
            if (!hex4(&cp)) return error("invalid \\u escape (four hex digits)");
            if (cp >= 0xDC00 && cp <= 0xDFFF)
              return error("lone low surrogate in a \\u escape (not Unicode text)");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
              std::uint32_t lo;
              if (s_.substr(at_, 2) != "\\u") return error("lone high surrogate in a \\u escape");
              at_ += 2;
              if (!hex4(&lo) || lo < 0xDC00 || lo > 0xDFFF)
                return error("lone high surrogate in a \\u escape");
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            utf8::append(o, cp);
            break;
          }
          default:
            --at_;
            return error("invalid escape in a string");
        }
        continue;
      }
      const utf8::Seq q = utf8::decode(s_.data() + at_, s_.size() - at_);
      if (!q.ok) return error("invalid UTF-8 in a string");
      o->append(s_.data() + at_, q.len);
      at_ += q.len;
    }
  }

  Status array(Value* out, std::uint32_t depth) {
    ++at_;
    skip_ws();
    if (at_ < s_.size() && s_[at_] == ']') {
      ++at_;
      *out = Value::of_array({});
      return ELEX_OK;
    }
    frames_.push_back({true, 0, {}});
    std::vector<Value>& items = items_[depth];  // this depth's scratch (see items_)
    for (;;) {
      frames_.back().i = items.size();
      skip_ws();
      items.emplace_back();
      if (Status st = value(&items.back(), depth); st != ELEX_OK) return st;
      skip_ws();
      if (at_ >= s_.size()) return error("unterminated array");
      if (s_[at_] == ',') {
        ++at_;
        continue;
      }
      if (s_[at_] == ']') {
        ++at_;
        frames_.pop_back();
        *out = Value::of_array(take(&items));
        return ELEX_OK;
      }
      return error("expected ',' or ']' in an array");
    }
  }

  Status object(Value* out, std::uint32_t depth) {
    ++at_;
    skip_ws();
    if (at_ < s_.size() && s_[at_] == '}') {
      ++at_;
      *out = Value::of_object({});
      return ELEX_OK;
    }
    std::unordered_set<std::string> keys;  // used past 8 members only
    auto& members = members_[depth];       // this depth's scratch (see items_)
    for (;;) {
      skip_ws();
      if (at_ >= s_.size() || s_[at_] != '"') return error("expected a member name in quotes");
      std::string key;
      if (Status st = string(&key); st != ELEX_OK) return st;
      bool dup = false;
      if (members.size() < 8) {
        for (const auto& m : members) dup = dup || m.first == key;
      } else {
        if (keys.empty())
          for (const auto& m : members) keys.insert(m.first);
        dup = !keys.insert(key).second;
      }
      skip_ws();
      if (at_ >= s_.size() || s_[at_] != ':') return error("expected ':' after a member name");
      ++at_;
      skip_ws();
      members.emplace_back(std::move(key), Value());
      frames_.push_back({false, 0, members.back().first});
      if (dup) return error("duplicate member name");
      if (Status st = value(&members.back().second, depth); st != ELEX_OK) return st;
      frames_.pop_back();
      skip_ws();
      if (at_ >= s_.size()) return error("unterminated object");
      if (s_[at_] == ',') {
        ++at_;
        continue;
      }
      if (s_[at_] == '}') {
        ++at_;
        *out = Value::of_object(take(&members));
        return ELEX_OK;
      }
      return error("expected ',' or '}' in an object");
    }
  }

  // The finished items of an array or object out of this depth's scratch:
  // copied into a vector of their own size (the scratch is kept for the
  // siblings), or, when the scratch is mostly full of a large one, the
  // scratch itself is handed over (a copy would hold the value twice at
  // its peak: 30 million numbers of a monitor batch are 480 MB).
  template <class T>
  static std::vector<T> take(std::vector<T>* scratch) {
    std::vector<T> v;
    if (scratch->size() >= 4096 && 2 * scratch->size() >= scratch->capacity()) {
      v.swap(*scratch);
    } else {
      v.assign(std::make_move_iterator(scratch->begin()), std::make_move_iterator(scratch->end()));
      scratch->clear();
    }
    return v;
  }

  std::string_view s_;
  std::size_t at_ = 0;
  std::vector<Frame> frames_;
  // Per nesting depth, the items or members of the array or object being
  // read there, moved into it in one allocation at its end: a growing
  // vector per array and object cost most of a catalog's parse (copies of
  // the members as it grew). Kept across siblings; one level per depth, so
  // a nested value never moves its parent's.
  std::vector<std::vector<Value>> items_;
  std::vector<std::vector<std::pair<std::string, Value>>> members_;
};

Status parse(std::string_view text, Value* out, std::string* error_path) {
  Parser p(text);
  return p.run(out, error_path);
}

std::string quote(std::string_view s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        o += "\\\"";
        break;
      case '\\':
        o += "\\\\";
        break;
      case '\n':
        o += "\\n";
        break;
      case '\r':
        o += "\\r";
        break;
      case '\t':
        o += "\\t";
        break;
      default:
        if (c < 0x20) {
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", c);
          o += b;
        } else {
          o.push_back(char(c));
        }
    }
  }
  o += '"';
  return o;
}

void append_number(std::string* out, double d) {
  if (!std::isfinite(d)) {
    *out += "null";
    return;
  }
  char b[40];
  if (d == std::floor(d) && std::fabs(d) <= 9007199254740992.0) {
    std::snprintf(b, sizeof b, "%.0f", d);
    *out += (std::strcmp(b, "-0") == 0) ? "0" : b;
    return;
  }
#if defined(__cpp_lib_to_chars)
  // The fewest significant digits that read back (%.*g with fewer would
  // not): those of the shortest scientific form to_chars() finds (d is
  // neither 0 nor an integer up to 2^53 here), printed once.
  char s[40];
  const auto r = std::to_chars(s, s + sizeof s, d, std::chars_format::scientific);
  int digits = 0;
  for (const char* p = s; p != r.ptr && *p != 'e'; ++p) digits += *p >= '0' && *p <= '9';
  std::snprintf(b, sizeof b, "%.*g", digits < 1 ? 1 : digits, d);
#else
  for (int prec = 1; prec <= 17; ++prec) {
    std::snprintf(b, sizeof b, "%.*g", prec, d);
    if (std::strtod(b, nullptr) == d) break;
  }
#endif
  *out += b;
}

}  // namespace elex::json
