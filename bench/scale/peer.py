"""The same KPIs and statistics without ELEX, as a data engineer would write
them: each catalog formula turned into a numpy expression over the counter
arrays of a chunk (cells × periods per counter), then nan-aware reductions
for the per-(cell, KPI) figures, z-scores against the history, the history
update and the per-counter statistics. Not bit-identical to ELEX (another
order of operations), the same work."""

import numpy as np
import pandas as pd

import elex


def expressions(formulas, counters):
    """Each formula as a Python expression over variables c0, c1, … (counter columns)."""
    index = {c: i for i, c in enumerate(counters)}
    out = []
    for f in formulas:
        stack = []
        for kind, x in elex.parse_formula(f):
            if kind == "num":
                stack.append(f"np.float32({x!r})")
            elif kind == "counter":
                stack.append(f"c{index[x]}")
            elif x == "neg":
                stack.append(f"(-{stack.pop()})")
            else:
                b, a = stack.pop(), stack.pop()
                stack.append(f"safe_div({a}, {b})" if x == "/" else f"({a} {x} {b})")
        out.append(compile(stack[0], f, "eval"))
    return out


def safe_div(a, b):
    """a / b, NaN where b is 0 (a null KPI value)."""
    return np.where(b == 0, np.float32(np.nan), a / np.where(b == 0, np.float32(1), b))


def peer_block(codes, names, thresholds, directions, cells, block, hist, z_threshold=3.0, min_history=8):
    """One chunk: (KPI table, alerts, new history), as elex.dask gives them."""
    n, C, P = block.shape
    K = len(codes)
    env = {"np": np, "safe_div": safe_div}
    env.update({f"c{i}": block[:, i, :] for i in range(C)})
    stats = np.zeros((n, K, 5), np.float32)
    breaches = np.zeros((n, K), np.uint32)
    anomalies = np.zeros((n, K), np.uint32)
    max_z = np.zeros((n, K), np.float32)
    nulls = np.zeros((n, K, 2), np.uint32)
    new_hist = hist.copy()
    with np.errstate(divide="ignore", invalid="ignore"), np.testing.suppress_warnings() as sup:
        sup.filter(RuntimeWarning)
        for k, code in enumerate(codes):
            v = eval(code, env)
            ok = np.isfinite(v)
            cnt = ok.sum(axis=1)
            s = np.where(ok, v, 0).sum(axis=1)
            stats[:, k, 0] = cnt
            stats[:, k, 1] = s
            stats[:, k, 2] = s / cnt
            stats[:, k, 3] = np.nanmin(np.where(ok, v, np.nan), axis=1)
            stats[:, k, 4] = np.nanmax(np.where(ok, v, np.nan), axis=1)
            nulls[:, k, 0] = (~ok).sum(axis=1)
            if directions[k] > 0:
                breaches[:, k] = (v < thresholds[k]).sum(axis=1)
            elif directions[k] < 0:
                breaches[:, k] = (v > thresholds[k]).sum(axis=1)
            h0, m0, q0 = hist[:, k, 0], hist[:, k, 1], hist[:, k, 2]
            sd = np.sqrt(q0 / np.maximum(h0 - 1, 1))
            scored = (h0 >= min_history) & (sd > 0)
            z = np.abs(v - m0[:, None].astype(np.float32)) / sd[:, None].astype(np.float32)
            z = np.where(ok & scored[:, None], z, 0)
            anomalies[:, k] = (z > z_threshold).sum(axis=1)
            max_z[:, k] = z.max(axis=1)
            mb = s / np.maximum(cnt, 1)
            qb = np.where(ok, (v - mb[:, None]) ** 2, 0).sum(axis=1)
            tot = h0 + cnt
            d = mb - m0
            new_hist[:, k, 0] = tot
            new_hist[:, k, 1] = np.where(tot > 0, m0 + d * cnt / np.maximum(tot, 1), m0)
            new_hist[:, k, 2] = q0 + qb + d * d * h0 * cnt / np.maximum(tot, 1)
        # Per-counter statistics over the periods.
        cs = np.empty((n, C, 5), np.float32)
        cs[..., 0] = (~np.isnan(block)).sum(axis=2)
        cs[..., 1] = np.nansum(block, axis=2)
        cs[..., 2] = cs[..., 1] / cs[..., 0]
        cs[..., 3] = np.nanmin(block, axis=2)
        cs[..., 4] = np.nanmax(block, axis=2)
    table = pd.DataFrame(
        {
            "cell": np.repeat(np.asarray(cells, dtype=object), K),
            "kpi": np.tile(np.asarray(names, dtype=object), n),
            "count": stats[..., 0].ravel(),
            "sum": stats[..., 1].ravel(),
            "mean": stats[..., 2].ravel(),
            "min": stats[..., 3].ravel(),
            "max": stats[..., 4].ravel(),
            "breaches": breaches.ravel(),
            "anomalies": anomalies.ravel(),
            "max_z": max_z.ravel(),
            "nulls_missing": nulls[..., 0].ravel(),
            "nulls_division_by_zero": nulls[..., 1].ravel(),
        }
    )
    hit = (table["breaches"] > 0) | (table["anomalies"] > 0)
    alerts = table.loc[hit, ["cell", "kpi", "breaches", "anomalies", "min", "max", "max_z"]]
    return table, alerts, new_hist, cs
