"""elex.dask: the ELEX monitor and validator over a Dask cluster.

Counters come as a Dask array (cells × counters × periods, float32, chunked
by cell only) or a Dask DataFrame partitioned by cell (index: cell id;
columns: ``period`` and one per counter). Each chunk or partition is
evaluated by the native core on a worker; results come back as Dask
collections: a KPI table and the alerts (DataFrames) and the new history.

History (count, mean and M2 of every (cell, KPI) over every earlier night) is
data, not worker state: each run takes the last run's history and returns the
next one, so a run is a pure function of its inputs, workers can come and go,
and a result computed twice is the same. Between nights, save_history() /
load_history() keep it on shared storage, aligned by cell id: a cell keeps its
history when the inventory changes order, new cells start empty. For a
DataFrame, history is a DataFrame indexed by cell and partitioned like the
counters; a cell absent from a night keeps its history unchanged.

Validation: changes as a Dask DataFrame partitioned by cell (columns
``parameter`` (catalog index or name), ``current``, ``proposed``, ``at``,
``cell``), each cell's changes in order. Cooldowns are per (parameter, cell),
so each partition is validated alone; the cooldowns recorded come back as a
DataFrame for the next run. Results equal one ChangeValidator over the whole
batch in the same per-cell order.
"""

from __future__ import annotations

import functools
import json
import operator
import os
import re
import shutil
import uuid
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

import dask
import dask.array as da
import dask.dataframe as dd
from dask.base import tokenize
from dask.delayed import Delayed
from dask.highlevelgraph import HighLevelGraph

import _elex_core as _core

from . import KpiPrograms, _RECORD, _alerting, _as_int32, _cooldown_columns, _flag, _name_positions, _threads, alerts_table, evaluate, kpi_table
from .catalog import Catalog, _names
from .errors import ElexError

__all__ = [
    "CLUSTER_CONFIG",
    "WORKER_ENVIRON",
    "local_cluster",
    "MonitorOutput",
    "ValidationOutput",
    "history_frame_meta",
    "load_history",
    "monitor",
    "monitor_frame",
    "save_history",
    "validate_batch",
]

_FIELDS = ("count", "mean", "m2")

#: The environment of worker processes, set before they start (Dask's
#: ``distributed.nanny.pre-spawn-environ``). Dask's default sets
#: MALLOC_TRIM_THRESHOLD_=65536, which turns off glibc's adaptive mmap
#: threshold: every array over 128 KB is then a fresh mmap whose pages fault
#: in on first write, and a chunk's outputs (a few MB a call) made the engine
#: call 3.5× slower on this machine (17 → 60 ms of CPU per 1,000 cells). With
#: these values, arrays up to 32 MB come from the heap and up to 128 MB of free
#: heap is kept for the next chunk.
WORKER_ENVIRON = {
    "MALLOC_MMAP_THRESHOLD_": 33554432,
    "MALLOC_TRIM_THRESHOLD_": 134217728,
    "OMP_NUM_THREADS": 1,
    "MKL_NUM_THREADS": 1,
    "OPENBLAS_NUM_THREADS": 1,
}


#: Dask settings for a cluster that runs elex.dask (local_cluster() sets them;
#: on a cluster of your own, put them in its Dask configuration, e.g.
#: ~/.config/dask/distributed.yaml on the scheduler and the workers).
#:
#: - No work stealing. A chunk's task reads 77 MB of counters (1,000 cells) in
#:   about 20 ms: stealing it moves the 77 MB to another worker, which costs
#:   more than the task. With one worker slowed by other work on its host, the
#:   scheduler stole chunks and a run took about 3× longer (here, under
#:   load); its balancing loop also takes scheduler CPU, on the cores the
#:   workers need. The chunks are spread evenly when they are made, and each
#:   task runs where its chunk is.
#: - No statistical profiler on the workers: it samples every thread's stack
#:   100 times a second, taking the GIL from the worker's event loop and its
#:   task thread (the dashboard's Profile page stays empty).
#: - Fewer housekeeping wake-ups: each server (scheduler, nannies, workers)
#:   checks its event loop every 20 ms and reads CPU, memory, network and disk
#:   counters through psutil every 500 ms, by default. Idle, that was 0.04-0.06
#:   CPU s a second in the scheduler's process of a 2-worker LocalCluster and
#:   0.02 in each worker, on the cores the chunks need; with a 1 s check, the
#:   counters every 5 s and no disk counters, 0.01-0.02 and 0.003-0.01. (A
#:   blocked event loop is still reported after 3 s; the dashboard's system
#:   plots update every 5 s.)
CLUSTER_CONFIG = {
    "distributed.scheduler.work-stealing": False,
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.admin.system-monitor.disk": False,
}


def local_cluster(n_workers: int = 2, threads_per_worker: int = 1, **kwargs):
    """A distributed.LocalCluster of worker processes started with WORKER_ENVIRON
    and CLUSTER_CONFIG (call it under ``if __name__ == "__main__":`` in a
    script)."""
    from distributed import LocalCluster

    kwargs.setdefault("dashboard_address", None)
    with dask.config.set({"distributed.nanny.pre-spawn-environ": WORKER_ENVIRON, **CLUSTER_CONFIG}):
        return LocalCluster(n_workers=n_workers, threads_per_worker=threads_per_worker, processes=True, **kwargs)


class MonitorOutput:
    """What monitor() returns: lazy Dask collections. Compute or persist them
    with out.compute() / out.persist(), which evaluate each chunk once.

    From monitor(), the collections are made when first read: out.persist()
    makes its own over the chunks' results and never needs them (a Dask
    DataFrame costs about 1 ms of the client's time to make, its metadata
    checked column by column)."""

    def __init__(self, kpis, table=None, alerts=None, history=None, values=None, reasons=None, *, _chunks=None):
        self.kpis = kpis
        #: monitor(): the chunks' results (one key per chunk) and how to build the collections over them.
        self._chunks = _chunks
        self._cols = None if _chunks is not None else (table, alerts, history, values, reasons)

    def _get(self, i):
        if self._cols is None:
            self._cols = self._chunks.build(self._chunks.graph)
        return self._cols[i]

    table = property(
        lambda self: self._get(0),
        doc="One row per (cell, KPI): count, sum, mean, min, max, breaches, anomalies, max_z, nulls (a Dask DataFrame).",
    )
    alerts = property(
        lambda self: self._get(1),
        doc='One row per alert: cell, kpi, kind ("threshold" | "anomaly"), periods, worst, threshold (a Dask DataFrame).',
    )
    history = property(
        lambda self: self._get(2),
        doc="Array input: cells × kpis × 3 float64 (count, mean, M2), chunked like the cells. DataFrame input: a "
        'DataFrame indexed by cell, columns "<kpi>|count", "<kpi>|mean", "<kpi>|m2".',
    )
    values = property(
        lambda self: self._get(3),
        doc="cells × kpis × periods float32 (per_period=True, array input only), else None.",
    )
    reasons = property(
        lambda self: self._get(4),
        doc="cells × kpis × periods uint8 null reasons (per_period=True, array input only), else None.",
    )

    def __repr__(self):
        return f"MonitorOutput(kpis={len(self.kpis)} KPIs, {'per chunk' if self._chunks is not None else 'collections'})"

    def _collections(self):
        return [c for c in (self.table, self.alerts, self.history, self.values, self.reasons) if c is not None]

    def compute(self, **kwargs):
        """(table, alerts, history[, values, reasons]) computed together, each chunk
        evaluated once. (dask.compute(out.table, out.alerts, out.history) would
        evaluate each chunk once per collection: Dask's DataFrame and array
        optimisations fuse the shared chunk task into each collection's graph.)"""
        return dask.compute(*self._collections(), optimize_graph=False, **kwargs)

    def persist(self, client=None, **kwargs):
        """The collections (table, alerts, history[, values, reasons]) persisted
        together, each chunk evaluated once: a list with ``client``, else a tuple,
        as client.persist() / dask.persist() return them.

        From monitor(), what is kept (on the workers, with a distributed client)
        is each chunk's result, one key per chunk holding all its outputs; the
        collections returned take their partitions from those keys (one
        ``getitem`` per partition, run when a partition is used). A chunk's
        outputs are freed together, once none of the returned collections is
        held (client.persist(history) of the returned history keeps it alone).
        Persisting each output under its own key would take three to five more
        tasks per chunk, each a scheduler round trip and worker bookkeeping of
        about the engine's cost for 50-100 cells (docs/python.md, "Scaling on
        2 cores")."""
        if self._chunks is None:
            cols = self._collections()
            if client is not None:
                return client.persist(cols, optimize_graph=False, **kwargs)
            return dask.persist(*cols, optimize_graph=False, **kwargs)
        ch = self._chunks
        results = [Delayed(k, ch.graph, layer=ch.name) for k in ch.keys]
        if client is not None:
            results = client.persist(results, optimize_graph=False, **kwargs)
        else:
            results = dask.persist(*results, optimize_graph=False, **kwargs)
        held = {}
        for r in results:  # {key: Future} on a cluster, {key: value} with a local scheduler
            held.update(r.__dask_graph__())
        cols = [c for c in ch.build(HighLevelGraph({ch.name: held}, {ch.name: set()})) if c is not None]
        return cols if client is not None else tuple(cols)


@dataclass(frozen=True)
class _Chunks:
    name: str
    keys: list
    #: The graph up to the chunks' results (the layer ``name``).
    graph: HighLevelGraph
    #: graph → (table, alerts, history, values, reasons) over the chunk layer of ``graph``.
    build: object


def _empty_result(prog: KpiPrograms, counters: int):
    K = len(prog.names)
    z = np.zeros
    return {
        "kpi_stats": z((0, K, 5), np.float32),
        "breaches": z((0, K), np.uint32),
        "anomalies": z((0, K), np.uint32),
        "max_z": z((0, K), np.float32),
        "nulls": z((0, K, 2), np.uint32),
    }


class _R:  # attribute access over the engine's dict, for kpi_table / alerts_table
    def __init__(self, r, prog):
        self.__dict__.update(r)
        self.thresholds = prog.thresholds
        self.directions = prog.directions


def _metas(prog: KpiPrograms, counters: int):
    """Empty tables with the columns and dtypes of a chunk's; the categories of
    cell and kpi differ from chunk to chunk, so they are "unknown" to Dask, and
    the tables are the same for every catalog and KPI set: made once (about
    20 ms of pandas on the client, in every run's graph building otherwise)."""
    table, alerts = _empty_tables()
    return table.copy(), alerts.copy()


@functools.lru_cache(maxsize=1)
def _empty_tables():
    prog = KpiPrograms(
        names=(),
        ops=np.zeros(0, np.int32),
        offsets=np.zeros(1, np.uint32),
        consts=np.zeros(0, np.float32),
        thresholds=np.zeros(0, np.float32),
        directions=np.zeros(0, np.int8),
    )
    e = _R(_empty_result(prog, 0), prog)
    clear = dd.utils.clear_known_categories
    return clear(kpi_table([], (), e)), clear(alerts_table([], (), e))


def _eval_block(prog, cells, block, hist, z, min_history, per_period, threads, counters):
    """One chunk on a worker: (table, alerts, new history, values, reasons).
    ``hist`` None: a first night (an empty history, made here)."""
    block = np.ascontiguousarray(block, np.float32)
    if hist is None:
        hist = np.zeros((block.shape[0], len(prog.names), 3), np.float64)
    else:
        hist = np.array(hist, np.float64, order="C", copy=True)  # never the input's buffer
    # The counters' statistics are not among elex.dask's outputs: the engine
    # keeps them in its scratch instead of writing 4 MB per 1,000 cells.
    try:
        r = evaluate(
            prog, block, hist, z_threshold=z, min_history=min_history, per_period=per_period, threads=threads, counter_stats=False
        )
    except ElexError as e:
        raise _name_positions(e, block, cells, counters, prog.names) from None
    rr = _R(r, prog)
    return kpi_table(cells, prog.names, rr), alerts_table(cells, prog.names, rr), hist, r["values"], r["reasons"]


def _in_memory(x) -> bool:
    """Whether every key of ``x``'s graph is a value (a Future or an array, as
    persist() leaves them), not a task or an alias."""
    g = x.__dask_graph__()
    return len(g.layers) == 1 and all(
        not dask.core.istask(v) and not (isinstance(v, tuple) and v in g) for v in g.values()
    )


def _programs(catalog: Catalog, counters, kpis) -> KpiPrograms:
    counters = list(_names(counters, "counters"))
    _names(kpis, "kpis")
    unknown = [c for c in counters if c not in catalog.counters]
    if unknown:
        raise ElexError("INVALID_ARGUMENT", f'{len(unknown)} counter(s) are not in the catalog, e.g. "{unknown[0]}"')
    if len(set(counters)) != len(counters):
        raise ElexError("INVALID_ARGUMENT", "counter names must be unique (a duplicate was found)")
    return catalog.kpi_programs(counters, kpis)


def monitor(
    catalog: Catalog,
    counters,
    data: da.Array,
    cells,
    *,
    history: da.Array | np.ndarray | None = None,
    kpis=None,
    z_threshold: float = 3.0,
    min_history: int = 8,
    per_period: bool = False,
    threads: int = 1,
) -> MonitorOutput:
    """KPIs, statistics and alerts for a Dask array of counters (cells × counters ×
    periods float32, NaN = missing), ``cells`` the ids of its rows. ``history``:
    the last run's MonitorOutput.history, lazy or computed (or load_history()), None
    for a first night. Each chunk of cells runs on a worker with ``threads`` engine
    threads."""
    z_threshold, min_history = _alerting(z_threshold, min_history)
    per_period = _flag(per_period, "per_period")
    threads = _threads(threads)
    prog = _programs(catalog, counters, kpis)
    cells = np.asarray(list(_names(cells, "cells")), dtype=object)
    if not isinstance(data, da.Array):
        data = da.from_array(np.asarray(data))
    if data.dtype != np.float32:
        raise ElexError("INVALID_ARGUMENT", "data must be float32")
    if data.ndim != 3 or data.shape[0] != len(cells) or data.shape[1] != len(counters):
        raise ElexError(
            "DIMENSION_MISMATCH", f"data has shape {data.shape}, not {len(cells)} cells × {len(counters)} counters × periods"
        )
    # A missing id (None, NaN from an inventory with a gap) or an empty one is no
    # cell: Monitor.monitor() and the browser refuse it too.
    gap = pd.isna(cells) | (cells == "")
    if gap.any():
        i = int(np.flatnonzero(gap)[0])
        raise ElexError("INVALID_ARGUMENT", f"cell ids must be non-empty: cells[{i}] is {cells[i]!r}")
    if len(set(cells.tolist())) != len(cells):
        raise ElexError("INVALID_ARGUMENT", "cell ids must be unique (a duplicate was found)")
    # Whole cells in every chunk: split by cell only.
    if len(data.chunks[1]) > 1 or len(data.chunks[2]) > 1:
        data = data.rechunk({1: -1, 2: -1})
    K, P = len(prog.names), data.shape[2]
    if history is not None:
        if not isinstance(history, da.Array):  # e.g. the history out.compute() gave
            history = da.from_array(np.asarray(history, np.float64))
        if history.shape != (len(cells), K, 3):
            raise ElexError("DIMENSION_MISMATCH", f"history must be {len(cells)} × {K} × 3 (cells × kpis × 3)")
        history = history.rechunk((data.chunks[0], K, 3))
    # The graph, written out: per chunk one engine task and one getitem per output
    # (table, alerts, history[, values, reasons]) that the collections take as
    # their partitions. (Built with dask.delayed, dd.from_delayed, da.from_delayed
    # and da.concatenate it was twice the tasks: 161 for 20 chunks, each a
    # scheduler round trip and worker bookkeeping, on the cores the chunks need.)
    # A chunk's task depends on its counters and its history only, never on a
    # key that lives elsewhere: the programs (9 KB) are in every task, and a
    # first night's empty history is made in the task. (A shared programs key
    # lived on one worker, and the scheduler then counted that worker among
    # the candidates for every chunk: it moved 77 MB chunks to it to even out
    # the queues. An empty-history collection was placed like any root task.)
    # (Inputs already in memory, e.g. persisted, have nothing to optimise: about
    # 1 ms of the client's time a run.)
    if history is None:
        inputs = [data]
    elif _in_memory(data) and _in_memory(history):
        inputs = [data, history]
    else:
        inputs = list(dask.optimize(data, history))
    data = inputs[0]
    table_meta, alert_meta = _metas(prog, len(counters))
    hist_name = None if history is None else inputs[1].name
    token = tokenize(prog, data.name, hist_name, cells, z_threshold, min_history, per_period, threads)
    name = "elex-monitor-" + token
    layer = {}
    starts = np.cumsum((0,) + data.chunks[0])
    for i, n in enumerate(data.chunks[0]):
        layer[(name, i)] = (
            _eval_block, prog, cells[starts[i] : starts[i + 1]], (data.name, i, 0, 0),
            None if hist_name is None else (hist_name, i, 0, 0), z_threshold, min_history, per_period, threads,
            counters,
        )  # fmt: skip
    graph = HighLevelGraph.from_collections(name, layer, dependencies=inputs)
    nchunks = len(data.chunks[0])

    def build(base):
        """The collections over the chunks' results, the layer ``name`` of ``base``
        (the whole graph, or the chunks' persisted results)."""

        def output(kind, index, array):
            out = f"elex-{kind}-{token}"
            keys = [(out, i, 0, 0) if array else (out, i) for i in range(nchunks)]
            part = {k: (operator.getitem, (name, i), index) for i, k in enumerate(keys)}
            return out, HighLevelGraph({**base.layers, out: part}, {**base.dependencies, out: {name}})

        def frame(kind, index, meta):
            out, g = output(kind, index, False)
            return dd.core.new_dd_object(g, out, meta, (None,) * (nchunks + 1))

        def array(kind, index, width, dtype):
            out, g = output(kind, index, True)
            return da.Array(g, out, (data.chunks[0], (K,), (width,)), dtype=dtype)

        return (
            frame("table", 0, table_meta),
            frame("alerts", 1, alert_meta),
            array("history", 2, 3, np.float64),
            array("values", 3, P, np.float32) if per_period else None,
            array("reasons", 4, P, np.uint8) if per_period else None,
        )

    return MonitorOutput(kpis=prog.names, _chunks=_Chunks(name, [(name, i) for i in range(nchunks)], graph, build))


# ------------------------------------------------------------ DataFrames


def history_frame_meta(kpis) -> pd.DataFrame:
    """The (empty) history DataFrame of monitor_frame(): indexed by cell, three float64 columns per KPI."""
    cols = [f"{k}|{f}" for k in kpis for f in _FIELDS]
    return pd.DataFrame({c: pd.Series(dtype=np.float64) for c in cols}, index=pd.Index([], dtype=object, name="cell"))


def _frame_block(prog, counters, periods, part, hist, z, min_history, threads, carried=(), checked=None, bounds=None):
    """One partition (index cell, columns period + counters) and its history rows.
    The history's columns are taken by name: a KPI it lacks starts empty, and
    ``carried`` (its columns of KPIs not evaluated tonight) go on unchanged.
    ``bounds`` (the partition's number and the counters' divisions, when
    known): a history row of a cell in another partition's range is refused (a
    cell in no partition's range has no data tonight and keeps its row)."""
    if bounds is not None and hist is not None and len(hist):
        i, d = bounds
        idx = hist.index.to_numpy(dtype=object)
        inside = (idx >= d[0]) & (idx <= d[-1])
        j = np.searchsorted(np.asarray(d[1:-1], dtype=object), idx, side="right")
        elsewhere = np.asarray(inside & (j != i), dtype=bool)
        if elsewhere.any():
            k = int(np.flatnonzero(elsewhere)[0])
            raise ElexError(
                "DIMENSION_MISMATCH",
                f"cell {idx[k]}: its history is in partition {i} and its counters in partition {int(j[k])}: the history "
                "must be partitioned like the counters (the same cells in each partition)",
            )
    K = len(prog.names)
    mine = [f"{k}|{f}" for k in prog.names for f in _FIELDS]
    cols = mine + list(carried)
    cells = pd.unique(part.index.to_numpy())
    pos = pd.Index(cells).get_indexer(part.index)
    per = part["period"].to_numpy()
    if per.dtype.kind not in "iu":  # floats (a column that once held NaN): whole numbers only
        whole = per.astype(np.float64) if per.dtype.kind == "f" else np.full(len(per), np.nan)
        if not np.all(np.floor(whole) == whole):
            raise ElexError("INVALID_ARGUMENT", f"period values must be whole numbers in 0..{periods - 1}")
        per = whole.astype(np.int64)
    if len(per) and (per.min() < 0 or per.max() >= periods):
        raise ElexError("INVALID_ARGUMENT", f"period values must be whole numbers in 0..{periods - 1}")
    slot = pos.astype(np.int64) * periods + per
    if len(np.unique(slot)) != len(slot):  # a sample given twice: which one would be kept?
        s = pd.Series(slot)
        first = int(s[s.duplicated()].iloc[0])
        raise ElexError("INVALID_ARGUMENT", f'cell "{cells[first // periods]}" has period {first % periods} twice')
    block = np.full((len(cells), len(counters), periods), np.nan, np.float32)
    block[pos, :, per] = part[counters].to_numpy(np.float32, na_value=np.nan)
    h = np.zeros((len(cells), K, 3))
    known = hist is not None and len(hist) > 0
    if known:
        ix = hist.index.get_indexer(cells)
        have = ix >= 0
        h[have] = hist.reindex(columns=mine, fill_value=0.0).to_numpy(np.float64)[ix[have]].reshape(-1, K, 3)
    t, a, h, _, _ = _eval_block(prog, cells, block, h, z, min_history, False, threads, counters)
    index = pd.Index(cells, dtype=object, name="cell")
    out = pd.DataFrame(h.reshape(len(cells), K * 3), index=index, columns=mine)
    if carried:
        out = pd.concat(
            [out, hist.reindex(index=index, columns=list(carried), fill_value=0.0) if known else
             pd.DataFrame(0.0, index=index, columns=list(carried))],
            axis=1,
        )
    if known:  # cells with history but no data tonight keep it
        out = pd.concat([out, hist[~hist.index.isin(cells)].reindex(columns=cols, fill_value=0.0)]).sort_index()
    return t, a, out


def monitor_frame(
    catalog: Catalog,
    counters,
    frame: dd.DataFrame,
    periods: int,
    *,
    history: dd.DataFrame | None = None,
    kpis=None,
    z_threshold: float = 3.0,
    min_history: int = 8,
    threads: int = 1,
) -> MonitorOutput:
    """monitor() over a Dask DataFrame partitioned by cell: index the cell id, a
    ``period`` column (0..periods−1; at most one row per cell and period, a row that
    is absent is a missing sample) and one float column per counter. ``history``:
    the last run's MonitorOutput.history, partitioned like ``frame`` (its
    partitions are matched to frame's by divisions when both are known, else by
    position)."""
    counters = list(_names(counters, "counters"))
    z_threshold, min_history = _alerting(z_threshold, min_history)
    threads = _threads(threads)
    prog = _programs(catalog, counters, kpis)
    if isinstance(periods, bool) or not isinstance(periods, (int, np.integer)) or periods < 1:
        raise ElexError("INVALID_ARGUMENT", f"periods must be a positive integer, got {periods!r}")
    for c in ["period", *counters]:
        if c not in frame.columns:
            raise ElexError("INVALID_ARGUMENT", f'the frame has no "{c}" column')
    # Counter samples are numbers (NaN or a nullable column's NA: missing); strings,
    # booleans or objects would fail on a worker with pandas' ValueError, or run
    # as numbers when every string held one.
    for c in counters:
        dt = frame.dtypes[c]
        if not pd.api.types.is_numeric_dtype(dt) or pd.api.types.is_bool_dtype(dt):
            raise ElexError(
                "INVALID_ARGUMENT", f'the "{c}" column holds {dt}, not numbers: counter samples are numbers (NaN = missing)'
            )
    table_meta, alert_meta = _metas(prog, len(counters))
    hmeta = history_frame_meta(prog.names)
    # The history's columns of KPIs not evaluated tonight (the counters changed) go on.
    carried = [] if history is None else [c for c in history.columns if c not in hmeta.columns]
    hmeta = hmeta.assign(**{c: pd.Series(dtype=np.float64) for c in carried})
    parts = frame.to_delayed()
    if history is not None:
        if history.npartitions != frame.npartitions:
            if frame.known_divisions and history.known_divisions:
                history = history.repartition(divisions=frame.divisions)
            else:
                raise ElexError(
                    "DIMENSION_MISMATCH", "history must be partitioned like the counters (the same cells in each partition)"
                )
        hparts = history.to_delayed()
    else:
        hparts = [None] * len(parts)
    tables, alerts, hists = [], [], []
    # The programs (9 KB) go into every task, as in monitor(): a shared key would
    # live on one worker and draw partitions to it.
    # Every cell in one partition, and a cell's history in the partition of its
    # counters. With known divisions a cell lies in one partition, and each task
    # checks that its history rows lie in its range (no wait). Without, the
    # partitions' cells are compared before any runs (as validate_batch), the
    # partitions held in memory until then.
    checked, bounds = [], [None] * len(parts)
    if frame.known_divisions:
        bounds = [(i, tuple(frame.divisions)) for i in range(len(parts))]
    else:
        frame_cells = [dask.delayed(_index_cells, pure=True)(p) for p in parts]
        checked.append(dask.delayed(_one_partition_per_cell, pure=True)(*frame_cells, rows="rows"))
        if history is not None:
            checked.append(
                dask.delayed(_history_beside_its_cells, pure=True)(
                    frame_cells, [dask.delayed(_index_cells, pure=True)(h) for h in hparts]
                )
            )
    for p, h, b in zip(parts, hparts, bounds):
        t, a, hh = dask.delayed(_frame_block, pure=True, nout=3)(
            prog, counters, periods, p, h, z_threshold, min_history, threads, tuple(carried), checked, b
        )
        tables.append(t)
        alerts.append(a)
        hists.append(hh)
    return MonitorOutput(
        kpis=prog.names,
        table=dd.from_delayed(tables, meta=table_meta, verify_meta=False),
        alerts=dd.from_delayed(alerts, meta=alert_meta, verify_meta=False),
        history=dd.from_delayed(hists, meta=hmeta, divisions=frame.divisions if frame.known_divisions else None, verify_meta=False),
    )


# ------------------------------------------------------------ history on storage


def save_history(path, cells, kpis, history: da.Array | np.ndarray) -> None:
    """Writes an array history (with its cell ids and KPI names) to a folder on
    storage every worker and the client see (one .npy file per chunk; a computed,
    numpy history is one chunk).

    Each save writes a new ``history-<id>`` folder and then points ``cells.json``
    at it (replaced in one step), so ``history`` may be lazy over
    ``load_history(path, …)`` (its chunks read the files they replace), and a
    save that fails half-way leaves the last one whole. The folder before it is
    kept (a night's other lazy collections still read it); older ones are removed."""
    _names(cells, "cells"), _names(kpis, "kpis")
    if not isinstance(history, da.Array):
        history = da.from_array(np.asarray(history, np.float64), chunks=-1)
    if history.shape != (len(cells), len(kpis), 3):
        raise ElexError(
            "DIMENSION_MISMATCH",
            f"history has shape {history.shape}, not {len(cells)} cells × {len(kpis)} kpis × 3",
        )
    ids = [str(c) for c in cells]
    for what, names in (("cell ids", ids), ("KPI names", list(kpis))):
        twice = pd.Index(names)[pd.Index(names).duplicated()]
        if len(twice):  # load_history() could not tell their rows apart
            raise ElexError("INVALID_ARGUMENT", f'{what} must be unique: "{twice[0]}" is there twice')
    previous = _saved_stack(path)
    stack = f"history-{uuid.uuid4().hex}"
    tmp = os.path.join(path, f".cells.json.{stack}")
    # Each chunk is checked as it is written: a row no monitor could leave (the
    # engine's rule, monitor.cpp) would only be refused by the next night's
    # monitor(), after its data was read.
    names = list(kpis)
    checked = history.map_blocks(_check_history_rows, ids, names, dtype=history.dtype)
    try:
        os.makedirs(path, exist_ok=True)
        da.to_npy_stack(os.path.join(path, stack), checked, axis=0)
        with open(tmp, "w") as f:
            json.dump({"cells": ids, "kpis": names, "stack": stack}, f)
        os.replace(tmp, os.path.join(path, "cells.json"))
    except OSError as e:
        shutil.rmtree(os.path.join(path, stack), ignore_errors=True)
        raise ElexError("PERSIST_UNAVAILABLE", f"cannot write the history to {path}: {e.strerror or e}") from None
    except ElexError:
        shutil.rmtree(os.path.join(path, stack), ignore_errors=True)  # the last save stays the one cells.json names
        raise
    for name in os.listdir(path):
        if name != stack and name != previous and (name == "history" or name.startswith("history-")):
            shutil.rmtree(os.path.join(path, name), ignore_errors=True)


def _check_history_rows(block, ids, kpis, block_info=None):
    """``block`` (cells × kpis × 3: count, mean, M2) as it is, or INVALID_ARGUMENT
    naming the first row the engine's monitor() would refuse."""
    count, mean, m2 = block[..., 0], block[..., 1], block[..., 2]
    with np.errstate(invalid="ignore"):
        bad_count = ~(np.isfinite(count) & (count >= 0) & (count == np.floor(count)))
        bad_mean = ~np.isfinite(mean)
        bad_m2 = ~(np.isfinite(m2) & (m2 >= 0))
    bad = bad_count | bad_mean | bad_m2
    if not bad.any():
        return block
    c, k = (int(i) for i in np.argwhere(bad)[0])
    first = block_info[0]["array-location"][0][0] if block_info else 0
    why = (
        f"the count {count[c, k]!r} is not a whole number >= 0"
        if bad_count[c, k]
        else f"the mean {mean[c, k]!r} is not finite"
        if bad_mean[c, k]
        else f"M2 {m2[c, k]!r} is not a finite number >= 0"
    )
    raise ElexError(
        "INVALID_ARGUMENT",
        f'history of cell "{ids[first + c]}", KPI "{kpis[k]}": {why} (no monitor leaves such a row); nothing was saved',
    )


def _saved_stack(path) -> str | None:
    """The folder of .npy files that ``path``'s cells.json names ("history" before stacks were named)."""
    try:
        with open(os.path.join(path, "cells.json")) as f:
            return json.load(f).get("stack", "history")
    except (OSError, ValueError):
        return None


def load_history(path, cells, kpis, chunks) -> da.Array:
    """The history saved at ``path`` for ``cells`` (any order; cells it does not
    hold start empty) and ``kpis`` (a KPI it does not hold starts empty), chunked
    by ``chunks`` cells (e.g. data.chunks[0])."""
    _names(cells, "cells"), _names(kpis, "kpis")
    # Chunks of whole cells that add up to ``cells``: a chunk size (-1: one chunk), or sizes.
    n = len(cells)
    one = isinstance(chunks, (int, np.integer)) and not isinstance(chunks, bool)
    sizes = [max(n, 1) if one and chunks == -1 else chunks] if one else list(chunks) if isinstance(chunks, (tuple, list)) else None
    if (
        sizes is None
        or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s > 0 for s in sizes)
        or (not one and sum(sizes) != n)
    ):
        raise ElexError(
            "DIMENSION_MISMATCH",
            f"chunks must be a chunk size or sizes of whole cells adding up to the {n} cells, got {chunks!r}",
        )
    where = os.path.join(path, "cells.json")
    try:
        with open(where) as f:
            saved = json.load(f)
        if not isinstance(saved, dict) or not isinstance(saved.get("cells"), list) or not isinstance(saved.get("kpis"), list):
            raise ElexError("CORRUPT_DATA", f'{where} is not what save_history() writes: no "cells" and "kpis" lists')
        old = da.from_npy_stack(os.path.join(path, saved.get("stack", "history")))
    except OSError as e:  # as load_catalog says it: "NOT_FOUND: cannot read PATH: REASON"
        raise ElexError("NOT_FOUND", f"cannot read the history at {path}: {e.strerror or e} ({e.filename})") from None
    except (ValueError, AttributeError, TypeError) as e:
        raise ElexError("CORRUPT_DATA", f"{where} is not what save_history() writes: {e}") from None
    for key in ("cells", "kpis"):
        twice = pd.Index(saved[key])[pd.Index(saved[key]).duplicated()]
        if len(twice):
            raise ElexError("CORRUPT_DATA", f'{where}: "{twice[0]}" is in its {key} twice')
    row = pd.Index(saved["cells"]).get_indexer([str(c) for c in cells])
    col = pd.Index(saved["kpis"]).get_indexer(list(kpis))
    with warnings.catch_warnings():  # a gather out of order: rechunked below
        warnings.simplefilter("ignore", da.PerformanceWarning)
        taken = old[np.where(row < 0, 0, row)]
        taken = taken[:, np.where(col < 0, 0, col)]
    keep = (row >= 0)[:, None, None] & (col >= 0)[None, :, None]
    return da.where(keep, taken, 0.0).astype(np.float64).rechunk((chunks, len(kpis), 3))


# ------------------------------------------------------------ validation


@dataclass
class ValidationOutput:
    #: The changes with ``verdict`` (0 ok, 1 warn, 2 reject) and ``reasons`` (bit i = VALIDATION_REASONS[i]).
    results: dd.DataFrame
    #: Accepted changes recorded for cooldowns: parameter, cell, at (for the next run's ``cooldowns``).
    cooldowns: dd.DataFrame

    def compute(self, **kwargs):
        """(results, cooldowns) computed together, each partition validated once."""
        return dask.compute(self.results, self.cooldowns, optimize_graph=False, **kwargs)


class _Tables:
    """What a worker needs of the catalog to validate: the engine tables and parameter names."""

    def __init__(self, catalog: Catalog):
        self.kinds, self.bounds, self.cool = catalog.validator_tables()
        self.names = list(catalog.parameters)


def _at_row(e: ElexError, part) -> ElexError:
    """The engine names a change by its place in this partition: name its row."""
    at = re.search(r"\bchange (\d+)\b", e.message)
    if at is None or int(at.group(1)) >= len(part):
        return e
    where = f"the change at index {part.index[int(at.group(1))]!r}"
    return ElexError(e.code, e.message.replace(at.group(0), where, 1))


def _cooldowns_by_cell(table):
    """(cells, parameters, at) of a cooldowns() table, sorted by cell."""
    missing = [c for c in ("parameter", "cell", "at") if c not in table]
    if missing:
        raise ElexError(
            "INVALID_ARGUMENT",
            f"cooldowns must be a cooldowns table: columns parameter, cell and at ({', '.join(missing)} missing)",
        )
    params, cells, at = _cooldown_columns(table)
    order = np.argsort(cells, kind="stable")
    return cells[order], params[order], at[order]


def _cells_of(part) -> np.ndarray:
    """A partition's distinct cell ids (none when they are not integers: then
    _validate_part refuses the partition itself)."""
    cells = part["cell"].to_numpy()
    return pd.unique(cells) if cells.dtype.kind in "iu" else cells[:0]


def _index_cells(part) -> np.ndarray:
    """A monitor_frame partition's distinct cells (its index)."""
    return pd.unique(part.index.to_numpy())


def _history_beside_its_cells(frame_cells, history_cells) -> None:
    """DIMENSION_MISMATCH naming a cell whose history is in another partition
    than its counters (partitions are matched by position when the divisions
    are not known): it would start empty, and its old row be kept beside the new."""
    where = {}
    for i, cells in enumerate(frame_cells):
        for c in cells:
            where[c] = i
    for i, cells in enumerate(history_cells):
        for c in cells:
            j = where.get(c, i)
            if j != i:
                raise ElexError(
                    "DIMENSION_MISMATCH",
                    f"cell {c}: its history is in partition {i} and its counters in partition {j}: the history must be "
                    "partitioned like the counters (the same cells in each partition)",
                )
    return None


def _one_partition_per_cell(*cells, rows="changes") -> None:
    """INVALID_ARGUMENT naming a cell that has ``rows`` in two partitions: each
    partition runs on its own, blind to the others (validate_batch: their
    accepted changes; monitor_frame: their periods)."""
    if len(cells) < 2:
        return None
    allc = pd.Series(np.concatenate([np.asarray(c, dtype=object) for c in cells]))
    part = np.repeat(np.arange(len(cells)), [len(c) for c in cells])
    twice = allc.duplicated(keep=False).to_numpy()
    if twice.any():
        first = allc[twice].iloc[0]
        where = part[(allc == first).to_numpy()]
        raise ElexError(
            "INVALID_ARGUMENT",
            f"cell {first} has {rows} in partitions {where[0]} and {where[1]}: the {rows} must be partitioned by "
            f"cell (every one of a cell in one partition, e.g. set_index(\"cell\") with sorted divisions)",
        )
    return None


def _validate_part(tables, part, previous, record, checked=None):
    v = _core.Validator(tables.kinds, tables.bounds, tables.cool)
    par = part["parameter"]
    if isinstance(par.dtype, pd.CategoricalDtype):  # as Parquet gives strings: its values' dtype
        par = par.astype(par.cat.categories.dtype)
    if pd.api.types.is_string_dtype(par.dtype):  # names (object or "string"); unknown: -1
        par = pd.Index(tables.names).get_indexer(par.astype(object).to_numpy())
    p = _as_int32(np.asarray(par), "parameter")
    try:
        cells = _as_int32(part["cell"].to_numpy(), "cell", cells=True)
    except ElexError as e:
        raise _at_row(e, part) from None
    if previous is not None and len(previous[0]):
        # This partition's cells' rows of the cooldowns sorted by cell: a binary
        # search per cell, not a pass over the whole table per partition.
        by_cell, params, at = previous
        u = np.unique(cells)
        lo, hi = np.searchsorted(by_cell, u, "left"), np.searchsorted(by_cell, u, "right")
        count = hi - lo
        rows = np.repeat(lo - (np.cumsum(count) - count), count) + np.arange(int(count.sum()))
        v.restore(params[rows], by_cell[rows], at[rows])
    try:
        reasons, verdicts, _ = v.run(
            p,
            part["current"].to_numpy(np.float64, na_value=np.nan),
            part["proposed"].to_numpy(np.float64, na_value=np.nan),
            part["at"].to_numpy(np.float64, na_value=np.nan),
            cells,
            _RECORD if record else 0,
            None,
        )
    except ElexError as e:
        raise _at_row(e, part) from None
    out = part.assign(verdict=verdicts, reasons=reasons)
    cp, cc, ca = v.cooldowns()
    return out, pd.DataFrame({"parameter": cp, "cell": cc, "at": ca})


def validate_batch(catalog: Catalog, changes: dd.DataFrame, *, cooldowns=None, record: bool = True) -> ValidationOutput:
    """Validates a Dask DataFrame of changes partitioned by cell (every change of
    a cell in one partition, in order). ``cooldowns``: the last run's
    ValidationOutput.cooldowns (Dask or pandas), None for none."""
    record = _flag(record, "record")
    for c in ("parameter", "current", "proposed", "at", "cell"):
        if c not in changes.columns:
            raise ElexError("INVALID_ARGUMENT", f'changes need a "{c}" column')
    # Values and times are numbers, as ChangeValidator takes them (NaN or a
    # nullable column's NA: NOT_FINITE): strings, booleans or objects were
    # converted ("1000" ran as 1000) or failed on a worker with ValueError.
    for c in ("current", "proposed", "at"):
        dt = changes.dtypes[c]
        if not pd.api.types.is_numeric_dtype(dt) or pd.api.types.is_bool_dtype(dt):
            raise ElexError("INVALID_ARGUMENT", f'the "{c}" column holds {dt}, not numbers')
    tables = dask.delayed(_Tables(catalog), pure=True)
    prev = None
    if cooldowns is not None:
        # Sorted by cell once, for all partitions (each one looks up its cells).
        table = dask.delayed(pd.concat)(cooldowns.to_delayed()) if isinstance(cooldowns, dd.DataFrame) else cooldowns
        prev = dask.delayed(_cooldowns_by_cell, pure=True)(table)
    meta = changes._meta.assign(verdict=np.uint8(0), reasons=np.uint16(0)).iloc[:0]
    cmeta = pd.DataFrame({"parameter": pd.Series(dtype=np.int32), "cell": pd.Series(dtype=np.int32), "at": pd.Series(dtype=np.float64)})
    res, cools = [], []
    parts = changes.to_delayed()
    # Every cell in one partition, checked before any runs (a partition's
    # distinct cells only cross the cluster): the partitions stay in memory
    # until the check is done.
    checked = dask.delayed(_one_partition_per_cell, pure=True)(*[dask.delayed(_cells_of, pure=True)(p) for p in parts])
    for part in parts:
        r, c = dask.delayed(_validate_part, pure=True, nout=2)(tables, part, prev, record, checked)
        res.append(r)
        cools.append(c)
    return ValidationOutput(
        results=dd.from_delayed(res, meta=meta, divisions=changes.divisions, verify_meta=False),
        cooldowns=dd.from_delayed(cools, meta=cmeta, verify_meta=False),
    )
