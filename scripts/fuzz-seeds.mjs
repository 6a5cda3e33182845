// Writes seed inputs for the vector-set decoder: valid containers (built
// byte by byte from the format spec in engine/include/elex/core/format.h) and a
// few near misses.
import { mkdirSync, writeFileSync } from 'node:fs';

const out = process.argv[2];
mkdirSync(out, { recursive: true });

const table = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (b) => {
  let c = 0xffffffff;
  for (const x of b) c = table[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const pad8 = (n) => (n + 7) & ~7;

function container(kind, sections) {
  const size = 16 + sections.reduce((s, [, p]) => s + 16 + pad8(p.length), 0) + 4;
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  b.set([0x45, 0x4c, 0x45, 0x58]); // "ELEX"
  v.setUint16(4, 1, true);
  v.setUint16(6, kind, true);
  v.setUint32(8, sections.length, true);
  let at = 16;
  for (const [tag, payload] of sections) {
    b.set(new TextEncoder().encode(tag), at);
    v.setBigUint64(at + 8, BigInt(payload.length), true);
    b.set(payload, at + 16);
    at += 16 + pad8(payload.length);
  }
  v.setUint32(at, crc32(b.subarray(0, at)), true);
  return b;
}

function vectorSet(count, dim) {
  const meta = new Uint8Array(8);
  new DataView(meta.buffer).setUint32(0, dim, true);
  new DataView(meta.buffer).setUint32(4, count, true);
  const data = new Float32Array(count * dim).map((_, i) => Math.sin(i));
  return container(1, [
    ['META', meta],
    ['VF32', new Uint8Array(data.buffer)],
  ]);
}

writeFileSync(`${out}/valid-3x4`, vectorSet(3, 4));
writeFileSync(`${out}/valid-0x8`, vectorSet(0, 8));
writeFileSync(`${out}/valid-1x1`, vectorSet(1, 1));
writeFileSync(`${out}/wrong-kind`, container(2, []));
writeFileSync(`${out}/no-sections`, container(1, []));
writeFileSync(`${out}/empty`, new Uint8Array(0));
