// libFuzzer target: HNSW index bytes (elex_index_deserialize). Any input
// gives a status; an accepted index must answer a search without crashing.
#include <cstdlib>
#include <vector>

#include "elex/elex.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  elex_index* ix = nullptr;
  if (elex_index_deserialize(data, size, &ix) != ELEX_OK) {
    if (ix != nullptr) std::abort();
    return 0;
  }
  elex_index_stats_t st{};
  if (elex_index_stats(ix, &st) != ELEX_OK) std::abort();
  const auto dim = static_cast<size_t>(st.dim);
  if (st.live >= 1 && dim <= 4096) {
    std::vector<float> q(dim, 0.5f);
    uint32_t ids[2];
    float dist[2];
    for (uint32_t exact = 0; exact <= 2; ++exact)
      for (uint32_t rerank : {0u, 1u, 5u}) {
        const elex_index_search_args args{double(dim), q.data(), ids, dist, 2, 8, exact, rerank, 0};
        (void)elex_index_search(nullptr, ix, &args);
      }
  }
  uint8_t* out = nullptr;
  size_t n = 0;
  if (elex_index_serialize(ix, &out, &n) != ELEX_OK) std::abort();
  elex_free(out);
  elex_index_destroy(ix);
  return 0;
}
