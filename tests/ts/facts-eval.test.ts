/** The hand-written routing set over the real-features catalog keeps its rules (eval/check-facts-questions.mjs). */
import { execFileSync } from 'node:child_process';
import { expect, test } from 'vitest';

test('eval/facts-questions.json: codes exist, styles and splits covered, half name nothing of any feature', () => {
  const out = execFileSync(process.execPath, ['eval/check-facts-questions.mjs'], { encoding: 'utf8' });
  expect(out).toMatch(/all checks pass/);
});
