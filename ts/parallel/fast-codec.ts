/**
 * The byte encoding of the fast call path (fast-channel.ts): the arguments
 * and results of the hot WorkerApi methods, written into a
 * SharedArrayBuffer slot instead of being structured-cloned by postMessage.
 *
 * It covers what those methods exchange: undefined, null, booleans,
 * numbers, strings, arrays, plain objects, typed arrays and ArrayBuffers.
 * Anything else (a Map, a class instance, a DataView…) throws
 * `Unencodable`, and the caller sends the value the ordinary way
 * (postMessage), so the fast path never changes what a call accepts.
 *
 * Layout: one tag byte per value, then its payload, little-endian:
 *   undefined | null | false | true                     (tag only)
 *   int32: 4 bytes; float64: 8 bytes
 *   string: u32 byte length + UTF-8
 *   array: u32 length + values; object: u32 count + (string key, value)…
 *   typed array: u8 kind + u32 byte length + 0-7 zero bytes (the bytes start
 *     at a multiple of 8 from the start of the encoding) + bytes;
 *   ArrayBuffer: u32 length + bytes
 * Typed arrays and buffers decode as fresh copies (never views of the
 * channel's shared memory, never views of one another), except that a
 * borrowing decode gives an ArrayBuffer of BORROW_MIN bytes or more as a
 * Uint8Array view of the encoding itself (see decode).
 */

const UNDEFINED = 0,
  NULL = 1,
  FALSE = 2,
  TRUE = 3,
  INT32 = 4,
  FLOAT64 = 5,
  STRING = 6,
  ARRAY = 7,
  OBJECT = 8,
  TYPED = 9,
  BUFFER = 10;

type TypedCtor = { new (buffer: ArrayBuffer): ArrayBufferView; readonly BYTES_PER_ELEMENT: number };
const TYPED_KINDS: readonly TypedCtor[] = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
];

/** A value the codec does not carry (the call then goes by postMessage). */
export class Unencodable extends Error {}
/** The encoding does not fit the fixed-size target. */
export class TooBig extends Error {}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/**
 * Writes values into a byte array: a fixed one (a slot of shared memory;
 * TooBig past its end) or its own, grown as needed.
 */
export class Writer {
  private u8: Uint8Array;
  private view: DataView;
  pos = 0;

  /** `target`: write there, at most its length; none: a private buffer that grows. */
  constructor(
    target?: Uint8Array,
    private readonly growable = target === undefined,
  ) {
    this.u8 = target ?? new Uint8Array(4096);
    this.view = new DataView(this.u8.buffer, this.u8.byteOffset, this.u8.byteLength);
  }

  /** The bytes written so far (a view; valid until the next write). */
  bytes(): Uint8Array {
    return this.u8.subarray(0, this.pos);
  }

  reset(): this {
    this.pos = 0;
    return this;
  }

  private room(n: number): void {
    if (this.pos + n <= this.u8.length) return;
    if (!this.growable) throw new TooBig(`the encoding needs more than ${this.u8.length} bytes`);
    let size = this.u8.length * 2;
    while (size < this.pos + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.u8.subarray(0, this.pos));
    this.u8 = grown;
    this.view = new DataView(grown.buffer);
  }

  private tag(t: number): void {
    this.room(1);
    this.u8[this.pos++] = t;
  }

  private u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  private raw(bytes: Uint8Array): void {
    this.u32(bytes.length);
    this.room(bytes.length);
    this.u8.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  private string(s: string): void {
    const n = s.length;
    this.room(4 + n);
    const at = this.pos + 4;
    let i = 0;
    // ASCII, byte by byte (most keys and codes); the rest through TextEncoder.
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      this.u8[at + i] = c;
    }
    if (i === n) {
      this.view.setUint32(this.pos, n, true);
      this.pos = at + n;
      return;
    }
    this.raw(utf8.encode(s)); // rare: not worth encodeInto's checks (it refuses shared memory)
  }

  value(v: unknown): void {
    switch (typeof v) {
      case 'undefined':
        return this.tag(UNDEFINED);
      case 'boolean':
        return this.tag(v ? TRUE : FALSE);
      case 'number':
        if ((v | 0) === v && !Object.is(v, -0)) {
          this.room(5);
          this.u8[this.pos] = INT32;
          this.view.setInt32(this.pos + 1, v, true);
          this.pos += 5;
        } else {
          this.room(9);
          this.u8[this.pos] = FLOAT64;
          this.view.setFloat64(this.pos + 1, v, true);
          this.pos += 9;
        }
        return;
      case 'string':
        this.tag(STRING);
        return this.string(v);
      case 'object':
        return this.object(v);
      default:
        throw new Unencodable(`a ${typeof v} is not carried by the fast path`);
    }
  }

  private object(v: object | null): void {
    if (v === null) return this.tag(NULL);
    if (Array.isArray(v)) {
      this.tag(ARRAY);
      this.u32(v.length);
      for (let i = 0; i < v.length; i++) this.value(v[i]);
      return;
    }
    if (ArrayBuffer.isView(v)) {
      const kind = TYPED_KINDS.findIndex((ctor) => v instanceof ctor);
      if (kind < 0) throw new Unencodable('a DataView is not carried by the fast path');
      this.tag(TYPED);
      this.room(1);
      this.u8[this.pos++] = kind;
      this.u32(v.byteLength);
      // Aligned, so that the reader copies elements from a view of them.
      const pad = -this.pos & 7;
      this.room(pad + v.byteLength);
      this.u8.fill(0, this.pos, this.pos + pad);
      this.pos += pad;
      this.u8.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), this.pos);
      this.pos += v.byteLength;
      return;
    }
    if (v instanceof ArrayBuffer) {
      this.tag(BUFFER);
      return this.raw(new Uint8Array(v));
    }
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null)
      throw new Unencodable('only plain objects are carried by the fast path');
    const keys = Object.keys(v);
    this.tag(OBJECT);
    this.u32(keys.length);
    for (const key of keys) {
      this.string(key);
      this.value((v as Record<string, unknown>)[key]);
    }
  }
}

/** ArrayBuffers from this many bytes up are views of the encoding in a borrowing decode. */
export const BORROW_MIN = 64 * 1024;

/**
 * Reads one value written by Writer from `u8` (shared memory or not),
 * starting at `start`. With `borrow`, an ArrayBuffer of BORROW_MIN bytes
 * or more comes back as a Uint8Array view of `u8` instead of a fresh copy:
 * for a receiver that reads it before `u8` is written again and does not
 * keep it (a fresh copy of a large buffer costs a page fault every 4 KB:
 * ~0.2 ms for 340 KB, more than the copy).
 */
export function decode(u8: Uint8Array, start = 0, borrow = false): unknown {
  const reader = new Reader(u8, start, borrow);
  return reader.value();
}

/** Short ASCII strings decoded before, by a hash of their bytes (see Reader.string). */
const shortStrings = new Map<number, string>();

function sameAscii(s: string, u8: Uint8Array, at: number, n: number): boolean {
  if (s.length !== n) return false;
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) !== u8[at + i]) return false;
  return true;
}

type TypedArray = ArrayBufferView & { set(source: ArrayBufferView): void };

class Reader {
  private readonly view: DataView;
  /** Where the encoding starts (alignment padding is counted from it). */
  private readonly start: number;
  constructor(
    private readonly u8: Uint8Array,
    private pos: number,
    private readonly borrow = false,
  ) {
    this.view = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
    this.start = pos;
  }

  /**
   * A fresh typed array of the next n bytes. Elements are copied from a
   * view of them when they are aligned for it (they always are when the
   * encoding starts at a multiple of 8 in its buffer, as in a channel slot):
   * a small array then stays in the JS heap, where a fresh ArrayBuffer
   * (the byte-wise copy) costs a separate allocation.
   */
  private typed(ctor: TypedCtor, n: number): ArrayBufferView {
    const size = ctor.BYTES_PER_ELEMENT;
    const at = this.u8.byteOffset + this.pos;
    if (n % size !== 0) throw new Error('fast path: a typed array of a partial element');
    if (this.pos + n > this.u8.length) throw new Error('fast path: a typed array past the end of the encoding');
    if (at % size !== 0) return new ctor(this.copy(n));
    const out = new (ctor as unknown as new (length: number) => TypedArray)(n / size);
    out.set(
      new (ctor as unknown as new (b: ArrayBufferLike, at: number, length: number) => TypedArray)(
        this.u8.buffer,
        at,
        n / size,
      ),
    );
    this.pos += n;
    return out;
  }

  private u32(): number {
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A fresh copy of the next n bytes (an ArrayBuffer of its own). */
  private copy(n: number): ArrayBuffer {
    const out = new Uint8Array(n);
    out.set(this.u8.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out.buffer;
  }

  private string(): string {
    const n = this.u32();
    const at = this.pos,
      end = at + n;
    this.pos = end;
    if (n <= 48) {
      // Short ASCII strings (keys, codes, names) repeat from call to call:
      // looked up by a hash of their bytes instead of built again.
      let hash = 0x811c9dc5 ^ n,
        i = at;
      for (; i < end; i++) {
        const c = this.u8[i]!;
        if (c >= 0x80) break;
        hash = Math.imul(hash ^ c, 0x01000193);
      }
      if (i === end) {
        const known = shortStrings.get(hash);
        if (known !== undefined && sameAscii(known, this.u8, at, n)) return known;
        let s = '';
        for (let j = at; j < end; j++) s += String.fromCharCode(this.u8[j]!);
        if (shortStrings.size >= 8192) shortStrings.clear();
        shortStrings.set(hash, s);
        return s;
      }
    }
    // TextDecoder refuses views of shared memory: decode a copy.
    return utf8Decoder.decode(this.u8.slice(at, end));
  }

  value(): unknown {
    const tag = this.u8[this.pos++];
    switch (tag) {
      case UNDEFINED:
        return undefined;
      case NULL:
        return null;
      case FALSE:
        return false;
      case TRUE:
        return true;
      case INT32: {
        const v = this.view.getInt32(this.pos, true);
        this.pos += 4;
        return v;
      }
      case FLOAT64: {
        const v = this.view.getFloat64(this.pos, true);
        this.pos += 8;
        return v;
      }
      case STRING:
        return this.string();
      case ARRAY: {
        const n = this.u32();
        const out = new Array<unknown>(n);
        for (let i = 0; i < n; i++) out[i] = this.value();
        return out;
      }
      case OBJECT: {
        const n = this.u32();
        const out: Record<string, unknown> = {};
        for (let i = 0; i < n; i++) {
          const key = this.string();
          const v = this.value();
          if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true });
          else out[key] = v;
        }
        return out;
      }
      case TYPED: {
        const ctor = TYPED_KINDS[this.u8[this.pos++]!];
        if (!ctor) throw new Error('fast path: unknown typed array kind');
        const n = this.u32();
        this.pos += (8 - (this.pos - this.start)) & 7;
        return this.typed(ctor, n);
      }
      case BUFFER: {
        const n = this.u32();
        if (!this.borrow || n < BORROW_MIN) return this.copy(n);
        if (this.pos + n > this.u8.length) throw new Error('fast path: a buffer past the end of the encoding');
        const view = this.u8.subarray(this.pos, this.pos + n);
        this.pos += n;
        return view;
      }
      default:
        throw new Error(`fast path: unknown tag ${String(tag)} at byte ${this.pos - 1}`);
    }
  }
}
