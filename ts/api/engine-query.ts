/**
 * The query cycle across the pool: route (every worker, its features) →
 * merge by score → classify → the routed features' agents act (on their
 * workers) → one answer, within a time budget. What has not answered when
 * the budget runs out is reported missing (`partial: true`), never waited
 * for.
 */
import { transfer } from 'comlink';
import {
  duplicateMember,
  jsonOf,
  loadCatalog,
  loadParsedCatalog,
  parseCatalogText,
  stringifyCatalog,
  type Catalog,
  type LoadedCatalog,
} from '../host/catalog.ts';
import { ElexError, revive } from '../core/errors.ts';
import { checkDuration } from '../core/timers.ts';
import { isTyped } from '../core/typed.ts';
import { checkOptions, keysOf } from '../core/options.ts';
import type { EngineLearning } from './engine-learn.ts';
import {
  COMPLEXITIES,
  QUERY_TYPES,
  hash32,
  type AgentAction,
  type Complexity,
  type QueryType,
} from '../core/learn-types.ts';
import type { WorkerPool } from '../parallel/pool.ts';
import type { ActRequest } from '../parallel/protocol.ts';
import {
  checkQuestion,
  type AgentAnswer,
  expandReply,
  type AgentReply,
  type AgentReplyWire,
  type LocalQueryResult,
  monitorHistoryKey,
  type MonitorShardResult,
  type RoutedFeature,
} from '../host/ran-host.ts';
import {
  CellIds,
  checkBatch,
  parameterIndexes,
  prepareValidation,
  validationResults,
  validatorTables,
  warmValidatorTables,
  type ParameterChange,
  type ValidateOptions,
  type ValidationBatch,
  type ValidationResult,
} from '../host/ran-ops.ts';
import {
  VALIDATE_CALLER_CHECKED,
  VALIDATE_RECORD,
  packValidatorColumns,
  packedViews,
  type PackedColumns,
} from '../bindings/bindings.ts';
import type { RemoteApi } from '../parallel/protocol.ts';

export interface ValidateResult {
  results: ValidationResult[];
  counts: { ok: number; warn: number; reject: number };
  /** ms in the validation kernel (in its worker) and in all. */
  ms: { kernel: number; total: number };
}

export interface ValidateBatchResult {
  /** Per change: 0 ok, 1 warn, 2 reject (VERDICTS). */
  verdicts: Uint8Array;
  /** Per change: reason bits, bit i = VALIDATION_REASONS[i]. */
  reasons: Uint16Array;
  counts: { ok: number; warn: number; reject: number };
  /** ms in the validation kernel (in its worker) and in all. */
  ms: { kernel: number; total: number };
}

export interface MonitorBatch {
  /** Cell ids, unique. */
  cells: string[];
  /** Counter names ("MOClass.pmName"), unique, all in the catalog. */
  counters: string[];
  periods: number;
  /** cells × counters × periods, row-major; NaN = missing sample (±Infinity is INVALID_ARGUMENT). Transferred (detached) when one worker holds every cell. */
  data: Float32Array;
  /** KPIs to evaluate (default: every KPI whose counters are all in the batch). */
  kpis?: string[];
}

export interface MonitorOptions {
  /** |z| above which a period is an anomaly (default 3; a finite number ≥ 0). */
  zThreshold?: number;
  /** Earlier values a cell needs before anomalies are scored (default 8; an integer ≥ 0). */
  minHistory?: number;
  /**
   * Also return each KPI's value and null reason per period (`values`,
   * `reasons`: cells × kpis × periods, e.g. 44 + 11 MB for 1,000 cells ×
   * 116 KPIs × 96 periods). Default false: statistics, null counts and
   * alerts only.
   */
  perPeriod?: boolean;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface KpiSummary {
  name: string;
  /** Over the non-null periods (null when there are none). */
  mean: number | null;
  min: number | null;
  max: number | null;
  /** Periods with a value. */
  count: number;
  /** Periods whose value is null, by reason. */
  nulls: { missingCounter: number; divisionByZero: number };
  /** Periods on the wrong side of the catalog threshold. */
  breaches: number;
  /** Periods whose |z| against this cell's history exceeded the threshold. */
  anomalies: number;
  maxZ: number;
}

export interface MonitorAlert {
  cell: string;
  kpi: string;
  kind: 'threshold' | 'anomaly';
  periods: number;
  /** The worst value (threshold) or the largest |z| (anomaly). */
  worst: number;
  threshold?: number;
}

export interface MonitorResult {
  cells: string[];
  kpis: string[];
  periods: number;
  /** cells × kpis × periods in the batch's cell order; NaN where the value is null. Null unless `perPeriod`. */
  values: Float32Array | null;
  /** Same shape: 0 value, 1 null (missing counter sample), 2 null (division by zero). Null unless `perPeriod`. */
  reasons: Uint8Array | null;
  /** cells × kpis × 2: null values for a missing counter sample, and for a division by zero. */
  nullCounts: Uint32Array;
  /** cells × kpis × 5: count, sum, mean, min, max of each KPI's non-null values. */
  kpiStats: Float32Array;
  /** cells × kpis: periods on the wrong side of the KPI's threshold. */
  breaches: Uint32Array;
  /** cells × kpis: periods that are anomalies against the cell's history, and the largest |z|. */
  anomalies: Uint32Array;
  maxZ: Float32Array;
  /** Per cell, per KPI summaries (built on first read). */
  readonly perCell: { cell: string; kpis: KpiSummary[] }[];
  /** One cell's summaries (NOT_FOUND if it is not in the batch). */
  cell(id: string): { cell: string; kpis: KpiSummary[] };
  /** cells × counters × 5: count, sum, mean, min, max over the periods (missing samples skipped). */
  counterStats: Float32Array;
  /** Threshold breaches and anomalies, per cell and KPI (built on first read). */
  readonly alerts: MonitorAlert[];
  /** NaN samples in the input (reported, never propagated into statistics). */
  missingSamples: number;
  /**
   * kernel: the KPI evaluation in wasm (slowest shard); shard: a shard's
   * whole call inside its worker (copying counters in and results out);
   * workers: until every shard's result is back; total: the call.
   */
  ms: { kernel: number; shard: number; workers: number; total: number };
}

export type CatalogSource = string | URL | Catalog;

/**
 * The default catalog as an object (593 synthetic features): generated on
 * first use, by code fetched only then. Also importable synchronously as
 * `defaultCatalog()` from `elex-wasm/catalog/default`.
 */
export async function loadDefaultCatalog(): Promise<Catalog> {
  const { defaultCatalog } = await import('../host/default-catalog.ts');
  return defaultCatalog();
}

/**
 * res.text(), decoded a chunk at a time as the body arrives: decoding tens
 * of MB at once was one long task of the page. Like text(), drops a UTF-8
 * byte order mark and replaces bytes that are not UTF-8.
 */
async function bodyText(res: Response): Promise<string> {
  if (!res.body || typeof TextDecoder !== 'function') return res.text();
  const decoder = new TextDecoder();
  const parts: string[] = [];
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(decoder.decode(value, { stream: true }));
  }
  parts.push(decoder.decode());
  return parts.join('');
}

/**
 * Fetches (a URL) or takes (an object) a catalog and checks it; problems
 * carry JSON paths. Without a source, the default catalog is generated (its
 * module is imported only then).
 */
export async function resolveCatalog(source?: CatalogSource): Promise<LoadedCatalog> {
  if (source === undefined) {
    const catalog = await loadDefaultCatalog();
    const sliced = await stringifyCatalog(catalog);
    if (sliced) return { ...(await loadParsedCatalog(sliced.value, 'the default catalog')), json: sliced.text };
    return { ...loadCatalog(catalog, 'the default catalog'), json: JSON.stringify(catalog) };
  }
  if (typeof source === 'string' || source instanceof URL) {
    const url = String(source);
    let text: string;
    try {
      if (url.startsWith('file:') && typeof process !== 'undefined') {
        const fsName = ['node:fs', 'promises'].join('/'); // not a literal: bundlers leave it alone
        const fs = (await import(
          /* @vite-ignore */ /* webpackIgnore: true */ fsName
        )) as typeof import('node:fs/promises');
        text = await fs.readFile(new URL(url), 'utf8');
      } else {
        const res = await fetch(url);
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        text = await bodyText(res);
      }
      // A UTF-8 byte order mark (Windows editors write one): fetch()'s
      // text() drops it, Node's readFile() keeps it.
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    } catch (e) {
      throw new ElexError(
        'INIT_FAILED',
        `could not fetch the catalog ${url}: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    // Parsed, checked, linked and fingerprinted in slices: the page stays
    // responsive while a large catalog loads (docs/catalog.md, "Large catalogs").
    const parsed = await parseCatalogText(text);
    if (parsed) {
      if (parsed.dup)
        throw new ElexError(
          'INVALID_ARGUMENT',
          `the catalog ${url} is not JSON: duplicate member name "${parsed.dup.name}" at ${parsed.dup.path}`,
        );
      return { ...(await loadParsedCatalog(parsed.value, `the catalog ${url}`)), json: text };
    }
    // Not an object of arrays, or not JSON: at once, for JSON.parse()'s own error.
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new ElexError(
        'INVALID_ARGUMENT',
        `the catalog ${url} is not JSON: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    // JSON.parse() keeps the last of two members of one name: the first (a
    // whole "parameters" list of a hand-merged file) would be lost silently.
    const dup = duplicateMember(text);
    if (dup)
      throw new ElexError(
        'INVALID_ARGUMENT',
        `the catalog ${url} is not JSON: duplicate member name "${dup.name}" at ${dup.path}`,
      );
    return { ...loadCatalog(json, `the catalog ${url}`), json: text };
  }
  // Through JSON: the engine keeps its own copy (later changes to `source`
  // do not reach it) and the workers get the same text.
  const sliced = await stringifyCatalog(source);
  if (sliced) return { ...(await loadParsedCatalog(sliced.value, 'the catalog')), json: sliced.text };
  const text = jsonOf(source, 'the catalog');
  return { ...loadCatalog(JSON.parse(text) as unknown, 'the catalog'), json: text };
}

export interface QueryRequest {
  text: string;
  /** Skip classification and use this type / complexity. */
  type?: QueryType;
  complexity?: Complexity;
}

/** The keys of a QueryRequest and a MonitorBatch: another is a typo (`typ`, `kpi`), which was ignored. */
const QUERY_REQUEST_KEYS = keysOf<QueryRequest>()(['text', 'type', 'complexity']);
const MONITOR_BATCH_KEYS = keysOf<MonitorBatch>()(['cells', 'counters', 'periods', 'data', 'kpis']);

export interface QueryOptions {
  /** Features to route to (default 5, at most 20). */
  k?: number;
  /** The time budget in ms (default 500; for queryBatch, 500 or 5 per question, whichever is more). */
  budgetMs?: number;
  signal?: AbortSignal;
}

/**
 * Where a query's time went, in ms. In a batch, the figures are those of
 * the chunk (at most 128 questions) the question went in, and `total` runs
 * from the call's start.
 */
export interface QueryTimings {
  /**
   * Embedding the question, when it is timed apart from routing: 0 now, as
   * the router embeds, matches, searches and ranks in one engine call, all
   * of it in `route`.
   */
  embed: number;
  /** Routing (slowest worker): embedding, matching, search and ranking. */
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
/** Questions per call in a large batch (runIn). */
const BATCH_CHUNK = 128;
/** The start-up warm-up (EngineQueries.warmUp): at most this many calls of this many questions per worker, for at most this many ms. */
const WARM_UP_CALLS = 48;
const WARM_UP_PER_CALL = 2;
const WARM_UP_MS = 200;

export class EngineQueries {
  constructor(
    private readonly pool: WorkerPool,
    private readonly learn: EngineLearning,
    readonly catalog: LoadedCatalog,
  ) {
    // validate()'s per-parameter table (some ms for ~10K parameters, 60 to
    // 80 ms for 75K), made when the page is idle rather than in the first
    // call, in slices that yield to the event loop.
    const idle = (globalThis as { requestIdleCallback?: (f: () => void, o?: { timeout: number }) => number })
      .requestIdleCallback;
    pool.addRestorer(this.restoreCooldowns);
    pool.addRestorer(this.restoreHistory);
    const warm = () => void warmValidatorTables(catalog);
    if (idle) idle(warm, { timeout: 2000 });
    else setTimeout(warm, 0);
  }

  /**
   * Runs the query cycle's code once the routers are built, in the
   * background: each worker answers its router's warm-up questions
   * (ranWarmUp: routed and answered as a query is, without asking the
   * agents) through the same calls as query() (the fast channel both
   * ways), and the page expands the answers. A new page runs that code
   * unoptimised at first, and the engine optimises it while the first few
   * hundred questions run: their tail was twice as long as on a warm page.
   * Nothing waits for it (it took about 100 ms on 2 cores, which the first
   * answer should not wait for), and it stops as soon as a question is
   * asked, which then waits for at most one warm-up call. Changes nothing;
   * a failure only ends it.
   */
  async warmUp(): Promise<void> {
    const t0 = now();
    const one = async (w: number) => {
      for (let i = 0; i < WARM_UP_CALLS && now() - t0 < WARM_UP_MS && this.inFlight === 0; i++) {
        const r = await this.pool.call(w, (x) => x.ranWarmUp(i * WARM_UP_PER_CALL, WARM_UP_PER_CALL, 5), {
          timeoutMs: WARM_UP_MS,
          untracked: true, // not a call of the application's: info().shards does not count it
        });
        for (const q of r.results) for (const a of q.replies) expandReply(this.catalog, a, q.features, q.cards);
      }
    };
    await Promise.all(Array.from({ length: this.pool.size }, (_, w) => one(w))).catch(() => {});
  }

  /** validate()'s cell names as the engine validator's cell ids. */
  private readonly cellIds = new CellIds();
  /**
   * The latest time the engine recorded for a cooldown. The cooldowns live
   * in worker 0's engine; a replacement of that worker takes this as the
   * time of every change it lost (see ValidateRequest.floorAt).
   */
  private maxRecordedAt = -Infinity;
  /**
   * The page's copy of worker 0's cooldown table: for every (parameter,
   * cell) with a cooldown, the last accepted change that was recorded (its
   * value and time), in the engine's order (the last one recorded wins).
   * A replacement of worker 0 is given it back as one recorded batch before
   * it takes any call (restoreCooldowns), so cooldowns survive its death.
   * Key: parameter × 2^32 + cell id bits.
   */
  private readonly cooldowns = new Map<number, { proposed: number; at: number }>();
  /** Replays fail only if the replacement dies (then the next one replays again); else the floor holds. */
  private cooldownReplayError: string | null = null;

  /** Validates parameter changes (ran-ops.ts lists the verdicts and reasons). */
  async validate(changes: readonly ParameterChange[], options: ValidateOptions = {}): Promise<ValidateResult> {
    const t0 = now();
    const cols = prepareValidation(this.catalog, changes, this.cellIds, this.takeSpare());
    const params = cols.params.slice(); // cols.bytes is transferred to the worker
    const r = await this.runValidation(cols, VALIDATE_CALLER_CHECKED, options);
    const results = validationResults(this.catalog, changes, params, r.verdicts, r.reasons);
    return { results, counts: r.counts, ms: { kernel: r.ms, total: now() - t0 } };
  }

  /** validate() over typed columns: no objects in or out (see ValidationBatch). */
  async validateBatch(batch: ValidationBatch, options: ValidateOptions = {}): Promise<ValidateBatchResult> {
    const t0 = now();
    // A packed copy goes to the worker: the caller's arrays are never detached.
    const r = await this.runValidation(checkBatch(batch, this.takeSpare()), 0, options);
    return { verdicts: r.verdicts, reasons: r.reasons, counts: r.counts, ms: { kernel: r.ms, total: now() - t0 } };
  }

  /** Catalog indexes of parameter names, for validateBatch() (−1: unknown). */
  parameterIndexes(names: readonly string[]): Int32Array {
    return parameterIndexes(this.catalog, names);
  }

  /** A packed-columns buffer back from the worker, for the next call. */
  private spare: ArrayBuffer | null = null;
  private takeSpare(): ArrayBuffer | null {
    const s = this.spare;
    this.spare = null;
    return s;
  }

  private async runValidation(columns: PackedColumns, flags: number, options: ValidateOptions) {
    if (options.record !== undefined && typeof options.record !== 'boolean')
      throw new ElexError('INVALID_ARGUMENT', `record must be a boolean, got ${String(options.record)}`);
    if (options.record ?? true) flags |= VALIDATE_RECORD;
    const { n, bytes, atAll, cells } = columns; // not the params view: bytes is transferred
    const req = {
      columns: { n, bytes, atAll, cells },
      flags,
      count: this.catalog.parameters.size,
      floorAt: this.maxRecordedAt,
    };
    const r = await this.pool.call(0, (w) => w.validate(transfer(req, [bytes])));
    // By postMessage the buffer was moved to the worker, which gives it
    // back; the fast channel copied it, and it is still here.
    const packed = bytes.byteLength > 0 ? bytes : r.bytes;
    if (r.maxRecordedAt > this.maxRecordedAt) this.maxRecordedAt = r.maxRecordedAt;
    if (flags & VALIDATE_RECORD && packed) this.mirrorCooldowns(packed, n, atAll, cells, r.verdicts);
    // Kept for the next call unless it is large (a spare is at most 8 MB, ~250K changes).
    if (packed && packed.byteLength <= 8 << 20 && packed.byteLength > (this.spare?.byteLength ?? 0))
      this.spare = packed;
    return r;
  }

  /** Records the accepted changes of a recorded run, as the engine did (validator.cpp). */
  private mirrorCooldowns(
    bytes: ArrayBuffer,
    n: number,
    atAll: number | null,
    cells: boolean,
    verdicts: Uint8Array,
  ): void {
    if (!bytes || bytes.byteLength < 34 * n) return;
    const v = packedViews(bytes, n);
    const cool = validatorTables(this.catalog).cooldownMs;
    for (let i = 0; i < n; i++) {
      const p = v.params[i]!;
      if (verdicts[i] === 2 || p < 0 || p >= cool.length || !(cool[p]! === cool[p]!)) continue;
      const cell = cells ? v.cells[i]! : 0;
      this.cooldowns.set(p * 4294967296 + (cell >>> 0), { proposed: v.proposed[i]!, at: atAll ?? v.at[i]! });
    }
  }

  /**
   * Restorer of worker 0's cooldowns (pool.addRestorer): one recorded run
   * of every mirrored change, unchanged (current = proposed), at its time,
   * into the replacement's fresh validator. Each key appears once, so each
   * is accepted and recorded as it was; nothing else changes.
   */
  readonly restoreCooldowns = async (worker: number, remote: RemoteApi): Promise<void> => {
    if (worker !== 0 || this.cooldowns.size === 0) return;
    const n = this.cooldowns.size;
    const params = new Int32Array(n),
      cells = new Int32Array(n),
      values = new Float64Array(n),
      at = new Float64Array(n);
    let i = 0;
    for (const [key, c] of this.cooldowns) {
      params[i] = Math.floor(key / 4294967296);
      cells[i] = (key % 4294967296) | 0;
      values[i] = c.proposed;
      at[i++] = c.at;
    }
    const cols = packValidatorColumns({ params, current: values, proposed: values, at, cells });
    try {
      // Answered at once; the worker runs it when its validator is made, before any validate().
      await remote.validateRestore(
        transfer(
          {
            columns: cols,
            flags: VALIDATE_RECORD | VALIDATE_CALLER_CHECKED,
            count: this.catalog.parameters.size,
            floorAt: this.maxRecordedAt, // the fallback, should the run fail
          },
          [cols.bytes],
        ),
      );
    } catch (e) {
      const err = revive(e);
      if (err.code === 'WORKER_CRASHED') throw err;
      // Not given back: the next call's floorAt makes every cooldown count from the latest recorded time.
      this.cooldownReplayError = err.message;
    }
  };

  /** Cooldowns kept on the page for recovery (entries), and the last hand-back's problem, if any. */
  cooldownMirror(): { entries: number; replayError: string | null } {
    return { entries: this.cooldowns.size, replayError: this.cooldownReplayError };
  }

  /**
   * The page's copy of the monitor history (per KPI set, per cell: count,
   * mean and M2 of each KPI), as the cells' workers last returned it. A
   * replaced worker is given its cells' rows back (restoreHistory).
   */
  private readonly history = new Map<string, { kpis: number; cells: Map<string, Float64Array> }>();

  private mirrorHistory(cells: string[], r: MonitorShardResult): void {
    const width = r.kpis.length * 3;
    let set = this.history.get(r.historyKey);
    if (!set || set.kpis !== r.kpis.length)
      this.history.set(r.historyKey, (set = { kpis: r.kpis.length, cells: new Map() }));
    cells.forEach((cell, j) => set.cells.set(cell, r.history.slice(j * width, (j + 1) * width)));
  }

  /**
   * A batch is all or nothing: when a worker refused its share, the workers
   * that ran theirs get their cells' history back as it was before the
   * batch (the page's copy). So does a worker whose share the page stopped
   * waiting for (aborted, timed out): it runs it still, or has run it, and
   * the call putting the history back runs after it in that worker; it is
   * not awaited, so the rejection is not delayed by the batch.
   */
  private async undoMonitor(
    settled: PromiseSettledResult<unknown>[],
    parts: number[][],
    cells: string[],
    key: string,
  ): Promise<void> {
    const ran: Promise<void>[] = [];
    settled.forEach((x, w) => {
      if (parts[w]!.length === 0) return;
      const mine = parts[w]!.map((i) => cells[i]!);
      if (x.status === 'fulfilled') ran.push(this.putBack(w, key, mine));
      else if (x.reason instanceof ElexError && (x.reason.code === 'ABORTED' || x.reason.code === 'TIMEOUT'))
        void this.putBack(w, key, mine);
    });
    await Promise.all(ran);
  }

  /** Puts the page's copy of `cells`' history in KPI set `key` back into worker `w` (a cell it has none of has none). */
  private putBack(w: number, key: string, cells: string[]): Promise<void> {
    const set = this.history.get(key);
    const rows = set ? historyRows(set, cells) : null;
    return this.pool
      .call(w, (remote) =>
        set && rows
          ? remote.monitorRestore(key, cells, set.kpis, transfer(rows, [rows.buffer]))
          : remote.monitorForget(key, cells),
      )
      .catch((e: unknown) => {
        this.historyReplayError = revive(e).message; // these cells' anomaly scores start again
      });
  }

  /** Restorer of a worker's monitor history (pool.addRestorer): the rows of the cells it owns. */
  readonly restoreHistory = async (worker: number, remote: RemoteApi): Promise<void> => {
    const W = this.pool.size;
    for (const [key, set] of this.history) {
      const mine = [...set.cells.keys()].filter((c) => hash32(c) % W === worker);
      if (mine.length === 0) continue;
      const rows = historyRows(set, mine);
      try {
        await remote.monitorRestore(key, mine, set.kpis, transfer(rows, [rows.buffer]));
      } catch (e) {
        const err = revive(e);
        if (err.code === 'WORKER_CRASHED') throw err;
        this.historyReplayError = err.message; // anomaly scores of these cells start again
      }
    }
  };
  private historyReplayError: string | null = null;

  /** What the page keeps to restore monitor history: KPI sets, cells, bytes; the last restore's problem. */
  historyMirror(): { sets: number; cells: number; bytes: number; replayError: string | null } {
    let cells = 0,
      bytes = 0;
    for (const set of this.history.values()) {
      cells += set.cells.size;
      bytes += set.cells.size * set.kpis * 24;
    }
    return { sets: this.history.size, cells, bytes, replayError: this.historyReplayError };
  }

  /** KPIs, statistics and alerts for a batch of PM counters, sharded by cell. */
  async monitor(batch: MonitorBatch, options: MonitorOptions = {}): Promise<MonitorResult> {
    const t0 = now();
    if (typeof batch !== 'object' || batch === null)
      throw new ElexError('INVALID_ARGUMENT', 'monitor() takes { cells, counters, periods, data }');
    checkOptions('engine.monitor() batch', batch, MONITOR_BATCH_KEYS);
    const { cells, counters, periods, data } = batch;
    if (!Array.isArray(cells) || cells.length === 0 || !cells.every((c) => typeof c === 'string' && c.length > 0))
      throw new ElexError('INVALID_ARGUMENT', 'cells must be a non-empty array of cell ids');
    const cellIndex = new Map(cells.map((c, i) => [c, i]));
    if (cellIndex.size !== cells.length)
      throw new ElexError('INVALID_ARGUMENT', 'cell ids must be unique (a duplicate was found)');
    if (!Array.isArray(counters) || counters.length === 0)
      throw new ElexError('INVALID_ARGUMENT', 'counters must be a non-empty array of names');
    if (new Set(counters).size !== counters.length)
      throw new ElexError('INVALID_ARGUMENT', 'counter names must be unique (a duplicate was found)');
    const unknown = counters.filter((c) => !this.catalog.counters.has(c));
    if (unknown.length)
      throw new ElexError(
        'INVALID_ARGUMENT',
        `${unknown.length} counter(s) are not in the catalog, e.g. "${unknown[0]}"`,
      );
    if (!Number.isInteger(periods) || periods < 1)
      throw new ElexError('INVALID_ARGUMENT', 'periods must be a positive integer');
    if (!isTyped(data, 'Float32Array')) throw new ElexError('INVALID_ARGUMENT', 'data must be a Float32Array');
    if (data.length !== cells.length * counters.length * periods)
      throw new ElexError(
        'DIMENSION_MISMATCH',
        `data holds ${data.length} floats, not ${cells.length} cells × ${counters.length} counters × ${periods} periods = ${cells.length * counters.length * periods}`,
      );
    if (typeof batch.kpis === 'string')
      throw new ElexError(
        'INVALID_ARGUMENT',
        `kpis must be an array of KPI names, not a string (${JSON.stringify(batch.kpis)}): [${JSON.stringify(batch.kpis)}] for one`,
      );
    if (batch.kpis !== undefined && !Array.isArray(batch.kpis))
      throw new ElexError('INVALID_ARGUMENT', 'kpis must be an array of KPI names');
    const named = new Set<string>();
    for (const k of batch.kpis ?? []) {
      if (!this.catalog.kpis.has(k)) throw new ElexError('NOT_FOUND', `unknown KPI "${k}"`);
      // Evaluated and returned twice otherwise; Python and elex-cli refuse it too.
      if (named.has(k)) throw new ElexError('INVALID_ARGUMENT', `KPI "${k}" is named twice in kpis`);
      named.add(k);
    }
    if (typeof options !== 'object' || options === null)
      throw new ElexError('INVALID_ARGUMENT', 'monitor options must be an object');
    const z = options.zThreshold ?? 3,
      minHistory = options.minHistory ?? 8,
      perPeriod = options.perPeriod ?? false;
    // Checked here: the kernel would take NaN as "never an anomaly", a
    // negative threshold as "always", and a minHistory as a uint32.
    if (typeof z !== 'number' || !Number.isFinite(z) || z < 0)
      throw new ElexError('INVALID_ARGUMENT', `zThreshold must be a finite number ≥ 0, got ${String(z)}`);
    if (!Number.isInteger(minHistory) || minHistory < 0 || minHistory > 0xffffffff)
      throw new ElexError(
        'INVALID_ARGUMENT',
        `minHistory must be an integer from 0 to 4294967295, got ${String(minHistory)}`,
      );
    checkDuration('timeoutMs', options.timeoutMs);
    if (typeof perPeriod !== 'boolean')
      throw new ElexError('INVALID_ARGUMENT', `perPeriod must be a boolean, got ${String(perPeriod)}`);
    const W = this.pool.size;
    const row = counters.length * periods;
    // Shard by cell: a cell's history lives on one worker.
    const owner = cells.map((c) => hash32(c) % W);
    const parts = Array.from({ length: W }, (_, w) => cells.map((_, i) => i).filter((i) => owner[i] === w));
    const t1 = now();
    const settled = await Promise.allSettled(
      parts.map(async (idx, w): Promise<[number[], MonitorShardResult] | null> => {
        if (idx.length === 0) return null;
        let shard: Float32Array;
        if (W === 1) shard = data;
        else {
          shard = new Float32Array(idx.length * row);
          idx.forEach((i, j) => shard.set(data.subarray(i * row, (i + 1) * row), j * row));
        }
        const req = {
          cells: idx.map((i) => cells[i]!),
          counters,
          periods,
          data: shard,
          kpis: batch.kpis,
          zThreshold: z,
          minHistory,
          perPeriod,
        };
        const r = await this.pool.call(w, (x) => x.monitor(transfer(req, [shard.buffer])), {
          signal: options.signal,
          timeoutMs: options.timeoutMs,
        });
        return [idx, r];
      }),
    );
    const failed = settled.find((x) => x.status === 'rejected');
    if (failed) {
      await this.undoMonitor(settled, parts, cells, monitorHistoryKey(counters, batch.kpis));
      throw failed.reason;
    }
    const results = settled.map((x) => (x as PromiseFulfilledResult<[number[], MonitorShardResult] | null>).value);
    const t2 = now();
    for (const part of results)
      if (part)
        this.mirrorHistory(
          part[0].map((i) => cells[i]!),
          part[1],
        );
    const first = results.find((r) => r !== null)![1];
    const kpis = first.kpis;
    const K = kpis.length;
    const n = cells.length;
    let values: Float32Array | null, reasons: Uint8Array | null, counterStats: Float32Array, nullCounts: Uint32Array;
    let anomalies: Uint32Array, maxZ: Float32Array, breaches: Uint32Array, kpiStats: Float32Array;
    let missingSamples = 0;
    if (W === 1) {
      // One shard: its arrays were transferred to us and are in batch order already.
      ({ values, reasons, counterStats, nullCounts, anomalies, maxZ, breaches, kpiStats } = first);
      missingSamples = first.missing;
    } else {
      anomalies = new Uint32Array(n * K);
      maxZ = new Float32Array(n * K);
      breaches = new Uint32Array(n * K);
      kpiStats = new Float32Array(n * K * 5);
      values = perPeriod ? new Float32Array(n * K * periods) : null;
      reasons = perPeriod ? new Uint8Array(n * K * periods) : null;
      counterStats = new Float32Array(n * counters.length * 5);
      nullCounts = new Uint32Array(n * K * 2);
      for (const part of results) {
        if (!part) continue;
        const [idx, r] = part;
        missingSamples += r.missing;
        idx.forEach((i, j) => {
          if (values && r.values)
            values.set(r.values.subarray(j * K * periods, (j + 1) * K * periods), i * K * periods);
          if (reasons && r.reasons)
            reasons.set(r.reasons.subarray(j * K * periods, (j + 1) * K * periods), i * K * periods);
          nullCounts.set(r.nullCounts.subarray(j * K * 2, (j + 1) * K * 2), i * K * 2);
          anomalies.set(r.anomalies.subarray(j * K, (j + 1) * K), i * K);
          maxZ.set(r.maxZ.subarray(j * K, (j + 1) * K), i * K);
          breaches.set(r.breaches.subarray(j * K, (j + 1) * K), i * K);
          kpiStats.set(r.kpiStats.subarray(j * K * 5, (j + 1) * K * 5), i * K * 5);
          counterStats.set(
            r.counterStats.subarray(j * counters.length * 5, (j + 1) * counters.length * 5),
            i * counters.length * 5,
          );
        });
      }
    }
    const meta = kpis.map((k) => this.catalog.kpis.get(k)!);
    // Built on first read: random or unhealthy data can raise many thousands of alerts.
    const buildAlerts = (): MonitorAlert[] => {
      const alerts: MonitorAlert[] = [];
      for (let c = 0; c < n; c++)
        for (let k = 0; k < K; k++) {
          const ck = c * K + k;
          if (breaches[ck]) {
            const m = meta[k]!;
            const st = ck * 5;
            alerts.push({
              cell: cells[c]!,
              kpi: kpis[k]!,
              kind: 'threshold',
              periods: breaches[ck]!,
              worst: m.direction === 'lower' ? kpiStats[st + 4]! : kpiStats[st + 3]!,
              threshold: m.threshold,
            });
          }
          if (anomalies[ck])
            alerts.push({ cell: cells[c]!, kpi: kpis[k]!, kind: 'anomaly', periods: anomalies[ck]!, worst: maxZ[ck]! });
        }
      return alerts;
    };
    const summarize = (c: number): { cell: string; kpis: KpiSummary[] } => ({
      cell: cells[c]!,
      kpis: kpis.map((name, k) => {
        const ck = c * K + k,
          st = ck * 5;
        const miss = nullCounts[2 * ck]!,
          div = nullCounts[2 * ck + 1]!;
        const count = kpiStats[st]!;
        return {
          name,
          mean: count > 0 ? kpiStats[st + 2]! : null,
          min: count > 0 ? kpiStats[st + 3]! : null,
          max: count > 0 ? kpiStats[st + 4]! : null,
          count,
          nulls: { missingCounter: miss, divisionByZero: div },
          breaches: breaches[ck]!,
          anomalies: anomalies[ck]!,
          maxZ: maxZ[ck]!,
        };
      }),
    });
    let perCell: { cell: string; kpis: KpiSummary[] }[] | null = null;
    let alerts: MonitorAlert[] | null = null;
    const result: MonitorResult = {
      cells,
      kpis,
      periods,
      values,
      reasons,
      nullCounts,
      kpiStats,
      breaches,
      anomalies,
      maxZ,
      // Built on first read: a thousand cells × a hundred KPIs are many objects.
      get perCell() {
        return (perCell ??= cells.map((_, c) => summarize(c)));
      },
      cell(id: string) {
        const c = cellIndex.get(id) ?? -1;
        if (c < 0) throw new ElexError('NOT_FOUND', `cell "${id}" is not in this batch`);
        return perCell ? perCell[c]! : summarize(c);
      },
      counterStats,
      get alerts() {
        return (alerts ??= buildAlerts());
      },
      missingSamples,
      ms: {
        kernel: Math.max(...results.map((r) => (r ? r[1].kernelMs : 0))),
        shard: Math.max(...results.map((r) => (r ? r[1].ms : 0))),
        workers: t2 - t1,
        total: 0,
      },
    };
    result.ms.total = now() - t0;
    return result;
  }

  async query(input: string | QueryRequest, options: QueryOptions = {}): Promise<QueryResult> {
    const [r] = await this.run([input], options);
    return r!;
  }

  /** The budget covers the whole batch: by default 500 ms or 5 ms a question, whichever is more. */
  async queryBatch(inputs: readonly (string | QueryRequest)[], options: QueryOptions = {}): Promise<QueryResult[]> {
    if (!Array.isArray(inputs) || inputs.length === 0 || inputs.length > 10_000)
      throw new ElexError('INVALID_ARGUMENT', 'queryBatch takes an array of 1 to 10,000 questions');
    return this.run(inputs, { ...options, budgetMs: options.budgetMs ?? Math.max(500, 5 * inputs.length) });
  }

  private async run(inputs: readonly (string | QueryRequest)[], options: QueryOptions): Promise<QueryResult[]> {
    const t0 = now();
    const reqs = inputs.map((i, n) => {
      try {
        const r: QueryRequest = typeof i === 'string' ? { text: i } : i;
        if (typeof r !== 'object' || r === null)
          throw new ElexError('INVALID_ARGUMENT', 'a query is a string or { text }');
        checkOptions('engine.query() request', r, QUERY_REQUEST_KEYS);
        checkQuestion(r.text);
        if (r.type !== undefined && !QUERY_TYPES.includes(r.type))
          throw new ElexError('INVALID_ARGUMENT', `unknown query type ${JSON.stringify(r.type)}`);
        if (r.complexity !== undefined && !COMPLEXITIES.includes(r.complexity))
          throw new ElexError('INVALID_ARGUMENT', `unknown complexity ${JSON.stringify(r.complexity)}`);
        return r;
      } catch (e) {
        // In a batch, the message says which question.
        if (inputs.length > 1 && e instanceof ElexError) throw new ElexError(e.code, `question ${n}: ${e.message}`);
        throw e;
      }
    });
    const k = options.k ?? 5;
    if (!Number.isInteger(k) || k < 1 || k > 20)
      throw new ElexError('INVALID_ARGUMENT', `k must be an integer from 1 to 20, got ${String(k)}`);
    const budget = options.budgetMs ?? 500;
    if (typeof budget !== 'number' || !(budget > 0))
      throw new ElexError('INVALID_ARGUMENT', `budgetMs must be a positive number`);
    if (options.signal?.aborted) throw new ElexError('ABORTED', 'the query was aborted before it started');
    this.inFlight += reqs.length;
    try {
      return await this.runIn(reqs, k, budget, t0, options);
    } finally {
      this.inFlight -= reqs.length;
    }
  }

  /** Questions asked (query, queryBatch) and not yet answered. */
  private inFlight = 0;

  /** TIMEOUT for a call none of whose questions got an answer within its budget, saying why that happens. */
  private budgetError(budget: number, asked: number): ElexError {
    const others = this.inFlight - asked;
    return new ElexError(
      'TIMEOUT',
      `no worker answered within the ${budget} ms budget` +
        (others > 0
          ? ` (${others} other question(s) were in flight: the workers were busy with them; ask many questions with queryBatch(), or give budgetMs more time)`
          : // The first questions wait for the routers before their budget starts: the call itself took longer.
            ` (the call needs more time than that: give budgetMs more${asked > 1 ? ', or ask fewer questions a call' : ''})`),
    );
  }

  /**
   * Every call goes through here. A batch larger than BATCH_CHUNK goes as
   * chunks of at most that many questions, all sent at once, so that the
   * page reads and sends one chunk's messages (a few ms) while the workers
   * work on the next: the whole batch as one message was a task of about
   * 0.9 s for 10,000 questions. Each chunk runs on the one worker
   * (runLocal) or is routed on every worker and then acted on (runSharded).
   * A chunk that no worker answered within the budget is reported missing
   * (partial); the call fails only when no chunk was answered.
   */
  private async runIn(
    reqs: QueryRequest[],
    k: number,
    budget: number,
    t0: number,
    options: QueryOptions,
  ): Promise<QueryResult[]> {
    const run = (part: QueryRequest[]) =>
      this.pool.size === 1
        ? this.runLocal(part, k, budget, t0, options.signal)
        : this.runSharded(part, k, budget, t0, options);
    if (reqs.length <= BATCH_CHUNK) return run(reqs);
    const chunks = Math.ceil(reqs.length / BATCH_CHUNK);
    const size = Math.ceil(reqs.length / chunks);
    const parts = Array.from({ length: chunks }, (_, c) => reqs.slice(c * size, (c + 1) * size));
    const settled = await Promise.allSettled(parts.map(run));
    this.rethrowAbort(settled);
    for (const s of settled) if (s.status === 'rejected' && !isBudgetOrCrash(s.reason)) throw s.reason;
    if (settled.every((s) => s.status === 'rejected')) {
      // Every chunk timed out or lost its worker: say which, as for one chunk.
      const reasons = settled.map((s) => (s as PromiseRejectedResult).reason as ElexError);
      throw reasons.find((e) => e.code === 'WORKER_CRASHED') ?? this.budgetError(budget, reqs.length);
    }
    const total = now() - t0;
    return settled.flatMap((s, c) =>
      s.status === 'fulfilled' ? s.value : parts[c]!.map((r) => this.unanswered(r, total)),
    );
  }

  /** A question no worker answered within the budget: no features, every shard missing. */
  private unanswered(r: QueryRequest, total: number): QueryResult {
    const W = this.pool.size;
    return this.result(
      { ...this.learn.newQuery(), type: r.type ?? 'general', complexity: r.complexity ?? 'simple', features: [] },
      r.text,
      [],
      { embed: 0, route: 0, agents: 0, gather: total, total },
      { answered: 0, total: W, missing: Array.from({ length: W }, (_, w) => w) },
    );
  }

  /** Questions over several workers: route on each, merge, then ask the top features' agents where they live. */
  private async runSharded(
    reqs: QueryRequest[],
    k: number,
    budget: number,
    t0: number,
    options: QueryOptions,
  ): Promise<QueryResult[]> {
    const deadline = t0 + budget;
    const W = this.pool.size;
    const texts = reqs.map((r) => r.text);

    // Phase 1: route on every worker.
    const routed = await Promise.allSettled(
      Array.from({ length: W }, (_, w) =>
        this.pool.call(w, (r) => r.ranRoute(texts, k), { signal: options.signal, deadline }),
      ),
    );
    this.rethrowAbort(routed);
    const missing = new Set<number>();
    let embedMs = 0,
      routeMs = 0,
      inWorkers = 0;
    // Per question: every worker's features with their card codes, and the
    // classification of the worker whose top feature scored best (what the
    // question is classified as if no agent answers in time).
    const perQuery: { f: RoutedFeature; card: number }[][] = reqs.map(() => []);
    const routeClass: { type: QueryType; complexity: Complexity; top: number }[] = reqs.map(() => ({
      type: 'general',
      complexity: 'simple',
      top: -Infinity,
    }));
    routed.forEach((res, w) => {
      if (res.status === 'rejected') {
        if (isBudgetOrCrash(res.reason)) return void missing.add(w);
        throw res.reason;
      }
      embedMs = Math.max(embedMs, res.value.ms.embed);
      routeMs = Math.max(routeMs, res.value.ms.route);
      inWorkers = Math.max(inWorkers, res.value.ms.embed + res.value.ms.route + res.value.ms.wait);
      res.value.features.forEach((fs, qi) => {
        const cards = res.value.cards[qi]!;
        fs.forEach((f, i) => perQuery[qi]!.push({ f, card: cards[i]! }));
        const top = fs[0]?.score ?? -1;
        if (top > routeClass[qi]!.top) routeClass[qi] = { ...res.value.classes[qi]!, top };
      });
    });
    if (missing.size === W) throw this.budgetError(budget, reqs.length);
    const t1 = now();

    // Merge, and ask the top features' agents (grouped by worker); each
    // worker that acts classifies the question over the merged candidates
    // in its engine (the same inputs everywhere, so the same answer).
    const prepared = reqs.map((r, qi) => {
      const merged = perQuery[qi]!.sort((a, b) => b.f.score - a.f.score || (a.f.code < b.f.code ? -1 : 1)).slice(0, k);
      const { queryId, qid } = this.learn.newQuery();
      const fallback = routeClass[qi]!;
      return {
        r,
        features: merged.map((m) => m.f),
        cards: merged.map((m) => m.card),
        type: r.type ?? fallback.type,
        complexity: r.complexity ?? fallback.complexity,
        queryId,
        qid,
      };
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
          type: p.r.type,
          complexity: p.r.complexity,
          features: fs,
          candidates: p.features,
        });
      }
    }
    const t2 = now();
    const acted = await Promise.allSettled(
      [...byWorker].map(([w, list]) =>
        this.pool
          .call(w, (r) => r.ranAct(list), { signal: options.signal, deadline })
          .then((replies) => ({ w, list, replies })),
      ),
    );
    this.rethrowAbort(acted);
    const replies = new Map<string, Map<string, AgentReplyWire>>(); // queryId → code → reply
    const classes = new Map<string, { type: QueryType; complexity: Complexity }>(); // queryId → as its agents saw it
    [...byWorker.keys()].forEach((w, i) => {
      const res = acted[i]!;
      if (res.status === 'rejected') {
        if (isBudgetOrCrash(res.reason)) return void missing.add(w);
        throw res.reason;
      }
      res.value.list.forEach((req, j) => {
        if (!replies.has(req.queryId)) replies.set(req.queryId, new Map());
        const got = res.value.replies[j]!;
        classes.set(req.queryId, { type: got.type, complexity: got.complexity });
        for (const a of got.replies) replies.get(req.queryId)!.set(a.code, a);
      });
    });
    const t3 = now();
    const total = t3 - t0;
    const shards = { answered: W - missing.size, total: W, missing: [...missing].sort((a, b) => a - b) };
    const timings = {
      embed: embedMs,
      route: routeMs,
      agents: t3 - t2,
      gather: Math.max(0, t1 - t0 - inWorkers) + (t2 - t1),
      total,
    };
    return prepared.map((p) => {
      const mine = replies.get(p.queryId) ?? new Map<string, AgentReplyWire>();
      const agents = p.features
        .map((f) => mine.get(f.code))
        .filter((a): a is AgentReplyWire => !!a)
        .map((a) => expandReply(this.catalog, a, p.features, p.cards));
      const q = { ...p, ...classes.get(p.queryId) };
      return this.result(q, p.r.text, agents, { ...timings }, { ...shards, missing: [...shards.missing] });
    });
  }

  /** A query's result, its agents registered for feedback. */
  private result(
    q: { queryId: string; qid: number; type: QueryType; complexity: Complexity; features: RoutedFeature[] },
    text: string,
    agents: AgentReply[],
    timings: QueryTimings,
    shards: QueryResult['shards'],
  ): QueryResult {
    const primary = agents[0] ?? null;
    this.learn.registerQuery(
      q.queryId,
      q.qid,
      agents.map((a) => a.code),
      text,
    );
    return {
      queryId: q.queryId,
      text,
      type: q.type,
      complexity: q.complexity,
      features: q.features,
      action: primary?.action ?? null,
      answer: primary?.answer ?? null,
      agents,
      confidence: confidenceOf(q.features[0], primary),
      timings,
      partial: shards.answered < shards.total,
      shards,
    };
  }

  /** One worker holds every feature: route, classify and act in one round trip. */
  private async runLocal(
    reqs: QueryRequest[],
    k: number,
    budget: number,
    t0: number,
    signal: AbortSignal | undefined,
  ): Promise<QueryResult[]> {
    const ids = reqs.map(() => this.learn.newQuery());
    const items = reqs.map((r, i) => ({ text: r.text, type: r.type, complexity: r.complexity, ...ids[i]! }));
    let got: LocalQueryResult;
    try {
      got = await this.pool.call(0, (w) => w.ranQuery(items, k), { signal, deadline: t0 + budget });
    } catch (e) {
      throw e instanceof ElexError && e.code === 'TIMEOUT' ? this.budgetError(budget, reqs.length) : e;
    }
    const total = now() - t0;
    const { embed, route, agents } = got.ms;
    const timings = { embed, route, agents, gather: Math.max(0, total - embed - route - agents), total };
    return got.results.map((q, i) =>
      this.result(
        { ...ids[i]!, ...q },
        reqs[i]!.text,
        q.replies.map((a) => expandReply(this.catalog, a, q.features, q.cards)),
        { ...timings },
        { answered: 1, total: 1, missing: [] },
      ),
    );
  }

  private rethrowAbort(results: PromiseSettledResult<unknown>[]): void {
    for (const r of results)
      if (r.status === 'rejected' && r.reason instanceof ElexError && r.reason.code === 'ABORTED') throw r.reason;
  }
}

/** Top routing score × (0.5 + 0.5 × that feature's agent's confidence); 0 when it did not answer. */
function confidenceOf(top: RoutedFeature | undefined, primary: AgentReply | null): number {
  return top && primary && top.code === primary.code ? top.score * (0.5 + 0.5 * primary.confidence) : 0;
}

/** The page's history rows of `cells` in a KPI set (cells × kpis × 3; zeros for a cell it has no row of). */
function historyRows(set: { kpis: number; cells: Map<string, Float64Array> }, cells: string[]): Float64Array {
  const width = set.kpis * 3;
  const rows = new Float64Array(cells.length * width);
  cells.forEach((cell, j) => {
    const row = set.cells.get(cell);
    if (row) rows.set(row, j * width);
  });
  return rows;
}

function isBudgetOrCrash(e: unknown): boolean {
  return e instanceof ElexError && (e.code === 'TIMEOUT' || e.code === 'WORKER_CRASHED');
}
