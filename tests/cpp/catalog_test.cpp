// The catalog model and checks (catalog.h): small hand-made catalogs, good
// and bad, with the paths ts/host/catalog.ts reports; linking both ways; the
// router spec as ts/host/ran-host.ts flattens a catalog.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "elex/ran/catalog.h"

namespace cat = elex::catalog;

namespace {

std::vector<std::string> paths_of(const std::string& json) {
  cat::Catalog c;
  std::vector<cat::Problem> problems;
  const elex::Status st = cat::load_json(json, &c, &problems);
  EXPECT_EQ(st == ELEX_OK, problems.empty());
  std::vector<std::string> paths;
  for (const auto& p : problems) paths.push_back(p.path);
  return paths;
}

constexpr const char* kExample = R"({
  "format": "elex-catalog", "version": 1, "name": "MIMO sleep example",
  "features": [
    { "code": "FAJ 121 3094", "name": "MIMO Sleep Mode", "acronym": "MSM", "category": "Energy Efficiency",
      "description": "Switches off MIMO branches at low traffic to save energy.",
      "dependencies": ["FAJ 121 3095"],
      "parameters": ["MimoSleepFunction.sleepStartTime", "MimoSleepFunction.sleepMode", "Extra.bare"],
      "counters": ["MimoSleepFunction.pmMimoSleepTime", "MimoSleepFunction.pmPeriodTime"],
      "kpis": ["MIMO Sleep Ratio"] },
    { "code": "FAJ 121 3095", "name": "Cell Sleep Mode", "category": "Energy Efficiency",
      "parameters": ["MimoSleepFunction.sleepMode"] },
    { "code": "FAJ1213096/2" }
  ],
  "parameters": [
    { "name": "MimoSleepFunction.sleepStartTime", "type": "int", "unit": "min", "range": [0, 1439],
      "default": 60, "safe": { "min": 0, "max": 360, "maxChange": 120, "cooldownS": 900 } },
    { "name": "MimoSleepFunction.sleepMode", "type": "enum", "values": ["OFF", "ON"], "default": "OFF",
      "features": ["FAJ 121 3094"] }
  ],
  "counters": [{ "name": "MimoSleepFunction.pmMimoSleepTime", "unit": "s" }, { "name": "MimoSleepFunction.pmPeriodTime" }],
  "kpis": [{ "name": "MIMO Sleep Ratio", "formula": "100 * MimoSleepFunction.pmMimoSleepTime / MimoSleepFunction.pmPeriodTime",
             "unit": "%", "threshold": 5, "direction": "higher" }],
  "glossary": [{ "term": "BBU", "means": "baseband unit" }],
  "unknown": {"ignored": [1, 2, 3]}
})";

}  // namespace

TEST(Catalog, TheDocumentedExampleLoadsAndLinksBothWays) {
  cat::Catalog c;
  std::vector<cat::Problem> problems;
  ASSERT_EQ(cat::load_json(kExample, &c, &problems), ELEX_OK) << elex::last_error_message();
  EXPECT_TRUE(problems.empty());
  const cat::Stats s = c.stats();
  EXPECT_EQ(s.features, 3u);
  EXPECT_EQ(s.parameters, 3u);  // two defined, one bare
  EXPECT_EQ(s.counters, 2u);
  EXPECT_EQ(s.kpis, 1u);
  EXPECT_EQ(s.categories, 2u);  // Energy Efficiency, Uncategorised
  const cat::Parameter& start =
      c.parameters[c.parameter_index.at("MimoSleepFunction.sleepStartTime")];
  EXPECT_EQ(start.type, cat::ParamType::kInt);
  EXPECT_TRUE(start.has_range);
  EXPECT_EQ(start.range_max, 1439);
  EXPECT_EQ(start.max_change, 120);
  EXPECT_EQ(start.cooldown_s, 900);
  EXPECT_EQ(start.features, std::vector<std::string>{"FAJ 121 3094"});
  // Its own code first, not repeated, then the other feature that lists it.
  const cat::Parameter& mode = c.parameters[c.parameter_index.at("MimoSleepFunction.sleepMode")];
  EXPECT_EQ(mode.features, (std::vector<std::string>{"FAJ 121 3094", "FAJ 121 3095"}));
  EXPECT_EQ(mode.values, (std::vector<std::string>{"OFF", "ON"}));
  EXPECT_EQ(mode.default_value.string(), "OFF");
  // A name only a feature lists becomes a bare entry, after the defined ones.
  ASSERT_EQ(c.parameters.size(), 3u);
  EXPECT_EQ(c.parameters[2].name, "Extra.bare");
  EXPECT_TRUE(c.parameters[2].bare);
  EXPECT_EQ(c.parameters[2].features, std::vector<std::string>{"FAJ 121 3094"});
  EXPECT_TRUE(std::isnan(c.parameters[2].safe_min));
  const cat::Kpi& k = c.kpis[0];
  EXPECT_EQ(k.direction, 1);
  EXPECT_EQ(k.threshold, 5);
  EXPECT_EQ(k.features, std::vector<std::string>{"FAJ 121 3094"});
  ASSERT_EQ(c.glossary.size(), 1u);
  EXPECT_EQ(c.glossary[0].means, "baseband unit");
}

TEST(Catalog, IdentifiersOnlyIsEnough) {
  EXPECT_TRUE(paths_of(R"({"features": [{"code": "FAJ 121 0001", "category": "Mobility",
    "parameters": ["EUtranCellRelation.cellIndividualOffset"], "counters": ["EUtranCellFDD.pmHoExeSucc"]},
    {"code": "FAJ 121 0002"}]})")
                  .empty());
}

TEST(Catalog, EveryProblemHasItsPath) {
  // The bad catalog of tests/ts/catalog.test.ts.
  const auto paths = paths_of(R"({
    "version": 2,
    "features": [
      { "code": "FAJ 121 0001", "dependencies": ["FAJ 999 9999"] },
      { "code": "FAJ 121 0001" },
      { "name": "no code" },
      "not an object"
    ],
    "parameters": [
      { "name": "NoDot", "range": [5, 1], "safe": { "min": 3, "max": 1, "maxChange": -1 } },
      { "name": "A.b", "type": "double", "features": ["FAJ 000 0000"] }
    ],
    "kpis": [{ "name": "K", "direction": "up", "threshold": "high" }]
  })");
  // Order as checkCatalog gives it.
  EXPECT_EQ(paths, (std::vector<std::string>{
                       "$.version", "$.features[1].code", "$.features[2].code", "$.features[3]",
                       "$.features[0].dependencies[0]", "$.parameters[0].name",
                       "$.parameters[0].range", "$.parameters[0].safe",
                       "$.parameters[0].safe.maxChange", "$.parameters[1].features[0]",
                       "$.parameters[1].type", "$.kpis[0].threshold", "$.kpis[0].direction"}));
  EXPECT_EQ(paths_of("null"), std::vector<std::string>{"$"});
  EXPECT_EQ(paths_of("[]"), std::vector<std::string>{"$"});
  EXPECT_EQ(paths_of(R"({"features": []})"), std::vector<std::string>{"$.features"});
  EXPECT_EQ(paths_of(R"({"features": {}})"), std::vector<std::string>{"$.features"});
}

TEST(Catalog, MessagesAreThoseOfTheTypeScriptChecks) {
  cat::Catalog c;
  std::vector<cat::Problem> problems;
  ASSERT_EQ(cat::load_json(R"({"features": [{"code": "FAJ 121 0001"}, {"code": "FAJ 121 0001"}],
      "kpis": [{"name": "k", "formula": "1 / / A.pmX"}]})",
                           &c, &problems, "my catalog"),
            ELEX_E_INVALID_ARGUMENT);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].message, "duplicate feature code \"FAJ 121 0001\"");
  EXPECT_EQ(problems[1].path, "$.kpis[0].formula");
  EXPECT_EQ(std::string(elex::last_error_message()),
            "my catalog is not a valid ELEX catalog: $.features[1].code: duplicate feature code "
            "\"FAJ 121 "
            "0001\"; $.kpis[0].formula: " +
                problems[1].message);
}

TEST(Catalog, CodesThatDifferOnlyInTheirSpacesAreDuplicates) {
  // A question names "FAJ 121 3094" and "FAJ1213094" alike (the router
  // matches a code with or without its spaces): one code, not two features.
  cat::Catalog c;
  std::vector<cat::Problem> problems;
  ASSERT_EQ(cat::load_json(R"({"features": [{"code": "FAJ 121 3094"}, {"code": "FAJ 121 3095"},
      {"code": "FAJ1213094"}, {"code": "FAJ 1213095"}, {"code": "FAJ 121 3094/2"}]})",
                           &c, &problems, "c"),
            ELEX_E_INVALID_ARGUMENT);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].path, "$.features[2].code");
  EXPECT_EQ(problems[0].message,
            "duplicate feature code \"FAJ1213094\": $.features[0] is \"FAJ 121 3094\", the same "
            "code with other spacing (a question names both alike)");
  EXPECT_EQ(problems[1].path, "$.features[3].code");
  EXPECT_EQ(problems[1].message,
            "duplicate feature code \"FAJ 1213095\": $.features[1] is \"FAJ 121 3095\", the same "
            "code with other spacing (a question names both alike)");
}

TEST(Catalog, ItemNamesWithASpaceAtAnEndAreProblems) {
  // "X " in a feature's list became a bare item beside the defined "X".
  const std::string m = "must not start or end with a space: names are matched as written";
  cat::Catalog c;
  std::vector<cat::Problem> problems;
  ASSERT_EQ(cat::load_json(R"({"features": [{"code": "FAJ 121 3094",
      "parameters": ["A.b ", "A.c"], "counters": ["\u00a0A.pmX"], "kpis": ["K\t", "K2\u3000"]}],
      "counters": [{"name": "A.pmY\n"}], "kpis": [{"name": " K"}, {"name": "Inner  spaces"}]})",
                           &c, &problems, "c"),
            ELEX_E_INVALID_ARGUMENT);
  std::vector<std::string> paths;
  for (const cat::Problem& p : problems) {
    paths.push_back(p.path);
    EXPECT_EQ(p.message, m);
  }
  EXPECT_EQ(paths,
            (std::vector<std::string>{"$.features[0].parameters[0]", "$.features[0].counters[0]",
                                      "$.features[0].kpis[0]", "$.features[0].kpis[1]",
                                      "$.counters[0].name", "$.kpis[0].name"}));
}

TEST(Catalog, CodesAndParameterNamesFollowThePatterns) {
  const auto code = [](const std::string& c) {
    return paths_of(R"({"features": [{"code": ")" + c + R"("}]})").empty();
  };
  for (const char* good : {"FAJ 121 3094", "FAJ1213094", "FAJ 1213094", "FAJ121 3094", "AB 12 34",
                           "ABCDE 1234 12345", "FAJ 121 3094/1", "CXC 401 1234/23", "FAJ121309412"})
    EXPECT_TRUE(code(good)) << good;
  for (const char* bad :
       {"", "F 121 3094", "ABCDEF 121 3094", "faj 121 3094", "FAJ  121 3094", "FAJ 1 3094",
        "FAJ 12345 3094", "FAJ 121 123456", "FAJ 121 3094/", "FAJ 121 3094 ", "FAJ 121 3094/x",
        "FAJ123", "FAJ1213094123", "FAJ 121 3094\n", "FAJ \xD9\xA1\xD9\xA2 3094"})
    EXPECT_FALSE(code(bad)) << bad;
  const auto param = [](const std::string& n) {
    return paths_of(R"({"features": [{"code": "FAJ 121 0001"}], "parameters": [{"name": ")" + n +
                    R"("}]})")
        .empty();
  };
  for (const char* good : {"A.b", "MimoSleepFunction.sleep_Start-Time2", "a-.B_"})
    EXPECT_TRUE(param(good)) << good;
  for (const char* bad :
       {"A", "A.b.c", ".b", "A.", "1A.b", "A.1b", "A b.c", "A.b c", "_A.b", "A.-b"})
    EXPECT_FALSE(param(bad)) << bad;
}

TEST(Catalog, LengthsCountUtf16UnitsAsJavaScriptDoes) {
  const auto name_ok = [](const std::string& s) {
    return paths_of(R"({"features": [{"code": "FAJ 121 0001", "name": ")" + s + R"("}]})").empty();
  };
  std::string euro;  // 4096 × U+20AC: 4096 units, 12288 bytes
  for (int i = 0; i < 4096; ++i) euro += "\xE2\x82\xAC";
  EXPECT_TRUE(name_ok(euro));
  EXPECT_FALSE(name_ok(euro + "x"));
  std::string emoji;  // 2048 × U+1F600: 4096 units
  for (int i = 0; i < 2048; ++i) emoji += "\xF0\x9F\x98\x80";
  EXPECT_TRUE(name_ok(emoji));
  EXPECT_FALSE(name_ok(emoji + "\xF0\x9F\x98\x80"));
  EXPECT_FALSE(name_ok(""));
  const auto term_ok = [](const std::string& s) {
    return paths_of(R"({"features": [{"code": "FAJ 121 0001"}], "glossary": [{"term": ")" + s +
                    R"(", "means": "x"}]})")
        .empty();
  };
  EXPECT_TRUE(term_ok(std::string(256, 'a')));
  EXPECT_FALSE(term_ok(std::string(257, 'a')));
}

TEST(Catalog, NumbersOutOfRangeAreNotFinite) {
  const auto paths = paths_of(R"({"features": [{"code": "FAJ 121 0001"}],
    "parameters": [{"name": "A.b", "range": [0, 1e400], "safe": {"min": 1e400, "max": 1, "maxChange": -1e999}}],
    "kpis": [{"name": "k", "threshold": -1e400}]})");
  EXPECT_EQ(paths,
            (std::vector<std::string>{"$.parameters[0].range", "$.parameters[0].safe.min",
                                      "$.parameters[0].safe.maxChange", "$.parameters[0].safe",
                                      "$.parameters[0].safe.maxChange", "$.kpis[0].threshold"}));
}

TEST(Catalog, GlossaryAndListsAreChecked) {
  EXPECT_EQ(
      paths_of(R"({"features": [{"code": "FAJ 121 0001", "parameters": "A.b", "kpis": [1, ""]}],
    "glossary": [{"term": "x"}, 3, {"term": "", "means": "y", "extra": 1}]})"),
      (std::vector<std::string>{"$.features[0].parameters", "$.features[0].kpis[0]",
                                "$.features[0].kpis[1]", "$.glossary[0].means", "$.glossary[1]",
                                "$.glossary[2].term"}));
  EXPECT_EQ(
      paths_of(
          R"({"features": [{"code": "FAJ 121 0001"}], "glossary": {}, "counters": 1, "kpis": [1]})"),
      (std::vector<std::string>{"$.counters", "$.glossary", "$.kpis[0]"}));
}

TEST(Catalog, ProblemsAreCappedAtFifty) {
  std::string json = R"({"features": [)";
  for (int i = 0; i < 80; ++i) json += std::string(i ? "," : "") + R"({"code": "bad"})";
  json += "]}";
  cat::Catalog c;
  std::vector<cat::Problem> problems;
  ASSERT_EQ(cat::load_json(json, &c, &problems), ELEX_E_INVALID_ARGUMENT);
  EXPECT_EQ(problems.size(), cat::kMaxProblems);
  EXPECT_NE(std::string(elex::last_error_message()).find("; and 40 more"), std::string::npos);
}

TEST(Catalog, JsonThatIsNotJsonIsOneProblemAtItsPath) {
  EXPECT_EQ(paths_of(R"({"features": [{"code": "FAJ 121 0001", "code": "FAJ 121 0002"}]})"),
            std::vector<std::string>{"$.features[0].code"});
  EXPECT_EQ(paths_of("{\"features\": [{\"name\": \"\xFF\"}]}"),
            std::vector<std::string>{"$.features[0].name"});
  EXPECT_EQ(paths_of("{\"features\": [}"), std::vector<std::string>{"$.features[0]"});
}

TEST(Catalog, RouterSpecIsTheBrowsersFlattening) {
  cat::Catalog c;
  ASSERT_EQ(cat::load_json(kExample, &c), ELEX_OK);
  const std::vector<std::pair<std::string, std::string>> base{{"UL", "uplink"}};
  elex::router::Spec spec;
  std::vector<cat::RouterItem> items;
  cat::router_spec(c, base, {1, 0, 1}, &spec, &items);
  EXPECT_EQ(spec.dim, 512u);
  ASSERT_EQ(spec.feature_texts.size(), 15u);
  EXPECT_EQ(spec.feature_texts[0], "FAJ 121 3094");
  EXPECT_EQ(spec.feature_texts[2], "MSM");
  EXPECT_EQ(spec.feature_texts[11], "");  // the third feature has no name
  EXPECT_EQ(spec.hosted, (std::vector<std::uint8_t>{1, 0, 1}));
  // Items: 3 parameters, 2 counters, 1 KPI.
  EXPECT_EQ(spec.item_kinds, (std::vector<std::uint8_t>{1, 1, 1, 2, 2, 3}));
  EXPECT_EQ(spec.item_names[2], "Extra.bare");
  EXPECT_EQ(spec.item_feature_offsets, (std::vector<std::uint32_t>{0, 1, 3, 4, 5, 6, 7}));
  EXPECT_EQ(spec.item_features, (std::vector<std::uint32_t>{0, 0, 1, 0, 0, 0, 0}));
  // Feature 0 owns sleepStartTime, sleepMode, Extra.bare, both counters, the KPI; 1 sleepMode.
  EXPECT_EQ(spec.feature_item_offsets, (std::vector<std::uint32_t>{0, 6, 7, 7}));
  EXPECT_EQ(spec.feature_items, (std::vector<std::uint32_t>{0, 1, 2, 3, 4, 5, 1}));
  EXPECT_EQ(spec.glossary, (std::vector<std::string_view>{"UL", "uplink", "BBU", "baseband unit"}));
  ASSERT_EQ(items.size(), 9u);
  EXPECT_EQ(items[3 + 2].kind, elex::router::kParameter);
  EXPECT_EQ(items[3 + 5].kind, elex::router::kKpi);
  elex::router::Router r;
  ASSERT_EQ(r.build(spec), ELEX_OK) << elex::last_error_message();
  std::vector<elex::router::Routed> out;
  ASSERT_EQ(r.route("when does MIMO sleep start", 26, 2, &out, nullptr), ELEX_OK);
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out[0].feature, 0u);
  for (const auto& f : out) EXPECT_NE(f.feature, 1u);  // not hosted
}

TEST(Catalog, ShardOfMatchesTheTypeScriptHash) {
  // agentShardOf('FAJ 121 3094') computed with ts/core/learn-types.ts.
  EXPECT_EQ(cat::shard_of("FAJ 121 3094", 16), 11u);
}
