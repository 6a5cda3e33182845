/**
 * KPI formula syntax: counters, numbers, + - * / and parentheses, with
 * unary minus. parseFormula() checks a formula and gives it in postfix
 * order; the catalog check and the KPI compiler (ran-ops.ts) share it, so a
 * formula the catalog accepts always compiles.
 */
import { ElexError } from '../core/errors.ts';

export type FormulaOp = '+' | '-' | '*' | '/' | 'neg';
export type FormulaStep = { num: number } | { counter: string } | { op: FormulaOp };

const PRECEDENCE: Record<FormulaOp, number> = { '+': 1, '-': 1, '*': 2, '/': 2, neg: 3 };

/** `formula` in postfix order, or INVALID_ARGUMENT saying what is wrong with it. */
export function parseFormula(formula: string): FormulaStep[] {
  const bad = (why: string) => new ElexError('INVALID_ARGUMENT', `KPI formula "${formula}" ${why}`);
  const tokens = formula.match(/\d+(\.\d+)?([eE][-+]?\d+)?|[A-Za-z_][\w.]*|[-+*/()]/g);
  if (!tokens || tokens.join('').length !== formula.replace(/\s+/g, '').length)
    throw bad('has characters other than counters, numbers, + - * / ( )');
  const out: FormulaStep[] = [];
  const ops: (FormulaOp | '(')[] = [];
  let expectOperand = true;
  for (const t of tokens) {
    if (/^\d/.test(t)) {
      if (!expectOperand) throw bad(`is malformed near "${t}"`);
      out.push({ num: Number(t) });
      expectOperand = false;
    } else if (/^[A-Za-z_]/.test(t)) {
      if (!expectOperand) throw bad(`is malformed near "${t}"`);
      out.push({ counter: t });
      expectOperand = false;
    } else if (t === '(') {
      if (!expectOperand) throw bad('is malformed near "("');
      ops.push(t);
    } else if (t === ')') {
      if (expectOperand) throw bad('is malformed near ")"');
      while (ops.length && ops[ops.length - 1] !== '(') out.push({ op: ops.pop() as FormulaOp });
      if (!ops.length) throw bad('has unbalanced parentheses');
      ops.pop();
    } else {
      const o: FormulaOp = expectOperand && t === '-' ? 'neg' : (t as FormulaOp);
      if (expectOperand && o !== 'neg') throw bad(`is malformed near "${t}"`);
      while (o !== 'neg' && ops.length) {
        const top = ops[ops.length - 1]!;
        if (top === '(' || PRECEDENCE[top] < PRECEDENCE[o]) break;
        out.push({ op: ops.pop() as FormulaOp });
      }
      ops.push(o);
      expectOperand = true;
    }
  }
  if (expectOperand) throw bad('ends with an operator');
  while (ops.length) {
    const o = ops.pop()!;
    if (o === '(') throw bad('has unbalanced parentheses');
    out.push({ op: o });
  }
  // The monitor evaluates a formula on a stack of MONITOR_MAX_STACK values
  // (engine/include/elex/ran/monitor.h kMaxStack): a deeper one could never run.
  let depth = 0;
  for (const s of out) {
    depth += 'op' in s ? (s.op === 'neg' ? 0 : -1) : 1;
    if (depth > MONITOR_MAX_STACK)
      throw bad(`is nested too deeply: evaluating it needs more than ${MONITOR_MAX_STACK} values at once`);
  }
  return out;
}

/** Values the monitor's stack holds (engine/include/elex/ran/monitor.h kMaxStack). */
export const MONITOR_MAX_STACK = 32;
