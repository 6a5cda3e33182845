/**
 * ElexError: the one error type of the package, with a stable `code`.
 *
 * Codes from the engine's status enum (engine/include/elex/core/status.h) keep
 * their names; the others arise in the TypeScript layer. Codes are never
 * renamed; new ones are only added.
 */
import { ENGINE_STATUS, ENGINE_STATUS_NAMES } from '../generated/enums.ts';

export const ErrorCodes = [
  /** The engine's statuses 1, 2, …, in order (status.h, through ts/generated/enums.ts). */
  ...ENGINE_STATUS_NAMES,
  /** The requested variant cannot run here (e.g. simd-mt without cross-origin isolation). */
  'UNSUPPORTED_VARIANT',
  /** Fetching, compiling or starting the wasm module failed. */
  'INIT_FAILED',
  /** The worker running the call died; it has been replaced, retry the call. */
  'WORKER_CRASHED',
  /** The call did not finish within its time budget. */
  'TIMEOUT',
  /** The caller aborted the call through its AbortSignal. */
  'ABORTED',
  /** The engine was closed. */
  'CLOSED',
  /** The requested storage for learned state cannot be used (missing, blocked, or in use by another engine). */
  'PERSIST_UNAVAILABLE',
  /** The call is a benchmark aid, built into bench builds only (build/wasm-bench/); the shipped wasm has none. */
  'NOT_IN_BUILD',
] as const;

export type ErrorCode = (typeof ErrorCodes)[number];

/** Engine status → ErrorCode. */
const CODE_OF_STATUS = new Map<number, ErrorCode>(ENGINE_STATUS_NAMES.map((code) => [ENGINE_STATUS[code], code]));

export class ElexError extends Error {
  override readonly name = 'ElexError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The ErrorCode for a non-zero engine status. */
export function codeForStatus(status: number): ErrorCode {
  return CODE_OF_STATUS.get(status) ?? 'INTERNAL';
}

export function isElexError(e: unknown): e is ElexError {
  return e instanceof ElexError;
}

/** The plain-object form of an error that crosses a worker boundary. */
export interface WireError {
  code: ErrorCode;
  message: string;
  stack?: string;
}

export function toWire(e: unknown): WireError {
  if (e instanceof ElexError) return { code: e.code, message: e.message, stack: e.stack };
  if (e instanceof Error) return { code: 'INTERNAL', message: `${e.name}: ${e.message}`, stack: e.stack };
  return { code: 'INTERNAL', message: String(e) };
}

export function fromWire(w: WireError): ElexError {
  const code = (ErrorCodes as readonly string[]).includes(w.code) ? w.code : 'INTERNAL';
  const err = new ElexError(code, w.message);
  if (w.stack) err.stack = w.stack;
  return err;
}

export function isWireError(e: unknown): e is WireError {
  return (
    typeof e === 'object' &&
    e !== null &&
    !(e instanceof Error) &&
    typeof (e as WireError).code === 'string' &&
    typeof (e as WireError).message === 'string'
  );
}

/** Worker-side helper: runs a method body, turning any failure into a WireError. */
export async function serve<T>(body: () => T | Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (e) {
    throw toWire(e);
  }
}

/** Main-side helper: turns what a worker threw back into an ElexError. */
export function revive(e: unknown): ElexError {
  if (e instanceof ElexError) return e;
  if (isWireError(e)) return fromWire(e);
  return new ElexError('INTERNAL', `worker call failed: ${e instanceof Error ? e.message : String(e)}`);
}

/**
 * What a public method throws for a failure that is not an ElexError: an
 * argument of another shape than documented (a TypeError or RangeError from
 * reading it, a getter or proxy that threw, a value that cannot be cloned to
 * a worker) is INVALID_ARGUMENT; a trap of the wasm module is INTERNAL.
 */
export function asElexError(e: unknown, where: string): ElexError {
  if (e instanceof ElexError) return e;
  const message = e instanceof Error ? e.message : 'a value that is not an Error was thrown';
  if (typeof WebAssembly !== 'undefined' && e instanceof WebAssembly.RuntimeError)
    return new ElexError('INTERNAL', `${where}: the engine trapped (${message}); please report it`, { cause: e });
  return new ElexError(
    'INVALID_ARGUMENT',
    `${where}: an argument is not of the documented type or shape (${message})`,
    {
      cause: e,
    },
  );
}
