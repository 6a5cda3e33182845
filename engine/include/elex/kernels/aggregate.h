// elex/kernels/aggregate.h — counter aggregation over a strided matrix.
//
// PM counters arrive as a matrix: `rows` reporting periods or cells, each a
// row of at least `cols` floats, rows `row_stride` floats apart. For every
// column j this computes, over the rows whose value is not NaN (NaN means
// "missing sample" and is skipped):
//   count, sum, min, max, mean (= sum / count; NaN when count is 0),
//   over = how many values are > threshold[j] (if thresholds is non-null),
//   weighted = sum of weight[r] * x[r][j] (if weights is non-null).
// The vector twin handles four adjacent columns per step, walking rows in
// the same order as the scalar twin, so every result is bit-identical.
// Counts are exact up to 2^24 rows (checked by the caller: kMaxRows).
#ifndef ELEX_AGGREGATE_H
#define ELEX_AGGREGATE_H

#include <cstddef>
#include <cstdint>

#include "elex/kernels/simd.h"

namespace elex::aggregate {

inline constexpr std::size_t kMaxRows = std::size_t{1} << 24;

struct ColumnStats {
  float count;
  float sum;
  float min;  ///< +Inf when count is 0
  float max;  ///< -Inf when count is 0
  float mean;
  float over;
  float weighted;
};

struct Input {
  const float* data;
  std::size_t rows;
  std::size_t cols;
  std::size_t row_stride;   ///< >= cols
  const float* weights;     ///< rows entries, or nullptr
  const float* thresholds;  ///< cols entries, or nullptr
};

namespace scalar {
void run(const Input& in, ColumnStats* out);
}
#if ELEX_SIMD
namespace vec {
void run(const Input& in, ColumnStats* out);
}
inline void run(const Input& in, ColumnStats* out) { vec::run(in, out); }
#else
inline void run(const Input& in, ColumnStats* out) { scalar::run(in, out); }
#endif

}  // namespace elex::aggregate

#endif  // ELEX_AGGREGATE_H
