// One query cycle (pipeline.h).
#include "elex/pipeline/pipeline.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace elex::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

}  // namespace

std::uint32_t hash32(std::string_view s) {
  std::uint32_t h = 0x811c9dc5u;
  const auto mix = [&h](std::uint32_t unit) { h = (h ^ unit) * 0x01000193u; };
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::uint32_t cp = 0xFFFD;
    const int n = c < 0x80 ? 0 : c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : -1;
    if (n < 0 || i + 1 + std::size_t(n) > s.size()) {
      ++i;
    } else {
      cp = n == 0 ? c : c & (0x3Fu >> n);
      for (int k = 1; k <= n; ++k) cp = cp << 6 | (static_cast<unsigned char>(s[i + k]) & 0x3F);
      i += 1 + std::size_t(n);
    }
    if (cp >= 0x10000) {
      mix(0xD800 + ((cp - 0x10000) >> 10));
      mix(0xDC00 + ((cp - 0x10000) & 0x3FF));
    } else {
      mix(cp);
    }
  }
  return h;
}

Status Pipeline::run(std::string_view text, std::uint64_t query_id, const Options& o, Result* out) {
  if (out == nullptr) return fail(ELEX_E_INVALID_ARGUMENT, "null result");
  if (!(o.deadline_ms > 0))
    return fail(ELEX_E_INVALID_ARGUMENT, "the deadline must be a positive number of ms");
  const Clock::time_point t0 = Clock::now();
  const Clock::time_point deadline =
      t0 + std::chrono::duration_cast<Clock::duration>(
               std::chrono::duration<double, std::milli>(o.deadline_ms));
  *out = Result{};
  const auto done = [&] {
    out->ms.total = ms_between(t0, Clock::now());
    return ELEX_OK;
  };
  const auto late = [&] { return Clock::now() >= deadline; };

  // route
  if (late()) return out->partial = true, done();
  Clock::time_point t = Clock::now();
  if (Status st = router_.route(text.data(), text.size(), o.k, &out->features, nullptr);
      st != ELEX_OK)
    return st;
  out->ms.route = ms_between(t, Clock::now());

  // classify
  if (late()) return out->partial = true, done();
  t = Clock::now();
  out->classified = ran::classify(text, out->features, router_);
  if (o.given_type) out->classified.type = o.type;
  if (o.given_complexity) out->classified.complexity = o.complexity;
  out->ms.classify = ms_between(t, Clock::now());

  // agents
  t = Clock::now();
  const char* type = ran::type_name(out->classified.type);
  for (std::size_t i = 0; i < out->features.size(); ++i) {
    if (late()) {
      out->partial = true;
      break;
    }
    const router::Routed& f = out->features[i];
    const std::string& code = codes_.at(f.feature);
    learn::State s;
    s.type = std::uint32_t(out->classified.type);
    s.complexity = std::uint32_t(out->classified.complexity);
    const double score = std::clamp(f.score, 0.0, 1.0);
    s.confidence_bucket = std::uint32_t(std::min(15.0, std::floor(score * 16)));
    std::string context = std::string(type) + "|";
    if (!f.matched.empty()) context += router_.item_name(f.matched[0].item);
    s.context = hash32(context);
    Reply r;
    r.candidate = i;
    if (Status st = agents_.decide(code.data(), code.size(), query_id, s, 0, &r.decision);
        st != ELEX_OK)
      return st;
    out->replies.push_back(std::move(r));
  }
  out->ms.agents = ms_between(t, Clock::now());

  // answer
  t = Clock::now();
  for (Reply& r : out->replies) {
    if (late()) {
      out->partial = true;
      break;
    }
    r.answer = ran::answer(r.decision.action, r.candidate, out->features, router_, deps_);
  }
  out->ms.answer = ms_between(t, Clock::now());
  return done();
}

}  // namespace elex::pipeline
