import { describe, expect, it } from 'vitest';
import { CREATE_DOMAIN_FIELDS, CREATE_INVITATION_FIELDS, CREATE_MEMBERSHIP_FIELDS, CREATE_ORG_FIELDS, UPDATE_MEMBERSHIP_FIELDS, UPDATE_ORG_FIELDS } from '../../src/emulator/org-write.js';
import { call, err, start } from './write-helpers.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CLERK_FIXTURES } from '../helpers/examples.js';

const NOW = Date.UTC(2027, 0, 15, 12, 0, 0);
const now = (): number => NOW;
const ID = (prefix: string) => new RegExp(`^${prefix}_[0-9A-Za-z]{27}$`);

describe('the request schemas are the spec\'s', () => {
  const spec = parse(readFileSync(path.join(CLERK_FIXTURES, 'bapi-openapi.yml'), 'utf8'));
  const body = (p: string, method: string) => spec.paths[p][method].requestBody.content['application/json'].schema;
  const props = (schema: any) => Object.fromEntries(Object.entries(schema.properties).map(([k, v]: [string, any]) => [k, [v.type, v.nullable === true]]));
  const mine = (fields: Record<string, { type: string; nullable: boolean }>) => Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, [v.type, v.nullable]]));

  it('CreateOrganization, UpdateOrganization, memberships, domains and CreateInvitation: same properties, types and nullability', () => {
    expect(mine(CREATE_ORG_FIELDS)).toEqual(props(body('/organizations', 'post')));
    expect(mine(UPDATE_ORG_FIELDS)).toEqual(props(body('/organizations/{organization_id}', 'patch')));
    expect(mine(CREATE_MEMBERSHIP_FIELDS)).toEqual(props(body('/organizations/{organization_id}/memberships', 'post')));
    expect(mine(UPDATE_MEMBERSHIP_FIELDS)).toEqual(props(body('/organizations/{organization_id}/memberships/{user_id}', 'patch')));
    expect(mine(CREATE_DOMAIN_FIELDS)).toEqual(props(body('/organizations/{organization_id}/domains', 'post')));
    expect(mine(CREATE_INVITATION_FIELDS)).toEqual(props(body('/invitations', 'post')));
  });
});

describe('organization writes', () => {
  it('creates an organization with the creator as admin; a taken slug is form_identifier_exists; no slug makes one', async () => {
    const emu = await start({ users: 5, now });
    const [creator] = emu.store.all();
    const r = await call(emu, 'POST', '/v1/organizations', { name: 'Acme, "Inc."', slug: 'acme', created_by: creator!.id, public_metadata: { tier: 'pro' }, private_metadata: { crm: 1 }, max_allowed_memberships: 3, created_at: '2020-01-02T03:04:05.678Z' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ object: 'organization', name: 'Acme, "Inc."', slug: 'acme', created_by: creator!.id, public_metadata: { tier: 'pro' }, private_metadata: { crm: 1 }, max_allowed_memberships: 3, created_at: Date.UTC(2020, 0, 2, 3, 4, 5, 678), updated_at: NOW });
    expect(r.body.id).toMatch(ID('org'));
    const ms = await call(emu, 'GET', '/v1/organization_memberships');
    expect(ms.body.data.map((m: any) => [m.organization.id, m.public_user_data.user_id, m.role])).toEqual([[r.body.id, creator!.id, 'org:admin']]);

    expect(err(await call(emu, 'POST', '/v1/organizations', { name: 'Other', slug: 'acme' }))).toEqual([422, 'form_identifier_exists', 'slug']);
    expect(err(await call(emu, 'POST', '/v1/organizations', { name: 'Other', slug: 'Not A Slug' }))).toEqual([422, 'form_param_format_invalid', 'slug']);
    expect(err(await call(emu, 'POST', '/v1/organizations', { slug: 'x' }))).toEqual([422, 'form_param_missing', 'name']);
    expect(err(await call(emu, 'POST', '/v1/organizations', { name: 'x'.repeat(257) }))).toEqual([422, 'form_param_max_length_exceeded', 'name']);
    expect(err(await call(emu, 'POST', '/v1/organizations', { name: 'X', colour: 'red' }))).toEqual([422, 'form_param_unknown', 'colour']);
    expect(err(await call(emu, 'POST', '/v1/organizations', { name: 'X', created_by: 'user_nobody' }))).toEqual([400, 'organization_creator_not_found', undefined]);
    expect(err(await call(emu, 'POST', '/v1/organizations', { name: 'X', created_at: 'yesterday' }))).toEqual([422, 'form_param_invalid_time', 'created_at']);

    const auto = await call(emu, 'POST', '/v1/organizations', { name: 'Acme' });
    expect(auto.status).toBe(200);
    expect(auto.body.slug).toMatch(/^acme-[a-z0-9]{6}$/);
    expect(auto.body).not.toHaveProperty('created_by');
    expect((await call(emu, 'POST', '/v1/organizations', { name: 'Café Zoë' })).body.slug).toBe('cafe-zoe');
  });

  it('updates and deletes an organization; deleting removes its memberships, invitations and domains', async () => {
    const emu = await start({ users: 200, organizations: 6, now, seed: 3 });
    const orgs = (await call(emu, 'GET', '/v1/organizations', undefined)).body.data;
    const other = orgs[1];
    // The organization with the most related objects.
    const target = [...emu.orgs.organizations()].sort((a, b) => emu.orgs.memberships(b.id).length - emu.orgs.memberships(a.id).length)[0]!;
    expect(emu.orgs.memberships(target.id).length).toBeGreaterThan(0);

    const up = await call(emu, 'PATCH', `/v1/organizations/${target.id}`, { name: 'Renamed', slug: 'renamed', max_allowed_memberships: null, admin_delete_enabled: false });
    expect(up.status, JSON.stringify(up.body)).toBe(200);
    expect(up.body).toMatchObject({ id: target.id, name: 'Renamed', slug: 'renamed', max_allowed_memberships: target.max_allowed_memberships, admin_delete_enabled: false, updated_at: NOW });
    expect((await call(emu, 'GET', '/v1/organizations/renamed')).body.id).toBe(target.id);
    expect(err(await call(emu, 'PATCH', `/v1/organizations/${target.id}`, { slug: other.slug }))).toEqual([422, 'form_identifier_exists', 'slug']);
    expect(err(await call(emu, 'PATCH', '/v1/organizations/org_missing', { name: 'x' }))).toEqual([404, 'resource_not_found', undefined]);

    await call(emu, 'POST', `/v1/organizations/${target.id}/domains`, { name: 'renamed.example', enrollment_mode: 'manual_invitation' });
    const before = { ms: (await call(emu, 'GET', '/v1/organization_memberships?limit=500')).body, inv: (await call(emu, 'GET', '/v1/organization_invitations?limit=500')).body, dom: (await call(emu, 'GET', '/v1/organization_domains?limit=500')).body };
    const del = await call(emu, 'DELETE', `/v1/organizations/${target.id}`);
    expect(del.body).toEqual({ object: 'organization', id: target.id, slug: 'renamed', deleted: true });
    const after = { ms: (await call(emu, 'GET', '/v1/organization_memberships?limit=500')).body, inv: (await call(emu, 'GET', '/v1/organization_invitations?limit=500')).body, dom: (await call(emu, 'GET', '/v1/organization_domains?limit=500')).body };
    expect(after.ms.data).toEqual(before.ms.data.filter((m: any) => m.organization.id !== target.id));
    expect(after.inv.data).toEqual(before.inv.data.filter((i: any) => i.organization_id !== target.id));
    expect(after.dom.data).toEqual(before.dom.data.filter((d: any) => d.organization_id !== target.id));
    expect(after.ms.total_count).toBeLessThan(before.ms.total_count);
    expect(after.dom.total_count).toBeLessThan(before.dom.total_count);
    expect((await call(emu, 'GET', `/v1/organizations/${target.id}`)).status).toBe(404);
    expect((await call(emu, 'DELETE', `/v1/organizations/${target.id}`)).status).toBe(404);
    expect((await call(emu, 'GET', '/v1/organizations')).body.total_count).toBe(5);
  });

  it('memberships: create, duplicate, unknown user or role, quota, update role, delete', async () => {
    const emu = await start({ users: 5, now });
    const [a, b, c] = emu.store.all();
    const org = (await call(emu, 'POST', '/v1/organizations', { name: 'Team', max_allowed_memberships: 2 })).body;
    const path = `/v1/organizations/${org.id}/memberships`;
    const m = await call(emu, 'POST', path, { user_id: a!.id, role: 'org:member', public_metadata: { team: 'core' } });
    expect(m.status, JSON.stringify(m.body)).toBe(200);
    expect(m.body).toMatchObject({ object: 'organization_membership', role: 'org:member', role_name: 'Member', permissions: ['org:sys_memberships:read'], public_metadata: { team: 'core' }, private_metadata: {}, created_at: NOW, updated_at: NOW });
    expect(m.body.id).toMatch(ID('orgmem'));
    expect(m.body.organization.id).toBe(org.id);
    expect(m.body.public_user_data).toMatchObject({ user_id: a!.id, first_name: a!.first_name, last_name: a!.last_name, username: a!.username });

    expect(err(await call(emu, 'POST', path, { user_id: a!.id, role: 'org:admin' }))).toEqual([400, 'already_a_member_in_organization', undefined]);
    expect(err(await call(emu, 'POST', path, { user_id: 'user_nobody', role: 'org:member' }))).toEqual([422, 'form_resource_not_found', 'user_id']);
    expect(err(await call(emu, 'POST', path, { user_id: b!.id, role: 'org:owner' }))).toEqual([404, 'resource_not_found', 'role']);
    expect(err(await call(emu, 'POST', path, { user_id: b!.id }))).toEqual([422, 'form_param_missing', 'role']);
    expect(err(await call(emu, 'POST', '/v1/organizations/org_missing/memberships', { user_id: b!.id, role: 'org:member' }))).toEqual([404, 'resource_not_found', undefined]);
    expect((await call(emu, 'POST', path, { user_id: b!.id, role: 'org:admin' })).status).toBe(200);
    expect(err(await call(emu, 'POST', path, { user_id: c!.id, role: 'org:member' }))).toEqual([403, 'organization_membership_quota_exceeded', undefined]);

    const up = await call(emu, 'PATCH', `${path}/${a!.id}`, { role: 'org:admin' });
    expect(up.body).toMatchObject({ id: m.body.id, role: 'org:admin', role_name: 'Admin' });
    expect(err(await call(emu, 'PATCH', `${path}/${c!.id}`, { role: 'org:admin' }))).toEqual([404, 'resource_not_found', undefined]);
    expect(err(await call(emu, 'PATCH', `${path}/${a!.id}`, { role: 'org:nope' }))).toEqual([404, 'resource_not_found', 'role']);

    const del = await call(emu, 'DELETE', `${path}/${a!.id}`);
    expect(del.status).toBe(200);
    expect(del.body.id).toBe(m.body.id);
    expect((await call(emu, 'DELETE', `${path}/${a!.id}`)).status).toBe(404);
    expect((await call(emu, 'GET', `/v1/organizations/${org.id}?include_members_count=true`)).body.members_count).toBe(1);
  });

  it('deleting a user removes its memberships', async () => {
    const emu = await start({ users: 100, organizations: 10, seed: 9 });
    const ms = (await call(emu, 'GET', '/v1/organization_memberships?limit=500')).body.data;
    const userId = ms[0].public_user_data.user_id as string;
    const mine = ms.filter((m: any) => m.public_user_data.user_id === userId).length;
    expect((await call(emu, 'DELETE', `/v1/users/${userId}`)).status).toBe(200);
    const after = (await call(emu, 'GET', '/v1/organization_memberships?limit=500')).body;
    expect(after.total_count).toBe(ms.length - mine);
    expect(after.data.some((m: any) => m.public_user_data.user_id === userId)).toBe(false);
    expect((await call(emu, 'GET', `/v1/organizations?user_id=${userId}`)).body.total_count).toBe(0);
  });

  it('domains: create, taken by another or the same organization, bad enrollment mode', async () => {
    const emu = await start({ now });
    const one = (await call(emu, 'POST', '/v1/organizations', { name: 'One' })).body;
    const two = (await call(emu, 'POST', '/v1/organizations', { name: 'Two' })).body;
    const d = await call(emu, 'POST', `/v1/organizations/${one.id}/domains`, { name: 'one.example', enrollment_mode: 'automatic_invitation', verified: false });
    expect(d.status, JSON.stringify(d.body)).toBe(200);
    expect(d.body).toMatchObject({ object: 'organization_domain', organization_id: one.id, name: 'one.example', enrollment_mode: 'automatic_invitation', affiliation_verification: null, verification: null, created_at: NOW });
    expect(d.body.id).toMatch(ID('orgdmn'));
    expect(d.body.public_organization_data).toEqual({ id: one.id, name: 'One', slug: one.slug, image_url: one.image_url, has_image: false });
    expect(err(await call(emu, 'POST', `/v1/organizations/${one.id}/domains`, { name: 'ONE.example', enrollment_mode: 'manual_invitation' }))).toEqual([422, 'organization_domain_already_exists_same_organization', 'name']);
    expect(err(await call(emu, 'POST', `/v1/organizations/${two.id}/domains`, { name: 'one.example', enrollment_mode: 'manual_invitation' }))).toEqual([422, 'organization_domain_already_exists', 'name']);
    expect(err(await call(emu, 'POST', `/v1/organizations/${two.id}/domains`, { name: 'two.example', enrollment_mode: 'magic' }))).toEqual([422, 'form_param_value_invalid', 'enrollment_mode']);
    const verified = await call(emu, 'POST', `/v1/organizations/${two.id}/domains`, { name: 'two.example', enrollment_mode: 'manual_invitation' });
    expect(verified.body.affiliation_verification.status).toBe('verified');
  });

  it('instance invitations: create, duplicate pending, existing user, ignore_existing', async () => {
    const emu = await start({ users: 3, now });
    const r = await call(emu, 'POST', '/v1/invitations', { email_address: 'new@example.com', public_metadata: { plan: 'pro' }, expires_in_days: 7 });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ object: 'invitation', email_address: 'new@example.com', public_metadata: { plan: 'pro' }, revoked: false, status: 'pending', expires_at: NOW + 7 * 86_400_000, created_at: NOW, updated_at: NOW });
    expect(r.body.id).toMatch(ID('inv'));
    expect(err(await call(emu, 'POST', '/v1/invitations', { email_address: 'NEW@example.com' }))).toEqual([400, 'duplicate_record', undefined]);
    expect((await call(emu, 'POST', '/v1/invitations', { email_address: 'new@example.com', ignore_existing: true })).status).toBe(200);
    const existing = emu.store.all().flatMap((u: any) => u.email_addresses.map((e: any) => e.email_address))[0] as string;
    expect(err(await call(emu, 'POST', '/v1/invitations', { email_address: existing }))).toEqual([422, 'form_identifier_exists', 'email_address']);
    expect(err(await call(emu, 'POST', '/v1/invitations', { email_address: 'not-an-email' }))).toEqual([422, 'form_param_format_invalid', 'email_address']);
    expect(err(await call(emu, 'POST', '/v1/invitations', { email_address: 'a@example.com', expires_in_days: 400 }))).toEqual([422, 'form_param_value_too_large', 'expires_in_days']);
    const listed = (await call(emu, 'GET', '/v1/invitations')).body;
    expect(listed.map((i: any) => i.email_address)).toEqual(['new@example.com', 'new@example.com']);
  });
});
