/**
 * The bench builds (`scripts/build-wasm.sh --bench` → build/wasm-bench/):
 * the shipped sources plus the benchmark-only exports (elex_bench_*), which
 * the shipped wasm does not have (issue 15). Pass as `bundles` to
 * instantiate() or createEngine() where a benchmark needs those exports; a
 * shipped build answers them with NOT_IN_BUILD.
 */
import type { BundleOverrides } from '../../ts/bindings/bundles.ts';

export const benchBundles: BundleOverrides = {
  'simd-mt': {
    wasm: new URL('../../build/wasm-bench/simd-mt/elex.wasm', import.meta.url).href,
    glue: new URL('../../build/wasm-bench/simd-mt/elex.js', import.meta.url).href,
  },
  simd: {
    wasm: new URL('../../build/wasm-bench/simd/elex.wasm', import.meta.url).href,
    glue: new URL('../../build/wasm-bench/simd/elex.js', import.meta.url).href,
  },
  scalar: {
    wasm: new URL('../../build/wasm-bench/scalar/elex.wasm', import.meta.url).href,
    glue: new URL('../../build/wasm-bench/scalar/elex.js', import.meta.url).href,
  },
};
