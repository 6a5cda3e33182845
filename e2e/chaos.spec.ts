/**
 * Chaos, model-checked: a seeded mixed workload (queries, feedback, decide,
 * index add / remove / search, validateBatch, monitor, save) runs for 22 s
 * against an engine of 2 workers in headless Chromium, while workers are
 * killed at random points in every mode (terminate, close, throw, and
 * half-way through a save). A model checks that
 *   - every call settles within its budget plus SLACK_MS, with a result, a
 *     partial result or an ElexError whose code the call documents;
 *   - a validateBatch's COOLDOWN verdicts are the model's, call after call;
 *   - at the end, the index holds exactly the model's ids (exact search
 *     equals a brute-force scan of the model's vectors), graph searches
 *     return the same hits before and after both workers die again,
 *     cooldowns equal the model's table, and learned values saved before a
 *     crash are those read after it;
 *   - each worker's wasm heap stays under HEAP_BOUND across the kills.
 * The counts go to stdout and build/test-results/chaos.json.
 *
 * Rerun: npx vite build --logLevel warn && CI=1 npx playwright test e2e/chaos.spec.ts
 * (CHAOS_SEED=<n> for another seed; CHAOS_MS=<ms> for another duration).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import type { DemoHandle } from '../demo/main.ts';
import { openDashboard } from './helpers.ts';
import { generateCatalog } from '../scripts/catalog-generator.mjs';

const SEED = Number(process.env.CHAOS_SEED ?? 20261206);
const RUN_MS = Number(process.env.CHAOS_MS ?? 22_000);
/** What a call may take beyond its budget: a replacement's start and restore, on a busy 2-core machine. */
const SLACK_MS = 8_000;
/** Budget of calls that take none (add, remove, save, validate, feedback…): they wait for a restore. */
const IMPLICIT_BUDGET_MS = 4_000;
/** A worker's wasm heap after any number of kills (its start is ~20-60 MB with the default catalog). */
const HEAP_BOUND = 256 << 20;

interface Param {
  name: string;
  type?: string;
  range?: [number, number];
  safe?: { min?: number; cooldownS?: number };
}
const catalog = generateCatalog() as {
  parameters: Param[];
  kpis: { name: string; formula: string }[];
};
const PARAMS = catalog.parameters
  .filter((p) => p.type === 'float' && p.range && p.safe?.cooldownS && p.safe.cooldownS >= 10)
  .slice(0, 6)
  .map((p) => ({
    name: p.name,
    value: p.safe!.min ?? p.range![0],
    max: p.range![1],
    coolMs: p.safe!.cooldownS! * 1000,
  }));
const RATIO = catalog.kpis.find((k) => /^100 \* \S+ \/ \S+$/.test(k.formula))!;
const COUNTERS = RATIO.formula.split(/\s+/).filter((t) => /^[A-Za-z]\w*\.\w+$/.test(t));

test.setTimeout(180_000);

test('chaos: a seeded mixed workload with workers killed in every mode keeps every promise and the model', async ({
  page,
}) => {
  await openDashboard(page, '?persist=chaos&backend=opfs&workers=2');
  await expect(page.locator('body')).toHaveAttribute('data-router-ready', '1', { timeout: 60_000 });
  const report = await page.evaluate(
    async ({ seed, runMs, slackMs, implicitMs, params, counters, kpi }) => {
      const engine = (window as unknown as { elexDemo: DemoHandle }).elexDemo.engine!;
      // mulberry32: one stream per lane, all from the seed.
      const prng = (s: number) => () => {
        s = (s + 0x6d2b79f5) >>> 0;
        let t = s;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
      };
      const DOCUMENTED = new Set([
        'WORKER_CRASHED',
        'TIMEOUT',
        'NOT_FOUND',
        'BUDGET_EXCEEDED',
        'PERSIST_UNAVAILABLE',
        'ABORTED',
      ]);
      const counts = {
        calls: 0,
        ok: 0,
        partial: 0,
        errors: {} as Record<string, number>,
        byOp: {} as Record<string, number>,
        kills: {} as Record<string, number>,
        violations: [] as string[],
        maxOverBudgetMs: 0,
        heapMaxBytes: [] as number[],
        /** Each killed worker's replacement: ms from its start to ready, restore included. */
        restoreMs: [] as number[],
      };
      const violation = (what: string) => {
        if (counts.violations.length < 50) counts.violations.push(what);
      };
      /** Runs one call, timing it against its budget and sorting its outcome. */
      const call = async <T>(
        op: string,
        budgetMs: number,
        fn: () => Promise<T>,
        isPartial: (r: T) => boolean = () => false,
        allowed: string[] = ['WORKER_CRASHED', 'TIMEOUT'],
      ): Promise<{ ok: true; value: T } | { ok: false; code: string }> => {
        counts.calls++;
        counts.byOp[op] = (counts.byOp[op] ?? 0) + 1;
        const t0 = performance.now();
        let outcome: { ok: true; value: T } | { ok: false; code: string };
        try {
          const value = await fn();
          if (isPartial(value)) counts.partial++;
          else counts.ok++;
          outcome = { ok: true, value };
        } catch (e) {
          const code = (e as { code?: string }).code;
          const name = (e as { name?: string }).name;
          if (name !== 'ElexError' || !code || !DOCUMENTED.has(code) || !allowed.includes(code))
            violation(`${op}: ${name} ${code}: ${(e as Error).message}`);
          counts.errors[code ?? 'none'] = (counts.errors[code ?? 'none'] ?? 0) + 1;
          outcome = { ok: false, code: code ?? 'none' };
        }
        const over = performance.now() - t0 - budgetMs;
        counts.maxOverBudgetMs = Math.max(counts.maxOverBudgetMs, over);
        if (over > slackMs) violation(`${op} took ${Math.round(over)} ms over its ${budgetMs} ms budget`);
        return outcome;
      };

      // ---------------------------------------------------------- the model
      const dim = 16;
      const vecRand = prng(seed ^ 0xabcdef);
      const vectorOf = new Map<number, Float32Array>(); // the index's live ids → vectors
      const newVectors = (n: number) => Float32Array.from({ length: n * dim }, () => vecRand() * 2 - 1);
      let nextId = 0;
      const ix = await engine.createIndex('chaos', { dim, metric: 'l2' });
      {
        const n = 3000;
        const v = newVectors(n);
        const ids = Array.from({ length: n }, () => nextId++);
        await ix.add(ids, v);
        ids.forEach((id, i) => vectorOf.set(id, v.slice(i * dim, (i + 1) * dim)));
      }
      /** Ids whose fate is unknown (a remove that failed half-way): checked apart. */
      const unsure = new Set<number>();
      const cooldown = new Map<string, number>(); // `${param},${cell}` → last recorded at
      const codes = new Set<string>();
      const pendingFeedback: string[] = [];
      const stopAt = performance.now() + runMs;
      const running = () => performance.now() < stopAt;
      const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
      const questions = [
        'Which parameters control MIMO sleep start time?',
        'How is downlink PRB utilisation computed?',
        'uplink interference troubleshooting',
        'carrier aggregation secondary cell activation',
        'What does the handover success rate depend on?',
      ];

      // ------------------------------------------------------------ lanes
      const queryLane = async (r: () => number) => {
        while (running()) {
          const q = questions[Math.floor(r() * questions.length)]!;
          const res = await call(
            'query',
            500,
            () => engine.query(q, { budgetMs: 500 }),
            (x) => x.partial,
          );
          if (res.ok) {
            for (const a of res.value.agents) codes.add(a.code);
            if (res.value.agents.length && r() < 0.6) pendingFeedback.push(res.value.queryId);
          }
          if (pendingFeedback.length && r() < 0.5) {
            const id = pendingFeedback.splice(Math.floor(r() * pendingFeedback.length), 1)[0]!;
            await call('feedback', implicitMs, () => engine.feedback(id, r() * 2 - 1), undefined, [
              'WORKER_CRASHED',
              'NOT_FOUND',
            ]);
          }
          if (codes.size && r() < 0.3) {
            const code = [...codes][Math.floor(r() * codes.size)]!;
            const d = await call('decide', implicitMs, () => engine.decide(code, { type: 'parameter' }));
            if (d.ok && r() < 0.7)
              await call('feedback', implicitMs, () => engine.feedback(d.value.queryId, r()), undefined, [
                'WORKER_CRASHED',
                'NOT_FOUND',
              ]);
          }
          if (r() < 0.08) {
            // A monitor batch over a few cells.
            const cells = Array.from({ length: 6 }, (_, c) => `cell-${c}`);
            const periods = 12;
            const data = Float32Array.from({ length: cells.length * counters.length * periods }, () => 50 + 50 * r());
            await call('monitor', 2000, () =>
              engine.monitor({ cells, counters, periods, data, kpis: [kpi] }, { timeoutMs: 2000 }),
            );
          }
          if (r() < 0.03)
            await call('save', implicitMs, () => engine.save(), undefined, ['WORKER_CRASHED', 'PERSIST_UNAVAILABLE']);
        }
      };

      const indexLane = async (r: () => number) => {
        while (running()) {
          const x = r();
          if (x < 0.35) {
            const n = r() < 0.05 ? 2500 : 1 + Math.floor(r() * 50); // now and then a threaded add
            const v = newVectors(n);
            const ids = Array.from({ length: n }, () => nextId++);
            const res = await call('index.add', implicitMs, () => ix.add(ids, v), undefined, ['WORKER_CRASHED']);
            if (res.ok) ids.forEach((id, i) => vectorOf.set(id, v.slice(i * dim, (i + 1) * dim)));
          } else if (x < 0.55) {
            const live = [...vectorOf.keys()];
            const ids = Array.from({ length: 1 + Math.floor(r() * 20) }, () => live[Math.floor(r() * live.length)]!);
            const unique = [...new Set(ids), nextId + 1_000_000]; // and one unknown id
            const res = await call('index.remove', implicitMs, () => ix.remove(unique), undefined, ['WORKER_CRASHED']);
            if (res.ok) {
              if (res.value !== unique.length - 1) violation(`remove removed ${res.value}, not ${unique.length - 1}`);
              for (const id of unique) vectorOf.delete(id);
            } else for (const id of unique) if (vectorOf.has(id)) unsure.add(id);
          } else {
            const q = newVectors(1 + Math.floor(r() * 4));
            const res = await call(
              'index.search',
              1000,
              () => ix.search(q, 10, { timeoutMs: 1000, exact: r() < 0.3 }),
              (s) => s.partial,
            );
            if (res.ok && !res.value.partial && res.value.ids.includes(0xffffffff))
              violation('a whole search lacked hits');
          }
        }
      };

      let clock = 1e12;
      const validateLane = async (r: () => number) => {
        while (running()) {
          const n = 1 + Math.floor(r() * 12);
          const pi = Array.from({ length: n }, () => Math.floor(r() * params.length));
          const cells = Uint32Array.from({ length: n }, () => Math.floor(r() * 8));
          const bad = Array.from({ length: n }, () => r() < 0.1); // outside the absolute range: rejected, not recorded
          const proposed = Float64Array.from(pi, (p, i) => (bad[i] ? params[p]!.max + 1e6 : params[p]!.value));
          clock += Math.floor(r() * 20_000);
          const at = clock;
          const res = await call('validateBatch', implicitMs, () =>
            engine.validateBatch({
              parameters: engine.parameterIndexes(pi.map((p) => params[p]!.name)),
              current: Float64Array.from(pi, (p) => params[p]!.value),
              proposed,
              at,
              cells,
            }),
          );
          if (!res.ok) continue;
          // The model, in order: COOLDOWN when the last recorded change is
          // nearer than the cooldown; accepted changes are recorded.
          for (let i = 0; i < n; i++) {
            const key = `${pi[i]},${cells[i]}`;
            const last = cooldown.get(key);
            const cool = last !== undefined && at - last < params[pi[i]!]!.coolMs;
            const got = (res.value.reasons[i]! & (1 << 5)) !== 0;
            if (got !== cool) violation(`validateBatch: COOLDOWN of ${key} at ${at} is ${got}, the model says ${cool}`);
            if (res.value.verdicts[i] !== 2) cooldown.set(key, at);
          }
          await pause(r() * 30);
        }
      };

      const heaps = async () => {
        const s = await engine.stats();
        s.memory.perWorker.forEach(
          (m, w) => (counts.heapMaxBytes[w] = Math.max(counts.heapMaxBytes[w] ?? 0, m.heapBytes)),
        );
      };
      const killLane = async (r: () => number) => {
        const modes = ['terminate', 'close', 'throw', 'save'] as const;
        let turn = 0;
        while (running()) {
          await pause(300 + r() * 700);
          if (!running()) break;
          const worker = Math.floor(r() * 2);
          // Every mode early on (in turn), then at random.
          const mode = turn < modes.length ? modes[turn]! : modes[Math.floor(r() * modes.length)]!;
          const restarts = engine.info().restarts;
          try {
            if (mode === 'save') {
              await engine.debug.crashDuringNextSave(worker);
              await call('save', implicitMs, () => engine.save(), undefined, ['WORKER_CRASHED', 'PERSIST_UNAVAILABLE']);
            } else await engine.debug.crashWorker(worker, mode, Math.floor(r() * 40));
          } catch (e) {
            // The worker was already dying (another kill): not a kill of ours.
            if ((e as { code?: string }).code !== 'WORKER_CRASHED') violation(`kill ${mode}: ${String(e)}`);
            continue;
          }
          counts.kills[mode] = (counts.kills[mode] ?? 0) + 1;
          turn++;
          const t0 = performance.now();
          while (engine.info().restarts === restarts && performance.now() - t0 < 10_000) await pause(10);
          if (engine.info().restarts === restarts) violation(`kill ${mode} of worker ${worker}: no restart`);
          await call('stats', implicitMs, heaps);
          const last = engine.info().shards[worker]!.lastRestore;
          if (last) counts.restoreMs.push(Math.round(last.ms));
        }
      };

      const t0 = performance.now();
      await Promise.all([
        queryLane(prng(seed + 1)),
        queryLane(prng(seed + 2)),
        indexLane(prng(seed + 3)),
        validateLane(prng(seed + 4)),
        killLane(prng(seed + 5)),
      ]);
      const ranMs = performance.now() - t0;

      // --------------------------------------------------- end-state checks
      const restartsBefore = engine.info().restarts;
      // The index holds the model's ids: its size, then exact searches
      // against a brute-force scan of the model's vectors.
      const check: Record<string, unknown> = {};
      const stats = await ix.stats();
      const sure = [...vectorOf.keys()].filter((id) => !unsure.has(id));
      check.size = { engine: stats.size, model: vectorOf.size, unsure: unsure.size };
      const probe = newVectors(16);
      const exact = await ix.search(probe, 10, { exact: true });
      let exactMismatch = 0;
      for (let q = 0; q < 16; q++) {
        const qv = probe.subarray(q * dim, (q + 1) * dim);
        const scored = [...vectorOf].map(([id, v]) => {
          let d = 0;
          for (let j = 0; j < dim; j++) d += (qv[j]! - v[j]!) ** 2;
          return [id, d] as const;
        });
        scored.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
        const want = scored.slice(0, 10).map((s) => s[0]);
        const got = Array.from(exact.ids.subarray(q * 10, q * 10 + 10));
        // Near-ties may order differently in f32: compare as sets unless the 10th and 11th are apart.
        const tie = Math.abs(scored[9]![1] - scored[10]![1]) < 1e-4;
        if (!tie && [...want].sort().join() !== [...got].sort().join()) exactMismatch++;
      }
      check.exactMismatch = exactMismatch;
      // Every id the model is sure of is found by its own vector.
      let missingIds = 0;
      for (const id of sure.filter((_, i) => i % 25 === 0)) {
        const hit = await ix.search(vectorOf.get(id)!, 1, { exact: true });
        if (hit.ids[0] !== id) missingIds++;
      }
      check.missingIds = missingIds;
      // Graph searches, then both workers die, then the same searches.
      const graphBefore = Array.from((await ix.search(probe, 10, { exact: false })).ids);
      await engine.save(); // learned values as saved, read before the crash
      const feats = [...codes].slice(0, 12);
      const valuesBefore = await Promise.all(
        feats.map(async (c) => Array.from((await engine.agentValues(c, { type: 'parameter' }))?.values ?? [])),
      );
      await engine.debug.crashWorker(0, 'terminate');
      await engine.debug.crashWorker(1, 'close');
      while (engine.info().restarts < restartsBefore + 2) await pause(10);
      const graphAfter = await ix.search(probe, 10, { exact: false });
      check.graphSame = graphAfter.partial === false && graphAfter.ids.join() === graphBefore.join();
      const valuesAfter = await Promise.all(
        feats.map(async (c) => Array.from((await engine.agentValues(c, { type: 'parameter' }))?.values ?? [])),
      );
      check.valuesSame = JSON.stringify(valuesAfter) === JSON.stringify(valuesBefore);
      check.features = feats.length;
      // Cooldowns equal the model's table: in cooldown just before it ends,
      // free just after, and cells never changed are free.
      const keys = [...cooldown.keys()];
      const probeAt = async (delta: (coolMs: number) => number) => {
        const r = await engine.validateBatch(
          {
            parameters: engine.parameterIndexes(keys.map((k) => params[Number(k.split(',')[0])]!.name)),
            current: Float64Array.from(keys, (k) => params[Number(k.split(',')[0])]!.value),
            proposed: Float64Array.from(keys, (k) => params[Number(k.split(',')[0])]!.value),
            at: Float64Array.from(keys, (k) => cooldown.get(k)! + delta(params[Number(k.split(',')[0])]!.coolMs)),
            cells: Uint32Array.from(keys, (k) => Number(k.split(',')[1]) + 0),
          },
          { record: false },
        );
        return Array.from(r.reasons, (x) => (x & (1 << 5)) !== 0);
      };
      const inCool = await probeAt((c) => c - 1);
      const freed = await probeAt((c) => c + 1);
      const untouched = await engine.validateBatch(
        {
          parameters: engine.parameterIndexes(params.map((p) => p.name)),
          current: Float64Array.from(params, (p) => p.value),
          proposed: Float64Array.from(params, (p) => p.value),
          at: clock,
          cells: new Uint32Array(params.length).fill(1000),
        },
        { record: false },
      );
      check.cooldowns = {
        keys: keys.length,
        inCooldown: inCool.filter(Boolean).length,
        freed: freed.filter((x) => !x).length,
        untouchedFree: Array.from(untouched.reasons).filter((x) => !(x & (1 << 5))).length,
      };
      await heaps();
      const recovery = ix.recovery();
      return {
        seed,
        ranMs,
        counts,
        restarts: engine.info().restarts,
        lastRestores: engine.info().shards.map((s) => s.lastRestore),
        check,
        recovery,
        modelSize: vectorOf.size,
      };
    },
    {
      seed: SEED,
      runMs: RUN_MS,
      slackMs: SLACK_MS,
      implicitMs: IMPLICIT_BUDGET_MS,
      params: PARAMS,
      counters: COUNTERS,
      kpi: RATIO.name,
    },
  );
  const summary = {
    seed: report.seed,
    ranMs: Math.round(report.ranMs),
    calls: report.counts.calls,
    ok: report.counts.ok,
    partial: report.counts.partial,
    errors: report.counts.errors,
    byOp: report.counts.byOp,
    kills: report.counts.kills,
    restarts: report.restarts,
    maxOverBudgetMs: Math.round(report.counts.maxOverBudgetMs),
    slackMs: SLACK_MS,
    heapMaxBytes: report.counts.heapMaxBytes,
    restoreMs: report.counts.restoreMs,
    heapBound: HEAP_BOUND,
    check: report.check,
    recovery: report.recovery,
    lastRestores: report.lastRestores,
    violations: report.counts.violations,
  };
  console.log(`chaos: ${JSON.stringify(summary, null, 1)}`);
  mkdirSync('build/test-results', { recursive: true });
  writeFileSync('build/test-results/chaos.json', JSON.stringify(summary, null, 2));

  expect(report.counts.violations).toEqual([]);
  expect(report.ranMs).toBeGreaterThanOrEqual(Math.min(RUN_MS, 20_000));
  for (const mode of ['terminate', 'close', 'throw', 'save']) expect(report.counts.kills[mode] ?? 0).toBeGreaterThan(0);
  expect(report.counts.calls).toBeGreaterThan(100);
  const c = report.check as {
    size: { engine: number; model: number; unsure: number };
    exactMismatch: number;
    missingIds: number;
    graphSame: boolean;
    valuesSame: boolean;
    features: number;
    cooldowns: { keys: number; inCooldown: number; freed: number; untouchedFree: number };
  };
  expect(c.size.unsure).toBe(0);
  expect(c.size.engine).toBe(c.size.model);
  expect(c.exactMismatch).toBe(0);
  expect(c.missingIds).toBe(0);
  expect(c.graphSame).toBe(true);
  expect(c.features).toBeGreaterThan(0);
  expect(c.valuesSame).toBe(true);
  expect(c.cooldowns.keys).toBeGreaterThan(0);
  expect(c.cooldowns.inCooldown).toBe(c.cooldowns.keys);
  expect(c.cooldowns.freed).toBe(c.cooldowns.keys);
  expect(c.cooldowns.untouchedFree).toBe(PARAMS.length);
  for (const h of report.counts.heapMaxBytes) expect(h).toBeLessThan(HEAP_BOUND);
});
