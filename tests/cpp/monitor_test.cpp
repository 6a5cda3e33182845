// KPI programs, counter statistics and anomalies (monitor.h).
#include "elex/monitor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
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
