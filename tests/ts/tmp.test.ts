import { test } from 'vitest';
import { instantiate } from '../../ts/bindings.ts';
test('smoke', async () => {
  const b = await instantiate({ variant: 'simd' });
  const dim = 128, n = 10000;
  const v = new Float32Array(n * dim).map(() => Math.random() - 0.5);
  const ix = b.createIndex({ dim });
  let t = performance.now();
  ix.add(Array.from({ length: n }, (_, i) => i), v);
  console.log('build ms', performance.now() - t, ix.stats());
  const q = v.subarray(0, 100 * dim);
  t = performance.now();
  const r = ix.search(q, 10, { ef: 64, exact: false });
  console.log('search us/q', ((performance.now() - t) * 1000) / 100, r.ids.slice(0, 3), r.distances.slice(0, 3));
  for (const k of [1, 4, 5, 6]) {
    const s = b.benchKernel(k, 0, k === 6 ? 1000 : 100, 20000), c = b.benchKernel(k, 1, k === 6 ? 1000 : 100, 20000);
    console.log('kernel', k, (s.msPerRep * 1e6).toFixed(1), 'ns simd', (c.msPerRep * 1e6).toFixed(1), 'ns scalar', (c.msPerRep / s.msPerRep).toFixed(2) + 'x');
  }
  const bytes = ix.save();
  const ix2 = b.loadIndex(bytes);
  console.log('reloaded', ix2.stats().size, bytes.length);
});
