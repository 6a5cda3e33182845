// libFuzzer target: agent records (elex_agent_import). Any input gives a
// status; an accepted agent must decide, take feedback and re-export
// without crashing, and its export must import again.
#include <cstdlib>

#include "elex/elex.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static elex_engine* engine = [] {
    elex_engine* e = nullptr;
    if (elex_engine_create(1, &e) != ELEX_OK) std::abort();
    return e;
  }();
  uint32_t replaced = 0;
  if (elex_agent_import(engine, data, size, 1, &replaced) != ELEX_OK) return 0;
  uint8_t* all = nullptr;
  size_t n = 0;
  uint32_t count = 0;
  if (elex_agents_export_all(engine, &all, &n, &count) != ELEX_OK || count != 1) std::abort();
  // The one resident agent: its code is in its record (after u32 version, u16 length).
  const uint8_t* rec = all + 4;
  const uint32_t len = uint32_t(rec[4]) | uint32_t(rec[5]) << 8;
  const char* code = reinterpret_cast<const char*>(rec + 6);
  elex_decision out{};
  const elex_decide_args ask{123456789, 0, code, len, 1, 1, 3, 7};
  if (elex_agent_decide(engine, &ask, &out) != ELEX_OK) std::abort();
  const double qid = 123456789;
  const float reward = 0.5f;
  elex_feedback_result res{};
  if (elex_agent_feedback(engine, code, len, &qid, &reward, 1, &res) != ELEX_OK) std::abort();
  if (elex_agent_drop(engine, code, len) != ELEX_OK) std::abort();
  if (elex_agent_import(engine, rec, n - 4, 1, &replaced) != ELEX_OK) std::abort();
  if (elex_agent_drop(engine, code, len) != ELEX_OK) std::abort();
  elex_free(all);
  return 0;
}
