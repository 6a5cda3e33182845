/**
 * scripts/check-imports.mjs: the repository's ts/ passes, and each rule
 * fails on a small tree made to break it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, test } from 'vitest';
import { checkImports, importsOf } from '../../scripts/check-imports.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');
const trees: string[] = [];
afterEach(() => {
  for (const t of trees.splice(0)) rmSync(t, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'elex-imports-'));
  trees.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

test("the repository's ts/ has no cycle, no upward import, and a types-only protocol", () => {
  expect(checkImports(repo).problems).toEqual([]);
});

test('a cycle of type-only imports is a cycle', () => {
  const root = tree({
    'ts/host/a.ts': "import type { B } from './b.ts';\nexport type A = B;\n",
    'ts/host/b.ts': "import type {\n  A,\n} from './a.ts';\nexport type B = A | 1;\n",
  });
  expect(checkImports(root).problems).toEqual(['import cycle: ts/host/a.ts → ts/host/b.ts → ts/host/a.ts']);
});

test('an import of a higher layer fails, a lower one passes', () => {
  const root = tree({
    'ts/core/errors.ts': "import { pool } from '../parallel/pool.ts';\nexport const e = pool;\n",
    'ts/parallel/pool.ts': 'export const pool = 1;\n',
    'ts/api/engine.ts': "import { pool } from '../parallel/pool.ts';\nexport const engine = pool;\n",
  });
  expect(checkImports(root).problems).toEqual([
    "ts/core/errors.ts:1: core imports '../parallel/pool.ts' of parallel, a higher layer",
  ]);
});

test('the protocol may import types only', () => {
  const root = tree({
    'ts/core/errors.ts': 'export class E {}\nexport type W = { code: string };\n',
    'ts/parallel/protocol.ts':
      "import type { W } from '../core/errors.ts';\nimport { E, type W as X } from '../core/errors.ts';\nexport type P = W | X | E;\n",
  });
  expect(checkImports(root).problems).toEqual([
    "ts/parallel/protocol.ts:2: the protocol imports only types; '../core/errors.ts' is a value import",
  ]);
});

test('imports in comments and strings are not imports; import() in a type position is a type import', () => {
  const text = [
    "// import { a } from './a.ts';",
    "/* export * from './b.ts'; */",
    'const s = "import x from \'./c.ts\'";',
    "type T = import('./d.ts').T;",
    "const m = await import('./e.ts');",
    "export * from './f.ts';",
  ].join('\n');
  expect(importsOf(text).map((i) => [i.spec, i.type])).toEqual([
    ['./f.ts', false],
    ['./d.ts', true],
    ['./e.ts', false],
  ]);
});
