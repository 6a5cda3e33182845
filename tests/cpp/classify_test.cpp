// The question classifier (classify.h): each rule of the type and the
// complexity, their order, word boundaries, and the strong features
// (these were ts/classify.ts's Vitest cases, and more).
#include "elex/ran/classify.h"

#include "elex/elex.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using elex::learn::Complexity;
using elex::learn::QueryType;
using elex::ran::Candidate;
using elex::ran::classify;
using elex::ran::classify_complexity;
using elex::ran::classify_type;
using elex::ran::ClassMatch;
using elex::ran::kind_bit;
namespace router = elex::router;

constexpr unsigned kParam = kind_bit(router::kParameter);
constexpr unsigned kCounter = kind_bit(router::kCounter);
constexpr unsigned kKpi = kind_bit(router::kKpi);

QueryType type(const std::string& t, unsigned kinds = 0) { return classify_type(t, kinds); }

TEST(Classify, TroubleshootWords) {
  for (const char* q :
       {"why do handovers fail at night", "calls DROP", "drops in cell 3", "it dropped",
        "keeps dropping", "failures on PUCCH", "failure", "failing RRC", "throughput degradation",
        "degraded", "problem with CA", "issues", "alarm raised", "poor coverage",
        "worse than before", "how to fix it", "it is broken", "ANR not working"})
    EXPECT_EQ(type(q), QueryType::Troubleshoot) << q;
  // Whole words only; "not working" needs one space.
  for (const char* q : {"failover settings", "dropbox", "fixed", "not  working", "notworking"})
    EXPECT_NE(type(q), QueryType::Troubleshoot) << q;
}

TEST(Classify, ProcedureWords) {
  for (const char* q : {"how do I enable carrier aggregation", "How can we set it",
                        "how should you do this", "how to set up CA", "steps for ANR", "step one",
                        "activate DRX", "deploy NB-IoT", "the procedure", "turn on MIMO sleep",
                        "turn off SON", "roll out VoLTE", "the rollout", "configure the timer"})
    EXPECT_EQ(type(q), QueryType::Procedure) << q;
  for (const char* q : {"how do they do it", "enabled features", "how  to", "roll  out", "howto"})
    EXPECT_NE(type(q), QueryType::Procedure) << q;
}

TEST(Classify, KpiCounterParameterWords) {
  EXPECT_EQ(type("what is the success rate of X"), QueryType::Kpi);
  EXPECT_EQ(type("KPIs of CA"), QueryType::Kpi);
  EXPECT_EQ(type("the drop ratio"), QueryType::Troubleshoot);  // troubleshoot comes first
  EXPECT_EQ(type("retainability of VoLTE"), QueryType::Kpi);
  EXPECT_EQ(type("success  rate"), QueryType::General);
  EXPECT_EQ(type("show the pmFoo counter"), QueryType::Counter);
  EXPECT_EQ(type("pmRrcConnEstabSucc"), QueryType::Counter);
  EXPECT_EQ(type("statistics of ANR"), QueryType::Counter);
  EXPECT_EQ(type("which timer controls it"), QueryType::Parameter);
  EXPECT_EQ(type("default offsets"), QueryType::Parameter);
  EXPECT_EQ(type("tell me about carrier aggregation"), QueryType::General);
  EXPECT_EQ(type("EUtranCellFDD.foo", kParam), QueryType::Parameter);
  EXPECT_EQ(type("EUtranCellFDD.foo", kCounter | kParam), QueryType::Counter);
  EXPECT_EQ(type("x", kKpi | kCounter), QueryType::Kpi);
  EXPECT_EQ(type("how to read the counter", kKpi), QueryType::Procedure);
  EXPECT_EQ(type("", 0), QueryType::General);
}

TEST(Classify, ComplexityRules) {
  EXPECT_EQ(classify_complexity("compare carrier aggregation versus dual connectivity", 1, 0),
            Complexity::Complex);
  for (const char* q : {"CA vs DC", "CA vs. DC", "impact of DRX", "the trade-off", "tradeoff",
                        "between CA and DC", "comparison"})
    EXPECT_EQ(classify_complexity(q, 1, 0), Complexity::Complex) << q;
  // "between … and" on one line only; "trade off" is not "trade-off".
  EXPECT_EQ(classify_complexity("between CA\nand DC", 1, 0), Complexity::Simple);
  EXPECT_EQ(classify_complexity("trade off", 1, 0), Complexity::Simple);
  EXPECT_EQ(classify_complexity("a b c d e f g h i j k l m n", 1, 0), Complexity::Moderate);
  EXPECT_EQ(classify_complexity("a b c d e f g h i j k l", 1, 0), Complexity::Simple);
  std::string long_q;
  for (int i = 0; i < 26; ++i) long_q += " w";
  EXPECT_EQ(classify_complexity(long_q, 1, 0), Complexity::Complex);
  // Words are split on JavaScript's \s, U+00A0 and U+3000 included.
  EXPECT_EQ(classify_complexity("a\xC2\xA0"
                                "b c d e f g h i j k l\xE3\x80\x80m",
                                1, 0),
            Complexity::Moderate);
  EXPECT_EQ(classify_complexity("x", 3, 0), Complexity::Complex);
  EXPECT_EQ(classify_complexity("x", 2, 0), Complexity::Moderate);
  EXPECT_EQ(classify_complexity("x", 1, kParam | kCounter), Complexity::Moderate);
  EXPECT_EQ(classify_complexity("x", 1, kParam | kKpi), Complexity::Moderate);
  EXPECT_EQ(classify_complexity("x", 1, kCounter | kKpi), Complexity::Simple);
  EXPECT_EQ(classify_complexity("x", 1, 0), Complexity::Simple);
}

/// Candidates of the given scores, each with one match of `kind` scoring as much.
struct Fixture {
  std::vector<ClassMatch> matches;
  std::vector<Candidate> cands;
  Fixture(std::vector<double> scores, router::ItemKind first = router::kFeature,
          bool exact = false) {
    matches.reserve(scores.size());
    for (std::size_t i = 0; i < scores.size(); ++i)
      matches.push_back({i == 0 ? first : router::kFeature, exact, scores[i]});
    for (std::size_t i = 0; i < scores.size(); ++i) cands.push_back({scores[i], &matches[i], 1});
  }
};

TEST(Classify, StrongFeatures) {
  const std::string q = "Which parameters control MIMO sleep start time?";
  // Weak near-equal candidates do not make a question complex.
  Fixture weak({0.27, 0.23, 0.22, 0.2}, router::kParameter);
  EXPECT_EQ(classify(q, weak.cands.data(), weak.cands.size()).complexity, Complexity::Simple);
  Fixture three({0.9, 0.85, 0.8});
  EXPECT_EQ(classify(q, three.cands.data(), 3).complexity, Complexity::Complex);
  Fixture two({0.9, 0.8});
  EXPECT_EQ(classify(q, two.cands.data(), 2).complexity, Complexity::Moderate);
  // Below 0.8 × the top is not strong.
  Fixture far({0.9, 0.7, 0.71});
  EXPECT_EQ(classify(q, far.cands.data(), 3).complexity, Complexity::Simple);
  // A weak match (score < 0.5, not exact) does not count as matched; an exact one does.
  Fixture low({0.3}, router::kKpi);
  EXPECT_EQ(classify("x", low.cands.data(), 1).type, QueryType::General);
  Fixture exact({0.3}, router::kKpi, true);
  EXPECT_EQ(classify("x", exact.cands.data(), 1).type, QueryType::Kpi);
  Fixture strong_kpi({0.6}, router::kKpi);
  EXPECT_EQ(classify("x", strong_kpi.cands.data(), 1).type, QueryType::Kpi);
  EXPECT_EQ(classify("why", nullptr, 0).type, QueryType::Troubleshoot);
  EXPECT_EQ(classify("why", nullptr, 0).complexity, Complexity::Simple);
}

TEST(Classify, CAbiGroupsMatchesByCandidate) {
  // Candidate 0 (0.9) matched a weak KPI and an exact parameter; candidate 1
  // (0.8, strong) a counter: given in mixed order.
  const double scores[] = {0.9, 0.8};
  const elex_class_match m[] = {
      {1, router::kCounter, 0, 0.7}, {0, router::kKpi, 0, 0.2}, {0, router::kParameter, 1, 0.1}};
  std::uint32_t out[2] = {99, 99};
  const std::string q = "what is it";
  ASSERT_EQ(elex_classify(q.data(), q.size(), scores, 2, m, 3, out), ELEX_OK);
  EXPECT_EQ(out[0], std::uint32_t(QueryType::Counter));    // counter before parameter
  EXPECT_EQ(out[1], std::uint32_t(Complexity::Moderate));  // two strong features
  ASSERT_EQ(elex_classify(q.data(), q.size(), scores, 0, nullptr, 0, out), ELEX_OK);
  EXPECT_EQ(out[0], std::uint32_t(QueryType::General));
  const elex_class_match bad_candidate[] = {{2, router::kCounter, 0, 0.7}};
  EXPECT_EQ(elex_classify(q.data(), q.size(), scores, 2, bad_candidate, 1, out),
            ELEX_E_INVALID_ARGUMENT);
  const elex_class_match bad_kind[] = {{0, 7, 0, 0.7}};
  EXPECT_EQ(elex_classify(q.data(), q.size(), scores, 2, bad_kind, 1, out),
            ELEX_E_INVALID_ARGUMENT);
  EXPECT_EQ(elex_classify(q.data(), q.size(), scores, 2, m, 3, nullptr), ELEX_E_INVALID_ARGUMENT);
}

}  // namespace
