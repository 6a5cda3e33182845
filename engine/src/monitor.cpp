// KPI programs, counter statistics and anomaly scores (monitor.h).
#include "elex/monitor.h"

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

Status evaluate(const Programs& p, const Shape& s, const float* data, float* values,
                std::uint8_t* reasons, double* history, std::uint32_t* anomalies, float* max_z,
                float z_threshold, std::uint32_t min_history) {
  if (Status st = check(p, s.counters); st != ELEX_OK) return st;
  const std::size_t P = s.periods;
  if (P == 0 || s.cells == 0 || p.kpis == 0) return ELEX_OK;
  // Stack of per-period vectors, plus a per-period reason.
  auto* stack = static_cast<float*>(std::malloc(sizeof(float) * P * kMaxStack));
  auto* why = static_cast<std::uint8_t*>(std::malloc(P * kMaxStack));
  if (stack == nullptr || why == nullptr) {
    std::free(stack);
    std::free(why);
    return fail(ELEX_E_OUT_OF_MEMORY, "no memory for %zu periods", P);
  }
  for (std::uint32_t c = 0; c < s.cells; ++c) {
    const float* cell = data + std::size_t(c) * s.counters * P;
    for (std::uint32_t k = 0; k < p.kpis; ++k) {
      unsigned top = 0;
      for (std::uint32_t i = p.offsets[k]; i < p.offsets[k + 1]; ++i) {
        const std::int32_t op = p.ops[i] & 0xFF;
        const std::uint32_t arg = std::uint32_t(p.ops[i]) >> 8;
        float* a = stack + std::size_t(top) * P;
        std::uint8_t* wa = why + std::size_t(top) * P;
        if (op == kPush || op == kConst) {
          if (op == kPush) {
            const float* row = cell + std::size_t(arg) * P;
            for (std::size_t t = 0; t < P; ++t) {
              a[t] = row[t];
              wa[t] = std::isnan(row[t]) ? kMissing : kOk;
            }
          } else {
            for (std::size_t t = 0; t < P; ++t) a[t] = p.consts[arg], wa[t] = kOk;
          }
          ++top;
          continue;
        }
        if (op == kNeg) {
          float* x = a - P;
          for (std::size_t t = 0; t < P; ++t) x[t] = -x[t];
          continue;
        }
        float* x = a - 2 * P;  // left operand
        const float* y = a - P;
        std::uint8_t* wx = wa - 2 * P;
        const std::uint8_t* wy = wa - P;
        for (std::size_t t = 0; t < P; ++t) {
          std::uint8_t w = wx[t] > wy[t] ? wx[t] : wy[t];
          float v;
          switch (op) {
            case kAdd:
              v = x[t] + y[t];
              break;
            case kSub:
              v = x[t] - y[t];
              break;
            case kMul:
              v = x[t] * y[t];
              break;
            default:
              if (y[t] == 0.0f && w == kOk) w = kDivZero;
              v = x[t] / y[t];
          }
          x[t] = w == kOk ? v : NAN;
          wx[t] = w;
        }
        --top;
      }
      const std::size_t out = (std::size_t(c) * p.kpis + k) * P;
      std::memcpy(values + out, stack, P * sizeof(float));
      std::memcpy(reasons + out, why, P);
      // Anomalies against the history, then the value joins it.
      double* h = history + (std::size_t(c) * p.kpis + k) * 3;
      std::uint32_t anomalous = 0;
      float worst = 0;
      for (std::size_t t = 0; t < P; ++t) {
        const float v = stack[t];
        if (why[t] != kOk || !std::isfinite(v)) continue;
        if (h[0] >= min_history) {
          const double sd = std::sqrt(h[2] / (h[0] - 1));
          if (sd > 0) {
            const float z = float(std::fabs(v - h[1]) / sd);
            if (z > worst) worst = z;
            if (z > z_threshold) ++anomalous;
          }
        }
        h[0] += 1;
        const double d = v - h[1];
        h[1] += d / h[0];
        h[2] += d * (v - h[1]);
      }
      anomalies[std::size_t(c) * p.kpis + k] = anomalous;
      max_z[std::size_t(c) * p.kpis + k] = worst;
    }
  }
  std::free(stack);
  std::free(why);
  return ELEX_OK;
}

void counter_stats(const Shape& s, const float* data, float* out) {
  const std::size_t P = s.periods;
  for (std::size_t r = 0; r < std::size_t(s.cells) * s.counters; ++r) {
    const float* row = data + r * P;
    float n = 0, sum = 0, mn = INFINITY, mx = -INFINITY;
    for (std::size_t t = 0; t < P; ++t) {
      const float v = row[t];
      if (std::isnan(v)) continue;
      n += 1;
      sum += v;
      mn = v < mn ? v : mn;
      mx = v > mx ? v : mx;
    }
    float* o = out + r * 5;
    o[0] = n;
    o[1] = sum;
    o[2] = n > 0 ? sum / n : NAN;
    o[3] = n > 0 ? mn : NAN;
    o[4] = n > 0 ? mx : NAN;
  }
}

}  // namespace elex::monitor
