/**
 * Feature detection (once) and the pure bundle choice.
 */
import { ElexError } from '../core/errors.ts';

export type Variant = 'simd-mt' | 'simd' | 'scalar';
export const VARIANTS: readonly Variant[] = ['simd-mt', 'simd', 'scalar'];

/**
 * The most bytes one instance's wasm memory can grow to (each worker has
 * one): ELEX_MAX_MEMORY_MB in CMakeLists.txt (tests/ts/platform.test.ts
 * checks that they agree).
 */
export const WASM_MEMORY_MAX_BYTES = 640 * 1024 * 1024;

export interface PlatformFeatures {
  /** WebAssembly SIMD128 validates. */
  simd: boolean;
  /** SharedArrayBuffer exists and the context is cross-origin isolated. */
  threads: boolean;
  /** `crossOriginIsolated` as the page reports it. */
  crossOriginIsolated: boolean;
  /** navigator.hardwareConcurrency (1 when unknown). */
  hardwareConcurrency: number;
}

/**
 * The smallest module that uses a SIMD128 instruction; validates only where
 * SIMD128 is supported. Source (wat):
 *   (module (func (result v128) (v128.const i32x4 0 0 0 0)))
 */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00,
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x0b,
]);

let cached: PlatformFeatures | undefined;

/** Detects what this context supports; computed once, then cached. */
export function detectFeatures(): PlatformFeatures {
  if (cached) return cached;
  const g = globalThis as typeof globalThis & { crossOriginIsolated?: boolean };
  const isolated = g.crossOriginIsolated === true;
  const hasSab = typeof SharedArrayBuffer !== 'undefined';
  let simd = false;
  try {
    simd = typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    simd = false;
  }
  const hc =
    typeof navigator !== 'undefined' && Number.isFinite(navigator.hardwareConcurrency)
      ? Math.max(1, navigator.hardwareConcurrency)
      : 1;
  cached = { simd, threads: isolated && hasSab, crossOriginIsolated: isolated, hardwareConcurrency: hc };
  return cached;
}

/** The options of selectBundle(). */
export interface SelectBundleOptions {
  /** Force one variant; it must be able to run here. */
  variant?: Variant;
}

/**
 * Picks the best variant the features allow: simd-mt, then simd, then
 * scalar. A forced variant that cannot run here is an error, not a silent
 * downgrade. Pure: same input, same output.
 */
export function selectBundle(features: PlatformFeatures, overrides: SelectBundleOptions = {}): Variant {
  const runnable = (v: Variant): string | null => {
    if (v !== 'scalar' && !features.simd) return 'this browser does not support WebAssembly SIMD128';
    if (v === 'simd-mt' && !features.threads)
      return 'the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp), so SharedArrayBuffer and threads are unavailable';
    return null;
  };
  if (overrides.variant !== undefined) {
    if (!VARIANTS.includes(overrides.variant))
      throw new ElexError(
        'INVALID_ARGUMENT',
        `unknown variant "${String(overrides.variant)}"; use one of ${VARIANTS.join(', ')}`,
      );
    const why = runnable(overrides.variant);
    if (why) throw new ElexError('UNSUPPORTED_VARIANT', `variant ${overrides.variant} cannot run: ${why}`);
    return overrides.variant;
  }
  return VARIANTS.find((v) => runnable(v) === null) ?? 'scalar';
}

export interface PoolShape {
  workers: number;
  threadsPerWorker: number;
}

/**
 * Default pool shape for a variant on a machine with `hc` logical cores:
 * about one engine thread per core in total, never below 2 threads per
 * worker in simd-mt (so that a worker's loops can split), at most 4 workers.
 * See docs/guide.md, "Choosing the pool size", for the measurements behind it.
 */
export function defaultPoolShape(variant: Variant, hc: number): PoolShape {
  const cores = Number.isFinite(hc) ? Math.max(1, Math.floor(hc)) : 1;
  if (variant === 'simd-mt') {
    const workers = Math.max(1, Math.min(4, Math.floor(cores / 2)));
    return { workers, threadsPerWorker: Math.max(2, Math.min(8, Math.floor(cores / workers))) };
  }
  return { workers: Math.max(1, Math.min(4, cores)), threadsPerWorker: 1 };
}
