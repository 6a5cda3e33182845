/**
 * Rated questions through the public API stay inside the memory budget:
 * the route memory gives way (its oldest rated questions forgotten) rather
 * than taking the worker past its budget, and feedback still teaches
 * routing afterwards (tests/ts/route-budget.test.ts checks the same in node).
 */
import { expect, test } from '@playwright/test';
import type { DemoHandle } from '../demo/main.ts';
import type { Engine } from '../ts/index.ts';

test.setTimeout(180_000);

test('1,200 rated 2,000-character questions keep stats().memory inside a budget 3 MiB over idle, and a later 👍 still lifts its feature', async ({
  page,
}) => {
  await page.goto('/?workers=1&persist=0');
  await page.waitForFunction(() => (window as unknown as { elexDemo?: DemoHandle }).elexDemo !== undefined);
  const r = await page.evaluate(async () => {
    const demo = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const used = async (e: Engine) => (await e.stats()).memory;
    const probe = await demo.createEngine({ workers: 1, routing: { cache: false } });
    await probe.routerReady();
    const idle = (await used(probe)).usedBytes;
    await probe.close();
    const engine = await demo.createEngine({
      workers: 1,
      routing: { cache: false },
      memoryBudgetBytes: idle + 3 * 2 ** 20,
    });
    await engine.routerReady();
    let worst = 0;
    const topics = ['X2 handover drops', 'MIMO sleep at night', 'uplink interference', 'carrier aggregation'];
    for (let i = 0; i < 1200; i++) {
      const text =
        `case ${i}: why ${topics[i % 4]} ${'on the cells of cluster north after the software upgrade '.repeat(40)}`.slice(
          0,
          2000,
        );
      const q = await engine.query(text);
      await engine.feedback(q.queryId, i % 4 ? 1 : -1, { feature: q.features[0]!.code });
      if (i % 50 === 49) {
        const m = await used(engine);
        worst = Math.max(worst, m.usedBytes / m.budgetBytes);
      }
    }
    const ready = await engine.routerReady();
    const question = 'which feature keeps the downlink scheduler fair between cells at night';
    const before = await engine.query(question);
    const fifth = before.features[4]!.code;
    await engine.feedback(before.queryId, 1, { feature: fifth });
    const after = await engine.query(question);
    const m = await used(engine);
    await engine.close();
    return {
      worst,
      last: m.usedBytes / m.budgetBytes,
      kept: ready[0]!.routeMemory,
      forgotten: ready[0]!.routeMemoryForgotten,
      lifted: after.features[0]!.code === fifth,
      idle,
      usedEnd: m.usedBytes,
      budget: m.budgetBytes,
    };
  });
  console.log(JSON.stringify(r));
  expect(r.worst).toBeLessThanOrEqual(1);
  expect(r.last).toBeLessThanOrEqual(1);
  expect(r.forgotten).toBeGreaterThan(0);
  expect(r.kept).toBeGreaterThan(100);
  expect(r.lifted).toBe(true);
});
