/**
 * The bench page: runs each benchmark in a fresh module worker (same-thread
 * bindings, as the design says benchmarks do) and hands the JSON back to
 * the driver through window.elexBench.
 */
import type { BenchRequest, BenchReport } from './index-bench-worker.ts';
import type { LearnBenchRequest } from './learn-bench-worker.ts';
import { createEngine } from '../../ts/index.ts';

const log = document.getElementById('log')!;

function run(req: BenchRequest | LearnBenchRequest): Promise<BenchReport> {
  return new Promise((resolve, reject) => {
    const w =
      req.kind === 'learn'
        ? new Worker(new URL('./learn-bench-worker.ts', import.meta.url), { type: 'module', name: 'bench' })
        : new Worker(new URL('./index-bench-worker.ts', import.meta.url), { type: 'module', name: 'bench' });
    w.onmessage = (e: MessageEvent) => {
      if (e.data.type === 'progress') {
        log.textContent += `${e.data.text}\n`;
        console.log(e.data.text);
      } else if (e.data.type === 'done') {
        w.terminate();
        resolve(e.data.report as BenchReport);
      } else if (e.data.type === 'error') {
        w.terminate();
        reject(new Error(e.data.message));
      }
    };
    w.onerror = (e) => reject(new Error(e.message));
    w.postMessage(req);
  });
}

/**
 * Save + restore through the public engine (default pool shape, OPFS):
 * `agents` agents of `states` states each, spread over the workers as
 * their feature codes say. Three saves, then three restores (each a fresh
 * createEngine; the figure is the slowest worker's restore).
 */
async function engineSaveRestore(agents: number, states: number) {
  const name = `bench-engine-${Date.now()}`;
  const persist = { name, backend: 'opfs' as const, autosaveEvery: 0, autosaveMs: 0 };
  const e = await createEngine({ persist });
  const info = e.info();
  await e.debug.populateAgents(agents, states);
  const saveMs: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 3; i++) {
    const r = await e.save();
    saveMs.push(r.ms);
    bytes = r.bytes;
  }
  await e.close();
  const restoreMs: number[] = [];
  let restored = 0;
  for (let i = 0; i < 3; i++) {
    const f = await createEngine({ persist });
    const s = await f.stats();
    restoreMs.push(Math.max(...s.persistence.restored.map((r) => r?.ms ?? 0)));
    restored = s.persistence.restored.reduce((n, r) => n + (r?.agents ?? 0), 0);
    await f.close();
  }
  return {
    variant: info.variant,
    workers: info.workers,
    threadsPerWorker: info.threadsPerWorker,
    agents,
    states,
    bytes,
    saveMs,
    restoreMs,
    restored,
  };
}

(
  window as unknown as {
    elexBench: { run: typeof run; engineSaveRestore: typeof engineSaveRestore; isolated: boolean };
  }
).elexBench = {
  run,
  engineSaveRestore,
  isolated: crossOriginIsolated,
};
