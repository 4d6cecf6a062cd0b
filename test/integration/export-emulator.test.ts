import { exportRun } from '../helpers/export-run.js';
import { mkdtempSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClerkUser } from '../../src/model/clerk-types.js';
import { generateUsers } from '../../src/emulator/generate.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { createLogger } from '../../src/log.js';
import type { ExportPublished } from '../../src/pipeline/export-run.js';
import { readCsv, readNdjson, readParquet } from '../helpers/read-back.js';
import { escapeFormula } from '../../src/load/formats.js';

const USERS = 2000;
const SEED = 7;
const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-it-'));
let emulator: RunningEmulator;
let result: ExportPublished;
let source: ClerkUser[];
const logLines: string[] = [];

beforeAll(async () => {
  source = generateUsers(USERS, { seed: SEED });
  emulator = await startEmulator({
    users: source,
    // Random faults on top of a deterministic burst at the start, so every kind surely happens.
    faults: { rate429: 0.05, rate5xx: 0.05, rateReset: 0.03, rateTruncate: 0.02, seed: 3, retryAfterSeconds: 1 },
  });
  emulator.injectNext('429', '500', 'reset', '502', 'truncate', '503');
  const log = createLogger({ format: 'json', level: 'debug', write: (l) => logLines.push(l) });
  ({ result } = await exportRun(
    {
      to: dir,
      formats: ['parquet', 'csv', 'ndjson', 'raw'],
      inputFormat: 'auto',
      apiUrl: emulator.url,
      secretKey: emulator.secretKey,
      concurrency: 4,
      rateLimit: { requests: 1000, windowMs: 1000 },
      maxAttempts: 10,
      progress: false,
    },
    log,
    new AbortController().signal,
  ));
}, 120_000);

afterAll(async () => {
  await emulator?.close();
  rmSync(dir, { recursive: true, force: true });
});

function fileOf(table: string, format: string): string {
  const f = result.manifest.files.find((x) => x.table === table && x.format === format);
  if (!f) throw new Error(`no ${format} file for ${table}`);
  return path.join(dir, f.path);
}

const iso = (ms: unknown) => (typeof ms === 'number' ? new Date(ms).toISOString() : null);

describe('export from the emulator with injected 429s, 5xx, resets and truncated bodies', () => {
  it('saw the faults and retried through them', () => {
    const clerk = result.manifest.clerk!;
    expect(clerk.rate_limited_429).toBeGreaterThanOrEqual(1);
    expect(clerk.server_errors).toBeGreaterThanOrEqual(3);
    expect(clerk.retries).toBeGreaterThanOrEqual(6);
    expect(emulator.stats.injected.reset).toBeGreaterThanOrEqual(1);
    expect(emulator.stats.injected.truncate).toBeGreaterThanOrEqual(1);
    // For the closing note: how many faults the run met.
    console.log(`faults: ${JSON.stringify(emulator.stats.injected)}; client: ${JSON.stringify(clerk)}`);
  });

  it('counts reconcile: read = written + rejected, and every user was read once', () => {
    const c = result.manifest.counts;
    expect(c.read).toBe(USERS);
    expect(c.written).toBe(USERS);
    expect(c.rejected).toBe(0);
    expect(c.read).toBe(c.written + c.rejected);
    expect(c.expected).toBe(USERS);
    expect(c.rows.users).toBe(USERS);
    const sum = (k: string) => source.reduce((s, u) => s + ((u[k] as unknown[] | undefined)?.length ?? 0), 0);
    expect(c.rows.user_email_addresses).toBe(sum('email_addresses'));
    expect(c.rows.user_phone_numbers).toBe(sum('phone_numbers'));
    expect(c.rows.user_external_accounts).toBe(sum('external_accounts'));
    expect(c.rows.user_organization_memberships).toBe(sum('organization_memberships'));
  });

  it('manifest rows, bytes and sha256 match the files, and nothing is left in staging', () => {
    for (const f of result.manifest.files) {
      const buf = readFileSync(path.join(dir, f.path));
      expect(buf.length).toBe(f.bytes);
      expect(createHash('sha256').update(buf).digest('hex')).toBe(f.sha256);
    }
    const onDisk = JSON.parse(readFileSync(path.join(dir, result.manifestPath), 'utf8'));
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(result.manifest)));
    expect(readdirSync(dir)).not.toContain('_staging');
  });

  it('Parquet read back with hyparquet equals the source users, field by field', async () => {
    const users = await readParquet(fileOf('users', 'parquet'));
    const emails = await readParquet(fileOf('user_email_addresses', 'parquet'));
    const phones = await readParquet(fileOf('user_phone_numbers', 'parquet'));
    const accounts = await readParquet(fileOf('user_external_accounts', 'parquet'));
    const memberships = await readParquet(fileOf('user_organization_memberships', 'parquet'));
    expect(users).toHaveLength(USERS);
    const byId = new Map(users.map((u) => [u.id as string, u]));
    expect(byId.size).toBe(USERS);
    const group = (rows: Array<Record<string, unknown>>) => {
      const m = new Map<string, Array<Record<string, unknown>>>();
      for (const r of rows) m.set(r.user_id as string, [...(m.get(r.user_id as string) ?? []), r]);
      for (const list of m.values()) list.sort((a, b) => Number(a.position) - Number(b.position));
      return m;
    };
    const e = group(emails), p = group(phones), a = group(accounts), o = group(memberships);
    for (const s of source) {
      const u = byId.get(s.id)!;
      expect(u, s.id).toBeDefined();
      expect(u.first_name).toBe(s.first_name);
      expect(u.last_name).toBe(s.last_name);
      expect((u.created_at as Date).getTime()).toBe(s.created_at);
      expect((u.updated_at as Date).getTime()).toBe(s.updated_at);
      expect((u.last_sign_in_at as Date | null)?.getTime() ?? null).toBe(s.last_sign_in_at);
      expect(JSON.parse(u.public_metadata as string)).toEqual(s.public_metadata);
      expect(u.private_metadata === null ? null : JSON.parse(u.private_metadata as string)).toEqual(s.private_metadata);
      expect(u.banned).toBe(s.banned);
      const se = s.email_addresses as Array<Record<string, unknown>>;
      expect((e.get(s.id) ?? []).map((r) => [r.id, r.email_address, r.verification_status])).toEqual(
        se.map((x) => [x.id, x.email_address, (x.verification as Record<string, unknown> | null)?.status ?? null]),
      );
      const sp = s.phone_numbers as Array<Record<string, unknown>>;
      expect((p.get(s.id) ?? []).map((r) => r.phone_number)).toEqual(sp.map((x) => x.phone_number));
      const sa = s.external_accounts as Array<Record<string, unknown>>;
      expect((a.get(s.id) ?? []).map((r) => [r.provider, r.provider_user_id, JSON.parse(r.public_metadata as string)])).toEqual(
        sa.map((x) => [x.provider, x.provider_user_id, x.public_metadata]),
      );
      const so = (s.organization_memberships ?? []) as Array<Record<string, unknown>>;
      expect((o.get(s.id) ?? []).map((r) => [r.organization_id, r.role, JSON.parse(r.permissions as string)])).toEqual(
        so.map((x) => [(x.organization as Record<string, unknown>).id, x.role, x.permissions]),
      );
      const primary = se.find((x) => x.id === s.primary_email_address_id);
      expect(u.primary_email_address).toBe(primary ? primary.email_address : null);
    }
  });

  it('CSV read back with papaparse equals the source users', () => {
    const users = readCsv(fileOf('users', 'csv'));
    const emails = readCsv(fileOf('user_email_addresses', 'csv'));
    expect(users).toHaveLength(USERS);
    const byId = new Map(users.map((u) => [u.id!, u]));
    const emailsByUser = new Map<string, string[]>();
    for (const r of emails) emailsByUser.set(r.user_id!, [...(emailsByUser.get(r.user_id!) ?? []), r.email_address!]);
    for (const s of source) {
      const u = byId.get(s.id)!;
      // CSV has no null: null is an empty cell; formula-like text gets the OWASP leading '
      expect(u.first_name).toBe(escapeFormula((s.first_name as string | null) ?? ''));
      expect(u.last_name).toBe(escapeFormula((s.last_name as string | null) ?? ''));
      expect(u.created_at).toBe(iso(s.created_at));
      expect(u.last_active_at).toBe(iso(s.last_active_at) ?? '');
      expect(JSON.parse(u.public_metadata!)).toEqual(s.public_metadata);
      expect(JSON.parse(u.unsafe_metadata!)).toEqual(s.unsafe_metadata);
      expect(emailsByUser.get(s.id) ?? []).toEqual((s.email_addresses as Array<Record<string, unknown>>).map((x) => x.email_address));
    }
  });

  it('raw holds every user exactly as received', () => {
    const raw = readNdjson(fileOf('raw_users', 'raw'));
    expect(raw).toHaveLength(USERS);
    const byId = new Map(raw.map((u) => [u.id as string, u]));
    for (const s of source) expect(byId.get(s.id)).toEqual(s);
  });

  it('DuckDB reads the Parquet and CSV files with the right types and values', async () => {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    const pq = fileOf('users', 'parquet').replace(/'/g, "''");
    const types = await db.runAndReadAll(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('${pq}'))`);
    const typeOf = new Map(types.getRows().map(([n, t]) => [String(n), String(t)]));
    expect(typeOf.get('created_at')).toBe('TIMESTAMP WITH TIME ZONE');
    expect(typeOf.get('banned')).toBe('BOOLEAN');
    expect(typeOf.get('lockout_expires_in_seconds')).toBe('BIGINT');
    expect(typeOf.get('first_name')).toBe('VARCHAR');
    const pqRows = await db.runAndReadAll(`SELECT id, first_name, epoch_ms(created_at) FROM read_parquet('${pq}')`);
    const csv = fileOf('users', 'csv').replace(/'/g, "''");
    const csvRows = await db.runAndReadAll(`SELECT id, first_name, epoch_ms(created_at::TIMESTAMPTZ) FROM read_csv('${csv}', header = true, all_varchar = true, allow_quoted_nulls = false)`);
    const bySource = new Map(source.map((u) => [u.id, u]));
    for (const [kind, rows] of [['parquet', pqRows.getRows()], ['csv', csvRows.getRows()]] as const) {
      expect(rows).toHaveLength(USERS);
      for (const [id, first, created] of rows) {
        const s = bySource.get(String(id))!;
        expect(first).toBe(kind === 'csv' && typeof s.first_name === 'string' ? escapeFormula(s.first_name) : s.first_name);
        expect(Number(created)).toBe(s.created_at);
      }
    }
    db.closeSync();
  });

  it('never logged the secret key', () => {
    expect(logLines.length).toBeGreaterThan(0);
    for (const l of logLines) expect(l).not.toContain(emulator.secretKey);
  });
});
