import type { ListRecord, RejectedRecord, Row } from '../model/records.js';
import type { SchemaContract } from './batch.js';
import type { TableSchema } from '../model/schema.js';
import { compileEntity, extras, hasExtras, type EntityPlan, type FlattenContext } from './flatten-user.js';
import { describeProblems, validateRecord } from './validate-user.js';

interface TablePlan {
  plain: EntityPlan;
  exact: EntityPlan;
  keys: Array<{ object: string; field: string }>;
}
const plans = new Map<string, TablePlan>();

function planOf(table: TableSchema): TablePlan {
  let p = plans.get(table.name);
  if (!p) {
    // Arrays of a resource (a membership's permissions) are JSON columns, not child tables.
    p = { plain: compileEntity(table.entity!, false, false), exact: compileEntity(table.entity!, false, true), keys: table.keys ?? [] };
    plans.set(table.name, p);
  }
  return p;
}

/** One row of a resource table: the join keys, the entity's columns, `_extra`, `_run_id`, `_extracted_at`. */
export function flattenRecord(table: TableSchema, rec: Record<string, unknown>, ctx: FlattenContext, exact = false): Row {
  const p = planOf(table);
  const plan = exact ? p.exact : p.plain;
  const row: Row = [];
  for (const k of p.keys) {
    const o = rec[k.object];
    const v = typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[k.field] : undefined;
    row.push(v ?? null);
  }
  for (const g of plan.getters) row.push(g(rec));
  row.push(plan.json(extras(rec, plan)), ctx.runId, ctx.extractedAt);
  return row;
}

/** Fields of `rec` its table does not know (`field`, `object.field`), for the drift report. */
export function unknownRecordFields(table: TableSchema, rec: Record<string, unknown>): string[] {
  const plan = planOf(table).plain;
  if (!hasExtras(rec, plan)) return [];
  return Object.keys(extras(rec, plan) ?? {});
}

export interface ResourceBatchResult {
  rows: Row[];
  rejected: RejectedRecord[];
  /** Unknown field → records carrying it. */
  drift: Map<string, number>;
  drifted: number;
}

/**
 * Validate and flatten a batch of one resource's records (already distinct by id): invalid records
 * become rejects naming the resource, the record and the field; the others one row each.
 */
export function transformResourceBatch(table: TableSchema, records: readonly ListRecord[], ctx: FlattenContext, contract: SchemaContract): ResourceBatchResult {
  const out: ResourceBatchResult = { rows: [], rejected: [], drift: new Map(), drifted: 0 };
  const what = table.name.replace(/s$/, '').replace(/_/g, ' ');
  for (let i = 0; i < records.length; i++) {
    const { value, exact } = records[i]!;
    const id = typeof value.id === 'string' ? value.id : null;
    const where = `${table.name} ${id ?? `record ${i}`}`;
    const reject = (problems: Array<{ field: string; problem: string }>): void => {
      out.rejected.push({ source: where, id, reason: `${where}: ${describeProblems(problems)}`, problems, record: value });
    };
    const problems = validateRecord(value, table.entity!, `a Clerk ${what}`);
    if (problems.length) {
      reject(problems);
      continue;
    }
    const unknown = unknownRecordFields(table, value);
    if (unknown.length) {
      out.drifted++;
      for (const f of unknown) out.drift.set(f, (out.drift.get(f) ?? 0) + 1);
      if (contract === 'strict') {
        reject(unknown.map((f) => ({ field: f, problem: 'field not in the schema (--schema-contract strict)' })));
        continue;
      }
    }
    try {
      out.rows.push(flattenRecord(table, (exact ?? value) as Record<string, unknown>, ctx, exact !== undefined));
    } catch (err) {
      reject([{ field: '(record)', problem: `could not be processed: ${(err as Error).message}` }]);
    }
  }
  return out;
}
