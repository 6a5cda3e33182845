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

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks `input` against the catalog schema; returns the problems (empty when valid). */
export function checkCatalog(input: unknown): CatalogProblem[] {
  const problems: CatalogProblem[] = [];
  const bad = (path: string, message: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ path, message });
  };
  try {
    checkInto(input, bad);
  } catch (e) {
    // A getter that throws, a proxy, a cycle reached through a field: not JSON data.
    bad('$', `could not be read as JSON data (${e instanceof Error ? e.message : String(e)})`);
  }
  return problems;
}

function checkInto(input: unknown, bad: (path: string, message: string) => void): void {
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
  const strList = (v: unknown, path: string) => {
    if (v === undefined) return;
    if (!Array.isArray(v)) return bad(path, 'must be an array of strings');
    each(v, (x, i) => str(x, `${path}[${i}]`, true));
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
  each(input.features, (f, i) => {
    const p = `$.features[${i}]`;
    if (!isObj(f)) return bad(p, 'must be an object');
    if (f.code === undefined) bad(`${p}.code`, 'is required: a feature code such as "FAJ 121 3094"');
    else if (typeof f.code !== 'string' || !CODE.test(f.code)) bad(`${p}.code`, BAD_CODE);
    else if (codes.has(f.code)) bad(`${p}.code`, `duplicate feature code "${f.code}"`);
    else codes.add(f.code);
    for (const k of ['name', 'acronym', 'category', 'description'] as const) str(f[k], `${p}.${k}`);
    for (const k of ['dependencies', 'parameters', 'counters', 'kpis'] as const) strList(f[k], `${p}.${k}`);
  });
  each(input.features, (f, i) => {
    if (isObj(f) && Array.isArray(f.dependencies))
      each(f.dependencies, (d, j) => {
        if (typeof d === 'string' && !codes.has(d))
          bad(`$.features[${i}].dependencies[${j}]`, `unknown feature code "${d}"`);
      });
  });
  const named = (key: 'parameters' | 'counters' | 'kpis', extra: (o: Record<string, unknown>, p: string) => void) => {
    const list = input[key];
    if (list === undefined) return;
    if (!Array.isArray(list)) return bad(`$.${key}`, 'must be an array');
    const seen = new Set<string>();
    each(list, (o, i) => {
      const p = `$.${key}[${i}]`;
      if (!isObj(o)) return bad(p, 'must be an object');
      str(o.name, `${p}.name`, true);
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
    });
  };
  named('parameters', (o, p) => {
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
  named('counters', () => {});
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
  named('kpis', (o, p) => {
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
  interface Frame {
    keys: Set<string> | null; // null: an array
    path: string;
    key: string;
    index: number;
    expectKey: boolean;
  }
  const stack: Frame[] = [];
  let top: Frame | undefined;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let j = i + 1;
      for (let d = text.charCodeAt(j); d !== 0x22; d = text.charCodeAt(j)) j += d === 0x5c ? 2 : 1;
      if (top?.keys && top.expectKey) {
        const raw = text.slice(i + 1, j);
        const key = raw.includes('\\') ? (JSON.parse(text.slice(i, j + 1)) as string) : raw;
        if (top.keys.has(key)) return { path: `${top.path}.${key}`, name: key };
        top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
      i = j;
    } else if (c === 0x7b || c === 0x5b) {
      const path = !top ? '$' : top.keys ? `${top.path}.${top.key}` : `${top.path}[${top.index}]`;
      stack.push((top = { keys: c === 0x7b ? new Set() : null, path, key: '', index: 0, expectKey: c === 0x7b }));
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
      top = stack[stack.length - 1];
    } else if (c === 0x2c && top) {
      if (top.keys) top.expectKey = true;
      else top.index++;
    }
  }
  return null;
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

/** Two independent 32-bit FNV-1a hashes of `s` (a 64-bit fingerprint, fast: no BigInt). */
export function fnv64(s: string): string {
  let a = 0x811c9dc5,
    b = 0xcbf29ce4;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 13);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
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
  const problems = checked ? [] : checkCatalog(input);
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
  const items = <T extends { name: string; features?: string[] }>(list: T[] | undefined) => {
    const map = new Map<string, T>();
    for (const p of list ?? [])
      map.set(p.name, own ? ((p.features ??= []), p) : { ...p, features: [...(p.features ?? [])] });
    return map;
  };
  const parameters = items(c.parameters);
  const counters = items(c.counters);
  const kpis = items(c.kpis);
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
  for (const f of c.features) {
    link(parameters, f.parameters, f.code);
    link(counters, f.counters, f.code);
    link(kpis, f.kpis, f.code);
  }
  const categories = new Set(c.features.map((f) => f.category ?? 'Uncategorised'));
  return {
    catalog: c,
    stats: {
      features: features.size,
      parameters: parameters.size,
      counters: counters.size,
      kpis: kpis.size,
      categories: categories.size,
    },
    fingerprint:
      checked?.fingerprint ?? fnv64(jsonOf([c.features, c.parameters ?? [], c.counters ?? [], c.kpis ?? []], source)),
    features,
    parameters,
    counters,
    kpis,
  };
}
