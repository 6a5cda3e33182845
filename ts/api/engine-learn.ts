/**
 * The engine's agents across the pool: routing by feature to the worker
 * hosting its logical shard, query ids, feedback, stats, persistence with
 * autosave.
 */
import { ElexError } from '../core/errors.ts';
import { checkDuration, timerNeeded } from '../core/timers.ts';
import {
  AGENT_SHARDS,
  agentShardOf,
  checkCode,
  checkReward,
  encodeState,
  type AgentInfo,
  type AgentState,
  type AgentValues,
  type Decision,
  type MemoryStats,
} from '../core/learn-types.ts';
import type { RestoreReport, SaveReport } from '../host/agent-host.ts';
import type { PersistBackend } from '../host/persist.ts';
import type { WorkerPool } from '../parallel/pool.ts';
import { ROUTE_MEMORY_MAX, type RouteMemo } from '../host/ran-host.ts';

export interface PersistOptions {
  /** Storage name: engines with the same name share learned state (one engine at a time). */
  name: string;
  /** Default 'auto': OPFS where available, else IndexedDB, else memory. */
  backend?: PersistBackend | 'auto';
  /** Save after this many applied feedbacks (default 100; 0 = never by count). */
  autosaveEvery?: number;
  /** Save this often while anything changed, in ms (default 30 000; 0 = never by time). */
  autosaveMs?: number;
  /**
   * Identifies the catalog the state was learned for; a snapshot of another
   * catalog is refused with FOREIGN_DATA (default: the loaded catalog's
   * fingerprint).
   */
  fingerprint?: string;
}

export interface EngineStats {
  memory: {
    budgetBytes: number;
    usedBytes: number;
    /** Highest pressure of any worker, 0..1. */
    pressure: number;
    evictions: number;
    evictedBytes: number;
    budgetFailures: number;
    liveHeapBytes: number;
    heapBytes: number;
    perWorker: MemoryStats[];
  };
  agents: {
    /** Resident in wasm memory. */
    hot: number;
    /** Evicted to storage (or the worker's heap), reloaded on next use. */
    cold: number;
  };
  learning: {
    /** Mean ε over resident agents. */
    epsilon: number;
    decisions: number;
    updates: number;
    /** Mean reward of the updates (since start). */
    averageReward: number;
  };
  persistence: {
    name: string | null;
    backend: PersistBackend | null;
    lastSave: SaveReport | null;
    /** Per worker, what was restored at its (last) start. */
    restored: (RestoreReport | null)[];
    /** Feedback not yet in a snapshot. */
    unsaved: number;
    lastError: string | null;
  };
}

export interface DecideOptions {
  /**
   * A query id this decision continues (its next state, for the discount
   * γ): a query with a decision of the same feature (NOT_FOUND otherwise).
   */
  follows?: string;
  signal?: AbortSignal;
}

export interface FeedbackOptions {
  /**
   * Reward only this feature's agent of the query (one of those that
   * answered it). Its router also learns the question: a 👍 raises the
   * feature for similar questions, a 👎 lowers it. Without it, every agent
   * of the query takes the reward.
   */
  feature?: string;
}

export interface DecideResult extends Decision {
  /** Give it to feedback() to reward this decision. */
  queryId: string;
  feature: string;
  /** Worker that decided. */
  worker: number;
}

/** Pending query ids kept for feedback (oldest forgotten first). */
const MAX_PENDING = 100_000;

/**
 * Persist names that an engine of this page is letting go of (it is
 * closing, or its start-up was aborted), each with a promise that settles
 * once it is done. React's development double mount aborts a start-up and
 * begins the next in the same task, and a clean-up rarely waits for
 * close(): an engine started then waits for the name instead of finding it
 * taken.
 */
const leaving = new Map<string, Promise<void>>();

/**
 * Persist names held by this page's engines, answered on a BroadcastChannel
 * to another page that asks (claimedElsewhere). The Web Lock alone does not
 * keep two tabs apart once the site's data was cleared while one ran: that
 * page keeps its old lock manager, pages opened after get a new one, and
 * each would grant the name.
 */
const heldHere = new Map<string, number>();
/** When this page's engines took each name of heldHere (ms since the epoch): the earlier claim keeps a name. */
const heldSince = new Map<string, number>();
let claims: BroadcastChannel | null | undefined;
/** How long a start-up listens at least for another page holding its persist name (ms; and until its workers are up). */
const CLAIM_WAIT_MS = 150;

interface ClaimMessage {
  who?: string;
  held?: string;
  from?: string;
  to?: string;
  /** When the asking engine took the name. */
  since?: number;
}

const now = () => performance.timeOrigin + performance.now();

/** Takes `name` for an engine of this page (see heldHere); returns its release. */
function holdHere(name: string): () => void {
  heldHere.set(name, (heldHere.get(name) ?? 0) + 1);
  if (!heldSince.has(name)) heldSince.set(name, now());
  claimChannel();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const n = (heldHere.get(name) ?? 1) - 1;
    if (n > 0) heldHere.set(name, n);
    else {
      heldHere.delete(name);
      heldSince.delete(name);
    }
  };
}

function claimChannel(): BroadcastChannel | null {
  if (claims === undefined) {
    claims = typeof BroadcastChannel === 'function' ? new BroadcastChannel('elex-persist') : null;
    claims?.addEventListener('message', (e: MessageEvent<ClaimMessage>) => {
      const m = e.data;
      if (typeof m?.who !== 'string' || !heldHere.has(m.who)) return;
      // Two pages that took the name at about the same time (without Web
      // Locks, or after a clear): the later one gives way.
      if (typeof m.since === 'number' && (heldSince.get(m.who) ?? 0) > m.since) return;
      claims!.postMessage({ held: m.who, to: m.from });
    });
    (claims as { unref?: () => void } | null)?.unref?.();
  }
  return claims;
}

export class EngineLearning {
  private readonly pending = new Map<string, { codes: string[]; qid: number; text?: string }>();
  /**
   * The questions each worker's router learned from feedback (its route
   * memory), oldest first, at most ROUTE_MEMORY_MAX a worker: given back to
   * a replacement worker (pool.addRestorer), so a crash loses none.
   */
  private readonly routeMirror = new Map<number, RouteMemo[]>();
  private lastQid = 0;
  private sinceSave = 0;
  private lastSave: SaveReport | null = null;
  private lastError: string | null = null;
  private saving: Promise<SaveReport> | null = null;
  private timer: ReturnType<typeof setInterval> | undefined;
  private releaseLock: (() => Promise<void>) | null = null;
  /** Feedback calls not settled yet: close() lets them finish before its save. */
  private readonly feedbackInFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly pool: WorkerPool,
    private readonly persist: Required<PersistOptions> | null,
    releaseLock: (() => Promise<void>) | null,
    /** The loaded catalog's features (null with `catalog: false`: any code may have an agent). */
    private readonly features: ReadonlyMap<string, unknown> | null = null,
  ) {
    this.releaseLock = releaseLock;
    pool.addRestorer(async (worker, remote) => {
      const memos = this.routeMirror.get(worker);
      if (memos?.length) await remote.routeRestore(memos);
    });
    if (persist && persist.autosaveMs > 0 && timerNeeded(persist.autosaveMs)) {
      this.timer = setInterval(() => {
        if (this.sinceSave > 0) void this.autosave();
      }, persist.autosaveMs);
    }
  }

  /**
   * Holds a Web Lock on the persist name so that two engines never share it.
   * A name an engine of this page is letting go of (letGo) is waited for.
   */
  static async lockName(name: string): Promise<() => Promise<void>> {
    const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
    const before = leaving.get(name);
    if (!locks) {
      // No Web Locks (a page that is not a secure context, such as a
      // dashboard on plain http in an intranet): this page keeps the name
      // to one engine itself, and the site's other pages are asked
      // (claimedElsewhere).
      if (before) await before;
      if (heldHere.has(name))
        throw new ElexError(
          'PERSIST_UNAVAILABLE',
          `persist name "${name}" is in use by another engine of this page; close it or use another name`,
        );
      const release = holdHere(name);
      return async () => release();
    }
    if (before) await before; // else the lock is asked for at once, in the caller's task
    return new Promise((resolve, reject) => {
      // Settles once the lock is released again: the release function returns it, so that
      // a caller (an aborted start-up) can let go of the name before it reports.
      const held: Promise<unknown> = locks.request(`elex-persist:${name}`, { ifAvailable: true }, (lock) => {
        if (!lock) {
          reject(
            new ElexError(
              'PERSIST_UNAVAILABLE',
              `persist name "${name}" is in use by another engine (another tab?); close it or use another name`,
            ),
          );
          return;
        }
        const releaseHere = holdHere(name);
        return new Promise<void>((release) =>
          resolve(() => {
            releaseHere();
            release();
            return held.then(
              () => {},
              () => {},
            );
          }),
        );
      });
      held.catch((e: unknown) =>
        // Denied, not refused (a cross-origin iframe whose storage is blocked): no engine can own the name.
        reject(
          new ElexError(
            'PERSIST_UNAVAILABLE',
            `persist name "${name}": this page's Web Locks are denied (${String(e)}), as in a cross-origin iframe whose site data is blocked; persistence needs them so that two engines never write one store: create the engine without persist here`,
          ),
        ),
      );
    });
  }

  /**
   * Asks the other pages of this site whether an engine holds `name` (call
   * it once the lock is held): resolves true if one answers before `until`
   * settles (the asking engine's workers are up: the question overlaps
   * their start) and at least CLAIM_WAIT_MS have passed. A page that holds
   * the name answers once its event loop is free: one busy with a long task
   * when asked answered after a fixed 150 ms window and was taken as absent.
   * Only matters without Web Locks, or after the site's data was cleared
   * while an engine ran (see heldHere); otherwise the Web Lock already
   * refused.
   */
  static claimedElsewhere(name: string, until: Promise<unknown> = Promise.resolve()): Promise<boolean> {
    const ch = claimChannel();
    if (!ch) return Promise.resolve(false);
    const since = heldSince.get(name) ?? now();
    const from = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let answered = false;
      const done = (held: boolean) => {
        if (answered) return;
        answered = true;
        clearTimeout(timer);
        ch.removeEventListener('message', onMessage);
        resolve(held);
      };
      const onMessage = (e: MessageEvent<ClaimMessage>) => {
        if (e.data?.held === name && e.data.to === from) done(true);
      };
      const waited = new Promise((r) => (timer = setTimeout(r, CLAIM_WAIT_MS)));
      ch.addEventListener('message', onMessage);
      ch.postMessage({ who: name, from, since });
      void Promise.all([waited, until.catch(() => {})]).then(() => done(false));
    });
  }

  /** The worker hosting the agent of `code`. */
  workerOf(code: string): number {
    return agentShardOf(code, AGENT_SHARDS) % this.pool.size;
  }

  private nextQid(): number {
    // Unique across sessions (decisions are persisted with their ids): ms × 1024.
    this.lastQid = Math.max(this.lastQid + 1, Date.now() * 1024);
    return this.lastQid;
  }

  /** A fresh query id (not yet registered for feedback). */
  newQuery(): { queryId: string; qid: number } {
    const qid = this.nextQid();
    return { queryId: `q${qid.toString(36)}`, qid };
  }

  /** Makes feedback on `queryId` reach the agents of `codes`. */
  registerQuery(queryId: string, qid: number, codes: string[], text?: string): void {
    if (codes.length === 0) return;
    this.pending.set(queryId, { codes, qid, text });
    if (this.pending.size > MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
  }

  async decide(feature: string, state: AgentState = {}, options: DecideOptions = {}): Promise<DecideResult> {
    checkCode(feature);
    if (this.features && !this.features.has(feature))
      throw new ElexError(
        'NOT_FOUND',
        `feature "${feature}" is not in the loaded catalog (${this.features.size} features); agents act for catalog features only (an engine created with catalog: false keeps agents for any code)`,
      );
    encodeState(state); // fail here, before a message is posted
    let follows = 0;
    if (options.follows !== undefined) {
      const p = this.pending.get(options.follows);
      if (!p) throw new ElexError('NOT_FOUND', `unknown query id "${options.follows}" in follows`);
      follows = p.qid;
    }
    const qid = this.nextQid();
    const worker = this.workerOf(feature);
    const d = await this.pool
      .call(worker, (r) => r.agentDecide(feature, qid, state, follows), {
        signal: options.signal,
      })
      .catch((e: unknown) => {
        // The engine names the internal id: say which query the caller gave.
        if (follows !== 0 && e instanceof ElexError && e.code === 'NOT_FOUND')
          throw new ElexError(
            'NOT_FOUND',
            `follows: query "${options.follows}" has no decision of feature "${feature}" (its agents: ${this.pending.get(options.follows!)?.codes.join(', ') ?? 'none left'}, or it is older than the agent's trajectory); a decision continues one of its own agent's`,
          );
        throw e;
      });
    const queryId = `q${qid.toString(36)}`;
    this.pending.set(queryId, { codes: [feature], qid });
    if (this.pending.size > MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
    return { ...d, queryId, feature, worker };
  }

  /**
   * Rewards the decision(s) of query `queryId` with `reward` in [-1, 1]
   * (with `feature`, only that feature's). Each query (or each of its
   * features) takes feedback once; an unknown or already rewarded id gives
   * NOT_FOUND.
   */
  feedback(queryId: string, reward: number, options: FeedbackOptions = {}): Promise<{ applied: number }> {
    const giving = this.give(queryId, reward, options);
    this.feedbackInFlight.add(giving);
    const done = () => this.feedbackInFlight.delete(giving);
    giving.then(done, done);
    return giving;
  }

  private async give(queryId: string, reward: number, options: FeedbackOptions): Promise<{ applied: number }> {
    checkReward(reward);
    if (typeof queryId !== 'string')
      throw new ElexError('INVALID_ARGUMENT', 'a query id is a string returned by decide()');
    if (options === null || typeof options !== 'object')
      throw new ElexError('INVALID_ARGUMENT', 'feedback options must be an object');
    const p = this.pending.get(queryId);
    if (!p)
      throw new ElexError(
        'NOT_FOUND',
        `unknown query id "${queryId}" (never issued by this engine, already rewarded, or forgotten after ${MAX_PENDING} newer ones)`,
      );
    let codes = p.codes;
    if (options.feature !== undefined) {
      checkCode(options.feature);
      if (!p.codes.includes(options.feature))
        throw new ElexError(
          'NOT_FOUND',
          `feature "${options.feature}" did not answer query "${queryId}" (its agents: ${p.codes.join(', ')}), or was rewarded already`,
        );
      codes = [options.feature];
    }
    const rest = p.codes.filter((c) => !codes.includes(c));
    if (rest.length > 0) this.pending.set(queryId, { ...p, codes: rest });
    else this.pending.delete(queryId);
    let applied = 0;
    try {
      for (const code of codes) {
        // Routing learns the rated feature, or for a rating of the whole
        // answer the feature whose agent gave it (the query's first).
        const teach = p.text !== undefined && (options.feature !== undefined || code === p.codes[0]);
        const at = teach ? Date.now() : 0;
        const worker = this.workerOf(code);
        const r = await this.pool.call(worker, (w) =>
          w.agentFeedback(code, new Float64Array([p.qid]), new Float32Array([reward]), at),
        );
        if (at > 0 && r.applied > 0 && reward !== 0) {
          const list = this.routeMirror.get(worker) ?? [];
          list.push({ text: p.text!, code, reward, at });
          if (list.length > ROUTE_MEMORY_MAX) list.splice(0, list.length - ROUTE_MEMORY_MAX);
          this.routeMirror.set(worker, list);
        }
        applied += r.applied;
      }
    } catch (e) {
      if (applied === 0) this.pending.set(queryId, p); // nothing applied: the caller may retry
      throw e;
    }
    if (applied === 0)
      throw new ElexError(
        'NOT_FOUND',
        `query "${queryId}" is no longer in its agent's trajectory (its worker restarted, or too many newer decisions)`,
      );
    this.sinceSave++;
    if (this.persist && this.persist.autosaveEvery > 0 && this.sinceSave >= this.persist.autosaveEvery)
      void this.autosave();
    return { applied };
  }

  async agent(feature: string): Promise<AgentInfo | null> {
    checkCode(feature);
    return this.pool.call(this.workerOf(feature), (r) => r.agentInfo(feature));
  }

  async agentValues(feature: string, state: AgentState = {}): Promise<AgentValues | null> {
    checkCode(feature);
    encodeState(state);
    return this.pool.call(this.workerOf(feature), (r) => r.agentValues(feature, state));
  }

  async save(): Promise<SaveReport> {
    if (!this.persist) throw new ElexError('PERSIST_UNAVAILABLE', 'this engine was created without `persist`');
    if (this.saving) await this.saving.catch(() => {});
    const t0 = performance.now();
    const unsaved = this.sinceSave;
    this.saving = (async () => {
      const parts = await Promise.all(
        Array.from({ length: this.pool.size }, (_, w) => this.pool.call(w, (r) => r.learnSave())),
      );
      // Every worker's state is now in files of this layout: older layouts can go.
      await this.pool.call(0, (r) => r.learnCleanup());
      const report: SaveReport = {
        agents: parts.reduce((n, p) => n + p.agents, 0),
        bytes: parts.reduce((n, p) => n + p.bytes, 0),
        shards: parts.reduce((n, p) => n + p.shards, 0),
        ms: performance.now() - t0,
        // Workers encode and write in parallel: the slowest worker's share.
        encodeMs: Math.max(0, ...parts.map((p) => p.encodeMs)),
        writeMs: Math.max(0, ...parts.map((p) => p.writeMs)),
        at: Date.now(),
      };
      this.sinceSave = Math.max(0, this.sinceSave - unsaved);
      this.lastSave = report;
      this.lastError = null;
      return report;
    })();
    try {
      return await this.saving;
    } catch (e) {
      this.lastError = e instanceof Error ? e.message : String(e);
      throw e;
    } finally {
      this.saving = null;
    }
  }

  private async autosave(): Promise<void> {
    if (this.saving) return;
    try {
      await this.save();
    } catch {
      // recorded in lastError; the next trigger retries
    }
  }

  async stats(): Promise<EngineStats> {
    const per = await Promise.all(
      Array.from({ length: this.pool.size }, (_, w) => this.pool.call(w, (r) => r.learnStats())),
    );
    const mem = per.map((p) => p.memory);
    const sum = (f: (m: MemoryStats) => number) => mem.reduce((n, m) => n + f(m), 0);
    const hot = sum((m) => m.hotAgents);
    const updates = sum((m) => m.updates);
    return {
      memory: {
        budgetBytes: sum((m) => m.budgetBytes),
        usedBytes: sum((m) => m.usedBytes),
        pressure: Math.max(...mem.map((m) => m.pressure)),
        evictions: sum((m) => m.evictions),
        evictedBytes: sum((m) => m.evictedBytes),
        budgetFailures: sum((m) => m.budgetFailures),
        liveHeapBytes: sum((m) => m.liveHeapBytes),
        heapBytes: sum((m) => m.heapBytes),
        perWorker: mem,
      },
      agents: { hot, cold: per.reduce((n, p) => n + p.coldAgents, 0) },
      learning: {
        epsilon: hot > 0 ? sum((m) => m.epsilonMean * m.hotAgents) / hot : (mem[0]?.epsilonMean ?? 0),
        decisions: sum((m) => m.decisions),
        updates,
        averageReward: updates > 0 ? sum((m) => m.rewardSum) / updates : 0,
      },
      persistence: {
        name: this.persist?.name ?? null,
        backend: per[0]?.backend ?? null,
        lastSave: this.lastSave,
        restored: per.map((p) => p.restored),
        unsaved: this.sinceSave,
        lastError: this.lastError,
      },
    };
  }

  /**
   * Marks `name` as being let go of until `done` settles: an engine of this
   * page that asks for it meanwhile waits for that, then asks for the lock.
   */
  static letGo(name: string, done: Promise<unknown>): void {
    const settled = done.then(
      () => {},
      () => {},
    );
    leaving.set(name, settled);
    void settled.then(() => {
      if (leaving.get(name) === settled) leaving.delete(name);
    });
  }

  /** Saves if anything changed (when persisting), stops autosave, releases the name. */
  close(): Promise<void> {
    const closing = this.closeNow();
    if (this.persist && this.releaseLock) EngineLearning.letGo(this.persist.name, closing);
    return closing;
  }

  private async closeNow(): Promise<void> {
    clearInterval(this.timer);
    try {
      // Feedback given before close() is applied first, so that this last save holds it.
      if (this.persist) await Promise.allSettled([...this.feedbackInFlight]);
      if (this.persist && this.sinceSave > 0) await this.save();
    } finally {
      const release = this.releaseLock;
      this.releaseLock = null;
      await release?.();
    }
  }
}

export function resolvePersist(
  p: string | PersistOptions | undefined,
  catalogFingerprint = 'default',
): Required<PersistOptions> | null {
  if (p === undefined) return null;
  const o: PersistOptions = typeof p === 'string' ? { name: p } : p;
  if (typeof o !== 'object' || o === null || typeof o.name !== 'string' || !/^[\w.-]{1,64}$/.test(o.name))
    throw new ElexError(
      'INVALID_ARGUMENT',
      'persist.name must be 1..64 characters of letters, digits, "_", "-" or "."',
    );
  const backend = o.backend ?? 'auto';
  if (!['auto', 'opfs', 'idb', 'memory'].includes(backend))
    throw new ElexError(
      'INVALID_ARGUMENT',
      `persist.backend must be auto, opfs, idb or memory, got ${String(backend)}`,
    );
  const every = o.autosaveEvery ?? 100,
    ms = o.autosaveMs ?? 30_000;
  // A string such as "5000" passed `ms >= 0` and then never armed the timer (not a finite number).
  if (typeof every !== 'number' || !Number.isInteger(every) || every < 0)
    throw new ElexError(
      'INVALID_ARGUMENT',
      `persist.autosaveEvery must be a non-negative integer (feedbacks; 0 = never by count), got ${JSON.stringify(every) ?? String(every)}`,
    );
  checkDuration('persist.autosaveMs', ms); // 0 or Infinity: never by time
  const fingerprint: unknown = o.fingerprint ?? catalogFingerprint;
  if (typeof fingerprint !== 'string' || fingerprint.length === 0 || fingerprint.length > 256)
    throw new ElexError(
      'INVALID_ARGUMENT',
      `persist.fingerprint must be a catalog fingerprint (a string of 1 to 256 characters, as engine.catalog().fingerprint gives), got ${typeof fingerprint === 'string' ? `a string of ${fingerprint.length}` : typeof fingerprint}`,
    );
  return {
    name: o.name,
    backend,
    autosaveEvery: every,
    autosaveMs: ms,
    fingerprint,
  };
}
