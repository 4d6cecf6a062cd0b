import type { ClerkClient } from '../clerk/client.js';
import { PAGE_LIMIT } from './clerk-api-source.js';
import type { RunContext, Source, SourceRecord } from './source.js';

export interface ClerkIncrementalSourceOptions {
  client: ClerkClient;
  /** Read users updated at or after this (Unix ms): the previous watermark minus the overlap. */
  since: number;
  /** Snapshot time of this run (for the manifest's window). */
  until: number;
  pageSize?: number;
  /**
   * Users each page repeats of the previous one. Offset paging over `-updated_at` shifts when users
   * are updated while the run pages (an updated user jumps to the head): overlapping pages keep a
   * shift of up to this many users from skipping anyone. Repeats are dropped by id. Default 50.
   */
  pageOverlap?: number;
}

/**
 * Changed and new users since a watermark: `GET /v1/users?order_by=-updated_at` with offset paging
 * (Clerk allows the `starting_after` cursor only with created_at ordering), newest first, stopping
 * at the first page whose users are all older than `since`. Users older than `since` on the last
 * page are not returned. Clerk has no updated_at filter, so this is the only way to find them.
 */
export class ClerkIncrementalSource implements Source {
  readonly mayRepeat = true;
  readonly description: Record<string, unknown>;
  pages = 0;
  private readonly pageSize: number;
  private readonly step: number;

  constructor(private readonly options: ClerkIncrementalSourceOptions) {
    this.pageSize = Math.min(PAGE_LIMIT, Math.max(1, options.pageSize ?? PAGE_LIMIT));
    const overlap = Math.min(options.pageOverlap ?? 50, this.pageSize - 1);
    this.step = this.pageSize - overlap;
    this.description = {
      kind: 'clerk-api',
      api_url: options.client.apiUrl,
      filters: { order_by: '-updated_at', updated_since: options.since, updated_since_iso: new Date(options.since).toISOString() },
    };
  }

  async total(): Promise<undefined> {
    return undefined;
  }

  async *read(ctx: RunContext): AsyncIterable<SourceRecord[]> {
    for (let offset = 0; ; offset += this.step) {
      ctx.signal.throwIfAborted();
      const page = await this.options.client.listUsersWithText({ order_by: '-updated_at', limit: this.pageSize, offset }, ctx.signal);
      this.pages++;
      const fresh = page.filter(({ user: u }) => !(typeof u?.updated_at === 'number' && u.updated_at < this.options.since));
      ctx.log.debug('page', { order_by: '-updated_at', offset, users: page.length, changed: fresh.length });
      if (fresh.length) yield fresh.map(({ user: u, text }) => ({ value: u, where: `user ${typeof u?.id === 'string' ? u.id : '(no id)'}`, text }));
      // Newest first: once a page holds an older user, every later page is older still.
      if (page.length < this.pageSize || fresh.length < page.length) return;
    }
  }
}
