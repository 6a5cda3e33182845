// The engine object behind the C ABI, shared by the api*.cpp files.
#ifndef ELEX_ENGINE_IMPL_H
#define ELEX_ENGINE_IMPL_H

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

}  // namespace elex::detail

using elex::detail::guarded;

#endif  // ELEX_ENGINE_IMPL_H
