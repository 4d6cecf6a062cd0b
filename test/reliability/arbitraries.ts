/**
 * fast-check arbitraries of Clerk Users (BAPI spec 2026-05-12, docs/clerk-api.md).
 *
 * Driven by the table schema (src/transform/schema.ts): every field of every entity is generated
 * with its JSON type, required fields always present, optional ones present or absent, nullable
 * ones sometimes null. Hand-written overrides give enums (`object`), verification variants, the
 * element types of nested arrays (`linked_to`, `domains`, …) and ClerkError. Strings are any
 * Unicode (graphemes, any code point including U+0000, and a pool of CSV / spreadsheet / bidi
 * hostile pieces); metadata is free-form JSON. Ids are unique within a user (child ids) and
 * within a generated batch (user ids).
 */
import fc from 'fast-check';
import type { ClerkUser } from '../../src/model/clerk-types.js';
import { TABLES, USER, type EntitySpec, type FieldSpec, type ObjectSpec } from '../../src/model/schema.js';

type Arb = fc.Arbitrary<unknown>;
type Rec = Record<string, unknown>;

/** Which Unix-ms integers to generate for timestamp fields. */
export type TimestampRange =
  /** Any safe integer: what the spec (`integer (int64)`) and validateUser allow. */
  | 'safe'
  /** Within the JS Date range (±8.64e15 ms, ±275,760 years): what `new Date(ms)` can represent. */
  | 'date'
  /** Years 0000–9999: what an RFC 3339 date-time (create-user body) can carry. */
  | 'rfc3339';

export interface UserArbOptions {
  timestamps?: TimestampRange;
  /** Max elements of each nested array. Default 3. */
  maxItems?: number;
  /**
   * Schema drift: add fields the spec does not know (`x_…`) to the user, its array elements and nested
   * objects, as Clerk does when it adds a field. They land in the `_extra` columns. Default false.
   */
  unknownFields?: boolean;
}

interface Cfg {
  ts: TimestampRange;
  drift: boolean;
}

// --- strings --------------------------------------------------------------------------------

/** Pieces that break CSV writers, spreadsheets, JSON and terminals. */
const HOSTILE_UNITS = [
  '\u0000', '\u0001', '\u001f', '\u007f', '\r', '\n', '\r\n', '\t', '\v', '\f', '"', "'", '`', ',', ';', '|', ' ', '\u00a0',
  '=', '+', '-', '@', '#', '\\', '/', '{', '}', '[', ']', '$', '%',
  '\ufeff', '\u200b', '\u200d', '\u200e', '\u200f', '\u202e', '\u2066', '\u2028', '\u2029', '\ufffd',
  '\u0301', 'e\u0301', 'é', 'ß', 'İ', 'ﬁ', 'Ω', 'ǅ',
  '😀', '👩‍💻', '🏳️‍🌈', '👍🏽', '🇫🇷', '𝔘', '𠜎',
  'א', 'مرحبا', '李小龙', '한국어', 'ภูมิ', 'Дмитрий',
  'null', 'NULL', 'true', 'false', '0', '-0', '1e3', 'NaN', '\\N', '""', 'undefined', '__proto__',
];

/** Any Unicode string (well-formed UTF-16: no lone surrogates), short. */
export const anyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
  { weight: 4, arbitrary: fc.string({ unit: fc.constantFrom(...HOSTILE_UNITS), maxLength: 6 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '=1+2', '-2+3', '+SUM(1,2)', '@admin', '\t=x', '\r=x', "'quoted", ' padded ') },
);

/** Metadata keys: any string, plus keys that trip up naive object handling. */
const metadataKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: anyString },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', '', 'a.b', '$ref', '0', '10', '-1') },
);

/** A free-form JSON value (metadata leaves), unicode strings, any doubles JSON can carry. */
export const jsonValue: Arb = fc.jsonValue({ maxDepth: 3, stringUnit: 'grapheme' });

/** A free-form JSON object (public / private / unsafe metadata). */
export const metadata: fc.Arbitrary<Rec> = fc.dictionary(
  metadataKey,
  fc.oneof({ weight: 3, arbitrary: jsonValue }, { weight: 1, arbitrary: anyString }),
  { maxKeys: 4, noNullPrototype: true },
);

// --- numbers --------------------------------------------------------------------------------

const MAX_DATE_MS = 8.64e15;
/** 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z. */
export const RFC3339_MIN_MS = -62_167_219_200_000;
export const RFC3339_MAX_MS = 253_402_300_799_999;

const safeInt = fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
/** Safe integers biased to small and boundary values. */
export const int64: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: -1000, max: 1000 }) },
  { weight: 2, arbitrary: safeInt },
  { weight: 1, arbitrary: fc.constantFrom(0, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER) },
);

export function timestamp(range: TimestampRange = 'safe'): fc.Arbitrary<number> {
  // Realistic Clerk times (2015–2035) most of the time, the whole range otherwise.
  const realistic = fc.integer({ min: Date.UTC(2015, 0, 1), max: Date.UTC(2035, 0, 1) });
  const edges = (min: number, max: number) => fc.constantFrom(min, max, 0, -1, 1, Date.UTC(2000, 1, 29), Date.UTC(1969, 11, 31, 23, 59, 59, 999));
  switch (range) {
    case 'rfc3339':
      return fc.oneof({ weight: 3, arbitrary: realistic }, { weight: 2, arbitrary: fc.integer({ min: RFC3339_MIN_MS, max: RFC3339_MAX_MS }) }, { weight: 1, arbitrary: edges(RFC3339_MIN_MS, RFC3339_MAX_MS) });
    case 'date':
      return fc.oneof({ weight: 3, arbitrary: realistic }, { weight: 2, arbitrary: fc.integer({ min: -MAX_DATE_MS, max: MAX_DATE_MS }) }, { weight: 1, arbitrary: edges(-MAX_DATE_MS, MAX_DATE_MS) });
    case 'safe':
      return fc.oneof(
        { weight: 3, arbitrary: realistic },
        { weight: 2, arbitrary: safeInt },
        { weight: 1, arbitrary: edges(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER) },
        { weight: 1, arbitrary: fc.constantFrom(MAX_DATE_MS + 1, -MAX_DATE_MS - 1) },
      );
  }
}

// --- the schema-driven generator ------------------------------------------------------------

interface Overrides {
  /** Replace the value arbitrary of a field (nullability still applies). */
  fields?: Record<string, Arb>;
  /** Replace a nested object entirely (nullability still applies). */
  objects?: Record<string, Arb>;
  /** Fields always present although optional in the spec (verification `status`, …). */
  alwaysPresent?: string[];
}

function valueArb(f: FieldSpec, { ts }: Cfg): Arb {
  switch (f.kind) {
    case 'string':
      return anyString;
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return f.type === 'timestamp' ? timestamp(ts) : int64;
    case 'object':
      return metadata;
    case 'array':
      return fc.array(anyString, { maxLength: 3 });
    case 'any':
      return jsonValue;
  }
}

const nullable = (arb: Arb, isNullable: boolean): Arb => (isNullable ? fc.option(arb, { nil: null, freq: 4 }) : arb);

/** A record of `fields` (and nested `objects`) as the spec declares them. */
function recordArb(fields: FieldSpec[], objects: ObjectSpec[], cfg: Cfg, o: Overrides = {}): fc.Arbitrary<Rec> {
  const model: Record<string, Arb> = {};
  const required: string[] = [];
  for (const f of fields) {
    model[f.key] = nullable(o.fields?.[f.key] ?? valueArb(f, cfg), f.nullable);
    if (f.required || o.alwaysPresent?.includes(f.key)) required.push(f.key);
  }
  for (const ob of objects) {
    model[ob.key] = nullable(o.objects?.[ob.key] ?? recordArb(ob.fields, [], cfg), ob.nullable);
    if (ob.required || o.alwaysPresent?.includes(ob.key)) required.push(ob.key);
  }
  const rec = fc.record(model, { requiredKeys: required }) as fc.Arbitrary<Rec>;
  return cfg.drift ? withUnknownFields(rec, 2) : rec;
}

/** `rec` with up to `max` fields no schema declares (`x_<any string>`: never a known key). */
function withUnknownFields(rec: fc.Arbitrary<Rec>, max: number): fc.Arbitrary<Rec> {
  const extra = fc.dictionary(
    anyString.map((k) => `x_${k}`),
    jsonValue,
    { maxKeys: max, noNullPrototype: true },
  );
  return fc.tuple(rec, extra).map(([r, x]) => ({ ...x, ...r }));
}

function entityOf(array: string): EntitySpec {
  return TABLES.find((t) => t.sourceArray === array)!.entity!;
}
function nestedSpec(entity: EntitySpec, key: string): ObjectSpec {
  return entity.objects.find((x) => x.key === key)!;
}

/** ClerkError. */
const clerkError: Arb = fc.record(
  { message: anyString, long_message: anyString, code: fc.constantFrom('form_identifier_not_found', 'oauth_access_denied', 'external_account_not_found'), meta: metadata },
  { requiredKeys: ['message', 'long_message', 'code'] },
);

/** A verification of one of the variants `variants` (object → statuses, strategies). */
function verificationArb(entity: EntitySpec, variants: Record<string, { status: string[]; strategy: fc.Arbitrary<string> }>, ts: Cfg): Arb {
  const spec = nestedSpec(entity, 'verification');
  const names = Object.keys(variants);
  return fc.constantFrom(...names).chain((object) => {
    const v = variants[object]!;
    return recordArb(spec.fields, [], ts, {
      fields: { object: fc.constant(object), status: fc.constantFrom(...v.status), strategy: v.strategy, error: clerkError, nonce: fc.oneof(fc.constant('nonce'), anyString) },
      alwaysPresent: ['status', 'strategy', 'attempts', 'expire_at'],
    });
  });
}

const oauthStrategy = fc.stringMatching(/^oauth_(?:token_|custom_)?[a-z]{1,10}$/);
const V_OTP = { status: ['unverified', 'verified', 'failed', 'expired'], strategy: fc.constantFrom('phone_code', 'email_code', 'reset_password_email_code') };
const V_ADMIN = { status: ['verified'], strategy: fc.constant('admin') };
const V_TICKET = { status: ['unverified', 'verified', 'expired'], strategy: fc.constant('ticket') };
const V_SAML = { status: ['unverified', 'verified', 'failed', 'expired', 'transferable'], strategy: fc.constant('saml') };
const V_OAUTH = { status: ['unverified', 'verified', 'failed', 'expired', 'transferable'], strategy: oauthStrategy };

const identificationLink: Arb = fc.record({ type: fc.stringMatching(/^oauth_[a-z]{1,10}$/), id: fc.stringMatching(/^idn_[A-Za-z0-9]{1,12}$/) });
const stringList = fc.array(anyString, { maxLength: 3 });

function connectionArb(entity: EntitySpec, key: string, ts: Cfg): Arb {
  const spec = nestedSpec(entity, key);
  return recordArb(spec.fields, [], ts, { fields: { domains: fc.array(fc.domain(), { maxLength: 3 }), logo_public_url: fc.webUrl() } });
}

/** The element arbitraries of the eight User arrays. */
function elementArbs(ts: Cfg): Record<string, fc.Arbitrary<Rec>> {
  const el = (array: string, o: Overrides): fc.Arbitrary<Rec> => {
    const e = entityOf(array);
    return recordArb(e.fields, e.objects, ts, o);
  };
  const E = entityOf;
  return {
    email_addresses: el('email_addresses', {
      fields: { object: fc.constant('email_address'), email_address: fc.oneof(fc.emailAddress(), anyString), linked_to: fc.array(identificationLink, { maxLength: 2 }) },
      objects: {
        verification: verificationArb(
          E('email_addresses'),
          {
            verification_otp: V_OTP,
            verification_admin: V_ADMIN,
            verification_from_oauth: { status: ['unverified', 'verified'], strategy: fc.stringMatching(/^from_oauth_(?:token_|custom_)?[a-z]{1,10}$/) },
            verification_ticket: V_TICKET,
            verification_saml: V_SAML,
            verification_email_link: { status: ['unverified', 'verified', 'failed', 'expired'], strategy: fc.constant('email_link') },
            verification_scim: { status: ['verified'], strategy: fc.constant('scim') },
          },
          ts,
        ),
      },
    }),
    phone_numbers: el('phone_numbers', {
      fields: { object: fc.constant('phone_number'), phone_number: fc.oneof(fc.stringMatching(/^\+[1-9]\d{7,14}$/), anyString), linked_to: fc.array(identificationLink, { maxLength: 2 }), backup_codes: stringList },
      objects: { verification: verificationArb(E('phone_numbers'), { verification_otp: V_OTP, verification_admin: V_ADMIN }, ts) },
    }),
    web3_wallets: el('web3_wallets', {
      fields: { object: fc.constant('web3_wallet'), web3_wallet: fc.oneof(fc.stringMatching(/^0x[0-9a-fA-F]{40}$/), anyString) },
      objects: {
        verification: verificationArb(
          E('web3_wallets'),
          {
            verification_web3: { status: ['unverified', 'verified', 'failed', 'expired'], strategy: fc.constantFrom('web3_metamask_signature', 'web3_base_signature', 'web3_coinbase_wallet_signature', 'web3_okx_wallet_signature', 'web3_solana_signature') },
            verification_admin: V_ADMIN,
          },
          ts,
        ),
      },
    }),
    passkeys: el('passkeys', {
      fields: { object: fc.constant('passkey') },
      objects: { verification: verificationArb(E('passkeys'), { verification_passkey: { status: ['verified'], strategy: fc.constant('passkey') } }, ts) },
    }),
    external_accounts: el('external_accounts', {
      fields: { object: fc.constantFrom('external_account', 'google_account', 'facebook_account'), provider: fc.oneof(oauthStrategy, anyString), avatar_url: fc.oneof(fc.webUrl(), anyString), image_url: fc.oneof(fc.webUrl(), anyString) },
      objects: { verification: verificationArb(E('external_accounts'), { verification_oauth: V_OAUTH, verification_google_one_tap: { status: ['unverified', 'verified'], strategy: fc.constant('google_one_tap') } }, ts) },
    }).chain((acc) =>
      // ExternalAccountWithVerification is the one schema with additionalProperties: true.
      withUnknownFields(fc.constant(acc), 2),
    ),
    saml_accounts: el('saml_accounts', {
      fields: { object: fc.constant('saml_account') },
      objects: {
        verification: verificationArb(E('saml_accounts'), { verification_saml: V_SAML, verification_ticket: V_TICKET }, ts),
        saml_connection: connectionArb(E('saml_accounts'), 'saml_connection', ts),
      },
    }),
    enterprise_accounts: el('enterprise_accounts', {
      fields: { object: fc.constant('enterprise_account'), protocol: fc.constantFrom('oauth', 'saml') },
      objects: {
        verification: verificationArb(E('enterprise_accounts'), { verification_ticket: V_TICKET, verification_saml: V_SAML, verification_oauth: V_OAUTH }, ts),
        enterprise_connection: connectionArb(E('enterprise_accounts'), 'enterprise_connection', ts),
      },
    }),
    organization_memberships: el('organization_memberships', {
      fields: { object: fc.constant('organization_membership'), role: fc.oneof(fc.constantFrom('org:admin', 'org:member'), anyString) },
      objects: {
        organization: recordArb(nestedSpec(E('organization_memberships'), 'organization').fields, [], ts, { fields: { object: fc.constant('organization'), image_url: fc.webUrl() } }),
      },
    }),
  };
}

/** Make child ids unique within the user: `<prefix><tag><position>` (only where the element has an id). */
function uniqueChildIds(items: Rec[], prefix: string, tag: string): Rec[] {
  return items.map((it, i) => ('id' in it ? { ...it, id: `${prefix}${tag}${i}` } : it));
}

/** null, the id of one element, or an id that matches none (the spec does not forbid a dangling one). */
function pickPrimary(items: Rec[], choice: number): string | null {
  const ids = items.map((x) => x.id).filter((x): x is string => typeof x === 'string');
  const k = choice % (ids.length + 2);
  return k < ids.length ? ids[k]! : k === ids.length ? null : 'idn_dangling';
}

const ARRAY_ID_PREFIX: Record<string, string> = {
  email_addresses: 'idn_e',
  phone_numbers: 'idn_p',
  web3_wallets: 'idn_w',
  passkeys: 'pk_',
  external_accounts: 'eac_',
  saml_accounts: 'samlacc_',
  enterprise_accounts: 'entacc_',
  organization_memberships: 'orgmem_',
};

/** Any User the spec allows. Every generated user passes validateUser. */
export function userArb(options: UserArbOptions = {}): fc.Arbitrary<ClerkUser> {
  const ts: Cfg = { ts: options.timestamps ?? 'date', drift: options.unknownFields ?? false };
  const maxItems = options.maxItems ?? 3;
  const elements = elementArbs(ts);
  const arrays: Record<string, Arb> = {};
  for (const [k, arb] of Object.entries(elements)) arrays[k] = fc.array(arb, { maxLength: maxItems });
  const base = recordArb(USER.fields, USER.objects, ts, {
    fields: {
      ...arrays,
      object: fc.constant('user'),
      locale: fc.oneof(fc.constantFrom('en', 'en-US', 'fr-FR', 'zh-Hans-CN', 'ar-EG', 'he-IL'), anyString),
      profile_image_url: fc.oneof(fc.webUrl(), anyString),
      image_url: fc.oneof(fc.webUrl(), anyString),
    },
  });
  return fc
    .record({
      user: base,
      idTag: fc.stringMatching(/^[0-9A-Za-z]{1,16}$/),
      primary: fc.tuple(fc.nat(), fc.nat(), fc.nat()),
    })
    .map(({ user, idTag, primary }) => {
      const u: Rec = { ...user, id: `user_${idTag}` };
      for (const [array, prefix] of Object.entries(ARRAY_ID_PREFIX)) {
        if (Array.isArray(u[array])) u[array] = uniqueChildIds(u[array] as Rec[], prefix, `${idTag}_`);
      }
      u.primary_email_address_id = pickPrimary(u.email_addresses as Rec[], primary[0]);
      u.primary_phone_number_id = pickPrimary(u.phone_numbers as Rec[], primary[1]);
      u.primary_web3_wallet_id = pickPrimary(u.web3_wallets as Rec[], primary[2]);
      return u as ClerkUser;
    });
}

/** 0–`maxLength` users with distinct ids. */
export function usersArb(options: UserArbOptions & { minLength?: number; maxLength?: number } = {}): fc.Arbitrary<ClerkUser[]> {
  return fc.uniqueArray(userArb(options), { minLength: options.minLength ?? 0, maxLength: options.maxLength ?? 4, selector: (u) => u.id });
}

// --- users that Clerk (the emulator) can create -------------------------------------------

const LOCAL_UNITS = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', '.', '_', '-', '+', "'", '!', '#', '$', '%', '&', '*', '/', '=', '?', '^', '`', '{', '|', '}', '~', 'é', 'ü', 'ø', '李', 'д'];
const LABEL = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/);
const UNICODE_LABEL = fc.constantFrom('bücher', 'münchen', '例え', 'пример', 'xn--bcher-kva');
/** A domain the emulator's and the mapper's e-mail checks accept: 1–2 labels and a letter TLD. */
const emailDomain = fc
  .tuple(fc.array(fc.oneof({ weight: 4, arbitrary: LABEL }, { weight: 1, arbitrary: UNICODE_LABEL }), { minLength: 1, maxLength: 2 }), fc.stringMatching(/^[a-z]{2,6}$/))
  .map(([labels, tld]) => [...labels, tld].join('.'));

/** Identifier pieces for up to 3 emails, phones and wallets; made unique per batch by {@link importableUsersArb}. */
const identifierParts = fc.record({
  emails: fc.array(fc.record({ local: fc.string({ unit: fc.constantFrom(...LOCAL_UNITS), minLength: 1, maxLength: 12 }), domain: emailDomain }), { minLength: 3, maxLength: 3 }),
  phones: fc.array(fc.stringMatching(/^\d{8}$/), { minLength: 3, maxLength: 3 }),
  wallets: fc.array(fc.tuple(fc.stringMatching(/^[0-9a-fA-F]{38}$/), fc.boolean()), { minLength: 3, maxLength: 3 }),
  username: fc.option(fc.oneof(anyString, fc.stringMatching(/^[a-z][a-z0-9_-]{3,20}$/)), { nil: null }),
  externalId: fc.option(anyString, { nil: null }),
  locale: fc.option(fc.constantFrom('', 'en', 'en-US', 'fr-FR', 'de-CH', 'zh-Hans-CN', 'ar-EG', 'he-IL', 'pt-BR', 'sr-Latn-RS'), { nil: null }),
});

/**
 * 1–`maxLength` Users (any shape the spec allows, like {@link userArb}: 0–3 of each identification with
 * any verification, primary ids pointing anywhere) whose identifiers Clerk accepts and that are unique
 * across the batch: e-mail addresses with a safe local part and domain, E.164 `+1` + 10 digits phones,
 * `0x` wallets, any-Unicode usernames and external ids, BCP 47 locales, and times an RFC 3339 body can
 * carry. Each has at least one identifier.
 */
export function importableUsersArb(maxLength = 3): fc.Arbitrary<ClerkUser[]> {
  const one = fc.record({ user: userArb({ timestamps: 'rfc3339' }), ids: identifierParts });
  return fc.uniqueArray(one, { minLength: 1, maxLength, selector: (x) => x.user.id }).map((list) =>
    list.map(({ user, ids }, i) => {
      const u = structuredClone(user) as Rec;
      u.email_addresses = (u.email_addresses as Rec[]).map((item, j) => ({ ...item, email_address: `${ids.emails[j]!.local}+u${i}e${j}@${ids.emails[j]!.domain}` }));
      u.phone_numbers = (u.phone_numbers as Rec[]).map((item, j) => ({ ...item, phone_number: `+1${ids.phones[j]!}${i}${j}` }));
      u.web3_wallets = (u.web3_wallets as Rec[]).map((item, j) => {
        const [hex, upper] = ids.wallets[j]!;
        return { ...item, web3_wallet: `0x${upper ? hex.toUpperCase() : hex}${i}${j}` };
      });
      // Any-Unicode username made unique by a suffix; '' and null mean none.
      u.username = ids.username === null ? null : ids.username === '' ? '' : `${ids.username}#u${i}`;
      const identified = (u.email_addresses as Rec[]).length + (u.phone_numbers as Rec[]).length + (u.web3_wallets as Rec[]).length > 0;
      if (!identified && !u.username) u.username = `only_username_u${i}`;
      u.external_id = ids.externalId === null ? null : ids.externalId === '' ? '' : `${ids.externalId}#u${i}`;
      u.locale = ids.locale;
      return u as ClerkUser;
    }),
  );
}

/**
 * Like {@link importableUsersArb} (one user), but identifiers and locale are loosely shaped: anything
 * from valid to garbage. For "the mapper's pre-checks agree with what Clerk accepts".
 */
export function looseImportableUserArb(ts: TimestampRange = 'date'): fc.Arbitrary<ClerkUser> {
  const looseEmail = fc.oneof(
    fc.emailAddress(),
    fc.tuple(anyString, anyString, anyString).map(([a, b, c]) => `${a}@${b}.${c}`),
    fc.tuple(fc.string({ unit: fc.constantFrom(...LOCAL_UNITS, '"', '(', ')', ',', ':', ';', '<', '>', '[', ']', '\\', ' '), minLength: 0, maxLength: 70 }), emailDomain).map(([l, d]) => `${l}@${d}`),
  );
  const loosePhone = fc.oneof(fc.stringMatching(/^\+\d{1,17}$/), fc.stringMatching(/^\+?[0-9 ()-]{0,20}$/), anyString);
  const looseWallet = fc.oneof(fc.stringMatching(/^0x[0-9a-fA-F]{38,42}$/), fc.stringMatching(/^[1-9A-HJ-NP-Za-km-z]{30,46}$/), anyString);
  return fc
    .record({
      user: userArb({ timestamps: ts, maxItems: 2 }),
      emails: fc.uniqueArray(looseEmail, { maxLength: 2, selector: (e) => e.toLowerCase() }),
      phones: fc.uniqueArray(loosePhone, { maxLength: 2 }),
      wallets: fc.uniqueArray(looseWallet, { maxLength: 2, selector: (w) => w.toLowerCase() }),
      locale: fc.option(fc.oneof(fc.constantFrom('en', 'en-US', 'zh-Hans-CN', 'x-private', 'en_US', 'EN-us', 'i-klingon', 'art-lojban', 'en-US-u-ca-buddhist'), anyString), { nil: null }),
    })
    .map(({ user, emails, phones, wallets, locale }) => {
      const u = structuredClone(user) as Rec;
      const base = (kind: string) => ({ id: `idn_${kind}`, object: kind, reserved: false, verification: null, linked_to: [], created_at: 0, updated_at: 0 });
      u.email_addresses = emails.map((e, j) => ({ ...base('email_address'), id: `idn_e${j}`, email_address: e }));
      u.phone_numbers = phones.map((p, j) => ({ ...base('phone_number'), id: `idn_p${j}`, phone_number: p }));
      u.web3_wallets = wallets.map((w, j) => ({ id: `idn_w${j}`, object: 'web3_wallet', verification: null, created_at: 0, updated_at: 0, web3_wallet: w }));
      u.locale = locale;
      return u as ClerkUser;
    });
}
