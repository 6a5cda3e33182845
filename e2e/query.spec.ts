/**
 * The query cycle in Chromium through the dashboard's engine: a real
 * question reaches the right feature with its parameters, agents answer
 * within the budget, feedback reaches them, batches work, bad input gives
 * coded errors and the engine keeps serving.
 */
import { expect, test, type Page } from '@playwright/test';
import type { DemoHandle } from '../demo/main.ts';
import { openDashboard } from './helpers.ts';
import { VALIDATION_REASONS } from '../ts/host/ran-ops.ts';
import { generateCatalog } from '../scripts/catalog-generator.mjs';

/** A ratio of two counters from the default catalog (the generator is deterministic); not a rate `X / 900`. */
const RATIO = (generateCatalog().kpis as { name: string; formula: string }[]).find((k) =>
  /^100 \* \S+ \/ \S+$/.test(k.formula),
)!;

/**
 * Every test runs twice: hot calls through the fast call path (the
 * SharedArrayBuffer channel, the default on this isolated page) and through
 * postMessage (`?fast=0`); they must pass alike.
 */
const PATHS = [
  ['fast path', ''],
  ['postMessage', '&fast=0'],
] as const;

async function ready(page: Page, query = '?persist=0'): Promise<void> {
  await openDashboard(page, query);
  await expect(page.locator('body')).toHaveAttribute('data-router-ready', '1', { timeout: 60_000 });
  const fastPath = await page.evaluate(
    () => (window as unknown as { elexDemo: DemoHandle }).elexDemo.engine!.info().fastPath,
  );
  expect(fastPath).toBe(!query.includes('fast=0'));
}

for (const [path, fast] of PATHS)
  test(`a question about MIMO sleep start time reaches MIMO Sleep Mode with that parameter, within the budget (${path})`, async ({
    page,
  }) => {
    await ready(page, `?persist=0${fast}`);
    await page.locator('#ask').click();
    await expect(page.locator('#answer-head [data-key="action"]')).not.toHaveText('—');
    const r = await page.evaluate(async () => {
      const engine = (window as unknown as { elexDemo: DemoHandle }).elexDemo.engine!;
      return engine.query('Which parameters control MIMO sleep start time?');
    });
    // The default catalog has a start time in both MIMO Sleep Mode and NR MIMO Sleep Mode.
    expect(r.features[0]!.name).toMatch(/^(NR )?MIMO Sleep Mode$/);
    expect(r.features[0]!.matched[0]!.name).toMatch(/\.(nrM|m)imoSleepStartTime$/);
    expect(r.type).toBe('parameter');
    expect(r.action).not.toBeNull();
    expect(r.answer).not.toBeNull();
    expect(r.partial).toBe(false);
    expect(r.timings.total).toBeLessThan(500);
    expect(r.confidence).toBeGreaterThanOrEqual(0);
    expect(r.confidence).toBeLessThanOrEqual(1);
    // A cold agent answers directly, with the matched parameter's range and safe zone.
    if (r.answer!.action === 'DirectAnswer') {
      const p = r.answer!.card.parameters.find((x) => /\.(nrM|m)imoSleepStartTime$/.test(x.name))!;
      expect(p.range).toHaveLength(2);
      expect(p.safe).toBeDefined();
    }
    await expect(page.locator('#routed')).toContainText('MIMO Sleep Mode');
  });

for (const [path, fast] of PATHS)
  test(`feedback reaches the agents of a query; batches, budgets, aborts and bad input behave (${path})`, async ({
    page,
  }) => {
    await ready(page, `?persist=0${fast}`);
    const out = await page.evaluate(async () => {
      const engine = (window as unknown as { elexDemo: DemoHandle }).elexDemo.engine!;
      const codeOf = (p: Promise<unknown>) =>
        p.then(
          () => 'ok',
          (e: { code?: string }) => e.code ?? String(e),
        );
      const r = await engine.query('How is the pmCaConfigAtt counter used?');
      const fb = await engine.feedback(r.queryId, 1);
      const again = await codeOf(engine.feedback(r.queryId, 1));
      const batch = await engine.queryBatch(Array.from({ length: 50 }, (_, i) => `which timer controls handover ${i}`));
      // More questions than one call takes: answered in several chunks, in order.
      const asks = [
        ['MIMO Sleep Mode', 'MIMO Sleep Mode'],
        ['How is the pmCaConfigAtt counter used?', 'Carrier Aggregation'],
      ];
      const inputs = Array.from({ length: 301 }, (_, i) => asks[i % 2]![0]!);
      const big = await engine.queryBatch(inputs);
      const outOfOrder = big.filter(
        (b, i) => b.text !== inputs[i] || b.features[0]?.name !== asks[i % 2]![1] || b.partial,
      ).length;
      // Cards are built on the page from the catalog: the agent's own feature, or the top three.
      const badCards = big
        .flatMap((b) => b.agents)
        .filter((a) =>
          'card' in a.answer
            ? a.answer.card.code !== a.code
            : 'cards' in a.answer
              ? a.answer.cards.length === 0
              : false,
        ).length;
      const ac = new AbortController();
      const aborted = codeOf(engine.query('carrier aggregation', { signal: ac.signal }));
      ac.abort();
      const tiny = await engine.query('carrier aggregation', { budgetMs: 0.01 }).then(
        (x) => (x.partial ? 'partial' : 'complete'),
        (e: { code?: string }) => e.code,
      );
      return {
        top: r.features[0]?.name,
        applied: fb.applied,
        again,
        batch: batch.length,
        batchIds: new Set(batch.map((b) => b.queryId)).size,
        big: big.length,
        outOfOrder,
        badCards,
        aborted: await aborted,
        tiny,
        empty: await codeOf(engine.query('   ')),
        long: await codeOf(engine.query('x'.repeat(2001))),
        badK: await codeOf(engine.query('mimo', { k: 0 })),
        badType: await codeOf(engine.query({ text: 'mimo', type: 'bogus' as 'kpi' })),
        after: (await engine.query('MIMO Sleep Mode')).features[0]?.name,
      };
    });
    expect(out.top).toBe('Carrier Aggregation');
    expect(out.applied).toBeGreaterThanOrEqual(1);
    expect(out.again).toBe('NOT_FOUND');
    expect(out.batch).toBe(50);
    expect(out.batchIds).toBe(50);
    expect(out.big).toBe(301);
    expect(out.outOfOrder).toBe(0);
    expect(out.badCards).toBe(0);
    expect(out.aborted).toBe('ABORTED');
    expect(['TIMEOUT', 'partial']).toContain(out.tiny);
    expect(out.empty).toBe('INVALID_ARGUMENT');
    expect(out.long).toBe('INVALID_ARGUMENT');
    expect(out.badK).toBe('INVALID_ARGUMENT');
    expect(out.badType).toBe('INVALID_ARGUMENT');
    expect(out.after).toBe('MIMO Sleep Mode');
  });

for (const [path, fast] of PATHS)
  test(`validate and monitor through the engine, with coded errors for bad batches (${path})`, async ({ page }) => {
    await ready(page, `?persist=0${fast}`);
    const out = await page.evaluate(async (m) => {
      const engine = (window as unknown as { elexDemo: DemoHandle }).elexDemo.engine!;
      const codeOf = (p: Promise<unknown>) =>
        p.then(
          () => 'ok',
          (e: { code?: string }) => e.code ?? String(e),
        );
      // A parameter with a range and safe zone from the default catalog, found through routing.
      const q = await engine.query('Which parameters control MIMO sleep start time?');
      const card = q.answer && 'card' in q.answer ? q.answer.card : null;
      const p = card!.parameters.find((x) => x.range && x.safe)!;
      const cur = Number(p.default);
      const v = await engine.validate([
        { parameter: p.name, cell: 'A', current: cur, proposed: cur, at: 1e12 },
        { parameter: p.name, cell: 'B', current: cur, proposed: p.range![1] + 1, at: 1e12 },
        { parameter: 'Nope.nothing', current: 1, proposed: 2, at: 1e12 },
        { parameter: p.name, cell: 'A', current: cur, proposed: cur, at: 1e12 + 1000 },
      ]);
      // Monitor: one KPI's counters for 3 cells × 4 periods, with a missing sample and a zero denominator.
      const cat = engine.catalog();
      let mon = null;
      {
        const counters = m.formula.match(/[A-Za-z_][\w.]*/g)!;
        const periods = 4;
        const data = new Float32Array(3 * counters.length * periods).fill(10);
        data[1] = NaN; // cell 0, first counter, period 1
        const den = counters.length - 1; // the last counter is the denominator of a ratio
        for (let t = 0; t < periods; t++) data[(2 * counters.length + den) * periods + t] = 0;
        const copy = data.slice(); // data is transferred (detached) by the call
        const r = await engine.monitor(
          { cells: ['c0', 'c1', 'c2'], counters, periods, data, kpis: [m.name] },
          { perPeriod: true },
        );
        mon = {
          kpis: r.kpis,
          missing: r.missingSamples,
          c0: r.cell('c0').kpis[0]!.nulls,
          c2: r.cell('c2').kpis[0]!.nulls,
          values: Array.from(r.values!.subarray(4, 8)),
          nullCounts: Array.from(r.nullCounts),
          lean: await engine
            .monitor({ cells: ['d0', 'd1', 'd2'], counters, periods, data: copy, kpis: [m.name] })
            .then((x) => ({ values: x.values, nulls: x.cell('d2').kpis[0]!.nulls })),
        };
      }
      return {
        verdicts: v.results.map((x) => [x.verdict, x.reasons]),
        kernel: v.ms.kernel >= 0,
        features: cat?.stats.features,
        mon,
        bad: {
          shape: await codeOf(
            engine.monitor({
              cells: ['a'],
              counters: [m.formula.match(/[A-Za-z_][\w.]*/)![0]],
              periods: 2,
              data: new Float32Array(3),
            }),
          ),
          dup: await codeOf(
            engine.monitor({ cells: ['a', 'a'], counters: ['X.pmY'], periods: 1, data: new Float32Array(2) }),
          ),
          // One name as a string was read letter by letter: NOT_FOUND 'unknown KPI "A"'.
          kpiString: await engine
            .monitor({
              cells: ['a'],
              counters: m.formula.match(/[A-Za-z_][\w.]*/g)!,
              periods: 1,
              data: new Float32Array(m.formula.match(/[A-Za-z_][\w.]*/g)!.length),
              kpis: m.name as unknown as string[],
            })
            .then(
              () => 'ok',
              (e: { code: string; message: string }) => `${e.code}: ${e.message}`,
            ),
          // A KPI named twice was evaluated and returned twice (Python refuses it).
          kpiTwice: await engine
            .monitor({
              cells: ['a'],
              counters: m.formula.match(/[A-Za-z_][\w.]*/g)!,
              periods: 1,
              data: new Float32Array(m.formula.match(/[A-Za-z_][\w.]*/g)!.length),
              kpis: [m.name, m.name],
            })
            .then(
              () => 'ok',
              (e: { code: string; message: string }) => `${e.code}: ${e.message}`,
            ),
          unknown: await codeOf(
            engine.monitor({ cells: ['a'], counters: ['X.pmNotThere'], periods: 1, data: new Float32Array(1) }),
          ),
          notArray: await codeOf(engine.validate('nope' as unknown as [])),
        },
      };
    }, RATIO);
    expect(out.features).toBe(593);
    expect(out.verdicts[0]![0]).toBe('ok');
    expect(out.verdicts[1]).toEqual(['reject', expect.arrayContaining(['OUTSIDE_ABSOLUTE_RANGE'])]);
    expect(out.verdicts[2]).toEqual(['reject', ['UNKNOWN_PARAMETER']]);
    expect(out.verdicts[3]).toEqual(['reject', ['COOLDOWN']]);
    expect(out.mon).not.toBeNull();
    expect(out.mon!.missing).toBe(1);
    expect(out.mon!.c0.missingCounter).toBe(1);
    expect(out.mon!.c2.divisionByZero).toBe(4);
    // Null counts per cell and KPI (missing, division by zero) match the per-period reasons.
    expect(out.mon!.nullCounts).toEqual([1, 0, 0, 0, 0, 4]);
    // Without perPeriod: no per-period arrays, the same summaries.
    expect(out.mon!.lean.values).toBeNull();
    expect(out.mon!.lean.nulls).toEqual({ missingCounter: 0, divisionByZero: 4 });
    expect(out.bad).toEqual({
      shape: 'DIMENSION_MISMATCH',
      dup: 'INVALID_ARGUMENT',
      kpiTwice: `INVALID_ARGUMENT: KPI "${RATIO.name}" is named twice in kpis`,
      kpiString: `INVALID_ARGUMENT: kpis must be an array of KPI names, not a string ("${RATIO.name}"): ["${RATIO.name}"] for one`,
      unknown: 'INVALID_ARGUMENT',
      notArray: 'INVALID_ARGUMENT',
    });
  });

test('a monitor batch that one worker refuses changes no history on the other worker (all or nothing)', async ({
  page,
}) => {
  // Cells are sharded over the workers: when one worker refused its share (an
  // infinite sample), the other had already put its share into its cells'
  // history, so the next batch's z-scores of those cells differed from an
  // engine that never saw the refused batch.
  test.setTimeout(120_000);
  await ready(page);
  const out = await page.evaluate(async (m) => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const counters = m.formula.match(/[A-Za-z_][\w.]*/g)!;
    const cells = Array.from({ length: 16 }, (_, i) => `cell-${i}`);
    const periods = 12;
    const batch = (seed: number) =>
      Float32Array.from({ length: cells.length * counters.length * periods }, (_, i) => 50 + ((i * seed) % 23));
    const run = (e: Awaited<ReturnType<typeof createEngine>>, data: Float32Array) =>
      e.monitor({ cells, counters, periods, data: data.slice(), kpis: [m.name] }, { minHistory: 2 });
    const a = await createEngine({ workers: 2 });
    const b = await createEngine({ workers: 2 });
    try {
      const bad = batch(5);
      bad[bad.length - 3] = Infinity; // the last cell's last counter
      await run(a, batch(3));
      await run(b, batch(3));
      const refused = await run(a, bad).then(
        () => null,
        (e: { code: string; message: string }) => ({ code: e.code, message: e.message }),
      );
      const good = batch(5);
      const ra = await run(a, good);
      const rb = await run(b, good);
      return { refused, workers: a.info().workers, a: Array.from(ra.maxZ), b: Array.from(rb.maxZ) };
    } finally {
      await a.close();
      await b.close();
    }
  }, RATIO);
  expect(out.workers).toBe(2);
  expect(out.refused).toEqual({
    code: 'INVALID_ARGUMENT',
    message: expect.stringMatching(/^cell "cell-15", counter "[^"]+", period 9: the sample is \+inf/),
  });
  expect(out.a.some((z) => z > 0)).toBe(true);
  expect(out.a).toEqual(out.b);
});

test('a monitor batch rejected while its workers run it (aborted) leaves no history behind', async ({ page }) => {
  // The page rejects an aborted (or timed-out) call at once, but the batch
  // was sent: each worker still ran its share and put it into its cells'
  // history, so the next batch's z-scores differed from an engine that never
  // saw the rejected batch.
  test.setTimeout(120_000);
  await ready(page);
  const out = await page.evaluate(async (m) => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const counters = m.formula.match(/[A-Za-z_][\w.]*/g)!;
    const cells = Array.from({ length: 16 }, (_, i) => `cell-${i}`);
    const periods = 12;
    const batch = (seed: number) =>
      Float32Array.from({ length: cells.length * counters.length * periods }, (_, i) => 50 + ((i * seed) % 23));
    const run = (e: Awaited<ReturnType<typeof createEngine>>, data: Float32Array, signal?: AbortSignal) =>
      e.monitor({ cells, counters, periods, data: data.slice(), kpis: [m.name] }, { minHistory: 2, signal });
    const results: Record<string, { rejected: string | null; a: number[]; b: number[] }> = {};
    // With a batch before (the page has the history to give back), and without.
    for (const workers of [1, 2])
      for (const before of [true, false]) {
        const a = await createEngine({ workers });
        const b = await createEngine({ workers });
        try {
          if (before) {
            await run(a, batch(3));
            await run(b, batch(3));
          }
          const ac = new AbortController();
          const sent = run(a, batch(7), ac.signal); // sent to the workers before the abort
          ac.abort();
          const rejected = await sent.then(
            () => null,
            (e: { code: string }) => e.code,
          );
          await run(a, batch(11));
          await run(b, batch(11));
          const good = batch(5);
          const ra = await run(a, good);
          const rb = await run(b, good);
          results[`${workers}/${before}`] = { rejected, a: Array.from(ra.maxZ), b: Array.from(rb.maxZ) };
        } finally {
          await a.close();
          await b.close();
        }
      }
    return results;
  }, RATIO);
  expect(Object.keys(out)).toHaveLength(4);
  for (const [what, r] of Object.entries(out)) {
    expect(r.rejected, what).toBe('ABORTED');
    expect(r.a.some((z) => z > 0)).toBe(true);
    expect(r.a, `workers/batch before: ${what}`).toEqual(r.b);
  }
});

for (const [path, fast] of PATHS)
  test(`validateBatch agrees with validate on 3,000 changes over the default catalog, and shares its cooldowns (${path})`, async ({
    page,
  }) => {
    await ready(page, `?persist=0${fast}`);
    const out = await page.evaluate(async (REASONS) => {
      const { engine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
      const e = engine!;
      const names = ['Cell.nothing'];
      // Parameters seen in answers, plus an unknown one.
      for (const q of ['MIMO sleep start time', 'carrier aggregation parameters', 'handover hysteresis offset']) {
        const r = await e.query(q, { k: 5 });
        for (const f of r.features) for (const m of f.matched) if (m.kind === 'parameter') names.push(m.name);
        const card = r.answer && 'card' in r.answer ? r.answer.card : null;
        for (const p of card?.parameters ?? []) names.push(p.name);
      }
      let s = 3;
      const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
      const changes = Array.from({ length: 3000 }, (_, i) => {
        const current = Math.round(rnd() * 200 - 50);
        return {
          parameter: names[i % names.length]!,
          cell: `cell-${i % 7}`,
          current,
          proposed: i % 211 === 0 ? NaN : current + Math.round(rnd() * 40 - 20),
          at: 1e12 + i * 1000,
        };
      });
      const objects = await e.validate(changes, { record: false });
      const batch = await e.validateBatch(
        {
          parameters: e.parameterIndexes(changes.map((c) => c.parameter)),
          current: Float64Array.from(changes, (c) => c.current),
          proposed: Float64Array.from(changes, (c) => c.proposed),
          at: Float64Array.from(changes, (c) => c.at),
          cells: Uint32Array.from(changes, (_, i) => i % 7),
        },
        { record: false },
      );
      let disagree = 0;
      const seen = new Set<string>();
      objects.results.forEach((r, i) => {
        const bits = batch.reasons[i]!;
        const reasons = REASONS.filter((_, b) => (bits >> b) & 1);
        if (['ok', 'warn', 'reject'][batch.verdicts[i]!] !== r.verdict || reasons.join() !== r.reasons.join())
          disagree++;
        for (const x of r.reasons) seen.add(x);
      });
      // A batch change accepted (recorded) on cell id 0 of a parameter with a cooldown is
      // then in cooldown for validate() on cell "" (also id 0).
      const p = changes.find((c, i) => objects.results[i]!.verdict === 'ok')!;
      const one = {
        parameters: e.parameterIndexes([p.parameter]),
        current: new Float64Array([p.current]),
        proposed: new Float64Array([p.current]),
        at: 5e12,
      };
      const first = await e.validateBatch(one);
      const again = await e.validate([
        { parameter: p.parameter, current: p.current, proposed: p.current, at: 5e12 + 1 },
      ]);
      const codeOf = (f: () => Promise<unknown>) =>
        f().then(
          () => 'ok',
          (err: { code?: string }) => err.code ?? String(err),
        );
      return {
        n: objects.results.length,
        counts: [objects.counts, batch.counts],
        disagree,
        first: first.verdicts[0],
        again: again.results[0]!.reasons,
        bad: await codeOf(() => e.validateBatch({ ...one, current: new Float64Array(3) })),
        kinds: new Set(objects.results.map((r) => r.verdict)).size,
        seen: [...seen],
      };
    }, VALIDATION_REASONS as string[]);
    expect(out.n).toBe(3000);
    expect(out.disagree).toBe(0);
    expect(out.counts[1]).toEqual(out.counts[0]);
    expect(out.kinds).toBeGreaterThanOrEqual(2);
    expect(out.seen).toEqual(expect.arrayContaining(['UNKNOWN_PARAMETER', 'NOT_FINITE']));
    expect(out.seen.length).toBeGreaterThanOrEqual(4);
    expect(out.first).toBe(0);
    expect(out.again).toContain('COOLDOWN');
    expect(out.bad).toBe('DIMENSION_MISMATCH');
  });

for (const [path, fast] of PATHS)
  test(`cooldowns recorded before worker 0 died hold after its replacement, exactly (the page gives them back) (${path})`, async ({
    page,
  }) => {
    const p = (
      generateCatalog().parameters as {
        name: string;
        type?: string;
        range?: [number, number];
        safe?: { min?: number; cooldownS?: number };
      }[]
    ).find((x) => x.type === 'float' && x.range && x.safe?.cooldownS && x.safe.cooldownS >= 10)!;
    await ready(page, `?persist=0${fast}`);
    const out = await page.evaluate(
      async ({ name, value, coolMs }) => {
        const e = (window as unknown as { elexDemo: DemoHandle }).elexDemo.engine!;
        const t = 1e12;
        const one = async (cell: string, at: number) =>
          (await e.validate([{ parameter: name, cell, current: value, proposed: value, at }])).results[0]!.reasons;
        const before = await one('A', t);
        const restarts = e.info().restarts;
        await e.debug.crashWorker(0, 'terminate');
        while (e.info().restarts === restarts) await new Promise((r) => setTimeout(r, 50));
        const codeOf = (f: () => Promise<unknown>) =>
          f().then(
            () => 'ok',
            (err: { code?: string }) => err.code ?? String(err),
          );
        // A call may still meet the dying worker: retry as a caller would.
        let sameCell: string[] = [];
        for (let i = 0; i < 50; i++) {
          const c = await codeOf(async () => (sameCell = await one('A', t + 1000)));
          if (c === 'ok') break;
          await new Promise((r) => setTimeout(r, 100));
        }
        return {
          before,
          sameCell,
          otherCell: await one('B', t + 1000),
          batchCell: (
            await e.validateBatch({
              parameters: e.parameterIndexes([name]),
              current: new Float64Array([value]),
              proposed: new Float64Array([value]),
              at: t + 2000,
              cells: new Uint32Array([77]),
            })
          ).reasons[0],
          elapsed: await one('A', t + coolMs + 1),
        };
      },
      { name: p.name, value: p.safe!.min ?? p.range![0], coolMs: p.safe!.cooldownS! * 1000 },
    );
    expect(out.before).not.toContain('COOLDOWN');
    expect(out.sameCell).toContain('COOLDOWN');
    // The table itself came back, not a floor: cells never changed are free.
    expect(out.otherCell).not.toContain('COOLDOWN');
    expect(out.batchCell! & (1 << VALIDATION_REASONS.indexOf('COOLDOWN'))).toBe(0);
    expect(out.elapsed).not.toContain('COOLDOWN');
  });
