"""ELEX in Python: the engine's KPI monitor and change validator (the same C++
core as the browser's wasm build, compiled natively) over numpy arrays, and
``elex.dask`` to run them over a Dask cluster.

    import elex
    cat = elex.load_catalog("catalog.json")
    mon = elex.Monitor(cat)
    r = mon.monitor(cells, counters, data)      # data: cells × counters × periods float32
    r.kpi_table(), r.alerts()

Results are bit-identical to the browser's ``engine.monitor()`` and
``engine.validateBatch()`` for the same input (tests/ts/python-parity.test.ts).
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass, field

import numpy as np

import _elex_core as _core

from .catalog import Catalog, KpiPrograms, _names, check_catalog, load_catalog
from .errors import ERROR_CODES, ElexError

__all__ = [
    "Catalog",
    "ChangeValidator",
    "ElexError",
    "ERROR_CODES",
    "KpiPrograms",
    "Monitor",
    "MonitorResult",
    "ValidationResult",
    "VALIDATION_REASONS",
    "VERDICTS",
    "build_info",
    "check_catalog",
    "evaluate",
    "load_catalog",
    "parse_formula",
    "row_stats",
]

#: Reason bits of validate_batch(): bit i stands for VALIDATION_REASONS[i]
#: (ts/host/ran-ops.ts). The first six reject, the last two warn.
VALIDATION_REASONS = (
    "UNKNOWN_PARAMETER",
    "WRONG_TYPE",
    "NOT_FINITE",
    "OUTSIDE_ABSOLUTE_RANGE",
    "CHANGE_TOO_LARGE",
    "COOLDOWN",
    "OUTSIDE_SAFE_RANGE",
    "NO_BOUNDS",
)
#: Verdict codes: 0 ok, 1 warn, 2 reject.
VERDICTS = ("ok", "warn", "reject")
#: Null reasons of per-period KPI values: 0 ok, 1 a counter sample missing, 2 division by zero.
NULL_REASONS = ("ok", "missing", "division_by_zero")

_RECORD = 1
#: The most samples (cells × counters × periods) and KPI values (cells × KPIs ×
#: periods) of one engine call; Monitor.monitor() runs a larger batch in slices of cells.
_MAX_SAMPLES = 2**31 - 1


def _threads(threads) -> int:
    """An engine thread count: an integer ≥ 0 (0 and 1: one thread; the pool
    caps larger ones). Anything else is INVALID_ARGUMENT here, where it reached
    pybind11 as a TypeError listing the extension's whole signature."""
    if isinstance(threads, (int, np.integer)) and not isinstance(threads, (bool, np.bool_)) and 0 <= threads <= 0xFFFFFFFF:
        return int(threads)
    raise ElexError("INVALID_ARGUMENT", f"threads must be an integer from 0 to 4294967295, got {threads!r}")


def build_info(threads: int = 1) -> dict:
    """The engine build: ABI, version, variant ("native"), kernel (e.g. "sse2")."""
    import json

    return json.loads(_core.build_info(_threads(threads)))


def parse_formula(formula: str) -> list:
    """A KPI formula in postfix order: ("num", x) | ("counter", name) | ("op", "+", "-", "*", "/" or "neg")."""
    if not isinstance(formula, str):
        raise ElexError("INVALID_ARGUMENT", f"a KPI formula must be a string, got {formula!r}")
    return _core.parse_formula(formula)


def row_stats(data, threads: int = 1) -> np.ndarray:
    """Per row of a rows × periods float32 array, NaN skipped: count, sum, mean, min, max."""
    if data is not None and np.asarray(data).dtype.kind not in "iuf":
        raise ElexError("INVALID_ARGUMENT", f"data must be an array of numbers, not {np.asarray(data).dtype}")
    return _core.row_stats(data, _threads(threads))


def _flag(x, what: str) -> bool:
    """A boolean option (Python's or numpy's), as the browser takes perPeriod and
    record: "no" or 1 is INVALID_ARGUMENT, not truthy."""
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    raise ElexError("INVALID_ARGUMENT", f"{what} must be a boolean, got {x!r}")


def _catalog(catalog) -> Catalog:
    """A loaded Catalog, or INVALID_ARGUMENT (a dict or path must go through load_catalog() first)."""
    if not isinstance(catalog, Catalog):
        raise ElexError("INVALID_ARGUMENT", f"catalog must be elex.load_catalog(…), got {type(catalog).__name__}")
    return catalog


def _alerting(z_threshold, min_history) -> tuple[float, int]:
    """z_threshold and min_history checked as the browser's monitor() checks them
    (the kernel would take NaN as "never an anomaly", a negative threshold as
    "always", and min_history as a uint32)."""
    real = (int, float, np.integer, np.floating)
    if not isinstance(z_threshold, real) or isinstance(z_threshold, bool) or not (
        math.isfinite(z_threshold) and z_threshold >= 0
    ):
        raise ElexError("INVALID_ARGUMENT", f"z_threshold must be a finite number ≥ 0, got {z_threshold!r}")
    if (
        not isinstance(min_history, real)
        or isinstance(min_history, bool)
        or not math.isfinite(min_history)
        or min_history != int(min_history)
        or not 0 <= min_history <= 0xFFFFFFFF
    ):
        raise ElexError("INVALID_ARGUMENT", f"min_history must be an integer from 0 to 4294967295, got {min_history!r}")
    return float(z_threshold), int(min_history)


def evaluate(
    programs: KpiPrograms,
    data,
    history: np.ndarray,
    *,
    z_threshold: float = 3.0,
    min_history: int = 8,
    per_period: bool = False,
    threads: int = 1,
    counter_stats: bool = True,
) -> dict:
    """One engine call (monitor.h evaluate): ``data`` cells × counters × periods
    float32 (used in place when C-ordered float32), ``history`` cells × kpis × 3
    float64 (count, mean, M2 per cell and KPI), updated in place. Returns the
    arrays: values, reasons (per_period), anomalies, max_z, breaches, nulls,
    kpi_stats, counter_stats (None with ``counter_stats=False``: the engine still
    computes them, for the KPIs, but does not write them out)."""
    if not isinstance(programs, KpiPrograms):
        raise ElexError("INVALID_ARGUMENT", f"programs must be catalog.kpi_programs(counters), got {type(programs).__name__}")
    z_threshold, min_history = _alerting(z_threshold, min_history)
    return _core.kpi_eval(
        programs.ops,
        programs.offsets,
        programs.consts,
        programs.thresholds,
        programs.directions,
        data,
        history,
        float(z_threshold),
        int(min_history),
        _flag(per_period, "per_period"),
        _threads(threads),
        _flag(counter_stats, "counter_stats"),
    )


def _name_positions(e: ElexError, data, cells, counters, kpis, first_cell: int = 0) -> ElexError:
    """The engine's refusal of an infinite sample or of a history row (it names
    positions in its call: ``first_cell`` is the call's first cell in
    ``cells``) naming the batch's cell id, counter or KPI name and period
    instead, as elex-cli and the browser do; any other error as it is."""
    if e.code != "INVALID_ARGUMENT":
        return e
    row = re.search(r"\bhistory of cell (\d+), KPI (\d+)", e.message)
    if row is not None and first_cell + int(row.group(1)) < len(cells) and int(row.group(2)) < len(kpis):
        named = f'history of cell "{cells[first_cell + int(row.group(1))]}", KPI "{kpis[int(row.group(2))]}"'
        return ElexError(e.code, e.message.replace(row.group(0), named, 1))
    bad = np.flatnonzero(np.isinf(np.asarray(data).reshape(-1)))
    if bad.size == 0:
        return e
    n, P = data.shape[1], data.shape[2]
    c, k, t = np.unravel_index(int(bad[0]), (data.shape[0], n, P))
    return ElexError(
        "INVALID_ARGUMENT",
        f'cell "{cells[first_cell + c]}", counter "{counters[k]}", period {t}: the sample is '
        f'{"+inf" if np.asarray(data)[c, k, t] > 0 else "-inf"}; samples are finite float32 numbers (NaN = missing)',
    )


def new_history(cells: int, kpis: int) -> np.ndarray:
    """An empty history (no values seen yet) for cells × kpis."""
    return np.zeros((cells, kpis, 3), np.float64)


@dataclass
class MonitorResult:
    """KPIs, statistics and alerts of a monitor batch, per cell and KPI, in the batch's cell order."""

    cells: list
    kpis: tuple
    counters: list
    periods: int
    #: cells × kpis × periods float32 (NaN where null) and uint8 null reasons; None unless per_period.
    values: np.ndarray | None
    reasons: np.ndarray | None
    #: cells × kpis × 2: null values for a missing sample, for a division by zero.
    nulls: np.ndarray
    #: cells × kpis: anomalous periods against the cell's history, the largest |z|.
    anomalies: np.ndarray
    max_z: np.ndarray
    #: cells × kpis: periods on the wrong side of the catalog threshold.
    breaches: np.ndarray
    #: cells × kpis × 5 and cells × counters × 5: count, sum, mean, min, max (nulls skipped).
    kpi_stats: np.ndarray
    counter_stats: np.ndarray
    #: Missing counter samples in the batch.
    missing_samples: int
    thresholds: np.ndarray = field(repr=False)
    directions: np.ndarray = field(repr=False)

    def kpi_table(self):
        """A pandas DataFrame, one row per (cell, KPI): cell and kpi (categoricals),
        count, sum, mean, min, max, breaches, anomalies, max_z, nulls_missing,
        nulls_division_by_zero."""
        return kpi_table(self.cells, self.kpis, self)

    def alerts(self):
        """A pandas DataFrame of alerts as the browser lists them: a threshold alert
        per (cell, KPI) with breaches (worst: min or max by direction), an anomaly
        alert per (cell, KPI) with anomalies (worst: the largest |z|)."""
        return alerts_table(self.cells, self.kpis, self)


def kpi_table(cells, kpis, r):
    import pandas as pd

    C, K = len(cells), len(kpis)
    st = r.kpi_stats.reshape(C * K, 5)
    # Cell and KPI as categoricals: codes, not a Python string per row.
    return pd.DataFrame(
        {
            "cell": _categorical(np.repeat(np.arange(C, dtype=_code_dtype(C)), K), cells),
            "kpi": _categorical(np.tile(np.arange(K, dtype=_code_dtype(K)), C), kpis),
            "count": st[:, 0],
            "sum": st[:, 1],
            "mean": st[:, 2],
            "min": st[:, 3],
            "max": st[:, 4],
            "breaches": r.breaches.reshape(-1),
            "anomalies": r.anomalies.reshape(-1),
            "max_z": r.max_z.reshape(-1),
            "nulls_missing": r.nulls[..., 0].reshape(-1),
            "nulls_division_by_zero": r.nulls[..., 1].reshape(-1),
        }
    )


def _code_dtype(n):
    """The integer type pandas keeps the codes of n categories in: codes made in
    it are not converted (a copy of every row, 1 ms a chunk of 1,000 cells)."""
    return np.int8 if n < 127 else np.int16 if n < 32767 else np.int32 if n < 2**31 - 1 else np.int64


def _categorical(codes, categories):
    import pandas as pd

    categories = pd.Index(list(categories), dtype=object)
    return pd.Categorical.from_codes(codes.astype(_code_dtype(len(categories)), copy=False), categories=categories)


def alerts_table(cells, kpis, r):
    import pandas as pd

    K = len(kpis)
    cells = np.asarray(cells, dtype=object)
    kp = np.asarray(kpis, dtype=object)
    br = r.breaches.reshape(-1)
    an = r.anomalies.reshape(-1)
    st = r.kpi_stats.reshape(-1, 5)
    mz = r.max_z.reshape(-1)
    tb = np.flatnonzero(br > 0)
    ta = np.flatnonzero(an > 0)
    k_b = tb % K
    lower = np.asarray(r.directions)[k_b] < 0
    worst_b = np.where(lower, st[tb, 4], st[tb, 3]).astype(np.float64)
    ck = np.concatenate([tb, ta])
    kind = np.concatenate([np.zeros(len(tb), np.int8), np.ones(len(ta), np.int8)])
    # In the browser's order: cell by cell, KPI by KPI, threshold before anomaly
    # (a stable sort of the two sorted runs: thresholds first where equal).
    order = np.argsort(ck, kind="stable")
    ck, kind = ck[order], kind[order]
    return pd.DataFrame(
        {
            "cell": _categorical(ck // K if K else ck, cells),
            "kpi": _categorical(ck % K if K else ck, kp),
            "kind": _categorical(kind, ("threshold", "anomaly")),
            "periods": np.concatenate([br[tb], an[ta]]).astype(np.int64)[order],
            "worst": np.concatenate([worst_b, mz[ta].astype(np.float64)])[order],
            "threshold": np.concatenate(
                [np.asarray(r.thresholds, np.float64)[k_b], np.full(len(ta), np.nan)]
            )[order],
        }
    )


class Monitor:
    """KPI monitoring over a catalog with per-cell history, as a browser engine
    keeps it: for each KPI set, each cell's (count, mean, M2) per KPI over every
    value of earlier batches; a value with |z| > z_threshold against the history
    before its batch (at least min_history values) is an anomaly. ``history()``
    and ``set_history()`` move it in and out (elex.dask keeps it that way between
    nightly runs). Threads sharing a Monitor take turns on it, a batch at a time
    (the history a batch reads and writes is the Monitor's)."""

    def __init__(self, catalog: Catalog, threads: int = 1):
        self.catalog = _catalog(catalog)
        self.threads = _threads(threads)
        self._hist: dict = {}  # KPI-set key -> {cell: row}, rows array
        self._lock = threading.Lock()

    def __getstate__(self):
        with self._lock:
            state = dict(self.__dict__)
        del state["_lock"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def _check(self, cells, counters, data, kpis):
        if not isinstance(cells, (list, tuple)) or not cells or not all(isinstance(c, str) and c for c in cells):
            raise ElexError("INVALID_ARGUMENT", "cells must be a non-empty list of cell ids")
        if len(set(cells)) != len(cells):
            raise ElexError("INVALID_ARGUMENT", "cell ids must be unique (a duplicate was found)")
        if not isinstance(counters, (list, tuple)) or not counters:
            raise ElexError("INVALID_ARGUMENT", "counters must be a non-empty list of names")
        if len(set(counters)) != len(counters):
            raise ElexError("INVALID_ARGUMENT", "counter names must be unique (a duplicate was found)")
        unknown = [c for c in counters if c not in self.catalog.counters]
        if unknown:
            raise ElexError(
                "INVALID_ARGUMENT", f'{len(unknown)} counter(s) are not in the catalog, e.g. "{unknown[0]}"'
            )
        data = np.asarray(data)
        if data.dtype != np.float32:
            raise ElexError("INVALID_ARGUMENT", "data must be a float32 array")
        if data.ndim != 3 or data.shape[0] != len(cells) or data.shape[1] != len(counters) or data.shape[2] < 1:
            raise ElexError(
                "DIMENSION_MISMATCH",
                f"data has shape {data.shape}, not {len(cells)} cells × {len(counters)} counters × periods",
            )
        for k in kpis or []:
            if k not in self.catalog.kpis:
                raise ElexError("NOT_FOUND", f'unknown KPI "{k}"')
        return data

    def _known(self, counters) -> None:
        """Counters of the catalog, as monitor() takes them: a history under others is no batch's."""
        unknown = [c for c in _names(counters, "counters") if c not in self.catalog.counters]
        if unknown:
            raise ElexError(
                "INVALID_ARGUMENT", f'{len(unknown)} counter(s) are not in the catalog, e.g. "{unknown[0]}"'
            )

    @staticmethod
    def _key(counters, kpis):
        return "\x01".join(counters) + "\x02" + ("*" if kpis is None else "\x01".join(kpis))

    def history(self, cells, counters, kpis=None) -> np.ndarray:
        """A copy of the history rows of ``cells`` (zeros for cells never seen): cells × kpis × 3."""
        _names(cells, "cells")
        self._known(counters)
        prog = self.catalog.kpi_programs(counters, kpis)
        out = new_history(len(cells), len(prog.names))
        with self._lock:
            st = self._hist.get(self._key(counters, kpis))
            if st:
                for i, c in enumerate(cells):
                    r = st["rows"].get(c)
                    if r is not None:
                        out[i] = st["data"][r]
        return out

    def set_history(self, cells, counters, history, kpis=None) -> None:
        """Stores history rows (cells × kpis × 3, as history() gives them) for ``cells``."""
        _names(cells, "cells")
        seen: set = set()
        for c in cells:
            if c in seen:
                raise ElexError("INVALID_ARGUMENT", f'cell "{c}" is given twice: which row is its history?')
            seen.add(c)
        self._known(counters)
        prog = self.catalog.kpi_programs(counters, kpis)
        history = np.asarray(history)
        if history.dtype.kind not in "iuf":
            raise ElexError("INVALID_ARGUMENT", f"history rows must be numbers (count, mean, M2), not {history.dtype}")
        history = history.astype(np.float64, copy=False)
        if history.shape != (len(cells), len(prog.names), 3):
            raise ElexError("DIMENSION_MISMATCH", f"history must be {len(cells)} × {len(prog.names)} × 3")
        with self._lock:
            st = self._store(self._key(counters, kpis), cells, len(prog.names))
            for i, c in enumerate(cells):
                st["data"][st["rows"][c]] = history[i]

    def _store(self, key, cells, K):
        st = self._hist.setdefault(key, {"rows": {}, "data": np.zeros((0, K, 3))})
        for c in cells:
            if c not in st["rows"]:
                st["rows"][c] = len(st["rows"])
        if len(st["rows"]) > st["data"].shape[0]:
            grown = np.zeros((max(len(st["rows"]), 2 * st["data"].shape[0]), K, 3))
            grown[: st["data"].shape[0]] = st["data"]
            st["data"] = grown
        return st

    def monitor(
        self,
        cells,
        counters,
        data,
        kpis=None,
        *,
        z_threshold: float = 3.0,
        min_history: int = 8,
        per_period: bool = False,
    ) -> MonitorResult:
        """KPIs, statistics and alerts for a batch (the browser's engine.monitor()):
        ``data`` cells × counters × periods float32, NaN = missing sample. The
        cells' history is read before and updated after the batch."""
        cells, counters = list(_names(cells, "cells")), list(_names(counters, "counters"))
        _names(kpis, "kpis")
        data = self._check(cells, counters, data, kpis)
        prog = self.catalog.kpi_programs(counters, kpis)
        K = len(prog.names)
        z_threshold, min_history = _alerting(z_threshold, min_history)
        per_period = _flag(per_period, "per_period")
        # The batch reads and writes its cells' rows of the Monitor's history, in
        # place when it can: one batch at a time (another one's growing the table
        # would leave this one's update in the array it replaced).
        with self._lock:
            st = self._store(self._key(counters, kpis), cells, K)
            rows = np.fromiter((st["rows"][c] for c in cells), dtype=np.int64, count=len(cells))
            # The engine takes at most _MAX_SAMPLES samples (and KPI values) a
            # call: a larger batch runs in slices of cells, its results joined.
            per = max(1, _MAX_SAMPLES // (max(len(counters), K, 1) * data.shape[2]))
            # One engine call leaves the history as it was when it fails; slices
            # work on a copy, stored once every slice has run (all or nothing).
            in_place = len(cells) <= per and np.array_equal(rows, np.arange(len(cells)))
            hist = st["data"][: len(cells)] if in_place else np.ascontiguousarray(st["data"][rows])
            parts = []
            for a in range(0, len(cells), per):
                try:
                    parts.append(
                        evaluate(
                            prog,
                            data[a : a + per],
                            hist[a : a + per],
                            z_threshold=z_threshold,
                            min_history=min_history,
                            per_period=per_period,
                            threads=self.threads,
                        )
                    )
                except ElexError as e:
                    raise _name_positions(e, data[a : a + per], cells, counters, prog.names, a) from None
            r = parts[0] if len(parts) == 1 else {k: None if parts[0][k] is None else np.concatenate([x[k] for x in parts]) for k in parts[0]}
            if not in_place:
                st["data"][rows] = hist
        return _result(cells, counters, data.shape[2], prog, r)


def _result(cells, counters, periods, prog, r) -> MonitorResult:
    missing = int(np.sum(periods - r["counter_stats"][..., 0].astype(np.int64)))
    return MonitorResult(
        cells=cells,
        kpis=prog.names,
        counters=counters,
        periods=periods,
        values=r["values"],
        reasons=r["reasons"],
        nulls=r["nulls"],
        anomalies=r["anomalies"],
        max_z=r["max_z"],
        breaches=r["breaches"],
        kpi_stats=r["kpi_stats"],
        counter_stats=r["counter_stats"],
        missing_samples=missing,
        thresholds=prog.thresholds,
        directions=prog.directions,
    )


@dataclass
class ValidationResult:
    """validate_batch(): per change a verdict (0 ok, 1 warn, 2 reject) and reason bits."""

    verdicts: np.ndarray  # uint8
    reasons: np.ndarray  # uint16, bit i = VALIDATION_REASONS[i]
    counts: dict
    max_recorded_at: float

    def reason_names(self, i: int) -> list:
        bits = int(self.reasons[i])
        return [VALIDATION_REASONS[b] for b in range(len(VALIDATION_REASONS)) if bits >> b & 1]


class ChangeValidator:
    """Parameter-change validation over a catalog (the browser's validateBatch()):
    types, absolute and safe ranges, step sizes, cooldowns per (parameter, cell)
    kept between calls."""

    def __init__(self, catalog: Catalog):
        self.catalog = _catalog(catalog)
        kinds, bounds, cool = catalog.validator_tables()
        self._v = _core.Validator(kinds, bounds, cool)

    def parameter_indexes(self, names) -> np.ndarray:
        return self.catalog.parameter_indexes(names)

    def validate_batch(self, parameters, current, proposed, at, cells=None, *, record: bool = True) -> ValidationResult:
        """Typed columns: ``parameters`` catalog indexes (int32; -1 or out of range:
        UNKNOWN_PARAMETER), ``current`` / ``proposed`` numbers (float or integer arrays), ``at`` one time in ms or
        one per change, ``cells`` int ids in 0 … 2^31 − 1 for cooldowns (default: all
        on cell 0). Accepted changes are recorded for later cooldowns unless
        record=False."""
        record = _flag(record, "record")
        p = _as_int32(parameters, "parameters")
        cur = np.asarray(current)
        pro = np.asarray(proposed)
        # Numbers: floats, or integers (an int parameter's values; exact up to
        # 2^53, as doubles), not booleans, strings or objects.
        if cur.dtype.kind not in "fiu" or pro.dtype.kind not in "fiu":
            raise ElexError("INVALID_ARGUMENT", "current and proposed must be arrays of numbers (float or integer)")
        if cur.shape != p.shape or pro.shape != p.shape:
            raise ElexError("DIMENSION_MISMATCH", f"current and proposed hold one value per change ({p.size})")
        if (isinstance(at, (int, float, np.integer, np.floating)) and not isinstance(at, bool)) or (
            isinstance(at, np.ndarray) and at.ndim == 0 and at.dtype.kind in "iuf"
        ):
            # One time for the batch: a Python or numpy number, or a 0-d array.
            at = float(at)
            if not math.isfinite(at):
                raise ElexError("INVALID_ARGUMENT", "at must be a finite time in ms")
        else:
            at = np.asarray(at)
            # Times are numbers, as validate() takes them: strings (even of digits)
            # and booleans are refused, not converted.
            if at.dtype.kind not in "iuf":
                raise ElexError("INVALID_ARGUMENT", f"at must be a time in ms or an array of them (numbers), not {at.dtype}")
            at = at.astype(np.float64, copy=False)
        c = None if cells is None else _as_int32(cells, "cells", cells=True)
        reasons, verdicts, f = self._v.run(p, cur.astype(np.float64, copy=False), pro.astype(np.float64, copy=False), at, c, _RECORD if record else 0)
        return ValidationResult(verdicts, reasons, {k: f[k] for k in ("ok", "warn", "reject")}, f["max_recorded_at"])

    def cooldowns(self):
        """The accepted changes recorded for cooldowns, as a pandas DataFrame
        (parameter index, cell, at), sorted by (parameter, cell)."""
        import pandas as pd

        p, c, at = self._v.cooldowns()
        return pd.DataFrame({"parameter": p, "cell": c, "at": at})

    def restore_cooldowns(self, table) -> None:
        """Takes back cooldowns() of another validator (an earlier night, another
        worker): for each (parameter, cell), the later of its time and the one held.
        ``table``: a DataFrame (or mapping) with columns parameter, cell and at."""
        missing = [c for c in ("parameter", "cell", "at") if c not in table]
        if missing:
            raise ElexError(
                "INVALID_ARGUMENT",
                f"restore_cooldowns() takes cooldowns() of a validator: columns parameter, cell and at ({', '.join(missing)} missing)",
            )
        self._v.restore(*_cooldown_columns(table))

    def stats(self) -> dict:
        return self._v.stats()


def _as_int32(x, what, *, cells=False) -> np.ndarray:
    """Integer ids as int32. A 32-bit array is taken as a JavaScript Int32Array.set()
    takes it (2^31 and more of a uint32 wrap to negative ids, which the engine
    refuses as cells and reads as unknown parameters). A wider one is not taken
    modulo 2^32 (2^32 + 5 would be 5): a parameter index outside int32 becomes -1
    (UNKNOWN_PARAMETER), and a cell id outside 0 … 2^31 − 1 is an error."""
    a = np.asarray(x)
    if a.dtype.kind not in "iu":
        raise ElexError("INVALID_ARGUMENT", f"{what} must be an integer array")
    if a.dtype == np.int32:
        return a
    if a.dtype.itemsize <= 4:
        return a.astype(np.int32)
    outside = (a < -(2**31)) | (a > 2**31 - 1) if a.dtype.kind == "i" else a > 2**31 - 1
    if not outside.any():
        return a.astype(np.int32)
    if cells:
        i = int(np.flatnonzero(outside.reshape(-1))[0])
        raise ElexError(
            "INVALID_ARGUMENT",
            f"change {i}: the cell id {int(a.reshape(-1)[i])} is outside 0 … 2^31 − 1 (ids are taken as int32)",
        )
    return np.where(outside, -1, a).astype(np.int32)


def _cooldown_columns(table) -> tuple:
    """(parameter, cell, at) of a cooldowns table as the engine takes them
    (int32, int32, float64), or INVALID_ARGUMENT naming the first bad row: ids
    are integers (a float column is not truncated) within int32, cells within
    0 … 2^31 − 1 as validate_batch() takes them (never wrapped modulo 2^32)."""
    cols = []
    for name, cells in (("parameter", False), ("cell", True)):
        a = np.asarray(table[name]).reshape(-1)
        if a.size == 0:  # an empty table, whatever its columns' dtypes
            a = a.astype(np.int32)
        if a.dtype.kind not in "iu":
            raise ElexError("INVALID_ARGUMENT", f"cooldowns: the {name} column must hold integers, not {a.dtype}")
        lo = 0 if cells else -(2**31)
        outside = (a > 2**31 - 1) if a.dtype.kind == "u" else (a < lo) | (a > 2**31 - 1)
        if outside.any():
            i = int(np.flatnonzero(outside)[0])
            what = "the cell id" if cells else "the parameter index"
            raise ElexError(
                "INVALID_ARGUMENT",
                f"cooldown {i}: {what} {int(a[i])} is outside {lo} … 2^31 − 1 ({name} column)",
            )
        cols.append(np.ascontiguousarray(a, np.int32))
    at = np.asarray(table["at"]).reshape(-1)
    if at.size == 0:
        at = at.astype(np.float64)
    if at.dtype.kind not in "iuf":
        raise ElexError("INVALID_ARGUMENT", f"cooldowns: the at column must hold times in ms (numbers), not {at.dtype}")
    return cols[0], cols[1], np.ascontiguousarray(at, np.float64)
