"""Seeded PM counters for the scale benchmark: cells × counters × periods
float32 (15-minute periods), generated chunk by chunk where they are used.

Per counter a traffic level (see choose()); per cell a load factor
(log-normal); over the day a profile (quiet at 04:00, busy in the evening);
noise of ±30 %; success counters a fraction (92 … 99.8 %, a few percent of cells
degraded) of their attempt
counter; 0.05 % of samples missing (NaN); 0.5 % of cells down for an hour
(zero traffic). Cells are generated in units of UNIT cells (block()); cells()
cuts any range of cells out of them: cell i of a run with a given seed is
always the same bytes, whichever process generates it and whatever the
chunk size."""

import re

import numpy as np

import elex

#: Cells per generated unit (block()): a chunk of any size is cut from these units.
UNIT = 1000


def choose(catalog, n_counters=200, seed=2026):
    """The counters of the first KPIs (catalog order) that fit in n_counters,
    padded with other catalog counters; the (success, attempt) pairs among
    them; and a traffic level per counter: 100 … 10^4 per period, or, for a
    counter of a "lower is better" KPI (a rate X / N or a total X + Y), a
    level that keeps the KPI under its threshold but in the busy hour of
    busy cells."""
    counters = []
    for k in catalog.kpis.values():
        if not k.get("formula"):
            continue
        names = [x for kind, x in elex.parse_formula(k["formula"]) if kind == "counter"]
        new = [x for x in dict.fromkeys(names) if x not in counters]
        if len(counters) + len(new) > n_counters:
            break
        counters += new
    for c in catalog.counters:
        if len(counters) >= n_counters:
            break
        if c not in counters:
            counters.append(c)
    index = {c: i for i, c in enumerate(counters)}
    pairs = []
    for k in catalog.kpis.values():
        m = re.fullmatch(r"100 \* (\S+) / (\S+)", k.get("formula") or "")
        if m and m.group(1) in index and m.group(2) in index:
            pairs.append((index[m.group(1)], index[m.group(2)]))
    levels = 10.0 ** np.random.default_rng([seed, 0]).uniform(2, 4, len(counters))
    for k in catalog.kpis.values():
        f, thr = k.get("formula") or "", k.get("threshold")
        if thr is None or k.get("direction") != "lower":
            continue
        m = re.fullmatch(r"(\S+) / (\d+)", f)
        if m and m.group(1) in index:
            levels[index[m.group(1)]] = 0.35 * thr * float(m.group(2))
        m = re.fullmatch(r"(\S+) \+ (\S+)", f)
        if m and m.group(1) in index and m.group(2) in index:
            levels[index[m.group(1)]] = levels[index[m.group(2)]] = 0.2 * thr
    return counters, np.array(pairs, dtype=np.int64).reshape(-1, 2), levels.astype(np.float32)


def block(seed, first_cell, cells, levels, periods, pairs, network=2026):
    """Cells [first_cell, first_cell + cells) on the night `seed` (levels:
    choose()). What a cell is (its load, its success rates) comes from
    `network` and the cell; the night's noise, gaps and outages from `seed`."""
    n_counters = len(levels)
    level = np.asarray(levels, np.float32)[None, :, None]
    cell_rng = np.random.default_rng([network, 2, first_cell])
    load = cell_rng.lognormal(0.0, 0.6, (cells, 1, 1)).astype(np.float32)
    rate = np.float32(0.998) - np.float32(0.08) * cell_rng.random((cells, len(pairs), 1), dtype=np.float32) ** 12
    rng = np.random.default_rng([seed, 1, first_cell])
    t = np.arange(periods, dtype=np.float32)
    day = 0.5 - 0.5 * np.cos(2 * np.pi * (t - 16) / 96)
    profile = (0.1 + 0.9 * day**1.5).astype(np.float32)[None, None, :]
    x = rng.random((cells, n_counters, periods), dtype=np.float32)
    x *= np.float32(0.6)
    x += np.float32(0.7)
    x *= level
    x *= load
    x *= profile
    np.floor(x, out=x)
    if len(pairs):
        x[:, pairs[:, 0], :] = np.floor(x[:, pairs[:, 1], :] * rate)
    down = np.flatnonzero(rng.random(cells) < 0.005)
    for c in down:
        t0 = int(rng.integers(0, periods - 4))
        x[c, :, t0 : t0 + 4] = 0
    miss = rng.random((cells, n_counters, periods), dtype=np.float32) < 0.0005
    x[miss] = np.nan
    return x


def cells(seed, lo, hi, levels, periods, pairs):
    """Cells [lo, hi) on the night `seed`, cut from the units of UNIT cells that
    block() generates (so the same bytes for a cell whatever the chunking)."""
    out = np.empty((hi - lo, len(levels), periods), np.float32)
    for u in range(lo // UNIT * UNIT, hi, UNIT):
        s, e = max(lo, u), min(hi, u + UNIT)
        out[s - lo : e - lo] = block(seed, u, UNIT, levels, periods, pairs)[s - u : e - u]
    return out
