// Native reference benchmarks (x86 SSE2 vs scalar twin): distance kernels
// and the threaded batch. The wasm figures come from the browser harness.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "elex/batch.h"
#include "elex/kernels.h"
#include "elex/monitor.h"

#include "../../engine/src/bench_fixtures.h"

namespace {

std::vector<float> data(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d;
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

template <elex::Metric M, bool Scalar>
void BM_Distance(benchmark::State& state) {
  const std::size_t dim = static_cast<std::size_t>(state.range(0));
  const auto a = data(dim, 1), b = data(dim, 2);
  const auto fn = Scalar ? elex::kernels::scalar_distance_fn(M) : elex::kernels::distance_fn(M);
  for (auto _ : state) {
    benchmark::DoNotOptimize(fn(a.data(), b.data(), dim));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Batch(benchmark::State& state) {
  const unsigned threads = static_cast<unsigned>(state.range(0));
  const std::uint32_t nq = 64, nv = 4096, dim = 128;
  const auto q = data(std::size_t(nq) * dim, 3), v = data(std::size_t(nv) * dim, 4);
  std::vector<float> out(std::size_t(nq) * nv);
  elex::ThreadPool pool(threads);
  for (auto _ : state) {
    elex::batch::DistanceJob job{elex::Metric::Cosine, q.data(), nq, v.data(), nv, dim, out.data()};
    unsigned used = 0;
    if (elex::batch::distances(pool, job, &used) != ELEX_OK) state.SkipWithError("batch failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * std::int64_t(nq) * nv);
}

/// The browser bench's monitor batch (bench_fixtures.h).
void BM_Monitor(benchmark::State& state) {
  elex::bench::MonitorBatch batch(std::uint32_t(state.range(0)));
  elex::ThreadPool pool(unsigned(state.range(1)));
  for (auto _ : state) {
    if (batch.run(&pool) != ELEX_OK) state.SkipWithError("evaluate failed");
    benchmark::DoNotOptimize(batch.anomalies.data());
  }
  state.SetItemsProcessed(state.iterations() * std::int64_t(batch.cells) * batch.kKpis *
                          batch.kPeriods);
}

/// Counter statistics alone over the same batch (one call, all rows).
void BM_RowStats(benchmark::State& state) {
  const std::size_t rows = std::size_t(state.range(0)) * 200, P = 96;
  std::vector<float> in(rows * P), out(rows * 5);
  std::uint32_t s = 12345;
  for (auto& x : in) x = 50.0f + float((s = s * 1664525u + 1013904223u) >> 20);
  for (auto _ : state) {
    elex::monitor::row_stats(rows, P, in.data(), out.data(), nullptr);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * std::int64_t(rows * P));
}

}  // namespace

BENCHMARK(BM_RowStats)->Name("row_stats_x200x96/cells")->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Monitor)
    ->Name("monitor_x200x96_116kpis/cells/threads")
    ->Args({1000, 1})
    ->Args({1000, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Distance<elex::Metric::InnerProduct, true>)->Name("dot/scalar")->Arg(128)->Arg(768);
BENCHMARK(BM_Distance<elex::Metric::InnerProduct, false>)->Name("dot/simd")->Arg(128)->Arg(768);
BENCHMARK(BM_Distance<elex::Metric::L2, true>)->Name("l2/scalar")->Arg(128)->Arg(768);
BENCHMARK(BM_Distance<elex::Metric::L2, false>)->Name("l2/simd")->Arg(128)->Arg(768);
BENCHMARK(BM_Distance<elex::Metric::Cosine, true>)->Name("cosine/scalar")->Arg(128)->Arg(768);
BENCHMARK(BM_Distance<elex::Metric::Cosine, false>)->Name("cosine/simd")->Arg(128)->Arg(768);
BENCHMARK(BM_Batch)->Name("batch_cosine_64x4096x128/threads")->Arg(1)->Arg(2)->UseRealTime();
