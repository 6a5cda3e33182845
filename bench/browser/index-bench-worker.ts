/**
 * Index and kernel benchmarks inside a worker, with the same-thread
 * bindings of one variant and, in the same run, hnswlib-wasm 0.8.2.
 *
 * Data (seeded, normalised, 128-d unless told): "clustered" = 100 Gaussian
 * clusters (centres N(0,1), points centre + N(0, 0.6^2) per component);
 * "uniform" = U(-1,1). Queries are fresh samples of the same distribution;
 * ground truth is a brute-force scan in plain JS over the f32 vectors, so it
 * does not depend on the index under test (an int8 index is scored against
 * the f32 neighbours, not its own codes). Latency: every query is timed on its own
 * with performance.now() (5 µs resolution when isolated), and each ef's
 * whole pass is timed for the mean; three passes per ef, each figure the
 * median over the passes (this VM is noisy).
 */
import { instantiate, type Bindings, type IndexHandle } from '../../ts/bindings/bindings.ts';
import type { Variant } from '../../ts/bindings/platform.ts';
import { BYTES_PER_DIM } from '../../ts/core/index-types.ts';
import { mulberry32 } from '../../scripts/mulberry32.mjs';
import { benchBundles } from './bench-bundles.ts';

export interface BenchRequest {
  kind: 'index' | 'kernels' | 'kernel-batch' | 'million';
  /** kernel-batch: the variants measured side by side, run by run. */
  variants?: Variant[];
  variant: Variant;
  threads?: number;
  n?: number;
  dim?: number;
  data?: 'clustered' | 'uniform';
  queries?: number;
  efs?: number[];
  hnswlib?: boolean;
  M?: number;
  efConstruction?: number;
  quantization?: 'none' | 'int8' | 'int8+f32';
  /** million: the instance's memory budget (bytes) and the vectors per add() call. */
  budgetBytes?: number;
  chunk?: number;
  /** million: reserve room for n first (IndexHandle.reserve), when it fits the budget. Default true. */
  reserve?: boolean;
}

export interface EfPoint {
  ef: number;
  recall: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
}

export interface BenchReport {
  request: BenchRequest;
  [key: string]: unknown;
}

const post = (m: unknown) => (self as unknown as Worker).postMessage(m);
const progress = (text: string) => post({ type: 'progress', text });

const rng = mulberry32;

function gauss(r: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

/** n normalised vectors; the same seed gives the same centres. */
function dataset(kind: 'clustered' | 'uniform', n: number, dim: number, seed: number): Float32Array {
  const out = new Float32Array(n * dim);
  if (kind === 'uniform') {
    const r = rng(seed);
    for (let i = 0; i < out.length; i++) out[i] = r() * 2 - 1;
  } else {
    const g0 = gauss(rng(12345));
    const centres = new Float32Array(100 * dim).map(() => g0());
    const r = rng(seed);
    const g = gauss(r);
    for (let i = 0; i < n; i++) {
      const c = Math.floor(r() * 100);
      for (let j = 0; j < dim; j++) out[i * dim + j] = centres[c * dim + j]! + 0.6 * g();
    }
  }
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += out[i * dim + j]! ** 2;
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < dim; j++) out[i * dim + j]! *= inv;
  }
  return out;
}

const pct = (sorted: Float64Array, p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

function recallAt(got: Uint32Array | number[], truth: Uint32Array, nq: number, k: number): number {
  let hit = 0;
  for (let q = 0; q < nq; q++) {
    const t = new Set(truth.subarray(q * k, (q + 1) * k));
    for (let i = 0; i < k; i++) if (t.has(got[q * k + i]!)) hit++;
  }
  return hit / (nq * k);
}

/** The k nearest by dot product (the vectors are unit length) for every query, brute force. */
function bruteForce(data: Float32Array, queries: Float32Array, dim: number, k: number): Uint32Array {
  const n = data.length / dim,
    nq = queries.length / dim;
  const out = new Uint32Array(nq * k);
  const bestD = new Float64Array(k);
  const bestI = new Uint32Array(k);
  for (let q = 0; q < nq; q++) {
    bestD.fill(-Infinity);
    const qo = q * dim;
    for (let i = 0; i < n; i++) {
      const vo = i * dim;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0;
      for (let j = 0; j < dim; j += 4) {
        s0 += queries[qo + j]! * data[vo + j]!;
        s1 += queries[qo + j + 1]! * data[vo + j + 1]!;
        s2 += queries[qo + j + 2]! * data[vo + j + 2]!;
        s3 += queries[qo + j + 3]! * data[vo + j + 3]!;
      }
      const d = s0 + s1 + s2 + s3;
      if (d <= bestD[k - 1]!) continue;
      let at = k - 1;
      while (at > 0 && bestD[at - 1]! < d) {
        bestD[at] = bestD[at - 1]!;
        bestI[at] = bestI[at - 1]!;
        at--;
      }
      bestD[at] = d;
      bestI[at] = i;
    }
    out.set(bestI, q * k);
  }
  return out;
}

/** Timed passes per ef; every reported figure is the median over passes. */
const PASSES = 3;

function sweep(
  efs: number[],
  nq: number,
  dim: number,
  queries: Float32Array,
  truth: Uint32Array,
  searchOne: (q: Float32Array, ef: number, out: Uint32Array, at: number) => void,
): EfPoint[] {
  const points: EfPoint[] = [];
  const got = new Uint32Array(nq * 10);
  const times = new Float64Array(nq);
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  for (const ef of efs) {
    for (let q = 0; q < Math.min(nq, 100); q++) searchOne(queries.subarray(q * dim, (q + 1) * dim), ef, got, q * 10); // warm
    const passes: { p50: number; p95: number; p99: number; mean: number }[] = [];
    for (let pass = 0; pass < PASSES; pass++) {
      const t0 = performance.now();
      for (let q = 0; q < nq; q++) {
        const s = performance.now();
        searchOne(queries.subarray(q * dim, (q + 1) * dim), ef, got, q * 10);
        times[q] = (performance.now() - s) * 1000;
      }
      const mean = ((performance.now() - t0) * 1000) / nq;
      times.sort();
      passes.push({ p50: pct(times, 0.5), p95: pct(times, 0.95), p99: pct(times, 0.99), mean });
    }
    points.push({
      ef,
      recall: recallAt(got, truth, nq, 10),
      p50: med(passes.map((p) => p.p50)),
      p95: med(passes.map((p) => p.p95)),
      p99: med(passes.map((p) => p.p99)),
      mean: med(passes.map((p) => p.mean)),
    });
  }
  return points;
}

async function indexBench(req: BenchRequest): Promise<BenchReport> {
  const dim = req.dim ?? 128,
    n = req.n ?? 10000,
    nq = req.queries ?? 1000,
    kind = req.data ?? 'clustered';
  const efs = req.efs ?? [10, 16, 24, 32, 48, 64, 96, 128, 192, 256];
  const b: Bindings = await instantiate({ variant: req.variant, threads: req.threads ?? 2 });
  const info = b.info();
  progress(`${req.variant} (${info.kernel}, ${info.threads} threads): ${n} x ${dim} ${kind}`);
  const data = dataset(kind, n, dim, 1);
  const queries = dataset(kind, nq, dim, 2);
  const ids = Uint32Array.from({ length: n }, (_, i) => i);

  const ix: IndexHandle = b.createIndex({
    dim,
    metric: 'cosine',
    M: req.M ?? 16,
    efConstruction: req.efConstruction ?? 100,
    quantization: req.quantization ?? 'none',
  });
  let t0 = performance.now();
  ix.add(ids, data);
  const buildMs = performance.now() - t0;
  const stats = ix.stats();
  progress(
    `  build ${buildMs.toFixed(0)} ms (${((n / buildMs) * 1000).toFixed(0)} vectors/s), ${stats.bytesPerVector.toFixed(0)} B/vector`,
  );

  if (dim % 4 !== 0) throw new Error('the bench needs dim to be a multiple of 4');
  t0 = performance.now();
  const truth = bruteForce(data, queries, dim, 10);
  const exactMs = performance.now() - t0;
  // Exact scan latency per query (the policy's alternative).
  const exactPoint = sweep([10], nq, dim, queries, truth, (q, _ef, out, at) => {
    out.set(ix.search(q, 10, { exact: true }).ids, at);
  })[0]!;
  // int8: the exact scan ranks by code and re-ranks the best `rerank`; sweep that pool
  // (each point's `ef` field holds the pool size).
  const exactPools =
    (req.quantization ?? 'none') === 'none'
      ? []
      : sweep([10, 16, 32, 64], nq, dim, queries, truth, (q, rerank, out, at) => {
          out.set(ix.search(q, 10, { exact: true, rerank }).ids, at);
        });
  for (const p of exactPools)
    progress(
      `  exact, ${p.ef} re-ranked: recall ${p.recall.toFixed(3)} p50 ${p.p50.toFixed(0)} p95 ${p.p95.toFixed(0)} us`,
    );

  const ours = sweep(efs, nq, dim, queries, truth, (q, ef, out, at) => {
    out.set(ix.search(q, 10, { ef, exact: false }).ids, at);
  });
  for (const p of ours)
    progress(`  ef ${p.ef}: recall ${p.recall.toFixed(3)} p50 ${p.p50.toFixed(0)} p95 ${p.p95.toFixed(0)} us`);

  let hnswlib: unknown = null;
  if (req.hnswlib) {
    const { loadHnswlib } = await import('hnswlib-wasm');
    const lib = await loadHnswlib();
    const h = new lib.HierarchicalNSW('cosine', dim, '');
    h.initIndex(n, 16, 200, 100);
    const items: Float32Array[] = [];
    for (let i = 0; i < n; i++) items.push(data.subarray(i * dim, (i + 1) * dim));
    t0 = performance.now();
    h.addPoints(items, Array.from(ids), false);
    const hBuild = performance.now() - t0;
    const hp = sweep(efs, nq, dim, queries, truth, (q, ef, out, at) => {
      h.setEfSearch(ef);
      const r = h.searchKnn(q, 10, undefined);
      for (let i = 0; i < 10; i++) out[at + i] = r.neighbors[i]!;
    });
    hnswlib = { buildMs: hBuild, vectorsPerS: (n / hBuild) * 1000, points: hp };
    progress(
      `  hnswlib-wasm build ${hBuild.toFixed(0)} ms; ef 64 recall ${hp.find((p) => p.ef === 64)?.recall.toFixed(3)}`,
    );
  }
  ix.close();
  b.close();
  return {
    request: req,
    info,
    n,
    dim,
    data: kind,
    buildMs,
    vectorsPerS: (n / buildMs) * 1000,
    bytesPerVector: stats.bytesPerVector,
    groundTruthMs: exactMs,
    exact: exactPoint,
    exactPools,
    points: ours,
    hnswlib,
  };
}

/**
 * The clustered data of dataset(), generated in chunks from one stream: the
 * concatenated chunks equal dataset('clustered', n, dim, seed), and no more
 * than one chunk is held in JS at a time.
 */
function clusteredStream(dim: number, seed: number): (count: number) => Float32Array {
  const g0 = gauss(rng(12345));
  const centres = new Float32Array(100 * dim).map(() => g0());
  const r = rng(seed);
  const g = gauss(r);
  return (count) => {
    const out = new Float32Array(count * dim);
    for (let i = 0; i < count; i++) {
      const c = Math.floor(r() * 100);
      for (let j = 0; j < dim; j++) out[i * dim + j] = centres[c * dim + j]! + 0.6 * g();
    }
    for (let i = 0; i < count; i++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += out[i * dim + j]! ** 2;
      const inv = 1 / Math.sqrt(s);
      for (let j = 0; j < dim; j++) out[i * dim + j]! *= inv;
    }
    return out;
  };
}

/** Brute-force top k by dot product, kept across chunks (ids first + i). */
class StreamingTruth {
  private readonly bestD: Float64Array;
  readonly ids: Uint32Array;
  constructor(
    private readonly queries: Float32Array,
    private readonly dim: number,
    private readonly k: number,
  ) {
    const nq = queries.length / dim;
    this.bestD = new Float64Array(nq * k).fill(-Infinity);
    this.ids = new Uint32Array(nq * k);
  }
  add(data: Float32Array, first: number): void {
    const { dim, k, queries, bestD, ids } = this;
    const n = data.length / dim,
      nq = queries.length / dim;
    for (let q = 0; q < nq; q++) {
      const qo = q * dim,
        bo = q * k;
      for (let i = 0; i < n; i++) {
        const vo = i * dim;
        let s0 = 0,
          s1 = 0,
          s2 = 0,
          s3 = 0;
        for (let j = 0; j < dim; j += 4) {
          s0 += queries[qo + j]! * data[vo + j]!;
          s1 += queries[qo + j + 1]! * data[vo + j + 1]!;
          s2 += queries[qo + j + 2]! * data[vo + j + 2]!;
          s3 += queries[qo + j + 3]! * data[vo + j + 3]!;
        }
        const d = s0 + s1 + s2 + s3;
        if (d <= bestD[bo + k - 1]!) continue;
        let at = k - 1;
        while (at > 0 && bestD[bo + at - 1]! < d) {
          bestD[bo + at] = bestD[bo + at - 1]!;
          ids[bo + at] = ids[bo + at - 1]!;
          at--;
        }
        bestD[bo + at] = d;
        ids[bo + at] = first + i;
      }
    }
  }
}

/**
 * One tab, a million vectors (issue 17 §4): n × dim clustered vectors added
 * in chunks to one index of the shipped build, inside a memory budget kept
 * as a worker keeps it (reserve the estimate before each add, report the
 * index's bytes after: ts/parallel/worker.ts). Stops at BUDGET_EXCEEDED or
 * OUT_OF_MEMORY and reports how far it got; recall@10 against a streaming
 * brute force over the f32 vectors; single-query latency per ef.
 */
async function millionBench(req: BenchRequest): Promise<BenchReport> {
  const dim = req.dim ?? 128,
    n = req.n ?? 1_000_000,
    nq = req.queries ?? 200,
    chunk = req.chunk ?? 50_000,
    budget = req.budgetBytes ?? 500 * 1024 * 1024;
  const efs = req.efs ?? [16, 32, 48, 64, 96, 128, 192, 256, 384, 512];
  const b: Bindings = await instantiate({ variant: req.variant, threads: req.threads ?? 2 });
  const info = b.info();
  b.configureMemory(budget);
  const quantization = req.quantization ?? 'int8';
  progress(
    `${req.variant} (${info.kernel}, ${info.threads} threads): ${n} x ${dim} clustered, ${quantization}, budget ${(budget / 2 ** 20).toFixed(0)} MiB`,
  );
  const queries = dataset('clustered', nq, dim, 2);
  const truth = new StreamingTruth(queries, dim, 10);
  const next = clusteredStream(dim, 1);
  const ix: IndexHandle = b.createIndex({
    dim,
    metric: 'cosine',
    M: req.M ?? 16,
    efConstruction: req.efConstruction ?? 100,
    quantization,
  });
  // Room for all n at once, if it fits the budget: the bytes per slot from a small probe index
  // of the same kind, reserved against the budget before the index allocates them.
  let reserved: { items: number; bytes: number } | null = null,
    roomNote: string | null = null;
  if (req.reserve !== false) {
    const probe = b.createIndex({ dim, metric: 'cosine', M: req.M ?? 16, quantization });
    const empty = probe.stats().bytes;
    probe.reserve(10_000);
    const perSlot = (probe.stats().bytes - empty) / 10_000;
    probe.close();
    const need = perSlot * n;
    // Where all n do not fit, the most that do: 92 % of what the budget has left (the rest for
    // the add's staging copy of a chunk and the search scratch), whole chunks.
    const free = budget - b.memoryStats().usedBytes;
    const items = need <= free ? n : Math.floor((0.92 * free) / perSlot / chunk) * chunk;
    if (items < n)
      roomNote = `room for ${n} needs ${(need / 2 ** 20).toFixed(0)} MiB (${perSlot.toFixed(0)} B per vector), over the budget: room for ${items} reserved instead`;
    b.reserve(perSlot * items);
    ix.reserve(items);
    b.setExternalBytes(ix.stats().bytes);
    reserved = { items, bytes: ix.stats().bytes };
    progress(`  ${roomNote ?? `room for ${n} reserved`}: ${(reserved.bytes / 2 ** 20).toFixed(0)} MiB`);
  }
  let built = 0,
    buildMs = 0,
    truthMs = 0,
    stopped: string | null = null;
  const trace: {
    n: number;
    indexBytes: number;
    heapBytes: number;
    liveHeapBytes: number;
    usedBytes: number;
    ms: number;
  }[] = [];
  while (built < n) {
    const count = Math.min(chunk, n - built);
    const data = next(count);
    const ids = Uint32Array.from({ length: count }, (_, i) => built + i);
    const t0 = performance.now();
    try {
      // As ts/parallel/worker.ts does for an index add: room for the estimate first, the real bytes after.
      // (Nothing to reserve while the room reserved up front lasts.)
      const st = ix.stats();
      const perDim = BYTES_PER_DIM[st.quantization];
      const per = st.size > 0 ? st.bytes / st.size : st.dim * perDim + st.M * 12 + 64;
      if (!reserved || st.nodes + count > reserved.items) b.reserve(per * count * 1.1);
      ix.add(ids, data);
      b.setExternalBytes(ix.stats().bytes);
    } catch (e) {
      stopped = e instanceof Error ? `${(e as { code?: string }).code ?? 'error'}: ${e.message}` : String(e);
      progress(`  stopped at ${built} vectors: ${stopped}`);
      break;
    }
    buildMs += performance.now() - t0;
    const t1 = performance.now();
    truth.add(data, built);
    truthMs += performance.now() - t1;
    built += count;
    const mem = b.memoryStats();
    trace.push({
      n: built,
      indexBytes: ix.stats().bytes,
      heapBytes: mem.heapBytes,
      liveHeapBytes: mem.liveHeapBytes,
      usedBytes: mem.usedBytes,
      ms: buildMs,
    });
    if (built % 200_000 === 0 || built === n)
      progress(
        `  ${built} added, ${(buildMs / 1000).toFixed(0)} s, index ${(ix.stats().bytes / 2 ** 20).toFixed(0)} MiB, wasm memory ${(mem.heapBytes / 2 ** 20).toFixed(0)} MiB`,
      );
  }
  const stats = ix.stats();
  const mem = b.memoryStats();
  const points =
    built > 0
      ? sweep(efs, nq, dim, queries, truth.ids, (q, ef, out, at) => {
          out.set(ix.search(q, 10, { ef, exact: false }).ids, at);
        })
      : [];
  for (const p of points)
    progress(`  ef ${p.ef}: recall ${p.recall.toFixed(3)} p50 ${p.p50.toFixed(0)} p95 ${p.p95.toFixed(0)} us`);
  const at = (r: number) => points.find((p) => p.recall >= r) ?? null;
  ix.close();
  b.close();
  return {
    request: req,
    info,
    n: built,
    wanted: n,
    dim,
    data: 'clustered',
    quantization,
    budgetBytes: budget,
    reserved,
    roomNote,
    stopped,
    buildMs,
    vectorsPerS: (built / buildMs) * 1000,
    bytesPerVector: stats.bytesPerVector,
    indexBytes: stats.bytes,
    wasmMemoryBytes: mem.heapBytes,
    liveHeapBytes: mem.liveHeapBytes,
    budgetUsedBytes: mem.usedBytes,
    groundTruthMs: truthMs,
    queries: nq,
    points,
    at95: at(0.95),
    at98: at(0.98),
    trace,
  };
}

/** Kernels measured as kernels: the batch shape of bench_fixtures.h KernelBatch. */
export const KERNEL_BATCH = { dim: 128, count: 10000, runs: 5, reps: 21 };

const KERNEL_NAMES = ['dot', 'cosine', 'l2', 'int8 dot', 'Q-update', 'validation', 'aggregation', 'monitor'];
/** The batch kernels (bench_fixtures.h KernelBatch): dot and l2 scored four at a time as the index does, then one at a time. */
const BATCH_NAMES = [...KERNEL_NAMES.slice(0, 7), 'dot (single)', 'l2 (single)'];

/**
 * Kernels measured as kernels: one call runs a kernel over 10K items inside
 * wasm (one query against 10K vectors of 128 for the distance kernels),
 * timed inside wasm in samples of at least 2 ms. Every variant's bench build
 * is loaded in this one worker, and the samples are interleaved: in each of
 * `reps` rounds every variant takes one sample of its kernel and one of its
 * scalar twin, so a slow stretch of this shared machine (load moves within
 * seconds) lands on every variant of a round alike instead of on one
 * variant's whole run. A run is the fastest (and the median) of its `reps`
 * samples per variant; twin 1 is a variant's own scalar twin (compiled with
 * its flags); the scalar variant's kernel is the reference of the ratios.
 */
async function kernelBatchBench(req: BenchRequest): Promise<BenchReport> {
  const variants = req.variants ?? ['simd-mt', 'simd', 'scalar'];
  const bs: Bindings[] = [];
  for (const variant of variants) bs.push(await instantiate({ variant, threads: 1, bundles: benchBundles }));
  const { dim, count, runs, reps } = KERNEL_BATCH;
  const rows = BATCH_NAMES.map((name, k) => {
    const ns = variants.map(() => [] as number[]),
      twinNs = variants.map(() => [] as number[]),
      minNs = variants.map(() => [] as number[]),
      twinMinNs = variants.map(() => [] as number[]);
    for (let r = 0; r < runs; r++) {
      const own = variants.map(() => [] as number[]),
        twin = variants.map(() => [] as number[]);
      for (let round = 0; round < reps; round++)
        bs.forEach((b, v) => {
          own[v]!.push(b.benchBatch(k, 0, dim, count, 1).minNs);
          twin[v]!.push(b.benchBatch(k, 1, dim, count, 1).minNs);
        });
      variants.forEach((_, v) => {
        ns[v]!.push(median(own[v]!));
        minNs[v]!.push(Math.min(...own[v]!));
        twinNs[v]!.push(median(twin[v]!));
        twinMinNs[v]!.push(Math.min(...twin[v]!));
      });
    }
    progress(
      `  ${name}: ` +
        variants
          .map(
            (v, i) => `${v} ${(median(ns[i]!) / 1000).toFixed(1)} us (twin ${(median(twinNs[i]!) / 1000).toFixed(1)})`,
          )
          .join(', '),
    );
    return {
      kernel: name,
      dim: k <= 3 || k >= 7 ? dim : null,
      count,
      byVariant: Object.fromEntries(
        variants.map((v, i) => [
          v,
          { runsNs: ns[i]!, twinRunsNs: twinNs[i]!, runsMinNs: minNs[i]!, twinRunsMinNs: twinMinNs[i]! },
        ]),
      ),
    };
  });
  const kernels = Object.fromEntries(variants.map((v, i) => [v, bs[i]!.info().kernel]));
  for (const b of bs) b.close();
  return { request: req, kernels, runs, reps, rows };
}

/** Per call (the former table): one small call per rep, so the call's cost is in the figure. */
async function kernelBench(req: BenchRequest): Promise<BenchReport> {
  // The bench build: the kernel benches are benchmark-only exports the shipped wasm does not have.
  const b = await instantiate({ variant: req.variant, threads: 1, bundles: benchBundles });
  const info = b.info();
  // monitor: the bench:query batch of 1,000 cells × 200 counters × 96 periods, 116 KPIs, one thread.
  const sizes = [128, 128, 128, 128, 100, 1000, 1000, 1000];
  const results = KERNEL_NAMES.map((name, k) => {
    const reps = k === 7 ? 3 : k >= 5 ? 10000 : 400000;
    const runs = [0, 1, 2, 3, 4].map(() => b.benchKernel(k, 0, sizes[k]!, reps).msPerRep * 1e6);
    runs.sort((x, y) => x - y);
    return { kernel: name, n: sizes[k], nsPerCall: runs[2]! };
  });
  const qsizes = [10, 100, 1000, 10000].map((n) => {
    const reps = Math.max(200, 2_000_000 / n);
    const runs = [0, 1, 2, 3, 4].map(() => b.benchKernel(4, 0, n, reps).msPerRep * 1e6);
    runs.sort((x, y) => x - y);
    return { n, nsPerBatch: runs[2]! };
  });
  b.close();
  return { request: req, kernel: info.kernel, kernels: results, qupdate: qsizes };
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

self.onmessage = async (e: MessageEvent<BenchRequest>) => {
  try {
    const report =
      e.data.kind === 'kernels'
        ? await kernelBench(e.data)
        : e.data.kind === 'kernel-batch'
          ? await kernelBatchBench(e.data)
          : e.data.kind === 'million'
            ? await millionBench(e.data)
            : await indexBench(e.data);
    post({ type: 'done', report });
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? `${err.message}\n${err.stack}` : String(err) });
  }
};
