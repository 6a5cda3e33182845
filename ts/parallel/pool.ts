/**
 * The worker pool: K module workers, each one wasm instance (one shard).
 *
 * Every call goes through call(), which settles it one way or another:
 * the worker's answer, the worker's death (WORKER_CRASHED), the caller's
 * AbortSignal (ABORTED), its timeout (TIMEOUT) or close() (CLOSED). A worker
 * that dies, however it dies, is detected through a Web Lock it holds for
 * its whole life (plus its `error` event), its calls are rejected, and a
 * replacement is started on the same shard from the compiled module.
 *
 * Restorers (addRestorer) put back what the page keeps of a worker's state
 * (index shards, cooldowns, monitor history) into its replacement before
 * the replacement takes any call: calls wait for that (within their own
 * timeouts and deadlines), so none sees a half-restored worker.
 */
import '../core/web-types.ts';
import * as Comlink from 'comlink';
import type { BundleOverrides } from '../bindings/bundles.ts';
import type { BuildInfo } from '../bindings/bindings.ts';
import type { HostSetup, RestoreReport } from '../host/agent-host.ts';
import type { RanSetup } from '../host/ran-host.ts';
import { ElexError, revive } from '../core/errors.ts';
import { inTime, timerNeeded } from '../core/timers.ts';
import type { Variant } from '../bindings/platform.ts';
import { FastChannel, fastPathSupported, type FastChannelOptions } from './fast-channel.ts';
import {
  FAST_METHODS,
  type CallEnvelope,
  type CrashMode,
  type FastMethod,
  type RemoteApi,
  type RemoteWire,
  type WireApi,
} from './protocol.ts';

export interface PoolOptions {
  module: WebAssembly.Module;
  variant: Variant;
  workers: number;
  threadsPerWorker: number;
  bundles?: BundleOverrides;
  /** The engine worker's script (EngineOptions.baseUrl); default: the package's, as the bundler placed it. */
  workerUrl?: string;
  startTimeoutMs: number;
  /** Called when a worker died and is being replaced. */
  onRestart?: (index: number, reason: string) => void;
  /** Agents' memory budget (per worker), learning and persistence. */
  host: Omit<HostSetup, 'worker' | 'workers'>;
  /** Catalog and router (null: no catalog). */
  ran: Omit<RanSetup, 'worker' | 'workers'> | null;
  /**
   * Hot calls through a SharedArrayBuffer channel per worker where the page
   * can (fast-channel.ts); false: everything through Comlink. Default true.
   */
  fastPath?: boolean | FastChannelOptions;
}

export interface CallOptions {
  signal?: AbortSignal;
  /**
   * Reject with TIMEOUT after this many ms (default: no limit): the call
   * gets the deadline it sets (below), so an answer that comes later is
   * TIMEOUT even if the timer has not fired yet.
   */
  timeoutMs?: number;
  /**
   * A performance.now() time by which the answer must be here: TIMEOUT
   * when it is not, including an answer that arrives after it before its
   * timer fired (late is late). The worker is told it too (CallEnvelope),
   * and drops the call if it reaches it later.
   */
  deadline?: number;
  /**
   * Background work of the engine's own (the query path's warm-up): not
   * counted in the worker's calls, failed and latency figures, which are
   * the application's calls. A warm-up call that gave up behind a long
   * call of the page counted as "failed" though no call of the page failed.
   */
  untracked?: boolean;
}

interface Slot {
  index: number;
  worker: Worker;
  /** Its methods as Comlink carries them (an envelope first). */
  wire: RemoteWire;
  /** Its methods for calls without an envelope: the hot ones through its fast channel once open. */
  remote: RemoteApi;
  /** Resolves when the worker is initialised. */
  ready: Promise<void>;
  /** Rejects when the worker dies or the pool closes; never resolves. */
  dead: Promise<never>;
  /** Marks the worker dead, rejects its calls with `error`, replaces it if asked. */
  kill: (error: ElexError, replace: boolean) => void;
  alive: boolean;
  /** Why it died, once it has. */
  death?: ElexError;
  info?: BuildInfo;
  startMs?: number;
  restored?: RestoreReport | null;
  /** The Web Lock the worker holds while it lives (null without Web Locks). */
  lifeLock: string | null;
  /** A replacement of a worker that died (restorers run before it is ready). */
  replacement: boolean;
  /** Its fast channel, once open (null: Comlink only). */
  channel: FastChannel | null;
  /** Set when `ready` resolved: initialised, its channel open, restored if a replacement. */
  started: boolean;
}

/**
 * Puts the page's copy of some per-worker state back into a replacement
 * worker, before that worker takes any call. It talks to the worker through
 * `remote` directly (pool.call would wait for the restore). It should catch
 * its own failures; one that escapes kills the replacement, which is then
 * replaced again.
 */
export type Restorer = (worker: number, remote: RemoteApi) => Promise<void>;

/** Figures of the last restore of each worker. */
export interface RestoreFigures {
  worker: number;
  /** ms from the replacement's start to ready, restore included. */
  ms: number;
  /** Of `ms`: the restorers. */
  restoreMs: number;
  at: number;
}

/** Call figures of one worker (shard), over its recent calls. */
export interface WorkerCallStats {
  worker: number;
  alive: boolean;
  /** The application's calls answered since the engine started (any worker incarnation; not the engine's background warm-up). */
  calls: number;
  /** The application's calls that rejected (worker errors, crashes, timeouts, aborts). */
  failed: number;
  /** Round-trip ms of the last ≤ 256 answered calls: median, 95th percentile, max. */
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  /** Times this shard's worker was replaced. */
  restarts: number;
  /** The last replacement's start and restore (null: never replaced). */
  lastRestore: RestoreFigures | null;
}

/** Round-trip times of one shard's calls: counts plus a ring of the last 256. */
class CallLog {
  calls = 0;
  failed = 0;
  restarts = 0;
  private readonly ring = new Float64Array(256);
  private n = 0;
  record(ms: number): void {
    this.ring[this.n++ % this.ring.length] = ms;
    this.calls++;
  }
  percentiles(): { p50Ms: number; p95Ms: number; maxMs: number } {
    const k = Math.min(this.n, this.ring.length);
    if (k === 0) return { p50Ms: 0, p95Ms: 0, maxMs: 0 };
    const xs = this.ring.slice(0, k).sort();
    return { p50Ms: xs[(k - 1) >> 1]!, p95Ms: xs[Math.min(k - 1, Math.ceil(0.95 * k) - 1)]!, maxMs: xs[k - 1]! };
  }
}

let poolSerial = 0;

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private closed = false;
  /** Watches life locks the page's lock manager cannot see (watchElsewhere). */
  private readonly watchers: { worker: Worker; wire: RemoteWire }[] = [];
  private readonly id = `${Date.now().toString(36)}-${(poolSerial++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  private spawned = 0;
  private readonly logs: CallLog[] = [];
  private readonly restorers: Restorer[] = [];
  /** The build info of each worker's last incarnation that started. */
  private readonly infos: BuildInfo[] = [];
  restarts = 0;
  /** The last restore of each worker that was replaced. */
  readonly restores: RestoreFigures[] = [];

  constructor(private readonly opts: PoolOptions) {}

  get size(): number {
    return this.opts.workers;
  }

  /** Whether hot calls go through the fast channel (every live worker has one open). */
  get fastPath(): boolean {
    return this.slots.length > 0 && this.slots.every((s) => s.channel !== null);
  }

  /** Calls carried by the fast channels, and hot calls that went by postMessage (too big to fit). */
  fastPathCounts(): { calls: number; fallbacks: number; spinHits: number; waits: number } {
    const sum = { calls: 0, fallbacks: 0, spinHits: 0, waits: 0 };
    for (const s of this.slots) {
      if (!s.channel) continue;
      sum.calls += s.channel.calls;
      sum.fallbacks += s.channel.fallbacks;
      sum.spinHits += s.channel.spinHits;
      sum.waits += s.channel.waits;
    }
    return sum;
  }

  /**
   * Starts every worker; resolves when all are ready (rejects on the first
   * failure). `onReady` hears how many are ready so far.
   */
  async start(onReady?: (ready: number, total: number) => void): Promise<void> {
    for (let i = 0; i < this.opts.workers; i++) {
      this.logs.push(new CallLog());
      this.slots.push(this.spawn(i));
    }
    let ready = 0;
    await Promise.all(this.slots.map((s) => s.ready.then(() => onReady?.(++ready, this.opts.workers))));
  }

  /** Registers a restorer (see Restorer); returns its removal. */
  addRestorer(fn: Restorer): () => void {
    this.restorers.push(fn);
    return () => {
      const i = this.restorers.indexOf(fn);
      if (i >= 0) this.restorers.splice(i, 1);
    };
  }

  /** Resolves when worker `index` is ready (restored, if it is a replacement), or rejects if it cannot start. */
  async whenReady(index: number): Promise<void> {
    await this.readySlot(index);
  }

  /** What worker `index` restored from storage at its last start. */
  restoredBy(index: number): RestoreReport | null | undefined {
    return this.slots[index]?.restored;
  }

  /** Whether close() was called: every call rejects with CLOSED. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Build info reported by worker `index` at its last start (its predecessor's while a replacement starts). */
  infoOf(index: number): BuildInfo | undefined {
    return this.slots[index]?.info ?? this.infos[index];
  }

  /** Runs fn against worker `index`, settling as described at the top. */
  async call<T>(index: number, fn: (remote: RemoteApi) => Promise<T>, opts: CallOptions = {}): Promise<T> {
    if (this.closed) throw new ElexError('CLOSED', 'the engine was closed');
    const { signal } = opts;
    // A timeout is a deadline too: an answer that comes after it is late
    // however the timer fared (on a busy page the timer can fire after the
    // answer), and the worker drops the call if it reaches it late.
    const deadline = opts.deadline ?? (timerNeeded(opts.timeoutMs) ? performance.now() + opts.timeoutMs! : undefined);
    let timeoutMs = opts.timeoutMs;
    if (deadline !== undefined) timeoutMs = Math.min(timeoutMs ?? Infinity, Math.max(1, deadline - performance.now()));
    if (signal?.aborted) throw new ElexError('ABORTED', 'the call was aborted before it started');
    const cleanups: (() => void)[] = [];
    const guards: Promise<never>[] = [];
    if (signal) {
      guards.push(
        new Promise<never>((_, reject) => {
          const onAbort = () => reject(new ElexError('ABORTED', 'the call was aborted'));
          signal.addEventListener('abort', onAbort, { once: true });
          cleanups.push(() => signal.removeEventListener('abort', onAbort));
        }),
      );
    }
    if (timerNeeded(timeoutMs)) {
      guards.push(
        new Promise<never>((_, reject) => {
          const t = setTimeout(
            () => reject(new ElexError('TIMEOUT', `the call did not finish within its ${timeoutMs} ms budget`)),
            timeoutMs,
          );
          cleanups.push(() => clearTimeout(t));
        }),
      );
    }
    const log = opts.untracked ? undefined : this.logs[index];
    const t0 = performance.now();
    try {
      // A worker that is up is called at once; otherwise the call waits for it (or its replacement).
      const current = this.slots[index];
      const slot = current?.started && current.alive ? current : await Promise.race([this.readySlot(index), ...guards]);
      // The pool may have closed, or the worker died, while this call waited.
      if (this.closed) throw new ElexError('CLOSED', 'the engine was closed');
      if (!slot.alive) throw slot.death ?? new ElexError('WORKER_CRASHED', `worker ${index} died`);
      const remote =
        deadline === undefined
          ? slot.remote
          : caller(slot.wire, slot.channel, { deadline: performance.timeOrigin + deadline });
      let sent: Promise<T>;
      try {
        sent = Promise.resolve(fn(remote));
      } catch (e) {
        sent = Promise.reject(e);
      }
      const work = sent.catch((e: unknown) => {
        throw slot.alive ? revive(e) : (slot.death ?? revive(e));
      });
      const result = await Promise.race([work, slot.dead, ...guards]);
      if (deadline !== undefined && performance.now() > deadline)
        throw new ElexError('TIMEOUT', `the answer came after its deadline (${timeoutMs} ms budget left when sent)`);
      log?.record(performance.now() - t0);
      return result;
    } catch (e) {
      if (log) log.failed++;
      throw e;
    } finally {
      for (const c of cleanups) c();
    }
  }

  /** Per-worker call counts and round-trip latency (main thread to worker and back). */
  callStats(): WorkerCallStats[] {
    return this.logs.map((log, worker) => ({
      worker,
      alive: this.slots[worker]?.alive ?? false,
      calls: log.calls,
      failed: log.failed,
      ...log.percentiles(),
      restarts: log.restarts,
      lastRestore: this.restores[worker] ?? null,
    }));
  }

  /** Testing aid: makes worker `index` die. 'terminate' kills it from outside, even mid-call. */
  async crash(index: number, mode: CrashMode | 'terminate', delayMs = 0): Promise<void> {
    if (this.closed) throw new ElexError('CLOSED', 'the engine was closed');
    const slot = this.slotAt(index);
    await slot.ready;
    // Closed, or dead, meanwhile: its proxy is released.
    if (!slot.alive) throw slot.death ?? new ElexError('WORKER_CRASHED', `worker ${index} died`);
    if (mode === 'terminate') {
      setTimeout(() => {
        slot.worker.terminate();
        if (!slot.lifeLock) crashed(slot, 'terminated'); // no life lock: nothing else would notice
      }, delayMs);
      return;
    }
    // A worker that was dying already (closing itself after an earlier crash()) never
    // answers, and its released proxy never settles the call: its death does.
    await Promise.race([
      slot.remote.crash(mode, delayMs).catch((e: unknown) => {
        throw revive(e);
      }),
      slot.dead,
    ]);
  }

  /**
   * Terminates every worker; calls in flight reject with CLOSED. The promise
   * resolves once the workers are gone (their life locks released, so their
   * storage handles are free), or after 3 s at most.
   */
  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      for (const s of this.slots) s.kill(new ElexError('CLOSED', 'the engine was closed'), false);
      for (const w of this.watchers.splice(0)) w.worker.terminate();
    }
    if (!hasLocks()) return Promise.resolve();
    const gone = this.slots.map((s) =>
      s.lifeLock ? navigator.locks.request(s.lifeLock, () => undefined).then(() => undefined) : Promise.resolve(),
    );
    return Promise.race([Promise.all(gone).then(() => undefined), new Promise<void>((r) => setTimeout(r, 3000))]);
  }

  // ------------------------------------------------------------ internals

  private slotAt(index: number): Slot {
    const slot = this.slots[index];
    if (!slot) throw new ElexError('INVALID_ARGUMENT', `no worker ${index}; the pool has ${this.slots.length}`);
    return slot;
  }

  private async readySlot(index: number): Promise<Slot> {
    for (;;) {
      const slot = this.slotAt(index);
      await slot.ready;
      if (slot.alive) return slot;
      // Dead: a replacement takes its place unless the pool closed or the
      // worker never started (then the failure is sticky).
      if (this.slots[index] === slot) throw slot.death ?? new ElexError('INTERNAL', 'worker unavailable');
    }
  }

  private spawn(index: number, replacement = false): Slot {
    const serial = this.spawned++;
    const t0 = performance.now();
    const name = `elex-${this.opts.variant}-${index}`;
    const worker = this.newWorker(name);
    const wrapped = Comlink.wrap<WireApi>(worker);
    const wire = wrapped as unknown as RemoteWire; // the same object, typed without Comlink (protocol.ts)
    const remote = caller(wire, null, null);
    let rejectDead!: (e: ElexError) => void;
    const dead = new Promise<never>((_, reject) => (rejectDead = reject));
    dead.catch(() => {}); // observed through call(); never an unhandled rejection
    let lifeLock = hasLocks() ? `elex-pool-${this.id}-w${serial}` : null;
    const slot: Slot = {
      index,
      lifeLock,
      replacement,
      worker,
      wire,
      remote,
      dead,
      alive: true,
      channel: null,
      started: false,
      ready: Promise.resolve(),
      kill: (error, replace) => {
        if (!slot.alive) return;
        slot.alive = false;
        slot.death = error;
        rejectDead(error);
        slot.channel?.close(error);
        worker.terminate();
        wrapped[Comlink.releaseProxy]();
        if (replace) this.replace(slot, error.message);
      },
    };
    worker.addEventListener('error', (e) => {
      e.preventDefault();
      const script = this.opts.workerUrl ? ` (its script: ${this.opts.workerUrl}, from baseUrl)` : '';
      // No message: the script itself could not be loaded or run.
      crashed(slot, `uncaught error: ${e.message || 'worker script failed'}${script}`, !e.message);
    });
    worker.addEventListener('messageerror', () => crashed(slot, 'a message could not be deserialised'));
    // A step of the start-up, ended by the worker's death: a worker that
    // died while the page awaited (its script failed during locksUsable(),
    // say) has a released proxy, and its death is the error to give.
    const live = <T>(step: () => Promise<T>): Promise<T> => (slot.alive ? Promise.race([dead, step()]) : dead);
    slot.ready = (async () => {
      // Web Locks denied (a cross-origin iframe whose storage is blocked):
      // the worker runs without a life lock, as without Web Locks.
      if (lifeLock && !(await locksUsable())) slot.lifeLock = lifeLock = null;
      // Bounded by startTimeoutMs (the restore of a replacement, below, is not).
      const ms = this.opts.startTimeoutMs;
      const res = await inTime(
        live(() =>
          remote
            .init(
              Comlink.transfer(
                {
                  index,
                  variant: this.opts.variant,
                  module: this.opts.module,
                  threads: this.opts.threadsPerWorker,
                  bundles: this.opts.bundles,
                  startTimeoutMs: this.opts.startTimeoutMs,
                  lifeLock,
                  host: { ...this.opts.host, worker: index, workers: this.opts.workers },
                  ran: this.opts.ran ? { ...this.opts.ran, worker: index, workers: this.opts.workers } : null,
                  holdRouter: replacement,
                },
                [],
              ),
            )
            .catch((e: unknown) => {
              throw revive(e);
            }),
        ),
        // START_GRACE_MS: the worker's own report of what was late comes first.
        ms === undefined ? undefined : ms + START_GRACE_MS,
        () =>
          new ElexError(
            'INIT_FAILED',
            `worker ${index}${replacement ? ' (a replacement)' : ''} was not ready within ${ms} ms (startTimeoutMs): its script, the module or the pthread worker script did not arrive in time (the network tab shows which)`,
          ),
      );
      slot.info = this.infos[index] = res.info;
      slot.startMs = res.startMs;
      slot.restored = res.restored;
      const lock = lifeLock;
      if (lock) {
        if (await live(() => lockSeen(lock)))
          void navigator.locks.request(lock, () => crashed(slot, 'it stopped running'));
        // The worker holds its lock in another lock manager than the page's
        // (the site's data was cleared while the page ran: the page keeps
        // the old one, new workers get a new one), so the page's request
        // would be granted at once and the worker taken for dead: a watcher
        // worker started after the clear (sharing the new manager) waits
        // for the lock instead. The page itself no longer uses the lock.
        else {
          slot.lifeLock = null;
          await live(() => this.watchElsewhere(slot, lock));
        }
      }
      await live(() => this.openChannel(slot, remote));
      if (replacement) {
        const tr = performance.now();
        // One at a time, in the order registered; the worker's death ends it.
        try {
          for (const restore of [...this.restorers]) await live(() => restore(index, remote));
        } finally {
          // The router is built after the restore (held back so that the restore is not queued behind it).
          // A replacement that died (or was closed) meanwhile has a released proxy, which throws
          // at once: its death is ready's error, not "Proxy has been released".
          if (slot.alive) remote.startRouter().catch(() => {});
        }
        const done = performance.now();
        this.restores[index] = { worker: index, ms: done - t0, restoreMs: done - tr, at: Date.now() };
      }
      slot.started = true;
    })();
    // A worker that never started is a sticky failure; one that started and
    // died while being restored is replaced again (replace() checks `info`).
    slot.ready.catch((e: unknown) => slot.kill(revive(e), slot.info !== undefined && !this.closed));
    return slot;
  }

  private newWorker(name: string): Worker {
    // The default stays in the form bundlers recognise (and copy the worker for).
    return this.opts.workerUrl
      ? new Worker(this.opts.workerUrl, { type: 'module', name })
      : new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name });
  }

  /** Opens the worker's fast channel if the page and the options allow; hot calls use it from then on. */
  private async openChannel(slot: Slot, remote: RemoteApi): Promise<void> {
    const want = this.opts.fastPath ?? true;
    if (want === false || !fastPathSupported()) return;
    const channel = new FastChannel(want === true ? {} : want);
    const opened = await remote
      .openFastChannel(
        channel.sab,
        Comlink.transfer(channel.workerPort, [channel.workerPort]),
        channel.slotBytes,
        channel.workerSpinMs,
      )
      .catch((e: unknown) => {
        throw revive(e);
      });
    if (!opened || !slot.alive) return channel.close(new ElexError('CLOSED', 'the fast channel was not opened'));
    slot.channel = channel;
    slot.remote = caller(slot.wire, channel, null);
  }

  /**
   * Watches `lock` (slot's life lock, not seen by the page's lock manager)
   * from a watcher worker: the engine worker's script, started without
   * init, which shares the lock manager of the workers started with it.
   * Resolves once the watch is set: the watcher saw the lock held (so its
   * release later is the worker's death, even right away). A watcher that
   * does not see it (the data was cleared again since it started) is
   * followed by a fresh one; if that one does not see it either, the worker
   * goes unwatched as without Web Locks (terminate and throw are still
   * noticed, and calls with a timeout still settle).
   */
  private async watchElsewhere(slot: Slot, lock: string): Promise<void> {
    for (let fresh = this.watchers.length === 0; ; fresh = true) {
      if (fresh) {
        const worker = this.newWorker('elex-watcher');
        worker.addEventListener('error', (e) => e.preventDefault());
        this.watchers.push({ worker, wire: Comlink.wrap<WireApi>(worker) as unknown as RemoteWire });
      }
      // The newest watcher shares the newest lock manager; older ones keep watching what they were given.
      const { wire } = this.watchers[this.watchers.length - 1]!;
      // A watcher that does not answer (its script failed) is taken as not seeing it.
      const late = new Promise<false>((r) => setTimeout(() => r(false), WATCHER_START_MS));
      if (await Promise.race([wire.lockHeld(null, lock), late])) {
        wire.lockFreed(null, lock).then(
          () => crashed(slot, 'it stopped running'),
          () => {}, // the watcher failed: the worker goes unwatched
        );
        return;
      }
      if (fresh || this.closed || !slot.alive) return;
    }
  }

  private replace(old: Slot, reason: string): void {
    if (this.closed || old.info === undefined) return; // never started: the failure is sticky
    if (this.slots[old.index] !== old) return;
    this.restarts++;
    const log = this.logs[old.index];
    if (log) log.restarts++;
    this.slots[old.index] = this.spawn(old.index, true);
    try {
      this.opts.onRestart?.(old.index, reason);
    } catch (e) {
      console.error('elex: onWorkerRestart threw', e); // a listener's bug must not stop the replacement
    }
  }
}

/**
 * How much longer than startTimeoutMs the page waits for a worker's init
 * (ms): the worker bounds its module's start by the same option and says
 * more precisely what was late (threads that did not start, for instance).
 */
const START_GRACE_MS = 1000;

/** How long a watcher worker (watchElsewhere) may take to answer whether it sees a life lock (ms). */
const WATCHER_START_MS = 5000;

const FAST = new Set<string>(FAST_METHODS);
type Method = (...args: unknown[]) => Promise<unknown>;

/**
 * A worker's methods as a call sends them: each with `envelope`, the hot
 * ones through `channel` when there is one (by Comlink when a call does
 * not fit), the others by Comlink.
 */
function caller(wire: RemoteWire, channel: FastChannel | null, envelope: CallEnvelope | null): RemoteApi {
  const methods = new Map<string, Method>();
  const method = (name: string): Method => {
    const viaComlink: Method = (...args) => (wire[name as keyof RemoteWire] as Method)(envelope, ...args);
    if (!channel || !FAST.has(name)) return viaComlink;
    return (...args) => channel.call(name as FastMethod, args, envelope) ?? viaComlink(...args);
  };
  return new Proxy({} as RemoteApi, {
    get: (_, key) => {
      if (typeof key !== 'string' || key === 'then') return undefined; // not a thenable
      let m = methods.get(key);
      if (!m) methods.set(key, (m = method(key)));
      return m;
    },
  });
}

/** How the error of a worker that died ends: it is replaced (engine.ts close() takes it off). */
export const BEING_REPLACED = '; it is being replaced, retry the call';

function crashed(slot: Slot, reason: string, scriptFailed = false): void {
  // A worker that never started is not replaced (the failure is sticky, see
  // replace()): its error says so, and what usually stops a worker's script.
  const message =
    slot.info !== undefined
      ? `worker ${slot.index} died (${reason})${BEING_REPLACED}`
      : `worker ${slot.index} did not start (${reason})${scriptFailed ? SCRIPT_FAILED : ''}`;
  slot.kill(new ElexError('WORKER_CRASHED', message), true);
}

const SCRIPT_FAILED =
  ": its script could not be loaded or run. On a cross-origin isolated page the worker's script needs the response header Cross-Origin-Embedder-Policy: require-corp too (with Next.js, on /_next/static/), and a Content-Security-Policy must allow it in worker-src (docs/troubleshooting.md)";

/** Whether the page's lock manager sees `name` held (by the worker that took it before answering init). */
async function lockSeen(name: string): Promise<boolean> {
  try {
    const state = await navigator.locks.query();
    return (state.held ?? []).some((l) => l.name === name);
  } catch {
    return false;
  }
}

function hasLocks(): boolean {
  return typeof navigator !== 'undefined' && 'locks' in navigator && !!navigator.locks;
}

let usable: Promise<boolean> | undefined;
/**
 * Whether this context may use its Web Locks: in a third-party iframe whose
 * storage is blocked, `navigator.locks` exists but every request rejects
 * with a SecurityError (asked once per page).
 */
export function locksUsable(): Promise<boolean> {
  usable ??= hasLocks()
    ? navigator.locks.query().then(
        () => true,
        () => false,
      )
    : Promise.resolve(false);
  return usable;
}
