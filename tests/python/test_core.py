"""The Python module over the native core: errors, catalog checks, KPI
programs, monitor and history, validation and cooldowns."""

import json
import math
import os

import numpy as np
import pytest

import elex
from conftest import counters_of, pm_data


def test_errors_carry_the_stable_codes():
    with pytest.raises(elex.ElexError) as e:
        elex.parse_formula("1 +")
    assert e.value.code == "INVALID_ARGUMENT"
    assert "ends with an operator" in e.value.message
    # The engine's statuses map to the same names as ts/core/errors.ts.
    import _elex_core

    assert [_elex_core.status_name(s) for s in range(1, 13)] == list(elex.ERROR_CODES[:12])
    # And the codes after them are those of ts/core/errors.ts, in order (docs/python.md
    # says ERROR_CODES holds the package's codes).
    import re

    root = os.path.join(os.path.dirname(__file__), "..", "..")
    with open(os.path.join(root, "ts", "core", "errors.ts"), encoding="utf-8") as f:
        ts = f.read()
    listed = ts[ts.index("...ENGINE_STATUS_NAMES,") : ts.index("] as const;")]
    assert list(elex.ERROR_CODES[12:]) == re.findall(r"^\s*'([A-Z_]+)',", listed, re.M)
    # An ElexError survives pickling (Dask sends it from a worker to the client).
    import pickle

    again = pickle.loads(pickle.dumps(e.value))
    assert again.code == "INVALID_ARGUMENT" and again.message == e.value.message


def test_catalog_checks_report_paths():
    bad = {
        "features": [
            {"code": "FAJ 121 0001", "dependencies": ["FAJ 999 9999"]},
            {"code": "FAJ 121 0001"},
        ],
        "parameters": [{"name": "nodot", "range": [2, 1]}, {"name": "A.b", "safe": {"min": 3, "max": 1}}],
        "kpis": [{"name": "K", "formula": "a +", "direction": "up"}],
    }
    problems = elex.check_catalog(bad)
    paths = {p["path"] for p in problems}
    assert {
        "$.features[1].code",
        "$.features[0].dependencies[0]",
        "$.parameters[0].name",
        "$.parameters[0].range",
        "$.parameters[1].safe",
        "$.kpis[0].formula",
        "$.kpis[0].direction",
    } <= paths
    with pytest.raises(elex.ElexError) as e:
        elex.load_catalog(bad)
    assert e.value.code == "INVALID_ARGUMENT" and len(e.value.problems) == len(problems)
    assert elex.check_catalog({"features": []})[0]["path"] == "$.features"


def test_default_catalog_loads(catalog):
    assert catalog.stats["kpis"] == 199 and catalog.stats["features"] == 593


def test_programs_skip_kpis_without_their_counters(catalog):
    counters = counters_of(catalog, 40)
    prog = catalog.kpi_programs(counters)
    assert 0 < len(prog.names) < 199
    assert prog.offsets[0] == 0 and len(prog.offsets) == len(prog.names) + 1
    with pytest.raises(elex.ElexError) as e:
        catalog.kpi_programs(counters, ["no such KPI"])
    assert e.value.code == "NOT_FOUND"
    missing = next(n for n in catalog.kpis if n not in prog.names and catalog.kpis[n].get("formula"))
    with pytest.raises(elex.ElexError) as e:
        catalog.kpi_programs(counters, [missing])
    assert e.value.code == "INVALID_ARGUMENT"


def test_monitor_values_and_null_reasons():
    cat = elex.load_catalog(
        {
            "features": [{"code": "FAJ 121 0001", "counters": ["C.att", "C.succ"]}],
            "kpis": [{"name": "Succ", "formula": "100 * C.succ / C.att", "threshold": 95, "direction": "higher"}],
        }
    )
    data = np.array([[[10, 0, 5], [9, 1, np.nan]]], np.float32)
    r = elex.Monitor(cat).monitor(["A"], ["C.att", "C.succ"], data, per_period=True)
    assert r.values[0, 0, 0] == np.float32(90)
    assert list(r.reasons[0, 0]) == [0, 2, 1]
    assert list(r.nulls[0, 0]) == [1, 1]
    assert r.breaches[0, 0] == 1 and r.missing_samples == 1
    al = r.alerts()
    assert list(al["kind"]) == ["threshold"] and al["worst"][0] == 90
    t = r.kpi_table()
    assert t.loc[0, "count"] == 1 and t.loc[0, "nulls_division_by_zero"] == 1


def test_monitor_input_errors(catalog):
    counters = counters_of(catalog, 10)
    mon = elex.Monitor(catalog)
    data = pm_data(2, len(counters), 8, 1)
    for args, code in [
        ((["a", "a"], counters, data), "INVALID_ARGUMENT"),
        ((["a", "b"], counters + ["No.such"], data), "INVALID_ARGUMENT"),
        ((["a", "b"], counters, data.astype(np.float64)), "INVALID_ARGUMENT"),
        ((["a", "b", "c"], counters, data), "DIMENSION_MISMATCH"),
    ]:
        with pytest.raises(elex.ElexError) as e:
            mon.monitor(*args)
        assert e.value.code == code
    with pytest.raises(elex.ElexError) as e:
        mon.monitor(["a", "b"], counters, data, kpis=["nope"])
    assert e.value.code == "NOT_FOUND"


def test_history_follows_cells_and_is_updated_in_place(catalog):
    counters = counters_of(catalog, 40)
    cells = [f"c{i}" for i in range(30)]
    d1 = pm_data(30, len(counters), 96, 1)
    d2 = pm_data(30, len(counters), 96, 2, spikes=True)
    whole = elex.Monitor(catalog)
    whole.monitor(cells, counters, d1)
    a = whole.monitor(cells, counters, d2)
    assert a.anomalies.sum() > 0
    # The same two nights with the cells in another order: the same figures per cell.
    perm = np.random.default_rng(0).permutation(30)
    other = elex.Monitor(catalog)
    other.monitor([cells[i] for i in perm], counters, d1[perm])
    b = other.monitor(cells, counters, d2)
    assert np.array_equal(a.anomalies, b.anomalies) and np.array_equal(a.max_z.view(np.uint32), b.max_z.view(np.uint32))
    # History out and back in (as elex.dask does between nights).
    h = whole.history(cells, counters)
    assert h.shape == (30, len(a.kpis), 3) and (h[:, :, 0] > 0).all()
    third = elex.Monitor(catalog)
    third.set_history(cells, counters, other.history(cells, counters))
    assert np.array_equal(third.history(cells, counters), h)
    # The low-level call reads a float32 C-ordered array in place and updates history in place.
    prog = catalog.kpi_programs(counters)
    hist = elex.new_history(30, len(prog.names))
    r = elex.evaluate(prog, d1, hist)
    assert hist[:, :, 0].sum() > 0 and r["kpi_stats"].shape == (30, len(prog.names), 5)
    with pytest.raises(elex.ElexError) as e:
        elex.evaluate(prog, d1, np.zeros((30, len(prog.names), 3), np.float32))
    assert e.value.code == "INVALID_ARGUMENT"


def test_threads_give_the_same_bits(catalog):
    counters = counters_of(catalog, 40)
    d = pm_data(64, len(counters), 96, 5)
    prog = catalog.kpi_programs(counters)
    h1, h2 = elex.new_history(64, len(prog.names)), elex.new_history(64, len(prog.names))
    r1 = elex.evaluate(prog, d, h1, per_period=True, threads=1)
    r2 = elex.evaluate(prog, d, h2, per_period=True, threads=2)
    for k in r1:
        assert np.array_equal(np.asarray(r1[k]).view(np.uint8), np.asarray(r2[k]).view(np.uint8)), k
    assert np.array_equal(h1, h2)


def test_without_counter_stats_the_same_bits(catalog):
    # elex.dask asks for no counter statistics: every other output is the same.
    counters = counters_of(catalog, 40)
    d = pm_data(64, len(counters), 96, 6, spikes=True)
    prog = catalog.kpi_programs(counters)
    h1, h2 = elex.new_history(64, len(prog.names)), elex.new_history(64, len(prog.names))
    elex.evaluate(prog, pm_data(64, len(counters), 96, 7), h1)
    h2[:] = h1
    r1 = elex.evaluate(prog, d, h1, per_period=True)
    r2 = elex.evaluate(prog, d, h2, per_period=True, counter_stats=False)
    assert r1["counter_stats"].shape == (64, len(counters), 5) and r2["counter_stats"] is None
    assert r1["anomalies"].sum() > 0
    for k in r1:
        if k != "counter_stats":
            assert np.array_equal(np.asarray(r1[k]).view(np.uint8), np.asarray(r2[k]).view(np.uint8)), k
    assert np.array_equal(h1.view(np.uint8), h2.view(np.uint8))


def test_validation_and_cooldowns(catalog):
    v = elex.ChangeValidator(catalog)
    tables = catalog.validator_tables()
    n = len(tables[0])
    p = int(next(i for i in range(n) if not math.isnan(tables[2][i]) and tables[0][i] <= 1 and not math.isnan(tables[1][i])))
    lo, hi = float(tables[1][p]), float(tables[1][n + p])
    cur = np.array([lo, lo, lo, lo], np.float64)
    pro = np.array([lo, np.nan, hi + 1, lo], np.float64)
    params = np.array([p, p, p, -1], np.int32)
    r = v.validate_batch(params, cur, pro, at=1e6, cells=np.array([1, 2, 3, 1]))
    assert r.reason_names(1) == ["NOT_FINITE"] and r.verdicts[1] == 2
    assert "OUTSIDE_ABSOLUTE_RANGE" in r.reason_names(2)
    assert r.reason_names(3) == ["UNKNOWN_PARAMETER"]
    # A second change of p on cell 1 inside its cooldown is rejected; cooldowns
    # move to another validator and hold there too.
    again = v.validate_batch(np.array([p], np.int32), np.array([lo]), np.array([lo]), at=1e6 + 1)
    cd = v.cooldowns()
    assert len(cd) >= 1 and set(cd["cell"]) >= {1}
    w = elex.ChangeValidator(catalog)
    w.restore_cooldowns(cd)
    got = w.validate_batch(np.array([p], np.int32), np.array([lo]), np.array([lo]), at=1e6 + 1, cells=np.array([1]))
    assert "COOLDOWN" in got.reason_names(0)
    assert again.verdicts.shape == (1,)
    # A table without one of its columns is named, not a bare KeyError.
    with pytest.raises(elex.ElexError) as e:
        w.restore_cooldowns(cd.drop(columns=["cell"]))
    assert e.value.code == "INVALID_ARGUMENT" and "cell missing" in e.value.message
    with pytest.raises(elex.ElexError) as e:
        v.validate_batch(params, cur, pro, at=math.nan)
    assert e.value.code == "INVALID_ARGUMENT"
    with pytest.raises(elex.ElexError) as e:
        v.validate_batch(params, cur[:2], pro, at=0.0)
    assert e.value.code == "DIMENSION_MISMATCH"


def test_one_time_for_the_whole_batch_is_every_change_s_time(catalog):
    # `at` as one number is the time of every change: the same verdicts, reasons and
    # recorded times as an array holding it once per change (a scalar `at` was read
    # as an empty array, past its end: spurious "at must be a finite time" errors or
    # wrong cooldowns).
    n = len(catalog.validator_tables()[0])
    params = np.arange(2000, dtype=np.int32) % n
    cur = np.ones(params.size)
    pro = cur * 1.01
    for t in (0.0, 1e3, 5e6):
        for at in (t, int(t), np.float64(t)):
            one, each = elex.ChangeValidator(catalog), elex.ChangeValidator(catalog)
            a = one.validate_batch(params, cur, pro, at)
            b = each.validate_batch(params, cur, pro, np.full(params.size, t))
            assert np.array_equal(a.reasons, b.reasons) and np.array_equal(a.verdicts, b.verdicts)
            assert a.max_recorded_at == b.max_recorded_at
            assert one.cooldowns().equals(each.cooldowns())


_SHARED_VALIDATOR = r"""
import sys, threading
import numpy as np
import elex

cat = elex.load_catalog(sys.argv[1])
n = len(cat.validator_tables()[0])
N = 50000
params = (np.arange(N, dtype=np.int64) * 7919 % n).astype(np.int32)
cur = np.ones(N)
pro = cur * 1.01
batches = [(t, i) for t in range(4) for i in range(6)]

def batch(v, t, i):
    cells = (t * 6 + i) * N + np.arange(N, dtype=np.int32)  # disjoint: the order does not matter
    v.validate_batch(params, cur, pro, float(1000 * i), cells)

shared = elex.ChangeValidator(cat)
errors = []

def work(t):
    try:
        for i in range(6):
            batch(shared, t, i)
    except Exception as e:  # noqa: BLE001
        errors.append(repr(e))

threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
for th in threads:
    th.start()
while any(th.is_alive() for th in threads):
    shared.stats()
    shared.cooldowns()
for th in threads:
    th.join()
serial = elex.ChangeValidator(cat)
for t, i in batches:
    batch(serial, t, i)
assert not errors, errors
assert shared.cooldowns().equals(serial.cooldowns())
print("same")
"""


def test_validation_compares_values_as_given():
    # A 36-bit NR cell id one above its range, and a step from 0, passed: the
    # tables were float32 and the step limit relative to the current value.
    cat = elex.load_catalog(
        {
            "features": [{"code": "FAJ 121 0002", "parameters": ["NRCellCU.nCI", "Cell.offset"]}],
            "parameters": [
                {"name": "NRCellCU.nCI", "type": "int", "range": [0, 68719476735]},
                {"name": "Cell.offset", "type": "float", "range": [-24, 24], "safe": {"maxChange": 3}},
            ],
        }
    )
    v = elex.ChangeValidator(cat)
    idx = cat.parameter_indexes(["NRCellCU.nCI", "NRCellCU.nCI", "Cell.offset", "Cell.offset"])
    r = v.validate_batch(idx, np.zeros(4), np.array([68719476736.0, 68719476735.0, 24.0, 3.0]), at=0)
    assert [r.reason_names(i) for i in range(4)] == [["OUTSIDE_ABSOLUTE_RANGE"], [], ["CHANGE_TOO_LARGE"], []]


def test_validate_batch_takes_integer_values():
    # An int parameter's values come as integers: they were refused ("must be
    # float arrays"), where the Dask path converted them.
    cat = elex.load_catalog(
        {
            "features": [{"code": "FAJ 121 0002", "parameters": ["NRCellCU.nCI"]}],
            "parameters": [{"name": "NRCellCU.nCI", "type": "int", "range": [0, 68719476735], "safe": {"maxChange": 10}}],
        }
    )
    v = elex.ChangeValidator(cat)
    idx = cat.parameter_indexes(["NRCellCU.nCI"] * 3)
    cur = np.array([0, 68719476730, 5], np.int64)
    pro = np.array([5, 68719476736, 100], np.int64)
    r = v.validate_batch(idx, cur, pro, at=0, record=False)
    f = v.validate_batch(idx, cur.astype(np.float64), pro.astype(np.float64), at=0, record=False)
    assert [r.reason_names(i) for i in range(3)] == [[], ["OUTSIDE_ABSOLUTE_RANGE"], ["CHANGE_TOO_LARGE"]]
    assert (r.reasons == f.reasons).all() and (r.verdicts == f.verdicts).all()
    with pytest.raises(elex.ElexError) as e:
        v.validate_batch(idx, np.array(["1", "2", "3"]), pro, at=0)
    assert e.value.code == "INVALID_ARGUMENT" and "arrays of numbers" in e.value.message


def test_a_validator_shared_by_threads(catalog, tmp_path):
    # The engine runs with the GIL released, so several Python threads can be in one
    # validator at once: they take turns (its cooldown table crashed the process, or
    # lost entries, when two batches wrote it together).
    import subprocess
    import sys

    from conftest import ROOT

    r = subprocess.run(
        [sys.executable, "-c", _SHARED_VALIDATOR, os.path.join(ROOT, "build", "catalog", "default.json")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0 and r.stdout.strip() == "same", (r.returncode, r.stderr[-2000:])


def test_one_time_as_a_numpy_scalar(catalog):
    # A time read from a DataFrame or an array (numpy.int64, numpy.float32, a 0-d
    # array) is one time for the batch, as a Python number is (numpy.int64 was
    # taken for an array of times: DIMENSION_MISMATCH "at needs one time per change").
    params = np.arange(50, dtype=np.int32)
    cur = np.ones(params.size)
    pro = cur * 1.01
    want = elex.ChangeValidator(catalog).validate_batch(params, cur, pro, 1e6)
    for at in (np.int64(1_000_000), np.int32(1_000_000), np.float32(1e6), np.array(1e6), np.uint64(1_000_000)):
        got = elex.ChangeValidator(catalog).validate_batch(params, cur, pro, at)
        assert np.array_equal(got.reasons, want.reasons) and got.max_recorded_at == want.max_recorded_at
    for bad in (np.float64("nan"), np.array(np.inf)):
        with pytest.raises(elex.ElexError) as e:
            elex.ChangeValidator(catalog).validate_batch(params, cur, pro, bad)
        assert e.value.code == "INVALID_ARGUMENT"


def test_a_batch_with_no_kpi_still_counts_its_samples(catalog):
    # Counters no KPI formula uses (or kpis=[]): no KPI to evaluate, but the
    # counters' statistics and missing_samples are the batch's, not whatever the
    # fresh output arrays held (garbage counts, a RuntimeWarning in the cast).
    counters = counters_of(catalog, 20)
    data = pm_data(40, len(counters), 24, seed=5)
    cells = [f"c{i}" for i in range(40)]
    want = elex.Monitor(catalog).monitor(cells, counters, data)
    assert len(want.kpis) > 0
    for _ in range(3):
        junk = [np.full(1 << 16, 7.5, np.float32) for _ in range(64)]  # leave memory dirty
        del junk
        got = elex.Monitor(catalog).monitor(cells, counters, data, kpis=[])
        assert got.kpis == () and got.kpi_stats.shape == (40, 0, 5)
        assert got.missing_samples == int(np.isnan(data).sum())
        assert np.array_equal(got.counter_stats.view(np.uint32), want.counter_stats.view(np.uint32))
    # Through evaluate(): a batch of no period writes zero counts, no alert, no null.
    prog = catalog.kpi_programs(counters)
    h = elex.new_history(40, len(prog.names))
    r = elex.evaluate(prog, data[:, :, :0], h)
    assert not r["anomalies"].any() and not r["breaches"].any() and not r["nulls"].any()
    assert not r["max_z"].any() and not r["kpi_stats"][..., :2].any() and not r["counter_stats"][..., :2].any()
    assert not h.any()


def test_alerting_options_are_checked_as_the_browser_checks_them(catalog):
    # The browser's monitor() refuses a zThreshold that is not a finite number ≥ 0 and
    # a minHistory that is not an integer in 0..2^32−1: the kernel takes NaN as "never
    # an anomaly" and a negative threshold as "always". Python passed them on (NaN:
    # no anomaly at all, silently), or failed in pybind11 with a TypeError.
    import dask.array as da

    import elex.dask as ed

    counters = counters_of(catalog, 20)
    data = pm_data(4, len(counters), 12, seed=9)
    cells = ["a", "b", "c", "d"]
    mon = elex.Monitor(catalog)
    prog = catalog.kpi_programs(counters)
    bad = [
        {"z_threshold": math.nan},
        {"z_threshold": math.inf},
        {"z_threshold": -1.0},
        {"z_threshold": None},
        {"min_history": -1},
        {"min_history": 2.5},
        {"min_history": 2**32},
        {"min_history": None},
    ]
    for kw in bad:
        calls = (
            lambda: mon.monitor(cells, counters, data, **kw),
            lambda: elex.evaluate(prog, data, elex.new_history(4, len(prog.names)), **kw),
            lambda: ed.monitor(catalog, counters, da.from_array(data), cells, **kw),
        )
        for call in calls:
            with pytest.raises(elex.ElexError) as e:
                call()
            assert e.value.code == "INVALID_ARGUMENT", kw
            assert ("z_threshold" in e.value.message) == ("z_threshold" in kw), e.value.message
    # The edges the browser takes: 0, and numpy numbers.
    for kw in ({"z_threshold": 0}, {"min_history": 0}, {"min_history": np.int64(3), "z_threshold": np.float32(2.5)}):
        mon.monitor(cells, counters, data, **kw)


def test_a_monitor_shared_by_threads(catalog):
    # Threads sharing a Monitor (the engine runs with the GIL released): each thread's
    # cells keep the history a Monitor of their own would give them. (A batch that grew
    # the history table while another batch's engine call was writing into it lost
    # that batch's update: wrong anomaly scores from then on, silently.)
    import pickle
    import threading

    counters = counters_of(catalog, 20)
    T, B, C = 4, 12, 40
    data = {(t, b): pm_data(C, len(counters), 24, 1000 * t + b) for t in range(T) for b in range(B)}

    def cells(t, b):  # new cells in every batch, half of them seen in the one before
        return [f"t{t}-c{b * C // 2 + i}" for i in range(C)]

    def run(mon, t):
        for b in range(B):
            mon.monitor(cells(t, b), counters, data[t, b])

    every = sorted({c for t in range(T) for b in range(B) for c in cells(t, b)})
    serial = elex.Monitor(catalog)
    for t in range(T):
        run(serial, t)
    want = serial.history(every, counters)
    for _ in range(5):
        shared = elex.Monitor(catalog)
        threads = [threading.Thread(target=run, args=(shared, t)) for t in range(T)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert np.array_equal(shared.history(every, counters).view(np.uint8), want.view(np.uint8))
    # A Monitor still pickles (its history with it).
    again = pickle.loads(pickle.dumps(shared))
    assert np.array_equal(again.history(every, counters), want)
    again.monitor(cells(0, 0), counters, data[0, 0])


def test_codes_that_differ_only_in_their_spaces_are_duplicates():
    # A question names "FAJ 121 3094" and "FAJ1213094" alike: one code, not two features.
    c = {"features": [{"code": "FAJ 121 3094"}, {"code": "FAJ 121 3095"}, {"code": "FAJ1213094"}]}
    assert elex.check_catalog(c) == [
        {
            "path": "$.features[2].code",
            "message": 'duplicate feature code "FAJ1213094": $.features[0] is "FAJ 121 3094", '
            "the same code with other spacing (a question names both alike)",
        }
    ]


def test_item_names_with_a_space_at_an_end_are_problems():
    # "X " in a feature's list became a bare item beside the defined "X", silently.
    c = {
        "features": [{"code": "FAJ 121 3094", "parameters": ["A.b ", "A.c"], "kpis": ["K\u3000"]}],
        "counters": [{"name": "A.pmY\n"}],
        "kpis": [{"name": " K"}, {"name": "Inner  spaces"}],
    }
    m = "must not start or end with a space: names are matched as written"
    assert elex.check_catalog(c) == [
        {"path": p, "message": m}
        for p in ("$.features[0].parameters[0]", "$.features[0].kpis[0]", "$.counters[0].name", "$.kpis[0].name")
    ]


def test_catalog_text_is_read_as_the_browser_reads_it(tmp_path):
    # JSON has no NaN or Infinity: JSON.parse() (the browser) and elex-cli refuse a
    # catalog that holds them, and Python's json module wrote and read them, so a
    # catalog Python loaded (a NaN default) was one the browser could not.
    good = {"features": [{"code": "FAJ 121 0001", "name": "MIMO Sleep Mode", "parameters": ["A.b"]}],
            "parameters": [{"name": "A.b", "type": "float", "range": [0, 10], "default": 1}]}
    for token in ("NaN", "Infinity", "-Infinity"):
        text = json.dumps(good).replace('"default": 1', f'"default": {token}')
        path = tmp_path / "c.json"
        path.write_text(text)
        for source in (text, str(path)):
            with pytest.raises(elex.ElexError) as e:
                elex.load_catalog(source)
            assert e.value.code == "INVALID_ARGUMENT" and f"{token} is not JSON" in e.value.message
    # A lone surrogate (JSON.parse() takes it) is a string like any other: no
    # UnicodeEncodeError out of the checks, in a name or a formula.
    odd = json.loads(json.dumps(good).replace("MIMO Sleep Mode", "MIMO \\ud800 Mode"))
    assert elex.check_catalog(odd) == []
    odd["kpis"] = [{"name": "K", "formula": "A.b \ud800"}]
    problems = elex.check_catalog(odd)
    assert [p["path"] for p in problems] == ["$.kpis[0].formula"]


def test_parameter_indexes_of_one_name(catalog):
    # One name is one parameter (a str was iterated as its characters: one -1 per
    # character, and validate_batch then failed with DIMENSION_MISMATCH).
    names = list(catalog.parameters)
    assert catalog.parameter_indexes(names[2]).tolist() == [2]
    assert catalog.parameter_indexes("No.such").tolist() == [-1]
    assert catalog.parameter_indexes([names[2], "No.such"]).tolist() == [2, -1]


def test_deeply_nested_catalog_text_is_an_elex_error():
    # JSON nested deeper than Python's recursion limit raised a RecursionError out of
    # load_catalog(), not the module's ElexError.
    text = '{"features": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with pytest.raises(elex.ElexError) as e:
        elex.load_catalog(text)
    assert e.value.code == "INVALID_ARGUMENT" and "nested too deeply" in e.value.message


def test_a_catalog_file_that_is_not_utf8_is_an_elex_error(tmp_path):
    # A catalog saved as Latin-1 raised a bare UnicodeDecodeError out of
    # load_catalog(path); elex-cli check reports "invalid UTF-8" for the same file.
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"features": [{"code": "FAJ 121 0001", "name": "caf\xe9"}]}')
    with pytest.raises(elex.ElexError) as e:
        elex.load_catalog(str(path))
    assert e.value.code == "INVALID_ARGUMENT" and "is not UTF-8" in e.value.message, e.value.message
    assert str(path) in e.value.message


def test_a_catalog_file_that_cannot_be_read_is_an_elex_error(tmp_path):
    # load_catalog(path) raised a bare FileNotFoundError / IsADirectoryError
    # (docs/python.md: failures raise ElexError); elex-cli says
    # "NOT_FOUND: cannot read PATH: REASON" for the same file.
    for path in (tmp_path / "missing.json", tmp_path):
        for source in (str(path), path):
            with pytest.raises(elex.ElexError) as e:
                elex.load_catalog(source)
            assert e.value.code == "NOT_FOUND", e.value.message
            assert e.value.message.startswith(f"cannot read {path}: "), e.value.message


def test_a_catalog_with_a_byte_order_mark_loads_as_the_browser_loads_it(tmp_path):
    # Windows editors write a UTF-8 byte order mark; the browser's fetch() and
    # elex-cli skip it, load_catalog() raised "Unexpected UTF-8 BOM" (a file) or
    # took the text for a file name (a string).
    text = json.dumps({"features": [{"code": "FAJ 121 0001", "parameters": ["A.b"]}]})
    path = tmp_path / "c.json"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    for source in (str(path), path, "\ufeff" + text):
        assert elex.load_catalog(source).stats["parameters"] == 1
    path.write_bytes(b"\xef\xbb\xbf\xef\xbb\xbf" + text.encode())
    with pytest.raises(elex.ElexError) as e:
        elex.load_catalog(str(path))
    assert e.value.code == "INVALID_ARGUMENT"


def test_a_parameter_default_of_another_type_is_a_problem():
    # The schema says number, boolean or string; the checks let null, lists and
    # objects through.
    def problems(d):
        return elex.check_catalog({"features": [{"code": "FAJ 121 0001"}], "parameters": [{"name": "A.b", "default": d}]})

    for d in (None, [], {}, [1], {"v": 1}):
        assert problems(d) == [{"path": "$.parameters[0].default", "message": "must be a number, boolean or string"}]
    for d in (0, -1.5, True, False, "ON", ""):
        assert problems(d) == []


def test_an_integer_too_large_for_a_double_is_a_problem_not_an_overflow_error():
    # JSON.parse() and elex-cli read 1 followed by 400 zeros as Infinity: "must be a
    # finite number". Python's json reads an exact int, and math.isfinite() raised
    # OverflowError out of check_catalog() and load_catalog().
    big = "1" + "0" * 400
    text = (
        '{"features": [{"code": "FAJ 121 0001"}],'
        f' "parameters": [{{"name": "A.b", "range": [0, {big}], "default": {big},'
        f' "safe": {{"min": -{big}, "maxChange": {big}}}}}],'
        f' "kpis": [{{"name": "K", "threshold": {big}}}]}}'
    )
    want = [
        {"path": "$.parameters[0].range", "message": "must be [min, max]: an array of two finite numbers"},
        {"path": "$.parameters[0].default", "message": "must be a number, boolean or string"},
        {"path": "$.parameters[0].safe.min", "message": "must be a finite number"},
        {"path": "$.parameters[0].safe.maxChange", "message": "must be a finite number"},
        {"path": "$.kpis[0].threshold", "message": "must be a finite number"},
    ]
    assert elex.check_catalog(json.loads(text)) == want
    with pytest.raises(elex.ElexError) as e:
        elex.load_catalog(text)
    assert e.value.code == "INVALID_ARGUMENT" and e.value.problems == want
    # An int a double holds (as JSON.parse() reads it) is a number like any other.
    ok = json.loads(text.replace(big, str(10**300)))
    assert elex.check_catalog(ok) == []


def test_a_parameter_with_an_empty_values_list_is_an_enum_as_in_the_browser():
    # docs/catalog.md: without a type, a parameter with values is an enum. The browser
    # and elex-cli take `"values": []` as values (an enum none of whose values is
    # allowed); Python took it as a float, so numbers passed validate_batch here
    # that the browser's validateBatch() rejects as WRONG_TYPE.
    cat = elex.load_catalog(
        {
            "features": [{"code": "FAJ 121 0001"}],
            "parameters": [{"name": "E.mode", "values": []}, {"name": "E.level"}, {"name": "E.on", "values": ["ON"]}],
        }
    )
    kinds = cat.validator_tables()[0]
    assert list(kinds) == [2, 0, 2]
    r = elex.ChangeValidator(cat).validate_batch(
        np.array([0, 1], np.int32), np.array([0.0, 0.0]), np.array([1.0, 1.0]), at=0.0
    )
    assert r.reason_names(0) == ["WRONG_TYPE"] and r.verdicts[0] == 2
    assert r.reason_names(1) == ["NO_BOUNDS"]


def test_a_range_of_strings_says_its_bounds_must_be_numbers():
    def problems(r):
        return elex.check_catalog({"features": [{"code": "FAJ 121 0001"}], "parameters": [{"name": "A.b", "range": r}]})

    for r in (["0", "10"], [0], [0, 1, 2], [0, None], "0..10", {"min": 0, "max": 10}):
        assert problems(r) == [{"path": "$.parameters[0].range", "message": "must be [min, max]: an array of two finite numbers"}]
    assert problems([10, 0]) == [{"path": "$.parameters[0].range", "message": "must be [min, max] with min <= max"}]


def test_a_kpi_formula_over_a_counter_the_catalog_does_not_have_is_a_problem():
    def problems(formula):
        return elex.check_catalog(
            {
                "features": [{"code": "FAJ 121 0001", "counters": ["A.pmListed"]}],
                "counters": [{"name": "A.pmDefined"}],
                "kpis": [{"name": "K", "formula": formula}],
            }
        )

    assert problems("100 * A.pmListed / A.pmDefined") == []
    assert problems("A.pmListed / (A.pmTypo + A.pmOther)") == [
        {
            "path": "$.kpis[0].formula",
            "message": "counter \"A.pmTypo\" is not in the catalog: define it under counters or list it in a feature's counters",
        }
    ]


def test_the_catalog_name_and_seed_are_checked_as_the_schema_states_them():
    def problems(extra):
        return elex.check_catalog({"features": [{"code": "FAJ 121 0001"}], **extra})

    for name in ("", 5, None, ["x"], "x" * 4097):
        assert problems({"name": name}) == [
            {"path": "$.name", "message": "must be a non-empty string (at most 4096 characters)"}
        ]
    for seed in (1.5, "7", None, True, 10**400):
        assert problems({"seed": seed}) == [{"path": "$.seed", "message": "must be an integer"}]
    assert problems({"name": "My network", "seed": -3, "glossary": [{"term": "a", "means": "b", "note": "x"}]}) == []


def test_catalog_text_with_a_duplicate_member_name_is_refused(tmp_path):
    # json.loads() kept the last of two "parameters" lists and dropped the first
    # silently; elex-cli and the browser refuse the text.
    text = '{"features": [{"code": "FAJ 121 0001"}], "parameters": [{"name": "A.b"}], "parameters": [{"name": "A.c"}]}'
    path = tmp_path / "c.json"
    path.write_text(text)
    for source in (text, str(path)):
        with pytest.raises(elex.ElexError) as e:
            elex.load_catalog(source)
        assert e.value.code == "INVALID_ARGUMENT" and 'duplicate member name "parameters"' in e.value.message
    assert elex.load_catalog('{"features": [{"code": "FAJ 121 0001", "name": "x"}, {"code": "FAJ 121 0002", "name": "y"}]}')


def test_a_kpi_formula_nested_deeper_than_the_monitor_stack_is_a_problem():
    def nest(n):
        return "A.pmX + (" * n + "A.pmX" + ")" * n

    def problems(formula):
        return elex.check_catalog(
            {"features": [{"code": "FAJ 121 0001", "counters": ["A.pmX"]}], "kpis": [{"name": "K", "formula": formula}]}
        )

    assert problems(nest(31)) == []
    assert problems(nest(32)) == [
        {
            "path": "$.kpis[0].formula",
            "message": f'KPI formula "{nest(32)}" is nested too deeply: evaluating it needs more than 32 values at once',
        }
    ]


def test_a_feature_code_that_is_there_but_malformed_is_not_reported_as_missing():
    assert elex.check_catalog({"features": [{}]}) == [
        {"path": "$.features[0].code", "message": 'is required: a feature code such as "FAJ 121 3094"'}
    ]
    for code in ("faj 121 3094", "FAJ-121-3094", "FAJ 121 3094 R2", "", 1213094, None):
        assert elex.check_catalog({"features": [{"code": code}]}) == [
            {
                "path": "$.features[0].code",
                "message": 'must be a feature code such as "FAJ 121 3094": 2 to 5 capitals, '
                'then groups of 2 to 4 and 2 to 5 digits, optionally "/n"',
            }
        ]


def test_ids_beyond_int32_are_not_taken_modulo_2_32(catalog):
    # A 36-bit NR cell identity (or any int64 id of 2^32 or more) was taken modulo
    # 2^32: cell 2^32 + 5 shared cell 5's cooldowns, and parameter index 2^32 + p
    # was validated as parameter p instead of UNKNOWN_PARAMETER.
    tables = catalog.validator_tables()
    n = len(tables[0])
    p = int(next(i for i in range(n) if not math.isnan(tables[2][i]) and tables[0][i] <= 1 and not math.isnan(tables[1][i])))
    lo = float(tables[1][p])
    one = np.array([lo])
    v = elex.ChangeValidator(catalog)
    r = v.validate_batch(np.array([p, 2**32 + p, -(2**32) + p], np.int64), np.full(3, lo), np.full(3, lo), 0.0, record=False)
    assert r.reason_names(0) != ["UNKNOWN_PARAMETER"]
    assert r.reason_names(1) == ["UNKNOWN_PARAMETER"] and r.reason_names(2) == ["UNKNOWN_PARAMETER"]
    assert v.validate_batch(np.array([p]), one, one, 0.0, cells=np.array([5])).verdicts[0] != 2
    with pytest.raises(elex.ElexError) as e:
        v.validate_batch(np.array([p, p]), np.full(2, lo), np.full(2, lo), 1.0, cells=np.array([7, 2**32 + 5], np.int64))
    assert e.value.code == "INVALID_ARGUMENT" and "change 1" in e.value.message and "2^31" in e.value.message
    assert list(v.cooldowns()["cell"]) == [5]  # the refused batch recorded nothing


def test_a_batch_over_the_engine_limit_says_so_and_monitor_splits_its_cells(catalog, tmp_path, monkeypatch):
    # A batch of more than 2^31 − 1 samples (120,000 cells × 200 counters × 96
    # periods: a whole network in one call) failed with "batch too large": no
    # limit, no sizes. evaluate() (one engine call) names both; Monitor.monitor()
    # runs the cells in slices under the limit, with the same results.
    counter = "EnergySavingFunction.pmEnhCarrierShutdownTime"
    P = 2**31  # one cell, one counter: a sparse file, never read
    path = tmp_path / "samples.f32"
    with open(path, "wb") as f:
        f.truncate(4 * P)
    data = np.memmap(path, np.float32, "r", shape=(1, 1, P))
    prog = catalog.kpi_programs([counter])
    with pytest.raises(elex.ElexError) as e:
        elex.evaluate(prog, data, elex.new_history(1, len(prog.names)))
    assert e.value.code == "INVALID_ARGUMENT"
    assert "1 cells × 1 counters × 2147483648 periods = 2147483648 samples" in e.value.message
    assert "2147483647" in e.value.message
    del data

    counters = counters_of(catalog, 12)
    x = pm_data(50, len(counters), 24, seed=4)
    cells = [f"c{i}" for i in range(50)]
    whole, sliced = elex.Monitor(catalog), elex.Monitor(catalog)
    want = [whole.monitor(cells, counters, x, per_period=True) for _ in range(2)]
    monkeypatch.setattr(elex, "_MAX_SAMPLES", 7 * len(counters) * 24)  # 7 cells a slice
    got = [sliced.monitor(cells, counters, x, per_period=True) for _ in range(2)]
    for a, b in zip(want, got):
        for f in ("values", "reasons", "nulls", "anomalies", "max_z", "breaches", "kpi_stats", "counter_stats"):
            assert np.array_equal(getattr(a, f), getattr(b, f), equal_nan=True), f
        assert a.missing_samples == b.missing_samples
    assert np.array_equal(whole.history(cells, counters), sliced.history(cells, counters))


def test_restored_cooldowns_are_not_taken_modulo_2_32(catalog):
    # restore_cooldowns() (and elex.dask.validate_batch(cooldowns=…)) cast the
    # table's columns to int32 with numpy's wrap-around: an int64 cell 2^32 + 5
    # became cell 5 and parameter 2^32 + p became p, so a cooldown landed on
    # another cell and rejected its next change as COOLDOWN; a float column was
    # truncated (cell 5.7 → 5) and a negative cell, which validate_batch()
    # refuses, was stored where no change could ever meet it.
    tables = catalog.validator_tables()
    n = len(tables[0])
    p = int(next(i for i in range(n) if not math.isnan(tables[2][i]) and tables[0][i] <= 1 and not math.isnan(tables[1][i])))
    lo = float(tables[1][p])
    one = np.array([lo])
    bad = [
        ({"parameter": np.array([p], np.int64), "cell": np.array([2**32 + 5], np.int64), "at": [1e6]}, "cell"),
        ({"parameter": np.array([p], np.int64), "cell": np.array([-5], np.int64), "at": [1e6]}, "cell"),
        ({"parameter": np.array([p, 2**32 + p], np.int64), "cell": np.array([1, 5], np.int64), "at": [1e6, 1e6]}, "parameter"),
        ({"parameter": np.array([p], np.int64), "cell": np.array([5.7]), "at": [1e6]}, "cell"),
        ({"parameter": np.array([float(p)]), "cell": np.array([5]), "at": [1e6]}, "parameter"),
    ]
    for table, column in bad:
        v = elex.ChangeValidator(catalog)
        with pytest.raises(elex.ElexError) as e:
            v.restore_cooldowns(table)
        assert e.value.code == "INVALID_ARGUMENT" and column in e.value.message, e.value.message
        assert len(v.cooldowns()) == 0  # nothing restored
        # cell 5's next change is not held by a cooldown of another cell
        assert "COOLDOWN" not in v.validate_batch(np.array([p]), one, one, 1e6 + 1, cells=np.array([5])).reason_names(0)
    # The same tables as the last run's cooldowns of elex.dask.validate_batch().
    import dask.dataframe as dd
    import pandas as pd

    import elex.dask as ed

    changes = dd.from_pandas(
        pd.DataFrame({"parameter": [p], "current": [lo], "proposed": [lo], "at": [1e6 + 1], "cell": [5]}, index=pd.Index([5], name="c")),
        npartitions=1,
    )
    for table, column in bad:
        with pytest.raises(elex.ElexError) as e:
            ed.validate_batch(catalog, changes, cooldowns=pd.DataFrame(table)).results.compute(scheduler="synchronous")
        assert e.value.code == "INVALID_ARGUMENT" and column in e.value.message, e.value.message
    # In range, int64 and unsigned columns are taken as they are.
    v = elex.ChangeValidator(catalog)
    v.restore_cooldowns({"parameter": np.array([p], np.uint64), "cell": np.array([2**31 - 1], np.int64), "at": [1e6]})
    assert list(v.cooldowns()["cell"]) == [2**31 - 1]


def test_a_kpi_named_twice_is_refused_before_the_batch_runs(catalog):
    # kpis=["X", "X"] ran the batch (its cells' history took it twice over) and
    # gave a result whose kpi_table() and alerts() raised pandas' "ValueError:
    # Categorical categories must be unique"; elex.dask.monitor's compute() failed
    # that way on the workers after each chunk's engine call.
    import dask.array as da

    import elex.dask as ed

    counters = counters_of(catalog, 20)
    k = catalog.kpi_programs(counters).names[0]
    cells = ["a", "b"]
    data = pm_data(2, len(counters), 4, seed=7)
    m = elex.Monitor(catalog)
    for call in (
        lambda: m.monitor(cells, counters, data, kpis=[k, k]).kpi_table(),
        lambda: catalog.kpi_programs(counters, [k, k]),
        lambda: ed.monitor(catalog, counters, da.from_array(data, chunks=(1, -1, -1)), cells, kpis=[k, k]),
    ):
        with pytest.raises(elex.ElexError) as e:
            call()
        assert e.value.code == "INVALID_ARGUMENT" and f'"{k}"' in e.value.message and "twice" in e.value.message
    assert m._hist == {}  # the refused batch left no history
    assert m.monitor(cells, counters, data, kpis=[k]).kpi_table().shape[0] == 2


def test_a_history_row_no_batch_could_have_left_is_refused(catalog):
    # set_history() (and elex.dask's history files) took any float64 rows: a NaN
    # count (a half-written night) switched the cell's anomalies off for good
    # (the count stayed NaN), a negative count or M2 gave z-scores of nothing.
    # The engine now refuses such a row, naming the cell and KPI, and the
    # Monitor's history is left as it was.
    counters = counters_of(catalog, 20)
    K = len(catalog.kpi_programs(counters).names)
    cells = ["a", "b"]
    data = pm_data(2, len(counters), 4, seed=3)
    for row, says in (([np.nan, 0, 0], "count"), ([-3, 1, 1], "count"), ([4, 1, -1], "M2"), ([4, np.inf, 1], "mean")):
        m = elex.Monitor(catalog)
        h = elex.new_history(2, K)
        h[1, K - 1] = row
        m.set_history(cells, counters, h)
        with pytest.raises(elex.ElexError) as e:
            m.monitor(cells, counters, data)
        names = catalog.kpi_programs(counters).names
        assert e.value.code == "INVALID_ARGUMENT" and f'cell "b", KPI "{names[K - 1]}"' in e.value.message and says in e.value.message
        np.testing.assert_array_equal(m.history(cells, counters), h)
        with pytest.raises(elex.ElexError):
            elex.evaluate(catalog.kpi_programs(counters), data, h.copy())


def test_a_thread_count_that_is_not_a_count_is_an_elex_error(catalog):
    # threads=-1 (a common "all cores" spelling) or 2.5 reached pybind11 and
    # failed with "TypeError: kpi_eval(): incompatible function arguments" and
    # the whole signature; Monitor(cat, threads=-1) was taken and failed at its
    # first batch (and elex.dask.monitor(threads=-1) on the workers).
    import dask.array as da

    import elex.dask as ed

    counters = counters_of(catalog, 10)
    data = pm_data(2, len(counters), 3, seed=5)
    prog = catalog.kpi_programs(counters)
    for bad in (-1, 2.5, "2", True, None):
        for call in (
            lambda: elex.Monitor(catalog, threads=bad),
            lambda: elex.evaluate(prog, data, elex.new_history(2, len(prog.names)), threads=bad),
            lambda: elex.row_stats(data[0], threads=bad),
            lambda: elex.build_info(threads=bad),
            lambda: ed.monitor(catalog, counters, da.from_array(data), ["a", "b"], threads=bad),
        ):
            with pytest.raises(elex.ElexError) as e:
                call()
            assert e.value.code == "INVALID_ARGUMENT" and "threads" in e.value.message, (bad, e.value.message)
    for good in (0, 1, np.int64(2)):
        assert elex.Monitor(catalog, threads=good).monitor(["a", "b"], counters, data).kpi_table().shape[0] > 0


def test_a_string_where_a_list_of_names_belongs_is_refused(catalog):
    # A string for cells, counters or kpis was read as its characters: a
    # 3-cell batch with cells="abc" ran as cells "a", "b", "c"; kpis="X" said
    # 'unknown KPI "<its first letter>"'; counters="Y" named one of its letters.
    import dask.array as da

    import elex.dask as ed

    counters = counters_of(catalog, 10)
    k = catalog.kpi_programs(counters).names[0]
    data = pm_data(3, len(counters), 4, seed=11)
    m = elex.Monitor(catalog)
    calls = [
        ("cells", lambda: m.monitor("abc", counters, data)),
        ("counters", lambda: m.monitor(["a", "b", "c"], counters[0], data[:, :1])),
        ("kpis", lambda: m.monitor(["a", "b", "c"], counters, data, kpis=k)),
        ("kpis", lambda: catalog.kpi_programs(counters, k)),
        ("counters", lambda: catalog.kpi_programs(counters[0])),
        ("cells", lambda: ed.monitor(catalog, counters, da.from_array(data), "abc")),
        ("kpis", lambda: ed.monitor(catalog, counters, da.from_array(data), ["a", "b", "c"], kpis=k)),
    ]
    for what, call in calls:
        with pytest.raises(elex.ElexError) as e:
            call()
        assert e.value.code == "INVALID_ARGUMENT" and what in e.value.message and "string" in e.value.message, e.value.message
    assert m._hist == {}


def test_numpy_numbers_in_a_catalog_dict_are_numbers():
    # A catalog built in Python from pandas rows holds numpy scalars: an
    # np.float64 was taken (a float subclass) but np.int64(10) or
    # np.float32(0.5) was "must be a finite number" / "must be [min, max]: an
    # array of two finite numbers", which they are. numpy booleans stay refused
    # as numbers, as Python's are.
    def cat(lo, hi, thr):
        return {
            "features": [{"code": "FAJ 121 0001", "parameters": ["A.b"], "counters": ["C.x"], "kpis": ["K"]}],
            "parameters": [{"name": "A.b", "type": "int", "range": [lo, hi], "safe": {"min": lo, "max": hi, "maxChange": hi, "cooldownS": hi}}],
            "counters": [{"name": "C.x"}],
            "kpis": [{"name": "K", "formula": "C.x / 900", "threshold": thr}],
        }

    for lo, hi, thr in ((np.int64(0), np.int64(10), np.float32(0.5)), (np.int32(0), np.uint16(10), np.float64(0.5)), (0, 10, 0.5)):
        assert elex.check_catalog(cat(lo, hi, thr)) == []
        c = elex.load_catalog(cat(lo, hi, thr))
        v = elex.ChangeValidator(c)
        r = v.validate_batch(np.array([0]), np.array([1]), np.array([20]), 0.0)
        assert "OUTSIDE_ABSOLUTE_RANGE" in r.reason_names(0)  # the range 0 … 10 holds
    for bad in (np.bool_(True), np.float64("nan"), np.float32("inf")):
        assert [p["path"] for p in elex.check_catalog(cat(0, 10, bad))] == ["$.kpis[0].threshold"]


def test_an_infinite_sample_is_refused_naming_the_cell_counter_and_period(catalog):
    # A counter value beyond float32 (a float64 1e39 cast to float32, or inf in
    # the data) was taken: its KPIs' mean, min and max came back inf or NaN with
    # a count of every period, and the value counted nowhere in the history. Now
    # INVALID_ARGUMENT naming the cell id, counter name and period (as elex-cli
    # and the browser's monitor() do), and the history as it was.
    counters = counters_of(catalog, 12)
    cells = [f"c{i}" for i in range(5)]
    m = elex.Monitor(catalog)
    m.monitor(cells, counters, pm_data(5, len(counters), 8, seed=5))
    before = m.history(cells, counters)
    for bad in (np.float64(1e39), np.inf, -np.inf):
        x = pm_data(5, len(counters), 8, seed=6)
        with np.errstate(over="ignore"):  # 1e39 as float32 is inf
            x[3, 7, 2] = bad
        x[4, 0, 0] = np.inf
        with pytest.raises(elex.ElexError) as e:
            m.monitor(cells, counters, x)
        sign = "-" if bad < 0 else "+"
        assert e.value.code == "INVALID_ARGUMENT"
        assert e.value.message == (
            f'cell "c3", counter "{counters[7]}", period 2: the sample is {sign}inf; '
            "samples are finite float32 numbers (NaN = missing)"
        ), e.value.message
        np.testing.assert_array_equal(m.history(cells, counters), before)
        # One engine call names positions; the history it was given is unchanged.
        h = before.copy()
        with pytest.raises(elex.ElexError) as e:
            elex.evaluate(catalog.kpi_programs(counters), x, h, threads=2)
        assert "cell 3, counter 7, period 2: the sample is " in e.value.message
        np.testing.assert_array_equal(h, before)
    # The largest float32 is a sample like any other.
    x = pm_data(5, len(counters), 8, seed=6)
    x[0, 0, 0] = np.finfo(np.float32).max
    m.monitor(cells, counters, x)


def test_a_batch_in_slices_that_fails_in_a_later_slice_leaves_the_history_as_it_was(catalog, monkeypatch):
    # A batch over the engine's limit runs in slices of cells. When a later
    # slice failed (an infinite sample, a bad history row), the earlier slices
    # had already updated the Monitor's history in place: the call raised, yet
    # half of the cells had the batch in their history. Now all or nothing.
    counters = counters_of(catalog, 12)
    cells = [f"c{i}" for i in range(30)]
    monkeypatch.setattr(elex, "_MAX_SAMPLES", 7 * len(counters) * 8)  # 7 cells a slice
    m = elex.Monitor(catalog)
    m.monitor(cells, counters, pm_data(30, len(counters), 8, seed=1))
    before = m.history(cells, counters)
    x = pm_data(30, len(counters), 8, seed=2)
    x[25, 3, 1] = np.inf  # in the fourth slice
    with pytest.raises(elex.ElexError) as e:
        m.monitor(cells, counters, x)
    assert e.value.message.startswith('cell "c25"'), e.value.message
    np.testing.assert_array_equal(m.history(cells, counters), before)
    # A bad history row in a later slice: refused, the earlier slices' rows untouched.
    h = before.copy()
    h[20, 0] = [np.nan, 0, 0]
    m.set_history(cells, counters, h)
    with pytest.raises(elex.ElexError):
        m.monitor(cells, counters, pm_data(30, len(counters), 8, seed=3))
    np.testing.assert_array_equal(m.history(cells, counters), h)
    # And the same batch without the bad sample runs as one call would.
    one = elex.Monitor(catalog)
    one.monitor(cells, counters, pm_data(30, len(counters), 8, seed=1))
    m.set_history(cells, counters, before)
    x[25, 3, 1] = 5
    monkeypatch.setattr(elex, "_MAX_SAMPLES", 2**31 - 1)
    want = one.monitor(cells, counters, x)
    monkeypatch.setattr(elex, "_MAX_SAMPLES", 7 * len(counters) * 8)
    got = m.monitor(cells, counters, x)
    assert np.array_equal(want.kpi_stats, got.kpi_stats, equal_nan=True)
    np.testing.assert_array_equal(m.history(cells, counters), one.history(cells, counters))


def test_times_that_are_not_numbers_are_elex_errors(catalog):
    # validate_batch(at=["x"]) and restore_cooldowns() of a table whose "at"
    # column held strings failed with numpy's ValueError ("could not convert
    # string to float"), and times written as strings of digits ran as numbers,
    # where the browser's validate() refuses an `at` that is not a number.
    v = elex.ChangeValidator(catalog)
    p = v.parameter_indexes(["SectorCarrier.caConfigMinInterval"])
    for at in (np.array(["x"]), ["0"], np.array([True])):
        with pytest.raises(elex.ElexError) as e:
            v.validate_batch(p, [1000.0], [1001.0], at)
        assert e.value.code == "INVALID_ARGUMENT" and "at must be" in e.value.message, e.value.message
    for at in (["x"], ["0"]):
        with pytest.raises(elex.ElexError) as e:
            v.restore_cooldowns({"parameter": np.array([0]), "cell": np.array([0]), "at": at})
        assert e.value.code == "INVALID_ARGUMENT" and "the at column" in e.value.message, e.value.message
    assert v.cooldowns().empty
    r = v.validate_batch(p, [1000.0], [1001.0], np.array([5], np.int64))
    assert r.verdicts.tolist() == [0]


def test_arguments_of_the_wrong_type_are_elex_errors(catalog):
    # A wrong type reached Python or pybind11 as it was: parse_formula(None) and
    # row_stats("x") a TypeError listing the extension's signature,
    # Monitor(None) / ChangeValidator(None) / evaluate(None, …) an
    # AttributeError, kpi_programs(None) / parameter_indexes(None) a TypeError
    # ("'NoneType' object is not iterable"). The docs promise ElexError.
    data = np.zeros((1, 1, 1), np.float32)
    cases = [
        (lambda: elex.parse_formula(None), "formula"),
        (lambda: elex.parse_formula(5), "formula"),
        (lambda: elex.row_stats("x"), "data"),
        (lambda: elex.row_stats(np.array([["a"]], dtype=object)), "data"),
        (lambda: elex.Monitor(None), "catalog"),
        (lambda: elex.ChangeValidator({"features": []}), "catalog"),
        (lambda: elex.evaluate(None, data, np.zeros((1, 0, 3))), "programs"),
        (lambda: catalog.kpi_programs(None), "counters"),
        (lambda: catalog.kpi_programs(5), "counters"),
        (lambda: catalog.parameter_indexes(None), "names"),
        (lambda: elex.Monitor(catalog).monitor(None, ["x"], data), "cells"),
    ]
    for call, says in cases:
        with pytest.raises(elex.ElexError) as e:
            call()
        assert e.value.code == "INVALID_ARGUMENT" and says in e.value.message, e.value.message
    assert elex.row_stats([[1, 2]]).tolist() == [[2, 3, 1.5, 1, 2]]


def test_flags_that_are_not_booleans_are_refused_as_the_browser_refuses_them(catalog):
    # per_period="no" ran with per-period arrays (any non-empty string is true)
    # and record="no" recorded the changes' cooldowns, where the browser's
    # monitor() and validateBatch() refuse a perPeriod / record that is not a
    # boolean. numpy booleans are booleans.
    counters = counters_of(catalog, 6)
    data = pm_data(1, len(counters), 4, seed=2)
    m = elex.Monitor(catalog)
    v = elex.ChangeValidator(catalog)
    p = v.parameter_indexes(["SectorCarrier.caConfigMinInterval"])
    for flag in ("no", 1, None, np.int64(0)):
        with pytest.raises(elex.ElexError) as e:
            m.monitor(["a"], counters, data, per_period=flag)
        assert e.value.code == "INVALID_ARGUMENT" and "per_period must be a boolean" in e.value.message
        with pytest.raises(elex.ElexError) as e:
            v.validate_batch(p, [1000.0], [1001.0], 0, record=flag)
        assert e.value.code == "INVALID_ARGUMENT" and "record must be a boolean" in e.value.message
    assert v.cooldowns().empty
    assert m.history(["a"], counters).sum() == 0
    assert m.monitor(["a"], counters, data, per_period=np.bool_(True)).values is not None
    v.validate_batch(p, [1000.0], [1001.0], 0, record=np.bool_(False))
    assert v.cooldowns().empty


def test_set_history_refuses_a_cell_twice_and_rows_that_are_not_numbers(catalog):
    # set_history(["a", "a"], …) stored the second row over the first without a
    # word (which was meant?), and rows of strings raised numpy's ValueError.
    counters = counters_of(catalog, 6)
    K = len(catalog.kpi_programs(counters).names)
    m = elex.Monitor(catalog)
    h = np.zeros((2, K, 3))
    h[0, :, 0], h[1, :, 0] = 3, 5
    with pytest.raises(elex.ElexError) as e:
        m.set_history(["a", "a"], counters, h)
    assert e.value.code == "INVALID_ARGUMENT" and '"a"' in e.value.message, e.value.message
    assert m.history(["a"], counters).sum() == 0
    with pytest.raises(elex.ElexError) as e:
        m.set_history(["a"], counters, np.full((1, K, 3), "x"))
    assert e.value.code == "INVALID_ARGUMENT" and "numbers" in e.value.message, e.value.message
    m.set_history(["a", "b"], counters, h)
    assert m.history(["b", "a"], counters)[:, 0, 0].tolist() == [5, 3]


def test_history_calls_refuse_counters_that_are_not_in_the_catalog(catalog):
    # history(cells, ["Nope.x"]) gave an empty (cells × 0 × 3) history and
    # set_history() stored rows under a KPI set no batch could use, without a
    # word, where monitor() refuses such a counter.
    counters = counters_of(catalog, 6)
    K = len(catalog.kpi_programs(counters).names)
    m = elex.Monitor(catalog)
    for call in (
        lambda: m.history(["a"], [*counters, "Nope.pmTypo"]),
        lambda: m.set_history(["a"], [*counters, "Nope.pmTypo"], np.zeros((1, K, 3))),
    ):
        with pytest.raises(elex.ElexError) as e:
            call()
        assert e.value.code == "INVALID_ARGUMENT" and '"Nope.pmTypo"' in e.value.message, e.value.message
    assert m.history(["a"], counters).shape == (1, K, 3)


def test_a_catalog_saved_as_utf16_says_so_as_elex_cli_does(tmp_path):
    # A catalog saved as UTF-16 ("Unicode" in Windows editors) was "is not
    # UTF-8 JSON: invalid UTF-8 at byte 0"; elex-cli names the encoding and
    # how to convert it. Now the same words.
    for bom, enc in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        path = tmp_path / "u16.json"
        path.write_bytes(bom + '{"features": []}'.encode(enc))
        with pytest.raises(elex.ElexError) as e:
            elex.load_catalog(str(path))
        mark = " ".join(f"{b:02X}" for b in bom)
        assert e.value.code == "INVALID_ARGUMENT"
        assert e.value.message == (
            f"{path}: UTF-16 text (a byte order mark {mark}); ELEX reads UTF-8 (iconv -f UTF-16 -t UTF-8 converts it)"
        ), e.value.message
