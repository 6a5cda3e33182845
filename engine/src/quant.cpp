// int8 quantisation (see quant.h).
#include "elex/quant.h"

#include <cmath>

namespace elex::quant {

void quantize(const float* x, std::size_t n, float scale, std::int8_t* codes) {
  const float inv = scale > 0.0f ? 1.0f / scale : 0.0f;
  for (std::size_t i = 0; i < n; ++i) {
    float q = x[i] * inv;
    if (!(q == q)) q = 0.0f;  // NaN
    q = q > 127.0f ? 127.0f : (q < -127.0f ? -127.0f : q);
    codes[i] = static_cast<std::int8_t>(std::lrintf(q));
  }
}

namespace scalar {
std::int32_t dot_i8(const std::int8_t* a, const std::int8_t* b, std::size_t n) {
  std::int32_t s = 0;
  for (std::size_t i = 0; i < n; ++i) s += std::int32_t(a[i]) * std::int32_t(b[i]);
  return s;
}
}  // namespace scalar

#if ELEX_SIMD
namespace vec {
std::int32_t dot_i8(const std::int8_t* a, const std::int8_t* b, std::size_t n) {
  simd::i32x4 acc0 = simd::zero_i32(), acc1 = simd::zero_i32();
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = simd::dot_i8x16(acc0, a + i, b + i);
    acc1 = simd::dot_i8x16(acc1, a + i + 16, b + i + 16);
  }
  for (; i + 16 <= n; i += 16) acc0 = simd::dot_i8x16(acc0, a + i, b + i);
  std::int32_t s = simd::hsum_i32(acc0) + simd::hsum_i32(acc1);
  for (; i < n; ++i) s += std::int32_t(a[i]) * std::int32_t(b[i]);
  return s;
}
}  // namespace vec
#endif

}  // namespace elex::quant
