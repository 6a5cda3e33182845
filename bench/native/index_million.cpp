// The index at scale, natively (issue 17 §4): n x 128 clustered vectors (the
// data of bench/browser/index-bench-worker.ts clusteredStream: the same
// generator and seeds), added 50,000 at a time with 2 threads into room
// reserved up front, then recall@10 against an f32 brute force and the
// latency of single queries, per ef and re-rank pool.
//
//   elex_bench_million [n] [quantization...]   e.g. 1000000 int8 int8+res4
//   quantization: none, int8, int8+f32, int8+res4 (default int8 int8+res4)
//   ELEX_EFS="64,128,256" and ELEX_RERANKS="0,32,64" (0 = the default pool)
//   change the sweep.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "elex/core/parallel.h"
#include "elex/index/hnsw.h"
#include "elex/kernels/kernels.h"

namespace {

using elex::hnsw::Index;
using elex::hnsw::Quantization;
using Clock = std::chrono::steady_clock;

constexpr std::uint32_t kDim = 128, kQueries = 200, kK = 10, kChunk = 50000;

/// mulberry32 and the Box-Muller gauss of the browser bench, in doubles as JS computes them.
struct Mulberry32 {
  std::uint32_t a;
  double operator()() {
    a += 0x6D2B79F5u;
    std::uint32_t t = a;
    t = (t ^ (t >> 15)) * (t | 1u);
    t ^= t + (t ^ (t >> 7)) * (t | 61u);
    return double(t ^ (t >> 14)) / 4294967296.0;
  }
};
struct Gauss {
  Mulberry32* r;
  double operator()() const {
    const double u = (*r)() + 1e-12;
    return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * M_PI * (*r)());
  }
};

/// clusteredStream(dim, seed): 100 centres from seed 12345, then points.
struct Stream {
  std::vector<float> centres;
  Mulberry32 r;
  explicit Stream(std::uint32_t seed) : centres(100 * kDim), r{seed} {
    Mulberry32 r0{12345};
    Gauss g0{&r0};
    for (auto& c : centres) c = float(g0());
  }
  std::vector<float> next(std::size_t count) {
    std::vector<float> out(count * kDim);
    Gauss g{&r};
    for (std::size_t i = 0; i < count; ++i) {
      const auto c = std::size_t(std::floor(r() * 100));
      for (std::uint32_t j = 0; j < kDim; ++j)
        out[i * kDim + j] = float(double(centres[c * kDim + j]) + 0.6 * g());
    }
    for (std::size_t i = 0; i < count; ++i) {
      double s = 0;
      for (std::uint32_t j = 0; j < kDim; ++j) s += double(out[i * kDim + j]) * out[i * kDim + j];
      const double inv = 1.0 / std::sqrt(s);
      for (std::uint32_t j = 0; j < kDim; ++j) out[i * kDim + j] = float(out[i * kDim + j] * inv);
    }
    return out;
  }
};

std::vector<std::uint32_t> list(const char* env, std::vector<std::uint32_t> fallback) {
  const char* s = std::getenv(env);
  if (s == nullptr) return fallback;
  std::vector<std::uint32_t> out;
  for (const char* p = s; *p;) {
    out.push_back(std::uint32_t(std::strtoul(p, const_cast<char**>(&p), 10)));
    if (*p == ',') ++p;
  }
  return out;
}

bool parse(const std::string& s, Quantization* q) {
  if (s == "none")
    *q = Quantization::None;
  else if (s == "int8")
    *q = Quantization::Int8;
  else if (s == "int8+f32")
    *q = Quantization::Int8F32;
  else if (s == "int8+res4")
    *q = Quantization::Int8Res4;
  else
    return false;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100000;
  std::vector<std::string> modes;
  for (int i = 2; i < argc; ++i) modes.emplace_back(argv[i]);
  if (modes.empty()) modes = {"int8", "int8+res4"};
  const auto efs = list("ELEX_EFS", {32, 64, 96, 128, 192, 256, 384, 512});
  const auto reranks = list("ELEX_RERANKS", {0, 32, 64});

  // The base, generated once (n x 128 floats: 512 MB at 1M), and the truth.
  std::fprintf(stderr, "data: %zu x %u clustered\n", n, kDim);
  Stream stream(1);
  std::vector<float> base = stream.next(n);
  Stream qs(2);
  const std::vector<float> queries = qs.next(kQueries);
  std::vector<std::uint32_t> truth(kQueries * kK);
  {
    const auto t0 = Clock::now();
    elex::ThreadPool pool(2);
    pool.parallel_for(kQueries, 1, [&](std::size_t b, std::size_t e, unsigned) {
      std::vector<std::pair<float, std::uint32_t>> best;
      for (std::size_t q = b; q < e; ++q) {
        best.clear();
        for (std::size_t i = 0; i < n; ++i) {
          const float d = -elex::kernels::dot(&queries[q * kDim], &base[i * kDim], kDim);
          if (best.size() < kK) {
            best.emplace_back(d, std::uint32_t(i));
            std::push_heap(best.begin(), best.end());
          } else if (d < best.front().first) {
            std::pop_heap(best.begin(), best.end());
            best.back() = {d, std::uint32_t(i)};
            std::push_heap(best.begin(), best.end());
          }
        }
        for (std::size_t j = 0; j < kK; ++j) truth[q * kK + j] = best[j].second;
      }
    });
    std::fprintf(stderr, "truth: %.1f s\n",
                 std::chrono::duration<double>(Clock::now() - t0).count());
  }

  for (const std::string& mode : modes) {
    elex::hnsw::Params p;
    p.dim = kDim;
    p.metric = elex::Metric::Cosine;
    if (!parse(mode, &p.quantization)) {
      std::fprintf(stderr, "unknown quantization %s\n", mode.c_str());
      return 2;
    }
    Index* raw = nullptr;
    if (Index::create(p, &raw) != ELEX_OK) return 1;
    std::unique_ptr<Index> ix(raw);
    if (ix->reserve_items(n) != ELEX_OK) {
      std::fprintf(stderr, "reserve failed: %s\n", elex::last_error_message());
      return 1;
    }
    elex::ThreadPool pool(2);
    std::vector<std::uint32_t> ids(kChunk);
    const auto t0 = Clock::now();
    for (std::size_t at = 0; at < n; at += kChunk) {
      const std::size_t count = std::min<std::size_t>(kChunk, n - at);
      for (std::size_t i = 0; i < count; ++i) ids[i] = std::uint32_t(at + i);
      if (ix->add(ids.data(), &base[at * kDim], count, &pool) != ELEX_OK) {
        std::fprintf(stderr, "add failed: %s\n", elex::last_error_message());
        return 1;
      }
    }
    const double build_s = std::chrono::duration<double>(Clock::now() - t0).count();
    const auto st = ix->stats();
    std::printf(
        "\n%s: %zu x %u, build %.1f s (%.0f vectors/s, 2 threads), %.1f B/vector, %.1f MiB\n",
        mode.c_str(), n, kDim, build_s, n / build_s, double(st.bytes) / n,
        double(st.bytes) / (1 << 20));
    std::printf("%6s %7s %7s %8s %8s\n", "ef", "rerank", "recall", "p50 us", "p95 us");
    std::uint32_t got[kK];
    float dist[kK];
    std::vector<double> lat(kQueries);
    for (std::uint32_t ef : efs) {
      for (std::uint32_t rr : reranks) {
        if (p.quantization == Quantization::None && rr != reranks.front()) continue;
        std::size_t hit = 0;
        for (int pass = 0; pass < 2; ++pass) {  // the first pass warms the caches
          hit = 0;
          for (std::uint32_t q = 0; q < kQueries; ++q) {
            const auto a = Clock::now();
            if (ix->search(&queries[q * kDim], 1, kK, ef, elex::hnsw::ExactMode::Never, got, dist,
                           nullptr, rr) != ELEX_OK)
              return 1;
            lat[q] = std::chrono::duration<double, std::micro>(Clock::now() - a).count();
            for (std::uint32_t i = 0; i < kK; ++i)
              hit += std::count(&truth[q * kK], &truth[q * kK] + kK, got[i]);
          }
        }
        std::sort(lat.begin(), lat.end());
        std::printf("%6u %7u %7.3f %8.0f %8.0f\n", ef, rr, double(hit) / (kQueries * kK),
                    lat[kQueries / 2], lat[kQueries * 95 / 100]);
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
