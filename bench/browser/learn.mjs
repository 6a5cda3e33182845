// npm run bench:learn [-- --quick]
// Learning and memory benchmarks in headless Chromium, each variant with
// same-thread bindings inside a worker (bench/browser/learn-bench-worker.ts).
// Writes bench/report/learn-bench.json and prints tables with the targets
// of the learning issue beside the measured figures.
import { mkdirSync, writeFileSync } from 'node:fs';
import { openBenchPage } from './harness.mjs';

const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--variant='))?.slice('--variant='.length);
const { browser, page, close } = await openBenchPage(4183);
const report = { generatedAt: new Date().toISOString(), browser: browser.version(), quick, variants: [] };
for (const variant of ['simd-mt', 'simd', 'scalar'].filter((v) => !only || v === only))
  report.variants.push(await page.evaluate((r) => window.elexBench.run(r), { kind: 'learn', variant, quick }));
// Through the public engine: save + restore with the default pool (workers in parallel).
report.engine = await page.evaluate(([a, s]) => window.elexBench.engineSaveRestore(a, s), [quick ? 100 : 593, 1000]);
await close();
mkdirSync('bench/report', { recursive: true });
writeFileSync('bench/report/learn-bench.json', JSON.stringify(report, null, 2));

const f = (x, d = 0) => (x === undefined || x === null ? '—' : Number(x).toFixed(d));
const V = report.variants;
console.log(`\nLearning in Chromium ${report.browser} (ns unless noted; median of 3 passes)`);
console.log(['figure', ...V.map((v) => v.request.variant)].join(' | '));
const row = (name, fn) => console.log([name, ...V.map(fn)].join(' | '));
for (const [i, q] of V[0].qupdate.entries())
  row(
    `Q-update of ${q.n} (SIMD / scalar twin)`,
    (v) => `${f(v.qupdate[i].simdNs)} / ${f(v.qupdate[i].scalarNs)} (${f(v.qupdate[i].ratio, 1)}×)`,
  );
row('action selection (1,000 states)', (v) => f(v.selectNs));
row('decide + feedback with 8 replays', (v) => f(v.feedbackReplayNs));
row('cache hit (decide, 593 agents)', (v) => f(v.cache.hitNs));
row('cache insert (new agent)', (v) => f(v.cache.insertNs));
row('cache miss (import 1,000-state record + decide)', (v) => f(v.cache.missNs));
row('eviction, per agent', (v) => f(v.cache.evictNsPerAgent));
for (const [i, z] of V[0].cache.zipf.entries())
  row(
    `Zipf hit rate, budget ${z.budgetPct} % of agents`,
    (v) => `${f(v.cache.zipf[i].hitRate * 100, 1)} % (${f(v.cache.zipf[i].nsPerOp)} ns/op)`,
  );
for (const [i, a] of V[0].memory.perAgent.entries())
  row(
    `bytes per agent, ${a.states} states (live / record)`,
    (v) => `${v.memory.perAgent[i].liveBytes} / ${v.memory.perAgent[i].recordBytes}`,
  );
row(
  '16 MB budget, sustained inserts: over budget / used MB',
  (v) => `${v.memory.sustained.overBudget} / ${f(v.memory.sustained.usedBytes / 1048576, 1)}`,
);
row('fragmentation: heap / live', (v) => f(v.memory.fragmentation.ratio, 2));
row('save + restore, agents × 1,000 states (ms; threads)', (v) =>
  v.persist
    ? `${f(v.persist.saveMs)} + ${f(v.persist.restoreMs)} = ${f(v.persist.saveRestoreMs)} (${v.persist.agents}, ${f(v.persist.bytes / 1048576, 1)} MB; ${v.persist.threads})`
    : '—',
);
const E = report.engine;
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(
  `\nThrough createEngine (${E.variant}, ${E.workers} worker(s) × ${E.threadsPerWorker}, OPFS; median of ${E.saveMs.length}, each restore in new workers): save ${f(med(E.saveMs))} ms + restore ${f(med(E.restoreMs))} ms = ${f(med(E.saveMs) + med(E.restoreMs))} ms for ${E.agents} agents × ${E.states} states (${f(E.bytes / 1048576, 1)} MB; ${E.restored} restored)`,
);
console.log(
  `  save: encode ${f(med(E.encodeMs))} + write ${f(med(E.writeMs))} ms; restore (ready): read ${f(med(E.readMs))} + check ${f(med(E.loadMs))} ms; every agent resident (background load) after ${f(med(E.residentMs))} ms`,
);
console.log(
  `  all runs: save ${E.saveMs.map((x) => f(x)).join(' ')}; restore ${E.restoreMs.map((x) => f(x)).join(' ')}`,
);
row('  save: encode + write (ms)', (v) => (v.persist ? `${f(v.persist.encodeMs)} + ${f(v.persist.writeMs)}` : '—'));
row('  restore: read + check (ms); all resident after (ms)', (v) =>
  v.persist ? `${f(v.persist.readMs)} + ${f(v.persist.loadMs)}; ${f(v.persist.residentMs)}` : '—',
);
const simd = V.find((v) => v.request.variant === 'simd') ?? V[0];
console.log('\nTargets (learning issue), simd variant:');
console.log(`  Q-update of 100 <= 1 µs: ${f(simd.qupdate[1].simdNs)} ns`);
console.log(`  action selection <= 200 ns: ${f(simd.selectNs)} ns`);
if (simd.persist)
  console.log(
    `  save + restore of ${simd.persist.agents} agents x 1,000 states <= 100 ms: ${f(simd.persist.saveRestoreMs)} ms`,
  );
console.log('\nwritten: bench/report/learn-bench.json');
