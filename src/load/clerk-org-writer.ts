import type { ClerkClient } from '../clerk/client.js';
import { EtlError, isEtlError } from '../errors.js';
import { listPage } from '../clerk/list-page.js';
import { isPlainObject } from '../model/clerk-types.js';

/** An organization of the target instance, as far as the import needs it. */
export interface TargetOrganization {
  id: string;
  name: string;
  slug: string;
}

export type OrgCreateOutcome =
  | { kind: 'created'; id: string; recovered: boolean }
  /** The slug is taken; `existing` is the organization holding it, when a lookup found it. */
  | { kind: 'slug_taken'; existing?: TargetOrganization; error: EtlError };

export type MemberOutcome = { kind: 'created'; recovered: boolean } | { kind: 'exists'; error: EtlError };

function organizationOf(v: unknown): TargetOrganization | undefined {
  return isPlainObject(v) && typeof v.id === 'string' && typeof v.name === 'string' && typeof v.slug === 'string' ? { id: v.id, name: v.name, slug: v.slug } : undefined;
}

/**
 * The load stage of an organization import: creates organizations and memberships in Clerk.
 *
 * Never a duplicate. A slug names one organization of an instance, so an organization create that
 * fails ambiguously (timeout, reset, 5xx) is followed by a lookup by its slug before anything is
 * sent again (inside the client's one retry loop, like the users' creates). A membership is one per
 * organization and user: sending its create again after an ambiguous answer can only make it or
 * be told `already_a_member_in_organization`, never make a second one.
 */
export class ClerkOrgWriter {
  constructor(
    private readonly client: ClerkClient,
    private readonly signal: AbortSignal,
  ) {}

  /** The role keys the target instance has (`GET /v1/organization_roles`). */
  async roleKeys(): Promise<string[]> {
    const keys: string[] = [];
    for (let offset = 0; ; offset += 500) {
      const page = await listPage(this.client, '/v1/organization_roles', { limit: 500, offset }, this.signal);
      for (const r of page.records) if (typeof r.key === 'string') keys.push(r.key);
      if (page.records.length < 500) return keys;
    }
  }

  /** The organization with this slug, if any (`GET /v1/organizations/{slug}`: Clerk takes an id or a slug). */
  async findBySlug(slug: string): Promise<TargetOrganization | undefined> {
    try {
      const { data } = await this.client.request<unknown>('GET', `/v1/organizations/${encodeURIComponent(slug)}`, { signal: this.signal });
      const org = organizationOf(data);
      return org?.slug === slug ? org : undefined;
    } catch (err) {
      if (isEtlError(err) && err.status === 404) return undefined;
      throw err;
    }
  }

  /** Create the organization; after an ambiguous failure, its slug tells whether it was made. */
  async createOrganization(body: Record<string, unknown>, slug: string, name: string): Promise<OrgCreateOutcome> {
    let found: TargetOrganization | undefined;
    try {
      const res = await this.client.request<unknown>('POST', '/v1/organizations', {
        body,
        signal: this.signal,
        onAmbiguous: async () => {
          const o = await this.findBySlug(slug);
          // Ours only if it also has our name; another organization that took the slug meanwhile is a conflict.
          found = o && o.name === name ? o : undefined;
          return found ? 'applied' : 'not-applied';
        },
      });
      const org = organizationOf(res.data);
      if (!org) throw new EtlError('CLERK_BAD_RESPONSE', `POST /v1/organizations answered 2xx without an organization (slug ${slug}); re-run to look it up by its slug.`);
      return { kind: 'created', id: org.id, recovered: false };
    } catch (err) {
      if (found) return { kind: 'created', id: found.id, recovered: true };
      if (this.signal.aborted) throw err;
      if (isEtlError(err) && err.clerkCode === 'form_identifier_exists') return { kind: 'slug_taken', existing: await this.findBySlug(slug), error: err };
      throw err;
    }
  }

  /** `--on-conflict update`: the name and the membership limit (Clerk's update takes no metadata). */
  async updateOrganization(id: string, body: Record<string, unknown>): Promise<void> {
    await this.client.request('PATCH', `/v1/organizations/${encodeURIComponent(id)}`, { body: { name: body.name, max_allowed_memberships: body.max_allowed_memberships }, signal: this.signal });
  }

  /** Add the user to the organization; `exists` when Clerk says it already is a member. */
  async addMember(orgId: string, userId: string, body: Record<string, unknown>): Promise<MemberOutcome> {
    let ambiguous = false;
    try {
      await this.client.request('POST', `/v1/organizations/${encodeURIComponent(orgId)}/memberships`, {
        body: { ...body, user_id: userId },
        signal: this.signal,
        // One membership per organization and user: sending again cannot make a second one.
        onAmbiguous: async () => {
          ambiguous = true;
          return 'not-applied';
        },
      });
      return { kind: 'created', recovered: false };
    } catch (err) {
      if (this.signal.aborted) throw err;
      if (isEtlError(err) && err.clerkCode === 'already_a_member_in_organization') return ambiguous ? { kind: 'created', recovered: true } : { kind: 'exists', error: err };
      throw err;
    }
  }

  /** `--on-conflict update`: the member's role. */
  async setRole(orgId: string, userId: string, role: string): Promise<void> {
    await this.client.request('PATCH', `/v1/organizations/${encodeURIComponent(orgId)}/memberships/${encodeURIComponent(userId)}`, { body: { role }, signal: this.signal });
  }
}
