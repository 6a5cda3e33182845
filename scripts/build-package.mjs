// npm run build:package: the package's dist/ from ts/.
//
// JavaScript: Rolldown (the bundler inside Vite 8) with one entry per
// public subpath plus the worker. Comlink is bundled in, so dist/ has no bare
// imports: a module worker cannot use the page's import map, and a page
// without a bundler then needs none for the worker. Files stay unminified
// (the app's bundler minifies) and every chunk sits at dist/'s top level, so
// the run-time URLs `new URL('../build/wasm/…', import.meta.url)` and
// `new URL('./worker.js', import.meta.url)` resolve inside the package (in
// the source, ts/bindings/bundles.ts is one folder deeper: its
// `new URL('../../build/wasm/…')` is rewritten to '../build/wasm/…'; the
// pthread worker's source is bundled, from the source's path).
//
// Types: tsc (tsconfig.build.json) writes one .d.ts per module, in the
// folders of ts/ (dist/api/, dist/bindings/, …); relative imports are
// rewritten from .ts to .js.
//
// Needs the wasm variants built (npm run build:wasm) first; `npm pack` runs
// both through `prepack`.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'rolldown';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
for (const f of [
  'simd-mt/elex.wasm',
  'simd-mt/elex.js',
  'simd-mt/pthread-worker-source.js',
  'simd/elex.wasm',
  'scalar/elex.wasm',
])
  if (!existsSync(join(root, 'build/wasm', f))) {
    console.error(`build-package: build/wasm/${f} is missing; run npm run build:wasm first`);
    process.exit(1);
  }
rmSync(dist, { recursive: true, force: true });

/** The worker is started from `new URL('./worker.ts', import.meta.url)` in the source; in dist/ it is worker.js. */
const workerUrl = {
  name: 'elex-worker-url',
  transform(code, id) {
    if (!id.endsWith('/ts/parallel/pool.ts')) return null;
    const out = code.replace("new URL('./worker.ts', import.meta.url)", "new URL('./worker.js', import.meta.url)");
    if (out === code) throw new Error('build-package: the worker URL in ts/parallel/pool.ts was not found');
    if (out.includes("new URL('./worker.ts'"))
      throw new Error('build-package: a second worker URL in ts/parallel/pool.ts (start every worker in one place)');
    return { code: out, map: null };
  },
};

/** ts/bindings/bundles.ts's wasm URLs, one folder up from the source's, for a chunk at dist/'s top level. */
const wasmUrls = {
  name: 'elex-wasm-urls',
  transform(code, id) {
    if (!id.endsWith('/ts/bindings/bundles.ts')) return null;
    const out = code.replaceAll("new URL('../../build/wasm/", "new URL('../build/wasm/");
    if (out === code) throw new Error('build-package: the wasm URLs in ts/bindings/bundles.ts were not found');
    if (out.includes("new URL('../../"))
      throw new Error("build-package: a new URL('../../…') is left in ts/bindings/bundles.ts");
    return { code: out, map: null };
  },
};

await build({
  input: {
    index: join(root, 'ts/index.ts'),
    advanced: join(root, 'ts/advanced.ts'),
    vite: join(root, 'ts/vite.ts'),
    worker: join(root, 'ts/parallel/worker.ts'),
    'default-catalog': join(root, 'ts/default-catalog.ts'),
  },
  platform: 'browser',
  external: [/^node:/, 'vite'],
  plugins: [workerUrl, wasmUrls],
  treeshake: true,
  output: {
    dir: dist,
    format: 'es',
    entryFileNames: '[name].js',
    chunkFileNames: '[name]-[hash].js',
    minify: false,
    sourcemap: false,
  },
});

execFileSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')],
  {
    stdio: 'inherit',
  },
);
// Types of the Emscripten glue subpaths (elex-wasm/wasm/<variant>/elex.js).
writeFileSync(
  join(dist, 'wasm-glue.d.ts'),
  `/** An Emscripten module factory (ES module glue of one wasm variant); createEngine() and instantiate() call it for you. */
declare const createModule: (moduleArg?: Record<string, unknown>) => Promise<unknown>;
export default createModule;
`,
);
let rewritten = 0;
const declarations = readdirSync(dist, { recursive: true })
  .map(String)
  .filter((n) => n.endsWith('.d.ts'));
for (const f of declarations) {
  const p = join(dist, f);
  const text = readFileSync(p, 'utf8');
  const out = text.replace(/((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]+)\.ts(['"])/g, (_, a, b, c) => {
    rewritten++;
    return `${a}${b}.js${c}`;
  });
  if (out !== text) writeFileSync(p, out);
}
const leftover = declarations.filter((n) => /['"]\.{1,2}\/[^'"]+\.ts['"]/.test(readFileSync(join(dist, n), 'utf8')));
if (leftover.length) throw new Error(`build-package: .ts specifiers left in ${leftover.join(', ')}`);
const js = readdirSync(dist).filter((n) => n.endsWith('.js'));
const bare = js.filter((n) =>
  /^(?:import|export)\b[^\n]*?(?:from\s*|import\s*\(?\s*)['"](?![./]|node:)/m.test(readFileSync(join(dist, n), 'utf8')),
);
if (bare.length) throw new Error(`build-package: bare imports left in ${bare.join(', ')}`);
console.log(
  `build-package: ${js.length} .js and ${declarations.length} .d.ts in dist/ (${rewritten} type imports rewritten)`,
);
