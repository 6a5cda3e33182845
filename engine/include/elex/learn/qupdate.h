// elex/learn/qupdate.h — the batched Q-learning update kernel.
//
//   q[i] <- q[i] + alpha * (reward[i] + gamma * next_max[i] - q[i])
//
// over n independent entries (the Q-values being updated, their rewards and
// the best Q-value of each next state; 0 for terminal states). Both twins
// evaluate exactly that expression in that order with separate mul and add
// (no fused multiply-add), so they agree bit for bit. NaN in an input
// propagates to its own entry only.
#ifndef ELEX_QUPDATE_H
#define ELEX_QUPDATE_H

#include <cstddef>

#include "elex/kernels/simd.h"

namespace elex::qupdate {

namespace scalar {
void update(float* q, const float* reward, const float* next_max, std::size_t n, float alpha,
            float gamma);
}
#if ELEX_SIMD
namespace vec {
void update(float* q, const float* reward, const float* next_max, std::size_t n, float alpha,
            float gamma);
}
inline void update(float* q, const float* reward, const float* next_max, std::size_t n, float alpha,
                   float gamma) {
  vec::update(q, reward, next_max, n, alpha, gamma);
}
#else
inline void update(float* q, const float* reward, const float* next_max, std::size_t n, float alpha,
                   float gamma) {
  scalar::update(q, reward, next_max, n, alpha, gamma);
}
#endif

}  // namespace elex::qupdate

#endif  // ELEX_QUPDATE_H
