// Size report for the wasm variants: raw and brotli -q 11 sizes of the
// .wasm, the JS glue (main + pthread worker) and their total, printed as a
// table and written to build/wasm/size-report.json. Exits non-zero if any
// variant's wasm + glue exceeds the published ceiling of 500 KB brotli.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';

const CEILING = 500 * 1024;
const GOAL = 100 * 1024;
const variants = ['simd-mt', 'simd', 'scalar'];
const brotli = (file) => execFileSync('brotli', ['-q', '11', '-c', file]).length;

const rows = [];
for (const v of variants) {
  const dir = `build/wasm/${v}`;
  const glue = ['elex.js', 'elex.worker.js'].map((f) => `${dir}/${f}`).filter(existsSync);
  const wasm = `${dir}/elex.wasm`;
  if (!existsSync(wasm)) throw new Error(`${wasm} is missing: run npm run build:wasm`);
  const row = {
    variant: v,
    wasmBytes: statSync(wasm).size,
    wasmBrotli: brotli(wasm),
    glueBytes: glue.reduce((s, f) => s + statSync(f).size, 0),
    glueBrotli: glue.reduce((s, f) => s + brotli(f), 0),
  };
  row.totalBrotli = row.wasmBrotli + row.glueBrotli;
  rows.push(row);
}

const kb = (n) => (n / 1024).toFixed(1).padStart(7);
console.log('variant   wasm KB  wasm br  glue KB  glue br  total br (KB; brotli -q 11)');
for (const r of rows) {
  console.log(
    `${r.variant.padEnd(8)} ${kb(r.wasmBytes)} ${kb(r.wasmBrotli)} ${kb(r.glueBytes)} ${kb(r.glueBrotli)} ${kb(r.totalBrotli)}`,
  );
}
const report = {
  generatedAt: new Date().toISOString(),
  ceilingBrotliBytes: CEILING,
  goalBrotliBytes: GOAL,
  variants: rows,
};
writeFileSync('build/wasm/size-report.json', JSON.stringify(report, null, 2) + '\n');
const over = rows.filter((r) => r.totalBrotli > CEILING);
if (over.length) {
  console.error(`size ceiling exceeded (500 KB brotli): ${over.map((r) => r.variant).join(', ')}`);
  process.exit(1);
}
const overGoal = rows.filter((r) => r.totalBrotli > GOAL);
if (overGoal.length) console.warn(`above the 100 KB goal: ${overGoal.map((r) => r.variant).join(', ')}`);
console.log('size report: build/wasm/size-report.json');
