/**
 * The native command-line tool (build/native/elex-cli, tools/elex_cli.cpp)
 * against the browser's code on the same input:
 *   - catalog checks: hand-made bad catalogs, mutations of the default
 *     catalog and fast-check catalogs with hostile leaves go through the
 *     C++ checks (elex-cli check) and checkCatalog(); the problems (path and
 *     message, in order) must be the same, and so must the loaded stats;
 *   - routing: the facts questions over ../shared/data/ran-feature-facts.json
 *     (skipped when absent) and the synthetic set over the default catalog
 *     go through elex-cli route and the wasm router (RanHost, `simd`
 *     variant); the top-5 codes must be the same, scores within 1e-6;
 *   - validation and monitoring: seeded changes (elex-cli validate) and two
 *     seeded counter batches (elex-cli monitor) over the default catalog,
 *     against the engine validator fed by prepareValidation() and
 *     RanHost.monitor(), the code behind validate() and monitor(): the same
 *     verdicts and reasons, the same KPI figures bit for bit.
 * Needs the native build (bash scripts/test-native.sh) and the wasm build;
 * skipped without the CLI. FC_SEED / FC_RUNS vary the generated catalogs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { badCatalog, openHost } from './helpers.ts';
import { instantiate, type Bindings } from '../../ts/bindings/bindings.ts';
import { checkCatalog, loadCatalog, type CatalogProblem } from '../../ts/host/catalog.ts';
import { checkQuestion, featureCard, RanHost } from '../../ts/host/ran-host.ts';
import { VALIDATE_CALLER_CHECKED, VALIDATE_RECORD } from '../../ts/bindings/bindings.ts';
import { CellIds, prepareValidation, validationResults, validatorTables } from '../../ts/host/ran-ops.ts';
import { mulberry32 } from '../../scripts/mulberry32.mjs';
import type { AgentHost } from '../../ts/host/agent-host.ts';
import type { KpiSummary } from '../../ts/api/engine-query.ts';

const root = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const cli = root('build/native/elex-cli');
const hasCli = existsSync(cli);
const factsPath = root('../shared/data/ran-feature-facts.json');
const defaultPath = root('build/catalog/default.json');
const SEED = Number(process.env.FC_SEED ?? 1515);
const RUNS = Number(process.env.FC_RUNS ?? 300);

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'elex-cli-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface CheckLine {
  file: string;
  ok: boolean;
  problems: CatalogProblem[];
  stats?: { features: number; parameters: number; counters: number; kpis: number; categories: number };
}

/** elex-cli check over JSON texts: one result per text, in order. */
function nativeCheck(texts: string[]): CheckLine[] {
  const files = texts.map((t, i) => {
    const f = join(dir, `c${i}.json`);
    writeFileSync(f, t);
    return f;
  });
  let out: string;
  try {
    out = execFileSync(cli, ['check', ...files], { encoding: 'utf8', maxBuffer: 1 << 28 });
  } catch (e) {
    // Exit 1 when any catalog has problems; the lines are still printed.
    const err = e as { status?: number; stdout?: string };
    if (err.status !== 1 || typeof err.stdout !== 'string') throw e;
    out = err.stdout;
  }
  const lines = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as CheckLine);
  expect(lines.map((l) => l.file)).toEqual(files);
  return lines;
}

/** Compares the C++ and TS checks on every text; returns how many had problems. */
function agree(texts: string[]): number {
  const native = nativeCheck(texts);
  let bad = 0;
  texts.forEach((text, i) => {
    const ts = checkCatalog(JSON.parse(text));
    const got = native[i]!;
    expect(got.problems, text.slice(0, 400)).toEqual(ts);
    expect(got.ok).toBe(ts.length === 0);
    if (ts.length) bad++;
    else expect(got.stats).toEqual(loadCatalog(JSON.parse(text)).stats);
  });
  return bad;
}

const base = {
  features: [
    {
      code: 'FAJ 121 3094',
      name: 'MIMO Sleep Mode',
      acronym: 'MSM',
      category: 'Energy Efficiency',
      dependencies: ['FAJ 121 3095'],
      parameters: ['MimoSleepFunction.sleepStartTime', 'Bare.param'],
      counters: ['MimoSleepFunction.pmMimoSleepTime'],
      kpis: ['MIMO Sleep Ratio'],
    },
    { code: 'FAJ 121 3095', category: 'Energy Efficiency', parameters: ['MimoSleepFunction.sleepStartTime'] },
  ],
  parameters: [
    {
      name: 'MimoSleepFunction.sleepStartTime',
      type: 'int',
      range: [0, 1439],
      safe: { min: 0, max: 360, maxChange: 120, cooldownS: 900 },
    },
  ],
  counters: [{ name: 'MimoSleepFunction.pmMimoSleepTime', unit: 's' }],
  kpis: [{ name: 'MIMO Sleep Ratio', formula: '100 * MimoSleepFunction.pmMimoSleepTime / 900', direction: 'higher' }],
  glossary: [{ term: 'BBU', means: 'baseband unit' }],
};

/** Sets `path` (keys and indexes) in a deep copy of `base` to `value` (undefined deletes). */
function mutate(path: (string | number)[], value: unknown): string {
  const c = structuredClone(base) as Record<string, unknown>;
  let at: Record<string | number, unknown> = c;
  for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return JSON.stringify(c);
}

describe.runIf(hasCli)('elex-cli check and checkCatalog() agree', () => {
  test('hand-made bad catalogs, one rule each and mixed', () => {
    const wrong = [null, true, 0, -1, 1e308, '', 'x'.repeat(4097), [], [''], {}, ['a', 3]];
    const texts: string[] = [
      'null',
      '[]',
      '"catalog"',
      '{}',
      '{"features": []}',
      '{"features": {}}',
      '{"features": [1, "x", null, []]}',
      '{"format": "other", "version": 2, "features": [{"code": "FAJ 121 0001"}]}',
      '{"version": 1.0, "features": [{"code": "FAJ 121 0001"}]}',
      '{"features": [{"code": "FAJ 121 0001"}], "parameters": [{"name": "A.b", "range": [0, 1e400]}]}',
      '{"features": [{"code": "FAJ 121 0001"}], "parameters": [{"name": "A.b", "safe": {"min": 1e999, "max": 0, "maxChange": -1e999, "cooldownS": -0.5}}]}',
      '{"features": [{"code": "FAJ 121 0001"}], "kpis": [{"name": "k", "threshold": -1e400}]}',
      JSON.stringify({ features: Array.from({ length: 80 }, () => ({ code: 'bad' })) }),
      JSON.stringify({
        features: [{ code: 'FAJ 121 0001' }, { code: 'FAJ1210001', dependencies: ['FAJ1210001'] }],
        parameters: [{ name: 'A.b', features: ['FAJ1210001'] }],
      }),
      JSON.stringify({
        features: [
          {
            code: 'FAJ 121 0001',
            parameters: ['A.b ', '\u3000A.c', 'A.d\u2028', 'A.e\u200b', 'A.f\ufeff'],
            counters: ['\u1680A.pmX', 'A.pmY\u00a0', ' ', 'A.pm\u00a0Z'],
            kpis: ['K\u205f', '\u000bK', 'K\u0085', 'Ké\u2009'],
          },
        ],
        parameters: [{ name: 'A.g ' }],
        counters: [{ name: '\tA.pmW' }, { name: 'A.pmV\u180e' }],
        kpis: [{ name: 'KPI ' }, { name: '😀 ' }],
      }),
      JSON.stringify(badCatalog()),
    ];
    for (const formula of [
      '1 / / A.pmX',
      'A.pmX +',
      '(A.pmX',
      'A.pmX)',
      'A.pmX A.pmY',
      '2 (A.pmX)',
      'A.pmX $ 2',
      '',
      ' ',
      '1e',
      'ü * 2',
      '((((1))))',
    ])
      texts.push(JSON.stringify({ features: [{ code: 'FAJ 121 0001' }], kpis: [{ name: 'k', formula }] }));
    for (const code of [
      'FAJ1213094',
      'FAJ 121 3094/12',
      'F 121 3094',
      'FAJ  121 3094',
      'FAJ 12345 3094',
      'FAJ 121 3094 ',
      'fAJ 121 3094',
      'FAJ 121 3094\n',
      'FAJ 1 2 3',
      'ABCDE12345678',
      'FAJ ١٢١ 3094',
    ])
      texts.push(JSON.stringify({ features: [{ code }] }));
    for (const name of ['A.b', 'A', 'A.b.c', '_A.b', 'A.b-', 'A-.b_9', 'Ä.b', 'A .b', '1.b'])
      texts.push(
        JSON.stringify({ features: [{ code: 'FAJ 121 0001' }], parameters: [{ name }], counters: [{ name }] }),
      );
    // Every field of the base catalog set to every wrong kind of value, and deleted.
    const fields: (string | number)[][] = [
      ['format'],
      ['version'],
      ['name'],
      ['seed'],
      ['features'],
      ['features', 0],
      ['features', 0, 'code'],
      ['features', 0, 'name'],
      ['features', 0, 'acronym'],
      ['features', 0, 'category'],
      ['features', 0, 'description'],
      ['features', 0, 'dependencies'],
      ['features', 0, 'dependencies', 0],
      ['features', 0, 'parameters'],
      ['features', 0, 'parameters', 1],
      ['features', 0, 'counters'],
      ['features', 0, 'kpis'],
      ['features', 1, 'code'],
      ['parameters'],
      ['parameters', 0],
      ['parameters', 0, 'name'],
      ['parameters', 0, 'features'],
      ['parameters', 0, 'type'],
      ['parameters', 0, 'unit'],
      ['parameters', 0, 'range'],
      ['parameters', 0, 'range', 0],
      ['parameters', 0, 'values'],
      ['parameters', 0, 'default'],
      ['parameters', 0, 'safe'],
      ['parameters', 0, 'safe', 'min'],
      ['parameters', 0, 'safe', 'max'],
      ['parameters', 0, 'safe', 'maxChange'],
      ['parameters', 0, 'safe', 'cooldownS'],
      ['parameters', 0, 'description'],
      ['counters'],
      ['counters', 0],
      ['counters', 0, 'name'],
      ['counters', 0, 'features'],
      ['counters', 0, 'unit'],
      ['kpis'],
      ['kpis', 0],
      ['kpis', 0, 'name'],
      ['kpis', 0, 'formula'],
      ['kpis', 0, 'threshold'],
      ['kpis', 0, 'direction'],
      ['kpis', 0, 'features'],
      ['glossary'],
      ['glossary', 0],
      ['glossary', 0, 'term'],
      ['glossary', 0, 'means'],
    ];
    for (const f of fields) {
      texts.push(mutate(f, undefined));
      for (const w of wrong) texts.push(mutate(f, w));
    }
    texts.push(mutate(['parameters', 1], { name: 'MimoSleepFunction.sleepStartTime' }));
    texts.push(mutate(['counters', 1], { name: 'MimoSleepFunction.pmMimoSleepTime', features: ['FAJ 121 3095', 'X'] }));
    texts.push(
      mutate(
        ['glossary'],
        Array.from({ length: 65537 }, () => ({ term: 'a', means: 'b' })),
      ),
    );
    texts.push(mutate(['glossary', 0, 'term'], 'x'.repeat(256)));
    texts.push(mutate(['glossary', 0, 'term'], '€'.repeat(257)));
    texts.push(mutate(['features', 0, 'name'], '😀'.repeat(2048)));
    texts.push(mutate(['features', 0, 'name'], '😀'.repeat(2049)));
    const bad = agree(texts);
    console.log(`catalog checks: ${texts.length} hand-made catalogs (${bad} with problems), C++ and TS agree`);
    expect(bad).toBeGreaterThan(texts.length * 0.8);
  }, 60_000);

  test('fast-check catalogs with hostile leaves', () => {
    const leaf = fc.oneof(
      fc.constantFrom(
        'FAJ 121 3094',
        'FAJ 121 3095',
        'FAJ1213096',
        'A.b',
        'MimoSleepFunction.sleepStartTime',
        'int',
        'enum',
        'higher',
        'lower',
        '',
        '100 * A.b / 2',
        'A.b +',
      ),
      fc.string({ unit: 'grapheme', maxLength: 8 }),
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
    );
    const value = fc.oneof(
      leaf,
      fc.array(leaf, { maxLength: 3 }),
      fc.dictionary(fc.constantFrom('min', 'max', 'maxChange', 'cooldownS', 'x'), leaf),
    );
    const obj = (keys: string[]) => fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: keys.length });
    const feature = obj([
      'code',
      'name',
      'acronym',
      'category',
      'description',
      'dependencies',
      'parameters',
      'counters',
      'kpis',
    ]);
    const item = obj([
      'name',
      'features',
      'type',
      'unit',
      'range',
      'values',
      'default',
      'safe',
      'description',
      'formula',
      'threshold',
      'direction',
    ]);
    const catalog = fc.record(
      {
        format: fc.oneof(fc.constant('elex-catalog'), leaf),
        version: fc.oneof(fc.constant(1), leaf),
        features: fc.oneof(fc.array(fc.oneof(feature, leaf), { maxLength: 5 }), leaf),
        parameters: fc.oneof(fc.array(fc.oneof(item, leaf), { maxLength: 4 }), leaf),
        counters: fc.array(fc.oneof(item, leaf), { maxLength: 3 }),
        kpis: fc.array(fc.oneof(item, leaf), { maxLength: 3 }),
        glossary: fc.oneof(fc.array(fc.oneof(obj(['term', 'means']), leaf), { maxLength: 3 }), leaf),
      },
      { requiredKeys: [] },
    );
    const texts = fc.sample(catalog, { seed: SEED, numRuns: RUNS }).map((c) => JSON.stringify(c));
    const bad = agree(texts);
    console.log(
      `catalog checks: ${texts.length} fast-check catalogs (seed ${SEED}, ${bad} with problems), C++ and TS agree`,
    );
  }, 120_000);

  test.runIf(existsSync(defaultPath))(
    'the default catalog, and mutations of it',
    () => {
      const json = readFileSync(defaultPath, 'utf8');
      const c = JSON.parse(json);
      const texts = [json];
      const dup = structuredClone(c);
      dup.features[500].code = dup.features[3].code;
      dup.parameters[9000].name = dup.parameters[1].name;
      dup.kpis[10].formula = dup.kpis[10].formula + ' *';
      texts.push(JSON.stringify(dup));
      const unlinked = structuredClone(c);
      unlinked.features.splice(0, 50);
      texts.push(JSON.stringify(unlinked));
      expect(agree(texts)).toBe(2);
    },
    60_000,
  );

  test('a parameter default that is not a number, boolean or string is the same problem in both', () => {
    const texts = ['null', '[]', '{}', '[1]', '{"v": 1}', '0', 'true', '"ON"', '""'].map(
      (d) =>
        `{"features": [{"code": "FAJ 121 0001"}], "parameters": [{"name": "A.b", "default": ${d}, "range": [1, 0]}]}`,
    );
    expect(agree(texts)).toBe(texts.length);
    expect(nativeCheck(texts).map((l) => l.problems.length)).toEqual([2, 2, 2, 2, 2, 1, 1, 1, 1]);
  });

  test('a range of strings and a reversed range: the same two messages in both', () => {
    const texts = ['["0", "10"]', '[0]', '[0, null]', '[0, 1e999]', '{"min": 0}', '[10, 0]', '[0, 0]'].map(
      (r) => `{"features": [{"code": "FAJ 121 0001"}], "parameters": [{"name": "A.b", "range": ${r}}]}`,
    );
    expect(agree(texts)).toBe(6);
    expect(nativeCheck(texts).map((l) => l.problems[0]?.message)).toEqual([
      ...Array(5).fill('must be [min, max]: an array of two finite numbers'),
      'must be [min, max] with min <= max',
      undefined,
    ]);
  });

  test('a KPI formula over a counter the catalog does not have: the same problem in both', () => {
    const texts = ['A.pmListed / A.pmDefined', 'A.pmTypo / A.pmTypo + A.pmOther', '-A.pmOther', '1 +', '3'].map(
      (formula) =>
        JSON.stringify({
          features: [{ code: 'FAJ 121 0001', counters: ['A.pmListed', 7] }],
          counters: [{ name: 'A.pmDefined' }, { name: 8 }],
          kpis: [{ name: 'K', formula }],
        }),
    );
    const native = nativeCheck(texts);
    expect(native.map((l) => l.problems.filter((p) => p.path === '$.kpis[0].formula').length)).toEqual([0, 1, 1, 1, 0]);
    expect(native[1]!.problems.at(-1)!.message).toContain('"A.pmTypo" is not in the catalog');
    expect(agree(texts)).toBe(5);
  });

  test('the catalog name and seed: the same problems in both', () => {
    const texts = ['"name": ""', '"name": 5', '"seed": 1.5', '"seed": "7"', '"name": "n", "seed": -3'].map(
      (f) => `{${f}, "features": [{"code": "FAJ 121 0001"}]}`,
    );
    expect(agree(texts)).toBe(4);
  });

  test('a KPI formula nested deeper than the monitor stack: the same problem in both, and the deepest allowed monitors', () => {
    const nest = (n: number) => 'A.pmX + ('.repeat(n) + 'A.pmX' + ')'.repeat(n);
    const catalog = (formula: string) =>
      JSON.stringify({
        features: [{ code: 'FAJ 121 0001', counters: ['A.pmX'] }],
        kpis: [
          { name: 'K', formula },
          { name: 'Ratio', formula: '100 * A.pmX / A.pmX' },
        ],
      });
    const texts = [nest(31), nest(32), nest(200), `(${nest(31)}) * 2`, `2 * (${nest(31)})`].map(catalog);
    expect(agree(texts)).toBe(3);
    // The deepest formula the check takes is one the engine evaluates.
    const file = join(dir, 'deep.json');
    writeFileSync(file, texts[0]!);
    const batch = join(dir, 'deep-batch.json');
    writeFileSync(batch, JSON.stringify({ cells: ['c'], counters: ['A.pmX'], periods: 1, data: [1] }));
    const out = JSON.parse(execFileSync(cli, ['monitor', '--catalog', file, '--batch', batch], { encoding: 'utf8' }));
    expect(out.kpis.map((k: { name: string; mean: number }) => [k.name, k.mean])).toEqual([
      ['K', 32],
      ['Ratio', 100],
    ]);
  });

  test('a missing and a malformed feature code: two messages, the same in both', () => {
    const texts = ['{}', '{"code": "faj 121 3094"}', '{"code": null}', '{"code": "FAJ 121 3094 R2"}'].map(
      (f) => `{"features": [${f}]}`,
    );
    expect(agree(texts)).toBe(4);
    expect(new Set(nativeCheck(texts).map((l) => l.problems[0]!.message)).size).toBe(2);
  });

  test('a catalog file that starts with a UTF-8 byte order mark loads, as fetch() and file: URLs read it', async () => {
    // Windows editors (Notepad, PowerShell's Out-File, Excel's "CSV UTF-8")
    // write one; elex-cli refused the file with "unexpected character at
    // byte 0" while the browser's fetch() strips it.
    const text = JSON.stringify(base);
    const [got] = nativeCheck(['\uFEFF' + text]);
    expect(got!.problems).toEqual([]);
    expect(got!.stats).toEqual(loadCatalog(JSON.parse(text)).stats);
    const file = join(dir, 'bom-catalog.json');
    writeFileSync(file, '\uFEFF' + text);
    const changes = join(dir, 'bom-changes.json');
    writeFileSync(
      changes,
      '[{"parameter": "MimoSleepFunction.sleepStartTime", "current": 0, "proposed": 2000, "at": 0}]',
    );
    const out = execFileSync(cli, ['validate', '--catalog', file, '--changes', changes], { encoding: 'utf8' });
    expect(JSON.parse(out).reasons).toContain('OUTSIDE_ABSOLUTE_RANGE');
    // Only one leading mark: one elsewhere is still not JSON.
    expect(nativeCheck(['\uFEFF\uFEFF' + text])[0]!.ok).toBe(false);
  });
});

interface CliRouted {
  q: string;
  features?: { code: string; name: string; score: number; matched: { kind: string; name: string; score: number }[] }[];
  error?: { code: string; message: string };
}

/** Routes `questions` through the CLI and through RanHost; returns the count compared and the mismatches. */
async function compareRoutes(
  b: Bindings,
  host: AgentHost,
  catalogPath: string,
  questions: string[],
  workers = 1,
  worker = 0,
) {
  const qfile = join(dir, `questions-${workers}-${worker}.json`);
  writeFileSync(qfile, JSON.stringify(questions));
  const out = execFileSync(
    cli,
    [
      'route',
      '--catalog',
      catalogPath,
      '--questions',
      qfile,
      '--k',
      '5',
      '--workers',
      String(workers),
      '--worker',
      String(worker),
    ],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    },
  );
  const native = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as CliRouted);
  expect(native.length).toBe(questions.length);
  const ran = await new RanHost(
    b,
    host,
    { catalogJson: readFileSync(catalogPath, 'utf8'), dim: 512, worker, workers },
    () => {},
  ).build();
  const wasm = ran.routeBatch(questions, 5).features;
  const mismatches: string[] = [];
  let maxDiff = 0;
  questions.forEach((q, i) => {
    const n = native[i]!.features!;
    const w = wasm[i]!;
    const same = n.length === w.length && n.every((f, j) => f.code === w[j]!.code);
    if (!same)
      mismatches.push(`${q}: native ${n.map((f) => f.code).join(', ')} / wasm ${w.map((f) => f.code).join(', ')}`);
    else
      n.forEach((f, j) => {
        maxDiff = Math.max(maxDiff, Math.abs(f.score - w[j]!.score));
        expect(f.name).toBe(w[j]!.name);
        expect(f.matched.map((m) => `${m.kind}:${m.name}`)).toEqual(w[j]!.matched.map((m) => `${m.kind}:${m.name}`));
      });
  });
  ran.close();
  return { compared: questions.length, mismatches, maxDiff };
}

describe.runIf(hasCli)('elex-cli route and the wasm router agree', () => {
  let b: Bindings;
  let host: AgentHost;
  beforeAll(async () => {
    b = await instantiate({ variant: 'simd' });
    host = await openHost(b);
  }, 120_000);
  afterAll(() => b?.close());

  test.runIf(existsSync(factsPath))(
    'the facts questions over ran-feature-facts.json',
    async () => {
      const qs = (
        JSON.parse(readFileSync(root('eval/facts-questions.json'), 'utf8')) as { questions: { q: string }[] }
      ).questions.map((q) => q.q);
      const r = await compareRoutes(b, host, factsPath, qs);
      console.log(
        `facts: ${r.compared} questions, ${r.mismatches.length} top-5 mismatches, largest score difference ${r.maxDiff.toExponential(2)}`,
      );
      expect(r.mismatches).toEqual([]);
      expect(r.maxDiff).toBeLessThanOrEqual(1e-6);
    },
    300_000,
  );

  test.runIf(existsSync(defaultPath))(
    'the synthetic questions over the default catalog, whole and as worker 1 of 2',
    async () => {
      const qs = (
        JSON.parse(readFileSync(root('eval/questions.json'), 'utf8')) as { questions: { q: string }[] }
      ).questions.map((q) => q.q);
      for (const [workers, worker] of [
        [1, 0],
        [2, 1],
      ] as const) {
        const r = await compareRoutes(b, host, defaultPath, qs, workers, worker);
        console.log(
          `synthetic (worker ${worker} of ${workers}): ${r.compared} questions, ${r.mismatches.length} top-5 mismatches, largest score difference ${r.maxDiff.toExponential(2)}`,
        );
        expect(r.mismatches).toEqual([]);
        expect(r.maxDiff).toBeLessThanOrEqual(1e-6);
      }
    },
    300_000,
  );
});

/** The facts catalog, or the default one where ../shared is not beside this checkout. */
const realPath = existsSync(factsPath) ? factsPath : defaultPath;

describe.runIf(hasCli && existsSync(realPath))('catalogs edited as engineers abroad write them', () => {
  let b: Bindings;
  let host: AgentHost;
  beforeAll(async () => {
    b = await instantiate({ variant: 'simd' });
    host = await openHost(b);
  }, 120_000);
  afterAll(() => b?.close());

  /** Per question: the wasm router's top feature over catalog `c` and its exact evidence. */
  async function topExact(c: unknown, questions: string[]): Promise<[string, number][]> {
    const ran = await new RanHost(
      b,
      host,
      { catalogJson: JSON.stringify(c), dim: 512, worker: 0, workers: 1 },
      () => {},
    ).build();
    const routed = ran.routeBatch(questions, 5).features;
    ran.close();
    return routed.map((f) => [f[0]!.code, f[0]!.evidence.exact]);
  }

  test('Arabic, Hebrew and Armenian names route by their words, the same in elex-cli and the wasm router', async () => {
    // The facts catalog with a few features renamed as an engineer abroad
    // would (right-to-left text, vowel marks, an emoji, a name of 4,096
    // characters): the tokeniser dropped Arabic and Hebrew letters, so such
    // a feature was found only by its whole name, never by a word of it.
    const c = JSON.parse(readFileSync(realPath, 'utf8')) as {
      features: { code: string; name?: string; acronym?: string; description?: string }[];
    };
    const renamed: [number, string, string][] = [
      [10, 'موازنة الحمل بين الخلايا', 'ما هي معلمات موازنة الحمل؟'],
      [20, 'איזון עומסים בין תאים', 'אילו פרמטרים שולטים באיזון עומסים?'],
      [30, 'Բեռնվածության Հավասարակշռում', 'ԲԵՌՆՎԱԾՈՒԹՅԱՆ պարամետրերը'],
    ];
    for (const [i, name] of renamed) c.features[i]!.name = name;
    c.features[40]!.name = `Energy saver ⚡🔋 ${'x'.repeat(4076)}`;
    c.features[50]!.acronym = 'УПМ'; // an acronym in Cyrillic capitals is an exact hit too
    c.features[60]!.acronym = 'ΔΦΣ-2';
    const file = join(dir, 'scripts-catalog.json');
    writeFileSync(file, JSON.stringify(c));
    const questions = renamed.map(([, , q]) => q);
    const r = await compareRoutes(b, host, file, [...questions, 'which parameters control the energy saver ⚡?']);
    expect(r.mismatches).toEqual([]);
    expect(r.maxDiff).toBeLessThanOrEqual(1e-6);
    const out = execFileSync(cli, ['route', '--catalog', file, '--questions', join(dir, 'questions-1-0.json')], {
      encoding: 'utf8',
    });
    const top = out
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as CliRouted).features![0]?.code);
    expect(top).toEqual([...renamed.map(([i]) => c.features[i]!.code), c.features[40]!.code]);
    const acronyms = ['что такое УПМ?', 'ΔΦΣ-2 settings'];
    const a = await compareRoutes(b, host, file, acronyms);
    expect(a.mismatches).toEqual([]);
    expect(await topExact(c, acronyms)).toEqual([
      [c.features[50]!.code, 1],
      [c.features[60]!.code, 1],
    ]);
  });

  test('a question naming "FAJ 121 3094/2" hits that code exactly, the same in elex-cli and the wasm router', async () => {
    const c = JSON.parse(readFileSync(realPath, 'utf8')) as { features: { code: string }[] };
    const base = c.features[12]!.code; // it stays, beside two releases of it
    c.features.push({ code: `${base}/1` }, { code: `${base}/2` });
    const file = join(dir, 'suffix-catalog.json');
    writeFileSync(file, JSON.stringify(c));
    const questions = [`What does ${base}/1 do?`, `what does ${base.replaceAll(' ', '')}/2 do`];
    const r = await compareRoutes(b, host, file, questions);
    expect(r.mismatches).toEqual([]);
    expect(r.maxDiff).toBeLessThanOrEqual(1e-6);
    expect(await topExact(c, questions)).toEqual([
      [`${base}/1`, 1],
      [`${base}/2`, 1],
    ]);
  });
});

interface CliQueried {
  q: string;
  type: string;
  complexity: string;
  features: { code: string }[];
  agents: { code: string; answer: { action: string; card?: { code: string; parameters: { name: string }[] } } }[];
  timings: Record<'route' | 'classify' | 'agents' | 'answer' | 'total', number>;
  partial: boolean;
}

describe.runIf(hasCli && existsSync(defaultPath))('elex-cli query and the browser worker agree', () => {
  test('type, complexity, features and cards over the synthetic questions', async () => {
    const b = await instantiate({ variant: 'simd' });
    const host = await openHost(b);
    const qs = (
      JSON.parse(readFileSync(root('eval/questions.json'), 'utf8')) as { questions: { q: string }[] }
    ).questions
      .map((q) => q.q)
      .slice(0, 120);
    const qfile = join(dir, 'query-questions.json');
    writeFileSync(qfile, JSON.stringify(qs));
    const out = execFileSync(
      cli,
      ['query', '--catalog', defaultPath, '--questions', qfile, '--k', '5', '--deadline-ms', '60000'],
      { encoding: 'utf8', maxBuffer: 1 << 28 },
    );
    const native = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as CliQueried);
    const json = readFileSync(defaultPath, 'utf8');
    const ran = await new RanHost(b, host, { catalogJson: json, dim: 512, worker: 0, workers: 1 }, () => {}).build();
    const catalog = loadCatalog(JSON.parse(json) as unknown);
    const routed = ran.routeBatch(qs, 5);
    let cards = 0;
    native.forEach((n, i) => {
      expect(n.partial).toBe(false);
      expect(n.timings.total).toBeGreaterThanOrEqual(n.timings.route + n.timings.agents);
      expect([n.type, n.complexity]).toEqual([routed.classes[i]!.type, routed.classes[i]!.complexity]);
      expect(n.features.map((f) => f.code)).toEqual(routed.features[i]!.map((f) => f.code));
      // The card an agent printed natively is the one the page builds from the worker's card code.
      for (const a of n.agents) {
        if (!a.answer.card) continue;
        const j = routed.features[i]!.findIndex((f) => f.code === a.code);
        const page = featureCard(catalog, routed.features[i]![j]!, routed.cards[i]![j]!);
        expect(a.answer.card.parameters.map((p) => p.name)).toEqual(page.parameters.map((p) => p.name));
        cards++;
      }
    });
    expect(cards).toBeGreaterThan(50);
    ran.close();
    b.close();
  }, 300_000);
});

test.runIf(hasCli && existsSync(defaultPath))(
  'questions the browser refuses are errors in elex-cli too, the others route',
  () => {
    const qs = [
      '',
      ' ',
      '\u00a0\u2028\ufeff',
      'x'.repeat(2001),
      '😀'.repeat(1001),
      'PFS',
      'x'.repeat(2000),
      '\u00a0PFS',
    ];
    const file = join(dir, 'refused.json');
    writeFileSync(file, JSON.stringify(qs));
    let out = '';
    try {
      execFileSync(cli, ['route', '--catalog', defaultPath, '--questions', file], { encoding: 'utf8' });
      expect.unreachable();
    } catch (e) {
      const err = e as { status?: number; stdout?: string };
      expect(err.status).toBe(1);
      out = err.stdout ?? '';
    }
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as CliRouted);
    const refused = qs.map((q) => {
      try {
        checkQuestion(q);
        return false;
      } catch {
        return true;
      }
    });
    expect(lines.map((l) => l.error !== undefined)).toEqual(refused);
    expect(refused.filter(Boolean).length).toBe(5);
  },
);

describe.runIf(hasCli && existsSync(defaultPath))(
  'elex-cli validate and monitor agree with the engine as the browser drives it',
  () => {
    let b: Bindings;
    let host: AgentHost;
    beforeAll(async () => {
      b = await instantiate({ variant: 'simd' });
      host = await openHost(b);
    }, 120_000);
    afterAll(() => b?.close());

    test('seeded parameter changes: the same verdicts and reasons', () => {
      const json = readFileSync(defaultPath, 'utf8');
      const catalog = loadCatalog(JSON.parse(json));
      const params = [...catalog.parameters.values()];
      const rnd = mulberry32(77);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
      const changes = Array.from({ length: 3000 }, (_, i) => {
        const p =
          rnd() < 0.03 ? { name: `Unknown.p${i}`, values: undefined, range: undefined } : pick(params.slice(0, 400));
        const lo = p.range?.[0] ?? 0,
          hi = p.range?.[1] ?? 100;
        const number = () => (rnd() < 0.5 ? Math.round(lo + (hi - lo) * rnd()) : lo + (hi - lo) * 1.3 * rnd());
        const proposed =
          rnd() < 0.05
            ? pick([true, false, 'ON', 'x', 0, 1, 1.5] as const)
            : p.values && rnd() < 0.8
              ? pick(p.values)
              : number();
        return {
          parameter: p.name,
          cell: `cell-${Math.floor(rnd() * 20)}`,
          current: number(),
          proposed,
          at: i * 1000 * rnd() * 50,
        };
      });
      changes.sort((x, y) => x.at - y.at);
      const file = join(dir, 'changes.json');
      writeFileSync(file, JSON.stringify(changes));
      const out = execFileSync(cli, ['validate', '--catalog', defaultPath, '--changes', file], {
        encoding: 'utf8',
        maxBuffer: 1 << 28,
      });
      const native = out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { parameter: string; verdict: string; reasons: string[] });
      const v = b.createValidator(validatorTables(catalog));
      const cols = prepareValidation(catalog, changes, new CellIds());
      const params32 = cols.params.slice();
      const r = v.run(cols, VALIDATE_CALLER_CHECKED | VALIDATE_RECORD);
      const wasm = validationResults(catalog, changes, params32, r.verdicts, r.reasons);
      v.close();
      expect(native.map((x) => `${x.verdict} ${x.reasons.join(',')}`)).toEqual(
        wasm.map((x) => `${x.verdict} ${x.reasons.join(',')}`),
      );
      const kinds = new Set(wasm.flatMap((x) => x.reasons));
      console.log(
        `validate: ${changes.length} changes, ${r.counts.ok} ok, ${r.counts.warn} warn, ${r.counts.reject} reject, reasons ${[...kinds].join(' ')}; CLI and engine agree`,
      );
      expect(kinds.size).toBeGreaterThanOrEqual(6);
    }, 120_000);

    test('two seeded counter batches: the same KPI figures, history and anomalies included', async () => {
      const json = readFileSync(defaultPath, 'utf8');
      const ran = await new RanHost(b, host, { catalogJson: json, dim: 64, worker: 0, workers: 1 }, () => {}).build();
      const counters = [...ran.catalog.counters.keys()].slice(0, 400);
      const cells = Array.from({ length: 12 }, (_, i) => `cell-${i}`);
      const periods = 24;
      const batches = [1, 2].map((seed) => {
        const rnd = mulberry32(seed);
        const data = new Float32Array(cells.length * counters.length * periods);
        for (let i = 0; i < data.length; i++) {
          const u = rnd();
          data[i] = u < 0.02 ? NaN : u < 0.05 ? 0 : Math.round(1000 * rnd()) * (seed === 2 && u > 0.99 ? 40 : 1);
        }
        return data;
      });
      const file = join(dir, 'batches.json');
      writeFileSync(
        file,
        JSON.stringify(
          batches.map((data) => ({
            cells,
            counters,
            periods,
            data: Array.from(data, (x) => (Number.isNaN(x) ? null : x)),
          })),
        ),
      );
      const out = execFileSync(cli, ['monitor', '--catalog', defaultPath, '--batch', file, '--min-history', '8'], {
        encoding: 'utf8',
        maxBuffer: 1 << 28,
      });
      type Kpi = KpiSummary;
      const native = out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { batch: number; cell: string; kpis: Kpi[] });
      expect(native.length).toBe(2 * cells.length);
      let kpis = 0,
        anomalies = 0,
        breaches = 0;
      batches.forEach((data, bi) => {
        const r = ran.monitor({
          cells,
          counters,
          periods,
          data: data.slice(),
          zThreshold: 3,
          minHistory: 8,
          perPeriod: false,
        });
        const K = r.kpis.length;
        kpis = K;
        cells.forEach((cell, c) => {
          const line = native[bi * cells.length + c]!;
          expect([line.batch, line.cell]).toEqual([bi, cell]);
          expect(line.kpis.map((k) => k.name)).toEqual(r.kpis);
          line.kpis.forEach((k, ki) => {
            const ck = c * K + ki;
            const count = r.kpiStats[ck * 5]!;
            expect([k.count, k.mean, k.min, k.max]).toEqual([
              count,
              ...[2, 3, 4].map((j) => (count > 0 ? r.kpiStats[ck * 5 + j]! : null)),
            ]);
            expect([k.nulls.missingCounter, k.nulls.divisionByZero]).toEqual([
              r.nullCounts[2 * ck]!,
              r.nullCounts[2 * ck + 1]!,
            ]);
            expect([k.breaches, k.anomalies, k.maxZ]).toEqual([r.breaches[ck]!, r.anomalies[ck]!, r.maxZ[ck]!]);
            anomalies += k.anomalies;
            breaches += k.breaches;
          });
        });
      });
      ran.close();
      console.log(
        `monitor: 2 batches of ${cells.length} cells × ${counters.length} counters × ${periods} periods, ${kpis} KPIs, ${breaches} breaches, ${anomalies} anomalies; CLI and engine agree bit for bit`,
      );
      expect(kpis).toBeGreaterThan(0);
      expect(anomalies).toBeGreaterThan(0);
    }, 120_000);

    test('a sample beyond float32: both refuse it naming the same cell, counter and period, history unchanged', async () => {
      // 1e39 in a batch file (an infinite float32 in the browser) gave KPIs with
      // "mean": null and every period counted in elex-cli, Infinity in monitor().
      const json = readFileSync(defaultPath, 'utf8');
      const ran = await new RanHost(b, host, { catalogJson: json, dim: 64, worker: 0, workers: 1 }, () => {}).build();
      const counters = [...ran.catalog.counters.keys()].slice(0, 400);
      const cells = ['a', 'b', 'c'];
      const periods = 4;
      const n = cells.length * counters.length * periods;
      const good = Float32Array.from({ length: n }, (_, i) => i % 13);
      const bad = good.slice();
      const at = (1 * counters.length + 7) * periods + 2; // cell b, counter 7, period 2
      bad[at] = Infinity;
      const file = join(dir, 'huge.json');
      const batch = (data: Float32Array) => ({ cells, counters, periods, data: Array.from(data) });
      writeFileSync(
        file,
        JSON.stringify([
          batch(good),
          { ...batch(good), data: [...Array.from(good.subarray(0, at)), 1e39, ...Array.from(good.subarray(at + 1))] },
        ]),
      );
      let stderr = '';
      try {
        execFileSync(cli, ['monitor', '--catalog', defaultPath, '--batch', file], { encoding: 'utf8', stdio: 'pipe' });
      } catch (e) {
        stderr = String((e as { stderr: string }).stderr);
      }
      const where = `cell "b", counter "${counters[7]}", period 2: the sample is `;
      expect(stderr).toContain(
        `elex-cli: INVALID_ARGUMENT: ${file}: batch 1: data[${at}]: ${where}beyond float32's range`,
      );
      const req = { cells, counters, periods, zThreshold: 3, minHistory: 0, perPeriod: false };
      const first = ran.monitor({ ...req, data: good.slice() });
      expect(() => ran.monitor({ ...req, data: bad })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(where + '+inf') }),
      );
      // The failed batch left the history as the first batch did.
      const again = ran.monitor({ ...req, data: good.slice() });
      const fresh = await new RanHost(b, host, { catalogJson: json, dim: 64, worker: 0, workers: 1 }, () => {}).build();
      fresh.monitor({ ...req, data: good.slice() });
      expect(again.history).toEqual(fresh.monitor({ ...req, data: good.slice() }).history);
      expect(first.kpis.length).toBeGreaterThan(0);
      ran.close();
      fresh.close();
    }, 120_000);
  },
);
