// HNSW: recall against brute force, parallel build, removal, exact mode,
// int8 (and its residual re-rank), serialisation (round trip and hostile bytes) and every bad
// input.
#include "elex/index/hnsw.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <random>
#include <vector>

#include "elex/core/format.h"

using namespace elex;
using namespace elex::hnsw;

namespace {

struct Deleter {
  void operator()(Index* p) const { delete p; }
};
using IndexPtr = std::unique_ptr<Index, Deleter>;

IndexPtr make(std::uint32_t dim, Metric m, Quantization q = Quantization::None,
              std::uint32_t M = 16, std::uint32_t efc = 200) {
  Params p;
  p.dim = dim;
  p.metric = m;
  p.M = M;
  p.ef_construction = efc;
  p.quantization = q;
  Index* ix = nullptr;
  EXPECT_EQ(Index::create(p, &ix), ELEX_OK);
  return IndexPtr(ix);
}

/// n points around `clusters` Gaussian centres, seeded.
std::vector<float> clustered(std::size_t n, std::uint32_t dim, std::size_t clusters,
                             unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<float> centres(clusters * dim);
  for (auto& c : centres) c = g(rng);
  std::vector<float> v(n * dim);
  std::uniform_int_distribution<std::size_t> pick(0, clusters - 1);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = pick(rng);
    for (std::uint32_t j = 0; j < dim; ++j) v[i * dim + j] = centres[c * dim + j] + 0.35f * g(rng);
  }
  return v;
}

std::vector<std::uint32_t> iota_ids(std::size_t n, std::uint32_t first = 1000) {
  std::vector<std::uint32_t> ids(n);
  std::iota(ids.begin(), ids.end(), first);
  return ids;
}

double exact_distance(Metric m, const float* a, const float* b, std::uint32_t dim) {
  double dot = 0, aa = 0, bb = 0, l2 = 0;
  for (std::uint32_t i = 0; i < dim; ++i) {
    dot += double(a[i]) * b[i], aa += double(a[i]) * a[i], bb += double(b[i]) * b[i];
    l2 += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
  }
  if (m == Metric::L2) return l2;
  if (m == Metric::InnerProduct) return 1 - dot;
  return (aa == 0 || bb == 0) ? 1 : 1 - dot / std::sqrt(aa * bb);
}

/// Brute-force top-k ids (the caller's ids) for each query.
std::vector<std::uint32_t> truth(Metric m, const std::vector<float>& data,
                                 const std::vector<std::uint32_t>& ids, const float* queries,
                                 std::size_t nq, std::uint32_t dim, std::uint32_t k) {
  std::vector<std::uint32_t> out(nq * k);
  std::vector<std::pair<double, std::uint32_t>> d(ids.size());
  for (std::size_t q = 0; q < nq; ++q) {
    for (std::size_t i = 0; i < ids.size(); ++i)
      d[i] = {exact_distance(m, queries + q * dim, data.data() + i * dim, dim), ids[i]};
    std::partial_sort(d.begin(), d.begin() + k, d.end());
    for (std::uint32_t j = 0; j < k; ++j) out[q * k + j] = d[j].second;
  }
  return out;
}

double recall(const std::vector<std::uint32_t>& got, const std::vector<std::uint32_t>& want,
              std::size_t nq, std::uint32_t k) {
  std::size_t hit = 0;
  for (std::size_t q = 0; q < nq; ++q)
    for (std::uint32_t i = 0; i < k; ++i)
      hit += std::count(want.begin() + q * k, want.begin() + (q + 1) * k, got[q * k + i]) > 0;
  return double(hit) / double(nq * k);
}

struct Result {
  std::vector<std::uint32_t> ids;
  std::vector<float> dist;
};

Result search(const Index& ix, const float* q, std::size_t nq, std::uint32_t k, std::uint32_t ef,
              ExactMode mode = ExactMode::Never, ThreadPool* pool = nullptr) {
  Result r{std::vector<std::uint32_t>(nq * k), std::vector<float>(nq * k)};
  EXPECT_EQ(ix.search(q, nq, k, ef, mode, r.ids.data(), r.dist.data(), pool), ELEX_OK)
      << last_error_message();
  return r;
}

constexpr std::uint32_t kDim = 48;
constexpr std::size_t kN = 5000, kQ = 200;

}  // namespace

void normalise_rows(std::vector<float>& v, std::uint32_t dim) {
  for (std::size_t i = 0; i < v.size(); i += dim) {
    double n = 0;
    for (std::uint32_t j = 0; j < dim; ++j) n += double(v[i + j]) * v[i + j];
    for (std::uint32_t j = 0; j < dim; ++j) v[i + j] = float(v[i + j] / std::sqrt(n));
  }
}

TEST(Hnsw, RecallAtTenOnClusteredDataForEveryMetric) {
  // Inner product is used on unit vectors (see hnsw.h); the data is
  // normalised for all metrics, as in the benchmarks.
  auto data = clustered(kN, kDim, 50, 1);
  auto queries = clustered(kQ, kDim, 50, 2);
  normalise_rows(data, kDim);
  normalise_rows(queries, kDim);
  const auto ids = iota_ids(kN);
  for (Metric m : {Metric::Cosine, Metric::L2, Metric::InnerProduct}) {
    auto ix = make(kDim, m);
    ASSERT_EQ(ix->add(ids.data(), data.data(), kN, nullptr), ELEX_OK) << last_error_message();
    EXPECT_EQ(ix->live(), kN);
    const auto want = truth(m, data, ids, queries.data(), kQ, kDim, 10);
    const auto got = search(*ix, queries.data(), kQ, 10, 64);
    const double r = recall(got.ids, want, kQ, 10);
    EXPECT_GE(r, 0.95) << "metric " << int(m);
    // Distances come back sorted and match their definition.
    for (std::size_t q = 0; q < kQ; ++q) {
      for (int i = 1; i < 10; ++i) ASSERT_LE(got.dist[q * 10 + i - 1], got.dist[q * 10 + i]);
      const std::uint32_t id = got.ids[q * 10];
      const double want_d =
          exact_distance(m, queries.data() + q * kDim, data.data() + (id - 1000) * kDim, kDim);
      ASSERT_NEAR(got.dist[q * 10], want_d, 1e-3 * (1 + std::fabs(want_d)));
    }
  }
}

TEST(Hnsw, InnerProductOnRawVectorsStillFindsMostNeighbours) {
  // Not a metric on unnormalised data: HNSW's pruning is a heuristic there.
  const auto data = clustered(kN, kDim, 50, 1);
  const auto queries = clustered(kQ, kDim, 50, 2);
  const auto ids = iota_ids(kN);
  auto ix = make(kDim, Metric::InnerProduct);
  ASSERT_EQ(ix->add(ids.data(), data.data(), kN, nullptr), ELEX_OK);
  const auto want = truth(Metric::InnerProduct, data, ids, queries.data(), kQ, kDim, 10);
  EXPECT_GE(recall(search(*ix, queries.data(), kQ, 10, 128).ids, want, kQ, 10), 0.8);
}

TEST(Hnsw, ParallelBuildIsAsGoodAndSearchesInParallel) {
  // A parallel build's graph depends on how the threads interleave, so its
  // recall is compared with a serial build's in the same run.
  const auto data = clustered(kN, kDim, 50, 3);
  const auto queries = clustered(kQ, kDim, 50, 4);
  const auto ids = iota_ids(kN);
  ThreadPool pool(4);
  auto serial = make(kDim, Metric::Cosine);
  auto parallel = make(kDim, Metric::Cosine);
  ASSERT_EQ(serial->add(ids.data(), data.data(), kN, nullptr), ELEX_OK);
  ASSERT_EQ(parallel->add(ids.data(), data.data(), kN, &pool), ELEX_OK);
  const auto want = truth(Metric::Cosine, data, ids, queries.data(), kQ, kDim, 10);
  const double rs = recall(search(*serial, queries.data(), kQ, 10, 96).ids, want, kQ, 10);
  const auto one_thread = search(*parallel, queries.data(), kQ, 10, 96);
  const double rp = recall(one_thread.ids, want, kQ, 10);
  EXPECT_GE(rs, 0.95);
  EXPECT_GE(rp, rs - 0.02);
  // Searching with the pool gives exactly the single-threaded answers.
  const auto threaded = search(*parallel, queries.data(), kQ, 10, 96, ExactMode::Never, &pool);
  EXPECT_EQ(one_thread.ids, threaded.ids);
}

TEST(Hnsw, ExactModeEqualsBruteForce) {
  const auto data = clustered(800, 16, 8, 5);
  const auto queries = clustered(30, 16, 8, 6);
  const auto ids = iota_ids(800);
  auto ix = make(16, Metric::L2);
  ASSERT_EQ(ix->add(ids.data(), data.data(), 800, nullptr), ELEX_OK);
  const auto want = truth(Metric::L2, data, ids, queries.data(), 30, 16, 5);
  EXPECT_EQ(search(*ix, queries.data(), 30, 5, 5, ExactMode::Always).ids, want);
  // Auto uses the scan at this size.
  EXPECT_EQ(search(*ix, queries.data(), 30, 5, 5, ExactMode::Auto).ids, want);
}

TEST(Hnsw, ThreadedExactScanOfOneQueryEqualsTheSingleThreadedOne) {
  const std::size_t n = kSplitScanAbove + 1000;
  const auto data = clustered(n, 16, 40, 31);
  const auto queries = clustered(20, 16, 40, 32);
  const auto ids = iota_ids(n);
  ThreadPool pool(3);
  for (Quantization quant :
       {Quantization::None, Quantization::Int8, Quantization::Int8F32, Quantization::Int8Res4}) {
    auto ix = make(16, Metric::Cosine, quant, 8, 40);
    ASSERT_EQ(ix->add(ids.data(), data.data(), n, nullptr), ELEX_OK);
    std::size_t removed = 0;
    ASSERT_EQ(ix->remove(ids.data() + 100, 50, &removed), ELEX_OK);
    for (std::size_t q = 0; q < 20; ++q) {
      const auto one = search(*ix, queries.data() + q * 16, 1, 10, 30, ExactMode::Always);
      const auto split = search(*ix, queries.data() + q * 16, 1, 10, 30, ExactMode::Always, &pool);
      ASSERT_EQ(one.ids, split.ids) << q;
      ASSERT_EQ(one.dist, split.dist) << q;
    }
  }
}

/// 3,000 uniform random unit vectors of 64 dimensions and 50 queries (seed
/// 12), ids from 1000, and their cosine top 10 by brute force.
struct UniformUnit {
  static constexpr std::uint32_t dim = 64;
  static constexpr std::size_t n = 3000, nq = 50;
  std::vector<float> data, queries;
  std::vector<std::uint32_t> ids, want;
  UniformUnit() : data(n * dim), queries(nq * dim), ids(iota_ids(n)) {
    std::mt19937 rng(12);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (auto& x : data) x = u(rng);
    for (auto& x : queries) x = u(rng);
    normalise_rows(data, dim);
    normalise_rows(queries, dim);
    want = truth(Metric::Cosine, data, ids, queries.data(), nq, dim, 10);
  }
};

TEST(Hnsw, Int8ExactScanReRanksTheBestCodesWithTheF32Query) {
  // Uniform random unit vectors: the data where a graph needs a huge ef and
  // the scan is the documented choice.
  const UniformUnit set;
  constexpr std::uint32_t dim = UniformUnit::dim;
  constexpr std::size_t n = UniformUnit::n, nq = UniformUnit::nq;
  const auto& [data, queries, ids, want] = set;
  auto codes = make(dim, Metric::Cosine, Quantization::Int8);
  auto exact = make(dim, Metric::Cosine, Quantization::Int8F32);
  ASSERT_EQ(codes->add(ids.data(), data.data(), n, nullptr), ELEX_OK);
  ASSERT_EQ(exact->add(ids.data(), data.data(), n, nullptr), ELEX_OK);
  // Codes alone: close to the f32 truth, limited by the quantisation step.
  const auto approx = search(*codes, queries.data(), nq, 10, 64, ExactMode::Always);
  EXPECT_GE(recall(approx.ids, want, nq, 10), 0.97);
  // With the originals, the re-rank of the 64 best by code is exact: the
  // same neighbours and distances as brute force over f32.
  const auto r = search(*exact, queries.data(), nq, 10, 64, ExactMode::Always);
  EXPECT_GE(recall(r.ids, want, nq, 10), 0.998);
  for (std::size_t q = 0; q < nq; ++q) {
    for (std::size_t j = 0; j < 10; ++j) {
      const std::size_t at = r.ids[q * 10 + j] - 1000;
      const double d =
          exact_distance(Metric::Cosine, queries.data() + q * dim, data.data() + at * dim, dim);
      ASSERT_NEAR(r.dist[q * 10 + j], d, 1e-5);
      if (j > 0) ASSERT_LE(r.dist[q * 10 + j - 1], r.dist[q * 10 + j]);
    }
  }
  // The graph walk over codes with the exact re-rank finds what the f32
  // graph finds at the same ef.
  auto f32 = make(dim, Metric::Cosine);
  ASSERT_EQ(f32->add(ids.data(), data.data(), n, nullptr), ELEX_OK);
  const double graph_f32 = recall(search(*f32, queries.data(), nq, 10, 64).ids, want, nq, 10);
  const double graph_i8 = recall(search(*exact, queries.data(), nq, 10, 64).ids, want, nq, 10);
  EXPECT_GE(graph_i8, graph_f32 - 0.02);
  // A pool of k re-ranks only the codes' own top k: never better than 2k.
  Result one{std::vector<std::uint32_t>(nq * 10), std::vector<float>(nq * 10)};
  ASSERT_EQ(exact->search(queries.data(), nq, 10, 64, ExactMode::Always, one.ids.data(),
                          one.dist.data(), nullptr, 10),
            ELEX_OK);
  EXPECT_LE(recall(one.ids, want, nq, 10), recall(r.ids, want, nq, 10));
  EXPECT_EQ(exact->search(queries.data(), 1, 10, 64, ExactMode::Always, one.ids.data(),
                          one.dist.data(), nullptr, 100001),
            ELEX_E_INVALID_ARGUMENT);
  // The originals cost 4 bytes per dimension on top of the codes.
  EXPECT_GE(exact->stats().bytes, codes->stats().bytes + n * dim * 4);
}

// 'int8+res4': the graph walks the int8 codes (links packed as Int8's), and
// the re-rank scores a 4-bit residual past them: distances within a small
// step of the f32 ones, recall next to the exact re-rank's, for dim / 2 + 4
// bytes a vector more than the codes alone.
TEST(Hnsw, Int8Res4ReRanksNearlyExactlyForAFifthOfTheOriginalsBytes) {
  const UniformUnit set;
  constexpr std::uint32_t dim = UniformUnit::dim;
  constexpr std::size_t n = UniformUnit::n, nq = UniformUnit::nq;
  const auto& [data, queries, ids, want] = set;
  auto codes = make(dim, Metric::Cosine, Quantization::Int8);
  auto res = make(dim, Metric::Cosine, Quantization::Int8Res4);
  ASSERT_EQ(codes->add(ids.data(), data.data(), n, nullptr), ELEX_OK);
  ASSERT_EQ(res->add(ids.data(), data.data(), n, nullptr), ELEX_OK);
  const double by_codes =
      recall(search(*codes, queries.data(), nq, 10, 64, ExactMode::Always).ids, want, nq, 10);
  const auto r = search(*res, queries.data(), nq, 10, 64, ExactMode::Always);
  EXPECT_GE(recall(r.ids, want, nq, 10), 0.995);
  EXPECT_GT(recall(r.ids, want, nq, 10), by_codes);
  for (std::size_t q = 0; q < nq; ++q)
    for (std::size_t j = 0; j < 10; ++j) {
      const std::size_t at = r.ids[q * 10 + j] - 1000;
      const double d =
          exact_distance(Metric::Cosine, queries.data() + q * dim, data.data() + at * dim, dim);
      ASSERT_NEAR(r.dist[q * 10 + j], d, 2e-4);
      if (j > 0) ASSERT_LE(r.dist[q * 10 + j - 1], r.dist[q * 10 + j]);
    }
  // The graph: the same walk as Int8's (same codes, same packed links), a better re-rank.
  const double graph_i8 = recall(search(*codes, queries.data(), nq, 10, 64).ids, want, nq, 10);
  const double graph_r4 = recall(search(*res, queries.data(), nq, 10, 64).ids, want, nq, 10);
  EXPECT_GE(graph_r4, graph_i8);
  // Bytes: the codes' index plus dim / 2 nibbles and a 4-byte factor per slot.
  EXPECT_EQ(res->stats().bytes, codes->stats().bytes + n * (dim / 2 + 4));
  EXPECT_EQ(res->stats().quantization, Quantization::Int8Res4);
  // Cosine only, as every int8 mode.
  Params p;
  p.dim = 8;
  p.metric = Metric::L2;
  p.quantization = Quantization::Int8Res4;
  Index* bad = nullptr;
  EXPECT_EQ(Index::create(p, &bad), ELEX_E_INVALID_ARGUMENT);
  p.metric = Metric::Cosine;
  p.quantization = static_cast<Quantization>(4);
  EXPECT_EQ(Index::create(p, &bad), ELEX_E_INVALID_ARGUMENT);
}

// A saved 'int8+res4' index carries its residuals in a RES4 section (format
// version 3): without it, cut short, or labelled version 2 it is corrupt.
TEST(Hnsw, Int8Res4SavesItsResidualsAndRejectsBytesWithoutThem) {
  constexpr std::uint32_t dim = 33, n = 500;  // odd: the last nibble byte is half used
  const auto data = clustered(n, dim, 10, 51);
  const auto ids = iota_ids(n);
  auto ix = make(dim, Metric::Cosine, Quantization::Int8Res4, 8, 40);
  ASSERT_EQ(ix->add(ids.data(), data.data(), n, nullptr), ELEX_OK);
  std::uint8_t* bytes = nullptr;
  std::size_t size = 0;
  ASSERT_EQ(ix->serialize(&bytes, &size), ELEX_OK);
  std::vector<std::uint8_t> saved(bytes, bytes + size);
  std::free(bytes);
  EXPECT_EQ(saved[4], 3);
  format::Reader r;
  ASSERT_EQ(r.open(saved.data(), saved.size(), format::ContainerKind::HnswIndex), ELEX_OK);
  const std::uint32_t tags[] = {format::tag("HNSW"), format::tag("NODE"), format::tag("LABL"),
                                format::tag("META"), format::tag("UOFF"), format::tag("UPPR"),
                                format::tag("RES4")};
  std::vector<std::vector<std::uint8_t>> sec;
  for (std::uint32_t t : tags) {
    std::size_t len = 0;
    const std::uint8_t* p = r.section(t, &len);
    ASSERT_NE(p, nullptr);
    sec.emplace_back(p, p + len);
  }
  EXPECT_EQ(sec[6].size(), std::size_t(n) * (20 + 4));  // 17 nibble bytes padded to 20, g
  const auto rewrite = [&](unsigned count, std::size_t res_len, std::uint8_t version) {
    std::vector<format::SectionIn> in;
    for (unsigned t = 0; t < count; ++t)
      in.push_back({tags[t], sec[t].data(), t == 6 ? res_len : sec[t].size()});
    std::uint8_t* b = nullptr;
    std::size_t sz = 0;
    EXPECT_EQ(format::write(format::ContainerKind::HnswIndex, in.data(), count, &b, &sz), ELEX_OK);
    std::vector<std::uint8_t> v(b, b + sz);
    std::free(b);
    v[4] = version;
    const std::uint32_t crc = format::crc32(v.data(), v.size() - 4);
    std::memcpy(v.data() + v.size() - 4, &crc, 4);
    Index* back = nullptr;
    const Status st = Index::deserialize(v.data(), v.size(), &back);
    delete back;
    return st;
  };
  EXPECT_EQ(rewrite(7, sec[6].size(), 3), ELEX_OK);
  EXPECT_EQ(rewrite(6, 0, 3), ELEX_E_CORRUPT_DATA);
  EXPECT_EQ(rewrite(7, sec[6].size() - 4, 3), ELEX_E_CORRUPT_DATA);
  EXPECT_EQ(rewrite(7, sec[6].size(), 2), ELEX_E_CORRUPT_DATA);
  // A residual factor that is not finite.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(sec[6].data() + 20, &nan, 4);
  EXPECT_EQ(rewrite(7, sec[6].size(), 3), ELEX_E_CORRUPT_DATA);
}

TEST(Hnsw, BuildsAreReproducible) {
  const auto data = clustered(1500, 24, 10, 7);
  const auto ids = iota_ids(1500);
  auto bytes_of = [&] {
    auto ix = make(24, Metric::Cosine);
    EXPECT_EQ(ix->add(ids.data(), data.data(), 1500, nullptr), ELEX_OK);
    std::uint8_t* b = nullptr;
    std::size_t n = 0;
    EXPECT_EQ(ix->serialize(&b, &n), ELEX_OK);
    std::vector<std::uint8_t> v(b, b + n);
    std::free(b);
    return v;
  };
  EXPECT_EQ(bytes_of(), bytes_of());
}

TEST(Hnsw, ReservedRoomIsAllocatedOnceAndBuildsTheSameGraph) {
  const auto data = clustered(1500, 24, 10, 7);
  const auto ids = iota_ids(1500);
  for (Quantization q :
       {Quantization::None, Quantization::Int8, Quantization::Int8F32, Quantization::Int8Res4}) {
    auto bytes_of = [&](bool reserved) {
      auto ix = make(24, Metric::Cosine, q);
      if (reserved) {
        EXPECT_EQ(ix->reserve_items(1500), ELEX_OK);
        const std::uint64_t held = ix->stats().bytes;
        EXPECT_GT(held, std::uint64_t(1500) * 24);
        // In batches, as a big index is filled: the room never grows (the
        // upper layers are random; their room covers 1.5 x the expectation).
        for (std::size_t at = 0; at < 1500; at += 500) {
          EXPECT_EQ(ix->add(ids.data() + at, data.data() + at * 24, 500, nullptr), ELEX_OK);
          EXPECT_EQ(ix->stats().bytes, held);
        }
        EXPECT_EQ(ix->reserve_items(10), ELEX_OK);  // below the room held: nothing moves
        EXPECT_EQ(ix->stats().bytes, held);
      } else {
        for (std::size_t at = 0; at < 1500; at += 500)
          EXPECT_EQ(ix->add(ids.data() + at, data.data() + at * 24, 500, nullptr), ELEX_OK);
      }
      std::uint8_t* b = nullptr;
      std::size_t n = 0;
      EXPECT_EQ(ix->serialize(&b, &n), ELEX_OK);
      std::vector<std::uint8_t> v(b, b + n);
      std::free(b);
      return v;
    };
    EXPECT_EQ(bytes_of(true), bytes_of(false));
  }
  auto ix = make(8, Metric::Cosine, Quantization::Int8);
  EXPECT_EQ(ix->reserve_items(std::size_t(kMaxPackedNodes) + 1), ELEX_E_INVALID_ARGUMENT);
  EXPECT_EQ(ix->reserve_items(0x7FFFFFFFu), ELEX_E_INVALID_ARGUMENT);
}

TEST(Hnsw, RemovedItemsNeverComeBackAndCanBeReAdded) {
  const auto data = clustered(2000, 16, 20, 8);
  const auto ids = iota_ids(2000);
  auto ix = make(16, Metric::Cosine);
  ASSERT_EQ(ix->add(ids.data(), data.data(), 2000, nullptr), ELEX_OK);
  std::vector<std::uint32_t> gone;
  for (std::uint32_t i = 0; i < 2000; i += 3) gone.push_back(ids[i]);
  gone.push_back(999999);  // unknown: skipped
  std::size_t removed = 0;
  ASSERT_EQ(ix->remove(gone.data(), gone.size(), &removed), ELEX_OK);
  EXPECT_EQ(removed, gone.size() - 1);
  EXPECT_EQ(ix->live(), 2000 - removed);
  EXPECT_FALSE(ix->contains(ids[0]));
  EXPECT_TRUE(ix->contains(ids[1]));
  for (ExactMode mode : {ExactMode::Never, ExactMode::Always}) {
    const auto r = search(*ix, data.data(), 200, 10, 50, mode);
    for (std::uint32_t id : r.ids)
      ASSERT_EQ(std::find(gone.begin(), gone.end(), id), gone.end()) << id;
  }
  // A removed id may be added again (as a new vector).
  ASSERT_EQ(ix->add(&ids[0], data.data() + 16, 1, nullptr), ELEX_OK);
  EXPECT_TRUE(ix->contains(ids[0]));
  const auto r = search(*ix, data.data() + 16, 1, 2, 50);
  EXPECT_TRUE(r.ids[0] == ids[0] || r.ids[1] == ids[0]);
}

TEST(Hnsw, Int8KeepsRecallAndSavesMemory) {
  const auto data = clustered(kN, kDim, 50, 9);
  const auto queries = clustered(kQ, kDim, 50, 10);
  const auto ids = iota_ids(kN);
  auto f32 = make(kDim, Metric::Cosine);
  auto i8 = make(kDim, Metric::Cosine, Quantization::Int8);
  ASSERT_EQ(f32->add(ids.data(), data.data(), kN, nullptr), ELEX_OK);
  ASSERT_EQ(i8->add(ids.data(), data.data(), kN, nullptr), ELEX_OK);
  const auto want = truth(Metric::Cosine, data, ids, queries.data(), kQ, kDim, 10);
  EXPECT_GE(recall(search(*i8, queries.data(), kQ, 10, 64).ids, want, kQ, 10), 0.9);
  EXPECT_LT(i8->stats().bytes, f32->stats().bytes * 0.7);
  Params p;
  p.dim = 8;
  p.metric = Metric::L2;
  p.quantization = Quantization::Int8;
  Index* bad = nullptr;
  EXPECT_EQ(Index::create(p, &bad), ELEX_E_INVALID_ARGUMENT);
}

// Int8 (codes only) packs layer-0 links in 24 bits: the graph is the one
// the u32 layout gives (Int8F32 builds on the same codes), it serialises in
// the u32 layout, and a 128-d index costs under 254 bytes per vector (its
// codes carry a 4-byte factor each).
TEST(Hnsw, Int8PacksLinksInto24BitsWithTheSameGraph) {
  constexpr std::uint32_t dim = 128, n = 4000;
  auto data = clustered(n, dim, 40, 21);
  normalise_rows(data, dim);
  const auto ids = iota_ids(n);
  auto packed = make(dim, Metric::Cosine, Quantization::Int8, 16, 100);
  auto wide = make(dim, Metric::Cosine, Quantization::Int8F32, 16, 100);
  ASSERT_EQ(packed->add(ids.data(), data.data(), n, nullptr), ELEX_OK);
  ASSERT_EQ(wide->add(ids.data(), data.data(), n, nullptr), ELEX_OK);
  const double per_vector = double(packed->stats().bytes) / n;
  EXPECT_LT(per_vector, 254.0);
  const auto node_section = [](const Index& ix, std::vector<std::uint8_t>* keep) {
    std::uint8_t* bytes = nullptr;
    std::size_t size = 0;
    EXPECT_EQ(ix.serialize(&bytes, &size), ELEX_OK);
    keep->assign(bytes, bytes + size);
    std::free(bytes);
    format::Reader r;
    EXPECT_EQ(r.open(keep->data(), keep->size(), format::ContainerKind::HnswIndex), ELEX_OK);
    std::size_t len = 0;
    const std::uint8_t* p = r.section(format::tag("NODE"), &len);
    EXPECT_EQ(len, std::size_t(n) * (4 + 4 * 32 + dim + 4));  // links, codes, factor
    return p;
  };
  std::vector<std::uint8_t> a_bytes, b_bytes;
  const std::uint8_t* a = node_section(*packed, &a_bytes);
  const std::uint8_t* b = node_section(*wide, &b_bytes);
  const std::size_t stride = 4 + 4 * 32 + dim + 4;
  std::size_t links = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t ca, cb;
    std::memcpy(&ca, a + i * stride, 4);
    std::memcpy(&cb, b + i * stride, 4);
    ASSERT_EQ(ca, cb) << i;
    ASSERT_EQ(std::memcmp(a + i * stride + 4, b + i * stride + 4, 4 * ca), 0) << i;
    ASSERT_EQ(std::memcmp(a + i * stride + 4 + 128, b + i * stride + 4 + 128, dim + 4), 0) << i;
    links += ca;
  }
  EXPECT_GT(links, std::size_t(n) * 8);
  // Loading the u32 layout back packs it again: same results.
  Index* back = nullptr;
  ASSERT_EQ(Index::deserialize(a_bytes.data(), a_bytes.size(), &back), ELEX_OK);
  IndexPtr owned(back);
  const auto queries = clustered(50, dim, 40, 22);
  const auto x = search(*packed, queries.data(), 50, 10, 64);
  const auto y = search(*back, queries.data(), 50, 10, 64);
  EXPECT_EQ(x.ids, y.ids);
  EXPECT_EQ(x.dist, y.dist);
}

TEST(Hnsw, SerialisationRoundTripGivesIdenticalResults) {
  const auto data = clustered(3000, 32, 30, 11);
  const auto queries = clustered(100, 32, 30, 12);
  const auto ids = iota_ids(3000);
  for (Quantization q :
       {Quantization::None, Quantization::Int8, Quantization::Int8F32, Quantization::Int8Res4}) {
    auto ix = make(32, Metric::Cosine, q);
    ASSERT_EQ(ix->add(ids.data(), data.data(), 3000, nullptr), ELEX_OK);
    std::size_t removed = 0;
    ASSERT_EQ(ix->remove(ids.data(), 10, &removed), ELEX_OK);
    std::uint8_t* bytes = nullptr;
    std::size_t size = 0;
    ASSERT_EQ(ix->serialize(&bytes, &size), ELEX_OK);
    Index* back = nullptr;
    ASSERT_EQ(Index::deserialize(bytes, size, &back), ELEX_OK) << last_error_message();
    IndexPtr owned(back);
    EXPECT_EQ(back->live(), ix->live());
    const auto a = search(*ix, queries.data(), 100, 10, 40);
    const auto b = search(*back, queries.data(), 100, 10, 40);
    EXPECT_EQ(a.ids, b.ids);
    EXPECT_EQ(a.dist, b.dist);
    // The loaded index keeps growing like the original.
    const auto more = clustered(10, 32, 30, 13);
    const auto more_ids = iota_ids(10, 90000);
    EXPECT_EQ(back->add(more_ids.data(), more.data(), 10, nullptr), ELEX_OK);
    std::free(bytes);
  }
}

// An index saved at format version 1 (before per-vector code factors: one
// global scale in the header, NODE vectors of codes only) still loads, each
// node taking the header's scale as its factor. The version-1 bytes are made
// here from a current index, its codes re-quantised at one scale as version
// 1 wrote them.
TEST(Hnsw, VersionOneInt8IndexesStillLoad) {
  constexpr std::uint32_t dim = 32, n = 2000;
  auto data = clustered(n, dim, 20, 41);
  normalise_rows(data, dim);
  const auto queries = clustered(50, dim, 20, 42);
  const auto ids = iota_ids(n);
  const auto want = truth(Metric::Cosine, data, ids, queries.data(), 50, dim, 10);
  for (Quantization q : {Quantization::Int8, Quantization::Int8F32}) {
    auto ix = make(dim, Metric::Cosine, q, 16, 100);
    ASSERT_EQ(ix->add(ids.data(), data.data(), n, nullptr), ELEX_OK);
    std::uint8_t* bytes = nullptr;
    std::size_t size = 0;
    ASSERT_EQ(ix->serialize(&bytes, &size), ELEX_OK);
    std::vector<std::uint8_t> v2(bytes, bytes + size);
    std::free(bytes);
    format::Reader r;
    ASSERT_EQ(r.open(v2.data(), v2.size(), format::ContainerKind::HnswIndex), ELEX_OK);
    const std::uint32_t tags[] = {format::tag("HNSW"), format::tag("NODE"), format::tag("LABL"),
                                  format::tag("META"), format::tag("UOFF"), format::tag("UPPR"),
                                  format::tag("F32V")};
    std::vector<std::vector<std::uint8_t>> sec;
    for (std::uint32_t t : tags) {
      std::size_t len = 0;
      const std::uint8_t* p = r.section(t, &len);
      sec.emplace_back(p, p + len);
    }
    // Version 1 nodes: links, then codes at one scale (the largest |x| of all -> 127).
    const std::size_t links = 4 + 4 * 32, wide2 = links + dim + 4, wide1 = links + dim;
    float mx = 0.0f;
    for (std::size_t i = 0; i < n; ++i) {
      float f;
      std::memcpy(&f, sec[1].data() + i * wide2 + links + dim, 4);
      for (std::uint32_t j = 0; j < dim; ++j)
        mx = std::max(mx, std::fabs(f * float(std::int8_t(sec[1][i * wide2 + links + j]))));
    }
    const float scale = mx / 127.0f;
    std::vector<std::uint8_t> node1(n * wide1);
    for (std::size_t i = 0; i < n; ++i) {
      float f;
      std::memcpy(&f, sec[1].data() + i * wide2 + links + dim, 4);
      std::memcpy(node1.data() + i * wide1, sec[1].data() + i * wide2, links);
      for (std::uint32_t j = 0; j < dim; ++j) {
        const float x = f * float(std::int8_t(sec[1][i * wide2 + links + j]));
        node1[i * wide1 + links + j] = std::uint8_t(std::int8_t(std::lrintf(x / scale)));
      }
    }
    std::memcpy(sec[0].data() + 40, &scale, 4);  // Head::scale
    const unsigned count = q == Quantization::Int8F32 ? 7 : 6;
    std::vector<format::SectionIn> in;
    for (unsigned t = 0; t < count; ++t) {
      const auto& body = t == 1 ? node1 : sec[t];
      in.push_back({tags[t], body.data(), body.size()});
    }
    ASSERT_EQ(format::write(format::ContainerKind::HnswIndex, in.data(), count, &bytes, &size),
              ELEX_OK);
    std::vector<std::uint8_t> v1(bytes, bytes + size);
    std::free(bytes);
    v1[4] = 1;  // the version field; then the checksum again
    const std::uint32_t crc = format::crc32(v1.data(), v1.size() - 4);
    std::memcpy(v1.data() + v1.size() - 4, &crc, 4);
    Index* back = nullptr;
    ASSERT_EQ(Index::deserialize(v1.data(), v1.size(), &back), ELEX_OK) << last_error_message();
    IndexPtr owned(back);
    EXPECT_EQ(back->live(), n);
    EXPECT_GE(recall(search(*back, queries.data(), 50, 10, 64).ids, want, 50, 10), 0.9);
    // As written by version 1, the same bytes without the version bump are corrupt for 2.
    v1[4] = 2;
    const std::uint32_t crc2 = format::crc32(v1.data(), v1.size() - 4);
    std::memcpy(v1.data() + v1.size() - 4, &crc2, 4);
    EXPECT_EQ(Index::deserialize(v1.data(), v1.size(), &back), ELEX_E_CORRUPT_DATA);
    // And the loaded index grows with per-vector factors.
    const auto more = clustered(20, dim, 20, 43);
    const auto more_ids = iota_ids(20, 90000);
    EXPECT_EQ(owned->add(more_ids.data(), more.data(), 20, nullptr), ELEX_OK);
  }
}

TEST(Hnsw, HostileBytesGiveErrorsNeverCrashes) {
  const auto data = clustered(300, 8, 5, 14);
  const auto ids = iota_ids(300);
  auto ix = make(8, Metric::L2, Quantization::None, 4, 40);
  ASSERT_EQ(ix->add(ids.data(), data.data(), 300, nullptr), ELEX_OK);
  std::uint8_t* bytes = nullptr;
  std::size_t size = 0;
  ASSERT_EQ(ix->serialize(&bytes, &size), ELEX_OK);
  const std::vector<std::uint8_t> good(bytes, bytes + size);
  std::free(bytes);
  Index* out = nullptr;
  EXPECT_EQ(Index::deserialize(good.data(), 10, &out), ELEX_E_FOREIGN_DATA);
  EXPECT_EQ(Index::deserialize(good.data(), good.size() - 1, &out), ELEX_E_CORRUPT_DATA);
  // Flip bytes and fix the checksum so the structural checks are reached.
  std::mt19937 rng(15);
  std::uniform_int_distribution<std::size_t> pos(16, good.size() - 5);
  int rejected = 0;
  for (int t = 0; t < 3000; ++t) {
    auto b = good;
    for (int f = 0; f < 1 + t % 4; ++f) b[pos(rng)] ^= std::uint8_t(1u << (rng() % 8));
    const std::uint32_t c = format::crc32(b.data(), b.size() - 4);
    std::memcpy(b.data() + b.size() - 4, &c, 4);
    Index* r = nullptr;
    const Status s = Index::deserialize(b.data(), b.size(), &r);
    if (s != ELEX_OK) {
      ++rejected;
      EXPECT_EQ(r, nullptr);
      continue;
    }
    // Accepted (e.g. a flipped vector value): it must be fully usable.
    IndexPtr owned(r);
    std::vector<std::uint32_t> oi(5);
    std::vector<float> od(5);
    if (r->live() >= 5)
      EXPECT_EQ(r->search(data.data(), 1, 5, 20, ExactMode::Never, oi.data(), od.data(), nullptr),
                ELEX_OK);
  }
  EXPECT_GT(rejected, 100);
}

TEST(Hnsw, BadInputReturnsCodedErrors) {
  auto ix = make(4, Metric::Cosine);
  float q[4] = {1, 0, 0, 0};
  std::uint32_t oi[8];
  float od[8];
  EXPECT_EQ(ix->search(q, 1, 1, 10, ExactMode::Auto, oi, od, nullptr), ELEX_E_EMPTY_INDEX);
  const float v[12] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0};
  const std::uint32_t ids[3] = {7, 8, 9};
  ASSERT_EQ(ix->add(ids, v, 3, nullptr), ELEX_OK);
  EXPECT_EQ(ix->add(ids, v, 1, nullptr), ELEX_E_DUPLICATE_ID);
  const std::uint32_t twice[2] = {50, 50};
  EXPECT_EQ(ix->add(twice, v, 2, nullptr), ELEX_E_DUPLICATE_ID);
  EXPECT_EQ(ix->live(), 3u);  // nothing of a failed add remains
  const float nan[4] = {1, std::numeric_limits<float>::quiet_NaN(), 0, 0};
  const std::uint32_t fresh = 70;
  EXPECT_EQ(ix->add(&fresh, nan, 1, nullptr), ELEX_E_INVALID_ARGUMENT);
  const float inf[4] = {std::numeric_limits<float>::infinity(), 0, 0, 0};
  EXPECT_EQ(ix->search(inf, 1, 1, 10, ExactMode::Auto, oi, od, nullptr), ELEX_E_INVALID_ARGUMENT);
  EXPECT_EQ(ix->search(q, 1, 0, 10, ExactMode::Auto, oi, od, nullptr), ELEX_E_INVALID_ARGUMENT);
  EXPECT_EQ(ix->search(q, 1, 4, 10, ExactMode::Auto, oi, od, nullptr), ELEX_E_INVALID_ARGUMENT);
  // ef below k is raised to k.
  EXPECT_EQ(ix->search(q, 1, 3, 1, ExactMode::Never, oi, od, nullptr), ELEX_OK);
  EXPECT_EQ(oi[0], 7u);
  EXPECT_NE(oi[2], 0xFFFFFFFFu);
  Params p;
  Index* bad = nullptr;
  p.dim = 0;
  EXPECT_EQ(Index::create(p, &bad), ELEX_E_INVALID_ARGUMENT);
  p.dim = 4;
  p.M = 1;
  EXPECT_EQ(Index::create(p, &bad), ELEX_E_INVALID_ARGUMENT);
  p.M = 16;
  p.metric = static_cast<Metric>(5);
  EXPECT_EQ(Index::create(p, &bad), ELEX_E_INVALID_ARGUMENT);
}

TEST(Hnsw, ZeroVectorsAreAtCosineDistanceOne) {
  auto ix = make(4, Metric::Cosine);
  const float v[8] = {0, 0, 0, 0, 1, 1, 0, 0};
  const std::uint32_t ids[2] = {1, 2};
  ASSERT_EQ(ix->add(ids, v, 2, nullptr), ELEX_OK);
  const float q[4] = {1, 0, 0, 0};
  std::uint32_t oi[2];
  float od[2];
  ASSERT_EQ(ix->search(q, 1, 2, 10, ExactMode::Never, oi, od, nullptr), ELEX_OK);
  EXPECT_EQ(oi[0], 2u);
  EXPECT_NEAR(od[1], 1.0f, 1e-6);
}

// The memory budget reserves add_bytes(n) before an add: it must cover what
// the add grows the index by (its arenas grow by half again once full, not by
// n: an add reserved for its own vectors took the engine past its budget),
// for every quantization, without asking for far more than the growth.
TEST(Hnsw, AddBytesCoversWhatAnAddGrowsTheIndexBy) {
  for (const Quantization q :
       {Quantization::None, Quantization::Int8, Quantization::Int8F32, Quantization::Int8Res4}) {
    IndexPtr ix = make(32, Metric::Cosine, q, 12, 40);
    const std::vector<float> v = clustered(6000, 32, 8, 11);
    std::size_t at = 0;
    for (const std::size_t n : {1, 300, 600, 1, 600, 2000, 17, 1200}) {
      const std::size_t before = ix->stats().bytes;
      const std::size_t want = ix->add_bytes(n);
      const std::vector<std::uint32_t> ids = iota_ids(n, std::uint32_t(at));
      ASSERT_EQ(ix->add(ids.data(), v.data() + at * 32, n, nullptr), ELEX_OK);
      at += n;
      const std::size_t grown = ix->stats().bytes - before;
      EXPECT_LE(grown, want) << "quantization " << int(q) << ", add of " << n << " at " << at - n;
      // Beyond the growth, at most the upper layers' margin: a few links per
      // vector, and their half again when the draws may need it (they are a
      // small part of the index).
      EXPECT_LE(want, grown + 64 * n + 1024 + before / 8)
          << "quantization " << int(q) << ", add of " << n;
    }
    EXPECT_EQ(ix->add_bytes(0), 0u);
  }
}

// bytes_for(n) is what an index with room for n nodes holds (what the route
// memory's trim plans its rebuilt index by), for every quantization.
TEST(Hnsw, BytesForIsWhatAnIndexWithThatRoomHolds) {
  for (const Quantization q :
       {Quantization::None, Quantization::Int8, Quantization::Int8F32, Quantization::Int8Res4})
    for (const std::size_t n : {0, 1, 100, 1000, 5000}) {
      IndexPtr ix = make(32, Metric::Cosine, q, 12, 40);
      ASSERT_EQ(ix->reserve_items(n), ELEX_OK);
      EXPECT_EQ(ix->bytes_for(n), ix->stats().bytes) << "quantization " << int(q) << ", " << n;
    }
}
