// npm run gen:abi: the layouts of the C ABI's structs, from engine/include/elex/elex.h.
// Writes
//   ts/generated/abi.ts            each marked struct's byte size and field offsets (wasm32), read and
//                                  written in ts/bindings/bindings.ts through one typed view (ts/bindings/abi-view.ts);
//   engine/src/api/abi_layout.h    a static_assert of every one of those offsets and sizes, compiled
//                                  into the engine: the C compiler checks what TypeScript reads.
// The header is the one source; tests/ts/abi.test.ts fails when a committed output differs from what
// this script writes (a struct changed without `npm run gen:abi`).
//
// A marked struct: its `///` doc comment ends with `/// @ts-struct NAME`, followed by
// `typedef struct id {`, one field per line (`[const] type[*] name[[N]];`, `///<` docs allowed), and
// `} id;`. Field types: uint8_t int8_t uint16_t int16_t uint32_t int32_t uint64_t float double, or a
// pointer to anything (4 bytes on wasm32). Fields sit at their natural alignment with no padding
// between them (add a `reserved` field instead): the generator refuses a struct that would need any.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DOC, jsDoc, markedBlocks } from './header-blocks.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const HEADER = 'engine/include/elex/elex.h';
export const TS_OUTPUT = 'ts/generated/abi.ts';
export const CPP_OUTPUT = 'engine/src/api/abi_layout.h';

const MARKER = /^\s*\/\/\/\s*@ts-struct\s+([A-Z][A-Z0-9_]*)\s*$/;
const HEAD = /^\s*typedef\s+struct\s+(\w+)\s*\{\s*$/;
const FIELD = /^\s*(?:const\s+)?(\w+)\s*(\*?)\s*(\w+)\s*(?:\[(\d+)\])?\s*;\s*(?:\/\/\/<\s?(.*))?$/;
const END = /^\s*\}\s*(\w+)\s*;\s*$/;

/** C type → [TS view type, bytes]. */
const SCALARS = {
  uint8_t: ['u8', 1],
  int8_t: ['i8', 1],
  uint16_t: ['u16', 2],
  int16_t: ['i16', 2],
  uint32_t: ['u32', 4],
  int32_t: ['i32', 4],
  uint64_t: ['u64', 8],
  float: ['f32', 4],
  double: ['f64', 8],
};

const camel = (s) => s.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

/** The marked structs of a header: { name, cName, doc[], bytes, fields: { cName, key, type, offset, count, doc }[] }. */
export function parseStructs(text, file = HEADER) {
  const out = [];
  const blocks = markedBlocks(text, file, {
    marker: MARKER,
    head: HEAD,
    end: END,
    headError: (m) => `@ts-struct ${m[1]} must be followed by "typedef struct id {"`,
  });
  for (const { marker, head, where, doc, body, end } of blocks) {
    const fields = [];
    let offset = 0,
      align = 1;
    for (const { line, at } of body) {
      if (line.trim() === '' || DOC.test(line) || /^\s*\/\//.test(line)) continue;
      const m = FIELD.exec(line);
      if (!m) throw new Error(`${at}: cannot read the field "${line.trim()}" (one per line)`);
      const [, ctype, star, cName, count, fieldDoc] = m;
      const [type, size] = star ? ['ptr', 4] : (SCALARS[ctype] ?? []);
      if (!type) throw new Error(`${at}: field type ${ctype} is not an explicit-width type`);
      if (offset % size !== 0)
        throw new Error(`${at}: ${cName} would need ${size - (offset % size)} bytes of padding before it`);
      const n = count === undefined ? 1 : Number(count);
      fields.push({ cName, key: camel(cName), type, offset, count: n, doc: fieldDoc?.trimEnd() ?? '' });
      offset += size * n;
      align = Math.max(align, size);
    }
    if (!end || end[1] !== head[1]) throw new Error(`${where}: struct ${head[1]} has no "} ${head[1]};"`);
    if (offset % align !== 0) throw new Error(`${where}: ${head[1]} would end in padding: add a reserved field`);
    if (fields.length === 0) throw new Error(`${where}: ${head[1]} has no fields`);
    out.push({ name: marker[1], cName: head[1], doc, bytes: offset, fields });
  }
  return out;
}

function emitTs(s) {
  const doc = [
    ...s.doc,
    ...(s.doc.length ? [''] : []),
    `From \`${s.cName}\` in ${HEADER} (${s.bytes} bytes on wasm32).`,
  ];
  const out = [...jsDoc(doc, ''), `export const ${s.name} = {`, `  bytes: ${s.bytes},`, '  fields: {'];
  for (const f of s.fields) {
    if (f.doc) out.push(...jsDoc([f.doc], '    '));
    const count = f.count === 1 ? '' : `, count: ${f.count}`;
    out.push(`    ${f.key}: { offset: ${f.offset}, type: '${f.type}'${count} },`);
  }
  out.push('  },', '} as const;');
  return out.join('\n');
}

function emitCpp(s) {
  const hasPointer = s.fields.some((f) => f.type === 'ptr');
  const body = [
    `ELEX_ABI_SIZE(${s.cName}, ${s.bytes});`,
    ...s.fields.map((f) => `ELEX_ABI_AT(${s.cName}, ${f.cName}, ${f.offset});`),
  ];
  // Pointers are 4 bytes on wasm32 only: those layouts are checked where they are used.
  return hasPointer ? ['#if UINTPTR_MAX == 0xFFFFFFFFu', ...body, '#endif'].join('\n') : body.join('\n');
}

/** { ts, cpp }: the two outputs for the header under `root`. */
export function generateAbi(root = ROOT) {
  const structs = parseStructs(readFileSync(join(root, HEADER), 'utf8'));
  const names = new Set();
  for (const s of structs) {
    if (names.has(s.name)) throw new Error(`${HEADER}: @ts-struct ${s.name} is marked twice`);
    names.add(s.name);
  }
  const ts = [
    [
      `// Generated by scripts/gen-abi.mjs from the structs marked \`/// @ts-struct\` in ${HEADER}.`,
      '// Do not edit: change the header, then run `npm run gen:abi`.',
    ].join('\n'),
    ...structs.map(emitTs),
  ].join('\n\n');
  const cpp = [
    [
      '// Generated by scripts/gen-abi.mjs from the structs marked `/// @ts-struct` in',
      `// ${HEADER}. Do not edit: change the header, then run \`npm run gen:abi\`.`,
      '// Included by api.cpp beside it: the layouts ts/generated/abi.ts reads, checked by the compiler.',
      '#ifndef ELEX_ABI_LAYOUT_H',
      '#define ELEX_ABI_LAYOUT_H',
      '',
      '#include <cstddef>',
      '#include <cstdint>',
      '',
      '#include "elex/elex.h"',
      '',
      '// clang-format off',
      '#define ELEX_ABI_SIZE(T, n) static_assert(sizeof(T) == (n), #T " is " #n " bytes")',
      '#define ELEX_ABI_AT(T, f, n) static_assert(offsetof(T, f) == (n), #T "." #f " is at byte " #n)',
    ].join('\n'),
    ...structs.map(emitCpp),
    ['#undef ELEX_ABI_AT', '#undef ELEX_ABI_SIZE', '// clang-format on', '', '#endif  // ELEX_ABI_LAYOUT_H'].join('\n'),
  ].join('\n\n');
  return { ts: `${ts}\n`, cpp: `${cpp}\n` };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { ts, cpp } = generateAbi();
  for (const [file, text] of [
    [TS_OUTPUT, ts],
    [CPP_OUTPUT, cpp],
  ]) {
    mkdirSync(dirname(join(ROOT, file)), { recursive: true });
    writeFileSync(join(ROOT, file), text);
    console.log(`gen-abi: ${file}`);
  }
}
