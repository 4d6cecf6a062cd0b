import type { ClerkUser } from '../model/clerk-types.js';
import { Random, deriveSeed } from './random.js';

/**
 * Deterministic generator of realistic Clerk users (User schema of API version 2026-05-12,
 * see docs/clerk-api.md, "The User object"): every nested array in varied counts, Clerk-like ids,
 * Unix-millisecond timestamps, and the nasty cases an exporter must survive (unicode and emoji,
 * commas, quotes and newlines in names and metadata, CSV-formula strings, nulls, empty and
 * large nested metadata, users without email, bans and locks, bulk-import created_at ties).
 *
 * Same count + options → byte-identical users. The first 16 users of every data set carry
 * one nasty case each (see {@link FORCED}), so even a tiny data set has all of them.
 */
export interface GenerateOptions {
  /** PRNG seed (any integer). Default 1. */
  seed?: number;
  /**
   * "Now" of the data set, Unix ms: every timestamp is <= startMs and users are created over
   * {@link spanMs} before it. Default {@link DEFAULT_START_MS} (fixed, so output is reproducible).
   */
  startMs?: number;
  /** Length of the sign-up period ending at startMs, ms. Default 3 years. */
  spanMs?: number;
  /**
   * Probability that a user starts a run of 2–50 users sharing the exact same created_at
   * millisecond (a bulk import). Default 0.02 (about 12% of users end up in a tie).
   */
  tieRate?: number;
}

/** 2026-10-01T00:00:00.000Z. */
export const DEFAULT_START_MS = Date.UTC(2026, 9, 1);
const YEAR_MS = 365 * 24 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;

/** Generate `count` users into an array. See {@link generateUserStream}. */
export function generateUsers(count: number, options: GenerateOptions = {}): ClerkUser[] {
  const out: ClerkUser[] = new Array<ClerkUser>(count);
  let i = 0;
  for (const user of generateUserStream(count, options)) out[i++] = user;
  return out;
}

/**
 * Lazily generate `count` users, in created_at order (non-decreasing, with ties).
 * Memory: one user at a time plus small shared pools (organizations, SSO connections).
 */
export function* generateUserStream(count: number, options: GenerateOptions = {}): Generator<ClerkUser, void, undefined> {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  const seed = options.seed ?? 1;
  const startMs = options.startMs ?? DEFAULT_START_MS;
  const spanMs = options.spanMs ?? 3 * YEAR_MS;
  const tieRate = options.tieRate ?? 0.02;
  const begin = startMs - spanMs;

  const ctx: Ctx = {
    rng: new Random(deriveSeed(seed, 1)),
    timeRng: new Random(deriveSeed(seed, 2)),
    startMs,
    begin,
    ...buildPools(new Random(deriveSeed(seed, 3)), begin, startMs),
  };

  let prev = begin;
  let runLeft = 0;
  for (let i = 0; i < count; i++) {
    const t = ctx.timeRng;
    let created: number;
    if (runLeft > 0) {
      created = prev;
      runLeft--;
    } else {
      // Sign-ups accelerate over time (users(t) ∝ t²), which spreads early users out.
      const slot = begin + Math.floor(spanMs * Math.sqrt((i + t.float()) / count));
      created = Math.min(startMs, Math.max(prev, slot));
      if (i === 1) runLeft = 2; // users 1..3 always share one millisecond
      else if (t.chance(tieRate)) runLeft = tieLength(t) - 1;
      else if (t.chance(0.05)) runLeft = 1; // pairs within one ms happen under load too
    }
    prev = created;
    yield buildUser(ctx, i, created);
  }
}

function tieLength(rng: Random): number {
  const r = rng.float();
  if (r < 0.7) return rng.int(2, 5);
  if (r < 0.95) return rng.int(6, 20);
  return rng.int(21, 50);
}

// ---------------------------------------------------------------------------------------------
// Word lists. Each name is [display, ascii slug used in emails and usernames].

type Name = readonly [string, string];

const FIRST: readonly Name[] = [
  'James', 'Mary', 'Robert', 'Patricia', 'John', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth',
  'William', 'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Charles', 'Karen',
  'Daniel', 'Nancy', 'Matthew', 'Betty', 'Anthony', 'Margaret', 'Mark', 'Sandra', 'Wei', 'Priya',
  'Ahmed', 'Fatima', 'Hiroshi', 'Yuki', 'Olga', 'Ivan', 'Lucas', 'Sofia', 'Mateo', 'Valentina',
  'Noah', 'Emma', 'Liam', 'Olivia', 'Chidi', 'Amara', 'Kwame', 'Aisha', 'Mei', 'Arjun',
].map((n) => [n, n.toLowerCase()] as const);

const LAST: readonly Name[] = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez',
  'Hernandez', 'Lopez', 'Wilson', 'Anderson', 'Taylor', 'Thomas', 'Moore', 'Jackson', 'Martin', 'Lee',
  'Perez', 'Thompson', 'White', 'Harris', 'Clark', 'Lewis', 'Walker', 'Young', 'Allen', 'King',
  'Okafor', 'Mensah', 'Kowalski', 'Novak', 'Rossi', 'Bianchi', 'Dubois', 'Schmidt', 'Fischer', 'Weber',
  'Sato', 'Suzuki', 'Chen', 'Wang', 'Singh', 'Patel', 'Khan', 'Ali', 'Silva', 'Santos',
].map((n) => [n, n.toLowerCase()] as const);

const UNICODE_FIRST: readonly Name[] = [
  ['Zoë', 'zoe'], ['José', 'jose'], ['Łukasz', 'lukasz'], ['François', 'francois'], ['Søren', 'soren'],
  ['Björn', 'bjorn'], ['Jürgen', 'jurgen'], ['Małgorzata', 'malgorzata'], ['Chloé', 'chloe'], ['Đorđe', 'djordje'],
  ['Çağla', 'cagla'], ['Thảo', 'thao'], ['小龙', 'xiaolong'], ['花子', 'hanako'], ['민준', 'minjun'],
  ['Дмитрий', 'dmitry'], ['Ελένη', 'eleni'], ['محمد', 'mohammed'], ['فاطمة', 'fatima'], ['יוסף', 'yosef'],
  ['राहुल', 'rahul'], ['ภูมิ', 'phum'], ['😀 Smile', 'smile'], ['👩‍💻 Dev', 'dev'], ['E\u0301lodie', 'elodie'],
  ['Ｆｕｌｌｗｉｄｔｈ', 'fullwidth'], ['مرحبا Hello', 'marhaba'], ['李小龙', 'bruce'],
];

const UNICODE_LAST: readonly Name[] = [
  ['Müller', 'muller'], ['Nguyễn', 'nguyen'], ['李', 'li'], ['田中', 'tanaka'], ['김', 'kim'],
  ['Ødegård', 'odegard'], ['Żółć', 'zolc'], ['Ivanović', 'ivanovic'], ['Смирнов', 'smirnov'], ['Παπαδόπουλος', 'papadopoulos'],
  ['العربي', 'alarabi'], ['כהן', 'cohen'], ['Şahin', 'sahin'], ['Gonçalves', 'goncalves'], ['Dvořák', 'dvorak'],
  ['🚀', 'rocket'], ['García Márquez', 'garcia'], ['Ñúñez', 'nunez'],
];

/** Strings that break naive CSV writers, spreadsheets, shells and SQL. */
const NASTY_FIRST: readonly string[] = [
  ' Anna ', 'Robert "Bob"', '"Quoted"', 'Line\nBreak', 'Carriage\r\nReturn', 'Comma, First', 'Tab\tName',
  "=cmd|' /C calc'!A0", '+SUM(1,2)', '-2+3', '@admin', 'NULL', '', '  ', '<script>alert(1)</script>',
  "Robert'); DROP TABLE users;--", 'back\\slash', 'semi;colon|pipe', '\u200bZero\u200dWidth', 'Hubert Blaine Wolfeschlegelsteinhausenbergerdorff Sr.',
];
const NASTY_LAST: readonly string[] = [
  "O'Brien", 'Smith, Jr.', 'van der "Berg"', 'Multi\nLine\nName', 'Windows\r\nLine', ' Trailing ', 'Doe,',
  '=HYPERLINK("http://x.test","y")', '"', 'null', 'Ünïcödé, "Quoted"\n', 'Ends with backslash\\', '#REF!', '\t',
];

const DOMAINS = ['gmail.com', 'yahoo.com', 'outlook.com', 'hotmail.com', 'icloud.com', 'proton.me', 'example.com', 'acme.io', 'company.co.uk', 'xn--bcher-kva.example'];
const LOCALES = ['en-US', 'en-GB', 'fr-FR', 'de-DE', 'es-ES', 'pt-BR', 'ja-JP', 'zh-CN', 'ar-SA', 'he-IL', 'pl-PL', 'ko-KR'];
const PHONE_PREFIXES = ['+1', '+44', '+49', '+33', '+81', '+91', '+55', '+61'];
const PASSKEY_NAMES = ['iCloud Keychain', 'Chrome on Mac', 'Windows Hello', 'YubiKey 5 NFC', '1Password', 'Google Password Manager', 'Samsung Pass', 'My "work" key, 2nd'];

interface Provider {
  id: string;
  scopes: string;
  userId: (rng: Random) => string;
  avatar: (rng: Random) => string;
}
const PROVIDERS: readonly Provider[] = [
  { id: 'oauth_google', scopes: 'email https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile openid profile', userId: (r) => '1' + r.digits(20), avatar: (r) => `https://lh3.googleusercontent.com/a/ACg8oc${r.base62(40)}=s96-c` },
  { id: 'oauth_github', scopes: 'read:user user:email', userId: (r) => String(r.int(1000, 199_999_999)), avatar: (r) => `https://avatars.githubusercontent.com/u/${r.int(1000, 99_999_999)}?v=4` },
  { id: 'oauth_linkedin_oidc', scopes: 'openid profile email', userId: (r) => r.base62(10), avatar: (r) => `https://media.licdn.com/dms/image/${r.base62(20)}` },
  { id: 'oauth_microsoft', scopes: 'openid profile email offline_access User.Read', userId: (r) => r.hex(32), avatar: () => '' },
  { id: 'oauth_apple', scopes: 'email name', userId: (r) => `00${r.digits(4)}.${r.hex(32)}.${r.digits(4)}`, avatar: () => '' },
  { id: 'oauth_discord', scopes: 'email identify', userId: (r) => r.digits(18), avatar: (r) => `https://cdn.discordapp.com/avatars/${r.digits(18)}/${r.hex(32)}.png` },
];
/** Weights for PROVIDERS (Google dominates, like in real instances). */
const PROVIDER_WEIGHTS = [50, 25, 10, 7, 5, 3];

const ROLES = [
  { role: 'org:member', name: 'Member', permissions: ['org:sys_memberships:read'] },
  { role: 'org:admin', name: 'Admin', permissions: ['org:sys_profile:manage', 'org:sys_profile:delete', 'org:sys_memberships:read', 'org:sys_memberships:manage', 'org:sys_domains:read', 'org:sys_domains:manage', 'org:sys_billing:read', 'org:sys_billing:manage'] },
  { role: 'org:billing_manager', name: 'Billing manager', permissions: ['org:sys_billing:read', 'org:sys_billing:manage', 'org:sys_memberships:read'] },
  { role: 'org:editor', name: 'Editor, "content"', permissions: ['org:sys_memberships:read', 'org:posts:create', 'org:posts:edit'] },
] as const;

const ORG_NAMES: readonly Name[] = [
  ['Acme, Inc.', 'acme'], ['Café "Zoë" GmbH', 'cafe-zoe'], ['Ünïcorn Labs', 'unicorn-labs'], ['北京科技', 'beijing-tech'],
  ['Line\nBreak Corp', 'line-break'], ["O'Reilly & Sons", 'oreilly'], ['Globex', 'globex'], ['Initech', 'initech'],
  ['Umbrella', 'umbrella'], ['Stark Industries', 'stark'], ['Wayne Enterprises', 'wayne'], ['Hooli', 'hooli'],
];

// ---------------------------------------------------------------------------------------------
// Shared pools (organizations and SSO connections), built once per data set from their own stream.

interface OrgSpec { id: string; name: string; slug: string; createdAt: number; updatedAt: number; createdBy: string; maxMemberships: number; hasImage: boolean; image: string; metadata: Record<string, unknown> }
interface ConnSpec { id: string; name: string; provider: string; protocol: 'saml' | 'oauth'; domains: string[]; createdAt: number; updatedAt: number; logo: string | null }

interface Pools { orgs: OrgSpec[]; samlConns: ConnSpec[]; entConns: ConnSpec[] }
interface Ctx extends Pools { rng: Random; timeRng: Random; startMs: number; begin: number }

function buildPools(rng: Random, begin: number, startMs: number): Pools {
  const orgs: OrgSpec[] = [];
  for (let k = 0; k < 24; k++) {
    const [name, slug] = ORG_NAMES[k % ORG_NAMES.length] as Name;
    const createdAt = between(rng, begin - YEAR_MS, begin + (startMs - begin) / 2);
    const hasImage = rng.chance(0.5);
    orgs.push({
      id: 'org_' + rng.base62(27),
      name: k < ORG_NAMES.length ? name : `${name} ${k}`,
      slug: k < ORG_NAMES.length ? slug : `${slug}-${k}`,
      createdAt,
      updatedAt: between(rng, createdAt, startMs),
      createdBy: 'user_' + rng.base62(27),
      maxMemberships: rng.pick([0, 5, 100]),
      hasImage,
      image: hasImage ? `https://img.clerk.com/eyJ0eXBlIjoi${rng.base62(48)}` : 'https://img.clerk.com/eyJ0eXBlIjoiZGVmYXVsdCJ9',
      metadata: k % 3 === 0 ? {} : { tier: rng.pick(['free', 'team', 'enterprise']), seats: rng.int(1, 500) },
    });
  }
  const conn = (prefix: string, protocol: 'saml' | 'oauth', k: number): ConnSpec => {
    const domain = rng.pick(['acme.com', 'globex.test', 'initech.example', 'xn--mller-kva.de']);
    const createdAt = between(rng, begin - YEAR_MS, begin);
    return {
      id: prefix + rng.base62(27),
      name: rng.pick(['Okta SSO', 'Azure AD, production', 'Google Workspace', 'OneLogin "legacy"']),
      provider: protocol === 'saml' ? rng.pick(['saml_okta', 'saml_microsoft', 'saml_google', 'saml_custom']) : 'oauth_custom_acme',
      protocol,
      domains: k % 3 === 0 ? [domain, 'sub.' + domain] : [domain],
      createdAt,
      updatedAt: between(rng, createdAt, startMs),
      logo: rng.chance(0.5) ? `https://img.clerk.com/static/${rng.base62(12)}.png` : null,
    };
  };
  const samlConns = [0, 1, 2, 3].map((k) => conn('samlc_', 'saml', k));
  const entConns = [0, 1, 2, 3].map((k) => conn('entconn_', k === 3 ? 'oauth' : 'saml', k));
  return { orgs, samlConns, entConns };
}

// ---------------------------------------------------------------------------------------------
// One user.

interface Plan {
  emails: number;
  phones: number;
  web3: number;
  passkeys: number;
  external: number;
  saml: number;
  enterprise: number;
  orgs: number;
  first: 'regular' | 'unicode' | 'nasty' | 'null';
  last: 'regular' | 'unicode' | 'nasty' | 'null';
  metadata: 'empty' | 'small' | 'nasty' | 'big';
  privateNull: boolean;
  banned: boolean;
  locked: boolean;
  localeNull: boolean;
  username: boolean;
  externalId: boolean;
}

/**
 * Overrides for the first users, so every data set of >= 16 users has each nasty case.
 * (Users 1..3 also share one created_at millisecond; see generateUserStream.)
 */
const FORCED: ReadonlyArray<Partial<Plan>> = [
  // 0: every nested array filled.
  { emails: 3, phones: 2, web3: 1, passkeys: 2, external: 2, saml: 1, enterprise: 1, orgs: 3, first: 'regular', last: 'regular', metadata: 'small', username: true, externalId: true },
  { first: 'unicode', last: 'unicode' },
  { first: 'nasty', last: 'nasty' },
  { emails: 0, phones: 1, username: true },
  { metadata: 'big' },
  { first: 'null', last: 'null', localeNull: true, username: false, privateNull: true, metadata: 'empty' },
  { banned: true },
  { locked: true },
  { metadata: 'nasty', externalId: true },
  { emails: 0, phones: 0, web3: 1, external: 0, username: false },
  { external: 1, emails: 1 },
  { orgs: 2 },
  { saml: 1 },
  { enterprise: 1 },
  { first: 'nasty', last: 'unicode' },
  { first: 'unicode', last: 'nasty', metadata: 'big' },
];

function weighted(rng: Random, weights: readonly number[]): number {
  let total = 0;
  for (const w of weights) total += w;
  let r = rng.float() * total;
  for (let k = 0; k < weights.length; k++) {
    r -= weights[k] as number;
    if (r < 0) return k;
  }
  return weights.length - 1;
}

function namePick(rng: Random, nullRate: number): Plan['first'] {
  const r = rng.float();
  if (r < nullRate) return 'null';
  if (r < nullRate + 0.08) return 'nasty';
  if (r < nullRate + 0.28) return 'unicode';
  return 'regular';
}

function randomPlan(rng: Random): Plan {
  const m = rng.float();
  return {
    emails: weighted(rng, [5, 70, 20, 5]),
    phones: weighted(rng, [65, 30, 5]),
    web3: rng.chance(0.1) ? 1 : 0,
    passkeys: weighted(rng, [85, 12, 3]),
    external: weighted(rng, [55, 38, 7]),
    saml: rng.chance(0.04) ? 1 : 0,
    enterprise: rng.chance(0.06) ? 1 : 0,
    orgs: weighted(rng, [70, 20, 7, 3]),
    first: namePick(rng, 0.05),
    last: namePick(rng, 0.07),
    metadata: m < 0.4 ? 'empty' : m < 0.88 ? 'small' : m < 0.995 ? 'nasty' : 'big',
    privateNull: rng.chance(0.3),
    banned: rng.chance(0.02),
    locked: rng.chance(0.015),
    localeNull: rng.chance(0.4),
    username: rng.chance(0.45),
    externalId: rng.chance(0.25),
  };
}

function between(rng: Random, a: number, b: number): number {
  return b <= a ? a : a + Math.floor(rng.float() * (b - a + 1));
}

function pickName(rng: Random, kind: Plan['first'], regular: readonly Name[], unicode: readonly Name[], nasty: readonly string[]): [string | null, string] {
  switch (kind) {
    case 'null':
      return [null, 'user'];
    case 'nasty':
      return [rng.pick(nasty), 'user'];
    case 'unicode': {
      const [n, s] = rng.pick(unicode);
      return [n, s];
    }
    default: {
      const [n, s] = rng.pick(regular);
      return [n, s];
    }
  }
}

function buildUser(ctx: Ctx, i: number, created: number): ClerkUser {
  const { rng, startMs } = ctx;
  const plan = randomPlan(rng);
  const forced = FORCED[i];
  if (forced) Object.assign(plan, forced);

  const userId = 'user_' + rng.base62(27);
  const [firstName, firstSlug] = pickName(rng, plan.first, FIRST, UNICODE_FIRST, NASTY_FIRST);
  const [lastName, lastSlug] = pickName(rng, plan.last, LAST, UNICODE_LAST, NASTY_LAST);
  const tag = i.toString(36);
  const later = (from: number): number => between(rng, from, startMs);

  // External accounts first: OAuth-verified emails link to them.
  const externalAccounts: Record<string, unknown>[] = [];
  const usedProviders = new Set<number>();
  for (let k = 0; k < plan.external; k++) {
    let p = weighted(rng, PROVIDER_WEIGHTS);
    while (usedProviders.has(p)) p = (p + 1) % PROVIDERS.length;
    usedProviders.add(p);
    externalAccounts.push(externalAccount(ctx, PROVIDERS[p] as Provider, created, firstName, lastName, `${firstSlug}.${lastSlug}.${tag}${k > 0 ? '.' + k : ''}@${rng.pick(DOMAINS)}`, firstSlug + tag));
  }

  const emailAddresses: Record<string, unknown>[] = [];
  for (let k = 0; k < plan.emails; k++) {
    const ext = k === 0 && externalAccounts.length > 0 && rng.chance(0.7) ? externalAccounts[0] : undefined;
    emailAddresses.push(emailAddress(ctx, k, created, ext, `${firstSlug}${k > 0 && rng.chance(0.5) ? '+' + rng.pick(['work', 'news', 'test']) : ''}.${lastSlug}${k > 0 ? '.' + k : ''}.${tag}@${rng.pick(DOMAINS)}`));
  }

  const phoneNumbers: Record<string, unknown>[] = [];
  let secondFactorPhone = false;
  for (let k = 0; k < plan.phones; k++) {
    const prefix = rng.pick(PHONE_PREFIXES);
    // Index-derived digits keep phone numbers unique across the data set.
    const number = `${prefix}${rng.int(2, 9)}${String(i * 3 + k).padStart(9, '0')}`;
    const sf = rng.chance(0.2);
    secondFactorPhone ||= sf;
    phoneNumbers.push(phoneNumber(ctx, number, created, sf, k === 0 && sf));
  }

  const web3Wallets: Record<string, unknown>[] = [];
  for (let k = 0; k < plan.web3; k++) web3Wallets.push(web3Wallet(ctx, created));

  const passkeys: Record<string, unknown>[] = [];
  for (let k = 0; k < plan.passkeys; k++) {
    passkeys.push({
      id: 'idn_' + rng.base62(27),
      object: 'passkey',
      name: rng.pick(PASSKEY_NAMES),
      last_used_at: later(created),
      verification: { object: 'verification_passkey', status: 'verified', strategy: 'passkey', nonce: 'nonce', message: null, attempts: null, expire_at: null },
    });
  }

  const samlAccounts: Record<string, unknown>[] = [];
  for (let k = 0; k < plan.saml; k++) samlAccounts.push(samlAccount(ctx, created, firstName, lastName, firstSlug + tag));
  const enterpriseAccounts: Record<string, unknown>[] = [];
  for (let k = 0; k < plan.enterprise; k++) enterpriseAccounts.push(enterpriseAccount(ctx, created, firstName, lastName, firstSlug + tag));

  const hasImage = rng.chance(0.4);
  const imageUrl = hasImage ? `https://img.clerk.com/eyJ0eXBlIjoicHJveHkiLCJzcmMiOi${rng.base62(60)}` : 'https://img.clerk.com/eyJ0eXBlIjoiZGVmYXVsdCIsImlpZCI6Imluc18ifQ';
  const profileImageUrl = hasImage ? `https://images.clerk.dev/uploaded/img_${rng.base62(27)}` : 'https://www.gravatar.com/avatar?d=mp';
  const username = plan.username ? `${firstSlug}_${lastSlug}${rng.chance(0.5) ? rng.int(1, 99) : ''}_${tag}` : null;

  const primaryEmail = emailAddresses.length === 0 ? null : (emailAddresses[emailAddresses.length > 1 && rng.chance(0.2) ? 1 : 0] as Record<string, unknown>).id as string;
  const primaryPhone = phoneNumbers.length === 0 ? null : (phoneNumbers[0] as Record<string, unknown>).id as string;
  const primaryWeb3 = web3Wallets.length === 0 ? null : (web3Wallets[0] as Record<string, unknown>).id as string;

  const passwordEnabled = rng.chance(0.6);
  const totp = rng.chance(0.1);
  const backupCodes = totp && rng.chance(0.7);
  const twoFactor = totp || secondFactorPhone;
  let mfaEnabledAt: number | null = null;
  let mfaDisabledAt: number | null = null;
  if (twoFactor) {
    mfaEnabledAt = later(created);
    if (rng.chance(0.1)) mfaDisabledAt = between(rng, created, mfaEnabledAt); // re-enabled after a disable
  } else if (rng.chance(0.05)) {
    mfaEnabledAt = later(created);
    mfaDisabledAt = later(mfaEnabledAt);
  }
  const updatedAt = rng.chance(0.4) ? created : later(created);
  const lastSignIn = rng.chance(0.8) ? later(created) : null;
  // last_active_at has day precision (spec); it may fall before created_at within the same day.
  const lastActive = rng.chance(0.85) ? Math.floor(later(created) / DAY_MS) * DAY_MS : null;
  const locked = plan.locked;

  let externalId: string | null = null;
  if (plan.externalId) {
    const r = rng.float();
    externalId = r < 0.4 ? String(100000 + i) : r < 0.7 ? `auth0|${rng.hex(24)}` : `legacy-${rng.hex(8)}-${rng.hex(4)}-${tag}`;
  }

  const user: ClerkUser = {
    id: userId,
    object: 'user',
    external_id: externalId,
    primary_email_address_id: primaryEmail,
    primary_phone_number_id: primaryPhone,
    primary_web3_wallet_id: primaryWeb3,
    username,
    first_name: firstName,
    last_name: lastName,
    locale: plan.localeNull ? null : rng.pick(LOCALES),
    profile_image_url: profileImageUrl,
    image_url: imageUrl,
    has_image: hasImage,
    public_metadata: publicMetadata(rng, plan.metadata, i),
    private_metadata: plan.privateNull ? null : rng.chance(0.4) ? {} : { stripe_customer_id: 'cus_' + rng.base62(14), internal_score: rng.int(-5, 100), notes: plan.metadata === 'nasty' ? 'VIP, handle "carefully"\r\nsecond line' : 'ok' },
    unsafe_metadata: rng.chance(0.7) ? {} : { theme: rng.pick(['dark', 'light', 'system']), onboarding: { step: rng.int(1, 5), skipped: rng.chance(0.3) } },
    email_addresses: emailAddresses,
    phone_numbers: phoneNumbers,
    web3_wallets: web3Wallets,
    passkeys,
    password_enabled: passwordEnabled,
    two_factor_enabled: twoFactor,
    totp_enabled: totp,
    backup_code_enabled: backupCodes,
    mfa_enabled_at: mfaEnabledAt,
    mfa_disabled_at: mfaDisabledAt,
    password_last_updated_at: passwordEnabled ? (rng.chance(0.7) ? created : later(created)) : null,
    external_accounts: externalAccounts,
    saml_accounts: samlAccounts,
    enterprise_accounts: enterpriseAccounts,
    organization_memberships: [] as Record<string, unknown>[],
    last_sign_in_at: lastSignIn,
    banned: plan.banned,
    locked,
    deprovisioned: false,
    lockout_expires_in_seconds: locked && rng.chance(0.5) ? rng.int(60, 3600) : null,
    verification_attempts_remaining: locked ? 0 : rng.chance(0.6) ? 100 : null,
    updated_at: updatedAt,
    created_at: created,
    delete_self_enabled: rng.chance(0.9),
    create_organization_enabled: rng.chance(0.8),
    create_organizations_limit: rng.chance(0.8) ? null : rng.pick([0, 1, 3]),
    last_active_at: lastActive,
    legal_accepted_at: rng.chance(0.3) ? between(rng, created, Math.min(startMs, created + 60_000)) : null,
    bypass_client_trust: rng.chance(0.02),
  };

  const memberships = user.organization_memberships as Record<string, unknown>[];
  const identifier = (emailAddresses.find((e) => e.id === primaryEmail)?.email_address as string | undefined) ?? (phoneNumbers[0]?.phone_number as string | undefined) ?? username;
  const usedOrgs = new Set<number>();
  for (let k = 0; k < plan.orgs; k++) {
    let o = rng.int(0, ctx.orgs.length - 1);
    while (usedOrgs.has(o)) o = (o + 1) % ctx.orgs.length;
    usedOrgs.add(o);
    memberships.push(membership(ctx, ctx.orgs[o] as OrgSpec, user, identifier, created));
  }
  return user;
}

function emailVerification(rng: Random, created: number): Record<string, unknown> | null {
  const r = rng.float();
  if (r < 0.6) {
    return { object: 'verification_otp', status: rng.chance(0.92) ? 'verified' : 'unverified', strategy: 'email_code', attempts: rng.int(1, 3), expire_at: created + 600_000 };
  }
  if (r < 0.8) return { object: 'verification_admin', status: 'verified', strategy: 'admin', attempts: null, expire_at: null };
  if (r < 0.88) return { object: 'verification_ticket', status: 'verified', strategy: 'ticket', attempts: null, expire_at: null };
  if (r < 0.93) return { object: 'verification_email_link', status: rng.chance(0.8) ? 'verified' : 'expired', strategy: 'email_link', attempts: 1, expire_at: created + 600_000, verified_at_client: null };
  if (r < 0.95) return { object: 'verification_saml', status: 'verified', strategy: 'saml', external_verification_redirect_url: null, error: null, expire_at: null, attempts: null };
  return null;
}

function emailAddress(ctx: Ctx, k: number, created: number, ext: Record<string, unknown> | undefined, address: string): Record<string, unknown> {
  const { rng } = ctx;
  const at = k === 0 ? created : between(rng, created, ctx.startMs);
  if (ext) {
    return {
      id: 'idn_' + rng.base62(27),
      object: 'email_address',
      email_address: ext.email_address,
      reserved: false,
      verification: { object: 'verification_from_oauth', status: 'verified', strategy: 'from_' + (ext.provider as string), attempts: null, expire_at: null },
      linked_to: [{ type: ext.provider, id: ext.identification_id }],
      matches_sso_connection: false,
      created_at: at,
      updated_at: at,
    };
  }
  return {
    id: 'idn_' + rng.base62(27),
    object: 'email_address',
    email_address: address,
    reserved: false,
    verification: emailVerification(rng, at),
    linked_to: [],
    matches_sso_connection: rng.chance(0.03),
    created_at: at,
    updated_at: rng.chance(0.8) ? at : between(rng, at, ctx.startMs),
  };
}

function phoneNumber(ctx: Ctx, number: string, created: number, secondFactor: boolean, defaultSecondFactor: boolean): Record<string, unknown> {
  const { rng } = ctx;
  const r = rng.float();
  const verification =
    r < 0.75
      ? { object: 'verification_otp', status: rng.chance(0.9) ? 'verified' : 'unverified', strategy: 'phone_code', attempts: rng.int(1, 3), expire_at: created + 600_000, channel: rng.pick(['sms', 'whatsapp']) }
      : r < 0.95
        ? { object: 'verification_admin', status: 'verified', strategy: 'admin', attempts: null, expire_at: null }
        : null;
  return {
    id: 'idn_' + rng.base62(27),
    object: 'phone_number',
    phone_number: number,
    reserved_for_second_factor: secondFactor,
    default_second_factor: defaultSecondFactor,
    reserved: false,
    verification,
    linked_to: [],
    backup_codes: null,
    created_at: created,
    updated_at: created,
  };
}

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
function web3Wallet(ctx: Ctx, created: number): Record<string, unknown> {
  const { rng } = ctx;
  const solana = rng.chance(0.2);
  let address = '0x' + rng.hex(40);
  if (solana) {
    address = '';
    for (let k = 0; k < 44; k++) address += BASE58[rng.int(0, 57)];
  }
  return {
    id: 'idn_' + rng.base62(27),
    object: 'web3_wallet',
    web3_wallet: address,
    verification: rng.chance(0.9)
      ? { object: 'verification_web3', status: 'verified', strategy: solana ? 'web3_solana_signature' : rng.pick(['web3_metamask_signature', 'web3_coinbase_wallet_signature', 'web3_okx_wallet_signature', 'web3_base_signature']), nonce: rng.chance(0.5) ? rng.base62(40).toLowerCase() : null, message: null, attempts: 1, expire_at: created + 600_000 }
      : { object: 'verification_admin', status: 'verified', strategy: 'admin', attempts: null, expire_at: null },
    created_at: created,
    updated_at: created,
  };
}

function externalAccount(ctx: Ctx, p: Provider, created: number, first: string | null, last: string | null, email: string, login: string): Record<string, unknown> {
  const { rng } = ctx;
  const avatar = p.avatar(rng);
  const at = between(rng, created, Math.min(ctx.startMs, created + 3_600_000));
  const v = rng.float();
  return {
    object: 'external_account',
    id: 'eac_' + rng.base62(27),
    provider: p.id,
    identification_id: 'idn_' + rng.base62(27),
    provider_user_id: p.userId(rng),
    approved_scopes: p.scopes,
    email_address: email,
    email_address_verified: v < 0.8 ? true : v < 0.95 ? null : false,
    first_name: first ?? '',
    last_name: last ?? '',
    avatar_url: avatar,
    image_url: avatar === '' ? null : avatar,
    username: p.id === 'oauth_github' || p.id === 'oauth_discord' ? login : null,
    phone_number: null,
    public_metadata: {},
    label: null,
    created_at: at,
    updated_at: rng.chance(0.5) ? at : between(rng, at, ctx.startMs),
    verification: rng.chance(0.97) ? { object: 'verification_oauth', status: 'verified', strategy: p.id, error: null, expire_at: at + 600_000, attempts: null } : null,
  };
}

function connectionObject(c: ConnSpec, enterprise: boolean): Record<string, unknown> {
  const base: Record<string, unknown> = { id: c.id };
  if (enterprise) Object.assign(base, { protocol: c.protocol, provider: c.provider, name: c.name, logo_public_url: c.logo });
  else Object.assign(base, { name: c.name });
  Object.assign(base, {
    domain: c.domains[0],
    domains: [...c.domains],
    active: true,
    ...(enterprise ? {} : { provider: c.provider }),
    sync_user_attributes: true,
    allow_subdomains: c.domains.length > 1,
    allow_idp_initiated: false,
    disable_additional_identifications: false,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
  });
  return base;
}

function samlAccount(ctx: Ctx, created: number, first: string | null, last: string | null, local: string): Record<string, unknown> {
  const { rng } = ctx;
  const conn = rng.pick(ctx.samlConns);
  const r = rng.float();
  const account: Record<string, unknown> = {
    id: 'samlacc_' + rng.base62(27),
    object: 'saml_account',
    provider: conn.provider,
    active: rng.chance(0.9),
    email_address: `${local}@${conn.domains[0]}`,
    first_name: first,
    last_name: last,
    provider_user_id: rng.chance(0.8) ? rng.hex(20) : null,
    last_authenticated_at: rng.chance(0.7) ? between(rng, created, ctx.startMs) : null,
    public_metadata: {},
    verification: rng.chance(0.9)
      ? { object: 'verification_saml', status: 'verified', strategy: 'saml', external_verification_redirect_url: null, error: null, expire_at: null, attempts: null }
      : { object: 'verification_ticket', status: 'verified', strategy: 'ticket', attempts: null, expire_at: null },
  };
  // Sometimes the connection object, sometimes null, sometimes absent (it is optional).
  if (r < 0.6) account.saml_connection = connectionObject(conn, false);
  else if (r < 0.8) account.saml_connection = null;
  return account;
}

function enterpriseAccount(ctx: Ctx, created: number, first: string | null, last: string | null, local: string): Record<string, unknown> {
  const { rng } = ctx;
  const conn = rng.pick(ctx.entConns);
  const withConn = rng.chance(0.7);
  return {
    id: 'entacc_' + rng.base62(27),
    object: 'enterprise_account',
    protocol: conn.protocol,
    provider: conn.provider,
    active: rng.chance(0.9),
    email_address: `${local}@${conn.domains[0]}`,
    first_name: first,
    last_name: last,
    provider_user_id: rng.chance(0.8) ? rng.hex(24) : null,
    enterprise_connection_id: withConn || rng.chance(0.5) ? conn.id : null,
    public_metadata: rng.chance(0.8) ? {} : { department: rng.pick(['Sales', 'R&D', 'Ops, "EMEA"']) },
    verification:
      conn.protocol === 'oauth'
        ? { object: 'verification_oauth', status: 'verified', strategy: conn.provider, error: null, expire_at: created + 600_000, attempts: null }
        : { object: 'verification_saml', status: 'verified', strategy: 'saml', external_verification_redirect_url: null, error: null, expire_at: null, attempts: null },
    enterprise_connection: withConn ? connectionObject(conn, true) : null,
    last_authenticated_at: rng.chance(0.7) ? between(rng, created, ctx.startMs) : null,
  };
}

function membership(ctx: Ctx, org: OrgSpec, user: ClerkUser, identifier: string | null | undefined, created: number): Record<string, unknown> {
  const { rng } = ctx;
  const role = ROLES[weighted(rng, [70, 15, 5, 10])] as (typeof ROLES)[number];
  const at = between(rng, Math.max(created, org.createdAt), Math.min(ctx.startMs, Math.max(created, org.createdAt) + 30 * DAY_MS));
  return {
    id: 'orgmem_' + rng.base62(27),
    object: 'organization_membership',
    role: role.role,
    role_name: role.name,
    permissions: [...role.permissions],
    public_metadata: rng.chance(0.8) ? {} : { team: rng.pick(['core', 'growth', 'support, tier 1']) },
    private_metadata: {},
    organization: {
      object: 'organization',
      id: org.id,
      name: org.name,
      slug: org.slug,
      image_url: org.image,
      has_image: org.hasImage,
      members_count: rng.int(1, 500),
      missing_member_with_elevated_permissions: false,
      pending_invitations_count: rng.int(0, 3),
      max_allowed_memberships: org.maxMemberships,
      admin_delete_enabled: true,
      public_metadata: { ...org.metadata },
      private_metadata: {},
      created_by: org.createdBy,
      created_at: org.createdAt,
      updated_at: org.updatedAt,
      role_set_key: null,
    },
    public_user_data: {
      user_id: user.id,
      first_name: user.first_name,
      last_name: user.last_name,
      profile_image_url: user.profile_image_url,
      image_url: user.image_url,
      has_image: user.has_image,
      identifier: identifier ?? null,
      username: user.username,
      banned: user.banned,
      deprovisioned: false,
    },
    created_at: at,
    updated_at: rng.chance(0.7) ? at : between(rng, at, ctx.startMs),
  };
}

// ---------------------------------------------------------------------------------------------
// Metadata.

const NASTY_VALUES: readonly unknown[] = [
  'Line 1\nLine 2', 'a,b,c', 'He said "hi"', '\r\n', '=1+1', '🎉 party', 'tab\there', ' padded ', '', 'null',
  9007199254740991, -0.5, 1e21, 0, true, false, null, [], {}, ['x', 1, null, { deep: 'y' }],
];

function publicMetadata(rng: Random, kind: Plan['metadata'], i: number): Record<string, unknown> {
  switch (kind) {
    case 'empty':
      return {};
    case 'small': {
      const m: Record<string, unknown> = { plan: rng.pick(['free', 'pro', 'enterprise']), onboarding_complete: rng.chance(0.7) };
      if (rng.chance(0.4)) m.role = rng.pick(['admin', 'member', 'viewer']);
      if (rng.chance(0.3)) m.tags = ['beta', 'newsletter', 'vip'].filter(() => rng.chance(0.5));
      if (rng.chance(0.2)) m.signup_source = rng.pick(['ads', 'organic', 'referral']);
      return m;
    }
    case 'nasty': {
      const m: Record<string, unknown> = {
        note: rng.pick(['Line1\nLine2, "quoted"', 'CRLF\r\nline', 'comma, separated, values', '"leading quote', '=SUM(A1:A9)']),
        'key with spaces': rng.pick(NASTY_VALUES),
        'ключ': 'значение',
        emoji: '🎉🔥👩‍👩‍👧‍👦',
        'dotted.key': { 'nested,comma': rng.pick(NASTY_VALUES) },
      };
      if (rng.chance(0.5)) m.big_int = 9007199254740991;
      return m;
    }
    case 'big':
      return bigMetadata(rng, i);
  }
}

/** Several KB, 5 levels deep, with arrays of objects. */
function bigMetadata(rng: Random, i: number): Record<string, unknown> {
  const addresses = [];
  for (let a = 0; a < 6; a++) {
    const history = [];
    for (let h = 0; h < 8; h++) history.push({ at: 1_600_000_000_000 + h * 86_400_000, lat: rng.int(-90_000, 90_000) / 1000, lng: rng.int(-180_000, 180_000) / 1000, label: rng.pick(['home', 'work', 'Café, "Zoë"', 'line\nbreak']) });
    addresses.push({ street: `${rng.int(1, 999)} ${rng.pick(['Main St', 'Rue de l’Église', 'Königsallee', '中山路'])}`, city: rng.pick(['Paris', 'München', 'São Paulo', '東京', 'Kraków']), geo: { precision: 'high', history } });
  }
  const audit = [];
  for (let e = 0; e < 20; e++) audit.push({ event: rng.pick(['login', 'logout', 'password_change', 'mfa_enabled']), ip: `10.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`, meta: { ua: 'Mozilla/5.0 (X11; Linux x86_64)', ok: rng.chance(0.9) } });
  return {
    profile: { addresses, preferences: { notifications: { email: { weekly: true, marketing: false, channels: ['email', 'sms', 'push'] }, quiet_hours: [{ from: '22:00', to: '07:00', days: [0, 6] }] } } },
    audit,
    import: { source: 'legacy-db', row: i, checksum: rng.hex(64) },
  };
}
