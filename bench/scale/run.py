"""npm run bench:scale — ELEX on Dask at network scale.

20,000 cells × 200 counters × 96 periods (1.5 GB of float32, bench/scale/
data.py, generated chunk by chunk on the workers, seeded) on a
distributed.LocalCluster of 1 and then 2 worker processes (one thread each):

  elex    elex.dask.monitor(): the native core on each chunk (KPI table,
          alerts, history), results kept on the workers (persist)
  peer    the same KPIs and statistics as numpy expressions over the
          formulas (bench/scale/peer.py), same chunks, same cluster

Throughput is cells / wall time (median of --reps runs); peak memory is the
largest RSS of each worker process while the runs go (its share of the
counters included). Then a 1,000-cell slice: the native core on one thread
(SSE2) and the wasm engine (simd, one thread) in node, the figures of both
compared bit for bit. Prints a table; writes build/bench/scale.json.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", type=int, default=20_000)
    ap.add_argument("--counters", type=int, default=200)
    ap.add_argument("--periods", type=int, default=96)
    ap.add_argument("--chunk", type=int, default=1000, help="cells per chunk")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--peer-reps", type=int, default=3)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench", "scale.json"))
    a = ap.parse_args()

    import dask
    import dask.array as da
    from distributed import Client, wait

    import data
    import elex
    import elex.dask as ed
    import memwatch
    import peer

    cat = elex.load_catalog(os.path.join(ROOT, "build", "catalog", "default.json"))
    counters, pairs, levels = data.choose(cat, a.counters, a.seed)
    prog = cat.kpi_programs(counters)
    K = len(prog.names)
    cells = [f"cell-{i:06d}" for i in range(a.cells)]
    codes = peer.expressions([cat.kpis[n]["formula"] for n in prog.names], counters)
    C, P = len(counters), a.periods
    gb = a.cells * C * P * 4 / 1e9
    print(f"bench:scale  {a.cells:,} cells × {C} counters × {P} periods = {gb:.2f} GB float32, {K} KPIs, chunks of {a.chunk} cells")
    result = {
        "shape": {"cells": a.cells, "counters": C, "periods": P, "kpis": K, "gb": round(gb, 3), "chunk": a.chunk},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__, "dask": dask.__version__},
        "seed": a.seed,
        "load_average_1min_before": os.getloadavg()[0],
        "clusters": [],
    }

    def gen(block_info=None):
        (lo, hi) = block_info[None]["array-location"][0]
        return data.block(a.seed, lo, hi - lo, levels, P, pairs)

    def peer_chunk(cells_chunk, blk, hist):
        t, al, h, cs = peer.peer_block(codes, prog.names, prog.thresholds, prog.directions, cells_chunk, blk, hist)
        return t, al, h, cs

    for W in [int(x) for x in a.workers.split(",")]:
        cluster = ed.local_cluster(n_workers=W, threads_per_worker=1, memory_limit=0)
        client = Client(cluster)
        try:
            chunks = (a.chunk, C, P)
            counters_da = da.map_blocks(gen, dtype=np.float32, chunks=(tuple(min(a.chunk, a.cells - i) for i in range(0, a.cells, a.chunk)), (C,), (P,)))
            t0 = time.perf_counter()
            counters_da = client.persist(counters_da)
            wait(counters_da)
            gen_s = time.perf_counter() - t0
            # A first night gives every cell a history, so that the timed nights score z.
            first = ed.monitor(cat, counters, counters_da, cells)
            hist = client.persist(first.history)
            wait(hist)

            def timed(make, reps):
                times = []
                client.run(memwatch.start)
                for _ in range(reps):
                    t = time.perf_counter()
                    outs = client.persist(make(), optimize_graph=False)
                    wait(outs)
                    times.append(time.perf_counter() - t)
                    del outs
                mem = client.run(memwatch.stop)
                return times, mem

            def run_elex():
                o = ed.monitor(cat, counters, counters_da, cells, history=hist)
                return o._collections()  # persisted together: each chunk once (MonitorOutput.persist)

            def run_peer():
                outs = []
                start = 0
                for blk, hb in zip(counters_da.to_delayed().ravel(), hist.to_delayed().ravel()):
                    n = counters_da.chunks[0][len(outs)]
                    outs.append(dask.delayed(peer_chunk, pure=False, nout=4)(cells[start : start + n], blk, hb))
                    start += n
                return outs

            et, emem = timed(run_elex, a.reps)
            pt, pmem = timed(run_peer, a.peer_reps)
            res = {
                "workers": W,
                "load_average_1min_after": os.getloadavg()[0],
                "generate_s": gen_s,
                "elex": {"s": et, "median_s": statistics.median(et), "cells_per_s": a.cells / statistics.median(et)},
                "peer": {"s": pt, "median_s": statistics.median(pt), "cells_per_s": a.cells / statistics.median(pt)},
                # Worker CPU seconds per run (all workers, user + system): what
                # a run costs whatever else the machine is doing.
                "cpu_s_per_run": {
                    "elex": sum(m["cpu_s"] for m in emem.values()) / a.reps,
                    "peer": sum(m["cpu_s"] for m in pmem.values()) / a.peer_reps,
                },
                "peak_rss_mb": {
                    "elex": {w: round(m["peak"] / 2**20) for w, m in emem.items()},
                    "peer": {w: round(m["peak"] / 2**20) for w, m in pmem.items()},
                    "before": {w: round(m["base"] / 2**20) for w, m in emem.items()},
                },
            }
            result["clusters"].append(res)
            print(
                f"  {W} worker(s): generate {gen_s:.1f} s; elex {res['elex']['cells_per_s']:,.0f} cells/s "
                f"(median {res['elex']['median_s']:.2f} s of {a.reps}); peer {res['peer']['cells_per_s']:,.0f} cells/s "
                f"(median {res['peer']['median_s']:.2f} s of {a.peer_reps}); load average {res['load_average_1min_after']:.1f}"
            )
        finally:
            client.close()
            cluster.close()

    # ---------------------------------------------------- the 1,000-cell slice
    n = min(1000, a.cells)
    blk = np.concatenate([data.block(a.seed, lo, min(a.chunk, n - lo), levels, P, pairs) for lo in range(0, n, a.chunk)])
    h0 = elex.new_history(n, K)
    elex.evaluate(prog, data.block(a.seed + 1, 0, n, levels, P, pairs), h0)  # a night before, for z-scores
    nat = []
    for _ in range(7):
        h = h0.copy()
        t = time.perf_counter()
        r = elex.evaluate(prog, blk, h, threads=1)
        nat.append((time.perf_counter() - t) * 1000)
    sl = os.path.join(ROOT, "build", "bench", "scale-slice")
    os.makedirs(sl, exist_ok=True)
    for name, arr in [
        ("ops.i32", prog.ops),
        ("offsets.u32", prog.offsets),
        ("consts.f32", prog.consts),
        ("thresholds.f32", prog.thresholds),
        ("directions.i8", prog.directions),
        ("data.f32", blk),
        ("history.f64", h0),
    ]:
        np.ascontiguousarray(arr).tofile(os.path.join(sl, name))
    json.dump({"cells": n, "counters": C, "periods": P, "kpis": K, "z": 3.0, "minHistory": 8}, open(os.path.join(sl, "meta.json"), "w"))
    w = json.loads(subprocess.check_output(["node", os.path.join(HERE, "wasm-slice.mjs"), sl, "7"], cwd=ROOT))
    same = {}
    for name in ("anomalies", "max_z", "breaches", "nulls", "counter_stats", "kpi_stats"):
        same[name] = np.fromfile(os.path.join(sl, f"wasm-{name}"), np.uint8).tobytes() == np.ascontiguousarray(r[name]).tobytes()
    same["history"] = np.fromfile(os.path.join(sl, "wasm-history"), np.uint8).tobytes() == h.tobytes()
    result["slice"] = {
        "cells": n,
        "native_1thread_ms": sorted(nat),
        "native_median_ms": statistics.median(nat),
        "wasm_simd_node_ms": w["ms"],
        "wasm_median_ms": w["medianMs"],
        "node": w["node"],
        "kernel": elex.build_info()["kernel"],
        "bit_identical": same,
    }

    by = {c["workers"]: c for c in result["clusters"]}
    if 1 in by and 2 in by:
        result["scaling_1_to_2"] = by[2]["elex"]["cells_per_s"] / by[1]["elex"]["cells_per_s"]
        result["peer_scaling_1_to_2"] = by[2]["peer"]["cells_per_s"] / by[1]["peer"]["cells_per_s"]
    for c in result["clusters"]:
        c["elex_over_peer"] = c["elex"]["cells_per_s"] / c["peer"]["cells_per_s"]

    print()
    print("| run | cells/s | median s | worker CPU s / run | cells per CPU s | peak RSS per worker (MB) | elex / peer |")
    print("|---|---:|---:|---:|---:|---|---:|")
    for c in result["clusters"]:
        for what in ("elex", "peer"):
            rss = ", ".join(str(v) for v in c["peak_rss_mb"][what].values())
            ratio = f"{c['elex_over_peer']:.1f}×" if what == "elex" else ""
            cpu = c["cpu_s_per_run"][what]
            print(
                f"| {what}, {c['workers']} worker(s) | {c[what]['cells_per_s']:,.0f} | {c[what]['median_s']:.2f} | "
                f"{cpu:.2f} | {a.cells / cpu:,.0f} | {rss} | {ratio} |"
            )
    s = result["slice"]
    print(f"| native core, 1 thread ({s['kernel']}), {n:,}-cell slice | {n / s['native_median_ms'] * 1000:,.0f} | {s['native_median_ms'] / 1000:.3f} | | | | |")
    print(f"| wasm simd, 1 thread, node {s['node']}, {n:,}-cell slice | {n / s['wasm_median_ms'] * 1000:,.0f} | {s['wasm_median_ms'] / 1000:.3f} | | | | |")
    if "scaling_1_to_2" in result:
        print(f"\nscaling 1 → 2 workers: elex {result['scaling_1_to_2']:.2f}×, peer {result['peer_scaling_1_to_2']:.2f}×")
    print(f"slice, wasm vs native figures bit-identical: {all(same.values())} {'' if all(same.values()) else same}")
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(result, f, indent=1)
    print(f"wrote {os.path.relpath(a.out, ROOT)}")
    if not all(same.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
