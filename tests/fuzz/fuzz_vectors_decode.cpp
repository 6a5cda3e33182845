// libFuzzer target: the C ABI entry that parses untrusted bytes. Any input
// must give a status (never a crash, leak or out-of-bounds read), and a
// successful decode must re-encode to bytes that decode to the same data.
#include <cstdlib>
#include <cstring>

#include "elex/elex.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  float* vecs = nullptr;
  uint32_t count = 0, dim = 0;
  const int s = elex_vectors_decode(data, size, &vecs, &count, &dim);
  if (s == ELEX_OK) {
    uint8_t* again = nullptr;
    size_t again_size = 0;
    if (elex_vectors_encode(vecs, count, dim, &again, &again_size) != ELEX_OK) std::abort();
    float* vecs2 = nullptr;
    uint32_t c2 = 0, d2 = 0;
    if (elex_vectors_decode(again, again_size, &vecs2, &c2, &d2) != ELEX_OK) std::abort();
    if (c2 != count || d2 != dim) std::abort();
    if (count && std::memcmp(vecs, vecs2, size_t(count) * dim * sizeof(float)) != 0) std::abort();
    elex_free(vecs2);
    elex_free(again);
  } else if (vecs != nullptr) {
    std::abort();  // failure must not hand out memory
  }
  elex_free(vecs);
  return 0;
}
