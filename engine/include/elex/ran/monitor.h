// elex/ran/monitor.h — KPIs from PM counters: formulas compiled to a small
// stack program, evaluated for every cell and reporting period; per-counter
// statistics; anomaly scores against each cell's history.
//
// Data layout: one float array, cells × counters × periods, row-major
// (value of counter c of cell i in period p at (i * counters + c) *
// periods + p). NaN means "sample missing"; an infinite sample is refused.
//
// Program: a KPI is a sequence of ops over a stack of per-period vectors:
//   kPush c      push counter c's row
//   kConst k     push constant consts[k]
//   kAdd kSub kMul kDiv kNeg
// Each op is one int32: op in the low 8 bits, operand in the upper 24.
// Results: value[cell][kpi][period], and a reason per value:
//   kOk, kMissing (an input sample was NaN: the value is NaN, reported,
//   not propagated into statistics), kDivZero (a division by zero: NaN).
//
// History: for every (cell, kpi), count, mean and M2 over every value seen
// in earlier batches (doubles, kept by the caller between batches). A value
// with |z| > z_threshold against the history before its batch (at least
// min_history values, standard deviation > 0) is an anomaly; after the
// batch, its values join the history.
#ifndef ELEX_MONITOR_H
#define ELEX_MONITOR_H

#include <cstddef>
#include <cstdint>

#include "elex/core/parallel.h"
#include "elex/core/status.h"

namespace elex::monitor {

/// Op codes of a KPI program (the low 8 bits of an op).
/// @ts MONITOR_OP
enum Op : std::int32_t {
  kPush = 0,   ///< `push`: counter (operand)'s row.
  kConst = 1,  ///< `const`: consts[operand].
  kAdd = 2,    ///< `add`
  kSub = 3,    ///< `sub`
  kMul = 4,    ///< `mul`
  kDiv = 5,    ///< `div`
  kNeg = 6,    ///< `neg`
};
enum Reason : std::uint8_t { kOk = 0, kMissing = 1, kDivZero = 2 };
inline constexpr unsigned kMaxStack = 32;

struct Programs {
  const std::int32_t* ops;
  const std::uint32_t* offsets;  ///< kpis + 1 entries into ops
  std::uint32_t kpis;
  const float* consts;
  std::uint32_t n_consts;
};

struct Shape {
  std::uint32_t cells, counters, periods;
};

/// Checks every program (operands in range, stack never under- or
/// overflows, exactly one value left): INVALID_ARGUMENT naming the KPI.
[[nodiscard]] Status check(const Programs& p, std::uint32_t counters);

/// Where results go; values / reasons: cells × kpis × periods (both may be
/// null: then only the per-KPI figures are produced). history:
/// cells × kpis × 3 doubles (count, mean, m2), updated. anomalies: cells ×
/// kpis counts of anomalous periods in this batch; max_z: the largest |z|
/// per (cell, kpi). breaches: periods on the wrong side of threshold[k]
/// (direction[k] = +1: higher is good, so a value below breaches; −1: lower
/// is good; a NaN threshold never breaches).
struct Outputs {
  float* values;
  std::uint8_t* reasons;
  double* history;
  std::uint32_t* anomalies;
  float* max_z;
  std::uint32_t* breaches;
  /// cells × kpis × 2, optional: null values for a missing sample, for a division by zero.
  std::uint32_t* nulls = nullptr;
  /// cells × counters × 5 and cells × kpis × 5, optional: row_stats() of the
  /// counters and of the KPI values, computed while the cell is in cache.
  float* counter_stats = nullptr;
  float* kpi_stats = nullptr;
  /// Tests only: every KPI through the reference path (per-op reasons).
  bool reference = false;
};

struct Alerting {
  const float* threshold;        ///< kpis entries
  const std::int8_t* direction;  ///< kpis entries
  float z_threshold;
  std::uint32_t min_history;
};

/// One KPI's periods scored at once (the tail of evaluate()): the values
/// that are finite count; null values are NaN by then.
struct ScoreParams {
  float threshold;    ///< NaN: none
  int direction;      ///< +1 higher is better (breach below), −1 lower is better, 0 none
  float mean0;        ///< the cell's history mean before this batch
  float inv_sd;       ///< 1 / its standard deviation; 0: not scored yet
  float z_threshold;  ///< |z| above which a value is an anomaly
};
struct KpiScore {
  std::uint32_t breaches;
  std::uint32_t anomalies;
  float worst_z;  ///< largest |z| (0 when not scored)
  float count;    ///< finite values
  double mean;    ///< of the finite values (0 when none)
  double m2;      ///< sum of squared deviations from `mean`
};
/// The vector form keeps four lanes (period t in lane t mod 4) and combines
/// them in a fixed order; the scalar twin does the same, so both agree bit
/// for bit. Sums are in float per lane (two passes: mean, then squared
/// deviations, which stays accurate for large means), combined in double.
KpiScore score(const float* values, std::size_t periods, const ScoreParams& sp);
namespace scalar {
KpiScore score(const float* values, std::size_t periods, const ScoreParams& sp);
}

/// One KPI row's figures at once, as evaluate() takes them: row_stats() of
/// the row into stats (5 floats; none when null) and its score(). The
/// vector form does both in one pass (and M2 in a second) unless the row
/// holds an infinity; it equals the scalar twin, which is
/// scalar::row_stats() then scalar::score(), bit for bit.
KpiScore figures(const float* values, std::size_t periods, const ScoreParams& sp, float* stats);
namespace scalar {
KpiScore figures(const float* values, std::size_t periods, const ScoreParams& sp, float* stats);
}

/// Cells are independent: with a pool they are spread over its threads.
/// An infinite sample is INVALID_ARGUMENT ("cell C, counter N, period T: the
/// sample is +inf; …", the first in data order), and the history is then as
/// it was (all or nothing).
/// A KPI is first evaluated on values alone (a stack of row pointers, no
/// copies of pushed rows); if an input row holds a NaN or a divisor is
/// zero, it is evaluated again with a reason per value and op (the
/// reference path). Both give the same bits: a clean KPI has every reason
/// kOk and the same IEEE operations.
[[nodiscard]] Status evaluate(const Programs& p, const Shape& s, const float* data,
                              const Alerting& a, const Outputs& out, ThreadPool* pool);

/// Per row (cell × counter, or cell × KPI) over the periods, skipping NaN:
/// count, sum, mean, min, max (out: rows × 5; mean/min/max NaN when count
/// is 0).
/// Order: period t goes to lane t mod 4 (the lanes see their periods in
/// order); the lane sums are joined as (l0 + l1) + (l2 + l3), the minima and
/// maxima from lane 0 up. The vector form keeps a row's lanes in one
/// register and takes four rows side by side (independent chains), so it is
/// bit-identical to the scalar twin.
void row_stats(std::size_t rows, std::size_t periods, const float* data, float* out,
               ThreadPool* pool);
namespace scalar {
void row_stats(std::size_t rows, std::size_t periods, const float* data, float* out);
}

}  // namespace elex::monitor

#endif  // ELEX_MONITOR_H
