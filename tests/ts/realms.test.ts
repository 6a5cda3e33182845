/**
 * Typed arrays made in another realm (another window of the page: an
 * iframe, a pop-out panel; here a node:vm context) are Float32Arrays all the
 * same: the same-thread bindings take them like this realm's. The engine's
 * side is in e2e/peers.spec.ts.
 */
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { instantiate, type Bindings } from '../../ts/bindings/bindings.ts';
import { checkIds, checkVectors } from '../../ts/core/index-types.ts';
import { checkBatch } from '../../ts/host/ran-ops.ts';

/** `new <type>(values)` made in a fresh realm. */
function foreign<T>(type: string, values: ArrayLike<number>): T {
  return runInNewContext(`new ${type}(values)`, { values: Array.from(values) }) as T;
}

let b: Bindings;
beforeAll(async () => {
  b = await instantiate({ variant: 'simd' });
});
afterAll(() => b.close());

test('the argument checks take another realm\'s typed arrays (they were INVALID_ARGUMENT "must be a Float32Array")', () => {
  const ids = foreign<Uint32Array>('Uint32Array', [1, 2]);
  expect(ids instanceof Uint32Array).toBe(false); // the set-up this test is about
  expect(Array.from(checkIds(ids))).toEqual([1, 2]);
  expect(checkVectors(foreign<Float32Array>('Float32Array', [1, 0, 0, 1]), 2, 2, 'vectors')).toBe(2);
  const batch = {
    parameters: foreign<Int32Array>('Int32Array', [0, 1]),
    current: foreign<Float64Array>('Float64Array', [1, 2]),
    proposed: foreign<Float32Array>('Float32Array', [3, 4]),
    at: foreign<Float64Array>('Float64Array', [5, 6]),
    cells: foreign<Uint32Array>('Uint32Array', [7, 8]),
  };
  const local = {
    parameters: new Int32Array([0, 1]),
    current: new Float64Array([1, 2]),
    proposed: new Float32Array([3, 4]),
    at: new Float64Array([5, 6]),
    cells: new Uint32Array([7, 8]),
  };
  expect(new Uint8Array(checkBatch(batch).bytes)).toEqual(new Uint8Array(checkBatch(local).bytes));
  // Look-alikes are still refused.
  expect(() => checkVectors(foreign<Float32Array>('Float64Array', [1, 0]), 2, 1, 'vectors')).toThrow(/Float32Array/);
  const fake = { [Symbol.toStringTag]: 'Float32Array', length: 2 } as unknown as Float32Array;
  expect(() => checkVectors(fake, 2, 1, 'vectors')).toThrow(/Float32Array/);
});

test("distances, an index and its bytes from another realm give what this realm's give", () => {
  const q = [0, 1, 0, 0];
  const v = [1, 0, 0, 0, 0, 1, 0, 0, 0.6, 0.8, 0, 0];
  const fq = foreign<Float32Array>('Float32Array', q);
  const fv = foreign<Float32Array>('Float32Array', v);
  expect(b.distance('cosine', fq, fv.subarray(4, 8))).toBe(
    b.distance('cosine', new Float32Array(q), new Float32Array(v).subarray(4, 8)),
  );
  const theirs = b.distanceBatch({ metric: 'l2', queries: fq, vectors: fv, dim: 4 });
  const ours = b.distanceBatch({ metric: 'l2', queries: new Float32Array(q), vectors: new Float32Array(v), dim: 4 });
  expect(Array.from(theirs.distances)).toEqual(Array.from(ours.distances));

  const index = b.createIndex({ dim: 4 });
  index.add(foreign<Uint32Array>('Uint32Array', [1, 2, 3]), fv);
  expect(Array.from(index.search(fq, 2).ids)).toEqual([2, 3]);
  const bytes = index.save();
  const copy = b.loadIndex(foreign<Uint8Array>('Uint8Array', bytes));
  expect(Array.from(copy.search(fq, 1).ids)).toEqual([2]);
  const encoded = b.encodeVectors(fv, 4);
  expect(Array.from(b.decodeVectors(foreign<Uint8Array>('Uint8Array', encoded)).data)).toEqual(Array.from(fv));
  copy.close?.();
  index.close?.();
});
