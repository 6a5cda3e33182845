// Native reference benchmarks (x86 SSE2 vs scalar twin): distance kernels
// and the threaded batch. The wasm figures come from the browser harness.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "elex/batch.h"
#include "elex/kernels.h"

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

}  // namespace

BENCHMARK(BM_Distance<elex::Metric::InnerProduct, true>)->Name("dot/scalar")->Arg(128)->Arg(768);
BENCHMARK(BM_Distance<elex::Metric::InnerProduct, false>)->Name("dot/simd")->Arg(128)->Arg(768);
BENCHMARK(BM_Distance<elex::Metric::L2, true>)->Name("l2/scalar")->Arg(128)->Arg(768);
BENCHMARK(BM_Distance<elex::Metric::L2, false>)->Name("l2/simd")->Arg(128)->Arg(768);
BENCHMARK(BM_Distance<elex::Metric::Cosine, true>)->Name("cosine/scalar")->Arg(128)->Arg(768);
BENCHMARK(BM_Distance<elex::Metric::Cosine, false>)->Name("cosine/simd")->Arg(128)->Arg(768);
BENCHMARK(BM_Batch)->Name("batch_cosine_64x4096x128/threads")->Arg(1)->Arg(2)->UseRealTime();
