// Size report for the wasm variants: raw and brotli -q 11 sizes of the
// .wasm, the JS glue (main + pthread worker) and their total, printed as a
// table and written to build/wasm/size-report.json. Exits non-zero if any
// variant's wasm + glue exceeds the published ceiling of 500 KB brotli, or
// if the shipped build exports a benchmark-only function (_elex_bench_*:
// those belong to the bench builds in build/wasm-bench/, issue 15). Where a
// bench build exists, its sizes are shown beside, for comparison.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';

const CEILING = 500 * 1024;
const GOAL = 100 * 1024;
const variants = ['simd-mt', 'simd', 'scalar'];
const brotli = (file) => execFileSync('brotli', ['-q', '11', '-c', file]).length;

/** The C functions a variant's glue exports (`_elex_…`), from the glue's export table. */
function exportedNames(glueFile) {
  return [...new Set(readFileSync(glueFile, 'utf8').match(/\b_elex_[a-z0-9_]+/g) ?? [])].sort();
}

function sizes(dir, v) {
  const glue = ['elex.js', 'elex.worker.js'].map((f) => `${dir}/${f}`).filter(existsSync);
  const wasm = `${dir}/elex.wasm`;
  const row = {
    variant: v,
    wasmBytes: statSync(wasm).size,
    wasmBrotli: brotli(wasm),
    glueBytes: glue.reduce((s, f) => s + statSync(f).size, 0),
    glueBrotli: glue.reduce((s, f) => s + brotli(f), 0),
  };
  row.totalBrotli = row.wasmBrotli + row.glueBrotli;
  return row;
}

const rows = [];
const benchRows = [];
const leaked = [];
for (const v of variants) {
  const dir = `build/wasm/${v}`;
  const wasm = `${dir}/elex.wasm`;
  if (!existsSync(wasm)) throw new Error(`${wasm} is missing: run npm run build:wasm`);
  const row = sizes(dir, v);
  const names = exportedNames(`${dir}/elex.js`);
  row.exports = names.length;
  const bench = names.filter((n) => n.startsWith('_elex_bench'));
  if (bench.length) leaked.push(`${v}: ${bench.join(', ')}`);
  rows.push(row);
  const benchDir = `build/wasm-bench/${v}`;
  if (existsSync(`${benchDir}/elex.wasm`))
    benchRows.push({ ...sizes(benchDir, v), exports: exportedNames(`${benchDir}/elex.js`).length });
}

const kb = (n) => (n / 1024).toFixed(1).padStart(7);
console.log('variant   wasm KB  wasm br  glue KB  glue br  total br (KB; brotli -q 11)');
for (const r of rows) {
  console.log(
    `${r.variant.padEnd(8)} ${kb(r.wasmBytes)} ${kb(r.wasmBrotli)} ${kb(r.glueBytes)} ${kb(r.glueBrotli)} ${kb(r.totalBrotli)}`,
  );
}
if (benchRows.length) {
  console.log('bench builds (build/wasm-bench/, not shipped: the shipped build plus the _elex_bench_* exports)');
  for (const r of benchRows) {
    const shipped = rows.find((x) => x.variant === r.variant);
    console.log(
      `${r.variant.padEnd(8)} ${kb(r.wasmBytes)} ${kb(r.wasmBrotli)} ${kb(r.glueBytes)} ${kb(r.glueBrotli)} ${kb(r.totalBrotli)}   (wasm brotli +${((r.wasmBrotli - shipped.wasmBrotli) / 1024).toFixed(1)} KB over the shipped build)`,
    );
  }
}
const report = {
  generatedAt: new Date().toISOString(),
  ceilingBrotliBytes: CEILING,
  goalBrotliBytes: GOAL,
  variants: rows,
  benchBuilds: benchRows,
};
writeFileSync('build/wasm/size-report.json', JSON.stringify(report, null, 2) + '\n');
if (leaked.length) {
  console.error(
    `benchmark-only exports in the shipped wasm (they belong to bench builds: scripts/build-wasm.sh --bench): ${leaked.join('; ')}`,
  );
  process.exit(1);
}
const over = rows.filter((r) => r.totalBrotli > CEILING);
if (over.length) {
  console.error(`size ceiling exceeded (500 KB brotli): ${over.map((r) => r.variant).join(', ')}`);
  process.exit(1);
}
const overGoal = rows.filter((r) => r.totalBrotli > GOAL);
if (overGoal.length) console.warn(`above the 100 KB goal: ${overGoal.map((r) => r.variant).join(', ')}`);
console.log('size report: build/wasm/size-report.json');
