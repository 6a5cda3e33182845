// npm run bench:index [-- --quick] [-- --kernels-only]
// Index and kernel benchmarks in headless Chromium (isolated page, so
// performance.now() has 5 µs resolution), each variant with same-thread
// bindings inside a worker, hnswlib-wasm 0.8.2 in the same run. Writes
// bench/report/index-bench.json and prints tables.
import { mkdirSync, writeFileSync } from 'node:fs';
import { openBenchPage } from './harness.mjs';

const quick = process.argv.includes('--quick');
const efcArg = process.argv.find((a) => a.startsWith('--efc='));
const efConstruction = efcArg ? Number(efcArg.slice(6)) : undefined; // ours (default 100); hnswlib-wasm stays at 200
const only = process.argv.find((a) => a.startsWith('--data='))?.slice(7); // e.g. --data=clustered
const onlyN = Number(process.argv.find((a) => a.startsWith('--n='))?.slice(4) ?? 0); // e.g. --n=100000
const onlyVariant = process.argv.find((a) => a.startsWith('--variant='))?.slice(10);
// --quant=int8|int8+f32 (--int8 = --quant=int8): every run with that quantization instead of
// f32 vectors; --no-hnswlib: skip the side-by-side.
const quantArg = process.argv.find((a) => a.startsWith('--quant='))?.slice(8);
const quantization = quantArg ?? (process.argv.includes('--int8') ? 'int8' : 'none');
if (!['none', 'int8', 'int8+f32'].includes(quantization)) throw new Error(`unknown --quant=${quantization}`);
const quantLabel = (q) => ({ int8: ', int8 codes', 'int8+f32': ', int8 codes + f32 re-rank' })[q] ?? '';
const withHnswlib = !process.argv.includes('--no-hnswlib');
const { browser, page, close } = await openBenchPage(4182);
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

const skipKernels = process.argv.includes('--no-kernels');
if (!skipKernels) for (const variant of variants) report.kernels.push(await run({ kind: 'kernels', variant }));
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
await close();

// ---------------------------------------------------------------- tables
const f = (x, d = 0) => (x === undefined || x === null ? '—' : Number(x).toFixed(d));
const byVariant = Object.fromEntries(report.kernels.map((k) => [k.request.variant, k]));
if (!skipKernels) {
  console.log('\nKernels in Chromium (ns per call, median of 5; ratio = scalar variant / simd variant)');
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
mkdirSync('bench/report', { recursive: true });
writeFileSync('bench/report/index-bench.json', JSON.stringify(report, null, 2) + '\n');
console.log('\nwrote bench/report/index-bench.json');
process.exit(0);
