// KPI programs, counter statistics and anomaly scores (monitor.h).
#include "elex/ran/monitor.h"

#include "elex/kernels/simd.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace elex::monitor {

Status check(const Programs& p, std::uint32_t counters) {
  if (p.kpis > 0 && (p.ops == nullptr || p.offsets == nullptr))
    return fail(ELEX_E_INVALID_ARGUMENT, "null KPI programs");
  for (std::uint32_t k = 0; k < p.kpis; ++k) {
    if (p.offsets[k + 1] < p.offsets[k])
      return fail(ELEX_E_INVALID_ARGUMENT, "KPI %u: program offsets decrease", k);
    int depth = 0;
    for (std::uint32_t i = p.offsets[k]; i < p.offsets[k + 1]; ++i) {
      const std::int32_t op = p.ops[i] & 0xFF;
      const std::uint32_t arg = std::uint32_t(p.ops[i]) >> 8;
      switch (op) {
        case kPush:
          if (arg >= counters)
            return fail(ELEX_E_INVALID_ARGUMENT, "KPI %u: counter %u of %u", k, arg, counters);
          ++depth;
          break;
        case kConst:
          if (arg >= p.n_consts || p.consts == nullptr)
            return fail(ELEX_E_INVALID_ARGUMENT, "KPI %u: constant %u of %u", k, arg, p.n_consts);
          ++depth;
          break;
        case kAdd:
        case kSub:
        case kMul:
        case kDiv:
          if (depth < 2) return fail(ELEX_E_INVALID_ARGUMENT, "KPI %u: stack underflow", k);
          --depth;
          break;
        case kNeg:
          if (depth < 1) return fail(ELEX_E_INVALID_ARGUMENT, "KPI %u: stack underflow", k);
          break;
        default:
          return fail(ELEX_E_INVALID_ARGUMENT, "KPI %u: unknown op %d", k, op);
      }
      if (depth > int(kMaxStack)) return fail(ELEX_E_INVALID_ARGUMENT, "KPI %u: stack overflow", k);
    }
    if (depth != 1)
      return fail(ELEX_E_INVALID_ARGUMENT, "KPI %u: program leaves %d values", k, depth);
  }
  return ELEX_OK;
}

namespace {

/// One row's figures, given its count, sum, min and max.
void finish_row(float n, float sum, float mn, float mx, float* o) {
  o[0] = n;
  o[1] = sum;
  o[2] = n > 0 ? sum / n : NAN;
  o[3] = n > 0 ? mn : NAN;
  o[4] = n > 0 ? mx : NAN;
}

/// A row's running figures, period t in lane t mod 4.
struct Lanes {
  std::int32_t n[4] = {0, 0, 0, 0};
  float sum[4] = {0, 0, 0, 0};
  float lo[4] = {INFINITY, INFINITY, INFINITY, INFINITY};
  float hi[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};

  /// Periods [t0, P) of row, in order (t0 a multiple of 4); NaN skipped.
  void scan(const float* row, std::size_t t0, std::size_t P) {
    for (std::size_t t = t0; t < P; ++t) {
      const unsigned j = t & 3;
      const float v = row[t];
      const bool ok = v == v;
      n[j] += ok;
      sum[j] += ok ? v : 0.0f;
      lo[j] = ok && v < lo[j] ? v : lo[j];
      hi[j] = ok && v > hi[j] ? v : hi[j];
    }
  }
  /// Lanes joined in a fixed order: counts and sums pairwise, min / max from lane 0 up.
  float total() const { return (sum[0] + sum[1]) + (sum[2] + sum[3]); }
  void finish(float* o) const {
    float mn = lo[0], mx = hi[0];
    for (unsigned j = 1; j < 4; ++j) {
      mn = lo[j] < mn ? lo[j] : mn;
      mx = hi[j] > mx ? hi[j] : mx;
    }
    finish_row(float((n[0] + n[1]) + (n[2] + n[3])), total(), mn, mx, o);
  }
};

/// Rows [b, e) one at a time: the reference.
void rows_scalar(std::size_t b, std::size_t e, std::size_t P, const float* data, float* out) {
  for (std::size_t r = b; r < e; ++r) {
    Lanes l;
    l.scan(data + r * P, 0, P);
    l.finish(out + r * 5);
  }
}

#if ELEX_SIMD
/// Lanes in registers: four periods per step, the scalar loop's operations
/// per lane, NaN skipped.
struct LaneRegs {
  simd::i32x4 n = simd::zero_i32();
  simd::f32x4 sum = simd::zero(), lo = simd::splat(INFINITY), hi = simd::splat(-INFINITY);

  void step(simd::f32x4 v) {
    using namespace elex::simd;
    const m32x4 ok = eq(v, v);
    n = count_if(n, ok);
    sum = add(sum, keep(ok, v));
    // NaN compares false: min / max (v < lo ? v : lo) skip it as `ok &&` does.
    lo = simd::min(lo, v);
    hi = simd::max(hi, v);
  }
  Lanes lanes() const {
    Lanes l;
    simd::store_i32(l.n, n);
    simd::store(l.sum, sum);
    simd::store(l.lo, lo);
    simd::store(l.hi, hi);
    return l;
  }
};

/// One row, NaN skipped.
void row_vec(const float* row, std::size_t P, float* out) {
  LaneRegs r;
  std::size_t t = 0;
  for (; t + 4 <= P; t += 4) r.step(simd::load(row + t));
  Lanes l = r.lanes();
  l.scan(row, t, P);
  l.finish(out);
}

/// Four rows (P a multiple of 4) as if no sample were missing: sum, min
/// and max alone, one row after the other. If a sum turns NaN, a sample
/// was missing (or +inf met -inf): the four go again through row_vec(),
/// which gives the same bits when there is no NaN. Otherwise the lanes are
/// joined for the four rows at once: after a 4 × 4 transpose, vector j holds
/// lane j of each row, so the joins of Lanes::finish() (sums pairwise, min /
/// max from lane 0 up) and the mean are vertical ops; the count is P.
void rows4_fast(const float* data, std::size_t r, std::size_t P, float* out) {
  using namespace elex::simd;
  f32x4 S[4], L[4], H[4];
  for (unsigned q = 0; q < 4; ++q) {
    const float* row = data + (r + q) * P;
    f32x4 sum = zero(), lo = splat(INFINITY), hi = splat(-INFINITY);
    for (std::size_t t = 0; t < P; t += 4) {
      const f32x4 v = load(row + t);
      sum = add(sum, v);
      lo = simd::min(lo, v);
      hi = simd::max(hi, v);
    }
    S[q] = sum, L[q] = lo, H[q] = hi;
  }
  const m32x4 clean =
      mand(mand(eq(S[0], S[0]), eq(S[1], S[1])), mand(eq(S[2], S[2]), eq(S[3], S[3])));
  if (movemask(clean) != 0xF) {
    for (unsigned q = 0; q < 4; ++q) row_vec(data + (r + q) * P, P, out + (r + q) * 5);
    return;
  }
  transpose4(S[0], S[1], S[2], S[3]);
  transpose4(L[0], L[1], L[2], L[3]);
  transpose4(H[0], H[1], H[2], H[3]);
  f32x4 n = splat(float(P)), sum = add(add(S[0], S[1]), add(S[2], S[3])), mean = div(sum, n);
  f32x4 lo = L[0], hi = H[0];
  for (unsigned j = 1; j < 4; ++j) {
    lo = simd::min(lo, L[j]);  // L[j] < lo ? L[j] : lo
    hi = simd::max(hi, H[j]);
  }
  alignas(16) float mx[4];
  store(mx, hi);
  transpose4(n, sum, mean, lo);  // now row q's (count, sum, mean, min)
  const f32x4 rowq[4] = {n, sum, mean, lo};
  for (unsigned q = 0; q < 4; ++q) {
    store(out + (r + q) * 5, rowq[q]);
    out[(r + q) * 5 + 4] = mx[q];
  }
}

void rows_vec(std::size_t b, std::size_t e, std::size_t P, const float* data, float* out) {
  std::size_t r = b;
  if (P % 4 == 0 && P > 0)
    for (; r + 4 <= e; r += 4) rows4_fast(data, r, P, out);
  for (; r < e; ++r) row_vec(data + r * P, P, out + r * 5);
}
#endif

}  // namespace

namespace {

/// Lane sums combined in a fixed order.
double combine(const float l[4]) {
  return (double(l[0]) + double(l[1])) + (double(l[2]) + double(l[3]));
}

KpiScore finish_score(std::uint32_t br, std::uint32_t an, float worst, const float n[4],
                      const float sum[4]) {
  KpiScore k{br, an, worst, (n[0] + n[1]) + (n[2] + n[3]), 0.0, 0.0};
  if (k.count > 0) k.mean = combine(sum) / double(k.count);
  return k;
}

/// M2: squared deviations of the finite values from `mean`, period t in
/// lane t mod 8 (two registers, so the adds of one chain overlap), lanes j
/// and j + 4 joined, then combine(). Periods [t0, P) in order, onto M.
void m2_tail(const float* v, std::size_t t0, std::size_t P, float mean, float M[8]) {
  for (std::size_t t = t0; t < P; ++t) {
    const float x = v[t];
    const float d = x - x == 0.0f ? x - mean : 0.0f;
    M[t & 7] += d * d;
  }
}
double m2_join(const float M[8]) {
  const float l[4] = {M[0] + M[4], M[1] + M[5], M[2] + M[6], M[3] + M[7]};
  return combine(l);
}
double m2_of(const float* v, std::size_t P, float mean) {
  float M[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::size_t t = 0;
#if ELEX_SIMD
  using namespace elex::simd;
  const f32x4 nil = zero(), mu = splat(mean);
  f32x4 a = nil, b = nil;
  const auto dev = [&](std::size_t u) {
    const f32x4 x = load(v + u);
    return keep(eq(sub(x, x), nil), sub(x, mu));
  };
  for (; t + 8 <= P; t += 8) {
    const f32x4 d0 = dev(t), d1 = dev(t + 4);
    a = add(a, mul(d0, d0));
    b = add(b, mul(d1, d1));
  }
  if (t + 4 <= P) {
    const f32x4 d0 = dev(t);
    a = add(a, mul(d0, d0));
    t += 4;
  }
  store(M, a);
  store(M + 4, b);
#endif
  m2_tail(v, t, P, mean, M);
  return m2_join(M);
}

}  // namespace

namespace scalar {
KpiScore score(const float* v, std::size_t P, const ScoreParams& sp) {
  float n[4] = {0, 0, 0, 0}, sum[4] = {0, 0, 0, 0}, worst = 0;
  std::uint32_t br = 0, an = 0;
  for (std::size_t t = 0; t < P; ++t) {
    const unsigned j = t & 3;
    const float x = v[t];
    const bool ok = x - x == 0.0f;  // finite
    br += ok && ((sp.direction > 0 && x < sp.threshold) || (sp.direction < 0 && x > sp.threshold));
    const bool scored = ok && sp.inv_sd > 0;
    const float z = scored ? std::fabs(x - sp.mean0) * sp.inv_sd : 0.0f;
    worst = z > worst ? z : worst;
    an += scored && z > sp.z_threshold;
    n[j] += ok ? 1.0f : 0.0f;
    sum[j] += ok ? x : 0.0f;
  }
  KpiScore k = finish_score(br, an, worst, n, sum);
  float m2[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  m2_tail(v, 0, P, float(k.mean), m2);
  k.m2 = m2_join(m2);
  return k;
}
}  // namespace scalar

KpiScore score(const float* v, std::size_t P, const ScoreParams& sp) {
#if ELEX_SIMD
  using namespace elex::simd;
  const f32x4 nil = zero(), one = splat(1.0f), thr = splat(sp.threshold), mean0 = splat(sp.mean0),
              inv = splat(sp.inv_sd), zt = splat(sp.z_threshold);
  const bool scored = sp.inv_sd > 0;
  f32x4 n = nil, sum = nil, worst = nil;
  i32x4 br = zero_i32(), an = zero_i32();
  std::size_t t = 0;
  for (; t + 4 <= P; t += 4) {
    const f32x4 x = load(v + t);
    const m32x4 ok = eq(sub(x, x), nil);
    if (sp.direction > 0) br = count_if(br, mand(ok, lt(x, thr)));
    if (sp.direction < 0) br = count_if(br, mand(ok, gt(x, thr)));
    if (scored) {
      const f32x4 z = keep(ok, mul(simd::abs(sub(x, mean0)), inv));
      worst = simd::max(worst, z);  // worst < z ? z : worst
      an = count_if(an, mand(ok, gt(z, zt)));
    }
    n = add(n, keep(ok, one));
    sum = add(sum, keep(ok, x));
  }
  alignas(16) float N[4], S[4], W[4];
  store(N, n);
  store(S, sum);
  store(W, worst);
  std::uint32_t b = std::uint32_t(hsum_i32(br)), a = std::uint32_t(hsum_i32(an));
  // worst is a max: lane order does not matter.
  float w = std::max(std::max(W[0], W[1]), std::max(W[2], W[3]));
  for (; t < P; ++t) {  // the tail, as the scalar twin does it
    const unsigned j = t & 3;
    const float x = v[t];
    const bool ok = x - x == 0.0f;
    b += ok && ((sp.direction > 0 && x < sp.threshold) || (sp.direction < 0 && x > sp.threshold));
    const float z = ok && scored ? std::fabs(x - sp.mean0) * sp.inv_sd : 0.0f;
    w = z > w ? z : w;
    a += ok && scored && z > sp.z_threshold;
    N[j] += ok ? 1.0f : 0.0f;
    S[j] += ok ? x : 0.0f;
  }
  KpiScore k = finish_score(b, a, w, N, S);
  k.m2 = m2_of(v, P, float(k.mean));
  return k;
#else
  return scalar::score(v, P, sp);
#endif
}

namespace scalar {
KpiScore figures(const float* v, std::size_t P, const ScoreParams& sp, float* stats) {
  if (stats != nullptr) rows_scalar(0, 1, P, v, stats);
  return scalar::score(v, P, sp);
}
}  // namespace scalar

namespace {

#if ELEX_SIMD
/// figures() for a direction and whether the row is scored: one pass for
/// the row's statistics, breaches and z-scores, a second for M2. When the
/// row holds an infinity (its sum is not finite), "ok" differs between the
/// two (row_stats skips NaN, score() every non-finite value): score() then
/// decides. Otherwise ok = not NaN for both, and a NaN compares false in
/// every test below, so no mask is needed but for the sums.
template <int Dir, bool Scored>
KpiScore figures_vec(const float* v, std::size_t P, const ScoreParams& sp, float* stats) {
  using namespace elex::simd;
  const f32x4 thr = splat(sp.threshold), mean0 = splat(sp.mean0), inv = splat(sp.inv_sd),
              zt = splat(sp.z_threshold);
  LaneRegs r;
  i32x4 br = zero_i32(), an = zero_i32();
  f32x4 worst = zero();
  std::size_t t = 0;
  for (; t + 4 <= P; t += 4) {
    const f32x4 x = load(v + t);
    r.step(x);
    if constexpr (Dir > 0) br = count_if(br, lt(x, thr));
    if constexpr (Dir < 0) br = count_if(br, gt(x, thr));
    if constexpr (Scored) {
      const f32x4 z = mul(simd::abs(sub(x, mean0)), inv);  // NaN for a NaN
      worst = simd::max(worst, z);
      an = count_if(an, gt(z, zt));
    }
  }
  Lanes l = r.lanes();
  l.scan(v, t, P);
  if (stats != nullptr) l.finish(stats);
  const float total = l.total();
  if (!(total - total == 0.0f)) return score(v, P, sp);  // an infinity (or an overflow)
  std::uint32_t b = std::uint32_t(hsum_i32(br)), a = std::uint32_t(hsum_i32(an));
  alignas(16) float W[4];
  store(W, worst);
  float w = std::max(std::max(W[0], W[1]), std::max(W[2], W[3]));
  for (std::size_t u = t; u < P; ++u) {  // the tail, as score() does it
    const float x = v[u];
    const bool ok = x == x;
    b += ok && ((Dir > 0 && x < sp.threshold) || (Dir < 0 && x > sp.threshold));
    const float z = ok && Scored ? std::fabs(x - sp.mean0) * sp.inv_sd : 0.0f;
    w = z > w ? z : w;
    a += ok && Scored && z > sp.z_threshold;
  }
  const float N[4] = {float(l.n[0]), float(l.n[1]), float(l.n[2]), float(l.n[3])};
  KpiScore k = finish_score(b, a, w, N, l.sum);
  k.m2 = m2_of(v, P, float(k.mean));
  return k;
}

#endif

}  // namespace

KpiScore figures(const float* v, std::size_t P, const ScoreParams& sp, float* stats) {
#if ELEX_SIMD
  const bool scored = sp.inv_sd > 0;
  if (sp.direction > 0)
    return scored ? figures_vec<1, true>(v, P, sp, stats) : figures_vec<1, false>(v, P, sp, stats);
  if (sp.direction < 0)
    return scored ? figures_vec<-1, true>(v, P, sp, stats)
                  : figures_vec<-1, false>(v, P, sp, stats);
  return scored ? figures_vec<0, true>(v, P, sp, stats) : figures_vec<0, false>(v, P, sp, stats);
#else
  return scalar::figures(v, P, sp, stats);
#endif
}

namespace {

/// x ← x op y over P periods, with the reasons: wx ← max(wx, wy), and a
/// division by zero of two ok values is kDivZero (2). Reasons are floats.
template <std::int32_t Op>
void binop(float* x, const float* y, float* wx, const float* wy, std::size_t P) {
  std::size_t t = 0;
#if ELEX_SIMD
  using namespace elex::simd;
  const f32x4 nil = zero(), two = splat(2.0f);
  for (; t + 4 <= P; t += 4) {
    const f32x4 a = load(x + t), b = load(y + t), wa = load(wx + t), wb = load(wy + t);
    f32x4 w = select(gt(wa, wb), wa, wb);
    f32x4 r;
    if constexpr (Op == kAdd) r = add(a, b);
    if constexpr (Op == kSub) r = sub(a, b);
    if constexpr (Op == kMul) r = mul(a, b);
    if constexpr (Op == kDiv) {
      r = div(a, b);
      w = select(mand(eq(b, nil), mand(eq(wa, nil), eq(wb, nil))), two, w);
    }
    store(x + t, r);
    store(wx + t, w);
  }
#endif
  for (; t < P; ++t) {
    float w = wx[t] > wy[t] ? wx[t] : wy[t];
    if constexpr (Op == kAdd) x[t] = x[t] + y[t];
    if constexpr (Op == kSub) x[t] = x[t] - y[t];
    if constexpr (Op == kMul) x[t] = x[t] * y[t];
    if constexpr (Op == kDiv) {
      w = y[t] == 0.0f && wx[t] == 0.0f && wy[t] == 0.0f ? 2.0f : w;
      x[t] = x[t] / y[t];
    }
    wx[t] = w;
  }
}

/// out ← x op y over P periods (out may be x); for kDiv, true when some
/// divisor is zero.
template <std::int32_t Op>
bool fast_binop(const float* x, const float* y, float* out, std::size_t P) {
  std::size_t t = 0;
  bool zero = false;
#if ELEX_SIMD
  using namespace elex::simd;
  const f32x4 nil = simd::zero();
  m32x4 z = eq(nil, splat(1.0f));  // all false
  for (; t + 4 <= P; t += 4) {
    const f32x4 a = load(x + t), b = load(y + t);
    if constexpr (Op == kAdd) store(out + t, add(a, b));
    if constexpr (Op == kSub) store(out + t, sub(a, b));
    if constexpr (Op == kMul) store(out + t, mul(a, b));
    if constexpr (Op == kDiv) {
      store(out + t, div(a, b));
      z = mor(z, eq(b, nil));
    }
  }
  zero = movemask(z) != 0;
#endif
  for (; t < P; ++t) {
    if constexpr (Op == kAdd) out[t] = x[t] + y[t];
    if constexpr (Op == kSub) out[t] = x[t] - y[t];
    if constexpr (Op == kMul) out[t] = x[t] * y[t];
    if constexpr (Op == kDiv) {
      zero |= y[t] == 0.0f;
      out[t] = x[t] / y[t];
    }
  }
  return zero;
}

/// Per-thread work space for eval_cell.
struct Work {
  float* stack;         // kMaxStack × P values
  float* why;           // kMaxStack × P reasons (the reference path)
  const float** sp;     // kMaxStack operand pointers (the fast path)
  float* cstats;        // counters × 5 when the caller wants no counter figures
  ScoreParams* params;  // kpis: this cell's score parameters
  KpiScore* scores;     // kpis: this cell's figures, merged into the history last
};

/// The fast path: values only. Operands are pointers (a pushed row is read
/// where it lies); results go to the stack slot of their left operand.
/// Returns the KPI's values, or nullptr when an input row holds a NaN
/// (row_count < P) or a divisor is zero: then the reference path decides.
const float* eval_fast(const Programs& p, std::uint32_t k, const float* cell, std::size_t P,
                       const float* cstats, float* base, Work& w) {
  unsigned top = 0;
  const float fullP = float(P);
  for (std::uint32_t i = p.offsets[k]; i < p.offsets[k + 1]; ++i) {
    const std::int32_t op = p.ops[i] & 0xFF;
    const std::uint32_t arg = std::uint32_t(p.ops[i]) >> 8;
    if (op == kPush) {
      if (cstats[std::size_t(arg) * 5] != fullP) return nullptr;  // a missing sample
      w.sp[top++] = cell + std::size_t(arg) * P;
      continue;
    }
    float* slot = base + std::size_t(top) * P;
    if (op == kConst) {
      const float v = p.consts[arg];
      for (std::size_t t = 0; t < P; ++t) slot[t] = v;
      w.sp[top++] = slot;
      continue;
    }
    if (op == kNeg) {
      const float* x = w.sp[top - 1];
      float* out = slot - P;
      for (std::size_t t = 0; t < P; ++t) out[t] = -x[t];
      w.sp[top - 1] = out;
      continue;
    }
    const float* x = w.sp[top - 2];
    const float* y = w.sp[top - 1];
    float* out = slot - 2 * P;
    bool zero = false;
    switch (op) {
      case kAdd:
        fast_binop<kAdd>(x, y, out, P);
        break;
      case kSub:
        fast_binop<kSub>(x, y, out, P);
        break;
      case kMul:
        fast_binop<kMul>(x, y, out, P);
        break;
      default:
        zero = fast_binop<kDiv>(x, y, out, P);
    }
    if (zero) return nullptr;
    w.sp[top - 2] = out;
    --top;
  }
  return w.sp[0];
}

/// The reference path: every op carries a reason per value. Reasons ride
/// along as floats (0 ok, 1 missing, 2 division by zero) so that every loop
/// is a plain float loop the compiler vectorises. Leaves the values in
/// stack[0..P) (null ones NaN) and their reasons in why[0..P).
void eval_reference(const Programs& p, std::uint32_t k, const float* cell, std::size_t P,
                    float* stack, float* why) {
  constexpr float kOkF = 0.0f, kMissingF = 1.0f;
  unsigned top = 0;
  for (std::uint32_t i = p.offsets[k]; i < p.offsets[k + 1]; ++i) {
    const std::int32_t op = p.ops[i] & 0xFF;
    const std::uint32_t arg = std::uint32_t(p.ops[i]) >> 8;
    float* x0 = stack + std::size_t(top) * P;
    float* w0 = why + std::size_t(top) * P;
    if (op == kPush) {
      const float* row = cell + std::size_t(arg) * P;
      for (std::size_t t = 0; t < P; ++t) {
        const float v = row[t];
        x0[t] = v;
        w0[t] = v == v ? kOkF : kMissingF;
      }
      ++top;
      continue;
    }
    if (op == kConst) {
      const float v = p.consts[arg];
      for (std::size_t t = 0; t < P; ++t) x0[t] = v, w0[t] = kOkF;
      ++top;
      continue;
    }
    if (op == kNeg) {
      float* x = x0 - P;
      for (std::size_t t = 0; t < P; ++t) x[t] = -x[t];
      continue;
    }
    float* x = x0 - 2 * P;  // left operand
    const float* y = x0 - P;
    float* wx = w0 - 2 * P;
    const float* wy = w0 - P;
    // A null input yields NaN by IEEE arithmetic; the final pass below
    // makes every non-ok value NaN.
    switch (op) {
      case kAdd:
        binop<kAdd>(x, y, wx, wy, P);
        break;
      case kSub:
        binop<kSub>(x, y, wx, wy, P);
        break;
      case kMul:
        binop<kMul>(x, y, wx, wy, P);
        break;
      default:
        binop<kDiv>(x, y, wx, wy, P);
    }
    --top;
  }
  for (std::size_t t = 0; t < P; ++t) stack[t] = why[t] != kOkF ? NAN : stack[t];
}

/// One cell: counter statistics (which also bring the cell's rows into
/// cache and say which rows hold a missing sample), then every KPI program
/// over its periods, its statistics, anomalies and breaches. False, with
/// nothing of the cell's history touched, when a sample is infinite (a row's
/// minimum or maximum says so).
bool eval_cell(const Programs& p, const Shape& s, const float* data, const Alerting& a,
               const Outputs& o, std::uint32_t c, Work& w) {
  const std::size_t P = s.periods;
  const float* cell = data + std::size_t(c) * s.counters * P;
  float* cstats = o.counter_stats ? o.counter_stats + std::size_t(c) * s.counters * 5 : w.cstats;
  row_stats(s.counters, P, cell, cstats, nullptr);
  for (std::uint32_t n = 0; n < s.counters; ++n)
    if (std::isinf(cstats[n * 5 + 3]) || std::isinf(cstats[n * 5 + 4])) return false;
  // Anomalies are scored against the history before this batch (so a spike
  // is not part of its own baseline). The parameters of every KPI first,
  // and the merges last: their divisions and square roots then overlap
  // from one KPI to the next instead of lengthening each KPI's chain.
  double* hist = o.history + std::size_t(c) * p.kpis * 3;
  for (std::uint32_t k = 0; k < p.kpis; ++k) {
    const double* h = hist + k * 3;
    const bool scored = h[0] >= double(a.min_history) && h[0] > 1;
    const double sd = scored ? std::sqrt(h[2] / (h[0] - 1)) : 0.0;
    w.params[k] = {a.threshold ? a.threshold[k] : NAN, a.direction ? a.direction[k] : 0,
                   float(h[1]), sd > 0 ? float(1.0 / sd) : 0.0f, a.z_threshold};
  }
  constexpr float kMissingF = 1.0f, kDivZeroF = 2.0f;
  for (std::uint32_t k = 0; k < p.kpis; ++k) {
    const float* vals = o.reference ? nullptr : eval_fast(p, k, cell, P, cstats, w.stack, w);
    const std::size_t ck = std::size_t(c) * p.kpis + k;
    std::uint32_t missing = 0, div_zero = 0;
    if (vals != nullptr) {
      if (o.reasons) std::memset(o.reasons + ck * P, kOk, P);
    } else {
      eval_reference(p, k, cell, P, w.stack, w.why);
      vals = w.stack;
      for (std::size_t t = 0; t < P; ++t) {
        missing += w.why[t] == kMissingF;
        div_zero += w.why[t] == kDivZeroF;
      }
      if (o.reasons) {
        std::uint8_t* reasons = o.reasons + ck * P;
        for (std::size_t t = 0; t < P; ++t) reasons[t] = std::uint8_t(w.why[t]);
      }
    }
    if (o.values) std::memcpy(o.values + ck * P, vals, P * sizeof(float));
    const KpiScore sc = figures(vals, P, w.params[k], o.kpi_stats ? o.kpi_stats + ck * 5 : nullptr);
    w.scores[k] = sc;
    o.anomalies[ck] = sc.anomalies;
    o.max_z[ck] = sc.worst_z;
    if (o.breaches) o.breaches[ck] = sc.breaches;
    if (o.nulls) {
      o.nulls[2 * ck] = missing;
      o.nulls[2 * ck + 1] = div_zero;
    }
  }
  // The batch's values join the history (Chan et al.'s merge of counts,
  // means and M2).
  for (std::uint32_t k = 0; k < p.kpis; ++k) {
    const KpiScore& sc = w.scores[k];
    if (sc.count > 0) {
      double* h = hist + k * 3;
      const double bn = sc.count, n = h[0] + bn, delta = sc.mean - h[1];
      h[2] += sc.m2 + delta * delta * h[0] * bn / n;
      h[1] += delta * bn / n;
      h[0] = n;
    }
  }
  return true;
}

/// The first infinite sample of data[0, n) (n when there is none).
std::size_t first_infinite(const float* data, std::size_t n) {
  std::size_t i = 0;
  while (i < n && !std::isinf(data[i])) ++i;
  return i;
}

/// INVALID_ARGUMENT naming the sample at index i of the batch.
Status infinite_sample(const Shape& s, const float* data, std::size_t i) {
  const std::size_t P = s.periods, row = i / P;
  return fail(ELEX_E_INVALID_ARGUMENT,
              "cell %zu, counter %zu, period %zu: the sample is %s; samples are finite float32 "
              "numbers (NaN = missing)",
              row / s.counters, row % s.counters, i % P, data[i] > 0 ? "+inf" : "-inf");
}

}  // namespace

Status evaluate(const Programs& p, const Shape& s, const float* data, const Alerting& a,
                const Outputs& o, ThreadPool* pool) {
  if (Status st = check(p, s.counters); st != ELEX_OK) return st;
  const std::size_t P = s.periods;
  if (s.cells == 0) return ELEX_OK;
  // History comes back in from outside (a restored worker, Python's
  // set_history(), elex.dask's files): a row no batch could have left is
  // refused, not scored against (a NaN count never reached min_history and
  // stayed NaN for every later batch).
  if (o.history != nullptr)
    for (std::size_t ck = 0; ck < std::size_t(s.cells) * p.kpis; ++ck) {
      const double* h = o.history + ck * 3;
      const auto c = unsigned(ck / p.kpis), k = unsigned(ck % p.kpis);
      if (!(h[0] >= 0 && std::isfinite(h[0]) && h[0] == std::floor(h[0])))
        return fail(ELEX_E_INVALID_ARGUMENT,
                    "history of cell %u, KPI %u: the count %g is not a whole number >= 0", c, k,
                    h[0]);
      if (!std::isfinite(h[1]))
        return fail(ELEX_E_INVALID_ARGUMENT,
                    "history of cell %u, KPI %u: the mean %g is not finite", c, k, h[1]);
      if (!(h[2] >= 0 && std::isfinite(h[2])))
        return fail(ELEX_E_INVALID_ARGUMENT,
                    "history of cell %u, KPI %u: M2 %g is not a finite number >= 0", c, k, h[2]);
    }
  const std::size_t samples = std::size_t(s.cells) * s.counters * P;
  if (P == 0 || p.kpis == 0) {
    if (const std::size_t i = first_infinite(data, samples); i < samples)
      return infinite_sample(s, data, i);
    // Nothing to evaluate (no KPI's counters in the batch, or no period),
    // but the batch's figures are still written, not left as the memory held:
    // the counters' statistics, and each KPI with no value.
    if (o.counter_stats)
      row_stats(std::size_t(s.cells) * s.counters, P, data, o.counter_stats, pool);
    for (std::size_t ck = 0; ck < std::size_t(s.cells) * p.kpis; ++ck) {
      o.anomalies[ck] = 0;
      o.max_z[ck] = 0;
      if (o.breaches) o.breaches[ck] = 0;
      if (o.nulls) o.nulls[2 * ck] = o.nulls[2 * ck + 1] = 0;
      if (o.kpi_stats) finish_row(0, 0, 0, 0, o.kpi_stats + ck * 5);
    }
    return ELEX_OK;
  }
  const unsigned threads = pool ? pool->size() : 1;
  // Per thread: stack and reasons (kMaxStack × P each), counter figures
  // (counters × 5) and operand pointers.
  const std::size_t stack = P * kMaxStack;
  const std::size_t floats = stack + P * kMaxStack + std::size_t(s.counters) * 5;
  auto* mem = static_cast<float*>(std::malloc(sizeof(float) * floats * threads));
  auto* ptrs = static_cast<const float**>(std::malloc(sizeof(float*) * kMaxStack * threads));
  auto* params = static_cast<ScoreParams*>(std::malloc(sizeof(ScoreParams) * p.kpis * threads));
  auto* scores = static_cast<KpiScore*>(std::malloc(sizeof(KpiScore) * p.kpis * threads));
  // The history as it was: a batch that fails (an infinite sample in a later
  // cell) leaves it unchanged, all or nothing.
  const std::size_t hist_doubles = std::size_t(s.cells) * p.kpis * 3;
  auto* before = static_cast<double*>(std::malloc(sizeof(double) * hist_doubles));
  const auto release = [&] {
    std::free(mem);
    std::free(ptrs);
    std::free(params);
    std::free(scores);
    std::free(before);
  };
  if (mem == nullptr || ptrs == nullptr || params == nullptr || scores == nullptr ||
      before == nullptr) {
    release();
    return fail(ELEX_E_OUT_OF_MEMORY, "no memory for %zu periods", P);
  }
  auto work = [&](unsigned t) {
    float* m = mem + t * floats;
    return Work{m,
                m + stack,
                ptrs + t * kMaxStack,
                m + stack + P * kMaxStack,
                params + std::size_t(t) * p.kpis,
                scores + std::size_t(t) * p.kpis};
  };
  std::memcpy(before, o.history, sizeof(double) * hist_doubles);
  // Once a cell has an infinite sample the other cells are skipped: the
  // batch fails and the history goes back to `before`.
  std::atomic<bool> bad{false};
  if (pool != nullptr && threads > 1) {
    pool->parallel_for(s.cells, 4, [&](std::size_t b, std::size_t e, unsigned t) {
      Work w = work(t);
      for (std::size_t c = b; c < e && !bad.load(std::memory_order_relaxed); ++c)
        if (!eval_cell(p, s, data, a, o, std::uint32_t(c), w))
          bad.store(true, std::memory_order_relaxed);
    });
  } else {
    Work w = work(0);
    for (std::uint32_t c = 0; c < s.cells && !bad.load(std::memory_order_relaxed); ++c)
      if (!eval_cell(p, s, data, a, o, c, w)) bad.store(true, std::memory_order_relaxed);
  }
  if (bad.load()) {
    std::memcpy(o.history, before, sizeof(double) * hist_doubles);
    release();
    return infinite_sample(s, data, first_infinite(data, samples));
  }
  release();
  return ELEX_OK;
}

namespace scalar {
void row_stats(std::size_t rows, std::size_t P, const float* data, float* out) {
  rows_scalar(0, rows, P, data, out);
}
}  // namespace scalar

void row_stats(std::size_t rows, std::size_t P, const float* data, float* out, ThreadPool* pool) {
  const auto body = [&](std::size_t b, std::size_t e) {
#if ELEX_SIMD
    rows_vec(b, e, P, data, out);
#else
    rows_scalar(b, e, P, data, out);
#endif
  };
  if (pool != nullptr && pool->size() > 1)
    pool->parallel_for(rows, 256, body);
  else
    body(0, rows);
}

}  // namespace elex::monitor
