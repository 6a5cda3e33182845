/**
 * Durable per-worker state: what a worker held (monitor history, its part
 * of the router) is given back to its replacement, so calls after a crash
 * answer as if it had not happened.
 */
import { expect, test, type Page } from '@playwright/test';
import type { DemoHandle } from '../demo/main.ts';
import { openDashboard } from './helpers.ts';
import { generateCatalog } from '../scripts/catalog-generator.mjs';

const RATIO = (generateCatalog().kpis as { name: string; formula: string }[]).find((k) =>
  /^100 \* \S+ \/ \S+$/.test(k.formula),
)!;

async function ready(page: Page, query: string): Promise<void> {
  await openDashboard(page, query);
  await expect(page.locator('body')).toHaveAttribute('data-router-ready', '1', { timeout: 60_000 });
}

test('monitor history survives the death of every worker: anomaly scores after it equal those of an engine that never crashed', async ({
  page,
}) => {
  await ready(page, '?persist=0&workers=2');
  const counters = RATIO.formula.split(/\s+/).filter((t) => /^[A-Za-z]\w*\.\w+$/.test(t));
  const out = await page.evaluate(
    async ({ counters, kpi }) => {
      const engine = (window as unknown as { elexDemo: DemoHandle }).elexDemo.engine!;
      const periods = 24,
        cellsN = 8;
      let seed = 11;
      const rand = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
      const batches = [0, 1, 2].map((b) =>
        Float32Array.from({ length: cellsN * counters.length * periods }, (_, i) =>
          // The numerator jumps late in the last batch, so that anomalies depend on the history.
          b === 2 && Math.floor(i / periods) % counters.length === 0 && i % periods > 20
            ? 1000 + 500 * rand()
            : 100 + 50 * rand(),
        ),
      );
      const run = (prefix: string, b: number) =>
        engine.monitor({
          cells: Array.from({ length: cellsN }, (_, c) => `${prefix}${c}`),
          counters,
          periods,
          data: batches[b]!.slice(),
          kpis: [kpi],
        });
      await run('crash-', 0);
      await run('crash-', 1);
      const restarts = engine.info().restarts;
      await engine.debug.crashWorker(0, 'terminate');
      await engine.debug.crashWorker(1, 'throw');
      while (engine.info().restarts < restarts + 2) await new Promise((r) => setTimeout(r, 20));
      const crashed = await run('crash-', 2);
      await run('calm-', 0);
      await run('calm-', 1);
      const calm = await run('calm-', 2);
      const pick = (r: Awaited<ReturnType<typeof run>>) => ({
        anomalies: Array.from(r.anomalies),
        maxZ: Array.from(r.maxZ),
        kpiStats: Array.from(r.kpiStats),
      });
      return { crashed: pick(crashed), calm: pick(calm), restarts: engine.info().restarts - restarts };
    },
    { counters, kpi: RATIO.name },
  );
  expect(out.restarts).toBe(2);
  expect(out.calm.anomalies.some((a) => a > 0)).toBe(true); // the history matters for this batch
  expect(out.crashed).toEqual(out.calm);
});

test('a replaced worker rebuilds its part of the router: questions answer as before, partial only while it builds', async ({
  page,
}) => {
  await ready(page, '?persist=0&workers=2');
  const out = await page.evaluate(async () => {
    const engine = (window as unknown as { elexDemo: DemoHandle }).elexDemo.engine!;
    const questions = [
      'Which parameters control MIMO sleep start time?',
      'How is downlink PRB utilisation computed?',
      'uplink interference troubleshooting',
    ];
    const codes = async () => (await engine.queryBatch(questions)).map((r) => r.features.map((f) => f.code));
    const before = await codes();
    const restarts = engine.info().restarts;
    await engine.debug.crashWorker(1, 'close');
    while (engine.info().restarts === restarts) await new Promise((r) => setTimeout(r, 10));
    const during = await engine.query(questions[0]!, { budgetMs: 200 });
    await engine.routerReady();
    const after = await codes();
    const full = await engine.queryBatch(questions);
    return {
      before,
      after,
      duringPartial: during.partial,
      duringMissing: during.shards.missing,
      fullPartial: full.some((r) => r.partial),
    };
  });
  // The surviving worker may miss a short budget too while the CPU rebuilds the other's router.
  if (out.duringPartial) expect(out.duringMissing).toContain(1);
  expect(out.after).toEqual(out.before);
  expect(out.fullPartial).toBe(false);
});
