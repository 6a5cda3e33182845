// elex/kernels/batch.h — many-to-many distances, split across the thread pool.
//
// out[q * nv + v] = distance(metric, queries[q], vectors[v]) for every query
// q < nq and vector v < nv, with the distances of kernels.h. Work items are
// (query, block of kBlock vectors) pairs handed to the pool's threads; each
// item writes only its own outputs, so the result is bit-identical whatever
// the number of threads.
#ifndef ELEX_BATCH_H
#define ELEX_BATCH_H

#include <cstdint>

#include "elex/core/parallel.h"
#include "elex/core/status.h"
#include "elex/kernels/kernels.h"

namespace elex::batch {

/// Vectors per work item.
inline constexpr std::uint32_t kBlock = 256;

struct DistanceJob {
  Metric metric;
  const float* queries;  ///< nq x dim, row-major
  std::uint32_t nq;
  const float* vectors;  ///< nv x dim, row-major
  std::uint32_t nv;
  std::uint32_t dim;
  float* out;  ///< nq x nv
};

/// Runs `job` on `pool`. *threads_used (optional) receives how many distinct
/// threads computed at least one block.
[[nodiscard]] Status distances(ThreadPool& pool, const DistanceJob& job, unsigned* threads_used);

/// The same with the scalar reference kernels on the calling thread only.
[[nodiscard]] Status distances_reference(const DistanceJob& job);

}  // namespace elex::batch

#endif  // ELEX_BATCH_H
