/**
 * The RAN side of one wasm instance (a pool worker): routing of questions
 * to the features this worker hosts, and the agents' structured answers.
 *
 * Features are sharded by code (agent shard % workers). Routing is the
 * engine's router (engine/include/elex/ran/router.h, one call per question):
 * every worker holds the same evidence over the whole catalog, so scores
 * agree across the pool, and ranks only the features it hosts. The
 * evidence (RouteEvidence) is the profile vector, exact hits weighted by
 * how specific they are, BM25F with the glossary, the route memory of
 * rated questions (feedback) and the words of the feature's items; this
 * file flattens the catalog for the router, names its results, keeps the
 * route memory's texts for saving, and runs the agents.
 */
import type { AgentHost } from './agent-host.ts';
import {
  ABI_VERSION,
  cardMatches,
  kpiOutputLayout,
  type Bindings,
  type HeapBlock,
  type KpiEvalResult,
  type RoutedRaw,
  type FlatRouterSpec,
  type RouterHandle,
  type RouterItems,
  type RouteEvidence,
  type RouteWeights,
  type Utf8Names,
} from '../bindings/bindings.ts';
import { ROUTER_ITEM_KIND, ROUTER_ITEM_KIND_NAMES } from '../generated/enums.ts';
import defaultGlossary from '../../catalog/glossary.json' with { type: 'json' };
import {
  fnv64,
  loadCatalog,
  type CatalogStats,
  type Counter,
  type Feature,
  type Kpi,
  type LoadedCatalog,
  type Parameter,
} from './catalog.ts';
import type { Complexity, QueryType } from '../core/learn-types.ts';
import { ElexError } from '../core/errors.ts';
import { AGENT_SHARDS, agentShardOf, hash32, type AgentAction, type AgentState } from '../core/learn-types.ts';
import { compileFormula } from './ran-ops.ts';
import { routeMemoKey, type RouteMemo } from './route-memo.ts';

export { routeMemoKey, type RouteMemo };

export interface MonitorShard {
  cells: string[];
  counters: string[];
  periods: number;
  /** cells × counters × periods */
  data: Float32Array;
  /** KPI names to evaluate (default: every catalog KPI whose counters are all in the batch). */
  kpis?: string[];
  zThreshold: number;
  minHistory: number;
  /** Return values and reasons per period too. */
  perPeriod: boolean;
}

/**
 * The engine's refusal of an infinite sample (it names positions in one
 * call: a slice of this worker's cells) naming the batch's cell id, counter
 * and period instead, as elex-cli and the Python module do; any other error
 * as it is. Runs only when a call has failed.
 */
function nameInfinite(e: unknown, req: MonitorShard): unknown {
  if (!(e instanceof ElexError) || e.code !== 'INVALID_ARGUMENT') return e;
  const i = req.data.findIndex((x) => x === Infinity || x === -Infinity);
  if (i < 0) return e;
  const row = Math.floor(i / req.periods);
  const n = req.counters.length;
  return new ElexError(
    'INVALID_ARGUMENT',
    `cell "${req.cells[Math.floor(row / n)]}", counter "${req.counters[row % n]}", period ${i % req.periods}: ` +
      `the sample is ${req.data[i]! > 0 ? '+inf' : '-inf'}; samples are finite float32 numbers (NaN = missing)`,
  );
}

export interface MonitorShardResult extends KpiEvalResult {
  kpis: string[];
  /** NaN samples in the input. */
  missing: number;
  ms: number;
  /** The batch's KPI set (the history's key) and its cells' history after the batch (cells × kpis × 3). */
  historyKey: string;
  history: Float64Array;
}

export type ItemKind = 'feature' | 'parameter' | 'counter' | 'kpi';

export interface MatchedItem {
  kind: ItemKind;
  name: string;
  /** Similarity (vector) or exact-hit strength. */
  score: number;
  exact: boolean;
}

export interface RoutedFeature {
  code: string;
  name: string;
  /** The fused score in [0, 1] (RouteWeights over `evidence`). */
  score: number;
  matched: MatchedItem[];
  /** Each signal's value for this feature before fusion (0 when it did not match). */
  evidence: RouteEvidence;
}

export type { RouteEvidence };

/** Where a worker's router came from (RanStats.cache). */
export type RouterCacheState = 'hit' | 'miss' | 'stale' | 'off';

/** What the page asks the workers hosting the routed features' agents to do (ranAct). */
export interface ActRequest {
  queryId: string;
  qid: number;
  text: string;
  /** Given by the caller; otherwise the worker's engine classifies the question over `candidates`. */
  type?: QueryType;
  complexity?: Complexity;
  /** The features (hosted by this worker) whose agents act. */
  features: RoutedFeature[];
  /** The pool-wide top features. */
  candidates: RoutedFeature[];
}

/**
 * Where a router's build time went, in ms. On simd-mt (an engine of two
 * threads or more) the lexical index is built beside the vectors, the exact
 * keys and the items' description tokens, so the engine's phases add up to
 * more than its wall time. What buildMs holds beyond the phases is the
 * flattening of the catalog for the engine and its copy into wasm memory.
 */
export interface RouterBuildPhases {
  /** Parsing and checking the catalog JSON, and indexing it (loadCatalog). */
  catalog: number;
  /** The lexical index: documents, glossary, finish. */
  lexical: number;
  /** The exact-hit keys (codes, acronyms, names, identifiers). */
  exact: number;
  /** The embedder's fit and the hosted features' profile vectors. */
  vectors: number;
  /** The words of the hosted features' parameters, counters and KPIs (the item signal), their descriptions' tokens included. */
  items: number;
  /**
   * Reading the router cache, and loading the state it held (0 without a
   * cache). The cache's files open while the catalog is parsed: only the
   * read's time beyond the parse counts here, so catalog + cache is the
   * wall time.
   */
  cache: number;
  /**
   * Routing a few questions made from the catalog's names, so the first real
   * ones do not run cold code. A built router runs it before it is ready
   * (counted in buildMs); one from the cache after, a question at a time
   * while the worker has no calls (RanHost.warmUpStep; not in buildMs).
   */
  warmUp: number;
}

export interface RouteResult {
  features: RoutedFeature[];
  ms: { embed: number; route: number };
}

export interface FeatureCard {
  code: string;
  name?: string;
  acronym?: string;
  category?: string;
  description?: string;
  parameters: (Parameter & { matched: boolean })[];
  counters: (Counter & { matched: boolean })[];
  kpis: (Kpi & { matched: boolean })[];
  /** How many of each the feature has in all. */
  totals: { parameters: number; counters: number; kpis: number };
}

export interface PastQuery {
  queryId: string;
  text: string;
  action: AgentAction;
  /** Reward given, once feedback arrived. */
  reward: number | null;
  similarity: number;
}

export type AgentAnswer =
  | { action: 'DirectAnswer'; card: FeatureCard }
  | {
      action: 'ContextAnswer';
      card: FeatureCard;
      related: { code: string; name?: string }[];
      similarPast: PastQuery[];
    }
  | { action: 'ConsultPeer'; cards: FeatureCard[] }
  | { action: 'RequestClarification'; candidates: { code: string; name?: string; score: number }[] }
  | {
      action: 'Escalate';
      flagged: true;
      reason: string;
      context: { text: string; type: string; complexity: string; candidates: { code: string; score: number }[] };
    };

/**
 * An answer as a worker sends it: without feature cards, which the page
 * builds from its own copy of the catalog and the routed features
 * (expandReply), so that no card is copied between threads.
 */
export type AnswerWire =
  | { action: 'DirectAnswer' }
  | Omit<Extract<AgentAnswer, { action: 'ContextAnswer' }>, 'card'>
  | { action: 'ConsultPeer' }
  | Extract<AgentAnswer, { action: 'RequestClarification' }>
  | Extract<AgentAnswer, { action: 'Escalate' }>;

export interface AgentReplyWire extends Omit<AgentReply, 'answer'> {
  answer: AnswerWire;
}

export interface AgentReply {
  code: string;
  action: AgentAction;
  confidence: number;
  explored: boolean;
  answer: AgentAnswer;
}

/** One question of a single-worker query cycle. */
export interface LocalQuery {
  text: string;
  type?: QueryType;
  complexity?: Complexity;
  queryId: string;
  qid: number;
}

export interface LocalQueryResult {
  results: {
    features: RoutedFeature[];
    /** Per feature, its card code (RoutedRaw.card: what the engine puts on its card). */
    cards: number[];
    type: QueryType;
    complexity: Complexity;
    replies: AgentReplyWire[];
  }[];
  ms: { embed: number; route: number; agents: number };
}

/** A worker's replies to one ActRequest, and the question's type and complexity it acted on. */
export interface ActReply {
  type: QueryType;
  complexity: Complexity;
  replies: AgentReplyWire[];
}

export interface RanSetup {
  /** The catalog as JSON text (parsed and checked in the worker). */
  catalogJson: string;
  dim: number;
  worker: number;
  workers: number;
  /** Fusion weights (tuning and ablations only; default ROUTE_WEIGHTS). */
  weights?: Partial<RouteWeights>;
  /** Leave the default glossary out (ablations only). */
  noDefaultGlossary?: boolean;
  /** The page checked this catalog already and gives its fingerprint: not checked again. */
  fingerprint?: string;
  /**
   * What the router reads of the catalog, named by the page (its fingerprint,
   * which covers the features and items, and a hash of its glossary): the
   * router cache's key, so a worker need not hash the whole catalog text.
   */
  routerKey?: string;
  /** Where the built router is kept between engines (RoutingOptions.cache; default false here). */
  cache?: 'auto' | false;
  /**
   * The page's figures of this catalog (with `fingerprint`): a router loaded
   * from the cache is checked against them, and answers before the worker
   * has parsed the catalog (which it then does between calls, or when a
   * call needs it). Without them the catalog is parsed first.
   */
  stats?: CatalogStats;
}

export type { RouteWeights };
export const ROUTE_WEIGHTS: Readonly<RouteWeights> = {
  vector: 0.5,
  exact: 0.5,
  lexical: 1,
  feedback: 1,
  item: 0.15,
  technology: 0.2,
  direction: 0.1,
};
/** Rated questions remembered per worker (oldest forgotten first). */
export const ROUTE_MEMORY_MAX = 4096;
/** Bytes counted per rated question this host keeps beside the router (RanHost.memory). */
const MEMO_HOST_BYTES = 160;

/**
 * The cache key of a worker's router: the catalog (RanSetup.routerKey, or a
 * hash of its text), the glossary, the
 * dimension, the weights, the pool shape and the ABI. (A state of another
 * engine build under the same key is refused by the engine, which has its
 * own state version, and rebuilt.)
 */
export function routerCacheKey(setup: RanSetup): string {
  const recipe = JSON.stringify({
    abi: ABI_VERSION,
    dim: setup.dim,
    weights: { ...ROUTE_WEIGHTS, ...setup.weights },
    glossary: setup.noDefaultGlossary ? null : fnv64(JSON.stringify(defaultGlossary.entries)),
  });
  return `${routerCachePrefix(setup)}${setup.routerKey ?? fnv64(setup.catalogJson)}-${fnv64(recipe)}`;
}

/** The keys of one worker slot's cached routers (one is kept per slot). */
export function routerCachePrefix(setup: RanSetup): string {
  return `router/${setup.workers}x${setup.worker}/`;
}

const HISTORY = 512;
/** The router's warm-up once it is ready (RanHost.warmUpStep): at most this many questions, for at most this many ms in all. */
const WARM_UP_QUESTIONS = 48;
const WARM_UP_MS = 40;
export const MAX_TEXT = 2000;
/** Questions are non-empty strings of at most 2,000 characters. */
/** The monitor history's key of a KPI set: the batch's counters and the KPIs it names (all: '*'). */
export function monitorHistoryKey(counters: readonly string[], kpis?: readonly string[]): string {
  return `${counters.join('\u0001')}\u0002${kpis?.join('\u0001') ?? '*'}`;
}

export function checkQuestion(text: unknown): string {
  if (typeof text !== 'string' || text.trim().length === 0)
    throw new ElexError('INVALID_ARGUMENT', 'a question must be a non-empty string');
  if (text.length > MAX_TEXT)
    throw new ElexError('INVALID_ARGUMENT', `a question must be at most ${MAX_TEXT} characters, got ${text.length}`);
  return text;
}

/** The catalog of `setup` parsed and indexed (loadCatalog), and the ms it took. */
export function parseRanCatalog(setup: RanSetup): { catalog: LoadedCatalog; ms: number } {
  const t0 = performance.now();
  const catalog = loadCatalog(
    JSON.parse(setup.catalogJson) as unknown,
    'the catalog',
    setup.fingerprint === undefined ? undefined : { fingerprint: setup.fingerprint, owned: true },
  );
  return { catalog, ms: performance.now() - t0 };
}

export class RanHost {
  /** The catalog parsed (null until something needs it, when the router came from the cache). */
  private parsed: LoadedCatalog | null = null;
  /** The router's items' names and kinds (ROUTER_ITEM_KIND): features (item number = feature number), then parameters, counters and KPIs. */
  private itemNames: string[] | Utf8Names = [];
  private itemKinds: Uint8Array = new Uint8Array(0);
  private allCodes: string[] = [];
  /** Per feature: its name ('' when it has none). */
  private featureNames: string[] = [];
  private readonly featureNumber = new Map<string, number>();
  private router: RouterHandle;
  private readonly hosted = new Set<string>();
  private readonly history: {
    queryId: string;
    qid: number;
    text: string;
    vec: Float32Array;
    code: string;
    action: AgentAction;
    reward: number | null;
  }[] = [];
  buildMs = 0;
  /** Where buildMs went. */
  readonly buildPhases: RouterBuildPhases = {
    catalog: 0,
    lexical: 0,
    exact: 0,
    vectors: 0,
    items: 0,
    cache: 0,
    warmUp: 0,
  };

  /**
   * Where the router came from: `hit` loaded from the cache, `miss` built
   * (and offered to the cache), `stale` built because the cached state
   * could not be used, `off` built with no cache.
   */
  cache: RouterCacheState = 'off';
  /** The router is in the cache (loaded from it, or written after the build). */
  cached = false;

  constructor(
    private readonly b: Bindings,
    private readonly agents: AgentHost,
    private readonly setup: RanSetup,
    private readonly onBytes: (bytes: number) => void,
    /** The router's state from the cache (RouterHandle.save()), or null to build it. */
    saved: Uint8Array | HeapBlock | null = null,
    /** ms spent reading the cache before this (counted in buildMs). */
    cacheReadMs = 0,
    /** The catalog parsed already (parseRanCatalog(setup), while the cache was read), and the ms it took. */
    parsed?: { catalog: LoadedCatalog; ms: number },
  ) {
    const t0 = performance.now() - cacheReadMs - (parsed?.ms ?? 0);
    let loaded: RouterHandle | null = null;
    let loadedStats: ReturnType<RouterHandle['stats']> | null = null;
    let loadMs = 0;
    const fromState = saved !== null && !parsed && setup.stats !== undefined;
    if (fromState) {
      // From the state alone: its items name the results, and the catalog is
      // parsed later (catalog()), then compared with them.
      const tl = performance.now();
      try {
        loaded = b.loadRouter(saved, setup.dim);
        if (this.adopt(loaded.items(), setup.stats!)) loadedStats = loaded.stats();
        else (loaded.close(), (loaded = null));
      } catch {
        loaded = null; // another engine's state, or damaged: built below
      }
      loadMs = performance.now() - tl;
    }
    if (!loaded) {
      const p = parsed ?? parseRanCatalog(setup);
      this.parsed = p.catalog;
      this.buildPhases.catalog = p.ms;
      this.fromCatalog(p.catalog);
      if (saved && !fromState) {
        const tl = performance.now();
        try {
          loaded = b.loadRouter(saved, setup.dim);
          // The state must be of this catalog: the same features and items.
          loadedStats = loaded.stats();
          if (loadedStats.features !== this.allCodes.length || loadedStats.hosted !== this.hosted.size) {
            loaded.close();
            loaded = loadedStats = null;
          }
        } catch {
          loaded = loadedStats = null;
        }
        loadMs = performance.now() - tl;
      }
    }
    if (saved) {
      this.cache = loaded ? 'hit' : 'stale';
      this.cached = loaded !== null;
      this.buildPhases.cache = cacheReadMs + loadMs;
    } else if (setup.cache) {
      this.buildPhases.cache = cacheReadMs;
      this.cache = 'miss';
    }
    this.router = loaded ?? b.createRouterFlat(this.routerSpec(setup, [...this.parsed!.features.values()]));
    const { phases, bytes } = loadedStats ?? this.router.stats();
    Object.assign(this.buildPhases, phases);
    this.routerBytes = this.builtBytes = bytes;
    this.buildMs = performance.now() - t0;
  }

  /** The feature numbers, names, hosted set and items of a parsed catalog. */
  private fromCatalog(catalog: LoadedCatalog): void {
    const features = [...catalog.features.values()];
    // Router items: the features (item number = feature number), then the
    // parameters, counters and KPIs in catalog order.
    const { parameters, counters, kpis } = catalog;
    this.itemKinds = new Uint8Array(features.length + parameters.size + counters.size + kpis.size);
    const itemNames: string[] = (this.itemNames = []);
    this.allCodes = [];
    this.featureNames = [];
    this.featureNumber.clear();
    this.hosted.clear();
    for (let f = 0; f < features.length; f++) {
      const code = features[f]!.code;
      this.allCodes.push(code);
      itemNames.push(code);
      this.featureNames.push(features[f]!.name ?? '');
      this.featureNumber.set(code, f);
      if (agentShardOf(code, AGENT_SHARDS) % this.setup.workers === this.setup.worker) this.hosted.add(code);
    }
    let item = features.length;
    for (const [kind, map] of [
      [ROUTER_ITEM_KIND.parameter, parameters],
      [ROUTER_ITEM_KIND.counter, counters],
      [ROUTER_ITEM_KIND.kpi, kpis],
    ] as const)
      for (const name of map.keys()) {
        this.itemKinds[item++] = kind;
        itemNames.push(name);
      }
  }

  /**
   * Takes the feature numbers, names, hosted set and items from a loaded
   * router's state, if it is of this catalog as the page describes it: as
   * many features and items of each kind, and this worker's share of the
   * features (recomputed from their codes) is the one it hosts. False
   * (nothing taken) otherwise.
   */
  private adopt(items: RouterItems, stats: CatalogStats): boolean {
    const F = items.featureNames.length;
    const { features, parameters, counters, kpis } = items.counts;
    if (
      F !== stats.features ||
      features !== F ||
      parameters !== stats.parameters ||
      counters !== stats.counters ||
      kpis !== stats.kpis ||
      features + parameters + counters + kpis !== items.kinds.length ||
      items.names.length !== items.kinds.length ||
      items.codes.length !== F
    )
      return false;
    const codes = items.codes;
    const mine: string[] = [];
    for (let f = 0; f < F; f++) {
      const hosted = agentShardOf(codes[f]!, AGENT_SHARDS) % this.setup.workers === this.setup.worker;
      if (hosted !== (items.hosted[mine.length] === f)) return false;
      if (hosted) mine.push(codes[f]!);
    }
    if (mine.length !== items.hosted.length) return false;
    this.itemNames = items.names;
    this.itemKinds = items.kinds;
    this.allCodes = codes;
    this.featureNames = items.featureNames;
    codes.forEach((code, f) => this.featureNumber.set(code, f));
    for (const code of mine) this.hosted.add(code);
    return true;
  }

  /** Whether the catalog has been parsed (catalog() parses it when not). */
  get catalogParsed(): boolean {
    return this.parsed !== null;
  }

  /**
   * The catalog. A router loaded from the cache answered without it: the
   * first call parses it (its time goes to buildPhases.catalog, not to
   * buildMs) and compares it with the router's items; a router whose items
   * are not this catalog's (a cache written for another catalog under the
   * same key) is then built again from the catalog (cache `stale`), and the
   * route memory taught to it again.
   */
  get catalog(): LoadedCatalog {
    if (this.parsed) return this.parsed;
    const p = parseRanCatalog(this.setup);
    this.parsed = p.catalog;
    this.buildPhases.catalog = p.ms;
    const { itemNames, itemKinds, featureNames } = this;
    this.fromCatalog(p.catalog);
    const same =
      itemNames.length === this.itemNames.length &&
      itemKinds.every((kind, i) => kind === this.itemKinds[i] && itemNames.at(i) === this.itemNames.at(i)) &&
      featureNames.every((name, f) => name === this.featureNames[f]);
    if (!same) this.rebuild();
    return p.catalog;
  }

  /** The router built again from the parsed catalog, replacing the loaded one; the route memory taught to it again. */
  private rebuild(): void {
    const t0 = performance.now();
    const old = this.router;
    this.router = this.b.createRouterFlat(this.routerSpec(this.setup, [...this.parsed!.features.values()]));
    old.close();
    this.cache = 'stale';
    this.cached = false;
    this.builtBytes = this.router.stats().bytes;
    const memos = [...this.memory].filter(([, m]) => this.hosted.has(m.code));
    for (const [id, m] of this.memory)
      if (!this.hosted.has(m.code)) (this.memory.delete(id), this.memoKeys.delete(routeMemoKey(m)));
    if (memos.length > 0)
      this.router.remember(
        Uint32Array.from(memos, ([id]) => id),
        Uint32Array.from(memos, ([, m]) => this.featureNumber.get(m.code)!),
        Float32Array.from(memos, ([, m]) => m.reward),
        memos.map(([, m]) => m.text),
      );
    const { phases, bytes } = this.router.stats();
    Object.assign(this.buildPhases, phases);
    this.routerBytes = bytes;
    this.buildMs += performance.now() - t0;
    this.reportBytes();
  }

  /**
   * The catalog flattened for the engine's router (only when it is built, not
   * loaded): in one pass over the catalog, into typed arrays and one list of
   * texts (no object per item).
   */
  private routerSpec(setup: RanSetup, features: readonly Feature[]): FlatRouterSpec {
    const F = features.length,
      I = this.itemNames.length - F;
    const number = this.featureNumber;
    const glossary: (readonly [string, string])[] = [
      ...(setup.noDefaultGlossary ? [] : (defaultGlossary.entries as [string, string][])),
      ...(this.catalog.catalog.glossary ?? []).map((g) => [g.term, g.means] as const),
    ];
    const texts: string[] = [];
    for (const f of features) texts.push(f.code, f.name ?? '', f.acronym ?? '', f.category ?? '', f.description ?? '');
    // Items: their texts and linked features; their numbers by name, per kind.
    const itemFeatureOffsets = new Uint32Array(I + 1);
    const itemFeatures: number[] = [];
    const byName = [new Map<string, number>(), new Map<string, number>(), new Map<string, number>()] as const;
    const { parameters, counters, kpis } = this.catalog;
    let i = 0;
    for (const [k, map] of [parameters, counters, kpis].entries()) {
      const numbers = byName[k as 0 | 1 | 2];
      for (const it of (map as Map<string, Parameter | Counter | Kpi>).values()) {
        numbers.set(it.name, i);
        texts.push(it.name, it.description ?? '');
        // (A code the page's check let through names a feature, so it has a number.)
        for (const code of it.features ?? []) itemFeatures.push(number.get(code) ?? 0);
        itemFeatureOffsets[++i] = itemFeatures.length;
      }
    }
    for (const [term, means] of glossary) texts.push(term, means);
    // Each feature's own items: its parameters, counters and KPIs in that order.
    const featureItemOffsets = new Uint32Array(F + 1);
    const featureItems: number[] = [];
    const own = (numbers: Map<string, number>, names: string[] | undefined) => {
      if (names) for (const name of names) featureItems.push(numbers.get(name)!);
    };
    for (let f = 0; f < F; f++) {
      const feature = features[f]!;
      own(byName[0], feature.parameters);
      own(byName[1], feature.counters);
      own(byName[2], feature.kpis);
      featureItemOffsets[f + 1] = featureItems.length;
    }
    return {
      dim: setup.dim,
      weights: { ...ROUTE_WEIGHTS, ...setup.weights },
      features: F,
      items: I,
      glossary: glossary.length,
      texts,
      hosted: Uint8Array.from(this.allCodes, (code) => (this.hosted.has(code) ? 1 : 0)),
      itemKinds: this.itemKinds.subarray(F),
      itemFeatureOffsets,
      itemFeatures: Uint32Array.from(itemFeatures),
      featureItemOffsets,
      featureItems: Uint32Array.from(featureItems),
    };
  }

  /**
   * Learns the rated questions restored with the learned state, and from
   * then on gives the route memory to the agent host's saves.
   */
  async build(): Promise<this> {
    if (this.agents.restoredRoutes.length > 0) this.learnRoute(this.agents.restoredRoutes);
    this.agents.routeMemorySource = () => this.routeMemory();
    this.agents.routeGiveWay = () => this.giveWay(0.5);
    this.reportBytes();
    // A router larger than the worker's share of the budget leaves no room
    // for anything: every query would fail BUDGET_EXCEEDED ("0 evictable").
    // Said once, here, by routerReady() and each query.
    const router = this.bytes(),
      budget = this.b.memoryStats().budgetBytes;
    if (router > budget) {
      this.onBytes(0);
      this.close();
      const mib = (n: number) => (n / 1048576).toFixed(1);
      throw new ElexError(
        'BUDGET_EXCEEDED',
        `the router of this catalog takes ${mib(router)} MiB, over this worker's ${mib(budget)} MiB share of memoryBudgetBytes (the budget is split evenly across workers): raise memoryBudgetBytes`,
      );
    }
    // A router built here warms up before it answers (its build takes
    // hundreds of ms, the warm-up at most WARM_UP_MS more); one from the
    // cache, ready in tens of ms, warms up while the worker has no calls.
    if (this.cache !== 'hit') {
      while (this.warmUpStep());
      this.buildMs += this.buildPhases.warmUp;
    }
    return this;
  }

  /** The warm-up's questions (made on first use; warmUpStep and warmUpAnswers read them), and the next one warmUpStep routes. */
  private warmUpList: string[] | null = null;
  private warmUpNext = 0;

  /**
   * Routes one question of the warm-up and drops the answer, so that the
   * first real questions do not run cold code: the router's wasm
   * functions start in the baseline tier and the JavaScript around them
   * unoptimised, which made the first few hundred questions of a new
   * engine several times slower at the tail. The questions are made from
   * the names the router holds (a hosted feature's name, a parameter, a
   * counter and a KPI). Routing changes nothing (no history, no route
   * memory). A built router runs it all before it is ready (build()); for
   * one from the cache the worker calls this once it is ready, a question
   * at a time while it has no calls (worker.ts afterReady), so no call
   * waits for it. False once it is done (WARM_UP_QUESTIONS questions, or
   * WARM_UP_MS ms in all).
   */
  warmUpStep(): boolean {
    const list = (this.warmUpList ??= this.warmUpQuestions());
    const text = list[this.warmUpNext];
    if (text === undefined || this.buildPhases.warmUp > WARM_UP_MS) {
      this.warmUpNext = list.length;
      return false;
    }
    this.warmUpNext++;
    const t0 = performance.now();
    this.routeBatch([text.slice(0, MAX_TEXT)], 5);
    this.buildPhases.warmUp += performance.now() - t0;
    return this.warmUpNext < list.length && this.buildPhases.warmUp <= WARM_UP_MS;
  }

  /**
   * Answers `count` of the warm-up questions from the `from`-th (taken
   * round) as queryLocal would, except that no agent is asked: each routed
   * feature hosted here replies DirectAnswer. For the page's start-up
   * (EngineQueries.warmUp): its calls run the whole query cycle's code,
   * page and worker, before the first real question does. Changes nothing
   * (no decisions, no history, no route memory).
   */
  warmUpAnswers(from: number, count: number, k: number): LocalQueryResult {
    const list = (this.warmUpList ??= this.warmUpQuestions());
    const texts = Array.from({ length: list.length > 0 ? count : 0 }, (_, i) =>
      list[(from + i) % list.length]!.slice(0, MAX_TEXT),
    );
    const routed = this.routeBatch(texts, k);
    const results = texts.map((_, i) => {
      const features = routed.features[i]!;
      const replies: AgentReplyWire[] = features
        .filter((f) => this.hosted.has(f.code))
        .map((f) => ({
          code: f.code,
          action: 'DirectAnswer',
          confidence: 0,
          explored: false,
          answer: { action: 'DirectAnswer' },
        }));
      return { features, cards: routed.cards[i]!, ...routed.classes[i]!, replies };
    });
    return { results, ms: { ...routed.ms, agents: 0 } };
  }

  private warmUpQuestions(): string[] {
    const per = Math.ceil(WARM_UP_QUESTIONS / 4);
    const byKind: string[][] = [[], [], [], []];
    for (let i = this.allCodes.length; i < this.itemNames.length; i++) {
      const list = byKind[this.itemKinds[i]!];
      if (list && list.length < per) list.push(this.itemNames.at(i)!);
    }
    const texts: string[] = [];
    let n = 0;
    for (const code of this.hosted) {
      const f = this.featureNumber.get(code)!;
      texts.push(`What does ${this.featureNames[f] || code} do?`);
      const [p, c, k] = [1, 2, 3].map((kind) => byKind[kind]![n]);
      if (p) texts.push(`What is the range of ${p}?`);
      if (c) texts.push(`Why is ${c} increasing on my cells?`);
      if (k) texts.push(`How is the ${k} KPI computed?`);
      n++;
      if (texts.length >= WARM_UP_QUESTIONS) break;
    }
    return texts.slice(0, WARM_UP_QUESTIONS);
  }

  private reportBytes(): void {
    // Router state is engine state: it counts against the memory budget.
    this.onBytes(this.bytes());
    // The route memory gives way when the worker is over its budget (rated
    // questions, the query history or anything else grew it).
    if (this.memory.size === 0) return;
    const m = this.b.memoryStats();
    if (m.usedBytes > m.budgetBytes) this.forgetRoutes(m.usedBytes - m.budgetBytes);
  }

  /**
   * Frees `share` of the route memory's bytes (its oldest rated questions)
   * for a call that does not fit the budget otherwise (AgentHost.routeGiveWay);
   * false when it holds none.
   */
  private giveWay(share: number): boolean {
    if (this.memory.size === 0) return false;
    this.forgetRoutes(Math.max(1, this.routeMemoryBytes() * share));
    return true;
  }

  /** The route memory's bytes (the router's memory index and records, and the rated questions this host keeps). */
  private routeMemoryBytes(): number {
    return this.routerBytes - this.builtBytes + this.memory.size * MEMO_HOST_BYTES;
  }

  /**
   * Forgets the oldest rated questions until the route memory holds at
   * least `bytes` fewer (all of them if it holds no more): the engine's
   * router frees them at once (Router::trim_memory), and this host's copies
   * go with them.
   */
  private forgetRoutes(bytes: number): void {
    const { forgotten, error } = this.router.trim(bytes, MEMO_HOST_BYTES, this.memory.size);
    for (const id of forgotten) {
      const memo = this.memory.get(id);
      if (!memo) continue;
      this.memoKeys.delete(routeMemoKey(memo));
      this.memory.delete(id);
    }
    this.routesForgotten += forgotten.length;
    this.routerBytes = this.router.stats().bytes;
    this.onBytes(this.bytes());
    if (error) throw error;
  }

  /** Rated questions forgotten for the memory budget (RanStats.routeMemoryForgotten). */
  private routesForgotten = 0;

  /** The router's built state, for the cache (RouterHandle.save()). */
  routerState(): Uint8Array {
    return this.router.save();
  }

  /** The engine router's bytes, read after a build or a change of its memory (reading walks its tables). */
  private routerBytes = 0;
  /** The engine router's bytes with no route memory (what it was built or loaded with). */
  private builtBytes = 0;

  /** Bytes of the router's wasm and JavaScript state (what reportBytes counts against the budget). */
  bytes(): number {
    return this.routerBytes + this.history.length * (this.router.dim * 4 + 256) + this.memory.size * MEMO_HOST_BYTES;
  }

  stats() {
    const r = this.router.stats();
    return {
      items: this.itemNames.length,
      hostedItems: r.hosted,
      hostedFeatures: this.hosted.size,
      buildMs: this.buildMs,
      buildPhases: { ...this.buildPhases },
      cache: this.cache,
      cached: this.cached,
      bytes: this.bytes(),
      routeMemory: this.memory.size,
      routeMemoryForgotten: this.routesForgotten,
      // (Before the catalog is parsed, the page's figures, which the router's items matched.)
      ...(this.parsed ? this.parsed.stats : this.setup.stats!),
      fingerprint: this.parsed ? this.parsed.fingerprint : this.setup.fingerprint!,
    };
  }

  /** Routes a question to this worker's best `k` features. */
  route(text: string, k: number): RouteResult {
    const r = this.routeBatch([text], k);
    return { features: r.features[0]!, ms: r.ms };
  }

  /**
   * Routes several questions (one engine call each: the router embeds,
   * matches and ranks in C++, classifies the question over this worker's
   * features and says what each feature's card shows).
   */
  routeBatch(
    texts: readonly string[],
    k: number,
  ): {
    features: RoutedFeature[][];
    /** Per question, per feature: its card code (RoutedRaw.card). */
    cards: number[][];
    /** Per question: type and complexity over this worker's features. */
    classes: { type: QueryType; complexity: Complexity }[];
    vectors: Float32Array;
    ms: { embed: number; route: number };
  } {
    for (const text of texts) checkQuestion(text);
    const t0 = performance.now();
    const dim = this.router.dim;
    const vectors = new Float32Array(texts.length * dim);
    const features: RoutedFeature[][] = [];
    const cards: number[][] = [];
    const classes: { type: QueryType; complexity: Complexity }[] = [];
    texts.forEach((text, qi) => {
      const r = this.router.routeQuery(text, k, vectors.subarray(qi * dim, (qi + 1) * dim));
      features.push(r.features.map((f) => this.routed(f)));
      cards.push(r.features.map((f) => f.card));
      classes.push({ type: r.type, complexity: r.complexity });
    });
    return { features, cards, classes, vectors, ms: { embed: 0, route: performance.now() - t0 } };
  }

  /**
   * The agents of a pool's request act: the question is classified over the
   * pool's merged candidates by the engine (the same inputs in every worker
   * that acts on it, so the same type and complexity), unless given.
   */
  async actMerged(req: ActRequest): Promise<ActReply> {
    const c =
      req.type !== undefined && req.complexity !== undefined
        ? { type: req.type, complexity: req.complexity }
        : this.b.classify(req.text, req.candidates);
    const type = req.type ?? c.type,
      complexity = req.complexity ?? c.complexity;
    const replies = await this.act({ ...req, type, complexity });
    return { type, complexity, replies };
  }

  /** A feature's name (undefined when it has none, or is not a feature). */
  private nameOf(code: string): string | undefined {
    const f = this.featureNumber.get(code);
    return (f === undefined ? '' : this.featureNames[f]) || undefined;
  }

  private routed(r: RoutedRaw): RoutedFeature {
    const code = this.allCodes[r.feature]!;
    return {
      code,
      name: this.featureNames[r.feature] || code,
      score: r.score,
      matched: r.matched.map((m) => ({
        kind: ROUTER_ITEM_KIND_NAMES[this.itemKinds[m.item]!]!,
        name: this.itemNames.at(m.item)!,
        score: m.score,
        exact: m.exact,
      })),
      evidence: r.evidence,
    };
  }

  /**
   * The agents of `features` hosted here decide and answer. `candidates`
   * are the merged top features of the whole pool (for ConsultPeer and
   * RequestClarification).
   */
  async act(
    req: ActRequest & { type: QueryType; complexity: Complexity },
    vector?: Float32Array,
  ): Promise<AgentReplyWire[]> {
    const replies: AgentReplyWire[] = [];
    let qvec: Float32Array | null = vector ?? null;
    const mine = req.features.filter((f) => this.hosted.has(f.code));
    const decisions = await this.agents.decideMany(
      mine.map((f) => ({
        code: f.code,
        state: {
          type: req.type,
          complexity: req.complexity,
          confidence: Math.min(1, Math.max(0, f.score)),
          context: hash32(`${req.type}|${f.matched[0]?.name ?? ''}`),
        } satisfies AgentState,
      })),
      req.qid,
      0,
    );
    for (let i = 0; i < mine.length; i++) {
      const f = mine[i]!,
        d = decisions[i]!;
      const answer = this.answer(d.action, f, req, () => (qvec ??= this.router.embed(req.text)));
      replies.push({ code: f.code, action: d.action, confidence: d.confidence, explored: d.explored, answer });
      this.remember(req.queryId, req.qid, req.text, (qvec ??= this.router.embed(req.text)), f.code, d.action);
    }
    return replies;
  }

  /**
   * The whole cycle for questions when this worker hosts every feature: the
   * engine routes, classifies and picks each feature's card in one call per
   * question (as its pipeline, engine/include/elex/pipeline/pipeline.h, does), then
   * the agents decide (through the agent host, which keeps them resident).
   */
  async queryLocal(items: LocalQuery[], k: number): Promise<LocalQueryResult> {
    const routed = this.routeBatch(
      items.map((i) => i.text),
      k,
    );
    const t0 = performance.now();
    const results = [];
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      const features = routed.features[i]!;
      const type = it.type ?? routed.classes[i]!.type,
        complexity = it.complexity ?? routed.classes[i]!.complexity;
      const replies = await this.act(
        { queryId: it.queryId, qid: it.qid, text: it.text, type, complexity, features, candidates: features },
        routed.vectors.subarray(i * this.router.dim, (i + 1) * this.router.dim),
      );
      results.push({ features, cards: routed.cards[i]!, type, complexity, replies });
    }
    return { results, ms: { ...routed.ms, agents: performance.now() - t0 } };
  }

  private answer(
    action: AgentAction,
    f: RoutedFeature,
    req: { text: string; type: string; complexity: string; candidates: RoutedFeature[] },
    vec: () => Float32Array,
  ): AnswerWire {
    switch (action) {
      case 'DirectAnswer':
      case 'ConsultPeer':
        return { action }; // cards: built by the page (expandReply)
      case 'ContextAnswer': {
        const deps = this.catalog.features.get(f.code)?.dependencies ?? [];
        return {
          action,
          related: deps.map((c) => ({ code: c, name: this.catalog.features.get(c)?.name })),
          similarPast: this.similar(vec(), f.code),
        };
      }
      case 'RequestClarification':
        return {
          action,
          candidates: req.candidates
            .slice(0, 5)
            .map((c) => ({ code: c.code, name: this.nameOf(c.code), score: c.score })),
        };
      default:
        return {
          action: 'Escalate',
          flagged: true,
          reason: 'the agent judged this question to need an expert',
          context: {
            text: req.text,
            type: req.type,
            complexity: req.complexity,
            candidates: req.candidates.slice(0, 5).map((c) => ({ code: c.code, score: c.score })),
          },
        };
    }
  }

  private remember(
    queryId: string,
    qid: number,
    text: string,
    vec: Float32Array,
    code: string,
    action: AgentAction,
  ): void {
    this.history.push({ queryId, qid, text, vec, code, action, reward: null });
    if (this.history.length > HISTORY) this.history.shift();
    if (this.history.length % 64 === 0) this.reportBytes();
  }

  /** Past queries routed to `code`, most similar first (cosine of their embeddings). */
  private similar(vec: Float32Array, code: string): PastQuery[] {
    const out: PastQuery[] = [];
    for (const h of this.history) {
      if (h.code !== code) continue;
      let dot = 0;
      for (let i = 0; i < vec.length; i++) dot += vec[i]! * h.vec[i]!;
      out.push({ queryId: h.queryId, text: h.text, action: h.action, reward: h.reward, similarity: dot });
    }
    return out.sort((a, b) => b.similarity - a.similarity).slice(0, 3);
  }

  /**
   * Records the reward of a past query (for ContextAnswer), and teaches
   * routing: the question, rated on `code`, joins the route memory.
   */
  rewarded(code: string, qid: number, reward: number, teachAt: number): void {
    for (const h of this.history)
      if (h.qid === qid && h.code === code) {
        h.reward = reward;
        if (teachAt > 0) this.learnRoute([{ text: h.text, code, reward, at: teachAt }]);
      }
  }

  /**
   * Route memory: rated questions of the hosted features in an index of
   * their embeddings. A question's feedback evidence on feature F is
   *   Σ reward × (sim − MIN) / (1 − MIN)
   * over the MEMORY_K rated questions most similar to it (cosine sim ≥
   * MIN) that were rated on F, clamped to [−1, 1]. A 👍 (reward > 0)
   * raises F for similar questions; a 👎 lowers it. At most
   * ROUTE_MEMORY_MAX are kept, oldest forgotten first; they are saved
   * with the learned state (AgentHost.save) and restored with it.
   */
  learnRoute(memos: readonly RouteMemo[]): number {
    const fresh = memos.filter(
      (m) =>
        !this.memoKeys.has(routeMemoKey(m)) &&
        this.hosted.has(m.code) &&
        typeof m.text === 'string' &&
        m.text.trim().length > 0 &&
        m.text.length <= MAX_TEXT &&
        Number.isFinite(m.reward) &&
        m.reward !== 0,
    );
    if (fresh.length === 0) return 0;
    const ids = new Uint32Array(fresh.length);
    fresh.forEach((m, i) => (ids[i] = this.memNext + i));
    this.router.remember(
      ids,
      Uint32Array.from(fresh, (m) => this.featureNumber.get(m.code)!),
      Float32Array.from(fresh, (m) => Math.max(-1, Math.min(1, m.reward))),
      fresh.map((m) => m.text),
    );
    this.memNext += fresh.length;
    fresh.forEach((m, i) => {
      this.memoKeys.add(routeMemoKey(m));
      this.memory.set(ids[i]!, { ...m, reward: Math.max(-1, Math.min(1, m.reward)) });
    });
    const drop: number[] = [];
    for (const id of this.memory.keys()) {
      if (this.memory.size - drop.length <= ROUTE_MEMORY_MAX) break;
      drop.push(id);
    }
    if (drop.length > 0) {
      this.router.forget(Uint32Array.from(drop));
      for (const id of drop) {
        this.memoKeys.delete(routeMemoKey(this.memory.get(id)!));
        this.memory.delete(id);
      }
    }
    this.routerBytes = this.router.stats().bytes;
    this.reportBytes();
    return fresh.length;
  }

  /** The route memory, oldest first (what AgentHost.save writes). */
  routeMemory(): RouteMemo[] {
    return [...this.memory.values()];
  }

  /** Rated questions by their id in the router's memory (insertion order: oldest first). */
  private readonly memory = new Map<number, RouteMemo>();
  private memNext = 0;
  /** routeMemoKey of every remembered memo: one learned twice (a save and the page's mirror) counts once. */
  private readonly memoKeys = new Set<string>();

  private readonly programs = new Map<
    string,
    {
      kpis: string[];
      ops: Int32Array;
      offsets: Uint32Array;
      consts: Float32Array;
      thresholds: Float32Array;
      directions: Int8Array;
    }
  >();
  /**
   * Per KPI set: count, mean, M2 per cell and KPI (Welford), for anomaly
   * scores. One array per KPI set, a row of K × 3 per cell; a batch with
   * the same cells in the same order as the last one uses it in place.
   */
  private readonly kpiHistory = new Map<string, { rows: Map<string, number>; data: Float64Array; width: number }>();

  /** KPI values, statistics and anomalies for this worker's cells. */
  monitor(req: MonitorShard): MonitorShardResult {
    const t0 = performance.now();
    const key = monitorHistoryKey(req.counters, req.kpis);
    let prog = this.programs.get(key);
    if (!prog) {
      const index = new Map(req.counters.map((c, i) => [c, i]));
      const names: string[] = [];
      const ops: number[] = [];
      const offsets = [0];
      const consts: number[] = [];
      const thresholds: number[] = [];
      const directions: number[] = [];
      const wanted = req.kpis ?? [...this.catalog.kpis.keys()];
      for (const name of wanted) {
        const k = this.catalog.kpis.get(name);
        if (!k) throw new ElexError('NOT_FOUND', `unknown KPI "${name}"`);
        if (!k.formula) {
          if (req.kpis) throw new ElexError('INVALID_ARGUMENT', `KPI "${name}" has no formula in the catalog`);
          continue;
        }
        const code = compileFormula(k.formula, index, consts);
        if (!code) {
          if (req.kpis)
            throw new ElexError('INVALID_ARGUMENT', `KPI "${name}" needs counters that are not in the batch`);
          continue;
        }
        names.push(name);
        ops.push(...code);
        offsets.push(ops.length);
        thresholds.push(k.threshold ?? NaN);
        directions.push(k.threshold === undefined ? 0 : k.direction === 'lower' ? -1 : 1);
      }
      prog = {
        kpis: names,
        ops: Int32Array.from(ops),
        offsets: Uint32Array.from(offsets),
        consts: Float32Array.from(consts),
        thresholds: Float32Array.from(thresholds),
        directions: Int8Array.from(directions),
      };
      if (this.programs.size > 32) this.programs.clear();
      this.programs.set(key, prog);
    }
    const K = prog.kpis.length,
      C = req.cells.length;
    let hist = this.kpiHistory.get(key);
    if (!hist) this.kpiHistory.set(key, (hist = { rows: new Map(), data: new Float64Array(0), width: K * 3 }));
    const rowOf = req.cells.map((cell) => {
      let r = hist.rows.get(cell);
      if (r === undefined) hist.rows.set(cell, (r = hist.rows.size));
      return r;
    });
    if (hist.rows.size * K * 3 > hist.data.length) {
      const grown = new Float64Array(Math.max(hist.rows.size, 2 * (hist.data.length / (K * 3))) * K * 3);
      grown.set(hist.data);
      hist.data = grown;
    }
    // Rows 0..C-1 in order (the same batch again): the stored array itself.
    const inPlace = rowOf.every((r, c) => r === c);
    const history = inPlace ? hist.data.subarray(0, C * K * 3) : new Float64Array(C * K * 3);
    if (!inPlace) rowOf.forEach((r, c) => history.set(hist.data.subarray(r * K * 3, (r + 1) * K * 3), c * K * 3));
    const outBytes = kpiOutputLayout(C, K, req.counters.length).bytes;
    const spare = this.spare?.byteLength === outBytes ? this.spare : undefined;
    this.spare = null;
    let r: KpiEvalResult;
    try {
      r = this.b.kpiEval(
        { ...prog, kpis: K },
        req.data,
        { cells: C, counters: req.counters.length, periods: req.periods },
        history,
        req.zThreshold,
        req.minHistory,
        req.perPeriod,
        spare,
      );
    } catch (e) {
      throw nameInfinite(e, req);
    }
    this.warmSpare(outBytes);
    if (!inPlace) rowOf.forEach((r, c) => hist.data.set(history.subarray(c * K * 3, (c + 1) * K * 3), r * K * 3));
    // Missing samples: periods minus the non-NaN count of every counter row.
    let missing = 0;
    for (let i = 0; i < r.counterStats.length; i += 5) missing += req.periods - r.counterStats[i]!;
    return { kpis: prog.kpis, ...r, missing, ms: performance.now() - t0, historyKey: key, history: history.slice() };
  }

  /** Drops the history of `cells` in the KPI set `key` (as if monitor() had never seen them). */
  forgetHistory(key: string, cells: string[]): void {
    const hist = this.kpiHistory.get(key);
    if (!hist) return;
    for (const cell of cells) {
      const r = hist.rows.get(cell);
      if (r !== undefined) hist.data.fill(0, r * hist.width, (r + 1) * hist.width);
    }
  }

  /** Puts back history rows (cells × kpis × 3, as monitor() returns them) of a KPI set: a replaced worker's. */
  restoreHistory(key: string, cells: string[], kpis: number, rows: Float64Array): void {
    const width = kpis * 3;
    if (rows.length !== cells.length * width)
      throw new ElexError('INVALID_ARGUMENT', `${rows.length} history values are not ${cells.length} cells × ${width}`);
    let hist = this.kpiHistory.get(key);
    if (!hist) this.kpiHistory.set(key, (hist = { rows: new Map(), data: new Float64Array(0), width }));
    for (const cell of cells) if (!hist.rows.has(cell)) hist.rows.set(cell, hist.rows.size);
    if (hist.rows.size * width > hist.data.length) {
      const grown = new Float64Array(hist.rows.size * width);
      grown.set(hist.data);
      hist.data = grown;
    }
    cells.forEach((cell, c) => hist.data.set(rows.subarray(c * width, (c + 1) * width), hist.rows.get(cell)! * width));
  }

  /**
   * The figures of a monitor batch leave in a fresh buffer (it is
   * transferred). The first write to each of its pages is a page fault,
   * which costs more than the copy itself (8.6 MB for 1,000 cells × 116
   * KPIs × 200 counters: 6–10 ms of faults against 1 ms of copy here). So
   * once a batch is answered, a buffer for the next batch of the same
   * shape has its pages touched while the worker is idle (at most
   * SPARE_MAX bytes; a batch of another shape allocates its own).
   */
  private spare: ArrayBuffer | null = null;
  private spareTimer: ReturnType<typeof setTimeout> | undefined;
  private warmSpare(bytes: number): void {
    if (bytes > SPARE_MAX) return;
    clearTimeout(this.spareTimer);
    this.spareTimer = setTimeout(() => {
      const buf = new ArrayBuffer(bytes);
      const u8 = new Uint8Array(buf);
      for (let i = 0; i < bytes; i += 4096) u8[i] = 0;
      this.spare = buf;
    }, 0);
  }

  close(): void {
    clearTimeout(this.spareTimer);
    this.spare = null;
    this.router.close();
  }
}

/** Largest monitor output buffer kept warm between batches (see RanHost.spare). */
const SPARE_MAX = 64 << 20;

/**
 * A feature's card from the engine's card code (RoutedRaw.card, answer.h):
 * the items of `f.matched` it lists, in its order, as the catalog's
 * objects, marked matched; and the feature's totals.
 */
export function featureCard(catalog: LoadedCatalog, f: RoutedFeature, card: number): FeatureCard {
  const feature: Feature | undefined = catalog.features.get(f.code);
  if (!feature) throw new ElexError('NOT_FOUND', `unknown feature code "${f.code}"`);
  const parameters: FeatureCard['parameters'] = [],
    counters: FeatureCard['counters'] = [],
    kpis: FeatureCard['kpis'] = [];
  for (const i of cardMatches(card)) {
    const m = f.matched[i];
    if (!m) continue;
    if (m.kind === 'parameter')
      parameters.push({ ...(catalog.parameters.get(m.name) ?? { name: m.name }), matched: true });
    else if (m.kind === 'counter')
      counters.push({ ...(catalog.counters.get(m.name) ?? { name: m.name }), matched: true });
    else if (m.kind === 'kpi') kpis.push({ ...(catalog.kpis.get(m.name) ?? { name: m.name }), matched: true });
  }
  return {
    code: feature.code,
    name: feature.name,
    acronym: feature.acronym,
    category: feature.category,
    description: feature.description,
    parameters,
    counters,
    kpis,
    totals: {
      parameters: feature.parameters?.length ?? 0,
      counters: feature.counters?.length ?? 0,
      kpis: feature.kpis?.length ?? 0,
    },
  };
}

/** `o` with an enumerable property `key` made by `make` on first read and kept. */
function lazily<K extends string, V>(o: object, key: K, make: () => V): AgentAnswer {
  let v: V | undefined;
  return Object.defineProperty(o, key, { get: () => (v ??= make()), enumerable: true }) as AgentAnswer;
}

/**
 * A worker's reply with its cards: the agent's own feature card
 * (DirectAnswer, ContextAnswer) or the first three candidates' (ConsultPeer),
 * each built on first read and kept. `cards[i]` is candidates[i]'s card
 * code, as the engine that routed it gave it.
 */
export function expandReply(
  catalog: LoadedCatalog,
  wire: AgentReplyWire,
  candidates: readonly RoutedFeature[],
  cards: readonly number[],
): AgentReply {
  const a = wire.answer;
  const own = () => {
    const i = candidates.findIndex((c) => c.code === wire.code);
    const f =
      i >= 0 ? candidates[i]! : { code: wire.code, name: wire.code, score: 0, matched: [], evidence: NO_EVIDENCE };
    return featureCard(catalog, f, i >= 0 ? (cards[i] ?? 0) : 0);
  };
  let answer: AgentAnswer;
  if (a.action === 'DirectAnswer' || a.action === 'ContextAnswer') answer = lazily({ ...a }, 'card', own);
  else if (a.action === 'ConsultPeer')
    answer = lazily({ ...a }, 'cards', () =>
      candidates.slice(0, 3).map((c, i) => featureCard(catalog, c, cards[i] ?? 0)),
    );
  else answer = a;
  return { ...wire, answer };
}

const NO_EVIDENCE: RouteEvidence = {
  vector: 0,
  exact: 0,
  lexical: 0,
  feedback: 0,
  item: 0,
  technology: 0,
  direction: 0,
};
