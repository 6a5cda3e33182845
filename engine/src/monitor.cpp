// KPI programs, counter statistics and anomaly scores (monitor.h).
#include "elex/monitor.h"

#include "elex/simd.h"

#include <algorithm>
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
    const float z = ok && sp.inv_sd > 0 ? std::fabs(x - sp.mean0) * sp.inv_sd : 0.0f;
    worst = z > worst ? z : worst;
    an += z > sp.z_threshold;
    n[j] += ok ? 1.0f : 0.0f;
    sum[j] += ok ? x : 0.0f;
  }
  KpiScore k = finish_score(br, an, worst, n, sum);
  const float mean = float(k.mean);
  float m2[4] = {0, 0, 0, 0};
  for (std::size_t t = 0; t < P; ++t) {
    const float x = v[t];
    const bool ok = x - x == 0.0f;
    const float d = ok ? x - mean : 0.0f;
    m2[t & 3] += d * d;
  }
  k.m2 = combine(m2);
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
      an = count_if(an, gt(z, zt));
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
    a += z > sp.z_threshold;
    N[j] += ok ? 1.0f : 0.0f;
    S[j] += ok ? x : 0.0f;
  }
  KpiScore k = finish_score(b, a, w, N, S);
  const f32x4 mean = splat(float(k.mean));
  f32x4 m2 = nil;
  std::size_t u = 0;
  for (; u + 4 <= P; u += 4) {
    const f32x4 x = load(v + u);
    const f32x4 d = keep(eq(sub(x, x), nil), sub(x, mean));
    m2 = add(m2, mul(d, d));
  }
  alignas(16) float M[4];
  store(M, m2);
  for (; u < P; ++u) {
    const float x = v[u];
    const bool ok = x - x == 0.0f;
    const float d = ok ? x - float(k.mean) : 0.0f;
    M[u & 3] += d * d;
  }
  k.m2 = combine(M);
  return k;
#else
  return scalar::score(v, P, sp);
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
  // (kMaxStack + 3) × P values. KPI k's stack starts at row k mod 4, so its
  // result (row 0 of its stack) stays put while the next KPIs of its group
  // of four run above it; then row_stats takes the four rows at once.
  float* stack;
  float* why;        // kMaxStack × P reasons (the reference path)
  const float** sp;  // kMaxStack operand pointers (the fast path)
  float* cstats;     // counters × 5 when the caller wants no counter figures
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
/// over its periods, its statistics, anomalies and breaches.
void eval_cell(const Programs& p, const Shape& s, const float* data, const Alerting& a,
               const Outputs& o, std::uint32_t c, Work& w) {
  const std::size_t P = s.periods;
  const float* cell = data + std::size_t(c) * s.counters * P;
  float* cstats = o.counter_stats ? o.counter_stats + std::size_t(c) * s.counters * 5 : w.cstats;
  row_stats(s.counters, P, cell, cstats, nullptr);
  constexpr float kMissingF = 1.0f, kDivZeroF = 2.0f;
  for (std::uint32_t k = 0; k < p.kpis; ++k) {
    const std::uint32_t group = k & 3u;
    float* base = w.stack + group * P;
    const float* vals = o.reference ? nullptr : eval_fast(p, k, cell, P, cstats, base, w);
    const std::size_t ck = std::size_t(c) * p.kpis + k;
    std::uint32_t missing = 0, div_zero = 0;
    if (vals != nullptr) {
      if (vals != base) std::memcpy(base, vals, P * sizeof(float));  // e.g. a lone counter
      vals = base;
      if (o.reasons) std::memset(o.reasons + ck * P, kOk, P);
    } else {
      eval_reference(p, k, cell, P, base, w.why);
      vals = base;
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
    // Four KPI rows at a time through row_stats (bit-identical per row).
    if (o.kpi_stats && (group == 3 || k + 1 == p.kpis))
      row_stats(group + 1, P, w.stack, o.kpi_stats + (ck - group) * 5, nullptr);
    // Breaches, and anomalies against the history before this batch (so a
    // spike is not part of its own baseline); then the batch's values join
    // the history (Chan et al.'s merge of counts, means and M2).
    double* h = o.history + ck * 3;
    const bool scored = h[0] >= double(a.min_history) && h[0] > 1;
    const double sd = scored ? std::sqrt(h[2] / (h[0] - 1)) : 0.0;
    const ScoreParams sp{a.threshold ? a.threshold[k] : NAN, a.direction ? a.direction[k] : 0,
                         float(h[1]), sd > 0 ? float(1.0 / sd) : 0.0f, a.z_threshold};
    const KpiScore sc = score(vals, P, sp);
    if (sc.count > 0) {
      const double bn = sc.count, n = h[0] + bn, delta = sc.mean - h[1];
      h[2] += sc.m2 + delta * delta * h[0] * bn / n;
      h[1] += delta * bn / n;
      h[0] = n;
    }
    o.anomalies[ck] = sc.anomalies;
    o.max_z[ck] = sc.worst_z;
    if (o.breaches) o.breaches[ck] = sc.breaches;
    if (o.nulls) {
      o.nulls[2 * ck] = missing;
      o.nulls[2 * ck + 1] = div_zero;
    }
  }
}

}  // namespace

Status evaluate(const Programs& p, const Shape& s, const float* data, const Alerting& a,
                const Outputs& o, ThreadPool* pool) {
  if (Status st = check(p, s.counters); st != ELEX_OK) return st;
  const std::size_t P = s.periods;
  if (P == 0 || s.cells == 0 || p.kpis == 0) return ELEX_OK;
  const unsigned threads = pool ? pool->size() : 1;
  // Per thread: stack ((kMaxStack + 3) × P, see Work) and reasons
  // (kMaxStack × P), counter figures (counters × 5) and operand pointers.
  const std::size_t stack = P * (kMaxStack + 3);
  const std::size_t floats = stack + P * kMaxStack + std::size_t(s.counters) * 5;
  auto* mem = static_cast<float*>(std::malloc(sizeof(float) * floats * threads));
  auto* ptrs = static_cast<const float**>(std::malloc(sizeof(float*) * kMaxStack * threads));
  if (mem == nullptr || ptrs == nullptr) {
    std::free(mem);
    std::free(ptrs);
    return fail(ELEX_E_OUT_OF_MEMORY, "no memory for %zu periods", P);
  }
  auto work = [&](unsigned t) {
    float* m = mem + t * floats;
    return Work{m, m + stack, ptrs + t * kMaxStack, m + stack + P * kMaxStack};
  };
  if (pool != nullptr && threads > 1) {
    pool->parallel_for(s.cells, 4, [&](std::size_t b, std::size_t e, unsigned t) {
      Work w = work(t);
      for (std::size_t c = b; c < e; ++c) eval_cell(p, s, data, a, o, std::uint32_t(c), w);
    });
  } else {
    Work w = work(0);
    for (std::uint32_t c = 0; c < s.cells; ++c) eval_cell(p, s, data, a, o, c, w);
  }
  std::free(mem);
  std::free(ptrs);
  return ELEX_OK;
}

namespace {

/// One row's figures, given its running count, sum, min and max.
void finish_row(float n, float sum, float mn, float mx, float* o) {
  o[0] = n;
  o[1] = sum;
  o[2] = n > 0 ? sum / n : NAN;
  o[3] = n > 0 ? mn : NAN;
  o[4] = n > 0 ? mx : NAN;
}

/// Rows [b, e) one at a time; the reference order of every operation.
void rows_scalar(std::size_t b, std::size_t e, std::size_t P, const float* data, float* out) {
  for (std::size_t r = b; r < e; ++r) {
    const float* row = data + r * P;
    float n = 0, sum = 0, mn = INFINITY, mx = -INFINITY;
    for (std::size_t t = 0; t < P; ++t) {
      const float v = row[t];
      const bool ok = v == v;
      n += ok ? 1.0f : 0.0f;
      sum += ok ? v : 0.0f;
      mn = ok && v < mn ? v : mn;
      mx = ok && v > mx ? v : mx;
    }
    finish_row(n, sum, mn, mx, out + r * 5);
  }
}

#if ELEX_SIMD
/// Rows [b, e), four per step: lane j holds row r + j and sees its periods
/// in order, with the scalar loop's operations, so results are identical.
void rows_vec(std::size_t b, std::size_t e, std::size_t P, const float* data, float* out) {
  using namespace elex::simd;
  std::size_t r = b;
  const f32x4 one = splat(1.0f), nil = zero();
  for (; r + 4 <= e; r += 4) {
    const float* row[4] = {data + r * P, data + (r + 1) * P, data + (r + 2) * P,
                           data + (r + 3) * P};
    f32x4 n = nil, sum = nil, mn = splat(INFINITY), mx = splat(-INFINITY);
    // NaN compares false, so min / max (v < mn ? v : mn) skip it as the
    // scalar loop's `ok &&` does; keep() is select(ok, x, 0) in one op.
    const auto step = [&](f32x4 v) {
      const m32x4 ok = eq(v, v);
      n = add(n, keep(ok, one));
      sum = add(sum, keep(ok, v));
      mn = simd::min(mn, v);
      mx = simd::max(mx, v);
    };
    std::size_t t = 0;
    for (; t + 4 <= P; t += 4) {
      f32x4 a = load(row[0] + t), c1 = load(row[1] + t), c2 = load(row[2] + t),
            c3 = load(row[3] + t);
      transpose4(a, c1, c2, c3);
      step(a);
      step(c1);
      step(c2);
      step(c3);
    }
    alignas(16) float N[4], S[4], MN[4], MX[4];
    store(N, n);
    store(S, sum);
    store(MN, mn);
    store(MX, mx);
    for (unsigned j = 0; j < 4; ++j) {
      for (std::size_t u = t; u < P; ++u) {  // the tail, same operations
        const float v = row[j][u];
        const bool ok = v == v;
        N[j] += ok ? 1.0f : 0.0f;
        S[j] += ok ? v : 0.0f;
        MN[j] = ok && v < MN[j] ? v : MN[j];
        MX[j] = ok && v > MX[j] ? v : MX[j];
      }
      finish_row(N[j], S[j], MN[j], MX[j], out + (r + j) * 5);
    }
  }
  rows_scalar(r, e, P, data, out);
}
#endif

}  // namespace

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
