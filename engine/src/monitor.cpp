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

/// One cell: every KPI program over its periods, then anomalies and breaches.
void eval_cell(const Programs& p, const Shape& s, const float* data, const Alerting& a,
               const Outputs& o, std::uint32_t c, float* stack, std::uint8_t* why) {
  const std::size_t P = s.periods;
  const float* cell = data + std::size_t(c) * s.counters * P;
  for (std::uint32_t k = 0; k < p.kpis; ++k) {
    unsigned top = 0;
    for (std::uint32_t i = p.offsets[k]; i < p.offsets[k + 1]; ++i) {
      const std::int32_t op = p.ops[i] & 0xFF;
      const std::uint32_t arg = std::uint32_t(p.ops[i]) >> 8;
      float* x0 = stack + std::size_t(top) * P;
      std::uint8_t* w0 = why + std::size_t(top) * P;
      if (op == kPush) {
        const float* row = cell + std::size_t(arg) * P;
        for (std::size_t t = 0; t < P; ++t) {
          x0[t] = row[t];
          w0[t] = std::isnan(row[t]) ? kMissing : kOk;
        }
        ++top;
        continue;
      }
      if (op == kConst) {
        for (std::size_t t = 0; t < P; ++t) x0[t] = p.consts[arg], w0[t] = kOk;
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
      std::uint8_t* wx = w0 - 2 * P;
      const std::uint8_t* wy = w0 - P;
      // One plain loop per op (vectorisable); reasons merge in their own loop.
      // A null input yields NaN by IEEE arithmetic; the final pass below
      // makes every non-ok value NaN.
      switch (op) {
        case kAdd:
          for (std::size_t t = 0; t < P; ++t) x[t] = x[t] + y[t];
          break;
        case kSub:
          for (std::size_t t = 0; t < P; ++t) x[t] = x[t] - y[t];
          break;
        case kMul:
          for (std::size_t t = 0; t < P; ++t) x[t] = x[t] * y[t];
          break;
        default:
          for (std::size_t t = 0; t < P; ++t) {
            const bool zero = y[t] == 0.0f && wx[t] == kOk && wy[t] == kOk;
            wx[t] = zero ? std::uint8_t(kDivZero) : wx[t];
            x[t] = x[t] / y[t];
          }
      }
      for (std::size_t t = 0; t < P; ++t) wx[t] = wx[t] > wy[t] ? wx[t] : wy[t];
      --top;
    }
    for (std::size_t t = 0; t < P; ++t)
      if (why[t] != kOk) stack[t] = NAN;
    const std::size_t ck = std::size_t(c) * p.kpis + k;
    std::memcpy(o.values + ck * P, stack, P * sizeof(float));
    std::memcpy(o.reasons + ck * P, why, P);
    // Breaches, and anomalies against the history before this batch (so a
    // spike is not part of its own baseline); then the batch's values join
    // the history (Chan et al.'s merge of counts, means and M2).
    double* h = o.history + ck * 3;
    const bool scored = h[0] >= double(a.min_history) && h[0] > 1;
    const double sd = scored ? std::sqrt(h[2] / (h[0] - 1)) : 0.0;
    const float mean0 = float(h[1]), inv = sd > 0 ? float(1.0 / sd) : 0.0f;
    std::uint32_t anomalous = 0, breaches = 0, missing = 0, div_zero = 0;
    float worst = 0;
    const float thr = a.threshold ? a.threshold[k] : NAN;
    const int dir = a.direction ? a.direction[k] : 0;
    double bn = 0, bsum = 0, bsq = 0;
    for (std::size_t t = 0; t < P; ++t) {
      missing += why[t] == kMissing;
      div_zero += why[t] == kDivZero;
    }
    for (std::size_t t = 0; t < P; ++t) {
      const float v = stack[t];
      if (why[t] != kOk || !std::isfinite(v)) continue;
      breaches += (dir > 0 && v < thr) || (dir < 0 && v > thr);
      if (inv > 0) {
        const float z = std::fabs(v - mean0) * inv;
        worst = z > worst ? z : worst;
        anomalous += z > a.z_threshold;
      }
      bn += 1;
      bsum += v;
      bsq += double(v) * v;
    }
    if (bn > 0) {
      const double bmean = bsum / bn, bm2 = std::max(0.0, bsq - bsum * bmean);
      const double n = h[0] + bn, delta = bmean - h[1];
      h[2] += bm2 + delta * delta * h[0] * bn / n;
      h[1] += delta * bn / n;
      h[0] = n;
    }
    o.anomalies[ck] = anomalous;
    o.max_z[ck] = worst;
    if (o.breaches) o.breaches[ck] = breaches;
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
  const std::size_t per = P * kMaxStack;
  // Per-thread stacks of per-period vectors, and a reason per entry.
  auto* stack = static_cast<float*>(std::malloc(sizeof(float) * per * threads));
  auto* why = static_cast<std::uint8_t*>(std::malloc(per * threads));
  if (stack == nullptr || why == nullptr) {
    std::free(stack);
    std::free(why);
    return fail(ELEX_E_OUT_OF_MEMORY, "no memory for %zu periods", P);
  }
  if (pool != nullptr && threads > 1) {
    pool->parallel_for(s.cells, 4, [&](std::size_t b, std::size_t e, unsigned t) {
      for (std::size_t c = b; c < e; ++c)
        eval_cell(p, s, data, a, o, std::uint32_t(c), stack + t * per, why + t * per);
    });
  } else {
    for (std::uint32_t c = 0; c < s.cells; ++c) eval_cell(p, s, data, a, o, c, stack, why);
  }
  std::free(stack);
  std::free(why);
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
    const auto step = [&](f32x4 v) {
      const m32x4 ok = eq(v, v);
      n = add(n, select(ok, one, nil));
      sum = add(sum, select(ok, v, nil));
      mn = select(mand(ok, lt(v, mn)), v, mn);
      mx = select(mand(ok, gt(v, mx)), v, mx);
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
