// int8 dot, Q-update, validation and aggregation: the vector twins agree
// with the scalar twins exactly (as their headers promise), on every tail
// length and with special values.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "elex/elex.h"
#include "elex/kernels/aggregate.h"
#include "elex/kernels/quant.h"
#include "elex/learn/qupdate.h"
#include "elex/ran/validate.h"

using namespace elex;

namespace {
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();
}  // namespace

TEST(Quant, Int8DotTwinsAgreeExactlyAndMatchDefinition) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> d(-127, 127);
  for (std::size_t n = 0; n <= 200; ++n) {
    std::vector<std::int8_t> a(n + 1), b(n + 1);
    for (auto& x : a) x = static_cast<std::int8_t>(d(rng));
    for (auto& x : b) x = static_cast<std::int8_t>(d(rng));
    std::int64_t want = 0;
    for (std::size_t i = 0; i < n; ++i) want += std::int64_t(a[i + 1]) * b[i + 1];
    ASSERT_EQ(quant::scalar::dot_i8(a.data() + 1, b.data() + 1, n), want);
    ASSERT_EQ(quant::dot_i8(a.data() + 1, b.data() + 1, n), want) << n;
  }
  std::vector<std::int8_t> m(4096, -127);
  EXPECT_EQ(quant::dot_i8(m.data(), m.data(), m.size()), 127 * 127 * 4096);
}

TEST(Quant, FourWayDotEqualsFourSingleDots) {
  std::mt19937 rng(4);
  std::uniform_int_distribution<int> d(-127, 127);
  for (std::size_t n : {0u, 1u, 15u, 16u, 17u, 31u, 128u, 1001u}) {
    std::vector<std::int8_t> q(n + 1), v(4 * n + 4);
    for (auto& x : q) x = static_cast<std::int8_t>(d(rng));
    for (auto& x : v) x = static_cast<std::int8_t>(d(rng));
    // Unaligned starts, one row per vector.
    const std::int8_t* rows[4] = {v.data() + 1, v.data() + n + 2, v.data() + 2 * n + 3,
                                  v.data() + 3 * n + 3};
    std::int32_t a[4], b[4];
    quant::scalar::dot4_i8(q.data() + 1, rows, n, a);
    quant::dot4_i8(q.data() + 1, rows, n, b);
    for (int j = 0; j < 4; ++j) {
      std::int64_t want = 0;
      for (std::size_t i = 0; i < n; ++i) want += std::int64_t(q[i + 1]) * rows[j][i];
      ASSERT_EQ(a[j], want) << n << " " << j;
      ASSERT_EQ(b[j], want) << n << " " << j;
    }
  }
}

TEST(Quant, StridedBlockDotsEqualSingleDots) {
  std::mt19937 rng(6);
  std::uniform_int_distribution<int> d(-127, 127);
  for (std::size_t n : {1u, 16u, 33u, 128u}) {
    const std::size_t stride = n + 5, count = 13;
    std::vector<std::int8_t> rows(stride * count), q(n);
    for (auto& x : rows) x = static_cast<std::int8_t>(d(rng));
    for (auto& x : q) x = static_cast<std::int8_t>(d(rng));
    std::vector<std::int32_t> a(count), b(count);
    quant::dots_i8(q.data(), rows.data(), stride, count, n, a.data());
    quant::scalar::dots_i8(q.data(), rows.data(), stride, count, n, b.data());
    for (std::size_t i = 0; i < count; ++i) {
      ASSERT_EQ(a[i], quant::scalar::dot_i8(q.data(), rows.data() + i * stride, n))
          << n << " " << i;
      ASSERT_EQ(b[i], a[i]);
    }
  }
}

TEST(Quant, QuantizeRoundsClampsAndZeroesNaN) {
  const float x[6] = {0.5f, -1.0f, 10.0f, -10.0f, kNaN, 0.004f};
  std::int8_t c[6];
  quant::quantize(x, 6, 1.0f / 127.0f, c);
  EXPECT_EQ(c[0], 64);  // 63.5 rounds to even
  EXPECT_EQ(c[1], -127);
  EXPECT_EQ(c[2], 127);
  EXPECT_EQ(c[3], -127);
  EXPECT_EQ(c[4], 0);
  EXPECT_EQ(c[5], 1);
}

// The index's scheme: each vector at its own scale (its largest |x| -> 127)
// and a factor with factor * codes a unit vector, so the cosine estimate
// f_x f_y dot_i8 is within a few code steps of the true one.
TEST(Quant, QuantizeUnitUsesTheWholeRangeAndGivesAUnitFactor) {
  std::mt19937 rng(12);
  std::normal_distribution<float> g(0.0f, 1.0f);
  for (std::size_t n : {1u, 3u, 17u, 128u, 300u}) {
    std::vector<float> x(n), y(n);
    double nx = 0, ny = 0, dot = 0;
    for (std::size_t i = 0; i < n; ++i) {
      x[i] = g(rng) * 0.01f,
      y[i] = x[i] + 0.002f * g(rng);  // small values: a global scale would waste codes
      nx += double(x[i]) * x[i], ny += double(y[i]) * y[i], dot += double(x[i]) * y[i];
    }
    std::vector<std::int8_t> cx(n), cy(n);
    const float fx = quant::quantize_unit(x.data(), n, cx.data());
    const float fy = quant::quantize_unit(y.data(), n, cy.data());
    int top = 0;
    double len = 0;
    for (std::size_t i = 0; i < n; ++i)
      top = std::max(top, std::abs(int(cx[i]))), len += cx[i] * cx[i];
    EXPECT_EQ(top, 127) << n;
    EXPECT_NEAR(fx * std::sqrt(len), 1.0, 1e-6) << n;
    const double cosine = dot / std::sqrt(nx * ny);
    const double est = double(fx) * fy * quant::dot_i8(cx.data(), cy.data(), n);
    EXPECT_NEAR(est, cosine, n == 1 ? 1e-6 : 0.02) << n;
  }
  const float zero[4] = {0, 0, 0, 0}, nan[2] = {kNaN, 1.0f};
  const float inf[2] = {std::numeric_limits<float>::infinity(), 1.0f};
  std::int8_t c[4] = {1, 1, 1, 1};
  EXPECT_EQ(quant::quantize_unit(zero, 4, c), 0.0f);
  EXPECT_EQ(c[0] | c[1] | c[2] | c[3], 0);
  EXPECT_EQ(quant::quantize_unit(inf, 2, c), 0.0f);
  EXPECT_EQ(c[0] | c[1], 0);
  EXPECT_FLOAT_EQ(quant::quantize_unit(nan, 2, c), 1.0f / 127.0f);  // NaN codes 0, as quantize()
  EXPECT_EQ(c[0], 0);
  EXPECT_EQ(c[1], 127);
}

// 'int8+res4' (hnsw.h): a 4-bit residual past quantize_unit's codes makes
// y = 15 c + r with every component within s / 30 of x / (s / 15) steps (s
// the codes' step), g y a unit vector, and the index's decode + kernels::dot
// path equal to the scalar reference.
TEST(Quant, Residual4RefinesTheCodesSixteenfoldAndDecodesAsTheReference) {
  std::mt19937 rng(21);
  std::normal_distribution<float> g(0.0f, 1.0f);
  for (std::size_t n : {1u, 2u, 3u, 17u, 128u, 301u}) {
    std::vector<float> x(n), q(n);
    double nx = 0, nq = 0;
    for (std::size_t i = 0; i < n; ++i) x[i] = g(rng), q[i] = g(rng);
    for (std::size_t i = 0; i < n; ++i) nx += double(x[i]) * x[i], nq += double(q[i]) * q[i];
    for (std::size_t i = 0; i < n; ++i) x[i] = float(x[i] / std::sqrt(nx));
    for (std::size_t i = 0; i < n; ++i) q[i] = float(q[i] / std::sqrt(nq));
    std::vector<std::int8_t> c(n);
    std::vector<std::uint8_t> nib(quant::residual4_bytes(n), 0xAB);
    const float f = quant::quantize_unit(x.data(), n, c.data());
    const float gy = quant::quantize_residual4(x.data(), n, c.data(), nib.data());
    float mx = 0;
    for (float v : x) mx = std::max(mx, std::fabs(v));
    const float step = mx / 127.0f / 15.0f;
    std::vector<float> y(n);
    quant::decode_residual4(c.data(), nib.data(), n, y.data());
    double yy = 0, dot = 0, err_codes = 0, err_res = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const int r = ((nib[i / 2] >> (4 * (i & 1))) & 0x0F) - 8;
      ASSERT_GE(r, -7) << n;
      ASSERT_LE(r, 7) << n;
      ASSERT_EQ(y[i], float(15 * c[i] + r)) << n << " " << i;
      ASSERT_NEAR(step * y[i], x[i], step * 0.5f + 1e-7f) << n << " " << i;
      yy += double(y[i]) * y[i];
      dot += double(q[i]) * x[i];
    }
    if (n & 1) EXPECT_EQ(nib.back() >> 4, 0) << "the unused half is zero";
    EXPECT_NEAR(gy * std::sqrt(yy), 1.0, 1e-6) << n;
    // The re-rank's estimate of q . x: the residual is about 15 times as close as the codes.
    for (std::size_t i = 0; i < n; ++i) {
      err_codes += std::fabs(f * float(c[i]) - x[i]);
      err_res += std::fabs(gy * y[i] - x[i]);
    }
    if (n >= 17) EXPECT_LT(err_res * 8, err_codes) << n;
    const float ref = quant::dot_residual4(q.data(), c.data(), nib.data(), n);
    EXPECT_NEAR(gy * ref, dot, n == 1 ? 1e-6 : 2e-3) << n;
    double via = 0;
    for (std::size_t i = 0; i < n; ++i) via += double(q[i]) * y[i];
    EXPECT_NEAR(ref, via, 1e-3 * std::sqrt(yy)) << n;
  }
  // A zero or non-finite vector: r = 0 everywhere and factor 0.
  const float zero[3] = {0, 0, 0}, inf[2] = {std::numeric_limits<float>::infinity(), 1.0f};
  std::int8_t c[3] = {0, 0, 0};
  std::uint8_t nib[2] = {1, 2};
  EXPECT_EQ(quant::quantize_residual4(zero, 3, c, nib), 0.0f);
  EXPECT_EQ(nib[0], 0x88);
  EXPECT_EQ(nib[1] & 0x0F, 0x08);
  EXPECT_EQ(quant::quantize_residual4(inf, 2, c, nib), 0.0f);
  EXPECT_EQ(nib[0], 0x88);
}

TEST(QUpdate, TwinsAgreeBitForBitAndMatchTheFormula) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  for (std::size_t n : {0u, 1u, 3u, 4u, 5u, 100u, 1001u}) {
    std::vector<float> q(n), r(n), nx(n);
    for (std::size_t i = 0; i < n; ++i) q[i] = d(rng), r[i] = d(rng), nx[i] = d(rng);
    if (n > 2) nx[2] = kNaN;
    auto a = q, b = q;
    qupdate::scalar::update(a.data(), r.data(), nx.data(), n, 0.1f, 0.95f);
    qupdate::update(b.data(), r.data(), nx.data(), n, 0.1f, 0.95f);
    if (n > 0) ASSERT_EQ(std::memcmp(a.data(), b.data(), n * sizeof(float)), 0) << n;
    for (std::size_t i = 0; i < n; ++i) {
      if (i == 2) {
        EXPECT_TRUE(std::isnan(b[i]));
        continue;
      }
      const double want = q[i] + 0.1 * (r[i] + 0.95 * nx[i] - q[i]);
      EXPECT_NEAR(b[i], want, 1e-6);
    }
  }
}

namespace {

struct ValidateData {
  std::vector<float> cur, prop, amin, amax, smin, smax, step;
  validate::Input input() const {
    return {cur.data(),  prop.data(), amin.data(), amax.data(),
            smin.data(), smax.data(), step.data()};
  }
};

ValidateData random_validation(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-100.0f, 100.0f);
  std::uniform_int_distribution<int> special(0, 19);
  ValidateData v;
  for (std::size_t i = 0; i < n; ++i) {
    const float lo = d(rng), hi = lo + std::fabs(d(rng));
    v.amin.push_back(lo);
    v.amax.push_back(hi);
    v.smin.push_back(lo + (hi - lo) * 0.2f);
    v.smax.push_back(hi - (hi - lo) * 0.2f);
    v.step.push_back(0.25f);
    float c = lo + (hi - lo) * 0.5f, p = c + d(rng) * 0.05f * (hi - lo);
    switch (special(rng)) {
      case 0:
        p = kNaN;
        break;
      case 1:
        p = kInf;
        break;
      case 2:
        c = 0.0f;
        break;
      case 3:
        v.amin.back() = kNaN;
        break;  // bound not known
      case 4:
        v.step.back() = kNaN;
        break;
      case 5:
        p = -kInf;
        break;
      default:
        break;
    }
    v.cur.push_back(c);
    v.prop.push_back(p);
  }
  return v;
}

}  // namespace

TEST(Validate, MasksAndCountsAgreeExactly) {
  for (std::size_t n : {0u, 1u, 2u, 3u, 4u, 7u, 64u, 999u, 5000u}) {
    const ValidateData v = random_validation(n, static_cast<unsigned>(n) + 1);
    std::vector<std::uint32_t> a(n), b(n);
    const auto ca = validate::scalar::run(v.input(), n, a.data());
    const auto cb = validate::run(v.input(), n, b.data());
    ASSERT_EQ(a, b) << n;
    ASSERT_EQ(ca.flagged, cb.flagged);
    for (unsigned k = 0; k < validate::kFindingCount; ++k)
      ASSERT_EQ(ca.by_finding[k], cb.by_finding[k]);
  }
}

TEST(Validate, EachFindingMeansWhatItSays) {
  // current 10, abs [0, 100], safe [20, 80], step 10 % of |current| = 1.
  auto check = [](float cur, float prop, float step_rel = 0.1f) {
    const float amin = 0, amax = 100, smin = 20, smax = 80;
    const validate::Input in{&cur, &prop, &amin, &amax, &smin, &smax, &step_rel};
    std::uint32_t m = 0;
    (void)validate::run(in, 1, &m);
    return m;
  };
  EXPECT_EQ(check(50, 50.5f), 0u);
  EXPECT_EQ(check(50, 60), validate::kStepTooLarge);
  EXPECT_EQ(check(50, 90, 1.0f), unsigned(validate::kAboveSafe));
  EXPECT_EQ(check(50, 101, 2.0f), unsigned(validate::kAboveSafe | validate::kAboveMax));
  EXPECT_EQ(check(50, -1, 2.0f), unsigned(validate::kBelowSafe | validate::kBelowMin));
  EXPECT_EQ(check(50, kNaN) & validate::kNotFinite, unsigned(validate::kNotFinite));
  EXPECT_EQ(check(50, kInf) & validate::kNotFinite, unsigned(validate::kNotFinite));
  // current 0: the step limit is a share of the safe range (60 * 0.1 = 6).
  EXPECT_EQ(check(0, 25, 0.5f) & validate::kStepTooLarge, 0u);
  EXPECT_EQ(check(0, 25, 0.1f) & validate::kStepTooLarge, unsigned(validate::kStepTooLarge));
}

TEST(Aggregate, TwinsAgreeBitForBitOverStridedColumnsWithMissingValues) {
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> d(-50.0f, 150.0f);
  for (std::size_t cols : {1u, 3u, 4u, 5u, 8u, 13u}) {
    for (std::size_t rows : {0u, 1u, 7u, 300u}) {
      const std::size_t stride = cols + 3;
      std::vector<float> data(rows * stride + 1), w(rows), thr(cols);
      for (auto& x : data) x = d(rng);
      for (std::size_t i = 0; i < data.size(); i += 11) data[i] = kNaN;
      for (auto& x : w) x = d(rng) / 100.0f;
      for (auto& x : thr) x = d(rng);
      const aggregate::Input in{data.data() + 1, rows, cols, stride, w.data(), thr.data()};
      std::vector<aggregate::ColumnStats> a(cols), b(cols);
      aggregate::scalar::run(in, a.data());
      aggregate::run(in, b.data());
      ASSERT_EQ(std::memcmp(a.data(), b.data(), cols * sizeof(a[0])), 0) << rows << "x" << cols;
      for (std::size_t j = 0; j < cols; ++j) {  // and the definitions
        double sum = 0, cnt = 0, over = 0;
        for (std::size_t r = 0; r < rows; ++r) {
          const float x = data[1 + r * stride + j];
          if (x == x) sum += x, ++cnt;
          if (x > thr[j]) ++over;
        }
        EXPECT_EQ(b[j].count, cnt);
        EXPECT_EQ(b[j].over, over);
        EXPECT_NEAR(b[j].sum, sum, 1e-3 * (1 + std::fabs(sum)));
        if (cnt == 0) EXPECT_TRUE(std::isnan(b[j].mean));
      }
    }
  }
}

TEST(Aggregate, SkipsMissingSamples) {
  const float data[6] = {1, kNaN, 3, 4, kNaN, kNaN};  // 3 rows x 2 cols
  const float thr[2] = {2, 2};
  aggregate::ColumnStats s[2];
  aggregate::run({data, 3, 2, 2, nullptr, thr}, s);
  EXPECT_EQ(s[0].count, 2);
  EXPECT_EQ(s[0].sum, 4);
  EXPECT_EQ(s[0].mean, 2);
  EXPECT_EQ(s[0].min, 1);
  EXPECT_EQ(s[0].max, 3);
  EXPECT_EQ(s[0].over, 1);
  EXPECT_EQ(s[1].count, 1);
  EXPECT_EQ(s[1].min, 4);
}
