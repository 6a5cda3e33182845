/**
 * The query cycle in Chromium through the dashboard's engine: a real
 * question reaches the right feature with its parameters, agents answer
 * within the budget, feedback reaches them, batches work, bad input gives
 * coded errors and the engine keeps serving.
 */
import { expect, test, type Page } from '@playwright/test';
import type { DemoHandle } from '../demo/main.ts';
import { openDashboard } from './helpers.ts';

async function ready(page: Page, query = '?persist=0'): Promise<void> {
  await openDashboard(page, query);
  await expect(page.locator('body')).toHaveAttribute('data-router-ready', '1', { timeout: 60_000 });
}

test('a question about MIMO sleep start time reaches MIMO Sleep Mode with that parameter, within the budget', async ({
  page,
}) => {
  await ready(page);
  await page.locator('#ask').click();
  await expect(page.locator('#answer-head [data-key="action"]')).not.toHaveText('—');
  const r = await page.evaluate(async () => {
    const engine = (window as unknown as { elexDemo: DemoHandle }).elexDemo.engine!;
    return engine.query('Which parameters control MIMO sleep start time?');
  });
  expect(r.features[0]!.name).toBe('MIMO Sleep Mode');
  expect(r.features[0]!.matched[0]!.name).toMatch(/\.mimoSleepStartTime$/);
  expect(r.type).toBe('parameter');
  expect(r.action).not.toBeNull();
  expect(r.answer).not.toBeNull();
  expect(r.partial).toBe(false);
  expect(r.timings.total).toBeLessThan(500);
  expect(r.confidence).toBeGreaterThanOrEqual(0);
  expect(r.confidence).toBeLessThanOrEqual(1);
  // A cold agent answers directly, with the matched parameter's range and safe zone.
  if (r.answer!.action === 'DirectAnswer') {
    const p = r.answer!.card.parameters.find((x) => x.name.endsWith('.mimoSleepStartTime'))!;
    expect(p.range).toHaveLength(2);
    expect(p.safe).toBeDefined();
  }
  await expect(page.locator('#routed')).toContainText('MIMO Sleep Mode');
});

test('feedback reaches the agents of a query; batches, budgets, aborts and bad input behave', async ({ page }) => {
  await ready(page);
  const out = await page.evaluate(async () => {
    const engine = (window as unknown as { elexDemo: DemoHandle }).elexDemo.engine!;
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { code?: string }) => e.code ?? String(e),
      );
    const r = await engine.query('How is the pmCaConfigAtt counter used?');
    const fb = await engine.feedback(r.queryId, 1);
    const again = await codeOf(engine.feedback(r.queryId, 1));
    const batch = await engine.queryBatch(Array.from({ length: 50 }, (_, i) => `which timer controls handover ${i}`));
    const ac = new AbortController();
    const aborted = codeOf(engine.query('carrier aggregation', { signal: ac.signal }));
    ac.abort();
    const tiny = await engine.query('carrier aggregation', { budgetMs: 0.01 }).then(
      (x) => (x.partial ? 'partial' : 'complete'),
      (e: { code?: string }) => e.code,
    );
    return {
      top: r.features[0]?.name,
      applied: fb.applied,
      again,
      batch: batch.length,
      batchIds: new Set(batch.map((b) => b.queryId)).size,
      aborted: await aborted,
      tiny,
      empty: await codeOf(engine.query('   ')),
      long: await codeOf(engine.query('x'.repeat(2001))),
      badK: await codeOf(engine.query('mimo', { k: 0 })),
      badType: await codeOf(engine.query({ text: 'mimo', type: 'bogus' as 'kpi' })),
      after: (await engine.query('MIMO Sleep Mode')).features[0]?.name,
    };
  });
  expect(out.top).toBe('Carrier Aggregation');
  expect(out.applied).toBeGreaterThanOrEqual(1);
  expect(out.again).toBe('NOT_FOUND');
  expect(out.batch).toBe(50);
  expect(out.batchIds).toBe(50);
  expect(out.aborted).toBe('ABORTED');
  expect(['TIMEOUT', 'partial']).toContain(out.tiny);
  expect(out.empty).toBe('INVALID_ARGUMENT');
  expect(out.long).toBe('INVALID_ARGUMENT');
  expect(out.badK).toBe('INVALID_ARGUMENT');
  expect(out.badType).toBe('INVALID_ARGUMENT');
  expect(out.after).toBe('MIMO Sleep Mode');
});
