// Parameter-change validation (see validate.h).
#include "elex/ran/validate.h"

#include <cmath>
#include <limits>

// No fused multiply-add: the twins must round alike (GCC in ISO mode never
// contracts; clang honours the pragma).
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

namespace elex::validate {

namespace {
inline void tally(Counts& c, std::uint32_t m) {
  c.flagged += m != 0;
  for (unsigned b = 0; b < kFindingCount; ++b) c.by_finding[b] += (m >> b) & 1u;
}
}  // namespace

namespace scalar {

std::uint32_t one(const Input& in, std::size_t i) {
  const float p = in.proposed[i], c = in.current[i];
  std::uint32_t m = 0;
  if (!(std::fabs(p) < std::numeric_limits<float>::infinity())) m |= kNotFinite;
  if (p < in.abs_min[i]) m |= kBelowMin;
  if (p > in.abs_max[i]) m |= kAboveMax;
  if (p < in.safe_min[i]) m |= kBelowSafe;
  if (p > in.safe_max[i]) m |= kAboveSafe;
  const float base = c == 0.0f ? in.safe_max[i] - in.safe_min[i] : std::fabs(c);
  const float limit = in.max_step_rel[i] * base;
  if (std::fabs(p - c) > limit) m |= kStepTooLarge;
  return m;
}

Counts run(const Input& in, std::size_t n, std::uint32_t* masks) {
  Counts counts{};
  for (std::size_t i = 0; i < n; ++i) {
    masks[i] = one(in, i);
    tally(counts, masks[i]);
  }
  return counts;
}

}  // namespace scalar

#if ELEX_SIMD
namespace vec {

Counts run(const Input& in, std::size_t n, std::uint32_t* masks) {
  using namespace simd;
  Counts counts{};
  const f32x4 inf = splat(std::numeric_limits<float>::infinity()), zero = simd::zero();
  i32x4 cnt[kFindingCount + 1];
  for (auto& c : cnt) c = zero_i32();
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const f32x4 p = load(in.proposed + i), c = load(in.current + i);
    const f32x4 smin = load(in.safe_min + i), smax = load(in.safe_max + i);
    const m32x4 nf = mnot(lt(simd::abs(p), inf));
    const m32x4 bmin = lt(p, load(in.abs_min + i));
    const m32x4 amax = gt(p, load(in.abs_max + i));
    const m32x4 bsafe = lt(p, smin);
    const m32x4 asafe = gt(p, smax);
    const f32x4 base = select(eq(c, zero), sub(smax, smin), simd::abs(c));
    const f32x4 limit = mul(load(in.max_step_rel + i), base);
    const m32x4 step = gt(simd::abs(sub(p, c)), limit);
    const m32x4 m = mor(mor(mor(bits_if(nf, kNotFinite), bits_if(bmin, kBelowMin)),
                            mor(bits_if(amax, kAboveMax), bits_if(bsafe, kBelowSafe))),
                        mor(bits_if(asafe, kAboveSafe), bits_if(step, kStepTooLarge)));
    store_u32(masks + i, m);
    cnt[0] = count_if(cnt[0], nf);
    cnt[1] = count_if(cnt[1], bmin);
    cnt[2] = count_if(cnt[2], amax);
    cnt[3] = count_if(cnt[3], bsafe);
    cnt[4] = count_if(cnt[4], asafe);
    cnt[5] = count_if(cnt[5], step);
    cnt[6] = count_if(cnt[6], nonzero(m));
  }
  for (unsigned b = 0; b < kFindingCount; ++b)
    counts.by_finding[b] = static_cast<std::uint32_t>(hsum_i32(cnt[b]));
  counts.flagged = static_cast<std::uint32_t>(hsum_i32(cnt[6]));
  for (; i < n; ++i) {
    masks[i] = scalar::one(in, i);
    tally(counts, masks[i]);
  }
  return counts;
}

}  // namespace vec
#endif

}  // namespace elex::validate
