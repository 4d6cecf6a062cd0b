import type { ClerkStatsReport } from '../clerk/stats-report.js';
import { createRequire } from 'node:module';
import { abortError, EtlError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Source } from '../extract/source.js';
import type { RunContext } from '../model/records.js';
import type { Destination } from '../load/destination.js';
import { ExportSink, type FileLayoutOptions, type ManifestFile } from '../load/export-sink.js';
import { CHUNK_BYTES, TransformPool, WORKER_PARQUET_BUFFER_BYTES } from './parallel/transform-pool.js';
import type { BatchSummary } from './parallel/protocol.js';
import type { FormatName, ParquetOptions } from '../load/formats.js';
import type { Row } from '../model/records.js';
import { transformBatch, type BatchOptions, type BatchResult, type SchemaContract } from '../transform/batch.js';
import { IdGate } from '../transform/id-gate.js';
import { USER_TABLES, SCHEMA_VERSION, type ResourceName, type TableName } from '../model/schema.js';
import { exportResources, type ResourceCounts, type ResourceStageOptions, type ResourceStageResult } from './resource-export.js';
import { assertPolicyAllowsFormats, type CompiledPolicy, type PolicyDescription } from '../transform/pii-policy.js';

/** Rejected records logged one by one; the rest are only counted (all are in the rejects file). */
const MAX_LOGGED_REJECTS = 20;

const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };

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
  /** Users the previous run already wrote with the same updated_at (incremental overlap; not counted in `read`). */
  already_exported: number;
  /** Users found deleted since the previous full run (rows of user_deletions). */
  deleted: number;
  /** Users with at least one field the schema does not know. */
  drifted_users: number;
  /** Rows per table the run wrote (every table of the resources it read, with 0 when empty). */
  rows: Partial<Record<TableName, number>>;
  /** The resources besides users, one entry each (absent when the run read none). */
  resources?: Partial<Record<ResourceName, ResourceCounts>>;
}

/** The run manifest, `<dest>/_manifests/<run_id>.json`. Written last. */
export interface Manifest {
  manifest_version: 1;
  run_id: string;
  mode: 'full' | 'incremental';
  /** What the run read: `users` and the resources besides users (`--resources`). */
  resources: Array<'users' | ResourceName>;
  /** Incremental: the updated_at window read, ISO times. */
  window?: { from: string; to: string };
  /** Whether this run looked for deleted users (rows in user_deletions). */
  deletions_detected: boolean;
  /** Fields the schema does not know, with how many users carried each (kept in `_extra`). */
  drift: Array<{ field: string; users: number }>;
  schema_contract: SchemaContract;
  /** The PII policy applied, per column (never the key); absent when none. */
  pii?: PolicyDescription;
  /** Whether CSV cells that look like formulas were neutralised. */
  csv_formula_escape: boolean;
  /** Always `published`: a manifest exists only for a published run (the export summary uses the same word). */
  status: 'published';
  tool: { name: 'clerk-etl'; version: string };
  schema_version: number;
  started_at: string;
  finished_at: string;
  snapshot_at: string;
  source: Record<string, unknown>;
  destination: string;
  formats: FormatName[];
  counts: ExportCounts;
  clerk?: ClerkStatsReport;
  files: ManifestFile[];
}

export interface ExportOptions {
  /** Where the users come from; undefined when the run reads no user (`--resources organizations`). */
  source?: Source;
  /** The resources besides users, read after the users and published with them. */
  resources?: Pick<ResourceStageOptions, 'sources' | 'previous' | 'changedOnly'>;
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
  clerkStats?: () => ClerkStatsReport;
  /** `incremental`: the source reads changed users since `window.from`. Default `full`. */
  mode?: 'full' | 'incremental';
  /** The updated_at window an incremental run reads, Unix ms. */
  window?: { from: number; to: number };
  /** (id → updated_at) the previous run already wrote in its overlap window: skipped, not counted as read. */
  alreadyExported?: ReadonlyMap<string, number>;
  /** Remember (id, updated_at) of written users updated at or after this (Unix ms), for the next run. */
  recentSince?: number;
  /**
   * Deletion detection: the ids the previous full run saw, and how to get the ids that exist now
   * (default: every id this run read, which is right for a full run).
   */
  deletions?: { previous: ReadonlySet<string>; current?: () => Promise<ReadonlySet<string>> };
  /** When the run read no user and found no deletion: publish nothing and resolve with status `nothing_to_do`. */
  skipWhenEmpty?: boolean;
  /**
   * Publish even when a source that requires users (a file: `Source.requiresUsers`) gave no valid
   * user; without it such a run fails with INPUT_INVALID and publishes nothing (`--allow-empty`).
   */
  allowEmpty?: boolean;
  /**
   * Fields the schema does not know (schema drift), always kept in `_extra` and reported:
   * `evolve` goes on; `freeze` goes on but the run ends "with warnings"; `strict` rejects the
   * affected users, naming the field. Default `evolve`.
   */
  schemaContract?: SchemaContract;
  /** Column policies (PII) applied to every table format. */
  policy?: CompiledPolicy;
  /**
   * Transform workers (worker_threads): validation, flattening and file encoding (and, for NDJSON
   * sources, parsing) move off the main thread, each worker writing its own part files; sources
   * that parse records themselves (the API, JSON arrays) hand them over parsed. 0 or 1: in this
   * thread (default).
   */
  workers?: number;
  /** With a source that parses records itself (the API): use the workers only when it announces at least this many users. */
  workersMinUsers?: number;
}

export type { SchemaContract };

/** What every finished run reports, whether it published or had nothing to do. */
interface ExportRunIds {
  /** (id → updated_at) of every record of each resource besides users that the run listed. */
  resourceIds?: ReadonlyMap<ResourceName, ReadonlyMap<string, number>>;
  durationMs: number;
  /** Every id the run read (full runs: the baseline for the next deletion check). */
  seenIds: ReadonlySet<string>;
  /** Ids a deletion sweep found to exist now (incremental + deletions), if one ran. */
  currentIds?: ReadonlySet<string>;
  /** (id, updated_at) of written users updated at or after `recentSince`. */
  recent: Array<[string, number]>;
}

/** A run that published its files and, last, its manifest. */
export interface ExportPublished extends ExportRunIds {
  status: 'published';
  manifest: Manifest;
  /** Where the manifest is, relative to the destination. */
  manifestPath: string;
}

/** A run that had nothing to write (`skipWhenEmpty`: incremental with no change): no files, no manifest. */
export interface ExportNothingToDo extends ExportRunIds {
  status: 'nothing_to_do';
}

/**
 * What {@link runExport} resolves with. A failed run has no result: runExport rejects (an EtlError,
 * or the abort reason) after discarding everything it staged, so nothing of it was published.
 */
export type ExportResult = ExportPublished | ExportNothingToDo;

function clip(s: string, n: number): string {
  return s.length > n ? s.slice(0, n) + '…' : s;
}

/** Why a run from a file that gave no valid user publishes nothing, and what to do. */
function noUsers(source: Source, counts: ExportCounts, firstReject: string | undefined): EtlError {
  const where = typeof source.description.path === 'string' ? source.description.path : 'the input';
  const what =
    counts.read === 0
      ? `${where} holds no user record (it is empty)`
      : `${where} holds no valid user: ${counts.read} record(s) read, all rejected (first: ${clip(firstReject ?? 'unknown', 300)})`;
  return new EtlError(
    'INPUT_INVALID',
    `${what}. Nothing was published. Check that this is the file you meant (Clerk users as NDJSON or a JSON array; a dashboard CSV is for \`clerk-etl import\`), or pass --allow-empty to publish an empty snapshot anyway.`,
  );
}

/**
 * The export: source → validate → flatten → sinks, then publish the files and write the manifest
 * last. On any failure or abort everything the run staged is discarded and no manifest is written.
 */
export async function runExport(options: ExportOptions): Promise<ExportResult> {
  const { source, destination, formats, runId, startedAt, signal, log } = options;
  const ctx: RunContext = { signal, log, runId };
  const dt = new Date(startedAt).toISOString().slice(0, 10);
  const counts: ExportCounts = { read: 0, written: 0, rejected: 0, repeats_dropped: 0, already_exported: 0, deleted: 0, drifted_users: 0, rows: source ? Object.fromEntries(USER_TABLES.map((t) => [t.name, 0])) : {} };
  assertPolicyAllowsFormats(options.policy, formats);
  // With transform workers, they write the tables; this thread's sink only writes the rejects.
  let pool: TransformPool | undefined;
  const sink = (tableFormats: FormatName[]): ExportSink => new ExportSink({ destination, runId, dt, formats: tableFormats, parquet: options.parquet, ...options.layout, policy: options.policy });
  let mainSink: ExportSink | undefined;
  const wantRaw = formats.includes('raw');
  const gate = new IdGate(counts, source?.mayRepeat ?? false, options.alreadyExported);
  const seen = gate.seen;
  const recent: Array<[string, number]> = [];
  const drift = new Map<string, number>();
  const contract = options.schemaContract ?? 'evolve';
  const batchOptions: BatchOptions = { flat: { runId, extractedAt: startedAt }, wantRaw, contract, recentSince: options.recentSince };
  let currentIds: ReadonlySet<string> | undefined;
  let loggedRejects = 0;
  let firstReject: string | undefined;
  /** Fold one transformed batch into the run's counts, drift and recent list; log its rejects. */
  const addBatch = (out: Omit<BatchResult, 'rows' | 'rawLines'> & { rows: Iterable<[TableName, { length: number }]> }): void => {
    for (const [table, r] of out.rows) counts.rows[table] = (counts.rows[table] ?? 0) + r.length;
    counts.written += out.written;
    counts.rejected += out.rejected.length;
    counts.drifted_users += out.drifted;
    for (const [f, n] of out.drift) drift.set(f, (drift.get(f) ?? 0) + n);
    for (const r of out.recent) recent.push(r);
    for (const r of out.rejected) {
      firstReject ??= r.reason;
      loggedRejects++;
      if (loggedRejects <= MAX_LOGGED_REJECTS) log.warn('rejected record', { source: r.source, id: r.id, reason: r.reason });
      else if (loggedRejects === MAX_LOGGED_REJECTS + 1) log.warn(`more records rejected; only the first ${MAX_LOGGED_REJECTS} are logged, all are in the rejects file`);
    }
  };
  let stage: ResourceStageResult | undefined;
  try {
    if (source) {
    counts.expected = await source.total(ctx);
    const workers = options.workers ?? 0;
    const chunks = workers > 1 && source.ndjsonChunks ? await source.ndjsonChunks(ctx, CHUNK_BYTES) : undefined;
    const progress = (records: number): void => {
      log.debug('batch written', { records, read: counts.read, written: counts.written, rejected: counts.rejected });
      options.onProgress?.({ read: counts.read, written: counts.written, rejected: counts.rejected, expected: counts.expected });
    };
    // Parsed sources (the API) use workers only when they announce enough users to pay for starting
    // them; an incremental run cannot count its users in advance, so under `auto` it stays here.
    const recordsToWorkers = !chunks && workers > 1 && (options.workersMinUsers === undefined || (counts.expected ?? 0) >= options.workersMinUsers);
    if (chunks || recordsToWorkers) {
      const policySpec = options.policy?.spec;
      const p = (pool = new TransformPool({ count: workers, formats: formats, runId, dt, parquet: options.parquet, layout: options.layout, policy: policySpec, batch: batchOptions, parquetBufferBytes: WORKER_PARQUET_BUFFER_BYTES, needUpdatedAt: gate.needsUpdatedAt }, destination, signal));
      log.info('transforming in worker threads', { workers });
      const s = (mainSink = sink([]));
      const onBatch = async (b: BatchSummary): Promise<void> => {
        addBatch({ ...b, rows: b.rows.map(([t, n]) => [t, { length: n }]), drift: new Map(b.drift) });
        await s.write(new Map(), [], b.rejected);
        progress(b.records);
      };
      if (chunks) await p.run(chunks, gate, onBatch);
      else await p.runRecords(source.read(ctx), gate, onBatch);
    } else {
      const s = (mainSink = sink(formats));
      for await (const batch of source.read(ctx)) {
        if (signal.aborted) throw abortError(signal);
        const { ids, gates } = gate.gateRecords(batch);
        const out = transformBatch(batch, ids, gates, batchOptions, options.policy);
        addBatch(out);
        await s.write(out.rows, out.rawLines, out.rejected);
        progress(batch.length);
      }
    }
    }
    if (signal.aborted) throw abortError(signal);
    if (options.deletions) {
      currentIds = options.deletions.current ? await options.deletions.current() : seen;
      const gone: Row[] = [];
      for (const id of options.deletions.previous) if (!currentIds.has(id)) gone.push([id, startedAt, runId]);
      counts.deleted = gone.length;
      counts.rows.user_deletions = gone.length;
      if (gone.length) {
        log.info('users deleted since the previous full run', { count: gone.length });
        // Made here, not by transformBatch: the policy is applied to them here (user_id may be hashed).
        const rows = options.policy ? options.policy.apply('user_deletions', gone) : gone;
        if (pool) await pool.writeRows('user_deletions', rows);
        else await mainSink?.write(new Map([['user_deletions', rows]]), [], []);
      }
    }
    if (options.resources) {
      stage = await exportResources({ ...options.resources, destination, formats, runId, startedAt, dt, signal, log, parquet: options.parquet, layout: options.layout, policy: options.policy, contract });
      counts.resources = stage.counts;
      Object.assign(counts.rows, stage.rows);
      for (const [f, n] of stage.drift) drift.set(f, n);
    }
    const resourceChanges = stage ? Object.values(stage.counts).reduce((n, c) => n + c.written + c.rejected + c.deleted, 0) : 0;
    if (options.skipWhenEmpty && counts.read === 0 && counts.deleted === 0 && resourceChanges === 0) {
      await pool?.close();
      await destination.discard();
      log.info(stage ? 'nothing to do: nothing changed since the last run' : 'nothing to do: no user changed since the last run');
      return { status: 'nothing_to_do', durationMs: Date.now() - startedAt, seenIds: seen, currentIds, recent, resourceIds: stage?.seen };
    }
    if (source?.requiresUsers && counts.written === 0 && !options.allowEmpty) throw noUsers(source, counts, firstReject);
    for (const [field, users] of drift) log.warn('schema drift: a field the schema does not know (kept in _extra)', { field, users, contract });
    const files = [...(pool ? await pool.finish() : []), ...(mainSink ? await mainSink.finish() : []), ...(stage?.files ?? [])];
    if (counts.read !== counts.written + counts.rejected) {
      throw new EtlError('INTERNAL', `Counts do not reconcile: read ${counts.read} ≠ written ${counts.written} + rejected ${counts.rejected}.`);
    }
    for (const [resource, c] of Object.entries(counts.resources ?? {})) {
      if (c.read !== c.written + c.rejected + c.unchanged) {
        throw new EtlError('INTERNAL', `Counts of ${resource} do not reconcile: read ${c.read} ≠ written ${c.written} + rejected ${c.rejected} + unchanged ${c.unchanged}.`);
      }
    }
    // A source may learn more while reading (Clerk: users with a created_at in the future).
    if (source && counts.expected !== undefined) counts.expected = (await source.total(ctx)) ?? counts.expected;
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
      mode: options.mode ?? 'full',
      resources: [...(source ? (['users'] as const) : []), ...(options.resources?.sources.map((s) => s.resource) ?? [])],
      ...(options.window ? { window: { from: new Date(options.window.from).toISOString(), to: new Date(options.window.to).toISOString() } } : {}),
      deletions_detected: options.deletions !== undefined,
      drift: [...drift].map(([field, users]) => ({ field, users })).sort((a, b) => a.field.localeCompare(b.field)),
      schema_contract: contract,
      ...(options.policy?.active ? { pii: options.policy.describeTables(new Set(Object.keys(counts.rows))) } : {}),
      csv_formula_escape: options.layout?.csvFormulaEscape ?? true,
      status: 'published',
      tool: { name: 'clerk-etl', version: pkg.version },
      schema_version: SCHEMA_VERSION,
      started_at: new Date(startedAt).toISOString(),
      finished_at: new Date(finishedAt).toISOString(),
      snapshot_at: new Date(startedAt).toISOString(),
      // A run of organizations only has no user source: the resources come from the Clerk API.
      source: source?.description ?? { kind: 'clerk-api' },
      destination: destination.url,
      formats,
      counts,
      ...(options.clerkStats ? { clerk: options.clerkStats() } : {}),
      files,
    };
    const manifestPath = `_manifests/${runId}.json`;
    signal.throwIfAborted();
    await destination.writeSmallFile(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
    return { status: 'published', manifest, manifestPath, durationMs: finishedAt - startedAt, seenIds: seen, currentIds, recent, resourceIds: stage?.seen };
  } catch (err) {
    await pool?.close();
    await destination.discard().catch((e: unknown) => log.error('could not remove the partial output', { error: String(e) }));
    if (signal.aborted && !(err instanceof EtlError && err.code !== 'ABORTED')) throw abortError(signal);
    throw err;
  }
}
