// Lexical routing index (lexical.h): BM25F fields, specificity through IDF,
// the glossary both ways, and bad input.
#include "elex/ran/lexical.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "elex/ran/embed.h"

namespace {

using elex::lexical::Field;
using elex::lexical::Hit;
using elex::lexical::Index;

void add(Index& x, std::uint32_t doc, Field f, const std::string& text) {
  ASSERT_EQ(x.add(doc, f, text.data(), text.size()), ELEX_OK);
}

std::vector<Hit> search(const Index& x, const std::string& q, std::uint32_t k = 5) {
  std::vector<Hit> out;
  EXPECT_EQ(x.search(q.data(), q.size(), k, &out), ELEX_OK);
  return out;
}

/// The weight query_terms() gives term `t` for question `q` (0: not searched).
float term_weight(const Index& x, const char* q, const char* t) {
  std::vector<std::pair<std::string, float>> terms;
  x.query_terms(q, std::strlen(q), &terms);
  for (const auto& [s, w] : terms)
    if (s == t) return w;
  return 0.0f;
}

/// Three features: MIMO sleep, uplink CoMP, and one sharing a common identifier with both.
Index small() {
  Index x;
  add(x, 0, elex::lexical::kName, "MIMO Sleep Mode");
  add(x, 0, elex::lexical::kIdentifiers,
      "AntennaUnitGroup.mimoSleepStartTime RfBranch.mimoSleepThreshold FeatureState.featureState");
  add(x, 1, elex::lexical::kName, "Uplink Coordinated Multipoint");
  add(x, 1, elex::lexical::kAcronym, "UL CoMP");
  add(x, 1, elex::lexical::kIdentifiers, "EUtranCellFDD.ulCompEnabled FeatureState.featureState");
  add(x, 2, elex::lexical::kIdentifiers, "FeatureState.featureState EUtranCellFDD.pmMacVolDl");
  add(x, 2, elex::lexical::kCategory, "Carrier Aggregation");
  EXPECT_EQ(x.add_synonym("UL", 2, "uplink", 6), ELEX_OK);
  EXPECT_EQ(x.add_synonym("CoMP", 4, "coordinated multipoint", 22), ELEX_OK);
  EXPECT_EQ(x.add_synonym("DL", 2, "downlink", 8), ELEX_OK);
  EXPECT_EQ(x.finish(), ELEX_OK);
  return x;
}

TEST(Lexical, RanksByFieldsAndWords) {
  const Index x = small();
  EXPECT_EQ(x.documents(), 3u);
  auto hits = search(x, "which parameters control MIMO sleep start time?");
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].doc, 0u);
  for (std::size_t i = 1; i < hits.size(); ++i) EXPECT_GE(hits[i - 1].score, hits[i].score);
  // An identifier's words match it: "mac volume dl" → pmMacVolDl.
  hits = search(x, "mac vol dl counter");
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].doc, 2u);
}

TEST(Lexical, RespellsWordsTheCatalogWritesOtherwise) {
  Index x;
  add(x, 0, elex::lexical::kIdentifiers, "Transport.macSecProfile Transport.macSecCa");
  add(x, 1, elex::lexical::kIdentifiers, "EUtranCellFDD.pmMacVolDl Transport.ipSecTunnel");
  add(x, 2, elex::lexical::kIdentifiers, "Rach.rachopt");
  ASSERT_EQ(x.finish(), ELEX_OK);
  // "macsec" is not a word of the index; mac + sec are (weight kRespellWeight).
  std::vector<std::pair<std::string, float>> terms;
  x.query_terms("MACsec", 6, &terms);
  bool mac = false, sec = false;
  for (const auto& [t, w] : terms) {
    if (t == "mac") mac = (w == elex::lexical::kRespellWeight);
    if (t == "sec") sec = (w == elex::lexical::kRespellWeight);
  }
  EXPECT_TRUE(mac && sec);
  auto hits = search(x, "encrypt the backhaul with macsec");
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].doc, 0u);
  // Two question words whose concatenation the index knows.
  hits = search(x, "rach opt settings");
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].doc, 2u);
  // A known word is not split, and an unknown one that does not split adds nothing.
  x.query_terms("profile zzzzzz", 14, &terms);
  for (const auto& [t, w] : terms) EXPECT_EQ(w, 1.0f) << t;
}

TEST(Lexical, WordsNamingTheKindOfAnswerWeighLess) {
  Index x;
  // Feature 0 has a counter filter's identifiers; feature 1 is about DRX.
  add(x, 0, elex::lexical::kIdentifiers,
      "PmFlexCounterFilter.arpFilterEnabled PmFlexCounterFilter.qciFilterEnabled");
  add(x, 1, elex::lexical::kIdentifiers,
      "EUtranCellFDD.drxInactivityTimer EUtranCellFDD.pmDrxSamp");
  add(x, 2, elex::lexical::kIdentifiers, "Paging.defaultPagingCycle FeatureState.featureState");
  add(x, 3, elex::lexical::kName, "Key Performance Indicator Export");
  EXPECT_EQ(x.add_synonym("KPI", 3, "key performance indicator", 25), ELEX_OK);
  ASSERT_EQ(x.finish(), ELEX_OK);
  using elex::lexical::kAnswerWordWeight;
  // "counters" (counter), "settings" (setting), "setting" (sett), "feature",
  // "parameters" and "KPIs" name the kind of answer: their weight is lower.
  EXPECT_EQ(term_weight(x, "which counters for drx", "counter"), kAnswerWordWeight);
  EXPECT_EQ(term_weight(x, "which counters for drx", "drx"), 1.0f);
  EXPECT_EQ(term_weight(x, "drx settings", "setting"), kAnswerWordWeight);
  EXPECT_EQ(term_weight(x, "the drx setting", "sett"), kAnswerWordWeight);
  EXPECT_EQ(term_weight(x, "which feature does drx", "feature"), kAnswerWordWeight);
  EXPECT_EQ(term_weight(x, "which parameters for drx", "parameter"), kAnswerWordWeight);
  // A term made from an answer word alone weighs less too (the glossary's
  // expansion of "KPI"), one made from another word as well does not.
  EXPECT_EQ(term_weight(x, "KPI for drx", "performance"),
            elex::lexical::kExpansionWeight * kAnswerWordWeight);
  EXPECT_EQ(term_weight(x, "key performance indicator counters", "kpi"),
            elex::lexical::kExpansionWeight);
  // So the DRX feature comes first, not the one whose identifiers say "counter".
  const auto hits = search(x, "which counters for drx");
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].doc, 1u);
  EXPECT_TRUE(elex::lexical::answer_word("counter"));
  EXPECT_FALSE(elex::lexical::answer_word("counters"));  // tokens are stemmed first
  EXPECT_FALSE(elex::lexical::answer_word("drx"));
}

TEST(Lexical, IdentifierAbbreviationsMatchTheWordsTheyShorten) {
  Index x;
  add(x, 0, elex::lexical::kIdentifiers,
      "EUtranCellFDD.pmPdcpVolUlCmpHdr EUtranCellFDD.hdrCmpEnabled");
  add(x, 1, elex::lexical::kIdentifiers, "NRCellDU.ulSchedStrategy NRCellDU.pmSchedActivity");
  add(x, 2, elex::lexical::kIdentifiers,
      "SectorCarrier.maxPwr SectorCarrier.pmPwrUtil Transport.macAddress");
  ASSERT_EQ(x.finish(), ELEX_OK);
  const auto weight = [&](const char* q, const char* t) { return term_weight(x, q, t); };
  // A prefix of 3+ letters ("util" of utilization; "sched" is stemmed "sch").
  EXPECT_EQ(weight("power utilization", "util"), elex::lexical::kPrefixWeight);
  EXPECT_EQ(weight("uplink scheduling", "sch"), elex::lexical::kPrefixWeight);
  // A subsequence keeping the first letter ("hdr" of header, "pwr" of power).
  EXPECT_EQ(weight("header compression", "hdr"), elex::lexical::kSubsequenceWeight);
  EXPECT_EQ(weight("header compression", "cmp"), elex::lexical::kSubsequenceWeight);
  EXPECT_EQ(weight("transmit power", "pwr"), elex::lexical::kSubsequenceWeight);
  // Not from another first letter, nor from words shorter than the rule
  // asks, nor a word with vowels ("mac" is no abbreviation of "matches").
  EXPECT_EQ(weight("ahdrs", "hdr"), 0.0f);
  EXPECT_EQ(weight("sche", "sch"), 0.0f);
  EXPECT_EQ(weight("matches", "mac"), 0.0f);
  auto hits = search(x, "which counter shows compressed header volume");
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].doc, 0u);
  hits = search(x, "uplink scheduling strategy");
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].doc, 1u);
  hits = search(x, "transmit power utilization");
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].doc, 2u);
}

TEST(Lexical, TyposMatchTheWordOneEditAway) {
  Index x;
  add(x, 0, elex::lexical::kIdentifiers, "EUtranCellFDD.ttiBundlingSwitchThreshold");
  add(x, 1, elex::lexical::kIdentifiers, "NRCellDU.receiverDiversity NRCellDU.handoverMargin");
  ASSERT_EQ(x.finish(), ELEX_OK);
  const auto weight = [&](const char* q, const char* t) { return term_weight(x, q, t); };
  const float typo = elex::lexical::kTypoWeight;
  EXPECT_EQ(weight("threshhold", "threshold"), typo);  // a letter added
  EXPECT_EQ(weight("hreshold", "threshold"), 0.0f);    // ... but the first letter is kept
  EXPECT_EQ(weight("thresold", "threshold"), typo);    // a letter dropped
  EXPECT_EQ(weight("reciever", "receiver"), typo);     // two swapped
  EXPECT_EQ(weight("handovar", "handover"), typo);     // a letter changed
  EXPECT_EQ(weight("handovers", "handover"), 1.0f);    // a known word is no typo
  EXPECT_EQ(weight("hendovxr", "handover"), 0.0f);     // two edits
  auto hits = search(x, "tti bundling swich threshhold");
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].doc, 0u);
}

TEST(Lexical, SharedIdentifiersAreWeakEvidence) {
  const Index x = small();
  // featureState is in every document: its IDF is the lowest there is.
  const auto shared = search(x, "featureState");
  const auto unique = search(x, "ulCompEnabled");
  ASSERT_EQ(shared.size(), 3u);
  ASSERT_FALSE(unique.empty());
  EXPECT_EQ(unique[0].doc, 1u);
  EXPECT_GT(unique[0].score, 2 * shared[0].score);
}

TEST(Lexical, GlossaryExpandsBothWays) {
  const Index x = small();
  // "uplink coordinated multipoint" reaches the acronym side, "UL CoMP" the name side.
  std::vector<std::pair<std::string, float>> terms;
  const std::string q = "is UL CoMP on";
  x.query_terms(q.data(), q.size(), &terms);
  bool uplink = false, comp = false;
  for (const auto& [t, w] : terms) {
    if (t == "uplink") uplink = w == elex::lexical::kExpansionWeight;
    if (t == "comp") comp = w == 1.0f;
  }
  EXPECT_TRUE(uplink);
  EXPECT_TRUE(comp);
  EXPECT_EQ(search(x, "is UL CoMP switched on")[0].doc, 1u);
  EXPECT_EQ(search(x, "joint reception across cells in the uplink: coordinated multipoint")[0].doc,
            1u);
}

TEST(Lexical, TopKAndTies) {
  const Index x = small();
  EXPECT_EQ(search(x, "featureState", 2).size(), 2u);
  EXPECT_TRUE(search(x, "nothing matches zzz").empty());
  EXPECT_TRUE(search(x, "").empty());
}

TEST(Lexical, BadInputIsACodedError) {
  Index x;
  EXPECT_EQ(x.add(0, 99, "a", 1), ELEX_E_INVALID_ARGUMENT);
  EXPECT_EQ(x.add(0, 0, nullptr, 3), ELEX_E_INVALID_ARGUMENT);
  std::string big(9000, 'a');
  EXPECT_EQ(x.add(0, 0, big.data(), big.size()), ELEX_E_INVALID_ARGUMENT);
  std::vector<Hit> out;
  // A glossary side of 256 three-byte characters (what the catalog check allows) fits; over 1 KiB
  // does not.
  std::string wide;
  for (int i = 0; i < 256; ++i) wide += "\xe2\x82\xac";
  EXPECT_EQ(x.add_synonym(wide.data(), wide.size(), "euro", 4), ELEX_OK);
  std::string over(1025, 'b');
  EXPECT_EQ(x.add_synonym(over.data(), over.size(), "b", 1), ELEX_E_INVALID_ARGUMENT);
  EXPECT_EQ(x.search("a", 1, 5, &out), ELEX_E_INVALID_ARGUMENT);  // not finished
  EXPECT_EQ(x.finish(), ELEX_OK);
  EXPECT_EQ(x.add(0, 0, "late", 4), ELEX_E_INVALID_ARGUMENT);
  EXPECT_EQ(x.search(big.data(), big.size(), 5, &out), ELEX_E_INVALID_ARGUMENT);
  EXPECT_EQ(x.search("a", 1, 5, nullptr), ELEX_E_INVALID_ARGUMENT);
}

/// The glossary lookup by first word gives what a scan of every entry gives:
/// each side found anywhere in the question (multi-word sides as consecutive
/// words), both ways, each entry once, in entry order.
TEST(Lexical, GlossaryMatchesAsAScanOfEveryEntry) {
  Index x;
  add(x, 0, elex::lexical::kName, "uplink coordinated multipoint reception");
  const std::vector<std::pair<std::string, std::string>> glossary = {
      {"UL", "uplink"},
      {"CoMP", "coordinated multipoint"},
      {"UL CoMP", "joint reception"},
      {"coordinated", "joint"},
      {"MU", "multi user"},
      {"multi", "several"},
      {"SR", "scheduling request"},
      {"uplink", "UL"}};
  for (const auto& [a, b] : glossary)
    ASSERT_EQ(x.add_synonym(a.data(), a.size(), b.data(), b.size()), ELEX_OK);
  ASSERT_EQ(x.finish(), ELEX_OK);
  const auto tokens = [](const std::string& s) {
    std::vector<std::string> t;
    elex::embed::tokenize(s.data(), s.size(), &t);
    return t;
  };
  const auto contains = [](const std::vector<std::string>& hay, const std::vector<std::string>& n) {
    for (std::size_t i = 0; i + n.size() <= hay.size(); ++i)
      if (std::equal(n.begin(), n.end(), hay.begin() + std::ptrdiff_t(i))) return true;
    return false;
  };
  for (const char* q :
       {"UL CoMP with multi user scheduling request", "coordinated multipoint uplink",
        "ul comp ul comp", "joint reception of several users", "multi", "nothing here"}) {
    std::vector<std::pair<std::string, float>> base, all;
    x.query_terms(q, 0, &base);  // no words: nothing but the glossary adds terms below
    x.query_terms(q, std::strlen(q), &all);
    // The expected expansion words, by a scan of every entry in order.
    std::vector<std::string> want;
    const auto words = tokens(q);
    for (const auto& [a, b] : glossary) {
      const auto ta = tokens(a), tb = tokens(b);
      if (contains(words, ta)) want.insert(want.end(), tb.begin(), tb.end());
      if (contains(words, tb)) want.insert(want.end(), ta.begin(), ta.end());
    }
    for (const std::string& w : want) {
      bool present = false;
      for (const auto& [t, weight] : all) present = present || t == w;
      EXPECT_TRUE(present) << q << ": " << w;
    }
    // Nothing else is added: every term is a question word, an expansion, or a
    // prefix/abbreviation of a question word (none here: no vowel-less words).
    for (const auto& [t, weight] : all) {
      bool known = std::find(words.begin(), words.end(), t) != words.end() ||
                   std::find(want.begin(), want.end(), t) != want.end();
      EXPECT_TRUE(known) << q << ": unexpected term " << t;
    }
    EXPECT_TRUE(base.empty());
  }
}

/// The BM25F formula by hand for one document and one term.
TEST(Lexical, MatchesTheFormula) {
  Index x;
  add(x, 0, elex::lexical::kName, "sleep sleep mode");
  add(x, 1, elex::lexical::kName, "carrier aggregation");
  ASSERT_EQ(x.finish(), ELEX_OK);
  const auto hits = search(x, "sleep");
  ASSERT_EQ(hits.size(), 1u);
  const float avg = (3.0f + 2.0f) / 2.0f;
  const float b = elex::lexical::kFieldB[elex::lexical::kName];
  const float tf =
      elex::lexical::kFieldWeight[elex::lexical::kName] * 2.0f / (1.0f - b + b * 3.0f / avg);
  const float idf = std::log(1.0f + (2.0f - 1.0f + 0.5f) / (1.0f + 0.5f));
  EXPECT_NEAR(hits[0].score, idf * tf / (elex::lexical::kK1 + tf), 1e-5);
}

}  // namespace
