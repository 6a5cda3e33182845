// The agent store inside a memory budget: pressure, eviction, spill (agents.h).
#include "elex/learn/agents.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "elex/elex.h"

namespace {

using elex::learn::AgentStore;
using elex::learn::Config;
using elex::learn::Decision;
using elex::learn::State;
using elex::memory::eviction_fraction;
using elex::memory::PressureMonitor;

std::string code(unsigned i) { return "FAJ 121 " + std::to_string(1000 + i); }

State st(unsigned i) {
  State s;
  s.type = i % 6;
  s.complexity = i % 3;
  s.confidence_bucket = i % 16;
  s.context = i;
  return s;
}

std::string code_of(const std::uint8_t* rec, std::size_t size) {
  const std::uint8_t* c = nullptr;
  std::size_t len = 0;
  EXPECT_EQ(elex::learn::Agent::peek(rec, size, nullptr, &c, &len, nullptr), ELEX_OK);
  return std::string(reinterpret_cast<const char*>(c), len);
}

std::vector<std::string> drain(AgentStore& s) {
  std::vector<std::string> out;
  std::uint8_t* rec;
  std::size_t size;
  while (s.spill_pop(&rec, &size)) {
    out.push_back(code_of(rec, size));
    std::free(rec);
  }
  return out;
}

TEST(Pressure, MeanPlusHalfTrendClamped) {
  PressureMonitor m;
  EXPECT_EQ(m.pressure(), 0.0f);
  for (int i = 0; i < 16; ++i) m.sample(50, 100);
  EXPECT_FLOAT_EQ(m.pressure(), 0.5f);
  PressureMonitor rising;
  for (int i = 0; i <= 15; ++i) rising.sample(40 + 2 * i, 100);  // 0.40 .. 0.70
  EXPECT_NEAR(rising.pressure(), 0.55f + 0.5f * 0.30f, 1e-5);
  PressureMonitor full;
  for (int i = 0; i < 40; ++i) full.sample(1e12, 100);  // samples clamp to 1
  EXPECT_FLOAT_EQ(full.pressure(), 1.0f);
  PressureMonitor falling;
  for (int i = 0; i <= 15; ++i) falling.sample(30 - 2 * i, 100);
  EXPECT_GE(falling.pressure(), 0.0f);
}

TEST(Pressure, EvictionBands) {
  EXPECT_FLOAT_EQ(eviction_fraction(0.0f), 0.10f);
  EXPECT_FLOAT_EQ(eviction_fraction(0.6999f), 0.10f);
  EXPECT_FLOAT_EQ(eviction_fraction(0.70f), 0.20f);
  EXPECT_FLOAT_EQ(eviction_fraction(0.8499f), 0.20f);
  EXPECT_FLOAT_EQ(eviction_fraction(0.85f), 0.30f);
  EXPECT_FLOAT_EQ(eviction_fraction(0.9499f), 0.30f);
  EXPECT_FLOAT_EQ(eviction_fraction(0.95f), 0.50f);
  EXPECT_FLOAT_EQ(eviction_fraction(1.0f), 0.50f);
}

TEST(Agents, EvictionRoundsFreeTheBandsShareLeastRecentlyUsedFirst) {
  for (const float p : {0.5f, 0.8f, 0.9f, 0.97f}) {
    AgentStore s(std::size_t(256) << 20);
    s.set_high_water(1.0f);
    for (unsigned i = 0; i < 100; ++i) {
      Decision d;
      ASSERT_EQ(s.decide(code(i).data(), code(i).size(), i + 1, st(0), 0, &d), ELEX_OK);
    }
    // Touch the even ones again: the odd ones are now the coldest.
    for (unsigned i = 0; i < 100; i += 2) {
      Decision d;
      ASSERT_EQ(s.decide(code(i).data(), code(i).size(), 1000 + i, st(0), 0, &d), ELEX_OK);
    }
    const double before = s.stats().agent_bytes;
    const std::size_t freed = s.evict_round(p);
    const double want = eviction_fraction(p);
    const double one = before / 100;  // agents here are all the same size
    EXPECT_GE(double(freed), std::floor(want * before)) << p;
    EXPECT_LT(double(freed) - one, want * before) << p;  // minimal: one fewer would not do
    const auto spilled = drain(s);
    ASSERT_EQ(spilled.size(), std::size_t(std::lround(freed / one)));
    for (std::size_t k = 0; k < spilled.size(); ++k) {
      // Oldest first: the odd agents in creation order.
      EXPECT_EQ(spilled[k], code(unsigned(2 * k + 1))) << p;
    }
    EXPECT_EQ(s.resident(), 100 - spilled.size());
    EXPECT_EQ(s.stats().evictions, spilled.size());
  }
}

TEST(Agents, LiveBytesNeverExceedTheBudgetOver100kInserts) {
  const std::size_t budget = std::size_t(3) << 20;
  AgentStore s(budget);
  Config c;
  c.trajectory = 64;
  c.replay = 64;
  ASSERT_EQ(s.set_config(c), ELEX_OK);
  std::mt19937 rng(3);
  // The host: records of evicted agents, imported back on next use.
  std::vector<std::vector<std::uint8_t>> cold(593);
  std::uint64_t qid = 0, reloaded = 0;
  for (unsigned i = 0; i < 100000; ++i) {
    const unsigned f =
        std::min<unsigned>(592, unsigned(std::exponential_distribution<>(0.02)(rng)));
    const std::string name = code(f);
    if (!cold[f].empty()) {
      ASSERT_EQ(s.import(cold[f].data(), cold[f].size(), nullptr), ELEX_OK);
      cold[f].clear();
      ++reloaded;
    }
    Decision d;
    ASSERT_EQ(s.decide(name.data(), name.size(), ++qid, st(rng()), 0, &d), ELEX_OK) << i;
    ASSERT_LE(s.used(), budget) << i;
    if (i % 3 == 0) {
      const float r = 0.5f;
      ASSERT_EQ(s.feedback(name.data(), name.size(), &qid, &r, 1, nullptr, nullptr), ELEX_OK);
    }
    std::uint8_t* rec;
    std::size_t size;
    while (s.spill_pop(&rec, &size)) {
      const std::string who = code_of(rec, size);
      const unsigned k = unsigned(std::stoul(who.substr(8))) - 1000;
      cold[k].assign(rec, rec + size);
      std::free(rec);
    }
    ASSERT_LE(s.used(), budget) << i;
  }
  const auto stats = s.stats();
  EXPECT_GT(stats.evictions, 0u);
  EXPECT_GT(reloaded, 0u);
  EXPECT_EQ(stats.budget_failures, 0u);
  EXPECT_LE(stats.used, double(budget));
}

TEST(Agents, OverBudgetIsAnErrorThatChangesNothing) {
  AgentStore s(std::size_t(1) << 20);
  for (unsigned i = 0; i < 5; ++i) {
    Decision d;
    ASSERT_EQ(s.decide(code(i).data(), code(i).size(), i + 1, st(i), 0, &d), ELEX_OK);
  }
  const auto before = s.stats();
  EXPECT_EQ(s.reserve(std::size_t(2) << 20), ELEX_E_BUDGET_EXCEEDED);
  EXPECT_NE(std::string(elex::last_error_message()).find("budget"), std::string::npos);
  EXPECT_EQ(s.resident(), 5u);
  EXPECT_EQ(s.stats().evictions, before.evictions);
  // An agent bigger than the whole budget.
  Config big;
  big.trajectory = 1u << 20;
  ASSERT_EQ(s.set_config(big), ELEX_OK);
  Decision d;
  EXPECT_EQ(s.decide("huge", 4, 77, st(0), 0, &d), ELEX_E_BUDGET_EXCEEDED);
  EXPECT_EQ(s.resident(), 5u);
  // And the store keeps serving.
  ASSERT_EQ(s.set_config(Config{}), ELEX_OK);
  EXPECT_EQ(s.decide("small", 5, 78, st(0), 0, &d), ELEX_OK);
  EXPECT_EQ(s.stats().budget_failures, 2u);
}

TEST(Agents, BatchImportPlansTheBudgetInOrderAndMatchesOneByOne) {
  // 40 agents of 30..69 states, exported from one store.
  AgentStore src;
  std::uint64_t qid = 0;
  std::vector<std::vector<std::uint8_t>> recs;
  for (unsigned a = 0; a < 40; ++a) {
    const std::string c = code(a);
    for (unsigned k = 0; k < 30 + a; ++k) {
      Decision d;
      ASSERT_EQ(src.decide(c.data(), c.size(), ++qid, st(k), 0, &d), ELEX_OK);
      const float r = float(int(k % 5) - 2) / 2.0f;
      ASSERT_EQ(src.feedback(c.data(), c.size(), &qid, &r, 1, nullptr, nullptr), ELEX_OK);
    }
    std::uint8_t* out = nullptr;
    std::size_t n = 0;
    ASSERT_EQ(src.export_agent(c.data(), c.size(), &out, &n), ELEX_OK);
    recs.emplace_back(out, out + n);
    std::free(out);
  }
  recs.push_back(recs[3]);    // a duplicate of agent 3
  recs.push_back({1, 2, 3});  // garbage
  std::vector<const std::uint8_t*> ptrs;
  std::vector<std::size_t> sizes;
  for (auto& r : recs) ptrs.push_back(r.data()), sizes.push_back(r.size());
  // A budget that holds about half of them.
  std::size_t live_all = 0;
  for (unsigned i = 0; i < 40; ++i) {
    std::size_t live = 0;
    ASSERT_EQ(elex::learn::Agent::peek(ptrs[i], sizes[i], &live, nullptr, nullptr, nullptr),
              ELEX_OK);
    live_all += live;
  }
  for (unsigned threads : {1u, 2u, 4u}) {
    elex::ThreadPool pool(threads);
    AgentStore batch(live_all / 2), one(live_all / 2);
    std::vector<elex::Status> st_batch(ptrs.size());
    batch.import_batch(ptrs.data(), sizes.data(), ptrs.size(), &pool, st_batch.data());
    for (std::size_t i = 0; i < ptrs.size(); ++i) {
      bool replaced = false;
      const elex::Status s1 = one.import(ptrs[i], sizes[i], &replaced, false);
      EXPECT_EQ(st_batch[i], s1) << "record " << i << " threads " << threads;
    }
    EXPECT_EQ(batch.resident(), one.resident());
    EXPECT_LE(batch.used(), batch.budget());
    EXPECT_GT(batch.resident(), 5u);
    EXPECT_LT(batch.resident(), 40u);
    EXPECT_NE(st_batch.back(), ELEX_OK);  // the garbage record
    // The agents that came in are the same, value for value.
    for (unsigned a = 0; a < 40; ++a) {
      const std::string c = code(a);
      const auto* x = batch.find(c.data(), c.size());
      const auto* y = one.find(c.data(), c.size());
      ASSERT_EQ(x == nullptr, y == nullptr) << a;
      if (x == nullptr) continue;
      for (unsigned k = 0; k < 30 + a; ++k) {
        float qa[elex::learn::kActions], qb[elex::learn::kActions];
        x->values(st(k), qa, nullptr);
        y->values(st(k), qb, nullptr);
        EXPECT_EQ(std::memcmp(qa, qb, sizeof qa), 0) << a << ' ' << k;
      }
    }
  }
}

TEST(Agents, SpilledStateComesBackAndOlderRecordsDoNotOverwrite) {
  AgentStore s;
  Decision d;
  ASSERT_EQ(s.decide("A", 1, 1, st(0), 0, &d), ELEX_OK);
  const std::uint64_t id = 1;
  const float r = 1.0f;
  ASSERT_EQ(s.feedback("A", 1, &id, &r, 1, nullptr, nullptr), ELEX_OK);
  std::uint8_t* old_rec = nullptr;
  std::size_t old_size = 0;
  ASSERT_EQ(s.export_agent("A", 1, &old_rec, &old_size), ELEX_OK);
  ASSERT_EQ(s.decide("A", 1, 2, st(0), 0, &d), ELEX_OK);  // newer version now resident
  bool replaced = true;
  ASSERT_EQ(s.import(old_rec, old_size, &replaced), ELEX_OK);
  EXPECT_FALSE(replaced);
  EXPECT_EQ(s.find("A", 1)->stats().decisions, 2u);
  // Evict it, then import the spilled record: values are back.
  ASSERT_GT(s.evict_round(1.0f), 0u);
  EXPECT_EQ(s.find("A", 1), nullptr);
  EXPECT_EQ(s.feedback("A", 1, &id, &r, 1, nullptr, nullptr), ELEX_E_NOT_FOUND);
  std::uint8_t* rec;
  std::size_t size;
  ASSERT_TRUE(s.spill_pop(&rec, &size));
  ASSERT_EQ(s.import(rec, size, &replaced), ELEX_OK);
  float q[elex::learn::kActions];
  std::uint32_t visits = 0;
  s.find("A", 1)->values(st(0), q, &visits);
  EXPECT_FLOAT_EQ(q[0], 0.1f);
  EXPECT_EQ(visits, 1u);
  std::free(rec);
  std::free(old_rec);
}

TEST(Agents, CAbiReportsBudgetExceededAsAStatus) {
  elex_engine* e = nullptr;
  ASSERT_EQ(elex_engine_create(1, &e), ELEX_OK);
  ASSERT_EQ(elex_memory_configure(e, 1 << 20, 0.9), ELEX_OK);
  EXPECT_EQ(elex_memory_reserve(e, 4 << 20), ELEX_E_BUDGET_EXCEEDED);
  EXPECT_STREQ(elex_status_name(ELEX_E_BUDGET_EXCEEDED), "BUDGET_EXCEEDED");
  elex_decision out{};
  elex_decide_args ask{1, 0, "FAJ 1", 5, 0, 0, 0, 0};
  ASSERT_EQ(elex_agent_decide(e, &ask, &out), ELEX_OK);
  EXPECT_EQ(out.action, 0u);
  EXPECT_LE(out.explored, 1u);
  EXPECT_EQ(elex_agent_decide(e, nullptr, &out), ELEX_E_INVALID_ARGUMENT);
  ask.query_id = 0.5;  // not a whole query id
  EXPECT_EQ(elex_agent_decide(e, &ask, &out), ELEX_E_INVALID_ARGUMENT);
  ask = {2, 0, "FAJ 1", 5, 9, 0, 0, 0};  // no query type 9
  EXPECT_EQ(elex_agent_decide(e, &ask, &out), ELEX_E_INVALID_ARGUMENT);
  ask = {2, 0, "FAJ 1", 0, 0, 0, 0, 0};  // an empty code
  EXPECT_EQ(elex_agent_decide(e, &ask, &out), ELEX_E_INVALID_ARGUMENT);
  const double qid = 1;
  const float r = -1;
  elex_feedback_result res{};
  ASSERT_EQ(elex_agent_feedback(e, "FAJ 1", 5, &qid, &r, 1, &res), ELEX_OK);
  EXPECT_EQ(res.applied, 1u);
  EXPECT_EQ(res.unknown, 0u);
  EXPECT_EQ(elex_agent_feedback(e, "FAJ 2", 5, &qid, &r, 1, &res), ELEX_E_NOT_FOUND);
  elex_memory_stats_t stats{};
  ASSERT_EQ(elex_memory_stats(e, &stats), ELEX_OK);
  EXPECT_EQ(stats.budget_bytes, double(1 << 20));
  EXPECT_GT(stats.used_bytes, 0);
  EXPECT_EQ(stats.hot_agents, 1);
  EXPECT_EQ(stats.updates, 1);
  EXPECT_EQ(stats.reward_sum, -1);
  const elex_learning_config cfg{0.2, 0.9, 0.0, 0.0, 1.0, 16, 16, 4, 1024, 5};
  EXPECT_EQ(elex_agents_configure(e, &cfg), ELEX_OK);
  elex_learning_config bad = cfg;
  bad.alpha = 2;
  EXPECT_EQ(elex_agents_configure(e, &bad), ELEX_E_INVALID_ARGUMENT);
  bad = cfg;
  bad.seed = 0.5;  // the integers must be whole
  EXPECT_EQ(elex_agents_configure(e, &bad), ELEX_E_INVALID_ARGUMENT);
  EXPECT_EQ(elex_agents_configure(e, nullptr), ELEX_E_INVALID_ARGUMENT);
  uint8_t* all = nullptr;
  size_t size = 0;
  uint32_t count = 0;
  ASSERT_EQ(elex_agents_export_all(e, &all, &size, &count), ELEX_OK);
  EXPECT_EQ(count, 1u);
  ASSERT_EQ(elex_agent_drop(e, "FAJ 1", 5), ELEX_OK);
  uint32_t replaced = 9;
  ASSERT_EQ(elex_agent_import(e, all + 4, size - 4, 1, &replaced), ELEX_OK);
  EXPECT_EQ(replaced, 0u);
  elex_agent_q v{};
  ASSERT_EQ(elex_agent_values(e, "FAJ 1", 5, 0, 0, 0, 0, &v), ELEX_OK);
  EXPECT_FLOAT_EQ(v.values[0], -0.1f);
  EXPECT_EQ(v.visits, 1u);
  // Snapshot: verify locates META and one record; damage is detected.
  uint8_t* snap = nullptr;
  size_t snap_size = 0;
  const auto* json = reinterpret_cast<const uint8_t*>("{}");
  elex_snapshot_args what{2, double(size), json, all, 0, 0};
  ASSERT_EQ(elex_agents_snapshot(e, &what, &snap, &snap_size, &count), ELEX_OK);
  EXPECT_EQ(count, 2u);  // the resident agent and the extra record
  // Filtered by shard: the agent goes to exactly one of 16 shards.
  const uint32_t home = elex_shard_of("FAJ 1", 5, 16);
  uint32_t in_home = 0, elsewhere = 0;
  uint8_t* part = nullptr;
  size_t part_size = 0;
  elex_snapshot_args shard{0, 0, nullptr, nullptr, home, 16};
  ASSERT_EQ(elex_agents_snapshot(e, &shard, &part, &part_size, &in_home), ELEX_OK);
  elex_free(part);
  shard.shard = (home + 1) % 16;
  ASSERT_EQ(elex_agents_snapshot(e, &shard, &part, &part_size, &elsewhere), ELEX_OK);
  elex_free(part);
  EXPECT_EQ(in_home, 1u);
  EXPECT_EQ(elsewhere, 0u);
  EXPECT_EQ(elex_shard_of("FAJ 121 3094", 12, 16), 11u);  // pinned: TS computes the same
  elex_snapshot_parts where{};
  ASSERT_EQ(elex_snapshot_verify(e, snap, snap_size, &where), ELEX_OK);
  EXPECT_EQ(where.meta_size, 2);
  EXPECT_EQ(where.records, 2);
  EXPECT_EQ(std::memcmp(snap + size_t(where.meta_offset), "{}", 2), 0);
  snap[snap_size / 2] ^= 0x10;
  EXPECT_EQ(elex_snapshot_verify(e, snap, snap_size, &where), ELEX_E_CORRUPT_DATA);
  EXPECT_EQ(elex_snapshot_verify(nullptr, all, size, &where), ELEX_E_FOREIGN_DATA);
  const uint8_t junk[3] = {1, 2, 3};
  const elex_snapshot_args bad_extra{0, 3, nullptr, junk, 0, 0};
  EXPECT_EQ(elex_agents_snapshot(e, &bad_extra, &snap, &snap_size, &count),
            ELEX_E_INVALID_ARGUMENT);
  const elex_snapshot_args part_byte{1.5, 0, json, nullptr, 0, 0};  // not a whole size
  EXPECT_EQ(elex_agents_snapshot(e, &part_byte, &snap, &snap_size, &count),
            ELEX_E_INVALID_ARGUMENT);
  const elex_snapshot_args no_shard{0, 0, nullptr, nullptr, 16, 16};
  EXPECT_EQ(elex_agents_snapshot(e, &no_shard, &snap, &snap_size, &count), ELEX_E_INVALID_ARGUMENT);
  EXPECT_EQ(elex_agents_snapshot(e, nullptr, &snap, &snap_size, &count), ELEX_E_INVALID_ARGUMENT);
  elex_free(snap);
  elex_free(all);
  elex_engine_destroy(e);
}

// Snapshots are encoded on the engine's threads: the bytes do not depend
// on how many; records restored in place (import_at) give the same agents.
TEST(AgentsApi, SnapshotBytesDoNotDependOnThreadsAndImportAtRestoresThem) {
  std::vector<std::vector<uint8_t>> snaps;
  for (unsigned threads : {1u, 3u}) {
    elex_engine* e = nullptr;
    ASSERT_EQ(elex_engine_create(threads, &e), ELEX_OK);
    elex_decision out{};
    uint64_t qid = 0;
    for (uint32_t a = 0; a < 40; ++a) {
      const std::string code = "FAJ 121 " + std::to_string(3000 + a);
      for (uint32_t k = 0; k < 30 + a; ++k) {
        const elex_decide_args ask{double(++qid), 0,     code.data(), uint32_t(code.size()),
                                   k % 6,         k % 3, k % 16,      k * 7919u};
        ASSERT_EQ(elex_agent_decide(e, &ask, &out), ELEX_OK);
        const double q = double(qid);
        const float r = float(k % 5) / 2.5f - 1.0f;
        elex_feedback_result res{};
        ASSERT_EQ(elex_agent_feedback(e, code.data(), uint32_t(code.size()), &q, &r, 1, &res),
                  ELEX_OK);
      }
    }
    uint8_t* snap = nullptr;
    size_t size = 0;
    uint32_t count = 0;
    const elex_snapshot_args what{2, 0, reinterpret_cast<const uint8_t*>("{}"), nullptr, 0, 0};
    ASSERT_EQ(elex_agents_snapshot(e, &what, &snap, &size, &count), ELEX_OK);
    EXPECT_EQ(count, 40u);
    snaps.emplace_back(snap, snap + size);
    // Restore into a fresh engine from spans of the snapshot itself.
    elex_snapshot_parts where{};
    ASSERT_EQ(elex_snapshot_verify(e, snap, size, &where), ELEX_OK);
    std::vector<uint32_t> spans;
    for (size_t at = size_t(where.records_offset);
         at < size_t(where.records_offset + where.records_size);) {
      uint32_t len = 0;
      std::memcpy(&len, snap + at, 4);
      spans.push_back(uint32_t(at + 4));
      spans.push_back(len);
      at += 4 + len;
    }
    ASSERT_EQ(spans.size(), 80u);
    elex_engine* f = nullptr;
    ASSERT_EQ(elex_engine_create(threads, &f), ELEX_OK);
    std::vector<int32_t> st(40, -1);
    ASSERT_EQ(elex_agents_import_at(f, snap, size, spans.data(), 40, st.data()), ELEX_OK);
    for (int32_t v : st) EXPECT_EQ(v, 0);
    for (uint32_t a = 0; a < 40; a += 13) {
      const std::string code = "FAJ 121 " + std::to_string(3000 + a);
      elex_agent_q x{}, y{};
      ASSERT_EQ(elex_agent_values(e, code.data(), uint32_t(code.size()), 1, 1, 1, 7919, &x),
                ELEX_OK);
      ASSERT_EQ(elex_agent_values(f, code.data(), uint32_t(code.size()), 1, 1, 1, 7919, &y),
                ELEX_OK);
      EXPECT_EQ(std::memcmp(&x, &y, sizeof x), 0);
    }
    // A span outside the buffer: nothing imported.
    spans[1] = uint32_t(size);
    EXPECT_EQ(elex_agents_import_at(f, snap, size, spans.data(), 1, st.data()),
              ELEX_E_INVALID_ARGUMENT);
    elex_free(snap);
    elex_engine_destroy(f);
    elex_engine_destroy(e);
  }
  EXPECT_EQ(snaps[0], snaps[1]);
}

}  // namespace

namespace {

TEST(Agents, RestoredAgentsTakeTheStoresLearningSettings) {
  // A restored agent kept the settings of the engine that created it: an
  // engine created with learning { epsilon: 0 } (no exploration) still
  // explored with every agent it restored, and a new alpha never applied.
  Config old_cfg;
  old_cfg.epsilon = old_cfg.epsilon_min = 0.5f;
  AgentStore src;
  ASSERT_EQ(src.set_config(old_cfg), ELEX_OK);
  Decision d;
  ASSERT_EQ(src.decide("A", 1, 1, st(1), 0, &d), ELEX_OK);
  const std::uint64_t id = 1;
  const float r = 1.0f;
  ASSERT_EQ(src.feedback("A", 1, &id, &r, 1, nullptr, nullptr), ELEX_OK);
  std::uint8_t* rec = nullptr;
  std::size_t size = 0;
  ASSERT_EQ(src.export_agent("A", 1, &rec, &size), ELEX_OK);
  const float learned = src.find("A", 1)->stats().epsilon;
  ASSERT_GT(learned, 0.4f);

  Config now;
  now.epsilon = now.epsilon_min = 0;
  now.alpha = 0.5f;
  now.replay_batch = 0;
  for (const bool batch : {false, true}) {
    AgentStore dst;
    ASSERT_EQ(dst.set_config(now), ELEX_OK);
    if (batch) {
      const std::uint8_t* recs[1] = {rec};
      const std::size_t sizes[1] = {size};
      elex::Status status[1];
      dst.import_batch(recs, sizes, 1, nullptr, status);
      ASSERT_EQ(status[0], ELEX_OK);
    } else {
      ASSERT_EQ(dst.import(rec, size, nullptr), ELEX_OK);
    }
    const elex::learn::Agent* a = dst.find("A", 1);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->stats().epsilon, 0.0f) << batch;
    EXPECT_EQ(a->config().alpha, 0.5f) << batch;
    // Its learned values stay: the rewarded action wins, and it never explores.
    float before[elex::learn::kActions];
    a->values(st(1), before, nullptr);
    for (std::uint64_t q = 10; q < 60; ++q) {
      ASSERT_EQ(dst.decide("A", 1, q, st(1), 0, &d), ELEX_OK);
      EXPECT_FALSE(d.explored) << batch;
    }
    // α = 0.5 applies to the next reward.
    const std::uint64_t q = 10;
    ASSERT_EQ(dst.feedback("A", 1, &q, &r, 1, nullptr, nullptr), ELEX_OK);
    float after[elex::learn::kActions];
    dst.find("A", 1)->values(st(1), after, nullptr);
    const unsigned act = unsigned(d.action);
    EXPECT_FLOAT_EQ(after[0], before[0] + 0.5f * (1.0f - before[0])) << batch << act;
  }
  std::free(rec);
}

}  // namespace
