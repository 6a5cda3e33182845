import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  defaultPoolShape,
  detectFeatures,
  selectBundle,
  VARIANTS,
  WASM_MEMORY_MAX_BYTES,
  type PlatformFeatures,
  type Variant,
} from '../../ts/bindings/platform.ts';
import { bundleFor, filesUnder } from '../../ts/bindings/bundles.ts';
import { ElexError } from '../../ts/core/errors.ts';

const f = (simd: boolean, threads: boolean): PlatformFeatures => ({
  simd,
  threads,
  crossOriginIsolated: threads,
  hardwareConcurrency: 8,
});

describe('selectBundle', () => {
  test.each([
    [true, true, 'simd-mt'],
    [true, false, 'simd'],
    [false, true, 'scalar'],
    [false, false, 'scalar'],
  ] as const)('simd=%s threads=%s picks %s', (simd, threads, want) => {
    expect(selectBundle(f(simd, threads))).toBe(want);
  });

  test('a forced variant that can run is honoured', () => {
    expect(selectBundle(f(true, true), { variant: 'scalar' })).toBe('scalar');
    expect(selectBundle(f(true, true), { variant: 'simd' })).toBe('simd');
    expect(selectBundle(f(true, false), { variant: 'simd' })).toBe('simd');
  });

  test('a forced variant that cannot run is an UNSUPPORTED_VARIANT error, not a downgrade', () => {
    const err = (() => {
      try {
        selectBundle(f(true, false), { variant: 'simd-mt' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ElexError);
    expect((err as ElexError).code).toBe('UNSUPPORTED_VARIANT');
    expect((err as ElexError).message).toMatch(/Cross-Origin-Embedder-Policy/);
    expect(() => selectBundle(f(false, true), { variant: 'simd' })).toThrow(/SIMD128/);
  });

  test('an unknown variant name is INVALID_ARGUMENT', () => {
    expect(() => selectBundle(f(true, true), { variant: 'avx512' as Variant })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  test('is pure', () => {
    const features = f(true, true);
    const copy = { ...features };
    selectBundle(features);
    expect(features).toEqual(copy);
  });
});

describe('defaultPoolShape', () => {
  test('simd-mt keeps at least two threads per worker and about one thread per core', () => {
    expect(defaultPoolShape('simd-mt', 1)).toEqual({ workers: 1, threadsPerWorker: 2 });
    expect(defaultPoolShape('simd-mt', 2)).toEqual({ workers: 1, threadsPerWorker: 2 });
    expect(defaultPoolShape('simd-mt', 4)).toEqual({ workers: 2, threadsPerWorker: 2 });
    expect(defaultPoolShape('simd-mt', 8)).toEqual({ workers: 4, threadsPerWorker: 2 });
    expect(defaultPoolShape('simd-mt', 32)).toEqual({ workers: 4, threadsPerWorker: 8 });
  });
  test('single-threaded variants use one worker per core, at most 4', () => {
    expect(defaultPoolShape('simd', 1)).toEqual({ workers: 1, threadsPerWorker: 1 });
    expect(defaultPoolShape('simd', 2)).toEqual({ workers: 2, threadsPerWorker: 1 });
    expect(defaultPoolShape('scalar', 16)).toEqual({ workers: 4, threadsPerWorker: 1 });
    expect(defaultPoolShape('scalar', Number.NaN)).toEqual({ workers: 1, threadsPerWorker: 1 });
  });
});

test('detectFeatures finds SIMD128 in this node and no isolation', () => {
  const features = detectFeatures();
  expect(features.simd).toBe(true); // node 20's V8 supports SIMD128
  expect(features.crossOriginIsolated).toBe(false);
  expect(features.threads).toBe(false);
  expect(detectFeatures()).toBe(features); // cached
});

describe('bundleFor', () => {
  const withLocation = <T>(href: string | undefined, fn: () => T): T => {
    const g = globalThis as { location?: unknown };
    const had = 'location' in g,
      old = g.location;
    if (href === undefined) delete g.location;
    else {
      const u = new URL(href);
      g.location = { href, protocol: u.protocol, origin: u.origin };
    }
    try {
      return fn();
    } finally {
      if (had) g.location = old;
      else delete g.location;
    }
  };

  test('URLs relative to the site (Next.js assets, overrides) become absolute against the location', () => {
    const b = withLocation('https://example.com/app/elex?x=1', () =>
      bundleFor('simd-mt', {
        'simd-mt': {
          glue: '/_next/static/media/elex.d717486e.js',
          wasm: 'static/elex.wasm',
          pthreadWorker: '/w/elex.worker.js',
        },
      }),
    );
    expect(b).toEqual({
      glue: 'https://example.com/_next/static/media/elex.d717486e.js',
      wasm: 'https://example.com/app/static/elex.wasm',
      pthreadWorker: 'https://example.com/w/elex.worker.js',
    });
  });

  test('in a worker started from a Blob URL (Turbopack), a URL relative to the site takes its origin', () => {
    const b = withLocation('blob:https://example.com/40023efa-c48d-4a76-b040-1985868c4ce7', () =>
      bundleFor('simd-mt', { 'simd-mt': { glue: '/_next/static/media/elex.926e3233.js' } }),
    );
    expect(b.glue).toBe('https://example.com/_next/static/media/elex.926e3233.js');
  });

  test('absolute URLs and the defaults stay as they are; without a location nothing changes', () => {
    const cdn = 'https://cdn.example.net/elex/simd/elex.js';
    expect(withLocation('https://example.com/', () => bundleFor('simd', { simd: { glue: cdn } })).glue).toBe(cdn);
    const plain = withLocation(undefined, () => bundleFor('scalar', { scalar: { glue: 'elex.js' } }));
    expect(plain.glue).toBe('elex.js');
    expect(new URL(plain.wasm).pathname.endsWith('/build/wasm/scalar/elex.wasm')).toBe(true);
  });

  test('filesUnder (baseUrl): the worker and every variant under one folder, relative to the page', () => {
    const u = withLocation('https://example.com/app/index.html', () => filesUnder('dist/elex'));
    expect(u.worker).toBe('https://example.com/app/dist/elex/dist/worker.js');
    expect(u.bundles['simd-mt']).toEqual({
      wasm: 'https://example.com/app/dist/elex/build/wasm/simd-mt/elex.wasm',
      glue: 'https://example.com/app/dist/elex/build/wasm/simd-mt/elex.js',
    });
    expect(u.bundles.scalar.glue).toBe('https://example.com/app/dist/elex/build/wasm/scalar/elex.js');
    const abs = withLocation('https://example.com/', () => filesUnder('https://example.com/static/elex/'));
    expect(abs.worker).toBe('https://example.com/static/elex/dist/worker.js');
  });

  test("the defaults are the package's own files, where filesUnder() lays them out under a baseUrl", () => {
    const pkg = new URL('../../', import.meta.url).href; // this repository: the package's root
    const own = withLocation(undefined, () => filesUnder(pkg));
    for (const v of VARIANTS) {
      expect(withLocation(undefined, () => bundleFor(v))).toEqual(own.bundles[v]);
      expect(own.bundles[v].wasm).toBe(`${pkg}build/wasm/${v}/elex.wasm`);
    }
    expect(Object.keys(own.bundles)).toEqual([...VARIANTS]);
  });

  test('filesUnder: a base that is no URL is INVALID_ARGUMENT', () => {
    const bad = (): unknown => withLocation(undefined, () => filesUnder('elex/'));
    expect(bad).toThrow(ElexError);
    expect(bad).toThrow(/baseUrl must be a URL/);
  });
});

test("the page's figure of a worker's wasm memory cap is the build's (ELEX_MAX_MEMORY_MB)", () => {
  const cmake = readFileSync(new URL('../../CMakeLists.txt', import.meta.url), 'utf8');
  const mb = /set\(ELEX_MAX_MEMORY_MB (\d+) /.exec(cmake);
  expect(mb).not.toBeNull();
  expect(WASM_MEMORY_MAX_BYTES).toBe(Number(mb![1]) * 1024 * 1024);
});
