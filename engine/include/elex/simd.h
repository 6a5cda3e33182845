// elex/simd.h — a four-lane f32 vector type, the only place that names
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
/// Sum of the four lanes in the fixed order (l0 + l2) + (l1 + l3).
inline float hsum(f32x4 a) {
  v128_t hi = wasm_i32x4_shuffle(a.v, a.v, 2, 3, 0, 1);
  v128_t s = wasm_f32x4_add(a.v, hi);
  return wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 1);
}
#elif ELEX_SIMD
inline constexpr const char* kName = "sse2";
struct f32x4 {
  __m128 v;
};
inline f32x4 load(const float* p) { return {_mm_loadu_ps(p)}; }
inline f32x4 zero() { return {_mm_setzero_ps()}; }
inline f32x4 add(f32x4 a, f32x4 b) { return {_mm_add_ps(a.v, b.v)}; }
inline f32x4 sub(f32x4 a, f32x4 b) { return {_mm_sub_ps(a.v, b.v)}; }
inline f32x4 mul(f32x4 a, f32x4 b) { return {_mm_mul_ps(a.v, b.v)}; }
inline float hsum(f32x4 a) {
  __m128 hi = _mm_movehl_ps(a.v, a.v);
  __m128 s = _mm_add_ps(a.v, hi);
  return _mm_cvtss_f32(s) + _mm_cvtss_f32(_mm_shuffle_ps(s, s, 1));
}
#else
inline constexpr const char* kName = "scalar";
#endif

}  // namespace elex::simd

#endif  // ELEX_SIMD_H
