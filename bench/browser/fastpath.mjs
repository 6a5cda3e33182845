// npm run bench:fastpath [-- --quick] [-- --runs=N]
// The fast call path (SharedArrayBuffer channel) against postMessage in one
// run, in headless Chromium on an isolated page (bench/browser/fastpath-bench-page.ts):
// a no-op call's round trip, one-query index.search on 10K × 128 beside
// hnswlib-wasm in the page at equal recall, and the query cycle. Medians
// over the runs of each run's p50/p95, and the ratios. Writes
// bench/report/fastpath-bench.json.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { median, openBenchPage } from './harness.mjs';

const quick = process.argv.includes('--quick');
const runsArg = process.argv.find((a) => a.startsWith('--runs='));
const runs = runsArg ? Number(runsArg.slice(7)) : quick ? 3 : 7;
const questions = JSON.parse(readFileSync('eval/questions.json', 'utf8')).questions.map((q) => q.q);
const loadBefore = loadavg();
const { browser, page, close } = await openBenchPage(Number(process.env.BENCH_PORT ?? 4187));
if (!(await page.evaluate(() => crossOriginIsolated))) throw new Error('the bench page is not cross-origin isolated');
const r = await page.evaluate((req) => window.elexBench.fastPathBench(req), {
  runs,
  pings: quick ? 1000 : 3000,
  searches: quick ? 500 : 2000,
  queries: quick ? 200 : 600,
  questions,
});
await close();
const loadAfter = loadavg();

// Medians over the runs.
const pick = (path, f) => median(r.runs.map((row) => f(row[path])));
const summary = {};
for (const path of ['fast', 'post']) {
  summary[path] = {
    ping: { p50: pick(path, (x) => x.ping.p50), p95: pick(path, (x) => x.ping.p95) },
    search: {
      p50: pick(path, (x) => x.search.p50),
      p95: pick(path, (x) => x.search.p95),
      inWorkerP50: pick(path, (x) => x.search.inWorkerP50),
    },
    query: {
      p50: pick(path, (x) => x.query.p50),
      p95: pick(path, (x) => x.query.p95),
      gatherP50: pick(path, (x) => x.query.gatherP50),
      roundTripP50: pick(path, (x) => x.query.roundTripP50),
      roundTripP95: pick(path, (x) => x.query.roundTripP95),
    },
  };
}
summary.hnswlib = { p50: pick('hnswlib', (x) => x.p50), p95: pick('hnswlib', (x) => x.p95) };
const ratio = (a, b) => a / b;
summary.ratios = {
  pingP50: ratio(summary.post.ping.p50, summary.fast.ping.p50),
  pingP95: ratio(summary.post.ping.p95, summary.fast.ping.p95),
  searchP50: ratio(summary.post.search.p50, summary.fast.search.p50),
  searchP95: ratio(summary.post.search.p95, summary.fast.search.p95),
  queryP50: ratio(summary.post.query.p50, summary.fast.query.p50),
  queryP95: ratio(summary.post.query.p95, summary.fast.query.p95),
  fastSearchOverHnswlibP50: ratio(summary.fast.search.p50, summary.hnswlib.p50),
  postSearchOverHnswlibP50: ratio(summary.post.search.p50, summary.hnswlib.p50),
};
const report = {
  generatedAt: new Date().toISOString(),
  browser: browser.version(),
  quick,
  loadAverage: { before: loadBefore, after: loadAfter },
  ...r,
  summary,
};
mkdirSync('bench/report', { recursive: true });
writeFileSync('bench/report/fastpath-bench.json', JSON.stringify(report, null, 2));

const f = (x, d = 0) => Number(x).toFixed(d);
const s = summary;
console.log(
  `\nFast call path vs postMessage in Chromium ${report.browser}: ${r.variant}, ${r.workers} worker(s) × ${r.threadsPerWorker} threads, ` +
    `${runs} runs (medians of each run's p50/p95), load average ${loadBefore.map((x) => f(x, 2)).join(' ')} before, ${loadAfter.map((x) => f(x, 2)).join(' ')} after`,
);
console.log(
  '                                   fast path        postMessage      ratio post/fast   target (fast path)',
);
console.log(
  `  round trip (no-op) p50/p95 µs     ${f(s.fast.ping.p50).padStart(5)} / ${f(s.fast.ping.p95).padEnd(6)}  ${f(s.post.ping.p50).padStart(5)} / ${f(s.post.ping.p95).padEnd(6)}   ${f(s.ratios.pingP50, 2)} / ${f(s.ratios.pingP95, 2)}       <= 25 / <= 60`,
);
console.log(
  `  index.search 10K×128 p50/p95 µs   ${f(s.fast.search.p50).padStart(5)} / ${f(s.fast.search.p95).padEnd(6)}  ${f(s.post.search.p50).padStart(5)} / ${f(s.post.search.p95).padEnd(6)}   ${f(s.ratios.searchP50, 2)} / ${f(s.ratios.searchP95, 2)}       < hnswlib-wasm`,
);
console.log(
  `  query cycle p50/p95 ms            ${f(s.fast.query.p50, 3)} / ${f(s.fast.query.p95, 3)}  ${f(s.post.query.p50, 3)} / ${f(s.post.query.p95, 3)}  ${f(s.ratios.queryP50, 2)} / ${f(s.ratios.queryP95, 2)}       p50 <= 0.4`,
);
console.log(
  `  of which in the worker's search, p50 µs ${f(s.fast.search.inWorkerP50).padStart(5)}            ${f(s.post.search.inWorkerP50).padStart(5)}`,
);
console.log(
  `  query gather stage p50 ms         ${f(s.fast.query.gatherP50, 3)}            ${f(s.post.query.gatherP50, 3)}`,
);
console.log(
  `  hnswlib-wasm in the page: p50/p95 ${f(s.hnswlib.p50)} / ${f(s.hnswlib.p95)} µs at ef ${r.ef.hnswlib} (recall@10 ${f(r.recall.hnswlib, 3)}); ` +
    `ELEX at ef ${r.ef.elex} (recall@10 ${f(r.recall.fast, 3)} fast engine, ${f(r.recall.post, 3)} postMessage engine); ` +
    `fast path / hnswlib-wasm p50 ${f(s.ratios.fastSearchOverHnswlibP50, 2)}`,
);
console.log(`  fast channel: ${r.counts.calls} calls, ${r.counts.fallbacks} by postMessage (too big)`);
console.log('\nwritten: bench/report/fastpath-bench.json');
