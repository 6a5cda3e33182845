/**
 * Query type and complexity from the text and the entities the router
 * matched (documented rules, in order):
 *
 * type
 *   troubleshoot  words of failure: why, drop, fail, degrade, problem,
 *                 issue, alarm, poor, low/high … rate, worse, fix
 *   procedure     how to / steps / enable / activate / configure / procedure
 *                 / deploy / turn on|off
 *   kpi           a KPI matched, or words: kpi, success rate, ratio,
 *                 percentage, availability, accessibility, retainability
 *   counter       a pm counter matched, or words: counter, pm, statistic,
 *                 measurement
 *   parameter     a parameter matched, or words: parameter, setting, value,
 *                 threshold, timer, offset, range, default
 *   general       anything else
 * complexity (strong features: the top one, and any other scoring at least
 * max(0.5, 0.8 × the top score))
 *   complex       three or more strong features, or
 *                 comparison words (compare, versus, vs, impact, trade-off,
 *                 between … and), or more than 25 words
 *   moderate      two strong features, or more than 12 words, or both a parameter
 *                 and a counter/KPI matched
 *   simple        otherwise
 */
import type { Complexity, QueryType } from '../core/learn-types.ts';

export interface MatchedEntity {
  kind: 'feature' | 'parameter' | 'counter' | 'kpi';
  name: string;
}

const has = (text: string, re: RegExp) => re.test(text);

export function classifyType(text: string, matched: readonly MatchedEntity[]): QueryType {
  const t = text.toLowerCase();
  if (
    has(
      t,
      /\b(why|drops?|dropp(ed|ing)|fail(s|ed|ing|ure|ures)?|degrad\w*|problems?|issues?|alarms?|poor|worse|fix|broken|not working)\b/,
    )
  )
    return 'troubleshoot';
  if (
    has(
      t,
      /\b(how (do|can|should) (i|we|you)|how to|steps?|enable|activate|deploy|procedure|turn (on|off)|roll ?out|configure)\b/,
    )
  )
    return 'procedure';
  const kinds = new Set(matched.map((m) => m.kind));
  if (kinds.has('kpi') || has(t, /\b(kpis?|success rate|ratio|percentage|availability|accessibility|retainability)\b/))
    return 'kpi';
  if (kinds.has('counter') || has(t, /\b(counters?|pm\w*|statistics?|measurements?)\b/)) return 'counter';
  if (
    kinds.has('parameter') ||
    has(t, /\b(parameters?|settings?|values?|thresholds?|timers?|offsets?|ranges?|defaults?)\b/)
  )
    return 'parameter';
  return 'general';
}

export function classifyComplexity(text: string, features: number, matched: readonly MatchedEntity[]): Complexity {
  const words = text.trim().split(/\s+/).filter(Boolean).length;
  const t = text.toLowerCase();
  if (features >= 3 || words > 25 || has(t, /\b(compare|comparison|versus|vs\.?|impact|trade-?off|between\b.+\band)\b/))
    return 'complex';
  const kinds = new Set(matched.map((m) => m.kind));
  if (features === 2 || words > 12 || (kinds.has('parameter') && (kinds.has('counter') || kinds.has('kpi'))))
    return 'moderate';
  return 'simple';
}

/** Type and complexity of a question from its routed features (the strong ones: ≥ half the top score). */
export function classify(
  text: string,
  features: readonly { score: number; matched: readonly (MatchedEntity & { exact: boolean; score: number })[] }[],
  given: { type?: QueryType; complexity?: Complexity } = {},
): { type: QueryType; complexity: Complexity } {
  // Strong: close to the top and good in absolute terms (near-equal weak
  // candidates, such as a feature's variants, do not make a question complex).
  const top = features[0]?.score ?? 0;
  const strong = features.filter((f, i) => i === 0 || f.score >= Math.max(0.5, 0.8 * top));
  const matched = strong.flatMap((f) => f.matched.filter((m) => m.exact || m.score >= 0.5));
  return {
    type: given.type ?? classifyType(text, matched),
    complexity: given.complexity ?? classifyComplexity(text, strong.length, matched),
  };
}
