/**
 * The RAN side of one wasm instance (a pool worker): routing of questions
 * to the features this worker hosts, and the agents' structured answers.
 *
 * Features are sharded by code (agent shard % workers). Every worker holds
 * the same evidence over the whole catalog, so scores agree across the
 * pool, and ranks only the features it hosts:
 *   - vector: cosine of the question's embedding to the feature's profile
 *     (code, name, acronym, category, description; profileText), from an
 *     exact search of the hosted profiles;
 *   - exact: the strongest identifier the question names: the feature's
 *     code (with or without spaces), acronym (as written) or full name (1),
 *     a parameter, counter or KPI identifier or KPI name (0.8), scaled by
 *     specificity() (an identifier 40 features share is weak evidence);
 *   - lexical: BM25F over one document per feature (the C++ lexical index,
 *     with the glossary), divided by the question's best score;
 *   - feedback: past questions rated on the feature, weighted by their
 *     similarity to this one (RouteMemory).
 * The score is their weighted sum (RouteWeights) over the sum of the
 * weights, in [0, 1]. `matched` lists the exact hits first, then the
 * profile's similarity; `evidence` gives each signal's share.
 */
import type { AgentHost } from './agent-host.ts';
import type { LexicalField } from './bindings.ts';
import {
  kpiOutputLayout,
  type Bindings,
  type EmbedderHandle,
  type IndexHandle,
  type KpiEvalResult,
  type LexicalHandle,
} from './bindings.ts';
import defaultGlossary from '../catalog/glossary.json' with { type: 'json' };
import { loadCatalog, type Counter, type Feature, type Kpi, type LoadedCatalog, type Parameter } from './catalog.ts';
import { classify, type MatchedEntity } from './classify.ts';
import type { Complexity, QueryType } from './learn-types.ts';
import { ElexError } from './errors.ts';
import { AGENT_SHARDS, agentShardOf, hash32, type AgentAction, type AgentState } from './learn-types.ts';
import { compileFormula } from './ran-ops.ts';
import type { ActRequest } from './protocol.ts';

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
}

/** Where a router's build time went, in ms. */
export interface RouterBuildPhases {
  /** Parsing and checking the catalog JSON, and indexing it (loadCatalog). */
  catalog: number;
  /** The lexical index: documents, glossary, finish. */
  lexical: number;
  /** The exact-hit keys (codes, acronyms, names, identifiers). */
  exact: number;
  /** The embedder's fit and the profile index. */
  vectors: number;
}

/** What tells route memos apart: when, which feature, which question. */
export const routeMemoKey = (m: RouteMemo) => `${m.at}\u0000${m.code}\u0000${m.text}`;

/** One rated question the router remembers (RouteMemory). */
export interface RouteMemo {
  text: string;
  code: string;
  /** The reward given, in [-1, 1]. */
  reward: number;
  /** When (ms since the epoch; with text and code, what tells copies apart). */
  at: number;
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
  results: { features: RoutedFeature[]; type: QueryType; complexity: Complexity; replies: AgentReplyWire[] }[];
  ms: { embed: number; route: number; agents: number };
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
}

/**
 * How the router's evidence adds up into a feature's score: the cosine
 * similarity of its profile, its strongest exact hit (scaled by how
 * specific the hit is), and its BM25F score (divided by the question's
 * best) give their weighted sum over the sum of their weights, in [0, 1];
 * the feedback evidence, times its weight, is added to that and the sum
 * clamped to [0, 1]. Chosen on the dev split of eval/facts-questions.json
 * and the synthetic set (npm run bench:route prints both, and the
 * ablations).
 */
export interface RouteWeights {
  vector: number;
  exact: number;
  lexical: number;
  /** Weight of the feedback signal (added to the fused score, which is then clamped to [0, 1]). */
  feedback: number;
  /** Weight of the item signal (added likewise, to the best RERANK candidates). */
  item: number;
}
export const ROUTE_WEIGHTS: Readonly<RouteWeights> = {
  vector: 0.5,
  exact: 0.5,
  lexical: 1,
  feedback: 1,
  item: 0.15,
};
/**
 * A raw score into [0, 1], keeping its order: itself up to 0.9, then an
 * exponential approach to 1 (feedback and the item signal add to a score
 * that may already be near 1: clamping at 1 made such features tie), and 0
 * below 0.
 */
export const squash = (x: number) => (x <= 0 ? 0 : x <= 0.9 ? x : 1 - 0.1 * Math.exp(-(x - 0.9) / 0.1));
/** Candidates re-scored with the item signal. */
const RERANK = 8;
/** Rated questions remembered per worker (oldest forgotten first). */
export const ROUTE_MEMORY_MAX = 4096;
/** Rated questions consulted per question, and how similar one must be to count. */
const MEMORY_K = 16;
const MEMORY_MIN_SIM = 0.25;
/** Items listed in a routed feature's `matched`, and the least word-overlap score of one. */
const MATCHED_MAX = 8;
const ITEM_MIN = 0.3;
/** Features the lexical index proposes per question. */
const LEXICAL_K = 30;
/** Exact-hit strength of an item linked to n features: 1 for a unique one, weaker the more it is shared. */
const specificity = (n: number) => 1 / (1 + Math.log(Math.max(1, n)));

/** Index search results of one or more questions (ids and distances, k a question). */
type VectorHits = { ids: Uint32Array; distances: Float32Array };

/** A feature's items and their words (RanHost.itemWords). */
interface ItemWords {
  items: { kind: ItemKind; item: string; nameWords: number }[];
  /** word → [item index, weight] */
  byWord: Map<string, [number, number][]>;
}

interface Item {
  kind: ItemKind;
  name: string;
  features: string[];
}

const CODE_RE = /\b([A-Z]{2,5}) ?(\d{2,4}) ?(\d{2,5})\b/g;
const HISTORY = 512;
export const MAX_TEXT = 2000;
/** Features the vector signal proposes per question. */
const VECTOR_K = 32;

const normCode = (c: string) => c.replace(/\s+/g, '').toLowerCase();
/** [a-z0-9] (text is lower-cased first). */
const isAlnum = (c: number) => (c >= 97 && c <= 122) || (c >= 48 && c <= 57);

/** Questions are non-empty strings of at most 2,000 characters. */
export function checkQuestion(text: unknown): string {
  if (typeof text !== 'string' || text.trim().length === 0)
    throw new ElexError('INVALID_ARGUMENT', 'a question must be a non-empty string');
  if (text.length > MAX_TEXT)
    throw new ElexError('INVALID_ARGUMENT', `a question must be at most ${MAX_TEXT} characters, got ${text.length}`);
  return text;
}

export class RanHost {
  readonly catalog: LoadedCatalog;
  private readonly items: Item[] = [];
  private readonly embedder: EmbedderHandle;
  /** BM25F over every catalog feature (every worker the same, so scores agree); doc i = allCodes[i]. */
  private readonly lexical: LexicalHandle;
  private readonly allCodes: string[];
  private readonly weights: RouteWeights;
  private index: IndexHandle | null = null;
  /** Lower-cased identifiers → item ids (hosted items only). */
  private readonly ids = new Map<string, number[]>();
  private readonly acronyms = new Map<string, number[]>();
  /** Multi-word names (features, KPIs) → item ids, matched as substrings. */
  private readonly phrases: [string, number][] = [];
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
  /** Items in this worker's index (read on every query, so kept here). */
  private indexed = 0;

  constructor(
    private readonly b: Bindings,
    private readonly agents: AgentHost,
    setup: RanSetup,
    private readonly onBytes: (bytes: number) => void,
  ) {
    const t0 = performance.now();
    let tp = t0;
    const phase = (name: keyof RouterBuildPhases) => {
      const now = performance.now();
      this.buildPhases[name] = now - tp;
      tp = now;
    };
    this.catalog = loadCatalog(
      JSON.parse(setup.catalogJson) as unknown,
      'the catalog',
      setup.fingerprint === undefined ? undefined : { fingerprint: setup.fingerprint },
    );
    phase('catalog');
    for (const code of this.catalog.features.keys())
      if (agentShardOf(code, AGENT_SHARDS) % setup.workers === setup.worker) this.hosted.add(code);
    const add = (kind: ItemKind, name: string, features: string[]) => this.items.push({ kind, name, features });
    for (const f of this.catalog.features.values()) add('feature', f.code, [f.code]);
    for (const p of this.catalog.parameters.values()) add('parameter', p.name, p.features ?? []);
    for (const c of this.catalog.counters.values()) add('counter', c.name, c.features ?? []);
    for (const k of this.catalog.kpis.values()) add('kpi', k.name, k.features ?? []);
    // One profile text per feature for the vector signal; the embedder is
    // fitted on every feature's profile in every worker, so IDF (and thus
    // similarities) agree across the pool.
    const profiles = [...this.catalog.features.values()].map((f) => profileText(f));
    this.embedder = b.createEmbedder(setup.dim);
    this.embedder.fit(profiles);
    phase('vectors');
    this.weights = { ...ROUTE_WEIGHTS, ...setup.weights };
    this.allCodes = [...this.catalog.features.keys()];
    this.lexical = b.createLexical();
    this.lexical.add(
      [...this.catalog.features.values()].flatMap((f, doc) => {
        const fields: { doc: number; field: LexicalField; text: string }[] = [];
        const put = (field: LexicalField, text: string | undefined) => {
          if (text) fields.push({ doc, field, text: clipUtf8(text) });
        };
        put('code', f.code);
        put('name', f.name);
        put('acronym', f.acronym);
        put('category', f.category);
        put('description', f.description);
        // Long identifier lists go in pieces under the engine's 8 KiB text
        // limit (4,000 UTF-16 units is at most 12,000 bytes: clipped by put).
        let piece = '';
        for (const id of [...(f.parameters ?? []), ...(f.counters ?? [])]) {
          if (piece.length + id.length >= 2000) (put('identifiers', piece), (piece = ''));
          piece = piece ? `${piece} ${id}` : id;
        }
        put('identifiers', piece);
        for (const k of f.kpis ?? []) put('kpis', k);
        return fields;
      }),
    );
    this.lexical.glossary([
      ...(setup.noDefaultGlossary ? [] : (defaultGlossary.entries as [string, string][])),
      ...(this.catalog.catalog.glossary ?? []).map((g) => [g.term, g.means] as [string, string]),
    ]);
    this.lexicalBytes = this.lexical.finish().bytes;
    phase('lexical');
    // Exact-hit keys of the items that name a hosted feature (an item
    // shared by features on several workers is keyed on each of them).
    const key = (map: Map<string, number[]>, k: string, id: number) => {
      const list = map.get(k);
      if (list) list.push(id);
      else map.set(k, [id]);
    };
    const { items, hosted, ids, acronyms, phrases } = this;
    for (let id = 0; id < items.length; id++) {
      const it = items[id]!;
      let mine = false;
      for (const c of it.features) if (hosted.has(c)) mine = true;
      if (!mine) continue;
      if (it.kind === 'feature') {
        const f = this.catalog.features.get(it.name)!;
        key(ids, normCode(f.code), id);
        if (f.acronym) key(acronyms, f.acronym, id);
        if (f.name) phrases.push([f.name.toLowerCase(), id]);
      } else if (it.kind === 'kpi') {
        phrases.push([it.name.toLowerCase(), id]);
      } else {
        const lower = it.name.toLowerCase();
        key(ids, lower, id);
        const dot = lower.lastIndexOf('.');
        if (dot > 0) key(ids, lower.slice(dot + 1), id);
      }
    }
    phase('exact');
    // The hosted features' profiles in an index (item id = feature id: the
    // features are the first items), searched by exact scan: a few hundred
    // vectors, so the graph is never walked and is built cheap (M 8,
    // efConstruction 16: 3x faster than 16/64 here).
    const hostedFeatures: number[] = [];
    this.allCodes.forEach((code, id) => {
      if (this.hosted.has(code)) hostedFeatures.push(id);
    });
    if (hostedFeatures.length > 0) {
      this.index = b.createIndex({ dim: setup.dim, metric: 'cosine', M: 8, efConstruction: 16 });
      this.index.add(Uint32Array.from(hostedFeatures), this.embedder.embed(hostedFeatures.map((id) => profiles[id]!)), {
        parallel: false,
      });
    }
    this.indexed = hostedFeatures.length;
    const fit = this.buildPhases.vectors;
    phase('vectors');
    this.buildPhases.vectors += fit;
    this.buildMs = performance.now() - t0;
  }

  /**
   * Learns the rated questions restored with the learned state, and from
   * then on gives the route memory to the agent host's saves.
   */
  async build(): Promise<this> {
    if (this.agents.restoredRoutes.length > 0) this.learnRoute(this.agents.restoredRoutes);
    this.agents.routeMemorySource = () => this.routeMemory();
    this.reportBytes();
    this.warmItemWords();
    return this;
  }

  /**
   * Tokenises the hosted features' items for `matched` in the background,
   * a slice per task once the router answers, so that a question's first
   * touch of a feature does not pay for it (a feature may have hundreds).
   */
  private warmItemWords(): void {
    const todo = [...this.hosted];
    const slice = () => {
      if (this.closed) return;
      const t0 = performance.now();
      while (todo.length > 0 && performance.now() - t0 < 1) {
        const f = this.catalog.features.get(todo.pop()!);
        if (f) this.itemWords(f);
      }
      if (todo.length > 0) this.warmTimer = setTimeout(slice, 0);
    };
    this.warmTimer = setTimeout(slice, 0);
  }

  private warmTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  private lexicalBytes = 0;
  /** Where buildMs went. */
  readonly buildPhases: RouterBuildPhases = { catalog: 0, lexical: 0, exact: 0, vectors: 0 };

  private reportBytes(): void {
    // Router state is engine state: it counts against the memory budget.
    this.onBytes(this.bytes());
  }

  /** Bytes of the router's wasm and JavaScript state (what reportBytes counts against the budget). */
  bytes(): number {
    return (
      this.lexicalBytes +
      this.wordsBytes +
      (this.index?.stats().bytes ?? 0) +
      (this.memIndex?.stats().bytes ?? 0) +
      this.embedder.stats().bytes +
      this.history.length * (this.embedder.dim * 4 + 256)
    );
  }

  stats() {
    return {
      items: this.items.length,
      hostedItems: this.indexed,
      hostedFeatures: this.hosted.size,
      buildMs: this.buildMs,
      buildPhases: { ...this.buildPhases },
      bytes: this.bytes(),
      routeMemory: this.memory.size,
      ...this.catalog.stats,
      fingerprint: this.catalog.fingerprint,
    };
  }

  /** Routes a question to this worker's best `k` features. */
  route(text: string, k: number): RouteResult {
    const r = this.routeBatch([text], k);
    return { features: r.features[0]!, ms: r.ms };
  }

  /**
   * Routes several questions: one embedding call, one (threaded, in
   * simd-mt) index search for all of them, then per-question aggregation.
   */
  routeBatch(
    texts: readonly string[],
    k: number,
  ): { features: RoutedFeature[][]; vectors: Float32Array; ms: { embed: number; route: number } } {
    for (const text of texts) checkQuestion(text);
    const t0 = performance.now();
    const qs = this.embedder.embed(texts);
    const t1 = performance.now();
    let hits: VectorHits | null = null;
    let kItems = 0;
    if (this.index && this.indexed > 0) {
      kItems = Math.min(VECTOR_K, this.indexed);
      hits = this.index.search(qs, kItems, { exact: true });
    }
    const feedback = this.feedbackScores(qs, texts.length);
    const features = texts.map((text, qi) => this.aggregate(text, k, hits, qi * kItems, kItems, false, feedback?.[qi]));
    return { features, vectors: qs, ms: { embed: t1 - t0, route: performance.now() - t1 } };
  }

  /**
   * Where the phrases (names of 6 characters or more) occur in `lower` as
   * whole words: [phrase index, offset] in phrase order, then offset order.
   * A phrase that starts with a letter or digit can only start where a run
   * of them starts in the text and must begin with that whole run, so each
   * run looks up the few phrases that begin with it instead of searching
   * for every phrase.
   */
  phraseHits(lower: string): [number, number][] {
    const byHead = (this.phraseHeads ??= this.indexPhrases());
    const out: [number, number][] = [];
    const n = lower.length;
    for (let i = 0; i < n;) {
      if (!isAlnum(lower.charCodeAt(i))) {
        i++;
        continue;
      }
      let j = i + 1;
      while (j < n && isAlnum(lower.charCodeAt(j))) j++;
      const list = byHead.heads.get(lower.slice(i, j));
      if (list)
        for (const p of list) {
          const phrase = this.phrases[p]![0];
          const end = i + phrase.length;
          if (lower.startsWith(phrase, i) && (end >= n || !isAlnum(lower.charCodeAt(end)))) out.push([p, i]);
        }
      i = j;
    }
    // Phrases that start with another character: searched for as they are.
    for (const p of byHead.other) {
      const phrase = this.phrases[p]![0];
      for (let at = lower.indexOf(phrase); at >= 0; at = lower.indexOf(phrase, at + 1)) {
        const end = at + phrase.length;
        if ((at > 0 && isAlnum(lower.charCodeAt(at - 1))) || (end < n && isAlnum(lower.charCodeAt(end)))) continue;
        out.push([p, at]);
      }
    }
    return out.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  }

  private phraseHeads: { heads: Map<string, number[]>; other: number[] } | null = null;
  private indexPhrases() {
    const heads = new Map<string, number[]>();
    const other: number[] = [];
    this.phrases.forEach(([phrase], p) => {
      if (phrase.length < 6) return;
      let j = 0;
      while (j < phrase.length && isAlnum(phrase.charCodeAt(j))) j++;
      if (j === 0) return void other.push(p);
      const head = phrase.slice(0, j);
      const list = heads.get(head);
      if (list) list.push(p);
      else heads.set(head, [p]);
    });
    return { heads, other };
  }

  /** The phrase matcher phraseHits() replaces, kept as its reference (tests). */
  phraseHitsReference(lower: string): [number, number][] {
    const out: [number, number][] = [];
    this.phrases.forEach(([phrase], p) => {
      if (phrase.length < 6) return;
      for (let at = lower.indexOf(phrase); at >= 0; at = lower.indexOf(phrase, at + 1)) {
        const before = at === 0 ? ' ' : lower[at - 1]!,
          after = lower[at + phrase.length] ?? ' ';
        if (/[a-z0-9]/.test(before) || /[a-z0-9]/.test(after)) continue; // whole words only
        out.push([p, at]);
      }
    });
    return out;
  }

  /** A question's features from its exact hits and its slice of the vector hits (reference: rank with rankReference). */
  aggregate(
    text: string,
    k: number,
    hits: VectorHits | null,
    from: number,
    n: number,
    reference = false,
    feedback?: Map<string, number>,
  ): RoutedFeature[] {
    // Exact hits with the span of text they matched; a hit inside a longer
    // one is dropped ("Enhanced 4x4 MIMO" names that feature, not "4x4 MIMO").
    const spans: { ids: number[]; strength: number; start: number; end: number }[] = [];
    const hit = (ids: number[] | undefined, strength: number, start: number, end: number) => {
      if (ids?.length) spans.push({ ids, strength, start, end });
    };
    for (const m of text.matchAll(CODE_RE)) hit(this.ids.get(normCode(m[0])), 1, m.index!, m.index! + m[0].length);
    for (const m of text.matchAll(/[A-Za-z0-9_.]+/g)) {
      const w = m[0].replace(/^\.+|\.+$/g, '');
      if (!w) continue;
      const start = m.index!,
        end = start + m[0].length;
      if (/^[A-Z0-9-]{2,10}$/.test(w) && /[A-Z]/.test(w)) hit(this.acronyms.get(w), 1, start, end);
      const lw = w.toLowerCase();
      hit(this.ids.get(lw), 0.8, start, end);
      const dot = lw.lastIndexOf('.');
      if (dot > 0) hit(this.ids.get(lw.slice(dot + 1)), 0.8, start, end);
    }
    for (const [p, at] of this.phraseHits(text.toLowerCase())) {
      const [phrase, id] = this.phrases[p]!;
      hit([id], this.items[id]!.kind === 'feature' ? 1 : 0.8, at, at + phrase.length);
    }
    const exact = new Map<number, number>(); // item → strength
    for (const s of spans) {
      if (spans.some((o) => o !== s && o.start <= s.start && o.end >= s.end && o.end - o.start > s.end - s.start))
        continue;
      for (const id of s.ids) {
        // An identifier 40 features share is weak evidence; a unique one is strong.
        const strength = s.strength * specificity(this.items[id]!.features.length);
        exact.set(id, Math.max(exact.get(id) ?? 0, strength));
      }
    }
    const lexical = this.lexicalScores(text);
    // The best candidates are re-scored with their items' evidence.
    const wide = this.weights.item > 0 ? Math.max(k, RERANK) : k;
    const ranked = (reference ? this.rankReference : this.rank).call(
      this,
      exact,
      wide,
      hits,
      from,
      n,
      lexical,
      feedback,
    );
    return this.withItemMatches(ranked, text, k).slice(0, k);
  }

  /**
   * Adds to each routed feature's `matched`, after its exact hits, the
   * parameters, counters and KPIs of the feature that share words with the
   * question (so "which parameters control MIMO sleep start time" lists
   * nrMimoSleepStartTime, and the answer's card shows it). An item's score
   * is (words of its name in the question + ½ × words only its description
   * shares) / √(question words × name words), at least ITEM_MIN.
   */
  private withItemMatches(features: RoutedFeature[], text: string, k: number): RoutedFeature[] {
    if (features.length === 0) return features;
    const q = new Set(this.b.tokenize(text));
    const w = q.size === 0 ? 0 : this.weights.item;
    const hitsOf = new Map<number, number>();
    const perFeature = new Map<RoutedFeature, { words: ItemWords; hits: [number, number][] }>();
    for (const f of features) {
      const feature = q.size === 0 ? undefined : this.catalog.features.get(f.code);
      if (!feature) continue;
      const words = this.itemWords(feature);
      hitsOf.clear();
      for (const word of q)
        for (const [item, weight] of words.byWord.get(word) ?? []) hitsOf.set(item, (hitsOf.get(item) ?? 0) + weight);
      let best = 0;
      for (const hits of hitsOf.values()) best = Math.max(best, Math.min(1, hits / q.size));
      f.evidence.item = best;
      f.score += w * best;
      perFeature.set(f, { words, hits: [...hitsOf] });
    }
    // Ranked on the raw score, which is then squashed into [0, 1] keeping its order.
    features.sort((a, b) => b.score - a.score || (a.code < b.code ? -1 : 1));
    for (const f of features) f.score = squash(f.score);
    // `matched` of the k returned: exact hits, then the items by score.
    for (const f of features.slice(0, k)) {
      const p = perFeature.get(f);
      if (!p || p.hits.length === 0) continue;
      const found: MatchedItem[] = [];
      for (const [i, hits] of p.hits) {
        const it = p.words.items[i]!;
        if (f.matched.some((m) => m.exact && m.name === it.item)) continue;
        const score = Math.min(1, hits / Math.sqrt(q.size * Math.max(1, it.nameWords)));
        if (score >= ITEM_MIN) found.push({ kind: it.kind, name: it.item, score, exact: false });
      }
      if (found.length === 0) continue;
      found.sort((a, b) => b.score - a.score || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const exact = f.matched.filter((m) => m.exact);
      const rest = f.matched.filter((m) => !m.exact);
      f.matched = [...exact, ...found, ...rest].slice(0, MATCHED_MAX);
    }
    return features;
  }

  /**
   * A feature's items, and for each word of their names (weight 1) and
   * descriptions (½, words not in the name) the items that hold it;
   * tokenised once, in one call, on first use or in the background.
   */
  private itemWords(f: Feature): ItemWords {
    let words = this.words.get(f.code);
    if (!words) {
      const items: ItemWords['items'] = [];
      const texts: string[] = [];
      const put = (kind: ItemKind, names: string[] | undefined, map: Map<string, { description?: string }>) => {
        for (const item of names ?? []) {
          items.push({ kind, item, nameWords: 0 });
          texts.push(clipUtf8(item), clipUtf8(map.get(item)?.description ?? ''));
        }
      };
      put('parameter', f.parameters, this.catalog.parameters);
      put('counter', f.counters, this.catalog.counters);
      put('kpi', f.kpis, this.catalog.kpis);
      const tokens = this.b.tokenizeMany(texts);
      const byWord = new Map<string, [number, number][]>();
      const post = (word: string, item: number, weight: number) => {
        const list = byWord.get(word);
        if (list) list.push([item, weight]);
        else byWord.set(word, [[item, weight]]);
      };
      let entries = 0;
      items.forEach((it, i) => {
        const name = new Set(tokens[2 * i]);
        it.nameWords = name.size;
        for (const word of name) post(word, i, 1);
        for (const word of new Set(tokens[2 * i + 1])) if (!name.has(word)) (post(word, i, 0.5), entries++);
        entries += name.size;
      });
      words = { items, byWord };
      this.words.set(f.code, words);
      // JavaScript heap, roughly: an entry per item, per word and per posting.
      this.wordsBytes += 120 * items.length + 64 * byWord.size + 32 * entries;
    }
    return words;
  }

  private wordsBytes = 0;
  private readonly words = new Map<string, ItemWords>();

  /** BM25F of the hosted features for a question, each divided by the question's best score (over all features). */
  lexicalScores(text: string): Map<string, number> {
    const out = new Map<string, number>();
    if (this.weights.lexical === 0) return out;
    const { docs, scores } = this.lexical.search(text, LEXICAL_K);
    const best = scores[0] ?? 0;
    if (!(best > 0)) return out;
    for (let i = 0; i < docs.length; i++) {
      const code = this.allCodes[docs[i]!]!;
      if (this.hosted.has(code)) out.set(code, scores[i]! / best);
    }
    return out;
  }

  /** A feature's score from its evidence (see RouteWeights). */
  /** A feature's raw score: unbounded (squash() maps it into [0, 1] once the item evidence is in). */
  private fuse(vec: number, exact: number, lexical: number, feedback: number): number {
    const w = this.weights;
    const s = (w.vector * vec + w.exact * exact + w.lexical * lexical) / (w.vector + w.exact + w.lexical);
    return s + w.feedback * feedback;
  }

  /**
   * Features from exact hits (item → strength) and vector hits, best k
   * first. Per-feature figures live in typed arrays reused across calls
   * and only the best k become objects (rankReference is the plain form).
   */
  private rank(
    exact: Map<number, number>,
    k: number,
    hits: VectorHits | null,
    from: number,
    n: number,
    lexical: Map<string, number> = new Map(),
    feedback: Map<string, number> = new Map(),
  ): RoutedFeature[] {
    const r = (this.ranking ??= this.rankState());
    const { vec, ex, lx, fb, stamp, head, tail, cnt, touched } = r;
    const items = this.items;
    if (r.gen >= 0x7fffffff) ((r.gen = 0), r.stamp.fill(0));
    const now = ++r.gen;
    let nTouched = 0;
    r.hits = 0;
    const touch = (f: number) => {
      if (stamp[f] === now) return;
      stamp[f] = now;
      vec[f] = 0;
      ex[f] = 0;
      lx[f] = 0;
      fb[f] = 0;
      head[f] = -1;
      tail[f] = -1;
      cnt[f] = 0;
      touched[nTouched++] = f;
    };
    const push = (f: number, item: number, score: number, isExact: number) => {
      if (r.hits === r.hitItem.length) r.grow();
      const h = r.hits++;
      r.hitItem[h] = item;
      r.hitScore[h] = score;
      r.hitExact[h] = isExact;
      r.hitNext[h] = -1;
      if (tail[f]! < 0) head[f] = h;
      else r.hitNext[tail[f]!] = h;
      tail[f] = h;
      cnt[f]!++;
    };
    for (const [id, strength] of exact)
      for (const f of r.itemFeats[id]!) {
        touch(f);
        if (strength > ex[f]!) ex[f] = strength;
        push(f, id, strength, 1);
      }
    if (hits)
      for (let i = from; i < from + n; i++) {
        const id = hits.ids[i]!;
        if (id === 0xffffffff) continue;
        const it = items[id]!;
        const sim = 1 - hits.distances[i]!;
        if (sim <= 0) continue;
        for (const f of r.itemFeats[id]!) {
          touch(f);
          if (sim > vec[f]!) vec[f] = sim;
          if (cnt[f]! >= 8) continue;
          let dup = false;
          for (let h = head[f]!; h >= 0; h = r.hitNext[h]!)
            if (items[r.hitItem[h]!]!.name === it.name) {
              dup = true;
              break;
            }
          if (!dup) push(f, id, sim, 0);
        }
      }
    for (const [code, s] of lexical) {
      const f = r.num.get(code);
      if (f === undefined) continue;
      touch(f);
      lx[f] = s;
    }
    for (const [code, s] of feedback) {
      const f = r.num.get(code);
      if (f === undefined) continue;
      touch(f);
      fb[f] = s;
    }
    // The best k, by score, then code.
    const codes = r.codes;
    const score = (f: number) => this.fuse(vec[f]!, ex[f]!, lx[f]!, fb[f]!);
    const top: number[] = [];
    for (let t = 0; t < nTouched; t++) {
      const f = touched[t]!,
        sf = score(f);
      let p = top.length;
      while (p > 0) {
        const g = top[p - 1]!,
          sg = score(g);
        if (sf > sg || (sf === sg && codes[f]! < codes[g]!)) p--;
        else break;
      }
      if (p < k) {
        top.splice(p, 0, f);
        if (top.length > k) top.pop();
      }
    }
    return top.map((f) => {
      const code = codes[f]!;
      const matched: MatchedItem[] = [];
      for (let h = head[f]!; h >= 0 && matched.length < 8; h = r.hitNext[h]!) {
        const it = items[r.hitItem[h]!]!;
        matched.push({ kind: it.kind, name: it.name, score: r.hitScore[h]!, exact: r.hitExact[h] === 1 });
      }
      return {
        code,
        name: this.catalog.features.get(code)?.name ?? code,
        score: score(f),
        matched,
        evidence: { vector: vec[f]!, exact: ex[f]!, lexical: lx[f]!, feedback: fb[f]!, item: 0 },
      };
    });
  }

  private ranking: ReturnType<RanHost['rankState']> | null = null;
  /** Hosted features by number, each item's hosted features as numbers, and the scratch arrays. */
  private rankState() {
    const codes = [...this.catalog.features.keys()].filter((c) => this.hosted.has(c));
    const num = new Map(codes.map((c, i) => [c, i]));
    const F = codes.length;
    const state = {
      codes,
      num,
      itemFeats: this.items.map((it) => Int32Array.from(it.features.filter((c) => num.has(c)).map((c) => num.get(c)!))),
      vec: new Float64Array(F),
      ex: new Float64Array(F),
      lx: new Float64Array(F),
      fb: new Float64Array(F),
      stamp: new Int32Array(F),
      head: new Int32Array(F),
      tail: new Int32Array(F),
      cnt: new Int32Array(F),
      touched: new Int32Array(F),
      /** Generation of this call: stamp[f] === gen marks f as touched by it. */
      gen: 0,
      hits: 0,
      hitItem: new Int32Array(64),
      hitScore: new Float64Array(64),
      hitExact: new Uint8Array(64),
      hitNext: new Int32Array(64),
      grow() {
        const m = state.hitItem.length * 2;
        const more = <T extends Int32Array | Float64Array | Uint8Array>(a: T, C: new (n: number) => T) => {
          const b = new C(m);
          b.set(a);
          return b;
        };
        state.hitItem = more(state.hitItem, Int32Array);
        state.hitScore = more(state.hitScore, Float64Array);
        state.hitExact = more(state.hitExact, Uint8Array);
        state.hitNext = more(state.hitNext, Int32Array);
      },
    };
    return state;
  }

  /** rank() as plain maps and objects: its reference (tests). */
  rankReference(
    exact: Map<number, number>,
    k: number,
    hits: VectorHits | null,
    from: number,
    n: number,
    lexical: Map<string, number> = new Map(),
    feedback: Map<string, number> = new Map(),
  ): RoutedFeature[] {
    const per = new Map<
      string,
      { vec: number; exact: number; lexical: number; feedback: number; matched: MatchedItem[] }
    >();
    const entry = (code: string) => {
      let e = per.get(code);
      if (!e) per.set(code, (e = { vec: 0, exact: 0, lexical: 0, feedback: 0, matched: [] }));
      return e;
    };
    for (const [id, strength] of exact) {
      const it = this.items[id]!;
      for (const code of it.features) {
        if (!this.hosted.has(code)) continue;
        const e = entry(code);
        e.exact = Math.max(e.exact, strength);
        e.matched.push({ kind: it.kind, name: it.name, score: strength, exact: true });
      }
    }
    if (hits) {
      for (let i = from; i < from + n; i++) {
        if (hits.ids[i] === 0xffffffff) continue;
        const it = this.items[hits.ids[i]!]!;
        const sim = 1 - hits.distances[i]!;
        if (sim <= 0) continue;
        for (const code of it.features) {
          if (!this.hosted.has(code)) continue;
          const e = entry(code);
          e.vec = Math.max(e.vec, sim);
          if (e.matched.length < 8 && !e.matched.some((m) => m.name === it.name))
            e.matched.push({ kind: it.kind, name: it.name, score: sim, exact: false });
        }
      }
    }
    for (const [code, s] of lexical) if (this.hosted.has(code)) entry(code).lexical = s;
    for (const [code, s] of feedback) if (this.hosted.has(code)) entry(code).feedback = s;
    return [...per]
      .map(([code, e]) => ({
        code,
        name: this.catalog.features.get(code)?.name ?? code,
        score: this.fuse(e.vec, e.exact, e.lexical, e.feedback),
        matched: e.matched.slice(0, 8),
        evidence: { vector: e.vec, exact: e.exact, lexical: e.lexical, feedback: e.feedback, item: 0 },
      }))
      .sort((a, b) => b.score - a.score || (a.code < b.code ? -1 : 1))
      .slice(0, k);
  }

  /**
   * The agents of `features` hosted here decide and answer. `candidates`
   * are the merged top features of the whole pool (for ConsultPeer and
   * RequestClarification).
   */
  async act(req: ActRequest, vector?: Float32Array): Promise<AgentReplyWire[]> {
    const replies: AgentReplyWire[] = [];
    let qvec: Float32Array | null = vector ?? null;
    for (const f of req.features) {
      if (!this.hosted.has(f.code)) continue;
      const top = f.matched[0]?.name ?? '';
      const state: AgentState = {
        ...req.state,
        confidence: Math.min(1, Math.max(0, f.score)),
        context: hash32(`${req.type}|${top}`),
      };
      const d = await this.agents.decide(f.code, req.qid, state, 0);
      const answer = this.answer(d.action, f, req, () => (qvec ??= this.embedder.embed([req.text])));
      replies.push({ code: f.code, action: d.action, confidence: d.confidence, explored: d.explored, answer });
      this.remember(req.queryId, req.qid, req.text, (qvec ??= this.embedder.embed([req.text])), f.code, d.action);
    }
    return replies;
  }

  /** The whole cycle for questions when this worker hosts every feature. */
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
      const { type, complexity } = classify(it.text, features, it);
      const replies = await this.act(
        {
          queryId: it.queryId,
          qid: it.qid,
          text: it.text,
          type,
          complexity,
          features,
          candidates: features,
          state: { type, complexity },
        },
        routed.vectors.subarray(i * this.embedder.dim, (i + 1) * this.embedder.dim),
      );
      results.push({ features, type, complexity, replies });
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
            .map((c) => ({ code: c.code, name: this.catalog.features.get(c.code)?.name, score: c.score })),
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
    this.memIndex ??= this.b.createIndex({ dim: this.embedder.dim, metric: 'cosine', M: 16, efConstruction: 64 });
    const ids = new Uint32Array(fresh.length);
    fresh.forEach((m, i) => {
      this.memoKeys.add(routeMemoKey(m));
      ids[i] = this.memNext++;
      this.memory.set(ids[i]!, { ...m, reward: Math.max(-1, Math.min(1, m.reward)) });
    });
    this.memIndex.add(ids, this.embedder.embed(fresh.map((m) => m.text)), { parallel: false });
    const drop: number[] = [];
    for (const id of this.memory.keys()) {
      if (this.memory.size - drop.length <= ROUTE_MEMORY_MAX) break;
      drop.push(id);
    }
    if (drop.length > 0) {
      this.memIndex.remove(drop);
      for (const id of drop) {
        this.memoKeys.delete(routeMemoKey(this.memory.get(id)!));
        this.memory.delete(id);
      }
    }
    this.reportBytes();
    return fresh.length;
  }

  /** The route memory, oldest first (what AgentHost.save writes). */
  routeMemory(): RouteMemo[] {
    return [...this.memory.values()];
  }

  /** Feedback evidence per question (code → value), or null with an empty memory. */
  private feedbackScores(qs: Float32Array, n: number): Map<string, number>[] | null {
    if (!this.memIndex || this.memory.size === 0 || this.weights.feedback === 0) return null;
    const k = Math.min(MEMORY_K, this.memory.size);
    const hits = this.memIndex.search(qs, k, { ef: Math.max(64, k) });
    const out: Map<string, number>[] = [];
    for (let q = 0; q < n; q++) {
      const m = new Map<string, number>();
      for (let i = q * k; i < (q + 1) * k; i++) {
        const memo = this.memory.get(hits.ids[i]!);
        const sim = 1 - hits.distances[i]!;
        if (!memo || sim < MEMORY_MIN_SIM) continue;
        m.set(memo.code, (m.get(memo.code) ?? 0) + (memo.reward * (sim - MEMORY_MIN_SIM)) / (1 - MEMORY_MIN_SIM));
      }
      for (const [code, v] of m) m.set(code, Math.max(-1, Math.min(1, v)));
      out.push(m);
    }
    return out;
  }

  private memIndex: IndexHandle | null = null;
  /** Rated questions by their id in memIndex (insertion order: oldest first). */
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
  private readonly kpiHistory = new Map<string, { rows: Map<string, number>; data: Float64Array }>();

  /** KPI values, statistics and anomalies for this worker's cells. */
  monitor(req: MonitorShard): MonitorShardResult {
    const t0 = performance.now();
    const key = `${req.counters.join('\u0001')}\u0002${req.kpis?.join('\u0001') ?? '*'}`;
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
    if (!hist) this.kpiHistory.set(key, (hist = { rows: new Map(), data: new Float64Array(0) }));
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
    const r = this.b.kpiEval(
      { ...prog, kpis: K },
      req.data,
      { cells: C, counters: req.counters.length, periods: req.periods },
      history,
      req.zThreshold,
      req.minHistory,
      req.perPeriod,
      spare,
    );
    this.warmSpare(outBytes);
    if (!inPlace) rowOf.forEach((r, c) => hist.data.set(history.subarray(c * K * 3, (c + 1) * K * 3), r * K * 3));
    // Missing samples: periods minus the non-NaN count of every counter row.
    let missing = 0;
    for (let i = 0; i < r.counterStats.length; i += 5) missing += req.periods - r.counterStats[i]!;
    return { kpis: prog.kpis, ...r, missing, ms: performance.now() - t0, historyKey: key, history: history.slice() };
  }

  /** Puts back history rows (cells × kpis × 3, as monitor() returns them) of a KPI set: a replaced worker's. */
  restoreHistory(key: string, cells: string[], kpis: number, rows: Float64Array): void {
    const width = kpis * 3;
    if (rows.length !== cells.length * width)
      throw new ElexError('INVALID_ARGUMENT', `${rows.length} history values are not ${cells.length} cells × ${width}`);
    let hist = this.kpiHistory.get(key);
    if (!hist) this.kpiHistory.set(key, (hist = { rows: new Map(), data: new Float64Array(0) }));
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
    this.closed = true;
    clearTimeout(this.warmTimer);
    clearTimeout(this.spareTimer);
    this.spare = null;
    this.index?.close();
    this.memIndex?.close();
    this.embedder.close();
    this.lexical.close();
  }
}

/** Largest monitor output buffer kept warm between batches (see RanHost.spare). */
const SPARE_MAX = 64 << 20;

/** A feature's card: its parameters, counters and KPIs, those the question matched marked. */
export function featureCard(catalog: LoadedCatalog, code: string, matched: readonly MatchedEntity[] = []): FeatureCard {
  const f: Feature | undefined = catalog.features.get(code);
  if (!f) throw new ElexError('NOT_FOUND', `unknown feature code "${code}"`);
  const want = new Set(matched.map((m) => `${m.kind}:${m.name}`));
  const pick = <T extends { name: string }>(kind: ItemKind, names: string[] | undefined, map: Map<string, T>) =>
    (names ?? [])
      .filter((n) => want.has(`${kind}:${n}`))
      .map((n) => ({ ...(map.get(n) ?? ({ name: n } as T)), matched: true }));
  return {
    code: f.code,
    name: f.name,
    acronym: f.acronym,
    category: f.category,
    description: f.description,
    parameters: pick('parameter', f.parameters, catalog.parameters),
    counters: pick('counter', f.counters, catalog.counters),
    kpis: pick('kpi', f.kpis, catalog.kpis),
    totals: { parameters: f.parameters?.length ?? 0, counters: f.counters?.length ?? 0, kpis: f.kpis?.length ?? 0 },
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
 * each built on first read and kept.
 */
export function expandReply(
  catalog: LoadedCatalog,
  wire: AgentReplyWire,
  candidates: readonly RoutedFeature[],
): AgentReply {
  const a = wire.answer;
  const own = () => {
    const f = candidates.find((c) => c.code === wire.code);
    return featureCard(catalog, wire.code, f?.matched);
  };
  let answer: AgentAnswer;
  if (a.action === 'DirectAnswer' || a.action === 'ContextAnswer') answer = lazily({ ...a }, 'card', own);
  else if (a.action === 'ConsultPeer')
    answer = lazily({ ...a }, 'cards', () =>
      candidates.slice(0, 3).map((c) => featureCard(catalog, c.code, c.matched)),
    );
  else answer = a;
  return { ...wire, answer };
}

/**
 * The text a feature's vector is embedded from: its code, name, acronym,
 * category and description. Its parameters, counters and KPIs are the
 * lexical and exact signals' evidence; adding their names or descriptions
 * here made routing no better on either eval set (docs/guide.md, "Routing").
 */
export function profileText(f: Feature): string {
  return clipUtf8([f.code, f.name, f.acronym, f.category, f.description].filter(Boolean).join('. '));
}

/** Texts the engine takes are at most this many UTF-8 bytes (embed.h kMaxTextBytes). */
const MAX_TEXT_BYTES = 8192;

/**
 * `text` cut to at most `max` bytes of UTF-8, at a character boundary (a
 * catalog string may be 4,096 UTF-16 units, up to 12 KiB of UTF-8).
 */
export function clipUtf8(text: string, max = MAX_TEXT_BYTES): string {
  if (text.length * 3 <= max) return text;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < text.length;
    const n = c < 0x80 ? 1 : c < 0x800 ? 2 : pair ? 4 : 3;
    if (bytes + n > max) return text.slice(0, i);
    bytes += n;
    if (pair) i++;
  }
  return text;
}
