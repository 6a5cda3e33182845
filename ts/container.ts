/**
 * The ELEX container of engine/include/elex/format.h, written and read in
 * TypeScript for formats that live above one wasm instance (a sharded
 * index). Same layout: magic "ELEX", u16 version 1, u16 kind, u32 section
 * count, u32 flags 0, sections {u32 tag, u32 0, u64 length, payload padded
 * to 8}, u32 CRC-32 of everything before.
 */
import { ElexError } from './errors.ts';
import { CONTAINER_KIND } from './generated/enums.ts';

/** The kinds this layer writes (format.h ContainerKind). */
export const ContainerKind: Pick<typeof CONTAINER_KIND, 'ShardedIndex' | 'AgentSnapshot'> = CONTAINER_KIND;
export type ContainerKind = (typeof ContainerKind)[keyof typeof ContainerKind];

// Slice-by-8 tables (as engine/src/format.cpp): T[k*256 + i] is the CRC of
// byte i followed by k zero bytes.
const T = (() => {
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++)
    for (let k = 1; k < 8; k++) t[k * 256 + n] = (t[(k - 1) * 256 + n]! >>> 8) ^ t[t[(k - 1) * 256 + n]! & 0xff]!;
  return t;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  const n = bytes.length;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const lo = (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) ^ c;
    c =
      T[1792 + (lo & 0xff)]! ^
      T[1536 + ((lo >>> 8) & 0xff)]! ^
      T[1280 + ((lo >>> 16) & 0xff)]! ^
      T[1024 + (lo >>> 24)]! ^
      T[768 + bytes[i + 4]!]! ^
      T[512 + bytes[i + 5]!]! ^
      T[256 + bytes[i + 6]!]! ^
      T[bytes[i + 7]!]!;
  }
  for (; i < n; i++) c = T[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const pad8 = (n: number) => (n + 7) & ~7;
const tagOf = (s: string) =>
  s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24);
const tagName = (t: number) => String.fromCharCode(t & 0xff, (t >>> 8) & 0xff, (t >>> 16) & 0xff, (t >>> 24) & 0xff);

export function writeContainer(kind: ContainerKind, sections: [string, Uint8Array][]): Uint8Array {
  const size = 16 + sections.reduce((s, [, p]) => s + 16 + pad8(p.length), 0) + 4;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  out.set([0x45, 0x4c, 0x45, 0x58]);
  v.setUint16(4, 1, true);
  v.setUint16(6, kind, true);
  v.setUint32(8, sections.length, true);
  let at = 16;
  for (const [tag, payload] of sections) {
    v.setUint32(at, tagOf(tag), true);
    v.setBigUint64(at + 8, BigInt(payload.length), true);
    out.set(payload, at + 16);
    at += 16 + pad8(payload.length);
  }
  v.setUint32(at, crc32(out.subarray(0, at)), true);
  return out;
}

/** Parses and verifies a container; sections are views into `bytes`. */
export function readContainer(bytes: Uint8Array, kind: ContainerKind): Map<string, Uint8Array> {
  if (!(bytes instanceof Uint8Array)) throw new ElexError('INVALID_ARGUMENT', 'bytes must be a Uint8Array');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 20 || v.getUint32(0, false) !== 0x454c4558)
    throw new ElexError('FOREIGN_DATA', 'not ELEX data: expected the magic "ELEX"');
  if (v.getUint16(4, true) !== 1)
    throw new ElexError(
      'UNSUPPORTED_VERSION',
      `ELEX data has format version ${v.getUint16(4, true)}; this build reads version 1`,
    );
  if (v.getUint16(6, true) !== kind)
    throw new ElexError('UNSUPPORTED_VERSION', `ELEX data holds kind ${v.getUint16(6, true)}, expected kind ${kind}`);
  const body = bytes.length - 4;
  if (crc32(bytes.subarray(0, body)) !== v.getUint32(body, true))
    throw new ElexError('CORRUPT_DATA', `ELEX data is corrupt: checksum mismatch (${bytes.length} bytes)`);
  const n = v.getUint32(8, true);
  if (v.getUint32(12, true) !== 0 || n > 1024) throw new ElexError('CORRUPT_DATA', 'ELEX data has a bad header');
  const out = new Map<string, Uint8Array>();
  let at = 16;
  for (let i = 0; i < n; i++) {
    if (body - at < 16) throw new ElexError('CORRUPT_DATA', `ELEX data is truncated in section ${i}`);
    const tag = tagName(v.getUint32(at, true));
    const len = Number(v.getBigUint64(at + 8, true));
    at += 16;
    if (v.getUint32(at - 12, true) !== 0 || len > body - at || out.has(tag))
      throw new ElexError('CORRUPT_DATA', `ELEX section ${i} is invalid`);
    out.set(tag, bytes.subarray(at, at + len));
    at += pad8(len);
  }
  if (at !== body) throw new ElexError('CORRUPT_DATA', 'ELEX data has stray bytes after its sections');
  return out;
}
