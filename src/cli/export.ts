import { executeExport, expandResources, type ExportOutcome, type ExportSettings } from '../pipeline/export.js';
import { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { makeDirsSync } from '../private-fs.js';
import path from 'node:path';
import { EtlError, redactSecrets } from '../errors.js';
import type { Logger } from '../log.js';
import { type ExportPublished } from '../pipeline/export-run.js';
import { COLUMN_ACTIONS, type ColumnAction, type PiiPolicySpec, type PiiPreset } from '../transform/pii-policy.js';
import { ALL_TABLES } from '../model/schema.js';
import { abortOnSignals, HELP_WITH_DEFAULTS, loggerFromFlags, type LogFlags } from './common.js';
import { clerkStatsReport } from '../clerk/stats-report.js';
import type { S3Options } from '../state/s3-client.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { loadConfigFile } from '../config/load.js';
import type { ConfigFile } from '../config/schema.js';
import { duration, fmt } from '../pipeline/progress.js';
import { EXPORT_HELP_GROUPS, EXPORT_SETTINGS } from '../settings/declarations.js';
import type { Resolved } from '../settings/declare.js';
import { addSettingOptions, resolveSettings } from './options.js';

function s3OptionsFrom(flags: Pick<Resolved<typeof EXPORT_SETTINGS>, 's3Endpoint' | 's3Region' | 's3PathStyle' | 's3Sse' | 's3KmsKeyId' | 's3StorageClass' | 's3PartSize' | 's3QueueSize' | 's3Checksums'>): S3Options {
  if (flags.s3Sse === 'aws:kms' && !flags.s3KmsKeyId) throw new EtlError('USAGE', '--s3-sse aws:kms needs --s3-kms-key-id.');
  if (flags.s3KmsKeyId && flags.s3Sse !== 'aws:kms') throw new EtlError('USAGE', '--s3-kms-key-id is only used with --s3-sse aws:kms.');
  return {
    endpoint: flags.s3Endpoint,
    region: flags.s3Region,
    forcePathStyle: flags.s3PathStyle,
    sse: flags.s3Sse,
    kmsKeyId: flags.s3KmsKeyId,
    storageClass: flags.s3StorageClass,
    partSize: flags.s3PartSize,
    queueSize: flags.s3QueueSize,
    checksums: flags.s3Checksums,
  };
}

/** The end-of-run summary, for people. */
export function summaryText(result: ExportPublished, root: string): string {
  const m = result.manifest;
  const secs = result.durationMs / 1000;
  const readUsers = m.resources.includes('users');
  const lines = [
    readUsers
      ? `Export ${m.run_id} finished in ${duration(secs)}: ${fmt(m.counts.read)} users read, ${fmt(m.counts.written)} written, ${fmt(m.counts.rejected)} rejected (${fmt(Math.round(m.counts.read / Math.max(secs, 0.001)))} users/s).`
      : `Export ${m.run_id} finished in ${duration(secs)}.`,
    ...Object.entries(m.counts.resources ?? {}).map(
      ([r, c]) =>
        `${r}: ${fmt(c.read)} read, ${fmt(c.written)} written, ${fmt(c.rejected)} rejected` +
        (c.unchanged ? `, ${fmt(c.unchanged)} unchanged` : '') +
        (c.deleted ? `, ${fmt(c.deleted)} deleted` : '') +
        (c.note ? ` (${c.note})` : '') +
        '.',
    ),
    'Rows per table:',
    ...ALL_TABLES.flatMap((t) => (m.counts.rows[t.name] === undefined ? [] : [`  ${t.name.padEnd(31)} ${fmt(m.counts.rows[t.name]!).padStart(12)}`])),
  ];
  if (m.clerk) lines.push(`Clerk API: ${fmt(m.clerk.requests)} requests, ${fmt(m.clerk.retries)} retries, ${fmt(m.clerk.rate_limited_429)} answered 429.`);
  const bytes = m.files.reduce((s, f) => s + f.bytes, 0);
  lines.push(`Files: ${m.files.length} (${(bytes / 1e6).toFixed(1)} MB) under ${root}`);
  lines.push(`Manifest: ${root}/${result.manifestPath}`);
  const rejects = m.files.filter((f) => f.table === '_rejects');
  if (rejects.length) lines.push(`Rejected records, with the reason naming the field: ${rejects.map((f) => `${root}/${f.path}`).join(', ')}`);
  return lines.join('\n');
}

export function exportCommand(setExit: (code: number) => void): Command {
  const command = new Command('export')
    .description('Export Clerk users (from the Backend API or a file) to Parquet / CSV / NDJSON / raw files.')
    .configureHelp(HELP_WITH_DEFAULTS);
  // Help groups, in the order a user decides things; every option shows its default.
  command.optionsGroup('General:').helpOption('-h, --help', 'show this help');
  addSettingOptions(command, EXPORT_SETTINGS, EXPORT_HELP_GROUPS);
  return command.action(async (flags: { config?: string }, cmd: Command) => {
      const cfg = flags.config ? await loadConfigFile(flags.config) : undefined;
      const { settings, summaryFile, logFlags } = exportSettingsFrom(cmd, cfg);
      const log = loggerFromFlags(logFlags);
      await runExportCommand(settings, log, summaryFile, setExit);
    });
}

/**
 * Resolve every setting: a flag the user typed, else the config file's key, else the environment
 * (CLERK_SECRET_KEY, CLERK_API_URL), else the default. Commander's own defaults never beat the file.
 */
export function exportSettingsFrom(cmd: Command, cfg?: ConfigFile): { settings: ExportSettings; summaryFile?: string; logFlags: LogFlags } {
  const {
    config: _config, summaryFile, logFormat, logLevel,
    s3Endpoint, s3Region, s3PathStyle, s3Sse, s3KmsKeyId, s3StorageClass, s3PartSize, s3QueueSize, s3Checksums,
    piiPreset, piiColumnFlags, piiColumns, dropTables,
    ...settings
  } = resolveSettings(EXPORT_SETTINGS, cmd, cfg);
  return {
    settings: {
      ...settings,
      s3: s3OptionsFrom({ s3Endpoint, s3Region, s3PathStyle, s3Sse, s3KmsKeyId, s3StorageClass, s3PartSize, s3QueueSize, s3Checksums }),
      pii: piiSpec(piiPreset, piiColumnFlags ?? [], piiColumns, dropTables),
    },
    summaryFile,
    logFlags: { logFormat, logLevel },
  };
}

/** The PII policy from --pii / --pii-column / --drop-table and the config's export.pii (flags win per column). */
function piiSpec(preset: PiiPreset | undefined, columnFlags: string[], configColumns: Record<string, ColumnAction> | undefined, dropTables: string[] | undefined): PiiPolicySpec | undefined {
  const columns: Record<string, ColumnAction> = { ...configColumns };
  for (const c of columnFlags) {
    const m = /^([a-z_]+\.[a-z0-9_]+)=([a-z]+)$/.exec(c.trim());
    if (!m) throw new EtlError('USAGE', `--pii-column must look like users.first_name=mask (actions: ${COLUMN_ACTIONS.join(', ')}), got "${c}".`);
    columns[m[1]!] = m[2] as ColumnAction;
  }
  if (!preset && !Object.keys(columns).length && !dropTables?.length) return undefined;
  return { preset: preset ?? 'none', columns, dropTables };
}

/** Run, print the summary, write the summary file (also on failure), set the exit code. */
export async function runExportCommand(settings: ExportSettings, log: Logger, summaryFile: string | undefined, setExit: (code: number) => void): Promise<void> {
  const signals = abortOnSignals(log);
  const started = Date.now();
  let outcome: ExportOutcome | undefined;
  let failure: unknown;
  let code: number = EXIT.OK;
  try {
    outcome = await executeExport(settings, log, signals.signal);
    if (outcome.status === 'planned') {
      process.stdout.write(`Plan (dry run: nothing is written):\n${JSON.stringify(outcome.plan, null, 2)}\n`);
    } else if (outcome.status === 'nothing_to_do') {
      const readUsers = expandResources(settings.resources).users;
      process.stdout.write(
        readUsers
          ? `Nothing to do: no user changed since ${outcome.stateBefore?.watermark_iso ?? 'the last run'} (minus the overlap). No files written; the watermark moved to ${outcome.stateAfter?.watermark_iso}.\n`
          : `Nothing to do: no record changed or disappeared since the last run. No files written.\n`,
      );
      code = EXIT.NOTHING_TO_DO;
    } else {
      process.stdout.write(redactSecrets(summaryText(outcome.result, settings.to)) + '\n');
      const m = outcome.result.manifest;
      code = m.counts.rejected > 0 ? EXIT.REJECTED : m.schema_contract === 'freeze' && m.drift.length > 0 ? EXIT.WARNINGS : EXIT.OK;
      if (code === EXIT.WARNINGS) process.stdout.write(`Schema drift under --schema-contract freeze: ${m.drift.map((d) => `${d.field} (${d.users} users)`).join(', ')}; kept in _extra.\n`);
    }
  } catch (err) {
    failure = err;
    code = exitCodeFor(err);
    throw err;
  } finally {
    signals.dispose();
    // Published, but monitoring that reads the summary would see nothing: a distinct exit code.
    // A failed run keeps its own code (the log line says the summary is missing too).
    if (summaryFile && !writeSummaryFile(summaryFile, settings, outcome, failure, code, started, log) && !failure) code = EXIT.SUMMARY_NOT_WRITTEN;
    setExit(code);
  }
}

/** Returns false (after logging why) when the file could not be written. */
function writeSummaryFile(file: string, settings: ExportSettings, outcome: ExportOutcome | undefined, failure: unknown, exitCode: number, started: number, log: Logger): boolean {
  const published = outcome?.status === 'published' ? outcome.result : undefined;
  const m = published?.manifest;
  const stateAfter = outcome?.stateAfter;
  const stats = outcome?.client?.stats;
  const summary = {
    status: failure ? 'failed' : outcome?.status,
    exit_code: exitCode,
    error: failure ? redactSecrets(failure instanceof Error ? failure.message : String(failure)) : undefined,
    run_id: outcome?.runId,
    mode: outcome?.mode ?? settings.mode ?? 'full',
    mode_note: outcome?.modeNote,
    window: outcome?.window ? { from: new Date(outcome.window.from).toISOString(), to: new Date(outcome.window.to).toISOString() } : undefined,
    started_at: new Date(started).toISOString(),
    finished_at: new Date().toISOString(),
    duration_ms: Date.now() - started,
    destination: settings.to,
    formats: settings.formats,
    counts: m?.counts ?? (outcome?.status === 'nothing_to_do' ? { read: 0, written: 0, rejected: 0 } : undefined),
    rejected: m?.counts.rejected,
    deleted: m?.counts.deleted,
    clerk: stats ? clerkStatsReport(stats) : undefined,
    manifest: published ? `${settings.to}/${published.manifestPath}` : undefined,
    files: m?.files.map((f) => ({ table: f.table, format: f.format, path: f.path, rows: f.rows, bytes: f.bytes })),
    state: settings.state,
    state_before: outcome?.stateBefore ? { watermark: outcome.stateBefore.watermark_iso, last_run_id: outcome.stateBefore.last_run_id, ids: outcome.stateBefore.ids?.count } : null,
    state_after: stateAfter ? { watermark: stateAfter.watermark_iso, last_run_id: stateAfter.last_run_id, ids: stateAfter.ids?.count } : null,
    plan: outcome?.status === 'planned' ? outcome.plan : undefined,
  };
  try {
    makeDirsSync(path.dirname(path.resolve(file)));
    writeFileSync(file, redactSecrets(JSON.stringify(summary, null, 2)) + '\n');
    return true;
  } catch (err) {
    log.error(`could not write the summary file; exit code ${EXIT.SUMMARY_NOT_WRITTEN} if the run itself succeeded`, { file, error: (err as Error).message });
    return false;
  }
}
