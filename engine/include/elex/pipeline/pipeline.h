// elex/pipeline/pipeline.h — one query cycle in the engine: route → classify →
// the routed features' agents decide → answers, with each stage timed and a
// deadline.
//
// Stages, in order:
//   route     the router's best k features for the question (router.h);
//   classify  its type and complexity from the text and those features
//             (classify.h);
//   agents    each routed feature's agent decides, best feature first, on
//             the state {type, complexity, the feature's score (16
//             buckets), context = hash32(type + "|" + its first matched
//             item's name)}: the state the browser's workers give;
//   answer    what each agent's answer holds (answer.h).
// The deadline is checked before each stage and before each agent: a
// cycle that runs past it stops there, keeps what it has and says
// `partial` (a route already started runs to its end: it takes well under
// a millisecond). The browser runs the same stages per worker, with the
// pool's scatter-gather between them (ts/engine-query.ts).
#ifndef ELEX_PIPELINE_H
#define ELEX_PIPELINE_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "elex/core/status.h"
#include "elex/learn/agents.h"
#include "elex/ran/answer.h"
#include "elex/ran/classify.h"
#include "elex/ran/router.h"

namespace elex::pipeline {

struct Options {
  std::uint32_t k = 5;       ///< features to route to (1..router::kMaxK)
  double deadline_ms = 500;  ///< the cycle's budget, from the call (> 0)
  bool given_type = false;   ///< use `type` instead of classifying
  learn::QueryType type = learn::QueryType::General;
  bool given_complexity = false;
  learn::Complexity complexity = learn::Complexity::Simple;
};

/// Milliseconds per stage, and in all.
struct Timings {
  double route = 0, classify = 0, agents = 0, answer = 0, total = 0;
};

struct Reply {
  std::size_t candidate;  ///< index into Result::features
  learn::Decision decision;
  ran::Answer answer;
};

struct Result {
  std::vector<router::Routed> features;
  ran::Classified classified;
  std::vector<Reply> replies;  ///< in feature order
  Timings ms;
  bool partial = false;  ///< the deadline passed before every stage was done
};

/// FNV-1a over UTF-16 code units (ts/learn-types.ts hash32).
[[nodiscard]] std::uint32_t hash32(std::string_view utf8);

class Pipeline {
 public:
  /// `codes`: feature codes by feature number (the agents' keys);
  /// `dependencies` (may be null): per feature, the features it depends on.
  /// All must outlive the pipeline.
  Pipeline(router::Router& router, learn::AgentStore& agents, const std::vector<std::string>& codes,
           const std::vector<std::vector<std::uint32_t>>* dependencies = nullptr)
      : router_(router), agents_(agents), codes_(codes), deps_(dependencies) {}

  /// One cycle for `text` (query id `query_id`, as the agents' decide takes).
  [[nodiscard]] Status run(std::string_view text, std::uint64_t query_id, const Options& options,
                           Result* out);

 private:
  router::Router& router_;
  learn::AgentStore& agents_;
  const std::vector<std::string>& codes_;
  const std::vector<std::vector<std::uint32_t>>* deps_;
  std::vector<router::Routed> routed_;
};

}  // namespace elex::pipeline

#endif  // ELEX_PIPELINE_H
