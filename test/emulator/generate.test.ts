import { describe, expect, it } from 'vitest';
import type { ClerkUser } from '../../src/clerk/types.js';
import { generateUsers, generateUserStream, DEFAULT_START_MS } from '../../src/emulator/generate.js';

/**
 * The User schema of API version 2026-05-12, transcribed mechanically from shared/clerk/nested-objects.md
 * (itself generated from Clerk's OpenAPI spec): `name?` = not required, `| null` = nullable,
 * `A|B` = oneOf discriminated by the element's `object`, `enum:a,b` = string enum. `closed` = additionalProperties false.
 */
const SCHEMA: Record<string, { closed: boolean; fields: string[] }> = {
  User: { closed: true, fields: [
    'id: string',
    'object: enum:user',
    'external_id: string | null',
    'primary_email_address_id: string | null',
    'primary_phone_number_id: string | null',
    'primary_web3_wallet_id: string | null',
    'username: string | null',
    'first_name: string | null',
    'last_name: string | null',
    'locale?: string | null',
    'profile_image_url?: string',
    'image_url?: string',
    'has_image: boolean',
    'public_metadata: object',
    'private_metadata?: object | null',
    'unsafe_metadata?: object',
    'email_addresses: EmailAddress[]',
    'phone_numbers: PhoneNumber[]',
    'web3_wallets: Web3Wallet[]',
    'passkeys: Passkey[]',
    'password_enabled: boolean',
    'two_factor_enabled: boolean',
    'totp_enabled: boolean',
    'backup_code_enabled: boolean',
    'mfa_enabled_at: integer | null',
    'mfa_disabled_at: integer | null',
    'password_last_updated_at?: integer | null',
    'external_accounts: ExternalAccountWithVerification[]',
    'saml_accounts: SAMLAccount[]',
    'enterprise_accounts: EnterpriseAccount[]',
    'organization_memberships?: OrganizationMembership[]',
    'last_sign_in_at: integer | null',
    'banned: boolean',
    'locked: boolean',
    'deprovisioned?: boolean',
    'lockout_expires_in_seconds: integer | null',
    'verification_attempts_remaining: integer | null',
    'updated_at: integer',
    'created_at: integer',
    'delete_self_enabled: boolean',
    'create_organization_enabled: boolean',
    'create_organizations_limit?: integer | null',
    'last_active_at: integer | null',
    'legal_accepted_at: integer | null',
    'bypass_client_trust?: boolean',
    'scim?: SCIMUserMetadata | null',
  ] },
  EmailAddress: { closed: true, fields: [
    'id?: string',
    'object: enum:email_address',
    'email_address: string',
    'reserved: boolean',
    'verification: verification_otp|verification_admin|verification_from_oauth|verification_ticket|verification_saml|verification_email_link|verification_scim | null',
    'linked_to: IdentificationLink[]',
    'matches_sso_connection?: boolean',
    'created_at: integer',
    'updated_at: integer',
  ] },
  PhoneNumber: { closed: true, fields: [
    'id?: string',
    'object: enum:phone_number',
    'phone_number: string',
    'reserved_for_second_factor?: boolean',
    'default_second_factor?: boolean',
    'reserved: boolean',
    'verification: verification_otp|verification_admin | null',
    'linked_to: IdentificationLink[]',
    'backup_codes?: string[] | null',
    'created_at: integer',
    'updated_at: integer',
  ] },
  Web3Wallet: { closed: true, fields: [
    'id?: string',
    'object: enum:web3_wallet',
    'web3_wallet: string',
    'verification: verification_web3|verification_admin | null',
    'created_at: integer',
    'updated_at: integer',
  ] },
  Passkey: { closed: true, fields: [
    'id?: string',
    'object: enum:passkey',
    'name: string',
    'last_used_at: integer',
    'verification: verification_passkey | null',
  ] },
  ExternalAccountWithVerification: { closed: false, fields: [
    'object: enum:external_account,facebook_account,google_account',
    'id: string',
    'provider: string',
    'identification_id: string',
    'provider_user_id: string',
    'approved_scopes: string',
    'email_address: string',
    'email_address_verified?: boolean | null',
    'first_name: string',
    'last_name: string',
    'avatar_url?: string',
    'image_url?: string | null',
    'username?: string | null',
    'phone_number?: string | null',
    'public_metadata: object',
    'label?: string | null',
    'created_at: integer',
    'updated_at: integer',
    'verification: verification_oauth|verification_google_one_tap | null',
  ] },
  SAMLAccount: { closed: true, fields: [
    'id: string',
    'object: enum:saml_account',
    'provider: string',
    'active: boolean',
    'email_address: string',
    'first_name?: string | null',
    'last_name?: string | null',
    'provider_user_id?: string | null',
    'last_authenticated_at?: integer | null',
    'public_metadata?: object',
    'verification: verification_saml|verification_ticket | null',
    'saml_connection?: SAMLAccountConnection | null',
  ] },
  SAMLAccountConnection: { closed: true, fields: [
    'id: string',
    'name: string',
    'domain?: string',
    'domains?: string[]',
    'active: boolean',
    'provider: string',
    'sync_user_attributes: boolean',
    'allow_subdomains?: boolean',
    'allow_idp_initiated?: boolean',
    'disable_additional_identifications?: boolean',
    'created_at: integer',
    'updated_at: integer',
  ] },
  EnterpriseAccount: { closed: true, fields: [
    'id: string',
    'object: enum:enterprise_account',
    'protocol?: enum:oauth,saml',
    'provider: string',
    'active: boolean',
    'email_address: string',
    'first_name?: string | null',
    'last_name?: string | null',
    'provider_user_id?: string | null',
    'enterprise_connection_id?: string | null',
    'public_metadata?: object',
    'verification: verification_ticket|verification_saml|verification_oauth | null',
    'enterprise_connection?: EnterpriseAccountConnection | null',
    'last_authenticated_at?: integer | null',
  ] },
  EnterpriseAccountConnection: { closed: true, fields: [
    'id: string',
    'protocol: string',
    'provider: string',
    'name: string',
    'logo_public_url: string | null',
    'domain?: string',
    'domains?: string[]',
    'active: boolean',
    'sync_user_attributes: boolean',
    'allow_subdomains: boolean',
    'allow_idp_initiated: boolean',
    'disable_additional_identifications: boolean',
    'created_at: integer',
    'updated_at: integer',
  ] },
  OrganizationMembership: { closed: false, fields: [
    'id: string',
    'object: enum:organization_membership',
    'role: string',
    'role_name?: string',
    'permissions: string[]',
    'public_metadata: object',
    'private_metadata?: object',
    'organization: Organization',
    'public_user_data?: OrganizationMembershipPublicUserData',
    'created_at: integer',
    'updated_at: integer',
  ] },
  Organization: { closed: false, fields: [
    'object: enum:organization',
    'id: string',
    'name: string',
    'slug: string',
    'image_url?: string',
    'has_image: boolean',
    'members_count?: integer',
    'missing_member_with_elevated_permissions?: boolean',
    'pending_invitations_count?: integer',
    'max_allowed_memberships: integer',
    'admin_delete_enabled: boolean',
    'public_metadata: object',
    'private_metadata?: object',
    'created_by?: string',
    'created_at: integer',
    'updated_at: integer',
    'last_active_at?: integer',
    'role_set_key?: string | null',
  ] },
  OrganizationMembershipPublicUserData: { closed: true, fields: [
    'user_id: string',
    'first_name: string | null',
    'last_name: string | null',
    'profile_image_url: string | null',
    'image_url: string',
    'has_image: boolean',
    'identifier?: string | null',
    'username?: string | null',
    'banned?: boolean',
    'deprovisioned?: boolean',
  ] },
  SCIMUserMetadata: { closed: true, fields: [
    'directory_id: string',
    'directory_enabled?: boolean',
    'external_id: string | null',
  ] },
  IdentificationLink: { closed: true, fields: [
    'type: string',
    'id: string',
  ] },
  verification_otp: { closed: true, fields: [
    'object?: enum:verification_otp',
    'status: enum:unverified,verified,failed,expired',
    'strategy: enum:phone_code,email_code,reset_password_email_code',
    'attempts: integer | null',
    'expire_at: integer | null',
    'channel?: string | null',
    'verified_at_client?: string | null',
  ] },
  verification_admin: { closed: true, fields: [
    'object?: enum:verification_admin',
    'status: enum:verified',
    'strategy: enum:admin',
    'attempts: integer | null',
    'expire_at: integer | null',
    'verified_at_client?: string | null',
  ] },
  verification_from_oauth: { closed: true, fields: [
    'object?: enum:verification_from_oauth',
    'status: enum:unverified,verified',
    'strategy: string',
    'error?: ClerkError | null',
    'expire_at: integer | null',
    'attempts: integer | null',
    'verified_at_client?: string | null',
  ] },
  verification_ticket: { closed: true, fields: [
    'object?: enum:verification_ticket',
    'status: enum:unverified,verified,expired',
    'strategy: enum:ticket',
    'attempts: integer | null',
    'expire_at: integer | null',
    'verified_at_client?: string | null',
  ] },
  verification_saml: { closed: true, fields: [
    'object?: enum:verification_saml',
    'status: enum:unverified,verified,failed,expired,transferable',
    'strategy: enum:saml',
    'external_verification_redirect_url?: string | null',
    'error?: ClerkError | null',
    'expire_at?: integer | null',
    'attempts: integer | null',
    'verified_at_client?: string | null',
  ] },
  verification_email_link: { closed: true, fields: [
    'object?: enum:verification_email_link',
    'status: enum:unverified,verified,failed,expired',
    'strategy: enum:email_link',
    'attempts: integer | null',
    'expire_at: integer | null',
    'verified_at_client?: string | null',
  ] },
  verification_scim: { closed: true, fields: [
    'object?: enum:verification_scim',
    'status: enum:verified',
    'strategy: enum:scim',
    'attempts: integer | null',
    'expire_at: integer | null',
  ] },
  verification_web3: { closed: true, fields: [
    'object?: enum:verification_web3',
    'status: enum:unverified,verified,failed,expired',
    'strategy: enum:web3_metamask_signature,web3_base_signature,web3_coinbase_wallet_signature,web3_okx_wallet_signature,web3_solana_signature',
    'nonce?: string | null',
    'message?: string | null',
    'attempts: integer | null',
    'expire_at: integer | null',
    'verified_at_client?: string | null',
  ] },
  verification_passkey: { closed: true, fields: [
    'object?: enum:verification_passkey',
    'status: enum:verified',
    'strategy: enum:passkey',
    'nonce?: enum:nonce',
    'message?: string | null',
    'attempts: integer | null',
    'expire_at: integer | null',
    'verified_at_client?: string | null',
  ] },
  verification_oauth: { closed: true, fields: [
    'object?: enum:verification_oauth',
    'status: enum:unverified,verified,failed,expired,transferable',
    'strategy: string',
    'external_verification_redirect_url?: string',
    'error?: ClerkError | null',
    'expire_at: integer',
    'attempts: integer | null',
    'verified_at_client?: string | null',
  ] },
  verification_google_one_tap: { closed: true, fields: [
    'object?: enum:verification_google_one_tap',
    'status: enum:unverified,verified',
    'strategy: enum:google_one_tap',
    'expire_at: integer | null',
    'attempts: integer | null',
    'verified_at_client?: string | null',
    'error?: ClerkError | null',
  ] },
  ClerkError: { closed: false, fields: [
    'message: string',
    'long_message: string',
    'code: string',
    'meta?: object',
  ] },

};

type Json = unknown;
const BUILTIN = new Set(['string', 'boolean', 'integer', 'object']);

/** Validate `value` against a schema type; returns the problems as `path: message`. */
function check(value: Json, type: string, path: string, problems: string[]): void {
  if (type.endsWith('[]')) {
    if (!Array.isArray(value)) return void problems.push(`${path}: expected an array`);
    value.forEach((v, i) => check(v, type.slice(0, -2), `${path}[${i}]`, problems));
    return;
  }
  if (type.startsWith('enum:')) {
    if (typeof value !== 'string' || !type.slice(5).split(',').includes(value)) problems.push(`${path}: ${JSON.stringify(value)} not in ${type}`);
    return;
  }
  if (type.includes('|')) {
    // oneOf: every generated verification must carry its `object` discriminator.
    const obj = (value as { object?: unknown } | null)?.object;
    if (typeof obj !== 'string') return void problems.push(`${path}: oneOf element without an object discriminator`);
    if (!type.split('|').includes(obj)) return void problems.push(`${path}: ${obj} is not one of ${type}`);
    return check(value, obj, path, problems);
  }
  if (BUILTIN.has(type)) {
    const ok =
      type === 'integer' ? Number.isSafeInteger(value) : type === 'object' ? typeof value === 'object' && value !== null && !Array.isArray(value) : typeof value === type;
    if (!ok) problems.push(`${path}: expected ${type}, got ${JSON.stringify(value)}`);
    return;
  }
  const schema = SCHEMA[type];
  if (!schema) throw new Error(`unknown type ${type}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return void problems.push(`${path}: expected ${type} object`);
  const rec = value as Record<string, unknown>;
  const known = new Set<string>();
  for (const spec of schema.fields) {
    const m = /^([a-z0-9_]+)(\?)?: (.+?)( \| null)?$/.exec(spec)!;
    const [, name, optional, ftype, nullable] = m as unknown as [string, string, string | undefined, string, string | undefined];
    known.add(name);
    if (!(name in rec)) {
      if (!optional) problems.push(`${path}.${name}: required field missing`);
      continue;
    }
    const v = rec[name];
    if (v === null) {
      if (!nullable) problems.push(`${path}.${name}: null but not nullable`);
      continue;
    }
    check(v, ftype, `${path}.${name}`, problems);
  }
  if (schema.closed) for (const k of Object.keys(rec)) if (!known.has(k)) problems.push(`${path}.${k}: not in the ${type} schema`);
}

const arr = (u: ClerkUser, k: string) => (u[k] ?? []) as Array<Record<string, unknown>>;
const NAME_FIELDS = ['first_name', 'last_name'] as const;
const names = (users: ClerkUser[]) => users.flatMap((u) => NAME_FIELDS.map((f) => u[f])).filter((v): v is string => typeof v === 'string');
const allStrings = (v: unknown, out: string[] = []): string[] => {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => allStrings(x, out));
  else if (v && typeof v === 'object') Object.values(v).forEach((x) => allStrings(x, out));
  return out;
};
const depth = (v: unknown): number =>
  Array.isArray(v) ? 1 + Math.max(0, ...v.map(depth)) : v && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v).map(depth)) : 0;

const N = 3000;
const users = generateUsers(N, { seed: 42 });

describe('generateUsers', () => {
  it('is deterministic: same seed → byte-identical users; the stream yields the same; another seed differs', () => {
    const again = generateUsers(N, { seed: 42 });
    expect(JSON.stringify(again)).toBe(JSON.stringify(users));
    expect(JSON.stringify([...generateUserStream(N, { seed: 42 })])).toBe(JSON.stringify(users));
    const other = generateUsers(50, { seed: 43 });
    expect(other[0]!.id).not.toBe(users[0]!.id);
    expect(generateUsers(0)).toEqual([]);
    expect(() => generateUsers(-1)).toThrow(RangeError);
  });

  it('every user is valid against the 2026-05-12 User schema (required fields, types, nullability, discriminators, no unknown keys)', () => {
    const problems: string[] = [];
    users.forEach((u, i) => check(u, 'User', `users[${i}]`, problems));
    expect(problems.slice(0, 20)).toEqual([]);
    // the validator itself catches mistakes
    const broken = structuredClone(users[0]!) as Record<string, unknown>;
    delete broken.locked;
    (broken.email_addresses as Array<Record<string, unknown>>)[0]!.verification = { status: 'verified', strategy: 'email_code', attempts: 1, expire_at: null };
    broken.extra_field = 1;
    const p: string[] = [];
    check(broken, 'User', 'u', p);
    expect(p).toEqual(['u.email_addresses[0].verification: oneOf element without an object discriminator', 'u.locked: required field missing', 'u.extra_field: not in the User schema']);
  });

  it('sets every object type and uses Clerk-like ids', () => {
    const base62 = (prefix: string) => new RegExp(`^${prefix}_[0-9A-Za-z]{27}$`);
    const ids = new Set<string>();
    for (const u of users) {
      expect(u.object).toBe('user');
      expect(u.id).toMatch(base62('user'));
      ids.add(u.id);
      for (const k of ['email_addresses', 'phone_numbers', 'web3_wallets', 'passkeys']) for (const e of arr(u, k)) expect(e.id).toMatch(base62('idn'));
      for (const e of arr(u, 'external_accounts')) expect([e.id, e.object, e.identification_id]).toEqual([expect.stringMatching(base62('eac')), 'external_account', expect.stringMatching(base62('idn'))]);
      for (const e of arr(u, 'saml_accounts')) expect([e.id, e.object]).toEqual([expect.stringMatching(base62('samlacc')), 'saml_account']);
      for (const e of arr(u, 'enterprise_accounts')) expect([e.id, e.object]).toEqual([expect.stringMatching(base62('entacc')), 'enterprise_account']);
      for (const m of arr(u, 'organization_memberships')) {
        expect([m.id, m.object]).toEqual([expect.stringMatching(base62('orgmem')), 'organization_membership']);
        const org = m.organization as Record<string, unknown>;
        expect([org.id, org.object]).toEqual([expect.stringMatching(base62('org')), 'organization']);
        expect((m.public_user_data as Record<string, unknown>).user_id).toBe(u.id);
        expect(Array.isArray(m.permissions) && (m.permissions as unknown[]).every((p) => typeof p === 'string')).toBe(true);
      }
    }
    expect(ids.size).toBe(N);
    const emails = users.flatMap((u) => arr(u, 'email_addresses').map((e) => e.email_address));
    expect(new Set(emails).size).toBe(emails.length); // unique across the instance, like Clerk enforces
    const phones = users.flatMap((u) => arr(u, 'phone_numbers').map((e) => e.phone_number));
    expect(new Set(phones).size).toBe(phones.length);
    for (const p of phones) expect(p).toMatch(/^\+[1-9]\d{9,14}$/);
  });

  it('primary ids point into their arrays, or are null when the array is empty', () => {
    for (const u of users) {
      for (const [field, list] of [['primary_email_address_id', 'email_addresses'], ['primary_phone_number_id', 'phone_numbers'], ['primary_web3_wallet_id', 'web3_wallets']] as const) {
        const items = arr(u, list);
        if (items.length === 0) expect(u[field], `${u.id} ${field}`).toBeNull();
        else expect(items.map((e) => e.id), `${u.id} ${field}`).toContain(u[field]);
      }
    }
  });

  it('OAuth emails are linked to the external account they came from', () => {
    let linked = 0;
    for (const u of users) {
      const accounts = new Map(arr(u, 'external_accounts').map((a) => [a.identification_id, a]));
      for (const e of arr(u, 'email_addresses')) {
        const v = e.verification as Record<string, unknown> | null;
        const links = e.linked_to as Array<{ type: string; id: string }>;
        if (v?.object === 'verification_from_oauth') {
          expect(links).toHaveLength(1);
          const account = accounts.get(links[0]!.id);
          expect(account, u.id).toBeDefined();
          expect(links[0]!.type).toBe(account!.provider);
          expect(v.strategy).toBe(`from_${account!.provider as string}`);
          expect(e.email_address).toBe(account!.email_address);
          linked++;
        } else expect(links).toEqual([]);
      }
    }
    expect(linked).toBeGreaterThan(N * 0.1);
  });

  it('fills every nested array in varied counts', () => {
    const counts = (k: string) => new Set(users.map((u) => arr(u, k).length));
    expect(counts('email_addresses')).toEqual(new Set([0, 1, 2, 3]));
    expect(counts('phone_numbers')).toEqual(new Set([0, 1, 2]));
    expect(counts('web3_wallets')).toEqual(new Set([0, 1]));
    expect(counts('passkeys')).toEqual(new Set([0, 1, 2]));
    expect(counts('external_accounts')).toEqual(new Set([0, 1, 2]));
    expect(counts('saml_accounts')).toEqual(new Set([0, 1]));
    expect(counts('enterprise_accounts')).toEqual(new Set([0, 1]));
    expect(counts('organization_memberships')).toEqual(new Set([0, 1, 2, 3]));
    const noEmail = users.filter((u) => arr(u, 'email_addresses').length === 0).length;
    expect(noEmail / N).toBeGreaterThan(0.03);
    expect(noEmail / N).toBeLessThan(0.08);
    const providers = new Set(users.flatMap((u) => arr(u, 'external_accounts').map((a) => a.provider)));
    for (const p of ['oauth_google', 'oauth_github', 'oauth_linkedin_oidc']) expect(providers).toContain(p);
    const saml = users.flatMap((u) => arr(u, 'saml_accounts'));
    expect(saml.some((s) => s.saml_connection && typeof s.saml_connection === 'object')).toBe(true);
    expect(saml.some((s) => !s.saml_connection)).toBe(true);
    expect(users.flatMap((u) => arr(u, 'enterprise_accounts')).some((e) => e.enterprise_connection !== null)).toBe(true);
    const objects = new Set(users.flatMap((u) => allVerifications(u)));
    for (const o of ['verification_otp', 'verification_from_oauth', 'verification_admin', 'verification_web3', 'verification_passkey', 'verification_oauth', 'verification_saml', 'verification_ticket']) expect(objects).toContain(o);
  });

  it('timestamps are Unix milliseconds; created_at is non-decreasing with ties (bulk imports); updated_at >= created_at', () => {
    let ties = 0;
    let longest = 1;
    let run = 1;
    for (let i = 0; i < N; i++) {
      const u = users[i]!;
      expect(u.created_at).toBeGreaterThan(1e12);
      expect(u.created_at).toBeLessThanOrEqual(DEFAULT_START_MS);
      expect(u.updated_at).toBeGreaterThanOrEqual(u.created_at);
      expect(u.updated_at).toBeLessThanOrEqual(DEFAULT_START_MS);
      for (const f of ['last_sign_in_at', 'last_active_at', 'legal_accepted_at', 'mfa_enabled_at', 'mfa_disabled_at']) {
        const v = u[f];
        if (v !== null) expect(v, f).toBeGreaterThan(1e12);
      }
      if (i > 0) {
        const prev = users[i - 1]!.created_at;
        expect(u.created_at).toBeGreaterThanOrEqual(prev);
        if (u.created_at === prev) {
          ties++;
          run++;
          longest = Math.max(longest, run);
        } else run = 1;
      }
    }
    expect(users[1]!.created_at).toBe(users[3]!.created_at); // a tie in even the smallest data set
    expect(ties / N).toBeGreaterThan(0.05);
    expect(longest).toBeGreaterThanOrEqual(10);
    const span = users[N - 1]!.created_at - users[0]!.created_at;
    expect(span).toBeGreaterThan(2 * 365 * 86_400_000);
    const startMs = Date.UTC(2024, 0, 1);
    expect(generateUsers(100, { seed: 1, startMs }).every((u) => u.created_at <= startMs && u.updated_at <= startMs)).toBe(true);
  });

  it('includes the nasty cases at a noticeable rate', () => {
    const n = names(users);
    const has = (re: RegExp) => n.filter((s) => re.test(s)).length;
    expect(has(/\r\n/)).toBeGreaterThan(0);
    expect(has(/[^\r]\n/)).toBeGreaterThan(0);
    expect(has(/"/)).toBeGreaterThan(5);
    expect(has(/,/)).toBeGreaterThan(5);
    expect(has(/^\s|\s$/)).toBeGreaterThan(5);
    expect(has(/^[=+\-@]/)).toBeGreaterThan(5); // CSV formula injection
    expect(has(/\p{Extended_Pictographic}/u)).toBeGreaterThan(5);
    expect(has(/[\u0600-\u06FF]/)).toBeGreaterThan(5); // Arabic, right-to-left
    expect(has(/[\u4E00-\u9FFF]/)).toBeGreaterThan(5);
    for (const s of ['Zoë', 'José', 'Łukasz', '李小龙', '😀 Smile']) expect(n).toContain(s);
    const meta = users.flatMap((u) => allStrings([u.public_metadata, u.private_metadata]));
    expect(meta.some((s) => s.includes('\n'))).toBe(true);
    expect(meta.some((s) => s.includes('"') && s.includes(','))).toBe(true);

    const rate = (pred: (u: ClerkUser) => boolean) => users.filter(pred).length / N;
    expect(rate((u) => u.first_name === null)).toBeGreaterThan(0.02);
    expect(rate((u) => u.private_metadata === null)).toBeGreaterThan(0.2);
    expect(rate((u) => JSON.stringify(u.public_metadata) === '{}')).toBeGreaterThan(0.3);
    expect(rate((u) => u.external_id !== null)).toBeGreaterThan(0.15);
    expect(rate((u) => u.username === null)).toBeGreaterThan(0.4);
    expect(rate((u) => u.locale === null)).toBeGreaterThan(0.2);
    expect(rate((u) => u.banned === true)).toBeGreaterThan(0.005);
    expect(rate((u) => u.locked === true)).toBeGreaterThan(0.005);
    for (const f of ['last_sign_in_at', 'last_active_at', 'legal_accepted_at', 'mfa_enabled_at', 'mfa_disabled_at']) {
      expect(rate((u) => u[f] === null), f).toBeGreaterThan(0.05);
      expect(rate((u) => u[f] !== null), f).toBeGreaterThan(0.005);
    }
    const big = users.filter((u) => JSON.stringify(u.public_metadata).length > 3000);
    expect(big.length).toBeGreaterThanOrEqual(3);
    for (const u of big) expect(depth(u.public_metadata)).toBeGreaterThanOrEqual(5);
  });

  it('even a 16-user data set has every nasty case', () => {
    const small = generateUsers(16, { seed: 9 });
    expect(small.some((u) => arr(u, 'email_addresses').length === 0)).toBe(true);
    expect(small.some((u) => u.banned)).toBe(true);
    expect(small.some((u) => u.locked)).toBe(true);
    expect(small.some((u) => u.private_metadata === null)).toBe(true);
    expect(small.some((u) => JSON.stringify(u.public_metadata).length > 3000)).toBe(true);
    expect(small.some((u) => arr(u, 'saml_accounts').length > 0 && arr(u, 'enterprise_accounts').length > 0 && arr(u, 'organization_memberships').length > 0)).toBe(true);
    expect(names(small).some((s) => /[\n",]/.test(s))).toBe(true);
    expect(names(small).some((s) => /[^\x00-\x7F]/.test(s))).toBe(true);
    expect(small[1]!.created_at).toBe(small[2]!.created_at);
  });
});

function allVerifications(u: ClerkUser): string[] {
  const out: string[] = [];
  for (const k of ['email_addresses', 'phone_numbers', 'web3_wallets', 'passkeys', 'external_accounts', 'saml_accounts', 'enterprise_accounts']) {
    for (const e of arr(u, k)) {
      const v = e.verification as { object?: string } | null;
      if (v?.object) out.push(v.object);
    }
  }
  return out;
}
