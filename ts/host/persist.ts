/**
 * Where learned state is kept: a small key → bytes store with three
 * backends.
 *
 * - `opfs`: the Origin Private File System through synchronous access
 *   handles, inside a worker. Each key is two files, `<key>.a` and
 *   `<key>.b` (slots). A write goes to the older slot: the body is written
 *   and flushed, then a 32-byte header (magic, generation number, body
 *   length, the body's last four bytes, the header's own CRC-32) is
 *   written and flushed. A read takes the slot with the highest generation
 *   whose header is valid and matches its body's last four bytes. A crash
 *   mid-write leaves that slot with no valid header or with the header of
 *   an older write, so the other slot (the previous write) is read: nothing
 *   saved before is lost. When neither slot is readable but one holds
 *   header bytes (it was written, then damaged or truncated), get() fails
 *   with CORRUPT_DATA naming the files instead of returning nothing.
 *   Bodies are ELEX containers whose last four bytes
 *   are their CRC-32, checked by the reader (in wasm): a newest slot whose
 *   body fails that check is damage, not an interrupted write, and the
 *   caller reports it as CORRUPT_DATA naming the file; nothing is
 *   overwritten.
 * - `idb`: IndexedDB (object store `blobs` of database `elex-<name>`);
 *   each put is one transaction, atomic by IndexedDB's own guarantee.
 * - `memory`: a Map, for Node and tests (optionally shared by name, so a
 *   "reload" can be simulated by a second engine).
 *
 * Keys are short ASCII names such as `agents-3` or `spill/FAJ 121 3094`.
 */
import { ElexError } from '../core/errors.ts';

export type PersistBackend = 'opfs' | 'idb' | 'memory';

/**
 * CRC-32 of some bytes, from the engine (Bindings.crc32, elex_crc32): the
 * OPFS slot headers are checksummed with the engine's one implementation.
 * A store opens inside a worker, where a wasm instance is loaded.
 */
export type Checksum = (bytes: Uint8Array) => number;

/**
 * Bytes to store, or a function giving them, called just before they are
 * written (after any await): a view into wasm memory stays valid that way.
 */
export type BytesSource = Uint8Array | (() => Uint8Array);

/** Where a read should land: given the size, an array of that length (e.g. a view into wasm memory). */
export type ReadTarget = (size: number) => Uint8Array;

const bytesOf = (src: BytesSource): Uint8Array => (typeof src === 'function' ? src() : src);

/** Bytes read into memory the caller names (or a fresh copy). */
function land(bytes: Uint8Array, into?: ReadTarget): Uint8Array {
  if (!into) return bytes.slice();
  const out = into(bytes.length);
  out.set(bytes);
  return out;
}

export interface KeyValueStore {
  readonly backend: PersistBackend;
  /** A human-readable location for error messages. */
  describe(key: string): string;
  /** The bytes under `key`, or null. Given `into`, they are read into the array it returns, which is the result. */
  get(key: string, into?: ReadTarget): Promise<Uint8Array | null>;
  put(key: string, bytes: BytesSource): Promise<void>;
  delete(key: string): Promise<void>;
  keys(prefix: string): Promise<string[]>;
  close(): void;
  /** Opens what get() and put() of `key` will use (OPFS: its slot files), so a later get() only reads. */
  prepare?(key: string): Promise<void>;
  /**
   * get(), for a key that other workers of the engine read at the same time
   * and none writes: nothing is kept open (OPFS: read-only handles, closed
   * once read; a handle kept open locks the other workers out).
   */
  getShared?(key: string, into?: ReadTarget): Promise<Uint8Array | null>;
  /**
   * Files get() read past because they were damaged, while the save before
   * them could be read and was returned instead (OPFS: a newest slot whose
   * body no longer matches its header). Empty unless storage was damaged;
   * the restore reports it (RestoreReport.damaged).
   */
  readonly damagedFiles?: readonly string[];
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
  async get(key: string, into?: ReadTarget): Promise<Uint8Array | null> {
    const v = this.map.get(key);
    return v ? land(v, into) : null;
  }
  async put(key: string, bytes: BytesSource): Promise<void> {
    this.map.set(key, bytesOf(bytes).slice());
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

type FileHandleWithSync = FileSystemFileHandle & {
  createSyncAccessHandle(options?: { mode?: 'readwrite' | 'read-only' }): Promise<SyncHandle>;
};

interface SlotHeader {
  generation: number;
  length: number;
  /** The body's last four bytes (an ELEX container's CRC-32). */
  trailer: number;
}

function encodeHeader(h: SlotHeader, crc32: Checksum): Uint8Array {
  const b = new Uint8Array(HEADER);
  const v = new DataView(b.buffer);
  v.setUint32(0, SLOT_MAGIC, true);
  v.setUint32(4, 1, true);
  v.setFloat64(8, h.generation, true);
  v.setFloat64(16, h.length, true);
  v.setUint32(24, h.trailer, true);
  v.setUint32(28, crc32(b.subarray(0, 28)), true);
  return b;
}

/** A valid header, or null (never written, interrupted, or damaged). */
function decodeHeader(b: Uint8Array, fileSize: number, crc32: Checksum): SlotHeader | null {
  if (fileSize < HEADER) return null;
  const v = new DataView(b.buffer, b.byteOffset, HEADER);
  if (v.getUint32(0, true) !== SLOT_MAGIC || v.getUint32(4, true) !== 1) return null;
  if (crc32(b.subarray(0, 28)) !== v.getUint32(28, true)) return null;
  const h = { generation: v.getFloat64(8, true), length: v.getFloat64(16, true), trailer: v.getUint32(24, true) };
  if (!Number.isInteger(h.generation) || !Number.isInteger(h.length) || h.length < 4) return null;
  // A body shorter than the header says is checked by the reader (OpfsStore.get): the header is there.
  return h;
}

function trailerOf(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(bytes.length - 4, true);
}

function fileName(key: string): string {
  // Keys may hold '/', spaces and the like: percent-encode into one flat name.
  return encodeURIComponent(key).replace(/\./g, '%2E');
}

/** How long an OPFS file held elsewhere is tried again before PERSIST_UNAVAILABLE (ms). */
const BUSY_RETRY_MS = 2000;

export class OpfsStore implements KeyValueStore {
  readonly backend = 'opfs' as const;
  readonly damagedFiles: string[] = [];
  /** @internal Test aid, set by the worker's debug hook. */
  crashPlan: CrashPlan = {};
  /**
   * Sync access handles stay open for the store's life: opening one costs
   * milliseconds, and one engine owns a persist name at a time (a Web Lock).
   */
  private readonly handles = new Map<string, SyncHandle>();
  /**
   * Opens in progress, by file: a second call for the same file waits for
   * the first (two createSyncAccessHandle() of one file in one worker: the
   * second fails as if another tab held it).
   */
  private readonly opening = new Map<string, Promise<SyncHandle | null>>();

  private constructor(
    private dir: FileSystemDirectoryHandle,
    private readonly name: string,
    private readonly crc32: Checksum,
  ) {}

  static available(): boolean {
    return (
      typeof navigator !== 'undefined' &&
      typeof navigator.storage?.getDirectory === 'function' &&
      typeof FileSystemFileHandle !== 'undefined' &&
      'createSyncAccessHandle' in FileSystemFileHandle.prototype
    );
  }

  /** `crc32` checksums the slot headers: pass the engine's (`(b) => bindings.crc32(b)`). */
  static async open(name: string, crc32: Checksum): Promise<OpfsStore> {
    return new OpfsStore(await OpfsStore.directory(name), name, crc32);
  }

  /** The directory of persist name `name` (made if missing). */
  private static async directory(name: string): Promise<FileSystemDirectoryHandle> {
    const root = await navigator.storage.getDirectory();
    const top = await root.getDirectoryHandle('elex', { create: true });
    return top.getDirectoryHandle(fileName(name), { create: true });
  }

  describe(key: string): string {
    return this.where(`${fileName(key)}.{a,b}`);
  }

  /** A file of this store, for messages. */
  private where(file: string): string {
    return `OPFS elex/${this.name}/${file}`;
  }

  private async handle(file: string, create: boolean): Promise<SyncHandle | null> {
    let seen: Promise<SyncHandle | null> | undefined;
    for (;;) {
      const cached = this.handles.get(file);
      if (cached) return cached;
      const pending = this.opening.get(file);
      if (!pending || pending === seen) break;
      seen = pending;
      let h: SyncHandle | null | undefined;
      try {
        h = await pending;
      } catch {
        h = undefined; // its error is its caller's: this call tries for itself
      }
      if (h) return h;
      if (h === null && !create) return null; // not there, and this call does not create it
    }
    const open = this.openHandle(file, create);
    this.opening.set(file, open);
    try {
      return await open;
    } finally {
      if (this.opening.get(file) === open) this.opening.delete(file);
    }
  }

  /**
   * Opens `file`'s handle. A file held elsewhere is tried again for up to
   * BUSY_RETRY_MS: one engine owns a persist name at a time (a Web Lock),
   * so the holder is this worker's predecessor, dead (its life lock is
   * this worker's) but with its handles not yet released by the browser.
   */
  private async openHandle(file: string, create: boolean, readOnly = false): Promise<SyncHandle | null> {
    const t0 = performance.now();
    for (let pause = 5; ; pause = Math.min(2 * pause, 100)) {
      try {
        const fh = (await this.dir.getFileHandle(file, { create })) as FileHandleWithSync;
        // Read-only handles of one file may be open in several workers at once (not cached: closed after the read).
        if (readOnly) return await fh.createSyncAccessHandle({ mode: 'read-only' });
        const h = await fh.createSyncAccessHandle();
        this.handles.set(file, h);
        return h;
      } catch (e) {
        const name = (e as DOMException)?.name;
        if (name === 'NotFoundError') return null;
        if (name !== 'NoModificationAllowedError')
          throw new ElexError('PERSIST_UNAVAILABLE', `could not open ${file} in OPFS: ${String(e)}`);
        if (performance.now() - t0 >= BUSY_RETRY_MS)
          throw new ElexError('PERSIST_UNAVAILABLE', `${this.where(file)} is open elsewhere (another engine or tab)`);
        await new Promise((r) => setTimeout(r, pause));
      }
    }
  }

  private releaseFile(file: string): void {
    this.handles.get(file)?.close();
    this.handles.delete(file);
  }

  private readHeader(h: SyncHandle): SlotHeader | null {
    const b = new Uint8Array(HEADER);
    const size = h.getSize();
    if (size >= HEADER) h.read(b, { at: 0 });
    return decodeHeader(b, size, this.crc32);
  }

  async prepare(key: string): Promise<void> {
    await Promise.all(this.slotFiles(key).map((f) => this.handle(f, false)));
  }

  async get(key: string, into?: ReadTarget): Promise<Uint8Array | null> {
    const files = this.slotFiles(key);
    // Both slots opened at once: opening a sync access handle is a round trip to the browser.
    const handles = await Promise.all(files.map((f) => this.handle(f, false)));
    return this.read(key, files, handles, into);
  }

  async getShared(key: string, into?: ReadTarget): Promise<Uint8Array | null> {
    const files = this.slotFiles(key);
    const opened = await Promise.allSettled(files.map((f) => this.openHandle(f, false, true)));
    const handles = opened.map((o) => (o.status === 'fulfilled' ? o.value : null));
    try {
      for (const o of opened) if (o.status === 'rejected') throw o.reason;
      return this.read(key, files, handles, into);
    } finally {
      for (const h of handles) h?.close();
    }
  }

  private slotFiles(key: string): string[] {
    const base = fileName(key);
    return ['a', 'b'].map((s) => `${base}.${s}`);
  }

  /** The newest readable save of `key` in its slot files (`handles`, null where a file is missing). */
  private read(key: string, files: string[], handles: (SyncHandle | null)[], into?: ReadTarget): Uint8Array | null {
    const slots: { h: SyncHandle; head: SlotHeader; file: string }[] = [];
    handles.forEach((h, i) => {
      const head = h ? this.readHeader(h) : null;
      if (h && head) slots.push({ h, head, file: files[i]! });
    });
    slots.sort((x, y) => y.head.generation - x.head.generation);
    const skipped: string[] = [];
    for (const { h, head, file } of slots) {
      if (HEADER + head.length <= h.getSize()) {
        // Straight into the target (wasm memory for a restore): no copy.
        const body = into ? into(head.length) : new Uint8Array(head.length);
        if (h.read(body, { at: HEADER }) === body.length && trailerOf(body) === head.trailer) {
          this.damagedFiles.push(...skipped);
          return body;
        }
      }
      // A header written for another body than the one there (or a longer
      // one). The older slot: a write to it was cut short (its body goes
      // first, its header last), and the newer slot was read already. The
      // newer one: its write completed, so it was damaged or truncated
      // since; the save before it is read, and the damage reported
      // (KeyValueStore.damagedFiles).
      skipped.push(this.where(file));
    }
    // No slot is readable. A slot never written, or whose first write was
    // cut short, holds no header bytes; one that holds some (or fewer bytes
    // than a header) was written and then damaged or truncated: report it
    // rather than start as if nothing had been saved.
    if (handles.some((h) => h !== null && this.damaged(h)))
      throw new ElexError(
        'CORRUPT_DATA',
        `${this.describe(key)} was written but neither slot can be read (damaged or truncated); it was left untouched`,
      );
    return null;
  }

  /** Whether a slot with no valid header holds bytes of a write that completed (so it was damaged since). */
  private damaged(h: SyncHandle): boolean {
    const size = h.getSize();
    if (size === 0) return false;
    if (size < HEADER) return true; // a write puts the body after the header: nothing writes fewer bytes
    const b = new Uint8Array(HEADER);
    h.read(b, { at: 0 });
    return b.some((x) => x !== 0);
  }

  async put(key: string, source: BytesSource): Promise<void> {
    try {
      await this.write(key, source);
    } catch (first) {
      if (first instanceof ElexError && first.code === 'INVALID_ARGUMENT') throw first;
      // The site's data may have been cleared while the engine ran: its
      // handles then point at files that are gone. Once more, from the
      // directory down (a full storage fails the same way again).
      this.close();
      try {
        this.dir = await OpfsStore.directory(this.name);
      } catch {
        throw first;
      }
      await this.write(key, source);
    }
  }

  private async write(key: string, source: BytesSource): Promise<void> {
    const [fileA, fileB] = this.slotFiles(key) as [string, string];
    const a = (await this.handle(fileA, true))!;
    const b = (await this.handle(fileB, true))!;
    // From here on nothing awaits: a view into wasm memory stays valid while it is written.
    const bytes = bytesOf(source);
    if (bytes.length < 4) throw new ElexError('INVALID_ARGUMENT', 'a stored body is an ELEX container (>= 4 bytes)');
    let ga: number, gb: number;
    try {
      ga = this.readHeader(a)?.generation ?? -1;
      gb = this.readHeader(b)?.generation ?? -1;
    } catch (e) {
      throw new ElexError('PERSIST_UNAVAILABLE', `could not read ${this.describe(key)}: ${String(e)}`);
    }
    // Write over the older slot; the newer one stays as the fallback.
    const [target, generation, file] = ga <= gb ? [a, gb + 1, fileA] : [b, ga + 1, fileB];
    if (this.crashPlan.midWrite) {
      target.write(bytes.subarray(0, bytes.length >> 1), { at: HEADER });
      target.flush();
      this.crashPlan.midWrite();
      await new Promise<never>(() => {}); // the worker is going away mid-write
    }
    // Over the storage quota, a write stores fewer bytes than asked (or
    // throws): the header is then not written, so the slot keeps its older
    // generation and the newer slot stays the one read (and the one kept).
    const fail = (what: string): ElexError =>
      new ElexError(
        'PERSIST_UNAVAILABLE',
        `could not write ${this.where(file)}: ${what}; the storage quota may be exceeded (navigator.storage.estimate()). Nothing was replaced: the previous save is kept`,
      );
    try {
      const n = target.write(bytes, { at: HEADER });
      if (n !== bytes.length) throw fail(`${n} of ${bytes.length} bytes were written`);
      target.truncate(HEADER + bytes.length);
      target.flush();
      const head = encodeHeader({ generation, length: bytes.length, trailer: trailerOf(bytes) }, this.crc32);
      const m = target.write(head, { at: 0 });
      if (m !== head.length) throw fail(`${m} of ${head.length} header bytes were written`);
      target.flush();
    } catch (e) {
      throw e instanceof ElexError ? e : fail(String(e));
    }
  }

  async delete(key: string): Promise<void> {
    for (const file of this.slotFiles(key)) {
      this.releaseFile(file);
      await this.dir.removeEntry(file).catch(() => {});
    }
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

  close(): void {
    for (const file of [...this.handles.keys()]) this.releaseFile(file);
  }
}

// --------------------------------------------------------------- IndexedDB

export class IdbStore implements KeyValueStore {
  readonly backend = 'idb' as const;
  /** The open connection; null once the browser closed it (site data cleared, the database deleted). */
  private db: IDBDatabase | null = null;
  private closed = false;

  private constructor(
    db: IDBDatabase,
    private readonly name: string,
  ) {
    this.adopt(db);
  }

  static available(): boolean {
    return typeof indexedDB !== 'undefined';
  }

  static async open(name: string): Promise<IdbStore> {
    return new IdbStore(await IdbStore.connect(name), name);
  }

  private static connect(name: string): Promise<IDBDatabase> {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open(`elex-${name}`, 1);
      req.onupgradeneeded = () => req.result.createObjectStore('blobs');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () =>
        reject(new ElexError('PERSIST_UNAVAILABLE', `could not open IndexedDB elex-${name}: ${String(req.error)}`));
      req.onblocked = () =>
        reject(new ElexError('PERSIST_UNAVAILABLE', `IndexedDB elex-${name} is blocked by another connection`));
    });
  }

  /**
   * Uses `db` until the browser closes it (the site's data cleared) or
   * another connection deletes or upgrades the database (this one then
   * steps aside instead of blocking it): the next access opens it again.
   */
  private adopt(db: IDBDatabase): void {
    this.db = db;
    const drop = () => {
      if (this.db === db) this.db = null;
    };
    db.onclose = drop;
    db.onversionchange = () => {
      db.close();
      drop();
    };
  }

  private async connection(): Promise<IDBDatabase> {
    if (this.closed) throw new ElexError('CLOSED', `IndexedDB elex-${this.name} was closed`);
    if (!this.db) this.adopt(await IdbStore.connect(this.name));
    return this.db!;
  }

  describe(key: string): string {
    return `IndexedDB elex-${this.name}/blobs/${key}`;
  }

  private async tx<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
    let t: IDBTransaction;
    for (let attempt = 0; ; attempt++) {
      const db = await this.connection();
      try {
        t = db.transaction('blobs', mode, { durability: 'strict' } as IDBTransactionOptions);
        break;
      } catch (e) {
        // The connection is closing (the site's data was cleared): once more on a new one.
        if (this.db === db) this.db = null;
        if (attempt > 0) throw new ElexError('PERSIST_UNAVAILABLE', `IndexedDB elex-${this.name}: ${String(e)}`);
      }
    }
    return new Promise((resolve, reject) => {
      const req = fn(t.objectStore('blobs'));
      let value: T;
      req.onsuccess = () => (value = req.result);
      t.oncomplete = () => resolve(value);
      t.onerror = t.onabort = () =>
        reject(new ElexError('PERSIST_UNAVAILABLE', `IndexedDB elex-${this.name}: ${String(t.error ?? req.error)}`));
    });
  }

  async get(key: string, into?: ReadTarget): Promise<Uint8Array | null> {
    const v = await this.tx('readonly', (s) => s.get(key) as IDBRequest<ArrayBuffer | undefined>);
    if (!v) return null;
    return into ? land(new Uint8Array(v), into) : new Uint8Array(v);
  }

  async put(key: string, bytes: BytesSource): Promise<void> {
    const copy = bytesOf(bytes).slice().buffer;
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
    this.closed = true;
    this.db?.close();
    this.db = null;
  }
}

/**
 * Opens the requested backend ('auto': OPFS where sync handles exist, else
 * IndexedDB, else memory). `crc32` checksums OPFS slot headers (see Checksum).
 */
export async function openStore(
  name: string,
  backend: PersistBackend | 'auto',
  crc32: Checksum,
): Promise<KeyValueStore> {
  if (backend === 'memory') return new MemoryStore(name);
  if (backend === 'opfs' || (backend === 'auto' && OpfsStore.available())) {
    if (!OpfsStore.available())
      throw new ElexError('PERSIST_UNAVAILABLE', 'OPFS with synchronous access handles is not available here');
    return OpfsStore.open(name, crc32);
  }
  if (backend === 'idb' || (backend === 'auto' && IdbStore.available())) {
    if (!IdbStore.available()) throw new ElexError('PERSIST_UNAVAILABLE', 'IndexedDB is not available here');
    return IdbStore.open(name);
  }
  return new MemoryStore(name);
}
