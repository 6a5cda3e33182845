// The imports between ts/ files (scripts/test.sh runs it). Fails on:
//   - an import cycle between ts/ files, type-only imports included (a
//     cycle of types still ties the modules together);
//   - a folder that imports from a higher layer:
//       generated ← core ← bindings ← host ← parallel ← api ← ts/ (the entry points)
//     (generated: from the C headers; core: errors and the argument types
//     and checks; bindings: the wasm module; host: what a worker hosts (the
//     agents, the RAN host, the catalog); parallel: the pool, the worker and
//     their protocol; api: the engine façade; ts/*.ts: the package's entry
//     points, the subpaths of package.json "exports");
//   - ts/parallel/protocol.ts importing anything but types (`import type`,
//     `export type … from`): the protocol describes what crosses the worker
//     boundary and runs no code of another module.
// Type positions `import('./x.ts').T` and `typeof import('./x.ts')` count as
// type imports; `import('./x.ts')` elsewhere as a value import.
//
// Usage: node scripts/check-imports.mjs [ROOT]   (ROOT: the repository, default ..)
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Layer rank of each folder of ts/ ('' is ts/ itself: the entry points). */
export const LAYERS = { generated: 0, core: 1, bindings: 2, host: 3, parallel: 4, api: 5, '': 6 };
export const PROTOCOL = 'ts/parallel/protocol.ts';

const walk = (dir) =>
  readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return walk(p);
    return /\.(ts|mts)$/.test(n) && !n.endsWith('.d.ts') ? [p] : [];
  });

/** The text without comments (string contents kept). */
function stripComments(text) {
  let out = '';
  for (let i = 0; i < text.length;) {
    const c = text[i];
    if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** The relative imports of one file: { spec, type, line }. */
export function importsOf(text) {
  const t = stripComments(text);
  const lineOf = (at) => t.slice(0, at).split('\n').length;
  const out = [];
  // Static imports and re-exports start a statement (not inside a string).
  const clause = /(^|[;\n])\s*(?:import|export)\s+(type\s+)?([\w$*\s{},]*?)\s*from\s*(['"])([^'"\n]+)\4/g;
  for (const m of t.matchAll(clause))
    out.push({ spec: m[5], type: Boolean(m[2]), line: lineOf(m.index + m[0].search(/import|export/)) });
  for (const m of t.matchAll(/(^|[;\n])\s*import\s*(['"])([^'"\n]+)\2/g))
    out.push({ spec: m[3], type: false, line: lineOf(m.index + m[0].search(/import/)) });
  for (const m of t.matchAll(/\bimport\s*\(\s*(['"])([^'"\n]+)\1\s*\)(\s*\.\s*(\w+))?/g)) {
    const typeOnly =
      /typeof\s*$/.test(t.slice(Math.max(0, m.index - 12), m.index)) || (m[4] && !/^(then|catch|finally)$/.test(m[4]));
    out.push({ spec: m[2], type: Boolean(typeOnly), line: lineOf(m.index) });
  }
  return out.filter((i) => i.spec.startsWith('./') || i.spec.startsWith('../'));
}

const layerOf = (rel) => {
  const parts = rel.split('/');
  return parts.length === 2 ? '' : parts[1];
};

/** Every problem under `root` as "file:line: message" strings. */
export function checkImports(root) {
  const problems = [];
  const files = walk(join(root, 'ts')).map((f) => relative(root, f).split(sep).join('/'));
  const graph = new Map();
  for (const file of files) {
    const edges = [];
    const from = layerOf(file);
    if (!(from in LAYERS))
      problems.push(`${file}: ts/${from}/ is not a layer folder (${Object.keys(LAYERS).join(', ')})`);
    for (const imp of importsOf(readFileSync(join(root, file), 'utf8'))) {
      const target = relative(root, resolve(root, dirname(file), imp.spec))
        .split(sep)
        .join('/');
      const where = `${file}:${imp.line}`;
      if (file === PROTOCOL && !imp.type)
        problems.push(`${where}: the protocol imports only types; '${imp.spec}' is a value import`);
      if (!target.startsWith('ts/')) continue;
      if (!existsSync(join(root, target))) {
        problems.push(`${where}: '${imp.spec}' is not a file`);
        continue;
      }
      if (!/\.(ts|mts)$/.test(target)) continue;
      const to = layerOf(target);
      if (to in LAYERS && from in LAYERS && LAYERS[to] > LAYERS[from])
        problems.push(`${where}: ${from || 'ts/'} imports '${imp.spec}' of ${to || 'ts/'}, a higher layer`);
      edges.push({ to: target, line: imp.line });
    }
    graph.set(file, edges);
  }
  // Cycles: a depth-first search; each back edge closes one cycle.
  const state = new Map();
  const stack = [];
  const seen = new Set();
  const visit = (f) => {
    state.set(f, 1);
    stack.push(f);
    for (const { to } of graph.get(f) ?? []) {
      if (state.get(to) === 1) {
        const cycle = [...stack.slice(stack.indexOf(to)), to];
        const key = [...cycle.slice(0, -1)].sort().join(' ');
        if (!seen.has(key)) {
          seen.add(key);
          problems.push(`import cycle: ${cycle.join(' → ')}`);
        }
      } else if (!state.has(to)) visit(to);
    }
    stack.pop();
    state.set(f, 2);
  };
  for (const f of [...graph.keys()].sort()) if (!state.has(f)) visit(f);
  return { problems, files: files.length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..');
  const { problems, files } = checkImports(root);
  for (const p of problems) console.error(p);
  if (problems.length) {
    console.error(`check-imports: ${problems.length} problem(s)`);
    process.exit(1);
  }
  console.log(
    `check-imports: ${files} ts/ files, no cycle, no import of a higher layer, the protocol imports types only`,
  );
}
