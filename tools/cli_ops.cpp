// elex-cli validate and monitor: the validator (validator.h) and the monitor
// (monitor.h, formula.h) with the tables ts/host/ran-ops.ts and ts/host/ran-host.ts
// build from a catalog.
#include "cli_ops.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "elex/ran/formula.h"
#include "elex/ran/monitor.h"
#include "elex/ran/validator.h"

namespace elex::cli {

namespace {
int g_write_error = 0;
}  // namespace

void put(const char* text) {
  errno = 0;
  if (std::fputs(text, stdout) == EOF && g_write_error == 0) g_write_error = errno ? errno : EIO;
}

int write_error() { return g_write_error; }

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// "elex-cli: CODE: FILE: message" on stderr (the changes or batch file the error is in); 1.
int error(const std::string& file, Status st, const std::string& msg) {
  std::fprintf(stderr, "elex-cli: %s: %s: %s\n", elex_status_name(st), file.c_str(), msg.c_str());
  return 1;
}

const char* const kReasons[] = {"UNKNOWN_PARAMETER",      "WRONG_TYPE",       "NOT_FINITE",
                                "OUTSIDE_ABSOLUTE_RANGE", "CHANGE_TOO_LARGE", "COOLDOWN",
                                "OUTSIDE_SAFE_RANGE",     "NO_BOUNDS"};
const char* const kVerdicts[] = {"ok", "warn", "reject"};

const json::Value* list_in(const json::Value& doc, const char* key) {
  if (doc.is_array()) return &doc;
  const json::Value* v = doc.find(key);
  return v && v->is_array() ? v : nullptr;
}

}  // namespace

int validate(const catalog::Catalog& c, const json::Value& doc, const std::string& file,
             bool record) {
  namespace v = elex::validate;
  const json::Value* changes = list_in(doc, "changes");
  if (!changes)
    return error(file, ELEX_E_INVALID_ARGUMENT,
                 "validate takes an array of changes or {\"changes\": [...]}");
  // The parameter table of ts/host/ran-ops.ts paramTable().
  const std::size_t n = c.parameters.size();
  std::vector<std::uint8_t> kinds(n);
  std::vector<double> bounds(5 * n, kNaN);
  std::vector<double> cooldown_ms(n, kNaN);
  for (std::size_t i = 0; i < n; ++i) {
    const catalog::Parameter& p = c.parameters[i];
    using T = catalog::ParamType;
    const T type = p.type == T::kUnset ? (p.has_values ? T::kEnum : T::kFloat) : p.type;
    kinds[i] = type == T::kInt      ? v::kInt
               : type == T::kEnum   ? v::kEnum
               : type == T::kBool   ? v::kBool
               : type == T::kString ? v::kString
                                    : v::kNumber;
    if (p.has_range) bounds[i] = p.range_min, bounds[n + i] = p.range_max;
    if (!std::isnan(p.safe_min)) bounds[2 * n + i] = p.safe_min;
    if (!std::isnan(p.safe_max)) bounds[3 * n + i] = p.safe_max;
    if (!std::isnan(p.max_change)) bounds[4 * n + i] = p.max_change;
    if (!std::isnan(p.cooldown_s)) cooldown_ms[i] = p.cooldown_s * 1000;
  }
  v::Validator validator;
  if (Status st = validator.init(std::uint32_t(n), kinds.data(), bounds.data(), cooldown_ms.data());
      st != ELEX_OK)
    return error(file, st, last_error_message());
  // prepareValidation(): names, times, cells and the checks of values that are not numbers.
  const auto& list = changes->array();
  const std::size_t m = list.size();
  std::vector<std::int32_t> params(m), cells(m);
  std::vector<double> current(m, kNaN), proposed(m, kNaN), at(m);
  std::vector<std::uint16_t> reasons(m, 0);
  std::vector<std::uint8_t> verdicts(m);
  std::unordered_map<std::string, std::int32_t> cell_ids{{"", 0}};
  for (std::size_t i = 0; i < m; ++i) {
    const json::Value& ch = list[i];
    const json::Value* name = ch.find("parameter");
    if (!ch.is_object() || !name || !name->is_string())
      return error(file, ELEX_E_INVALID_ARGUMENT,
                   "change " + std::to_string(i) + " must be an object with a parameter name");
    const json::Value* t = ch.find("at");
    if (!t || !t->is_number() || !std::isfinite(t->number()))
      return error(file, ELEX_E_INVALID_ARGUMENT,
                   "change " + std::to_string(i) + ": at must be a time in ms (a finite number)");
    const json::Value* cell = ch.find("cell");
    if (cell && !cell->is_string())
      return error(file, ELEX_E_INVALID_ARGUMENT,
                   "change " + std::to_string(i) + ": cell must be a string");
    const std::string cell_name = cell ? cell->string() : "";
    auto id = cell_ids.find(cell_name);
    if (id == cell_ids.end())
      id = cell_ids.emplace(cell_name, -std::int32_t(cell_ids.size())).first;
    cells[i] = id->second;
    at[i] = t->number();
    const auto p = c.parameter_index.find(name->string());
    params[i] = p == c.parameter_index.end() ? -1 : std::int32_t(p->second);
    if (params[i] < 0) continue;  // the engine says UNKNOWN_PARAMETER
    const json::Value* prop = ch.find("proposed");
    const json::Value* cur = ch.find("current");
    const std::uint8_t kind = kinds[std::size_t(params[i])];
    const catalog::Parameter& param = c.parameters[std::size_t(params[i])];
    if (kind == v::kEnum) {
      bool ok = prop && prop->is_string();
      if (ok && param.has_values) {
        ok = false;
        for (const std::string& x : param.values) ok = ok || x == prop->string();
      }
      if (!ok) reasons[i] = v::kWrongType;
    } else if (kind == v::kBool) {
      if (!(prop && (prop->is_bool() ||
                     (prop->is_number() && (prop->number() == 0 || prop->number() == 1)))))
        reasons[i] = v::kWrongType;
    } else if (kind == v::kString) {
      if (!(prop && prop->is_string())) reasons[i] = v::kWrongType;
    } else if (!(prop && prop->is_number() && cur && cur->is_number())) {
      reasons[i] = v::kWrongType;
    } else {
      current[i] = cur->number();
      proposed[i] = prop->number();
    }
  }
  const v::Changes batch{
      params.data(), current.data(), proposed.data(), at.data(), 0, cells.data(), m};
  v::Tally tally{};
  const std::uint32_t flags = v::kCallerChecked | (record ? v::kRecord : 0u);
  if (Status st = validator.run(batch, flags, reasons.data(), verdicts.data(), &tally);
      st != ELEX_OK)
    return error(file, st, last_error_message());
  for (std::size_t i = 0; i < m; ++i) {
    std::string o = "{\"parameter\":" + json::quote(list[i].find("parameter")->string());
    if (const json::Value* cell = list[i].find("cell"))
      o += ",\"cell\":" + json::quote(cell->string());
    o += std::string(",\"verdict\":\"") + kVerdicts[verdicts[i] < 3 ? verdicts[i] : 2] +
         "\",\"reasons\":[";
    bool first = true;
    for (unsigned b = 0; b < 8; ++b)
      if (reasons[i] >> b & 1) {
        o += std::string(first ? "\"" : ",\"") + kReasons[b] + "\"";
        first = false;
      }
    o += "]}\n";
    put(o);
  }
  return 0;
}

namespace {

struct Program {
  std::vector<std::string> kpis;
  std::vector<std::int32_t> ops;
  std::vector<std::uint32_t> offsets{0};
  std::vector<float> consts, thresholds;
  std::vector<std::int8_t> directions;
};

bool lookup(void* ctx, std::string_view name, std::uint32_t* column) {
  const auto* index = static_cast<const std::unordered_map<std::string, std::uint32_t>*>(ctx);
  const auto it = index->find(std::string(name));
  if (it == index->end()) return false;
  *column = it->second;
  return true;
}

/// Levenshtein distance of two short names (a member's "did you mean").
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

int monitor(const catalog::Catalog& c, const json::Value& doc, const std::string& file,
            double z_threshold, unsigned min_history) {
  std::vector<const json::Value*> batches;
  if (doc.is_array())
    for (const json::Value& b : doc.array()) batches.push_back(&b);
  else
    batches.push_back(&doc);
  // History per (KPI set, cell), as a worker keeps it: count, mean, M2 per KPI.
  std::map<std::string, std::unordered_map<std::string, std::vector<double>>> histories;
  for (std::size_t bi = 0; bi < batches.size(); ++bi) {
    const json::Value& b = *batches[bi];
    const std::string where = "batch " + std::to_string(bi) + ": ";
    const json::Value *cells = b.find("cells"), *counters = b.find("counters"),
                      *periods = b.find("periods"), *data = b.find("data"),
                      *wanted = b.find("kpis");
    if (!b.is_object())
      return error(file, ELEX_E_INVALID_ARGUMENT,
                   where + "a batch is { cells, counters, periods, data }");
    // As the browser's monitor() takes its batch: a member it does not have (a
    // typo, "kpi" for "kpis") is refused, not ignored.
    static const char* const kMembers[] = {"cells", "counters", "periods", "data", "kpis"};
    for (const auto& [name, value] : b.object()) {
      if (std::find(std::begin(kMembers), std::end(kMembers), name) != std::end(kMembers)) continue;
      std::string near;
      for (const char* m : kMembers)
        if (near.empty() && edit_distance(name, m) <= 2) near = m;
      return error(file, ELEX_E_INVALID_ARGUMENT,
                   where + "unknown member " + json::quote(name) +
                       (near.empty() ? "" : " (did you mean " + json::quote(near) + "?)") +
                       "; a batch has cells, counters, periods, data, kpis");
    }
    if (!cells || !cells->is_array() || cells->array().empty())
      return error(file, ELEX_E_INVALID_ARGUMENT,
                   where + "cells must be a non-empty array of cell ids");
    std::unordered_set<std::string> seen;
    for (const json::Value& x : cells->array())
      if (!x.is_string() || x.string().empty() || !seen.insert(x.string()).second)
        return error(file, ELEX_E_INVALID_ARGUMENT,
                     where + "cells must be unique, non-empty cell ids");
    if (!counters || !counters->is_array() || counters->array().empty())
      return error(file, ELEX_E_INVALID_ARGUMENT,
                   where + "counters must be a non-empty array of names");
    std::unordered_map<std::string, std::uint32_t> column;
    std::string key;
    for (const json::Value& x : counters->array()) {
      if (!x.is_string() || !column.emplace(x.string(), std::uint32_t(column.size())).second)
        return error(file, ELEX_E_INVALID_ARGUMENT, where + "counter names must be unique strings");
      if (!c.counter_index.count(x.string()))
        return error(file, ELEX_E_INVALID_ARGUMENT,
                     where + "counter \"" + x.string() + "\" is not in the catalog");
      key += x.string() + '\x01';
    }
    if (!periods || !periods->is_number() || periods->number() < 1 || periods->number() > 1e6 ||
        periods->number() != std::floor(periods->number())) {
      std::string got;
      if (periods && periods->is_number()) json::append_number(&got, periods->number());
      return error(file, ELEX_E_INVALID_ARGUMENT,
                   where + "periods must be an integer from 1 to 1000000" +
                       (got.empty() ? "" : ", got " + got));
    }
    const std::uint32_t P = std::uint32_t(periods->number()),
                        C = std::uint32_t(cells->array().size()), N = std::uint32_t(column.size());
    const std::uint64_t want = std::uint64_t(C) * N * P;
    if (!data || !data->is_array())
      return error(file, ELEX_E_INVALID_ARGUMENT,
                   where + "data must be an array of cells × counters × " +
                       "periods numbers (null = missing)");
    if (data->array().size() != want)
      return error(file, ELEX_E_DIMENSION_MISMATCH,
                   where + "data holds " + std::to_string(data->array().size()) + " numbers, not " +
                       std::to_string(C) + " cells × " + std::to_string(N) + " counters × " +
                       std::to_string(P) + " periods = " + std::to_string(want) +
                       " (null = missing)");
    std::vector<float> samples(data->array().size());
    for (std::size_t i = 0; i < samples.size(); ++i) {
      const json::Value& x = data->array()[i];
      if (!x.is_null() && !x.is_number())
        return error(file, ELEX_E_INVALID_ARGUMENT,
                     where + "data[" + std::to_string(i) + "] is not a number or null");
      samples[i] = x.is_null() ? std::numeric_limits<float>::quiet_NaN() : float(x.number());
      if (std::isinf(samples[i])) {
        const std::size_t row = i / P;
        return error(file, ELEX_E_INVALID_ARGUMENT,
                     where + "data[" + std::to_string(i) + "]: cell " +
                         json::quote(cells->array()[row / N].string()) + ", counter " +
                         json::quote(counters->array()[row % N].string()) + ", period " +
                         std::to_string(i % P) +
                         ": the sample is beyond float32's range (a magnitude over "
                         "3.4028235e38); samples are finite float32 numbers (null = missing)");
      }
    }
    // The programs of ran-host.ts monitor(): the wanted KPIs, or every KPI
    // with a formula whose counters are all in the batch.
    Program prog;
    std::vector<std::uint32_t> order;
    if (wanted) {
      if (!wanted->is_array())
        return error(file, ELEX_E_INVALID_ARGUMENT, where + "kpis must be an array of names");
      key += '\x02';
      std::unordered_set<std::string> named;
      for (const json::Value& x : wanted->array()) {
        if (!x.is_string())
          return error(file, ELEX_E_INVALID_ARGUMENT, where + "kpis must be an array of names");
        if (!named.insert(x.string()).second)
          return error(file, ELEX_E_INVALID_ARGUMENT,
                       where + "KPI " + json::quote(x.string()) + " is named twice in kpis");
        const auto it = c.kpi_index.find(x.string());
        if (it == c.kpi_index.end())
          return error(file, ELEX_E_NOT_FOUND,
                       where + "unknown KPI " + json::quote(x.string()) + " in kpis");
        order.push_back(it->second);
        key += x.string() + '\x01';
      }
    } else {
      key += "\x02*";
      for (std::uint32_t k = 0; k < c.kpis.size(); ++k) order.push_back(k);
    }
    for (std::uint32_t k : order) {
      const catalog::Kpi& kpi = c.kpis[k];
      if (kpi.formula.empty()) {
        if (wanted)
          return error(file, ELEX_E_INVALID_ARGUMENT,
                       where + "KPI \"" + kpi.name + "\" has no formula in the catalog");
        continue;
      }
      bool compiled = false;
      if (Status st =
              formula::compile(kpi.formula, lookup, &column, &prog.ops, &prog.consts, &compiled);
          st != ELEX_OK)
        return error(file, st, last_error_message());
      if (!compiled) {
        if (wanted)
          return error(file, ELEX_E_INVALID_ARGUMENT,
                       where + "KPI \"" + kpi.name + "\" needs counters that are not in the batch");
        continue;
      }
      prog.kpis.push_back(kpi.name);
      prog.offsets.push_back(std::uint32_t(prog.ops.size()));
      prog.thresholds.push_back(std::isnan(kpi.threshold) ? std::numeric_limits<float>::quiet_NaN()
                                                          : float(kpi.threshold));
      prog.directions.push_back(std::isnan(kpi.threshold) ? 0 : kpi.direction == -1 ? -1 : 1);
    }
    const std::uint32_t K = std::uint32_t(prog.kpis.size());
    auto& cell_history = histories[key];
    std::vector<double> history(std::size_t(C) * K * 3, 0.0);
    for (std::uint32_t ci = 0; ci < C; ++ci)
      if (auto it = cell_history.find(cells->array()[ci].string()); it != cell_history.end())
        std::copy(it->second.begin(), it->second.end(),
                  history.begin() + std::ptrdiff_t(ci) * K * 3);
    std::vector<std::uint32_t> anomalies(std::size_t(C) * K), breaches(std::size_t(C) * K),
        nulls(std::size_t(C) * K * 2);
    std::vector<float> max_z(std::size_t(C) * K), kpi_stats(std::size_t(C) * K * 5),
        counter_stats(std::size_t(C) * N * 5);
    const monitor::Programs p{prog.ops.data(), prog.offsets.data(), K, prog.consts.data(),
                              std::uint32_t(prog.consts.size())};
    if (Status st = monitor::check(p, N); st != ELEX_OK)
      return error(file, st, last_error_message());
    const monitor::Alerting a{prog.thresholds.data(), prog.directions.data(), float(z_threshold),
                              min_history};
    monitor::Outputs o{nullptr,      nullptr,         history.data(), anomalies.data(),
                       max_z.data(), breaches.data(), nulls.data()};
    o.counter_stats = counter_stats.data();
    o.kpi_stats = kpi_stats.data();
    if (Status st = monitor::evaluate(p, {C, N, P}, samples.data(), a, o, nullptr); st != ELEX_OK)
      return error(file, st, last_error_message());
    for (std::uint32_t ci = 0; ci < C; ++ci) {
      const std::string& cell = cells->array()[ci].string();
      cell_history[cell].assign(history.begin() + std::ptrdiff_t(ci) * K * 3,
                                history.begin() + std::ptrdiff_t(ci + 1) * K * 3);
      std::string out =
          "{\"batch\":" + std::to_string(bi) + ",\"cell\":" + json::quote(cell) + ",\"kpis\":[";
      for (std::uint32_t k = 0; k < K; ++k) {
        const std::size_t ck = std::size_t(ci) * K + k, st = ck * 5;
        const float count = kpi_stats[st];
        const auto stat = [&](const char* name, float x) {
          out += std::string(",\"") + name + "\":";
          if (count > 0)
            json::append_number(&out, double(x));
          else
            out += "null";
        };
        if (k) out += ",";
        out += "{\"name\":" + json::quote(prog.kpis[k]);
        stat("mean", kpi_stats[st + 2]);
        stat("min", kpi_stats[st + 3]);
        stat("max", kpi_stats[st + 4]);
        out += ",\"count\":";
        json::append_number(&out, double(count));
        out += ",\"nulls\":{\"missingCounter\":" + std::to_string(nulls[2 * ck]) +
               ",\"divisionByZero\":" + std::to_string(nulls[2 * ck + 1]) +
               "},\"breaches\":" + std::to_string(breaches[ck]) +
               ",\"anomalies\":" + std::to_string(anomalies[ck]) + ",\"maxZ\":";
        json::append_number(&out, double(max_z[ck]));
        out += "}";
      }
      out += "]}\n";
      put(out);
    }
  }
  return 0;
}

}  // namespace elex::cli
