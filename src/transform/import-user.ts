import type { FieldProblem, SourceRecord } from '../model/records.js';
import { isPlainObject } from '../model/clerk-types.js';

/**
 * Password hashers Clerk documents: the 17 of the spec's `PasswordHasher` (bapi-openapi.yml) and the
 * four more of Clerk's SDK docs (`create-user-params.mdx`, docs/clerk-api.md "Password hashers").
 * `hmac_sha256_utf16_b64`, which clerk/migration-tool also accepts, is not documented by Clerk.
 */
export const PASSWORD_HASHERS = [
  'argon2i',
  'argon2id',
  'awscognito',
  'bcrypt',
  'bcrypt_peppered',
  'bcrypt_sha256_django',
  'ldap_ssha',
  'md5',
  'md5_phpass',
  'md5_salted',
  'pbkdf2_sha1',
  'pbkdf2_sha256',
  'pbkdf2_sha256_django',
  'pbkdf2_sha512',
  'pbkdf2_sha512_hex',
  'phpass',
  'scrypt_firebase',
  'scrypt_werkzeug',
  'sha256',
  'sha256_salted',
  'sha512_symfony',
] as const;
export type PasswordHasher = (typeof PASSWORD_HASHERS)[number];

/**
 * Digest shapes checked before sending, where Clerk's docs give one; other hashers only need a
 * non-empty digest (Clerk itself answers `form_password_digest_invalid_code` for a bad one).
 */
const DIGEST_SHAPES: Partial<Record<PasswordHasher, { re: RegExp; shape: string }>> = {
  bcrypt: { re: /^\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}$/, shape: '$2b$<cost>$<53 chars>' },
  md5: { re: /^[0-9a-fA-F]{32}$/, shape: '32 hex digits' },
  sha256: { re: /^[0-9a-fA-F]{64}$/, shape: '64 hex digits' },
  md5_salted: { re: /^[^$]+\$[0-9a-fA-F]{32}$/, shape: 'salt$<32 hex digits>' },
  sha256_salted: { re: /^[^$]+\$[0-9a-fA-F]{64}$/, shape: 'salt$<64 hex digits>' },
  argon2i: { re: /^\$argon2i\$/, shape: '$argon2i$…' },
  argon2id: { re: /^\$argon2id\$/, shape: '$argon2id$…' },
  pbkdf2_sha256_django: { re: /^pbkdf2_sha256\$\d+\$[^$]+\$[^$]+$/, shape: 'pbkdf2_sha256$<iterations>$<salt>$<hash>' },
  bcrypt_sha256_django: { re: /^bcrypt_sha256\$\$2[aby]?\$/, shape: 'bcrypt_sha256$$2b$…' },
  phpass: { re: /^\$[PH]\$/, shape: '$P$… or $H$…' },
  awscognito: { re: /^awscognito#[^#]+#[^#]+#.+$/, shape: 'awscognito#<userpoolid>#<clientid>#<identifier>' },
};

/** A user to import, whatever the source format. Times are Unix ms. */
export interface ImportUser {
  /** The id in the source (Clerk user id of the source instance, or the dashboard CSV `id`). */
  sourceId: string;
  /** The source's own `external_id`, if any. */
  sourceExternalId: string | null;
  /** Primary first. */
  emails: Array<{ address: string; verified: boolean }>;
  phones: Array<{ number: string; verified: boolean }>;
  web3Wallets: string[];
  username: string | null;
  firstName: string | null;
  lastName: string | null;
  locale: string | null;
  publicMetadata?: Record<string, unknown>;
  privateMetadata?: Record<string, unknown>;
  unsafeMetadata?: Record<string, unknown>;
  createdAt?: number;
  legalAcceptedAt?: number;
  passwordDigest?: string;
  passwordHasher?: string;
  totpSecret?: string;
  backupCodes?: string[];
  banned?: boolean;
  locked?: boolean;
  deleteSelfEnabled?: boolean;
  createOrganizationEnabled?: boolean;
  createOrganizationsLimit?: number | null;
  bypassClientTrust?: boolean;
  /** The source says the user had a password (a Clerk User's `password_enabled`). */
  hadPassword: boolean;
  /** What the source has that Clerk's create-user call cannot take: field and why. */
  notImported: Array<{ field: string; reason: string }>;
}

/** How `external_id` is set on the created user. */
export type ExternalIdMode =
  /** The source's external_id when it has one, else the source id (default). */
  | 'source'
  /** Always the source id. */
  | 'id'
  /** Only the source's external_id; none when it has none. */
  | 'keep';

export interface MapOptions {
  externalId?: ExternalIdMode;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
/** Names keep an empty string: the source had one, and it is not the same as no name. */
const name = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const rfc3339 = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

/**
 * A Clerk User (this tool's raw export, or any User JSON) as an ImportUser. The Backend API never
 * returns password digests, TOTP secrets or backup codes, so a user that had them is imported
 * without, and that is listed in `notImported`.
 */
export function fromClerkUser(u: Record<string, unknown>): { user?: ImportUser; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const sourceId = str(u.id);
  if (!sourceId) problems.push({ field: 'id', problem: 'required: the source user id (a string)' });
  const notImported: ImportUser['notImported'] = [];
  const byPrimary = <T extends Record<string, unknown>>(items: unknown, primaryId: unknown): T[] => {
    const list = Array.isArray(items) ? (items.filter(isPlainObject) as T[]) : [];
    const i = list.findIndex((x) => x.id === primaryId);
    return i > 0 ? [list[i]!, ...list.slice(0, i), ...list.slice(i + 1)] : list;
  };
  const verified = (x: Record<string, unknown>): boolean => isPlainObject(x.verification) && x.verification.status === 'verified';
  const emails = byPrimary(u.email_addresses, u.primary_email_address_id).map((e, i) => {
    if (typeof e.email_address !== 'string') problems.push({ field: `email_addresses[${i}].email_address`, problem: 'expected a string' });
    return { address: String(e.email_address ?? ''), verified: verified(e) };
  });
  const phones = byPrimary(u.phone_numbers, u.primary_phone_number_id).map((p, i) => {
    if (typeof p.phone_number !== 'string') problems.push({ field: `phone_numbers[${i}].phone_number`, problem: 'expected a string' });
    if (p.reserved_for_second_factor === true) notImported.push({ field: `phone_numbers[${i}].reserved_for_second_factor`, reason: 'the create call cannot reserve a phone for second factor' });
    return { number: String(p.phone_number ?? ''), verified: verified(p) };
  });
  const web3Wallets = byPrimary(u.web3_wallets, u.primary_web3_wallet_id).map((w) => String(w.web3_wallet ?? ''));
  for (const [field, reason] of [
    ['external_accounts', 'OAuth connections cannot be created through the API; users re-link at sign-in (account linking by verified email)'],
    ['saml_accounts', 'SAML accounts are created by the SAML connection at sign-in'],
    ['enterprise_accounts', 'enterprise accounts are created by the enterprise connection at sign-in'],
    ['passkeys', 'passkeys are bound to the original domain and cannot be migrated'],
    ['organization_memberships', 'memberships are created with the organizations API after the users exist'],
  ] as const) {
    const v = u[field];
    if (Array.isArray(v) && v.length) notImported.push({ field, reason: `${v.length} item(s): ${reason}` });
  }
  if (u.password_enabled === true) notImported.push({ field: 'password', reason: 'the source has a password, but its digest is not in a User object (Clerk never returns digests); the user must reset it, or import the dashboard CSV' });
  if (u.totp_enabled === true) notImported.push({ field: 'totp_secret', reason: 'TOTP is enabled, but the secret is not in a User object; the user must enrol again, or import the dashboard CSV' });
  if (u.backup_code_enabled === true) notImported.push({ field: 'backup_codes', reason: 'backup codes are never exported by Clerk' });
  if (typeof u.image_url === 'string' && u.has_image === true) notImported.push({ field: 'image_url', reason: 'profile images are uploaded separately (POST /v1/users/{id}/profile_image)' });
  const meta = (k: string): Record<string, unknown> | undefined => (isPlainObject(u[k]) && Object.keys(u[k] as object).length ? (u[k] as Record<string, unknown>) : undefined);
  const ms = (k: string): number | undefined => (typeof u[k] === 'number' && Number.isFinite(u[k]) ? (u[k] as number) : undefined);
  const bool = (k: string): boolean | undefined => (typeof u[k] === 'boolean' ? (u[k] as boolean) : undefined);
  if (problems.length || !sourceId) return { problems };
  return {
    problems,
    user: {
      sourceId,
      sourceExternalId: str(u.external_id),
      emails,
      phones,
      web3Wallets,
      username: str(u.username),
      firstName: name(u.first_name),
      lastName: name(u.last_name),
      locale: str(u.locale),
      publicMetadata: meta('public_metadata'),
      privateMetadata: meta('private_metadata'),
      unsafeMetadata: meta('unsafe_metadata'),
      createdAt: ms('created_at'),
      legalAcceptedAt: ms('legal_accepted_at'),
      banned: bool('banned'),
      locked: bool('locked'),
      deleteSelfEnabled: bool('delete_self_enabled'),
      createOrganizationEnabled: bool('create_organization_enabled'),
      createOrganizationsLimit: typeof u.create_organizations_limit === 'number' ? u.create_organizations_limit : undefined,
      bypassClientTrust: bool('bypass_client_trust'),
      hadPassword: u.password_enabled === true,
      notImported,
    },
  };
}

/** The columns of Clerk's dashboard "Export users" CSV, in order (docs/clerk-api.md, "The dashboard CSV export"). */
export const DASHBOARD_CSV_COLUMNS = [
  'id',
  'first_name',
  'last_name',
  'username',
  'primary_email_address',
  'primary_phone_number',
  'verified_email_addresses',
  'unverified_email_addresses',
  'verified_phone_numbers',
  'unverified_phone_numbers',
  'totp_secret',
  'password_digest',
  'password_hasher',
] as const;

/** Multi-value cells: separated by `,` or `|` (Clerk's separator is undocumented; both are seen). */
function splitList(cell: string | undefined): string[] {
  return (cell ?? '')
    .split(/[|,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * A row of the dashboard CSV as an ImportUser. The primary address comes first; it counts as
 * verified unless it is listed among the unverified ones (the export names the primary separately,
 * and Clerk's own sample has a primary that neither list repeats).
 */
export function fromDashboardRow(row: Record<string, string | undefined>): { user?: ImportUser; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const cell = (k: string): string | null => {
    const v = row[k];
    return v === undefined || v.trim() === '' ? null : v.trim();
  };
  const sourceId = cell('id');
  if (!sourceId) problems.push({ field: 'id', problem: 'required: the Clerk user id of the row' });
  const verifiedEmails = splitList(row.verified_email_addresses);
  const unverifiedEmails = splitList(row.unverified_email_addresses);
  const verifiedPhones = splitList(row.verified_phone_numbers);
  const unverifiedPhones = splitList(row.unverified_phone_numbers);
  const ordered = (primary: string | null, verifiedList: string[], unverifiedList: string[], norm: (s: string) => string) => {
    const out: Array<{ value: string; verified: boolean }> = [];
    const seen = new Set<string>();
    const add = (value: string, v: boolean): void => {
      const key = norm(value);
      if (seen.has(key)) return;
      seen.add(key);
      out.push({ value, verified: v });
    };
    if (primary) add(primary, !unverifiedList.some((x) => norm(x) === norm(primary)));
    for (const v of verifiedList) add(v, true);
    for (const v of unverifiedList) add(v, false);
    return out;
  };
  const emails = ordered(cell('primary_email_address'), verifiedEmails, unverifiedEmails, (s) => s.toLowerCase()).map((e) => ({ address: e.value, verified: e.verified }));
  const phones = ordered(cell('primary_phone_number'), verifiedPhones, unverifiedPhones, (s) => s.replace(/[^\d+]/g, '')).map((p) => ({ number: p.value, verified: p.verified }));
  if (!sourceId) return { problems };
  const digest = cell('password_digest');
  const hasher = cell('password_hasher');
  return {
    problems,
    user: {
      sourceId,
      sourceExternalId: null,
      emails,
      phones,
      web3Wallets: [],
      username: cell('username'),
      firstName: cell('first_name'),
      lastName: cell('last_name'),
      locale: null,
      passwordDigest: digest ?? undefined,
      passwordHasher: hasher ?? undefined,
      totpSecret: cell('totp_secret') ?? undefined,
      hadPassword: digest !== null,
      notImported: [],
    },
  };
}

/**
 * The POST /v1/users body for an ImportUser, and the problems that stop it from being sent (each
 * naming the field). Only fields with a value are sent; the spec's body rejects unknown keys.
 */
export function toCreateBody(u: ImportUser, options: MapOptions = {}): { body: Record<string, unknown>; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const body: Record<string, unknown> = {};
  const mode = options.externalId ?? 'source';
  const externalId = mode === 'id' ? u.sourceId : mode === 'keep' ? u.sourceExternalId : (u.sourceExternalId ?? u.sourceId);
  if (externalId) body.external_id = externalId;
  u.emails.forEach((e, i) => {
    if (!EMAIL.test(e.address)) problems.push({ field: `email_address[${i}]`, problem: `not an email address: ${JSON.stringify(e.address)}` });
  });
  u.phones.forEach((p, i) => {
    if (!/^\+[1-9]\d{6,14}$/.test(p.number)) problems.push({ field: `phone_number[${i}]`, problem: `not an E.164 phone number (+ and 7–15 digits): ${JSON.stringify(p.number)}` });
  });
  u.web3Wallets.forEach((w, i) => {
    // Ethereum-style (0x + 40 hex) or Solana (base58, 32–44 characters): Clerk supports both.
    if (!/^0x[0-9a-fA-F]{40}$/.test(w) && !/^[1-9A-HJ-NP-Za-km-z]{32,44}$/.test(w))
      problems.push({ field: `web3_wallet[${i}]`, problem: `not a web3 wallet address (0x + 40 hex digits, or a base58 Solana address): ${JSON.stringify(w)}` });
  });
  if (u.emails.length) {
    body.email_address = u.emails.map((e) => e.address);
    // verified stays verified; unverified becomes reserved: usable for sign-in, locked to this user.
    body.email_address_identification_status = u.emails.map((e) => (e.verified ? 'verified' : 'reserved'));
  }
  if (u.phones.length) {
    body.phone_number = u.phones.map((p) => p.number);
    body.phone_number_identification_status = u.phones.map((p) => (p.verified ? 'verified' : 'reserved'));
  }
  if (u.web3Wallets.length) body.web3_wallet = u.web3Wallets;
  if (u.username) body.username = u.username;
  if (!u.emails.length && !u.phones.length && !u.web3Wallets.length && !u.username) {
    problems.push({ field: 'email_address', problem: 'the user has no identifier (email address, phone number, web3 wallet or username); Clerk needs at least one' });
  }
  if (u.firstName !== null) body.first_name = u.firstName;
  if (u.lastName !== null) body.last_name = u.lastName;
  if (u.locale) body.locale = u.locale;
  if (u.publicMetadata) body.public_metadata = u.publicMetadata;
  if (u.privateMetadata) body.private_metadata = u.privateMetadata;
  if (u.unsafeMetadata) body.unsafe_metadata = u.unsafeMetadata;
  // RFC 3339 has four-digit years: outside 0000–9999 the time cannot be sent at all.
  const inRange = (ms: number): boolean => ms >= -62167219200000 && ms <= 253402300799999;
  if (u.createdAt !== undefined) {
    if (inRange(u.createdAt)) body.created_at = rfc3339(u.createdAt);
    else problems.push({ field: 'created_at', problem: `${u.createdAt} is outside the years 0000–9999 that RFC 3339 can express` });
  }
  if (u.legalAcceptedAt !== undefined) {
    if (inRange(u.legalAcceptedAt)) {
      body.legal_accepted_at = rfc3339(u.legalAcceptedAt);
      body.skip_legal_checks = true;
    } else problems.push({ field: 'legal_accepted_at', problem: `${u.legalAcceptedAt} is outside the years 0000–9999 that RFC 3339 can express` });
  }
  if (u.passwordDigest || u.passwordHasher) {
    if (!u.passwordHasher) problems.push({ field: 'password_hasher', problem: 'a password digest needs its hasher' });
    else if (!(PASSWORD_HASHERS as readonly string[]).includes(u.passwordHasher))
      problems.push({ field: 'password_hasher', problem: `unknown hasher ${JSON.stringify(u.passwordHasher)}; Clerk documents: ${PASSWORD_HASHERS.join(', ')}` });
    if (!u.passwordDigest) problems.push({ field: 'password_digest', problem: `hasher ${u.passwordHasher} given without a digest` });
    const shape = u.passwordHasher ? DIGEST_SHAPES[u.passwordHasher as PasswordHasher] : undefined;
    if (shape && u.passwordDigest && !shape.re.test(u.passwordDigest)) problems.push({ field: 'password_digest', problem: `not a ${u.passwordHasher} digest (expected ${shape.shape})` });
    body.password_digest = u.passwordDigest;
    body.password_hasher = u.passwordHasher;
  } else {
    // No password to bring: create the user without one (they sign in with a code, OAuth, or reset).
    body.skip_password_requirement = true;
  }
  if (u.totpSecret) {
    if (!/^[A-Z2-7]+=*$/i.test(u.totpSecret.replace(/\s/g, ''))) problems.push({ field: 'totp_secret', problem: 'not a base32 TOTP secret' });
    body.totp_secret = u.totpSecret.replace(/\s/g, '');
  }
  if (u.backupCodes?.length) body.backup_codes = u.backupCodes;
  if (u.banned) body.banned = true;
  if (u.locked) body.locked = true;
  if (u.deleteSelfEnabled !== undefined) body.delete_self_enabled = u.deleteSelfEnabled;
  if (u.createOrganizationEnabled !== undefined) body.create_organization_enabled = u.createOrganizationEnabled;
  if (typeof u.createOrganizationsLimit === 'number') body.create_organizations_limit = u.createOrganizationsLimit;
  if (u.bypassClientTrust !== undefined) body.bypass_client_trust = u.bypassClientTrust;
  // Migrated users keep the identifiers they had even where this instance would require others.
  body.skip_user_requirement = true;
  return { body, problems };
}

/** The PATCH /v1/users/{id} body (API 2026-05-12: no metadata) for --on-conflict update. */
export function toUpdateBody(createBody: Record<string, unknown>): Record<string, unknown> {
  const keys = [
    'external_id',
    'first_name',
    'last_name',
    'locale',
    'username',
    'password_digest',
    'password_hasher',
    'totp_secret',
    'backup_codes',
    'delete_self_enabled',
    'create_organization_enabled',
    'create_organizations_limit',
    'legal_accepted_at',
    'skip_legal_checks',
    'created_at',
    'bypass_client_trust',
  ];
  const out: Record<string, unknown> = {};
  for (const k of keys) if (createBody[k] !== undefined) out[k] = createBody[k];
  return out;
}

// Pragmatic: one @, no spaces, a dot in the domain. Clerk checks deliverability itself.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** A source record mapped to an ImportUser, or the problems that stop it. */
export function mapSourceRecord(rec: SourceRecord, inputKind: 'raw' | 'clerk-csv'): { user?: ImportUser; sourceId: string | null; problems: FieldProblem[] } {
  let mapped: { user?: ImportUser; problems: FieldProblem[] };
  if (rec.error !== undefined) mapped = { problems: [{ field: '(record)', problem: rec.error }] };
  else if (!isPlainObject(rec.value)) mapped = { problems: [{ field: '(record)', problem: 'expected a JSON object' }] };
  else mapped = inputKind === 'clerk-csv' ? fromDashboardRow(rec.value as Record<string, string>) : fromClerkUser(rec.value);
  const sourceId = mapped.user?.sourceId ?? (isPlainObject(rec.value) && typeof rec.value.id === 'string' ? rec.value.id : null);
  return { ...mapped, sourceId };
}
