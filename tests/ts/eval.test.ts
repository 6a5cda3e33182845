/**
 * Routing accuracy on the eval set (eval/questions.json, 301 questions over
 * the default catalog, a third of them paraphrases that name no feature,
 * parameter or acronym), through the real wasm router in node.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openHost } from './helpers.ts';
import { instantiate, type Bindings } from '../../ts/bindings/bindings.ts';
import { RanHost } from '../../ts/host/ran-host.ts';

interface Question {
  q: string;
  expected: string;
  kind: 'named' | 'identifier' | 'paraphrase';
}

const evalSet = JSON.parse(readFileSync(new URL('../../eval/questions.json', import.meta.url), 'utf8')) as {
  questions: Question[];
};
let b: Bindings;
let ran: RanHost;

beforeAll(async () => {
  b = await instantiate({ variant: 'simd' });
  const host = await openHost(b);
  const json = readFileSync(new URL('../../build/catalog/default.json', import.meta.url), 'utf8');
  ran = await new RanHost(
    b,
    host,
    { catalogJson: json, dim: Number(process.env.ELEX_EVAL_DIM ?? 512), worker: 0, workers: 1 },
    () => {},
  ).build();
}, 120_000);
afterAll(() => ran?.close());

test('the eval set is what it says: ≥ 300 questions, a third of them paraphrases', () => {
  expect(evalSet.questions.length).toBeGreaterThanOrEqual(300);
  const para = evalSet.questions.filter((q) => q.kind === 'paraphrase').length;
  expect(para * 3).toBeGreaterThanOrEqual(evalSet.questions.length);
});

test('routing top-1 ≥ 85 % on the eval set', () => {
  const byKind = new Map<string, { n: number; top1: number; top5: number }>();
  const misses: string[] = [];
  for (const { q, expected, kind } of evalSet.questions) {
    const got = ran.route(q, 5).features.map((f) => f.code);
    const s = byKind.get(kind) ?? { n: 0, top1: 0, top5: 0 };
    s.n++;
    if (got[0] === expected) s.top1++;
    else misses.push(`${kind}: ${q} → ${got[0]} (want ${expected})`);
    if (got.includes(expected)) s.top5++;
    byKind.set(kind, s);
  }
  const all = [...byKind.values()].reduce((a, s) => ({ n: a.n + s.n, top1: a.top1 + s.top1, top5: a.top5 + s.top5 }), {
    n: 0,
    top1: 0,
    top5: 0,
  });
  const pct = (x: number, n: number) => `${((100 * x) / n).toFixed(1)} %`;
  for (const [kind, s] of byKind) console.log(`${kind}: top-1 ${pct(s.top1, s.n)}, top-5 ${pct(s.top5, s.n)} (${s.n})`);
  console.log(`all: top-1 ${pct(all.top1, all.n)}, top-5 ${pct(all.top5, all.n)} (${all.n})`);
  console.log(misses.slice(0, 40).join('\n'));
  expect(all.top1 / all.n).toBeGreaterThanOrEqual(0.85);
});

test('KPI history is kept per cell, whatever the order of the cells in a batch', () => {
  // A ratio over two counters, so that the two counter orders below make two KPI-set keys.
  const countersOf = (formula: string) =>
    [...new Set(formula.match(/[A-Za-z_][\w]*\.[\w]+/g) ?? [])].filter((c) => ran.catalog.counters.has(c));
  const kpi = [...ran.catalog.kpis.values()].find(
    (k) => k.formula && /\//.test(k.formula) && countersOf(k.formula).length >= 2,
  )!;
  const counters = countersOf(kpi.formula!);
  const P = 24,
    cells = ['cell-a', 'cell-b', 'cell-c'];
  const batch = (order: number[], counterOrder: number[], seed: number) => {
    const data = new Float32Array(order.length * counters.length * P);
    order.forEach((cell, i) =>
      counterOrder.forEach((ctr, j) => {
        for (let t = 0; t < P; t++) {
          // Cell- and period-dependent, with a spike in the last period of the second batch.
          const v = 100 + 10 * cell + ((t * 7 + ctr * 3 + seed) % 11) + (seed === 2 && t === P - 1 ? 400 * ctr : 0);
          data[(i * counters.length + j) * P + t] = v;
        }
      }),
    );
    return ran.monitor({
      cells: order.map((c) => cells[c]!),
      counters: counterOrder.map((c) => counters[c]!),
      periods: P,
      data,
      kpis: [kpi.name],
      zThreshold: 2,
      minHistory: 8,
      perPeriod: false,
    });
  };
  const natural = counters.map((_, i) => i),
    reversed = [...natural].reverse();
  // Same history built twice under two KPI-set keys (the counter order differs),
  // the second batch in the original cell order on one and reversed on the other.
  batch([0, 1, 2], natural, 1);
  batch([0, 1, 2], reversed, 1);
  const same = batch([0, 1, 2], natural, 2);
  const swapped = batch([2, 0, 1], reversed, 2);
  for (const [i, c] of [2, 0, 1].entries()) {
    expect(swapped.maxZ[i]).toBe(same.maxZ[c]);
    expect(swapped.anomalies[i]).toBe(same.anomalies[c]);
  }
  expect(same.maxZ.some((z) => z > 0)).toBe(true); // scored against the first batch
});

test('a catalog of strings at their 4,096-unit limit in non-ASCII text builds a router that routes (texts clipped to the engine limit)', async () => {
  const long = (ch: string) => ch.repeat(4096);
  const params = Array.from({ length: 40 }, (_, i) => `Mo${i}.a${'x'.repeat(4000)}${i}`);
  const catalog = {
    format: 'elex-catalog',
    version: 1,
    features: [
      {
        code: 'FAJ 121 0001',
        name: `Sleep ${long('語').slice(0, 4000)}`,
        category: long('ü'),
        description: long('語'),
        parameters: params,
        counters: [`Mo.pmSleep${'ß'.repeat(4000)}`],
      },
      { code: 'FAJ 121 0002', name: 'Carrier Aggregation', description: 'aggregates carriers' },
    ],
    parameters: params.map((name) => ({ name, description: long('語') })),
  };
  const host = await openHost(b);
  const r = await new RanHost(
    b,
    host,
    { catalogJson: JSON.stringify(catalog), dim: 64, worker: 0, workers: 1 },
    () => {},
  ).build();
  expect(r.route('carrier aggregation', 2).features[0]!.code).toBe('FAJ 121 0002');
  expect(r.route(`sleep ${'語'.repeat(30)}`, 2).features[0]!.code).toBe('FAJ 121 0001');
  r.close();
});
