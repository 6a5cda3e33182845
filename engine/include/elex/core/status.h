// elex/core/status.h — the one status enum of the engine and its C ABI.
//
// Every fallible engine function returns a Status (or a Result<T> holding
// one). Nothing throws or aborts across the C ABI: a failing call returns a
// non-zero code and leaves a human-readable message retrievable with
// elex_last_error() on the calling thread. The TypeScript side maps each
// code to a stable string code on ElexError (ts/core/errors.ts, from
// ts/generated/enums.ts: scripts/gen-enums.mjs); codes are never
// renumbered, only appended.
#ifndef ELEX_STATUS_H
#define ELEX_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

/// The engine's statuses: 0 is success, every other one is the ElexError
/// code of the same name.
/// @ts ENGINE_STATUS names=ELEX_E_
typedef enum elex_status {
  /// Success.
  ELEX_OK = 0,
  /// An argument is outside its documented domain (null pointer, zero
  /// dimension, unknown metric, count overflow...). Fix the call.
  ELEX_E_INVALID_ARGUMENT = 1,
  /// Two arrays that must share a dimension do not.
  ELEX_E_DIMENSION_MISMATCH = 2,
  /// An allocation failed: the module reached its maximum memory. Free
  /// something or lower the working-set size.
  ELEX_E_OUT_OF_MEMORY = 3,
  /// Bytes are not an ELEX container at all (wrong magic).
  ELEX_E_FOREIGN_DATA = 4,
  /// An ELEX container of a version or kind this build does not read.
  ELEX_E_UNSUPPORTED_VERSION = 5,
  /// An ELEX container whose structure or checksum is wrong (truncated,
  /// bit-flipped, sections out of bounds).
  ELEX_E_CORRUPT_DATA = 6,
  /// Threads were requested but the build or the page cannot start them.
  ELEX_E_THREADS_UNAVAILABLE = 7,
  /// A bug in ELEX: please report it with the message.
  ELEX_E_INTERNAL = 8,
  /// An id that must be new is already in the index (or twice in one batch).
  ELEX_E_DUPLICATE_ID = 9,
  /// The operation needs at least one (live) item, and there is none.
  ELEX_E_EMPTY_INDEX = 10,
  /// A named thing (a query id, an agent, a snapshot) is not known.
  ELEX_E_NOT_FOUND = 11,
  /// The call needs more memory than the budget allows, even after
  /// evicting cold state. Nothing was changed; the engine keeps serving.
  ELEX_E_BUDGET_EXCEEDED = 12,
} elex_status;

/// A stable, upper-case name for a status ("INVALID_ARGUMENT", ...).
const char* elex_status_name(int status);

#ifdef __cplusplus
}  // extern "C"

namespace elex {

using Status = elex_status;

/// Records `message` (printf-style) as the calling thread's last error and
/// returns `status`, so that failing paths read `return fail(ELEX_E_..., ...)`.
[[nodiscard]] Status fail(Status status, const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/// The calling thread's last error message ("" when none was recorded).
const char* last_error_message();

/// Clears the calling thread's last error message.
void clear_last_error();

}  // namespace elex
#endif  // __cplusplus

#endif  // ELEX_STATUS_H
