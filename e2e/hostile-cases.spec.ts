/**
 * Hostile input, by hand: cases an outside tester found (issue: hostile
 * inputs through the public API), each a regression test of its fix. The
 * generated ones are in hostile.spec.ts. Engines are started in the page
 * with the package's createEngine (one worker, mostly no catalog).
 * Rerun: npx vite build --logLevel warn && CI=1 npx playwright test e2e/hostile-cases.spec.ts
 */
import { expect, test, type Page } from '@playwright/test';
import type { DemoHandle } from '../demo/main.ts';

async function openPage(page: Page): Promise<void> {
  await page.goto('/?workers=1');
  await page.waitForFunction(() => (window as unknown as { elexDemo?: DemoHandle }).elexDemo !== undefined);
}

/** What openOpfsPage() gives the page: writes `bytes` over an OPFS file. */
type Overwrite = (fh: FileSystemFileHandle, bytes: Uint8Array<ArrayBuffer>) => Promise<void>;

/**
 * openPage(), with `overwriteFile` in the page: it writes over an OPFS
 * file, retrying while a closed engine's worker still holds it (the
 * browser releases its sync access handles a moment after the engine
 * closes or fails to start).
 */
async function openOpfsPage(page: Page): Promise<void> {
  await openPage(page);
  await page.evaluate(() => {
    const overwrite: Overwrite = async (fh, bytes) => {
      for (let i = 0; ; i++) {
        try {
          const w = await fh.createWritable();
          await w.write(bytes);
          await w.close();
          return;
        } catch (x) {
          if ((x as DOMException).name !== 'NoModificationAllowedError' || i >= 100) throw x;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    (window as unknown as { overwriteFile: Overwrite }).overwriteFile = overwrite;
  });
}

test('persist.autosaveMs: Infinity never autosaves (a delay beyond 2^31 − 1 ms no longer fires at once)', async ({
  page,
}) => {
  await openPage(page);
  const lastSave = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const e = await createEngine({
      workers: 1,
      catalog: false,
      persist: { name: 'hostile-autosave', backend: 'memory', autosaveMs: Infinity },
    });
    try {
      const d = await e.decide('FAJ 121 0001');
      await e.feedback(d.queryId, 1);
      await new Promise((r) => setTimeout(r, 300));
      return (await e.stats()).persistence?.lastSave ?? null;
    } finally {
      await e.close();
    }
  });
  expect(lastSave).toBeNull();
});

test('an onWorkerRestart listener that throws does not stop the replacement; one that is not a function is INVALID_ARGUMENT', async ({
  page,
}) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await openPage(page);
  const out = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const notAFunction = await createEngine({ workers: 1, catalog: false, onWorkerRestart: 'x' as never }).then(
      (e) => e.close().then(() => 'started'),
      (e: { code: string }) => e.code,
    );
    const heard: number[] = [];
    const e = await createEngine({
      workers: 1,
      catalog: false,
      onWorkerRestart: (index) => {
        heard.push(index);
        throw new Error('a listener bug');
      },
    });
    try {
      await e.debug.crashWorker(0, 'terminate');
      while (e.info().restarts < 1) await new Promise((r) => setTimeout(r, 20));
      // The replacement answers (before: every call failed with WORKER_CRASHED for good).
      const ping = await Promise.race([
        e.debug.ping(0).then(
          () => 'answered',
          (x: { code: string }) => x.code,
        ),
        new Promise((r) => setTimeout(() => r('no answer in 10 s'), 10_000)),
      ]);
      return { notAFunction, heard, ping };
    } finally {
      await e.close();
    }
  });
  expect(out).toEqual({ notAFunction: 'INVALID_ARGUMENT', heard: [0], ping: 'answered' });
  expect(pageErrors).toEqual([]);
});

test('a truncated OPFS snapshot gives CORRUPT_DATA naming it (it was read as "nothing saved"), and is left untouched', async ({
  page,
}) => {
  await openOpfsPage(page);
  const out = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const name = `hostile-trunc-${Date.now()}`;
    const persist = { name, backend: 'opfs' as const };
    const e = await createEngine({ workers: 1, catalog: false, persist });
    const d = await e.decide('FAJ 121 0001');
    await e.feedback(d.queryId, 1);
    await e.save();
    await e.close();
    const dir = await (
      await (await navigator.storage.getDirectory()).getDirectoryHandle('elex')
    ).getDirectoryHandle(name);
    const overwrite = (window as unknown as { overwriteFile: Overwrite }).overwriteFile;
    const results: Record<string, unknown> = {};
    for (const [cut, keep] of [
      ['half', (n: number) => n >> 1],
      ['header only', () => 32],
      ['part of the header', () => 10],
    ] as const) {
      const fh = await dir.getFileHandle('agents-w0-of-1.a');
      const whole = new Uint8Array(await (await fh.getFile()).arrayBuffer());
      await overwrite(fh, whole.slice(0, keep(whole.length)));
      const before = new Uint8Array(await (await fh.getFile()).arrayBuffer());
      const error = await createEngine({ workers: 1, catalog: false, persist }).then(
        async (again) => {
          const agent = await again.agent('FAJ 121 0001');
          await again.close();
          return `started; agent ${agent ? 'restored' : 'missing'}`;
        },
        (x: { code: string; message: string }) => ({
          code: x.code,
          namesFile: x.message.includes(`elex/${name}/agents-w0-of-1`),
        }),
      );
      const after = new Uint8Array(await (await fh.getFile()).arrayBuffer());
      results[cut] = { error, untouched: after.length === before.length && after.every((b, i) => b === before[i]) };
      // Put the whole file back for the next cut.
      await overwrite(fh, whole);
    }
    return results;
  });
  const expected = { error: { code: 'CORRUPT_DATA', namesFile: true }, untouched: true };
  expect(out).toEqual({ half: expected, 'header only': expected, 'part of the header': expected });
});

test('a newest OPFS snapshot damaged at its end: the save before it is restored and the damage reported (it fell back silently)', async ({
  page,
}) => {
  await openOpfsPage(page);
  const out = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const name = `hostile-newest-${Date.now()}`;
    const persist = { name, backend: 'opfs' as const };
    const code = 'FAJ 121 0001';
    const e = await createEngine({ workers: 1, catalog: false, persist });
    for (let i = 0; i < 2; i++) {
      const d = await e.decide(code);
      await e.feedback(d.queryId, 1);
      await e.save();
      await new Promise((r) => setTimeout(r, 50)); // the two slots' times differ
    }
    await e.close();
    const dir = await (
      await (await navigator.storage.getDirectory()).getDirectoryHandle('elex')
    ).getDirectoryHandle(name);
    // The newest save is the slot written last; cut its last byte off.
    const slots = await Promise.all(
      ['a', 'b'].map(async (s) => {
        const fh = await dir.getFileHandle(`agents-w0-of-1.${s}`);
        return { s, fh, file: await fh.getFile() };
      }),
    );
    const newest = slots.sort((x, y) => y.file.lastModified - x.file.lastModified)[0]!;
    const whole = new Uint8Array(await newest.file.arrayBuffer());
    await (window as unknown as { overwriteFile: Overwrite }).overwriteFile(
      newest.fh,
      whole.slice(0, whole.length - 1),
    );
    const again = await createEngine({ workers: 1, catalog: false, persist });
    try {
      const restored = (await again.stats()).persistence.restored[0]!;
      const agent = await again.agent(code);
      return { damaged: restored.damaged, slot: newest.s, updates: agent?.updates ?? null, name };
    } finally {
      await again.close();
    }
  });
  // The earlier save (one update) is what the engine has; the damaged file is named.
  expect(out.updates).toBe(1);
  expect(out.damaged).toEqual([`OPFS elex/${out.name}/agents-w0-of-1.${out.slot}`]);
});

/** A catalog of one feature, two counters and a KPI over them. */
const SMALL_CATALOG = {
  features: [{ code: 'FAJ 121 0001', name: 'Small', counters: ['Cell.pmA', 'Cell.pmB'], kpis: ['Ratio'] }],
  counters: [{ name: 'Cell.pmA' }, { name: 'Cell.pmB' }],
  kpis: [{ name: 'Ratio', formula: '100 * Cell.pmA / Cell.pmB' }],
};

test('monitor options out of their domain are INVALID_ARGUMENT (NaN zThreshold silently meant "never an anomaly")', async ({
  page,
}) => {
  await openPage(page);
  const out = await page.evaluate(async (catalog) => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const e = await createEngine({ workers: 1, catalog });
    const batch = () => ({
      cells: ['c1'],
      counters: ['Cell.pmA', 'Cell.pmB'],
      periods: 4,
      data: new Float32Array(8).fill(5),
    });
    const codes: Record<string, string> = {};
    try {
      for (const [key, value] of [
        ['zThreshold', NaN],
        ['zThreshold', -1],
        ['zThreshold', '3'],
        ['minHistory', -1],
        ['minHistory', NaN],
        ['minHistory', 2.5],
        ['minHistory', 2 ** 32],
        ['perPeriod', 'yes'],
      ] as const)
        codes[`${key}=${String(value)}`] = await e.monitor(batch(), { [key]: value } as never).then(
          () => 'ok',
          (x: { code: string }) => x.code,
        );
      codes['zThreshold=0, minHistory=0, perPeriod=true'] = await e
        .monitor(batch(), { zThreshold: 0, minHistory: 0, perPeriod: true })
        .then(
          () => 'ok',
          (x: { code: string }) => x.code,
        );
    } finally {
      await e.close();
    }
    return codes;
  }, SMALL_CATALOG);
  expect(out).toEqual({
    'zThreshold=NaN': 'INVALID_ARGUMENT',
    'zThreshold=-1': 'INVALID_ARGUMENT',
    'zThreshold=3': 'INVALID_ARGUMENT',
    'minHistory=-1': 'INVALID_ARGUMENT',
    'minHistory=NaN': 'INVALID_ARGUMENT',
    'minHistory=2.5': 'INVALID_ARGUMENT',
    'minHistory=4294967296': 'INVALID_ARGUMENT',
    'perPeriod=yes': 'INVALID_ARGUMENT',
    'zThreshold=0, minHistory=0, perPeriod=true': 'ok',
  });
});

test('a timeoutMs or startTimeoutMs that is not a duration is INVALID_ARGUMENT (a string meant no limit, a negative one TIMEOUT)', async ({
  page,
}) => {
  await openPage(page);
  const out = await page.evaluate(async (catalog) => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (x: { code: string }) => x.code,
      );
    const codes: Record<string, string> = {};
    for (const v of [NaN, '100', 0, -1])
      codes[`startTimeoutMs=${String(v)}`] = await code(
        createEngine({ workers: 1, catalog: false, startTimeoutMs: v as number }).then((e) => e.close()),
      );
    const e = await createEngine({ workers: 1, catalog });
    try {
      const q = new Float32Array([1, 0]);
      const batch = () => ({
        cells: ['c1'],
        counters: ['Cell.pmA', 'Cell.pmB'],
        periods: 1,
        data: new Float32Array(2),
      });
      for (const v of ['100', -1, NaN]) {
        codes[`distanceBatch timeoutMs=${String(v)}`] = await code(
          e.distanceBatch(q, q, 2, { timeoutMs: v as number }),
        );
        codes[`monitor timeoutMs=${String(v)}`] = await code(e.monitor(batch(), { timeoutMs: v as number }));
      }
      codes['distanceBatch timeoutMs=Infinity'] = await code(e.distanceBatch(q, q, 2, { timeoutMs: Infinity }));
    } finally {
      await e.close();
    }
    return codes;
  }, SMALL_CATALOG);
  expect(out).toEqual({
    'startTimeoutMs=NaN': 'INVALID_ARGUMENT',
    'startTimeoutMs=100': 'INVALID_ARGUMENT',
    'startTimeoutMs=0': 'INVALID_ARGUMENT',
    'startTimeoutMs=-1': 'INVALID_ARGUMENT',
    'distanceBatch timeoutMs=100': 'INVALID_ARGUMENT',
    'monitor timeoutMs=100': 'INVALID_ARGUMENT',
    'distanceBatch timeoutMs=-1': 'INVALID_ARGUMENT',
    'monitor timeoutMs=-1': 'INVALID_ARGUMENT',
    'distanceBatch timeoutMs=NaN': 'INVALID_ARGUMENT',
    'monitor timeoutMs=NaN': 'INVALID_ARGUMENT',
    'distanceBatch timeoutMs=Infinity': 'ok',
  });
});

test('routing.weights keys of Object.prototype (toString, __proto__, constructor) are not weights: INVALID_ARGUMENT', async ({
  page,
}) => {
  await openPage(page);
  const out = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const codes: string[] = [];
    for (const key of ['toString', '__proto__', 'constructor', 'hasOwnProperty'])
      codes.push(
        await createEngine({
          workers: 1,
          catalog: false,
          routing: { weights: JSON.parse(`{"${key}": 1}`) as never },
        }).then(
          (e) => e.close().then(() => 'ok'),
          (x: { code: string; message: string }) => `${x.code}: ${x.message.split(' (')[0]}`,
        ),
      );
    return codes;
  });
  expect(out).toEqual([
    'INVALID_ARGUMENT: routing.weights.toString is not a weight',
    'INVALID_ARGUMENT: routing.weights.__proto__ is not a weight',
    'INVALID_ARGUMENT: routing.weights.constructor is not a weight',
    'INVALID_ARGUMENT: routing.weights.hasOwnProperty is not a weight',
  ]);
});

test('validate options: a record that is not a boolean is INVALID_ARGUMENT (record: "false" recorded the change)', async ({
  page,
}) => {
  await openPage(page);
  const out = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const catalog = {
      features: [{ code: 'FAJ 121 0001', name: 'Small', parameters: ['Cell.p'] }],
      parameters: [{ name: 'Cell.p', type: 'int', range: [0, 100], safe: { min: 0, max: 100, cooldownS: 60 } }],
    };
    const e = await createEngine({ workers: 1, catalog: catalog as never });
    const change = { parameter: 'Cell.p', cell: 'c1', current: 10, proposed: 20, at: 0 };
    const outcome = (record: unknown) =>
      e.validate([change], { record } as never).then(
        (r) => r.results[0]!.verdict + (r.results[0]!.reasons.length ? `:${r.results[0]!.reasons.join('+')}` : ''),
        (x: { code: string }) => x.code,
      );
    try {
      return { string: await outcome('false'), number: await outcome(0), then: await outcome(false) };
    } finally {
      await e.close();
    }
  });
  // Nothing was recorded, so the last change has no cooldown to wait for.
  expect(out).toEqual({ string: 'INVALID_ARGUMENT', number: 'INVALID_ARGUMENT', then: 'ok' });
});

test('a burst of queries beyond their budget: the late ones end with TIMEOUT saying why, and the workers drop them instead of answering nobody', async ({
  page,
}) => {
  test.setTimeout(120_000);
  await openPage(page);
  const out = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const results: Record<string, unknown> = {};
    for (const workers of [1, 2]) {
      const e = await createEngine({ workers, routing: { cache: false } });
      try {
        await e.routerReady();
        const decisions = async () => (await e.stats()).learning.decisions;
        const qs = [
          'which parameters control MIMO sleep start time?',
          'uplink interference counters',
          'why do handovers fail',
        ];
        const start = await decisions();
        // 1,500 questions at once with 40 ms each: far more than the workers answer in time.
        const burst = await Promise.allSettled(
          Array.from({ length: 1500 }, (_, i) => e.query(qs[i % qs.length]!, { budgetMs: 40 })),
        );
        const late = burst.filter((s) => s.status === 'rejected') as PromiseRejectedResult[];
        const codes = [...new Set(late.map((s) => (s.reason as { code?: string }).code))];
        const message = (late[0]?.reason as Error | undefined)?.message ?? '';
        // A question after the burst: its whole answer comes once the workers
        // are through what was queued (the dropped calls cost next to nothing).
        const next = await e.query('which parameters control MIMO sleep start time?');
        results[`w${workers}`] = {
          late: late.length,
          answered: burst.length - late.length + 1,
          // Agents' decisions recorded by the burst and the next question:
          // at most k (5) per question run; a worker that ran the timed-out
          // questions too recorded theirs.
          decided: (await decisions()) - start,
          codes,
          message,
          nextPartial: next.partial,
        };
      } finally {
        await e.close();
      }
    }
    return results;
  });
  for (const r of Object.values(out) as {
    late: number;
    answered: number;
    decided: number;
    codes: string[];
    message: string;
    nextPartial: boolean;
  }[]) {
    expect(r.late).toBeGreaterThan(0);
    expect(r.codes).toEqual(['TIMEOUT']);
    expect(r.message).toMatch(/other question\(s\) were in flight/);
    expect(r.nextPartial).toBe(false);
    // A question the worker started just before its deadline can still
    // answer too late for the page (its decisions are recorded): a few,
    // far from the 1,500 the workers ran before.
    expect(r.decided).toBeLessThan(5 * (r.answered + r.late / 4));
  }
});

test('a lone call past its budget after routerReady(): TIMEOUT says to give it more time, not to await routerReady()', async ({
  page,
}) => {
  await openPage(page);
  const out = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const messages: string[] = [];
    for (const workers of [1, 2]) {
      const e = await createEngine({ workers });
      try {
        await e.routerReady();
        const qs = Array.from({ length: 300 }, (_, i) => `which counters show handover failures on cell ${i}`);
        // A budget no call meets: nothing else is in flight, and the routers are built.
        await e.queryBatch(qs, { budgetMs: 0.001 }).then(
          () => messages.push('answered'),
          (err: { code?: string; message?: string }) => messages.push(`${err.code}: ${err.message}`),
        );
      } finally {
        await e.close();
      }
    }
    return messages;
  });
  for (const m of out) {
    expect(m).toMatch(/^TIMEOUT: no worker answered within the 0\.001 ms budget/);
    // Before: "right after createEngine() the router may still be building:
    // await routerReady() first", which the caller had done (and a query waits
    // for the routers before its budget starts anyway).
    expect(m).not.toMatch(/routerReady/);
    expect(m).toMatch(/budgetMs/);
  }
});

test('a misspelt key of a request object (monitor batch, validateBatch columns, query request) is INVALID_ARGUMENT (it was ignored)', async ({
  page,
}) => {
  await openPage(page);
  const out = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const e = await createEngine({ workers: 1 });
    const fail = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (err: { code?: string; message?: string }) => `${err.code}: ${err.message}`,
      );
    try {
      const ids = e.parameterIndexes(['x.y']);
      return {
        // `kpi` for `kpis`: every KPI of the batch's counters was evaluated instead.
        monitor: await fail(
          e.monitor({ cells: ['A'], counters: ['X.pmY'], periods: 1, data: new Float32Array(1), kpi: ['K'] } as never),
        ),
        // `cell` for `cells`: every change counted as cell 0's, for cooldowns too.
        validateBatch: await fail(
          e.validateBatch({
            parameters: Int32Array.from(ids),
            current: new Float64Array(1),
            proposed: new Float64Array(1),
            at: 1,
            cell: new Uint32Array(1),
          } as never),
        ),
        // `typ` for `type`: the classifier's type was used.
        query: await fail(e.query({ text: 'mimo sleep', typ: 'kpi' } as never)),
        batch: await fail(e.queryBatch(['mimo sleep', { text: 'cell sleep', complexty: 'simple' } as never])),
      };
    } finally {
      await e.close();
    }
  });
  expect(out.monitor).toMatch(
    /^INVALID_ARGUMENT: engine\.monitor\(\) batch: unknown option "kpi" \(did you mean "kpis"\?\)/,
  );
  expect(out.validateBatch).toMatch(/^INVALID_ARGUMENT: .*unknown option "cell" \(did you mean "cells"\?\)/);
  expect(out.query).toMatch(/^INVALID_ARGUMENT: .*unknown option "typ" \(did you mean "type"\?\)/);
  expect(out.batch).toMatch(
    /^INVALID_ARGUMENT: question 1: .*unknown option "complexty" \(did you mean "complexity"\?\)/,
  );
});

test('a number where the options go, or an unknown option key, is INVALID_ARGUMENT on every method with options (both were ignored)', async ({
  page,
}) => {
  await openPage(page);
  const out = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const e = await createEngine({ workers: 1 });
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (err: { code: string; message: string }) => `${err.code}: ${err.message}`,
      );
    try {
      const index = await e.createIndex('hostile-options', { dim: 4 });
      await index.add([1, 2], new Float32Array([1, 0, 0, 0, 0, 1, 0, 0]));
      const q = new Float32Array([1, 0, 0, 0]);
      return {
        queryNumber: await codeOf(e.query('which parameters control MIMO sleep?', 7 as never)),
        queryTypo: await codeOf(e.query('which parameters control MIMO sleep?', { budgetMS: 50 } as never)),
        batchTypo: await codeOf(e.queryBatch(['a question'], { K: 3 } as never)),
        indexTypo: await codeOf(e.createIndex('v2', { dim: 8, efconstruction: 400 } as never)),
        searchTypo: await codeOf(index.search(q, 1, { eff: 10 } as never)),
        validateTypo: await codeOf(e.validate([], { recrod: false } as never)),
        saveNumber: await codeOf(e.save(1 as never)),
        stillWorks: (await e.query('which parameters control MIMO sleep?', { k: 3 })).features.length,
        searchWorks: (await index.search(q, 1, { ef: 10 })).ids[0],
      };
    } finally {
      await e.close();
    }
  });
  expect(out).toEqual({
    queryNumber: expect.stringMatching(
      /^INVALID_ARGUMENT: engine\.query\(\) options must be an object \(k, budgetMs, signal\), got 7$/,
    ),
    queryTypo: expect.stringContaining(
      'INVALID_ARGUMENT: engine.query(): unknown option "budgetMS" (did you mean "budgetMs"?)',
    ),
    batchTypo: expect.stringContaining('INVALID_ARGUMENT: engine.queryBatch(): unknown option "K" (did you mean "k"?)'),
    indexTypo: expect.stringContaining('unknown option "efconstruction" (did you mean "efConstruction"?)'),
    searchTypo: expect.stringContaining(
      'INVALID_ARGUMENT: index "hostile-options".search(): unknown option "eff" (did you mean "ef"?)',
    ),
    validateTypo: expect.stringContaining('unknown option "recrod" (did you mean "record"?)'),
    saveNumber: expect.stringContaining('INVALID_ARGUMENT: engine.save() options must be an object'),
    stillWorks: 3,
    searchWorks: 1,
  });
});

test('queryBatch with one bad question names it (its index), as validateBatch names the first bad change', async ({
  page,
}) => {
  await openPage(page);
  const messages = await page.evaluate(async () => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    const e = await createEngine({ workers: 1 });
    const message = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (x: { code?: string; message?: string }) => `${x.code}: ${x.message}`,
      );
    try {
      return {
        empty: await message(e.queryBatch(['MIMO sleep', 'handover', '   ', 'uplink'])),
        long: await message(e.queryBatch(['MIMO sleep', 'x'.repeat(2001)])),
        type: await message(e.queryBatch(['MIMO sleep', { text: 'handover', type: 'nope' as never }])),
        single: await message(e.query('  ')),
      };
    } finally {
      await e.close();
    }
  });
  expect(messages).toEqual({
    empty: 'INVALID_ARGUMENT: question 2: a question must be a non-empty string',
    long: 'INVALID_ARGUMENT: question 1: a question must be at most 2000 characters, got 2001',
    type: 'INVALID_ARGUMENT: question 1: unknown query type "nope"',
    single: 'INVALID_ARGUMENT: a question must be a non-empty string',
  });
});
