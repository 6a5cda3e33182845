/**
 * The worker pool's remaining failure modes (an outside tester's second
 * pass): a worker that closes itself after the site's data was cleared, a
 * loadIndex() whose first step's worker is killed, a persist name taken by
 * a second tab after a clear. Each test is the regression test of a fix.
 * Rerun: npx vite build --logLevel warn && CI=1 npx playwright test e2e/chaos-lifecycle.spec.ts
 */
import { expect, test, type Page } from '@playwright/test';
import type { DemoHandle } from '../demo/main.ts';
import { PREVIEW } from '../playwright.config.ts';
import { openDashboard } from './helpers.ts';
import { generateCatalog } from '../scripts/catalog-generator.mjs';

type Engine = Awaited<ReturnType<DemoHandle['createEngine']>>;

async function openPage(page: Page): Promise<void> {
  await page.goto('/?workers=1&persist=0');
  await page.waitForFunction(() => (window as unknown as { elexDemo?: DemoHandle }).elexDemo !== undefined);
}

test("site data cleared, then a worker closes itself: its death is noticed and calls without a timeout settle (they waited forever: the page could not watch the new worker's life lock)", async ({
  page,
  context,
}) => {
  await openPage(page);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Storage.clearDataForOrigin', { origin: PREVIEW, storageTypes: 'all' });
  const out = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const settle = (p: Promise<unknown>) =>
      Promise.race([
        p.then(
          () => 'ok',
          (e: { code?: string }) => `${e.code}`,
        ),
        pause(5000).then(() => 'hung'),
      ]);
    const engine = await createEngine({ workers: 2, catalog: false });
    const rows: string[] = [];
    for (const [w, mode] of [
      [0, 'close'],
      [1, 'close'],
      [0, 'throw'],
    ] as const) {
      const restarts = engine.info().restarts;
      const code = `FAJ 121 000${w}`;
      // The call is sent while the worker is closing (it answers nothing more).
      await engine.debug.crashWorker(w, mode);
      await pause(20);
      const first = await settle(engine.decide(code));
      const t0 = performance.now();
      while (engine.info().restarts === restarts && performance.now() - t0 < 8000) await pause(20);
      const again = await settle(engine.decide(code));
      rows.push(`${first} ${engine.info().restarts - restarts} ${again}`);
    }
    await engine.close();
    return rows;
  });
  for (const row of out) expect(['ok 1 ok', 'WORKER_CRASHED 1 ok']).toContain(row);
});

test('a worker killed during loadIndex(): in its first step the load is retried on the replacement like add and remove (it rejected WORKER_CRASHED); later, while it reads the bytes, it settles with a code and the engine heals (a TypeError "setting \'lost\'" escaped, from the recovery of an index with no shards yet)', async ({
  page,
}) => {
  await openPage(page);
  const out = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const engine = await createEngine({ workers: 2, catalog: false });
    const dim = 32;
    const src = await engine.createIndex('src', { dim, metric: 'l2' });
    const n = 20000;
    await src.add(
      Uint32Array.from({ length: n }, (_, i) => i),
      Float32Array.from({ length: n * dim }, (_, i) => Math.sin(i * 0.7)),
    );
    const bytes = await src.save();
    const query = new Float32Array(dim).fill(0.1);
    const want = Array.from((await src.search(query, 3)).ids);
    const outcomes: string[] = [];
    // Delays 0-2: the first step; 3 and 6: reading the bytes.
    for (const delay of [0, 0, 1, 2, 3, 6]) {
      const restarts = engine.info().restarts;
      const loading = engine.loadIndex(`copy${outcomes.length}`, bytes);
      await engine.debug.crashWorker(0, 'terminate', delay);
      outcomes.push(
        await loading.then(
          async (ix) => {
            const hits = await ix.search(query, 3);
            return !hits.partial && Array.from(hits.ids).join() === want.join() ? 'ok' : 'wrong';
          },
          (e: { name?: string; code?: string }) => `${e.name} ${e.code}`,
        ),
      );
      while (engine.info().restarts === restarts) await new Promise((r) => setTimeout(r, 10));
    }
    // index.load() reads the bytes the same way.
    const restarts = engine.info().restarts;
    const loading = src.load(bytes);
    await engine.debug.crashWorker(0, 'terminate', 0);
    outcomes.push(
      await loading.then(
        async () => {
          const hits = await src.search(query, 3);
          return !hits.partial && Array.from(hits.ids).join() === want.join() ? 'ok' : 'wrong';
        },
        (e: { name?: string; code?: string }) => `${e.name} ${e.code}`,
      ),
    );
    while (engine.info().restarts === restarts) await new Promise((r) => setTimeout(r, 10));
    const again = await engine.loadIndex('again', bytes);
    const hits = await again.search(query, 3);
    await engine.close();
    return { outcomes, again: !hits.partial && Array.from(hits.ids).join() === want.join() };
  });
  const { outcomes, again } = out;
  expect(outcomes.slice(0, 4)).toEqual(['ok', 'ok', 'ok', 'ok']);
  for (const o of outcomes.slice(4, 6)) expect(['ok', 'ElexError WORKER_CRASHED']).toContain(o);
  expect(outcomes[6]).toBe('ok'); // index.load()
  expect(again).toBe(true);
});

test("site data cleared: a second tab cannot take the persist name the first tab's engine holds (it could, and both wrote one store)", async ({
  page,
  context,
}) => {
  await openPage(page);
  const name = `shared-${Date.now().toString(36)}`;
  const start = (p: Page) =>
    p.evaluate(async (name) => {
      const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
      try {
        const e = await createEngine({ workers: 1, catalog: false, persist: { name, backend: 'idb' } });
        (window as unknown as { held: Engine }).held = e;
        return 'ok';
      } catch (e) {
        return `${(e as { code?: string }).code}`;
      }
    }, name);
  expect(await start(page)).toBe('ok');
  const other = await context.newPage();
  await openPage(other);
  expect(await start(other)).toBe('PERSIST_UNAVAILABLE'); // before the clear
  const cdp = await context.newCDPSession(page);
  await cdp.send('Storage.clearDataForOrigin', { origin: PREVIEW, storageTypes: 'all' });
  const third = await context.newPage();
  await openPage(third);
  expect(await start(third)).toBe('PERSIST_UNAVAILABLE');
  expect(await start(other)).toBe('PERSIST_UNAVAILABLE');
  // Once the first lets go, the name is free again.
  await page.evaluate(() => (window as unknown as { held: Engine }).held.close());
  expect(await start(third)).toBe('ok');
  await third.evaluate(() => (window as unknown as { held: Engine }).held.close());
});

interface Param {
  name: string;
  type?: string;
  range?: [number, number];
  safe?: { min?: number; cooldownS?: number };
}
const catalog = generateCatalog() as { parameters: Param[]; kpis: { name: string; formula: string }[] };
const PARAMS = catalog.parameters
  .filter((p) => p.type === 'float' && p.range && p.safe?.cooldownS && p.safe.cooldownS >= 10)
  .slice(0, 4)
  .map((p) => ({ name: p.name, value: p.safe!.min ?? p.range![0], coolMs: p.safe!.cooldownS! * 1000 }));
const RATIO = catalog.kpis.find((k) => /^100 \* \S+ \/ \S+$/.test(k.formula))!;
const COUNTERS = RATIO.formula.split(/\s+/).filter((t) => /^[A-Za-z]\w*\.\w+$/.test(t));

test('bursts of queryBatch, monitor, validate, validateBatch and feedback with a worker killed among them: every call settles within its budget with a result equal to the unkilled one or a stable code, and accepted changes keep their cooldowns', async ({
  page,
}) => {
  test.setTimeout(120_000);
  await openDashboard(page, '?workers=2&persist=0');
  await expect(page.locator('body')).toHaveAttribute('data-router-ready', '1', { timeout: 60_000 });
  const out = await page.evaluate(
    async ({ params, counters, kpi }) => {
      const engine = (window as unknown as { elexDemo: DemoHandle }).elexDemo.engine!;
      const SLACK_MS = 8000;
      const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
      const violations: string[] = [];
      const codes: Record<string, number> = {};
      /** Settles p, checking its time and its error's code. */
      const settle = async <T>(op: string, budgetMs: number, p: Promise<T>, allowed: string[]) => {
        const t0 = performance.now();
        const limit = pause(budgetMs + SLACK_MS).then(() => 'hung' as const);
        try {
          const v = await Promise.race([p, limit]);
          if (v === 'hung') {
            violations.push(`${op} did not settle within ${budgetMs + SLACK_MS} ms`);
            return null;
          }
          codes[`${op} ok`] = (codes[`${op} ok`] ?? 0) + 1;
          return v as T;
        } catch (e) {
          const { name, code, message } = e as { name?: string; code?: string; message?: string };
          codes[`${op} ${code}`] = (codes[`${op} ${code}`] ?? 0) + 1;
          if (name !== 'ElexError' || !allowed.includes(code ?? ''))
            violations.push(`${op}: ${name} ${code}: ${message}`);
          if (performance.now() - t0 > budgetMs + SLACK_MS) violations.push(`${op} took ${performance.now() - t0} ms`);
          return null;
        }
      };
      const questions = [
        'Which parameters control MIMO sleep start time?',
        'How is downlink PRB utilisation computed?',
        'uplink interference troubleshooting',
        'carrier aggregation secondary cell activation',
      ];
      const top = (r: { agents: { code: string }[] }) => r.agents.map((a) => a.code).join();
      const baseline = await engine.queryBatch(questions);
      const want = baseline.map(top);
      const features = [...new Set(baseline.flatMap((r) => r.agents.map((a) => a.code)))];
      const cells = Array.from({ length: 6 }, (_, c) => `cell-${c}`);
      const periods = 8;
      const data = Float32Array.from({ length: cells.length * counters.length * periods }, (_, i) => 50 + (i % 17));
      const monitorBatch = { cells, counters, periods, data, kpis: [kpi] };
      const wantStats = Array.from((await engine.monitor(monitorBatch)).kpiStats).join();
      const parameters = engine.parameterIndexes(params.map((p) => p.name));
      let clock = 1e12;
      let cell = 0;
      /** Changes accepted by a call that resolved: their cooldown must hold. */
      const accepted: { p: number; cell: number; at: number }[] = [];
      const acceptedNamed: { parameter: string; cell: string; at: number }[] = [];
      const modes = ['terminate', 'close', 'throw', 'terminate'] as const;
      let round = 0;
      for (const mode of modes)
        for (const worker of [0, 1]) {
          round++;
          // Agents to give feedback to, decided before the burst.
          const decided = await Promise.all(
            [0, 1, 2, 3, 4, 5].map((i) => engine.decide(features[i % features.length]!, { context: round * 10 + i })),
          );
          clock += 1e7; // past every earlier cooldown
          const at = clock;
          const restarts = engine.info().restarts;
          // Killed before the burst is sent (its calls wait for the replacement) or while it runs.
          const early = round % 2 === 1;
          const kill = early ? engine.debug.crashWorker(worker, mode, 0) : null;
          const burst: Promise<unknown>[] = [];
          for (let i = 0; i < 3; i++)
            burst.push(
              settle('queryBatch', 3000, engine.queryBatch(questions, { budgetMs: 3000 }), [
                'WORKER_CRASHED',
                'TIMEOUT',
              ]).then((r) => {
                if (r && r.some((x) => !x.partial && top(x) !== want[r.indexOf(x)]))
                  violations.push(`queryBatch: ${r.map(top).join(' | ')} is not ${want.join(' | ')}`);
              }),
            );
          for (let i = 0; i < 3; i++)
            burst.push(
              settle('monitor', 3000, engine.monitor(monitorBatch, { timeoutMs: 3000 }), [
                'WORKER_CRASHED',
                'TIMEOUT',
              ]).then((r) => {
                if (r && Array.from(r.kpiStats).join() !== wantStats) violations.push('monitor: other kpiStats');
              }),
            );
          for (let i = 0; i < 3; i++) {
            const c = cell++;
            burst.push(
              settle(
                'validateBatch',
                4000,
                engine.validateBatch({
                  parameters,
                  current: Float64Array.from(params, (p) => p.value),
                  proposed: Float64Array.from(params, (p) => p.value),
                  at: new Float64Array(params.length).fill(at),
                  cells: new Uint32Array(params.length).fill(c),
                }),
                ['WORKER_CRASHED'],
              ).then((r) => {
                if (!r) return;
                r.verdicts.forEach((v, p) => {
                  if (v !== 2) accepted.push({ p, cell: c, at });
                  else violations.push(`validateBatch: a first change of parameter ${p} on cell ${c} was rejected`);
                });
              }),
            );
          }
          for (let i = 0; i < 2; i++)
            burst.push(
              settle(
                'validate',
                4000,
                engine.validate(
                  params.map((p) => ({
                    parameter: p.name,
                    cell: `v${round}-${i}`,
                    current: p.value,
                    proposed: p.value,
                    at,
                  })),
                ),
                ['WORKER_CRASHED'],
              ).then((r) => {
                r?.results.forEach((x) => {
                  if (x.verdict !== 'reject') acceptedNamed.push({ parameter: x.parameter, cell: x.cell!, at });
                });
              }),
            );
          for (const d of decided)
            burst.push(settle('feedback', 4000, engine.feedback(d.queryId, 1), ['WORKER_CRASHED', 'NOT_FOUND']));
          await (kill ?? engine.debug.crashWorker(worker, mode, round % 3));
          await Promise.all(burst);
          const t0 = performance.now();
          while (engine.info().restarts === restarts && performance.now() - t0 < 10_000) await pause(10);
          if (engine.info().restarts === restarts) violations.push(`worker ${worker} (${mode}) was not replaced`);
        }
      // Every accepted change keeps its cooldown across the kills: a change just after it is COOLDOWN.
      const check = await engine.validateBatch({
        parameters: Int32Array.from(accepted, (a) => parameters[a.p]!),
        current: Float64Array.from(accepted, (a) => params[a.p]!.value),
        proposed: Float64Array.from(accepted, (a) => params[a.p]!.value),
        at: Float64Array.from(accepted, (a) => a.at + 1),
        cells: Uint32Array.from(accepted, (a) => a.cell),
      });
      const checkNamed = await engine.validate(
        acceptedNamed.map((a) => ({
          parameter: a.parameter,
          cell: a.cell,
          current: params.find((p) => p.name === a.parameter)!.value,
          proposed: params.find((p) => p.name === a.parameter)!.value,
          at: a.at + 1,
        })),
      );
      const lostCooldowns =
        accepted.filter((_, i) => (check.reasons[i]! & (1 << 5)) === 0).length +
        checkNamed.results.filter((r) => !r.reasons.includes('COOLDOWN')).length;
      // The engine answers everything afterwards.
      const after = (await engine.queryBatch(questions)).map(top);
      return {
        violations,
        codes,
        accepted: accepted.length + acceptedNamed.length,
        lostCooldowns,
        after: after.join() === want.join(),
      };
    },
    { params: PARAMS, counters: COUNTERS, kpi: RATIO.name },
  );
  console.log(JSON.stringify(out.codes));
  expect(out.violations).toEqual([]);
  expect(out.accepted).toBeGreaterThan(0);
  expect(out.lostCooldowns).toBe(0);
  expect(out.after).toBe(true);
});

test('site data cleared, then an OPFS engine closed and reopened at once under its name: the new engine opens the store and has what was learned', async ({
  page,
  context,
}) => {
  await openPage(page);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Storage.clearDataForOrigin', { origin: PREVIEW, storageTypes: 'all' });
  const out = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const name = `reopen-${Date.now().toString(36)}`;
    const persist = { name, backend: 'opfs' as const, autosaveEvery: 0, autosaveMs: 0 };
    const rows: string[] = [];
    let want: number[] = [];
    for (let round = 0; round < 4; round++) {
      try {
        const engine = await createEngine({ workers: 2, catalog: false, persist });
        const got = Array.from((await engine.agentValues('FAJ 121 0001', { context: 1 }))?.values ?? []);
        const same = got.join() === want.join();
        await engine.feedback((await engine.decide('FAJ 121 0001', { context: 1 })).queryId, 1);
        want = Array.from((await engine.agentValues('FAJ 121 0001', { context: 1 }))!.values);
        await engine.close();
        rows.push(same ? 'ok' : `lost: ${got.join()} vs ${want.join()}`);
      } catch (e) {
        rows.push(`${(e as { code?: string }).code}: ${(e as Error).message}`);
      }
    }
    return rows;
  });
  expect(out).toEqual(['ok', 'ok', 'ok', 'ok']);
});

test('site data cleared twice: a worker replaced after the second clear that closes itself is noticed too (the first watcher does not see its lock: a fresh one watches it)', async ({
  page,
  context,
}) => {
  await openPage(page);
  const cdp = await context.newCDPSession(page);
  const clear = () => cdp.send('Storage.clearDataForOrigin', { origin: PREVIEW, storageTypes: 'all' });
  await clear();
  await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    (window as unknown as { twice: Engine }).twice = await createEngine({ workers: 1, catalog: false });
  });
  await clear();
  const out = await page.evaluate(async () => {
    const engine = (window as unknown as { twice: Engine }).twice;
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const rows: string[] = [];
    // The first kill is noticed by the first watcher; its replacement is in the second clear's lock manager.
    for (let i = 0; i < 3; i++) {
      const restarts = engine.info().restarts;
      await engine.debug.crashWorker(0, 'close');
      const t0 = performance.now();
      while (engine.info().restarts === restarts && performance.now() - t0 < 5000) await pause(20);
      const decided = await Promise.race([
        engine.decide('FAJ 121 0001').then(
          () => 'ok',
          (e: { code?: string }) => `${e.code}`,
        ),
        pause(5000).then(() => 'hung'),
      ]);
      rows.push(`${engine.info().restarts - restarts} ${decided}`);
    }
    await engine.close();
    return rows;
  });
  expect(out).toEqual(['1 ok', '1 ok', '1 ok']);
});
