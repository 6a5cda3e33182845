/**
 * Hostile input, by hand: cases an outside tester found (issue: hostile
 * inputs through the public API), each a regression test of its fix. The
 * generated ones are in hostile.test.ts; browser-only ones in
 * e2e/hostile-cases.spec.ts.
 */
import { describe, expect, test } from 'vitest';
import { instantiate } from '../../ts/bindings/bindings.ts';
import { MAX_TIMER_MS, timerNeeded } from '../../ts/core/timers.ts';

describe('durations beyond what setTimeout holds', () => {
  test('a delay above 2^31 − 1 ms, or Infinity, starts no timer', () => {
    expect(timerNeeded(MAX_TIMER_MS)).toBe(true);
    expect(timerNeeded(0)).toBe(true);
    for (const ms of [MAX_TIMER_MS + 1, 1e10, Infinity, NaN, undefined]) expect(timerNeeded(ms)).toBe(false);
  });

  test('instantiate() with startTimeoutMs 2^31 starts (it failed at once with INIT_FAILED)', async () => {
    const b = await instantiate({ variant: 'simd', startTimeoutMs: 2 ** 31 });
    expect(b.distance('l2', new Float32Array([1, 2]), new Float32Array([4, 6]))).toBe(25);
    b.close();
  });
});

describe('durations that are not durations', () => {
  test('instantiate() with a startTimeoutMs of NaN, a string, 0 or below is INVALID_ARGUMENT (NaN and strings meant no limit, 0 and below failed as INIT_FAILED)', async () => {
    for (const startTimeoutMs of [NaN, '100', 0, -1])
      await expect(instantiate({ variant: 'simd', startTimeoutMs: startTimeoutMs as number })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('startTimeoutMs') as string,
      });
  });
});

describe('instantiate() options', () => {
  test('null or an unknown variant is INVALID_ARGUMENT (a TypeError, or INIT_FAILED "reading \'startsWith\'")', async () => {
    await expect(instantiate(null as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(instantiate({ variant: 'bogus' as never })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'unknown variant "bogus"; use one of simd-mt, simd, scalar',
    });
  });
});

describe('createEngine() options', () => {
  test('an unknown key is INVALID_ARGUMENT naming it and the option it was probably meant to be (a typo was ignored)', async () => {
    const { createEngine } = await import('../../ts/api/engine.ts');
    await expect(createEngine({ wrokers: 2 } as never)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('unknown option "wrokers" (did you mean "workers"?)') as string,
    });
    await expect(createEngine({ BaseURL: '/elex/' } as never)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('(did you mean "baseUrl"?)') as string,
    });
    await expect(createEngine({ somethingElse: true } as never)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/unknown option "somethingElse"; the options are variant, workers/) as string,
    });
    // Known keys pass this check (in Node the engine then needs Web Workers).
    await expect(createEngine({ workers: 1, catalog: undefined })).rejects.toMatchObject({
      code: 'UNSUPPORTED_VARIANT',
    });
  });
});

describe('options objects of the public methods', () => {
  test('a number where the options go, or an unknown key, rejects with INVALID_ARGUMENT before the method runs (both were ignored)', async () => {
    const { guardMethods, keysOf } = await import('../../ts/core/options.ts');
    const ran: unknown[] = [];
    const api = guardMethods(
      { query: async (text: string, options?: { k?: number; budgetMs?: number }) => void ran.push([text, options]) },
      'engine',
      { query: [1, keysOf<{ k?: number; budgetMs?: number }>()(['k', 'budgetMs'])] },
    );
    await expect(api.query('q', 7 as never)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'engine.query() options must be an object (k, budgetMs), got 7',
    });
    await expect(api.query('q', { budgetMS: 50 } as never)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'engine.query(): unknown option "budgetMS" (did you mean "budgetMs"?); the options are k, budgetMs',
    });
    await expect(api.query('q', [] as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(ran).toEqual([]);
    await api.query('q', { k: 3 });
    await api.query('q');
    expect(ran).toEqual([
      ['q', { k: 3 }],
      ['q', undefined],
    ]);
  });

  test('createEngine(): an unknown key inside routing, persist or learning is INVALID_ARGUMENT (it was ignored)', async () => {
    const { createEngine } = await import('../../ts/api/engine.ts');
    for (const [options, message] of [
      [{ routing: { cach: false } }, 'createEngine() routing: unknown option "cach" (did you mean "cache"?)'],
      [{ persist: { name: 'x', autosave: 10 } }, 'createEngine() persist: unknown option "autosave"'],
      [{ learning: { Alpha: 0.2 } }, 'createEngine() learning: unknown option "Alpha" (did you mean "alpha"?)'],
    ] as const)
      await expect(createEngine(options as never)).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining(message) as string,
      });
  });
});
