import { apiErrors } from './api-error.js';
import { ALWAYS, arrayParam, boolParam, checkKnown, dateParam, parseOrderBy, parsePaging, scalar, signedSets } from './query-params.js';
import { ORDER_FIELDS, providerKey, type OrderField, type UserDetails, type UserRow, type UserStore } from './store.js';

/**
 * `GET /v1/users` and `GET /v1/users/count`: parameter parsing with Clerk's 422 rules
 * (docs/clerk-api.md, "Listing users": the GetUserList operation of Clerk's spec), filtering and paging.
 *
 * Emulator choices where Clerk documents nothing (callers must not rely on them against the real API):
 * - An unknown query parameter is a 422 `form_param_unknown` (catches `startingAfter`-style typos that
 *   would otherwise page the first page forever). On `/count`, `limit`, `offset`, `order_by` and
 *   `starting_after` are accepted and ignored (the JS SDK never sends them there).
 * - A scalar parameter given twice is a 422 `form_param_duplicate`, except `order_by` (first one wins, per spec).
 * - An empty scalar (`limit=`) counts as absent; `+` must be sent percent-encoded (`%2B`), since a raw `+`
 *   decodes to a space and `order_by= created_at` is rejected.
 * - `starting_after` naming an unknown user is a 422 `form_resource_not_found` (param `starting_after`):
 *   the cursor's position is the (created_at, id) of that user, so a deleted user cannot be a cursor.
 * - The cursor user need not match the filters; only its sort position matters.
 * - `_before`/`_after` bounds are exclusive unless the emulator runs with `inclusiveBounds`; a null
 *   `last_active_at`/`last_sign_in_at` never matches a bound.
 * - Text queries are case-insensitive substring matches; `order_by` on strings compares UTF-16 code
 *   units; `email_address`/`phone_number`/`web3wallet` order by the primary identifier. Nulls sort last
 *   ascending and first descending, ties by id in the direction of the sort.
 */

const ARRAY_PARAMS = ['email_address', 'phone_number', 'external_id', 'username', 'web3_wallet', 'user_id', 'organization_id', 'provider_user_id'] as const;
const SCALAR_FILTERS = [
  'query', 'email_address_query', 'phone_number_query', 'username_query', 'name_query', 'banned',
  'last_active_at_before', 'last_active_at_after', 'last_active_at_since', 'created_at_before', 'created_at_after',
  'last_sign_in_at_before', 'last_sign_in_at_after', 'provider',
] as const;
const LIST_ONLY = ['limit', 'offset', 'starting_after', 'order_by'] as const;

const KNOWN_LIST = new Set<string>([...ARRAY_PARAMS, ...SCALAR_FILTERS, ...LIST_ONLY, ...ALWAYS]);

/** Filters of list and count. */
export interface UserFilter {
  /** created_at bounds as given (ms). */
  createdAfter: number | null;
  createdBefore: number | null;
  /** Whether the bounds include their value. */
  inclusive: boolean;
  /** Every other filter; a user matches when all return true. */
  predicates: Array<(user: UserDetails) => boolean>;
}

export interface ListQuery {
  filter: UserFilter;
  /** 1..500, default 10. */
  limit: number;
  /** >= 0, default 0. */
  offset: number;
  /** Id of the last user of the previous page, or null. */
  startingAfter: string | null;
  orderField: OrderField;
  desc: boolean;
}

export interface ParseOptions {
  /** Whether `_before`/`_after` bounds include the bound value. */
  inclusiveBounds: boolean;
}

/** Parse the query of `GET /v1/users`. Throws an `ApiError` (422) on a rule violation. */
export function parseListQuery(params: URLSearchParams, options: ParseOptions): ListQuery {
  checkKnown(params, KNOWN_LIST);
  const filter = parseFilter(params, options);

  const { limit, offset } = parsePaging(params);
  const { field, desc, raw: rawOrder } = parseOrderBy(params, ORDER_FIELDS, '-created_at');

  const startingAfter = scalar(params, 'starting_after');
  if (startingAfter !== null) {
    if (field !== 'created_at') throw apiErrors.notAllowedWhen('starting_after', 'order_by', rawOrder);
    if (offset !== 0) throw apiErrors.notAllowedWith('offset', 'starting_after');
  }
  return { filter, limit, offset, startingAfter, orderField: field, desc };
}

/** Parse the query of `GET /v1/users/count`. */
export function parseCountFilter(params: URLSearchParams, options: ParseOptions): UserFilter {
  checkKnown(params, KNOWN_LIST);
  return parseFilter(params, options);
}

/** The page of users a list query selects, as their JSON buffers, in order. */
export function listUsers(store: UserStore, q: ListQuery): Buffer[] {
  const { filter, limit } = q;
  const preds = filter.predicates;
  const page: Buffer[] = [];
  let skip = q.offset;
  const take = (row: UserRow): boolean => {
    if (preds.length > 0) {
      const d = store.details(row);
      for (const p of preds) if (!p(d)) return false;
    }
    if (skip > 0) {
      skip--;
      return false;
    }
    page.push(row.json);
    return page.length >= limit;
  };

  if (q.orderField === 'created_at') {
    const rows = store.rowsByCreated();
    let [lo, hi] = createdRange(store, filter);
    if (q.startingAfter !== null) {
      const cursor = store.row(q.startingAfter);
      if (!cursor) throw apiErrors.resourceMissing('starting_after');
      const p = store.positionOf(cursor);
      if (q.desc) hi = Math.min(hi, p);
      else lo = Math.max(lo, p + 1);
    }
    if (preds.length === 0) {
      // No per-row filter: jump over the offset instead of walking it.
      if (q.desc) hi -= skip;
      else lo += skip;
      skip = 0;
    }
    if (q.desc) {
      for (let i = hi - 1; i >= lo; i--) if (take(rows[i] as UserRow)) break;
    } else {
      for (let i = lo; i < hi; i++) if (take(rows[i] as UserRow)) break;
    }
    return page;
  }

  const rows = store.rowsBy(q.orderField);
  const inCreated = createdPredicate(filter);
  const n = rows.length;
  for (let k = 0; k < n; k++) {
    const row = rows[q.desc ? n - 1 - k : k] as UserRow;
    if (inCreated !== null && !inCreated(store.details(row))) continue;
    if (take(row)) break;
  }
  return page;
}

/** Number of users matching the filter. */
export function countUsers(store: UserStore, filter: UserFilter): number {
  const [lo, hi] = createdRange(store, filter);
  const preds = filter.predicates;
  if (preds.length === 0) return Math.max(0, hi - lo);
  const rows = store.rowsByCreated();
  let count = 0;
  outer: for (let i = lo; i < hi; i++) {
    const d = store.details(rows[i] as UserRow);
    for (const p of preds) if (!p(d)) continue outer;
    count++;
  }
  return count;
}

// ---------------------------------------------------------------------------------------------

function createdRange(store: UserStore, f: UserFilter): [number, number] {
  const lo = f.createdAfter === null ? 0 : store.createdBound(f.createdAfter, !f.inclusive);
  const hi = f.createdBefore === null ? store.size : store.createdBound(f.createdBefore, f.inclusive);
  return [lo, Math.max(lo, hi)];
}

function createdPredicate(f: UserFilter): ((user: UserDetails) => boolean) | null {
  if (f.createdAfter === null && f.createdBefore === null) return null;
  return boundPredicate((r) => r.createdAt, f.createdAfter, f.createdBefore, f.inclusive);
}

function boundPredicate(get: (r: UserDetails) => number | null, after: number | null, before: number | null, inclusive: boolean): (user: UserDetails) => boolean {
  return (user) => {
    const v = get(user);
    if (v === null) return false;
    if (after !== null && (inclusive ? v < after : v <= after)) return false;
    if (before !== null && (inclusive ? v > before : v >= before)) return false;
    return true;
  };
}

function anyIn(values: readonly string[], set: ReadonlySet<string>): boolean {
  for (const v of values) if (set.has(v)) return true;
  return false;
}

function contains(haystack: string | null, needle: string): boolean {
  return haystack !== null && haystack.toLowerCase().includes(needle);
}

function containsAny(values: readonly string[], needle: string): boolean {
  for (const v of values) if (v.toLowerCase().includes(needle)) return true;
  return false;
}

function parseFilter(params: URLSearchParams, options: ParseOptions): UserFilter {
  const preds: Array<(user: UserDetails) => boolean> = [];
  const inclusive = options.inclusiveBounds;

  const emails = arrayParam(params, 'email_address');
  if (emails.length > 0) {
    const set = new Set(emails.map((e) => e.toLowerCase()));
    preds.push((r) => anyIn(r.emails, set));
  }
  const phones = arrayParam(params, 'phone_number');
  if (phones.length > 0) {
    const set = new Set(phones);
    preds.push((r) => anyIn(r.phones, set));
  }
  const usernames = arrayParam(params, 'username');
  if (usernames.length > 0) {
    const set = new Set(usernames.map((u) => u.toLowerCase()));
    preds.push((r) => r.username !== null && set.has(r.username.toLowerCase()));
  }
  const wallets = arrayParam(params, 'web3_wallet');
  if (wallets.length > 0) {
    const set = new Set(wallets);
    preds.push((r) => anyIn(r.web3, set));
  }
  const externalIds = arrayParam(params, 'external_id');
  if (externalIds.length > 0) {
    const { include, exclude } = signedSets(externalIds);
    if (include.size > 0) preds.push((r) => r.externalId !== null && include.has(r.externalId));
    if (exclude.size > 0) preds.push((r) => r.externalId === null || !exclude.has(r.externalId));
  }
  const userIds = arrayParam(params, 'user_id');
  if (userIds.length > 0) {
    const { include, exclude } = signedSets(userIds);
    if (include.size > 0) preds.push((r) => include.has(r.id));
    if (exclude.size > 0) preds.push((r) => !exclude.has(r.id));
  }
  const orgIds = arrayParam(params, 'organization_id');
  if (orgIds.length > 0) {
    const { include, exclude } = signedSets(orgIds);
    if (include.size > 0) preds.push((r) => anyIn(r.orgIds, include));
    if (exclude.size > 0) preds.push((r) => !anyIn(r.orgIds, exclude));
  }

  const provider = scalar(params, 'provider');
  const providerUserIds = arrayParam(params, 'provider_user_id');
  if (provider !== null && providerUserIds.length === 0) throw apiErrors.conditionalMissing('provider_user_id', 'provider');
  if (provider === null && providerUserIds.length > 0) throw apiErrors.conditionalMissing('provider', 'provider_user_id');
  if (provider !== null) {
    const keys = new Set(providerUserIds.map((id) => providerKey(provider, id)));
    preds.push((r) => anyIn(r.providers, keys));
  }

  const query = scalar(params, 'query')?.toLowerCase() ?? null;
  if (query !== null) {
    preds.push(
      (r) =>
        containsAny(r.emails, query) || containsAny(r.phones, query) || contains(r.username, query) || containsAny(r.web3, query) ||
        contains(r.id, query) || contains(r.firstName, query) || contains(r.lastName, query),
    );
  }
  const emailQuery = scalar(params, 'email_address_query')?.toLowerCase() ?? null;
  if (emailQuery !== null) preds.push((r) => containsAny(r.emails, emailQuery));
  const phoneQuery = scalar(params, 'phone_number_query')?.toLowerCase() ?? null;
  if (phoneQuery !== null) preds.push((r) => containsAny(r.phones, phoneQuery));
  const usernameQuery = scalar(params, 'username_query')?.toLowerCase() ?? null;
  if (usernameQuery !== null) preds.push((r) => contains(r.username, usernameQuery));
  const nameQuery = scalar(params, 'name_query')?.toLowerCase() ?? null;
  if (nameQuery !== null) {
    preds.push((r) => contains(r.firstName, nameQuery) || contains(r.lastName, nameQuery) || contains(`${r.firstName ?? ''} ${r.lastName ?? ''}`, nameQuery));
  }

  const banned = boolParam(params, 'banned');
  if (banned !== null) preds.push((r) => r.banned === banned);

  const activeBefore = dateParam(params, 'last_active_at_before');
  const activeAfter = dateParam(params, 'last_active_at_after');
  const activeSince = dateParam(params, 'last_active_at_since'); // deprecated alias of _after
  if (activeBefore !== null || activeAfter !== null) preds.push(boundPredicate((r) => r.lastActiveAt, activeAfter, activeBefore, inclusive));
  if (activeSince !== null) preds.push(boundPredicate((r) => r.lastActiveAt, activeSince, null, inclusive));
  const signInBefore = dateParam(params, 'last_sign_in_at_before');
  const signInAfter = dateParam(params, 'last_sign_in_at_after');
  if (signInBefore !== null || signInAfter !== null) preds.push(boundPredicate((r) => r.lastSignInAt, signInAfter, signInBefore, inclusive));

  return {
    createdAfter: dateParam(params, 'created_at_after'),
    createdBefore: dateParam(params, 'created_at_before'),
    inclusive,
    predicates: preds,
  };
}

