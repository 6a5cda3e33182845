/**
 * Killed workers, reloads and storage trouble, as an outside tester found
 * them beyond chaos/recovery/durable/persist/lifecycle: each test is the
 * regression test of a fix. Engines are started in the page with the
 * package's createEngine (mostly one worker and no catalog, so they start
 * in well under a second).
 * Rerun: npx vite build --logLevel warn && CI=1 npx playwright test e2e/chaos-more.spec.ts
 */
import { expect, test, type Page } from '@playwright/test';
import type { DemoHandle } from '../demo/main.ts';
import { PREVIEW } from '../playwright.config.ts';

type Engine = Awaited<ReturnType<DemoHandle['createEngine']>>;

async function openPage(page: Page): Promise<void> {
  await page.goto('/?workers=1&persist=0');
  await page.waitForFunction(() => (window as unknown as { elexDemo?: DemoHandle }).elexDemo !== undefined);
}

/** Code of agent `a` (no catalog: any code in the catalog's form). */
const CODES = Array.from({ length: 6 }, (_, a) => `FAJ 121 ${String(a).padStart(4, '0')}`);

test('OPFS over its quota: save() fails with PERSIST_UNAVAILABLE and the last good save stays loadable (saves "succeeded" writing a header over a cut body, and the next one ruined the other slot: CORRUPT_DATA, everything lost)', async ({
  page,
}) => {
  await openPage(page);
  const name = `quota-${Date.now().toString(36)}`;
  const saved = await page.evaluate(
    async ({ name, codes }) => {
      const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
      const persist = { name, backend: 'opfs' as const, autosaveEvery: 0, autosaveMs: 0 };
      const engine = await createEngine({ workers: 1, catalog: false, persist });
      (window as unknown as { quotaEngine: Engine }).quotaEngine = engine;
      const out: Record<string, number[]> = {};
      for (const code of codes) {
        for (let i = 0; i < 4; i++) await engine.feedback((await engine.decide(code, { context: i })).queryId, 1);
        out[code] = Array.from((await engine.agentValues(code, { context: 1 }))!.values);
      }
      await engine.save();
      await engine.save(); // both slots hold this save
      return { values: out, usage: (await navigator.storage.estimate()).usage ?? 0 };
    },
    { name, codes: CODES },
  );
  // Room for a few KB more: the next snapshot (hundreds of states per agent) is far bigger.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: PREVIEW, quotaSize: saved.usage + 4096 });
  const over = await page.evaluate(async (codes) => {
    const engine = (window as unknown as { quotaEngine: Engine }).quotaEngine;
    for (const code of codes)
      for (let i = 0; i < 150; i++)
        await engine.feedback((await engine.decide(code, { context: 1000 + i })).queryId, -1);
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => 'saved',
        (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`,
      );
    const saves = [await codeOf(engine.save()), await codeOf(engine.save())];
    const lastError = (await engine.stats()).persistence.lastError;
    const decided = await codeOf(engine.decide(codes[0]!, { context: 1 }));
    const closed = await codeOf(engine.close());
    return { saves, lastError, decided, closed };
  }, CODES);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: PREVIEW });
  for (const s of over.saves) expect(s).toMatch(/^PERSIST_UNAVAILABLE: .*quota/);
  expect(over.lastError).toMatch(/quota/);
  expect(over.decided).toBe('saved'); // the engine keeps serving
  const restored = await page.evaluate(
    async ({ name, codes }) => {
      const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
      try {
        const engine = await createEngine({ workers: 1, catalog: false, persist: { name, backend: 'opfs' } });
        const out: Record<string, number[]> = {};
        for (const code of codes) out[code] = Array.from((await engine.agentValues(code, { context: 1 }))!.values);
        await engine.close();
        return out;
      } catch (e) {
        return `${(e as { code?: string }).code}: ${(e as Error).message}`;
      }
    },
    { name, codes: CODES },
  );
  expect(restored).toEqual(saved.values);
});

test('an agent evicted while storage is full keeps its learning and is in the next save (its spill write failed: the agent was gone, agentValues null, and the calls after failed PERSIST_UNAVAILABLE)', async ({
  page,
}) => {
  await openPage(page);
  const name = `spill-${Date.now().toString(36)}`;
  const codes = Array.from({ length: 30 }, (_, a) => `FAJ 122 ${String(a).padStart(4, '0')}`);
  const usage = await page.evaluate(async (name) => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const persist = { name, backend: 'opfs' as const, autosaveEvery: 0, autosaveMs: 0 };
    // 64 KiB holds a few agents of 20 states: the others are evicted, a spill record each.
    const engine = await createEngine({ workers: 1, catalog: false, persist, memoryBudgetBytes: 65536 });
    (window as unknown as { spillEngine: Engine }).spillEngine = engine;
    return (await navigator.storage.estimate()).usage ?? 0;
  }, name);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: PREVIEW, quotaSize: usage + 1024 });
  const full = await page.evaluate(async (codes) => {
    const engine = (window as unknown as { spillEngine: Engine }).spillEngine;
    const learned: Record<string, number[]> = {};
    const errors: string[] = [];
    const outcome = async <T>(p: Promise<T>) =>
      p.catch((e: { code?: string; message?: string }) => void errors.push(`${e.code}: ${e.message}`));
    for (const code of codes) {
      for (let i = 0; i < 20; i++) {
        const d = await outcome(engine.decide(code, { context: i }));
        if (d) await outcome(engine.feedback(d.queryId, i % 2 ? 1 : -0.5));
      }
      learned[code] = Array.from((await engine.agentValues(code, { context: 1 }))?.values ?? []);
    }
    const again: Record<string, number[] | string> = {};
    for (const code of codes)
      again[code] = await engine.agentValues(code, { context: 1 }).then(
        (v) => Array.from(v?.values ?? []),
        (e: { code?: string }) => `${e.code}`,
      );
    const s = await engine.stats();
    return { learned, again, errors, evictions: s.memory.evictions, cold: s.agents.cold };
  }, codes);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: PREVIEW });
  expect(full.evictions).toBeGreaterThan(codes.length / 2);
  expect(full.errors).toEqual([]);
  for (const code of codes) expect(Math.max(...full.learned[code]!)).toBeGreaterThan(0.1);
  expect(full.again).toEqual(full.learned);
  // With room again, one save holds every agent, evicted ones included.
  const reopened = await page.evaluate(
    async ({ name, codes }) => {
      const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
      const engine = (window as unknown as { spillEngine: Engine }).spillEngine;
      const saved = (await engine.save()).agents;
      await engine.close();
      const again = await createEngine({ workers: 1, catalog: false, persist: { name, backend: 'opfs' } });
      const values: Record<string, number[]> = {};
      for (const code of codes)
        values[code] = Array.from((await again.agentValues(code, { context: 1 }))?.values ?? []);
      await again.close();
      return { saved, values };
    },
    { name, codes },
  );
  expect(reopened.saved).toBe(codes.length);
  expect(reopened.values).toEqual(full.learned);
});

test('site data cleared while an engine runs (Clear-Site-Data, DevTools): engines started after it work and heal (their workers were "dead" at once, replaced in a loop, every call WORKER_CRASHED)', async ({
  page,
  context,
}) => {
  await openPage(page);
  await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const before = await createEngine({ workers: 1, catalog: false, persist: { name: 'cleared', backend: 'idb' } });
    (window as unknown as { before: Engine }).before = before;
    await before.decide('FAJ 121 0001');
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Storage.clearDataForOrigin', { origin: PREVIEW, storageTypes: 'all' });
  const out = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { code?: string }) => `${e.code}`,
      );
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const before = (window as unknown as { before: Engine }).before;
    const r: Record<string, unknown> = { before: await codeOf(before.decide('FAJ 121 0001')) };
    const after = await createEngine({ workers: 2, catalog: false });
    const calls: string[] = [];
    for (let i = 0; i < 4; i++) {
      calls.push(await codeOf(after.decide(`FAJ 121 000${i}`)));
      await pause(100);
    }
    r.calls = calls;
    r.restarts = after.info().restarts;
    // A worker that dies is still noticed and replaced.
    await after.debug.crashWorker(0, 'terminate');
    const t0 = performance.now();
    while (after.info().restarts === 0 && performance.now() - t0 < 10_000) await pause(20);
    r.replaced = after.info().restarts;
    r.afterCrash = await codeOf(after.distanceBatch(new Float32Array(8), new Float32Array(8), 8));
    await after.close();
    await before.close().catch(() => {});
    return r;
  });
  expect(out).toEqual({ before: 'ok', calls: ['ok', 'ok', 'ok', 'ok'], restarts: 0, replaced: 1, afterCrash: 'ok' });
});

for (const backend of ['opfs', 'idb'] as const) {
  test(`${backend}: site data cleared while an engine runs: its next save writes afresh and close() saves (every save failed after it, ${backend === 'idb' ? 'INTERNAL "connection is closing"' : 'PERSIST_UNAVAILABLE'}, and what was learned was lost)`, async ({
    page,
    context,
  }) => {
    await openPage(page);
    const name = `cleared-${backend}-${Date.now().toString(36)}`;
    await page.evaluate(
      async ({ name, backend }) => {
        const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
        const persist = { name, backend, autosaveEvery: 0, autosaveMs: 0 };
        const engine = await createEngine({ workers: 2, catalog: false, persist });
        (window as unknown as { clearedEngine: Engine }).clearedEngine = engine;
        for (let i = 0; i < 8; i++)
          await engine.feedback((await engine.decide(`FAJ 121 000${i}`, { context: 1 })).queryId, 1);
        await engine.save();
      },
      { name, backend },
    );
    const cdp = await context.newCDPSession(page);
    await cdp.send('Storage.clearDataForOrigin', { origin: PREVIEW, storageTypes: 'all' });
    const out = await page.evaluate(
      async ({ name, backend }) => {
        const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
        const engine = (window as unknown as { clearedEngine: Engine }).clearedEngine;
        const codeOf = (p: Promise<unknown>) =>
          p.then(
            () => 'ok',
            (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`,
          );
        const codes = Array.from({ length: 8 }, (_, i) => `FAJ 121 000${i}`);
        for (const code of codes)
          for (let i = 0; i < 3; i++) await engine.feedback((await engine.decide(code, { context: 1 })).queryId, -1);
        const learned = await Promise.all(
          codes.map(async (c) => Array.from((await engine.agentValues(c, { context: 1 }))!.values)),
        );
        const saved = await codeOf(engine.save());
        // Learned after the save, for close() to save (another agent: its replay leaves these alone).
        await engine.feedback((await engine.decide('FAJ 121 0099', { context: 2 })).queryId, 1);
        const v2 = Array.from((await engine.agentValues('FAJ 121 0099', { context: 2 }))!.values);
        const closed = await codeOf(engine.close());
        const again = await createEngine({ workers: 2, catalog: false, persist: { name, backend } });
        const restored = await Promise.all(
          codes.map(async (c) => Array.from((await again.agentValues(c, { context: 1 }))?.values ?? [])),
        );
        const r2 = Array.from((await again.agentValues('FAJ 121 0099', { context: 2 }))?.values ?? []);
        await again.close();
        return {
          saved,
          closed,
          same: JSON.stringify(restored) === JSON.stringify(learned),
          v2: r2.join() === v2.join(),
        };
      },
      { name, backend },
    );
    expect(out).toEqual({ saved: 'ok', closed: 'ok', same: true, v2: true });
  });
}

test('index adds up to the memory budget: used bytes never pass the budget (an accepted add grew the index by half its capacity while it reserved room for its own vectors only: 112 % of the budget)', async ({
  page,
}) => {
  await openPage(page);
  const out = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const engine = await createEngine({ workers: 1, catalog: false, memoryBudgetBytes: 2 << 20 });
    const dim = 64;
    const ix = await engine.createIndex('full', { dim, metric: 'l2' });
    const steps: { ok: boolean; usedBytes: number; size: number }[] = [];
    let added = 0;
    for (let b = 0; b < 12; b++) {
      const n = 600;
      const v = Float32Array.from({ length: n * dim }, (_, i) => Math.sin(i * 0.013 + b));
      const ok = await ix
        .add(
          Uint32Array.from({ length: n }, (_, i) => added + i),
          v,
        )
        .then(
          () => true,
          (e: { code?: string }) => {
            if (e.code !== 'BUDGET_EXCEEDED') throw e;
            return false;
          },
        );
      if (ok) added += n;
      steps.push({ ok, usedBytes: (await engine.stats()).memory.usedBytes, size: (await ix.stats()).size });
    }
    const budget = (await engine.stats()).memory.budgetBytes;
    await engine.close();
    return { steps, budget, added };
  });
  expect(out.steps.filter((s) => s.ok).length).toBeGreaterThan(2);
  expect(out.steps.some((s) => !s.ok)).toBe(true);
  for (const s of out.steps) expect(s.usedBytes).toBeLessThanOrEqual(out.budget);
  expect(out.steps.at(-1)!.size).toBe(out.added); // a refused add changed nothing
});

test('an index add that evicts agents keeps them: they come back with their learning once there is room (an add that failed BUDGET_EXCEEDED left them in no list: agentValues null, learning gone)', async ({
  page,
}) => {
  await openPage(page);
  const out = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const engine = await createEngine({ workers: 1, catalog: false, memoryBudgetBytes: 3 << 20 });
    const codes = Array.from({ length: 20 }, (_, a) => `FAJ 123 ${String(a).padStart(4, '0')}`);
    const learned: Record<string, number[]> = {};
    for (const c of codes) {
      for (let i = 0; i < 300; i++)
        await engine.feedback((await engine.decide(c, { context: i })).queryId, i % 2 ? 1 : -1);
      learned[c] = Array.from((await engine.agentValues(c, { context: 1 }))!.values);
    }
    const dim = 64;
    const ix = await engine.createIndex('big', { dim, metric: 'l2' });
    const outcomes: string[] = [];
    for (let b = 0, next = 0; b < 20 && outcomes.filter((o) => o !== 'ok').length < 2; b++) {
      const v = Float32Array.from({ length: 500 * dim }, (_, i) => Math.sin(i * 0.013 + b));
      outcomes.push(
        await ix
          .add(
            Uint32Array.from({ length: 500 }, (_, i) => next + i),
            v,
          )
          .then(
            () => ((next += 500), 'ok'),
            (e: { code?: string }) => `${e.code}`,
          ),
      );
    }
    const s = await engine.stats();
    const agents = s.agents.hot + s.agents.cold;
    // While the index fills the budget, an agent is either there or BUDGET_EXCEEDED: never "no agent".
    const full: Record<string, string> = {};
    for (const c of codes)
      full[c] = await engine.agentValues(c, { context: 1 }).then(
        (v) => (v === null ? 'null' : v.values.join() === learned[c]!.join() ? 'same' : 'changed'),
        (e: { code?: string }) => `${e.code}`,
      );
    await ix.drop();
    const after: Record<string, number[]> = {};
    for (const c of codes) after[c] = Array.from((await engine.agentValues(c, { context: 1 }))?.values ?? []);
    await engine.close();
    return { outcomes, evictions: s.memory.evictions, agents, full, after, learned };
  });
  expect(out.outcomes).toContain('ok');
  expect(out.outcomes.at(-1)).toBe('BUDGET_EXCEEDED');
  expect(out.evictions).toBeGreaterThan(0);
  expect(out.agents).toBe(20);
  for (const v of Object.values(out.full)) expect(['same', 'BUDGET_EXCEEDED']).toContain(v);
  expect(out.after).toEqual(out.learned);
});

test('a loaded index counts against the memory budget, and so does one restored after a crash (loadIndex of 3 MB into a 2 MiB budget was accepted; a replacement restored its agents and then its index to 118 % of the budget)', async ({
  page,
}) => {
  await openPage(page);
  const out = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const dim = 64;
    const vectors = (n: number, seed: number) =>
      Float32Array.from({ length: n * dim }, (_, i) => Math.sin(i * 0.013 + seed));
    // 1. An index of ~3 MB, saved by a roomy engine, loaded into a 2 MiB one.
    const roomy = await createEngine({ workers: 1, catalog: false });
    const big = await roomy.createIndex('big', { dim, metric: 'l2' });
    await big.add(
      Uint32Array.from({ length: 9000 }, (_, i) => i),
      vectors(9000, 1),
    );
    const bytes = await big.save();
    await roomy.close();
    const name = `budget-restore-${Date.now().toString(36)}`;
    const small = await createEngine({
      workers: 1,
      catalog: false,
      memoryBudgetBytes: 2 << 20,
      persist: { name, backend: 'opfs', autosaveEvery: 0, autosaveMs: 0 },
    });
    const loaded = await small.loadIndex('big', bytes).then(
      () => 'loaded',
      (e: { code?: string }) => `${e.code}`,
    );
    const afterLoad = await small.stats();
    // 2. Agents saved, then an index that fills the budget (evicting them), then the worker dies.
    const codes = Array.from({ length: 12 }, (_, a) => `FAJ 124 ${String(a).padStart(4, '0')}`);
    for (const c of codes)
      for (let i = 0; i < 200; i++) await small.feedback((await small.decide(c, { context: i })).queryId, 1);
    await small.save();
    const ix = await small.createIndex('fill', { dim, metric: 'l2' });
    let size = 0;
    for (let b = 0; b < 20; b++) {
      const ok = await ix
        .add(
          Uint32Array.from({ length: 400 }, (_, i) => size + i),
          vectors(400, b),
        )
        .then(
          () => true,
          () => false,
        );
      if (!ok) break;
      size += 400;
    }
    const restarts = small.info().restarts;
    await small.debug.crashWorker(0, 'terminate');
    while (small.info().restarts === restarts) await new Promise((r) => setTimeout(r, 20));
    const sizeAfter = (await ix.stats()).size;
    const afterRestore = await small.stats();
    await small.close();
    return {
      loaded,
      afterLoad: [afterLoad.memory.usedBytes, afterLoad.memory.budgetBytes],
      size,
      sizeAfter,
      lost: ix.recovery().lostShards,
      afterRestore: [afterRestore.memory.usedBytes, afterRestore.memory.budgetBytes],
    };
  });
  expect(out.loaded).toBe('BUDGET_EXCEEDED');
  expect(out.afterLoad[0]).toBeLessThanOrEqual(out.afterLoad[1]!);
  expect(out.size).toBeGreaterThan(0);
  expect(out.sizeAfter).toBe(out.size);
  expect(out.lost).toEqual([]);
  expect(out.afterRestore[0]).toBeLessThanOrEqual(out.afterRestore[1]!);
});

test('a worker killed while createIndex() runs: the index is made (the call is sent again) and its name stays usable (INVALID_ARGUMENT "an index named x#0 already exists", for a retry and even for a new name created during the restore)', async ({
  page,
}) => {
  await openPage(page);
  const out = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const engine = await createEngine({ workers: 2, catalog: false });
    const dim = 16;
    const outcome = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { name?: string; code?: string; message?: string }) => `${e.name} ${e.code}: ${e.message}`,
      );
    const use = async (name: string) => {
      const ix = await engine.createIndex(name, { dim, metric: 'l2', capacity: 50_000 });
      await ix.add(
        [1, 2, 3],
        Float32Array.from({ length: 3 * dim }, (_, i) => i % 7),
      );
      const hit = await ix.search(
        Float32Array.from({ length: dim }, (_, i) => (dim + i) % 7),
        1,
      );
      await ix.drop();
      return hit.ids[0];
    };
    const rows: string[] = [];
    for (const delay of [0, 1, 2, 4]) {
      const restarts = engine.info().restarts;
      const creating = engine.createIndex(`x${delay}`, { dim, metric: 'l2', capacity: 50_000 });
      await engine.debug.crashWorker(1, 'terminate', delay);
      const first = await outcome(creating.then((ix) => ix.drop()));
      // A new name while the replacement may still be restoring, then the same name again.
      const fresh = await outcome(use(`y${delay}`));
      while (engine.info().restarts === restarts) await new Promise((r) => setTimeout(r, 10));
      const again = await outcome(use(`x${delay}`));
      rows.push(`${first} | ${fresh} | ${again}`);
    }
    const duplicate = await outcome(engine.createIndex('dup', { dim }).then(() => engine.createIndex('dup', { dim })));
    await engine.close();
    return { rows, duplicate };
  });
  for (const row of out.rows) expect(row).toBe('ok | ok | ok');
  expect(out.duplicate).toMatch(/^ElexError INVALID_ARGUMENT: an index named "dup" already exists/);
});
