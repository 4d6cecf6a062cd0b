import { ClerkClient } from '../clerk/client.js';
import { clerkClientFrom, type ClientSettings } from './clerk-connection.js';
import { EtlError, redactUrl } from '../errors.js';
import type { Logger } from '../log.js';
import { ClerkApiSource } from '../extract/clerk-api-source.js';
import { FileSource, type FileFormat } from '../extract/file-source.js';
import type { Source } from '../extract/source.js';
import { openDestination } from '../load/open-destination.js';
import { assertSupportedLocation } from '../location.js';
import { type FormatName, type ParquetCodec } from '../load/formats.js';
import { runExport, type ExportNothingToDo, type ExportPublished, type ExportResult, type SchemaContract } from './export-run.js';
import { newRunId } from './run-id.js';
import { DEFAULT_LOCK_TTL_MINUTES, DEFAULT_OVERLAP_MINUTES } from '../model/defaults.js';

export { DEFAULT_LOCK_TTL_MINUTES, DEFAULT_OVERLAP_MINUTES };
import { assertPolicyAllowsFormats, CompiledPolicy, type PiiPolicySpec } from '../transform/pii-policy.js';
import { ClerkIncrementalSource } from '../extract/clerk-incremental-source.js';
import { rememberedPairs, StateStore, type RunState } from '../state/state-store.js';
import { clerkStatsReport } from '../clerk/stats-report.js';
import type { S3Options } from '../state/s3-client.js';
import { Progress } from './progress.js';
import { autoWorkers } from './parallel/transform-pool.js';
import { IdSet } from '../model/id-set.js';
import { idOf } from '../transform/id-gate.js';
import { stat } from 'node:fs/promises';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { processAlive } from '../state/lock.js';
import os from 'node:os';
import path from 'node:path';
import { isPostgresUrl, PostgresMirror, type ApplyResult, type OnDelete } from '../load/postgres-mirror.js';
import { RESOURCE_NAMES, type ResourceChoice, type ResourceName } from '../model/schema.js';
import { ClerkListSource } from '../extract/clerk-list-source.js';


/** Options of one export, after flags and environment are resolved. */
/** Everything an export needs; the Clerk connection's part is shared with import (ClientSettings). */
export interface ExportSettings extends ClientSettings {
  to: string;
  formats: FormatName[];
  from?: string;
  inputFormat: FileFormat;
  /** --from: publish even when the file gives no valid user (otherwise the run fails). */
  allowEmpty?: boolean;
  concurrency: number;
  rowGroupSize?: number;
  parquetCodec?: ParquetCodec;
  maxRowsPerFile?: number;
  maxFileBytes?: number;
  /** Transform workers for NDJSON files: a number (0/1: none) or auto. Default auto. */
  workers?: number | 'auto';
  compress?: 'gzip' | 'none';
  s3?: S3Options;
  /** S3: abort other runs' multipart uploads older than this at start. Default 60 min. */
  orphanGraceMs?: number;
  progress: boolean;
  /** Fixed run id and start (tests that compare two runs byte for byte). */
  runId?: string;
  startedAt?: number;
  mode?: 'full' | 'incremental';
  /** State location (file path or s3:// URL): watermark, id list for deletions, lock. */
  state?: string;
  overlapMinutes?: number;
  detectDeletions?: boolean;
  lockTtlMinutes?: number;
  /** Print the plan and write nothing. */
  dryRun?: boolean;
  /** Column policies (PII). */
  pii?: PiiPolicySpec;
  csvFormulaEscape?: boolean;
  schemaContract?: SchemaContract;
  /** `--to postgres://…`: what a record that disappeared becomes. Default `mark`. */
  onDelete?: OnDelete;
  /** What to read: `users` and the resources besides users, or `all`. Default `['users']`. */
  resources?: ReadonlyArray<ResourceChoice>;
}

/** `--resources` expanded: whether to read the users, and which other resources, in output order. */
export function expandResources(choices: ReadonlyArray<ResourceChoice> = ['users']): { users: boolean; others: ResourceName[] } {
  const all = choices.includes('all');
  return { users: all || choices.includes('users'), others: RESOURCE_NAMES.filter((r) => all || choices.includes(r)) };
}


/** What every export outcome tells, for the summary file and the exit code. */
interface ExportOutcomeBase {
  client?: ClerkClient;
  runId: string;
  mode: 'full' | 'incremental';
  /** Why the mode differs from the one asked for (first incremental run without a state). */
  modeNote?: string;
  window?: { from: number; to: number };
  stateBefore: RunState | null;
  /** The state this run saved (with `--state`; never for a dry run). */
  stateAfter?: RunState;
  /** `--to postgres://…`: what applying the run to the database did. */
  postgres?: ApplyResult;
}

/** A run that did run: its result, and the state it saved (with `--state`). */
interface ExportRan<R extends ExportResult> extends ExportOutcomeBase {
  status: R['status'];
  result: R;
}

/**
 * What an export did: `published`, `nothing_to_do` (incremental, no change), or `planned` (dry run:
 * the plan, nothing written). A failed export has no outcome: executeExport rejects (an EtlError).
 */
export type ExportOutcome = ExportRan<ExportPublished> | ExportRan<ExportNothingToDo> | (ExportOutcomeBase & { status: 'planned'; plan: Record<string, unknown> });


/** Cap on the (id, updated_at) pairs a state keeps for the next run's overlap: beyond it, at least once. */
const MAX_RECENT = 100_000;

/**
 * Run one export with resolved settings. Shared by `export` and `demo`.
 *
 * With `--state`: takes the lock next to it, reads the watermark, runs full or incremental, and
 * saves the new watermark (the run's start) only after the manifest is published, so a failed or
 * killed run is simply redone by the next one.
 */
export async function executeExport(settings: ExportSettings, log: Logger, signal: AbortSignal): Promise<ExportOutcome> {
  const startedAt = settings.startedAt ?? Date.now();
  const runId = settings.runId ?? newRunId(new Date(startedAt));
  const requestedMode = settings.mode ?? 'full';
  // Before anything else: an unsupported scheme must not become a local folder named `postgres:`.
  assertSupportedLocation(settings.to, 'export --to');
  if (settings.state) assertSupportedLocation(settings.state, '--state');
  if (settings.from) assertSupportedLocation(settings.from, '--from');
  // At start-up, before any request: a policy that hashes without CLERK_ETL_HASH_KEY fails here.
  const policy = settings.pii ? new CompiledPolicy(settings.pii, process.env) : undefined;
  assertPolicyAllowsFormats(policy, settings.formats);
  if (settings.from && (requestedMode === 'incremental' || settings.detectDeletions)) throw new EtlError('USAGE', '--mode incremental and --detect-deletions read from the Clerk API; they cannot be used with --from.');
  // The state's watermark and id list describe the Clerk API reads: a run from a file would move the
  // watermark past changes it never read, and the next incremental run would skip them.
  if (settings.from && settings.state) {
    throw new EtlError('USAGE', `--state (or export.state in the config file) cannot be used with --from ${settings.from}: the state holds the watermark and id list of the Clerk API reads, and a file export would move them. Run file exports without a state.`);
  }
  const wanted = expandResources(settings.resources);
  // A mirror without its users table would take every user for deleted after a full run.
  if (isPostgresUrl(settings.to) && wanted.users && policy?.tableDropped('users')) {
    throw new EtlError('USAGE', `--drop-table users cannot be used with --to ${redactUrl(settings.to)}: the mirror keys everything on its users table. Drop the columns you must not keep instead (--pii-column users.<column>=drop).`);
  }
  if (settings.from && wanted.others.length) {
    throw new EtlError('USAGE', `--resources ${wanted.others.join(',')}: these are read from the Clerk API; --from reads users from a file only.`);
  }
  if (requestedMode === 'incremental' && !settings.state) throw new EtlError('USAGE', '--mode incremental needs --state <path | s3://…> to remember the watermark between runs.');
  const client = settings.from
    ? undefined
    : clerkClientFrom(settings, log, 'Set it to the sk_live_… or sk_test_… secret key of the instance to export (Clerk Dashboard → API keys), or export from a file with --from.');
  const stateStore = settings.state ? new StateStore(settings.state, { s3: settings.s3, log }) : undefined;
  let locked = false;
  if (stateStore && !settings.dryRun) {
    const lock = await stateStore.acquireLock(runId, (settings.lockTtlMinutes ?? DEFAULT_LOCK_TTL_MINUTES) * 60_000, log);
    if (!lock.ok) {
      const h = lock.holder;
      throw new EtlError(
        'LOCKED',
        `Another run holds the lock on ${settings.state}${h ? `: run ${h.run_id} on host ${h.host}, pid ${h.pid}, started ${h.started_at}` : ''}. Nothing was done. The lock is taken over after ${settings.lockTtlMinutes ?? DEFAULT_LOCK_TTL_MINUTES} minutes (--lock-ttl).`,
      );
    }
    locked = true;
  }
  try {
    const { state: before, version } = stateStore ? await stateStore.read() : { state: null, version: undefined };
    let mode = requestedMode;
    let modeNote: string | undefined;
    if (mode === 'incremental' && !before) {
      mode = 'full';
      modeNote = 'no state yet: the first run is a full export';
      log.info(modeNote, { state: settings.state });
    }
    const overlapMs = (settings.overlapMinutes ?? DEFAULT_OVERLAP_MINUTES) * 60_000;
    /** Start of the next run's overlap window: (id, updated_at) pairs from here on are remembered for it. */
    const recentSince = startedAt - overlapMs;
    const window = mode === 'incremental' ? { from: before!.watermark - overlapMs, to: startedAt } : undefined;
    let source: Source | undefined;
    const userText = settings.formats.includes('raw') ? 'all' : 'lossy';
    if (!wanted.users) source = undefined;
    else if (settings.from) source = new FileSource(settings.from, settings.inputFormat);
    else if (mode === 'incremental') source = new ClerkIncrementalSource({ client: client!, since: window!.from, until: startedAt, userText });
    else source = new ClerkApiSource({ client: client!, snapshotAt: startedAt, concurrency: settings.concurrency, userText });
    const listSources = wanted.others.map((resource) => ({ resource, source: new ClerkListSource({ client: client!, resource }) }));

    if (settings.dryRun) {
      const estimate = client && source ? await client.countUsers(mode === 'full' ? { created_at_before: startedAt } : {}, signal) : undefined;
      const plan = {
        mode,
        ...(modeNote ? { mode_note: modeNote } : {}),
        window: window ? { from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString() } : { created_before: new Date(startedAt).toISOString() },
        resources: [...(source ? ['users'] : []), ...wanted.others],
        source: source?.description ?? { kind: 'clerk-api' },
        estimated_users: estimate ?? null,
        estimate_note: mode === 'incremental' ? 'Clerk cannot count users by updated_at: this is every user; the run reads only those changed in the window' : undefined,
        destination: redactUrl(settings.to),
        formats: settings.formats,
        detect_deletions: mode === 'full' ? Boolean(before?.ids) : Boolean(settings.detectDeletions && before?.ids),
        state: settings.state ?? null,
        state_watermark: before ? before.watermark_iso : null,
      };
      return { status: 'planned', runId, mode, modeNote, window, stateBefore: before, plan, client };
    }

    // Deletions: a full run compares with the ids of the previous full run; an incremental run only with --detect-deletions.
    const wantIds = Boolean(stateStore) && Boolean(source) && !settings.from && (mode === 'full' || settings.detectDeletions === true);
    const previousIds = wantIds && before?.ids ? await stateStore!.readIds(before.ids.file) : undefined;
    const alreadyExported = mode === 'incremental' && before?.recent ? new Map(before.recent) : undefined;
    // The resources besides users: the previous run's (id, updated_at) per resource tells deletions
    // (every run) and unchanged records (incremental runs: not written again).
    const previousResources = new Map<ResourceName, Map<string, number>>();
    if (stateStore) for (const r of wanted.others) if (before?.resources?.[r]) previousResources.set(r, await stateStore.readPairs(before.resources[r].file));
    // A PostgreSQL mirror: the run is written as CSV to a private local folder, then applied in one transaction (docs/postgres.md).
    const mirror = isPostgresUrl(settings.to) ? new PostgresMirror(settings.to, log) : undefined;
    const staged = mirror ? stagingFolderForPostgres() : undefined;
    const formats: FormatName[] = mirror ? ['csv'] : settings.formats;
    const destination = await openDestination(staged ?? settings.to, runId, { s3: settings.s3, orphanGraceMs: settings.orphanGraceMs, log });
    const progress = new Progress(log, settings.progress && Boolean(process.stderr.isTTY));
    log.info('export started', { run_id: runId, mode, resources: [...(source ? ['users'] : []), ...wanted.others].join(','), to: destination.url, formats: settings.formats.join(',') });
    let result: ExportResult;
    try {
      result = await runExport({
        source,
        resources: listSources.length ? { sources: listSources, previous: stateStore ? previousResources : undefined, changedOnly: mode === 'incremental' } : undefined,
        destination,
        formats,
        runId,
        startedAt,
        signal,
        log,
        mode,
        window,
        alreadyExported,
        recentSince: stateStore ? recentSince : undefined,
        deletions: previousIds
          ? { previous: previousIds, current: mode === 'incremental' ? () => sweepIds(client!, startedAt, settings.concurrency, signal, log, runId) : undefined }
          : undefined,
        skipWhenEmpty: mode === 'incremental',
        allowEmpty: settings.allowEmpty,
        policy,
        schemaContract: settings.schemaContract,
        parquet: { rowGroupSize: settings.rowGroupSize, codec: settings.parquetCodec },
        ...(await resolveWorkers(settings)),
        layout: mirror ? { csvFormulaEscape: false } : { maxRowsPerFile: settings.maxRowsPerFile, maxFileBytes: settings.maxFileBytes, compress: settings.compress, csvFormulaEscape: settings.csvFormulaEscape },
        onProgress: settings.progress ? (p) => progress.update(p) : undefined,
        clerkStats: client ? () => clerkStatsReport(client.stats) : undefined,
      });
    } finally {
      progress.done();
    }
    let applied: ApplyResult | undefined;
    if (mirror && staged) {
      try {
        // Before the state: a run the database did not take leaves the watermark where it was.
        if (result.status === 'published') {
          const manifest = result.manifest;
          applied = await mirror.apply({ manifest, pathOf: (p) => path.join(staged, p) }, settings.onDelete ?? 'mark', signal);
          log.info('run applied to PostgreSQL', { run_id: runId, schema: mirror.schema, status: applied.status });
        }
      } finally {
        rmSync(staged, { recursive: true, force: true });
      }
    }
    let stateAfter: RunState | undefined;
    if (stateStore) {
      // Only now, after the manifest: a run that failed before this point leaves the watermark where it was.
      const newIds = wantIds ? await stateStore.writeIds(runId, mode === 'full' ? result.seenIds : (result.currentIds ?? result.seenIds)) : undefined;
      const recent = rememberedPairs(before?.recent, result.recent, recentSince);
      const resources = { ...before?.resources };
      for (const [r, pairs] of result.resourceIds ?? []) resources[r] = { run_id: runId, ...(await stateStore.writePairs(runId, r, pairs)) };
      // A run that did not read the users leaves their watermark where it was (0 when none yet: the
      // next incremental run of the users then reads them all, nothing missed).
      const users = source
        ? { watermark: startedAt, ids: newIds ? { run_id: runId, ...newIds } : before?.ids, recent: recent.length <= MAX_RECENT ? recent : undefined }
        : { watermark: before?.watermark ?? 0, ids: before?.ids, recent: before?.recent };
      stateAfter = {
        state_version: 1,
        watermark: users.watermark,
        watermark_iso: new Date(users.watermark).toISOString(),
        last_run_id: runId,
        last_mode: mode,
        ids: users.ids,
        ...(users.recent ? { recent: users.recent } : {}),
        ...(Object.keys(resources).length ? { resources } : {}),
        updated_at: new Date().toISOString(),
      };
      await stateStore.write(stateAfter, version);
      if (newIds && before?.ids && before.ids.file !== newIds.file) await stateStore.deleteIds(before.ids.file).catch(() => undefined);
      for (const [r, old] of Object.entries(before?.resources ?? {})) if (resources[r]?.file !== old.file) await stateStore.deleteIds(old.file).catch(() => undefined);
    }
    const ran = { client, runId, mode, modeNote, window, stateBefore: before, stateAfter, postgres: applied };
    return result.status === 'published' ? { ...ran, status: result.status, result } : { ...ran, status: result.status, result };
  } finally {
    if (locked) await stateStore!.releaseLock().catch((err: unknown) => log.warn('could not release the lock', { error: (err as Error).message }));
  }
}

/**
 * A private (0700) folder for a run bound for PostgreSQL: `<tmp>/clerk-etl-pg-<pid>-…`. A run killed
 * with SIGKILL cannot remove its own: the ones whose process is gone are removed here first.
 */
function stagingFolderForPostgres(): string {
  for (const name of readdirSync(os.tmpdir())) {
    const m = /^clerk-etl-pg-(\d+)-/.exec(name);
    if (m && !processAlive(Number(m[1]))) rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
  }
  return mkdtempSync(path.join(os.tmpdir(), `clerk-etl-pg-${process.pid}-`));
}

/** Every id that exists now (created before the snapshot): the deletion check of an incremental run. */
async function sweepIds(client: ClerkClient, snapshotAt: number, concurrency: number, signal: AbortSignal, log: Logger, runId: string): Promise<IdSet> {
  const ids = new IdSet();
  const sweep = new ClerkApiSource({ client, snapshotAt, concurrency, userText: 'none' });
  for await (const batch of sweep.read({ signal, log, runId })) {
    for (const r of batch) {
      const id = idOf(r.value);
      if (id !== null) ids.add(id);
    }
  }
  log.info('id sweep for deletions done', { users: ids.size, pages: sweep.pages });
  return ids;
}

/** Files smaller than this are transformed in the main thread under `--workers auto`. */
export const AUTO_WORKERS_MIN_BYTES = 32 * 1024 * 1024;

/** API exports with fewer users than this are transformed in the main thread under `--workers auto`. */
export const AUTO_WORKERS_MIN_USERS = 20_000;

/**
 * The transform workers of a run (0: the main thread), and for API sources the number of users
 * below which they are not started.
 */
export async function resolveWorkers(settings: Pick<ExportSettings, 'workers' | 'from'>): Promise<{ workers: number; workersMinUsers?: number }> {
  const w = settings.workers ?? 'auto';
  if (w !== 'auto') return { workers: w > 1 ? w : 0 };
  const n = autoWorkers();
  if (n < 2) return { workers: 0 };
  if (!settings.from) return { workers: n, workersMinUsers: AUTO_WORKERS_MIN_USERS };
  const size = await stat(settings.from).then((s) => s.size, () => 0);
  return { workers: size >= AUTO_WORKERS_MIN_BYTES ? n : 0 };
}
