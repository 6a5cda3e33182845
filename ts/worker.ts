/**
 * A pool worker: one wasm instance (same-thread bindings) exposed over
 * Comlink with the protocol of protocol.ts.
 */
import * as Comlink from 'comlink';
import { instantiate, type Bindings } from './bindings.ts';
import { ElexError } from './errors.ts';
import { serve, type WorkerApi } from './protocol.ts';

let bindings: Bindings | null = null;

function ready(): Bindings {
  if (!bindings) throw new ElexError('INTERNAL', 'worker used before init');
  return bindings;
}

async function holdLifeLock(name: string): Promise<void> {
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  if (!locks) return;
  await new Promise<void>((granted) => {
    void locks.request(name, () => {
      granted();
      return new Promise<never>(() => {}); // held until this worker dies
    });
  });
}

const api: WorkerApi = {
  init: (req) =>
    serve(async () => {
      const t0 = performance.now();
      if (req.lifeLock) await holdLifeLock(req.lifeLock);
      bindings = await instantiate({
        variant: req.variant,
        module: req.module,
        threads: req.threads,
        bundles: req.bundles,
        startTimeoutMs: req.startTimeoutMs,
      });
      return { info: bindings.info(), startMs: performance.now() - t0 };
    }),
  info: () => serve(() => ready().info()),
  distanceBatch: (req) =>
    serve(() => {
      const t0 = performance.now();
      const out = ready().distanceBatch(req);
      const result = { ...out, ms: performance.now() - t0 };
      return Comlink.transfer(result, [out.distances.buffer]);
    }),
  crash: (mode, delayMs) =>
    serve(() => {
      setTimeout(() => {
        if (mode === 'close') self.close();
        else throw new Error('elex: crash requested (debug.crashWorker)');
      }, delayMs);
    }),
};

Comlink.expose(api);
