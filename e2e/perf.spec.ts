/**
 * Perf tests through the real dashboard, for each variant. Bounds are
 * generous so a busy 2-core machine never flakes; the figures themselves
 * go to the Playwright report as annotations (`npm run bench:query` gives
 * the measured ones).
 */
import { expect, test } from '@playwright/test';
import type { DemoHandle } from '../demo/main.ts';
import { openDashboard } from './helpers.ts';
import { generateCatalog } from '../scripts/catalog-generator.mjs';

const catalog = generateCatalog() as {
  parameters: { name: string; type: string; default: unknown }[];
  kpis: { formula: string }[];
};
const numericParams = catalog.parameters.filter((p) => p.type === 'int' || p.type === 'float').slice(0, 500);
const kpiCounters = [...new Set(catalog.kpis.slice(0, 10).flatMap((k) => k.formula.match(/[A-Za-z_][\w.]*/g)!))];

for (const [variant, query] of [
  ['simd-mt', '?persist=0'],
  ['simd', '?persist=0&coi=0'],
  ['scalar', '?persist=0&variant=scalar'],
] as const) {
  test(`${variant}: ready, 200 queries within the budget, a batch of 1,000, validation and monitor`, async ({
    page,
  }) => {
    test.setTimeout(180_000);
    await openDashboard(page, query);
    await expect(page.locator('body')).toHaveAttribute('data-router-ready', '1', { timeout: 120_000 });
    const r = await page.evaluate(
      async ([params, counters]) => {
        const engine = (window as unknown as { elexDemo: DemoHandle }).elexDemo.engine!;
        const info = engine.info();
        const qs = [
          'Which parameters control MIMO sleep start time?',
          'why is handover failing too early',
          'carrier aggregation counters',
        ];
        const lat: number[] = [];
        let partial = 0;
        for (let i = 0; i < 200; i++) {
          // A long budget so that a stall shows up in the figures rather than as TIMEOUT.
          const q = await engine.query(`${qs[i % qs.length]} ${i}`, { budgetMs: 30_000 });
          lat.push(q.timings.total);
          if (q.partial) partial++;
        }
        lat.sort((a, b) => a - b);
        const t0 = performance.now();
        const batch = await engine.queryBatch(Array.from({ length: 1000 }, (_, i) => `${qs[i % qs.length]} ${i}`));
        const batchMs = performance.now() - t0;
        const changes = params.map((p, i) => ({
          parameter: p.name,
          cell: `c${i}`,
          current: Number(p.default),
          proposed: Number(p.default) + 1,
          at: 1e12,
        }));
        const t1 = performance.now();
        const v = await engine.validate(changes, { record: false });
        const validateMs = performance.now() - t1;
        const cells = Array.from({ length: 50 }, (_, i) => `cell-${i}`);
        const data = new Float32Array(cells.length * counters.length * 96).fill(7);
        const t2 = performance.now();
        const m = await engine.monitor({ cells, counters, periods: 96, data });
        const monitorMs = performance.now() - t2;
        return {
          variant: info.variant,
          startMs: info.startMs,
          p50: lat[100]!,
          p95: lat[190]!,
          max: lat[199]!,
          partial,
          batch: batch.length,
          batchMs,
          validated: v.results.length,
          validateMs,
          kpis: m.kpis.length,
          monitorMs,
        };
      },
      [numericParams, kpiCounters] as const,
    );
    for (const [k, v] of Object.entries(r)) test.info().annotations.push({ type: k, description: String(v) });
    expect(r.variant).toBe(variant);
    expect(r.startMs).toBeLessThan(15_000);
    expect(r.p95).toBeLessThan(500); // the query budget
    expect(r.partial).toBe(0);
    expect(r.batch).toBe(1000);
    expect(r.batchMs).toBeLessThan(20_000);
    expect(r.validated).toBe(500);
    expect(r.validateMs).toBeLessThan(2_000);
    expect(r.kpis).toBeGreaterThan(0);
    expect(r.monitorMs).toBeLessThan(5_000);
  });
}
