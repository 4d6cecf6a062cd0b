import { normalizeIdentifier, type IdentifierKind } from '../clerk/identifiers.js';
import type { ClerkUser } from '../model/clerk-types.js';

/**
 * A stored user: its sort key and its serialised JSON (UTF-8, sent as is).
 * The user object itself is not kept: at 1,000,000 users the objects would not fit in V8's heap.
 * What filters and other orderings need ({@link UserDetails}) is parsed from the JSON on first use.
 */
export interface UserRow {
  readonly id: string;
  readonly createdAt: number;
  readonly json: Buffer;
  /** Cache of {@link UserStore.details}. */
  details: UserDetails | undefined;
}

/** The fields of a user that filters and orderings read. */
export interface UserDetails {
  readonly id: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly banned: boolean;
  readonly lastActiveAt: number | null;
  readonly lastSignInAt: number | null;
  readonly firstName: string | null;
  readonly lastName: string | null;
  readonly username: string | null;
  readonly externalId: string | null;
  /** Email addresses, lowercased (Clerk matches emails case-insensitively). */
  readonly emails: readonly string[];
  readonly phones: readonly string[];
  readonly web3: readonly string[];
  readonly orgIds: readonly string[];
  /** {@link providerKey} of each external account. */
  readonly providers: readonly string[];
  /** The primary email address (lowercased), phone number and web3 wallet, resolved. */
  readonly primaryEmail: string | null;
  readonly primaryPhone: string | null;
  readonly primaryWeb3: string | null;
}

/** Fields `order_by` accepts (Clerk's spelling: `web3wallet` without underscore). */
export const ORDER_FIELDS = ['created_at', 'updated_at', 'email_address', 'web3wallet', 'first_name', 'last_name', 'phone_number', 'username', 'last_active_at', 'last_sign_in_at'] as const;
export type OrderField = (typeof ORDER_FIELDS)[number];

const EMPTY: readonly string[] = Object.freeze([]);

/** How an external account is indexed for the `provider` + `provider_user_id` filter. */
export function providerKey(provider: string, providerUserId: string): string {
  return `${provider}\u0000${providerUserId}`;
}

/** What a user's JSON does not show: kept by the store for tests (see {@link UserStore.secretsOf}). */
export interface UserSecrets {
  password_digest?: string;
  password_hasher?: string;
  totp_secret?: string;
  backup_codes?: string[];
  /** True when a plaintext `password` was set (the password itself is not kept). A digest shows as `password_digest`. */
  has_password: boolean;
}

// The uniqueness rules are Clerk's, shared with the importer: one place for them.
export { normalizeIdentifier, type IdentifierKind } from '../clerk/identifiers.js';

/**
 * In-memory users, kept sorted by (created_at, id) ascending: the order `+created_at` lists them in,
 * and the exact reverse of `-created_at` (ties broken by id in the same direction as the sort).
 * Lookups by id are O(1), created_at bounds and cursor positions O(log n).
 *
 * Writes ({@link add}, {@link replace}, {@link delete}) keep every index right for the next read:
 * the (created_at, id) array, the per-field sort orders already built for `order_by` (binary search +
 * splice each), and the identifier index used for uniqueness. Each write is O(log n) searches plus an
 * O(n) array memmove per built index: ~0.1 ms at 100k users, a few ms at 1M — fine for an emulator's
 * write rates (the 1000 requests / 10 s limit), not for bulk loading (use the constructor).
 */
export class UserStore {
  private rows: UserRow[] = [];
  private readonly byId = new Map<string, UserRow>();
  private readonly sorted = new Map<OrderField, UserRow[]>();
  private readonly secrets = new Map<string, UserSecrets>();
  /** kind → normalised value → user id. Built on first use (one pass over all users), then kept up to date. */
  private identifiers: Map<IdentifierKind, Map<string, string>> | null = null;

  /** Load `users` (any order). Throws on a duplicate or malformed user. */
  constructor(users: Iterable<ClerkUser> = []) {
    for (const user of users) {
      const row = toRow(user);
      if (this.byId.has(row.id)) throw new Error(`duplicate user id ${row.id}`);
      this.byId.set(row.id, row);
      this.rows.push(row);
    }
    this.rows.sort(compareCreated);
  }

  /** Number of users. */
  get size(): number {
    return this.rows.length;
  }

  /** Insert a user. Throws if its id already exists. O(log n) search plus an array insert (memmove) per index. */
  add(user: ClerkUser): void {
    const row = toRow(user);
    if (this.byId.has(row.id)) throw new Error(`duplicate user id ${row.id}`);
    row.details = toDetails(user as Record<string, unknown>);
    this.insertRow(row);
  }

  /** Replace a stored user (same id; created_at may change). Its secrets are kept. Returns false if the id is unknown. */
  replace(user: ClerkUser): boolean {
    const old = this.byId.get(user.id);
    if (!old) return false;
    const row = toRow(user);
    row.details = toDetails(user as Record<string, unknown>);
    this.removeRow(old);
    this.insertRow(row);
    return true;
  }

  /** Remove a user and its secrets. Returns false if the id is unknown. */
  delete(id: string): boolean {
    const row = this.byId.get(id);
    if (!row) return false;
    this.removeRow(row);
    this.secrets.delete(id);
    return true;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** A copy of the stored user, or undefined. */
  get(id: string): ClerkUser | undefined {
    const row = this.byId.get(id);
    return row ? (JSON.parse(row.json.toString('utf8')) as ClerkUser) : undefined;
  }

  /** Copies of all users, sorted by (created_at, id) ascending. Parses every user: for tests and small stores. */
  all(): ClerkUser[] {
    return this.rows.map((r) => JSON.parse(r.json.toString('utf8')) as ClerkUser);
  }

  /** A copy of what the user's JSON does not show (password digest and hasher, TOTP secret, backup codes), or undefined for an unknown id. */
  secretsOf(userId: string): UserSecrets | undefined {
    if (!this.byId.has(userId)) return undefined;
    const s = this.secrets.get(userId) ?? { has_password: false };
    return { ...s, ...(s.backup_codes ? { backup_codes: [...s.backup_codes] } : {}) };
  }

  /** Set a stored user's secrets (replaces them). Throws for an unknown id. */
  setSecrets(userId: string, secrets: UserSecrets): void {
    if (!this.byId.has(userId)) throw new Error(`no user ${userId}`);
    this.secrets.set(userId, { ...secrets, ...(secrets.backup_codes ? { backup_codes: [...secrets.backup_codes] } : {}) });
  }

  /**
   * The id of the user holding `value` (compared per {@link normalizeIdentifier}), or undefined.
   * The first call indexes every user (parses all JSON once: ~1 s per 100k users).
   * If the loaded users already share an identifier, the index keeps one of them.
   */
  ownerOf(kind: IdentifierKind, value: string): string | undefined {
    return this.identifierIndex().get(kind)?.get(normalizeIdentifier(kind, value));
  }

  // --- for the list engine -------------------------------------------------------------------

  /** Rows sorted by (created_at, id) ascending. Do not mutate. */
  rowsByCreated(): readonly UserRow[] {
    return this.rows;
  }

  row(id: string): UserRow | undefined {
    return this.byId.get(id);
  }

  /** The filter/order fields of a row, parsed from its JSON on first use and cached. */
  details(row: UserRow): UserDetails {
    return (row.details ??= toDetails(JSON.parse(row.json.toString('utf8')) as Record<string, unknown>));
  }

  /** Index of a stored row in {@link rowsByCreated}. */
  positionOf(row: UserRow): number {
    const i = this.insertionPoint(row) - 1;
    if (this.rows[i] !== row) throw new Error(`row ${row.id} is not in the store`);
    return i;
  }

  /** First index whose created_at is >= t (`strict`: > t). */
  createdBound(t: number, strict: boolean): number {
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = (this.rows[mid] as UserRow).createdAt;
      if (c < t || (strict && c === t)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Rows sorted by `field` ascending, nulls last, ties by id ascending (descending order is the
   * exact reverse, i.e. nulls first, like PostgreSQL). Built on first use, O(n log n), then kept
   * sorted through writes. Strings compare by UTF-16 code unit.
   */
  rowsBy(field: OrderField): readonly UserRow[] {
    if (field === 'created_at') return this.rows;
    let out = this.sorted.get(field);
    if (!out) {
      const key = SORT_KEYS[field];
      const keyed = this.rows.map((row) => ({ row, key: key(this.details(row)) }));
      keyed.sort((a, b) => compareKeyed(a.key, a.row.id, b.key, b.row.id));
      out = keyed.map((k) => k.row);
      this.sorted.set(field, out);
    }
    return out;
  }

  // --- keeping the indexes right -------------------------------------------------------------

  private insertRow(row: UserRow): void {
    this.byId.set(row.id, row);
    this.rows.splice(this.insertionPoint(row), 0, row);
    for (const [field, list] of this.sorted) list.splice(this.sortedBound(list, field, row), 0, row);
    if (this.identifiers) {
      for (const [kind, value] of identifiersOf(this.details(row))) {
        const index = this.identifiers.get(kind) as Map<string, string>;
        if (!index.has(value)) index.set(value, row.id);
      }
    }
  }

  private removeRow(row: UserRow): void {
    this.rows.splice(this.positionOf(row), 1);
    for (const [field, list] of this.sorted) {
      const i = this.sortedBound(list, field, row) - 1;
      if (list[i] !== row) throw new Error(`row ${row.id} is not in the ${field} order`);
      list.splice(i, 1);
    }
    if (this.identifiers) {
      for (const [kind, value] of identifiersOf(this.details(row))) {
        const index = this.identifiers.get(kind) as Map<string, string>;
        if (index.get(value) === row.id) index.delete(value);
      }
    }
    this.byId.delete(row.id);
  }

  private identifierIndex(): Map<IdentifierKind, Map<string, string>> {
    if (!this.identifiers) {
      const index = new Map<IdentifierKind, Map<string, string>>(IDENTIFIER_KINDS.map((k) => [k, new Map<string, string>()]));
      for (const row of this.rows) {
        // Parsed without caching the details: at 1M users the cache would cost ~0.5 GB of heap.
        const details = row.details ?? toDetails(JSON.parse(row.json.toString('utf8')) as Record<string, unknown>);
        for (const [kind, value] of identifiersOf(details)) {
          const map = index.get(kind) as Map<string, string>;
          if (!map.has(value)) map.set(value, row.id);
        }
      }
      this.identifiers = index;
    }
    return this.identifiers;
  }

  /** Index after the last row of `list` that sorts <= `row` by (field key, id). */
  private sortedBound(list: readonly UserRow[], field: OrderField, row: UserRow): number {
    const key = SORT_KEYS[field];
    const k = key(this.details(row));
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const other = list[mid] as UserRow;
      if (compareKeyed(key(this.details(other)), other.id, k, row.id) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index at which `row` would be inserted after any equal (created_at, id). */
  private insertionPoint(row: UserRow): number {
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareCreated(this.rows[mid] as UserRow, row) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

const IDENTIFIER_KINDS: readonly IdentifierKind[] = ['email_address', 'phone_number', 'username', 'web3_wallet', 'external_id'];

/** The unique identifiers of a user, normalised. */
function identifiersOf(d: UserDetails): Array<[IdentifierKind, string]> {
  const out: Array<[IdentifierKind, string]> = [];
  for (const e of d.emails) out.push(['email_address', e]); // already lowercased
  for (const p of d.phones) out.push(['phone_number', p]);
  for (const w of d.web3) out.push(['web3_wallet', normalizeIdentifier('web3_wallet', w)]);
  if (d.username !== null && d.username !== '') out.push(['username', d.username.toLowerCase()]);
  if (d.externalId !== null && d.externalId !== '') out.push(['external_id', d.externalId]);
  return out;
}

/** Order of the per-field indexes: key ascending with nulls last, then id. */
function compareKeyed(ak: string | number | null, aId: string, bk: string | number | null, bId: string): number {
  if (ak !== bk) {
    if (ak === null) return 1;
    if (bk === null) return -1;
    return ak < bk ? -1 : 1;
  }
  return aId < bId ? -1 : aId > bId ? 1 : 0;
}

function compareCreated(a: UserRow, b: UserRow): number {
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

const SORT_KEYS: Record<OrderField, (r: UserDetails) => string | number | null> = {
  created_at: (r) => r.createdAt,
  updated_at: (r) => r.updatedAt,
  email_address: (r) => r.primaryEmail,
  web3wallet: (r) => r.primaryWeb3,
  first_name: (r) => r.firstName,
  last_name: (r) => r.lastName,
  phone_number: (r) => r.primaryPhone,
  username: (r) => r.username,
  last_active_at: (r) => r.lastActiveAt,
  last_sign_in_at: (r) => r.lastSignInAt,
};

// --- building a row ---------------------------------------------------------------------------

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}
function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
function list(v: unknown): Array<Record<string, unknown>> {
  return Array.isArray(v) ? (v.filter((e) => e !== null && typeof e === 'object') as Array<Record<string, unknown>>) : [];
}
function collect(items: Array<Record<string, unknown>>, get: (e: Record<string, unknown>) => string | null): readonly string[] {
  if (items.length === 0) return EMPTY;
  const out: string[] = [];
  for (const e of items) {
    const v = get(e);
    if (v !== null) out.push(v);
  }
  return out.length === 0 ? EMPTY : out;
}
function primary(items: Array<Record<string, unknown>>, id: unknown, field: string): string | null {
  if (typeof id !== 'string') return null;
  const found = items.find((e) => e.id === id);
  return found ? str(found[field]) : null;
}

/**
 * Packs JSON texts into 16 MiB slabs. One Buffer per user would make V8 run a full GC every few
 * thousand users (external-memory pressure): loading 1M users took 70 s instead of ~20 s.
 * Space of replaced or deleted users is not reclaimed (an emulator's writes are few).
 */
class JsonArena {
  private static readonly SLAB = 16 * 1024 * 1024;
  private readonly encoder = new TextEncoder();
  private slab = Buffer.allocUnsafe(0);
  private used = 0;

  write(text: string): Buffer {
    // A UTF-16 code unit takes at most 3 UTF-8 bytes.
    if (text.length * 3 > this.slab.length - this.used) {
      if (text.length * 3 > JsonArena.SLAB) return Buffer.from(text, 'utf8');
      this.slab = Buffer.allocUnsafe(JsonArena.SLAB);
      this.used = 0;
    }
    const { written } = this.encoder.encodeInto(text, this.slab.subarray(this.used));
    const out = this.slab.subarray(this.used, this.used + written);
    this.used += written;
    return out;
  }
}

const arena = new JsonArena();

function toRow(user: ClerkUser): UserRow {
  if (typeof user?.id !== 'string' || user.id === '') throw new Error('a user needs a string id');
  if (!Number.isSafeInteger(user.created_at)) throw new Error(`user ${user.id}: created_at must be an integer (Unix ms)`);
  return { id: user.id, createdAt: user.created_at, json: arena.write(JSON.stringify(user)), details: undefined };
}

function toDetails(user: Record<string, unknown>): UserDetails {
  const emails = list(user.email_addresses);
  const phones = list(user.phone_numbers);
  const wallets = list(user.web3_wallets);
  const created = user.created_at as number;
  return {
    id: user.id as string,
    createdAt: created,
    updatedAt: num(user.updated_at) ?? created,
    banned: user.banned === true,
    lastActiveAt: num(user.last_active_at),
    lastSignInAt: num(user.last_sign_in_at),
    firstName: str(user.first_name),
    lastName: str(user.last_name),
    username: str(user.username),
    externalId: str(user.external_id),
    emails: collect(emails, (e) => str(e.email_address)?.toLowerCase() ?? null),
    phones: collect(phones, (e) => str(e.phone_number)),
    web3: collect(wallets, (e) => str(e.web3_wallet)),
    orgIds: collect(list(user.organization_memberships), (m) => str((m.organization as Record<string, unknown> | undefined)?.id)),
    providers: collect(list(user.external_accounts), (a) => (typeof a.provider === 'string' && typeof a.provider_user_id === 'string' ? providerKey(a.provider, a.provider_user_id) : null)),
    primaryEmail: primary(emails, user.primary_email_address_id, 'email_address')?.toLowerCase() ?? null,
    primaryPhone: primary(phones, user.primary_phone_number_id, 'phone_number'),
    primaryWeb3: primary(wallets, user.primary_web3_wallet_id, 'web3_wallet'),
  };
}
