// elex/kernels/simd.h — a four-lane f32 vector type, the only place that names
// instruction sets.
//
// Kernels are written once against f32x4 and compiled per target (the
// simdjson approach):
//   - WebAssembly with -msimd128  -> wasm SIMD128 (kName "simd128")
//   - x86-64 (native builds)      -> SSE2        (kName "sse2"), so the same
//     vector algorithm runs under the native tests, sanitizers and fuzzers
//   - anything else, or ELEX_FORCE_SCALAR -> no vector type; the kernels use
//     their scalar twins (kName "scalar").
// The choice is made here at compile time; nothing branches on it at run time.
#ifndef ELEX_SIMD_H
#define ELEX_SIMD_H

#include <cstdint>

#if !defined(ELEX_FORCE_SCALAR) && defined(__wasm_simd128__)
#include <wasm_simd128.h>
#define ELEX_SIMD 1
#elif !defined(ELEX_FORCE_SCALAR) && (defined(__SSE2__) || defined(_M_X64))
#include <emmintrin.h>
#define ELEX_SIMD 1
#else
#define ELEX_SIMD 0
#endif

namespace elex::simd {

#if ELEX_SIMD && defined(__wasm_simd128__)
inline constexpr const char* kName = "simd128";
struct f32x4 {
  v128_t v;
};
/// Unaligned load of four floats.
inline f32x4 load(const float* p) { return {wasm_v128_load(p)}; }
inline f32x4 zero() { return {wasm_f32x4_splat(0.0f)}; }
inline f32x4 add(f32x4 a, f32x4 b) { return {wasm_f32x4_add(a.v, b.v)}; }
inline f32x4 sub(f32x4 a, f32x4 b) { return {wasm_f32x4_sub(a.v, b.v)}; }
inline f32x4 mul(f32x4 a, f32x4 b) { return {wasm_f32x4_mul(a.v, b.v)}; }
inline f32x4 div(f32x4 a, f32x4 b) { return {wasm_f32x4_div(a.v, b.v)}; }
/// Sum of the four lanes in the fixed order (l0 + l2) + (l1 + l3).
inline float hsum(f32x4 a) {
  v128_t hi = wasm_i32x4_shuffle(a.v, a.v, 2, 3, 0, 1);
  v128_t s = wasm_f32x4_add(a.v, hi);
  return wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 1);
}
/// Lane-wise comparisons give all-ones / all-zeros lanes (a mask).
struct m32x4 {
  v128_t v;
};
/// Transposes the 4 × 4 matrix whose rows are a, b, c, d (lane i of the
/// results = column i); values move, nothing is computed.
inline void transpose4(f32x4& a, f32x4& b, f32x4& c, f32x4& d) {
  const v128_t t0 = wasm_i32x4_shuffle(a.v, b.v, 0, 4, 1, 5);
  const v128_t t1 = wasm_i32x4_shuffle(a.v, b.v, 2, 6, 3, 7);
  const v128_t t2 = wasm_i32x4_shuffle(c.v, d.v, 0, 4, 1, 5);
  const v128_t t3 = wasm_i32x4_shuffle(c.v, d.v, 2, 6, 3, 7);
  a.v = wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5);
  b.v = wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7);
  c.v = wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5);
  d.v = wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7);
}
inline f32x4 splat(float x) { return {wasm_f32x4_splat(x)}; }
inline void store(float* p, f32x4 a) { wasm_v128_store(p, a.v); }
inline f32x4 min(f32x4 a, f32x4 b) { return {wasm_f32x4_pmin(a.v, b.v)}; }
inline f32x4 max(f32x4 a, f32x4 b) { return {wasm_f32x4_pmax(a.v, b.v)}; }
inline f32x4 abs(f32x4 a) { return {wasm_f32x4_abs(a.v)}; }
inline m32x4 lt(f32x4 a, f32x4 b) { return {wasm_f32x4_lt(a.v, b.v)}; }
inline m32x4 gt(f32x4 a, f32x4 b) { return {wasm_f32x4_gt(a.v, b.v)}; }
inline m32x4 le(f32x4 a, f32x4 b) { return {wasm_f32x4_le(a.v, b.v)}; }
inline m32x4 eq(f32x4 a, f32x4 b) { return {wasm_f32x4_eq(a.v, b.v)}; }
inline m32x4 mand(m32x4 a, m32x4 b) { return {wasm_v128_and(a.v, b.v)}; }
inline m32x4 mor(m32x4 a, m32x4 b) { return {wasm_v128_or(a.v, b.v)}; }
inline m32x4 mnot(m32x4 a) { return {wasm_v128_not(a.v)}; }
/// a where mask, else b.
inline f32x4 select(m32x4 m, f32x4 a, f32x4 b) { return {wasm_v128_bitselect(a.v, b.v, m.v)}; }
/// a where mask, else +0 (select(m, a, zero()) in one op).
inline f32x4 keep(m32x4 m, f32x4 a) { return {wasm_v128_and(m.v, a.v)}; }
/// Lanes of `bits` where mask, else 0 (u32 lanes).
inline m32x4 bits_if(m32x4 m, std::uint32_t bits) {
  return {wasm_v128_and(m.v, wasm_i32x4_splat(static_cast<std::int32_t>(bits)))};
}
inline void store_u32(std::uint32_t* p, m32x4 a) { wasm_v128_store(p, a.v); }
/// One bit per lane (lane i -> bit i).
inline unsigned movemask(m32x4 a) { return wasm_i32x4_bitmask(a.v); }

/// Sum of products of 16 signed bytes, accumulated into four i32 lanes.
struct i32x4 {
  v128_t v;
};
inline i32x4 zero_i32() { return {wasm_i32x4_splat(0)}; }
/// Sixteen int8 values sign-extended to two vectors of eight int16.
struct i8x16w {
  v128_t lo, hi;
};
inline i8x16w widen_i8x16(const std::int8_t* p) {
  const v128_t x = wasm_v128_load(p);
  return {wasm_i16x8_extend_low_i8x16(x), wasm_i16x8_extend_high_i8x16(x)};
}
/// acc + the 16 products a_i * b_i summed pairwise into four int32 lanes.
inline i32x4 dot_i8x16w(i32x4 acc, i8x16w a, i8x16w b) {
  const v128_t lo = wasm_i32x4_dot_i16x8(a.lo, b.lo), hi = wasm_i32x4_dot_i16x8(a.hi, b.hi);
  return {wasm_i32x4_add(acc.v, wasm_i32x4_add(lo, hi))};
}
inline i32x4 dot_i8x16(i32x4 acc, const std::int8_t* a, const std::int8_t* b) {
  return dot_i8x16w(acc, widen_i8x16(a), widen_i8x16(b));
}
/// Adds 1 to each lane whose mask is set (mask lanes are all ones = -1).
inline i32x4 count_if(i32x4 acc, m32x4 m) { return {wasm_i32x4_sub(acc.v, m.v)}; }
inline void store_i32(std::int32_t* p, i32x4 a) { wasm_v128_store(p, a.v); }
/// Lanes whose 32 bits are not all zero.
inline m32x4 nonzero(m32x4 a) { return {wasm_i32x4_ne(a.v, wasm_i32x4_splat(0))}; }
inline std::int32_t hsum_i32(i32x4 a) {
  return wasm_i32x4_extract_lane(a.v, 0) + wasm_i32x4_extract_lane(a.v, 1) +
         wasm_i32x4_extract_lane(a.v, 2) + wasm_i32x4_extract_lane(a.v, 3);
}
/// out[j] = the sum of the lanes of aj, for four vectors at once.
inline void hsum4_i32(i32x4 a0, i32x4 a1, i32x4 a2, i32x4 a3, std::int32_t out[4]) {
  const v128_t u0 = wasm_i32x4_add(wasm_i32x4_shuffle(a0.v, a1.v, 0, 4, 1, 5),
                                   wasm_i32x4_shuffle(a0.v, a1.v, 2, 6, 3, 7));
  const v128_t u1 = wasm_i32x4_add(wasm_i32x4_shuffle(a2.v, a3.v, 0, 4, 1, 5),
                                   wasm_i32x4_shuffle(a2.v, a3.v, 2, 6, 3, 7));
  wasm_v128_store(out, wasm_i32x4_add(wasm_i32x4_shuffle(u0, u1, 0, 1, 4, 5),
                                      wasm_i32x4_shuffle(u0, u1, 2, 3, 6, 7)));
}
#elif ELEX_SIMD
inline constexpr const char* kName = "sse2";
struct f32x4 {
  __m128 v;
};
inline f32x4 load(const float* p) { return {_mm_loadu_ps(p)}; }
/// Transposes the 4 × 4 matrix whose rows are a, b, c, d.
inline void transpose4(f32x4& a, f32x4& b, f32x4& c, f32x4& d) {
  _MM_TRANSPOSE4_PS(a.v, b.v, c.v, d.v);
}
inline f32x4 zero() { return {_mm_setzero_ps()}; }
inline f32x4 add(f32x4 a, f32x4 b) { return {_mm_add_ps(a.v, b.v)}; }
inline f32x4 sub(f32x4 a, f32x4 b) { return {_mm_sub_ps(a.v, b.v)}; }
inline f32x4 mul(f32x4 a, f32x4 b) { return {_mm_mul_ps(a.v, b.v)}; }
inline f32x4 div(f32x4 a, f32x4 b) { return {_mm_div_ps(a.v, b.v)}; }
inline float hsum(f32x4 a) {
  __m128 hi = _mm_movehl_ps(a.v, a.v);
  __m128 s = _mm_add_ps(a.v, hi);
  return _mm_cvtss_f32(s) + _mm_cvtss_f32(_mm_shuffle_ps(s, s, 1));
}
struct m32x4 {
  __m128 v;
};
inline f32x4 splat(float x) { return {_mm_set1_ps(x)}; }
inline void store(float* p, f32x4 a) { _mm_storeu_ps(p, a.v); }
// minps/maxps return the second operand when either is NaN, like wasm pmin/pmax
// with swapped operands: min(a, b) = b < a ? b : a.
inline f32x4 min(f32x4 a, f32x4 b) { return {_mm_min_ps(b.v, a.v)}; }
inline f32x4 max(f32x4 a, f32x4 b) { return {_mm_max_ps(b.v, a.v)}; }
inline f32x4 abs(f32x4 a) { return {_mm_andnot_ps(_mm_set1_ps(-0.0f), a.v)}; }
inline m32x4 lt(f32x4 a, f32x4 b) { return {_mm_cmplt_ps(a.v, b.v)}; }
inline m32x4 gt(f32x4 a, f32x4 b) { return {_mm_cmpgt_ps(a.v, b.v)}; }
inline m32x4 le(f32x4 a, f32x4 b) { return {_mm_cmple_ps(a.v, b.v)}; }
inline m32x4 eq(f32x4 a, f32x4 b) { return {_mm_cmpeq_ps(a.v, b.v)}; }
inline m32x4 mand(m32x4 a, m32x4 b) { return {_mm_and_ps(a.v, b.v)}; }
inline m32x4 mor(m32x4 a, m32x4 b) { return {_mm_or_ps(a.v, b.v)}; }
inline m32x4 mnot(m32x4 a) { return {_mm_xor_ps(a.v, _mm_castsi128_ps(_mm_set1_epi32(-1)))}; }
inline f32x4 select(m32x4 m, f32x4 a, f32x4 b) {
  return {_mm_or_ps(_mm_and_ps(m.v, a.v), _mm_andnot_ps(m.v, b.v))};
}
inline f32x4 keep(m32x4 m, f32x4 a) { return {_mm_and_ps(m.v, a.v)}; }
inline m32x4 bits_if(m32x4 m, std::uint32_t bits) {
  return {_mm_and_ps(m.v, _mm_castsi128_ps(_mm_set1_epi32(static_cast<int>(bits))))};
}
inline void store_u32(std::uint32_t* p, m32x4 a) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm_castps_si128(a.v));
}
inline unsigned movemask(m32x4 a) { return static_cast<unsigned>(_mm_movemask_ps(a.v)); }

struct i32x4 {
  __m128i v;
};
inline i32x4 zero_i32() { return {_mm_setzero_si128()}; }
/// Sixteen int8 values sign-extended to two vectors of eight int16.
struct i8x16w {
  __m128i lo, hi;
};
inline i8x16w widen_i8x16(const std::int8_t* p) {
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  // Sign-extend bytes to 16 bits: put each byte in the high half, shift back.
  return {_mm_srai_epi16(_mm_unpacklo_epi8(x, x), 8), _mm_srai_epi16(_mm_unpackhi_epi8(x, x), 8)};
}
/// acc + the 16 products a_i * b_i summed pairwise into four int32 lanes.
inline i32x4 dot_i8x16w(i32x4 acc, i8x16w a, i8x16w b) {
  const __m128i s = _mm_add_epi32(_mm_madd_epi16(a.lo, b.lo), _mm_madd_epi16(a.hi, b.hi));
  return {_mm_add_epi32(acc.v, s)};
}
inline i32x4 dot_i8x16(i32x4 acc, const std::int8_t* a, const std::int8_t* b) {
  return dot_i8x16w(acc, widen_i8x16(a), widen_i8x16(b));
}
inline i32x4 count_if(i32x4 acc, m32x4 m) { return {_mm_sub_epi32(acc.v, _mm_castps_si128(m.v))}; }
inline void store_i32(std::int32_t* p, i32x4 a) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), a.v);
}
inline m32x4 nonzero(m32x4 a) {
  const __m128i z = _mm_cmpeq_epi32(_mm_castps_si128(a.v), _mm_setzero_si128());
  return {_mm_castsi128_ps(_mm_xor_si128(z, _mm_set1_epi32(-1)))};
}
inline std::int32_t hsum_i32(i32x4 a) {
  alignas(16) std::int32_t l[4];
  _mm_store_si128(reinterpret_cast<__m128i*>(l), a.v);
  return l[0] + l[1] + l[2] + l[3];
}
/// out[j] = the sum of the lanes of aj, for four vectors at once.
inline void hsum4_i32(i32x4 a0, i32x4 a1, i32x4 a2, i32x4 a3, std::int32_t out[4]) {
  const __m128i u0 = _mm_add_epi32(_mm_unpacklo_epi32(a0.v, a1.v), _mm_unpackhi_epi32(a0.v, a1.v));
  const __m128i u1 = _mm_add_epi32(_mm_unpacklo_epi32(a2.v, a3.v), _mm_unpackhi_epi32(a2.v, a3.v));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out),
                   _mm_add_epi32(_mm_unpacklo_epi64(u0, u1), _mm_unpackhi_epi64(u0, u1)));
}
#else
inline constexpr const char* kName = "scalar";
#endif

}  // namespace elex::simd

#endif  // ELEX_SIMD_H
