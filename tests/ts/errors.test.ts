import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { ElexError, ErrorCodes, codeForStatus, fromWire, toWire } from '../../ts/core/errors.ts';

test('every engine status maps to the ErrorCode of the same name (status.h is the source)', () => {
  const header = readFileSync(new URL('../../engine/include/elex/core/status.h', import.meta.url), 'utf8');
  const entries = [...header.matchAll(/ELEX_E_([A-Z_]+) = (\d+)/g)].map((m) => [m[1]!, Number(m[2])] as const);
  expect(entries.length).toBeGreaterThanOrEqual(8);
  for (const [name, value] of entries) {
    expect(codeForStatus(value)).toBe(name);
    expect(ErrorCodes).toContain(name);
  }
  expect(codeForStatus(999)).toBe('INTERNAL');
});

test('errors survive the wire form with their code and message', () => {
  const e = new ElexError('CORRUPT_DATA', 'checksum mismatch');
  const back = fromWire(structuredClone(toWire(e)));
  expect(back).toBeInstanceOf(ElexError);
  expect(back.code).toBe('CORRUPT_DATA');
  expect(back.message).toBe('checksum mismatch');
});

test('foreign errors become INTERNAL with their text kept', () => {
  expect(toWire(new TypeError('x is not a function'))).toMatchObject({
    code: 'INTERNAL',
    message: 'TypeError: x is not a function',
  });
  expect(toWire('plain string')).toEqual({ code: 'INTERNAL', message: 'plain string' });
  expect(fromWire({ code: 'NOT_A_CODE' as never, message: 'm' }).code).toBe('INTERNAL');
});
