/**
 * Where each variant's files live. The defaults are resolved relative to
 * this module with `new URL(…, import.meta.url)`, which bundlers such as
 * Vite turn into hashed assets; override them with `options.bundles` to
 * serve the files from elsewhere (a CDN, another path).
 */
import type { Variant } from './platform.ts';

export interface BundleUrls {
  /** The `.wasm` binary. */
  wasm: string;
  /** The Emscripten ES module glue (`elex.js`). */
  glue: string;
  /**
   * simd-mt only: a URL of the pthread worker script (`elex.worker.js`). By
   * default the script ships inside the package and starts from a Blob URL
   * (needs `worker-src blob:` if the page sets a CSP); set this to serve it
   * from a URL instead. The server must send it unmodified.
   */
  pthreadWorker?: string;
}

export type BundleOverrides = Partial<Record<Variant, Partial<BundleUrls>>>;

function defaults(variant: Variant): BundleUrls {
  // Each URL is spelled out in full so that bundlers can see and copy it.
  switch (variant) {
    case 'simd-mt':
      return {
        wasm: new URL('../../build/wasm/simd-mt/elex.wasm', import.meta.url).href,
        glue: new URL('../../build/wasm/simd-mt/elex.js', import.meta.url).href,
      };
    case 'simd':
      return {
        wasm: new URL('../../build/wasm/simd/elex.wasm', import.meta.url).href,
        glue: new URL('../../build/wasm/simd/elex.js', import.meta.url).href,
      };
    case 'scalar':
      return {
        wasm: new URL('../../build/wasm/scalar/elex.wasm', import.meta.url).href,
        glue: new URL('../../build/wasm/scalar/elex.js', import.meta.url).href,
      };
  }
}

/** The URLs for `variant`, with any overrides applied. */
export function bundleFor(variant: Variant, overrides?: BundleOverrides): BundleUrls {
  return { ...defaults(variant), ...(overrides?.[variant] ?? {}) };
}

/** A URL from which the simd-mt pthread worker can be started. */
export async function pthreadWorkerUrl(bundle: BundleUrls): Promise<string> {
  if (bundle.pthreadWorker) return bundle.pthreadWorker;
  const source = (await import('../../build/wasm/simd-mt/pthread-worker-source.js')) as { default: string };
  return URL.createObjectURL(new Blob([source.default], { type: 'text/javascript' }));
}
