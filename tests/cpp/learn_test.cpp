// Feature agents: policy, Q-updates, feedback routing, records (learn.h).
#include "elex/learn/learn.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

using elex::learn::Action;
using elex::learn::Agent;
using elex::learn::Config;
using elex::learn::Decision;
using elex::learn::kActions;
using elex::learn::State;

struct AgentPtr {
  Agent* a = nullptr;
  AgentPtr() = default;
  AgentPtr(AgentPtr&& o) noexcept : a(o.a) { o.a = nullptr; }
  AgentPtr(const AgentPtr&) = delete;
  AgentPtr& operator=(const AgentPtr&) = delete;
  AgentPtr& operator=(AgentPtr&&) = delete;
  ~AgentPtr() { delete a; }
  Agent* operator->() const { return a; }
};

AgentPtr make(const Config& c, const std::string& code = "FAJ 121 3094") {
  AgentPtr p;
  EXPECT_EQ(Agent::create(c, code.data(), code.size(), &p.a), ELEX_OK);
  return p;
}

State st(unsigned type, unsigned complexity = 0, unsigned bucket = 0, unsigned context = 0) {
  State s;
  s.type = type;
  s.complexity = complexity;
  s.confidence_bucket = bucket;
  s.context = context;
  return s;
}

/// The agent rebuilt from its own record.
AgentPtr round_trip(const Agent* a) {
  std::uint8_t* rec = nullptr;
  std::size_t size = 0;
  AgentPtr b;
  EXPECT_EQ(a->serialize(&rec, &size), ELEX_OK);
  EXPECT_EQ(Agent::deserialize(rec, size, &b.a), ELEX_OK);
  std::free(rec);
  return b;
}

std::vector<float> values(const Agent* a, const State& s) {
  std::vector<float> v(kActions);
  a->values(s, v.data(), nullptr);
  return v;
}

TEST(Learn, ColdAgentAnswersDirectlyNotByEscalating) {
  Config c;
  c.epsilon = 0;
  c.epsilon_min = 0;
  auto a = make(c);
  for (unsigned t = 0; t < 6; ++t) {
    Decision d;
    ASSERT_EQ(a->decide(t + 1, st(t), 0, &d), ELEX_OK);
    EXPECT_EQ(d.action, Action::DirectAnswer);
    EXPECT_FALSE(d.explored);
    EXPECT_EQ(d.confidence, 0.0f);
  }
}

TEST(Learn, DefaultExplorationRarelyEscalates) {
  auto a = make(Config{});
  int counts[kActions] = {};
  for (unsigned i = 0; i < 5000; ++i) {
    Decision d;
    ASSERT_EQ(a->decide(i + 1, st(i % 6, i % 3, i % 16, i), 0, &d), ELEX_OK);
    ++counts[unsigned(d.action)];
  }
  // ε = 0.1 spread over 5 actions: Escalate ≈ 2 %, DirectAnswer ≈ 92 %.
  EXPECT_LT(counts[4], 5000 * 4 / 100);
  EXPECT_GT(counts[0], 5000 * 85 / 100);
}

TEST(Learn, RejectsBadStatesAndConfigs) {
  auto a = make(Config{});
  Decision d;
  EXPECT_EQ(a->decide(1, st(6), 0, &d), ELEX_E_INVALID_ARGUMENT);
  EXPECT_EQ(a->decide(1, st(0, 3), 0, &d), ELEX_E_INVALID_ARGUMENT);
  EXPECT_EQ(a->decide(1, st(0, 0, 16), 0, &d), ELEX_E_INVALID_ARGUMENT);
  Config c;
  c.alpha = 0;
  Agent* out = nullptr;
  EXPECT_EQ(Agent::create(c, "x", 1, &out), ELEX_E_INVALID_ARGUMENT);
  c = Config{};
  c.epsilon_min = 0.5f;
  c.epsilon = 0.1f;
  EXPECT_EQ(Agent::create(c, "x", 1, &out), ELEX_E_INVALID_ARGUMENT);
  c = Config{};
  c.gamma = NAN;
  EXPECT_EQ(Agent::create(c, "x", 1, &out), ELEX_E_INVALID_ARGUMENT);
  EXPECT_EQ(Agent::create(Config{}, "", 0, &out), ELEX_E_INVALID_ARGUMENT);
  EXPECT_EQ(out, nullptr);
}

// A seeded 5-armed bandit: one state, rewards Gaussian around fixed means.
std::vector<float> run_bandit(unsigned episodes, unsigned* best_late) {
  Config c;
  c.seed = 7;
  auto a = make(c, "bandit");
  const float means[kActions] = {0.1f, 0.2f, 0.7f, 0.3f, -0.5f};
  std::mt19937 rng(99);
  std::normal_distribution<float> noise(0.0f, 0.2f);
  *best_late = 0;
  for (unsigned e = 0; e < episodes; ++e) {
    Decision d;
    EXPECT_EQ(a->decide(e + 1, st(0), 0, &d), ELEX_OK);
    float r = means[unsigned(d.action)] + noise(rng);
    r = r < -1 ? -1 : (r > 1 ? 1 : r);
    const std::uint64_t id = e + 1;
    std::size_t applied = 0, unknown = 0;
    EXPECT_EQ(a->feedback(&id, &r, 1, &applied, &unknown), ELEX_OK);
    EXPECT_EQ(applied, 1u);
    if (e >= episodes - 500 && d.action == Action(2)) ++*best_late;
  }
  return values(a.a, st(0));
}

TEST(Learn, BanditBestActionDominatesAndRunsAreIdentical) {
  unsigned late1 = 0, late2 = 0;
  const auto q1 = run_bandit(3000, &late1);
  const auto q2 = run_bandit(3000, &late2);
  // The best arm (mean 0.7) has the highest value and is chosen in the last
  // 500 episodes at least 90 % of the time (ε has decayed to 0.01).
  for (unsigned b = 0; b < kActions; ++b)
    if (b != 2) EXPECT_GT(q1[2], q1[b]) << "arm " << b;
  EXPECT_NEAR(q1[2], 0.7f, 0.1f);
  EXPECT_GE(late1, 450u);
  EXPECT_EQ(late1, late2);
  ASSERT_EQ(std::memcmp(q1.data(), q2.data(), sizeof(float) * kActions), 0);
}

TEST(Learn, FeedbackReachesExactlyTheDecisionItNames) {
  Config c;
  c.epsilon = c.epsilon_min = 0;
  c.replay_batch = 0;
  auto a = make(c);
  Decision d;
  ASSERT_EQ(a->decide(10, st(1), 0, &d), ELEX_OK);
  ASSERT_EQ(a->decide(11, st(2), 0, &d), ELEX_OK);
  const std::uint64_t id = 10;
  const float r = 1.0f;
  std::size_t applied = 0, unknown = 0;
  ASSERT_EQ(a->feedback(&id, &r, 1, &applied, &unknown), ELEX_OK);
  EXPECT_EQ(applied, 1u);
  EXPECT_FLOAT_EQ(values(a.a, st(1))[0], 0.1f);  // α × r
  EXPECT_EQ(values(a.a, st(2))[0], 0.0f);
  // A second reward for the same query, and an unknown id, are skipped.
  const std::uint64_t ids[2] = {10, 999};
  const float rs[2] = {1.0f, 1.0f};
  ASSERT_EQ(a->feedback(ids, rs, 2, &applied, &unknown), ELEX_OK);
  EXPECT_EQ(applied, 0u);
  EXPECT_EQ(unknown, 2u);
  EXPECT_FLOAT_EQ(values(a.a, st(1))[0], 0.1f);
  // Out-of-range rewards reject the whole call.
  const std::uint64_t id11 = 11;
  const float bad = 1.5f, nan = NAN;
  EXPECT_EQ(a->feedback(&id11, &bad, 1, &applied, &unknown), ELEX_E_INVALID_ARGUMENT);
  EXPECT_EQ(a->feedback(&id11, &nan, 1, &applied, &unknown), ELEX_E_INVALID_ARGUMENT);
  EXPECT_TRUE(a->pending(11));
}

TEST(Learn, ASecondDecisionUnderTheSameQueryIdIsRefused) {
  // It was recorded beside the first: feedback on the id then reached the
  // second decision's state, and the first stayed pending for ever.
  Config c;
  c.epsilon = c.epsilon_min = 0;
  c.replay_batch = 0;
  auto a = make(c);
  Decision d;
  ASSERT_EQ(a->decide(5, st(2), 0, &d), ELEX_OK);
  const auto before = a->stats();
  EXPECT_EQ(a->decide(5, st(3), 0, &d), ELEX_E_DUPLICATE_ID);
  EXPECT_EQ(a->stats().decisions, before.decisions);
  EXPECT_EQ(a->stats().states, before.states);  // the refused state was not added
  const std::uint64_t id = 5;
  const float r = 1.0f;
  std::size_t applied = 0, unknown = 0;
  ASSERT_EQ(a->feedback(&id, &r, 1, &applied, &unknown), ELEX_OK);
  EXPECT_EQ(applied, 1u);
  EXPECT_FLOAT_EQ(values(a.a, st(2))[0], 0.1f);
  EXPECT_EQ(values(a.a, st(3))[0], 0.0f);
  EXPECT_FALSE(a->pending(5));
  // Rewarded, the id is still in the trajectory: still refused.
  EXPECT_EQ(a->decide(5, st(2), 0, &d), ELEX_E_DUPLICATE_ID);
}

TEST(Learn, FollowsNamingNoPendingDecisionOfThisAgentIsRefused) {
  // It was ignored: the decision named (another feature's, or one the
  // trajectory no longer holds) never got its next state, so γ silently did
  // not apply.
  Config c;
  c.epsilon = c.epsilon_min = 0;
  c.replay_batch = 0;
  auto a = make(c);
  Decision d;
  ASSERT_EQ(a->decide(1, st(1), 0, &d), ELEX_OK);
  const auto before = a->stats();
  EXPECT_EQ(a->decide(2, st(2), 77, &d), ELEX_E_NOT_FOUND);  // 77: never decided here
  EXPECT_EQ(a->stats().decisions, before.decisions);
  EXPECT_EQ(a->stats().states, before.states);
  EXPECT_FALSE(a->pending(2));
  const std::uint64_t id = 1;
  const float r = 1.0f;
  std::size_t applied = 0, unknown = 0;
  // Another agent's decision 1 is no decision of this one either.
  auto other = make(c, "FAJ 121 0002");
  EXPECT_EQ(other->decide(2, st(2), 1, &d), ELEX_E_NOT_FOUND);
  EXPECT_EQ(other->stats().decisions, 0u);
  // One of its own: the next state counts (γ × its best value).
  ASSERT_EQ(a->feedback(&id, &r, 1, &applied, &unknown), ELEX_OK);  // Q(st(1), 0) = 0.1
  ASSERT_EQ(a->decide(4, st(2), 0, &d), ELEX_OK);
  ASSERT_EQ(a->decide(5, st(1), 4, &d), ELEX_OK);
  const std::uint64_t id4 = 4;
  ASSERT_EQ(a->feedback(&id4, &r, 1, &applied, &unknown), ELEX_OK);
  EXPECT_FLOAT_EQ(values(a.a, st(2))[0], 0.1f * (1.0f + 0.95f * 0.1f));
  // Too old: the trajectory (2 decisions) no longer holds it.
  Config small = c;
  small.trajectory = 2;
  auto b = make(small);
  for (std::uint64_t q = 1; q <= 3; ++q) ASSERT_EQ(b->decide(q, st(1), 0, &d), ELEX_OK);
  EXPECT_EQ(b->decide(4, st(1), 1, &d), ELEX_E_NOT_FOUND);
  EXPECT_EQ(b->decide(4, st(1), 2, &d), ELEX_OK);
}

TEST(Learn, DiscountedNextStateWhenADecisionFollowsAnother) {
  Config c;
  c.epsilon = c.epsilon_min = 0;
  c.replay_batch = 0;
  c.alpha = 0.5f;
  c.gamma = 0.9f;
  auto a = make(c);
  Decision d;
  // Teach state 2 a value first: Q(s2, Direct) = 0.5.
  ASSERT_EQ(a->decide(1, st(2), 0, &d), ELEX_OK);
  std::uint64_t id = 1;
  float r = 1.0f;
  ASSERT_EQ(a->feedback(&id, &r, 1, nullptr, nullptr), ELEX_OK);
  // Query 2 in state 1, followed up by query 3 in state 2.
  ASSERT_EQ(a->decide(2, st(1), 0, &d), ELEX_OK);
  ASSERT_EQ(a->decide(3, st(2), 2, &d), ELEX_OK);
  id = 2;
  r = 0.2f;
  ASSERT_EQ(a->feedback(&id, &r, 1, nullptr, nullptr), ELEX_OK);
  EXPECT_FLOAT_EQ(values(a.a, st(1))[0], 0.5f * (0.2f + 0.9f * 0.5f));
}

TEST(Learn, EpsilonDecaysToItsFloor) {
  Config c;
  auto a = make(c);
  for (unsigned i = 1; i <= 2000; ++i) {
    Decision d;
    ASSERT_EQ(a->decide(i, st(0), 0, &d), ELEX_OK);
    const std::uint64_t id = i;
    const float r = 0.1f;
    ASSERT_EQ(a->feedback(&id, &r, 1, nullptr, nullptr), ELEX_OK);
    if (i == 100) EXPECT_NEAR(a->stats().epsilon, 0.1 * std::pow(0.995, 100), 1e-4);
  }
  EXPECT_FLOAT_EQ(a->stats().epsilon, 0.01f);
  EXPECT_EQ(a->stats().updates, 2000u);
}

TEST(Learn, ConfidenceGrowsWithVisitsAndSpread) {
  Config c;
  c.epsilon = c.epsilon_min = 0;
  auto a = make(c);
  Decision d;
  float last = 0;
  for (unsigned i = 1; i <= 30; ++i) {
    ASSERT_EQ(a->decide(i, st(3), 0, &d), ELEX_OK);
    EXPECT_GE(d.confidence, last);
    EXPECT_LE(d.confidence, 1.0f);
    last = d.confidence;
    const std::uint64_t id = i;
    const float r = 1.0f;
    ASSERT_EQ(a->feedback(&id, &r, 1, nullptr, nullptr), ELEX_OK);
  }
  EXPECT_GT(last, 0.8f);
}

TEST(Learn, QTableGrowsAndFindsEveryState) {
  elex::learn::QTable t;
  for (std::uint64_t k = 0; k < 20000; ++k) {
    std::int64_t slot;
    ASSERT_EQ(t.insert(k << 9, 1u << 20, &slot), ELEX_OK);
    t.values(slot)[1] = float(k);
  }
  EXPECT_EQ(t.size(), 20000u);
  EXPECT_LE(t.size() * 10, t.capacity() * 7);
  for (std::uint64_t k = 0; k < 20000; ++k) {
    const std::int64_t s = t.find(k << 9);
    ASSERT_GE(s, 0);
    EXPECT_EQ(t.values(s)[1], float(k));
  }
  EXPECT_LT(t.find(std::uint64_t(1) << 40), 0);
  std::int64_t slot;
  elex::learn::QTable small;
  for (std::uint64_t k = 0; k < 16; ++k) ASSERT_EQ(small.insert(k, 16, &slot), ELEX_OK);
  EXPECT_EQ(small.insert(99, 16, &slot), ELEX_E_BUDGET_EXCEEDED);
}

TEST(Learn, RecordRoundTripKeepsValuesAndFutureDecisions) {
  auto a = make(Config{});
  for (unsigned i = 1; i <= 300; ++i) {
    Decision d;
    ASSERT_EQ(a->decide(i, st(i % 6, i % 3, i % 16, i % 7), i > 1 ? i - 1 : 0, &d), ELEX_OK);
    if (i % 2) {
      const std::uint64_t id = i;
      const float r = float(i % 5) / 4.0f - 0.5f;
      ASSERT_EQ(a->feedback(&id, &r, 1, nullptr, nullptr), ELEX_OK);
    }
  }
  std::uint8_t* rec = nullptr;
  std::size_t size = 0;
  ASSERT_EQ(a->serialize(&rec, &size), ELEX_OK);
  AgentPtr b;
  ASSERT_EQ(Agent::deserialize(rec, size, &b.a), ELEX_OK);
  EXPECT_EQ(b->stats().states, a->stats().states);
  EXPECT_EQ(b->stats().version, a->stats().version);
  for (unsigned t = 0; t < 6; ++t)
    for (unsigned ctx = 0; ctx < 7; ++ctx)
      for (unsigned bucket = 0; bucket < 16; ++bucket)
        EXPECT_EQ(values(a.a, st(t, t % 3, bucket, ctx)), values(b.a, st(t, t % 3, bucket, ctx)));
  // Same RNG state and trajectory: the same next decisions and updates.
  for (unsigned i = 301; i <= 400; ++i) {
    Decision da, db;
    ASSERT_EQ(a->decide(i, st(i % 6), 0, &da), ELEX_OK);
    ASSERT_EQ(b->decide(i, st(i % 6), 0, &db), ELEX_OK);
    EXPECT_EQ(da.action, db.action);
    const std::uint64_t ids[2] = {i, i - 100};  // i - 100 is from before the save
    const float rs[2] = {0.5f, -0.5f};
    std::size_t na = 0, nb = 0;
    ASSERT_EQ(a->feedback(ids, rs, 2, &na, nullptr), ELEX_OK);
    ASSERT_EQ(b->feedback(ids, rs, 2, &nb, nullptr), ELEX_OK);
    EXPECT_EQ(na, nb);
  }
  EXPECT_EQ(values(a.a, st(0)), values(b.a, st(0)));
  std::free(rec);
}

TEST(Learn, DamagedRecordsAreRejectedNeverCrash) {
  auto a = make(Config{});
  for (unsigned i = 1; i <= 20; ++i) {
    Decision d;
    ASSERT_EQ(a->decide(i, st(i % 6), 0, &d), ELEX_OK);
    const std::uint64_t id = i;
    const float r = 0.5f;
    ASSERT_EQ(a->feedback(&id, &r, 1, nullptr, nullptr), ELEX_OK);
  }
  std::uint8_t* rec = nullptr;
  std::size_t size = 0;
  ASSERT_EQ(a->serialize(&rec, &size), ELEX_OK);
  for (std::size_t cut = 0; cut < size; ++cut) {
    Agent* b = nullptr;
    EXPECT_NE(Agent::deserialize(rec, cut, &b), ELEX_OK) << cut;
    EXPECT_EQ(b, nullptr);
  }
  std::mt19937 rng(5);
  std::vector<std::uint8_t> bytes(rec, rec + size);
  for (int trial = 0; trial < 2000; ++trial) {
    std::vector<std::uint8_t> m = bytes;
    m[rng() % m.size()] ^= std::uint8_t(1u << (rng() % 8));
    Agent* b = nullptr;
    if (Agent::deserialize(m.data(), m.size(), &b) == ELEX_OK) {
      Decision d;
      EXPECT_EQ(b->decide(1u << 30, st(0), 0, &d), ELEX_OK);
      delete b;
    } else {
      EXPECT_EQ(b, nullptr);
    }
  }
  std::free(rec);
}

// A version 1 record (written by the previous release) of the agent that
// drive_v1_agent() builds: it must still load, with the same values and
// future decisions as the agent built afresh.
constexpr const char* kRecordV1 =
    "010000000c0046414a203132312033303934cdcccc3d3333733fcdcccc3d0ad7233c52b87e3f080000000800000002"
    "00"
    "0000000001000700000000000000fcbfc43da8ea0c0cf1ae6a8f0c0000000000000008000000000000001400000000"
    "00"
    "0000000000000000e8bf0c000000637017000000000000000000000000000000000000000000000000000000000023"
    "51"
    "46000000000000000000000000000000000000000000000000000000000052a00f0000000000010000000000000000"
    "00"
    "0000000000000000000000000000e9b036000000000001000000000000000000000000000000000000000000000075"
    "f1"
    "55000000000001000000cdccccbc0000000000000000000000000000000029d00700000000000100000003bd26be00"
    "00"
    "0000000000000000000000000000b5102700000000000100000083c00abe0000000000000000000000000000000012"
    "81"
    "3e0000000000010000005c8f423d0000000000000000000000000000000080c15d0000000000000000000000000000"
    "00"
    "00000000000000000000000000004c214e000000000001000000cdcc4cbd00000000000000000000000000000000c0"
    "e0"
    "2e00000000000000000000000000000000000000000000000000000000008c401f000000000001000000cdcc4c3d00"
    "00"
    "00000000000000000000000000000800000029d007000000000000000000000000000000000080be52a00f00000000"
    "00"
    "00000000000000000000000000008c401f0000000000000000000000000000000000003fb510270000000000000000"
    "00"
    "000000000000000000bfe9b0360000000000000000000000000000000000000012813e000000000000000000000000"
    "00"
    "00000000803e4c214e000000000000000000000000000000000000bf75f15500000000000000000000000000000000"
    "00"
    "80be080000000500000000000000b510270000000000c0e02e000000000000030600000000000000c0e02e00000000"
    "00"
    "e9b036000000000000010700000000000000e9b036000000000012813e00000000000003080000000000000012813e"
    "00"
    "0000000023514600000000000003090000000000000023514600000000004c214e000000000001010a000000000000"
    "00"
    "4c214e000000000075f155000000000000030b0000000000000075f155000000000080c15d000000000000030c0000"
    "00"
    "0000000080c15d000000000000000000000000000000";

AgentPtr drive_v1_agent() {
  Config c;
  c.trajectory = 8;
  c.replay = 8;
  c.replay_batch = 2;
  c.seed = 7;
  auto a = make(c);
  for (unsigned i = 1; i <= 12; ++i) {
    Decision d;
    EXPECT_EQ(a->decide(i, st(i % 6, i % 3, i % 16, 1000u * i), i > 1 ? i - 1 : 0, &d), ELEX_OK);
    if (i % 3) {
      const std::uint64_t id = i;
      const float r = float(i % 5) / 4.0f - 0.5f;
      EXPECT_EQ(a->feedback(&id, &r, 1, nullptr, nullptr), ELEX_OK);
    }
  }
  return a;
}

TEST(Learn, VersionOneRecordsStillLoad) {
  std::vector<std::uint8_t> v1;
  const std::string hex = kRecordV1;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    v1.push_back(std::uint8_t(std::stoul(hex.substr(i, 2), nullptr, 16)));
  ASSERT_EQ(v1[0], 1);  // record version 1
  AgentPtr old;
  ASSERT_EQ(Agent::deserialize(v1.data(), v1.size(), &old.a), ELEX_OK);
  auto fresh = drive_v1_agent();
  EXPECT_EQ(old->stats().states, fresh->stats().states);
  EXPECT_EQ(old->stats().version, fresh->stats().version);
  for (unsigned i = 1; i <= 12; ++i)
    EXPECT_EQ(values(old.a, st(i % 6, i % 3, i % 16, 1000u * i)),
              values(fresh.a, st(i % 6, i % 3, i % 16, 1000u * i)));
  // Pending decision 12 (no feedback yet) is still in the trajectory.
  EXPECT_TRUE(old->pending(12));
  EXPECT_FALSE(old->pending(11));
  // Rewritten, it is a (smaller) version 2 record of the same agent.
  std::uint8_t* rec = nullptr;
  std::size_t size = 0;
  ASSERT_EQ(old->serialize(&rec, &size), ELEX_OK);
  EXPECT_EQ(rec[0], 2);
  EXPECT_LT(size, v1.size());
  AgentPtr again;
  ASSERT_EQ(Agent::deserialize(rec, size, &again.a), ELEX_OK);
  std::free(rec);
  for (unsigned i = 13; i <= 40; ++i) {
    Decision d1, d2, d3;
    ASSERT_EQ(old->decide(i, st(i % 6), 0, &d1), ELEX_OK);
    ASSERT_EQ(fresh->decide(i, st(i % 6), 0, &d2), ELEX_OK);
    ASSERT_EQ(again->decide(i, st(i % 6), 0, &d3), ELEX_OK);
    EXPECT_EQ(d1.action, d2.action);
    EXPECT_EQ(d1.action, d3.action);
    const std::uint64_t id = i;
    const float r = 0.25f;
    ASSERT_EQ(old->feedback(&id, &r, 1, nullptr, nullptr), ELEX_OK);
    ASSERT_EQ(fresh->feedback(&id, &r, 1, nullptr, nullptr), ELEX_OK);
    ASSERT_EQ(again->feedback(&id, &r, 1, nullptr, nullptr), ELEX_OK);
  }
  EXPECT_EQ(values(old.a, st(1)), values(fresh.a, st(1)));
  EXPECT_EQ(values(again.a, st(1)), values(fresh.a, st(1)));
}

TEST(Learn, RecordRoundTripIsBitExactForSparseAndDenseStates) {
  // Many states with one tried action (the others stay +0 and are not
  // stored) and a few with all five tried: every value comes back bit for bit.
  Config c;
  c.epsilon = 1.0f;  // explore: actions spread over all five
  c.epsilon_min = 1.0f;
  auto a = make(c);
  std::uint64_t id = 0;
  for (unsigned s = 0; s < 400; ++s) {
    const unsigned tries = s % 50 == 0 ? 40 : 1;
    for (unsigned t = 0; t < tries; ++t) {
      Decision d;
      ASSERT_EQ(a->decide(++id, st(s % 6, s % 3, s % 16, s), 0, &d), ELEX_OK);
      const float r = float(int(id % 7) - 3) / 3.0f;
      ASSERT_EQ(a->feedback(&id, &r, 1, nullptr, nullptr), ELEX_OK);
    }
  }
  const AgentPtr b = round_trip(a.a);
  ASSERT_NE(b.a, nullptr);
  unsigned zeros = 0, dense = 0;
  for (unsigned s = 0; s < 400; ++s) {
    const auto va = values(a.a, st(s % 6, s % 3, s % 16, s));
    const auto vb = values(b.a, st(s % 6, s % 3, s % 16, s));
    unsigned nonzero = 0;
    for (unsigned k = 0; k < kActions; ++k) {
      std::uint32_t x, y;
      std::memcpy(&x, &va[k], 4);
      std::memcpy(&y, &vb[k], 4);
      EXPECT_EQ(x, y) << s << ' ' << k;
      zeros += x == 0;
      nonzero += x != 0;
    }
    dense += nonzero == kActions;
  }
  EXPECT_GT(zeros, 1000u);  // the sparse path ran
  EXPECT_GT(dense, 0u);     // and the dense one
}

}  // namespace
