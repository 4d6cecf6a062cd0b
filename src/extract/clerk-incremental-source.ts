import type { ClerkClient, UserText } from '../clerk/client.js';
import { EtlError } from '../errors.js';
import { PAGE_LIMIT } from './clerk-api-source.js';
import type { Source } from './source.js';
import type { RunContext, SourceRecord } from '../model/records.js';

export interface ClerkIncrementalSourceOptions {
  client: ClerkClient;
  /** Read users updated at or after this (Unix ms): the previous watermark minus the overlap. */
  since: number;
  /** Snapshot time of this run (for the manifest's window). */
  until: number;
  /** Which users keep their text as Clerk sent it (`all` for format raw). Default `lossy`. */
  userText?: UserText;
  pageSize?: number;
  /**
   * Users each page repeats of the previous one, at least (more when many users share the last
   * page's `updated_at`). The overlap absorbs small shifts of the list without a step back; repeats
   * are dropped by id. Default 50.
   */
  pageOverlap?: number;
  /**
   * Step backs allowed before the walk gives up: users kept being deleted faster than the run could
   * page, and the walk would otherwise go back and forth for as long as that lasts. Default 1000.
   */
  maxStepBacks?: number;
}

/**
 * Changed and new users since a watermark: `GET /v1/users?order_by=-updated_at` with offset paging,
 * newest first, stopping at the first page that reaches a user older than `since`. Users older than
 * `since` are not returned. Clerk's list has no updated_at filter, and its `starting_after` cursor
 * is refused (422) with any ordering but created_at, so offset paging over updated_at is the only
 * way to find changed users without reading every user.
 *
 * Offset paging shifts while the run pages. An update or a new user moves one user to the head,
 * pushing the rest down: later pages repeat users (dropped by id). A deletion pulls every later
 * user up: the next page would start past users never read. So every page is checked before it is
 * used: its first user must be strictly newer (`updated_at`) than the last user of the page before.
 * The list is sorted by updated_at, so such a page starts inside what was already read and nothing
 * lies between the two. Otherwise (deletions ahead of the offset) the walk steps back a page and
 * checks again; offset 0 always fits. Strictly newer, not "the same user": Clerk does not say how it
 * orders users sharing one updated_at, so only a strictly newer user proves there is no gap. The
 * next offset keeps at least one such user in the next page; a page made of one updated_at fails
 * the run (it cannot be paged with certainty) rather than risk a silent loss.
 */
export class ClerkIncrementalSource implements Source {
  readonly mayRepeat = true;
  readonly description: Record<string, unknown>;
  pages = 0;
  /** Pages that did not join the previous one (users deleted meanwhile) and were read again from further back. */
  stepBacks = 0;
  private readonly pageSize: number;
  private readonly step: number;

  constructor(private readonly options: ClerkIncrementalSourceOptions) {
    this.pageSize = Math.min(PAGE_LIMIT, Math.max(1, options.pageSize ?? PAGE_LIMIT));
    const overlap = Math.min(Math.max(1, options.pageOverlap ?? 50), this.pageSize - 1);
    this.step = Math.max(1, this.pageSize - overlap);
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
    const { since } = this.options;
    const maxStepBacks = this.options.maxStepBacks ?? 1000;
    let offset = 0;
    /** Every user (unchanged since) updated after this has been read; the last page's last updated_at. */
    let floor = Number.POSITIVE_INFINITY;
    let joined = 0;
    for (;;) {
      ctx.signal.throwIfAborted();
      const rows = await this.options.client.listUsersWithText({ order_by: '-updated_at', limit: this.pageSize, offset }, ctx.signal, this.options.userText ?? 'lossy');
      const page = rows.map((r) => r.user);
      this.pages++;
      const stamps = page.map((u) => (typeof u?.updated_at === 'number' ? u.updated_at : undefined)).filter((t): t is number => t !== undefined);
      if (offset > 0 && !(stamps.length > 0 && stamps[0]! > floor)) {
        // The list moved up under the walk (users deleted before the offset): users may lie between
        // the last page and this one. Read from further back.
        this.stepBacks++;
        if (this.stepBacks > maxStepBacks) {
          throw new EtlError(
            'CLERK_BAD_RESPONSE',
            `Clerk's user list kept shifting while this run paged it by updated_at (${this.stepBacks} step backs for ${joined} pages: many users deleted meanwhile). Nothing was published; run again later.`,
            { retryable: true },
          );
        }
        ctx.log.info('users were deleted while the run paged: reading again from further back', { offset, back_to: Math.max(0, offset - this.step) });
        offset = Math.max(0, offset - this.step);
        continue;
      }
      joined++;
      const fresh = rows.filter(({ user: u }) => !(typeof u?.updated_at === 'number' && u.updated_at < since));
      ctx.log.debug('page', { order_by: '-updated_at', offset, users: page.length, changed: fresh.length });
      if (fresh.length) yield fresh.map(({ user: u, text }) => ({ value: u, where: `user ${typeof u?.id === 'string' ? u.id : '(no id)'}`, text }));
      // A short page reached the end of the list; a page holding a user older than `since` reached
      // the older users (newest first: every later page is older still).
      if (page.length < this.pageSize) return;
      const last = stamps.at(-1);
      if (last === undefined) {
        throw new EtlError('CLERK_BAD_RESPONSE', `GET /v1/users?order_by=-updated_at&offset=${offset} returned ${page.length} users without a numeric updated_at: the walk cannot tell where it is. Nothing was published.`);
      }
      if (last < since) return;
      floor = Math.min(floor, last);
      // The next page starts at or before the last user strictly newer than `last`, so that it can
      // be checked even if the server orders users sharing `last` differently on the next request.
      const newer = page.findLastIndex((u) => typeof u?.updated_at === 'number' && u.updated_at > last);
      if (newer < 1) {
        throw new EtlError(
          'CLERK_BAD_RESPONSE',
          `At least ${this.pageSize - 1 - newer} users share updated_at ${new Date(last).toISOString()}: an incremental run cannot page through them without risking to miss some (Clerk does not say how it orders users with the same updated_at). Run a full export (--mode full) instead.`,
        );
      }
      offset += Math.min(this.step, newer);
    }
  }
}

