import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generateUsers } from '../../src/emulator/generate.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { CLERK_FIXTURES } from '../helpers/examples.js';

const SEED = 5;
let emu: RunningEmulator;

beforeAll(async () => {
  emu = await startEmulator({ users: 300, organizations: 40, seed: SEED });
});
afterAll(async () => {
  await emu?.close();
});

type Params = Record<string, string | number | boolean | Array<string | number>>;

async function call(p: string, params: Params = {}, on: RunningEmulator = emu): Promise<{ status: number; body: any }> {
  const url = new URL(p, on.url);
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) url.searchParams.append(k, String(x));
  const res = await fetch(url, { headers: { Authorization: `Bearer ${on.secretKey}` } });
  return { status: res.status, body: await res.json() };
}

async function ok(p: string, params: Params = {}, on: RunningEmulator = emu): Promise<any> {
  const r = await call(p, params, on);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

/** Every item of a `{ data, total_count }` list, paging by 500. */
async function all(p: string, params: Params = {}): Promise<any[]> {
  const out: any[] = [];
  for (let offset = 0; ; offset += 500) {
    const body = await ok(p, { ...params, limit: 500, offset });
    out.push(...body.data);
    if (body.data.length < 500) return out;
  }
}

const spec = parse(readFileSync(path.join(CLERK_FIXTURES, 'bapi-openapi.yml'), 'utf8'));
/** Property names and required names of a spec schema (allOf parts merged). */
function schema(name: string): { props: string[]; required: string[] } {
  const s = spec.components.schemas[name];
  const parts = [s, ...(s.allOf ?? [])];
  return { props: parts.flatMap((x: any) => Object.keys(x.properties ?? {})), required: s.required ?? [] };
}
function expectSchema(obj: Record<string, unknown>, name: string, optionalAbsent: string[] = []): void {
  const { props, required } = schema(name);
  expect(Object.keys(obj).sort(), name).toEqual(props.filter((p) => !optionalAbsent.includes(p)).sort());
  for (const r of required) expect(obj, `${name}.${r}`).toHaveProperty(r);
}

const ID = (prefix: string) => new RegExp(`^${prefix}_[0-9A-Za-z]{27}$`);

describe('generated organization graph', () => {
  it('is deterministic for a seed and leaves the generated users unchanged', async () => {
    const again = await startEmulator({ users: 300, organizations: 40, seed: SEED });
    const plain = await startEmulator({ users: 300, seed: SEED });
    try {
      expect(await ok('/v1/organizations', { limit: 500 }, again)).toEqual(await ok('/v1/organizations', { limit: 500 }));
      expect(await ok('/v1/organization_memberships', { limit: 500 }, again)).toEqual(await ok('/v1/organization_memberships', { limit: 500 }));
      expect(emu.store.all()).toEqual(plain.store.all());
      expect(emu.store.all()).toEqual(generateUsers(300, { seed: SEED }).sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1)));
      // Without the option: no organizations, invitations or waitlist; the two roles still exist.
      expect(await ok('/v1/organizations', {}, plain)).toEqual({ data: [], total_count: 0 });
      expect(await ok('/v1/invitations', {}, plain)).toEqual([]);
      expect((await ok('/v1/organization_roles', {}, plain)).total_count).toBe(2);
    } finally {
      await again.close();
      await plain.close();
    }
  });

  it('organizations have every field of Clerk\'s Organization, ms timestamps and Clerk\'s id prefix', async () => {
    const orgs = await all('/v1/organizations', { include_members_count: true, include_missing_member_with_elevated_permissions: true });
    expect(orgs).toHaveLength(40);
    const withCreator = orgs.filter((o) => o.created_by !== undefined);
    expect(withCreator.length).toBeGreaterThan(0);
    for (const o of withCreator) expectSchema(o, 'Organization');
    for (const o of orgs) {
      expect(o.id).toMatch(ID('org'));
      expect(o.created_at).toBeGreaterThan(1e12);
      expect(o.updated_at).toBeGreaterThanOrEqual(o.created_at);
    }
    expect(new Set(orgs.map((o) => o.slug)).size).toBe(40);
    // Counts only on request.
    const plain = (await ok('/v1/organizations', { limit: 1 })).data[0];
    expect(plain).not.toHaveProperty('members_count');
    expect(plain).not.toHaveProperty('pending_invitations_count');
    expect(plain).not.toHaveProperty('missing_member_with_elevated_permissions');
  });

  it('memberships: users of the store, org:admin / org:member, counts agree, creator is an admin', async () => {
    const ms = await all('/v1/organization_memberships');
    expect(ms.length).toBeGreaterThan(40);
    const orgs = await all('/v1/organizations', { include_members_count: true });
    for (const m of ms) {
      expectSchema(m, 'OrganizationMembership');
      expectSchema(m.public_user_data, 'OrganizationMembershipPublicUserData');
      expect(m.id).toMatch(ID('orgmem'));
      expect(['org:admin', 'org:member']).toContain(m.role);
      expect(m.role_name).toBe(m.role === 'org:admin' ? 'Admin' : 'Member');
      expect(emu.store.has(m.public_user_data.user_id)).toBe(true);
      expect(m.organization).not.toHaveProperty('members_count');
    }
    for (const o of orgs) {
      expect(o.members_count).toBe(ms.filter((m) => m.organization.id === o.id).length);
      if (o.created_by) expect(ms.find((m) => m.organization.id === o.id && m.public_user_data.user_id === o.created_by)?.role).toBe('org:admin');
    }
    const pairs = ms.map((m) => `${m.organization.id}/${m.public_user_data.user_id}`);
    expect(new Set(pairs).size).toBe(pairs.length);
  });

  it('organization invitations, domains, instance invitations, waitlist entries and roles have Clerk\'s shapes', async () => {
    const invs = await all('/v1/organization_invitations');
    expect(invs.length).toBeGreaterThan(0);
    for (const i of invs) {
      expectSchema(i, 'OrganizationInvitationWithPublicOrganizationData');
      expect(i.id).toMatch(ID('orginv'));
      expect(['pending', 'accepted', 'revoked', 'expired']).toContain(i.status);
      expectSchema(i.public_organization_data, 'OrganizationInvitationPublicOrganizationData');
      if (i.public_inviter_data !== null) expectSchema(i.public_inviter_data, 'OrganizationInvitationPublicUserData');
    }
    const domains = await all('/v1/organization_domains');
    expect(domains.length).toBeGreaterThan(0);
    for (const d of domains) {
      expectSchema(d, 'OrganizationDomain');
      expect(d.id).toMatch(ID('orgdmn'));
      expect(d.verification).toEqual(d.affiliation_verification);
    }
    const inv = (await ok('/v1/invitations', { limit: 500 })) as any[];
    expect(Array.isArray(inv)).toBe(true); // a bare array, as in the spec
    expect(inv.length).toBeGreaterThanOrEqual(40);
    for (const i of inv) {
      expectSchema(i, 'Invitation');
      expect(i.id).toMatch(ID('inv'));
      expect(i.revoked).toBe(i.status === 'revoked');
    }
    const paged = await ok('/v1/invitations', { paginated: true, limit: 3 });
    expect(paged.total_count).toBe(inv.length);
    expect(paged.data).toEqual(inv.slice(0, 3));
    const wl = await all('/v1/waitlist_entries');
    expect(wl).toHaveLength(40);
    for (const e of wl) {
      expectSchema(e, 'WaitlistEntry');
      expect(e.id).toMatch(ID('wle'));
      if (e.invitation) expect(inv.map((i) => i.id)).toContain(e.invitation.id);
      expect(e.invitation === null).toBe(e.status === 'pending' || e.status === 'rejected');
    }
    const roles = await ok('/v1/organization_roles', { order_by: 'key' });
    expect(roles.data.map((r: any) => r.key)).toEqual(['org:admin', 'org:member']);
    for (const r of roles.data) {
      expectSchema(r, 'Role');
      for (const p of r.permissions) expectSchema(p, 'Permission');
    }
  });
});

describe('paging, ordering and filters', () => {
  it('limit/offset pages are consecutive slices of one order, total_count is the whole', async () => {
    const whole = await ok('/v1/organizations', { limit: 500 });
    const pages: any[] = [];
    for (let offset = 0; offset < 40; offset += 7) {
      const p = await ok('/v1/organizations', { limit: 7, offset });
      expect(p.total_count).toBe(40);
      pages.push(...p.data);
    }
    expect(pages).toEqual(whole.data);
    expect((await ok('/v1/organizations')).data).toHaveLength(10); // default limit
    expect((await ok('/v1/organizations', { offset: 1000 })).data).toEqual([]);
  });

  it('orders by created_at (default newest first), name and members_count, either way', async () => {
    const byDefault = (await ok('/v1/organizations', { limit: 500 })).data;
    const created = byDefault.map((o: any) => o.created_at);
    expect(created).toEqual([...created].sort((a, b) => b - a));
    const asc = (await ok('/v1/organizations', { limit: 500, order_by: '+created_at' })).data;
    expect(asc).toEqual([...byDefault].reverse());
    const names = (await ok('/v1/organizations', { limit: 500, order_by: 'name' })).data.map((o: any) => o.name);
    expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    const counts = (await ok('/v1/organizations', { limit: 500, order_by: '-members_count', include_members_count: true })).data.map((o: any) => o.members_count);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    const ms = (await ok('/v1/organization_memberships', { limit: 500, order_by: 'created_at' })).data.map((m: any) => m.created_at);
    expect(ms).toEqual([...ms].sort((a, b) => a - b));
    const emails = (await ok('/v1/organization_invitations', { limit: 500, order_by: 'email_address' })).data.map((i: any) => i.email_address.toLowerCase());
    expect(emails).toEqual([...emails].sort());
  });

  it('filters: query, user_id, organization_id, status, enrollment_mode, verified', async () => {
    const ms = await all('/v1/organization_memberships');
    const member = ms[0].public_user_data.user_id as string;
    const ofMember = new Set(ms.filter((m) => m.public_user_data.user_id === member).map((m) => m.organization.id));
    const byUser = await all('/v1/organizations', { user_id: member });
    expect(new Set(byUser.map((o) => o.id))).toEqual(ofMember);
    const withoutUser = await all('/v1/organizations', { user_id: `-${member}` });
    expect(withoutUser).toHaveLength(40 - ofMember.size);
    const one = byUser[0];
    expect((await all('/v1/organizations', { organization_id: [one.id] })).map((o) => o.id)).toEqual([one.id]);
    expect((await all('/v1/organizations', { query: one.id })).map((o) => o.id)).toEqual([one.id]);
    expect((await all('/v1/organizations', { query: 'ACME' })).every((o) => o.name.toLowerCase().includes('acme') || o.slug.includes('acme'))).toBe(true);
    expect((await all('/v1/organizations', { query: 'ACME' })).length).toBeGreaterThan(0);
    const pending = await all('/v1/organization_invitations', { status: 'pending' });
    expect(pending.every((i) => i.status === 'pending')).toBe(true);
    const notSso = await all('/v1/organization_domains', { enrollment_mode: '-enterprise_sso' });
    expect(notSso.every((d) => d.enrollment_mode !== 'enterprise_sso')).toBe(true);
    const verified = await all('/v1/organization_domains', { verified: 'true' });
    expect(verified.every((d) => d.affiliation_verification?.status === 'verified')).toBe(true);
    const d = (await all('/v1/organization_domains'))[0];
    expect((await all('/v1/organization_domains', { query: d.organization_id })).every((x) => x.organization_id === d.organization_id)).toBe(true);
    expect((await all('/v1/organization_domains', { domains: d.name })).map((x) => x.id)).toEqual([d.id]);
    const invited = await all('/v1/waitlist_entries', { status: 'invited' });
    expect(invited.every((e) => e.status === 'invited')).toBe(true);
  });

  it('refuses what Clerk refuses: limit outside 1..500, negative offset, unknown order_by, unknown parameters', async () => {
    const err = async (p: string, params: Params) => {
      const r = await call(p, params);
      return [r.status, r.body.errors[0].code, r.body.errors[0].meta?.param_name];
    };
    for (const p of ['/v1/organizations', '/v1/organization_memberships', '/v1/organization_invitations', '/v1/organization_domains', '/v1/invitations', '/v1/waitlist_entries', '/v1/organization_roles']) {
      expect(await err(p, { limit: 501 }), p).toEqual([422, 'form_param_value_too_large', 'limit']);
      expect(await err(p, { limit: 0 }), p).toEqual([422, 'form_param_value_invalid', 'limit']);
      expect(await err(p, { offset: -1 }), p).toEqual([422, 'form_param_value_invalid', 'offset']);
      expect(await err(p, { order_by: '-nope' }), p).toEqual([422, 'form_param_value_invalid', 'order_by']);
      expect(await err(p, { starting_after: 'x' }), p).toEqual([422, 'form_param_unknown', 'starting_after']);
      expect((await ok(p, { limit: 500 })).length ?? (await ok(p, { limit: 500 })).data.length).toBeGreaterThan(0);
    }
    expect(await err('/v1/organization_invitations', { status: 'nope' })).toEqual([422, 'form_param_value_invalid', 'status']);
  });

  it('GET /v1/organizations/{id} takes an id or a slug; unknown is Clerk\'s 404', async () => {
    const o = (await ok('/v1/organizations', { limit: 1 })).data[0];
    expect(await ok(`/v1/organizations/${o.id}`)).toEqual(o);
    expect(await ok(`/v1/organizations/${encodeURIComponent(o.slug)}`)).toEqual(o);
    expect((await ok(`/v1/organizations/${o.id}`, { include_members_count: true })).members_count).toBeGreaterThanOrEqual(0);
    const r = await call('/v1/organizations/org_missing');
    expect([r.status, r.body.errors[0].code, r.body.errors[0].long_message]).toEqual([404, 'resource_not_found', 'Given organization not found.']);
  });

  it('the rate limit applies to the organization routes as to the users', async () => {
    const limited = await startEmulator({ organizations: 2, rateLimit: { requests: 3, windowMs: 60_000 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await call('/v1/organizations', {}, limited)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(limited.stats.rateLimited).toBe(1);
    } finally {
      await limited.close();
    }
  });
});
