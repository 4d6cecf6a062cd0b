import { SCHEMA_VERSION, ALL_TABLES, type Column, type ColumnType } from '../model/schema.js';

/** The schema as JSON: every table with its columns (name, type, nullable, description). */
export function schemaJson(): string {
  return JSON.stringify({ schema_version: SCHEMA_VERSION, tables: ALL_TABLES.map((t) => ({ name: t.name, description: t.description, columns: t.columns })) }, null, 2);
}

const PARQUET_TYPE: Record<ColumnType, string> = {
  string: 'STRING (UTF8)',
  boolean: 'BOOLEAN',
  int64: 'INT64',
  timestamp: 'TIMESTAMP(MILLIS, UTC)',
  json: 'STRING (JSON text)',
};
const TEXT_TYPE: Record<ColumnType, string> = {
  string: 'text',
  boolean: '`true`/`false`',
  int64: 'integer',
  timestamp: 'ISO-8601 UTC',
  json: 'JSON text',
};

/** The schema as Markdown: one section per table. */
export function schemaMarkdown(): string {
  const out: string[] = [`# clerk-etl tables (schema version ${SCHEMA_VERSION})`, ''];
  for (const t of ALL_TABLES) {
    out.push(`## ${t.name}`, '', t.description + (t.sourceArray ? ` From \`User.${t.sourceArray}\`.` : ''), '');
    out.push('| column | Parquet | CSV / NDJSON | nullable | notes |', '|---|---|---|---|---|');
    for (const c of t.columns) out.push(`| \`${c.name}\` | ${PARQUET_TYPE[c.type]} | ${TEXT_TYPE[c.type]} | ${c.nullable ? 'yes' : 'no'} | ${c.description.replace(/\|/g, '\\|')} |`);
    out.push('');
  }
  return out.join('\n');
}

const SQL_TYPE: Record<ColumnType, string> = { string: 'VARCHAR', boolean: 'BOOLEAN', int64: 'BIGINT', timestamp: 'TIMESTAMP WITH TIME ZONE', json: 'VARCHAR' };

function sqlColumn(c: Column): string {
  return `  "${c.name}" ${SQL_TYPE[c.type]}${c.nullable ? '' : ' NOT NULL'}`;
}

/** Generic SQL DDL (DuckDB / PostgreSQL flavoured): `CREATE TABLE` per table. */
export function schemaSql(): string {
  return ALL_TABLES.map((t) => `-- ${t.description}\nCREATE TABLE "${t.name}" (\n${t.columns.map(sqlColumn).join(',\n')}\n);\n`).join('\n');
}
