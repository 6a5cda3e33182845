/** The hand-written routing set over the real-features catalog keeps its rules (eval/check-facts-questions.mjs). */
import { execFileSync } from 'node:child_process';
import { expect, test } from 'vitest';

// The check is about 8 s of CPU (every question against every banned phrase): 16 s
// in a full run at a load of 11 on 2 cores, 77 s at 18, over Vitest's default 30 s.
test(
  'eval/facts-questions.json: codes exist, styles and splits covered, half name nothing of any feature',
  {
    timeout: 300_000,
  },
  () => {
    const out = execFileSync(process.execPath, ['eval/check-facts-questions.mjs'], { encoding: 'utf8' });
    expect(out).toMatch(/all checks pass/);
  },
);
