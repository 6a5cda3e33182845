/** The catalog loader: problems with JSON paths, minimal catalogs, the generator. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, test } from 'vitest';
import { resolveCatalog } from '../../ts/api/engine-query.ts';
import fc from 'fast-check';
import { checkCatalog, duplicateMember, loadCatalog } from '../../ts/host/catalog.ts';
import { ElexError } from '../../ts/core/errors.ts';
import { badCatalog } from './helpers.ts';
import { generateCatalog, TARGET } from '../../scripts/catalog-generator.mjs';

test('the default catalog has the sizes the design names and loads clean', () => {
  const c = generateCatalog();
  expect(c.features.length).toBe(TARGET.features);
  expect(c.parameters.length).toBe(TARGET.parameters);
  expect(c.counters.length).toBe(TARGET.counters);
  expect(c.kpis.length).toBe(TARGET.kpis);
  expect(new Set(c.features.map((f: { category: string }) => f.category)).size).toBe(16);
  expect(checkCatalog(c)).toEqual([]);
  const loaded = loadCatalog(c);
  expect(loaded.stats).toMatchObject({ features: 593, parameters: 9432, counters: 3368, kpis: 199, categories: 16 });
  // Deterministic: the same seed, the same catalog.
  expect(JSON.stringify(generateCatalog())).toBe(JSON.stringify(c));
  expect(loadCatalog(generateCatalog()).fingerprint).toBe(loaded.fingerprint);
  // Items shared between features are linked both ways.
  const shared = [...loaded.parameters.values()].filter((p) => (p.features?.length ?? 0) > 1);
  expect(shared.length).toBeGreaterThan(0);
});

test('a catalog of identifiers only loads; names a feature lists become entries', () => {
  const minimal = {
    features: [
      {
        code: 'FAJ 121 0001',
        category: 'Mobility',
        parameters: ['EUtranCellRelation.cellIndividualOffset'],
        counters: ['EUtranCellFDD.pmHoExeSucc'],
      },
      { code: 'FAJ 121 0002' },
    ],
  };
  const c = loadCatalog(minimal);
  expect(c.stats).toMatchObject({ features: 2, parameters: 1, counters: 1, kpis: 0 });
  expect(c.parameters.get('EUtranCellRelation.cellIndividualOffset')!.features).toEqual(['FAJ 121 0001']);
});

test('every problem is reported with its JSON path', () => {
  const bad = badCatalog();
  const paths = checkCatalog(bad).map((p) => p.path);
  expect(paths).toEqual(
    expect.arrayContaining([
      '$.version',
      '$.features[1].code',
      '$.features[2].code',
      '$.features[3]',
      '$.features[0].dependencies[0]',
      '$.parameters[0].name',
      '$.parameters[0].range',
      '$.parameters[0].safe',
      '$.parameters[0].safe.maxChange',
      '$.parameters[1].type',
      '$.parameters[1].features[0]',
      '$.kpis[0].direction',
      '$.kpis[0].threshold',
    ]),
  );
  expect(checkCatalog(null)[0]!.path).toBe('$');
  expect(checkCatalog({ features: [] })[0]!.path).toBe('$.features');
  try {
    loadCatalog(bad, 'my catalog');
    expect.unreachable();
  } catch (e) {
    expect(e).toBeInstanceOf(ElexError);
    expect((e as ElexError).code).toBe('INVALID_ARGUMENT');
    expect((e as ElexError).message).toContain('$.features[1].code');
    expect((e as ElexError & { problems: unknown[] }).problems.length).toBeGreaterThan(10);
  }
});

test('the committed JSON schema states the same required fields', () => {
  const schema = JSON.parse(readFileSync(new URL('../../catalog/catalog.schema.json', import.meta.url), 'utf8'));
  expect(schema.required).toEqual(['features']);
  expect(schema.$defs.feature.required).toEqual(['code']);
  expect(schema.$defs.parameter.required).toEqual(['name']);
  expect(new RegExp(schema.$defs.feature.properties.code.pattern).test('FAJ 121 3094')).toBe(true);
});

test('a KPI formula is checked when the catalog loads, with its JSON path', () => {
  const withFormula = (formula: string) => ({
    features: [{ code: 'FAJ 121 0001' }],
    counters: [{ name: 'A.pmX' }, { name: 'A.pmY' }],
    kpis: [{ name: 'k', formula }],
  });
  for (const formula of ['1 / / A.pmX', 'A.pmX +', '(A.pmX', 'A.pmX)', 'A.pmX A.pmY', '2 (A.pmX)', 'A.pmX $ 2', '']) {
    const problems = checkCatalog(withFormula(formula));
    expect(
      problems.map((p) => p.path),
      formula,
    ).toEqual(['$.kpis[0].formula']);
  }
  for (const formula of ['100 * A.pmX / A.pmY', '-A.pmX - -2', '(A.pmX + A.pmY) / 900', '1e3 * A.pmX'])
    expect(checkCatalog(withFormula(formula)), formula).toEqual([]);
  expect(() => loadCatalog(withFormula('1 / / A.pmX'))).toThrow(ElexError);
});

test('a catalog that is not JSON data (a cycle, a getter that throws) is a coded error, not a TypeError', () => {
  const cyclic: Record<string, unknown> = { features: [{ code: 'FAJ 121 0001' }] };
  (cyclic.features as Record<string, unknown>[])[0]!.self = cyclic;
  const thrown = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return e;
    }
    return null;
  };
  const e1 = thrown(() => loadCatalog(cyclic));
  expect(e1).toBeInstanceOf(ElexError);
  expect((e1 as ElexError).code).toBe('INVALID_ARGUMENT');
  const getter = {
    get features(): unknown {
      throw new Error('boom');
    },
  };
  expect(checkCatalog(getter)).toEqual([{ path: '$', message: expect.stringContaining('boom') }]);
  const e2 = thrown(() => loadCatalog(getter));
  expect((e2 as ElexError).code).toBe('INVALID_ARGUMENT');
});

test('a catalog file: URL that starts with a UTF-8 byte order mark loads, as one fetched over HTTP does', async () => {
  // fetch()'s text() strips the mark; Node's readFile(…, 'utf8') keeps it,
  // and JSON.parse() refused the file ("Unexpected token").
  const dir = mkdtempSync(join(tmpdir(), 'elex-bom-'));
  try {
    const file = join(dir, 'catalog.json');
    writeFileSync(file, '\uFEFF' + JSON.stringify({ features: [{ code: 'FAJ 121 0001', parameters: ['A.b'] }] }));
    const loaded = await resolveCatalog(pathToFileURL(file));
    expect(loaded.stats).toMatchObject({ features: 1, parameters: 1 });
    writeFileSync(file, '\uFEFF\uFEFF{"features": [{"code": "FAJ 121 0001"}]}');
    await expect(resolveCatalog(pathToFileURL(file))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a parameter default that is not a number, boolean or string is a problem, as the schema says', () => {
  const withDefault = (d: unknown) => ({
    features: [{ code: 'FAJ 121 0001' }],
    parameters: [{ name: 'A.b', default: d }],
  });
  for (const d of [null, [], {}, [1], { value: 1 }, NaN, Infinity])
    expect(checkCatalog(withDefault(d)), String(JSON.stringify(d))).toEqual([
      { path: '$.parameters[0].default', message: 'must be a number, boolean or string' },
    ]);
  for (const d of [0, -1.5, true, false, 'ON', '']) expect(checkCatalog(withDefault(d))).toEqual([]);
  const schema = JSON.parse(readFileSync(new URL('../../catalog/catalog.schema.json', import.meta.url), 'utf8'));
  expect(schema.$defs.parameter.properties.default.type).toEqual(['number', 'boolean', 'string']);
});

test('a range of numbers written as strings says so, not "min <= max"', () => {
  // A converted spreadsheet gives ["0", "10"]: the message said "with min <= max",
  // which the range is, and not that its bounds must be numbers.
  const withRange = (r: unknown) =>
    checkCatalog({ features: [{ code: 'FAJ 121 0001' }], parameters: [{ name: 'A.b', range: r }] });
  for (const r of [['0', '10'], [0], [0, 1, 2], [0, null], [0, Infinity], '0..10', { min: 0, max: 10 }])
    expect(withRange(r), JSON.stringify(r)).toEqual([
      { path: '$.parameters[0].range', message: 'must be [min, max]: an array of two finite numbers' },
    ]);
  expect(withRange([10, 0])).toEqual([
    { path: '$.parameters[0].range', message: 'must be [min, max] with min <= max' },
  ]);
  expect(withRange([0, 0])).toEqual([]);
});

test('a KPI formula over a counter the catalog does not have is a problem (monitor() refuses that counter)', () => {
  // monitor() takes only the catalog's counters in a batch, so such a KPI could
  // never be computed; the catalog loaded, and the KPI was silently never evaluated.
  const c = (formula: string) =>
    checkCatalog({
      features: [{ code: 'FAJ 121 0001', counters: ['A.pmListed'] }],
      counters: [{ name: 'A.pmDefined' }],
      kpis: [{ name: 'K', formula }],
    });
  expect(c('100 * A.pmListed / A.pmDefined')).toEqual([]);
  expect(c('2 * A.pmListed - 1')).toEqual([]);
  expect(c('A.pmListed / (A.pmTypo + A.pmOther)')).toEqual([
    {
      path: '$.kpis[0].formula',
      message: 'counter "A.pmTypo" is not in the catalog: define it under counters or list it in a feature\'s counters',
    },
  ]);
  // The default catalog's formulas are all over its counters.
  expect(
    checkCatalog(JSON.parse(readFileSync(new URL('../../build/catalog/default.json', import.meta.url), 'utf8'))),
  ).toEqual([]);
});

test('the catalog name and seed are checked as the schema states them; unknown properties of a glossary entry are ignored', () => {
  // The schema said name: a non-empty string, seed: an integer; checkCatalog()
  // took any value. It said a glossary entry has no other properties, where
  // checkCatalog() (and docs/catalog.md) ignore properties they do not know.
  const schema = JSON.parse(readFileSync(new URL('../../catalog/catalog.schema.json', import.meta.url), 'utf8'));
  // And (like every text field, and parameter names) at most 4,096 characters.
  expect(schema.properties.name).toMatchObject({ type: 'string', minLength: 1, maxLength: 4096 });
  expect(schema.$defs.parameter.properties.name.maxLength).toBe(4096);
  expect(
    checkCatalog({ features: [{ code: 'FAJ 121 0001' }], parameters: [{ name: 'A.' + 'b'.repeat(4095) }] }),
  ).toEqual([{ path: '$.parameters[0].name', message: 'must be a non-empty string (at most 4096 characters)' }]);
  expect(schema.properties.seed.type).toBe('integer');
  expect(schema.$defs.glossaryEntry.additionalProperties).toBeUndefined();
  const c = (extra: object) => checkCatalog({ features: [{ code: 'FAJ 121 0001' }], ...extra });
  for (const name of ['', 5, null, ['x'], 'x'.repeat(4097)])
    expect(c({ name }), JSON.stringify(name)).toEqual([
      { path: '$.name', message: 'must be a non-empty string (at most 4096 characters)' },
    ]);
  for (const seed of [1.5, '7', null, true, NaN])
    expect(c({ seed }), String(seed)).toEqual([{ path: '$.seed', message: 'must be an integer' }]);
  expect(c({ name: 'My network', seed: -3, glossary: [{ term: 'a', means: 'b', note: 'x' }] })).toEqual([]);
});

test('catalog JSON text with a duplicate member name is refused, as elex-cli refuses it', async () => {
  // JSON.parse() keeps the last of two "parameters" lists (a hand-merged file)
  // and the first was dropped silently; elex-cli refused the file.
  const dir = mkdtempSync(join(tmpdir(), 'elex-dup-'));
  try {
    const file = join(dir, 'catalog.json');
    writeFileSync(
      file,
      '{"features": [{"code": "FAJ 121 0001", "parameters": ["A.b"]}], "parameters": [{"name": "A.b", "range": [0, 1]}],\n' +
        ' "parameters": [{"name": "A.c"}]}',
    );
    await expect(resolveCatalog(pathToFileURL(file))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('duplicate member name "parameters" at $.parameters') as string,
    });
    writeFileSync(file, '{"features": [{"code": "FAJ 121 0001", "name": "a", "na\\u006de": "b"}]}');
    await expect(resolveCatalog(pathToFileURL(file))).rejects.toMatchObject({
      message: expect.stringContaining('duplicate member name "name" at $.features[0].name') as string,
    });
    // The same key in different objects, and keys inside strings, are fine.
    writeFileSync(
      file,
      '{"features": [{"code": "FAJ 121 0001", "name": "\\"name\\": {"}, {"code": "FAJ 121 0002", "name": "x"}]}',
    );
    expect((await resolveCatalog(pathToFileURL(file))).stats.features).toBe(2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('duplicateMember() finds no duplicate in JSON.stringify() output, and finds one spliced in', () => {
  fc.assert(
    fc.property(fc.json({ maxDepth: 4 }), (text) => {
      expect(duplicateMember(text)).toBeNull();
      const spliced = `{"k\\u0020": 1, "a": ${text}, "k ": 2}`;
      expect(duplicateMember(spliced)).toEqual({ path: '$.k ', name: 'k ' });
    }),
    { numRuns: 300, seed: 7 },
  );
});

test('a KPI formula nested deeper than the monitor stack (32 values) is a problem when the catalog loads', () => {
  // It loaded, and then every monitor() call failed ("KPI 0: stack overflow"),
  // for all KPIs of the batch, not only that one.
  const nest = (n: number) => 'A.pmX + ('.repeat(n) + 'A.pmX' + ')'.repeat(n);
  const c = (formula: string) =>
    checkCatalog({ features: [{ code: 'FAJ 121 0001', counters: ['A.pmX'] }], kpis: [{ name: 'K', formula }] });
  expect(c(nest(31))).toEqual([]);
  expect(c(nest(32))).toEqual([
    {
      path: '$.kpis[0].formula',
      message: `KPI formula "${nest(32)}" is nested too deeply: evaluating it needs more than 32 values at once`,
    },
  ]);
  // Long flat formulas are fine: a sum of 500 counters needs two values at once.
  expect(c(Array(500).fill('A.pmX').join(' + '))).toEqual([]);
  expect(c('-'.repeat(100) + 'A.pmX')).toEqual([]);
});

test('a feature code that is there but malformed is not reported as missing', () => {
  // "faj 121 3094", "FAJ-121-3094", "FAJ 121 3094 R2" were all "is required: …",
  // which reads as if the field were missing.
  const c = (code?: unknown) => checkCatalog({ features: [code === undefined ? {} : { code }] });
  expect(c()).toEqual([{ path: '$.features[0].code', message: 'is required: a feature code such as "FAJ 121 3094"' }]);
  for (const code of ['faj 121 3094', 'FAJ-121-3094', 'FAJ 121 3094 R2', 'FAJ 121 3094 ', '', 1213094, null])
    expect(c(code), String(code)).toEqual([
      {
        path: '$.features[0].code',
        message:
          'must be a feature code such as "FAJ 121 3094": 2 to 5 capitals, then groups of 2 to 4 and 2 to 5 digits, optionally "/n"',
      },
    ]);
});

test('an array with holes (built in code, not JSON) is a problem at the hole, never a TypeError from loadCatalog', () => {
  // checkCatalog() skipped the holes (forEach does) and said []; loadCatalog()
  // then threw "TypeError: Iterator value undefined is not an entry object".
  const features: unknown[] = [{ code: 'FAJ 121 0001', parameters: ['A.b'] }];
  features[2] = { code: 'FAJ 121 0002' };
  expect(checkCatalog({ features })).toEqual([{ path: '$.features[1]', message: 'must be an object' }]);
  const parameters: unknown[] = [];
  parameters[1] = { name: 'A.b' };
  const values: unknown[] = ['ON'];
  values[2] = 'OFF';
  const range: unknown[] = [0];
  range.length = 2;
  const deps: unknown[] = [];
  deps.length = 1;
  const problems = checkCatalog({
    features: [{ code: 'FAJ 121 0001', dependencies: deps }],
    parameters: [{ name: 'A.c', values, range }],
  });
  expect(problems).toEqual([
    { path: '$.features[0].dependencies[0]', message: 'is required' },
    { path: '$.parameters[0].range', message: 'must be [min, max]: an array of two finite numbers' },
    { path: '$.parameters[0].values[1]', message: 'is required' },
  ]);
  expect(checkCatalog({ features: [{ code: 'FAJ 121 0001' }], parameters })).toEqual([
    { path: '$.parameters[0]', message: 'must be an object' },
  ]);
  for (const input of [{ features }, { features: [{ code: 'FAJ 121 0001' }], parameters }])
    expect(() => loadCatalog(input)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as Error);
});

test('two feature codes that differ only in their spaces are one code: the second is a duplicate', () => {
  // A question names "FAJ 121 3094" and "FAJ1213094" alike (the router
  // matches a code with or without its spaces), so a catalog holding both
  // had two features that every mention of either hit.
  const c = {
    features: [
      { code: 'FAJ 121 3094', name: 'MIMO Sleep Mode' },
      { code: 'FAJ 121 3095' },
      { code: 'FAJ1213094', name: 'MIMO Sleep Mode again' },
      { code: 'FAJ 1213095' },
      { code: 'FAJ 121 3094/2' },
    ],
  };
  expect(checkCatalog(c)).toEqual([
    {
      path: '$.features[2].code',
      message:
        'duplicate feature code "FAJ1213094": $.features[0] is "FAJ 121 3094", the same code with other spacing (a question names both alike)',
    },
    {
      path: '$.features[3].code',
      message:
        'duplicate feature code "FAJ 1213095": $.features[1] is "FAJ 121 3095", the same code with other spacing (a question names both alike)',
    },
  ]);
  expect(() => loadCatalog(c)).toThrow(/\$\.features\[2\]\.code: duplicate feature code "FAJ1213094"/);
});

test('an item name with a space at its start or end is a problem where nothing else reports it', () => {
  // Pasted from a spreadsheet, "MimoSleepFunction.sleepStartTime " in a
  // feature's list became a bare parameter of its own (no type, range or
  // safe zone on the card), and the defined parameter belonged to no
  // feature: silently.
  const c = {
    features: [
      {
        code: 'FAJ 121 3094',
        parameters: ['MimoSleepFunction.sleepStartTime ', 'MimoSleepFunction.sleepMode'],
        counters: ['\u00a0MimoSleepFunction.pmMimoSleepTime'],
        kpis: ['MIMO Sleep Ratio\t'],
      },
    ],
    parameters: [{ name: 'MimoSleepFunction.sleepStartTime', type: 'int', range: [0, 1439] }],
    counters: [{ name: 'A.pmB\n' }],
    kpis: [{ name: ' MIMO Sleep Ratio' }, { name: 'Inner  spaces are fine' }],
  };
  const message = 'must not start or end with a space: names are matched as written';
  // The schema says the same of a name.
  const schema = JSON.parse(readFileSync(new URL('../../catalog/catalog.schema.json', import.meta.url), 'utf8'));
  const pattern = new RegExp(schema.$defs.name.pattern as string, 'u');
  for (const name of ['A.b ', '\u00a0A.b', 'K\t', ' K', 'A.pmB\n', '\u3000'])
    expect(
      pattern.test(name) || checkCatalog({ features: [{ code: 'FAJ 121 0001', kpis: [name] }] }).length === 0,
    ).toBe(false);
  for (const name of ['A.b', 'K', 'Inner  spaces are fine', 'Ké', 'A\nB', 'K\u200b'])
    expect(
      pattern.test(name) && checkCatalog({ features: [{ code: 'FAJ 121 0001', kpis: [name] }] }).length === 0,
    ).toBe(true);
  expect(checkCatalog(c)).toEqual([
    { path: '$.features[0].parameters[0]', message },
    { path: '$.features[0].counters[0]', message },
    { path: '$.features[0].kpis[0]', message },
    { path: '$.counters[0].name', message },
    { path: '$.kpis[0].name', message },
  ]);
});
