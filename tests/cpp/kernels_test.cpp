// Kernels: the vector twin agrees with the scalar twin (and both with a
// double-precision reference) within the bound stated in kernels.h, for
// every length 0..300 (all tail lengths), unaligned pointers, zero vectors
// and special values.
#include "elex/kernels/kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <utility>
#include <vector>

#include "test_util.h"

using namespace elex;
using elex::test::agreement_bound;

namespace {

struct Exact {
  double dot = 0, l2 = 0, aa = 0, bb = 0, abs_dot = 0;
};

Exact exact(const float* a, const float* b, std::size_t n) {
  Exact e;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = a[i], y = b[i];
    e.dot += x * y;
    e.abs_dot += std::fabs(x * y);
    e.l2 += (x - y) * (x - y);
    e.aa += x * x;
    e.bb += y * y;
  }
  return e;
}

}  // namespace

TEST(Kernels, ReportsWhichTwinRuns) {
#if ELEX_SIMD
  EXPECT_STRNE(kernels::kernel_name(), "scalar");
  // The active functions must be the vector twins, not the scalar ones.
  EXPECT_EQ(&kernels::active::dot, &kernels::vec::dot);
#else
  EXPECT_STREQ(kernels::kernel_name(), "scalar");
#endif
}

TEST(Kernels, TwinsAgreeForEveryTailLength) {
  std::mt19937 rng(42);
  for (std::size_t n = 0; n <= 300; ++n) {
    // +1 offset: deliberately unaligned loads.
    std::vector<float> abuf = elex::test::random_vector(n + 1, rng);
    std::vector<float> bbuf = elex::test::random_vector(n + 1, rng);
    const float* a = abuf.data() + 1;
    const float* b = bbuf.data() + 1;
    const Exact e = exact(a, b, n);

    const float sd = kernels::scalar::dot(a, b, n), vd = kernels::dot(a, b, n);
    EXPECT_NEAR(sd, vd, agreement_bound(n, e.abs_dot)) << "dot n=" << n;
    EXPECT_NEAR(vd, e.dot, agreement_bound(n, e.abs_dot)) << "dot vs exact n=" << n;

    const float sl = kernels::scalar::l2sq(a, b, n), vl = kernels::l2sq(a, b, n);
    EXPECT_NEAR(sl, vl, agreement_bound(n, e.l2)) << "l2 n=" << n;
    EXPECT_NEAR(vl, e.l2, agreement_bound(n, e.l2) * 2) << "l2 vs exact n=" << n;

    const kernels::DotNorms sn = kernels::scalar::dot_norms(a, b, n);
    const kernels::DotNorms vn = kernels::dot_norms(a, b, n);
    EXPECT_NEAR(sn.dot, vn.dot, agreement_bound(n, e.abs_dot));
    EXPECT_NEAR(sn.aa, vn.aa, agreement_bound(n, e.aa));
    EXPECT_NEAR(sn.bb, vn.bb, agreement_bound(n, e.bb));
  }
}

TEST(Kernels, DistanceFunctionsMatchTheirDefinitions) {
  std::mt19937 rng(7);
  for (std::size_t n : {1u, 3u, 4u, 5u, 16u, 17u, 128u, 131u, 768u}) {
    auto a = elex::test::random_vector(n, rng), b = elex::test::random_vector(n, rng);
    const Exact e = exact(a.data(), b.data(), n);
    const double cos_exact = 1.0 - e.dot / std::sqrt(e.aa * e.bb);
    for (auto fn_of : {&kernels::distance_fn, &kernels::scalar_distance_fn}) {
      EXPECT_NEAR(fn_of(Metric::L2)(a.data(), b.data(), n), e.l2, 1e-4 * (1 + e.l2));
      EXPECT_NEAR(fn_of(Metric::InnerProduct)(a.data(), b.data(), n), 1.0 - e.dot,
                  1e-4 * (1 + e.abs_dot));
      EXPECT_NEAR(fn_of(Metric::Cosine)(a.data(), b.data(), n), cos_exact, 1e-5);
    }
  }
}

TEST(Kernels, ZeroVectorsHaveCosineDistanceOne) {
  std::vector<float> z(37, 0.0f), x(37, 0.5f);
  for (auto fn_of : {&kernels::distance_fn, &kernels::scalar_distance_fn}) {
    EXPECT_EQ(fn_of(Metric::Cosine)(z.data(), x.data(), 37), 1.0f);
    EXPECT_EQ(fn_of(Metric::Cosine)(x.data(), z.data(), 37), 1.0f);
    EXPECT_EQ(fn_of(Metric::Cosine)(z.data(), z.data(), 37), 1.0f);
    EXPECT_EQ(fn_of(Metric::L2)(z.data(), z.data(), 37), 0.0f);
    EXPECT_EQ(fn_of(Metric::InnerProduct)(z.data(), x.data(), 37), 1.0f);
  }
}

TEST(Kernels, IdenticalVectorsAreAtDistanceZero) {
  std::mt19937 rng(3);
  auto a = elex::test::random_vector(129, rng);
  EXPECT_EQ(kernels::l2sq(a.data(), a.data(), a.size()), 0.0f);
  EXPECT_NEAR(kernels::distance_fn(Metric::Cosine)(a.data(), a.data(), a.size()), 0.0f, 1e-6);
}

TEST(Kernels, SpecialValuesPropagateWithoutTrapping) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  for (std::size_t n : {1u, 4u, 19u}) {
    std::vector<float> a(n, 1.0f), b(n, 1.0f);
    a[n - 1] = nan;
    EXPECT_TRUE(std::isnan(kernels::dot(a.data(), b.data(), n)));
    EXPECT_TRUE(std::isnan(kernels::l2sq(a.data(), b.data(), n)));
    EXPECT_TRUE(std::isnan(kernels::scalar::dot(a.data(), b.data(), n)));
    a[n - 1] = inf;
    EXPECT_EQ(kernels::dot(a.data(), b.data(), n), inf);
    EXPECT_EQ(kernels::scalar::dot(a.data(), b.data(), n), inf);
    EXPECT_EQ(kernels::l2sq(a.data(), b.data(), n), inf);
  }
}

TEST(Kernels, EmptyInputsGiveZero) {
  EXPECT_EQ(kernels::dot(nullptr, nullptr, 0), 0.0f);
  EXPECT_EQ(kernels::l2sq(nullptr, nullptr, 0), 0.0f);
  EXPECT_EQ(kernels::distance_fn(Metric::Cosine)(nullptr, nullptr, 0), 1.0f);
}

TEST(Kernels, StridedBlockDotsMatchAndDoNotDependOnTheBlockStart) {
  std::mt19937 rng(22);
  for (std::size_t n : {1u, 5u, 16u, 128u}) {
    const std::size_t stride = n + 3, count = 11;  // floats per row: padding between rows
    auto rows = elex::test::random_vector(stride * count, rng);
    auto q = elex::test::random_vector(n, rng);
    std::vector<float> a(count), b(count), part(count);
    kernels::dots(q.data(), rows.data(), stride * 4, count, n, a.data());
    kernels::scalar::dots(q.data(), rows.data(), stride * 4, count, n, b.data());
    for (std::size_t i = 0; i < count; ++i) {
      const Exact e = exact(q.data(), rows.data() + i * stride, n);
      EXPECT_NEAR(a[i], b[i], agreement_bound(n, e.abs_dot)) << n << " " << i;
      EXPECT_NEAR(a[i], e.dot, agreement_bound(n, e.abs_dot)) << n << " " << i;
    }
    // A block starting anywhere (a thread's slice of a scan) gives each row
    // the very same value.
    for (std::size_t start = 1; start < count; ++start) {
      kernels::dots(q.data(), rows.data() + start * stride, stride * 4, count - start, n,
                    part.data());
      for (std::size_t i = start; i < count; ++i) ASSERT_EQ(part[i - start], a[i]) << start;
    }
  }
}

TEST(Kernels, Dot4MatchesFourDots) {
  std::mt19937 rng(21);
  for (std::size_t n : {0u, 1u, 3u, 4u, 7u, 16u, 128u, 131u}) {
    auto q = elex::test::random_vector(n, rng);
    std::vector<std::vector<float>> v;
    for (int j = 0; j < 4; ++j) v.push_back(elex::test::random_vector(n, rng));
    const float* p[4] = {v[0].data(), v[1].data(), v[2].data(), v[3].data()};
    float a[4], b[4];
    kernels::dot4(q.data(), p, n, a);
    kernels::scalar::dot4(q.data(), p, n, b);
    for (int j = 0; j < 4; ++j) {
      const Exact e = exact(q.data(), p[j], n);
      EXPECT_NEAR(a[j], b[j], agreement_bound(n, e.abs_dot)) << n;
      EXPECT_NEAR(a[j], e.dot, agreement_bound(n, e.abs_dot)) << n;
    }
  }
}

// The four-way kernels (two accumulators per vector while 8 floats remain,
// then a 4-wide step, then a scalar tail) against their scalar twins and the
// exact sums, for every length 0..300 and unaligned rows.
TEST(Kernels, FourWayKernelsAgreeForEveryTailLength) {
  std::mt19937 rng(31);
  for (std::size_t n = 0; n <= 300; ++n) {
    std::vector<float> qbuf = elex::test::random_vector(n + 1, rng);
    std::vector<float> rows = elex::test::random_vector(4 * (n + 1) + 1, rng);
    const float* q = qbuf.data() + 1;
    const float* p[4];
    for (int j = 0; j < 4; ++j) p[j] = rows.data() + 1 + j * (n + 1);
    float vd[4], sd[4], vl[4], sl[4];
    kernels::dot4(q, p, n, vd);
    kernels::scalar::dot4(q, p, n, sd);
    kernels::l2sq4(q, p, n, vl);
    kernels::scalar::l2sq4(q, p, n, sl);
    for (int j = 0; j < 4; ++j) {
      const Exact e = exact(q, p[j], n);
      EXPECT_NEAR(vd[j], sd[j], agreement_bound(n, e.abs_dot)) << "dot4 n=" << n;
      EXPECT_NEAR(vd[j], e.dot, agreement_bound(n, e.abs_dot)) << "dot4 vs exact n=" << n;
      EXPECT_NEAR(vl[j], sl[j], agreement_bound(n, e.l2)) << "l2sq4 n=" << n;
      EXPECT_NEAR(vl[j], e.l2, agreement_bound(n, e.l2) * 2) << "l2sq4 vs exact n=" << n;
      // The four-way result is the one-at-a-time kernel's up to summation order.
      EXPECT_NEAR(vd[j], kernels::dot(q, p[j], n), agreement_bound(n, e.abs_dot)) << n;
      EXPECT_NEAR(vl[j], kernels::l2sq(q, p[j], n), agreement_bound(n, e.l2)) << n;
    }
  }
}

// The router's profiles are mostly zeros: dots_by_dim_sparse, reading only
// the non-zero entries, must give what dots_by_dim gives, bit for bit, for
// both twins, every tail and columns with −0 entries.
TEST(Kernels, DotsByDimSparseIsBitForBitDotsByDim) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (std::size_t n : {4u, 5u, 7u, 8u, 9u, 12u, 15u, 16u, 23u, 64u, 131u, 512u}) {
    for (std::size_t count : {1u, 3u, 4u, 9u, 37u}) {
      for (unsigned density : {0u, 5u, 25u, 100u}) {  // percent of non-zero entries
        std::vector<float> cols(count * n, 0.0f), q(n, 0.0f);
        for (float& x : cols) {
          const unsigned r = rng() % 100;
          x = r < density ? u(rng) : (r % 7 == 0 ? -0.0f : 0.0f);
        }
        for (std::size_t d = 0; d < n; d += 1 + rng() % 4) q[d] = u(rng);
        std::vector<std::uint32_t> off(n + 1, 0), rows;
        std::vector<float> vals;
        for (std::size_t d = 0; d < n; ++d) {
          for (std::size_t h = 0; h < count; ++h)
            if (cols[d * count + h] != 0.0f) {
              rows.push_back(std::uint32_t(h));
              vals.push_back(cols[d * count + h]);
            }
          off[d + 1] = std::uint32_t(rows.size());
        }
        using ByDim =
            void (*)(const float*, const float*, std::size_t, std::size_t, float*, float*);
        using Sparse =
            void (*)(const float*, const float*, const std::uint32_t*, const std::uint32_t*,
                     const float*, std::size_t, std::size_t, float*, float*);
        std::vector<std::pair<ByDim, Sparse>> twins = {
            {kernels::scalar::dots_by_dim, kernels::scalar::dots_by_dim_sparse}};
#if ELEX_SIMD
        twins.emplace_back(kernels::vec::dots_by_dim, kernels::vec::dots_by_dim_sparse);
#endif
        std::vector<float> want(count), got(count), acc(8 * count);
        for (const auto& [dense, sparse] : twins) {
          dense(q.data(), cols.data(), count, n, want.data(), acc.data());
          sparse(q.data(), cols.data(), off.data(), rows.data(), vals.data(), count, n, got.data(),
                 acc.data());
          for (std::size_t h = 0; h < count; ++h)
            ASSERT_EQ(std::memcmp(&want[h], &got[h], sizeof(float)), 0)
                << "n " << n << " count " << count << " density " << density << " column " << h
                << ": " << want[h] << " vs " << got[h];
        }
      }
    }
  }
}

// The router's profiles are stored by dimension and its questions are
// sparse: dots_by_dim must give what dots gives, bit for bit, for both twins
// and every dimension count's tail (8-wide steps, one 4-wide step, scalar).
TEST(Kernels, DotsByDimAreBitForBitTheDotsOfTheColumns) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (std::size_t n : {4u, 5u, 7u, 8u, 9u, 12u, 15u, 16u, 23u, 64u, 131u, 512u}) {
    for (std::size_t count : {1u, 3u, 4u, 9u, 37u}) {
      std::vector<float> rows(count * n), cols(count * n), q(n, 0.0f);
      for (float& x : rows) x = u(rng);
      for (std::size_t h = 0; h < count; ++h)
        for (std::size_t d = 0; d < n; ++d) cols[d * count + h] = rows[h * n + d];
      for (std::size_t d = 0; d < n; d += 1 + rng() % 5) q[d] = u(rng);  // sparse
      std::vector<float> want(count), got(count), acc(8 * count);
      using Dots =
          void (*)(const float*, const float*, std::size_t, std::size_t, std::size_t, float*);
      using ByDim = void (*)(const float*, const float*, std::size_t, std::size_t, float*, float*);
      std::vector<std::pair<Dots, ByDim>> twins = {
          {kernels::scalar::dots, kernels::scalar::dots_by_dim}};
#if ELEX_SIMD
      twins.emplace_back(kernels::vec::dots, kernels::vec::dots_by_dim);
#endif
      for (const auto& [dots, by_dim] : twins) {
        dots(q.data(), rows.data(), n * sizeof(float), count, n, want.data());
        by_dim(q.data(), cols.data(), count, n, got.data(), acc.data());
        for (std::size_t h = 0; h < count; ++h)
          ASSERT_EQ(std::memcmp(&want[h], &got[h], sizeof(float)), 0)
              << "n " << n << " count " << count << " column " << h << ": " << want[h] << " vs "
              << got[h];
      }
    }
  }
}
