/**
 * A page under a Content-Security-Policy, as docs/recipes.md describes it:
 * the policy is added to the responses of the page and of the engine's
 * worker script by routing them through Playwright (which does not see the
 * requests of the workers' own threads).
 * Rerun: npx vite build --logLevel warn && CI=1 npx playwright test e2e/csp.spec.ts
 */
import { expect, test, type Page } from '@playwright/test';
import type { DemoHandle } from '../demo/main.ts';

/** What the recipe asks for, without `blob:` in worker-src. */
const POLICY =
  "default-src 'self' data:; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; style-src 'self' 'unsafe-inline'";

async function openUnderPolicy(page: Page): Promise<void> {
  await page.route('**/*', async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': POLICY } });
  });
  await page.goto('/?workers=1');
  await page.waitForFunction(() => (window as unknown as { elexDemo?: DemoHandle }).elexDemo !== undefined);
}

test('simd-mt under a CSP without blob: in worker-src fails with INIT_FAILED naming the directive and the way out (it was WORKER_CRASHED "Uncaught [object Event] … retry the call"); simd starts', async ({
  page,
}) => {
  await openUnderPolicy(page);
  const outcome = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const start = (options: Parameters<typeof createEngine>[0]) =>
      createEngine({ workers: 1, catalog: false, ...options }).then(
        async (engine) => {
          const variant = engine.info().variant;
          await engine.close();
          return `started ${variant}`;
        },
        (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`,
      );
    return {
      blocked: await start({}),
      simd: await start({ variant: 'simd' }),
    };
  });
  expect(outcome.blocked).toMatch(
    /^INIT_FAILED: .*Content-Security-Policy.*directive worker-src.*blob:.*pthreadWorker/,
  );
  expect(outcome.simd).toBe('started simd');
});
