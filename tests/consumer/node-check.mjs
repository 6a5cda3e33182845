// Run by tests/consumer/run.mjs with Node inside a fresh project that has
// only the packed elex-wasm installed: the package as Node users get it.
import assert from 'node:assert/strict';
import { instantiate, isElexError, NO_HIT, VARIANTS } from 'elex-wasm';
import { detectFeatures, selectBundle } from 'elex-wasm/advanced';
import { defaultCatalog } from 'elex-wasm/catalog/default';
import schema from 'elex-wasm/catalog/schema.json' with { type: 'json' };
import glossary from 'elex-wasm/catalog/glossary.json' with { type: 'json' };
import elex from 'elex-wasm/vite';

assert.deepEqual([...VARIANTS], ['simd-mt', 'simd', 'scalar']);
const bindings = await instantiate({ variant: 'simd' });
assert.equal(bindings.info().kernel, 'simd128');

// Distances against a plain JavaScript computation.
const a = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i));
const b = Float32Array.from({ length: 64 }, (_, i) => Math.cos(i * 0.7));
let dot = 0,
  na = 0,
  nb = 0,
  l2 = 0;
for (let i = 0; i < 64; i++) {
  dot += a[i] * b[i];
  na += a[i] * a[i];
  nb += b[i] * b[i];
  l2 += (a[i] - b[i]) ** 2;
}
const cosine = 1 - dot / Math.sqrt(na * nb);
assert.ok(Math.abs(bindings.distance('cosine', a, b) - cosine) < 1e-4, 'cosine distance');
const l2Got = bindings.distance('l2', a, b);
assert.ok(Math.abs(l2Got - l2) < 1e-3 || Math.abs(l2Got - Math.sqrt(l2)) < 1e-3, 'l2 distance');

// An index: every vector finds itself first.
const dim = 16,
  n = 2000;
const data = Float32Array.from({ length: n * dim }, (_, i) => Math.sin(i * 12.9898 + 1) * 0.5);
const index = bindings.createIndex({ dim, metric: 'l2' });
index.add(
  Uint32Array.from({ length: n }, (_, i) => i),
  data,
  { parallel: false },
);
let self = 0;
for (const id of [0, 7, 99, 1234, 1999]) {
  const hit = index.search(data.slice(id * dim, (id + 1) * dim), 5);
  assert.notEqual(hit.ids[0], NO_HIT);
  if (hit.ids[0] === id) self++;
}
assert.equal(self, 5, 'each vector is its own nearest neighbour');

// Bad input: a coded error, not a crash.
try {
  index.search(new Float32Array(3), 5);
  assert.fail('a query of the wrong dimension must be refused');
} catch (e) {
  assert.ok(isElexError(e), `ElexError expected, got ${e}`);
}

// The other entry points load in Node.
assert.equal(typeof selectBundle(detectFeatures()), 'string');
assert.equal(defaultCatalog().features.length, 593);
assert.equal(typeof schema.$defs, 'object');
assert.ok(glossary.entries.length > 100);
assert.equal(elex().name, 'elex-wasm');
console.log(
  JSON.stringify({ ok: true, kernel: bindings.info().kernel, variant: 'simd', indexSize: index.stats().size }),
);
