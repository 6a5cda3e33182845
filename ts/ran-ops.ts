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
  /** 7 × n floats: current, proposed, abs_min, abs_max, safe_min, safe_max, max_step_rel. */
  soa: Float32Array;
  /** Index into soa for each change, or -1 when it is not numeric-checked. */
  slot: Int32Array;
  results: ValidationResult[];
  n: number;
}

/** Checks types and unknowns, and lays the numeric checks out for the kernel. */
export function prepareValidation(catalog: LoadedCatalog, changes: readonly ParameterChange[]): PreparedValidation {
  if (!Array.isArray(changes)) throw new ElexError('INVALID_ARGUMENT', 'validate() takes an array of changes');
  const results: ValidationResult[] = new Array(changes.length);
  const slot = new Int32Array(changes.length).fill(-1);
  const numeric: number[] = [];
  changes.forEach((c, i) => {
    if (typeof c !== 'object' || c === null || typeof c.parameter !== 'string')
      throw new ElexError('INVALID_ARGUMENT', `change ${i} must be an object with a parameter name`);
    if (typeof c.at !== 'number' || !Number.isFinite(c.at))
      throw new ElexError('INVALID_ARGUMENT', `change ${i}: at must be a time in ms (a finite number)`);
    const p = catalog.parameters.get(c.parameter);
    const r: ValidationResult = { parameter: c.parameter, cell: c.cell, verdict: 'ok', reasons: [] };
    results[i] = r;
    if (!p) return void r.reasons.push('UNKNOWN_PARAMETER');
    r.bounds = { range: p.range, safe: p.safe, unit: p.unit };
    const t = p.type ?? (p.values ? 'enum' : 'float');
    if (t === 'enum') {
      if (typeof c.proposed !== 'string' || (p.values && !p.values.includes(c.proposed))) r.reasons.push('WRONG_TYPE');
      return;
    }
    if (t === 'bool') {
      if (!(typeof c.proposed === 'boolean' || c.proposed === 0 || c.proposed === 1)) r.reasons.push('WRONG_TYPE');
      return;
    }
    if (t === 'string') {
      if (typeof c.proposed !== 'string') r.reasons.push('WRONG_TYPE');
      return;
    }
    if (typeof c.proposed !== 'number' || typeof c.current !== 'number') return void r.reasons.push('WRONG_TYPE');
    if (t === 'int' && Number.isFinite(c.proposed) && !Number.isInteger(c.proposed))
      return void r.reasons.push('WRONG_TYPE');
    if (!p.range && !p.safe) r.reasons.push('NO_BOUNDS');
    slot[i] = numeric.length;
    numeric.push(i);
  });
  const n = numeric.length;
  const soa = new Float32Array(7 * n);
  numeric.forEach((i, j) => {
    const c = changes[i]!;
    const p = catalog.parameters.get(c.parameter)!;
    const cur = c.current as number;
    const s = p.safe ?? {};
    soa[j] = cur;
    soa[n + j] = c.proposed as number;
    soa[2 * n + j] = p.range?.[0] ?? NaN;
    soa[3 * n + j] = p.range?.[1] ?? NaN;
    soa[4 * n + j] = s.min ?? NaN;
    soa[5 * n + j] = s.max ?? NaN;
    // The kernel's step limit is relative (× |current|, or × the safe span when current is 0).
    const span = (s.max ?? NaN) - (s.min ?? NaN);
    soa[6 * n + j] = s.maxChange === undefined ? NaN : cur !== 0 ? s.maxChange / Math.abs(cur) : s.maxChange / span;
  });
  return { soa, slot, results, n };
}

/** Folds kernel masks and cooldowns into verdicts (`lastApplied` is updated when recording). */
export function finishValidation(
  catalog: LoadedCatalog,
  changes: readonly ParameterChange[],
  prep: PreparedValidation,
  masks: Uint32Array,
  lastApplied: Map<string, number>,
  record: boolean,
): ValidationResult[] {
  prep.results.forEach((r, i) => {
    const j = prep.slot[i]!;
    if (j >= 0) {
      const m = masks[j]!;
      if (m & F.notFinite) r.reasons.push('NOT_FINITE');
      else {
        if (m & (F.belowMin | F.aboveMax)) r.reasons.push('OUTSIDE_ABSOLUTE_RANGE');
        if (m & F.step) r.reasons.push('CHANGE_TOO_LARGE');
        if (m & (F.belowSafe | F.aboveSafe)) r.reasons.push('OUTSIDE_SAFE_RANGE');
      }
    }
    const c = changes[i]!;
    const p = catalog.parameters.get(c.parameter);
    const key = `${c.parameter}|${c.cell ?? ''}`;
    const cooldown = p?.safe?.cooldownS;
    const last = lastApplied.get(key);
    if (cooldown !== undefined && last !== undefined && c.at - last < cooldown * 1000) r.reasons.push('COOLDOWN');
    r.verdict = r.reasons.some((x) => REJECTS.has(x)) ? 'reject' : r.reasons.length ? 'warn' : 'ok';
    if (record && r.verdict !== 'reject' && p) lastApplied.set(key, c.at);
  });
  return prep.results;
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
