// npm run bench:recovery [-- --n=100000] [-- --dim=128] [-- --variant=simd-mt|simd]
// Recovery of a durable index shard in headless Chromium: an engine of one
// worker (no catalog, so nothing else is rebuilt) holds one shard of n
// vectors, added in batches of 10,000 then a tail of 10 batches of 100 (in
// the page's log); the worker is terminated and the clock runs until a
// search (no budget) answers from its restored replacement. Prints and
// writes bench/report/recovery.json: the replacement's start and restore
// ms, the time to the first whole answer, whether the answers equal the
// pre-crash ones, and the page memory held for recovery; for scale, the
// time of the tail adds (what the replay re-does), of loading the saved
// index into another one (what loading the base costs), and the machine's
// load average (other processes share its 2 cores).
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { launchChromium, startPreview } from './harness.mjs';

const arg = (name, dflt) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;
const n = Number(arg('n', 100000));
const dim = Number(arg('dim', 128));
const variants = arg('variant', 'simd-mt,simd').split(',');
const port = Number(arg('port', 4186));

const { base, stop } = await startPreview(port);
const browser = await launchChromium();
const results = [];
try {
  for (const variant of variants) {
    const page = await browser.newPage();
    page.on('console', (m) => m.type() === 'log' && console.log(`  ${m.text()}`));
    await page.goto(`${base}/?persist=0&workers=1${variant === 'simd-mt' ? '' : '&coi=0'}`);
    await page.waitForFunction(() => window.elexDemo?.engine, null, { timeout: 60_000 });
    const r = await page.evaluate(
      async ({ n, dim, variant }) => {
        const demo = window.elexDemo;
        await demo.engine.close(); // the dashboard's engine: its CPU is not measured
        const engine = await demo.createEngine({ workers: 1, catalog: false, variant });
        let s = 12345;
        const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
        const vectors = (count) => Float32Array.from({ length: count * dim }, rand);
        const ix = await engine.createIndex('r', { dim, metric: 'l2' });
        const tb = performance.now();
        let next = 0;
        for (let done = 0; done < n; done += 10000) {
          const m = Math.min(10000, n - done);
          await ix.add(
            Array.from({ length: m }, () => next++),
            vectors(m),
          );
        }
        const tt = performance.now();
        for (let t = 0; t < 10; t++)
          await ix.add(
            Array.from({ length: 100 }, () => next++),
            vectors(100),
          );
        const tailMs = performance.now() - tt; // what the replay re-does
        const buildMs = performance.now() - tb;
        // What loading the base costs on its own: the saved index into a second index.
        const saved = await ix.save();
        const tl = performance.now();
        const copy = await engine.loadIndex('copy', saved);
        const loadMs = performance.now() - tl;
        await copy.drop();
        const queries = vectors(100);
        const before = await ix.search(queries, 10, { exact: false });
        const stats = await ix.stats();
        const memory = ix.recovery();
        const restarts = engine.info().restarts;
        const t0 = performance.now();
        await engine.debug.crashWorker(0, 'terminate');
        let after;
        for (;;) {
          try {
            after = await ix.search(queries, 10, { exact: false });
            if (!after.partial) break;
          } catch (e) {
            if (e.code !== 'WORKER_CRASHED') throw e;
          }
        }
        const firstAnswerMs = performance.now() - t0;
        const restore = engine.info().shards[0].lastRestore;
        const same = after.ids.join() === before.ids.join() && after.distances.join() === before.distances.join();
        await engine.close();
        return {
          variant: engine.info().variant,
          n: stats.size,
          dim,
          buildMs: Math.round(buildMs),
          tailAddMs: Math.round(tailMs),
          loadSavedMs: Math.round(loadMs),
          indexBytes: stats.bytes,
          pageBaseBytes: memory.baseBytes,
          pageLogBytes: memory.logBytes,
          logEntries: memory.logEntries,
          replacementReadyMs: Math.round(restore.ms),
          restoreMs: Math.round(restore.restoreMs),
          firstWholeAnswerMs: Math.round(firstAnswerMs),
          restarts: engine.info().restarts - restarts,
          sameAnswers: same,
        };
      },
      { n, dim, variant },
    );
    r.loadAverage = os.loadavg().map((x) => Math.round(x * 10) / 10);
    console.log(JSON.stringify(r));
    results.push(r);
    await page.close();
  }
} finally {
  await browser.close();
  stop();
}
mkdirSync('bench/report', { recursive: true });
writeFileSync(
  'bench/report/recovery.json',
  JSON.stringify({ generatedAt: new Date().toISOString(), results }, null, 2),
);
for (const r of results)
  console.log(
    `${r.variant}: ${r.n} vectors × ${r.dim}: restored in ${r.restoreMs} ms (replacement ready in ${r.replacementReadyMs} ms, first whole answer ${r.firstWholeAnswerMs} ms after the kill); page holds ${(r.pageBaseBytes / 2 ** 20).toFixed(1)} MiB base + ${(r.pageLogBytes / 2 ** 20).toFixed(2)} MiB log (${r.logEntries} entries) for an index of ${(r.indexBytes / 2 ** 20).toFixed(1)} MiB; same answers: ${r.sameAnswers}`,
  );
