/**
 * The ELEX dashboard, first page: engine facts and a batch distance run.
 * It uses only the public package API, as an embedding application would.
 */
import {
  AGENT_ACTIONS,
  createEngine,
  isElexError,
  type AgentState,
  type DecideResult,
  type DistanceBatchResult,
  type Engine,
  type EngineStats,
  type Metric,
  type PersistBackend,
  type Quantization,
  type QueryType,
  type QueryResult,
  type Variant,
  type Catalog,
  checkCatalog,
  loadCatalog,
  loadDefaultCatalog,
} from 'elex-wasm';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);

/** Deterministic vectors: mulberry32 seeded, uniform in [-1, 1). */
function generate(count: number, dim: number, seed: number): Float32Array {
  const out = new Float32Array(count * dim);
  mulberry(out, 0, out.length, seed >>> 0);
  return out;
}

/** Fills out[from, to) from mulberry32 state `s`; returns the state after. */
function mulberry(out: Float32Array, from: number, to: number, s: number): number {
  for (let i = from; i < to; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  }
  return s;
}

/** A turn for the page's event loop (input, painting) between slices of a long computation. */
const yieldToPage = () => new Promise<void>((done) => setTimeout(done, 0));
/** Floats made per slice: about 10 ms here, so a batch of hundreds of MB leaves the page responsive. */
const SLICE = 1 << 20;

/** generate() in slices that yield to the page between them (the same values). */
async function generateSliced(count: number, dim: number, seed: number): Promise<Float32Array> {
  const out = new Float32Array(count * dim);
  let s = seed >>> 0;
  for (let i = 0; i < out.length; i += SLICE) {
    s = mulberry(out, i, Math.min(out.length, i + SLICE), s);
    if (i + SLICE < out.length) await yieldToPage();
  }
  return out;
}

function fill(dl: HTMLElement, rows: [string, string | number][]): void {
  dl.replaceChildren(
    ...rows.flatMap(([k, v]) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = String(v);
      dd.dataset.key = k;
      return [dt, dd];
    }),
  );
}

function setStatus(state: 'starting' | 'ready' | 'busy' | 'error', text: string): void {
  const el = $('status');
  el.dataset.state = state;
  el.textContent = text;
}

export interface BatchParams {
  nq: number;
  nv: number;
  dim: number;
  metric: Metric;
  seed?: number;
}

export interface DemoHandle {
  engine: Engine | null;
  ready: Promise<Engine>;
  /** ms from navigation start to the first batch result on screen. */
  firstResultMs?: number;
  run(p: BatchParams): Promise<DistanceBatchResult>;
  /** ms from navigation start until the router (catalog) was ready. */
  routerReadyMs?: number;
  /** Asks the question in the Ask box (as the button does). */
  ask(): Promise<QueryResult | null>;
  /** The package's createEngine, for tests that start engines of their own in this page. */
  createEngine: typeof createEngine;
}

let engine: Engine | null = null;

async function run(p: BatchParams): Promise<DistanceBatchResult> {
  if (!engine) throw new Error('engine not ready');
  const seed = p.seed ?? 1;
  setStatus('busy', 'making the vectors…');
  const queries = await generateSliced(p.nq, p.dim, seed);
  const vectors = await generateSliced(p.nv, p.dim, seed + 1);
  setStatus('busy', 'computing…');
  const res = await engine.distanceBatch(queries, vectors, p.dim, { metric: p.metric });
  const mdps = (p.nq * p.nv) / (res.elapsedMs * 1e3);
  fill($('batch'), [
    ['distances', `${p.nq} × ${p.nv} (dim ${p.dim}, ${p.metric})`],
    ['time', `${res.elapsedMs.toFixed(1)} ms`],
    ['throughput', `${mdps.toFixed(1)} M distances/s`],
    ['threads used (max per worker)', res.threadsUsed],
    ['first distance', res.distances[0]!.toFixed(6)],
  ]);
  const table = $('shards');
  table.innerHTML = '<tr><th>worker</th><th>rows</th><th>ms in wasm</th><th>threads</th></tr>';
  for (const s of res.shards) {
    const tr = document.createElement('tr');
    for (const v of [s.worker, s.rows, s.ms.toFixed(1), s.threadsUsed]) {
      const td = document.createElement('td');
      td.textContent = String(v);
      tr.append(td);
    }
    table.append(tr);
  }
  setStatus('ready', 'ready');
  return res;
}

/** Clustered, normalised vectors: 64 Gaussian clusters. */
async function clustered(n: number, dim: number, seed: number): Promise<Float32Array> {
  const centres = generate(64, dim, 99);
  const noise = await generateSliced(n, dim, seed);
  const pick = generate(n, 1, seed + 7);
  const out = new Float32Array(n * dim);
  const rowsPerSlice = Math.max(1, Math.floor(SLICE / 4 / dim));
  for (let i = 0; i < n; i++) {
    if (i > 0 && i % rowsPerSlice === 0) await yieldToPage();
    const c = Math.floor((pick[i]! + 1) * 32) % 64;
    let norm = 0;
    for (let j = 0; j < dim; j++) {
      const x = centres[c * dim + j]! + 0.5 * noise[i * dim + j]!;
      out[i * dim + j] = x;
      norm += x * x;
    }
    for (let j = 0; j < dim; j++) out[i * dim + j]! /= Math.sqrt(norm);
  }
  return out;
}

let indexRun = 0;

/** Builds an index through the pool, then compares graph search with an exact scan. */
async function runIndex(n: number, dim: number, ef: number, quantization: Quantization): Promise<void> {
  if (!engine) return;
  const name = `demo-${++indexRun}`;
  setStatus('busy', 'making the vectors…');
  const data = await clustered(n, dim, 11);
  const queries = await clustered(200, dim, 12);
  setStatus('busy', 'building index…');
  const index = await engine.createIndex(name, { dim, metric: 'cosine', quantization });
  try {
    let t = performance.now();
    await index.add(
      Uint32Array.from({ length: n }, (_, i) => i),
      data,
      { onProgress: ({ done, total }) => setStatus('busy', `building index… ${done} / ${total} vectors`) },
    );
    const buildMs = performance.now() - t;
    const exact = await index.search(queries, 10, { exact: true });
    t = performance.now();
    let graph = await index.search(queries.subarray(0, dim), 10, { ef, exact: false });
    const lat: number[] = [];
    const inWorker: number[] = [];
    const ids = new Uint32Array(200 * 10);
    for (let q = 0; q < 200; q++) {
      const s = performance.now();
      graph = await index.search(queries.subarray(q * dim, (q + 1) * dim), 10, { ef, exact: false });
      lat.push((performance.now() - s) * 1000);
      inWorker.push(Math.max(...graph.shardMs.filter((x) => !Number.isNaN(x))) * 1000);
      ids.set(graph.ids, q * 10);
    }
    lat.sort((a, b) => a - b);
    inWorker.sort((a, b) => a - b);
    let hit = 0;
    for (let q = 0; q < 200; q++) {
      const want = new Set(exact.ids.subarray(q * 10, q * 10 + 10));
      for (const id of ids.subarray(q * 10, q * 10 + 10)) hit += want.has(id) ? 1 : 0;
    }
    const stats = await index.stats();
    const shards = stats.shards.length;
    // As the form names it ("f32" for the option "none").
    const storage =
      $('index-form').querySelector(`option[value="${quantization}"]`)?.textContent?.trim() ?? quantization;
    fill($('index'), [
      ['vectors', `${n} × ${dim} · cosine · ${storage} · ${shards} shard${shards > 1 ? 's' : ''}`],
      ['build', `${buildMs.toFixed(0)} ms · ${((n / buildMs) * 1000).toFixed(0)}/s`],
      ['recall@10 vs exact', (hit / 2000).toFixed(3)],
      ['search in worker p50 / p95', `${inWorker[100]!.toFixed(0)} / ${inWorker[190]!.toFixed(0)} µs`],
      ['round trip p50 / p95', `${lat[100]!.toFixed(0)} / ${lat[190]!.toFixed(0)} µs`],
      ['memory', `${(stats.bytes / 1048576).toFixed(1)} MB · ${stats.bytesPerVector.toFixed(0)} B/vector`],
    ]);
    setStatus('ready', 'ready');
  } finally {
    await index.drop();
  }
}

function formParams(): BatchParams {
  const f = new FormData($('batch-form') as HTMLFormElement);
  return {
    nq: Number(f.get('nq')),
    nv: Number(f.get('nv')),
    dim: Number(f.get('dim')),
    metric: f.get('metric') as Metric,
  };
}

/** Whether the engine saves what it learns (?persist=0 turns it off). */
let persisting = false;

/**
 * Saves what the agents learned now. The engine saves by itself every 100
 * feedbacks or 30 s, and on close(), which a reload never reaches: a person
 * rates far fewer answers than that, so each rating of theirs is saved at
 * once (a save of a few agents takes milliseconds).
 */
async function saveLearning(): Promise<void> {
  if (engine && persisting) await engine.save();
}

/** The catalog the engine runs on: a loaded JSON of your own, else the default one (fetched on demand). */
let ownCatalog: Catalog | undefined;
async function currentCatalog(): Promise<Catalog> {
  return ownCatalog ?? (await loadDefaultCatalog());
}

async function start(catalog?: Catalog): Promise<Engine> {
  ownCatalog = catalog;
  const variant = (params.get('variant') as Variant | null) ?? undefined;
  const workers = params.has('workers') ? Number(params.get('workers')) : undefined;
  const threadsPerWorker = params.has('threads') ? Number(params.get('threads')) : undefined;
  // Learned state persists under ?persist=<name> (default "elex-demo";
  // ?persist=0 turns it off); ?backend=opfs|idb|memory picks the storage.
  const persistName = params.get('persist') ?? 'elex-demo';
  persisting = persistName !== '0';
  const backend = (params.get('backend') as PersistBackend | null) ?? 'auto';
  const e = await createEngine({
    variant,
    workers,
    threadsPerWorker,
    // A catalog of your own learns under its own name (state is tied to a catalog).
    persist:
      persistName === '0'
        ? undefined
        : { name: catalog ? `${persistName}-${loadCatalog(catalog).fingerprint.slice(0, 8)}` : persistName, backend },
    catalog,
    onWorkerRestart: () => showInfo(),
    // ?fast=0: every call through postMessage (the fast call path off).
    fastPath: params.get('fast') !== '0',
  });
  engine = e;
  return e;
}

function showInfo(): void {
  if (!engine) return;
  const i = engine.info();
  fill($('info'), [
    ['version', i.version],
    ['variant', i.variant],
    ['kernel', i.kernel],
    ['workers', i.workers],
    ['threads per worker', i.threadsPerWorker],
    ['cross-origin isolated', String(i.crossOriginIsolated)],
    ['fast call path', i.fastPath ? 'SharedArrayBuffer' : 'postMessage'],
    ['SIMD128 supported', String(i.simdSupported)],
    ['hardware concurrency', i.hardwareConcurrency],
    ['engine start', `${i.startMs.toFixed(0)} ms`],
    ['worker restarts', i.restarts],
  ]);
  const t = $('pool-shards');
  t.innerHTML = '<tr><th>worker</th><th>calls</th><th>failed</th><th>p50 ms</th><th>p95 ms</th><th>restarts</th></tr>';
  for (const w of i.shards) {
    const tr = document.createElement('tr');
    if (!w.alive) tr.className = 'alert';
    for (const x of [
      w.worker + (w.alive ? '' : ' (down)'),
      w.calls,
      w.failed,
      w.p50Ms.toFixed(2),
      w.p95Ms.toFixed(2),
      w.restarts,
    ])
      tr.append(el('td', String(x)));
    t.append(tr);
  }
  $('isolation-hint').textContent = i.crossOriginIsolated
    ? 'This page is cross-origin isolated: threads are available.'
    : 'Not cross-origin isolated: SharedArrayBuffer is unavailable, so the engine runs without threads. Serve with COOP: same-origin and COEP: require-corp for simd-mt.';
}

// ----------------------------------------------------------------- ask card

let lastAnswer: QueryResult | null = null;

function el(tag: string, text = '', cls = ''): HTMLElement {
  const e = document.createElement(tag);
  if (text) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

/** "1 KPI", "2 KPIs". */
const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** A KPI statistic: one decimal, or two significant digits below 1 (0.022, not 0.0). */
const stat = (v: number | null | undefined) =>
  v === null || v === undefined ? 'null' : v === 0 || Math.abs(v) >= 1 ? v.toFixed(1) : v.toPrecision(2);

function renderAnswer(r: QueryResult): void {
  fill($('answer-head'), [
    ['action', r.action ?? '—'],
    ['confidence', r.confidence.toFixed(2)],
    ['type · complexity', `${r.type} · ${r.complexity}`],
    [
      'timings (ms)',
      // embed: 0 when the router embeds inside its route call (as it does now).
      `${r.timings.embed > 0 ? `embed ${r.timings.embed.toFixed(2)} · ` : ''}route ${r.timings.route.toFixed(2)} · agents ${r.timings.agents.toFixed(2)} · gather ${r.timings.gather.toFixed(2)} · total ${r.timings.total.toFixed(2)}`,
    ],
    ['shards', `${r.shards.answered}/${r.shards.total}${r.partial ? ' (partial)' : ''}`],
  ]);
  const t = $('routed');
  t.innerHTML = '<tr><th>feature</th><th>score</th><th>evidence</th><th>matched</th></tr>';
  for (const f of r.features) {
    const tr = document.createElement('tr');
    tr.append(
      el('td', `${f.name} (${f.code})`),
      el('td', f.score.toFixed(2)),
      el(
        'td',
        (['vector', 'exact', 'lexical', 'feedback', 'item', 'technology', 'direction'] as const)
          .filter((k) => f.evidence[k] !== 0)
          .map((k) => `${k} ${f.evidence[k].toFixed(2)}`)
          .join(', '),
      ),
      el(
        'td',
        f.matched
          .slice(0, 3)
          .map((m) => `${m.exact ? '=' : '~'}${m.name}`)
          .join(', '),
      ),
    );
    t.append(tr);
  }
  const box = $('answer');
  box.replaceChildren();
  const a = r.answer;
  if (!a) return;
  const cards =
    a.action === 'DirectAnswer' || a.action === 'ContextAnswer' ? [a.card] : a.action === 'ConsultPeer' ? a.cards : [];
  for (const c of cards) {
    const div = el('div', '', 'feature-card');
    div.append(el('h3', `${c.name ?? c.code} — ${c.code}${c.acronym ? ` (${c.acronym})` : ''}`));
    if (c.description) div.append(el('p', c.description));
    for (const p of c.parameters) {
      const range = p.range
        ? `range ${p.range[0]}…${p.range[1]}`
        : p.values?.length
          ? `values ${p.values.join(' | ')}`
          : '';
      const safe = p.safe
        ? `safe ${p.safe.min ?? '−'}…${p.safe.max ?? '−'}, max step ${p.safe.maxChange ?? '−'}, cooldown ${p.safe.cooldownS ?? '−'} s`
        : '';
      div.append(
        el(
          'p',
          `parameter ${p.name} ${p.unit ? `[${p.unit}]` : ''} ${range} ${safe} default ${String(p.default ?? '—')}`,
          'item',
        ),
      );
    }
    for (const ct of c.counters) div.append(el('p', `counter ${ct.name} ${ct.unit ? `[${ct.unit}]` : ''}`, 'item'));
    for (const k of c.kpis) {
      const threshold =
        k.threshold === undefined
          ? ''
          : ` · threshold ${k.threshold}${k.unit ? ` ${k.unit}` : ''}${k.direction ? ` (${k.direction} is better)` : ''}`;
      div.append(el('p', `KPI ${k.name} = ${k.formula ?? '?'}${k.unit ? ` [${k.unit}]` : ''}${threshold}`, 'item'));
    }
    const t = c.totals;
    div.append(
      el(
        'p',
        `${count(t.parameters, 'parameter')} · ${count(t.counters, 'counter')} · ${count(t.kpis, 'KPI')} in all`,
        'hint',
      ),
    );
    box.append(div);
  }
  if (a.action === 'ContextAnswer') {
    if (a.related.length) box.append(el('p', `related: ${a.related.map((x) => x.name ?? x.code).join(', ')}`, 'item'));
    for (const pq of a.similarPast)
      box.append(
        el('p', `earlier: “${pq.text}” → ${pq.action}${pq.reward === null ? '' : ` (reward ${pq.reward})`}`, 'item'),
      );
  }
  if (a.action === 'RequestClarification')
    box.append(
      el('p', `Did you mean: ${a.candidates.map((c) => `${c.name ?? c.code} (${c.score.toFixed(2)})`).join(' · ')}?`),
    );
  if (a.action === 'Escalate') box.append(el('p', `Escalated to an expert: ${a.reason}.`));
}

// Recent query latencies for the live card.
const recent: number[] = [];
let partials = 0,
  queries = 0;
/** When the first question was asked (null: none yet). */
let firstQueryAt: number | null = null;

function showPerf(): void {
  const c = $('hist') as HTMLCanvasElement;
  const g = c.getContext('2d');
  if (!g) return;
  const bins = new Array(32).fill(0) as number[];
  for (const ms of recent) {
    const x = Math.log10(Math.max(0.1, ms) / 0.1) / Math.log10(5000); // 0.1 ms … 500 ms
    bins[Math.min(31, Math.floor(x * 32))]!++;
  }
  const max = Math.max(1, ...bins);
  g.clearRect(0, 0, c.width, c.height);
  g.fillStyle = getComputedStyle(document.body).getPropertyValue('--accent') || '#4fc3f7';
  bins.forEach((b, i) => g.fillRect(i * 10, c.height - (b / max) * (c.height - 10), 9, (b / max) * (c.height - 10)));
  const sorted = [...recent].sort((a, b) => a - b);
  const q = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : 0);
  fill($('perf'), [
    ['recent queries', sorted.length],
    ['p50 / p95', sorted.length ? `${q(0.5).toFixed(2)} / ${q(0.95).toFixed(2)} ms (budget 500 ms)` : '—'],
    [
      // A rate needs two questions (one over its own few ms read hundreds a
      // second); it runs to now, so the page's stats poll refreshes it.
      'queries/s (since the first)',
      firstQueryAt === null || queries < 2
        ? '—'
        : (queries / (Math.max(1, performance.now() - firstQueryAt) / 1000)).toFixed(1),
    ],
    ['partial answers', partials],
  ]);
}

function recordQuery(r: QueryResult): void {
  recent.push(r.timings.total);
  if (recent.length > 500) recent.shift();
  queries++;
  firstQueryAt ??= performance.now() - r.timings.total;
  if (r.partial) partials++;
  showPerf();
}

async function ask(): Promise<QueryResult | null> {
  if (!engine) return null;
  const q = ($('q') as HTMLInputElement).value;
  const r = await engine.query(q);
  recordQuery(r);
  lastAnswer = r;
  renderAnswer(r);
  // Offer the first matched parameter to the change validator.
  const card = r.answer && 'card' in r.answer ? r.answer.card : null;
  const p = card?.parameters.find((x) => x.range);
  if (p) {
    ($('v-param') as HTMLInputElement).value = p.name;
    ($('v-cur') as HTMLInputElement).value = String(p.default ?? '');
    ($('v-prop') as HTMLInputElement).value = String(Number(p.default ?? 0) + (p.safe?.maxChange ?? 1) * 2);
  }
  ($('ask-up') as HTMLButtonElement).disabled = ($('ask-down') as HTMLButtonElement).disabled = !r.action;
  return r;
}

async function rateAnswer(reward: number): Promise<void> {
  if (!engine || !lastAnswer) return;
  const r = lastAnswer;
  lastAnswer = null;
  ($('ask-up') as HTMLButtonElement).disabled = ($('ask-down') as HTMLButtonElement).disabled = true;
  // The answer shown is the top feature's: rate that one (its router learns the question too).
  const top = r.agents[0]?.code;
  await engine.feedback(r.queryId, reward, top ? { feature: top } : {});
  await saveLearning();
  await showLearning();
}

function askError(err: unknown): void {
  fill($('answer-head'), [['error', isElexError(err) ? `${err.code}: ${err.message}` : String(err)]]);
}

/** A question that got no answer: the previous answer goes (👍/👎 would rate it as this question's). */
function askFailed(err: unknown): void {
  lastAnswer = null;
  ($('ask-up') as HTMLButtonElement).disabled = ($('ask-down') as HTMLButtonElement).disabled = true;
  $('routed').replaceChildren();
  $('answer').replaceChildren();
  askError(err);
}

// The box takes a question as long as the engine does (maxlength 2000) and
// drops the rest of a longer paste without a word: the page says so.
$('q').addEventListener('input', () => {
  const q = $('q') as HTMLInputElement;
  $('q-hint').textContent =
    q.value.length >= q.maxLength
      ? `A question is ${q.maxLength.toLocaleString('en')} characters at most: anything beyond was not taken.`
      : '';
});

$('ask-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  ask().catch(askFailed);
});
$('ask-up').addEventListener('click', () => void rateAnswer(1).catch(askError));
$('ask-down').addEventListener('click', () => void rateAnswer(-1).catch(askError));

// -------------------------------------------------- validator, monitor, catalog

async function validateOne(): Promise<void> {
  if (!engine) return;
  const f = new FormData($('validate-form') as HTMLFormElement);
  const num = (k: string) => (f.get(k) === '' ? NaN : Number(f.get(k)));
  const change = {
    parameter: String(f.get('parameter')),
    cell: String(f.get('cell')),
    current: num('current'),
    proposed: num('proposed'),
    at: Date.now(),
  };
  const v = await engine.validate([change]);
  const r = v.results[0]!;
  const b = r.bounds;
  fill($('verdict'), [
    // Which change was judged: the form may have been edited since.
    ['change', `${r.parameter} on ${r.cell}: ${change.current} → ${change.proposed}${b?.unit ? ` ${b.unit}` : ''}`],
    ['verdict', r.verdict],
    ['reasons', r.reasons.join(', ') || '—'],
    ['range', b?.range ? `${b.range[0]} … ${b.range[1]} ${b.unit ?? ''}` : '—'],
    [
      'safe zone',
      b?.safe
        ? `${b.safe.min ?? '−'} … ${b.safe.max ?? '−'}, max step ${b.safe.maxChange ?? '−'}, cooldown ${b.safe.cooldownS ?? '−'} s`
        : '—',
    ],
  ]);
  $('verdict').dataset.verdict = r.verdict;
}

/**
 * 10,000 random changes over the catalog's numeric parameters through
 * validateBatch (typed columns), recorded nowhere: the verdict counts and
 * the time end to end.
 */
async function validateMany(): Promise<void> {
  if (!engine) return;
  const cat = loadCatalog(await currentCatalog());
  const numeric = [...cat.parameters.values()].filter((p) => (p.type === 'int' || p.type === 'float') && p.range);
  if (!numeric.length) {
    fill($('verdict-many'), [['10,000 changes', 'this catalog has no numeric parameters with a range']]);
    return;
  }
  const n = 10_000;
  const ids = engine.parameterIndexes(numeric.map((p) => p.name));
  const parameters = new Int32Array(n),
    current = new Float64Array(n),
    proposed = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const k = Math.floor(Math.random() * numeric.length);
    const p = numeric[k]!;
    const [lo, hi] = p.range!;
    parameters[i] = ids[k]!;
    current[i] = lo + Math.random() * (hi - lo);
    proposed[i] = current[i]! + (Math.random() - 0.5) * 0.2 * (hi - lo);
    if (p.type === 'int') ((current[i] = Math.round(current[i]!)), (proposed[i] = Math.round(proposed[i]!)));
  }
  const r = await engine.validateBatch({ parameters, current, proposed, at: Date.now() }, { record: false });
  fill($('verdict-many'), [
    ['10,000 changes', `${r.counts.ok} ok · ${r.counts.warn} warn · ${r.counts.reject} reject`],
    ['time', `${r.ms.total.toFixed(2)} ms end to end (kernel call ${r.ms.kernel.toFixed(2)} ms)`],
  ]);
}

/** The counters of the catalog in use's first KPIs whose formulas fit in `max` counters. */
async function monitorCounters(max: number): Promise<string[]> {
  const cat = await currentCatalog();
  const out: string[] = [];
  for (const k of cat.kpis ?? []) {
    const names = k.formula?.match(/[A-Za-z_][\w.]*/g) ?? [];
    if (out.length + names.length > max) break;
    for (const n of names) if (!out.includes(n)) out.push(n);
  }
  return out;
}

async function monitorBatch(): Promise<void> {
  if (!engine) return;
  const f = new FormData($('monitor-form') as HTMLFormElement);
  const cells = Math.max(1, Math.min(2000, Number(f.get('cells'))));
  const periods = Math.max(1, Math.min(672, Number(f.get('periods'))));
  const counters = await monitorCounters(40);
  if (!counters.length) {
    fill($('monitor-head'), [['batch', 'this catalog has no KPIs with a formula over its counters']]);
    $('kpi-table').replaceChildren();
    return;
  }
  // Up to 2000 × 40 × 672 samples (215 MB): made in slices that yield to the
  // page, in place (at once, they were a task of a second or more).
  setStatus('busy', 'making the counters…');
  const data = await generateSliced(cells * counters.length, periods, Date.now() & 0xffff);
  for (let i = 0; i < data.length; i += SLICE) {
    for (let j = i, end = Math.min(data.length, i + SLICE); j < end; j++) data[j] = 500 + 400 * data[j]!;
    if (i + SLICE < data.length) await yieldToPage();
  }
  // A degraded cell and a few missing samples, so alerts have something to show.
  for (let t = 0; t < periods; t++) data[t] = 20;
  for (let i = 0; i < data.length; i += 997) data[i] = NaN;
  setStatus('busy', 'computing…');
  const r = await engine.monitor({
    cells: Array.from({ length: cells }, (_, i) => `cell-${i}`),
    counters,
    periods,
    data,
  });
  setStatus('ready', 'ready');
  fill($('monitor-head'), [
    ['batch', `${cells} cells × ${counters.length} counters × ${periods} periods`],
    ['KPIs evaluated', r.kpis.length],
    [
      'alerts',
      `${r.alerts.filter((a) => a.kind === 'threshold').length} threshold · ${r.alerts.filter((a) => a.kind === 'anomaly').length} anomaly`,
    ],
    ['missing samples', r.missingSamples],
    [
      'time',
      `${r.ms.total.toFixed(1)} ms (evaluation ${r.ms.kernel.toFixed(1)} ms, in the worker ${r.ms.shard.toFixed(1)} ms)`,
    ],
  ]);
  const t = $('kpi-table');
  t.innerHTML =
    '<tr><th>cell</th><th>KPI [unit]</th><th>mean</th><th>min</th><th>max</th><th>breaches</th><th>anomalies</th></tr>';
  const units = new Map((await currentCatalog()).kpis?.map((k) => [k.name, k.unit ?? '']));
  const alerted = new Set(r.alerts.map((a) => `${a.cell}|${a.kpi}`));
  for (const cell of r.perCell.slice(0, 5))
    for (const k of cell.kpis.slice(0, 4)) {
      const tr = document.createElement('tr');
      if (alerted.has(`${cell.cell}|${k.name}`)) tr.className = 'alert';
      for (const v of [
        cell.cell,
        units.get(k.name) ? `${k.name} [${units.get(k.name)}]` : k.name,
        stat(k.mean),
        stat(k.min),
        stat(k.max),
        k.breaches,
        k.anomalies,
      ])
        tr.append(el('td', String(v)));
      t.append(tr);
    }
}

/** The buttons that call the engine. */
const ENGINE_BUTTONS = [
  'ask',
  'ask-up',
  'ask-down',
  'validate',
  'validate-many',
  'monitor',
  'run',
  'build',
  'decide',
  'up',
  'down',
  'train',
  'save',
];

/** A catalog that was refused, shown as every error is: its code first (the engine keeps running). */
function catalogError(text: string, code = 'INVALID_ARGUMENT'): void {
  $('catalog-result').textContent = `${code}: ${text}`;
  $('catalog-result').className = 'error';
}

async function loadCatalogFile(file: File): Promise<void> {
  let json: unknown;
  try {
    json = JSON.parse(await file.text());
  } catch (e) {
    catalogError(`${file.name} is not JSON (${e instanceof Error ? e.message : String(e)})`);
    return;
  }
  const problems = checkCatalog(json);
  if (problems.length) {
    catalogError(
      `${file.name} is not a catalog (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n` +
        problems
          .slice(0, 8)
          .map((p) => `${p.path}: ${p.message}`)
          .join('\n'),
    );
    return;
  }
  // No engine to call until the new one is up: every button that calls one
  // is off (a click did nothing), and what was shown for the old engine
  // (an answer, a decision) can no longer be rated.
  for (const id of ENGINE_BUTTONS) ($(id) as HTMLButtonElement).disabled = true;
  lastAnswer = null;
  lastDecision = null;
  $('catalog-result').className = 'hint';
  $('catalog-result').textContent = 'valid: restarting the engine with it…';
  // The old engine closes first (it saves its learning, which the new one may
  // load). Should the new one not start, or its router not build, the
  // previous catalog's engine is started again and the error shown: the page
  // is never left without an engine.
  const previous = ownCatalog;
  const old = engine;
  engine = null;
  await old?.close();
  try {
    await switchEngine(json as Catalog);
  } catch (err) {
    const failed = engine as Engine | null;
    engine = null;
    await failed?.close().catch(() => {});
    const why = isElexError(err) ? `${err.code}: ${err.message}` : String(err);
    const code = isElexError(err) ? err.code : 'INTERNAL';
    catalogError(`${file.name}: the engine did not start with it (${why}); restarting the previous catalog…`, code);
    try {
      await switchEngine(previous);
    } catch (again) {
      catalogError(
        `${file.name}: the engine did not start with it (${why}); nor did the previous catalog's (${isElexError(again) ? `${again.code}: ${again.message}` : String(again)}): reload the page`,
        code,
      );
      return;
    }
    catalogError(`${file.name}: the engine did not start with it (${why}); the previous catalog is back`, code);
    return;
  }
  $('catalog-status').textContent = `Catalog: ${file.name}`;
  $('catalog-result').textContent = `loaded ${file.name}`;
}

/** Starts an engine on `catalog` (undefined: the default one) and turns the buttons on as it becomes ready. */
async function switchEngine(catalog: Catalog | undefined): Promise<void> {
  const e = await start(catalog);
  await offerFeature(e);
  for (const id of ['run', 'build', 'decide', 'train', 'save']) ($(id) as HTMLButtonElement).disabled = false;
  handle.engine = e;
  showInfo();
  showCatalog();
  await e.routerReady();
  if (engine !== e) return; // replaced again meanwhile
  for (const id of ['ask', 'validate', 'validate-many', 'monitor']) ($(id) as HTMLButtonElement).disabled = false;
  if (!catalog) {
    const cat = e.catalog();
    $('catalog-status').textContent = cat
      ? `Catalog: ${cat.stats.features} features, ${cat.stats.parameters} parameters, ${cat.stats.counters} counters, ${cat.stats.kpis} KPIs`
      : 'no catalog';
  }
}

function showCatalog(): void {
  const c = engine?.catalog();
  fill(
    $('catalog-info'),
    c
      ? [
          ['features', c.stats.features],
          ['parameters', c.stats.parameters],
          ['counters', c.stats.counters],
          ['KPIs', c.stats.kpis],
          ['categories', c.stats.categories],
          ['fingerprint', c.fingerprint],
        ]
      : [['catalog', 'none']],
  );
}

$('validate-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  validateOne().catch((e: unknown) =>
    fill($('verdict'), [['error', isElexError(e) ? `${e.code}: ${e.message}` : String(e)]]),
  );
});
$('validate-many').addEventListener('click', () => {
  validateMany().catch((e: unknown) =>
    fill($('verdict-many'), [['error', isElexError(e) ? `${e.code}: ${e.message}` : String(e)]]),
  );
});
$('monitor-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  monitorBatch().catch((e: unknown) => {
    setStatus('error', isElexError(e) ? e.code : 'error');
    fill($('monitor-head'), [['error', isElexError(e) ? `${e.code}: ${e.message}` : String(e)]]);
  });
});
$('catalog-file').addEventListener('change', () => {
  const f = ($('catalog-file') as HTMLInputElement).files?.[0];
  if (f)
    loadCatalogFile(f).catch((e: unknown) =>
      isElexError(e) ? catalogError(e.message, e.code) : catalogError(String(e), 'INTERNAL'),
    );
});

// ------------------------------------------------------------ learning card

let lastDecision: DecideResult | null = null;
const fmtMB = (b: number) => `${(b / 1048576).toFixed(1)} MB`;

function learnForm(): { feature: string; state: AgentState } {
  const f = new FormData($('learn-form') as HTMLFormElement);
  return { feature: String(f.get('feature')), state: { type: f.get('type') as QueryType } };
}

async function showLearning(): Promise<void> {
  if (!engine) return;
  const s = await engine.stats();
  const restored = s.persistence.restored.reduce((n, r) => n + (r?.agents ?? 0), 0);
  const restoreMs = Math.max(0, ...s.persistence.restored.map((r) => r?.ms ?? 0));
  fill($('learn-stats'), [
    ['storage', s.persistence.backend ? `${s.persistence.backend} (“${s.persistence.name}”)` : 'none (not persisted)'],
    [
      'restored at start',
      s.persistence.backend
        ? `${restored} agents, ready in ${restoreMs.toFixed(0)} ms · ${
            s.persistence.restored.every((r) => !r || r.residentMs !== null)
              ? `all loaded after ${Math.max(0, ...s.persistence.restored.map((r) => r?.residentMs ?? 0)).toFixed(0)} ms`
              : `${s.persistence.restored.reduce((n, r) => n + (r?.resident ?? 0), 0)} loaded so far`
          }`
        : '—',
    ],
    [
      'last save',
      !s.persistence.backend
        ? '—'
        : s.persistence.lastSave
          ? `${s.persistence.lastSave.agents} agents · ${(s.persistence.lastSave.bytes / 1024).toFixed(0)} KB · ${s.persistence.lastSave.ms.toFixed(0)} ms`
          : 'not yet',
    ],
    // Without persistence nothing is saved: no count of feedback "waiting" for it.
    ['unsaved feedback', s.persistence.backend ? s.persistence.unsaved : '—'],
    [
      'memory',
      `${fmtMB(s.memory.usedBytes)} of ${fmtMB(s.memory.budgetBytes)} · pressure ${s.memory.pressure.toFixed(2)}`,
    ],
    ['evictions', `${s.memory.evictions} agents · ${fmtMB(s.memory.evictedBytes)}`],
    ['agents hot / cold', `${s.agents.hot} / ${s.agents.cold}`],
    [
      'learning',
      `ε ${s.learning.epsilon.toFixed(3)} · ${s.learning.updates} updates · mean reward ${s.learning.averageReward.toFixed(2)}`,
    ],
  ]);
  showMemory(s);
  showInfo();
  // The engine clears lastError when a save succeeds: so does the card.
  const hint = $('persist-hint');
  hint.textContent = s.persistence.lastError ? `last save failed: ${s.persistence.lastError}` : '';
  hint.className = s.persistence.lastError ? 'error' : 'hint';
}

// Memory over time for the memory card: one sample per stats poll.
interface MemSample {
  used: number;
  budget: number;
  pressure: number;
  evictions: number;
}
const memHistory: MemSample[] = [];

function showMemory(s: EngineStats): void {
  memHistory.push({
    used: s.memory.usedBytes,
    budget: s.memory.budgetBytes,
    pressure: s.memory.pressure,
    evictions: s.memory.evictions,
  });
  if (memHistory.length > 160) memHistory.shift();
  const c = $('mem-chart') as HTMLCanvasElement;
  const g = c.getContext('2d');
  if (g) {
    const w = c.width,
      h = c.height,
      step = w / 159;
    g.clearRect(0, 0, w, h);
    const css = getComputedStyle(document.body);
    const maxUsed = Math.max(...memHistory.map((m) => m.used), 1);
    // Used bytes scaled to the largest sample (the budget is usually far above).
    const line = (color: string, y: (m: MemSample) => number) => {
      g.strokeStyle = color;
      g.lineWidth = 1.5;
      g.beginPath();
      memHistory.forEach((m, i) => (i ? g.lineTo(i * step, y(m)) : g.moveTo(i * step, y(m))));
      g.stroke();
    };
    memHistory.forEach((m, i) => {
      const prev = memHistory[i - 1];
      if (prev && m.evictions > prev.evictions) {
        g.fillStyle = css.getPropertyValue('--bad') || '#e57373';
        g.fillRect(i * step - 1, 0, 2, h);
      }
    });
    // Used bytes as a filled area under its line, so a steady level shows too.
    const usedY = (m: MemSample) => h - 2 - (m.used / maxUsed) * (h - 12);
    g.globalAlpha = 0.25;
    g.fillStyle = css.getPropertyValue('--accent') || '#4fc3f7';
    g.beginPath();
    g.moveTo(0, h);
    memHistory.forEach((m, i) => g.lineTo(i * step, usedY(m)));
    g.lineTo((memHistory.length - 1) * step, h);
    g.closePath();
    g.fill();
    g.globalAlpha = 1;
    line(css.getPropertyValue('--accent') || '#4fc3f7', usedY);
    line(css.getPropertyValue('--warn') || '#d29922', (m) => h - 2 - m.pressure * (h - 12));
  }
  const first = memHistory[0]!;
  const last = memHistory[memHistory.length - 1]!;
  fill($('mem'), [
    [
      'used / budget',
      `${fmtMB(last.used)} / ${fmtMB(last.budget)} (${((100 * last.used) / last.budget).toFixed(1)} %)`,
    ],
    ['pressure', last.pressure.toFixed(3)],
    ['evictions (shown period)', `${last.evictions - first.evictions} agents · ${last.evictions} since start`],
    ['per worker', s.memory.perWorker.map((w, i) => `${i}: ${fmtMB(w.usedBytes)}`).join(' · ')],
  ]);
}

async function showValues(feature: string, state: AgentState): Promise<void> {
  if (!engine) return;
  const v = await engine.agentValues(feature, state);
  const table = $('qvalues');
  table.innerHTML = '<tr><th>action</th><th>Q-value</th></tr>';
  AGENT_ACTIONS.forEach((a, i) => {
    const tr = document.createElement('tr');
    for (const x of [a, v ? v.values[i]!.toFixed(3) : '—']) {
      const td = document.createElement('td');
      td.textContent = x;
      tr.append(td);
    }
    table.append(tr);
  });
  if (v) table.dataset.visits = String(v.visits);
}

async function decide(): Promise<void> {
  if (!engine) return;
  const { feature, state } = learnForm();
  lastDecision = await engine.decide(feature, state);
  fill($('decision'), [
    ['action', lastDecision.action + (lastDecision.explored ? ' (exploring)' : '')],
    ['confidence', lastDecision.confidence.toFixed(2)],
    ['query id', lastDecision.queryId],
    ['worker', lastDecision.worker],
  ]);
  ($('up') as HTMLButtonElement).disabled = ($('down') as HTMLButtonElement).disabled = false;
  await showValues(feature, state);
}

async function reward(r: number): Promise<void> {
  if (!engine || !lastDecision) return;
  const d = lastDecision;
  lastDecision = null;
  ($('up') as HTMLButtonElement).disabled = ($('down') as HTMLButtonElement).disabled = true;
  await engine.feedback(d.queryId, r);
  await saveLearning();
  const { state } = learnForm();
  await showValues(d.feature, state);
  await showLearning();
}

/** 500 decisions rewarded by a hidden preference (ContextAnswer best), to watch the values move. */
async function train(): Promise<void> {
  if (!engine) return;
  const { feature, state } = learnForm();
  const pref = [0.2, 0.8, 0.1, -0.2, -0.6];
  for (let i = 0; i < 500; i++) {
    const d = await engine.decide(feature, state);
    await engine.feedback(d.queryId, pref[d.actionIndex]!);
  }
  await saveLearning();
  await showValues(feature, state);
  await showLearning();
}

function learnError(err: unknown): void {
  fill($('decision'), [['error', isElexError(err) ? `${err.code}: ${err.message}` : String(err)]]);
}

$('learn-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  decide().catch(learnError);
});
$('up').addEventListener('click', () => void reward(1).catch(learnError));
$('down').addEventListener('click', () => void reward(-1).catch(learnError));
$('train').addEventListener('click', () => void train().catch(learnError));
$('save').addEventListener('click', () => {
  if (!engine) return;
  engine
    .save()
    .then(() => showLearning())
    .catch(learnError);
});

/** Agents act for catalog features: the agents card offers the first one of the catalog in use. */
async function offerFeature(e: Engine): Promise<void> {
  const input = ($('learn-form') as HTMLFormElement).elements.namedItem('feature') as HTMLInputElement;
  const features = e.catalog() ? (await currentCatalog()).features : [];
  if (features.length && !features.some((f) => f.code === input.value)) input.value = features[0]!.code;
}

const ready = start();
const handle: DemoHandle = { engine: null, ready, run, ask, createEngine };
(window as unknown as { elexDemo: DemoHandle }).elexDemo = handle;

ready.then(
  async (e) => {
    handle.engine = e;
    await offerFeature(e);
    showInfo();
    ($('run') as HTMLButtonElement).disabled = false;
    ($('build') as HTMLButtonElement).disabled = false;
    for (const id of ['decide', 'train', 'save']) ($(id) as HTMLButtonElement).disabled = false;
    // Shown in the agents card should it fail: the rest of the start-up (the
    // Ask card waiting for the router) must still run.
    await showLearning().catch(learnError);
    setInterval(() => {
      showPerf();
      void showLearning().catch(() => {});
    }, 2000);
    const cat = e.catalog();
    e.routerReady().then(
      (st) => {
        $('catalog-status').textContent = cat
          ? `Catalog: ${cat.stats.features} features, ${cat.stats.parameters} parameters, ${cat.stats.counters} counters, ${cat.stats.kpis} KPIs · router built in ${Math.max(...st.map((x) => x.buildMs)).toFixed(0)} ms`
          : 'no catalog';
        for (const id of ['ask', 'validate', 'validate-many', 'monitor']) ($(id) as HTMLButtonElement).disabled = false;
        showCatalog();
        showPerf();
        handle.routerReadyMs = performance.now();
        document.body.dataset.routerReady = '1';
      },
      (err: unknown) => {
        if (engine === e) $('catalog-status').textContent = `catalog failed: ${String(err)}`; // not when replaced
      },
    );
    // The first batch runs the form's values, which a browser may have
    // restored on reload (Firefox does): it can fail like any batch, and
    // says so as the button's would.
    try {
      await run(formParams());
    } catch (err) {
      batchError(err);
      return;
    }
    handle.firstResultMs = performance.now();
    document.body.dataset.firstResultMs = handle.firstResultMs.toFixed(1);
    showInfo();
  },
  (err: unknown) => {
    setStatus('error', 'failed to start');
    const why = isElexError(err) ? `${err.code}: ${err.message}` : String(err);
    // Why, where one looks first (the Ask card), and in the engine card.
    $('catalog-status').textContent = `no catalog: the engine did not start (${why})`;
    $('info').innerHTML = '';
    const p = document.createElement('p');
    p.className = 'error';
    p.textContent = why;
    $('engine-card').append(p);
    if (isElexError(err) && ['CORRUPT_DATA', 'FOREIGN_DATA', 'PERSIST_UNAVAILABLE'].includes(err.code)) {
      for (const card of ['catalog-status', 'engine-card']) {
        const a = document.createElement('a');
        a.href = '?persist=0';
        a.textContent = 'Start without saved learning (the stored data is kept as it is)';
        $(card).append(card === 'catalog-status' ? ' ' : '', a);
      }
    }
  },
);

function batchError(err: unknown): void {
  setStatus('error', isElexError(err) ? err.code : 'error');
  fill($('batch'), [['error', isElexError(err) ? `${err.code}: ${err.message}` : String(err)]]);
}

$('batch-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  run(formParams()).catch(batchError);
});

$('index-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const f = new FormData($('index-form') as HTMLFormElement);
  runIndex(Number(f.get('n')), Number(f.get('dim')), Number(f.get('ef')), f.get('quantization') as Quantization).catch(
    (err: unknown) => {
      setStatus('error', isElexError(err) ? err.code : 'error');
      fill($('index'), [['error', isElexError(err) ? `${err.code}: ${err.message}` : String(err)]]);
    },
  );
});
