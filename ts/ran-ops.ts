/**
 * Parameter-change validation and KPI monitoring over the catalog.
 *
 * validate(): each change { parameter, cell?, current, proposed, at } gets
 * a verdict — ok, warn or reject — with reason codes:
 *   UNKNOWN_PARAMETER        reject  not in the catalog
 *   WRONG_TYPE               reject  not a number (int: not an integer; bool:
 *                                    not true/false/0/1; enum: not one of
 *                                    its values)
 *   NOT_FINITE               reject  NaN or ±Infinity
 *   OUTSIDE_ABSOLUTE_RANGE   reject  outside range [min, max]
 *   CHANGE_TOO_LARGE         reject  |proposed − current| > safe.maxChange
 *   COOLDOWN                 reject  less than safe.cooldownS since the last
 *                                    accepted change of that parameter on
 *                                    that cell (times come from the caller's
 *                                    `at`, in ms; nothing reads a clock)
 *   OUTSIDE_SAFE_RANGE       warn    outside safe [min, max]
 *   NO_BOUNDS                warn    the catalog knows no range or safe zone
 * Numeric checks run as one batch through the SIMD validation kernel.
 *
 * KPI formulas compile once into stack programs (engine/include/elex/
 * monitor.h) over the counters of a batch.
 */
import type { LoadedCatalog, Parameter } from './catalog.ts';
import { ElexError } from './errors.ts';

export type Verdict = 'ok' | 'warn' | 'reject';
export type ValidationReason =
  | 'UNKNOWN_PARAMETER'
  | 'WRONG_TYPE'
  | 'NOT_FINITE'
  | 'OUTSIDE_ABSOLUTE_RANGE'
  | 'CHANGE_TOO_LARGE'
  | 'COOLDOWN'
  | 'OUTSIDE_SAFE_RANGE'
  | 'NO_BOUNDS';

export interface ParameterChange {
  /** "MOClass.attribute" */
  parameter: string;
  /** Cell (or any managed object) the change applies to; cooldowns are per cell. */
  cell?: string;
  current: number | boolean | string;
  proposed: number | boolean | string;
  /** When the change would be applied, in ms (the caller's clock). */
  at: number;
}

export interface ValidationResult {
  parameter: string;
  cell?: string;
  verdict: Verdict;
  reasons: ValidationReason[];
  /** The bounds it was checked against, when known. */
  bounds?: { range?: [number, number]; safe?: Parameter['safe']; unit?: string };
}

export interface ValidateOptions {
  /** Remember accepted (ok / warn) changes as applied at their `at`, for later cooldowns (default true). */
  record?: boolean;
}

/** Validation kernel finding bits (validate.h). */
const F = { notFinite: 1, belowMin: 2, aboveMax: 4, belowSafe: 8, aboveSafe: 16, step: 32 };

/**
 * Reason bits of validateBatch(): bit i stands for VALIDATION_REASONS[i].
 * The first six reject; the last two warn.
 */
export const VALIDATION_REASONS: readonly ValidationReason[] = Object.freeze([
  'UNKNOWN_PARAMETER',
  'WRONG_TYPE',
  'NOT_FINITE',
  'OUTSIDE_ABSOLUTE_RANGE',
  'CHANGE_TOO_LARGE',
  'COOLDOWN',
  'OUTSIDE_SAFE_RANGE',
  'NO_BOUNDS',
] as const);
const R = {
  unknown: 1,
  wrongType: 2,
  notFinite: 4,
  absolute: 8,
  tooLarge: 16,
  cooldown: 32,
  safe: 64,
  noBounds: 128,
} as const;
const REJECT_BITS = 0b111111;
/** Verdicts of validateBatch() by code: 0 ok, 1 warn, 2 reject. */
export const VERDICTS: readonly Verdict[] = Object.freeze(['ok', 'warn', 'reject'] as const);

/** Parameter kinds in the table. */
const K = { number: 0, int: 1, enum: 2, bool: 3, string: 4 } as const;

/** What validation needs of every parameter, as columns, computed once per catalog. */
interface ParamTable {
  index: Map<string, number>;
  names: string[];
  kind: Uint8Array;
  values: (string[] | undefined)[];
  lo: Float64Array;
  hi: Float64Array;
  smin: Float64Array;
  smax: Float64Array;
  maxChange: Float64Array;
  cooldownMs: Float64Array;
  noBounds: Uint8Array;
  bounds: ValidationResult['bounds'][];
  /** The kernel's bounds table (validate.h): abs_min, abs_max, safe_min, safe_max, max_change × count. */
  kernelTable: Float32Array;
}

const tables = new WeakMap<LoadedCatalog, ParamTable>();

function paramTable(catalog: LoadedCatalog): ParamTable {
  const cached = tables.get(catalog);
  if (cached) return cached;
  const ps = [...catalog.parameters.values()];
  const n = ps.length;
  const col = () => new Float64Array(n).fill(NaN);
  const t: ParamTable = {
    index: new Map(),
    names: [],
    kind: new Uint8Array(n),
    values: [],
    lo: col(),
    hi: col(),
    smin: col(),
    smax: col(),
    maxChange: col(),
    cooldownMs: col(),
    noBounds: new Uint8Array(n),
    bounds: [],
    kernelTable: new Float32Array(5 * n),
  };
  ps.forEach((p, i) => {
    const type = p.type ?? (p.values ? 'enum' : 'float');
    t.index.set(p.name, i);
    t.names.push(p.name);
    t.kind[i] = type === 'float' ? K.number : K[type];
    t.values.push(p.values);
    t.lo[i] = p.range?.[0] ?? NaN;
    t.hi[i] = p.range?.[1] ?? NaN;
    t.smin[i] = p.safe?.min ?? NaN;
    t.smax[i] = p.safe?.max ?? NaN;
    t.maxChange[i] = p.safe?.maxChange ?? NaN;
    t.cooldownMs[i] = p.safe?.cooldownS === undefined ? NaN : p.safe.cooldownS * 1000;
    t.noBounds[i] = !p.range && !p.safe ? 1 : 0;
    t.bounds.push(Object.freeze({ range: p.range, safe: p.safe, unit: p.unit }));
  });
  t.kernelTable.set(t.lo, 0);
  t.kernelTable.set(t.hi, n);
  t.kernelTable.set(t.smin, 2 * n);
  t.kernelTable.set(t.smax, 3 * n);
  t.kernelTable.set(t.maxChange, 4 * n);
  tables.set(catalog, t);
  return t;
}

/** The validation kernel's per-parameter bounds table for a catalog (one per catalog, cached). */
export function kernelBounds(catalog: LoadedCatalog): Float32Array {
  return paramTable(catalog).kernelTable;
}

/** Catalog indexes of parameter names for validateBatch() (−1: not in the catalog). */
export function parameterIndexes(catalog: LoadedCatalog, names: readonly string[]): Int32Array {
  if (!Array.isArray(names)) throw new ElexError('INVALID_ARGUMENT', 'parameterIndexes() takes an array of names');
  const t = paramTable(catalog);
  const out = new Int32Array(names.length);
  for (let i = 0; i < names.length; i++) out[i] = t.index.get(names[i]!) ?? -1;
  return out;
}

/**
 * Last accepted change time of each (parameter, cell), for cooldowns.
 * Cells are numbered: validateBatch() gives ids in 0 … 2^31 − 1; validate()'s
 * cell strings are registered ("" is id 0, others get −1, −2, …, so they
 * never clash with batch ids).
 */
export class CooldownStore {
  /** Per parameter index: cell id → time. */
  private readonly byParam: (Map<number, number> | undefined)[] = [];
  private readonly cellIds = new Map<string, number>([['', 0]]);
  cellId(cell: string): number {
    let id = this.cellIds.get(cell);
    if (id === undefined) {
      id = -this.cellIds.size;
      this.cellIds.set(cell, id);
    }
    return id;
  }
  /** The map of one parameter (undefined: nothing recorded for it). */
  of(param: number): Map<number, number> | undefined {
    return this.byParam[param];
  }
  set(param: number, cell: number, at: number): void {
    let m = this.byParam[param];
    if (!m) this.byParam[param] = m = new Map();
    m.set(cell, at);
  }
}

/** Changes as columns: what the kernel needs plus the findings made before it. */
export interface PreparedValidation {
  n: number;
  /** The buffer under kparams, kcur and kpro (in that order, n values each). */
  kernelInput: ArrayBuffer;
  /** The kernel's input (transferred to a worker, so detached after the call): parameter index per change, −1 where it skips the change. */
  kparams: Int32Array;
  kcur: Float32Array;
  kpro: Float32Array;
  /** Reason bits found before the kernel (unknown parameter, wrong type, no bounds). */
  reasons: Uint16Array;
  /** Catalog index per change (−1: unknown). */
  params: Int32Array;
  cells: Float64Array;
  at: Float64Array;
}

function allocPrepared(n: number): PreparedValidation {
  // Two allocations: the kernel's input (one buffer, transferred as one) and the rest.
  const k = new ArrayBuffer(12 * n);
  const rest = new ArrayBuffer(22 * n);
  return {
    n,
    kernelInput: k,
    kparams: new Int32Array(k, 0, n),
    kcur: new Float32Array(k, 4 * n, n),
    kpro: new Float32Array(k, 8 * n, n),
    at: new Float64Array(rest, 0, n),
    cells: new Float64Array(rest, 8 * n, n),
    params: new Int32Array(rest, 16 * n, n),
    reasons: new Uint16Array(rest, 20 * n, n),
  };
}

/** Sends change i through the kernel (parameter p is numeric, both values are numbers). */
function numericSlot(t: ParamTable, prep: PreparedValidation, i: number, p: number, cur: number, pro: number): void {
  if (t.kind[p] === K.int && Number.isFinite(pro) && !Number.isInteger(pro)) {
    prep.reasons[i] = prep.reasons[i]! | R.wrongType;
    return;
  }
  if (t.noBounds[p]) prep.reasons[i] = prep.reasons[i]! | R.noBounds;
  prep.kparams[i] = p;
  prep.kcur[i] = cur;
  prep.kpro[i] = pro;
}

/** Checks types and unknowns of change objects, and lays the numeric checks out for the kernel. */
export function prepareValidation(
  catalog: LoadedCatalog,
  changes: readonly ParameterChange[],
  cooldowns: CooldownStore,
): PreparedValidation {
  if (!Array.isArray(changes)) throw new ElexError('INVALID_ARGUMENT', 'validate() takes an array of changes');
  const t = paramTable(catalog);
  const n = changes.length;
  const prep = allocPrepared(n);
  prep.kparams.fill(-1);
  for (let i = 0; i < n; i++) {
    const c = changes[i]!;
    if (typeof c !== 'object' || c === null || typeof c.parameter !== 'string')
      throw new ElexError('INVALID_ARGUMENT', `change ${i} must be an object with a parameter name`);
    if (typeof c.at !== 'number' || !Number.isFinite(c.at))
      throw new ElexError('INVALID_ARGUMENT', `change ${i}: at must be a time in ms (a finite number)`);
    if (c.cell !== undefined && typeof c.cell !== 'string')
      throw new ElexError('INVALID_ARGUMENT', `change ${i}: cell must be a string`);
    const p = t.index.get(c.parameter) ?? -1;
    prep.params[i] = p;
    prep.at[i] = c.at;
    prep.cells[i] = cooldowns.cellId(c.cell ?? '');
    if (p < 0) {
      prep.reasons[i] = R.unknown;
      continue;
    }
    const proposed = c.proposed;
    const kind = t.kind[p]!;
    if (kind === K.enum) {
      const values = t.values[p];
      if (typeof proposed !== 'string' || (values && !values.includes(proposed))) prep.reasons[i] = R.wrongType;
      continue;
    }
    if (kind === K.bool) {
      if (!(typeof proposed === 'boolean' || proposed === 0 || proposed === 1)) prep.reasons[i] = R.wrongType;
      continue;
    }
    if (kind === K.string) {
      if (typeof proposed !== 'string') prep.reasons[i] = R.wrongType;
      continue;
    }
    const cur = c.current;
    if (typeof proposed !== 'number' || typeof cur !== 'number') {
      prep.reasons[i] = R.wrongType;
      continue;
    }
    numericSlot(t, prep, i, p, cur, proposed);
  }
  return prep;
}

/**
 * Changes as typed columns, for validateBatch(). Parameters of other kinds
 * than numbers: bool takes 0 or 1; enum and string are WRONG_TYPE here (use
 * validate() for them).
 */
export interface ValidationBatch {
  /** Catalog indexes from parameterIndexes() (−1 or out of range: UNKNOWN_PARAMETER). */
  parameters: Int32Array | Uint32Array;
  current: Float64Array | Float32Array;
  proposed: Float64Array | Float32Array;
  /** When each change would be applied (ms, the caller's clock), or one time for all. */
  at: Float64Array | number;
  /** Cell ids (integers in 0 … 2^31 − 1) for cooldowns; default: every change on cell 0. */
  cells?: Uint32Array | Int32Array;
}

/** Checks a typed batch and lays it out for the kernel. */
export function prepareBatch(catalog: LoadedCatalog, batch: ValidationBatch): PreparedValidation {
  if (typeof batch !== 'object' || batch === null)
    throw new ElexError('INVALID_ARGUMENT', 'validateBatch() takes { parameters, current, proposed, at, cells? }');
  const { parameters, current, proposed, at, cells } = batch;
  const isInts = (x: unknown) => x instanceof Int32Array || x instanceof Uint32Array;
  const isFloats = (x: unknown) => x instanceof Float64Array || x instanceof Float32Array;
  if (!isInts(parameters)) throw new ElexError('INVALID_ARGUMENT', 'parameters must be an Int32Array or Uint32Array');
  if (!isFloats(current) || !isFloats(proposed))
    throw new ElexError('INVALID_ARGUMENT', 'current and proposed must be Float64Array or Float32Array');
  if (typeof at === 'number') {
    if (!Number.isFinite(at)) throw new ElexError('INVALID_ARGUMENT', 'at must be a finite time in ms');
  } else if (!(at instanceof Float64Array))
    throw new ElexError('INVALID_ARGUMENT', 'at must be a number or a Float64Array');
  if (cells !== undefined && !isInts(cells))
    throw new ElexError('INVALID_ARGUMENT', 'cells must be an Int32Array or Uint32Array of cell ids');
  const n = parameters.length;
  for (const [name, x] of [
    ['current', current],
    ['proposed', proposed],
    ['at', at],
    ['cells', cells],
  ] as const)
    if (x !== undefined && typeof x !== 'number' && x.length !== n)
      throw new ElexError('DIMENSION_MISMATCH', `${name} holds ${x.length} values, parameters ${n}`);
  const t = paramTable(catalog);
  const count = t.names.length;
  const prep = allocPrepared(n);
  const { kparams, kcur, kpro, reasons, params } = prep;
  const { kind, noBounds } = t;
  kcur.set(current);
  kpro.set(proposed);
  // Columns first (each a plain copy once checked), then one pass over the
  // parameters with every constant in a local: ~3 ns per change.
  if (typeof at === 'number') prep.at.fill(at);
  else {
    for (let i = 0; i < n; i++)
      if (!Number.isFinite(at[i]!))
        throw new ElexError('INVALID_ARGUMENT', `change ${i}: at must be a finite time in ms`);
    prep.at.set(at);
  }
  if (cells) {
    for (let i = 0; i < n; i++) {
      const c = cells[i]!;
      if (!(c >= 0 && c < 0x80000000))
        throw new ElexError('INVALID_ARGUMENT', `change ${i}: cell id ${c} is outside 0 … 2^31 − 1`);
    }
    prep.cells.set(cells);
  }
  const kNumber = K.number,
    kEnum = K.enum,
    kString = K.string,
    kBool = K.bool,
    rUnknown = R.unknown,
    rWrongType = R.wrongType,
    rNoBounds = R.noBounds;
  for (let i = 0; i < n; i++) {
    const p = parameters[i]!;
    let kp = -1;
    if (!(p >= 0 && p < count)) {
      params[i] = -1;
      reasons[i] = rUnknown;
    } else {
      params[i] = p;
      const k = kind[p]!;
      if (k === kNumber) kp = p;
      else if (k === kEnum || k === kString) reasons[i] = rWrongType;
      else {
        const pro = proposed[i]!;
        if (k === kBool) {
          if (pro !== 0 && pro !== 1) reasons[i] = rWrongType;
        } else if (Number.isFinite(pro) && !Number.isInteger(pro)) reasons[i] = rWrongType;
        else kp = p;
      }
      if (kp >= 0 && noBounds[p]) reasons[i] = rNoBounds;
    }
    kparams[i] = kp;
  }
  return prep;
}

/**
 * Folds kernel masks and cooldowns into reason bits and verdict codes (0 ok,
 * 1 warn, 2 reject); records accepted changes for later cooldowns if asked.
 */
export function finishValidation(
  catalog: LoadedCatalog,
  prep: PreparedValidation,
  masks: Uint32Array,
  cooldowns: CooldownStore,
  record: boolean,
): { verdicts: Uint8Array; reasons: Uint16Array; counts: { ok: number; warn: number; reject: number } } {
  const { cooldownMs } = paramTable(catalog);
  const { n, reasons, params, cells, at } = prep;
  const verdicts = new Uint8Array(n);
  let ok = 0,
    warn = 0;
  for (let i = 0; i < n; i++) {
    let r = reasons[i]!;
    // Changes the kernel skipped have mask 0 (masks is empty when none went to it).
    const m = masks.length ? masks[i]! : 0;
    if (m & F.notFinite) r |= R.notFinite;
    else if (m) {
      if (m & (F.belowMin | F.aboveMax)) r |= R.absolute;
      if (m & F.step) r |= R.tooLarge;
      if (m & (F.belowSafe | F.aboveSafe)) r |= R.safe;
    }
    const p = params[i]!;
    const cool = p >= 0 ? cooldownMs[p]! : NaN;
    if (cool === cool) {
      const last = cooldowns.of(p)?.get(cells[i]!);
      if (last !== undefined && at[i]! - last < cool) r |= R.cooldown;
    }
    reasons[i] = r;
    const v = r & REJECT_BITS ? 2 : r ? 1 : 0;
    verdicts[i] = v;
    if (v === 0) ok++;
    else if (v === 1) warn++;
    if (record && v !== 2 && cool === cool) cooldowns.set(p, cells[i]!, at[i]!);
  }
  return { verdicts, reasons, counts: { ok, warn, reject: n - ok - warn } };
}

/** validate()'s result objects from the batch figures. */
export function validationResults(
  catalog: LoadedCatalog,
  changes: readonly ParameterChange[],
  prep: PreparedValidation,
  verdicts: Uint8Array,
  reasons: Uint16Array,
): ValidationResult[] {
  const t = paramTable(catalog);
  const out: ValidationResult[] = new Array(changes.length);
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i]!;
    const r: ValidationResult = { parameter: c.parameter, cell: c.cell, verdict: VERDICTS[verdicts[i]!]!, reasons: [] };
    const bits = reasons[i]!;
    for (let b = 0; bits >> b; b++) if ((bits >> b) & 1) r.reasons.push(VALIDATION_REASONS[b]!);
    const p = prep.params[i]!;
    if (p >= 0) r.bounds = t.bounds[p];
    out[i] = r;
  }
  return out;
}

// ------------------------------------------------------------------ KPIs

export const OP = { push: 0, const: 1, add: 2, sub: 3, mul: 4, div: 5, neg: 6 } as const;

/** Compiles a KPI formula over `counterIndex` (name → column) into monitor.h ops; null if a counter is absent. */
export function compileFormula(formula: string, counterIndex: Map<string, number>, consts: number[]): number[] | null {
  const tokens = formula.match(/\d+(\.\d+)?([eE][-+]?\d+)?|[A-Za-z_][\w.]*|[-+*/()]/g);
  if (!tokens || tokens.join('').length !== formula.replace(/\s+/g, '').length)
    throw new ElexError(
      'INVALID_ARGUMENT',
      `KPI formula "${formula}" has characters other than counters, numbers, + - * / ( )`,
    );
  const out: number[] = [];
  const ops: string[] = [];
  const prec: Record<string, number> = { '+': 1, '-': 1, '*': 2, '/': 2, neg: 3 };
  const emit = (o: string) => out.push({ '+': OP.add, '-': OP.sub, '*': OP.mul, '/': OP.div, neg: OP.neg }[o]!);
  let expectOperand = true;
  for (const t of tokens) {
    if (/^\d/.test(t)) {
      consts.push(Number(t));
      out.push(OP.const | ((consts.length - 1) << 8));
      expectOperand = false;
    } else if (/^[A-Za-z_]/.test(t)) {
      const c = counterIndex.get(t);
      if (c === undefined) return null;
      out.push(OP.push | (c << 8));
      expectOperand = false;
    } else if (t === '(') {
      ops.push(t);
      expectOperand = true;
    } else if (t === ')') {
      while (ops.length && ops[ops.length - 1] !== '(') emit(ops.pop()!);
      if (!ops.length) throw new ElexError('INVALID_ARGUMENT', `KPI formula "${formula}" has unbalanced parentheses`);
      ops.pop();
      expectOperand = false;
    } else {
      const o = expectOperand && t === '-' ? 'neg' : t;
      if (expectOperand && o !== 'neg')
        throw new ElexError('INVALID_ARGUMENT', `KPI formula "${formula}" is malformed near "${t}"`);
      while (ops.length && ops[ops.length - 1] !== '(' && prec[ops[ops.length - 1]!]! >= prec[o]! && o !== 'neg')
        emit(ops.pop()!);
      ops.push(o);
      expectOperand = true;
    }
  }
  while (ops.length) {
    const o = ops.pop()!;
    if (o === '(') throw new ElexError('INVALID_ARGUMENT', `KPI formula "${formula}" has unbalanced parentheses`);
    emit(o);
  }
  return out;
}
