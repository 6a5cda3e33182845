// elex/ran/formula.h — KPI formulas: counters, numbers, + - * / and parentheses,
// with unary minus, compiled to the stack programs of monitor.h.
//
// The same grammar and the same programs as ts/host/formula.ts (parseFormula)
// and ts/host/ran-ops.ts (compileFormula): tokens are numbers
// (\d+(\.\d+)?([eE][-+]?\d+)?), counter names ([A-Za-z_][\w.]*) and
// - + * / ( ); whitespace is what JavaScript's \s matches. Operators take
// the usual precedence (unary minus binds tightest) and associate to the
// left; the postfix order is that of the TypeScript shunting yard, so a
// formula gives the same ops and the same constants (doubles rounded to
// float) on both sides. tests/ts/formula-parity.test.ts checks this.
#ifndef ELEX_FORMULA_H
#define ELEX_FORMULA_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "elex/core/status.h"

namespace elex::formula {

/// One postfix step: a number, a counter name, or an operator.
struct Step {
  enum Kind : std::uint8_t { kNumber, kCounter, kAdd, kSub, kMul, kDiv, kNeg } kind;
  double number = 0;      ///< kNumber
  std::string_view name;  ///< kCounter: a view into the formula
};

/// `formula` (UTF-8) in postfix order into *out, or INVALID_ARGUMENT with
/// the message the TypeScript parser gives.
[[nodiscard]] Status parse(std::string_view formula, std::vector<Step>* out);

/// Maps a counter name to its column in a batch; returns false when the
/// batch does not have it.
using CounterLookup = bool (*)(void* ctx, std::string_view name, std::uint32_t* column);

/// Appends the monitor.h ops of `formula` to *ops and its numbers to
/// *consts (as compileFormula does: numbers are appended as met, even when
/// a later counter is absent). *compiled is false, and *ops unchanged, when
/// a counter is not in the batch.
[[nodiscard]] Status compile(std::string_view formula, CounterLookup lookup, void* ctx,
                             std::vector<std::int32_t>* ops, std::vector<float>* consts,
                             bool* compiled);

}  // namespace elex::formula

#endif  // ELEX_FORMULA_H
