/** Query type and complexity rules (ts/host/classify.ts). */
import { expect, test } from 'vitest';
import { classify, classifyComplexity, classifyType } from '../../ts/host/classify.ts';

const f = (score: number, kind: 'parameter' | 'counter' | 'kpi' | 'feature' = 'feature', exact = false) => ({
  score,
  matched: [{ kind, name: 'X.y', score, exact }],
});

test('types follow the documented order of rules', () => {
  expect(classifyType('why do handovers fail at night', [])).toBe('troubleshoot');
  expect(classifyType('how do I enable carrier aggregation', [])).toBe('procedure');
  expect(classifyType('what is the success rate of X', [])).toBe('kpi');
  expect(classifyType('show the pmFoo counter', [])).toBe('counter');
  expect(classifyType('which timer controls it', [])).toBe('parameter');
  expect(classifyType('tell me about carrier aggregation', [])).toBe('general');
  expect(classifyType('EUtranCellFDD.foo', [{ kind: 'parameter', name: 'EUtranCellFDD.foo' }])).toBe('parameter');
});

test('complexity: weak near-equal candidates do not make a question complex', () => {
  const q = 'Which parameters control MIMO sleep start time?';
  expect(classify(q, [f(0.27, 'parameter'), f(0.23), f(0.22), f(0.2)]).complexity).toBe('simple');
  expect(classify(q, [f(0.9), f(0.85), f(0.8)]).complexity).toBe('complex');
  expect(classify(q, [f(0.9), f(0.8)]).complexity).toBe('moderate');
  expect(classifyComplexity('compare carrier aggregation versus dual connectivity', 1, [])).toBe('complex');
  expect(classifyComplexity('a b c d e f g h i j k l m n', 1, [])).toBe('moderate');
  expect(classify(q, [f(0.9)], { type: 'kpi', complexity: 'complex' })).toEqual({ type: 'kpi', complexity: 'complex' });
});
