/**
 * The worker protocol: what the main thread may ask a pool worker, and the
 * shapes that cross the boundary. Exposed by worker.ts with Comlink and used
 * on the main side as RemoteApi (what Comlink's Remote<WorkerApi> is for
 * these plain-data methods, written here so that the package's type
 * declarations do not depend on Comlink, which is bundled).
 *
 * Every call carries an envelope (CallEnvelope: its deadline) besides its
 * arguments, which the transports add and the worker's serving layer
 * (serving.ts) takes out: methods do not see it.
 *
 * Errors: a worker method never lets an Error escape; it throws a plain
 * WireError object (structured-clonable, so `code` survives), which the
 * main side's call helper turns back into an ElexError. Big arrays travel
 * as transferables (noted per method).
 */
import type { BundleOverrides } from '../bindings/bundles.ts';
import type {
  BuildInfo,
  DistanceBatchInput,
  DistanceBatchOutput,
  ReceivedColumns,
  ValidatorRun,
} from '../bindings/bindings.ts';
import type { IndexOptions, IndexStats, SearchOptions, SearchResult } from '../core/index-types.ts';
import type { HostSetup, RestoreReport, SaveReport } from '../host/agent-host.ts';
import type {
  AgentInfo,
  AgentState,
  AgentValues,
  Complexity,
  Decision,
  MemoryStats,
  QueryType,
} from '../core/learn-types.ts';
import type { PersistBackend } from '../host/persist.ts';
import type {
  ActReply,
  ActRequest,
  AgentReplyWire,
  LocalQuery,
  LocalQueryResult,
  MonitorShard,
  MonitorShardResult,
  RanSetup,
  RoutedFeature,
  RouterBuildPhases,
  RouterCacheState,
  RouteMemo,
} from '../host/ran-host.ts';
import type { Variant } from '../bindings/platform.ts';

export type { ActRequest, RouterCacheState };

export interface ValidateRequest {
  /**
   * By postMessage `bytes` is transferred (and the reply gives it back);
   * through the fast channel it is a view of the channel's slot
   * (FAST_BORROWS), read by the run, and the caller's own stays with it.
   */
  columns: ReceivedColumns;
  /** bindings.ts VALIDATE_RECORD | VALIDATE_CALLER_CHECKED */
  flags: number;
  /** The caller's parameter count, checked against the worker's catalog. */
  count: number;
  /**
   * The latest time the caller saw recorded (−Infinity: none). A worker
   * whose validator is new (a replacement after a crash) takes it as the
   * cooldown floor: the times it lost count as that late.
   */
  floorAt: number;
}

export interface ValidateReply extends ValidatorRun {
  /** ms in the engine call. */
  ms: number;
  /** The request's packed buffer, sent back (transferred) to be reused; only when it was transferred here. */
  bytes?: ArrayBuffer;
}

export interface InitRequest {
  /** Position of this worker in the pool (its shard). */
  index: number;
  variant: Variant;
  /** Compiled once on the main thread and posted here. */
  module: WebAssembly.Module;
  threads: number;
  bundles?: BundleOverrides;
  startTimeoutMs: number;
  /**
   * A Web Lock the worker holds for its whole life. The main thread queues
   * for the same lock; being granted it means the worker is gone, however
   * it died.
   */
  lifeLock: string | null;
  /** Memory budget, learning and persistence of this worker's agents. */
  host: HostSetup;
  /** The catalog and router setup; built in the background after init. */
  ran: RanSetup | null;
  /**
   * A replacement: its router is built only once startRouter() is called
   * (after the page restored it), so that the restore is not queued
   * behind the catalog's parse.
   */
  holdRouter: boolean;
}

export interface IndexAddOptions {
  parallel?: boolean;
  snapshot?: boolean;
}

export interface IndexAddReply {
  stats: IndexStats;
  /** The shard's bytes after the add, when asked for. */
  snapshot: Uint8Array | null;
}

/** What a worker's router reports. */
export interface RanStats {
  /** Knowledge items of the catalog (features, parameters, counters, KPIs). */
  items: number;
  /** Vectors in this worker's profile index (one per hosted feature). */
  hostedItems: number;
  hostedFeatures: number;
  /** ms from the catalog's arrival in the worker to a router that answers. */
  buildMs: number;
  /** Where buildMs went (the engine's phases are 0 when the router came from the cache). */
  buildPhases: RouterBuildPhases;
  /**
   * Where the router came from (RoutingOptions.cache): `hit` loaded from the
   * cache, `miss` built and offered to the cache, `stale` built because the
   * cached state was of another engine version or damaged, `off` built with
   * no cache.
   */
  cache: RouterCacheState;
  /**
   * The router is in the cache (a hit, or a built router whose write has
   * finished). The write of a built one runs after routerReady(): an engine
   * closed before it ends leaves the next one to build again.
   */
  cached: boolean;
  /** Bytes of router state (lexical index, profile index, embedder, route memory, history). */
  bytes: number;
  /** Rated questions in the route memory. */
  routeMemory: number;
  /** Rated questions the route memory forgot to stay inside the memory budget (oldest first). */
  routeMemoryForgotten: number;
  features: number;
  parameters: number;
  counters: number;
  kpis: number;
  categories: number;
  fingerprint: string;
}

/** A worker's learning and memory figures. */
export interface WorkerLearnStats {
  memory: MemoryStats;
  coldAgents: number;
  backend: PersistBackend | null;
  lastSave: SaveReport | null;
  restored: RestoreReport | null;
  /** Feedback calls applied since the last save. */
  dirty: number;
}

export interface InitResult {
  info: BuildInfo;
  /** ms from receiving init to a ready engine (pthread pool included). */
  startMs: number;
  /** What was restored from storage (null without persistence). */
  restored: RestoreReport | null;
}

/** How debug.crashWorker makes a worker die (testing aid). */
export type CrashMode = 'close' | 'throw';

/** An API as the main side sees it through a worker: every method asynchronous. */
type Remote<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

/** WorkerApi as the main side sees it: every method asynchronous. */
export type RemoteApi = Remote<WorkerApi>;

/**
 * What a call carries besides its method and arguments, on either
 * transport: the pool puts it in, the worker's serving layer (serving.ts)
 * takes it out before the method runs, so no method sees it. Through
 * Comlink it is the first argument of every call (WireApi; null when
 * empty); through the fast channel, fields of the slot's head.
 */
export interface CallEnvelope {
  /**
   * Epoch ms (performance.timeOrigin + performance.now()) after which the
   * caller no longer waits (CallOptions.deadline): a call the worker
   * reaches after it ends at once with TIMEOUT instead of running, and a
   * handler that waits (for the router, for earlier calls) checks it again
   * when it resumes.
   */
  deadline?: number;
}

/** WorkerApi as Comlink carries it: every method takes its call's envelope first. */
export type WireApi = {
  [K in keyof WorkerApi]: (
    envelope: CallEnvelope | null,
    ...args: Parameters<WorkerApi[K]>
  ) => ReturnType<WorkerApi[K]>;
};

/** WireApi as the main side sees it. */
export type RemoteWire = Remote<WireApi>;

export interface WorkerApi {
  init(req: InitRequest): Promise<InitResult>;
  info(): Promise<BuildInfo>;
  /** `queries` and `vectors` may be transferred in; `distances` is transferred out. */
  distanceBatch(req: DistanceBatchInput): Promise<DistanceBatchOutput & { ms: number }>;
  /** Index calls; each worker holds its shard of every named index. */
  indexCreate(name: string, options: IndexOptions): Promise<IndexStats>;
  /**
   * `ids` and `vectors` are copied in. `parallel` builds on the worker's
   * threads (default false: one thread, so a replay of the same adds gives
   * the same graph); `snapshot` sends the shard's bytes back after the add
   * (transferred), taken in the same call.
   */
  indexAdd(name: string, ids: Uint32Array, vectors: Float32Array, options?: IndexAddOptions): Promise<IndexAddReply>;
  /** `queries` transferred in; `ids`/`distances` transferred out. */
  indexSearch(
    name: string,
    queries: Float32Array,
    k: number,
    options: SearchOptions,
  ): Promise<SearchResult & { ms: number }>;
  indexRemove(name: string, ids: Uint32Array): Promise<{ removed: number; stats: IndexStats }>;
  indexStats(name: string): Promise<IndexStats>;
  /** Bytes transferred out. */
  indexSave(name: string): Promise<Uint8Array>;
  /** Replaces the named index; bytes transferred in. */
  indexLoad(name: string, bytes: Uint8Array): Promise<IndexStats>;
  /**
   * Room for `items` nodes in the index, budgeted (a recovery reserves what
   * its replay adds: a loaded index has no room to spare, and its adds
   * would grow it by half again where the index it restores had room).
   */
  indexReserve(name: string, items: number): Promise<IndexStats>;
  indexDrop(name: string): Promise<void>;
  /**
   * An ELEX container written by the engine (the page has no wasm: a sharded
   * index is assembled here). Payloads transferred in, the container out.
   */
  containerWrite(kind: number, sections: [string, Uint8Array][]): Promise<Uint8Array>;
  /**
   * Verifies a container (bytes transferred in) and says where its sections
   * are: [tag, offset, size], offsets into the bytes sent.
   */
  containerRead(bytes: Uint8Array, kind: number): Promise<[string, number, number][]>;
  /** The agent of `code` decides (loading it back first if it was evicted). */
  agentDecide(code: string, queryId: number, state: AgentState, follows: number): Promise<Decision>;
  /** `teachAt` > 0: the router also learns the questions for `code` (its route memory), stamped with it. */
  agentFeedback(
    code: string,
    queryIds: Float64Array,
    rewards: Float32Array,
    teachAt: number,
  ): Promise<{ applied: number; unknown: number }>;
  /** The route memory the page kept of a replaced worker (learned once its router is built). */
  routeRestore(memos: RouteMemo[]): Promise<void>;
  agentValues(code: string, state: AgentState): Promise<AgentValues | null>;
  agentInfo(code: string): Promise<AgentInfo | null>;
  /** Snapshots the agents of the shards this worker hosts. */
  learnSave(): Promise<SaveReport>;
  /** Removes snapshot files of other worker counts (after every worker saved). */
  learnCleanup(): Promise<number>;
  learnStats(): Promise<WorkerLearnStats>;
  /**
   * Routes questions to this worker's best k features each (waits for the
   * router to be built). Here and in ranQuery and ranAct, the call's
   * deadline (CallEnvelope) is checked again once the router is there.
   */
  ranRoute(
    texts: string[],
    k: number,
  ): Promise<{
    features: RoutedFeature[][];
    /** Per question, per feature: its card code (RoutedRaw.card). */
    cards: number[][];
    /** Per question: its type and complexity over this worker's features. */
    classes: { type: QueryType; complexity: Complexity }[];
    ms: { embed: number; route: number; wait: number };
  }>;
  /**
   * Route, classify and act in one call (a pool of one worker hosts every
   * feature). Calls run one after another, in the order they came; the
   * deadline is checked again when a call's turn comes.
   */
  ranQuery(items: LocalQuery[], k: number): Promise<LocalQueryResult>;
  /** The agents of the given features act on one question each. */
  ranAct(reqs: ActRequest[]): Promise<ActReply[]>;
  /**
   * Start-up: `count` of the router's warm-up questions from the `from`-th,
   * answered as ranQuery answers without asking the agents
   * (RanHost.warmUpAnswers); changes nothing.
   */
  ranWarmUp(from: number, count: number, k: number): Promise<LocalQueryResult>;
  /**
   * Whole validation in this worker's engine validator (validator.h), which
   * keeps the cooldowns. Packed columns are transferred in; verdicts and
   * reasons come back transferred.
   */
  validate(req: ValidateRequest): Promise<ValidateReply>;
  /**
   * A replacement of worker 0 is given the cooldowns the page kept, as one
   * recorded run (columns transferred). It answers at once; the run is made
   * as soon as the validator exists, before any validate() call. If it
   * fails, `floorAt` becomes the cooldown floor (the fallback).
   */
  validateRestore(req: ValidateRequest): Promise<void>;
  /** KPIs of this worker's cells; `data` transferred in, results transferred out. */
  monitor(req: MonitorShard): Promise<MonitorShardResult>;
  /**
   * Puts back the monitor history of some cells (a replaced worker's, kept
   * by the page): cells × kpis × 3 values of the KPI set `key`. Applied once
   * the router exists, before any monitor call.
   */
  monitorRestore(key: string, cells: string[], kpis: number, rows: Float64Array): Promise<void>;
  /**
   * Drops the monitor history of some cells in the KPI set `key`: what a
   * batch the page rejected (aborted, timed out) put there after the page
   * stopped waiting. Runs after the calls sent before it.
   */
  monitorForget(key: string, cells: string[]): Promise<void>;
  /** Starts building the router of a worker started with holdRouter (after its restore). */
  startRouter(): Promise<void>;
  /** Router figures, or null while it is being built. */
  ranStats(): Promise<RanStats | null>;
  /** Benchmark aid: this worker's share of `agents` agents ("FAJ 121 3000"…) with `states` states each. */
  populateAgents(agents: number, states: number): Promise<void>;
  /** Testing aid: the next snapshot write stops half-way and the worker dies (OPFS only). */
  crashDuringNextSave(): Promise<void>;
  /** Resolves after `delayMs`, then the worker dies as `mode` says. */
  crash(mode: CrashMode, delayMs: number): Promise<void>;
  /** Does nothing: the round trip of a call (benchmarks, engine.debug.ping). */
  ping(): Promise<void>;
  /**
   * Whether this worker's lock manager sees `name` held: a watcher started
   * after the site's data was cleared shares the new workers' lock manager,
   * the page does not. Needs no init.
   */
  lockHeld(name: string): Promise<boolean>;
  /** Resolves once `name` is free in this worker's lock manager (the worker holding it died). Needs no init. */
  lockFreed(name: string): Promise<void>;
  /**
   * Starts serving FAST_METHODS on a SharedArrayBuffer channel
   * (fast-channel.ts) besides Comlink; `port` (transferred) carries answers
   * too big for a slot. False when this worker cannot (no Atomics.waitAsync).
   */
  openFastChannel(sab: SharedArrayBuffer, port: MessagePort, slotBytes: number, spinMs: number): Promise<boolean>;
}

/**
 * Arrays from this many bytes up are moved between the page and a worker
 * (Comlink.transfer; on the page, of a copy of the caller's); smaller ones
 * are copied by the fast path's codec or by postMessage's clone, which
 * costs less than the transfer's bookkeeping (a one-query search: about
 * 10 µs less, page and worker together).
 */
export const TRANSFER_MIN_BYTES = 16 * 1024;

/**
 * The hot calls: on a cross-origin isolated page they go through the
 * worker's SharedArrayBuffer channel (fast-channel.ts), with the same
 * methods, arguments, results and errors as through Comlink; a method's
 * number on the channel is its position here.
 */
export const FAST_METHODS = [
  'ping',
  'indexSearch',
  'agentDecide',
  'agentFeedback',
  'ranQuery',
  'ranRoute',
  'ranAct',
  'validate',
  'ranWarmUp',
] as const satisfies readonly (keyof WorkerApi)[];
export type FastMethod = (typeof FAST_METHODS)[number];

/**
 * Fast methods whose large ArrayBuffer arguments arrive as views of the
 * channel's slot (fast-codec.ts decode with borrow): each reads them
 * before it answers and never keeps or returns them.
 */
export const FAST_BORROWS: ReadonlySet<FastMethod> = new Set<FastMethod>(['validate']);
