/**
 * The worker's serving layer (ts/parallel/serving.ts) behind both
 * transports, in Node: a call's deadline travels in its envelope (the
 * first Comlink argument; the fast channel's slot head), a call reached
 * after it ends with TIMEOUT without running, and a handler that waited
 * checks it again through its context.
 */
import * as Comlink from 'comlink';
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, test } from 'vitest';
import { ElexError, revive } from '../../ts/core/errors.ts';
import { FastChannel, serveFastChannel } from '../../ts/parallel/fast-channel.ts';
import type { CallEnvelope, WireApi, WorkerApi } from '../../ts/parallel/protocol.ts';
import { serve, server } from '../../ts/parallel/serving.ts';

const epochNow = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A few WorkerApi methods that record what ran and with which deadline. */
function fakeApi() {
  const ran: { method: string; deadline: number | undefined }[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const api = {
    ping: () => serve((call) => void ran.push({ method: 'ping', deadline: call.deadline })),
    // Waits (as for the router), then checks the deadline at that stage boundary.
    ranAct: () =>
      serve(async (call) => {
        ran.push({ method: 'ranAct', deadline: call.deadline });
        await gate;
        call.check();
        return 'acted';
      }),
  } as unknown as WorkerApi;
  return { api, ran, release };
}

const ports: MessageChannel[] = [];
afterEach(() => {
  for (const c of ports.splice(0)) (c.port1.close(), c.port2.close());
});

/** Comlink between two ports of one thread, serving `api` as the worker does. */
function overComlink(api: WorkerApi) {
  const ch = new MessageChannel();
  ports.push(ch);
  Comlink.expose(server(api).wire, ch.port1 as unknown as Comlink.Endpoint);
  const wire = Comlink.wrap<WireApi>(ch.port2 as unknown as Comlink.Endpoint);
  return (method: 'ping' | 'ranAct', envelope: CallEnvelope | null) =>
    (wire[method] as (e: CallEnvelope | null) => Promise<unknown>)(envelope).catch((e: unknown) => {
      throw revive(e);
    });
}

/** A fast channel (both ends on this thread) serving `api` as the worker does. */
function overFastChannel(api: WorkerApi, slots = 2) {
  const channel = new FastChannel({ slots, slotBytes: 1024, pageSpinMs: 0, workerSpinMs: 0 });
  serveFastChannel(channel.sab, channel.workerPort, server(api).dispatch, channel.slotBytes, 0);
  return {
    channel,
    send: (method: 'ping' | 'ranAct', envelope: CallEnvelope | null) =>
      channel.call(method, [], envelope)!.catch((e: unknown) => {
        throw revive(e);
      }),
  };
}

for (const transport of ['Comlink', 'fast channel'] as const) {
  describe(`serving, through ${transport}`, () => {
    const connect = (api: WorkerApi) => {
      if (transport === 'Comlink') return { send: overComlink(api), close: () => {} };
      const { channel, send } = overFastChannel(api);
      return { send, close: () => channel.close(new ElexError('CLOSED', 'done')) };
    };

    test("the method sees the envelope's deadline; none without one", async () => {
      const { api, ran } = fakeApi();
      const { send, close } = connect(api);
      const deadline = epochNow() + 60_000;
      await send('ping', { deadline });
      await send('ping', null);
      await send('ping', {});
      expect(ran).toEqual([
        { method: 'ping', deadline },
        { method: 'ping', deadline: undefined },
        { method: 'ping', deadline: undefined },
      ]);
      close();
    });

    test('a call reached after its deadline ends with TIMEOUT without running', async () => {
      const { api, ran } = fakeApi();
      const { send, close } = connect(api);
      const err = await send('ping', { deadline: epochNow() - 1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ElexError);
      expect((err as ElexError).code).toBe('TIMEOUT');
      expect((err as ElexError).message).toMatch(/reached the worker after its budget had passed/);
      expect(ran).toEqual([]);
      close();
    });

    test('a handler that waited past the deadline ends with TIMEOUT at its next check', async () => {
      const { api, ran, release } = fakeApi();
      const { send, close } = connect(api);
      const late = send('ranAct', { deadline: epochNow() + 150 }).catch((e: unknown) => e);
      const patient = send('ranAct', null);
      await sleep(250);
      release();
      expect(((await late) as ElexError).code).toBe('TIMEOUT');
      await expect(patient).resolves.toBe('acted');
      expect(ran.map((r) => r.method)).toEqual(['ranAct', 'ranAct']);
      close();
    });
  });
}

test('fast channel: a call waiting for a free slot keeps its own deadline', async () => {
  const { api, ran, release } = fakeApi();
  const { channel, send } = overFastChannel(api, 1);
  const deadline = epochNow() + 60_000;
  const first = send('ranAct', null);
  const queued = send('ping', { deadline });
  await sleep(10);
  expect(ran).toEqual([{ method: 'ranAct', deadline: undefined }]);
  release();
  await Promise.all([first, queued]);
  expect(ran[1]).toEqual({ method: 'ping', deadline });
  channel.close(new ElexError('CLOSED', 'done'));
});
