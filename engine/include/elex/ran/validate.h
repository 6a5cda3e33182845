// elex/ran/validate.h — parameter-change validation over many values at once.
//
// For each i < n, the proposed value p = proposed[i] of a parameter whose
// current value is c = current[i] is checked against its bounds; the
// verdict is a bit mask (0 = no finding):
//
//   kNotFinite    p is NaN or +-Inf
//   kBelowMin     p < abs_min[i]           (outside the absolute range)
//   kAboveMax     p > abs_max[i]
//   kBelowSafe    p < safe_min[i]          (outside the safe zone)
//   kAboveSafe    p > safe_max[i]
//   kStepTooLarge |p - c| > limit, limit = max_step_rel[i] * |c|, or, when
//                 c == 0, max_step_rel[i] * (safe_max[i] - safe_min[i])
//
// A NaN bound means "not known": comparisons with NaN are false, so that
// check never fires (likewise a NaN current value disables the step check).
// Infinite bounds work as "no limit". The twins evaluate identical
// comparisons, so masks and counts agree exactly.
#ifndef ELEX_VALIDATE_H
#define ELEX_VALIDATE_H

#include <cstddef>
#include <cstdint>

#include "elex/kernels/simd.h"

namespace elex::validate {

enum Finding : std::uint32_t {
  kNotFinite = 1u << 0,
  kBelowMin = 1u << 1,
  kAboveMax = 1u << 2,
  kBelowSafe = 1u << 3,
  kAboveSafe = 1u << 4,
  kStepTooLarge = 1u << 5,
};
inline constexpr unsigned kFindingCount = 6;

/// Structure of arrays, n entries each.
struct Input {
  const float* current;
  const float* proposed;
  const float* abs_min;
  const float* abs_max;
  const float* safe_min;
  const float* safe_max;
  const float* max_step_rel;
};

struct Counts {
  std::uint32_t flagged;                    ///< values with any finding
  std::uint32_t by_finding[kFindingCount];  ///< values with finding (1 << b)
};

namespace scalar {
Counts run(const Input& in, std::size_t n, std::uint32_t* masks);
}
#if ELEX_SIMD
namespace vec {
Counts run(const Input& in, std::size_t n, std::uint32_t* masks);
}
inline Counts run(const Input& in, std::size_t n, std::uint32_t* masks) {
  return vec::run(in, n, masks);
}
#else
inline Counts run(const Input& in, std::size_t n, std::uint32_t* masks) {
  return scalar::run(in, n, masks);
}
#endif

/// Columns of a per-parameter bounds table (validator.h): `count` values
/// each, in this order. max_change is absolute (same unit as values).
enum BoundsColumn : unsigned { kAbsMin, kAbsMax, kSafeMin, kSafeMax, kMaxChange, kBoundsColumns };

}  // namespace elex::validate

#endif  // ELEX_VALIDATE_H
