// Seeded fixtures shared by the learning benchmarks: the wasm bench exports
// (bench_learn.cpp) and the native Google Benchmark (bench/native), so both
// measure the same agents.
#pragma once

#include <cstdint>
#include <string>

#include "elex/learn.h"

namespace elex::bench {

/// Features in the default catalog.
constexpr unsigned kFeatures = 593;

/// The feature code of agent i.
inline std::string code_of(unsigned i) { return "FAJ 121 " + std::to_string(3000 + i); }

/// State i: every type, complexity and confidence bucket in turn, then the
/// next context. Contexts are 32-bit hashes as in the query cycle (hash32 of
/// type and top feature), so 1,000 states span 4 of them.
inline learn::State state_of(std::uint32_t i) {
  learn::State s;
  s.type = i % 6;
  s.complexity = (i / 6) % 3;
  s.confidence_bucket = (i / 18) % 16;
  std::uint32_t h = (i / 288 + 1) * 0x9e3779b9u;
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  s.context = h;
  return s;
}

}  // namespace elex::bench
