// libFuzzer target: the question router (router.h) over a catalog and
// questions made of hostile bytes (invalid UTF-8, NUL, long runs, shapes
// like codes, acronyms, hyphens and dots), with any links between features
// and items. Any input gives a status; a built router returns at most k
// hosted features, best first, scores and evidence finite and in range,
// matched items that exist, and remembers and forgets without error.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "elex/ran/router.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace elex::router;
  std::size_t at = 0;
  const auto byte = [&]() -> uint8_t { return at < size ? data[at++] : 0; };
  const auto text = [&]() {
    const std::size_t n = std::min<std::size_t>(byte(), size - std::min(at, size));
    std::string s(reinterpret_cast<const char*>(data + at), n);
    at += n;
    return s;
  };
  const std::size_t F = 1 + byte() % 12, I = byte() % 24;
  std::vector<std::string> store;
  store.reserve(5 * F + 2 * I + 8);
  Spec s;
  s.dim = 64;
  for (std::size_t i = 0; i < 5 * F; ++i) s.feature_texts.emplace_back(store.emplace_back(text()));
  for (std::size_t f = 0; f < F; ++f) s.hosted.push_back(byte() % 3 != 0);
  s.item_feature_offsets.push_back(0);
  for (std::size_t i = 0; i < I; ++i) {
    s.item_kinds.push_back(uint8_t(1 + byte() % 3));
    s.item_names.emplace_back(store.emplace_back(text()));
    s.item_descriptions.emplace_back(store.emplace_back(text()));
    for (std::size_t n = byte() % 4; n > 0; --n) s.item_features.push_back(byte() % F);
    s.item_feature_offsets.push_back(uint32_t(s.item_features.size()));
  }
  s.feature_item_offsets.push_back(0);
  for (std::size_t f = 0; f < F; ++f) {
    for (std::size_t n = I == 0 ? 0 : byte() % 4; n > 0; --n) s.feature_items.push_back(byte() % I);
    s.feature_item_offsets.push_back(uint32_t(s.feature_items.size()));
  }
  for (std::size_t g = byte() % 3; g > 0; --g) {
    s.glossary.emplace_back(store.emplace_back(text()));
    s.glossary.emplace_back(store.emplace_back(text()));
  }
  Router r;
  if (r.build(s) != ELEX_OK) return 0;  // a bad glossary side, say: refused, not crashed
  std::vector<std::string> questions;
  while (at < size) questions.push_back(text());
  questions.emplace_back(reinterpret_cast<const char*>(data), std::min<std::size_t>(size, 2000));
  std::vector<Routed> out;
  std::vector<float> vec(64);
  uint32_t next = 0;
  for (const std::string& q : questions)
    for (const uint32_t k : {1u, 3u, 20u}) {
      if (r.route(q.data(), q.size(), k, &out, vec.data()) != ELEX_OK) std::abort();
      if (out.size() > k || out.size() > r.hosted()) std::abort();
      for (std::size_t i = 0; i < out.size(); ++i) {
        const Routed& x = out[i];
        if (x.feature >= F || !s.hosted[x.feature]) std::abort();
        if (!(x.score >= 0 && x.score <= 1) || (i > 0 && x.score > out[i - 1].score)) std::abort();
        for (double e : {x.vector, x.exact, x.lexical, x.item})
          if (!(e >= -1e-6 && e <= 1 + 1e-6)) std::abort();
        if (!(x.feedback >= -1 && x.feedback <= 1)) std::abort();
        if (x.matched.size() > kMatchedMax) std::abort();
        for (const Match& m : x.matched)
          if (m.item >= F + I || !std::isfinite(m.score)) std::abort();
      }
      // Rate the top feature: remembered, and forgotten again every other time.
      if (!out.empty() && k == 3) {
        const uint32_t id = next++, f = out[0].feature;
        const float reward = (id % 2) ? 1.0f : -1.0f;
        const std::string_view t(q);
        if (r.remember(&id, &f, &reward, &t, 1) != ELEX_OK) std::abort();
        if (id % 2 && r.forget(&id, 1) != ELEX_OK) std::abort();
      }
    }
  return 0;
}
