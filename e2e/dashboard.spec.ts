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
  await expect(page.locator('#v-param')).toHaveValue(/\.mimoSleep/);
  await page.locator('#validate').click();
  await expect(page.locator('#verdict [data-key="verdict"]')).toHaveText('reject');
  await expect(page.locator('#verdict [data-key="reasons"]')).toContainText('CHANGE_TOO_LARGE');
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
