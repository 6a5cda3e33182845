// Native benchmarks of learning and the memory budget (Google Benchmark):
//   qlearning: batched Q-update (SIMD vs scalar), action selection,
//              feedback with replay sampling;
//   cache:     agent insert, hit, miss (evicted, imported back), eviction
//              cost, hit rate under a Zipf workload over 593 agents with
//              budgets holding 10 / 50 / 100 % of them;
//   memory:    bytes per agent, budget enforcement under sustained inserts,
//              fragmentation (heap size / live bytes) after churn.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "../../engine/src/api/bench_fixtures.h"
#include "elex/learn/agents.h"
#include "elex/learn/learn.h"
#include "elex/learn/qupdate.h"

namespace {

using elex::learn::Agent;
using elex::learn::AgentStore;
using elex::learn::Config;
using elex::learn::Decision;
using elex::learn::State;

using elex::bench::code_of;
using elex::bench::kFeatures;
using elex::bench::state_of;

std::vector<std::string> codes() {
  std::vector<std::string> c;
  for (unsigned i = 0; i < kFeatures; ++i) c.push_back(code_of(i));
  return c;
}

template <bool Scalar>
void BM_QUpdate(benchmark::State& state) {
  const auto n = std::size_t(state.range(0));
  std::vector<float> q(n), r(n), next(n);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1, 1);
  for (std::size_t i = 0; i < n; ++i) q[i] = u(rng), r[i] = u(rng), next[i] = u(rng);
  for (auto _ : state) {
    if (Scalar)
      elex::qupdate::scalar::update(q.data(), r.data(), next.data(), n, 0.1f, 0.95f);
    else
      elex::qupdate::update(q.data(), r.data(), next.data(), n, 0.1f, 0.95f);
    benchmark::DoNotOptimize(q.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * std::int64_t(n));
}

Agent* trained_agent(unsigned states) {
  Agent* a = nullptr;
  Config c;
  if (Agent::create(c, "FAJ 121 3094", 12, &a) != ELEX_OK) std::abort();
  Decision d;
  for (std::uint32_t i = 0; i < states; ++i) {
    if (a->decide(i + 1, state_of(i), 0, &d) != ELEX_OK) std::abort();
    const std::uint64_t id = i + 1;
    const float r = float(i % 7) / 3.5f - 1.0f;
    if (a->feedback(&id, &r, 1, nullptr, nullptr) != ELEX_OK) std::abort();
  }
  return a;
}

void BM_ActionSelection(benchmark::State& state) {
  Agent* a = trained_agent(1000);
  std::uint64_t qid = 1u << 20;
  std::uint32_t i = 0;
  Decision d;
  for (auto _ : state) {
    (void)a->decide(++qid, state_of(i++ % 1000), 0, &d);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
  delete a;
}

void BM_FeedbackWithReplay(benchmark::State& state) {
  Agent* a = trained_agent(1000);  // replay buffer full; 8 replays per call
  std::uint64_t qid = 1u << 20;
  std::uint32_t i = 0;
  Decision d;
  for (auto _ : state) {
    state.PauseTiming();
    (void)a->decide(++qid, state_of(i++ % 1000), 0, &d);
    state.ResumeTiming();
    const float r = 0.5f;
    (void)a->feedback(&qid, &r, 1, nullptr, nullptr);
  }
  state.SetItemsProcessed(state.iterations());
  delete a;
}

void fill(AgentStore& s, const std::vector<std::string>& c, std::uint64_t* qid) {
  Decision d;
  for (const auto& code : c)
    for (std::uint32_t k = 0; k < 16; ++k)
      if (s.decide(code.data(), code.size(), ++*qid, state_of(k), 0, &d) != ELEX_OK) std::abort();
}

void BM_CacheHit(benchmark::State& state) {
  const auto c = codes();
  AgentStore s;
  std::uint64_t qid = 0;
  fill(s, c, &qid);
  std::mt19937 rng(2);
  Decision d;
  for (auto _ : state) {
    const auto& code = c[rng() % kFeatures];
    (void)s.decide(code.data(), code.size(), ++qid, state_of(qid % 16), 0, &d);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_CacheInsert(benchmark::State& state) {
  std::uint64_t qid = 0, n = 0;
  auto* s = new AgentStore();
  Decision d;
  for (auto _ : state) {
    const std::string code = "FAJ 9 " + std::to_string(++n);
    (void)s->decide(code.data(), code.size(), ++qid, state_of(0), 0, &d);
    if (n % 4096 == 0) {
      state.PauseTiming();
      delete s;
      s = new AgentStore();
      state.ResumeTiming();
    }
  }
  delete s;
  state.SetItemsProcessed(state.iterations());
}

// A miss: the agent was evicted; the host imports its record, then decides.
void BM_CacheMiss(benchmark::State& state) {
  AgentStore s;
  std::uint64_t qid = 0;
  Decision d;
  for (std::uint32_t k = 0; k < 1000; ++k) (void)s.decide("FAJ 1", 5, ++qid, state_of(k), 0, &d);
  std::uint8_t* rec = nullptr;
  std::size_t size = 0;
  if (s.export_agent("FAJ 1", 5, &rec, &size) != ELEX_OK) std::abort();
  for (auto _ : state) {
    state.PauseTiming();
    s.drop("FAJ 1", 5);
    state.ResumeTiming();
    (void)s.import(rec, size, nullptr);
    (void)s.decide("FAJ 1", 5, ++qid, state_of(qid % 1000), 0, &d);
  }
  std::free(rec);
  state.counters["record_bytes"] = double(size);
  state.SetItemsProcessed(state.iterations());
}

void BM_EvictionRound(benchmark::State& state) {
  const auto c = codes();
  std::uint64_t qid = 0, evicted = 0;
  for (auto _ : state) {
    state.PauseTiming();
    AgentStore s;
    fill(s, c, &qid);
    state.ResumeTiming();
    evicted += s.evict_round(0.97f) > 0 ? s.stats().evictions : 0;
    state.PauseTiming();
    std::uint8_t* rec;
    std::size_t size;
    while (s.spill_pop(&rec, &size)) std::free(rec);
    state.ResumeTiming();
  }
  state.counters["agents_per_round"] = double(evicted) / double(state.iterations());
  state.counters["ns_per_agent"] = benchmark::Counter(
      double(evicted), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// Zipf(1.0) over 593 agents, 16 states each; budget holds range(0) % of them.
void BM_ZipfHitRate(benchmark::State& state) {
  const auto c = codes();
  std::vector<double> cdf(kFeatures);
  double sum = 0;
  for (unsigned i = 0; i < kFeatures; ++i) cdf[i] = (sum += 1.0 / (i + 1));
  for (auto& x : cdf) x /= sum;
  std::size_t per_agent = 0;
  {
    AgentStore probe;
    std::uint64_t q = 0;
    fill(probe, {c[0]}, &q);
    per_agent = std::size_t(probe.stats().agent_bytes);
  }
  const auto budget = std::max<std::size_t>(
      std::size_t(1) << 16, per_agent * kFeatures * state.range(0) / 100 + per_agent);
  std::uint64_t hits = 0, misses = 0, ops = 0;
  std::vector<std::vector<std::uint8_t>> cold(kFeatures);
  AgentStore s(budget);
  std::mt19937 rng(4);
  std::uniform_real_distribution<double> u(0, 1);
  std::uint64_t qid = 0;
  Decision d;
  for (auto _ : state) {
    const unsigned f = unsigned(std::lower_bound(cdf.begin(), cdf.end(), u(rng)) - cdf.begin());
    const auto& code = c[std::min(f, kFeatures - 1)];
    if (s.find(code.data(), code.size()) != nullptr) {
      ++hits;
    } else {
      ++misses;
      auto& r = cold[f];
      if (!r.empty()) {
        (void)s.import(r.data(), r.size(), nullptr);
        r.clear();
      }
    }
    (void)s.decide(code.data(), code.size(), ++qid, state_of(qid % 16), 0, &d);
    std::uint8_t* rec;
    std::size_t size;
    while (s.spill_pop(&rec, &size)) {
      const std::uint8_t* cp;
      std::size_t len;
      (void)Agent::peek(rec, size, nullptr, &cp, &len, nullptr);
      const unsigned k =
          unsigned(std::stoul(std::string(reinterpret_cast<const char*>(cp) + 8, len - 8))) - 3000;
      cold[k].assign(rec, rec + size);
      std::free(rec);
    }
    ++ops;
    if (s.used() > budget) state.SkipWithError("over budget");
  }
  state.counters["hit_rate"] = double(hits) / double(ops);
  state.counters["evictions"] = double(s.stats().evictions);
  state.counters["budget_MB"] = double(budget) / 1e6;
  state.SetItemsProcessed(state.iterations());
}

void BM_BytesPerAgent(benchmark::State& state) {
  const auto states = unsigned(state.range(0));
  std::size_t bytes = 0, record = 0;
  for (auto _ : state) {
    Agent* a = trained_agent(states);
    bytes = a->bytes();
    std::uint8_t* rec;
    if (a->serialize(&rec, &record) != ELEX_OK) std::abort();
    std::free(rec);
    delete a;
  }
  state.counters["live_bytes"] = double(bytes);
  state.counters["record_bytes"] = double(record);
}

// Sustained inserts of new states and agents into a 16 MB budget.
void BM_BudgetEnforcement(benchmark::State& state) {
  const std::size_t budget = std::size_t(16) << 20;
  AgentStore s(budget);
  std::uint64_t qid = 0, over = 0;
  Decision d;
  for (auto _ : state) {
    const std::string code = "FAJ 5 " + std::to_string(qid % 5000);
    (void)s.decide(code.data(), code.size(), ++qid, state_of(std::uint32_t(qid * 2654435761u)), 0,
                   &d);
    std::uint8_t* rec;
    std::size_t size;
    while (s.spill_pop(&rec, &size)) std::free(rec);
    if (s.used() > budget) ++over;
  }
  state.counters["over_budget"] = double(over);
  state.counters["used_MB"] = double(s.used()) / 1e6;
  state.counters["evictions"] = double(s.stats().evictions);
  state.SetItemsProcessed(state.iterations());
}

void BM_Fragmentation(benchmark::State& state) {
  const auto c = codes();
  double ratio = 0, live = 0, heap = 0;
  for (auto _ : state) {
    AgentStore s(std::size_t(8) << 20);
    std::uint64_t qid = 0;
    Decision d;
    std::mt19937 rng(8);
    for (unsigned i = 0; i < 50000; ++i) {
      const auto& code = c[rng() % kFeatures];
      (void)s.decide(code.data(), code.size(), ++qid, state_of(rng() % 4096), 0, &d);
      std::uint8_t* rec;
      std::size_t size;
      while (s.spill_pop(&rec, &size)) std::free(rec);
    }
    const auto st = s.stats();
    live = st.live_heap;
    heap = st.heap_size;
    ratio = live > 0 ? heap / live : 0;
  }
  state.counters["heap_over_live"] = ratio;
  state.counters["live_MB"] = live / 1e6;
  state.counters["heap_MB"] = heap / 1e6;
}

}  // namespace

BENCHMARK(BM_QUpdate<false>)
    ->Name("qlearning/update/simd")
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->Arg(10000);
BENCHMARK(BM_QUpdate<true>)
    ->Name("qlearning/update/scalar")
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->Arg(10000);
BENCHMARK(BM_ActionSelection)->Name("qlearning/select");
BENCHMARK(BM_FeedbackWithReplay)->Name("qlearning/feedback_replay8");
BENCHMARK(BM_CacheInsert)->Name("cache/insert");
BENCHMARK(BM_CacheHit)->Name("cache/hit");
BENCHMARK(BM_CacheMiss)->Name("cache/miss_import");
BENCHMARK(BM_EvictionRound)->Name("cache/evict_round")->Iterations(20);
BENCHMARK(BM_ZipfHitRate)
    ->Name("cache/zipf_budget_pct")
    ->Arg(10)
    ->Arg(50)
    ->Arg(100)
    ->Iterations(100000);
BENCHMARK(BM_BytesPerAgent)
    ->Name("memory/agent_states")
    ->Arg(0)
    ->Arg(100)
    ->Arg(1000)
    ->Iterations(3);
BENCHMARK(BM_BudgetEnforcement)->Name("memory/budget_16MB_inserts")->Iterations(200000);
BENCHMARK(BM_Fragmentation)->Name("memory/fragmentation_churn")->Iterations(1);
