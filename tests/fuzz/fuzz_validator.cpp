// libFuzzer target: the validator (validator.h) over hostile tables and
// changes: raw doubles (NaN, ±Inf, denormals), any indexes and
// cell ids, every flag. Any input gives a status; on success the verdicts
// follow the reasons and the tally adds up; a refused batch records nothing.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "elex/ran/validator.h"

namespace {

struct Reader {
  const uint8_t* p;
  size_t n;
  template <class T>
  T take() {
    T v{};
    const size_t k = n < sizeof(T) ? n : sizeof(T);
    std::memcpy(&v, p, k);
    p += k;
    n -= k;
    return v;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace elex::validate;
  Reader r{data, size};
  const uint32_t count = r.take<uint8_t>() % 40;
  std::vector<uint8_t> kinds(count);
  std::vector<double> bounds(5 * std::size_t(count));
  std::vector<double> cool(count);
  for (auto& k : kinds) k = r.take<uint8_t>() % 6;  // 5: not a kind
  for (auto& b : bounds) b = r.take<double>();
  for (auto& c : cool) c = r.take<double>();
  Validator v;
  if (v.init(count, kinds.data(), bounds.data(), cool.data()) != ELEX_OK) return 0;
  for (int round = 0; round < 2 && r.n > 0; ++round) {
    const uint8_t flags = r.take<uint8_t>() & 3;
    const bool one_time = r.n > 0 && (r.take<uint8_t>() & 1);
    const size_t n = r.take<uint8_t>();
    std::vector<int32_t> params(n), cells(n);
    std::vector<double> cur(n), pro(n), at(n);
    std::vector<uint16_t> reasons(n);
    for (size_t i = 0; i < n; ++i) {
      params[i] = int32_t(r.take<int8_t>());
      cur[i] = r.take<double>();
      pro[i] = r.take<double>();
      at[i] = r.take<double>();
      cells[i] = int32_t(r.take<int16_t>());
      reasons[i] = r.take<uint8_t>();
    }
    const size_t before = v.cooldowns().size();
    std::vector<uint8_t> verdicts(n);
    Tally t{};
    const Changes c{params.data(),
                    cur.data(),
                    pro.data(),
                    one_time ? nullptr : at.data(),
                    one_time ? at.empty() ? 0.0 : at[0] : 0.0,
                    cells.data(),
                    n};
    const elex::Status s = v.run(c, flags, reasons.data(), verdicts.data(), &t);
    if (s != ELEX_OK) {
      if (s != ELEX_E_INVALID_ARGUMENT || v.cooldowns().size() != before) std::abort();
      continue;
    }
    if (size_t(t.ok) + t.warn + t.reject != n) std::abort();
    for (size_t i = 0; i < n; ++i) {
      const uint8_t want = (reasons[i] & kRejectReasons) ? 2 : reasons[i] ? 1 : 0;
      if (verdicts[i] != want) std::abort();
      if (reasons[i] >> 8) std::abort();  // eight reasons, no other bit
    }
    if (v.cooldowns().size() > before + n) std::abort();
  }
  return 0;
}
