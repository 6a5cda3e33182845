/**
 * The fast call path against postMessage, in the same page and run
 * (npm run bench:fastpath): two engines with the default pool and catalog,
 * one with `fastPath: true`, one with `fastPath: false`, measured in
 * alternation, round after round:
 *   - the round trip of a call that does nothing (debug.ping);
 *   - one-query index.search on 10K × 128 clustered vectors (k 10), beside
 *     hnswlib-wasm 0.8.2 called synchronously in the page, each at the
 *     smallest ef of a sweep that reaches the same recall@10 target;
 *   - the query cycle (engine.query on the eval questions): timings.total,
 *     its gather stage, and the round trip seen by the caller.
 */
import { createEngine, type Engine, type EngineIndex } from '../../ts/index.ts';

export interface FastPathBenchRequest {
  runs: number;
  pings: number;
  searches: number;
  queries: number;
  questions: string[];
  /** recall@10 both sides must reach (default 0.95). */
  recallTarget?: number;
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const us = (ms: number) => ms * 1000;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n normalised vectors around 100 Gaussian centres (as index-bench-worker.ts's clustered set). */
function clustered(n: number, dim: number, seed: number): Float32Array {
  const gauss = (r: () => number) => () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const g0 = gauss(mulberry32(12345));
  const centres = new Float32Array(100 * dim).map(() => g0());
  const r = mulberry32(seed);
  const g = gauss(r);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(r() * 100);
    let s = 0;
    for (let j = 0; j < dim; j++) s += (out[i * dim + j] = centres[c * dim + j]! + 0.6 * g()) ** 2;
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < dim; j++) out[i * dim + j]! *= inv;
  }
  return out;
}

/** Ids (1-based) of the k nearest by cosine (the vectors are normalised: largest dot). */
function truthOf(data: Float32Array, queries: Float32Array, dim: number, k: number): number[][] {
  const n = data.length / dim,
    nq = queries.length / dim;
  const out: number[][] = [];
  for (let q = 0; q < nq; q++) {
    const scores = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let d = 0;
      for (let j = 0; j < dim; j++) d += data[i * dim + j]! * queries[q * dim + j]!;
      scores[i] = d;
    }
    const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
    out.push(idx.slice(0, k).map((i) => i + 1));
  }
  return out;
}

const recallOf = (got: number[][], truth: number[][]) => {
  let hit = 0;
  got.forEach((ids, q) => {
    const t = new Set(truth[q]);
    for (const id of ids) if (t.has(id)) hit++;
  });
  return hit / (truth.length * truth[0]!.length);
};

interface SearchSide {
  search: (q: Float32Array) => Promise<number[]> | number[];
}

/** Times one query at a time: p50/p95 µs over `count` searches (queries cycled), after a warm-up. */
async function timeSearches(side: SearchSide, queries: Float32Array[], count: number) {
  for (let i = 0; i < 100; i++) await side.search(queries[i % queries.length]!);
  const t: number[] = [];
  for (let i = 0; i < count; i++) {
    const q = queries[i % queries.length]!;
    const t0 = performance.now();
    await side.search(q);
    t.push(performance.now() - t0);
  }
  return { p50: us(pct(t, 0.5)), p95: us(pct(t, 0.95)) };
}

async function timePings(e: Engine, count: number) {
  for (let i = 0; i < 200; i++) await e.debug.ping(0);
  const t: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await e.debug.ping(0);
    t.push(performance.now() - t0);
  }
  return { p50: us(pct(t, 0.5)), p95: us(pct(t, 0.95)) };
}

async function timeQueries(e: Engine, questions: string[], count: number) {
  for (let i = 0; i < 50; i++) await e.query(questions[i % questions.length]!);
  const total: number[] = [],
    gather: number[] = [],
    seen: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const r = await e.query(questions[i % questions.length]!);
    seen.push(performance.now() - t0);
    total.push(r.timings.total);
    gather.push(r.timings.gather);
  }
  return {
    p50: pct(total, 0.5),
    p95: pct(total, 0.95),
    gatherP50: pct(gather, 0.5),
    roundTripP50: pct(seen, 0.5),
    roundTripP95: pct(seen, 0.95),
  };
}

export async function fastPathBench(req: FastPathBenchRequest) {
  const dim = 128,
    n = 10000,
    nq = 200,
    k = 10;
  const target = req.recallTarget ?? 0.95;
  const efs = [10, 12, 16, 20, 24, 32, 40, 48, 64, 96, 128];
  const data = clustered(n, dim, 1);
  const queryBlock = clustered(nq, dim, 2);
  const queries = Array.from({ length: nq }, (_, q) => queryBlock.slice(q * dim, (q + 1) * dim));
  const truth = truthOf(data, queryBlock, dim, k);
  const ids = Array.from({ length: n }, (_, i) => i + 1);

  // hnswlib-wasm in the page (M 16, efConstruction 200, as bench:index).
  const { loadHnswlib } = await import('hnswlib-wasm');
  const lib = await loadHnswlib();
  const h = new lib.HierarchicalNSW('cosine', dim, '');
  h.initIndex(n, 16, 200, 100);
  h.addPoints(
    Array.from({ length: n }, (_, i) => data.subarray(i * dim, (i + 1) * dim)),
    ids,
    false,
  );
  const hnswSearch = (q: Float32Array) => Array.from(h.searchKnn(q, k, undefined).neighbors);
  let hnswEf = efs[efs.length - 1]!,
    hnswRecall = 0;
  for (const ef of efs) {
    h.setEfSearch(ef);
    hnswRecall = recallOf(queries.map(hnswSearch), truth);
    if (hnswRecall >= target) {
      hnswEf = ef;
      break;
    }
  }
  h.setEfSearch(hnswEf);

  // The two engines, the same options but the path.
  const engines: Record<'fast' | 'post', { e: Engine; ix: EngineIndex }> = {} as never;
  for (const path of ['fast', 'post'] as const) {
    const e = await createEngine({ fastPath: path === 'fast' });
    await e.routerReady();
    const ix = await e.createIndex('fastpath-bench', { dim, metric: 'cosine' });
    await ix.add(ids, data);
    engines[path] = { e, ix };
  }
  const info = engines.fast.e.info();
  if (!info.fastPath || engines.post.e.info().fastPath) throw new Error('the engines are not on the paths asked for');
  /** ms inside the worker of the searches timed last (shardMs: the wasm call). */
  let inWorker: number[] = [];
  const ourSearch = (ix: EngineIndex, ef: number) => async (q: Float32Array) => {
    const r = await ix.search(q, k, { ef, exact: false });
    inWorker.push(Math.max(...r.shardMs));
    return Array.from(r.ids);
  };
  // The smallest ef reaching the target on the fast engine; the other's recall
  // at that ef is reported too (a parallel build's graph varies a little).
  let ourEf = efs[efs.length - 1]!,
    ourRecall = 0;
  for (const ef of efs) {
    const got: number[][] = [];
    for (const q of queries) got.push(await ourSearch(engines.fast.ix, ef)(q));
    ourRecall = recallOf(got, truth);
    if (ourRecall >= target) {
      ourEf = ef;
      break;
    }
  }
  const postGot: number[][] = [];
  for (const q of queries) postGot.push(await ourSearch(engines.post.ix, ourEf)(q));
  const postRecall = recallOf(postGot, truth);

  const runs = [];
  for (let run = 0; run < req.runs; run++) {
    const order = run % 2 ? (['post', 'fast'] as const) : (['fast', 'post'] as const);
    const row: Record<string, unknown> = { run };
    for (const path of order) {
      const { e, ix } = engines[path];
      const ping = await timePings(e, req.pings);
      inWorker = [];
      const search = await timeSearches({ search: ourSearch(ix, ourEf) }, queries, req.searches);
      row[path] = {
        ping,
        search: { ...search, inWorkerP50: us(pct(inWorker, 0.5)) },
        query: await timeQueries(e, req.questions, req.queries),
      };
    }
    row.hnswlib = await timeSearches({ search: hnswSearch }, queries, req.searches);
    console.log(`fast path bench: run ${run + 1} of ${req.runs} done`);
    runs.push(row);
  }
  const counts = engines.fast.e.debug.fastPathCounts();
  for (const { e } of Object.values(engines)) await e.close();
  return {
    variant: info.variant,
    workers: info.workers,
    threadsPerWorker: info.threadsPerWorker,
    hardwareConcurrency: info.hardwareConcurrency,
    dataset: { n, dim, queries: nq, k, kind: 'clustered' },
    recallTarget: target,
    ef: { elex: ourEf, hnswlib: hnswEf },
    recall: { fast: ourRecall, post: postRecall, hnswlib: hnswRecall },
    counts,
    runs,
  };
}
