/**
 * Lifecycle and several engines in one page, as an outside tester found
 * them: each test is the regression test of a fix. Engines are started in
 * the page with the package's createEngine (one worker, mostly no catalog).
 * Rerun: npx vite build --logLevel warn && CI=1 npx playwright test e2e/lifecycle.spec.ts
 */
import { expect, test, type Page } from '@playwright/test';
import type { DemoHandle } from '../demo/main.ts';

async function openPage(page: Page): Promise<void> {
  await page.goto('/?workers=1');
  await page.waitForFunction(() => (window as unknown as { elexDemo?: DemoHandle }).elexDemo !== undefined);
}

test('a second close() waits for the first: the persist name is free and the learning saved once it resolves (it resolved at once)', async ({
  page,
}) => {
  await openPage(page);
  const outcome = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const result: Record<string, string> = {};
    for (const backend of ['opfs', 'idb'] as const) {
      const persist = { name: `close-twice-${backend}`, backend };
      const engine = await createEngine({ workers: 1, catalog: false, persist });
      const d = await engine.decide('FAJ 121 0001');
      await engine.feedback(d.queryId, 1); // unsaved: the first close() saves it
      const learned = (await engine.agent('FAJ 121 0001'))?.updates;
      const first = engine.close(); // e.g. a clean-up that does not wait
      await engine.close();
      try {
        const again = await createEngine({ workers: 1, catalog: false, persist });
        const restored = (await again.agent('FAJ 121 0001'))?.updates;
        await again.close();
        result[backend] = learned === 1 && restored === learned ? 'restored' : `lost (${restored} of ${learned})`;
      } catch (e) {
        result[backend] = (e as { code?: string }).code ?? String(e);
      }
      await first;
    }
    return result;
  });
  expect(outcome).toEqual({ opfs: 'restored', idb: 'restored' });
});
