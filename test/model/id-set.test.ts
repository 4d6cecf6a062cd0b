import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdSet } from '../../src/model/id-set.js';

describe('IdSet', () => {
  it('behaves like Set<string> for any ids: ASCII, unicode, empty, long, repeated', () => {
    const id = fc.oneof(
      fc.constantFrom('user_a', 'user_b', '', 'x'.repeat(255), 'y'.repeat(256)),
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 10 }),
      fc.stringMatching(/^user_[0-9A-Za-z]{27}$/),
    );
    fc.assert(
      fc.property(fc.array(id, { maxLength: 300 }), fc.array(id, { maxLength: 50 }), (added, probes) => {
        const mine = new IdSet();
        const ref = new Set<string>();
        for (const a of added) {
          expect(mine.insert(a)).toBe(!ref.has(a));
          ref.add(a);
        }
        expect(mine.size).toBe(ref.size);
        for (const p of [...probes, ...added]) expect(mine.has(p)).toBe(ref.has(p));
        expect([...mine].sort()).toEqual([...ref].sort());
      }),
      { numRuns: 300 },
    );
  });

  it('holds 200,000 Clerk-like ids exactly, growing its table and arena', () => {
    const s = new IdSet();
    const id = (i: number) => `user_${i.toString(36).padStart(27, '0')}`;
    for (let i = 0; i < 200_000; i++) expect(s.insert(id(i))).toBe(true);
    expect(s.size).toBe(200_000);
    for (let i = 0; i < 200_000; i += 997) expect(s.has(id(i))).toBe(true);
    expect(s.has(id(200_000))).toBe(false);
    expect(s.insert(id(12_345))).toBe(false);
    expect(new IdSet(s).size).toBe(200_000);
  });
});
