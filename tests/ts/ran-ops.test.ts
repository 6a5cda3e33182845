/** Validation verdicts and KPI programs through the real wasm kernels. */
import { beforeAll, expect, test } from 'vitest';
import { instantiate, type Bindings } from '../../ts/bindings.ts';
import { loadCatalog } from '../../ts/catalog.ts';
import { codeOf } from './helpers.ts';
import { compileFormula, finishValidation, prepareValidation, type ParameterChange } from '../../ts/ran-ops.ts';

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

function validate(changes: ParameterChange[], last = new Map<string, Map<string, number>>()) {
  const prep = prepareValidation(catalog, changes);
  const { masks } = b.validateKernel(prep.soa, prep.n);
  return finishValidation(catalog, changes, prep, masks, last, true);
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
  const last = new Map<string, Map<string, number>>();
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
  expect(codeOf(() => prepareValidation(catalog, [{ parameter: 'Cell.p', current: 1, proposed: 2, at: NaN }]))).toBe(
    'INVALID_ARGUMENT',
  );
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
  const r = b.kpiEval(
    {
      ops: Int32Array.from(ops),
      offsets: Uint32Array.from([0, ops.length]),
      consts: Float32Array.from(consts),
      kpis: 1,
      thresholds: Float32Array.from([95]),
      directions: Int8Array.from([1]),
    },
    data,
    { cells: 1, counters: 2, periods: 3 },
    new Float64Array(3),
    3,
    8,
  );
  expect(r.values[0]).toBeCloseTo(90, 5);
  expect(Number.isNaN(r.values[1])).toBe(true);
  expect(Array.from(r.reasons)).toEqual([0, 2, 1]);
  expect(r.breaches[0]).toBe(1); // 90 < 95
  expect(Array.from(r.counterStats.subarray(5, 10))).toEqual([2, 9, 4.5, 0, 9]); // succ: NaN skipped
});
