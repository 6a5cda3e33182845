"""npm run bench:scale — ELEX on Dask at network scale.

20,000 cells × 200 counters × 96 periods (1.5 GB of float32, bench/scale/
data.py, seeded), in chunks of 2,000 cells (--chunk), on
distributed.LocalClusters of 1 and 2 worker processes (one thread each):

  elex    elex.dask.monitor(): the native core on each chunk of cells, the
          KPI table and alerts (Dask DataFrames) and the new history (Dask
          array), kept on the workers (MonitorOutput.persist)
  peer    the same KPIs and statistics as numpy/pandas expressions over the
          formulas (bench/scale/peer.py), as the same three Dask collections,
          same chunks, same clusters

The counters are generated on the workers, chunk by chunk, before the timing
(not timed: a user's counters are already on the data platform's workers, not
on the client), the same number of chunks on each worker (contiguous ranges
of cells); the timed runs read them where they are. Every cluster is up for
the whole run; ELEX, then the peer, first run once untimed on each cluster
(a warm-up), then their timed runs take turns between the clusters, so that a
load from elsewhere on the machine falls on each configuration alike. ELEX
also runs at the chunk sizes of --more-chunks (default 1,000 cells): the same
counters cut into those chunks where they are (views of the main chunks when
the size divides theirs), its timed runs taking turns with the main ones
(scale.json: chunk_sizes, scaling_1_to_2_by_chunk); so does the peer, whose
numpy temporaries outgrow the caches with bigger chunks (its best is 1,000).
Throughput is cells / wall time of a run (graph built, submitted, every chunk
evaluated, results on the workers), median of --reps runs; peak memory is the
largest RSS of each worker process over the runs (its share of the counters
included; the kernel's high-water mark, reset before each run). Per run it
prints the load average, each worker's busy seconds (task stream), the
transfers between workers, and the CPU seconds of the workers' task threads,
of the rest of the workers (event loop, communications) and of this process
(the client and the LocalCluster's scheduler). Then a 1,000-cell slice: the
native core on one thread (SSE2) and the wasm engine (simd, one thread) in
headless Chromium and in node, their figures compared bit for bit. Prints a
table; writes build/bench/scale.json.
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


def _autogroup():
    try:
        with open("/proc/self/autogroup") as f:
            return f.read().split()[0]
    except OSError:
        return None


def _own_session():
    os.setsid()
    return _autogroup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", type=int, default=20_000)
    ap.add_argument("--counters", type=int, default=200)
    ap.add_argument("--periods", type=int, default=96)
    ap.add_argument("--chunk", type=int, default=2000, help="cells per chunk (ELEX and the peer)")
    ap.add_argument(
        "--more-chunks",
        default="1000",
        help="other chunk sizes (cells, comma-separated) that ELEX also runs at, on the same counters and clusters, taking turns with the main runs ('' for none)",
    )
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--peer-reps", type=int, default=3)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument(
        "--worker-sessions",
        action="store_true",
        help="start a session (setsid) in each worker process, so that each has its own autogroup (see below)",
    )
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench", "scale.json"))
    a = ap.parse_args()

    import operator

    import dask
    import dask.array as da
    import dask.dataframe as dd
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph
    from distributed import Client, as_completed, futures_of

    import data
    import elex
    import elex.dask as ed
    import memwatch
    import peer
    import psutil

    more = [int(x) for x in a.more_chunks.split(",") if x.strip() and int(x) != a.chunk]
    cat = elex.load_catalog(os.path.join(ROOT, "build", "catalog", "default.json"))
    counters, pairs, levels = data.choose(cat, a.counters, a.seed)
    prog = cat.kpi_programs(counters)
    K = len(prog.names)
    cells = [f"cell-{i:06d}" for i in range(a.cells)]
    codes = peer.expressions([cat.kpis[n]["formula"] for n in prog.names], counters)
    C, P = len(counters), a.periods
    gb = a.cells * C * P * 4 / 1e9
    print(f"bench:scale  {a.cells:,} cells × {C} counters × {P} periods = {gb:.2f} GB float32, {K} KPIs, chunks of {a.chunk} cells")
    print("  counters generated on the workers before the timing (not timed; the same number of chunks on each worker),")
    print("  as on a data platform; ELEX and the peer read the same chunks on the same clusters")
    if more:
        print(f"  ELEX also in chunks of {', '.join(f'{c:,}' for c in more)} cells (the same counters, the same clusters, taking turns)")
    result = {
        "shape": {"cells": a.cells, "counters": C, "periods": P, "kpis": K, "gb": round(gb, 3), "chunk": a.chunk, "more_chunks": more},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__, "dask": dask.__version__},
        "seed": a.seed,
        "load_average_1min_before": os.getloadavg()[0],
        "clusters": [],
    }

    def gen(block_info=None):
        (lo, hi) = block_info[None]["array-location"][0]
        return data.cells(a.seed, lo, hi, levels, P, pairs)

    def peer_chunk(cells_chunk, blk, hist):
        return peer.peer_block(codes, prog.names, prog.thresholds, prog.directions, cells_chunk, blk, hist)

    def layout(chunk):
        return tuple(min(chunk, a.cells - i) for i in range(0, a.cells, chunk))

    sizes = layout(a.chunk)
    starts = np.cumsum((0,) + sizes)
    nchunks = len(sizes)
    widths = [int(x) for x in a.workers.split(",")]

    def peer_collections(counters_da, hist, rep):
        """The peer's KPI table, alerts and history as Dask collections, built as
        elex.dask.monitor builds ELEX's: per chunk one task and a getitem per output."""
        sizes = counters_da.chunks[0]
        starts = np.cumsum((0,) + sizes)
        nchunks = len(sizes)
        token = tokenize(counters_da.name, hist.name, rep)
        name = "peer-" + token
        layer = {
            (name, i): (peer_chunk, cells[starts[i] : starts[i + 1]], (counters_da.name, i, 0, 0), (hist.name, i, 0, 0))
            for i in range(nchunks)
        }
        g = HighLevelGraph.from_collections(name, layer, dependencies=[counters_da, hist])

        def output(kind, index, array):
            out = f"peer-{kind}-{token}"
            keys = [(out, i, 0, 0) if array else (out, i) for i in range(nchunks)]
            part = {k: (operator.getitem, (name, i), index) for i, k in enumerate(keys)}
            return out, HighLevelGraph({**g.layers, out: part}, {**g.dependencies, out: {name}})

        t, tg = output("table", 0, False)
        al, ag = output("alerts", 1, False)
        h, hg = output("history", 2, True)
        return [
            dd.core.new_dd_object(tg, t, peer_meta[0], (None,) * (nchunks + 1)),
            dd.core.new_dd_object(ag, al, peer_meta[1], (None,) * (nchunks + 1)),
            da.Array(hg, h, (sizes, (K,), (3,)), dtype=np.float64),
        ]

    empty = peer.peer_block(codes, prog.names, prog.thresholds, prog.directions, [], np.zeros((0, C, P), np.float32), np.zeros((0, K, 3)))
    peer_meta = (empty[0], empty[1])

    # Every cluster is up for the whole run, and the timed runs take turns
    # (elex on 1 worker, on 2, the peer on 1, on 2, then again): a load from
    # elsewhere on the machine falls on every configuration alike.
    def wait(client, collections):
        """Returns when every future of ``collections`` is done, watched on
        ``client``'s event loop. (distributed.wait() watches through the default
        client, the last one made: with two clusters in this process, the
        2-worker cluster's loop, which learns that the 1-worker cluster's
        futures finished only when it next wakes up: 0.1-0.3 s late with
        CLUSTER_CONFIG's 1 s tick, up to 20 ms with Dask's default tick, on
        every 1-worker run.)"""
        for _ in as_completed(futures_of(collections), loop=client.loop):
            pass

    def cut(x, chunk):
        """x's cells in chunks of ``chunk`` cells: where each new chunk lies in one
        of x's chunks, a view of it (operator.getitem of a numpy array: no copy;
        Dask's own rechunk copies a slice of half a chunk or less, to free the
        rest), else x.rechunk() (copies)."""
        new = layout(chunk)
        old_b, new_b = np.cumsum((0,) + x.chunks[0]), np.cumsum((0,) + new)
        j = np.searchsorted(old_b, new_b[:-1], side="right") - 1
        if np.any(new_b[1:] > old_b[j + 1]):
            return x.rechunk((new, C, P))
        name = f"cells-{chunk}-" + tokenize(x.name, chunk)
        layer = {
            (name, i, 0, 0): (operator.getitem, (x.name, int(j[i]), 0, 0), (slice(int(new_b[i] - old_b[j[i]]), int(new_b[i + 1] - old_b[j[i]])),))
            for i in range(len(new))
        }
        return da.Array(HighLevelGraph.from_collections(name, layer, dependencies=[x]), name, (new, (C,), (P,)), dtype=x.dtype)

    def chunks_per_worker(client, addrs, collection):
        per_worker = {w: 0 for w in addrs}
        for ws in client.who_has(collection).values():
            for w in ws:
                per_worker[w] += 1
        return list(per_worker.values())

    # runs: one per cluster at the main chunk size (ELEX and the peer); more:
    # ELEX at the other chunk sizes, on the same clusters and the same counters.
    runs, extra = [], []
    try:
        for W in widths:
            cluster = ed.local_cluster(n_workers=W, threads_per_worker=1, memory_limit=0)
            client = Client(cluster)
            client.get_task_stream()  # the scheduler records the task stream from the first call on
            runs.append({"workers": W, "cluster": cluster, "client": client, "chunk": a.chunk, "nchunks": nchunks})
            # Linux with sched_autogroup_enabled=1 (this machine) shares the CPU
            # fairly between sessions first, then between the threads of a
            # session: every process this bench starts is in one session, so
            # while other sessions keep the cores busy, 2 workers get no more
            # CPU than 1. With --worker-sessions each worker has its own, as a
            # worker on a host of its own would not share one.
            groups = client.run(_own_session) if a.worker_sessions else client.run(_autogroup)
            runs[-1]["autogroups"] = sorted(set(str(g) for g in groups.values()))
            # The counters are generated on the workers (seeded), before the timing,
            # in a data platform's layout: contiguous ranges of cells, the same
            # number of chunks on every worker (chunk i on worker i·W/n), where
            # the monitor's and the peer's tasks then find them.
            addrs = sorted(client.scheduler_info()["workers"])
            with dask.annotate(workers=lambda key, addrs=addrs, W=W: [addrs[key[1] * W // nchunks]], allow_other_workers=False):
                counters_da = da.map_blocks(gen, dtype=np.float32, chunks=(sizes, (C,), (P,)))
            t0 = time.perf_counter()
            counters_da = client.persist(counters_da, optimize_graph=False)
            wait(client, counters_da)
            gen_s = time.perf_counter() - t0
            placed = chunks_per_worker(client, addrs, counters_da)
            # A first night gives every cell a history, so that the timed nights score z.
            hist = client.persist(ed.monitor(cat, counters, counters_da, cells).history)
            wait(client, hist)
            runs[-1].update(counters_da=counters_da, hist=hist, gen_s=gen_s, chunks_per_worker=placed)
            print(f"  {W} worker(s): counters generated on the workers in {gen_s:.1f} s (not timed), chunks of {a.chunk} cells per worker {placed}")
            for ch in more:
                # The same counters cut into chunks of ch cells on the workers that
                # hold them (a chunk that divides the main one is a view of it: no
                # copy, no more memory), and their own first night.
                x = client.persist(cut(counters_da, ch), optimize_graph=False)
                wait(client, x)
                h = client.persist(ed.monitor(cat, counters, x, cells).history)
                wait(client, h)
                e = {"workers": W, "cluster": cluster, "client": client, "chunk": ch, "nchunks": len(layout(ch)), "counters_da": x, "hist": h}
                e["chunks_per_worker"] = chunks_per_worker(client, addrs, x)
                extra.append(e)
                print(f"  {W} worker(s): the same counters in chunks of {ch} cells, per worker {e['chunks_per_worker']}")

        def timed_rep(r, what, rep):
            """One timed run: build the graph, persist, wait. Returns seconds, and
            the task stream of the run (read after the timing)."""
            client = r["client"]
            w0 = time.time()
            t = time.perf_counter()
            if what == "elex":
                outs = ed.monitor(cat, counters, r["counters_da"], cells, history=r["hist"]).persist(client)
            else:
                outs = client.persist(peer_collections(r["counters_da"], r["hist"], rep), optimize_graph=False)
            wait(client, outs)
            s = time.perf_counter() - t
            del outs
            stream = client.get_task_stream(start=w0)
            main = "elex-monitor-" if what == "elex" else "peer-"
            busy, ntasks, transfers, transfer_s = {}, 0, 0, 0.0
            spans = {}  # per worker: the chunk tasks' (start, stop)
            for task in stream:
                key = task["key"]  # "('name', i)" in the task stream
                key = key[0] if isinstance(key, tuple) else key[2 : key.find("'", 2)] if key.startswith("('") else key
                if not (key.startswith(main) and "-" not in key[len(main):]):
                    continue
                for st in task["startstops"]:
                    if st["action"] == "compute":
                        ntasks += 1
                        busy[task["worker"]] = busy.get(task["worker"], 0.0) + st["stop"] - st["start"]
                        spans.setdefault(task["worker"], []).append((st["start"], st["stop"]))
                    elif st["action"] == "transfer":
                        transfers += 1
                        transfer_s += st["stop"] - st["start"]
            # Where the run's wall time goes besides the chunks: from the call to
            # the first chunk task (graph to the scheduler, tasks to the
            # workers), between one chunk task and the next on a worker, and
            # from the last to the end of wait() (the scheduler and the client
            # told).
            starts = [x[0] for v in spans.values() for x in v]
            stops = [x[1] for v in spans.values() for x in v]
            gaps = [sum(max(0.0, b[0] - a[1]) for a, b in zip(sorted(v), sorted(v)[1:])) for v in spans.values()]
            phases = {
                "lead_in_s": min(starts) - w0 if starts else None,
                "tail_s": w0 + s - max(stops) if stops else None,
                "gaps_s": sorted(gaps, reverse=True),
            }
            return s, {"chunks_computed": ntasks, "chunk_transfers": transfers, "transfer_s": transfer_s, "busy_s": sorted(busy.values(), reverse=True), "tasks": len(stream), **phases}

        for r in runs + extra:
            r["res"] = {"elex": {"s": [], "runs": [], "warmup_s": None}, "peer": {"s": [], "runs": [], "warmup_s": None}}
            r["mem"] = {"elex": {}, "peer": {}}
        me = psutil.Process()
        # ELEX first, then the peer. Each starts with an untimed run on every
        # cluster (a fresh worker process pays for its first run: imports, the
        # heap's first pages, Dask's task-duration estimates), then the timed runs
        # take turns between the clusters (1 worker, 2, 1, 2, ...; ELEX at the
        # main chunk size, then at each of --more-chunks, in every round), so
        # that a load from elsewhere on the machine falls on all alike.
        # (Interleaved with the peer, whose runs churn 1-2 GB per worker, an ELEX
        # run right after a peer run on the same workers was up to 30 % slower.)
        for what, reps, confs in (("elex", a.reps, runs + extra), ("peer", a.peer_reps, runs + extra)):
            for r in confs:
                load = os.getloadavg()[0]
                s, _ = timed_rep(r, what, "warm-up")
                r["res"][what]["warmup_s"] = s
                print(f"  {what} {r['workers']} worker(s), chunks of {r['chunk']}, warm-up (not timed): {s:.3f} s, load {load:.1f}")
            for rep in range(reps):
                for r in confs:
                    client = r["client"]
                    client.run(memwatch.start)
                    load = os.getloadavg()[0]
                    c0 = me.cpu_times()
                    s, info = timed_rep(r, what, rep)
                    c1 = me.cpu_times()
                    mem = client.run(memwatch.stop)
                    info["load_average_1min"] = load
                    # This process: the client (graph building) and the scheduler (LocalCluster runs it here).
                    info["client_scheduler_cpu_s"] = c1.user + c1.system - c0.user - c0.system
                    info["worker_task_cpu_s"] = sorted((m["task_cpu_s"] for m in mem.values()), reverse=True)
                    info["worker_other_cpu_s"] = sorted((m["cpu_s"] - m["task_cpu_s"] for m in mem.values()), reverse=True)
                    r["res"][what]["s"].append(s)
                    r["res"][what]["runs"].append(info)
                    r.setdefault("peak_from", set()).update(m["peak_from"] for m in mem.values())
                    for w, m in mem.items():
                        acc = r["mem"][what].setdefault(w, {"peak": 0, "base": m["base"], "cpu_s": 0.0, "task_cpu_s": 0.0})
                        acc["peak"] = max(acc["peak"], m["peak"])
                        acc["cpu_s"] += m["cpu_s"]
                        acc["task_cpu_s"] += m["task_cpu_s"]
                    if info["chunks_computed"] != r["nchunks"]:
                        print(f"  warning: {what} on {r['workers']} worker(s) computed {info['chunks_computed']} chunks, not {r['nchunks']}")
                    print(
                        f"  {what} {r['workers']} worker(s), chunks of {r['chunk']}, run {rep + 1}: {s:.3f} s, {a.cells / s:,.0f} cells/s, load {load:.1f}, "
                        f"busy s per worker {', '.join(f'{b:.2f}' for b in info['busy_s'])}, transfers {info['chunk_transfers']} ({info['transfer_s']:.2f} s), "
                        f"first chunk task after {info['lead_in_s']:.3f} s, gaps between them {', '.join(f'{g:.3f}' for g in info['gaps_s'])} s, end {info['tail_s']:.3f} s after the last, "
                        f"CPU s: task threads {', '.join(f'{b:.2f}' for b in info['worker_task_cpu_s'])}, "
                        f"rest of the workers {', '.join(f'{b:.2f}' for b in info['worker_other_cpu_s'])}, client and scheduler {info['client_scheduler_cpu_s']:.2f}"
                    )
        for r in runs:
            W = r["workers"]
            et, pt = r["res"]["elex"]["s"], r["res"]["peer"]["s"]
            emem, pmem = r["mem"]["elex"], r["mem"]["peer"]
            res = {
                "workers": W,
                "load_average_1min_after": os.getloadavg()[0],
                "generate_s": r["gen_s"],
                "generated_on": "workers",
                "chunks_per_worker": r["chunks_per_worker"],
                "worker_sessions": a.worker_sessions,
                "autogroups": r["autogroups"],
                "bench_autogroup": _autogroup(),
                "elex": {"s": et, "median_s": statistics.median(et), "cells_per_s": a.cells / statistics.median(et), "runs": r["res"]["elex"]["runs"]},
                "peer": {"s": pt, "median_s": statistics.median(pt), "cells_per_s": a.cells / statistics.median(pt), "runs": r["res"]["peer"]["runs"]},
                # Worker CPU seconds per run (all workers, user + system): what
                # a run costs whatever else the machine is doing.
                "cpu_s_per_run": {
                    "elex": sum(m["cpu_s"] for m in emem.values()) / a.reps,
                    "peer": sum(m["cpu_s"] for m in pmem.values()) / a.peer_reps,
                },
                # Where ELEX's CPU goes in a run: the workers' task threads (the
                # engine and the chunk's tables), the rest of the workers (event
                # loop, communications), the client and scheduler (this process).
                "elex_cpu_s_per_run": {
                    "task_threads": sum(m["task_cpu_s"] for m in emem.values()) / a.reps,
                    "workers_other": sum(m["cpu_s"] - m["task_cpu_s"] for m in emem.values()) / a.reps,
                    "client_scheduler": statistics.median(x["client_scheduler_cpu_s"] for x in r["res"]["elex"]["runs"]),
                },
                "warmup_s": {"elex": r["res"]["elex"]["warmup_s"], "peer": r["res"]["peer"]["warmup_s"]},
                # VmHWM (the kernel's exact peak), or sampled every 10 ms (bench/scale/memwatch.py)
                "peak_rss_from": sorted(r.get("peak_from", ())),
                "peak_rss_mb": {
                    "elex": {w: round(m["peak"] / 2**20) for w, m in emem.items()},
                    "peer": {w: round(m["peak"] / 2**20) for w, m in pmem.items()},
                    "before": {w: round(m["base"] / 2**20) for w, m in emem.items()},
                },
            }
            result["clusters"].append(res)
            print(
                f"  {W} worker(s): elex {res['elex']['cells_per_s']:,.0f} cells/s "
                f"(median {res['elex']['median_s']:.2f} s of {a.reps}); peer {res['peer']['cells_per_s']:,.0f} cells/s "
                f"(median {res['peer']['median_s']:.2f} s of {a.peer_reps}); load average {res['load_average_1min_after']:.1f}"
            )
        # ELEX and the peer at every chunk size, the main one included (its runs as above).
        result["chunk_sizes"] = []
        for r in runs + extra:
            et, emem, pt = r["res"]["elex"]["s"], r["mem"]["elex"], r["res"]["peer"]["s"]
            result["chunk_sizes"].append(
                {
                    "chunk": r["chunk"],
                    "chunks": r["nchunks"],
                    "workers": r["workers"],
                    "chunks_per_worker": r["chunks_per_worker"],
                    "elex": {"s": et, "median_s": statistics.median(et), "cells_per_s": a.cells / statistics.median(et)},
                    "elex_cpu_s_per_run": {
                        "task_threads": sum(m["task_cpu_s"] for m in emem.values()) / a.reps,
                        "workers_other": sum(m["cpu_s"] - m["task_cpu_s"] for m in emem.values()) / a.reps,
                        "client_scheduler": statistics.median(x["client_scheduler_cpu_s"] for x in r["res"]["elex"]["runs"]),
                    },
                    "lead_in_s": statistics.median(x["lead_in_s"] for x in r["res"]["elex"]["runs"]),
                    "load_average_1min": [x["load_average_1min"] for x in r["res"]["elex"]["runs"]],
                    "peak_rss_mb": {w: round(m["peak"] / 2**20) for w, m in emem.items()},
                    "peer": {"s": pt, "median_s": statistics.median(pt), "cells_per_s": a.cells / statistics.median(pt)},
                    "elex_over_peer": statistics.median(pt) / statistics.median(et),
                }
            )
    finally:
        for r in runs:
            r["client"].close()
            r["cluster"].close()

    # ---------------------------------------------------- the 1,000-cell slice
    n = min(1000, a.cells)
    blk = data.cells(a.seed, 0, n, levels, P, pairs)
    h0 = elex.new_history(n, K)
    elex.evaluate(prog, data.cells(a.seed + 1, 0, n, levels, P, pairs), h0)  # a night before, for z-scores
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
    wasm = {}
    same = {}
    for where in ("chromium", "node"):
        w = json.loads(subprocess.check_output(["node", os.path.join(HERE, "wasm-slice.mjs"), sl, "7", where], cwd=ROOT))
        wasm[where] = w
        for name in ("anomalies", "max_z", "breaches", "nulls", "counter_stats", "kpi_stats"):
            same[f"{where}:{name}"] = np.fromfile(os.path.join(sl, f"{where}-{name}"), np.uint8).tobytes() == np.ascontiguousarray(r[name]).tobytes()
        same[f"{where}:history"] = np.fromfile(os.path.join(sl, f"{where}-history"), np.uint8).tobytes() == h.tobytes()
    result["slice"] = {
        "cells": n,
        "native_1thread_ms": sorted(nat),
        "native_median_ms": statistics.median(nat),
        "wasm_simd_chromium_ms": wasm["chromium"]["ms"],
        "wasm_chromium_median_ms": wasm["chromium"]["medianMs"],
        "chromium": wasm["chromium"]["version"],
        "wasm_simd_node_ms": wasm["node"]["ms"],
        "wasm_median_ms": wasm["node"]["medianMs"],
        "node": wasm["node"]["version"],
        "kernel": elex.build_info()["kernel"],
        "bit_identical": same,
    }

    by = {c["workers"]: c for c in result["clusters"]}
    if 1 in by and 2 in by:
        result["scaling_1_to_2"] = by[2]["elex"]["cells_per_s"] / by[1]["elex"]["cells_per_s"]
        result["peer_scaling_1_to_2"] = by[2]["peer"]["cells_per_s"] / by[1]["peer"]["cells_per_s"]
    for c in result["clusters"]:
        c["elex_over_peer"] = c["elex"]["cells_per_s"] / c["peer"]["cells_per_s"]
        # Against the peer at its own best chunk size (of --chunk and --more-chunks).
        best = min(x["peer"]["median_s"] for x in result["chunk_sizes"] if x["workers"] == c["workers"])
        c["elex_over_best_peer"] = best / c["elex"]["median_s"]
    by_chunk = {}
    for c in result["chunk_sizes"]:
        by_chunk.setdefault(c["chunk"], {})[c["workers"]] = c
    result["scaling_1_to_2_by_chunk"] = {
        str(ch): w[2]["elex"]["cells_per_s"] / w[1]["elex"]["cells_per_s"] for ch, w in by_chunk.items() if 1 in w and 2 in w
    }

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
    print(f"| wasm simd, 1 thread, Chromium {s['chromium']}, {n:,}-cell slice | {n / s['wasm_chromium_median_ms'] * 1000:,.0f} | {s['wasm_chromium_median_ms'] / 1000:.3f} | | | | |")
    print(f"| wasm simd, 1 thread, node {s['node']}, {n:,}-cell slice | {n / s['wasm_median_ms'] * 1000:,.0f} | {s['wasm_median_ms'] / 1000:.3f} | | | | |")
    if "scaling_1_to_2" in result:
        print(f"\nscaling 1 → 2 workers: elex {result['scaling_1_to_2']:.2f}×, peer {result['peer_scaling_1_to_2']:.2f}× (chunks of {a.chunk:,} cells)")
    print("elex / the peer at its best chunk size: " + ", ".join(f"{c['workers']} worker(s) {c['elex_over_best_peer']:.1f}×" for c in result["clusters"]))
    if more:
        print("\n| ELEX, chunk size (cells) | tasks | 1 worker, median s (cells/s) | 2 workers, median s (cells/s) | scaling 1 → 2 | CPU s per run, task threads + rest of the workers + client and scheduler, 1 / 2 workers | elex / peer, 1 / 2 workers |")
        print("|---:|---:|---:|---:|---:|---|---|")
        for ch, w in by_chunk.items():
            cpu = " / ".join(
                "{task_threads:.2f} + {workers_other:.2f} + {client_scheduler:.2f}".format(**w[x]["elex_cpu_s_per_run"]) for x in sorted(w)
            )
            fig = [f"{w[x]['elex']['median_s']:.3f} ({w[x]['elex']['cells_per_s']:,.0f})" if x in w else "" for x in (1, 2)]
            ratio = result["scaling_1_to_2_by_chunk"].get(str(ch))
            vs = " / ".join(f"{w[x]['elex_over_peer']:.1f}×" for x in sorted(w))
            print(f"| {ch:,} | {next(iter(w.values()))['chunks']} | {fig[0]} | {fig[1]} | {'' if ratio is None else f'{ratio:.2f}×'} | {cpu} | {vs} |")
    print(f"slice, wasm (Chromium, node) vs native figures bit-identical: {all(same.values())} {'' if all(same.values()) else same}")
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(result, f, indent=1)
    print(f"wrote {os.path.relpath(a.out, ROOT)}")
    if not all(same.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
