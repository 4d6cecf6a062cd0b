import type { FieldProblem, SourceRecord } from '../model/records.js';
import { resourceTableOf } from '../model/schema.js';
import { isPlainObject } from '../model/clerk-types.js';
import { validateRecord } from './validate-user.js';

/** An exported organization, ready to be created in the target instance. */
export interface OrganizationToCreate {
  sourceId: string;
  name: string;
  slug: string;
  /** The source user who created it; the pipeline maps it through the users' id map. */
  createdBy?: string;
  /** `POST /v1/organizations` without `created_by`. */
  body: Record<string, unknown>;
  /** Source fields Clerk's create cannot take (the logo, settings only the dashboard sets). */
  notImported: string[];
}

/** An exported membership: the organization and the user by their source ids, and the role. */
export interface MembershipToCreate {
  sourceId: string;
  organizationSourceId: string;
  userSourceId: string;
  role: string;
  /** `POST /v1/organizations/{id}/memberships` without `user_id`. */
  body: Record<string, unknown>;
}

type Mapped<T> = { value: T; problems: [] } | { value?: undefined; sourceId: string | null; problems: FieldProblem[] };

function idOf(v: unknown): string | null {
  return isPlainObject(v) && typeof v.id === 'string' ? v.id : null;
}

function checked(rec: SourceRecord, table: 'organizations' | 'organization_memberships', what: string): { value: Record<string, unknown> } | { problems: FieldProblem[] } {
  if (rec.error !== undefined) return { problems: [{ field: '(record)', problem: rec.error }] };
  const problems = validateRecord(rec.value, resourceTableOf(table).entity!, what);
  return problems.length || !isPlainObject(rec.value) ? { problems } : { value: rec.value };
}

/**
 * An Organization object of an export (`raw_organizations`) as a create: name, slug, both
 * metadata, the membership limit and `created_at` are carried; the logo (`image_url`) cannot be
 * (Clerk takes it as an upload), nor `admin_delete_enabled` off, nor a role set the target may not have.
 */
export function mapOrganization(rec: SourceRecord): Mapped<OrganizationToCreate> {
  const c = checked(rec, 'organizations', 'a Clerk Organization');
  if ('problems' in c) return { sourceId: idOf(rec.value), problems: c.problems };
  const o = c.value;
  const notImported: string[] = [];
  if (o.has_image === true) notImported.push('image_url');
  if (o.admin_delete_enabled === false) notImported.push('admin_delete_enabled');
  if (typeof o.role_set_key === 'string') notImported.push('role_set_key');
  const body: Record<string, unknown> = {
    name: o.name,
    slug: o.slug,
    public_metadata: o.public_metadata ?? {},
    private_metadata: o.private_metadata ?? {},
    max_allowed_memberships: o.max_allowed_memberships,
    created_at: new Date(o.created_at as number).toISOString(),
  };
  return {
    value: { sourceId: o.id as string, name: o.name as string, slug: o.slug as string, createdBy: typeof o.created_by === 'string' && o.created_by ? o.created_by : undefined, body, notImported },
    problems: [],
  };
}

/** An OrganizationMembership of an export (`raw_organization_memberships`, the instance-wide list) as a create. */
export function mapMembership(rec: SourceRecord): Mapped<MembershipToCreate> {
  const c = checked(rec, 'organization_memberships', 'a Clerk OrganizationMembership');
  if ('problems' in c) return { sourceId: idOf(rec.value), problems: c.problems };
  const m = c.value;
  const user = isPlainObject(m.public_user_data) && typeof m.public_user_data.user_id === 'string' ? m.public_user_data.user_id : undefined;
  if (!user) return { sourceId: m.id as string, problems: [{ field: 'public_user_data.user_id', problem: 'required to know the member (expected a string)' }] };
  return {
    value: {
      sourceId: m.id as string,
      organizationSourceId: (m.organization as { id: string }).id,
      userSourceId: user,
      role: m.role as string,
      body: { role: m.role, public_metadata: m.public_metadata ?? {}, private_metadata: m.private_metadata ?? {} },
    },
    problems: [],
  };
}
