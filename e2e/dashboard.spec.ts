/**
 * The dashboard's cards as a user drives them: ask, live figures, change
 * validator, KPI monitor, and loading a catalog (errors with JSON paths).
 */
import { expect, test } from '@playwright/test';
import { openDashboard } from './helpers.ts';

test('ask, validate the offered parameter, stream a KPI batch, and reject a bad catalog with its JSON paths', async ({
  page,
}) => {
  test.setTimeout(120_000);
  await openDashboard(page, '?persist=0');
  await expect(page.locator('body')).toHaveAttribute('data-router-ready', '1', { timeout: 60_000 });
  await expect(page.locator('#catalog-info [data-key="features"]')).toHaveText('593');
  await page.locator('#ask').click();
  await expect(page.locator('#routed')).toContainText('MIMO Sleep Mode');
  await expect(page.locator('#perf [data-key="recent queries"]')).toHaveText('1');
  // The answer offered its parameter to the validator, with a step twice the allowed one.
  await expect(page.locator('#v-param')).toHaveValue(/\.(nrM|m)imoSleep/);
  await page.locator('#validate').click();
  await expect(page.locator('#verdict [data-key="verdict"]')).toHaveText('reject');
  await expect(page.locator('#verdict [data-key="reasons"]')).toContainText('CHANGE_TOO_LARGE');
  await page.locator('#validate-many').click();
  await expect(page.locator('#verdict-many [data-key="10,000 changes"]')).toContainText(
    /\d+ ok · \d+ warn · \d+ reject/,
  );
  const counts = (await page.locator('#verdict-many [data-key="10,000 changes"]').textContent())!.match(/\d+/g)!;
  expect(counts.map(Number).reduce((a, b) => a + b, 0)).toBe(10000);
  await page.locator('#monitor').click();
  await expect(page.locator('#monitor-head [data-key="KPIs evaluated"]')).not.toHaveText('0', { timeout: 30_000 });
  await expect(page.locator('#monitor-head [data-key="missing samples"]')).not.toHaveText('0');
  await expect(page.locator('#kpi-table tr')).not.toHaveCount(1);
  await page.locator('#catalog-file').setInputFiles({
    name: 'bad.json',
    mimeType: 'application/json',
    buffer: Buffer.from(
      JSON.stringify({ features: [{ code: 'FAJ 1 23' }, { code: 'FAJ 121 0001', dependencies: ['FAJ 9 9'] }] }),
    ),
  });
  await expect(page.locator('#catalog-result')).toContainText('$.features[0].code');
  await expect(page.locator('#catalog-result')).toContainText('$.features[1].dependencies[0]');
});

test('a catalog of identifiers only loads from the page and routes', async ({ page }) => {
  test.setTimeout(120_000);
  await openDashboard(page, '?persist=0');
  const tiny = {
    features: [
      {
        code: 'FAJ 121 0001',
        category: 'Mobility',
        parameters: ['EUtranCellRelation.cellIndividualOffset'],
        counters: ['EUtranCellFDD.pmHoExeSucc'],
      },
      { code: 'FAJ 121 0002', category: 'Energy Efficiency', parameters: ['SectorCarrier.microSleepTxEnabled'] },
    ],
  };
  await page
    .locator('#catalog-file')
    .setInputFiles({ name: 'tiny.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(tiny)) });
  await expect(page.locator('#catalog-result')).toHaveText('loaded tiny.json', { timeout: 60_000 });
  await expect(page.locator('#catalog-info [data-key="features"]')).toHaveText('2');
  await page.locator('#q').fill('what does cellIndividualOffset change?');
  await page.locator('#ask').click();
  await expect(page.locator('#routed tr').nth(1)).toContainText('FAJ 121 0001');
});

test('the pool card shows per-worker calls and latency, and the memory card charts samples over time', async ({
  page,
}) => {
  test.setTimeout(120_000);
  await openDashboard(page, '?persist=0');
  await expect(page.locator('body')).toHaveAttribute('data-router-ready', '1', { timeout: 60_000 });
  await page.locator('#ask').click();
  await expect(page.locator('#perf [data-key="recent queries"]')).toHaveText('1');
  const workers = Number(await page.locator('#info [data-key="workers"]').textContent());
  // A header row plus one row per worker, each of which has answered calls.
  await expect(page.locator('#pool-shards tr')).toHaveCount(workers + 1, { timeout: 10_000 });
  for (let w = 0; w < workers; w++) {
    const cells = page
      .locator('#pool-shards tr')
      .nth(w + 1)
      .locator('td');
    await expect(cells.nth(0)).toHaveText(String(w));
    expect(Number(await cells.nth(1).textContent())).toBeGreaterThan(0);
  }
  // Two stats polls at least (every 2 s), then the chart has drawn something.
  await expect(page.locator('#mem [data-key="used / budget"]')).toContainText('MB', { timeout: 10_000 });
  await page.waitForTimeout(4500);
  const drawn = await page.evaluate(() => {
    const c = document.getElementById('mem-chart') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let painted = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) painted++;
    return painted;
  });
  expect(drawn).toBeGreaterThan(50);
});
