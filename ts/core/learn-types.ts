/**
 * Public types of feature agents, learning and the memory budget, with the
 * argument checks shared by the bindings and the engine.
 */
import { ElexError } from './errors.ts';
import { AGENT_ACTION_NAMES, COMPLEXITY_NAMES, QUERY_TYPE_NAMES } from '../generated/enums.ts';

/** The kinds of answer an agent can give (engine/include/elex/learn/learn.h), in index order. */
export const AGENT_ACTIONS = AGENT_ACTION_NAMES;
export type AgentAction = (typeof AGENT_ACTIONS)[number];

/** Question types of an agent's state (learn.h QueryType), in index order. */
export const QUERY_TYPES = QUERY_TYPE_NAMES;
export type QueryType = (typeof QUERY_TYPES)[number];

/** Question complexities of an agent's state (learn.h Complexity), in index order. */
export const COMPLEXITIES = COMPLEXITY_NAMES;
export type Complexity = (typeof COMPLEXITIES)[number];

/** Logical shards of agents: fixed, so a snapshot loads into any worker count (shard s lives on worker s % workers). */
export const AGENT_SHARDS = 16;

/** What an agent decides on (learn.h: the state encoding). */
export interface AgentState {
  /** Default 'general'. */
  type?: QueryType;
  /** Default 'simple'. */
  complexity?: Complexity;
  /** The router's confidence in [0, 1], bucketed into 16 (default 0). */
  confidence?: number;
  /** Context the agent should tell apart: a 32-bit integer, or a string that is hashed (default 0 = none). */
  context?: number | string;
}

/** The numeric form the engine takes. */
export interface EncodedState {
  type: number;
  complexity: number;
  bucket: number;
  context: number;
}

export interface LearningOptions {
  /** Learning rate α in (0, 1]; default 0.1. */
  alpha?: number;
  /** Discount γ in [0, 1]; default 0.95. */
  gamma?: number;
  /** Initial exploration ε; default 0.1. */
  epsilon?: number;
  /** Exploration floor; default 0.01. */
  epsilonMin?: number;
  /** ε is multiplied by this after every applied feedback; default 0.995. */
  epsilonDecay?: number;
  /** Decisions per agent remembered for feedback; default 256. */
  trajectory?: number;
  /** Experiences per agent kept for replay; default 256. */
  replay?: number;
  /** Experiences replayed per feedback call; default 8. */
  replayBatch?: number;
  /** Most states one agent's Q-table holds; default 65 536. */
  maxStates?: number;
  /** Seed of every agent's random stream (with its code); default 0x454c4558. */
  seed?: number;
}

export const DEFAULT_LEARNING: Required<LearningOptions> = {
  alpha: 0.1,
  gamma: 0.95,
  epsilon: 0.1,
  epsilonMin: 0.01,
  epsilonDecay: 0.995,
  trajectory: 256,
  replay: 256,
  replayBatch: 8,
  maxStates: 65536,
  seed: 0x454c4558,
};

export interface Decision {
  action: AgentAction;
  /** Index of the action in AGENT_ACTIONS. */
  actionIndex: number;
  /**
   * In [0, 1]: how much the agent's own experience backs this action —
   * n/(n+4) × (0.5 + 0.5·min(1, spread/0.5)), n = feedback received in this
   * state, spread = this action's value minus the best other value (≥ 0).
   * 0 for a state never rewarded.
   */
  confidence: number;
  /** True when ε-greedy explored (a random action). */
  explored: boolean;
}

export interface AgentValues {
  /** Q-values in AGENT_ACTIONS order. */
  values: Float32Array;
  /** Feedback this state has received. */
  visits: number;
}

export interface AgentInfo {
  code: string;
  /** Resident in wasm memory (false: evicted to storage, reloaded on next use). */
  resident: boolean;
  states: number;
  bytes: number;
  decisions: number;
  updates: number;
  rewardSum: number;
  epsilon: number;
  /** Bumped by every change to the learned state. */
  version: number;
}

/** One instance's memory figures (a worker's, or the same-thread bindings'). */
export interface MemoryStats {
  budgetBytes: number;
  /** Agents + spill queue + external (indexes): what the budget is enforced on. */
  usedBytes: number;
  agentBytes: number;
  spillBytes: number;
  externalBytes: number;
  /** Bytes the allocator has handed out. */
  liveHeapBytes: number;
  /** Bytes of the wasm memory (heapSize / liveHeap is the fragmentation). */
  heapBytes: number;
  /** mean + 0.5 × trend of recent used/budget samples, in [0, 1]. */
  pressure: number;
  evictions: number;
  evictedBytes: number;
  evictionRounds: number;
  budgetFailures: number;
  hotAgents: number;
  spillQueued: number;
  decisions: number;
  updates: number;
  rewardSum: number;
  epsilonMean: number;
}

/** FNV-1a 32 over a string's UTF-8 bytes (an ASCII string's are its code units: no encoding). */
function stringHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return utf8Hash(s);
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h >>> 0;
}

const hashEncoder = new TextEncoder();
function utf8Hash(s: string): number {
  let h = 0x811c9dc5;
  for (const b of hashEncoder.encode(s)) h = Math.imul(h ^ b, 0x01000193);
  return h >>> 0;
}

/** FNV-1a 32 over a string's UTF-16 code units (contexts, cell shards). */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The logical shard of a feature code (same as the engine's elex_shard_of;
 * tests/ts/learn.test.ts checks that they agree). The one hash kept in
 * TypeScript: the page, which has no wasm instance, picks the worker of a
 * decide or feedback call with it before any worker is called. Here (a
 * loaded 2-core machine) it takes about 1 µs, as elex_shard_of does through
 * same-thread bindings; asking a worker would add a round trip (20-55 µs
 * p50/p95 on the fast path, docs/performance.md) to every such call.
 */
export function agentShardOf(code: string, shards = AGENT_SHARDS): number {
  return fmix32(stringHash(code)) % shards;
}

const MAX_CODE_BYTES = 255;
const codeEncoder = new TextEncoder();

export function checkCode(code: unknown): string {
  if (typeof code !== 'string' || code.length === 0)
    throw new ElexError('INVALID_ARGUMENT', `a feature code must be a non-empty string, got ${JSON.stringify(code)}`);
  // A UTF-16 unit is at most 3 UTF-8 bytes: short codes need no encoding (this runs per agent call).
  if (code.length * 3 <= MAX_CODE_BYTES) return code;
  const bytes = codeEncoder.encode(code).length;
  if (bytes > MAX_CODE_BYTES)
    throw new ElexError(
      'INVALID_ARGUMENT',
      `a feature code must be at most ${MAX_CODE_BYTES} UTF-8 bytes, got ${bytes}`,
    );
  return code;
}

export function encodeState(s: AgentState = {}): EncodedState {
  if (typeof s !== 'object' || s === null) throw new ElexError('INVALID_ARGUMENT', 'an agent state must be an object');
  const type = QUERY_TYPES.indexOf(s.type ?? 'general');
  if (type < 0)
    throw new ElexError(
      'INVALID_ARGUMENT',
      `unknown query type ${JSON.stringify(s.type)}; use one of ${QUERY_TYPES.join(', ')}`,
    );
  const complexity = COMPLEXITIES.indexOf(s.complexity ?? 'simple');
  if (complexity < 0)
    throw new ElexError(
      'INVALID_ARGUMENT',
      `unknown complexity ${JSON.stringify(s.complexity)}; use one of ${COMPLEXITIES.join(', ')}`,
    );
  const c = s.confidence ?? 0;
  if (typeof c !== 'number' || !(c >= 0 && c <= 1))
    throw new ElexError('INVALID_ARGUMENT', `confidence must be a number in [0, 1], got ${String(c)}`);
  const bucket = Math.min(15, Math.floor(c * 16));
  let context = 0;
  if (typeof s.context === 'string') context = stringHash(s.context);
  else if (s.context !== undefined) {
    if (!Number.isInteger(s.context) || s.context < 0 || s.context > 0xffffffff)
      throw new ElexError(
        'INVALID_ARGUMENT',
        `context must be a 32-bit unsigned integer or a string, got ${String(s.context)}`,
      );
    context = s.context;
  }
  return { type, complexity, bucket, context };
}

export function resolveLearning(o: LearningOptions = {}): Required<LearningOptions> {
  if (typeof o !== 'object' || o === null || Array.isArray(o))
    throw new ElexError('INVALID_ARGUMENT', 'learning options must be an object');
  // Only the known keys are read (each once): a huge or hostile object costs nothing more.
  const r = { ...DEFAULT_LEARNING };
  for (const k of Object.keys(DEFAULT_LEARNING) as (keyof LearningOptions)[]) {
    const v: unknown = o[k] === undefined ? DEFAULT_LEARNING[k] : o[k];
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new ElexError('INVALID_ARGUMENT', `learning.${k} must be a finite number, got ${typeof v}`);
    r[k] = v;
  }
  return r;
}

/** Reward check shared by the engine and the bindings. */
export function checkReward(reward: unknown): number {
  if (typeof reward !== 'number' || !(reward >= -1 && reward <= 1))
    throw new ElexError('INVALID_ARGUMENT', `a reward must be a number in [-1, 1], got ${String(reward)}`);
  return reward;
}
