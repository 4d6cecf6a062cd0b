import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { abortError, EtlError } from './errors.js';
import type { Logger } from './log.js';
import type { RunContext, Source, SourceRecord } from './extract/source.js';
import type { Destination } from './load/destination.js';
import { ExportSink, type FileLayoutOptions, type ManifestFile, type RejectedRecord } from './load/export-sink.js';
import type { FormatName, ParquetOptions } from './load/formats.js';
import { emptyRows, flattenUser } from './transform/flatten-user.js';
import { SCHEMA_VERSION, TABLE_NAMES, type TableName } from './transform/schema.js';
import { describeProblems, validateUser } from './transform/validate-user.js';
import type { ClerkUser } from './clerk/types.js';

/** Rejected records logged one by one; the rest are only counted (all are in the rejects file). */
const MAX_LOGGED_REJECTS = 20;

const pkg = createRequire(import.meta.url)('../package.json') as { version: string };

/** Run ids sort by time and contain no `:` (file names on every OS, S3 keys). */
export function newRunId(at: Date = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('.', '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export interface ExportCounts {
  /** Distinct records received from the source. */
  read: number;
  /** Users written to the tables. */
  written: number;
  /** Records sent to the rejects file. */
  rejected: number;
  /** What the source announced in advance (`GET /v1/users/count`), when it can. */
  expected?: number;
  /** Repeats of an already-read user that a paging source returned (dropped; not counted in `read`). */
  repeats_dropped: number;
  /** Rows per table. */
  rows: Record<TableName, number>;
}

/** The run manifest, `<dest>/_manifests/<run_id>.json`. Written last. */
export interface Manifest {
  manifest_version: 1;
  run_id: string;
  mode: 'full';
  status: 'complete';
  tool: { name: 'clerk-etl'; version: string };
  schema_version: number;
  started_at: string;
  finished_at: string;
  snapshot_at: string;
  source: Record<string, unknown>;
  destination: string;
  formats: FormatName[];
  counts: ExportCounts;
  clerk?: Record<string, number>;
  files: ManifestFile[];
}

export interface ExportOptions {
  source: Source;
  destination: Destination;
  formats: FormatName[];
  runId: string;
  /** Run start = snapshot time, Unix ms. */
  startedAt: number;
  signal: AbortSignal;
  log: Logger;
  parquet?: ParquetOptions;
  /** File rolling and compression. */
  layout?: FileLayoutOptions;
  /** Called after every batch. */
  onProgress?: (p: { read: number; written: number; rejected: number; expected?: number }) => void;
  /** Extra figures for the manifest (the Clerk client's request counters), read at the end. */
  clerkStats?: () => Record<string, number>;
}

export interface ExportResult {
  manifest: Manifest;
  manifestPath: string;
  durationMs: number;
}

/**
 * The export: source → validate → flatten → sinks, then publish the files and write the manifest
 * last. On any failure or abort everything the run staged is discarded and no manifest is written.
 */
export async function runExport(options: ExportOptions): Promise<ExportResult> {
  const { source, destination, formats, runId, startedAt, signal, log } = options;
  const ctx: RunContext = { signal, log, runId };
  const dt = new Date(startedAt).toISOString().slice(0, 10);
  const counts: ExportCounts = { read: 0, written: 0, rejected: 0, repeats_dropped: 0, rows: Object.fromEntries(TABLE_NAMES.map((t) => [t, 0])) as Record<TableName, number> };
  const sink = new ExportSink({ destination, runId, dt, formats, parquet: options.parquet, ...options.layout });
  const wantRaw = formats.includes('raw');
  const seen = new Set<string>();
  const flat = { runId, extractedAt: startedAt };
  let loggedRejects = 0;
  try {
    counts.expected = await source.total(ctx);
    for await (const batch of source.read(ctx)) {
      if (signal.aborted) throw abortError(signal);
      const rows = emptyRows();
      const rawLines: string[] = [];
      const rejected: RejectedRecord[] = [];
      for (const rec of batch) {
        const id = idOf(rec.value);
        if (id !== null) {
          if (seen.has(id)) {
            if (source.mayRepeat) {
              counts.repeats_dropped++;
              continue;
            }
            counts.read++;
            rejected.push(reject(rec, id, [{ field: 'id', problem: `duplicate id: an earlier record of this input has id ${id}` }]));
            continue;
          }
          seen.add(id);
        }
        counts.read++;
        if (wantRaw) rawLines.push(rec.text ?? JSON.stringify(rec.value));
        if (rec.error !== undefined) {
          rejected.push(reject(rec, id, [{ field: '(record)', problem: rec.error }]));
          continue;
        }
        const problems = validateUser(rec.value);
        if (problems.length) {
          rejected.push(reject(rec, id, problems));
          continue;
        }
        flattenUser(rec.value as ClerkUser, flat, rows);
        counts.written++;
      }
      for (const [table, r] of rows) counts.rows[table] += r.length;
      counts.rejected += rejected.length;
      for (const r of rejected) {
        loggedRejects++;
        if (loggedRejects <= MAX_LOGGED_REJECTS) log.warn('rejected record', { source: r.source, id: r.id, reason: r.reason });
        else if (loggedRejects === MAX_LOGGED_REJECTS + 1) log.warn(`more records rejected; only the first ${MAX_LOGGED_REJECTS} are logged, all are in the rejects file`);
      }
      await sink.write(rows, rawLines, rejected);
      options.onProgress?.({ read: counts.read, written: counts.written, rejected: counts.rejected, expected: counts.expected });
    }
    if (signal.aborted) throw abortError(signal);
    const files = await sink.finish();
    if (counts.read !== counts.written + counts.rejected) {
      throw new EtlError('INTERNAL', `Counts do not reconcile: read ${counts.read} ≠ written ${counts.written} + rejected ${counts.rejected}.`);
    }
    if (counts.expected !== undefined && counts.expected !== counts.read) {
      log.warn('the source announced a different number of users than were read (users created or deleted during the run?)', {
        expected: counts.expected,
        read: counts.read,
      });
    }
    await destination.publish(signal);
    const finishedAt = Date.now();
    const manifest: Manifest = {
      manifest_version: 1,
      run_id: runId,
      mode: 'full',
      status: 'complete',
      tool: { name: 'clerk-etl', version: pkg.version },
      schema_version: SCHEMA_VERSION,
      started_at: new Date(startedAt).toISOString(),
      finished_at: new Date(finishedAt).toISOString(),
      snapshot_at: new Date(startedAt).toISOString(),
      source: source.description,
      destination: destination.url,
      formats,
      counts,
      ...(options.clerkStats ? { clerk: options.clerkStats() } : {}),
      files,
    };
    const manifestPath = `_manifests/${runId}.json`;
    signal.throwIfAborted();
    await destination.writeSmallFile(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
    return { manifest, manifestPath, durationMs: finishedAt - startedAt };
  } catch (err) {
    await destination.discard().catch((e: unknown) => log.error('could not remove the partial output', { error: String(e) }));
    if (signal.aborted && !(err instanceof EtlError && err.code !== 'ABORTED')) throw abortError(signal);
    throw err;
  }
}

function idOf(v: unknown): string | null {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const id = (v as Record<string, unknown>).id;
    if (typeof id === 'string') return id;
  }
  return null;
}

function reject(rec: SourceRecord, id: string | null, problems: Array<{ field: string; problem: string }>): RejectedRecord {
  return {
    source: rec.where,
    id,
    reason: `${rec.where}${id ? ` (${id})` : ''}: ${describeProblems(problems)}`,
    problems,
    record: rec.value === undefined ? (rec.text ?? null) : rec.value,
  };
}
