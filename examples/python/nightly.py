"""A nightly KPI run on a Dask cluster: counters in, KPI table and alerts out,
history kept on shared storage between nights.

    PYTHONPATH=python:build/python /usr/bin/python3 examples/python/nightly.py \
        --scheduler tcp://scheduler-host:8786 --history /shared/elex-history --night 1

Without --scheduler it starts a LocalCluster of 2 workers. The counters here
are a seeded demo (cells × counters × periods float32 made on the workers);
in production they come from the data platform (e.g. da.from_zarr, or
dd.read_parquet and elex.dask.monitor_frame)."""

import argparse
import os

import dask.array as da
import numpy as np
from distributed import Client

import elex
import elex.dask as ed

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scheduler", help="tcp://host:8786 (default: a LocalCluster of 2 workers)")
    ap.add_argument("--catalog", default=os.path.join(ROOT, "build", "catalog", "default.json"))
    ap.add_argument("--history", required=True, help="a folder every worker and this client can read and write")
    ap.add_argument("--cells", type=int, default=4000)
    ap.add_argument("--night", type=int, default=1)
    ap.add_argument("--out", default=None, help="write the KPI table as CSV files here (one per chunk)")
    a = ap.parse_args()

    if a.scheduler:
        client = Client(a.scheduler)
    else:
        client = Client(ed.local_cluster(n_workers=2))
    print("workers:", len(client.scheduler_info()["workers"]))
    cat = elex.load_catalog(a.catalog)
    counters = [c for c in cat.counters][:200]
    cells = [f"cell-{i:06d}" for i in range(a.cells)]
    P = 96

    def night(block_info=None):  # demo counters, seeded by night and chunk
        (lo, hi) = block_info[None]["array-location"][0]
        rng = np.random.default_rng([a.night, lo])
        x = np.floor(rng.uniform(50, 150, (hi - lo, len(counters), P))).astype(np.float32)
        x[rng.random(x.shape) < 0.001] = np.nan
        return x

    chunks = (tuple(min(500, a.cells - i) for i in range(0, a.cells, 500)), (len(counters),), (P,))
    data = da.map_blocks(night, dtype=np.float32, chunks=chunks)
    prog = cat.kpi_programs(counters)
    have = os.path.exists(os.path.join(a.history, "cells.json"))
    history = ed.load_history(a.history, cells, prog.names, data.chunks[0]) if have else None
    out = ed.monitor(cat, counters, data, cells, history=history)
    table, alerts, new_history = out.compute()
    ed.save_history(a.history, cells, out.kpis, da.from_array(new_history, chunks=(500, -1, -1)))
    print(f"night {a.night}: {len(table):,} (cell, KPI) rows, {len(alerts):,} alerts "
          f"({(alerts['kind'] == 'anomaly').sum():,} anomalies), history of {int(new_history[0, 0, 0])} values per cell and KPI")
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        table.to_csv(os.path.join(a.out, f"kpis-night{a.night}.csv"), index=False)
    client.close()


if __name__ == "__main__":
    main()
