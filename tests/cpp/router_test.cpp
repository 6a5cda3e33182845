// Question router (router.h) on a small hand-made catalog: each kind of
// evidence, the specificity of shared identifiers, spans inside longer
// ones, hosting, the item signal and `matched`, the route memory, fusion
// against a plain recomputation, and bad specs.
#include "elex/router.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace {

using elex::router::Routed;
using elex::router::Router;
using elex::router::Spec;

/// Features: 0 MIMO Sleep Mode (MSM), 1 Uplink CoMP, 2 D-PUCCH, 3 Carrier
/// Aggregation (CA); items: 4 mimoSleepStartTime (feature 0),
/// 5 featureState (all four), 6 ulCompEnabled (1), 7 pmPucchDrop (2),
/// 8 "Sleep Time Ratio" KPI (0).
struct Catalog {
  std::vector<std::string> texts = {
      "FAJ 121 0001",
      "MIMO Sleep Mode",
      "MSM",
      "Energy",
      "Turns off MIMO branches at low load",
      "FAJ 121 0002",
      "Uplink Coordinated Multipoint",
      "UL CoMP",
      "Radio",
      "",
      "FAJ 121 0003",
      "Dynamic PUCCH",
      "D-PUCCH",
      "Radio",
      "",
      "FAJ 121 0004",
      "Carrier Aggregation",
      "CA",
      "Capacity",
      "Combines carriers",
  };
  std::vector<std::string> names = {"AntennaUnitGroup.mimoSleepStartTime",
                                    "FeatureState.featureState", "EUtranCellFDD.ulCompEnabled",
                                    "pmPucchDrop", "Sleep Time Ratio"};
  std::vector<std::string> descriptions = {"When the MIMO sleep window starts", "", "", "",
                                           "share of time asleep"};
  std::vector<std::string> glossary = {"UL", "uplink"};
  Spec spec(std::vector<std::uint8_t> hosted = {1, 1, 1, 1}) const {
    Spec s;
    s.dim = 256;
    for (const std::string& t : texts) s.feature_texts.emplace_back(t);
    s.hosted = std::move(hosted);
    s.item_kinds = {elex::router::kParameter, elex::router::kParameter, elex::router::kParameter,
                    elex::router::kCounter, elex::router::kKpi};
    for (const std::string& t : names) s.item_names.emplace_back(t);
    for (const std::string& t : descriptions) s.item_descriptions.emplace_back(t);
    s.item_feature_offsets = {0, 1, 5, 6, 7, 8};
    s.item_features = {0, 0, 1, 2, 3, 1, 2, 0};
    s.feature_item_offsets = {0, 3, 5, 7, 8};
    s.feature_items = {0, 1, 4, 2, 1, 3, 1, 1};
    for (const std::string& t : glossary) s.glossary.emplace_back(t);
    return s;
  }
};

std::vector<Routed> route(Router& r, const std::string& q, std::uint32_t k = 4) {
  std::vector<Routed> out;
  EXPECT_EQ(r.route(q.data(), q.size(), k, &out, nullptr), ELEX_OK);
  return out;
}

Router& built(Router& r, const Spec& s) {
  EXPECT_EQ(r.build(s), ELEX_OK);
  return r;
}

TEST(Router, EachKindOfExactEvidence) {
  Catalog c;
  Router r;
  built(r, c.spec());
  // A code with or without its spaces, an acronym as written, a hyphenated
  // acronym, a feature name, a parameter by its part after the dot.
  for (const auto& [q, want] : std::vector<std::pair<std::string, std::uint32_t>>{
           {"what does FAJ 121 0002 do", 1},
           {"what does FAJ1210002 do", 1},
           {"is MSM on", 0},
           {"D-PUCCH drops", 2},
           {"tell me about carrier aggregation", 3},
           {"how is mimoSleepStartTime set", 0},
       }) {
    const auto out = route(r, q);
    ASSERT_FALSE(out.empty()) << q;
    EXPECT_EQ(out[0].feature, want) << q;
    EXPECT_GT(out[0].exact, 0.5) << q;
    EXPECT_TRUE(!out[0].matched.empty() && out[0].matched[0].exact) << q;
  }
  // "msm" in lower case is not the acronym; a shared identifier is weak.
  EXPECT_EQ(route(r, "msm")[0].exact, 0.0);
  const auto shared = route(r, "FeatureState.featureState");
  ASSERT_EQ(shared.size(), 4u);
  for (const Routed& x : shared) EXPECT_NEAR(x.exact, 0.8 / (1 + std::log(4.0)), 1e-9);
}

TEST(Router, ANameInsideALongerMatchDoesNotCount) {
  Catalog c;
  c.texts[5 * 3 + 1] = "Sleep Mode";  // feature 3 is now named inside feature 0's name
  Router r;
  built(r, c.spec());
  const auto out = route(r, "MIMO Sleep Mode");
  EXPECT_EQ(out[0].feature, 0u);
  for (const Routed& x : out)
    if (x.feature == 3) EXPECT_EQ(x.exact, 0.0);
}

TEST(Router, OnlyHostedFeaturesComeBackWithTheSameEvidence) {
  Catalog c;
  Router all, half;
  built(all, c.spec());
  built(half, c.spec({0, 1, 0, 1}));
  EXPECT_EQ(half.hosted(), 2u);
  for (const std::string q : {"uplink coordinated multipoint", "MIMO sleep start", "carriers"}) {
    const auto a = route(all, q), h = route(half, q);
    for (const Routed& x : h) {
      EXPECT_TRUE(x.feature == 1 || x.feature == 3) << q;
      bool same = false;
      for (const Routed& y : a)
        if (y.feature == x.feature)
          same = std::abs(y.score - x.score) < 1e-9 && y.lexical == x.lexical;
      EXPECT_TRUE(same) << q;
    }
  }
}

TEST(Router, GlossaryAndLexicalEvidence) {
  Catalog c;
  Router r;
  built(r, c.spec());
  const auto out = route(r, "UL coordinated");
  EXPECT_EQ(out[0].feature, 1u);
  EXPECT_DOUBLE_EQ(out[0].lexical, 1.0);  // the best lexical score is the unit
}

TEST(Router, ItemWordsScoreAndListTheItems) {
  Catalog c;
  Router r;
  built(r, c.spec());
  const auto out = route(r, "which parameter sets when the sleep window starts");
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out[0].feature, 0u);
  EXPECT_GT(out[0].item, 0.0);
  bool listed = false;
  for (const auto& m : out[0].matched) listed = listed || (m.item == 4 + 0 && !m.exact);
  EXPECT_TRUE(listed);
  // Scores are in [0, 1], best first, ties by code.
  for (std::size_t i = 0; i < out.size(); ++i) {
    EXPECT_GE(out[i].score, 0.0);
    EXPECT_LE(out[i].score, 1.0);
    if (i > 0) EXPECT_GE(out[i - 1].score, out[i].score);
  }
}

TEST(Router, FusionIsTheWeightedSum) {
  Catalog c;
  Spec s = c.spec();
  s.weights.item = 0;  // no re-scoring: score = squash(fuse(evidence))
  Router r;
  built(r, s);
  for (const std::string q : {"MSM uplink carriers", "FAJ 121 0003 pucch", "mimo sleep"}) {
    for (const Routed& x : route(r, q)) {
      const auto& w = s.weights;
      const double raw = (w.vector * x.vector + w.exact * x.exact + w.lexical * x.lexical) /
                             (w.vector + w.exact + w.lexical) +
                         w.feedback * x.feedback;
      EXPECT_NEAR(x.score, elex::router::squash(raw), 1e-12) << q;
    }
  }
}

TEST(Router, RememberedRatingsMoveSimilarQuestions) {
  Catalog c;
  Router r;
  built(r, c.spec());
  const std::string q = "energy saving at night";
  const auto before = route(r, q);
  const std::uint32_t ids[] = {7, 8};
  const std::uint32_t features[] = {3, 3};
  const float rewards[] = {1.0f, 1.0f};
  const std::string_view texts[] = {"energy saving at night", "saving energy at night"};
  ASSERT_EQ(r.remember(ids, features, rewards, texts, 2), ELEX_OK);
  EXPECT_EQ(r.memories(), 2u);
  const auto after = route(r, q);
  EXPECT_EQ(after[0].feature, 3u);
  EXPECT_GT(after[0].feedback, 0.5);
  // The same id twice, a zero reward, an unhosted feature: refused.
  EXPECT_NE(r.remember(ids, features, rewards, texts, 1), ELEX_OK);
  const std::uint32_t id9[] = {9};
  const float zero[] = {0.0f};
  EXPECT_NE(r.remember(id9, features, zero, texts, 1), ELEX_OK);
  ASSERT_EQ(r.forget(ids, 2), ELEX_OK);
  EXPECT_EQ(r.memories(), 0u);
  const auto again = route(r, q);
  ASSERT_EQ(again.size(), before.size());
  for (std::size_t i = 0; i < again.size(); ++i) EXPECT_EQ(again[i].feature, before[i].feature);
}

TEST(Router, BadSpecsAndQuestionsAreErrors) {
  Catalog c;
  {
    Spec s = c.spec();
    s.item_features[0] = 99;
    Router r;
    EXPECT_NE(r.build(s), ELEX_OK);
  }
  {
    Spec s = c.spec();
    s.weights.vector = s.weights.exact = s.weights.lexical = 0;
    Router r;
    EXPECT_NE(r.build(s), ELEX_OK);
  }
  {
    Spec s = c.spec();
    s.feature_item_offsets[1] = 99;
    Router r;
    EXPECT_NE(r.build(s), ELEX_OK);
  }
  Router r;
  std::vector<Routed> out;
  EXPECT_NE(r.route("x", 1, 3, &out, nullptr), ELEX_OK);  // not built
  built(r, c.spec());
  EXPECT_NE(r.route("x", 1, 0, &out, nullptr), ELEX_OK);  // k = 0
  const std::string huge(elex::embed::kMaxTextBytes + 1, 'a');
  EXPECT_NE(r.route(huge.data(), huge.size(), 3, &out, nullptr), ELEX_OK);
  // Questions of no words, or only punctuation, route to nothing or to something, without error.
  for (const std::string q : {"", "???", "-", "....", "FAJ", "AB 12"})
    EXPECT_EQ(r.route(q.data(), q.size(), 3, &out, nullptr), ELEX_OK) << q;
}

}  // namespace
