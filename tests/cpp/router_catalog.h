// The small hand-made catalog the router and pipeline tests share.
#ifndef ELEX_TESTS_ROUTER_CATALOG_H
#define ELEX_TESTS_ROUTER_CATALOG_H

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "elex/ran/router.h"

namespace elex_test {

/// Features: 0 MIMO Sleep Mode (MSM), 1 Uplink CoMP, 2 D-PUCCH, 3 Carrier
/// Aggregation (CA); items: 4 mimoSleepStartTime (feature 0),
/// 5 featureState (all four), 6 ulCompEnabled (1), 7 pmPucchDrop (2),
/// 8 "Sleep Time Ratio" KPI (0).
struct Catalog {
  using Spec = elex::router::Spec;
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
  std::vector<std::string> codes = {"FAJ 121 0001", "FAJ 121 0002", "FAJ 121 0003", "FAJ 121 0004"};
  /// `state_first`: feature 0 lists featureState before mimoSleepStartTime.
  Spec spec(std::vector<std::uint8_t> hosted = {1, 1, 1, 1}, bool state_first = false) const {
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
    if (state_first) std::swap(s.feature_items[0], s.feature_items[1]);
    for (const std::string& t : glossary) s.glossary.emplace_back(t);
    return s;
  }
};

}  // namespace elex_test

#endif  // ELEX_TESTS_ROUTER_CATALOG_H
