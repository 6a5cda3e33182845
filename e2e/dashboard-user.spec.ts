/**
 * The dashboard as a new user drives it, mistakes included: a catalog of
 * one's own through the KPI monitor, catalog files that are not catalogs.
 */
import { expect, test } from '@playwright/test';
import type { DemoHandle } from '../demo/main.ts';
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

test('a catalog file that is not JSON, or not a catalog, is refused with its code and the engine keeps answering', async ({
  page,
}) => {
  test.setTimeout(120_000);
  await openDashboard(page, '?persist=0');
  await expect(page.locator('body')).toHaveAttribute('data-router-ready', '1', { timeout: 60_000 });
  const result = page.locator('#catalog-result');
  for (const [name, text] of [
    ['broken.json', '{not json'],
    ['array.json', '[1, 2, 3]'],
    ['empty.json', '{"features": []}'],
  ] as const) {
    await page
      .locator('#catalog-file')
      .setInputFiles({ name, mimeType: 'application/json', buffer: Buffer.from(text) });
    await expect(result).toHaveText(/^INVALID_ARGUMENT: /);
    await expect(result).toHaveClass('error');
  }
  await expect(result).toContainText('$.features');
  // The engine that ran before still answers on the default catalog.
  await expect(page.locator('#catalog-info [data-key="features"]')).toHaveText('593');
  await page.locator('#ask').click();
  await expect(page.locator('#routed')).toContainText('MIMO Sleep Mode');
});

test('a catalog whose engine does not start leaves the previous engine answering and shows the error', async ({
  page,
}) => {
  // The old engine was closed before the new one started: when the new one
  // failed, the page had no engine (every button off) until a reload.
  test.setTimeout(120_000);
  await openDashboard(page, '?persist=0&workers=1');
  await expect(page.locator('body')).toHaveAttribute('data-router-ready', '1', { timeout: 60_000 });
  // The next worker the page makes cannot start (as when the worker script fails to load).
  await page.evaluate(() => {
    const Real = window.Worker;
    let armed = true;
    window.Worker = class extends Real {
      constructor(url: string | URL, options?: WorkerOptions) {
        if (armed) {
          armed = false;
          throw new DOMException('injected: the worker script could not be loaded', 'NetworkError');
        }
        super(url, options);
      }
    };
  });
  await page
    .locator('#catalog-file')
    .setInputFiles({ name: 'mimo.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(MIMO)) });
  const result = page.locator('#catalog-result');
  await expect(result).toHaveClass('error', { timeout: 60_000 });
  await expect(result).toHaveText(
    /^[A-Z_]+: mimo\.json: the engine did not start with it \(.*injected.*\); the previous catalog is back/,
    {
      timeout: 60_000,
    },
  );
  // The engine answers on the default catalog again, every button on.
  await expect(page.locator('#catalog-info [data-key="features"]')).toHaveText('593', { timeout: 60_000 });
  for (const id of ['ask', 'validate', 'validate-many', 'monitor', 'run', 'build', 'decide', 'train', 'save'])
    await expect(page.locator(`#${id}`)).toBeEnabled({ timeout: 60_000 });
  await page.locator('#ask').click();
  await expect(page.locator('#routed')).toContainText('MIMO Sleep Mode');
  const features = await page.evaluate(
    async () => (await (window as unknown as { elexDemo: DemoHandle }).elexDemo.engine!.catalog())!.stats.features,
  );
  expect(features).toBe(593);
  // The catalog loads once its engine can start.
  await page
    .locator('#catalog-file')
    .setInputFiles({ name: 'mimo.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(MIMO)) });
  await expect(result).toHaveText('loaded mimo.json', { timeout: 60_000 });
});

test("the worker table's failed count stays 0 when no call of the page failed (the engine's own warm-up gave up behind a long batch)", async ({
  page,
}) => {
  test.setTimeout(120_000);
  await openDashboard(page, '?persist=0');
  const r = await page.evaluate(async () => {
    const e = await (window as unknown as { elexDemo: DemoHandle }).elexDemo.createEngine({ workers: 1 });
    try {
      const dim = 256;
      // 2048 × 8192 × 256: about 0.75 s on an idle two-core machine here (512
      // queries took 191 ms there, under the 200 ms the test needs).
      const q = new Float32Array(2048 * dim).fill(0.5);
      const v = new Float32Array(8192 * dim).fill(0.25);
      // The routers are ready: the engine warms its query path up in the
      // background (calls of 200 ms at most), and this batch keeps the
      // worker busy for longer than that.
      await e.routerReady();
      const t = performance.now();
      await e.distanceBatch(q, v, dim);
      const batchMs = performance.now() - t;
      await new Promise((done) => setTimeout(done, 300));
      const before = e.info().shards[0]!;
      await e.query('Which parameters control MIMO sleep start time?');
      const after = e.info().shards[0]!;
      return { batchMs, before, after };
    } finally {
      await e.close();
    }
  });
  expect(r.batchMs).toBeGreaterThan(200); // the warm-up had to wait for it
  expect(r.before.failed).toBe(0);
  expect(r.after.failed).toBe(0);
  expect(r.after.calls).toBeGreaterThan(r.before.calls);
});

test('a refused question clears the previous answer, and 👍/👎 cannot rate that earlier answer as if it were this one', async ({
  page,
}) => {
  test.setTimeout(120_000);
  await openDashboard(page, '?persist=0');
  await expect(page.locator('body')).toHaveAttribute('data-router-ready', '1', { timeout: 60_000 });
  await expect(page.locator('#ask-up')).toBeDisabled(); // nothing to rate yet
  await page.locator('#q').press('Enter'); // Enter submits
  await expect(page.locator('#routed')).toContainText('MIMO Sleep Mode');
  await expect(page.locator('#ask-up')).toBeEnabled();
  await page.locator('#q').fill('');
  await page.locator('#q').press('Enter');
  await expect(page.locator('#answer-head [data-key="error"]')).toHaveText(/^INVALID_ARGUMENT: /);
  await expect(page.locator('#routed tr')).toHaveCount(0);
  await expect(page.locator('#answer')).toBeEmpty();
  await expect(page.locator('#ask-up')).toBeDisabled();
  await expect(page.locator('#ask-down')).toBeDisabled();
  // Rated once, the buttons are off until the next answer.
  await page.locator('#q').fill('MIMO sleep start time');
  await page.locator('#ask').click();
  await expect(page.locator('#ask-up')).toBeEnabled();
  await page.locator('#ask-up').click();
  await expect(page.locator('#ask-up')).toBeDisabled();
  await expect(page.locator('#answer-head [data-key="error"]')).toHaveCount(0);
});

test('a batch too large for the memory cap is refused with its code, and the page answers while it makes the vectors', async ({
  page,
}) => {
  test.setTimeout(120_000);
  await openDashboard(page, '?persist=0');
  // 4096 × 65536 distances are 1 GiB of results; the vectors alone are 512 MiB
  // (made on the page: about half a second here, several on a loaded machine).
  await page.locator('#batch-form [name=nq]').fill('4096');
  await page.locator('#batch-form [name=nv]').fill('65536');
  await page.locator('#batch-form [name=dim]').fill('2048');
  await page.locator('#run').click();
  await expect(page.locator('#status')).toHaveText('making the vectors…');
  const t = Date.now();
  await page.evaluate(() => new Promise((done) => setTimeout(done, 0))); // a turn of the page's event loop
  expect(Date.now() - t).toBeLessThan(300); // generous: the vectors are made in slices of ~10 ms
  await expect(page.locator('#batch [data-key="error"]')).toHaveText(/^OUT_OF_MEMORY: /, { timeout: 60_000 });
  await expect(page.locator('#status')).toHaveText('OUT_OF_MEMORY');
  // The engine still computes a batch that fits.
  await page.locator('#batch-form [name=nq]').fill('16');
  await page.locator('#batch-form [name=nv]').fill('64');
  await page.locator('#batch-form [name=dim]').fill('8');
  await page.locator('#run').click();
  await expect(page.locator('#batch [data-key="distances"]')).toHaveText('16 × 64 (dim 8, cosine)');
  await expect(page.locator('#status')).toHaveText('ready');
});

test('the live card counts queries per second from the first question, not from the page load', async ({ page }) => {
  test.setTimeout(120_000);
  await openDashboard(page, '?persist=0');
  await expect(page.locator('body')).toHaveAttribute('data-router-ready', '1', { timeout: 60_000 });
  await page.waitForTimeout(4000); // the page has been open for seconds before anyone asks
  const t = Date.now();
  for (let i = 1; i <= 3; i++) {
    await page.locator('#ask').click();
    await expect(page.locator('#perf [data-key="recent queries"]')).toHaveText(String(i));
  }
  const shown = Number(await page.locator('#perf [data-key="queries/s (since the first)"]').textContent());
  const seconds = (Date.now() - t) / 1000; // after the read: the card refreshes the rate to its now every 2 s
  // 3 questions within `seconds` of the first being asked: at least 3 / seconds.
  expect(shown).toBeGreaterThanOrEqual(Math.floor((3 / seconds) * 10) / 10);
});

test('while the engine restarts with a loaded catalog its buttons are off (a click did nothing), and on after', async ({
  page,
}) => {
  test.setTimeout(120_000);
  await openDashboard(page, '?persist=0');
  await expect(page.locator('body')).toHaveAttribute('data-router-ready', '1', { timeout: 60_000 });
  await page.locator('#decide').click();
  await expect(page.locator('#up')).toBeEnabled();
  const buttons = ['ask', 'validate', 'validate-many', 'monitor', 'run', 'build', 'decide', 'train', 'save', 'up'];
  // The buttons' state at the moment the page says it restarts.
  await page.evaluate((ids) => {
    const w = window as unknown as { during?: Record<string, boolean> };
    const result = document.getElementById('catalog-result')!;
    new MutationObserver(() => {
      if (!w.during && result.textContent!.startsWith('valid: restarting'))
        w.during = Object.fromEntries(
          ids.map((id) => [id, (document.getElementById(id) as HTMLButtonElement).disabled]),
        );
    }).observe(result, { childList: true, characterData: true, subtree: true });
  }, buttons);
  await page
    .locator('#catalog-file')
    .setInputFiles({ name: 'mimo.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(MIMO)) });
  await expect(page.locator('#catalog-result')).toHaveText('loaded mimo.json', { timeout: 60_000 });
  const during = await page.evaluate(() => (window as unknown as { during?: Record<string, boolean> }).during);
  expect(during).toEqual(Object.fromEntries(buttons.map((id) => [id, true])));
  for (const id of buttons.filter((b) => b !== 'up')) await expect(page.locator(`#${id}`)).toBeEnabled();
  // The decision shown was the old engine's: it cannot be rewarded on the new one.
  await expect(page.locator('#up')).toBeDisabled();
  await page.locator('#learn-form [name=feature]').fill('FAJ 121 3094');
  await page.locator('#decide').click();
  await expect(page.locator('#decision [data-key="action"]')).not.toBeEmpty();
  await expect(page.locator('#up')).toBeEnabled();
});

test("the agents card offers a feature of the catalog loaded from the page, not the previous catalog's", async ({
  page,
}) => {
  test.setTimeout(120_000);
  await openDashboard(page, '?persist=0');
  await page
    .locator('#catalog-file')
    .setInputFiles({ name: 'mimo.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(MIMO)) });
  await expect(page.locator('#catalog-result')).toHaveText('loaded mimo.json', { timeout: 60_000 });
  await expect(page.locator('#learn-form [name=feature]')).toHaveValue('FAJ 121 3094');
  await page.locator('#decide').click();
  await expect(page.locator('#decision [data-key="action"]')).not.toBeEmpty();
  await expect(page.locator('#decision [data-key="error"]')).toHaveCount(0);
});

test('keyboard focus is visible on the dark page: a ring of 3:1 contrast or more against the card', async ({
  page,
}) => {
  test.setTimeout(120_000);
  await openDashboard(page, '?persist=0');
  await expect(page.locator('body')).toHaveAttribute('data-router-ready', '1', { timeout: 60_000 });
  await page.locator('#q').focus();
  const seen: string[] = [];
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press('Tab');
    const r = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      const s = getComputedStyle(el);
      const card = getComputedStyle(el.closest('.card')!).backgroundColor;
      const lum = (c: string) => {
        const [r, g, b] = c
          .match(/\d+(\.\d+)?/g)!
          .slice(0, 3)
          .map(Number)
          .map((v) => {
            const x = v / 255;
            return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
          }) as [number, number, number];
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
      };
      const [a, b] = [lum(s.outlineColor), lum(card)].sort((x, y) => y - x) as [number, number];
      return {
        id: el.id || el.getAttribute('name') || el.tagName,
        style: s.outlineStyle,
        width: parseFloat(s.outlineWidth),
        contrast: (a + 0.05) / (b + 0.05),
      };
    });
    seen.push(r.id);
    expect(r.style, r.id).not.toBe('none');
    expect(r.width, r.id).toBeGreaterThanOrEqual(2);
    expect(r.contrast, r.id).toBeGreaterThanOrEqual(3);
  }
  expect(seen).toContain('ask');
  expect(seen).toContain('v-param');
});
