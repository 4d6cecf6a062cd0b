import type { IncomingMessage } from 'node:http';
import type { ClerkUser } from '../model/clerk-types.js';
import { ApiError, apiErrors } from './api-error.js';
import { normalizeIdentifier, type IdentifierKind, type UserSecrets, type UserStore } from './store.js';

/**
 * The write side of the users API: `POST /v1/users` (CreateUser), `PATCH /v1/users/{id}` (UpdateUser),
 * `PATCH|PUT /v1/users/{id}/metadata` (UpdateUserMetadata / ReplaceUserMetadata), faithful to the request
 * schemas of Clerk's Backend API spec (2026-05-12, in test/fixtures/clerk/) and the codes of Clerk's error catalogue (docs/clerk-api.md).
 *
 * Rules, in the order they are checked (the first failure is answered, as one error):
 * 1. body: JSON (`Content-Type: application/json`, else 415 `unsupported_content_type`), at most
 *    {@link MAX_BODY_BYTES} (413 `request_body_too_large`), an object (400 `request_body_invalid`);
 *    an empty body counts as `{}`.
 * 2. every key is a property of the schema (`additionalProperties: false`) → 422 `form_param_unknown`.
 * 3. types: null for a property the spec does not mark `nullable` → 422 `form_param_nil`; a wrong JSON
 *    type → 422 `form_param_value_invalid` ("… Received number, must be of type string.", the catalogue's
 *    FailedToParseRequestBody, its error for a failed JSON decode); an enum value outside the enum
 *    → 422 `form_param_value_invalid`.
 * 4. formats (422 `form_param_format_invalid`): email addresses, E.164 phone numbers (`+`, 8–15 digits,
 *    no leading 0), web3 wallets (`0x` + 40 hex, or a 32–44 character base58 Solana address, which Clerk
 *    also supports and the generator produces), BCP-47 locales; RFC 3339 `created_at` / `legal_accepted_at`
 *    → `form_param_invalid_time`; `*_identification_status` not one entry per address →
 *    `form_param_array_length_mismatch`.
 * 5. passwords: `password_digest` without `password_hasher` or the reverse → `form_conditional_param_missing`
 *    (param_name: the missing one); an unknown hasher → `form_param_value_invalid` (password_hasher); a
 *    digest that does not fit its hasher → `form_password_digest_invalid_code` (password_digest); a plaintext
 *    `password` under 8 characters without `skip_password_checks` → `form_password_length_too_short`;
 *    `totp_secret` not base32 → `invalid_totp_secret_code`.
 * 6. create: no email, phone, web3 wallet or username → 422 `form_data_missing` (meta `param_names`), with
 *    or without `skip_user_requirement`: docs/clerk-api.md ("Creating and updating users") reads the spec's sentence on it ("At least one
 *    identification type must be enabled and provided") as "at least one identifier still needed", and the
 *    emulator follows the stricter reading so an importer cannot come to rely on the looser one. With the
 *    emulator option `requirePassword`, a create without password or digest and without
 *    `skip_password_requirement` is `form_data_missing` (password).
 * 7. uniqueness across the instance → 422 `form_identifier_exists` (param_name: email_address, phone_number,
 *    web3_wallet, username or external_id); emails and usernames case-insensitively, `0x` wallets too.
 * 8. create: the instance's user quota → 403 `user_quota_exceeded`.
 *
 * Choices where the spec is silent (Clerk's real behaviour may differ):
 * - A duplicate `external_id` is a `form_identifier_exists` with param_name `external_id`: the spec says it
 *   "must be unique across your instance" but documents no error; this is the identifier error.
 * - The same identifier twice in one request is `form_identifier_exists` too.
 * - A reserved address gets `reserved: true` and `verification: {object: 'verification_otp', status:
 *   'unverified', strategy: 'email_code' | 'phone_code', attempts: null, expire_at: null}`: the spec's
 *   `verification_admin` only allows status `verified`, and `verification_otp` is the one variant both
 *   EmailAddress and PhoneNumber allow with status `unverified`. Nothing was sent, hence the null attempts.
 * - Metadata not given is `{}` (private_metadata too). `""` for username, external_id or locale means none.
 * - `sha256_salted` / `md5_salted` digests are accepted as `salt$hash` (Clerk's SDK docs) or `hash$salt`
 *   (an earlier PasswordHasher description); `hmac_sha256_utf16_b64` (`hmac_sha256_utf16_b64$<hash>$<key>`) is
 *   accepted: it is absent from the 2026-05-12 spec but earlier versions of Clerk's PasswordHasher description
 *   list it (and clerk/migration-tool sends it).
 * - New users: `delete_self_enabled` and `create_organization_enabled` default to true,
 *   `verification_attempts_remaining` is 100 (0 when created locked), nested objects are stamped with the
 *   time of the request, the user's `updated_at` too (its `created_at` may come from the body).
 * - UpdateUser: null clears first_name, last_name, locale, username, external_id, legal_accepted_at and
 *   create_organizations_limit, and is ignored for every other nullable property. `primary_*_id` must name a
 *   verified identification of the user (`form_resource_not_found` / `form_param_value_invalid`).
 *   `profile_image_id` is always `form_resource_not_found` (the emulator stores no images).
 *   `skip_password_checks` / `sign_out_of_other_sessions` set to true without `password` →
 *   `form_conditional_param_missing` (the spec: "can only be used when providing a `password`").
 *   Metadata properties are unknown at 2026-05-12 (and without a version); a request naming an older
 *   version may send them and they replace the stored objects wholesale, as UpdateUser used to.
 * - Metadata endpoints: PATCH deep-merges objects (arrays and scalars replace; null deletes the key at any
 *   level); PUT replaces each given object. Null for a whole metadata property is `form_param_nil`.
 */

/** Largest request body read, bytes. Clerk documents no number; 10 MiB never rejects a real user. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Minimum plaintext password length (spec: "at least 8 characters long"). */
const MIN_PASSWORD = 8;

/**
 * Password hashers Clerk documents: the 17 of the spec's PasswordHasher description, the four more of
 * Clerk's SDK docs (docs/clerk-api.md, "Password hashers"), and `hmac_sha256_utf16_b64`.
 */
export const PASSWORD_HASHERS = [
  'argon2i', 'argon2id', 'bcrypt', 'bcrypt_sha256_django', 'ldap_ssha', 'md5', 'md5_phpass', 'pbkdf2_sha1', 'pbkdf2_sha256',
  'pbkdf2_sha256_django', 'pbkdf2_sha512', 'pbkdf2_sha512_hex', 'phpass', 'scrypt_firebase', 'scrypt_werkzeug', 'sha256', 'sha512_symfony',
  'awscognito', 'bcrypt_peppered', 'md5_salted', 'sha256_salted',
  'hmac_sha256_utf16_b64',
] as const;
const HASHERS = new Set<string>(PASSWORD_HASHERS);

const BCRYPT = String.raw`\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}`;
const B64 = '[A-Za-z0-9+/=_-]+';
const hex = (n: number): string => `[0-9a-fA-F]{${n}}`;
const salted = (n: number): RegExp => new RegExp(`^(?:[^$]+\\$${hex(n)}|${hex(n)}\\$[^$]+)$`);

/**
 * Digest shapes, where Clerk documents one exactly enough to check (Clerk's create-user docs and the
 * PasswordHasher description). Other hashers only need a non-empty digest.
 */
const DIGEST_SHAPES: Record<string, RegExp> = {
  bcrypt: new RegExp(`^${BCRYPT}$`),
  bcrypt_peppered: new RegExp(`^${BCRYPT}\\$[^$]+$`),
  bcrypt_sha256_django: new RegExp(`^bcrypt_sha256\\$${BCRYPT}$`),
  md5: new RegExp(`^${hex(32)}$`),
  sha256: new RegExp(`^${hex(64)}$`),
  md5_salted: salted(32),
  sha256_salted: salted(64),
  argon2i: new RegExp(`^\\$argon2i\\$(?:v=\\d+\\$)?m=\\d+,t=\\d+,p=\\d+\\$${B64}\\$${B64}$`),
  argon2id: new RegExp(`^\\$argon2id\\$(?:v=\\d+\\$)?m=\\d+,t=\\d+,p=\\d+\\$${B64}\\$${B64}$`),
  awscognito: /^awscognito#[^#]+#[^#]+#.+$/,
  scrypt_firebase: /^[^$]+\$[^$]+\$[^$]+\$[^$]+\$\d+\$\d+$/,
  hmac_sha256_utf16_b64: /^hmac_sha256_utf16_b64\$[^$]+\$[^$]+$/,
};

// --- request schemas --------------------------------------------------------------------------

export type FieldType = 'string' | 'boolean' | 'integer' | 'string[]' | 'status[]' | 'object';
export interface Field {
  type: FieldType;
  nullable: boolean;
}
export const f = (type: FieldType, nullable = true): Field => ({ type, nullable });

/** CreateUser's request body (bapi-openapi.yml), property → type and nullability. */
export const CREATE_FIELDS: Readonly<Record<string, Field>> = {
  external_id: f('string'),
  first_name: f('string'),
  last_name: f('string'),
  locale: f('string'),
  email_address: f('string[]', false),
  email_address_identification_status: f('status[]', false),
  phone_number: f('string[]', false),
  phone_number_identification_status: f('status[]', false),
  web3_wallet: f('string[]', false),
  username: f('string'),
  password: f('string'),
  password_digest: f('string'),
  password_hasher: f('string', false),
  skip_password_checks: f('boolean'),
  skip_password_requirement: f('boolean'),
  totp_secret: f('string'),
  backup_codes: f('string[]', false),
  public_metadata: f('object', false),
  private_metadata: f('object', false),
  unsafe_metadata: f('object', false),
  delete_self_enabled: f('boolean'),
  legal_accepted_at: f('string'),
  skip_legal_checks: f('boolean'),
  skip_user_requirement: f('boolean'),
  create_organization_enabled: f('boolean'),
  create_organizations_limit: f('integer'),
  created_at: f('string'),
  bypass_client_trust: f('boolean'),
  banned: f('boolean'),
  locked: f('boolean'),
};

/** UpdateUser's request body at 2026-05-12 (no metadata). */
export const UPDATE_FIELDS: Readonly<Record<string, Field>> = {
  external_id: f('string'),
  first_name: f('string'),
  last_name: f('string'),
  locale: f('string'),
  primary_email_address_id: f('string'),
  notify_primary_email_address_changed: f('boolean'),
  primary_phone_number_id: f('string'),
  primary_web3_wallet_id: f('string'),
  username: f('string'),
  profile_image_id: f('string'),
  password: f('string'),
  password_digest: f('string', false),
  password_hasher: f('string', false),
  skip_password_checks: f('boolean'),
  sign_out_of_other_sessions: f('boolean'),
  totp_secret: f('string'),
  backup_codes: f('string[]', false),
  delete_self_enabled: f('boolean'),
  create_organization_enabled: f('boolean'),
  legal_accepted_at: f('string'),
  skip_legal_checks: f('boolean'),
  create_organizations_limit: f('integer'),
  created_at: f('string'),
  bypass_client_trust: f('boolean'),
};

/** UpdateUserMetadata / ReplaceUserMetadata request body. */
export const METADATA_FIELDS: Readonly<Record<string, Field>> = {
  public_metadata: f('object', false),
  private_metadata: f('object', false),
  unsafe_metadata: f('object', false),
};

/** UpdateUser of API versions before 2026-05-12 also took the metadata objects. */
const UPDATE_FIELDS_LEGACY: Readonly<Record<string, Field>> = { ...UPDATE_FIELDS, ...METADATA_FIELDS };
const METADATA_DROPPED_IN = '2026-05-12';

const STATUSES = ['verified', 'reserved'] as const;
type Status = (typeof STATUSES)[number];
export type Body = Record<string, unknown>;

// --- reading the body -------------------------------------------------------------------------

/** Read and parse a JSON object body. See rule 1 of the module comment. */
export async function readJsonBody(req: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<Body> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw apiErrors.bodyTooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw apiErrors.bodyTooLarge(maxBytes);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  const type = req.headers['content-type'];
  const mediaType = typeof type === 'string' ? (type.split(';')[0] as string).trim().toLowerCase() : '';
  if (mediaType !== 'application/json') throw apiErrors.contentType(type ?? '(none)');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw apiErrors.bodyInvalid();
  }
  if (!isPlainObject(value)) throw apiErrors.bodyInvalid();
  return value;
}

// --- generic checks ---------------------------------------------------------------------------

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return 'number';
  return typeof v === 'object' ? 'object' : typeof v;
}

/** Rules 2 and 3: unknown properties, nulls, JSON types, the status enum. */
export function checkShape(body: Body, fields: Readonly<Record<string, Field>>): void {
  for (const key of Object.keys(body)) if (!Object.hasOwn(fields, key)) throw apiErrors.paramUnknown(key);
  for (const [key, value] of Object.entries(body)) {
    const field = fields[key] as Field;
    if (value === null) {
      if (!field.nullable) throw apiErrors.paramNil(key);
      continue;
    }
    switch (field.type) {
      case 'string':
      case 'boolean':
        if (typeof value !== field.type) throw apiErrors.bodyType(key, jsonType(value), field.type);
        break;
      case 'integer':
        if (!Number.isSafeInteger(value)) throw apiErrors.bodyType(key, jsonType(value), 'integer');
        break;
      case 'object':
        if (!isPlainObject(value)) throw apiErrors.bodyType(key, jsonType(value), 'object');
        break;
      case 'string[]':
      case 'status[]': {
        if (!Array.isArray(value)) throw apiErrors.bodyType(key, jsonType(value), 'array of strings');
        for (const item of value) {
          if (typeof item !== 'string') throw apiErrors.bodyType(key, `array containing ${jsonType(item)}`, 'array of strings');
          if (field.type === 'status[]' && !(STATUSES as readonly string[]).includes(item)) throw apiErrors.paramValueAllowed(key, item, STATUSES);
        }
        break;
      }
    }
  }
}

const EMAIL = /^[^\s@"(),:;<>[\\\]]{1,64}@(?=.{1,253}$)(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u;
const E164 = /^\+[1-9]\d{7,14}$/;
const ETH_WALLET = /^0x[0-9a-fA-F]{40}$/;
const SOLANA_WALLET = /^[1-9A-HJ-NP-Za-km-z]{32,44}$/;

export const isEmail = (v: string): boolean => EMAIL.test(v);
export const isE164 = (v: string): boolean => E164.test(v);
export const isWeb3Wallet = (v: string): boolean => ETH_WALLET.test(v) || SOLANA_WALLET.test(v);

function isLocale(v: string): boolean {
  try {
    return Intl.getCanonicalLocales(v).length === 1;
  } catch {
    return false;
  }
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|([+-])(\d{2}):(\d{2}))$/;

/** An RFC 3339 date-time (`2012-10-20T07:15:20.902Z`, an offset allowed) as Unix ms (sub-ms digits dropped), or null. */
export function parseRfc3339(v: string): number | null {
  const m = RFC3339.exec(v);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const daysInMonth = new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !isLeap(year) ? 1 : 0);
  if (day > daysInMonth) return null;
  let offsetMin = 0;
  if (m[8] !== 'Z') {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return null;
    offsetMin = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  return d.getTime() - offsetMin * 60_000;
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Base32 (RFC 4648 alphabet, any case, optional padding) that decodes to whole bytes. */
export function isBase32(v: string): boolean {
  const m = /^([A-Za-z2-7]+)(=*)$/.exec(v);
  if (!m) return false;
  const data = (m[1] as string).length;
  const pad = (m[2] as string).length;
  if (pad > 0 && (data + pad) % 8 !== 0) return false;
  return ![1, 3, 6].includes(data % 8);
}

/** Whether `digest` fits `hasher` (a known one). */
export function digestFits(hasher: string, digest: string): boolean {
  if (digest === '') return false;
  const shape = DIGEST_SHAPES[hasher];
  return shape === undefined || shape.test(digest);
}

function timeField(body: Body, key: string): number | null | undefined {
  const v = body[key];
  if (v === undefined || v === null) return v as null | undefined;
  const ms = parseRfc3339(v as string);
  if (ms === null) throw apiErrors.invalidTime(key);
  return ms;
}

function checkLocale(body: Body): void {
  const v = body.locale;
  if (typeof v === 'string' && v !== '' && !isLocale(v)) throw apiErrors.localeFormat('locale');
}

/** Rule 5 for bodies carrying password fields. */
function checkPassword(body: Body): void {
  const digest = body.password_digest;
  const hasher = body.password_hasher;
  const hasDigest = typeof digest === 'string';
  const hasHasher = typeof hasher === 'string';
  if (hasDigest && !hasHasher) throw apiErrors.conditionalMissing('password_hasher', 'password_digest');
  if (hasHasher && !hasDigest) throw apiErrors.conditionalMissing('password_digest', 'password_hasher');
  if (hasHasher) {
    if (!HASHERS.has(hasher)) throw apiErrors.paramValue('password_hasher', hasher);
    if (!digestFits(hasher, digest as string)) throw apiErrors.digestInvalid(hasher);
  }
  const password = body.password;
  if (typeof password === 'string' && body.skip_password_checks !== true && [...password].length < MIN_PASSWORD) throw apiErrors.passwordTooShort(MIN_PASSWORD);
  if (typeof body.totp_secret === 'string' && !isBase32(body.totp_secret)) throw apiErrors.totpInvalid();
}

/** Throw `form_identifier_exists` if `value` belongs to another user (or was already claimed in this request). */
function claim(store: UserStore, kind: IdentifierKind, value: string, self: string | null, seen: Set<string>): void {
  const key = `${kind}\u0000${normalizeIdentifier(kind, value)}`;
  if (seen.has(key)) throw apiErrors.identifierExists(kind);
  seen.add(key);
  const owner = store.ownerOf(kind, value);
  if (owner !== undefined && owner !== self) throw apiErrors.identifierExists(kind);
}

// --- create -----------------------------------------------------------------------------------

/** What a write needs from the emulator. */
export interface WriteEnv {
  store: UserStore;
  /** Clock for timestamps, Unix ms. */
  now: () => number;
  /** A new id with this prefix (`user_`, `idn_`), not yet used. */
  newId: (prefix: string) => string;
  /** Max users of the instance (403 `user_quota_exceeded` beyond). */
  userQuota: number;
  /** Whether a create without password needs `skip_password_requirement`. */
  requirePassword: boolean;
}

const DEFAULT_IMAGE_URL = 'https://img.clerk.com/eyJ0eXBlIjoiZGVmYXVsdCIsImlpZCI6Imluc18ifQ';
const DEFAULT_PROFILE_IMAGE_URL = 'https://www.gravatar.com/avatar?d=mp';

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const strOrNone = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const bool = (v: unknown, dflt: boolean): boolean => (typeof v === 'boolean' ? v : dflt);
const strings = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : []);

function statuses(body: Body, key: string, of: string, count: number): Status[] {
  const given = strings(body[key]) as Status[];
  if (given.length === 0) return new Array<Status>(count).fill('verified');
  if (given.length !== count) throw apiErrors.arrayLengthMismatch(key, of);
  return given;
}

/** Validate a CreateUser body and build the user and its secrets (nothing is stored). Throws ApiError. */
export function createUser(body: Body, env: WriteEnv): { user: ClerkUser; secrets: UserSecrets } {
  checkShape(body, CREATE_FIELDS);
  const emails = strings(body.email_address);
  const phones = strings(body.phone_number);
  const wallets = strings(body.web3_wallet);
  for (const e of emails) if (!isEmail(e)) throw apiErrors.emailFormat('email_address');
  for (const p of phones) if (!isE164(p)) throw apiErrors.phoneFormat('phone_number');
  for (const w of wallets) if (!isWeb3Wallet(w)) throw apiErrors.web3Format('web3_wallet');
  const emailStatus = statuses(body, 'email_address_identification_status', 'email_address', emails.length);
  const phoneStatus = statuses(body, 'phone_number_identification_status', 'phone_number', phones.length);
  checkLocale(body);
  const createdAt = timeField(body, 'created_at');
  const legalAcceptedAt = timeField(body, 'legal_accepted_at');
  checkPassword(body);

  const username = strOrNone(body.username);
  const externalId = strOrNone(body.external_id);
  if (emails.length + phones.length + wallets.length === 0 && username === null) {
    throw apiErrors.dataMissing(['email_address', 'phone_number', 'web3_wallet', 'username']);
  }
  const password = str(body.password);
  const digest = str(body.password_digest);
  if (env.requirePassword && password === null && digest === null && body.skip_password_requirement !== true) throw apiErrors.dataMissing(['password']);

  const { store } = env;
  const seen = new Set<string>();
  for (const e of emails) claim(store, 'email_address', e, null, seen);
  for (const p of phones) claim(store, 'phone_number', p, null, seen);
  for (const w of wallets) claim(store, 'web3_wallet', w, null, seen);
  if (username !== null) claim(store, 'username', username, null, seen);
  if (externalId !== null) claim(store, 'external_id', externalId, null, seen);

  if (store.size >= env.userQuota) throw apiErrors.userQuota(env.userQuota);

  const now = env.now();
  const created = createdAt ?? now;
  const verifiedByAdmin = (): Record<string, unknown> => ({ object: 'verification_admin', status: 'verified', strategy: 'admin', attempts: null, expire_at: null });
  const unverified = (strategy: string): Record<string, unknown> => ({ object: 'verification_otp', status: 'unverified', strategy, attempts: null, expire_at: null });
  const emailAddresses = emails.map((address, i) => {
    const reserved = emailStatus[i] === 'reserved';
    return {
      id: env.newId('idn_'),
      object: 'email_address',
      email_address: address,
      reserved,
      verification: reserved ? unverified('email_code') : verifiedByAdmin(),
      linked_to: [],
      matches_sso_connection: false,
      created_at: now,
      updated_at: now,
    };
  });
  const phoneNumbers = phones.map((number, i) => {
    const reserved = phoneStatus[i] === 'reserved';
    return {
      id: env.newId('idn_'),
      object: 'phone_number',
      phone_number: number,
      reserved_for_second_factor: false,
      default_second_factor: false,
      reserved,
      verification: reserved ? unverified('phone_code') : verifiedByAdmin(),
      linked_to: [],
      backup_codes: null,
      created_at: now,
      updated_at: now,
    };
  });
  const web3Wallets = wallets.map((address) => ({ id: env.newId('idn_'), object: 'web3_wallet', web3_wallet: address, verification: verifiedByAdmin(), created_at: now, updated_at: now }));

  const passwordEnabled = password !== null || digest !== null;
  const totp = typeof body.totp_secret === 'string';
  const backupCodes = strings(body.backup_codes);
  const locked = body.locked === true;
  const user: ClerkUser = {
    id: env.newId('user_'),
    object: 'user',
    external_id: externalId,
    primary_email_address_id: emailAddresses[0]?.id ?? null,
    primary_phone_number_id: phoneNumbers[0]?.id ?? null,
    primary_web3_wallet_id: web3Wallets[0]?.id ?? null,
    username,
    first_name: str(body.first_name),
    last_name: str(body.last_name),
    locale: strOrNone(body.locale),
    profile_image_url: DEFAULT_PROFILE_IMAGE_URL,
    image_url: DEFAULT_IMAGE_URL,
    has_image: false,
    public_metadata: copyJson(body.public_metadata) ?? {},
    private_metadata: copyJson(body.private_metadata) ?? {},
    unsafe_metadata: copyJson(body.unsafe_metadata) ?? {},
    email_addresses: emailAddresses,
    phone_numbers: phoneNumbers,
    web3_wallets: web3Wallets,
    passkeys: [],
    password_enabled: passwordEnabled,
    two_factor_enabled: totp,
    totp_enabled: totp,
    backup_code_enabled: backupCodes.length > 0,
    mfa_enabled_at: totp ? now : null,
    mfa_disabled_at: null,
    password_last_updated_at: passwordEnabled ? now : null,
    external_accounts: [],
    saml_accounts: [],
    enterprise_accounts: [],
    organization_memberships: [],
    last_sign_in_at: null,
    banned: body.banned === true,
    locked,
    deprovisioned: false,
    lockout_expires_in_seconds: null,
    verification_attempts_remaining: locked ? 0 : 100,
    updated_at: now,
    created_at: created,
    delete_self_enabled: bool(body.delete_self_enabled, true),
    create_organization_enabled: bool(body.create_organization_enabled, true),
    create_organizations_limit: typeof body.create_organizations_limit === 'number' ? body.create_organizations_limit : null,
    last_active_at: null,
    legal_accepted_at: legalAcceptedAt ?? null,
    bypass_client_trust: body.bypass_client_trust === true,
  };
  const secrets: UserSecrets = { has_password: password !== null };
  if (digest !== null) {
    secrets.password_digest = digest;
    secrets.password_hasher = body.password_hasher as string;
  }
  if (totp) secrets.totp_secret = body.totp_secret as string;
  if (backupCodes.length > 0) secrets.backup_codes = [...backupCodes];
  return { user, secrets };
}

// --- update -----------------------------------------------------------------------------------

/**
 * Validate an UpdateUser body against the stored `user` and return the updated copy and its secrets
 * (nothing is stored). `apiVersion`: the request's version; before 2026-05-12 metadata is accepted.
 */
export function updateUser(current: ClerkUser, secrets: UserSecrets, body: Body, env: WriteEnv, apiVersion: string | null): { user: ClerkUser; secrets: UserSecrets } {
  const legacy = apiVersion !== null && apiVersion < METADATA_DROPPED_IN;
  checkShape(body, legacy ? UPDATE_FIELDS_LEGACY : UPDATE_FIELDS);
  checkLocale(body);
  const createdAt = timeField(body, 'created_at');
  const legalAcceptedAt = timeField(body, 'legal_accepted_at');
  checkPassword(body);
  for (const flag of ['skip_password_checks', 'sign_out_of_other_sessions']) {
    if (body[flag] === true && typeof body.password !== 'string') throw apiErrors.conditionalMissing('password', flag);
  }
  if (typeof body.profile_image_id === 'string') throw apiErrors.resourceMissing('profile_image_id');

  const user = structuredClone(current);
  const primary = (key: string, list: string, noun: string): void => {
    const id = body[key];
    if (typeof id !== 'string') return;
    const item = (user[list] as Array<Record<string, unknown>>).find((x) => x.id === id);
    if (!item) throw apiErrors.resourceMissing(key);
    if ((item.verification as { status?: unknown } | null)?.status !== 'verified') {
      throw new ApiError(422, 'form_param_value_invalid', 'is invalid', `${key} must be the id of a verified ${noun} of this user.`, { param_name: key });
    }
    user[key] = id;
  };
  primary('primary_email_address_id', 'email_addresses', 'email address');
  primary('primary_phone_number_id', 'phone_numbers', 'phone number');
  primary('primary_web3_wallet_id', 'web3_wallets', 'web3 wallet');

  const seen = new Set<string>();
  if ('username' in body) {
    const username = strOrNone(body.username);
    if (username !== null) claim(env.store, 'username', username, user.id, seen);
    user.username = username;
  }
  if ('external_id' in body) {
    const externalId = strOrNone(body.external_id);
    if (externalId !== null) claim(env.store, 'external_id', externalId, user.id, seen);
    user.external_id = externalId;
  }
  if ('first_name' in body) user.first_name = body.first_name;
  if ('last_name' in body) user.last_name = body.last_name;
  if ('locale' in body) user.locale = strOrNone(body.locale);

  const now = env.now();
  const next: UserSecrets = { ...secrets };
  if (typeof body.password_digest === 'string') {
    next.password_digest = body.password_digest;
    next.password_hasher = body.password_hasher as string;
    next.has_password = false;
    user.password_enabled = true;
    user.password_last_updated_at = now;
  }
  if (typeof body.password === 'string') {
    delete next.password_digest;
    delete next.password_hasher;
    next.has_password = true;
    user.password_enabled = true;
    user.password_last_updated_at = now;
  }
  if (typeof body.totp_secret === 'string') {
    next.totp_secret = body.totp_secret;
    if (user.totp_enabled !== true) user.mfa_enabled_at = now;
    user.totp_enabled = true;
    user.two_factor_enabled = true;
  }
  if (Array.isArray(body.backup_codes)) {
    const codes = body.backup_codes as string[];
    if (codes.length > 0) next.backup_codes = [...codes];
    else delete next.backup_codes;
    user.backup_code_enabled = codes.length > 0;
  }
  for (const key of ['delete_self_enabled', 'create_organization_enabled', 'bypass_client_trust']) {
    if (typeof body[key] === 'boolean') user[key] = body[key];
  }
  if ('create_organizations_limit' in body) user.create_organizations_limit = body.create_organizations_limit;
  if (legalAcceptedAt !== undefined) user.legal_accepted_at = legalAcceptedAt;
  if (typeof createdAt === 'number') user.created_at = createdAt;
  if (legacy) {
    for (const key of Object.keys(METADATA_FIELDS)) if (key in body) user[key] = copyJson(body[key]);
  }
  user.updated_at = now;
  return { user, secrets: next };
}

// --- metadata ---------------------------------------------------------------------------------

/**
 * Apply a metadata body: `merge` (PATCH) deep-merges each given object into the stored one, a null value
 * deleting its key; otherwise (PUT) each given object replaces the stored one. Returns the updated copy.
 */
export function updateMetadata(current: ClerkUser, body: Body, merge: boolean, env: WriteEnv): ClerkUser {
  checkShape(body, METADATA_FIELDS);
  const user = structuredClone(current);
  for (const key of Object.keys(METADATA_FIELDS)) {
    if (!(key in body)) continue;
    const given = body[key] as Record<string, unknown>;
    const stored = isPlainObject(user[key]) ? (user[key] as Record<string, unknown>) : {};
    user[key] = merge ? deepMerge(stored, given) : copyJson(given);
  }
  user.updated_at = env.now();
  return user;
}

/** `base` with `patch` merged in: nested objects merge, null deletes, anything else replaces. `base` is modified. */
export function deepMerge(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete base[key];
    else if (isPlainObject(value) && isPlainObject(base[key])) base[key] = deepMerge(base[key] as Record<string, unknown>, value);
    else base[key] = isPlainObject(value) ? deepMerge({}, value) : copyJson(value);
  }
  return base;
}

function copyJson<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}
