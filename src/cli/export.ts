import { DEFAULT_API_URL } from '../pipeline/clerk-connection.js';
import { DEFAULT_LOCK_TTL_MINUTES, DEFAULT_OVERLAP_MINUTES, executeExport, type ExportOutcome, type ExportSettings } from '../pipeline/export.js';
import { Command, Option } from 'commander';
import { writeFileSync } from 'node:fs';
import { makeDirsSync } from '../private-fs.js';
import path from 'node:path';
import { EtlError, redactSecrets } from '../errors.js';
import type { Logger } from '../log.js';
import { type FileFormat } from '../extract/file-source.js';
import { FORMATS, PARQUET_CODECS, type FormatName, type ParquetCodec } from '../load/formats.js';
import { type ExportResult } from '../pipeline/export-run.js';
import { COLUMN_ACTIONS, PII_PRESETS, type ColumnAction, type PiiPolicySpec, type PiiPreset } from '../transform/pii-policy.js';
import { ALL_TABLES } from '../model/schema.js';
import { abortOnSignals, documentDefault, HELP_WITH_DEFAULTS, listOption, loggerFromFlags, logOptions, nonNegativeInt, positiveInt, type LogFlags } from './common.js';
import { DEFAULT_RETRY_POLICY } from '../clerk/retry.js';
import { clerkStatsReport } from '../clerk/stats-report.js';
import { DEFAULT_MAX_FILE_BYTES } from '../load/export-sink.js';
import { DEFAULT_PART_SIZE, DEFAULT_QUEUE_SIZE, type S3Options } from '../load/s3-destination.js';
import { formatSize } from '../settings/values.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { loadConfigFile } from '../config/load.js';
import { flagValue, pick } from '../config/merge.js';
import type { ConfigFile } from '../config/schema.js';
import { duration, fmt } from '../pipeline/progress.js';



/** Formats when neither a flag nor the config file names any. */
export const DEFAULT_FORMATS: readonly FormatName[] = ['parquet'];

/**
 * `--format` and `export.format`: a comma-separated string or a list (repeated flags), with the
 * duplicates dropped and the order of first appearance kept.
 */
export function parseFormats(value: string | readonly string[]): FormatName[] {
  const list = [...new Set((typeof value === 'string' ? [value] : value).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean))];
  if (list.length === 0) throw new EtlError('USAGE', `--format needs at least one of ${FORMATS.join(', ')}.`);
  for (const f of list) {
    if (!(FORMATS as readonly string[]).includes(f)) throw new EtlError('USAGE', `Unknown format "${f}" in --format. Use any of: ${FORMATS.join(', ')}.`);
  }
  return list as FormatName[];
}

/** `--rate-limit 100` (per 10 s) or `--rate-limit 100/10s`. */
export function parseRateLimit(value: string): { requests: number; windowMs: number } {
  const m = /^(\d+)(?:\/(\d+(?:\.\d+)?)s?)?$/.exec(value.trim());
  if (!m || Number(m[1]) < 1) throw new EtlError('USAGE', `--rate-limit must look like 100 or 100/10s (requests per seconds), got "${value}".`);
  return { requests: Number(m[1]), windowMs: m[2] ? Math.round(Number(m[2]) * 1000) : 10_000 };
}





function s3OptionsFromFlags(flags: ExportFlags): S3Options {
  if (flags.s3Sse === 'aws:kms' && !flags.s3KmsKeyId) throw new EtlError('USAGE', '--s3-sse aws:kms needs --s3-kms-key-id.');
  if (flags.s3KmsKeyId && flags.s3Sse !== 'aws:kms') throw new EtlError('USAGE', '--s3-kms-key-id is only used with --s3-sse aws:kms.');
  if (flags.s3PartSize !== undefined && flags.s3PartSize < 5 * 1024 * 1024) throw new EtlError('USAGE', '--s3-part-size must be at least 5MiB (S3\'s minimum part size).');
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
export function summaryText(result: ExportResult, root: string): string {
  const m = result.manifest;
  const secs = result.durationMs / 1000;
  const lines = [
    `Export ${m.run_id} finished in ${duration(secs)}: ${fmt(m.counts.read)} users read, ${fmt(m.counts.written)} written, ${fmt(m.counts.rejected)} rejected (${fmt(Math.round(m.counts.read / Math.max(secs, 0.001)))} users/s).`,
    'Rows per table:',
    ...ALL_TABLES.map((t) => `  ${t.name.padEnd(31)} ${fmt(m.counts.rows[t.name]).padStart(12)}`),
  ];
  if (m.clerk) lines.push(`Clerk API: ${fmt(m.clerk.requests)} requests, ${fmt(m.clerk.retries)} retries, ${fmt(m.clerk.rate_limited_429)} answered 429.`);
  const bytes = m.files.reduce((s, f) => s + f.bytes, 0);
  lines.push(`Files: ${m.files.length} (${(bytes / 1e6).toFixed(1)} MB) under ${root}`);
  lines.push(`Manifest: ${root}/${result.manifestPath}`);
  if (m.counts.rejected) lines.push(`Rejected records, with the reason naming the field: ${root}/${m.files.find((f) => f.table === '_rejects')?.path}`);
  return lines.join('\n');
}

interface ExportFlags extends LogFlags {
  to: string;
  format: string[];
  mode: string;
  from?: string;
  inputFormat: FileFormat;
  apiUrl?: string;
  concurrency: number;
  rateLimit?: string;
  requestTimeout?: number;
  maxAttempts?: number;
  rowGroupSize?: number;
  parquetCodec?: ParquetCodec;
  maxRowsPerFile?: number;
  maxFileBytes?: number;
  compress: 'gzip' | 'none';
  s3Endpoint?: string;
  s3Region?: string;
  s3PathStyle?: boolean;
  s3Sse?: 'AES256' | 'aws:kms';
  s3KmsKeyId?: string;
  s3StorageClass?: string;
  s3PartSize?: number;
  s3QueueSize?: number;
  s3Checksums?: 'when_supported' | 'when_required';
  s3OrphanGrace: number;
  pii?: string;
  piiColumn: string[];
  dropTable: string[];
  csvFormulaEscape: string;
  schemaContract: string;
  state?: string;
  overlap: number;
  detectDeletions?: boolean;
  lockTtl: number;
  summaryFile?: string;
  dryRun?: boolean;
  config?: string;
  progress: boolean;
}

/** `--workers`: `auto` or a whole number. */
export function parseWorkers(value: string): number | 'auto' {
  if (value.trim() === 'auto') return 'auto';
  if (!/^\d+$/.test(value.trim())) throw new EtlError('USAGE', `--workers must be auto or a whole number, got "${value}".`);
  return Number(value);
}




/** `134217728`, `128MiB`, `128MB`, `1.5G` → bytes. */
export function parseBytes(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(value.trim());
  if (!m) throw new EtlError('USAGE', `Not a size: "${value}". Use bytes or a suffix: 128MiB, 512MB, 1G.`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  const n = Math.round(Number(m[1]) * unit);
  if (n < 1) throw new EtlError('USAGE', `Size must be at least 1 byte: "${value}".`);
  return n;
}

/** The "Clerk API:" help group, the same for every command that talks to Clerk. */
export function clerkApiOptions(command: Command): Command {
  return command
    .optionsGroup('Clerk API:')
    .addOption(documentDefault(new Option('--api-url <url>', 'Clerk Backend API origin'), `CLERK_API_URL, else ${DEFAULT_API_URL}`))
    .addOption(documentDefault(new Option('--rate-limit <n[/Ns]>', 'requests per window'), 'from the key: sk_live_ 1000/10s, sk_test_ 100/10s'))
    .addOption(documentDefault(new Option('--request-timeout <ms>', 'timeout of one API request').argParser(positiveInt('--request-timeout')), '30000'))
    .addOption(documentDefault(new Option('--max-attempts <n>', 'attempts per API request (retries with backoff) before giving up').argParser(positiveInt('--max-attempts')), String(DEFAULT_RETRY_POLICY.maxAttempts)));
}

export function exportCommand(setExit: (code: number) => void): Command {
  const command = new Command('export')
    .description('Export Clerk users (from the Backend API or a file) to Parquet / CSV / NDJSON / raw files.')
    .configureHelp(HELP_WITH_DEFAULTS);
  // Help groups, in the order a user decides things; every option shows its default.
  command
    .optionsGroup('General:')
    .helpOption('-h, --help', 'show this help')
    .addOption(documentDefault(new Option('--config <file>', 'YAML config file (see config/); flags > config file > environment > defaults'), 'none'))
    .addOption(documentDefault(new Option('--dry-run', 'print the plan (mode, window, estimated users, destination, formats) and write nothing'), 'off'))
    .addOption(documentDefault(new Option('--summary-file <path>', 'write the run summary JSON here (also when the run fails)'), 'none'));
  logOptions(command, 'every page');
  command
    .optionsGroup('Source:')
    .addOption(documentDefault(new Option('--from <file>', 'read users from a file (NDJSON or a JSON array of Users, .gz allowed) instead of the API'), 'the Clerk Backend API'))
    .addOption(new Option('--input-format <format>', 'format of --from').choices(['auto', 'ndjson', 'json-array']).default('auto'))
    .addOption(documentDefault(new Option('--allow-empty', '--from: publish an empty snapshot when the file holds no valid user'), 'off: such a run fails, exit 1'));
  command
    .optionsGroup('Destination:')
    .option('--to <dir | s3://bucket/prefix>', 'output folder or S3 prefix', './clerk-export')
    .addOption(documentDefault(new Option('--s3-endpoint <url>', 'S3-compatible endpoint (MinIO, Ceph, R2)'), 'AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, else AWS'))
    .addOption(documentDefault(new Option('--s3-region <region>', 'S3 region'), 'AWS_REGION / the AWS config'))
    .addOption(documentDefault(new Option('--s3-path-style', 'path-style addressing (endpoint/bucket/key), for most S3-compatible stores'), 'off; on for an IP endpoint'))
    .addOption(new Option('--no-s3-path-style', 'override path_style: true from the config file'))
    .addOption(documentDefault(new Option('--s3-sse <mode>', 'server-side encryption').choices(['AES256', 'aws:kms']), 'the bucket default'))
    .addOption(documentDefault(new Option('--s3-kms-key-id <id>', 'KMS key id or ARN, with --s3-sse aws:kms'), 'the AWS managed key aws/s3'))
    .addOption(documentDefault(new Option('--s3-storage-class <class>', 'e.g. STANDARD_IA, INTELLIGENT_TIERING'), 'the bucket default'))
    .addOption(documentDefault(new Option('--s3-checksums <mode>', 'when_required for servers that mishandle streamed checksums (s3rver)').choices(['when_supported', 'when_required']), 'when_supported'))
    .option('--s3-orphan-grace <minutes>', 'at start, abort multipart uploads of earlier runs (a killed exporter) older than this', nonNegativeInt('--s3-orphan-grace'), 60);
  command
    .optionsGroup('Formats and files:')
    .addOption(new Option('--format <list>', `formats, comma-separated or repeated: ${FORMATS.join(', ')}`).argParser(listOption(DEFAULT_FORMATS)).default(DEFAULT_FORMATS, DEFAULT_FORMATS.join(',')))
    .addOption(new Option('--parquet-codec <codec>', 'Parquet compression').choices([...PARQUET_CODECS]).default('snappy'))
    .addOption(documentDefault(new Option('--row-group-size <n>', 'Parquet rows per row group at most').argParser(positiveInt('--row-group-size')), '25000'))
    .addOption(new Option('--compress <c>', 'compression of CSV, NDJSON and raw files (.gz)').choices(['gzip', 'none']).default('none'))
    .addOption(documentDefault(new Option('--max-rows-per-file <n>', 'start a new part after this many rows').argParser(positiveInt('--max-rows-per-file')), 'no limit'))
    .addOption(documentDefault(new Option('--max-file-bytes <size>', 'start a new part at about this size, e.g. 128MiB').argParser(parseBytes), formatSize(DEFAULT_MAX_FILE_BYTES)));
  command
    .optionsGroup('Scheduling (incremental runs):')
    .addOption(new Option('--mode <mode>', 'full: every user; incremental: users changed since the last run (needs --state)').choices(['full', 'incremental']).default('full'))
    .addOption(documentDefault(new Option('--state <path | s3://…>', 'where the watermark, the id list for deletions and the lock live'), 'none'))
    .option('--overlap <minutes>', 'incremental: re-read users updated this long before the last watermark', nonNegativeInt('--overlap'), DEFAULT_OVERLAP_MINUTES)
    .addOption(documentDefault(new Option('--detect-deletions', 'incremental: also sweep every id to find deleted users (full runs with a state always do)'), 'off'))
    .addOption(new Option('--no-detect-deletions', 'override detect_deletions: true from the config file'))
    .option('--lock-ttl <minutes>', 'take over a lock older than this', positiveInt('--lock-ttl'), DEFAULT_LOCK_TTL_MINUTES);
  command
    .optionsGroup('Governance:')
    .addOption(new Option('--pii <preset>', 'column policy preset; analytics: hash identifiers and names, drop free text and secrets (README lists every column)').choices([...PII_PRESETS]).default('none'))
    .addOption(new Option('--pii-column <table.column=action>', `a column's policy: ${COLUMN_ACTIONS.join('|')} (repeatable)`).argParser(listOption()).default([], 'none'))
    .addOption(new Option('--drop-table <table>', 'leave a whole table out (repeatable or comma-separated)').argParser(listOption()).default([], 'none'))
    .addOption(new Option('--csv-formula-escape <on|off>', "prefix ' to CSV cells starting with = + - @ tab CR (OWASP)").choices(['on', 'off']).default('on'))
    .addOption(new Option('--schema-contract <mode>', 'fields the schema does not know: evolve (keep going), freeze (keep going, exit 6), strict (reject those users)').choices(['evolve', 'freeze', 'strict']).default('evolve'));
  clerkApiOptions(command);
  command
    .optionsGroup('Performance:')
    .option('--concurrency <n>', 'created_at windows paged at the same time', positiveInt('--concurrency'), 4)
    .addOption(new Option('--workers <n|auto>', 'transform workers (threads); auto: one per core (up to 4) for files of 32MiB+ and API exports of 20,000+ users; 0: none').argParser(parseWorkers).default('auto' as const))
    .addOption(documentDefault(new Option('--s3-part-size <size>', 'S3 multipart part size (≥ 5MiB). Memory ≈ open files × part size × (queue size + 1)').argParser(parseBytes), formatSize(DEFAULT_PART_SIZE)))
    .addOption(documentDefault(new Option('--s3-queue-size <n>', 'parts of one file uploaded at once (every table and format uploads in parallel)').argParser(positiveInt('--s3-queue-size')), String(DEFAULT_QUEUE_SIZE)));
  return command.action(async (flags: ExportFlags, cmd: Command) => {
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
  const e = cfg?.export ?? {};
  const c = cfg?.clerk ?? {};
  const s3c = e.s3 ?? {};
  const f = <T>(key: string): T | undefined => flagValue<T>(cmd, key);
  const d = <T>(key: string): T => cmd.getOptionValue(key) as T; // commander's default
  const v = <T>(key: string, fromConfig: T | undefined, fromEnv?: T): T => pick(f<T>(key), fromConfig, fromEnv, d<T>(key)).value;
  const formatValue = v<string | readonly string[]>('format', e.format);
  const rateLimit = v<string | undefined>('rateLimit', c.rate_limit);
  const s3Flags: ExportFlags = {
    ...(cmd.opts() as ExportFlags),
    s3Endpoint: v('s3Endpoint', s3c.endpoint),
    s3Region: v('s3Region', s3c.region),
    s3PathStyle: v('s3PathStyle', s3c.path_style),
    s3Sse: v('s3Sse', s3c.sse),
    s3KmsKeyId: v('s3KmsKeyId', s3c.kms_key_id),
    s3StorageClass: v('s3StorageClass', s3c.storage_class),
    s3PartSize: v('s3PartSize', s3c.part_size),
    s3QueueSize: v('s3QueueSize', s3c.queue_size),
    s3Checksums: v('s3Checksums', s3c.checksums),
  };
  const settings: ExportSettings = {
    to: v('to', e.to),
    formats: parseFormats(formatValue),
    from: v('from', e.from),
    inputFormat: v('inputFormat', e.input_format),
    apiUrl: v('apiUrl', c.api_url, process.env.CLERK_API_URL || undefined) ?? DEFAULT_API_URL,
    secretKey: c.secret_key ?? (process.env.CLERK_SECRET_KEY || undefined),
    concurrency: v('concurrency', e.concurrency),
    rateLimit: rateLimit ? parseRateLimit(rateLimit) : undefined,
    requestTimeoutMs: v('requestTimeout', e.request_timeout_ms),
    maxAttempts: v('maxAttempts', e.max_attempts),
    rowGroupSize: v('rowGroupSize', e.row_group_size),
    parquetCodec: v('parquetCodec', e.parquet_codec),
    maxRowsPerFile: v('maxRowsPerFile', e.max_rows_per_file),
    maxFileBytes: v('maxFileBytes', e.max_file_bytes),
    workers: v('workers', e.workers),
    compress: v('compress', e.compress),
    s3: s3OptionsFromFlags(s3Flags),
    orphanGraceMs: v<number>('s3OrphanGrace', s3c.orphan_grace_minutes) * 60_000,
    progress: d<boolean>('progress'),
    mode: v('mode', e.mode),
    state: v('state', e.state),
    overlapMinutes: v('overlap', e.overlap_minutes),
    detectDeletions: v('detectDeletions', e.detect_deletions),
    lockTtlMinutes: v('lockTtl', e.lock_ttl_minutes),
    dryRun: d<boolean | undefined>('dryRun'),
    allowEmpty: d<boolean | undefined>('allowEmpty'),
    pii: piiSpec(f<string>('pii') ?? e.pii?.preset, f<string[]>('piiColumn') ?? [], e.pii?.columns, f<string[]>('dropTable') ?? e.pii?.drop_tables),
    csvFormulaEscape: ![false, 'off'].includes(v<string | boolean>('csvFormulaEscape', e.csv_formula_escape)),
    schemaContract: v('schemaContract', e.schema_contract),
  };
  return {
    settings,
    summaryFile: v('summaryFile', e.summary_file),
    logFlags: { logFormat: v('logFormat', e.log_format), logLevel: v('logLevel', e.log_level) },
  };
}

/** The PII policy from --pii / --pii-column / --drop-table and the config's export.pii (flags win per column). */
function piiSpec(preset: string | undefined, columnFlags: string[], configColumns: Record<string, string> | undefined, dropTables: string[] | undefined): PiiPolicySpec | undefined {
  const columns: Record<string, ColumnAction> = { ...(configColumns as Record<string, ColumnAction> | undefined) };
  for (const c of columnFlags) {
    const m = /^([a-z_]+\.[a-z0-9_]+)=([a-z]+)$/.exec(c.trim());
    if (!m) throw new EtlError('USAGE', `--pii-column must look like users.first_name=mask (actions: ${COLUMN_ACTIONS.join(', ')}), got "${c}".`);
    columns[m[1]!] = m[2] as ColumnAction;
  }
  if (!preset && !Object.keys(columns).length && !dropTables?.length) return undefined;
  return { preset: (preset ?? 'none') as PiiPreset, columns, dropTables };
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
      process.stdout.write(`Nothing to do: no user changed since ${outcome.stateBefore?.watermark_iso ?? 'the last run'} (minus the overlap). No files written; the watermark moved to ${outcome.stateAfter?.watermark_iso}.\n`);
      code = EXIT.NOTHING_TO_DO;
    } else {
      process.stdout.write(redactSecrets(summaryText(outcome.result!, settings.to)) + '\n');
      const m = outcome.result!.manifest;
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
  const m = outcome?.result?.manifest;
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
    counts: m?.counts ?? (outcome?.result?.nothingToDo ? { read: 0, written: 0, rejected: 0 } : undefined),
    rejected: m?.counts.rejected,
    deleted: m?.counts.deleted,
    clerk: stats ? clerkStatsReport(stats) : undefined,
    manifest: m ? `${settings.to}/${outcome!.result!.manifestPath}` : undefined,
    files: m?.files.map((f) => ({ table: f.table, format: f.format, path: f.path, rows: f.rows, bytes: f.bytes })),
    state: settings.state,
    state_before: outcome?.stateBefore ? { watermark: outcome.stateBefore.watermark_iso, last_run_id: outcome.stateBefore.last_run_id, ids: outcome.stateBefore.ids?.count } : null,
    state_after: outcome?.stateAfter ? { watermark: outcome.stateAfter.watermark_iso, last_run_id: outcome.stateAfter.last_run_id, ids: outcome.stateAfter.ids?.count } : null,
    plan: outcome?.plan,
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
