// elex/kernels/quant.h — int8 scalar quantisation and the int8 dot kernel.
//
// quantize(): codes c_i = round(x_i / scale) clamped to [-127, 127] for a
// given scale. quantize_unit(): the index's scheme (hnsw.h): each vector gets
// its own scale, its largest |x_i| maps to 127 (so every vector uses the
// whole code range), and a factor f = 1 / |c| is kept beside the codes, so
// f * c is a unit vector: the cosine of x and y is estimated as
// f_x * f_y * dot_i8(c_x, c_y), and against an f32 unit query q as
// f_y * sum q_i c_yi. The integer dot is exact (no rounding) as long as
// n <= 133,000 (127 * 127 * n < 2^31), so the twins agree bit for bit.
//
// quantize_residual4(): a 4-bit code of what quantize_unit's codes miss, for
// a finer re-rank ('int8+res4', hnsw.h). With s the codes' step (largest
// |x_i| / 127), x_i - s c_i lies in [-s/2, s/2]; r_i = round(15 (x_i - s c_i)
// / s) in [-7, 7] codes it in steps of s / 15, so x ~ (s / 15) y with the
// integer vector y = 15 c + r (|y_i| <= 1912): 4 more bits per component,
// the error bound s / 30 instead of s / 2. The nibbles hold r + 8 (1..15),
// two per byte, component 2j in the low half of byte j (an odd length's
// unused last half is 0). A factor g = 1 / |y|
// is kept with them, so g y is a unit vector and a unit query q scores
// g * sum q_i y_i.
#ifndef ELEX_QUANT_H
#define ELEX_QUANT_H

#include <cstddef>
#include <cstdint>

#include "elex/kernels/simd.h"

namespace elex::quant {

/// Largest length for which dot_i8 cannot overflow.
inline constexpr std::size_t kMaxDim = 133000;

/// Codes for `x` at `scale` (> 0). NaN maps to 0; out-of-range values clamp.
void quantize(const float* x, std::size_t n, float scale, std::int8_t* codes);

/// Codes for `x` at its own scale (largest |x_i| -> 127; NaN codes 0, as in
/// quantize); returns the factor 1 / |codes|. A zero vector, or one with an
/// infinite value, gets all-zero codes and factor 0.
float quantize_unit(const float* x, std::size_t n, std::int8_t* codes);

/// Bytes of the nibbles for n components ((n + 1) / 2).
inline constexpr std::size_t residual4_bytes(std::size_t n) { return (n + 1) / 2; }

/// The 4-bit residual of `x` past `codes` (quantize_unit(x, n, codes) must
/// have made them) into `nibbles` (residual4_bytes(n) bytes); returns the
/// factor g = 1 / |15 c + r|, 0 for a zero or non-finite vector (nibbles
/// then code r = 0).
float quantize_residual4(const float* x, std::size_t n, const std::int8_t* codes,
                         std::uint8_t* nibbles);

/// out[i] = 15 * codes[i] + r_i: the integer vector y of quantize_residual4,
/// as floats (so a re-rank scores it with kernels::dot; the loop is plain
/// enough for the compiler to vectorise).
void decode_residual4(const std::int8_t* codes, const std::uint8_t* nibbles, std::size_t n,
                      float* out);

/// Reference: sum q_i * (15 c_i + r_i), in one scalar loop (tests check the
/// decode + kernels::dot path the index uses against it).
float dot_residual4(const float* q, const std::int8_t* codes, const std::uint8_t* nibbles,
                    std::size_t n);

namespace scalar {
std::int32_t dot_i8(const std::int8_t* a, const std::int8_t* b, std::size_t n);
void dot4_i8(const std::int8_t* q, const std::int8_t* const v[4], std::size_t n,
             std::int32_t out[4]);
/// out[i] = dot_i8(q, v_i, n) for `count` code vectors v_i = first + i *
/// stride bytes: a flat scan's block in one call.
void dots_i8(const std::int8_t* q, const std::int8_t* first, std::size_t stride, std::size_t count,
             std::size_t n, std::int32_t* out);
}  // namespace scalar
#if ELEX_SIMD
namespace vec {
std::int32_t dot_i8(const std::int8_t* a, const std::int8_t* b, std::size_t n);
void dot4_i8(const std::int8_t* q, const std::int8_t* const v[4], std::size_t n,
             std::int32_t out[4]);
void dots_i8(const std::int8_t* q, const std::int8_t* first, std::size_t stride, std::size_t count,
             std::size_t n, std::int32_t* out);
}  // namespace vec
namespace active = vec;
#else
namespace active = scalar;
#endif

inline std::int32_t dot_i8(const std::int8_t* a, const std::int8_t* b, std::size_t n) {
  return active::dot_i8(a, b, n);
}
/// out[j] = dot_i8(q, v[j], n) for four vectors in one pass over q (q is
/// widened once per 16 values and shared by the four).
inline void dot4_i8(const std::int8_t* q, const std::int8_t* const v[4], std::size_t n,
                    std::int32_t out[4]) {
  active::dot4_i8(q, v, n, out);
}
inline void dots_i8(const std::int8_t* q, const std::int8_t* first, std::size_t stride,
                    std::size_t count, std::size_t n, std::int32_t* out) {
  active::dots_i8(q, first, stride, count, n, out);
}

}  // namespace elex::quant

#endif  // ELEX_QUANT_H
