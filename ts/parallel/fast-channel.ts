/**
 * The fast call path: hot WorkerApi calls (FAST_METHODS in protocol.ts)
 * through a SharedArrayBuffer with Atomics instead of postMessage, on pages
 * that are cross-origin isolated. One channel per worker; Comlink still
 * carries every other call, and these too when a payload does not fit.
 *
 * Memory (one SharedArrayBuffer):
 *   header, 16 Int32 words: [REQ_SEQ] bumped by the page after it wrote a
 *     request, [RESP_SEQ] bumped by the worker after it wrote an answer
 *     (each side waits on the other's word);
 *   SLOTS slots, each a 24-byte head (Int32: state, seq, method, length;
 *     then a Float64: the call's deadline, CallEnvelope.deadline, NaN for
 *     none) and SLOT_BYTES of data: the request's encoding (fast-codec.ts),
 *     then, in the same bytes, the answer's.
 * A slot's state moves FREE → REQUEST (page) → TAKEN (worker, arguments
 * read) → OK | ERROR | PORT (worker) → FREE (page, answer read). PORT: the
 * answer did not fit (or is not encodable) and comes as a message on the
 * channel's MessagePort instead.
 *
 * Waiting. The worker must keep serving Comlink, so it never blocks: after
 * each request or answer it polls for new requests for WORKER_SPIN_MS:
 * for HOT_SPIN_MS without sleeping (a caller's next call often follows at
 * once, and a sleeping thread's futex wake-up costs 10-20 µs), then in
 * Atomics.wait naps of at most 0.1 ms (yielding to microtasks, so
 * handlers settle meanwhile), then waits with
 * Atomics.waitAsync. The page cannot block either: for a call whose method
 * usually answers within PAGE_SPIN_MS it polls the same way until about
 * when the answer is due, then waits with waitAsync (whose wake-up, a task
 * on the page's event loop, costs tens of µs). Both spins are bounded (two
 * cores here: an unbounded spin starves the engine threads).
 *
 * Order: requests are numbered and the worker starts them in that order
 * (calls beyond the free slots queue on the page, first in, first out), as
 * postMessage would deliver them.
 */
import '../core/web-types.ts';
import { decode, TooBig, Unencodable, Writer } from './fast-codec.ts';
import { FAST_BORROWS, FAST_METHODS, type CallEnvelope, type FastMethod } from './protocol.ts';
import type { Dispatch } from './serving.ts';

const HEADER_BYTES = 64;
const REQ_SEQ = 0;
const RESP_SEQ = 1;
const SLOT_HEAD = 24;
/** Slot head words (Int32 index within the slot's head). */
const STATE = 0,
  SEQ = 1,
  METHOD = 2,
  LENGTH = 3;
/** Byte offset of the deadline (Float64) within the slot's head. */
const DEADLINE = 16;
const FREE = 0,
  REQUEST = 1,
  TAKEN = 2,
  OK = 3,
  ERROR = 4,
  PORT = 5;

export interface FastChannelOptions {
  /** Calls in flight at once (default 4). */
  slots?: number;
  /** Bytes of one request or answer (default 512 KiB: validateBatch of 10K changes fits). */
  slotBytes?: number;
  /** ms the page polls for an answer before it waits (default PAGE_SPIN_MS). */
  pageSpinMs?: number;
  /** ms the worker polls for a request after its last one before it waits (default WORKER_SPIN_MS). */
  workerSpinMs?: number;
}

/**
 * Waiting windows (ms), chosen by measuring on 2 cores (see
 * docs/guide.md, "The fast call path"): the page polls only for calls
 * that usually answer within PAGE_SPIN_MS (a ping, a one-query search:
 * tens of µs, where waitAsync's wake-up would triple the round trip), not
 * for slower ones such as a query cycle (about 0.3 ms of work): polling
 * through those held one of the two cores while the worker and the
 * browser's other threads needed it, and the query cycle's p95 paid for it
 * (bench:route, default catalog, first pass 2.0-4.7 ms polling up to
 * 0.8 ms against 1.2-1.7 ms polling up to 0.15 ms, under load). On a quiet
 * machine the wake-up costs the cycle's p50 about 0.075 ms (bench:fastpath
 * 0.240 -> 0.315 ms), which that tail is worth.
 * The worker polls without sleeping for HOT_SPIN_MS after
 * an answer only while the page's requests follow its answers that fast
 * (an unconditional poll was measured slower under load: it took the CPU
 * share the page needed to read that answer), then sleeps in Atomics.wait
 * (no core burnt) for the rest of WORKER_SPIN_MS.
 */
const PAGE_SPIN_MS = 0.15;
/**
 * After MISSES_TO_PAUSE polls in a row ran out without catching their
 * answer (a busy machine: the worker's answer comes late and the poll only
 * takes a core), the page stops polling for PAUSE_MIN calls, twice as many
 * after each pause that did not help, up to PAUSE_MAX; a poll that catches
 * its answer resets the pause.
 */
const MISSES_TO_PAUSE = 3;
const PAUSE_MIN = 16;
const PAUSE_MAX = 1024;
const WORKER_SPIN_MS = 0.5;
/** The worker's event loop gets a task turn at least this often (ms) while calls keep coming. */
const YIELD_MS = 2;
/** The worker polls without sleeping for this long after each answer (ms). */
const HOT_SPIN_MS = 0.05;

/** Whether this page can run the fast path: shared memory and Atomics.waitAsync. */
export function fastPathSupported(): boolean {
  return (
    typeof SharedArrayBuffer !== 'undefined' &&
    (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true &&
    typeof (Atomics as { waitAsync?: unknown }).waitAsync === 'function'
  );
}

type WaitAsync = (
  a: Int32Array,
  index: number,
  value: number,
  timeout?: number,
) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** What the worker posts on the port for an answer that did not fit its slot. */
interface PortAnswer {
  slot: number;
  seq: number;
  ok: boolean;
  value: unknown;
}

interface Pending {
  seq: number;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  /** Its method's number, and when it was sent (performance.now()). */
  method: number;
  sentAt: number;
}

interface Queued extends Pending {
  bytes: Uint8Array;
  deadline: number;
}

function layout(sab: SharedArrayBuffer, slotBytes: number) {
  const words = new Int32Array(sab);
  const bytes = new Uint8Array(sab);
  const view = new DataView(sab);
  const head = (slot: number) => (HEADER_BYTES + slot * (SLOT_HEAD + slotBytes)) >> 2;
  const data = (slot: number) => HEADER_BYTES + slot * (SLOT_HEAD + slotBytes) + SLOT_HEAD;
  /** A slot's deadline (any slotBytes: a DataView reads it unaligned too). */
  const deadline = {
    get: (slot: number) => view.getFloat64((head(slot) << 2) + DEADLINE, true),
    set: (slot: number, at: number) => view.setFloat64((head(slot) << 2) + DEADLINE, at, true),
  };
  return { words, bytes, head, data, deadline };
}

/** The page's end of one worker's channel. */
export class FastChannel {
  readonly sab: SharedArrayBuffer;
  readonly port: MessagePort;
  /** The end to give the worker (transferred with openFastChannel). */
  readonly workerPort: MessagePort;
  readonly slots: number;
  readonly slotBytes: number;
  private readonly pageSpinMs: number;
  readonly workerSpinMs: number;
  /** Answers the page found while polling, and after waiting. */
  spinHits = 0;
  waits = 0;
  private readonly mem: ReturnType<typeof layout>;
  private readonly pending: (Pending | null)[];
  private readonly queue: Queued[] = [];
  private inflight = 0;
  private seq = 0;
  private polling = false;
  private closed: unknown = null;
  /** Calls carried, and calls that went by postMessage because they did not fit. */
  calls = 0;
  fallbacks = 0;
  private readonly scratch = new Writer();
  /** Each slot's writer (made on first use). */
  private readonly writers: Writer[] = [];
  /** ms each method usually takes to answer (running mean), by method number. */
  private readonly typicalMs: number[] = [];
  /** Polls in a row that ran out without catching an answer. */
  private missedPolls = 0;
  /** Calls up to this count are sent without polling after polls kept missing (see spinWindow); the next such pause. */
  private pauseUntil = 0;
  private nextPause = PAUSE_MIN;

  /** Calls still to send without polling for their answer (a pause after polls kept missing). */
  get pollPause(): number {
    return Math.max(0, this.pauseUntil - this.calls);
  }

  constructor(options: FastChannelOptions = {}) {
    this.slots = options.slots ?? 4;
    this.slotBytes = options.slotBytes ?? 512 * 1024;
    this.pageSpinMs = options.pageSpinMs ?? PAGE_SPIN_MS;
    this.workerSpinMs = options.workerSpinMs ?? WORKER_SPIN_MS;
    this.sab = new SharedArrayBuffer(HEADER_BYTES + this.slots * (SLOT_HEAD + this.slotBytes));
    this.mem = layout(this.sab, this.slotBytes);
    this.pending = new Array<Pending | null>(this.slots).fill(null);
    const channel = new MessageChannel();
    this.port = channel.port1;
    this.workerPort = channel.port2;
    this.port.onmessage = (e: MessageEvent<PortAnswer>) => this.portAnswer(e.data);
  }

  /**
   * Sends `method(...args)` with its envelope; null when the call must go
   * by postMessage instead (arguments too big or not encodable, or the
   * channel closed).
   */
  call(method: FastMethod, args: unknown[], envelope: CallEnvelope | null = null): Promise<unknown> | null {
    if (this.closed) return null;
    const id = FAST_METHODS.indexOf(method);
    const deadline = envelope?.deadline ?? NaN;
    const slot = this.freeSlot();
    try {
      if (slot >= 0) {
        const writer = (this.writers[slot] ??= new Writer(
          this.mem.bytes.subarray(this.mem.data(slot), this.mem.data(slot) + this.slotBytes),
        )).reset();
        writer.value(args);
        return this.post(slot, id, writer.pos, deadline);
      }
      this.scratch.reset().value(args);
      if (this.scratch.pos > this.slotBytes) throw new TooBig('');
    } catch (e) {
      if (e instanceof TooBig || e instanceof Unencodable) {
        this.fallbacks++;
        return null;
      }
      throw e;
    }
    // Every slot busy: wait in line.
    return new Promise((resolve, reject) => {
      const bytes = this.scratch.bytes().slice();
      this.queue.push({ seq: 0, resolve, reject, method: id, sentAt: 0, bytes, deadline });
    });
  }

  /** Rejects every call in flight or queued with `error`; later calls go by postMessage. */
  close(error: unknown): void {
    if (this.closed) return;
    this.closed = error;
    for (let i = 0; i < this.slots; i++) {
      const p = this.pending[i];
      this.pending[i] = null;
      p?.reject(error);
    }
    for (const q of this.queue.splice(0)) q.reject(error);
    this.inflight = 0;
    this.port.close();
    Atomics.notify(this.mem.words, RESP_SEQ); // wakes the poller, which sees the channel closed
  }

  // ------------------------------------------------------------ internals

  private freeSlot(): number {
    if (this.queue.length > 0) return -1; // keep the order
    for (let i = 0; i < this.slots; i++) if (this.pending[i] === null) return i;
    return -1;
  }

  private post(slot: number, method: number, length: number, deadline: number, waiting?: Queued): Promise<unknown> {
    const { words, head } = this.mem;
    const h = head(slot);
    const seq = ++this.seq;
    words[h + SEQ] = seq;
    words[h + METHOD] = method;
    words[h + LENGTH] = length;
    this.mem.deadline.set(slot, deadline);
    Atomics.store(words, h + STATE, REQUEST);
    Atomics.add(words, REQ_SEQ, 1);
    Atomics.notify(words, REQ_SEQ);
    this.calls++;
    this.inflight++;
    const sentAt = performance.now();
    const promise = waiting
      ? null
      : new Promise<unknown>((resolve, reject) => (this.pending[slot] = { seq, resolve, reject, method, sentAt }));
    if (waiting) this.pending[slot] = { seq, resolve: waiting.resolve, reject: waiting.reject, method, sentAt };
    if (!this.polling) void this.poll();
    return promise!;
  }

  /** Reads every answer that is in; returns how many. */
  private collect(): number {
    const { words, bytes, head, data } = this.mem;
    let got = 0;
    for (let slot = 0; slot < this.slots; slot++) {
      const p = this.pending[slot];
      if (!p) continue;
      const h = head(slot);
      const state = Atomics.load(words, h + STATE);
      if (state !== OK && state !== ERROR) continue;
      let value: unknown,
        failed = state === ERROR;
      try {
        value = decode(bytes.subarray(data(slot), data(slot) + words[h + LENGTH]!));
      } catch (e) {
        value = e;
        failed = true;
      }
      this.release(slot);
      this.learn(p);
      got++;
      if (failed) p.reject(value);
      else p.resolve(value);
    }
    return got;
  }

  /** Keeps a running mean of each method's answer time (see spinWindow). */
  private learn(p: Pending): void {
    const ms = performance.now() - p.sentAt;
    const old = this.typicalMs[p.method];
    this.typicalMs[p.method] = old === undefined ? ms : 0.8 * old + 0.2 * ms;
  }

  /**
   * How long to poll before waiting: until the quickest call in flight
   * usually answers (half as long again), at most pageSpinMs after it was
   * sent, when its method usually answers within pageSpinMs; otherwise 0
   * (a poll that cannot catch the answer only takes a core the worker
   * needs). The cap is on the method's usual time, not on the window: a
   * wait makes a call's time longer by the wake-up (tens of µs), and a
   * rule on the window would then never poll again for calls near it.
   * Also 0 while polling is paused because polls kept missing their
   * answers (MISSES_TO_PAUSE).
   */
  private spinWindow(): number {
    if (this.calls <= this.pauseUntil) return 0;
    let best = Infinity;
    const now = performance.now();
    for (const p of this.pending) {
      if (!p) continue;
      const typical = this.typicalMs[p.method] ?? 0;
      if (typical > this.pageSpinMs) continue;
      best = Math.min(best, p.sentAt + Math.min(this.pageSpinMs, typical * 1.5 + 0.02) - now);
    }
    return best === Infinity ? 0 : Math.max(0, best);
  }

  /** Frees a slot and gives it to the first call in line. */
  private release(slot: number): void {
    const h = this.mem.head(slot);
    Atomics.store(this.mem.words, h + STATE, FREE);
    this.pending[slot] = null;
    this.inflight--;
    const next = this.queue.shift();
    if (next) {
      const at = this.mem.data(slot);
      this.mem.bytes.set(next.bytes, at);
      void this.post(slot, next.method, next.bytes.length, next.deadline, next);
    }
  }

  private portAnswer(a: PortAnswer): void {
    const p = this.pending[a.slot];
    if (!p || p.seq !== a.seq) return;
    this.release(a.slot);
    if (a.ok) p.resolve(a.value);
    else p.reject(a.value);
  }

  /** Polls for answers while calls are in flight: a bounded spin, then waitAsync. */
  private async poll(): Promise<void> {
    this.polling = true;
    const words = this.mem.words;
    let window = this.spinWindow();
    let spinUntil = performance.now() + window;
    let waited = false;
    try {
      while (this.inflight > 0 && !this.closed) {
        const seen = Atomics.load(words, RESP_SEQ);
        if (this.collect() > 0) {
          if (!waited) {
            this.spinHits++;
            this.missedPolls = 0;
            this.nextPause = PAUSE_MIN;
          }
          waited = false;
          window = this.spinWindow();
          spinUntil = performance.now() + window;
          continue;
        }
        if (performance.now() < spinUntil) {
          await null; // lets the caller's code (and other calls' sends) run
          continue;
        }
        if (window > 0 && ++this.missedPolls >= MISSES_TO_PAUSE) {
          this.missedPolls = 0;
          this.pauseUntil = this.calls + this.nextPause;
          this.nextPause = Math.min(PAUSE_MAX, this.nextPause * 2);
        }
        const w = waitAsync(words, RESP_SEQ, seen);
        this.waits++;
        waited = true;
        if (w.async) await w.value;
        window = this.spinWindow();
        spinUntil = performance.now() + window;
      }
    } finally {
      this.polling = false;
    }
  }
}

/**
 * The worker's end: serves the channel's requests through `dispatch` (the
 * serving layer Comlink's calls go through too), until the worker dies.
 * Returns at once.
 */
export function serveFastChannel(
  sab: SharedArrayBuffer,
  port: MessagePort,
  dispatch: Dispatch,
  slotBytes: number,
  spinMs: number,
): void {
  const { words, bytes, head, data, deadline } = layout(sab, slotBytes);
  const slots = (sab.byteLength - HEADER_BYTES) / (SLOT_HEAD + slotBytes);
  let busyUntil = 0;
  /**
   * When the last answer was written, and the running mean of the time from
   * an answer to the next request (ms): the worker polls without sleeping
   * only while requests follow answers within HOT_SPIN_MS, as in a
   * caller's loop on an idle machine. On a busy machine the page's thread
   * comes back later, and a poll there would only take the CPU share the
   * page needs.
   */
  let answeredAt = 0;
  let gapMs = 0;
  /** Each slot's writer (made on first use). */
  const writers: Writer[] = [];
  /** Handlers started and not settled. */
  let running = 0;

  const answer = (slot: number, seq: number, ok: boolean, value: unknown) => {
    const h = head(slot);
    if (Atomics.load(words, h + SEQ) !== seq) return; // never: a slot is reused only once answered
    try {
      const writer = (writers[slot] ??= new Writer(bytes.subarray(data(slot), data(slot) + slotBytes))).reset();
      writer.value(value);
      words[h + LENGTH] = writer.pos;
      Atomics.store(words, h + STATE, ok ? OK : ERROR);
    } catch (e) {
      if (!(e instanceof TooBig || e instanceof Unencodable)) throw e;
      Atomics.store(words, h + STATE, PORT); // before the message: the page frees the slot on it
      port.postMessage({ slot, seq, ok, value } satisfies PortAnswer);
    }
    Atomics.add(words, RESP_SEQ, 1);
    Atomics.notify(words, RESP_SEQ);
    busyUntil = answeredAt = performance.now();
    busyUntil += spinMs;
  };

  /** Starts every request that is in, in the order sent. */
  const take = () => {
    const ready: { slot: number; seq: number }[] = [];
    for (let slot = 0; slot < slots; slot++) {
      const h = head(slot);
      if (Atomics.load(words, h + STATE) === REQUEST) ready.push({ slot, seq: words[h + SEQ]! });
    }
    ready.sort((a, b) => a.seq - b.seq);
    for (const { slot, seq } of ready) {
      const h = head(slot);
      const method = FAST_METHODS[words[h + METHOD]!];
      let args: unknown[];
      try {
        // The slot is not written again before this call's answer (FAST_BORROWS).
        args = decode(
          bytes.subarray(data(slot), data(slot) + words[h + LENGTH]!),
          0,
          method !== undefined && FAST_BORROWS.has(method),
        ) as unknown[];
      } catch (e) {
        Atomics.store(words, h + STATE, TAKEN);
        answer(slot, seq, false, { code: 'INTERNAL', message: `fast path: ${String(e)}` });
        continue;
      }
      const at = deadline.get(slot);
      const envelope = Number.isNaN(at) ? null : { deadline: at };
      Atomics.store(words, h + STATE, TAKEN);
      running++;
      const run = method
        ? Promise.resolve().then(() => dispatch(method, args, envelope))
        : Promise.reject({ code: 'INTERNAL', message: `fast path: no method ${words[h + METHOD]}` });
      run.then(
        (v) => (running--, answer(slot, seq, true, v)),
        (e: unknown) => (running--, answer(slot, seq, false, e)),
      );
    }
  };

  // A task turn for the worker's event loop (Comlink, timers), at least every YIELD_MS.
  const turn = new MessageChannel();
  let turnTaken: (() => void) | null = null;
  turn.port1.onmessage = () => turnTaken?.();
  const yieldTurn = () =>
    new Promise<void>((resolve) => {
      turnTaken = resolve;
      turn.port2.postMessage(null);
    });

  void (async () => {
    let seen = 0;
    let turnAt = performance.now();
    let microTurns = 0;
    for (;;) {
      if (performance.now() - turnAt > YIELD_MS) {
        await yieldTurn();
        turnAt = performance.now();
      }
      const now = Atomics.load(words, REQ_SEQ);
      if (now !== seen) {
        if (answeredAt > 0 && running === 0) {
          gapMs = 0.8 * gapMs + 0.2 * Math.min(1, performance.now() - answeredAt);
          answeredAt = 0;
        }
        seen = now;
        microTurns = 0;
        take();
        busyUntil = performance.now() + spinMs;
        continue;
      }
      const left = busyUntil - performance.now();
      if (running > 0) {
        // A handler is running. Most settle within a few microtasks; one that
        // waits for a task (storage, a router being built) gets the event
        // loop: the wait ends on the next request or after 1 ms.
        if (microTurns++ < 16) {
          await null;
          continue;
        }
        const w = waitAsync(words, REQ_SEQ, seen, 1);
        if (w.async) await w.value;
        turnAt = performance.now();
        continue;
      }
      microTurns = 0;
      if (left > spinMs - HOT_SPIN_MS && gapMs < HOT_SPIN_MS) {
        // Just answered: the page's next call often follows at once (a loop
        // of one-query searches); a few µs of polling spare the futex
        // wake-up of a sleeping thread.
        continue;
      }
      if (left > 0) {
        // Nothing running: sleep in the kernel until the page's next
        // request (or the window's end) without burning a core, which a
        // two-core machine cannot spare. Blocks this worker's event loop
        // for at most `left` ms.
        Atomics.wait(words, REQ_SEQ, seen, Math.min(left, 0.1));
        continue;
      }
      const w = waitAsync(words, REQ_SEQ, seen);
      if (w.async) await w.value;
      turnAt = performance.now();
    }
  })();
}
