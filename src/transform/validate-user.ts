import { isPlainObject, type ClerkUser } from '../model/clerk-types.js';
import type { FieldProblem } from '../model/records.js';
import { USER, TABLES, type EntitySpec, type FieldSpec, type ObjectSpec } from '../model/schema.js';

/**
 * Check a record against the User structure: required fields present, JSON types and nullability
 * right, for the user and every element of its arrays. Enum values and string patterns are NOT
 * checked (Clerk adds providers and statuses without notice; they pass through as data).
 *
 * Returns the problems, at most `limit` (default 10); an empty array means the record is valid.
 */
export function validateUser(record: unknown, limit = 10): FieldProblem[] {
  // Almost every record is valid: check without building a path string per field first.
  return isValidUser(record) ? [] : findProblems(record, limit);
}

/**
 * Whether validateUser would find no problem, without allocating (the export's hot path). This is
 * where a record becomes a ClerkUser: the User structure requires `id` and `object` (strings) and
 * `created_at` and `updated_at` (integers), as ClerkUser says.
 */
export function isValidUser(record: unknown): record is ClerkUser {
  if (!isPlainObject(record) || !entityOk(record, USER)) return false;
  for (const table of TABLES) {
    if (!table.sourceArray) continue;
    const items = record[table.sourceArray];
    if (!Array.isArray(items)) continue; // its type was checked with the user's fields
    for (const item of items as unknown[]) if (!isPlainObject(item) || !entityOk(item, table.entity!)) return false;
  }
  return true;
}

function entityOk(rec: Record<string, unknown>, entity: EntitySpec): boolean {
  for (const f of entity.fields) if (!fieldOk(rec[f.key], f)) return false;
  for (const o of entity.objects) {
    const v = rec[o.key];
    if (v === undefined) {
      if (o.required) return false;
      continue;
    }
    if (v === null) {
      if (!o.nullable) return false;
      continue;
    }
    if (!isPlainObject(v)) return false;
    for (const f of o.fields) if (!fieldOk(v[f.key], f)) return false;
  }
  return true;
}

function fieldOk(v: unknown, f: FieldSpec): boolean {
  if (v === undefined) return !f.required;
  if (v === null) return f.nullable;
  return valueOk(v, f);
}

/** The type check of a present, non-null value (shared by both paths). */
function valueOk(v: unknown, f: FieldSpec): boolean {
  switch (f.kind) {
    case 'string':
      return typeof v === 'string';
    case 'boolean':
      return typeof v === 'boolean';
    case 'integer':
      return typeof v === 'number' && Number.isSafeInteger(v) && (f.type !== 'timestamp' || Math.abs(v) <= MAX_DATE_MS);
    case 'object':
      return isPlainObject(v);
    case 'array':
      return Array.isArray(v);
    default:
      return true;
  }
}

/** Every problem of a record (at most `limit`), each naming its field path. */
export function findProblems(record: unknown, limit = 10): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (!isPlainObject(record)) {
    problems.push({ field: '(record)', problem: `expected a JSON object (a Clerk User), got ${kindOf(record)}` });
    return problems;
  }
  checkEntity(record, USER, '', problems, limit);
  if (problems.length >= limit) return problems;
  for (const table of TABLES) {
    if (!table.sourceArray) continue;
    const items = record[table.sourceArray];
    if (!Array.isArray(items)) continue; // absence / wrong type already reported above
    for (let i = 0; i < items.length && problems.length < limit; i++) {
      const path = `${table.sourceArray}[${i}]`;
      const item: unknown = items[i];
      if (!isPlainObject(item)) {
        problems.push({ field: path, problem: `expected an object, got ${kindOf(item)}` });
        continue;
      }
      checkEntity(item, table.entity!, path + '.', problems, limit);
    }
  }
  return problems;
}

/**
 * Check a record of a resource besides users (an organization, a membership, …) against its
 * entity: required fields, JSON types, nullability, one level of nested objects. Returns the problems, at most `limit`.
 */
export function validateRecord(record: unknown, entity: EntitySpec, what: string, limit = 10): FieldProblem[] {
  if (!isPlainObject(record)) return [{ field: '(record)', problem: `expected a JSON object (${what}), got ${kindOf(record)}` }];
  const problems: FieldProblem[] = [];
  checkEntity(record, entity, '', problems, limit);
  return problems;
}

function checkEntity(rec: Record<string, unknown>, entity: EntitySpec, prefix: string, out: FieldProblem[], limit: number): void {
  for (const f of entity.fields) {
    if (out.length >= limit) return;
    checkField(rec[f.key], f, prefix + f.key, out, true);
  }
  for (const o of entity.objects) {
    if (out.length >= limit) return;
    checkObject(rec[o.key], o, prefix + o.key, out);
  }
}

function checkObject(v: unknown, o: ObjectSpec, path: string, out: FieldProblem[]): void {
  if (v === undefined) {
    if (o.required) out.push({ field: path, problem: 'required field is missing (expected an object)' });
    return;
  }
  if (v === null) {
    if (!o.nullable) out.push({ field: path, problem: 'must not be null (expected an object)' });
    return;
  }
  if (!isPlainObject(v)) {
    out.push({ field: path, problem: `expected an object, got ${kindOf(v)}` });
    return;
  }
  for (const f of o.fields) checkField(v[f.key], f, `${path}.${f.key}`, out, true);
}

function checkField(v: unknown, f: FieldSpec, path: string, out: FieldProblem[], enforceRequired: boolean): void {
  if (v === undefined) {
    if (f.required && enforceRequired) out.push({ field: path, problem: `required field is missing (expected ${expected(f)})` });
    return;
  }
  if (v === null) {
    if (!f.nullable) out.push({ field: path, problem: `must not be null (expected ${expected(f)})` });
    return;
  }
  if (!valueOk(v, f)) out.push({ field: path, problem: `expected ${expected(f)}, got ${kindOf(v)}${preview(v)}` });
}

/** The largest Unix-ms value a JavaScript Date (and ISO-8601 text) can hold: ±100,000,000 days. */
const MAX_DATE_MS = 8.64e15;

function expected(f: FieldSpec): string {
  const base = f.kind === 'integer' ? (f.type === 'timestamp' ? 'an integer (Unix ms within ±8.64e15)' : 'an integer') : f.kind === 'object' ? 'an object' : f.kind === 'array' ? 'an array' : `a ${f.kind}`;
  return f.nullable ? `${base} or null` : base;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number') return Number.isInteger(v) ? (Number.isSafeInteger(v) ? 'an integer' : 'an integer beyond 2^53') : 'a non-integer number';
  return `a ${typeof v}`;
}

function preview(v: unknown): string {
  if (typeof v === 'object') return '';
  // Library callers may pass what JSON cannot hold (bigint, functions): describe, never throw.
  const s = typeof v === 'bigint' ? `${v}n` : typeof v === 'function' || typeof v === 'symbol' || v === undefined ? String(typeof v) : JSON.stringify(v);
  return ` (${s.length > 40 ? s.slice(0, 40) + '…' : s})`;
}

/** A one-line reason built from the problems, naming each field. */
export function describeProblems(problems: FieldProblem[]): string {
  return problems.map((p) => `${p.field}: ${p.problem}`).join('; ');
}
