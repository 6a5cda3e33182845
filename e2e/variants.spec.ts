/**
 * The three variants in headless Chromium, through the real dashboard.
 */
import { expect, test } from '@playwright/test';
import { DEV } from '../playwright.config.ts';
import { LARGE, SMALL, info, openDashboard, runBatch } from './helpers.ts';

test('isolated page runs simd-mt and really uses more than one thread', async ({ page }) => {
  await openDashboard(page);
  const i = await info(page);
  expect(i.crossOriginIsolated).toBe(true);
  expect(i.variant).toBe('simd-mt');
  expect(i.kernel).toBe('simd128');
  expect(i.threadsPerWorker).toBeGreaterThanOrEqual(2);
  // Helpers pick up chunks dynamically; on a loaded machine one run may be
  // finished by the caller thread alone, so allow a few tries.
  let best = 0;
  for (let k = 0; k < 5 && best < 2; k++) best = Math.max(best, (await runBatch(page, LARGE, false)).threadsUsed);
  expect(best).toBeGreaterThanOrEqual(2);
  await expect(page.locator('dd[data-key="variant"]')).toHaveText('simd-mt');
});

test('page without COOP/COEP falls back to simd with bit-identical results; forced scalar agrees within tolerance', async ({
  browser,
}) => {
  const results: Record<string, number[]> = {};
  for (const [name, query] of [
    ['simd-mt', ''],
    ['simd', '?coi=0'],
    ['scalar', '?variant=scalar'],
  ] as const) {
    const page = await browser.newPage();
    await openDashboard(page, query);
    const i = await info(page);
    expect(i.variant).toBe(name);
    if (name === 'simd') expect(i.crossOriginIsolated).toBe(false);
    expect(i.kernel).toBe(name === 'scalar' ? 'scalar' : 'simd128');
    results[name] = (await runBatch(page, SMALL)).distances;
    await page.close();
  }
  expect(results['simd-mt']!.length).toBe(SMALL.nq * SMALL.nv);
  // Same kernel, same data: threads must not change a single bit.
  expect(results.simd).toEqual(results['simd-mt']);
  const worst = results.scalar!.reduce((m, x, k) => Math.max(m, Math.abs(x - results.simd![k]!)), 0);
  expect(worst).toBeLessThan(1e-5);
  expect(worst).toBeGreaterThanOrEqual(0);
});

test('forcing simd-mt on a page that is not isolated shows a clear error', async ({ page }) => {
  await page.goto('/?coi=0&variant=simd-mt');
  await expect(page.locator('#status')).toHaveText('failed to start');
  await expect(page.locator('.error')).toContainText('UNSUPPORTED_VARIANT');
  await expect(page.locator('.error')).toContainText('Cross-Origin-Embedder-Policy');
  // The catalog card said "loading the catalog…" for good: no engine will load it.
  await expect(page.locator('#catalog-status')).toHaveText(
    /^no catalog: the engine did not start \(UNSUPPORTED_VARIANT: /,
  );
});

test('the Vite dev server serves a working isolated dashboard too', async ({ page }) => {
  await page.goto(`${DEV}/`);
  await expect(page.locator('body')).toHaveAttribute('data-first-result-ms', /\d/, { timeout: 60_000 });
  const i = await info(page);
  expect(i.variant).toBe('simd-mt');
  expect(i.threadsPerWorker).toBeGreaterThanOrEqual(2);
});

test('simd-mt starts with any pool shape, one thread per worker included', async ({ page }) => {
  await openDashboard(page, '?variant=simd-mt&workers=2&threads=1');
  const i = await info(page);
  expect(i.variant).toBe('simd-mt');
  expect(i.workers).toBe(2);
  expect(i.threadsPerWorker).toBe(1);
  expect((await runBatch(page, SMALL)).threadsUsed).toBe(1);
});
