/**
 * The fast call path's codec and channel, in Node: both ends of a channel
 * on one thread (the worker end with no sleeping window, so it only waits
 * with Atomics.waitAsync), against a fake worker API.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { BORROW_MIN, decode, TooBig, Unencodable, Writer } from '../../ts/parallel/fast-codec.ts';
import { FastChannel, serveFastChannel } from '../../ts/parallel/fast-channel.ts';
import { FAST_METHODS } from '../../ts/parallel/protocol.ts';
import { ElexError, revive, toWire } from '../../ts/core/errors.ts';

const roundTrip = (v: unknown) => {
  const w = new Writer();
  w.value(v);
  return decode(w.bytes());
};

describe('fast-codec', () => {
  test('values come back as structuredClone gives them', () => {
    const typed = fc.oneof(
      fc.float32Array().map((a) => new Float32Array(a)),
      fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 })).map((a) => new Uint32Array(a)),
      fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })).map((a) => new Int32Array(a)),
      fc.float64Array().map((a) => new Float64Array(a)),
      fc.uint8Array().map((a) => new Uint8Array(a)),
      fc.array(fc.integer({ min: 0, max: 65535 })).map((a) => new Uint16Array(a)),
    );
    const value = fc.letrec((tie) => ({
      leaf: fc.oneof(
        fc.constant(undefined),
        fc.constant(null),
        fc.boolean(),
        fc.double(),
        fc.integer(),
        fc.constant(-0),
        fc.string({ unit: 'grapheme' }),
        fc.string({ unit: 'binary', maxLength: 200 }),
        typed,
      ),
      node: fc.oneof(
        { depthSize: 'small' },
        tie('leaf'),
        fc.array(tie('node'), { maxLength: 5 }),
        fc.dictionary(fc.string(), tie('node'), { maxKeys: 5 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, (v) => {
        expect(roundTrip(v)).toStrictEqual(structuredClone(v));
      }),
    );
  });

  test('views decode as arrays of their own; ArrayBuffers as copies', () => {
    const buf = new Float64Array([1, 2, 3, 4, 5]).buffer;
    const view = new Float64Array(buf, 8, 3);
    const back = roundTrip({ view, buf }) as { view: Float64Array; buf: ArrayBuffer };
    expect(Array.from(back.view)).toEqual([2, 3, 4]);
    expect(back.view.byteOffset).toBe(0);
    expect(back.view.buffer.byteLength).toBe(24);
    expect(new Float64Array(back.buf)).toEqual(new Float64Array(buf));
    expect(back.buf).not.toBe(buf);
  });

  /**
   * Byte equality of two buffers or views, in one call: toEqual walks 64K
   * elements one by one (4.5 s at a load of 16 on 2 cores, 10.6 s in a full run).
   */
  const sameBytes = (a: ArrayBuffer | ArrayBufferView, b: ArrayBuffer | ArrayBufferView) => {
    const bytes = (x: ArrayBuffer | ArrayBufferView) =>
      ArrayBuffer.isView(x) ? Buffer.from(x.buffer, x.byteOffset, x.byteLength) : Buffer.from(x);
    return bytes(a).equals(bytes(b));
  };

  test('a borrowing decode gives large ArrayBuffers as views of the encoding, small ones and views as copies', () => {
    const big = new Uint8Array(BORROW_MIN).map((_, i) => (i * 7) & 255).buffer;
    const small = new Uint8Array(BORROW_MIN - 1).map((_, i) => i & 255).buffer;
    const typed = new Float64Array(BORROW_MIN / 8).fill(2.5);
    const w = new Writer();
    w.value({ big, small, typed, n: 3 });
    const enc = new Uint8Array(new SharedArrayBuffer(w.bytes().length));
    enc.set(w.bytes());
    const lent = decode(enc, 0, true) as { big: Uint8Array; small: ArrayBuffer; typed: Float64Array; n: number };
    expect(lent.big).toBeInstanceOf(Uint8Array);
    expect(lent.big.buffer).toBe(enc.buffer); // a view: no copy
    expect(sameBytes(lent.big, big)).toBe(true);
    expect(lent.small).toBeInstanceOf(ArrayBuffer);
    expect(sameBytes(lent.small, small)).toBe(true);
    expect(lent.typed.buffer).not.toBe(enc.buffer);
    expect(lent.typed).toBeInstanceOf(Float64Array);
    expect(sameBytes(lent.typed, typed)).toBe(true);
    expect(lent.n).toBe(3);
    // Without borrow: a copy of its own, as before.
    const own = decode(enc) as { big: ArrayBuffer };
    expect(own.big).toBeInstanceOf(ArrayBuffer);
    expect(sameBytes(own.big, big)).toBe(true);
    // A length past the end of a truncated encoding is an error, not a short view.
    const w2 = new Writer();
    w2.value(big);
    expect(() => decode(w2.bytes().subarray(0, 100), 0, true)).toThrow(/past the end/);
  });

  test('typed arrays decode the same from aligned and unaligned places, and never past the end', () => {
    const value = { f: new Float32Array([1.5, -0, NaN, 3]), d: new Float64Array([Math.PI]), b: new Uint8Array([7]) };
    const w = new Writer();
    w.value(value);
    const bytes = w.bytes();
    for (const shift of [0, 1, 3, 4, 8]) {
      // The same encoding at byte `shift` of a bigger buffer: its elements are not aligned there unless shift is.
      const at = new Uint8Array(bytes.length + shift);
      at.set(bytes, shift);
      const back = decode(at.subarray(shift)) as typeof value;
      expect(back).toStrictEqual(structuredClone(value));
      expect(back.f.buffer).not.toBe(at.buffer);
    }
    expect(() => decode(bytes.subarray(0, bytes.length - 2))).toThrow(/past the end/);
  });

  test('what it does not carry throws Unencodable; a fixed target too small throws TooBig', () => {
    expect(() => roundTrip(new Map())).toThrow(Unencodable);
    expect(() => roundTrip({ a: new Date() })).toThrow(Unencodable);
    expect(() => roundTrip(new DataView(new ArrayBuffer(4)))).toThrow(Unencodable);
    expect(() => roundTrip(() => 1)).toThrow(Unencodable);
    expect(() => new Writer(new Uint8Array(8)).value('a longer string than eight bytes')).toThrow(TooBig);
  });

  test('a __proto__ key stays a key', () => {
    const v = JSON.parse('{"__proto__": {"x": 1}, "y": 2}') as Record<string, unknown>;
    const back = roundTrip(v) as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.keys(back)).toEqual(['__proto__', 'y']);
  });
});

/** A fake worker API over the channel: methods record their calls in order. */
function fakeWorker(options: { slots?: number; slotBytes?: number; pageSpinMs?: number; pingMs?: number } = {}) {
  const slotBytes = options.slotBytes ?? 4096;
  const channel = new FastChannel({
    slots: options.slots ?? 2,
    slotBytes,
    pageSpinMs: options.pageSpinMs ?? 0,
    workerSpinMs: 0,
  });
  const order: unknown[] = [];
  const wire = (e: unknown) => Promise.reject(toWire(e));
  const api = {
    ping: async () => {
      order.push('ping');
      if (options.pingMs) await new Promise((r) => setTimeout(r, options.pingMs));
    },
    indexSearch: async (name: string, q: Float32Array, k: number) => {
      order.push(name);
      await new Promise((r) => setTimeout(r, 1));
      return { ids: new Uint32Array(k).map((_, i) => i + q.length), distances: q.slice(0, k), ms: 0.5 };
    },
    agentDecide: async (code: string) => {
      order.push(code);
      return wire(new ElexError('NOT_FOUND', `no agent ${code}`));
    },
    agentFeedback: async () => ({ applied: 1, unknown: 0 }),
    ranQuery: async (items: unknown[]) => {
      order.push(items);
      return { big: new Float64Array(slotBytes) }; // too big for a slot: by the port
    },
    ranRoute: async () => new Map([[1, 2]]), // not encodable: by the port
    ranAct: async () => {
      throw new Error('plain error');
    },
    validate: async (req: unknown) => req,
  };
  const dispatch = (method: string, args: unknown[]) =>
    (api[method as keyof typeof api] as (...a: unknown[]) => Promise<unknown>)(...args);
  serveFastChannel(channel.sab, channel.workerPort, dispatch, channel.slotBytes, 0);
  return { channel, order };
}

describe('fast-channel', () => {
  test('the method table is the protocol one', () => {
    expect(new Set(FAST_METHODS).size).toBe(FAST_METHODS.length);
  });

  test('results, coded errors and answers too big for a slot come back; calls run in the order sent', async () => {
    const { channel, order } = fakeWorker();
    const calls = [
      channel.call('indexSearch', ['a', new Float32Array([1, 2, 3]), 2]),
      channel.call('ping', []),
      channel.call('indexSearch', ['b', new Float32Array(5), 3]),
      channel.call('agentDecide', ['FAJ 1']),
      channel.call('ranQuery', [[{ text: 'q' }]]),
      channel.call('ranRoute', []),
      channel.call('ranAct', []),
    ];
    expect(calls.every((c) => c instanceof Promise)).toBe(true);
    const settled = await Promise.allSettled(calls as Promise<unknown>[]);
    expect(order).toEqual(['a', 'ping', 'b', 'FAJ 1', [{ text: 'q' }]]);
    expect(settled[0]).toEqual({
      status: 'fulfilled',
      value: { ids: new Uint32Array([3, 4]), distances: new Float32Array([1, 2]), ms: 0.5 },
    });
    expect(settled[1]).toEqual({ status: 'fulfilled', value: undefined });
    const decideError = revive((settled[3] as PromiseRejectedResult).reason);
    expect(decideError).toBeInstanceOf(ElexError);
    expect(decideError.code).toBe('NOT_FOUND');
    expect(decideError.message).toBe('no agent FAJ 1');
    expect((settled[4] as PromiseFulfilledResult<{ big: Float64Array }>).value.big.length).toBe(4096);
    expect((settled[5] as PromiseFulfilledResult<Map<number, number>>).value.get(1)).toBe(2);
    expect(revive((settled[6] as PromiseRejectedResult).reason).code).toBe('INTERNAL');
    expect(channel.calls).toBe(7);
    // Every slot is free again: the next calls go through at once.
    await expect(channel.call('agentFeedback', ['x', new Float64Array(1), new Float32Array(1), 0])).resolves.toEqual({
      applied: 1,
      unknown: 0,
    });
    channel.close(new ElexError('CLOSED', 'done'));
  });

  test('arguments that do not fit or cannot be encoded are left to postMessage (null)', () => {
    const { channel } = fakeWorker({ slotBytes: 1024 });
    expect(channel.call('validate', [{ bytes: new ArrayBuffer(2048) }])).toBeNull();
    expect(channel.call('validate', [new Map()])).toBeNull();
    expect(channel.fallbacks).toBe(2);
    expect(channel.calls).toBe(0);
    channel.close(new ElexError('CLOSED', 'done'));
  });

  test('close() rejects the calls in flight and in line with its error; later calls are left to postMessage', async () => {
    const { channel } = fakeWorker({ slots: 1 });
    const first = channel.call('indexSearch', ['a', new Float32Array(4), 1])!;
    const queued = channel.call('indexSearch', ['b', new Float32Array(4), 1])!;
    const dead = new ElexError('WORKER_CRASHED', 'worker 0 died');
    channel.close(dead);
    await expect(first).rejects.toBe(dead);
    await expect(queued).rejects.toBe(dead);
    expect(channel.call('ping', [])).toBeNull();
  });

  test('polls that keep missing pause polling, for twice as many calls each time it did not help', async () => {
    // Here the worker runs on the page's thread, so it answers only after
    // the page stops polling and waits: every poll misses. A ping takes
    // 20 ms, so the page polls each for 30 ms: a poll that started late on a
    // loaded machine still counts (one that starts after its window does
    // not, as the first call's, whose window is 0.02 ms: hence the loop).
    const { channel } = fakeWorker({ pageSpinMs: 5_000, pingMs: 20 });
    const ping = () => channel.call('ping', [])!;
    for (let i = 0; i < 5 && channel.pollPause === 0; i++) await ping();
    expect(channel.pollPause).toBe(16);
    expect(channel.spinHits).toBe(0);
    for (let i = 0; i < 16; i++) await ping(); // sent without polling
    expect(channel.pollPause).toBe(0);
    for (let i = 0; i < 3; i++) await ping();
    expect(channel.pollPause).toBe(32);
    channel.close(new ElexError('CLOSED', 'done'));
  });
});
