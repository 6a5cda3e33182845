// The engine's layers: fails when a C++ file includes a header of a higher
// layer (a CTest, engine_layers, runs it on every native build).
//
//   core ← kernels ← index, learn ← ran ← pipeline ← api
//
// engine/src/<layer>/ holds a layer's sources and the headers only they
// include (included by bare name); engine/include/elex/<layer>/ holds the
// headers other layers, tools and tests include ("elex/<layer>/x.h"). The
// public C header engine/include/elex/elex.h belongs to api. index and learn
// are siblings: neither includes the other. A file outside a layer folder, or
// an include that names no file, is an error too.
//
// Usage: node scripts/check-layers.mjs [ROOT]   (ROOT: the repository, default ..)
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Rank of each layer: a file may include its own layer and layers of a lower rank. */
export const LAYERS = { core: 0, kernels: 1, index: 2, learn: 2, ran: 3, pipeline: 4, api: 5 };

const walk = (dir) =>
  readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });

/** The layer of a path relative to the repository, or null when it is in none. */
function layerOf(rel) {
  const parts = rel.split(sep).join('/');
  if (parts === 'engine/include/elex/elex.h') return 'api';
  const m = /^engine\/(?:src|include\/elex)\/([^/]+)\/[^/]+$/.exec(parts);
  return m && m[1] in LAYERS ? m[1] : null;
}

/** Every problem in the engine under `root`, as "file:line: message" strings. */
export function checkLayers(root) {
  const problems = [];
  const engine = join(root, 'engine');
  for (const file of walk(engine).filter((f) => /\.(h|cpp|cc|hpp)$/.test(f))) {
    const rel = relative(root, file);
    const from = layerOf(rel);
    if (!from) {
      problems.push(`${rel}: not in a layer folder (${Object.keys(LAYERS).join(', ')})`);
      continue;
    }
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const m = /^\s*#\s*include\s+"([^"]+)"/.exec(line);
        if (!m) return;
        const where = `${rel}:${i + 1}`;
        const name = m[1];
        const target = name.startsWith('elex/') ? join(engine, 'include', name) : join(dirname(file), name);
        if (!existsSync(target)) {
          problems.push(`${where}: "${name}" is not a file of the engine (a module's header is "elex/<layer>/x.h")`);
          return;
        }
        const to = layerOf(relative(root, target));
        if (!to) problems.push(`${where}: "${name}" is not in a layer folder`);
        else if (to !== from && LAYERS[to] >= LAYERS[from])
          problems.push(`${where}: ${from} includes "${name}" of ${to}, a layer that is not below it`);
      });
  }
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..');
  const problems = checkLayers(root);
  for (const p of problems) console.error(p);
  if (problems.length) {
    console.error(`check-layers: ${problems.length} problem(s)`);
    process.exit(1);
  }
  console.log('check-layers: every engine include points to its own or a lower layer');
}
