// Shared helpers for the native tests: seeded data and the kernels' stated
// agreement bound.
#ifndef ELEX_TEST_UTIL_H
#define ELEX_TEST_UTIL_H

#include <cfloat>
#include <cmath>
#include <cstddef>
#include <random>
#include <vector>

namespace elex::test {

inline std::vector<float> random_vector(std::size_t n, std::mt19937& rng, float scale = 1.0f) {
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

/// 2 * gamma_n * S, the agreement bound stated in kernels.h, for n terms
/// whose absolute values sum to S.
inline double agreement_bound(std::size_t n, double abs_sum) {
  const double u = FLT_EPSILON / 2.0;
  const double k = static_cast<double>(n) + 2.0;  // + lane reduction steps
  const double gamma = k * u / (1.0 - k * u);
  return 2.0 * gamma * abs_sum + 1e-30;
}

}  // namespace elex::test

#endif
