/**
 * External-table DDL over the exported Parquet files (`clerk-etl schema --dialect …`), one statement
 * per table (the user tables unless told). Layout (README, "Output layout"): `<location>/<table>/dt=<YYYY-MM-DD>/
 * <run_id>-<part>.parquet`; `dt` exists only as the Hive partition folder, never inside the files.
 * Parquet types: string/json → BYTE_ARRAY UTF8, boolean → BOOLEAN, int64 → INT64, timestamp →
 * INT64 TIMESTAMP(isAdjustedToUTC=true, MILLIS). JSON columns stay text in every dialect.
 */
import { EtlError } from '../errors.js';
import { SCHEMA_VERSION, USER_TABLES, type ColumnType, type TableSchema } from '../model/schema.js';

export const SQL_DIALECTS = ['athena', 'trino', 'duckdb', 'bigquery', 'snowflake'] as const;
export type SqlDialect = (typeof SQL_DIALECTS)[number];

/** Names the DDL uses for things the export does not know. Rename them in the printed SQL if needed. */
export const DDL_NAMES = { trinoCatalog: 'hive', schema: 'clerk', snowflakeStage: 'clerk_export' } as const;

/** Column type per dialect. DuckDB has none: its views take the types from the Parquet files. */
export const DDL_TYPES: Record<Exclude<SqlDialect, 'duckdb'>, Record<ColumnType, string>> = {
  athena: { string: 'string', boolean: 'boolean', int64: 'bigint', timestamp: 'timestamp', json: 'string' },
  // The Hive connector cannot create `timestamp with time zone` columns: HiveTypeTranslator.toTypeInfo
  // (trinodb/trino, plugin/trino-hive) maps every TimestampType to Hive TIMESTAMP and rejects the rest
  // with "Unsupported Hive type"; it only *reads* Hive TIMESTAMP WITH LOCAL TIME ZONE (trino#13595).
  // So timestamp(3) (millisecond precision, the hive.timestamp-precision default), holding UTC.
  trino: { string: 'varchar', boolean: 'boolean', int64: 'bigint', timestamp: 'timestamp(3)', json: 'varchar' },
  bigquery: { string: 'STRING', boolean: 'BOOL', int64: 'INT64', timestamp: 'TIMESTAMP', json: 'STRING' },
  snowflake: { string: 'VARCHAR', boolean: 'BOOLEAN', int64: 'NUMBER(38,0)', timestamp: 'TIMESTAMP_TZ', json: 'VARCHAR' },
};

export const str = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const bq = (name: string): string => '`' + name + '`';
const dq = (name: string): string => `"${name}"`;

/**
 * How a query names a table (or view) of this DDL and quotes a column, per dialect: the one place
 * the external tables' names are spelled, used by the DDL below and by the views over it. Athena
 * escapes with backticks in DDL but with double quotes in SELECT statements and views
 * (https://docs.aws.amazon.com/athena/latest/ug/reserved-words.html), so its queries use `"…"`.
 */
export const QUERY_NAMES: Record<SqlDialect, { relation: (name: string) => string; column: (name: string) => string }> = {
  athena: { relation: dq, column: dq },
  trino: { relation: (n) => `${DDL_NAMES.trinoCatalog}.${DDL_NAMES.schema}.${dq(n)}`, column: dq },
  duckdb: { relation: dq, column: dq },
  bigquery: { relation: (n) => bq(`${DDL_NAMES.schema}.${n}`), column: bq },
  snowflake: { relation: (n) => n, column: (n) => n },
};
const cols = (t: TableSchema, line: (name: string, type: ColumnType) => string): string[] => t.columns.map((c) => '  ' + line(c.name, c.type));

/** One statement per table; `dir` is `<location>/<table>` without a trailing slash. */
const TEMPLATES: Record<SqlDialect, (t: TableSchema, dir: string) => string> = {
  // https://docs.aws.amazon.com/athena/latest/ug/create-table.html (Hive DDL; backticks because `position`
  // is reserved in Hive) and .../partition-projection-supported-types.html (date projection).
  athena: (t, dir) =>
    [
      `CREATE EXTERNAL TABLE IF NOT EXISTS ${bq(t.name)} (`,
      cols(t, (n, type) => `${bq(n)} ${DDL_TYPES.athena[type]}`).join(',\n'),
      `)`,
      `PARTITIONED BY (${bq('dt')} string)`,
      `STORED AS PARQUET`,
      `LOCATION ${str(dir + '/')}`,
      `TBLPROPERTIES (`,
      `  'projection.enabled' = 'true',`,
      `  'projection.dt.type' = 'date',`,
      `  'projection.dt.format' = 'yyyy-MM-dd',`,
      `  'projection.dt.range' = '2020-01-01,NOW',`,
      `  'projection.dt.interval' = '1',`,
      `  'projection.dt.interval.unit' = 'DAYS',`,
      `  'storage.location.template' = ${str(dir + '/dt=${dt}/')}`,
      `);`,
    ].join('\n'),
  // https://trino.io/docs/current/connector/hive.html: partition columns must be the last columns;
  // external_location / partitioned_by table properties; system.sync_partition_metadata procedure.
  trino: (t, dir) =>
    [
      `CREATE TABLE IF NOT EXISTS ${QUERY_NAMES.trino.relation(t.name)} (`,
      [...cols(t, (n, type) => `${dq(n)} ${DDL_TYPES.trino[type]}`), `  ${dq('dt')} varchar`].join(',\n'),
      `)`,
      `WITH (`,
      `  format = 'PARQUET',`,
      `  external_location = ${str(dir + '/')},`,
      `  partitioned_by = ARRAY['dt']`,
      `);`,
      `-- After every export run: CALL ${DDL_NAMES.trinoCatalog}.system.sync_partition_metadata(schema_name => ${str(DDL_NAMES.schema)}, table_name => ${str(t.name)}, mode => 'ADD');`,
    ].join('\n'),
  // https://duckdb.org/docs/stable/data/partitioning/hive_partitioning: hive_partitioning / hive_types.
  // The glob names *.parquet, so it holds even for a folder that has other files.
  duckdb: (t, dir) =>
    `CREATE OR REPLACE VIEW ${QUERY_NAMES.duckdb.relation(t.name)} AS SELECT * FROM read_parquet(${str(dir + '/*/*.parquet')}, hive_partitioning = true, hive_types = {'dt': DATE});`,
  // https://cloud.google.com/bigquery/docs/reference/standard-sql/data-definition-language#create_external_table_statement
  // and https://cloud.google.com/bigquery/docs/hive-partitioned-queries: one `*` per URI, and it matches
  // across `/`, so `<table>/*.parquet` takes every dt= folder and no CSV; the prefix ends right before `dt=`.
  bigquery: (t, dir) =>
    [
      `CREATE EXTERNAL TABLE IF NOT EXISTS ${QUERY_NAMES.bigquery.relation(t.name)} (`,
      cols(t, (n, type) => `${bq(n)} ${DDL_TYPES.bigquery[type]}`).join(',\n'),
      `)`,
      `WITH PARTITION COLUMNS (${bq('dt')} DATE)`,
      `OPTIONS (`,
      `  format = 'PARQUET',`,
      `  uris = [${str(dir + '/*.parquet')}],`,
      `  hive_partition_uri_prefix = ${str(dir + '/')}`,
      `);`,
    ].join('\n'),
  // https://docs.snowflake.com/en/sql-reference/sql/create-external-table: virtual columns `<col> <type> AS
  // <expr>` over VALUE, partition columns computed from METADATA$FILENAME only. Identifiers stay unquoted
  // (a quoted lower-case name would have to be quoted in every query); the VALUE keys are quoted.
  // USE_LOGICAL_TYPE = TRUE makes Snowflake read the Parquet TIMESTAMP(isAdjustedToUTC) annotation as an
  // instant instead of a bare number; the cast to TIMESTAMP_TZ keeps the instant.
  snowflake: (t) =>
    [
      `CREATE EXTERNAL TABLE IF NOT EXISTS ${QUERY_NAMES.snowflake.relation(t.name)} (`,
      [
        `  dt DATE AS TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'dt=', 2), '/', 1))`,
        ...cols(t, (n, type) => `${n} ${DDL_TYPES.snowflake[type]} AS (VALUE:${dq(n)}::${DDL_TYPES.snowflake[type]})`),
      ].join(',\n'),
      `)`,
      `PARTITION BY (dt)`,
      `LOCATION = @${DDL_NAMES.snowflakeStage}/${t.name}/`,
      `AUTO_REFRESH = FALSE`,
      `PATTERN = '.*[.]parquet'`,
      `FILE_FORMAT = (TYPE = PARQUET USE_LOGICAL_TYPE = TRUE);`,
    ].join('\n'),
};

/** Comment lines printed once, before the tables. */
const PREAMBLE: Record<SqlDialect, (root: string) => string[]> = {
  athena: () => [
    'Athena (Hive DDL). `dt` uses partition projection: new dt= folders are visible at once, no MSCK REPAIR TABLE',
    'or ALTER TABLE ADD PARTITION needed. Athena reads every file in a partition folder: the export keeps Parquet',
    'alone in <table>/ (CSV and NDJSON go to csv/ and ndjson/). LOCATION must be s3://.',
  ],
  trino: () => [
    `Trino, Hive connector. Create the schema first: CREATE SCHEMA IF NOT EXISTS ${DDL_NAMES.trinoCatalog}.${DDL_NAMES.schema};`,
    'Timestamps are timestamp(3) holding UTC (the Hive connector cannot create timestamp with time zone columns).',
    'New dt= partitions appear after sync_partition_metadata (below each table). The connector reads every file in',
    'a partition folder: the export keeps Parquet alone in <table>/ (CSV and NDJSON go to csv/ and ndjson/).',
  ],
  duckdb: () => [
    'DuckDB views (local folders, or s3:// with the httpfs extension and an S3 secret). Run after an export: a',
    'view over a folder without Parquet files fails. `dt` is a DATE read from the dt= folder names.',
  ],
  bigquery: () => [
    `BigQuery external tables over Cloud Storage (the location must be gs://). Create the dataset \`${DDL_NAMES.schema}\` first.`,
    '`dt` is a hive partition column (DATE) read from the dt= folder names; new folders are picked up automatically.',
  ],
  snowflake: (root) => [
    `Snowflake external tables read a stage that points at the export root, for example:`,
    `  CREATE STAGE ${DDL_NAMES.snowflakeStage} URL = ${str(root + '/')} STORAGE_INTEGRATION = <your_integration>;`,
    'AUTO_REFRESH = FALSE: after every export run, ALTER EXTERNAL TABLE <table> REFRESH; registers the new files.',
    'Timestamps are UTC instants (TIMESTAMP_TZ).',
  ],
};

/**
 * Why `location` cannot work for the dialect, if it cannot. BigQuery external tables read Cloud
 * Storage (`gs://`) only; S3 needs BigQuery Omni (a BigLake table through an AWS connection, in a
 * dataset of an `aws-*` location), which this DDL does not write, and local folders nothing at all.
 */
export function ddlLocationProblem(dialect: SqlDialect, location: string): string | undefined {
  if (dialect === 'bigquery' && !location.startsWith('gs://')) {
    return (
      `BigQuery external tables read Google Cloud Storage only: --to must be gs://bucket/prefix, got ${location}. ` +
      'Copy the export to a bucket (for S3: gcloud storage rsync --recursive s3://bucket/prefix gs://bucket/prefix, or Storage Transfer Service) ' +
      'and run schema --dialect bigquery --to gs://bucket/prefix. (BigQuery Omni can read S3 in place through an AWS connection; that DDL needs WITH CONNECTION and is not written here.)'
    );
  }
  return undefined;
}

export interface DdlOptions {
  /** The tables to write DDL for (default: the tables of a users export); tables without files must be left out, or DuckDB fails with "No files found". */
  tables?: readonly TableSchema[];
  /** Tables left out because they have no Parquet files: named in a comment. */
  leftOut?: readonly string[];
}

/**
 * The dialect's external-table DDL for every table over the Parquet files under `<location>/<table>/`.
 * `location` is a local folder, `s3://bucket/prefix`, `gs://bucket/prefix`…; a trailing `/` is ignored.
 */
export function schemaDdl(dialect: SqlDialect, location: string, options: DdlOptions = {}): string {
  const problem = ddlLocationProblem(dialect, location);
  if (problem) throw new EtlError('USAGE', problem);
  const root = location.replace(/\/+$/, '');
  const head = [`clerk-etl schema version ${SCHEMA_VERSION}: ${dialect} DDL over the Parquet files under ${root}/<table>/dt=<YYYY-MM-DD>/.`, ...PREAMBLE[dialect](root)];
  if (options.leftOut?.length) head.push(`Left out, no Parquet files under ${root}/<table>/: ${options.leftOut.join(', ')}.`);
  const blocks = (options.tables ?? USER_TABLES).map((t) => {
    const json = t.columns.filter((c) => c.type === 'json').map((c) => c.name);
    const comment = `-- ${t.name}: ${t.description} JSON text columns: ${json.join(', ')}.`;
    return `${comment}\n${TEMPLATES[dialect](t, `${root}/${t.name}`)}\n`;
  });
  return [head.map((l) => `-- ${l}`).join('\n') + '\n', ...blocks].join('\n');
}
