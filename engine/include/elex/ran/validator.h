// elex/ran/validator.h — whole validation of parameter changes: type checks,
// the SIMD bounds kernel (validate.h), cooldowns and verdicts, in one call.
//
// A Validator holds what it needs of every catalog parameter (its kind, its
// bounds and its cooldown) and the time of the last accepted change of each
// (parameter, cell). A run over n changes gives each a reason mask and a
// verdict. Values, bounds and changes are compared as doubles, exactly as
// given (an int parameter's 36-bit cell id is checked to the unit):
//
//   bit  reason                  verdict  when
//   0    kUnknown                reject   parameter index outside 0..count−1
//   1    kWrongType              reject   int: finite and not an integer;
//                                          bool: not 0 or 1; enum / string:
//                                          always, unless the caller checked
//                                          them (kCallerChecked)
//   2    kReasonNotFinite        reject   proposed is NaN or ±Inf, or current
//                                          is where the parameter has a max
//                                          change (the step cannot be judged)
//   3    kAbsolute               reject   outside the absolute range
//   4    kTooLarge               reject   |proposed − current| > max change
//   5    kCooldown               reject   less than the parameter's cooldown
//                                          since the last accepted change of
//                                          it on that cell (times are the
//                                          caller's, in ms)
//   6    kSafe                   warn     outside the safe range
//   7    kNoBounds               warn     numeric, no range and no safe zone
//
// The bits are those of VALIDATION_REASONS in ts/host/ran-ops.ts (generated from
// Reason below by scripts/gen-enums.mjs). Verdict codes:
// 0 ok, 1 warn, 2 reject. Accepted changes (ok or warn) of parameters with a
// cooldown are recorded, in order, when kRecord is given: a later change in
// the same batch sees an earlier one.
//
// Checks of the input (times finite, cell ids not negative) are all made
// before anything is recorded: a bad batch changes nothing.
#ifndef ELEX_VALIDATOR_H
#define ELEX_VALIDATOR_H

#include <cstddef>
#include <cstdint>
#include <limits>

#include "elex/core/status.h"

namespace elex::validate {

/// Parameter kinds of the validator's table.
/// @ts PARAMETER_KIND
enum Kind : std::uint8_t {
  kNumber = 0,  ///< `number`: a float.
  kInt = 1,     ///< `int`
  kEnum = 2,    ///< `enum`
  kBool = 3,    ///< `bool`
  kString = 4,  ///< `string`
};

/// Reason bits of a change (the table at the top): bit i is VALIDATION_REASONS[i].
/// @ts VALIDATION_REASON
enum Reason : std::uint16_t {
  kUnknown = 1u << 0,          ///< `UNKNOWN_PARAMETER`: reject, not a known parameter.
  kWrongType = 1u << 1,        ///< `WRONG_TYPE`: reject, not of the parameter's type.
  kReasonNotFinite = 1u << 2,  ///< `NOT_FINITE`: reject, NaN or ±Inf (see the table).
  kAbsolute = 1u << 3,         ///< `OUTSIDE_ABSOLUTE_RANGE`: reject.
  kTooLarge = 1u << 4,         ///< `CHANGE_TOO_LARGE`: reject, a larger step than max change.
  kCooldown = 1u << 5,         ///< `COOLDOWN`: reject, too soon after the last change.
  kSafe = 1u << 6,             ///< `OUTSIDE_SAFE_RANGE`: warn.
  kNoBounds = 1u << 7,         ///< `NO_BOUNDS`: warn, no range and no safe zone.
};
inline constexpr std::uint16_t kRejectReasons = 0x3f;

/// The verdict of a change.
/// @ts VERDICT
enum Verdict : std::uint8_t {
  kVerdictOk = 0,      ///< `ok`: no reason.
  kVerdictWarn = 1,    ///< `warn`: warning reasons only.
  kVerdictReject = 2,  ///< `reject`: a reject reason.
};

/// Flags of a run (elex_validator_run).
/// @ts VALIDATOR_RUN_FLAG
enum RunFlags : std::uint32_t {
  /// `record`: Record accepted changes for later cooldowns.
  kRecord = 1u << 0,
  /// `callerChecked`: `reasons` holds findings the caller made (e.g. on values that are not
  /// numbers); a change with a reject bit there skips the value checks, and
  /// enum / string / bool parameters count as checked by the caller. Cell
  /// ids may then be negative (the caller's own numbering of named cells).
  kCallerChecked = 1u << 1,
};

/// n changes as columns. at == nullptr: every change at at_all; cells ==
/// nullptr: every change on cell 0.
struct Changes {
  const std::int32_t* params;
  const double* current;
  const double* proposed;
  const double* at;
  double at_all;
  const std::int32_t* cells;
  std::size_t n;
};

struct Tally {
  std::uint32_t ok, warn, reject;
  /// The latest time recorded by this run (−Inf if none).
  double max_recorded_at;
};

/// (parameter, cell) → time of the last accepted change. Open addressing
/// with linear probing, at most half full.
class CooldownTable {
 public:
  CooldownTable() = default;
  CooldownTable(const CooldownTable&) = delete;
  CooldownTable& operator=(const CooldownTable&) = delete;
  ~CooldownTable();

  /// The time stored for key, or nullptr.
  const double* find(std::uint64_t key) const;
  /// Stores at for key; OUT_OF_MEMORY (nothing changed) if it cannot grow.
  [[nodiscard]] Status set(std::uint64_t key, double at);
  /// Room for `more` new keys without growing inside a run.
  [[nodiscard]] Status reserve(std::size_t more);
  /// Gives back room reserved and not used: a table 4 times (or more) larger
  /// than its keys need is moved into one that fits them (kept as it is
  /// when that cannot be allocated).
  void fit();
  void clear();
  /// Calls f(key, at) for every stored key, in slot order.
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t i = 0; i < cap_; ++i)
      if (keys_[i] != kEmpty) f(keys_[i], times_[i]);
  }
  std::size_t size() const { return size_; }
  std::size_t bytes() const { return cap_ * (sizeof(std::uint64_t) + sizeof(double)); }

  static std::uint64_t key(std::int32_t param, std::int32_t cell) {
    return (std::uint64_t(std::uint32_t(param)) << 32) | std::uint32_t(cell);
  }

 private:
  static constexpr std::uint64_t kEmpty = ~std::uint64_t(0);  // param < 2^31: never a key
  [[nodiscard]] Status grow(std::size_t cap);
  std::size_t slot(std::uint64_t key) const;
  std::uint64_t* keys_ = nullptr;
  double* times_ = nullptr;
  std::size_t cap_ = 0, size_ = 0;
};

/// The value reasons of a numeric change (kReasonNotFinite alone when
/// `proposed` is NaN or ±Inf; else kAbsolute, kSafe and kTooLarge as the
/// table above says), compared as doubles. A NaN bound is not known: its
/// check does not fire.
std::uint16_t value_reasons(double proposed, double current, double abs_min, double abs_max,
                            double safe_min, double safe_max, double max_change);

class Validator {
 public:
  Validator() = default;
  Validator(const Validator&) = delete;
  Validator& operator=(const Validator&) = delete;
  ~Validator();

  /// count parameters: kinds[count], bounds[5 × count] (validate.h
  /// BoundsColumn order, NaN = not known), cooldown_ms[count] (NaN = none).
  [[nodiscard]] Status init(std::uint32_t count, const std::uint8_t* kinds, const double* bounds,
                            const double* cooldown_ms);

  /// Validates c (see the table above). reasons[n] is written (with
  /// kCallerChecked also read first), verdicts[n] written.
  [[nodiscard]] Status run(const Changes& c, std::uint32_t flags, std::uint16_t* reasons,
                           std::uint8_t* verdicts, Tally* tally);

  /// After the recorded times were lost (a new worker): every (parameter,
  /// cell) counts as changed at `at` unless a later change is recorded.
  void set_floor(double at) { floor_ = at; }

  /// Takes back accepted changes recorded elsewhere (another process, an
  /// earlier night): the last change of param on cell was at `at`, unless a
  /// later one is recorded here. INVALID_ARGUMENT (nothing changed) for a
  /// parameter outside 0..count−1 or a time that is NaN.
  [[nodiscard]] Status restore(std::size_t n, const std::int32_t* params, const std::int32_t* cells,
                               const double* at);
  double floor() const { return floor_; }

  std::uint32_t count() const { return count_; }
  const CooldownTable& cooldowns() const { return last_; }
  /// Bytes held: tables, cooldowns and the working region.
  std::size_t bytes() const;

 private:
  std::uint32_t count_ = 0;
  std::uint8_t* kind_ = nullptr;  ///< kind | 0x80 when no bounds are known
  double* bounds_ = nullptr;      ///< 5 × count
  double* cooldown_ms_ = nullptr;
  CooldownTable last_;
  double floor_ = -std::numeric_limits<double>::infinity();
};

}  // namespace elex::validate

#endif  // ELEX_VALIDATOR_H
