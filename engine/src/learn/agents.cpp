// The agent store inside a memory budget (agents.h).
#include "elex/learn/agents.h"

#include <string_view>
#include <unordered_map>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#if defined(__EMSCRIPTEN__) || defined(__GLIBC__)
#include <malloc.h>
#endif

namespace elex::memory {

void PressureMonitor::sample(double used, double budget) {
  double u = budget > 0 ? used / budget : 1.0;
  u = u < 0 ? 0 : (u > 1 ? 1 : u);
  window_[head_] = float(u);
  head_ = (head_ + 1) % kWindow;
  if (count_ < kWindow) ++count_;
}

float PressureMonitor::pressure() const {
  if (count_ == 0) return 0;
  float sum = 0;
  for (unsigned i = 0; i < count_; ++i) sum += window_[i];
  const float newest = window_[(head_ + kWindow - 1) % kWindow];
  const float oldest = window_[(head_ + kWindow - count_) % kWindow];
  const float p = sum / float(count_) + 0.5f * (newest - oldest);
  return p < 0 ? 0 : (p > 1 ? 1 : p);
}

float eviction_fraction(float pressure) {
  if (pressure < 0.70f) return 0.10f;
  if (pressure < 0.85f) return 0.20f;
  if (pressure < 0.95f) return 0.30f;
  return 0.50f;
}

std::size_t live_heap_bytes() {
#if defined(__EMSCRIPTEN__)
  return std::size_t(mallinfo().uordblks);
#elif defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  return std::size_t(mallinfo2().uordblks);
#else
  return 0;
#endif
}

std::size_t heap_size_bytes() {
#if defined(__EMSCRIPTEN__)
  return std::size_t(__builtin_wasm_memory_size(0)) * 65536u;
#elif defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  return std::size_t(mallinfo2().arena) + std::size_t(mallinfo2().hblkhd);
#else
  return 0;
#endif
}

}  // namespace elex::memory

namespace elex::learn {

namespace {
std::size_t slot_of(std::uint64_t key, std::size_t cap) {
  key ^= key >> 29;
  key *= 0xbf58476d1ce4e5b9ull;
  key ^= key >> 32;
  return std::size_t(key) & (cap - 1);
}
}  // namespace

AgentStore::AgentStore(std::size_t budget_bytes) : budget_(budget_bytes) {}

AgentStore::~AgentStore() {
  for (std::size_t i = 0; i < cap_; ++i) delete entries_[i].agent;
  std::free(entries_);
  for (std::size_t i = 0; i < spill_count_; ++i)
    std::free(spills_[(spill_head_ + i) % spill_cap_].data);
  std::free(spills_);
}

Status AgentStore::set_budget(std::size_t bytes) {
  if (bytes < (std::size_t(1) << 16))
    return fail(ELEX_E_INVALID_ARGUMENT, "a memory budget must be at least 64 KiB, got %zu", bytes);
  budget_ = bytes;
  return ELEX_OK;
}

Status AgentStore::set_config(const Config& config) {
  if (Status s = config.check(); s != ELEX_OK) return s;
  config_ = config;
  return ELEX_OK;
}

AgentStore::Entry* AgentStore::find_entry(const char* code, std::size_t len) {
  if (cap_ == 0) return nullptr;
  const std::uint64_t key = code_key(code, len);
  for (std::size_t i = slot_of(key, cap_);; i = (i + 1) & (cap_ - 1)) {
    Entry& e = entries_[i];
    if (e.agent == nullptr) return nullptr;
    if (e.key == key && e.agent->code_len() == len && std::memcmp(e.agent->code(), code, len) == 0)
      return &e;
  }
}

const AgentStore::Entry* AgentStore::find_entry(const char* code, std::size_t len) const {
  return const_cast<AgentStore*>(this)->find_entry(code, len);
}

const Agent* AgentStore::find(const char* code, std::size_t len) const {
  const Entry* e = find_entry(code, len);
  return e ? e->agent : nullptr;
}

Status AgentStore::grow() {
  const std::size_t cap = cap_ == 0 ? 64 : cap_ * 2;
  auto* fresh = static_cast<Entry*>(std::calloc(cap, sizeof(Entry)));
  if (fresh == nullptr) return fail(ELEX_E_OUT_OF_MEMORY, "could not grow the agent table");
  for (std::size_t i = 0; i < cap_; ++i) {
    if (entries_[i].agent == nullptr) continue;
    std::size_t j = slot_of(entries_[i].key, cap);
    while (fresh[j].agent != nullptr) j = (j + 1) & (cap - 1);
    fresh[j] = entries_[i];
  }
  std::free(entries_);
  entries_ = fresh;
  cap_ = cap;
  return ELEX_OK;
}

Status AgentStore::add_entry(Agent* a) {
  if ((count_ + 1) * 2 > cap_)
    if (Status s = grow(); s != ELEX_OK) return s;
  const std::uint64_t key = code_key(a->code(), a->code_len());
  std::size_t i = slot_of(key, cap_);
  while (entries_[i].agent != nullptr) i = (i + 1) & (cap_ - 1);
  entries_[i] = Entry{a, key, ++tick_, a->bytes()};
  agent_bytes_ += entries_[i].bytes;
  ++count_;
  return ELEX_OK;
}

void AgentStore::remove_entry(Entry* e) {
  agent_bytes_ -= e->bytes;
  delete e->agent;
  --count_;
  // Backward-shift deletion keeps every probe chain unbroken.
  std::size_t hole = std::size_t(e - entries_);
  const std::size_t mask = cap_ - 1;
  for (std::size_t j = (hole + 1) & mask; entries_[j].agent != nullptr; j = (j + 1) & mask) {
    const std::size_t home = slot_of(entries_[j].key, cap_);
    // Move j into the hole if its home is not cyclically within (hole, j].
    if (((j - home) & mask) >= ((j - hole) & mask)) {
      entries_[hole] = entries_[j];
      hole = j;
    }
  }
  entries_[hole] = Entry{};
}

void AgentStore::refresh_bytes(Entry* e) {
  const std::size_t now = e->agent->bytes();
  agent_bytes_ = agent_bytes_ - e->bytes + now;
  e->bytes = now;
}

std::size_t AgentStore::lru_order(const Agent** out, std::size_t max) const {
  std::size_t n = 0;
  const Entry** tmp = static_cast<const Entry**>(std::malloc(count_ * sizeof(Entry*) + 1));
  if (tmp == nullptr) return 0;
  for (std::size_t i = 0; i < cap_; ++i)
    if (entries_[i].agent != nullptr) tmp[n++] = &entries_[i];
  std::sort(tmp, tmp + n,
            [](const Entry* a, const Entry* b) { return a->last_used < b->last_used; });
  const std::size_t m = std::min(n, max);
  for (std::size_t i = 0; i < m; ++i) out[i] = tmp[i]->agent;
  std::free(tmp);
  return m;
}

std::size_t AgentStore::evict(std::size_t target, const Agent* pin) {
  if (target == 0 || count_ == 0) return 0;
  // Candidates least recently used first.
  struct Cand {
    std::uint64_t last_used;
    std::uint64_t key;
    const Agent* agent;
  };
  auto* c = static_cast<Cand*>(std::malloc(count_ * sizeof(Cand)));
  if (c == nullptr) return 0;
  std::size_t n = 0;
  for (std::size_t i = 0; i < cap_; ++i)
    if (entries_[i].agent != nullptr && entries_[i].agent != pin)
      c[n++] = Cand{entries_[i].last_used, entries_[i].key, entries_[i].agent};
  std::sort(c, c + n, [](const Cand& a, const Cand& b) { return a.last_used < b.last_used; });
  std::size_t freed = 0;
  ++rounds_;
  for (std::size_t i = 0; i < n && freed < target; ++i) {
    Entry* e = find_entry(c[i].agent->code(), c[i].agent->code_len());
    std::uint8_t* rec = nullptr;
    std::size_t size = 0;
    // A victim that cannot be written out stays: its state must not be lost.
    if (e->agent->serialize(&rec, &size) != ELEX_OK) continue;
    if (spill_count_ == spill_cap_) {
      const std::size_t cap = spill_cap_ == 0 ? 16 : spill_cap_ * 2;
      auto* q = static_cast<Spill*>(std::malloc(cap * sizeof(Spill)));
      if (q == nullptr) {
        std::free(rec);
        continue;
      }
      for (std::size_t k = 0; k < spill_count_; ++k) q[k] = spills_[(spill_head_ + k) % spill_cap_];
      std::free(spills_);
      spills_ = q;
      spill_head_ = 0;
      spill_cap_ = cap;
    }
    spills_[(spill_head_ + spill_count_++) % spill_cap_] = Spill{rec, size};
    spill_bytes_ += size;
    freed += e->bytes;
    evicted_bytes_ += e->bytes;
    ++evictions_;
    remove_entry(e);
  }
  std::free(c);
  return freed;
}

Status AgentStore::make_room(std::size_t bytes, const Agent* pin) {
  monitor_.sample(double(used()), double(budget_));
  if (used() + bytes <= budget_) return ELEX_OK;
  // What could be freed: every other resident agent (its spilled record
  // stays counted until the host drains it).
  const std::size_t evictable = evictable_bytes(pin);
  const std::size_t missing = used() + bytes - budget_;
  if (evictable < missing) {
    ++budget_failures_;
    return fail(ELEX_E_BUDGET_EXCEEDED,
                "%zu more bytes do not fit the %zu-byte budget (%zu used, %zu evictable)", bytes,
                budget_, used(), evictable);
  }
  const auto frac = std::size_t(double(evictable) * memory::eviction_fraction(monitor_.pressure()));
  evict(std::max(missing, frac), pin);
  if (used() + bytes > budget_) {
    ++budget_failures_;
    return fail(ELEX_E_BUDGET_EXCEEDED,
                "%zu more bytes do not fit the %zu-byte budget even after eviction (%zu used; "
                "drain the spill queue)",
                bytes, budget_, used());
  }
  return ELEX_OK;
}

std::size_t AgentStore::evictable_bytes(const Agent* pin) const {
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < cap_; ++i)
    if (entries_[i].agent != nullptr && entries_[i].agent != pin) bytes += entries_[i].bytes;
  return bytes;
}

std::size_t AgentStore::evict_round(float pressure) {
  return evict(std::size_t(double(evictable_bytes(nullptr)) * memory::eviction_fraction(pressure)),
               nullptr);
}

void AgentStore::after_call(const Agent* pin) {
  monitor_.sample(double(used()), double(budget_));
  const float p = monitor_.pressure();
  if (high_water_ >= 1.0f || p < high_water_) return;
  evict(std::size_t(double(evictable_bytes(pin)) * memory::eviction_fraction(p)), pin);
}

Status AgentStore::decide(const char* code, std::size_t len, std::uint64_t query_id,
                          const State& state, std::uint64_t follows, Decision* out) {
  if (code == nullptr || len == 0 || len > kMaxCodeBytes)
    return fail(ELEX_E_INVALID_ARGUMENT, "a feature code must be 1..%zu bytes", kMaxCodeBytes);
  if (Status s = state.check(); s != ELEX_OK) return s;
  Entry* e = find_entry(code, len);
  if (e == nullptr) {
    if (Status s = make_room(Agent::initial_bytes(config_), nullptr); s != ELEX_OK) return s;
    Agent* a = nullptr;
    if (Status s = Agent::create(config_, code, len, &a); s != ELEX_OK) return s;
    if (Status s = add_entry(a); s != ELEX_OK) {
      delete a;
      return s;
    }
    e = find_entry(code, len);
  }
  Agent* a = e->agent;
  if (const std::size_t grow = a->decide_growth(state); grow > 0) {
    if (Status s = make_room(grow, a); s != ELEX_OK) return s;
    e = find_entry(code, len);  // eviction may have moved entries
  }
  touch(e);
  if (Status s = a->decide(query_id, state, follows, out); s != ELEX_OK) return s;
  ++decisions_;
  refresh_bytes(e);
  after_call(a);
  return ELEX_OK;
}

Status AgentStore::feedback(const char* code, std::size_t len, const std::uint64_t* query_ids,
                            const float* rewards, std::size_t n, std::size_t* applied,
                            std::size_t* unknown) {
  if (code == nullptr || len == 0 || len > kMaxCodeBytes)
    return fail(ELEX_E_INVALID_ARGUMENT, "a feature code must be 1..%zu bytes", kMaxCodeBytes);
  Entry* e = find_entry(code, len);
  if (e == nullptr)
    return fail(ELEX_E_NOT_FOUND, "no resident agent for feature \"%.*s\"", int(len), code);
  touch(e);
  Agent* a = e->agent;
  const double before = a->stats().reward_sum;
  std::size_t done = 0;
  if (Status s = a->feedback(query_ids, rewards, n, &done, unknown); s != ELEX_OK) return s;
  updates_ += done;
  reward_sum_ += a->stats().reward_sum - before;
  if (applied) *applied = done;
  after_call(a);
  return ELEX_OK;
}

Status AgentStore::import(const std::uint8_t* bytes, std::size_t size, bool* replaced, bool evict) {
  if (replaced) *replaced = false;
  std::size_t live = 0, len = 0;
  const std::uint8_t* code = nullptr;
  std::uint64_t version = 0;
  if (Status s = Agent::peek(bytes, size, &live, &code, &len, &version); s != ELEX_OK) return s;
  const char* c = reinterpret_cast<const char*>(code);
  const Entry* resident = find_entry(c, len);
  if (resident != nullptr && resident->agent->stats().version >= version)
    return ELEX_OK;  // the resident agent is as new
  const std::size_t have = resident ? resident->bytes : 0;
  if (!evict && used() - have + live > budget_) {
    ++budget_failures_;
    return fail(ELEX_E_BUDGET_EXCEEDED, "agent \"%.*s\" (%zu bytes) does not fit the budget",
                int(len), c, live);
  }
  if (Entry* old = find_entry(c, len); old != nullptr) {
    // Replace: room for the difference only.
    if (live > old->bytes)
      if (Status s = make_room(live - old->bytes, old->agent); s != ELEX_OK) return s;
  } else if (Status s = make_room(live, nullptr); s != ELEX_OK) {
    return s;
  }
  Agent* a = nullptr;
  if (Status s = Agent::deserialize(bytes, size, &a); s != ELEX_OK) return s;
  a->adopt(config_);  // this engine's learning settings, not those it was saved with
  if (Entry* old = find_entry(c, len); old != nullptr) {
    remove_entry(old);
    if (replaced) *replaced = true;
  }
  if (Status s = add_entry(a); s != ELEX_OK) {
    delete a;
    return s;
  }
  after_call(a);
  return ELEX_OK;
}

void AgentStore::import_batch(const std::uint8_t* const* records, const std::size_t* sizes,
                              std::size_t n, ThreadPool* pool, Status* status) {
  if (n == 0) return;
  auto** agents = static_cast<Agent**>(std::calloc(n, sizeof(Agent*)));
  auto* todo = static_cast<std::uint8_t*>(std::calloc(n, 1));
  if (agents == nullptr || todo == nullptr) {
    std::free(agents);
    std::free(todo);
    for (std::size_t i = 0; i < n; ++i) status[i] = ELEX_E_OUT_OF_MEMORY;
    return;
  }
  // Plan in order against the budget, as one-by-one imports would: a code
  // planned earlier in the batch counts as resident with its planned bytes.
  struct Plan {
    std::size_t index, live;
    std::uint64_t version;
  };
  std::unordered_map<std::string_view, Plan> plans;
  std::size_t planned = used();
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t live = 0, len = 0;
    const std::uint8_t* code = nullptr;
    std::uint64_t version = 0;
    status[i] = Agent::peek(records[i], sizes[i], &live, &code, &len, &version);
    if (status[i] != ELEX_OK) continue;
    const std::string_view key(reinterpret_cast<const char*>(code), len);
    const auto earlier = plans.find(key);
    const Entry* resident = find_entry(key.data(), len);
    std::size_t have = resident ? resident->bytes : 0;
    if (earlier != plans.end()) {
      if (earlier->second.version >= version) continue;  // as new: nothing to do
      have = earlier->second.live;
    } else if (resident != nullptr && resident->agent->stats().version >= version) {
      continue;
    }
    if (planned - have + live > budget_) {
      ++budget_failures_;
      status[i] = ELEX_E_BUDGET_EXCEEDED;
      continue;
    }
    planned = planned - have + live;
    if (earlier != plans.end()) todo[earlier->second.index] = 0;  // replaced within the batch
    plans[key] = Plan{i, live, version};
    todo[i] = 1;
  }
  const auto body = [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i)
      if (todo[i]) status[i] = Agent::deserialize(records[i], sizes[i], &agents[i]);
  };
  if (pool != nullptr && pool->size() > 1 && n >= 8)
    pool->parallel_for(n, 4, body);
  else
    body(0, n);
  for (std::size_t i = 0; i < n; ++i) {
    Agent* a = agents[i];
    if (!todo[i] || a == nullptr) continue;
    a->adopt(config_);
    if (Entry* old = find_entry(a->code(), a->code_len()); old != nullptr) {
      if (old->agent->stats().version >= a->stats().version) {  // a duplicate in the batch
        delete a;
        continue;
      }
      remove_entry(old);
    }
    if (Status s = add_entry(a); s != ELEX_OK) {
      delete a;
      status[i] = s;
    }
  }
  std::free(agents);
  std::free(todo);
  after_call(nullptr);
}

Status AgentStore::export_agent(const char* code, std::size_t len, std::uint8_t** out,
                                std::size_t* out_size) const {
  const Entry* e = code ? find_entry(code, len) : nullptr;
  if (e == nullptr)
    return fail(ELEX_E_NOT_FOUND, "no resident agent for feature \"%.*s\"", int(len),
                code ? code : "");
  return e->agent->serialize(out, out_size);
}

bool AgentStore::drop(const char* code, std::size_t len) {
  Entry* e = find_entry(code, len);
  if (e == nullptr) return false;
  remove_entry(e);
  return true;
}

bool AgentStore::spill_pop(std::uint8_t** out, std::size_t* size) {
  if (spill_count_ == 0) return false;
  Spill s = spills_[spill_head_];
  spill_head_ = (spill_head_ + 1) % spill_cap_;
  --spill_count_;
  spill_bytes_ -= s.size;
  *out = s.data;
  *size = s.size;
  return true;
}

StoreStats AgentStore::stats() const {
  StoreStats st;
  st.budget = double(budget_);
  st.used = double(used());
  st.agent_bytes = double(agent_bytes_);
  st.spill_bytes = double(spill_bytes_);
  st.external_bytes = double(external_);
  st.live_heap = double(memory::live_heap_bytes());
  st.heap_size = double(memory::heap_size_bytes());
  st.pressure = monitor_.pressure();
  st.evictions = evictions_;
  st.evicted_bytes = evicted_bytes_;
  st.eviction_rounds = rounds_;
  st.budget_failures = budget_failures_;
  st.hot = std::uint32_t(count_);
  st.spill_queued = std::uint32_t(spill_count_);
  st.decisions = decisions_;
  st.updates = updates_;
  st.reward_sum = reward_sum_;
  double eps = 0;
  for (std::size_t i = 0; i < cap_; ++i)
    if (entries_[i].agent != nullptr) eps += entries_[i].agent->stats().epsilon;
  st.epsilon_mean = count_ ? eps / double(count_) : double(config_.epsilon);
  return st;
}

}  // namespace elex::learn
