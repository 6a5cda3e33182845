/**
 * The ELEX container and its CRC-32 have one implementation, in the engine
 * (engine/src/core/format.cpp through elex_crc32 / elex_container_write /
 * elex_container_read). These check it from TypeScript, and that bytes the
 * earlier TypeScript copy (ts/container.ts, removed at ABI 7) wrote still
 * load and are written again byte for byte.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { instantiate, type Bindings } from '../../ts/bindings/bindings.ts';
import { CONTAINER_KIND } from '../../ts/generated/enums.ts';
import { codeOf } from './helpers.ts';

const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (h) => parseInt(h, 16));
const text = (s: string) => new TextEncoder().encode(s);

// Written by the TypeScript writeContainer of ABI 6: a sharded index of two
// shards (SHRD, S000 = [1, 2, 3], S001 = "shard one") and a spilled agent
// record (META = {"spill":true}, RECS = four zero bytes).
const OLD_SHARDED = hex(
  '454c4558010003000300000000000000534852440000000008000000000000000200000000000000' +
    '533030300000000003000000000000000102030000000000533030310000000009000000000000007368617264206f6e6500000000000000ad03b8a2',
);
const OLD_SPILL = hex(
  '454c45580100040002000000000000004d455441000000000e000000000000007b227370696c6c223a747275657d0000' +
    '5245435300000000040000000000000000000000000000001407ad99',
);

describe('container and CRC-32 in the engine', () => {
  let b: Bindings;
  beforeAll(async () => {
    b = await instantiate({ variant: 'simd' });
  });
  afterAll(() => b?.close());

  test('crc32 agrees with the bytewise definition and the check value', () => {
    expect(b.crc32(text('123456789'))).toBe(0xcbf43926);
    expect(b.crc32(new Uint8Array(0))).toBe(0);
    const bytes = new Uint8Array(100).map((_, i) => (i * 131 + 7) & 0xff);
    for (let n = 0; n <= bytes.length; n++) {
      let c = 0xffffffff;
      for (let i = 0; i < n; i++) {
        c ^= bytes[i]!;
        for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      }
      expect(b.crc32(bytes.subarray(0, n))).toBe((c ^ 0xffffffff) >>> 0);
    }
  });

  test('containers written by the earlier TypeScript code load, and are written again byte for byte', () => {
    const sharded = b.readContainer(OLD_SHARDED, CONTAINER_KIND.ShardedIndex);
    expect([...sharded.keys()]).toEqual(['SHRD', 'S000', 'S001']);
    expect(Array.from(sharded.get('SHRD')!)).toEqual([2, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(sharded.get('S000')!)).toEqual([1, 2, 3]);
    expect(new TextDecoder().decode(sharded.get('S001'))).toBe('shard one');
    expect(b.writeContainer(CONTAINER_KIND.ShardedIndex, [...sharded])).toEqual(OLD_SHARDED);

    const spill = b.readContainer(OLD_SPILL, CONTAINER_KIND.AgentSnapshot);
    expect(new TextDecoder().decode(spill.get('META'))).toBe('{"spill":true}');
    expect(b.writeContainer(CONTAINER_KIND.AgentSnapshot, [...spill])).toEqual(OLD_SPILL);
  });

  test('sections come back as views of the bytes given, in the order written', () => {
    const bytes = b.writeContainer(CONTAINER_KIND.ShardedIndex, [
      ['SHRD', new Uint8Array(8)],
      ['S000', new Uint8Array(0)],
      ['S001', new Uint8Array(13).fill(9)],
    ]);
    const back = b.readContainer(bytes, CONTAINER_KIND.ShardedIndex);
    expect(back.get('S001')!.buffer).toBe(bytes.buffer);
    expect(back.get('S000')!.length).toBe(0);
    expect(Array.from(back.get('S001')!)).toEqual(new Array(13).fill(9));
  });

  test('a container of 257 sections (a 256-shard index) round-trips', () => {
    const sections = Array.from(
      { length: 257 },
      (_, i) => [i === 0 ? 'SHRD' : `S${String(i - 1).padStart(3, '0')}`, new Uint8Array([i & 0xff])] as const,
    );
    const back = b.readContainer(b.writeContainer(CONTAINER_KIND.ShardedIndex, sections), 3);
    expect(back.size).toBe(257);
    expect(Array.from(back.get('S255')!)).toEqual([0]);
  });

  test('damage, foreign bytes, another kind and bad tags are coded errors', () => {
    const bad = OLD_SHARDED.slice();
    bad[30] = bad[30]! ^ 4;
    expect(codeOf(() => b.readContainer(bad, CONTAINER_KIND.ShardedIndex))).toBe('CORRUPT_DATA');
    expect(codeOf(() => b.readContainer(new Uint8Array(30), CONTAINER_KIND.ShardedIndex))).toBe('FOREIGN_DATA');
    expect(codeOf(() => b.readContainer(OLD_SHARDED, CONTAINER_KIND.AgentSnapshot))).toBe('UNSUPPORTED_VERSION');
    expect(codeOf(() => b.writeContainer(CONTAINER_KIND.ShardedIndex, [['TOOLONG', new Uint8Array(1)]]))).toBe(
      'INVALID_ARGUMENT',
    );
  });
});
