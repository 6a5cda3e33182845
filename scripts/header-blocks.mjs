// The scan gen-abi.mjs and gen-enums.mjs share: blocks of a C header marked
// by a `///` line (a struct or an enum), with the `///` doc comment above
// the marker, and the JSDoc comments both write from such docs.

/** A `///` doc line (not a trailing `///<` one); group 1: its text. */
export const DOC = /^\s*\/\/\/(?!<)\s?(.*)$/;

/**
 * Each marked block of a header's text, in order:
 * `{ marker, head, where, doc, body, end }` — the regex matches of the
 * marker line and of the line after it (the block's head), "file:line" of
 * the marker, the `///` lines above the marker, the lines up to the one
 * `end` matches (`{ line, at }`, at = "file:line"), and that line's match
 * (null when the text ends first). `headError(marker)` is the message when
 * the line after a marker is not a head.
 */
export function* markedBlocks(text, file, { marker, head, end, headError }) {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = marker.exec(lines[i]);
    if (!m) continue;
    const where = `${file}:${i + 1}`;
    const doc = [];
    for (let j = i - 1; j >= 0 && DOC.test(lines[j]); j--) doc.unshift(DOC.exec(lines[j])[1].trimEnd());
    const h = head.exec(lines[i + 1] ?? '');
    if (!h) throw new Error(`${where}: ${headError(m)}`);
    const body = [];
    let j = i + 2;
    for (; j < lines.length && !end.test(lines[j]); j++) body.push({ line: lines[j], at: `${file}:${j + 1}` });
    yield { marker: m, head: h, where, doc, body, end: j < lines.length ? end.exec(lines[j]) : null };
    i = j;
  }
}

/** `lines` as a JSDoc comment at `indent`: on one line when it fits in `width` (prettier's printWidth). */
export function jsDoc(lines, indent, width = 120) {
  const text = lines.map((l) => l.replace(/\*\//g, '*\\/'));
  if (text.length === 1 && indent.length + text[0].length + 7 <= width) return [`${indent}/** ${text[0]} */`];
  return [`${indent}/**`, ...text.map((l) => (l === '' ? `${indent} *` : `${indent} * ${l}`)), `${indent} */`];
}
