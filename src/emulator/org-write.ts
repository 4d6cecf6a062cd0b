import { apiErrors } from './api-error.js';
import { ENROLLMENT_MODES, type DomainRecord, type EnrollmentMode, type Invitation, type MembershipRecord, type OrgRecord, type OrgStore } from './org-store.js';
import type { UserStore } from './store.js';
import { checkShape, f, isEmail, parseRfc3339, type Body, type Field } from './user-write.js';

/**
 * The writes an import of the organization graph needs, with the request schemas of Clerk's spec
 * (CreateOrganization, UpdateOrganization, CreateOrganizationMembership, UpdateOrganizationMembership,
 * CreateOrganizationDomain, CreateInvitation) and the codes of Clerk's error catalogue
 * (docs/clerk-api.md, "Organizations and other lists").
 *
 * Body rules are the users' (user-write.ts rules 1–3: JSON object, unknown key → `form_param_unknown`,
 * null where not nullable → `form_param_nil`, wrong JSON type → `form_param_value_invalid`), then:
 * - a required field absent → 422 `form_param_missing`;
 * - organization `name` over 256 characters → 422 `form_param_max_length_exceeded`; a `slug` other than
 *   lowercase letters, digits and dashes → 422 `form_param_format_invalid`; a slug another organization
 *   has → 422 `form_identifier_exists` (param `slug`);
 * - `created_by` naming no user → 400 `organization_creator_not_found`; that user becomes an `org:admin` member;
 * - a membership for a user who is already a member → 400 `already_a_member_in_organization`; for an unknown
 *   user → 422 `form_resource_not_found` (user_id); with an unknown role → 404 `resource_not_found` (role);
 *   beyond `max_allowed_memberships` (0 = unlimited) → 403 `organization_membership_quota_exceeded`;
 * - a domain name another organization has → 422 `organization_domain_already_exists`, the same
 *   organization → `organization_domain_already_exists_same_organization`;
 * - an instance invitation for an address with a pending invitation → 400 `duplicate_record`, for an
 *   address a user has → 422 `form_identifier_exists`, unless `ignore_existing`.
 */

/** What an organization write needs from the emulator. */
export interface OrgEnv {
  users: UserStore;
  orgs: OrgStore;
  /** Clock for timestamps, Unix ms. */
  now: () => number;
  /** A new id with this prefix (`org_`, `orgmem_`, `orgdmn_`, `inv_`), not yet used. */
  newId: (prefix: string) => string;
  /** A few random lowercase characters (suffix of a generated slug). */
  randomSuffix: () => string;
}

const s = (nullable = true): Field => f('string', nullable);

/** CreateOrganization's request body. */
export const CREATE_ORG_FIELDS: Readonly<Record<string, Field>> = {
  name: s(false),
  created_by: s(),
  private_metadata: f('object'),
  public_metadata: f('object'),
  slug: s(),
  max_allowed_memberships: f('integer'),
  created_at: s(),
  role_set_key: s(),
};
/** UpdateOrganization's request body. */
export const UPDATE_ORG_FIELDS: Readonly<Record<string, Field>> = {
  name: s(),
  slug: s(),
  max_allowed_memberships: f('integer'),
  admin_delete_enabled: f('boolean'),
  created_at: s(),
  role_set_key: s(),
};
/** CreateOrganizationMembership's request body. */
export const CREATE_MEMBERSHIP_FIELDS: Readonly<Record<string, Field>> = {
  user_id: s(false),
  role: s(false),
  public_metadata: f('object'),
  private_metadata: f('object'),
};
/** UpdateOrganizationMembership's request body. */
export const UPDATE_MEMBERSHIP_FIELDS: Readonly<Record<string, Field>> = { role: s(false) };
/** CreateOrganizationDomain's request body. */
export const CREATE_DOMAIN_FIELDS: Readonly<Record<string, Field>> = { name: s(false), enrollment_mode: s(false), verified: f('boolean') };
/** CreateInvitation's request body. */
export const CREATE_INVITATION_FIELDS: Readonly<Record<string, Field>> = {
  email_address: s(false),
  public_metadata: f('object', false),
  redirect_url: s(false),
  notify: f('boolean'),
  ignore_existing: f('boolean'),
  expires_in_days: f('integer'),
  template_slug: s(false),
};

const NAME_MAX = 256;
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const DAY_MS = 24 * 3600 * 1000;
const DEFAULT_IMAGE_URL = 'https://img.clerk.com/eyJ0eXBlIjoiZGVmYXVsdCJ9';

const required = (body: Body, key: string): void => {
  if (body[key] === undefined) throw apiErrors.paramMissing(key);
};
const obj = (v: unknown): Record<string, unknown> | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? structuredClone(v as Record<string, unknown>) : undefined);

function checkName(name: string): void {
  if (name.length > NAME_MAX) throw apiErrors.paramMaxLength('name', NAME_MAX);
}

function time(body: Body): number | undefined {
  if (typeof body.created_at !== 'string') return undefined;
  const ms = parseRfc3339(body.created_at);
  if (ms === null) throw apiErrors.invalidTime('created_at');
  return ms;
}

function checkSlug(slug: string, orgs: OrgStore, self: string | null): void {
  if (!SLUG.test(slug)) throw apiErrors.paramFormat('slug', 'can contain only lowercase alphanumeric characters and the dash "-"');
  const owner = orgs.slugOwner(slug);
  if (owner !== undefined && owner !== self) throw apiErrors.identifierExists('slug');
}

/** A slug from a name: lowercase ASCII letters and digits, runs of anything else as one dash; a suffix when taken. */
function slugFrom(name: string, env: OrgEnv): string {
  const base = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'organization';
  let slug = base;
  while (env.orgs.slugOwner(slug) !== undefined) slug = `${base}-${env.randomSuffix()}`;
  return slug;
}

/** `POST /v1/organizations`: the new organization (stored, with its creator as admin). */
export function createOrganization(body: Body, env: OrgEnv): OrgRecord {
  checkShape(body, CREATE_ORG_FIELDS);
  required(body, 'name');
  const name = body.name as string;
  checkName(name);
  if (typeof body.max_allowed_memberships === 'number' && body.max_allowed_memberships < 0) throw apiErrors.paramValue('max_allowed_memberships', String(body.max_allowed_memberships));
  const slug = typeof body.slug === 'string' ? body.slug : null;
  if (slug !== null) checkSlug(slug, env.orgs, null);
  const createdAt = time(body);
  const creator = typeof body.created_by === 'string' ? body.created_by : null;
  if (creator !== null && !env.users.has(creator)) throw apiErrors.creatorNotFound(creator);

  const now = env.now();
  const org: OrgRecord = {
    id: env.newId('org_'),
    name,
    slug: slug ?? slugFrom(name, env),
    image_url: DEFAULT_IMAGE_URL,
    has_image: false,
    max_allowed_memberships: typeof body.max_allowed_memberships === 'number' ? body.max_allowed_memberships : 0,
    admin_delete_enabled: true,
    public_metadata: obj(body.public_metadata) ?? {},
    private_metadata: obj(body.private_metadata) ?? {},
    created_at: createdAt ?? now,
    updated_at: now,
    last_active_at: now,
    role_set_key: typeof body.role_set_key === 'string' ? body.role_set_key : null,
  };
  if (creator !== null) org.created_by = creator;
  env.orgs.putOrganization(org);
  if (creator !== null) env.orgs.putMembership(newMembership(org.id, creator, 'org:admin', undefined, undefined, env));
  return org;
}

/** `PATCH /v1/organizations/{id}`: null or absent leaves a field as it is. */
export function updateOrganization(current: OrgRecord, body: Body, env: OrgEnv): OrgRecord {
  checkShape(body, UPDATE_ORG_FIELDS);
  const next: OrgRecord = { ...current };
  if (typeof body.name === 'string') {
    checkName(body.name);
    next.name = body.name;
  }
  if (typeof body.slug === 'string') {
    checkSlug(body.slug, env.orgs, current.id);
    next.slug = body.slug;
  }
  if (typeof body.max_allowed_memberships === 'number') {
    if (body.max_allowed_memberships < 0) throw apiErrors.paramValue('max_allowed_memberships', String(body.max_allowed_memberships));
    next.max_allowed_memberships = body.max_allowed_memberships;
  }
  if (typeof body.admin_delete_enabled === 'boolean') next.admin_delete_enabled = body.admin_delete_enabled;
  const createdAt = time(body);
  if (createdAt !== undefined) next.created_at = createdAt;
  if (typeof body.role_set_key === 'string') next.role_set_key = body.role_set_key;
  next.updated_at = env.now();
  env.orgs.putOrganization(next);
  return next;
}

function newMembership(orgId: string, userId: string, role: string, publicMetadata: Record<string, unknown> | undefined, privateMetadata: Record<string, unknown> | undefined, env: OrgEnv): MembershipRecord {
  const now = env.now();
  return { id: env.newId('orgmem_'), organization_id: orgId, user_id: userId, role, public_metadata: publicMetadata ?? {}, private_metadata: privateMetadata ?? {}, created_at: now, updated_at: now };
}

function checkRole(role: string, env: OrgEnv): void {
  if (!env.orgs.role(role)) throw apiErrors.roleNotFound();
}

/** `POST /v1/organizations/{id}/memberships`. */
export function createMembership(org: OrgRecord, body: Body, env: OrgEnv): MembershipRecord {
  checkShape(body, CREATE_MEMBERSHIP_FIELDS);
  required(body, 'user_id');
  required(body, 'role');
  const userId = body.user_id as string;
  const role = body.role as string;
  if (!env.users.has(userId)) throw apiErrors.resourceMissing('user_id');
  checkRole(role, env);
  if (env.orgs.membership(org.id, userId)) throw apiErrors.alreadyMember(userId);
  const max = org.max_allowed_memberships;
  if (max > 0 && env.orgs.membersCount(org.id) + env.orgs.pendingInvitationsCount(org.id) >= max) throw apiErrors.membershipQuota(max);
  const m = newMembership(org.id, userId, role, obj(body.public_metadata), obj(body.private_metadata), env);
  env.orgs.putMembership(m);
  return m;
}

/** `PATCH /v1/organizations/{id}/memberships/{user_id}`: a new role. */
export function updateMembership(current: MembershipRecord, body: Body, env: OrgEnv): MembershipRecord {
  checkShape(body, UPDATE_MEMBERSHIP_FIELDS);
  required(body, 'role');
  checkRole(body.role as string, env);
  const next: MembershipRecord = { ...current, role: body.role as string, updated_at: env.now() };
  env.orgs.putMembership(next);
  return next;
}

/** `POST /v1/organizations/{id}/domains`. */
export function createDomain(org: OrgRecord, body: Body, env: OrgEnv): DomainRecord {
  checkShape(body, CREATE_DOMAIN_FIELDS);
  required(body, 'name');
  required(body, 'enrollment_mode');
  const name = body.name as string;
  const mode = body.enrollment_mode as string;
  if (!(ENROLLMENT_MODES as readonly string[]).includes(mode)) throw apiErrors.paramValueAllowed('enrollment_mode', mode, ENROLLMENT_MODES);
  const existing = env.orgs.domainNamed(name);
  if (existing) throw existing.organization_id === org.id ? apiErrors.domainTakenHere() : apiErrors.domainTaken();
  const now = env.now();
  const verified = body.verified !== false;
  const d: DomainRecord = {
    id: env.newId('orgdmn_'),
    organization_id: org.id,
    name,
    enrollment_mode: mode as EnrollmentMode,
    affiliation_email_address: null,
    affiliation_verification: verified ? { status: 'verified', strategy: 'admin', attempts: null, expire_at: null, verified_at: null } : null,
    ownership_verification: null,
    total_pending_invitations: 0,
    total_pending_suggestions: 0,
    created_at: now,
    updated_at: now,
  };
  env.orgs.putDomain(d);
  return d;
}

const TEMPLATES = ['invitation', 'waitlist_invitation'] as const;

/** `POST /v1/invitations`: an invitation to the instance, pending. */
export function createInvitation(body: Body, env: OrgEnv): Invitation {
  checkShape(body, CREATE_INVITATION_FIELDS);
  required(body, 'email_address');
  const email = body.email_address as string;
  if (!isEmail(email)) throw apiErrors.emailFormat('email_address');
  const days = typeof body.expires_in_days === 'number' ? body.expires_in_days : 30;
  if (days < 1) throw apiErrors.paramValue('expires_in_days', String(days));
  if (days > 365) throw apiErrors.paramTooLarge('expires_in_days', 365);
  if (typeof body.template_slug === 'string' && !(TEMPLATES as readonly string[]).includes(body.template_slug)) throw apiErrors.paramValueAllowed('template_slug', body.template_slug, TEMPLATES);
  if (body.ignore_existing !== true) {
    const lower = email.toLowerCase();
    if (env.orgs.invitationList().some((i) => i.status === 'pending' && i.email_address.toLowerCase() === lower)) throw apiErrors.duplicateInvitations([email]);
    if (env.users.ownerOf('email_address', email) !== undefined) throw apiErrors.identifierExists('email_address');
  }
  const now = env.now();
  const id = env.newId('inv_');
  const inv: Invitation = {
    object: 'invitation',
    id,
    email_address: email,
    public_metadata: obj(body.public_metadata) ?? {},
    revoked: false,
    status: 'pending',
    url: `${typeof body.redirect_url === 'string' ? body.redirect_url : 'https://accounts.emulator.invalid/sign-up'}?__clerk_ticket=${id.slice(4)}`,
    expires_at: now + days * DAY_MS,
    created_at: now,
    updated_at: now,
  };
  env.orgs.putInvitation(inv);
  return inv;
}
