import type { RejectedRecord } from '../model/records.js';
import type { SourceRecord } from '../model/records.js';
import { emptyRows, flattenUser, unknownFieldPaths, type FlattenContext } from './flatten-user.js';
import { type RowsByTable } from '../model/records.js';
import { describeProblems, findProblems, isValidUser } from './validate-user.js';
import { Gate } from './id-gate.js';
import { mayLoseNumbers } from '../clerk/json-elements.js';
import { parseExact } from './exact-json.js';
import type { CompiledPolicy } from './pii-policy.js';


export type SchemaContract = 'evolve' | 'freeze' | 'strict';

export interface BatchOptions {
  flat: FlattenContext;
  /** Keep each transformed or invalid record's JSON text for the `raw` format. */
  wantRaw: boolean;
  contract: SchemaContract;
  /** Remember (id, updated_at) of written users updated at or after this, Unix ms. */
  recentSince?: number;
}

/** What one batch became. */
export interface BatchResult {
  rows: RowsByTable;
  rawLines: string[];
  rejected: RejectedRecord[];
  written: number;
  /** Users with at least one field the schema does not know. */
  drifted: number;
  /** Unknown field → users carrying it, in this batch. */
  drift: Map<string, number>;
  recent: Array<[string, number]>;
}

/**
 * Validate and flatten one batch of records whose ids the gate has decided, then apply the PII
 * policy to its rows. Records the gate skipped are left out; duplicates, unparseable and invalid
 * records become rejects naming the field. A record that fails half-way has its partial rows
 * undone. Pure apart from its result.
 *
 * The policy is applied here, once per row, and not by the sink: the sink writes the same rows to
 * every format, so `--format parquet,csv` hashes each value once. A dropped table's rows are left
 * as they are (they count in the manifest; the sink writes no file for them). The policy is not
 * part of BatchOptions, which is posted to the transform workers: a compiled policy holds
 * functions, so each worker compiles its own from CompiledPolicy.spec.
 */
export function transformBatch(batch: readonly SourceRecord[], ids: ReadonlyArray<string | null>, gates: ArrayLike<number>, options: BatchOptions, policy?: CompiledPolicy): BatchResult {
  const rows = emptyRows();
  // For undoing a record's partial rows: the table lists of this batch and their lengths.
  const rowLists = [...rows.values()];
  const sizes = new Array<number>(rowLists.length);
  const result: BatchResult = { rows, rawLines: [], rejected: [], written: 0, drifted: 0, drift: new Map(), recent: [] };
  const { rawLines, rejected, drift } = result;
  const { wantRaw, contract, recentSince } = options;
  for (let n = 0; n < batch.length; n++) {
    const gate = gates[n];
    if (gate === Gate.Skip) continue;
    const rec = batch[n]!;
    const id = ids[n] ?? null;
    if (gate === Gate.Duplicate) {
      rejected.push(rejectRecord(rec, id, [{ field: 'id', problem: `duplicate id: an earlier record of this input has id ${id}` }]));
      continue;
    }
    if (rec.error !== undefined) {
      // Not JSON (or not UTF-8): it goes to the rejects file only, raw stays valid NDJSON.
      rejected.push(rejectRecord(rec, id, [{ field: '(record)', problem: rec.error }]));
      continue;
    }
    for (let i = 0; i < rowLists.length; i++) sizes[i] = rowLists[i]!.length;
    let updated: number;
    try {
      const value = rec.value;
      const raw = wantRaw ? (rec.text ?? JSON.stringify(value)) : undefined;
      // Here the record becomes a ClerkUser, or a reject naming its problems.
      if (!isValidUser(value)) {
        if (raw !== undefined) rawLines.push(raw);
        rejected.push(rejectRecord(rec, id, findProblems(value)));
        continue;
      }
      const unknown = unknownFieldPaths(value);
      if (unknown.length) {
        result.drifted++;
        for (const f of unknown) drift.set(f, (drift.get(f) ?? 0) + 1);
        if (contract === 'strict') {
          if (raw !== undefined) rawLines.push(raw);
          rejected.push(rejectRecord(rec, id, unknown.map((f) => ({ field: f, problem: 'field not in the schema (--schema-contract strict)' }))));
          continue;
        }
      }
      // Validated on the JSON.parse value; when the text holds a number JSON.parse changes, the tables
      // are written from a second, exact parse that keeps that number's text (exact-json.ts).
      // It is the same text, so it passes the same check; checked all the same, as the rows are made of it (rare: few records hold such a number).
      const exact = rec.text !== undefined && mayLoseNumbers(rec.text) ? parseExact(rec.text) : undefined;
      if (exact !== undefined && !isValidUser(exact)) {
        if (raw !== undefined) rawLines.push(raw);
        rejected.push(rejectRecord(rec, id, findProblems(exact)));
        continue;
      }
      flattenUser(exact ?? value, options.flat, rows, unknown.length > 0, exact !== undefined);
      if (raw !== undefined) rawLines.push(raw);
      updated = value.updated_at;
    } catch (err) {
      // A record that cannot be flattened or serialised (metadata nested thousands of levels deep
      // overflows JSON.stringify): undo its partial rows and reject it, naming why.
      rowLists.forEach((r, i) => (r.length = sizes[i]!));
      rejected.push(rejectRecord({ ...rec, value: undefined, text: rec.text ?? '[not serialisable]' }, id, [{ field: '(record)', problem: `could not be processed: ${(err as Error).message}` }]));
      continue;
    }
    result.written++;
    if (recentSince !== undefined && id !== null && updated >= recentSince) result.recent.push([id, updated]);
  }
  if (policy) for (const [table, r] of rows) if (r.length) rows.set(table, policy.apply(table, r));
  return result;
}

export function rejectRecord(rec: SourceRecord, id: string | null, problems: Array<{ field: string; problem: string }>): RejectedRecord {
  return {
    source: rec.where,
    id,
    reason: `${rec.where}${id ? ` (${id})` : ''}: ${describeProblems(problems)}`,
    problems,
    // Its text when it could not be parsed, or when the parsed value would change its numbers.
    record: rec.value === undefined || (rec.text !== undefined && mayLoseNumbers(rec.text)) ? (rec.text ?? null) : rec.value,
  };
}
