import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { EtlError, redactUrl, registerSecret } from '../errors.js';
import type { Logger } from '../log.js';
import { ALL_TABLES, RESOURCE_NAMES, TABLES, type ColumnType, type TableSchema } from '../model/schema.js';

/** What happens to a record that disappeared from Clerk (`--on-delete`). */
export type OnDelete = 'mark' | 'delete';

/** A published run, as the mirror needs it: its manifest and where its CSV files are. */
export interface RunToApply {
  manifest: {
    run_id: string;
    mode: 'full' | 'incremental';
    resources?: string[];
    csv_formula_escape?: boolean;
    /** Fields the schema does not know, as the run's manifest lists them (`birthday`, `email_addresses[].x`, `organizations: x`). */
    drift?: Array<{ field: string }>;
    schema_contract?: string;
    window?: unknown;
    counts: unknown;
    files: Array<{ table: string; format: string; path: string }>;
  };
  /** The absolute path of a manifest file entry. */
  pathOf(relPath: string): string;
}

export interface ApplyResult {
  /** `applied`, or `skipped` when the run id was already recorded. */
  status: 'applied' | 'skipped';
  /** Rows upserted per table (versions not older than the stored one). */
  upserted: Record<string, number>;
  /** Records marked or removed as deleted, per table. */
  deleted: Record<string, number>;
  /** Columns added for fields Clerk added (`table.column`). */
  added_columns: string[];
}

/** Postgres column types of the schema's logical types (docs/postgres.md). */
const PG_TYPES: Record<ColumnType, string> = { string: 'text', boolean: 'boolean', int64: 'bigint', timestamp: 'timestamptz', json: 'jsonb' };

const q = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** The user tables a mirror keeps (not `user_deletions`: deletions are applied, not stored). */
const CHILD_TABLES = TABLES.filter((t) => t.sourceArray);
const USERS = TABLES.find((t) => t.name === 'users')!;
const RESOURCE_TABLES = ALL_TABLES.filter((t) => (RESOURCE_NAMES as readonly string[]).includes(t.name));

/** The mirror's schema name and connection string from `postgres://…?schema=clerk` (default `clerk`). */
export function parsePostgresUrl(url: string): { connectionString: string; schema: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new EtlError('USAGE', `--to ${redactUrl(url)}: not a valid postgres:// URL.`);
  }
  const schema = u.searchParams.get('schema') ?? 'clerk';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(schema)) throw new EtlError('USAGE', `--to ${redactUrl(url)}: schema "${schema}" must be letters, digits and underscores.`);
  u.searchParams.delete('schema');
  return { connectionString: u.toString(), schema };
}

export function isPostgresUrl(to: string): boolean {
  return /^postgres(ql)?:\/\//i.test(to);
}

/**
 * A PostgreSQL mirror of Clerk: every table of the exported resources, typed, with primary keys,
 * kept current by applying published runs, each in one transaction (docs/postgres.md).
 */
export class PostgresMirror {
  private readonly connectionString: string;
  readonly schema: string;

  constructor(
    url: string,
    private readonly log: Logger,
  ) {
    ({ connectionString: this.connectionString, schema: this.schema } = parsePostgresUrl(url));
    // The password (in the URL or PGPASSWORD) never reaches a log line or an error message.
    const password = new URL(this.connectionString).password;
    if (password) registerSecret(decodeURIComponent(password));
    if (process.env.PGPASSWORD) registerSecret(process.env.PGPASSWORD);
  }

  /** The run ids already applied, in order. */
  async appliedRuns(): Promise<string[]> {
    return this.withClient(async (c) => {
      const exists = await c.query(`SELECT to_regclass($1) AS t`, [`${this.schema}.clerk_etl_runs`]);
      if (!exists.rows[0]?.t) return [];
      return (await c.query<{ run_id: string }>(`SELECT run_id FROM ${q(this.schema)}.clerk_etl_runs ORDER BY run_id`)).rows.map((r) => r.run_id);
    });
  }

  /**
   * Apply one run in one transaction: stage its CSV files with COPY, upsert by id where the incoming
   * `updated_at` is not older than the stored one, replace the child rows of the users it wrote,
   * apply its deletions (and, for a full run, the absence of what it did not see), and record it.
   * A run id already recorded is skipped. Any failure rolls everything back.
   */
  async apply(run: RunToApply, onDelete: OnDelete, signal?: AbortSignal): Promise<ApplyResult> {
    const m = run.manifest;
    const result: ApplyResult = { status: 'applied', upserted: {}, deleted: {}, added_columns: [] };
    return this.withClient(async (c) => {
      const s = q(this.schema);
      const started = Date.now();
      await c.query('BEGIN');
      try {
        // Two runs on one database never interleave (besides the state's lock): a lock for this schema, held to the commit.
        await c.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`clerk-etl:${this.schema}`]);
        await this.ensureTables(c);
        if ((await c.query(`SELECT 1 FROM ${s}.clerk_etl_runs WHERE run_id = $1`, [m.run_id])).rowCount) {
          await c.query('ROLLBACK');
          this.log.info('run already applied to the database; skipped', { run_id: m.run_id });
          return { ...result, status: 'skipped' };
        }
        const readUsers = (m.resources ?? ['users']).includes('users');
        const unescape = m.csv_formula_escape !== false;
        const tables = [...(readUsers ? [USERS, ...CHILD_TABLES] : []), ...RESOURCE_TABLES.filter((t) => (m.resources ?? []).includes(t.name))];
        // A first load (every table of the run empty, the mirror's own unescaped CSV): nothing to
        // upsert over, replace or delete, so the files are COPYed straight into the tables instead
        // of staged and inserted (100k users: 11.8 → 10.4 s, bench/README.md).
        if (!unescape && (await this.allEmpty(c, tables))) {
          for (const t of tables) {
            signal?.throwIfAborted();
            result.upserted[t.name] = await this.copyFiles(c, `${s}.${q(t.name)}`, t, run, t.name);
          }
          result.added_columns = await this.addDriftColumns(c, m);
          await this.recordRun(c, m);
          signal?.throwIfAborted();
          await c.query('COMMIT');
          this.log.debug('first load: run copied into the empty tables', { run_id: m.run_id, ms: Date.now() - started });
          return result;
        }
        for (const t of tables) {
          signal?.throwIfAborted();
          await this.stage(c, t, run, t.name, !unescape);
        }
        const deletionTables = [...(readUsers ? [ALL_TABLES.find((t) => t.name === 'user_deletions')!] : []), ...(tables.some((t) => t.name !== 'users' && !t.sourceArray) ? [ALL_TABLES.find((t) => t.name === 'deletions')!] : [])];
        for (const t of deletionTables) await this.stage(c, t, run, t.name, !unescape);
        const staged = Date.now();
        this.log.debug('run staged in PostgreSQL', { run_id: m.run_id, ms: staged - started });

        if (readUsers) {
          result.upserted.users = await this.upsert(c, USERS, m.run_id, unescape);
          // The children of every user this run wrote and the mirror now holds in this run's version.
          await c.query(`CREATE TEMP TABLE applied_users ON COMMIT DROP AS SELECT id FROM ${s}.users WHERE _run_id = $1`, [m.run_id]);
          for (const t of CHILD_TABLES) {
            await c.query(`DELETE FROM ${s}.${q(t.name)} c USING applied_users a WHERE c.user_id = a.id`);
            const r = await c.query(`INSERT INTO ${s}.${q(t.name)} (${cols(t)}) SELECT ${casts(t, unescape)} FROM ${staging(t.name)} WHERE user_id IN (SELECT id FROM applied_users)`);
            result.upserted[t.name] = r.rowCount ?? 0;
          }
          result.deleted.users = await this.deleteUsers(c, m.run_id, m.mode === 'full', onDelete);
          this.log.debug('users applied', { run_id: m.run_id, ms: Date.now() - staged });
        }
        for (const t of tables.filter((x) => (RESOURCE_NAMES as readonly string[]).includes(x.name))) {
          result.upserted[t.name] = await this.upsert(c, t, m.run_id, unescape);
          result.deleted[t.name] = await this.deleteRecords(c, t, m.mode === 'full', onDelete);
        }
        result.added_columns = await this.addDriftColumns(c, m);
        await this.recordRun(c, m);
        signal?.throwIfAborted();
        await c.query('COMMIT');
        return result;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err instanceof EtlError ? err : new EtlError('SINK_WRITE', `PostgreSQL: applying run ${m.run_id} failed and was rolled back: ${(err as Error).message}`, { cause: err });
      }
    });
  }

  /**
   * A field Clerk added (schema drift, kept in `_extra`) becomes a `jsonb` column of its table,
   * filled for the rows this run wrote; never dropped. Under `--schema-contract freeze` the run is
   * refused instead, naming the fields, and nothing of it is applied.
   */
  private async addDriftColumns(c: pg.Client, m: RunToApply['manifest']): Promise<string[]> {
    const fields = (m.drift ?? []).map((d) => d.field);
    if (!fields.length) return [];
    if (m.schema_contract === 'freeze') {
      throw new EtlError('INPUT_INVALID', `Run ${m.run_id} has fields the schema does not know (${fields.join(', ')}) and --schema-contract is freeze: the database was left as it was. Re-run with --schema-contract evolve to add them as columns.`);
    }
    const added: string[] = [];
    for (const field of fields) {
      const target = driftTarget(field);
      if (!target) continue;
      const table = ALL_TABLES.find((t) => t.name === target.table)!;
      const column = target.key.toLowerCase().replace(/[^a-z0-9_]+/g, '_');
      // A name the schema already uses (a nested field flattened to the same name) stays in _extra only.
      if (table.columns.some((col) => col.name === column) || column === '_deleted_at') continue;
      const t = `${q(this.schema)}.${q(table.name)}`;
      await c.query(`ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS ${q(column)} jsonb`);
      await c.query(`UPDATE ${t} SET ${q(column)} = _extra -> $1 WHERE _run_id = $2 AND _extra ? $1`, [target.key, m.run_id]);
      added.push(`${table.name}.${column}`);
    }
    if (added.length) this.log.info('columns added for fields Clerk added', { columns: added.join(', ') });
    return added;
  }

  private async withClient<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const c = new pg.Client({ connectionString: this.connectionString, application_name: 'clerk-etl' });
    try {
      await c.connect();
    } catch (err) {
      throw new EtlError('SINK_WRITE', `Cannot connect to PostgreSQL at ${redactUrl(this.connectionString)}: ${(err as Error).message}`, { cause: err });
    }
    try {
      return await fn(c);
    } finally {
      await c.end().catch(() => undefined);
    }
  }

  /**
   * The tables, created on the first run; columns the schema gained since are added, never dropped.
   * Keys: `users.id`, a resource's `id`; a child row by `(user_id, position)`: not every element type
   * has an id Clerk guarantees, and a user's children are replaced whole, so the position is its key.
   */
  private async ensureTables(c: pg.Client): Promise<void> {
    const s = q(this.schema);
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await c.query(`CREATE TABLE IF NOT EXISTS ${s}.clerk_etl_runs (run_id text PRIMARY KEY, mode text NOT NULL, run_window jsonb, counts jsonb NOT NULL, manifest jsonb NOT NULL, applied_at timestamptz NOT NULL)`);
    for (const t of [USERS, ...CHILD_TABLES, ...RESOURCE_TABLES]) {
      const key = t.sourceArray ? 'user_id, position' : 'id';
      const deletedAt = t.sourceArray ? '' : ', _deleted_at timestamptz';
      await c.query(`CREATE TABLE IF NOT EXISTS ${s}.${q(t.name)} (${t.columns.map((col) => `${q(col.name)} ${PG_TYPES[col.type]}`).join(', ')}${deletedAt}, PRIMARY KEY (${key}))`);
      for (const col of t.columns) await c.query(`ALTER TABLE ${s}.${q(t.name)} ADD COLUMN IF NOT EXISTS ${q(col.name)} ${PG_TYPES[col.type]}`);
      for (const k of joinKeys(t)) await c.query(`CREATE INDEX IF NOT EXISTS ${q(`${t.name}_${k}_idx`)} ON ${s}.${q(t.name)} (${q(k)})`);
    }
  }

  private async recordRun(c: pg.Client, m: RunToApply['manifest']): Promise<void> {
    await c.query(`INSERT INTO ${q(this.schema)}.clerk_etl_runs (run_id, mode, run_window, counts, manifest, applied_at) VALUES ($1, $2, $3, $4, $5, now())`, [
      m.run_id,
      m.mode,
      m.window === undefined ? null : JSON.stringify(m.window),
      JSON.stringify(m.counts),
      JSON.stringify(m),
    ]);
  }

  private async allEmpty(c: pg.Client, tables: readonly TableSchema[]): Promise<boolean> {
    for (const t of tables) if ((await c.query(`SELECT 1 FROM ${q(this.schema)}.${q(t.name)} LIMIT 1`)).rowCount) return false;
    return true;
  }

  /** COPY a table's CSV files of the run into `target` (streamed); returns the rows copied. */
  private async copyFiles(c: pg.Client, target: string, t: TableSchema, run: RunToApply, name: string): Promise<number> {
    let rows = 0;
    for (const f of run.manifest.files.filter((x) => x.format === 'csv' && x.table === name)) {
      const copy = c.query(copyFrom(`COPY ${target} (${cols(t)}) FROM STDIN (FORMAT csv, HEADER true)`));
      const source = createReadStream(run.pathOf(f.path));
      await pipeline(f.path.endsWith('.gz') ? [source, createGunzip(), copy] : [source, copy]);
      rows += copy.rowCount ?? 0;
    }
    return rows;
  }

  /** A temporary all-text table of the run's CSV files of one table, loaded with COPY (streamed). */
  /**
   * `typed`: the CSV has no formula escaping (what the export writes for the mirror), so COPY parses
   * the values into their types at once; an older export's escaped CSV is staged as text and
   * unescaped while cast (casts()). Typed staging: 12.1 → 11.8 s for 100k users, 1.80× → 1.69× Parquet's time (bench/README.md).
   */
  private async stage(c: pg.Client, t: TableSchema, run: RunToApply, name: string, typed: boolean): Promise<void> {
    await c.query(`CREATE TEMP TABLE ${staging(name)} (${t.columns.map((col) => `${q(col.name)} ${typed ? PG_TYPES[col.type] : 'text'}`).join(', ')}) ON COMMIT DROP`);
    await this.copyFiles(c, staging(name), t, run, name);
  }

  /** Insert or update from staging, only where the stored version is not newer; a record seen again is no longer deleted. */
  private async upsert(c: pg.Client, t: TableSchema, runId: string, unescape: boolean): Promise<number> {
    const s = q(this.schema);
    const set = t.columns.filter((col) => col.name !== 'id').map((col) => `${q(col.name)} = EXCLUDED.${q(col.name)}`);
    const r = await c.query(
      `INSERT INTO ${s}.${q(t.name)} AS cur (${cols(t)}, _deleted_at) SELECT ${casts(t, unescape)}, NULL FROM ${staging(t.name)}
       ON CONFLICT (id) DO UPDATE SET ${set.join(', ')}, _deleted_at = NULL WHERE cur.updated_at <= EXCLUDED.updated_at`,
    );
    this.log.debug('upserted', { table: t.name, rows: r.rowCount, run_id: runId });
    return r.rowCount ?? 0;
  }

  /** The run's user deletions; after a full run, also every user it did not see. */
  private async deleteUsers(c: pg.Client, runId: string, full: boolean, onDelete: OnDelete): Promise<number> {
    const s = q(this.schema);
    await c.query(`CREATE TEMP TABLE gone_users ON COMMIT DROP AS SELECT user_id AS id, detected_at::timestamptz AS at FROM ${staging('user_deletions')}`);
    if (full) await c.query(`INSERT INTO gone_users SELECT u.id, now() FROM ${s}.users u WHERE u._run_id <> $1 AND NOT EXISTS (SELECT 1 FROM ${staging('users')} x WHERE x.id = u.id)`, [runId]);
    if (onDelete === 'delete') {
      for (const t of CHILD_TABLES) await c.query(`DELETE FROM ${s}.${q(t.name)} c USING gone_users g WHERE c.user_id = g.id`);
      return (await c.query(`DELETE FROM ${s}.users u USING gone_users g WHERE u.id = g.id`)).rowCount ?? 0;
    }
    return (await c.query(`UPDATE ${s}.users u SET _deleted_at = g.at FROM gone_users g WHERE u.id = g.id AND u._deleted_at IS NULL`)).rowCount ?? 0;
  }

  /** A resource's deletions (the `deletions` table); after a full run, also every record it did not see. */
  private async deleteRecords(c: pg.Client, t: TableSchema, full: boolean, onDelete: OnDelete): Promise<number> {
    const s = q(this.schema);
    const gone = `gone_${t.name}`;
    await c.query(`CREATE TEMP TABLE ${q(gone)} ON COMMIT DROP AS SELECT id, detected_at::timestamptz AS at FROM ${staging('deletions')} WHERE resource = $1`, [t.name]);
    if (full) await c.query(`INSERT INTO ${q(gone)} SELECT r.id, now() FROM ${s}.${q(t.name)} r WHERE NOT EXISTS (SELECT 1 FROM ${staging(t.name)} x WHERE x.id = r.id)`);
    if (onDelete === 'delete') return (await c.query(`DELETE FROM ${s}.${q(t.name)} r USING ${q(gone)} g WHERE r.id = g.id`)).rowCount ?? 0;
    return (await c.query(`UPDATE ${s}.${q(t.name)} r SET _deleted_at = g.at FROM ${q(gone)} g WHERE r.id = g.id AND r._deleted_at IS NULL`)).rowCount ?? 0;
  }
}

/** The table and `_extra` key of a drift field: `birthday` → users; `email_addresses[].x` → its child table; `organizations: x` → that table. */
function driftTarget(field: string): { table: string; key: string } | undefined {
  const resource = /^([a-z_]+): (.+)$/.exec(field);
  if (resource) return RESOURCE_TABLES.some((t) => t.name === resource[1]) ? { table: resource[1]!, key: resource[2]! } : undefined;
  const child = /^([a-z_]+)\[\]\.(.+)$/.exec(field);
  if (child) {
    const t = CHILD_TABLES.find((x) => x.sourceArray === child[1]);
    return t ? { table: t.name, key: child[2]! } : undefined;
  }
  return { table: 'users', key: field };
}

function staging(name: string): string {
  return q(`stg_${name}`);
}

function cols(t: TableSchema): string {
  return t.columns.map((col) => q(col.name)).join(', ');
}

/**
 * Staging text → the column's type. An export's CSV with formula escaping (the default) has a `'`
 * before text that starts with = + - @ tab or CR: taken off again here (README "CSV formula injection").
 */
function casts(t: TableSchema, unescape: boolean): string {
  return t.columns
    .map((col) => {
      const v = q(col.name);
      const text = unescape && (col.type === 'string' || col.type === 'json') ? `CASE WHEN ${v} ~ '^''[=+\\-@\\t\\r]' THEN substr(${v}, 2) ELSE ${v} END` : v;
      return `(${text})::${PG_TYPES[col.type]}`;
    })
    .join(', ');
}

/** Columns other tables join on: indexed. */
function joinKeys(t: TableSchema): string[] {
  const names = new Set(t.columns.map((c) => c.name));
  return ['organization_id', 'user_id', 'inviter_id'].filter((k) => names.has(k) && !(t.sourceArray && k === 'user_id'));
}
