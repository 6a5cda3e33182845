// npm run bench:query [-- --quick]
// The query cycle in headless Chromium through the public engine (default
// pool and catalog): routing accuracy on eval/questions.json, latency
// single and batched, per-stage timings, validation of 10K changes and a
// monitor batch of 1,000 cells × 200 counters × 96 periods. Writes
// bench/report/query-bench.json.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { openBenchPage } from './harness.mjs';

const quick = process.argv.includes('--quick');
const evalSet = JSON.parse(readFileSync('eval/questions.json', 'utf8'));
const { browser, page, close } = await openBenchPage(4184);
const r = await page.evaluate(([q, k]) => window.elexBench.queryBench(q, k), [evalSet.questions, quick]);
await close();
const report = { generatedAt: new Date().toISOString(), browser: browser.version(), quick, ...r };
mkdirSync('bench/report', { recursive: true });
writeFileSync('bench/report/query-bench.json', JSON.stringify(report, null, 2));
const f = (x, d = 1) => Number(x).toFixed(d);
const all = Object.values(r.accuracy).reduce(
  (a, s) => ({ n: a.n + s.n, top1: a.top1 + s.top1, top5: a.top5 + s.top5 }),
  { n: 0, top1: 0, top5: 0 },
);
console.log(
  `\nQuery cycle in Chromium ${report.browser}: ${r.variant}, ${r.workers} worker(s) × ${r.threadsPerWorker} threads, ${r.items} items, router built in ${f(r.routerBuildMs, 0)} ms`,
);
for (const [kind, s] of Object.entries(r.accuracy))
  console.log(`  ${kind.padEnd(11)} top-1 ${f((100 * s.top1) / s.n)} %  top-5 ${f((100 * s.top5) / s.n)} %  (${s.n})`);
console.log(
  `  all         top-1 ${f((100 * all.top1) / all.n)} %  top-5 ${f((100 * all.top5) / all.n)} %  (${all.n})   targets: >= 90 % / >= 98 %`,
);
console.log(
  `  single: p50 ${f(r.latency.p50, 2)} ms, p95 ${f(r.latency.p95, 2)} ms, p99 ${f(r.latency.p99, 2)} ms, ${f(r.latency.qps, 0)} queries/s   target: p95 <= 2 ms`,
);
console.log(
  `  stages (median ms): embed ${f(r.stages.embed, 3)}, route ${f(r.stages.route, 3)}, agents ${f(r.stages.agents, 3)}, gather ${f(r.stages.gather, 3)}`,
);
console.log(
  `  batched: ${r.batch.size} in ${f(r.batch.ms, 0)} ms = ${f(r.batch.qps, 0)} queries/s (median of 5)   target: >= 2,000/s`,
);
console.log(
  `  validate 10K: ${f(r.validate.totalMs, 2)} ms end to end (median of 15; first call ${f(r.validate.firstMs, 1)} ms), ${f(r.validate.kernelMs, 3)} ms in the kernel call\n` +
    `  validateBatch 10K (typed columns): ${f(r.validate.batch.totalMs, 2)} ms end to end (median of 30, p95 ${f(r.validate.batch.p95Ms, 2)}), ${f(r.validate.batch.kernelMs, 3)} ms in the kernel call   target: <= 1 ms`,
);
console.log(
  `  monitor ${r.monitor.cells} × ${r.monitor.counters} × ${r.monitor.periods} (${r.monitor.kpis} KPIs): ${f(r.monitor.totalMs, 0)} ms (round trip to the workers ${f(r.monitor.workersMs, 0)}, in the worker ${f(r.monitor.shardMs, 0)}, evaluation ${f(r.monitor.kernelMs, 0)}; medians of 5), ${f(r.monitor.perPeriodMs, 0)} ms with per-period values (perPeriod: true)   target: <= 50 ms`,
);
console.log('\nwritten: bench/report/query-bench.json');
