// KPI programs, counter statistics and anomalies (monitor.h).
#include "elex/ran/monitor.h"

#include "elex/core/status.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace elex::monitor;

std::int32_t op(Op o, std::uint32_t arg = 0) { return std::int32_t(o) | std::int32_t(arg << 8); }

TEST(Monitor, RatioProgramWithMissingAndDivisionByZero) {
  // 2 cells × 2 counters (att, succ) × 4 periods.
  const std::vector<float> data = {
      10, 20, 0, 5,    // cell 0 att
      9,  20, 0, NAN,  // cell 0 succ
      4,  4,  4, 4,    // cell 1 att
      1,  2,  3, 4,    // cell 1 succ
  };
  // KPI 0: 100 * succ / att ; KPI 1: att + succ
  const std::vector<std::int32_t> ops = {op(kConst, 0), op(kPush, 1), op(kMul),     op(kPush, 0),
                                         op(kDiv),      op(kPush, 0), op(kPush, 1), op(kAdd)};
  const std::vector<std::uint32_t> offs = {0, 5, 8};
  const std::vector<float> consts = {100};
  const Programs p{ops.data(), offs.data(), 2, consts.data(), 1};
  const Shape s{2, 2, 4};
  std::vector<float> values(2 * 2 * 4), max_z(4);
  std::vector<std::uint8_t> reasons(values.size());
  std::vector<double> hist(2 * 2 * 3, 0);
  std::vector<std::uint32_t> anomalies(4);
  const std::vector<float> thr = {95, NAN};
  const std::vector<std::int8_t> dir = {1, 0};
  std::vector<std::uint32_t> breaches(4), nulls(2 * 4);
  ASSERT_EQ(evaluate(p, s, data.data(), {thr.data(), dir.data(), 3.0f, 8},
                     {values.data(), reasons.data(), hist.data(), anomalies.data(), max_z.data(),
                      breaches.data(), nulls.data()},
                     nullptr),
            ELEX_OK);
  // Null counts per (cell, KPI) agree with the reasons: missing, division by zero.
  for (std::size_t ck = 0; ck < 4; ++ck) {
    std::uint32_t m = 0, d = 0;
    for (std::size_t t = 0; t < 4; ++t) {
      m += reasons[ck * 4 + t] == kMissing;
      d += reasons[ck * 4 + t] == kDivZero;
    }
    EXPECT_EQ(nulls[2 * ck], m) << ck;
    EXPECT_EQ(nulls[2 * ck + 1], d) << ck;
  }
  EXPECT_EQ(nulls[0], 1u);     // cell 0, KPI 0: one missing sample
  EXPECT_EQ(nulls[1], 1u);     // and one division by zero
  EXPECT_EQ(breaches[0], 1u);  // cell 0: 90 < 95; the other periods are null or 100
  EXPECT_EQ(breaches[2], 3u);  // cell 1: 25, 50, 75 are below 95; 100 is not

  EXPECT_FLOAT_EQ(values[0], 90.0f);
  EXPECT_FLOAT_EQ(values[1], 100.0f);
  EXPECT_TRUE(std::isnan(values[2]));
  EXPECT_EQ(reasons[2], kDivZero);
  EXPECT_TRUE(std::isnan(values[3]));
  EXPECT_EQ(reasons[3], kMissing);
  EXPECT_FLOAT_EQ(values[4], 19.0f);       // KPI 1 of cell 0, period 0
  EXPECT_FLOAT_EQ(values[8 + 3], 100.0f);  // cell 1 KPI 0 period 3
  EXPECT_EQ(hist[0], 2.0);                 // two good values joined the history
}

// Random programs (depth up to 5, every op, constants) over data with
// missing samples, zeros and a row near float32's largest value (KPI values
// that overflow to infinities; an infinite sample itself is refused): the
// fast path and the reference path give the same bits everywhere, with and
// without threads.
TEST(Monitor, FastPathIsBitIdenticalToTheReferencePath) {
  std::mt19937 rng(77);
  const std::uint32_t cells = 9, counters = 12, P = 23, K = 40;  // P not a multiple of 4
  std::vector<float> data(std::size_t(cells) * counters * P);
  std::uniform_real_distribution<float> u(-50.0f, 200.0f);
  for (auto& v : data) v = std::floor(u(rng));  // many exact zeros among the integers
  for (std::size_t i = 0; i < data.size(); i += 97) data[i] = NAN;
  for (std::size_t t = 0; t < P; ++t) data[(3 * counters + 5) * P + t] = 3e38f;
  std::vector<std::int32_t> ops;
  std::vector<std::uint32_t> offs = {0};
  const std::vector<float> consts = {100.0f, 0.0f, -1.5f};
  std::uniform_int_distribution<int> pick(0, 99);
  for (std::uint32_t k = 0; k < K; ++k) {
    int depth = 0;
    const int len = 1 + pick(rng) % 9;
    for (int i = 0; i < len || depth != 1; ++i) {
      const int r = pick(rng);
      if (depth >= 2 && (r < 45 || i >= len)) {
        ops.push_back(op(Op(kAdd + r % 4)));  // add, sub, mul, div
        --depth;
      } else if (depth >= 1 && r < 50) {
        ops.push_back(op(kNeg));
      } else if (depth < 6) {
        ops.push_back(r < 85 ? op(kPush, std::uint32_t(r) % counters) : op(kConst, r % 3));
        ++depth;
      } else {
        ops.push_back(op(kMul));
        --depth;
      }
    }
    offs.push_back(std::uint32_t(ops.size()));
  }
  const Programs p{ops.data(), offs.data(), K, consts.data(), 3};
  const Shape s{cells, counters, P};
  std::vector<float> thr(K, 40.0f);
  std::vector<std::int8_t> dir(K, 1);
  struct Run {
    std::vector<float> values, max_z, cstats, kstats;
    std::vector<std::uint8_t> reasons;
    std::vector<double> hist;
    std::vector<std::uint32_t> anomalies, breaches, nulls;
  };
  auto run = [&](bool reference, elex::ThreadPool* pool) {
    const std::size_t ck = std::size_t(cells) * K;
    Run r{std::vector<float>(ck * P),
          std::vector<float>(ck),
          std::vector<float>(std::size_t(cells) * counters * 5),
          std::vector<float>(ck * 5),
          std::vector<std::uint8_t>(ck * P),
          std::vector<double>(ck * 3, 0.0),
          std::vector<std::uint32_t>(ck),
          std::vector<std::uint32_t>(ck),
          std::vector<std::uint32_t>(ck * 2)};
    for (std::size_t i = 0; i < ck; ++i)
      r.hist[i * 3] = 30, r.hist[i * 3 + 1] = 20, r.hist[i * 3 + 2] = 900;
    Outputs o{r.values.data(), r.reasons.data(),  r.hist.data(), r.anomalies.data(),
              r.max_z.data(),  r.breaches.data(), r.nulls.data()};
    o.counter_stats = r.cstats.data();
    o.kpi_stats = r.kstats.data();
    o.reference = reference;
    EXPECT_EQ(evaluate(p, s, data.data(), {thr.data(), dir.data(), 2.0f, 8}, o, pool), ELEX_OK);
    return r;
  };
  auto same = [](const auto& a, const auto& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(a[0])) == 0;
  };
  elex::ThreadPool pool(3);
  const Run ref = run(true, nullptr);
  for (elex::ThreadPool* pl : {static_cast<elex::ThreadPool*>(nullptr), &pool}) {
    const Run fast = run(false, pl);
    EXPECT_TRUE(same(fast.values, ref.values));
    EXPECT_TRUE(same(fast.reasons, ref.reasons));
    EXPECT_TRUE(same(fast.max_z, ref.max_z));
    EXPECT_TRUE(same(fast.cstats, ref.cstats));
    EXPECT_TRUE(same(fast.kstats, ref.kstats));
    EXPECT_TRUE(same(fast.hist, ref.hist));
    EXPECT_TRUE(same(fast.anomalies, ref.anomalies));
    EXPECT_TRUE(same(fast.breaches, ref.breaches));
    EXPECT_TRUE(same(fast.nulls, ref.nulls));
  }
  // The data has every kind of null: the test covers both paths.
  std::uint32_t missing = 0, div_zero = 0, clean = 0;
  for (std::size_t i = 0; i < ref.nulls.size(); i += 2) {
    missing += ref.nulls[i];
    div_zero += ref.nulls[i + 1];
    clean += ref.nulls[i] == 0 && ref.nulls[i + 1] == 0;
  }
  EXPECT_GT(missing, 0u);
  EXPECT_GT(div_zero, 0u);
  EXPECT_GT(clean, 0u);
  // Statistics computed in the evaluation equal row_stats over the outputs.
  std::vector<float> cs(ref.cstats.size()), ks(ref.kstats.size());
  row_stats(std::size_t(cells) * counters, P, data.data(), cs.data(), nullptr);
  row_stats(std::size_t(cells) * K, P, ref.values.data(), ks.data(), nullptr);
  EXPECT_TRUE(same(cs, ref.cstats));
  EXPECT_TRUE(same(ks, ref.kstats));
  // Values and reasons may be left out: the per-KPI figures do not change.
  std::vector<float> mz(ref.max_z.size()), ks2(ref.kstats.size());
  std::vector<double> h2(ref.hist.size());
  for (std::size_t i = 0; i < h2.size(); i += 3) h2[i] = 30, h2[i + 1] = 20, h2[i + 2] = 900;
  std::vector<std::uint32_t> an(ref.anomalies.size()), br(an.size()), nu(an.size() * 2);
  Outputs lean{nullptr, nullptr, h2.data(), an.data(), mz.data(), br.data(), nu.data()};
  lean.kpi_stats = ks2.data();
  ASSERT_EQ(evaluate(p, s, data.data(), {thr.data(), dir.data(), 2.0f, 8}, lean, &pool), ELEX_OK);
  EXPECT_TRUE(same(ks2, ref.kstats));
  EXPECT_TRUE(same(mz, ref.max_z));
  EXPECT_TRUE(same(nu, ref.nulls));
  EXPECT_TRUE(same(h2, ref.hist));
}

TEST(Monitor, AnomaliesAgainstTheCellsHistory) {
  const std::vector<std::int32_t> ops = {op(kPush, 0)};
  const std::vector<std::uint32_t> offs = {0, 1};
  const Programs p{ops.data(), offs.data(), 1, nullptr, 0};
  std::vector<double> hist(3, 0);
  std::vector<float> values(10), max_z(1);
  std::vector<std::uint8_t> reasons(10);
  std::vector<std::uint32_t> an(1);
  std::vector<float> calm = {10, 11, 9, 10, 10, 11, 9, 10, 10, 11};
  const Outputs o{values.data(), reasons.data(), hist.data(), an.data(), max_z.data(), nullptr};
  ASSERT_EQ(evaluate(p, {1, 1, 10}, calm.data(), {nullptr, nullptr, 3.0f, 8}, o, nullptr), ELEX_OK);
  EXPECT_EQ(an[0], 0u);
  std::vector<float> spike = {10, 10, 40, 10, 10, 10, 10, 10, 10, 10};
  ASSERT_EQ(evaluate(p, {1, 1, 10}, spike.data(), {nullptr, nullptr, 3.0f, 8}, o, nullptr),
            ELEX_OK);
  EXPECT_EQ(an[0], 1u);
  EXPECT_GT(max_z[0], 3.0f);
}

TEST(Monitor, AHistoryRowThatNoBatchCouldHaveLeftIsRefused) {
  // History comes back in from outside (Python set_history(), elex.dask's .npy
  // files, a browser's restored rows). A row with a NaN count (a night's file
  // half written) was taken: the cell never had an anomaly again (NaN ≥
  // min_history is false) and its count stayed NaN for every later batch; a
  // negative or fractional count, a NaN or infinite mean, a negative M2 gave
  // z-scores of nothing. Now INVALID_ARGUMENT naming the cell and KPI, and
  // nothing written.
  const std::vector<std::int32_t> ops = {op(kPush, 0), op(kPush, 0)};
  const std::vector<std::uint32_t> offs = {0, 1, 2};
  const Programs p{ops.data(), offs.data(), 2, nullptr, 0};
  const std::vector<float> data = {10, 11, 9, 10, 40, 10, 10, 11};  // 2 cells × 1 counter × 4
  const double good[3] = {20, 10, 19};
  const struct {
    double row[3];
    const char* says;
  } bad[] = {{{NAN, 10, 19}, "count"},      {{-1, 10, 19}, "count"}, {{2.5, 10, 19}, "count"},
             {{INFINITY, 10, 19}, "count"}, {{20, NAN, 19}, "mean"}, {{20, -INFINITY, 19}, "mean"},
             {{20, 10, -0.5}, "M2"},        {{20, 10, NAN}, "M2"},   {{20, 10, INFINITY}, "M2"}};
  for (const auto& b : bad) {
    // cell 1, KPI 1 holds the bad row; every other row is good.
    std::vector<double> hist;
    for (int i = 0; i < 4; ++i) hist.insert(hist.end(), good, good + 3);
    std::copy(b.row, b.row + 3, hist.begin() + 9);
    const std::vector<double> before = hist;
    std::vector<float> values(16), max_z(4, -1);
    std::vector<std::uint8_t> reasons(16);
    std::vector<std::uint32_t> an(4, 7);
    const Outputs o{values.data(), reasons.data(), hist.data(), an.data(), max_z.data(), nullptr};
    ASSERT_EQ(evaluate(p, {2, 1, 4}, data.data(), {nullptr, nullptr, 3.0f, 8}, o, nullptr),
              ELEX_E_INVALID_ARGUMENT)
        << b.row[0] << " " << b.row[1] << " " << b.row[2];
    const std::string msg = elex::last_error_message();
    EXPECT_NE(msg.find("cell 1, KPI 1"), std::string::npos) << msg;
    EXPECT_NE(msg.find(b.says), std::string::npos) << msg;
    for (std::size_t i = 0; i < hist.size(); ++i)
      EXPECT_TRUE(std::memcmp(&hist[i], &before[i], sizeof(double)) == 0) << i;  // unchanged
  }
  // Good rows (and a cell never seen: all zeros) still run, and the spike is found.
  std::vector<double> hist = {20, 10, 19, 20, 10, 19, 0, 0, 0, 0, 0, 0};
  std::vector<float> values(16), max_z(4);
  std::vector<std::uint8_t> reasons(16);
  std::vector<std::uint32_t> an(4);
  const Outputs o{values.data(), reasons.data(), hist.data(), an.data(), max_z.data(), nullptr};
  ASSERT_EQ(evaluate(p, {2, 1, 4}, data.data(), {nullptr, nullptr, 3.0f, 8}, o, nullptr), ELEX_OK);
  EXPECT_EQ(an[0], 0u);
  EXPECT_EQ(hist[6], 4.0);  // cell 1's first batch joined its history
}

TEST(Monitor, BadProgramsAreRejected) {
  const std::vector<std::uint32_t> offs = {0, 1};
  const std::vector<std::int32_t> under = {op(kAdd)};
  EXPECT_EQ(check({under.data(), offs.data(), 1, nullptr, 0}, 4), ELEX_E_INVALID_ARGUMENT);
  const std::vector<std::int32_t> range = {op(kPush, 9)};
  EXPECT_EQ(check({range.data(), offs.data(), 1, nullptr, 0}, 4), ELEX_E_INVALID_ARGUMENT);
  const std::vector<std::int32_t> unknown = {99};
  EXPECT_EQ(check({unknown.data(), offs.data(), 1, nullptr, 0}, 4), ELEX_E_INVALID_ARGUMENT);
  const std::vector<std::uint32_t> offs2 = {0, 2};
  const std::vector<std::int32_t> two = {op(kPush, 0), op(kPush, 1)};
  EXPECT_EQ(check({two.data(), offs2.data(), 1, nullptr, 0}, 4), ELEX_E_INVALID_ARGUMENT);
}

TEST(Monitor, KpiScoreVectorFormIsBitIdenticalToTheScalarTwin) {
  std::uint32_t seed = 5;
  const auto next = [&] { return seed = seed * 1664525u + 1013904223u; };
  for (std::size_t P : {1u, 3u, 4u, 5u, 8u, 96u, 97u, 672u})
    for (int dir : {-1, 0, 1})
      for (float inv : {0.0f, 0.02f}) {
        std::vector<float> v(P);
        for (float& x : v) {
          const std::uint32_t r = next();
          x = r % 11 == 0   ? NAN
              : r % 53 == 0 ? INFINITY
                            : 1000.0f + float(int(r >> 9) % 4000) / 3.0f;
        }
        const elex::monitor::ScoreParams sp{1500.0f, dir, 1600.0f, inv, 3.0f};
        const auto a = elex::monitor::scalar::score(v.data(), P, sp);
        const auto b = elex::monitor::score(v.data(), P, sp);
        EXPECT_EQ(a.breaches, b.breaches) << P;
        EXPECT_EQ(a.anomalies, b.anomalies) << P;
        EXPECT_EQ(std::memcmp(&a.worst_z, &b.worst_z, 4), 0) << P;
        EXPECT_EQ(a.count, b.count) << P;
        EXPECT_EQ(std::memcmp(&a.mean, &b.mean, 8), 0) << P;
        EXPECT_EQ(std::memcmp(&a.m2, &b.m2, 8), 0) << P;
      }
  // Accurate for a large mean with a small spread (no catastrophic cancellation).
  std::vector<float> flat(96);
  for (std::size_t t = 0; t < 96; ++t) flat[t] = 100000.0f + float(t % 2);  // variance 0.25
  const auto k = elex::monitor::score(flat.data(), 96, {NAN, 0, 0, 0, 3});
  EXPECT_NEAR(k.m2 / 96, 0.25, 1e-6);
  EXPECT_NEAR(k.mean, 100000.5, 1e-3);
}

// The fused KPI pass (statistics, breaches, z-scores, M2) equals
// scalar::row_stats then scalar::score bit for bit: rows with NaN, with an
// infinity (the score's fallback), with no sample, every direction, scored
// or not, and a z threshold below zero (a NaN is never an anomaly).
TEST(Monitor, KpiFiguresEqualRowStatsThenScore) {
  std::uint32_t seed = 9;
  const auto next = [&] { return seed = seed * 1664525u + 1013904223u; };
  for (std::size_t P : {1u, 3u, 4u, 7u, 96u, 97u})
    for (int kind = 0; kind < 4; ++kind)
      for (int dir : {-1, 0, 1})
        for (float inv : {0.0f, 0.05f})
          for (float zt : {3.0f, -1.0f}) {
            std::vector<float> v(P);
            for (std::size_t t = 0; t < P; ++t) {
              const std::uint32_t r = next();
              v[t] = float(int(r >> 9) % 3000) / 7.0f - 100.0f;
              if (kind >= 1 && r % 7 == 0) v[t] = NAN;
              if (kind == 2 && t == P / 2) v[t] = (r & 1) ? INFINITY : -INFINITY;
              if (kind == 3) v[t] = NAN;
            }
            const elex::monitor::ScoreParams sp{150.0f, dir, 120.0f, inv, zt};
            float sa[5], sb[5];
            const auto a = elex::monitor::scalar::figures(v.data(), P, sp, sa);
            const auto b = elex::monitor::figures(v.data(), P, sp, sb);
            float sr[5];
            elex::monitor::scalar::row_stats(1, P, v.data(), sr);
            const auto c = elex::monitor::scalar::score(v.data(), P, sp);
            const std::string at = std::to_string(P) + ' ' + std::to_string(kind) + ' ' +
                                   std::to_string(dir) + ' ' + std::to_string(inv) + ' ' +
                                   std::to_string(zt);
            EXPECT_EQ(std::memcmp(sa, sb, sizeof sa), 0) << at;
            EXPECT_EQ(std::memcmp(sa, sr, sizeof sa), 0) << at;
            for (const auto* k : {&b, &c}) {
              EXPECT_EQ(a.breaches, k->breaches) << at;
              EXPECT_EQ(a.anomalies, k->anomalies) << at;
              EXPECT_EQ(std::memcmp(&a.worst_z, &k->worst_z, 4), 0) << at;
              EXPECT_EQ(a.count, k->count) << at;
              EXPECT_EQ(std::memcmp(&a.mean, &k->mean, 8), 0) << at;
              EXPECT_EQ(std::memcmp(&a.m2, &k->m2, 8), 0) << at;
            }
            if (kind == 3) EXPECT_EQ(b.anomalies, 0u) << at;
          }
}

TEST(Monitor, RowStatsVectorFormIsBitIdenticalToTheScalarTwin) {
  // Row counts and period counts around multiples of 4, NaNs, -0, infinities.
  std::uint32_t seed = 17;
  const auto next = [&] { return seed = seed * 1664525u + 1013904223u; };
  for (std::size_t rows : {1u, 3u, 4u, 5u, 9u, 300u})
    for (std::size_t P : {1u, 3u, 4u, 7u, 96u, 97u}) {
      std::vector<float> data(rows * P);
      for (float& v : data) {
        const std::uint32_t x = next();
        v = x % 17 == 0   ? NAN
            : x % 97 == 0 ? (x & 1 ? INFINITY : -INFINITY)
            : x % 89 == 0 ? -0.0f
                          : float(int(x >> 8) % 20000) / 7.0f - 1000.0f;
      }
      if (rows >= 5)  // a row with no sample at all
        for (std::size_t t = 0; t < P; ++t) data[4 * P + t] = NAN;
      std::vector<float> a(rows * 5), b(rows * 5);
      elex::monitor::scalar::row_stats(rows, P, data.data(), a.data());
      row_stats(rows, P, data.data(), b.data(), nullptr);
      ASSERT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0) << rows << ' ' << P;
    }
}

TEST(Monitor, RowStatsSkipMissingAndThreadsAgree) {
  const std::vector<float> data = {1, NAN, 3, NAN, NAN, NAN};
  std::vector<float> out(2 * 5);
  row_stats(2, 3, data.data(), out.data(), nullptr);
  EXPECT_EQ(out[0], 2.0f);
  EXPECT_EQ(out[1], 4.0f);
  EXPECT_EQ(out[2], 2.0f);
  EXPECT_EQ(out[3], 1.0f);
  EXPECT_EQ(out[4], 3.0f);
  EXPECT_EQ(out[5], 0.0f);
  EXPECT_TRUE(std::isnan(out[7]));
  // Threaded evaluation equals one thread, bit for bit.
  std::vector<float> big(500 * 3 * 24);
  for (std::size_t i = 0; i < big.size(); ++i)
    big[i] = float((i * 7919) % 101) - (i % 13 == 0 ? 200.0f : 0.0f);
  const std::vector<std::int32_t> ops = {op(kPush, 0), op(kPush, 1), op(kDiv), op(kPush, 2),
                                         op(kAdd)};
  const std::vector<std::uint32_t> offs = {0, 5};
  const Programs p{ops.data(), offs.data(), 1, nullptr, 0};
  auto run = [&](elex::ThreadPool* pool) {
    std::vector<float> v(500 * 24), z(500);
    std::vector<std::uint8_t> r(v.size());
    std::vector<double> h(500 * 3, 0);
    std::vector<std::uint32_t> an(500);
    EXPECT_EQ(evaluate(p, {500, 3, 24}, big.data(), {nullptr, nullptr, 2.0f, 4},
                       {v.data(), r.data(), h.data(), an.data(), z.data(), nullptr}, pool),
              ELEX_OK);
    return std::make_pair(v, h);
  };
  elex::ThreadPool pool(4);
  const auto one = run(nullptr), four = run(&pool);
  EXPECT_EQ(std::memcmp(one.first.data(), four.first.data(), one.first.size() * 4), 0);
  EXPECT_EQ(one.second, four.second);
}

}  // namespace

namespace {

/// Outputs of a batch filled with a pattern (as fresh, unzeroed memory holds), so a
/// figure evaluate() leaves unwritten shows.
struct Filled {
  std::vector<float> counter_stats, kpi_stats, max_z;
  std::vector<std::uint32_t> anomalies, breaches, nulls;
  std::vector<double> history;
  Filled(std::size_t cells, std::size_t counters, std::size_t kpis)
      : counter_stats(cells * counters * 5, -7.5f),
        kpi_stats(cells * kpis * 5, -7.5f),
        max_z(cells * kpis, -7.5f),
        anomalies(cells * kpis, 0xDEADBEEF),
        breaches(cells * kpis, 0xDEADBEEF),
        nulls(cells * kpis * 2, 0xDEADBEEF),
        history(cells * kpis * 3, 2.0) {}
  Outputs outputs() {
    Outputs o{nullptr,      nullptr,         history.data(), anomalies.data(),
              max_z.data(), breaches.data(), nulls.data()};
    o.counter_stats = counter_stats.data();
    o.kpi_stats = kpi_stats.data();
    return o;
  }
};

}  // namespace

TEST(Monitor, ABatchWithoutKpisOrPeriodsStillWritesItsFigures) {
  // 3 cells × 2 counters × 4 periods, some samples missing.
  const std::vector<float> data = {1, 2, NAN, 4, 5, 6, 7, 8, NAN, NAN, NAN, NAN,
                                   0, 1, 0,   1, 9, 9, 9, 9, 3,   NAN, 2,   NAN};
  std::vector<float> want(3 * 2 * 5);
  row_stats(6, 4, data.data(), want.data(), nullptr);
  // No KPI (none of the catalog's formulas uses these counters): the counters'
  // figures are still the batch's.
  elex::ThreadPool pool(2);
  for (elex::ThreadPool* with : {static_cast<elex::ThreadPool*>(nullptr), &pool}) {
    const std::vector<std::uint32_t> offs = {0};
    Filled f(3, 2, 0);
    ASSERT_EQ(evaluate({nullptr, offs.data(), 0, nullptr, 0}, {3, 2, 4}, data.data(),
                       {nullptr, nullptr, 3.0f, 8}, f.outputs(), with),
              ELEX_OK);
    EXPECT_EQ(0, std::memcmp(f.counter_stats.data(), want.data(), want.size() * sizeof(float)));
  }
  // No period: every count is 0, nothing breaches or is anomalous, the history stays.
  const std::vector<std::int32_t> ops = {op(kPush, 0), op(kPush, 1), op(kDiv)};
  const std::vector<std::uint32_t> offs = {0, 3};
  const float thr = 0.5f;
  const std::int8_t dir = 1;
  Filled f(3, 2, 1);
  ASSERT_EQ(evaluate({ops.data(), offs.data(), 1, nullptr, 0}, {3, 2, 0}, data.data(),
                     {&thr, &dir, 3.0f, 0}, f.outputs(), nullptr),
            ELEX_OK);
  for (std::size_t r = 0; r < 6; ++r) {
    EXPECT_EQ(f.counter_stats[r * 5], 0.0f) << r;
    EXPECT_EQ(f.counter_stats[r * 5 + 1], 0.0f) << r;
    EXPECT_TRUE(std::isnan(f.counter_stats[r * 5 + 2])) << r;
  }
  for (std::size_t ck = 0; ck < 3; ++ck) {
    EXPECT_EQ(f.kpi_stats[ck * 5], 0.0f) << ck;
    EXPECT_EQ(f.kpi_stats[ck * 5 + 1], 0.0f) << ck;
    for (std::size_t j = 2; j < 5; ++j) EXPECT_TRUE(std::isnan(f.kpi_stats[ck * 5 + j])) << ck;
    EXPECT_EQ(f.anomalies[ck], 0u) << ck;
    EXPECT_EQ(f.breaches[ck], 0u) << ck;
    EXPECT_EQ(f.max_z[ck], 0.0f) << ck;
    EXPECT_EQ(f.nulls[2 * ck], 0u) << ck;
    EXPECT_EQ(f.nulls[2 * ck + 1], 0u) << ck;
  }
  for (double h : f.history) EXPECT_EQ(h, 2.0);
}

TEST(Monitor, AnInfiniteSampleIsRefusedAndTheHistoryStaysAsItWas) {
  // A counter value beyond float32 (1e39 in a JSON batch, a float64 array cast
  // to float32) became +inf: its KPI values were infinite, their statistics
  // inf or NaN with a count of every period (elex-cli printed "mean": null,
  // "count": 3), the row scored as if the period were missing. Now
  // INVALID_ARGUMENT naming the cell, counter and period of the first such
  // sample, and the history of every cell as it was (all or nothing), with and
  // without threads; also for a batch with no KPI to evaluate.
  const std::uint32_t cells = 40, counters = 3, P = 6;
  const std::vector<std::int32_t> ops = {op(kPush, 0), op(kPush, 1), op(kAdd), op(kPush, 2)};
  const std::vector<std::uint32_t> offs = {0, 3, 4};
  const Programs p{ops.data(), offs.data(), 2, nullptr, 0};
  std::vector<float> data(std::size_t(cells) * counters * P);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = float(i % 17);
  elex::ThreadPool pool(3);
  for (const float inf : {INFINITY, -INFINITY})
    for (const std::uint32_t cell : {0u, 23u, cells - 1})
      for (elex::ThreadPool* with : {static_cast<elex::ThreadPool*>(nullptr), &pool}) {
        std::vector<float> bad = data;
        bad[(std::size_t(cell) * counters + 2) * P + 4] = inf;
        if (cell == 23)
          bad[(std::size_t(cell + 5) * counters + 1) * P + 1] = inf;  // a later one too
        Filled f(cells, counters, 2);
        for (std::size_t i = 0; i < f.history.size(); i += 3)
          f.history[i] = 9, f.history[i + 1] = 4.5, f.history[i + 2] = 60;
        const std::vector<double> before = f.history;
        ASSERT_EQ(evaluate(p, {cells, counters, P}, bad.data(), {nullptr, nullptr, 3.0f, 8},
                           f.outputs(), with),
                  ELEX_E_INVALID_ARGUMENT)
            << cell;
        const std::string msg = elex::last_error_message();
        const std::string where = "cell " + std::to_string(cell) + ", counter 2, period 4: ";
        EXPECT_EQ(msg.rfind(where, 0), 0u) << msg;
        EXPECT_NE(msg.find(inf > 0 ? "+inf" : "-inf"), std::string::npos) << msg;
        EXPECT_EQ(0, std::memcmp(f.history.data(), before.data(), before.size() * sizeof(double)))
            << cell;
        // No KPI to evaluate: refused all the same.
        Filled g(cells, counters, 0);
        ASSERT_EQ(evaluate({nullptr, offs.data(), 0, nullptr, 0}, {cells, counters, P}, bad.data(),
                           {nullptr, nullptr, 3.0f, 8}, g.outputs(), with),
                  ELEX_E_INVALID_ARGUMENT);
        EXPECT_EQ(std::string(elex::last_error_message()).rfind(where, 0), 0u)
            << elex::last_error_message();
      }
  // The largest finite float32 is a sample like any other.
  std::vector<float> big = data;
  big[5] = 3.4028235e38f;
  Filled f(cells, counters, 2);
  EXPECT_EQ(evaluate(p, {cells, counters, P}, big.data(), {nullptr, nullptr, 3.0f, 8}, f.outputs(),
                     &pool),
            ELEX_OK);
}
