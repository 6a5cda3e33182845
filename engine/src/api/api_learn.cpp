// The C ABI of agents and the memory budget (see elex.h).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#ifdef __EMSCRIPTEN__
#include <emscripten/heap.h>
#endif

#include "elex/core/format.h"
#include "elex/elex.h"
#include "elex/learn/agents.h"
#include "elex/ran/catalog.h"
#include "engine_impl.h"
#include "export.h"

namespace {

using elex::Status;
using elex::learn::AgentStore;

constexpr double kMaxQueryId = 9007199254740992.0;  // 2^53

Status check_engine(const elex_engine* e) {
  return e ? ELEX_OK : elex::fail(ELEX_E_INVALID_ARGUMENT, "engine is null");
}

Status check_code(const char* code, uint32_t len) {
  if (code == nullptr || len == 0 || len > elex::learn::kMaxCodeBytes)
    return elex::fail(ELEX_E_INVALID_ARGUMENT, "a feature code must be 1..%zu bytes, got %u",
                      elex::learn::kMaxCodeBytes, len);
  return ELEX_OK;
}

Status to_query_id(double v, bool allow_zero, std::uint64_t* out) {
  if (!(v >= (allow_zero ? 0.0 : 1.0) && v <= kMaxQueryId) || std::floor(v) != v)
    return elex::fail(ELEX_E_INVALID_ARGUMENT, "a query id must be an integer 1..2^53, got %g", v);
  *out = std::uint64_t(v);
  return ELEX_OK;
}

Status check_bytes(double bytes) {
  if (!(bytes >= 0 && bytes < 1e15))
    return elex::fail(ELEX_E_INVALID_ARGUMENT, "%g is not a byte count", bytes);
  return ELEX_OK;
}

Status make_state(uint32_t type, uint32_t complexity, uint32_t bucket, uint32_t context,
                  elex::learn::State* st) {
  st->type = type;
  st->complexity = complexity;
  st->confidence_bucket = bucket;
  st->context = context;
  return st->check();
}

}  // namespace

extern "C" {

ELEX_EXPORT int elex_agents_configure(elex_engine* engine, const elex_learning_config* config) {
  return guarded([&] {
    if (Status s = check_engine(engine); s != ELEX_OK) return s;
    if (config == nullptr)
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "the learning configuration is null");
    // Checked field by field in declaration order (the struct is 10 doubles).
    const double cfg[10] = {config->alpha,       config->gamma,         config->epsilon,
                            config->epsilon_min, config->epsilon_decay, config->trajectory,
                            config->replay,      config->replay_batch,  config->max_states,
                            config->seed};
    // As the package names them (LearningOptions): the message says which one.
    static const char* const kNames[10] = {"alpha",        "gamma",      "epsilon", "epsilonMin",
                                           "epsilonDecay", "trajectory", "replay",  "replayBatch",
                                           "maxStates",    "seed"};
    const uint32_t n = 10;
    for (uint32_t i = 0; i < n; ++i)
      if (!std::isfinite(cfg[i]))
        return elex::fail(ELEX_E_INVALID_ARGUMENT, "learning.%s is not finite, got %g", kNames[i],
                          cfg[i]);
    for (uint32_t i = 5; i < 10; ++i)
      if (cfg[i] < 0 || cfg[i] > kMaxQueryId || std::floor(cfg[i]) != cfg[i])
        return elex::fail(ELEX_E_INVALID_ARGUMENT,
                          "learning.%s must be a non-negative integer, got %.17g", kNames[i],
                          cfg[i]);
    elex::learn::Config c;
    c.alpha = float(cfg[0]);
    c.gamma = float(cfg[1]);
    c.epsilon = float(cfg[2]);
    c.epsilon_min = float(cfg[3]);
    c.epsilon_decay = float(cfg[4]);
    const auto u32 = [](double v) { return v > 4294967295.0 ? 4294967295u : uint32_t(v); };
    c.trajectory = u32(cfg[5]);
    c.replay = u32(cfg[6]);
    c.replay_batch = u32(cfg[7]);
    c.max_states = u32(cfg[8]);
    c.seed = std::uint64_t(cfg[9]);
    return engine->agents.set_config(c);
  });
}

ELEX_EXPORT int elex_memory_configure(elex_engine* engine, double budget_bytes, double high_water) {
  return guarded([&] {
    if (Status s = check_engine(engine); s != ELEX_OK) return s;
    if (!(budget_bytes >= 0 && budget_bytes < 1e15))
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "budget %g is not a byte count", budget_bytes);
    if (!(high_water > 0 && high_water <= 1))
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "high water %g must be in (0, 1]", high_water);
    // A budget over what size_t counts (4 GiB in wasm32) is no limit: all it
    // can count (a plain conversion wrapped it, to 0 and a refusal).
    constexpr auto kMost = std::numeric_limits<std::size_t>::max();
    std::size_t budget = budget_bytes >= double(kMost) ? kMost : std::size_t(budget_bytes);
#ifdef __EMSCRIPTEN__
    // The wasm memory cannot grow past its maximum (MAXIMUM_MEMORY, 640 MiB):
    // a budget near or over it is never reached, and calls fail OUT_OF_MEMORY
    // where cold agents should have been evicted. The counted state gets at
    // most 4/5 of it; the rest is for what the budget does not count (calls'
    // inputs and outputs, the allocator's slack, stacks).
    budget = std::min(budget, emscripten_get_heap_max() / 5 * 4);
#endif
    if (Status s = engine->agents.set_budget(budget); s != ELEX_OK) return s;
    engine->agents.set_high_water(float(high_water));
    return ELEX_OK;
  });
}

ELEX_EXPORT int elex_memory_set_external(elex_engine* engine, double bytes) {
  return guarded([&] {
    if (Status s = check_engine(engine); s != ELEX_OK) return s;
    if (Status s = check_bytes(bytes); s != ELEX_OK) return s;
    engine->agents.set_external(std::size_t(bytes));
    return ELEX_OK;
  });
}

ELEX_EXPORT int elex_memory_reserve(elex_engine* engine, double bytes) {
  return guarded([&] {
    if (Status s = check_engine(engine); s != ELEX_OK) return s;
    if (Status s = check_bytes(bytes); s != ELEX_OK) return s;
    return engine->agents.reserve(std::size_t(bytes));
  });
}

ELEX_EXPORT int elex_memory_stats(const elex_engine* engine, elex_memory_stats_t* out) {
  return guarded([&] {
    if (Status s = check_engine(engine); s != ELEX_OK) return s;
    if (out == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "output is null");
    const elex::learn::StoreStats s = engine->agents.stats();
    out->budget_bytes = double(s.budget);
    out->used_bytes = double(s.used);
    out->agent_bytes = double(s.agent_bytes);
    out->spill_bytes = double(s.spill_bytes);
    out->external_bytes = double(s.external_bytes);
    out->live_heap_bytes = double(s.live_heap);
    out->heap_bytes = double(s.heap_size);
    out->pressure = double(s.pressure);
    out->evictions = double(s.evictions);
    out->evicted_bytes = double(s.evicted_bytes);
    out->eviction_rounds = double(s.eviction_rounds);
    out->budget_failures = double(s.budget_failures);
    out->hot_agents = double(s.hot);
    out->spill_queued = double(s.spill_queued);
    out->decisions = double(s.decisions);
    out->updates = double(s.updates);
    out->reward_sum = double(s.reward_sum);
    out->epsilon_mean = double(s.epsilon_mean);
    return ELEX_OK;
  });
}

ELEX_EXPORT int elex_agent_decide(elex_engine* engine, const elex_decide_args* args,
                                  elex_decision* out) {
  return guarded([&] {
    if (Status s = check_engine(engine); s != ELEX_OK) return s;
    if (args == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "decision arguments are null");
    const elex_decide_args& a = *args;
    if (Status s = check_code(a.code, a.len); s != ELEX_OK) return s;
    if (out == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "output is null");
    std::uint64_t qid = 0, prev = 0;
    if (Status s = to_query_id(a.query_id, false, &qid); s != ELEX_OK) return s;
    if (Status s = to_query_id(a.follows, true, &prev); s != ELEX_OK) return s;
    elex::learn::State st;
    if (Status s = make_state(a.type, a.complexity, a.bucket, a.context, &st); s != ELEX_OK)
      return s;
    elex::learn::Decision d;
    if (Status s = engine->agents.decide(a.code, a.len, qid, st, prev, &d); s != ELEX_OK) return s;
    *out = elex_decision{static_cast<uint32_t>(d.action), d.confidence, d.explored ? 1u : 0u};
    return ELEX_OK;
  });
}

ELEX_EXPORT int elex_agent_feedback(elex_engine* engine, const char* code, uint32_t len,
                                    const double* query_ids, const float* rewards, uint32_t n,
                                    elex_feedback_result* out) {
  return guarded([&] {
    if (Status s = check_engine(engine); s != ELEX_OK) return s;
    if (Status s = check_code(code, len); s != ELEX_OK) return s;
    if (n > 0 && (query_ids == nullptr || rewards == nullptr))
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "null query ids or rewards");
    auto* ids = static_cast<std::uint64_t*>(std::malloc(sizeof(std::uint64_t) * (n ? n : 1)));
    if (ids == nullptr) return elex::fail(ELEX_E_OUT_OF_MEMORY, "no memory for %u query ids", n);
    for (uint32_t i = 0; i < n; ++i)
      if (Status s = to_query_id(query_ids[i], false, &ids[i]); s != ELEX_OK) {
        std::free(ids);
        return s;
      }
    std::size_t applied = 0, unknown = 0;
    const Status s = engine->agents.feedback(code, len, ids, rewards, n, &applied, &unknown);
    std::free(ids);
    if (out) *out = elex_feedback_result{uint32_t(applied), uint32_t(unknown)};
    return s;
  });
}

ELEX_EXPORT int elex_agent_values(const elex_engine* engine, const char* code, uint32_t len,
                                  uint32_t type, uint32_t complexity, uint32_t bucket,
                                  uint32_t context, elex_agent_q* out) {
  return guarded([&] {
    if (Status s = check_engine(engine); s != ELEX_OK) return s;
    if (Status s = check_code(code, len); s != ELEX_OK) return s;
    if (out == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "output is null");
    elex::learn::State st;
    if (Status s = make_state(type, complexity, bucket, context, &st); s != ELEX_OK) return s;
    const elex::learn::Agent* a = engine->agents.find(code, len);
    if (a == nullptr)
      return elex::fail(ELEX_E_NOT_FOUND, "no resident agent for feature \"%.*s\"", int(len), code);
    static_assert(sizeof out->values / sizeof out->values[0] == elex::learn::kActions,
                  "elex_agent_q holds one value per action");
    a->values(st, out->values, &out->visits);
    return ELEX_OK;
  });
}

ELEX_EXPORT int elex_agent_info(const elex_engine* engine, const char* code, uint32_t len,
                                elex_agent_stats* out) {
  return guarded([&] {
    if (Status s = check_engine(engine); s != ELEX_OK) return s;
    if (Status s = check_code(code, len); s != ELEX_OK) return s;
    if (out == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "output is null");
    const elex::learn::Agent* a = engine->agents.find(code, len);
    if (a == nullptr)
      return elex::fail(ELEX_E_NOT_FOUND, "no resident agent for feature \"%.*s\"", int(len), code);
    const elex::learn::AgentStats s = a->stats();
    *out = elex_agent_stats{double(s.states),  double(s.bytes),      double(s.decisions),
                            double(s.updates), double(s.reward_sum), double(s.epsilon),
                            double(s.version)};
    return ELEX_OK;
  });
}

ELEX_EXPORT int elex_agent_export(const elex_engine* engine, const char* code, uint32_t len,
                                  uint8_t** out, size_t* out_size) {
  return guarded([&] {
    if (Status s = check_engine(engine); s != ELEX_OK) return s;
    if (Status s = check_code(code, len); s != ELEX_OK) return s;
    return engine->agents.export_agent(code, len, out, out_size);
  });
}

namespace {

/// Every resident agent of logical shard `shard` of `shards` (all when
/// shards = 0), least recently used first, encoded as {u32 length,
/// record}* in chunks of a few agents, the chunks serialised on the
/// engine's threads (one allocation per chunk, none per agent).
struct Encoded {
  std::size_t agents = 0, chunks = 0, total = 0;
  std::uint8_t** data = nullptr;
  std::size_t* size = nullptr;
  Encoded() = default;
  Encoded(const Encoded&) = delete;
  Encoded& operator=(const Encoded&) = delete;
  ~Encoded() {
    for (std::size_t i = 0; data != nullptr && i < chunks; ++i) std::free(data[i]);
    std::free(data);
    std::free(size);
  }
  /// Copies the chunks, in order, to `out` (total bytes), on `pool`'s threads.
  void copy_to(std::uint8_t* out, elex::ThreadPool* pool) const {
    auto* at = static_cast<std::size_t*>(std::malloc(sizeof(std::size_t) * (chunks ? chunks : 1)));
    if (at == nullptr) pool = nullptr;  // serial, no offsets table needed
    std::size_t o = 0;
    if (at == nullptr) {
      for (std::size_t i = 0; i < chunks; o += size[i++]) std::memcpy(out + o, data[i], size[i]);
      return;
    }
    for (std::size_t i = 0; i < chunks; o += size[i++]) at[i] = o;
    const auto body = [&](std::size_t b, std::size_t e) {
      for (std::size_t i = b; i < e; ++i) std::memcpy(out + at[i], data[i], size[i]);
    };
    if (pool != nullptr && pool->size() > 1 && chunks > 1)
      pool->parallel_for(chunks, 1, body);
    else
      body(0, chunks);
    std::free(at);
  }
};

Status encode_records(const AgentStore& store, elex::ThreadPool* pool, uint32_t shard,
                      uint32_t shards, Encoded* enc) {
  constexpr std::size_t kAgentsPerChunk = 8;
  const std::size_t n = store.resident();
  auto** agents = static_cast<const elex::learn::Agent**>(
      std::malloc(sizeof(elex::learn::Agent*) * (n ? n : 1)));
  if (agents == nullptr) return elex::fail(ELEX_E_OUT_OF_MEMORY, "no memory to export");
  const std::size_t m = store.lru_order(agents, n);
  std::size_t kept = 0;
  for (std::size_t i = 0; i < m; ++i) {  // this shard's agents, least recently used first
    const elex::learn::Agent* a = agents[i];
    if (shards == 0 || elex_shard_of(a->code(), uint32_t(a->code_len()), shards) == shard)
      agents[kept++] = a;
  }
  enc->agents = kept;
  enc->chunks = (kept + kAgentsPerChunk - 1) / kAgentsPerChunk;
  const std::size_t c = enc->chunks ? enc->chunks : 1;
  enc->data = static_cast<std::uint8_t**>(std::calloc(c, sizeof(std::uint8_t*)));
  enc->size = static_cast<std::size_t*>(std::calloc(c, sizeof(std::size_t)));
  if (enc->data == nullptr || enc->size == nullptr) {
    std::free(agents);
    return elex::fail(ELEX_E_OUT_OF_MEMORY, "no memory to export");
  }
  std::atomic<bool> oom{false};
  const auto body = [&](std::size_t b, std::size_t e) {
    for (std::size_t k = b; k < e; ++k) {
      const std::size_t lo = k * kAgentsPerChunk, hi = std::min(kept, lo + kAgentsPerChunk);
      std::size_t bound = 0;
      for (std::size_t i = lo; i < hi; ++i) bound += 4 + agents[i]->record_bound();
      auto* buf = static_cast<std::uint8_t*>(std::malloc(bound));
      if (buf == nullptr) {
        oom.store(true, std::memory_order_relaxed);
        continue;
      }
      std::uint8_t* p = buf;
      for (std::size_t i = lo; i < hi; ++i) {
        const auto len = std::uint32_t(agents[i]->write_record(p + 4));
        std::memcpy(p, &len, 4);
        p += 4 + std::size_t(len);
      }
      enc->data[k] = buf;
      enc->size[k] = std::size_t(p - buf);
    }
  };
  if (pool != nullptr && pool->size() > 1 && enc->chunks > 1)
    pool->parallel_for(enc->chunks, 1, body);
  else
    body(0, enc->chunks);
  std::free(agents);
  if (oom.load()) return elex::fail(ELEX_E_OUT_OF_MEMORY, "no memory to export");
  for (std::size_t k = 0; k < enc->chunks; ++k) enc->total += enc->size[k];
  return ELEX_OK;
}

}  // namespace

ELEX_EXPORT int elex_agents_export_all(elex_engine* engine, uint8_t** out, size_t* out_size,
                                       uint32_t* count) {
  return guarded([&] {
    if (Status s = check_engine(engine); s != ELEX_OK) return s;
    if (out == nullptr || out_size == nullptr || count == nullptr)
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "null output pointer");
    *out = nullptr;
    *out_size = 0;
    *count = 0;
    Encoded enc;
    if (Status s = encode_records(engine->agents, &engine->pool, 0, 0, &enc); s != ELEX_OK)
      return s;
    auto* buf = static_cast<std::uint8_t*>(std::malloc(enc.total ? enc.total : 1));
    if (buf == nullptr) return elex::fail(ELEX_E_OUT_OF_MEMORY, "no memory to export");
    enc.copy_to(buf, &engine->pool);
    *out = buf;
    *out_size = enc.total;
    *count = std::uint32_t(enc.agents);
    return ELEX_OK;
  });
}

ELEX_EXPORT int elex_agent_import(elex_engine* engine, const uint8_t* bytes, size_t size,
                                  uint32_t evict, uint32_t* replaced) {
  return guarded([&] {
    if (Status s = check_engine(engine); s != ELEX_OK) return s;
    bool r = false;
    const Status s = engine->agents.import(bytes, size, &r, evict != 0);
    if (replaced) *replaced = r ? 1 : 0;
    return s;
  });
}

namespace {

/// AgentStore::import_batch over records at base + spans[2i], spans[2i+1]
/// bytes each (checked against base_size).
Status import_spans(elex_engine* engine, const uint8_t* base, size_t base_size,
                    const uint32_t* spans, uint32_t n, int32_t* status) {
  for (uint32_t i = 0; i < n; ++i)
    if (spans[2 * i] > base_size || spans[2 * i + 1] > base_size - spans[2 * i])
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "record span %u lies outside the buffer", i);
  auto** recs = static_cast<const uint8_t**>(std::malloc(sizeof(uint8_t*) * (n ? n : 1)));
  auto* sizes = static_cast<size_t*>(std::malloc(sizeof(size_t) * (n ? n : 1)));
  auto* sts = static_cast<Status*>(std::malloc(sizeof(Status) * (n ? n : 1)));
  const Status st = recs && sizes && sts ? ELEX_OK : elex::fail(ELEX_E_OUT_OF_MEMORY, "no memory");
  if (st == ELEX_OK) {
    for (uint32_t i = 0; i < n; ++i) {
      recs[i] = base + spans[2 * i];
      sizes[i] = spans[2 * i + 1];
    }
    engine->agents.import_batch(recs, sizes, n, &engine->pool, sts);
    for (uint32_t i = 0; i < n; ++i) status[i] = int32_t(sts[i]);
  }
  std::free(recs);
  std::free(sizes);
  std::free(sts);
  return st;
}

}  // namespace

ELEX_EXPORT int elex_agents_import_at(elex_engine* engine, const uint8_t* base, size_t base_size,
                                      const uint32_t* spans, uint32_t n, int32_t* status) {
  return guarded([&] {
    if (Status s = check_engine(engine); s != ELEX_OK) return s;
    if (n > 0 && (base == nullptr || spans == nullptr || status == nullptr))
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "null base, spans or status");
    return import_spans(engine, base, base_size, spans, n, status);
  });
}

ELEX_EXPORT int elex_agents_import_batch(elex_engine* engine, const uint8_t* frames, size_t size,
                                         uint32_t n, int32_t* status) {
  return guarded([&] {
    if (Status s = check_engine(engine); s != ELEX_OK) return s;
    if (n > 0 && (frames == nullptr || status == nullptr))
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "null frames or status");
    if (std::uint64_t(size) > 0xFFFFFFFFull)
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "frames of %zu bytes (at most 4 GiB)", size);
    auto* spans = static_cast<uint32_t*>(std::malloc(sizeof(uint32_t) * 2 * (n ? n : 1)));
    Status st = spans ? ELEX_OK : elex::fail(ELEX_E_OUT_OF_MEMORY, "no memory");
    size_t at = 0;
    for (uint32_t i = 0; i < n && st == ELEX_OK; ++i) {
      uint32_t len = 0;
      if (size - at < 4) {
        st = elex::fail(ELEX_E_INVALID_ARGUMENT, "record frame %u is truncated", i);
        break;
      }
      std::memcpy(&len, frames + at, 4);
      if (size - at - 4 < len) {
        st = elex::fail(ELEX_E_INVALID_ARGUMENT, "record %u overruns the frames", i);
        break;
      }
      spans[2 * i] = uint32_t(at + 4);
      spans[2 * i + 1] = len;
      at += 4 + size_t(len);
    }
    if (st == ELEX_OK && at != size)
      st = elex::fail(ELEX_E_INVALID_ARGUMENT, "frames hold more than %u records", n);
    if (st == ELEX_OK) st = import_spans(engine, frames, size, spans, n, status);
    std::free(spans);
    return st;
  });
}

ELEX_EXPORT int elex_agent_drop(elex_engine* engine, const char* code, uint32_t len) {
  return guarded([&] {
    if (Status s = check_engine(engine); s != ELEX_OK) return s;
    if (Status s = check_code(code, len); s != ELEX_OK) return s;
    if (!engine->agents.drop(code, len))
      return elex::fail(ELEX_E_NOT_FOUND, "no resident agent for feature \"%.*s\"", int(len), code);
    return ELEX_OK;
  });
}

ELEX_EXPORT int elex_agents_spill_pop(elex_engine* engine, uint8_t** out, size_t* out_size) {
  return guarded([&] {
    if (Status s = check_engine(engine); s != ELEX_OK) return s;
    if (out == nullptr || out_size == nullptr)
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "null output pointer");
    *out = nullptr;
    *out_size = 0;
    engine->agents.spill_pop(out, out_size);
    return ELEX_OK;
  });
}

ELEX_EXPORT int elex_agents_evict(elex_engine* engine, double pressure, double* freed) {
  return guarded([&] {
    if (Status s = check_engine(engine); s != ELEX_OK) return s;
    if (!(pressure >= 0 && pressure <= 1))
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "pressure %g is outside [0, 1]", pressure);
    const std::size_t f = engine->agents.evict_round(float(pressure));
    if (freed) *freed = double(f);
    return ELEX_OK;
  });
}

namespace {
constexpr std::uint32_t kMeta = elex::format::tag("META");
constexpr std::uint32_t kRecs = elex::format::tag("RECS");
}  // namespace

ELEX_EXPORT uint32_t elex_shard_of(const char* code, uint32_t len, uint32_t shards) {
  if (code == nullptr) return 0;
  return elex::catalog::shard_of(std::string_view(code, len), shards);
}

ELEX_EXPORT int elex_agents_snapshot(elex_engine* engine, const elex_snapshot_args* args,
                                     uint8_t** out, size_t* out_size, uint32_t* count) {
  return guarded([&] {
    if (Status s = check_engine(engine); s != ELEX_OK) return s;
    if (args == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "snapshot arguments are null");
    if (out == nullptr || out_size == nullptr || count == nullptr)
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "null output pointer");
    size_t meta_size = 0, extra_size = 0;
    if (Status s = to_size(args->meta_size, "meta size", &meta_size); s != ELEX_OK) return s;
    if (Status s = to_size(args->extra_size, "extra size", &extra_size); s != ELEX_OK) return s;
    const uint8_t* meta = args->meta;
    const uint8_t* extra = args->extra;
    const uint32_t shard = args->shard, shards = args->shards;
    if ((meta_size > 0 && meta == nullptr) || (extra_size > 0 && extra == nullptr))
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "null meta or extra bytes");
    // Check the host's extra records' framing (each must at least peek).
    std::uint32_t n_extra = 0;
    for (size_t at = 0; at < extra_size; ++n_extra) {
      std::uint32_t len = 0;
      if (extra_size - at < 4) return elex::fail(ELEX_E_INVALID_ARGUMENT, "bad extra framing");
      std::memcpy(&len, extra + at, 4);
      if (extra_size - at - 4 < len)
        return elex::fail(ELEX_E_INVALID_ARGUMENT, "bad extra framing");
      if (Status s =
              elex::learn::Agent::peek(extra + at + 4, len, nullptr, nullptr, nullptr, nullptr);
          s != ELEX_OK)
        return elex::fail(ELEX_E_INVALID_ARGUMENT, "extra record %u is not an agent record",
                          n_extra);
      at += 4 + size_t(len);
    }
    if (shards != 0 && shard >= shards)
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "shard %u is outside 0..%u", shard, shards - 1);
    Encoded enc;
    if (Status s = encode_records(engine->agents, &engine->pool, shard, shards, &enc); s != ELEX_OK)
      return s;
    // Records go straight into the container: no intermediate copies.
    const std::uint32_t tags[2] = {kMeta, kRecs};
    const std::size_t sizes[2] = {meta_size, enc.total + extra_size};
    std::uint8_t* payload[2];
    if (Status s = elex::format::layout(elex::format::ContainerKind::AgentSnapshot, tags, sizes, 2,
                                        out, out_size, payload);
        s != ELEX_OK)
      return s;
    if (meta_size) std::memcpy(payload[0], meta, meta_size);
    enc.copy_to(payload[1], &engine->pool);
    if (extra_size) std::memcpy(payload[1] + enc.total, extra, extra_size);
    elex::format::seal(*out, *out_size, &engine->pool);
    *count = std::uint32_t(enc.agents) + n_extra;
    return ELEX_OK;
  });
}

ELEX_EXPORT int elex_snapshot_verify(elex_engine* engine, const uint8_t* bytes, size_t size,
                                     elex_snapshot_parts* out) {
  return guarded([&] {
    if (bytes == nullptr || out == nullptr)
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "null bytes or output");
    elex::format::Reader r;
    if (Status s = r.open(bytes, size, elex::format::ContainerKind::AgentSnapshot,
                          engine != nullptr ? &engine->pool : nullptr);
        s != ELEX_OK)
      return s;
    size_t meta_size = 0, recs_size = 0;
    const uint8_t* meta = r.section(kMeta, &meta_size);
    const uint8_t* recs = r.section(kRecs, &recs_size);
    if (meta == nullptr || recs == nullptr)
      return elex::fail(ELEX_E_CORRUPT_DATA, "snapshot lacks its META or RECS section");
    std::uint32_t n = 0;
    for (size_t at = 0; at < recs_size; ++n) {
      std::uint32_t len = 0;
      if (recs_size - at < 4) return elex::fail(ELEX_E_CORRUPT_DATA, "snapshot record framing");
      std::memcpy(&len, recs + at, 4);
      if (recs_size - at - 4 < len)
        return elex::fail(ELEX_E_CORRUPT_DATA, "snapshot record %u overruns its section", n);
      if (elex::learn::Agent::peek(recs + at + 4, len, nullptr, nullptr, nullptr, nullptr) !=
          ELEX_OK)
        return elex::fail(ELEX_E_CORRUPT_DATA, "snapshot record %u is damaged", n);
      at += 4 + size_t(len);
    }
    *out = elex_snapshot_parts{double(meta - bytes), double(meta_size), double(recs - bytes),
                               double(recs_size), double(n)};
    return ELEX_OK;
  });
}

}  // extern "C"
