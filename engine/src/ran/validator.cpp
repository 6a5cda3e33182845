// Whole validation of parameter changes (see validator.h).
#include "elex/ran/validator.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "elex/ran/validate.h"

namespace elex::validate {

// ------------------------------------------------------------ cooldowns

CooldownTable::~CooldownTable() {
  std::free(keys_);
  std::free(times_);
}

std::size_t CooldownTable::slot(std::uint64_t key) const {
  // Fibonacci hashing of a 64-bit mix: cells and parameters both vary in the low bits.
  std::uint64_t h = key ^ (key >> 29);
  h *= 0x9E3779B97F4A7C15ull;
  return std::size_t(h >> 32) & (cap_ - 1);
}

const double* CooldownTable::find(std::uint64_t key) const {
  if (size_ == 0) return nullptr;
  for (std::size_t i = slot(key);; i = (i + 1) & (cap_ - 1)) {
    if (keys_[i] == key) return &times_[i];
    if (keys_[i] == kEmpty) return nullptr;
  }
}

Status CooldownTable::grow(std::size_t cap) {
  auto* keys = static_cast<std::uint64_t*>(std::malloc(cap * sizeof(std::uint64_t)));
  auto* times = static_cast<double*>(std::malloc(cap * sizeof(double)));
  if (keys == nullptr || times == nullptr) {
    std::free(keys);
    std::free(times);
    return fail(ELEX_E_OUT_OF_MEMORY, "no memory for %zu cooldown entries", cap / 2);
  }
  std::memset(keys, 0xff, cap * sizeof(std::uint64_t));
  std::uint64_t* old_keys = keys_;
  double* old_times = times_;
  const std::size_t old_cap = cap_;
  keys_ = keys;
  times_ = times;
  cap_ = cap;
  for (std::size_t j = 0; j < old_cap; ++j) {
    if (old_keys[j] == kEmpty) continue;
    std::size_t i = slot(old_keys[j]);
    while (keys_[i] != kEmpty) i = (i + 1) & (cap_ - 1);
    keys_[i] = old_keys[j];
    times_[i] = old_times[j];
  }
  std::free(old_keys);
  std::free(old_times);
  return ELEX_OK;
}

Status CooldownTable::reserve(std::size_t more) {
  const std::size_t want = size_ + more;
  if (2 * want <= cap_) return ELEX_OK;
  std::size_t cap = cap_ ? cap_ : 64;
  while (cap < 2 * want) cap *= 2;
  return grow(cap);
}

Status CooldownTable::set(std::uint64_t key, double at) {
  if (Status s = reserve(1); s != ELEX_OK) return s;
  std::size_t i = slot(key);
  while (keys_[i] != kEmpty && keys_[i] != key) i = (i + 1) & (cap_ - 1);
  if (keys_[i] == kEmpty) {
    keys_[i] = key;
    ++size_;
  }
  times_[i] = at;
  return ELEX_OK;
}

void CooldownTable::fit() {
  std::size_t cap = 64;
  while (cap < 2 * size_) cap *= 2;
  if (cap_ >= 4 * cap) (void)grow(cap);  // on OUT_OF_MEMORY the larger table stays
}

void CooldownTable::clear() {
  if (cap_) std::memset(keys_, 0xff, cap_ * sizeof(std::uint64_t));
  size_ = 0;
}

// ------------------------------------------------------------ validator

Validator::~Validator() {
  std::free(kind_);
  std::free(bounds_);
  std::free(cooldown_ms_);
}

std::uint16_t value_reasons(double proposed, double current, double abs_min, double abs_max,
                            double safe_min, double safe_max, double max_change) {
  if (!std::isfinite(proposed)) return kReasonNotFinite;
  // A current value that is NaN or ±Inf leaves a step that cannot be judged:
  // where the parameter has a max change, the change is as unusable.
  if (!std::isfinite(current) && !std::isnan(max_change)) return kReasonNotFinite;
  // Without branches (the outcomes of a batch are not predictable); a
  // comparison with a NaN bound is false, so that check does not fire.
  const unsigned absolute = unsigned(proposed < abs_min) | unsigned(proposed > abs_max);
  const unsigned safe = unsigned(proposed < safe_min) | unsigned(proposed > safe_max);
  const unsigned large = unsigned(std::fabs(proposed - current) > max_change);
  return std::uint16_t((absolute * kAbsolute) | (safe * kSafe) | (large * kTooLarge));
}

std::size_t Validator::bytes() const {
  return std::size_t(count_) * (1 + 5 * sizeof(double) + sizeof(double)) + last_.bytes();
}

Status Validator::init(std::uint32_t count, const std::uint8_t* kinds, const double* bounds,
                       const double* cooldown_ms) {
  if (count_ != 0 || kind_ != nullptr)
    return fail(ELEX_E_INVALID_ARGUMENT, "this validator already holds a catalog");
  if (count > 0 && (kinds == nullptr || bounds == nullptr || cooldown_ms == nullptr))
    return fail(ELEX_E_INVALID_ARGUMENT, "null parameter tables");
  const std::size_t n = count ? count : 1;
  kind_ = static_cast<std::uint8_t*>(std::malloc(n));
  bounds_ = static_cast<double*>(std::malloc(5 * n * sizeof(double)));
  cooldown_ms_ = static_cast<double*>(std::malloc(n * sizeof(double)));
  if (kind_ == nullptr || bounds_ == nullptr || cooldown_ms_ == nullptr)
    return fail(ELEX_E_OUT_OF_MEMORY, "no memory for the tables of %u parameters", count);
  for (std::uint32_t p = 0; p < count; ++p) {
    if (kinds[p] > kString)
      return fail(ELEX_E_INVALID_ARGUMENT, "parameter %u has kind %u (0..4 are known)", p,
                  unsigned(kinds[p]));
    bool known = false;
    for (unsigned c = 0; c < kBoundsColumns; ++c)
      known |= !std::isnan(bounds[std::size_t(c) * count + p]);
    kind_[p] = std::uint8_t(kinds[p] | (known ? 0 : 0x80));
  }
  if (count > 0) {
    std::memcpy(bounds_, bounds, 5 * std::size_t(count) * sizeof(double));
    std::memcpy(cooldown_ms_, cooldown_ms, std::size_t(count) * sizeof(double));
  }
  count_ = count;
  return ELEX_OK;
}

Status Validator::restore(std::size_t n, const std::int32_t* params, const std::int32_t* cells,
                          const double* at) {
  if (n > 0 && (params == nullptr || cells == nullptr || at == nullptr))
    return fail(ELEX_E_INVALID_ARGUMENT, "null cooldown columns");
  for (std::size_t i = 0; i < n; ++i) {
    if (params[i] < 0 || std::uint32_t(params[i]) >= count_)
      return fail(ELEX_E_INVALID_ARGUMENT, "cooldown %zu: parameter %d of %u", i, params[i],
                  count_);
    if (std::isnan(at[i])) return fail(ELEX_E_INVALID_ARGUMENT, "cooldown %zu: the time is NaN", i);
  }
  if (Status s = last_.reserve(n); s != ELEX_OK) return s;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t key = CooldownTable::key(params[i], cells[i]);
    const double* last = last_.find(key);
    if (last == nullptr || *last < at[i]) (void)last_.set(key, at[i]);  // room reserved
  }
  last_.fit();  // the same key many times: room for each was reserved
  return ELEX_OK;
}

Status Validator::run(const Changes& c, std::uint32_t flags, std::uint16_t* reasons,
                      std::uint8_t* verdicts, Tally* tally) {
  const std::size_t n = c.n;
  if (kind_ == nullptr) return fail(ELEX_E_INVALID_ARGUMENT, "the validator has no catalog");
  if (n > 0 && (c.params == nullptr || c.current == nullptr || c.proposed == nullptr ||
                reasons == nullptr || verdicts == nullptr))
    return fail(ELEX_E_INVALID_ARGUMENT, "null change columns or outputs");
  const bool checked = (flags & kCallerChecked) != 0, record = (flags & kRecord) != 0;
  // Every check of the input first: a bad batch records nothing.
  if (c.at == nullptr) {
    if (!std::isfinite(c.at_all))
      return fail(ELEX_E_INVALID_ARGUMENT, "at must be a finite time in ms");
  } else {
    for (std::size_t i = 0; i < n; ++i)
      if (!std::isfinite(c.at[i]))
        return fail(ELEX_E_INVALID_ARGUMENT, "change %zu: at must be a finite time in ms", i);
  }
  if (c.cells != nullptr && !checked)
    for (std::size_t i = 0; i < n; ++i)
      if (c.cells[i] < 0)
        return fail(ELEX_E_INVALID_ARGUMENT,
                    "change %zu: the cell id is outside 0 … 2^31 − 1 (negative, or 2^31 or more)",
                    i);
  // At most n new cooldown keys: room for them now, so that recording
  // cannot fail half-way.
  if (record)
    if (Status s = last_.reserve(n); s != ELEX_OK) return s;

  const std::uint32_t count = count_;
  const double floor = floor_;
  const double* col[kBoundsColumns];
  for (unsigned k = 0; k < kBoundsColumns; ++k) col[k] = bounds_ + std::size_t(k) * count;
  Tally t{0, 0, 0, -std::numeric_limits<double>::infinity()};

  for (std::size_t i = 0; i < n; ++i) {
    const std::int32_t p = c.params[i];
    std::uint16_t r = checked ? reasons[i] : 0;
    const double pro = c.proposed[i], cur = c.current[i];
    const bool known = p >= 0 && std::uint32_t(p) < count;
    if (!known) {
      r |= kUnknown;
    } else if (!(r & kRejectReasons)) {
      const unsigned k = kind_[p] & 0x7f;
      bool numeric = false;
      if (k == kNumber) {
        numeric = true;
      } else if (k == kInt) {
        if (std::isfinite(pro) && std::trunc(pro) != pro)
          r |= kWrongType;
        else
          numeric = true;
      } else if (!checked) {
        if (k != kBool || !(pro == 0.0 || pro == 1.0)) r |= kWrongType;
      }
      if (numeric) {
        if (kind_[p] & 0x80) r |= kNoBounds;
        r |= value_reasons(pro, cur, col[kAbsMin][p], col[kAbsMax][p], col[kSafeMin][p],
                           col[kSafeMax][p], col[kMaxChange][p]);
      }
    }
    const double cool = known ? cooldown_ms_[p] : NAN;
    const double at = c.at ? c.at[i] : c.at_all;
    std::uint64_t key = 0;
    if (cool == cool) {
      key = CooldownTable::key(p, c.cells ? c.cells[i] : 0);
      const double* last = last_.find(key);
      double since = floor;
      if (last != nullptr && *last > since) since = *last;
      if (at - since < cool) r |= kCooldown;
    }
    reasons[i] = r;
    const std::uint8_t v = (r & kRejectReasons) ? kVerdictReject : r ? kVerdictWarn : kVerdictOk;
    verdicts[i] = v;
    t.ok += v == kVerdictOk;
    t.warn += v == kVerdictWarn;
    if (record && v != kVerdictReject && cool == cool) {
      (void)last_.set(key, at);  // room was reserved above
      if (at > t.max_recorded_at) t.max_recorded_at = at;
    }
  }
  t.reject = std::uint32_t(n) - t.ok - t.warn;
  // The room reserved for every change of the batch, back but for what was recorded.
  if (record) last_.fit();
  if (tally) *tally = t;
  return ELEX_OK;
}

}  // namespace elex::validate
