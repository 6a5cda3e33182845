/**
 * Types and argument checks shared by the same-thread index (bindings.ts)
 * and the sharded engine index (engine-index.ts).
 */
import { ElexError } from './errors.ts';
import { isTyped } from './typed.ts';
import { EXACT_MODE, METRIC, METRIC_NAMES as METRIC_KEYS, QUANTIZATION_NAMES } from '../generated/enums.ts';

/** 'l2', 'ip' or 'cosine' (kernels.h Metric). */
export type Metric = 'l2' | 'ip' | 'cosine';

/** 'none', 'int8', 'int8+f32' or 'int8+res4' (hnsw.h Quantization). */
export type Quantization = 'none' | 'int8' | 'int8+f32' | 'int8+res4';

/**
 * True when A and B are the same union. The public unions above are spelled
 * out (so that users and the API reference read them, not an internal
 * table); the checks below fail to compile when the engine's names
 * (generated from its headers) change and a union was not updated.
 * @internal
 */
export type SameUnion<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** @internal */
export type MustBeTrue<T extends true> = T;
type _MetricIsTheEngines = MustBeTrue<SameUnion<Metric, keyof typeof METRIC>>;
type _QuantizationIsTheEngines = MustBeTrue<SameUnion<Quantization, (typeof QUANTIZATION_NAMES)[number]>>;
/** Quantization names in the order of the engine's codes (0, 1, 2, 3). */
export const QUANTIZATIONS: readonly Quantization[] = QUANTIZATION_NAMES;
/**
 * Vector bytes per dimension of each quantization, before an index has
 * figures of its own (a budget's first estimate; links and ids come on top).
 */
export const BYTES_PER_DIM: Readonly<Record<Quantization, number>> = {
  none: 4,
  int8: 1,
  'int8+f32': 5,
  'int8+res4': 1.5,
};
export type ExactMode = boolean | 'auto';

export interface IndexOptions {
  /** Vector dimension (1..65536). */
  dim: number;
  /** Default 'cosine'. 'ip' is meant for unit vectors. */
  metric?: Metric;
  /** Links per node (2M on the bottom layer). Default 16. */
  M?: number;
  /** Build-time search width. Default 100 (measured: docs/guide.md, "Vector index"). */
  efConstruction?: number;
  /**
   * 'int8' searches 1-byte codes per dimension and keeps only those (the
   * final ranking is the f32 query against the codes); 'int8+f32' searches
   * the same codes but also keeps the f32 vectors to re-rank the best
   * candidates exactly (4 more bytes per dimension); 'int8+res4' keeps a
   * 4-bit residual per dimension instead (half a byte more), which re-ranks
   * nearly as well as the f32 vectors: recall@10 0.98 at 1M × 128 inside a
   * 500 MiB tab, where 'int8' stops near 0.965 and 'int8+f32' does not fit
   * (docs/performance.md). All cosine only. Default 'none'.
   */
  quantization?: Quantization;
  /** Level generator seed: same data, same seed, same graph. Default 100. */
  seed?: number;
  /**
   * Room for this many vectors, allocated when the index is made and counted
   * against the memory budget at once (the engine's index splits it over its
   * shards, 5 % over each one's share). Adds up to it never move the index's
   * arenas; without it a growing index moves them (by half again each time),
   * and a move holds the old and the new block at once, which at a million
   * vectors is most of what a tab has. Default 0: grow as needed.
   */
  capacity?: number;
}

export interface SearchOptions {
  /** Search width; raised to k when lower. Default max(k, 64). */
  ef?: number;
  /**
   * int8 indexes: how many of the best candidates by code get the final
   * re-rank (raised to k; the graph yields at most max(ef, k)). Default
   * max(2k, 16), which measured recall@10 1.000 with 'int8+f32' (docs/guide.md,
   * "Vector index").
   */
  rerank?: number;
  /**
   * true: flat exact scan; false: graph only; 'auto' (default): exact when
   * the index holds at most 1,024 items or ef × 2M reaches its size.
   */
  exact?: ExactMode;
}

/** k hits per query, nearest first; query i's hits are at [i*k, (i+1)*k). */
export interface SearchResult {
  /** The caller's ids; NO_HIT (0xFFFFFFFF) where fewer than k were found. */
  ids: Uint32Array;
  distances: Float32Array;
  nq: number;
  k: number;
}

export const NO_HIT = 0xffffffff;

export interface IndexStats {
  /** Live (searchable) items. */
  size: number;
  /** Slots used, removed items included. */
  nodes: number;
  /** Every byte the index holds in wasm memory. */
  bytes: number;
  /** bytes / size (0 when empty). */
  bytesPerVector: number;
  maxLevel: number;
  dim: number;
  M: number;
  efConstruction: number;
  metric: Metric;
  quantization: Quantization;
}

export const METRIC_IDS: Record<Metric, number> = METRIC;
export const METRIC_NAMES: readonly Metric[] = METRIC_KEYS;

function intIn(name: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi)
    throw new ElexError('INVALID_ARGUMENT', `${name} must be an integer from ${lo} to ${hi}, got ${String(v)}`);
  return v;
}

export function checkIndexOptions(o: IndexOptions): Required<IndexOptions> {
  if (typeof o !== 'object' || o === null) throw new ElexError('INVALID_ARGUMENT', 'index options must be an object');
  const metric = o.metric ?? 'cosine';
  if (!(metric in METRIC_IDS))
    throw new ElexError('INVALID_ARGUMENT', `unknown metric "${String(metric)}"; use "l2", "ip" or "cosine"`);
  const quantization = o.quantization ?? 'none';
  if (!QUANTIZATIONS.includes(quantization))
    throw new ElexError(
      'INVALID_ARGUMENT',
      `quantization must be ${QUANTIZATIONS.map((q) => `"${q}"`).join(', ')}, got "${String(quantization)}"`,
    );
  if (quantization !== 'none' && metric !== 'cosine')
    throw new ElexError('INVALID_ARGUMENT', 'int8 quantization supports the cosine metric only');
  return {
    dim: intIn('dim', o.dim, 1, 65536),
    metric,
    M: intIn('M', o.M ?? 16, 2, 64),
    efConstruction: intIn('efConstruction', o.efConstruction ?? 100, 1, 100000),
    quantization,
    seed: intIn('seed', o.seed ?? 100, 0, 0xffffffff),
    capacity: intIn('capacity', o.capacity ?? 0, 0, 0x7ffffffe),
  };
}

/** Ids as a Uint32Array (copied when given as numbers); each in 0..2^32-2. */
export function checkIds(ids: Uint32Array | readonly number[]): Uint32Array {
  if (isTyped(ids, 'Uint32Array')) {
    for (let i = 0; i < ids.length; i++)
      if (ids[i] === NO_HIT) throw new ElexError('INVALID_ARGUMENT', `id ${NO_HIT} (at ${i}) is reserved for "no hit"`);
    return ids;
  }
  if (!Array.isArray(ids)) throw new ElexError('INVALID_ARGUMENT', 'ids must be a Uint32Array or an array of integers');
  const out = new Uint32Array(ids.length);
  ids.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 0 || v >= NO_HIT)
      throw new ElexError('INVALID_ARGUMENT', `ids[${i}] = ${String(v)} is not an integer from 0 to ${NO_HIT - 1}`);
    out[i] = v;
  });
  return out;
}

export function checkVectors(vectors: Float32Array, dim: number, count: number | null, what: string): number {
  if (!isTyped(vectors, 'Float32Array')) throw new ElexError('INVALID_ARGUMENT', `${what} must be a Float32Array`);
  if (vectors.length % dim !== 0)
    throw new ElexError(
      'DIMENSION_MISMATCH',
      `${what} hold ${vectors.length} floats, not a whole number of ${dim}-vectors`,
    );
  const n = vectors.length / dim;
  if (count !== null && n !== count)
    throw new ElexError('DIMENSION_MISMATCH', `${count} ids but ${n} vectors of dimension ${dim}`);
  return n;
}

export function checkK(k: number): number {
  return intIn('k', k, 1, 4096);
}

/** ef, exact mode (0 auto, 1 never, 2 always) and rerank (0 = the engine's default). */
export function resolveSearch(k: number, o: SearchOptions = {}): { ef: number; exact: number; rerank: number } {
  const ef = o.ef === undefined ? Math.max(k, 64) : intIn('ef', o.ef, 1, 100000);
  const rerank = o.rerank === undefined ? 0 : Math.max(k, intIn('rerank', o.rerank, 1, 100000));
  const exact =
    o.exact === undefined || o.exact === 'auto'
      ? EXACT_MODE.auto
      : o.exact === false
        ? EXACT_MODE.never
        : o.exact === true
          ? EXACT_MODE.always
          : -1;
  if (exact < 0) throw new ElexError('INVALID_ARGUMENT', `exact must be true, false or "auto", got ${String(o.exact)}`);
  return { ef: Math.max(ef, k), exact, rerank };
}
