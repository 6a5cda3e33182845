/**
 * Progress and stopping of a long index add: it runs in chunks per shard,
 * which report onProgress (summed over the shards) and between which an
 * abort or a timeout stops it, all or nothing.
 */
import { expect, test, type Page } from '@playwright/test';
import type { DemoHandle } from '../demo/main.ts';
import type { Engine, IndexProgress } from '../ts/index.ts';

const DIM = 16;
const N = 24_000;

async function openPage(page: Page): Promise<void> {
  await page.goto('/?workers=1&persist=0');
  await page.waitForFunction(() => (window as unknown as { elexDemo?: DemoHandle }).elexDemo !== undefined);
  await page.evaluate(async () => {
    const w = window as unknown as { elexDemo: DemoHandle; progressEngine: Engine };
    w.progressEngine = await w.elexDemo.createEngine({ workers: 2, catalog: false });
  });
}

test.afterEach(async ({ page }) => {
  await page.evaluate(() => (window as unknown as { progressEngine?: Engine }).progressEngine?.close());
});

test('index.add reports progress in order, summed over the shards, ending with done === total', async ({ page }) => {
  await openPage(page);
  const r = await page.evaluate(
    async ({ dim, n }) => {
      const engine = (window as unknown as { progressEngine: Engine }).progressEngine;
      let s = 11;
      const rand = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31 - 1;
      const data = new Float32Array(n * dim).map(rand);
      const ix = await engine.createIndex('progress', { dim });
      const events: IndexProgress[] = [];
      const at: number[] = [];
      let resolvedAt = 0;
      const t0 = performance.now();
      const added = await ix.add(
        Uint32Array.from({ length: n }, (_, i) => i + 1),
        data,
        {
          onProgress: (p) => {
            events.push(p);
            at.push(performance.now());
          },
        },
      );
      resolvedAt = performance.now();
      // A listener that throws does not break the add.
      const more = await ix.add([n + 1], data.subarray(0, dim), {
        onProgress: () => {
          throw new Error('listener bug');
        },
      });
      const bad = await ix.add([n + 2], data.subarray(0, dim), { onProgress: 1 as never }).catch((e) => e.code);
      const hit = await ix.search(data.subarray(5 * dim, 6 * dim), 1, { exact: true });
      return {
        added,
        more,
        bad,
        events,
        gaps: at.slice(1, -1).map((t, i) => t - at[i]!),
        lastBeforeResolve: resolvedAt - at[at.length - 1]!,
        ms: resolvedAt - t0,
        shards: (await ix.stats()).shards.map((x) => x.size),
        hit: hit.ids[0],
      };
    },
    { dim: DIM, n: N },
  );
  expect(r.added).toEqual({ added: N, size: N });
  expect(r.shards.length).toBe(2);
  expect(r.events.length).toBeGreaterThanOrEqual(2); // some chunks, then the final event
  for (const e of r.events) expect(e.total).toBe(N);
  const done = r.events.map((e) => e.done);
  for (let i = 1; i < done.length; i++) expect(done[i]).toBeGreaterThan(done[i - 1]!);
  expect(done.at(-1)).toBe(N);
  expect(done.slice(0, -1).every((d) => d > 0 && d < N)).toBe(true);
  for (let i = 1; i < r.events.length; i++) expect(r.events[i]!.ms).toBeGreaterThanOrEqual(r.events[i - 1]!.ms);
  // At most one event per 100 ms (the final one excepted); a little slack for timer rounding.
  for (const g of r.gaps) expect(g).toBeGreaterThanOrEqual(95);
  expect(r.lastBeforeResolve).toBeGreaterThanOrEqual(0);
  expect(r.more).toEqual({ added: 1, size: N + 1 });
  expect(r.bad).toBe('INVALID_ARGUMENT');
  expect(r.hit).toBe(6);
});

for (const how of ['signal', 'timeoutMs'] as const) {
  test(`a ${how} stops a long add between chunks: it rejects at once, nothing of it is kept, the index stays usable`, async ({
    page,
  }) => {
    await openPage(page);
    const r = await page.evaluate(
      async ({ dim, n, how }) => {
        const engine = (window as unknown as { progressEngine: Engine }).progressEngine;
        let s = 5;
        const rand = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31 - 1;
        const base = new Float32Array(600 * dim).map(rand);
        const data = new Float32Array(n * dim).map(rand);
        const baseIds = Uint32Array.from({ length: 600 }, (_, i) => 1_000_000 + i);
        const ids = Uint32Array.from({ length: n }, (_, i) => i + 1);
        const ix = await engine.createIndex('stopped', { dim });
        await ix.add(baseIds, base);
        // The same add to the end, for scale.
        const full = await engine.createIndex('full', { dim });
        let t = performance.now();
        await full.add(ids, data);
        const fullMs = performance.now() - t;
        await full.drop();

        const controller = new AbortController();
        const events: IndexProgress[] = [];
        let stoppedAt = 0;
        t = performance.now();
        const code = await ix
          .add(ids, data, {
            ...(how === 'signal' ? { signal: controller.signal } : { timeoutMs: fullMs / 4 }),
            onProgress: (p) => {
              events.push(p);
              if (how === 'signal' && !stoppedAt) {
                stoppedAt = performance.now();
                controller.abort();
              }
            },
          })
          .then(
            () => 'resolved',
            (e) => e.code,
          );
        const rejectedAt = performance.now();
        if (how === 'timeoutMs') stoppedAt = t + fullMs / 4;
        // Queued after the stopped add and its clean-up on every shard: none of its ids is left.
        const removed = await ix.remove(ids);
        const settledMs = performance.now() - stoppedAt;
        const size = (await ix.stats()).size;
        const hit = await ix.search(base.subarray(7 * dim, 8 * dim), 1, { exact: true });
        // The same ids add again (nothing of them was kept).
        const again = await ix.add(ids.subarray(0, 3000), data.subarray(0, 3000 * dim));
        return {
          code,
          events: events.length,
          firstDone: events[0]?.done ?? 0,
          rejectMs: rejectedAt - stoppedAt,
          settledMs,
          fullMs,
          removed,
          size,
          hit: hit.ids[0],
          again,
        };
      },
      { dim: DIM, n: N, how },
    );
    expect(r.code).toBe(how === 'signal' ? 'ABORTED' : 'TIMEOUT');
    if (how === 'signal') {
      expect(r.events).toBe(1); // none after the abort
      expect(r.firstDone).toBeGreaterThan(0);
      expect(r.firstDone).toBeLessThan(N);
    }
    // Rejected at once (not after the add's remaining chunks) ...
    expect(r.rejectMs).toBeLessThan(Math.max(500, r.fullMs / 4));
    // ... and the workers stopped between chunks: the clean-up was done well before the whole add would have been.
    expect(r.settledMs).toBeLessThan(r.fullMs * 0.75);
    expect(r.removed).toBe(0);
    expect(r.size).toBe(600);
    expect(r.hit).toBe(1_000_007);
    expect(r.again).toEqual({ added: 3000, size: 3600 });
  });
}
