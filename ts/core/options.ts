/**
 * Options objects of the public API: each one is checked for its shape and
 * its keys before a call runs. A key nobody reads was silently ignored
 * (`{ budgetMS: 50 }` ran with the default budget, `createIndex('v',
 * { dim: 8, efconstruction: 400 })` with the default width), and a number
 * where the options go (`query(text, 7)`) too; both are INVALID_ARGUMENT
 * naming the key, the option it was probably meant to be and the options
 * there are.
 */
import { asElexError, ElexError } from './errors.ts';

/**
 * Every key of T as a list for the checks at run time:
 * `keysOf<QueryOptions>()(['k', 'budgetMs', 'signal'])` compiles only while
 * the list names every key of QueryOptions and nothing else, so an option
 * added to an interface cannot be refused as unknown.
 */
export function keysOf<T>() {
  return <const K extends readonly (keyof T & string)[]>(
    keys: K & ([Exclude<keyof T, K[number]>] extends [never] ? unknown : { missing: Exclude<keyof T, K[number]> }),
  ): readonly string[] => keys;
}

/**
 * INVALID_ARGUMENT unless `value` is undefined or an object whose own keys
 * are all in `keys`. `where` names the call and the argument
 * (`engine.query() options`).
 */
export function checkOptions(where: string, value: unknown, keys: readonly string[]): void {
  if (value === undefined) return;
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new ElexError(
      'INVALID_ARGUMENT',
      `${where} options must be an object (${keys.join(', ')}), got ${Array.isArray(value) ? 'an array' : String(value)}`,
    );
  for (const key of Object.keys(value)) {
    if (keys.includes(key)) continue;
    const near = keys.find((k) => k.toLowerCase() === key.toLowerCase() || editDistance(k, key) <= 2);
    throw new ElexError(
      'INVALID_ARGUMENT',
      `${where}: unknown option "${key}"${near ? ` (did you mean "${near}"?)` : ''}; the options are ${keys.join(', ')}`,
    );
  }
}

/** Levenshtein distance (short strings). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * Wraps every method of a plain object (the engine, an engine index) so that
 * whatever it throws or rejects with is an ElexError (see asElexError).
 * `options` names, for a method, which argument is its options object and
 * the keys that object may have (core/options.ts): another shape or key
 * rejects with INVALID_ARGUMENT before the method runs.
 */
export function guardMethods<T extends object>(
  obj: T,
  what: string,
  options: Partial<Record<keyof T, readonly [arg: number, keys: readonly string[]]>> = {},
): T {
  for (const key of Object.keys(obj)) {
    const d = Object.getOwnPropertyDescriptor(obj, key)!;
    if (typeof d.value !== 'function') continue;
    const method = d.value as (...args: unknown[]) => unknown;
    const where = `${what}.${key}()`;
    const spec = options[key as keyof T];
    Object.defineProperty(obj, key, {
      ...d,
      value: function guarded(this: unknown, ...args: unknown[]) {
        if (spec) {
          // Methods with options are async: a bad options object rejects.
          try {
            checkOptions(where, args[spec[0]], spec[1]);
          } catch (e) {
            return Promise.reject(e);
          }
        }
        try {
          const r = method.apply(this, args);
          return r instanceof Promise ? r.catch((e: unknown) => Promise.reject(asElexError(e, where))) : r;
        } catch (e) {
          throw asElexError(e, where);
        }
      },
    });
  }
  return obj;
}
