/**
 * Learned state in Chromium: it survives a reload (OPFS, and IndexedDB
 * with OPFS not used), a worker dying half-way through a save leaves the
 * previous snapshot loadable, and flipped bytes give a clear error that
 * names the file while leaving it untouched.
 */
import { expect, test, type Page } from '@playwright/test';
import type { DemoHandle } from '../demo/main.ts';
import { openDashboard } from './helpers.ts';
import { generateCatalog } from '../scripts/catalog-generator.mjs';

// Agents act for catalog features only: four of the default catalog's (the generator is deterministic).
const FEATURES = generateCatalog()
  .features.slice(0, 4)
  .map((f) => f.code);

/** Decides and rewards `rounds` times per feature; returns each feature's Q-values for a kpi question. */
function learn(page: Page, rounds: number, reward: number): Promise<Record<string, number[]>> {
  return page.evaluate(
    async ([features, n, r]) => {
      const engine = (window as unknown as { elexDemo: DemoHandle }).elexDemo.engine!;
      const out: Record<string, number[]> = {};
      for (const f of features) {
        for (let i = 0; i < n; i++) {
          const d = await engine.decide(f, { type: 'kpi', complexity: 'moderate' });
          await engine.feedback(d.queryId, r);
        }
        out[f] = Array.from((await engine.agentValues(f, { type: 'kpi', complexity: 'moderate' }))!.values);
      }
      return out;
    },
    [FEATURES, rounds, reward] as const,
  );
}

function values(page: Page): Promise<Record<string, number[] | null>> {
  return page.evaluate(async (features) => {
    const engine = (window as unknown as { elexDemo: DemoHandle }).elexDemo.engine!;
    const out: Record<string, number[] | null> = {};
    for (const f of features) {
      const v = await engine.agentValues(f, { type: 'kpi', complexity: 'moderate' });
      out[f] = v ? Array.from(v.values) : null;
    }
    return out;
  }, FEATURES);
}

function stats(page: Page) {
  return page.evaluate(() => (window as unknown as { elexDemo: DemoHandle }).elexDemo.engine!.stats());
}

function save(page: Page) {
  return page.evaluate(() => (window as unknown as { elexDemo: DemoHandle }).elexDemo.engine!.save());
}

for (const backend of ['opfs', 'idb'] as const) {
  test(`learned values survive a page reload (${backend})`, async ({ page }) => {
    const q = `?persist=e2e-${backend}&backend=${backend}`;
    await openDashboard(page, q);
    expect((await stats(page)).persistence.backend).toBe(backend);
    const learned = await learn(page, 12, 0.75);
    for (const f of FEATURES) expect(Math.max(...learned[f]!)).toBeGreaterThan(0.2);
    const saved = await save(page);
    expect(saved.agents).toBe(FEATURES.length);
    await page.reload();
    await openDashboard(page, q);
    expect(await values(page)).toEqual(learned);
    const s = await stats(page);
    expect(s.persistence.restored.reduce((n, r) => n + (r?.agents ?? 0), 0)).toBe(FEATURES.length);
    await expect(page.locator('#learn-stats [data-key="restored at start"]')).toContainText(
      `${FEATURES.length} agents`,
    );
    await expect(page.locator('#learn-stats [data-key="storage"]')).toContainText(backend);
  });
}

test('a worker that dies half-way through a save leaves the previous snapshot loadable', async ({ page }) => {
  const q = '?persist=e2e-crash&backend=opfs&workers=2';
  await openDashboard(page, q);
  const first = await learn(page, 10, 0.5);
  await save(page);
  const second = await learn(page, 10, -0.5);
  expect(second).not.toEqual(first);
  const outcome = await page.evaluate(async () => {
    const engine = (window as unknown as { elexDemo: DemoHandle }).elexDemo.engine!;
    await engine.debug.crashDuringNextSave(0);
    await engine.debug.crashDuringNextSave(1);
    try {
      await engine.save();
      return 'saved';
    } catch (e) {
      return (e as { code?: string }).code ?? String(e);
    }
  });
  expect(outcome).toBe('WORKER_CRASHED');
  // The replacements restored the previous snapshot; so does a fresh page.
  await expect
    .poll(
      async () =>
        await page.evaluate(() => (window as unknown as { elexDemo: DemoHandle }).elexDemo.engine!.info().restarts),
      {
        timeout: 20_000,
      },
    )
    .toBe(2);
  expect(await values(page)).toEqual(first);
  await page.reload();
  await openDashboard(page, q);
  expect(await values(page)).toEqual(first);
});

test('flipped bytes in a snapshot give a clear error naming it, and the file is left untouched', async ({ page }) => {
  const q = '?persist=e2e-flip&backend=opfs&workers=1';
  await openDashboard(page, q);
  await learn(page, 5, 1);
  await save(page);
  // Close the engine (its workers hold the files open), then flip one byte in the middle of every snapshot body written (slot a).
  const flipped = await page.evaluate(async () => {
    await (window as unknown as { elexDemo: DemoHandle }).elexDemo.engine!.close();
    const root = await navigator.storage.getDirectory();
    const dir = await (await root.getDirectoryHandle('elex')).getDirectoryHandle('e2e-flip');
    const names: string[] = [];
    for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys())
      if (name.startsWith('agents-') && name.endsWith('.a')) names.push(name);
    const out: Record<string, number[]> = {};
    for (const name of names) {
      const fh = await dir.getFileHandle(name);
      const bytes = new Uint8Array(await (await fh.getFile()).arrayBuffer());
      bytes[32 + ((bytes.length - 32) >> 1)]! ^= 0x20;
      const w = await fh.createWritable();
      await w.write(bytes);
      await w.close();
      out[name] = Array.from(bytes);
    }
    return out;
  });
  expect(Object.keys(flipped).length).toBeGreaterThan(0);
  await page.goto(`/${q}`);
  await expect(page.locator('#status')).toHaveAttribute('data-state', 'error', { timeout: 60_000 });
  const message = await page.locator('#engine-card p.error').textContent();
  expect(message).toContain('CORRUPT_DATA');
  expect(Object.keys(flipped).some((n) => message!.includes(n.replace(/\.a$/, '')))).toBe(true);
  await expect(page.locator('#engine-card a[href="?persist=0"]')).toBeVisible();
  const after = await page.evaluate(async (names) => {
    const root = await navigator.storage.getDirectory();
    const dir = await (await root.getDirectoryHandle('elex')).getDirectoryHandle('e2e-flip');
    const out: Record<string, number[]> = {};
    for (const name of names)
      out[name] = Array.from(new Uint8Array(await (await (await dir.getFileHandle(name)).getFile()).arrayBuffer()));
    return out;
  }, Object.keys(flipped));
  expect(after).toEqual(flipped);
});
