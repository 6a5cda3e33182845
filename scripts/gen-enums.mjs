// npm run gen:enums: writes ts/generated/enums.ts from the enums of
// engine/include/elex/**/*.h that are marked for TypeScript. The headers are
// the one source; tests/ts/enums.test.ts fails when the committed file
// differs from what this script writes.
//
// A marked enum: its `///` doc comment ends with a line
//   /// @ts NAME                 enumerators named by a `key` at the start of their doc
//   /// @ts NAME names           enumerators named by their identifier
//   /// @ts NAME names=PREFIX    the same, minus PREFIX; those without PREFIX are left out
// followed by the enum head (`enum [class] Id [: type] {` or `typedef enum id {`),
// one enumerator per line (`Id [= value],` with `///` docs above it or a
// `///<` doc after it), and `};` or `} id;`. A key is written in backticks at
// the start of the enumerator's doc ("///< `int8+f32`: codes and floats");
// without a key (in the first form) the enumerator stays C-only (counts).
// Values: integers (decimal or hex, `u` suffixes), `<<`, `|` and brackets;
// without one, the previous value + 1.
//
// Output, for each marked enum: `export const NAME = { key: value, … } as const`
// and `export const NAME_NAMES = [key, …] as const` in value order, with
// the doc comments carried over.
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DOC, jsDoc, markedBlocks } from './header-blocks.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const HEADERS = 'engine/include/elex';
export const OUTPUT = 'ts/generated/enums.ts';
const WIDTH = 120; // .prettierrc printWidth: the output is written as prettier would format it

const MARKER = /^\s*\/\/\/\s*@ts\s+([A-Z][A-Z0-9_]*)(?:\s+(names)(?:=(\w+))?)?\s*$/;
const HEAD = /^\s*(?:typedef\s+)?enum\s+(?:class\s+)?(\w+)\s*(?::\s*[\w:]+\s*)?\{\s*$/;
const ITEM = /^\s*(\w+)\s*(?:=\s*([^,/]+?))?\s*,?\s*(?:\/\/\/<\s?(.*))?$/;
const END = /^\s*\}\s*\w*\s*;\s*$/;

/** The value of a C enumerator initialiser (integers, <<, |, brackets). */
function evaluate(expr, where) {
  const js = expr.replace(/\b(0x[0-9a-f]+|\d+)u\b/gi, '$1');
  if (!/^[\s0-9a-fx<|()]+$/i.test(js)) throw new Error(`${where}: cannot read the value "${expr}"`);
  const value = Function(`"use strict"; return (${js});`)();
  if (!Number.isSafeInteger(value)) throw new Error(`${where}: "${expr}" is not an integer`);
  return value;
}

/** The marked enums of one header: { name, cName, file, doc[], items: { key, value, doc[] }[] }. */
export function parseHeader(text, file) {
  const out = [];
  const blocks = markedBlocks(text, file, {
    marker: MARKER,
    head: HEAD,
    end: END,
    headError: (m) => `@ts ${m[1]} must be followed by an enum head on the next line`,
  });
  for (const { marker, head, where, doc, body, end } of blocks) {
    const [, name, names, prefix] = marker;
    const items = [];
    let pending = [];
    let next = 0;
    for (const { line, at } of body) {
      if (line.trim() === '') continue;
      const d = DOC.exec(line);
      if (d) {
        pending.push(d[1].trimEnd());
        continue;
      }
      if (/^\s*\/\//.test(line)) continue; // a plain comment is not documentation
      const m = ITEM.exec(line);
      if (!m) throw new Error(`${at}: cannot read the enumerator "${line.trim()}" (one per line)`);
      const [, ident, expr, after] = m;
      const value = expr === undefined ? next : evaluate(expr, at);
      next = value + 1;
      const itemDoc = after === undefined ? pending : [...pending, after.trimEnd()];
      pending = [];
      let key = null;
      const text = itemDoc.join('\n');
      const tagged = /^`([^`]+)`(?::\s*|\s+|$)/.exec(text);
      let rest = itemDoc;
      if (tagged) {
        key = tagged[1];
        rest = text.slice(tagged[0].length).split('\n');
      } else if (names) {
        if (prefix === undefined) key = ident;
        else if (ident.startsWith(prefix)) key = ident.slice(prefix.length);
      }
      if (key === null) continue;
      if (items.some((it) => it.key === key)) throw new Error(`${at}: key "${key}" appears twice in ${name}`);
      items.push({ key, value, doc: rest.filter((l, k) => l !== '' || k > 0) });
    }
    if (!end) throw new Error(`${where}: enum ${head[1]} has no end`);
    if (items.length === 0) throw new Error(`${where}: @ts ${name} exports no enumerator`);
    out.push({ name, cName: head[1], file, doc, items });
  }
  return out;
}

const quote = (s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const property = (s) => (/^[A-Za-z_$][\w$]*$/.test(s) ? s : quote(s));

function emit(e) {
  const doc = [...e.doc, ...(e.doc.length ? [''] : []), `From \`${e.cName}\` in ${e.file}.`];
  const out = [...jsDoc(doc, '', WIDTH), `export const ${e.name} = {`];
  for (const it of e.items) {
    if (it.doc.length) out.push(...jsDoc(it.doc, '  ', WIDTH));
    out.push(`  ${property(it.key)}: ${it.value},`);
  }
  out.push('} as const;', '');
  const sorted = [...e.items].sort((a, b) => a.value - b.value).map((it) => quote(it.key));
  out.push(`/** The keys of ${e.name} in value order. */`);
  const one = `export const ${e.name}_NAMES = [${sorted.join(', ')}] as const;`;
  if (one.length <= WIDTH) out.push(one);
  else out.push(`export const ${e.name}_NAMES = [`, ...sorted.map((s) => `  ${s},`), '] as const;');
  return out.join('\n');
}

/** The text of ts/generated/enums.ts for the headers under `root`. */
export function generateEnums(root = ROOT) {
  const dir = join(root, HEADERS);
  const enums = readdirSync(dir, { recursive: true })
    .filter((f) => f.endsWith('.h'))
    .map((f) => f.split(sep).join('/'))
    .sort((a, b) => (a.split('/').at(-1) < b.split('/').at(-1) ? -1 : 1))
    .flatMap((f) => parseHeader(readFileSync(join(dir, f), 'utf8'), `${HEADERS}/${f}`));
  const seen = new Set();
  for (const e of enums) {
    if (seen.has(e.name)) throw new Error(`${e.file}: @ts ${e.name} is marked twice`);
    seen.add(e.name);
  }
  const head = [
    `// Generated by scripts/gen-enums.mjs from the enums marked \`/// @ts\` in ${HEADERS}/**/*.h.`,
    '// Do not edit: change the header, then run `npm run gen:enums`.',
  ];
  return `${[head.join('\n'), ...enums.map(emit)].join('\n\n')}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = join(ROOT, OUTPUT);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, generateEnums());
  console.log(`gen-enums: ${OUTPUT}`);
}
