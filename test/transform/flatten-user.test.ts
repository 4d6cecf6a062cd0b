import { describe, expect, it } from 'vitest';
import { flattenUsers, rowToObject } from '../../src/transform/flatten-user.js';
import { type RowsByTable } from '../../src/model/records.js';
import { TABLES, tableSchema, type TableName } from '../../src/model/schema.js';
import { validateUser } from '../../src/transform/validate-user.js';
import type { ClerkUser } from '../../src/model/clerk-types.js';
import { exampleUsers } from '../helpers/examples.js';

const ctx = { runId: 'run1', extractedAt: 1_700_000_000_000 };
const meta = { _run_id: 'run1', _extracted_at: 1_700_000_000_000 };

function objects(rows: RowsByTable, table: TableName): Array<Record<string, unknown>> {
  return rows.get(table)!.map((r) => rowToObject(tableSchema(table), r));
}

describe('flattenUser on the examples of test/fixtures/clerk/users-examples.json', () => {
  const [rich, modern, legacy] = exampleUsers();
  const rows = flattenUsers([rich!, modern!, legacy!], ctx);

  it('writes one users row per user and one child row per array element', () => {
    expect(rows.get('users')).toHaveLength(3);
    expect(rows.get('user_email_addresses')).toHaveLength(2);
    expect(rows.get('user_phone_numbers')).toHaveLength(1);
    expect(rows.get('user_web3_wallets')).toHaveLength(1);
    expect(rows.get('user_external_accounts')).toHaveLength(1);
    expect(rows.get('user_saml_accounts')).toHaveLength(1);
    expect(rows.get('user_passkeys')).toHaveLength(0);
    expect(rows.get('user_enterprise_accounts')).toHaveLength(0);
    expect(rows.get('user_organization_memberships')).toHaveLength(0);
    for (const t of TABLES) for (const r of rows.get(t.name)!) expect(r).toHaveLength(t.columns.length);
  });

  it('flattens the modern webhook user exactly', () => {
    expect(objects(rows, 'users')[1]).toEqual({
      id: 'user_2g7np7Hrk0SN6kj5EDMLDaKNL0S',
      object: 'user',
      external_id: null,
      primary_email_address_id: 'idn_2g7np7Hrk0SN6kj5EDMLDaKNL0S',
      primary_phone_number_id: null,
      primary_web3_wallet_id: null,
      // the primary id points at an address the (empty) array does not hold: resolved to null
      primary_email_address: null,
      primary_phone_number: null,
      primary_web3_wallet: null,
      username: 'johndoe',
      first_name: 'John',
      last_name: 'Doe Updated',
      locale: null,
      profile_image_url: 'https://img.clerk.com/yyyyy',
      image_url: 'https://img.clerk.com/yyyyy',
      has_image: true,
      public_metadata: '{"department":"engineering"}',
      private_metadata: null,
      unsafe_metadata: '{}',
      password_enabled: true,
      two_factor_enabled: true,
      totp_enabled: true,
      backup_code_enabled: false,
      mfa_enabled_at: 1716883200000,
      mfa_disabled_at: null,
      password_last_updated_at: null,
      last_sign_in_at: 1716883400000,
      banned: false,
      locked: false,
      deprovisioned: null,
      lockout_expires_in_seconds: null,
      verification_attempts_remaining: null,
      updated_at: 1716883500000,
      created_at: 1716883200000,
      delete_self_enabled: true,
      create_organization_enabled: true,
      create_organizations_limit: null,
      last_active_at: 1716883500000,
      legal_accepted_at: 1716883200000,
      bypass_client_trust: null,
      scim_directory_id: null,
      scim_directory_enabled: null,
      scim_external_id: null,
      _extra: null,
      ...meta,
    });
  });

  it('resolves primary_* columns and keeps metadata as JSON text (rich SDK fixture)', () => {
    const u = objects(rows, 'users')[0]!;
    expect(u).toMatchObject({
      id: 'user_cafebabe',
      primary_email_address: 'john.doe@clerk.test',
      primary_phone_number: '+311-555-2368',
      primary_web3_wallet: '0x0000000000000000000000000000000000000000',
      public_metadata: '{"zodiac_sign":"leo"}',
      private_metadata: '{}',
      unsafe_metadata: null,
      created_at: 1611948436,
      _extra: null,
    });
  });

  it('flattens an email address with its verification one level deep and linked_to as JSON', () => {
    expect(objects(rows, 'user_email_addresses')[0]).toEqual({
      user_id: 'user_cafebabe',
      position: 0,
      id: 'idn_email_address',
      object: 'email_address',
      email_address: 'john.doe@clerk.test',
      reserved: true,
      linked_to: '[{"type":"oauth_google","id":"idn_email_address"}]',
      matches_sso_connection: null,
      created_at: 1611948436,
      updated_at: 1611948436,
      verification_object: null,
      verification_status: 'verified',
      verification_strategy: 'from_oauth_google',
      verification_attempts: 1,
      verification_expire_at: 1613831855,
      verification_verified_at_client: null,
      verification_external_verification_redirect_url: null,
      verification_error: null,
      _extra: null,
      ...meta,
    });
  });

  it('keeps a verification field the phone schema does not know in _extra instead of dropping it', () => {
    const phone = objects(rows, 'user_phone_numbers')[0]!;
    expect(phone).toMatchObject({
      user_id: 'user_cafebabe',
      position: 0,
      phone_number: '+311-555-2368',
      reserved_for_second_factor: false,
      verification_strategy: 'phone_code',
      linked_to: '[]',
    });
    expect(JSON.parse(phone._extra as string)).toEqual({ 'verification.external_verification_redirect_url': null });
  });

  it('flattens web3 wallets, external accounts and SAML accounts', () => {
    expect(objects(rows, 'user_web3_wallets')[0]).toMatchObject({
      user_id: 'user_cafebabe',
      web3_wallet: '0x0000000000000000000000000000000000000000',
      verification_strategy: 'web3_metamask_signature',
      verification_nonce: 'l6i2keszfr0yftb0aghwxye8xdxmec2x4m86elc5',
      verification_expire_at: 1642762718086,
    });
    expect(objects(rows, 'user_external_accounts')[0]).toMatchObject({
      id: 'gac_google',
      provider: 'google',
      provider_user_id: '1234567890',
      username: 'jdoe',
      avatar_url: 'https://clerk.com/test.jpg',
      public_metadata: '{}',
      verification_status: null,
      _extra: null,
    });
    expect(objects(rows, 'user_saml_accounts')[0]).toMatchObject({
      id: 'samlacc_microsoft',
      provider: 'saml_microsoft',
      active: true,
      verification_status: 'verified',
      verification_attempts: null,
      saml_connection_id: null,
    });
  });

  it('keeps legacy fields (birthday, gender) of the old webhook user in users._extra', () => {
    const u = objects(rows, 'users')[2]!;
    expect(JSON.parse(u._extra as string)).toEqual({ birthday: '', gender: '' });
    expect(u.external_id).toBe('567772');
    expect(u.primary_email_address).toBe('example@example.org');
  });

  it('validation accepts the modern user and names every missing field of the two older shapes', () => {
    expect(validateUser(modern)).toEqual([]);
    const richProblems = validateUser(rich, 100).map((p) => p.field);
    expect(richProblems).toEqual(
      expect.arrayContaining(['external_id', 'has_image', 'passkeys', 'totp_enabled', 'enterprise_accounts', 'locked', 'last_active_at']),
    );
    const legacyProblems = validateUser(legacy, 100);
    expect(legacyProblems.find((p) => p.field === 'banned')).toEqual({ field: 'banned', problem: 'required field is missing (expected a boolean)' });
    // nested: the legacy email address lacks reserved/created_at/updated_at
    expect(legacyProblems.map((p) => p.field)).toEqual(expect.arrayContaining(['email_addresses[0].reserved', 'email_addresses[0].created_at']));
  });

  it('rejects wrong types and nulls with the field named', () => {
    const bad = structuredClone(modern!) as Record<string, unknown>;
    bad.created_at = '2024-05-28';
    bad.banned = null;
    bad.email_addresses = [{ object: 'email_address', email_address: 5, reserved: false, linked_to: [], created_at: 1, updated_at: 1, verification: null }];
    expect(validateUser(bad)).toEqual([
      { field: 'banned', problem: 'must not be null (expected a boolean)' },
      { field: 'created_at', problem: 'expected an integer (Unix ms within ±8.64e15), got a string ("2024-05-28")' },
      { field: 'email_addresses[0].email_address', problem: 'expected a string, got an integer (5)' },
    ]);
    expect(validateUser([1, 2])).toEqual([{ field: '(record)', problem: 'expected a JSON object (a Clerk User), got an array' }]);
  });
});

describe('flattenUser on generated users', () => {
  it('every generated user is valid and becomes exactly one row per array element, values intact', async () => {
    const { generateUsers } = await import('../../src/emulator/generate.js');
    const users = generateUsers(500, { seed: 42 });
    const rows = flattenUsers(users, ctx);
    for (const u of users) expect(validateUser(u), u.id).toEqual([]);
    expect(rows.get('users')).toHaveLength(500);
    for (const t of TABLES) {
      if (!t.sourceArray) continue;
      const expected = users.flatMap((u) => ((u[t.sourceArray!] as unknown[] | undefined) ?? []).map((el, i) => ({ u, el: el as Record<string, unknown>, i })));
      const got = objects(rows, t.name);
      expect(got, t.name).toHaveLength(expected.length);
      got.forEach((row, k) => {
        const { u, el, i } = expected[k]!;
        expect(row.user_id).toBe(u.id);
        expect(row.position).toBe(i);
        expect(row.id).toBe(el.id ?? null);
        expect(row.created_at ?? null).toBe(el.created_at ?? null);
        if ('public_metadata' in el) expect(row.public_metadata).toBe(JSON.stringify(el.public_metadata));
        expect(row._extra).toBeNull();
      });
    }
    const us = objects(rows, 'users');
    users.forEach((u, k) => {
      const row = us[k]!;
      expect(row.first_name).toBe(u.first_name);
      expect(row.private_metadata).toBe(u.private_metadata === null ? null : JSON.stringify(u.private_metadata));
      const primary = (u.email_addresses as Array<Record<string, unknown>>).find((e) => e.id === u.primary_email_address_id);
      expect(row.primary_email_address).toBe(primary?.email_address ?? null);
      expect(row._extra).toBeNull();
    });
    // the generator's nasty cases are present
    expect(users.some((u) => /[\n",]/.test(String(u.first_name)))).toBe(true);
    expect(users.some((u) => (u.email_addresses as unknown[]).length === 0)).toBe(true);
    expect(users.some((u) => u.private_metadata === null)).toBe(true);
  });
});

describe('unknownFieldPaths', () => {
  it('finds an unknown field wherever it is: top level, nested object, array element, element nested object; none on known users', async () => {
    const { unknownFieldPaths } = await import('../../src/transform/flatten-user.js');
    const { generateUsers } = await import('../../src/emulator/generate.js');
    const users = generateUsers(50, { seed: 4 });
    for (const u of users) expect(unknownFieldPaths(u as Record<string, unknown>)).toEqual([]);
    // Clerk's own examples carry fields the schema leaves to _extra.
    expect(unknownFieldPaths(exampleUsers()[2] as Record<string, unknown>)).toEqual(['birthday', 'gender']);
    const withEmail = users.find((u) => (u.email_addresses as unknown[]).length > 0)!;
    const cases: Array<[(u: Record<string, any>) => void, string]> = [
      [(u) => (u.birthday = '1990-01-01'), 'birthday'],
      [(u) => (u.email_addresses[0].label = 'work'), 'email_addresses[].label'],
      [(u) => (u.email_addresses[0].verification = { ...(u.email_addresses[0].verification ?? {}), channel: 'sms' }), 'email_addresses[].verification.channel'],
    ];
    for (const [mutate, path] of cases) {
      const u = structuredClone(withEmail) as Record<string, any>;
      mutate(u);
      expect(unknownFieldPaths(u)).toContain(path);
    }
  });
});

describe('a field named __proto__', () => {
  it('is kept in _extra and reported, at the top level and in an array element (JSON.parse makes it an own key)', async () => {
    const { unknownFieldPaths } = await import('../../src/transform/flatten-user.js');
    const { generateUsers } = await import('../../src/emulator/generate.js');
    const base = generateUsers(20, { seed: 6 }).find((u) => (u.email_addresses as unknown[]).length > 0)!;
    const text = JSON.stringify(base)
      .replace(/^\{/, '{"__proto__":{"role":"admin"},')
      .replace('"email_addresses":[{', '"email_addresses":[{"__proto__":1,');
    const user = JSON.parse(text) as ClerkUser;
    expect(unknownFieldPaths(user as Record<string, unknown>)).toEqual(['__proto__', 'email_addresses[].__proto__']);
    const rows = flattenUsers([user], ctx);
    expect(objects(rows, 'users')[0]!._extra).toBe('{"__proto__":{"role":"admin"}}');
    expect(objects(rows, 'user_email_addresses')[0]!._extra).toBe('{"__proto__":1}');
  });
});
