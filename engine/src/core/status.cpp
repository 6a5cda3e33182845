// Status names and the per-thread last-error message (see status.h).
#include "elex/core/status.h"

#include <cstdarg>
#include <cstdio>

namespace {
thread_local char g_message[4096] = {0};
}

extern "C" const char* elex_status_name(int status) {
  switch (status) {
    case ELEX_OK:
      return "OK";
    case ELEX_E_INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case ELEX_E_DIMENSION_MISMATCH:
      return "DIMENSION_MISMATCH";
    case ELEX_E_OUT_OF_MEMORY:
      return "OUT_OF_MEMORY";
    case ELEX_E_FOREIGN_DATA:
      return "FOREIGN_DATA";
    case ELEX_E_UNSUPPORTED_VERSION:
      return "UNSUPPORTED_VERSION";
    case ELEX_E_CORRUPT_DATA:
      return "CORRUPT_DATA";
    case ELEX_E_THREADS_UNAVAILABLE:
      return "THREADS_UNAVAILABLE";
    case ELEX_E_INTERNAL:
      return "INTERNAL";
    case ELEX_E_DUPLICATE_ID:
      return "DUPLICATE_ID";
    case ELEX_E_EMPTY_INDEX:
      return "EMPTY_INDEX";
    case ELEX_E_NOT_FOUND:
      return "NOT_FOUND";
    case ELEX_E_BUDGET_EXCEEDED:
      return "BUDGET_EXCEEDED";
    default:
      return "UNKNOWN";
  }
}

namespace elex {

Status fail(Status status, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(g_message, sizeof g_message, fmt, args);
  va_end(args);
  return status;
}

const char* last_error_message() { return g_message; }

void clear_last_error() { g_message[0] = '\0'; }

}  // namespace elex
