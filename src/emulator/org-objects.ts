import type { ClerkUser } from '../model/clerk-types.js';
import type { DomainRecord, MembershipRecord, OrgInvitationRecord, OrgRecord, OrgStore } from './org-store.js';
import type { UserStore } from './store.js';

/**
 * The objects the organization routes answer, built from the stored records the way Clerk's schemas
 * shape them (Organization, OrganizationMembership with public_user_data, OrganizationInvitation with
 * public_organization_data, OrganizationDomain; docs/clerk-api.md, "Organizations and other lists").
 * Properties are in the spec's order.
 */

export interface OrgCounts {
  /** `include_members_count`: add `members_count` and `pending_invitations_count`. */
  members?: boolean;
  /** `include_missing_member_with_elevated_permissions`: add that flag. */
  missingMember?: boolean;
}

/** The Organization object. */
export function organizationObject(org: OrgRecord, orgs: OrgStore, counts: OrgCounts = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {
    object: 'organization',
    id: org.id,
    name: org.name,
    slug: org.slug,
    image_url: org.image_url,
    has_image: org.has_image,
  };
  if (counts.members) out.members_count = orgs.membersCount(org.id);
  if (counts.missingMember) out.missing_member_with_elevated_permissions = !orgs.memberships(org.id).some((m) => m.role === 'org:admin');
  if (counts.members) out.pending_invitations_count = orgs.pendingInvitationsCount(org.id);
  Object.assign(out, {
    max_allowed_memberships: org.max_allowed_memberships,
    admin_delete_enabled: org.admin_delete_enabled,
    public_metadata: org.public_metadata,
    private_metadata: org.private_metadata,
  });
  if (org.created_by !== undefined) out.created_by = org.created_by;
  Object.assign(out, { created_at: org.created_at, updated_at: org.updated_at, last_active_at: org.last_active_at, role_set_key: org.role_set_key });
  return out;
}

interface UserView {
  first_name: string | null;
  last_name: string | null;
  profile_image_url: string | null;
  image_url: string;
  has_image: boolean;
  identifier: string | null;
  username: string | null;
  banned: boolean;
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** What Clerk shows of a user inside organization objects. Identifier: primary email, else phone, else username, else web3 wallet. */
function userView(user: ClerkUser | undefined): UserView | null {
  if (!user) return null;
  const primary = (list: unknown, id: unknown, field: string): string | null => {
    if (!Array.isArray(list)) return null;
    const items = list.filter((e): e is Record<string, unknown> => e !== null && typeof e === 'object');
    const found = items.find((e) => e.id === id) ?? items[0];
    return found ? str(found[field]) : null;
  };
  return {
    first_name: str(user.first_name),
    last_name: str(user.last_name),
    profile_image_url: str(user.profile_image_url),
    image_url: str(user.image_url) ?? '',
    has_image: user.has_image === true,
    identifier:
      primary(user.email_addresses, user.primary_email_address_id, 'email_address') ??
      primary(user.phone_numbers, user.primary_phone_number_id, 'phone_number') ??
      str(user.username) ??
      primary(user.web3_wallets, user.primary_web3_wallet_id, 'web3_wallet'),
    username: str(user.username),
    banned: user.banned === true,
  };
}

/** OrganizationMembershipPublicUserData of a stored user (names null when the user is gone). */
export function publicUserData(userId: string, users: UserStore): Record<string, unknown> {
  const v = userView(users.get(userId));
  return {
    user_id: userId,
    first_name: v?.first_name ?? null,
    last_name: v?.last_name ?? null,
    profile_image_url: v?.profile_image_url ?? null,
    image_url: v?.image_url ?? '',
    has_image: v?.has_image ?? false,
    identifier: v?.identifier ?? null,
    username: v?.username ?? null,
    banned: v?.banned ?? false,
    deprovisioned: false,
  };
}

/** The OrganizationMembership object: its organization embedded (without counts) and the member's public data. */
export function membershipObject(m: MembershipRecord, orgs: OrgStore, users: UserStore): Record<string, unknown> {
  const org = orgs.organization(m.organization_id);
  const role = orgs.role(m.role);
  return {
    id: m.id,
    object: 'organization_membership',
    role: m.role,
    role_name: role?.name ?? m.role,
    permissions: role ? role.permissions.map((p) => p.key) : [],
    public_metadata: m.public_metadata,
    private_metadata: m.private_metadata,
    organization: org ? organizationObject(org, orgs) : null,
    public_user_data: publicUserData(m.user_id, users),
    created_at: m.created_at,
    updated_at: m.updated_at,
  };
}

/** OrganizationInvitationPublicOrganizationData. */
function publicOrganizationData(orgId: string, orgs: OrgStore): Record<string, unknown> | null {
  const org = orgs.organization(orgId);
  return org ? { id: org.id, name: org.name, slug: org.slug, image_url: org.image_url, has_image: org.has_image } : null;
}

/** The OrganizationInvitation object with `public_organization_data` (the instance-wide list's variant). */
export function orgInvitationObject(inv: OrgInvitationRecord, orgs: OrgStore, users: UserStore): Record<string, unknown> {
  const inviter = inv.inviter_id === null ? null : userView(users.get(inv.inviter_id));
  return {
    object: 'organization_invitation',
    id: inv.id,
    email_address: inv.email_address,
    role: inv.role,
    role_name: orgs.role(inv.role)?.name ?? inv.role,
    organization_id: inv.organization_id,
    inviter_id: inv.inviter_id,
    public_inviter_data:
      inviter === null || inv.inviter_id === null
        ? null
        : { user_id: inv.inviter_id, first_name: inviter.first_name, last_name: inviter.last_name, image_url: inviter.image_url, has_image: inviter.has_image, identifier: inviter.identifier ?? '' },
    status: inv.status,
    public_metadata: inv.public_metadata,
    private_metadata: inv.private_metadata,
    url: inv.url,
    expires_at: inv.expires_at,
    created_at: inv.created_at,
    updated_at: inv.updated_at,
    public_organization_data: publicOrganizationData(inv.organization_id, orgs),
  };
}

/** The OrganizationDomain object (`verification` is Clerk's deprecated alias of `affiliation_verification`). */
export function domainObject(d: DomainRecord, orgs: OrgStore): Record<string, unknown> {
  return {
    object: 'organization_domain',
    id: d.id,
    organization_id: d.organization_id,
    name: d.name,
    enrollment_mode: d.enrollment_mode,
    affiliation_email_address: d.affiliation_email_address,
    affiliation_verification: d.affiliation_verification,
    ownership_verification: d.ownership_verification,
    verification: d.affiliation_verification,
    total_pending_invitations: d.total_pending_invitations,
    total_pending_suggestions: d.total_pending_suggestions,
    public_organization_data: publicOrganizationData(d.organization_id, orgs),
    created_at: d.created_at,
    updated_at: d.updated_at,
  };
}
