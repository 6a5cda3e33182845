// Benchmark-only exports for learning and the memory budget (elex.h):
// seeded agents and stores prepared once, then an operation run `reps`
// times inside wasm so that a JS timer measures the operation, not the call.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "bench_fixtures.h"
#include "elex/elex.h"
#include "elex/learn/agents.h"
#include "elex/learn/learn.h"
#include "engine_impl.h"
#include "export.h"

namespace {

using elex::learn::Agent;
using elex::learn::AgentStore;
using elex::learn::Config;
using elex::learn::Decision;
using elex::learn::State;

using elex::bench::code_of;
using elex::bench::kFeatures;
using elex::bench::state_of;

struct Bench {
  int op = -1;
  std::uint32_t n = 0;
  Agent* agent = nullptr;
  AgentStore* store = nullptr;
  std::vector<std::uint8_t> record;
  std::vector<std::vector<std::uint8_t>> cold;
  std::vector<double> zipf;
  std::uint64_t qid = 0, hits = 0, misses = 0, over = 0, inserts = 0;
  std::mt19937 rng{1};
};
Bench g;

void reset() {
  delete g.agent;
  delete g.store;
  g = Bench{};
}

elex::Status train(Agent* a, std::uint32_t states, std::uint64_t* qid) {
  Decision d;
  for (std::uint32_t i = 0; i < states; ++i) {
    if (elex::Status s = a->decide(++*qid, state_of(i), 0, &d); s != ELEX_OK) return s;
    const float r = float(i % 7) / 3.5f - 1.0f;
    if (elex::Status s = a->feedback(qid, &r, 1, nullptr, nullptr); s != ELEX_OK) return s;
  }
  return ELEX_OK;
}

void fill(AgentStore* s, std::uint64_t* qid) {
  Decision d;
  for (unsigned i = 0; i < kFeatures; ++i) {
    const std::string c = code_of(i);
    for (std::uint32_t k = 0; k < 16; ++k)
      (void)s->decide(c.data(), c.size(), ++*qid, state_of(k), 0, &d);
  }
}

void drain_to_cold() {
  std::uint8_t* rec;
  std::size_t size;
  while (g.store->spill_pop(&rec, &size)) {
    const std::uint8_t* cp;
    std::size_t len;
    if (Agent::peek(rec, size, nullptr, &cp, &len, nullptr) == ELEX_OK && len > 8) {
      const unsigned k = unsigned(std::strtoul(reinterpret_cast<const char*>(cp) + 8, nullptr, 10));
      if (k >= 3000 && k - 3000 < g.cold.size()) g.cold[k - 3000].assign(rec, rec + size);
    }
    std::free(rec);
  }
}

std::size_t agent_bytes_16() {
  AgentStore probe;
  std::uint64_t q = 0;
  Decision d;
  for (std::uint32_t k = 0; k < 16; ++k)
    (void)probe.decide("FAJ 121 3000", 12, ++q, state_of(k), 0, &d);
  return std::size_t(probe.stats().agent_bytes);
}

}  // namespace

extern "C" {

// op: 0 action selection (agent of n states), 1 decide + feedback with replay
// (agent of n states), 2 cache hit (593 agents), 3 cache insert (new
// agent), 4 cache miss (drop, import an n-state record, decide), 5 fill 593
// agents then an eviction round at pressure 0.97, 6 the fill alone, 7 Zipf
// workload over 593 agents with a budget holding n % of them (host reloads
// evicted agents), 8 sustained inserts of new states into a 16 MB budget.
ELEX_EXPORT int elex_bench_learn_prepare(int op, uint32_t n) {
  elex::clear_last_error();
  reset();
  if (op < 0 || op > 8 || n > (1u << 20))
    return elex::fail(ELEX_E_INVALID_ARGUMENT, "bench op %d or size %u out of range", op, n);
  g.op = op;
  g.n = n;
  if (op == 0 || op == 1 || op == 4) {
    if (elex::Status s = Agent::create(Config{}, "FAJ 121 3094", 12, &g.agent); s != ELEX_OK)
      return s;
    if (elex::Status s = train(g.agent, std::max<std::uint32_t>(n, 1), &g.qid); s != ELEX_OK)
      return s;
    if (op == 4) {
      std::uint8_t* rec;
      std::size_t size;
      if (elex::Status s = g.agent->serialize(&rec, &size); s != ELEX_OK) return s;
      g.record.assign(rec, rec + size);
      std::free(rec);
      g.store = new AgentStore();
    }
  } else if (op == 2 || op == 3) {
    g.store = new AgentStore();
    if (op == 2) fill(g.store, &g.qid);
  } else if (op == 7) {
    double sum = 0;
    for (unsigned i = 0; i < kFeatures; ++i) g.zipf.push_back(sum += 1.0 / (i + 1));
    for (auto& x : g.zipf) x /= sum;
    const std::size_t per = agent_bytes_16();
    g.store = new AgentStore(
        std::max<std::size_t>(std::size_t(1) << 16, per * kFeatures * n / 100 + per));
    g.cold.resize(kFeatures);
  } else if (op == 8) {
    g.store = new AgentStore(std::size_t(16) << 20);
  }
  return ELEX_OK;
}

/// out = {checksum, a, b, c}: for op 7 a = hit rate, b = evictions, c =
/// budget bytes; for op 8 a = calls that ended over budget, b = used bytes,
/// c = evictions; for op 5 a = agents evicted; for op 4 a = record bytes.
ELEX_EXPORT int elex_bench_learn_run(int op, uint32_t reps, double* out) {
  elex::clear_last_error();
  if (op != g.op || out == nullptr)
    return elex::fail(ELEX_E_INVALID_ARGUMENT, "call elex_bench_learn_prepare(%d, ...) first", op);
  double acc = 0, a = 0, b = 0, c = 0;
  Decision d;
  std::uniform_real_distribution<double> u(0, 1);
  for (std::uint32_t r = 0; r < reps; ++r) {
    switch (op) {
      case 0:
        (void)g.agent->decide(++g.qid, state_of(r % std::max<std::uint32_t>(g.n, 1)), 0, &d);
        acc += double(d.action);
        break;
      case 1: {
        (void)g.agent->decide(++g.qid, state_of(r % std::max<std::uint32_t>(g.n, 1)), 0, &d);
        const float rw = (r & 1) ? 0.5f : -0.25f;
        (void)g.agent->feedback(&g.qid, &rw, 1, nullptr, nullptr);
        acc += double(d.action);
        break;
      }
      case 2: {
        const std::string code = code_of(g.rng() % kFeatures);
        (void)g.store->decide(code.data(), code.size(), ++g.qid, state_of(r % 16), 0, &d);
        acc += double(d.action);
        break;
      }
      case 3: {
        if (++g.inserts % 4096 == 0) {
          delete g.store;
          g.store = new AgentStore();
        }
        const std::string code = "FAJ 9 " + std::to_string(g.inserts);
        (void)g.store->decide(code.data(), code.size(), ++g.qid, state_of(0), 0, &d);
        acc += double(d.action);
        break;
      }
      case 4:
        g.store->drop("FAJ 121 3094", 12);
        (void)g.store->import(g.record.data(), g.record.size(), nullptr);
        (void)g.store->decide("FAJ 121 3094", 12, ++g.qid, state_of(r), 0, &d);
        acc += double(d.action);
        a = double(g.record.size());
        break;
      case 5:
      case 6: {
        AgentStore s;
        fill(&s, &g.qid);
        if (op == 5) {
          (void)s.evict_round(0.97f);
          a += double(s.stats().evictions);
          std::uint8_t* rec;
          std::size_t size;
          while (s.spill_pop(&rec, &size)) std::free(rec);
        }
        acc += double(s.resident());
        break;
      }
      case 7: {
        const unsigned f = std::min<unsigned>(
            kFeatures - 1,
            unsigned(std::lower_bound(g.zipf.begin(), g.zipf.end(), u(g.rng)) - g.zipf.begin()));
        const std::string code = code_of(f);
        if (g.store->find(code.data(), code.size()) != nullptr) {
          ++g.hits;
        } else {
          ++g.misses;
          if (!g.cold[f].empty()) {
            (void)g.store->import(g.cold[f].data(), g.cold[f].size(), nullptr);
            g.cold[f].clear();
          }
        }
        (void)g.store->decide(code.data(), code.size(), ++g.qid, state_of(r % 16), 0, &d);
        drain_to_cold();
        acc += double(d.action);
        break;
      }
      case 8: {
        const std::uint64_t q = ++g.qid;
        const std::string code = "FAJ 5 " + std::to_string(q % 5000);
        (void)g.store->decide(code.data(), code.size(), q, state_of(std::uint32_t(q * 2654435761u)),
                              0, &d);
        std::uint8_t* rec;
        std::size_t size;
        while (g.store->spill_pop(&rec, &size)) std::free(rec);
        if (g.store->used() > g.store->budget()) ++g.over;
        acc += double(d.action);
        break;
      }
      default:
        return elex::fail(ELEX_E_INVALID_ARGUMENT, "unknown bench op %d", op);
    }
  }
  if (op == 7) {
    a = double(g.hits) / double(std::max<std::uint64_t>(1, g.hits + g.misses));
    b = double(g.store->stats().evictions);
    c = double(g.store->budget());
  } else if (op == 8) {
    a = double(g.over);
    b = double(g.store->used());
    c = double(g.store->stats().evictions);
  }
  out[0] = acc;
  out[1] = a;
  out[2] = b;
  out[3] = c;
  return ELEX_OK;
}

/// Gives the engine's own store the agents "FAJ 121 3000"... (the first
/// `agents` codes, those of them on logical shards s with s % workers ==
/// worker) of `states` rewarded states each (for save/restore benchmarks).
ELEX_EXPORT int elex_bench_populate(elex_engine* engine, uint32_t agents, uint32_t states,
                                    uint32_t worker, uint32_t workers) {
  elex::clear_last_error();
  if (engine == nullptr || agents > 100000 || states > 100000 || workers == 0 || worker >= workers)
    return elex::fail(ELEX_E_INVALID_ARGUMENT, "bad populate arguments");
  std::uint64_t qid = std::uint64_t(1) << 40;
  Decision d;
  for (std::uint32_t i = 0; i < agents; ++i) {
    const std::string c = code_of(i);
    if (elex_shard_of(c.data(), uint32_t(c.size()), 16) % workers != worker) continue;
    for (std::uint32_t k = 0; k < states; ++k) {
      if (elex::Status s = engine->agents.decide(c.data(), c.size(), ++qid, state_of(k), 0, &d);
          s != ELEX_OK)
        return s;
      const float r = float((k + i) % 9) / 4.5f - 1.0f;
      if (elex::Status s =
              engine->agents.feedback(c.data(), c.size(), &qid, &r, 1, nullptr, nullptr);
          s != ELEX_OK)
        return s;
    }
  }
  return ELEX_OK;
}

/// Heap figures for the fragmentation report: out = {live heap bytes, heap size bytes}.
ELEX_EXPORT int elex_bench_heap(double* out) {
  if (out == nullptr) return ELEX_E_INVALID_ARGUMENT;
  out[0] = double(elex::memory::live_heap_bytes());
  out[1] = double(elex::memory::heap_size_bytes());
  return ELEX_OK;
}

}  // extern "C"
