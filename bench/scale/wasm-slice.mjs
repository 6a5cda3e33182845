// The wasm engine (simd variant, one thread, in node) on the 1,000-cell slice
// that bench/scale/run.py wrote to <dir>: the same KPI programs, counters and
// history; times the evaluation call (counters already in wasm memory, as
// the browser's kernelMs) and writes its figures to <dir>/wasm-* so that
// run.py compares them with the native core's, bit for bit.
// Usage: node bench/scale/wasm-slice.mjs <dir> [reps]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const dir = process.argv[2];
const reps = Number(process.argv[3] ?? 7);
const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
const root = new URL('../../', import.meta.url);
const glue = new URL('build/wasm/simd/elex.js', root);
const bytes = readFileSync(new URL('build/wasm/simd/elex.wasm', root));
let memory;
const factory = (await import(glue.href)).default;
const m = await factory({
  print: () => {},
  printErr: (t) => console.error(t),
  instantiateWasm(imports, receive) {
    WebAssembly.instantiate(bytes, imports).then(({ instance, module }) => {
      memory = Object.values(instance.exports).find((v) => v instanceof WebAssembly.Memory);
      receive(instance, module);
    });
    return {};
  },
});
const read = (name, T) => {
  const b = readFileSync(join(dir, name));
  return new T(b.buffer, b.byteOffset, b.byteLength / T.BYTES_PER_ELEMENT);
};
const ops = read('ops.i32', Int32Array),
  offsets = read('offsets.u32', Uint32Array),
  consts = read('consts.f32', Float32Array),
  thr = read('thresholds.f32', Float32Array),
  dir8 = read('directions.i8', Int8Array),
  data = read('data.f32', Float32Array),
  hist0 = read('history.f64', Float64Array);
const { cells, counters, periods, kpis: K, z, minHistory } = meta;

const put = (arr) => {
  const p = m._elex_alloc(arr.byteLength || 1);
  if (!p) throw new Error('wasm alloc failed');
  new Uint8Array(memory.buffer, p, arr.byteLength).set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
  return p;
};
const alloc = (n) => {
  const p = m._elex_alloc(n);
  if (!p) throw new Error('wasm alloc failed');
  return p;
};
const pEngine = alloc(4);
if (m._elex_engine_create(1, pEngine) !== 0) throw new Error('engine: ' + m.UTF8ToString(m._elex_last_error()));
const engine = new Uint32Array(memory.buffer, pEngine, 1)[0];
const pOps = put(ops),
  pOff = put(offsets),
  pConst = put(consts),
  pThr = put(thr),
  pDir = put(dir8),
  pData = put(data),
  pHist = put(hist0);
const CK = cells * K;
const pAn = alloc(CK * 4),
  pZ = alloc(CK * 4),
  pBr = alloc(CK * 4),
  pNull = alloc(CK * 8),
  pCs = alloc(cells * counters * 20),
  pKs = alloc(CK * 20);
const ms = [];
for (let r = 0; r < reps; r++) {
  new Float64Array(memory.buffer, pHist, hist0.length).set(hist0); // the same history every time
  const t0 = performance.now();
  const st = m._elex_kpi_eval(
    engine,
    pOps,
    pOff,
    K,
    pConst,
    consts.length,
    pThr,
    pDir,
    pData,
    cells,
    counters,
    periods,
    0,
    0,
    pHist,
    pAn,
    pZ,
    pBr,
    pNull,
    pCs,
    pKs,
    z,
    minHistory,
  );
  ms.push(performance.now() - t0);
  if (st !== 0) throw new Error('kpi_eval: ' + m.UTF8ToString(m._elex_last_error()));
}
const out = (name, p, n) => writeFileSync(join(dir, `wasm-${name}`), new Uint8Array(memory.buffer, p, n));
out('anomalies', pAn, CK * 4);
out('max_z', pZ, CK * 4);
out('breaches', pBr, CK * 4);
out('nulls', pNull, CK * 8);
out('counter_stats', pCs, cells * counters * 20);
out('kpi_stats', pKs, CK * 20);
out('history', pHist, hist0.byteLength);
ms.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    variant: 'simd',
    threads: 1,
    node: process.version,
    reps,
    ms,
    medianMs: ms[Math.floor(ms.length / 2)],
  }),
);
