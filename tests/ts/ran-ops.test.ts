/** Validation verdicts and KPI programs through the real wasm kernels. */
import { beforeAll, expect, test } from 'vitest';
import {
  instantiate,
  kpiOutputLayout,
  VALIDATE_CALLER_CHECKED,
  VALIDATE_RECORD,
  type Bindings,
  type ValidatorHandle,
} from '../../ts/bindings/bindings.ts';
import { loadCatalog } from '../../ts/host/catalog.ts';
import { codeOf } from './helpers.ts';
import {
  CellIds,
  checkBatch,
  compileFormula,
  parameterIndexes,
  prepareValidation,
  validationResults,
  validatorTables,
  MAX_CHANGES,
  VALIDATION_REASONS,
  VERDICTS,
  type ParameterChange,
  type ValidationBatch,
} from '../../ts/host/ran-ops.ts';

const catalog = loadCatalog({
  features: [
    {
      code: 'FAJ 121 0001',
      parameters: ['Cell.p', 'Cell.mode', 'Cell.flag', 'Cell.free'],
      counters: ['Cell.pmAtt', 'Cell.pmSucc'],
    },
  ],
  parameters: [
    { name: 'Cell.p', type: 'int', range: [0, 100], safe: { min: 20, max: 80, maxChange: 10, cooldownS: 60 } },
    { name: 'Cell.mode', type: 'enum', values: ['off', 'on'] },
    { name: 'Cell.flag', type: 'bool' },
    { name: 'Cell.free', type: 'float' },
  ],
  kpis: [{ name: 'Success', formula: '100 * Cell.pmSucc / Cell.pmAtt', threshold: 95, direction: 'higher' }],
});

let b: Bindings;
beforeAll(async () => {
  b = await instantiate({ variant: 'simd' });
});

/** An engine validator with its cell names: the state engine.validate() keeps. */
interface Store {
  v: ValidatorHandle;
  cells: CellIds;
}
const fresh = (): Store => ({ v: b.createValidator(validatorTables(catalog)), cells: new CellIds() });

function validate(changes: ParameterChange[], last = fresh()) {
  const cols = prepareValidation(catalog, changes, last.cells);
  const { verdicts, reasons } = last.v.run(cols, VALIDATE_RECORD | VALIDATE_CALLER_CHECKED);
  return validationResults(catalog, changes, cols.params, verdicts, reasons);
}

function validateBatch(batch: ValidationBatch, last = fresh()) {
  return last.v.run(checkBatch(batch), VALIDATE_RECORD);
}

test('each reason code, and the verdict it leads to', () => {
  const at = 1_000_000;
  const r = validate([
    { parameter: 'Cell.p', cell: 'A', current: 50, proposed: 55, at },
    { parameter: 'Cell.p', cell: 'B', current: 50, proposed: 75, at },
    { parameter: 'Cell.p', cell: 'C', current: 80, proposed: 85, at },
    { parameter: 'Cell.p', cell: 'D', current: 95, proposed: 101, at },
    { parameter: 'Cell.p', cell: 'E', current: 50, proposed: 50.5, at },
    { parameter: 'Cell.p', cell: 'F', current: 50, proposed: NaN, at },
    { parameter: 'Cell.nope', current: 1, proposed: 2, at },
    { parameter: 'Cell.mode', current: 'off', proposed: 'maybe', at },
    { parameter: 'Cell.flag', current: false, proposed: true, at },
    { parameter: 'Cell.free', current: 1, proposed: 2, at },
  ]);
  expect(r.map((x) => [x.verdict, x.reasons])).toEqual([
    ['ok', []],
    ['reject', ['CHANGE_TOO_LARGE']],
    ['warn', ['OUTSIDE_SAFE_RANGE']],
    ['reject', ['OUTSIDE_ABSOLUTE_RANGE', 'OUTSIDE_SAFE_RANGE']],
    ['reject', ['WRONG_TYPE']],
    ['reject', ['NOT_FINITE']],
    ['reject', ['UNKNOWN_PARAMETER']],
    ['reject', ['WRONG_TYPE']],
    ['ok', []],
    ['warn', ['NO_BOUNDS']],
  ]);
});

test('cooldowns use the caller clock and only accepted changes', () => {
  const last = fresh();
  const t = 5_000_000;
  expect(validate([{ parameter: 'Cell.p', cell: 'A', current: 50, proposed: 55, at: t }], last)[0]!.verdict).toBe('ok');
  expect(
    validate([{ parameter: 'Cell.p', cell: 'A', current: 55, proposed: 60, at: t + 30_000 }], last)[0]!.reasons,
  ).toEqual(['COOLDOWN']);
  expect(
    validate([{ parameter: 'Cell.p', cell: 'B', current: 55, proposed: 60, at: t + 30_000 }], last)[0]!.verdict,
  ).toBe('ok');
  expect(
    validate([{ parameter: 'Cell.p', cell: 'A', current: 55, proposed: 60, at: t + 61_000 }], last)[0]!.verdict,
  ).toBe('ok');
  expect(
    codeOf(() => prepareValidation(catalog, [{ parameter: 'Cell.p', current: 1, proposed: 2, at: NaN }], last.cells)),
  ).toBe('INVALID_ARGUMENT');
});

test('the typed batch gives the same verdicts and reasons as change objects, cooldowns included', () => {
  // Seeded random numeric changes over the numeric and bool parameters, on 5 cells, over time.
  let seed = 7;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const names = ['Cell.p', 'Cell.flag', 'Cell.free', 'Cell.nope'];
  const n = 2000;
  const changes: ParameterChange[] = [];
  for (let i = 0; i < n; i++) {
    const parameter = names[Math.floor(rnd() * names.length)]!;
    const current = Math.round(rnd() * 120 - 10);
    let proposed = parameter === 'Cell.flag' ? Math.floor(rnd() * 3) : current + Math.round(rnd() * 30 - 15);
    if (i % 97 === 0) proposed = NaN;
    changes.push({ parameter, cell: `c${i % 5}`, current, proposed, at: 1e6 + i * 7_000 });
  }
  const objects = validate(changes);
  const cells = new Uint32Array(n);
  const batch = validateBatch({
    parameters: parameterIndexes(
      catalog,
      changes.map((c) => c.parameter),
    ),
    current: Float64Array.from(changes, (c) => c.current as number),
    proposed: Float64Array.from(changes, (c) => c.proposed as number),
    at: Float64Array.from(changes, (c) => c.at),
    cells: cells.map((_, i) => i % 5),
  });
  const fromBits = (bits: number) => VALIDATION_REASONS.filter((_, b) => (bits >> b) & 1);
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    expect([VERDICTS[batch.verdicts[i]!], fromBits(batch.reasons[i]!)]).toEqual([
      objects[i]!.verdict,
      objects[i]!.reasons,
    ]);
    for (const r of objects[i]!.reasons) seen.add(r);
  }
  // The sample exercised every reason a numeric batch can give.
  expect([...seen].sort()).toEqual(
    [
      'CHANGE_TOO_LARGE',
      'COOLDOWN',
      'NOT_FINITE',
      'NO_BOUNDS',
      'OUTSIDE_ABSOLUTE_RANGE',
      'OUTSIDE_SAFE_RANGE',
      'UNKNOWN_PARAMETER',
      'WRONG_TYPE',
    ].sort(),
  );
  expect(batch.counts.ok + batch.counts.warn + batch.counts.reject).toBe(n);
  expect(batch.counts.reject).toBe(objects.filter((r) => r.verdict === 'reject').length);
});

test('a typed batch with bad columns is a coded error', () => {
  const one = {
    parameters: new Int32Array([0]),
    current: new Float64Array([1]),
    proposed: new Float64Array([2]),
    at: 1,
  };
  expect(codeOf(() => checkBatch({ ...one, current: new Float64Array(2) }))).toBe('DIMENSION_MISMATCH');
  expect(codeOf(() => checkBatch({ ...one, parameters: [0] as unknown as Int32Array }))).toBe('INVALID_ARGUMENT');
  expect(codeOf(() => checkBatch({ ...one, at: NaN }))).toBe('INVALID_ARGUMENT');
  expect(codeOf(() => checkBatch(null as unknown as ValidationBatch))).toBe('INVALID_ARGUMENT');
  // Values are checked in the engine, before anything is recorded.
  const store = fresh();
  expect(codeOf(() => validateBatch({ ...one, cells: new Int32Array([-1]) }, store))).toBe('INVALID_ARGUMENT');
  expect(codeOf(() => validateBatch({ ...one, cells: new Uint32Array([2 ** 31]) }, store))).toBe('INVALID_ARGUMENT');
  expect(codeOf(() => validateBatch({ ...one, at: new Float64Array([Infinity]) }, store))).toBe('INVALID_ARGUMENT');
  expect(store.v.stats().cooldowns).toBe(0);
  // A run reports the bytes its validator holds, as stats() does.
  expect(validateBatch({ ...one, cells: new Int32Array([3]) }, store).heldBytes).toBe(store.v.stats().bytes);
  // More than MAX_CHANGES changes in one call: refused before anything is packed.
  const big = MAX_CHANGES + 1;
  expect(
    codeOf(() =>
      checkBatch({
        parameters: new Int32Array(big),
        current: new Float64Array(big),
        proposed: new Float64Array(big),
        at: 1,
      }),
    ),
  ).toBe('INVALID_ARGUMENT');
  // Out-of-range indexes are unknown parameters, not errors; enum parameters are WRONG_TYPE here.
  const r = validateBatch({
    parameters: new Int32Array([-1, 99, parameterIndexes(catalog, ['Cell.mode'])[0]!]),
    current: new Float64Array(3),
    proposed: new Float64Array(3),
    at: 5,
  });
  expect([...r.reasons]).toEqual([1, 1, 2]);
  expect([...r.verdicts]).toEqual([2, 2, 2]);
});

test('KPI formulas compile to stack programs and evaluate with reasons for null values', () => {
  const idx = new Map([
    ['Cell.pmAtt', 0],
    ['Cell.pmSucc', 1],
  ]);
  const consts: number[] = [];
  const ops = compileFormula('100 * Cell.pmSucc / Cell.pmAtt', idx, consts)!;
  expect(ops.length).toBe(5);
  expect(compileFormula('Cell.pmAtt + X.pmMissing', idx, [])).toBeNull();
  expect(codeOf(() => compileFormula('(Cell.pmAtt', idx, []))).toBe('INVALID_ARGUMENT');
  expect(codeOf(() => compileFormula('Cell.pmAtt $ 2', idx, []))).toBe('INVALID_ARGUMENT');
  expect(compileFormula('-Cell.pmAtt - -2', idx, [])).not.toBeNull();
  // 1 cell, 2 counters, 3 periods: att, succ
  const data = new Float32Array([10, 0, 4, 9, 0, NaN]);
  const prog = {
    ops: Int32Array.from(ops),
    offsets: Uint32Array.from([0, ops.length]),
    consts: Float32Array.from(consts),
    kpis: 1,
    thresholds: Float32Array.from([95]),
    directions: Int8Array.from([1]),
  };
  const shape = { cells: 1, counters: 2, periods: 3 };
  const r = b.kpiEval(prog, data, shape, new Float64Array(3), 3, 8);
  expect(r.values![0]).toBeCloseTo(90, 5);
  expect(Number.isNaN(r.values![1])).toBe(true);
  expect(Array.from(r.reasons!)).toEqual([0, 2, 1]);
  expect(Array.from(r.nullCounts)).toEqual([1, 1]); // one missing sample, one division by zero
  // Without per-period output: the same statistics and null counts, no values.
  const lean = b.kpiEval(prog, data, shape, new Float64Array(3), 3, 8, false);
  expect(lean.values).toBeNull();
  expect(lean.reasons).toBeNull();
  expect(Array.from(lean.nullCounts)).toEqual([1, 1]);
  expect(Array.from(lean.kpiStats)).toEqual(Array.from(r.kpiStats));
  expect(r.breaches[0]).toBe(1); // 90 < 95
  expect(Array.from(r.counterStats.subarray(5, 10))).toEqual([2, 9, 4.5, 0, 9]); // succ: NaN skipped
});

/** KPI programs over two counters (Cell.pmAtt, Cell.pmSucc), as kpiEval() takes them. */
function ratioPrograms(formulas: string[], thresholds: number[], directions: number[]) {
  const idx = new Map([
    ['Cell.pmAtt', 0],
    ['Cell.pmSucc', 1],
  ]);
  const consts: number[] = [];
  const code = formulas.map((f) => compileFormula(f, idx, consts)!);
  const offsets = [0];
  for (const c of code) offsets.push(offsets[offsets.length - 1]! + c.length);
  return {
    ops: Int32Array.from(code.flat()),
    offsets: Uint32Array.from(offsets),
    consts: Float32Array.from(consts),
    kpis: formulas.length,
    thresholds: Float32Array.from(thresholds),
    directions: Int8Array.from(directions),
  };
}

test('KPI and counter statistics are bit-identical in the simd and scalar builds', async () => {
  const scalar = await instantiate({ variant: 'scalar' });
  try {
    const prog = ratioPrograms(
      ['100 * Cell.pmSucc / Cell.pmAtt', '-(Cell.pmAtt - Cell.pmSucc) * 2 + Cell.pmSucc / (Cell.pmAtt - 3)'],
      [95, NaN],
      [1, 0],
    );
    // 37 cells × 2 counters × 97 periods (not multiples of 4), with gaps and zeros; then 96
    // periods (the unmasked paths for clean rows), where most cells have no gap.
    for (const periods of [97, 96]) {
      const shape = { cells: 37, counters: 2, periods };
      const data = new Float32Array(37 * 2 * periods);
      let s = 9;
      for (let i = 0; i < data.length; i++) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        const gap = periods === 97 || Math.floor(i / (2 * periods)) % 5 === 0;
        data[i] = gap && s % 23 === 0 ? NaN : gap && s % 31 === 0 ? 0 : (s >>> 12) / 97;
      }
      // Two batches, so the second is scored against the history of the first.
      const ha = new Float64Array(37 * 2 * 3),
        hc = new Float64Array(37 * 2 * 3);
      b.kpiEval(prog, data, shape, ha, 3, 8);
      scalar.kpiEval(prog, data, shape, hc, 3, 8);
      const a = b.kpiEval(prog, data, shape, ha, 1.5, 8);
      const c = scalar.kpiEval(prog, data, shape, hc, 1.5, 8);
      const bits = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));
      expect(bits(a.values!)).toEqual(bits(c.values!));
      expect(Array.from(a.reasons!)).toEqual(Array.from(c.reasons!));
      expect(Array.from(a.nullCounts)).toEqual(Array.from(c.nullCounts));
      expect(bits(a.counterStats)).toEqual(bits(c.counterStats));
      expect(bits(a.kpiStats)).toEqual(bits(c.kpiStats));
      expect(Array.from(a.anomalies)).toEqual(Array.from(c.anomalies));
      expect(Array.from(a.breaches)).toEqual(Array.from(c.breaches));
      expect(bits(a.maxZ)).toEqual(bits(c.maxZ));
      expect(Array.from(ha)).toEqual(Array.from(hc));
      // The data exercised the paths: nulls of both kinds, breaches, anomalies.
      expect(a.nullCounts.some((x, i) => i % 2 === 0 && x > 0)).toBe(true);
      expect(a.nullCounts.some((x, i) => i % 2 === 1 && x > 0)).toBe(true);
      expect(a.breaches.some((x) => x > 0)).toBe(true);
      expect(a.anomalies.some((x) => x > 0)).toBe(true);
    }
  } finally {
    scalar.close();
  }
});

test('kpiEval lays its figures into a given buffer of the right size, whatever it held', () => {
  const prog = ratioPrograms(['100 * Cell.pmSucc / Cell.pmAtt'], [95], [1]);
  const shape = { cells: 3, counters: 2, periods: 8 };
  const data = Float32Array.from({ length: 48 }, (_, i) => (i % 7 === 3 ? NaN : 10 + (i % 11)));
  const fresh = b.kpiEval(prog, data, shape, new Float64Array(9), 3, 8, false);
  const bytes = kpiOutputLayout(3, 1, 2).bytes;
  const used = new ArrayBuffer(bytes);
  new Uint8Array(used).fill(0xa5);
  const into = b.kpiEval(prog, data, shape, new Float64Array(9), 3, 8, false, used);
  expect(into.kpiStats.buffer).toBe(used);
  expect(into.counterStats.buffer).toBe(used);
  expect(new Uint8Array(used)).toEqual(new Uint8Array(fresh.kpiStats.buffer));
  // The figures fill the buffer exactly, in the documented order.
  expect(fresh.counterStats.byteOffset + fresh.counterStats.byteLength).toBe(bytes);
  expect(Array.from(into.nullCounts)).toEqual(Array.from(fresh.nullCounts));
  // A buffer of another size is not used.
  const other = b.kpiEval(prog, data, shape, new Float64Array(9), 3, 8, false, new ArrayBuffer(bytes + 4));
  expect(other.kpiStats.buffer.byteLength).toBe(bytes);
});

test('a batch larger than one slice of wasm memory gives what its cells give one at a time', () => {
  // 2 counters × 7,500 periods: 15,000 floats a cell, so 1M-float slices of 69 cells;
  // 150 cells make three slices, the last one short.
  const prog = ratioPrograms(['100 * Cell.pmSucc / Cell.pmAtt', 'Cell.pmAtt - Cell.pmSucc'], [95, 10], [1, -1]);
  const counters = 2,
    periods = 7_500,
    cells = 150;
  const data = new Float32Array(cells * counters * periods);
  let s = 5;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s % 97 === 0 ? NaN : 40 + (s >>> 26);
  }
  const K = 2;
  const whole = new Float64Array(cells * K * 3);
  // Two batches, so that anomalies are scored against the first one's history.
  b.kpiEval(prog, data, { cells, counters, periods }, whole, 2, 8, false);
  const all = b.kpiEval(
    prog,
    data.map((x) => x * 1.5),
    { cells, counters, periods },
    whole,
    2,
    8,
    true,
  );
  const fields = [
    'anomalies',
    'maxZ',
    'breaches',
    'kpiStats',
    'counterStats',
    'nullCounts',
    'values',
    'reasons',
  ] as const;
  for (const c of [0, 68, 69, 70, 137, 138, 149]) {
    const one = data.subarray(c * counters * periods, (c + 1) * counters * periods);
    const hist = new Float64Array(K * 3);
    b.kpiEval(prog, one, { cells: 1, counters, periods }, hist, 2, 8, false);
    const r = b.kpiEval(
      prog,
      one.map((x) => x * 1.5),
      { cells: 1, counters, periods },
      hist,
      2,
      8,
      true,
    );
    expect([...hist]).toEqual([...whole.subarray(c * K * 3, (c + 1) * K * 3)]);
    for (const f of fields) {
      const a = all[f]!,
        o = r[f]!;
      const per = o.length;
      expect([...a.subarray(c * per, (c + 1) * per)], `${f} of cell ${c}`).toEqual([...o]);
    }
  }
  expect(all.anomalies.some((x) => x > 0) || all.breaches.some((x) => x > 0)).toBe(true);
});

test('values are compared as given: a 36-bit id one above its range, a step from 0', () => {
  // They passed: the tables were float32 (no unit steps above 2^24) and the
  // step limit was relative to the current value (from 0: no limit).
  const ids = loadCatalog({
    features: [{ code: 'FAJ 121 0002', parameters: ['NRCellCU.nCI', 'Cell.offset'] }],
    parameters: [
      { name: 'NRCellCU.nCI', type: 'int', range: [0, 68_719_476_735] },
      { name: 'Cell.offset', type: 'float', range: [-24, 24], safe: { maxChange: 3 } },
    ],
  });
  const v = b.createValidator(validatorTables(ids));
  const changes: ParameterChange[] = [
    { parameter: 'NRCellCU.nCI', current: 0, proposed: 68_719_476_736, at: 0 },
    { parameter: 'NRCellCU.nCI', current: 0, proposed: 68_719_476_735, at: 0 },
    { parameter: 'Cell.offset', current: 0, proposed: 24, at: 0 },
    { parameter: 'Cell.offset', current: 0, proposed: 3, at: 0 },
  ];
  const cols = prepareValidation(ids, changes, new CellIds());
  const { verdicts, reasons } = v.run(cols, VALIDATE_CALLER_CHECKED);
  const r = validationResults(ids, changes, cols.params, verdicts, reasons);
  expect(r.map((x) => [x.verdict, x.reasons])).toEqual([
    ['reject', ['OUTSIDE_ABSOLUTE_RANGE']],
    ['ok', []],
    ['reject', ['CHANGE_TOO_LARGE']],
    ['ok', []],
  ]);
  v.close();
});
