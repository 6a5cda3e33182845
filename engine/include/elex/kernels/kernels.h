// elex/kernels/kernels.h — distance kernels over f32 vectors.
//
// Each kernel has a scalar reference in elex::kernels::scalar, written as the
// plain sequential loop, and a vector twin in elex::kernels::vec written
// against elex::simd::f32x4 (compiled only where ELEX_SIMD is 1). The
// unqualified elex::kernels::* functions are the ones the engine uses: the
// vector twin where it exists, the scalar one otherwise, chosen at compile
// time. kernel_name() says which ("simd128", "sse2" or "scalar").
//
// Any dimension >= 0 is accepted; lengths that are not a multiple of 4 are
// finished with a scalar tail. Pointers need no particular alignment.
//
// Agreement: the twins sum in different orders. For n terms t_i with
// S = sum |t_i|, each result is within gamma_n * S of the exact sum
// (gamma_n = n*eps/(1-n*eps), eps = FLT_EPSILON/2), so the twins agree
// within tolerance(n, S) = 2 * gamma_n * S. tests/cpp/kernels_test.cpp
// checks exactly that bound, and both against a double-precision reference.
//
// Special values: NaN or Inf in an input propagate to the result as IEEE
// arithmetic says; the kernels never trap. Distances:
//   metric L2     -> squared Euclidean distance  sum (a_i - b_i)^2
//   metric IP     -> 1 - dot(a, b)   (hnswlib's inner-product distance)
//   metric COSINE -> 1 - dot(a, b) / (|a| |b|); if either vector has zero
//                    norm the similarity is defined as 0, distance 1.
#ifndef ELEX_KERNELS_H
#define ELEX_KERNELS_H

#include <cstddef>

#include "elex/kernels/simd.h"

namespace elex {

/// Distance metrics; values are part of the C ABI (elex.h).
/// @ts METRIC
enum class Metric : int {
  L2 = 0,            ///< `l2`: squared Euclidean distance.
  InnerProduct = 1,  ///< `ip`: 1 − dot product (meant for unit vectors).
  Cosine = 2,        ///< `cosine`: 1 − cosine similarity.
};

/// True if `m` names a Metric.
constexpr bool valid_metric(int m) { return m >= 0 && m <= 2; }

namespace kernels {

/// Three running sums of one pass over a and b.
struct DotNorms {
  float dot;
  float aa;
  float bb;
};

namespace scalar {
/// out[j] = dot(q, v[j], n) for four vectors at once (a scan's inner step).
void dot4(const float* q, const float* const v[4], std::size_t n, float out[4]);
/// out[j] = l2sq(q, v[j], n) for four vectors at once.
void l2sq4(const float* q, const float* const v[4], std::size_t n, float out[4]);
float dot(const float* a, const float* b, std::size_t n);
float l2sq(const float* a, const float* b, std::size_t n);
DotNorms dot_norms(const float* a, const float* b, std::size_t n);
/// out[i] = dot(q, v_i, n) for `count` vectors v_i = first + i * stride
/// bytes: a flat scan's block in one call (stride >= 4 n, a multiple of 4).
void dots(const float* q, const float* first, std::size_t stride, std::size_t count, std::size_t n,
          float* out);
/// out[h] = dots() of q and column h of `cols`, a count × n matrix stored
/// by dimension (cols[d * count + h]), bit for bit what dots() of its
/// columns as rows gives, but reading only the dimensions where q is not 0
/// (a sparse query against many vectors: the router's profiles). `acc`:
/// scratch of 8 × count floats.
void dots_by_dim(const float* q, const float* cols, std::size_t count, std::size_t n, float* out,
                 float* acc);
/// dots_by_dim() bit for bit, reading only the non-zero entries of `cols`:
/// column d's rows are rows[off[d] .. off[d + 1]), ascending, and their
/// values vals[off[d] .. off[d + 1]) (= cols[d * count + row], kept beside
/// the rows so that a sparse column is read in order, not a cache line per
/// entry); a product with a zero adds nothing: the accumulators start at
/// +0 and never become −0. For mostly-zero columns (the router's profiles:
/// 5-25% non-zero).
void dots_by_dim_sparse(const float* q, const float* cols, const std::uint32_t* off,
                        const std::uint32_t* rows, const float* vals, std::size_t count,
                        std::size_t n, float* out, float* acc);
}  // namespace scalar

#if ELEX_SIMD
namespace vec {
void dot4(const float* q, const float* const v[4], std::size_t n, float out[4]);
void l2sq4(const float* q, const float* const v[4], std::size_t n, float out[4]);
float dot(const float* a, const float* b, std::size_t n);
float l2sq(const float* a, const float* b, std::size_t n);
DotNorms dot_norms(const float* a, const float* b, std::size_t n);
void dots(const float* q, const float* first, std::size_t stride, std::size_t count, std::size_t n,
          float* out);
void dots_by_dim(const float* q, const float* cols, std::size_t count, std::size_t n, float* out,
                 float* acc);
void dots_by_dim_sparse(const float* q, const float* cols, const std::uint32_t* off,
                        const std::uint32_t* rows, const float* vals, std::size_t count,
                        std::size_t n, float* out, float* acc);
}  // namespace vec
namespace active = vec;
#else
namespace active = scalar;
#endif

inline float dot(const float* a, const float* b, std::size_t n) { return active::dot(a, b, n); }
inline void dot4(const float* q, const float* const v[4], std::size_t n, float out[4]) {
  active::dot4(q, v, n, out);
}
inline void l2sq4(const float* q, const float* const v[4], std::size_t n, float out[4]) {
  active::l2sq4(q, v, n, out);
}
inline float l2sq(const float* a, const float* b, std::size_t n) { return active::l2sq(a, b, n); }
inline void dots(const float* q, const float* first, std::size_t stride, std::size_t count,
                 std::size_t n, float* out) {
  active::dots(q, first, stride, count, n, out);
}
inline void dots_by_dim(const float* q, const float* cols, std::size_t count, std::size_t n,
                        float* out, float* acc) {
  active::dots_by_dim(q, cols, count, n, out, acc);
}
inline void dots_by_dim_sparse(const float* q, const float* cols, const std::uint32_t* off,
                               const std::uint32_t* rows, const float* vals, std::size_t count,
                               std::size_t n, float* out, float* acc) {
  active::dots_by_dim_sparse(q, cols, off, rows, vals, count, n, out, acc);
}
inline DotNorms dot_norms(const float* a, const float* b, std::size_t n) {
  return active::dot_norms(a, b, n);
}

/// Cosine distance from the three sums (zero-norm rule above).
float cosine_from(DotNorms s);

/// A distance function: smaller is closer.
using DistanceFn = float (*)(const float* a, const float* b, std::size_t n);

/// The engine's distance function for `metric`, chosen once (e.g. when an
/// index or batch is set up) and then called directly in the hot loop.
DistanceFn distance_fn(Metric metric);

/// The scalar reference distance function for `metric`.
DistanceFn scalar_distance_fn(Metric metric);

/// Which twin the unqualified kernels use: "simd128", "sse2" or "scalar".
constexpr const char* kernel_name() { return simd::kName; }

}  // namespace kernels
}  // namespace elex

#endif  // ELEX_KERNELS_H
