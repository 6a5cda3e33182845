// Tokeniser and embedder (embed.h).
#include "elex/ran/embed.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "elex/kernels/kernels.h"

namespace {

using elex::embed::Embedder;

std::string toks(const char* s) {
  std::vector<std::string> t;
  elex::embed::tokenize(s, std::strlen(s), &t);
  std::string j;
  for (const auto& x : t) j += (j.empty() ? "" : " ") + x;
  return j;
}

TEST(Tokenize, SplitsRanIdentifiers) {
  EXPECT_EQ(toks("Which parameters control MIMO sleep start time?"),
            "parameter control mimo sleep start time");
  EXPECT_EQ(toks("EUtranCellFDD.mimoSleepStartTime"),
            "eutrancellfdd.mimosleepstarttime eutrancellfdd e utran cell fdd mimosleepstarttime "
            "mimo sleep start time");
  EXPECT_EQ(toks("pmRrcConnEstabSucc dropped"), "pmrrcconnestabsucc pm rrc conn estab succ dropp");
  EXPECT_EQ(toks("FAJ 121 3094 and FAJ1213094"), "faj1213094 faj1213094 faj 1213094");
  // Not in capitals: a code maybe (a question typed in lower case), and its
  // words as well.
  EXPECT_EQ(toks("faj 121 3094"), "faj1213094 faj 121 3094");
  EXPECT_EQ(toks("band 20 1800"), "band201800 band 20 1800");
  EXPECT_EQ(toks("256QAM on NR"), "256qam 256 qam nr");
  EXPECT_EQ(toks(""), "");
  EXPECT_EQ(toks("... !!! ..."), "");
}

TEST(Tokenize, BritishSpellingMeetsAmerican) {
  // The catalog's identifiers spell -ize; an engineer may write -ise.
  EXPECT_EQ(toks("optimisation prioritised synchronising utilisation"),
            toks("optimization prioritized synchronizing utilization"));
  EXPECT_EQ(toks("neighbours licence signalling centre analyser"),
            toks("neighbors license signaling center analyzer"));
  // Only the listed roots: these keep their s.
  EXPECT_EQ(toks("raise noise precise supervise promise exercise"),
            "raise noise precise supervise promise exercise");
}

// americanize() probes hash tables; americanize_linear() scans the lists.
// They agree on the listed words, on every -ise ending of the roots, on
// near misses of those (a letter dropped, changed or added) and on random
// words.
TEST(Tokenize, AmericanizeProbeMatchesLinearScan) {
  std::vector<std::string> seeds = {
      "neighbour",  "neighbours", "neighbouring", "behaviour", "behaviours", "favour",
      "colour",     "labour",     "licence",      "licences",  "centre",     "centres",
      "metre",      "metres",     "millimetre",   "kilometre", "fibre",      "signalling",
      "signalled",  "modelling",  "modelled",     "labelled",  "labelling",  "cancelled",
      "cancelling", "tunnelling", "travelling",   "analyse",   "analysed",   "analysing",
      "analyser",   "analysers",  "catalogue",    "programme", "defence",    "judgement",
      "ageing",     "raise",      "noise",        "precise",   "supervise",  "promise",
      "exercise",   "advise",     "wise",         "is",        "ise",        ""};
  const char* roots[] = {"author",  "capital", "categor",   "central", "character", "custom",
                         "digit",   "emphas",  "equal",     "final",   "harmon",    "initial",
                         "local",   "maxim",   "memor",     "minim",   "modern",    "normal",
                         "optim",   "organ",   "parameter", "priorit", "quant",     "random",
                         "real",    "recogn",  "serial",    "special", "stabil",    "standard",
                         "summar",  "symbol",  "synchron",  "util",    "virtual",   "visual",
                         "neutral", "tokeni",  "penal",     "sanit",   "superv",    "exerc"};
  const char* ends[] = {"isations", "isation",  "isers", "ising", "ised", "ises", "iser",
                        "ise",      "izations", "ize",   "is",    "s",    ""};
  for (const char* r : roots)
    for (const char* e : ends) seeds.push_back(std::string(r) + e);
  std::vector<std::string> words = seeds;
  for (const std::string& w : seeds)
    for (std::size_t i = 0; i <= w.size(); ++i) {
      if (i < w.size()) {
        words.push_back(w.substr(0, i) + w.substr(i + 1));
        std::string changed = w;
        changed[i] = changed[i] == 'q' ? 'x' : 'q';
        words.push_back(changed);
      }
      words.push_back(w.substr(0, i) + "e" + w.substr(i));
    }
  std::uint32_t state = 12345;
  for (int n = 0; n < 20000; ++n) {
    std::string w;
    const std::size_t len = 1 + (state = state * 1664525u + 1013904223u) % 14;
    for (std::size_t i = 0; i < len; ++i)
      w += char('a' + (state = state * 1664525u + 1013904223u) % 26);
    words.push_back(w);
  }
  std::size_t changed = 0;
  for (const std::string& w : words) {
    std::string fast = w, linear = w;
    elex::embed::detail::americanize(fast);
    elex::embed::detail::americanize_linear(linear);
    ASSERT_EQ(fast, linear) << "word: " << w;
    changed += fast != w;
  }
  // Each listed word and each root's -ise forms were respelled.
  EXPECT_GE(changed, 37u + 40u * 8u);
  std::string w = "optimisation";
  elex::embed::detail::americanize(w);
  EXPECT_EQ(w, "optimization");
  w = "neighbouring";
  elex::embed::detail::americanize(w);
  EXPECT_EQ(w, "neighboring");
}

// tokenize() through a TokenMemo gives tokenize()'s tokens, on a first
// pass (words memoised) and a second (words read from the memo).
TEST(Tokenize, MemoGivesTheSameTokens) {
  const std::vector<std::string> texts = {
      "Which parameters control MIMO sleep start time?",
      "EUtranCellFDD.mimoSleepStartTime",
      "EUtranCellFDD.caConfigOffset and EUtranCellFDD.caConfigWeight",
      "NRCellDU.pmCaConfigFail NRCellDU.pmCaConfigAtt pmRrcConnEstabSucc dropped",
      "FAJ 121 3094 and FAJ1213094, FAJ 121 3094.",
      "256QAM on NR; optimisation of neighbour licences; the analysers were cancelled",
      "a.b.c x..y .z z. _under_score__ ME.Managed.Element.attr2Value",
      "",
      "... !!! ...",
      "Carrier Aggregation: failures. Carrier Aggregation: attempts. Carrier aggregating."};
  std::string junk;
  for (int i = 0; i < 3000; ++i) junk += char((i * 131 + 7) & 0xFF);
  std::vector<std::string> all = texts;
  all.push_back(junk);
  elex::embed::TokenMemo memo;
  for (int pass = 0; pass < 2; ++pass)
    for (const std::string& t : all) {
      std::vector<std::string> plain, memoised;
      elex::embed::tokenize(t.data(), t.size(), &plain);
      elex::embed::tokenize(t.data(), t.size(), &memoised, &memo);
      EXPECT_EQ(plain, memoised) << "pass " << pass << ": " << t;
    }
  EXPECT_GT(memo.words(), 20u);
  EXPECT_LE(memo.words(), elex::embed::TokenMemo::kMaxWords);
  // Dotted words are kept by their parts.
  std::vector<std::string> out;
  elex::embed::TokenMemo parts;
  const std::string dotted = "EUtranCellFDD.caConfigOffset";
  elex::embed::tokenize(dotted.data(), dotted.size(), &out, &parts);
  EXPECT_EQ(parts.words(), 2u);
}

TEST(Tokenize, DerivedNounsMeetTheirVerb) {
  EXPECT_EQ(toks("aggregation aggregating aggregated"), "aggregat aggregat aggregat");
  EXPECT_EQ(toks("detection detecting detected"), "detect detect detect");
  EXPECT_EQ(toks("compression compressing"), "compress compress");
  EXPECT_EQ(toks("measurement"), "measure");
  EXPECT_EQ(toks("activations"), "activat");
  // Short words keep their ending.
  EXPECT_EQ(toks("action station"), "action station");
}

TEST(Tokenize, AcronymPluralsMeetTheirSingular) {
  // Identifiers write the singular ("pmTtiBundlingUeSum"); a question the plural.
  EXPECT_EQ(toks("UEs TTIs PRBs 5QIs"), toks("UE TTI PRB 5QI"));
  EXPECT_EQ(toks("gNodeBs eNBs"), toks("gNodeB eNB"));
  // Not an acronym's plural: one capital, or no capital before the s.
  EXPECT_EQ(toks("Ps"), "ps");
  EXPECT_EQ(toks("SCells"), "scell");
  EXPECT_EQ(toks("ALS"), "als");
}

TEST(Tokenize, LettersBeyondAscii) {
  // Latin, Greek and Cyrillic letters are part of words, lower-cased; a
  // question in capitals meets the name as written.
  EXPECT_EQ(toks("Économie d’énergie"), "économie d énergie");
  EXPECT_EQ(toks("ÉCONOMIE D'ÉNERGIE"), toks("économie d'énergie"));
  EXPECT_EQ(toks("УПРАВЛЕНИЕ Мощностью"), "управление мощностью");
  EXPECT_EQ(toks("naïve ΣΥΧΝΟΤΗΤΑ Łódź"), "naïve συχνοτητα łódź");
  // Han, kana and Hangul: a token per character (no spaces between words).
  EXPECT_EQ(toks("省电模式 sleep"), "省 电 模 式 sleep");
  // Punctuation, symbols and spaces beyond ASCII still split; bytes that
  // are not UTF-8 are skipped.
  EXPECT_EQ(toks("sleep\u00a0mode – 5\u00b5s \xff\xfe timer"), "sleep mode 5 s timer");
  EXPECT_EQ(toks("\xc3"), "");
  EXPECT_EQ(toks("caf\xc3"), "caf");
}

TEST(Tokenize, RightToLeftAndOtherAlphabetsMakeWords) {
  // Arabic, Hebrew, Armenian, Devanagari and Georgian letters (with their
  // vowel marks) are part of words: an Arabic or Hebrew catalog's names
  // gave no token, so its questions routed on nothing but an exact name.
  EXPECT_EQ(toks("موازنة الحمل بين الخلايا"), "موازنة الحمل بين الخلايا");
  EXPECT_EQ(toks("ما هو مح؟"), "ما هو مح");  // the Arabic question mark splits
  EXPECT_EQ(toks("איזון עומסים, שָׁלוֹם"), "איזון עומסים שָׁלוֹם");
  EXPECT_EQ(toks("ԲԵՌՆՎԱԾՈՒԹՅՈՒՆ"), "բեռնվածություն");   // Armenian capitals lower-cased
  EXPECT_EQ(toks("भार संतुलन। sleep"), "भार संतुलन sleep");  // the danda splits
  EXPECT_EQ(toks("დატვირთვა"), "დატვირთვა");
  EXPECT_EQ(toks("ﻣﺢ"), "ﻣﺢ");  // Arabic presentation forms
}

// Regression: a '.' right after a feature code started a word the scan could
// not take, and tokenize() looped forever (found by fuzz_router).
TEST(Tokenize, DotAfterAFeatureCodeTerminates) {
  EXPECT_EQ(toks("FAJ 121 0001.a"), "faj1210001");
  EXPECT_EQ(toks("FAJ 121 0001.aBc?"), "faj1210001 abc bc");
  EXPECT_EQ(toks("see FAJ 121 0001."), "see faj1210001");
}

TEST(Embed, NormalisedDeterministicAndSimilarForSharedTerms) {
  Embedder e(256);
  const char* docs[] = {"MIMO Sleep Mode switches off MIMO branches at low traffic",
                        "Carrier Aggregation combines component carriers",
                        "Inter-Frequency Load Balancing moves devices to other frequencies"};
  const std::size_t lens[] = {std::strlen(docs[0]), std::strlen(docs[1]), std::strlen(docs[2])};
  ASSERT_EQ(e.fit(docs, lens, 3), ELEX_OK);
  EXPECT_EQ(e.documents(), 3u);
  std::vector<float> a(256), b(256), q(256), z(256);
  ASSERT_EQ(e.embed(docs[0], lens[0], a.data()), ELEX_OK);
  ASSERT_EQ(e.embed(docs[1], lens[1], b.data()), ELEX_OK);
  const char* query = "mimo sleeping at night";
  ASSERT_EQ(e.embed(query, std::strlen(query), q.data()), ELEX_OK);
  double n = 0;
  for (float x : a) n += double(x) * x;
  EXPECT_NEAR(n, 1.0, 1e-5);
  const float da = elex::kernels::scalar::dot(q.data(), a.data(), 256);
  const float db = elex::kernels::scalar::dot(q.data(), b.data(), 256);
  EXPECT_GT(da, 0.3f);
  EXPECT_GT(da, db + 0.2f);
  std::vector<float> a2(256);
  ASSERT_EQ(e.embed(docs[0], lens[0], a2.data()), ELEX_OK);
  EXPECT_EQ(a, a2);
  ASSERT_EQ(e.embed("", 0, z.data()), ELEX_OK);
  for (float x : z) EXPECT_EQ(x, 0.0f);
  std::string big(elex::embed::kMaxTextBytes + 1, 'a');
  EXPECT_EQ(e.embed(big.data(), big.size(), z.data()), ELEX_E_INVALID_ARGUMENT);
}

TEST(Embed, HostileBytesNeverCrash) {
  Embedder e(64);
  std::string junk;
  for (int i = 0; i < 4000; ++i) junk += char((i * 131 + 7) & 0xFF);
  const char* d = junk.data();
  const std::size_t l = junk.size();
  ASSERT_EQ(e.fit(&d, &l, 1), ELEX_OK);
  std::vector<float> out(64);
  EXPECT_EQ(e.embed(d, l, out.data()), ELEX_OK);
}

}  // namespace
