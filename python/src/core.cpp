// _elex_core: the ELEX engine's KPI monitor, formula compiler and change
// validator as a CPython extension (pybind11), over the same C ABI the wasm
// build exports (elex.h). Arrays go in and out as numpy arrays: an input of
// the right dtype and C layout is used in place, never copied; outputs are
// fresh arrays the engine writes into. A failing engine call raises
// elex.ElexError with the engine's stable code (see python/elex/errors.py).
// The GIL is released while the engine runs.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "elex/elex.h"
#include "elex/ran/formula.h"
#include "elex/ran/validator.h"

namespace py = pybind11;

namespace {

/// A failed engine call, turned into elex.ElexError(code, message).
struct Failure {
  std::string code;
  std::string message;
};

[[noreturn]] void raise(const char* code, const std::string& message) {
  throw Failure{code, message};
}

/// Raises for a non-zero engine status, with the engine's message.
void check(int status, const char* what) {
  if (status == ELEX_OK) return;
  const char* m = elex_last_error();
  raise(elex_status_name(status), std::string(what) + ": " + (m && *m ? m : "failed"));
}

template <class T>
using CArray = py::array_t<T, py::array::c_style | py::array::forcecast>;

/// A thread pool of the engine (elex_engine), `threads` in all.
class Engine {
 public:
  explicit Engine(unsigned threads) {
    check(elex_engine_create(threads, &e_), "creating the engine");
  }
  ~Engine() { elex_engine_destroy(e_); }
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  elex_engine* get() const { return e_; }

 private:
  elex_engine* e_ = nullptr;
};

void need(bool ok, const char* code, const std::string& message) {
  if (!ok) raise(code, message);
}

// ------------------------------------------------------------ formulas

/// Postfix steps of a formula: ("num", value) | ("counter", name) | ("op", "+-*/" or "neg").
py::list parse_formula(const std::string& formula) {
  std::vector<elex::formula::Step> steps;
  elex::clear_last_error();
  check(elex::formula::parse(formula, &steps), "parsing a KPI formula");
  py::list out;
  static const char* names[] = {"", "", "+", "-", "*", "/", "neg"};
  for (const auto& s : steps) {
    if (s.kind == elex::formula::Step::kNumber)
      out.append(py::make_tuple("num", s.number));
    else if (s.kind == elex::formula::Step::kCounter)
      out.append(py::make_tuple("counter", std::string(s.name)));
    else
      out.append(py::make_tuple("op", names[s.kind]));
  }
  return out;
}

/// Compiles formulas over the batch's counters into one program set:
/// (ops, offsets, consts, compiled) where compiled[i] says whether formula
/// i is in the set (a formula needing a counter the batch lacks is left
/// out, its numbers kept in consts, as ts/host/ran-ops.ts does).
py::tuple compile_kpis(const std::vector<std::string>& formulas,
                       const std::vector<std::string>& counters) {
  std::unordered_map<std::string_view, std::uint32_t> index;
  for (std::size_t i = 0; i < counters.size(); ++i)
    index.emplace(
        counters[i],
        std::uint32_t(i));  // the first of duplicates, as a JS Map would not: checked by callers
  std::vector<std::int32_t> ops;
  std::vector<std::uint32_t> offsets{0};
  std::vector<float> consts;
  std::vector<bool> compiled;
  const auto lookup = [](void* ctx, std::string_view name, std::uint32_t* column) {
    auto& ix = *static_cast<std::unordered_map<std::string_view, std::uint32_t>*>(ctx);
    auto it = ix.find(name);
    if (it == ix.end()) return false;
    *column = it->second;
    return true;
  };
  for (const auto& f : formulas) {
    bool ok = false;
    elex::clear_last_error();
    check(elex::formula::compile(f, lookup, &index, &ops, &consts, &ok), "compiling a KPI formula");
    compiled.push_back(ok);
    if (ok) offsets.push_back(std::uint32_t(ops.size()));
  }
  py::array_t<std::int32_t> a_ops(py::ssize_t(ops.size()));
  std::copy(ops.begin(), ops.end(), a_ops.mutable_data());
  py::array_t<std::uint32_t> a_off(py::ssize_t(offsets.size()));
  std::copy(offsets.begin(), offsets.end(), a_off.mutable_data());
  py::array_t<float> a_consts(py::ssize_t(consts.size()));
  std::copy(consts.begin(), consts.end(), a_consts.mutable_data());
  return py::make_tuple(a_ops, a_off, a_consts, compiled);
}

// ------------------------------------------------------------ monitor

py::dict kpi_eval(CArray<std::int32_t> ops, CArray<std::uint32_t> offsets, CArray<float> consts,
                  CArray<float> thresholds, CArray<std::int8_t> directions, CArray<float> data,
                  py::array history, float z_threshold, std::uint32_t min_history, bool per_period,
                  unsigned threads, bool with_counter_stats) {
  need(data.ndim() == 3, "DIMENSION_MISMATCH",
       "data must be a 3-d array: cells × counters × periods");
  const auto cells = std::uint32_t(data.shape(0)), counters = std::uint32_t(data.shape(1)),
             periods = std::uint32_t(data.shape(2));
  need(offsets.ndim() == 1 && offsets.size() >= 1, "INVALID_ARGUMENT",
       "offsets must hold kpis + 1 entries");
  const auto K = std::uint32_t(offsets.size() - 1);
  need(py::ssize_t(thresholds.size()) == K && py::ssize_t(directions.size()) == K,
       "DIMENSION_MISMATCH", "thresholds and directions need one entry per KPI");
  need(offsets.at(K) <= std::uint32_t(ops.size()), "INVALID_ARGUMENT",
       "the last offset is past the end of ops");
  // History is updated in place: it must be float64, C-ordered, writable.
  need(py::isinstance<py::array_t<double>>(history) &&
           (history.flags() & py::array::c_style) != 0 && history.writeable(),
       "INVALID_ARGUMENT", "history must be a writable C-ordered float64 array");
  need(history.ndim() == 3 && history.shape(0) == cells && history.shape(1) == K &&
           history.shape(2) == 3,
       "DIMENSION_MISMATCH",
       "history must be cells × kpis × 3 (" + std::to_string(cells) + " × " + std::to_string(K) +
           " × 3)");
  const auto CK = py::ssize_t(cells) * K;
  py::array_t<float> values, max_z({py::ssize_t(cells), py::ssize_t(K)});
  py::array_t<std::uint8_t> reasons;
  if (per_period) {
    values = py::array_t<float>({py::ssize_t(cells), py::ssize_t(K), py::ssize_t(periods)});
    reasons = py::array_t<std::uint8_t>({py::ssize_t(cells), py::ssize_t(K), py::ssize_t(periods)});
  }
  py::array_t<std::uint32_t> anomalies({py::ssize_t(cells), py::ssize_t(K)}),
      breaches({py::ssize_t(cells), py::ssize_t(K)}),
      nulls({py::ssize_t(cells), py::ssize_t(K), py::ssize_t(2)});
  // The counters' statistics are computed either way (the KPIs read them);
  // without with_counter_stats they stay in the engine's scratch (one cell's
  // worth) instead of being written out (cells × counters × 5 floats: 4 MB
  // per 1,000 cells of 200 counters).
  py::array_t<float> kpi_stats({py::ssize_t(cells), py::ssize_t(K), py::ssize_t(5)}), counter_stats;
  if (with_counter_stats)
    counter_stats = py::array_t<float>({py::ssize_t(cells), py::ssize_t(counters), py::ssize_t(5)});
  (void)CK;
  auto* hist = static_cast<double*>(history.mutable_data());
  float* pv = per_period ? values.mutable_data() : nullptr;
  std::uint8_t* pr = per_period ? reasons.mutable_data() : nullptr;
  float *pz = max_z.mutable_data(), *pks = kpi_stats.mutable_data(),
        *pcs = with_counter_stats ? counter_stats.mutable_data() : nullptr;
  std::uint32_t *pa = anomalies.mutable_data(), *pb = breaches.mutable_data(),
                *pn = nulls.mutable_data();
  int status = 0;
  {
    py::gil_scoped_release release;
    Engine engine(threads < 1 ? 1 : threads);
    elex_kpi_eval_args args{};
    args.ops = ops.data();
    args.offsets = offsets.data();
    args.consts = consts.data();
    args.thresholds = thresholds.data();
    args.directions = directions.data();
    args.data = data.data();
    args.values = pv;
    args.reasons = pr;
    args.history = hist;
    args.anomalies = pa;
    args.max_z = pz;
    args.breaches = pb;
    args.nulls = pn;
    args.counter_stats = pcs;
    args.kpi_stats = pks;
    args.kpis = K;
    args.n_consts = std::uint32_t(consts.size());
    args.cells = cells;
    args.counters = counters;
    args.periods = periods;
    args.z_threshold = z_threshold;
    args.min_history = min_history;
    status = elex_kpi_eval(engine.get(), &args);
  }
  check(status, "evaluating KPIs");
  py::dict out;
  out["values"] = per_period ? py::object(values) : py::none();
  out["reasons"] = per_period ? py::object(reasons) : py::none();
  out["anomalies"] = anomalies;
  out["max_z"] = max_z;
  out["breaches"] = breaches;
  out["nulls"] = nulls;
  out["kpi_stats"] = kpi_stats;
  out["counter_stats"] = with_counter_stats ? py::object(counter_stats) : py::none();
  return out;
}

py::array_t<float> row_stats(CArray<float> data, unsigned threads) {
  need(data.ndim() == 2, "DIMENSION_MISMATCH", "data must be a 2-d array: rows × periods");
  const auto rows = std::uint32_t(data.shape(0)), periods = std::uint32_t(data.shape(1));
  py::array_t<float> out({py::ssize_t(rows), py::ssize_t(5)});
  float* po = out.mutable_data();
  int status = 0;
  {
    py::gil_scoped_release release;
    Engine engine(threads < 1 ? 1 : threads);
    status = elex_row_stats(engine.get(), data.data(), rows, periods, po);
  }
  check(status, "row statistics");
  return out;
}

// ------------------------------------------------------------ validator

class Validator {
 public:
  Validator(CArray<std::uint8_t> kinds, CArray<double> bounds, CArray<double> cooldown_ms) {
    const auto n = std::uint32_t(kinds.size());
    need(py::ssize_t(bounds.size()) == 5 * py::ssize_t(n) && py::ssize_t(cooldown_ms.size()) == n,
         "DIMENSION_MISMATCH", "bounds must hold 5 × count numbers and cooldown_ms count");
    elex::clear_last_error();
    check(v_.init(n, kinds.data(), bounds.data(), cooldown_ms.data()), "creating a validator");
  }

  /// (reasons uint16, verdicts uint8, figures dict) for n changes (validator.h run()).
  py::tuple run(CArray<std::int32_t> params, CArray<double> current, CArray<double> proposed,
                py::object at, py::object cells, std::uint32_t flags, py::object caller_reasons) {
    const auto n = py::ssize_t(params.size());
    need(current.size() == n && proposed.size() == n, "DIMENSION_MISMATCH",
         "current and proposed need one value per change");
    // One time for every change, or one per change. (A default-made array_t
    // is an empty array, not a null one: the flag says which was given.)
    CArray<double> at_arr;
    double at_all = 0;
    const bool one_time = py::isinstance<py::float_>(at) || py::isinstance<py::int_>(at);
    if (one_time) {
      at_all = at.cast<double>();
    } else {
      at_arr = at.cast<CArray<double>>();
      need(at_arr.size() == n, "DIMENSION_MISMATCH", "at needs one time per change");
    }
    CArray<std::int32_t> cell_arr;
    if (!cells.is_none()) {
      cell_arr = cells.cast<CArray<std::int32_t>>();
      need(cell_arr.size() == n, "DIMENSION_MISMATCH", "cells needs one id per change");
    }
    py::array_t<std::uint16_t> reasons(n);
    py::array_t<std::uint8_t> verdicts(n);
    if (!caller_reasons.is_none()) {
      auto cr = caller_reasons.cast<CArray<std::uint16_t>>();
      need(cr.size() == n, "DIMENSION_MISMATCH", "reasons needs one value per change");
      std::copy(cr.data(), cr.data() + n, reasons.mutable_data());
    }
    const elex::validate::Changes c{params.data(),   current.data(),
                                    proposed.data(), one_time ? nullptr : at_arr.data(),
                                    at_all,          cells.is_none() ? nullptr : cell_arr.data(),
                                    std::size_t(n)};
    elex::validate::Tally t{};
    std::uint16_t* pr = reasons.mutable_data();
    std::uint8_t* pv = verdicts.mutable_data();
    elex::Status status = ELEX_OK;
    {
      py::gil_scoped_release release;
      const std::lock_guard<std::mutex> one_at_a_time(mu_);
      elex::clear_last_error();
      status = v_.run(c, flags, pr, pv, &t);
    }
    check(status, "validating");
    py::dict f;
    f["ok"] = t.ok;
    f["warn"] = t.warn;
    f["reject"] = t.reject;
    f["max_recorded_at"] = t.max_recorded_at;
    return py::make_tuple(reasons, verdicts, f);
  }

  void set_floor(double at) {
    need(!std::isnan(at), "INVALID_ARGUMENT", "the floor must be a time in ms");
    py::gil_scoped_release release;
    const std::lock_guard<std::mutex> one_at_a_time(mu_);
    v_.set_floor(at);
  }

  /// The recorded cooldowns: (params int32, cells int32, at float64), by (param, cell).
  py::tuple cooldowns() const {
    std::vector<std::pair<std::uint64_t, double>> kv;
    {
      py::gil_scoped_release release;
      const std::lock_guard<std::mutex> one_at_a_time(mu_);
      kv.reserve(v_.cooldowns().size());
      v_.cooldowns().for_each([&](std::uint64_t k, double at) { kv.emplace_back(k, at); });
    }
    std::sort(kv.begin(), kv.end());
    const auto n = py::ssize_t(kv.size());
    py::array_t<std::int32_t> params(n), cells(n);
    py::array_t<double> at(n);
    for (py::ssize_t i = 0; i < n; ++i) {
      params.mutable_data()[i] = std::int32_t(kv[i].first >> 32);
      cells.mutable_data()[i] = std::int32_t(std::uint32_t(kv[i].first));
      at.mutable_data()[i] = kv[i].second;
    }
    return py::make_tuple(params, cells, at);
  }

  /// Takes back recorded cooldowns (validator.h restore()).
  void restore(CArray<std::int32_t> params, CArray<std::int32_t> cells, CArray<double> at) {
    const auto n = params.size();
    need(cells.size() == n && at.size() == n, "DIMENSION_MISMATCH",
         "params, cells and at need one entry per cooldown");
    elex::Status status = ELEX_OK;
    {
      py::gil_scoped_release release;
      const std::lock_guard<std::mutex> one_at_a_time(mu_);
      elex::clear_last_error();
      status = v_.restore(std::size_t(n), params.data(), cells.data(), at.data());
    }
    check(status, "restoring cooldowns");
  }

  py::dict stats() const {
    std::size_t cooldowns = 0, bytes = 0;
    double floor = 0;
    {
      py::gil_scoped_release release;
      const std::lock_guard<std::mutex> one_at_a_time(mu_);
      cooldowns = v_.cooldowns().size();
      bytes = v_.bytes();
      floor = v_.floor();
    }
    py::dict d;
    d["parameters"] = v_.count();
    d["cooldowns"] = cooldowns;
    d["bytes"] = bytes;
    d["floor"] = floor;
    return d;
  }
  std::uint32_t count() const { return v_.count(); }

 private:
  elex::validate::Validator v_;
  /// The engine runs with the GIL released: Python threads sharing a validator
  /// take turns on it (its cooldown table is written by run() and restore()).
  mutable std::mutex mu_;
};

}  // namespace

PYBIND11_MODULE(_elex_core, m) {
  m.doc() = "The ELEX engine (native build): KPI programs, monitor, validator";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Failure& f) {
      py::object cls = py::module_::import("elex.errors").attr("ElexError");
      py::object err = cls(f.code, f.message);
      PyErr_SetObject(cls.ptr(), err.ptr());
    }
  });
  m.attr("ABI_VERSION") = elex_abi_version();
  m.def(
      "build_info",
      [](unsigned threads) {
        Engine e(threads < 1 ? 1 : threads);
        return std::string(elex_build_info(e.get()));
      },
      py::arg("threads") = 1);
  m.def("status_name", [](int s) { return std::string(elex_status_name(s)); });
  m.def("parse_formula", &parse_formula, py::arg("formula"));
  m.def("compile_kpis", &compile_kpis, py::arg("formulas"), py::arg("counters"));
  m.def("kpi_eval", &kpi_eval, py::arg("ops"), py::arg("offsets"), py::arg("consts"),
        py::arg("thresholds"), py::arg("directions"), py::arg("data"), py::arg("history"),
        py::arg("z_threshold"), py::arg("min_history"), py::arg("per_period"),
        py::arg("threads") = 1, py::arg("counter_stats") = true);
  m.def("row_stats", &row_stats, py::arg("data"), py::arg("threads") = 1);
  py::class_<Validator>(m, "Validator")
      .def(py::init<CArray<std::uint8_t>, CArray<double>, CArray<double>>(), py::arg("kinds"),
           py::arg("bounds"), py::arg("cooldown_ms"))
      .def("run", &Validator::run, py::arg("params"), py::arg("current"), py::arg("proposed"),
           py::arg("at"), py::arg("cells"), py::arg("flags"), py::arg("reasons") = py::none())
      .def("set_floor", &Validator::set_floor, py::arg("at"))
      .def("cooldowns", &Validator::cooldowns)
      .def("restore", &Validator::restore, py::arg("params"), py::arg("cells"), py::arg("at"))
      .def("stats", &Validator::stats)
      .def_property_readonly("count", &Validator::count);
}
