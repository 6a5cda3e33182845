// The 1,000-cell slice of bench:scale through the wasm engine, in node or in a
// Chromium page (bench/scale/wasm-slice.mjs runs it in both): the simd
// variant on one thread, the counters already in wasm memory (as the
// browser's kernelMs), the same history before every call. Returns the call
// times and the figures' bytes, which run.py compares with the native core's.

/**
 * @param factory the simd variant's glue (default export of build/wasm/simd/elex.js)
 * @param bytes its elex.wasm
 * @param input { meta, ops, offsets, consts, thresholds, directions, data, history } (typed arrays)
 * @param reps timed calls
 */
export async function runSlice(factory, bytes, input, reps) {
  let memory;
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
  const { cells, counters, periods, kpis: K, z, minHistory } = input.meta;
  const alloc = (n) => {
    const p = m._elex_alloc(n || 1);
    if (!p) throw new Error('wasm alloc failed');
    return p;
  };
  const put = (arr) => {
    const p = alloc(arr.byteLength);
    new Uint8Array(memory.buffer, p, arr.byteLength).set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
    return p;
  };
  const pEngine = alloc(4);
  if (m._elex_engine_create(1, pEngine) !== 0) throw new Error('engine: ' + m.UTF8ToString(m._elex_last_error()));
  const engine = new Uint32Array(memory.buffer, pEngine, 1)[0];
  const pOps = put(input.ops),
    pOff = put(input.offsets),
    pConst = put(input.consts),
    pThr = put(input.thresholds),
    pDir = put(input.directions),
    pData = put(input.data),
    pHist = put(input.history);
  const CK = cells * K;
  const outputs = {
    anomalies: [alloc(CK * 4), CK * 4],
    max_z: [alloc(CK * 4), CK * 4],
    breaches: [alloc(CK * 4), CK * 4],
    nulls: [alloc(CK * 8), CK * 8],
    counter_stats: [alloc(cells * counters * 20), cells * counters * 20],
    kpi_stats: [alloc(CK * 20), CK * 20],
    history: [pHist, input.history.byteLength],
  };
  // An elex_kpi_eval_args (elex.h; ts/generated/abi.ts KPI_EVAL_ARGS): 22
  // four-byte fields on wasm32 in header order, z_threshold the only float.
  const args = [
    pOps,
    pOff,
    pConst,
    pThr,
    pDir,
    pData,
    0, // values: no per-period output
    0, // reasons
    pHist,
    outputs.anomalies[0],
    outputs.max_z[0],
    outputs.breaches[0],
    outputs.nulls[0],
    outputs.counter_stats[0],
    outputs.kpi_stats[0],
    K,
    input.consts.length,
    cells,
    counters,
    periods,
    z,
    minHistory,
  ];
  const pArgs = alloc(args.length * 4);
  const argView = new DataView(memory.buffer, pArgs, args.length * 4);
  args.forEach((v, i) => (i === 20 ? argView.setFloat32(4 * i, v, true) : argView.setUint32(4 * i, v, true)));
  const ms = [];
  for (let r = 0; r < reps; r++) {
    new Float64Array(memory.buffer, pHist, input.history.length).set(input.history);
    const t0 = performance.now();
    const st = m._elex_kpi_eval(engine, pArgs);
    ms.push(performance.now() - t0);
    if (st !== 0) throw new Error('kpi_eval: ' + m.UTF8ToString(m._elex_last_error()));
  }
  const figures = {};
  for (const [name, [p, n]] of Object.entries(outputs)) figures[name] = new Uint8Array(memory.buffer, p, n).slice();
  ms.sort((a, b) => a - b);
  return { ms, medianMs: ms[Math.floor(ms.length / 2)], figures };
}

/** The slice's inputs as typed arrays, from the files run.py wrote (read(name) → bytes). */
export async function sliceInput(read) {
  const view = async (name, T) => {
    const b = await read(name);
    return new T(b.buffer, b.byteOffset, b.byteLength / T.BYTES_PER_ELEMENT);
  };
  return {
    meta: JSON.parse(new TextDecoder().decode(await read('meta.json'))),
    ops: await view('ops.i32', Int32Array),
    offsets: await view('offsets.u32', Uint32Array),
    consts: await view('consts.f32', Float32Array),
    thresholds: await view('thresholds.f32', Float32Array),
    directions: await view('directions.i8', Int8Array),
    data: await view('data.f32', Float32Array),
    history: await view('history.f64', Float64Array),
  };
}
