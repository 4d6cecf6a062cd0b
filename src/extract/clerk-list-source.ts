import { EtlError, abortError } from '../errors.js';
import type { ClerkClient } from '../clerk/client.js';
import { listPage } from '../clerk/list-page.js';
import { MAX_LIST_LIMIT, RESOURCE_LISTS } from '../clerk/resources.js';
import type { ResourceName } from '../model/schema.js';
import type { ListRecord, RunContext } from '../model/records.js';
import { IdSet } from '../model/id-set.js';
import { parseExact } from '../transform/exact-json.js';


/** What a walk of one list saw, for the manifest and the summary. */
export interface ListWalk {
  resource: ResourceName;
  /** Distinct records read. */
  read: number;
  /** Records seen twice (the page overlap, or a record shifted by a creation); dropped. */
  repeats_dropped: number;
  /** `total_count` before the first page, and once more after the last. */
  total_count_at_start?: number;
  total_count_at_end?: number;
  pages: number;
  /** Pages read again from further back because the overlap did not hold (records deleted during the run). */
  pages_reread: number;
}

export interface ClerkListSourceOptions {
  client: ClerkClient;
  resource: ResourceName;
  /** Records per page (≤ 500). Default 500. */
  pageSize?: number;
  /** Records each page repeats of the previous one. Default a tenth of the page. */
  overlap?: number;
}

/**
 * One instance-wide list read whole, as a consistent snapshot without a cursor.
 *
 * The list is walked oldest first by offset, each page starting `overlap` records before the end of
 * the previous one. A deletion of an already-read record during the walk shifts the later records
 * down: as long as the new page still holds one record of the previous page, everything between is
 * known to be read (the list is contiguous from that record on). When it holds none, records may
 * have slipped past the page boundary: the page is read again from further back until one does,
 * so a record that exists for the whole run is never lost. Repeats are dropped by id.
 */
export class ClerkListSource {
  readonly walk: ListWalk;
  private readonly pageSize: number;
  private readonly overlap: number;
  /** id → updated_at of every record read (the next run's change and deletion check). */
  readonly seen = new Map<string, unknown>();

  constructor(private readonly options: ClerkListSourceOptions) {
    this.pageSize = Math.min(options.pageSize ?? MAX_LIST_LIMIT, MAX_LIST_LIMIT);
    this.overlap = Math.max(1, Math.min(options.overlap ?? Math.ceil(this.pageSize / 10), this.pageSize - 1));
    this.walk = { resource: options.resource, read: 0, repeats_dropped: 0, pages: 0, pages_reread: 0 };
  }

  /** Batches of distinct records, page by page. */
  async *read(ctx: Pick<RunContext, 'signal' | 'log'>): AsyncGenerator<ListRecord[]> {
    const { client, resource } = this.options;
    const { path, query } = RESOURCE_LISTS[resource];
    const signal = ctx.signal;
    const ids = new IdSet();
    let offset = 0;
    /** Ids of the previous page (a new page must hold one of them to prove nothing was skipped). */
    let previous: ReadonlySet<string> = new Set();
    let previousFull = false;
    let backoff = 0;
    for (;;) {
      if (signal.aborted) throw abortError(signal);
      const page = await listPage(client, path, { ...query, limit: this.pageSize, offset }, signal);
      this.walk.pages++;
      if (this.walk.pages === 1) this.walk.total_count_at_start = page.totalCount;
      const pageIds = page.records.map((r) => (typeof r.id === 'string' ? r.id : undefined));
      if (offset > 0 && previousFull && page.records.length > 0 && !pageIds.some((id) => id !== undefined && previous.has(id))) {
        // More records were deleted during the walk than the overlap absorbs: step further back.
        backoff = backoff === 0 ? this.pageSize - this.overlap : backoff * 2;
        const back = Math.max(0, offset - backoff);
        ctx.log.debug('list page does not overlap the previous one; reading again from further back', { resource, offset, from: back });
        this.walk.pages_reread++;
        if (this.walk.pages_reread > 1000) throw new EtlError('CLERK_BAD_RESPONSE', `GET ${path}: the pages never overlapped after 1000 re-reads; the list changes faster than it can be read.`);
        offset = back;
        continue;
      }
      backoff = 0;
      const exact = page.lossyText ? exactRecords(page.lossyText) : undefined;
      const batch: ListRecord[] = [];
      page.records.forEach((value, i) => {
        const id = pageIds[i];
        if (id !== undefined && !ids.insert(id)) {
          this.walk.repeats_dropped++;
          return;
        }
        if (id !== undefined) this.seen.set(id, value.updated_at);
        this.walk.read++;
        batch.push(exact ? { value, exact: exact[i] } : { value });
      });
      if (batch.length) yield batch;
      if (page.records.length < this.pageSize) break;
      previous = new Set(pageIds.filter((id): id is string => id !== undefined));
      previousFull = true;
      offset += this.pageSize - this.overlap;
    }
    // The second count: records created or deleted during the walk make it differ from the first.
    const end = await listPage(client, path, { ...query, limit: 1, offset: 0 }, signal);
    this.walk.total_count_at_end = end.totalCount;
  }
}

function exactRecords(text: string): unknown[] | undefined {
  const parsed = parseExact(text);
  if (Array.isArray(parsed)) return parsed;
  const data = (parsed as { data?: unknown } | null)?.data;
  return Array.isArray(data) ? data : undefined;
}
