/** Helpers shared by the Vitest suites. */
import { AgentHost } from '../../ts/agent-host.ts';
import type { Bindings } from '../../ts/bindings.ts';
import { ElexError } from '../../ts/errors.ts';

/** n floats in [-1, 1), from a seeded LCG: the same seed gives the same data. */
export function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** The ElexError code `fn` throws, or 'no error'; anything else is rethrown. */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ElexError) return e.code;
    throw e;
  }
  return 'no error';
}

/** A single-worker agent host (500 MiB budget, no persistence), opened: what a router under test needs. */
export async function openHost(b: Bindings): Promise<AgentHost> {
  const host = new AgentHost(b, {
    memoryBudgetBytes: 500 << 20,
    highWater: 1,
    learning: {},
    persist: null,
    worker: 0,
    workers: 1,
  });
  await host.open();
  return host;
}
