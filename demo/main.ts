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
  type Metric,
  type PersistBackend,
  type QueryType,
  type QueryResult,
  type Variant,
} from 'elex-wasm';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);

/** Deterministic vectors: mulberry32 seeded, uniform in [-1, 1). */
function generate(count: number, dim: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(count * dim);
  for (let i = 0; i < out.length; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
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
}

let engine: Engine | null = null;

async function run(p: BatchParams): Promise<DistanceBatchResult> {
  if (!engine) throw new Error('engine not ready');
  const seed = p.seed ?? 1;
  const queries = generate(p.nq, p.dim, seed);
  const vectors = generate(p.nv, p.dim, seed + 1);
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
function clustered(n: number, dim: number, seed: number): Float32Array {
  const centres = generate(64, dim, 99);
  const noise = generate(n, dim, seed);
  const pick = generate(n, 1, seed + 7);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
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
async function runIndex(n: number, dim: number, ef: number): Promise<void> {
  if (!engine) return;
  const name = `demo-${++indexRun}`;
  setStatus('busy', 'building index…');
  const data = clustered(n, dim, 11);
  const queries = clustered(200, dim, 12);
  const index = await engine.createIndex(name, { dim, metric: 'cosine' });
  try {
    let t = performance.now();
    await index.add(
      Uint32Array.from({ length: n }, (_, i) => i),
      data,
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
    fill($('index'), [
      ['vectors', `${n} × ${dim} · cosine · ${shards} shard${shards > 1 ? 's' : ''}`],
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

async function start(): Promise<Engine> {
  const variant = (params.get('variant') as Variant | null) ?? undefined;
  const workers = params.has('workers') ? Number(params.get('workers')) : undefined;
  const threadsPerWorker = params.has('threads') ? Number(params.get('threads')) : undefined;
  // Learned state persists under ?persist=<name> (default "elex-demo";
  // ?persist=0 turns it off); ?backend=opfs|idb|memory picks the storage.
  const persistName = params.get('persist') ?? 'elex-demo';
  const backend = (params.get('backend') as PersistBackend | null) ?? 'auto';
  const e = await createEngine({
    variant,
    workers,
    threadsPerWorker,
    persist: persistName === '0' ? undefined : { name: persistName, backend },
    onWorkerRestart: () => showInfo(),
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
    ['SIMD128 supported', String(i.simdSupported)],
    ['hardware concurrency', i.hardwareConcurrency],
    ['engine start', `${i.startMs.toFixed(0)} ms`],
    ['worker restarts', i.restarts],
  ]);
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

function renderAnswer(r: QueryResult): void {
  fill($('answer-head'), [
    ['action', r.action ?? '—'],
    ['confidence', r.confidence.toFixed(2)],
    ['type · complexity', `${r.type} · ${r.complexity}`],
    [
      'timings (ms)',
      `embed ${r.timings.embed.toFixed(2)} · route ${r.timings.route.toFixed(2)} · agents ${r.timings.agents.toFixed(2)} · gather ${r.timings.gather.toFixed(2)} · total ${r.timings.total.toFixed(2)}`,
    ],
    ['shards', `${r.shards.answered}/${r.shards.total}${r.partial ? ' (partial)' : ''}`],
  ]);
  const t = $('routed');
  t.innerHTML = '<tr><th>feature</th><th>score</th><th>matched</th></tr>';
  for (const f of r.features) {
    const tr = document.createElement('tr');
    tr.append(
      el('td', `${f.name} (${f.code})`),
      el('td', f.score.toFixed(2)),
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
      const range = p.range ? `range ${p.range[0]}…${p.range[1]}` : '';
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
    for (const k of c.kpis)
      div.append(el('p', `KPI ${k.name} = ${k.formula ?? '?'} (${k.direction ?? ''} ${k.threshold ?? ''})`, 'item'));
    div.append(
      el(
        'p',
        `${c.totals.parameters} parameters · ${c.totals.counters} counters · ${c.totals.kpis} KPIs in all`,
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

async function ask(): Promise<QueryResult | null> {
  if (!engine) return null;
  const q = ($('q') as HTMLInputElement).value;
  const r = await engine.query(q);
  lastAnswer = r;
  renderAnswer(r);
  ($('ask-up') as HTMLButtonElement).disabled = ($('ask-down') as HTMLButtonElement).disabled = !r.action;
  return r;
}

async function rateAnswer(reward: number): Promise<void> {
  if (!engine || !lastAnswer) return;
  const r = lastAnswer;
  lastAnswer = null;
  ($('ask-up') as HTMLButtonElement).disabled = ($('ask-down') as HTMLButtonElement).disabled = true;
  await engine.feedback(r.queryId, reward);
  await showLearning();
}

function askError(err: unknown): void {
  fill($('answer-head'), [['error', isElexError(err) ? `${err.code}: ${err.message}` : String(err)]]);
}

$('ask-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  ask().catch(askError);
});
$('ask-up').addEventListener('click', () => void rateAnswer(1).catch(askError));
$('ask-down').addEventListener('click', () => void rateAnswer(-1).catch(askError));

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
    ['restored at start', s.persistence.backend ? `${restored} agents in ${restoreMs.toFixed(0)} ms` : '—'],
    [
      'last save',
      s.persistence.lastSave
        ? `${s.persistence.lastSave.agents} agents · ${(s.persistence.lastSave.bytes / 1024).toFixed(0)} KB · ${s.persistence.lastSave.ms.toFixed(0)} ms`
        : 'not yet',
    ],
    ['unsaved feedback', s.persistence.unsaved],
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
  if (s.persistence.lastError) $('persist-hint').textContent = `last save failed: ${s.persistence.lastError}`;
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

const ready = start();
const handle: DemoHandle = { engine: null, ready, run, ask };
(window as unknown as { elexDemo: DemoHandle }).elexDemo = handle;

ready.then(
  async (e) => {
    handle.engine = e;
    showInfo();
    ($('run') as HTMLButtonElement).disabled = false;
    ($('build') as HTMLButtonElement).disabled = false;
    for (const id of ['decide', 'train', 'save']) ($(id) as HTMLButtonElement).disabled = false;
    await showLearning();
    setInterval(() => void showLearning().catch(() => {}), 2000);
    const cat = e.catalog();
    e.routerReady().then(
      (st) => {
        $('catalog-status').textContent = cat
          ? `Catalog: ${cat.stats.features} features, ${cat.stats.parameters} parameters, ${cat.stats.counters} counters, ${cat.stats.kpis} KPIs · router built in ${Math.max(...st.map((x) => x.buildMs)).toFixed(0)} ms`
          : 'no catalog';
        ($('ask') as HTMLButtonElement).disabled = false;
        handle.routerReadyMs = performance.now();
        document.body.dataset.routerReady = '1';
      },
      (err: unknown) => ($('catalog-status').textContent = `catalog failed: ${String(err)}`),
    );
    await run(formParams());
    handle.firstResultMs = performance.now();
    document.body.dataset.firstResultMs = handle.firstResultMs.toFixed(1);
    showInfo();
  },
  (err: unknown) => {
    setStatus('error', 'failed to start');
    $('info').innerHTML = '';
    const p = document.createElement('p');
    p.className = 'error';
    p.textContent = isElexError(err) ? `${err.code}: ${err.message}` : String(err);
    $('engine-card').append(p);
    if (isElexError(err) && ['CORRUPT_DATA', 'FOREIGN_DATA', 'PERSIST_UNAVAILABLE'].includes(err.code)) {
      const a = document.createElement('a');
      a.href = '?persist=0';
      a.textContent = 'Start without saved learning (the stored data is kept as it is)';
      $('engine-card').append(a);
    }
  },
);

$('batch-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  run(formParams()).catch((err: unknown) => {
    setStatus('error', isElexError(err) ? err.code : 'error');
    fill($('batch'), [['error', isElexError(err) ? `${err.code}: ${err.message}` : String(err)]]);
  });
});

$('index-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const f = new FormData($('index-form') as HTMLFormElement);
  runIndex(Number(f.get('n')), Number(f.get('dim')), Number(f.get('ef'))).catch((err: unknown) => {
    setStatus('error', isElexError(err) ? err.code : 'error');
    fill($('index'), [['error', isElexError(err) ? `${err.code}: ${err.message}` : String(err)]]);
  });
});
