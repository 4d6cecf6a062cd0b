import type { ClerkUser } from '../model/clerk-types.js';
import { DEFAULT_START_MS } from './generate.js';
import {
  ENROLLMENT_MODES,
  OrgStore,
  type DomainVerification,
  type Invitation,
  type InvitationStatus,
  type OrgRecord,
  type Permission,
  type Role,
  type WaitlistStatus,
} from './org-store.js';
import { Random, deriveSeed } from './random.js';
import type { UserStore } from './store.js';

/**
 * Deterministic organizations, memberships, organization invitations and domains, instance invitations
 * and waitlist entries over the users already in a store (docs/clerk-api.md, "Organizations and other lists").
 *
 * Drawn from their own random streams (salts 21–23 of the emulator's seed), so asking for organizations
 * does not change one byte of the generated users. The users' own `organization_memberships` arrays come
 * from the user generator and are not this graph (see docs/clerk-api.md).
 */
export interface OrgGenerateOptions {
  /** PRNG seed. Default 1. */
  seed?: number;
  /** "Now" of the data set, Unix ms; every timestamp is <= it. Default {@link DEFAULT_START_MS}. */
  startMs?: number;
}

const YEAR_MS = 365 * 24 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;

const ADMIN_PERMISSIONS = ['org:sys_profile:manage', 'org:sys_profile:delete', 'org:sys_memberships:read', 'org:sys_memberships:manage', 'org:sys_domains:read', 'org:sys_domains:manage'];
const MEMBER_PERMISSIONS = ['org:sys_memberships:read'];

/** The two default roles of a Clerk instance, `org:admin` and `org:member`, with Clerk's system permissions. */
export function defaultRoles(seed: number, startMs: number = DEFAULT_START_MS): Role[] {
  const rng = new Random(deriveSeed(seed, 23));
  const at = startMs - 4 * YEAR_MS;
  const perms = new Map<string, Permission>();
  const permission = (key: string): Permission => {
    let p = perms.get(key);
    if (!p) {
      const words = key.replace(/^org:sys_/, '').split(':');
      p = { object: 'permission', id: 'perm_' + rng.base62(27), name: `${words[1] === 'manage' ? 'Manage' : words[1] === 'delete' ? 'Delete' : 'Read'} ${words[0]}`, key, description: `Permission to ${words[1]} the organization's ${words[0]}.`, type: 'system', created_at: at, updated_at: at };
      perms.set(key, p);
    }
    return p;
  };
  return [
    { object: 'role', id: 'role_' + rng.base62(27), name: 'Admin', key: 'org:admin', description: 'Role with elevated permissions: manages the organization, its members and domains.', is_creator_eligible: true, permissions: ADMIN_PERMISSIONS.map(permission), created_at: at, updated_at: at },
    { object: 'role', id: 'role_' + rng.base62(27), name: 'Member', key: 'org:member', description: 'Role with non-privileged permissions: sees the organization and its members.', is_creator_eligible: false, permissions: MEMBER_PERMISSIONS.map(permission), created_at: at, updated_at: at },
  ];
}

// Names an exporter must survive: commas, quotes, newlines, unicode, emoji, CSV formulas.
const ORG_NAMES: ReadonlyArray<readonly [string, string]> = [
  ['Acme, Inc.', 'acme-inc'], ['Café "Zoë" GmbH', 'cafe-zoe'], ['Ünïcorn Labs', 'unicorn-labs'], ['北京科技', 'beijing-tech'],
  ['Line\nBreak Corp', 'line-break'], ["O'Reilly & Sons", 'oreilly'], ['=HYPERLINK("x")', 'formula'], ['🚀 Rocket Co', 'rocket'],
  ['Globex', 'globex'], ['Initech', 'initech'], ['Umbrella', 'umbrella'], ['Stark Industries', 'stark'], ['Wayne Enterprises', 'wayne'], ['Hooli', 'hooli'],
];
const EMAIL_DOMAINS = ['gmail.com', 'example.com', 'acme.io', 'company.co.uk', 'xn--bcher-kva.example'];

function between(rng: Random, lo: number, hi: number): number {
  return hi <= lo ? lo : lo + Math.floor(rng.float() * (hi - lo + 1));
}

function email(rng: Random, k: number): string {
  return `${rng.pick(['invitee', 'guest', 'new.hire', 'o’neil', 'ops+team'])}${k}.${rng.base62(4).toLowerCase()}@${rng.pick(EMAIL_DOMAINS)}`;
}

function verification(rng: Random, at: number, startMs: number, ownership: boolean): DomainVerification | null {
  const r = rng.float();
  if (r < 0.15) return null;
  if (r < 0.75) return { status: 'verified', strategy: ownership ? 'dns_record' : 'email_code', attempts: rng.int(1, 3), expire_at: at + DAY_MS, verified_at: ownership ? between(rng, at, startMs) : null };
  return { status: rng.pick(['unverified', 'failed', 'expired'] as const), strategy: ownership ? 'dns_record' : 'email_code', attempts: rng.int(0, 5), expire_at: at + DAY_MS, verified_at: null };
}

/**
 * Fill a new {@link OrgStore} with `count` organizations over the users of `users` (members drawn from
 * them; none when there are no users), `count` instance invitations and `count` waitlist entries.
 * Same users + count + options → the same graph.
 */
export function generateOrganizations(count: number, users: UserStore, options: OrgGenerateOptions = {}): OrgStore {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  const seed = options.seed ?? 1;
  const startMs = options.startMs ?? DEFAULT_START_MS;
  const begin = startMs - 3 * YEAR_MS;
  const store = new OrgStore(defaultRoles(seed, startMs));
  const rng = new Random(deriveSeed(seed, 21));
  const rows = users.rowsByCreated();

  const pickUser = (): ClerkUser | undefined => (rows.length === 0 ? undefined : users.get((rows[rng.int(0, rows.length - 1)] as { id: string }).id));

  for (let k = 0; k < count; k++) {
    const [baseName, baseSlug] = ORG_NAMES[k % ORG_NAMES.length] as readonly [string, string];
    const round = Math.floor(k / ORG_NAMES.length);
    const createdAt = between(rng, begin, startMs - DAY_MS);
    const hasImage = rng.chance(0.4);
    const creator = rows.length > 0 && rng.chance(0.9) ? pickUser() : undefined;
    const org: OrgRecord = {
      id: 'org_' + rng.base62(27),
      name: round === 0 ? baseName : `${baseName} ${round + 1}`,
      slug: round === 0 ? baseSlug : `${baseSlug}-${round + 1}`,
      image_url: hasImage ? `https://img.clerk.com/eyJ0eXBlIjoi${rng.base62(48)}` : 'https://img.clerk.com/eyJ0eXBlIjoiZGVmYXVsdCJ9',
      has_image: hasImage,
      max_allowed_memberships: rng.pick([0, 0, 5, 100]),
      admin_delete_enabled: rng.chance(0.9),
      public_metadata: k % 3 === 0 ? {} : { tier: rng.pick(['free', 'team', 'enterprise']), seats: rng.int(1, 500), note: k % 3 === 1 ? 'ok' : 'VIP, "handle"\r\ncarefully' },
      private_metadata: rng.chance(0.6) ? {} : { crm_id: 'crm_' + rng.base62(10), nested: { a: [1, null, { b: 'ü' }] } },
      created_at: createdAt,
      updated_at: 0,
      last_active_at: 0,
      role_set_key: null,
    };
    if (creator) org.created_by = creator.id;
    org.updated_at = rng.chance(0.5) ? createdAt : between(rng, createdAt, startMs);
    org.last_active_at = between(rng, org.updated_at, startMs);
    store.putOrganization(org);

    // Members: the creator first (an admin, as Clerk makes it), then others; never more than the cap.
    const cap = org.max_allowed_memberships === 0 ? Number.POSITIVE_INFINITY : org.max_allowed_memberships;
    const wanted = Math.min(cap, rows.length, rng.pick([0, 1, 2, 3, 5, 8, 13, 30]) + (creator ? 1 : 0));
    const candidates: ClerkUser[] = creator ? [creator] : [];
    for (let tries = 0; candidates.length < wanted && tries < wanted * 4; tries++) {
      const u = pickUser();
      if (u && !candidates.some((c) => c.id === u.id)) candidates.push(u);
    }
    for (const [i, u] of candidates.entries()) {
      const at = between(rng, Math.max(createdAt, u.created_at), startMs);
      store.putMembership({
        id: 'orgmem_' + rng.base62(27),
        organization_id: org.id,
        user_id: u.id,
        role: (i === 0 && creator) || rng.chance(0.15) ? 'org:admin' : 'org:member',
        public_metadata: rng.chance(0.8) ? {} : { team: rng.pick(['core', 'growth', 'support, tier 1']) },
        private_metadata: rng.chance(0.9) ? {} : { cost_center: rng.int(100, 999) },
        created_at: at,
        updated_at: rng.chance(0.7) ? at : between(rng, at, startMs),
      });
    }

    const admins = store.memberships(org.id).filter((m) => m.role === 'org:admin');
    const invitations = rng.pick([0, 0, 1, 2, 3]);
    for (let i = 0; i < invitations; i++) {
      const at = between(rng, createdAt, startMs);
      const status = rng.pick<InvitationStatus>(['pending', 'pending', 'accepted', 'revoked', 'expired']);
      store.putOrgInvitation({
        id: 'orginv_' + rng.base62(27),
        organization_id: org.id,
        email_address: email(rng, k * 10 + i),
        role: rng.chance(0.2) ? 'org:admin' : 'org:member',
        inviter_id: admins.length > 0 && rng.chance(0.8) ? rng.pick(admins).user_id : null,
        status,
        public_metadata: rng.chance(0.8) ? {} : { source: 'import, "legacy"' },
        private_metadata: {},
        url: rng.chance(0.5) ? `https://accounts.example.com/sign-up?__clerk_ticket=${rng.base62(40)}` : null,
        expires_at: at + 30 * DAY_MS,
        created_at: at,
        updated_at: status === 'pending' ? at : between(rng, at, startMs),
      });
    }

    const domains = rng.pick([0, 0, 1, 1, 2]);
    for (let i = 0; i < domains; i++) {
      const at = between(rng, createdAt, startMs);
      const name = `${org.slug}${i === 0 ? '' : `-${i}`}.example.com`;
      store.putDomain({
        id: 'orgdmn_' + rng.base62(27),
        organization_id: org.id,
        name,
        enrollment_mode: rng.pick(ENROLLMENT_MODES),
        affiliation_email_address: rng.chance(0.6) ? `admin@${name}` : null,
        affiliation_verification: verification(rng, at, startMs, false),
        ownership_verification: verification(rng, at, startMs, true),
        total_pending_invitations: rng.int(0, 3),
        total_pending_suggestions: rng.int(0, 3),
        created_at: at,
        updated_at: rng.chance(0.7) ? at : between(rng, at, startMs),
      });
    }
  }

  // Instance invitations and waitlist entries: their own stream, so they do not shift the organizations.
  const irng = new Random(deriveSeed(seed, 22));
  const invitation = (k: number, status: InvitationStatus, at: number): Invitation => ({
    object: 'invitation',
    id: 'inv_' + irng.base62(27),
    email_address: email(irng, k),
    public_metadata: irng.chance(0.7) ? {} : { plan: irng.pick(['free', 'pro']), referrer: 'Line\nBreak, "quoted"' },
    revoked: status === 'revoked',
    status,
    url: `https://accounts.example.com/sign-up?__clerk_ticket=${irng.base62(40)}`,
    expires_at: irng.chance(0.9) ? at + 30 * DAY_MS : null,
    created_at: at,
    updated_at: status === 'pending' ? at : between(irng, at, startMs),
  });
  for (let k = 0; k < count; k++) {
    store.putInvitation(invitation(k, irng.pick<InvitationStatus>(['pending', 'pending', 'accepted', 'revoked', 'expired']), between(irng, begin, startMs)));
  }
  for (let k = 0; k < count; k++) {
    const at = between(irng, begin, startMs);
    const status = irng.pick<WaitlistStatus>(['pending', 'pending', 'invited', 'rejected', 'completed']);
    let inv: Invitation | null = null;
    if (status === 'invited' || status === 'completed') {
      // Inviting an entry creates an instance invitation, listed with the others.
      inv = invitation(count + k, status === 'completed' ? 'accepted' : 'pending', between(irng, at, startMs));
      store.putInvitation(inv);
    }
    store.putWaitlistEntry({
      object: 'waitlist_entry',
      id: 'wle_' + irng.base62(27),
      email_address: inv?.email_address ?? email(irng, 5 * count + k),
      status,
      is_locked: irng.chance(0.05),
      created_at: at,
      updated_at: inv ? Math.max(at, inv.created_at) : at,
      invitation: inv,
    });
  }
  return store;
}
