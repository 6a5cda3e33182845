// int8 quantisation (see quant.h).
#include "elex/kernels/quant.h"

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

float quantize_unit(const float* x, std::size_t n, std::int8_t* codes) {
  float mx = 0.0f;
  for (std::size_t i = 0; i < n; ++i) mx = std::fabs(x[i]) > mx ? std::fabs(x[i]) : mx;
  if (!(mx > 0.0f) || !std::isfinite(mx)) {
    for (std::size_t i = 0; i < n; ++i) codes[i] = 0;
    return 0.0f;
  }
  quantize(x, n, mx / 127.0f, codes);
  std::int64_t nn = 0;
  for (std::size_t i = 0; i < n; ++i) nn += std::int32_t(codes[i]) * std::int32_t(codes[i]);
  return nn > 0 ? float(1.0 / std::sqrt(double(nn))) : 0.0f;
}

float quantize_residual4(const float* x, std::size_t n, const std::int8_t* codes,
                         std::uint8_t* nibbles) {
  for (std::size_t j = 0; j < residual4_bytes(n); ++j) nibbles[j] = 0x88;  // r = 0
  if (n & 1) nibbles[n / 2] = 0x08;  // an odd length's unused half stays 0
  float mx = 0.0f;                   // as quantize_unit
  for (std::size_t i = 0; i < n; ++i) mx = std::fabs(x[i]) > mx ? std::fabs(x[i]) : mx;
  if (!(mx > 0.0f) || !std::isfinite(mx)) return 0.0f;
  const float scale = mx / 127.0f;
  const float inv = 15.0f / scale;
  double yy = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    float e = (x[i] - scale * static_cast<float>(codes[i])) * inv;
    if (!(e == e)) e = 0.0f;  // NaN
    e = e > 7.0f ? 7.0f : (e < -7.0f ? -7.0f : e);
    const auto r = static_cast<std::int32_t>(std::lrintf(e));
    const auto nib = static_cast<std::uint8_t>(r + 8);
    nibbles[i / 2] = (i & 1) ? std::uint8_t((nibbles[i / 2] & 0x0F) | (nib << 4))
                             : std::uint8_t((nibbles[i / 2] & 0xF0) | nib);
    const double y = 15.0 * codes[i] + r;
    yy += y * y;
  }
  return yy > 0.0 ? float(1.0 / std::sqrt(yy)) : 0.0f;
}

void decode_residual4(const std::int8_t* codes, const std::uint8_t* nibbles, std::size_t n,
                      float* out) {
  const std::size_t pairs = n / 2;
  for (std::size_t j = 0; j < pairs; ++j) {
    const std::int32_t b = nibbles[j];
    out[2 * j] = static_cast<float>(15 * std::int32_t(codes[2 * j]) + (b & 0x0F) - 8);
    out[2 * j + 1] = static_cast<float>(15 * std::int32_t(codes[2 * j + 1]) + (b >> 4) - 8);
  }
  if (n & 1)
    out[n - 1] = static_cast<float>(15 * std::int32_t(codes[n - 1]) + (nibbles[n / 2] & 0x0F) - 8);
}

float dot_residual4(const float* q, const std::int8_t* codes, const std::uint8_t* nibbles,
                    std::size_t n) {
  float s = 0.0f;
  for (std::size_t i = 0; i < n; ++i) {
    const std::int32_t nib = (nibbles[i / 2] >> (4 * (i & 1))) & 0x0F;
    s += q[i] * static_cast<float>(15 * std::int32_t(codes[i]) + nib - 8);
  }
  return s;
}

namespace scalar {
std::int32_t dot_i8(const std::int8_t* a, const std::int8_t* b, std::size_t n) {
  std::int32_t s = 0;
  for (std::size_t i = 0; i < n; ++i) s += std::int32_t(a[i]) * std::int32_t(b[i]);
  return s;
}
void dot4_i8(const std::int8_t* q, const std::int8_t* const v[4], std::size_t n,
             std::int32_t out[4]) {
  for (int j = 0; j < 4; ++j) out[j] = dot_i8(q, v[j], n);
}
void dots_i8(const std::int8_t* q, const std::int8_t* first, std::size_t stride, std::size_t count,
             std::size_t n, std::int32_t* out) {
  for (std::size_t i = 0; i < count; ++i) out[i] = dot_i8(q, first + i * stride, n);
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
void dot4_i8(const std::int8_t* q, const std::int8_t* const v[4], std::size_t n,
             std::int32_t out[4]) {
  simd::i32x4 a0 = simd::zero_i32(), a1 = simd::zero_i32(), a2 = simd::zero_i32(),
              a3 = simd::zero_i32();
  const std::int8_t *v0 = v[0], *v1 = v[1], *v2 = v[2], *v3 = v[3];
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const simd::i8x16w x = simd::widen_i8x16(q + i);
    a0 = simd::dot_i8x16w(a0, x, simd::widen_i8x16(v0 + i));
    a1 = simd::dot_i8x16w(a1, x, simd::widen_i8x16(v1 + i));
    a2 = simd::dot_i8x16w(a2, x, simd::widen_i8x16(v2 + i));
    a3 = simd::dot_i8x16w(a3, x, simd::widen_i8x16(v3 + i));
  }
  simd::hsum4_i32(a0, a1, a2, a3, out);
  for (; i < n; ++i) {
    const std::int32_t x = q[i];
    out[0] += x * v0[i], out[1] += x * v1[i], out[2] += x * v2[i], out[3] += x * v3[i];
  }
}
void dots_i8(const std::int8_t* q, const std::int8_t* first, std::size_t stride, std::size_t count,
             std::size_t n, std::int32_t* out) {
  std::size_t i = 0;
  for (; i + 4 <= count; i += 4) {
    const std::int8_t* v[4] = {first + i * stride, first + (i + 1) * stride,
                               first + (i + 2) * stride, first + (i + 3) * stride};
    dot4_i8(q, v, n, out + i);
  }
  for (; i < count; ++i) out[i] = dot_i8(q, first + i * stride, n);
}
}  // namespace vec
#endif

}  // namespace elex::quant
