import path from 'node:path';
import { EtlError } from '../errors.js';
import { ClerkCsvSource } from '../extract/clerk-csv-source.js';
import { assertReadable, FileSource } from '../extract/file-source.js';
import type { Source } from '../extract/source.js';
import { runImport, type ImportSummary, type OnConflict } from './import-run.js';
import type { Logger } from '../log.js';
import { newRunId } from './run-id.js';
import type { ExternalIdMode } from '../transform/import-user.js';
import { clerkClientFrom, type ClientSettings } from './clerk-connection.js';
import { Progress } from './progress.js';
import { countRecords } from '../extract/count-records.js';
import { StateStore } from '../state/state-store.js';
import { assertSupportedLocation } from '../location.js';
import { FilesSource, isExportFolder, openExportFolder, rawFiles, type ExportFolder } from '../extract/export-folder.js';
import { runOrgImport, type OrgImportSummary } from './import-orgs.js';
import { DONE_STATES, ImportJournal } from '../state/import-journal.js';
import { ensurePrivateDir, writePrivateFile } from '../private-fs.js';
import type { ClerkClient } from '../clerk/client.js';

/** Options of one import, after flags and environment are resolved. */
export interface ImportSettings extends ClientSettings {
  from: string;
  inputFormat: 'auto' | 'raw' | 'clerk-csv';
  reportDir: string;
  onConflict: OnConflict;
  dryRun: boolean;
  concurrency: number;
  externalId: ExternalIdMode;
  progress: boolean;
}

export async function executeImport(settings: ImportSettings, log: Logger, signal: AbortSignal): Promise<ImportSummary> {
  // An export folder (or one of its manifests): its raw users, then its organizations and memberships.
  const folder = isExportFolder(settings.from) ? openExportFolder(settings.from) : undefined;
  const kind = folder ? 'raw' : settings.inputFormat === 'auto' ? (/\.csv$/i.test(settings.from) ? 'clerk-csv' : 'raw') : settings.inputFormat;
  const source: Source = folder
    ? new FilesSource(rawFiles(folder, 'raw_users'), { kind: 'export', manifest: folder.manifestFile })
    : kind === 'clerk-csv'
      ? new ClerkCsvSource(settings.from)
      : new FileSource(settings.from, 'auto');
  const client = settings.dryRun
    ? undefined
    : clerkClientFrom(settings, log, 'Set it to the secret key (sk_live_… / sk_test_…) of the instance to import into, or use --dry-run to check the file without sending.');
  const progress = new Progress(log, settings.progress && Boolean(process.stderr.isTTY), undefined, 'failed');
  const runId = newRunId();
  // A wrong path stops here, before the report folder is made or reports are written.
  if (!folder) await assertReadable(settings.from);
  const lock = await lockReportFolder(settings.reportDir, runId, log);
  log.info(settings.dryRun ? 'import dry run started: nothing will be sent' : 'import started', { run_id: runId, from: settings.from, input_format: kind, report: settings.reportDir, on_conflict: settings.onConflict });
  // The total for the progress display, counted alongside the import (one quick read of the file).
  let expected: number | undefined;
  const counting = new AbortController();
  if (settings.progress && !folder) void countRecords(settings.from, kind, AbortSignal.any([signal, counting.signal])).then((n) => (expected = n));
  try {
    // One cheap authenticated read before the first create: a wrong key stops here, with nothing
    // sent and nothing left `pending` in the journal. A dry run never contacts Clerk (it has no client).
    if (client) await client.listUsers({ limit: 1 }, signal);
    const summary = await runImport({
      source,
      inputKind: kind,
      client,
      reportDir: settings.reportDir,
      onConflict: settings.onConflict,
      dryRun: settings.dryRun,
      concurrency: settings.concurrency,
      externalId: settings.externalId,
      runId,
      signal,
      log,
      onProgress: settings.progress ? (p) => progress.update({ read: p.done + p.failed, written: p.done, rejected: p.failed, expected }) : undefined,
    });
    // The importer reads the file more than once (shared identifiers are checked first): each warning once.
    if (source instanceof ClerkCsvSource) for (const w of new Set(source.headerWarnings)) log.warn(`dashboard CSV: ${w}`);
    if (folder) {
      summary.organizations = await importOrganizations(folder, settings, client, runId, signal, log, summary);
      return summary;
    }
    // An input without a single record is a wrong file, not a finished migration: say so (exit 1).
    if (summary.counts.read === 0) {
      throw new EtlError('INPUT_INVALID', `${settings.from} holds no record: nothing was imported. Check the file (an empty export, the wrong path or a truncated download?).`);
    }
    return summary;
  } finally {
    counting.abort();
    progress.done();
    await lock.release().catch((err: unknown) => log.warn('could not release the lock of the report folder', { error: (err as Error).message }));
  }
}

/**
 * After the users of an export folder: its organizations and memberships, the users mapped through
 * the users' journal. The summary (`summary.json`) is written again with both parts.
 */
async function importOrganizations(
  folder: ExportFolder,
  settings: ImportSettings,
  client: ClerkClient | undefined,
  runId: string,
  signal: AbortSignal,
  log: Logger,
  users: ImportSummary,
): Promise<OrgImportSummary | undefined> {
  if (!rawFiles(folder, 'raw_organizations').length && !rawFiles(folder, 'raw_organization_memberships').length) return undefined;
  const userIds = new Map<string, string>();
  const userFailures = new Map<string, string>();
  if (!settings.dryRun) {
    const journal = new ImportJournal(settings.reportDir, log);
    for (const e of journal.entries()) {
      if (e.clerk_id && DONE_STATES.has(e.state)) userIds.set(e.source_id, e.clerk_id);
      else if (e.state === 'failed') userFailures.set(e.source_id, e.code ?? 'failed');
    }
    journal.close();
  }
  let orgs: OrgImportSummary | undefined;
  try {
    orgs = await runOrgImport({ folder, client, reportDir: settings.reportDir, onConflict: settings.onConflict, dryRun: settings.dryRun, concurrency: settings.concurrency, runId, signal, log, userIds, userFailures });
    return orgs;
  } finally {
    const prefix = settings.dryRun ? 'dry-run-' : '';
    writePrivateFile(path.join(settings.reportDir, `${prefix}summary.json`), JSON.stringify({ ...users, organizations: orgs }, null, 2) + '\n');
  }
}

/**
 * Two imports into one report folder would share its journal: the second would skip or mislabel
 * what the first is creating. The folder is locked with the export's lock (`<report>/import.lock`,
 * created only if absent; a lock of a process of this host that no longer runs is taken over with
 * a warning). An import can run for days at Clerk's development limit, so, unlike an export's,
 * the lock has no age limit: a lock left by a run on another host is removed by hand.
 */
async function lockReportFolder(reportDir: string, runId: string, log: Logger): Promise<{ release(): Promise<void> }> {
  // A local folder only: `s3://…` would put the lock on S3 and the journal in a local folder `s3:`.
  assertSupportedLocation(reportDir, '--report');
  try {
    ensurePrivateDir(reportDir);
  } catch (err) {
    throw new EtlError('SINK_WRITE', `Cannot create the report folder ${reportDir} (--report): ${(err as Error).message}`, { cause: err });
  }
  // Only the lock of this StateStore is used: `<report>/import` itself is never written.
  const store = new StateStore(path.join(reportDir, 'import'));
  const lockFile = path.join(reportDir, 'import.lock');
  const got = await store.acquireLock(runId, Number.POSITIVE_INFINITY, log);
  if (!got.ok) {
    const h = got.holder;
    throw new EtlError(
      'LOCKED',
      `Another import uses the report folder ${reportDir}${h ? `: run ${h.run_id} on host ${h.host}, pid ${h.pid}, started ${h.started_at}` : ''}. Nothing was done. Wait for it to finish, or give this import its own --report; if that run is gone (another host), remove ${lockFile}.`,
    );
  }
  return { release: () => store.releaseLock() };
}
