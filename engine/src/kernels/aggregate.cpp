// Counter aggregation (see aggregate.h).
#include "elex/kernels/aggregate.h"

#include <limits>

// No fused multiply-add: the twins must round alike (GCC in ISO mode never
// contracts; clang honours the pragma).
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

namespace elex::aggregate {

namespace {
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
}  // namespace

namespace scalar {

void column(const Input& in, std::size_t j, ColumnStats* out) {
  float count = 0, sum = 0, mn = kInf, mx = -kInf, over = 0, weighted = 0;
  const float thr = in.thresholds ? in.thresholds[j] : kNaN;
  for (std::size_t r = 0; r < in.rows; ++r) {
    const float x = in.data[r * in.row_stride + j];
    const bool valid = x == x;
    const float xv = valid ? x : 0.0f;
    sum = sum + xv;
    count = count + (valid ? 1.0f : 0.0f);
    const float lo = valid ? x : kInf, hi = valid ? x : -kInf;
    mn = lo < mn ? lo : mn;
    mx = hi > mx ? hi : mx;
    over = over + (x > thr ? 1.0f : 0.0f);
    if (in.weights) weighted = weighted + in.weights[r] * xv;
  }
  *out = ColumnStats{count, sum, mn, mx, count > 0 ? sum / count : kNaN, over, weighted};
}

void run(const Input& in, ColumnStats* out) {
  for (std::size_t j = 0; j < in.cols; ++j) column(in, j, out + j);
}

}  // namespace scalar

#if ELEX_SIMD
namespace vec {

void run(const Input& in, ColumnStats* out) {
  using namespace simd;
  const f32x4 inf = splat(kInf), ninf = splat(-kInf), one = splat(1.0f), z = simd::zero();
  std::size_t j = 0;
  for (; j + 4 <= in.cols; j += 4) {
    f32x4 count = z, sum = z, mn = inf, mx = ninf, over = z, weighted = z;
    const f32x4 thr = in.thresholds ? load(in.thresholds + j) : splat(kNaN);
    const float* p = in.data + j;
    for (std::size_t r = 0; r < in.rows; ++r, p += in.row_stride) {
      const f32x4 x = load(p);
      const m32x4 valid = eq(x, x);
      const f32x4 xv = select(valid, x, z);
      sum = add(sum, xv);
      count = add(count, select(valid, one, z));
      const f32x4 lo = select(valid, x, inf), hi = select(valid, x, ninf);
      mn = select(lt(lo, mn), lo, mn);
      mx = select(gt(hi, mx), hi, mx);
      over = add(over, select(gt(x, thr), one, z));
      if (in.weights) weighted = add(weighted, mul(splat(in.weights[r]), xv));
    }
    alignas(16) float c[4], s[4], lo[4], hi[4], o[4], w[4];
    store(c, count), store(s, sum), store(lo, mn), store(hi, mx), store(o, over),
        store(w, weighted);
    for (int k = 0; k < 4; ++k)
      out[j + k] = ColumnStats{c[k], s[k], lo[k], hi[k], c[k] > 0 ? s[k] / c[k] : kNaN, o[k], w[k]};
  }
  for (; j < in.cols; ++j) scalar::column(in, j, out + j);
}

}  // namespace vec
#endif

}  // namespace elex::aggregate
