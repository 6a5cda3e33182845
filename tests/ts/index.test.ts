/**
 * The HNSW index through the same-thread bindings in node (scalar and simd
 * variants), plus the pure pieces of the sharded engine index.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { instantiate, type Bindings } from '../../ts/bindings/bindings.ts';
import { mergeTopK, shardOf } from '../../ts/api/engine-index.ts';
import { NO_HIT } from '../../ts/core/index-types.ts';
import { codeOf, seeded } from './helpers.ts';

const vectors = (n: number, dim: number, seed: number) => seeded(n * dim, seed);

const topk: Record<string, Uint32Array> = {};

describe.each(['scalar', 'simd'] as const)('index on the %s variant', (variant) => {
  let b: Bindings;
  beforeAll(async () => {
    b = await instantiate({ variant });
  });
  afterAll(() => b.close());

  test('graph search finds what an exact scan finds on a small set', () => {
    const dim = 24,
      n = 2000;
    const data = vectors(n, dim, 1),
      queries = vectors(50, dim, 2);
    const ix = b.createIndex({ dim, metric: 'cosine' });
    expect(
      ix.add(
        Uint32Array.from({ length: n }, (_, i) => i * 3),
        data,
      ),
    ).toEqual({ added: n, size: n });
    const exact = ix.search(queries, 10, { exact: true });
    const graph = ix.search(queries, 10, { ef: 200, exact: false });
    let hit = 0;
    for (let q = 0; q < 50; q++) {
      const want = new Set(exact.ids.subarray(q * 10, q * 10 + 10));
      for (const id of graph.ids.subarray(q * 10, q * 10 + 10)) hit += want.has(id) ? 1 : 0;
    }
    expect(hit / 500).toBeGreaterThanOrEqual(0.98);
    expect(exact.ids.every((id) => id % 3 === 0)).toBe(true); // the caller's ids come back
    topk[variant] = exact.ids;
    const st = ix.stats();
    expect(st).toMatchObject({
      size: n,
      nodes: n,
      dim,
      M: 16,
      efConstruction: 100,
      metric: 'cosine',
      quantization: 'none',
    });
    expect(st.bytesPerVector).toBeGreaterThan(dim * 4);
    ix.close();
  });

  test('remove, save and load', () => {
    const dim = 8;
    const ix = b.createIndex({ dim, metric: 'l2', M: 8, efConstruction: 50 });
    ix.add([1, 2, 3, 4, 5], vectors(5, dim, 3));
    expect(ix.remove([2, 4, 99])).toBe(2);
    const q = vectors(1, dim, 4);
    const before = ix.search(q, 3);
    expect(Array.from(before.ids)).not.toContain(2);
    const bytes = ix.save();
    const back = b.loadIndex(bytes);
    expect(back.stats().size).toBe(3);
    expect(back.search(q, 3)).toEqual(before);
    const flipped = bytes.slice();
    flipped[100] = flipped[100]! ^ 1;
    expect(codeOf(() => b.loadIndex(flipped))).toBe('CORRUPT_DATA');
    expect(codeOf(() => b.loadIndex(new Uint8Array(8)))).toBe('FOREIGN_DATA');
    ix.close();
    back.close();
    expect(codeOf(() => ix.search(q, 1))).toBe('CLOSED');
  });

  test('reserve(n) allocates room once: adds up to n keep the bytes, and give the same results', () => {
    const dim = 16,
      n = 1200;
    const data = vectors(n, dim, 5),
      queries = vectors(20, dim, 6);
    const ids = Uint32Array.from({ length: n }, (_, i) => i);
    const fill = (reserved: boolean) => {
      const ix = b.createIndex({ dim, metric: 'cosine', quantization: 'int8' });
      if (reserved) ix.reserve(n);
      const held = ix.stats().bytes;
      for (let at = 0; at < n; at += 400)
        ix.add(ids.subarray(at, at + 400), data.subarray(at * dim, (at + 400) * dim), { parallel: false });
      const bytes = ix.stats().bytes;
      const hits = ix.search(queries, 10, { ef: 64, exact: false }).ids;
      ix.close();
      return { held, bytes, hits };
    };
    const room = fill(true),
      grown = fill(false);
    expect(room.bytes).toBe(room.held);
    expect(Array.from(room.hits)).toEqual(Array.from(grown.hits));
    const ix = b.createIndex({ dim });
    expect(codeOf(() => ix.reserve(-1))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => ix.reserve(1.5))).toBe('INVALID_ARGUMENT');
    ix.close();
    // The capacity option is reserve(n) at creation.
    const made = b.createIndex({ dim, metric: 'cosine', quantization: 'int8', capacity: n });
    expect(made.stats().bytes).toBe(room.held);
    made.add(ids, data, { parallel: false });
    expect(made.stats().bytes).toBe(room.held);
    made.close();
    expect(codeOf(() => b.createIndex({ dim, capacity: -1 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => b.createIndex({ dim, capacity: 2.5 }))).toBe('INVALID_ARGUMENT');
  });

  test('bad input gives coded errors', () => {
    const ix = b.createIndex({ dim: 4 });
    expect(codeOf(() => ix.search(new Float32Array(4), 1))).toBe('EMPTY_INDEX');
    ix.add([10, 11], new Float32Array([1, 0, 0, 0, 0, 1, 0, 0]));
    expect(codeOf(() => ix.add([10], new Float32Array([1, 1, 1, 1])))).toBe('DUPLICATE_ID');
    expect(codeOf(() => ix.add([20, 20], new Float32Array(8).fill(1)))).toBe('DUPLICATE_ID');
    expect(codeOf(() => ix.add([21], new Float32Array(5)))).toBe('DIMENSION_MISMATCH');
    expect(codeOf(() => ix.add([21, 22], new Float32Array(4)))).toBe('DIMENSION_MISMATCH');
    expect(codeOf(() => ix.add([21], new Float32Array([1, NaN, 0, 0])))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => ix.add([-1], new Float32Array(4)))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => ix.add([NO_HIT], new Float32Array(4)))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => ix.search(new Float32Array(4), 0))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => ix.search(new Float32Array(4), 3))).toBe('INVALID_ARGUMENT'); // k > size
    expect(codeOf(() => ix.search(new Float32Array(3), 1))).toBe('DIMENSION_MISMATCH');
    expect(codeOf(() => ix.search(new Float32Array([Infinity, 0, 0, 0]), 1))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => ix.search(new Float32Array(4), 1, { exact: 'sometimes' as never }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => b.createIndex({ dim: 0 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => b.createIndex({ dim: 4, metric: 'l2', quantization: 'int8' }))).toBe('INVALID_ARGUMENT');
    // ef below k is raised to k
    expect(ix.search(new Float32Array([1, 0, 0, 0]), 2, { ef: 1, exact: false }).ids[0]).toBe(10);
    expect(ix.stats().size).toBe(2); // failed adds left nothing behind
    ix.close();
  });

  /** Share of want's top-k ids that got holds, over nq queries. */
  const recall = (want: Uint32Array, got: Uint32Array, nq: number, k: number) => {
    let hit = 0;
    for (let i = 0; i < nq; i++) {
      const w = new Set(want.subarray(i * k, i * k + k));
      for (const id of got.subarray(i * k, i * k + k)) hit += w.has(id) ? 1 : 0;
    }
    return hit / (nq * k);
  };
  /** The re-rank tests' set: 2,000 × 32, 30 queries, ids from 5, and an f32 index of it. */
  const reRankSet = () => {
    const dim = 32,
      n = 2000;
    const data = vectors(n, dim, 7),
      queries = vectors(30, dim, 8);
    const ids = Uint32Array.from({ length: n }, (_, i) => i + 5);
    const f = b.createIndex({ dim });
    f.add(ids, data);
    return { dim, n, data, queries, ids, f };
  };

  test('int8 indexes keep recall at a fraction of the memory', () => {
    const dim = 32,
      n = 3000;
    const data = vectors(n, dim, 5),
      queries = vectors(40, dim, 6);
    const ids = Uint32Array.from({ length: n }, (_, i) => i);
    const f = b.createIndex({ dim }),
      q = b.createIndex({ dim, quantization: 'int8' });
    f.add(ids, data);
    q.add(ids, data);
    const want = f.search(queries, 10, { exact: true }),
      got = q.search(queries, 10, { ef: 100, exact: false });
    expect(recall(want.ids, got.ids, 40, 10)).toBeGreaterThanOrEqual(0.85);
    // 1 byte instead of 4 per dimension (links and ids cost the same in both).
    expect(f.stats().bytesPerVector - q.stats().bytesPerVector).toBeGreaterThanOrEqual(3 * dim - 4);
    f.close();
    q.close();
  });

  test('int8+f32 scans codes and re-ranks exactly: the f32 exact top-k, kept across save and load', () => {
    const { dim, data, queries, ids, f } = reRankSet();
    const q = b.createIndex({ dim, quantization: 'int8+f32' });
    q.add(ids, data);
    expect(q.stats().quantization).toBe('int8+f32');
    const want = f.search(queries, 10, { exact: true });
    const got = q.search(queries, 10, { exact: true });
    expect(Array.from(got.ids)).toEqual(Array.from(want.ids));
    for (let i = 0; i < got.distances.length; i++) expect(got.distances[i]).toBeCloseTo(want.distances[i]!, 5);
    const copy = b.loadIndex(q.save());
    expect(copy.stats().quantization).toBe('int8+f32');
    expect(Array.from(copy.search(queries, 10, { exact: true }).ids)).toEqual(Array.from(want.ids));
    // The graph walk over codes, re-ranked exactly, finds what the f32 graph finds.
    const graphF = f.search(queries, 10, { exact: false, ef: 64 }),
      graphQ = q.search(queries, 10, { exact: false, ef: 64, rerank: 40 });
    let same = 0;
    for (let i = 0; i < graphF.ids.length; i++) same += graphQ.ids.includes(graphF.ids[i]!) ? 1 : 0;
    expect(same / graphF.ids.length).toBeGreaterThanOrEqual(0.97);
    expect(codeOf(() => q.search(queries, 10, { rerank: 0 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => q.search(queries, 10, { rerank: 2.5 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => b.createIndex({ dim, metric: 'ip', quantization: 'int8+f32' }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => b.createIndex({ dim, quantization: 'int4' as never }))).toBe('INVALID_ARGUMENT');
    for (const ix of [f, q, copy]) ix.close();
  });
  test('int8+res4 re-ranks with a 4-bit residual: near the f32 top-k for half a byte per dimension, kept across save and load', () => {
    const { dim, n, data, queries, ids, f } = reRankSet();
    const c = b.createIndex({ dim, quantization: 'int8' }),
      q = b.createIndex({ dim, quantization: 'int8+res4' });
    for (const ix of [c, q]) ix.add(ids, data);
    expect(q.stats().quantization).toBe('int8+res4');
    const want = f.search(queries, 10, { exact: true });
    const got = q.search(queries, 10, { exact: true });
    expect(recall(want.ids, got.ids, 30, 10)).toBeGreaterThanOrEqual(0.99);
    // Each distance is the f32 one within the residual's step.
    const fd = f.search(queries, n, { exact: true });
    for (let i = 0; i < 30; i++)
      for (let j = 0; j < 10; j++) {
        const id = got.ids[i * 10 + j]!;
        const at = fd.ids.subarray(i * n, (i + 1) * n).indexOf(id);
        expect(Math.abs(got.distances[i * 10 + j]! - fd.distances[i * n + at]!)).toBeLessThan(2e-4);
      }
    // Half a byte per dimension and a 4-byte factor over the codes alone.
    expect(q.stats().bytesPerVector - c.stats().bytesPerVector).toBeCloseTo(dim / 2 + 4, 0);
    const copy = b.loadIndex(q.save());
    expect(copy.stats().quantization).toBe('int8+res4');
    const again = copy.search(queries, 10, { exact: true });
    expect(Array.from(again.ids)).toEqual(Array.from(got.ids));
    expect(Array.from(again.distances)).toEqual(Array.from(got.distances));
    expect(codeOf(() => b.createIndex({ dim, metric: 'l2', quantization: 'int8+res4' }))).toBe('INVALID_ARGUMENT');
    for (const ix of [f, c, q, copy]) ix.close();
  });
});

test('scalar and simd variants return the same exact top-k', () => {
  expect(topk.simd).toEqual(topk.scalar);
});

test('mergeTopK merges per-shard lists nearest first and pads with NO_HIT', () => {
  const a = { ids: Uint32Array.from([1, 3, NO_HIT]), distances: Float32Array.from([0.1, 0.3, Infinity]), nq: 1, k: 3 };
  const b = { ids: Uint32Array.from([2, 4]), distances: Float32Array.from([0.2, 0.4]), nq: 1, k: 2 };
  const m = mergeTopK([a, b], 1, 4);
  expect(Array.from(m.ids)).toEqual([1, 2, 3, 4]);
  const few = mergeTopK([a], 1, 4);
  expect(Array.from(few.ids)).toEqual([1, 3, NO_HIT, NO_HIT]);
  expect(few.distances[3]).toBe(Infinity);
});

test('shardOf spreads consecutive ids evenly and is stable', () => {
  const count = [0, 0, 0];
  for (let i = 0; i < 30000; i++) count[shardOf(i, 3)]!++;
  for (const c of count) expect(Math.abs(c - 10000)).toBeLessThan(500);
  expect(shardOf(12345, 4)).toBe(shardOf(12345, 4));
});
