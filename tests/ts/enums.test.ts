/**
 * ts/generated/enums.ts is written from the headers by scripts/gen-enums.mjs:
 * the committed file must be what the generator writes now (a header changed
 * without `npm run gen:enums` fails here), and the values the TypeScript side
 * sends must mean to the wasm module what their names say.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { OUTPUT, generateEnums, parseHeader } from '../../scripts/gen-enums.mjs';
import {
  VALIDATE_RECORD,
  instantiate,
  packValidatorColumns,
  type Bindings,
  type Metric,
} from '../../ts/bindings/bindings.ts';
import { ErrorCodes, codeForStatus } from '../../ts/core/errors.ts';
import * as enums from '../../ts/generated/enums.ts';
import { codeOf } from './helpers.ts';

test('ts/generated/enums.ts is what scripts/gen-enums.mjs writes from the headers (else: npm run gen:enums)', () => {
  const committed = readFileSync(new URL(`../../${OUTPUT}`, import.meta.url), 'utf8');
  expect(generateEnums()).toBe(committed);
});

test('every *_NAMES lists its enum in value order; the ones read by position are dense', () => {
  const all = enums as unknown as Record<string, Record<string, number> | readonly string[]>;
  for (const [name, table] of Object.entries(all)) {
    if (name.endsWith('_NAMES')) continue;
    const names = all[`${name}_NAMES`] as readonly string[];
    const values = names.map((k) => (table as Record<string, number>)[k]!);
    expect(names.length, name).toBe(Object.keys(table).length);
    expect(values, name).toEqual([...values].sort((a, b) => a - b));
  }
  // Looked up by position in ts/ (NAMES[value], NAMES.indexOf(name)).
  for (const [table, names] of [
    [enums.METRIC, enums.METRIC_NAMES],
    [enums.QUANTIZATION, enums.QUANTIZATION_NAMES],
    [enums.AGENT_ACTION, enums.AGENT_ACTION_NAMES],
    [enums.QUERY_TYPE, enums.QUERY_TYPE_NAMES],
    [enums.COMPLEXITY, enums.COMPLEXITY_NAMES],
    [enums.VERDICT, enums.VERDICT_NAMES],
  ] as const)
    names.forEach((k, i) => expect((table as Record<string, number>)[k]).toBe(i));
  enums.VALIDATION_REASON_NAMES.forEach((k, i) => expect(enums.VALIDATION_REASON[k]).toBe(1 << i));
  enums.ENGINE_STATUS_NAMES.forEach((k, i) => {
    expect(enums.ENGINE_STATUS[k]).toBe(i + 1);
    expect(codeForStatus(i + 1)).toBe(k);
    expect(ErrorCodes[i]).toBe(k);
  });
});

test('the generator reads values, keys, docs and prefixes as documented', () => {
  const header = [
    '/// A doc.',
    '/// @ts SAMPLE',
    'enum class Sample : unsigned {',
    '  /// `first`: the first.',
    '  A = 0x2,',
    '  B,  ///< `second`',
    '  C = 1u << 4,  ///< `third`: shifted.',
    '  kCount,',
    '};',
    '/// @ts PREFIXED names=ELEX_X_',
    'typedef enum prefixed {',
    '  ELEX_OK = 0,',
    '  ELEX_X_ONE = 1,',
    '} prefixed;',
  ].join('\n');
  const [sample, prefixed] = parseHeader(header, 'sample.h');
  expect(sample).toMatchObject({ name: 'SAMPLE', cName: 'Sample', doc: ['A doc.'] });
  expect(sample!.items).toEqual([
    { key: 'first', value: 2, doc: ['the first.'] },
    { key: 'second', value: 3, doc: [] },
    { key: 'third', value: 16, doc: ['shifted.'] },
  ]);
  expect(prefixed!.items).toEqual([{ key: 'ONE', value: 1, doc: [] }]);
  expect(() => parseHeader('/// @ts BAD\nenum Bad {\n  A = sizeof(int),\n};', 'bad.h')).toThrow(/bad.h:3/);
  expect(() => parseHeader('/// @ts BAD\nint x;', 'bad.h')).toThrow(/enum head/);
});

describe('the wasm module reads the generated values as their names say', () => {
  let b: Bindings;
  beforeAll(async () => {
    b = await instantiate({ variant: 'scalar' });
  });
  afterAll(() => b.close());

  test('METRIC: l2, ip and cosine distances', () => {
    const x = Float32Array.of(1, 2);
    const y = Float32Array.of(3, 4);
    const expected: Record<Metric, number> = { l2: 8, ip: 1 - 11, cosine: 1 - 11 / Math.sqrt(5 * 25) };
    for (const metric of enums.METRIC_NAMES) expect(b.distance(metric, x, y)).toBeCloseTo(expected[metric], 5);
  });

  test('ENGINE_STATUS: statuses of the engine arrive as the codes of the same name', () => {
    expect(codeOf(() => b.decodeVectors(new Uint8Array(0)))).toBe('FOREIGN_DATA');
    expect(codeOf(() => b.distance('l2', new Float32Array(3), new Float32Array(4)))).toBe('DIMENSION_MISMATCH');
    expect(b.agentInfo('NO SUCH AGENT')).toBeNull(); // NOT_FOUND
  });

  test('QUANTIZATION: an index keeps the quantization it was made with', () => {
    for (const quantization of enums.QUANTIZATION_NAMES) {
      const index = b.createIndex({ dim: 8, quantization });
      expect(index.stats().quantization).toBe(quantization);
      index.close();
    }
  });

  test('PARAMETER_KIND, VALIDATION_REASON, VERDICT: one validator run', () => {
    const K = enums.PARAMETER_KIND;
    // abs_min, abs_max, safe_min, safe_max, max_change: each a column of `count` floats.
    const v = b.createValidator({
      kinds: Uint8Array.of(K.number, K.int),
      bounds: Float64Array.of(0, 0, 10, 10, 2, 2, 8, 8, NaN, NaN),
      cooldownMs: Float64Array.of(NaN, NaN),
    });
    const run = v.run(
      packValidatorColumns({
        params: Int32Array.of(0, 0, 1, 1, 7),
        current: Float64Array.of(5, 5, 5, 5, 5),
        proposed: Float64Array.of(5, 9, 2.5, NaN, 5),
        at: 0,
      }),
      VALIDATE_RECORD,
    );
    v.close();
    const R = enums.VALIDATION_REASON;
    expect(Array.from(run.reasons)).toEqual([0, R.OUTSIDE_SAFE_RANGE, R.WRONG_TYPE, R.NOT_FINITE, R.UNKNOWN_PARAMETER]);
    const V = enums.VERDICT;
    expect(Array.from(run.verdicts)).toEqual([V.ok, V.warn, V.reject, V.reject, V.reject]);
  });
});
