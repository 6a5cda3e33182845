/**
 * The bench page: runs each benchmark in a fresh module worker (same-thread
 * bindings, as the design says benchmarks do) and hands the JSON back to
 * the driver through window.elexBench.
 */
import type { BenchRequest, BenchReport } from './index-bench-worker.ts';
import type { LearnBenchRequest } from './learn-bench-worker.ts';

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

(window as unknown as { elexBench: { run: typeof run; isolated: boolean } }).elexBench = {
  run,
  isolated: crossOriginIsolated,
};
