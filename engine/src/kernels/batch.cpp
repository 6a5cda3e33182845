// Many-to-many distances (see batch.h).
#include "elex/kernels/batch.h"

#include "elex/kernels/vectors.h"

namespace elex::batch {

namespace {

Status check(const DistanceJob& job) {
  if (!valid_metric(static_cast<int>(job.metric)))
    return fail(ELEX_E_INVALID_ARGUMENT, "unknown metric %d (0 = l2, 1 = ip, 2 = cosine)",
                static_cast<int>(job.metric));
  if (job.dim == 0 || job.dim > vectors::kMaxDim)
    return fail(ELEX_E_INVALID_ARGUMENT, "dimension %u is outside 1..%u", job.dim,
                vectors::kMaxDim);
  if ((job.nq > 0 && job.queries == nullptr) || (job.nv > 0 && job.vectors == nullptr) ||
      (std::uint64_t(job.nq) * job.nv > 0 && job.out == nullptr))
    return fail(ELEX_E_INVALID_ARGUMENT, "null query, vector or output array");
  return ELEX_OK;
}

void run_items(const DistanceJob& job, kernels::DistanceFn fn, std::uint32_t blocks,
               std::size_t begin, std::size_t end) {
  const std::size_t dim = job.dim;
  for (std::size_t item = begin; item < end; ++item) {
    const std::size_t q = item / blocks;
    const std::size_t v0 = (item % blocks) * kBlock;
    const std::size_t v1 = v0 + kBlock < job.nv ? v0 + kBlock : job.nv;
    const float* qv = job.queries + q * dim;
    float* out = job.out + q * std::size_t(job.nv);
    for (std::size_t v = v0; v < v1; ++v) out[v] = fn(qv, job.vectors + v * dim, dim);
  }
}

}  // namespace

Status distances(ThreadPool& pool, const DistanceJob& job, unsigned* threads_used) {
  if (threads_used) *threads_used = 0;
  if (Status s = check(job); s != ELEX_OK) return s;
  if (job.nq == 0 || job.nv == 0) return ELEX_OK;
  const kernels::DistanceFn fn = kernels::distance_fn(job.metric);
  const std::uint32_t blocks = (job.nv + kBlock - 1) / kBlock;
  const std::size_t items = std::size_t(job.nq) * blocks;
  // Aim for ~8 chunks per thread so a slow thread does not hold the others.
  std::size_t grain = items / (std::size_t(pool.size()) * 8);
  if (grain == 0) grain = 1;
  const unsigned used = pool.parallel_for(
      items, grain, [&](std::size_t b, std::size_t e) { run_items(job, fn, blocks, b, e); });
  if (threads_used) *threads_used = used;
  return ELEX_OK;
}

Status distances_reference(const DistanceJob& job) {
  if (Status s = check(job); s != ELEX_OK) return s;
  const kernels::DistanceFn fn = kernels::scalar_distance_fn(job.metric);
  const std::size_t dim = job.dim;
  for (std::size_t q = 0; q < job.nq; ++q)
    for (std::size_t v = 0; v < job.nv; ++v)
      job.out[q * job.nv + v] = fn(job.queries + q * dim, job.vectors + v * dim, dim);
  return ELEX_OK;
}

}  // namespace elex::batch
