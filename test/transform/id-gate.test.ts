import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SourceRecord } from '../../src/model/records.js';
import { Gate, gateKeys, IdGate, idOf, type GateCounts } from '../../src/transform/id-gate.js';

const counts = (): GateCounts => ({ read: 0, repeats_dropped: 0, already_exported: 0 });
const rec = (value: unknown, n = 0): SourceRecord => ({ value, where: `line ${n + 1}` });

describe('IdGate', () => {
  it('a file: the first record with an id wins, later ones are duplicates (read, then rejected)', () => {
    const c = counts();
    const gate = new IdGate(c, false);
    const records = [{ id: 'user_a' }, { id: 'user_b' }, { id: 'user_a' }, { id: 'user_a' }, { id: 'user_b' }].map(rec);
    const { ids, gates } = gate.gateRecords(records);
    expect(ids).toEqual(['user_a', 'user_b', 'user_a', 'user_a', 'user_b']);
    expect([...gates]).toEqual([Gate.Take, Gate.Take, Gate.Duplicate, Gate.Duplicate, Gate.Duplicate]);
    expect(c).toEqual({ read: 5, repeats_dropped: 0, already_exported: 0 });
    expect([...gate.seen].sort()).toEqual(['user_a', 'user_b']);
  });

  it('a paging source: a repeat is dropped quietly, not read', () => {
    const c = counts();
    const gate = new IdGate(c, true);
    expect([...gate.decideBatch({ ids: ['user_a', 'user_a', 'user_b'] })]).toEqual([Gate.Take, Gate.Skip, Gate.Take]);
    expect(c).toEqual({ read: 2, repeats_dropped: 1, already_exported: 0 });
  });

  it('records without a string id are all taken (validation rejects them later) and never remembered', () => {
    const c = counts();
    const gate = new IdGate(c, false);
    const { ids, gates } = gate.gateRecords([rec({ id: 7 }), rec([]), rec(undefined), rec(null), rec({})]);
    expect(ids).toEqual([null, null, null, null, null]);
    expect([...gates]).toEqual([Gate.Take, Gate.Take, Gate.Take, Gate.Take, Gate.Take]);
    expect(c.read).toBe(5);
    expect(gate.seen.size).toBe(0);
  });

  it('an incremental overlap: a user the previous run wrote unchanged is skipped once; a changed one is read', () => {
    const c = counts();
    const gate = new IdGate(c, false, new Map([['user_a', 100], ['user_b', 100]]));
    expect(gate.needsUpdatedAt).toBe(true);
    const records = [
      { id: 'user_a', updated_at: 100 },
      { id: 'user_b', updated_at: 200 },
      { id: 'user_a', updated_at: 100 },
      { id: 'user_c', updated_at: 100 },
    ].map(rec);
    const { gates } = gate.gateRecords(records);
    expect([...gates]).toEqual([Gate.Skip, Gate.Take, Gate.Duplicate, Gate.Take]);
    expect(c).toEqual({ read: 3, repeats_dropped: 0, already_exported: 1 });
    // Without the previous run's list the gate does not read updated_at at all.
    expect(new IdGate(counts(), false).needsUpdatedAt).toBe(false);
  });

  it('gateKeys carries updated_at only when asked (what a worker sends the main thread)', () => {
    const records = [rec({ id: 'user_a', updated_at: 5 }), rec('not an object')];
    expect(gateKeys(records, false)).toEqual({ ids: ['user_a', null] });
    expect(gateKeys(records, true)).toEqual({ ids: ['user_a', null], updated: [5, undefined] });
  });

  it('decides the same whether a run is gated whole, in batches (main thread) or as worker keys, and as a reference model', () => {
    const id = fc.oneof(fc.constantFrom('user_a', 'user_b', 'user_c', 'ü'), fc.constant(7));
    const record = fc.record({ id, updated_at: fc.constantFrom(1, 2) });
    fc.assert(
      fc.property(
        fc.array(record, { maxLength: 60 }),
        fc.array(fc.nat(60), { maxLength: 5 }),
        fc.boolean(),
        fc.option(fc.constant(new Map([['user_a', 1], ['ü', 2]])), { nil: undefined }),
        (values, cuts, mayRepeat, previous) => {
          const records = values.map(rec);
          // Reference: the rule spelled out with a plain Set.
          const ref = counts();
          const seen = new Set<string>();
          const expected = values.map((v): Gate => {
            const key = idOf(v);
            if (key === null) return ref.read++, Gate.Take;
            if (previous?.get(key) === v.updated_at && !seen.has(key)) return seen.add(key), ref.already_exported++, Gate.Skip;
            if (seen.has(key)) return mayRepeat ? (ref.repeats_dropped++, Gate.Skip) : (ref.read++, Gate.Duplicate);
            return seen.add(key), ref.read++, Gate.Take;
          });
          // Main thread: batches of parsed records cut anywhere.
          const bounds = [0, ...[...new Set(cuts.map((c) => Math.min(c, records.length)))].sort((a, b) => a - b), records.length];
          const c1 = counts();
          const g1 = new IdGate(c1, mayRepeat, previous);
          const batched: number[] = [];
          for (let i = 0; i + 1 < bounds.length; i++) batched.push(...g1.gateRecords(records.slice(bounds[i], bounds[i + 1])).gates);
          // Workers: each chunk's keys, decided on the main thread in input order.
          const c2 = counts();
          const g2 = new IdGate(c2, mayRepeat, previous);
          const fromKeys: number[] = [];
          for (let i = 0; i + 1 < bounds.length; i++) fromKeys.push(...g2.decideBatch(gateKeys(records.slice(bounds[i], bounds[i + 1]), g2.needsUpdatedAt)));
          expect(batched).toEqual(expected);
          expect(fromKeys).toEqual(expected);
          expect(c1).toEqual(ref);
          expect(c2).toEqual(ref);
          expect([...g1.seen].sort()).toEqual([...seen].sort());
        },
      ),
      { numRuns: 300 },
    );
  });
});
