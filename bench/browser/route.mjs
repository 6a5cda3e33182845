// npm run bench:route
// Routing measured from outside, beside a plain BM25 peer in the same run:
//   - the synthetic set (eval/questions.json) over the default catalog;
//   - the hand-written set (eval/facts-questions.json: dev and held-out
//     splits, five styles) over ../shared/data/ran-feature-facts.json, the
//     593 real features, with the paraphrases of named features' purpose
//     (eval/facts-paraphrases.json, split "probe"), and questions about
//     features no other set asks about (eval/facts-outside.json, split
//     "outside");
// ELEX routes through the public engine in headless Chromium (createEngine
// with the catalog, query() with k 5; each set in a new browser, so that
// each set's first, cold build runs the wasm code untiered, as a user's
// first visit does); the peer is MiniSearch 7.2 with its
// default options (BM25) over one document per feature (code, name,
// acronym, category, parameter, counter and KPI identifiers), in Node.
// Prints top-1 / top-5 per set, split and style, the router build time,
// memory and route p50/p95 (first pass; then the same questions again in
// that engine, the steady state); the ablations (each signal off, the default
// glossary off: createEngine({ routing })); and, on the held-out facts
// questions, top-1 before and after feedback on half of them (the public
// feedback(queryId, reward, { feature })). Writes
// bench/report/route-bench.json.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { bm25Peer } from '../bm25-peer.mjs';
import os from 'node:os';
import { median, openBenchPage } from './harness.mjs';

const FACTS = '../shared/data/ran-feature-facts.json';
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const percent = (x, n) => (n ? `${((100 * x) / n).toFixed(1)} %` : '—');

/** Top-1 / top-5 of `tops` (arrays of codes) against `questions`, grouped by `key`. */
function score(questions, tops, key) {
  const groups = new Map();
  questions.forEach((q, i) => {
    for (const g of ['all', key(q)]) {
      const s = groups.get(g) ?? { n: 0, top1: 0, top5: 0 };
      s.n++;
      if (tops[i][0] === q.code) s.top1++;
      if (tops[i].includes(q.code)) s.top5++;
      groups.set(g, s);
    }
  });
  return Object.fromEntries(groups);
}

const sets = [];
const synthetic = JSON.parse(readFileSync('eval/questions.json', 'utf8')).questions.map((q) => ({
  q: q.q,
  code: q.expected,
  style: q.kind,
  split: 'all',
}));
const defaultCatalog = (await import('../../scripts/catalog-generator.mjs')).generateCatalog();
sets.push({ name: 'synthetic (default catalog)', catalog: defaultCatalog, pass: null, questions: synthetic });
if (existsSync(FACTS) && existsSync('eval/facts-questions.json')) {
  const facts = JSON.parse(readFileSync(FACTS, 'utf8'));
  const questions = JSON.parse(readFileSync('eval/facts-questions.json', 'utf8')).questions;
  // Paraphrases of named features' purpose (split "probe"), held out.
  if (existsSync('eval/facts-paraphrases.json'))
    questions.push(...JSON.parse(readFileSync('eval/facts-paraphrases.json', 'utf8')).questions);
  // Features no other set asks about (split "outside"), held out.
  if (existsSync('eval/facts-outside.json'))
    questions.push(...JSON.parse(readFileSync('eval/facts-outside.json', 'utf8')).questions);
  sets.push({ name: 'hand-written (facts catalog)', catalog: facts, pass: facts, questions });
} else console.log(`(no ${FACTS} or eval/facts-questions.json: the facts set is skipped)`);

/** How many of the first questions after routerReady() the firstMs figure covers. */
const FIRST_N = 50;

const session = await openBenchPage(Number(process.env.BENCH_PORT ?? 4186));
const report = { generatedAt: new Date().toISOString(), browser: session.browser.version(), sets: [] };
try {
  for (const [n, set] of sets.entries()) {
    // Each set starts in a new browser: its first engine (the cold build
    // measured) runs the wasm code as a first visit does, in the baseline
    // tier until functions tier up; a set measured after another would
    // inherit that set's tiered-up code and look faster than it is.
    const page = n === 0 ? session.page : await session.fresh();
    const texts = set.questions.map((q) => q.q);
    const elex = await page.evaluate(
      ([catalog, qs]) => window.elexBench.routeBench(catalog, qs, undefined, undefined, true),
      [set.pass, texts],
    );
    const cached = await page.evaluate((catalog) => window.elexBench.routeCacheBench(catalog), set.pass);
    const t = performance.now();
    const peerSearch = bm25Peer(set.catalog);
    const peerBuildMs = performance.now() - t;
    const peerTops = texts.map((q) => peerSearch(q));
    const splitSearch = bm25Peer(set.catalog, true);
    const splitTops = texts.map((q) => splitSearch(q));
    const elexTops = elex.results.map((r) => r.top);
    const by = (q) => (q.split === 'all' ? q.style : `${q.split} · ${q.style}`);
    const bySplit = (q) => q.split;
    const entry = {
      name: set.name,
      questions: set.questions.length,
      features: new Set(set.questions.map((q) => q.code)).size,
      elex: {
        variant: elex.variant,
        workers: elex.workers,
        readyMs: elex.readyMs,
        routerReadyMs: elex.builtMs,
        routerBuildMs: elex.routerBuildMs,
        routerBytes: elex.routerBytes,
        routerPhases: elex.routerPhases,
        // Fast-path calls, answers caught by the page's polling (spinHits) and after a wait (waits).
        fastPath: elex.fastPath,
        // The router cache: the first engine builds and keeps, the next ones load.
        cache: {
          first: cached.first,
          loads: cached.loads,
          buildMs: median(cached.loads.map((x) => x.buildMs)),
          readyMs: median(cached.loads.map((x) => x.readyMs)),
          states: [...new Set(cached.loads.flatMap((x) => x.cache))],
        },
        routeMs: {
          p50: median(elex.results.map((r) => r.routeMs)),
          p95: pct(
            elex.results.map((r) => r.routeMs),
            0.95,
          ),
        },
        totalMs: {
          p50: median(elex.results.map((r) => r.totalMs)),
          p95: pct(
            elex.results.map((r) => r.totalMs),
            0.95,
          ),
        },
        // The first questions after routerReady(), asked at once (the code
        // they run is cold): the first one, and the first FIRST_N's p50 / p95.
        firstMs: {
          first: elex.results[0]?.totalMs ?? null,
          n: Math.min(FIRST_N, elex.results.length),
          p50: median(elex.results.slice(0, FIRST_N).map((r) => r.totalMs)),
          p95: pct(
            elex.results.slice(0, FIRST_N).map((r) => r.totalMs),
            0.95,
          ),
        },
        // The same questions a second time in the same engine (its code warm by then): beside the first pass above.
        steadyMs: elex.again?.length
          ? {
              p50: median(elex.again),
              p95: pct(elex.again, 0.95),
            }
          : null,
        // The query cycle by stage (QueryResult.timings): route and agents
        // in the worker, gather = the rest (transport, scheduling, the page).
        stagesMs: Object.fromEntries(
          ['route', 'agents', 'gather', 'total'].map((k) => [
            k,
            {
              p50: median(elex.results.map((r) => r.timings[k])),
              p95: pct(
                elex.results.map((r) => r.timings[k]),
                0.95,
              ),
            },
          ]),
        ),
        byStyle: score(set.questions, elexTops, by),
        bySplit: score(set.questions, elexTops, bySplit),
      },
      peer: {
        name: 'MiniSearch 7.2 (BM25, default options)',
        buildMs: peerBuildMs,
        byStyle: score(set.questions, peerTops, by),
        bySplit: score(set.questions, peerTops, bySplit),
      },
      peerSplit: {
        name: 'MiniSearch 7.2, identifiers also indexed as words',
        byStyle: score(set.questions, splitTops, by),
        bySplit: score(set.questions, splitTops, bySplit),
      },
    };
    // Ablations: the same questions with one signal (or the default glossary) off.
    entry.ablations = [];
    for (const [name, routing] of [
      ['no vector', { weights: { vector: 0 } }],
      ['no exact', { weights: { exact: 0 } }],
      ['no lexical', { weights: { lexical: 0 } }],
      ['no technology', { weights: { technology: 0 } }],
      ['no direction', { weights: { direction: 0 } }],
      ['no default glossary', { defaultGlossary: false }],
    ]) {
      const a = await page.evaluate(
        ([catalog, qs, r]) => window.elexBench.routeBench(catalog, qs, r),
        [set.pass, texts, routing],
      );
      entry.ablations.push({
        name,
        routing,
        bySplit: score(
          set.questions,
          a.results.map((r) => r.top),
          bySplit,
        ),
      });
    }
    // Feedback teaches routing: the held-out questions of each feature halved.
    const heldout = set.questions.filter((q) => q.split === 'heldout');
    if (heldout.length > 0) {
      const byCode = new Map();
      for (const q of heldout) byCode.set(q.code, [...(byCode.get(q.code) ?? []), q]);
      const taught = [],
        other = [],
        unrated = [];
      for (const list of byCode.values()) {
        if (list.length < 2) unrated.push(...list);
        else {
          taught.push(...list.slice(0, list.length >> 1));
          other.push(...list.slice(list.length >> 1));
        }
      }
      const measure = [...other, ...unrated, ...taught];
      const f = await page.evaluate(
        ([catalog, t, m]) => window.elexBench.routeFeedbackBench(catalog, t, m),
        [set.pass, taught.map(({ q, code }) => ({ q, code })), measure.map(({ q, code }) => ({ q, code }))],
      );
      const part = (from, n) => ({
        n,
        before: f.before.slice(from, from + n).filter(Boolean).length / n,
        after: f.after.slice(from, from + n).filter(Boolean).length / n,
      });
      entry.feedback = {
        ratings: f.ratings,
        routeMemory: f.memory,
        other: part(0, other.length),
        unrated: part(other.length, unrated.length),
        taught: part(other.length + unrated.length, taught.length),
      };
    }
    report.sets.push(entry);
    console.log(`\n${entry.name}: ${entry.questions} questions on ${entry.features} features`);
    console.log(
      `  ELEX (${elex.variant}, ${elex.workers} worker(s)): engine ready ${elex.readyMs.toFixed(0)} ms, router ready ${elex.builtMs.toFixed(0)} ms after createEngine() (build ${elex.routerBuildMs.toFixed(0)} ms); route p50 ${entry.elex.routeMs.p50.toFixed(3)} ms, p95 ${entry.elex.routeMs.p95.toFixed(3)} ms; query p95 ${entry.elex.totalMs.p95.toFixed(2)} ms`,
    );
    const f = entry.elex.firstMs;
    console.log(
      `  the first ${f.n} questions after routerReady(): the first ${f.first?.toFixed(2)} ms; p50 ${f.p50.toFixed(3)} ms, p95 ${f.p95.toFixed(2)} ms`,
    );
    if (entry.elex.steadyMs)
      console.log(
        `  the same questions again in that engine (steady): query p50 ${entry.elex.steadyMs.p50.toFixed(3)} ms, p95 ${entry.elex.steadyMs.p95.toFixed(2)} ms`,
      );
    const c = entry.elex.cache;
    console.log(
      `  router cache: first engine (code tiered up by then) ${c.first.cache.join('/')} build ${c.first.buildMs.toFixed(0)} ms; next ${c.loads.length} engines ${c.states.join('/')}: build median ${c.buildMs.toFixed(1)} ms (runs ${c.loads.map((x) => x.buildMs.toFixed(1)).join(', ')}), router ready ${c.readyMs.toFixed(0)} ms after createEngine()`,
    );
    console.log(
      `  query cycle by stage, p50 / p95 ms: ${Object.entries(entry.elex.stagesMs)
        .map(([k, v]) => `${k} ${v.p50.toFixed(3)} / ${v.p95.toFixed(3)}`)
        .join(', ')}; load average ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' / ')}`,
    );
    const fp = entry.elex.fastPath;
    if (fp)
      console.log(
        `  fast path: ${fp.calls} calls (${fp.fallbacks} by postMessage); answers caught by the page's polling ${fp.spinHits}, after a wait ${fp.waits}`,
      );
    console.log(
      `  ${'group'.padEnd(26)} ${'n'.padStart(4)}   ELEX top-1 / top-5   MiniSearch top-1 / top-5   + split ids top-1 / top-5`,
    );
    const rows = { ...entry.elex.bySplit, ...entry.elex.byStyle };
    const peerRows = { ...entry.peer.bySplit, ...entry.peer.byStyle };
    const splitRows = { ...entry.peerSplit.bySplit, ...entry.peerSplit.byStyle };
    const pair = (s) => `${percent(s.top1, s.n).padStart(7)} / ${percent(s.top5, s.n).padStart(7)}`;
    for (const [g, s] of Object.entries(rows))
      console.log(
        `  ${g.padEnd(26)} ${String(s.n).padStart(4)}   ${pair(s)}      ${pair(peerRows[g])}        ${pair(splitRows[g])}`,
      );
    console.log(
      `  router memory ${(entry.elex.routerBytes / 1048576).toFixed(1)} MiB (all workers); build of the slowest worker: ${Object.entries(
        entry.elex.routerPhases,
      )
        .map(([k, v]) => `${k} ${v.toFixed(0)} ms`)
        .join(', ')}`,
    );
    for (const a of entry.ablations)
      console.log(
        `  ablation ${a.name.padEnd(20)} ${Object.entries(a.bySplit)
          .map(([g, s]) => `${g} ${pair(s)}`)
          .join('   ')}`,
      );
    if (entry.feedback) {
      const fb = entry.feedback;
      const row = (name, p) => `${name} (${p.n}) ${percent(p.before * p.n, p.n)} → ${percent(p.after * p.n, p.n)}`;
      console.log(
        `  feedback (held-out, ${fb.ratings} ratings on half of each feature's questions): top-1 ${row('the other half', fb.other)}; ${row('unrated features', fb.unrated)}; ${row('the rated questions', fb.taught)}`,
      );
    }
  }
} finally {
  await session.close();
}
mkdirSync('bench/report', { recursive: true });
writeFileSync('bench/report/route-bench.json', JSON.stringify(report, null, 2));
console.log('\nwritten: bench/report/route-bench.json');
