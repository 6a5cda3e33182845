/**
 * The engine's index: HNSW shards spread over the workers (as many shards
 * as workers when created; a loaded index keeps its saved shard count, shard
 * s on worker s % workers). An id always lives on shard fmix32(id) % shards,
 * so adds and removes go to one shard and ids stay unique. A search is scattered to every shard that has items and the
 * per-shard top-k lists are merged; a shard that fails or misses the
 * budget is reported in `missingShards` (`partial: true`), never waited for.
 */
import { ContainerKind, readContainer, writeContainer } from './container.ts';
import { ElexError } from './errors.ts';
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
} from './index-types.ts';
import { transfer } from 'comlink';
import type { CallOptions, WorkerPool } from './pool.ts';
import type { RemoteApi } from './protocol.ts';

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

export interface EngineIndexStats extends IndexStats {
  shards: IndexStats[];
}

export interface EngineIndex {
  readonly name: string;
  readonly dim: number;
  /** Adds vectors under the caller's ids. Inputs are copied, never detached. */
  add(
    ids: Uint32Array | readonly number[],
    vectors: Float32Array,
    options?: CallOptions,
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

/** The most shards one index may have (saved files are checked against it). */
export const MAX_SHARDS = 256;

export async function openEngineIndex(
  pool: WorkerPool,
  name: string,
  create: IndexOptions | Uint8Array,
): Promise<EngineIndex> {
  if (typeof name !== 'string' || name.length === 0 || name.length > 200)
    throw new ElexError('INVALID_ARGUMENT', 'an index name must be a non-empty string of at most 200 characters');
  const W = pool.size;
  // Logical shards: as many as workers when created, as many as were saved
  // when loaded. Shard s lives on worker s % W under the name `name#s`, so an
  // index saved by an engine with more (or fewer) workers loads anywhere and
  // keeps routing every id to the shard that holds it.
  let S = W;
  let sizes: number[] = [];
  let dim: number;
  let dropped = false;
  const host = (s: number) => s % W;
  const part = (s: number) => `${name}#${s}`;
  const onShard = <T>(s: number, fn: (r: RemoteApi) => Promise<T>, options?: CallOptions): Promise<T> =>
    pool.call(host(s), fn, options);
  const each = <T>(fn: (s: number) => Promise<T>) => Promise.all(Array.from({ length: S }, (_, s) => fn(s)));

  const loadAll = async (bytes: Uint8Array) => {
    const sections = readContainer(bytes, ContainerKind.ShardedIndex);
    const head = sections.get('SHRD');
    if (!head || head.length !== 8) throw new ElexError('CORRUPT_DATA', 'sharded index data lacks its SHRD header');
    const shards = new DataView(head.buffer, head.byteOffset, 8).getUint32(0, true);
    if (shards < 1 || shards > MAX_SHARDS)
      throw new ElexError('CORRUPT_DATA', `sharded index data claims ${shards} shards (1..${MAX_SHARDS})`);
    const parts = Array.from({ length: shards }, (_, s) => {
      const p = sections.get(`S${String(s).padStart(3, '0')}`);
      if (!p) throw new ElexError('CORRUPT_DATA', `sharded index data lacks shard ${s}`);
      return p;
    });
    // Drop what this index held before, then load every saved shard.
    if (sizes.length) await each((s) => onShard(s, (r) => r.indexDrop(part(s))));
    S = shards;
    const stats = await each((s) => {
      const copy = parts[s]!.slice();
      return onShard<IndexStats>(s, (r) => r.indexLoad(part(s), copy));
    });
    const dims = new Set(stats.map((x) => x.dim));
    if (dims.size !== 1) throw new ElexError('CORRUPT_DATA', 'the shards of this index disagree on its dimension');
    sizes = stats.map((x) => x.size);
    return stats[0]!.dim;
  };

  if (create instanceof Uint8Array) {
    dim = await loadAll(create);
  } else {
    const o = checkIndexOptions(create);
    dim = o.dim;
    await each((s) => onShard(s, (r) => r.indexCreate(part(s), o)));
    sizes = new Array<number>(S).fill(0);
  }

  const alive = () => {
    if (dropped) throw new ElexError('CLOSED', `index "${name}" was dropped`);
  };

  return {
    name,
    get dim() {
      return dim;
    },

    async add(ids, vectors, options) {
      alive();
      const idArr = checkIds(ids);
      const n = checkVectors(vectors, dim, idArr.length, 'vectors');
      const count = new Array<number>(S).fill(0);
      const shardOfItem = new Uint16Array(n);
      for (let i = 0; i < n; i++) count[(shardOfItem[i] = shardOf(idArr[i]!, S))]!++;
      const pIds = count.map((c) => new Uint32Array(c));
      const pVec = count.map((c) => new Float32Array(c * dim));
      const fill = new Array<number>(S).fill(0);
      for (let i = 0; i < n; i++) {
        const s = shardOfItem[i]!,
          at = fill[s]!++;
        pIds[s]![at] = idArr[i]!;
        pVec[s]!.set(vectors.subarray(i * dim, (i + 1) * dim), at * dim);
      }
      const res = await Promise.allSettled(
        count.map((c, s) =>
          c === 0
            ? null
            : onShard<IndexStats>(
                s,
                // Our own per-shard copies: moved, not cloned again.
                (r) =>
                  r.indexAdd(part(s), transfer(pIds[s]!, [pIds[s]!.buffer]), transfer(pVec[s]!, [pVec[s]!.buffer])),
                options,
              ),
        ),
      );
      res.forEach((r, s) => {
        if (r.status === 'fulfilled' && r.value) sizes[s] = r.value.size;
      });
      const failed = res.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
      if (failed) throw failed.reason;
      return { added: n, size: sizes.reduce((a, b) => a + b, 0) };
    },

    async search(queries, k, options = {}) {
      alive();
      const t0 = performance.now();
      checkK(k);
      const nq = checkVectors(queries, dim, null, 'queries');
      const { ef, exact, rerank } = resolveSearch(k, options);
      const total = sizes.reduce((a, b) => a + b, 0);
      if (total === 0) throw new ElexError('EMPTY_INDEX', `index "${name}" is empty: add vectors first`);
      if (k > total)
        throw new ElexError('INVALID_ARGUMENT', `k ${k} is larger than the ${total} items in index "${name}"`);
      const exactOpt = exact === 0 ? 'auto' : exact === 2;
      const call: CallOptions = { signal: options.signal, timeoutMs: options.timeoutMs };
      const shards = sizes.map((n, s) => ({ s, ks: Math.min(k, n) })).filter((x) => x.ks > 0);
      const settled = await Promise.allSettled(
        shards.map(({ s, ks }) =>
          onShard<SearchResult & { ms: number }>(
            s,
            (r) => {
              const q = queries.slice();
              return r.indexSearch(part(s), transfer(q, [q.buffer]), ks, {
                ef: Math.max(ef, ks),
                exact: exactOpt,
                ...(rerank > 0 ? { rerank: Math.max(rerank, ks) } : {}),
              });
            },
            call,
          ),
        ),
      );
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
      const res = await Promise.all(
        parts.map((p, s) =>
          p.length
            ? onShard<{ removed: number; stats: IndexStats }>(s, (r) => r.indexRemove(part(s), Uint32Array.from(p)))
            : null,
        ),
      );
      let removed = 0;
      res.forEach((r, s) => {
        if (r) ((removed += r.removed), (sizes[s] = r.stats.size));
      });
      return removed;
    },

    async stats() {
      alive();
      const all = await each((s) => onShard<IndexStats>(s, (r) => r.indexStats(part(s))));
      all.forEach((x, s) => (sizes[s] = x.size));
      return aggregate(all);
    },

    async save() {
      alive();
      const parts = await each((s) => onShard<Uint8Array>(s, (r) => r.indexSave(part(s))));
      const head = new Uint8Array(8);
      new DataView(head.buffer).setUint32(0, S, true);
      return writeContainer(ContainerKind.ShardedIndex, [
        ['SHRD', head],
        ...parts.map((p, s) => [`S${String(s).padStart(3, '0')}`, p] as [string, Uint8Array]),
      ]);
    },

    async load(bytes) {
      alive();
      dim = await loadAll(bytes);
    },

    async drop() {
      if (dropped) return;
      dropped = true;
      await Promise.allSettled(Array.from({ length: S }, (_, s) => onShard(s, (r) => r.indexDrop(part(s)))));
    },
  };
}
