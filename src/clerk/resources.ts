import type { ResourceName } from '../model/schema.js';
import type { Query } from './client.js';

/**
 * The instance-wide list of each resource besides users, and the query that reads it oldest first
 * (docs/clerk-api.md, "Organizations and other lists"). None has a cursor: they page by `limit` and
 * `offset` only, so the export walks them in ascending `created_at` order, where a record created
 * during the run lands at the end instead of shifting the pages already read.
 */
export const RESOURCE_LISTS: Readonly<Record<ResourceName, { path: string; query: Query }>> = {
  organizations: { path: '/v1/organizations', query: { order_by: '+created_at', include_members_count: true } },
  organization_memberships: { path: '/v1/organization_memberships', query: { order_by: '+created_at' } },
  organization_invitations: { path: '/v1/organization_invitations', query: { order_by: '+created_at' } },
  organization_domains: { path: '/v1/organization_domains', query: { order_by: '+created_at' } },
  // Without paginated=true this list is a bare array with no total_count.
  invitations: { path: '/v1/invitations', query: { order_by: '+created_at', paginated: true } },
  waitlist_entries: { path: '/v1/waitlist_entries', query: { order_by: '+created_at' } },
};

/** The largest `limit` these lists accept. */
export const MAX_LIST_LIMIT = 500;
