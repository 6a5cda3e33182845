/**
 * A dashboard embedding ELEX stays responsive while the engine starts: the
 * longest main-thread task during createEngine() + routerReady(), measured
 * with a 'longtask' PerformanceObserver and a 5 ms interval's longest gap,
 * for the default catalog, the facts catalog (by URL and as an object) and
 * a generated 5,000-feature catalog (generated here, never stored); the
 * bound holds for the quietest of two runs (of up to five while every run
 * is over it: a loaded machine).
 * ELEX_MAINTHREAD_20K=1 also measures 20,000 features (no assert: figures).
 */
import { existsSync, readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import type { DemoHandle } from '../demo/main.ts';
import { openDashboard } from './helpers.ts';

const factsPath = new URL('../../shared/data/ran-feature-facts.json', import.meta.url);
/** A generous bound: the catalog work of a 5,000-feature catalog took 1.1 s in one task before. */
const BOUND_MS = 200;
/** Runs of a case at most, while every run's longest task is over BOUND_MS (a loaded machine). */
const MAX_RUNS = 5;

/** A catalog of `n` features with 15 parameters, 4 counters and a KPI each (deterministic). */
function generated(n: number): string {
  const features: Record<string, unknown>[] = [];
  const parameters = [];
  const counters = [];
  const kpis = [];
  for (let i = 0; i < n; i++) {
    const code = `GEN ${100 + Math.floor(i / 10000)} ${String(i % 10000).padStart(4, '0')}`;
    const ps = Array.from({ length: 15 }, (_, j) => `GenMo${i % 97}.attr${i}x${j}`);
    const cs = Array.from({ length: 4 }, (_, j) => `GenMo${i % 97}.pmCounter${i}x${j}`);
    features.push({
      code,
      name: `Generated feature ${i} for load ${i % 13}`,
      category: `Category ${i % 16}`,
      description: `A generated feature number ${i} that tunes the handover, power and scheduling of cell group ${i % 50}.`,
      dependencies: i > 0 && i % 7 === 0 ? [features[i - 1]!.code] : [],
      parameters: ps,
      counters: cs,
      kpis: [`Gen KPI ${i}`],
    });
    for (const [j, name] of ps.entries())
      parameters.push({
        name,
        features: [code],
        type: 'int',
        unit: 'ms',
        range: [0, 1000 + j],
        default: 10,
        safe: { min: 0, max: 500, maxChange: 50, cooldownS: 60 },
        description: `Parameter ${j} of generated feature ${i}.`,
      });
    for (const name of cs) counters.push({ name, features: [code], unit: 'count' });
    kpis.push({
      name: `Gen KPI ${i}`,
      formula: `100 * ${cs[0]} / (${cs[1]} + 1)`,
      unit: '%',
      threshold: 95,
      direction: 'higher',
      features: [code],
    });
  }
  return JSON.stringify({
    format: 'elex-catalog',
    version: 1,
    name: `generated-${n}`,
    features,
    parameters,
    counters,
    kpis,
  });
}

interface Figures {
  longTaskMs: number;
  /** Of several runs: the longest task of the run whose longest task was shortest. */
  quietLongTaskMs?: number;
  maxGapMs: number;
  startMs: number;
  routerMs: number;
  features: number;
}

/** Starts an engine on `source` ('default', a URL, or 'object:<url>': fetched and parsed first) and measures the main thread. */
function measure(page: Page, source: string): Promise<Figures> {
  return page.evaluate(async (src) => {
    const { createEngine } = (window as unknown as { elexDemo: DemoHandle }).elexDemo;
    let catalog: unknown;
    if (src.startsWith('object:')) catalog = await (await fetch(src.slice(7))).json();
    else if (src !== 'default') catalog = src;
    await new Promise((r) => setTimeout(r, 300)); // let the page settle
    let longTaskMs = 0;
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longTaskMs = Math.max(longTaskMs, e.duration);
    });
    observer.observe({ type: 'longtask' });
    let last = performance.now();
    let maxGapMs = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      maxGapMs = Math.max(maxGapMs, now - last);
      last = now;
    }, 5);
    const t0 = performance.now();
    const engine = await createEngine({ workers: 2, ...(catalog === undefined ? {} : { catalog: catalog as string }) });
    const startMs = performance.now() - t0;
    await engine.routerReady();
    const routerMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 50)); // the last long task's entry
    clearInterval(timer);
    observer.disconnect();
    const features = engine.catalog()!.stats.features;
    await engine.close();
    return { longTaskMs, maxGapMs, startMs, routerMs, features };
  }, source);
}

async function serveCatalogs(page: Page, sizes: number[]): Promise<void> {
  for (const n of sizes) {
    const body = generated(n);
    await page.route(`**/generated-${n}.json`, (route) =>
      route.fulfill({
        body,
        contentType: 'application/json',
        headers: { 'Cross-Origin-Resource-Policy': 'same-origin' },
      }),
    );
  }
  if (existsSync(factsPath)) {
    const body = readFileSync(factsPath, 'utf8');
    await page.route('**/facts-catalog.json', (route) => route.fulfill({ body, contentType: 'application/json' }));
  }
}

test('startup keeps the main thread responsive: no long task over 200 ms with the facts and a 5,000-feature catalog', async ({
  page,
}) => {
  test.setTimeout(300_000);
  const big = process.env.ELEX_MAINTHREAD_20K === '1';
  await serveCatalogs(page, big ? [5000, 20000] : [5000]);
  await openDashboard(page, '?persist=0');
  const cases: [string, string][] = [['default', 'default']];
  if (existsSync(factsPath))
    cases.push(['facts (URL)', '/facts-catalog.json'], ['facts (object)', 'object:/facts-catalog.json']);
  cases.push(['5,000 (URL)', '/generated-5000.json'], ['5,000 (object)', 'object:/generated-5000.json']);
  if (big) cases.push(['20,000 (URL)', '/generated-20000.json'], ['20,000 (object)', 'object:/generated-20000.json']);
  // ELEX_MAINTHREAD_RUNS=n: each case n times, with medians (for before/after start-up times).
  // Two runs at least: the bound is asserted on the quietest run, since the
  // machine's load can stretch one task (the one-task loads failed it in every run).
  // While every run of an asserted case is over the bound, it runs again, up to
  // MAX_RUNS: other work on the machine stretched the chunked work's tasks past it
  // in both runs (quieter run 261 ms under a load of 14 on 2 cores, 70 ms at 7),
  // where the one-task load it guards against is over it in every run.
  const runs = Math.max(2, Number(process.env.ELEX_MAINTHREAD_RUNS ?? 2));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const figures: Record<string, Figures> = {};
  for (const [label, src] of cases) {
    const all: Figures[] = [];
    const asserted = /facts|5,000/.test(label);
    const quiet = () => Math.min(...all.map((x) => x.longTaskMs));
    while (all.length < runs || (asserted && all.length < MAX_RUNS && quiet() >= BOUND_MS))
      all.push(await measure(page, src));
    const f: Figures = {
      longTaskMs: Math.max(...all.map((x) => x.longTaskMs)),
      quietLongTaskMs: Math.min(...all.map((x) => x.longTaskMs)),
      maxGapMs: Math.max(...all.map((x) => x.maxGapMs)),
      startMs: median(all.map((x) => x.startMs)),
      routerMs: median(all.map((x) => x.routerMs)),
      features: all[0]!.features,
    };
    figures[label] = f;
    console.log(
      `${label.padEnd(16)} longest task ${f.longTaskMs.toFixed(0).padStart(5)} ms (quietest run ${f.quietLongTaskMs!.toFixed(0)} ms), longest 5 ms-timer gap ${f.maxGapMs
        .toFixed(0)
        .padStart(
          5,
        )} ms, ready ${f.startMs.toFixed(0)} ms, routers ${f.routerMs.toFixed(0)} ms (${f.features} features${
        all.length > 1 ? `, medians of ${all.length}` : ''
      })`,
    );
  }
  for (const [label, f] of Object.entries(figures)) {
    if (!/facts|5,000/.test(label)) continue;
    expect(f.quietLongTaskMs, `${label}: longest task of the quietest run`).toBeLessThan(BOUND_MS);
  }
});
