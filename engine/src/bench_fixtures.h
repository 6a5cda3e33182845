// Seeded fixtures shared by the wasm bench exports (bench_learn.cpp,
// bench_api.cpp) and the native Google Benchmarks (bench/native), so both
// measure the same agents and the same monitor batch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "elex/learn.h"
#include "elex/monitor.h"

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

/// The browser bench's monitor batch (bench:query): cells × 200 counters ×
/// 96 periods, counters 50..4145 from the same LCG, and 116 KPIs of the
/// default catalog's three forms: 100 · succ / att (half), a + b, a / 900.
struct MonitorBatch {
  static constexpr std::uint32_t kCounters = 200, kPeriods = 96, kKpis = 116;
  std::uint32_t cells;
  std::vector<float> data;
  std::vector<std::int32_t> ops;
  std::vector<std::uint32_t> offsets{0};
  std::vector<float> consts{100.0f, 900.0f}, thresholds;
  std::vector<std::int8_t> directions;
  // Outputs, as monitor() asks for them by default (no per-period values).
  std::vector<double> history;
  std::vector<std::uint32_t> anomalies, breaches, nulls;
  std::vector<float> max_z, counter_stats, kpi_stats;

  explicit MonitorBatch(std::uint32_t n) : cells(n), data(std::size_t(n) * kCounters * kPeriods) {
    using namespace elex::monitor;
    std::uint32_t s = 12345;
    for (auto& x : data) x = 50.0f + float((s = s * 1664525u + 1013904223u) >> 20);
    for (std::uint32_t k = 0; k < kKpis; ++k) {
      const std::int32_t a = std::int32_t((k * 7) % kCounters),
                         b = std::int32_t((k * 13 + 1) % kCounters);
      if (k % 4 < 2) {
        ops.insert(ops.end(), {kConst, kPush | (a << 8), kMul, kPush | (b << 8), kDiv});
        thresholds.push_back(97.0f), directions.push_back(1);
      } else if (k % 4 == 2) {
        ops.insert(ops.end(), {kPush | (a << 8), kPush | (b << 8), kAdd});
        thresholds.push_back(5000.0f), directions.push_back(-1);
      } else {
        ops.insert(ops.end(), {kPush | (a << 8), kConst | (1 << 8), kDiv});
        thresholds.push_back(20.0f), directions.push_back(-1);
      }
      offsets.push_back(std::uint32_t(ops.size()));
    }
    const std::size_t ck = std::size_t(n) * kKpis;
    history.assign(ck * 3, 0.0);
    anomalies.assign(ck, 0);
    breaches.assign(ck, 0);
    nulls.assign(ck * 2, 0);
    max_z.assign(ck, 0.0f);
    counter_stats.assign(std::size_t(n) * kCounters * 5, 0.0f);
    kpi_stats.assign(ck * 5, 0.0f);
  }

  /// One evaluation of the whole batch (history carried over); reference:
  /// every KPI through the reference path.
  Status run(ThreadPool* pool, bool reference = false) {
    using namespace elex::monitor;
    const Programs p{ops.data(), offsets.data(), kKpis, consts.data(), 2};
    const Alerting al{thresholds.data(), directions.data(), 3.0f, 2};
    Outputs o{nullptr,      nullptr,         history.data(), anomalies.data(),
              max_z.data(), breaches.data(), nulls.data()};
    o.counter_stats = counter_stats.data();
    o.kpi_stats = kpi_stats.data();
    o.reference = reference;
    return evaluate(p, Shape{cells, kCounters, kPeriods}, data.data(), al, o, pool);
  }
};

}  // namespace elex::bench
