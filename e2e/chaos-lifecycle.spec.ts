/**
 * The worker pool's remaining failure modes (an outside tester's second
 * pass): a worker that closes itself after the site's data was cleared, a
 * loadIndex() whose first step's worker is killed, a persist name taken by
 * a second tab after a clear. Each test is the regression test of a fix.
 * Rerun: npx vite build --logLevel warn && CI=1 npx playwright test e2e/chaos-lifecycle.spec.ts
 */
import { expect, test, type Page } from '@playwright/test';
import type { DemoHandle } from '../demo/main.ts';
import { PREVIEW } from '../playwright.config.ts';

type Engine = Awaited<ReturnType<DemoHandle['createEngine']>>;

async function openPage(page: Page): Promise<void> {
  await page.goto('/?workers=1&persist=0');
  await page.waitForFunction(() => (window as unknown as { elexDemo?: DemoHandle }).elexDemo !== undefined);
}

test("site data cleared, then a worker closes itself: its death is noticed and calls without a timeout settle (they waited forever: the page could not watch the new worker's life lock)", async ({
  page,
  context,
}) => {
  await openPage(page);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Storage.clearDataForOrigin', { origin: PREVIEW, storageTypes: 'all' });
  const out = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const settle = (p: Promise<unknown>) =>
      Promise.race([
        p.then(
          () => 'ok',
          (e: { code?: string }) => `${e.code}`,
        ),
        pause(5000).then(() => 'hung'),
      ]);
    const engine = await createEngine({ workers: 2, catalog: false });
    const rows: string[] = [];
    for (const [w, mode] of [
      [0, 'close'],
      [1, 'close'],
      [0, 'throw'],
    ] as const) {
      const restarts = engine.info().restarts;
      const code = `FAJ 121 000${w}`;
      // The call is sent while the worker is closing (it answers nothing more).
      await engine.debug.crashWorker(w, mode);
      await pause(20);
      const first = await settle(engine.decide(code));
      const t0 = performance.now();
      while (engine.info().restarts === restarts && performance.now() - t0 < 8000) await pause(20);
      const again = await settle(engine.decide(code));
      rows.push(`${first} ${engine.info().restarts - restarts} ${again}`);
    }
    await engine.close();
    return rows;
  });
  for (const row of out) expect(['ok 1 ok', 'WORKER_CRASHED 1 ok']).toContain(row);
});

test("a worker killed during loadIndex()'s first step: the load is retried on the replacement like add and remove (it rejected WORKER_CRASHED)", async ({
  page,
}) => {
  await openPage(page);
  const out = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const engine = await createEngine({ workers: 2, catalog: false });
    const dim = 32;
    const src = await engine.createIndex('src', { dim, metric: 'l2' });
    const n = 20000;
    await src.add(
      Uint32Array.from({ length: n }, (_, i) => i),
      Float32Array.from({ length: n * dim }, (_, i) => Math.sin(i * 0.7)),
    );
    const bytes = await src.save();
    const query = new Float32Array(dim).fill(0.1);
    const want = Array.from((await src.search(query, 3)).ids);
    const outcomes: string[] = [];
    for (const delay of [0, 0, 1, 2]) {
      const restarts = engine.info().restarts;
      const loading = engine.loadIndex(`copy${outcomes.length}`, bytes);
      await engine.debug.crashWorker(0, 'terminate', delay);
      outcomes.push(
        await loading.then(
          async (ix) => {
            const hits = await ix.search(query, 3);
            return !hits.partial && Array.from(hits.ids).join() === want.join() ? 'ok' : 'wrong';
          },
          (e: { name?: string; code?: string }) => `${e.name} ${e.code}`,
        ),
      );
      while (engine.info().restarts === restarts) await new Promise((r) => setTimeout(r, 10));
    }
    // index.load() reads the bytes the same way.
    const restarts = engine.info().restarts;
    const loading = src.load(bytes);
    await engine.debug.crashWorker(0, 'terminate', 0);
    outcomes.push(
      await loading.then(
        async () => {
          const hits = await src.search(query, 3);
          return !hits.partial && Array.from(hits.ids).join() === want.join() ? 'ok' : 'wrong';
        },
        (e: { name?: string; code?: string }) => `${e.name} ${e.code}`,
      ),
    );
    while (engine.info().restarts === restarts) await new Promise((r) => setTimeout(r, 10));
    await engine.close();
    return outcomes;
  });
  expect(out).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
});

test("site data cleared: a second tab cannot take the persist name the first tab's engine holds (it could, and both wrote one store)", async ({
  page,
  context,
}) => {
  await openPage(page);
  const name = `shared-${Date.now().toString(36)}`;
  const start = (p: Page) =>
    p.evaluate(async (name) => {
      const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
      try {
        const e = await createEngine({ workers: 1, catalog: false, persist: { name, backend: 'idb' } });
        (window as unknown as { held: Engine }).held = e;
        return 'ok';
      } catch (e) {
        return `${(e as { code?: string }).code}`;
      }
    }, name);
  expect(await start(page)).toBe('ok');
  const other = await context.newPage();
  await openPage(other);
  expect(await start(other)).toBe('PERSIST_UNAVAILABLE'); // before the clear
  const cdp = await context.newCDPSession(page);
  await cdp.send('Storage.clearDataForOrigin', { origin: PREVIEW, storageTypes: 'all' });
  const third = await context.newPage();
  await openPage(third);
  expect(await start(third)).toBe('PERSIST_UNAVAILABLE');
  expect(await start(other)).toBe('PERSIST_UNAVAILABLE');
  // Once the first lets go, the name is free again.
  await page.evaluate(() => (window as unknown as { held: Engine }).held.close());
  expect(await start(third)).toBe('ok');
  await third.evaluate(() => (window as unknown as { held: Engine }).held.close());
});
