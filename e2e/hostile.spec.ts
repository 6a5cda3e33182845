/**
 * Hostile input, generated (fast-check), through the worker pool: every
 * public method of an engine made by createEngine (and of its index) is
 * called with arbitrary values, shapes and types, huge sizes, NaN / ±Inf,
 * cycles, throwing getters and proxies. fast-check runs in Node and sends
 * recipes (JSON) that the page turns into those values. Properties, per call:
 *   - a success, or an ElexError whose code is one of ErrorCodes;
 *   - settled within HANG_MS (no hang);
 *   - no worker died (info().restarts is unchanged);
 *   - nothing saved changed: an index the calls do not name saves the same bytes.
 * Rerun: npx vite build --logLevel warn && CI=1 npx playwright test e2e/hostile.spec.ts
 * (FC_SEED=<n>, FC_RUNS=<n> to vary).
 */
import fc from 'fast-check';
import { expect, test, type Page } from '@playwright/test';
import type { DemoHandle } from '../demo/main.ts';
import { ErrorCodes } from '../ts/core/errors.ts';
import { openDashboard } from './helpers.ts';

const SEED = Number(process.env.FC_SEED ?? 7);
const RUNS = Number(process.env.FC_RUNS ?? 30);
const HANG_MS = 10_000;

type Special = 'NaN' | 'Inf' | '-Inf' | '-0';
type Recipe =
  | { json: unknown }
  | { num: number | Special }
  | { typed: 'f32' | 'f64' | 'u32' | 'i32' | 'u8'; values: (number | Special)[] }
  | { make: 'cyclic' | 'proxy' | 'sparse' | 'longString' | 'hugeLength' | 'undefined' | 'fn' | 'symbol' | 'bigint' }
  | { make: 'throwing'; key: string }
  | { obj: Record<string, Recipe> }
  | { arr: Recipe[] };

const special = fc.constantFrom<Special>('NaN', 'Inf', '-Inf', '-0');
const number = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  special,
  fc.constant(2 ** 32),
);
const KEYS = [
  'dim',
  'metric',
  'k',
  'budgetMs',
  'timeoutMs',
  'signal',
  'text',
  'parameters',
  'current',
  'proposed',
  'at',
  'cells',
  'counters',
  'periods',
  'data',
  'kpis',
  'record',
  'type',
  'exact',
  'ef',
  'workers',
  'catalog',
];
const recipe: fc.Arbitrary<Recipe> = fc.letrec<{ r: Recipe }>((tie) => ({
  r: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((json): Recipe => ({ json })) },
    { weight: 2, arbitrary: number.map((num): Recipe => ({ num })) },
    {
      weight: 3,
      arbitrary: fc
        .record({
          typed: fc.constantFrom('f32', 'f64', 'u32', 'i32', 'u8') as fc.Arbitrary<'f32'>,
          values: fc.array(number, { maxLength: 40 }),
        })
        .map((r): Recipe => r),
    },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom('cyclic', 'proxy', 'sparse', 'longString', 'hugeLength', 'undefined', 'fn', 'symbol', 'bigint')
        .map((make): Recipe => ({ make: make as 'cyclic' })),
    },
    { weight: 1, arbitrary: fc.constantFrom(...KEYS).map((key): Recipe => ({ make: 'throwing', key })) },
    {
      weight: 3,
      arbitrary: fc.dictionary(fc.constantFrom(...KEYS), tie('r'), { maxKeys: 4 }).map((obj): Recipe => ({ obj })),
    },
    { weight: 1, arbitrary: fc.array(tie('r'), { maxLength: 4 }).map((arr): Recipe => ({ arr })) },
  ),
})).r;

/** Engine and index methods the page calls, by name. */
const METHODS = [
  'distanceBatch',
  'createIndex',
  'loadIndex',
  'decide',
  'feedback',
  'agent',
  'agentValues',
  'query',
  'queryBatch',
  'validate',
  'validateBatch',
  'parameterIndexes',
  'monitor',
  'routerReady',
  'index.add',
  'index.search',
  'index.remove',
  'index.load',
] as const;

async function setUp(page: Page): Promise<void> {
  await openDashboard(page, '?persist=0&workers=2');
  await expect(page.locator('body')).toHaveAttribute('data-router-ready', '1', { timeout: 60_000 });
  await page.evaluate(
    async (codes) => {
      const engine = (window as unknown as { elexDemo: DemoHandle }).elexDemo.engine!;
      const w = window as unknown as Record<string, unknown>;
      const keep = await engine.createIndex('keep', { dim: 4 });
      await keep.add(
        [1, 2, 3, 4, 5],
        Float32Array.from({ length: 20 }, (_, i) => Math.sin(i)),
      );
      const target = await engine.createIndex('target', { dim: 4 });
      await target.add(
        [1, 2, 3],
        Float32Array.from({ length: 12 }, (_, i) => Math.cos(i)),
      );
      const sp = { NaN: NaN, Inf: Infinity, '-Inf': -Infinity, '-0': -0 } as Record<string, number>;
      const num = (x: unknown) => (typeof x === 'string' ? sp[x]! : (x as number));
      type R = Record<string, unknown>;
      const make = (r: R): unknown => {
        if ('json' in r) return r.json;
        if ('num' in r) return num(r.num);
        if ('typed' in r) {
          const v = (r.values as unknown[]).map(num);
          const T = { f32: Float32Array, f64: Float64Array, u32: Uint32Array, i32: Int32Array, u8: Uint8Array }[
            r.typed as 'f32'
          ];
          return T.from(v);
        }
        if ('obj' in r)
          return Object.fromEntries(Object.entries(r.obj as Record<string, R>).map(([k, x]) => [k, make(x)]));
        if ('arr' in r) return (r.arr as R[]).map(make);
        switch (r.make) {
          case 'cyclic': {
            const o: R = { dim: 4, text: 'x', length: 3 };
            o.self = o;
            o.metric = o;
            return o;
          }
          case 'throwing': {
            const o: R = { dim: 4, text: 'mimo' };
            Object.defineProperty(o, r.key as string, {
              enumerable: true,
              get() {
                throw new Error(`hostile getter ${String(r.key)}`);
              },
            });
            return o;
          }
          case 'proxy':
            return new Proxy(
              {},
              {
                get(_, k) {
                  throw new Error(`hostile proxy ${String(k)}`);
                },
              },
            );
          case 'sparse':
            return new Array(2 ** 20);
          case 'longString':
            return 'x'.repeat(1 << 20);
          case 'hugeLength':
            return { length: 2 ** 32 - 1, dim: 2 ** 40 };
          case 'undefined':
            return undefined;
          case 'fn':
            return () => 1;
          case 'symbol':
            return Symbol('hostile');
          case 'bigint':
            return 10n ** 30n;
        }
        return null;
      };
      const digest = async (bytes: Uint8Array) =>
        Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes.slice()))).join(',');
      const saved = await digest(await keep.save());
      const documented = new Set(codes);
      w.hostile = {
        async run(name: string, recipes: R[], hangMs: number) {
          const args = recipes.map(make) as never[];
          const restarts = engine.info().restarts;
          const a = (i: number) => args[i] as never;
          const fns: Record<string, () => unknown> = {
            distanceBatch: () => engine.distanceBatch(a(0), a(1), a(2), a(3)),
            createIndex: async () => (await engine.createIndex(a(0), a(1))).drop(),
            loadIndex: async () => (await engine.loadIndex(a(0), a(1), a(2))).drop(),
            decide: () => engine.decide(a(0), a(1), a(2)),
            feedback: () => engine.feedback(a(0), a(1)),
            agent: () => engine.agent(a(0)),
            agentValues: () => engine.agentValues(a(0), a(1)),
            query: () => engine.query(a(0), a(1)),
            queryBatch: () => engine.queryBatch(a(0), a(1)),
            validate: () => engine.validate(a(0), a(1)),
            validateBatch: () => engine.validateBatch(a(0), a(1)),
            parameterIndexes: () => engine.parameterIndexes(a(0)),
            monitor: () => engine.monitor(a(0), a(1)),
            routerReady: () => engine.routerReady(a(0)),
            'index.add': () => target.add(a(0), a(1), a(2)),
            'index.search': () => target.search(a(0), a(1), a(2)),
            'index.remove': () => target.remove(a(0)),
            'index.load': () => target.load(a(0)),
          };
          let outcome: string;
          const t0 = performance.now();
          try {
            let timer: ReturnType<typeof setTimeout> | undefined;
            await Promise.race([
              Promise.resolve().then(fns[name]!),
              new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('HANG')), hangMs))),
            ]).finally(() => clearTimeout(timer));
            outcome = 'ok';
          } catch (e) {
            const err = e as { name?: string; code?: string; message?: string };
            outcome =
              err.name === 'ElexError' && err.code && documented.has(err.code)
                ? err.code
                : `UNDOCUMENTED ${err.name} ${err.code}: ${err.message}`;
          }
          const died = engine.info().restarts !== restarts;
          const savedNow = await digest(await keep.save());
          return { outcome, died, savedSame: savedNow === saved, ms: performance.now() - t0 };
        },
      };
    },
    ErrorCodes as unknown as string[],
  );
}

test.setTimeout(240_000);

test('hostile input to every public engine and index method: coded errors or success, no hang, no worker death, saved state kept', async ({
  page,
}) => {
  await setUp(page);
  const counts = { calls: 0, ok: 0, codes: {} as Record<string, number> };
  for (const name of METHODS) {
    await fc.assert(
      fc.asyncProperty(fc.array(recipe, { maxLength: 4 }), async (recipes) => {
        const r = await page.evaluate(
          ([n, rs, hang]) =>
            (
              window as unknown as {
                hostile: {
                  run(
                    n: string,
                    rs: unknown[],
                    h: number,
                  ): Promise<{ outcome: string; died: boolean; savedSame: boolean; ms: number }>;
                };
              }
            ).hostile.run(n, rs, hang),
          [name, recipes, HANG_MS] as const,
        );
        counts.calls++;
        if (r.outcome === 'ok') counts.ok++;
        else counts.codes[r.outcome] = (counts.codes[r.outcome] ?? 0) + 1;
        expect(r.outcome, `${name}(${JSON.stringify(recipes).slice(0, 300)})`).not.toMatch(/^UNDOCUMENTED|HANG/);
        expect(r.died, `${name}: a worker died`).toBe(false);
        expect(r.savedSame, `${name}: the saved index changed`).toBe(true);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
  }
  console.log(`hostile engine input: ${JSON.stringify(counts)}`);
  expect(counts.calls).toBe(METHODS.length * RUNS);
});
