// Totals what npm test ran: CTest logs, Vitest and Playwright JSON, and the
// pass/fail of the other steps (argv: names of failed steps). Prints one
// line per suite and, last, "N passed, N failed". Exits 1 if anything failed.
import { existsSync, readFileSync } from 'node:fs';

const failedSteps = process.argv.slice(2);
const rows = [];
const add = (suite, passed, failed) => rows.push({ suite, passed, failed });

for (const [suite, log] of [
  ['ctest (native)', 'build/native/ctest.log'],
  ['ctest (scalar kernels)', 'build/native-scalar/ctest.log'],
  ['ctest (ASan+UBSan)', 'build/sanitize/ctest.log'],
]) {
  const m = existsSync(log) && readFileSync(log, 'utf8').match(/(\d+) tests failed out of (\d+)/);
  if (m) add(suite, Number(m[2]) - Number(m[1]), Number(m[1]));
  else add(suite, 0, 1);
}
const vitest = 'build/test-results/vitest.json';
if (existsSync(vitest)) {
  const j = JSON.parse(readFileSync(vitest, 'utf8'));
  add('vitest', j.numPassedTests, j.numFailedTests);
} else add('vitest', 0, 1);
const e2e = 'build/test-results/e2e.json';
if (existsSync(e2e)) {
  const s = JSON.parse(readFileSync(e2e, 'utf8')).stats;
  add('playwright', s.expected + s.flaky, s.unexpected);
} else add('playwright', 0, 1);
const pytest = 'build/test-results/pytest.xml';
if (existsSync(pytest)) {
  const head = readFileSync(pytest, 'utf8').match(/<testsuite\b[^>]*>/)?.[0] ?? '';
  const n = (k) => Number(head.match(new RegExp(`\\b${k}="(\\d+)"`))?.[1] ?? 0);
  const bad = n('failures') + n('errors');
  add('pytest (python + dask)', n('tests') - bad - n('skipped'), head ? bad : 1);
} else add('pytest (python + dask)', 0, 1);
const consumer = 'build/test-results/consumer.json';
if (existsSync(consumer)) {
  const j = JSON.parse(readFileSync(consumer, 'utf8'));
  add('consumer (packed tarball)', j.passed.length, j.failures.length);
} else add('consumer (packed tarball)', 0, 1);
for (const step of ['fuzz', 'typecheck', 'format', 'demo build', 'API reference (TypeDoc)'])
  add(step, failedSteps.includes(step) ? 0 : 1, failedSteps.includes(step) ? 1 : 0);

console.log('\nsuite                        passed  failed');
for (const r of rows)
  console.log(`${r.suite.padEnd(28)} ${String(r.passed).padStart(6)}  ${String(r.failed).padStart(6)}`);
const passed = rows.reduce((s, r) => s + r.passed, 0);
const failed = rows.reduce((s, r) => s + r.failed, 0);
if (failedSteps.length) console.log(`failed steps: ${failedSteps.join(', ')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || failedSteps.length > 0 ? 1 : 0);
