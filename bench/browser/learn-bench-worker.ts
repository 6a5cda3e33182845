/**
 * Learning and memory benchmarks inside a worker, with the same-thread
 * bindings of one variant: Q-update batches (SIMD vs scalar twin), action
 * selection, feedback with replay, the agent cache (insert, hit, miss,
 * eviction, Zipf hit rate at three budgets), memory (bytes per agent,
 * budget under sustained inserts, fragmentation) and save + restore of
 * 593 agents × 1,000 states through the real AgentHost and OPFS.
 * Every timed figure is the median of 3 passes.
 */
import { AgentHost } from '../../ts/host/agent-host.ts';
import { instantiate, type Bindings } from '../../ts/bindings/bindings.ts';
import { benchBundles } from './bench-bundles.ts';
import { OpfsStore } from '../../ts/host/persist.ts';
import type { Variant } from '../../ts/bindings/platform.ts';

export interface LearnBenchRequest {
  kind: 'learn';
  variant: Variant;
  quick?: boolean;
}

const post = (m: unknown) => (self as unknown as Worker).postMessage(m);
const progress = (text: string) => post({ type: 'progress', text });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

function timed(b: Bindings, op: number, n: number, reps: number): { ns: number; out: number[] } {
  const runs = [0, 1, 2].map(() => b.benchLearn(op, n, reps));
  return { ns: median(runs.map((r) => r.msPerRep * 1e6)), out: runs[runs.length - 1]!.out };
}

async function learnBench(req: LearnBenchRequest) {
  const q = req.quick ? 0.2 : 1;
  const b = await instantiate({ variant: req.variant, threads: 1, bundles: benchBundles });
  const qupdate: { n: number; simdNs: number; scalarNs: number; ratio: number }[] = [];
  for (const n of [10, 100, 1000, 10000]) {
    const reps = Math.max(200, Math.round((2e6 / n) * q));
    const ns = (twin: 0 | 1) => median([0, 1, 2].map(() => b.benchKernel(4, twin, n, reps).msPerRep * 1e6));
    const simdNs = ns(0),
      scalarNs = ns(1);
    qupdate.push({ n, simdNs, scalarNs, ratio: scalarNs / simdNs });
  }
  progress(`${req.variant}: Q-update of 100 ${qupdate[1]!.simdNs.toFixed(0)} ns`);
  const select = timed(b, 0, 1000, Math.round(200000 * q));
  const feedback = timed(b, 1, 1000, Math.round(50000 * q));
  const hit = timed(b, 2, 0, Math.round(200000 * q));
  const insert = timed(b, 3, 0, Math.round(20000 * q));
  const miss = timed(b, 4, 1000, Math.round(2000 * q));
  const fillEvict = timed(b, 5, 0, 3),
    fillOnly = timed(b, 6, 0, 3);
  const evictedPerRound = fillEvict.out[1]! / 3;
  const evictNsPerAgent = Math.max(0, (fillEvict.ns - fillOnly.ns) / evictedPerRound);
  progress(
    `${req.variant}: select ${select.ns.toFixed(0)} ns, hit ${hit.ns.toFixed(0)} ns, miss ${miss.ns.toFixed(0)} ns`,
  );
  const zipf = [10, 50, 100].map((pct) => {
    const r = b.benchLearn(7, pct, Math.round(100000 * q));
    return {
      budgetPct: pct,
      nsPerOp: r.msPerRep * 1e6,
      hitRate: r.out[1]!,
      evictions: r.out[2]!,
      budgetBytes: r.out[3]!,
    };
  });
  const sustained = b.benchLearn(8, 0, Math.round(200000 * q));
  const heap = b.heap();
  b.close();

  // Bytes per agent, live and as a record.
  const perAgent = [];
  for (const states of [0, 100, 1000]) {
    const x = await instantiate({ variant: req.variant, threads: 1, bundles: benchBundles });
    x.decide('probe', 1); // a cold agent with one state when states = 0
    if (states > 0) x.benchPopulate(1, states);
    const code = states > 0 ? 'FAJ 121 3000' : 'probe';
    perAgent.push({ states, liveBytes: x.agentInfo(code)!.bytes, recordBytes: x.exportAgent(code).length });
    x.close();
  }

  // Save + restore of 593 agents × 1,000 states through AgentHost and OPFS (one worker does all 16 shards).
  let persist: Record<string, unknown> | null = null;
  if (OpfsStore.available()) {
    const agents = req.quick ? 100 : 593;
    const name = `bench-learn-${req.variant}`;
    const setup = (bb: Bindings) =>
      new AgentHost(bb, {
        memoryBudgetBytes: 500 * 1024 * 1024,
        highWater: 0.9,
        learning: {},
        persist: { name, backend: 'opfs', fingerprint: 'bench' },
        worker: 0,
        workers: 1,
      });
    // The engine's own thread count for this variant (2 threads in simd-mt on 2 cores).
    const threads = req.variant === 'simd-mt' ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
    const w = await instantiate({ variant: req.variant, threads, bundles: benchBundles });
    const host = setup(w);
    await host.open();
    await host.populate(agents, 1000);
    const saves: number[] = [],
      encodes: number[] = [],
      writes: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 5; i++) {
      const r = await host.save();
      saves.push(r.ms);
      encodes.push(r.encodeMs);
      writes.push(r.writeMs);
      bytes = r.bytes;
    }
    host.close();
    w.close();
    const restores: number[] = [],
      reads: number[] = [],
      loads: number[] = [],
      residents: number[] = [];
    let restored = 0;
    for (let i = 0; i < 5; i++) {
      const r = await instantiate({ variant: req.variant, threads, bundles: benchBundles });
      const h = setup(r);
      const rep = await h.open();
      restores.push(rep.ms);
      reads.push(rep.readMs);
      loads.push(rep.loadMs);
      while (h.restored!.residentMs === null) await new Promise((res) => setTimeout(res, 1));
      residents.push(h.restored!.residentMs);
      restored = h.restored!.resident;
      h.close();
      r.close();
    }
    persist = {
      backend: 'opfs',
      agents,
      statesPerAgent: 1000,
      bytes,
      saveMs: median(saves),
      restoreMs: median(restores),
      restoredResident: restored,
      saveRestoreMs: median(saves) + median(restores),
      threads,
      encodeMs: median(encodes),
      writeMs: median(writes),
      readMs: median(reads),
      loadMs: median(loads),
      residentMs: median(residents),
    };
    progress(
      `${req.variant}: save ${median(saves).toFixed(0)} ms + restore ${median(restores).toFixed(0)} ms of ${agents} agents`,
    );
  }
  return {
    request: req,
    qupdate,
    selectNs: select.ns,
    feedbackReplayNs: feedback.ns,
    cache: {
      hitNs: hit.ns,
      insertNs: insert.ns,
      missNs: miss.ns,
      missRecordBytes: miss.out[1],
      evictNsPerAgent,
      evictedPerRound,
      zipf,
    },
    memory: {
      perAgent,
      sustained: {
        inserts: Math.round(200000 * q),
        nsPerInsert: sustained.msPerRep * 1e6,
        overBudget: sustained.out[1],
        usedBytes: sustained.out[2],
        evictions: sustained.out[3],
        budgetBytes: 16 * 1024 * 1024,
      },
      fragmentation: { liveBytes: heap.liveBytes, heapBytes: heap.heapBytes, ratio: heap.heapBytes / heap.liveBytes },
    },
    persist,
  };
}

self.onmessage = async (e: MessageEvent<LearnBenchRequest>) => {
  try {
    post({ type: 'done', report: await learnBench(e.data) });
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? `${err.message}\n${err.stack}` : String(err) });
  }
};
