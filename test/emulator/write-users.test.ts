import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ClerkUser } from '../../src/model/clerk-types.js';
import { generateUsers } from '../../src/emulator/generate.js';
import { ORDER_FIELDS, UserStore } from '../../src/emulator/store.js';
import { CREATE_FIELDS, METADATA_FIELDS, PASSWORD_HASHERS, UPDATE_FIELDS, deepMerge, isBase32, parseRfc3339 } from '../../src/emulator/user-write.js';
import { CLERK_FIXTURES } from '../helpers/examples.js';
import { userProblems } from './user-schema.js';
import { BCRYPT, MD5, SHA256, call, create, created, err, start } from './write-helpers.js';

const NOW = Date.UTC(2027, 0, 15, 12, 0, 0); // after the generator's users
const clock = { t: NOW };
const now = (): number => clock.t;

const ID = (prefix: string) => new RegExp(`^${prefix}_[0-9A-Za-z]{27}$`);

describe('the request schemas are the spec\'s', () => {
  /** Properties of an operation's JSON request body in bapi-openapi.yml: name → [type, nullable]. */
  function specProperties(operationId: string): Record<string, [string, boolean]> {
    const lines = readFileSync(path.join(CLERK_FIXTURES, 'bapi-openapi.yml'), 'utf8').split('\n');
    let i = lines.findIndex((l) => l.trim() === `operationId: ${operationId}`);
    expect(i, operationId).toBeGreaterThan(0);
    while (lines[i] !== '              properties:') i++;
    const out: Record<string, [string, boolean]> = {};
    let name: string | null = null;
    for (i++; i < lines.length && (lines[i]!.startsWith('                ') || lines[i]!.trim() === ''); i++) {
      const prop = /^ {16}([a-z0-9_]+):$/.exec(lines[i]!);
      if (prop) {
        name = prop[1]!;
        out[name] = ['?', false];
        continue;
      }
      const attr = /^ {18}(type|nullable|\$ref): (.+)$/.exec(lines[i]!);
      if (attr && name) {
        if (attr[1] === 'nullable') out[name]![1] = attr[2] === 'true';
        else out[name]![0] = attr[1] === '$ref' ? attr[2]!.replace(/^'#\/components\/schemas\/(.+)'$/, '$1') : attr[2]!;
      }
    }
    return out;
  }
  const mine = (fields: Record<string, { type: string; nullable: boolean }>) =>
    Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, [v.type.endsWith('[]') ? 'array' : v.type, v.nullable]]));
  const spec = (op: string) => Object.fromEntries(Object.entries(specProperties(op)).map(([k, [t, n]]) => [k, [t === 'PasswordHasher' ? 'string' : t, n]]));

  it('CreateUser, UpdateUser (2026-05-12: no metadata), UpdateUserMetadata and ReplaceUserMetadata: same properties, types and nullability', () => {
    expect(mine(CREATE_FIELDS)).toEqual(spec('CreateUser'));
    expect(mine(UPDATE_FIELDS)).toEqual(spec('UpdateUser'));
    expect(Object.keys(UPDATE_FIELDS)).not.toContain('public_metadata');
    expect(mine(METADATA_FIELDS)).toEqual(spec('UpdateUserMetadata'));
    expect(mine(METADATA_FIELDS)).toEqual(spec('ReplaceUserMetadata'));
  });

  it('password hashers: the 17 of the spec\'s description, Clerk\'s four documented extras and hmac_sha256_utf16_b64', () => {
    const yml = readFileSync(path.join(CLERK_FIXTURES, 'bapi-openapi.yml'), 'utf8');
    const desc = yml.slice(yml.indexOf('    PasswordHasher:'), yml.indexOf('    TotalCount:'));
    const inSpec = [...new Set([...desc.matchAll(/`([a-z0-9_]+)`/g)].map((m) => m[1]!))].filter((h) => h !== 'argon2');
    expect(inSpec).toHaveLength(17);
    expect([...PASSWORD_HASHERS].sort()).toEqual([...inSpec, 'awscognito', 'bcrypt_peppered', 'md5_salted', 'sha256_salted', 'hmac_sha256_utf16_b64'].sort());
  });
});

describe('POST /v1/users', () => {
  it('a minimal user: 200 with a schema-valid User, new ids, a verified primary email; GET, list and count see it at once', async () => {
    const emu = await start({ users: 20, seed: 3, now });
    const u = await created(emu, { email_address: ['Ada@Example.com'] });
    expect(userProblems(u)).toEqual([]);
    expect(u.id).toMatch(ID('user'));
    expect(u.email_addresses).toEqual([
      { id: expect.stringMatching(ID('idn')), object: 'email_address', email_address: 'Ada@Example.com', reserved: false, verification: { object: 'verification_admin', status: 'verified', strategy: 'admin', attempts: null, expire_at: null }, linked_to: [], matches_sso_connection: false, created_at: NOW, updated_at: NOW },
    ]);
    expect(u).toMatchObject({
      object: 'user', primary_email_address_id: u.email_addresses[0].id, primary_phone_number_id: null, primary_web3_wallet_id: null, external_id: null, username: null,
      first_name: null, last_name: null, locale: null, public_metadata: {}, private_metadata: {}, unsafe_metadata: {}, phone_numbers: [], web3_wallets: [], passkeys: [],
      password_enabled: false, two_factor_enabled: false, totp_enabled: false, backup_code_enabled: false, mfa_enabled_at: null, password_last_updated_at: null,
      banned: false, locked: false, created_at: NOW, updated_at: NOW, last_sign_in_at: null, last_active_at: null, legal_accepted_at: null,
      delete_self_enabled: true, create_organization_enabled: true, create_organizations_limit: null, bypass_client_trust: false,
    });
    expect((await call(emu, 'GET', `/v1/users/${u.id}`)).body).toEqual(u);
    expect((await call(emu, 'GET', '/v1/users?email_address=ada@example.com')).body).toEqual([u]);
    expect((await call(emu, 'GET', '/v1/users?limit=1')).body[0].id).toBe(u.id); // newest first
    expect((await call(emu, 'GET', '/v1/users/count')).body.total_count).toBe(21);
    expect(emu.store.secretsOf(u.id)).toEqual({ has_password: false });
    expect(emu.store.secretsOf('user_nope')).toBeUndefined();
  });

  it('every property: identifiers in order with reserved ones, passwords, TOTP, backup codes, dates, metadata, flags; secrets kept', async () => {
    const emu = await start({ now });
    const body = {
      external_id: 'legacy-42',
      first_name: 'Zoë',
      last_name: "O'Brien, \"Jr\"",
      locale: 'fr-FR',
      email_address: ['first@example.com', 'second@example.com', 'third@example.com'],
      email_address_identification_status: ['verified', 'reserved', 'verified'],
      phone_number: ['+14155550100', '+447700900123'],
      phone_number_identification_status: ['reserved', 'verified'],
      web3_wallet: ['0x52908400098527886E0F7030069857D2E4169EE7', 'HN7cABqLq46Es1jh92dQQisAq662SmxELLLsHHe4YWrH'],
      username: 'zoe_obrien',
      password_digest: BCRYPT,
      password_hasher: 'bcrypt',
      skip_password_checks: null,
      totp_secret: 'JBSWY3DPEHPK3PXP',
      backup_codes: ['abc123', 'def456'],
      public_metadata: { plan: 'pro', nested: { a: [1, { b: null }] } },
      private_metadata: { stripe: 'cus_1' },
      unsafe_metadata: {},
      delete_self_enabled: false,
      create_organization_enabled: false,
      create_organizations_limit: 3,
      legal_accepted_at: '2021-03-04T05:06:07.891+02:00',
      skip_legal_checks: true,
      skip_user_requirement: true,
      created_at: '2019-12-31T23:59:59.999999Z',
      bypass_client_trust: true,
      banned: true,
      locked: true,
    };
    const u = await created(emu, body);
    expect(userProblems(u)).toEqual([]);
    expect(u.email_addresses.map((e: any) => [e.email_address, e.reserved, e.verification])).toEqual([
      ['first@example.com', false, { object: 'verification_admin', status: 'verified', strategy: 'admin', attempts: null, expire_at: null }],
      ['second@example.com', true, { object: 'verification_otp', status: 'unverified', strategy: 'email_code', attempts: null, expire_at: null }],
      ['third@example.com', false, expect.objectContaining({ object: 'verification_admin' })],
    ]);
    expect(u.phone_numbers.map((p: any) => [p.phone_number, p.reserved, p.verification.object, p.verification.status, p.verification.strategy ?? null])).toEqual([
      ['+14155550100', true, 'verification_otp', 'unverified', 'phone_code'],
      ['+447700900123', false, 'verification_admin', 'verified', 'admin'],
    ]);
    expect(u.web3_wallets.map((w: any) => w.web3_wallet)).toEqual(body.web3_wallet);
    expect(u.primary_email_address_id).toBe(u.email_addresses[0].id);
    expect(u.primary_phone_number_id).toBe(u.phone_numbers[0].id);
    expect(u.primary_web3_wallet_id).toBe(u.web3_wallets[0].id);
    const ids = [...u.email_addresses, ...u.phone_numbers, ...u.web3_wallets].map((x: any) => x.id);
    expect(new Set(ids).size).toBe(7);
    expect(u).toMatchObject({
      external_id: 'legacy-42', first_name: 'Zoë', last_name: body.last_name, locale: 'fr-FR', username: 'zoe_obrien',
      public_metadata: body.public_metadata, private_metadata: body.private_metadata, unsafe_metadata: {},
      password_enabled: true, password_last_updated_at: NOW, totp_enabled: true, two_factor_enabled: true, mfa_enabled_at: NOW, backup_code_enabled: true,
      delete_self_enabled: false, create_organization_enabled: false, create_organizations_limit: 3, bypass_client_trust: true,
      banned: true, locked: true, verification_attempts_remaining: 0, lockout_expires_in_seconds: null,
      created_at: Date.UTC(2019, 11, 31, 23, 59, 59, 999), updated_at: NOW, legal_accepted_at: Date.UTC(2021, 2, 4, 3, 6, 7, 891),
    });
    expect(emu.store.secretsOf(u.id)).toEqual({ has_password: false, password_digest: BCRYPT, password_hasher: 'bcrypt', totp_secret: 'JBSWY3DPEHPK3PXP', backup_codes: ['abc123', 'def456'] });
    expect(JSON.stringify(u)).not.toMatch(/JBSWY3DPEHPK3PXP|abc123|\$2b\$/); // secrets never in the User JSON
    // a plaintext password: flagged, not stored
    const p = await created(emu, { username: 'plain', password: 'correct horse battery' });
    expect(p.password_enabled).toBe(true);
    expect(emu.store.secretsOf(p.id)).toEqual({ has_password: true });
    expect(JSON.stringify(emu.store.secretsOf(p.id))).not.toContain('horse');
  });

  it('accepts every documented hasher with a digest of its documented shape, and the nullable properties as null', async () => {
    const emu = await start();
    const digests: Record<string, string[]> = {
      bcrypt: [BCRYPT, BCRYPT.replace('$2b$', '$2a$'), BCRYPT.replace('$2b$', '$2y$')],
      bcrypt_peppered: [`${BCRYPT}$pepper`],
      bcrypt_sha256_django: [`bcrypt_sha256$${BCRYPT}`],
      md5: [MD5, MD5.toUpperCase()],
      sha256: [SHA256],
      md5_salted: [`somesalt$${MD5}`, `${MD5}$somesalt`],
      sha256_salted: [`s4lt$${SHA256}`, `${SHA256}$s4lt`],
      argon2i: ['$argon2i$v=19$m=4096,t=3,p=1$4t6CL3P7YiHBtwESXawI8Hm20zJj4cs7/4/G3c187e0$m7RQFczcKr5bIR0IIxbpO2P0tyrLjf3eUW3M3QSwnLc'],
      argon2id: ['$argon2id$v=19$m=64,t=4,p=8$Z2liZXJyaXNo$iGXEpMBTDYQ8G/71tF0qGjxRHEmR3gpGULcE93zUJVU'],
      awscognito: ['awscognito#us-east-1_AbC#clientid123#user@example.com'],
      scrypt_firebase: ['lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==$42xEC+ixf3L2lw==$Bw==$rounds$8$14'.replace('$rounds', '$c2Vw')],
      hmac_sha256_utf16_b64: ['hmac_sha256_utf16_b64$aGFzaA==$a2V5'],
      pbkdf2_sha256: ['pbkdf2_sha256$260000$c2FsdA==$aGFzaA=='],
      pbkdf2_sha256_django: ['pbkdf2_sha256$260000$salt$aGFzaA=='],
      pbkdf2_sha1: ['pbkdf2_sha1$10000$73616c74$68617368'],
      pbkdf2_sha512: ['pbkdf2_sha512$10000$salt$68617368'],
      pbkdf2_sha512_hex: ['pbkdf2_sha512_hex$10000$73616c74$68617368'],
      phpass: ['$P$984478476IagS59wHZvyQMArzfx58u.'],
      md5_phpass: ['$H$984478476IagS59wHZvyQMArzfx58u.'],
      scrypt_werkzeug: ['scrypt:32768:8:1$salt$hash'],
      ldap_ssha: ['{SSHA}aGFzaHNhbHQ='],
      sha512_symfony: ['aGFzaA==$salt'],
    };
    expect(Object.keys(digests).sort()).toEqual([...PASSWORD_HASHERS].sort());
    let n = 0;
    for (const [hasher, list] of Object.entries(digests)) {
      for (const digest of list) {
        const r = await create(emu, { username: `h${n++}`, password_digest: digest, password_hasher: hasher });
        expect(r.status, `${hasher} ${digest} ${JSON.stringify(r.body)}`).toBe(200);
        expect(emu.store.secretsOf(r.body.id)).toMatchObject({ password_digest: digest, password_hasher: hasher, has_password: false });
      }
    }
    const nulls = Object.fromEntries(Object.entries(CREATE_FIELDS).filter(([, f]) => f.nullable).map(([k]) => [k, null]));
    const r = await create(emu, { ...nulls, username: 'all_null_but_me' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(userProblems(r.body)).toEqual([]);
    // empty status arrays mean "all verified"; a short password passes with skip_password_checks
    const s = await create(emu, { email_address: ['e@x.io'], email_address_identification_status: [], phone_number_identification_status: [], password: 'short', skip_password_checks: true });
    expect(s.status, JSON.stringify(s.body)).toBe(200);
    expect(s.body.email_addresses[0].verification.status).toBe('verified');
  });

  it('422 for each rule, with its code and param_name; nothing is created', async () => {
    const emu = await start({ users: 5, seed: 8 });
    const ok = { email_address: ['ok@example.com'] };
    const cases: Array<[unknown, number, string, unknown]> = [
      [{ ...ok, foo: 1 }, 422, 'form_param_unknown', 'foo'],
      [{ ...ok, primary_email_address_id: 'idn_x' }, 422, 'form_param_unknown', 'primary_email_address_id'],
      [{ ...ok, first_name: 5 }, 422, 'form_param_value_invalid', 'first_name'],
      [{ email_address: 'ok@example.com' }, 422, 'form_param_value_invalid', 'email_address'],
      [{ email_address: ['ok@example.com', 7] }, 422, 'form_param_value_invalid', 'email_address'],
      [{ ...ok, banned: 'true' }, 422, 'form_param_value_invalid', 'banned'],
      [{ ...ok, create_organizations_limit: 1.5 }, 422, 'form_param_value_invalid', 'create_organizations_limit'],
      [{ ...ok, create_organizations_limit: '3' }, 422, 'form_param_value_invalid', 'create_organizations_limit'],
      [{ ...ok, public_metadata: ['a'] }, 422, 'form_param_value_invalid', 'public_metadata'],
      [{ ...ok, private_metadata: 'x' }, 422, 'form_param_value_invalid', 'private_metadata'],
      [{ ...ok, created_at: NOW }, 422, 'form_param_value_invalid', 'created_at'],
      [{ email_address: null, username: 'u1' }, 422, 'form_param_nil', 'email_address'],
      [{ ...ok, private_metadata: null }, 422, 'form_param_nil', 'private_metadata'],
      [{ ...ok, password_hasher: null }, 422, 'form_param_nil', 'password_hasher'],
      [{ ...ok, backup_codes: null }, 422, 'form_param_nil', 'backup_codes'],
      [{ ...ok, email_address_identification_status: ['unverified'] }, 422, 'form_param_value_invalid', 'email_address_identification_status'],
      [{ email_address: ['not-an-email'] }, 422, 'form_param_format_invalid', 'email_address'],
      [{ email_address: ['a b@example.com'] }, 422, 'form_param_format_invalid', 'email_address'],
      [{ email_address: ['a@nodot'] }, 422, 'form_param_format_invalid', 'email_address'],
      [{ email_address: [''] }, 422, 'form_param_format_invalid', 'email_address'],
      [{ phone_number: ['4155550100'] }, 422, 'form_param_format_invalid', 'phone_number'],
      [{ phone_number: ['+1234567'] }, 422, 'form_param_format_invalid', 'phone_number'],
      [{ phone_number: ['+1234567890123456'] }, 422, 'form_param_format_invalid', 'phone_number'],
      [{ phone_number: ['+0155550100'] }, 422, 'form_param_format_invalid', 'phone_number'],
      [{ phone_number: ['+1 415 555 0100'] }, 422, 'form_param_format_invalid', 'phone_number'],
      [{ web3_wallet: ['0x1234'] }, 422, 'form_param_format_invalid', 'web3_wallet'],
      [{ web3_wallet: ['0xZZ908400098527886E0F7030069857D2E4169EE7'] }, 422, 'form_param_format_invalid', 'web3_wallet'],
      [{ ...ok, locale: 'not a locale!' }, 422, 'form_param_format_invalid', 'locale'],
      [{ ...ok, created_at: '2024-01-01' }, 422, 'form_param_invalid_time', 'created_at'],
      [{ ...ok, created_at: '2024-02-30T00:00:00Z' }, 422, 'form_param_invalid_time', 'created_at'],
      [{ ...ok, created_at: '2023-02-29T00:00:00Z' }, 422, 'form_param_invalid_time', 'created_at'],
      [{ ...ok, created_at: '2024-01-01T24:00:00Z' }, 422, 'form_param_invalid_time', 'created_at'],
      [{ ...ok, created_at: '2024-01-01 00:00:00Z' }, 422, 'form_param_invalid_time', 'created_at'],
      [{ ...ok, created_at: '2024-01-01T00:00:00' }, 422, 'form_param_invalid_time', 'created_at'],
      [{ ...ok, legal_accepted_at: 'yesterday' }, 422, 'form_param_invalid_time', 'legal_accepted_at'],
      [{ email_address: ['a@x.io', 'b@x.io'], email_address_identification_status: ['verified'] }, 422, 'form_param_array_length_mismatch', 'email_address_identification_status'],
      [{ ...ok, phone_number_identification_status: ['verified'] }, 422, 'form_param_array_length_mismatch', 'phone_number_identification_status'],
      [{ phone_number: ['+14155550100'], phone_number_identification_status: ['reserved', 'verified'] }, 422, 'form_param_array_length_mismatch', 'phone_number_identification_status'],
      [{ ...ok, password_digest: BCRYPT }, 422, 'form_conditional_param_missing', 'password_hasher'],
      [{ ...ok, password_hasher: 'bcrypt' }, 422, 'form_conditional_param_missing', 'password_digest'],
      [{ ...ok, password_digest: BCRYPT, password_hasher: 'rot13' }, 422, 'form_param_value_invalid', 'password_hasher'],
      [{ ...ok, password_digest: BCRYPT, password_hasher: 'BCRYPT' }, 422, 'form_param_value_invalid', 'password_hasher'],
      [{ ...ok, password_digest: '$2b$10$short', password_hasher: 'bcrypt' }, 422, 'form_password_digest_invalid_code', 'password_digest'],
      [{ ...ok, password_digest: BCRYPT.replace('$2b$', '$2c$'), password_hasher: 'bcrypt' }, 422, 'form_password_digest_invalid_code', 'password_digest'],
      [{ ...ok, password_digest: BCRYPT.replace('$10$', '$99$'), password_hasher: 'bcrypt' }, 422, 'form_password_digest_invalid_code', 'password_digest'],
      [{ ...ok, password_digest: MD5, password_hasher: 'bcrypt' }, 422, 'form_password_digest_invalid_code', 'password_digest'],
      [{ ...ok, password_digest: MD5.slice(1), password_hasher: 'md5' }, 422, 'form_password_digest_invalid_code', 'password_digest'],
      [{ ...ok, password_digest: SHA256.replace('9', 'g'), password_hasher: 'sha256' }, 422, 'form_password_digest_invalid_code', 'password_digest'],
      [{ ...ok, password_digest: MD5, password_hasher: 'md5_salted' }, 422, 'form_password_digest_invalid_code', 'password_digest'],
      [{ ...ok, password_digest: `salt$${SHA256.slice(1)}`, password_hasher: 'sha256_salted' }, 422, 'form_password_digest_invalid_code', 'password_digest'],
      [{ ...ok, password_digest: '', password_hasher: 'pbkdf2_sha256' }, 422, 'form_password_digest_invalid_code', 'password_digest'],
      [{ ...ok, password_digest: 'awscognito#pool', password_hasher: 'awscognito' }, 422, 'form_password_digest_invalid_code', 'password_digest'],
      [{ ...ok, password: 'short' }, 422, 'form_password_length_too_short', 'password'],
      [{ ...ok, password: 'seven77', skip_password_checks: false }, 422, 'form_password_length_too_short', 'password'],
      [{ ...ok, totp_secret: 'not base32!' }, 422, 'invalid_totp_secret_code', 'totp_secret'],
      [{ ...ok, totp_secret: 'JBSWY3DPEHPK3PX1' }, 422, 'invalid_totp_secret_code', 'totp_secret'],
      [{ ...ok, totp_secret: '' }, 422, 'invalid_totp_secret_code', 'totp_secret'],
      [{ first_name: 'No', last_name: 'Identifier' }, 422, 'form_data_missing', undefined],
      [{ first_name: 'No', skip_user_requirement: false, username: '' }, 422, 'form_data_missing', undefined],
      [{ email_address: [], phone_number: [], web3_wallet: [] }, 422, 'form_data_missing', undefined],
      [{ email_address: ['twice@x.io', 'TWICE@x.io'] }, 422, 'form_identifier_exists', 'email_address'],
    ];
    for (const [body, status, code, paramName] of cases) {
      const r = await create(emu, body);
      expect(err(r), JSON.stringify(body)).toEqual([status, code, paramName]);
      expect(Object.keys(r.body.errors[0]).sort()).toEqual(['code', 'long_message', 'message', 'meta']);
      expect(r.body.errors[0].long_message).not.toMatch(/<|%[qdv]/); // placeholders filled in
    }
    const missing = await create(emu, {});
    expect(missing.body.errors[0].meta).toEqual({ param_names: ['email_address', 'phone_number', 'web3_wallet', 'username'] });
    expect(emu.store.size).toBe(5);
    expect(emu.stats.creates).toBe(0);
    // skip_user_requirement does not lift "at least one identifier" (docs/clerk-api.md, "Creating and updating users")
    const bare = await create(emu, { first_name: 'Only', last_name: 'Names', skip_user_requirement: true });
    expect(bare.status, JSON.stringify(bare.body)).toBe(422);
    expect(bare.body.errors[0].code).toBe('form_data_missing');
    expect(emu.store.size).toBe(5);
  });

  it('body problems: malformed JSON or a non-object is 400 request_body_invalid, another content type 415', async () => {
    const emu = await start();
    for (const raw of ['{"email_address": [', '[]', '"x"', 'null', '42']) {
      const r = await call(emu, 'POST', '/v1/users', undefined, { raw, headers: { 'Content-Type': 'application/json' } });
      expect(err(r), raw).toEqual([400, 'request_body_invalid', undefined]);
    }
    const form = await call(emu, 'POST', '/v1/users', undefined, { raw: 'email_address=a@b.io', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    expect(err(form)).toEqual([415, 'unsupported_content_type', undefined]);
    const charset = await call(emu, 'POST', '/v1/users', undefined, { raw: '{"username":"charset_ok"}', headers: { 'Content-Type': 'application/json; charset=utf-8' } });
    expect(charset.status).toBe(200);
    expect(emu.store.size).toBe(1);
  });

  it('uniqueness across the instance: emails (any case), phones, usernames (any case), web3 wallets, external_id; freed by delete and by update', async () => {
    const emu = await start({ users: 30, seed: 5 });
    const existing = emu.store.all().find((u) => (u.email_addresses as unknown[]).length > 0 && (u.phone_numbers as unknown[]).length > 0)!;
    const taken = (existing.email_addresses as Array<{ email_address: string }>)[0]!.email_address;
    expect(err(await create(emu, { email_address: [taken.toUpperCase()] }))).toEqual([422, 'form_identifier_exists', 'email_address']);
    expect(err(await create(emu, { phone_number: [(existing.phone_numbers as Array<{ phone_number: string }>)[0]!.phone_number] }))).toEqual([422, 'form_identifier_exists', 'phone_number']);

    const a = await created(emu, { email_address: ['Mixed.Case@Example.com'], phone_number: ['+14155550199'], username: 'Unique_Name', web3_wallet: ['0x52908400098527886e0f7030069857d2e4169ee7'], external_id: 'ext-1' });
    const dupes: Array<[Record<string, unknown>, string]> = [
      [{ email_address: ['mixed.case@EXAMPLE.COM'] }, 'email_address'],
      [{ email_address: ['new@x.io'], phone_number: ['+14155550199'] }, 'phone_number'],
      [{ username: 'unique_NAME' }, 'username'],
      [{ web3_wallet: ['0x52908400098527886E0F7030069857D2E4169EE7'] }, 'web3_wallet'],
      [{ username: 'fresh', external_id: 'ext-1' }, 'external_id'],
    ];
    for (const [body, param] of dupes) expect(err(await create(emu, body)), JSON.stringify(body)).toEqual([422, 'form_identifier_exists', param]);
    expect((await create(emu, { username: 'other', external_id: 'EXT-1' })).status).toBe(200); // external_id compares exactly

    // an update frees the old username and takes the new one
    expect((await call(emu, 'PATCH', `/v1/users/${a.id}`, { username: 'renamed', external_id: null })).status).toBe(200);
    expect(err(await create(emu, { username: 'RENAMED' }))).toEqual([422, 'form_identifier_exists', 'username']);
    expect((await create(emu, { username: 'unique_name', external_id: 'ext-1' })).status).toBe(200);
    // a delete frees everything
    expect((await call(emu, 'DELETE', `/v1/users/${a.id}`)).status).toBe(200);
    expect((await create(emu, { email_address: ['MIXED.case@example.com'], phone_number: ['+14155550199'], web3_wallet: ['0x52908400098527886E0F7030069857D2E4169EE7'] })).status).toBe(200);
  });

  it('userQuota: 403 user_quota_exceeded once the instance is full; a delete makes room; an invalid body is still a 422', async () => {
    const emu = await start({ users: 2, userQuota: 3 });
    const u = await created(emu, { username: 'third' });
    const full = await create(emu, { username: 'fourth' });
    expect(err(full)).toEqual([403, 'user_quota_exceeded', undefined]);
    expect(full.body.errors[0].long_message).toMatch(/limit of 3 users/);
    expect(err(await create(emu, { username: 'x', foo: 1 }))[1]).toBe('form_param_unknown');
    await call(emu, 'DELETE', `/v1/users/${u.id}`);
    expect((await create(emu, { username: 'fourth' })).status).toBe(200);
    expect(emu.store.size).toBe(3);
  });

  it('requirePassword: a create without a password needs skip_password_requirement', async () => {
    const emu = await start({ requirePassword: true });
    const r = await create(emu, { username: 'nopass' });
    expect(err(r)).toEqual([422, 'form_data_missing', undefined]);
    expect(r.body.errors[0].meta).toEqual({ param_names: ['password'] });
    expect((await create(emu, { username: 'nopass', skip_password_requirement: true })).status).toBe(200);
    expect((await create(emu, { username: 'withpass', password: 'long enough' })).status).toBe(200);
  });

  it('every generated user can be created again from its own identifiers, names, metadata and settings (the export → import round trip)', async () => {
    // Users without any identifier (SSO-only) cannot be created in Clerk; the importer reports them.
    const source = generateUsers(300, { seed: 77 }).filter(
      (u) => [u.email_addresses, u.phone_numbers, u.web3_wallets].some((a) => (a as unknown[]).length > 0) || typeof u.username === 'string',
    );
    const emu = await start();
    const iso = (ms: unknown) => (typeof ms === 'number' ? new Date(ms).toISOString() : undefined);
    const values = (u: ClerkUser, k: string, v: string) => (u[k] as Array<Record<string, unknown>>).map((x) => x[v] as string);
    for (const s of source) {
      const body: Record<string, unknown> = {
        external_id: s.external_id ?? s.id,
        first_name: s.first_name,
        last_name: s.last_name,
        locale: s.locale,
        email_address: values(s, 'email_addresses', 'email_address'),
        phone_number: values(s, 'phone_numbers', 'phone_number'),
        web3_wallet: values(s, 'web3_wallets', 'web3_wallet'),
        username: s.username,
        public_metadata: s.public_metadata,
        private_metadata: s.private_metadata ?? {},
        unsafe_metadata: s.unsafe_metadata,
        created_at: iso(s.created_at),
        legal_accepted_at: iso(s.legal_accepted_at) ?? null,
        banned: s.banned,
        locked: s.locked,
        delete_self_enabled: s.delete_self_enabled,
        create_organization_enabled: s.create_organization_enabled,
        create_organizations_limit: s.create_organizations_limit,
        bypass_client_trust: s.bypass_client_trust,
        skip_user_requirement: true,
      };
      const r = await create(emu, body);
      expect(r.status, `${s.id}: ${JSON.stringify(r.body)}`).toBe(200);
      const problems = userProblems(r.body, s.id);
      expect(problems).toEqual([]);
      for (const k of ['first_name', 'last_name', 'locale', 'username', 'public_metadata', 'created_at', 'legal_accepted_at', 'banned', 'locked', 'create_organizations_limit']) {
        expect(r.body[k], `${s.id}.${k}`).toEqual(s[k]);
      }
    }
    expect(emu.store.size).toBe(source.length);
  });
});

describe('writes are visible to every read at once, indexes included', () => {
  it('list, count, get and every filter and ordering agree with a store rebuilt from scratch after creates, updates and deletes', async () => {
    const emu = await start({ users: 200, seed: 12, now });
    const auth = (p: string) => call(emu, 'GET', p);
    // build every per-field order first, so the writes must maintain them
    for (const f of ORDER_FIELDS) expect((await auth(`/v1/users?order_by=-${f}&limit=1`)).status).toBe(200);
    const existing = emu.store.all();
    const mid = existing[100]!.created_at;
    clock.t = NOW + 1000;
    const a = await created(emu, { email_address: ['aaa@first.io'], username: 'aaa_first', first_name: 'Aaron', external_id: 'ext-a', created_at: new Date(mid).toISOString() });
    const b = await created(emu, { phone_number: ['+19995550100'], last_name: 'Zzz', external_id: 'ext-b', web3_wallet: ['0x0000000000000000000000000000000000000001'] });
    const c = await created(emu, { email_address: ['ccc@x.io'], username: 'ccc' });
    expect((await auth('/v1/users?external_id=ext-a')).body.map((u: ClerkUser) => u.id)).toEqual([a.id]);
    expect((await auth('/v1/users?external_id=ext-b&external_id=ext-a&order_by=%2Bcreated_at')).body.map((u: ClerkUser) => u.id)).toEqual([a.id, b.id]);
    expect((await auth('/v1/users/count?external_id=ext-b')).body.total_count).toBe(1);
    expect((await auth('/v1/users?order_by=-updated_at&limit=3')).body.map((u: ClerkUser) => u.id).sort()).toEqual([a.id, b.id, c.id].sort());
    expect((await auth('/v1/users?query=aaa_fir')).body.map((u: ClerkUser) => u.id)).toEqual([a.id]);
    expect((await auth('/v1/users?phone_number=%2B19995550100')).body.map((u: ClerkUser) => u.id)).toEqual([b.id]);
    expect((await auth(`/v1/users?created_at_after=${mid - 1}&created_at_before=${mid + 1}`)).body.map((u: ClerkUser) => u.id)).toContain(a.id);

    clock.t = NOW + 2000;
    expect((await call(emu, 'PATCH', `/v1/users/${a.id}`, { username: 'zzz_last', first_name: null, created_at: '2030-01-01T00:00:00Z' })).status).toBe(200);
    expect((await call(emu, 'PATCH', `/v1/users/${existing[5]!.id}/metadata`, { public_metadata: { touched: true } })).status).toBe(200);
    expect((await call(emu, 'DELETE', `/v1/users/${existing[7]!.id}`)).status).toBe(200);
    expect((await call(emu, 'DELETE', `/v1/users/${c.id}`)).status).toBe(200);
    expect((await auth('/v1/users?limit=1')).body[0].id).toBe(a.id); // created_at moved to 2030: newest
    expect((await auth('/v1/users?username=aaa_first')).body).toEqual([]);
    expect((await auth('/v1/users?order_by=-updated_at&limit=2')).body.map((u: ClerkUser) => u.id).sort()).toEqual([a.id, existing[5]!.id].sort());
    expect((await auth(`/v1/users/${c.id}`)).status).toBe(404);
    expect((await auth('/v1/users/count')).body.total_count).toBe(201);

    const rebuilt = new UserStore(emu.store.all());
    for (const f of ORDER_FIELDS) {
      expect(emu.store.rowsBy(f).map((r) => r.id), f).toEqual(rebuilt.rowsBy(f).map((r) => r.id));
      const page = (await auth(`/v1/users?order_by=%2B${f}&limit=500`)).body.map((u: ClerkUser) => u.id);
      expect(page, f).toEqual(rebuilt.rowsBy(f).map((r) => r.id));
    }
    // cursor paging over the whole store after the writes
    const ids: string[] = [];
    for (let cursor: string | undefined; ; ) {
      const page = (await auth(`/v1/users?order_by=%2Bcreated_at&limit=37${cursor ? `&starting_after=${cursor}` : ''}`)).body as ClerkUser[];
      ids.push(...page.map((u) => u.id));
      if (page.length < 37) break;
      cursor = page[page.length - 1]!.id;
    }
    expect(ids).toEqual(rebuilt.rowsByCreated().map((r) => r.id));
    clock.t = NOW;
  });
});

describe('PATCH /v1/users/{user_id}', () => {
  it('updates names, identifiers, settings, passwords, TOTP and dates; bumps updated_at; the result is a valid User', async () => {
    const emu = await start({ now });
    const u = await created(emu, { email_address: ['one@x.io', 'two@x.io', 'three@x.io'], email_address_identification_status: ['verified', 'verified', 'reserved'], phone_number: ['+14155550101'], username: 'before', external_id: 'e1', first_name: 'A', locale: 'en-US' });
    clock.t = NOW + 60_000;
    const r = await call(emu, 'PATCH', `/v1/users/${u.id}`, {
      first_name: 'Ann', last_name: 'Lee', locale: 'de-DE', username: 'after', external_id: 'e2', primary_email_address_id: u.email_addresses[1].id,
      notify_primary_email_address_changed: true, password: 'a long password', sign_out_of_other_sessions: true, totp_secret: 'JBSWY3DPEHPK3PXP',
      backup_codes: ['one', 'two'], delete_self_enabled: false, create_organization_enabled: false, create_organizations_limit: 0,
      legal_accepted_at: '2020-01-01T00:00:00Z', skip_legal_checks: true, created_at: '2018-06-01T12:00:00.5Z', bypass_client_trust: true,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(userProblems(r.body)).toEqual([]);
    expect(r.body).toMatchObject({
      id: u.id, first_name: 'Ann', last_name: 'Lee', locale: 'de-DE', username: 'after', external_id: 'e2', primary_email_address_id: u.email_addresses[1].id,
      password_enabled: true, password_last_updated_at: NOW + 60_000, totp_enabled: true, two_factor_enabled: true, mfa_enabled_at: NOW + 60_000, backup_code_enabled: true,
      delete_self_enabled: false, create_organization_enabled: false, create_organizations_limit: 0, legal_accepted_at: Date.UTC(2020, 0, 1),
      created_at: Date.UTC(2018, 5, 1, 12, 0, 0, 500), updated_at: NOW + 60_000, bypass_client_trust: true,
    });
    expect(emu.store.secretsOf(u.id)).toEqual({ has_password: true, totp_secret: 'JBSWY3DPEHPK3PXP', backup_codes: ['one', 'two'] });
    expect((await call(emu, 'GET', `/v1/users/${u.id}`)).body).toEqual(r.body);

    // a digest replaces the plaintext flag; null / "" clear; nulls of other properties change nothing
    clock.t = NOW + 120_000;
    const r2 = await call(emu, 'PATCH', `/v1/users/${u.id}`, { password_digest: MD5, password_hasher: 'md5', username: '', external_id: null, first_name: null, locale: null, legal_accepted_at: null, create_organizations_limit: null, delete_self_enabled: null, primary_email_address_id: null, created_at: null, totp_secret: null, backup_codes: [] });
    expect(r2.status, JSON.stringify(r2.body)).toBe(200);
    expect(r2.body).toMatchObject({ username: null, external_id: null, first_name: null, last_name: 'Lee', locale: null, legal_accepted_at: null, create_organizations_limit: null, delete_self_enabled: false, primary_email_address_id: u.email_addresses[1].id, created_at: Date.UTC(2018, 5, 1, 12, 0, 0, 500), totp_enabled: true, backup_code_enabled: false, updated_at: NOW + 120_000 });
    expect(emu.store.secretsOf(u.id)).toEqual({ has_password: false, password_digest: MD5, password_hasher: 'md5', totp_secret: 'JBSWY3DPEHPK3PXP' });
    // an empty body still counts as an update
    clock.t = NOW + 180_000;
    expect((await call(emu, 'PATCH', `/v1/users/${u.id}`, {})).body.updated_at).toBe(NOW + 180_000);
    expect(emu.stats.updates).toBe(3);
    clock.t = NOW;
  });

  it('422s: metadata is unknown at 2026-05-12, types, primary ids, password rules, uniqueness; 404 for an unknown user', async () => {
    const emu = await start({ users: 3, seed: 2 });
    const other = emu.store.all()[0]!;
    const u = await created(emu, { email_address: ['p@x.io', 'r@x.io'], email_address_identification_status: ['verified', 'reserved'], username: 'mine' });
    const cases: Array<[unknown, number, string, unknown]> = [
      [{ public_metadata: { a: 1 } }, 422, 'form_param_unknown', 'public_metadata'],
      [{ private_metadata: {} }, 422, 'form_param_unknown', 'private_metadata'],
      [{ email_address: ['x@y.io'] }, 422, 'form_param_unknown', 'email_address'],
      [{ banned: true }, 422, 'form_param_unknown', 'banned'],
      [{ first_name: ['A'] }, 422, 'form_param_value_invalid', 'first_name'],
      [{ password_digest: null }, 422, 'form_param_nil', 'password_digest'],
      [{ locale: 'english please' }, 422, 'form_param_format_invalid', 'locale'],
      [{ created_at: 'now' }, 422, 'form_param_invalid_time', 'created_at'],
      [{ primary_email_address_id: 'idn_unknown' }, 422, 'form_resource_not_found', 'primary_email_address_id'],
      [{ primary_email_address_id: u.email_addresses[1].id }, 422, 'form_param_value_invalid', 'primary_email_address_id'],
      [{ primary_phone_number_id: 'idn_unknown' }, 422, 'form_resource_not_found', 'primary_phone_number_id'],
      [{ profile_image_id: 'img_1' }, 422, 'form_resource_not_found', 'profile_image_id'],
      [{ password: 'short' }, 422, 'form_password_length_too_short', 'password'],
      [{ skip_password_checks: true }, 422, 'form_conditional_param_missing', 'password'],
      [{ sign_out_of_other_sessions: true, password_digest: BCRYPT, password_hasher: 'bcrypt' }, 422, 'form_conditional_param_missing', 'password'],
      [{ password_digest: 'nope', password_hasher: 'bcrypt' }, 422, 'form_password_digest_invalid_code', 'password_digest'],
      [{ password_hasher: 'bcrypt' }, 422, 'form_conditional_param_missing', 'password_digest'],
      [{ totp_secret: '0000' }, 422, 'invalid_totp_secret_code', 'totp_secret'],
      [{ username: (other.username as string | null) ?? 'unused' }, other.username ? 422 : 200, other.username ? 'form_identifier_exists' : (undefined as unknown as string), other.username ? 'username' : undefined],
    ];
    for (const [body, status, code, paramName] of cases) {
      const r = await call(emu, 'PATCH', `/v1/users/${u.id}`, body);
      if (status === 200) expect(r.status).toBe(200);
      else expect(err(r), JSON.stringify(body)).toEqual([status, code, paramName]);
    }
    const taken = await created(emu, { username: 'taken_name', external_id: 'taken-ext' });
    expect(err(await call(emu, 'PATCH', `/v1/users/${u.id}`, { username: 'TAKEN_NAME' }))).toEqual([422, 'form_identifier_exists', 'username']);
    expect(err(await call(emu, 'PATCH', `/v1/users/${u.id}`, { external_id: 'taken-ext' }))).toEqual([422, 'form_identifier_exists', 'external_id']);
    expect((await call(emu, 'PATCH', `/v1/users/${taken.id}`, { username: 'Taken_Name', external_id: 'taken-ext' })).status).toBe(200); // its own values
    const missing = await call(emu, 'PATCH', '/v1/users/user_missing', { first_name: 'x' });
    expect(missing.status).toBe(404);
    expect(missing.body.errors[0]).toMatchObject({ code: 'resource_not_found', long_message: 'No user was found with id user_missing' });
    expect((await call(emu, 'PATCH', '/v1/users/user_missing', { foo: 1 })).status).toBe(404); // 404 before body problems
    expect(emu.store.get(u.id)!.username).toBe('mine');
  });

  it('a request naming an API version before 2026-05-12 may still send metadata (replaced wholesale)', async () => {
    const emu = await start();
    const u = await created(emu, { username: 'legacy', public_metadata: { a: 1, b: 2 } });
    const r = await call(emu, 'PATCH', `/v1/users/${u.id}`, { public_metadata: { c: 3 } }, { headers: { 'Clerk-API-Version': '2025-11-10' } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.public_metadata).toEqual({ c: 3 });
    expect(err(await call(emu, 'PATCH', `/v1/users/${u.id}`, { public_metadata: {} }, { headers: { 'Clerk-API-Version': '2026-05-12' } }))).toEqual([422, 'form_param_unknown', 'public_metadata']);
  });
});

describe('metadata endpoints', () => {
  it('PATCH deep-merges (null deletes at any level, arrays replace); PUT replaces each given object and leaves the others', async () => {
    const emu = await start({ now });
    const u = await created(emu, { username: 'meta', public_metadata: { a: 1, nested: { keep: true, drop: 'x', deeper: { n: 1 } }, list: [1, 2] }, unsafe_metadata: { u: 1 } });
    clock.t = NOW + 5;
    const r = await call(emu, 'PATCH', `/v1/users/${u.id}/metadata`, { public_metadata: { b: 2, nested: { drop: null, deeper: { m: 2 }, added: { z: null, y: 1 } }, list: [3], a: null }, private_metadata: { secret: 's' } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.public_metadata).toEqual({ nested: { keep: true, deeper: { n: 1, m: 2 }, added: { y: 1 } }, list: [3], b: 2 });
    expect(r.body.private_metadata).toEqual({ secret: 's' });
    expect(r.body.unsafe_metadata).toEqual({ u: 1 });
    expect(r.body.updated_at).toBe(NOW + 5);
    expect(userProblems(r.body)).toEqual([]);
    const put = await call(emu, 'PUT', `/v1/users/${u.id}/metadata`, { public_metadata: { only: [null, { x: null }] }, unsafe_metadata: {} });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ public_metadata: { only: [null, { x: null }] }, private_metadata: { secret: 's' }, unsafe_metadata: {} });
    expect((await call(emu, 'GET', `/v1/users/${u.id}`)).body).toEqual(put.body);
    // a body is optional for both
    expect((await call(emu, 'PATCH', `/v1/users/${u.id}/metadata`)).status).toBe(200);
    expect((await call(emu, 'PUT', `/v1/users/${u.id}/metadata`, {})).body.public_metadata).toEqual({ only: [null, { x: null }] });
    // a user whose private_metadata is null (generated) merges into {}
    const gen = generateUsers(6, { seed: 1 }).find((g) => g.private_metadata === null)!;
    emu.store.add(gen);
    expect((await call(emu, 'PATCH', `/v1/users/${gen.id}/metadata`, { private_metadata: { k: 1 } })).body.private_metadata).toEqual({ k: 1 });
    expect(emu.stats.updates).toBe(5);
    clock.t = NOW;
  });

  it('422 for unknown keys, null or non-object metadata; 404 for an unknown user', async () => {
    const emu = await start();
    const u = await created(emu, { username: 'm' });
    for (const method of ['PATCH', 'PUT']) {
      const p = `/v1/users/${u.id}/metadata`;
      expect(err(await call(emu, method, p, { first_name: 'x' }))).toEqual([422, 'form_param_unknown', 'first_name']);
      expect(err(await call(emu, method, p, { public_metadata: null }))).toEqual([422, 'form_param_nil', 'public_metadata']);
      expect(err(await call(emu, method, p, { private_metadata: [1] }))).toEqual([422, 'form_param_value_invalid', 'private_metadata']);
      expect(err(await call(emu, method, p, { unsafe_metadata: 'x' }))).toEqual([422, 'form_param_value_invalid', 'unsafe_metadata']);
      expect(err(await call(emu, method, '/v1/users/user_missing/metadata', { public_metadata: {} }))).toEqual([404, 'resource_not_found', undefined]);
    }
    expect(emu.stats.updates).toBe(0);
  });
});

describe('DELETE /v1/users/{user_id}', () => {
  it('answers the DeletedObject; the user is gone from get, list, count and its secrets too; a second delete is 404', async () => {
    const emu = await start({ users: 10, seed: 4 });
    const u = await created(emu, { username: 'doomed', external_id: 'doomed-1', password_digest: BCRYPT, password_hasher: 'bcrypt' });
    const r = await call(emu, 'DELETE', `/v1/users/${u.id}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ object: 'user', id: u.id, deleted: true });
    expect((await call(emu, 'GET', `/v1/users/${u.id}`)).status).toBe(404);
    expect((await call(emu, 'GET', '/v1/users?external_id=doomed-1')).body).toEqual([]);
    expect((await call(emu, 'GET', '/v1/users/count')).body.total_count).toBe(10);
    expect(emu.store.secretsOf(u.id)).toBeUndefined();
    expect(err(await call(emu, 'DELETE', `/v1/users/${u.id}`))).toEqual([404, 'resource_not_found', undefined]);
    const gen = emu.store.all()[3]!;
    expect((await call(emu, 'DELETE', `/v1/users/${gen.id}`)).body.deleted).toBe(true);
    expect(emu.stats).toMatchObject({ creates: 1, deletes: 2, updates: 0, writes: 4 });
  });
});

describe('helpers', () => {
  it('parseRfc3339: Z and offsets, fractions truncated to ms, real calendar dates only', () => {
    expect(parseRfc3339('2012-10-20T07:15:20.902Z')).toBe(Date.UTC(2012, 9, 20, 7, 15, 20, 902));
    expect(parseRfc3339('2012-10-20T07:15:20Z')).toBe(Date.UTC(2012, 9, 20, 7, 15, 20));
    expect(parseRfc3339('2012-10-20T07:15:20.9029999-01:30')).toBe(Date.UTC(2012, 9, 20, 8, 45, 20, 902));
    expect(parseRfc3339('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
    expect(parseRfc3339('0099-01-01T00:00:00Z')).toBe(new Date('0099-01-01T00:00:00Z').getTime());
    for (const bad of ['2023-02-29T00:00:00Z', '2024-04-31T00:00:00Z', '2024-00-10T00:00:00Z', '2024-01-01T00:60:00Z', '2024-01-01T00:00:60Z', '2024-01-01T00:00:00+24:00', '2024-01-01t00:00:00z', '1700000000000', '']) {
      expect(parseRfc3339(bad), bad).toBeNull();
    }
  });

  it('isBase32 and deepMerge', () => {
    for (const ok of ['JBSWY3DPEHPK3PXP', 'jbswy3dpehpk3pxp', 'MFRGG===', 'MFRGGZA=', 'AA']) expect(isBase32(ok), ok).toBe(true);
    for (const bad of ['', 'A', 'ABC', 'MFRGG==', 'JBSW Y3DP', '01234567', 'JBSWY3DP!']) expect(isBase32(bad), bad).toBe(false);
    expect(deepMerge({ a: { b: 1, c: 2 }, d: [1] }, { a: { c: null, e: { f: null, g: 1 } }, d: [2], h: null })).toEqual({ a: { b: 1, e: { g: 1 } }, d: [2] });
  });
});
