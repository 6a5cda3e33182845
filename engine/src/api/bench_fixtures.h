// Seeded fixtures shared by the wasm bench exports (bench_learn.cpp,
// bench_api.cpp) and the native Google Benchmarks (bench/native), so both
// measure the same agents and the same monitor batch.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "elex/kernels/aggregate.h"
#include "elex/kernels/kernels.h"
#include "elex/kernels/quant.h"
#include "elex/learn/learn.h"
#include "elex/learn/qupdate.h"
#include "elex/ran/monitor.h"
#include "elex/ran/validate.h"

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

/// A kernel measured as a kernel: one call runs it over a whole batch, so
/// the call's cost does not hide the kernel's (bench:index, and the native
/// reference in bench/native/kernels_bench.cpp, on the same seeded data).
///   kernel 0 dot, 2 l2: one query against `count` vectors of `dim`, scored
///            four at a time by the four-way kernels the index scores a
///            neighbour list and an exact scan with (kernels::dots, l2sq4;
///            the scalar twins run the scalar dot / l2sq per vector);
///          1 cosine: the cosine distance function per vector (dot_norms);
///          7 dot (single), 8 l2 (single): the distance function per vector,
///            one call each (the graph walk's single-node scoring);
///          3 int8 dot: quant::dot_i8 from one code vector to `count` codes;
///          4 Q-update of `count` entries; 5 validation of `count` changes;
///          6 aggregation of `count` rows × 16 columns (stride 20).
/// `scalar` runs the scalar twin. run() returns a value that depends on
/// every result, so nothing is optimised away.
struct KernelBatch {
  static constexpr int kKernels = 9;
  static constexpr std::uint32_t kAggCols = 16, kAggStride = 20;
  int kernel;
  std::uint32_t dim, count;
  std::vector<float> query, base, f[7];
  std::vector<std::int8_t> query8, base8;
  std::vector<std::uint32_t> masks;
  std::vector<float> scores;  // kernels 0 and 2: one score per vector
  aggregate::ColumnStats stats[kAggCols];

  KernelBatch(int k, std::uint32_t d, std::uint32_t n, std::uint32_t seed)
      : kernel(k), dim(d), count(n) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    auto fill = [&](std::vector<float>& v, std::size_t len) {
      v.resize(len);
      for (auto& x : v) x = u(rng);
    };
    if (k <= 3 || k >= 7) {
      fill(query, d);
      fill(base, std::size_t(n) * d);
      scores.assign(n + 3, 0.0f);
      if (k == 3) {
        auto code = [](float x) { return static_cast<std::int8_t>(x * 127.0f); };
        for (float x : query) query8.push_back(code(x));
        for (float x : base) base8.push_back(code(x));
      }
      return;
    }
    const std::size_t len = k == 6 ? std::size_t(n) * kAggStride : n;
    for (auto& v : f) fill(v, len);
    if (k == 5) {  // bounds around the current values, a few changes out of them
      for (std::uint32_t i = 0; i < n; ++i) {
        const float c = f[0][i] * 50.0f;
        f[0][i] = c;
        f[1][i] = c + f[1][i] * 10.0f;
        f[2][i] = -60.0f, f[3][i] = 60.0f;
        f[4][i] = -45.0f, f[5][i] = 45.0f;
        f[6][i] = 0.2f;
      }
      masks.assign(n, 0);
    }
  }

  /// One pass of the kernel over the batch.
  double run(bool scalar) {
    double acc = 0;
    switch (kernel) {
      case 0: {
        const std::size_t stride = std::size_t(dim) * sizeof(float);
        if (scalar)
          kernels::scalar::dots(query.data(), base.data(), stride, count, dim, scores.data());
        else
          kernels::dots(query.data(), base.data(), stride, count, dim, scores.data());
        for (std::uint32_t i = 0; i < count; ++i) acc += scores[i];
        break;
      }
      case 2: {
        const float* q = query.data();
        const float* v = base.data();
        std::uint32_t i = 0;
        for (; i + 4 <= count; i += 4, v += 4 * std::size_t(dim)) {
          const float* four[4] = {v, v + dim, v + 2 * std::size_t(dim), v + 3 * std::size_t(dim)};
          if (scalar)
            kernels::scalar::l2sq4(q, four, dim, scores.data() + i);
          else
            kernels::l2sq4(q, four, dim, scores.data() + i);
        }
        for (; i < count; ++i, v += dim)
          scores[i] = scalar ? kernels::scalar::l2sq(q, v, dim) : kernels::l2sq(q, v, dim);
        for (i = 0; i < count; ++i) acc += scores[i];
        break;
      }
      case 1:
      case 7:
      case 8: {
        const Metric m = kernel == 7   ? Metric::InnerProduct
                         : kernel == 1 ? Metric::Cosine
                                       : Metric::L2;
        const auto fn = scalar ? kernels::scalar_distance_fn(m) : kernels::distance_fn(m);
        const float* q = query.data();
        const float* v = base.data();
        for (std::uint32_t i = 0; i < count; ++i, v += dim) acc += fn(q, v, dim);
        break;
      }
      case 3: {
        const std::int8_t* q = query8.data();
        const std::int8_t* v = base8.data();
        std::int64_t s = 0;
        if (scalar)
          for (std::uint32_t i = 0; i < count; ++i, v += dim) s += quant::scalar::dot_i8(q, v, dim);
        else
          for (std::uint32_t i = 0; i < count; ++i, v += dim) s += quant::dot_i8(q, v, dim);
        acc = double(s);
        break;
      }
      case 4:
        if (scalar)
          qupdate::scalar::update(f[0].data(), f[1].data(), f[2].data(), count, 0.1f, 0.95f);
        else
          qupdate::update(f[0].data(), f[1].data(), f[2].data(), count, 0.1f, 0.95f);
        acc = f[0][count / 2];
        break;
      case 5: {
        const validate::Input in{f[0].data(), f[1].data(), f[2].data(), f[3].data(),
                                 f[4].data(), f[5].data(), f[6].data()};
        const auto c = scalar ? validate::scalar::run(in, count, masks.data())
                              : validate::run(in, count, masks.data());
        acc = c.flagged + masks[count / 2];
        break;
      }
      case 6: {
        const aggregate::Input in{f[0].data(), count,       kAggCols,
                                  kAggStride,  f[1].data(), f[2].data()};
        if (scalar)
          aggregate::scalar::run(in, stats);
        else
          aggregate::run(in, stats);
        for (const auto& st : stats) acc += st.sum;
        break;
      }
      default:
        break;
    }
    return acc;
  }
};

}  // namespace elex::bench
