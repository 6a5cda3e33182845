/**
 * The package in a user's page next to peers, as an outside tester found it:
 * each test is the regression test of a fix.
 * Rerun: npx vite build --logLevel warn && CI=1 npx playwright test e2e/peers.spec.ts
 */
import { expect, test, type Frame, type Page } from '@playwright/test';
import type { DemoHandle } from '../demo/main.ts';
import { DEV, PREVIEW } from '../playwright.config.ts';

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

test('typed arrays made in another window of the page (a same-origin iframe, a pop-out panel) are taken like this window\'s (they were INVALID_ARGUMENT "must be a Float32Array")', async ({
  page,
}) => {
  await page.goto('/?workers=1&persist=0');
  await page.waitForFunction(() => (window as unknown as { elexDemo?: DemoHandle }).elexDemo !== undefined);
  const outcome = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const frame = document.createElement('iframe');
    document.body.append(frame);
    const other = frame.contentWindow as unknown as typeof globalThis;
    const engine = await createEngine({ workers: 2, catalog: false });
    const result: Record<string, string> = {};
    const run = async (name: string, fn: () => Promise<unknown>) => {
      try {
        result[name] = JSON.stringify(await fn());
      } catch (e) {
        result[name] = `${(e as { code?: string }).code}: ${(e as Error).message}`;
      }
    };
    const vectors = new other.Float32Array([1, 0, 0, 0, 0, 1, 0, 0, 0.6, 0.8, 0, 0]);
    const query = new other.Float32Array([0, 1, 0, 0]);
    await run('distanceBatch', async () => Array.from((await engine.distanceBatch(query, vectors, 4)).distances));
    const here = await engine.distanceBatch(new Float32Array(query), new Float32Array(vectors), 4);
    result['distanceBatch here'] = JSON.stringify(Array.from(here.distances));
    const index = await engine.createIndex('realm', { dim: 4 });
    await run('add', () => index.add(new other.Uint32Array([1, 2, 3]), vectors));
    await run('search', async () => Array.from((await index.search(query, 2)).ids));
    const bytes = await index.save();
    await run('loadIndex', async () => {
      const copy = await engine.loadIndex('copy', new other.Uint8Array(bytes));
      return Array.from((await copy.search(query, 1)).ids);
    });
    await engine.close();
    return result;
  });
  expect(outcome.distanceBatch).toBe(outcome['distanceBatch here']);
  expect(JSON.parse(outcome.distanceBatch!)).toHaveLength(3);
  expect(outcome).toMatchObject({
    add: expect.stringMatching(/^\{/),
    search: '[2,3]',
    loadIndex: '[2]',
  });
});

test('a file of the engine that never arrives (a stalled proxy or CDN): createEngine() fails INIT_FAILED after startTimeoutMs (it never settled)', async ({
  page,
}) => {
  await page.goto('/?workers=1&persist=0');
  await page.waitForFunction(() => (window as unknown as { elexDemo?: DemoHandle }).elexDemo !== undefined);
  const outcome: Record<string, string> = {};
  // Requests of the engine's worker and of what it loads, left unanswered.
  for (const [name, pattern, variant] of [
    ['worker script', /\/assets\/worker-[\w-]+\.js$/, 'simd-mt'],
    ['pthread worker script', /\/assets\/pthread-worker-source-[\w-]+\.js$/, 'simd-mt'],
    ['module', /\.wasm$/, 'simd'], // the page's own engine compiled simd-mt already
  ] as const) {
    const stalled: string[] = [];
    await page.context().route(pattern, (route) => void stalled.push(route.request().url()));
    outcome[name] = await page.evaluate(async (variant) => {
      const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
      const t0 = performance.now();
      const result = await Promise.race([
        createEngine({ workers: 1, catalog: false, variant, startTimeoutMs: 1500 }).then(
          async (engine) => {
            await engine.close();
            return 'started';
          },
          (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`,
        ),
        new Promise<string>((r) => setTimeout(() => r('still pending after 15 s'), 15_000)),
      ]);
      return `${result} (${performance.now() - t0 < 10_000 ? 'in time' : 'late'})`;
    }, variant);
    await page.context().unrouteAll({ behavior: 'ignoreErrors' });
    expect(stalled.length, name).toBeGreaterThan(0); // the stall this case is about happened
  }
  expect(outcome['worker script']).toMatch(/^INIT_FAILED: .*within 1500 ms.* \(in time\)$/);
  expect(outcome['pthread worker script']).toMatch(/^INIT_FAILED: .*within 1500 ms.* \(in time\)$/);
  expect(outcome['module']).toMatch(/^INIT_FAILED: .*within 1500 ms.* \(in time\)$/);
});

test('a page without Web Locks (not a secure context: plain http in an intranet) keeps a persist name to one engine, in the page and across tabs (a second engine took it and both wrote one store)', async ({
  context,
}) => {
  // What such a page has: no navigator.locks (a non-secure origin cannot be served by the preview here).
  await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined }));
  const open = async () => {
    const page = await context.newPage();
    await page.goto('/?coi=0&workers=1&persist=0');
    await page.waitForFunction(() => (window as unknown as { elexDemo?: DemoHandle }).elexDemo !== undefined);
    return page;
  };
  const first = await open();
  const second = await open();
  const start = (page: Page) =>
    page.evaluate(async () => {
      const w = window as unknown as { elexDemo: DemoHandle; held?: Awaited<ReturnType<DemoHandle['createEngine']>> };
      if (navigator.locks !== undefined) return 'navigator.locks is there';
      try {
        const engine = await w.elexDemo.createEngine({
          workers: 1,
          catalog: false,
          persist: { name: 'no-locks', backend: 'idb' },
        });
        if (w.held) {
          await engine.close();
          return 'started again';
        }
        w.held = engine;
        return 'started';
      } catch (e) {
        return `${(e as { code?: string }).code}: ${(e as Error).message}`;
      }
    });
  const close = (page: Page) =>
    page.evaluate(() => (window as unknown as { held?: { close(): Promise<void> } }).held?.close());
  expect(await start(first)).toBe('started');
  expect(await start(first)).toMatch(
    /^PERSIST_UNAVAILABLE: persist name "no-locks" is in use by another engine of this page/,
  );
  expect(await start(second)).toMatch(
    /^PERSIST_UNAVAILABLE: persist name "no-locks" is in use by an engine in another tab/,
  );
  await close(first);
  expect(await start(second)).toBe('started'); // free once the first engine closed
  await close(second);
});

test('a page without Web Locks: a tab holding the persist name that is busy when asked (a long task of 600 ms) still keeps it from a tab whose engine starts meanwhile (the question waited 150 ms, then the second engine took the name)', async ({
  context,
}) => {
  await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined }));
  // The holder's long task: a channel made before the engine's hears each question first
  // (BroadcastChannel delivers in creation order) and holds the page for 600 ms.
  const holder = await context.newPage();
  await holder.addInitScript(() => {
    const w = window as unknown as { busyWhenAsked?: boolean };
    new BroadcastChannel('elex-persist').addEventListener('message', (e: MessageEvent<{ who?: string }>) => {
      if (!w.busyWhenAsked || typeof e.data?.who !== 'string') return;
      const t = performance.now();
      while (performance.now() - t < 600);
    });
  });
  const asker = await context.newPage();
  for (const page of [holder, asker]) {
    await page.goto('/?coi=0&workers=1&persist=0');
    await page.waitForFunction(() => (window as unknown as { elexDemo?: DemoHandle }).elexDemo !== undefined);
  }
  // The asking engine's workers take a second to start (a slow network for its worker script).
  await asker.route('**/assets/worker-*.js', async (route) => {
    await new Promise((r) => setTimeout(r, 1000));
    await route.continue();
  });
  const start = (page: Page) =>
    page.evaluate(async () => {
      const w = window as unknown as { elexDemo: DemoHandle; held?: { close(): Promise<void> } };
      try {
        w.held = await w.elexDemo.createEngine({
          workers: 1,
          catalog: false,
          persist: { name: 'no-locks-busy', backend: 'idb' },
        });
        return 'started';
      } catch (e) {
        return `${(e as { code?: string }).code}: ${(e as Error).message}`;
      }
    });
  expect(await start(holder)).toBe('started');
  await holder.evaluate(() => ((window as unknown as { busyWhenAsked: boolean }).busyWhenAsked = true));
  expect(await start(asker)).toMatch(
    /^PERSIST_UNAVAILABLE: persist name "no-locks-busy" is in use by an engine in another tab/,
  );
  for (const page of [holder, asker])
    await page.evaluate(() => (window as unknown as { held?: { close(): Promise<void> } }).held?.close());
});

test("under Trusted Types (require-trusted-types-for 'script' on the page and the engine's worker), a page with its own default policy runs simd-mt (the threads' workers failed INTERNAL: TrustedScriptURL)", async ({
  page,
}) => {
  // The policy on every response (the page, the engine's worker script), as a server that sets it site-wide does.
  await page.route('**/*', async (route) => {
    const response = await route.fetch();
    await route.fulfill({
      response,
      headers: { ...response.headers(), 'content-security-policy': "require-trusted-types-for 'script'" },
    });
  });
  // The page's own default policy lets its URLs through (what an app under Trusted Types has).
  await page.addInitScript(() => {
    const tt = (globalThis as unknown as { trustedTypes: { createPolicy(n: string, p: object): unknown } })
      .trustedTypes;
    tt.createPolicy('default', { createScriptURL: (url: string) => url, createScript: (s: string) => s });
  });
  await page.goto('/?workers=1&persist=0');
  await page.waitForFunction(() => (window as unknown as { elexDemo?: DemoHandle }).elexDemo !== undefined);
  const outcome = await page.evaluate(async (question) => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    try {
      const engine = await createEngine({
        workers: 1,
        variant: 'simd-mt',
        threadsPerWorker: 2,
        startTimeoutMs: 10_000,
      });
      const answer = await engine.query(question);
      const variant = engine.info().variant;
      await engine.close();
      return `${variant} ${answer.features[0]?.code}`;
    } catch (e) {
      return `${(e as { code?: string }).code}: ${(e as Error).message}`;
    }
  }, QUESTION);
  expect(outcome).toBe('simd-mt FAJ 221 7888');
});

test('a module request that fails (offline, blocked by an extension or a proxy) says INIT_FAILED "could not fetch" (it said "could not compile")', async ({
  page,
}) => {
  await page.goto('/?workers=1&persist=0');
  await page.waitForFunction(() => (window as unknown as { elexDemo?: DemoHandle }).elexDemo !== undefined);
  await page.context().route(/\.wasm$/, (route) => route.abort('internetdisconnected'));
  const outcome = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    // simd: the page's own engine compiled simd-mt already.
    return createEngine({ workers: 1, catalog: false, variant: 'simd' }).then(
      async (engine) => {
        await engine.close();
        return 'started';
      },
      (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`,
    );
  });
  expect(outcome).toMatch(/^INIT_FAILED: could not fetch \S+\.wasm: TypeError/);
});

test("createEngine() inside the page's own dedicated worker starts its workers nested and answers (the README said to use instantiate() there)", async ({
  page,
}) => {
  // The dev server serves the package's sources as modules, so a worker of the page can import them.
  await page.goto(`${DEV}/?workers=1&persist=0`);
  await page.waitForFunction(() => (window as unknown as { elexDemo?: DemoHandle }).elexDemo !== undefined);
  const entry = `${DEV}/@fs${process.cwd()}/ts/index.ts`;
  const outcome = await page.evaluate(
    async ([entry, question]) => {
      const source = `
        import { createEngine } from '${entry}';
        onmessage = async () => {
          try {
            const engine = await createEngine({ workers: 1 });
            const answer = await engine.query(${JSON.stringify(question)});
            postMessage(engine.info().variant + ' ' + answer.features[0]?.code);
            await engine.close();
          } catch (e) {
            postMessage(e.code + ': ' + e.message);
          }
        };`;
      const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), {
        type: 'module',
      });
      const result = await new Promise<string>((resolve) => {
        worker.onmessage = (e: MessageEvent<string>) => resolve(e.data);
        worker.onerror = (e) => resolve(`worker error: ${e.message}`);
        worker.postMessage('start');
        setTimeout(() => resolve('still pending after 40 s'), 40_000);
      });
      worker.terminate();
      return result;
    },
    [entry, QUESTION] as const,
  );
  expect(outcome).toBe('simd-mt FAJ 221 7888');
});
