import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/server.js';
import { silentLogger } from '../../src/log.js';
import { executeExport, type ExportSettings } from '../../src/pipeline/export.js';
import { PostgresMirror } from '../../src/load/postgres-mirror.js';
import { emulatorPerTest } from '../helpers/emulators.js';
import { exportRun, published } from '../helpers/export-run.js';
import { startPostgres, type RunningPostgres } from '../helpers/postgres.js';
import { runCli, startCli } from '../helpers/cli.js';
import { startS3Server } from '../helpers/s3-server.js';
import { executeLoad } from '../../src/pipeline/load.js';
import { generateUsers } from '../../src/emulator/generate.js';
import { api } from '../helpers/emulator-api.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-pgtest-'));
let pgServer: RunningPostgres;
beforeAll(async () => {
  pgServer = await startPostgres();
}, 60_000);
afterAll(async () => {
  await pgServer?.close();
  rmSync(dir, { recursive: true, force: true });
});
const emulator = emulatorPerTest();

function settings(em: RunningEmulator, to: string, name: string, extra: Partial<ExportSettings> = {}): ExportSettings {
  return {
    to,
    formats: ['parquet'],
    inputFormat: 'auto',
    apiUrl: em.url,
    secretKey: em.secretKey,
    concurrency: 2,
    rateLimit: { requests: 100_000, windowMs: 1000 },
    progress: false,
    state: path.join(dir, name, 'state.json'),
    ...extra,
  };
}


/** The mirror's live users, emails and organizations, next to the emulator's. */
async function compare(db: string, em: RunningEmulator): Promise<void> {
  const users = await pgServer.query<{ id: string; first_name: string | null; updated_at: Date }>(db, 'SELECT id, first_name, updated_at FROM clerk.users WHERE _deleted_at IS NULL ORDER BY id');
  const expected = em.store.all().map((u) => ({ id: u.id, first_name: u.first_name ?? null, updated_at: new Date(u.updated_at) })).sort((a, b) => (a.id < b.id ? -1 : 1));
  expect(users).toEqual(expected);
  const emails = await pgServer.query<{ user_id: string; email_address: string }>(db, 'SELECT e.user_id, e.email_address FROM clerk.user_email_addresses e JOIN clerk.users u ON u.id = e.user_id WHERE u._deleted_at IS NULL ORDER BY 1, 2');
  const expectedEmails = em.store.all().flatMap((u) => (u.email_addresses as Array<{ email_address: string }>).map((e) => ({ user_id: u.id, email_address: e.email_address })));
  expect(emails).toEqual(expectedEmails.sort((a, b) => (a.user_id === b.user_id ? (a.email_address < b.email_address ? -1 : 1) : a.user_id < b.user_id ? -1 : 1)));
  const orgs = await pgServer.query<{ id: string; name: string }>(db, 'SELECT id, name FROM clerk.organizations WHERE _deleted_at IS NULL ORDER BY id');
  expect(orgs).toEqual(em.orgs.organizations().map((o) => ({ id: o.id, name: o.name })).sort((a, b) => (a.id < b.id ? -1 : 1)));
}

describe('export --to postgres://', () => {
  it('full, then 10 users updated + 5 deleted + 7 created and organizations changed, incremental, then full: after each run the mirror equals the emulator', async () => {
    const em = await emulator({ users: 150, organizations: 12, seed: 91 });
    const db = await pgServer.newDatabase('scenario');
    const s = settings(em, `${db}?schema=clerk`, 'scenario', { resources: ['all'], mode: 'incremental', detectDeletions: true });
    const first = published(await executeExport(s, silentLogger, new AbortController().signal));
    expect(first.postgres?.status).toBe('applied');
    await compare(db, em);

    const all = em.store.all();
    for (const u of all.slice(10, 20)) await api(em, 'PATCH', `/v1/users/${u.id}`, { first_name: 'Changed' });
    const deleted = all.slice(30, 35).map((u) => u.id);
    for (const id of deleted) await api(em, 'DELETE', `/v1/users/${id}`);
    for (let i = 0; i < 7; i++) await api(em, 'POST', '/v1/users', { email_address: [`pg-new-${i}@example.com`], first_name: `New ${i}`, skip_password_requirement: true });
    const orgs = em.orgs.organizations();
    for (const o of orgs.slice(0, 3)) await api(em, 'PATCH', `/v1/organizations/${o.id}`, { name: `Renamed ${o.id}` });
    await api(em, 'DELETE', `/v1/organizations/${orgs[5]!.id}`);
    await api(em, 'POST', '/v1/organizations', { name: 'Brand new' });
    await new Promise((r) => setTimeout(r, 5));

    const second = published(await executeExport(s, silentLogger, new AbortController().signal));
    expect(second.mode).toBe('incremental');
    expect(second.result.manifest.counts.written).toBe(17);
    await compare(db, em);
    const marked = await pgServer.query<{ id: string }>(db, 'SELECT id FROM clerk.users WHERE _deleted_at IS NOT NULL ORDER BY id');
    expect(marked.map((r) => r.id)).toEqual([...deleted].sort());

    const third = published(await executeExport({ ...s, mode: 'full' }, silentLogger, new AbortController().signal));
    expect(third.postgres?.status).toBe('applied');
    await compare(db, em);
    const runs = await pgServer.query<{ run_id: string; mode: string }>(db, 'SELECT run_id, mode FROM clerk.clerk_etl_runs ORDER BY run_id');
    expect(runs.map((r) => r.mode)).toEqual(['full', 'incremental', 'full']);
  }, 60_000);

  it('--on-delete delete removes a deleted user with its child rows; the same run applied twice changes nothing', async () => {
    const em = await emulator({ users: 40, seed: 92 });
    const db = await pgServer.newDatabase('deletes');
    const to = `${db}?schema=clerk`;
    await exportRun(settings(em, to, 'deletes', { onDelete: 'delete' }), silentLogger, new AbortController().signal);
    const gone = em.store.all()[3]!.id;
    await api(em, 'DELETE', `/v1/users/${gone}`);
    await exportRun(settings(em, to, 'deletes', { onDelete: 'delete' }), silentLogger, new AbortController().signal);
    expect(await pgServer.query(db, 'SELECT id FROM clerk.users WHERE id = $1', [gone])).toEqual([]);
    expect(await pgServer.query(db, 'SELECT user_id FROM clerk.user_email_addresses WHERE user_id = $1', [gone])).toEqual([]);
    await compare(db, em);

    // A run exported to files with CSV, applied twice: the second is skipped and nothing moves.
    const out = path.join(dir, 'deletes-files');
    const run = await exportRun({ ...settings(em, out, 'deletes-files'), state: undefined, formats: ['csv'] }, silentLogger, new AbortController().signal);
    const mirror = new PostgresMirror(to, silentLogger);
    const before = await pgServer.query(db, 'SELECT md5(string_agg(u::text, \'|\' ORDER BY id)) AS h FROM clerk.users u');
    const a = await mirror.apply({ manifest: run.result.manifest, pathOf: (p) => path.join(out, p) }, 'delete');
    expect(a.status).toBe('applied');
    const mid = await pgServer.query(db, 'SELECT md5(string_agg(u::text, \'|\' ORDER BY id)) AS h FROM clerk.users u');
    const b = await mirror.apply({ manifest: run.result.manifest, pathOf: (p) => path.join(out, p) }, 'delete');
    expect(b.status).toBe('skipped');
    expect(await pgServer.query(db, 'SELECT md5(string_agg(u::text, \'|\' ORDER BY id)) AS h FROM clerk.users u')).toEqual(mid);
    expect(before).not.toEqual(undefined);
  }, 60_000);

  it('load --from <export folder> applies its five runs in order (CSV with formula escaping undone), equal to Clerk; loading again applies nothing', async () => {
    const em = await emulator({ users: 80, organizations: 6, seed: 94 });
    const out = path.join(dir, 'load-files');
    const s = settings(em, out, 'load-files', { formats: ['csv', 'parquet'], resources: ['all'], mode: 'incremental', detectDeletions: true });
    const change = async (round: number): Promise<void> => {
      const users = em.store.all();
      await api(em, 'PATCH', `/v1/users/${users[round]!.id}`, { first_name: round % 2 ? '=SUM(A1:A9)' : '-minus' });
      await api(em, 'DELETE', `/v1/users/${users[round + 10]!.id}`);
      await api(em, 'POST', '/v1/users', { email_address: [`load-${round}@example.com`], first_name: `+plus ${round}`, skip_password_requirement: true });
      await api(em, 'PATCH', `/v1/organizations/${em.orgs.organizations()[round]!.id}`, { name: `@org ${round}` });
      await new Promise((r) => setTimeout(r, 5));
    };
    await exportRun(s, silentLogger, new AbortController().signal);
    for (let round = 1; round <= 3; round++) {
      await change(round);
      await exportRun(s, silentLogger, new AbortController().signal);
    }
    await change(4);
    await exportRun({ ...s, mode: 'full' }, silentLogger, new AbortController().signal);
    const db = await pgServer.newDatabase('loaded');
    const first = await runCli(['load', '--from', out, '--to', `${db}?schema=clerk`, '--log-format', 'json']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/Load finished: 5 run\(s\) applied .*, 0 already in the database/);
    await compare(db, em);
    // Names a spreadsheet would run (the CSV has them as '=…, '-…, '+…): back as they are in Clerk.
    const formulas = (await pgServer.query<{ first_name: string }>(db, "SELECT first_name FROM clerk.users WHERE _deleted_at IS NULL AND first_name ~ '^[=+@-]' ORDER BY 1")).map((r) => r.first_name);
    expect(formulas).toEqual(expect.arrayContaining(['=SUM(A1:A9)', '-minus', '+plus 4']));
    expect(formulas).toEqual(em.store.all().map((u) => u.first_name).filter((n): n is string => typeof n === 'string' && /^[=+@-]/.test(n)).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
    const again = await runCli(['load', '--from', out, '--to', `${db}?schema=clerk`, '--log-format', 'json']);
    expect(again.stdout).toContain('Load finished: 0 run(s) applied, 5 already in the database.');
  }, 90_000);

  it('load --from s3://bucket/prefix downloads each run and applies it: the same mirror as from a folder', async () => {
    const s3 = await startS3Server();
    try {
      await s3.createBucket('warehouse');
      const em = await emulator({ users: 60, organizations: 5, seed: 97 });
      const s = settings(em, 's3://warehouse/clerk', 'load-s3', { formats: ['csv'], resources: ['all'], s3: s3.options, mode: 'incremental', detectDeletions: true });
      await exportRun(s, silentLogger, new AbortController().signal);
      await api(em, 'PATCH', `/v1/users/${em.store.all()[2]!.id}`, { first_name: 'From S3' });
      await api(em, 'DELETE', `/v1/users/${em.store.all()[7]!.id}`);
      await new Promise((r) => setTimeout(r, 5));
      await exportRun(s, silentLogger, new AbortController().signal);
      const db = await pgServer.newDatabase('loaded_s3');
      const out = await executeLoad({ from: 's3://warehouse/clerk', to: `${db}?schema=clerk`, s3: s3.options }, silentLogger, new AbortController().signal);
      expect(out.applied).toHaveLength(2);
      await compare(db, em);
      expect(readdirSync(os.tmpdir()).filter((n) => n.startsWith(`clerk-etl-load-${process.pid}-`))).toEqual([]);
    } finally {
      await s3.stop();
    }
  }, 90_000);

  it('a field Clerk adds becomes a jsonb column holding its values (evolve); under freeze the run is refused naming it and the database is left as it was', async () => {
    const em = await emulator({ users: 30, seed: 95 });
    const db = await pgServer.newDatabase('drift');
    const to = `${db}?schema=clerk`;
    await exportRun(settings(em, to, 'drift'), silentLogger, new AbortController().signal);
    const users = em.store.all();
    for (const [i, u] of users.slice(0, 4).entries()) em.store.replace({ ...u, birthday: `199${i}-01-0${i + 1}`, updated_at: u.updated_at + 1 } as typeof u);
    const frozen = await executeExport(settings(em, to, 'drift', { schemaContract: 'freeze' }), silentLogger, new AbortController().signal).catch((e: Error) => e);
    expect(frozen).toBeInstanceOf(Error);
    expect((frozen as Error).message).toMatch(/fields the schema does not know \(birthday\) and --schema-contract is freeze/);
    expect(await pgServer.query(db, "SELECT 1 FROM information_schema.columns WHERE table_schema = 'clerk' AND table_name = 'users' AND column_name = 'birthday'")).toEqual([]);
    expect(await pgServer.query(db, 'SELECT count(*)::int AS n FROM clerk.clerk_etl_runs')).toEqual([{ n: 1 }]);

    const evolved = published(await executeExport(settings(em, to, 'drift'), silentLogger, new AbortController().signal));
    expect(evolved.postgres?.added_columns).toEqual(['users.birthday']);
    const rows = await pgServer.query<{ id: string; birthday: unknown }>(db, 'SELECT id, birthday FROM clerk.users WHERE birthday IS NOT NULL ORDER BY id');
    expect(rows).toEqual(users.slice(0, 4).map((u, i) => ({ id: u.id, birthday: `199${i}-01-0${i + 1}` })).sort((a, b) => (a.id < b.id ? -1 : 1)));
  }, 60_000);

  it('kill -9 while a 50,000-user run is being applied: the database is unchanged; the re-run applies it once', async () => {
    const file = path.join(dir, 'users-50k.ndjson');
    writeFileSync(file, generateUsers(50_000, { seed: 96 }).map((u) => JSON.stringify(u)).join('\n') + '\n');
    const db = await pgServer.newDatabase('killed');
    const to = `${db}?schema=clerk`;
    const args = ['export', '--from', file, '--to', to, '--log-format', 'json', '--no-progress'];
    const first = startCli(args);
    // Killed once the run's rows are streaming into the database (a COPY of this tool is running).
    for (let copying = false; !copying; ) {
      await new Promise((r) => setTimeout(r, 20));
      const busy = await pgServer.query(db, "SELECT 1 FROM pg_stat_activity WHERE application_name = 'clerk-etl' AND query LIKE 'COPY %'");
      copying = busy.length > 0;
      if (!copying && (await Promise.race([first.code.then(() => true), new Promise((r) => setTimeout(() => r(false), 0))]))) throw new Error(`the run ended before it was killed: ${first.stderr()}`);
    }
    first.kill('SIGKILL');
    await first.code;
    // The transaction never committed: no run recorded, no user (the tables may exist: created in the same transaction, rolled back too).
    await new Promise((r) => setTimeout(r, 200));
    expect(await pgServer.query(db, "SELECT to_regclass('clerk.clerk_etl_runs') AS t")).toEqual([{ t: null }]);
    const left = () => readdirSync(os.tmpdir()).filter((n) => n.startsWith(`clerk-etl-pg-${first.pid}-`));
    expect(left()).toHaveLength(1); // the killed run's staged CSV: it could not remove it
    const second = await runCli(args, { limitMs: 120_000 });
    expect(left()).toEqual([]); // the next run did
    expect(second.code, second.stderr).toBe(0);
    expect(await pgServer.query(db, 'SELECT count(*)::int AS n, count(DISTINCT _run_id)::int AS runs FROM clerk.users')).toEqual([{ n: 50_000, runs: 1 }]);
    expect(await pgServer.query(db, 'SELECT count(*)::int AS n FROM clerk.clerk_etl_runs')).toEqual([{ n: 1 }]);
  }, 180_000);

  it('--drop-table users with a mirror is refused before anything is read', async () => {
    const em = await emulator({ users: 5, seed: 98 });
    const err = await executeExport(settings(em, 'postgres://etl@127.0.0.1:1/x', 'drop-users', { pii: { dropTables: ['users'] } }), silentLogger, new AbortController().signal).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/--drop-table users cannot be used with --to postgres:/);
    expect(em.stats.requests).toBe(0);
  });

  it('a database that cannot be reached: the run fails naming it, the password never shown, the state untouched', async () => {
    const em = await emulator({ users: 10, seed: 93 });
    const s = settings(em, 'postgres://etl:Sup3rSecretPw9@127.0.0.1:1/nowhere', 'unreachable');
    const err = await executeExport(s, silentLogger, new AbortController().signal).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/Cannot connect to PostgreSQL at postgres:\/\/etl:\[REDACTED\]@127\.0\.0\.1:1/);
    expect((err as Error).message).not.toContain('Sup3rSecretPw9');
    expect(existsSync(s.state!)).toBe(false);
  });
});
