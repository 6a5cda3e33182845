/**
 * Every pending call settles: a worker that dies rejects its calls with
 * WORKER_CRASHED, is replaced, and the next call succeeds.
 */
import { expect, test } from '@playwright/test';
import type { DemoHandle } from '../demo/main.ts';
import { SMALL, info, openDashboard, runBatch } from './helpers.ts';

for (const query of ['', '?coi=0']) {
  test(`a worker terminated mid-call rejects the call with WORKER_CRASHED, then recovers (${query || 'isolated'})`, async ({
    page,
  }) => {
    await openDashboard(page, query);
    const outcome = await page.evaluate(async () => {
      const engine = (window as unknown as { elexDemo: DemoHandle }).elexDemo.engine!;
      const dim = 128,
        nq = 2048,
        nv = 8192; // long enough to be mid-call when killed
      const queries = new Float32Array(nq * dim).fill(0.5);
      const vectors = new Float32Array(nv * dim).fill(0.25);
      const t0 = performance.now();
      const call = engine.distanceBatch(queries, vectors, dim, { metric: 'l2' });
      await engine.debug.crashWorker(0, 'terminate', 100);
      try {
        await call;
        return { code: 'resolved', ms: performance.now() - t0 };
      } catch (e) {
        return { code: (e as { code?: string }).code ?? String(e), ms: performance.now() - t0 };
      }
    });
    expect(outcome.code).toBe('WORKER_CRASHED');
    expect(outcome.ms).toBeLessThan(20_000);
    const after = await runBatch(page, SMALL);
    expect(after.count).toBe(SMALL.nq * SMALL.nv);
    expect((await info(page)).restarts).toBe(1);
  });
}

test('a worker that closes itself or throws while idle is noticed and replaced', async ({ page }) => {
  await openDashboard(page);
  for (const mode of ['close', 'throw'] as const) {
    const before = (await info(page)).restarts;
    await page.evaluate(
      (m) => (window as unknown as { elexDemo: DemoHandle }).elexDemo.engine!.debug.crashWorker(0, m),
      mode,
    );
    await expect.poll(async () => (await info(page)).restarts, { timeout: 20_000 }).toBe(before + 1);
    const r = await runBatch(page, SMALL);
    expect(r.count).toBe(SMALL.nq * SMALL.nv);
  }
});

test('calls settle with ABORTED, TIMEOUT and CLOSED', async ({ page }) => {
  await openDashboard(page);
  const codes = await page.evaluate(async () => {
    const engine = (window as unknown as { elexDemo: DemoHandle }).elexDemo.engine!;
    const dim = 64;
    const big = new Float32Array(1024 * dim).fill(1);
    const vectors = new Float32Array(8192 * dim).fill(2);
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (e: { code?: string }) => e.code ?? String(e),
      );
    const ac = new AbortController();
    const aborted = codeOf(engine.distanceBatch(big, vectors, dim, { signal: ac.signal }));
    ac.abort();
    const timedOut = await codeOf(engine.distanceBatch(big, vectors, dim, { timeoutMs: 1 }));
    const badDim = await codeOf(engine.distanceBatch(new Float32Array(5), vectors, dim));
    const inFlight = codeOf(engine.distanceBatch(big, vectors, dim));
    await engine.close();
    return {
      aborted: await aborted,
      timedOut,
      badDim,
      closedInFlight: await inFlight,
      afterClose: await codeOf(engine.distanceBatch(big, vectors, dim)),
    };
  });
  expect(codes).toEqual({
    aborted: 'ABORTED',
    timedOut: 'TIMEOUT',
    badDim: 'DIMENSION_MISMATCH',
    closedInFlight: 'CLOSED',
    afterClose: 'CLOSED',
  });
});

test('debug.crashWorker() right after another, while the worker is closing: it settles (it never did: its message went to the dying worker)', async ({
  page,
}) => {
  await openDashboard(page, '?persist=0');
  const out = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const engine = await createEngine({ workers: 1, catalog: false });
    const outcome = (p: Promise<unknown>) =>
      Promise.race([
        p.then(
          () => 'ok',
          (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`,
        ),
        new Promise<string>((r) => setTimeout(() => r('no answer in 10 s'), 10_000)),
      ]);
    const first = await outcome(engine.debug.crashWorker(0, 'close'));
    const second = await outcome(engine.debug.crashWorker(0, 'close'));
    while (engine.info().restarts === 0) await new Promise((r) => setTimeout(r, 10));
    const after = await outcome(engine.decide('FAJ 121 0001'));
    await engine.close();
    const closed = await outcome(engine.debug.crashWorker(0, 'throw'));
    return { first, second, after, closed };
  });
  expect(out.first).toBe('ok');
  expect(out.second).toMatch(/^(ok|WORKER_CRASHED: worker 0 died)/);
  expect(out.after).toBe('ok');
  expect(out.closed).toBe('CLOSED: the engine was closed');
});
