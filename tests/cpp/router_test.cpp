// Question router (router.h) on a small hand-made catalog: each kind of
// evidence, the specificity of shared identifiers, spans inside longer
// ones, hosting, the item signal and `matched`, the route memory, fusion
// against a plain recomputation, and bad specs.
#include "elex/ran/router.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "elex/core/format.h"
#include "elex/core/parallel.h"
#include "router_catalog.h"

namespace {

using elex::router::Routed;
using elex::router::Router;
using elex::router::Spec;

using elex_test::Catalog;

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
  // A code with or without its spaces, in any case, an acronym as written, a hyphenated
  // acronym, a feature name, a parameter by its part after the dot.
  for (const auto& [q, want] : std::vector<std::pair<std::string, std::uint32_t>>{
           {"what does FAJ 121 0002 do", 1},
           {"what does FAJ1210002 do", 1},
           {"what does faj 121 0002 do", 1},
           {"what does Faj 1210002 do", 1},
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

TEST(Router, ACodeWithAReleaseSuffixIsAnExactHit) {
  // "FAJ 121 0002/2" is a code the catalog checks allow; the question that
  // writes it (with or without spaces) named it, but the matcher stopped at
  // the '/' and looked up "faj1210002", which no feature had: exact 0.
  Catalog c;
  c.texts[5 * 1] = "FAJ 121 0002/2";
  c.texts[5 * 2] = "FAJ 121 0002/3";
  Router r;
  built(r, c.spec());
  for (const auto& [q, want] : std::vector<std::pair<std::string, std::uint32_t>>{
           {"what does FAJ 121 0002/2 do", 1},
           {"what does FAJ1210002/3 do?", 2},
           {"faj 121 0002/2", 1},
       }) {
    const auto out = route(r, q);
    ASSERT_FALSE(out.empty()) << q;
    EXPECT_EQ(out[0].feature, want) << q;
    EXPECT_EQ(out[0].exact, 1.0) << q;
    for (std::size_t i = 1; i < out.size(); ++i) EXPECT_EQ(out[i].exact, 0.0) << q;
  }
  // Another release, or none, is not that code.
  EXPECT_EQ(route(r, "FAJ 121 0002/4")[0].exact, 0.0);
  EXPECT_EQ(route(r, "FAJ 121 0002/2x")[0].exact, 0.0);
}

TEST(Router, AnAcronymInCapitalsBeyondAsciiIsAnExactHit) {
  // "УПМ" and "ΔΦΣ" are acronyms in capitals as much as "MSM" is; the
  // matcher read only ASCII capitals, so they counted on words alone.
  Catalog c;
  c.texts[5 * 0 + 2] = "УПМ";
  c.texts[5 * 1 + 2] = "ΔΦΣ-2";
  c.texts[5 * 2 + 2] = "ÉCO";
  Router r;
  built(r, c.spec());
  for (const auto& [q, want] : std::vector<std::pair<std::string, std::uint32_t>>{
           {"что такое УПМ?", 0}, {"ΔΦΣ-2 settings", 1}, {"is ÉCO on", 2}, {"(УПМ)", 0}}) {
    const auto out = route(r, q);
    ASSERT_FALSE(out.empty()) << q;
    EXPECT_EQ(out[0].feature, want) << q;
    EXPECT_EQ(out[0].exact, 1.0) << q;
  }
  // Not in capitals, or inside a longer word: no hit, as for ASCII acronyms.
  for (const char* q : {"упм", "УПМА", "xУПМ", "ΔΦΣ"}) {
    const auto out = route(r, q);
    for (const Routed& x : out) EXPECT_EQ(x.exact, 0.0) << q;
  }
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

TEST(Router, AFeaturesNameIsAnItemOfItsOwn) {
  Catalog c;
  Router r;
  built(r, c.spec());
  // "sleep mode": 2 of the question's 2 words and of the name's 3 words
  // (MIMO Sleep Mode); its parameter mimoSleepStartTime holds only "sleep".
  const auto out = route(r, "sleep mode");
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out[0].feature, 0u);
  EXPECT_NEAR(out[0].item, elex::router::kNameShare * 2.0 / std::sqrt(2.0 * 3.0), 1e-9);
  // A feature without a name (its text is empty) has no name item.
  c.texts[5 * 0 + 1] = "";
  Router unnamed;
  built(unnamed, c.spec());
  const auto bare = route(unnamed, "sleep mode");
  ASSERT_FALSE(bare.empty());
  EXPECT_EQ(bare[0].feature, 0u);
  EXPECT_NEAR(bare[0].item, 0.5, 1e-9);  // only the parameter: 1 of 2 words
}

TEST(Router, APlainWordIsNotAnIdentifierThatIsThatWord) {
  Catalog c;
  c.names[3] = "Pucch.drop";  // a counter of feature 2 whose attribute is a plain word
  Router r;
  built(r, c.spec());
  for (const Routed& x : route(r, "why do calls drop")) EXPECT_EQ(x.exact, 0.0) << x.feature;
  // Capitalised only because a sentence starts with it: a plain word too.
  for (const std::string q :
       {"Drop rate is high", "Calls fail. Drop rate?", "(Drop) calls", "why?\n\"Drop\" calls"})
    for (const Routed& x : route(r, q)) EXPECT_EQ(x.exact, 0.0) << q << " " << x.feature;
  for (const std::string q : {"Pucch.drop", "is DROP high", "is Drop high", "DROP rate"}) {
    const auto out = route(r, q);
    ASSERT_FALSE(out.empty()) << q;
    EXPECT_EQ(out[0].feature, 2u) << q;
    EXPECT_GT(out[0].exact, 0.5) << q;
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
                         w.feedback * x.feedback + w.technology * x.technology +
                         w.direction * x.direction;
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

TEST(Router, ForgottenRatingsGiveBackTheirMemory) {
  // The route memory keeps its newest rated questions and forgets the
  // oldest, but a forgotten question stayed in the memory's index as a
  // removed node: a dashboard rating all day grew a worker's memory without
  // bound (counted against the budget), though only 4,096 were kept.
  Catalog c;
  Router r;
  built(r, c.spec());
  const std::uint32_t feature = 3;
  const float reward = 1.0f;
  constexpr std::uint32_t kKept = 64;
  std::size_t peak_early = 0;
  std::string text;
  for (std::uint32_t id = 1; id <= 4000; ++id) {
    text = "energy saving at night in cell " + std::to_string(id);
    const std::string_view t = text;
    ASSERT_EQ(r.remember(&id, &feature, &reward, &t, 1), ELEX_OK);
    if (id > kKept) {
      const std::uint32_t old = id - kKept;
      ASSERT_EQ(r.forget(&old, 1), ELEX_OK);
    }
    if (id <= 1000) peak_early = std::max(peak_early, r.bytes());
    ASSERT_EQ(r.memories(), std::min<std::size_t>(id, kKept));
  }
  // 4,000 ratings hold no more than 1,000 did: what was forgotten was freed.
  EXPECT_LE(r.bytes(), peak_early);
  // The kept ones still steer routing; the forgotten ones no longer do.
  const auto now = route(r, text);
  ASSERT_FALSE(now.empty());
  EXPECT_EQ(now[0].feature, feature);
  EXPECT_GT(now[0].feedback, 0.5);
}

TEST(Router, RouteMemoryGivesWayToABudget) {
  // A worker's route memory grew with every rating, past its memory budget
  // (112 % after 1,200 long rated questions): trim_memory() forgets the
  // oldest until it fits, and what was rated last still steers routing.
  Catalog c;
  Router r;
  built(r, c.spec());
  const float reward = 1.0f;
  std::string text;
  const auto rate = [&](std::uint32_t id, std::uint32_t feature, const std::string& q) {
    const std::string_view t = q;
    ASSERT_EQ(r.remember(&id, &feature, &reward, &t, 1), ELEX_OK);
  };
  for (std::uint32_t id = 1; id <= 600; ++id)
    rate(id, 2, "energy saving at night in cell " + std::to_string(id));
  const std::size_t full = r.memory_bytes();
  EXPECT_GT(full, 600u * 64);
  EXPECT_EQ(r.bytes() - r.memory_bytes(), [] {
    Catalog c2;
    Router bare;
    EXPECT_EQ(bare.build(c2.spec()), ELEX_OK);
    return bare.bytes();
  }());
  // Nothing to do when it fits.
  std::vector<std::uint32_t> forgotten;
  ASSERT_EQ(r.trim_memory(full, &forgotten), ELEX_OK);
  EXPECT_TRUE(forgotten.empty());
  // Half the bytes: the oldest go, in order, and the bytes fall at once.
  ASSERT_EQ(r.trim_memory(full / 2, &forgotten), ELEX_OK);
  EXPECT_LE(r.memory_bytes(), full / 2);
  ASSERT_FALSE(forgotten.empty());
  EXPECT_EQ(forgotten.size() + r.memories(), 600u);
  EXPECT_GT(r.memories(), 150u);
  for (std::size_t i = 0; i < forgotten.size(); ++i) EXPECT_EQ(forgotten[i], i + 1);
  // The rebuilt index has room: the next ratings do not grow it.
  const std::size_t trimmed = r.memory_bytes();
  for (std::uint32_t id = 601; id <= 610; ++id)
    rate(id, 2, "energy saving at night in cell " + std::to_string(id));
  EXPECT_LE(r.memory_bytes(), trimmed + 10 * 40);
  // What was rated after the trim teaches routing: 👍 on feature 1 for a new question.
  const std::string q = "how do the uplink carriers of cell 7 behave at noon";
  const auto before = route(r, q);
  rate(1000, 1, q);
  const auto after = route(r, q);
  ASSERT_FALSE(after.empty());
  EXPECT_EQ(after[0].feature, 1u);
  EXPECT_GT(after[0].feedback, 0.5);
  // Bytes the host keeps per question count with the router's.
  forgotten.clear();
  const std::size_t with_host = r.memory_bytes() + r.memories() * 200;
  ASSERT_EQ(r.trim_memory(with_host * 3 / 4, &forgotten, 200), ELEX_OK);
  EXPECT_FALSE(forgotten.empty());
  EXPECT_LE(r.memory_bytes() + r.memories() * 200, with_host * 3 / 4);
  // No room at all: everything is forgotten, and routing is as with no memory.
  forgotten.clear();
  const std::size_t held = r.memories();
  ASSERT_EQ(r.trim_memory(0, &forgotten), ELEX_OK);
  EXPECT_EQ(forgotten.size(), held);
  EXPECT_EQ(forgotten.back(), 1000u);
  EXPECT_EQ(r.memories(), 0u);
  EXPECT_EQ(r.memory_bytes(), 0u);
  const auto none = route(r, q);
  ASSERT_EQ(none.size(), before.size());
  for (std::size_t i = 0; i < none.size(); ++i) EXPECT_EQ(none[i].feature, before[i].feature);
  // It learns again from empty.
  rate(1001, 1, q);
  EXPECT_EQ(route(r, q)[0].feature, 1u);
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

namespace {

void same(const std::vector<Routed>& a, const std::vector<Routed>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].feature, b[i].feature);
    EXPECT_EQ(a[i].score, b[i].score);  // bit for bit: the same tables, the same arithmetic
    EXPECT_EQ(a[i].vector, b[i].vector);
    EXPECT_EQ(a[i].exact, b[i].exact);
    EXPECT_EQ(a[i].lexical, b[i].lexical);
    EXPECT_EQ(a[i].item, b[i].item);
    ASSERT_EQ(a[i].matched.size(), b[i].matched.size());
    for (std::size_t j = 0; j < a[i].matched.size(); ++j) {
      EXPECT_EQ(a[i].matched[j].item, b[i].matched[j].item);
      EXPECT_EQ(a[i].matched[j].exact, b[i].matched[j].exact);
      EXPECT_EQ(a[i].matched[j].score, b[i].matched[j].score);
    }
  }
}

TEST(RouterState, SavedStateRoutesExactlyAsTheBuild) {
  const Catalog c;
  for (const std::vector<std::uint8_t>& hosted :
       {std::vector<std::uint8_t>{1, 1, 1, 1}, std::vector<std::uint8_t>{0, 1, 0, 1}}) {
    Router a;
    built(a, c.spec(hosted));
    std::uint8_t* bytes = nullptr;
    std::size_t size = 0;
    ASSERT_EQ(a.save(&bytes, &size), ELEX_OK);
    Router b;
    ASSERT_EQ(b.load(bytes, size), ELEX_OK);
    EXPECT_EQ(b.features(), a.features());
    EXPECT_EQ(b.hosted(), a.hosted());
    EXPECT_EQ(b.dim(), a.dim());
    // What a worker names its results by before it parses the catalog.
    ASSERT_EQ(b.items(), a.items());
    for (std::uint32_t i = 0; i < a.items(); ++i) {
      EXPECT_EQ(b.item_name(i), a.item_name(i));
      EXPECT_EQ(b.item_kinds()[i], a.item_kinds()[i]);
    }
    ASSERT_EQ(b.feature_names().size(), a.features());
    for (std::uint32_t f = 0; f < a.features(); ++f) {
      EXPECT_EQ(b.feature_names()[f], c.spec(hosted).feature_texts[5 * f + 1]);
      EXPECT_EQ(b.item_name(f), c.spec(hosted).feature_texts[5 * f]);
    }
    for (std::uint32_t h = 0; h < a.hosted(); ++h)
      EXPECT_EQ(b.hosted_features()[h], a.hosted_features()[h]);
    for (const char* q :
         {"which parameters control MIMO sleep start time?", "UL CoMP", "uplink multipoint",
          "D-PUCCH drops", "FAJ 121 0004", "featureState", "share of time asleep", "zzz",
          "carriers combined", "mimoSleepStartTime", "FAJ 121 0001.a"})
      same(route(a, q), route(b, q));
    // Saved again, the same bytes.
    std::uint8_t* again = nullptr;
    std::size_t again_size = 0;
    ASSERT_EQ(b.save(&again, &again_size), ELEX_OK);
    ASSERT_EQ(again_size, size);
    EXPECT_EQ(std::memcmp(again, bytes, size), 0);
    std::free(again);
    // The route memory works on a loaded router.
    const std::uint32_t id = 7, feature = hosted[3] ? 3 : 1;
    const float reward = 1;
    const std::string_view text = "the capacity booster";
    ASSERT_EQ(b.remember(&id, &feature, &reward, &text, 1), ELEX_OK);
    EXPECT_EQ(b.memories(), 1u);
    std::free(bytes);
  }
}

TEST(RouterState, ABuildOnAPoolOfThreadsIsTheSameRouter) {
  const Catalog c;
  elex::ThreadPool pool(4);
  for (const std::vector<std::uint8_t>& hosted :
       {std::vector<std::uint8_t>{1, 1, 1, 1}, std::vector<std::uint8_t>{0, 1, 0, 1}}) {
    Router a, b;
    built(a, c.spec(hosted));
    ASSERT_EQ(b.build(c.spec(hosted), &pool), ELEX_OK);
    std::uint8_t *x = nullptr, *y = nullptr;
    std::size_t nx = 0, ny = 0;
    ASSERT_EQ(a.save(&x, &nx), ELEX_OK);
    ASSERT_EQ(b.save(&y, &ny), ELEX_OK);
    ASSERT_EQ(nx, ny);
    EXPECT_EQ(std::memcmp(x, y, nx), 0);
    std::free(x);
    std::free(y);
    for (const char* q : {"which parameters control MIMO sleep start time?", "UL CoMP"})
      same(route(a, q), route(b, q));
  }
  // A failure on either thread is the build's, with its message.
  Spec s = c.spec();
  const std::string side(2000, 'x');
  s.glossary = {side, "long"};
  Router r;
  EXPECT_EQ(r.build(s, &pool), ELEX_E_INVALID_ARGUMENT);
  EXPECT_NE(std::string(elex::last_error_message()).find("glossary entry 0"), std::string::npos);
}

TEST(RouterState, DamagedOrForeignStateIsACodedErrorAndLeavesTheRouterUnbuilt) {
  const Catalog c;
  Router a;
  built(a, c.spec());
  std::uint8_t* bytes = nullptr;
  std::size_t size = 0;
  ASSERT_EQ(a.save(&bytes, &size), ELEX_OK);
  std::vector<std::uint8_t> good(bytes, bytes + size);
  std::free(bytes);
  {
    Router b;  // built already
    built(b, c.spec());
    EXPECT_EQ(b.load(good.data(), good.size()), ELEX_E_INVALID_ARGUMENT);
    EXPECT_EQ(a.load(good.data(), good.size()), ELEX_E_INVALID_ARGUMENT);
  }
  for (std::size_t cut :
       {std::size_t(0), std::size_t(3), std::size_t(20), good.size() / 2, good.size() - 1}) {
    Router b;
    EXPECT_NE(b.load(good.data(), cut), ELEX_OK) << cut;
    EXPECT_EQ(b.dim(), 0u);
  }
  for (std::size_t at = 0; at < good.size(); at += std::max<std::size_t>(1, good.size() / 300)) {
    std::vector<std::uint8_t> bad = good;
    bad[at] ^= 0x41;
    Router b;
    EXPECT_NE(b.load(bad.data(), bad.size()), ELEX_OK) << at;
    std::vector<Routed> out;
    EXPECT_EQ(b.route("uplink", 6, 4, &out, nullptr), ELEX_E_INVALID_ARGUMENT);  // not built
  }
  // The trailer is hash32 (container version 2), not the CRC-32: a state
  // whose trailer is the CRC of its bytes is corrupt.
  {
    ASSERT_EQ(good[4], 2);  // the container's format version
    std::vector<std::uint8_t> bad = good;
    const std::uint32_t crc = elex::format::crc32(bad.data(), bad.size() - 4);
    std::memcpy(bad.data() + bad.size() - 4, &crc, 4);
    Router b;
    EXPECT_EQ(b.load(bad.data(), bad.size()), ELEX_E_CORRUPT_DATA);
  }
  // Every single-bit flip in the BODY (sampled) is caught by the checksum,
  // before the tables are read.
  for (std::size_t at = 64; at + 4 < good.size(); at += 97)
    for (int bit = 0; bit < 8; bit += 3) {
      std::vector<std::uint8_t> bad = good;
      bad[at] ^= std::uint8_t(1u << bit);
      Router b;
      EXPECT_EQ(b.load(bad.data(), bad.size()), ELEX_E_CORRUPT_DATA) << at << ":" << bit;
    }
  // A payload that passes the checksum but does not hold together: CORRUPT_DATA.
  {
    std::vector<std::uint8_t> bad = good;
    // The container trailer is recomputed.
    const std::size_t body = 16 + 16 + 16 + 16;  // header, META (16 + 16), BODY header
    bad[body + 56 + 3] ^= 0x7F;  // features_ (after the seven weights): a huge count
    elex::format::seal(bad.data(), bad.size());
    Router b;
    EXPECT_EQ(b.load(bad.data(), bad.size()), ELEX_E_CORRUPT_DATA);
  }
  // Any one byte of the BODY changed and the container sealed again (a state
  // crafted to pass the checksum): a coded error, or a router that routes
  // (a changed name or score is still a router); never a read out of bounds
  // (the sanitizer build runs this too).
  for (std::size_t at = 64; at + 4 < good.size(); at += 5) {
    std::vector<std::uint8_t> bad = good;
    bad[at] ^= std::uint8_t(0x5A);
    elex::format::seal(bad.data(), bad.size());
    Router b;
    const int st = b.load(bad.data(), bad.size());
    if (st != ELEX_OK) {
      EXPECT_TRUE(st == ELEX_E_CORRUPT_DATA || st == ELEX_E_UNSUPPORTED_VERSION)
          << at << ": " << st;
      continue;
    }
    std::vector<Routed> out;
    for (const char* q :
         {"which parameters control MIMO sleep start time?", "UL CoMP", "FAJ 121 0004"})
      EXPECT_EQ(b.route(q, std::strlen(q), 4, &out, nullptr), ELEX_OK) << at;
  }
  // Non-zero padding before a table (serial.h aligns each to 8): CORRUPT_DATA.
  {
    std::vector<std::uint8_t> bad = good;
    const std::size_t body = 16 + 16 + 16 + 16;
    bad[body + 60] = 1;  // after the weights and features_ (60 bytes), before the first table
    elex::format::seal(bad.data(), bad.size());
    Router b;
    EXPECT_EQ(b.load(bad.data(), bad.size()), ELEX_E_CORRUPT_DATA);
  }
  // Another version of the state, newer or older (an older engine's state
  // in a cache): UNSUPPORTED_VERSION, the router left unbuilt (the caller
  // builds it), and a good state loads into it afterwards.
  for (const int step : {1, -1, -2}) {
    std::vector<std::uint8_t> bad = good;
    bad[16 + 16] = std::uint8_t(bad[16 + 16] + step);  // META's state version (low byte)
    elex::format::seal(bad.data(), bad.size());
    Router b;
    EXPECT_EQ(b.load(bad.data(), bad.size()), ELEX_E_UNSUPPORTED_VERSION) << step;
    EXPECT_EQ(b.dim(), 0u);
    EXPECT_EQ(b.load(good.data(), good.size()), ELEX_OK);
  }
  Router b;
  EXPECT_EQ(b.load(good.data(), good.size()), ELEX_OK);
}

}  // namespace

TEST(RouterTechnology, QuestionsAndItemsNameTheirRadioTechnology) {
  using elex::router::item_technology;
  using elex::router::kLte;
  using elex::router::kNr;
  using elex::router::question_technology;
  EXPECT_EQ(question_technology("Which counters show paging on the gNodeB?"), kNr);
  EXPECT_EQ(question_technology("X2 towards the en-gNB never comes up"), kNr);
  EXPECT_EQ(question_technology("LTE cell edge VoLTE"), kLte);
  EXPECT_EQ(question_technology("E-UTRAN neighbours of an eNB"), kLte);
  EXPECT_EQ(question_technology("4G and 5G anchors"), kLte | kNr);
  EXPECT_EQ(question_technology("NR"), kNr);
  EXPECT_EQ(question_technology("nr of UEs per cell"), 0);  // a number
  EXPECT_EQ(question_technology("UTRAN neighbours"), 0);    // 3G
  EXPECT_EQ(question_technology("planning the learning rate"), 0);
  EXPECT_EQ(question_technology(""), 0);
  EXPECT_EQ(item_technology("EUtranCellFDD.pmPagReceived"), kLte);
  EXPECT_EQ(item_technology("ENodeBFunction.x2BlackList"), kLte);
  EXPECT_EQ(item_technology("NRCellDU.pmPagReceivedEdrx"), kNr);
  EXPECT_EQ(item_technology("GNBCUCPFunction.pmPagNgReceivedEdrx"), kNr);
  EXPECT_EQ(item_technology("FeatureState.featureState"), 0);
  EXPECT_EQ(item_technology("EUtranCellFDD"), 0);  // no attribute: not an identifier
}

TEST(RouterTechnology, AFeatureOfTheOtherTechnologyRanksBelowAndTheWeightTurnsItOff) {
  // Two features alike but for their managed objects: the question's
  // technology decides; with weight 0 nobody is penalised.
  Spec s;
  s.feature_texts = {"F1", "", "", "Paging", "", "F2", "", "", "Paging", ""};
  s.hosted = {1, 1};
  s.item_kinds = {elex::router::kCounter, elex::router::kCounter};
  s.item_names = {"EUtranCellFDD.pmPagDiscarded", "NRCellDU.pmPagDiscarded"};
  s.item_descriptions = {"", ""};
  s.item_feature_offsets = {0, 1, 2};
  s.item_features = {0, 1};
  s.feature_item_offsets = {0, 1, 2};
  s.feature_items = {0, 1};
  for (double w : {0.2, 0.0}) {
    s.weights.technology = w;
    Router r;
    built(r, s);
    std::vector<Routed> out;
    const std::string q = "paging discarded on the gNodeB";
    ASSERT_EQ(r.route(q.data(), q.size(), 2, &out, nullptr), ELEX_OK);
    ASSERT_EQ(out.size(), 2u);
    for (const Routed& x : out) EXPECT_EQ(x.technology, w > 0 && x.feature == 0 ? -1.0 : 0.0) << w;
    if (w > 0) EXPECT_EQ(out[0].feature, 1u);  // the NR one
    const std::string lte = "paging discarded on the eNodeB";
    ASSERT_EQ(r.route(lte.data(), lte.size(), 2, &out, nullptr), ELEX_OK);
    ASSERT_EQ(out.size(), 2u);
    for (const Routed& x : out) EXPECT_EQ(x.technology, w > 0 && x.feature == 1 ? -1.0 : 0.0) << w;
    if (w > 0) EXPECT_EQ(out[0].feature, 0u);  // the LTE one
  }
}

TEST(RouterDirection, QuestionsAndItemsNameTheirLinkDirection) {
  using elex::router::item_direction;
  using elex::router::question_direction;
  EXPECT_EQ(question_direction("uplink power control target"), 1);
  EXPECT_EQ(question_direction("Which UL grants"), 1);
  EXPECT_EQ(question_direction("DL throughput drops"), -1);
  EXPECT_EQ(question_direction("Downlink CoMP"), -1);
  EXPECT_EQ(question_direction("UL/DL split"), 0);  // both
  EXPECT_EQ(question_direction("uplinks"), 0);      // not a word it knows
  EXPECT_EQ(question_direction("UL-SCH"), 0);       // one word, "ulsch"
  EXPECT_EQ(question_direction("handover"), 0);
  EXPECT_EQ(question_direction(""), 0);
  EXPECT_EQ(item_direction("EUtranCellFDD.pmMacVolDl"), -1);
  EXPECT_EQ(item_direction("EUtranCellFDD.ulSchedCtrl"), 1);
  EXPECT_EQ(item_direction("NRCellDU.ULPowerTarget"), 1);
  EXPECT_EQ(item_direction("NRCellDU.pusch2DlRatio"), -1);
  EXPECT_EQ(item_direction("X.dlUlRatio"), 0);       // both
  EXPECT_EQ(item_direction("X.pmHandleDlPrb"), -1);  // "Handle" is not "dl"
  EXPECT_EQ(item_direction("X.pmHandle"), 0);
  EXPECT_EQ(item_direction("UlPowerControl.target"), 0);  // the class is not the attribute
  EXPECT_EQ(item_direction("ulPowerTarget"), 0);          // no '.': not an identifier
}

TEST(RouterDirection, TheQuestionsDirectionRaisesFeaturesOfItAndTheWeightTurnsItOff) {
  // Three features alike but for one counter's direction (F1 downlink, F2
  // uplink, F3 neither), and F4 whose name says uplink though it has no
  // items: the question's direction moves each by the weight times its
  // direction, and decides between F1, F2 and F3; with weight 0 nobody moves.
  Spec s;
  s.feature_texts = {"F1", "", "", "Scheduling", "", "F2", "",         "", "Scheduling", "",
                     "F3", "", "", "Scheduling", "", "F4", "Uplink X", "", "Other",      ""};
  s.hosted = {1, 1, 1, 1};
  s.item_kinds = {elex::router::kCounter, elex::router::kCounter, elex::router::kCounter};
  s.item_names = {"EUtranCellFDD.pmSchedDelayDl", "EUtranCellFDD.pmSchedDelayUl",
                  "EUtranCellFDD.pmSchedDelayCs"};
  s.item_descriptions = {"", "", ""};
  s.item_feature_offsets = {0, 1, 2, 3};
  s.item_features = {0, 1, 2};
  s.feature_item_offsets = {0, 1, 2, 3, 3};
  s.feature_items = {0, 1, 2};
  s.weights.item = 0;  // scores are the fused evidence only
  std::map<std::string, std::map<std::uint32_t, double>> unmoved;
  for (double w : {0.0, 0.1}) {
    s.weights.direction = w;
    Router r;
    built(r, s);
    std::vector<Routed> out;
    for (const auto& [q, way] :
         {std::pair<std::string, int>{"uplink sched delay", 1}, {"sched delay downlink", -1}}) {
      ASSERT_EQ(r.route(q.data(), q.size(), 4, &out, nullptr), ELEX_OK);
      ASSERT_EQ(out.size(), 4u) << q;
      std::vector<std::uint32_t> order;
      for (const Routed& x : out) {
        // One counter of one direction: ±1 / (1 + 2); a name: ±1.
        const double d = x.feature == 0   ? -1.0 / 3
                         : x.feature == 1 ? 1.0 / 3
                         : x.feature == 3 ? 1
                                          : 0;
        EXPECT_NEAR(x.direction, w > 0 ? way * d : 0.0, 1e-6) << q << " " << x.feature;
        if (w == 0)
          unmoved[q][x.feature] = x.score;
        else  // (squash: a score below 0 is 0)
          EXPECT_NEAR(x.score, elex::router::squash(unmoved[q][x.feature] + w * way * d), 1e-9)
              << q << " " << x.feature;
        if (x.feature != 3) order.push_back(x.feature);
      }
      if (w > 0)
        EXPECT_EQ(order, (way > 0 ? std::vector<std::uint32_t>{1, 2, 0}
                                  : std::vector<std::uint32_t>{0, 2, 1}))
            << q;
      else
        EXPECT_EQ(order, (std::vector<std::uint32_t>{0, 1, 2})) << q;  // a tie: by code
    }
  }
}

TEST(RouterAcronyms, APartOfAHyphenatedAcronymWeighsAsADescriptionWord) {
  // "NSA" is a part of F1's acronym "NSA-DRX", and also what a question
  // about non-standalone says; F2 holds the question's other words.
  Spec s;
  s.feature_texts = {
      "F1", "Service-Adaptive DRX", "NSA-DRX", "Energy", "", "F2", "", "", "Mobility", ""};
  s.hosted = {1, 1};
  s.item_kinds = {elex::router::kParameter, elex::router::kParameter};
  s.item_names = {"DrxProfile.drxInactivityTimer", "ReportConfigB1NR.b1Threshold"};
  s.item_descriptions = {"", ""};
  s.item_feature_offsets = {0, 1, 2};
  s.item_features = {0, 1};
  s.feature_item_offsets = {0, 1, 2};
  s.feature_items = {0, 1};
  Router r;
  built(r, s);
  std::vector<Routed> out;
  for (const std::string q : {"NSA B1 threshold", "which B1 threshold adds the leg in NSA"}) {
    ASSERT_EQ(r.route(q.data(), q.size(), 2, &out, nullptr), ELEX_OK);
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out[0].feature, 1u) << q;
  }
  // The acronym as written still names F1.
  const std::string q = "NSA-DRX";
  ASSERT_EQ(r.route(q.data(), q.size(), 2, &out, nullptr), ELEX_OK);
  EXPECT_EQ(out[0].feature, 0u);
}
