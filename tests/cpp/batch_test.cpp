// Batch distances: threaded results are bit-identical to one thread, agree
// with the scalar reference, and really use more than one thread.
#include "elex/kernels/batch.h"

#include <gtest/gtest.h>

#include <cstring>

#include "test_util.h"

using namespace elex;

namespace {

struct Data {
  std::vector<float> q, v;
  std::uint32_t nq, nv, dim;
};

Data make(std::uint32_t nq, std::uint32_t nv, std::uint32_t dim, unsigned seed) {
  std::mt19937 rng(seed);
  return {elex::test::random_vector(std::size_t(nq) * dim, rng),
          elex::test::random_vector(std::size_t(nv) * dim, rng), nq, nv, dim};
}

std::vector<float> run(ThreadPool& pool, const Data& d, Metric m, unsigned* used) {
  std::vector<float> out(std::size_t(d.nq) * d.nv, -1.0f);
  batch::DistanceJob job{m, d.q.data(), d.nq, d.v.data(), d.nv, d.dim, out.data()};
  EXPECT_EQ(batch::distances(pool, job, used), ELEX_OK);
  return out;
}

}  // namespace

TEST(Batch, ThreadedIsBitIdenticalToSingleThreadAndUsesThreads) {
  const Data d = make(64, 3000, 131, 1);
  ThreadPool one(1), four(4);
  ASSERT_EQ(one.size(), 1u);
  ASSERT_EQ(four.size(), 4u);
  for (Metric m : {Metric::L2, Metric::InnerProduct, Metric::Cosine}) {
    unsigned used1 = 0, used4 = 0;
    const auto a = run(one, d, m, &used1);
    const auto b = run(four, d, m, &used4);
    EXPECT_EQ(used1, 1u);
    EXPECT_GE(used4, 1u);
    EXPECT_LE(used4, 4u);
    ASSERT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
  }
  // With plenty of work, helpers must take part (each chunk is ~1/32 of it).
  unsigned best = 0;
  for (int i = 0; i < 10 && best < 2; ++i) {
    unsigned used = 0;
    run(four, make(256, 4096, 128, 2), Metric::L2, &used);
    best = used > best ? used : best;
  }
  EXPECT_GE(best, 2u);
}

TEST(Batch, AgreesWithScalarReference) {
  const Data d = make(17, 700, 67, 3);
  ThreadPool pool(3);
  for (Metric m : {Metric::L2, Metric::InnerProduct, Metric::Cosine}) {
    const auto fast = run(pool, d, m, nullptr);
    std::vector<float> ref(fast.size());
    batch::DistanceJob job{m, d.q.data(), d.nq, d.v.data(), d.nv, d.dim, ref.data()};
    ASSERT_EQ(batch::distances_reference(job), ELEX_OK);
    for (std::size_t i = 0; i < ref.size(); ++i)
      ASSERT_NEAR(fast[i], ref[i], 1e-4f * (1.0f + std::fabs(ref[i]))) << i;
  }
}

TEST(Batch, RejectsBadArguments) {
  ThreadPool pool(2);
  float x[4] = {0}, out[1];
  batch::DistanceJob job{Metric::L2, x, 1, x, 1, 0, out};
  EXPECT_EQ(batch::distances(pool, job, nullptr), ELEX_E_INVALID_ARGUMENT);
  job.dim = 4;
  job.metric = static_cast<Metric>(9);
  EXPECT_EQ(batch::distances(pool, job, nullptr), ELEX_E_INVALID_ARGUMENT);
  job.metric = Metric::L2;
  job.out = nullptr;
  EXPECT_EQ(batch::distances(pool, job, nullptr), ELEX_E_INVALID_ARGUMENT);
  job.out = out;
  job.nq = 0;
  EXPECT_EQ(batch::distances(pool, job, nullptr), ELEX_OK);
}

TEST(ThreadPool, CoversEveryIndexExactlyOnce) {
  ThreadPool pool(4);
  for (std::size_t n : {0u, 1u, 5u, 1000u, 12345u}) {
    std::vector<std::atomic<int>> hits(n);
    pool.parallel_for(n, 7, [&](std::size_t b, std::size_t e) {
      for (std::size_t i = b; i < e; ++i) hits[i].fetch_add(1);
    });
    for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "n=" << n << " i=" << i;
  }
}
