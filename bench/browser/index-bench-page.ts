/**
 * The bench page: runs each benchmark in a fresh module worker (same-thread
 * bindings, as the design says benchmarks do) and hands the JSON back to
 * the driver through window.elexBench.
 */
import type { BenchRequest, BenchReport } from './index-bench-worker.ts';
import type { LearnBenchRequest } from './learn-bench-worker.ts';
import { createEngine, type Catalog, type RoutingOptions } from '../../ts/index.ts';
import { benchBundles } from './bench-bundles.ts';
import { fastPathBench } from './fastpath-bench-page.ts';

const log = document.getElementById('log')!;

function run(req: BenchRequest | LearnBenchRequest): Promise<BenchReport> {
  return new Promise((resolve, reject) => {
    const w =
      req.kind === 'learn'
        ? new Worker(new URL('./learn-bench-worker.ts', import.meta.url), { type: 'module', name: 'bench' })
        : new Worker(new URL('./index-bench-worker.ts', import.meta.url), { type: 'module', name: 'bench' });
    w.onmessage = (e: MessageEvent) => {
      if (e.data.type === 'progress') {
        log.textContent += `${e.data.text}\n`;
        console.log(e.data.text);
      } else if (e.data.type === 'done') {
        w.terminate();
        resolve(e.data.report as BenchReport);
      } else if (e.data.type === 'error') {
        w.terminate();
        reject(new Error(e.data.message));
      }
    };
    w.onerror = (e) => reject(new Error(e.message));
    w.postMessage(req);
  });
}

/**
 * Save + restore through the public engine (default pool shape, OPFS):
 * `agents` agents of `states` states each, spread over the workers as
 * their feature codes say. Three saves, then three restores (each a fresh
 * createEngine; the figure is the slowest worker's restore).
 */
async function engineSaveRestore(agents: number, states: number) {
  const name = `bench-engine-${Date.now()}`;
  const persist = { name, backend: 'opfs' as const, autosaveEvery: 0, autosaveMs: 0 };
  // Agents only: without a catalog no router builds in the background to compete for the cores.
  // The bench build: debug.populateAgents is a benchmark aid the shipped wasm does not have.
  const e = await createEngine({ persist, catalog: false, bundles: benchBundles });
  const info = e.info();
  await e.debug.populateAgents(agents, states);
  const saveMs: number[] = [],
    encodeMs: number[] = [],
    writeMs: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 5; i++) {
    const r = await e.save();
    saveMs.push(r.ms);
    encodeMs.push(r.encodeMs);
    writeMs.push(r.writeMs);
    bytes = r.bytes;
  }
  await e.close();
  const restoreMs: number[] = [],
    readMs: number[] = [],
    loadMs: number[] = [],
    residentMs: number[] = [];
  let restored = 0;
  for (let i = 0; i < 5; i++) {
    // As between a page's close and its reload: an engine created while the last one's
    // 40+ MB heap is still being torn down pays several times the page-fault cost.
    await new Promise((r) => setTimeout(r, 1000));
    const f = await createEngine({ persist, catalog: false, bundles: benchBundles });
    let s = await f.stats();
    // Ready now; wait for the background load to have every agent resident.
    while (s.persistence.restored.some((r) => r && r.residentMs === null)) {
      await new Promise((r) => setTimeout(r, 2));
      s = await f.stats();
    }
    // Workers restore in parallel: the slowest one's figures.
    const slowest = s.persistence.restored.reduce(
      (a, r) => (r && (!a || r.ms > a.ms) ? r : a),
      null as (typeof s.persistence.restored)[number],
    );
    restoreMs.push(slowest?.ms ?? 0);
    readMs.push(slowest?.readMs ?? 0);
    loadMs.push(slowest?.loadMs ?? 0);
    residentMs.push(Math.max(...s.persistence.restored.map((r) => r?.residentMs ?? 0)));
    restored = s.persistence.restored.reduce((n, r) => n + (r?.agents ?? 0), 0);
    await f.close();
  }
  return {
    variant: info.variant,
    workers: info.workers,
    threadsPerWorker: info.threadsPerWorker,
    agents,
    states,
    bytes,
    saveMs,
    encodeMs,
    writeMs,
    restoreMs,
    readMs,
    loadMs,
    residentMs,
    restored,
  };
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

/**
 * The query cycle through the public engine (default pool, default
 * catalog): eval accuracy, latency single and batched, per-stage timings,
 * validation of 10K changes, monitor of cells × counters × periods.
 */
async function queryBench(questions: { q: string; expected: string; kind: string }[], quick: boolean) {
  const e = await createEngine({ catalog: undefined });
  const router = await e.routerReady();
  const info = e.info();
  // Accuracy (one pass, single queries).
  const byKind: Record<string, { n: number; top1: number; top5: number }> = {};
  for (const { q, expected, kind } of questions) {
    const r = await e.query(q, { k: 5 });
    const s = (byKind[kind] ??= { n: 0, top1: 0, top5: 0 });
    s.n++;
    if (r.features[0]?.code === expected) s.top1++;
    if (r.features.some((f) => f.code === expected)) s.top5++;
  }
  // Latency, single queries (warm).
  const lat: number[] = [];
  const stages = { embed: [] as number[], route: [] as number[], agents: [] as number[], gather: [] as number[] };
  const n = quick ? 200 : 1000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const r = await e.query(questions[i % questions.length]!.q);
    lat.push(r.timings.total);
    for (const k of Object.keys(stages) as (keyof typeof stages)[]) stages[k].push(r.timings[k]);
  }
  const singleQps = n / ((performance.now() - t0) / 1000);
  // Batched.
  const batchSize = quick ? 200 : 1000;
  const texts = Array.from({ length: batchSize }, (_, i) => questions[i % questions.length]!.q);
  const batches: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await e.queryBatch(texts);
    batches.push(performance.now() - t);
  }
  const batchMs = pct(batches, 0.5);
  // Validation of 10K changes.
  const cat = await fetch(new URL('../../build/catalog/default.json', import.meta.url)).then((r) => r.json());
  const params = (
    cat.parameters as { name: string; type: string; default: unknown; range?: [number, number] }[]
  ).filter((p) => p.type === 'int' || p.type === 'float');
  const changes = Array.from({ length: 10000 }, (_, i) => {
    const p = params[(i * 7919) % params.length]!;
    const cur = Number(p.default);
    return {
      parameter: p.name,
      cell: `cell-${i % 500}`,
      current: cur,
      proposed: cur + ((i % 7) - 3) * 5,
      at: 1e12 + i,
    };
  });
  const vals: { total: number; kernel: number; counts: unknown }[] = [];
  for (let i = 0; i < 15; i++) {
    // Warm runs count: the first calls of any JS path include its compilation.
    const r = await e.validate(changes, { record: false });
    vals.push({ total: r.ms.total, kernel: r.ms.kernel, counts: r.counts });
  }
  // The same 10K changes as typed columns (validateBatch): indexes resolved once, as a caller would.
  const batch = {
    parameters: e.parameterIndexes(changes.map((c) => c.parameter)),
    current: Float64Array.from(changes, (c) => c.current),
    proposed: Float64Array.from(changes, (c) => c.proposed),
    at: Float64Array.from(changes, (c) => c.at),
    cells: Uint32Array.from(changes, (_, i) => i % 500),
  };
  const bvals: { total: number; kernel: number; wall: number }[] = [];
  for (let i = 0; i < 30; i++) {
    const t = performance.now();
    const r = await e.validateBatch(batch, { record: false });
    bvals.push({ total: r.ms.total, kernel: r.ms.kernel, wall: performance.now() - t });
    if (i === 0 && r.counts.reject !== (vals[0]!.counts as { reject: number }).reject)
      throw new Error('validateBatch disagrees with validate');
  }
  const walls = bvals.map((v) => v.wall);
  // Monitor: cells × 200 counters × 96 periods; the counters of as many KPIs as fit.
  const cells = quick ? 200 : 1000;
  const counters: string[] = [];
  for (const k of cat.kpis as { formula: string }[]) {
    const names = k.formula.match(/[A-Za-z_][\w.]*/g)!;
    if (counters.length + names.filter((x) => !counters.includes(x)).length > 200) continue;
    for (const x of names) if (!counters.includes(x)) counters.push(x);
  }
  for (const c of cat.counters as { name: string }[]) {
    if (counters.length >= 200) break;
    if (!counters.includes(c.name)) counters.push(c.name);
  }
  const periods = 96;
  const mons: { total: number; workers: number; shard: number; kernel: number; kpis: number; alerts: number }[] = [];
  const full: number[] = [];
  for (let i = 0; i < 8; i++) {
    // Five runs as monitor() is called by default (statistics, null counts, alerts), then
    // three that also return the per-period values and reasons (perPeriod: true).
    const perPeriod = i >= 5;
    const data = new Float32Array(cells * counters.length * periods);
    let s = 12345 + i;
    for (let j = 0; j < data.length; j++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      data[j] = 50 + (s >>> 20);
    }
    const ids = Array.from({ length: cells }, (_, c) => `cell-${c}`);
    const r = await e.monitor({ cells: ids, counters, periods, data }, { perPeriod });
    if (perPeriod) full.push(r.ms.total);
    else
      mons.push({
        total: r.ms.total,
        workers: r.ms.workers,
        shard: r.ms.shard,
        kernel: r.ms.kernel,
        kpis: r.kpis.length,
        alerts: r.alerts.length,
      });
  }
  await e.close();
  const medianOf = (key: 'total' | 'workers' | 'shard' | 'kernel') =>
    pct(
      mons.map((m) => m[key]),
      0.5,
    );
  return {
    variant: info.variant,
    workers: info.workers,
    threadsPerWorker: info.threadsPerWorker,
    routerBuildMs: Math.max(...router.map((r) => r.buildMs)),
    items: router.reduce((a, r) => a + r.hostedItems, 0),
    accuracy: byKind,
    latency: { n, p50: pct(lat, 0.5), p95: pct(lat, 0.95), p99: pct(lat, 0.99), qps: singleQps },
    stages: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, pct(v, 0.5)])),
    batch: { size: batchSize, ms: batchMs, qps: batchSize / (batchMs / 1000) },
    validate: {
      changes: 10000,
      totalMs: pct(
        vals.map((v) => v.total),
        0.5,
      ),
      firstMs: vals[0]!.total,
      kernelMs: pct(
        vals.map((v) => v.kernel),
        0.5,
      ),
      counts: vals[0]!.counts,
      batch: {
        totalMs: pct(walls, 0.5),
        p95Ms: pct(walls, 0.95),
        kernelMs: pct(
          bvals.map((v) => v.kernel),
          0.5,
        ),
      },
    },
    monitor: {
      cells,
      counters: counters.length,
      periods,
      totalMs: medianOf('total'),
      workersMs: medianOf('workers'),
      shardMs: medianOf('shard'),
      kernelMs: medianOf('kernel'),
      kpis: mons[0]!.kpis,
      alerts: mons[0]!.alerts,
      perPeriodMs: pct(full, 0.5),
    },
  };
}

/**
 * Routing through the public engine over `catalog` (null: the default
 * catalog): the top 5 features of each question, its route and total ms,
 * and the router build time (createEngine() → routerReady()).
 */
async function routeBench(
  catalog: Catalog | null,
  questions: string[],
  routing?: RoutingOptions,
  variant?: 'simd-mt' | 'simd' | 'scalar',
  steady = false,
) {
  const t0 = performance.now();
  // Cold: the router is built (the cache is measured by routeCacheBench).
  const e = await createEngine({
    ...(catalog ? { catalog } : {}),
    routing: { cache: false, ...routing },
    ...(variant ? { variant } : {}),
  });
  const readyMs = performance.now() - t0;
  const routers = await e.routerReady();
  const builtMs = performance.now() - t0;
  const results: { top: string[]; routeMs: number; totalMs: number; timings: Record<string, number> }[] = [];
  for (const q of questions) {
    const r = await e.query(q, { k: 5 });
    results.push({
      top: r.features.map((f) => f.code),
      routeMs: r.timings.route,
      totalMs: r.timings.total,
      timings: { ...r.timings },
    });
  }
  const info = e.info();
  // How the page got the answers of the fast path: caught while polling, or after waiting.
  const fastPath = e.debug.fastPathCounts();
  // steady: the same questions again in the same engine, its code warm by then (timings.total).
  const again: number[] = [];
  if (steady) for (const q of questions) again.push((await e.query(q, { k: 5 })).timings.total);
  await e.close();
  return {
    variant: info.variant,
    workers: info.workers,
    fastPath,
    readyMs,
    builtMs,
    routerBuildMs: Math.max(...routers.map((x) => x.buildMs)),
    routerBytes: routers.reduce((a, x) => a + x.bytes, 0),
    routerPhases: routers.reduce((a, x) => (x.buildMs > a.buildMs ? x : a)).buildPhases,
    results,
    again,
  };
}

/**
 * The router cache (RoutingOptions.cache): one engine builds and keeps the
 * routers, then `runs` engines in turn load them. Per run: where each
 * worker's router came from, its build ms (catalog arrival in the worker →
 * router ready, cache read included) and createEngine() → routerReady().
 */
async function routeCacheBench(catalog: Catalog | null, runs = 5) {
  const one = async () => {
    const t0 = performance.now();
    const e = await createEngine({ ...(catalog ? { catalog } : {}) });
    let routers = await e.routerReady();
    const readyMs = performance.now() - t0;
    // A built router is written after routerReady(): wait for it (at most 20 s).
    for (let i = 0; i < 200 && !routers.every((r) => r.cached); i++) {
      await new Promise((r) => setTimeout(r, 100));
      routers = await e.routerReady();
    }
    await e.close();
    return {
      cache: routers.map((r) => r.cache),
      buildMs: Math.max(...routers.map((r) => r.buildMs)),
      phases: routers.reduce((a, x) => (x.buildMs > a.buildMs ? x : a)).buildPhases,
      readyMs,
    };
  };
  const first = await one();
  const loads = [];
  for (let i = 0; i < runs; i++) loads.push(await one());
  return { first, loads };
}

/**
 * Feedback teaches routing, through the public API: top-1 of `measure`
 * before and after an engineer rates `taught` (👍 on the right feature
 * when it answered, 👎 on a wrong top-1, with feedback(queryId, reward,
 * { feature })).
 */
async function routeFeedbackBench(
  catalog: Catalog,
  taught: { q: string; code: string }[],
  measure: { q: string; code: string }[],
) {
  const e = await createEngine({ catalog });
  try {
    const top1 = async (qs: { q: string; code: string }[]) => {
      const hits: boolean[] = [];
      for (const q of qs) hits.push((await e.query(q.q, { k: 5 })).features[0]?.code === q.code);
      return hits;
    };
    const before = await top1(measure);
    let ratings = 0;
    for (const q of taught) {
      const r = await e.query(q.q, { k: 5 });
      const answered = new Set(r.agents.map((a) => a.code));
      if (answered.has(q.code)) (await e.feedback(r.queryId, 1, { feature: q.code }), ratings++);
      const top = r.features[0]?.code;
      if (top && top !== q.code && answered.has(top)) (await e.feedback(r.queryId, -1, { feature: top }), ratings++);
    }
    const after = await top1(measure);
    const memory = (await e.routerReady()).reduce((a, x) => a + x.routeMemory, 0);
    return { before, after, ratings, memory };
  } finally {
    await e.close();
  }
}

(
  window as unknown as {
    elexBench: {
      run: typeof run;
      engineSaveRestore: typeof engineSaveRestore;
      queryBench: typeof queryBench;
      routeBench: typeof routeBench;
      routeCacheBench: typeof routeCacheBench;
      routeFeedbackBench: typeof routeFeedbackBench;
      fastPathBench: typeof fastPathBench;
      isolated: boolean;
    };
  }
).elexBench = {
  run,
  engineSaveRestore,
  queryBench,
  routeBench,
  routeCacheBench,
  routeFeedbackBench,
  fastPathBench,
  isolated: crossOriginIsolated,
};
