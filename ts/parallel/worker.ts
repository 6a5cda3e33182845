/**
 * A pool worker: one wasm instance (same-thread bindings) exposed over
 * Comlink with the protocol of protocol.ts, and over the fast channel once
 * the page opens it; both start calls through serving.ts.
 */
import * as Comlink from 'comlink';
import { AgentHost } from '../host/agent-host.ts';
import {
  instantiate,
  ownThisGlobal,
  type Bindings,
  type HeapBlock,
  type IndexHandle,
  type ValidatorHandle,
} from '../bindings/bindings.ts';
import { ElexError } from '../core/errors.ts';
import { BYTES_PER_DIM } from '../core/index-types.ts';
import type { LoadedCatalog } from '../host/catalog.ts';
import { IdbStore, OpfsStore, openStore, type KeyValueStore } from '../host/persist.ts';
import { validatorTables } from '../host/ran-ops.ts';
import {
  parseRanCatalog,
  RanHost,
  routerCacheKey,
  routerCachePrefix,
  type RanSetup,
  type RouteMemo,
} from '../host/ran-host.ts';
import { serveFastChannel } from './fast-channel.ts';
import { serve as serveCall, server, type CallContext } from './serving.ts';
import { TRANSFER_MIN_BYTES, type ValidateRequest, type WorkerApi } from './protocol.ts';

let bindings: Bindings | null = null;
let host: AgentHost | null = null;
let ran: RanHost | null = null;
let ranReady: Promise<RanHost> | null = null;
/** The catalog, as soon as it is parsed (before the router is built). */
let ranCatalog: Promise<LoadedCatalog> | null = null;
let ranError: unknown = null;
let routerBytes = 0;
let queryChain: Promise<unknown> = Promise.resolve();
/** The engine validator (cooldowns live in it): worker 0 makes it once the catalog is parsed. */
let validatorMade: Promise<ValidatorHandle> | null = null;
let validatorFresh = true;
let validatorBytes = 0;
/** A replacement builds its router once the page restored it (startRouter). */
let openRouterGate!: () => void;
const routerGate = new Promise<void>((r) => (openRouterGate = r));
/** Route memory given back (routeRestore) while the router is being built. */
const pendingRoutes: RouteMemo[] = [];
/** Monitor history given back (monitorRestore) while the router is being built. */
const pendingHistory: { key: string; cells: string[]; kpis: number; rows: Float64Array }[] = [];

/** The cooldowns a replacement of worker 0 was given back (validateRestore), run when the validator is made. */
let cooldownReplay: ValidateRequest | null = null;

/** Runs the cooldowns given back into a fresh validator; if that fails, their floor holds instead. */
function replayCooldowns(v: ValidatorHandle, replay: ValidateRequest): void {
  validatorFresh = false; // the table itself is back: no floor
  try {
    const r = v.run(replay.columns, replay.flags);
    validatorBytes = r.heldBytes;
    if (r.counts.reject > 0) console.warn(`elex: ${r.counts.reject} cooldowns could not be given back`);
  } catch (e) {
    console.warn('elex: the cooldowns could not be given back; the floor holds instead', e);
    if (replay.floorAt > -Infinity) v.setFloor(replay.floorAt);
  }
}

function validator(): Promise<ValidatorHandle> {
  catalogWanted = true;
  wantCatalog?.();
  if (!validatorMade) {
    const made = ranCatalog!.then((c) => {
      const v = ready().createValidator(validatorTables(c));
      const replay = cooldownReplay;
      cooldownReplay = null;
      if (replay) replayCooldowns(v, replay);
      return v;
    });
    made.catch(() => {
      if (validatorMade === made) validatorMade = null;
    });
    validatorMade = made;
  }
  return validatorMade;
}

/**
 * The router cache (RoutingOptions.cache) with the files of `key` open, or
 * null where it cannot be kept. Called as init starts: the round trips to
 * the browser overlap the wasm start (the slot headers' CRC is only needed
 * by the read, after it).
 */
async function openRouterCache(key: string): Promise<KeyValueStore | null> {
  try {
    if (!OpfsStore.available() && !IdbStore.available()) return null;
    const store = await openStore('router-cache', 'auto', (bytes) => ready().crc32(bytes));
    await store.prepare?.(key).catch(() => {}); // opened by get() then
    return store;
  } catch {
    return null; // e.g. storage denied: build every time
  }
}

/**
 * Offers a built router to the cache and drops the slot's older ones; then
 * lets the store go, so another engine can read it. Failures only mean the
 * next start builds again.
 */
async function keepRouter(cache: KeyValueStore, key: string, prefix: string, host: RanHost): Promise<void> {
  try {
    if (host.cache !== 'hit') {
      // Writing holds this worker's thread (the state is made in wasm, then
      // written through a sync access handle): wait for a pause in the
      // calls, such as the burst of questions a dashboard sends at start.
      const start = performance.now();
      while (performance.now() - lastCallAt < KEEP_QUIET_MS && performance.now() - start < KEEP_WAIT_MAX_MS)
        await new Promise((r) => setTimeout(r, 50));
      await cache.put(key, () => host.routerState());
      host.cached = true;
      for (const k of await cache.keys(prefix)) if (k !== key) await cache.delete(k);
    }
  } catch {
    // best effort
  } finally {
    cache.close();
  }
}

/**
 * Parses the catalog now, once the router answers without it (a router
 * from the cache); null when there is nothing to parse. catalogWanted: a
 * call asked for the catalog before the router was ready.
 */
let wantCatalog: (() => void) | null = null;
let catalogWanted = false;

/**
 * What a ready router does while its worker has no calls: the warm-up, one
 * question at a time once calls have paused for WARM_UP_IDLE_MS (questions
 * that keep coming warm the router up themselves: after WARM_UP_WAIT_MAX_MS
 * it is dropped); and, for a router from the cache, the catalog's parse
 * once calls pause for CATALOG_QUIET_MS (CATALOG_WAIT_MAX_MS after the
 * router is ready at the latest), then worker 0 makes its validator.
 */
function afterReady(host: RanHost, validates: boolean): void {
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const quietFor = () => performance.now() - lastCallAt;
  const start = performance.now();
  void (async () => {
    while (performance.now() - start < WARM_UP_WAIT_MAX_MS) {
      if (quietFor() < WARM_UP_IDLE_MS) await pause(WARM_UP_IDLE_MS - quietFor());
      else if (host.warmUpStep()) await pause(0);
      else break;
    }
  })();
  void (async () => {
    while (wantCatalog && quietFor() < CATALOG_QUIET_MS && performance.now() - start < CATALOG_WAIT_MAX_MS)
      await pause(CATALOG_QUIET_MS - quietFor());
    wantCatalog?.();
    if (validates) validator().catch(() => {});
  })();
}
const WARM_UP_IDLE_MS = 20;
const WARM_UP_WAIT_MAX_MS = 10_000;
const CATALOG_QUIET_MS = 100;
const CATALOG_WAIT_MAX_MS = 2000;

/** When the last call to this worker started (performance.now()). */
let lastCallAt = 0;
/** A built router is written once calls paused this long (ms), or this long after it was built at the latest. */
const KEEP_QUIET_MS = 250;
const KEEP_WAIT_MAX_MS = 3000;

/** Runs a call's body with its context (serving.ts serve()), noting when calls come. */
function serve<T>(body: (call: CallContext) => T | Promise<T>): Promise<T> {
  lastCallAt = performance.now();
  return serveCall(body);
}

function router(): Promise<RanHost> {
  if (!ranReady) throw new ElexError('INVALID_ARGUMENT', 'this engine was created without a catalog (catalog: false)');
  return ranReady;
}

function agents(): AgentHost {
  if (!host) throw new ElexError('INTERNAL', 'worker used before init');
  return host;
}

/** Index bytes count against the budget: reported after every change. */
function reportIndexBytes(): void {
  let total = routerBytes + validatorBytes;
  for (const ix of indexes.values()) total += ix.stats().bytes;
  ready().setExternalBytes(total);
}

/** Bytes an add of n vectors will take: what the index grows by (its arenas by half again once full). */
function estimateAdd(ix: IndexHandle, n: number): number {
  return ix.addBytes(n);
}
const indexes = new Map<string, IndexHandle>();

function indexNamed(name: string): IndexHandle {
  const ix = indexes.get(name);
  if (!ix)
    throw new ElexError(
      'INVALID_ARGUMENT',
      `worker ${String(self.name)} has no index "${name}" (was it dropped, or was this worker restarted?)`,
    );
  return ix;
}

function ready(): Bindings {
  if (!bindings) throw new ElexError('INTERNAL', 'worker used before init');
  return bindings;
}

async function holdLifeLock(name: string): Promise<void> {
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  if (!locks) return;
  await new Promise<void>((granted) => {
    locks
      .request(name, () => {
        granted();
        return new Promise<never>(() => {}); // held until this worker dies
      })
      .catch(() => granted()); // denied (storage blocked): the worker runs without it
  });
}

/**
 * An OUT_OF_MEMORY of the router's build, said with the catalog's figures
 * and what can be done: a worker holds the routing evidence of the whole
 * catalog and the profiles of its share of the features, so more workers
 * each need less, but not much less.
 */
function routerOutOfMemory(e: unknown, setup: RanSetup): unknown {
  if (!(e instanceof ElexError) || e.code !== 'OUT_OF_MEMORY') return e;
  const n = (x: number) => x.toLocaleString('en-US');
  const s = setup.stats;
  const figures = s
    ? ` (${n(s.features)} features, ${n(s.parameters)} parameters, ${n(s.counters)} counters, ${n(s.kpis)} KPIs)`
    : '';
  return new ElexError(
    'OUT_OF_MEMORY',
    `the router of this catalog${figures} does not fit in a worker (the pool has ${setup.workers}): ${e.message}. Each worker holds the routing evidence of the whole catalog and the profiles of its share of the features: try more workers with memoryBudgetBytes raised to match, or a smaller catalog (split by technology or category, an engine each); elex-cli routes it natively`,
    { cause: e },
  );
}

const api: WorkerApi = {
  init: (req) =>
    serve(async () => {
      const t0 = performance.now();
      if (req.lifeLock) await holdLifeLock(req.lifeLock);
      // A router built before for this catalog, glossary, weights and pool shape.
      const cacheKey = req.ran?.cache ? routerCacheKey(req.ran) : '';
      const cacheOpen = req.ran?.cache ? openRouterCache(cacheKey) : null;
      ownThisGlobal(); // no code but the engine's runs in this worker
      bindings = await instantiate({
        variant: req.variant,
        module: req.module,
        threads: req.threads,
        bundles: req.bundles,
        startTimeoutMs: req.startTimeoutMs,
      });
      host = new AgentHost(bindings, req.host);
      const restored = await host.open();
      if (req.ran) {
        const setup = req.ran;
        const b = bindings,
          h = host;
        // Built after init returns, in chunks, so the engine serves other calls
        // meanwhile; routing waits for it.
        let catalogParsed!: (c: LoadedCatalog) => void, catalogFailed!: (e: unknown) => void;
        ranCatalog = new Promise((res, rej) => ((catalogParsed = res), (catalogFailed = rej)));
        ranCatalog.catch(() => {});
        ranReady = (async () => {
          await (req.holdRouter ? routerGate : new Promise((r) => setTimeout(r, 0)));
          const tc = performance.now();
          const key = cacheKey;
          // Read straight into wasm memory, where the router loads from (no copy through JavaScript).
          let block: HeapBlock | null = null;
          const into = (size: number) => {
            block?.free(); // a slot that turned out stale
            block = b.allocBlock(Math.max(1, size));
            return block.view().subarray(0, size);
          };
          // The store (opened as init started) is read while the catalog is
          // parsed below, if it is still opening. With the page's figures of
          // the catalog, a router from the cache answers without it: the
          // catalog is then parsed after the router is ready (afterReady).
          const lazy = cacheOpen !== null && setup.stats !== undefined && setup.fingerprint !== undefined;
          const reading = (async () => {
            const cache = cacheOpen ? await cacheOpen : null;
            const saved = cache && (await cache.get(key, into).catch(() => null)) ? block : null;
            return { cache, saved };
          })();
          let host: RanHost;
          let cache: KeyValueStore | null = null;
          try {
            let parsed: ReturnType<typeof parseRanCatalog> | undefined;
            try {
              if (!lazy) parsed = parseRanCatalog(setup);
            } finally {
              ({ cache } = await reading);
            }
            const { saved } = await reading;
            // The read's own time: the wall time it took beyond the parse it waited on.
            const cacheReadMs = Math.max(0, performance.now() - tc - (parsed?.ms ?? 0));
            host = new RanHost(
              b,
              h,
              setup,
              (bytes) => {
                routerBytes = bytes;
                reportIndexBytes();
              },
              saved,
              cacheReadMs,
              parsed,
            );
          } catch (e) {
            cache?.close();
            const failure = routerOutOfMemory(e, setup);
            catalogFailed(failure);
            throw failure;
          } finally {
            (block as HeapBlock | null)?.free(); // loaded (or refused): the router holds its own tables
          }
          // Validation needs the catalog, not the router: given now if it is
          // parsed, else when calls pause or a call needs it (wantCatalog()).
          const parse = () => {
            wantCatalog = null;
            try {
              catalogParsed(host.catalog);
            } catch (e) {
              catalogFailed(e);
            }
          };
          if (host.catalogParsed || catalogWanted) parse();
          else wantCatalog = parse;
          // Worker 0 validates: its validator is made now, not in the first call.
          if (req.index === 0 && host.catalogParsed) validator().catch(() => {});
          const r = await host.build().catch((e: unknown) => Promise.reject(routerOutOfMemory(e, setup)));
          // Written while the router already answers (RanStats.cached says when it is in).
          if (cache) void keepRouter(cache, key, routerCachePrefix(setup), host);
          // Monitor history given back before the router was built (a replacement's).
          for (const h of pendingHistory.splice(0)) r.restoreHistory(h.key, h.cells, h.kpis, h.rows);
          r.learnRoute(pendingRoutes.splice(0)); // the route memory the page kept (known ones are skipped)
          ran = r;
          afterReady(r, req.index === 0);
          return r;
        })();
        ranReady.catch((e: unknown) => (ranError = e));
      }
      return { info: bindings.info(), startMs: performance.now() - t0, restored };
    }),
  info: () => serve(() => ready().info()),
  distanceBatch: (req) =>
    serve(() => {
      const t0 = performance.now();
      const out = ready().distanceBatch(req);
      const result = { ...out, ms: performance.now() - t0 };
      return Comlink.transfer(result, [out.distances.buffer]);
    }),
  indexCreate: (name, options) =>
    serve(async () => {
      // Room asked for up front is budgeted before it is allocated (as an add's estimate is).
      const room = options.capacity ?? 0;
      if (room > 0) {
        const perDim = BYTES_PER_DIM[options.quantization ?? 'none'];
        await agents().reserve(room * (options.dim * perDim + (options.M ?? 16) * 12 + 64));
      }
      const ix = ready().createIndex(options);
      // The page checks names: one here already is this index's shard, given back to a replacement
      // by its restore while the creation was on its way. It is made afresh.
      const old = indexes.get(name);
      indexes.set(name, ix);
      old?.close();
      if (room > 0 || old) reportIndexBytes();
      return ix.stats();
    }),
  indexAdd: (name, ids, vectors, options = {}) =>
    serve(async () => {
      const ix = indexNamed(name);
      await agents().reserve(estimateAdd(ix, ids.length));
      ix.add(ids, vectors, { parallel: options.parallel === true });
      reportIndexBytes();
      const snapshot = options.snapshot ? ix.save() : null;
      const reply = { stats: ix.stats(), snapshot };
      return snapshot ? Comlink.transfer(reply, [snapshot.buffer]) : reply;
    }),
  indexSearch: (name, queries, k, options) =>
    serve(() => {
      const t0 = performance.now();
      const r = indexNamed(name).search(queries, k, options);
      const reply = { ...r, ms: performance.now() - t0 };
      // Small answers (one query's k hits) are cheaper cloned than transferred.
      return r.ids.byteLength >= TRANSFER_MIN_BYTES
        ? Comlink.transfer(reply, [r.ids.buffer, r.distances.buffer])
        : reply;
    }),
  indexRemove: (name, ids) =>
    serve(() => {
      const ix = indexNamed(name);
      const removed = ix.remove(ids);
      reportIndexBytes();
      return { removed, stats: ix.stats() };
    }),
  indexStats: (name) => serve(() => indexNamed(name).stats()),
  indexSave: (name) =>
    serve(() => {
      const bytes = indexNamed(name).save();
      return Comlink.transfer(bytes, [bytes.buffer]);
    }),
  indexLoad: (name, bytes) =>
    serve(async () => {
      const ix = ready().loadIndex(bytes);
      // Budgeted as an add is (agents evicted to make room), or refused with
      // nothing changed; what it replaces is freed with it.
      try {
        await agents().reserve(Math.max(0, ix.stats().bytes - (indexes.get(name)?.stats().bytes ?? 0)));
      } catch (e) {
        ix.close();
        throw e;
      }
      indexes.get(name)?.close();
      indexes.set(name, ix);
      reportIndexBytes();
      return ix.stats();
    }),
  indexReserve: (name, items) =>
    serve(async () => {
      const ix = indexNamed(name);
      const before = ix.stats().bytes;
      ix.reserve(items);
      await agents().reserve(ix.stats().bytes - before);
      reportIndexBytes();
      return ix.stats();
    }),
  containerWrite: (kind, sections) =>
    serve(() => {
      const bytes = ready().writeContainer(kind, sections);
      return Comlink.transfer(bytes, [bytes.buffer]);
    }),
  containerRead: (bytes, kind) =>
    serve(() =>
      [...ready().readContainer(bytes, kind)].map(
        ([tag, view]) => [tag, view.byteOffset - bytes.byteOffset, view.length] as [string, number, number],
      ),
    ),
  indexDrop: (name) =>
    serve(() => {
      indexes.get(name)?.close();
      indexes.delete(name);
      reportIndexBytes();
    }),
  agentDecide: (code, queryId, state, follows) => serve(() => agents().decide(code, queryId, state, follows)),
  agentFeedback: (code, queryIds, rewards, teachAt) =>
    serve(async () => {
      const r = await agents().feedback(code, queryIds, rewards);
      if (ran) for (let i = 0; i < queryIds.length; i++) ran.rewarded(code, queryIds[i]!, rewards[i]!, teachAt);
      return r;
    }),
  // A call reached after its deadline is dropped before it runs (serving.ts);
  // one that waited for the router (or, in ranQuery, for earlier calls)
  // checks it again.
  ranRoute: (texts, k) =>
    serve(async (call) => {
      const t0 = performance.now();
      const r = await router();
      call.check();
      const wait = performance.now() - t0;
      const out = r.routeBatch(texts, k);
      return { features: out.features, cards: out.cards, classes: out.classes, ms: { ...out.ms, wait } };
    }),
  ranQuery: (items, k) =>
    serve((call) => {
      // Calls run one after another, in the order they came (a batch comes
      // as several calls): agents decide in the order of the questions.
      // One whose caller stopped waiting is not run: its agents' decisions
      // would be recorded for questions nobody got answers to.
      const run = queryChain.then(async () => {
        call.check();
        const r = await router();
        call.check();
        return r.queryLocal(items, k);
      });
      queryChain = run.catch(() => {});
      return run;
    }),
  ranWarmUp: (from, count, k) => serve(async () => (await router()).warmUpAnswers(from, count, k)),
  ranAct: (reqs) =>
    serve(async (call) => {
      const r = await router();
      call.check();
      const out = [];
      for (const req of reqs) out.push(await r.actMerged(req));
      return out;
    }),
  ranStats: () =>
    serve(() => {
      if (ranError) throw ranError; // the router could not be built: say why, do not wait forever
      return ran ? ran.stats() : null;
    }),
  validate: (req) =>
    serve(async () => {
      if (!ranCatalog) throw new ElexError('INVALID_ARGUMENT', 'this engine was created without a catalog');
      const v = await validator();
      if (v.count !== req.count)
        throw new ElexError('INTERNAL', `the worker's catalog has ${v.count} parameters, the caller's ${req.count}`);
      if (validatorFresh) {
        validatorFresh = false;
        if (req.floorAt > -Infinity) v.setFloor(req.floorAt);
      }
      const t0 = performance.now();
      const r = v.run(req.columns, req.flags);
      const ms = performance.now() - t0;
      if (r.heldBytes !== validatorBytes) ((validatorBytes = r.heldBytes), reportIndexBytes());
      // A transferred buffer goes back to be reused; a view of the fast channel stays (the caller has its own).
      const bytes = req.columns.bytes;
      if (!(bytes instanceof ArrayBuffer)) return Comlink.transfer({ ...r, ms }, [r.verdicts.buffer as ArrayBuffer]);
      return Comlink.transfer({ ...r, ms, bytes }, [r.verdicts.buffer as ArrayBuffer, bytes]);
    }),
  monitor: (req) =>
    serve(async () => {
      const r = (await router()).monitor(req);
      const arrays = [
        r.anomalies,
        r.maxZ,
        r.breaches,
        r.kpiStats,
        r.counterStats,
        r.nullCounts,
        r.values,
        r.reasons,
        r.history,
      ];
      // Several arrays are views of one buffer: each buffer once in the transfer list.
      return Comlink.transfer(r, [...new Set(arrays.flatMap((x) => (x ? [x.buffer as ArrayBuffer] : [])))]);
    }),
  validateRestore: (req) =>
    serve(() => {
      if (!ranCatalog) throw new ElexError('INVALID_ARGUMENT', 'this engine was created without a catalog');
      // Before any validate() call (the pool holds them until this returns).
      if (validatorMade) {
        validatorMade = validatorMade.then((v) => (replayCooldowns(v, req), v));
        validatorMade.catch(() => {}); // a catalog that failed is reported by validate()
      } else cooldownReplay = req;
    }),
  startRouter: () => serve(() => openRouterGate()),
  routeRestore: (memos) =>
    serve(() => {
      if (!ranReady) return;
      if (ran) ran.learnRoute(memos);
      else pendingRoutes.push(...memos);
    }),
  monitorRestore: (key, cells, kpis, rows) =>
    serve(() => {
      if (!ranReady) throw new ElexError('INVALID_ARGUMENT', 'this engine was created without a catalog');
      if (ran) ran.restoreHistory(key, cells, kpis, rows);
      else pendingHistory.push({ key, cells, kpis, rows });
    }),
  // After the router, as monitor() is: so after any monitor call sent before it.
  monitorForget: (key, cells) => serve(async () => (await router()).forgetHistory(key, cells)),
  agentValues: (code, state) => serve(() => agents().values(code, state)),
  agentInfo: (code) => serve(() => agents().info(code)),
  learnSave: () => serve(() => agents().save()),
  learnCleanup: () => serve(() => agents().cleanup()),
  populateAgents: (n, states) => serve(() => agents().populate(n, states)),
  learnStats: () =>
    serve(() => {
      const h = agents();
      const { coldAgents, ...memory } = h.stats();
      return { memory, coldAgents, backend: h.backend, lastSave: h.lastSave, restored: h.restored, dirty: h.dirty };
    }),
  crashDuringNextSave: () =>
    serve(() => {
      const store = agents().storage;
      if (!(store instanceof OpfsStore))
        throw new ElexError('INVALID_ARGUMENT', 'crashDuringNextSave needs the OPFS backend');
      store.crashPlan.midWrite = () => self.close();
    }),
  crash: (mode, delayMs) =>
    serve(() => {
      setTimeout(() => {
        if (mode === 'close') self.close();
        else throw new Error('elex: crash requested (debug.crashWorker)');
      }, delayMs);
    }),
  ping: () => serve(() => undefined),
  lockHeld: (name) =>
    serve(async () => {
      const locks = (navigator as Navigator & { locks?: LockManager }).locks;
      return !!locks && ((await locks.query()).held ?? []).some((l) => l.name === name);
    }),
  lockFreed: (name) =>
    serve(async () => {
      await (navigator as Navigator & { locks: LockManager }).locks.request(name, () => undefined);
    }),
  openFastChannel: (sab, port, slotBytes, spinMs) =>
    serve(() => {
      if (typeof (Atomics as { waitAsync?: unknown }).waitAsync !== 'function') return false;
      serveFastChannel(sab, port, served.dispatch, slotBytes, spinMs);
      return true;
    }),
};

const served = server(api);
Comlink.expose(served.wire);
