import { createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runExportCommand } from '../../src/cli/export.js';
import { executeExport, type ExportSettings } from '../../src/pipeline/export.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { createLogger, silentLogger } from '../../src/log.js';
import type { Manifest } from '../../src/pipeline/export-run.js';
import { maskValue } from '../../src/transform/pii-policy.js';
import { generateUsers } from '../../src/emulator/generate.js';
import { exampleUsers } from '../helpers/examples.js';
import { readCsv, readNdjson, readParquet } from '../helpers/read-back.js';
import { published } from '../helpers/export-run.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-gov-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const KEY = 'hash-key-for-tests-0123456789abcdef';
const hmac = (v: string) => createHmac('sha256', KEY).update(v, 'utf8').digest('hex');

function user(id: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  const base = structuredClone(exampleUsers()[1]!) as Record<string, unknown>;
  const email = `${id}@example.com`;
  return {
    ...base,
    id,
    username: id,
    primary_email_address_id: `idn_${id}`,
    email_addresses: [{ id: `idn_${id}`, object: 'email_address', email_address: email, reserved: false, linked_to: [], created_at: 1, updated_at: 1, verification: { object: 'verification_admin', status: 'verified', strategy: 'admin', attempts: null, expire_at: null } }],
    phone_numbers: [{ id: `idn_p_${id}`, object: 'phone_number', phone_number: '+14155554567', reserved: false, linked_to: [], backup_codes: ['x1'], created_at: 1, updated_at: 1, verification: null }],
    primary_phone_number_id: `idn_p_${id}`,
    private_metadata: { secret: 'shh' },
    passkeys: [{ id: `pk_${id}`, object: 'passkey', name: 'laptop', last_used_at: 1, verification: null }],
    ...over,
  };
}

function writeUsers(name: string, users: Array<Record<string, unknown>>): string {
  const f = path.join(dir, name);
  writeFileSync(f, users.map((u) => JSON.stringify(u)).join('\n') + '\n');
  return f;
}

function settings(from: string, to: string, extra: Partial<ExportSettings> = {}): ExportSettings {
  return { from, to, formats: ['parquet', 'csv', 'ndjson'], inputFormat: 'auto', apiUrl: 'unused', concurrency: 1, progress: false, ...extra };
}

/** A user, an account or a membership's public_user_data. */
type Person = Record<string, unknown>;
const isPerson = (v: unknown): v is Person => typeof v === 'object' && v !== null;
/** Its fields that name a person. */
const personFields = (p: Person): string[] => [p.first_name, p.last_name, p.username, p.email_address, p.phone_number, p.identifier].filter((v): v is string => typeof v === 'string' && v !== '');

const file = (m: Manifest, root: string, table: string, format: string) => path.join(root, m.files.find((f) => f.table === table && f.format === format)!.path);

describe('PII column policies', () => {
  const input = writeUsers('pii.ndjson', [user('alice'), user('bob', { first_name: 'Bob' })]);

  it('analytics + column overrides apply to Parquet, CSV and NDJSON with exact values; HMAC is stable and joins across tables', async () => {
    process.env.CLERK_ETL_HASH_KEY = KEY;
    const lines: string[] = [];
    const log = createLogger({ format: 'json', level: 'debug', write: (l) => lines.push(l) });
    const pii = { preset: 'analytics' as const, columns: { 'users.first_name': 'mask' as const, 'users.last_name': 'null' as const }, dropTables: ['user_passkeys'] };
    const out1 = path.join(dir, 'pii1');
    const r1 = published(await executeExport(settings(input, out1, { pii }), log, new AbortController().signal)).result;
    const m = r1.manifest;
    expect(m.pii).toMatchObject({
      preset: 'analytics',
      dropped_tables: ['user_passkeys'],
      columns: {
        users: { primary_email_address: 'hash', primary_phone_number: 'hash', primary_web3_wallet: 'hash', username: 'hash', first_name: 'mask', last_name: 'null', private_metadata: 'drop' },
        user_email_addresses: { email_address: 'hash' },
        user_phone_numbers: { phone_number: 'hash', backup_codes: 'drop' },
      },
    });
    expect(m.files.some((f) => f.table === 'user_passkeys')).toBe(false);
    const expectUsers = (rows: Array<Record<string, unknown>>) => {
      const alice = rows.find((r) => r.id === 'alice')!;
      expect(alice.primary_email_address).toBe(hmac('alice@example.com'));
      expect(alice.primary_phone_number).toBe(hmac('+14155554567'));
      expect(alice.first_name).toBe('J***');
      expect(rows.find((r) => r.id === 'bob')!.first_name).toBe('B**');
      expect(alice.last_name ?? '').toBe('');
      expect(alice).not.toHaveProperty('private_metadata');
      // the security booleans an analyst needs stay; the username is an identifier: hashed
      for (const flag of ['password_enabled', 'two_factor_enabled', 'totp_enabled', 'backup_code_enabled']) expect([true, false, 'true', 'false'], flag).toContain(alice[flag]);
      expect(alice).toHaveProperty('password_last_updated_at');
      expect(alice.username).toBe(hmac('alice'));
      expect(alice).not.toHaveProperty('image_url');
    };
    expectUsers(await readParquet(file(m, out1, 'users', 'parquet')));
    expectUsers(readCsv(file(m, out1, 'users', 'csv')));
    expectUsers(readNdjson(file(m, out1, 'users', 'ndjson')));
    for (const fmt of ['parquet', 'csv', 'ndjson']) {
      const emails = fmt === 'parquet' ? await readParquet(file(m, out1, 'user_email_addresses', fmt)) : fmt === 'csv' ? readCsv(file(m, out1, 'user_email_addresses', fmt)) : readNdjson(file(m, out1, 'user_email_addresses', fmt));
      // the same HMAC in both tables: joins on the hashed email still work
      expect(emails.find((e) => e.user_id === 'alice')!.email_address).toBe(hmac('alice@example.com'));
      const phones = fmt === 'parquet' ? await readParquet(file(m, out1, 'user_phone_numbers', fmt)) : fmt === 'csv' ? readCsv(file(m, out1, 'user_phone_numbers', fmt)) : readNdjson(file(m, out1, 'user_phone_numbers', fmt));
      expect(phones[0]).not.toHaveProperty('backup_codes');
    }
    // a second run gives the same hashes
    const out2 = path.join(dir, 'pii2');
    const r2 = published(await executeExport(settings(input, out2, { pii }), log, new AbortController().signal)).result;
    const u2 = await readParquet(file(r2.manifest, out2, 'users', 'parquet'));
    expect(u2.find((r) => r.id === 'alice')!.primary_email_address).toBe(hmac('alice@example.com'));
    // the key is in no file and no log line
    const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(path.join(d, n)).isDirectory() ? walk(path.join(d, n)) : [path.join(d, n)]));
    for (const f of [...walk(out1), ...walk(out2)]) expect(readFileSync(f).includes(KEY), f).toBe(false);
    expect(lines.join('\n')).not.toContain(KEY);
  });

  it('hash without CLERK_ETL_HASH_KEY fails at start-up naming the variable; raw cannot carry a policy', async () => {
    delete process.env.CLERK_ETL_HASH_KEY;
    const err = await executeExport(settings(input, path.join(dir, 'nokey'), { pii: { preset: 'analytics' } }), silentLogger, new AbortController().signal).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('CONFIG_INVALID');
    expect((err as Error).message).toContain('CLERK_ETL_HASH_KEY is not set');
    const raw = await executeExport(settings(input, path.join(dir, 'raw'), { formats: ['raw'], pii: { preset: 'none', columns: { 'users.first_name': 'drop' } } }), silentLogger, new AbortController().signal).catch((e: unknown) => e);
    expect((raw as Error).message).toMatch(/raw keeps every field exactly as received/);
    const bad = await executeExport(settings(input, path.join(dir, 'bad'), { pii: { columns: { 'users.frist_name': 'mask' } } }), silentLogger, new AbortController().signal).catch((e: unknown) => e);
    expect((bad as Error).message).toContain('users.frist_name: table users has no column frist_name');
  });

  it('mask keeps the shape', () => {
    expect(maskValue('john.doe@example.com')).toBe('j***@example.com');
    expect(maskValue('+14155554567')).toBe('+1******4567');
    expect(maskValue('Zoë')).toBe('Z**');
    // by code point: an emoji (two UTF-16 units) is one character, never split into a lone surrogate
    expect(maskValue('😀 Smile')).toBe('😀******');
    expect(maskValue('Ann 😀')).toBe('A****');
    expect(maskValue('𝒜@example.com')).toBe('𝒜***@example.com');
    expect(maskValue('😀')).toBe('*');
  });

  it('analytics over every table: names, pictures and free text gone, identifiers hashed and still joining, everything else kept', async () => {
    process.env.CLERK_ETL_HASH_KEY = KEY;
    const source = generateUsers(60, { seed: 3 });
    const input = writeUsers('analytics-all.ndjson', source);
    const out = path.join(dir, 'analytics-all');
    const m = published(await executeExport(settings(input, out, { formats: ['ndjson'], pii: { preset: 'analytics' } }), silentLogger, new AbortController().signal)).result.manifest;
    const drop = (...names: string[]) => Object.fromEntries(names.map((n) => [n, 'drop']));
    const hash = (...names: string[]) => Object.fromEntries(names.map((n) => [n, 'hash']));
    const childText = ['verification_external_verification_redirect_url', '_extra'];
    expect(m.pii!.columns).toEqual({
      users: { ...hash('external_id', 'primary_email_address', 'primary_phone_number', 'primary_web3_wallet', 'username', 'scim_external_id'), ...drop('first_name', 'last_name', 'profile_image_url', 'image_url', 'private_metadata', 'unsafe_metadata', '_extra') },
      user_email_addresses: { ...hash('email_address'), ...drop(...childText) },
      user_phone_numbers: { ...hash('phone_number'), ...drop('backup_codes', '_extra') },
      user_web3_wallets: { ...hash('web3_wallet'), ...drop('verification_message', '_extra') },
      user_passkeys: drop('name', 'verification_message', '_extra'),
      user_external_accounts: { ...hash('provider_user_id', 'email_address', 'username', 'phone_number'), ...drop('first_name', 'last_name', 'avatar_url', 'image_url', ...childText) },
      user_saml_accounts: { ...hash('email_address', 'provider_user_id'), ...drop('first_name', 'last_name', ...childText) },
      user_enterprise_accounts: { ...hash('email_address', 'provider_user_id'), ...drop('first_name', 'last_name', ...childText) },
      user_organization_memberships: {
        ...hash('public_user_data_identifier', 'public_user_data_username'),
        ...drop('private_metadata', 'organization_private_metadata', 'public_user_data_first_name', 'public_user_data_last_name', 'public_user_data_profile_image_url', 'public_user_data_image_url', '_extra'),
      },
    });
    const rows = (table: string) => readNdjson(file(m, out, table, 'ndjson'));
    // No name, username, email or phone of any source user (or of its external accounts and memberships) is in any file.
    const personal = new Set<string>();
    const people = (v: unknown): Person[] => (Array.isArray(v) ? v : isPerson(v) ? [v] : []);
    for (const u of source) {
      for (const p of [u, ...people(u.email_addresses), ...people(u.phone_numbers), ...people(u.external_accounts)]) for (const v of personFields(p)) personal.add(v);
      for (const om of people(u.organization_memberships)) for (const p of people(om.public_user_data)) for (const v of personFields(p)) personal.add(v);
    }
    expect(personal.size).toBeGreaterThan(100);
    const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(path.join(d, n)).isDirectory() ? walk(path.join(d, n)) : [path.join(d, n)]));
    const emails = [...personal].filter((v) => v.includes('@'));
    for (const f of walk(out).filter((f) => f.endsWith('.ndjson'))) {
      for (const row of readNdjson(f)) {
        for (const [column, value] of Object.entries(row)) {
          if (typeof value !== 'string') continue;
          // no cell is a person's name, username, email or phone; no cell (JSON text included) holds an email
          expect(personal.has(value), `${column} = ${value} in ${path.relative(out, f)}`).toBe(false);
          for (const e of emails) expect(value.includes(e), `${column} holds ${e}`).toBe(false);
        }
      }
    }
    // Hashes join: a member's username / identifier hash equals the user's username / email hash.
    const users = new Map(rows('users').map((u) => [u.id, u]));
    const members = rows('user_organization_memberships').filter((r) => r.public_user_data_username !== null);
    expect(members.length).toBeGreaterThan(0);
    for (const r of members) {
      const src = source.find((u) => u.id === r.user_id)!;
      expect(r.public_user_data_username).toBe(hmac(String(src.username)));
      expect(users.get(r.user_id)!.username).toBe(r.public_user_data_username);
    }
    const accounts = rows('user_external_accounts');
    expect(accounts.length).toBeGreaterThan(0);
    for (const a of accounts) expect(a.email_address).toMatch(/^[0-9a-f]{64}$/);
    // Security booleans and organisation facts stay.
    const u0 = users.get(source[0]!.id)!;
    for (const flag of ['password_enabled', 'two_factor_enabled', 'totp_enabled', 'backup_code_enabled', 'has_image', 'banned']) expect(typeof u0[flag], flag).toBe('boolean');
    expect(members[0]).toHaveProperty('organization_name');
  });
});

describe('CSV formula-injection safety', () => {
  const names = ['=HYPERLINK("http://x","y")', '+1', '-2', '@SUM(A1)', '\tTab', '\rCR', 'Plain', '==x'];
  const input = writeUsers('formula.ndjson', names.map((n, i) => user(`u${i}`, { first_name: n })));

  it('neutralised in CSV by default, untouched in Parquet and NDJSON; numbers and timestamps unaffected; off writes raw values', async () => {
    const out = path.join(dir, 'formula');
    const m = published(await executeExport(settings(input, out), silentLogger, new AbortController().signal)).result.manifest;
    expect(m.csv_formula_escape).toBe(true);
    const csv = readCsv(file(m, out, 'users', 'csv'));
    expect(csv.map((r) => r.first_name)).toEqual(names.map((n) => (/^[=+\-@\t\r]/.test(n) ? `'${n}` : n)));
    expect(csv[0]!.created_at).toBe('2024-05-28T08:00:00.000Z');
    expect(csv[0]!.lockout_expires_in_seconds).toBe('');
    expect((await readParquet(file(m, out, 'users', 'parquet'))).map((r) => r.first_name)).toEqual(names);
    expect(readNdjson(file(m, out, 'users', 'ndjson')).map((r) => r.first_name)).toEqual(names);
    const off = path.join(dir, 'formula-off');
    const m2 = published(await executeExport(settings(input, off, { csvFormulaEscape: false }), silentLogger, new AbortController().signal)).result.manifest;
    expect(readCsv(file(m2, off, 'users', 'csv')).map((r) => r.first_name)).toEqual(names);
  });
});

describe('schema drift and contracts', () => {
  const input = writeUsers('drift.ndjson', [user('d1', { favourite_colour: 'teal' }), user('d2'), user('d3', { favourite_colour: 'red', scim: { directory_id: 'dir_1', external_id: null, new_flag: true } })]);

  for (const contract of ['evolve', 'freeze', 'strict'] as const) {
    it(`--schema-contract ${contract}`, async () => {
      const out = path.join(dir, `drift-${contract}`);
      const summary = path.join(dir, `drift-${contract}.json`);
      let code = -1;
      const lines: string[] = [];
      await runExportCommand(settings(input, out, { schemaContract: contract }), createLogger({ format: 'json', write: (l) => lines.push(l) }), summary, (c) => (code = c));
      const m = JSON.parse(readFileSync(path.join(out, JSON.parse(readFileSync(summary, 'utf8')).manifest.slice(out.length + 1)), 'utf8')) as Manifest;
      expect(m.drift).toEqual([
        { field: 'favourite_colour', users: 2 },
        { field: 'scim.new_flag', users: 1 },
      ]);
      expect(lines.some((l) => l.includes('schema drift') && l.includes('favourite_colour'))).toBe(true);
      const users = await readParquet(file(m, out, 'users', 'parquet'));
      if (contract === 'strict') {
        expect(code).toBe(EXIT.REJECTED);
        expect(m.counts).toMatchObject({ read: 3, written: 1, rejected: 2 });
        const rejects = readNdjson(path.join(out, m.files.find((f) => f.table === '_rejects')!.path));
        expect(rejects.map((r) => [r.id, (r.problems as Array<{ field: string }>).map((p) => p.field)])).toEqual([
          ['d1', ['favourite_colour']],
          ['d3', ['favourite_colour', 'scim.new_flag']],
        ]);
      } else {
        expect(code).toBe(contract === 'freeze' ? EXIT.WARNINGS : EXIT.OK);
        expect(m.counts).toMatchObject({ read: 3, written: 3, rejected: 0 });
        expect(JSON.parse(users.find((u) => u.id === 'd3')!._extra as string)).toEqual({ favourite_colour: 'red', 'scim.new_flag': true });
      }
    });
  }
});
