/**
 * The fast call path (ts/parallel/fast-channel.ts): the same hot calls give the same
 * results and the same error codes through the SharedArrayBuffer channel
 * and through postMessage; a worker killed while fast calls are in flight
 * settles every one of them; pages that are not isolated use postMessage.
 * (query.spec.ts and index.spec.ts also run their suites through both paths.)
 */
import { expect, test } from '@playwright/test';
import type { DemoHandle } from '../demo/main.ts';
import { openDashboard } from './helpers.ts';

test.setTimeout(180_000);

test('hot calls give identical results and error codes through the fast path and postMessage', async ({ page }) => {
  await openDashboard(page, '?persist=0&workers=1');
  const out = await page.evaluate(async () => {
    const demo = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    await demo.engine!.close(); // the dashboard's own engine: not needed here
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { code?: string }) => e.code ?? String(e),
      );
    /** Drops what differs between two runs by nature: timings (ms, timings, …Ms) and query ids (time-based). */
    const strip = (v: unknown): unknown =>
      JSON.parse(
        JSON.stringify(v, (key, x: unknown) =>
          key === 'timings' || key === 'ms' || key.endsWith('Ms') || key === 'queryId'
            ? undefined
            : ArrayBuffer.isView(x)
              ? Array.from(x as unknown as ArrayLike<number>)
              : x,
        ),
      );
    const scenario = async (fastPath: boolean) => {
      const e = await demo.createEngine({ fastPath, workers: 2 });
      await e.routerReady();
      const log: unknown[] = [];
      // Budgets far above need: on a loaded machine a 500 ms budget may cut a
      // cycle short on one path and not the other; this test is about results.
      const budgetMs = 60_000;
      // Queries, single and batched.
      const q1 = await e.query('Which parameters control MIMO sleep start time?', { budgetMs });
      log.push(strip(q1));
      const batch = await e.queryBatch(
        [
          'How is the pmCaConfigAtt counter used?',
          'handover hysteresis offset',
          'carrier aggregation parameters',
          'which timer controls handover',
        ],
        { budgetMs },
      );
      log.push(strip(batch));
      // Feedback and decisions.
      log.push(await e.feedback(q1.queryId, 1));
      log.push(await codeOf(e.feedback(q1.queryId, 1)));
      const feature = q1.features[0]!.code;
      for (let i = 0; i < 6; i++) {
        const d = await e.decide(feature, { type: 'parameter', complexity: 'simple', confidence: 0.5 });
        log.push(strip(d));
        log.push(await e.feedback(d.queryId, i % 2 ? 1 : -0.5));
      }
      log.push(await codeOf(e.decide('FAJ 999 9999')));
      // Validation, typed and as objects.
      const names = q1.features.flatMap((f) => f.matched.filter((m) => m.kind === 'parameter').map((m) => m.name));
      names.push('Cell.nothing');
      const n = 2000;
      const parameters = e.parameterIndexes(Array.from({ length: n }, (_, i) => names[i % names.length]!));
      const current = new Float64Array(n).map((_, i) => (i * 7) % 100);
      const proposed = current.map((c, i) => c + ((i * 13) % 41) - 20);
      const cells = new Uint32Array(n).map((_, i) => i % 5);
      log.push(strip(await e.validateBatch({ parameters, current, proposed, at: 1e12, cells })));
      // Again, with the cooldowns just recorded; then 12,000 changes (408 KB packed: the
      // fast path lends the worker a view of its slot, and the page reuses its own buffer).
      log.push(strip(await e.validateBatch({ parameters, current, proposed, at: 1e12 + 1000, cells })));
      const big = 12_000;
      const bigBatch = {
        parameters: e.parameterIndexes(Array.from({ length: big }, (_, i) => names[i % names.length]!)),
        current: new Float64Array(big).map((_, i) => (i * 3) % 50),
        proposed: new Float64Array(big).map((_, i) => ((i * 3) % 50) + ((i * 11) % 9) - 4),
        at: 5e12,
        cells: new Uint32Array(big).map((_, i) => i % 700),
      };
      log.push(strip(await e.validateBatch(bigBatch)));
      log.push(strip(await e.validateBatch({ ...bigBatch, at: 5e12 + 10 })));
      log.push(strip(await e.validateBatch({ ...bigBatch, at: 6e12 }, { record: false })));
      log.push(
        strip(
          await e.validate(
            Array.from({ length: 50 }, (_, i) => ({
              parameter: names[i % names.length]!,
              current: i,
              proposed: i * 3 - 40,
              cell: `c${i % 3}`,
              at: 2e12 + i,
            })),
          ),
        ),
      );
      // An index: exact search, and a graph built on one thread (the same graph every run).
      let s = 11;
      const rand = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31 - 1;
      const dim = 24;
      const ix = await e.createIndex('fp', { dim, metric: 'l2' });
      await ix.add(
        Array.from({ length: 1200 }, (_, i) => i * 3 + 1),
        new Float32Array(1200 * dim).map(rand),
      );
      const queries = new Float32Array(8 * dim).map(rand);
      log.push(strip(await ix.search(queries, 7, { exact: true })));
      log.push(strip(await ix.search(queries.subarray(0, dim), 5)));
      log.push(await codeOf(ix.search(new Float32Array(dim + 1), 5)));
      const counts = e.debug.fastPathCounts();
      const info = e.info();
      await e.close();
      return { log, counts, fastPath: info.fastPath };
    };
    const fast = await scenario(true);
    const post = await scenario(false);
    return { fast, post };
  });
  expect(out.fast.fastPath).toBe(true);
  expect(out.post.fastPath).toBe(false);
  expect(out.fast.counts.calls).toBeGreaterThan(20); // hot calls really took the channel
  expect(out.post.counts.calls).toBe(0);
  expect(out.fast.log).toEqual(out.post.log);
});

test('a worker killed while fast-path calls are in flight settles every one of them, and its replacement serves the fast path', async ({
  page,
}) => {
  await openDashboard(page, '?persist=0&workers=2');
  const out = await page.evaluate(async () => {
    const engine = (window as unknown as { elexDemo: DemoHandle }).elexDemo.engine!;
    let s = 5;
    const rand = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31 - 1;
    const dim = 32,
      n = 4000;
    const ix = await engine.createIndex('fp-kill', { dim, metric: 'cosine' });
    await ix.add(
      Array.from({ length: n }, (_, i) => i + 1),
      new Float32Array(n * dim).map(rand),
    );
    const query = new Float32Array(dim).map(rand);
    const before = await ix.search(query, 10, { exact: true });
    const callsBefore = engine.debug.fastPathCounts().calls;
    // Many calls at once (more than a channel has slots: some wait in line), then the kill.
    const outcome = (p: Promise<unknown>) =>
      p.then(
        (r) => ((r as { partial?: boolean } | undefined)?.partial ? 'partial' : 'ok'),
        (e: { code?: string }) => e.code ?? String(e),
      );
    const calls: Promise<string>[] = [];
    for (let i = 0; i < 120; i++) {
      calls.push(outcome(ix.search(query, 10, { exact: true })));
      calls.push(outcome(engine.debug.ping(0)));
    }
    const killed = engine.debug.crashWorker(0, 'terminate', 0);
    for (let i = 0; i < 40; i++) calls.push(outcome(ix.search(query, 10, { exact: true })));
    const t0 = performance.now();
    const settled = await Promise.race([
      Promise.all(calls),
      new Promise<null>((r) => setTimeout(() => r(null), 30_000)),
    ]);
    const settleMs = performance.now() - t0;
    await killed;
    // The replacement: restored, on the fast path again.
    await engine.debug.ping(0);
    const after = await ix.search(query, 10, { exact: true });
    const tally: Record<string, number> = {};
    for (const c of settled ?? []) tally[c] = (tally[c] ?? 0) + 1;
    return {
      settled: settled !== null,
      settleMs,
      tally,
      restarts: engine.info().restarts,
      fastPath: engine.info().fastPath,
      callsBefore,
      callsAfter: engine.debug.fastPathCounts().calls,
      same: JSON.stringify(Array.from(after.ids)) === JSON.stringify(Array.from(before.ids)),
      partialAfter: after.partial,
    };
  });
  expect(out.settled).toBe(true);
  expect(out.restarts).toBe(1);
  // Every call is answered, partial (a shard lost) or WORKER_CRASHED: nothing else, nothing pending.
  for (const code of Object.keys(out.tally)) expect(['ok', 'partial', 'WORKER_CRASHED']).toContain(code);
  expect(Object.values(out.tally).reduce((a, b) => a + b, 0)).toBe(280);
  expect(out.fastPath).toBe(true);
  expect(out.callsAfter).toBeGreaterThan(0);
  expect(out.partialAfter).toBe(false);
  expect(out.same).toBe(true);
});

test('deadlines hold on the fast path: a call past its budget is TIMEOUT or partial, never late', async ({ page }) => {
  await openDashboard(page, '?persist=0');
  await expect(page.locator('body')).toHaveAttribute('data-router-ready', '1', { timeout: 60_000 });
  const out = await page.evaluate(async () => {
    const engine = (window as unknown as { elexDemo: DemoHandle }).elexDemo.engine!;
    const results: string[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      const r = await engine.query('carrier aggregation', { budgetMs: 0.05 }).then(
        (x) => (x.partial ? 'partial' : 'complete'),
        (e: { code?: string }) => e.code ?? String(e),
      );
      results.push(`${r}:${performance.now() - t0 < 250 ? 'quick' : 'slow'}`);
    }
    return { results, fastPath: engine.info().fastPath };
  });
  expect(out.fastPath).toBe(true);
  for (const r of out.results) expect(['TIMEOUT:quick', 'partial:quick', 'complete:quick']).toContain(r);
});

test('a page that is not cross-origin isolated uses postMessage, transparently', async ({ page }) => {
  await openDashboard(page, '?persist=0&coi=0');
  const out = await page.evaluate(async () => {
    const engine = (window as unknown as { elexDemo: DemoHandle }).elexDemo.engine!;
    await engine.routerReady();
    const r = await engine.query('Which parameters control MIMO sleep start time?');
    return {
      isolated: crossOriginIsolated,
      fastPath: engine.info().fastPath,
      calls: engine.debug.fastPathCounts().calls,
      top: r.features[0]?.name,
    };
  });
  expect(out.isolated).toBe(false);
  expect(out.fastPath).toBe(false);
  expect(out.calls).toBe(0);
  expect(out.top).toMatch(/MIMO Sleep Mode$/);
});
