import { createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { executeExport, runExportCommand, type ExportSettings } from '../../src/cli/export.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { createLogger, silentLogger } from '../../src/log.js';
import type { Manifest } from '../../src/run-export.js';
import { maskValue } from '../../src/transform/pii-policy.js';
import { exampleUsers } from '../helpers/examples.js';
import { readCsv, readNdjson, readParquet } from '../helpers/read-back.js';

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

const file = (m: Manifest, root: string, table: string, format: string) => path.join(root, m.files.find((f) => f.table === table && f.format === format)!.path);

describe('PII column policies', () => {
  const input = writeUsers('pii.ndjson', [user('alice'), user('bob', { first_name: 'Bob' })]);

  it('analytics + column overrides apply to Parquet, CSV and NDJSON with exact values; HMAC is stable and joins across tables', async () => {
    process.env.CLERK_ETL_HASH_KEY = KEY;
    const lines: string[] = [];
    const log = createLogger({ format: 'json', level: 'debug', write: (l) => lines.push(l) });
    const pii = { preset: 'analytics' as const, columns: { 'users.first_name': 'mask' as const, 'users.last_name': 'null' as const }, dropTables: ['user_passkeys'] };
    const out1 = path.join(dir, 'pii1');
    const r1 = (await executeExport(settings(input, out1, { pii }), log, new AbortController().signal)).result!;
    const m = r1.manifest;
    expect(m.pii).toMatchObject({
      preset: 'analytics',
      dropped_tables: ['user_passkeys'],
      columns: {
        users: { primary_email_address: 'hash', primary_phone_number: 'hash', primary_web3_wallet: 'hash', first_name: 'mask', last_name: 'null', private_metadata: 'drop', password_enabled: 'drop', totp_enabled: 'drop', backup_code_enabled: 'drop', password_last_updated_at: 'drop' },
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
      expect(alice).not.toHaveProperty('password_enabled');
      expect(alice.username).toBe('alice');
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
    const r2 = (await executeExport(settings(input, out2, { pii }), log, new AbortController().signal)).result!;
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
  });
});

describe('CSV formula-injection safety', () => {
  const names = ['=HYPERLINK("http://x","y")', '+1', '-2', '@SUM(A1)', '\tTab', '\rCR', 'Plain', '==x'];
  const input = writeUsers('formula.ndjson', names.map((n, i) => user(`u${i}`, { first_name: n })));

  it('neutralised in CSV by default, untouched in Parquet and NDJSON; numbers and timestamps unaffected; off writes raw values', async () => {
    const out = path.join(dir, 'formula');
    const m = (await executeExport(settings(input, out), silentLogger, new AbortController().signal)).result!.manifest;
    expect(m.csv_formula_escape).toBe(true);
    const csv = readCsv(file(m, out, 'users', 'csv'));
    expect(csv.map((r) => r.first_name)).toEqual(names.map((n) => (/^[=+\-@\t\r]/.test(n) ? `'${n}` : n)));
    expect(csv[0]!.created_at).toBe('2024-05-28T08:00:00.000Z');
    expect(csv[0]!.lockout_expires_in_seconds).toBe('');
    expect((await readParquet(file(m, out, 'users', 'parquet'))).map((r) => r.first_name)).toEqual(names);
    expect(readNdjson(file(m, out, 'users', 'ndjson')).map((r) => r.first_name)).toEqual(names);
    const off = path.join(dir, 'formula-off');
    const m2 = (await executeExport(settings(input, off, { csvFormulaEscape: false }), silentLogger, new AbortController().signal)).result!.manifest;
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
