/**
 * A catalog too large for the browser: a worker's wasm memory is capped
 * (640 MiB), and every worker builds the router's evidence over the whole
 * catalog. A router that does not fit must fail with a code and figures a
 * person can act on, not as a trap of the engine to "please report".
 * The catalog is generated here (40,000 features of 15 parameters and 4
 * counters: 600,000 parameters, 27 MB of JSON), never stored.
 */
import { expect, test } from '@playwright/test';
import type { DemoHandle } from '../demo/main.ts';
import { openDashboard } from './helpers.ts';

test.setTimeout(300_000);

function generated(n: number): string {
  const features: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++)
    features.push({
      code: `GEN ${100 + Math.floor(i / 10000)} ${String(i % 10000).padStart(4, '0')}`,
      name: `Generated feature ${i} for load ${i % 13}`,
      category: `Category ${i % 16}`,
      description: `A generated feature number ${i} that tunes the handover, power and scheduling of cell group ${i % 50}.`,
      parameters: Array.from({ length: 15 }, (_, j) => `GenMo${i % 97}.attr${i}x${j}`),
      counters: Array.from({ length: 4 }, (_, j) => `GenMo${i % 97}.pmCounter${i}x${j}`),
    });
  return JSON.stringify({ features });
}

test("a catalog whose router outgrows a worker's wasm memory: routerReady() and query() reject OUT_OF_MEMORY with the catalog's figures (they were INTERNAL 'the engine trapped … please report it')", async ({
  page,
}) => {
  const body = generated(40_000);
  await page.route('**/huge-catalog.json', (route) =>
    route.fulfill({
      body,
      contentType: 'application/json',
      headers: { 'Cross-Origin-Resource-Policy': 'same-origin' },
    }),
  );
  await openDashboard(page, '?persist=0');
  const r = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const engine = await createEngine({ workers: 1, catalog: '/huge-catalog.json', routing: { cache: false } });
    const failure = (e: unknown) => ({ code: (e as { code?: string }).code, message: String((e as Error).message) });
    const ready = await engine.routerReady().then(() => null, failure);
    const query = await engine.query('Generated feature 123 for load 6').then(() => null, failure);
    const stats = engine.catalog()!.stats;
    await engine.close();
    return { ready, query, stats };
  });
  console.log(JSON.stringify(r));
  expect(r.stats.features).toBe(40_000);
  for (const failure of [r.ready, r.query]) {
    expect(failure?.code).toBe('OUT_OF_MEMORY');
    expect(failure?.message).toContain('40,000 features');
    expect(failure?.message).toContain('600,000 parameters');
    expect(failure?.message).toContain('640 MiB');
    expect(failure?.message).not.toContain('please report');
  }
});
