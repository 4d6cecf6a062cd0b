import { setMaxListeners } from 'node:events';
import pLimit from 'p-limit';
import type { ClerkClient, UserText } from '../clerk/client.js';
import { EtlError } from '../errors.js';
import { AsyncQueue } from './async-queue.js';
import type { Source } from './source.js';
import type { RunContext, SourceRecord } from '../model/records.js';

/** Clerk's maximum page size for GET /v1/users. */
export const PAGE_LIMIT = 500;

export interface ClerkApiSourceOptions {
  client: ClerkClient;
  /** Snapshot time (Unix ms): only users created before it are read (`created_at_before`). */
  snapshotAt: number;
  /**
   * Windows paged at the same time. Memory: up to `2 × concurrency` pages of 500 users are
   * buffered ahead of the writer. Default 4.
   */
  concurrency?: number;
  /** Page size, 1–500. Default 500. */
  pageSize?: number;
  /** Which users keep their text as Clerk sent it (`all` for format raw). Default `lossy`. */
  userText?: UserText;
}

interface Window {
  /** Inclusive lower bound, Unix ms. */
  from: number;
  /** Exclusive upper bound, Unix ms. */
  to: number;
}

/**
 * Full export from GET /v1/users. The `created_at` range [first user, snapshot) is split into
 * windows that are paged concurrently, each by cursor (`order_by=+created_at`, `starting_after`).
 *
 * Window edges: Clerk does not say whether `created_at_after`/`_before` are inclusive, and many
 * users can share one millisecond. Each window asks for (from − 1, to) — which covers [from, to)
 * whether the server reads the bounds inclusively or exclusively — and keeps only users with
 * from ≤ created_at < to. Windows therefore partition the users exactly: nothing lost at an edge,
 * nothing read twice.
 */
export class ClerkApiSource implements Source {
  readonly mayRepeat = true;
  readonly description: Record<string, unknown>;
  private readonly concurrency: number;
  private readonly pageSize: number;
  private expected?: number;
  /** Pages requested, for the summary. */
  pages = 0;

  constructor(private readonly options: ClerkApiSourceOptions) {
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.pageSize = Math.min(PAGE_LIMIT, Math.max(1, options.pageSize ?? PAGE_LIMIT));
    this.description = {
      kind: 'clerk-api',
      api_url: options.client.apiUrl,
      filters: { created_at_before: options.snapshotAt, order_by: '+created_at' },
    };
  }

  async total(ctx: RunContext): Promise<number> {
    this.expected ??= await this.options.client.countUsers({ created_at_before: this.options.snapshotAt }, ctx.signal);
    return this.expected;
  }

  async *read(ctx: RunContext): AsyncIterable<SourceRecord[]> {
    const { client, snapshotAt } = this.options;
    const total = await this.total(ctx);
    const first = total === 0 ? [] : await client.listUsers({ order_by: '+created_at', limit: 1, created_at_before: snapshotAt }, ctx.signal);
    if (total !== 0) this.pages++;
    const start = first[0]?.created_at;
    if (first.length && typeof start !== 'number') {
      // The windows start at the oldest user's created_at: without it the run could not place a single window.
      throw new EtlError('CLERK_BAD_RESPONSE', `GET /v1/users?order_by=+created_at&limit=1 returned a user whose created_at is ${start === undefined ? 'absent' : JSON.stringify(start)}, not a number; the export cannot split the users into created_at windows. Nothing was published.`);
    }
    const windows = typeof start === 'number' ? splitWindows(start, snapshotAt, total, this.concurrency, this.pageSize) : [];
    ctx.log.debug('planned windows', { windows: windows.length, total });

    const controller = new AbortController();
    const signal = AbortSignal.any([ctx.signal, controller.signal]);
    // Every request in flight listens on it: more than Node's default 10 at --concurrency > 10.
    setMaxListeners(this.concurrency * 2 + 10, signal);
    const queue = new AsyncQueue<SourceRecord[]>(this.concurrency * 2);
    const limit = pLimit(this.concurrency);
    const all = Promise.all(
      windows.map((w) =>
        limit(async () => {
          for await (const page of this.pageWindow(w, signal, ctx)) await queue.push(page);
        }),
      ),
    )
      .then(async () => {
        // Users whose created_at lies in the future (Clerk's create-user takes any created_at): no
        // snapshot window ever reaches them, so they are read here rather than never. This last
        // window starts exactly where the windows end, at the snapshot, not at "now": a user whose
        // created_at was still ahead at the snapshot but has passed by now is in neither otherwise.
        // Users created during the run fall in it too (they are read again by the next run).
        let future = 0;
        for await (const page of this.pageWindow({ from: snapshotAt, to: Number.MAX_SAFE_INTEGER }, signal, ctx)) {
          future += page.length;
          await queue.push(page);
        }
        if (future) {
          this.expected = (this.expected ?? 0) + future;
          ctx.log.warn('users with a created_at at or after the run start (in the future, or created during the run) were included', { users: future });
        }
      })
      .then(
      () => queue.close(),
      (err: unknown) => {
        controller.abort(err);
        queue.fail(err);
      },
    );
    try {
      yield* queue;
    } finally {
      // Consumer stopped early (error downstream, abort): stop the producers too.
      if (!controller.signal.aborted) controller.abort(new Error('consumer stopped'));
      limit.clearQueue();
      await all;
    }
  }

  private async *pageWindow(w: Window, signal: AbortSignal, ctx: RunContext): AsyncIterable<SourceRecord[]> {
    let cursor: string | undefined;
    for (;;) {
      signal.throwIfAborted();
      // Users' text as Clerk sent it, where needed: `raw` keeps those bytes, and numbers JSON.parse would change are read from it.
      const page = await this.options.client.listUsersWithText(
        {
          order_by: '+created_at',
          limit: this.pageSize,
          created_at_after: w.from - 1,
          created_at_before: w.to === Number.MAX_SAFE_INTEGER ? undefined : w.to,
          starting_after: cursor,
        },
        signal,
        this.options.userText ?? 'lossy',
      );
      this.pages++;
      ctx.log.debug('page', { window_from: w.from, window_to: w.to, users: page.length, cursor: cursor ?? null });
      const records: SourceRecord[] = [];
      let pastEnd = false;
      for (const { user: u, text } of page) {
        const created = u?.created_at;
        if (typeof created === 'number') {
          if (created < w.from) continue;
          if (created >= w.to) {
            pastEnd = true;
            continue;
          }
        }
        // A user without a numeric created_at cannot be placed in a window: pass it on so that
        // validation rejects it by name rather than dropping it here.
        records.push({ value: u, where: `user ${typeof u?.id === 'string' ? u.id : '(no id)'}`, text });
      }
      if (records.length) yield records;
      if (page.length < this.pageSize || pastEnd) return;
      const last = page[page.length - 1]!.user;
      if (typeof last?.id !== 'string') return;
      cursor = last.id;
    }
  }
}

/**
 * Split [start, end) into windows of equal time span. About one window per 2,000 users expected,
 * at least one per concurrent worker (×4, so the tail is short), at most one per millisecond.
 */
export function splitWindows(start: number, end: number, total: number, concurrency: number, pageSize = PAGE_LIMIT): Window[] {
  const span = end - start;
  if (span <= 0) return [{ from: start, to: end }];
  const wanted = Math.max(1, Math.min(Math.ceil(total / (pageSize * 4)), concurrency * 4));
  const count = Math.min(wanted, span);
  const windows: Window[] = [];
  for (let i = 0; i < count; i++) {
    windows.push({ from: start + Math.floor((span * i) / count), to: start + Math.floor((span * (i + 1)) / count) });
  }
  return windows;
}
