/**
 * The package in a user's page next to peers, as an outside tester found it:
 * each test is the regression test of a fix.
 * Rerun: npx vite build --logLevel warn && CI=1 npx playwright test e2e/peers.spec.ts
 */
import { expect, test, type Frame, type Page } from '@playwright/test';
import type { DemoHandle } from '../demo/main.ts';
import { PREVIEW } from '../playwright.config.ts';

const QUESTION = 'Which parameters control MIMO sleep start time?';

/**
 * The dashboard (not isolated) on 127.0.0.1 with the same page from
 * `localhost` in an iframe: another site, a third-party context in which
 * headless Chromium denies storage, Web Locks included.
 */
async function crossOriginFrame(page: Page): Promise<Frame> {
  await page.goto('/?coi=0&workers=1&persist=0');
  const port = new URL(PREVIEW).port;
  await page.evaluate(
    (src) =>
      new Promise((loaded) => {
        const frame = document.createElement('iframe');
        frame.onload = loaded;
        frame.src = src;
        document.body.append(frame);
      }),
    `http://localhost:${port}/?coi=0&workers=1&persist=0`,
  );
  const frame = page.frame({ url: /^http:\/\/localhost:/ })!;
  await frame.waitForFunction(() => (window as unknown as { elexDemo?: DemoHandle }).elexDemo !== undefined);
  return frame;
}

test('in a cross-origin iframe, where Web Locks are denied, createEngine() starts and answers (it never settled, startTimeoutMs ignored); persist fails PERSIST_UNAVAILABLE', async ({
  page,
}) => {
  const frame = await crossOriginFrame(page);
  const outcome = await frame.evaluate(async (question) => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const locks = await navigator.locks.query().then(
      () => 'granted',
      (e: Error) => e.name,
    );
    // A hang shows as a string instead of a timeout of the whole test.
    const settle = <T>(p: Promise<T>): Promise<T | string> =>
      Promise.race([p, new Promise<string>((r) => setTimeout(() => r('still pending after 15 s'), 15_000))]);
    const plain = await settle(
      createEngine({ workers: 1, startTimeoutMs: 10_000 }).then(
        async (engine) => {
          const answer = await engine.query(question);
          await engine.close();
          return `answered ${answer.features[0]?.code}`;
        },
        (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`,
      ),
    );
    const persisted = await settle(
      createEngine({ workers: 1, catalog: false, persist: 'in-frame' }).then(
        async (engine) => {
          await engine.close();
          return 'started';
        },
        (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`,
      ),
    );
    return { locks, plain, persisted };
  }, QUESTION);
  expect(outcome.locks).toBe('SecurityError'); // the set-up this test is about
  expect(outcome.plain).toBe('answered FAJ 221 7888');
  expect(outcome.persisted).toMatch(/^PERSIST_UNAVAILABLE: .*Web Locks.*denied/);
});
