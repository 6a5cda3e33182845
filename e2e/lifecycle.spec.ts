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

test('OPFS: an engine with more workers than the one that saved restores (its workers all read the same snapshot; it was PERSIST_UNAVAILABLE "open elsewhere")', async ({
  page,
}) => {
  test.setTimeout(120_000);
  await openPage(page);
  const starts = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const persist = { name: `worker-count-${Date.now()}`, backend: 'opfs' as const };
    const codes = Array.from({ length: 16 }, (_, i) => `FAJ 121 ${1000 + i}`); // spread over the 16 logical shards
    const out: string[] = [];
    let rounds = 0;
    for (const workers of [1, 2, 3, 2, 1]) {
      try {
        const engine = await createEngine({ workers, catalog: false, persist });
        const updates = await Promise.all(codes.map(async (c) => (await engine.agent(c))?.updates ?? 0));
        out.push(`${workers}: ${updates.every((n) => n === rounds) ? 'restored' : `wrong ${JSON.stringify(updates)}`}`);
        for (const c of codes) {
          const d = await engine.decide(c);
          await engine.feedback(d.queryId, 1);
        }
        rounds++;
        await engine.close();
      } catch (e) {
        out.push(`${workers}: ${(e as { code?: string }).code} ${(e as Error).message}`);
        break;
      }
    }
    return out;
  });
  expect(starts).toEqual(['1: restored', '2: restored', '3: restored', '2: restored', '1: restored']);
});

test('a worker that dies while close() saves: the engine closes, and the error says what was lost (it said "it is being replaced, retry the call")', async ({
  page,
}) => {
  await openPage(page);
  const outcome = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const persist = { name: `close-crash-${Date.now()}`, backend: 'opfs' as const };
    const engine = await createEngine({ workers: 1, catalog: false, persist });
    const d = await engine.decide('FAJ 121 0001');
    await engine.feedback(d.queryId, 1); // unsaved: close() saves it
    void engine.debug.crashWorker(0, 'terminate', 0);
    const closing = await engine.close().then(
      () => null,
      (e: { code?: string; message?: string }) => ({ code: e.code, message: e.message }),
    );
    const after = await engine.stats().then(
      () => 'open',
      (e: { code?: string }) => e.code,
    );
    const again = await createEngine({ workers: 1, catalog: false, persist }).then(
      async (e) => {
        await e.close();
        return 'started';
      },
      (e: { code?: string }) => e.code,
    );
    return { closing, after, again };
  });
  expect(outcome.closing?.code).toBe('WORKER_CRASHED');
  expect(outcome.closing?.message).toMatch(/close\(\).*worker 0 died.*lost.*the engine is closed/);
  expect(outcome.closing?.message).not.toMatch(/retry/);
  expect(outcome.after).toBe('CLOSED');
  expect(outcome.again).toBe('started');
});

test('an index of a closed engine: every call is CLOSED (a search of an empty one was EMPTY_INDEX "add vectors first")', async ({
  page,
}) => {
  await openPage(page);
  const codes = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const engine = await createEngine({ workers: 1, catalog: false });
    const empty = await engine.createIndex('empty', { dim: 4 });
    await engine.close();
    const code = (call: () => Promise<unknown>) =>
      Promise.resolve()
        .then(call)
        .then(
          () => 'resolved',
          (e: { code?: string }) => e.code ?? String(e),
        );
    return {
      search: await code(() => empty.search(new Float32Array(4), 1)),
      remove: await code(() => empty.remove([])),
      add: await code(() => empty.add([1], new Float32Array(4))),
      stats: await code(() => empty.stats()),
      save: await code(() => empty.save()),
    };
  });
  expect(codes).toEqual({ search: 'CLOSED', remove: 'CLOSED', add: 'CLOSED', stats: 'CLOSED', save: 'CLOSED' });
});

test('the same persist name, let go of by an engine of this page and taken at once (React: a double mount, a new key): the new engine waits for it (it was PERSIST_UNAVAILABLE)', async ({
  page,
}) => {
  await openPage(page);
  const outcome = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { code?: string }) => e.code ?? String(e),
      );
    const persist = { name: `let-go-${Date.now()}`, backend: 'opfs' as const };
    const out: Record<string, string> = {};
    // <StrictMode> in development: mount (start), unmount (abort), mount again, in one task.
    const first = new AbortController();
    const aborted = createEngine({ workers: 1, catalog: false, persist, signal: first.signal });
    first.abort();
    const second = createEngine({ workers: 1, catalog: false, persist });
    out.aborted = await code(aborted);
    const engine = await second.catch((e: { code?: string }) => e.code ?? String(e));
    if (typeof engine === 'string') return { ...out, remounted: engine };
    out.remounted = 'ok';
    // A new key: the clean-up closes without waiting, and the next engine starts at once.
    const d = await engine.decide('FAJ 121 0001');
    await engine.feedback(d.queryId, 1);
    void engine.close();
    const next = await createEngine({ workers: 1, catalog: false, persist }).catch(
      (e: { code?: string }) => e.code ?? String(e),
    );
    if (typeof next === 'string') return { ...out, nextKey: next };
    out.nextKey = `updates ${(await next.agent('FAJ 121 0001'))?.updates}`; // the closed engine's save is in
    // The name held by a live engine of this page is still refused, at once.
    out.whileLive = await code(createEngine({ workers: 1, catalog: false, persist }));
    // A start-up whose signal aborts once it is ready keeps the name (the signal is ignored then).
    await next.close();
    const late = new AbortController();
    const kept = await createEngine({ workers: 1, catalog: false, persist, signal: late.signal });
    late.abort();
    out.afterLateAbort = await code(createEngine({ workers: 1, catalog: false, persist }));
    await kept.close();
    return out;
  });
  expect(outcome).toEqual({
    aborted: 'ABORTED',
    remounted: 'ok',
    nextKey: 'updates 1',
    whileLive: 'PERSIST_UNAVAILABLE',
    afterLateAbort: 'PERSIST_UNAVAILABLE',
  });
});

test('a worker whose script cannot run: createEngine() says it did not start and why that may be (it said "it is being replaced, retry the call")', async ({
  page,
}) => {
  // A slow lock manager: the worker's script fails while the pool still asks
  // whether Web Locks are usable (CI once saw "Proxy has been released").
  await page.addInitScript(() => {
    const query = LockManager.prototype.query;
    LockManager.prototype.query = function (this: LockManager) {
      return new Promise((resolve) => setTimeout(resolve, 500)).then(() => query.call(this));
    };
  });
  await openPage(page);
  // The engine's worker script without Cross-Origin-Embedder-Policy, on an isolated page (Next.js without the headers on /_next/static/).
  await page.route('**/assets/worker-*.js', async (route) => {
    const response = await route.fetch();
    const headers = { ...response.headers() };
    delete headers['cross-origin-embedder-policy'];
    await route.fulfill({ response, headers });
  });
  const message = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    return createEngine({ workers: 1, catalog: false }).then(
      async (engine) => {
        await engine.close();
        return 'started';
      },
      (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`,
    );
  });
  expect(message).toMatch(/^WORKER_CRASHED: worker 0 did not start \(.*\).*Cross-Origin-Embedder-Policy/);
  expect(message).not.toMatch(/retry/);
});

test('feedback given before close() is applied and in the final save (with persist it failed CLOSED, or resolved and was lost)', async ({
  page,
}) => {
  test.setTimeout(120_000);
  await openPage(page);
  const outcome = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const out: Record<string, string> = {};
    for (const backend of ['opfs', 'idb'] as const) {
      const persist = { name: `feedback-at-close-${backend}-${Date.now()}`, backend };
      const codes = Array.from({ length: 40 }, (_, i) => `FAJ 121 ${1000 + i}`);
      const engine = await createEngine({ workers: 2, catalog: false, persist });
      const decisions = await Promise.all(codes.map((c) => engine.decide(c)));
      const given = decisions.map((d) =>
        engine.feedback(d.queryId, 1).then(
          () => 'ok',
          (e: { code?: string }) => e.code ?? String(e),
        ),
      );
      await engine.close();
      const answers = await Promise.all(given);
      const again = await createEngine({ workers: 2, catalog: false, persist });
      const updates = await Promise.all(codes.map(async (c) => (await again.agent(c))?.updates ?? 0));
      await again.close();
      const failed = answers.filter((a) => a !== 'ok');
      const lost = updates.filter((n) => n !== 1).length;
      out[backend] = `${failed.length ? `failed ${JSON.stringify([...new Set(failed)])} ` : ''}lost ${lost}`;
    }
    return out;
  });
  expect(outcome).toEqual({ opfs: 'lost 0', idb: 'lost 0' });
});

test('OPFS: after a worker-count change, agents left cold for lack of memory load from the old snapshot in every worker (the second worker got PERSIST_UNAVAILABLE "open elsewhere")', async ({
  page,
}) => {
  test.setTimeout(120_000);
  await openPage(page);
  const outcome = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const persist = { name: `cold-after-change-${Date.now()}`, backend: 'opfs' as const };
    const codes = Array.from({ length: 60 }, (_, i) => `FAJ 121 ${1000 + i}`);
    const learn = async (engine: Awaited<ReturnType<typeof createEngine>>) => {
      for (const c of codes) {
        const d = await engine.decide(c);
        await engine.feedback(d.queryId, 1);
      }
    };
    const saver = await createEngine({ workers: 1, catalog: false, persist });
    await learn(saver);
    await saver.close();
    // Two workers, each with room for a few agents only: most stay in the old snapshot until used.
    const small = { workers: 2, catalog: false, persist, memoryBudgetBytes: 2 * 200 * 1024 } as const;
    const out: string[] = [];
    for (const round of [1, 2]) {
      try {
        const engine = await createEngine(small);
        const updates = await Promise.all(codes.map(async (c) => (await engine.agent(c))?.updates ?? 0));
        out.push(updates.every((n) => n === round) ? 'restored' : `wrong ${JSON.stringify(updates)}`);
        await learn(engine);
        await engine.close();
      } catch (e) {
        out.push(`${(e as { code?: string }).code}: ${(e as Error).message}`);
        break;
      }
    }
    return out;
  });
  expect(outcome).toEqual(['restored', 'restored']);
});

test("a memory budget smaller than the router is refused when the router is built, with the sizes (it started, then every query failed BUDGET_EXCEEDED '0 evictable')", async ({
  page,
}) => {
  await openPage(page);
  const out = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`,
      );
    const small = await createEngine({ workers: 1, memoryBudgetBytes: 2 << 20 });
    const ready = await codeOf(small.routerReady());
    const query = await codeOf(small.query('Which parameters control MIMO sleep start time?'));
    await small.close();
    // With room for it, the same catalog routes.
    const enough = await createEngine({ workers: 1, memoryBudgetBytes: 64 << 20 });
    await enough.routerReady();
    const routed = (await enough.query('Which parameters control MIMO sleep start time?')).features.length;
    await enough.close();
    return { ready, query, routed };
  });
  expect(out.ready).toMatch(
    /^BUDGET_EXCEEDED: the router of this catalog takes [\d.]+ MiB, over this worker's 2\.0 MiB share/,
  );
  expect(out.query).toBe(out.ready);
  expect(out.routed).toBeGreaterThan(0);
});

test('a replacement worker that dies, or whose engine closes, while it is being restored: the calls waiting for it reject with WORKER_CRASHED or CLOSED (they rejected INVALID_ARGUMENT "an argument is not of the documented type or shape (Proxy has been released and is not useable)")', async ({
  page,
}) => {
  // The restore of an index into the replacement held up for 1.5 s (a long
  // restore), so that the death or close() comes while it runs.
  await page.addInitScript(() => {
    const w = window as unknown as { slowRestore?: number; restoring?: Worker | null };
    const post = Worker.prototype.postMessage as (this: Worker, ...args: unknown[]) => void;
    Worker.prototype.postMessage = function (this: Worker, ...args: unknown[]) {
      if (w.slowRestore && (args[0] as { path?: string[] } | null)?.path?.[0] === 'indexCreate') {
        w.restoring = this;
        setTimeout(() => post.apply(this, args), w.slowRestore);
        return;
      }
      post.apply(this, args);
    } as typeof Worker.prototype.postMessage;
  });
  await openPage(page);
  const out = await page.evaluate(async () => {
    const w = window as unknown as { elexDemo: DemoHandle; slowRestore?: number; restoring?: Worker | null };
    const outcome = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`,
      );
    const restoring = async () => {
      while (!w.restoring) await new Promise((r) => setTimeout(r, 10));
      return w.restoring;
    };
    const res: Record<string, string> = {};
    for (const end of ['close', 'death'] as const) {
      const engine = await w.elexDemo.createEngine({ workers: 1, catalog: false });
      const ix = await engine.createIndex('v', { dim: 8 });
      await ix.add(
        [1, 2, 3],
        Float32Array.from({ length: 24 }, (_, i) => i % 5),
      );
      w.restoring = null;
      w.slowRestore = 1500;
      await engine.debug.crashWorker(0, 'terminate');
      const replacement = await restoring();
      const waiting = outcome(engine.decide('FAJ 121 0001'));
      if (end === 'close') {
        await engine.close();
        res.close = await waiting;
        continue;
      }
      w.slowRestore = 0;
      replacement.terminate(); // its life lock goes: the pool sees it die
      res.death = await waiting;
      // The next replacement restores the index and answers.
      res.after = await outcome(engine.decide('FAJ 121 0001'));
      const hit = await ix.search(
        Float32Array.from({ length: 8 }, (_, i) => (8 + i) % 5),
        1,
      );
      res.search = String(hit.ids[0]);
      await engine.close();
    }
    return res;
  });
  expect(out.close).toBe('CLOSED: the engine was closed');
  expect(out.death).toMatch(/^WORKER_CRASHED: worker 0 died/);
  expect(out.after).toBe('ok');
  expect(out.search).toBe('2');
});
