import { describe, expect, it } from 'vitest';
import type { ClerkUser } from '../../src/model/clerk-types.js';
import { generateUsers, generateUserStream, DEFAULT_START_MS } from '../../src/emulator/generate.js';
import { check } from './user-schema.js';

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
