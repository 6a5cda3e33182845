/**
 * The protocol helpers over a real Comlink channel (node's MessageChannel):
 * a worker-side failure reaches the caller as an ElexError with its code.
 */
import * as Comlink from 'comlink';
import { MessageChannel } from 'node:worker_threads';
import { afterEach, expect, test } from 'vitest';
import { ElexError, isWireError, revive, serve } from '../../ts/core/errors.ts';

const channels: MessageChannel[] = [];
afterEach(() => {
  for (const c of channels.splice(0)) {
    c.port1.close();
    c.port2.close();
  }
});

function connect<T>(api: T): Comlink.Remote<T> {
  const ch = new MessageChannel();
  channels.push(ch);
  Comlink.expose(api, ch.port1 as unknown as Comlink.Endpoint);
  return Comlink.wrap<T>(ch.port2 as unknown as Comlink.Endpoint);
}

const api = {
  ok: (x: number) => serve(() => x * 2),
  coded: () =>
    serve(() => {
      throw new ElexError('DIMENSION_MISMATCH', 'queries have 3 floats, dim is 2');
    }),
  untyped: () =>
    serve(() => {
      throw new RangeError('boom');
    }),
};

async function callAndRevive<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw revive(e);
  }
}

test('results cross unchanged', async () => {
  const remote = connect(api);
  expect(await callAndRevive(remote.ok(21))).toBe(42);
});

test('an ElexError keeps its code across the channel', async () => {
  const remote = connect(api);
  const err = await callAndRevive(remote.coded()).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ElexError);
  expect((err as ElexError).code).toBe('DIMENSION_MISMATCH');
  expect((err as ElexError).message).toBe('queries have 3 floats, dim is 2');
});

test('any other error arrives as INTERNAL with its message', async () => {
  const remote = connect(api);
  const err = await callAndRevive(remote.untyped()).catch((e: unknown) => e);
  expect((err as ElexError).code).toBe('INTERNAL');
  expect((err as ElexError).message).toMatch(/RangeError: boom/);
});

test('isWireError only accepts the plain wire shape', () => {
  expect(isWireError({ code: 'X', message: 'm' })).toBe(true);
  expect(isWireError(new Error('m'))).toBe(false);
  expect(isWireError(null)).toBe(false);
  expect(isWireError({ code: 1, message: 'm' })).toBe(false);
  expect(revive(new Error('plain')).code).toBe('INTERNAL');
});
