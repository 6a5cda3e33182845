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
 * Everything but the checks of change objects runs in the engine
 * (engine/include/elex/ran/validator.h): type checks of typed batches, the SIMD
 * bounds kernel, cooldowns and verdicts, in one call in a worker.
 *
 * KPI formulas compile once into stack programs (engine/include/elex/
 * monitor.h) over the counters of a batch.
 */
import {
  packValidatorColumns,
  packedBuffer,
  packedViews,
  type PackedColumns,
  type ValidatorTables,
} from '../bindings/bindings.ts';
import { drain, runSliced, type LoadedCatalog, type Parameter } from './catalog.ts';
import { ElexError } from '../core/errors.ts';
import type { MustBeTrue, SameUnion } from '../core/index-types.ts';
import { checkOptions, keysOf } from '../core/options.ts';
import { isTyped } from '../core/typed.ts';
import { parseFormula } from './formula.ts';
import {
  MONITOR_OP,
  PARAMETER_KIND,
  VALIDATION_REASON,
  VALIDATION_REASON_NAMES,
  VERDICT_NAMES,
} from '../generated/enums.ts';

/** 'ok', 'warn' or 'reject' (validator.h Verdict). */
export type Verdict = 'ok' | 'warn' | 'reject';
/** The reasons of validator.h Reason, in bit order (`VALIDATION_REASONS`). */
export type ValidationReason =
  | 'UNKNOWN_PARAMETER'
  | 'WRONG_TYPE'
  | 'NOT_FINITE'
  | 'OUTSIDE_ABSOLUTE_RANGE'
  | 'CHANGE_TOO_LARGE'
  | 'COOLDOWN'
  | 'OUTSIDE_SAFE_RANGE'
  | 'NO_BOUNDS';
// Compile-time checks that the unions are the engine's (generated) names.
type _VerdictIsTheEngines = MustBeTrue<SameUnion<Verdict, (typeof VERDICT_NAMES)[number]>>;
type _ReasonIsTheEngines = MustBeTrue<SameUnion<ValidationReason, (typeof VALIDATION_REASON_NAMES)[number]>>;

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

/**
 * Reason bits of validateBatch(): bit i stands for VALIDATION_REASONS[i].
 * The first six reject; the last two warn.
 */
export const VALIDATION_REASONS: readonly ValidationReason[] = Object.freeze([...VALIDATION_REASON_NAMES]);
/** The one reason bit the page sets itself (validate()'s checks of change objects). */
const WRONG_TYPE = VALIDATION_REASON.WRONG_TYPE;
/** Verdicts of validateBatch() by code: 0 ok, 1 warn, 2 reject. */
export const VERDICTS: readonly Verdict[] = Object.freeze([...VERDICT_NAMES]);

/** Parameter kinds in the table. */
const K = PARAMETER_KIND;

/** What validation needs of every parameter, computed once per catalog. */
interface ParamTable {
  index: Map<string, number>;
  kind: Uint8Array;
  values: (string[] | undefined)[];
  bounds: ValidationResult['bounds'][];
  /** The engine's tables (validator.h): kinds, 5 × count bounds, cooldowns in ms. */
  engine: ValidatorTables;
}

const tables = new WeakMap<LoadedCatalog, ParamTable>();

function paramTable(catalog: LoadedCatalog): ParamTable {
  return tables.get(catalog) ?? drain(paramTableSteps(catalog));
}

/** paramTable() in steps (yields every 256 parameters), cached at the end unless a call made it meanwhile. */
function* paramTableSteps(catalog: LoadedCatalog): Generator<void, ParamTable> {
  const ps = [...catalog.parameters.values()];
  const n = ps.length;
  const kind = new Uint8Array(n);
  const b = new Float64Array(5 * n).fill(NaN);
  const cooldownMs = new Float64Array(n).fill(NaN);
  const t: ParamTable = {
    index: new Map(),
    kind,
    values: [],
    bounds: [],
    engine: { kinds: kind, bounds: b, cooldownMs },
  };
  for (let i = 0; i < n; i++) {
    if (i % 256 === 255) yield;
    const p = ps[i]!;
    const type = p.type ?? (p.values ? 'enum' : 'float');
    t.index.set(p.name, i);
    kind[i] = type === 'float' ? K.number : K[type];
    t.values.push(p.values);
    if (p.range) ((b[i] = p.range[0]), (b[n + i] = p.range[1]));
    if (p.safe?.min !== undefined) b[2 * n + i] = p.safe.min;
    if (p.safe?.max !== undefined) b[3 * n + i] = p.safe.max;
    if (p.safe?.maxChange !== undefined) b[4 * n + i] = p.safe.maxChange;
    if (p.safe?.cooldownS !== undefined) cooldownMs[i] = p.safe.cooldownS * 1000;
    t.bounds.push(Object.freeze({ range: p.range, safe: p.safe, unit: p.unit }));
  }
  const made = tables.get(catalog);
  if (made) return made;
  tables.set(catalog, t);
  return t;
}

/** The engine validator's tables for a catalog (one per catalog, cached). */
export function validatorTables(catalog: LoadedCatalog): ValidatorTables {
  return paramTable(catalog).engine;
}

/** Makes validatorTables() of a catalog ahead of the first call, in slices that yield to the event loop. */
export async function warmValidatorTables(catalog: LoadedCatalog): Promise<void> {
  if (!tables.has(catalog)) await runSliced(paramTableSteps(catalog));
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
 * Numbers for validate()'s cell names, for cooldowns: "" is 0 (the cell of
 * validateBatch() changes without cells), others −1, −2, … so that they
 * never clash with validateBatch()'s ids (0 … 2^31 − 1).
 */
export class CellIds {
  private readonly ids = new Map<string, number>([['', 0]]);
  of(cell: string): number {
    let id = this.ids.get(cell);
    if (id === undefined) {
      if (this.ids.size >= 0x7fffffff) throw new ElexError('BUDGET_EXCEEDED', 'too many named cells (2^31 − 1)');
      id = -this.ids.size;
      this.ids.set(cell, id);
    }
    return id;
  }
}

/** Change objects packed for the engine validator, with their parameter indexes. */
export interface PreparedChanges extends PackedColumns {
  params: Int32Array;
}

/**
 * Lays change objects out as columns for the engine validator (run with
 * VALIDATE_CALLER_CHECKED): unknown names, values of the wrong type and
 * enum / bool / string checks are found here; numbers go to the engine.
 */
export function prepareValidation(
  catalog: LoadedCatalog,
  changes: readonly ParameterChange[],
  cellIds: CellIds,
  spare?: ArrayBuffer | null,
): PreparedChanges {
  if (!Array.isArray(changes)) throw new ElexError('INVALID_ARGUMENT', 'validate() takes an array of changes');
  checkCount(changes.length);
  const t = paramTable(catalog);
  const n = changes.length;
  // Straight into the packed layout (bindings.ts PackedColumns); a reused
  // buffer gets every column written.
  const bytes = packedBuffer(n, spare);
  const prep = packedViews(bytes, n);
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
    prep.cells[i] = cellIds.of(c.cell ?? '');
    prep.reasons[i] = 0;
    prep.current[i] = NaN;
    prep.proposed[i] = NaN;
    if (p < 0) continue; // the engine says UNKNOWN_PARAMETER
    const proposed = c.proposed;
    const kind = t.kind[p]!;
    if (kind === K.enum) {
      const values = t.values[p];
      if (typeof proposed !== 'string' || (values && !values.includes(proposed))) prep.reasons[i] = WRONG_TYPE;
    } else if (kind === K.bool) {
      if (!(typeof proposed === 'boolean' || proposed === 0 || proposed === 1)) prep.reasons[i] = WRONG_TYPE;
    } else if (kind === K.string) {
      if (typeof proposed !== 'string') prep.reasons[i] = WRONG_TYPE;
    } else if (typeof proposed !== 'number' || typeof c.current !== 'number') prep.reasons[i] = WRONG_TYPE;
    else {
      prep.current[i] = c.current;
      prep.proposed[i] = proposed;
    }
  }
  return { n, bytes, atAll: null, cells: true, params: prep.params };
}

/** Most changes one validate() or validateBatch() call takes (34 MB packed). */
export const MAX_CHANGES = 1_000_000;

function checkCount(n: number): void {
  if (n > MAX_CHANGES)
    throw new ElexError(
      'INVALID_ARGUMENT',
      `at most ${MAX_CHANGES.toLocaleString('en')} changes a call, got ${n}: split the batch`,
    );
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

/**
 * Checks the shape of a typed batch (types and lengths; the values are
 * checked by the engine) and packs a copy of it for the engine validator.
 */
const VALIDATION_BATCH_KEYS = keysOf<ValidationBatch>()(['parameters', 'current', 'proposed', 'at', 'cells']);

export function checkBatch(batch: ValidationBatch, spare?: ArrayBuffer | null): PackedColumns {
  if (typeof batch !== 'object' || batch === null)
    throw new ElexError('INVALID_ARGUMENT', 'validateBatch() takes { parameters, current, proposed, at, cells? }');
  // A misspelt `cells` (`cell`) was ignored: every change counted as cell 0's, cooldowns too.
  checkOptions('engine.validateBatch() batch', batch, VALIDATION_BATCH_KEYS);
  const { parameters, current, proposed, at, cells } = batch;
  const isInts = (x: unknown) => isTyped(x, 'Int32Array') || isTyped(x, 'Uint32Array');
  const isFloats = (x: unknown) => isTyped(x, 'Float64Array') || isTyped(x, 'Float32Array');
  if (!isInts(parameters)) throw new ElexError('INVALID_ARGUMENT', 'parameters must be an Int32Array or Uint32Array');
  checkCount(parameters.length);
  if (!isFloats(current) || !isFloats(proposed))
    throw new ElexError('INVALID_ARGUMENT', 'current and proposed must be Float64Array or Float32Array');
  if (typeof at === 'number') {
    if (!Number.isFinite(at)) throw new ElexError('INVALID_ARGUMENT', 'at must be a finite time in ms');
  } else if (!isTyped(at, 'Float64Array'))
    throw new ElexError('INVALID_ARGUMENT', 'at must be a number or a Float64Array');
  if (cells !== undefined && !isInts(cells))
    throw new ElexError('INVALID_ARGUMENT', 'cells must be an Int32Array or Uint32Array of cell ids');
  return packValidatorColumns({ params: parameters, current, proposed, at, cells }, spare);
}

/** validate()'s result objects from the engine's verdicts and reasons. */
export function validationResults(
  catalog: LoadedCatalog,
  changes: readonly ParameterChange[],
  params: Int32Array,
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
    const p = params[i]!;
    if (p >= 0) r.bounds = t.bounds[p];
    out[i] = r;
  }
  return out;
}

// ------------------------------------------------------------------ KPIs

export const OP = MONITOR_OP;

/** Compiles a KPI formula over `counterIndex` (name → column) into monitor.h ops; null if a counter is absent. */
export function compileFormula(formula: string, counterIndex: Map<string, number>, consts: number[]): number[] | null {
  const code = { '+': OP.add, '-': OP.sub, '*': OP.mul, '/': OP.div, neg: OP.neg } as const;
  const out: number[] = [];
  for (const step of parseFormula(formula)) {
    if ('num' in step) {
      consts.push(step.num);
      out.push(OP.const | ((consts.length - 1) << 8));
    } else if ('counter' in step) {
      const c = counterIndex.get(step.counter);
      if (c === undefined) return null;
      out.push(OP.push | (c << 8));
    } else out.push(code[step.op]);
  }
  return out;
}
