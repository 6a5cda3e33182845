// node bench/performance-md.mjs (npm run bench runs it last): writes docs/performance.md from the JSON in
// bench/report/, build/test-results/consumer.json and build/wasm/size-report.json, the figures of bench/report.mjs
// as markdown tables with each target beside its measured value. A missing input keeps that section as the
// previous docs/performance.md had it (it states when it was measured), else gives a "not measured" line.
// Tables are padded as Prettier pads them, so `prettier --check .` passes on the output.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const R = 'bench/report/';
const src = {
  ready: [`${R}ready.json`, 'npm run bench:ready'],
  index: [`${R}index-bench.json`, 'npm run bench:index'],
  learn: [`${R}learn-bench.json`, 'npm run bench:learn'],
  query: [`${R}query-bench.json`, 'npm run bench:query'],
  fastpath: [`${R}fastpath-bench.json`, 'npm run bench:fastpath'],
  route: [`${R}route-bench.json`, 'npm run bench:route'],
  recovery: [`${R}recovery.json`, 'npm run bench:recovery'],
  scale: ['build/bench/scale.json', 'npm run bench:scale'],
  nativeKernels: [`${R}native-kernels.json`, 'npm run bench:native'],
  nativeLearn: [`${R}native-learn.json`, 'npm run bench:learn'],
  nativeIndex: [`${R}native-index.json`, 'npm run bench'],
  consumer: ['build/test-results/consumer.json', 'npm run test:consumer'],
  sizes: ['build/wasm/size-report.json', 'npm run build:wasm'],
};
const at = {}; // source -> when it was measured
function load(rel, file = join(root, rel)) {
  try {
    const data = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
    if (data) at[rel] = data.generatedAt ?? data.context?.date ?? statSync(file).mtime.toISOString();
    return data;
  } catch (e) {
    return void console.warn(`performance-md: ${rel} is unreadable (${e.message}); treated as not measured`);
  }
}
const J = Object.fromEntries(Object.entries(src).map(([k, [file]]) => [k, load(file)]));

// ------------------------------------------------------------ formatting
const ok = (x) => x !== undefined && x !== null && Number.isFinite(Number(x));
const whole = (x) => (ok(x) ? Math.round(x).toLocaleString('en-US') : '—');
/** ms and the like: 3 significant digits, no decimals from 100 up. */
function num(x) {
  if (!ok(x)) return '—';
  const a = Math.abs(x);
  if (a >= 100 || a === 0) return whole(x);
  return a >= 10 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : x.toPrecision(3);
}
const t = (x) => (ok(x) && Math.abs(x) >= 10 ? whole(x) : num(x)); // µs and ns: whole from 10 up
const kb = (b) => (ok(b) ? `${(b / 1024).toFixed(1)} KB` : '—');
const pct = (x) => (ok(x) ? `${(100 * x).toFixed(1)} %` : '—');
const rec = (x) => (ok(x) ? Number(x).toFixed(3) : '—');
const day = (d, x = new Date(d)) => (isNaN(x) ? String(d) : x.toISOString().slice(0, 16).replace('T', ' ') + ' UTC');
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const verdict = (v) => (v === undefined ? '' : v === null ? '—' : v ? 'met' : '**missed**');
/** fn(), or — when the JSON lacks what fn reads. */
const safe = (fn) => {
  try {
    return fn() ?? '—';
  } catch {
    return '—';
  }
};
/** A markdown table as Prettier prints it; columns of numbers right-aligned. */
function table(head, rows) {
  const cells = [head, ...rows].map((r) => r.map((c) => String(c ?? '—').replace(/\|/g, '\\|')));
  const w = head.map((_, i) => Math.max(3, ...cells.map((r) => r[i].length)));
  const right = head.map((_, i) => i > 0 && rows.every((r) => /^([\d—]|$)/.test(String(r[i] ?? '—'))));
  const line = (r) => `| ${r.map((c, i) => (right[i] ? c.padStart(w[i]) : c.padEnd(w[i]))).join(' | ')} |`;
  const rule = `| ${w.map((n, i) => (right[i] ? '-'.repeat(n - 1) + ':' : '-'.repeat(n))).join(' | ')} |`;
  return [line(cells[0]), rule, ...cells.slice(1).map(line)].join('\n');
}
const H = (s) => s.split('|'); // a table head
const TH = H('target|goal|measured|');
/** A target row: pass is true, false, null (not measurable) or undefined (no target). */
const T = (name, goal, measured, pass) => [name, goal, measured, verdict(pass)];
const when = (x, pass) => (ok(x) ? pass : null);
const out = [];
const p = (...blocks) => out.push(...blocks.filter((b) => b !== ''));
// The file as last written: a section whose JSON is not here (a fresh checkout
// keeps no bench/report/) is kept as it was, with the date it states.
const previous = (() => {
  try {
    return readFileSync(join(root, 'docs/performance.md'), 'utf8');
  } catch {
    return '';
  }
})();
const kept = [];
/** The body of section `title` in the previous file, or '' (none, or "not measured" there). */
function previousBody(title) {
  const start = previous.indexOf(`\n## ${title}\n`);
  if (start < 0) return '';
  const from = start + `\n## ${title}\n`.length;
  const next = previous.indexOf('\n## ', from);
  const body = previous.slice(from, next < 0 ? undefined : next).trim();
  return /^Not measured in this run/.test(body) ? '' : body;
}
/**
 * Heading, source and the command that reruns it; the JSON, or null after a
 * "not measured" line (or the section as the previous file had it, measured
 * when it says).
 */
function section(title, key, what) {
  const [file, cmd] = src[key];
  p(`## ${title}`);
  if (!J[key]) {
    const body = previousBody(title);
    if (body) {
      kept.push(title);
      // Measured in another run, maybe on another machine: said once, and kept on later rewrites.
      const then = /^- CPU: .*$/m.exec(previous)?.[0]?.slice(2) ?? 'another machine';
      return void p(
        body.startsWith('_Kept from an earlier run') ? body : `_Kept from an earlier run (${then})._\n\n${body}`,
      );
    }
    return void p(`Not measured in this run (run \`${cmd}\`).`);
  }
  const quick = J[key].quick ? ' **Quick run** (`--quick`): shortened, not comparable with a full run.' : '';
  p(`${what} From \`${file}\`, measured ${day(at[file])}; rerun with \`${cmd}\`.${quick}`);
  return J[key];
}

// ---------------------------------------------------------------- header
const browser = ['query', 'learn', 'index', 'ready'].map((k) => J[k]?.browser).find(Boolean);
const cpus = os.cpus();
p(
  '# Performance',
  '<!-- Generated by bench/performance-md.mjs. Do not edit by hand: rerun a benchmark instead. -->',
  'This file is generated by `npm run bench` (or `node bench/performance-md.mjs` after any benchmark) from the ' +
    'JSON the benchmarks write. Do not edit it by hand: rerun the benchmark named in its section.',
  [
    `- Written: ${day(Date.now())}`,
    `- CPU: ${cpus[0]?.model?.trim() ?? 'unknown'} × ${cpus.length}`,
    `- Memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- OS: ${os.platform()} ${os.release()} (${os.arch()}); Node ${process.version}`,
    `- Browser: ${browser ? `Chromium ${browser}, headless` : 'no browser benchmark in this run'}`,
  ].join('\n'),
  'Figures are medians or percentiles as each benchmark states them, measured on the machine above; ' +
    'timings vary from run to run, so compare runs on one machine only.',
);

// ----------------------------------------------------------- engine ready
const ready = section('Engine ready', 'ready', 'The demo page, cold loads in fresh browser contexts.');
if (ready) {
  const wt = (r) => `${r.workers} × ${r.threadsPerWorker}`;
  const ms = (r) => [num(r.medianEngineStartMs), num(r.medianFirstResultMs)];
  const rows = (ready.ready ?? []).map((r) => [r.variant, wt(r), ...ms(r)]);
  p(`Median of ${ready.runs} cold loads per variant:`);
  p(table(H('variant|workers × threads|engine start (ms)|navigation → first result (ms)'), rows));
  if (ready.shapes?.length) {
    p('simd-mt pool shapes: a 256 × 4096 × 128 cosine batch, median of 9 after 3 warm-up runs:');
    const rows = ready.shapes.map((s) => [wt(s), num(s.engineStartMs), num(s.medianBatchMs), num(s.mDistancesPerS)]);
    p(table(H('workers × threads|engine start (ms)|batch (ms)|M distances/s'), rows));
  }
}

// ----------------------------------------------------------- vector index
const index = section('Vector index', 'index', 'HNSW in Chromium; hnswlib-wasm 0.8.2 in the same run.');
if (index) {
  const runs = index.index ?? [];
  const q = (r) => ({ none: 'f32' })[r.request.quantization ?? 'none'] ?? r.request.quantization;
  const simdMt = (data, n) => runs.filter((r) => r.data === data && r.n === n && r.request.variant === 'simd-mt');
  const best = (pts, min, key = 'p95') => pts.filter((x) => x.recall >= min).sort((a, b) => a[key] - b[key])[0];
  const pools = (r) => [
    ...(r.exact ? [{ ...r.exact, how: 'exact scan' }] : []),
    ...(r.exactPools ?? []).map((x) => ({ ...x, how: `exact scan, ${x.ef} re-ranked` })),
  ];
  const rows = [];
  const c10 = simdMt('clustered', 10000).find((r) => q(r) === 'f32');
  if (c10) {
    const b = best(c10.points, 0.98);
    const m = b ? `${t(b.p95)} µs at ${rec(b.recall)} (ef ${b.ef})` : 'no point at recall 0.98';
    rows.push(T('10K clustered: p95 at recall ≥ 0.98', '≤ 30 µs', m, b ? b.p95 <= 30 + 1e-3 : false));
    const h = b && best(c10.hnswlib?.points ?? [], b.recall - 0.005);
    const x = h && h.p95 / b.p95;
    const hm = h ? `${x.toFixed(1)}× (${t(b.p95)} vs ${t(h.p95)} µs)` : 'not run, or no equal-recall point';
    rows.push(T('10K clustered: p95 vs hnswlib-wasm, equal recall', '≥ 1.5× faster', hm, h ? x >= 1.5 : null));
    rows.push(T('build, 10K × 128', '≥ 15,000 vectors/s', `${whole(c10.vectorsPerS)}/s`, c10.vectorsPerS >= 15000));
  }
  const u10 = simdMt('uniform', 10000).flatMap((r) =>
    [...r.points.map((x) => ({ ...x, how: `graph, ef ${x.ef}` })), ...pools(r)].map((x) => ({ ...x, q: q(r) })),
  );
  if (u10.length) {
    const b = best(u10, 0.99);
    const m = b ? `${t(b.p95)} µs at ${rec(b.recall)} (${b.q} ${b.how})` : 'no point at recall 0.99';
    rows.push(T('10K uniform: p95 at recall ≥ 0.99', '≤ 120 µs', m, b ? b.p95 <= 120 : false));
  }
  for (const [quant, max] of Object.entries({ f32: 700, int8: 250 })) {
    const r = simdMt('clustered', 10000).find((x) => x.dim === 128 && q(x) === quant);
    const name = `memory per 128-d ${quant} vector, graph included`;
    if (r) rows.push(T(name, `≤ ${max} B`, `${whole(r.bytesPerVector)} B`, r.bytesPerVector <= max));
  }
  const r100 = simdMt('clustered', 100000).flatMap((r) => r.points.map((x) => ({ ...x, q: q(r) })));
  if (r100.length) {
    const b = best(r100, 0.98, 'p50');
    const m = b ? `${t(b.p50)} µs at ${rec(b.recall)} (ef ${b.ef}, ${b.q})` : 'no point at recall 0.98';
    rows.push(T('100K clustered: p50 at recall ≥ 0.98', '≤ 100 µs', m, b ? b.p50 <= 100 : false));
  }
  // Kernels measured as kernels (one call = a pass over 10K items), SIMD variant / scalar variant.
  for (const k of index.kernelBatch ?? []) {
    if (!k.target) continue;
    const lo = Math.min(k['simd-mt'].ratioLow, k.simd.ratioLow);
    const m = `${k['simd-mt'].ratio.toFixed(1)}× / ${k.simd.ratio.toFixed(1)}× (lowest run ${lo.toFixed(1)}×)`;
    const name = `${k.kernel} kernel over 10K, simd-mt / simd vs scalar`;
    rows.push(T(name, `≥ ${k.target}× in every run`, m, lo >= k.target));
  }
  for (const r of index.million ?? []) {
    const name = `1M × 128 ${r.quantization}: fits the ${whole(r.budgetBytes / 2 ** 20)} MiB budget`;
    const m = r.stopped ? `stopped at ${whole(r.n)}` : `${whole(r.budgetUsedBytes / 2 ** 20)} MiB`;
    rows.push(T(name, `${whole(r.wanted)} vectors`, m, !r.stopped && r.n === r.wanted));
    const top = Math.max(...r.points.map((x) => x.recall));
    rows.push(
      T(
        `1M × 128 ${r.quantization}: recall@10 ≥ 0.98 in the budget`,
        'reached',
        r.at98 ? `ef ${r.at98.ef}: ${rec(r.at98.recall)}, p50 ${t(r.at98.p50)} µs` : `best ${rec(top)}`,
        !!r.at98 && !r.stopped && r.n === r.wanted,
      ),
    );
  }
  if (rows.length) p('### Targets (simd-mt)', table(TH, rows));
  if (index.kernelBatch?.length) {
    const B = index.kernelBatch;
    const us = (x) => t(x / 1000);
    const ratio = (v) => `${v.ratio.toFixed(1)}× (${v.ratioLow.toFixed(1)}×; medians ${v.medianRatio.toFixed(1)}×)`;
    const rows = B.map((k) => [
      k.kernel,
      us(k['simd-mt'].nsPerBatch),
      us(k.simd.nsPerBatch),
      us(k.scalar.nsPerBatch),
      ratio(k['simd-mt']),
      ratio(k.simd),
      `${k.simd.twinRatio.toFixed(1)}×`,
      k.native ? `${k.native.ratio.toFixed(1)}×` : '—',
      k.target ? `≥ ${k.target}×` : '',
    ]);
    p(
      '### Kernels measured as kernels (µs per pass over 10K items)',
      `One call runs the kernel over 10,000 items inside wasm (one query against 10,000 vectors of ${B[0].dim} for the distance kernels; 10,000 entries, changes or rows × 16 columns for the others). dot and l2 score the vectors four at a time, with the four-way kernels the index scores a neighbour list and an exact scan with (\`kernels::dots\`, \`l2sq4\`: one load of the query serves four vectors); their scalar twins, and the scalar variant, run the scalar dot or l2 once per vector, the same loop as one at a time. dot (single) and l2 (single) call the distance function once per vector, as the graph walk scores one node; cosine is the cosine distance function per vector (\`dot_norms\`). Each pass is timed inside wasm in samples of at least 2 ms; a run is the fastest of ${index.kernelBatchRuns?.reps} samples (on a shared machine, preemption and a neighbour's cache traffic only add time), and the table shows the median of ${index.kernelBatchRuns?.runs} runs. All three variants are loaded in one worker and take turns sample by sample (each round, every variant times its kernel and its scalar twin once), so a slow stretch of the machine lands on all of them alike and each ratio pairs runs taken over the same seconds. ` +
        'Ratio = the scalar variant (built without `-msimd128`, so clang cannot vectorise it) over the SIMD variant: the median of the paired runs, the lowest paired run in brackets, and after it the same ratio from the median samples instead of the fastest. ' +
        "Scalar twin = the simd variant's own scalar twin over its SIMD kernel (same flags; clang may auto-vectorise an integer loop there). " +
        'Native = the same batch in Google Benchmark (`build/native/elex_bench_kernels --benchmark_filter=batch10k`, g++ -O3 -march=x86-64, median CPU time of 5 repetitions): SSE2 over the scalar twin. g++ -O3 auto-vectorises integer loops, the scalar int8 dot among them, so the native int8 ratio compares two vector loops.',
      table(
        H('kernel|simd-mt|simd|scalar|simd-mt ratio|simd ratio|simd: scalar twin / SIMD|native SSE2 / scalar|target'),
        rows,
      ),
    );
  }
  if (index.kernels?.length) {
    const V = Object.fromEntries(index.kernels.map((k) => [k.request.variant, k]));
    const ns = (i) => ['simd-mt', 'simd', 'scalar'].map((v) => t(V[v]?.kernels[i]?.nsPerCall));
    const ratio = (i) => safe(() => `${(V.scalar.kernels[i].nsPerCall / V.simd.kernels[i].nsPerCall).toFixed(1)}×`);
    const rows = (V.simd ?? index.kernels[0]).kernels.map((k, i) => [k.kernel, k.n, ...ns(i), ratio(i)]);
    p(
      '### Kernels per call (ns per call, median of 5)',
      'One small call per repetition (a pair of 128-d vectors for the distance kernels), so the call and its set-up are in the figure: these ratios understate the kernels; the table above measures them.',
      table(H('kernel|n|simd-mt|simd|scalar|SIMD / scalar'), rows),
    );
  }
  for (const r of index.million ?? []) {
    const mib = (x) => `${whole(x / 2 ** 20)} MiB`;
    p(
      `### One tab: ${whole(r.wanted)} × ${r.dim} clustered, ${r.request.variant}, ${r.quantization}`,
      `Same-thread bindings in a worker, ${r.info?.threads ?? r.request.threads} threads, budget ${mib(r.budgetBytes)} kept as a worker keeps it (reserve before each add of ${whole(r.request.chunk)}, index bytes reported after). ` +
        (r.roomNote
          ? `${r.roomNote[0].toUpperCase()}${r.roomNote.slice(1)} (\`IndexHandle.reserve\`, ${mib(r.reserved.bytes)}). `
          : r.reserved
            ? `Room for ${whole(r.reserved.items)} reserved up front (\`IndexHandle.reserve\`, ${mib(r.reserved.bytes)}). `
            : 'Grown as added (no room reserved). ') +
        (r.stopped ? `**Stopped at ${whole(r.n)} vectors: ${r.stopped}.** ` : '') +
        `Built ${whole(r.n)} vectors in ${num(r.buildMs / 1000)} s (${whole(r.vectorsPerS)} vectors/s, efConstruction ${r.request.efConstruction ?? 100}, M ${r.request.M ?? 16}); ` +
        `${whole(r.bytesPerVector)} B per vector; index ${mib(r.indexBytes)}, budget used ${mib(r.budgetUsedBytes)}, wasm memory ${mib(r.wasmMemoryBytes)}. ` +
        `Recall@10 over ${r.queries} fresh queries against a brute force over the f32 vectors; latency per single query (µs)` +
        (r.loadAverage
          ? `; machine load average (1 / 5 / 15 min) ${r.loadAverage.before.map((x) => x.toFixed(1)).join(' / ')} before, ${r.loadAverage.after.map((x) => x.toFixed(1)).join(' / ')} after`
          : '') +
        ':',
      table(
        H('ef|recall|p50|p95|p99'),
        r.points.map((x) => [x.ef, rec(x.recall), t(x.p50), t(x.p95), t(x.p99)]),
      ),
      `Recall ≥ 0.95: ${r.at95 ? `ef ${r.at95.ef}, p50 ${t(r.at95.p50)} µs, p95 ${t(r.at95.p95)} µs` : 'not reached'}; recall ≥ 0.98: ${r.at98 ? `ef ${r.at98.ef}, p50 ${t(r.at98.p50)} µs, p95 ${t(r.at98.p95)} µs` : 'not reached'}.`,
    );
  }
  for (const r of runs) {
    const h = r.hnswlib;
    p(`### ${r.data} ${whole(r.n)} × ${r.dim}, ${r.request.variant}, ${q(r)}`);
    p(
      `efConstruction ${r.request.efConstruction ?? 100}, M ${r.request.M ?? 16}: build ${num(r.buildMs)} ms ` +
        `(${whole(r.vectorsPerS)} vectors/s), ${whole(r.bytesPerVector)} B per vector` +
        (h ? `; hnswlib-wasm build ${num(h.buildMs)} ms (${whole(h.vectorsPerS)} vectors/s)` : '') +
        '. Recall@10 and latency per query (µs):',
    );
    const cols = (x) => [rec(x?.recall), t(x?.p50), t(x?.p95)];
    const row = (x, how, y) => [how, ...cols(x), t(x.p99), ...(h ? cols(y) : [])];
    const head = H(`search|recall|p50|p95|p99${h ? '|hnswlib-wasm recall|hnswlib p50|hnswlib p95' : ''}`);
    const graph = r.points.map((x, i) => row(x, `ef ${x.ef}`, h?.points?.[i]));
    p(table(head, [...graph, ...pools(r).map((x) => row(x, x.how))]));
  }
}

// --------------------------------------------------------------- learning
const learn = section('Learning and memory', 'learn', 'Q-learning, agent cache, persistence; Chromium, in a worker.');
if (learn?.variants?.length) {
  const V = learn.variants;
  const s = V.find((v) => v.request.variant === 'simd');
  const ps = s?.persist;
  const q100 = s?.qupdate?.find((x) => x.n === 100)?.simdNs;
  if (s) {
    const rows = [
      T('Q-update of 100', '≤ 1 µs', `${t(q100)} ns`, when(q100, q100 <= 1000)),
      T('action selection', '≤ 200 ns', `${t(s.selectNs)} ns`, when(s.selectNs, s.selectNs <= 200)),
    ];
    const pm = ps && `${num(ps.saveMs)} + ${num(ps.restoreMs)} ms`;
    const name = `save + restore, ${ps?.agents} agents × 1,000 states`;
    if (ps) rows.push(T(name, '≤ 100 ms', pm, ps.agents === 593 ? ps.saveRestoreMs <= 100 : null));
    p('### Targets (simd)', table(TH, rows));
  }
  const row = (name, fn) => [name, ...V.map((v) => safe(() => fn(v)))];
  const each = (list, fn) => (list ?? []).map(fn);
  const per = (i) => (v) => `${whole(v.memory.perAgent[i].liveBytes)} / ${whole(v.memory.perAgent[i].recordBytes)}`;
  const twin = (i) => (v) => `${t(v.qupdate[i].simdNs)} / ${t(v.qupdate[i].scalarNs)}`;
  const hit = (i) => (v) => pct(v.cache.zipf[i].hitRate);
  const rows = [
    ...each(V[0].qupdate, (x, i) => row(`Q-update of ${x.n}: SIMD / scalar twin (ns)`, twin(i))),
    row('action selection (ns)', (v) => t(v.selectNs)),
    row('decide + feedback with 8 replays (ns)', (v) => t(v.feedbackReplayNs)),
    row('cache hit / insert / miss (ns)', ({ cache: c }) => `${t(c.hitNs)} / ${t(c.insertNs)} / ${t(c.missNs)}`),
    row('eviction, per agent (ns)', (v) => t(v.cache.evictNsPerAgent)),
    ...each(V[0].cache?.zipf, (z, i) => row(`Zipf hit rate, budget ${z.budgetPct} % of agents`, hit(i))),
    ...each(V[0].memory?.perAgent, (a, i) => row(`bytes per agent, ${a.states} states (live / record)`, per(i))),
    row('16 MB budget, sustained inserts: calls over budget', (v) => v.memory.sustained.overBudget),
    row('fragmentation: heap / live', (v) => v.memory.fragmentation.ratio.toFixed(2)),
    row('save + restore (ms)', ({ persist: x }) => x && `${num(x.saveMs)} + ${num(x.restoreMs)} (${x.agents} agents)`),
  ];
  p('### Per variant (median of 3 passes)', table(['figure', ...V.map((v) => v.request.variant)], rows));
  const E = learn.engine;
  const how = E && `${E.variant}, ${E.workers} × ${E.threadsPerWorker}, OPFS, median of ${E.saveMs?.length}`;
  const mb = E && `${whole(E.agents)} agents × ${whole(E.states)} states, ${(E.bytes / 2 ** 20).toFixed(1)} MB`;
  const saved = E?.saveMs?.length && `save ${num(median(E.saveMs))} ms + restore ${num(median(E.restoreMs))} ms`;
  if (saved) p(`Through \`createEngine()\` (${how}; each restore in new workers): ${saved} for ${mb}.`);
}

// ------------------------------------------------------------ query cycle
const query = section('Query cycle', 'query', 'The public engine in Chromium, default pool and catalog.');
if (query) {
  const { latency: L = {}, stages: S = {}, batch: B = {}, validate: Va = {}, monitor: M = {} } = query;
  p(`${query.variant}, ${query.workers} × ${query.threadsPerWorker} (workers × threads), ${whole(query.items)} items.`);
  const acc = Object.entries(query.accuracy ?? {});
  const all = { n: 0, top1: 0, top5: 0 };
  for (const [, s] of acc) for (const k in all) all[k] += s[k];
  const share = (s, k) => (s.n ? s[k] / s.n : null);
  const accRows = [...acc, ['all', all]].map(([k, s]) => [k, pct(share(s, 'top1')), pct(share(s, 'top5')), s.n]);
  p('Routing accuracy on `eval/questions.json`:', table(H('kind|top-1|top-5|questions'), accRows));
  const vb = Va.batch;
  const top = (k, min) => when(share(all, k), share(all, k) >= min);
  const lat = [L.p50, L.p95, L.p99].map(num).join(' / ');
  const stages = [S.embed, S.route, S.agents, S.gather].map(num).join(' / ');
  const val = `${num(Va.totalMs)} (${num(Va.kernelMs)})`;
  const valB = vb && `${num(vb.totalMs)} / ${num(vb.p95Ms)} (${num(vb.kernelMs)})`;
  const mon = `monitor ${[M.cells, M.counters, M.periods].map(whole).join(' × ')} (cells × counters × periods, ms)`;
  const rows = [
    T('routing top-1, all kinds', '≥ 90 %', pct(share(all, 'top1')), top('top1', 0.9)),
    T('routing top-5, all kinds', '≥ 98 %', pct(share(all, 'top5')), top('top5', 0.98)),
    T('single query p50 / p95 / p99 (ms)', 'p95 ≤ 2 ms', lat, when(L.p95, L.p95 <= 2)),
    T('stages, median: embed / route / agents / gather (ms)', '', stages),
    T('queries/s, one at a time', '', whole(L.qps)),
    T(`queries/s, batched (${B.size ?? '—'} at once)`, '≥ 2,000/s', whole(B.qps), when(B.qps, B.qps >= 2000)),
  ];
  const vOk = vb ? undefined : when(Va.totalMs, Va.totalMs <= 1);
  rows.push(T('validate 10K change objects (ms, kernel)', vb ? '' : '≤ 1 ms', val, vOk));
  if (vb) rows.push(T('validateBatch 10K typed: median / p95 (ms, kernel)', '≤ 1 ms', valB, vb.totalMs <= 1));
  rows.push(T(mon, '≤ 50 ms', num(M.totalMs), M.cells === 1000 ? when(M.totalMs, M.totalMs <= 50) : null));
  rows.push(T(`router build, ${whole(query.items)} items (ms)`, '', num(query.routerBuildMs)));
  p(table(TH, rows));
}

// ---------------------------------------------------------- fast call path
const fastpath = section(
  'The fast call path',
  'fastpath',
  'Hot calls through the SharedArrayBuffer channel (`fastPath: true`) against postMessage (`fastPath: false`): two engines with the default pool and catalog in one page and run, measured in alternation; hnswlib-wasm 0.8.2 called synchronously in the same page.',
);
if (fastpath) {
  const S = fastpath.summary ?? {};
  const F = S.fast ?? {},
    P = S.post ?? {},
    Q = S.ratios ?? {};
  const la = fastpath.loadAverage;
  p(
    `${fastpath.variant}, ${fastpath.workers} × ${fastpath.threadsPerWorker} (workers × threads) on ${fastpath.hardwareConcurrency} cores; ` +
      `medians over ${fastpath.runs?.length ?? '—'} runs of each run's p50 and p95; load average (1 / 5 / 15 min) ` +
      `${la ? la.before.map((x) => x.toFixed(2)).join(' / ') : '—'} before the run.` +
      (la && la.before[0] > fastpath.hardwareConcurrency
        ? ' The machine was busy (more runnable threads than cores): every wake-up of a worker or of the page waits for a core, which a call in the page does not need, so absolute figures are not comparable with an idle run; the ratios measured in the same run are.'
        : ''),
  );
  const two = (a, b, f = t) => `${f(a)} / ${f(b)}`;
  const ratio = (a, b) => (ok(a) && ok(b) ? `${a.toFixed(2)} / ${b.toFixed(2)}` : '—');
  const R0 = fastpath.recall ?? {},
    ef = fastpath.ef ?? {};
  p(
    table(H('p50 / p95|fast path|postMessage|postMessage ÷ fast path|goal (fast path)|'), [
      [
        'round trip of a call that does nothing (µs)',
        two(F.ping?.p50, F.ping?.p95),
        two(P.ping?.p50, P.ping?.p95),
        ratio(Q.pingP50, Q.pingP95),
        '≤ 25 / ≤ 60',
        verdict(ok(F.ping?.p50) ? F.ping.p50 <= 25 && F.ping.p95 <= 60 : null),
      ],
      [
        `one-query index.search, 10K × 128, ef ${ef.elex} (µs)`,
        two(F.search?.p50, F.search?.p95),
        two(P.search?.p50, P.search?.p95),
        ratio(Q.searchP50, Q.searchP95),
        `< hnswlib-wasm (${two(S.hnswlib?.p50, S.hnswlib?.p95)})`,
        verdict(ok(F.search?.p50) ? F.search.p50 < S.hnswlib?.p50 : null),
      ],
      [
        'of which in the worker: the search call, p50 (µs)',
        t(F.search?.inWorkerP50),
        t(P.search?.inWorkerP50),
        '',
        '',
        '',
      ],
      [
        'query cycle, timings.total (ms)',
        two(F.query?.p50, F.query?.p95, num),
        two(P.query?.p50, P.query?.p95, num),
        ratio(Q.queryP50, Q.queryP95),
        'p50 ≤ 0.4',
        verdict(ok(F.query?.p50) ? F.query.p50 <= 0.4 : null),
      ],
      ['query cycle, its gather stage p50 (ms)', num(F.query?.gatherP50), num(P.query?.gatherP50), '', '', ''],
      [
        'query cycle as the caller sees it (ms)',
        two(F.query?.roundTripP50, F.query?.roundTripP95, num),
        two(P.query?.roundTripP50, P.query?.roundTripP95, num),
        '',
        '',
        '',
      ],
    ]),
    `Each run's p50, fast path / postMessage (the spread is the machine's load): ` +
      ['ping', 'search', 'query']
        .map(
          (k) =>
            `${k} ${(fastpath.runs ?? []).map((r) => `${(k === 'query' ? num : t)(r.fast?.[k]?.p50)}/${(k === 'query' ? num : t)(r.post?.[k]?.p50)}`).join(', ')}`,
        )
        .join('; ') +
      `; hnswlib-wasm ${(fastpath.runs ?? []).map((r) => t(r.hnswlib?.p50)).join(', ')}` +
      ' (µs; the query cycle in ms).',
    `Recall@10 of the one-query searches (200 fresh queries, brute-force truth), each side at the smallest ef of a sweep reaching ${fastpath.recallTarget}: ` +
      `ELEX ef ${ef.elex}: ${rec(R0.fast)} (fast-path engine), ${rec(R0.post)} (postMessage engine); hnswlib-wasm (M 16, efConstruction 200) ef ${ef.hnswlib}: ${rec(R0.hnswlib)}.`,
  );
}

// ---------------------------------------------------------------- routing
const route = section(
  'Routing against a BM25 peer',
  'route',
  'ELEX through the public engine in Chromium, each set in a new browser (its first, cold build runs untiered wasm code, as a first visit does); MiniSearch 7.2 (BM25, default options) on the same catalog and questions, in the same run.',
);
if (route)
  for (const set of route.sets ?? []) {
    const E = set.elex ?? {};
    p(
      `### ${set.name}`,
      `${whole(set.questions)} questions on ${whole(set.features)} features. ELEX ${E.variant}, ${E.workers} worker(s): ` +
        `engine ready ${num(E.readyMs)} ms and router ready ${num(E.routerReadyMs)} ms after createEngine() (build ${num(E.routerBuildMs)} ms); ` +
        `route p50 / p95 ${num(E.routeMs?.p50)} / ${num(E.routeMs?.p95)} ms; query p50 / p95 ${num(E.totalMs?.p50)} / ${num(E.totalMs?.p95)} ms` +
        (E.stagesMs
          ? ` (by stage, p50 / p95: ${Object.entries(E.stagesMs)
              .filter(([k]) => k !== 'total')
              .map(([k, v]) => `${k} ${num(v.p50)} / ${num(v.p95)}`)
              .join(', ')}; gather is the transport, scheduling and the page's share).`
          : '.') +
        (E.firstMs
          ? ` The first ${whole(E.firstMs.n)} questions after \`routerReady()\` (their code still cold): the first ${num(E.firstMs.first)} ms, p50 / p95 ${num(E.firstMs.p50)} / ${num(E.firstMs.p95)} ms.`
          : '') +
        (E.steadyMs
          ? ` The same questions again in that engine (its code warm by then): query p50 / p95 ${num(E.steadyMs.p50)} / ${num(E.steadyMs.p95)} ms.`
          : ''),
    );
    if (E.cache)
      p(
        `Router cache (\`routing.cache\`, OPFS): the first engine built and kept its routers (${E.cache.first.cache.join(', ')}; build ${num(E.cache.first.buildMs)} ms, with the wasm code tiered up by the engine before it); ` +
          `the next ${E.cache.loads.length} engines loaded them (${E.cache.states.join(', ')}): router ready ${num(E.cache.buildMs)} ms after the catalog reached the worker, median ` +
          `(runs ${E.cache.loads.map((x) => num(x.buildMs)).join(', ')} ms; cache read and load ${num(E.cache.loads[0]?.phases?.cache)} ms of the first), ` +
          `${num(E.cache.readyMs)} ms after createEngine().`,
      );
    const share = (s, k) => (s?.n ? s[k] / s.n : null);
    const groups = { ...E.bySplit, ...E.byStyle };
    const peer = { ...set.peer?.bySplit, ...set.peer?.byStyle };
    const split = { ...set.peerSplit?.bySplit, ...set.peerSplit?.byStyle };
    p(
      table(
        H(
          'group|questions|ELEX top-1|ELEX top-5|MiniSearch top-1|MiniSearch top-5|+ split ids top-1|+ split ids top-5',
        ),
        Object.entries(groups).map(([g, s]) => [
          g,
          s.n,
          pct(share(s, 'top1')),
          pct(share(s, 'top5')),
          pct(share(peer[g], 'top1')),
          pct(share(peer[g], 'top5')),
          pct(share(split[g], 'top1')),
          pct(share(split[g], 'top5')),
        ]),
      ),
      'MiniSearch: default options, one document per feature (code, name, acronym, category, description, identifiers); ' +
        '"+ split ids" also indexes each identifier as words (camelCase and dots split).',
    );
    if (E.routerPhases)
      p(
        `Router build of the slowest worker by phase: ${Object.entries(E.routerPhases)
          .map(([k, v]) => `${k} ${num(v)} ms`)
          .join(
            ', ',
          )}; router memory ${ok(E.routerBytes) ? `${(E.routerBytes / 1048576).toFixed(1)} MiB` : '—'} (all workers).`,
      );
    if (set.ablations?.length) {
      const splits = Object.keys(set.ablations[0].bySplit ?? {});
      p(
        'Ablations (`createEngine({ routing })`, the same questions with one signal or the default glossary off):',
        table(
          H(['ablation', ...splits.flatMap((g) => [`${g} top-1`, `${g} top-5`])].join('|')),
          [['all signals', E.bySplit], ...set.ablations.map((a) => [a.name, a.bySplit])].map(([name, by]) => [
            name,
            ...splits.flatMap((g) => [pct(share(by?.[g], 'top1')), pct(share(by?.[g], 'top5'))]),
          ]),
        ),
      );
    }
    if (set.feedback) {
      const F = set.feedback;
      p(
        `Feedback teaches routing (held-out): an engineer rates half of each feature's questions ` +
          `(${whole(F.ratings)} ratings with \`feedback(queryId, ±1, { feature })\`: 👍 on the right feature when it answered, 👎 on a wrong top-1); top-1 before and after:`,
        table(
          H('questions|n|top-1 before|top-1 after'),
          [
            ['the other half of the rated features', F.other],
            ['features nobody rated', F.unrated],
            ['the rated questions themselves', F.taught],
          ].map(([name, x]) => [name, x?.n, pct(x?.before), pct(x?.after)]),
        ),
      );
    }
  }

// ---------------------------------------------------------------- recovery
const recovery = section(
  'Recovery of a killed worker',
  'recovery',
  "A worker holding one index shard is killed; the page gives its replacement the shard's base and log back.",
);
if (recovery)
  p(
    table(
      H(
        'variant|vectors × dim|index|page: base + log|restore|replacement ready|first whole search|same answers|load average',
      ),
      (recovery.results ?? []).map((r) => [
        r.variant,
        `${whole(r.n)} × ${r.dim}`,
        `${(r.indexBytes / 1048576).toFixed(1)} MiB`,
        `${(r.pageBaseBytes / 1048576).toFixed(1)} + ${(r.pageLogBytes / 1048576).toFixed(2)} MiB`,
        `${num(r.restoreMs)} ms`,
        `${num(r.replacementReadyMs)} ms`,
        `${num(r.firstWholeAnswerMs)} ms`,
        r.sameAnswers ? 'yes' : '**no**',
        (r.loadAverage ?? []).map((x) => Number(x).toFixed(1)).join(' / '),
      ]),
    ),
    'Times are from the kill; the load average (1, 5, 15 min) shows how busy the machine was.',
  );

// ---------------------------------------------------------------- scale
const scale = section(
  'Monitoring at network scale (Python, Dask)',
  'scale',
  'elex.dask on LocalClusters against a numpy/pandas peer over the same formulas, in the same run.',
);
if (scale) {
  const sh = scale.shape ?? {};
  const rss = (m) =>
    Object.values(m ?? {})
      .map((v) => whole(Number(v)))
      .join(', ');
  const loads = (runs) => {
    const l = (runs ?? []).map((r) => r.load_average_1min).filter((v) => v !== undefined);
    return l.length ? `${Math.min(...l).toFixed(1)}–${Math.max(...l).toFixed(1)}` : '—';
  };
  const placed = (scale.clusters ?? [])
    .map((c) => (c.chunks_per_worker ? `${c.workers} worker(s): ${c.chunks_per_worker.join(' / ')}` : null))
    .filter(Boolean);
  p(
    `${whole(sh.cells)} cells × ${sh.counters} counters × ${sh.periods} periods (${sh.gb} GB of float32, ${sh.kpis} KPIs, chunks of ${whole(sh.chunk)} cells), seed ${scale.seed}; load average before ${Number(scale.load_average_1min_before).toFixed(1)}.` +
      (placed.length
        ? ` The counters are generated on the workers before the timing (not timed: the data is already on the workers, as on a data platform), the same number of chunks on each (chunks per worker, ${placed.join('; ')}); ELEX and the peer read the same chunks on the same clusters.`
        : '') +
      ((scale.clusters ?? []).some((c) => c.worker_sessions)
        ? ' Each worker process ran in a session of its own (`--worker-sessions`: its own autogroup in Linux’s scheduler, so that under a load from other sessions 2 workers get twice the share of 1).'
        : ''),
    table(
      H(
        'workers|ELEX cells/s|peer cells/s|ELEX / peer|ELEX median s|peer median s|CPU s per run, ELEX / peer|peak RSS per worker, ELEX / peer (MB)|load average during the runs',
      ),
      (scale.clusters ?? []).map((c) => [
        c.workers,
        whole(c.elex?.cells_per_s),
        whole(c.peer?.cells_per_s),
        `${num(c.elex_over_peer)}×`,
        num(c.elex?.median_s),
        num(c.peer?.median_s),
        `${num(c.cpu_s_per_run?.elex)} / ${num(c.cpu_s_per_run?.peer)}`,
        `${rss(c.peak_rss_mb?.elex)} / ${rss(c.peak_rss_mb?.peer)}`,
        c.elex?.runs ? loads([...c.elex.runs, ...(c.peer?.runs ?? [])]) : Number(c.load_average_1min_after).toFixed(1),
      ]),
    ),
  );
  const [one, two] = scale.clusters ?? [];
  if (one && two)
    p(
      `Scaling from 1 to 2 workers: ELEX ${num(two.elex.cells_per_s / one.elex.cells_per_s)}×, peer ${num(two.peer.cells_per_s / one.peer.cells_per_s)}× (targets: on 2 workers ≥ 5× the peer, 1 → 2 workers ≥ 1.7×).` +
        (two.elex_over_best_peer === undefined
          ? ''
          : ` Against the peer at its own best chunk size (of those run): ELEX ${num(one.elex_over_best_peer)}× on 1 worker, ${num(two.elex_over_best_peer)}× on 2.`),
    );
  const spent = (scale.clusters ?? []).filter((c) => c.elex_cpu_s_per_run);
  if (spent.length)
    p(
      'Where an ELEX run spends CPU (seconds per run, all processes): the workers’ task threads (the engine and each chunk’s tables), the rest of the workers (event loop, messages), and the benchmark’s own process, which holds the client and the LocalCluster’s scheduler. Each configuration first ran once untimed (warm-up, a fresh worker’s first run); the timed runs of 1 and 2 workers took turns.',
      table(
        H('workers|wall s (median)|task threads|rest of the workers|client and scheduler|warm-up run s (not timed)'),
        spent.map((c) => [
          c.workers,
          num(c.elex?.median_s),
          num(c.elex_cpu_s_per_run.task_threads),
          num(c.elex_cpu_s_per_run.workers_other),
          num(c.elex_cpu_s_per_run.client_scheduler),
          num(c.warmup_s?.elex),
        ]),
      ),
    );
  const sizes = scale.chunk_sizes ?? [];
  const fixed = (x, d) => (x === undefined || x === null || Number.isNaN(Number(x)) ? '—' : Number(x).toFixed(d));
  if (new Set(sizes.map((c) => c.chunk)).size > 1)
    p(
      'ELEX and the peer at each chunk size, on the same counters and clusters (a smaller chunk a view of the main ones), the timed runs of every size and cluster taking turns: ELEX’s median wall time of a run, its CPU seconds per run (task threads + rest of the workers + client and scheduler), the 1 → 2 worker ratio, and the peer’s median against ELEX’s.',
      table(
        H(
          'chunk (cells)|chunks|workers|median s|cells/s|CPU s per run|to the first chunk task, s|1 → 2 workers|peer median s|ELEX / peer',
        ),
        sizes.map((c) => [
          whole(c.chunk),
          c.chunks,
          c.workers,
          fixed(c.elex?.median_s, 3),
          whole(c.elex?.cells_per_s),
          ['task_threads', 'workers_other', 'client_scheduler']
            .map((k) => fixed(Math.max(0, c.elex_cpu_s_per_run?.[k] ?? NaN), 2))
            .join(' + '),
          fixed(c.lead_in_s, 3),
          c.workers === 2 && scale.scaling_1_to_2_by_chunk?.[c.chunk] !== undefined
            ? `${num(scale.scaling_1_to_2_by_chunk[c.chunk])}×`
            : '',
          fixed(c.peer?.median_s, 2),
          c.elex_over_peer === undefined ? '—' : `${num(c.elex_over_peer)}×`,
        ]),
      ),
    );
  const sl = scale.slice;
  if (sl) {
    const chromium =
      sl.wasm_chromium_median_ms === undefined
        ? ''
        : `, the wasm engine (simd, one thread) in Chromium ${num(sl.wasm_chromium_median_ms)} ms`;
    const same = sl.bit_identical === undefined ? null : Object.values(sl.bit_identical).every(Boolean);
    p(
      `A ${whole(sl.cells)}-cell slice: the native core on one thread (SSE2) ${num(sl.native_median_ms)} ms${chromium}, in Node ${num(sl.wasm_median_ms ?? median(sl.wasm_simd_node_ms ?? []))} ms` +
        (same === null ? '.' : `; results ${same ? 'bit-identical' : '**not identical**'}.`),
    );
  }
}

// --------------------------------------------------------- native (C++)
const std =
  'name run_name run_type family_index per_family_instance_index repetitions repetition_index threads ' +
  'iterations real_time cpu_time time_unit aggregate_name aggregate_unit label error_occurred error_message';
const skip = new Set(std.split(' '));
const si = (v, a = Math.abs(v)) =>
  a >= 1e9 ? `${+(v / 1e9).toPrecision(3)}G` : a >= 1e6 ? `${+(v / 1e6).toPrecision(3)}M` : num(v);
for (const key of ['nativeKernels', 'nativeLearn', 'nativeIndex']) {
  const title = `Native ${{ nativeKernels: 'kernels', nativeLearn: 'learning', nativeIndex: 'index' }[key]}`;
  const nat = section(title, key, 'Google Benchmark on the C++ core, built natively (not wasm).');
  if (!nat) continue;
  const c = nat.context ?? {};
  const build = `library build ${c.library_build_type ?? '—'}`;
  p(`Host ${c.host_name ?? '—'}, ${c.num_cpus ?? '—'} CPUs at ${c.mhz_per_cpu ?? '—'} MHz, ${build}.`);
  const time = (x, b) => `${num(x)} ${{ us: 'µs' }[b.time_unit] ?? b.time_unit ?? 'ns'}`;
  const counter = ([k, v]) => (typeof v === 'number' && !skip.has(k) ? [`${k} ${si(v)}`] : []);
  const counters = (b) => Object.entries(b).flatMap(counter).join(', ');
  const real = (b) => (b.error_occurred ? `error: ${b.error_message}` : time(b.real_time, b));
  const rows = (nat.benchmarks ?? []).map((b) => [b.name, real(b), time(b.cpu_time, b), whole(b.iterations)]);
  rows.forEach((r, i) => r.push(counters(nat.benchmarks[i])));
  p(table(H('benchmark|time|CPU time|iterations|counters'), rows));
}

// ---------------------------------------------------------------- package
const consumer = section('Package', 'consumer', 'The packed tarball in a fresh create-vite react-ts app.');
if (consumer) {
  const { tarball: tb, bytes = {}, ready: r } = consumer;
  const files = `${tb?.files?.length ?? '—'} files`;
  p(tb ? `Tarball: ${kb(tb.bytes)} packed, ${kb(tb.unpackedBytes)} unpacked, ${files}.` : 'Tarball: not measured.');
  const total = (b) => b.wasm + b.glue + b.catalog + b.worker + b.app;
  const kinds = (b) => [b.wasm, b.glue, b.catalog, b.worker, b.app, b.engine, total(b)].map(kb);
  const byCatalog = { 'default catalog': bytes.defaultCatalog, '`catalog: false`': bytes.noCatalog };
  const rows = Object.entries(byCatalog).flatMap(([name, b]) => (b ? [[name, ...kinds(b)]] : []));
  p('Bytes the app downloads (`vite preview`, Chromium, simd-mt; brotli -q 11); engine = wasm + glue + catalog:');
  const head = H('createEngine()|wasm|glue|catalog|worker|app|engine|total');
  p(rows.length ? table(head, rows) : 'Not measured in this run.');
  const line = (name, m, key) => [name, num(m), r.loads.map((l) => num(l[key])).join(', ')];
  if (r?.loads?.length) {
    const rows = [
      line('engine ready, after `createEngine()`', r.medianStartMs, 'startMs'),
      line('engine ready, after navigation', r.medianPageMs, 'pageMs'),
      line('router ready, after navigation', r.medianRouterFromNavigationMs, 'routerFromNavigationMs'),
    ];
    p(table([`${r.variant ?? 'simd-mt'}, ${r.loads.length} cold loads (ms)`, 'median', 'each load'], rows));
  } else p('Engine-ready time: not measured in this run.');
  const failed = consumer.failures ?? [];
  const fails = `**${failed.length} check(s) failed** (${failed.join('; ')}): figures may be partial.`;
  const checks = failed.length ? fails : 'Every check passed.';
  p(`Node check under ${consumer.node?.node ?? '— (not run)'}. ${checks}`);
}

// ------------------------------------------------------------- wasm sizes
const sizes = section('Wasm sizes', 'sizes', 'Each variant, raw and brotli -q 11; glue = main JS + pthread worker.');
if (sizes) {
  const { goalBrotliBytes: goal, ceilingBrotliBytes: max } = sizes;
  const fit = (b) => (b <= goal ? 'within goal' : b <= max ? 'above goal' : '**over ceiling**');
  const kbs = (v) => [v.wasmBytes, v.wasmBrotli, v.glueBytes, v.glueBrotli, v.totalBrotli].map(kb);
  const rows = (sizes.variants ?? []).map((v) => [v.variant, ...kbs(v), fit(v.totalBrotli)]);
  const head = H(`variant|wasm|wasm brotli|glue|glue brotli|wasm + glue brotli|goal ${kb(goal)}, ceiling ${kb(max)}`);
  p(table(head, rows));
}

// Sections kept from the previous file: listed by the header too.
if (kept.length) {
  const at = out.findIndex((b) => b.startsWith('- Written: '));
  out[at] +=
    `\n- Kept from an earlier run (no JSON of theirs here; each states when it was measured): ${kept.join('; ')}`;
}
mkdirSync(join(root, 'docs'), { recursive: true });
writeFileSync(join(root, 'docs/performance.md'), out.join('\n\n') + '\n');
const missing = Object.keys(src).filter((k) => !J[k]);
const note = missing.length ? ` (no JSON here: ${missing.map((k) => src[k][0]).join(', ')})` : '';
console.log(`written: docs/performance.md${note}`);
if (kept.length) console.log(`kept as previously written, with their own dates: ${kept.join('; ')}`);
