import { exportRun } from '../helpers/export-run.js';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateUsers } from '../../src/emulator/generate.js';
import { silentLogger } from '../../src/log.js';
import type { ExportPublished } from '../../src/pipeline/export-run.js';
import { SQL_DIALECTS, schemaDdl, type SqlDialect } from '../../src/transform/ddl.js';
import { schemaSql } from '../../src/transform/schema-render.js';
import { USER_TABLES as TABLES, type ColumnType, type TableSchema } from '../../src/model/schema.js';
import { ddlBlocks, schemaCli } from '../helpers/schema-cli.js';

/** The statement text of each table (from its `-- <table>:` comment to the next one). */

// The expected column line per dialect, written from the spec (not from ddl.ts's own type maps).
const T = (m: Record<ColumnType, string>) => m;
const EXPECTED: Record<Exclude<SqlDialect, 'duckdb'>, (name: string, type: ColumnType) => string> = {
  athena: (n, t) => `\`${n}\` ${T({ string: 'string', boolean: 'boolean', int64: 'bigint', timestamp: 'timestamp', json: 'string' })[t]}`,
  trino: (n, t) => `"${n}" ${T({ string: 'varchar', boolean: 'boolean', int64: 'bigint', timestamp: 'timestamp(3)', json: 'varchar' })[t]}`,
  bigquery: (n, t) => `\`${n}\` ${T({ string: 'STRING', boolean: 'BOOL', int64: 'INT64', timestamp: 'TIMESTAMP', json: 'STRING' })[t]}`,
  snowflake: (n, t) => {
    const type = T({ string: 'VARCHAR', boolean: 'BOOLEAN', int64: 'NUMBER(38,0)', timestamp: 'TIMESTAMP_TZ', json: 'VARCHAR' })[t];
    return `${n} ${type} AS (VALUE:"${n}"::${type})`;
  },
};

/** Partition + location checks per dialect, for a table under `dir` (no trailing slash). */
const PARTITION: Record<SqlDialect, (t: TableSchema, dir: string) => string[]> = {
  athena: (t, dir) => [
    `CREATE EXTERNAL TABLE IF NOT EXISTS \`${t.name}\` (`,
    'PARTITIONED BY (`dt` string)',
    'STORED AS PARQUET',
    `LOCATION '${dir}/'`,
    "'projection.enabled' = 'true'",
    "'projection.dt.type' = 'date'",
    "'projection.dt.format' = 'yyyy-MM-dd'",
    `'storage.location.template' = '${dir}/dt=\${dt}/'`,
  ],
  trino: (t, dir) => [`CREATE TABLE IF NOT EXISTS hive.clerk."${t.name}" (`, `  "dt" varchar\n)`, `external_location = '${dir}/'`, "partitioned_by = ARRAY['dt']", "format = 'PARQUET'", 'sync_partition_metadata('],
  duckdb: (t, dir) => [`CREATE OR REPLACE VIEW "${t.name}" AS SELECT * FROM read_parquet('${dir}/*/*.parquet', hive_partitioning = true, hive_types = {'dt': DATE});`],
  bigquery: (t, dir) => [`CREATE EXTERNAL TABLE IF NOT EXISTS \`clerk.${t.name}\` (`, 'WITH PARTITION COLUMNS (`dt` DATE)', "format = 'PARQUET'", `uris = ['${dir}/*.parquet']`, `hive_partition_uri_prefix = '${dir}/'`],
  snowflake: (t) => [
    `CREATE EXTERNAL TABLE IF NOT EXISTS ${t.name} (`,
    `dt DATE AS TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'dt=', 2), '/', 1))`,
    'PARTITION BY (dt)',
    `LOCATION = @clerk_export/${t.name}/`,
    "PATTERN = '.*[.]parquet'",
    'TYPE = PARQUET',
    'AUTO_REFRESH = FALSE',
  ],
};

describe('schemaDdl: every dialect', () => {
  for (const dialect of SQL_DIALECTS) {
    it(`${dialect}: every table, every column with its mapped type, the dt partition, only *.parquet`, () => {
      const scheme = dialect === 'bigquery' ? 'gs' : 's3'; // BigQuery external tables read Cloud Storage only
      for (const location of [`${scheme}://bucket/prefix`, `${scheme}://bucket/prefix/`, `${scheme}://bucket/prefix//`]) {
        const ddl = schemaDdl(dialect, location);
        const byTable = ddlBlocks(ddl);
        expect([...byTable.keys()]).toEqual(TABLES.map((t) => t.name));
        for (const t of TABLES) {
          const block = byTable.get(t.name)!;
          for (const part of PARTITION[dialect](t, `${scheme}://bucket/prefix/${t.name}`)) expect(block, `${t.name}: ${part}`).toContain(part);
          if (dialect !== 'duckdb') {
            for (const c of t.columns) expect(block, `${t.name}.${c.name}`).toContain(EXPECTED[dialect](c.name, c.type));
          }
          // The table comment names the JSON text columns.
          const json = t.columns.filter((c) => c.type === 'json').map((c) => c.name);
          expect(block.split('\n')[0]).toContain(`JSON text columns: ${json.join(', ')}.`);
          expect(t.columns.some((c) => c.name === 'dt')).toBe(false);
        }
        // No `//` apart from the scheme (s3://, https:// in comments).
        expect(ddl.replace(/[a-z0-9]+:\/\//g, '')).not.toContain('//');
      }
    });
  }

  it('spot checks of the mapped types', () => {
    expect(schemaDdl('athena', 's3://b/p')).toContain('`created_at` timestamp,');
    expect(schemaDdl('athena', 's3://b/p')).toContain('`position` bigint,');
    expect(schemaDdl('trino', 's3://b/p')).toContain('"created_at" timestamp(3),');
    expect(schemaDdl('bigquery', 'gs://b/p')).toContain('`created_at` TIMESTAMP,');
    expect(schemaDdl('bigquery', 'gs://b/p')).toContain('`has_image` BOOL,');
    expect(schemaDdl('snowflake', 's3://b/p')).toContain('created_at TIMESTAMP_TZ AS (VALUE:"created_at"::TIMESTAMP_TZ)');
    expect(schemaDdl('snowflake', 's3://b/p')).toContain('position NUMBER(38,0) AS (VALUE:"position"::NUMBER(38,0))');
    expect(schemaDdl('snowflake', 's3://b/p/')).toContain("URL = 's3://b/p/'");
  });

  it('athena says partition projection replaces MSCK REPAIR; quotes in a location are escaped', () => {
    expect(schemaDdl('athena', 's3://b/p')).toMatch(/^-- .*no MSCK REPAIR TABLE/m);
    expect(schemaDdl('duckdb', "/tmp/it's")).toContain("read_parquet('/tmp/it''s/users/*/*.parquet'");
  });
});

describe('clerk-etl schema --dialect', () => {

  it('prints the dialect DDL for --to; --format sql alone keeps the generic DDL', async () => {
    expect(await schemaCli('--dialect', 'athena', '--to', 's3://b/p/')).toEqual({ code: 0, out: schemaDdl('athena', 's3://b/p/'), err: '' });
    expect((await schemaCli('--dialect', 'trino', '--format', 'sql', '--to', 's3://b/p')).out).toBe(schemaDdl('trino', 's3://b/p'));
    expect((await schemaCli('--format', 'sql')).out).toBe(schemaSql());
  });

  it('--dialect with --format md|json, or an unknown dialect, is a usage error', async () => {
    for (const format of ['md', 'json']) {
      const r = await schemaCli('--dialect', 'duckdb', '--format', format);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toContain(`cannot be combined with --format ${format}`);
    }
    const bad = await schemaCli('--dialect', 'postgres');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('postgres');
  });

  it('BigQuery on an s3:// or local location is refused, saying BigQuery reads gs:// and what to do', async () => {
    for (const to of ['s3://b/p', './clerk-export']) {
      const r = await schemaCli('--dialect', 'bigquery', '--to', to);
      expect(r.code, to).toBe(2);
      expect(r.out, to).toBe('');
      expect(r.err, to).toContain('BigQuery external tables read Google Cloud Storage only: --to must be gs://bucket/prefix');
      expect(r.err, to).toContain('gcloud storage rsync');
    }
    expect((await schemaCli('--dialect', 'bigquery', '--to', 'gs://b/p')).code).toBe(0);
  });

  it('a local folder without Parquet files is a usage error naming it', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-ddl-empty-'));
    try {
      const r = await schemaCli('--dialect', 'duckdb', '--to', empty);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toContain(`No Parquet files under ${empty}/<table>/dt=…/`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('the DuckDB DDL runs against a real export', () => {
  let dir: string;
  let result: ExportPublished;
  let db: DuckDBInstance;
  let conn: DuckDBConnection;
  let first: { id: string; created_at: number };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-ddl-'));
    const from = path.join(dir, 'users.ndjson');
    const users = generateUsers(300, { seed: 11 });
    first = users[0]!;
    writeFileSync(from, users.map((u) => JSON.stringify(u) + '\n').join(''));
    const to = path.join(dir, 'export') + '/'; // trailing slash on purpose
    // CSV next to the Parquet files: the views must skip it.
    ({ result } = await exportRun(
      { to, formats: ['parquet', 'csv'], from, inputFormat: 'auto', apiUrl: 'unused', concurrency: 1, progress: false },
      silentLogger,
      new AbortController().signal,
    ));
    expect(result.manifest.files.some((f) => f.path.endsWith('.csv'))).toBe(true);
    db = await DuckDBInstance.create(':memory:');
    conn = await db.connect();
    await conn.run(schemaDdl('duckdb', to));
  });
  afterAll(() => {
    conn?.closeSync();
    db?.closeSync();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('only tables with Parquet files get a view (a dropped table is left out and named); DuckDB runs the DDL', async () => {
    const to = path.join(dir, 'dropped');
    await exportRun(
      { to, formats: ['parquet'], from: path.join(dir, 'users.ndjson'), inputFormat: 'auto', apiUrl: 'unused', concurrency: 1, progress: false, pii: { dropTables: ['user_passkeys'] } },
      silentLogger,
      new AbortController().signal,
    );
    const { code, out, err } = await schemaCli('--dialect', 'duckdb', '--to', to);
    expect(code).toBe(0);
    expect([...ddlBlocks(out).keys()]).toEqual(TABLES.filter((t) => t.name !== 'user_passkeys').map((t) => t.name));
    expect(out).toContain(`-- Left out, no Parquet files under ${to}/<table>/: user_passkeys.`);
    expect(err).toContain('left out, no Parquet files under');
    const db2 = await DuckDBInstance.create(':memory:');
    const c2 = await db2.connect();
    try {
      await c2.run(out); // before: "No files found that match the pattern" for user_passkeys
      const [row] = (await c2.runAndReadAll('SELECT count(*)::INTEGER AS n FROM users')).getRowObjectsJS();
      expect(row).toEqual({ n: 300 });
    } finally {
      c2.closeSync();
      db2.closeSync();
    }
  });

  it('every view counts the rows the manifest reports, with dt the run date as a DATE', async () => {
    const runDate = result.manifest.started_at.slice(0, 10);
    for (const t of TABLES) {
      const rows = (await conn.runAndReadAll(`SELECT count(*)::INTEGER AS n, count(DISTINCT dt)::INTEGER AS dts, min(dt)::VARCHAR AS dt, any_value(typeof(dt)) AS type FROM "${t.name}"`)).getRowObjectsJS();
      if (t.name === 'user_deletions') {
        // No state, so no deletion check: an empty file that still carries the schema.
        expect(rows[0], t.name).toEqual({ n: 0, dts: 0, dt: null, type: null });
        continue;
      }
      expect(result.manifest.counts.rows[t.name], t.name).toBeGreaterThan(0); // 300 users fill every table
      expect(rows[0], t.name).toEqual({ n: result.manifest.counts.rows[t.name], dts: 1, dt: runDate, type: 'DATE' });
    }
    expect(result.manifest.counts.rows.users).toBe(300);
  });

  it('views have exactly the schema columns plus dt, with TIMESTAMP WITH TIME ZONE timestamps', async () => {
    for (const t of TABLES) {
      const described = (await conn.runAndReadAll(`DESCRIBE "${t.name}"`)).getRowObjectsJS() as Array<{ column_name: string; column_type: string }>;
      expect(described.map((d) => d.column_name), t.name).toEqual([...t.columns.map((c) => c.name), 'dt']);
      const types = new Map(described.map((d) => [d.column_name, d.column_type]));
      expect(types.get('dt')).toBe('DATE');
      for (const c of t.columns.filter((c) => c.type === 'timestamp')) expect(types.get(c.name), `${t.name}.${c.name}`).toBe('TIMESTAMP WITH TIME ZONE');
    }
    // The instant survives: epoch milliseconds equal Clerk's created_at.
    const [row] = (await conn.runAndReadAll(`SELECT typeof(created_at) AS type, epoch_ms(created_at)::DOUBLE AS ms FROM users WHERE id = $id`, { id: first.id })).getRowObjectsJS();
    expect(row).toEqual({ type: 'TIMESTAMP WITH TIME ZONE', ms: first.created_at });
  });
});
