/**
 * The RAN catalog: features, parameters, counters and KPIs, as the JSON
 * schema in catalog/catalog.schema.json describes. The loader checks a
 * catalog and reports every problem with its JSON path; only identifiers
 * are required. A catalog with nothing but feature codes, categories and
 * the names of their parameters and counters loads and routes.
 */
import { ElexError } from '../core/errors.ts';
import { parseFormula } from './formula.ts';

export interface SafeZone {
  /** Safe range: values outside it get a warning. */
  min?: number;
  max?: number;
  /** Largest change in one cycle (absolute, in the parameter's unit). */
  maxChange?: number;
  /** Seconds between two changes of the same parameter on the same cell. */
  cooldownS?: number;
}

export interface Feature {
  /** e.g. "FAJ 121 3094" */
  code: string;
  name?: string;
  acronym?: string;
  category?: string;
  description?: string;
  /** Codes of features this one depends on. */
  dependencies?: string[];
  /** Names of its parameters, counters and KPIs. */
  parameters?: string[];
  counters?: string[];
  kpis?: string[];
}

export interface Parameter {
  /** "MOClass.attribute" */
  name: string;
  features?: string[];
  type?: 'int' | 'float' | 'bool' | 'enum' | 'string';
  unit?: string;
  /** Absolute range [min, max]. */
  range?: [number, number];
  values?: string[];
  default?: number | boolean | string;
  safe?: SafeZone;
  description?: string;
}

export interface Counter {
  /** "MOClass.pmName" */
  name: string;
  features?: string[];
  unit?: string;
  description?: string;
}

export interface Kpi {
  name: string;
  /** Arithmetic over counter names: + - * / ( ) and numbers. */
  formula?: string;
  unit?: string;
  threshold?: number;
  /** Which side of the threshold is good. */
  direction?: 'higher' | 'lower';
  features?: string[];
  description?: string;
}

/** An abbreviation or synonym: the router searches for either side when a question has the other. */
export interface GlossaryEntry {
  term: string;
  means: string;
}

export interface Catalog {
  format?: 'elex-catalog';
  version?: 1;
  name?: string;
  features: Feature[];
  parameters?: Parameter[];
  counters?: Counter[];
  kpis?: Kpi[];
  /** Abbreviations and synonyms added to the default RAN glossary. */
  glossary?: GlossaryEntry[];
}

export interface CatalogProblem {
  /** JSON path, e.g. "$.features[3].code" */
  path: string;
  message: string;
}

export interface CatalogStats {
  features: number;
  parameters: number;
  counters: number;
  kpis: number;
  categories: number;
}

/** A checked catalog with every cross-reference resolved (names listed by a feature exist). */
export interface LoadedCatalog {
  catalog: Catalog;
  /** The JSON text it was parsed from, when there was one (passed to workers as is). */
  json?: string;
  stats: CatalogStats;
  /** FNV-1a 64 (hex) of the canonical JSON: snapshots learned on another catalog are refused. */
  fingerprint: string;
  features: Map<string, Feature>;
  parameters: Map<string, Parameter>;
  counters: Map<string, Counter>;
  kpis: Map<string, Kpi>;
}

const CODE = /^[A-Z]{2,5} ?\d{2,4} ?\d{2,5}(\/\d+)?$/;
/** A name that starts or ends with white space (JavaScript's \s, utf8::js_space in the engine). */
const PADDED = /^\s|\s$/;
const MAX_PROBLEMS = 50;
const BAD_CODE =
  'must be a feature code such as "FAJ 121 3094": 2 to 5 capitals, then groups of 2 to 4 and 2 to 5 digits, optionally "/n"';

/**
 * forEach that also visits the holes of a sparse array (as undefined): a hole
 * is a missing entry, which forEach would skip, and loading then fails on it.
 */
function each(a: readonly unknown[], fn: (x: unknown, i: number) => void): void {
  for (let i = 0; i < a.length; i++) fn(a[i], i);
}

/** The problem of a code that is an earlier feature's code with other spacing. */
const spacedDuplicate = (code: string, first: number, firstCode: string) =>
  `duplicate feature code "${code}": $.features[${first}] is "${firstCode}", the same code with other spacing (a question names both alike)`;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks `input` against the catalog schema; returns the problems (empty when valid). */
export function checkCatalog(input: unknown): CatalogProblem[] {
  return drain(checkSteps(input));
}

/** Runs a sliced computation (a generator that yields between pieces of work) to its end, at once. */
export function drain<T>(steps: Generator<void, T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** How long a slice of catalog work may run before the page's event loop gets a turn. */
const SLICE_MS = 8;

/**
 * Gives the event loop a turn (input, rendering, timers): a task posted on
 * a MessageChannel, which browsers do not clamp as they clamp nested
 * setTimeout(0) to 4 ms, and which does not outrank timers as
 * scheduler.yield() does. setImmediate in Node.
 */
let yieldPort: MessagePort | null = null;
const yieldQueue: (() => void)[] = [];
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const immediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
    if (typeof immediate === 'function') {
      immediate(resolve);
      return;
    }
    if (typeof MessageChannel !== 'function') {
      setTimeout(resolve, 0);
      return;
    }
    if (!yieldPort) {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => yieldQueue.shift()?.();
      yieldPort = channel.port2;
    }
    yieldQueue.push(resolve);
    yieldPort.postMessage(null);
  });
}

/**
 * Runs a sliced computation in slices of about SLICE_MS, yielding to the
 * event loop between them, so no task of the page is long.
 */
export async function runSliced<T>(steps: Generator<void, T>): Promise<T> {
  let start = performance.now();
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    if (performance.now() - start >= SLICE_MS) {
      await yieldToEventLoop();
      start = performance.now();
    }
  }
}

/** Every this many entries of a list, a sliced computation offers to yield. */
const STEP = 32;

/** checkCatalog() in steps (yields between entries of the lists). */
function* checkSteps(input: unknown): Generator<void, CatalogProblem[]> {
  const problems: CatalogProblem[] = [];
  const bad = (path: string, message: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ path, message });
  };
  try {
    yield* checkInto(input, bad);
  } catch (e) {
    // A getter that throws, a proxy, a cycle reached through a field: not JSON data.
    bad('$', `could not be read as JSON data (${e instanceof Error ? e.message : String(e)})`);
  }
  return problems;
}

function* checkInto(input: unknown, bad: (path: string, message: string) => void): Generator<void, void> {
  if (!isObj(input)) {
    bad('$', 'a catalog is a JSON object with a "features" array');
    return;
  }
  if (input.format !== undefined && input.format !== 'elex-catalog') bad('$.format', 'must be "elex-catalog"');
  if (input.version !== undefined && input.version !== 1) bad('$.version', 'this build reads version 1');
  const str = (v: unknown, path: string, required = false) => {
    if (v === undefined) {
      if (required) bad(path, 'is required');
      return;
    }
    if (typeof v !== 'string' || v.length === 0 || v.length > 4096)
      bad(path, 'must be a non-empty string (at most 4096 characters)');
  };
  const strList = (v: unknown, path: string, names = false) => {
    if (v === undefined) return;
    if (!Array.isArray(v)) return bad(path, 'must be an array of strings');
    each(v, (x, i) => {
      str(x, `${path}[${i}]`, true);
      if (names) padded(x, `${path}[${i}]`);
    });
  };
  /** A name is matched as written: "X " would be another item than "X" (a bare one, silently). */
  const padded = (v: unknown, path: string) => {
    if (typeof v === 'string' && v.length > 0 && v.length <= 4096 && PADDED.test(v))
      bad(path, 'must not start or end with a space: names are matched as written');
  };
  const num = (v: unknown, path: string) => {
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) bad(path, 'must be a finite number');
  };
  str(input.name, '$.name');
  if (input.seed !== undefined && !Number.isInteger(input.seed)) bad('$.seed', 'must be an integer');
  if (!Array.isArray(input.features) || input.features.length === 0) {
    bad('$.features', 'is required: a non-empty array of features');
    return;
  }
  const codes = new Set<string>();
  /** Each code without its spaces → the index of the feature that has it (a question names both alike). */
  const spaced = new Map<string, number>();
  const featureList: unknown[] = input.features;
  for (let i = 0; i < featureList.length; i++) {
    if (i % STEP === STEP - 1) yield;
    const f = featureList[i];
    const p = `$.features[${i}]`;
    if (!isObj(f)) {
      bad(p, 'must be an object');
      continue;
    }
    if (f.code === undefined) bad(`${p}.code`, 'is required: a feature code such as "FAJ 121 3094"');
    else if (typeof f.code !== 'string' || !CODE.test(f.code)) bad(`${p}.code`, BAD_CODE);
    else if (codes.has(f.code)) bad(`${p}.code`, `duplicate feature code "${f.code}"`);
    else {
      const bare = f.code.replaceAll(' ', '');
      const first = spaced.get(bare);
      if (first !== undefined)
        bad(`${p}.code`, spacedDuplicate(f.code, first, (featureList[first] as { code: string }).code));
      else spaced.set(bare, i);
      codes.add(f.code); // as written: a dependency on it is not also an unknown code
    }
    for (const k of ['name', 'acronym', 'category', 'description'] as const) str(f[k], `${p}.${k}`);
    strList(f.dependencies, `${p}.dependencies`);
    for (const k of ['parameters', 'counters', 'kpis'] as const) strList(f[k], `${p}.${k}`, true);
  }
  for (let i = 0; i < featureList.length; i++) {
    if (i % STEP === STEP - 1) yield;
    const f = featureList[i];
    if (isObj(f) && Array.isArray(f.dependencies))
      each(f.dependencies, (d, j) => {
        if (typeof d === 'string' && !codes.has(d))
          bad(`$.features[${i}].dependencies[${j}]`, `unknown feature code "${d}"`);
      });
  }
  function* named(
    key: 'parameters' | 'counters' | 'kpis',
    extra: (o: Record<string, unknown>, p: string) => void,
  ): Generator<void, void> {
    const list = (input as Record<string, unknown>)[key];
    if (list === undefined) return;
    if (!Array.isArray(list)) return bad(`$.${key}`, 'must be an array');
    const seen = new Set<string>();
    for (let i = 0; i < list.length; i++) {
      if (i % STEP === STEP - 1) yield;
      const o: unknown = list[i];
      const p = `$.${key}[${i}]`;
      if (!isObj(o)) {
        bad(p, 'must be an object');
        continue;
      }
      str(o.name, `${p}.name`, true);
      if (key !== 'parameters') padded(o.name, `${p}.name`); // a parameter's name has its pattern
      if (typeof o.name === 'string') {
        if (seen.has(o.name)) bad(`${p}.name`, `duplicate name "${o.name}"`);
        seen.add(o.name);
      }
      strList(o.features, `${p}.features`);
      if (Array.isArray(o.features))
        each(o.features, (c, j) => {
          if (typeof c === 'string' && !codes.has(c)) bad(`${p}.features[${j}]`, `unknown feature code "${c}"`);
        });
      str(o.unit, `${p}.unit`);
      str(o.description, `${p}.description`);
      extra(o, p);
    }
  }
  yield* named('parameters', (o, p) => {
    if (o.name !== undefined && typeof o.name === 'string' && !/^[A-Za-z][\w-]*\.[A-Za-z][\w-]*$/.test(o.name))
      bad(`${p}.name`, 'a parameter name is "MOClass.attribute"');
    if (o.type !== undefined && !['int', 'float', 'bool', 'enum', 'string'].includes(o.type as string))
      bad(`${p}.type`, 'must be int, float, bool, enum or string');
    if (o.range !== undefined) {
      const r = o.range;
      if (
        !Array.isArray(r) ||
        r.length !== 2 ||
        !Array.from(r as unknown[]).every((x) => typeof x === 'number' && Number.isFinite(x))
      )
        bad(`${p}.range`, 'must be [min, max]: an array of two finite numbers');
      else if (r[0] > r[1]) bad(`${p}.range`, 'must be [min, max] with min <= max');
    }
    strList(o.values, `${p}.values`);
    const d = o.default;
    if (
      d !== undefined &&
      !(typeof d === 'boolean' || typeof d === 'string' || (typeof d === 'number' && Number.isFinite(d)))
    )
      bad(`${p}.default`, 'must be a number, boolean or string');
    if (o.safe !== undefined) {
      if (!isObj(o.safe)) bad(`${p}.safe`, 'must be an object');
      else {
        for (const k of ['min', 'max', 'maxChange', 'cooldownS']) num(o.safe[k], `${p}.safe.${k}`);
        const s = o.safe as SafeZone;
        if (typeof s.min === 'number' && typeof s.max === 'number' && s.min > s.max)
          bad(`${p}.safe`, 'min must be <= max');
        if (typeof s.maxChange === 'number' && s.maxChange < 0) bad(`${p}.safe.maxChange`, 'must be >= 0');
        if (typeof s.cooldownS === 'number' && s.cooldownS < 0) bad(`${p}.safe.cooldownS`, 'must be >= 0');
      }
    }
  });
  yield* named('counters', () => {});
  if (input.glossary !== undefined) {
    if (!Array.isArray(input.glossary)) bad('$.glossary', 'must be an array of { term, means }');
    else if (input.glossary.length > 65536) bad('$.glossary', 'holds at most 65,536 entries');
    else
      each(input.glossary, (g, i) => {
        const p = `$.glossary[${i}]`;
        if (!isObj(g)) return bad(p, 'must be an object { term, means }');
        for (const k of ['term', 'means'] as const)
          if (typeof g[k] !== 'string' || g[k].length === 0 || g[k].length > 256)
            bad(`${p}.${k}`, 'must be a string of 1 to 256 characters');
      });
  }
  // The catalog's counters: monitor() takes no other in a batch, so a formula
  // over another could never be computed.
  const counterNames = new Set<string>();
  if (Array.isArray(input.counters))
    for (const o of input.counters) if (isObj(o) && typeof o.name === 'string') counterNames.add(o.name);
  for (const f of input.features)
    if (isObj(f) && Array.isArray(f.counters))
      for (const n of f.counters) if (typeof n === 'string') counterNames.add(n);
  yield* named('kpis', (o, p) => {
    str(o.formula, `${p}.formula`);
    if (typeof o.formula === 'string' && o.formula.length > 0 && o.formula.length <= 4096)
      try {
        const unknown = parseFormula(o.formula).find((s) => 'counter' in s && !counterNames.has(s.counter));
        if (unknown && 'counter' in unknown)
          bad(
            `${p}.formula`,
            `counter "${unknown.counter}" is not in the catalog: define it under counters or list it in a feature's counters`,
          );
      } catch (e) {
        bad(`${p}.formula`, e instanceof Error ? e.message : String(e));
      }
    num(o.threshold, `${p}.threshold`);
    if (o.direction !== undefined && o.direction !== 'higher' && o.direction !== 'lower')
      bad(`${p}.direction`, 'must be "higher" or "lower"');
  });
}

/**
 * The JSON path of the first member name an object of `text` (valid JSON)
 * repeats, or null. JSON.parse() keeps the last value silently; the C++
 * core (elex-cli) refuses the text, and so does the page.
 */
export function duplicateMember(text: string): { path: string; name: string } | null {
  // The value scanner the sliced parse uses, over the whole text.
  return scanValue(text, skipWs(text, 0), '$').dup;
}

const isWs = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

function skipWs(text: string, i: number): number {
  while (i < text.length && isWs(text.charCodeAt(i))) i++;
  return i;
}

/** The index after the string that starts at `i` (a quote), or -1 when it does not end. */
function stringEnd(text: string, i: number): number {
  const n = text.length;
  let j = i + 1;
  while (j < n) {
    const d = text.charCodeAt(j);
    if (d === 0x22) return j + 1;
    j += d === 0x5c ? 2 : 1;
  }
  return -1;
}

/**
 * The end (exclusive) of the JSON value that starts at `from`, and the first
 * member name an object inside it repeats (duplicateMember's path, under
 * `path`); end -1 when the value does not end. Sound only for valid JSON:
 * the caller parses the span to know.
 */
function scanValue(
  text: string,
  from: number,
  path: string,
): { end: number; dup: { path: string; name: string } | null } {
  const n = text.length;
  const c0 = text.charCodeAt(from);
  if (c0 === 0x22) return { end: stringEnd(text, from), dup: null };
  if (c0 !== 0x7b && c0 !== 0x5b) {
    let j = from;
    for (; j < n; j++) {
      const c = text.charCodeAt(j);
      if (c === 0x2c || c === 0x5d || c === 0x7d || isWs(c)) break;
    }
    return { end: j > from ? j : -1, dup: null };
  }
  interface Frame {
    keys: Set<string> | null; // null: an array
    path: string;
    key: string;
    index: number;
    expectKey: boolean;
  }
  const stack: Frame[] = [];
  let top: Frame | undefined;
  let dup: { path: string; name: string } | null = null;
  for (let i = from; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const j = stringEnd(text, i);
      if (j < 0) return { end: -1, dup };
      if (top?.keys && top.expectKey) {
        const raw = text.slice(i + 1, j - 1);
        let key = raw;
        if (raw.includes('\\'))
          try {
            key = JSON.parse(text.slice(i, j)) as string;
          } catch {
            return { end: -1, dup };
          }
        if (top.keys.has(key)) dup ??= { path: `${top.path}.${key}`, name: key };
        top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
      i = j - 1;
    } else if (c === 0x7b || c === 0x5b) {
      const p = !top ? path : top.keys ? `${top.path}.${top.key}` : `${top.path}[${top.index}]`;
      stack.push((top = { keys: c === 0x7b ? new Set() : null, path: p, key: '', index: 0, expectKey: c === 0x7b }));
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
      top = stack[stack.length - 1];
      if (!top) return { end: i + 1, dup };
    } else if (c === 0x2c && top) {
      if (top.keys) top.expectKey = true;
      else top.index++;
    }
  }
  return { end: -1, dup };
}

/** What parseCatalogText() found: the value JSON.parse() gives, and the first repeated member name. */
export interface ParsedCatalogText {
  value: unknown;
  dup: { path: string; name: string } | null;
}

/**
 * JSON.parse(text) and duplicateMember(text) of a catalog's text, in slices
 * that yield to the event loop: the text is an object whose arrays are
 * parsed an entry at a time. Null when the text is not such an object or
 * not valid JSON: the caller parses it at once then, for the same result
 * or JSON.parse()'s own error.
 */
export function parseCatalogText(text: string): Promise<ParsedCatalogText | null> {
  return runSliced(parseSteps(text));
}

function* parseSteps(text: string): Generator<void, ParsedCatalogText | null> {
  const n = text.length;
  let dup: { path: string; name: string } | null = null;
  /** JSON.parse of text[from, end), or `fail` when it is not a JSON value. */
  const fail = Symbol('fail');
  const parse = (from: number, end: number): unknown => {
    try {
      return JSON.parse(text.slice(from, end)) as unknown;
    } catch {
      return fail;
    }
  };
  /** The value at i under `path`, and the index after it. */
  const value = (i: number, path: string): [unknown, number] | null => {
    const r = scanValue(text, i, path);
    if (r.end < 0) return null;
    const v = parse(i, r.end);
    if (v === fail) return null;
    dup ??= r.dup;
    return [v, r.end];
  };
  const out: Record<string, unknown> = {};
  const keys = new Set<string>();
  let i = skipWs(text, 0);
  if (text.charCodeAt(i) !== 0x7b) return null;
  i = skipWs(text, i + 1);
  if (text.charCodeAt(i) === 0x7d) i++;
  else
    for (;;) {
      if (text.charCodeAt(i) !== 0x22) return null;
      const j = stringEnd(text, i);
      if (j < 0) return null;
      const key = parse(i, j);
      if (typeof key !== 'string') return null;
      if (keys.has(key)) dup ??= { path: `$.${key}`, name: key };
      keys.add(key);
      i = skipWs(text, j);
      if (text.charCodeAt(i) !== 0x3a) return null;
      i = skipWs(text, i + 1);
      let v: unknown;
      if (text.charCodeAt(i) === 0x5b) {
        const list: unknown[] = [];
        i = skipWs(text, i + 1);
        if (text.charCodeAt(i) === 0x5d) i++;
        else
          for (;;) {
            const r = value(i, `$.${key}[${list.length}]`);
            if (!r) return null;
            list.push(r[0]);
            i = skipWs(text, r[1]);
            const c = text.charCodeAt(i);
            if (list.length % STEP === 0) yield;
            if (c === 0x2c) i = skipWs(text, i + 1);
            else if (c === 0x5d) {
              i++;
              break;
            } else return null;
          }
        v = list;
      } else {
        const r = value(i, `$.${key}`);
        if (!r) return null;
        [v, i] = r;
      }
      // As JSON.parse(): an own property even for "__proto__"; a repeated name keeps the last value.
      Object.defineProperty(out, key, { value: v, writable: true, enumerable: true, configurable: true });
      i = skipWs(text, i);
      const c = text.charCodeAt(i);
      if (c === 0x2c) i = skipWs(text, i + 1);
      else if (c === 0x7d) {
        i++;
        break;
      } else return null;
    }
  if (skipWs(text, i) !== n) return null;
  return { value: out, dup };
}

/**
 * JSON.stringify(source) and JSON.parse() of that text, in slices that
 * yield to the event loop: a plain object's arrays go an entry at a time.
 * Null when `source` is not such an object or is not JSON data: the caller
 * does it at once then (jsonOf), for the same text or the same error.
 */
export function stringifyCatalog(source: unknown): Promise<{ text: string; value: unknown } | null> {
  return runSliced(stringifySteps(source));
}

const hasToJson = (v: unknown) =>
  typeof v === 'object' && v !== null && typeof (v as { toJSON?: unknown }).toJSON === 'function';

function* stringifySteps(source: unknown): Generator<void, { text: string; value: unknown } | null> {
  try {
    if (!isObj(source) || hasToJson(source)) return null;
    const proto = Object.getPrototypeOf(source) as unknown;
    if (proto !== Object.prototype && proto !== null) return null;
    const parts: string[] = [];
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(source)) {
      const v = source[key];
      if (hasToJson(v)) return null; // toJSON(key): called with its key by JSON.stringify
      let text: string | undefined;
      let value: unknown;
      if (Array.isArray(v)) {
        const list: unknown[] = v;
        const texts: string[] = new Array<string>(list.length);
        const values: unknown[] = new Array<unknown>(list.length);
        for (let i = 0; i < list.length; i++) {
          if (i % STEP === STEP - 1) yield;
          const x = list[i];
          if (hasToJson(x)) return null;
          const t = JSON.stringify(x) ?? 'null';
          texts[i] = t;
          values[i] = JSON.parse(t) as unknown;
        }
        text = `[${texts.join(',')}]`;
        value = values;
      } else {
        text = JSON.stringify(v);
        if (text === undefined) continue; // undefined, a function, a symbol: left out, as JSON.stringify does
        value = JSON.parse(text) as unknown;
      }
      parts.push(`${JSON.stringify(key)}:${text}`);
      Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
    }
    return { text: `{${parts.join(',')}}`, value: out };
  } catch {
    return null; // not JSON data: jsonOf() gives the error
  }
}

/** JSON text of `value`, or INVALID_ARGUMENT when it is not JSON data (a cycle, a BigInt, a getter that throws). */
export function jsonOf(value: unknown, what: string): string {
  try {
    return JSON.stringify(value);
  } catch (e) {
    throw new ElexError(
      'INVALID_ARGUMENT',
      `${what} is not JSON data (${e instanceof Error ? e.message : String(e)}); pass plain objects, arrays, strings and numbers`,
    );
  }
}

/** Two independent 32-bit FNV-1a hashes, fed a piece at a time (the same result as fnv64 of the pieces joined). */
class Fnv64 {
  private a = 0x811c9dc5;
  private b = 0xcbf29ce4;
  update(s: string): this {
    let a = this.a,
      b = this.b;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 13);
    }
    this.a = a;
    this.b = b;
    return this;
  }
  hex(): string {
    return (this.a >>> 0).toString(16).padStart(8, '0') + (this.b >>> 0).toString(16).padStart(8, '0');
  }
}

/** Two independent 32-bit FNV-1a hashes of `s` (a 64-bit fingerprint, fast: no BigInt). */
export function fnv64(s: string): string {
  return new Fnv64().update(s).hex();
}

/**
 * The fingerprint of a catalog parsed from JSON (so every value is JSON
 * data), in steps: fnv64 of JSON.stringify([features, parameters, counters,
 * kpis]), hashed an entry at a time.
 */
function* fingerprintSteps(c: Catalog): Generator<void, string> {
  const h = new Fnv64().update('[');
  const lists = [c.features, c.parameters ?? [], c.counters ?? [], c.kpis ?? []];
  for (let l = 0; l < lists.length; l++) {
    h.update(l === 0 ? '[' : ',[');
    const list = lists[l] as unknown[];
    for (let i = 0; i < list.length; i++) {
      if (i % STEP === STEP - 1) yield;
      if (i > 0) h.update(',');
      h.update(JSON.stringify(list[i]) ?? 'null');
    }
    h.update(']');
  }
  return h.update(']').hex();
}

/**
 * Checks and indexes a catalog. Names a feature lists but the catalog does
 * not define become bare entries (identifiers are all a catalog needs).
 * Throws ElexError INVALID_ARGUMENT listing the problems with their paths.
 */
export function loadCatalog(
  input: unknown,
  source = 'catalog',
  /**
   * A catalog checked already, with its fingerprint (the engine's workers
   * take the page's checked copy: checking it again cost a fresh worker
   * tens of ms). `owned`: the input is this call's to change (parsed from
   * JSON for it), so its items are linked in place instead of copied.
   */
  checked?: { fingerprint: string; owned?: boolean },
): LoadedCatalog {
  return drain(loadSteps(input, source, checked, false));
}

/**
 * loadCatalog() of a catalog parsed from JSON text, in slices of a few ms
 * that yield to the event loop between them: the page stays responsive
 * while a large catalog is checked, linked and fingerprinted. The result
 * and the errors are loadCatalog()'s.
 */
export function loadParsedCatalog(input: unknown, source = 'catalog'): Promise<LoadedCatalog> {
  return runSliced(loadSteps(input, source, undefined, true));
}

function* loadSteps(
  input: unknown,
  source: string,
  checked: { fingerprint: string; owned?: boolean } | undefined,
  /** `input` was parsed from JSON: its fingerprint may be hashed an entry at a time. */
  parsed: boolean,
): Generator<void, LoadedCatalog> {
  const problems = checked ? [] : yield* checkSteps(input);
  if (problems.length)
    throw Object.assign(
      new ElexError(
        'INVALID_ARGUMENT',
        `${source} is not a valid ELEX catalog: ${problems
          .slice(0, 10)
          .map((p) => `${p.path}: ${p.message}`)
          .join('; ')}${problems.length > 10 ? `; and ${problems.length - 10} more` : ''}`,
      ),
      { problems },
    );
  const c = input as Catalog;
  const features = new Map(c.features.map((f) => [f.code, f]));
  // Items get a `features` list of their own, which the links below extend.
  const own = checked?.owned === true;
  function* items<T extends { name: string; features?: string[] }>(
    list: T[] | undefined,
  ): Generator<void, Map<string, T>> {
    const map = new Map<string, T>();
    const all = list ?? [];
    for (let i = 0; i < all.length; i++) {
      if (i % STEP === STEP - 1) yield;
      const p = all[i]!;
      map.set(p.name, own ? ((p.features ??= []), p) : { ...p, features: [...(p.features ?? [])] });
    }
    return map;
  }
  const parameters = yield* items(c.parameters);
  const counters = yield* items(c.counters);
  const kpis = yield* items(c.kpis);
  // Link both ways: a feature's lists and an item's features.
  const link = <T extends { name: string; features?: string[] }>(
    map: Map<string, T>,
    list: string[] | undefined,
    code: string,
  ) => {
    for (const name of list ?? []) {
      let item = map.get(name);
      if (!item) map.set(name, (item = { name, features: [] } as unknown as T));
      if (!item.features!.includes(code)) item.features!.push(code);
    }
  };
  for (let i = 0; i < c.features.length; i++) {
    if (i % STEP === STEP - 1) yield;
    const f = c.features[i]!;
    link(parameters, f.parameters, f.code);
    link(counters, f.counters, f.code);
    link(kpis, f.kpis, f.code);
  }
  const categories = new Set(c.features.map((f) => f.category ?? 'Uncategorised'));
  const fingerprint =
    checked?.fingerprint ??
    (parsed
      ? yield* fingerprintSteps(c)
      : fnv64(jsonOf([c.features, c.parameters ?? [], c.counters ?? [], c.kpis ?? []], source)));
  return {
    catalog: c,
    stats: {
      features: features.size,
      parameters: parameters.size,
      counters: counters.size,
      kpis: kpis.size,
      categories: categories.size,
    },
    fingerprint,
    features,
    parameters,
    counters,
    kpis,
  };
}
