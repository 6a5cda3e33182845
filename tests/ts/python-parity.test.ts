/**
 * The Python module (python/elex over the native build, SSE2) against the
 * browser's engine (the simd wasm build in node): the same seeded batches of
 * PM counters through RanHost.monitor() — the code behind engine.monitor() —
 * and through elex.Monitor, the same change batches through the engine
 * validator and elex.ChangeValidator, and every KPI formula of the default
 * catalog plus hostile ones through compileFormula() and the C++ compiler.
 * Every value, reason and count must be the same bits.
 *
 * The seeded inputs are written to build/parity/, where
 * tests/python/parity_run.py reads them and writes its outputs.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { mulberry32 } from '../../scripts/mulberry32.mjs';
import { instantiate, VALIDATE_RECORD, type Bindings } from '../../ts/bindings/bindings.ts';
import { loadCatalog, type LoadedCatalog } from '../../ts/host/catalog.ts';
import { ElexError } from '../../ts/core/errors.ts';
import { parseFormula } from '../../ts/host/formula.ts';
import { RanHost, type MonitorShardResult } from '../../ts/host/ran-host.ts';
import { checkBatch, compileFormula, validatorTables } from '../../ts/host/ran-ops.ts';
import { openHost } from './helpers.ts';

const root = new URL('../../', import.meta.url);
const dir = new URL('build/parity/', root);
const json = readFileSync(new URL('build/catalog/default.json', root), 'utf8');
const catalog: LoadedCatalog = loadCatalog(JSON.parse(json));

let b: Bindings;
let ran: RanHost;
beforeAll(async () => {
  // The extension is built (or found up to date) first.
  execFileSync('bash', ['scripts/build-python.sh'], { cwd: root, stdio: 'inherit' });
  b = await instantiate({ variant: 'simd' });
  ran = new RanHost(b, await openHost(b), { catalogJson: json, dim: 64, worker: 0, workers: 1 }, () => {});
}, 300_000);
afterAll(() => ran?.close());

const write = (name: string, a: ArrayBufferView) =>
  writeFileSync(new URL(name, dir), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Batch counters: every counter some KPI names, but those of every 7th KPI's first counter (so that some KPIs are left out). */
function batchCounters(): string[] {
  const used = new Set<string>(),
    dropped = new Set<string>();
  [...catalog.kpis.values()].forEach((k, i) => {
    if (!k.formula) return;
    const names = parseFormula(k.formula).flatMap((s) => ('counter' in s ? [s.counter] : []));
    names.forEach((n) => used.add(n));
    if (i % 7 === 0 && names[0]) dropped.add(names[0]);
  });
  return [...used].filter((c) => !dropped.has(c) && catalog.counters.has(c)).sort();
}

/** Counters as PM data looks: counts around a per-(cell, counter) level, with gaps (NaN), zeros and, in `spikes`, outliers. */
function counterData(cells: number, counters: number, periods: number, seed: number, spikes: boolean): Float32Array {
  const rnd = mulberry32(seed);
  const out = new Float32Array(cells * counters * periods);
  for (let r = 0; r < cells * counters; r++) {
    const level = Math.floor(10 ** (1 + 3 * rnd()));
    const zeroRow = rnd() < 0.03;
    for (let t = 0; t < periods; t++) {
      const u = rnd();
      let v = zeroRow ? 0 : Math.round(level * (0.8 + 0.4 * rnd()));
      if (u < 0.01) v = NaN;
      else if (u < 0.02) v = 0;
      else if (spikes && u > 0.995) v *= 25;
      out[r * periods + t] = v;
    }
  }
  return out;
}

const HOSTILE = [
  '',
  ' ',
  'a',
  '1',
  '-a',
  '--a',
  '- -a',
  '+a',
  'a+',
  '(a',
  'a)',
  '()',
  '(a)(b)',
  'a b',
  '1 2',
  'a*-b',
  'a/-(b+c)*2',
  '-a*b',
  '-(a)',
  '2*-3',
  'a-b-c',
  'a/b/c',
  'a-b*c+d/e',
  '((((a))))',
  '1e5',
  '1E+5*a',
  '1e',
  '1.',
  '.5',
  '1.5e-3',
  '1e999',
  '0.1',
  '3.4028235e38',
  '3.4028236e38',
  '1e-50',
  '16777217',
  'a..b',
  'a.b.c',
  '_x',
  '9a',
  'a$b',
  'a\tb',
  'a\t+\nb',
  'a\u00a0+\u00a0b',
  'a\u3000*b\ufeff',
  'a\u2028-b',
  'a\u200b+b',
  'ä+b',
  '\u0661+a',
  'zz + 2 * a',
  '3 * zz',
  '('.repeat(40) + 'a' + ')'.repeat(40),
  Array.from({ length: 40 }, () => 'a').join(' + '),
  '-'.repeat(33) + 'a',
  'a * (b - (c / (d + -e)))',
];
const HOSTILE_COUNTERS = ['a', 'b', 'c', 'd', 'e', 'a.b', 'a.b.c', '_x'];

function compileTs(formula: string, index: Map<string, number>) {
  const consts: number[] = [];
  try {
    const ops = compileFormula(formula, index, consts);
    const c32 = Float32Array.from(consts);
    return { compiled: ops !== null, ops: ops ?? [], consts: Array.from(new Uint32Array(c32.buffer)) };
  } catch (e) {
    if (e instanceof ElexError) return { error: e.code };
    throw e;
  }
}

interface Batch {
  cells: string[];
  periods: number;
  data: Float32Array;
  z: number;
  minHistory: number;
}

test('Python module and wasm engine: the same programs, KPI values, reasons, statistics, alerts, history and verdicts, bit for bit', () => {
  mkdirSync(dir, { recursive: true });
  const counters = batchCounters();
  const C = counters.length;
  // Night 1: 48 cells × 96 periods. Night 2: the cells in another order, two
  // new ones, 37 periods (not a multiple of 4), with spikes; scored against
  // night 1's history.
  const cells1 = Array.from({ length: 48 }, (_, i) => `cell-${i}`);
  const cells2 = [...cells1.slice(20), 'cell-new-a', ...cells1.slice(0, 20).reverse(), 'cell-new-b'];
  const batches: Batch[] = [
    { cells: cells1, periods: 96, data: counterData(cells1.length, C, 96, 17, false), z: 3, minHistory: 8 },
    { cells: cells2, periods: 37, data: counterData(cells2.length, C, 37, 18, true), z: 2.5, minHistory: 8 },
  ];
  const wasm: MonitorShardResult[] = batches.map((bt) =>
    ran.monitor({
      cells: bt.cells,
      counters,
      periods: bt.periods,
      data: bt.data.slice(),
      zThreshold: bt.z,
      minHistory: bt.minHistory,
      perPeriod: true,
    }),
  );
  batches.forEach((bt, i) => write(`batch${i}.f32`, bt.data));

  // Validation: two batches over the default catalog's parameters (some
  // unknown), values around their ranges with non-finite ones, times that
  // reach past and inside cooldowns, cells 0..9.
  const P = catalog.parameters.size;
  const rnd = mulberry32(99);
  const tables = validatorTables(catalog);
  const changes = [0, 1].map((night) => {
    const n = 5000;
    const params = new Int32Array(n),
      current = new Float64Array(n),
      proposed = new Float64Array(n),
      at = new Float64Array(n),
      cellIds = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const u = rnd();
      // Few parameters, so that cooldowns meet: 40 of them, and unknown ones.
      const p = u < 0.02 ? -1 : u < 0.03 ? P + 5 : Math.floor(rnd() * 40) * 37;
      params[i] = p;
      const lo = p >= 0 && p < P ? tables.bounds[p]! : NaN,
        hi = p >= 0 && p < P ? tables.bounds[P + p]! : NaN;
      const span = Number.isFinite(hi - lo) ? hi - lo : 100;
      const base = Number.isFinite(lo) ? lo : 0;
      current[i] = Math.round(base + span * rnd());
      const w = rnd();
      proposed[i] =
        w < 0.01
          ? NaN
          : w < 0.02
            ? Infinity
            : w < 0.5
              ? Math.round(base + span * (rnd() * 1.4 - 0.2))
              : current[i]! + (rnd() - 0.5) * span * 0.3;
      at[i] = night * 86_400_000 + i * 1000;
      cellIds[i] = Math.floor(rnd() * 10);
    }
    return { params, current, proposed, at, cells: cellIds };
  });
  const v = b.createValidator(tables);
  const vres = changes.map((c) =>
    v.run(
      checkBatch({ parameters: c.params, current: c.current, proposed: c.proposed, at: c.at, cells: c.cells }),
      VALIDATE_RECORD,
    ),
  );
  v.close();
  changes.forEach((c, i) => {
    write(`changes${i}.params.i32`, c.params);
    write(`changes${i}.current.f64`, c.current);
    write(`changes${i}.proposed.f64`, c.proposed);
    write(`changes${i}.at.f64`, c.at);
    write(`changes${i}.cells.i32`, c.cells);
  });

  // Formulas: the catalog's and hostile ones, each compiled alone.
  const formulas = [...[...catalog.kpis.values()].flatMap((k) => (k.formula ? [k.formula] : [])), ...HOSTILE];
  const fCounters = [...counters, ...HOSTILE_COUNTERS];
  const fIndex = new Map(fCounters.map((c, i) => [c, i]));
  const tsPrograms = formulas.map((f) => compileTs(f, fIndex));

  writeFileSync(
    new URL('meta.json', dir),
    JSON.stringify({
      counters,
      batches: batches.map((bt) => ({ cells: bt.cells, periods: bt.periods, z: bt.z, minHistory: bt.minHistory })),
      changes: changes.map((c) => c.params.length),
      formulas,
      formulaCounters: fCounters,
    }),
  );
  execFileSync('/usr/bin/python3', ['tests/python/parity_run.py', 'build/parity'], {
    cwd: root,
    env: { ...process.env, PYTHONPATH: 'python:build/python' },
    stdio: 'inherit',
  });
  const py = (name: string) => new Uint8Array(readFileSync(new URL(`out/${name}`, dir)));
  const pyMeta = JSON.parse(readFileSync(new URL('out/meta.json', dir), 'utf8')) as {
    kpis: string[][];
    missing: number[];
    formulas: unknown[];
    counts: { ok: number; warn: number; reject: number }[];
  };

  // Programs.
  expect(pyMeta.formulas).toEqual(tsPrograms);
  expect(tsPrograms.filter((p) => 'error' in p).length).toBeGreaterThan(15);
  expect(tsPrograms.filter((p) => 'compiled' in p && !p.compiled).length).toBeGreaterThan(1);

  // Monitor: every array, bit for bit; and the figures are not trivial.
  let anomalies = 0,
    breaches = 0,
    divZero = 0,
    missingNulls = 0;
  wasm.forEach((r, i) => {
    expect(pyMeta.kpis[i]).toEqual(r.kpis);
    expect(pyMeta.missing[i]).toBe(r.missing);
    const arrays: [string, ArrayBufferView][] = [
      ['values', r.values!],
      ['reasons', r.reasons!],
      ['nulls', r.nullCounts],
      ['anomalies', r.anomalies],
      ['max_z', r.maxZ],
      ['breaches', r.breaches],
      ['kpi_stats', r.kpiStats],
      ['counter_stats', r.counterStats],
    ];
    for (const [name, a] of arrays) {
      const got = py(`batch${i}.${name}`);
      expect(got.length, `${name} of batch ${i}`).toBe(a.byteLength);
      const same = Buffer.compare(Buffer.from(got), Buffer.from(bytes(a))) === 0;
      expect(same, `${name} of batch ${i}: the bytes differ`).toBe(true);
    }
    anomalies += r.anomalies.reduce((s, x) => s + x, 0);
    breaches += r.breaches.reduce((s, x) => s + x, 0);
    for (let j = 0; j < r.nullCounts.length; j += 2)
      ((missingNulls += r.nullCounts[j]!), (divZero += r.nullCounts[j + 1]!));
  });
  expect(wasm[0]!.kpis.length).toBeGreaterThan(100);
  expect(wasm[0]!.kpis.length).toBeLessThan(catalog.kpis.size);
  expect(anomalies).toBeGreaterThan(0);
  expect(breaches).toBeGreaterThan(0);
  expect(divZero).toBeGreaterThan(0);
  expect(missingNulls).toBeGreaterThan(0);

  // Validation: verdicts, reasons and counts of both nights (night 2 sees night 1's cooldowns).
  vres.forEach((r, i) => {
    expect(Buffer.from(py(`changes${i}.verdicts`)).equals(Buffer.from(bytes(r.verdicts)))).toBe(true);
    expect(Buffer.from(py(`changes${i}.reasons`)).equals(Buffer.from(bytes(r.reasons)))).toBe(true);
    expect(pyMeta.counts[i]).toEqual(r.counts);
  });
  const all = new Uint16Array([...vres[0]!.reasons, ...vres[1]!.reasons]);
  // Every reason but NO_BOUNDS (the default catalog has no number or int parameter without bounds).
  for (let bit = 0; bit < 7; bit++)
    expect(
      all.some((x) => (x >> bit) & 1),
      `reason bit ${bit} occurs`,
    ).toBe(true);
}, 240_000);
