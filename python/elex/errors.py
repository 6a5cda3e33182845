"""ElexError: the one error type of the Python module, with the stable ``code``
strings of the TypeScript package (ts/core/errors.ts). Codes from the engine's status
enum (engine/include/elex/core/status.h) keep their names."""

from __future__ import annotations

#: The codes, in the order of ts/core/errors.ts (the first twelve are the engine's
#: statuses 1..12).
ERROR_CODES = (
    "INVALID_ARGUMENT",
    "DIMENSION_MISMATCH",
    "OUT_OF_MEMORY",
    "FOREIGN_DATA",
    "UNSUPPORTED_VERSION",
    "CORRUPT_DATA",
    "THREADS_UNAVAILABLE",
    "INTERNAL",
    "DUPLICATE_ID",
    "EMPTY_INDEX",
    "NOT_FOUND",
    "BUDGET_EXCEEDED",
    "UNSUPPORTED_VARIANT",
    "INIT_FAILED",
    "WORKER_CRASHED",
    "TIMEOUT",
    "ABORTED",
    "CLOSED",
    "PERSIST_UNAVAILABLE",
    "NOT_IN_BUILD",
)


class ElexError(Exception):
    """An ELEX failure. ``code`` is one of ERROR_CODES; ``problems`` (catalog
    checks only) lists ``{"path", "message"}`` dicts."""

    def __init__(self, code: str, message: str, problems: list | None = None):
        if code not in ERROR_CODES:
            code = "INTERNAL"
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.problems = problems or []

    def __reduce__(self):  # survives pickling between Dask workers and the client
        return (ElexError, (self.code, self.message, self.problems))
