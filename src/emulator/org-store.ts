/**
 * The emulator's organization graph and its other lists: organizations, their memberships, invitations
 * and domains, the instance's invitations and waitlist entries, and the two organization roles
 * (docs/clerk-api.md, "Organizations and other lists").
 *
 * Records keep what the store owns; what Clerk computes when it answers (member counts, the embedded
 * organization, `public_user_data`, `public_organization_data`) is added by org-objects.ts. Data sets are
 * small next to the users (thousands, not millions), so lists are plain maps sorted when read.
 */

/** An organization as stored (the Organization object without the counts Clerk adds on request). */
export interface OrgRecord {
  id: string;
  name: string;
  slug: string;
  image_url: string;
  has_image: boolean;
  max_allowed_memberships: number;
  admin_delete_enabled: boolean;
  public_metadata: Record<string, unknown>;
  private_metadata: Record<string, unknown>;
  /** The creating user; absent when the organization was created without one. */
  created_by?: string;
  created_at: number;
  updated_at: number;
  last_active_at: number;
  role_set_key: string | null;
}

/** A membership as stored: the organization and the user by id. */
export interface MembershipRecord {
  id: string;
  organization_id: string;
  user_id: string;
  role: string;
  public_metadata: Record<string, unknown>;
  private_metadata: Record<string, unknown>;
  created_at: number;
  updated_at: number;
}

export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

/** An organization invitation as stored (the inviter and the organization by id). */
export interface OrgInvitationRecord {
  id: string;
  organization_id: string;
  email_address: string;
  role: string;
  inviter_id: string | null;
  status: InvitationStatus;
  public_metadata: Record<string, unknown>;
  private_metadata: Record<string, unknown>;
  url: string | null;
  expires_at: number | null;
  created_at: number;
  updated_at: number;
}

export const ENROLLMENT_MODES = ['manual_invitation', 'automatic_invitation', 'automatic_suggestion', 'enterprise_sso'] as const;
export type EnrollmentMode = (typeof ENROLLMENT_MODES)[number];

/** OrganizationDomainVerification. */
export interface DomainVerification {
  status: 'unverified' | 'verified' | 'failed' | 'expired';
  strategy: string;
  attempts: number | null;
  expire_at: number | null;
  verified_at: number | null;
}

/** An organization domain as stored (without the deprecated `verification` alias and `public_organization_data`). */
export interface DomainRecord {
  id: string;
  organization_id: string;
  name: string;
  enrollment_mode: EnrollmentMode;
  affiliation_email_address: string | null;
  affiliation_verification: DomainVerification | null;
  ownership_verification: DomainVerification | null;
  total_pending_invitations: number;
  total_pending_suggestions: number;
  created_at: number;
  updated_at: number;
}

/** Clerk's Invitation object (an invitation to the instance), stored as answered. */
export interface Invitation {
  object: 'invitation';
  id: string;
  email_address: string;
  public_metadata: Record<string, unknown>;
  revoked: boolean;
  status: InvitationStatus;
  url: string;
  expires_at: number | null;
  created_at: number;
  updated_at: number;
}

export type WaitlistStatus = 'pending' | 'invited' | 'rejected' | 'completed';

/** Clerk's WaitlistEntry object, stored as answered. */
export interface WaitlistEntry {
  object: 'waitlist_entry';
  id: string;
  email_address: string;
  status: WaitlistStatus;
  is_locked: boolean;
  created_at: number;
  updated_at: number;
  invitation: Invitation | null;
}

/** Clerk's Permission object. */
export interface Permission {
  object: 'permission';
  id: string;
  name: string;
  key: string;
  description: string;
  type: string;
  created_at: number;
  updated_at: number;
}

/** Clerk's Role object (an organization role). */
export interface Role {
  object: 'role';
  id: string;
  name: string;
  key: string;
  description: string | null;
  is_creator_eligible: boolean;
  permissions: Permission[];
  created_at: number;
  updated_at: number;
}

/** The organization graph and the instance's invitations and waitlist. */
export class OrgStore {
  private readonly orgs = new Map<string, OrgRecord>();
  private readonly slugs = new Map<string, string>();
  /** organization id → user id → membership. */
  private readonly members = new Map<string, Map<string, MembershipRecord>>();
  private readonly orgInvitations = new Map<string, OrgInvitationRecord>();
  private readonly domains = new Map<string, DomainRecord>();
  private readonly instanceInvitations = new Map<string, Invitation>();
  private readonly waitlist = new Map<string, WaitlistEntry>();

  constructor(readonly roles: readonly Role[]) {}

  // --- organizations ---------------------------------------------------------------------------

  /** Insert or replace an organization. Throws when its slug belongs to another organization. */
  putOrganization(org: OrgRecord): void {
    const owner = this.slugs.get(org.slug);
    if (owner !== undefined && owner !== org.id) throw new Error(`slug ${org.slug} belongs to ${owner}`);
    const old = this.orgs.get(org.id);
    if (old) this.slugs.delete(old.slug);
    this.orgs.set(org.id, org);
    this.slugs.set(org.slug, org.id);
    if (!this.members.has(org.id)) this.members.set(org.id, new Map());
  }

  /** By id, or by slug (GetOrganization takes either). */
  organization(idOrSlug: string): OrgRecord | undefined {
    return this.orgs.get(idOrSlug) ?? this.orgs.get(this.slugs.get(idOrSlug) ?? '');
  }

  /** The id of the organization holding `slug`, or undefined. */
  slugOwner(slug: string): string | undefined {
    return this.slugs.get(slug);
  }

  organizations(): OrgRecord[] {
    return [...this.orgs.values()];
  }

  /** Remove an organization with its memberships, invitations and domains. Returns false if the id is unknown. */
  deleteOrganization(id: string): boolean {
    const org = this.orgs.get(id);
    if (!org) return false;
    this.orgs.delete(id);
    this.slugs.delete(org.slug);
    this.members.delete(id);
    for (const [k, inv] of this.orgInvitations) if (inv.organization_id === id) this.orgInvitations.delete(k);
    for (const [k, d] of this.domains) if (d.organization_id === id) this.domains.delete(k);
    return true;
  }

  // --- memberships -----------------------------------------------------------------------------

  /** Insert or replace a membership. Throws for an unknown organization. */
  putMembership(m: MembershipRecord): void {
    const map = this.members.get(m.organization_id);
    if (!map) throw new Error(`no organization ${m.organization_id}`);
    map.set(m.user_id, m);
  }

  membership(orgId: string, userId: string): MembershipRecord | undefined {
    return this.members.get(orgId)?.get(userId);
  }

  deleteMembership(orgId: string, userId: string): boolean {
    return this.members.get(orgId)?.delete(userId) ?? false;
  }

  /** Memberships of one organization, or of all when `orgId` is undefined. */
  memberships(orgId?: string): MembershipRecord[] {
    if (orgId !== undefined) return [...(this.members.get(orgId)?.values() ?? [])];
    const out: MembershipRecord[] = [];
    for (const map of this.members.values()) out.push(...map.values());
    return out;
  }

  membersCount(orgId: string): number {
    return this.members.get(orgId)?.size ?? 0;
  }

  /** Organization ids the user is a member of. */
  organizationsOf(userId: string): string[] {
    const out: string[] = [];
    for (const [orgId, map] of this.members) if (map.has(userId)) out.push(orgId);
    return out;
  }

  /** A user was deleted: its memberships go (Clerk removes a deleted user from its organizations). */
  removeUser(userId: string): void {
    for (const map of this.members.values()) map.delete(userId);
  }

  // --- organization invitations and domains ----------------------------------------------------

  putOrgInvitation(inv: OrgInvitationRecord): void {
    this.orgInvitations.set(inv.id, inv);
  }

  orgInvitationList(): OrgInvitationRecord[] {
    return [...this.orgInvitations.values()];
  }

  pendingInvitationsCount(orgId: string): number {
    let n = 0;
    for (const inv of this.orgInvitations.values()) if (inv.organization_id === orgId && inv.status === 'pending') n++;
    return n;
  }

  putDomain(d: DomainRecord): void {
    this.domains.set(d.id, d);
  }

  domainList(): DomainRecord[] {
    return [...this.domains.values()];
  }

  /** The domain named `name` (case-insensitive), in any organization. */
  domainNamed(name: string): DomainRecord | undefined {
    const wanted = name.toLowerCase();
    for (const d of this.domains.values()) if (d.name.toLowerCase() === wanted) return d;
    return undefined;
  }

  // --- instance invitations and waitlist -------------------------------------------------------

  putInvitation(inv: Invitation): void {
    this.instanceInvitations.set(inv.id, inv);
  }

  invitationList(): Invitation[] {
    return [...this.instanceInvitations.values()];
  }

  putWaitlistEntry(e: WaitlistEntry): void {
    this.waitlist.set(e.id, e);
  }

  waitlistList(): WaitlistEntry[] {
    return [...this.waitlist.values()];
  }

  /** The role with this key (`org:admin`, `org:member`), or undefined. */
  role(key: string): Role | undefined {
    return this.roles.find((r) => r.key === key);
  }
}
