// Bundles src/main.js with esbuild into dist/, and copies the files the
// engine loads at run time into dist/elex/: esbuild leaves the package's
// `new URL(…, import.meta.url)` forms as they are (it neither copies the
// files they name nor rewrites them), so the page passes
// `baseUrl: 'dist/elex/'` to createEngine() instead.
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import * as esbuild from 'esbuild';

const out = 'dist';
rmSync(out, { recursive: true, force: true });
await esbuild.build({
  entryPoints: ['src/main.js'],
  bundle: true,
  format: 'esm',
  outdir: out,
  minify: true,
  logLevel: 'warning',
});

// The package's root: its `dist/` (the engine's worker and the modules it
// loads) and `build/wasm/` (each variant's .wasm and glue), laid out as in
// the package. The type declarations are not needed at run time.
const pkg = dirname(createRequire(import.meta.url).resolve('elex-wasm/package.json'));
mkdirSync(join(out, 'elex'), { recursive: true });
cpSync(join(pkg, 'dist'), join(out, 'elex/dist'), { recursive: true, filter: (f) => !f.endsWith('.d.ts') });
cpSync(join(pkg, 'build/wasm'), join(out, 'elex/build/wasm'), { recursive: true });
console.log(`built ${out}/main.js and copied the engine's files to ${out}/elex/`);
