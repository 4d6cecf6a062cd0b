import { describe, expect, it } from 'vitest';
import { mayLoseNumbers } from '../../src/clerk/json-elements.js';
import { parseExact, stringifyExact } from '../../src/transform/exact-json.js';

describe('exact numbers', () => {
  it('mayLoseNumbers finds every number JSON.parse changes, and passes numbers it keeps', () => {
    for (const n of ['12345678901234567890', '-9007199254740993', '1e400', '-1e-400', '3.14159265358979323846', '9007199254740992.0']) {
      const text = `{"a":{"b":[1, ${n}]}}`;
      expect(mayLoseNumbers(text), n).toBe(true);
      expect(JSON.stringify(JSON.parse(text))).not.toBe(text.replace(' ', '')); // the premise: JSON.parse changes it
    }
    for (const n of ['9007199254740991', '-9007199254740991', '1700000000000', '0.30000000000000004', '1.5e3', '1.0', '0']) {
      expect(mayLoseNumbers(`{"a":[${n}],"id":"user_2e5","t":"12:34:56"}`), n).toBe(false);
    }
  });

  it('parseExact reads like JSON.parse but keeps those numbers as text', () => {
    const text = '{"__proto__":{"x":1},"a":1,"a":12345678901234567890,"b":[1e400,-0.5,"s"],"c":null}';
    const v = parseExact(text) as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['__proto__', 'a', 'b', 'c']);
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(stringifyExact(v)).toBe('{"__proto__":{"x":1},"a":12345678901234567890,"b":[1e400,-0.5,"s"],"c":null}');
    expect(() => parseExact('{"a":')).toThrow(SyntaxError);
  });
});
