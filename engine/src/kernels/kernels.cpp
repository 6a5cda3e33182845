// Distance kernels: scalar references and their f32x4 twins (see kernels.h).
#include "elex/kernels/kernels.h"

#include <algorithm>
#include <cmath>

namespace elex::kernels {

namespace scalar {

void dot4(const float* q, const float* const v[4], std::size_t n, float out[4]) {
  for (int j = 0; j < 4; ++j) out[j] = dot(q, v[j], n);
}

void l2sq4(const float* q, const float* const v[4], std::size_t n, float out[4]) {
  for (int j = 0; j < 4; ++j) out[j] = l2sq(q, v[j], n);
}

float dot(const float* a, const float* b, std::size_t n) {
  float s = 0.0f;
  for (std::size_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

float l2sq(const float* a, const float* b, std::size_t n) {
  float s = 0.0f;
  for (std::size_t i = 0; i < n; ++i) {
    const float d = a[i] - b[i];
    s += d * d;
  }
  return s;
}

void dots(const float* q, const float* first, std::size_t stride, std::size_t count, std::size_t n,
          float* out) {
  const auto* base = reinterpret_cast<const unsigned char*>(first);
  for (std::size_t i = 0; i < count; ++i)
    out[i] = dot(q, reinterpret_cast<const float*>(base + i * stride), n);
}

// dot() sums in order from 0: so does each column here (a 0 term adds
// nothing: the sum starts at +0 and can only become -0 by adding -0 to -0).
void dots_by_dim(const float* q, const float* cols, std::size_t count, std::size_t n, float* out,
                 float* /*acc*/) {
  std::fill(out, out + count, 0.0f);
  for (std::size_t d = 0; d < n; ++d) {
    if (q[d] == 0.0f) continue;
    const float x = q[d];
    const float* c = cols + d * count;
    for (std::size_t h = 0; h < count; ++h) out[h] += x * c[h];
  }
}

void dots_by_dim_sparse(const float* q, const float* /*cols*/, const std::uint32_t* off,
                        const std::uint32_t* rows, const float* vals, std::size_t count,
                        std::size_t n, float* out, float* /*acc*/) {
  std::fill(out, out + count, 0.0f);
  for (std::size_t d = 0; d < n; ++d) {
    if (q[d] == 0.0f) continue;
    const float x = q[d];
    for (std::uint32_t k = off[d]; k < off[d + 1]; ++k) out[rows[k]] += x * vals[k];
  }
}

DotNorms dot_norms(const float* a, const float* b, std::size_t n) {
  DotNorms r{0.0f, 0.0f, 0.0f};
  for (std::size_t i = 0; i < n; ++i) {
    r.dot += a[i] * b[i];
    r.aa += a[i] * a[i];
    r.bb += b[i] * b[i];
  }
  return r;
}

}  // namespace scalar

#if ELEX_SIMD
namespace vec {

using simd::add;
using simd::f32x4;
using simd::hsum;
using simd::load;
using simd::mul;
using simd::sub;

// Main loops keep several independent accumulators so the adds do not wait
// on each other, then one 4-wide step, then a scalar tail.

// One query chunk is loaded once and used against four vectors. Two
// accumulators per vector (eight chains, 8 floats per step): a 128-d vector
// is 16 dependent adds deep instead of 32, and each step loads the query
// twice for eight multiply-adds.
void dot4(const float* q, const float* const v[4], std::size_t n, float out[4]) {
  f32x4 s0 = simd::zero(), s1 = simd::zero(), s2 = simd::zero(), s3 = simd::zero();
  const float *v0 = v[0], *v1 = v[1], *v2 = v[2], *v3 = v[3];
  std::size_t i = 0;
  if (n >= 8) {
    f32x4 t0 = simd::zero(), t1 = simd::zero(), t2 = simd::zero(), t3 = simd::zero();
    for (; i + 8 <= n; i += 8) {
      const f32x4 x = load(q + i), y = load(q + i + 4);
      s0 = add(s0, mul(x, load(v0 + i)));
      t0 = add(t0, mul(y, load(v0 + i + 4)));
      s1 = add(s1, mul(x, load(v1 + i)));
      t1 = add(t1, mul(y, load(v1 + i + 4)));
      s2 = add(s2, mul(x, load(v2 + i)));
      t2 = add(t2, mul(y, load(v2 + i + 4)));
      s3 = add(s3, mul(x, load(v3 + i)));
      t3 = add(t3, mul(y, load(v3 + i + 4)));
    }
    s0 = add(s0, t0), s1 = add(s1, t1), s2 = add(s2, t2), s3 = add(s3, t3);
  }
  for (; i + 4 <= n; i += 4) {
    const f32x4 x = load(q + i);
    s0 = add(s0, mul(x, load(v0 + i)));
    s1 = add(s1, mul(x, load(v1 + i)));
    s2 = add(s2, mul(x, load(v2 + i)));
    s3 = add(s3, mul(x, load(v3 + i)));
  }
  out[0] = hsum(s0), out[1] = hsum(s1), out[2] = hsum(s2), out[3] = hsum(s3);
  for (; i < n; ++i) {
    out[0] += q[i] * v0[i];
    out[1] += q[i] * v1[i];
    out[2] += q[i] * v2[i];
    out[3] += q[i] * v3[i];
  }
}

// Every vector goes through dot4 (a short last group repeats its last
// vector), so a vector's value does not depend on where a block starts.
void dots(const float* q, const float* first, std::size_t stride, std::size_t count, std::size_t n,
          float* out) {
  const auto* base = reinterpret_cast<const unsigned char*>(first);
  auto at = [&](std::size_t i) { return reinterpret_cast<const float*>(base + i * stride); };
  std::size_t i = 0;
  for (; i + 4 <= count; i += 4) {
    const float* v[4] = {at(i), at(i + 1), at(i + 2), at(i + 3)};
    dot4(q, v, n, out + i);
  }
  if (i < count) {
    const std::size_t last = count - 1;
    const float* v[4] = {at(i), at(std::min(i + 1, last)), at(std::min(i + 2, last)), at(last)};
    float tail[4];
    dot4(q, v, n, tail);
    for (std::size_t j = 0; i + j < count; ++j) out[i + j] = tail[j];
  }
}

// dot4's sums, lane by lane: while 8 floats remain, lane l of its first
// accumulator takes the dimensions d = l mod 8 (l < 4) and of its second
// d = l + 4 mod 8, in order; the two are added; one 4-wide step may follow;
// hsum is (s0 + s2) + (s1 + s3); then a scalar tail. Here acc row r holds
// lane r's sum for every column, built a dimension at a time (only where q
// is not 0: such a term adds nothing to a sum that starts at +0), and the
// rest is done per column in dot4's order.
namespace {
/// dots_by_dim's last step: each column's lane sums (acc) and the tail
/// dimensions past the lanes, added in dots()' order.
void dots_by_dim_finish(const float* q, const float* cols, std::size_t count, std::size_t n,
                        float* out, const float* acc) {
  const std::size_t n8 = n >= 8 ? n / 8 * 8 : 0;
  const std::size_t n4 = n8 + (n - n8) / 4 * 4;
  std::size_t h = 0;
  if (n8 > 0 && n8 == n)  // no tail dimensions: four columns a step, the same adds lane-wise
    for (; h + 4 <= count; h += 4) {
      const float* a = acc + h;
      const f32x4 s0 = add(load(a), load(a + 4 * count));
      const f32x4 s1 = add(load(a + count), load(a + 5 * count));
      const f32x4 s2 = add(load(a + 2 * count), load(a + 6 * count));
      const f32x4 s3 = add(load(a + 3 * count), load(a + 7 * count));
      simd::store(out + h, add(add(s0, s2), add(s1, s3)));
    }
  for (; h < count; ++h) {
    float s[4];
    for (std::size_t l = 0; l < 4; ++l) s[l] = acc[l * count + h];
    if (n8 > 0) {
      for (std::size_t l = 0; l < 4; ++l) s[l] = s[l] + acc[(4 + l) * count + h];
      for (std::size_t d = n8; d < n4; ++d)
        if (q[d] != 0.0f) s[d % 4] = s[d % 4] + q[d] * cols[d * count + h];
    }
    float r = (s[0] + s[2]) + (s[1] + s[3]);
    for (std::size_t d = n4; d < n; ++d)
      if (q[d] != 0.0f) r += q[d] * cols[d * count + h];
    out[h] = r;
  }
}
}  // namespace

void dots_by_dim(const float* q, const float* cols, std::size_t count, std::size_t n, float* out,
                 float* acc) {
  const std::size_t n8 = n >= 8 ? n / 8 * 8 : 0;
  const std::size_t n4 = n8 + (n - n8) / 4 * 4;
  std::fill(acc, acc + 8 * count, 0.0f);
  const std::size_t lanes_end = n8 > 0 ? n8 : n4;
  for (std::size_t d = 0; d < lanes_end; ++d) {
    if (q[d] == 0.0f) continue;
    const f32x4 x = simd::splat(q[d]);
    const float* c = cols + d * count;
    float* a = acc + (n8 > 0 ? d % 8 : d % 4) * count;
    std::size_t h = 0;
    for (; h + 4 <= count; h += 4) simd::store(a + h, add(load(a + h), mul(x, load(c + h))));
    for (; h < count; ++h) a[h] = a[h] + q[d] * c[h];
  }
  dots_by_dim_finish(q, cols, count, n, out, acc);
}

void dots_by_dim_sparse(const float* q, const float* cols, const std::uint32_t* off,
                        const std::uint32_t* rows, const float* vals, std::size_t count,
                        std::size_t n, float* out, float* acc) {
  // The lanes of dots_by_dim(), each adding only its non-zero products (in
  // the same order); the tail dimensions as there.
  const std::size_t n8 = n >= 8 ? n / 8 * 8 : 0;
  const std::size_t n4 = n8 + (n - n8) / 4 * 4;
  std::fill(acc, acc + 8 * count, 0.0f);
  const std::size_t lanes_end = n8 > 0 ? n8 : n4;
  for (std::size_t d = 0; d < lanes_end; ++d) {
    if (q[d] == 0.0f) continue;
    const float x = q[d];
    const float* c = cols + d * count;
    float* a = acc + (n8 > 0 ? d % 8 : d % 4) * count;
    if (std::size_t(off[d + 1] - off[d]) * 4 > count) {
      // A column over a quarter full: all of it, four a step (the zeros add nothing).
      const f32x4 xs = simd::splat(x);
      std::size_t h = 0;
      for (; h + 4 <= count; h += 4) simd::store(a + h, add(load(a + h), mul(xs, load(c + h))));
      for (; h < count; ++h) a[h] = a[h] + x * c[h];
      continue;
    }
    for (std::uint32_t k = off[d]; k < off[d + 1]; ++k) {
      const std::uint32_t h = rows[k];
      a[h] = a[h] + x * vals[k];
    }
  }
  dots_by_dim_finish(q, cols, count, n, out, acc);
}

namespace {
/// acc + (a - b)^2, lane-wise.
inline f32x4 add_sq_diff(f32x4 acc, f32x4 a, const float* b) {
  const f32x4 d = sub(a, load(b));
  return add(acc, mul(d, d));
}
inline f32x4 add_sq_diff(f32x4 acc, const float* a, const float* b) {
  return add_sq_diff(acc, load(a), b);
}
}  // namespace

// As dot4: two accumulators per vector while 8 floats remain.
void l2sq4(const float* q, const float* const v[4], std::size_t n, float out[4]) {
  f32x4 s0 = simd::zero(), s1 = simd::zero(), s2 = simd::zero(), s3 = simd::zero();
  const float *v0 = v[0], *v1 = v[1], *v2 = v[2], *v3 = v[3];
  std::size_t i = 0;
  if (n >= 8) {
    f32x4 t0 = simd::zero(), t1 = simd::zero(), t2 = simd::zero(), t3 = simd::zero();
    for (; i + 8 <= n; i += 8) {
      const f32x4 x = load(q + i), y = load(q + i + 4);
      s0 = add_sq_diff(s0, x, v0 + i);
      t0 = add_sq_diff(t0, y, v0 + i + 4);
      s1 = add_sq_diff(s1, x, v1 + i);
      t1 = add_sq_diff(t1, y, v1 + i + 4);
      s2 = add_sq_diff(s2, x, v2 + i);
      t2 = add_sq_diff(t2, y, v2 + i + 4);
      s3 = add_sq_diff(s3, x, v3 + i);
      t3 = add_sq_diff(t3, y, v3 + i + 4);
    }
    s0 = add(s0, t0), s1 = add(s1, t1), s2 = add(s2, t2), s3 = add(s3, t3);
  }
  for (; i + 4 <= n; i += 4) {
    const f32x4 x = load(q + i);
    s0 = add_sq_diff(s0, x, v0 + i);
    s1 = add_sq_diff(s1, x, v1 + i);
    s2 = add_sq_diff(s2, x, v2 + i);
    s3 = add_sq_diff(s3, x, v3 + i);
  }
  out[0] = hsum(s0), out[1] = hsum(s1), out[2] = hsum(s2), out[3] = hsum(s3);
  for (; i < n; ++i) {
    const float e0 = q[i] - v0[i], e1 = q[i] - v1[i], e2 = q[i] - v2[i], e3 = q[i] - v3[i];
    out[0] += e0 * e0, out[1] += e1 * e1, out[2] += e2 * e2, out[3] += e3 * e3;
  }
}

// dot and l2sq: eight accumulators over 32 floats per step while 32 remain
// (a 128-d vector is four steps deep instead of eight: the adds of one
// vector wait less on each other), then four over 16, then 4-wide, then a
// scalar tail.
float dot(const float* a, const float* b, std::size_t n) {
  f32x4 s0 = simd::zero(), s1 = simd::zero(), s2 = simd::zero(), s3 = simd::zero();
  std::size_t i = 0;
  if (n >= 32) {
    f32x4 s4 = simd::zero(), s5 = simd::zero(), s6 = simd::zero(), s7 = simd::zero();
    for (; i + 32 <= n; i += 32) {
      s0 = add(s0, mul(load(a + i), load(b + i)));
      s1 = add(s1, mul(load(a + i + 4), load(b + i + 4)));
      s2 = add(s2, mul(load(a + i + 8), load(b + i + 8)));
      s3 = add(s3, mul(load(a + i + 12), load(b + i + 12)));
      s4 = add(s4, mul(load(a + i + 16), load(b + i + 16)));
      s5 = add(s5, mul(load(a + i + 20), load(b + i + 20)));
      s6 = add(s6, mul(load(a + i + 24), load(b + i + 24)));
      s7 = add(s7, mul(load(a + i + 28), load(b + i + 28)));
    }
    s0 = add(s0, s4), s1 = add(s1, s5), s2 = add(s2, s6), s3 = add(s3, s7);
  }
  for (; i + 16 <= n; i += 16) {
    s0 = add(s0, mul(load(a + i), load(b + i)));
    s1 = add(s1, mul(load(a + i + 4), load(b + i + 4)));
    s2 = add(s2, mul(load(a + i + 8), load(b + i + 8)));
    s3 = add(s3, mul(load(a + i + 12), load(b + i + 12)));
  }
  for (; i + 4 <= n; i += 4) s0 = add(s0, mul(load(a + i), load(b + i)));
  float s = hsum(add(add(s0, s1), add(s2, s3)));
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

float l2sq(const float* a, const float* b, std::size_t n) {
  f32x4 s0 = simd::zero(), s1 = simd::zero(), s2 = simd::zero(), s3 = simd::zero();
  std::size_t i = 0;
  if (n >= 32) {
    f32x4 s4 = simd::zero(), s5 = simd::zero(), s6 = simd::zero(), s7 = simd::zero();
    for (; i + 32 <= n; i += 32) {
      s0 = add_sq_diff(s0, a + i, b + i);
      s1 = add_sq_diff(s1, a + i + 4, b + i + 4);
      s2 = add_sq_diff(s2, a + i + 8, b + i + 8);
      s3 = add_sq_diff(s3, a + i + 12, b + i + 12);
      s4 = add_sq_diff(s4, a + i + 16, b + i + 16);
      s5 = add_sq_diff(s5, a + i + 20, b + i + 20);
      s6 = add_sq_diff(s6, a + i + 24, b + i + 24);
      s7 = add_sq_diff(s7, a + i + 28, b + i + 28);
    }
    s0 = add(s0, s4), s1 = add(s1, s5), s2 = add(s2, s6), s3 = add(s3, s7);
  }
  for (; i + 16 <= n; i += 16) {
    s0 = add_sq_diff(s0, a + i, b + i);
    s1 = add_sq_diff(s1, a + i + 4, b + i + 4);
    s2 = add_sq_diff(s2, a + i + 8, b + i + 8);
    s3 = add_sq_diff(s3, a + i + 12, b + i + 12);
  }
  for (; i + 4 <= n; i += 4) s0 = add_sq_diff(s0, a + i, b + i);
  float s = hsum(add(add(s0, s1), add(s2, s3)));
  for (; i < n; ++i) {
    const float d = a[i] - b[i];
    s += d * d;
  }
  return s;
}

DotNorms dot_norms(const float* a, const float* b, std::size_t n) {
  f32x4 d0 = simd::zero(), d1 = simd::zero();
  f32x4 a0 = simd::zero(), a1 = simd::zero();
  f32x4 b0 = simd::zero(), b1 = simd::zero();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const f32x4 x0 = load(a + i), y0 = load(b + i);
    const f32x4 x1 = load(a + i + 4), y1 = load(b + i + 4);
    d0 = add(d0, mul(x0, y0));
    d1 = add(d1, mul(x1, y1));
    a0 = add(a0, mul(x0, x0));
    a1 = add(a1, mul(x1, x1));
    b0 = add(b0, mul(y0, y0));
    b1 = add(b1, mul(y1, y1));
  }
  for (; i + 4 <= n; i += 4) {
    const f32x4 x = load(a + i), y = load(b + i);
    d0 = add(d0, mul(x, y));
    a0 = add(a0, mul(x, x));
    b0 = add(b0, mul(y, y));
  }
  DotNorms r{hsum(add(d0, d1)), hsum(add(a0, a1)), hsum(add(b0, b1))};
  for (; i < n; ++i) {
    r.dot += a[i] * b[i];
    r.aa += a[i] * a[i];
    r.bb += b[i] * b[i];
  }
  return r;
}

}  // namespace vec
#endif  // ELEX_SIMD

float cosine_from(DotNorms s) {
  if (s.aa == 0.0f || s.bb == 0.0f) return 1.0f;
  return 1.0f - s.dot / std::sqrt(s.aa * s.bb);
}

namespace {

template <DotNorms (*DN)(const float*, const float*, std::size_t)>
float cosine_distance(const float* a, const float* b, std::size_t n) {
  return cosine_from(DN(a, b, n));
}

template <float (*D)(const float*, const float*, std::size_t)>
float ip_distance(const float* a, const float* b, std::size_t n) {
  return 1.0f - D(a, b, n);
}

template <float (*Dot)(const float*, const float*, std::size_t),
          float (*L2)(const float*, const float*, std::size_t),
          DotNorms (*DN)(const float*, const float*, std::size_t)>
DistanceFn pick(Metric metric) {
  switch (metric) {
    case Metric::L2:
      return L2;
    case Metric::InnerProduct:
      return &ip_distance<Dot>;
    case Metric::Cosine:
      return &cosine_distance<DN>;
  }
  return nullptr;
}

}  // namespace

DistanceFn distance_fn(Metric metric) {
  return pick<active::dot, active::l2sq, active::dot_norms>(metric);
}

DistanceFn scalar_distance_fn(Metric metric) {
  return pick<scalar::dot, scalar::l2sq, scalar::dot_norms>(metric);
}

}  // namespace elex::kernels
