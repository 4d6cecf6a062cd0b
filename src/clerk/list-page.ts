import { EtlError } from '../errors.js';
import type { ClerkClient, Query } from './client.js';
import { mayLoseNumbers } from './json-elements.js';

/** One page of a Clerk list endpoint that pages by `limit` / `offset`. */
export interface ListPage {
  /** The page's records, as JSON.parse read them. */
  records: Array<Record<string, unknown>>;
  /** `total_count` of a `{ data, total_count }` answer; undefined when the endpoint answered a bare array. */
  totalCount?: number;
  /** The body's text, when a number in it would change under JSON.parse (the caller re-reads it exactly). */
  lossyText?: string;
}

/**
 * `GET <path>` of a list endpoint. Clerk answers `{ "data": [...], "total_count": n }` on most lists
 * and a bare array on a few (`GET /v1/invitations` without `paginated=true`); both are accepted
 * (docs/clerk-api.md, "Organizations and other lists"). Anything else is `CLERK_BAD_RESPONSE`.
 */
export async function listPage(client: ClerkClient, path: string, query: Query, signal?: AbortSignal): Promise<ListPage> {
  const { data, text } = await client.request<unknown>('GET', path, { query, signal });
  let items: unknown;
  let totalCount: number | undefined;
  if (Array.isArray(data)) items = data;
  else if (typeof data === 'object' && data !== null && Array.isArray((data as { data?: unknown }).data)) {
    items = (data as { data: unknown[] }).data;
    const t = (data as { total_count?: unknown }).total_count;
    if (t !== undefined) {
      if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) throw new EtlError('CLERK_BAD_RESPONSE', `GET ${path} returned total_count ${JSON.stringify(t)}; expected an integer ≥ 0.`);
      totalCount = t;
    }
  } else {
    throw new EtlError('CLERK_BAD_RESPONSE', `GET ${path} returned ${describe(data)}; expected {"data": [...], "total_count": n} or a JSON array.`);
  }
  const records = items as unknown[];
  const bad = records.findIndex((r) => typeof r !== 'object' || r === null || Array.isArray(r));
  if (bad >= 0) throw new EtlError('CLERK_BAD_RESPONSE', `GET ${path} returned a list whose element ${bad} is ${describe(records[bad])}; expected objects.`);
  return { records: records as Array<Record<string, unknown>>, totalCount, lossyText: mayLoseNumbers(text) ? text : undefined };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object without a data array' : `a ${typeof v}`;
}
