import { exportRun } from '../helpers/export-run.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Papa from 'papaparse';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClerkUser } from '../../src/model/clerk-types.js';
import { executeImport } from '../../src/pipeline/import.js';
import { generateUsers } from '../../src/emulator/generate.js';
import type { RunningEmulator } from '../../src/emulator/server.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { CLERK_FIXTURES } from '../helpers/examples.js';
import { emulatorPerTest } from '../helpers/emulators.js';
import { importSettingsFor } from '../helpers/import-settings.js';
import { readNdjson } from '../helpers/read-back.js';

const BIN = path.resolve(__dirname, '../../bin/clerk-etl.js');
const BCRYPT = '$2b$10$U4C0ZY8OG8y41F9LusfKyu3HRMBL0rCZcKBVsXhgr.n8Ou6FPhzO2';
const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const emulator = emulatorPerTest();

const importSettings = importSettingsFor(8);

async function rawExport(em: RunningEmulator, to: string): Promise<ClerkUser[]> {
  const { result } = await exportRun(
    { to, formats: ['raw'], inputFormat: 'auto', apiUrl: em.url, secretKey: em.secretKey, concurrency: 2, rateLimit: { requests: 100_000, windowMs: 1000 }, progress: false },
    silentLogger,
    new AbortController().signal,
  );
  return readNdjson(path.join(to, result.manifest.files.find((f) => f.table === 'raw_users')!.path)) as ClerkUser[];
}

function idMap(report: string): Array<Record<string, string>> {
  return Papa.parse<Record<string, string>>(readFileSync(path.join(report, 'id-map.csv'), 'utf8'), { header: true, skipEmptyLines: true }).data;
}

const statuses = (items: unknown) => (items as Array<Record<string, unknown>>).map((x) => (x.verification as Record<string, unknown> | null)?.status === 'verified');

describe('import round trip: export one emulator → import into a second → export the second', () => {
  it('every user keeps identifiers, verification, names, metadata, created_at and settings; the id map links the ids', async () => {
    const a = await emulator({ users: 300, seed: 31 });
    const sourceUsers = await rawExport(a, path.join(dir, 'a'));
    const raw = path.join(dir, 'a-users.ndjson');
    writeFileSync(raw, sourceUsers.map((u) => JSON.stringify(u)).join('\n') + '\n');
    const b = await emulator({ users: 0 });
    const report = path.join(dir, 'rt-report');
    const summary = await executeImport(importSettings(b, raw, report), silentLogger, new AbortController().signal);
    // Clerk cannot create a user without any identifier (an OAuth- or SAML-only user): those fail, named.
    const hasIdentifier = (u: ClerkUser) =>
      [u.email_addresses, u.phone_numbers, u.web3_wallets].some((a) => (a as unknown[]).length > 0) || typeof u.username === 'string';
    const noIdentifier = sourceUsers.filter((u) => !hasIdentifier(u));
    const importable = sourceUsers.filter(hasIdentifier);
    expect(summary.counts.failed, JSON.stringify(summary.failures_by_code)).toBe(noIdentifier.length);
    const failures = readFileSync(path.join(report, 'failures.ndjson'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(failures.map((f) => [f.source_id, f.field])).toEqual(noIdentifier.map((u) => [u.id, 'email_address']));
    expect(summary.counts.created).toBe(importable.length);
    const imported = await rawExport(b, path.join(dir, 'b'));
    expect(imported).toHaveLength(importable.length);
    const map = new Map(idMap(report).map((r) => [r.source_id!, r]));
    const byId = new Map(imported.map((u) => [u.id, u]));
    for (const s of importable) {
      const m = map.get(s.id)!;
      expect(m.outcome).toBe('created');
      const t = byId.get(m.clerk_user_id!)!;
      expect(t, s.id).toBeDefined();
      expect(t.id).not.toBe(s.id);
      expect(t.external_id).toBe(s.external_id ?? s.id);
      const emails = (u: ClerkUser) => (u.email_addresses as Array<Record<string, unknown>>).map((e) => e.email_address);
      // primary first on the new user; the set and each verification are the same
      expect(new Set(emails(t))).toEqual(new Set(emails(s)));
      const sv = new Map((s.email_addresses as Array<Record<string, unknown>>).map((e, i) => [e.email_address, statuses(s.email_addresses)[i]]));
      (t.email_addresses as Array<Record<string, unknown>>).forEach((e, i) => expect(statuses(t.email_addresses)[i], `${s.id} ${String(e.email_address)}`).toBe(sv.get(e.email_address)));
      const primary = (u: ClerkUser, arr: string, idKey: string, valueKey: string) =>
        (u[arr] as Array<Record<string, unknown>>).find((x) => x.id === u[idKey])?.[valueKey] ?? null;
      expect(primary(t, 'email_addresses', 'primary_email_address_id', 'email_address')).toBe(primary(s, 'email_addresses', 'primary_email_address_id', 'email_address'));
      expect(primary(t, 'phone_numbers', 'primary_phone_number_id', 'phone_number')).toBe(primary(s, 'phone_numbers', 'primary_phone_number_id', 'phone_number'));
      expect(new Set((t.phone_numbers as Array<Record<string, unknown>>).map((p) => p.phone_number))).toEqual(new Set((s.phone_numbers as Array<Record<string, unknown>>).map((p) => p.phone_number)));
      expect((t.web3_wallets as Array<Record<string, unknown>>).map((w) => w.web3_wallet).sort()).toEqual((s.web3_wallets as Array<Record<string, unknown>>).map((w) => w.web3_wallet).sort());
      for (const k of ['username', 'first_name', 'last_name', 'locale', 'created_at', 'legal_accepted_at', 'banned', 'locked', 'delete_self_enabled', 'create_organization_enabled', 'create_organizations_limit']) {
        expect(t[k] ?? null, `${s.id}.${k}`).toEqual(s[k] ?? null);
      }
      expect(t.public_metadata).toEqual(s.public_metadata);
      expect(t.unsafe_metadata ?? {}).toEqual(s.unsafe_metadata ?? {});
      expect(t.private_metadata ?? {}).toEqual(s.private_metadata ?? {});
    }
  }, 60_000);
});

describe('import from the dashboard CSV', () => {
  it('keeps password digests, hashers and TOTP secrets; bad rows fail with the field named and the rest import', async () => {
    const sample = readFileSync(path.join(CLERK_FIXTURES, 'dashboard-export-sample.csv'), 'utf8');
    const extra = [
      `user_totp,Tina,Totp,tina,tina@test.com,,tina@test.com,,,,JBSWY3DPEHPK3PXP,${BCRYPT},bcrypt`,
      'user_argon,Ari,Gon,ari,ari@test.com,,ari@test.com,,,,,"$argon2id$v=19$m=16,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",argon2id',
      'user_noident,No,Ident,,,,,,,,,,',
      `user_badhasher,Bad,Hasher,badh,badh@test.com,,badh@test.com,,,,,${BCRYPT},hmac_sha256_utf16_b64`,
      'user_bademail,Bad,Email,bade,not-an-email,,not-an-email,,,,,,',
    ];
    const csv = path.join(dir, 'dashboard.csv');
    writeFileSync(csv, sample.trimEnd() + '\n' + extra.join('\n') + '\n');
    const b = await emulator({ users: 0 });
    const report = path.join(dir, 'csv-report');
    const summary = await executeImport(importSettings(b, csv, report), silentLogger, new AbortController().signal);
    const sampleRows = sample.split('\n').filter((l) => l.startsWith('user_')).length;
    expect(summary.counts.read).toBe(sampleRows + extra.length);
    expect(summary.counts.failed).toBe(3);
    expect(summary.counts.created).toBe(sampleRows + 2);
    const failures = readFileSync(path.join(report, 'failures.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(failures.map((f) => [f.source_id, f.field, f.code])).toEqual([
      ['user_noident', 'email_address', 'RECORD_INVALID'],
      ['user_badhasher', 'password_hasher', 'RECORD_INVALID'],
      ['user_bademail', 'email_address[0]', 'RECORD_INVALID'],
    ]);
    for (const f of failures) expect(String(f.where)).toMatch(/^row \d+$/);
    const map = new Map(idMap(report).map((r) => [r.source_id!, r.clerk_user_id!]));
    const tina = b.store.secretsOf(map.get('user_totp')!)!;
    expect(tina).toMatchObject({ password_digest: BCRYPT, password_hasher: 'bcrypt', totp_secret: 'JBSWY3DPEHPK3PXP' });
    expect(b.store.secretsOf(map.get('user_argon')!)).toMatchObject({ password_hasher: 'argon2id' });
    // every sample user with a digest kept it
    const withDigest = sample.split('\n').filter((l) => l.startsWith('user_') && l.includes('$2b$'));
    expect(withDigest.length).toBeGreaterThan(10);
    for (const line of withDigest) expect(b.store.secretsOf(map.get(line.split(',')[0]!)!)).toMatchObject({ password_digest: BCRYPT, password_hasher: 'bcrypt' });
  });
});

describe('never a duplicate', () => {
  /** n generated users that have an identifier (Clerk cannot create one without). */
  function usersFile(name: string, n: number, seed: number): { file: string; users: ClerkUser[] } {
    const users = generateUsers(n * 2, { seed })
      .filter((u) => [u.email_addresses, u.phone_numbers, u.web3_wallets].some((a) => (a as unknown[]).length > 0) || typeof u.username === 'string')
      .slice(0, n);
    const file = path.join(dir, name);
    writeFileSync(file, users.map((u) => JSON.stringify(u)).join('\n') + '\n');
    return { file, users };
  }

  it('a 5xx or reset after Clerk created the user: looked up by external_id, not sent again', async () => {
    const { file } = usersFile('ambiguous.ndjson', 40, 41);
    const b = await emulator({ users: 0 });
    b.injectNext('500-after-create', 'reset-after-create');
    const summary = await executeImport(importSettings(b, file, path.join(dir, 'amb-report'), { concurrency: 1 }), silentLogger, new AbortController().signal);
    expect(summary.counts.created).toBe(40);
    expect(summary.counts.recovered).toBe(2);
    expect(b.store.size).toBe(40);
    expect(b.stats.creates).toBe(40);
  });

  it('dry run sends no writes', async () => {
    const { file } = usersFile('dry.ndjson', 30, 42);
    const b = await emulator({ users: 0 });
    const summary = await executeImport(importSettings(b, file, path.join(dir, 'dry-report'), { dryRun: true, secretKey: undefined }), silentLogger, new AbortController().signal);
    expect(summary.counts.would_create).toBe(30);
    expect(b.stats.writes).toBe(0);
    expect(b.stats.requests).toBe(0);
  });

  for (const killAt of [5, 50, 100]) it(`a run killed with SIGKILL after ${killAt} creates, then re-run: every user created exactly once; a third run creates nothing`, async () => {
    const { file, users } = usersFile(`kill-${killAt}.ndjson`, 120, 43);
    const b = await emulator({ users: 0, latencyMs: 20 });
    const report = path.join(dir, `kill-report-${killAt}`);
    const run = () =>
      spawn(process.execPath, [BIN, 'import', '--from', file, '--report', report, '--concurrency', '4', '--rate-limit', '100000/1s', '--log-format', 'json'], {
        env: { PATH: process.env.PATH!, CLERK_SECRET_KEY: b.secretKey, CLERK_API_URL: b.url },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    const first = run();
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (b.stats.creates >= killAt) {
          clearInterval(t);
          first.kill('SIGKILL');
          resolve();
        }
      }, 2);
    });
    await new Promise((r) => first.on('close', r));
    const createdBeforeKill = b.stats.creates;
    expect(createdBeforeKill).toBeGreaterThanOrEqual(killAt);
    expect(createdBeforeKill).toBeLessThan(120);
    const second = run();
    let out = '';
    second.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => second.on('close', r));
    expect(code, out + readFileSync(path.join(report, 'failures.ndjson'), 'utf8').slice(0, 2000)).toBe(0);
    expect(b.store.size).toBe(120);
    const ext = b.store.all().map((u) => u.external_id);
    expect(new Set(ext).size).toBe(120);
    expect(new Set(ext)).toEqual(new Set(users.map((u) => u.external_id ?? u.id)));
    const map = idMap(report);
    expect(map).toHaveLength(120);
    expect(new Set(map.map((r) => r.clerk_user_id)).size).toBe(120);
    // a third run: nothing to do
    const third = run();
    let out3 = '';
    third.stdout!.on('data', (d: Buffer) => (out3 += d.toString()));
    expect(await new Promise<number | null>((r) => third.on('close', r))).toBe(0);
    expect(out3).toContain('0 created');
    expect(out3).toContain('120 done by an earlier run');
    expect(b.store.size).toBe(120);
  }, 60_000);

  it('--on-conflict: skip records the existing user; update patches it; fail stops the run', async () => {
    const { file, users } = usersFile('conflict.ndjson', 5, 44);
    const b = await emulator({ users: 0 });
    await executeImport(importSettings(b, file, path.join(dir, 'c1')), silentLogger, new AbortController().signal);
    // A second import of the same users from a fresh report folder: the identifiers exist.
    const changed = users.map((u) => ({ ...u, first_name: 'Changed', public_metadata: { v: 2 } }));
    const file2 = path.join(dir, 'conflict2.ndjson');
    writeFileSync(file2, changed.map((u) => JSON.stringify(u)).join('\n') + '\n');
    const skip = await executeImport(importSettings(b, file2, path.join(dir, 'c2')), silentLogger, new AbortController().signal);
    expect(skip.counts).toMatchObject({ created: 0, exists: 5, failed: 0 });
    expect(idMap(path.join(dir, 'c2')).every((r) => r.outcome === 'exists' && r.clerk_user_id!.startsWith('user_'))).toBe(true);
    const upd = await executeImport(importSettings(b, file2, path.join(dir, 'c3'), { onConflict: 'update' }), silentLogger, new AbortController().signal);
    expect(upd.counts).toMatchObject({ created: 0, updated: 5, failed: 0 });
    for (const u of b.store.all()) {
      expect(u.first_name).toBe('Changed');
      expect(u.public_metadata).toEqual({ v: 2 });
    }
    const err = await executeImport(importSettings(b, file2, path.join(dir, 'c4'), { onConflict: 'fail', concurrency: 1 }), silentLogger, new AbortController().signal).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('IMPORT_CONFLICT');
    expect((err as Error).message).toMatch(/already exists in Clerk and --on-conflict is fail/);
    expect(b.store.size).toBe(5);
  });

  it('with the dev rate limit on, no user fails because of a 429 and the key is never logged', async () => {
    const { file } = usersFile('limited.ndjson', 60, 45);
    const b = await emulator({ users: 0, rateLimit: { requests: 30, windowMs: 1000 } });
    const lines: string[] = [];
    const summary = await executeImport(
      importSettings(b, file, path.join(dir, 'rl-report'), { rateLimit: { requests: 30, windowMs: 1000 }, concurrency: 16 }),
      createLogger({ format: 'json', level: 'debug', write: (l) => lines.push(l) }),
      new AbortController().signal,
    );
    expect(summary.counts.created).toBe(60);
    expect(summary.counts.failed).toBe(0);
    expect(b.store.size).toBe(60);
    expect(lines.join('\n')).not.toContain(b.secretKey);
  }, 30_000);
});
