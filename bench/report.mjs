// Writes bench/report/index.html from the JSON the benchmarks left in
// bench/report/: machine and browser, each target from the issues beside
// the measured figure, tables, and recall-vs-latency plots (SVG) against
// hnswlib-wasm. Missing inputs are listed, not invented.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';

const dir = 'bench/report';
const load = (f) => (existsSync(`${dir}/${f}`) ? JSON.parse(readFileSync(`${dir}/${f}`, 'utf8')) : null);
const index = load('index-bench.json');
const ready = load('ready.json');
const learn = load('learn-bench.json');
const query = load('query-bench.json');
const nativeKernels = load('native-kernels.json');
const nativeLearn = load('native-learn.json');
const nativeIndex = load('native-index.json');

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const f = (x, d = 1) => (x === undefined || x === null || Number.isNaN(x) ? '—' : Number(x).toFixed(d));
const table = (head, rows) =>
  `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</table>`;
const verdict = (ok) =>
  ok === null
    ? '<span class="na">not measured</span>'
    : ok
      ? '<span class="ok">met</span>'
      : '<span class="bad">missed</span>';

// ------------------------------------------------------------- targets
const targets = [];
const pushT = (issue, target, measured, ok) => targets.push([issue, esc(target), measured, verdict(ok)]);
if (ready) {
  for (const r of ready.ready ?? [])
    pushT(
      'foundation',
      `${r.variant}: engine ready, navigation → first result (median of ${ready.runs})`,
      `${f(r.medianEngineStartMs, 0)} ms start, ${f(r.medianFirstResultMs, 0)} ms first result`,
      null,
    );
}
if (learn) {
  const simd = learn.variants.find((v) => v.request.variant === 'simd');
  if (simd) {
    pushT('learning', 'Q-update of 100 ≤ 1 µs', `${f(simd.qupdate[1].simdNs, 0)} ns`, simd.qupdate[1].simdNs <= 1000);
    pushT('learning', 'action selection ≤ 200 ns', `${f(simd.selectNs, 0)} ns`, simd.selectNs <= 200);
    if (simd.persist)
      pushT(
        'learning',
        `save + restore of ${simd.persist.agents} agents × 1,000 states ≤ 100 ms`,
        `${f(simd.persist.saveMs, 0)} + ${f(simd.persist.restoreMs, 0)} ms`,
        simd.persist.agents === 593 ? simd.persist.saveRestoreMs <= 100 : null,
      );
  }
}
if (query) {
  const all = Object.values(query.accuracy).reduce((a, s) => ({ n: a.n + s.n, t1: a.t1 + s.top1, t5: a.t5 + s.top5 }), {
    n: 0,
    t1: 0,
    t5: 0,
  });
  pushT('query', 'routing top-1 ≥ 90 %', `${f((100 * all.t1) / all.n)} %`, all.t1 / all.n >= 0.9);
  pushT('query', 'routing top-5 ≥ 98 %', `${f((100 * all.t5) / all.n)} %`, all.t5 / all.n >= 0.98);
  pushT('query', 'query cycle p95 ≤ 2 ms', `${f(query.latency.p95, 2)} ms`, query.latency.p95 <= 2);
  pushT('query', '≥ 2,000 queries/s batched', `${f(query.batch.qps, 0)}/s`, query.batch.qps >= 2000);
  const vb = query.validate.batch;
  pushT(
    'query',
    '10K validations ≤ 1 ms',
    vb
      ? `${f(vb.totalMs, 2)} ms end to end, typed batch (p95 ${f(vb.p95Ms, 2)}); change objects ${f(query.validate.totalMs, 2)} ms`
      : `${f(query.validate.totalMs, 2)} ms end to end (${f(query.validate.kernelMs, 3)} ms kernel)`,
    (vb?.totalMs ?? query.validate.totalMs) <= 1,
  );
  pushT(
    'query',
    `monitor 1,000 × 200 × 96 ≤ 50 ms`,
    `${f(query.monitor.totalMs, 0)} ms (${query.monitor.cells} cells)`,
    query.monitor.cells === 1000 ? query.monitor.totalMs <= 50 : null,
  );
}
if (index) {
  const c10 = (index.index ?? []).find(
    (r) =>
      r.data === 'clustered' &&
      r.n === 10000 &&
      r.request.variant === 'simd-mt' &&
      (r.request.quantization ?? 'none') === 'none',
  );
  if (c10) {
    const p = c10.points.filter((x) => x.recall >= 0.98).sort((a, b) => a.p95 - b.p95)[0];
    pushT(
      'index',
      '10K clustered: p95 ≤ 30 µs at recall ≥ 0.98',
      p ? `${f(p.p95, 0)} µs at ${f(p.recall, 3)} (ef ${p.ef})` : 'no point at recall 0.98',
      p ? p.p95 <= 30 + 1e-3 : false, // timer values are multiples of 5 µs stored as floats
    );
    const h = (c10.hnswlib?.points ?? [])
      .filter((x) => x.recall >= (p?.recall ?? 2) - 0.005)
      .sort((a, b) => a.p95 - b.p95)[0];
    pushT(
      'index',
      '10K clustered: ≥ 1.5× faster than hnswlib-wasm at equal recall (p95, same run)',
      p && h
        ? `${f(h.p95 / p.p95, 1)}× (${f(p.p95, 0)} vs ${f(h.p95, 0)} µs)`
        : 'hnswlib-wasm not run or no equal-recall point',
      p && h ? h.p95 / p.p95 >= 1.5 : null,
    );
    pushT(
      'index',
      'build ≥ 15K vectors/s (10K × 128, simd-mt)',
      `${f(c10.vectorsPerS, 0)}/s`,
      c10.vectorsPerS >= 15000,
    );
  }
}

if (index) {
  // Every 10K uniform simd-mt run (f32, int8+f32): graph points, the exact scan, and for int8
  // the exact scan's re-rank pools; the fastest p95 at recall ≥ 0.99.
  const u10 = (index.index ?? []).filter(
    (r) => r.data === 'uniform' && r.n === 10000 && r.request.variant === 'simd-mt',
  );
  if (u10.length) {
    const q = (r) => ({ none: 'f32' })[r.request.quantization ?? 'none'] ?? r.request.quantization;
    const cands = u10.flatMap((r) => [
      ...r.points.map((x) => ({ ...x, how: `${q(r)} graph, ef ${x.ef}` })),
      ...(r.exact ? [{ ...r.exact, how: `${q(r)} exact scan` }] : []),
      ...(r.exactPools ?? []).map((x) => ({ ...x, how: `${q(r)} exact scan, ${x.ef} re-ranked` })),
    ]);
    const p = cands.filter((x) => x.recall >= 0.99).sort((a, b) => a.p95 - b.p95)[0];
    pushT(
      'index',
      '10K uniform: recall ≥ 0.99 at p95 ≤ 120 µs',
      p ? `${f(p.p95, 0)} µs at ${f(p.recall, 3)} (${p.how})` : 'no point at 0.99',
      p ? p.p95 <= 120 : false,
    );
  }
  // Memory per 128-d vector, graph included (10K clustered, simd-mt).
  for (const [quant, limit] of [
    ['none', 700],
    ['int8', 250],
  ]) {
    const r = (index.index ?? []).find(
      (x) =>
        x.data === 'clustered' &&
        x.n === 10000 &&
        x.dim === 128 &&
        x.request.variant === 'simd-mt' &&
        (x.request.quantization ?? 'none') === quant,
    );
    if (r)
      pushT(
        'index',
        `memory ≤ ${limit} B per 128-d ${quant === 'none' ? 'f32' : 'int8'} vector, graph included`,
        `${f(r.bytesPerVector, 0)} B`,
        r.bytesPerVector <= limit,
      );
  }
  // Every 100K clustered simd-mt run (f32 and int8): the fastest point at recall ≥ 0.98.
  const runs100 = (index.index ?? []).filter(
    (r) => r.data === 'clustered' && r.n === 100000 && r.request.variant === 'simd-mt',
  );
  if (runs100.length) {
    const p = runs100
      .flatMap((r) =>
        r.points.filter((x) => x.recall >= 0.98).map((x) => ({ ...x, q: r.request.quantization ?? 'none' })),
      )
      .sort((a, b) => a.p50 - b.p50)[0];
    pushT(
      'index',
      '100K clustered: p50 ≤ 100 µs at recall ≥ 0.98',
      p
        ? `${f(p.p50, 0)} µs at ${f(p.recall, 3)} (ef ${p.ef}, ${p.q === 'none' ? 'f32 vectors' : `${p.q} codes`})`
        : 'no point at 0.98',
      p ? p.p50 <= 100 : false,
    );
  }
  for (const k of index.kernelRatios ?? []) {
    const need = { cosine: 3.5, validation: 3, aggregation: 3 }[k.kernel];
    if (need) pushT('index', `${k.kernel} SIMD/scalar ≥ ${need}×`, `${f(k.ratio, 1)}×`, k.ratio >= need);
  }
}

// --------------------------------------------------------------- plots
/** Horizontal bars: rows of { label, value, title? }, an optional target line. */
function barPlot(rows, { unit, target, label }) {
  const W = 420,
    L = 150,
    R = 60,
    bh = 16,
    H = rows.length * (bh + 6) + 34;
  const max = Math.max(target ?? 0, ...rows.map((r) => r.value)) * 1.05 || 1;
  const X = (v) => L + (v / max) * (W - L - R);
  const bars = rows
    .map((r, i) => {
      const y = 8 + i * (bh + 6);
      const ok = target === undefined ? true : label === 'higher' ? r.value >= target : r.value <= target;
      return (
        `<text x="${L - 6}" y="${y + bh - 4}" text-anchor="end">${esc(r.label)}</text>` +
        `<rect x="${L}" y="${y}" width="${Math.max(1, X(r.value) - L).toFixed(1)}" height="${bh}" fill="${ok ? '#4fc3f7' : '#e57373'}"><title>${esc(r.title ?? '')}</title></rect>` +
        `<text x="${(X(r.value) + 4).toFixed(1)}" y="${y + bh - 4}">${f(r.value, r.value < 10 ? 2 : 0)}${esc(unit)}</text>`
      );
    })
    .join('');
  const t =
    target === undefined
      ? ''
      : `<line x1="${X(target).toFixed(1)}" x2="${X(target).toFixed(1)}" y1="2" y2="${H - 24}" stroke="#ffb74d" stroke-dasharray="4 3"/>` +
        `<text x="${X(target).toFixed(1)}" y="${H - 10}" text-anchor="middle" fill="#ffb74d">target ${f(target, target < 10 ? 1 : 0)}${esc(unit)}</text>`;
  return `<svg width="${W}" height="${H}" role="img">${bars}${t}</svg>`;
}

function recallPlot(run) {
  const W = 420,
    H = 240,
    L = 44,
    B = 30;
  const series = [{ name: `ELEX ${run.request.variant}`, pts: run.points, color: '#4fc3f7' }];
  if (run.hnswlib?.points) series.push({ name: 'hnswlib-wasm 0.8.2', pts: run.hnswlib.points, color: '#ffb74d' });
  const all = series.flatMap((s) => s.pts);
  const xs = all.map((p) => Math.log10(Math.max(1, p.p50)));
  const x0 = Math.min(...xs),
    x1 = Math.max(...xs) + 0.01;
  const y0 = Math.min(...all.map((p) => p.recall), 0.9),
    y1 = 1;
  const X = (v) => L + ((Math.log10(Math.max(1, v)) - x0) / (x1 - x0)) * (W - L - 10);
  const Y = (r) => H - B - ((r - y0) / (y1 - y0)) * (H - B - 10);
  const lines = series
    .map(
      (s) =>
        `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${s.pts.map((p) => `${X(p.p50).toFixed(1)},${Y(p.recall).toFixed(1)}`).join(' ')}"/>` +
        s.pts
          .map(
            (p) =>
              `<circle cx="${X(p.p50).toFixed(1)}" cy="${Y(p.recall).toFixed(1)}" r="2.5" fill="${s.color}"><title>ef ${p.ef}: recall ${p.recall}, p50 ${f(p.p50, 0)} µs</title></circle>`,
          )
          .join(''),
    )
    .join('');
  const legend = series
    .map((s, i) => `<text x="${L + 8}" y="${14 + 14 * i}" fill="${s.color}">${esc(s.name)}</text>`)
    .join('');
  return `<svg width="${W}" height="${H}" role="img" aria-label="recall against p50 latency">
  <rect x="${L}" y="0" width="${W - L}" height="${H - B}" fill="none" stroke="#555"/>
  <text x="${W / 2}" y="${H - 6}" text-anchor="middle">p50 µs per query (log)</text>
  <text x="12" y="${(H - B) / 2}" transform="rotate(-90 12 ${(H - B) / 2})" text-anchor="middle">recall@10</text>
  <text x="${L - 4}" y="${Y(y0)}" text-anchor="end">${f(y0, 2)}</text><text x="${L - 4}" y="${Y(1) + 10}" text-anchor="end">1.00</text>
  ${lines}${legend}</svg>`;
}

// ------------------------------------------------------------- sections
const sections = [];
sections.push(
  `<h2>Targets</h2>${targets.length ? table(['area', 'target', 'measured', ''], targets) : '<p>No benchmark output yet.</p>'}`,
);
if (index?.index?.length) {
  sections.push(
    `<h2>Vector index (Chromium${index.quick ? ', quick' : ''})</h2><div class="plots">${index.index
      .map(
        (r) =>
          `<figure>${recallPlot(r)}<figcaption>${esc(`${r.data} ${r.n} × ${r.dim}, ${r.request.variant}${(r.request.quantization ?? 'none') === 'none' ? '' : `, ${r.request.quantization}`}: build ${f(r.vectorsPerS, 0)}/s, ${f(r.bytesPerVector, 0)} B/vector`)}</figcaption></figure>`,
      )
      .join('')}</div>`,
  );
}
if (index?.kernelRatios?.length || index?.index?.length) {
  const figs = [];
  if (index.kernelRatios?.length)
    figs.push(
      `<figure>${barPlot(
        index.kernelRatios.map((k) => ({
          label: k.kernel,
          value: k.ratio,
          title: `${f(k.simdNs, 1)} ns simd vs ${f(k.scalarNs, 1)} ns scalar`,
        })),
        { unit: '×', target: 3, label: 'higher' },
      )}<figcaption>SIMD / scalar speed-up per kernel (simd vs scalar variant, same data)</figcaption></figure>`,
    );
  if (index.index?.length)
    figs.push(
      `<figure>${barPlot(
        index.index.map((r) => ({
          label: `${r.data} ${r.n / 1000}K ${r.request.variant}${(r.request.quantization ?? 'none') === 'none' ? '' : ` ${r.request.quantization}`}`,
          value: r.bytesPerVector,
          title: `raw f32 vector: ${r.dim * 4} B`,
        })),
        { unit: ' B' },
      )}<figcaption>Index memory per vector (128-d f32 is 512 B raw)</figcaption></figure>`,
    );
  sections.push(`<h2>SIMD speed-up and index memory</h2><div class="plots">${figs.join('')}</div>`);
}
if (index?.kernels?.length) {
  const byV = Object.fromEntries(index.kernels.map((k) => [k.request.variant, k]));
  const names = (byV.simd ?? index.kernels[0]).kernels.map((k) => ({ name: k.kernel, n: k.n }));
  sections.push(
    `<h2>Kernels (Chromium, ns per call)</h2>` +
      table(
        ['kernel', 'n', 'simd-mt', 'simd', 'scalar', 'SIMD/scalar'],
        names.map((k, i) => [
          esc(k.name),
          k.n,
          f(byV['simd-mt']?.kernels[i]?.nsPerCall, 0),
          f(byV.simd?.kernels[i]?.nsPerCall, 0),
          f(byV.scalar?.kernels[i]?.nsPerCall, 0),
          byV.simd && byV.scalar ? `${f(byV.scalar.kernels[i].nsPerCall / byV.simd.kernels[i].nsPerCall, 1)}×` : '—',
        ]),
      ),
  );
}
if (learn) {
  const V = learn.variants;
  const row = (name, fn) => [esc(name), ...V.map((v) => fn(v))];
  sections.push(
    `<h2>Learning and memory (Chromium ${esc(learn.browser)}${learn.quick ? ', quick' : ''})</h2>` +
      table(
        ['figure', ...V.map((v) => v.request.variant)],
        [
          ...V[0].qupdate.map((q, i) =>
            row(
              `Q-update of ${q.n}: SIMD / scalar twin (ns)`,
              (v) => `${f(v.qupdate[i].simdNs, 0)} / ${f(v.qupdate[i].scalarNs, 0)}`,
            ),
          ),
          row('action selection (ns)', (v) => f(v.selectNs, 0)),
          row('decide + feedback with 8 replays (ns)', (v) => f(v.feedbackReplayNs, 0)),
          row(
            'cache hit / insert / miss (ns)',
            (v) => `${f(v.cache.hitNs, 0)} / ${f(v.cache.insertNs, 0)} / ${f(v.cache.missNs, 0)}`,
          ),
          ...V[0].cache.zipf.map((z, i) =>
            row(`Zipf hit rate, budget ${z.budgetPct} %`, (v) => `${f(v.cache.zipf[i].hitRate * 100)} %`),
          ),
          ...V[0].memory.perAgent.map((a, i) =>
            row(
              `bytes per agent, ${a.states} states (live / record)`,
              (v) => `${v.memory.perAgent[i].liveBytes} / ${v.memory.perAgent[i].recordBytes}`,
            ),
          ),
          row('16 MB budget, sustained inserts: calls over budget', (v) => v.memory.sustained.overBudget),
          row('fragmentation: heap / live', (v) => f(v.memory.fragmentation.ratio, 2)),
          row('save + restore (ms)', (v) =>
            v.persist ? `${f(v.persist.saveMs, 0)} + ${f(v.persist.restoreMs, 0)} (${v.persist.agents} agents)` : '—',
          ),
        ],
      ),
  );
}
if (query) {
  sections.push(
    `<h2>Query cycle (Chromium ${esc(query.browser)}, ${esc(query.variant)} ${query.workers} × ${query.threadsPerWorker}${query.quick ? ', quick' : ''})</h2>` +
      table(
        ['kind', 'top-1', 'top-5', 'questions'],
        Object.entries(query.accuracy).map(([k, s]) => [
          esc(k),
          `${f((100 * s.top1) / s.n)} %`,
          `${f((100 * s.top5) / s.n)} %`,
          s.n,
        ]),
      ) +
      table(
        ['figure', 'measured'],
        [
          [
            'single query p50 / p95 / p99',
            `${f(query.latency.p50, 2)} / ${f(query.latency.p95, 2)} / ${f(query.latency.p99, 2)} ms`,
          ],
          [
            'stages (median): embed / route / agents / gather',
            `${f(query.stages.embed, 3)} / ${f(query.stages.route, 3)} / ${f(query.stages.agents, 3)} / ${f(query.stages.gather, 3)} ms`,
          ],
          ['queries/s single, batched', `${f(query.latency.qps, 0)}, ${f(query.batch.qps, 0)}`],
          [
            'validation of 10K change objects',
            `${f(query.validate.totalMs, 2)} ms (kernel ${f(query.validate.kernelMs, 3)} ms)`,
          ],
          [
            'validation of 10K, typed batch (median / p95)',
            query.validate.batch
              ? `${f(query.validate.batch.totalMs, 2)} / ${f(query.validate.batch.p95Ms, 2)} ms (kernel ${f(query.validate.batch.kernelMs, 3)} ms)`
              : '—',
          ],
          [
            'monitor',
            `${query.monitor.cells} × ${query.monitor.counters} × ${query.monitor.periods}: ${f(query.monitor.totalMs, 0)} ms`,
          ],
          ['router build', `${f(query.routerBuildMs, 0)} ms for ${query.items} items`],
        ],
      ),
  );
}
if (query) {
  sections.push(
    `<div class="plots"><figure>${barPlot(
      [
        { label: 'p50', value: query.latency.p50 },
        { label: 'p95', value: query.latency.p95 },
        { label: 'p99', value: query.latency.p99 },
      ],
      { unit: ' ms', target: 2, label: 'lower' },
    )}<figcaption>Query-cycle latency percentiles, one question at a time (target: p95 ≤ 2 ms)</figcaption></figure></div>`,
  );
}
if (ready?.ready?.length) {
  sections.push(
    `<h2>Engine ready (median of ${ready.runs} cold loads)</h2>` +
      table(
        ['variant', 'engine start', 'navigation → first result'],
        ready.ready.map((r) => [
          esc(r.variant),
          `${f(r.medianEngineStartMs, 0)} ms`,
          `${f(r.medianFirstResultMs, 0)} ms`,
        ]),
      ),
  );
}
for (const [name, nat] of [
  ['native kernels', nativeKernels],
  ['native learning', nativeLearn],
  ['native index', nativeIndex],
])
  if (nat)
    sections.push(
      `<h2>${esc(name)} (Google Benchmark, ${esc(nat.context?.host_name ?? '')})</h2>` +
        table(
          ['benchmark', 'ns', 'counters'],
          nat.benchmarks.map((b) => [
            esc(b.name),
            f(b.real_time, 1),
            esc(
              Object.entries(b)
                .filter(
                  ([k, v]) =>
                    typeof v === 'number' &&
                    ![
                      'real_time',
                      'cpu_time',
                      'iterations',
                      'repetitions',
                      'repetition_index',
                      'threads',
                      'family_index',
                      'per_family_instance_index',
                    ].includes(k),
                )
                .map(([k, v]) => `${k}=${Number(v).toPrecision(4)}`)
                .join(' '),
            ),
          ]),
        ),
    );
const missing = [
  ['index-bench.json', index],
  ['ready.json', ready],
  ['learn-bench.json', learn],
  ['query-bench.json', query],
  ['native-kernels.json', nativeKernels],
  ['native-learn.json', nativeLearn],
  ['native-index.json', nativeIndex],
]
  .filter(([, d]) => !d)
  .map(([n]) => n);

const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ELEX benchmark report</title>
<style>body{font:14px system-ui,sans-serif;background:#101418;color:#e6e6e6;margin:2rem}table{border-collapse:collapse;margin:.6rem 0 1.2rem}
td,th{border-bottom:1px solid #333;padding:.25rem .6rem;text-align:right}th{color:#9aa}td:first-child,th:first-child{text-align:left}
.ok{color:#81c784}.bad{color:#e57373}.na{color:#999}svg text{fill:#ccc;font-size:11px}.plots{display:flex;flex-wrap:wrap;gap:1rem}figcaption{color:#9aa;font-size:12px}</style></head>
<body><h1>ELEX benchmark report</h1>
<p>Generated ${esc(new Date().toISOString())} on ${esc(os.cpus()[0]?.model ?? 'unknown CPU')} × ${os.cpus().length}, ${f(os.totalmem() / 2 ** 30, 0)} GiB, ${esc(os.platform())} ${esc(os.release())}, Node ${esc(process.version)}.
Browser: ${esc(query?.browser ?? learn?.browser ?? index?.browser ?? ready?.browser ?? 'not run')}. Figures are medians as each benchmark states; this VM is noisy (±30 %).</p>
${missing.length ? `<p class="na">Not run: ${missing.map(esc).join(', ')}.</p>` : ''}
${sections.join('\n')}
</body></html>`;
writeFileSync(`${dir}/index.html`, html);
console.log(
  `written: ${dir}/index.html (${targets.length} targets, ${sections.length} sections${missing.length ? `; not run: ${missing.join(', ')}` : ''})`,
);
