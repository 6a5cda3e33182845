// npm run build:package: the package's dist/ from ts/.
//
// JavaScript: Rolldown (the bundler inside Vite 8) with one entry per
// public subpath plus the worker. Comlink is bundled in, so dist/ has no bare
// imports: a module worker cannot use the page's import map, and a page
// without a bundler then needs none for the worker. Files stay unminified
// (the app's bundler minifies) and every chunk sits at dist/'s top level, so
// the run-time URLs `new URL('../build/wasm/…', import.meta.url)` and
// `new URL('./worker.js', import.meta.url)` resolve inside the package.
//
// Types: tsc (tsconfig.build.json) writes one .d.ts per module; relative
// imports are rewritten from .ts to .js.
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
    if (!id.endsWith('/ts/pool.ts')) return null;
    const out = code.replace("new URL('./worker.ts', import.meta.url)", "new URL('./worker.js', import.meta.url)");
    if (out === code) throw new Error('build-package: the worker URL in ts/pool.ts was not found');
    return { code: out, map: null };
  },
};

await build({
  input: {
    index: join(root, 'ts/index.ts'),
    advanced: join(root, 'ts/advanced.ts'),
    vite: join(root, 'ts/vite.ts'),
    worker: join(root, 'ts/worker.ts'),
    'default-catalog': join(root, 'ts/default-catalog.ts'),
  },
  platform: 'browser',
  external: [/^node:/, 'vite'],
  plugins: [workerUrl],
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
for (const f of readdirSync(dist).filter((n) => n.endsWith('.d.ts'))) {
  const p = join(dist, f);
  const text = readFileSync(p, 'utf8');
  const out = text.replace(/((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]+)\.ts(['"])/g, (_, a, b, c) => {
    rewritten++;
    return `${a}${b}.js${c}`;
  });
  if (out !== text) writeFileSync(p, out);
}
const leftover = readdirSync(dist)
  .filter((n) => n.endsWith('.d.ts'))
  .filter((n) => /['"]\.{1,2}\/[^'"]+\.ts['"]/.test(readFileSync(join(dist, n), 'utf8')));
if (leftover.length) throw new Error(`build-package: .ts specifiers left in ${leftover.join(', ')}`);
const js = readdirSync(dist).filter((n) => n.endsWith('.js'));
const bare = js.filter((n) =>
  /^(?:import|export)\b[^\n]*?(?:from\s*|import\s*\(?\s*)['"](?![./]|node:)/m.test(readFileSync(join(dist, n), 'utf8')),
);
if (bare.length) throw new Error(`build-package: bare imports left in ${bare.join(', ')}`);
console.log(
  `build-package: ${js.length} .js and ${readdirSync(dist).length - js.length} .d.ts in dist/ (${rewritten} type imports rewritten)`,
);
