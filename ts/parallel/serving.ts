/**
 * The worker's serving layer: both transports (Comlink, the fast channel)
 * start every call here, with its envelope (protocol.ts CallEnvelope). A
 * call reached after its deadline ends with TIMEOUT without running: a
 * burst of calls beyond what the worker answers within their budget would
 * otherwise keep it busy with answers nobody waits for, and make the calls
 * behind them late too. Otherwise its method runs, and its body (serve())
 * is given the call's context, through which a handler that waits (for
 * the router, for earlier calls) checks the deadline again when it resumes.
 */
import { ElexError, serve as serveBody, toWire } from '../core/errors.ts';
import type { CallEnvelope, WireApi, WorkerApi } from './protocol.ts';

/** What a running call knows of itself. */
export class CallContext {
  /** `deadline`: epoch ms, as CallEnvelope.deadline (undefined: none). */
  constructor(readonly deadline?: number) {}

  /** TIMEOUT if the call's deadline has passed. */
  check(): void {
    if (this.deadline !== undefined && performance.timeOrigin + performance.now() > this.deadline)
      throw new ElexError(
        'TIMEOUT',
        'the call reached the worker after its budget had passed (the worker was busy with earlier calls)',
      );
  }
}

const NO_DEADLINE = new CallContext();
/** The call being started: set by dispatch() while it calls the method, taken by the method's serve(). */
let starting = NO_DEADLINE;

/**
 * Runs a method's body with its call's context, turning any failure into a
 * WireError (errors.ts serve()). A method calls it first thing, before any
 * await: the context is only there while dispatch() calls the method.
 */
export function serve<T>(body: (call: CallContext) => T | Promise<T>): Promise<T> {
  const call = starting;
  starting = NO_DEADLINE;
  return serveBody(() => body(call));
}

/** Starts `method(...args)` of the served API with the call's envelope. */
export type Dispatch = (method: keyof WorkerApi, args: unknown[], envelope: CallEnvelope | null) => Promise<unknown>;

/**
 * Serves `api`: `dispatch` (what the fast channel calls) drops a call
 * reached after its deadline, else calls the method with its context;
 * `wire` is what Comlink exposes, each method taking its envelope first
 * (protocol.ts WireApi), through the same dispatch.
 */
export function server(api: WorkerApi): { dispatch: Dispatch; wire: WireApi } {
  const dispatch: Dispatch = (method, args, envelope) => {
    const call = envelope?.deadline === undefined ? NO_DEADLINE : new CallContext(envelope.deadline);
    try {
      call.check();
    } catch (e) {
      return Promise.reject(toWire(e));
    }
    starting = call;
    try {
      return (api[method] as (...a: unknown[]) => Promise<unknown>)(...args);
    } finally {
      starting = NO_DEADLINE;
    }
  };
  const wire: Record<string, (envelope: CallEnvelope | null, ...args: unknown[]) => Promise<unknown>> = {};
  for (const method of Object.keys(api) as (keyof WorkerApi)[])
    wire[method] = (envelope, ...args) => dispatch(method, args, envelope);
  return { dispatch, wire: wire as unknown as WireApi };
}
