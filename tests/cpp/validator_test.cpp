// Whole validation (validator.h): each reason and verdict, cooldowns, bad
// input that records nothing, the floor after a loss, and agreement with a
// plain reference written from the table in validator.h.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "elex/elex.h"
#include "elex/ran/validate.h"
#include "elex/ran/validator.h"

namespace {

using namespace elex::validate;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kNaNd = std::numeric_limits<double>::quiet_NaN();

/// A small catalog: kinds, bounds (5 × count), cooldowns.
struct Catalog {
  std::vector<std::uint8_t> kinds;
  std::vector<double> cols[kBoundsColumns];
  std::vector<double> cool;
  void add(Kind k, double lo, double hi, double smin, double smax, double step,
           double cooldown_ms) {
    kinds.push_back(k);
    const double v[kBoundsColumns] = {lo, hi, smin, smax, step};
    for (unsigned c = 0; c < kBoundsColumns; ++c) cols[c].push_back(v[c]);
    cool.push_back(cooldown_ms);
  }
  std::vector<double> bounds() const {
    std::vector<double> b;
    for (const auto& c : cols) b.insert(b.end(), c.begin(), c.end());
    return b;
  }
  std::uint32_t count() const { return std::uint32_t(kinds.size()); }
};

Catalog small() {
  Catalog c;
  c.add(kInt, 0, 100, 20, 80, 10, 60'000);              // 0 Cell.p
  c.add(kEnum, kNaN, kNaN, kNaN, kNaN, kNaN, kNaNd);    // 1 Cell.mode
  c.add(kBool, kNaN, kNaN, kNaN, kNaN, kNaN, kNaNd);    // 2 Cell.flag
  c.add(kNumber, kNaN, kNaN, kNaN, kNaN, kNaN, kNaNd);  // 3 Cell.free
  c.add(kNumber, -10, 10, kNaN, kNaN, kNaN, 1'000);     // 4 range and cooldown only
  c.add(kString, kNaN, kNaN, kNaN, kNaN, kNaN, 5'000);  // 5 string with cooldown
  return c;
}

struct Outcome {
  std::vector<std::uint16_t> reasons;
  std::vector<std::uint8_t> verdicts;
  Tally tally{};
  elex::Status status;
};

struct Batch {
  std::vector<std::int32_t> params, cells;
  std::vector<double> cur, pro, at;
  void add(std::int32_t p, double c, double v, double t, std::int32_t cell = 0) {
    params.push_back(p);
    cur.push_back(c);
    pro.push_back(v);
    at.push_back(t);
    cells.push_back(cell);
  }
  Changes changes() const {
    return {params.data(), cur.data(), pro.data(), at.data(), 0.0, cells.data(), params.size()};
  }
};

Outcome run(Validator& v, const Batch& b, std::uint32_t flags = kRecord,
            std::vector<std::uint16_t> pre = {}) {
  Outcome r;
  r.reasons = pre.empty() ? std::vector<std::uint16_t>(b.params.size()) : pre;
  r.verdicts.assign(b.params.size(), 9);
  r.status = v.run(b.changes(), flags, r.reasons.data(), r.verdicts.data(), &r.tally);
  return r;
}

std::unique_ptr<Validator> make(const Catalog& c) {
  auto v = std::make_unique<Validator>();
  const auto b = c.bounds();
  EXPECT_EQ(v->init(c.count(), c.kinds.data(), b.data(), c.cool.data()), ELEX_OK);
  return v;
}

}  // namespace

TEST(Validator, EachReasonAndItsVerdict) {
  Catalog c = small();
  Validator v;
  const auto bounds = c.bounds();
  ASSERT_EQ(v.init(c.count(), c.kinds.data(), bounds.data(), c.cool.data()), ELEX_OK);
  Batch b;
  const double t = 1e6;
  b.add(0, 50, 55, t, 1);     // ok
  b.add(0, 50, 75, t, 2);     // step too large
  b.add(0, 80, 85, t, 3);     // outside safe: warn
  b.add(0, 95, 101, t, 4);    // absolute and safe
  b.add(0, 50, 50.5, t, 5);   // int, not an integer
  b.add(0, 50, kNaNd, t, 6);  // not finite
  b.add(7, 1, 2, t);          // unknown
  b.add(-1, 1, 2, t);         // unknown
  b.add(1, 0, 0, t);          // enum in a typed batch: wrong type
  b.add(2, 0, 1, t);          // bool 0 / 1: ok
  b.add(2, 0, 2, t);          // bool 2: wrong type
  b.add(3, 1, 2, t);          // no bounds: warn
  const Outcome r = run(v, b);
  ASSERT_EQ(r.status, ELEX_OK);
  const std::vector<std::uint16_t> want = {
      0,        kTooLarge,  kSafe, kAbsolute | kSafe, kWrongType, kReasonNotFinite, kUnknown,
      kUnknown, kWrongType, 0,     kWrongType,        kNoBounds};
  EXPECT_EQ(r.reasons, want);
  const std::vector<std::uint8_t> verdicts = {0, 2, 1, 2, 2, 2, 2, 2, 2, 0, 2, 1};
  EXPECT_EQ(r.verdicts, verdicts);
  EXPECT_EQ(r.tally.ok, 2u);
  EXPECT_EQ(r.tally.warn, 2u);
  EXPECT_EQ(r.tally.reject, 8u);
  // Accepted changes of parameter 0 (cells 1 and 3) were recorded, nothing else.
  EXPECT_EQ(v.cooldowns().size(), 2u);
  EXPECT_EQ(r.tally.max_recorded_at, t);
}

TEST(Validator, ValuesAreComparedExactlyAndTheStepIsAbsolute) {
  // Found from outside (elex-cli validate): a change from 0 passed any step
  // (the limit was relative to |current|, and from 0 relative to a safe
  // zone that was unknown or zero wide), and values were compared as
  // floats, so near 2^32 a value one above the range or a step of 100
  // against 10 passed.
  Catalog c;
  c.add(kNumber, kNaN, kNaN, kNaN, kNaN, 10, kNaNd);          // 0 a step only
  c.add(kInt, 0, 100, 5, 5, 1, kNaNd);                        // 1 a zero-wide safe zone
  c.add(kInt, 0, 4'294'967'295.0, kNaN, kNaN, 10, kNaNd);     // 2 a 32-bit id
  c.add(kInt, 0, 68'719'476'735.0, kNaN, kNaN, kNaN, kNaNd);  // 3 a 36-bit NR cell id
  c.add(kNumber, -0.1, 0.1, kNaN, kNaN, 0.05, kNaNd);         // 4 fractions
  auto v = make(c);
  Batch b;
  b.add(0, 0, 1000, 0);                           // 0 → 1000, step 10
  b.add(0, 0, 10, 0);                             // exactly the step
  b.add(1, 0, 50, 0);                             // 0 → 50, step 1, outside the safe zone
  b.add(2, 4'294'967'000.0, 4'294'967'296.0, 0);  // 1 above the range, step 296
  b.add(2, 4'000'000'000.0, 4'000'000'100.0, 0);  // step 100 against 10
  b.add(2, 4'294'967'290.0, 4'294'967'295.0, 0);  // the max, step 5
  b.add(3, 0, 68'719'476'736.0, 0);               // 2^36: 1 above
  b.add(3, 0, 68'719'476'735.0, 0);               // the max
  b.add(4, 0.1, 0.1000000001, 0);                 // a hair above 0.1
  b.add(4, 0.05, 0.1, 0);                         // the max, exactly the step
  b.add(0, kNaNd, 1e30, 0);  // no current: the step cannot be judged (NOT_FINITE)
  b.add(0, std::numeric_limits<double>::infinity(), 5, 0);  // likewise
  b.add(0, 0, 1e39, 0);  // beyond a float's range: finite all the same
  const Outcome r = run(*v, b, 0);
  ASSERT_EQ(r.status, ELEX_OK);
  const std::vector<std::uint16_t> want = {kTooLarge,
                                           0,
                                           std::uint16_t(kTooLarge | kSafe),
                                           std::uint16_t(kAbsolute | kTooLarge),
                                           kTooLarge,
                                           0,
                                           kAbsolute,
                                           0,
                                           kAbsolute,
                                           0,
                                           kReasonNotFinite,
                                           kReasonNotFinite,
                                           kTooLarge};
  EXPECT_EQ(r.reasons, want);
}

TEST(Validator, ACurrentValueTheStepCheckCannotUseIsNotFinite) {
  // A NaN or infinite current value made |proposed − current| > max change
  // false: a change of 50 -> 1000 against a max change of 10 was "ok" and
  // started its cooldown.
  auto vp = make(small());
  Validator& v = *vp;
  const double t = 1e6, inf = std::numeric_limits<double>::infinity();
  Batch b;
  b.add(0, kNaNd, 60, t, 1);  // max change 10: the step cannot be judged
  b.add(0, inf, 60, t, 2);
  b.add(0, -inf, 60, t, 3);
  b.add(0, 1e39, 60, t, 4);  // finite (compared as a double): a step far too large
  b.add(4, kNaNd, 5, t, 5);  // no max change: the current value is not used
  b.add(0, 55, 60, t, 6);    // ok
  const Outcome r = run(v, b);
  ASSERT_EQ(r.status, ELEX_OK);
  EXPECT_EQ(r.reasons, (std::vector<std::uint16_t>{kReasonNotFinite, kReasonNotFinite,
                                                   kReasonNotFinite, kTooLarge, 0, 0}));
  EXPECT_EQ(r.verdicts, (std::vector<std::uint8_t>{2, 2, 2, 2, 0, 0}));
  // Only the accepted ones start a cooldown (parameter 4 on cell 5, 0 on cell 6).
  EXPECT_EQ(v.cooldowns().size(), 2u);
}

TEST(Validator, CooldownsFollowTheCallerClockCellsAndOrder) {
  auto vp = make(small());
  Validator& v = *vp;
  const double t = 5e6;
  Batch a;
  a.add(0, 50, 55, t, 1);
  a.add(0, 55, 60, t + 30'000, 1);  // same batch, same cell: in cooldown
  a.add(0, 55, 60, t + 30'000, 2);  // another cell: free
  const Outcome ra = run(v, a);
  EXPECT_EQ(ra.reasons, (std::vector<std::uint16_t>{0, kCooldown, 0}));
  Batch b;
  b.add(0, 55, 60, t + 61'000, 1);  // elapsed
  b.add(0, 55, 60, t + 61'000, 2);  // 31 s after cell 2's change
  EXPECT_EQ(run(v, b).reasons, (std::vector<std::uint16_t>{0, kCooldown}));
  // Without kRecord nothing is kept.
  Batch c;
  c.add(4, 0, 1, 100);
  c.add(4, 0, 1, 101);
  EXPECT_EQ(run(v, c, 0).reasons, (std::vector<std::uint16_t>{0, 0}));
  EXPECT_EQ(run(v, c).reasons, (std::vector<std::uint16_t>{0, kCooldown}));
  // A rejected change is not recorded.
  Batch d;
  d.add(4, 0, 50, 10'000, 3);  // outside the range
  d.add(4, 0, 1, 10'001, 3);
  EXPECT_EQ(run(v, d).reasons, (std::vector<std::uint16_t>{kAbsolute, 0}));
}

TEST(Validator, CooldownsMoveToAnotherValidator) {
  auto ap = make(small());
  Validator& a = *ap;
  const double t = 5e6;
  Batch first;
  first.add(0, 50, 55, t, 1);
  first.add(0, 50, 55, t + 1000, 2);
  ASSERT_EQ(run(a, first).reasons, (std::vector<std::uint16_t>{0, 0}));
  std::vector<std::int32_t> params, cells;
  std::vector<double> at;
  a.cooldowns().for_each([&](std::uint64_t key, double when) {
    params.push_back(std::int32_t(key >> 32));
    cells.push_back(std::int32_t(std::uint32_t(key)));
    at.push_back(when);
  });
  ASSERT_EQ(params.size(), 2u);
  auto bp = make(small());
  Validator& b = *bp;
  ASSERT_EQ(b.restore(params.size(), params.data(), cells.data(), at.data()), ELEX_OK);
  // An older time does not replace a later one.
  const std::int32_t p0 = 0, c1 = 1;
  const double old = t - 1e6;
  ASSERT_EQ(b.restore(1, &p0, &c1, &old), ELEX_OK);
  Batch next;
  next.add(0, 55, 60, t + 30'000, 1);  // within cell 1's cooldown, held by b now
  next.add(0, 55, 60, t + 30'000, 3);  // a cell never changed
  EXPECT_EQ(run(b, next).reasons, (std::vector<std::uint16_t>{kCooldown, 0}));
  // A parameter out of range or a NaN time: refused, nothing taken.
  const std::int32_t bad = 99;
  const double nan = kNaNd;
  EXPECT_EQ(b.restore(1, &bad, &c1, &t), ELEX_E_INVALID_ARGUMENT);
  EXPECT_EQ(b.restore(1, &p0, &c1, &nan), ELEX_E_INVALID_ARGUMENT);
  EXPECT_EQ(b.cooldowns().size(), 3u);
}

TEST(Validator, CallerCheckedChangesAndNamedCells) {
  auto vp = make(small());
  Validator& v = *vp;
  Batch b;
  b.add(1, kNaNd, kNaNd, 10, -1);  // enum the caller checked: fine
  b.add(1, kNaNd, kNaNd, 10, -1);  // the caller found it wrong
  b.add(5, kNaNd, kNaNd, 10, -2);  // string with a cooldown, checked
  b.add(5, kNaNd, kNaNd, 20, -2);  // ... again on that cell: cooldown
  b.add(0, kNaNd, kNaNd, 10, -3);  // the caller found a wrong type on a numeric one
  const Outcome r = run(v, b, kRecord | kCallerChecked, {0, kWrongType, 0, 0, kWrongType});
  ASSERT_EQ(r.status, ELEX_OK);
  EXPECT_EQ(r.reasons, (std::vector<std::uint16_t>{0, kWrongType, 0, kCooldown, kWrongType}));
  // Negative cells are refused unless the caller numbers them.
  const Outcome bad = run(v, b, kRecord);
  EXPECT_EQ(bad.status, ELEX_E_INVALID_ARGUMENT);
  EXPECT_NE(std::string(elex::last_error_message()).find("change 0"), std::string::npos);
}

TEST(Validator, BadInputChangesNothing) {
  auto vp = make(small());
  Validator& v = *vp;
  Batch b;
  b.add(0, 50, 55, 1000, 1);
  b.add(0, 50, 55, kNaNd, 2);
  EXPECT_EQ(run(v, b).status, ELEX_E_INVALID_ARGUMENT);
  EXPECT_NE(std::string(elex::last_error_message()).find("change 1"), std::string::npos);
  EXPECT_EQ(v.cooldowns().size(), 0u);
  Batch inf;
  inf.add(0, 50, 55, std::numeric_limits<double>::infinity());
  EXPECT_EQ(run(v, inf).status, ELEX_E_INVALID_ARGUMENT);
  // One time for all: a non-finite one is refused too.
  std::uint16_t reasons[1];
  std::uint8_t verdicts[1];
  const std::int32_t p = 0;
  const double cur = 1, pro = 2;
  const Changes c{&p, &cur, &pro, nullptr, kNaNd, nullptr, 1};
  EXPECT_EQ(v.run(c, kRecord, reasons, verdicts, nullptr), ELEX_E_INVALID_ARGUMENT);
  const Changes ok{&p, &cur, &pro, nullptr, 7.0, nullptr, 1};
  EXPECT_EQ(v.run(ok, kRecord, reasons, verdicts, nullptr), ELEX_OK);
  EXPECT_EQ(v.cooldowns().size(), 1u);  // 1 → 2 is below the safe range: a warning, recorded
}

TEST(Validator, FloorAfterALoss) {
  auto vp = make(small());
  Validator& v = *vp;
  v.set_floor(1'000'000);
  Batch b;
  b.add(0, 50, 55, 1'030'000, 9);  // 30 s after the floor: cooldown (60 s)
  b.add(4, 0, 1, 1'030'000, 9);    // 1 s cooldown: elapsed
  b.add(3, 0, 1, 1'000'001, 9);    // no cooldown at all
  EXPECT_EQ(run(v, b).reasons, (std::vector<std::uint16_t>{kCooldown, 0, kNoBounds}));
  Batch later;
  later.add(0, 50, 55, 1'061'000, 9);
  EXPECT_EQ(run(v, later).reasons, (std::vector<std::uint16_t>{0}));
}

TEST(Validator, InitRefusesUnknownKindsAndASecondCatalog) {
  Catalog c = small();
  c.kinds[2] = 9;
  Validator v;
  const auto b = c.bounds();
  EXPECT_EQ(v.init(c.count(), c.kinds.data(), b.data(), c.cool.data()), ELEX_E_INVALID_ARGUMENT);
  auto wp = make(small());
  Validator& w = *wp;
  const Catalog s = small();
  const auto sb = s.bounds();
  EXPECT_EQ(w.init(s.count(), s.kinds.data(), sb.data(), s.cool.data()), ELEX_E_INVALID_ARGUMENT);
}

TEST(Validator, CooldownTableGrowsAndKeepsEveryKey) {
  CooldownTable t;
  for (std::int32_t p = 0; p < 300; ++p)
    for (std::int32_t cell = -5; cell < 100; ++cell)
      ASSERT_EQ(t.set(CooldownTable::key(p, cell), p * 1000.0 + cell), ELEX_OK);
  EXPECT_EQ(t.size(), 300u * 105u);
  for (std::int32_t p = 0; p < 300; ++p)
    for (std::int32_t cell = -5; cell < 100; ++cell) {
      const double* x = t.find(CooldownTable::key(p, cell));
      ASSERT_NE(x, nullptr);
      EXPECT_EQ(*x, p * 1000.0 + cell);
    }
  EXPECT_EQ(t.find(CooldownTable::key(300, 0)), nullptr);
  EXPECT_LE(t.size() * 2, t.bytes() / 16);
  t.clear();
  EXPECT_EQ(t.find(CooldownTable::key(1, 1)), nullptr);
}

// ------------------------------------------------------------ reference

namespace {

/// validator.h's table, one change at a time, with a std::map of times.
struct Reference {
  const Catalog& c;
  std::map<std::pair<std::int32_t, std::int32_t>, double> last;
  std::uint16_t one(std::int32_t p, double cur, double pro, double at, std::int32_t cell,
                    bool record) {
    if (p < 0 || p >= std::int32_t(c.count())) return kUnknown;
    const double lo = c.cols[kAbsMin][p], hi = c.cols[kAbsMax][p];
    const double smin = c.cols[kSafeMin][p], smax = c.cols[kSafeMax][p],
                 step = c.cols[kMaxChange][p];
    std::uint16_t r = 0;
    const Kind k = Kind(c.kinds[p]);
    bool numeric = k == kNumber;
    if (k == kInt) {
      if (std::isfinite(pro) && std::floor(pro) != pro)
        r |= kWrongType;
      else
        numeric = true;
    } else if (k == kBool) {
      if (pro != 0 && pro != 1) r |= kWrongType;
    } else if (k != kNumber) {
      r |= kWrongType;
    }
    if (numeric) {
      if (std::isnan(lo) && std::isnan(hi) && std::isnan(smin) && std::isnan(smax) &&
          std::isnan(step))
        r |= kNoBounds;
      if (std::isnan(pro) || std::isinf(pro) ||
          (!std::isnan(step) && (std::isnan(cur) || std::isinf(cur)))) {
        r |= kReasonNotFinite;
      } else {
        if (!std::isnan(lo) && pro < lo) r |= kAbsolute;
        if (!std::isnan(hi) && pro > hi) r |= kAbsolute;
        if (!std::isnan(smin) && pro < smin) r |= kSafe;
        if (!std::isnan(smax) && pro > smax) r |= kSafe;
        if (!std::isnan(step) && (pro > cur ? pro - cur : cur - pro) > step) r |= kTooLarge;
      }
    }
    const double cool = c.cool[p];
    if (!std::isnan(cool)) {
      auto it = last.find({p, cell});
      if (it != last.end() && at - it->second < cool) r |= kCooldown;
    }
    if (record && !(r & kRejectReasons) && !std::isnan(cool)) last[{p, cell}] = at;
    return r;
  }
};

}  // namespace

TEST(Validator, AgreesWithAPlainReferenceOverRandomBatches) {
  std::mt19937 rng(12345);
  Catalog c;
  std::uniform_real_distribution<float> u(-100, 100);
  for (int p = 0; p < 400; ++p) {
    const Kind k = Kind(p % 7 < 3 ? kNumber : p % 7 < 5 ? kInt : p % 7 == 5 ? kBool : kEnum);
    if (p % 11 == 0) {
      c.add(k, kNaN, kNaN, kNaN, kNaN, kNaN, p % 2 ? 30'000 : kNaNd);
      continue;
    }
    // Every 13th parameter is an id of up to 36 bits: bounds and values
    // beyond 2^24, where a float has no unit steps, and changes at ±1.
    const double scale = p % 13 == 1 ? 68'719'476'735.0 / 200 : 1.0;
    const double lo = std::round(u(rng) * scale),
                 hi = lo + std::round((20 + std::fabs(u(rng))) * scale);
    c.add(k, lo, hi, p % 5 ? lo + 5 : kNaN, p % 5 ? hi - 5 : kNaN,
          p % 3 ? std::round((hi - lo) / 4) : kNaN, p % 4 ? 60'000.0 * (p % 4) : kNaNd);
  }
  auto vp = make(c);
  Validator& v = *vp;
  Reference ref{c, {}};
  double t = 1e9;
  std::size_t seen[8] = {};
  for (int round = 0; round < 40; ++round) {
    Batch b;
    const int n = 1 + int(rng() % 3000);
    for (int i = 0; i < n; ++i) {
      const std::int32_t p = std::int32_t(rng() % 410) - 5;
      const bool big = p >= 0 && p < 400 && p % 13 == 1 && !std::isnan(c.cols[kAbsMin][p]);
      double cur = std::round(u(rng)),
             pro = rng() % 2 ? std::round(cur + u(rng) / 4) : cur + u(rng) / 7;
      if (big) {
        // At a bound or the step, or one beyond it.
        const double edge[] = {c.cols[kAbsMin][p], c.cols[kAbsMax][p], c.cols[kSafeMin][p],
                               c.cols[kSafeMax][p]};
        pro = edge[rng() % 4];
        if (std::isnan(pro)) pro = c.cols[kAbsMax][p];
        pro += double(int(rng() % 3) - 1);
        const double step = std::isnan(c.cols[kMaxChange][p]) ? 7 : c.cols[kMaxChange][p];
        cur = pro + (rng() % 2 ? step : -step) + double(int(rng() % 3) - 1);
      }
      if (rng() % 101 == 0) pro = kNaNd;
      if (rng() % 151 == 0) pro = std::numeric_limits<double>::infinity();
      if (p >= 0 && p < 400 && c.kinds[p] == kBool) pro = double(rng() % 3);
      t += double(rng() % 4000);
      b.add(p, rng() % 13 == 0 ? 0.0 : cur, pro, t, std::int32_t(rng() % 9));
    }
    const bool record = round % 5 != 4;
    const Outcome r = run(v, b, record ? kRecord : 0);
    ASSERT_EQ(r.status, ELEX_OK);
    std::uint32_t ok = 0, warn = 0;
    for (int i = 0; i < n; ++i) {
      const std::uint16_t want =
          ref.one(b.params[i], b.cur[i], b.pro[i], b.at[i], b.cells[i], record);
      ASSERT_EQ(r.reasons[i], want) << "round " << round << " change " << i;
      ASSERT_EQ(r.verdicts[i], (want & kRejectReasons) ? 2 : want ? 1 : 0);
      ok += r.verdicts[i] == 0;
      warn += r.verdicts[i] == 1;
      for (unsigned bit = 0; bit < 8; ++bit) seen[bit] += (want >> bit) & 1;
    }
    EXPECT_EQ(r.tally.ok, ok);
    EXPECT_EQ(r.tally.warn, warn);
    EXPECT_EQ(r.tally.reject, std::uint32_t(n) - ok - warn);
  }
  for (unsigned bit = 0; bit < 8; ++bit) EXPECT_GT(seen[bit], 0u) << "reason bit " << bit;
  EXPECT_EQ(v.cooldowns().size(), ref.last.size());
}

TEST(Validator, CAbi) {
  const Catalog c = small();
  const auto b = c.bounds();
  elex_validator* v = nullptr;
  ASSERT_EQ(elex_validator_create(c.count(), c.kinds.data(), b.data(), c.cool.data(), &v), ELEX_OK);
  const std::int32_t params[2] = {0, 0};
  const double cur[2] = {50, 55}, pro[2] = {55, 60}, at[2] = {1000, 2000};
  std::uint16_t reasons[2];
  std::uint8_t verdicts[2];
  elex_validator_totals out{};
  elex_validator_run_args run{0, params, cur, pro, at, nullptr, reasons, verdicts, 2, kRecord, 0};
  ASSERT_EQ(elex_validator_run(v, &run, &out), ELEX_OK);
  EXPECT_EQ(verdicts[0], 0);
  EXPECT_EQ(reasons[1], kCooldown);
  EXPECT_EQ(out.ok, 1);
  EXPECT_EQ(out.reject, 1);
  EXPECT_EQ(out.latest, 1000);
  elex_validator_stats_t st{};
  ASSERT_EQ(elex_validator_stats(v, &st), ELEX_OK);
  EXPECT_EQ(st.parameters, 6);
  EXPECT_EQ(st.recorded, 1);
  EXPECT_GT(st.bytes, 0);
  EXPECT_EQ(out.bytes, st.bytes);  // the run reports the bytes the validator holds
  EXPECT_EQ(elex_validator_floor(v, std::nan("")), ELEX_E_INVALID_ARGUMENT);
  EXPECT_EQ(elex_validator_floor(v, 5000), ELEX_OK);
  run.flags = 0;
  EXPECT_EQ(elex_validator_run(nullptr, &run, &out), ELEX_E_INVALID_ARGUMENT);
  EXPECT_EQ(elex_validator_run(v, nullptr, &out), ELEX_E_INVALID_ARGUMENT);
  // at null: at_all is every change's time (the cooldown floor at 5000 rejects both).
  run.at = nullptr;
  run.at_all = 6000;
  ASSERT_EQ(elex_validator_run(v, &run, &out), ELEX_OK);
  EXPECT_EQ(out.reject, 2);
  EXPECT_EQ(reasons[0], kCooldown);
  elex_validator_destroy(v);
}

// A run reserved cooldown room for every change of the batch and kept it: a
// batch of 4,000,000 changes left a validator holding 134 MB for no cooldown
// at all (each engine's validator counts towards the memory budget). After
// a run the table fits what it holds.
TEST(Validator, ABigBatchLeavesRoomForWhatItRecordedOnly) {
  auto vp = make(small());
  Validator& v = *vp;
  const std::size_t empty = v.bytes();
  Batch unknown, repeated;
  for (int i = 0; i < 100000; ++i) unknown.add(-1, 1, 2, 1e6);               // nothing to record
  for (int i = 0; i < 100000; ++i) repeated.add(4, 1, 2, 1e6 + 1e4 * i, 7);  // one key
  ASSERT_EQ(run(v, unknown).status, ELEX_OK);
  EXPECT_EQ(v.cooldowns().size(), 0u);
  EXPECT_LE(v.bytes(), empty + 64 * 1024) << v.bytes() - empty << " bytes for no cooldown";
  const Outcome r = run(v, repeated);
  ASSERT_EQ(r.status, ELEX_OK);
  EXPECT_EQ(r.tally.ok, 100000u);
  EXPECT_EQ(v.cooldowns().size(), 1u);
  EXPECT_LE(v.bytes(), empty + 64 * 1024) << v.bytes() - empty << " bytes for one cooldown";
  // What was recorded is all there, and still checked against.
  Batch again;
  again.add(4, 1, 2, 1e6 + 1e4 * 99999 + 1, 7);
  again.add(4, 1, 2, 1e6 + 1e4 * 99999 + 1, 8);
  const Outcome a = run(v, again, 0);
  EXPECT_EQ(a.reasons[0], kCooldown);
  EXPECT_EQ(a.reasons[1], 0);
}
