// Benchmark-only exports (elex.h, "kernel benches"): seeded inputs prepared
// once, then a kernel run `reps` times inside wasm.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <random>
#include <vector>

#include "elex/elex.h"
#include "elex/kernels/aggregate.h"
#include "elex/kernels/kernels.h"
#include "elex/kernels/quant.h"
#include "elex/learn/qupdate.h"
#include "elex/ran/validate.h"

#include "bench_fixtures.h"
#include "export.h"

namespace {

constexpr int kKernels = 8;
constexpr std::uint32_t kAggCols = 16, kAggStride = 20;

struct Inputs {
  int kernel = -1;
  std::uint32_t n = 0;
  float* f[8] = {};         // float arrays
  std::int8_t* i8[2] = {};  // int8 arrays
  std::uint32_t* masks = nullptr;
  elex::aggregate::ColumnStats stats[kAggCols];
};
Inputs g_in;
elex::bench::MonitorBatch* g_monitor = nullptr;
std::unique_ptr<elex::bench::KernelBatch> g_batch;

void release() {
  delete g_monitor;
  g_monitor = nullptr;
  for (auto*& p : g_in.f) std::free(p), p = nullptr;
  for (auto*& p : g_in.i8) std::free(p), p = nullptr;
  std::free(g_in.masks);
  g_in.masks = nullptr;
  g_in.kernel = -1;
}

}  // namespace

extern "C" {

ELEX_EXPORT int elex_bench_prepare(int kernel, uint32_t n, uint32_t seed) {
  elex::clear_last_error();
  release();
  if (kernel < 0 || kernel >= kKernels || n == 0 || n > (1u << 22))
    return elex::fail(ELEX_E_INVALID_ARGUMENT, "bench kernel %d or size %u out of range", kernel,
                      n);
  if (kernel == 7) {  // the monitor batch of n cells (seeded by its own fixture)
    if (n > 4096) return elex::fail(ELEX_E_INVALID_ARGUMENT, "at most 4096 monitor cells");
    g_monitor = new (std::nothrow) elex::bench::MonitorBatch(n);
    if (g_monitor == nullptr) return elex::fail(ELEX_E_OUT_OF_MEMORY, "bench inputs");
    g_in.kernel = kernel;
    g_in.n = n;
    return ELEX_OK;
  }
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  const std::size_t floats = kernel == 6 ? std::size_t(n) * kAggStride : n;
  for (int a = 0; a < 8; ++a) {
    g_in.f[a] = static_cast<float*>(std::malloc(floats * sizeof(float)));
    if (g_in.f[a] == nullptr) return release(), elex::fail(ELEX_E_OUT_OF_MEMORY, "bench inputs");
    for (std::size_t i = 0; i < floats; ++i) g_in.f[a][i] = d(rng);
  }
  if (kernel == 5) {  // bounds around the current values
    for (std::uint32_t i = 0; i < n; ++i) {
      const float c = g_in.f[0][i] * 50.0f;
      g_in.f[0][i] = c;
      g_in.f[1][i] = c + g_in.f[1][i] * 10.0f;
      g_in.f[2][i] = -60.0f, g_in.f[3][i] = 60.0f;
      g_in.f[4][i] = -45.0f, g_in.f[5][i] = 45.0f;
      g_in.f[6][i] = 0.2f;
    }
  }
  for (auto*& p : g_in.i8) {
    p = static_cast<std::int8_t*>(std::malloc(n));
    if (p == nullptr) return release(), elex::fail(ELEX_E_OUT_OF_MEMORY, "bench inputs");
    for (std::uint32_t i = 0; i < n; ++i) p[i] = static_cast<std::int8_t>(d(rng) * 127.0f);
  }
  g_in.masks = static_cast<std::uint32_t*>(std::malloc(std::size_t(n) * 4));
  if (g_in.masks == nullptr) return release(), elex::fail(ELEX_E_OUT_OF_MEMORY, "bench inputs");
  g_in.kernel = kernel;
  g_in.n = n;
  return ELEX_OK;
}

ELEX_EXPORT int elex_bench_run(int kernel, int twin, uint32_t reps, double* checksum) {
  elex::clear_last_error();
  if (kernel != g_in.kernel || checksum == nullptr)
    return elex::fail(ELEX_E_INVALID_ARGUMENT, "call elex_bench_prepare(%d, ...) first", kernel);
  const bool scalar = twin != 0;
  const std::uint32_t n = g_in.n;
  float** f = g_in.f;
  double acc = 0;
  using namespace elex;
  for (std::uint32_t r = 0; r < reps; ++r) {
    switch (kernel) {
      case 0:
      case 1:
      case 2: {
        const Metric m = kernel == 0   ? Metric::InnerProduct
                         : kernel == 1 ? Metric::Cosine
                                       : Metric::L2;
        const auto fn = scalar ? kernels::scalar_distance_fn(m) : kernels::distance_fn(m);
        acc += fn(f[0], f[1 + (r & 3)], n);
        break;
      }
      case 3:
        acc += scalar ? quant::scalar::dot_i8(g_in.i8[0], g_in.i8[1], n)
                      : quant::dot_i8(g_in.i8[0], g_in.i8[1], n);
        break;
      case 4:
        if (scalar)
          qupdate::scalar::update(f[0], f[1], f[2], n, 0.1f, 0.95f);
        else
          qupdate::update(f[0], f[1], f[2], n, 0.1f, 0.95f);
        acc += f[0][r % n];
        break;
      case 5: {
        const validate::Input in{f[0], f[1], f[2], f[3], f[4], f[5], f[6]};
        const auto c =
            scalar ? validate::scalar::run(in, n, g_in.masks) : validate::run(in, n, g_in.masks);
        acc += c.flagged + g_in.masks[r % n];
        break;
      }
      case 6: {
        const aggregate::Input in{f[0], n, kAggCols, kAggStride, f[1], f[2]};
        if (scalar)
          aggregate::scalar::run(in, g_in.stats);
        else
          aggregate::run(in, g_in.stats);
        acc += g_in.stats[r % kAggCols].sum;
        break;
      }
      case 7: {  // one thread; twin 1: every KPI through the reference path
        if (Status st = g_monitor->run(nullptr, scalar); st != ELEX_OK) return st;
        acc += g_monitor->max_z[r % g_monitor->max_z.size()];
        break;
      }
      default:
        return elex::fail(ELEX_E_INVALID_ARGUMENT, "unknown bench kernel %d", kernel);
    }
  }
  *checksum = acc;
  return ELEX_OK;
}

ELEX_EXPORT int elex_bench_batch(int kernel, int twin, uint32_t dim, uint32_t count, uint32_t reps,
                                 double* out) {
  using elex::bench::KernelBatch;
  elex::clear_last_error();
  if (kernel < 0 || kernel >= KernelBatch::kKernels || dim == 0 || count == 0 || reps == 0 ||
      reps > 10000 || out == nullptr)
    return elex::fail(ELEX_E_INVALID_ARGUMENT, "bench batch: kernel %d, dim %u, count %u, reps %u",
                      kernel, dim, count, reps);
  if (std::uint64_t(dim) * count > (1u << 24))
    return elex::fail(ELEX_E_INVALID_ARGUMENT, "bench batch: dim x count above 2^24");
  if (!g_batch || g_batch->kernel != kernel || g_batch->dim != dim || g_batch->count != count) {
    g_batch.reset();
    g_batch.reset(new (std::nothrow) KernelBatch(kernel, dim, count, 42));
    if (!g_batch) return elex::fail(ELEX_E_OUT_OF_MEMORY, "bench batch inputs");
  }
  const bool scalar = twin != 0;
  KernelBatch& batch = *g_batch;
  double check = batch.run(scalar);  // warm: caches, and the first call's page faults
  // One sample = `inner` passes, at least 2 ms: a browser's clock ticks in 5 µs or coarser
  // steps, and a fast kernel's pass over 10K items takes a few µs.
  auto time = [&](std::uint32_t inner) {
    const auto t0 = std::chrono::steady_clock::now();
    for (std::uint32_t i = 0; i < inner; ++i) check += batch.run(scalar);
    return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
  };
  std::uint32_t inner = 1;
  while (inner < (1u << 16) && time(inner) < 2e6) inner *= 2;
  std::vector<double> ns(reps);
  for (auto& t : ns) t = time(inner) / inner;
  std::sort(ns.begin(), ns.end());
  out[0] = reps % 2 ? ns[reps / 2] : (ns[reps / 2 - 1] + ns[reps / 2]) / 2;
  out[1] = ns[0];
  out[2] = check;
  return ELEX_OK;
}

}  // extern "C"
