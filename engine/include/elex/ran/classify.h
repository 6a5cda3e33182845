// elex/ran/classify.h — a question's type and complexity, from its text and
// the features the router found for it (the agents' state: learn.h).
//
// Rules, in order (a word is a maximal run of ASCII letters, digits and
// '_', compared in lower case; a phrase is words joined by single spaces):
//
// type
//   troubleshoot  why, drop(s), dropped, dropping, fail(s|ed|ing|ure|ures),
//                 degrad…, problem(s), issue(s), alarm(s), poor, worse, fix,
//                 broken, "not working"
//   procedure     "how do|can|should i|we|you", "how to", step(s), enable,
//                 activate, deploy, procedure, "turn on|off", rollout,
//                 "roll out", configure
//   kpi           a KPI matched, or kpi(s), "success rate", ratio,
//                 percentage, availability, accessibility, retainability
//   counter       a counter matched, or counter(s), pm…, statistic(s),
//                 measurement(s)
//   parameter     a parameter matched, or parameter(s), setting(s),
//                 value(s), threshold(s), timer(s), offset(s), range(s),
//                 default(s)
//   general       anything else
// complexity (strong features: the first, and any other scoring at least
// max(0.5, 0.8 × the first's score); "matched" counts the items of strong
// features that are exact or score at least 0.5)
//   complex       three or more strong features, more than 25 words
//                 (whitespace-separated), or compare, comparison, versus,
//                 vs, impact, tradeoff, "trade-off", or "between … and" on
//                 one line
//   moderate      two strong features, more than 12 words, or both a
//                 parameter and a counter or KPI matched
//   simple        otherwise
//
// The rules were ts/classify.ts's regular expressions; this is their one
// implementation (the wasm build has no exceptions, so no std::regex: a
// small word matcher instead).
#ifndef ELEX_CLASSIFY_H
#define ELEX_CLASSIFY_H

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "elex/learn/learn.h"
#include "elex/ran/router.h"

namespace elex::ran {

using learn::Complexity;
using learn::QueryType;

/// Item kinds as bits: 1 << router::ItemKind.
inline constexpr unsigned kind_bit(router::ItemKind k) { return 1u << unsigned(k); }

/// The type of `text` given the kinds (kind_bit) the strong features matched.
[[nodiscard]] QueryType classify_type(std::string_view text, unsigned kinds);
/// The complexity of `text` with `strong` strong features that matched `kinds`.
[[nodiscard]] Complexity classify_complexity(std::string_view text, std::size_t strong,
                                             unsigned kinds);

/// One matched item of a candidate.
struct ClassMatch {
  router::ItemKind kind;
  bool exact;
  double score;
};

/// A routed feature as the classifier reads it: its score and matches.
struct Candidate {
  double score;
  const ClassMatch* matched;
  std::size_t n;
};

struct Classified {
  QueryType type = QueryType::General;
  Complexity complexity = Complexity::Simple;
};

/// Type and complexity of `text` routed to `candidates` (best first).
[[nodiscard]] Classified classify(std::string_view text, const Candidate* candidates,
                                  std::size_t n);
/// The same over a router's result (item kinds from `r`).
[[nodiscard]] Classified classify(std::string_view text, const std::vector<router::Routed>& f,
                                  const router::Router& r);

/// learn.h's names: "parameter" ... "general", "simple" ... "complex".
[[nodiscard]] const char* type_name(QueryType t);
[[nodiscard]] const char* complexity_name(Complexity c);

}  // namespace elex::ran

#endif  // ELEX_CLASSIFY_H
