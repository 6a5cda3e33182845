// elex/learn/agents.h — the agents of one engine instance inside a memory budget:
// a pressure monitor, least-recently-used eviction of cold agents, and the
// spill queue through which evicted (dirty) state leaves the engine.
//
// Accounting. used() = bytes of resident agents + bytes waiting in the
// spill queue + external bytes the host reports (its indexes, caches). The
// allocator's own figures (live_heap_bytes, heap_size_bytes) are reported
// beside it for fragmentation, but the budget is enforced on used().
//
// Pressure monitor. Every call samples u = used / budget, clamped to [0, 1]
// (a fraction, so it cannot saturate), into a window of the last 16
// samples. pressure = mean(window) + 0.5 × (newest − oldest), clamped to
// [0, 1]: the level plus where it is heading.
//
// Eviction. Runs (a) when a call needs bytes that do not fit, or (b) after
// a call when pressure ≥ high_water, if high_water < 1 (default 1: only
// (a); a lower mark keeps headroom at some cost in hit rate). It removes resident
// agents least recently used first, never the one the call is using,
// until it has freed at least fraction(pressure) × evictable bytes (and, in
// case (a), at least the missing bytes), where fraction is
//   0.10 below 0.70, 0.20 below 0.85, 0.30 below 0.95, 0.50 from 0.95.
// Each victim is serialised into the spill queue before it is freed; the
// host drains the queue (spill_pop) and writes it to storage, and later
// imports it back (import) when the agent is needed. If a call cannot fit
// even with every other agent evicted it fails with BUDGET_EXCEEDED,
// evicts nothing and changes nothing.
#ifndef ELEX_AGENTS_H
#define ELEX_AGENTS_H

#include <cstddef>
#include <cstdint>

#include "elex/core/parallel.h"
#include "elex/core/status.h"
#include "elex/learn/learn.h"

namespace elex::memory {

class PressureMonitor {
 public:
  static constexpr unsigned kWindow = 16;
  void sample(double used, double budget);
  [[nodiscard]] float pressure() const;
  [[nodiscard]] unsigned samples() const { return count_; }

 private:
  float window_[kWindow] = {};
  unsigned head_ = 0, count_ = 0;
};

/// The share of evictable bytes one eviction round frees at `pressure`.
float eviction_fraction(float pressure);

/// Bytes the allocator has handed out and not yet had back (0 if unknown).
std::size_t live_heap_bytes();
/// Bytes of memory the process/module has reserved for its heap.
std::size_t heap_size_bytes();

}  // namespace elex::memory

namespace elex::learn {

struct StoreStats {
  double budget = 0, used = 0, agent_bytes = 0, spill_bytes = 0, external_bytes = 0;
  double live_heap = 0, heap_size = 0;
  float pressure = 0;
  std::uint64_t evictions = 0;      ///< agents evicted since creation
  std::uint64_t evicted_bytes = 0;  ///< their bytes
  std::uint64_t eviction_rounds = 0;
  std::uint64_t budget_failures = 0;
  std::uint32_t hot = 0;                     ///< resident agents
  std::uint32_t spill_queued = 0;            ///< records waiting for the host
  std::uint64_t decisions = 0, updates = 0;  ///< through this store since creation
  double reward_sum = 0;                     ///< of those updates
  double epsilon_mean = 0;                   ///< mean ε over resident agents
};

class AgentStore {
 public:
  explicit AgentStore(std::size_t budget_bytes = std::size_t(500) << 20);
  ~AgentStore();
  AgentStore(const AgentStore&) = delete;
  AgentStore& operator=(const AgentStore&) = delete;

  [[nodiscard]] Status set_budget(std::size_t bytes);
  [[nodiscard]] Status set_config(const Config& config);
  void set_high_water(float pressure) { high_water_ = pressure; }
  /// Bytes the host holds in this instance outside agents (indexes...).
  void set_external(std::size_t bytes) { external_ = bytes; }

  /// Makes room for `bytes` more (evicting per the policy); BUDGET_EXCEEDED
  /// if they cannot fit. The host calls this before growing external state.
  [[nodiscard]] Status reserve(std::size_t bytes) { return make_room(bytes, nullptr); }

  /// Decides for the agent of `code`, creating a cold one if it is not
  /// resident (the host imports evicted agents first).
  [[nodiscard]] Status decide(const char* code, std::size_t len, std::uint64_t query_id,
                              const State& state, std::uint64_t follows, Decision* out);
  /// Feedback to the resident agent of `code` (NOT_FOUND if none).
  [[nodiscard]] Status feedback(const char* code, std::size_t len, const std::uint64_t* query_ids,
                                const float* rewards, std::size_t n, std::size_t* applied,
                                std::size_t* unknown);
  /// Restores an agent from a record (replacing a resident one of the same
  /// code only if the record's version is newer: *replaced says so).
  /// With evict = false it fails with BUDGET_EXCEEDED instead of evicting.
  [[nodiscard]] Status import(const std::uint8_t* bytes, std::size_t size, bool* replaced,
                              bool evict = true);
  /// Restores n records at once, never evicting (a restore): in order, a
  /// record that does not fit what is left of the budget gets
  /// BUDGET_EXCEEDED in status[i] and changes nothing; the others are
  /// deserialised in parallel on `pool` (may be null), then made resident
  /// in order (a resident agent of the same code is replaced only by a
  /// newer version). status[i] is ELEX_OK when record i's agent is resident
  /// afterwards.
  void import_batch(const std::uint8_t* const* records, const std::size_t* sizes, std::size_t n,
                    ThreadPool* pool, Status* status);
  /// The record of a resident agent (NOT_FOUND if none), malloc'ed.
  [[nodiscard]] Status export_agent(const char* code, std::size_t len, std::uint8_t** out,
                                    std::size_t* out_size) const;
  /// Removes a resident agent without spilling it (after the host saved it).
  bool drop(const char* code, std::size_t len);
  /// Evicts agents now as a pressure round at `pressure` would.
  [[nodiscard]] std::size_t evict_round(float pressure);
  /// Hands the oldest spilled record to the caller (std::free it); false
  /// when the queue is empty.
  bool spill_pop(std::uint8_t** out, std::size_t* size);

  [[nodiscard]] const Agent* find(const char* code, std::size_t len) const;
  [[nodiscard]] std::size_t used() const { return agent_bytes_ + spill_bytes_ + external_; }
  [[nodiscard]] std::size_t budget() const { return budget_; }
  [[nodiscard]] std::size_t resident() const { return count_; }
  /// The codes of resident agents, least recently used first.
  [[nodiscard]] std::size_t lru_order(const Agent** out, std::size_t max) const;
  [[nodiscard]] StoreStats stats() const;

 private:
  struct Entry {
    Agent* agent;
    std::uint64_t key;
    std::uint64_t last_used;
    std::size_t bytes;
  };
  struct Spill {
    std::uint8_t* data;
    std::size_t size;
  };
  Entry* find_entry(const char* code, std::size_t len);
  const Entry* find_entry(const char* code, std::size_t len) const;
  [[nodiscard]] Status add_entry(Agent* a);
  void remove_entry(Entry* e);
  void touch(Entry* e) { e->last_used = ++tick_; }
  void refresh_bytes(Entry* e);
  [[nodiscard]] Status make_room(std::size_t bytes, const Agent* pin);
  /// Bytes of every resident agent but `pin`.
  [[nodiscard]] std::size_t evictable_bytes(const Agent* pin) const;
  /// Evicts LRU-first (never `pin`) until `target` bytes are freed.
  std::size_t evict(std::size_t target, const Agent* pin);
  void after_call(const Agent* pin);

  Config config_;
  std::size_t budget_;
  float high_water_ = 1.0f;  // 1 = evict only when a call does not fit
  std::size_t external_ = 0, agent_bytes_ = 0, spill_bytes_ = 0;
  // Open addressing on the code key (linear probing, at most half full,
  // backward-shift deletion); agent == nullptr marks an empty slot.
  Entry* entries_ = nullptr;
  std::size_t count_ = 0, cap_ = 0;
  [[nodiscard]] Status grow();
  Spill* spills_ = nullptr;
  std::size_t spill_head_ = 0, spill_count_ = 0, spill_cap_ = 0;
  std::uint64_t tick_ = 0;
  memory::PressureMonitor monitor_;
  std::uint64_t decisions_ = 0, updates_ = 0;
  double reward_sum_ = 0;
  std::uint64_t evictions_ = 0, evicted_bytes_ = 0, rounds_ = 0, budget_failures_ = 0;
};

}  // namespace elex::learn

#endif  // ELEX_AGENTS_H
