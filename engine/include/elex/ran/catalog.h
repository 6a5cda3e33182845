// elex/ran/catalog.h — the RAN catalog: features, parameters, counters, KPIs
// and glossary entries (catalog/catalog.schema.json), read from JSON and
// checked with every problem reported at its JSON path.
//
// check() applies exactly the rules of ts/host/catalog.ts checkCatalog(), in the
// same order and with the same messages, capped at kMaxProblems; load()
// checks, then resolves cross-references as loadCatalog() does: a name a
// feature lists but the catalog does not define becomes a bare entry, and
// items and features are linked both ways (an item's `features` gets every
// feature that lists it, after its own, without repeats).
//
// What only the C++ side refuses is the JSON itself (json.h): invalid
// UTF-8, lone surrogates, duplicate member names, nesting deeper than 128,
// more than 256 MB. Such input is one problem, at the path being read.
#ifndef ELEX_CATALOG_H
#define ELEX_CATALOG_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "elex/core/json.h"
#include "elex/core/status.h"
#include "elex/ran/router.h"

namespace elex::catalog {

/// Problems reported at most (checkCatalog's MAX_PROBLEMS).
inline constexpr std::size_t kMaxProblems = 50;
/// Problems a load error's message lists (loadCatalog lists ten).
inline constexpr std::size_t kMessageProblems = 10;
/// Longest text field, in UTF-16 code units (JavaScript's .length).
inline constexpr std::size_t kMaxText = 4096;
/// Longest glossary term or meaning, in UTF-16 code units.
inline constexpr std::size_t kMaxGlossaryText = 256;
/// Most glossary entries.
inline constexpr std::size_t kMaxGlossary = 65536;

struct Problem {
  std::string path;  ///< e.g. "$.features[3].code"
  std::string message;
};

/// Absent text fields are empty (a present one is never empty).
struct Feature {
  std::string code, name, acronym, category, description;
  std::vector<std::string> dependencies, parameters, counters, kpis;
};

enum class ParamType : std::uint8_t { kUnset, kInt, kFloat, kBool, kEnum, kString };

struct Parameter {
  std::string name;
  std::vector<std::string> features;  ///< its own codes, then those of features listing it
  ParamType type = ParamType::kUnset;
  std::string unit, description;
  bool has_range = false;
  double range_min = 0, range_max = 0;
  std::vector<std::string> values;
  bool has_values = false;    ///< `values` given (an untyped parameter with values is an enum)
  json::Value default_value;  ///< null when absent
  bool has_safe = false;
  /// NaN when absent.
  double safe_min, safe_max, max_change, cooldown_s;
  bool bare = false;  ///< only named by a feature
};

struct Counter {
  std::string name;
  std::vector<std::string> features;
  std::string unit, description;
  bool bare = false;
};

struct Kpi {
  std::string name;
  std::vector<std::string> features;
  std::string formula, unit, description;
  double threshold;   ///< NaN when absent
  int direction = 0;  ///< +1 higher is good, −1 lower is good, 0 not given
  bool bare = false;
};

struct GlossaryEntry {
  std::string term, means;
};

struct Stats {
  std::size_t features, parameters, counters, kpis, categories;
};

/// A checked catalog with every cross-reference resolved. Items keep
/// loadCatalog's map order: the catalog's own list, then bare entries in
/// the order features name them.
struct Catalog {
  std::string name;
  std::vector<Feature> features;
  std::vector<Parameter> parameters;
  std::vector<Counter> counters;
  std::vector<Kpi> kpis;
  std::vector<GlossaryEntry> glossary;
  std::unordered_map<std::string, std::uint32_t> feature_index, parameter_index, counter_index,
      kpi_index;

  [[nodiscard]] Stats stats() const;
};

/// The problems of `doc` as a catalog (empty when valid), at most kMaxProblems.
[[nodiscard]] std::vector<Problem> check(const json::Value& doc);

/// Checks and loads a parsed catalog. On problems: INVALID_ARGUMENT, the
/// message "<source> is not a valid ELEX catalog: <path>: <message>; …"
/// (the first ten, then "; and N more"), *problems (optional) all of them.
[[nodiscard]] Status load(const json::Value& doc, Catalog* out,
                          std::vector<Problem>* problems = nullptr,
                          std::string_view source = "the catalog");

/// The same from JSON text (a leading UTF-8 byte order mark is skipped);
/// text that is not JSON is one problem at the path being read when it
/// failed.
[[nodiscard]] Status load_json(std::string_view text, Catalog* out,
                               std::vector<Problem>* problems = nullptr,
                               std::string_view source = "the catalog");

/// Reads a glossary file ({ "entries": [[term, means], …] }, as
/// catalog/glossary.json) into term, means pairs.
[[nodiscard]] Status load_glossary(std::string_view text,
                                   std::vector<std::pair<std::string, std::string>>* out);

/// Item numbers of the router spec: features first, then the parameters,
/// counters and KPIs in catalog order.
struct RouterItem {
  router::ItemKind kind;
  std::uint32_t index;  ///< into features, parameters, counters or kpis
};

/// Fills `spec` as ts/host/ran-host.ts flattens a catalog for the router: five
/// texts per feature, items = parameters, counters, KPIs with their linked
/// features, each feature's own lists, glossary = `base` then the
/// catalog's. `hosted` (per feature; empty = all). The spec views strings
/// of `c` and `base`: keep both alive while it is used. *items (optional)
/// gets what each item number names.
void router_spec(const Catalog& c, const std::vector<std::pair<std::string, std::string>>& base,
                 const std::vector<std::uint8_t>& hosted, router::Spec* spec,
                 std::vector<RouterItem>* items = nullptr);

/// The shard of a feature code (elex_shard_of, agentShardOf in TS): a
/// worker w of W hosts the codes with shard_of(code, 16) % W == w.
[[nodiscard]] std::uint32_t shard_of(std::string_view code, std::uint32_t shards);

}  // namespace elex::catalog

#endif  // ELEX_CATALOG_H
