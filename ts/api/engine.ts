/**
 * createEngine(): the public, asynchronous engine over the worker pool.
 */
import { transfer } from 'comlink';
import { checkBundles, filesUnder, type BundleOverrides } from '../bindings/bundles.ts';
import { compileVariant, type Metric } from '../bindings/bindings.ts';
import { ElexError, asElexError } from '../core/errors.ts';
import { checkOptions, guardMethods, keysOf } from '../core/options.ts';
import { checkDuration, inTime } from '../core/timers.ts';
import { isTyped } from '../core/typed.ts';
import {
  WASM_MEMORY_MAX_BYTES,
  defaultPoolShape,
  detectFeatures,
  selectBundle,
  type Variant,
} from '../bindings/platform.ts';
import { BEING_REPLACED, WorkerPool, type WorkerCallStats } from '../parallel/pool.ts';
import type { CrashMode } from '../parallel/protocol.ts';
import { openEngineIndex, type EngineIndex } from './engine-index.ts';
import type { IndexOptions } from '../core/index-types.ts';
import {
  EngineLearning,
  resolvePersist,
  type DecideOptions,
  type FeedbackOptions,
  type DecideResult,
  type EngineStats,
  type PersistOptions,
} from './engine-learn.ts';
import type { SaveReport } from '../host/agent-host.ts';
import {
  DEFAULT_LEARNING,
  resolveLearning,
  type AgentInfo,
  type AgentState,
  type AgentValues,
  type LearningOptions,
} from '../core/learn-types.ts';
import {
  EngineQueries,
  resolveCatalog,
  type CatalogSource,
  type MonitorBatch,
  type MonitorOptions,
  type MonitorResult,
  type QueryOptions,
  type QueryRequest,
  type QueryResult,
  type ValidateBatchResult,
  type ValidateResult,
} from './engine-query.ts';
import type { ParameterChange, ValidateOptions, ValidationBatch } from '../host/ran-ops.ts';
import { fnv64, type CatalogStats } from '../host/catalog.ts';
import type { RanStats } from '../parallel/protocol.ts';
import { ROUTE_WEIGHTS, type RouteWeights } from '../host/ran-host.ts';

export interface EngineOptions {
  /** Force a variant; default: the best this page supports (simd-mt → simd → scalar). */
  variant?: Variant;
  /** Number of workers (shards). Default: see docs/guide.md, "Choosing the pool size". */
  workers?: number;
  /** simd-mt only: threads per worker, the worker's own thread included. Other variants use 1. */
  threadsPerWorker?: number;
  /** Where the variant files are served from; defaults are resolved by the bundler. */
  bundles?: BundleOverrides;
  /**
   * A URL (absolute, or relative to the page) of a folder that holds a copy
   * of the package's `dist/` and `build/wasm/`, laid out as in the package:
   * the engine's worker starts from `dist/worker.js` there and every
   * variant's files come from `build/wasm/<variant>/` (entries of `bundles`
   * still win). For bundlers that do not rewrite `new URL(…,
   * import.meta.url)`, such as esbuild (docs/recipes.md, "esbuild"). The
   * folder must be on the page's origin: browsers start module workers
   * only from it.
   */
  baseUrl?: string | URL;
  /** Fail with INIT_FAILED if the module has not arrived and compiled, or a worker has not started, within this many ms each (default 30 000). */
  startTimeoutMs?: number;
  /** Called when a worker died and its replacement was started (what it throws is logged, never stops the replacement). */
  onWorkerRestart?: (index: number, reason: string) => void;
  /**
   * Bytes the engine's wasm state may use, split evenly across workers
   * (default 500 MiB). Cold agents are evicted to stay inside it; a call
   * that cannot fit fails with BUDGET_EXCEEDED. The router counts against
   * it (its size is in memoryStats() once built): a worker's share smaller
   * than its router makes routerReady() and every query fail with
   * BUDGET_EXCEEDED, giving both sizes.
   */
  memoryBudgetBytes?: number;
  /** Pressure (0..1) from which every call ends with an eviction round, for headroom (default 1: evict only when a call does not fit). */
  evictionHighWater?: number;
  /** Q-learning settings of the feature agents (docs/guide.md, "Learning"). */
  learning?: LearningOptions;
  /**
   * Keep learned state across page loads under this name (or with these
   * options): restored by createEngine, saved every 100 feedbacks, every
   * 30 s while changed, on save() and on close().
   */
  persist?: string | PersistOptions;
  /**
   * The RAN catalog: a URL of its JSON, or the object itself (see
   * catalog/catalog.schema.json). Default: the generated default catalog
   * (593 features). `false`: no catalog, no query().
   */
  catalog?: CatalogSource | false;
  /** Embedding dimension of the router (default 512, chosen on the eval set: docs/guide.md, "Routing"). */
  embeddingDim?: number;
  /** How the router weighs its evidence (advanced: for tuning and ablations on your catalog). */
  routing?: RoutingOptions;
  /** Hears start-up progress: fetch, compile, catalog, workers, ready, then router (see {@link EngineProgress}). */
  onProgress?: (progress: EngineProgress) => void;
  /**
   * Aborts start-up: createEngine() rejects with ABORTED and stops every
   * worker it started. Once the engine is ready the signal is ignored; use
   * close() then.
   */
  signal?: AbortSignal;
  /**
   * Hot calls (search, query, queryBatch, decide, feedback, validate,
   * validateBatch) through a SharedArrayBuffer channel per worker instead
   * of postMessage, where the page is cross-origin isolated (default true;
   * elsewhere, and with `false`, every call goes through postMessage).
   * Results and errors are the same either way; see docs/guide.md,
   * "The fast call path".
   */
  fastPath?: boolean;
}

/**
 * Router settings. The defaults were chosen on the dev split of the
 * hand-written questions (docs/guide.md, "Routing"); change them to tune
 * routing on your own catalog and questions, or to measure one signal off.
 */
export interface RoutingOptions {
  /**
   * Weights of the evidence (each ≥ 0; vector, exact and lexical not all
   * 0). Unset ones keep their defaults: vector 0.5, exact 0.5, lexical 1,
   * feedback 1, item 0.15, technology 0.2, direction 0.1.
   */
  weights?: Partial<RouteWeights>;
  /** Use the default glossary (catalog/glossary.json) besides the catalog's own (default true). */
  defaultGlossary?: boolean;
  /**
   * Keep each worker's built router, so the next engine with the same
   * catalog, glossary, weights and pool shape loads it instead of building
   * it (`routerReady()` gives each worker's `cache`: hit, miss, stale, off).
   * `'auto'` (default): in OPFS, or IndexedDB where OPFS is missing, under
   * the name `router-cache` (one router per worker slot of a pool shape);
   * none where neither exists (Node). `false`: always build. A cache that
   * cannot be read or written is skipped, never an error: the router is
   * built as without one.
   */
  cache?: 'auto' | false;
}

/** A start-up stage, in the order they finish (fetch and compile overlap the catalog). */
export type EnginePhase = 'fetch' | 'compile' | 'catalog' | 'workers' | 'ready' | 'router';

/**
 * One step of start-up. `done` of `total` is bytes for `fetch` (total 0
 * when the server sends no Content-Length), workers for `workers` and
 * `router`, and 0 or 1 for the others. `router` events come after `ready`:
 * createEngine() resolves before the routers are built; the first query()
 * waits for them, and its budget counts from then.
 */
export interface EngineProgress {
  phase: EnginePhase;
  done: number;
  total: number;
  /** ms since createEngine() was called. */
  ms: number;
}

/** Options of a long control call (routerReady, loadIndex, save). */
export interface ControlOptions {
  /** Stop waiting: the call rejects with ABORTED (what already happened in the workers is undone or kept as documented on the call). */
  signal?: AbortSignal;
}

export interface EngineInfo {
  version: string;
  variant: Variant;
  /** Distance kernels that run: "simd128" or "scalar". */
  kernel: 'simd128' | 'scalar';
  workers: number;
  threadsPerWorker: number;
  crossOriginIsolated: boolean;
  simdSupported: boolean;
  hardwareConcurrency: number;
  /** Workers replaced after dying, since start. */
  restarts: number;
  /** Per worker (shard): calls, failures, round-trip p50/p95/max of recent calls, restarts. */
  shards: WorkerCallStats[];
  /** ms from createEngine() to ready. */
  startMs: number;
  /** Whether hot calls go through the SharedArrayBuffer channel (see EngineOptions.fastPath). */
  fastPath: boolean;
}

export interface BatchOptions {
  metric?: Metric;
  signal?: AbortSignal;
  /** Reject with TIMEOUT if not done within this many ms (default: no limit). */
  timeoutMs?: number;
}

export interface ShardTiming {
  worker: number;
  /** Query rows this worker computed. */
  rows: number;
  /** ms inside the worker's wasm call. */
  ms: number;
  threadsUsed: number;
}

export interface DistanceBatchResult {
  /** nq × nv: distances[q * nv + v]; smaller is closer. */
  distances: Float32Array;
  nq: number;
  nv: number;
  /** Most threads observed working inside one worker. */
  threadsUsed: number;
  shards: ShardTiming[];
  /** Wall-clock ms of the whole call, as seen by the caller. */
  elapsedMs: number;
}

export interface EngineDebug {
  /**
   * Makes worker `index` die, for testing recovery: 'terminate' kills it from
   * outside (even mid-call), 'close' makes it close itself, 'throw' raises an
   * uncaught error in it. Its calls reject with WORKER_CRASHED; it is replaced.
   * Rejects with WORKER_CRASHED when the worker dies before it was told (it
   * was closing already), CLOSED once the engine is closed.
   */
  crashWorker(index: number, mode?: CrashMode | 'terminate', delayMs?: number): Promise<void>;
  /** Makes worker `index` die half-way through writing its next snapshot (OPFS backend only). */
  crashDuringNextSave(index: number): Promise<void>;
  /**
   * Benchmark aid: agents "FAJ 121 3000"… (the first `agents`) with `states`
   * rewarded states each, on their workers. Bench builds only (build/wasm-bench/,
   * passed as `bundles`); the shipped wasm answers NOT_IN_BUILD.
   */
  populateAgents(agents: number, states: number): Promise<void>;
  /** A call that does nothing, to worker `index` (default 0), by the path hot calls take: for measuring the round trip. */
  ping(index?: number): Promise<void>;
  /**
   * Calls the fast channels carried since start (current workers), hot
   * calls that went by postMessage because they did not fit a slot, and
   * how the page found answers: while polling (`spinHits`) or after
   * waiting (`waits`).
   */
  fastPathCounts(): { calls: number; fallbacks: number; spinHits: number; waits: number };
}

export interface Engine {
  info(): EngineInfo;
  /**
   * Distances from every query to every vector (both row-major, `dim`
   * floats each). Queries are split across the workers; inside a simd-mt
   * worker, across its threads. The inputs are copied, never detached.
   */
  distanceBatch(
    queries: Float32Array,
    vectors: Float32Array,
    dim: number,
    options?: BatchOptions,
  ): Promise<DistanceBatchResult>;
  /** A new HNSW index named `name`, one shard per worker. */
  createIndex(name: string, options: IndexOptions): Promise<EngineIndex>;
  /**
   * An index from bytes written by EngineIndex.save(). Aborted, it rejects
   * with ABORTED once what the workers loaded so far is dropped again.
   */
  loadIndex(name: string, bytes: Uint8Array, options?: ControlOptions): Promise<EngineIndex>;
  /**
   * The agent of `feature` picks an action (DirectAnswer … Escalate) for
   * `state` with ε-greedy Q-learning; reward it later with feedback().
   * NOT_FOUND for a feature that is not in the loaded catalog (with
   * `catalog: false`, any feature code has an agent).
   */
  decide(feature: string, state?: AgentState, options?: DecideOptions): Promise<DecideResult>;
  /**
   * Rewards a decision or a query's answer with `reward` in [-1, 1] (once
   * per query id, or once per feature with `options.feature`). Feedback on
   * a query's feature also teaches routing: similar questions later rank
   * that feature higher (👍) or lower (👎); saved with the learned state.
   */
  feedback(queryId: string, reward: number, options?: FeedbackOptions): Promise<{ applied: number }>;
  /** An agent's figures, or null if the feature has no agent yet. */
  agent(feature: string): Promise<AgentInfo | null>;
  /** An agent's Q-values for one state, or null if it has no agent yet. */
  agentValues(feature: string, state?: AgentState): Promise<AgentValues | null>;
  /** Memory, agents, learning and persistence figures. */
  stats(): Promise<EngineStats>;
  /**
   * The query cycle: routes a question to its features, their agents act,
   * one merged answer comes back within `budgetMs` (default 500). The first
   * questions after start-up wait for the routers to be built (see
   * routerReady()); the budget counts from then.
   */
  query(input: string | QueryRequest, options?: QueryOptions): Promise<QueryResult>;
  /** Many questions in one cycle (one routing and one acting round trip per worker); the budget covers the batch (default max(500, 5 ms × questions)). */
  queryBatch(inputs: readonly (string | QueryRequest)[], options?: QueryOptions): Promise<QueryResult[]>;
  /** Checks proposed parameter changes against the catalog's ranges and safe zones (docs/guide.md, "Validation"). */
  validate(changes: readonly ParameterChange[], options?: ValidateOptions): Promise<ValidateResult>;
  /**
   * validate() over typed columns (catalog indexes from parameterIndexes(),
   * numbers, cell ids): verdict codes and reason bits come back as typed
   * arrays, with no object per change. It shares validate()'s cooldowns.
   */
  validateBatch(batch: ValidationBatch, options?: ValidateOptions): Promise<ValidateBatchResult>;
  /** Catalog indexes of parameter names for validateBatch() (−1: not in the catalog). */
  parameterIndexes(names: readonly string[]): Int32Array;
  /** KPIs, statistics and alerts for a batch of PM counters (docs/guide.md, "Monitoring"). */
  monitor(batch: MonitorBatch, options?: MonitorOptions): Promise<MonitorResult>;
  /** The loaded catalog's size and fingerprint (null with `catalog: false`). */
  catalog(): { stats: CatalogStats; fingerprint: string } | null;
  /**
   * Resolves when every worker's router is built; its figures per worker (a
   * worker that dies meanwhile: its replacement's). Aborted, it rejects with
   * ABORTED (the routers go on building).
   */
  routerReady(options?: ControlOptions): Promise<RanStats[]>;
  /**
   * Writes a snapshot of all learned state now (needs `persist`). Aborted,
   * it rejects with ABORTED; a snapshot already being written completes
   * (snapshots replace the previous one atomically, so nothing saved is lost).
   */
  save(options?: ControlOptions): Promise<SaveReport>;
  /**
   * Saves unsaved learning (with `persist`: feedback given before it is applied
   * first), then terminates the workers; other calls in flight reject with
   * CLOSED. Every call returns the same promise.
   */
  close(): Promise<void>;
  readonly debug: EngineDebug;
}

/** Floats of a distanceBatch result the page copies in one task (1 Mi: 4 MB). */
const MERGE_SLICE_FLOATS = 1 << 20;

function abortError(signal: AbortSignal, what: string): ElexError {
  const why = signal.reason instanceof Error ? signal.reason.message : signal.reason;
  return new ElexError('ABORTED', `${what} was aborted${why === undefined ? '' : ` (${String(why)})`}`);
}

/** `work`, or ABORTED as soon as `signal` aborts (the work itself is not stopped). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(abortError(signal, what));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal, what));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** Every key of EngineOptions: any other key is a mistake (a typo such as `wrokers` was silently ignored). */
const ENGINE_OPTION_KEYS = keysOf<EngineOptions>()([
  'variant',
  'workers',
  'threadsPerWorker',
  'bundles',
  'baseUrl',
  'startTimeoutMs',
  'onWorkerRestart',
  'memoryBudgetBytes',
  'evictionHighWater',
  'learning',
  'persist',
  'catalog',
  'embeddingDim',
  'routing',
  'onProgress',
  'signal',
  'fastPath',
]);
const ROUTING_KEYS = keysOf<RoutingOptions>()(['weights', 'defaultGlossary', 'cache']);
const LEARNING_KEYS = Object.keys(DEFAULT_LEARNING); // Required<LearningOptions>: every key
const PERSIST_KEYS = keysOf<PersistOptions>()(['name', 'backend', 'autosaveEvery', 'autosaveMs', 'fingerprint']);
const CONTROL_KEYS = keysOf<ControlOptions>()(['signal']);
const QUERY_KEYS = keysOf<QueryOptions>()(['k', 'budgetMs', 'signal']);
const VALIDATE_KEYS = keysOf<ValidateOptions>()(['record']);

/** Each method's options argument and its keys (checked by guardMethods before the method runs). */
const METHOD_OPTIONS = {
  distanceBatch: [3, keysOf<BatchOptions>()(['metric', 'signal', 'timeoutMs'])],
  createIndex: [
    1,
    keysOf<IndexOptions>()(['dim', 'metric', 'M', 'efConstruction', 'quantization', 'seed', 'capacity']),
  ],
  loadIndex: [2, CONTROL_KEYS],
  decide: [2, keysOf<DecideOptions>()(['follows', 'signal'])],
  feedback: [2, keysOf<FeedbackOptions>()(['feature'])],
  query: [1, QUERY_KEYS],
  queryBatch: [1, QUERY_KEYS],
  validate: [1, VALIDATE_KEYS],
  validateBatch: [1, VALIDATE_KEYS],
  monitor: [1, keysOf<MonitorOptions>()(['zThreshold', 'minHistory', 'perPeriod', 'signal', 'timeoutMs'])],
  routerReady: [0, CONTROL_KEYS],
  save: [0, CONTROL_KEYS],
} as const satisfies Partial<Record<keyof Engine, readonly [number, readonly string[]]>>;

function optionalInt(name: string, v: number | undefined, max: number): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > max))
    throw new ElexError('INVALID_ARGUMENT', `${name} must be an integer from 1 to ${max}, got ${String(v)}`);
}

/** Starts an engine: picks the variant, compiles the module once, starts the workers. */
export function createEngine(given: EngineOptions = {}): Promise<Engine> {
  let settle!: () => void;
  const settled = new Promise<void>((resolve) => (settle = resolve));
  const engine = startEngine(given, settled);
  engine.then(settle, settle);
  return engine;
}

/** `work`, or INIT_FAILED once `ms` passed (a file that never arrives: a stalled proxy). */
/** createEngine(); `settled` settles with the promise it returns. */
async function startEngine(given: EngineOptions, settled: Promise<void>): Promise<Engine> {
  if (typeof given !== 'object' || given === null)
    throw new ElexError('INVALID_ARGUMENT', 'createEngine() takes an options object');
  let options: EngineOptions;
  try {
    options = { ...given }; // each option read once, here (a getter or proxy that throws is INVALID_ARGUMENT)
  } catch (e) {
    throw asElexError(e, 'createEngine()');
  }
  checkOptions('createEngine()', options, ENGINE_OPTION_KEYS);
  checkOptions('createEngine() routing', options.routing, ROUTING_KEYS);
  if (typeof options.persist !== 'string') checkOptions('createEngine() persist', options.persist, PERSIST_KEYS);
  checkOptions('createEngine() learning', options.learning, LEARNING_KEYS);
  checkBundles('createEngine()', options.bundles);
  const t0 = performance.now();
  const { signal, onProgress } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw new ElexError('INVALID_ARGUMENT', 'signal must be an AbortSignal');
  if (onProgress !== undefined && typeof onProgress !== 'function')
    throw new ElexError('INVALID_ARGUMENT', 'onProgress must be a function');
  if (options.onWorkerRestart !== undefined && typeof options.onWorkerRestart !== 'function')
    throw new ElexError('INVALID_ARGUMENT', 'onWorkerRestart must be a function');
  const progress = (phase: EnginePhase, done: number, total: number) => {
    try {
      onProgress?.({ phase, done, total, ms: performance.now() - t0 });
    } catch (e) {
      console.error('elex: onProgress threw', e); // a listener's bug must not break start-up
    }
  };
  const startup = <T>(work: Promise<T>) => untilAborted(work, signal, 'createEngine()');
  if (signal?.aborted) throw abortError(signal, 'createEngine()');
  if (options.fastPath !== undefined && typeof options.fastPath !== 'boolean')
    throw new ElexError('INVALID_ARGUMENT', `fastPath must be a boolean, got ${String(options.fastPath)}`);
  optionalInt('workers', options.workers, 64);
  optionalInt('threadsPerWorker', options.threadsPerWorker, 64);
  checkDuration('startTimeoutMs', options.startTimeoutMs, true);
  if (typeof Worker === 'undefined')
    throw new ElexError(
      'UNSUPPORTED_VARIANT',
      'createEngine() needs Web Workers, which this context cannot start (Node, a service worker): use instantiate() here instead',
    );
  const features = detectFeatures();
  const variant = selectBundle(features, { variant: options.variant });
  const shape = defaultPoolShape(variant, features.hardwareConcurrency);
  const workers = options.workers ?? shape.workers;
  const threadsPerWorker = variant === 'simd-mt' ? (options.threadsPerWorker ?? shape.threadsPerWorker) : 1;
  const budget = options.memoryBudgetBytes ?? 500 * 1024 * 1024;
  if (typeof budget !== 'number' || !(budget >= workers * 65536) || budget > 2 ** 48)
    throw new ElexError(
      'INVALID_ARGUMENT',
      `memoryBudgetBytes must be a byte count of at least 64 KiB per worker, got ${String(options.memoryBudgetBytes)}`,
    );
  const highWater = options.evictionHighWater ?? 1;
  if (typeof highWater !== 'number' || !(highWater > 0 && highWater <= 1))
    throw new ElexError('INVALID_ARGUMENT', `evictionHighWater must be in (0, 1], got ${String(highWater)}`);
  const learning = resolveLearning(options.learning);
  const dim = options.embeddingDim ?? 512;
  if (!Number.isInteger(dim) || dim < 8 || dim > 4096)
    throw new ElexError('INVALID_ARGUMENT', `embeddingDim must be an integer from 8 to 4096, got ${String(dim)}`);
  const routing = checkRouting(options.routing);
  let bundles = options.bundles;
  let workerUrl: string | undefined;
  if (options.baseUrl !== undefined) {
    if (typeof options.baseUrl !== 'string' && !(options.baseUrl instanceof URL))
      throw new ElexError('INVALID_ARGUMENT', `baseUrl must be a string or a URL, got ${typeof options.baseUrl}`);
    ({ worker: workerUrl, bundles } = filesUnder(String(options.baseUrl), bundles));
  }
  // Fetch and check the catalog while the module compiles.
  const compiling = compileVariant(variant, bundles, (loaded, total) => progress('fetch', loaded, total)).then((m) => {
    progress('compile', 1, 1);
    return m;
  });
  compiling.catch(() => {}); // awaited below
  let catalog: Awaited<ReturnType<typeof resolveCatalog>> | null = null;
  if (options.catalog !== false) {
    progress('catalog', 0, 1);
    catalog = await startup(resolveCatalog(options.catalog));
    progress('catalog', 1, 1);
  }
  const persist = resolvePersist(options.persist, catalog?.fingerprint);
  let release: (() => Promise<void>) | null = null;
  /** Whether another page's engine holds the persist name (asked while the workers start). */
  let claimed: Promise<boolean> = Promise.resolve(false);
  /** Settles once the workers are up (or failed to start): the question above is listened for until then. */
  let workersUp!: () => void;
  const upOrFailed = new Promise<void>((r) => (workersUp = r));
  if (persist) {
    const locking = EngineLearning.lockName(persist.name);
    // Aborted, this start-up lets go of the name before it rejects: an engine
    // of this page started meanwhile waits for that (EngineLearning.letGo).
    const onAbort = () => EngineLearning.letGo(persist.name, settled);
    signal?.addEventListener('abort', onAbort, { once: true });
    void settled.then(() => signal?.removeEventListener('abort', onAbort)); // ready: the signal is ignored
    try {
      release = await startup(locking);
      claimed = EngineLearning.claimedElsewhere(persist.name, upOrFailed);
    } catch (e) {
      // Aborted: let go of the name once it is held, before reporting, so that
      // an engine started right after may take it.
      await locking.then((unlock) => unlock()).catch(() => {});
      throw e;
    }
  }
  let module: WebAssembly.Module;
  try {
    const ms = options.startTimeoutMs ?? 30_000;
    module = await startup(
      inTime(
        compiling,
        ms,
        () =>
          new ElexError(
            'INIT_FAILED',
            `fetching the ${variant} module did not finish within ${ms} ms (startTimeoutMs)`,
          ),
      ),
    );
  } catch (e) {
    workersUp(); // no workers: the question is not listened for longer
    await release?.();
    throw e;
  }
  const pool = new WorkerPool({
    module,
    variant,
    workers,
    threadsPerWorker,
    bundles,
    workerUrl,
    startTimeoutMs: options.startTimeoutMs ?? 30_000,
    onRestart: options.onWorkerRestart,
    fastPath: options.fastPath !== false,
    host: {
      memoryBudgetBytes: Math.floor(budget / workers),
      highWater,
      learning,
      persist: persist ? { name: persist.name, backend: persist.backend, fingerprint: persist.fingerprint } : null,
    },
    ran: catalog
      ? {
          catalogJson: catalog.json ?? JSON.stringify(catalog.catalog),
          fingerprint: catalog.fingerprint,
          stats: catalog.stats,
          // The fingerprint covers the features and items; the router also reads the glossary.
          routerKey: `${catalog.fingerprint}${fnv64(JSON.stringify(catalog.catalog.glossary ?? null))}`,
          dim,
          ...routing,
        }
      : null,
  });
  try {
    progress('workers', 0, workers);
    try {
      await startup(pool.start((ready, total) => progress('workers', ready, total)));
    } finally {
      workersUp();
    }
    if (await claimed)
      throw new ElexError(
        'PERSIST_UNAVAILABLE',
        `persist name "${persist!.name}" is in use by an engine in another tab (that tab answered on a BroadcastChannel: this page has no Web Locks, or the site's data was cleared while that engine ran, so no lock stopped this one); close it or use another name`,
      );
  } catch (e) {
    void pool.close();
    await release?.();
    throw e instanceof ElexError ? e : new ElexError('INIT_FAILED', `the worker pool did not start: ${String(e)}`);
  }
  const learn = new EngineLearning(pool, persist, release, catalog?.features ?? null);
  const queries = catalog ? new EngineQueries(pool, learn, catalog) : null;
  const noCatalog = () => new ElexError('INVALID_ARGUMENT', 'this engine was created with catalog: false');
  const build = pool.infoOf(0)!;
  const startMs = performance.now() - t0;
  let closed = false;
  let closing: Promise<void> | null = null;
  /**
   * Every worker's router figures, polled until all are built (or the
   * engine closes). A worker that dies while polled is being replaced: the
   * poll goes on with its replacement, which builds its router again (the
   * poll in flight rejected, and routerReady(), the first questions and the
   * router progress with it).
   */
  const routers = async (onBuilt?: (built: number) => void): Promise<RanStats[]> => {
    const stats = (w: number): Promise<RanStats | null> =>
      pool
        .call(w, (r) => r.ranStats())
        .catch((e: unknown) => {
          if (closed || !(e instanceof ElexError && e.code === 'WORKER_CRASHED' && e.message.endsWith(BEING_REPLACED)))
            throw e;
          return null; // its replacement is asked at the next poll
        });
    for (;;) {
      const all = await Promise.all(Array.from({ length: workers }, (_, w) => stats(w)));
      const built = all.filter((s) => s !== null).length;
      onBuilt?.(built);
      if (built === workers) return all as RanStats[];
      if (closed) throw new ElexError('CLOSED', 'the engine was closed');
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  /**
   * Once the routers are built, the query path is warmed up in the
   * background (EngineQueries.warmUp), once per engine: nothing waits for
   * it, and it stops when the first question is asked.
   */
  let warmed = false;
  const routersWarm = async (): Promise<RanStats[]> => {
    const stats = await routers();
    if (!warmed && queries) {
      warmed = true;
      void queries.warmUp();
    }
    return stats;
  };
  const closedError = () => new ElexError('CLOSED', 'the engine was closed');
  /** A learning call, or CLOSED. */
  const live = <T>(fn: () => Promise<T>): Promise<T> => (closed ? Promise.reject(closedError()) : fn());
  /** A catalog call, or CLOSED, or the engine has no catalog. */
  const ran = <T>(fn: (q: EngineQueries) => Promise<T>): Promise<T> =>
    closed ? Promise.reject(closedError()) : queries ? fn(queries) : Promise.reject(noCatalog());

  // The first questions wait for the routers to be built (once); their
  // budgets count from then. A router rebuilt after a worker restart does
  // not hold questions back: its shard answers partial meanwhile.
  let built = false;
  let building: Promise<unknown> | null = null;
  const afterBuild = (signal: AbortSignal | undefined, what: string) => {
    building ??= routersWarm().then(
      () => (built = true),
      (e: unknown) => {
        building = null; // a worker died while we polled: the next question asks again
        throw e;
      },
    );
    return untilAborted(building, signal, what);
  };

  const engine: Engine = {
    info: () => ({
      version: build.version,
      variant,
      kernel: build.kernel,
      workers,
      threadsPerWorker: build.threads,
      crossOriginIsolated: features.crossOriginIsolated,
      simdSupported: features.simd,
      hardwareConcurrency: features.hardwareConcurrency,
      restarts: pool.restarts,
      shards: pool.callStats(),
      startMs,
      fastPath: pool.fastPath,
    }),

    async distanceBatch(queries, vectors, dim, opts = {}) {
      if (closed) throw closedError();
      const t = performance.now();
      if (!isTyped(queries, 'Float32Array') || !isTyped(vectors, 'Float32Array'))
        throw new ElexError('INVALID_ARGUMENT', 'queries and vectors must be Float32Arrays');
      if (!Number.isInteger(dim) || dim < 1)
        throw new ElexError('INVALID_ARGUMENT', `dim must be a positive integer, got ${String(dim)}`);
      if (queries.length % dim !== 0 || vectors.length % dim !== 0)
        throw new ElexError(
          'DIMENSION_MISMATCH',
          `queries (${queries.length} floats) and vectors (${vectors.length} floats) must both be whole numbers of ${dim}-vectors`,
        );
      checkDuration('timeoutMs', opts.timeoutMs);
      const metric = opts.metric ?? 'cosine';
      const nq = queries.length / dim,
        nv = vectors.length / dim;
      // Scatter query rows over the workers (at least 8 rows a shard).
      const shards = Math.max(1, Math.min(workers, Math.floor(nq / 8)));
      const per = Math.ceil(nq / shards);
      // What a worker must hold for its rows, checked before anything is
      // copied to it (a batch that could never fit was copied first,
      // blocking the page 0.85 s, and then failed in the worker).
      const most = Math.min(per, nq);
      if (most * nv > 2 ** 28)
        throw new ElexError(
          'INVALID_ARGUMENT',
          `${most} × ${nv} distances is too many for one worker's batch (at most 2^28); split it`,
        );
      const need = 4 * dim * (most + nv) + 4 * most * nv;
      if (need > WASM_MEMORY_MAX_BYTES) {
        const mib = (b: number) => (b / 2 ** 20).toFixed(1);
        throw new ElexError(
          'OUT_OF_MEMORY',
          `distanceBatch needs ${mib(need)} MiB in a worker (its ${most} queries and the ${nv} vectors of ${dim} floats, and ${most} × ${nv} distances), over the ${mib(WASM_MEMORY_MAX_BYTES)} MiB a worker's wasm memory can grow to; split the vectors or the queries`,
        );
      }
      const parts = await Promise.all(
        Array.from({ length: shards }, (_, w) => {
          const rows = Math.max(0, Math.min(per, nq - w * per));
          const q = queries.slice(w * per * dim, (w * per + rows) * dim);
          return pool
            .call(w, (r) => r.distanceBatch(transfer({ metric, queries: q, vectors, dim }, [q.buffer])), {
              signal: opts.signal,
              timeoutMs: opts.timeoutMs,
            })
            .then((res) => ({ w, rows, res }));
        }),
      );
      const distances = shards === 1 ? parts[0]!.res.distances : new Float32Array(nq * nv);
      // The workers' rows put together a slice at a time, the page free
      // between slices (164 MB in one go was a 676-799 ms task here).
      if (shards > 1)
        for (const p of parts)
          for (let at = 0; at < p.res.distances.length; at += MERGE_SLICE_FLOATS) {
            if (at > 0) await new Promise((res) => setTimeout(res, 0));
            distances.set(p.res.distances.subarray(at, at + MERGE_SLICE_FLOATS), p.w * per * nv + at);
          }
      return {
        distances,
        nq,
        nv,
        threadsUsed: Math.max(...parts.map((p) => p.res.threadsUsed)),
        shards: parts.map((p) => ({ worker: p.w, rows: p.rows, ms: p.res.ms, threadsUsed: p.res.threadsUsed })),
        elapsedMs: performance.now() - t,
      };
    },

    async createIndex(name, options) {
      if (closed) throw closedError();
      return openEngineIndex(pool, name, options);
    },

    async loadIndex(name, bytes, opts = {}) {
      if (closed) throw closedError();
      if (!isTyped(bytes, 'Uint8Array')) throw new ElexError('INVALID_ARGUMENT', 'index bytes must be a Uint8Array');
      const loading = openEngineIndex(pool, name, bytes);
      try {
        return await untilAborted(loading, opts.signal, 'loadIndex()');
      } catch (e) {
        // Aborted: the rejection waits until what the workers loaded is
        // dropped, so a later index of the same name is never dropped by it.
        if (e instanceof ElexError && e.code === 'ABORTED') await loading.then((index) => index.drop()).catch(() => {});
        throw e;
      }
    },

    decide: (feature, state, opts) => live(() => learn.decide(feature, state, opts)),
    feedback: (queryId, reward, options) => live(() => learn.feedback(queryId, reward, options)),
    agent: (feature) => live(() => learn.agent(feature)),
    agentValues: (feature, state) => live(() => learn.agentValues(feature, state)),
    stats: () => live(() => learn.stats()),
    save: (opts = {}) => live(() => untilAborted(learn.save(), opts.signal, 'save()')),
    query: (input, opts) =>
      ran((q) => (built ? q.query(input, opts) : afterBuild(opts?.signal, 'query()').then(() => q.query(input, opts)))),
    queryBatch: (inputs, opts) =>
      ran((q) =>
        built
          ? q.queryBatch(inputs, opts)
          : afterBuild(opts?.signal, 'queryBatch()').then(() => q.queryBatch(inputs, opts)),
      ),
    validate: (changes, opts) => ran((q) => q.validate(changes, opts)),
    validateBatch: (batch, opts) => ran((q) => q.validateBatch(batch, opts)),
    parameterIndexes(names) {
      if (closed) throw closedError();
      if (!queries) throw noCatalog();
      return queries.parameterIndexes(names);
    },
    monitor: (batch, opts) => ran((q) => q.monitor(batch, opts)),
    catalog: () => (catalog ? { stats: catalog.stats, fingerprint: catalog.fingerprint } : null),
    async routerReady(opts = {}) {
      if (closed) throw closedError();
      if (!catalog) throw noCatalog();
      return untilAborted(routersWarm(), opts.signal, 'routerReady()');
    },

    close() {
      // Every call returns the same promise: a second close() resolves once
      // the first has saved, freed the persist name and stopped the workers.
      closing ??= (async () => {
        closed = true;
        try {
          await learn.close();
        } catch (e) {
          throw closeSaveError(e);
        } finally {
          await pool.close();
        }
      })();
      return closing;
    },

    debug: {
      crashWorker: (index, mode = 'terminate', delayMs = 0) => pool.crash(index, mode, delayMs),
      crashDuringNextSave: (index) => pool.call(index, (r) => r.crashDuringNextSave()),
      ping: (index = 0) => pool.call(index, (r) => r.ping()),
      fastPathCounts: () => pool.fastPathCounts(),
      populateAgents: async (agents, states) => {
        await Promise.all(
          Array.from({ length: workers }, (_, w) => pool.call(w, (r) => r.populateAgents(agents, states))),
        );
      },
    },
  };
  guardMethods(engine, 'engine', METHOD_OPTIONS);
  progress('ready', 1, 1);
  if (catalog && onProgress) {
    // Router progress, after ready: reported as each worker's router is built.
    let reported = -1;
    routers((built) => {
      if (built > reported) progress('router', (reported = built), workers); // only up: a replacement builds its router again
    }).catch(() => {}); // closed before the routers were built
  }
  return engine;
}

/**
 * The error of close() whose final save failed. The engine closes all the
 * same, so the error says what was lost, not to retry (a worker that died
 * while saving says "it is being replaced, retry the call" to other calls).
 */
function closeSaveError(e: unknown): unknown {
  if (!(e instanceof ElexError)) return e;
  const what =
    e.code === 'WORKER_CRASHED'
      ? `${e.message.endsWith(BEING_REPLACED) ? e.message.slice(0, -BEING_REPLACED.length) : e.message}: what it learned since its last save is lost`
      : `the final save failed (${e.message}): what was learned since the last save is not saved`;
  return new ElexError(e.code, `close(): ${what}, and the engine is closed`, { cause: e });
}

/** Checks `routing` options: the RanSetup fields they give. */
function checkRouting(o: RoutingOptions | undefined): {
  weights?: Partial<RouteWeights>;
  noDefaultGlossary?: boolean;
  cache: 'auto' | false;
} {
  if (o === undefined) return { cache: 'auto' }; // its shape and keys: checkOptions() in createEngine()
  const out: { weights?: Partial<RouteWeights>; noDefaultGlossary?: boolean; cache: 'auto' | false } = {
    cache: 'auto',
  };
  if (o.cache !== undefined) {
    if (o.cache !== 'auto' && o.cache !== false)
      throw new ElexError('INVALID_ARGUMENT', `routing.cache must be 'auto' or false, got ${String(o.cache)}`);
    out.cache = o.cache;
  }
  if (o.weights !== undefined) {
    if (o.weights === null || typeof o.weights !== 'object')
      throw new ElexError('INVALID_ARGUMENT', 'routing.weights must be an object');
    const w: Partial<RouteWeights> = {};
    for (const [key, value] of Object.entries(o.weights)) {
      if (!Object.hasOwn(ROUTE_WEIGHTS, key))
        // not `in`: toString, __proto__ … are in every object
        throw new ElexError(
          'INVALID_ARGUMENT',
          `routing.weights.${key} is not a weight (${Object.keys(ROUTE_WEIGHTS).join(', ')})`,
        );
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 100)
        throw new ElexError(
          'INVALID_ARGUMENT',
          `routing.weights.${key} must be a number from 0 to 100, got ${String(value)}`,
        );
      w[key as keyof RouteWeights] = value;
    }
    const all = { ...ROUTE_WEIGHTS, ...w };
    if (all.vector + all.exact + all.lexical === 0)
      throw new ElexError('INVALID_ARGUMENT', 'routing.weights: vector, exact and lexical cannot all be 0');
    out.weights = w;
  }
  if (o.defaultGlossary !== undefined) {
    if (typeof o.defaultGlossary !== 'boolean')
      throw new ElexError('INVALID_ARGUMENT', 'routing.defaultGlossary must be a boolean');
    out.noDefaultGlossary = !o.defaultGlossary;
  }
  return out;
}
