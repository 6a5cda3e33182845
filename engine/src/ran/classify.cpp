// The question classifier (classify.h): a word matcher over the rules.
#include "elex/ran/classify.h"

#include <algorithm>
#include <string>
#include <unordered_map>

#include "elex/core/utf8.h"

namespace elex::ran {
namespace {

bool word_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }

/// Classes of single words (a word may be in several).
enum WordClass : unsigned {
  kTroubleWord = 1,
  kProcedureWord = 2,
  kKpiWord = 4,
  kCounterWord = 8,
  kParameterWord = 16,
  kComparisonWord = 32,
};

constexpr std::string_view kTroubleWords[] = {
    "why",    "drop",    "drops",   "dropped",  "dropping", "fail",     "fails",
    "failed", "failing", "failure", "failures", "problem",  "problems", "issue",
    "issues", "alarm",   "alarms",  "poor",     "worse",    "fix",      "broken"};
constexpr std::string_view kProcedureWords[] = {"step",   "steps",     "enable",  "activate",
                                                "deploy", "procedure", "rollout", "configure"};
constexpr std::string_view kKpiWords[] = {
    "kpi", "kpis", "ratio", "percentage", "availability", "accessibility", "retainability"};
constexpr std::string_view kCounterWords[] = {"counter",    "counters",    "statistic",
                                              "statistics", "measurement", "measurements"};
constexpr std::string_view kParameterWords[] = {
    "parameter", "parameters", "setting", "settings", "value", "values", "threshold", "thresholds",
    "timer",     "timers",     "offset",  "offsets",  "range", "ranges", "default",   "defaults"};
constexpr std::string_view kComparisonWords[] = {"compare", "comparison", "versus",
                                                 "vs",      "impact",     "tradeoff"};

/// Word → its classes (built once).
const std::unordered_map<std::string_view, unsigned>& word_classes() {
  static const std::unordered_map<std::string_view, unsigned> table = [] {
    std::unordered_map<std::string_view, unsigned> t;
    const auto add = [&t](const auto& words, unsigned c) {
      for (std::string_view w : words) t[w] |= c;
    };
    add(kTroubleWords, kTroubleWord);
    add(kProcedureWords, kProcedureWord);
    add(kKpiWords, kKpiWord);
    add(kCounterWords, kCounterWord);
    add(kParameterWords, kParameterWord);
    add(kComparisonWords, kComparisonWord);
    return t;
  }();
  return table;
}

/// The words of a text (lower case) and where they are, and the classes of
/// its single words (a prefix rule included: degrad… and pm…).
struct Words {
  std::string_view text;
  std::string low;  // text in ASCII lower case
  struct Span {
    std::size_t begin, end;
  };
  std::vector<Span> spans;

  explicit Words(std::string_view t) : text(t), low(t.size(), '\0') {
    std::transform(t.begin(), t.end(), low.begin(), lower);
    for (std::size_t i = 0; i < t.size();) {
      if (!word_char(static_cast<unsigned char>(t[i]))) {
        ++i;
        continue;
      }
      std::size_t j = i;
      while (j < t.size() && word_char(static_cast<unsigned char>(t[j]))) ++j;
      spans.push_back({i, j});
      i = j;
    }
    const auto& table = word_classes();
    for (std::size_t w = 0; w < spans.size(); ++w) {
      const std::string_view x = word(w);
      if (auto it = table.find(x); it != table.end()) classes |= it->second;
      if (x.substr(0, 6) == "degrad") classes |= kTroubleWord;
      if (x.substr(0, 2) == "pm") classes |= kCounterWord;
    }
  }
  unsigned classes = 0;
  [[nodiscard]] std::size_t size() const { return spans.size(); }
  [[nodiscard]] std::string_view word(std::size_t i) const {
    return std::string_view(low).substr(spans[i].begin, spans[i].end - spans[i].begin);
  }
  /// What lies between word i and word i + 1.
  [[nodiscard]] std::string_view gap(std::size_t i) const {
    return std::string_view(low).substr(spans[i].end, spans[i + 1].begin - spans[i].end);
  }
  [[nodiscard]] bool is(std::size_t i, std::initializer_list<std::string_view> any) const {
    const std::string_view w = word(i);
    return std::find(any.begin(), any.end(), w) != any.end();
  }
  /// Word i and the next are joined by exactly `sep`.
  [[nodiscard]] bool joined(std::size_t i, std::string_view sep) const {
    return i + 1 < size() && gap(i) == sep;
  }
  /// The phrase a b (single space).
  [[nodiscard]] bool phrase(std::string_view a, std::initializer_list<std::string_view> b) const {
    for (std::size_t i = 0; i + 1 < size(); ++i)
      if (word(i) == a && joined(i, " ") && is(i + 1, b)) return true;
    return false;
  }
};

bool troubleshoot(const Words& w) {
  return (w.classes & kTroubleWord) || w.phrase("not", {"working"});
}

bool procedure(const Words& w) {
  if (w.classes & kProcedureWord) return true;
  for (std::size_t i = 0; i + 1 < w.size(); ++i) {
    if (!w.joined(i, " ")) continue;
    if (w.word(i) == "how") {
      if (w.word(i + 1) == "to") return true;
      if (w.is(i + 1, {"do", "can", "should"}) && w.joined(i + 1, " ") &&
          w.is(i + 2, {"i", "we", "you"}))
        return true;
    }
    if (w.word(i) == "turn" && w.is(i + 1, {"on", "off"})) return true;
    if (w.word(i) == "roll" && w.word(i + 1) == "out") return true;
  }
  return false;
}

bool kpi_words(const Words& w) { return (w.classes & kKpiWord) || w.phrase("success", {"rate"}); }

bool counter_words(const Words& w) { return w.classes & kCounterWord; }

bool parameter_words(const Words& w) { return w.classes & kParameterWord; }

/// A line terminator of JavaScript's '.': \n, \r, U+2028, U+2029.
bool line_break(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' || s[i] == '\r') return true;
    if (i + 2 < s.size() && s[i] == '\xE2' && s[i + 1] == '\x80' &&
        (s[i + 2] == '\xA8' || s[i + 2] == '\xA9'))
      return true;
  }
  return false;
}

bool comparison(const Words& w) {
  if (w.classes & kComparisonWord) return true;
  for (std::size_t i = 0; i + 1 < w.size(); ++i)
    if (w.word(i) == "trade" && w.joined(i, "-") && w.word(i + 1) == "off") return true;
  // "between … and": a later word "and" on the same line.
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (w.word(i) != "between") continue;
    for (std::size_t j = i + 1; j < w.size(); ++j) {
      if (line_break(w.text.substr(w.spans[i].end, w.spans[j].begin - w.spans[i].end))) break;
      if (w.word(j) == "and") return true;
    }
  }
  return false;
}

/// Whitespace-separated words (text.trim().split(/\s+/).length).
std::size_t count_words(std::string_view text) {
  std::size_t n = 0;
  bool in = false;
  for (std::size_t i = 0; i < text.size();) {
    const utf8::Seq q = utf8::decode(text.data() + i, text.size() - i);
    i += q.len;
    const bool space = utf8::js_space(q.cp);
    if (!space && !in) ++n;
    in = !space;
  }
  return n;
}

QueryType type_of(const Words& w, unsigned kinds) {
  if (troubleshoot(w)) return QueryType::Troubleshoot;
  if (procedure(w)) return QueryType::Procedure;
  if ((kinds & kind_bit(router::kKpi)) || kpi_words(w)) return QueryType::Kpi;
  if ((kinds & kind_bit(router::kCounter)) || counter_words(w)) return QueryType::Counter;
  if ((kinds & kind_bit(router::kParameter)) || parameter_words(w)) return QueryType::Parameter;
  return QueryType::General;
}

Complexity complexity_of(const Words& w, std::size_t strong, unsigned kinds) {
  const std::size_t words = count_words(w.text);
  if (strong >= 3 || words > 25 || comparison(w)) return Complexity::Complex;
  const bool param = kinds & kind_bit(router::kParameter);
  const bool measured = kinds & (kind_bit(router::kCounter) | kind_bit(router::kKpi));
  if (strong == 2 || words > 12 || (param && measured)) return Complexity::Moderate;
  return Complexity::Simple;
}

}  // namespace

QueryType classify_type(std::string_view text, unsigned kinds) {
  return type_of(Words(text), kinds);
}

Complexity classify_complexity(std::string_view text, std::size_t strong, unsigned kinds) {
  return complexity_of(Words(text), strong, kinds);
}

Classified classify(std::string_view text, const Candidate* c, std::size_t n) {
  const double top = n > 0 ? c[0].score : 0;
  std::size_t strong = 0;
  unsigned kinds = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0 && !(c[i].score >= std::max(0.5, 0.8 * top))) continue;
    ++strong;
    for (std::size_t m = 0; m < c[i].n; ++m)
      if (c[i].matched[m].exact || c[i].matched[m].score >= 0.5)
        kinds |= kind_bit(c[i].matched[m].kind);
  }
  const Words w(text);
  return {type_of(w, kinds), complexity_of(w, strong, kinds)};
}

Classified classify(std::string_view text, const std::vector<router::Routed>& f,
                    const router::Router& r) {
  std::size_t total = 0;
  for (const router::Routed& x : f) total += x.matched.size();
  std::vector<ClassMatch> matches;
  matches.reserve(total);
  std::vector<Candidate> cands;
  cands.reserve(f.size());
  for (const router::Routed& x : f) {
    const std::size_t begin = matches.size();
    for (const router::Match& m : x.matched)
      matches.push_back({r.item_kind(m.item), m.exact, m.score});
    cands.push_back({x.score, nullptr, x.matched.size()});
    cands.back().matched = matches.data() + begin;  // reserved: no reallocation
  }
  return classify(text, cands.data(), cands.size());
}

const char* type_name(QueryType t) {
  switch (t) {
    case QueryType::Parameter:
      return "parameter";
    case QueryType::Counter:
      return "counter";
    case QueryType::Kpi:
      return "kpi";
    case QueryType::Procedure:
      return "procedure";
    case QueryType::Troubleshoot:
      return "troubleshoot";
    case QueryType::General:
      return "general";
  }
  return "general";
}

const char* complexity_name(Complexity c) {
  switch (c) {
    case Complexity::Simple:
      return "simple";
    case Complexity::Moderate:
      return "moderate";
    case Complexity::Complex:
      return "complex";
  }
  return "simple";
}

}  // namespace elex::ran
