// Batched Q-update (see qupdate.h).
#include "elex/learn/qupdate.h"

// No fused multiply-add: the twins must round alike (GCC in ISO mode never
// contracts; clang honours the pragma).
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

namespace elex::qupdate {

namespace scalar {
// The reference stays scalar: compilers would otherwise vectorise this
// element-wise loop, and the SIMD/scalar comparison would compare SIMD twice.
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-vectorize")))
#endif
void update(float* q, const float* reward, const float* next_max, std::size_t n, float alpha,
            float gamma) {
#if defined(__clang__)
#pragma clang loop vectorize(disable) interleave(disable)
#endif
  for (std::size_t i = 0; i < n; ++i) {
    const float target = reward[i] + gamma * next_max[i];
    const float td = target - q[i];
    q[i] = q[i] + alpha * td;
  }
}
}  // namespace scalar

#if ELEX_SIMD
namespace vec {
void update(float* q, const float* reward, const float* next_max, std::size_t n, float alpha,
            float gamma) {
  const simd::f32x4 a = simd::splat(alpha), g = simd::splat(gamma);
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const simd::f32x4 qi = simd::load(q + i);
    const simd::f32x4 target =
        simd::add(simd::load(reward + i), simd::mul(g, simd::load(next_max + i)));
    const simd::f32x4 td = simd::sub(target, qi);
    simd::store(q + i, simd::add(qi, simd::mul(a, td)));
  }
  scalar::update(q + i, reward + i, next_max + i, n - i, alpha, gamma);
}
}  // namespace vec
#endif

}  // namespace elex::qupdate
