import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Papa from 'papaparse';
import { afterAll, describe, expect, it } from 'vitest';
import { ClerkClient } from '../../src/clerk/client.js';
import type { ClerkUser } from '../../src/model/clerk-types.js';
import { executeImport, type ImportSettings } from '../../src/pipeline/import.js';
import { generateUsers } from '../../src/emulator/generate.js';
import type { RunningEmulator } from '../../src/emulator/server.js';
import { FileSource } from '../../src/extract/file-source.js';
import { runImport } from '../../src/pipeline/import-run.js';
import { silentLogger } from '../../src/log.js';
import { runCli } from '../helpers/cli.js';
import { emulatorPerTest } from '../helpers/emulators.js';
import { importSettingsFor } from '../helpers/import-settings.js';

const BCRYPT = '$2b$10$U4C0ZY8OG8y41F9LusfKyu3HRMBL0rCZcKBVsXhgr.n8Ou6FPhzO2';
const BCRYPT2 = '$2b$10$abcdefghijklmnopqrstuu9Z0yhCxk2y1XTbXWHeYtg7OjUaUX7OS';
const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-import-identity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const emulator = emulatorPerTest();

const settings = importSettingsFor(1);

const run = (s: ImportSettings) => executeImport(s, silentLogger, new AbortController().signal);

function idMap(report: string, prefix = ''): Array<Record<string, string>> {
  return Papa.parse<Record<string, string>>(readFileSync(path.join(report, `${prefix}id-map.csv`), 'utf8'), { header: true, skipEmptyLines: true }).data;
}

function failures(report: string, prefix = ''): Array<Record<string, unknown>> {
  return readFileSync(path.join(report, `${prefix}failures.ndjson`), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

function journal(report: string): Array<Record<string, unknown>> {
  const file = path.join(report, 'journal.ndjson');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : [];
}

/** A Clerk User of a source instance. */
function person(id: string, o: { ext?: string | null; email?: string; phone?: string; username?: string; first?: string; role?: string }): Record<string, unknown> {
  return {
    id,
    external_id: o.ext ?? null,
    first_name: o.first ?? id,
    last_name: 'Test',
    username: o.username ?? null,
    email_addresses: o.email ? [{ id: `idn_e_${id}`, email_address: o.email, verification: { status: 'verified' } }] : [],
    primary_email_address_id: o.email ? `idn_e_${id}` : null,
    phone_numbers: o.phone ? [{ id: `idn_p_${id}`, phone_number: o.phone, verification: { status: 'verified' } }] : [],
    primary_phone_number_id: o.phone ? `idn_p_${id}` : null,
    web3_wallets: [],
    private_metadata: o.role ? { role: o.role } : {},
  };
}

function ndjson(name: string, users: Array<Record<string, unknown>>): string {
  const file = path.join(dir, name);
  writeFileSync(file, users.map((u) => JSON.stringify(u)).join('\n') + '\n');
  return file;
}

const emailsOf = (u: ClerkUser) => (u.email_addresses as Array<{ email_address: string }>).map((e) => e.email_address);

describe('records that share an identifier (issue 12, item 1)', () => {
  // Each pair: two different people (ids, names) who share one identifier, compared as Clerk does.
  const input = [
    person('user_alice', { ext: 'emp-42', email: 'alice@corp.test', first: 'Alice', role: 'admin' }),
    person('user_mallory', { ext: 'emp-42', email: 'mallory@evil.test', first: 'Mallory', role: 'attacker' }),
    person('user_carol', { email: 'Carol@Corp.test' }),
    person('user_dave', { email: 'carol@corp.TEST' }), // same email, other case
    person('user_erin', { phone: '+14155550101' }),
    person('user_frank', { phone: '+14155550101', email: 'frank@corp.test' }),
    person('user_gina', { username: 'Gina' }),
    person('user_hank', { username: 'gina', email: 'hank@corp.test' }),
    person('user_ivy', { email: 'ivy@corp.test' }),
  ];
  const later = { user_mallory: ['external_id', 'line 1', 'user_alice'], user_dave: ['email_address', 'line 3', 'user_carol'], user_frank: ['phone_number', 'line 5', 'user_erin'], user_hank: ['username', 'line 7', 'user_gina'] };

  function expectNamed(report: string, prefix = ''): void {
    const f = failures(report, prefix);
    expect(f.map((x) => [x.source_id, x.field, x.code]).sort()).toEqual(Object.entries(later).map(([id, [field]]) => [id, field, 'DUPLICATE_IDENTIFIER']).sort());
    for (const x of f) {
      const [, where, firstId] = later[x.source_id as keyof typeof later];
      expect(String(x.message), String(x.source_id)).toContain(`also on ${where} (source id ${firstId})`);
      expect(String(x.where)).toMatch(/^line \d+$/);
    }
  }

  it('a dry run names every later record with both locations, without a request', async () => {
    const file = ndjson('shared.ndjson', input);
    const em = await emulator({ users: 0 });
    const report = path.join(dir, 'shared-dry');
    const s = await run(settings(em, file, report, { dryRun: true, secretKey: undefined }));
    expect(s.counts).toMatchObject({ read: 9, would_create: 5, failed: 4 });
    expectNamed(report, 'dry-run-');
    expect(em.stats.requests).toBe(0);
  });

  for (const onConflict of ['skip', 'update'] as const) it(`--on-conflict ${onConflict}: the later ones fail (exit 3), the earlier ones are created; nobody is merged or overwritten`, async () => {
    const file = ndjson(`shared-${onConflict}.ndjson`, input);
    const em = await emulator({ users: 0 });
    const report = path.join(dir, `shared-${onConflict}`);
    const { code, stdout: out } = await runCli(['import', '--from', file, '--report', report, '--on-conflict', onConflict, '--concurrency', '1', '--rate-limit', '100000/1s', '--no-progress', '--log-format', 'json'], {
      env: { CLERK_SECRET_KEY: em.secretKey, CLERK_API_URL: em.url },
    });
    expect(code, out).toBe(3);
    expect(out).toContain('5 created');
    expect(out).toContain('4 failed');
    expectNamed(report);
    // only the five earlier records were sent
    expect(em.stats.creates).toBe(5);
    expect(em.stats.updates).toBe(0);
    const alice = em.store.all().find((u) => u.external_id === 'emp-42')!;
    expect(alice.first_name).toBe('Alice');
    expect(alice.private_metadata).toEqual({ role: 'admin' });
    expect(emailsOf(alice)).toEqual(['alice@corp.test']);
    const map = new Map(idMap(report).map((r) => [r.source_id, r]));
    for (const id of Object.keys(later)) expect(map.get(id), id).toMatchObject({ outcome: 'failed', clerk_user_id: '' });
    expect(new Set([...map.values()].map((r) => r.clerk_user_id).filter(Boolean)).size).toBe(5);
  });
});

describe('a conflict lookup accepts only the same source record (issue 12, item 1)', () => {
  it('another person with the same external_id, imported earlier: skip does not map onto it, update does not overwrite it', async () => {
    const em = await emulator({ users: 0 });
    await run(settings(em, ndjson('alice.ndjson', [person('user_alice', { ext: 'emp-42', email: 'alice@corp.test', first: 'Alice', role: 'admin' })]), path.join(dir, 'x1')));
    const aliceId = em.store.all()[0]!.id;
    const mallory = ndjson('mallory.ndjson', [person('user_mallory', { ext: 'emp-42', email: 'mallory@evil.test', first: 'Mallory', role: 'attacker' })]);
    for (const onConflict of ['skip', 'update'] as const) {
      const report = path.join(dir, `x-${onConflict}`);
      const s = await run(settings(em, mallory, report, { onConflict }));
      expect(s.counts, onConflict).toMatchObject({ created: 0, exists: 0, updated: 0, failed: 1 });
      const [f] = failures(report);
      expect(f).toMatchObject({ source_id: 'user_mallory', field: 'external_id', code: 'form_identifier_exists' });
      expect(String(f!.message)).toContain(`already belongs to another Clerk user (${aliceId}, external_id "emp-42"), not this record: it does not hold this record's email_address`);
      expect(idMap(report)).toEqual([{ source_id: 'user_mallory', clerk_user_id: '', outcome: 'failed', not_imported: '' }]);
    }
    const alice = em.store.all();
    expect(alice).toHaveLength(1);
    expect(alice[0]).toMatchObject({ id: aliceId, first_name: 'Alice', private_metadata: { role: 'admin' } });
    // the same record again is still recognised: exists, mapped to its user
    const again = await run(settings(em, path.join(dir, 'alice.ndjson'), path.join(dir, 'x-again')));
    expect(again.counts).toMatchObject({ exists: 1, failed: 0 });
    expect(idMap(path.join(dir, 'x-again'))[0]).toMatchObject({ source_id: 'user_alice', clerk_user_id: aliceId, outcome: 'exists' });
  });

  it('dashboard CSVs of two instances with the same user id: update never replaces the first person\'s password digest or TOTP', async () => {
    const em = await emulator({ users: 0 });
    const header = 'id,first_name,last_name,username,primary_email_address,primary_phone_number,verified_email_addresses,unverified_email_addresses,verified_phone_numbers,unverified_phone_numbers,totp_secret,password_digest,password_hasher';
    const a = path.join(dir, 'inst-a.csv');
    writeFileSync(a, `${header}\nuser_1,Alice,A,,alice@corp.test,,alice@corp.test,,,,,${BCRYPT},bcrypt\n`);
    const b = path.join(dir, 'inst-b.csv');
    writeFileSync(b, `${header}\nuser_1,Mallory,M,,mallory@evil.test,,mallory@evil.test,,,,JBSWY3DPEHPK3PXP,${BCRYPT2},bcrypt\n`);
    await run(settings(em, a, path.join(dir, 'csv-a')));
    const aliceId = em.store.all()[0]!.id;
    const s = await run(settings(em, b, path.join(dir, 'csv-b'), { onConflict: 'update' }));
    expect(s.counts).toMatchObject({ updated: 0, failed: 1 });
    expect(em.store.secretsOf(aliceId)).toMatchObject({ password_digest: BCRYPT });
    expect(em.store.secretsOf(aliceId)?.totp_secret ?? null).toBeNull();
    expect(em.store.all()[0]).toMatchObject({ first_name: 'Alice' });
  });

  it('--external-id keep: a user holding the email and more is someone else, not this record', async () => {
    const em = await emulator({ users: 0 });
    // Someone already in the instance with the email and a phone of their own.
    await run(settings(em, ndjson('owner.ndjson', [person('user_owner', { email: 'shared@corp.test', phone: '+14155550199' })]), path.join(dir, 'k1'), { externalId: 'keep' }));
    const s = await run(settings(em, ndjson('keep.ndjson', [person('user_new', { email: 'shared@corp.test' })]), path.join(dir, 'k2'), { externalId: 'keep' }));
    expect(s.counts).toMatchObject({ exists: 0, failed: 1 });
    expect(String(failures(path.join(dir, 'k2'))[0]!.message)).toContain('it also holds a phone_number this record does not have');
  });
});

describe('--external-id keep, ambiguous creates (issue 12, item 6)', () => {
  it('users without external_id whose create succeeded but answered 500 / dropped the connection are found by their identifiers, also on a re-run', async () => {
    const users = generateUsers(600, { seed: 5 })
      .filter((u) => [u.email_addresses, u.phone_numbers, u.web3_wallets].some((a) => (a as unknown[]).length > 0) || typeof u.username === 'string')
      .slice(0, 300)
      .map((u): ClerkUser => ({ ...u, external_id: null }));
    const file = ndjson('noext.ndjson', users);
    const em = await emulator({ users: 0, faults: { rateAfterCreate: 0.2, seed: 5 } });
    const report = path.join(dir, 'noext-report');
    const s = await run(settings(em, file, report, { externalId: 'keep', concurrency: 4 }));
    expect(s.counts, JSON.stringify(failures(report).slice(0, 3).map((f) => f.message))).toMatchObject({ created: 300, failed: 0 });
    expect(s.counts.recovered).toBeGreaterThan(20);
    expect(em.store.size).toBe(300);
    const map = idMap(report);
    expect(map.every((r) => r.outcome === 'created' && r.clerk_user_id.startsWith('user_'))).toBe(true);
    expect(new Set(map.map((r) => r.clerk_user_id)).size).toBe(300);
    // each is mapped to the user with its own primary email / phone / username
    const byId = new Map(em.store.all().map((u) => [u.id, u]));
    for (const u of users) {
      const t = byId.get(map.find((r) => r.source_id === u.id)!.clerk_user_id)!;
      expect(t.username ?? null, u.id).toBe(u.username ?? null);
      expect(new Set(emailsOf(t)), u.id).toEqual(new Set((u.email_addresses as Array<{ email_address: string }>).map((e) => e.email_address)));
    }
    const again = await run(settings(em, file, report, { externalId: 'keep', concurrency: 4 }));
    expect(again.counts).toMatchObject({ already_done: 300, failed: 0, created: 0 });
  }, 60_000);
});

/** A loopback proxy to the emulator that answers 401 to every POST once `allowPosts` have passed (the key revoked mid-run). */
async function revokingProxy(em: RunningEmulator, allowPosts: number): Promise<{ url: string; posts: () => number; close: () => Promise<void> }> {
  let posts = 0;
  const target = new URL(em.url);
  const server = http.createServer((req, res) => {
    if (req.method === 'POST' && ++posts > allowPosts) {
      req.resume();
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: 'Invalid authentication', long_message: 'The secret key is invalid', code: 'authentication_invalid' }], clerk_trace_id: 'trace_test' }));
      return;
    }
    const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    posts: () => posts,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

describe('a rejected key (issue 12, item 8)', () => {
  function usersFile(name: string, n: number, seed: number): string {
    const users = generateUsers(n * 2, { seed })
      .filter((u) => [u.email_addresses, u.phone_numbers, u.web3_wallets].some((a) => (a as unknown[]).length > 0) || typeof u.username === 'string')
      .slice(0, n);
    return ndjson(name, users);
  }

  it('a wrong key: one GET, no create, nothing pending, exit 77', async () => {
    const file = usersFile('wrongkey.ndjson', 200, 81);
    const em = await emulator({ users: 0 });
    const report = path.join(dir, 'wrongkey');
    const err = await run(settings(em, file, report, { secretKey: 'sk_test_not_the_key_123', concurrency: 8 })).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('CLERK_AUTH');
    expect(em.stats.requests).toBe(1);
    expect(em.stats.writes).toBe(0);
    expect(journal(report).filter((e) => e.state === 'pending')).toEqual([]);
    const { exitCodeFor } = await import('../../src/cli/exit-codes.js');
    expect(exitCodeFor(err)).toBe(77);
  });

  it('a 401 during the run stops it at once; a re-run against an instance that already had the users reports them as existing, not created', async () => {
    const file = usersFile('revoked.ndjson', 200, 82);
    const em = await emulator({ users: 0, latencyMs: 5 });
    // The users are already in the instance (an earlier import, another report folder).
    await run(settings(em, file, path.join(dir, 'revoked-earlier'), { concurrency: 8 }));
    expect(em.store.size).toBe(200);
    // Each create now gets form_identifier_exists, is looked up and recorded as exists; after 20 creates the key is revoked.
    const proxy = await revokingProxy(em, 20);
    const report = path.join(dir, 'revoked');
    const err = await run(settings({ url: proxy.url, secretKey: em.secretKey }, file, report, { concurrency: 8 })).catch((e: unknown) => e);
    await proxy.close();
    expect((err as { code?: string }).code).toBe('CLERK_AUTH');
    expect((err as Error).message).toMatch(/stopped at line \d+ and sent nothing more/);
    // at most the creates already in flight when the first 401 came back
    expect(proxy.posts()).toBeLessThanOrEqual(20 + 8);
    const summary = JSON.parse(readFileSync(path.join(report, 'summary.json'), 'utf8')) as { stopped?: string };
    expect(summary.stopped).toMatch(/Clerk rejected the secret key/);
    // No create refused by a 401 is left pending.
    const last = new Map(journal(report).map((e) => [e.source_id, e]));
    expect([...last.values()].filter((e) => e.code === 'authentication_invalid').length).toBeGreaterThan(0);
    expect([...last.values()].filter((e) => e.state === 'pending').length).toBeLessThanOrEqual(8);
    // The re-run with a good key: every user existed before; none is reported as created by this import.
    // Only creates that were in flight when the run stopped (unknown outcome, still pending) can be
    // taken as created, and only through the lookup.
    const again = await run(settings(em, file, report, { concurrency: 8 }));
    expect(again.counts.created).toBeLessThanOrEqual([...last.values()].filter((e) => e.state === 'pending').length);
    expect(again.counts.recovered).toBe(again.counts.created);
    expect(again.counts.exists + again.counts.already_done + again.counts.created).toBe(200);
    expect(again.counts.failed).toBe(0);
    expect(em.store.size).toBe(200);
  }, 30_000);

  it('a 403 (user quota) stops the run at once instead of failing every remaining user', async () => {
    const file = usersFile('quota.ndjson', 200, 83);
    const em = await emulator({ users: 0, userQuota: 10 });
    const report = path.join(dir, 'quota');
    const err = await run(settings(em, file, report, { concurrency: 4 })).catch((e: unknown) => e);
    expect((err as { status?: number }).status).toBe(403);
    expect((err as Error).message).toMatch(/user_quota_exceeded/);
    expect(em.store.size).toBe(10);
    expect(em.stats.creates).toBe(10);
    expect(em.stats.writes).toBeLessThanOrEqual(10 + 4);
  });
});

describe('--max-attempts governs the resending of ambiguous creates (issue 12, item 22)', () => {
  /** One user whose first `fails` creates answer 500 without creating it (lookups in between are answered normally). */
  async function attempt(maxAttempts: number, fails: number) {
    const em = await emulator({ users: 0 });
    const file = ndjson(`retry-${maxAttempts}-${fails}.ndjson`, [person('user_r', { email: 'r@corp.test' })]);
    // a zero delay is a no-op fault: it keeps each lookup (GET) from taking the next 500
    em.injectNext(...Array.from({ length: fails }, () => ['500', { slowMs: 0 }] as const).flat());
    const client = new ClerkClient({ apiUrl: em.url, secretKey: em.secretKey, retry: { maxAttempts, baseDelayMs: 1 } });
    const summary = await runImport({
      source: new FileSource(file),
      inputKind: 'raw',
      client,
      reportDir: path.join(dir, `retry-${maxAttempts}-${fails}`),
      onConflict: 'skip',
      dryRun: false,
      runId: 'test',
      signal: new AbortController().signal,
      log: silentLogger,
    });
    return { summary, posts: em.stats.byStatus, em };
  }

  it('5 ambiguous failures, --max-attempts 8: the 6th create succeeds', async () => {
    const { summary, em } = await attempt(8, 5);
    expect(summary.counts).toMatchObject({ created: 1, failed: 0 });
    expect(em.stats.injected['5xx']).toBe(5);
    expect(em.store.size).toBe(1);
  });

  it('--max-attempts 2: two creates, then the record fails', async () => {
    const { summary, em } = await attempt(2, 5);
    expect(summary.counts).toMatchObject({ created: 0, failed: 1 });
    expect(em.stats.injected['5xx']).toBe(2);
    expect(em.store.size).toBe(0);
  });
});
