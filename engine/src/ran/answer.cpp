// The answer assembly (answer.h).
#include "elex/ran/answer.h"

#include <algorithm>

namespace elex::ran {

std::size_t card_matches(const router::Router& r, const router::Routed& f, std::uint8_t* out) {
  // Only parameters, counters and KPIs are on a card (a feature's own list holds nothing else).
  bool any = false;
  for (const router::Match& m : f.matched) any = any || r.item_kind(m.item) != router::kFeature;
  if (!any) return 0;
  std::uint32_t n = 0;
  const std::uint32_t* own = r.own_items(f.feature, &n);
  std::size_t count = 0;
  for (std::uint32_t j = 0; j < n && count < kCardMax; ++j)
    for (std::size_t m = 0; m < f.matched.size(); ++m)
      if (f.matched[m].item == own[j]) {
        out[count++] = std::uint8_t(m);
        break;
      }
  return count;
}

std::uint32_t card_code(const router::Router& r, const router::Routed& f) {
  std::uint8_t idx[kCardMax];
  const std::size_t n = card_matches(r, f, idx);
  std::uint32_t code = 0;
  for (std::size_t i = 0; i < n; ++i) code |= std::uint32_t(idx[i] + 1) << (4 * i);
  return code;
}

Card card(const router::Router& r, const router::Routed& f) {
  Card c;
  c.feature = f.feature;
  std::uint8_t idx[kCardMax];
  const std::size_t n = card_matches(r, f, idx);
  for (std::size_t i = 0; i < n; ++i) c.items.push_back(f.matched[idx[i]].item);
  std::uint32_t count = 0;
  const std::uint32_t* own = r.own_items(f.feature, &count);
  for (std::uint32_t j = 0; j < count; ++j) switch (r.item_kind(own[j])) {
      case router::kParameter:
        ++c.parameters;
        break;
      case router::kCounter:
        ++c.counters;
        break;
      case router::kKpi:
        ++c.kpis;
        break;
      case router::kFeature:
        break;
    }
  return c;
}

Answer answer(learn::Action action, std::size_t self, const std::vector<router::Routed>& candidates,
              const router::Router& r,
              const std::vector<std::vector<std::uint32_t>>* dependencies) {
  Answer a;
  a.action = action;
  switch (action) {
    case learn::Action::DirectAnswer:
    case learn::Action::ContextAnswer:
      a.cards.push_back(card(r, candidates.at(self)));
      if (action == learn::Action::ContextAnswer && dependencies != nullptr &&
          candidates[self].feature < dependencies->size())
        a.related = (*dependencies)[candidates[self].feature];
      break;
    case learn::Action::ConsultPeer:
      for (std::size_t i = 0; i < std::min(kPeerCards, candidates.size()); ++i)
        a.cards.push_back(card(r, candidates[i]));
      break;
    case learn::Action::RequestClarification:
    case learn::Action::Escalate:
      for (std::size_t i = 0; i < std::min(kCandidates, candidates.size()); ++i)
        a.candidates.emplace_back(candidates[i].feature, candidates[i].score);
      if (action == learn::Action::Escalate) a.reason = kEscalateReason;
      break;
  }
  return a;
}

const char* action_name(learn::Action a) {
  switch (a) {
    case learn::Action::DirectAnswer:
      return "DirectAnswer";
    case learn::Action::ContextAnswer:
      return "ContextAnswer";
    case learn::Action::ConsultPeer:
      return "ConsultPeer";
    case learn::Action::RequestClarification:
      return "RequestClarification";
    case learn::Action::Escalate:
      return "Escalate";
  }
  return "Escalate";
}

}  // namespace elex::ran
