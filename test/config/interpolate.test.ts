import { describe, expect, it } from 'vitest';
import { interpolate, substitute } from '../../src/config/interpolate.js';

describe('substitute', () => {
  const env = { A: 'alpha', EMPTY: '' };

  it.each([
    ['${A}', 'alpha'],
    ['x-${A}-${A}', 'x-alpha-alpha'],
    ['${B:-beta}', 'beta'],
    ['${EMPTY:-beta}', 'beta'],
    ['${EMPTY}', ''],
    ['${A:-beta}', 'alpha'],
    ['${B:-}', ''],
    ['$${A}', '${A}'],
    ['$$${A}', '$${A}'], // scanned left to right: "$", then the escape
    ['cost: $5', 'cost: $5'],
    ['$$', '$$'],
    ['${B:-a:-b}', 'a:-b'],
  ])('%s → %s', (raw, value) => {
    expect(substitute(raw, env)).toMatchObject({ value, errors: [] });
  });

  it('names the variables whose values were used (not those that fell back to a default)', () => {
    expect(substitute('${A}/${B:-x}/${A}', env).fromEnv).toEqual(['A']);
  });

  it('reports an unset variable and a malformed reference', () => {
    expect(substitute('${NOPE}', env)).toEqual({
      path: [],
      raw: '${NOPE}',
      fromEnv: [],
      errors: [{ message: 'environment variable NOPE is not set; set it, or give a default with ${NOPE:-default}', unsetVariable: 'NOPE' }],
    });
    expect(substitute('${A B}', env).errors[0]?.message).toBe('malformed reference "${A B}": write ${NAME} or ${NAME:-default}, and $${ for a literal ${');
    expect(substitute('${}', env).errors).toHaveLength(1);
  });
});

describe('interpolate', () => {
  it('substitutes strings at any depth, keeps other values, and does not touch keys', () => {
    const tree = { a: { '${A}': '${A}', n: 1, b: true, list: ['${A}', 2] }, empty: '${NONE:-}' };
    expect(interpolate(tree, { A: 'x' }).tree).toEqual({ a: { '${A}': 'x', n: 1, b: true, list: ['x', 2] } });
    expect(tree.a.list[0]).toBe('${A}');
  });

  it('keeps the text of a value with errors, so its key is still validated', () => {
    const { tree, substitutions } = interpolate({ to: '${MISSING}' }, {});
    expect(tree).toEqual({ to: '${MISSING}' });
    expect(substitutions.map((s) => [s.path, s.errors.length])).toEqual([[['to'], 1]]);
  });
});
