/**
 * The same-thread bindings on the real wasm variants that run in node
 * (scalar and simd; simd-mt needs a browser and runs in e2e/).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ABI_VERSION, instantiate, type Bindings, type Metric } from '../../ts/bindings/bindings.ts';
import { ElexError } from '../../ts/core/errors.ts';
import { codeOf, seeded } from './helpers.ts';

/** Double-precision distance, the definitions of kernels.h. */
function exact(metric: Metric, a: Float32Array, b: Float32Array): number {
  let dot = 0,
    aa = 0,
    bb = 0,
    l2 = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
    l2 += (a[i]! - b[i]!) ** 2;
  }
  if (metric === 'l2') return l2;
  if (metric === 'ip') return 1 - dot;
  return aa === 0 || bb === 0 ? 1 : 1 - dot / Math.sqrt(aa * bb);
}

const results: Record<string, Float32Array> = {};

describe.each(['scalar', 'simd'] as const)('%s variant in node', (variant) => {
  let b: Bindings;
  beforeAll(async () => {
    b = await instantiate({ variant });
  });
  afterAll(() => b.close());

  test('reports its variant and the kernel that really runs', () => {
    const info = b.info();
    expect(info.variant).toBe(variant);
    expect(info.kernel).toBe(variant === 'scalar' ? 'scalar' : 'simd128');
    expect(info.threads).toBe(1);
    expect(info.threadsSupported).toBe(false);
    expect(info.abi).toBe(ABI_VERSION);
    // The package's ABI number is the engine header's.
    const header = readFileSync(new URL('../../engine/include/elex/elex.h', import.meta.url), 'utf8');
    expect(Number(/#define ELEX_ABI_VERSION (\d+)/.exec(header)?.[1])).toBe(ABI_VERSION);
  });

  test.each(['l2', 'ip', 'cosine'] as const)('%s batch matches double precision and the scalar reference', (metric) => {
    for (const dim of [1, 3, 4, 7, 16, 33, 128]) {
      const nq = 5,
        nv = 37;
      const q = seeded(nq * dim, dim),
        v = seeded(nv * dim, dim + 99);
      const fast = b.distanceBatch({ metric, queries: q, vectors: v, dim });
      const ref = b.distanceBatchReference({ metric, queries: q, vectors: v, dim });
      expect(fast.nq).toBe(nq);
      expect(fast.nv).toBe(nv);
      expect(fast.distances.length).toBe(nq * nv);
      for (let i = 0; i < nq; i++)
        for (let j = 0; j < nv; j++) {
          const want = exact(metric, q.subarray(i * dim, (i + 1) * dim), v.subarray(j * dim, (j + 1) * dim));
          const tol = 1e-5 * (1 + Math.abs(want)) * Math.sqrt(dim);
          expect(Math.abs(fast.distances[i * nv + j]! - want)).toBeLessThan(tol);
          expect(Math.abs(ref.distances[i * nv + j]! - want)).toBeLessThan(tol);
        }
      if (dim === 128 && metric === 'cosine') results[variant] = fast.distances;
    }
  });

  test('single distances: zero vectors have cosine distance 1', () => {
    const z = new Float32Array(9),
      x = seeded(9, 1);
    expect(b.distance('cosine', z, x)).toBe(1);
    expect(b.distance('l2', x, x)).toBe(0);
  });

  test('bad input gives coded errors', () => {
    const v = new Float32Array(6);
    expect(codeOf(() => b.distanceBatch({ metric: 'l2', queries: v, vectors: v, dim: 4 }))).toBe('DIMENSION_MISMATCH');
    expect(codeOf(() => b.distanceBatch({ metric: 'l2', queries: v, vectors: v, dim: 0 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => b.distanceBatch({ metric: 'l2', queries: v, vectors: v, dim: 2.5 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => b.distanceBatch({ metric: 'manhattan' as Metric, queries: v, vectors: v, dim: 2 }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(codeOf(() => b.distance('l2', new Float32Array(3), new Float32Array(4)))).toBe('DIMENSION_MISMATCH');
    expect(codeOf(() => b.distance('l2', new Float32Array(0), new Float32Array(0)))).toBe('INVALID_ARGUMENT');
    expect(
      codeOf(() => b.distanceBatch({ metric: 'l2', queries: [1, 2] as unknown as Float32Array, vectors: v, dim: 2 })),
    ).toBe('INVALID_ARGUMENT');
  });

  test('an empty side gives an empty result', () => {
    const r = b.distanceBatch({ metric: 'cosine', queries: new Float32Array(0), vectors: seeded(8, 2), dim: 4 });
    expect(r.distances.length).toBe(0);
    expect(r.nv).toBe(2);
  });

  test('vector bytes round-trip and damage is rejected with the right code', () => {
    const data = seeded(3 * 5, 3);
    const bytes = b.encodeVectors(data, 5);
    const back = b.decodeVectors(bytes);
    expect(back.count).toBe(3);
    expect(back.dim).toBe(5);
    expect(Array.from(back.data)).toEqual(Array.from(data));

    const flipped = bytes.slice();
    flipped[40] = flipped[40]! ^ 0x10;
    expect(codeOf(() => b.decodeVectors(flipped))).toBe('CORRUPT_DATA');
    expect(codeOf(() => b.decodeVectors(bytes.subarray(0, bytes.length - 1)))).toBe('CORRUPT_DATA');
    expect(codeOf(() => b.decodeVectors(new TextEncoder().encode('{"not":"elex"}')))).toBe('FOREIGN_DATA');
    expect(codeOf(() => b.decodeVectors(new Uint8Array(0)))).toBe('FOREIGN_DATA');
    try {
      b.decodeVectors(flipped);
    } catch (e) {
      expect((e as ElexError).message).toMatch(/checksum/); // the engine's own message reaches the caller
    }
    expect(codeOf(() => b.encodeVectors(data, 4))).toBe('DIMENSION_MISMATCH');
  });

  test('texts reach the engine whole, whether a batch is all ASCII (one copy) or not (text by text)', () => {
    // Over 4,096 UTF-16 units a batch is copied in one piece when it is all ASCII.
    const ascii = Array.from({ length: 400 }, (_, i) => `pmRrcConnEstab${i} uplink_${i}.mimoSleep`);
    const mixed = [...ascii.slice(0, 200), 'Überlast µs – 5G “NR” 🚀 handover', ...ascii.slice(200)];
    for (const texts of [ascii, mixed]) {
      expect(texts.join('').length).toBeGreaterThan(4096);
      expect(b.tokenizeMany(texts)).toEqual(texts.map((t) => b.tokenize(t)));
    }
  });

  test('many calls do not leak wasm memory', () => {
    const q = seeded(64 * 32, 5),
      v = seeded(256 * 32, 6);
    b.distanceBatch({ metric: 'l2', queries: q, vectors: v, dim: 32 });
    const mem = () => (b as unknown as { memory: WebAssembly.Memory }).memory.buffer.byteLength;
    const before = mem();
    for (let i = 0; i < 300; i++) b.distanceBatch({ metric: 'l2', queries: q, vectors: v, dim: 32 });
    expect(mem()).toBe(before);
  });
});

test('scalar and simd variants agree within tolerance', () => {
  const a = results.scalar!,
    s = results.simd!;
  expect(a.length).toBe(s.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - s[i]!)).toBeLessThan(1e-5);
});

test('closed bindings refuse calls with CLOSED', async () => {
  const b = await instantiate({ variant: 'scalar' });
  b.close();
  b.close(); // idempotent
  expect(codeOf(() => b.info())).toBe('CLOSED');
});

test('simd-mt needs SharedArrayBuffer isolation; node says so clearly', async () => {
  // node has SharedArrayBuffer but the threaded glue is web-only; forcing it
  // through selectBundle is refused because node is not cross-origin isolated.
  const { selectBundle, detectFeatures } = await import('../../ts/bindings/platform.ts');
  expect(() => selectBundle(detectFeatures(), { variant: 'simd-mt' })).toThrow(/cross-origin isolated/);
});

test('instantiate({ variant: "simd-mt" }) in node is UNSUPPORTED_VARIANT, not a TypeError from inside', async () => {
  // Before: "TypeError: scope.addEventListener is not a function" (node has
  // SharedArrayBuffer, so the isolation check passed, and the threaded glue
  // needs Web Workers).
  const err = await instantiate({ variant: 'simd-mt' }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ElexError);
  expect((err as ElexError).code).toBe('UNSUPPORTED_VARIANT');
  expect((err as ElexError).message).toMatch(/simd.*scalar/);
});

test('a misspelt bundles key or a URL that is not one is INVALID_ARGUMENT (it was ignored, and the package files loaded)', async () => {
  const { createEngine } = await import('../../ts/api/engine.ts');
  const fail = (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: ElexError) => `${e.code}: ${e.message}`,
    );
  expect(await fail(instantiate({ variant: 'simd', bundles: { simd_mt: {} } as never }))).toMatch(
    /^INVALID_ARGUMENT: instantiate\(\) bundles: unknown option "simd_mt" \(did you mean "simd-mt"\?\)/,
  );
  expect(await fail(instantiate({ variant: 'simd', bundles: { simd: { wams: 'x.wasm' } } as never }))).toMatch(
    /^INVALID_ARGUMENT: .*unknown option "wams" \(did you mean "wasm"\?\)/,
  );
  expect(await fail(instantiate({ variant: 'simd', bundles: { simd: { wasm: 5 } } as never }))).toMatch(
    /^INVALID_ARGUMENT: .*bundles\['simd'\]\.wasm must be a URL/,
  );
  expect(await fail(createEngine({ bundles: { avx: {} } as never }))).toMatch(
    /^INVALID_ARGUMENT: createEngine\(\) bundles: unknown option "avx"/,
  );
  // Well-formed overrides still load (here the package's own files, named explicitly).
  const wasm = new URL('../../build/wasm/scalar/elex.wasm', import.meta.url);
  const b = await instantiate({ variant: 'scalar', bundles: { scalar: { wasm } } as never });
  expect(b.info().variant).toBe('scalar');
  b.close();
});

test('instantiate(): a misspelt option or a module that is not one is INVALID_ARGUMENT', async () => {
  // { varient: 'scalar' } loaded the simd variant without a word; { module: 5 }
  // failed as INIT_FAILED with a TypeError from WebAssembly.instantiate().
  const fail = (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: ElexError) => `${e.code}: ${e.message}`,
    );
  expect(await fail(instantiate({ varient: 'scalar' } as never))).toMatch(
    /^INVALID_ARGUMENT: instantiate\(\): unknown option "varient" \(did you mean "variant"\?\)/,
  );
  expect(await fail(instantiate({ variant: 'scalar', module: 5 } as never))).toMatch(
    /^INVALID_ARGUMENT: module must be a WebAssembly\.Module/,
  );
});
