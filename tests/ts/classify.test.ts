/**
 * The question classifier through the engine (engine/include/elex/ran/classify.h;
 * every rule has its GoogleTest in tests/cpp/classify_test.cpp): Bindings.classify
 * over merged candidates, and the router's own classification with each route.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { instantiate, type Bindings, type ClassifyCandidate, type RouterHandle } from '../../ts/bindings/bindings.ts';
import { codeOf } from './helpers.ts';

let b: Bindings;
let router: RouterHandle;

beforeAll(async () => {
  b = await instantiate({ variant: 'simd' });
  router = b.createRouter({
    dim: 64,
    weights: { vector: 0.5, exact: 0.5, lexical: 1, feedback: 1, item: 0.15, technology: 0.2, direction: 0.1 },
    features: [
      { code: 'FAJ 1', name: 'MIMO Sleep Mode', acronym: 'MSM', category: 'Energy', description: '' },
      { code: 'FAJ 2', name: 'Carrier Aggregation', acronym: 'CA', category: 'Capacity', description: '' },
    ],
    hosted: [true, true],
    items: [
      { kind: 'parameter', name: 'AntennaUnitGroup.mimoSleepStartTime', description: '', features: [0] },
      { kind: 'counter', name: 'pmCaActivations', description: '', features: [1] },
    ],
    featureItems: [[0], [1]],
    glossary: [],
  });
}, 60_000);
afterAll(() => router?.close());

const f = (score: number, kind: 'parameter' | 'counter' | 'kpi' | 'feature' = 'feature', exact = false) =>
  ({ score, matched: [{ kind, score, exact }] }) satisfies ClassifyCandidate;

test('types follow the documented order of rules', () => {
  const type = (q: string, c: ClassifyCandidate[] = []) => b.classify(q, c).type;
  expect(type('why do handovers fail at night')).toBe('troubleshoot');
  expect(type('how do I enable carrier aggregation')).toBe('procedure');
  expect(type('what is the success rate of X')).toBe('kpi');
  expect(type('show the pmFoo counter')).toBe('counter');
  expect(type('which timer controls it')).toBe('parameter');
  expect(type('tell me about carrier aggregation')).toBe('general');
  expect(type('EUtranCellFDD.foo', [f(0.9, 'parameter', true)])).toBe('parameter');
  expect(type('x', [f(0.9, 'kpi'), f(0.85, 'counter')])).toBe('kpi');
});

test('complexity: weak near-equal candidates do not make a question complex', () => {
  const q = 'Which parameters control MIMO sleep start time?';
  expect(b.classify(q, [f(0.27, 'parameter'), f(0.23), f(0.22), f(0.2)]).complexity).toBe('simple');
  expect(b.classify(q, [f(0.9), f(0.85), f(0.8)]).complexity).toBe('complex');
  expect(b.classify(q, [f(0.9), f(0.8)]).complexity).toBe('moderate');
  expect(b.classify('compare carrier aggregation versus dual connectivity', [f(0.9)]).complexity).toBe('complex');
  expect(b.classify('a b c d e f g h i j k l m n', []).complexity).toBe('moderate');
  expect(b.classify('x', [f(0.9, 'parameter'), f(0.1, 'counter')]).complexity).toBe('simple');
  expect(
    b.classify('x', [{ score: 0.9, matched: [...f(0.9, 'parameter').matched, ...f(0.9, 'kpi').matched] }]),
  ).toEqual({ type: 'kpi', complexity: 'moderate' });
});

test('the router classifies each question over the features it routed', () => {
  const r = router.routeQuery('why does AntennaUnitGroup.mimoSleepStartTime not apply', 2);
  expect(r.features[0]!.feature).toBe(0);
  expect(r.type).toBe('troubleshoot');
  // The same candidates through Bindings.classify give the same answer.
  const kinds = ['feature', 'parameter', 'counter', 'kpi'] as const;
  const cands = r.features.map((x) => ({
    score: x.score,
    matched: x.matched.map((m) => ({ kind: kinds[m.item < 2 ? 0 : m.item - 1]!, exact: m.exact, score: m.score })),
  }));
  expect(b.classify('why does AntennaUnitGroup.mimoSleepStartTime not apply', cands)).toEqual({
    type: r.type,
    complexity: r.complexity,
  });
  const p = router.routeQuery('AntennaUnitGroup.mimoSleepStartTime', 2);
  expect(p.type).toBe('parameter');
  // Its card shows the parameter it matched.
  expect(p.features[0]!.card & 15).toBeGreaterThan(0);
});

test('a bad kind or text is refused with a coded error', () => {
  expect(codeOf(() => b.classify(42 as unknown as string, []))).toBe('INVALID_ARGUMENT');
  expect(
    codeOf(() => b.classify('x', [{ score: 1, matched: [{ kind: 'bogus' as 'kpi', exact: false, score: 1 }] }])),
  ).toBe('INVALID_ARGUMENT');
});

test('each routed feature reports the technology and direction it was moved by', () => {
  const r = b.createRouter({
    dim: 64,
    weights: { vector: 0.5, exact: 0.5, lexical: 1, feedback: 1, item: 0.15, technology: 0.2, direction: 0.1 },
    features: [
      { code: 'FAJ 1', name: 'Scheduling', category: 'Capacity' },
      { code: 'FAJ 2', name: 'Scheduling', category: 'Capacity' },
    ],
    hosted: [true, true],
    items: [
      { kind: 'counter', name: 'EUtranCellFDD.pmSchedDelayUl', features: [0] },
      { kind: 'counter', name: 'NRCellDU.pmSchedDelayDl', features: [1] },
    ],
    featureItems: [[0], [1]],
    glossary: [],
  });
  try {
    const byCode = (q: string) => new Map(r.route(q, 2).map((x) => [x.feature, x.evidence]));
    // Uplink on the gNodeB: FAJ 1 is LTE only (−1) and uplink (+1/3); FAJ 2 NR, downlink (−1/3).
    const e = byCode('uplink sched delay on the gNodeB');
    expect(e.get(0)).toMatchObject({ technology: -1 });
    expect(e.get(0)!.direction).toBeCloseTo(1 / 3, 6);
    expect(e.get(1)).toMatchObject({ technology: 0 });
    expect(e.get(1)!.direction).toBeCloseTo(-1 / 3, 6);
    // Neither named: nothing moved.
    for (const x of byCode('sched delay').values()) expect([x.technology, x.direction]).toEqual([0, 0]);
  } finally {
    r.close();
  }
});
