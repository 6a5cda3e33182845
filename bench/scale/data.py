"""Seeded PM counters for the scale benchmark: cells × counters × periods
float32 (15-minute periods), generated chunk by chunk where they are used.

Per counter a traffic level (10 … 10^4 per period); per cell a load factor
(log-normal); over the day a profile (quiet at 04:00, busy in the evening);
noise of ±30 %; success counters a fraction (94 … 99.8 %, mostly near the top) of their attempt
counter; 0.05 % of samples missing (NaN); 0.5 % of cells down for an hour
(zero traffic). Chunk b of a run with a given seed is always the same bytes,
whichever process generates it."""

import re

import numpy as np

import elex


def choose(catalog, n_counters=200):
    """The counters of the first KPIs (catalog order) that fit in n_counters,
    padded with other catalog counters; and the (success, attempt) pairs among them."""
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
    return counters, np.array(pairs, dtype=np.int64).reshape(-1, 2)


def block(seed, first_cell, cells, n_counters, periods, pairs):
    """Cells [first_cell, first_cell + cells) of the run `seed`."""
    levels = np.random.default_rng([seed, 0]).uniform(1, 4, n_counters)
    level = (10.0**levels).astype(np.float32)[None, :, None]
    rng = np.random.default_rng([seed, 1, first_cell])
    t = np.arange(periods, dtype=np.float32)
    day = 0.5 - 0.5 * np.cos(2 * np.pi * (t - 16) / 96)
    profile = (0.1 + 0.9 * day**1.5).astype(np.float32)[None, None, :]
    load = rng.lognormal(0.0, 0.6, (cells, 1, 1)).astype(np.float32)
    x = rng.random((cells, n_counters, periods), dtype=np.float32)
    x *= np.float32(0.6)
    x += np.float32(0.7)
    x *= level
    x *= load
    x *= profile
    np.floor(x, out=x)
    if len(pairs):
        rate = np.float32(0.998) - np.float32(0.06) * rng.random((cells, len(pairs), 1), dtype=np.float32) ** 6
        x[:, pairs[:, 0], :] = np.floor(x[:, pairs[:, 1], :] * rate)
    down = np.flatnonzero(rng.random(cells) < 0.005)
    for c in down:
        t0 = int(rng.integers(0, periods - 4))
        x[c, :, t0 : t0 + 4] = 0
    miss = rng.random((cells, n_counters, periods), dtype=np.float32) < 0.0005
    x[miss] = np.nan
    return x
