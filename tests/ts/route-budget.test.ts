/**
 * The route memory (rated questions that teach routing) inside the memory
 * budget: it gives way (oldest rated questions forgotten first) rather than
 * taking a worker past its budget or starving its agents, and what
 * feedback teaches still works once it has.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { instantiate, type Bindings } from '../../ts/bindings/bindings.ts';
import { AgentHost } from '../../ts/host/agent-host.ts';
import { RanHost } from '../../ts/host/ran-host.ts';

let b: Bindings;
let idle = 0;
const json = readFileSync(new URL('../../build/catalog/default.json', import.meta.url), 'utf8');
const open: RanHost[] = [];

/** A worker's hosts as worker.ts wires them: the router's bytes are the worker's external bytes. */
async function hosts(budget: number) {
  const agents = new AgentHost(b, {
    memoryBudgetBytes: budget,
    highWater: 1,
    learning: {},
    persist: null,
    worker: 0,
    workers: 1,
  });
  await agents.open();
  const ran = await new RanHost(b, agents, { catalogJson: json, dim: 512, worker: 0, workers: 1 }, (bytes) =>
    b.setExternalBytes(bytes),
  ).build();
  open.push(ran);
  return { agents, ran };
}

/** A rated question of 2,000 characters, distinct per i. */
const long = (i: number) =>
  `question ${i}: ${'why do UEs drop during X2 handover with carrier aggregation on '.repeat(40)}`.slice(0, 2000);

beforeAll(async () => {
  b = await instantiate({ variant: 'simd' });
  await hosts(500 << 20);
  idle = b.memoryStats().usedBytes; // the router with no rated question
  open.pop()!.close();
}, 60_000);
afterAll(() => {
  for (const r of open) r.close();
  b?.close();
});

test('2,000 rated 2,000-character questions stay inside a budget 3 MiB over idle (1,200 took it to 104 %), the oldest forgotten first', async () => {
  const { ran } = await hosts(idle + (3 << 20));
  const codes = ran
    .routeBatch(['MIMO sleep mode', 'carrier aggregation', 'load balancing'], 3)
    .features.flat()
    .map((f) => f.code);
  let worst = 0;
  for (let i = 0; i < 2000; i++) {
    ran.learnRoute([{ text: long(i), code: codes[i % codes.length]!, reward: i % 3 ? 1 : -1, at: 1e12 + i }]);
    const m = b.memoryStats();
    worst = Math.max(worst, m.usedBytes / m.budgetBytes);
  }
  const st = ran.stats();
  expect(worst).toBeLessThanOrEqual(1);
  expect(st.routeMemoryForgotten).toBeGreaterThan(0);
  expect(st.routeMemory + st.routeMemoryForgotten).toBe(2000);
  expect(st.routeMemory).toBeGreaterThan(100); // it gave way, it did not empty
  // What it kept are the newest (what a save writes, oldest first).
  const kept = ran.routeMemory();
  expect(kept.at(-1)!.at).toBe(1e12 + 1999);
  expect(kept[0]!.at).toBe(1e12 + 2000 - kept.length);
  // Feedback still teaches routing once it has given way: a 👍 on the
  // fifth candidate of a new question makes it the first.
  const q = 'which feature keeps the downlink scheduler fair between cells at night';
  const fifth = ran.route(q, 5).features[4]!;
  ran.learnRoute([{ text: q, code: fifth.code, reward: 1, at: 2e12 }]);
  const now = ran.route(q, 5).features[0]!;
  expect(now.code).toBe(fifth.code);
  expect(now.evidence.feedback).toBeGreaterThan(0.5);
  expect(b.memoryStats().usedBytes).toBeLessThanOrEqual(b.memoryStats().budgetBytes);
}, 120_000);

test('a new agent that does not fit beside a full route memory gets room from it (it failed BUDGET_EXCEEDED "0 evictable")', async () => {
  const { agents, ran } = await hosts(idle + (1 << 20));
  const code = ran.route('MIMO sleep mode', 1).features[0]!.code;
  for (let i = 0; i < 600; i++) ran.learnRoute([{ text: long(i), code, reward: 1, at: 1e12 + i }]);
  const before = ran.stats().routeMemory;
  expect(b.memoryStats().budgetBytes - b.memoryStats().usedBytes).toBeLessThan(64 << 10); // full
  // Agents with many states each: each needs room the route memory holds.
  let q = 1;
  for (let a = 0; a < 3; a++)
    for (let k = 0; k < 400; k++) {
      await agents.decide(`FAJ 121 ${5000 + a}`, q, { context: k + 1 }, 0);
      await agents.feedback(`FAJ 121 ${5000 + a}`, new Float64Array([q++]), new Float32Array([1]));
    }
  expect(ran.stats().routeMemory).toBeLessThan(before);
  expect(ran.stats().routeMemory).toBeGreaterThan(0);
  const m = b.memoryStats();
  expect(m.usedBytes).toBeLessThanOrEqual(m.budgetBytes);
}, 120_000);
