"""The Python half of tests/ts/python-parity.test.ts: reads the seeded batches
that test wrote to <dir>, runs them through elex.Monitor, elex.ChangeValidator
and the C++ formula compiler, and writes every output to <dir>/out/."""

import json
import os
import sys

import numpy as np

import _elex_core
import elex


def main(d):
    meta = json.load(open(os.path.join(d, "meta.json")))
    out = os.path.join(d, "out")
    os.makedirs(out, exist_ok=True)
    cat = elex.load_catalog("build/catalog/default.json")
    counters = meta["counters"]
    mon = elex.Monitor(cat)
    res = {"kpis": [], "missing": [], "counts": [], "formulas": []}
    for i, b in enumerate(meta["batches"]):
        cells, periods = b["cells"], b["periods"]
        data = np.fromfile(os.path.join(d, f"batch{i}.f32"), np.float32).reshape(len(cells), len(counters), periods)
        r = mon.monitor(cells, counters, data, z_threshold=b["z"], min_history=b["minHistory"], per_period=True)
        res["kpis"].append(list(r.kpis))
        res["missing"].append(r.missing_samples)
        for name in ("values", "reasons", "nulls", "anomalies", "max_z", "breaches", "kpi_stats", "counter_stats"):
            getattr(r, name).tofile(os.path.join(out, f"batch{i}.{name}"))
    v = elex.ChangeValidator(cat)
    for i, n in enumerate(meta["changes"]):
        col = lambda name, t: np.fromfile(os.path.join(d, f"changes{i}.{name}"), t)
        r = v.validate_batch(
            col("params.i32", np.int32),
            col("current.f64", np.float64),
            col("proposed.f64", np.float64),
            col("at.f64", np.float64),
            col("cells.i32", np.int32),
        )
        assert r.verdicts.size == n
        r.verdicts.tofile(os.path.join(out, f"changes{i}.verdicts"))
        r.reasons.tofile(os.path.join(out, f"changes{i}.reasons"))
        res["counts"].append(r.counts)
    for f in meta["formulas"]:
        try:
            ops, _, consts, compiled = _elex_core.compile_kpis([f], meta["formulaCounters"])
            res["formulas"].append(
                {
                    "compiled": bool(compiled[0]),
                    "ops": [int(x) for x in ops],
                    "consts": [int(x) for x in consts.view(np.uint32)],
                }
            )
        except elex.ElexError as e:
            res["formulas"].append({"error": e.code})
    json.dump(res, open(os.path.join(out, "meta.json"), "w"))


if __name__ == "__main__":
    main(sys.argv[1])
