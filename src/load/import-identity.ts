import type { ClerkClient } from '../clerk/client.js';
import { normalizeIdentifier, type IdentifierKind } from '../clerk/identifiers.js';
import { isPlainObject, type UncheckedUser } from '../model/clerk-types.js';
import { EtlError } from '../errors.js';
import type { Source } from '../extract/source.js';
import type { RunContext, SourceRecord } from '../model/records.js';
import { IdSet } from '../model/id-set.js';
import { mapSourceRecord, toCreateBody, type ExternalIdMode } from '../transform/import-user.js';

/**
 * Who is who in an import: which records of the input would claim the same Clerk identifier (found
 * before anything is sent), and whether a user found in Clerk provably is a given record (after an
 * ambiguous create, or when Clerk answers `form_identifier_exists`).
 */


/** One unique identifier a create body claims, in Clerk's comparison form. */
export interface IdentifierKey {
  kind: IdentifierKind;
  /** Normalised value ({@link normalizeIdentifier}). */
  value: string;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);

/** The unique identifiers a POST /v1/users body claims (external_id included), normalised, each once. */
export function identifierKeys(body: Record<string, unknown>): IdentifierKey[] {
  const out: IdentifierKey[] = [];
  const seen = new Set<string>();
  const add = (kind: IdentifierKind, raw: string): void => {
    if (raw === '') return;
    const value = normalizeIdentifier(kind, raw);
    const k = `${kind}\u0000${value}`;
    if (seen.has(k)) return;
    seen.add(k);
    out.push({ kind, value });
  };
  for (const v of strings(body.external_id)) add('external_id', v);
  for (const v of strings(body.email_address)) add('email_address', v);
  for (const v of strings(body.phone_number)) add('phone_number', v);
  for (const v of strings(body.username)) add('username', v);
  for (const v of strings(body.web3_wallet)) add('web3_wallet', v);
  return out;
}

/** The unique identifiers a Clerk user holds, normalised (same form as {@link identifierKeys}). */
export function userIdentifierKeys(u: UncheckedUser): IdentifierKey[] {
  const items = (arr: unknown, key: string): string[] =>
    Array.isArray(arr) ? arr.map((x) => (isPlainObject(x) ? x[key] : undefined)).filter((x): x is string => typeof x === 'string') : [];
  return identifierKeys({
    external_id: typeof u.external_id === 'string' ? u.external_id : undefined,
    email_address: items(u.email_addresses, 'email_address'),
    phone_number: items(u.phone_numbers, 'phone_number'),
    username: typeof u.username === 'string' ? u.username : undefined,
    web3_wallet: items(u.web3_wallets, 'web3_wallet'),
  });
}

const keyText = (k: IdentifierKey): string => `${k.kind}\u0000${k.value}`;

/**
 * Why `existing` is not provably the user this create body describes, or null when it is. It is
 * when its external_id is the one the body sends (none when the body sends none) and it holds every
 * identifier of the body; without an external_id to tell people apart, its identifiers must also be
 * exactly the body's (a user with more is someone who merely shares one).
 */
export function notSameRecord(existing: UncheckedUser, body: Record<string, unknown>): string | null {
  const wanted = typeof body.external_id === 'string' && body.external_id !== '' ? body.external_id : null;
  const has = typeof existing.external_id === 'string' && existing.external_id !== '' ? existing.external_id : null;
  if (wanted !== has) return `its external_id is ${JSON.stringify(has)}, this record's is ${JSON.stringify(wanted)}`;
  const mine = identifierKeys(body).filter((k) => k.kind !== 'external_id');
  const theirs = userIdentifierKeys(existing).filter((k) => k.kind !== 'external_id');
  const theirSet = new Set(theirs.map(keyText));
  const missing = [...new Set(mine.filter((k) => !theirSet.has(keyText(k))).map((k) => k.kind))];
  if (missing.length) return `it does not hold this record's ${missing.join(', ')}`;
  if (wanted === null) {
    const mineSet = new Set(mine.map(keyText));
    const extra = [...new Set(theirs.filter((k) => !mineSet.has(keyText(k))).map((k) => k.kind))];
    if (extra.length) return `it also holds a ${extra.join(', ')} this record does not have`;
  }
  return null;
}

/** A user as Clerk's user list gave it, unchecked but for its id (what the import maps a record to). */
export interface FoundUser extends UncheckedUser {
  id: string;
}

function hasId(u: UncheckedUser): u is FoundUser {
  return typeof u.id === 'string';
}

/** What a lookup found for a record: the user that provably is it, or the one holding the identifier and why it is not. */
export interface RecordLookup {
  same?: FoundUser;
  /** A user that holds this record's external_id or the identifier in question, but is not this record. */
  other?: FoundUser;
  /** Why `other` is not this record. */
  why?: string;
}

/**
 * Look for the Clerk user that is this record: by the external_id the body sends (this tool sets it),
 * else by one of its identifiers (`preferred` first: the one Clerk named in `form_identifier_exists`).
 * Each identifier is unique in the instance, so one query finds the only candidate; it is taken only
 * if {@link notSameRecord} says it is this record.
 */
export async function findThisRecord(client: ClerkClient, body: Record<string, unknown>, signal: AbortSignal, preferred?: string): Promise<RecordLookup> {
  const keys = identifierKeys(body);
  const ext = keys.find((k) => k.kind === 'external_id');
  const named = keys.find((k) => k.kind === preferred && k.kind !== 'external_id');
  const first = named ?? keys.find((k) => k.kind !== 'external_id');
  // `+` marks an external_id to include: an id that itself starts with `-` would otherwise be read as an exclusion.
  const query = (k: IdentifierKey): Record<string, string[]> => ({ [k.kind]: [k.kind === 'external_id' ? '+' + k.value : k.value] });
  const lookup = async (k: IdentifierKey): Promise<FoundUser | undefined> => {
    const u = (await client.listUsers({ ...query(k), limit: 2 }, signal))[0];
    if (u === undefined || hasId(u)) return u;
    // The import would map the record to this user's id: one without an id cannot be matched.
    throw new EtlError('CLERK_BAD_RESPONSE', `GET /v1/users (lookup by ${k.kind}) returned a user without a string id; expected Clerk users.`);
  };
  let candidate = ext ? await lookup(ext) : first ? await lookup(first) : undefined;
  if (candidate) {
    const why = notSameRecord(candidate, body);
    if (why === null) return { same: candidate };
    return { other: candidate, why };
  }
  // Nothing has this record's external_id: name who holds the identifier Clerk said is taken.
  if (ext && named) {
    candidate = await lookup(named);
    if (candidate) return { other: candidate, why: notSameRecord(candidate, body) ?? 'it holds this record\'s identifiers under another external_id' };
  }
  return {};
}

/** A record that shares an identifier with an earlier record of the same input. */
export interface SharedIdentifier {
  sourceId: string;
  /** The identifier they share (its kind only: values are personal data). */
  field: IdentifierKind;
  /** The earlier record. */
  first: { where: string; sourceId: string };
}

/**
 * Records (by `where`) that claim an identifier (external_id, email, phone, username, web3 wallet,
 * compared as Clerk compares them) an earlier record of the input also claims. Only records that
 * would be sent count: mapped without problems, first with their source id.
 *
 * Reads the source once more, twice when it finds a candidate: the first pass keeps a 64-bit hash per
 * identifier (about 9 bytes each in an open-addressing table, so a million users with a few
 * identifiers each fit in tens of MB); the second keeps the exact values of the identifiers whose
 * hash was seen twice, so a hash collision never fails a record.
 */
export async function findSharedIdentifiers(
  source: Source,
  ctx: RunContext,
  options: { inputKind: 'raw' | 'clerk-csv'; externalId?: ExternalIdMode },
): Promise<Map<string, SharedIdentifier>> {
  const eachSendable = async (fn: (rec: SourceRecord, sourceId: string, keys: IdentifierKey[]) => void): Promise<void> => {
    const ids = new IdSet();
    for await (const batch of source.read(ctx)) {
      for (const rec of batch) {
        const { user } = mapSourceRecord(rec, options.inputKind);
        if (!user || !ids.insert(user.sourceId)) continue;
        const { body, problems } = toCreateBody(user, { externalId: options.externalId });
        if (problems.length) continue;
        fn(rec, user.sourceId, identifierKeys(body));
      }
    }
  };
  const hashes = new HashCounts();
  await eachSendable((_rec, _id, keys) => {
    for (const k of keys) hashes.add(hash64(keyText(k)));
  });
  const shared: Map<string, SharedIdentifier> = new Map();
  if (!hashes.anyRepeated) return shared;
  const firstHolder = new Map<string, { where: string; sourceId: string }>();
  await eachSendable((rec, sourceId, keys) => {
    let found: SharedIdentifier | undefined;
    for (const k of keys) {
      const h = hash64(keyText(k));
      if (!hashes.repeated(h)) continue;
      const holder = firstHolder.get(keyText(k));
      if (holder) found ??= { sourceId, field: k.kind, first: holder };
      else firstHolder.set(keyText(k), { where: rec.where, sourceId });
    }
    if (found) shared.set(rec.where, found);
  });
  return shared;
}

/** A 64-bit string hash as two 32-bit halves (cyrb53's mixing, both halves kept). */
function hash64(s: string): [number, number] {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return [h1 >>> 0, h2 >>> 0];
}

/** How often each 64-bit hash was added (0, 1, or 2 meaning "two or more"), in flat typed arrays. */
class HashCounts {
  private hi = new Uint32Array(1 << 12);
  private lo = new Uint32Array(1 << 12);
  private counts = new Uint8Array(1 << 12);
  private used = 0;
  anyRepeated = false;

  add([h, l]: [number, number]): void {
    if ((this.used + 1) * 4 > this.counts.length * 3) this.grow();
    const slot = this.find(h, l);
    if (this.counts[slot] === 0) {
      this.hi[slot] = h;
      this.lo[slot] = l;
      this.counts[slot] = 1;
      this.used++;
    } else {
      this.counts[slot] = 2;
      this.anyRepeated = true;
    }
  }

  repeated([h, l]: [number, number]): boolean {
    return this.counts[this.find(h, l)] === 2;
  }

  private find(h: number, l: number): number {
    const mask = this.counts.length - 1;
    for (let slot = (l ^ (h >>> 7)) & mask; ; slot = (slot + 1) & mask) {
      if (this.counts[slot] === 0 || (this.hi[slot] === h && this.lo[slot] === l)) return slot;
    }
  }

  private grow(): void {
    const { hi, lo, counts } = this;
    this.hi = new Uint32Array(counts.length * 2);
    this.lo = new Uint32Array(counts.length * 2);
    this.counts = new Uint8Array(counts.length * 2);
    for (let i = 0; i < counts.length; i++) {
      if (counts[i] === 0) continue;
      const slot = this.find(hi[i]!, lo[i]!);
      this.hi[slot] = hi[i]!;
      this.lo[slot] = lo[i]!;
      this.counts[slot] = counts[i]!;
    }
  }
}
