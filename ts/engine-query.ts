/**
 * The query cycle across the pool: route (every worker, its features) →
 * merge by score → classify → the routed features' agents act (on their
 * workers) → one answer, within a time budget. What has not answered when
 * the budget runs out is reported missing (`partial: true`), never waited
 * for.
 */
import { classifyComplexity, classifyType, type MatchedEntity } from './classify.ts';
import { loadCatalog, type Catalog, type LoadedCatalog } from './catalog.ts';
import { ElexError } from './errors.ts';
import type { EngineLearning } from './engine-learn.ts';
import { COMPLEXITIES, QUERY_TYPES, type AgentAction, type Complexity, type QueryType } from './learn-types.ts';
import type { WorkerPool } from './pool.ts';
import type { ActRequest } from './protocol.ts';
import { checkQuestion, type AgentAnswer, type AgentReply, type RoutedFeature } from './ran-host.ts';

export type CatalogSource = string | URL | Catalog;

/** The default catalog, generated at build time (scripts/gen-catalog.mjs). */
export const DEFAULT_CATALOG_URL = new URL('../build/catalog/default.json', import.meta.url).href;

/** Fetches (a URL) or takes (an object) a catalog and checks it; problems carry JSON paths. */
export async function resolveCatalog(source: CatalogSource): Promise<LoadedCatalog> {
  if (typeof source === 'string' || source instanceof URL) {
    const url = String(source);
    let text: string;
    try {
      if (url.startsWith('file:') && typeof process !== 'undefined') {
        const fsName = 'node:fs/promises';
        const fs = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs/promises');
        text = await fs.readFile(new URL(url), 'utf8');
      } else {
        const res = await fetch(url);
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        text = await res.text();
      }
    } catch (e) {
      throw new ElexError(
        'INIT_FAILED',
        `could not fetch the catalog ${url}: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new ElexError(
        'INVALID_ARGUMENT',
        `the catalog ${url} is not JSON: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    return loadCatalog(json, `the catalog ${url}`);
  }
  return loadCatalog(source, 'the catalog');
}

export interface QueryRequest {
  text: string;
  /** Skip classification and use this type / complexity. */
  type?: QueryType;
  complexity?: Complexity;
}

export interface QueryOptions {
  /** Features to route to (default 5, at most 20). */
  k?: number;
  /** The time budget in ms (default 500). */
  budgetMs?: number;
  signal?: AbortSignal;
}

export interface QueryTimings {
  /** Embedding the question (slowest worker). */
  embed: number;
  /** Index search and aggregation (slowest worker). */
  route: number;
  /** The agents acting (the second round trip). */
  agents: number;
  /** Everything between the workers' work: messages, merging, classifying. */
  gather: number;
  total: number;
}

export interface QueryResult {
  queryId: string;
  text: string;
  type: QueryType;
  complexity: Complexity;
  /** The routed features, best first, with their scores (0..1) and the items that matched. */
  features: RoutedFeature[];
  /** The top feature's agent's action and answer (null if no feature was found or none answered in time). */
  action: AgentAction | null;
  answer: AgentAnswer | null;
  /** Every agent that acted, in feature order. */
  agents: AgentReply[];
  /**
   * In [0, 1]: top routing score × (0.5 + 0.5 × the top agent's own
   * confidence). Routing says whether the right feature was found; the
   * agent says whether experience backs its kind of answer.
   */
  confidence: number;
  timings: QueryTimings;
  /** True if a worker did not answer within the budget. */
  partial: boolean;
  shards: { answered: number; total: number; missing: number[] };
}

const now = () => performance.now();

export class EngineQueries {
  constructor(
    private readonly pool: WorkerPool,
    private readonly learn: EngineLearning,
    readonly catalog: LoadedCatalog,
  ) {}

  async query(input: string | QueryRequest, options: QueryOptions = {}): Promise<QueryResult> {
    const [r] = await this.run([input], options);
    return r!;
  }

  async queryBatch(inputs: readonly (string | QueryRequest)[], options: QueryOptions = {}): Promise<QueryResult[]> {
    if (!Array.isArray(inputs) || inputs.length === 0 || inputs.length > 10_000)
      throw new ElexError('INVALID_ARGUMENT', 'queryBatch takes an array of 1 to 10,000 questions');
    return this.run(inputs, options);
  }

  private async run(inputs: readonly (string | QueryRequest)[], options: QueryOptions): Promise<QueryResult[]> {
    const t0 = now();
    const reqs = inputs.map((i) => {
      const r: QueryRequest = typeof i === 'string' ? { text: i } : i;
      if (typeof r !== 'object' || r === null)
        throw new ElexError('INVALID_ARGUMENT', 'a query is a string or { text }');
      checkQuestion(r.text);
      if (r.type !== undefined && !QUERY_TYPES.includes(r.type))
        throw new ElexError('INVALID_ARGUMENT', `unknown query type ${JSON.stringify(r.type)}`);
      if (r.complexity !== undefined && !COMPLEXITIES.includes(r.complexity))
        throw new ElexError('INVALID_ARGUMENT', `unknown complexity ${JSON.stringify(r.complexity)}`);
      return r;
    });
    const k = options.k ?? 5;
    if (!Number.isInteger(k) || k < 1 || k > 20)
      throw new ElexError('INVALID_ARGUMENT', `k must be an integer from 1 to 20, got ${String(k)}`);
    const budget = options.budgetMs ?? 500;
    if (typeof budget !== 'number' || !(budget > 0))
      throw new ElexError('INVALID_ARGUMENT', `budgetMs must be a positive number`);
    if (options.signal?.aborted) throw new ElexError('ABORTED', 'the query was aborted before it started');
    const deadline = t0 + budget;
    const remaining = () => Math.max(1, deadline - now());
    const W = this.pool.size;
    const texts = reqs.map((r) => r.text);

    // Phase 1: route on every worker.
    const routed = await Promise.allSettled(
      Array.from({ length: W }, (_, w) =>
        this.pool.call(w, (r) => r.ranRoute(texts, k), { signal: options.signal, timeoutMs: remaining() }),
      ),
    );
    this.rethrowAbort(routed);
    const missing = new Set<number>();
    let embedMs = 0,
      routeMs = 0,
      inWorkers = 0;
    const perQuery: RoutedFeature[][] = reqs.map(() => []);
    routed.forEach((res, w) => {
      if (res.status === 'rejected') {
        if (isBudgetOrCrash(res.reason)) return void missing.add(w);
        throw res.reason;
      }
      embedMs = Math.max(embedMs, res.value.ms.embed);
      routeMs = Math.max(routeMs, res.value.ms.route);
      inWorkers = Math.max(inWorkers, res.value.ms.embed + res.value.ms.route + res.value.ms.wait);
      res.value.features.forEach((fs, qi) => perQuery[qi]!.push(...fs));
    });
    if (missing.size === W)
      throw new ElexError(
        'TIMEOUT',
        `no worker routed the question within the ${budget} ms budget (is the catalog still loading?)`,
      );
    const t1 = now();

    // Merge, classify, and ask the top features' agents (grouped by worker).
    const prepared = reqs.map((r, qi) => {
      const features = perQuery[qi]!.sort((a, b) => b.score - a.score || (a.code < b.code ? -1 : 1)).slice(0, k);
      const strong = features.filter((f) => f.score >= 0.5 * (features[0]?.score ?? 0));
      const matched: MatchedEntity[] = strong.flatMap((f) => f.matched.filter((m) => m.exact || m.score >= 0.5));
      const type = r.type ?? classifyType(r.text, matched);
      const complexity = r.complexity ?? classifyComplexity(r.text, strong.length, matched);
      const { queryId, qid } = this.learn.newQuery();
      return { r, features, type, complexity, queryId, qid };
    });
    const byWorker = new Map<number, ActRequest[]>();
    for (const p of prepared) {
      const groups = new Map<number, RoutedFeature[]>();
      for (const f of p.features) {
        const w = this.learn.workerOf(f.code);
        if (missing.has(w)) continue;
        if (!groups.has(w)) groups.set(w, []);
        groups.get(w)!.push(f);
      }
      for (const [w, fs] of groups) {
        if (!byWorker.has(w)) byWorker.set(w, []);
        byWorker.get(w)!.push({
          queryId: p.queryId,
          qid: p.qid,
          text: p.r.text,
          type: p.type,
          complexity: p.complexity,
          features: fs,
          candidates: p.features,
          state: { type: p.type, complexity: p.complexity },
        });
      }
    }
    const t2 = now();
    const acted = await Promise.allSettled(
      [...byWorker].map(([w, list]) =>
        this.pool
          .call(w, (r) => r.ranAct(list), { signal: options.signal, timeoutMs: remaining() })
          .then((replies) => ({ w, list, replies })),
      ),
    );
    this.rethrowAbort(acted);
    const replies = new Map<string, Map<string, AgentReply>>(); // queryId → code → reply
    [...byWorker.keys()].forEach((w, i) => {
      const res = acted[i]!;
      if (res.status === 'rejected') {
        if (isBudgetOrCrash(res.reason)) return void missing.add(w);
        throw res.reason;
      }
      res.value.list.forEach((req, j) => {
        if (!replies.has(req.queryId)) replies.set(req.queryId, new Map());
        for (const a of res.value.replies[j]!) replies.get(req.queryId)!.set(a.code, a);
      });
    });
    const t3 = now();
    const total = t3 - t0;
    return prepared.map((p) => {
      const mine = replies.get(p.queryId) ?? new Map<string, AgentReply>();
      const agents = p.features.map((f) => mine.get(f.code)).filter((a): a is AgentReply => !!a);
      const primary = agents[0] ?? null;
      const top = p.features[0];
      this.learn.registerQuery(
        p.queryId,
        p.qid,
        agents.map((a) => a.code),
      );
      const confidence = top && primary && top.code === primary.code ? top.score * (0.5 + 0.5 * primary.confidence) : 0;
      return {
        queryId: p.queryId,
        text: p.r.text,
        type: p.type,
        complexity: p.complexity,
        features: p.features,
        action: primary?.action ?? null,
        answer: primary?.answer ?? null,
        agents,
        confidence,
        timings: {
          embed: embedMs,
          route: routeMs,
          agents: t3 - t2,
          gather: Math.max(0, t1 - t0 - inWorkers) + (t2 - t1),
          total,
        },
        partial: missing.size > 0,
        shards: { answered: W - missing.size, total: W, missing: [...missing].sort((a, b) => a - b) },
      };
    });
  }

  private rethrowAbort(results: PromiseSettledResult<unknown>[]): void {
    for (const r of results)
      if (r.status === 'rejected' && r.reason instanceof ElexError && r.reason.code === 'ABORTED') throw r.reason;
  }
}

function isBudgetOrCrash(e: unknown): boolean {
  return e instanceof ElexError && (e.code === 'TIMEOUT' || e.code === 'WORKER_CRASHED');
}
