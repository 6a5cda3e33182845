// Browser benchmark: engine-ready time and pool shapes, in headless Chromium
// against the production demo build (vite preview with COOP/COEP).
//
//   npm run bench:ready            (builds first; writes bench/report/ready.json)
//
// 1. Ready time per variant: page navigation start -> first batch result on
//    screen, over RUNS fresh browser contexts (cold HTTP cache); median.
// 2. Pool shapes for simd-mt (workers x threads per worker): start time and
//    the median time of a 256 x 4096 x 128 cosine batch after warm-up.
import { mkdirSync, writeFileSync } from 'node:fs';
import { launchChromium, median, startPreview } from './harness.mjs';

const RUNS = Number(process.env.RUNS ?? 5);
const { base: BASE, stop } = await startPreview(4180);
const browser = await launchChromium();

async function load(query) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${BASE}/${query}`);
  await page.waitForFunction(() => document.body.dataset.firstResultMs, null, { timeout: 60_000 });
  const r = await page.evaluate(() => ({
    firstResultMs: Number(document.body.dataset.firstResultMs),
    info: window.elexDemo.engine.info(),
  }));
  return { page, context, ...r };
}

const report = { generatedAt: new Date().toISOString(), runs: RUNS, browser: browser.version(), ready: [], shapes: [] };

for (const [name, query] of [
  ['simd-mt', ''],
  ['simd', '?coi=0'],
  ['scalar', '?variant=scalar'],
]) {
  const first = [],
    start = [];
  let info;
  for (let i = 0; i < RUNS; i++) {
    const r = await load(query);
    first.push(r.firstResultMs);
    start.push(r.info.startMs);
    info = r.info;
    await r.context.close();
  }
  report.ready.push({
    variant: name,
    workers: info.workers,
    threadsPerWorker: info.threadsPerWorker,
    medianFirstResultMs: median(first),
    medianEngineStartMs: median(start),
    firstResultMs: first,
  });
}

for (const [workers, threads] of [
  [1, 1],
  [1, 2],
  [2, 1],
  [2, 2],
]) {
  const r = await load(`?variant=simd-mt&workers=${workers}&threads=${threads}`);
  const times = await r.page.evaluate(async () => {
    const run = () => window.elexDemo.run({ nq: 256, nv: 4096, dim: 128, metric: 'cosine', seed: 5 });
    for (let i = 0; i < 3; i++) await run(); // warm-up: let the optimising tier compile
    const t = [];
    for (let i = 0; i < 9; i++) t.push((await run()).elapsedMs);
    return t;
  });
  report.shapes.push({
    workers,
    threadsPerWorker: threads,
    engineStartMs: r.info.startMs,
    medianBatchMs: median(times),
    mDistancesPerS: (256 * 4096) / (median(times) * 1e3),
  });
  await r.context.close();
}
await browser.close();
stop();

console.log(`engine ready (navigation -> first result), median of ${RUNS} cold loads, ${report.browser}`);
console.log('variant   workers x threads  first result ms  engine start ms');
for (const r of report.ready)
  console.log(
    `${r.variant.padEnd(9)} ${`${r.workers} x ${r.threadsPerWorker}`.padEnd(18)} ${r.medianFirstResultMs.toFixed(0).padStart(15)}  ${r.medianEngineStartMs.toFixed(0).padStart(15)}`,
  );
console.log('\nsimd-mt pool shapes: 256 x 4096 x 128 cosine batch, median of 9 after 3 warm-up runs');
console.log('workers x threads  start ms  batch ms  M distances/s');
for (const s of report.shapes)
  console.log(
    `${`${s.workers} x ${s.threadsPerWorker}`.padEnd(18)} ${s.engineStartMs.toFixed(0).padStart(8)}  ${s.medianBatchMs.toFixed(1).padStart(8)}  ${s.mDistancesPerS.toFixed(1).padStart(13)}`,
  );
mkdirSync('bench/report', { recursive: true });
writeFileSync('bench/report/ready.json', JSON.stringify(report, null, 2) + '\n');
console.log('\nwrote bench/report/ready.json');
process.exit(0);
