// Native reference benchmarks (x86 SSE2 vs scalar twin): distance kernels
// and the threaded batch. The wasm figures come from the browser harness.
#include <benchmark/benchmark.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "elex/kernels/batch.h"
#include "elex/kernels/kernels.h"
#include "elex/ran/monitor.h"
#include "elex/ran/validator.h"

#include "../../engine/src/api/bench_fixtures.h"

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

/// A kernel over a 10K batch in one timed pass (bench_fixtures.h KernelBatch,
/// the same seeded data as the browser's bench:index kernel table).
template <int Kernel, bool Scalar>
void BM_KernelBatch(benchmark::State& state) {
  elex::bench::KernelBatch batch(Kernel, 128, std::uint32_t(state.range(0)), 42);
  for (auto _ : state) benchmark::DoNotOptimize(batch.run(Scalar));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

/// The browser bench's monitor batch (bench_fixtures.h).
// validator.h over n changes of a 9,432-parameter table (the default
// catalog's size), 500 cells; arg 1 = record accepted changes.
void BM_Validator(benchmark::State& state) {
  namespace v = elex::validate;
  const std::uint32_t count = 9432;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(0, 100);
  std::vector<std::uint8_t> kinds(count);
  std::vector<double> bounds(5 * std::size_t(count));
  std::vector<double> cool(count);
  for (std::uint32_t p = 0; p < count; ++p) {
    kinds[p] = p % 3 ? v::kNumber : v::kInt;
    const float lo = u(rng), hi = lo + 50;
    const double col[5] = {lo, hi, lo + 5.0, hi - 5.0, 10};
    for (unsigned c = 0; c < 5; ++c) bounds[c * count + p] = col[c];
    cool[p] = p % 2 ? 60'000 : std::numeric_limits<double>::quiet_NaN();
  }
  v::Validator val;
  if (val.init(count, kinds.data(), bounds.data(), cool.data()) != ELEX_OK)
    state.SkipWithError("init");
  const std::size_t n = 10'000;
  std::vector<std::int32_t> params(n), cells(n);
  std::vector<double> cur(n), pro(n), at(n);
  for (std::size_t i = 0; i < n; ++i) {
    params[i] = std::int32_t((i * 7919) % count);
    cur[i] = std::round(u(rng));
    pro[i] = cur[i] + double((int(i % 7) - 3) * 5);
    at[i] = 1e12 + double(i);
    cells[i] = std::int32_t(i % 500);
  }
  std::vector<std::uint16_t> reasons(n);
  std::vector<std::uint8_t> verdicts(n);
  const std::uint32_t flags = state.range(0) ? v::kRecord : 0;
  for (auto _ : state) {
    for (auto& x : at) x += 1e6;  // past every cooldown: the same work each round
    const v::Changes c{params.data(), cur.data(), pro.data(), at.data(), 0, cells.data(), n};
    if (val.run(c, flags, reasons.data(), verdicts.data(), nullptr) != ELEX_OK)
      state.SkipWithError("run");
    benchmark::DoNotOptimize(verdicts.data());
  }
  state.SetItemsProcessed(state.iterations() * std::int64_t(n));
}

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

BENCHMARK(BM_Validator)
    ->Name("validator_10k/record")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMicrosecond);
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
// Kernels measured as kernels: one pass over 10K items (vectors of 128 for
// dot, cosine, l2, int8 dot); bench/browser/index.mjs prints these beside
// the wasm ratios.
#define ELEX_KERNEL_BATCH(k, name)       \
  BENCHMARK(BM_KernelBatch<k, true>)     \
      ->Name("batch10k/" name "/scalar") \
      ->Arg(10000)                       \
      ->Unit(benchmark::kMicrosecond);   \
  BENCHMARK(BM_KernelBatch<k, false>)    \
      ->Name("batch10k/" name "/simd")   \
      ->Arg(10000)                       \
      ->Unit(benchmark::kMicrosecond)
ELEX_KERNEL_BATCH(0, "dot");
ELEX_KERNEL_BATCH(1, "cosine");
ELEX_KERNEL_BATCH(2, "l2");
ELEX_KERNEL_BATCH(3, "int8 dot");
ELEX_KERNEL_BATCH(4, "Q-update");
ELEX_KERNEL_BATCH(5, "validation");
ELEX_KERNEL_BATCH(6, "aggregation");
ELEX_KERNEL_BATCH(7, "dot (single)");
ELEX_KERNEL_BATCH(8, "l2 (single)");
#undef ELEX_KERNEL_BATCH
BENCHMARK(BM_Batch)->Name("batch_cosine_64x4096x128/threads")->Arg(1)->Arg(2)->UseRealTime();
