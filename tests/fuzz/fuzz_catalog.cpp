// libFuzzer target: the JSON reader and the catalog loader (json.h,
// catalog.h) on hostile bytes. Any input gives a status; a refusal has at
// least one problem (at most kMaxProblems), each with a path starting "$";
// a loaded catalog is consistent (every link names a feature, every
// feature's list names an item) and flattens into a router spec whose
// offsets and item numbers are in range.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "elex/ran/catalog.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace cat = elex::catalog;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  cat::Catalog c;
  std::vector<cat::Problem> problems;
  const elex::Status st = cat::load_json(text, &c, &problems);
  if (st != ELEX_OK) {
    if (problems.empty() || problems.size() > cat::kMaxProblems) std::abort();
    for (const auto& p : problems)
      if (p.path.empty() || p.path[0] != '$' || p.message.empty()) std::abort();
    return 0;
  }
  if (!problems.empty() || c.features.empty()) std::abort();
  const auto linked = [&](const std::vector<std::string>& codes) {
    for (const auto& code : codes)
      if (!c.feature_index.count(code)) std::abort();
  };
  for (const auto& p : c.parameters) linked(p.features);
  for (const auto& x : c.counters) linked(x.features);
  for (const auto& k : c.kpis) linked(k.features);
  for (const auto& f : c.features) {
    linked(f.dependencies);
    for (const auto& n : f.parameters)
      if (!c.parameter_index.count(n)) std::abort();
  }
  elex::router::Spec spec;
  cat::router_spec(c, {{"UL", "uplink"}}, {}, &spec);
  const std::size_t items = spec.item_kinds.size();
  if (spec.feature_texts.size() != 5 * c.features.size() ||
      spec.item_feature_offsets.size() != items + 1 ||
      spec.feature_item_offsets.size() != c.features.size() + 1)
    std::abort();
  for (std::uint32_t f : spec.item_features)
    if (f >= c.features.size()) std::abort();
  for (std::uint32_t i : spec.feature_items)
    if (i >= items) std::abort();
  return 0;
}
