/**
 * The C ABI's structs: ts/generated/abi.ts and engine/src/api/abi_layout.h are
 * what scripts/gen-abi.mjs writes from elex.h now (a struct changed without
 * `npm run gen:abi` fails here; the compiler checks abi_layout.h's
 * static_asserts), and the engine's results read through the typed view
 * carry the values their names say.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CPP_OUTPUT, HEADER, TS_OUTPUT, generateAbi, parseStructs } from '../../scripts/gen-abi.mjs';
import { readStruct, writeStruct } from '../../ts/bindings/abi-view.ts';
import { instantiate, type Bindings } from '../../ts/bindings/bindings.ts';
import * as abi from '../../ts/generated/abi.ts';

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

test('the generated layouts are what scripts/gen-abi.mjs writes from elex.h (else: npm run gen:abi)', () => {
  const { ts, cpp } = generateAbi();
  expect(ts).toBe(read(TS_OUTPUT));
  expect(cpp).toBe(read(CPP_OUTPUT));
});

test('every struct packs its fields with no padding, and the memory stats and KPI arguments are as documented', () => {
  for (const s of parseStructs(read(HEADER))) {
    let at = 0;
    for (const f of s.fields) {
      expect(f.offset, `${s.cName}.${f.cName}`).toBe(at);
      at += { u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4, ptr: 4, f32: 4, u64: 8, f64: 8 }[f.type as 'u8'] * f.count;
    }
    expect(at, s.cName).toBe(s.bytes);
  }
  expect(abi.MEMORY_STATS.bytes).toBe(18 * 8);
  expect(abi.KPI_EVAL_ARGS.bytes).toBe(88);
  expect(abi.KPI_EVAL_ARGS.fields.zThreshold).toEqual({ offset: 80, type: 'f32' });
});

test('the view writes and reads back every field type', () => {
  const buf = new ArrayBuffer(128);
  const args = Object.fromEntries(
    Object.entries(abi.KPI_EVAL_ARGS.fields).map(([k], i) => [k, k === 'zThreshold' ? 2.5 : i * 7]),
  ) as Parameters<typeof writeStruct<typeof abi.KPI_EVAL_ARGS>>[3];
  writeStruct(abi.KPI_EVAL_ARGS, buf, 8, args);
  expect(readStruct(abi.KPI_EVAL_ARGS, buf, 8)).toEqual(args);
  expect(new DataView(buf).getFloat32(8 + 80, true)).toBe(2.5);
});

describe('results read through the view', () => {
  let b: Bindings;
  beforeAll(async () => {
    b = await instantiate({ variant: 'simd' });
  });
  afterAll(() => b?.close());

  test('memory stats name the budget, agents and learning figures', () => {
    b.configureMemory(1 << 20);
    b.decide('FAJ 121 0001', 1);
    b.feedback('FAJ 121 0001', new Float64Array([1]), new Float32Array([-1]));
    const st = b.memoryStats();
    expect(Object.keys(st).sort()).toEqual(Object.keys(abi.MEMORY_STATS.fields).sort());
    expect(st.budgetBytes).toBe(1 << 20);
    expect(st.hotAgents).toBe(1);
    expect(st.decisions).toBe(1);
    expect(st.updates).toBe(1);
    expect(st.rewardSum).toBe(-1);
    expect(st.usedBytes).toBeGreaterThan(0);
  });

  test('index stats and agent figures come back by name', () => {
    const ix = b.createIndex({ dim: 4, metric: 'cosine' });
    ix.add(new Uint32Array([1, 2]), new Float32Array([1, 0, 0, 0, 0, 1, 0, 0]));
    expect(ix.stats()).toMatchObject({ size: 2, nodes: 2, dim: 4, metric: 'cosine', quantization: 'none' });
    ix.close();
    expect(b.agentInfo('FAJ 121 0001')).toMatchObject({ code: 'FAJ 121 0001', decisions: 1, updates: 1 });
  });
});
