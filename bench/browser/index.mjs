// npm run bench:index [-- --quick] [-- --kernels-only]
// Index and kernel benchmarks in headless Chromium (isolated page, so
// performance.now() has 5 µs resolution), each variant with same-thread
// bindings inside a worker, hnswlib-wasm 0.8.2 in the same run. Writes
// bench/report/index-bench.json and prints tables.
// The kernel table needs the bench builds (build/wasm-bench/, scripts/build-wasm.sh
// --bench) and, for its native SSE2 column, build/native/elex_bench_kernels (built
// here if missing; --no-native skips it).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { openBenchPage } from './harness.mjs';

const quick = process.argv.includes('--quick');
const efcArg = process.argv.find((a) => a.startsWith('--efc='));
const efConstruction = efcArg ? Number(efcArg.slice(6)) : undefined; // ours (default 100); hnswlib-wasm stays at 200
const only = process.argv.find((a) => a.startsWith('--data='))?.slice(7); // e.g. --data=clustered
const onlyN = Number(process.argv.find((a) => a.startsWith('--n='))?.slice(4) ?? 0); // e.g. --n=100000
const onlyVariant = process.argv.find((a) => a.startsWith('--variant='))?.slice(10);
// --quant=int8|int8+f32|int8+res4 (--int8 = --quant=int8): every run with that quantization instead of
// f32 vectors; --no-hnswlib: skip the side-by-side.
const quantArg = process.argv.find((a) => a.startsWith('--quant='))?.slice(8);
const quantization = quantArg ?? (process.argv.includes('--int8') ? 'int8' : 'none');
if (!['none', 'int8', 'int8+f32', 'int8+res4'].includes(quantization))
  throw new Error(`unknown --quant=${quantization}`);
const quantLabel = (q) =>
  ({
    int8: ', int8 codes',
    'int8+f32': ', int8 codes + f32 re-rank',
    'int8+res4': ', int8 codes + 4-bit residual re-rank',
  })[q] ?? '';
const withHnswlib = !process.argv.includes('--no-hnswlib');
const { browser, page, close } = await openBenchPage(Number(process.env.BENCH_PORT ?? 4182));
if (!(await page.evaluate(() => window.elexBench.isolated)))
  throw new Error('the bench page is not cross-origin isolated');

const run = (req) => page.evaluate((r) => window.elexBench.run(r), req);
const variants = ['simd-mt', 'simd', 'scalar'];
const efs = quick ? [16, 32, 64, 128] : [10, 16, 24, 32, 48, 64, 96, 128, 192, 256];
const report = {
  generatedAt: new Date().toISOString(),
  browser: browser.version(),
  quick,
  efConstruction: efConstruction ?? 100,
  index: [],
  kernels: [],
};

const skipKernels = process.argv.includes('--no-kernels') || process.argv.includes('--million-only');
let kernelBatchRun = null;
if (!skipKernels) {
  kernelBatchRun = await run({ kind: 'kernel-batch', variants });
  for (const variant of variants) report.kernels.push(await run({ kind: 'kernels', variant }));
}
const datasets = [
  { data: 'clustered', n: 10000 },
  { data: 'uniform', n: 10000 },
  // int8 codes alone (the memory figure), and with the f32 originals for an exact re-rank
  // (the exact scan over codes is what wins on uniform data).
  { data: 'clustered', n: 10000, quantization: 'int8' },
  { data: 'uniform', n: 10000, quantization: 'int8+f32' },
  // 100K twice: f32 vectors, and int8 codes for the graph walk with the f32 originals
  // for an exact re-rank (the walk touches a third of the bytes, so more of it stays in cache).
  ...(quick
    ? []
    : [
        // efConstruction 200 at 100K (as hnswlib-wasm here): a better graph pays off at this size.
        { data: 'clustered', n: 100000, efConstruction: 200 },
        { data: 'clustered', n: 100000, efConstruction: 200, quantization: 'int8+f32' },
      ]),
];
const wanted = (x) =>
  !process.argv.includes('--kernels-only') &&
  !process.argv.includes('--million-only') &&
  (!only || x.data === only) &&
  (!onlyN || x.n === onlyN) &&
  (!quantArg || (x.quantization ?? 'none') === 'none');
for (const d of datasets.filter(wanted))
  for (const variant of variants.filter((v) => !onlyVariant || v === onlyVariant)) {
    if (d.n > 10000 && variant === 'scalar') continue; // minutes of build for a number nobody needs
    report.index.push(
      await run({
        kind: 'index',
        variant,
        ...d,
        efs,
        efConstruction: efConstruction ?? d.efConstruction ?? 100,
        quantization: d.quantization ?? quantization,
        // hnswlib-wasm has no int8 codes: its side of that comparison is the f32 run.
        hnswlib: withHnswlib && variant === 'simd-mt' && (d.quantization ?? quantization) === 'none',
        queries: 1000,
      }),
    );
  }
// One tab, a million vectors (issue 17 §4): not in --quick. --million-only runs just this;
// --million=N changes the size (for a trial); --million-quant=a,b runs only those quantizations.
const millionOnly = process.argv.includes('--million-only');
const millionN = Number(process.argv.find((a) => a.startsWith('--million='))?.slice(10) ?? 1_000_000);
report.million = [];
// --no-reserve: grow the index as it fills (no IndexHandle.reserve up front), to compare.
const reserveRoom = !process.argv.includes('--no-reserve');
if ((!quick && !process.argv.includes('--kernels-only') && !process.argv.includes('--no-million')) || millionOnly)
  for (const q of process.argv
    .find((a) => a.startsWith('--million-quant='))
    ?.slice(16)
    .split(',') ?? ['int8', 'int8+res4', 'int8+f32']) {
    // The machine's load average (1 / 5 / 15 min) before and after: other processes share its cores.
    const loadBefore = loadavg();
    const r = await run({
      kind: 'million',
      variant: 'simd-mt',
      threads: 2,
      n: millionN,
      dim: 128,
      quantization: q,
      queries: 200,
      efConstruction: efConstruction ?? 100,
      budgetBytes: 500 * 1024 * 1024,
      chunk: 50_000,
      reserve: reserveRoom,
      efs: [16, 32, 48, 64, 96, 128, 192, 256, 384, 512],
    });
    report.million.push({ ...r, loadAverage: { before: loadBefore, after: loadavg() } });
  }
await close();

// ---------------------------------------------------------------- tables
const f = (x, d = 0) => (x === undefined || x === null ? '—' : Number(x).toFixed(d));
const byVariant = Object.fromEntries(report.kernels.map((k) => [k.request.variant, k]));
const med = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
// Targets for the batch ratios (issue 16 §5): SIMD variant / scalar variant, in every run.
const TARGETS = { dot: 3.5, cosine: 3.5, l2: 3.5, 'int8 dot': 6, validation: 3, aggregation: 3 };

/** The native SSE2 reference: the same KernelBatch in Google Benchmark (bench/native/kernels_bench.cpp). */
function nativeBatch() {
  const bin = 'build/native/elex_bench_kernels';
  try {
    execFileSync('cmake', ['-S', '.', '-B', 'build/native', '-DCMAKE_BUILD_TYPE=Release'], { stdio: 'ignore' });
    execFileSync('cmake', ['--build', 'build/native', '--target', 'elex_bench_kernels', '-j2'], { stdio: 'ignore' });
  } catch (e) {
    console.warn(`native reference skipped: could not build ${bin} (${e.message})`);
    return null;
  }
  if (!existsSync(bin)) return null;
  const out = 'build/native/batch10k.json';
  execFileSync(
    bin,
    [
      '--benchmark_filter=^batch10k/',
      '--benchmark_repetitions=5',
      '--benchmark_report_aggregates_only=true',
      '--benchmark_min_time=0.05',
      `--benchmark_out=${out}`,
      '--benchmark_out_format=json',
    ],
    { stdio: 'ignore' },
  );
  const json = JSON.parse(readFileSync(out, 'utf8'));
  const rows = {};
  for (const b of json.benchmarks.filter((x) => x.aggregate_name === 'median')) {
    const [, kernel, twin] = b.run_name.split('/');
    // CPU time: on this shared machine the wall time of a native run is mostly other processes.
    const ns = b.cpu_time * (b.time_unit === 'us' ? 1e3 : b.time_unit === 'ms' ? 1e6 : 1);
    (rows[kernel] ??= {})[twin] = ns;
  }
  return { cpu: json.context.host_name, date: json.context.date, kernels: rows };
}

if (!skipKernels) {
  const native = process.argv.includes('--no-native') ? null : nativeBatch();
  report.nativeBatch = native;
  // Paired by run: run r of a SIMD variant against run r of the scalar variant, taken moments apart.
  const paired = (a, b) => a.map((x, r) => x / b[r]);
  report.kernelBatchRuns = { runs: kernelBatchRun.runs, reps: kernelBatchRun.reps, kernels: kernelBatchRun.kernels };
  report.kernelBatch = kernelBatchRun.rows.map((k) => {
    const sc = k.byVariant.scalar;
    const row = { kernel: k.kernel, dim: k.dim, count: k.count, target: TARGETS[k.kernel] ?? null };
    // Per run, the fastest of its samples: on a shared machine the samples a preemption or a
    // neighbour's cache traffic slowed down only add time, so the fastest is the kernel's own
    // cost. The medians of the samples are kept beside (medianRatio).
    for (const v of ['simd-mt', 'simd']) {
      const r = k.byVariant[v];
      const ratios = paired(sc.runsMinNs, r.runsMinNs);
      row[v] = {
        nsPerBatch: med(r.runsMinNs),
        medianNsPerBatch: med(r.runsNs),
        twinNsPerBatch: med(r.twinRunsMinNs),
        runsNs: r.runsMinNs,
        ratio: med(ratios),
        ratioLow: Math.min(...ratios),
        ratios,
        medianRatio: med(paired(sc.runsNs, r.runsNs)),
        twinRatio: med(paired(r.twinRunsMinNs, r.runsMinNs)),
      };
    }
    row.scalar = {
      nsPerBatch: med(sc.runsMinNs),
      medianNsPerBatch: med(sc.runsNs),
      twinNsPerBatch: med(sc.twinRunsMinNs),
      runsNs: sc.runsMinNs,
    };
    const n = native?.kernels[k.kernel];
    row.native = n ? { simdNs: n.simd, scalarNs: n.scalar, ratio: n.scalar / n.simd } : null;
    // Met only if every paired run of both SIMD variants reaches the target.
    row.met = row.target === null ? null : Math.min(row['simd-mt'].ratioLow, row.simd.ratioLow) >= row.target;
    return row;
  });
  console.log(
    `\nKernels measured as kernels in Chromium: one call = one pass over ${report.kernelBatch[0].count} items (vectors of ${report.kernelBatch[0].dim} for the distance kernels), timed inside wasm in samples of >= 2 ms; us per pass, per run the fastest of ${report.kernelBatchRuns.reps} samples, median of ${report.kernelBatchRuns.runs} runs, the variants taking turns sample by sample.`,
  );
  console.log(
    'ratio = scalar variant / this variant, median of the paired runs (lowest paired run in brackets; a target is met when every run meets it; ratio of the sample medians after the bar); native = SSE2 / scalar twin, g++ -O3, CPU time (g++ auto-vectorises the scalar int8 twin)',
  );
  console.log('kernel        simd-mt    simd  scalar   simd-mt ratio   simd ratio   native SSE2  target');
  for (const r of report.kernelBatch)
    console.log(
      `${r.kernel.padEnd(12)} ${f(r['simd-mt'].nsPerBatch / 1e3, 1).padStart(7)} ${f(r.simd.nsPerBatch / 1e3, 1).padStart(7)} ${f(r.scalar.nsPerBatch / 1e3, 1).padStart(7)}   ${f(r['simd-mt'].ratio, 2).padStart(5)} (${f(r['simd-mt'].ratioLow, 2)}) | ${f(r['simd-mt'].medianRatio, 2)}  ${f(r.simd.ratio, 2).padStart(5)} (${f(r.simd.ratioLow, 2)}) | ${f(r.simd.medianRatio, 2)}  ${f(r.native?.ratio, 2).padStart(6)}  ${r.target ? `>= ${r.target} ${r.met ? 'met' : 'MISSED'}` : ''}`,
    );
  console.log(
    '\nKernels per call in Chromium (ns per call, median of 5; ratio = scalar variant / simd variant): call cost included',
  );
  console.log('kernel        n      simd   scalar  ratio');
  report.kernels[0].kernels.forEach((k, i) => {
    const s = byVariant.simd.kernels[i].nsPerCall,
      c = byVariant.scalar.kernels[i].nsPerCall;
    k.ratio = c / s;
    console.log(
      `${k.kernel.padEnd(12)} ${String(k.n).padStart(5)} ${f(s, 1).padStart(8)} ${f(c, 1).padStart(8)} ${f(c / s, 2).padStart(6)}`,
    );
  });
  report.kernelRatios = report.kernels[0].kernels.map((k, i) => ({
    kernel: k.kernel,
    simdNs: byVariant.simd.kernels[i].nsPerCall,
    scalarNs: byVariant.scalar.kernels[i].nsPerCall,
    ratio: byVariant.scalar.kernels[i].nsPerCall / byVariant.simd.kernels[i].nsPerCall,
  }));
  console.log(
    'Q-update batch (simd): ' + byVariant.simd.qupdate.map((q) => `${q.n}: ${f(q.nsPerBatch, 1)} ns`).join(', '),
  );
}

for (const r of report.index) {
  console.log(
    `\n${r.request.variant} ${r.n} x ${r.dim} ${r.data} (M ${r.request.M ?? 16}, efConstruction ${r.request.efConstruction ?? 100}${quantLabel(r.request.quantization)}): build ${f(r.buildMs)} ms (${f(r.vectorsPerS)} vectors/s), ${f(r.bytesPerVector)} B/vector, exact scan recall ${f(r.exact.recall, 3)} p50 ${f(r.exact.p50)} p95 ${f(r.exact.p95)} us`,
  );
  console.log(
    '  ef   recall    p50    p95    p99   mean (us)' + (r.hnswlib ? '   | hnswlib-wasm recall   p50    p95' : ''),
  );
  r.points.forEach((p, i) => {
    const h = r.hnswlib?.points[i];
    console.log(
      `  ${String(p.ef).padStart(3)}  ${f(p.recall, 3)}  ${f(p.p50).padStart(5)}  ${f(p.p95).padStart(5)}  ${f(p.p99).padStart(5)}  ${f(p.mean, 1).padStart(5)}` +
        (h ? `   |       ${f(h.recall, 3)}  ${f(h.p50).padStart(5)}  ${f(h.p95).padStart(5)}` : ''),
    );
  });
  if (r.hnswlib) console.log(`  hnswlib-wasm build ${f(r.hnswlib.buildMs)} ms (${f(r.hnswlib.vectorsPerS)} vectors/s)`);
}
for (const r of report.million) {
  const mib = (x) => f(x / 2 ** 20);
  console.log(
    `\n${r.request.variant} one tab: ${r.n} of ${r.wanted} x ${r.dim} clustered, ${r.quantization}, budget ${mib(r.budgetBytes)} MiB${r.stopped ? ` — stopped: ${r.stopped}` : ''}`,
  );
  console.log(
    `  ${r.roomNote ? `${r.roomNote} (${mib(r.reserved.bytes)} MiB)` : r.reserved ? `room for ${r.reserved.items} reserved up front (${mib(r.reserved.bytes)} MiB)` : 'grown as added (--no-reserve)'}`,
  );
  console.log(
    `  build ${f(r.buildMs / 1000, 1)} s (${f(r.vectorsPerS)} vectors/s), ${f(r.bytesPerVector)} B/vector, index ${mib(r.indexBytes)} MiB, wasm memory ${mib(r.wasmMemoryBytes)} MiB, budget used ${mib(r.budgetUsedBytes)} MiB; ground truth ${f(r.groundTruthMs / 1000, 1)} s (JS, ${r.queries} queries); load average ${r.loadAverage.before.map((x) => f(x, 1)).join(' ')} before, ${r.loadAverage.after.map((x) => f(x, 1)).join(' ')} after`,
  );
  console.log('  ef   recall    p50    p95    p99 (us)');
  for (const p of r.points)
    console.log(
      `  ${String(p.ef).padStart(3)}  ${f(p.recall, 3)}  ${f(p.p50).padStart(5)}  ${f(p.p95).padStart(5)}  ${f(p.p99).padStart(5)}`,
    );
  for (const [label, p] of [
    ['0.95', r.at95],
    ['0.98', r.at98],
  ])
    console.log(
      `  recall >= ${label}: ${p ? `ef ${p.ef}, recall ${f(p.recall, 3)}, p50 ${f(p.p50)} us, p95 ${f(p.p95)} us` : 'not reached'}`,
    );
}
mkdirSync('bench/report', { recursive: true });
// --kernels-only / --million-only rerun one part: the other parts of the last report are kept.
const file = 'bench/report/index-bench.json';
if ((process.argv.includes('--kernels-only') || millionOnly) && existsSync(file)) {
  const last = JSON.parse(readFileSync(file, 'utf8'));
  const keep = millionOnly
    ? ['index', 'kernels', 'kernelBatch', 'kernelBatchRuns', 'kernelRatios', 'nativeBatch']
    : ['index', 'million'];
  for (const key of keep) if (last[key] !== undefined) report[key] = last[key];
  report.partial = { rerun: millionOnly ? 'million' : 'kernels', previous: last.generatedAt };
}
writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
console.log('\nwrote bench/report/index-bench.json');
process.exit(0);
