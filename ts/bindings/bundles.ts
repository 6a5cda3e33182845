/**
 * Where each variant's files live. The defaults are resolved relative to
 * this module with `new URL(…, import.meta.url)`, which bundlers such as
 * Vite turn into hashed assets; override them with `options.bundles` to
 * serve the files from elsewhere (a CDN, another path).
 */
import { ElexError } from '../core/errors.ts';
import { checkOptions } from '../core/options.ts';
import { VARIANTS, type Variant } from './platform.ts';

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

const URL_KEYS: readonly (keyof BundleUrls)[] = ['wasm', 'glue', 'pthreadWorker'];

/**
 * INVALID_ARGUMENT unless `bundles` is undefined or keyed by variants, each
 * with URLs (strings or URL objects) of `wasm`, `glue` or `pthreadWorker`:
 * a misspelt key (`'simd_mt'`, `wams`) was ignored, and the package's own
 * files were loaded instead of the ones meant. `where` names the call.
 */
export function checkBundles(where: string, bundles: unknown): void {
  checkOptions(`${where} bundles`, bundles, VARIANTS);
  if (bundles === undefined) return;
  for (const [variant, urls] of Object.entries(bundles as Record<string, unknown>)) {
    checkOptions(`${where} bundles['${variant}']`, urls, URL_KEYS);
    if (urls === undefined) continue;
    for (const [key, url] of Object.entries(urls as Record<string, unknown>))
      if (url !== undefined && typeof url !== 'string' && !(url instanceof URL))
        throw new ElexError(
          'INVALID_ARGUMENT',
          `${where} bundles['${variant}'].${key} must be a URL (a string or a URL object), got ${typeof url}`,
        );
  }
}

/**
 * The package's layout: where its files sit under its root. filesUnder()
 * lays it out under a baseUrl; DEFAULTS are the same files in the package
 * itself.
 */
const WORKER_PATH = 'dist/worker.js';
const bundlePaths = (variant: Variant): BundleUrls => ({
  wasm: `build/wasm/${variant}/elex.wasm`,
  glue: `build/wasm/${variant}/elex.js`,
});

/**
 * Each variant's files as this module finds them in the package: the
 * paths of bundlePaths(), each spelled out whole in a literal
 * `new URL(…, import.meta.url)`, the one form bundlers see (they copy the
 * file and put its URL in its place, so these cannot be computed from
 * bundlePaths() at run time). tests/ts/platform.test.ts checks that they
 * are bundlePaths()'s; scripts/build-package.mjs moves them one folder up
 * for dist/.
 */
const DEFAULTS: Record<Variant, () => BundleUrls> = {
  'simd-mt': () => ({
    wasm: new URL('../../build/wasm/simd-mt/elex.wasm', import.meta.url).href,
    glue: new URL('../../build/wasm/simd-mt/elex.js', import.meta.url).href,
  }),
  simd: () => ({
    wasm: new URL('../../build/wasm/simd/elex.wasm', import.meta.url).href,
    glue: new URL('../../build/wasm/simd/elex.js', import.meta.url).href,
  }),
  scalar: () => ({
    wasm: new URL('../../build/wasm/scalar/elex.wasm', import.meta.url).href,
    glue: new URL('../../build/wasm/scalar/elex.js', import.meta.url).href,
  }),
};

/**
 * `url` made absolute against this context's location (a page's or a
 * worker's), when it has one. Some bundlers give asset URLs relative to the
 * site (Next.js turns `new URL(…, import.meta.url)` into an object whose
 * href is `/_next/static/media/elex.….js`), as may an override; the
 * pthread workers start from a Blob URL, against which such a URL cannot
 * be resolved, so every URL handed on is absolute.
 */
function absolute(url: string): string {
  const here = (globalThis as { location?: { href?: string; origin?: string; protocol?: string } }).location;
  if (!here?.href) return url; // Node: file URLs and paths as given
  // A worker started from a Blob URL (Turbopack starts its workers so) has
  // no path to resolve against: a URL relative to the site takes its origin.
  const base = here.protocol === 'blob:' && here.origin && here.origin !== 'null' ? `${here.origin}/` : here.href;
  try {
    return new URL(url, base).href;
  } catch {
    return url; // not a URL at all: the fetch or import reports it
  }
}

/**
 * The package's files under `base`, a URL of a folder that holds a copy of
 * the package's `dist/` and `build/wasm/` as the package lays them out
 * (EngineOptions.baseUrl): the engine's worker script and every variant's
 * files, absolute, with `overrides` applied. For bundlers that leave `new URL(…, import.meta.url)`
 * alone (esbuild, and builders on it), and for files served from another
 * path.
 */
export function filesUnder(
  base: string,
  overrides?: BundleOverrides,
): { worker: string; bundles: Record<Variant, BundleUrls> } {
  let root: string;
  try {
    root = new URL(absolute(base.endsWith('/') ? base : `${base}/`)).href;
  } catch {
    throw new ElexError('INVALID_ARGUMENT', `baseUrl must be a URL (absolute, or relative to the page), got "${base}"`);
  }
  const at = (path: string) => new URL(path, root).href;
  const under = (v: Variant): BundleUrls => {
    const { wasm, glue } = bundlePaths(v);
    return { wasm: at(wasm), glue: at(glue) };
  };
  return {
    worker: at(WORKER_PATH),
    // Entries of `overrides` (EngineOptions.bundles) win over the folder's files.
    bundles: Object.fromEntries(VARIANTS.map((v) => [v, { ...under(v), ...overrides?.[v] }])) as Record<
      Variant,
      BundleUrls
    >,
  };
}

/** The URLs for `variant`, with any overrides applied, absolute. */
export function bundleFor(variant: Variant, overrides?: BundleOverrides): BundleUrls {
  const urls: BundleUrls = { ...DEFAULTS[variant](), ...(overrides?.[variant] ?? {}) };
  // String(): an override may be a URL object (checkBundles() lets it through).
  urls.wasm = absolute(String(urls.wasm));
  urls.glue = absolute(String(urls.glue));
  if (urls.pthreadWorker) urls.pthreadWorker = absolute(String(urls.pthreadWorker));
  return urls;
}

/** A URL from which the simd-mt pthread worker can be started. */
export async function pthreadWorkerUrl(bundle: BundleUrls): Promise<string> {
  if (bundle.pthreadWorker) return bundle.pthreadWorker;
  const source = (await import('../../build/wasm/simd-mt/pthread-worker-source.js')) as { default: string };
  return URL.createObjectURL(new Blob([source.default], { type: 'text/javascript' }));
}
