"""Shared fixtures: the default catalog and a seeded generator of PM counters."""

import os

import numpy as np
import pytest

import elex

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="session")
def catalog():
    return elex.load_catalog(os.path.join(ROOT, "build", "catalog", "default.json"))


def counters_of(cat, n=60):
    """The counters of the first KPIs with formulas, up to n."""
    out = []
    for k in cat.kpis.values():
        for kind, x in elex.parse_formula(k["formula"]) if k.get("formula") else []:
            if kind == "counter" and x not in out and x in cat.counters:
                out.append(x)
        if len(out) >= n:
            break
    return out


def pm_data(cells, counters, periods, seed, spikes=False):
    """Counts around a level per (cell, counter), with gaps (NaN), zeros and optional spikes."""
    rng = np.random.default_rng(seed)
    level = 10 ** (1 + 3 * rng.random((cells, counters, 1)))
    x = np.round(level * (0.8 + 0.4 * rng.random((cells, counters, periods)))).astype(np.float32)
    u = rng.random(x.shape)
    x[u < 0.01] = np.nan
    x[(u >= 0.01) & (u < 0.02)] = 0
    if spikes:
        x[u > 0.995] *= 25
    return x
