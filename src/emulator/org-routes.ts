import { apiErrors } from './api-error.js';
import { domainObject, membershipObject, orgInvitationObject, organizationObject, type OrgCounts } from './org-objects.js';
import { ENROLLMENT_MODES, type DomainRecord, type Invitation, type MembershipRecord, type OrgInvitationRecord, type OrgRecord, type Role, type WaitlistEntry } from './org-store.js';
import { createDomain, createInvitation, createMembership, createOrganization, updateMembership, updateOrganization } from './org-write.js';
import { ALWAYS, arrayParam, boolParam, checkKnown, parseOrderBy, parsePaging, scalar, signedSets } from './query-params.js';
import { jsonReply, route, type Reply, type Route, type RouteContext } from './routing.js';
import type { UserDetails } from './store.js';
import { readJsonBody } from './user-write.js';

/**
 * The organization routes and the other instance-wide lists (docs/clerk-api.md, "Organizations and other lists"):
 * `GET /v1/organizations`, `/v1/organizations/{id or slug}`, `/v1/organization_memberships`,
 * `/v1/organization_invitations`, `/v1/organization_domains`, `/v1/invitations`, `/v1/waitlist_entries`,
 * `/v1/organization_roles`, and the writes of an import (rules: org-write.ts).
 *
 * Lists page with `limit` (1..500, default 10) and `offset` only, and answer `{ data, total_count }`, except
 * `GET /v1/invitations`, a bare array as in Clerk's spec (the envelope with `paginated=true`).
 * Orderings: nulls last ascending and first descending, ties by id in the direction of the sort (as the users list).
 */

type Key = string | number | null;

interface ListSpec<T> {
  /** Accepted parameters besides limit, offset and order_by. */
  params: readonly string[];
  /** order_by fields and their keys. */
  order: Record<string, (item: T, ctx: RouteContext) => Key>;
  /** Default order_by. */
  fallback: string;
  items: (ctx: RouteContext) => T[];
  /** Filters from the query (all must hold). */
  filters?: (q: URLSearchParams, ctx: RouteContext) => Array<(item: T) => boolean>;
  id: (item: T) => string;
  render: (item: T, ctx: RouteContext) => unknown;
}

function compare(ak: Key, aId: string, bk: Key, bId: string): number {
  if (ak !== bk) {
    if (ak === null) return 1;
    if (bk === null) return -1;
    return ak < bk ? -1 : 1;
  }
  return aId < bId ? -1 : aId > bId ? 1 : 0;
}

/** Parse, filter, sort and page one list request. */
function page<T>(ctx: RouteContext, spec: ListSpec<T>): { data: unknown[]; total_count: number } {
  const q = ctx.url.searchParams;
  checkKnown(q, new Set([...spec.params, 'limit', 'offset', 'order_by', ...ALWAYS]));
  const { limit, offset } = parsePaging(q);
  const { field, desc } = parseOrderBy(q, Object.keys(spec.order), spec.fallback);
  const preds = spec.filters?.(q, ctx) ?? [];
  const key = spec.order[field] as (item: T, ctx: RouteContext) => Key;
  const keyed = spec
    .items(ctx)
    .filter((item) => preds.every((p) => p(item)))
    .map((item) => ({ item, key: key(item, ctx), id: spec.id(item) }));
  keyed.sort((a, b) => compare(a.key, a.id, b.key, b.id));
  if (desc) keyed.reverse();
  return { data: keyed.slice(offset, offset + limit).map((k) => spec.render(k.item, ctx)), total_count: keyed.length };
}

function list<T>(path: string, spec: ListSpec<T>): Route {
  return route('GET', path, (ctx) => jsonReply(200, page(ctx, spec)));
}

const lower = (v: string): string => v.toLowerCase();
const contains = (haystack: string, needle: string): boolean => lower(haystack).includes(lower(needle));

function enumParam<E extends string>(q: URLSearchParams, name: string, allowed: readonly E[]): E | null {
  const v = scalar(q, name);
  if (v !== null && !(allowed as readonly string[]).includes(v)) throw apiErrors.paramValueAllowed(name, v, allowed);
  return v as E | null;
}

/** `+x` / `-x` / `x` values: matches when `values` meets the includes (if any) and none of the excludes. */
function signedFilter(q: URLSearchParams, name: string, values: (item: OrgRecord, ctx: RouteContext) => readonly string[]): Array<(item: OrgRecord, ctx: RouteContext) => boolean> {
  const given = arrayParam(q, name);
  if (given.length === 0) return [];
  const { include, exclude } = signedSets(given);
  return [(item, ctx) => {
    const vs = values(item, ctx);
    if (include.size > 0 && !vs.some((v) => include.has(v))) return false;
    return !vs.some((v) => exclude.has(v));
  }];
}

function counts(q: URLSearchParams): OrgCounts {
  return { members: boolParam(q, 'include_members_count') === true, missingMember: boolParam(q, 'include_missing_member_with_elevated_permissions') === true };
}

function storedOrg(ctx: RouteContext): OrgRecord {
  const org = ctx.orgs.organization(ctx.params.organization_id as string);
  if (!org) throw apiErrors.organizationNotFound();
  return org;
}

function storedMembership(ctx: RouteContext, org: OrgRecord): MembershipRecord {
  const m = ctx.orgs.membership(org.id, ctx.params.user_id as string);
  if (!m) throw apiErrors.resourceNotFound();
  return m;
}

const orgReply = (org: OrgRecord, ctx: RouteContext): Reply => jsonReply(200, organizationObject(org, ctx.orgs));
const membershipReply = (m: MembershipRecord, ctx: RouteContext): Reply => jsonReply(200, membershipObject(m, ctx.orgs, ctx.store));

/** A user field of a membership, for ordering (null when the user is gone). */
function userKey(get: (d: UserDetails) => string | null): (m: MembershipRecord, ctx: RouteContext) => Key {
  return (m, ctx) => {
    const row = ctx.store.row(m.user_id);
    return row ? get(ctx.store.details(row)) : null;
  };
}

export const ORG_ROUTES: Route[] = [
  route('GET', '/v1/organizations', (ctx) => {
    const q = ctx.url.searchParams;
    const c = counts(q);
    const query = scalar(q, 'query');
    const orgFilters = [
      ...signedFilter(q, 'user_id', (org, cx) => cx.orgs.memberships(org.id).map((m) => m.user_id)),
      ...signedFilter(q, 'organization_id', (org) => [org.id]),
    ];
    return jsonReply(
      200,
      page<OrgRecord>(ctx, {
        params: ['include_members_count', 'include_missing_member_with_elevated_permissions', 'query', 'user_id', 'organization_id'],
        order: { name: (o) => o.name, created_at: (o) => o.created_at, members_count: (o, cx) => cx.orgs.membersCount(o.id) },
        fallback: '-created_at',
        items: (cx) => cx.orgs.organizations(),
        // Exact match on the id, partial (case-insensitive) on name and slug.
        filters: (_q, cx) => [
          ...(query === null ? [] : [(o: OrgRecord) => o.id === query || contains(o.name, query) || contains(o.slug, query)]),
          ...orgFilters.map((p) => (o: OrgRecord) => p(o, cx)),
        ],
        id: (o) => o.id,
        render: (o, cx) => organizationObject(o, cx.orgs, c),
      }),
    );
  }),
  route('GET', '/v1/organizations/:organization_id', (ctx) => {
    const q = ctx.url.searchParams;
    checkKnown(q, new Set(['include_members_count', 'include_missing_member_with_elevated_permissions', ...ALWAYS]));
    return jsonReply(200, organizationObject(storedOrg(ctx), ctx.orgs, counts(q)));
  }),
  list<MembershipRecord>('/v1/organization_memberships', {
        params: [],
        order: {
          phone_number: userKey((d) => d.primaryPhone),
          email_address: userKey((d) => d.primaryEmail),
          created_at: (m) => m.created_at,
          first_name: userKey((d) => d.firstName),
          last_name: userKey((d) => d.lastName),
          username: userKey((d) => d.username),
        },
        // The spec names no default; the emulator uses Clerk's usual one.
        fallback: '-created_at',
        items: (cx) => cx.orgs.memberships(),
        id: (m) => m.id,
        render: (m, cx) => membershipObject(m, cx.orgs, cx.store),
  }),
  list<OrgInvitationRecord>('/v1/organization_invitations', {
    params: ['status', 'query'],
    order: { created_at: (i) => i.created_at, email_address: (i) => lower(i.email_address) },
    fallback: '-created_at',
    items: (cx) => cx.orgs.orgInvitationList(),
    filters: (q) => {
      const status = enumParam(q, 'status', ['pending', 'accepted', 'revoked', 'expired'] as const);
      const query = scalar(q, 'query');
      return [...(status === null ? [] : [(i: { status: string }) => i.status === status]), ...(query === null ? [] : [(i: { email_address: string }) => contains(i.email_address, query)])];
    },
    id: (i) => i.id,
    render: (i, cx) => orgInvitationObject(i, cx.orgs, cx.store),
  }),
  list<DomainRecord>('/v1/organization_domains', {
    params: ['organization_id', 'verified', 'enrollment_mode', 'query', 'domains'],
    order: { name: (d) => lower(d.name), created_at: (d) => d.created_at },
    fallback: '-created_at',
    items: (cx) => cx.orgs.domainList(),
    filters: (q) => {
      const orgId = scalar(q, 'organization_id');
      const verified = enumParam(q, 'verified', ['true', 'false'] as const);
      const modes = arrayParam(q, 'enrollment_mode');
      for (const m of modes) {
        if (!(ENROLLMENT_MODES as readonly string[]).includes(m.replace(/^-/, ''))) throw apiErrors.paramValueAllowed('enrollment_mode', m, ENROLLMENT_MODES.flatMap((e) => [e, `-${e}`]));
      }
      const { include, exclude } = signedSets(modes.map((m) => (m.startsWith('-') ? m : `+${m}`)));
      const names = new Set(arrayParam(q, 'domains').map(lower));
      const query = scalar(q, 'query');
      const preds: Array<(d: DomainRecord) => boolean> = [];
      if (orgId !== null) preds.push((d) => d.organization_id === orgId);
      if (verified !== null) preds.push((d) => (d.affiliation_verification?.status === 'verified') === (verified === 'true'));
      if (include.size > 0) preds.push((d) => include.has(d.enrollment_mode));
      if (exclude.size > 0) preds.push((d) => !exclude.has(d.enrollment_mode));
      if (names.size > 0) preds.push((d) => names.has(lower(d.name)));
      // "org_…": exact organization id; anything else: partial, case-insensitive, on the domain name.
      if (query !== null) preds.push(query.startsWith('org_') ? (d) => d.organization_id === query : (d) => contains(d.name, query));
      return preds;
    },
    id: (d) => d.id,
    render: (d, cx) => domainObject(d, cx.orgs),
  }),
  route('GET', '/v1/invitations', (ctx) => {
    const q = ctx.url.searchParams;
    const paginated = boolParam(q, 'paginated') === true;
    const result = page<Invitation>(ctx, {
      params: ['status', 'query', 'paginated'],
      order: { created_at: (i) => i.created_at, email_address: (i) => lower(i.email_address), expires_at: (i) => i.expires_at },
      fallback: '-created_at',
      items: (cx) => cx.orgs.invitationList(),
      filters: (qq) => {
        const status = enumParam(qq, 'status', ['pending', 'accepted', 'revoked', 'expired'] as const);
        const query = scalar(qq, 'query');
        return [...(status === null ? [] : [(i: { status: string }) => i.status === status]), ...(query === null ? [] : [(i: { id: string; email_address: string }) => i.id === query || contains(i.email_address, query)])];
      },
      id: (i) => i.id,
      render: (i) => i,
    });
    return jsonReply(200, paginated ? result : result.data);
  }),
  list<WaitlistEntry>('/v1/waitlist_entries', {
    params: ['status', 'query'],
    order: { created_at: (e) => e.created_at, email_address: (e) => lower(e.email_address), invited_at: (e) => e.invitation?.created_at ?? null },
    fallback: '-created_at',
    items: (cx) => cx.orgs.waitlistList(),
    filters: (q) => {
      const status = enumParam(q, 'status', ['pending', 'invited', 'completed', 'rejected'] as const);
      const query = scalar(q, 'query');
      return [...(status === null ? [] : [(e: { status: string }) => e.status === status]), ...(query === null ? [] : [(e: { id: string; email_address: string }) => e.id === query || contains(e.email_address, query)])];
    },
    id: (e) => e.id,
    render: (e) => e,
  }),
  list<Role>('/v1/organization_roles', {
    params: ['query'],
    order: { created_at: (r) => r.created_at, name: (r) => r.name, key: (r) => r.key },
    fallback: '-created_at',
    items: (cx) => [...cx.orgs.roles],
    filters: (q) => {
      const query = scalar(q, 'query');
      return query === null ? [] : [(r) => r.id === query || contains(r.name, query) || contains(r.key, query)];
    },
    id: (r) => r.id,
    render: (r) => r,
  }),

  // --- writes ---------------------------------------------------------------------------------
  route('POST', '/v1/organizations', async (ctx) => orgReply(createOrganization(await readJsonBody(ctx.req), ctx.orgEnv), ctx)),
  route('PATCH', '/v1/organizations/:organization_id', async (ctx) => {
    const org = storedOrg(ctx); // 404 before any body problem
    return orgReply(updateOrganization(org, await readJsonBody(ctx.req), ctx.orgEnv), ctx);
  }),
  route('DELETE', '/v1/organizations/:organization_id', (ctx) => {
    const org = storedOrg(ctx);
    ctx.orgs.deleteOrganization(org.id);
    return jsonReply(200, { object: 'organization', id: org.id, slug: org.slug, deleted: true });
  }),
  route('POST', '/v1/organizations/:organization_id/memberships', async (ctx) => {
    const org = storedOrg(ctx);
    return membershipReply(createMembership(org, await readJsonBody(ctx.req), ctx.orgEnv), ctx);
  }),
  route('PATCH', '/v1/organizations/:organization_id/memberships/:user_id', async (ctx) => {
    const org = storedOrg(ctx);
    const current = storedMembership(ctx, org);
    return membershipReply(updateMembership(current, await readJsonBody(ctx.req), ctx.orgEnv), ctx);
  }),
  route('DELETE', '/v1/organizations/:organization_id/memberships/:user_id', (ctx) => {
    const org = storedOrg(ctx);
    const m = storedMembership(ctx, org);
    const reply = membershipReply(m, ctx); // rendered while the membership still exists
    ctx.orgs.deleteMembership(org.id, m.user_id);
    return reply;
  }),
  route('POST', '/v1/organizations/:organization_id/domains', async (ctx) => {
    const org = storedOrg(ctx);
    return jsonReply(200, domainObject(createDomain(org, await readJsonBody(ctx.req), ctx.orgEnv), ctx.orgs));
  }),
  route('POST', '/v1/invitations', async (ctx) => jsonReply(200, createInvitation(await readJsonBody(ctx.req), ctx.orgEnv))),
];
