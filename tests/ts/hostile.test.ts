/**
 * Hostile input, generated (fast-check): every public method of the
 * same-thread bindings (and of the handles they make) and the catalog
 * checks are called with arbitrary values, shapes and types, huge sizes,
 * NaN / ±Infinity, cyclic objects and objects whose getters throw.
 * Properties, for every call:
 *   - it returns (a documented success) or throws an ElexError whose code
 *     is one of ErrorCodes; never another error, never a crash of the
 *     instance (a known distance is still right afterwards);
 *   - it returns within HANG_MS (no hang);
 *   - nothing saved is changed: a failed call leaves the index's and the
 *     agent's saved bytes as they were.
 * Rerun: npx vitest run tests/ts/hostile.test.ts  (FC_SEED=<n> FC_RUNS=<n> to vary).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { instantiate, type Bindings, type IndexHandle } from '../../ts/bindings/bindings.ts';
import { checkCatalog, loadCatalog } from '../../ts/host/catalog.ts';
import { ElexError, ErrorCodes } from '../../ts/core/errors.ts';
import { seeded } from './helpers.ts';

const SEED = Number(process.env.FC_SEED ?? 4242);
const RUNS = Number(process.env.FC_RUNS ?? 100);
const HANG_MS = 2_000;

/**
 * Values that fast-check cannot print (cycles, throwing getters, proxies,
 * huge arrays) are generated as recipes and made inside the property.
 */
type Recipe =
  | { value: unknown }
  | { make: 'cyclic' | 'proxy' | 'sparse' | 'longString' | 'hugeLength' }
  | { make: 'throwing'; key: string };

function make(r: Recipe): unknown {
  if ('value' in r) return r.value;
  switch (r.make) {
    case 'cyclic': {
      const o: Record<string, unknown> = { dim: 4, name: 'x', length: 3 };
      o.self = o;
      o.metric = o;
      return o;
    }
    case 'throwing': {
      const o: Record<string, unknown> = { dim: 4, metric: 'l2' };
      Object.defineProperty(o, r.key, {
        enumerable: true,
        get() {
          throw new Error(`hostile getter ${r.key}`);
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
          has() {
            throw new Error('hostile proxy has');
          },
          ownKeys() {
            throw new Error('hostile proxy keys');
          },
        },
      );
    case 'sparse':
      return new Array(2 ** 20);
    case 'longString':
      return 'x'.repeat(1 << 20);
    case 'hugeLength':
      return { length: 2 ** 32 - 1, dim: 2 ** 40 };
  }
}

/** Recipes of values hostile to a typed API: typed arrays with NaN/Inf, odd shapes, huge sizes, cycles, throwing getters. */
function hostile(): fc.Arbitrary<Recipe> {
  const special = fc.constantFrom(NaN, Infinity, -Infinity, -0, 2 ** 31, 2 ** 32, -1, 1e308, Number.MAX_SAFE_INTEGER);
  const num = fc.oneof(fc.double(), fc.integer(), special);
  const f32 = fc.array(fc.oneof(fc.float(), special), { maxLength: 70 }).map((a) => Float32Array.from(a));
  const u32 = fc.array(fc.oneof(fc.nat(), fc.constant(0xffffffff)), { maxLength: 40 }).map((a) => Uint32Array.from(a));
  const values = fc.oneof(
    fc.anything({ maxDepth: 2 }),
    num,
    f32,
    u32,
    fc.uint8Array({ maxLength: 200 }),
    fc.constantFrom('l2', 'ip', 'cosine', 'int8', 'FAJ 121 0001', '', undefined, null, { dim: 65537, metric: 'l2' }),
    fc.record({ dim: num, metric: fc.constantFrom('l2', 'cosine', 'x'), M: num, quantization: fc.string() }),
  );
  return fc.oneof(
    { weight: 6, arbitrary: values.map((value): Recipe => ({ value })) },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom('cyclic', 'proxy', 'sparse', 'longString', 'hugeLength')
        .map((m): Recipe => ({ make: m as 'cyclic' })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('dim', 'length', 'metric', 'name', 'features', 'then', 'buffer')
        .map((key): Recipe => ({ make: 'throwing', key })),
    },
  );
}

const CODES = new Set<string>(ErrorCodes);

/** Calls fn, classifying the outcome; anything but a success or a coded ElexError fails the property. */
function settle(what: string, fn: () => unknown): 'ok' | string {
  const t0 = performance.now();
  let outcome: string;
  try {
    const r = fn();
    if (r instanceof Promise) throw new Error(`${what} returned a promise (the bindings are synchronous)`);
    outcome = 'ok';
  } catch (e) {
    if (!(e instanceof ElexError) || !CODES.has(e.code))
      throw new Error(`${what} threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    outcome = e.code;
  }
  const ms = performance.now() - t0;
  if (ms > HANG_MS) throw new Error(`${what} took ${Math.round(ms)} ms`);
  return outcome;
}

let b: Bindings;
let ix: IndexHandle;
const stats = { calls: 0, ok: 0, codes: {} as Record<string, number> };

beforeAll(async () => {
  b = await instantiate({ variant: 'simd' });
  ix = b.createIndex({ dim: 4, metric: 'l2' });
  ix.add([1, 2, 3], seeded(12, 1));
  b.decide('FAJ 121 0001', 1, {}, 0);
});
afterAll(() => {
  console.log(`hostile input: ${JSON.stringify(stats)}`);
  b.close();
});

/** The bindings still compute: a known distance. */
function healthy(): void {
  expect(b.distance('l2', new Float32Array([1, 2]), new Float32Array([4, 6]))).toBe(25);
}

type Method = [name: string, call: (args: unknown[]) => unknown];
const any = (x: unknown) => x as never;

/** Public methods of the bindings and their handles, each fed the generated arguments. */
const METHODS: Method[] = [
  ['distance', ([m, x, y]) => b.distance(any(m), any(x), any(y))],
  ['distanceBatch', ([input]) => b.distanceBatch(any(input))],
  ['distanceBatch {fields}', ([q, v, d, m]) => b.distanceBatch(any({ queries: q, vectors: v, dim: d, metric: m }))],
  ['encodeVectors', ([x, d]) => b.encodeVectors(any(x), any(d))],
  ['decodeVectors', ([x]) => b.decodeVectors(any(x))],
  [
    'createIndex',
    ([o]) => {
      const h = b.createIndex(any(o));
      h.close();
    },
  ],
  [
    'loadIndex',
    ([x]) => {
      const h = b.loadIndex(any(x));
      h.close();
    },
  ],
  ['index.add', ([ids, v]) => ix.add(any(ids), any(v))],
  ['index.search', ([q, k, o]) => ix.search(any(q), any(k), any(o))],
  ['index.remove', ([ids]) => ix.remove(any(ids))],
  ['configureLearning', ([o]) => b.configureLearning(any(o))],
  ['decide', ([c, q, s, f]) => b.decide(any(c), any(q), any(s), any(f))],
  ['feedback', ([c, q, r]) => b.feedback(any(c), any(q), any(r))],
  ['agentValues', ([c, s]) => b.agentValues(any(c), any(s))],
  ['agentInfo', ([c]) => b.agentInfo(any(c))],
  ['exportAgent', ([c]) => b.exportAgent(any(c))],
  ['importAgent', ([r, e]) => b.importAgent(any(r), any(e))],
  ['verifySnapshot', ([x]) => b.verifySnapshot(any(x))],
  ['tokenize', ([t]) => b.tokenize(any(t))],
  [
    'createEmbedder+fit+embed',
    ([d, texts, q]) => {
      const e = b.createEmbedder(any(d));
      try {
        e.fit(any(texts));
        e.embed(any(q));
      } finally {
        e.close();
      }
    },
  ],
  ['checkCatalog', ([c]) => checkCatalog(any(c))],
  ['loadCatalog', ([c]) => loadCatalog(any(c))],
];

describe('hostile input to every public same-thread method', () => {
  for (const [name, fn] of METHODS) {
    test(name, () => {
      // What is saved: an index's bytes and an agent's record.
      let savedIndex = ix.save();
      let savedAgent = b.exportAgent('FAJ 121 0001');
      fc.assert(
        fc.property(fc.array(hostile(), { minLength: 0, maxLength: 4 }), (recipes) => {
          stats.calls++;
          const args = recipes.map(make);
          const outcome = settle(name, () => fn(args));
          healthy();
          if (outcome === 'ok') {
            stats.ok++;
            // A success may change them (an add, a decide): the new state is the reference.
            savedIndex = ix.save();
            savedAgent = b.exportAgent('FAJ 121 0001');
          } else {
            stats.codes[outcome] = (stats.codes[outcome] ?? 0) + 1;
            // A failed call changed nothing that is saved.
            expect(ix.save()).toEqual(savedIndex);
            expect(b.exportAgent('FAJ 121 0001')).toEqual(savedAgent);
          }
        }),
        { seed: SEED, numRuns: RUNS },
      );
    });
  }
});
