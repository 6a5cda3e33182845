/**
 * Start-up through the public API: progress events, the first question
 * right after start-up, and AbortSignals on createEngine, routerReady,
 * loadIndex and save, with nothing left behind (workers, the persist lock).
 */
import { expect, test, type Page } from '@playwright/test';
import type { DemoHandle } from '../demo/main.ts';
import { openDashboard } from './helpers.ts';

/** Engine workers running in the page (the dashboard's own included). */
const engineWorkers = (page: Page) =>
  page.workers().filter((w) => /worker\.ts|worker\.js|worker-/.test(w.url())).length;

test('progress events arrive in order, and a question asked right after start-up is answered', async ({ page }) => {
  await openDashboard(page, '?persist=0');
  const out = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const events: [string, number, number][] = [];
    const engine = await createEngine({ workers: 2, onProgress: (p) => events.push([p.phase, p.done, p.total]) });
    const atReady = events.length;
    // No routerReady() first: the question waits for the routers.
    const r = await engine.query('Which parameters control MIMO sleep start time?');
    await engine.routerReady();
    await new Promise((resolve) => setTimeout(resolve, 200)); // the last router event
    await engine.close();
    return { events, atReady, features: r.features.map((f) => f.name), partial: r.partial };
  });
  const phases = out.events.map((e) => e[0]);
  expect(phases.slice(0, out.atReady).at(-1)).toBe('ready');
  // The catalog, compile and workers steps, in order, before ready.
  const at = (phase: string, done: number) => out.events.findIndex((e) => e[0] === phase && e[1] === done);
  expect(at('catalog', 0)).toBeLessThan(at('catalog', 1));
  expect(at('compile', 1)).toBeGreaterThanOrEqual(0);
  expect(at('workers', 0)).toBeLessThan(at('workers', 1));
  expect(at('workers', 1)).toBeLessThan(at('workers', 2));
  expect(at('workers', 2)).toBeLessThan(phases.indexOf('ready'));
  for (const e of out.events.filter((x) => x[0] === 'workers' || x[0] === 'router')) expect(e[2]).toBe(2);
  // Fetch bytes only grow and end at the total when the server sent one.
  const fetches = out.events.filter((e) => e[0] === 'fetch');
  for (let i = 1; i < fetches.length; i++) expect(fetches[i]![1]).toBeGreaterThanOrEqual(fetches[i - 1]![1]);
  if (fetches.length && fetches.at(-1)![2] > 0) expect(fetches.at(-1)![1]).toBe(fetches.at(-1)![2]);
  // Router events come after ready and end with both built.
  expect(phases.slice(out.atReady)).not.toContain('workers');
  expect(out.events.filter((e) => e[0] === 'router').at(-1)).toEqual(['router', 2, 2]);
  expect(out.partial).toBe(false);
  expect(out.features[0]).toMatch(/MIMO Sleep Mode$/);
});

test('aborted start-ups reject with ABORTED and leave no worker or persist lock behind; control calls abort too', async ({
  page,
}) => {
  await openDashboard(page, '?persist=0');
  await page.waitForTimeout(500);
  const before = engineWorkers(page);
  const aborted = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { code?: string }) => e.code ?? String(e),
      );
    const persist = { name: 'abort-test', backend: 'memory' as const };
    const res: Record<string, string> = {};
    // Already aborted.
    res.pre = await codeOf(createEngine({ catalog: false, signal: AbortSignal.abort() }));
    // Aborted at each start-up phase, holding the persist name.
    for (const phase of ['fetch', 'compile', 'catalog', 'workers']) {
      const controller = new AbortController();
      res[phase] = await codeOf(
        createEngine({
          workers: 2,
          persist,
          signal: controller.signal,
          onProgress: (p) => p.phase === phase && controller.abort(new Error(`test abort at ${phase}`)),
        }),
      );
    }
    res.badSignal = await codeOf(createEngine({ signal: 'nope' as unknown as AbortSignal }));
    return res;
  });
  expect(aborted).toEqual({
    pre: 'ABORTED',
    fetch: 'ABORTED',
    compile: 'ABORTED',
    catalog: 'ABORTED',
    workers: 'ABORTED',
    badSignal: 'INVALID_ARGUMENT',
  });
  await page.waitForTimeout(1000);
  expect(engineWorkers(page)).toBe(before); // the aborted start-ups stopped every worker they started

  const control = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { code?: string }) => e.code ?? String(e),
      );
    const res: Record<string, string> = {};
    // The persist name is free again: an engine with it starts.
    const engine = await createEngine({ workers: 2, persist: { name: 'abort-test', backend: 'memory' } });
    const controller = new AbortController();
    const waiting = codeOf(engine.routerReady({ signal: controller.signal }));
    controller.abort();
    res.routerReady = await waiting;
    res.save = await codeOf(engine.save({ signal: AbortSignal.abort() }));
    res.saveAfter = await codeOf(engine.save());
    const index = await engine.createIndex('v', { dim: 8 });
    await index.add(
      [1, 2, 3],
      Float32Array.from({ length: 24 }, (_, i) => Math.sin(i)),
    );
    const bytes = await index.save();
    res.load = await codeOf(engine.loadIndex('w', bytes, { signal: AbortSignal.abort() }));
    // The aborted load is dropped before it rejects: this one is not dropped by it.
    const loaded = await engine.loadIndex('w', bytes);
    res.loadedSize = String((await loaded.stats()).size);
    await engine.close();
    return res;
  });
  expect(control).toEqual({
    routerReady: 'ABORTED',
    save: 'ABORTED',
    saveAfter: 'ok',
    load: 'ABORTED',
    loadedSize: '3',
  });
});

test('hostile start-up input: a cyclic catalog, a malformed KPI formula, decide() for a feature outside the catalog', async ({
  page,
}) => {
  await openDashboard(page, '?persist=0');
  const out = await page.evaluate(async () => {
    const { createEngine, engine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { code?: string; message?: string }) => `${e.code ?? 'not an ElexError'}: ${e.message ?? String(e)}`,
      );
    const cyclic: Record<string, unknown> = { features: [{ code: 'FAJ 121 0001' }] };
    (cyclic.features as Record<string, unknown>[])[0]!.self = cyclic;
    const badFormula = {
      features: [{ code: 'FAJ 121 0001' }],
      counters: [{ name: 'A.pmX' }],
      kpis: [{ name: 'k', formula: '1 / / A.pmX' }],
    };
    const code = engine!.catalog() ? 'FAJ 999 9999' : '';
    return {
      cyclic: await codeOf(createEngine({ catalog: cyclic as never })),
      formula: await codeOf(createEngine({ catalog: badFormula })),
      decide: await codeOf(engine!.decide(code)),
    };
  });
  expect(out.cyclic).toMatch(/^INVALID_ARGUMENT: /);
  expect(out.formula).toMatch(/^INVALID_ARGUMENT: .*\$\.kpis\[0\]\.formula/);
  expect(out.decide).toMatch(/^NOT_FOUND: .*not in the loaded catalog/);
});

test("a worker that dies while the routers are built: routerReady(), the first question and the router progress wait for its replacement's router (routerReady and the question rejected WORKER_CRASHED, and the progress stopped short of router 2/2)", async ({
  page,
}) => {
  // The page's polls of the routers (ranStats) held until the test lets them go: the worker dies while one is in flight.
  await page.addInitScript(() => {
    const w = window as unknown as { holdStats?: boolean; held?: (() => void)[] };
    w.held = [];
    const post = Worker.prototype.postMessage as (this: Worker, ...args: unknown[]) => void;
    Worker.prototype.postMessage = function (this: Worker, ...args: unknown[]) {
      if (w.holdStats && (args[0] as { path?: string[] } | null)?.path?.[0] === 'ranStats') {
        w.held!.push(() => post.apply(this, args));
        return;
      }
      post.apply(this, args);
    } as typeof Worker.prototype.postMessage;
  });
  await openDashboard(page, '?persist=0');
  const out = await page.evaluate(async () => {
    const w = window as unknown as { elexDemo: DemoHandle; holdStats?: boolean; held: (() => void)[] };
    const outcome = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`,
      );
    const events: string[] = [];
    w.holdStats = true;
    const engine = await w.elexDemo.createEngine({
      workers: 2,
      routing: { cache: false },
      onProgress: (p) => void (p.phase === 'router' && events.push(`${p.done}/${p.total}`)),
    });
    const ready = outcome(engine.routerReady());
    const question = engine.query('Which parameters control MIMO sleep start time?').then(
      (r) => `${r.features[0]?.name ?? 'none'}${r.partial ? ' (partial)' : ''}`,
      (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`,
    );
    while (w.held.length === 0) await new Promise((r) => setTimeout(r, 10));
    await engine.debug.crashWorker(1, 'terminate');
    while (engine.info().restarts === 0) await new Promise((r) => setTimeout(r, 10));
    w.holdStats = false;
    for (const send of w.held.splice(0)) send();
    const res = { ready: await ready, question: await question, events };
    await new Promise((r) => setTimeout(r, 200)); // the last router event
    await engine.close();
    return res;
  });
  expect(out.ready).toBe('ok');
  expect(out.question).toMatch(/MIMO Sleep Mode$/);
  expect(out.events.at(-1)).toBe('2/2');
});
