// Writes small valid index files as fuzz seeds: argv[1]/index-{f32,int8}.
#include <cstdio>
#include <string>
#include <vector>

#include "elex/elex.h"

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  for (uint32_t quant = 0; quant <= 1; ++quant) {
    elex_index* ix = nullptr;
    if (elex_index_create(8, 2, 4, 20, quant, 1, &ix) != ELEX_OK) return 1;
    std::vector<float> v(40 * 8);
    std::vector<uint32_t> ids(40);
    for (size_t i = 0; i < v.size(); ++i) v[i] = float((i * 7919) % 97) / 97.0f - 0.5f;
    for (uint32_t i = 0; i < 40; ++i) ids[i] = i * 3;
    if (elex_index_add(nullptr, ix, ids.data(), 40, v.data(), v.size()) != ELEX_OK) return 1;
    uint32_t removed = 0;
    (void)elex_index_remove(ix, ids.data(), 3, &removed);
    uint8_t* out = nullptr;
    size_t n = 0;
    if (elex_index_serialize(ix, &out, &n) != ELEX_OK) return 1;
    const std::string path = std::string(argv[1]) + (quant ? "/index-int8" : "/index-f32");
    FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) return 1;
    std::fwrite(out, 1, n, f);
    std::fclose(f);
    elex_free(out);
    elex_index_destroy(ix);
  }
  return 0;
}
