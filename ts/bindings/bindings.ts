/**
 * Same-thread bindings: one wasm instance in the current thread, called
 * synchronously. The worker pool runs one of these per worker; benchmarks
 * and code that already runs in its own worker use them directly through
 * `instantiate()`.
 *
 * In the simd-mt variant the engine's loops block the calling thread while
 * helper threads work, which browsers allow only in workers: use simd-mt
 * bindings from a worker, never from a page's main thread.
 */
import '../core/web-types.ts';
import { readStruct, readStructs, writeStruct, type StructLayout, type StructValue } from './abi-view.ts';
import { bundleFor, checkBundles, pthreadWorkerUrl, type BundleOverrides, type BundleUrls } from './bundles.ts';
import { ElexError, asElexError, codeForStatus } from '../core/errors.ts';
import { checkDuration, timerNeeded } from '../core/timers.ts';
import { checkOptions, keysOf } from '../core/options.ts';
import { isTyped } from '../core/typed.ts';
import {
  AGENT_Q,
  AGENT_STATS,
  CLASS_MATCH,
  CONTAINER_SECTION,
  DECIDE_ARGS,
  DECISION,
  DISTANCE_BATCH_ARGS,
  EMBEDDER_STATS,
  FEEDBACK_RESULT,
  INDEX_SEARCH_ARGS,
  INDEX_STATS,
  KPI_EVAL_ARGS,
  LEARNING_CONFIG,
  LEXICAL_HIT,
  LEXICAL_STATS,
  MEMORY_STATS,
  ROUTE_FEATURE,
  ROUTE_MATCH,
  ROUTER_SPEC,
  ROUTER_ITEMS,
  ROUTER_STATS,
  SNAPSHOT_ARGS,
  SNAPSHOT_PARTS,
  VALIDATOR_RUN_ARGS,
  VALIDATOR_STATS,
  VALIDATOR_TOTALS,
} from '../generated/abi.ts';
import { ENGINE_STATUS, LEXICAL_FIELD, METRIC, ROUTER_ITEM_KIND, VALIDATOR_RUN_FLAG } from '../generated/enums.ts';
import { VARIANTS, WASM_MEMORY_MAX_BYTES, detectFeatures, selectBundle, type Variant } from './platform.ts';
import {
  AGENT_ACTIONS,
  COMPLEXITIES,
  QUERY_TYPES,
  checkCode,
  encodeState,
  resolveLearning,
  type AgentState,
  type AgentValues,
  type Complexity,
  type Decision,
  type LearningOptions,
  type MemoryStats,
  type QueryType,
} from '../core/learn-types.ts';
import {
  METRIC_IDS,
  METRIC_NAMES,
  QUANTIZATIONS,
  checkIds,
  checkIndexOptions,
  checkK,
  checkVectors,
  resolveSearch,
  type IndexOptions,
  type IndexStats,
  type Metric,
  type SearchOptions,
  type SearchResult,
} from '../core/index-types.ts';

export type { Metric };

const MAX_DIM = 65536;

/** What the wasm module says about itself (elex_build_info). */
export interface BuildInfo {
  abi: number;
  version: string;
  variant: Variant;
  /** The distance kernels that really run: "simd128" or "scalar". */
  kernel: 'simd128' | 'scalar';
  threadsSupported: boolean;
  /** Threads the engine's loops use, caller included. */
  threads: number;
}

export interface DistanceBatchInput {
  metric: Metric;
  /** nq × dim, row-major. */
  queries: Float32Array;
  /** nv × dim, row-major. */
  vectors: Float32Array;
  dim: number;
}

export interface DistanceBatchOutput {
  /** nq × nv: distances[q * nv + v]. */
  distances: Float32Array;
  nq: number;
  nv: number;
  /** Distinct threads that computed part of the batch. */
  threadsUsed: number;
}

export interface DecodedVectors {
  data: Float32Array;
  count: number;
  dim: number;
}

/** Every key of InstantiateOptions: another is a mistake (a typo such as `varient` was ignored). */
const INSTANTIATE_KEYS = keysOf<InstantiateOptions>()(['variant', 'threads', 'module', 'bundles', 'startTimeoutMs']);

export interface InstantiateOptions {
  /** Variant to load; default: the best this context supports (selectBundle). */
  variant?: Variant;
  /** simd-mt: threads for the engine's loops, caller included (default navigator.hardwareConcurrency). Ignored by other variants. */
  threads?: number;
  /** A compiled module for the variant, to skip fetching and compiling. */
  module?: WebAssembly.Module;
  /** Where the variant files live (see bundles.ts). */
  bundles?: BundleOverrides;
  /** Reject if the module has not started within this many ms (default 30 000). */
  startTimeoutMs?: number;
}

/** The Emscripten module as this package uses it. */
interface ElexModule {
  _elex_abi_version(): number;
  _elex_last_error(): number;
  _elex_alloc(bytes: number): number;
  _elex_free(ptr: number): void;
  _elex_engine_create(threads: number, out: number): number;
  _elex_engine_destroy(engine: number): void;
  _elex_build_info(engine: number): number;
  _elex_distance(metric: number, a: number, b: number, dim: number, out: number): number;
  /** args: an elex_distance_batch_args (DISTANCE_BATCH_ARGS). */
  _elex_distance_batch(engine: number, args: number, threadsUsed: number): number;
  _elex_distance_batch_reference(args: number): number;
  _elex_vectors_encode(data: number, count: number, dim: number, out: number, outSize: number): number;
  _elex_vectors_decode(bytes: number, size: number, data: number, count: number, dim: number): number;
  _elex_crc32(bytes: number, size: number): number;
  _elex_container_write(
    kind: number,
    blob: number,
    blobSize: number,
    sections: number,
    n: number,
    out: number,
    outSize: number,
  ): number;
  _elex_container_read(
    bytes: number,
    size: number,
    kind: number,
    sections: number,
    capacity: number,
    count: number,
  ): number;
  _elex_index_create(
    dim: number,
    metric: number,
    M: number,
    efc: number,
    quant: number,
    seed: number,
    out: number,
  ): number;
  _elex_index_destroy(index: number): void;
  _elex_index_add(engine: number, index: number, ids: number, n: number, vectors: number, floats: number): number;
  _elex_index_reserve(index: number, items: number): number;
  _elex_index_add_bytes(index: number, n: number, out: number): number;
  /** args: an elex_index_search_args (INDEX_SEARCH_ARGS). */
  _elex_index_search(engine: number, index: number, args: number): number;
  _elex_index_remove(index: number, ids: number, n: number, removed: number): number;
  _elex_index_stats(index: number, out: number): number;
  _elex_index_serialize(index: number, out: number, outSize: number): number;
  _elex_index_deserialize(bytes: number, size: number, out: number): number;
  _elex_agents_configure(engine: number, cfg: number): number;
  _elex_memory_configure(engine: number, budget: number, highWater: number): number;
  _elex_memory_set_external(engine: number, bytes: number): number;
  _elex_memory_reserve(engine: number, bytes: number): number;
  _elex_memory_stats(engine: number, out: number): number;
  /** args: an elex_decide_args (DECIDE_ARGS); out: an elex_decision. */
  _elex_agent_decide(engine: number, args: number, out: number): number;
  _elex_agent_feedback(
    engine: number,
    code: number,
    len: number,
    qids: number,
    rewards: number,
    n: number,
    out: number,
  ): number;
  _elex_agent_values(
    engine: number,
    code: number,
    len: number,
    type: number,
    complexity: number,
    bucket: number,
    context: number,
    out: number,
  ): number;
  _elex_agent_info(engine: number, code: number, len: number, out: number): number;
  _elex_agent_export(engine: number, code: number, len: number, out: number, outSize: number): number;
  _elex_agents_import_batch(engine: number, frames: number, size: number, n: number, status: number): number;
  _elex_agent_import(engine: number, bytes: number, size: number, evict: number, replaced: number): number;
  _elex_agent_drop(engine: number, code: number, len: number): number;
  _elex_agents_spill_pop(engine: number, out: number, outSize: number): number;
  _elex_agents_evict(engine: number, pressure: number, freed: number): number;
  /** args: an elex_snapshot_args (SNAPSHOT_ARGS). */
  _elex_agents_snapshot(engine: number, args: number, out: number, outSize: number, count: number): number;
  _elex_snapshot_verify(engine: number, bytes: number, size: number, out: number): number;
  _elex_agents_import_at(
    engine: number,
    base: number,
    baseSize: number,
    spans: number,
    n: number,
    status: number,
  ): number;
  _elex_shard_of(code: number, len: number, shards: number): number;
  _elex_embedder_create(dim: number, out: number): number;
  _elex_embedder_destroy(e: number): void;
  _elex_embedder_fit(e: number, blob: number, offsets: number, n: number): number;
  _elex_embed(e: number, blob: number, offsets: number, n: number, out: number): number;
  _elex_embedder_stats(e: number, out: number): number;
  _elex_tokenize(text: number, len: number, out: number, outSize: number): number;
  _elex_tokenize_many(blob: number, offsets: number, n: number, out: number, outSize: number): number;
  _elex_lexical_create(out: number): number;
  _elex_lexical_destroy(x: number): void;
  _elex_lexical_add(x: number, blob: number, offsets: number, docs: number, fields: number, n: number): number;
  _elex_lexical_glossary(x: number, blob: number, offsets: number, n: number): number;
  _elex_lexical_finish(x: number, out: number): number;
  _elex_lexical_search(x: number, text: number, len: number, k: number, hits: number, found: number): number;
  _elex_router_create(engine: number, spec: number, out: number): number;
  _elex_router_destroy(r: number): void;
  _elex_router_save(r: number, out: number, size: number): number;
  _elex_router_load(bytes: number, size: number, dim: number, out: number): number;
  _elex_router_route(
    r: number,
    text: number,
    len: number,
    k: number,
    features: number,
    matches: number,
    counts: number,
    vector: number,
  ): number;
  _elex_router_remember(
    r: number,
    ids: number,
    features: number,
    rewards: number,
    blob: number,
    offsets: number,
    n: number,
  ): number;
  _elex_router_forget(r: number, ids: number, n: number): number;
  _elex_router_trim(r: number, freeBytes: number, hostBytes: number, forgotten: number, cap: number, n: number): number;
  _elex_router_embed(r: number, text: number, len: number, out: number): number;
  _elex_router_stats(r: number, out: number): number;
  _elex_router_items(r: number, out: number): number;
  _elex_classify(text: number, len: number, scores: number, n: number, matches: number, m: number, out: number): number;
  _elex_validate(soa: number, n: number, masks: number, counts: number): number;
  _elex_validator_create(count: number, kinds: number, bounds: number, cooldownMs: number, out: number): number;
  _elex_validator_destroy(v: number): void;
  /** args: an elex_validator_run_args (VALIDATOR_RUN_ARGS); out: an elex_validator_totals. */
  _elex_validator_run(v: number, args: number, out: number): number;
  _elex_validator_floor(v: number, at: number): number;
  _elex_validator_stats(v: number, out: number): number;
  /** args: an elex_kpi_eval_args (KPI_EVAL_ARGS). */
  _elex_kpi_eval(engine: number, args: number): number;
  _elex_row_stats(engine: number, data: number, rows: number, periods: number, out: number): number;
  UTF8ToString(ptr: number): string;
}

/**
 * The benchmark-only exports: present in bench builds (build/wasm-bench/,
 * `scripts/build-wasm.sh --bench`), absent from the shipped wasm.
 */
interface BenchExports {
  _elex_bench_prepare(kernel: number, n: number, seed: number): number;
  _elex_bench_run(kernel: number, twin: number, reps: number, checksum: number): number;
  _elex_bench_batch(kernel: number, twin: number, dim: number, count: number, reps: number, out: number): number;
  _elex_bench_learn_prepare(op: number, n: number): number;
  _elex_bench_learn_run(op: number, reps: number, out: number): number;
  _elex_bench_populate(engine: number, agents: number, states: number, worker: number, workers: number): number;
  _elex_bench_heap(out: number): number;
}

/** engine/include/elex/elex.h ELEX_ABI_VERSION (a Vitest checks that they agree). */
export const ABI_VERSION = 18;

type ModuleFactory = (moduleArg: Record<string, unknown>) => Promise<ElexModule>;

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

async function fetchBytes(url: string): Promise<ArrayBuffer> {
  if (isNode && url.startsWith('file:')) {
    const fsName = ['node:fs', 'promises'].join('/'); // not a literal: bundlers leave it alone
    const fs = (await import(/* @vite-ignore */ /* webpackIgnore: true */ fsName)) as typeof import('node:fs/promises');
    const buf = await fs.readFile(new URL(url));
    return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  }
  const res = await fetch(url);
  if (!res.ok) throw new ElexError('INIT_FAILED', `could not fetch ${url}: HTTP ${res.status}`);
  return res.arrayBuffer();
}

/**
 * A response whose body reports its bytes as they arrive (for progress);
 * the original when there is nothing to report to or no body to count.
 */
function counted(res: Response, onBytes?: (loaded: number, total: number) => void): Response {
  if (!onBytes || !res.body) return res;
  const total = Number(res.headers.get('Content-Length')) || 0;
  let loaded = 0;
  const body = res.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        loaded += chunk.byteLength;
        onBytes(loaded, total);
        controller.enqueue(chunk);
      },
    }),
  );
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}

/**
 * Fetches and compiles a variant's `.wasm` (streaming where the server
 * allows). `onBytes` hears the bytes fetched so far and the total (0 when
 * the server does not say).
 */
export async function compileVariant(
  variant: Variant,
  bundles?: BundleOverrides,
  onBytes?: (loaded: number, total: number) => void,
): Promise<WebAssembly.Module> {
  const { wasm } = bundleFor(variant, bundles);
  try {
    if (!isNode && typeof WebAssembly.compileStreaming === 'function') {
      const fetched = await fetch(wasm).catch((e: unknown) => {
        throw new ElexError(
          'INIT_FAILED',
          `could not fetch ${wasm}: ${String(e)} (offline, or the request was blocked: the network tab says why)`,
          { cause: e },
        );
      });
      if (!fetched.ok) throw new ElexError('INIT_FAILED', `could not fetch ${wasm}: HTTP ${fetched.status}`);
      const res = counted(fetched, onBytes);
      if (res.headers.get('Content-Type')?.startsWith('application/wasm'))
        return await WebAssembly.compileStreaming(res);
      return await WebAssembly.compile(await res.arrayBuffer());
    }
    return await WebAssembly.compile(await fetchBytes(wasm));
  } catch (e) {
    if (e instanceof ElexError) throw e;
    throw new ElexError('INIT_FAILED', `could not compile the ${variant} module from ${wasm}: ${String(e)}`, {
      cause: e,
    });
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  if (!timerNeeded(ms)) return p;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ElexError('INIT_FAILED', `${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function findMemory(...objects: unknown[]): WebAssembly.Memory | undefined {
  for (const o of objects) {
    if (o instanceof WebAssembly.Memory) return o;
    if (o && typeof o === 'object') {
      for (const v of Object.values(o)) {
        if (v instanceof WebAssembly.Memory) return v;
        if (v && typeof v === 'object') for (const w of Object.values(v)) if (w instanceof WebAssembly.Memory) return w;
      }
    }
  }
  return undefined;
}

function checkPositiveInt(name: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 1 || v > max)
    throw new ElexError('INVALID_ARGUMENT', `${name} must be an integer from 1 to ${max}, got ${String(v)}`);
}

/** Counter floats per slice of a KPI evaluation (kpiEval): 4 MB, which stays in L2/L3 while it is evaluated. */
const KPI_SLICE_FLOATS = 1 << 20;

export class Bindings {
  private enginePtr = 0;
  private closed = false;

  /** @internal use instantiate() */
  constructor(
    private readonly m: ElexModule,
    private readonly memory: WebAssembly.Memory,
    readonly variant: Variant,
    readonly module: WebAssembly.Module,
    threads: number,
  ) {
    this.enginePtr = this.scoped((s) => {
      const out = s.alloc(4);
      this.call('creating the engine', this.m._elex_engine_create(threads, out));
      return this.u32()[out >>> 2]!;
    });
  }

  /** Facts about the running build. */
  info(): BuildInfo {
    this.open();
    return JSON.parse(this.m.UTF8ToString(this.m._elex_build_info(this.enginePtr))) as BuildInfo;
  }

  /** Distance between two vectors (see docs/guide.md, "Batch distances"). */
  distance(metric: Metric, a: Float32Array, b: Float32Array): number {
    this.open();
    const mid = metricId(metric);
    if (a.length !== b.length)
      throw new ElexError('DIMENSION_MISMATCH', `vectors have ${a.length} and ${b.length} elements`);
    checkPositiveInt('dimension', a.length, MAX_DIM);
    return this.scoped((s) => {
      const pa = s.put(a),
        pb = s.put(b),
        out = s.alloc(4);
      this.call('distance', this.m._elex_distance(mid, pa, pb, a.length, out));
      return this.f32()[out >>> 2]!;
    });
  }

  /** All query-to-vector distances; the work is split across the engine's threads. */
  distanceBatch(input: DistanceBatchInput): DistanceBatchOutput {
    return this.batch(input, false);
  }

  /** The same computed with the scalar reference kernels on one thread (for tests). */
  distanceBatchReference(input: DistanceBatchInput): DistanceBatchOutput {
    return this.batch(input, true);
  }

  /** Serialises count × dim vectors to ELEX bytes. */
  encodeVectors(data: Float32Array, dim: number): Uint8Array {
    this.open();
    checkPositiveInt('dim', dim, MAX_DIM);
    if (data.length % dim !== 0)
      throw new ElexError('DIMENSION_MISMATCH', `${data.length} floats are not a whole number of ${dim}-vectors`);
    return this.scoped((s) => {
      const p = s.put(data),
        out = s.alloc(8);
      this.call('encoding vectors', this.m._elex_vectors_encode(p, data.length / dim, dim, out, out + 4));
      const [ptr, size] = [this.u32()[out >>> 2]!, this.u32()[(out >>> 2) + 1]!];
      s.own(ptr);
      return this.copyOut(Uint8Array, ptr, size);
    });
  }

  /** Parses ELEX vector bytes; damaged or foreign bytes give a coded error. */
  decodeVectors(bytes: Uint8Array): DecodedVectors {
    this.open();
    return this.scoped((s) => {
      const p = s.put(bytes),
        out = s.alloc(12);
      this.call('decoding vectors', this.m._elex_vectors_decode(p, bytes.length, out, out + 4, out + 8));
      const u = this.u32();
      const [ptr, count, dim] = [u[out >>> 2]!, u[(out >>> 2) + 1]!, u[(out >>> 2) + 2]!];
      s.own(ptr);
      return { data: this.copyOut(Float32Array, ptr, count * dim), count, dim };
    });
  }

  /** CRC-32 (IEEE 802.3) of `bytes`, as the engine computes it for its containers (elex_crc32). */
  crc32(bytes: Uint8Array): number {
    this.open();
    return this.scoped((s) => this.m._elex_crc32(s.put(bytes), bytes.length) >>> 0);
  }

  /**
   * An ELEX container (engine/include/elex/core/format.h) of `kind` (a
   * CONTAINER_KIND value: format.h ContainerKind) holding the
   * sections in order: tags of four ASCII characters, payloads of any size.
   */
  writeContainer(kind: number, sections: readonly (readonly [string, Uint8Array])[]): Uint8Array {
    this.open();
    const total = sections.reduce((n, [, p]) => n + p.length, 0);
    return this.scoped((s) => {
      const blob = s.alloc(Math.max(1, total)),
        table = s.alloc(Math.max(1, sections.length) * CONTAINER_SECTION.bytes),
        out = s.alloc(8);
      let at = 0;
      sections.forEach(([tag, payload], i) => {
        this.cached().u8.set(payload, blob + at);
        writeStruct(CONTAINER_SECTION, this.memory.buffer, table + i * CONTAINER_SECTION.bytes, {
          tag: containerTag(tag),
          reserved: 0,
          offset: at,
          size: payload.length,
        });
        at += payload.length;
      });
      this.call(
        'writing a container',
        this.m._elex_container_write(kind, blob, total, table, sections.length, out, out + 4),
      );
      return this.takeBuffer(s, out);
    });
  }

  /**
   * Verifies an ELEX container of `kind` (FOREIGN_DATA, UNSUPPORTED_VERSION
   * or CORRUPT_DATA otherwise) and returns its sections by tag: views into
   * `bytes`, not copies.
   */
  readContainer(bytes: Uint8Array, kind: number): Map<string, Uint8Array> {
    this.open();
    if (!isTyped(bytes, 'Uint8Array')) throw new ElexError('INVALID_ARGUMENT', 'bytes must be a Uint8Array');
    const found = this.scoped((s) => {
      const p = s.put(bytes),
        table = s.alloc(MAX_CONTAINER_SECTIONS * CONTAINER_SECTION.bytes),
        count = s.alloc(4);
      this.call(
        'reading a container',
        this.m._elex_container_read(p, bytes.length, kind, table, MAX_CONTAINER_SECTIONS, count),
      );
      const n = this.u32()[count >>> 2]!;
      return Array.from({ length: n }, (_, i) =>
        this.readStruct(CONTAINER_SECTION, table + i * CONTAINER_SECTION.bytes),
      );
    });
    return new Map(found.map((x) => [containerTagName(x.tag), bytes.subarray(x.offset, x.offset + x.size)]));
  }

  /** A new, empty HNSW index in this instance. */
  createIndex(options: IndexOptions): IndexHandle {
    this.open();
    const o = checkIndexOptions(options);
    const ptr = this.scoped((s) => {
      const out = s.alloc(4);
      this.call(
        'creating an index',
        this.m._elex_index_create(
          o.dim,
          METRIC_IDS[o.metric],
          o.M,
          o.efConstruction,
          QUANTIZATIONS.indexOf(o.quantization),
          o.seed >>> 0,
          out,
        ),
      );
      return this.u32()[out >>> 2]!;
    });
    const ix = new IndexHandle(this, ptr, o.dim);
    if (o.capacity > 0) {
      try {
        ix.reserve(o.capacity);
      } catch (e) {
        ix.close();
        throw e;
      }
    }
    return ix;
  }

  /** An index from bytes written by IndexHandle.save(); damaged bytes give a coded error. */
  loadIndex(bytes: Uint8Array): IndexHandle {
    this.open();
    if (!isTyped(bytes, 'Uint8Array')) throw new ElexError('INVALID_ARGUMENT', 'index bytes must be a Uint8Array');
    const ptr = this.scoped((s) => {
      const p = s.put(bytes),
        out = s.alloc(4);
      this.call('loading an index', this.m._elex_index_deserialize(p, bytes.length, out));
      return this.u32()[out >>> 2]!;
    });
    const handle = new IndexHandle(this, ptr, 0);
    handle.dimension = handle.stats().dim;
    return handle;
  }

  /**
   * Benchmark aid: runs kernel `kernel` (0 dot, 1 cosine, 2 l2, 3 int8 dot,
   * 4 Q-update, 5 validation, 6 aggregation, 7 monitor of n cells × 200
   * counters × 96 periods on one thread) `reps` times on seeded data of size
   * n inside wasm; twin 1 forces the scalar twin (for the monitor: every KPI
   * through the reference path). Returns ms per rep.
   */
  benchKernel(kernel: number, twin: 0 | 1, n: number, reps: number): { msPerRep: number; checksum: number } {
    const bench = this.bench('benchKernel');
    return this.scoped((s) => {
      this.call('preparing a kernel bench', bench._elex_bench_prepare(kernel, n, 42));
      const out = s.alloc(8);
      this.call('running a kernel bench', bench._elex_bench_run(kernel, twin, Math.max(1, reps >> 4), out));
      const t0 = performance.now();
      this.call('running a kernel bench', bench._elex_bench_run(kernel, twin, reps, out));
      const ms = performance.now() - t0;
      return { msPerRep: ms / reps, checksum: new Float64Array(this.memory.buffer, out, 1)[0]! };
    });
  }

  /**
   * Benchmark aid: a kernel measured as a kernel. One pass runs kernel
   * `kernel` (0 dot, 1 cosine, 2 l2, 3 int8 dot: one query against `count`
   * seeded vectors of `dim`, dot and l2 four vectors per kernel call as the
   * index scores them; 4 Q-update, 5 validation, 6 aggregation of `count`
   * items; 7 dot and 8 l2 one vector per call) inside wasm; one warm pass, then `reps` samples timed
   * inside wasm, each of as many passes as take 2 ms (the clock's 5 µs steps
   * stay small). Returns ns per pass (median and fastest sample). twin 1
   * runs the scalar twin. Bench builds only.
   */
  benchBatch(
    kernel: number,
    twin: 0 | 1,
    dim: number,
    count: number,
    reps: number,
  ): { medianNs: number; minNs: number; checksum: number } {
    const bench = this.bench('benchBatch');
    return this.scoped((s) => {
      const out = s.alloc(24);
      this.call('running a kernel batch', bench._elex_bench_batch(kernel, twin, dim, count, reps, out));
      const f = this.cached().f64;
      return { medianNs: f[out >>> 3]!, minNs: f[(out >>> 3) + 1]!, checksum: f[(out >>> 3) + 2]! };
    });
  }

  /** Whether this module is a bench build (has the benchmark-only exports; the shipped wasm has not). */
  get hasBenchExports(): boolean {
    return typeof (this.m as ElexModule & Partial<BenchExports>)._elex_bench_run === 'function';
  }

  /** The benchmark-only exports, or NOT_IN_BUILD: they exist in bench builds only. */
  private bench(what: string): BenchExports {
    this.open();
    if (!this.hasBenchExports)
      throw new ElexError(
        'NOT_IN_BUILD',
        `${what} is a benchmark aid, built into bench builds only: load build/wasm-bench/${this.variant}/ (scripts/build-wasm.sh --bench) through the \`bundles\` option; the shipped wasm has no _elex_bench_* exports`,
      );
    return this.m as ElexModule & BenchExports;
  }

  // ------------------------------------------------- agents and memory

  /**
   * Learning configuration for agents created from now on, and for agents
   * imported from now on (restored, reloaded after eviction): they take its
   * alpha, gamma, exploration schedule and replayBatch, and keep their
   * learned values, buffers and random stream.
   */
  configureLearning(options: LearningOptions = {}): void {
    this.open();
    const o = resolveLearning(options);
    this.scoped((s) => {
      const cfg = this.putStruct(s, LEARNING_CONFIG, {
        alpha: o.alpha,
        gamma: o.gamma,
        epsilon: o.epsilon,
        epsilonMin: o.epsilonMin,
        epsilonDecay: o.epsilonDecay,
        trajectory: o.trajectory,
        replay: o.replay,
        replayBatch: o.replayBatch,
        maxStates: o.maxStates,
        seed: o.seed,
      });
      this.call('configuring learning', this.m._elex_agents_configure(this.enginePtr, cfg));
    });
  }

  /** This instance's byte budget and the pressure from which calls end with an eviction round (1 = only when a call does not fit). */
  configureMemory(budgetBytes: number, highWater = 1): void {
    this.open();
    this.call('configuring memory', this.m._elex_memory_configure(this.enginePtr, budgetBytes, highWater));
  }

  /** Bytes held outside agents (indexes), counted against the budget. */
  setExternalBytes(bytes: number): void {
    this.open();
    this.call('reporting external bytes', this.m._elex_memory_set_external(this.enginePtr, bytes));
  }

  /** Makes room for `bytes` more, evicting cold agents; BUDGET_EXCEEDED if impossible. */
  reserve(bytes: number): void {
    this.open();
    this.call('reserving memory', this.m._elex_memory_reserve(this.enginePtr, bytes));
  }

  memoryStats(): MemoryStats {
    this.open();
    return this.scoped((s) => {
      const out = s.alloc(MEMORY_STATS.bytes);
      this.call('reading memory stats', this.m._elex_memory_stats(this.enginePtr, out));
      return this.readStruct(MEMORY_STATS, out);
    });
  }

  /**
   * The agent of `code` picks an action for `state` and records it as query
   * `queryId` (an integer 1..2^53 unique per decision: an id already in
   * the agent's trajectory is DUPLICATE_ID); `follows` names an earlier
   * query this one continues (its next state for γ).
   */
  decide(code: string, queryId: number, state: AgentState = {}, follows = 0): Decision {
    this.open();
    const st = encodeState(state);
    return this.scoped((s) => {
      const [pc, len] = this.putCode(s, code);
      const args = this.putStruct(s, DECIDE_ARGS, {
        queryId,
        follows,
        code: pc,
        len,
        type: st.type,
        complexity: st.complexity,
        bucket: st.bucket,
        context: st.context,
      });
      const out = s.alloc(DECISION.bytes);
      this.call('deciding', this.m._elex_agent_decide(this.enginePtr, args, out));
      const d = this.readStruct(DECISION, out);
      return {
        action: AGENT_ACTIONS[d.action]!,
        actionIndex: d.action,
        confidence: d.confidence,
        explored: d.explored !== 0,
      };
    });
  }

  /** Rewards in [-1, 1] for earlier decisions of the agent of `code`. */
  feedback(code: string, queryIds: Float64Array, rewards: Float32Array): { applied: number; unknown: number } {
    this.open();
    if (!isTyped(queryIds, 'Float64Array') || !isTyped(rewards, 'Float32Array') || queryIds.length !== rewards.length)
      throw new ElexError(
        'INVALID_ARGUMENT',
        'feedback takes a Float64Array of query ids and a Float32Array of rewards of the same length',
      );
    return this.scoped((s) => {
      const [pc, len] = this.putCode(s, code);
      const pq = s.put(queryIds),
        pr = s.put(rewards),
        out = s.alloc(FEEDBACK_RESULT.bytes);
      this.call('applying feedback', this.m._elex_agent_feedback(this.enginePtr, pc, len, pq, pr, rewards.length, out));
      return this.readStruct(FEEDBACK_RESULT, out);
    });
  }

  /** Q-values of one state of a resident agent (NOT_FOUND if it is not resident). */
  agentValues(code: string, state: AgentState = {}): AgentValues {
    this.open();
    const st = encodeState(state);
    return this.scoped((s) => {
      const [pc, len] = this.putCode(s, code);
      const out = s.alloc(AGENT_Q.bytes);
      this.call(
        'reading agent values',
        this.m._elex_agent_values(this.enginePtr, pc, len, st.type, st.complexity, st.bucket, st.context, out),
      );
      const q = this.readStruct(AGENT_Q, out);
      return { values: Float32Array.from(q.values), visits: q.visits };
    });
  }

  /** A resident agent's figures, or null if none is resident. */
  agentInfo(code: string): Omit<import('../core/learn-types.ts').AgentInfo, 'resident'> | null {
    this.open();
    return this.scoped((s) => {
      const [pc, len] = this.putCode(s, code);
      const out = s.alloc(AGENT_STATS.bytes);
      const status = this.m._elex_agent_info(this.enginePtr, pc, len, out);
      if (status === ENGINE_STATUS.NOT_FOUND) return null;
      this.call('reading agent info', status);
      return { code, ...this.readStruct(AGENT_STATS, out) };
    });
  }

  /** The record of a resident agent. */
  exportAgent(code: string): Uint8Array {
    this.open();
    return this.scoped((s) => {
      const [pc, len] = this.putCode(s, code);
      const out = s.alloc(8);
      this.call('exporting an agent', this.m._elex_agent_export(this.enginePtr, pc, len, out, out + 4));
      return this.takeBuffer(s, out);
    });
  }

  /** Restores an agent from its record; with evict = false, BUDGET_EXCEEDED rather than evicting. */
  /**
   * Restores many records at once (a restore: never evicts), deserialised
   * on the engine's threads. Per record: 0 when its agent is resident
   * afterwards, else a status code (12 BUDGET_EXCEEDED: it did not fit and
   * nothing changed for it; others: the record is damaged).
   */
  importAgents(records: readonly Uint8Array[]): Int32Array {
    this.open();
    const total = records.reduce((n, r) => n + 4 + r.length, 0);
    return this.scoped((s) => {
      const p = s.alloc(Math.max(4, total)),
        st = s.alloc(Math.max(4, 4 * records.length));
      const u8 = new Uint8Array(this.memory.buffer);
      const dv = new DataView(this.memory.buffer);
      let at = p;
      for (const r of records) {
        if (!isTyped(r, 'Uint8Array')) throw new ElexError('INVALID_ARGUMENT', 'agent records must be Uint8Arrays');
        dv.setUint32(at, r.length, true);
        u8.set(r, at + 4);
        at += 4 + r.length;
      }
      this.call('importing agents', this.m._elex_agents_import_batch(this.enginePtr, p, total, records.length, st));
      return Int32Array.from(new Int32Array(this.memory.buffer, st, records.length));
    });
  }

  importAgent(record: Uint8Array, evict = true): { replaced: boolean } {
    this.open();
    if (!isTyped(record, 'Uint8Array')) throw new ElexError('INVALID_ARGUMENT', 'an agent record must be a Uint8Array');
    return this.scoped((s) => {
      const p = s.put(record),
        out = s.alloc(4);
      this.call('importing an agent', this.m._elex_agent_import(this.enginePtr, p, record.length, evict ? 1 : 0, out));
      return { replaced: this.u32()[out >>> 2]! === 1 };
    });
  }

  /** Removes a resident agent without spilling it; false if none was resident. */
  dropAgent(code: string): boolean {
    this.open();
    return this.scoped((s) => {
      const [pc, len] = this.putCode(s, code);
      const status = this.m._elex_agent_drop(this.enginePtr, pc, len);
      if (status === ENGINE_STATUS.NOT_FOUND) return false;
      this.call('dropping an agent', status);
      return true;
    });
  }

  /** The oldest record evicted and not yet taken, or null. */
  spillPop(): Uint8Array | null {
    this.open();
    return this.scoped((s) => {
      const out = s.alloc(8);
      this.call('taking a spilled agent', this.m._elex_agents_spill_pop(this.enginePtr, out, out + 4));
      if (this.u32()[(out >>> 2) + 1]! === 0) return null;
      return this.takeBuffer(s, out);
    });
  }

  /** One eviction round as at `pressure` (0..1); returns the bytes freed. */
  evictRound(pressure: number): number {
    this.open();
    return this.scoped((s) => {
      const out = s.alloc(8);
      this.call('evicting', this.m._elex_agents_evict(this.enginePtr, pressure, out));
      return this.cached().f64[out >>> 3]!;
    });
  }

  /**
   * A snapshot container of the resident agents of logical shard `shard`
   * (of `shards`; 0 = all) plus `extra` records ({u32 length, record}*).
   */
  snapshot(shard: number, shards: number, meta: Uint8Array, extra: Uint8Array): { bytes: Uint8Array; count: number } {
    const { block, count } = this.snapshotBlock(shard, shards, meta, extra);
    try {
      return { bytes: block.view().slice(), count };
    } finally {
      block.free();
    }
  }

  /** Verifies a snapshot; returns its META bytes and views of its records (into `bytes`). */
  verifySnapshot(bytes: Uint8Array): { meta: Uint8Array; records: Uint8Array[] } {
    this.open();
    if (!isTyped(bytes, 'Uint8Array')) throw new ElexError('INVALID_ARGUMENT', 'snapshot bytes must be a Uint8Array');
    const block = this.allocBlock(Math.max(1, bytes.length));
    try {
      block.view().set(bytes);
      const { meta, records } = this.locateSnapshot(block, bytes.length);
      return {
        meta: bytes.subarray(meta.offset, meta.offset + meta.size),
        records: records.map((r) => bytes.subarray(r.offset, r.offset + r.size)),
      };
    } finally {
      block.free();
    }
  }

  /**
   * A block of `size` bytes of wasm memory that the caller owns until it
   * calls free(): storage reads land in it and snapshots are written from
   * it with no copy through JavaScript.
   */
  allocBlock(size: number): HeapBlock {
    this.open();
    checkPositiveInt('size', size, 0x7fff0000);
    const ptr = this.m._elex_alloc(size);
    if (ptr === 0)
      throw new ElexError('OUT_OF_MEMORY', `the wasm module could not allocate ${size} bytes (its memory is capped)`);
    return this.heapBlock(ptr, size);
  }

  private heapBlock(ptr: number, size: number): HeapBlock {
    let live = true;
    return {
      ptr,
      size,
      view: () => {
        if (!live) throw new ElexError('INVALID_ARGUMENT', 'this memory block was freed');
        return new Uint8Array(this.memory.buffer, ptr, size);
      },
      free: () => {
        if (live && !this.closed) this.m._elex_free(ptr);
        live = false;
      },
    };
  }

  /**
   * snapshot(), left in wasm memory: the caller writes block.view() to
   * storage and frees the block.
   */
  snapshotBlock(
    shard: number,
    shards: number,
    meta: Uint8Array,
    extra: Uint8Array,
  ): { block: HeapBlock; count: number } {
    this.open();
    return this.scoped((s) => {
      const args = this.putStruct(s, SNAPSHOT_ARGS, {
          metaSize: meta.length,
          extraSize: extra.length,
          meta: s.put(meta),
          extra: s.put(extra),
          shard,
          shards,
        }),
        out = s.alloc(12);
      this.call('writing a snapshot', this.m._elex_agents_snapshot(this.enginePtr, args, out, out + 4, out + 8));
      const u = this.u32();
      return { block: this.heapBlock(u[out >>> 2]!, u[(out >>> 2) + 1]!), count: u[(out >>> 2) + 2]! };
    });
  }

  /**
   * verifySnapshot() of a snapshot already in wasm memory: META copied out,
   * records as offsets into the block (for importAgentsAt).
   */
  verifySnapshotIn(block: HeapBlock): { meta: Uint8Array; records: RecordSpan[] } {
    const { meta, records } = this.locateSnapshot(block, block.size);
    return { meta: block.view().slice(meta.offset, meta.offset + meta.size), records };
  }

  /** Verifies the first `size` bytes of a block as a snapshot; where its META and records lie. */
  private locateSnapshot(block: HeapBlock, size: number): { meta: RecordSpan; records: RecordSpan[] } {
    this.open();
    const parts = this.scoped((s) => {
      const out = s.alloc(SNAPSHOT_PARTS.bytes);
      this.call('verifying a snapshot', this.m._elex_snapshot_verify(this.enginePtr, block.ptr, size, out));
      return this.readStruct(SNAPSHOT_PARTS, out);
    });
    const [mo, ms, ro, rs] = [parts.metaOffset, parts.metaSize, parts.recordsOffset, parts.recordsSize];
    const v = new DataView(this.memory.buffer, block.ptr + ro, rs);
    const records: RecordSpan[] = [];
    for (let at = 0; at < rs;) {
      const len = v.getUint32(at, true);
      records.push({ offset: ro + at + 4, size: len });
      at += 4 + len;
    }
    return { meta: { offset: mo, size: ms }, records };
  }

  /** importAgents() of records already in a block, given as offsets into it. */
  importAgentsAt(block: HeapBlock, records: readonly RecordSpan[]): Int32Array {
    this.open();
    return this.scoped((s) => {
      const spans = s.alloc(Math.max(8, 8 * records.length)),
        st = s.alloc(Math.max(4, 4 * records.length));
      const u = this.u32();
      records.forEach((r, i) => {
        u[(spans >>> 2) + 2 * i] = r.offset;
        u[(spans >>> 2) + 2 * i + 1] = r.size;
      });
      this.call(
        'importing agents',
        this.m._elex_agents_import_at(this.enginePtr, block.ptr, block.size, spans, records.length, st),
      );
      return Int32Array.from(new Int32Array(this.memory.buffer, st, records.length));
    });
  }

  /** The engine's logical shard of a feature code (tests compare it with agentShardOf). */
  shardOf(code: string, shards: number): number {
    this.open();
    return this.scoped((s) => {
      const [pc, len] = this.putCode(s, code);
      return this.m._elex_shard_of(pc, len, shards) >>> 0;
    });
  }

  // ------------------------------------------------------------ embedder

  /**
   * @internal The engine's own: a text embedder (engine/include/elex/ran/embed.h) of `dim`
   * dimensions.
   */
  createEmbedder(dim: number): EmbedderHandle {
    this.open();
    checkPositiveInt('dim', dim, 4096);
    const ptr = this.scoped((s) => {
      const out = s.alloc(4);
      this.call('creating an embedder', this.m._elex_embedder_create(dim, out));
      return this.u32()[out >>> 2]!;
    });
    return new EmbedderHandle(this, ptr, dim);
  }

  /** A lexical routing index (BM25F with a glossary, engine/include/elex/ran/lexical.h). */
  /**
   * A question's type and complexity over candidates (best first), by the
   * engine's classifier (engine/include/elex/ran/classify.h): what a pool
   * classifies a question by once its workers' features are merged.
   */
  classify(text: string, candidates: readonly ClassifyCandidate[]): { type: QueryType; complexity: Complexity } {
    if (typeof text !== 'string') throw new ElexError('INVALID_ARGUMENT', 'a question must be a string');
    return this.indexCall((_m, s) => {
      const bytes = encoder.encode(text);
      const n = candidates.length;
      let m = 0;
      for (const c of candidates) m += c.matched.length;
      const p = s.put(bytes),
        scores = s.alloc(8 * Math.max(1, n)),
        matches = s.alloc(CLASS_MATCH.bytes * Math.max(1, m)),
        out = s.alloc(8);
      const { f64 } = this.cached();
      const buf = this.memory.buffer;
      let j = 0;
      candidates.forEach((c, i) => {
        f64[(scores >>> 3) + i] = c.score;
        for (const x of c.matched) {
          const kind = ROUTER_ITEM_KIND[x.kind] as number | undefined;
          if (kind === undefined)
            throw new ElexError('INVALID_ARGUMENT', `unknown item kind ${JSON.stringify(x.kind)}`);
          writeStruct(CLASS_MATCH, buf, matches + CLASS_MATCH.bytes * j++, {
            candidate: i,
            kind,
            exact: x.exact ? 1 : 0,
            score: x.score,
          });
        }
      });
      this.call('classifying a question', this.m._elex_classify(p, bytes.length, scores, n, matches, m, out));
      const { u32 } = this.cached();
      return { type: QUERY_TYPES[u32[out >>> 2]!]!, complexity: COMPLEXITIES[u32[(out >>> 2) + 1]!]! };
    });
  }

  /**
   * @internal The engine's own (its workers route with it; use Engine.query()).
   * A question router over a catalog (engine/include/elex/ran/router.h): the
   * lexical index, exact matcher, embedder, route memory and fusion, built
   * in one call.
   */
  createRouter(spec: RouterSpec): RouterHandle {
    return this.createRouterFlat(flattenRouterSpec(spec));
  }

  /**
   * @internal createRouter() of a spec already flat (typed arrays and one list of
   * texts): what a pool worker builds straight from its catalog, without the
   * per-item objects of a RouterSpec.
   */
  createRouterFlat(spec: FlatRouterSpec): RouterHandle {
    this.open();
    const F = spec.features,
      I = spec.items,
      G = spec.glossary;
    if (spec.hosted.length !== F) throw new ElexError('INVALID_ARGUMENT', 'router spec: one hosted flag per feature');
    if (spec.texts.length !== 5 * F + 2 * I + 2 * G || spec.itemKinds.length !== I)
      throw new ElexError('INVALID_ARGUMENT', 'router spec: counts do not agree');
    const ptr = this.scoped((s) => {
      const { blob, offsets } = this.putTexts(s, spec.texts);
      const w = spec.weights;
      const p = this.putStruct(s, ROUTER_SPEC, {
        dim: spec.dim,
        features: F,
        items: I,
        glossary: G,
        blob,
        offsets,
        hosted: s.put(spec.hosted),
        itemKinds: s.put(spec.itemKinds),
        itemFeatureOffsets: s.put(spec.itemFeatureOffsets),
        itemFeatures: s.put(spec.itemFeatures),
        featureItemOffsets: s.put(spec.featureItemOffsets),
        featureItems: s.put(spec.featureItems),
        weights: [w.vector, w.exact, w.lexical, w.feedback, w.item, w.technology, w.direction],
      });
      const out = s.alloc(4);
      this.call('building the router', this.m._elex_router_create(this.enginePtr, p, out));
      return this.u32()[out >>> 2]!;
    });
    return new RouterHandle(this, ptr, spec.dim);
  }

  /**
   * @internal The engine's own (its workers' router cache).
   * A router from RouterHandle.save() bytes, instead of createRouter(): no
   * build. Throws UNSUPPORTED_VERSION for another engine's state (build
   * instead), CORRUPT_DATA or FOREIGN_DATA for bytes it cannot use, and
   * INVALID_ARGUMENT when the state's dimension is not `dim`. The bytes may
   * already be in wasm memory (a HeapBlock a storage read landed in: no
   * copy); the caller still owns and frees that block.
   */
  loadRouter(bytes: Uint8Array | HeapBlock, dim: number): RouterHandle {
    this.open();
    const ptr = this.scoped((s) => {
      const [p, size] = isTyped(bytes, 'Uint8Array') ? [s.put(bytes), bytes.length] : [bytes.ptr, bytes.size];
      const out = s.alloc(4);
      this.call('loading a saved router', this.m._elex_router_load(p, size, dim, out));
      return this.u32()[out >>> 2]!;
    });
    return new RouterHandle(this, ptr, dim);
  }

  /** @internal The engine's own: the BM25F index of the router (lexical.h). */
  createLexical(): LexicalHandle {
    this.open();
    const ptr = this.scoped((s) => {
      const out = s.alloc(4);
      this.call('creating a lexical index', this.m._elex_lexical_create(out));
      return this.u32()[out >>> 2]!;
    });
    return new LexicalHandle(this, ptr);
  }

  /** The engine's tokens of a text (for tests and debugging). */
  tokenize(text: string): string[] {
    this.open();
    const bytes = new TextEncoder().encode(text);
    return this.scoped((s) => {
      const p = s.put(bytes),
        out = s.alloc(8);
      this.call('tokenizing', this.m._elex_tokenize(p, bytes.length, out, out + 4));
      const joined = new TextDecoder().decode(this.takeBuffer(s, out));
      return joined ? joined.split(' ') : [];
    });
  }

  /** tokenize() of several texts in one call. */
  tokenizeMany(texts: readonly string[]): string[][] {
    this.open();
    if (texts.length === 0) return [];
    return this.scoped((s) => {
      const { blob, offsets } = this.putTexts(s, texts);
      const out = s.alloc(8);
      this.call('tokenizing', this.m._elex_tokenize_many(blob, offsets, texts.length, out, out + 4));
      return new TextDecoder()
        .decode(this.takeBuffer(s, out))
        .split('\n')
        .map((line) => (line ? line.split(' ') : []));
    });
  }

  // ------------------------------------------------- validation, monitor

  /**
   * The validation kernel over n changes laid out as 7 arrays of n floats
   * (current, proposed, abs_min, abs_max, safe_min, safe_max,
   * max_step_rel; see validate.h). Returns a finding mask per change.
   */
  validateKernel(soa: Float32Array, n: number): { masks: Uint32Array; flagged: number } {
    this.open();
    if (!isTyped(soa, 'Float32Array') || soa.length !== 7 * n)
      throw new ElexError('DIMENSION_MISMATCH', `validation input must be 7 × ${n} floats, got ${soa.length}`);
    return this.scoped((s) => {
      const p = s.put(soa),
        masks = s.alloc(n * 4),
        counts = s.alloc(7 * 4);
      this.call('validating', this.m._elex_validate(p, n, masks, counts));
      return { masks: this.copyOut(Uint32Array, masks, n), flagged: this.u32()[counts >>> 2]! };
    });
  }

  /**
   * @internal The engine's own (use Engine.validate()).
   * A validator (engine/include/elex/ran/validator.h) over a catalog's
   * parameters: their kinds, bounds (5 × count floats: abs_min, abs_max,
   * safe_min, safe_max, max_change; NaN = not known) and cooldowns in ms
   * (NaN = none). It keeps the time of each accepted change per (parameter,
   * cell) for later cooldowns.
   */
  createValidator(tables: ValidatorTables): ValidatorHandle {
    this.open();
    const { kinds, bounds, cooldownMs } = tables;
    const count = kinds.length;
    if (!isTyped(kinds, 'Uint8Array') || !isTyped(bounds, 'Float64Array') || !isTyped(cooldownMs, 'Float64Array'))
      throw new ElexError('INVALID_ARGUMENT', 'validator tables are a Uint8Array and two Float64Arrays');
    if (bounds.length !== 5 * count || cooldownMs.length !== count)
      throw new ElexError(
        'DIMENSION_MISMATCH',
        `${count} parameters need 5 × ${count} bounds and ${count} cooldowns, got ${bounds.length} and ${cooldownMs.length}`,
      );
    const ptr = this.scoped((s) => {
      const pc = s.put(cooldownMs),
        pb = s.put(bounds),
        pk = s.put(kinds),
        out = s.alloc(4);
      this.call('creating a validator', this.m._elex_validator_create(count, pk, pb, pc, out));
      return this.u32()[out >>> 2]!;
    });
    return new ValidatorHandle(this, ptr, count);
  }

  /**
   * @internal The engine's own (use Engine.monitor()).
   * KPI programs over cells × counters × periods (monitor.h), cells spread
   * over the engine's threads. `history` (cells × kpis × 3 doubles) is
   * updated in place. thresholds / directions: per KPI (NaN / 0 = none).
   */
  kpiEval(
    prog: {
      ops: Int32Array;
      offsets: Uint32Array;
      consts: Float32Array;
      kpis: number;
      thresholds: Float32Array;
      directions: Int8Array;
    },
    data: Float32Array,
    shape: { cells: number; counters: number; periods: number },
    history: Float64Array,
    zThreshold: number,
    minHistory: number,
    perPeriod = true,
    into?: ArrayBuffer,
  ): KpiEvalResult {
    this.open();
    const { cells, counters, periods } = shape;
    const K = prog.kpis;
    if (data.length !== cells * counters * periods)
      throw new ElexError(
        'DIMENSION_MISMATCH',
        `counter data must be ${cells} × ${counters} × ${periods} floats, got ${data.length}`,
      );
    // The counters go into wasm memory a slice of cells at a time, each
    // evaluated while it is still in cache: no copy of the whole batch
    // (77 MB for 1,000 cells × 200 counters × 96 periods) is ever made.
    const perCell = counters * periods;
    const slice = Math.max(1, Math.min(cells, Math.floor(KPI_SLICE_FLOATS / Math.max(1, perCell))));
    return this.scoped((s) => {
      const pOps = s.put(prog.ops),
        pOff = s.put(prog.offsets),
        pConst = s.put(prog.consts),
        pThr = s.put(prog.thresholds),
        pDir = s.put(prog.directions),
        pData = s.alloc(slice * perCell * 4),
        pHist = s.put(history);
      // Per-period values and reasons only when asked for; the statistics come
      // from the evaluation itself, which has each cell in cache.
      const nv = cells * K * periods;
      const pVal = perPeriod ? s.alloc(nv * 4) : 0,
        pWhy = perPeriod ? s.alloc(nv) : 0;
      // The per-KPI and per-counter figures lie in one block, copied out at once.
      const at = kpiOutputLayout(cells, K, counters);
      const pOut = s.alloc(at.bytes);
      const e = this.enginePtr;
      let kernelMs = 0;
      for (let c0 = 0; c0 < cells; c0 += slice) {
        const n = Math.min(slice, cells - c0);
        new Float32Array(this.memory.buffer, pData, n * perCell).set(data.subarray(c0 * perCell, (c0 + n) * perCell));
        // Every output is cell-major: the slice's rows start c0 cells in.
        const t0 = performance.now();
        this.call(
          'evaluating KPIs',
          this.m._elex_kpi_eval(
            e,
            this.putStruct(s, KPI_EVAL_ARGS, {
              ops: pOps,
              offsets: pOff,
              consts: pConst,
              thresholds: pThr,
              directions: pDir,
              data: pData,
              values: perPeriod ? pVal + c0 * K * periods * 4 : 0,
              reasons: perPeriod ? pWhy + c0 * K * periods : 0,
              history: pHist + c0 * K * 3 * 8,
              anomalies: pOut + at.anomalies + c0 * K * 4,
              maxZ: pOut + at.maxZ + c0 * K * 4,
              breaches: pOut + at.breaches + c0 * K * 4,
              nulls: pOut + at.nullCounts + c0 * K * 2 * 4,
              counterStats: pOut + at.counterStats + c0 * counters * 5 * 4,
              kpiStats: pOut + at.kpiStats + c0 * K * 5 * 4,
              kpis: K,
              nConsts: prog.consts.length,
              cells: n,
              counters,
              periods,
              zThreshold,
              minHistory,
            }),
          ),
        );
        kernelMs += performance.now() - t0;
      }
      history.set(new Float64Array(this.memory.buffer, pHist, history.length));
      const out = into && into.byteLength === at.bytes ? into : new ArrayBuffer(at.bytes);
      new Uint8Array(out).set(new Uint8Array(this.memory.buffer, pOut, at.bytes));
      return {
        values: perPeriod ? this.copyOut(Float32Array, pVal, nv) : null,
        reasons: perPeriod ? this.copyOut(Uint8Array, pWhy, nv) : null,
        nullCounts: new Uint32Array(out, at.nullCounts, cells * K * 2),
        anomalies: new Uint32Array(out, at.anomalies, cells * K),
        maxZ: new Float32Array(out, at.maxZ, cells * K),
        breaches: new Uint32Array(out, at.breaches, cells * K),
        kpiStats: new Float32Array(out, at.kpiStats, cells * K * 5),
        counterStats: new Float32Array(out, at.counterStats, cells * counters * 5),
        kernelMs,
      };
    });
  }

  /** @internal packs texts as one UTF-8 blob + offsets in wasm memory. */
  putTexts(s: Scratch, texts: readonly string[]): { blob: number; offsets: number } {
    let units = 0;
    for (const t of texts) {
      if (typeof t !== 'string') throw new ElexError('INVALID_ARGUMENT', 'texts must be strings');
      units += t.length;
    }
    const offsets = new Uint32Array(texts.length + 1);
    // All ASCII (most catalogs): one encodeInto of the texts joined, whose
    // byte offsets are then their lengths added up. (It read everything into
    // `units` bytes only if every unit was one byte.)
    if (units > 4096) {
      const joined = texts.join('');
      const ascii = new Uint8Array(units);
      if (encoder.encodeInto(joined, ascii).read === units) {
        for (let i = 0; i < texts.length; i++) offsets[i + 1] = offsets[i]! + texts[i]!.length;
        return { blob: s.put(ascii), offsets: s.put(offsets) };
      }
    }
    // UTF-8 into one unshared buffer (encodeInto refuses shared memory), at
    // most 3 bytes per UTF-16 unit, then one copy into the module's memory.
    const buf = new Uint8Array(Math.max(1, units * 3));
    let at = 0;
    for (let i = 0; i < texts.length; i++) {
      const t = texts[i]!;
      // ASCII byte by byte: a call and a view per short string cost more
      // than the copy.
      let end = at,
        ascii = true;
      for (let c = 0; c < t.length; c++) {
        const unit = t.charCodeAt(c);
        if (unit >= 0x80) {
          ascii = false;
          break;
        }
        buf[end++] = unit;
      }
      at = ascii ? end : at + encoder.encodeInto(t, buf.subarray(at)).written;
      offsets[i + 1] = at;
    }
    return { blob: s.put(buf.subarray(0, Math.max(1, at))), offsets: s.put(offsets) };
  }

  /** @internal */
  module_(): ElexModule {
    return this.m;
  }

  private putCode(s: Scratch, code: string): [number, number] {
    const bytes = encoder.encode(checkCode(code));
    return [s.put(bytes), bytes.length];
  }

  /** @internal Copies out a malloc'ed (ptr, size) pair at `out` and frees it. */
  takeBuffer(s: Scratch, out: number): Uint8Array {
    const u = this.u32();
    const [ptr, size] = [u[out >>> 2]!, u[(out >>> 2) + 1]!];
    s.own(ptr);
    return this.copyOut(Uint8Array, ptr, size);
  }

  /**
   * Benchmark aid: learning operation `op` (engine/src/api/bench_learn.cpp) on
   * seeded state of size n, run `reps` times in wasm. Returns ms per rep
   * and the op's figures (out[1..3]).
   */
  benchLearn(op: number, n: number, reps: number): { msPerRep: number; out: number[] } {
    const bench = this.bench('benchLearn');
    return this.scoped((s) => {
      this.call('preparing a learning bench', bench._elex_bench_learn_prepare(op, n));
      const out = s.alloc(32);
      const t0 = performance.now();
      this.call('running a learning bench', bench._elex_bench_learn_run(op, reps, out));
      const ms = performance.now() - t0;
      return { msPerRep: ms / reps, out: Array.from(this.cached().f64.subarray(out >>> 3, (out >>> 3) + 4)) };
    });
  }

  /**
   * Benchmark aid: gives this instance the agents "FAJ 121 3000"… (the first
   * `agents`, those hosted by worker `worker` of `workers`) with `states`
   * rewarded states each.
   */
  benchPopulate(agents: number, states: number, worker = 0, workers = 1): void {
    const bench = this.bench('benchPopulate');
    this.call('populating agents', bench._elex_bench_populate(this.enginePtr, agents, states, worker, workers));
  }

  /** Benchmark aid: allocator figures, live heap bytes and wasm memory size. Bench builds only. */
  heap(): { liveBytes: number; heapBytes: number } {
    const bench = this.bench('heap');
    return this.scoped((s) => {
      const out = s.alloc(16);
      bench._elex_bench_heap(out);
      const f = this.cached().f64;
      return { liveBytes: f[out >>> 3]!, heapBytes: f[(out >>> 3) + 1]! };
    });
  }

  /** Frees the engine. The bindings cannot be used afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.m._elex_engine_destroy(this.enginePtr);
    this.enginePtr = 0;
    if (this.block) this.m._elex_free(this.block);
    this.block = 0;
  }

  /** @internal the index handle's way in */
  indexCall<T>(fn: (m: ElexModule, s: Scratch, engine: number) => T): T {
    this.open();
    return this.scoped((s) => fn(this.m, s, this.enginePtr));
  }
  /** @internal */
  check(what: string, status: number): void {
    this.call(what, status);
  }
  /** @internal */
  view(): { u8: Uint8Array; u32: Uint32Array; f32: Float32Array; f64: Float64Array } {
    return this.cached();
  }
  /** @internal the struct `layout` (ts/generated/abi.ts) at `ptr` in wasm memory. */
  readStruct<L extends StructLayout>(layout: L, ptr: number): StructValue<L> {
    return readStruct(layout, this.memory.buffer, ptr);
  }
  /** @internal `n` structs `layout` one after the other from `ptr`. */
  readStructs<L extends StructLayout>(layout: L, ptr: number, n: number): StructValue<L>[] {
    return readStructs(layout, this.memory.buffer, ptr, n);
  }
  /** @internal the struct `layout` written at `ptr` in wasm memory. */
  writeStruct<L extends StructLayout>(layout: L, ptr: number, values: StructValue<L>): void {
    writeStruct(layout, this.memory.buffer, ptr, values);
  }
  /** @internal a struct written into scratch memory; its address. */
  putStruct<L extends StructLayout>(s: Scratch, layout: L, values: StructValue<L>): number {
    const ptr = s.alloc(layout.bytes);
    writeStruct(layout, this.memory.buffer, ptr, values);
    return ptr;
  }
  /** @internal */
  copy<T extends Uint8Array | Float32Array | Uint32Array>(
    Ctor: { new (n: number): T; BYTES_PER_ELEMENT: number },
    ptr: number,
    length: number,
  ): T {
    return this.copyOut(Ctor, ptr, length);
  }

  // ------------------------------------------------------------ internals

  private batch(input: DistanceBatchInput, reference: boolean): DistanceBatchOutput {
    this.open();
    const { queries, vectors, dim } = input;
    const mid = metricId(input.metric);
    checkPositiveInt('dim', dim, MAX_DIM);
    if (!isTyped(queries, 'Float32Array') || !isTyped(vectors, 'Float32Array'))
      throw new ElexError('INVALID_ARGUMENT', 'queries and vectors must be Float32Arrays');
    if (queries.length % dim !== 0 || vectors.length % dim !== 0)
      throw new ElexError(
        'DIMENSION_MISMATCH',
        `queries (${queries.length} floats) and vectors (${vectors.length} floats) must both be whole numbers of ${dim}-vectors`,
      );
    const nq = queries.length / dim,
      nv = vectors.length / dim;
    if (nq * nv > 2 ** 28)
      throw new ElexError(
        'INVALID_ARGUMENT',
        `${nq} × ${nv} distances is too many for one batch (at most 2^28); split it`,
      );
    return this.scoped((s) => {
      const out = s.alloc(nq * nv * 4),
        used = s.alloc(4);
      const args = this.putStruct(s, DISTANCE_BATCH_ARGS, {
        queries: s.put(queries),
        vectors: s.put(vectors),
        out,
        metric: mid,
        nq,
        nv,
        dim,
      });
      const status = reference
        ? this.m._elex_distance_batch_reference(args)
        : this.m._elex_distance_batch(this.enginePtr, args, used);
      this.call('distance batch', status);
      return {
        distances: this.copyOut(Float32Array, out, nq * nv),
        nq,
        nv,
        threadsUsed: reference ? 1 : this.u32()[used >>> 2]!,
      };
    });
  }

  /** The call helper: a non-zero status becomes an ElexError with the engine's message. */
  private call(what: string, status: number): void {
    if (status === 0) return;
    const detail = this.m.UTF8ToString(this.m._elex_last_error());
    throw new ElexError(codeForStatus(status), `${what} failed: ${detail || 'no detail'}`);
  }

  private open(): void {
    if (this.closed) throw new ElexError('CLOSED', 'these bindings were closed');
  }

  // Views are cached per buffer: memory may grow (with threads, another
  // thread may grow it), which gives memory.buffer a new identity.
  private views?: { buffer: ArrayBufferLike; u8: Uint8Array; u32: Uint32Array; f32: Float32Array; f64: Float64Array };
  private cached() {
    const buffer = this.memory.buffer;
    if (this.views?.buffer !== buffer)
      this.views = {
        buffer,
        u8: new Uint8Array(buffer),
        u32: new Uint32Array(buffer),
        f32: new Float32Array(buffer),
        f64: new Float64Array(buffer),
      };
    return this.views;
  }
  private u8(): Uint8Array {
    return this.cached().u8;
  }
  private u32(): Uint32Array {
    return this.cached().u32;
  }
  private f32(): Float32Array {
    return this.cached().f32;
  }

  private copyOut<T extends Uint8Array | Float32Array | Uint32Array>(
    Ctor: { new (n: number): T; BYTES_PER_ELEMENT: number },
    ptr: number,
    length: number,
  ): T {
    // Copy into a fresh, transferable (non-shared) buffer.
    const out = new Ctor(length);
    out.set(
      new (Ctor as unknown as new (b: ArrayBufferLike, o: number, n: number) => T)(this.memory.buffer, ptr, length),
    );
    return out;
  }

  // Small per-call buffers come from one persistent block (bump allocated,
  // 16-byte aligned); larger ones are malloc'ed and freed after the call.
  private block = 0;
  private blockSize = 0;
  private static readonly BLOCK_BYTES = 256 * 1024;
  private depth = 0; // a nested scope must not reuse the outer scope's block

  /** Runs fn with a scratch allocator whose blocks are all released afterwards. */
  private scoped<T>(fn: (s: Scratch) => T): T {
    const owned: number[] = [];
    if (this.block === 0) {
      const p = this.m._elex_alloc(Bindings.BLOCK_BYTES);
      if (p !== 0) ((this.block = p), (this.blockSize = Bindings.BLOCK_BYTES));
    }
    let used = this.depth > 0 ? this.blockSize : 0;
    this.depth++;
    const scratch: Scratch = {
      alloc: (bytes) => {
        const size = (Math.max(bytes, 1) + 15) & ~15;
        if (this.block !== 0 && used + size <= this.blockSize) {
          const p = this.block + used;
          used += size;
          return p;
        }
        const p = this.m._elex_alloc(bytes);
        if (p === 0)
          throw new ElexError(
            'OUT_OF_MEMORY',
            `the wasm module could not allocate ${bytes} bytes (its memory is capped); use smaller batches`,
          );
        owned.push(p);
        return p;
      },
      put: (arr) => {
        const p = scratch.alloc(Math.max(arr.byteLength, 1));
        this.u8().set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength), p);
        return p;
      },
      own: (p) => {
        if (p) owned.push(p);
      },
    };
    try {
      return fn(scratch);
    } finally {
      this.depth--;
      for (const p of owned) this.m._elex_free(p);
    }
  }
}

/**
 * Where kpiEval() puts its per-KPI and per-counter figures: byte offsets in
 * one buffer of `bytes` (4-byte elements, in this order).
 */
export function kpiOutputLayout(
  cells: number,
  kpis: number,
  counters: number,
): {
  anomalies: number;
  maxZ: number;
  breaches: number;
  nullCounts: number;
  kpiStats: number;
  counterStats: number;
  bytes: number;
} {
  const ck = cells * kpis * 4;
  return {
    anomalies: 0,
    maxZ: ck,
    breaches: 2 * ck,
    nullCounts: 3 * ck,
    kpiStats: 5 * ck,
    counterStats: 10 * ck,
    bytes: 10 * ck + cells * counters * 20,
  };
}

/**
 * What kpiEval() gives: per cell and KPI, in the batch's cell order. The
 * per-KPI and per-counter arrays are views of one buffer (kpiOutputLayout).
 */
export interface KpiEvalResult {
  /** cells × kpis × periods; NaN where the value is null (null unless perPeriod). */
  values: Float32Array | null;
  /** Same shape: 0 ok, 1 missing counter sample, 2 division by zero (null unless perPeriod). */
  reasons: Uint8Array | null;
  /** cells × kpis × 2: null values for a missing sample, for a division by zero. */
  nullCounts: Uint32Array;
  /** cells × kpis: periods that are anomalies against the cell's history. */
  anomalies: Uint32Array;
  maxZ: Float32Array;
  /** cells × kpis: periods on the wrong side of the catalog threshold. */
  breaches: Uint32Array;
  /** cells × kpis × 5: count, sum, mean, min, max of the non-null values. */
  kpiStats: Float32Array;
  /** cells × counters × 5, over the periods, missing samples skipped. */
  counterStats: Float32Array;
  /** ms in the evaluation call (counters already in wasm memory). */
  kernelMs: number;
}

/** Where a record (or section) lies in a HeapBlock. */
export interface RecordSpan {
  offset: number;
  size: number;
}

/** Bytes in wasm memory owned by the caller (Bindings.allocBlock, snapshotBlock). */
export interface HeapBlock {
  readonly ptr: number;
  readonly size: number;
  /** A view of the bytes; take a new one after any call into wasm (memory may have grown). */
  view(): Uint8Array;
  /** Gives the bytes back (idempotent). */
  free(): void;
}

export interface Scratch {
  alloc(bytes: number): number;
  put(arr: ArrayBufferView): number;
  own(ptr: number): void;
}

/**
 * An engine object behind a same-thread handle: its pointer, freed once by
 * close(); a call after close() is CLOSED.
 */
abstract class NativeHandle {
  constructor(
    protected readonly b: Bindings,
    private ptr: number,
    private readonly what: string,
  ) {}

  /** Frees the engine object (once). */
  close(): void {
    if (this.ptr === 0) return;
    const p = this.ptr;
    this.ptr = 0;
    this.b.indexCall((m) => this.destroy(m, p));
  }

  /** @internal */
  protected abstract destroy(m: ElexModule, ptr: number): void;

  protected live(): number {
    if (this.ptr === 0) throw new ElexError('CLOSED', `this ${this.what} was closed`);
    return this.ptr;
  }
}

/**
 * An HNSW index in a same-thread instance. The same methods as the engine's
 * sharded index, called synchronously. Inputs are copied into wasm memory;
 * results are fresh arrays.
 */
export class IndexHandle extends NativeHandle {
  /** @internal */
  dimension: number;

  /** @internal use Bindings.createIndex / loadIndex */
  constructor(b: Bindings, ptr: number, dim: number) {
    super(b, ptr, 'index');
    this.dimension = dim;
  }

  get dim(): number {
    return this.dimension;
  }

  /**
   * Adds vectors (row-major, dim floats each) under the caller's ids; all or
   * nothing. `parallel: false` builds on one thread: slower, but the graph
   * (and so every later search) is the same on every run.
   */
  add(
    ids: Uint32Array | readonly number[],
    vectors: Float32Array,
    options: { parallel?: boolean } = {},
  ): { added: number; size: number } {
    const idArr = checkIds(ids);
    checkVectors(vectors, this.dimension, idArr.length, 'vectors');
    this.b.indexCall((m, s, engine) => {
      const pi = s.put(idArr),
        pv = s.put(vectors);
      const pool = options.parallel === false ? 0 : engine;
      this.b.check('adding to the index', m._elex_index_add(pool, this.live(), pi, idArr.length, pv, vectors.length));
    });
    return { added: idArr.length, size: this.stats().size };
  }

  /** The k nearest items to each query. */
  search(queries: Float32Array, k: number, options: SearchOptions = {}): SearchResult {
    checkK(k);
    const nq = checkVectors(queries, this.dimension, null, 'queries');
    const { ef, exact, rerank } = resolveSearch(k, options);
    return this.b.indexCall((m, s, engine) => {
      const ids = s.alloc(nq * k * 4),
        dist = s.alloc(nq * k * 4);
      const args = this.b.putStruct(s, INDEX_SEARCH_ARGS, {
        floats: queries.length,
        queries: s.put(queries),
        outIds: ids,
        outDist: dist,
        k,
        ef,
        exact,
        rerank,
        reserved: 0,
      });
      this.b.check('searching the index', m._elex_index_search(engine, this.live(), args));
      return { ids: this.b.copy(Uint32Array, ids, nq * k), distances: this.b.copy(Float32Array, dist, nq * k), nq, k };
    });
  }

  /**
   * Allocates room for `items` vectors (removed ones included) now, so adds up
   * to that size never move the index in memory. Without it a growing index
   * moves its arrays by half again each time, and a move needs the old and
   * the new block at once: at a million vectors that transient, not the
   * index, is what outgrows the tab's memory. No-op below the room held.
   * `stats().bytes` counts the room from now on.
   */
  reserve(items: number): void {
    if (!Number.isInteger(items) || items < 0 || items > 0x7ffffffe)
      throw new ElexError('INVALID_ARGUMENT', `items must be an integer from 0 to 2^31 - 2, got ${String(items)}`);
    this.b.indexCall((m) => this.b.check('reserving index room', m._elex_index_reserve(this.live(), items)));
  }

  /** How many bytes `stats().bytes` grows by when `n` vectors are added now (the memory budget reserves it). */
  addBytes(n: number): number {
    if (!Number.isInteger(n) || n < 0 || n > 0x7ffffffe)
      throw new ElexError('INVALID_ARGUMENT', `n must be an integer from 0 to 2^31 - 2, got ${String(n)}`);
    return this.b.indexCall((m, s) => {
      const out = s.alloc(8);
      this.b.check('estimating an add', m._elex_index_add_bytes(this.live(), n, out));
      return this.b.view().f64[out >>> 3]!;
    });
  }

  /** Removes ids (unknown ones are skipped); returns how many were removed. */
  remove(ids: Uint32Array | readonly number[]): number {
    const idArr = checkIds(ids);
    return this.b.indexCall((m, s) => {
      const pi = s.put(idArr),
        out = s.alloc(4);
      this.b.check('removing from the index', m._elex_index_remove(this.live(), pi, idArr.length, out));
      return this.b.view().u32[out >>> 2]!;
    });
  }

  stats(): IndexStats {
    return this.b.indexCall((m, s) => {
      const out = s.alloc(INDEX_STATS.bytes);
      this.b.check('reading index stats', m._elex_index_stats(this.live(), out));
      const st = this.b.readStruct(INDEX_STATS, out);
      return {
        size: st.live,
        nodes: st.nodes,
        bytes: st.bytes,
        bytesPerVector: st.live > 0 ? st.bytes / st.live : 0,
        maxLevel: st.maxLevel,
        dim: st.dim,
        M: st.m,
        efConstruction: st.efConstruction,
        metric: METRIC_NAMES[st.metric]!,
        quantization: QUANTIZATIONS[st.quantization] ?? 'none',
      };
    });
  }

  /** The index as bytes (an ELEX container): load them with Bindings.loadIndex. */
  save(): Uint8Array {
    return this.b.indexCall((m, s) => {
      const out = s.alloc(8);
      this.b.check('saving the index', m._elex_index_serialize(this.live(), out, out + 4));
      const u = this.b.view().u32;
      const [ptr, size] = [u[out >>> 2]!, u[(out >>> 2) + 1]!];
      s.own(ptr);
      return this.b.copy(Uint8Array, ptr, size);
    });
  }

  /** @internal */
  protected destroy(m: ElexModule, ptr: number): void {
    m._elex_index_destroy(ptr);
  }
}

/** A text embedder in a same-thread instance. */
export class EmbedderHandle extends NativeHandle {
  constructor(
    b: Bindings,
    ptr: number,
    readonly dim: number,
  ) {
    super(b, ptr, 'embedder');
  }

  /** Learns IDF from the documents (replaces an earlier fit). */
  fit(texts: readonly string[]): void {
    this.b.indexCall((m, s) => {
      const { blob, offsets } = this.b.putTexts(s, texts);
      this.b.check('fitting the embedder', m._elex_embedder_fit(this.live(), blob, offsets, texts.length));
    });
  }

  /** Normalised embeddings, texts.length × dim. */
  embed(texts: readonly string[]): Float32Array {
    return this.b.indexCall((m, s) => {
      const { blob, offsets } = this.b.putTexts(s, texts);
      const out = s.alloc(texts.length * this.dim * 4);
      this.b.check('embedding', m._elex_embed(this.live(), blob, offsets, texts.length, out));
      return this.b.copy(Float32Array, out, texts.length * this.dim);
    });
  }

  stats(): { dim: number; documents: number; vocabulary: number; bytes: number } {
    return this.b.indexCall((m, s) => {
      const out = s.alloc(EMBEDDER_STATS.bytes);
      this.b.check('reading embedder stats', m._elex_embedder_stats(this.live(), out));
      return this.b.readStruct(EMBEDDER_STATS, out);
    });
  }

  /** @internal */
  protected destroy(m: ElexModule, ptr: number): void {
    m._elex_embedder_destroy(ptr);
  }
}

/** The fields of a lexical document (lexical.h Field). */
export const LEXICAL_FIELDS = LEXICAL_FIELD;
export type LexicalField = keyof typeof LEXICAL_FIELDS;

/** A lexical routing index in the engine: documents are features 0 … n − 1. */
export class LexicalHandle extends NativeHandle {
  constructor(b: Bindings, ptr: number) {
    super(b, ptr, 'lexical index');
  }

  /** Adds texts to documents' fields (texts add up). */
  add(entries: readonly { doc: number; field: LexicalField; text: string }[]): void {
    this.b.indexCall((m, s) => {
      const { blob, offsets } = this.b.putTexts(
        s,
        entries.map((e) => e.text),
      );
      const docs = s.put(Uint32Array.from(entries, (e) => e.doc));
      const fields = s.put(Uint32Array.from(entries, (e) => LEXICAL_FIELDS[e.field]));
      this.b.check(
        'adding to the lexical index',
        m._elex_lexical_add(this.live(), blob, offsets, docs, fields, entries.length),
      );
    });
  }

  /** Glossary entries: each term means its expansion (used both ways). */
  glossary(entries: readonly (readonly [string, string])[]): void {
    this.b.indexCall((m, s) => {
      const { blob, offsets } = this.b.putTexts(s, entries.flat());
      this.b.check('adding glossary entries', m._elex_lexical_glossary(this.live(), blob, offsets, entries.length));
    });
  }

  /** Builds the index; add() and glossary() are refused afterwards. */
  finish(): { documents: number; terms: number; glossary: number; bytes: number } {
    return this.b.indexCall((m, s) => {
      const out = s.alloc(LEXICAL_STATS.bytes);
      this.b.check('building the lexical index', m._elex_lexical_finish(this.live(), out));
      return this.b.readStruct(LEXICAL_STATS, out);
    });
  }

  /** The best k documents for a text (BM25F score > 0), best first. */
  search(text: string, k: number): { docs: Uint32Array; scores: Float32Array } {
    return this.b.indexCall((m, s) => {
      const bytes = new TextEncoder().encode(text);
      const p = s.put(bytes),
        hits = s.alloc(Math.max(1, k) * LEXICAL_HIT.bytes),
        found = s.alloc(4);
      this.b.check('searching the lexical index', m._elex_lexical_search(this.live(), p, bytes.length, k, hits, found));
      const read = this.b.readStructs(LEXICAL_HIT, hits, this.b.view().u32[found >>> 2]!);
      return { docs: Uint32Array.from(read, (h) => h.doc), scores: Float32Array.from(read, (h) => h.score) };
    });
  }

  /** @internal */
  protected destroy(m: ElexModule, ptr: number): void {
    m._elex_lexical_destroy(ptr);
  }
}

/** Item kinds of a router spec (router.h ItemKind; features are not items of a spec). */
const ROUTER_ITEM_KINDS: Readonly<Record<Exclude<keyof typeof ROUTER_ITEM_KIND, 'feature'>, number>> = ROUTER_ITEM_KIND;

/**
 * How the router's evidence adds up into a feature's score: the cosine
 * similarity of its profile, its strongest exact hit (scaled by how
 * specific the hit is), and its BM25F score (divided by the question's
 * best) give their weighted sum over the sum of their weights, in [0, 1];
 * the feedback evidence, times its weight, is added to that, and for the
 * best candidates the item evidence times its weight; the sum is squashed
 * into [0, 1] keeping its order (router.h). Chosen on the dev split of eval/facts-questions.json
 * and the synthetic set (npm run bench:route prints both, and the
 * ablations).
 */
export interface RouteWeights {
  vector: number;
  exact: number;
  lexical: number;
  /** Weight of the feedback signal (added to the fused score, which is then clamped to [0, 1]). */
  feedback: number;
  /** Weight of the item signal (added likewise, to the best max(k, 8) candidates). */
  item: number;
  /**
   * Subtracted from a feature's score when the question names a radio
   * technology (LTE, eNodeB, eNB, E-UTRAN, 4G; NR, gNodeB, gNB, en-gNB, 5G)
   * and the feature's parameters and counters belong only to the other one.
   */
  technology: number;
  /**
   * Weight of the link direction: when the question says uplink (UL,
   * uplink) and not downlink (DL, downlink), or the other way round, a
   * feature whose name says the same direction gains this weight, one whose
   * name says the other loses it; a feature whose name says neither moves by
   * its parameters and counters: (u − d) / (u + d + 2) of the weight, with u
   * and d the ones whose attribute names UL or DL. Added to the fused score.
   */
  direction: number;
}

/** What createRouter() builds a router from (a catalog, flattened). */
export interface RouterSpec {
  dim: number;
  weights: RouteWeights;
  features: readonly { code: string; name?: string; acronym?: string; category?: string; description?: string }[];
  /** Per feature: routed to by this router. */
  hosted: readonly boolean[];
  /** Parameters, counters and KPIs; item number = features.length + index. */
  items: readonly {
    kind: keyof typeof ROUTER_ITEM_KINDS;
    name: string;
    description?: string;
    features: readonly number[];
  }[];
  /** Per feature, its own items (indexes into items). */
  featureItems: readonly (readonly number[])[];
  glossary: readonly (readonly [string, string])[];
}

/**
 * A router spec as the engine reads it (elex_router_spec): texts = five per
 * feature (code, name, acronym, category, description; '' when absent),
 * then name and description per item, then term and meaning per glossary
 * entry; the lists as CSR arrays (offsets of n + 1 entries).
 */
export interface FlatRouterSpec {
  dim: number;
  weights: RouterSpec['weights'];
  features: number;
  items: number;
  glossary: number;
  texts: readonly string[];
  /** Per feature: 1 = routed to by this router. */
  hosted: Uint8Array;
  /** Per item: ROUTER_ITEM_KIND (1..3). */
  itemKinds: Uint8Array;
  /** Item i's linked features (feature numbers). */
  itemFeatureOffsets: Uint32Array;
  itemFeatures: Uint32Array;
  /** Feature f's own items (item numbers among the items). */
  featureItemOffsets: Uint32Array;
  featureItems: Uint32Array;
}

/** A RouterSpec as its flat form. */
export function flattenRouterSpec(spec: RouterSpec): FlatRouterSpec {
  const texts: string[] = [];
  for (const f of spec.features)
    texts.push(f.code, f.name ?? '', f.acronym ?? '', f.category ?? '', f.description ?? '');
  for (const it of spec.items) texts.push(it.name, it.description ?? '');
  for (const [term, means] of spec.glossary) texts.push(term, means);
  const csr = (lists: readonly (readonly number[])[]) => {
    const off = new Uint32Array(lists.length + 1);
    lists.forEach((l, i) => (off[i + 1] = off[i]! + l.length));
    const flat = new Uint32Array(off[lists.length]!);
    let at = 0;
    for (const l of lists) for (const x of l) flat[at++] = x;
    return { off, flat };
  };
  const itemFeatures = csr(spec.items.map((it) => it.features));
  const featureItems = csr(spec.featureItems);
  return {
    dim: spec.dim,
    weights: spec.weights,
    features: spec.features.length,
    items: spec.items.length,
    glossary: spec.glossary.length,
    texts,
    hosted: Uint8Array.from(spec.hosted, (h) => (h ? 1 : 0)),
    itemKinds: Uint8Array.from(spec.items, (it) => ROUTER_ITEM_KINDS[it.kind]),
    itemFeatureOffsets: itemFeatures.off,
    itemFeatures: itemFeatures.flat,
    featureItemOffsets: featureItems.off,
    featureItems: featureItems.flat,
  };
}

/** The evidence a routed feature was scored on. */
export interface RouteEvidence {
  /** Cosine similarity of the question to the feature's profile, in [0, 1]. */
  vector: number;
  /** Strongest exact hit (code, acronym, name, identifier), scaled by how specific it is, in [0, 1]. */
  exact: number;
  /** BM25F score divided by the question's best, in [0, 1]. */
  lexical: number;
  /** Past feedback on the feature for similar questions, in [-1, 1]: above 0 raised it, below 0 lowered it. */
  feedback: number;
  /** The share of the question's words its best parameter, counter or KPI holds, in [0, 1]. */
  item: number;
  /**
   * −1 when the question names a radio technology (LTE or NR) and the
   * feature's parameters and counters belong only to the other one, else 0.
   */
  technology: number;
  /**
   * The question's link direction (+1 uplink, −1 downlink, 0 neither or
   * both) times the feature's (RouteWeights.direction), in [−1, 1]: above 0
   * raised it, below 0 lowered it.
   */
  direction: number;
}

/** One routed feature as the engine ranks it (elex_route_feature). */
export interface RoutedRaw {
  feature: number;
  score: number;
  evidence: RouteEvidence;
  /** Item numbers (features first), exactness and score. */
  matched: { item: number; exact: boolean; score: number }[];
  /**
   * Which of `matched` its feature card shows, in card order (the engine's
   * answer assembly, engine/include/elex/ran/answer.h): 4 bits per entry from
   * the low end, each 1 + an index into `matched`; 0 ends. cardMatches()
   * decodes it.
   */
  card: number;
}

const RF = ROUTE_FEATURE.fields,
  RM = ROUTE_MATCH.fields;

/**
 * The routed features elex_router_route wrote: `n` elex_route_feature at
 * `features` and their `nMatches` elex_route_match at `matches`, read
 * straight from the heap's views at the offsets of the generated layouts
 * (what readStructs() gives, without a DataView and a field walk per
 * struct: this runs once per question).
 */
function readRouted(
  u32: Uint32Array,
  f64: Float64Array,
  features: number,
  n: number,
  matches: number,
  nMatches: number,
): RoutedRaw[] {
  if ((features | matches) & 7) {
    // Not 8-byte aligned (the scratch block always is): the generic reader.
    const buffer = u32.buffer;
    const all = readStructs(ROUTE_MATCH, buffer, matches, nMatches);
    return readStructs(ROUTE_FEATURE, buffer, features, n).map((f) => ({
      feature: f.feature,
      score: f.score,
      evidence: {
        vector: f.vector,
        exact: f.exact,
        lexical: f.lexical,
        feedback: f.feedback,
        item: f.item,
        technology: f.technology,
        direction: f.direction,
      },
      matched: all
        .slice(f.matchedBegin, f.matchedBegin + f.matchedCount)
        .map((x) => ({ item: x.item, exact: x.exact === 1, score: x.score })),
      card: f.card,
    }));
  }
  const out: RoutedRaw[] = new Array<RoutedRaw>(n);
  for (let i = 0; i < n; i++) {
    const at = features + i * ROUTE_FEATURE.bytes;
    const w = at >>> 2,
      d = at >>> 3;
    const begin = u32[w + (RF.matchedBegin.offset >> 2)]!;
    const count = Math.min(u32[w + (RF.matchedCount.offset >> 2)]!, Math.max(0, nMatches - begin));
    const matched: RoutedRaw['matched'] = new Array<RoutedRaw['matched'][number]>(count);
    for (let j = 0; j < count; j++) {
      const m = matches + (begin + j) * ROUTE_MATCH.bytes;
      matched[j] = {
        item: u32[(m >>> 2) + (RM.item.offset >> 2)]!,
        exact: u32[(m >>> 2) + (RM.exact.offset >> 2)] === 1,
        score: f64[(m >>> 3) + (RM.score.offset >> 3)]!,
      };
    }
    out[i] = {
      feature: u32[w + (RF.feature.offset >> 2)]!,
      score: f64[d + (RF.score.offset >> 3)]!,
      evidence: {
        vector: f64[d + (RF.vector.offset >> 3)]!,
        exact: f64[d + (RF.exact.offset >> 3)]!,
        lexical: f64[d + (RF.lexical.offset >> 3)]!,
        feedback: f64[d + (RF.feedback.offset >> 3)]!,
        item: f64[d + (RF.item.offset >> 3)]!,
        technology: f64[d + (RF.technology.offset >> 3)]!,
        direction: f64[d + (RF.direction.offset >> 3)]!,
      },
      matched,
      card: u32[w + (RF.card.offset >> 2)]!,
    };
  }
  return out;
}

/** The indexes into `matched` that a RoutedRaw.card code lists, in card order. */
export function cardMatches(card: number): number[] {
  const out: number[] = [];
  for (let c = card >>> 0; (c & 15) !== 0; c >>>= 4) out.push((c & 15) - 1);
  return out;
}

/** A routed question: its features and the engine's classification over them. */
export interface RoutedQuestion {
  features: RoutedRaw[];
  type: QueryType;
  complexity: Complexity;
}

/** A candidate as Bindings.classify() reads it: its score and its matched items. */
export interface ClassifyCandidate {
  score: number;
  matched: readonly { kind: 'feature' | 'parameter' | 'counter' | 'kpi'; exact: boolean; score: number }[];
}

/** A question router in the engine (elex_router). */
export class RouterHandle extends NativeHandle {
  constructor(
    b: Bindings,
    ptr: number,
    readonly dim: number,
  ) {
    super(b, ptr, 'router');
  }

  /** The best k hosted features for a question; `vector` (dim floats) gets its embedding. */
  route(text: string, k: number, vector?: Float32Array): RoutedRaw[] {
    return this.routeQuery(text, k, vector).features;
  }

  /**
   * route(), and the question's type and complexity over the features found
   * (the engine's classifier, engine/include/elex/ran/classify.h): one call.
   */
  routeQuery(text: string, k: number, vector?: Float32Array): RoutedQuestion {
    return this.b.indexCall((m, s) => {
      const bytes = encoder.encode(text);
      const p = s.put(bytes),
        features = s.alloc(ROUTE_FEATURE.bytes * k),
        matches = s.alloc(ROUTE_MATCH.bytes * 8 * k),
        counts = s.alloc(16),
        vec = vector ? s.alloc(4 * this.dim) : 0;
      this.b.check(
        'routing a question',
        m._elex_router_route(this.live(), p, bytes.length, k, features, matches, counts, vec),
      );
      const { u32, f32, f64 } = this.b.view();
      const c = counts >>> 2;
      const out = readRouted(u32, f64, features, u32[c]!, matches, u32[c + 1]!);
      if (vector) vector.set(f32.subarray(vec >>> 2, (vec >>> 2) + this.dim));
      return { features: out, type: QUERY_TYPES[u32[c + 2]!]!, complexity: COMPLEXITIES[u32[c + 3]!]! };
    });
  }

  /** The built state (not the route memory): Bindings.loadRouter() of it skips the build. */
  save(): Uint8Array {
    return this.b.indexCall((m, s) => {
      const out = s.alloc(8);
      this.b.check('saving the router', m._elex_router_save(this.live(), out, out + 4));
      return this.b.takeBuffer(s, out);
    });
  }

  /** A question's embedding (as route() gives it). */
  embed(text: string): Float32Array {
    return this.b.indexCall((m, s) => {
      const bytes = encoder.encode(text);
      const out = s.alloc(4 * this.dim);
      this.b.check('embedding a question', m._elex_router_embed(this.live(), s.put(bytes), bytes.length, out));
      return this.b.view().f32.slice(out >>> 2, (out >>> 2) + this.dim);
    });
  }

  /** Remembers rated questions (ids unique; features hosted; rewards in [-1, 1], not 0). */
  remember(ids: Uint32Array, features: Uint32Array, rewards: Float32Array, texts: readonly string[]): void {
    this.b.indexCall((m, s) => {
      const { blob, offsets } = this.b.putTexts(s, texts);
      this.b.check(
        'remembering rated questions',
        m._elex_router_remember(this.live(), s.put(ids), s.put(features), s.put(rewards), blob, offsets, ids.length),
      );
    });
  }

  /** Forgets remembered questions by id. */
  forget(ids: Uint32Array): void {
    if (ids.length === 0) return;
    this.b.indexCall((m, s) =>
      this.b.check('forgetting rated questions', m._elex_router_forget(this.live(), s.put(ids), ids.length)),
    );
  }

  /**
   * Makes the route memory give way to the memory budget: forgets the oldest
   * rated questions until it holds at least `freeBytes` fewer bytes (all of
   * them if it holds no more), counting `hostBytes` per question that the
   * caller keeps beside the router, freed at once. `forgotten`: their ids,
   * oldest first, also when it failed part-way (`error`: then the bytes may
   * not have fallen).
   */
  trim(freeBytes: number, hostBytes: number, remembered: number): { forgotten: Uint32Array; error: unknown } {
    return this.b.indexCall((m, s) => {
      const out = s.alloc(4 * Math.max(1, remembered)),
        n = s.alloc(4);
      const st = m._elex_router_trim(this.live(), Math.ceil(freeBytes), hostBytes, out, remembered, n);
      const u32 = this.b.view().u32;
      const forgotten = u32.slice(out >>> 2, (out >>> 2) + u32[n >>> 2]!);
      try {
        this.b.check('making the route memory give way', st);
        return { forgotten, error: null };
      } catch (error) {
        return { forgotten, error };
      }
    });
  }

  stats(): {
    features: number;
    hosted: number;
    memories: number;
    bytes: number;
    phases: { lexical: number; exact: number; vectors: number; items: number };
  } {
    return this.b.indexCall((m, s) => {
      const out = s.alloc(ROUTER_STATS.bytes);
      this.b.check('reading router stats', m._elex_router_stats(this.live(), out));
      const st = this.b.readStruct(ROUTER_STATS, out);
      return {
        features: st.features,
        hosted: st.hosted,
        memories: st.remembered,
        bytes: st.bytes,
        phases: { lexical: st.lexicalMs, exact: st.exactMs, vectors: st.vectorsMs, items: st.itemsMs },
      };
    });
  }

  /**
   * The catalog as the router holds it (elex_router_items): every item's
   * name and kind (features first, named by their codes), the features'
   * names and the hosted features' numbers. A router loaded from a saved
   * state names its results from these, before the catalog is parsed.
   */
  items(): RouterItems {
    return this.b.indexCall((m, s) => {
      const out = s.alloc(ROUTER_ITEMS.bytes);
      this.b.check('reading the router items', m._elex_router_items(this.live(), out));
      const st = this.b.readStruct(ROUTER_ITEMS, out);
      const { u8, u32 } = this.b.view();
      const offsets = (ptr: number, n: number) => u32.slice(ptr >>> 2, (ptr >>> 2) + n + 1);
      const nameOffsets = offsets(st.nameOffsets, st.items);
      return {
        names: new Utf8Names(u8.slice(st.names, st.names + nameOffsets[st.items]!), nameOffsets),
        codes: utf8Strings(u8, st.names, nameOffsets.subarray(0, Math.min(st.features, st.items) + 1)),
        kinds: u8.slice(st.kinds, st.kinds + st.items),
        counts: { features: st.featureKinds, parameters: st.parameters, counters: st.counters, kpis: st.kpis },
        featureNames: utf8Strings(u8, st.featureNames, offsets(st.featureNameOffsets, st.features)),
        hosted: u32.slice(st.hosted >>> 2, (st.hosted >>> 2) + st.hostedCount),
      };
    });
  }

  /** @internal */
  protected destroy(m: ElexModule, ptr: number): void {
    m._elex_router_destroy(ptr);
  }
}

const encoder = new TextEncoder();

/** What RouterHandle.items() gives. */
export interface RouterItems {
  /** Per item (features first: their codes, then parameters, counters, KPIs): its name. */
  names: Utf8Names;
  /** The features' codes (the first names). */
  codes: string[];
  /** Per item: its ROUTER_ITEM_KIND. */
  kinds: Uint8Array;
  /** How many items are of each kind (counted by the engine from `kinds`). */
  counts: { features: number; parameters: number; counters: number; kpis: number };
  /** Per feature: its name ('' when it has none). */
  featureNames: string[];
  /** The hosted features' numbers, ascending. */
  hosted: Uint32Array;
}

/**
 * Strings kept as their UTF-8 bytes (string i at bytes [offsets[i],
 * offsets[i + 1])), each decoded the first time it is read: a router's
 * 13K item names are a copy of half a megabyte, and a question reads a few.
 * `at(i)` as an array's (undefined out of range).
 */
export class Utf8Names {
  private readonly decoded: (string | undefined)[] = [];
  private static readonly decoder = new TextDecoder();
  constructor(
    private readonly bytes: Uint8Array,
    private readonly offsets: Uint32Array,
  ) {}
  get length(): number {
    return this.offsets.length - 1;
  }
  at(i: number): string | undefined {
    if (!(i >= 0 && i < this.offsets.length - 1)) return undefined;
    return (this.decoded[i] ??= Utf8Names.decoder.decode(this.bytes.subarray(this.offsets[i], this.offsets[i + 1])));
  }
}

/**
 * The strings at `base` in wasm memory, string i at bytes [offsets[i],
 * offsets[i + 1]): decoded in one pass (a copy, as TextDecoder takes no
 * shared memory), then cut, by UTF-16 positions when every byte is ASCII.
 */
function utf8Strings(u8: Uint8Array, base: number, offsets: Uint32Array): string[] {
  const n = offsets.length - 1;
  const bytes = u8.slice(base, base + offsets[n]!);
  const all = new TextDecoder().decode(bytes);
  const out = new Array<string>(n);
  if (all.length === bytes.length) for (let i = 0; i < n; i++) out[i] = all.slice(offsets[i], offsets[i + 1]);
  else for (let i = 0; i < n; i++) out[i] = new TextDecoder().decode(bytes.subarray(offsets[i], offsets[i + 1]));
  return out;
}

/** A validator's per-parameter tables (ran-ops.ts validatorTables() builds them from a catalog). */
export interface ValidatorTables {
  /** Per parameter: 0 number, 1 int, 2 enum, 3 bool, 4 string. */
  kinds: Uint8Array;
  /** 5 × count: abs_min, abs_max, safe_min, safe_max, max_change (NaN: not known), compared as doubles. */
  bounds: Float64Array;
  /** Per parameter: cooldown in ms (NaN: none). */
  cooldownMs: Float64Array;
}

/** Changes as columns, for packValidatorColumns(). */
export interface ValidatorColumns {
  /** Parameter index per change (outside 0 … count − 1: UNKNOWN_PARAMETER). */
  params: Int32Array | Uint32Array;
  current: Float64Array | Float32Array;
  proposed: Float64Array | Float32Array;
  /** Time per change (ms, the caller's clock), or one for all. */
  at: Float64Array | number;
  /** Cell id per change; default: cell 0. */
  cells?: Int32Array | Uint32Array;
  /** The caller's own findings (reason bits) per change, with VALIDATE_CALLER_CHECKED. */
  reasons?: Uint16Array;
}

/**
 * Changes packed in one buffer as the engine validator reads them (34 bytes
 * a change, from byte 0; the buffer may be longer): current, proposed, at
 * (Float64 × n each), params, cells (Int32 × n each), reasons (Uint16 × n).
 * One copy into wasm memory; one transferable for a worker, which sends it
 * back to be reused (fresh memory costs a page fault every 4 KB).
 */
export interface PackedColumns {
  n: number;
  bytes: ArrayBuffer;
  /** One time for every change (the at column is then unused), or null. */
  atAll: number | null;
  /** Whether the cells column holds ids (else every change is on cell 0). */
  cells: boolean;
}

/** PackedColumns as a worker receives them: through the fast channel, `bytes` is a view of the channel's memory. */
export type ReceivedColumns = Omit<PackedColumns, 'bytes'> & { bytes: ArrayBuffer | Uint8Array };

/** Byte offsets of a packed buffer's columns for n changes (PACKED_BYTES a change). */
function packedLayout(n: number) {
  return { current: 0, proposed: 8 * n, at: 16 * n, params: 24 * n, cells: 28 * n, reasons: 32 * n, end: 34 * n };
}
const PACKED_BYTES = 34;

/** `spare` if it holds n packed changes, else a new buffer. */
export function packedBuffer(n: number, spare?: ArrayBuffer | null): ArrayBuffer {
  return spare && spare.byteLength >= PACKED_BYTES * n ? spare : new ArrayBuffer(PACKED_BYTES * n);
}

/** Typed views of a packed buffer's columns. */
export function packedViews(bytes: ArrayBuffer, n: number) {
  const o = packedLayout(n);
  return {
    current: new Float64Array(bytes, o.current, n),
    proposed: new Float64Array(bytes, o.proposed, n),
    at: new Float64Array(bytes, o.at, n),
    params: new Int32Array(bytes, o.params, n),
    cells: new Int32Array(bytes, o.cells, n),
    reasons: new Uint16Array(bytes, o.reasons, n),
  };
}

/**
 * Packs columns (converting Float32 to Float64 and Uint32 ids to Int32
 * bits) into `spare` if it is large enough, else a new buffer. Lengths
 * must agree.
 */
export function packValidatorColumns(c: ValidatorColumns, spare?: ArrayBuffer | null): PackedColumns {
  const n = c.params.length;
  for (const [name, x] of [
    ['current', c.current],
    ['proposed', c.proposed],
    ['at', c.at],
    ['cells', c.cells],
    ['reasons', c.reasons],
  ] as const)
    if (x !== undefined && typeof x !== 'number' && x.length !== n)
      throw new ElexError('DIMENSION_MISMATCH', `${name} holds ${x.length} values, parameters ${n}`);
  const bytes = packedBuffer(n, spare);
  const v = packedViews(bytes, n);
  v.current.set(c.current);
  v.proposed.set(c.proposed);
  if (typeof c.at !== 'number') v.at.set(c.at);
  v.params.set(c.params);
  if (c.cells) v.cells.set(c.cells);
  if (c.reasons) v.reasons.set(c.reasons);
  return { n, bytes, atAll: typeof c.at === 'number' ? c.at : null, cells: c.cells !== undefined };
}

export interface ValidatorRun {
  verdicts: Uint8Array;
  reasons: Uint16Array;
  counts: { ok: number; warn: number; reject: number };
  /** The latest time this run recorded (−Infinity if none). */
  maxRecordedAt: number;
  /** Bytes the validator holds after the run (tables, cooldowns, working region). */
  heldBytes: number;
}

/** Validator flags (validator.h RunFlags). */
export const VALIDATE_RECORD = VALIDATOR_RUN_FLAG.record;
export const VALIDATE_CALLER_CHECKED = VALIDATOR_RUN_FLAG.callerChecked;

/** A validator in a same-thread instance (Bindings.createValidator). */
export class ValidatorHandle extends NativeHandle {
  /** One working region reused across runs (regionBytes). */
  private region = 0;
  private regionN = -1;
  constructor(
    b: Bindings,
    ptr: number,
    readonly count: number,
  ) {
    super(b, ptr, 'validator');
  }

  /**
   * Validates n packed changes: verdict codes (0 ok, 1 warn, 2 reject) and
   * reason bits (ran-ops.ts VALIDATION_REASONS). A non-finite time or a
   * negative cell id (unless VALIDATE_CALLER_CHECKED) is INVALID_ARGUMENT
   * naming the change, and records nothing.
   */
  run(c: ReceivedColumns, flags: number): ValidatorRun {
    const { n, bytes, atAll } = c;
    const o = packedLayout(n);
    if (!(bytes instanceof ArrayBuffer || bytes instanceof Uint8Array) || bytes.byteLength < o.end)
      throw new ElexError('DIMENSION_MISMATCH', `packed columns of ${n} changes take ${o.end} bytes`);
    const packed = bytes instanceof ArrayBuffer ? new Uint8Array(bytes, 0, o.end) : bytes.subarray(0, o.end);
    return this.b.indexCall((m) => {
      const v = this.live();
      if (n > this.regionN) {
        if (this.region) m._elex_free(this.region);
        this.region = 0;
        this.regionN = -1;
        const p = m._elex_alloc(this.regionBytes(Math.max(n, 64)));
        if (p === 0) throw new ElexError('OUT_OF_MEMORY', `no memory to validate ${n} changes`);
        this.region = p;
        this.regionN = Math.max(n, 64);
      }
      // The region: the totals (an elex_validator_totals), the run's
      // arguments (an elex_validator_run_args), the packed columns, the verdicts.
      const out = this.region,
        args = out + VALIDATOR_TOTALS.bytes,
        cols = args + VALIDATOR_RUN_ARGS.bytes;
      this.b.view().u8.set(packed, cols);
      const pReasons = cols + o.reasons,
        pVerdicts = cols + o.end;
      this.b.writeStruct(VALIDATOR_RUN_ARGS, args, {
        atAll: atAll ?? 0,
        params: cols + o.params,
        current: cols + o.current,
        proposed: cols + o.proposed,
        at: atAll === null ? cols + o.at : 0,
        cells: c.cells ? cols + o.cells : 0,
        reasons: pReasons,
        verdicts: pVerdicts,
        n,
        flags,
        reserved: 0,
      });
      this.b.check('validating', m._elex_validator_run(v, args, out));
      const view = this.b.view();
      const t = this.b.readStruct(VALIDATOR_TOTALS, out);
      // Reasons and verdicts in one transferable buffer (reasons first, 2-byte aligned).
      const both = new Uint8Array(3 * n);
      both.set(view.u8.subarray(pReasons, pVerdicts + n));
      return {
        reasons: new Uint16Array(both.buffer, 0, n),
        verdicts: new Uint8Array(both.buffer, 2 * n, n),
        counts: { ok: t.ok, warn: t.warn, reject: t.reject },
        maxRecordedAt: t.latest,
        heldBytes: t.bytes + this.regionBytes(this.regionN),
      };
    });
  }

  /** The working region for n changes: the totals, the packed columns and the verdicts. */
  private regionBytes(n: number): number {
    return n < 0 ? 0 : VALIDATOR_TOTALS.bytes + VALIDATOR_RUN_ARGS.bytes + (PACKED_BYTES + 1) * n;
  }

  /** Every (parameter, cell) counts as changed at `at` unless a later change is recorded. */
  setFloor(at: number): void {
    this.b.indexCall((m) => this.b.check('setting the cooldown floor', m._elex_validator_floor(this.live(), at)));
  }

  stats(): { parameters: number; cooldowns: number; bytes: number; floor: number } {
    return this.b.indexCall((m, s) => {
      const out = s.alloc(VALIDATOR_STATS.bytes);
      this.b.check('reading validator stats', m._elex_validator_stats(this.live(), out));
      const st = this.b.readStruct(VALIDATOR_STATS, out);
      return {
        parameters: st.parameters,
        cooldowns: st.recorded,
        bytes: st.bytes + this.regionBytes(this.regionN),
        floor: st.floor,
      };
    });
  }

  /** @internal */
  protected destroy(m: ElexModule, ptr: number): void {
    m._elex_validator_destroy(ptr);
    if (this.region) m._elex_free(this.region);
    this.region = 0;
  }
}

/** format.h kMaxSections. */
const MAX_CONTAINER_SECTIONS = 1024;

/** A section tag: four ASCII characters, the first in the low byte (format.h tag()). */
function containerTag(tag: string): number {
  if (!/^[\x20-\x7e]{4}$/.test(tag))
    throw new ElexError('INVALID_ARGUMENT', `a section tag is four ASCII characters, got "${tag}"`);
  return (tag.charCodeAt(0) | (tag.charCodeAt(1) << 8) | (tag.charCodeAt(2) << 16) | (tag.charCodeAt(3) << 24)) >>> 0;
}

function containerTagName(tag: number): string {
  return String.fromCharCode(tag & 0xff, (tag >>> 8) & 0xff, (tag >>> 16) & 0xff, tag >>> 24);
}

function metricId(metric: Metric): number {
  const id = METRIC_IDS[metric];
  if (id === undefined)
    throw new ElexError('INVALID_ARGUMENT', `unknown metric "${String(metric)}"; use "l2", "ip" or "cosine"`);
  return id;
}

/**
 * Loads one wasm instance in the current thread. In simd-mt, `threads - 1`
 * pthread workers are started (and awaited) before this resolves.
 */
export async function instantiate(options: InstantiateOptions = {}): Promise<Bindings> {
  if (typeof options !== 'object' || options === null)
    throw new ElexError('INVALID_ARGUMENT', 'instantiate() takes an options object');
  checkOptions('instantiate()', options, INSTANTIATE_KEYS);
  if (options.module !== undefined && !(options.module instanceof WebAssembly.Module))
    throw new ElexError(
      'INVALID_ARGUMENT',
      `module must be a WebAssembly.Module (compileVariant() gives one), got ${typeof options.module}`,
    );
  if (options.variant !== undefined && !VARIANTS.includes(options.variant))
    throw new ElexError(
      'INVALID_ARGUMENT',
      `unknown variant "${String(options.variant)}"; use one of ${VARIANTS.join(', ')}`,
    );
  checkBundles('instantiate()', options.bundles);
  const variant = options.variant ?? selectBundle(detectFeatures());
  const bundle: BundleUrls = bundleFor(variant, options.bundles);
  const threaded = variant === 'simd-mt';
  const hc = detectFeatures().hardwareConcurrency;
  const threads = threaded ? (options.threads ?? hc) : 1;
  checkPositiveInt('threads', threads, 64);
  checkDuration('startTimeoutMs', options.startTimeoutMs, true);
  if (threaded && (isNode || typeof Worker === 'undefined'))
    throw new ElexError(
      'UNSUPPORTED_VARIANT',
      `simd-mt starts its threads as Web Workers, which ${isNode ? 'Node does not have' : 'this context does not have'}: use variant 'simd' or 'scalar' here`,
    );
  if (threaded && typeof SharedArrayBuffer === 'undefined')
    throw new ElexError(
      'UNSUPPORTED_VARIANT',
      'simd-mt needs SharedArrayBuffer: serve the page with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp',
    );
  const module = options.module ?? (await compileVariant(variant, options.bundles));
  let memory: WebAssembly.Memory | undefined;
  let failInit: (e: unknown) => void = () => {};
  const initFailed = new Promise<never>((_, reject) => (failInit = reject));
  const workerUrl = threaded ? await pthreadWorkerUrl(bundle) : undefined;
  if (workerUrl && ownGlobal) trustThreadWorker(workerUrl);
  const start = async (): Promise<ElexModule> => {
    let factory: ModuleFactory;
    try {
      factory = ((await import(/* @vite-ignore */ /* webpackIgnore: true */ bundle.glue)) as { default: ModuleFactory })
        .default;
    } catch (e) {
      throw new ElexError('INIT_FAILED', `could not load the ${variant} glue from ${bundle.glue}: ${String(e)}`, {
        cause: e,
      });
    }
    return factory({
      // Emscripten 3.1.6 never finishes starting a threaded module whose
      // pthread pool is empty (the run dependency is only removed when a pool
      // worker loads), so the pool always holds at least one worker.
      pthreadPoolSize: Math.max(1, threads - 1),
      mainScriptUrlOrBlob: bundle.glue,
      locateFile: (path: string) => (path.endsWith('.worker.js') && workerUrl ? workerUrl : path),
      print: () => {},
      printErr: (text: string) => console.warn(`[elex ${variant}] ${text}`),
      instantiateWasm(
        imports: WebAssembly.Imports,
        receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
      ) {
        WebAssembly.instantiate(module, imports).then(
          (instance) => {
            memory = findMemory(instance.exports, imports);
            receive(instance, module); // both arguments, or pthreads never start
          },
          (e: unknown) =>
            failInit(new ElexError('INIT_FAILED', `could not instantiate the ${variant} module: ${String(e)}`)),
        );
        return {};
      },
    });
  };
  // Kept after a failed start: the failed threads' further errors are this start-up's.
  const threadStart = threaded ? watchThreadStart(failInit) : null;
  const m = await withTimeout(
    Promise.race([start(), initFailed]),
    options.startTimeoutMs ?? 30_000,
    `starting the ${variant} module`,
  ).catch((e: unknown) => {
    if (e instanceof ElexError) throw e;
    const trustedTypes = /TrustedScriptURL/.test(String(e))
      ? ": under Trusted Types (require-trusted-types-for 'script'), the threads' worker URL needs a policy: allow the policy name 'default' in the trusted-types directive of the engine's worker script, or use variant 'simd' (docs/recipes.md#content-security-policy)"
      : '';
    throw new ElexError(
      'INIT_FAILED',
      `starting the ${variant} module failed: ${String(e).replace(/\.$/, '')}${trustedTypes}`,
      {
        cause: e,
      },
    );
  });
  threadStart?.stop();
  if (!memory) throw new ElexError('INIT_FAILED', 'the wasm module has no memory');
  const abi = m._elex_abi_version();
  if (abi !== ABI_VERSION)
    throw new ElexError(
      'INIT_FAILED',
      `the ${variant} module implements ABI ${abi}; this package needs ABI ${ABI_VERSION}`,
    );
  return new Bindings(m, memory, variant, module, threads);
}

/** Set by the engine's worker (ownThisGlobal()): no code but the engine's runs in this global. */
let ownGlobal = false;

/** @internal The engine's worker: this global is the engine's own (see trustThreadWorker). */
export function ownThisGlobal(): void {
  ownGlobal = true;
}

interface TrustedTypesLike {
  defaultPolicy: unknown;
  createPolicy(name: string, rules: { createScriptURL(url: string): string | null }): unknown;
}

/**
 * Under Trusted Types (require-trusted-types-for 'script' on the engine's
 * worker script), the glue's `new Worker(url)` of a thread is refused unless
 * a policy passes the URL string. In the engine's own worker a default
 * policy passes exactly the threads' worker URL, nothing else. A
 * trusted-types directive that does not allow the name 'default' keeps it
 * from being made: the start then fails INIT_FAILED saying so.
 */
function trustThreadWorker(url: string): void {
  const tt = (globalThis as { trustedTypes?: TrustedTypesLike }).trustedTypes;
  if (!tt || tt.defaultPolicy) return;
  try {
    tt.createPolicy('default', { createScriptURL: (u: string) => (u === url ? u : null) });
  } catch {
    // Not allowed by the trusted-types directive: reported when a thread cannot start.
  }
}

/**
 * While a threaded module starts: a thread whose worker cannot start fails
 * the start-up with INIT_FAILED naming the cause. The glue rethrows the
 * worker's error event, which would end the calling thread with an
 * uncaught "[object Event]" (in the engine's worker: WORKER_CRASHED, "retry
 * the call"); the usual cause is a Content-Security-Policy without `blob:`
 * in worker-src, which the browser reports as a violation event.
 */
function watchThreadStart(fail: (e: ElexError) => void): { stop(): void } {
  const scope = globalThis as unknown as EventTarget;
  const way =
    "allow blob: in worker-src, or serve elex-wasm/wasm/simd-mt/elex.worker.js and pass its URL as bundles['simd-mt'].pthreadWorker (docs/recipes.md#content-security-policy)";
  const onViolation = (event: Event) => {
    const v = event as SecurityPolicyViolationEvent;
    if (
      v.effectiveDirective !== 'worker-src' &&
      v.effectiveDirective !== 'script-src' &&
      v.effectiveDirective !== 'child-src'
    )
      return;
    fail(
      new ElexError(
        'INIT_FAILED',
        `the Content-Security-Policy blocked the worker script of the simd-mt threads (${v.blockedURI || 'its URL'}, directive ${v.effectiveDirective}): ${way}`,
      ),
    );
  };
  const onError = (event: Event) => {
    const e = event as ErrorEvent;
    if (!(e.error instanceof Event) || typeof Worker === 'undefined' || !(e.error.target instanceof Worker)) return;
    e.preventDefault(); // a thread that did not start: this start-up fails, the calling thread goes on
    // The browser reports a policy violation around the same time: it names the cause when it comes.
    setTimeout(
      () =>
        fail(
          new ElexError(
            'INIT_FAILED',
            `a thread of the simd-mt module could not start its worker; under a Content-Security-Policy, ${way}`,
          ),
        ),
      50,
    );
  };
  scope.addEventListener('securitypolicyviolation', onViolation);
  scope.addEventListener('error', onError);
  return {
    stop: () => {
      scope.removeEventListener('securitypolicyviolation', onViolation);
      scope.removeEventListener('error', onError);
    },
  };
}

/**
 * A public method called with arguments of another shape than documented
 * (a value of another type, a getter or proxy that throws, a cycle, a size
 * no array can have) fails with INVALID_ARGUMENT naming the method, never
 * with a TypeError or RangeError from inside. Every method of the classes
 * below is wrapped once, here; ElexErrors pass through unchanged, and a trap
 * of the wasm module is INTERNAL.
 */
function guardArguments(proto: object, what: string): void {
  for (const key of Object.getOwnPropertyNames(proto)) {
    const d = Object.getOwnPropertyDescriptor(proto, key)!;
    if (key === 'constructor' || typeof d.value !== 'function') continue;
    const method = d.value as (...args: unknown[]) => unknown;
    Object.defineProperty(proto, key, {
      ...d,
      value: function guarded(this: unknown, ...args: unknown[]) {
        try {
          return method.apply(this, args);
        } catch (e) {
          throw outOfMemory(e, this, `${what}.${key}()`) ?? asElexError(e, `${what}.${key}()`);
        }
      },
    });
  }
}

/**
 * OUT_OF_MEMORY for an abort of the engine, or null for anything else. The
 * core neither throws nor aborts (errors are values), so an abort in a
 * release build is an allocation that failed: a C++ container that could
 * not grow, its wasm memory at or near WASM_MEMORY_MAX_BYTES. Other traps
 * (unreachable, an access out of bounds) stay INTERNAL, to be reported.
 */
function outOfMemory(e: unknown, self: unknown, where: string): ElexError | null {
  if (typeof WebAssembly === 'undefined' || !(e instanceof WebAssembly.RuntimeError) || !/^Aborted\(/.test(e.message))
    return null;
  const b = self instanceof Bindings ? self : (self as { b?: unknown } | null)?.b;
  const memory = b instanceof Bindings ? (b as unknown as { memory: WebAssembly.Memory }).memory : null;
  const mib = (n: number) => (n / 2 ** 20).toFixed(0);
  return new ElexError(
    'OUT_OF_MEMORY',
    `${where}: the engine ran out of memory (an allocation failed${
      memory ? ` with ${mib(memory.buffer.byteLength)} MiB of wasm memory in use` : ''
    }; a worker's wasm memory grows to ${mib(WASM_MEMORY_MAX_BYTES)} MiB at most)`,
    { cause: e },
  );
}

for (const [cls, name] of [
  [Bindings, 'bindings'],
  [NativeHandle, 'handle'],
  [IndexHandle, 'index'],
  [EmbedderHandle, 'embedder'],
  [LexicalHandle, 'lexical'],
  [RouterHandle, 'router'],
  [ValidatorHandle, 'validator'],
] as const)
  guardArguments(cls.prototype, name);
