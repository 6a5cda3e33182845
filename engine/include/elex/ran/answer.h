// elex/ran/answer.h — what an agent's answer holds (the answer assembly).
//
// A feature's card is the feature and the items of it the question
// matched, in the feature's own order (its parameters, then counters,
// then KPIs, as the catalog lists them), with how many of each it has in
// all. An agent's answer holds, by its action:
//   DirectAnswer          its feature's card;
//   ContextAnswer         its feature's card and the features it depends on;
//   ConsultPeer           the cards of the first kPeerCards candidates;
//   RequestClarification  the first kCandidates candidates and their scores;
//   Escalate              the same, flagged, with kEscalateReason.
// The façade (ts/ran-host.ts expandReply) builds the objects of a card from
// its copy of the catalog and card_code(); the native tool prints them.
#ifndef ELEX_ANSWER_H
#define ELEX_ANSWER_H

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "elex/learn/learn.h"
#include "elex/ran/router.h"

namespace elex::ran {

/// Most items a card shows (a routed feature has at most router::kMatchedMax matches).
inline constexpr std::size_t kCardMax = router::kMatchedMax;
inline constexpr std::size_t kPeerCards = 3;
inline constexpr std::size_t kCandidates = 5;
inline constexpr const char* kEscalateReason = "the agent judged this question to need an expert";

struct Card {
  std::uint32_t feature = 0;
  std::vector<std::uint32_t> items;  ///< item numbers (features first), in card order
  std::uint32_t parameters = 0, counters = 0, kpis = 0;  ///< the feature's totals
};

/// The matches of `f` on its card, in card order, as indexes into
/// f.matched: out[0 .. returned count), at most kCardMax.
std::size_t card_matches(const router::Router& r, const router::Routed& f, std::uint8_t* out);
/// card_matches() as one number (elex_route_feature.card): 4 bits per
/// entry from the low end, each 1 + the match's index; 0 ends the list.
[[nodiscard]] std::uint32_t card_code(const router::Router& r, const router::Routed& f);
[[nodiscard]] Card card(const router::Router& r, const router::Routed& f);

struct Answer {
  learn::Action action = learn::Action::Escalate;
  std::vector<Card> cards;
  std::vector<std::uint32_t> related;  ///< ContextAnswer: dependencies (feature numbers)
  std::vector<std::pair<std::uint32_t, double>> candidates;  ///< feature number, score
  const char* reason = nullptr;                              ///< Escalate
};

/// The answer of the agent of candidates[self] choosing `action`.
/// `dependencies` (per feature number; may be null) gives ContextAnswer's
/// related features.
[[nodiscard]] Answer answer(learn::Action action, std::size_t self,
                            const std::vector<router::Routed>& candidates, const router::Router& r,
                            const std::vector<std::vector<std::uint32_t>>* dependencies);

/// learn.h's action names ("DirectAnswer" ...).
[[nodiscard]] const char* action_name(learn::Action a);

}  // namespace elex::ran

#endif  // ELEX_ANSWER_H
