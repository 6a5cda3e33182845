// elex-cli's validate and monitor commands (tools/cli_ops.cpp): the C++
// validator and monitor over a loaded catalog, fed from JSON files as the
// browser's validate() and monitor() are fed from objects.
#ifndef ELEX_TOOLS_CLI_OPS_H
#define ELEX_TOOLS_CLI_OPS_H

#include <string>

#include "elex/core/json.h"
#include "elex/ran/catalog.h"

namespace elex::cli {

/// Writes `text` to stdout; the first write that fails keeps its errno
/// (write_error()), which a later fflush() no longer has: the output of a
/// command larger than stdout's buffer failed in an earlier write.
void put(const char* text);
inline void put(const std::string& text) { put(text.c_str()); }
/// The errno of the first failed put(), 0 if none failed.
[[nodiscard]] int write_error();

/// Validates the changes of `doc` (an array of {parameter, cell?, current,
/// proposed, at}, or {"changes": [...]}) in order; one JSON line each.
/// `record`: accepted changes count for later cooldowns (validate()'s
/// default). Returns 0, or prints "elex-cli: CODE: FILE: message" (`file`: the
/// changes file) and returns 1.
int validate(const catalog::Catalog& c, const json::Value& doc, const std::string& file,
             bool record);

/// Monitors the batches of `doc` ({cells, counters, periods, data, kpis?},
/// or an array of them, run in order with each cell's KPI history kept
/// between them, as one engine keeps it); one JSON line per batch and cell.
/// Errors as validate()'s, `file` the batch file.
int monitor(const catalog::Catalog& c, const json::Value& doc, const std::string& file,
            double z_threshold, unsigned min_history);

}  // namespace elex::cli

#endif  // ELEX_TOOLS_CLI_OPS_H
