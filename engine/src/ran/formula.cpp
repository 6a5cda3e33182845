// KPI formulas: parser and compiler (see formula.h).
#include "elex/ran/formula.h"

#include <cstdlib>

#include "elex/ran/monitor.h"

namespace elex::formula {

namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }
bool alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool word(char c) { return alpha(c) || digit(c); }

/// Bytes of the JavaScript \s character at s[i], or 0.
std::size_t space_at(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return i + k < s.size() ? std::uint8_t(s[i + k]) : 0u; };
  const unsigned c0 = b(0);
  if (c0 == ' ' || (c0 >= 0x09 && c0 <= 0x0d)) return 1;
  if (c0 == 0xc2 && b(1) == 0xa0) return 2;                  // U+00A0
  if (c0 == 0xe1 && b(1) == 0x9a && b(2) == 0x80) return 3;  // U+1680
  if (c0 == 0xe2 && b(1) == 0x80) {
    const unsigned c2 = b(2);
    // U+2000..200A, U+2028, U+2029, U+202F
    if ((c2 >= 0x80 && c2 <= 0x8a) || c2 == 0xa8 || c2 == 0xa9 || c2 == 0xaf) return 3;
  }
  if (c0 == 0xe2 && b(1) == 0x81 && b(2) == 0x9f) return 3;  // U+205F
  if (c0 == 0xe3 && b(1) == 0x80 && b(2) == 0x80) return 3;  // U+3000
  if (c0 == 0xef && b(1) == 0xbb && b(2) == 0xbf) return 3;  // U+FEFF
  return 0;
}

enum Tok : std::uint8_t { kNum, kName, kOpen, kClose, kOp };
struct Token {
  Tok kind;
  std::string_view text;
};

int precedence(Step::Kind k) {
  switch (k) {
    case Step::kAdd:
    case Step::kSub:
      return 1;
    case Step::kMul:
    case Step::kDiv:
      return 2;
    default:
      return 3;  // kNeg
  }
}

}  // namespace

Status parse(std::string_view f, std::vector<Step>* out) {
  out->clear();
  const int len = f.size() > 1 << 20 ? 1 << 20 : int(f.size());
  const auto bad = [&](const char* why, std::string_view near = {}) {
    if (near.empty())
      return fail(ELEX_E_INVALID_ARGUMENT, "KPI formula \"%.*s\" %s", len, f.data(), why);
    return fail(ELEX_E_INVALID_ARGUMENT, "KPI formula \"%.*s\" is malformed near \"%.*s\"", len,
                f.data(), int(near.size()), near.data());
  };
  // Tokens: every character is whitespace or part of one.
  std::vector<Token> toks;
  for (std::size_t i = 0; i < f.size();) {
    if (std::size_t w = space_at(f, i)) {
      i += w;
      continue;
    }
    const std::size_t b = i;
    const char c = f[i];
    if (digit(c)) {
      while (i < f.size() && digit(f[i])) ++i;
      if (i + 1 < f.size() && f[i] == '.' && digit(f[i + 1])) {
        ++i;
        while (i < f.size() && digit(f[i])) ++i;
      }
      if (i < f.size() && (f[i] == 'e' || f[i] == 'E')) {
        std::size_t j = i + 1;
        if (j < f.size() && (f[j] == '+' || f[j] == '-')) ++j;
        if (j < f.size() && digit(f[j])) {
          i = j;
          while (i < f.size() && digit(f[i])) ++i;
        }
      }
      toks.push_back({kNum, f.substr(b, i - b)});
    } else if (alpha(c)) {
      ++i;
      while (i < f.size() && (word(f[i]) || f[i] == '.')) ++i;
      toks.push_back({kName, f.substr(b, i - b)});
    } else if (c == '(' || c == ')' || c == '+' || c == '-' || c == '*' || c == '/') {
      ++i;
      toks.push_back({c == '(' ? kOpen : c == ')' ? kClose : kOp, f.substr(b, 1)});
    } else {
      return bad("has characters other than counters, numbers, + - * / ( )");
    }
  }
  if (toks.empty()) return bad("has characters other than counters, numbers, + - * / ( )");

  // The shunting yard of ts/host/formula.ts, step for step. Stack entries: an
  // operator, or kOpen (stored as kNumber, which never is an operator).
  constexpr Step::Kind kParen = Step::kNumber;
  std::vector<Step::Kind> ops;
  bool expect_operand = true;
  for (const Token& t : toks) {
    if (t.kind == kNum) {
      if (!expect_operand) return bad("", t.text);
      const std::string num(t.text);
      out->push_back({Step::kNumber, std::strtod(num.c_str(), nullptr), {}});
      expect_operand = false;
    } else if (t.kind == kName) {
      if (!expect_operand) return bad("", t.text);
      out->push_back({Step::kCounter, 0, t.text});
      expect_operand = false;
    } else if (t.kind == kOpen) {
      if (!expect_operand) return bad("", t.text);
      ops.push_back(kParen);
    } else if (t.kind == kClose) {
      if (expect_operand) return bad("", t.text);
      while (!ops.empty() && ops.back() != kParen) {
        out->push_back({ops.back(), 0, {}});
        ops.pop_back();
      }
      if (ops.empty()) return bad("has unbalanced parentheses");
      ops.pop_back();
    } else {
      const char c = t.text[0];
      Step::Kind o = c == '+'   ? Step::kAdd
                     : c == '-' ? Step::kSub
                     : c == '*' ? Step::kMul
                                : Step::kDiv;
      if (expect_operand && c == '-') o = Step::kNeg;
      if (expect_operand && o != Step::kNeg) return bad("", t.text);
      while (o != Step::kNeg && !ops.empty()) {
        const Step::Kind top = ops.back();
        if (top == kParen || precedence(top) < precedence(o)) break;
        out->push_back({top, 0, {}});
        ops.pop_back();
      }
      ops.push_back(o);
      expect_operand = true;
    }
  }
  if (expect_operand) return bad("ends with an operator");
  while (!ops.empty()) {
    const Step::Kind o = ops.back();
    ops.pop_back();
    if (o == kParen) return bad("has unbalanced parentheses");
    out->push_back({o, 0, {}});
  }
  // The monitor evaluates a formula on a stack of kMaxStack values: a deeper
  // one could never run.
  int depth = 0;
  for (const Step& s : *out) {
    depth += s.kind == Step::kNumber || s.kind == Step::kCounter ? 1
             : s.kind == Step::kNeg                              ? 0
                                                                 : -1;
    if (depth > int(monitor::kMaxStack)) {
      out->clear();
      return fail(ELEX_E_INVALID_ARGUMENT,
                  "KPI formula \"%.*s\" is nested too deeply: evaluating it needs more than %u "
                  "values at once",
                  len, f.data(), monitor::kMaxStack);
    }
  }
  return ELEX_OK;
}

Status compile(std::string_view formula, CounterLookup lookup, void* ctx,
               std::vector<std::int32_t>* ops, std::vector<float>* consts, bool* compiled) {
  *compiled = false;
  std::vector<Step> steps;
  if (Status s = parse(formula, &steps); s != ELEX_OK) return s;
  const std::size_t start = ops->size();
  for (const Step& st : steps) {
    std::int32_t op = 0;
    switch (st.kind) {
      case Step::kNumber:
        consts->push_back(float(st.number));
        op = monitor::kConst | std::int32_t(std::uint32_t(consts->size() - 1) << 8);
        break;
      case Step::kCounter: {
        std::uint32_t column = 0;
        if (!lookup(ctx, st.name, &column)) {
          ops->resize(start);
          return ELEX_OK;
        }
        op = monitor::kPush | std::int32_t(column << 8);
        break;
      }
      case Step::kAdd:
        op = monitor::kAdd;
        break;
      case Step::kSub:
        op = monitor::kSub;
        break;
      case Step::kMul:
        op = monitor::kMul;
        break;
      case Step::kDiv:
        op = monitor::kDiv;
        break;
      case Step::kNeg:
        op = monitor::kNeg;
        break;
    }
    ops->push_back(op);
  }
  *compiled = true;
  return ELEX_OK;
}

}  // namespace elex::formula
