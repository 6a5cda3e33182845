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

const REJECTS = new Set<ValidationReason>([
  'UNKNOWN_PARAMETER',
  'WRONG_TYPE',
  'NOT_FINITE',
  'OUTSIDE_ABSOLUTE_RANGE',
  'CHANGE_TOO_LARGE',
  'COOLDOWN',
]);

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

export interface PreparedValidation {
  /** 7 × n floats: current, proposed, abs_min, abs_max, safe_min, safe_max, max_step_rel (one slot per change). */
  soa: Float32Array;
  /** 1 where the change goes through the kernel's numeric checks. */
  numeric: Uint8Array;
  results: ValidationResult[];
  n: number;
}

/** What validation needs of a parameter, computed once per catalog. */
interface ParamInfo {
  kind: 'number' | 'int' | 'enum' | 'bool' | 'string';
  values: string[] | undefined;
  lo: number;
  hi: number;
  smin: number;
  smax: number;
  maxChange: number;
  cooldownMs: number;
  bounds: ValidationResult['bounds'];
  noBounds: boolean;
}

const infos = new WeakMap<LoadedCatalog, Map<string, ParamInfo>>();

function paramInfos(catalog: LoadedCatalog): Map<string, ParamInfo> {
  let m = infos.get(catalog);
  if (m) return m;
  m = new Map();
  for (const p of catalog.parameters.values()) {
    const t = p.type ?? (p.values ? 'enum' : 'float');
    m.set(p.name, {
      kind: t === 'float' ? 'number' : t,
      values: p.values,
      lo: p.range?.[0] ?? NaN,
      hi: p.range?.[1] ?? NaN,
      smin: p.safe?.min ?? NaN,
      smax: p.safe?.max ?? NaN,
      maxChange: p.safe?.maxChange ?? NaN,
      cooldownMs: p.safe?.cooldownS === undefined ? NaN : p.safe.cooldownS * 1000,
      bounds: Object.freeze({ range: p.range, safe: p.safe, unit: p.unit }),
      noBounds: !p.range && !p.safe,
    });
  }
  infos.set(catalog, m);
  return m;
}

/** Checks types and unknowns, and lays the numeric checks out for the kernel (one slot per change). */
export function prepareValidation(catalog: LoadedCatalog, changes: readonly ParameterChange[]): PreparedValidation {
  if (!Array.isArray(changes)) throw new ElexError('INVALID_ARGUMENT', 'validate() takes an array of changes');
  const info = paramInfos(catalog);
  const n = changes.length;
  const results: ValidationResult[] = new Array(n);
  const numeric = new Uint8Array(n);
  const soa = new Float32Array(7 * n).fill(NaN);
  for (let i = 0; i < n; i++) {
    const c = changes[i]!;
    if (typeof c !== 'object' || c === null || typeof c.parameter !== 'string')
      throw new ElexError('INVALID_ARGUMENT', `change ${i} must be an object with a parameter name`);
    if (typeof c.at !== 'number' || !Number.isFinite(c.at))
      throw new ElexError('INVALID_ARGUMENT', `change ${i}: at must be a time in ms (a finite number)`);
    const p = info.get(c.parameter);
    const r: ValidationResult = { parameter: c.parameter, cell: c.cell, verdict: 'ok', reasons: [] };
    results[i] = r;
    soa[i] = 0;
    soa[n + i] = 0; // a slot outside the numeric checks: no findings
    if (!p) {
      r.reasons.push('UNKNOWN_PARAMETER');
      continue;
    }
    r.bounds = p.bounds;
    const proposed = c.proposed;
    if (p.kind === 'enum') {
      if (typeof proposed !== 'string' || (p.values && !p.values.includes(proposed))) r.reasons.push('WRONG_TYPE');
      continue;
    }
    if (p.kind === 'bool') {
      if (!(typeof proposed === 'boolean' || proposed === 0 || proposed === 1)) r.reasons.push('WRONG_TYPE');
      continue;
    }
    if (p.kind === 'string') {
      if (typeof proposed !== 'string') r.reasons.push('WRONG_TYPE');
      continue;
    }
    const cur = c.current;
    if (typeof proposed !== 'number' || typeof cur !== 'number') {
      r.reasons.push('WRONG_TYPE');
      continue;
    }
    if (p.kind === 'int' && Number.isFinite(proposed) && !Number.isInteger(proposed)) {
      r.reasons.push('WRONG_TYPE');
      continue;
    }
    if (p.noBounds) r.reasons.push('NO_BOUNDS');
    numeric[i] = 1;
    soa[i] = cur;
    soa[n + i] = proposed;
    soa[2 * n + i] = p.lo;
    soa[3 * n + i] = p.hi;
    soa[4 * n + i] = p.smin;
    soa[5 * n + i] = p.smax;
    // The kernel's step limit is relative (× |current|, or × the safe span when current is 0).
    soa[6 * n + i] = cur !== 0 ? p.maxChange / Math.abs(cur) : p.maxChange / (p.smax - p.smin);
  }
  return { soa, numeric, results, n };
}

/** Folds kernel masks and cooldowns into verdicts (`lastApplied` is updated when recording). */
export function finishValidation(
  catalog: LoadedCatalog,
  changes: readonly ParameterChange[],
  prep: PreparedValidation,
  masks: Uint32Array,
  lastApplied: Map<string, Map<string, number>>,
  record: boolean,
): ValidationResult[] {
  const info = paramInfos(catalog);
  const results = prep.results;
  for (let i = 0; i < results.length; i++) {
    const r = results[i]!;
    if (prep.numeric[i]) {
      const m = masks[i]!;
      if (m & F.notFinite) r.reasons.push('NOT_FINITE');
      else if (m) {
        if (m & (F.belowMin | F.aboveMax)) r.reasons.push('OUTSIDE_ABSOLUTE_RANGE');
        if (m & F.step) r.reasons.push('CHANGE_TOO_LARGE');
        if (m & (F.belowSafe | F.aboveSafe)) r.reasons.push('OUTSIDE_SAFE_RANGE');
      }
    }
    const c = changes[i]!;
    const p = info.get(c.parameter);
    if (!p) {
      r.verdict = 'reject';
      continue;
    }
    const cell = c.cell ?? '';
    const perCell = lastApplied.get(c.parameter);
    const last = perCell?.get(cell);
    if (last !== undefined && c.at - last < p.cooldownMs) r.reasons.push('COOLDOWN');
    let verdict: Verdict = 'ok';
    for (const x of r.reasons) {
      if (REJECTS.has(x)) {
        verdict = 'reject';
        break;
      }
      verdict = 'warn';
    }
    r.verdict = verdict;
    if (record && verdict !== 'reject' && p.cooldownMs === p.cooldownMs) {
      if (perCell) perCell.set(cell, c.at);
      else lastApplied.set(c.parameter, new Map([[cell, c.at]]));
    }
  }
  return results;
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
