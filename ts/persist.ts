/**
 * Where learned state is kept: a small key → bytes store with three
 * backends.
 *
 * - `opfs`: the Origin Private File System through synchronous access
 *   handles, inside a worker. Each key is two files, `<key>.a` and
 *   `<key>.b` (slots). A write goes to the older slot: first its header is
 *   zeroed and flushed, then the body is written and flushed, then a
 *   32-byte header (magic, generation number, body length, its own CRC-32)
 *   is written and flushed. A read takes the valid slot with the highest
 *   generation. A crash mid-write leaves that slot without a valid header,
 *   so the other slot (the previous write) is read: nothing saved before is
 *   lost. Bodies are ELEX containers with their own CRC-32, checked by the
 *   reader (in wasm): a slot whose header is valid but whose body fails is
 *   damage, not an interrupted write, and the caller reports it as
 *   CORRUPT_DATA naming the file; nothing is overwritten.
 * - `idb`: IndexedDB (object store `blobs` of database `elex-<name>`);
 *   each put is one transaction, atomic by IndexedDB's own guarantee.
 * - `memory`: a Map, for Node and tests (optionally shared by name, so a
 *   "reload" can be simulated by a second engine).
 *
 * Keys are short ASCII names such as `agents-3` or `spill/FAJ 121 3094`.
 */
import { crc32 } from './container.ts';
import { ElexError } from './errors.ts';

export type PersistBackend = 'opfs' | 'idb' | 'memory';

export interface KeyValueStore {
  readonly backend: PersistBackend;
  /** A human-readable location for error messages. */
  describe(key: string): string;
  get(key: string): Promise<Uint8Array | null>;
  put(key: string, bytes: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
  keys(prefix: string): Promise<string[]>;
  close(): void;
}

/** Debug aid: make the next put stop half-way and the worker die (tests only). */
export interface CrashPlan {
  /** Called after half of the body is on disk; the put then never completes. */
  midWrite?: () => void;
}

// ------------------------------------------------------------------ memory

const sharedMemory = new Map<string, Map<string, Uint8Array>>();

export class MemoryStore implements KeyValueStore {
  readonly backend = 'memory' as const;
  private readonly map: Map<string, Uint8Array>;
  constructor(
    private readonly name: string,
    shared = true,
  ) {
    let m = shared ? sharedMemory.get(name) : undefined;
    if (!m) {
      m = new Map();
      if (shared) sharedMemory.set(name, m);
    }
    this.map = m;
  }
  describe(key: string): string {
    return `memory:${this.name}/${key}`;
  }
  async get(key: string): Promise<Uint8Array | null> {
    const v = this.map.get(key);
    return v ? v.slice() : null;
  }
  async put(key: string, bytes: Uint8Array): Promise<void> {
    this.map.set(key, bytes.slice());
  }
  async delete(key: string): Promise<void> {
    this.map.delete(key);
  }
  async keys(prefix: string): Promise<string[]> {
    return [...this.map.keys()].filter((k) => k.startsWith(prefix));
  }
  close(): void {}
  /** Test aid: the raw bytes under `key` (mutable). */
  raw(key: string): Uint8Array | undefined {
    return this.map.get(key);
  }
}

// -------------------------------------------------------------------- OPFS

const SLOT_MAGIC = 0x53584c45; // "ELXS" little-endian
const HEADER = 32;

interface SyncHandle {
  read(buf: Uint8Array, opts?: { at: number }): number;
  write(buf: Uint8Array, opts?: { at: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}

type FileHandleWithSync = FileSystemFileHandle & { createSyncAccessHandle(): Promise<SyncHandle> };

interface SlotHeader {
  generation: number;
  length: number;
}

function encodeHeader(h: SlotHeader): Uint8Array {
  const b = new Uint8Array(HEADER);
  const v = new DataView(b.buffer);
  v.setUint32(0, SLOT_MAGIC, true);
  v.setUint32(4, 1, true);
  v.setFloat64(8, h.generation, true);
  v.setFloat64(16, h.length, true);
  v.setUint32(28, crc32(b.subarray(0, 28)), true);
  return b;
}

/** 'empty' (never written or an interrupted write) | 'bad' (damaged header) | a header. */
function decodeHeader(b: Uint8Array, fileSize: number): SlotHeader | 'empty' | 'bad' {
  if (fileSize < HEADER) return 'empty';
  const v = new DataView(b.buffer, b.byteOffset, HEADER);
  if (b.every((x) => x === 0)) return 'empty';
  if (v.getUint32(0, true) !== SLOT_MAGIC || v.getUint32(4, true) !== 1) return 'bad';
  if (crc32(b.subarray(0, 28)) !== v.getUint32(28, true)) return 'bad';
  const h = { generation: v.getFloat64(8, true), length: v.getFloat64(16, true) };
  if (!Number.isInteger(h.generation) || !Number.isInteger(h.length) || h.length < 0) return 'bad';
  if (HEADER + h.length > fileSize) return 'empty'; // header of a longer body than is there: torn
  return h;
}

function fileName(key: string): string {
  // Keys may hold '/', spaces and the like: percent-encode into one flat name.
  return encodeURIComponent(key).replace(/\./g, '%2E');
}

export class OpfsStore implements KeyValueStore {
  readonly backend = 'opfs' as const;
  /** Test aid, set by the worker's debug hook. */
  crashPlan: CrashPlan = {};
  private constructor(
    private readonly dir: FileSystemDirectoryHandle,
    private readonly name: string,
  ) {}

  static available(): boolean {
    return (
      typeof navigator !== 'undefined' &&
      typeof navigator.storage?.getDirectory === 'function' &&
      typeof FileSystemFileHandle !== 'undefined' &&
      'createSyncAccessHandle' in FileSystemFileHandle.prototype
    );
  }

  static async open(name: string): Promise<OpfsStore> {
    const root = await navigator.storage.getDirectory();
    const top = await root.getDirectoryHandle('elex', { create: true });
    return new OpfsStore(await top.getDirectoryHandle(fileName(name), { create: true }), name);
  }

  describe(key: string): string {
    return `OPFS elex/${this.name}/${fileName(key)}.{a,b}`;
  }

  private async handle(file: string, create: boolean): Promise<SyncHandle | null> {
    try {
      const fh = (await this.dir.getFileHandle(file, { create })) as FileHandleWithSync;
      return await fh.createSyncAccessHandle();
    } catch (e) {
      if ((e as DOMException)?.name === 'NotFoundError') return null;
      if ((e as DOMException)?.name === 'NoModificationAllowedError')
        throw new ElexError('PERSIST_UNAVAILABLE', `${this.describe(file)} is open elsewhere (another engine or tab)`);
      throw new ElexError('PERSIST_UNAVAILABLE', `could not open ${file} in OPFS: ${String(e)}`);
    }
  }

  private readHeader(h: SyncHandle): SlotHeader | 'empty' | 'bad' {
    const b = new Uint8Array(HEADER);
    const size = h.getSize();
    if (size >= HEADER) h.read(b, { at: 0 });
    return decodeHeader(b, size);
  }

  async get(key: string): Promise<Uint8Array | null> {
    const base = fileName(key);
    const slots: { file: string; h: SyncHandle; head: SlotHeader | 'empty' | 'bad' }[] = [];
    try {
      for (const s of ['a', 'b']) {
        const h = await this.handle(`${base}.${s}`, false);
        if (h) slots.push({ file: `${base}.${s}`, h, head: this.readHeader(h) });
      }
      const valid = slots.filter((s) => typeof s.head === 'object') as {
        file: string;
        h: SyncHandle;
        head: SlotHeader;
      }[];
      if (valid.length === 0) {
        if (slots.some((s) => s.head === 'bad'))
          throw new ElexError('CORRUPT_DATA', `snapshot ${this.describe(key)} is damaged: no slot has a valid header`);
        return null;
      }
      valid.sort((x, y) => y.head.generation - x.head.generation);
      const best = valid[0]!;
      const body = new Uint8Array(best.head.length);
      if (best.h.read(body, { at: HEADER }) !== body.length)
        throw new ElexError(
          'CORRUPT_DATA',
          `snapshot OPFS elex/${this.name}/${best.file} is shorter than its header says`,
        );
      return body;
    } finally {
      for (const s of slots) s.h.close();
    }
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const base = fileName(key);
    const a = await this.handle(`${base}.a`, true);
    const b = await this.handle(`${base}.b`, true);
    try {
      const ha = this.readHeader(a!),
        hb = this.readHeader(b!);
      const ga = typeof ha === 'object' ? ha.generation : -1;
      const gb = typeof hb === 'object' ? hb.generation : -1;
      // Write over the older slot; the newer one stays as the fallback.
      const [target, generation] = ga <= gb ? [a!, gb + 1] : [b!, ga + 1];
      target.write(new Uint8Array(HEADER), { at: 0 });
      target.flush();
      if (this.crashPlan.midWrite) {
        target.write(bytes.subarray(0, bytes.length >> 1), { at: HEADER });
        target.flush();
        this.crashPlan.midWrite();
        await new Promise<never>(() => {}); // the worker is going away mid-write
      }
      target.write(bytes, { at: HEADER });
      target.truncate(HEADER + bytes.length);
      target.flush();
      target.write(encodeHeader({ generation, length: bytes.length }), { at: 0 });
      target.flush();
    } finally {
      a?.close();
      b?.close();
    }
  }

  async delete(key: string): Promise<void> {
    const base = fileName(key);
    for (const s of ['a', 'b']) await this.dir.removeEntry(`${base}.${s}`).catch(() => {});
  }

  async keys(prefix: string): Promise<string[]> {
    const out = new Set<string>();
    const p = fileName(prefix);
    for await (const name of (this.dir as unknown as { keys(): AsyncIterable<string> }).keys()) {
      if (!name.startsWith(p) || !/\.[ab]$/.test(name)) continue;
      out.add(decodeURIComponent(name.slice(0, -2)));
    }
    return [...out];
  }

  close(): void {}
}

// --------------------------------------------------------------- IndexedDB

export class IdbStore implements KeyValueStore {
  readonly backend = 'idb' as const;
  private constructor(
    private readonly db: IDBDatabase,
    private readonly name: string,
  ) {}

  static available(): boolean {
    return typeof indexedDB !== 'undefined';
  }

  static open(name: string): Promise<IdbStore> {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open(`elex-${name}`, 1);
      req.onupgradeneeded = () => req.result.createObjectStore('blobs');
      req.onsuccess = () => resolve(new IdbStore(req.result, name));
      req.onerror = () =>
        reject(new ElexError('PERSIST_UNAVAILABLE', `could not open IndexedDB elex-${name}: ${String(req.error)}`));
      req.onblocked = () =>
        reject(new ElexError('PERSIST_UNAVAILABLE', `IndexedDB elex-${name} is blocked by another connection`));
    });
  }

  describe(key: string): string {
    return `IndexedDB elex-${this.name}/blobs/${key}`;
  }

  private tx<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
    return new Promise((resolve, reject) => {
      const t = this.db.transaction('blobs', mode, { durability: 'strict' } as IDBTransactionOptions);
      const req = fn(t.objectStore('blobs'));
      let value: T;
      req.onsuccess = () => (value = req.result);
      t.oncomplete = () => resolve(value);
      t.onerror = t.onabort = () =>
        reject(new ElexError('PERSIST_UNAVAILABLE', `IndexedDB elex-${this.name}: ${String(t.error ?? req.error)}`));
    });
  }

  async get(key: string): Promise<Uint8Array | null> {
    const v = await this.tx('readonly', (s) => s.get(key) as IDBRequest<ArrayBuffer | undefined>);
    return v ? new Uint8Array(v) : null;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const copy = bytes.slice().buffer;
    await this.tx('readwrite', (s) => s.put(copy, key));
  }

  async delete(key: string): Promise<void> {
    await this.tx('readwrite', (s) => s.delete(key));
  }

  async keys(prefix: string): Promise<string[]> {
    const all = await this.tx('readonly', (s) => s.getAllKeys());
    return (all as IDBValidKey[]).filter((k): k is string => typeof k === 'string' && k.startsWith(prefix));
  }

  close(): void {
    this.db.close();
  }
}

/** Opens the requested backend ('auto': OPFS where sync handles exist, else IndexedDB, else memory). */
export async function openStore(name: string, backend: PersistBackend | 'auto'): Promise<KeyValueStore> {
  if (backend === 'memory') return new MemoryStore(name);
  if (backend === 'opfs' || (backend === 'auto' && OpfsStore.available())) {
    if (!OpfsStore.available())
      throw new ElexError('PERSIST_UNAVAILABLE', 'OPFS with synchronous access handles is not available here');
    return OpfsStore.open(name);
  }
  if (backend === 'idb' || (backend === 'auto' && IdbStore.available())) {
    if (!IdbStore.available()) throw new ElexError('PERSIST_UNAVAILABLE', 'IndexedDB is not available here');
    return IdbStore.open(name);
  }
  return new MemoryStore(name);
}
