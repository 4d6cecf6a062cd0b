import { describe, expect, it } from 'vitest';
import { jsonArrayElements } from '../../src/clerk/json-elements.js';

describe('jsonArrayElements (each user\'s bytes of a page)', () => {
  it('returns each element exactly, whatever its strings hold', () => {
    const elements = [
      '{"id":"a","s":"quote \\" comma , bracket ] brace } [ {","n":12345678901234567890}',
      '{"id":"b","s":"ends in a backslash \\\\","t":"\\\\\\"","u":"\\u2028 ü 😀"}',
      '{"id":"c","arr":[[1,2],{"x":[]}],"e":{}}',
      '[]',
      '"a string"',
      '-1.5e+10',
      'null',
    ];
    expect(jsonArrayElements(`[${elements.join(',')}]`)).toEqual(elements);
    expect(jsonArrayElements(` \r\n[ ${elements.join(' ,\t')} ]\n`)).toEqual(elements);
  });

  it('an element spanning lines loses the whitespace outside its strings only', () => {
    const text = '[\n  {\n    "id": "a",\n    "s": "two  spaces, a tab\\t",\n    "n": 1e400\n  },\n  {"id": "b"}\n]';
    expect(jsonArrayElements(text)).toEqual(['{"id":"a","s":"two  spaces, a tab\\t","n":1e400}', '{"id": "b"}']);
  });

  it('an empty array has no element; what is not an array is refused', () => {
    expect(jsonArrayElements('[]')).toEqual([]);
    expect(jsonArrayElements(' [ ] ')).toEqual([]);
    expect(jsonArrayElements('{"data":[]}')).toBeUndefined();
    expect(jsonArrayElements('[{"a":1}')).toBeUndefined();
    expect(jsonArrayElements('[{"a":"1}]')).toBeUndefined();
  });

  it('matches JSON.parse on every element of a large page', () => {
    const users = Array.from({ length: 500 }, (_, i) => ({ id: `user_${i}`, s: 'x"\\'.repeat(i % 7), meta: { a: [i, { b: '}]' }] } }));
    const texts = jsonArrayElements(JSON.stringify(users))!;
    expect(texts.map((t) => JSON.parse(t) as unknown)).toEqual(users);
  });
});
