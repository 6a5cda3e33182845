// elex/quant.h — int8 scalar quantisation and the int8 dot kernel.
//
// quantize(): codes c_i = round(x_i / scale) clamped to [-127, 127] for a
// given scale. quantize_unit(): the index's scheme (hnsw.h): each vector gets
// its own scale, its largest |x_i| maps to 127 (so every vector uses the
// whole code range), and a factor f = 1 / |c| is kept beside the codes, so
// f * c is a unit vector: the cosine of x and y is estimated as
// f_x * f_y * dot_i8(c_x, c_y), and against an f32 unit query q as
// f_y * sum q_i c_yi. The integer dot is exact (no rounding) as long as
// n <= 133,000 (127 * 127 * n < 2^31), so the twins agree bit for bit.
#ifndef ELEX_QUANT_H
#define ELEX_QUANT_H

#include <cstddef>
#include <cstdint>

#include "elex/simd.h"

namespace elex::quant {

/// Largest length for which dot_i8 cannot overflow.
inline constexpr std::size_t kMaxDim = 133000;

/// Codes for `x` at `scale` (> 0). NaN maps to 0; out-of-range values clamp.
void quantize(const float* x, std::size_t n, float scale, std::int8_t* codes);

/// Codes for `x` at its own scale (largest |x_i| -> 127; NaN codes 0, as in
/// quantize); returns the factor 1 / |codes|. A zero vector, or one with an
/// infinite value, gets all-zero codes and factor 0.
float quantize_unit(const float* x, std::size_t n, std::int8_t* codes);

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
