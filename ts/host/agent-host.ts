/**
 * The agents of one wasm instance (a pool worker, or same-thread bindings)
 * with their persistence: restore at start, transparent reload of evicted
 * agents, snapshots of the logical shards this instance hosts.
 *
 * Storage layout under a persist name (see persist.ts for the backends):
 *   agents-w<k>-of-<n>  snapshot of worker k of n: an ELEX container (kind
 *                       4) with META = {"fingerprint", "worker", "workers",
 *                       "savedAt"} and RECS = the records of every agent of
 *                       the logical shards that worker hosts (s % n === k);
 *                       META also holds "routes": the router's rated
 *                       questions of those features (RouteMemo[]);
 *   spill/<code>        one evicted agent, written before it left wasm
 *                       memory (same container, one record); removed once
 *                       a snapshot holding that state is written.
 * State is keyed by feature, so any worker count loads any snapshot: a
 * restore reads its own file, or, after the worker count changed, every
 * snapshot file, then the spill records, and keeps for each of its agents
 * the record with the highest version. One file per worker keeps a save to
 * two flushes per worker.
 *
 * Without persistence, evicted agents' records stay in this worker's JS
 * heap (compact: about half of their live size) so nothing learned is lost.
 */
import type { Bindings, HeapBlock, RecordSpan } from '../bindings/bindings.ts';
import { ElexError } from '../core/errors.ts';
import { CONTAINER_KIND, ENGINE_STATUS } from '../generated/enums.ts';
import {
  AGENT_SHARDS,
  agentShardOf,
  checkCode,
  type AgentInfo,
  type AgentState,
  type AgentValues,
  type Decision,
  type LearningOptions,
  type MemoryStats,
} from '../core/learn-types.ts';
import { openStore, type KeyValueStore, type PersistBackend } from './persist.ts';
import { routeMemoKey as routeKey, type RouteMemo } from './route-memo.ts';

export interface PersistSetup {
  name: string;
  backend: PersistBackend | 'auto';
  /** Snapshots written for another catalog are refused (FOREIGN_DATA). */
  fingerprint: string;
}

export interface HostSetup {
  memoryBudgetBytes: number;
  highWater: number;
  learning: LearningOptions;
  persist: PersistSetup | null;
  /** This instance's worker index and the pool size: it hosts shards s with s % workers === worker. */
  worker: number;
  workers: number;
}

export interface RestoreReport {
  backend: PersistBackend | null;
  /** Agents found in storage for the hosted shards. */
  agents: number;
  /** Of those, loaded into wasm memory now (the rest load on first use). */
  resident: number;
  snapshots: number;
  bytes: number;
  ms: number;
  /** Of `ms`: reading the snapshot files from storage. */
  readMs: number;
  /** Of `ms`: checking the snapshots (checksum, framing, catalog) and indexing their records. */
  loadMs: number;
  /**
   * ms from the start of the restore until every restored agent that fits
   * the budget was loaded into wasm (null while the background load runs).
   * `resident` counts up as it does.
   */
  residentMs: number | null;
  /**
   * Snapshot files found damaged (their newest save no longer matches its
   * header) while the save before them was intact: that earlier save was
   * restored, so what was learned between the two is lost. Empty unless
   * storage was damaged.
   */
  damaged: string[];
}

export interface SaveReport {
  agents: number;
  bytes: number;
  ms: number;
  /** Of `ms`: encoding the snapshot in wasm (records, container, checksum). */
  encodeMs: number;
  /** Of `ms`: writing it to storage (flushes included). */
  writeMs: number;
  shards: number;
  at: number;
}

type Cold =
  | { where: 'memory'; bytes: Uint8Array }
  | { where: 'spill' }
  | { where: 'snapshot'; key: string }
  /** Restored, waiting for the background load: the record is in a snapshot read into wasm memory. */
  | { where: 'block'; key: string; block: HeapBlock; rec: RecordSpan }
  /** Its record failed to load (status): using the agent reports CORRUPT_DATA. */
  | { where: 'damaged'; key: string; status: number };

/** The snapshot key of worker k of n, and its parse. */
const snapshotKey = (worker: number, workers: number) => `agents-w${worker}-of-${workers}`;
function parseSnapshotKey(key: string): { worker: number; workers: number } | null {
  const m = /^agents-w(\d+)-of-(\d+)$/.exec(key);
  return m ? { worker: Number(m[1]), workers: Number(m[2]) } : null;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Code and version from an agent record's head (learn.cpp: record layout). */
export function recordHead(rec: Uint8Array): { code: string; version: number } {
  const v = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
  const len = v.getUint16(4, true);
  // TextDecoder refuses views of shared memory (threaded builds): decode a copy.
  const code = dec.decode(rec.slice(6, 6 + len));
  const version = Number(v.getBigUint64(6 + len + 20 + 16 + 8 + 4 + 8 + 8 + 8, true));
  return { code, version };
}

function frame(records: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(records.reduce((n, r) => n + 4 + r.length, 0));
  const v = new DataView(out.buffer);
  let at = 0;
  for (const r of records) {
    v.setUint32(at, r.length, true);
    out.set(r, at + 4);
    at += 4 + r.length;
  }
  return out;
}

export class AgentHost {
  private readonly cold = new Map<string, Cold>();
  private store: KeyValueStore | null = null;
  private readonly hosted: number[];
  private queue: Promise<unknown> = Promise.resolve();
  /** Restored agents not loaded yet (most recently used first), and the snapshot blocks holding them. */
  private pending: string[] = [];
  private blocks: HeapBlock[] = [];
  private restoreStart = 0;
  private closed = false;
  lastSave: SaveReport | null = null;
  restored: RestoreReport | null = null;
  /** Feedback calls applied since the last save (the engine's autosave counts these). */
  dirty = 0;
  /** @internal The router's rated questions, once it is built (saved in the snapshot's META). */
  routeMemorySource: (() => RouteMemo[]) | null = null;
  /**
   * @internal The router's route memory giving way (RanHost.giveWay): frees
   * some of it and says whether it did; a call that does not fit even with
   * every cold agent evicted asks it before failing BUDGET_EXCEEDED.
   */
  routeGiveWay: (() => boolean) | null = null;
  /** @internal Rated questions of the hosted features found by open() (the router learns them when built). */
  restoredRoutes: RouteMemo[] = [];

  constructor(
    private readonly b: Bindings,
    private readonly setup: HostSetup,
  ) {
    this.hosted = [];
    for (let s = 0; s < AGENT_SHARDS; s++) if (s % setup.workers === setup.worker) this.hosted.push(s);
    b.configureMemory(setup.memoryBudgetBytes, setup.highWater);
    b.configureLearning(setup.learning);
  }

  get backend(): PersistBackend | null {
    return this.store?.backend ?? null;
  }

  /** Test aid: the store (OpfsStore's crashPlan). */
  get storage(): KeyValueStore | null {
    return this.store;
  }

  /** Runs host operations one at a time (they await storage). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    // Whatever an operation evicted is stored when it ends, failed or not: a
    // record left in wasm's spill queue belongs to no agent the host knows
    // (agentValues said null, and decide() started a fresh agent).
    const op = async () => {
      try {
        return await fn();
      } finally {
        if (!this.closed) await this.drain();
      }
    };
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => {});
    return run;
  }

  /**
   * Runs `fn` (a wasm call that may make room); if it failed BUDGET_EXCEEDED
   * after evicting (the evicted records still count until they are stored),
   * stores them and runs it once more. If it still does not fit, the route
   * memory gives way (its oldest rated questions forgotten, a share at a
   * time: unlike an agent, what it forgets is lost) before the call fails.
   */
  private async roomFor<T>(fn: () => T): Promise<T> {
    const overBudget = (e: unknown) => e instanceof ElexError && e.code === 'BUDGET_EXCEEDED';
    try {
      return fn();
    } catch (e) {
      if (!overBudget(e)) throw e;
      let last = e;
      const spilled = this.b.spillPop();
      if (spilled) {
        await this.drain(spilled);
        try {
          return fn();
        } catch (again) {
          if (!overBudget(again)) throw again;
          last = again;
        }
      }
      while (this.routeGiveWay?.()) {
        try {
          return fn();
        } catch (again) {
          if (!overBudget(again)) throw again;
          last = again;
        }
      }
      throw last;
    }
  }

  /** Opens storage and restores the hosted shards. A damaged or foreign snapshot rejects, naming it. */
  open(): Promise<RestoreReport> {
    return this.serial(async () => {
      const t0 = performance.now();
      const report: RestoreReport = {
        backend: null,
        agents: 0,
        resident: 0,
        snapshots: 0,
        bytes: 0,
        ms: 0,
        readMs: 0,
        loadMs: 0,
        residentMs: null,
        damaged: [],
      };
      const p = this.setup.persist;
      if (p) {
        this.store = await openStore(p.name, p.backend, (bytes) => this.b.crc32(bytes));
        report.backend = this.store.backend;
        const versions = new Map<string, number>();
        const { worker, workers } = this.setup;
        const own = snapshotKey(worker, workers);
        const keys = (await this.store.keys('agents-')).filter((k) => {
          const p = parseSnapshotKey(k);
          // Files of the same layout hold other workers' agents only.
          return p !== null && (k === own || p.workers !== workers);
        });
        // Snapshot files are read straight into wasm memory, checked there and
        // their records imported in place: no copy through JavaScript.
        const blocks: HeapBlock[] = [];
        const into = (n: number) => {
          const block = this.b.allocBlock(Math.max(1, n));
          blocks.push(block);
          return block.view().subarray(0, n);
        };
        try {
          const best = new Map<string, { block: HeapBlock; rec: RecordSpan; key: string }>();
          for (const key of keys.sort((x, y) => (x === own ? 1 : y === own ? -1 : 0))) {
            const tr = performance.now();
            const bytes = await this.readSnapshot(key, into);
            report.readMs += performance.now() - tr;
            if (!bytes) continue;
            report.snapshots++;
            report.bytes += bytes.length;
            const block = blocks[blocks.length - 1]!; // the bytes are the last block `into` gave
            const { records, info } = this.checked(key, () => this.b.verifySnapshotIn(block));
            this.collectRoutes(info.routes);
            const view = block.view();
            for (const rec of records) {
              const { code, version } = recordHead(view.subarray(rec.offset, rec.offset + rec.size));
              if (agentShardOf(code) % workers !== worker) continue;
              if ((versions.get(code) ?? -1) >= version) continue;
              versions.set(code, version);
              best.delete(code); // re-insert: the most recent file's order wins
              best.set(code, { block, rec, key });
            }
          }
          // Most recently used last in a snapshot: those load first. The engine
          // is ready now: agents load in the background, a slice at a time
          // between calls (on the engine's threads), and any agent a call
          // needs first is loaded on demand. Those that do not fit the budget
          // stay cold, read back from their snapshot on first use.
          for (const [code, { block, rec, key }] of [...best].reverse()) {
            report.agents++;
            this.cold.set(code, { where: 'block', key, block, rec });
            this.pending.push(code);
          }
          this.blocks = blocks.splice(0);
        } finally {
          for (const block of blocks) block.free(); // on error, or a file that went unused
        }
        for (const key of await this.store.keys('spill/')) {
          const code = key.slice('spill/'.length);
          if (!this.hosted.includes(agentShardOf(code))) continue;
          const tr = performance.now();
          const bytes = await this.store.get(key);
          report.readMs += performance.now() - tr;
          if (!bytes) continue;
          const rec = this.verified(key, bytes)[0];
          if (!rec) continue;
          const { version } = recordHead(rec);
          if ((versions.get(code) ?? -1) >= version) continue;
          if (!versions.has(code)) report.agents++;
          versions.set(code, version);
          if (this.tryImport(rec)) {
            this.cold.delete(code);
            report.resident++;
          } else {
            this.cold.set(code, { where: 'spill' });
          }
        }
      }
      report.ms = performance.now() - t0;
      report.loadMs = report.ms - report.readMs;
      report.damaged = [...(this.store?.damagedFiles ?? [])];
      this.restored = report;
      this.restoreStart = t0;
      if (this.pending.length > 0) void this.loadInBackground();
      else this.finishLoad();
      return { ...report };
    });
  }

  /** Keeps the rated questions of hosted features from a snapshot's META (once each: files may overlap). */
  private collectRoutes(routes: unknown): void {
    if (!Array.isArray(routes)) return;
    const seen = new Set(this.restoredRoutes.map(routeKey));
    const { worker, workers } = this.setup;
    for (const r of routes as RouteMemo[]) {
      if (r === null || typeof r !== 'object' || typeof r.code !== 'string' || typeof r.text !== 'string') continue;
      if (agentShardOf(r.code) % workers !== worker || seen.has(routeKey(r))) continue;
      seen.add(routeKey(r));
      this.restoredRoutes.push({ text: r.text, code: r.code, reward: Number(r.reward), at: Number(r.at) });
    }
    this.restoredRoutes.sort((a, b) => a.at - b.at);
  }

  private verified(key: string, bytes: Uint8Array): Uint8Array[] {
    const parsed = this.checked(key, () => this.b.verifySnapshot(bytes));
    return parsed.records;
  }

  /** Runs a snapshot check, then the catalog check on its META; errors name the file. */
  private checked<T extends { meta: Uint8Array }>(key: string, verify: () => T): T & { info: { routes?: unknown } } {
    let parsed: T;
    try {
      parsed = verify();
    } catch (e) {
      const code = e instanceof ElexError ? e.code : 'CORRUPT_DATA';
      throw new ElexError(
        code,
        `learned-state snapshot ${this.store!.describe(key)} cannot be read (${e instanceof Error ? e.message : String(e)}); it was left untouched`,
      );
    }
    let meta: { fingerprint?: string; routes?: unknown };
    try {
      meta = JSON.parse(dec.decode(parsed.meta)) as typeof meta;
    } catch {
      throw new ElexError(
        'CORRUPT_DATA',
        `learned-state snapshot ${this.store!.describe(key)} has unreadable metadata`,
      );
    }
    const want = this.setup.persist!.fingerprint;
    if (meta.fingerprint !== want)
      throw new ElexError(
        'FOREIGN_DATA',
        `learned-state snapshot ${this.store!.describe(key)} belongs to catalog "${String(meta.fingerprint)}", not "${want}"; it was left untouched`,
      );
    return { ...parsed, info: meta };
  }

  private tryImport(rec: Uint8Array, evict = false): boolean {
    try {
      this.b.importAgent(rec, evict);
      return true;
    } catch (e) {
      if (e instanceof ElexError && e.code === 'BUDGET_EXCEEDED' && !evict) return false;
      throw e;
    }
  }

  /** Agents loaded per background slice: a few ms, so calls queued meanwhile wait little. */
  private static readonly SLICE = 48;

  private async loadInBackground(): Promise<void> {
    try {
      while (this.pending.length > 0 && !this.closed) {
        await this.serial(async () => {
          if (!this.closed) this.loadSlice(AgentHost.SLICE);
        });
        await new Promise((r) => setTimeout(r, 0)); // let queued calls in
      }
    } catch {
      // The instance went away mid-load (closed or crashed): nothing to keep.
    }
  }

  /**
   * Loads up to `max` pending restored agents into wasm, in one import per
   * run of records from the same snapshot block. Runs inside serial().
   */
  private loadSlice(max: number): void {
    const batch: [string, Extract<Cold, { where: 'block' }>][] = [];
    while (batch.length < max && this.pending.length > 0) {
      const code = this.pending.shift()!;
      const c = this.cold.get(code);
      if (c?.where === 'block') batch.push([code, c]); // else loaded on demand meanwhile
    }
    for (let i = 0; i < batch.length;) {
      let j = i;
      while (j < batch.length && batch[j]![1].block === batch[i]![1].block) j++;
      const status = this.b.importAgentsAt(
        batch[i]![1].block,
        batch.slice(i, j).map(([, c]) => c.rec),
      );
      for (let k = i; k < j; k++) {
        const [code, c] = batch[k]!;
        const st = status[k - i]!;
        if (st === 0) {
          this.cold.delete(code);
          this.restored!.resident++;
        } else if (st === ENGINE_STATUS.BUDGET_EXCEEDED) this.cold.set(code, { where: 'snapshot', key: c.key });
        else this.cold.set(code, { where: 'damaged', key: c.key, status: st });
      }
      i = j;
    }
    if (this.pending.length === 0) this.finishLoad();
  }

  /** Every restored agent is loaded (or cold): the snapshot blocks go. */
  private finishLoad(): void {
    for (const block of this.blocks) block.free();
    this.blocks = [];
    if (this.restored && this.restored.residentMs === null)
      this.restored.residentMs = performance.now() - this.restoreStart;
  }

  /**
   * A snapshot file's bytes (read into `into` when given). A file of another
   * worker count is read by every worker of this one at once (at the
   * restore, and for agents left in it until used or saved), and written by
   * none: it is read without being kept open (KeyValueStore.getShared).
   */
  private readSnapshot(key: string, into?: (size: number) => Uint8Array): Promise<Uint8Array | null> {
    const store = this.store!;
    const own = key === snapshotKey(this.setup.worker, this.setup.workers);
    return !own && store.getShared ? store.getShared(key, into) : store.get(key, into);
  }

  /** Loads an evicted agent back before it is used. */
  private async ensure(code: string): Promise<void> {
    const c = this.cold.get(code);
    if (!c) return;
    let rec: Uint8Array | undefined;
    if (c.where === 'damaged')
      throw new ElexError(
        'CORRUPT_DATA',
        `learned-state snapshot ${this.store!.describe(c.key)} holds a damaged record of "${code}" (status ${c.status}); it was left untouched`,
      );
    if (c.where === 'memory') rec = c.bytes;
    else if (c.where === 'block') {
      // Needed before the background load got to it: load it now.
      rec = c.block.view().slice(c.rec.offset, c.rec.offset + c.rec.size);
    } else if (c.where === 'spill') {
      const key = `spill/${code}`;
      const bytes = await this.store!.get(key);
      if (bytes) rec = this.verified(key, bytes)[0];
    } else {
      const bytes = await this.readSnapshot(c.key);
      if (bytes) rec = this.verified(c.key, bytes).find((r) => recordHead(r).code === code);
    }
    if (!rec)
      throw new ElexError(
        'NOT_FOUND',
        `the stored state of agent "${code}" is missing from ${this.store?.describe('') ?? 'memory'}`,
      );
    // As decide(): the records it evicts to make room count until they are stored.
    await this.roomFor(() => this.b.importAgent(rec, true));
    this.cold.delete(code);
    if (c.where === 'block' && this.restored) this.restored.resident++;
    await this.drain();
  }

  /** Takes every evicted record out of wasm and stores it (before it could be lost). */
  private async drain(first: Uint8Array | null = this.b.spillPop()): Promise<void> {
    for (let rec = first; rec; rec = this.b.spillPop()) {
      const { code } = recordHead(rec);
      if (this.store) {
        const meta = enc.encode(JSON.stringify({ fingerprint: this.setup.persist!.fingerprint, spill: true }));
        try {
          await this.store.put(
            `spill/${code}`,
            this.b.writeContainer(CONTAINER_KIND.AgentSnapshot, [
              ['META', meta],
              ['RECS', frame([rec])],
            ]),
          );
          this.cold.set(code, { where: 'spill' });
          continue;
        } catch {
          // Storage full or failing: the record is out of wasm already, so it
          // is kept here as without persistence (the next save writes it);
          // the call that evicted it goes on.
        }
      }
      this.cold.set(code, { where: 'memory', bytes: rec });
    }
  }

  decide(code: string, queryId: number, state: AgentState, follows: number): Promise<Decision> {
    return this.decideMany([{ code, state }], queryId, follows).then((d) => d[0]!);
  }

  /**
   * decide() for several agents in one turn of the queue, in order (one
   * question's features): the same decisions as one call each, with one
   * spill drain at the end.
   */
  decideMany(
    asks: readonly { code: string; state: AgentState }[],
    queryId: number,
    follows: number,
  ): Promise<Decision[]> {
    for (const a of asks) checkCode(a.code);
    return this.serial(async () => {
      const out: Decision[] = [];
      for (const a of asks) {
        // Only an evicted agent waits (for its record): a resident one is decided at once.
        if (this.cold.has(a.code)) await this.ensure(a.code);
        out.push(await this.roomFor(() => this.b.decide(a.code, queryId, a.state, follows)));
      }
      // Most calls evict nothing: the first spill record is taken here, and only one waits for storage.
      const spilled = this.b.spillPop();
      if (spilled) await this.drain(spilled);
      return out;
    });
  }

  feedback(code: string, queryIds: Float64Array, rewards: Float32Array): Promise<{ applied: number; unknown: number }> {
    checkCode(code);
    return this.serial(async () => {
      await this.ensure(code);
      const r = this.b.feedback(code, queryIds, rewards);
      if (r.applied > 0) this.dirty++;
      await this.drain();
      return r;
    });
  }

  values(code: string, state: AgentState): Promise<AgentValues | null> {
    checkCode(code);
    return this.serial(async () => {
      await this.ensure(code);
      return this.b.agentInfo(code) ? this.b.agentValues(code, state) : null;
    });
  }

  info(code: string): Promise<AgentInfo | null> {
    checkCode(code);
    return this.serial(async () => {
      const i = this.b.agentInfo(code);
      if (i) return { ...i, resident: true };
      if (!this.cold.has(code)) return null;
      await this.ensure(code);
      const j = this.b.agentInfo(code);
      return j ? { ...j, resident: false } : null;
    });
  }

  /** Reserves room for external state (an index) and stores whatever that evicted. */
  reserve(bytes: number): Promise<void> {
    return this.serial(async () => {
      await this.roomFor(() => this.b.reserve(bytes));
    });
  }

  /** Writes this worker's snapshot (resident and evicted agents), then drops the spill records it covers. */
  save(): Promise<SaveReport> {
    return this.serial(async () => {
      const t0 = performance.now();
      if (!this.store) throw new ElexError('PERSIST_UNAVAILABLE', 'this engine was created without `persist`');
      this.loadSlice(Infinity); // what the background load has not reached yet
      const extra: Uint8Array[] = [];
      const covered: string[] = [];
      const fromSnapshots = new Map<string, Set<string>>();
      for (const [code, c] of this.cold) {
        if (c.where === 'memory') {
          extra.push(c.bytes);
          covered.push(code); // with persist: its spill record failed, and an older one may be there
        } else if (c.where === 'spill') {
          const bytes = await this.store.get(`spill/${code}`);
          const rec = bytes ? this.verified(`spill/${code}`, bytes)[0] : undefined;
          if (rec) extra.push(rec);
          covered.push(code);
        } else {
          if (!fromSnapshots.has(c.key)) fromSnapshots.set(c.key, new Set());
          fromSnapshots.get(c.key)!.add(code);
        }
      }
      for (const [key, codes] of fromSnapshots) {
        const prev = await this.readSnapshot(key);
        if (prev) for (const r of this.verified(key, prev)) if (codes.has(recordHead(r).code)) extra.push(r.slice());
      }
      const { worker, workers } = this.setup;
      const at = Date.now();
      const meta = enc.encode(
        JSON.stringify({
          fingerprint: this.setup.persist!.fingerprint,
          worker,
          workers,
          savedAt: at,
          // Before the router is built: what open() restored, so a save then loses none.
          routes: this.routeMemorySource?.() ?? this.restoredRoutes,
        }),
      );
      const te = performance.now();
      // Encoded in wasm memory and written from there (no copy through JavaScript).
      const snap = this.b.snapshotBlock(0, 0, meta, frame(extra));
      const tw = performance.now();
      const key = snapshotKey(worker, workers);
      try {
        await this.store.put(key, () => snap.block.view());
      } finally {
        snap.block.free();
      }
      const writeMs = performance.now() - tw;
      for (const code of covered) await this.store.delete(`spill/${code}`);
      for (const code of this.cold.keys()) this.cold.set(code, { where: 'snapshot', key });
      const report: SaveReport = {
        agents: snap.count,
        bytes: snap.block.size,
        ms: performance.now() - t0,
        encodeMs: tw - te,
        writeMs,
        shards: this.hosted.length,
        at,
      };
      this.lastSave = report;
      this.dirty = 0;
      return report;
    });
  }

  /** After every worker saved: removes snapshot files of other worker counts (their state is in the new files). */
  cleanup(): Promise<number> {
    return this.serial(async () => {
      if (!this.store) return 0;
      let removed = 0;
      for (const key of await this.store.keys('agents-')) {
        const p = parseSnapshotKey(key);
        if (p && (p.workers !== this.setup.workers || p.worker >= p.workers)) {
          await this.store.delete(key);
          removed++;
        }
      }
      return removed;
    });
  }

  /** Benchmark aid: this worker's share of `agents` agents with `states` states each (bench builds only: NOT_IN_BUILD otherwise). */
  populate(agents: number, states: number): Promise<void> {
    return this.serial(async () => {
      this.b.benchPopulate(agents, states, this.setup.worker, this.setup.workers);
      await this.drain();
    });
  }

  stats(): MemoryStats & { coldAgents: number } {
    return { ...this.b.memoryStats(), coldAgents: this.cold.size };
  }

  close(): void {
    this.closed = true;
    this.pending = [];
    for (const block of this.blocks) block.free();
    this.blocks = [];
    this.store?.close();
  }
}
