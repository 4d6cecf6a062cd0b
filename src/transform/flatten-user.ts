import type { Row, RowsByTable } from '../model/records.js';
import type { ClerkUser } from '../model/clerk-types.js';
import { TABLES, USER, type EntitySpec, type TableSchema } from '../model/schema.js';
import { plainNumber, stringifyExact } from './exact-json.js';

export interface FlattenContext {
  runId: string;
  /** Snapshot time of the run, Unix ms. */
  extractedAt: number;
}

/** An empty RowsByTable with every table present. */
export function emptyRows(): RowsByTable {
  return new Map(TABLES.map((t) => [t.name, []]));
}

type Getter = (rec: Record<string, unknown>) => unknown;

export interface EntityPlan {
  getters: Getter[];
  known: Set<string>;
  nested: Array<{ key: string; known: Set<string> }>;
  /** JSON text of a value (the `_extra` column). */
  json: (v: unknown) => string | null;
}

function json(v: unknown): string | null {
  return v === undefined || v === null ? null : JSON.stringify(v);
}

/** json() for a record from parseExact: numbers it kept as text are written as that text. */
function jsonExact(v: unknown): string | null {
  return v === undefined || v === null ? null : (stringifyExact(v) ?? null);
}

/**
 * `exact`: the plan for a record from parseExact (exact-json.ts). Its JSON columns keep the text of
 * numbers a double cannot hold; a typed column (validated on the JSON.parse value) gets the number
 * JSON.parse would have read.
 */
export function compileEntity(entity: EntitySpec, skipArrays: boolean, exact: boolean): EntityPlan {
  const getters: Getter[] = [];
  const toJson = exact ? jsonExact : json;
  const scalar = exact ? plainNumber : (v: unknown): unknown => v;
  for (const f of entity.fields) {
    if (skipArrays && f.kind === 'array') continue;
    const key = f.key;
    getters.push(f.type === 'json' ? (r) => toJson(r[key]) : exact ? (r) => scalar(r[key] ?? null) : (r) => r[key] ?? null);
  }
  for (const o of entity.objects) {
    if (o.reference) continue;
    const okey = o.key;
    for (const f of o.fields) {
      const key = f.key;
      getters.push(
        f.type === 'json'
          ? (r) => {
              const n = r[okey] as Record<string, unknown> | null | undefined;
              return n ? toJson(n[key]) : null;
            }
          : (r) => {
              const n = r[okey] as Record<string, unknown> | null | undefined;
              return n ? scalar(n[key] ?? null) : null;
            },
      );
    }
  }
  return {
    getters,
    known: new Set([...entity.fields.map((f) => f.key), ...entity.objects.map((o) => o.key)]),
    // A reference object's other fields are in its own table: not drift.
    nested: entity.objects.filter((o) => !o.reference).map((o) => ({ key: o.key, known: new Set(o.fields.map((f) => f.key)) })),
    json: toJson,
  };
}

/** Unknown fields of `rec` (and of its one-level nested objects, as `key.field`), or null when none. */
export function extras(rec: Record<string, unknown>, plan: EntityPlan): Record<string, unknown> | null {
  let out: Record<string, unknown> | null = null;
  for (const k in rec) {
    if (!plan.known.has(k)) (out ??= extraObject())[k] = rec[k];
  }
  for (const n of plan.nested) {
    const v = rec[n.key];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) continue;
    for (const k in v as Record<string, unknown>) {
      if (!n.known.has(k)) (out ??= extraObject())[`${n.key}.${k}`] = (v as Record<string, unknown>)[k];
    }
  }
  return out;
}

/**
 * An object without a prototype: a field named `__proto__` (JSON.parse keeps it as an own key) is
 * then stored as a key, where on `{}` the assignment would set the prototype and the field vanish.
 */
function extraObject(): Record<string, unknown> {
  return Object.create(null) as Record<string, unknown>;
}

/** Whether `rec` has a field its plan does not know (what extras() would return, without building it). */
export function hasExtras(rec: Record<string, unknown>, plan: EntityPlan): boolean {
  for (const k in rec) if (!plan.known.has(k)) return true;
  for (const n of plan.nested) {
    const v = rec[n.key];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) continue;
    for (const k in v as Record<string, unknown>) if (!n.known.has(k)) return true;
  }
  return false;
}

const NO_PATHS: readonly string[] = Object.freeze([]);

function userHasExtras(user: Record<string, unknown>): boolean {
  if (hasExtras(user, USER_PLAN)) return true;
  for (const { array, plan } of CHILD_PLANS) {
    const items = user[array];
    if (!Array.isArray(items)) continue;
    for (const item of items as unknown[]) {
      if (item && typeof item === 'object' && !Array.isArray(item) && hasExtras(item as Record<string, unknown>, plan)) return true;
    }
  }
  return false;
}

const USER_PLAN = compileEntity(USER, true, false);
const USER_PLAN_EXACT = compileEntity(USER, true, true);
const PRIMARY_INSERT_AT = USER.fields.filter((f) => f.kind !== 'array').findIndex((f) => f.key === 'primary_web3_wallet_id') + 1;
type ChildPlan = { table: TableSchema; array: string; plan: EntityPlan };
const childPlans = (exact: boolean): ChildPlan[] =>
  TABLES.filter((t) => t.sourceArray).map((t) => ({
    table: t,
    array: t.sourceArray!,
    plan: compileEntity(t.entity!, false, exact),
  }));
const CHILD_PLANS = childPlans(false);
const CHILD_PLANS_EXACT = childPlans(true);

function findValue(items: unknown, id: unknown, valueKey: string): unknown {
  if (typeof id !== 'string' || !Array.isArray(items)) return null;
  for (const it of items) {
    if (it && (it as Record<string, unknown>).id === id) return (it as Record<string, unknown>)[valueKey] ?? null;
  }
  return null;
}

/**
 * Flatten one (validated) user into rows, appended to `out`: one `users` row and one row per
 * element of each of its arrays. Pure apart from appending to `out`.
 * `mayHaveExtras: false` (unknownFieldPaths found none) skips looking for `_extra` fields again.
 * `exact`: the user comes from parseExact (exact-json.ts) and may hold numbers kept as text.
 */
export function flattenUser(user: ClerkUser, ctx: FlattenContext, out: RowsByTable, mayHaveExtras = true, exact = false): void {
  const rec = user as Record<string, unknown>;
  const userPlan = exact ? USER_PLAN_EXACT : USER_PLAN;
  const g = userPlan.getters;
  const row: Row = new Array(g.length + 6);
  let c = 0;
  for (let i = 0; i < g.length; i++) {
    if (i === PRIMARY_INSERT_AT) {
      row[c++] = findValue(rec.email_addresses, rec.primary_email_address_id, 'email_address');
      row[c++] = findValue(rec.phone_numbers, rec.primary_phone_number_id, 'phone_number');
      row[c++] = findValue(rec.web3_wallets, rec.primary_web3_wallet_id, 'web3_wallet');
    }
    row[c++] = g[i]!(rec);
  }
  row[c++] = mayHaveExtras ? userPlan.json(extras(rec, userPlan)) : null;
  row[c++] = ctx.runId;
  row[c++] = ctx.extractedAt;
  row.length = c;
  out.get('users')!.push(row);

  const userId = user.id;
  for (const { table, array, plan } of exact ? CHILD_PLANS_EXACT : CHILD_PLANS) {
    const items = rec[array];
    if (!Array.isArray(items) || items.length === 0) continue;
    const rows = out.get(table.name)!;
    for (let p = 0; p < items.length; p++) {
      const item = items[p] as Record<string, unknown>;
      const r: Row = new Array(plan.getters.length + 5);
      r[0] = userId;
      r[1] = p;
      for (let i = 0; i < plan.getters.length; i++) r[i + 2] = plan.getters[i]!(item);
      let k = plan.getters.length + 2;
      r[k++] = mayHaveExtras ? plan.json(extras(item, plan)) : null;
      r[k++] = ctx.runId;
      r[k++] = ctx.extractedAt;
      rows.push(r);
    }
  }
}

/** Convenience for tests and library users: flatten a list of users into fresh RowsByTable. */
export function flattenUsers(users: ClerkUser[], ctx: FlattenContext): RowsByTable {
  const out = emptyRows();
  for (const u of users) flattenUser(u, ctx, out);
  return out;
}

/** Turn a row into an object keyed by column name (NDJSON, tests). */
export function rowToObject(table: TableSchema, row: Row): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = 0; i < table.columns.length; i++) o[table.columns[i]!.name] = row[i];
  return o;
}

/**
 * The paths of fields the schema does not know, in a user and its array elements:
 * `birthday`, `scim.new_flag`, `email_addresses[].verification.channel`. They are kept in `_extra`;
 * this lists them for the manifest's drift report and the schema contract.
 */
export function unknownFieldPaths(user: Record<string, unknown>): readonly string[] {
  // Almost every user has none: look without allocating first.
  if (!userHasExtras(user)) return NO_PATHS;
  const out: string[] = [];
  const collect = (rec: Record<string, unknown>, plan: EntityPlan, prefix: string): void => {
    const e = extras(rec, plan);
    if (e) for (const k of Object.keys(e)) out.push(prefix + k);
  };
  collect(user, USER_PLAN, '');
  for (const { array, plan } of CHILD_PLANS) {
    const items = user[array];
    if (!Array.isArray(items)) continue;
    for (const item of items) if (item && typeof item === 'object' && !Array.isArray(item)) collect(item as Record<string, unknown>, plan, `${array}[].`);
  }
  return out.length < 2 ? out : [...new Set(out)];
}
