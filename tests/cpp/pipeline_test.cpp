// The query cycle (pipeline.h) and the answer assembly (answer.h) on a
// small hand-made catalog: the same routing as the router alone, every
// stage timed, the deadline respected, cards in the feature's own order.
#include "elex/pipeline/pipeline.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "elex/learn/agents.h"
#include "elex/ran/answer.h"
#include "router_catalog.h"

namespace {

using elex::router::Routed;
using elex::router::Router;
using elex::router::Spec;
namespace pipeline = elex::pipeline;
namespace ran = elex::ran;

/// router_catalog.h's catalog, feature 0 listing featureState before
/// mimoSleepStartTime (cards follow the feature's own order).
struct Catalog : elex_test::Catalog {
  Spec spec() const { return elex_test::Catalog::spec({1, 1, 1, 1}, true); }
};

struct Engine {
  Catalog c;
  Router r;
  elex::learn::AgentStore agents;
  Engine() { EXPECT_EQ(r.build(c.spec()), ELEX_OK); }
};

const std::vector<std::string> kQuestions = {
    "why does mimoSleepStartTime not work with featureState",
    "how do I enable UL CoMP",
    "Sleep Time Ratio of MSM",
    "pmPucchDrop keeps rising on D-PUCCH cells",
    "tell me about carrier aggregation",
    "compare carrier aggregation and MIMO sleep mode",
};

TEST(Pipeline, RoutesAsTheRouterDoes) {
  Engine s;
  pipeline::Pipeline p(s.r, s.agents, s.c.codes);
  Router alone;
  ASSERT_EQ(alone.build(s.c.spec()), ELEX_OK);
  std::uint64_t id = 1;
  for (const std::string& q : kQuestions) {
    pipeline::Result res;
    pipeline::Options o;
    o.k = 3;
    ASSERT_EQ(p.run(q, id++, o, &res), ELEX_OK) << q;
    std::vector<Routed> want;
    ASSERT_EQ(alone.route(q.data(), q.size(), 3, &want, nullptr), ELEX_OK);
    ASSERT_EQ(res.features.size(), want.size()) << q;
    for (std::size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(res.features[i].feature, want[i].feature) << q;
      EXPECT_EQ(res.features[i].score, want[i].score) << q;
      ASSERT_EQ(res.features[i].matched.size(), want[i].matched.size()) << q;
    }
    const ran::Classified c = ran::classify(q, want, alone);
    EXPECT_EQ(res.classified.type, c.type) << q;
    EXPECT_EQ(res.classified.complexity, c.complexity) << q;
    EXPECT_FALSE(res.partial);
    // Every routed feature's agent answered, in feature order.
    ASSERT_EQ(res.replies.size(), res.features.size());
    for (std::size_t i = 0; i < res.replies.size(); ++i) {
      EXPECT_EQ(res.replies[i].candidate, i);
      EXPECT_EQ(res.replies[i].answer.action, res.replies[i].decision.action);
    }
  }
  EXPECT_EQ(ran::classify("why", {}, s.r).type, elex::learn::QueryType::Troubleshoot);
}

TEST(Pipeline, StagesAreTimed) {
  Engine s;
  pipeline::Pipeline p(s.r, s.agents, s.c.codes);
  pipeline::Result res;
  ASSERT_EQ(p.run(kQuestions[0], 1, {}, &res), ELEX_OK);
  const pipeline::Timings& t = res.ms;
  EXPECT_GT(t.route, 0);
  EXPECT_GE(t.classify, 0);
  EXPECT_GT(t.agents, 0);
  EXPECT_GE(t.answer, 0);
  EXPECT_GE(t.total, t.route + t.classify + t.agents + t.answer);
  EXPECT_LT(t.total, 500);
}

TEST(Pipeline, DeadlineIsRespected) {
  Engine s;
  pipeline::Pipeline p(s.r, s.agents, s.c.codes);
  pipeline::Options o;
  o.deadline_ms = 1e-9;  // passed before the first stage
  pipeline::Result res;
  ASSERT_EQ(p.run(kQuestions[1], 1, o, &res), ELEX_OK);
  EXPECT_TRUE(res.partial);
  EXPECT_TRUE(res.features.empty());
  EXPECT_TRUE(res.replies.empty());
  EXPECT_LT(res.ms.total, 5);
  // A deadline a route takes longer than: no agent is asked after it.
  o.deadline_ms = 0.001;
  ASSERT_EQ(p.run(kQuestions[1], 2, o, &res), ELEX_OK);
  EXPECT_TRUE(res.partial);
  EXPECT_TRUE(res.replies.empty());
  o.deadline_ms = 0;
  EXPECT_EQ(p.run(kQuestions[1], 3, o, &res), ELEX_E_INVALID_ARGUMENT);
}

TEST(Pipeline, GivenTypeAndComplexityAreKept) {
  Engine s;
  pipeline::Pipeline p(s.r, s.agents, s.c.codes);
  pipeline::Options o;
  o.given_type = o.given_complexity = true;
  o.type = elex::learn::QueryType::Kpi;
  o.complexity = elex::learn::Complexity::Complex;
  pipeline::Result res;
  ASSERT_EQ(p.run("why does it fail", 1, o, &res), ELEX_OK);
  EXPECT_EQ(res.classified.type, elex::learn::QueryType::Kpi);
  EXPECT_EQ(res.classified.complexity, elex::learn::Complexity::Complex);
}

TEST(Answer, CardsFollowTheFeaturesOwnOrder) {
  Engine s;
  std::vector<Routed> out;
  const std::string q = "AntennaUnitGroup.mimoSleepStartTime and FeatureState.featureState";
  ASSERT_EQ(s.r.route(q.data(), q.size(), 4, &out, nullptr), ELEX_OK);
  ASSERT_EQ(out[0].feature, 0u);
  const ran::Card card = ran::card(s.r, out[0]);
  // Feature 0 lists featureState (item 5), mimoSleepStartTime (4), the KPI
  // (8): its card shows those it matched in that order, whatever their scores.
  std::vector<std::uint32_t> want;
  for (std::uint32_t item : {5u, 4u, 8u})
    for (const elex::router::Match& m : out[0].matched)
      if (m.item == item) want.push_back(item);
  ASSERT_GE(want.size(), 2u);
  EXPECT_EQ(card.items, want);
  EXPECT_NE(out[0].matched[0].item, 5u);  // so the order is the list's, not the scores'
  EXPECT_EQ(card.parameters, 2u);
  EXPECT_EQ(card.counters, 0u);
  EXPECT_EQ(card.kpis, 1u);
  // The code: 1 + the index of each of those matches, 4 bits each.
  const std::uint32_t code = ran::card_code(s.r, out[0]);
  std::vector<std::uint32_t> decoded;
  for (std::uint32_t c = code; c & 15; c >>= 4)
    decoded.push_back(out[0].matched[(c & 15) - 1].item);
  EXPECT_EQ(decoded, card.items);

  // What each action's answer holds.
  using elex::learn::Action;
  ran::Answer a = ran::answer(Action::DirectAnswer, 0, out, s.r, nullptr);
  ASSERT_EQ(a.cards.size(), 1u);
  EXPECT_EQ(a.cards[0].feature, 0u);
  std::vector<std::vector<std::uint32_t>> deps = {{3}, {}, {}, {}};
  a = ran::answer(Action::ContextAnswer, 0, out, s.r, &deps);
  EXPECT_EQ(a.related, std::vector<std::uint32_t>{3});
  a = ran::answer(Action::ConsultPeer, 1, out, s.r, nullptr);
  EXPECT_EQ(a.cards.size(), std::min<std::size_t>(3, out.size()));
  a = ran::answer(Action::RequestClarification, 0, out, s.r, nullptr);
  EXPECT_EQ(a.candidates.size(), std::min<std::size_t>(5, out.size()));
  EXPECT_EQ(a.reason, nullptr);
  a = ran::answer(Action::Escalate, 0, out, s.r, nullptr);
  EXPECT_STREQ(a.reason, ran::kEscalateReason);
}

TEST(Pipeline, Hash32IsTheFacadesOverUtf16) {
  // ts/learn-types.ts hash32 of the same strings (FNV-1a over UTF-16 units).
  EXPECT_EQ(pipeline::hash32(""), 0x811c9dc5u);
  EXPECT_EQ(pipeline::hash32("a"), 0xe40c292cu);
  // U+00E9 is one unit, U+1F600 two (a surrogate pair).
  std::uint32_t h = 0x811c9dc5u;
  for (std::uint32_t u : {0xE9u, 0xD83Du, 0xDE00u}) h = (h ^ u) * 0x01000193u;
  EXPECT_EQ(pipeline::hash32("\xC3\xA9\xF0\x9F\x98\x80"), h);
}

}  // namespace
