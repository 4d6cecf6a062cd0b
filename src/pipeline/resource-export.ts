import { abortError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ClerkListSource } from '../extract/clerk-list-source.js';
import type { Destination } from '../load/destination.js';
import { ExportSink, type FileLayoutOptions, type ManifestFile } from '../load/export-sink.js';
import type { FormatName, ParquetOptions } from '../load/formats.js';
import type { Row } from '../model/records.js';
import { DELETIONS, resourceTableOf, type ResourceName } from '../model/schema.js';
import type { CompiledPolicy } from '../transform/pii-policy.js';
import { transformResourceBatch } from '../transform/resource-batch.js';
import { stringifyExact } from '../transform/exact-json.js';
import type { SchemaContract } from '../transform/batch.js';

/** What one resource's part of a run did (manifest `counts.resources.<name>`). */
export interface ResourceCounts {
  /** Distinct records read from the list. */
  read: number;
  /** Records written to the resource's table. */
  written: number;
  /** Records sent to the rejects file. */
  rejected: number;
  /** Incremental runs: records read whose updated_at the state already had (not written). */
  unchanged: number;
  /** Records the page overlap or a shift returned twice (dropped, not counted in `read`). */
  repeats_dropped: number;
  /** Records of the previous run's state that the list no longer has (rows of `deletions`). */
  deleted: number;
  /** The list's `total_count` before the first page and after the last. */
  total_count_at_start?: number;
  total_count_at_end?: number;
  pages: number;
  /** Pages read again from further back because records were deleted during the walk. */
  pages_reread: number;
  /** Why `read` differs from a `total_count`, when it does. */
  note?: string;
}

export interface ResourceStageOptions {
  sources: ReadonlyArray<{ resource: ResourceName; source: ClerkListSource }>;
  destination: Destination;
  formats: FormatName[];
  runId: string;
  startedAt: number;
  dt: string;
  signal: AbortSignal;
  log: Logger;
  parquet?: ParquetOptions;
  layout?: FileLayoutOptions;
  policy?: CompiledPolicy;
  contract: SchemaContract;
  /**
   * The previous run's (id → updated_at) per resource. With it, ids no longer listed are deletions;
   * in an incremental run, records whose updated_at it already has are not written again.
   */
  previous?: ReadonlyMap<ResourceName, ReadonlyMap<string, number>>;
  /** Write only the records that changed since `previous` (incremental runs). */
  changedOnly: boolean;
}

export interface ResourceStageResult {
  counts: Partial<Record<ResourceName, ResourceCounts>>;
  /** Rows per table written (the resource tables and `deletions`). */
  rows: Partial<Record<ResourceName | 'deletions', number>>;
  files: ManifestFile[];
  /** Field → records carrying it, keyed `<resource>: <field>`. */
  drift: Map<string, number>;
  /** (id → updated_at) of every record listed, per resource: the next run's `previous`. */
  seen: Map<ResourceName, Map<string, number>>;
}

/**
 * The resources besides users, one after the other: each list is read whole (they page by offset
 * only and are usually small), validated and flattened into its table; then the deletions. Every
 * file is staged in the run's destination and published with the users' files, under one manifest.
 */
export async function exportResources(o: ResourceStageOptions): Promise<ResourceStageResult> {
  const { destination, formats, runId, dt, log, signal } = o;
  const result: ResourceStageResult = { counts: {}, rows: {}, files: [], drift: new Map(), seen: new Map() };
  const sinkFor = (name: string, tables: ReturnType<typeof resourceTableOf>[], tableFormats: FormatName[]): ExportSink =>
    new ExportSink({ destination, runId, dt, formats: tableFormats, parquet: o.parquet, ...o.layout, policy: o.policy, tables, rawName: `raw_${name}`, rejectsName: `${runId}-${name}` });
  const gone: Row[] = [];
  for (const { resource, source } of o.sources) {
    const table = resourceTableOf(resource);
    const sink = sinkFor(resource, [table], formats);
    const counts: ResourceCounts = { read: 0, written: 0, rejected: 0, unchanged: 0, repeats_dropped: 0, deleted: 0, pages: 0, pages_reread: 0 };
    const previous = o.previous?.get(resource);
    const seen = new Map<string, number>();
    log.info('reading a resource', { resource });
    for await (const batch of source.read({ signal, log })) {
      if (signal.aborted) throw abortError(signal);
      for (const r of batch) {
        const id = r.value.id;
        const updated = r.value.updated_at;
        if (typeof id === 'string' && typeof updated === 'number') seen.set(id, updated);
      }
      const changed = o.changedOnly && previous ? batch.filter((r) => previous.get(r.value.id as string) !== r.value.updated_at || typeof r.value.updated_at !== 'number') : batch;
      counts.unchanged += batch.length - changed.length;
      const out = transformResourceBatch(table, changed, { runId, extractedAt: o.startedAt }, o.contract);
      counts.written += out.rows.length;
      counts.rejected += out.rejected.length;
      for (const [f, n] of out.drift) result.drift.set(`${resource}: ${f}`, (result.drift.get(`${resource}: ${f}`) ?? 0) + n);
      // The first 20 of a resource are logged; all are in the rejects file.
      const stillLogged = Math.max(0, 20 - (counts.rejected - out.rejected.length));
      for (const r of out.rejected.slice(0, stillLogged)) log.warn('rejected record', { source: r.source, id: r.id, reason: r.reason });
      // raw keeps numbers JSON.parse would change as their text (the exact parse of the page).
      const raw = formats.includes('raw') ? changed.map((r) => (r.exact !== undefined ? (stringifyExact(r.exact) ?? JSON.stringify(r.value)) : JSON.stringify(r.value))) : [];
      // The PII policy once per row, as for users (the sink writes the same rows to every format).
      const rows = o.policy && out.rows.length ? o.policy.apply(table.name, out.rows) : out.rows;
      await sink.write(new Map([[table.name, rows]]), raw, out.rejected);
    }
    const walk = source.walk;
    counts.read = walk.read;
    counts.repeats_dropped = walk.repeats_dropped;
    counts.pages = walk.pages;
    counts.pages_reread = walk.pages_reread;
    counts.total_count_at_start = walk.total_count_at_start;
    counts.total_count_at_end = walk.total_count_at_end;
    counts.note = countNote(walk.read, walk.total_count_at_start, walk.total_count_at_end);
    if (counts.note) log.warn(`${resource}: ${counts.note}`);
    if (previous) {
      for (const id of previous.keys()) {
        if (!seen.has(id)) {
          gone.push([resource, id, o.startedAt, runId]);
          counts.deleted++;
        }
      }
    }
    result.seen.set(resource, seen);
    result.files.push(...(await sink.finish()));
    result.counts[resource] = counts;
    result.rows[resource] = counts.written;
    log.info('resource read', { resource, read: counts.read, written: counts.written, rejected: counts.rejected, unchanged: counts.unchanged, deleted: counts.deleted });
  }
  if (o.previous) {
    const sink = sinkFor('deletions', [DELETIONS], formats.filter((f) => f !== 'raw'));
    await sink.write(new Map([['deletions', o.policy && gone.length ? o.policy.apply('deletions', gone) : gone]]), [], []);
    result.files.push(...(await sink.finish()));
    result.rows.deletions = gone.length;
  }
  return result;
}

/**
 * Why the records read differ from what the list announced, or undefined when all three agree.
 * Without a cursor the list can change under the walk; what existed for the whole walk is read.
 */
export function countNote(read: number, start: number | undefined, end: number | undefined): string | undefined {
  if (start === undefined || end === undefined || (read === start && read === end)) return undefined;
  return (
    `${read} distinct records read; the list counted ${start} at the start and ${end} at the end` +
    ': records were created or deleted during the run (every record that existed for the whole run was read; one created or deleted meanwhile may or may not be in this run, and the next run settles it)'
  );
}
