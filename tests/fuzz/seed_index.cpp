// Writes small valid index files as fuzz seeds: argv[1]/index-{f32,int8,int8f32,int8res4},
// and, given argv[2], an agent record: argv[2]/agent-record.
#include <cstdio>
#include <string>
#include <vector>

#include "elex/elex.h"

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  for (uint32_t quant = 0; quant <= 3; ++quant) {
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
    static const char* const kNames[] = {"/index-f32", "/index-int8", "/index-int8f32",
                                         "/index-int8res4"};
    const std::string path = std::string(argv[1]) + kNames[quant];
    FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) return 1;
    std::fwrite(out, 1, n, f);
    std::fclose(f);
    elex_free(out);
    elex_index_destroy(ix);
  }
  if (argc > 2) {
    elex_engine* e = nullptr;
    if (elex_engine_create(1, &e) != ELEX_OK) return 1;
    const elex_learning_config cfg{0.1, 0.95, 0.1, 0.01, 0.995, 8, 8, 2, 64, 3};
    if (elex_agents_configure(e, &cfg) != ELEX_OK) return 1;
    elex_decision out{};
    for (uint32_t i = 1; i <= 12; ++i) {
      const elex_decide_args ask{
          double(i), i > 1 ? double(i - 1) : 0, "FAJ 121 3094", 12, i % 6, i % 3, i % 16, i};
      if (elex_agent_decide(e, &ask, &out) != ELEX_OK) return 1;
      const double qid = i;
      const float r = i % 2 ? 0.5f : -0.25f;
      elex_feedback_result res{};
      if (i % 3 && elex_agent_feedback(e, "FAJ 121 3094", 12, &qid, &r, 1, &res) != ELEX_OK)
        return 1;
    }
    uint8_t* rec = nullptr;
    size_t n = 0;
    if (elex_agent_export(e, "FAJ 121 3094", 12, &rec, &n) != ELEX_OK) return 1;
    FILE* f = std::fopen((std::string(argv[2]) + "/agent-record").c_str(), "wb");
    if (f == nullptr) return 1;
    std::fwrite(rec, 1, n, f);
    std::fclose(f);
    elex_free(rec);
    elex_engine_destroy(e);
  }
  return 0;
}
