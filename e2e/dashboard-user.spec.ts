/**
 * The dashboard as a new user drives it, mistakes included: a catalog of
 * one's own through the KPI monitor, catalog files that are not catalogs.
 */
import { expect, test } from '@playwright/test';
import { openDashboard } from './helpers.ts';

/** docs/catalog.md's example catalog: one KPI over two counters. */
const MIMO = {
  format: 'elex-catalog',
  version: 1,
  name: 'MIMO sleep example',
  features: [
    {
      code: 'FAJ 121 3094',
      name: 'MIMO Sleep Mode',
      category: 'Energy Efficiency',
      parameters: ['MimoSleepFunction.sleepStartTime'],
      counters: ['MimoSleepFunction.pmMimoSleepTime', 'MimoSleepFunction.pmPeriodTime'],
      kpis: ['MIMO Sleep Ratio'],
    },
  ],
  parameters: [
    {
      name: 'MimoSleepFunction.sleepStartTime',
      type: 'int',
      range: [0, 1439],
      default: 60,
      safe: { min: 0, max: 360, maxChange: 120, cooldownS: 900 },
    },
  ],
  counters: [{ name: 'MimoSleepFunction.pmMimoSleepTime' }, { name: 'MimoSleepFunction.pmPeriodTime' }],
  kpis: [
    {
      name: 'MIMO Sleep Ratio',
      formula: '100 * MimoSleepFunction.pmMimoSleepTime / MimoSleepFunction.pmPeriodTime',
      threshold: 5,
      direction: 'higher',
    },
  ],
};

test('the KPI monitor streams the counters of the catalog loaded from the page', async ({ page }) => {
  test.setTimeout(120_000);
  await openDashboard(page, '?persist=0');
  await page
    .locator('#catalog-file')
    .setInputFiles({ name: 'mimo.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(MIMO)) });
  await expect(page.locator('#catalog-result')).toHaveText('loaded mimo.json', { timeout: 60_000 });
  await page.locator('#monitor').click();
  await expect(page.locator('#monitor-head [data-key="KPIs evaluated"]')).toHaveText('1');
  await expect(page.locator('#monitor-head [data-key="batch"]')).toContainText('× 2 counters ×');
  await expect(page.locator('#kpi-table tr').nth(1)).toContainText('MIMO Sleep Ratio');
});
