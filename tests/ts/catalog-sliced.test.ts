/**
 * Catalogs load in slices that yield to the event loop (the page stays
 * responsive): the sliced parse, copy, check, link and fingerprint give
 * exactly what the one-task path gives, and the same errors.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, test } from 'vitest';
import fc from 'fast-check';
import { resolveCatalog } from '../../ts/api/engine-query.ts';
import {
  duplicateMember,
  jsonOf,
  loadCatalog,
  loadParsedCatalog,
  parseCatalogText,
  stringifyCatalog,
  type Catalog,
} from '../../ts/host/catalog.ts';
import { generateCatalog } from '../../scripts/catalog-generator.mjs';
import { validatorTables, warmValidatorTables } from '../../ts/host/ran-ops.ts';

/** A catalog of `n` features with items, dependencies and a glossary. */
function generated(n: number) {
  const features = Array.from({ length: n }, (_, i) => ({
    code: `GEN 100 ${String(i).padStart(4, '0')}`,
    name: `Feature ${i}`,
    category: `C${i % 5}`,
    dependencies: i % 3 === 2 ? [`GEN 100 ${String(i - 1).padStart(4, '0')}`] : [],
    parameters: [`Mo.p${i}`, `Mo.p${i + 1}`],
    counters: [`Mo.pmC${i}`],
    kpis: i % 4 ? [] : [`K${i}`],
  }));
  return {
    format: 'elex-catalog',
    version: 1,
    name: 'gen',
    features,
    parameters: features.map((f, i) => ({ name: `Mo.p${i}`, features: [f.code], range: [0, i + 1], type: 'int' })),
    counters: features.map((_, i) => ({ name: `Mo.pmC${i}`, unit: 'count' })),
    kpis: features.filter((_, i) => i % 4 === 0).map((_, j) => ({ name: `K${j * 4}`, formula: `Mo.pmC${j * 4} * 2` })),
    glossary: [{ term: 'ab', means: 'a b' }],
  };
}

/** The one-task path of a text: JSON.parse(), then duplicateMember(). */
function atOnce(text: string): { value: unknown; dup: ReturnType<typeof duplicateMember> } | string {
  try {
    return { value: JSON.parse(text) as unknown, dup: duplicateMember(text) };
  } catch (e) {
    return (e as Error).message;
  }
}

test('parseCatalogText() gives JSON.parse() and the first duplicate member, or null for what is not JSON', async () => {
  const c = generated(300);
  const texts = [
    JSON.stringify(c),
    JSON.stringify(c, null, 2),
    JSON.stringify(c).replace('"name":"Feature 7"', '"name":"Feature 7","name":"again"'),
    JSON.stringify(c).replace('"format"', '"features":[],"format"'),
    JSON.stringify({ features: [1, 'a', null, true, [], {}], x: { a: { b: 1 } } }).replace('"b":1', '"b":1,"b":2'),
    '{"features":[{"code":"FAJ 121 3094","name":"\\u0041\\"q"}],"__proto__":{"a":1}}',
    '  {  }  ',
    '{"features":[{"a":1} {"b":2}]}',
    '{"features":[{"a":1},]}',
    '{"features":[{"a":1}]',
    '{"features":[{"a":"x}]}',
    '{"features":[tru]}',
    '{"features":[1]} x',
    '[1,2]',
    '"text"',
    '',
    '{"a":1,"a":2}',
  ];
  for (const text of texts) {
    const want = atOnce(text);
    const got = await parseCatalogText(text);
    if (typeof want === 'string') expect(got, text.slice(0, 60)).toBeNull();
    else if (got) {
      expect(got.value).toEqual(want.value);
      expect(JSON.stringify(got.value)).toBe(JSON.stringify(want.value));
      expect(got.dup).toEqual(want.dup);
    } else expect(text.trim().startsWith('{')).toBe(false); // only a non-object falls back when it is JSON
  }
});

test('parseCatalogText() agrees with JSON.parse() on arbitrary JSON objects, spaced or not', async () => {
  await fc.assert(
    fc.asyncProperty(fc.dictionary(fc.string(), fc.jsonValue()), fc.boolean(), async (obj, spaced) => {
      const text = JSON.stringify(obj, null, spaced ? 1 : undefined);
      const got = await parseCatalogText(text);
      expect(got).not.toBeNull();
      expect(JSON.stringify(got!.value)).toBe(JSON.stringify(JSON.parse(text)));
      expect(got!.dup).toBeNull();
    }),
    { numRuns: 200 },
  );
});

test('stringifyCatalog() gives jsonOf() and its parse, or null where jsonOf() decides (toJSON, cycles, BigInt)', async () => {
  const c = generated(200) as Record<string, unknown>;
  c.skip = undefined;
  c.fn = () => 1;
  (c.features as unknown[]).push(undefined as unknown);
  const got = await stringifyCatalog(c);
  expect(got!.text).toBe(jsonOf(c, 'x'));
  expect(got!.value).toEqual(JSON.parse(jsonOf(c, 'x')));
  const cycle = generated(3) as Record<string, unknown>;
  (cycle.features as Record<string, unknown>[])[1]!.self = cycle;
  expect(await stringifyCatalog(cycle)).toBeNull();
  expect(() => jsonOf(cycle, 'the catalog')).toThrow(/not JSON data/);
  expect(await stringifyCatalog({ features: [{ code: 1n }] })).toBeNull();
  expect(await stringifyCatalog({ features: [], toJSON: () => ({}) })).toBeNull();
  expect(await stringifyCatalog(new Map())).toBeNull();
  await fc.assert(
    fc.asyncProperty(fc.dictionary(fc.string(), fc.jsonValue()), async (obj) => {
      const r = await stringifyCatalog(obj);
      expect(r!.text).toBe(JSON.stringify(obj));
    }),
    { numRuns: 200 },
  );
});

test('loadParsedCatalog() gives loadCatalog(): stats, fingerprint, items, links, and the same problems', async () => {
  for (const c of [generateCatalog(), generated(500)]) {
    const parsed = JSON.parse(JSON.stringify(c)) as unknown;
    const want = loadCatalog(JSON.parse(JSON.stringify(c)) as unknown, 'x');
    const got = await loadParsedCatalog(parsed, 'x');
    expect(got.fingerprint).toBe(want.fingerprint);
    expect(got.stats).toEqual(want.stats);
    expect([...got.parameters]).toEqual([...want.parameters]);
    expect([...got.counters]).toEqual([...want.counters]);
    expect([...got.kpis]).toEqual([...want.kpis]);
    expect([...got.features.keys()]).toEqual([...want.features.keys()]);
  }
  const bad = generated(100) as { features: { code: string; dependencies: string[] }[] };
  bad.features[70]!.code = 'nope';
  bad.features[90]!.dependencies = ['FAJ 999 9999'];
  let want: unknown;
  try {
    loadCatalog(JSON.parse(JSON.stringify(bad)) as unknown, 'the catalog');
  } catch (e) {
    want = e;
  }
  const got = await loadParsedCatalog(JSON.parse(JSON.stringify(bad)) as unknown, 'the catalog').catch(
    (e: unknown) => e,
  );
  expect(want).toBeDefined();
  expect(got).toMatchObject({ code: 'INVALID_ARGUMENT', message: (want as Error).message });
  expect((got as { problems: unknown }).problems).toEqual((want as { problems: unknown }).problems);
});

test('resolveCatalog() keeps its errors and results for a file, an object and the default catalog', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'elex-sliced-'));
  try {
    const c = generated(50);
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify(c, null, 2));
    const byUrl = await resolveCatalog(pathToFileURL(file));
    const byObject = await resolveCatalog(c as Catalog);
    expect(byUrl.fingerprint).toBe(loadCatalog(c).fingerprint);
    expect(byObject.fingerprint).toBe(byUrl.fingerprint);
    expect(byObject.json).toBe(JSON.stringify(c));
    const def = await resolveCatalog();
    expect(def.fingerprint).toBe(loadCatalog(generateCatalog()).fingerprint);
    expect(def.json).toBe(JSON.stringify(generateCatalog()));
    const cases: [string, RegExp][] = [
      ['{"features":[{"code":"FAJ 121 3094"},]}', /is not JSON: .*(Unexpected|Expected)/],
      [
        '{"features":[{"code":"FAJ 121 3094","code":"FAJ 121 3095"}]}',
        /duplicate member name "code" at \$\.features\[0\]\.code/,
      ],
      ['{"features":[{"code":"bad"}]}', /is not a valid ELEX catalog: \$\.features\[0\]\.code: must be a feature code/],
      ['[]', /is not a valid ELEX catalog: \$: a catalog is a JSON object/],
    ];
    for (const [text, message] of cases) {
      writeFileSync(file, text);
      await expect(resolveCatalog(pathToFileURL(file))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a large catalog loads in slices: the event loop runs meanwhile, no slice is long', async () => {
  const text = JSON.stringify(generated(4000));
  /** The longest gap of a 1 ms interval while the catalog loads, and the interval's ticks. */
  const load = async () => {
    let ticks = 0;
    let longest = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
      ticks++;
    }, 1);
    try {
      const parsed = await parseCatalogText(text);
      const loaded = await loadParsedCatalog(parsed!.value, 'x');
      expect(loaded.stats.features).toBe(4000);
    } finally {
      clearInterval(timer);
    }
    return { ticks, longest };
  };
  // The quietest of up to 3 loads: other work on the machine stretches a gap
  // too (240 ms once in a full run at a load of 15 on 2 cores), while a load
  // in one piece is over the bound every time.
  let best = await load();
  for (let i = 1; i < 3 && best.longest >= 200; i++) {
    const again = await load();
    if (again.longest < best.longest) best = again;
  }
  expect(best.ticks).toBeGreaterThan(3);
  expect(best.longest).toBeLessThan(200); // generous: slices are ~8 ms
});

test("validate()'s parameter table made in slices ahead of time is the one validatorTables() gives", async () => {
  const a = loadCatalog(generated(600));
  const b = loadCatalog(generated(600));
  await warmValidatorTables(a);
  const warm = validatorTables(a);
  expect(validatorTables(a)).toBe(warm); // cached
  const direct = validatorTables(b);
  expect(warm.kinds).toEqual(direct.kinds);
  expect(warm.bounds).toEqual(direct.bounds);
  expect(warm.cooldownMs).toEqual(direct.cooldownMs);
  // Made by a call while the warm-up runs: the warm-up keeps the call's table.
  const c = loadCatalog(generated(600));
  const warming = warmValidatorTables(c);
  const first = validatorTables(c);
  await warming;
  expect(validatorTables(c)).toBe(first);
});
