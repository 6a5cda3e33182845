/**
 * The page stays responsive with big inputs: a batch that cannot fit a
 * worker's wasm memory fails at once, without copying it first; a large
 * batch result is put together without blocking the page; and a large index
 * add does not block the page copying and sorting the vectors into shards.
 * Long tasks are measured with a 'longtask' PerformanceObserver; the bounds
 * are generous (4.1 s, 0.7 s and 1.6 s in one task before the fixes, here).
 */
import { expect, test, type Page } from '@playwright/test';
import type { DemoHandle } from '../demo/main.ts';
import type { Engine } from '../ts/index.ts';

test.setTimeout(180_000);

/** An engine of two workers, with room in each for half of a 200,000 × 1,024 index (410 MB). */
async function openPage(page: Page): Promise<void> {
  await page.goto('/?workers=1&persist=0');
  await page.waitForFunction(() => (window as unknown as { elexDemo?: DemoHandle }).elexDemo !== undefined);
  await page.evaluate(async () => {
    const w = window as unknown as { elexDemo: DemoHandle; bigEngine: Engine };
    w.bigEngine = await w.elexDemo.createEngine({ workers: 2, catalog: false, memoryBudgetBytes: 1200 * 2 ** 20 });
  });
}

test.afterEach(async ({ page }) => {
  await page.evaluate(() => (window as unknown as { bigEngine?: Engine }).bigEngine?.close());
});

test('a distanceBatch too large for a worker fails OUT_OF_MEMORY at once, with the figures, before copying (it blocked the page 0.85 s first)', async ({
  page,
}) => {
  await openPage(page);
  const r = await page.evaluate(async () => {
    const engine = (window as unknown as { bigEngine: Engine }).bigEngine;
    const dim = 1024;
    const vectors = new Float32Array(180_000 * dim); // 703 MiB: more than a worker's memory can hold
    const queries = new Float32Array(64 * dim);
    await new Promise((res) => setTimeout(res, 100));
    const longs: number[] = [];
    const obs = new PerformanceObserver((l) => l.getEntries().forEach((e) => longs.push(e.duration)));
    obs.observe({ type: 'longtask' });
    const t0 = performance.now();
    const outcome = await engine.distanceBatch(queries, vectors, dim).then(
      () => 'ok',
      (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`,
    );
    const ms = performance.now() - t0;
    await new Promise((res) => setTimeout(res, 100));
    obs.disconnect();
    // One that fits still runs.
    const small = await engine.distanceBatch(queries.subarray(0, 16 * dim), vectors.subarray(0, 1000 * dim), dim);
    return { outcome, ms, longest: Math.max(0, ...longs), small: small.distances.length };
  });
  console.log(
    `distanceBatch of 64 × 180,000 × 1,024: failed after ${r.ms.toFixed(0)} ms, longest task ${r.longest.toFixed(0)} ms`,
  );
  expect(r.outcome).toMatch(/^OUT_OF_MEMORY: distanceBatch needs [\d.]+ MiB in a worker .* over the 640\.0 MiB/);
  // The call fails before anything is copied (the long task was inside it: 4.1 s).
  // Other long tasks come and go with the machine's load, so the time of the call is the bound.
  expect(r.ms).toBeLessThan(100);
  expect(r.small).toBe(16 * 1000);
});

test("a distanceBatch with a large result from two workers does not block the page putting the workers' rows together (a 676-799 ms task for 164 MB)", async ({
  page,
}) => {
  await openPage(page);
  const r = await page.evaluate(async () => {
    const engine = (window as unknown as { bigEngine: Engine }).bigEngine;
    const dim = 64,
      nq = 2048,
      nv = 20_000;
    const queries = new Float32Array(nq * dim).map((_, i) => (i % 7) / 7);
    const vectors = new Float32Array(nv * dim).map((_, i) => (i % 5) / 5);
    await new Promise((res) => setTimeout(res, 100));
    const tasks: { start: number; end: number }[] = [];
    const obs = new PerformanceObserver((l) =>
      l.getEntries().forEach((e) => tasks.push({ start: e.startTime, end: e.startTime + e.duration })),
    );
    obs.observe({ type: 'longtask' });
    const out = await engine.distanceBatch(queries, vectors, dim, { metric: 'l2' });
    const resolved = performance.now();
    await new Promise((res) => setTimeout(res, 100));
    obs.disconnect();
    // The rows are put together once both workers answered, just before the
    // call resolves: the long task (if any) that ends then. (The machine's
    // load makes other long tasks come and go; this one was always there.)
    const last = tasks.filter((t) => t.end <= resolved + 1 && t.end >= resolved - 50);
    // Rows of both workers are where they belong: spot-check against a plain computation.
    const check = (q: number, v: number) => {
      let d = 0;
      for (let j = 0; j < dim; j++) d += (queries[q * dim + j]! - vectors[v * dim + j]!) ** 2;
      return Math.abs(out.distances[q * nv + v]! - d) <= 1e-4 * Math.max(1, d);
    };
    const spots = [0, 1, 1023, 1024, 1025, 2047].every((q) => [0, 7, 19_999].every((v) => check(q, v)));
    return {
      merge: Math.max(0, ...last.map((t) => t.end - t.start)),
      shards: out.shards.length,
      length: out.distances.length,
      spots,
    };
  });
  console.log(
    `distanceBatch of 2,048 × 20,000 × 64 on ${r.shards} workers: the task putting the rows together ${r.merge.toFixed(0)} ms`,
  );
  expect(r.shards).toBe(2);
  expect(r.length).toBe(2048 * 20_000);
  expect(r.spots).toBe(true);
  expect(r.merge).toBeLessThan(200);
});

test('a 200,000 × 1,024 index add does not block the page (copying and sorting the vectors into shards took 1.6 s in one task)', async ({
  page,
}) => {
  await openPage(page);
  const r = await page.evaluate(async () => {
    const engine = (window as unknown as { bigEngine: Engine }).bigEngine;
    const dim = 1024,
      n = 200_000;
    const data = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) data[i * dim + (i % dim)] = 1 + i / n;
    const ix = await engine.createIndex('big', { dim });
    // The vectors are copied when add() returns: changing the array after does not change what is added.
    const few = data.slice(0, 300 * dim);
    const first = few.slice(0, dim);
    const fewAdd = ix.add(
      Uint32Array.from({ length: 300 }, (_, i) => 1_000_000 + i),
      few,
    );
    few.fill(0);
    await fewAdd;
    const found = (await ix.search(first, 1)).ids[0];
    await ix.remove(Uint32Array.from({ length: 300 }, (_, i) => 1_000_000 + i));
    await new Promise((res) => setTimeout(res, 200));
    const longs: number[] = [];
    const obs = new PerformanceObserver((l) => l.getEntries().forEach((e) => longs.push(e.duration)));
    obs.observe({ type: 'longtask' });
    const stop = new AbortController();
    const ids = Uint32Array.from({ length: n }, (_, i) => i + 1);
    await new Promise((res) => setTimeout(res, 50));
    const t0 = performance.now();
    const adding = ix.add(ids, data, { signal: stop.signal });
    const sync = performance.now() - t0;
    await new Promise((res) => setTimeout(res, 2500));
    stop.abort();
    const outcome = await adding.then(
      () => 'kept',
      (e: { code?: string }) => e.code,
    );
    obs.disconnect();
    // What landed before the abort was removed again; the index works.
    const one = new Float32Array(dim);
    one[5] = 1;
    await ix.add([7], one);
    const hit = await ix.search(one, 1);
    return { found, sync, longest: Math.max(0, ...longs), outcome, size: (await ix.stats()).size, hit: hit.ids[0] };
  });
  console.log(
    `add of 200,000 × 1,024: add() returned after ${r.sync.toFixed(0)} ms, longest task ${r.longest.toFixed(0)} ms`,
  );
  expect(r.found).toBe(1_000_000);
  expect(r.outcome).toBe('ABORTED');
  expect(r.size).toBe(1);
  expect(r.hit).toBe(7);
  // The copying and sorting ran before add() returned (1,572 ms). Other long
  // tasks come and go with the machine's load (up to 0.5 s seen on an idle
  // page here), so the bound is on add()'s own task.
  expect(r.sync).toBeLessThan(300);
});

test('a queryBatch of 10,000 questions on two workers does not block the page (the routes and the acts were tasks of about 0.9 and 0.65 s)', async ({
  page,
}) => {
  await page.goto('/?workers=1&persist=0');
  await page.waitForFunction(() => (window as unknown as { elexDemo?: DemoHandle }).elexDemo !== undefined);
  const r = await page.evaluate(async () => {
    const w = window as unknown as { elexDemo: DemoHandle; bigEngine: Engine };
    const engine = (w.bigEngine = await w.elexDemo.createEngine({ workers: 2 }));
    await engine.routerReady();
    const topics = [
      'MIMO sleep start time',
      'uplink interference',
      'carrier aggregation SCell',
      'DRX timers',
      'handover',
    ];
    const asks = ['which parameters control', 'which counters monitor', 'when should I enable', 'why is it failing:'];
    const questions = Array.from(
      { length: 10_000 },
      (_, i) => `${asks[i % asks.length]} ${topics[(i >> 2) % topics.length]} on cell ${i}`,
    );
    const one = await engine.query(questions[0]!, { k: 3 });
    await new Promise((res) => setTimeout(res, 200));
    const longs: number[] = [];
    const obs = new PerformanceObserver((l) => l.getEntries().forEach((e) => longs.push(e.duration)));
    obs.observe({ type: 'longtask' });
    const t0 = performance.now();
    const out = await engine.queryBatch(questions, { k: 3, budgetMs: 600_000 });
    const ms = performance.now() - t0;
    await new Promise((res) => setTimeout(res, 50));
    obs.disconnect();
    // A budget too small for all of it: the chunks answered in time are
    // answered, the others are reported missing; TIMEOUT only if none was.
    const tight = await engine.queryBatch(questions.slice(0, 3000), { k: 3, budgetMs: 40 }).then(
      (rs) => ({
        n: rs.length,
        answered: rs.filter((x) => x.features.length > 0).length, // by every worker, or some (partial)
        missing: rs.filter((x) => x.features.length === 0 && x.partial && x.shards.answered === 0).length,
        inOrder: rs.every((x, i) => x.text === questions[i]),
      }),
      (e: { code?: string }) => ({ n: 0, answered: 0, missing: 0, inOrder: true, code: e.code }),
    );
    return {
      ms,
      longest: Math.max(0, ...longs),
      n: out.length,
      inOrder: out.every((x, i) => x.text === questions[i]),
      complete: out.every((x) => !x.partial && x.features.length === 3),
      sameAsOne:
        JSON.stringify(out[0]!.features.map((f) => f.code)) === JSON.stringify(one.features.map((f) => f.code)),
      ids: new Set(out.map((x) => x.queryId)).size,
      tight,
    };
  });
  console.log(
    `queryBatch of 10,000 on 2 workers: ${r.ms.toFixed(0)} ms, longest task ${r.longest.toFixed(0)} ms; 3,000 in 40 ms: ${JSON.stringify(r.tight)}`,
  );
  expect(r.n).toBe(10_000);
  expect(r.inOrder).toBe(true);
  expect(r.complete).toBe(true);
  expect(r.sameAsOne).toBe(true);
  expect(r.ids).toBe(10_000);
  expect(r.longest).toBeLessThan(300);
  if (r.tight.n > 0) {
    expect(r.tight.n).toBe(3000);
    expect(r.tight.inOrder).toBe(true);
    expect(r.tight.answered + r.tight.missing).toBe(3000);
  } else expect((r.tight as { code?: string }).code).toBe('TIMEOUT');
});
