// elex/learn/learn.h — feature agents that learn which kind of answer works:
// a compact Q-table per agent, ε-greedy action choice, feedback applied to
// the exact decision it names, batched through the SIMD Q-update kernel.
//
// Actions (the kinds of answer an agent can give, in this order):
//   0 DirectAnswer, 1 ContextAnswer, 2 ConsultPeer, 3 RequestClarification,
//   4 Escalate.
//
// State encoding (State::key(), a 64-bit key; bits above 40 are zero, so
// UINT64_MAX is free to mark empty table slots):
//   bits 0..2   query type: 0 parameter, 1 counter, 2 kpi, 3 procedure,
//               4 troubleshoot, 5 general
//   bits 3..4   complexity: 0 simple, 1 moderate, 2 complex
//   bits 5..8   confidence bucket 0..15 (the router's confidence × 16, floored)
//   bits 9..40  a 32-bit context hash chosen by the caller (0 = no context)
//
// Policy: with probability ε a uniformly random action (explore), else the
// action with the highest Q-value. Ties go to the LOWEST action index, so a
// cold agent (all values 0) answers DirectAnswer and never drifts to
// Escalate by tie-breaking. ε starts at Config::epsilon and is multiplied by
// epsilon_decay after every applied feedback, never below epsilon_min. All
// randomness comes from a per-agent SplitMix64 stream seeded from
// Config::seed and the agent's code, so identical runs decide identically.
//
// Learning: decide() records (query id, state, action) in a bounded
// trajectory ring. feedback(query id, reward ∈ [−1, 1]) finds that entry and
// queues the update Q(s,a) ← Q(s,a) + α (r + γ max Q(s') − Q(s,a)), where s'
// is the state of the decision recorded as following it (decide(...,
// follows = that query id)), or terminal (max Q(s') = 0) when none does.
// A feedback call that rewards at least one pending decision first replays
// replay_batch experiences drawn uniformly, with replacement, from a
// bounded replay buffer, as one kernel batch (an experience drawn twice is
// applied twice, in order: with few experiences kept, the same one is
// replayed several times), then applies all its entries as a second batch,
// so that the fresh rewards are applied last. Each query id takes feedback
// once.
//
// Confidence of a decision, in [0, 1]: how much the agent's own experience
// backs the action it chose,
//   confidence = n / (n + 4) × (0.5 + 0.5 × min(1, (Q₁ − Q₂) / 0.5))
// where n is how often feedback reached this state and Q₁, Q₂ are its two
// highest values. 0 for a state never rewarded; at most 0.5·n/(n+4) while
// the top two actions tie; near 1 after many visits with a clear winner.
// An explored (random) decision reports the same formula for the action it
// took (Q₁ replaced by that action's value, clamped at 0 spread).
#ifndef ELEX_LEARN_H
#define ELEX_LEARN_H

#include <cstddef>
#include <cstdint>

#include "elex/core/status.h"

namespace elex::learn {

inline constexpr unsigned kActions = 5;
inline constexpr unsigned kQueryTypes = 6;
inline constexpr unsigned kComplexities = 3;
inline constexpr unsigned kConfidenceBuckets = 16;
inline constexpr std::uint64_t kEmptyKey = ~std::uint64_t(0);
/// Longest feature code an agent accepts (bytes).
inline constexpr std::size_t kMaxCodeBytes = 255;

/// The kinds of answer an agent can give, in index order.
/// @ts AGENT_ACTION names
enum class Action : std::uint8_t {
  DirectAnswer = 0,
  ContextAnswer = 1,
  ConsultPeer = 2,
  RequestClarification = 3,
  Escalate = 4,
};

/// Question types of the state encoding (State::type), in index order.
/// @ts QUERY_TYPE
enum class QueryType : std::uint8_t {
  Parameter = 0,     ///< `parameter`
  Counter = 1,       ///< `counter`
  Kpi = 2,           ///< `kpi`
  Procedure = 3,     ///< `procedure`
  Troubleshoot = 4,  ///< `troubleshoot`
  General = 5,       ///< `general`
};
static_assert(unsigned(QueryType::General) + 1 == kQueryTypes);

/// Question complexities of the state encoding (State::complexity), in index order.
/// @ts COMPLEXITY
enum class Complexity : std::uint8_t {
  Simple = 0,    ///< `simple`
  Moderate = 1,  ///< `moderate`
  Complex = 2,   ///< `complex`
};
static_assert(unsigned(Complexity::Complex) + 1 == kComplexities);

struct State {
  std::uint32_t type = std::uint32_t(QueryType::General);
  std::uint32_t complexity = 0;
  std::uint32_t confidence_bucket = 0;
  std::uint32_t context = 0;

  [[nodiscard]] Status check() const;
  [[nodiscard]] std::uint64_t key() const {
    return std::uint64_t(type) | std::uint64_t(complexity) << 3 |
           std::uint64_t(confidence_bucket) << 5 | std::uint64_t(context) << 9;
  }
};

struct Config {
  float alpha = 0.1f;
  float gamma = 0.95f;
  float epsilon = 0.1f;
  float epsilon_min = 0.01f;
  float epsilon_decay = 0.995f;
  std::uint32_t trajectory = 256;  ///< decisions remembered for feedback
  std::uint32_t replay = 256;      ///< experiences kept for replay
  std::uint32_t replay_batch = 8;  ///< experiences replayed per feedback call
  std::uint32_t max_states = 1u << 16;
  std::uint64_t seed = 0x454c4558u;

  /// INVALID_ARGUMENT unless 0 < α ≤ 1, 0 ≤ γ ≤ 1, 0 ≤ ε_min ≤ ε ≤ 1,
  /// 0 < decay ≤ 1, 1 ≤ trajectory, replay ≤ 1<<20, replay_batch ≤ replay,
  /// 16 ≤ max_states ≤ 1<<24.
  [[nodiscard]] Status check() const;
};

/// Open-addressed Q-table: state key → 5 action values and a visit count.
/// Linear probing over a power-of-two capacity, at most 70 % full; bytes()
/// is what it has allocated. Structure-of-arrays so a state's 5 values are
/// contiguous.
class QTable {
 public:
  QTable() = default;
  QTable(const QTable&) = delete;
  QTable& operator=(const QTable&) = delete;
  ~QTable();

  /// The slot holding `key`, or -1.
  [[nodiscard]] std::int64_t find(std::uint64_t key) const;
  /// The slot of `key`, inserting it (values 0, visits 0) if missing.
  /// Grows when needed: OUT_OF_MEMORY if that fails, BUDGET_EXCEEDED when
  /// the table already holds `max_states` states.
  [[nodiscard]] Status insert(std::uint64_t key, std::uint32_t max_states, std::int64_t* slot);
  /// Allocates room for `states` states (+1) without growing later.
  [[nodiscard]] Status reserve(std::size_t states);
  /// Bytes the table would allocate to hold one more state than now (0 if
  /// no growth is needed).
  [[nodiscard]] std::size_t growth_bytes() const;

  float* values(std::int64_t slot) { return q_ + std::size_t(slot) * kActions; }
  const float* values(std::int64_t slot) const { return q_ + std::size_t(slot) * kActions; }
  std::uint32_t& visits(std::int64_t slot) { return visits_[slot]; }
  std::uint32_t visits(std::int64_t slot) const { return visits_[slot]; }
  std::uint64_t key_at(std::size_t slot) const { return keys_[slot]; }
  std::size_t capacity() const { return cap_; }
  std::size_t size() const { return size_; }
  std::size_t bytes() const { return cap_ * kSlotBytes; }

  static constexpr std::size_t kSlotBytes =
      sizeof(std::uint64_t) + kActions * sizeof(float) + sizeof(std::uint32_t);

 private:
  [[nodiscard]] Status rehash(std::size_t cap);
  std::uint64_t* keys_ = nullptr;
  float* q_ = nullptr;
  std::uint32_t* visits_ = nullptr;
  std::size_t cap_ = 0, size_ = 0;
};

struct Decision {
  Action action = Action::DirectAnswer;
  float confidence = 0;
  bool explored = false;
};

/// What an agent reports about itself.
struct AgentStats {
  std::size_t states = 0;
  std::size_t bytes = 0;
  std::uint64_t decisions = 0;
  std::uint64_t updates = 0;
  double reward_sum = 0;
  float epsilon = 0;
  std::uint64_t version = 0;  ///< bumped by every change to learned state
};

class Agent {
 public:
  /// A cold agent for feature `code` (1..kMaxCodeBytes bytes).
  [[nodiscard]] static Status create(const Config& config, const char* code, std::size_t code_len,
                                     Agent** out);
  /// An agent from a record written by serialize(); damaged records give
  /// CORRUPT_DATA, never a crash, and never read outside [bytes, bytes+size).
  [[nodiscard]] static Status deserialize(const std::uint8_t* bytes, std::size_t size, Agent** out);
  /// Reads a record's header only: the bytes the agent will hold once
  /// deserialised, its code (a view into `bytes`) and its version.
  [[nodiscard]] static Status peek(const std::uint8_t* bytes, std::size_t size,
                                   std::size_t* live_bytes, const std::uint8_t** code,
                                   std::size_t* code_len, std::uint64_t* version);
  /// Takes the learning settings of `config` (an agent restored into an
  /// engine configured since it was saved): alpha, gamma, the exploration
  /// schedule (its current ε clamped into [epsilon_min, epsilon]) and
  /// replay_batch (at most its replay size). Its learned values, buffers
  /// (trajectory, replay, max_states) and random stream stay as they are.
  /// `config` must pass check().
  void adopt(const Config& config);
  /// Bytes a new agent with `config` holds.
  [[nodiscard]] static std::size_t initial_bytes(const Config& config);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  /// Picks an action for `state` and records it as query `query_id` (which
  /// must not be in the trajectory already: DUPLICATE_ID). `follows` (0 =
  /// none) names an earlier decision this one continues: its next state.
  /// It must be a decision in this agent's trajectory, else NOT_FOUND
  /// (nothing changes).
  [[nodiscard]] Status decide(std::uint64_t query_id, const State& state, std::uint64_t follows,
                              Decision* out);
  /// Applies rewards to the decisions named (see the header comment).
  /// Rewards must be finite and in [−1, 1] (INVALID_ARGUMENT, nothing
  /// applied). Ids not in the trajectory (never decided, overwritten, or
  /// already rewarded) are skipped and counted in *unknown.
  [[nodiscard]] Status feedback(const std::uint64_t* query_ids, const float* rewards, std::size_t n,
                                std::size_t* applied, std::size_t* unknown);
  /// Q-values of `state` (zeros for an unseen state) and its visit count.
  void values(const State& state, float out[kActions], std::uint32_t* visits) const;
  /// True if query_id is in this agent's trajectory and not yet rewarded.
  [[nodiscard]] bool pending(std::uint64_t query_id) const;

  /// Bytes of learned state plus buffers (what eviction frees).
  [[nodiscard]] std::size_t bytes() const;
  /// Bytes a decision on `state` may allocate (Q-table growth).
  [[nodiscard]] std::size_t decide_growth(const State& state) const;
  [[nodiscard]] AgentStats stats() const;
  [[nodiscard]] const char* code() const { return code_; }
  [[nodiscard]] std::size_t code_len() const { return code_len_; }
  [[nodiscard]] const Config& config() const { return config_; }

  /// A self-contained record of the agent (layout in learn.cpp), in a new
  /// malloc'ed buffer freed with std::free.
  [[nodiscard]] Status serialize(std::uint8_t** out, std::size_t* out_size) const;
  /// At least the bytes write_record() writes.
  [[nodiscard]] std::size_t record_bound() const;
  /// Writes the record serialize() gives at `p` (record_bound() bytes
  /// available); returns its length.
  std::size_t write_record(std::uint8_t* p) const;

 private:
  Agent() = default;
  struct Step;
  struct Experience;
  [[nodiscard]] Status alloc_buffers();
  [[nodiscard]] std::uint64_t next_random();
  float confidence_of(std::int64_t slot, unsigned action) const;
  Step* find_step(std::uint64_t query_id);
  const Step* find_step(std::uint64_t query_id) const;

  Config config_;
  char code_[kMaxCodeBytes + 1] = {};
  std::size_t code_len_ = 0;
  QTable table_;
  Step* steps_ = nullptr;  // trajectory ring
  std::uint32_t step_head_ = 0, step_count_ = 0;
  Experience* replay_ = nullptr;
  std::uint32_t replay_head_ = 0, replay_count_ = 0;
  float epsilon_ = 0;
  std::uint64_t rng_ = 0;
  std::uint64_t decisions_ = 0, updates_ = 0, version_ = 0;
  double reward_sum_ = 0;
};

/// FNV-1a 64 of a feature code: the key agents are stored under.
std::uint64_t code_key(const char* code, std::size_t len);

}  // namespace elex::learn

#endif  // ELEX_LEARN_H
