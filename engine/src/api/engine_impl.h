// The engine object behind the C ABI, shared by the api*.cpp files.
#ifndef ELEX_ENGINE_IMPL_H
#define ELEX_ENGINE_IMPL_H

#include <cmath>
#include <cstddef>
#include <limits>

#include "elex/core/parallel.h"
#include "elex/core/status.h"
#include "elex/learn/agents.h"

struct elex_engine {
  explicit elex_engine(unsigned threads) : pool(threads) {}
  elex::ThreadPool pool;
  elex::learn::AgentStore agents;
};

namespace elex::detail {

/// Runs one C ABI body with the thread's last error cleared first.
template <class F>
int guarded(F&& f) {
  elex::clear_last_error();
  return static_cast<int>(f());
}

/// A count or byte size passed as a double (elex.h): a whole number from 0
/// to 2^53 that fits a size_t, else INVALID_ARGUMENT naming `what`.
inline elex::Status to_size(double d, const char* what, std::size_t* out) {
  constexpr double kMax = std::numeric_limits<std::size_t>::max() < 9007199254740992.0
                              ? double(std::numeric_limits<std::size_t>::max())
                              : 9007199254740992.0;
  if (!(d >= 0 && d <= kMax) || d != std::floor(d))
    return elex::fail(ELEX_E_INVALID_ARGUMENT, "%s %g is not a whole number of bytes or items",
                      what, d);
  *out = static_cast<std::size_t>(d);
  return ELEX_OK;
}

}  // namespace elex::detail

using elex::detail::guarded;
using elex::detail::to_size;

#endif  // ELEX_ENGINE_IMPL_H
