// Feature agents: Q-table, policy, feedback and the agent record (learn.h).
//
// Agent record (all little-endian, no padding). Both versions share a head:
//   u32 record version (1 or 2)
//   u16 code length L, L bytes code
//   f32 alpha, gamma, epsilon0, epsilon_min, epsilon_decay
//   u32 trajectory, replay, replay_batch, max_states; u64 seed
//   f32 epsilon; u64 rng, decisions, updates, version; f64 reward_sum
//   u32 S
// Version 2 (written now; v = unsigned LEB128 varint, at most 10 bytes):
//   S × { v key, v visits, u8 mask, popcount(mask) × f32 q }   q[b] is stored when
//        bit b of mask is set, else it is +0.0 (a state's untried actions are 0)
//   v R; R × { v key, u8 action | has_next << 3, [v next_key if has_next], f32 reward }
//   v T; T × { v query id − previous query id (zigzag), v key, u8 action | flags << 3,
//              [v next_key if flags has kHasNext] }   decisions not yet rewarded only
// Version 1 (still read):
//   S × { u64 key, u32 visits, f32 q[5] }
//   u32 R; R × { u64 key, u64 next_key, u8 action, u8 has_next, f32 reward }
//   u32 T; T × { u64 query id, u64 key, u64 next_key, u8 action, u8 flags }
// Replay and trajectory entries are oldest first. Nothing follows the
// record. The container around it (format.h) carries the CRC.
#include "elex/learn/learn.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>

#include "elex/learn/qupdate.h"

namespace elex::learn {

namespace {

constexpr std::uint32_t kRecordVersion = 2;  // written; 1 is still read
constexpr std::uint8_t kHasNext = 1, kRewarded = 2;
constexpr float kConfidenceVisits = 4.0f;
constexpr float kConfidenceSpread = 0.5f;
constexpr unsigned kChunk = 64;

std::uint64_t splitmix(std::uint64_t* s) {
  std::uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

std::uint64_t mix_key(std::uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  return k;
}

bool valid_key(std::uint64_t key) {
  return (key >> 41) == 0 && (key & 7) < kQueryTypes && ((key >> 3) & 3) < kComplexities;
}

/// Bounds-checked little-endian reader over a record.
struct Cursor {
  const std::uint8_t* p;
  const std::uint8_t* end;
  bool ok = true;
  template <class T>
  T get() {
    T v{};
    if (!ok || std::size_t(end - p) < sizeof(T)) {
      ok = false;
      return v;
    }
    std::memcpy(&v, p, sizeof(T));
    p += sizeof(T);
    return v;
  }
  const std::uint8_t* take(std::size_t n) {
    if (!ok || std::size_t(end - p) < n) {
      ok = false;
      return nullptr;
    }
    const std::uint8_t* r = p;
    p += n;
    return r;
  }
};

struct Writer {
  std::uint8_t* p;
  template <class T>
  void put(T v) {
    std::memcpy(p, &v, sizeof(T));
    p += sizeof(T);
  }
  void varint(std::uint64_t v) {
    while (v >= 0x80) {
      *p++ = std::uint8_t(v | 0x80);
      v >>= 7;
    }
    *p++ = std::uint8_t(v);
  }
};

/// An unsigned LEB128 varint of at most 10 bytes; a longer or truncated
/// one clears c.ok.
std::uint64_t get_varint(Cursor& c) {
  std::uint64_t v = 0;
  for (unsigned shift = 0; shift < 70; shift += 7) {
    if (!c.ok || c.p == c.end) break;
    const std::uint8_t b = *c.p++;
    if (shift == 63 && b > 1) break;  // more than 64 bits
    v |= std::uint64_t(b & 0x7f) << shift;
    if (b < 0x80) return v;
  }
  c.ok = false;
  return 0;
}

constexpr std::uint64_t zigzag(std::int64_t v) {
  return (std::uint64_t(v) << 1) ^ std::uint64_t(v >> 63);
}
constexpr std::int64_t unzigzag(std::uint64_t v) {
  return std::int64_t(v >> 1) ^ -std::int64_t(v & 1);
}

}  // namespace

std::uint64_t code_key(const char* code, std::size_t len) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::size_t i = 0; i < len; ++i) h = (h ^ std::uint8_t(code[i])) * 0x100000001b3ull;
  return h;
}

Status State::check() const {
  if (type >= kQueryTypes)
    return fail(ELEX_E_INVALID_ARGUMENT, "query type %u is outside 0..%u", type, kQueryTypes - 1);
  if (complexity >= kComplexities)
    return fail(ELEX_E_INVALID_ARGUMENT, "complexity %u is outside 0..%u", complexity,
                kComplexities - 1);
  if (confidence_bucket >= kConfidenceBuckets)
    return fail(ELEX_E_INVALID_ARGUMENT, "confidence bucket %u is outside 0..%u", confidence_bucket,
                kConfidenceBuckets - 1);
  return ELEX_OK;
}

Status Config::check() const {
  const bool fin = std::isfinite(alpha) && std::isfinite(gamma) && std::isfinite(epsilon) &&
                   std::isfinite(epsilon_min) && std::isfinite(epsilon_decay);
  if (!fin || !(alpha > 0 && alpha <= 1) || !(gamma >= 0 && gamma <= 1))
    return fail(ELEX_E_INVALID_ARGUMENT, "learning rate must be in (0, 1] and discount in [0, 1]");
  if (!(epsilon_min >= 0 && epsilon_min <= epsilon && epsilon <= 1))
    return fail(ELEX_E_INVALID_ARGUMENT,
                "exploration must satisfy 0 <= epsilonMin <= epsilon <= 1");
  if (!(epsilon_decay > 0 && epsilon_decay <= 1))
    return fail(ELEX_E_INVALID_ARGUMENT, "epsilon decay must be in (0, 1]");
  if (trajectory < 1 || trajectory > (1u << 20) || replay < 1 || replay > (1u << 20) ||
      replay_batch > replay)
    return fail(ELEX_E_INVALID_ARGUMENT,
                "trajectory and replay must be 1..2^20 and replayBatch at most replay");
  if (max_states < 16 || max_states > (1u << 24))
    return fail(ELEX_E_INVALID_ARGUMENT, "maxStates must be 16..2^24");
  return ELEX_OK;
}

// ------------------------------------------------------------------ QTable

QTable::~QTable() {
  std::free(keys_);
  std::free(q_);
  std::free(visits_);
}

std::int64_t QTable::find(std::uint64_t key) const {
  if (cap_ == 0) return -1;
  const std::size_t mask = cap_ - 1;
  for (std::size_t i = mix_key(key) & mask;; i = (i + 1) & mask) {
    if (keys_[i] == key) return std::int64_t(i);
    if (keys_[i] == kEmptyKey) return -1;
  }
}

std::size_t QTable::growth_bytes() const {
  if (cap_ == 0) return 16 * kSlotBytes;
  if ((size_ + 1) * 10 > cap_ * 7) return cap_ * 2 * kSlotBytes;  // new arrays, old freed after
  return 0;
}

Status QTable::rehash(std::size_t cap) {
  auto* keys = static_cast<std::uint64_t*>(std::malloc(cap * sizeof(std::uint64_t)));
  auto* q = static_cast<float*>(std::calloc(cap * kActions, sizeof(float)));
  auto* visits = static_cast<std::uint32_t*>(std::calloc(cap, sizeof(std::uint32_t)));
  if (!keys || !q || !visits) {
    std::free(keys);
    std::free(q);
    std::free(visits);
    return fail(ELEX_E_OUT_OF_MEMORY, "could not grow a Q-table to %zu states", cap);
  }
  for (std::size_t i = 0; i < cap; ++i) keys[i] = kEmptyKey;
  const std::size_t mask = cap - 1;
  for (std::size_t s = 0; s < cap_; ++s) {
    if (keys_[s] == kEmptyKey) continue;
    std::size_t i = mix_key(keys_[s]) & mask;
    while (keys[i] != kEmptyKey) i = (i + 1) & mask;
    keys[i] = keys_[s];
    visits[i] = visits_[s];
    std::memcpy(q + i * kActions, q_ + s * kActions, kActions * sizeof(float));
  }
  std::free(keys_);
  std::free(q_);
  std::free(visits_);
  keys_ = keys;
  q_ = q;
  visits_ = visits;
  cap_ = cap;
  return ELEX_OK;
}

Status QTable::reserve(std::size_t states) {
  std::size_t cap = cap_ == 0 ? 16 : cap_;
  while ((states + 1) * 10 > cap * 7) cap *= 2;
  return cap == cap_ ? ELEX_OK : rehash(cap);
}

Status QTable::insert(std::uint64_t key, std::uint32_t max_states, std::int64_t* slot) {
  if (std::int64_t s = find(key); s >= 0) {
    *slot = s;
    return ELEX_OK;
  }
  if (size_ >= max_states)
    return fail(ELEX_E_BUDGET_EXCEEDED, "the Q-table already holds its maximum of %u states",
                max_states);
  if (cap_ == 0 || (size_ + 1) * 10 > cap_ * 7)
    if (Status st = rehash(cap_ == 0 ? 16 : cap_ * 2); st != ELEX_OK) return st;
  const std::size_t mask = cap_ - 1;
  std::size_t i = mix_key(key) & mask;
  while (keys_[i] != kEmptyKey) i = (i + 1) & mask;
  keys_[i] = key;
  ++size_;
  *slot = std::int64_t(i);
  return ELEX_OK;
}

// ------------------------------------------------------------------- Agent

struct Agent::Step {
  std::uint64_t query_id;
  std::uint64_t key;
  std::uint64_t next_key;
  std::uint8_t action;
  std::uint8_t flags;
};

struct Agent::Experience {
  std::uint64_t key;
  std::uint64_t next_key;
  float reward;
  std::uint8_t action;
  std::uint8_t has_next;
};

Agent::~Agent() {
  std::free(steps_);
  std::free(replay_);
}

Status Agent::alloc_buffers() {
  steps_ = static_cast<Step*>(std::calloc(config_.trajectory, sizeof(Step)));
  replay_ = static_cast<Experience*>(std::calloc(config_.replay, sizeof(Experience)));
  if (!steps_ || !replay_) return fail(ELEX_E_OUT_OF_MEMORY, "could not allocate agent buffers");
  return ELEX_OK;
}

std::size_t Agent::initial_bytes(const Config& c) {
  return sizeof(Agent) + std::size_t(c.trajectory) * sizeof(Step) +
         std::size_t(c.replay) * sizeof(Experience) + 16 * QTable::kSlotBytes;
}

Status Agent::create(const Config& config, const char* code, std::size_t code_len, Agent** out) {
  if (out == nullptr) return fail(ELEX_E_INVALID_ARGUMENT, "agent output pointer is null");
  *out = nullptr;
  if (Status s = config.check(); s != ELEX_OK) return s;
  if (code == nullptr || code_len == 0 || code_len > kMaxCodeBytes)
    return fail(ELEX_E_INVALID_ARGUMENT, "a feature code must be 1..%zu bytes, got %zu",
                kMaxCodeBytes, code_len);
  auto* a = new (std::nothrow) Agent();
  if (a == nullptr) return fail(ELEX_E_OUT_OF_MEMORY, "could not allocate an agent");
  a->config_ = config;
  std::memcpy(a->code_, code, code_len);
  a->code_len_ = code_len;
  a->epsilon_ = config.epsilon;
  a->rng_ = config.seed ^ code_key(code, code_len);
  if (Status s = a->alloc_buffers(); s != ELEX_OK) {
    delete a;
    return s;
  }
  // Allocate the first table block now, so initial_bytes() is exact.
  if (Status s = a->table_.reserve(0); s != ELEX_OK) {
    delete a;
    return s;
  }
  *out = a;
  return ELEX_OK;
}

void Agent::adopt(const Config& c) {
  config_.alpha = c.alpha;
  config_.gamma = c.gamma;
  config_.epsilon = c.epsilon;
  config_.epsilon_min = c.epsilon_min;
  config_.epsilon_decay = c.epsilon_decay;
  config_.replay_batch = c.replay_batch < config_.replay ? c.replay_batch : config_.replay;
  if (epsilon_ > c.epsilon) epsilon_ = c.epsilon;
  if (epsilon_ < c.epsilon_min) epsilon_ = c.epsilon_min;
}

std::uint64_t Agent::next_random() { return splitmix(&rng_); }

Agent::Step* Agent::find_step(std::uint64_t query_id) {
  const std::uint32_t cap = config_.trajectory;
  for (std::uint32_t i = 0; i < step_count_; ++i) {
    Step& s = steps_[(step_head_ + cap - 1 - i) % cap];  // newest first
    if (s.query_id == query_id) return &s;
  }
  return nullptr;
}

const Agent::Step* Agent::find_step(std::uint64_t query_id) const {
  return const_cast<Agent*>(this)->find_step(query_id);
}

bool Agent::pending(std::uint64_t query_id) const {
  const Step* s = find_step(query_id);
  return s != nullptr && !(s->flags & kRewarded);
}

float Agent::confidence_of(std::int64_t slot, unsigned action) const {
  if (slot < 0) return 0;
  const float* q = table_.values(slot);
  float other = -INFINITY;
  for (unsigned b = 0; b < kActions; ++b)
    if (b != action && q[b] > other) other = q[b];
  const float n = float(table_.visits(slot));
  float spread = (q[action] - other) / kConfidenceSpread;
  spread = spread < 0 ? 0 : (spread > 1 ? 1 : spread);
  return n / (n + kConfidenceVisits) * (0.5f + 0.5f * spread);
}

std::size_t Agent::decide_growth(const State& state) const {
  return table_.find(state.key()) >= 0 ? 0 : table_.growth_bytes();
}

Status Agent::decide(std::uint64_t query_id, const State& state, std::uint64_t follows,
                     Decision* out) {
  if (out == nullptr) return fail(ELEX_E_INVALID_ARGUMENT, "decision output pointer is null");
  if (Status s = state.check(); s != ELEX_OK) return s;
  if (find_step(query_id) != nullptr)
    return fail(ELEX_E_DUPLICATE_ID,
                "query id %llu already names a decision of this agent; give each decision its "
                "own id",
                static_cast<unsigned long long>(query_id));
  Step* prev = nullptr;
  if (follows != 0) {
    prev = find_step(follows);
    if (prev == nullptr)
      return fail(ELEX_E_NOT_FOUND,
                  "follows names query id %llu, which is no decision of this agent (another "
                  "feature's, or older than its trajectory)",
                  static_cast<unsigned long long>(follows));
  }
  const std::uint64_t key = state.key();
  std::int64_t slot;
  if (Status s = table_.insert(key, config_.max_states, &slot); s != ELEX_OK) return s;
  const float* q = table_.values(slot);
  unsigned action = 0;
  const std::uint64_t r = next_random();
  const bool explore = float(r >> 40) * 0x1.0p-24f < epsilon_;
  if (explore) {
    action = unsigned(((next_random() >> 32) * kActions) >> 32);
  } else {
    for (unsigned b = 1; b < kActions; ++b)
      if (q[b] > q[action]) action = b;  // strict: ties keep the lowest index
  }
  if (prev != nullptr) {
    prev->next_key = key;
    prev->flags |= kHasNext;
  }
  Step& st = steps_[step_head_];
  st = Step{query_id, key, 0, std::uint8_t(action), 0};
  step_head_ = (step_head_ + 1) % config_.trajectory;
  if (step_count_ < config_.trajectory) ++step_count_;
  ++decisions_;
  ++version_;
  out->action = Action(action);
  out->explored = explore;
  out->confidence = confidence_of(slot, action);
  return ELEX_OK;
}

Status Agent::feedback(const std::uint64_t* query_ids, const float* rewards, std::size_t n,
                       std::size_t* applied, std::size_t* unknown) {
  if (applied) *applied = 0;
  if (unknown) *unknown = 0;
  if (n == 0) return ELEX_OK;
  if (query_ids == nullptr || rewards == nullptr)
    return fail(ELEX_E_INVALID_ARGUMENT, "null query id or reward array");
  for (std::size_t i = 0; i < n; ++i)
    if (!(rewards[i] >= -1.0f && rewards[i] <= 1.0f))
      return fail(ELEX_E_INVALID_ARGUMENT, "reward %zu is %g; rewards must be in [-1, 1]", i,
                  double(rewards[i]));

  float qv[kChunk], rv[kChunk], nv[kChunk];
  std::int64_t slots[kChunk];
  unsigned acts[kChunk];
  unsigned m = 0;
  const auto max_of = [&](std::uint64_t key) {
    const std::int64_t s = table_.find(key);
    if (s < 0) return 0.0f;
    const float* q = table_.values(s);
    float best = q[0];
    for (unsigned b = 1; b < kActions; ++b) best = q[b] > best ? q[b] : best;
    return best;
  };
  const auto flush = [&] {
    if (m == 0) return;
    qupdate::update(qv, rv, nv, m, config_.alpha, config_.gamma);
    for (unsigned j = 0; j < m; ++j) table_.values(slots[j])[acts[j]] = qv[j];
    m = 0;
  };
  const auto queue = [&](std::int64_t slot, unsigned a, float r, float next) {
    for (unsigned j = 0; j < m; ++j)
      if (slots[j] == slot && acts[j] == a) {
        flush();  // the same (s, a) twice in one batch: apply in order
        break;
      }
    slots[m] = slot;
    acts[m] = a;
    qv[m] = table_.values(slot)[a];
    rv[m] = r;
    nv[m] = next;
    if (++m == kChunk) flush();
  };

  // Replay first (a batch of past experiences), so that this call's fresh
  // rewards are applied last and never overwritten.
  std::size_t fresh = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const Step* s = find_step(query_ids[i]);
    if (s != nullptr && !(s->flags & kRewarded)) ++fresh;
  }
  if (fresh > 0 && replay_count_ > 0) {
    for (std::uint32_t j = 0; j < config_.replay_batch; ++j) {
      const std::uint32_t pick =
          std::uint32_t(((next_random() >> 32) * std::uint64_t(replay_count_)) >> 32);
      const Experience& e =
          replay_[(replay_head_ + config_.replay - replay_count_ + pick) % config_.replay];
      const std::int64_t slot = table_.find(e.key);
      if (slot < 0) continue;
      queue(slot, e.action, e.reward, e.has_next ? max_of(e.next_key) : 0.0f);
    }
    flush();
  }

  std::size_t done = 0, missing = 0;
  for (std::size_t i = 0; i < n; ++i) {
    Step* s = find_step(query_ids[i]);
    if (s == nullptr || (s->flags & kRewarded)) {
      ++missing;
      continue;
    }
    const std::int64_t slot = table_.find(s->key);
    if (slot < 0) {  // cannot happen: decide() inserted the state
      ++missing;
      continue;
    }
    const bool has_next = (s->flags & kHasNext) != 0;
    queue(slot, s->action, rewards[i], has_next ? max_of(s->next_key) : 0.0f);
    s->flags |= kRewarded;
    ++table_.visits(slot);
    Experience& e = replay_[replay_head_];
    e = Experience{s->key, s->next_key, rewards[i], s->action, std::uint8_t(has_next)};
    replay_head_ = (replay_head_ + 1) % config_.replay;
    if (replay_count_ < config_.replay) ++replay_count_;
    reward_sum_ += rewards[i];
    ++updates_;
    ++done;
    epsilon_ = epsilon_ * config_.epsilon_decay;
    if (epsilon_ < config_.epsilon_min) epsilon_ = config_.epsilon_min;
  }
  flush();
  if (done > 0) ++version_;
  if (applied) *applied = done;
  if (unknown) *unknown = missing;
  return ELEX_OK;
}

void Agent::values(const State& state, float out[kActions], std::uint32_t* visits) const {
  const std::int64_t s = table_.find(state.key());
  for (unsigned b = 0; b < kActions; ++b) out[b] = s >= 0 ? table_.values(s)[b] : 0.0f;
  if (visits) *visits = s >= 0 ? table_.visits(s) : 0;
}

std::size_t Agent::bytes() const {
  return sizeof(Agent) + std::size_t(config_.trajectory) * sizeof(Step) +
         std::size_t(config_.replay) * sizeof(Experience) + table_.bytes();
}

AgentStats Agent::stats() const {
  AgentStats st;
  st.states = table_.size();
  st.bytes = bytes();
  st.decisions = decisions_;
  st.updates = updates_;
  st.reward_sum = reward_sum_;
  st.epsilon = epsilon_;
  st.version = version_;
  return st;
}

// ------------------------------------------------------------ the record

namespace {
// Version 1 entry sizes, and the smallest version 2 ones (for early truncation checks).
constexpr std::size_t kStateRecord = 8 + 4 + 4 * kActions;
constexpr std::size_t kReplayRecord = 8 + 8 + 1 + 1 + 4;
constexpr std::size_t kStepRecord = 8 + 8 + 8 + 1 + 1;
constexpr std::size_t kMinState2 = 3, kMinReplay2 = 6, kMinStep2 = 3;
}  // namespace

std::size_t Agent::record_bound() const {
  // Every varint at its longest (10 bytes).
  return 4 + 2 + code_len_ + 5 * 4 + 4 * 4 + 8 + 4 + 8 * 4 + 8 + 4 +
         table_.size() * (10 + 10 + 1 + 4 * kActions) + 10 + replay_count_ * (10 + 1 + 10 + 4) +
         10 + step_count_ * (10 + 10 + 1 + 10);
}

Status Agent::serialize(std::uint8_t** out, std::size_t* out_size) const {
  if (out == nullptr || out_size == nullptr)
    return fail(ELEX_E_INVALID_ARGUMENT, "null output pointer");
  *out = nullptr;
  *out_size = 0;
  auto* buf = static_cast<std::uint8_t*>(std::malloc(record_bound()));
  if (buf == nullptr) return fail(ELEX_E_OUT_OF_MEMORY, "could not allocate an agent record");
  const std::size_t size = write_record(buf);
  // Give back the slack of the bound (keep buf if shrinking fails).
  if (auto* shrunk = static_cast<std::uint8_t*>(std::realloc(buf, size ? size : 1))) buf = shrunk;
  *out = buf;
  *out_size = size;
  return ELEX_OK;
}

std::size_t Agent::write_record(std::uint8_t* const buf) const {
  Writer w{buf};
  w.put<std::uint32_t>(kRecordVersion);
  w.put<std::uint16_t>(std::uint16_t(code_len_));
  std::memcpy(w.p, code_, code_len_);
  w.p += code_len_;
  w.put(config_.alpha);
  w.put(config_.gamma);
  w.put(config_.epsilon);
  w.put(config_.epsilon_min);
  w.put(config_.epsilon_decay);
  w.put(config_.trajectory);
  w.put(config_.replay);
  w.put(config_.replay_batch);
  w.put(config_.max_states);
  w.put(config_.seed);
  w.put(epsilon_);
  w.put(rng_);
  w.put(decisions_);
  w.put(updates_);
  w.put(version_);
  w.put(reward_sum_);
  w.put<std::uint32_t>(std::uint32_t(table_.size()));
  for (std::size_t s = 0; s < table_.capacity(); ++s) {
    const std::uint64_t key = table_.key_at(s);
    if (key == kEmptyKey) continue;
    w.varint(key);
    w.varint(table_.visits(std::int64_t(s)));
    const float* q = table_.values(std::int64_t(s));
    std::uint8_t* mask = w.p++;
    *mask = 0;
    for (unsigned b = 0; b < kActions; ++b) {
      std::uint32_t bits;
      std::memcpy(&bits, q + b, 4);
      if (bits == 0) continue;  // +0.0 exactly; -0.0 is stored
      *mask = std::uint8_t(*mask | (1u << b));
      w.put(bits);
    }
  }
  w.varint(replay_count_);
  for (std::uint32_t i = 0; i < replay_count_; ++i) {
    const Experience& e =
        replay_[(replay_head_ + config_.replay - replay_count_ + i) % config_.replay];
    w.varint(e.key);
    w.put<std::uint8_t>(std::uint8_t(e.action | (e.has_next ? 8 : 0)));
    if (e.has_next) w.varint(e.next_key);
    w.put(e.reward);
  }
  // Only decisions still waiting for feedback: a rewarded one can take no
  // more feedback (a second one is reported unknown, as for an id never
  // seen) and a later `follows` of it changes nothing.
  const auto step_at = [&](std::uint32_t i) -> const Step& {
    return steps_[(step_head_ + config_.trajectory - step_count_ + i) % config_.trajectory];
  };
  std::uint32_t pending = 0;
  for (std::uint32_t i = 0; i < step_count_; ++i) pending += !(step_at(i).flags & kRewarded);
  w.varint(pending);
  std::uint64_t prev = 0;
  for (std::uint32_t i = 0; i < step_count_; ++i) {
    const Step& s = step_at(i);
    if (s.flags & kRewarded) continue;
    w.varint(zigzag(std::int64_t(s.query_id - prev)));
    prev = s.query_id;
    w.varint(s.key);
    w.put<std::uint8_t>(std::uint8_t(s.action | (s.flags << 3)));
    if (s.flags & kHasNext) w.varint(s.next_key);
  }
  return std::size_t(w.p - buf);
}

namespace {

/// The record up to (and including) the state count.
struct Head {
  Config cfg;
  const std::uint8_t* code = nullptr;
  std::size_t code_len = 0;
  float eps = 0;
  std::uint64_t rng = 0, decisions = 0, updates = 0, version = 0;
  double reward_sum = 0;
  std::uint32_t states = 0;
  std::uint32_t format = 0;  // record version
};

Status read_head(Cursor& c, Head* h) {
  h->format = c.get<std::uint32_t>();
  if (!c.ok || h->format < 1 || h->format > kRecordVersion)
    return fail(ELEX_E_UNSUPPORTED_VERSION, "agent record of an unknown version");
  h->code_len = c.get<std::uint16_t>();
  h->code = c.take(h->code_len);
  Config& cfg = h->cfg;
  cfg.alpha = c.get<float>();
  cfg.gamma = c.get<float>();
  cfg.epsilon = c.get<float>();
  cfg.epsilon_min = c.get<float>();
  cfg.epsilon_decay = c.get<float>();
  cfg.trajectory = c.get<std::uint32_t>();
  cfg.replay = c.get<std::uint32_t>();
  cfg.replay_batch = c.get<std::uint32_t>();
  cfg.max_states = c.get<std::uint32_t>();
  cfg.seed = c.get<std::uint64_t>();
  h->eps = c.get<float>();
  h->rng = c.get<std::uint64_t>();
  h->decisions = c.get<std::uint64_t>();
  h->updates = c.get<std::uint64_t>();
  h->version = c.get<std::uint64_t>();
  h->reward_sum = c.get<double>();
  h->states = c.get<std::uint32_t>();
  if (!c.ok) return fail(ELEX_E_CORRUPT_DATA, "agent record is truncated in its header");
  if (h->code_len == 0 || h->code_len > kMaxCodeBytes)
    return fail(ELEX_E_CORRUPT_DATA, "agent record has a bad code length %zu", h->code_len);
  if (cfg.check() != ELEX_OK)
    return fail(ELEX_E_CORRUPT_DATA, "agent record has an invalid learning configuration");
  if (!(h->eps >= 0 && h->eps <= 1) || !std::isfinite(h->reward_sum))
    return fail(ELEX_E_CORRUPT_DATA, "agent record has an invalid epsilon or reward sum");
  if (h->states > cfg.max_states)
    return fail(ELEX_E_CORRUPT_DATA, "agent record holds %u states, more than its maximum %u",
                h->states, cfg.max_states);
  return ELEX_OK;
}

std::size_t table_bytes_for(std::uint32_t states) {
  std::size_t cap = 16;
  while ((std::size_t(states) + 1) * 10 > cap * 7) cap *= 2;
  return cap * QTable::kSlotBytes;
}

}  // namespace

Status Agent::peek(const std::uint8_t* bytes, std::size_t size, std::size_t* live_bytes,
                   const std::uint8_t** code, std::size_t* code_len, std::uint64_t* version) {
  if (bytes == nullptr) return fail(ELEX_E_INVALID_ARGUMENT, "null record");
  Cursor c{bytes, bytes + size};
  Head h;
  if (Status s = read_head(c, &h); s != ELEX_OK) return s;
  if (live_bytes)
    *live_bytes = initial_bytes(h.cfg) - 16 * QTable::kSlotBytes + table_bytes_for(h.states);
  if (code) *code = h.code;
  if (code_len) *code_len = h.code_len;
  if (version) *version = h.version;
  return ELEX_OK;
}

Status Agent::deserialize(const std::uint8_t* bytes, std::size_t size, Agent** out) {
  if (out == nullptr) return fail(ELEX_E_INVALID_ARGUMENT, "agent output pointer is null");
  *out = nullptr;
  if (bytes == nullptr) return fail(ELEX_E_INVALID_ARGUMENT, "null record");
  Cursor c{bytes, bytes + size};
  Head h;
  if (Status s = read_head(c, &h); s != ELEX_OK) return s;
  const Config& cfg = h.cfg;
  const std::uint32_t states = h.states;
  const bool v1 = h.format == 1;
  if (std::size_t(c.end - c.p) / (v1 ? kStateRecord : kMinState2) < states)
    return fail(ELEX_E_CORRUPT_DATA, "agent record is truncated in its Q-table");
  Agent* a = nullptr;
  if (Status s = create(cfg, reinterpret_cast<const char*>(h.code), h.code_len, &a); s != ELEX_OK)
    return s;
  a->epsilon_ = h.eps;
  a->rng_ = h.rng;
  a->decisions_ = h.decisions;
  a->updates_ = h.updates;
  a->version_ = h.version;
  a->reward_sum_ = h.reward_sum;
  const auto bad = [&](const char* what) {
    delete a;
    return fail(ELEX_E_CORRUPT_DATA, "agent record: %s", what);
  };
  if (Status s = a->table_.reserve(states); s != ELEX_OK) {
    delete a;
    return s;
  }
  for (std::uint32_t i = 0; i < states; ++i) {
    std::uint64_t key, visits;
    float q[kActions] = {};
    if (v1) {
      key = c.get<std::uint64_t>();
      visits = c.get<std::uint32_t>();
      for (unsigned b = 0; b < kActions; ++b) q[b] = c.get<float>();
    } else {
      key = get_varint(c);
      visits = get_varint(c);
      const std::uint8_t mask = c.get<std::uint8_t>();
      if (mask >> kActions) return bad("invalid Q-value mask");
      for (unsigned b = 0; b < kActions; ++b)
        if (mask & (1u << b)) q[b] = c.get<float>();
    }
    if (!c.ok) return bad("truncated in its Q-table");
    if (!valid_key(key)) return bad("invalid state key");
    if (visits > 0xffffffffu) return bad("invalid visit count");
    for (unsigned b = 0; b < kActions; ++b)
      if (!std::isfinite(q[b])) return bad("non-finite Q-value");
    const std::size_t before = a->table_.size();
    std::int64_t slot = -1;
    if (Status s = a->table_.insert(key, cfg.max_states, &slot); s != ELEX_OK) {
      delete a;
      return s;
    }
    if (a->table_.size() == before) return bad("duplicate state key");
    a->table_.visits(slot) = std::uint32_t(visits);
    std::memcpy(a->table_.values(slot), q, sizeof q);
  }
  const std::uint64_t replay = v1 ? c.get<std::uint32_t>() : get_varint(c);
  if (!c.ok || replay > cfg.replay ||
      std::size_t(c.end - c.p) / (v1 ? kReplayRecord : kMinReplay2) < replay)
    return bad("bad replay buffer");
  for (std::uint32_t i = 0; i < replay; ++i) {
    Experience e;
    if (v1) {
      e.key = c.get<std::uint64_t>();
      e.next_key = c.get<std::uint64_t>();
      e.action = c.get<std::uint8_t>();
      e.has_next = c.get<std::uint8_t>();
    } else {
      e.key = get_varint(c);
      const std::uint8_t packed = c.get<std::uint8_t>();
      e.action = packed & 7;
      e.has_next = packed >> 3;
      e.next_key = e.has_next == 1 ? get_varint(c) : 0;
    }
    e.reward = c.get<float>();
    if (!c.ok || !valid_key(e.key) || e.action >= kActions || e.has_next > 1 ||
        !(e.reward >= -1 && e.reward <= 1))
      return bad("invalid replay entry");
    a->replay_[i] = e;
  }
  a->replay_count_ = std::uint32_t(replay);
  a->replay_head_ = std::uint32_t(replay % cfg.replay);
  const std::uint64_t steps = v1 ? c.get<std::uint32_t>() : get_varint(c);
  if (!c.ok || steps > cfg.trajectory ||
      std::size_t(c.end - c.p) / (v1 ? kStepRecord : kMinStep2) < steps)
    return bad("bad trajectory");
  std::uint64_t prev = 0;
  for (std::uint32_t i = 0; i < steps; ++i) {
    Step s;
    if (v1) {
      s.query_id = c.get<std::uint64_t>();
      s.key = c.get<std::uint64_t>();
      s.next_key = c.get<std::uint64_t>();
      s.action = c.get<std::uint8_t>();
      s.flags = c.get<std::uint8_t>();
    } else {
      s.query_id = prev + std::uint64_t(unzigzag(get_varint(c)));
      prev = s.query_id;
      s.key = get_varint(c);
      const std::uint8_t packed = c.get<std::uint8_t>();
      s.action = packed & 7;
      s.flags = packed >> 3;
      s.next_key = (s.flags & kHasNext) ? get_varint(c) : 0;
    }
    if (!c.ok || !valid_key(s.key) || s.action >= kActions || s.flags > 3 ||
        a->table_.find(s.key) < 0)
      return bad("invalid trajectory entry");
    a->steps_[i] = s;
  }
  a->step_count_ = std::uint32_t(steps);
  a->step_head_ = std::uint32_t(steps % cfg.trajectory);
  if (c.p != c.end) return bad("stray bytes after the record");
  *out = a;
  return ELEX_OK;
}

}  // namespace elex::learn
