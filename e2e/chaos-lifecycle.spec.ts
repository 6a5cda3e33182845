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
