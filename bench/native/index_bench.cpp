// Native reference benchmarks for the HNSW index: build (1 and 2 threads)
// and search at several ef on 10K x 128 clustered, normalised data.
#include <benchmark/benchmark.h>

#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "elex/index/hnsw.h"

namespace {

constexpr std::uint32_t kDim = 128, kN = 10000, kQ = 1000;

struct Data {
  std::vector<float> base, queries;
  std::vector<std::uint32_t> ids;
};

const Data& data() {
  static const Data d = [] {
    Data out;
    std::mt19937 rng(1);
    std::normal_distribution<float> g;
    std::vector<float> centres(100 * kDim);
    for (auto& c : centres) c = g(rng);
    auto gen = [&](std::size_t n) {
      std::vector<float> v(n * kDim);
      for (std::size_t i = 0; i < n; ++i) {
        const std::size_t c = rng() % 100;
        float norm = 0;
        for (std::uint32_t j = 0; j < kDim; ++j) {
          v[i * kDim + j] = centres[c * kDim + j] + 0.6f * g(rng);
          norm += v[i * kDim + j] * v[i * kDim + j];
        }
        for (std::uint32_t j = 0; j < kDim; ++j) v[i * kDim + j] /= std::sqrt(norm);
      }
      return v;
    };
    out.base = gen(kN);
    out.queries = gen(kQ);
    out.ids.resize(kN);
    for (std::uint32_t i = 0; i < kN; ++i) out.ids[i] = i;
    return out;
  }();
  return d;
}

struct Deleter {
  void operator()(elex::hnsw::Index* p) const { delete p; }
};

std::unique_ptr<elex::hnsw::Index, Deleter> build(unsigned threads) {
  elex::hnsw::Params p;
  p.dim = kDim;
  p.metric = elex::Metric::Cosine;
  elex::hnsw::Index* ix = nullptr;
  if (elex::hnsw::Index::create(p, &ix) != ELEX_OK) return nullptr;
  elex::ThreadPool pool(threads);
  if (ix->add(data().ids.data(), data().base.data(), kN, &pool) != ELEX_OK) return nullptr;
  return std::unique_ptr<elex::hnsw::Index, Deleter>(ix);
}

void BM_Build(benchmark::State& state) {
  for (auto _ : state) {
    auto ix = build(static_cast<unsigned>(state.range(0)));
    if (!ix) state.SkipWithError("build failed");
    benchmark::DoNotOptimize(ix.get());
  }
  state.SetItemsProcessed(state.iterations() * kN);
}

void BM_Search(benchmark::State& state) {
  static auto ix = build(2);
  const auto ef = static_cast<std::uint32_t>(state.range(0));
  std::uint32_t ids[10];
  float dist[10];
  std::size_t q = 0;
  for (auto _ : state) {
    if (ix->search(data().queries.data() + (q++ % kQ) * kDim, 1, 10, ef,
                   elex::hnsw::ExactMode::Never, ids, dist, nullptr) != ELEX_OK)
      state.SkipWithError("search failed");
    benchmark::DoNotOptimize(ids);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_ExactScan(benchmark::State& state) {
  static auto ix = build(2);
  std::uint32_t ids[10];
  float dist[10];
  std::size_t q = 0;
  for (auto _ : state) {
    if (ix->search(data().queries.data() + (q++ % kQ) * kDim, 1, 10, 10,
                   elex::hnsw::ExactMode::Always, ids, dist, nullptr) != ELEX_OK)
      state.SkipWithError("search failed");
    benchmark::DoNotOptimize(ids);
  }
}

}  // namespace

BENCHMARK(BM_Build)
    ->Name("hnsw_build_10k_x128/threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_Search)
    ->Name("hnsw_search_10k_x128/ef")
    ->Arg(16)
    ->Arg(32)
    ->Arg(64)
    ->Arg(128)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ExactScan)->Name("hnsw_exact_scan_10k_x128")->Unit(benchmark::kMicrosecond);
