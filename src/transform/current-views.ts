/**
 * `clerk-etl schema --dialect … --views current`: a `<table>_current` view over each append-only table
 * of the DDL (src/transform/ddl.ts), holding the current state of the directory as the export last saw it.
 *
 * - `users_current`: per users.id the row with the greatest (updated_at, _run_id), left out when
 *   user_deletions has that id with a greater _run_id (run ids sort by time, src/pipeline/run-id.ts).
 * - `<child>_current`: the child rows written with that version, (user_id, _run_id) = (id, _run_id):
 *   a run writes a user's arrays whole with the user, so older rows of a child are older versions.
 * - `<resource>_current`: per id the newest (updated_at, _run_id), left out when `deletions` has
 *   (resource = '<table>', id) with a greater _run_id.
 *
 * A view is written only over tables the DDL has (no users_current for an organizations-only export);
 * a missing deletions table means no deletions to apply. `user_deletions` and `deletions` get none.
 * Only published runs should count; the views cannot read manifests, but the files they glob are
 * published ones (README, "Output layout": local runs rename into place on success, a killed run's
 * files are swept by the next run).
 */
import { DELETIONS, RESOURCE_TABLES, TABLES, USER_DELETIONS, USER_TABLES, type TableSchema } from '../model/schema.js';
import { QUERY_NAMES, str, type SqlDialect } from './ddl.js';

export const VIEW_KINDS = ['current'] as const;
export type ViewKind = (typeof VIEW_KINDS)[number];

/** The name of a table's current-state view. */
export const currentViewName = (table: string): string => `${table}_current`;

const [USERS, ...CHILDREN] = TABLES;

/**
 * The columns a view returns: the table's columns and `dt`. DuckDB takes them from the files
 * (`*`: a column dropped by a PII policy is simply absent); the other dialects' tables declare
 * every schema column, so the views list them and leave out Snowflake's VALUE.
 */
function selectList(dialect: SqlDialect, t: TableSchema, alias?: string): string {
  const prefix = alias ? `${alias}.` : '';
  if (dialect === 'duckdb') return `${prefix}*`;
  const q = QUERY_NAMES[dialect].column;
  return [...t.columns.map((c) => c.name), 'dt'].map((n) => prefix + q(n)).join(', ');
}

/**
 * One row per id: its newest (updated_at, _run_id). QUALIFY where the engine has it without
 * conditions (DuckDB, Snowflake); row_number() in a subquery elsewhere (Athena, Trino, BigQuery).
 */
function newest(dialect: SqlDialect, t: TableSchema): string {
  const { relation, column: q } = QUERY_NAMES[dialect];
  const rowNumber = `row_number() OVER (PARTITION BY ${q('id')} ORDER BY ${q('updated_at')} DESC, ${q('_run_id')} DESC)`;
  if (dialect === 'duckdb' || dialect === 'snowflake') return `SELECT ${selectList(dialect, t)} FROM ${relation(t.name)} QUALIFY ${rowNumber} = 1`;
  return `SELECT ${selectList(dialect, t)} FROM (SELECT *, ${rowNumber} AS ${q('_rn')} FROM ${relation(t.name)}) AS r WHERE r.${q('_rn')} = 1`;
}

/** The newest versions of `t` without the ids that `deleted` (a query of id, _run_id) names in a later run. */
function withoutDeleted(dialect: SqlDialect, t: TableSchema, deleted: string | undefined): string {
  if (!deleted) return newest(dialect, t) + ';';
  const q = QUERY_NAMES[dialect].column;
  return [
    `SELECT v.* FROM (${newest(dialect, t)}) AS v`,
    `LEFT JOIN (${deleted}) AS d ON d.${q('id')} = v.${q('id')}`,
    `WHERE d.${q('_run_id')} IS NULL OR d.${q('_run_id')} <= v.${q('_run_id')};`,
  ].join('\n');
}

function view(dialect: SqlDialect, name: string, comment: string, body: string): string {
  return `-- ${name}: ${comment}\nCREATE OR REPLACE VIEW ${QUERY_NAMES[dialect].relation(name)} AS\n${body}\n`;
}

/** The `<table>_current` views over `tables` (the tables the DDL was written for), after a comment. */
export function currentViews(dialect: SqlDialect, tables: readonly TableSchema[] = USER_TABLES): string {
  const { relation, column: q } = QUERY_NAMES[dialect];
  const has = (t: TableSchema): boolean => tables.some((x) => x.name === t.name);
  const latest = (id: string, from: TableSchema, where = ''): string =>
    `SELECT ${q(id)} AS ${q('id')}, max(${q('_run_id')}) AS ${q('_run_id')} FROM ${relation(from.name)}${where} GROUP BY ${q(id)}`;
  const out: string[] = [];
  if (USERS && has(USERS)) {
    const deleted = has(USER_DELETIONS) ? latest('user_id', USER_DELETIONS) : undefined;
    out.push(view(dialect, currentViewName(USERS.name), `one row per user: its newest version (updated_at, then _run_id)${deleted ? ', unless user_deletions records it in a later run' : ''}.`, withoutDeleted(dialect, USERS, deleted)));
    for (const child of CHILDREN.filter(has)) {
      const body = [
        `SELECT ${selectList(dialect, child, 'c')} FROM ${relation(child.name)} AS c`,
        `JOIN ${relation(currentViewName(USERS.name))} AS u ON u.${q('id')} = c.${q('user_id')} AND u.${q('_run_id')} = c.${q('_run_id')};`,
      ].join('\n');
      out.push(view(dialect, currentViewName(child.name), `the ${child.name} rows written with each current user's newest version.`, body));
    }
  }
  for (const t of RESOURCE_TABLES.filter(has)) {
    const deleted = has(DELETIONS) ? latest('id', DELETIONS, ` WHERE ${q('resource')} = ${str(t.name)}`) : undefined;
    out.push(view(dialect, currentViewName(t.name), `one row per id of ${t.name}: its newest version (updated_at, then _run_id)${deleted ? ', unless deletions records it in a later run' : ''}.`, withoutDeleted(dialect, t, deleted)));
  }
  if (!out.length) return '';
  const head = [
    '-- Current state (--views current): <table>_current over the append-only tables above. Only published runs should',
    '-- count, and the views see only published files: a local run renames its files into place when it succeeds, and the',
    '-- files of a killed run are removed by the next run to the same location (README, "Output layout").',
  ].join('\n');
  return [head + '\n', ...out].join('\n');
}
