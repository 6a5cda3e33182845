/**
 * Agents, the memory budget and persistence through the real wasm (scalar
 * and simd in node), with the in-memory store standing in for OPFS/IDB.
 */
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { AgentHost, recordHead, type HostSetup } from '../../ts/host/agent-host.ts';
import { instantiate, type Bindings } from '../../ts/bindings/bindings.ts';
import { WASM_MEMORY_MAX_BYTES } from '../../ts/bindings/platform.ts';
import { ElexError } from '../../ts/core/errors.ts';
import { AGENT_SHARDS, agentShardOf, encodeState, QUERY_TYPES } from '../../ts/core/learn-types.ts';
import { MemoryStore } from '../../ts/host/persist.ts';
import { codeOf, populateAgents } from './helpers.ts';

async function codeOfAsync(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ElexError) return e.code;
    throw e;
  }
  return 'no error';
}

const feature = (i: number) => `FAJ 121 ${3000 + i}`;

function setup(over: Partial<HostSetup> = {}): HostSetup {
  return {
    memoryBudgetBytes: 64 << 20,
    highWater: 0.9,
    learning: {},
    persist: null,
    worker: 0,
    workers: 1,
    ...over,
  };
}

test('state encoding checks its input', () => {
  expect(encodeState({})).toEqual({ type: 5, complexity: 0, bucket: 0, context: 0 });
  expect(encodeState({ type: 'kpi', complexity: 'complex', confidence: 1, context: 7 })).toEqual({
    type: 2,
    complexity: 2,
    bucket: 15,
    context: 7,
  });
  expect(codeOf(() => encodeState({ type: 'bogus' as 'kpi' }))).toBe('INVALID_ARGUMENT');
  expect(codeOf(() => encodeState({ confidence: 1.5 }))).toBe('INVALID_ARGUMENT');
  expect(codeOf(() => encodeState({ context: -1 }))).toBe('INVALID_ARGUMENT');
  expect(encodeState({ context: 'cell 17' }).context).toBe(encodeState({ context: 'cell 17' }).context);
});

describe.each(['scalar', 'simd'] as const)('%s variant', (variant) => {
  let b: Bindings;
  beforeAll(async () => {
    b = await instantiate({ variant });
  });

  test('the engine and TypeScript put a feature code on the same shard', () => {
    for (let i = 0; i < 200; i++) expect(b.shardOf(feature(i), AGENT_SHARDS)).toBe(agentShardOf(feature(i)));
    expect(b.shardOf('Ünïcödé feature', 7)).toBe(agentShardOf('Ünïcödé feature', 7));
  });

  test('a seeded bandit learns its best arm, and identical runs give identical Q-values', async () => {
    const run = async () => {
      const x = await instantiate({ variant });
      x.configureLearning({ seed: 11 });
      const means = [0.1, 0.2, 0.7, 0.3, -0.5];
      let s = 1;
      const noise = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 0.4;
      let late = 0;
      for (let e = 1; e <= 3000; e++) {
        const d = x.decide('bandit', e, { type: 'parameter' });
        const r = Math.max(-1, Math.min(1, means[d.actionIndex]! + noise()));
        expect(x.feedback('bandit', new Float64Array([e]), new Float32Array([r])).applied).toBe(1);
        if (e > 2500 && d.actionIndex === 2) late++;
      }
      const q = x.agentValues('bandit', { type: 'parameter' });
      x.close();
      return { q, late };
    };
    const a = await run(),
      c = await run();
    expect(Array.from(a.q.values).indexOf(Math.max(...a.q.values))).toBe(2);
    expect(a.late).toBeGreaterThanOrEqual(450);
    expect(Array.from(a.q.values)).toEqual(Array.from(c.q.values));
    expect(a.late).toBe(c.late);
  });

  test('the shipped build has no benchmark exports: the bench aids answer NOT_IN_BUILD', () => {
    expect(b.hasBenchExports).toBe(false);
    expect(codeOf(() => b.benchKernel(0, 0, 128, 10))).toBe('NOT_IN_BUILD');
    expect(codeOf(() => b.benchBatch(0, 0, 128, 100, 1))).toBe('NOT_IN_BUILD');
    expect(codeOf(() => b.benchLearn(0, 10, 1))).toBe('NOT_IN_BUILD');
    expect(codeOf(() => b.benchPopulate(1, 1))).toBe('NOT_IN_BUILD');
    expect(codeOf(() => b.heap())).toBe('NOT_IN_BUILD');
  });

  test('a cold agent answers DirectAnswer; bad input gives coded errors', () => {
    b.configureLearning({ epsilon: 0, epsilonMin: 0 });
    for (const type of QUERY_TYPES)
      expect(b.decide('cold', 1000 + QUERY_TYPES.indexOf(type), { type }).action).toBe('DirectAnswer');
    expect(codeOf(() => b.decide('', 1))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => b.decide('x'.repeat(300), 1))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => b.decide('cold', 0.5))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => b.feedback('cold', new Float64Array([1000]), new Float32Array([2])))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => b.feedback('nobody', new Float64Array([1]), new Float32Array([1])))).toBe('NOT_FOUND');
    expect(codeOf(() => b.configureLearning({ alpha: 0 }))).toBe('INVALID_ARGUMENT');
    // A bad integer setting is named as the caller wrote it (it was "learning
    // configuration value 9 must be a non-negative integer").
    for (const [key, value] of [
      ['seed', -1],
      ['trajectory', 1.5],
      ['maxStates', -3],
    ] as const) {
      const err = (() => {
        try {
          b.configureLearning({ [key]: value });
        } catch (e) {
          return e as ElexError;
        }
        return null;
      })();
      expect(err?.code).toBe('INVALID_ARGUMENT');
      expect(err?.message).toContain(`learning.${key} must be a non-negative integer, got ${value}`);
    }
    expect(codeOf(() => b.configureMemory(10))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => b.importAgent(new Uint8Array([1, 2, 3])))).not.toBe('no error');
    b.configureLearning({});
  });

  test("a worker's budget share of 4 GiB or more is no limit, not a wrapped one (createEngine failed 'a memory budget must be at least 64 KiB, got 0')", () => {
    const was = b.memoryStats().budgetBytes;
    for (const bytes of [2 ** 32 - 2 ** 16, 2 ** 32, 2 ** 32 + 2 ** 20, 5 * 2 ** 30, 2 ** 48]) {
      b.configureMemory(bytes);
      // A larger share holds all the wasm memory's cap allows (below).
      expect(b.memoryStats().budgetBytes).toBe((WASM_MEMORY_MAX_BYTES / 5) * 4);
    }
    b.configureMemory(was);
  });

  test("a worker's budget share is at most 4/5 of its wasm memory's cap (a larger one was never reached: calls failed OUT_OF_MEMORY instead of evicting)", () => {
    const was = b.memoryStats().budgetBytes;
    const most = (WASM_MEMORY_MAX_BYTES / 5) * 4; // 512 MiB of 640
    for (const [bytes, kept] of [
      [500 * 2 ** 20, 500 * 2 ** 20],
      [most, most],
      [most + 1, most],
      [WASM_MEMORY_MAX_BYTES, most],
      [2 ** 31, most],
    ]) {
      b.configureMemory(bytes!);
      expect(b.memoryStats().budgetBytes).toBe(kept);
    }
    b.configureMemory(was);
  });

  test('a snapshot in wasm memory (snapshotBlock / verifySnapshotIn / importAgentsAt) restores what the copying calls do', async () => {
    const x = await instantiate({ variant });
    await populateAgents(x, 24, 40);
    const meta = new TextEncoder().encode('{"fingerprint":"t"}');
    const copy = x.snapshot(0, 0, meta, new Uint8Array(0));
    const snap = x.snapshotBlock(0, 0, meta, new Uint8Array(0));
    expect(snap.count).toBe(copy.count);
    expect(Array.from(snap.block.view())).toEqual(Array.from(copy.bytes));
    snap.block.free();
    snap.block.free(); // idempotent
    expect(codeOf(() => snap.block.view())).toBe('INVALID_ARGUMENT');
    const y = await instantiate({ variant }),
      z = await instantiate({ variant });
    const viaCopy = y.importAgents(y.verifySnapshot(copy.bytes).records);
    expect(viaCopy.length).toBe(24);
    expect(viaCopy.every((st) => st === 0)).toBe(true);
    const block = z.allocBlock(copy.bytes.length);
    block.view().set(copy.bytes);
    const v = z.verifySnapshotIn(block);
    expect(new TextDecoder().decode(v.meta)).toBe('{"fingerprint":"t"}');
    expect(Array.from(z.importAgentsAt(block, v.records))).toEqual(Array.from(viaCopy));
    for (const code of ['FAJ 121 3000', 'FAJ 121 3011', 'FAJ 121 3023'])
      expect(Array.from(z.agentValues(code, { type: 'kpi' }).values)).toEqual(
        Array.from(y.agentValues(code, { type: 'kpi' }).values),
      );
    // Spans outside the block, and damage, give coded errors.
    expect(codeOf(() => z.importAgentsAt(block, [{ offset: block.size - 2, size: 4 }]))).toBe('INVALID_ARGUMENT');
    block.view()[block.size >> 1]! ^= 1;
    expect(codeOf(() => z.verifySnapshotIn(block))).toBe('CORRUPT_DATA');
    block.free();
    for (const i of [x, y, z]) i.close();
  });

  test('a call that cannot fit the budget fails with BUDGET_EXCEEDED and the instance keeps serving', () => {
    const x = b;
    x.configureMemory(1 << 20);
    expect(codeOf(() => x.reserve(4 << 20))).toBe('BUDGET_EXCEEDED');
    x.configureLearning({ trajectory: 1 << 20 });
    expect(codeOf(() => x.decide('huge', 5000))).toBe('BUDGET_EXCEEDED');
    x.configureLearning({});
    expect(x.decide('small', 5001).action).toBeDefined();
    expect(x.memoryStats().budgetFailures).toBeGreaterThanOrEqual(2);
    x.configureMemory(500 << 20);
  });
});

describe('AgentHost', () => {
  const hosts: AgentHost[] = [];
  afterEach(() => hosts.splice(0).forEach((h) => h.close()));
  let n = 0;
  const fresh = async (s: HostSetup) => {
    const h = new AgentHost(await instantiate({ variant: 'simd' }), s);
    hosts.push(h);
    return h;
  };

  test('evicted agents are stored and come back transparently, within the budget', async () => {
    const name = `evict-${n++}`;
    const h = await fresh(
      setup({
        memoryBudgetBytes: 256 << 10,
        learning: { trajectory: 32, replay: 32 },
        persist: { name, backend: 'memory', fingerprint: 'f' },
      }),
    );
    await h.open();
    let qid = 1;
    for (let i = 0; i < 200; i++) {
      const d = await h.decide(feature(i), qid, { type: 'kpi', context: i }, 0);
      expect(d.action).toBeDefined();
      await h.feedback(feature(i), new Float64Array([qid]), new Float32Array([i % 2 ? 1 : -1]));
      qid++;
      expect(h.stats().usedBytes).toBeLessThanOrEqual(256 << 10);
    }
    const st = h.stats();
    expect(st.evictions).toBeGreaterThan(0);
    expect(st.coldAgents).toBeGreaterThan(0);
    // Feature 0 was evicted long ago: its learned value is back on use.
    const v = await h.values(feature(0), { type: 'kpi', context: 0 });
    expect(v!.values[0]).toBeCloseTo(-0.1, 6);
    const w = await h.values(feature(1), { type: 'kpi', context: 1 });
    expect(w!.values[0]).toBeCloseTo(0.1, 6);
    expect((await new MemoryStore(name).keys('spill/')).length).toBeGreaterThan(0);
  });

  test('save and restore: values come back, into another worker count too; spills are folded in', async () => {
    const name = `save-${n++}`;
    const persist = { name, backend: 'memory' as const, fingerprint: 'cat-1' };
    const a = await fresh(setup({ persist }));
    await a.open();
    for (let i = 0; i < 40; i++) {
      await a.decide(feature(i), i + 1, { type: 'parameter' }, 0);
      await a.feedback(feature(i), new Float64Array([i + 1]), new Float32Array([0.5]));
    }
    const report = await a.save();
    expect(report.agents).toBe(40);
    expect(report.shards).toBeGreaterThan(0);
    // Two workers load the snapshot: each gets exactly its shards' agents.
    const w0 = await fresh(setup({ persist, worker: 0, workers: 2 }));
    const w1 = await fresh(setup({ persist, worker: 1, workers: 2 }));
    const r0 = await w0.open(),
      r1 = await w1.open();
    expect(r0.agents + r1.agents).toBe(40);
    for (let i = 0; i < 40; i++) {
      const host = agentShardOf(feature(i)) % 2 === 0 ? w0 : w1;
      const v = await host.values(feature(i), { type: 'parameter' });
      expect(v!.values[0]).toBeCloseTo(0.05, 6);
      expect(v!.visits).toBe(1);
    }
  });

  test('a restore is ready before its agents are loaded: a call loads what it needs first, the rest follows in the background, a save meanwhile keeps everything', async () => {
    const name = `lazy-${n++}`;
    const persist = { name, backend: 'memory' as const, fingerprint: 'cat-1' };
    const a = await fresh(setup({ persist }));
    await a.open();
    await populateAgents(a, 300, 30);
    await a.save();
    const state = { type: 'parameter' as const, complexity: 'simple' as const, confidence: 0.5 };
    const want = await a.values(feature(7), state);
    const b = await fresh(setup({ persist }));
    const r = await b.open();
    expect(r.agents).toBe(300);
    expect(r.resident).toBeLessThan(300); // not all loaded when the restore returns
    expect(r.residentMs).toBeNull();
    // Feature 7 was used early: it sits late in the load order, yet a call gets it now.
    expect(await b.values(feature(7), state)).toEqual(want);
    // A save before the background load is done still holds every agent.
    expect((await b.save()).agents).toBe(300);
    for (let i = 0; i < 200 && b.restored!.residentMs === null; i++) await new Promise((res) => setTimeout(res, 5));
    expect(b.restored!.residentMs).not.toBeNull();
    expect(b.restored!.resident).toBe(300);
    expect(b.stats().coldAgents).toBe(0);
    // A third host restores from b's snapshot and waits for nothing: values match.
    const c = await fresh(setup({ persist }));
    await c.open();
    for (const i of [0, 7, 150, 299])
      expect(await c.values(feature(i), state)).toEqual(await a.values(feature(i), state));
    c.close(); // mid-load: no stray errors, blocks freed
  });

  test('a damaged or foreign snapshot is refused with a clear error, and left untouched', async () => {
    const name = `bad-${n++}`;
    const persist = { name, backend: 'memory' as const, fingerprint: 'cat-1' };
    const a = await fresh(setup({ persist }));
    await a.open();
    await a.decide('FAJ 1', 1, {}, 0);
    await a.save();
    const store = new MemoryStore(name);
    const key = 'agents-w0-of-1';
    const foreign = await fresh(setup({ persist: { ...persist, fingerprint: 'cat-2' } }));
    await expect(foreign.open()).rejects.toMatchObject({ code: 'FOREIGN_DATA', message: expect.stringContaining(key) });
    const raw = store.raw(key)!;
    const before = raw.slice();
    raw[raw.length >> 1]! ^= 0x40;
    const damaged = raw.slice();
    const c = await fresh(setup({ persist }));
    const err = await c.open().then(
      () => null,
      (e: unknown) => e as ElexError,
    );
    expect(err?.code).toBe('CORRUPT_DATA');
    expect(err?.message).toContain(key);
    expect(Array.from(store.raw(key)!)).toEqual(Array.from(damaged)); // untouched
    raw.set(before);
    const d = await fresh(setup({ persist }));
    expect((await d.open()).agents).toBe(1);
  });

  test('without persistence nothing learned is lost to eviction', async () => {
    const h = await fresh(setup({ memoryBudgetBytes: 128 << 10, learning: { trajectory: 16, replay: 16 } }));
    await h.open();
    for (let i = 0; i < 120; i++) {
      await h.decide(feature(i), i + 1, {}, 0);
      await h.feedback(feature(i), new Float64Array([i + 1]), new Float32Array([1]));
    }
    expect(h.stats().evictions).toBeGreaterThan(0);
    for (let i = 0; i < 120; i += 17) expect((await h.values(feature(i), {}))!.values[0]).toBeCloseTo(0.1, 6);
    expect(await codeOfAsync(h.save())).toBe('PERSIST_UNAVAILABLE');
  });

  test("restored agents take this engine's learning settings (they explored with the saving engine's epsilon)", async () => {
    const persist = { name: `retune-${n++}`, backend: 'memory' as const, fingerprint: 'f' };
    const a = await fresh(setup({ persist, learning: { epsilon: 0.5, epsilonMin: 0.5 } }));
    await a.open();
    await a.decide('FAJ 121 0001', 1, { type: 'kpi' }, 0);
    await a.feedback('FAJ 121 0001', new Float64Array([1]), new Float32Array([1]));
    await a.save();
    const before = await a.values('FAJ 121 0001', { type: 'kpi' });
    const b = await fresh(setup({ persist, learning: { epsilon: 0, epsilonMin: 0 } }));
    await b.open();
    expect(await b.values('FAJ 121 0001', { type: 'kpi' })).toEqual(before); // what was learned stays
    let explored = 0;
    for (let q = 10; q < 110; q++) if ((await b.decide('FAJ 121 0001', q, { type: 'kpi' }, 0)).explored) explored++;
    expect(explored).toBe(0);
    expect((await b.info('FAJ 121 0001'))!.epsilon).toBe(0);
  });

  test('an evicted agent comes back when the budget is full: the agents evicted for it are stored first (it failed BUDGET_EXCEEDED "drain the spill queue")', async () => {
    const b = await instantiate({ variant: 'simd' });
    const h = new AgentHost(b, setup({ memoryBudgetBytes: 8 << 20, highWater: 1 }));
    hosts.push(h);
    await h.open();
    let q = 1;
    // Two agents with many states: an evicted one's record is a good part of its bytes.
    for (const code of ['FAJ 121 0001', 'FAJ 121 0002'])
      for (let k = 0; k < 3000; k++) {
        await h.decide(code, q, { context: k + 1 }, 0);
        await h.feedback(code, new Float64Array([q]), new Float32Array([0.5]));
        q++;
      }
    const want = await h.values('FAJ 121 0001', { context: 7 });
    let m = h.stats();
    // Indexes take all but room for one agent: the least recently used goes.
    b.setExternalBytes(m.budgetBytes - m.agentBytes / 2 - 1000);
    await h.reserve(0);
    m = h.stats();
    expect(m.coldAgents).toBe(1);
    // Now nothing is free: bringing it back means evicting the other.
    b.setExternalBytes(m.budgetBytes - m.agentBytes - m.spillBytes);
    expect(await h.values('FAJ 121 0001', { context: 7 })).toEqual(want);
    expect(await h.values('FAJ 121 0002', { context: 7 })).not.toBeNull();
    expect(h.stats().usedBytes).toBeLessThanOrEqual(h.stats().budgetBytes);
  });

  test('record heads are read in TypeScript as the engine writes them', async () => {
    const x = await instantiate({ variant: 'scalar' });
    x.decide('FAJ 7', 1);
    x.decide('FAJ 7', 2);
    const rec = x.exportAgent('FAJ 7');
    expect(recordHead(rec)).toEqual({ code: 'FAJ 7', version: x.agentInfo('FAJ 7')!.version });
    x.close();
  });
});

test('persist.fingerprint must be a non-empty string (a number or an empty string was taken as is)', async () => {
  const { resolvePersist } = await import('../../ts/api/engine-learn.ts');
  expect(resolvePersist({ name: 'n', fingerprint: '94082807a4c6f96b' }, 'cat')?.fingerprint).toBe('94082807a4c6f96b');
  expect(resolvePersist({ name: 'n' }, 'cat')?.fingerprint).toBe('cat');
  for (const fingerprint of [5, '', { hex: 'ab' }, 'x'.repeat(257)])
    expect(
      codeOf(() => resolvePersist({ name: 'n', fingerprint } as unknown as { name: string }, 'cat')),
      String(fingerprint),
    ).toBe('INVALID_ARGUMENT');
});

test('persist.autosaveMs that is not a number is INVALID_ARGUMENT (a string such as "5000" was taken, and then never autosaved)', async () => {
  const { resolvePersist } = await import('../../ts/api/engine-learn.ts');
  expect(resolvePersist({ name: 'n', autosaveMs: 5000 })?.autosaveMs).toBe(5000);
  expect(resolvePersist({ name: 'n', autosaveMs: Infinity })?.autosaveMs).toBe(Infinity);
  expect(resolvePersist({ name: 'n', autosaveMs: 0 })?.autosaveMs).toBe(0);
  for (const autosaveMs of ['5000', true, [], [5], NaN, -1]) {
    let err: ElexError | null = null;
    try {
      resolvePersist({ name: 'n', autosaveMs } as unknown as { name: string });
    } catch (e) {
      err = e as ElexError;
    }
    expect(err?.code, String(autosaveMs)).toBe('INVALID_ARGUMENT');
    expect(err?.message).toContain('persist.autosaveMs');
  }
  for (const autosaveEvery of ['100', 1.5, -1, true]) {
    let err: ElexError | null = null;
    try {
      resolvePersist({ name: 'n', autosaveEvery } as unknown as { name: string });
    } catch (e) {
      err = e as ElexError;
    }
    expect(err?.code, String(autosaveEvery)).toBe('INVALID_ARGUMENT');
    expect(err?.message).toContain('persist.autosaveEvery');
  }
});
