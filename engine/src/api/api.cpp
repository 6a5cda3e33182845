// The C ABI (see elex.h): argument checks, then the engine's modules.
#include "elex/elex.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <new>

#include "abi_layout.h"
#include "elex/core/format.h"
#include "elex/core/parallel.h"
#include "elex/index/hnsw.h"
#include "elex/kernels/batch.h"
#include "elex/kernels/kernels.h"
#include "elex/kernels/vectors.h"

#ifndef ELEX_VARIANT
#define ELEX_VARIANT "native"
#endif
#ifndef ELEX_VERSION
#define ELEX_VERSION "0.0.0"
#endif

#include "engine_impl.h"
#include "export.h"

extern "C" {

ELEX_EXPORT uint32_t elex_abi_version(void) { return ELEX_ABI_VERSION; }

ELEX_EXPORT const char* elex_last_error(void) { return elex::last_error_message(); }

ELEX_EXPORT void* elex_alloc(size_t bytes) { return std::malloc(bytes == 0 ? 1 : bytes); }

ELEX_EXPORT void elex_free(void* ptr) { std::free(ptr); }

ELEX_EXPORT int elex_engine_create(uint32_t threads, elex_engine** out) {
  return guarded([&] {
    if (out == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "engine output pointer is null");
    *out = nullptr;
    unsigned want = threads == 0 ? elex::ThreadPool::kMaxThreads : threads;
    if (!ELEX_THREADS) want = 1;
    auto* e = new (std::nothrow) elex_engine(want);
    if (e == nullptr) return elex::fail(ELEX_E_OUT_OF_MEMORY, "could not allocate the engine");
    *out = e;
    return ELEX_OK;
  });
}

ELEX_EXPORT void elex_engine_destroy(elex_engine* engine) { delete engine; }

ELEX_EXPORT uint32_t elex_engine_threads(const elex_engine* engine) {
  return engine ? engine->pool.size() : 1;
}

ELEX_EXPORT const char* elex_build_info(const elex_engine* engine) {
  static thread_local char buf[256];
  std::snprintf(buf, sizeof buf,
                "{\"abi\":%d,\"version\":\"%s\",\"variant\":\"%s\",\"kernel\":\"%s\","
                "\"threadsSupported\":%s,\"threads\":%u}",
                ELEX_ABI_VERSION, ELEX_VERSION, ELEX_VARIANT, elex::kernels::kernel_name(),
                ELEX_THREADS ? "true" : "false", elex_engine_threads(engine));
  return buf;
}

ELEX_EXPORT int elex_distance(int metric, const float* a, const float* b, uint32_t dim,
                              float* out) {
  return guarded([&] {
    if (!elex::valid_metric(metric))
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "unknown metric %d (0 = l2, 1 = ip, 2 = cosine)",
                        metric);
    if (a == nullptr || b == nullptr || out == nullptr)
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "null vector or output pointer");
    if (dim == 0 || dim > elex::vectors::kMaxDim)
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "dimension %u is outside 1..%u", dim,
                        elex::vectors::kMaxDim);
    *out = elex::kernels::distance_fn(static_cast<elex::Metric>(metric))(a, b, dim);
    return ELEX_OK;
  });
}

namespace {

elex::batch::DistanceJob distance_job(const elex_distance_batch_args& a) {
  return {static_cast<elex::Metric>(a.metric), a.queries, a.nq, a.vectors, a.nv, a.dim, a.out};
}

}  // namespace

ELEX_EXPORT int elex_distance_batch(elex_engine* engine, const elex_distance_batch_args* args,
                                    uint32_t* threads_used) {
  return guarded([&] {
    if (engine == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "engine is null");
    if (args == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "batch arguments are null");
    unsigned used = 0;
    const elex::Status s = elex::batch::distances(engine->pool, distance_job(*args), &used);
    if (threads_used) *threads_used = used;
    return s;
  });
}

ELEX_EXPORT int elex_distance_batch_reference(const elex_distance_batch_args* args) {
  return guarded([&] {
    if (args == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "batch arguments are null");
    return elex::batch::distances_reference(distance_job(*args));
  });
}

ELEX_EXPORT int elex_vectors_encode(const float* data, uint32_t count, uint32_t dim, uint8_t** out,
                                    size_t* out_size) {
  return guarded([&] {
    if (out == nullptr || out_size == nullptr)
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "null output pointer");
    return elex::vectors::encode(data, count, dim, out, out_size);
  });
}

ELEX_EXPORT int elex_vectors_decode(const uint8_t* bytes, size_t size, float** data,
                                    uint32_t* count, uint32_t* dim) {
  return guarded([&] { return elex::vectors::decode(bytes, size, data, count, dim); });
}

// -------------------------------------------------------------- container

ELEX_EXPORT uint32_t elex_crc32(const uint8_t* bytes, size_t size) {
  return bytes == nullptr ? 0 : elex::format::crc32(bytes, size);
}

namespace {

/// The container kinds a host may write or read through the ABI.
bool host_kind(uint32_t kind, elex::format::ContainerKind* out) {
  using elex::format::ContainerKind;
  if (kind < uint32_t(ContainerKind::VectorSet) || kind > uint32_t(ContainerKind::AgentSnapshot))
    return false;
  *out = ContainerKind(kind);
  return true;
}

}  // namespace

ELEX_EXPORT int elex_container_write(uint32_t kind, const uint8_t* blob, size_t blob_size,
                                     const elex_container_section* sections, uint32_t n,
                                     uint8_t** out, size_t* out_size) {
  return guarded([&] {
    using elex::format::SectionIn;
    elex::format::ContainerKind k;
    if (!host_kind(kind, &k))
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "unknown container kind %u", kind);
    if (out == nullptr || out_size == nullptr || (n > 0 && sections == nullptr))
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "null output or section list");
    if (n > elex::format::kMaxSections)
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "%u sections, at most %u", n,
                        elex::format::kMaxSections);
    auto* in = static_cast<SectionIn*>(std::malloc(sizeof(SectionIn) * (n > 0 ? n : 1)));
    if (in == nullptr) return elex::fail(ELEX_E_OUT_OF_MEMORY, "no memory for %u sections", n);
    for (uint32_t i = 0; i < n; ++i) {
      const double at = sections[i].offset, size = sections[i].size;
      if (!(at >= 0 && size >= 0 && at + size <= double(blob_size)) || std::floor(at) != at ||
          std::floor(size) != size || (size > 0 && blob == nullptr)) {
        std::free(in);
        return elex::fail(ELEX_E_INVALID_ARGUMENT,
                          "section %u (offset %g, %g bytes) is not inside the %zu-byte blob", i, at,
                          size, blob_size);
      }
      in[i] = SectionIn{sections[i].tag, size > 0 ? blob + size_t(at) : nullptr, size_t(size)};
    }
    const elex::Status s = elex::format::write(k, in, n, out, out_size);
    std::free(in);
    return s;
  });
}

ELEX_EXPORT int elex_container_read(const uint8_t* bytes, size_t size, uint32_t kind,
                                    elex_container_section* sections, uint32_t capacity,
                                    uint32_t* count) {
  return guarded([&] {
    elex::format::ContainerKind k;
    if (!host_kind(kind, &k))
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "unknown container kind %u", kind);
    if (count == nullptr || (capacity > 0 && sections == nullptr))
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "null output");
    *count = 0;
    elex::format::Reader r;
    if (elex::Status s = r.open(bytes, size, k); s != ELEX_OK) return s;
    if (r.count() > capacity)
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "the container holds %u sections, room for %u",
                        r.count(), capacity);
    for (unsigned i = 0; i < r.count(); ++i) {
      uint32_t tag = 0;
      size_t len = 0;
      const uint8_t* at = r.section_at(i, &tag, &len);
      sections[i] = elex_container_section{tag, 0, double(at - bytes), double(len)};
    }
    *count = r.count();
    return ELEX_OK;
  });
}

}  // extern "C"

// ------------------------------------------------------------------ index

struct elex_index {
  elex::hnsw::Index* ix;
};

extern "C" {

ELEX_EXPORT int elex_index_create(uint32_t dim, int metric, uint32_t M, uint32_t ef_construction,
                                  uint32_t quantization, uint32_t seed, elex_index** out) {
  return guarded([&] {
    if (out == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "index output pointer is null");
    if (!elex::valid_metric(metric))
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "unknown metric %d (0 = l2, 1 = ip, 2 = cosine)",
                        metric);
    elex::hnsw::Params p;
    p.dim = dim;
    p.metric = static_cast<elex::Metric>(metric);
    p.M = M;
    p.ef_construction = ef_construction;
    p.quantization = static_cast<elex::hnsw::Quantization>(quantization);
    p.seed = seed;
    elex::hnsw::Index* ix = nullptr;
    if (elex::Status s = elex::hnsw::Index::create(p, &ix); s != ELEX_OK) return s;
    auto* h = new (std::nothrow) elex_index{ix};
    if (h == nullptr) {
      delete ix;
      return elex::fail(ELEX_E_OUT_OF_MEMORY, "could not allocate an index handle");
    }
    *out = h;
    return ELEX_OK;
  });
}

ELEX_EXPORT void elex_index_destroy(elex_index* index) {
  if (index == nullptr) return;
  delete index->ix;
  delete index;
}

ELEX_EXPORT int elex_index_add(elex_engine* engine, elex_index* index, const uint32_t* ids,
                               uint32_t n, const float* vectors, size_t floats) {
  return guarded([&] {
    if (index == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "index is null");
    const std::uint32_t dim = index->ix->dim();
    if (floats != std::size_t(n) * dim)
      return elex::fail(ELEX_E_DIMENSION_MISMATCH,
                        "%zu floats are not %u vectors of dimension %u (expected %zu)", floats, n,
                        dim, std::size_t(n) * dim);
    return index->ix->add(ids, vectors, n, engine ? &engine->pool : nullptr);
  });
}

ELEX_EXPORT int elex_index_reserve(elex_index* index, uint32_t items) {
  return guarded([&] {
    if (index == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "index is null");
    return index->ix->reserve_items(items);
  });
}

ELEX_EXPORT int elex_index_add_bytes(const elex_index* index, uint32_t n, double* out) {
  return guarded([&] {
    if (index == nullptr || out == nullptr)
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "index or out is null");
    *out = double(index->ix->add_bytes(n));
    return elex::Status(ELEX_OK);
  });
}

ELEX_EXPORT int elex_index_search(elex_engine* engine, const elex_index* index,
                                  const elex_index_search_args* args) {
  return guarded([&] {
    if (index == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "index is null");
    if (args == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "search arguments are null");
    size_t floats = 0;
    if (elex::Status s = to_size(args->floats, "query floats", &floats); s != ELEX_OK) return s;
    const elex_index_search_args& a = *args;
    const std::uint32_t dim = index->ix->dim();
    if (floats % dim != 0)
      return elex::fail(ELEX_E_DIMENSION_MISMATCH,
                        "%zu query floats are not a whole number of %u-dimensional vectors", floats,
                        dim);
    return index->ix->search(a.queries, floats / dim, a.k, a.ef,
                             static_cast<elex::hnsw::ExactMode>(a.exact), a.out_ids, a.out_dist,
                             engine ? &engine->pool : nullptr, a.rerank);
  });
}

ELEX_EXPORT int elex_index_remove(elex_index* index, const uint32_t* ids, uint32_t n,
                                  uint32_t* removed) {
  return guarded([&] {
    if (index == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "index is null");
    std::size_t r = 0;
    const elex::Status s = index->ix->remove(ids, n, &r);
    if (removed) *removed = static_cast<uint32_t>(r);
    return s;
  });
}

ELEX_EXPORT int elex_index_stats(const elex_index* index, elex_index_stats_t* out) {
  return guarded([&] {
    if (index == nullptr || out == nullptr)
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "index or output is null");
    const elex::hnsw::Stats s = index->ix->stats();
    *out = elex_index_stats_t{double(s.bytes),
                              uint32_t(s.nodes),
                              uint32_t(s.live),
                              s.max_level,
                              uint32_t(s.dim),
                              uint32_t(s.M),
                              uint32_t(s.ef_construction),
                              uint32_t(static_cast<int>(s.metric)),
                              uint32_t(static_cast<unsigned>(s.quantization))};
    return ELEX_OK;
  });
}

ELEX_EXPORT int elex_index_serialize(const elex_index* index, uint8_t** out, size_t* out_size) {
  return guarded([&] {
    if (index == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "index is null");
    return index->ix->serialize(out, out_size);
  });
}

ELEX_EXPORT int elex_index_deserialize(const uint8_t* bytes, size_t size, elex_index** out) {
  return guarded([&] {
    if (out == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "index output pointer is null");
    elex::hnsw::Index* ix = nullptr;
    if (elex::Status s = elex::hnsw::Index::deserialize(bytes, size, &ix); s != ELEX_OK) return s;
    auto* h = new (std::nothrow) elex_index{ix};
    if (h == nullptr) {
      delete ix;
      return elex::fail(ELEX_E_OUT_OF_MEMORY, "could not allocate an index handle");
    }
    *out = h;
    return ELEX_OK;
  });
}

}  // extern "C"
