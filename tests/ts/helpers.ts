/** Helpers shared by the Vitest suites. */
import { AgentHost } from '../../ts/host/agent-host.ts';
import type { Bindings } from '../../ts/bindings/bindings.ts';
import { ElexError } from '../../ts/core/errors.ts';
import { COMPLEXITIES, QUERY_TYPES, type AgentState } from '../../ts/core/learn-types.ts';

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

/** State k of a populated agent: every type, complexity and confidence bucket in turn (as bench_fixtures.h state_of). */
function populatedState(k: number): AgentState {
  return {
    type: QUERY_TYPES[k % 6],
    complexity: COMPLEXITIES[Math.floor(k / 6) % 3],
    confidence: ((Math.floor(k / 18) % 16) + 0.5) / 16,
    context: Math.floor(k / 288) + 1,
  };
}

/** The place of `decide` and `feedback` that populateAgents needs, on Bindings (sync) and AgentHost (async). */
interface Learner {
  decide(code: string, queryId: number, state: AgentState, follows: number): unknown;
  feedback(code: string, queryIds: Float64Array, rewards: Float32Array): unknown;
}

/**
 * Agents "FAJ 121 3000"… (the first `agents`) with `states` rewarded states
 * each, through the public decide + feedback: what the bench build's
 * benchPopulate does in one call (the shipped wasm has no bench exports).
 */
export async function populateAgents(to: Learner, agents: number, states: number): Promise<void> {
  let queryId = 2 ** 40;
  for (let i = 0; i < agents; i++) {
    const code = `FAJ 121 ${3000 + i}`;
    for (let k = 0; k < states; k++) {
      await to.decide(code, ++queryId, populatedState(k), 0);
      await to.feedback(code, new Float64Array([queryId]), new Float32Array([((k + i) % 9) / 4.5 - 1]));
    }
  }
}

/** A catalog with one of each kind of problem (duplicate and unknown codes, a missing code, a bad range, safe zone, type, link and KPI). */
export function badCatalog(): Record<string, unknown> {
  return {
    version: 2,
    features: [
      { code: 'FAJ 121 0001', dependencies: ['FAJ 999 9999'] },
      { code: 'FAJ 121 0001' },
      { name: 'no code' },
      'not an object',
    ],
    parameters: [
      { name: 'NoDot', range: [5, 1], safe: { min: 3, max: 1, maxChange: -1 } },
      { name: 'A.b', type: 'double', features: ['FAJ 000 0000'] },
    ],
    kpis: [{ name: 'K', direction: 'up', threshold: 'high' }],
  };
}
