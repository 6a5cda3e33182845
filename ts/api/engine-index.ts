/**
 * The engine's index: HNSW shards spread over the workers (as many shards
 * as workers when created; a loaded index keeps its saved shard count, shard
 * s on worker s % workers). An id always lives on shard fmix32(id) % shards,
 * so adds and removes go to one shard and ids stay unique. A search is
 * scattered to every shard that has items and the per-shard top-k lists are
 * merged; a shard that fails or misses the budget is reported in
 * `missingShards` (`partial: true`), never waited for.
 *
 * Durable shards: the page keeps each shard's base (bytes) and the adds and
 * removes applied since (ShardLog); when a worker dies, its replacement is
 * given them back before it takes any call (pool.addRestorer), so nothing
 * added is lost and searches return what they did before.
 */
import { ElexError, revive } from '../core/errors.ts';
import { guardMethods, keysOf } from '../core/options.ts';
import { checkDuration, timerNeeded } from '../core/timers.ts';
import { isSharedBuffer, isTyped } from '../core/typed.ts';
import { CONTAINER_KIND, EXACT_MODE } from '../generated/enums.ts';
import {
  NO_HIT,
  checkIds,
  checkIndexOptions,
  checkK,
  checkVectors,
  resolveSearch,
  type IndexOptions,
  type IndexStats,
  type SearchOptions,
  type SearchResult,
} from '../core/index-types.ts';
import { transfer } from 'comlink';
import type { CallOptions, WorkerPool } from '../parallel/pool.ts';
import { TRANSFER_MIN_BYTES, type RemoteApi } from '../parallel/protocol.ts';

export interface EngineSearchOptions extends SearchOptions {
  signal?: AbortSignal;
  /** Budget for the whole search; shards that miss it are reported missing. Default: none. */
  timeoutMs?: number;
}

export interface EngineSearchResult extends SearchResult {
  /** True when some shards did not answer (failed or missed the budget). */
  partial: boolean;
  /** Shards that did not answer; shard s is hosted by worker s % workers. */
  missingShards: number[];
  /** Per-shard ms inside the worker, NaN for missing shards. */
  shardMs: number[];
  elapsedMs: number;
}

/** Progress of a long index call: `done` of `total` vectors (add). */
export interface IndexProgress {
  done: number;
  total: number;
  /** ms since the call began. */
  ms: number;
}

/** Options of index.add. */
export interface EngineAddOptions {
  /**
   * Stops the add between two of its chunks (each about 100 ms of work on
   * a shard): it rejects with ABORTED at once and, add being all or
   * nothing, what it added is removed again before any later change.
   */
  signal?: AbortSignal;
  /** Budget for the whole add: TIMEOUT past it, and it stops as `signal` does. Default: none. */
  timeoutMs?: number;
  /**
   * Hears progress: vectors added so far (summed over the shards) of the
   * vectors given, at most every 100 ms, then once with `done === total`
   * just before the add resolves. Not called after the add failed or was
   * stopped. A listener that throws is logged and does not stop the add.
   */
  onProgress?: (progress: IndexProgress) => void;
}

export interface EngineIndexStats extends IndexStats {
  shards: IndexStats[];
}

export interface EngineIndex {
  readonly name: string;
  readonly dim: number;
  /**
   * Adds vectors under the caller's ids, all or nothing. Inputs are never
   * detached; ids, and vectors up to 16 MiB, are copied when add() is
   * called, and larger vectors are read chunk by chunk while the add runs:
   * leave them unchanged until it settles. A large add runs in chunks,
   * which report `onProgress` and between which `signal` and `timeoutMs`
   * stop it.
   */
  add(
    ids: Uint32Array | readonly number[],
    vectors: Float32Array,
    options?: EngineAddOptions,
  ): Promise<{ added: number; size: number }>;
  search(queries: Float32Array, k: number, options?: EngineSearchOptions): Promise<EngineSearchResult>;
  /** Removes ids; unknown ones are skipped. Resolves to how many were removed. */
  remove(ids: Uint32Array | readonly number[]): Promise<number>;
  stats(): Promise<EngineIndexStats>;
  /** Every shard as one ELEX container; load it with engine.loadIndex or index.load. */
  save(): Promise<Uint8Array>;
  /** Replaces the content with saved bytes, from an engine with any number of workers. */
  load(bytes: Uint8Array): Promise<void>;
  /** Frees the index on every worker. */
  drop(): Promise<void>;
  /** What the page holds to restore this index's shards into a replaced worker (docs/guide.md, "Recovery"). */
  recovery(): IndexRecoveryStats;
}

/** Murmur3's finaliser: spreads consecutive ids over the shards. */
export function shardOf(id: number, shards: number): number {
  let h = id >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % shards;
}

/** Merges per-shard top-k lists (each nearest first) into the global top-k. */
export function mergeTopK(parts: SearchResult[], nq: number, k: number): { ids: Uint32Array; distances: Float32Array } {
  const ids = new Uint32Array(nq * k).fill(NO_HIT);
  const distances = new Float32Array(nq * k).fill(Infinity);
  const heads = new Array<number>(parts.length);
  for (let q = 0; q < nq; q++) {
    heads.fill(0);
    for (let out = 0; out < k; out++) {
      let best = -1,
        bestD = Infinity,
        bestId = NO_HIT;
      for (let p = 0; p < parts.length; p++) {
        const part = parts[p]!;
        if (heads[p]! >= part.k) continue;
        const at = q * part.k + heads[p]!;
        const id = part.ids[at]!,
          d = part.distances[at]!;
        if (id === NO_HIT) continue;
        if (d < bestD || (d === bestD && id < bestId)) ((best = p), (bestD = d), (bestId = id));
      }
      if (best < 0) break;
      ids[q * k + out] = bestId;
      distances[q * k + out] = bestD;
      heads[best]!++;
    }
  }
  return { ids, distances };
}

function aggregate(shards: IndexStats[]): EngineIndexStats {
  const first = shards[0]!;
  const size = shards.reduce((s, x) => s + x.size, 0);
  const bytes = shards.reduce((s, x) => s + x.bytes, 0);
  return {
    ...first,
    size,
    nodes: shards.reduce((s, x) => s + x.nodes, 0),
    bytes,
    bytesPerVector: size > 0 ? bytes / size : 0,
    maxLevel: Math.max(...shards.map((x) => x.maxLevel)),
    shards,
  };
}

/**
 * `a` as a call argument: never detached, and never carrying more of its
 * buffer than it views (postMessage clones a view's whole buffer).
 */
function sendable<T extends Float32Array>(a: T): T {
  if (a.byteLength >= TRANSFER_MIN_BYTES) {
    const copy = a.slice() as T;
    return transfer(copy, [copy.buffer]);
  }
  const whole = a.byteOffset === 0 && a.byteLength === a.buffer.byteLength;
  const shared = typeof SharedArrayBuffer !== 'undefined' && isSharedBuffer(a.buffer);
  return whole && !shared ? a : (a.slice() as T);
}

/** The most shards one index may have (saved files are checked against it). */
export const MAX_SHARDS = 256;

/**
 * A shard's adds built on the worker's threads (simd-mt) from this many
 * vectors up; smaller ones on one thread. A threaded build's graph depends
 * on thread timing, so such an add sends the shard's bytes back in the same
 * call and they become the shard's base (see ShardLog).
 */
export const PARALLEL_ADD_MIN = 1024;
/**
 * A shard's log is folded into a fresh base (the shard's bytes, saved by its
 * worker) once it holds max(COMPACT_MIN_ADDS, size / 32) added vectors, or
 * COMPACT_MAX_BYTES: a replay then re-inserts at most that many vectors,
 * and a shard is saved once per size / 32 vectors added.
 */
export const COMPACT_MIN_ADDS = 1024;
export const COMPACT_MAX_BYTES = 16 << 20;
/**
 * A shard's add is sent in chunks of about ADD_CHUNK_MS of work each (sized
 * from the last chunk's time, from ADD_CHUNK_FIRST vectors, within
 * ADD_CHUNK_MIN..ADD_CHUNK_MAX), so progress is heard and an abort stops it
 * between chunks. The wasm add takes a batch: a single-threaded add in
 * chunks builds the same graph as in one call.
 */
export const ADD_CHUNK_MS = 100;
/**
 * An add copies vectors of up to this many bytes when it is called; it reads
 * a larger array chunk by chunk while it runs (docs/guide.md, "Vector index").
 */
export const ADD_COPY_AT_ONCE_BYTES = 16 << 20;
export const ADD_CHUNK_FIRST = 2048;
export const ADD_CHUNK_MIN = 256;
export const ADD_CHUNK_MAX = 1 << 16;
/** Least ms between two progress events of one call (the final one excepted). */
export const PROGRESS_EVERY_MS = 100;
/** Tries of one shard's add or remove whose worker died (each on its replacement). */
const CRASH_TRIES = 4;

type Mutation = { op: 'add'; ids: Uint32Array; vectors: Float32Array } | { op: 'remove'; ids: Uint32Array };

/**
 * The page's copy of one shard: a base (the shard's bytes from a load, a
 * threaded add or a compaction; null: created empty from the options) and
 * the adds and removes applied since, in order. A replacement worker loads
 * the base and replays the log on one thread, which gives the same graph,
 * so searches return what they did before the crash.
 */
/** One shard's part of an add (addPart, addChunks). */
/**
 * A shard's vectors of an add: rows `rows` (in order) of `from`, the add's
 * copy of the caller's vectors (`owned`) or the caller's array itself;
 * `whole` when they are all of its rows, in order.
 */
interface PartVectors {
  from: Float32Array;
  owned: boolean;
  rows: Uint32Array;
  whole: boolean;
}

/** Vectors at..end of a shard's part, in an array of their own. */
function gather(v: PartVectors, at: number, end: number, dim: number): Float32Array {
  if (v.whole) return v.owned && at === 0 && end * dim === v.from.length ? v.from : v.from.slice(at * dim, end * dim);
  const out = new Float32Array((end - at) * dim);
  for (let i = at; i < end; i++) {
    const r = v.rows[i]!;
    out.set(v.from.subarray(r * dim, (r + 1) * dim), (i - at) * dim);
  }
  return out;
}

interface PartAdd {
  s: number;
  ids: Uint32Array;
  vectors: PartVectors;
  /** Vectors added so far, by shard (a prefix of each part's ids). */
  landed: number[];
  /** Asked before each chunk: the caller stopped waiting. */
  stopped: () => boolean;
  /** Told each chunk's size once the worker applied it. */
  onChunk: (n: number) => void;
}

interface ShardLog {
  base: Uint8Array | null;
  log: Mutation[];
  /** Bytes held by `log`. */
  logBytes: number;
  /** Vectors added in `log`. */
  logAdds: number;
  /** This shard's adds and removes, one at a time (the log's order is the worker's). */
  chain: Promise<unknown>;
  /** Why the shard could not be restored into a replacement (it answers nothing until a load). */
  lost: ElexError | null;
}

/** Page memory held for an index's recovery (see docs/guide.md, "Recovery"). */
export interface IndexRecoveryStats {
  /** Bytes of the shards' bases. */
  baseBytes: number;
  /** Bytes of the logs (4 × dim + 4 a vector added, 4 an id removed). */
  logBytes: number;
  /** Adds and removes in the logs. */
  logEntries: number;
  /** Shards that could not be restored (each answers nothing until a load). */
  lostShards: number[];
}

const isCrash = (e: unknown) => e instanceof ElexError && e.code === 'WORKER_CRASHED';

/**
 * The index names in use on each pool, from createIndex()/loadIndex() until
 * drop(). A worker keys a shard by `name#s`, so a second index of a name in
 * use would collide with the first one's shards (create said so with the
 * shard's name, and a load replaced the live index's shards under its
 * handle). A name is checked here, not by the workers: a worker that died and
 * its replacement would disagree (the replacement is given the index's shards
 * back while its creation runs).
 */
const namesInUse = new WeakMap<WorkerPool, Set<string>>();

export async function openEngineIndex(
  pool: WorkerPool,
  name: string,
  create: IndexOptions | Uint8Array,
): Promise<EngineIndex> {
  if (typeof name !== 'string' || name.length === 0 || name.length > 200)
    throw new ElexError('INVALID_ARGUMENT', 'an index name must be a non-empty string of at most 200 characters');
  let names = namesInUse.get(pool);
  if (!names) namesInUse.set(pool, (names = new Set()));
  if (names.has(name))
    throw new ElexError(
      'INVALID_ARGUMENT',
      `an index named "${name}" already exists; drop it first${isTyped(create, 'Uint8Array') ? ', or load into it with index.load(bytes)' : ''}`,
    );
  names.add(name);
  const inUse = names;
  const W = pool.size;
  // Logical shards: as many as workers when created, as many as were saved
  // when loaded. Shard s lives on worker s % W under the name `name#s`, so an
  // index saved by an engine with more (or fewer) workers loads anywhere and
  // keeps routing every id to the shard that holds it.
  let S = W;
  let sizes: number[] = [];
  let dim: number;
  let dropped = false;
  let options: Required<IndexOptions> | null = null;
  let logs: ShardLog[] = [];
  const host = (s: number) => s % W;
  const part = (s: number) => `${name}#${s}`;
  const onShard = <T>(s: number, fn: (r: RemoteApi) => Promise<T>, options?: CallOptions): Promise<T> =>
    pool.call(host(s), fn, options);
  const each = <T>(fn: (s: number) => Promise<T>) => Promise.all(Array.from({ length: S }, (_, s) => fn(s)));
  const newLog = (base: Uint8Array | null): ShardLog => ({
    base,
    log: [],
    logBytes: 0,
    logAdds: 0,
    chain: Promise.resolve(),
    lost: null,
  });

  /** Runs fn after the shard's earlier adds and removes. */
  const serial = <T>(s: number, fn: () => Promise<T>): Promise<T> => {
    const shard = logs[s]!;
    const run = shard.chain.then(fn, fn);
    shard.chain = run.catch(() => {});
    return run;
  };
  /** Every shard's queue at once (a load replaces them all). */
  const exclusive = async <T>(fn: () => Promise<T>): Promise<T> => {
    const before = logs.map((l) => l.chain);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    for (const l of logs) l.chain = gate;
    try {
      await Promise.all(before);
      return await fn();
    } finally {
      release();
    }
  };
  /** A shard call retried on the replacement when its worker died (the replacement was restored first). */
  const retried = async <T>(s: number, fn: (r: RemoteApi) => Promise<T>, options?: CallOptions): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await onShard(s, fn, options);
      } catch (e) {
        if (!isCrash(e) || attempt >= CRASH_TRIES) throw e;
      }
    }
  };
  /** The shard's saved bytes become its base; its log starts empty. */
  const rebase = (shard: ShardLog, bytes: Uint8Array) => {
    shard.base = bytes;
    shard.log = [];
    shard.logBytes = 0;
    shard.logAdds = 0;
  };
  const append = (s: number, m: Mutation) => {
    const shard = logs[s]!;
    shard.log.push(m);
    shard.logBytes += m.ids.byteLength + (m.op === 'add' ? m.vectors.byteLength : 0);
    if (m.op === 'add') shard.logAdds += m.ids.length;
    const due = () =>
      shard.logAdds >= Math.max(COMPACT_MIN_ADDS, sizes[s]! / 32) || shard.logBytes >= COMPACT_MAX_BYTES;
    if (due())
      void serial(s, async () => {
        if (shard !== logs[s] || !due()) return;
        const bytes = await onShard<Uint8Array>(s, (r) => r.indexSave(part(s)));
        if (shard === logs[s]) rebase(shard, bytes);
      }).catch(() => {}); // the log stays as it was: still a full copy
  };

  /** Puts this index's shards of worker `w` back into its replacement. */
  const restore = async (w: number, remote: RemoteApi) => {
    if (dropped) return;
    for (let s = 0; s < S; s++) {
      const shard = logs[s];
      // No log yet: a load still reading its bytes (it sends them to the replacement itself).
      if (host(s) !== w || !shard) continue;
      try {
        const copy = shard.base?.slice(); // moved to the worker: the page keeps its own
        const stats = copy
          ? await remote.indexLoad(part(s), transfer(copy, [copy.buffer]))
          : await remote.indexCreate(part(s), options!);
        let size = stats.size;
        // Room for the logged adds first, as the index had it.
        const adds = shard.log.reduce((n, m) => n + (m.op === 'add' ? m.ids.length : 0), 0);
        if (adds > 0) await remote.indexReserve(part(s), stats.nodes + adds);
        // Entries appended while this runs are replayed too (by position).
        for (let i = 0; i < shard.log.length; i++) {
          const m = shard.log[i]!;
          if (m.op === 'add') size = (await remote.indexAdd(part(s), m.ids, m.vectors, { parallel: false })).stats.size;
          else size = (await remote.indexRemove(part(s), m.ids)).stats.size;
        }
        if (size !== sizes[s])
          throw new ElexError('INTERNAL', `shard ${s} of index "${name}" restored with ${size} items, not ${sizes[s]}`);
        shard.lost = null;
      } catch (e) {
        const err = revive(e);
        if (isCrash(err)) throw err; // the replacement died: the next one restores again
        shard.lost = new ElexError(
          err.code,
          `shard ${s} of index "${name}" could not be restored after its worker died (${err.message}); load the index again`,
        );
      }
    }
  };
  const unregister = pool.addRestorer(restore);

  const loadAll = async (bytes: Uint8Array) => {
    if (!isTyped(bytes, 'Uint8Array')) throw new ElexError('INVALID_ARGUMENT', 'index bytes must be a Uint8Array');
    // The engine verifies the container (the page has no wasm): a copy goes
    // to worker 0, which says where the sections are in these bytes (asked
    // again of its replacement if it dies, as every step of a load is).
    const where = await retried(0, (r) => {
      const copy = bytes.slice();
      return r.containerRead(transfer(copy, [copy.buffer]), CONTAINER_KIND.ShardedIndex);
    });
    const sections = new Map(where.map(([tag, at, size]) => [tag, bytes.subarray(at, at + size)]));
    const head = sections.get('SHRD');
    if (!head || head.length !== 8) throw new ElexError('CORRUPT_DATA', 'sharded index data lacks its SHRD header');
    const shards = new DataView(head.buffer, head.byteOffset, 8).getUint32(0, true);
    if (shards < 1 || shards > MAX_SHARDS)
      throw new ElexError('CORRUPT_DATA', `sharded index data claims ${shards} shards (1..${MAX_SHARDS})`);
    const parts = Array.from({ length: shards }, (_, s) => {
      const p = sections.get(`S${String(s).padStart(3, '0')}`);
      if (!p) throw new ElexError('CORRUPT_DATA', `sharded index data lacks shard ${s}`);
      return p.slice(); // the base kept for recovery: the caller's bytes are not held
    });
    return exclusive(async () => {
      // Drop what this index held before, then load every saved shard.
      if (sizes.length) await each((s) => retried(s, (r) => r.indexDrop(part(s))));
      S = shards;
      logs = parts.map((p) => newLog(p));
      sizes = new Array<number>(S).fill(0);
      const stats = await each((s) =>
        retried<IndexStats>(s, (r) => {
          const copy = parts[s]!.slice();
          return r.indexLoad(part(s), transfer(copy, [copy.buffer]));
        }),
      );
      const dims = new Set(stats.map((x) => x.dim));
      if (dims.size !== 1) throw new ElexError('CORRUPT_DATA', 'the shards of this index disagree on its dimension');
      sizes = stats.map((x) => x.size);
      // Every shard holds what was loaded, whatever a restore during the load said.
      for (const l of logs) l.lost = null;
      return stats[0]!.dim;
    });
  };

  try {
    if (isTyped(create, 'Uint8Array')) {
      dim = await loadAll(create);
    } else {
      const o = checkIndexOptions(create);
      options = o;
      dim = o.dim;
      logs = Array.from({ length: S }, () => newLog(null));
      sizes = new Array<number>(S).fill(0);
      // A shard holds about 1/S of the ids (shardOf spreads them): its share of the room, 5 % over.
      const share = o.capacity > 0 ? { ...o, capacity: Math.ceil((o.capacity / S) * 1.05) } : o;
      options = share;
      // Sent again to a replacement (which its restore may have given the shard already: it is made afresh).
      await each((s) => retried(s, (r) => r.indexCreate(part(s), share)));
    }
  } catch (e) {
    // Nothing of it stays in the workers, and its name is free again.
    dropped = true;
    unregister();
    await Promise.allSettled(Array.from({ length: S }, (_, s) => onShard(s, (r) => r.indexDrop(part(s)))));
    inUse.delete(name);
    throw e;
  }

  const alive = () => {
    if (dropped) throw new ElexError('CLOSED', `index "${name}" was dropped`);
    // Before the checks that need no worker (an empty index, no ids), so they never hide it.
    if (pool.isClosed) throw new ElexError('CLOSED', 'the engine was closed');
  };

  /**
   * One shard's add, in chunks (ADD_CHUNK_MS), each logged once the worker
   * applied it; `landed[s]` counts the vectors added so far (a prefix of
   * `ids`), `stopped()` is asked before each chunk. Once the chunks are done
   * (or stopped), `sent` hears how (undefined, or the error), and the shard's
   * queue is held until `undo` says whether what landed is removed again, so
   * that no later change of the shard comes between the add and its undoing.
   */
  const addPart = (a: PartAdd, sent: (error: unknown) => void, undo: Promise<boolean>) => {
    const { s, ids, landed } = a;
    return serial(s, async () => {
      sent(await addChunks(a).catch((e: unknown) => e ?? new Error()));
      if (!(await undo) || landed[s] === 0) return;
      const shard = logs[s]!;
      const gone = ids.slice(0, landed[s]);
      try {
        const r = await retried(s, (w) => w.indexRemove(part(s), gone));
        sizes[s] = r.stats.size;
        if (r.removed > 0 && shard === logs[s]) append(s, { op: 'remove', ids: gone });
      } catch {
        // As a failed remove: the worker's shard is as the log says.
      }
    });
  };
  const addChunks = async ({ s, ids, vectors, landed, stopped, onChunk }: PartAdd): Promise<undefined> => {
    const shard = logs[s]!;
    const n = ids.length;
    // Threaded from PARALLEL_ADD_MIN vectors of the whole part, every chunk of it.
    const parallel = n >= PARALLEL_ADD_MIN && (pool.infoOf(host(s))?.threads ?? 1) > 1;
    if (n > ADD_CHUNK_FIRST) {
      // Room for the whole part at once, as one call would make (chunks would grow it by half again each time).
      const st = await retried(s, (w) => w.indexStats(part(s)));
      await retried(s, (w) => w.indexReserve(part(s), st.nodes + n));
    }
    let chunk = ADD_CHUNK_FIRST;
    try {
      while (landed[s]! < n) {
        if (stopped()) throw new ElexError('ABORTED', 'the add was stopped');
        const at = landed[s]!;
        const end = Math.min(n, at + chunk);
        const last = end === n;
        // Copies of their own (a view would carry its whole buffer), kept by the log.
        const cIds = at === 0 && last ? ids : ids.slice(at, end);
        const cVec = gather(vectors, at, end, dim);
        const t0 = performance.now();
        const snapshot = parallel && last;
        const r = await retried(s, (w) => w.indexAdd(part(s), cIds, cVec, { parallel, snapshot }));
        const ms = performance.now() - t0;
        sizes[s] = r.stats.size;
        landed[s] = end;
        if (shard === logs[s]) {
          // (else loaded over meanwhile)
          if (r.snapshot) rebase(shard, r.snapshot);
          else append(s, { op: 'add', ids: cIds, vectors: cVec });
        }
        onChunk(end - at);
        chunk = Math.min(ADD_CHUNK_MAX, Math.max(ADD_CHUNK_MIN, Math.round((chunk * ADD_CHUNK_MS) / Math.max(ms, 1))));
      }
    } catch (e) {
      // Threaded chunks landed without their snapshot: the shard's bytes
      // become its base, so a replacement gets this graph, not a replay's.
      if (parallel && landed[s]! > 0 && shard === logs[s])
        try {
          const bytes = await onShard<Uint8Array>(s, (r) => r.indexSave(part(s)));
          if (shard === logs[s]) rebase(shard, bytes);
        } catch {
          // The log still holds every chunk (replayed on one thread).
        }
      throw e;
    }
    return undefined;
  };
  const removePart = (s: number, ids: Uint32Array) =>
    serial(s, async () => {
      const shard = logs[s]!;
      const r = await retried(s, (w) => w.indexRemove(part(s), ids));
      sizes[s] = r.stats.size;
      if (r.removed > 0 && shard === logs[s]) append(s, { op: 'remove', ids });
      return r.removed;
    });

  return guardMethods<EngineIndex>(
    {
      name,
      get dim() {
        return dim;
      },

      async add(ids, vectors, options) {
        alive();
        const idArr = checkIds(ids);
        const n = checkVectors(vectors, dim, idArr.length, 'vectors');
        checkDuration('timeoutMs', options?.timeoutMs);
        if (options?.onProgress !== undefined && typeof options.onProgress !== 'function')
          throw new ElexError('INVALID_ARGUMENT', 'onProgress must be a function');
        if (options?.signal?.aborted) throw new ElexError('ABORTED', 'the add was aborted before it started');
        // Each chunk gathers its shard's rows when it is sent. Vectors up to
        // ADD_COPY_AT_ONCE_BYTES are copied now (the caller may change its
        // array once add() returns); a larger array is read chunk by chunk
        // while the add runs: copying (and sorting into shards) 800 MB at
        // once blocked the page for 1.7 to 2.7 s.
        const owned = vectors.byteLength <= ADD_COPY_AT_ONCE_BYTES;
        const from = owned ? vectors.slice() : vectors;
        const count = new Array<number>(S).fill(0);
        const shardOfItem = new Uint16Array(n);
        for (let i = 0; i < n; i++) count[(shardOfItem[i] = shardOf(idArr[i]!, S))]!++;
        const pIds = count.map((c) => new Uint32Array(c));
        const pRows = count.map((c) => new Uint32Array(c));
        const fill = new Array<number>(S).fill(0);
        for (let i = 0; i < n; i++) {
          const s = shardOfItem[i]!,
            at = fill[s]!++;
          pIds[s]![at] = idArr[i]!;
          pRows[s]![at] = i;
        }
        const active = count.flatMap((c, s) => (c > 0 ? [s] : []));
        const { signal, timeoutMs, onProgress } = options ?? {};
        // Progress: vectors landed on every shard, at most every PROGRESS_EVERY_MS, and a final event.
        const t0 = performance.now();
        let done = 0,
          lastEvent = -Infinity;
        const tell = () => {
          lastEvent = performance.now();
          try {
            onProgress?.({ done, total: n, ms: lastEvent - t0 });
          } catch (e) {
            console.error('elex: onProgress threw', e); // a listener's bug must not break the add
          }
        };
        const onChunk = (c: number) => {
          done += c;
          if (onProgress && !gaveUp && done < n && performance.now() - lastEvent >= PROGRESS_EVERY_MS) tell();
        };
        const landed = new Array<number>(S).fill(0);
        let gaveUp = false;
        const stopped = () => gaveUp || signal?.aborted === true;
        // All or nothing: when a part failed, or the caller stopped waiting,
        // what landed (all of a part, or the chunks sent before it stopped)
        // is removed again by each part before its shard takes a later change.
        let decide!: (undo: boolean) => void;
        const undo = new Promise<boolean>((r) => (decide = r));
        const sent = active.map(() => {
          let hear!: (e: unknown) => void;
          const p = new Promise<unknown>((r) => (hear = r));
          return { p, hear };
        });
        const parts = active.map((s, i) =>
          addPart(
            { s, ids: pIds[s]!, vectors: { from, owned, rows: pRows[s]!, whole: S === 1 }, landed, stopped, onChunk },
            sent[i]!.hear,
            undo,
          ),
        );
        let kept = false;
        const outcome = Promise.all(sent.map((x) => x.p)).then(async (errors) => {
          const failed = errors.find((e) => e !== undefined);
          if (failed === undefined && !gaveUp) {
            kept = true;
            decide(false);
            return { added: n, size: sizes.reduce((a, b) => a + b, 0) };
          }
          decide(true);
          await Promise.allSettled(parts);
          throw failed ?? new ElexError('ABORTED', 'the add was stopped');
        });
        const guards: Promise<never>[] = [];
        const cleanups: (() => void)[] = [];
        if (signal)
          guards.push(
            new Promise<never>((_, reject) => {
              const onAbort = () => reject(new ElexError('ABORTED', 'the add was aborted; nothing of it was kept'));
              signal.addEventListener('abort', onAbort, { once: true });
              cleanups.push(() => signal.removeEventListener('abort', onAbort));
            }),
          );
        if (timerNeeded(timeoutMs))
          guards.push(
            new Promise<never>((_, reject) => {
              const t = setTimeout(
                () =>
                  reject(
                    new ElexError('TIMEOUT', `the add did not finish within ${timeoutMs} ms; nothing of it was kept`),
                  ),
                timeoutMs,
              );
              cleanups.push(() => clearTimeout(t));
            }),
          );
        try {
          const result = await Promise.race([outcome, ...guards]);
          if (onProgress) tell();
          return result;
        } catch (e) {
          // Stopped after every part was kept: the add is done (too late to stop).
          if (kept) {
            const result = await outcome;
            if (onProgress) tell();
            return result;
          }
          gaveUp = true;
          outcome.catch(() => {});
          throw e;
        } finally {
          for (const c of cleanups) c();
        }
      },

      async search(queries, k, options = {}) {
        alive();
        const t0 = performance.now();
        checkK(k);
        const nq = checkVectors(queries, dim, null, 'queries');
        const { ef, exact, rerank } = resolveSearch(k, options);
        checkDuration('timeoutMs', options.timeoutMs);
        const total = sizes.reduce((a, b) => a + b, 0);
        if (total === 0) throw new ElexError('EMPTY_INDEX', `index "${name}" is empty: add vectors first`);
        if (k > total)
          throw new ElexError('INVALID_ARGUMENT', `k ${k} is larger than the ${total} items in index "${name}"`);
        const exactOpt = exact === EXACT_MODE.auto ? 'auto' : exact === EXACT_MODE.always;
        // A shard whose worker died is asked again on its replacement (restored
        // first) while the budget lasts; past it, the shard is reported missing.
        const call: CallOptions = {
          signal: options.signal,
          deadline:
            options.timeoutMs === undefined || options.timeoutMs === Infinity ? undefined : t0 + options.timeoutMs,
        };
        const shards = sizes.map((n, s) => ({ s, ks: Math.min(k, n) })).filter((x) => x.ks > 0);
        const searchShard = (s: number, ks: number) => {
          const lost = logs[s]?.lost;
          if (lost) return Promise.reject(lost);
          return retried<SearchResult & { ms: number }>(
            s,
            (r) =>
              r.indexSearch(part(s), sendable(queries), ks, {
                ef: Math.max(ef, ks),
                exact: exactOpt,
                ...(rerank > 0 ? { rerank: Math.max(rerank, ks) } : {}),
              }),
            call,
          );
        };
        if (shards.length === 1 && shards[0]!.ks === k) {
          // One shard holds every item (one worker, or ids that all hash to
          // one shard): its answer is the result as it comes, without the
          // settle-all and the merge (which would return it unchanged).
          const s = shards[0]!.s;
          let only: SearchResult & { ms: number };
          try {
            only = await searchShard(s, k);
          } catch (e) {
            throw options.signal?.aborted ? new ElexError('ABORTED', 'the search was aborted') : e;
          }
          if (options.signal?.aborted) throw new ElexError('ABORTED', 'the search was aborted');
          const shardMs = new Array<number>(S).fill(NaN);
          shardMs[s] = only.ms;
          return {
            ids: only.ids,
            distances: only.distances,
            nq,
            k,
            partial: false,
            missingShards: [],
            shardMs,
            elapsedMs: performance.now() - t0,
          };
        }
        const settled = await Promise.allSettled(shards.map(({ s, ks }) => searchShard(s, ks)));
        if (options.signal?.aborted) throw new ElexError('ABORTED', 'the search was aborted');
        const parts: SearchResult[] = [];
        const missingShards: number[] = [];
        const shardMs = new Array<number>(S).fill(NaN);
        let firstError: unknown;
        settled.forEach((r, i) => {
          const s = shards[i]!.s;
          if (r.status === 'fulfilled') {
            parts.push(r.value);
            shardMs[s] = r.value.ms;
          } else {
            missingShards.push(s);
            firstError ??= r.reason;
          }
        });
        if (parts.length === 0) throw firstError;
        const merged = parts.length === 1 && parts[0]!.k === k ? parts[0]! : mergeTopK(parts, nq, k);
        return {
          ids: merged.ids,
          distances: merged.distances,
          nq,
          k,
          partial: missingShards.length > 0,
          missingShards,
          shardMs,
          elapsedMs: performance.now() - t0,
        };
      },

      async remove(ids) {
        alive();
        const idArr = checkIds(ids);
        const parts = Array.from({ length: S }, () => [] as number[]);
        for (const id of idArr) parts[shardOf(id, S)]!.push(id);
        const res = await Promise.all(parts.map((p, s) => (p.length ? removePart(s, Uint32Array.from(p)) : 0)));
        return res.reduce((a, b) => a + b, 0);
      },

      async stats() {
        alive();
        const all = await each((s) => onShard<IndexStats>(s, (r) => r.indexStats(part(s))));
        all.forEach((x, s) => (sizes[s] = x.size));
        return aggregate(all);
      },

      recovery() {
        return {
          baseBytes: logs.reduce((n, l) => n + (l.base?.byteLength ?? 0), 0),
          logBytes: logs.reduce((n, l) => n + l.logBytes, 0),
          logEntries: logs.reduce((n, l) => n + l.log.length, 0),
          lostShards: logs.flatMap((l, s) => (l.lost ? [s] : [])),
        };
      },

      async save() {
        alive();
        // After the adds and removes already asked for (a consistent picture).
        const parts = await each((s) => serial(s, () => onShard<Uint8Array>(s, (r) => r.indexSave(part(s)))));
        const head = new Uint8Array(8);
        new DataView(head.buffer).setUint32(0, S, true);
        // Written by the engine on worker 0 (the page has no wasm); the parts move there and back.
        const sections: [string, Uint8Array][] = [
          ['SHRD', head],
          ...parts.map((p, s) => [`S${String(s).padStart(3, '0')}`, p] as [string, Uint8Array]),
        ];
        const buffers = [...new Set(sections.map(([, p]) => p.buffer as ArrayBuffer))];
        return onShard(0, (r) => r.containerWrite(CONTAINER_KIND.ShardedIndex, transfer(sections, buffers)));
      },

      async load(bytes) {
        alive();
        dim = await loadAll(bytes);
      },

      async drop() {
        if (dropped) return;
        dropped = true;
        unregister();
        // Free at once: a later create or load of the name reaches each worker after this drop.
        inUse.delete(name);
        await Promise.allSettled(Array.from({ length: S }, (_, s) => onShard(s, (r) => r.indexDrop(part(s)))));
      },
    },
    `index "${name}"`,
    {
      add: [2, keysOf<EngineAddOptions>()(['signal', 'timeoutMs', 'onProgress'])],
      search: [2, keysOf<EngineSearchOptions>()(['ef', 'rerank', 'exact', 'signal', 'timeoutMs'])],
    },
  );
}
