import { Command, Option } from 'commander';
import { ClerkClient } from '../clerk/client.js';
import { TokenBucket } from '../clerk/rate-limiter.js';
import { EtlError, registerSecret } from '../errors.js';
import type { Logger } from '../log.js';
import { ClerkApiSource } from '../extract/clerk-api-source.js';
import { FileSource, type FileFormat } from '../extract/file-source.js';
import type { Source } from '../extract/source.js';
import { openDestination } from '../load/open-destination.js';
import { FORMATS, PARQUET_CODECS, type FormatName, type ParquetCodec } from '../load/formats.js';
import type { S3Options } from '../load/s3-destination.js';
import { newRunId, runExport, type ExportResult } from '../run-export.js';
import { TABLE_NAMES } from '../transform/schema.js';
import { abortOnSignals, loggerFromFlags, nonNegativeInt, positiveInt, type LogFlags } from './common.js';
import { EXIT } from './exit-codes.js';
import { duration, fmt, Progress } from './progress.js';

export const DEFAULT_API_URL = 'https://api.clerk.com';

/** Options of one export, after flags and environment are resolved. */
export interface ExportSettings {
  to: string;
  formats: FormatName[];
  from?: string;
  inputFormat: FileFormat;
  apiUrl: string;
  secretKey?: string;
  concurrency: number;
  /** Rate limit override, requests per window. */
  rateLimit?: { requests: number; windowMs: number };
  requestTimeoutMs?: number;
  maxAttempts?: number;
  rowGroupSize?: number;
  parquetCodec?: ParquetCodec;
  maxRowsPerFile?: number;
  maxFileBytes?: number;
  compress?: 'gzip' | 'none';
  s3?: S3Options;
  /** S3: abort other runs' multipart uploads older than this at start. Default 60 min. */
  orphanGraceMs?: number;
  progress: boolean;
  /** Fixed run id and start (tests that compare two runs byte for byte). */
  runId?: string;
  startedAt?: number;
}

export function parseFormats(value: string): FormatName[] {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new EtlError('USAGE', '--format needs at least one of parquet, csv, ndjson, raw.');
  for (const f of list) {
    if (!(FORMATS as readonly string[]).includes(f)) throw new EtlError('USAGE', `Unknown format "${f}" in --format. Use any of: ${FORMATS.join(', ')}.`);
  }
  return [...new Set(list)] as FormatName[];
}

/** `--rate-limit 100` (per 10 s) or `--rate-limit 100/10s`. */
export function parseRateLimit(value: string): { requests: number; windowMs: number } {
  const m = /^(\d+)(?:\/(\d+(?:\.\d+)?)s?)?$/.exec(value.trim());
  if (!m || Number(m[1]) < 1) throw new EtlError('USAGE', `--rate-limit must look like 100 or 100/10s (requests per seconds), got "${value}".`);
  return { requests: Number(m[1]), windowMs: m[2] ? Math.round(Number(m[2]) * 1000) : 10_000 };
}

/** Run one export with resolved settings; returns the result. Shared by `export` and `demo`. */
export async function executeExport(settings: ExportSettings, log: Logger, signal: AbortSignal): Promise<{ result: ExportResult; client?: ClerkClient }> {
  const startedAt = settings.startedAt ?? Date.now();
  const runId = settings.runId ?? newRunId(new Date(startedAt));
  let source: Source;
  let client: ClerkClient | undefined;
  if (settings.from) {
    source = new FileSource(settings.from, settings.inputFormat);
  } else {
    if (!settings.secretKey) {
      throw new EtlError('USAGE', 'CLERK_SECRET_KEY is not set. Set it to the sk_live_… or sk_test_… secret key of the instance to export (Clerk Dashboard → API keys), or export from a file with --from.');
    }
    registerSecret(settings.secretKey);
    const limiter = settings.rateLimit ? new TokenBucket(settings.rateLimit) : TokenBucket.forKey(settings.secretKey);
    client = new ClerkClient({
      apiUrl: settings.apiUrl,
      secretKey: settings.secretKey,
      limiter,
      log,
      requestTimeoutMs: settings.requestTimeoutMs,
      retry: settings.maxAttempts ? { maxAttempts: settings.maxAttempts } : undefined,
    });
    source = new ClerkApiSource({ client, snapshotAt: startedAt, concurrency: settings.concurrency });
  }
  const destination = await openDestination(settings.to, runId, { s3: settings.s3, orphanGraceMs: settings.orphanGraceMs, log });
  const progress = new Progress(log, settings.progress && Boolean(process.stderr.isTTY));
  log.info('export started', { run_id: runId, source: source.description.kind, to: destination.url, formats: settings.formats.join(',') });
  try {
    const result = await runExport({
      source,
      destination,
      formats: settings.formats,
      runId,
      startedAt,
      signal,
      log,
      parquet: { rowGroupSize: settings.rowGroupSize, codec: settings.parquetCodec },
      layout: { maxRowsPerFile: settings.maxRowsPerFile, maxFileBytes: settings.maxFileBytes, compress: settings.compress },
      onProgress: settings.progress ? (p) => progress.update(p) : undefined,
      clerkStats: client ? () => ({ ...client!.stats }) : undefined,
    });
    return { result, client };
  } finally {
    progress.done();
  }
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
    ...TABLE_NAMES.map((t) => `  ${t.padEnd(31)} ${fmt(m.counts.rows[t]).padStart(12)}`),
  ];
  if (m.clerk) lines.push(`Clerk API: ${fmt(m.clerk.requests ?? 0)} requests, ${fmt(m.clerk.retries ?? 0)} retries, ${fmt(m.clerk.rateLimited ?? 0)} answered 429.`);
  const bytes = m.files.reduce((s, f) => s + f.bytes, 0);
  lines.push(`Files: ${m.files.length} (${(bytes / 1e6).toFixed(1)} MB) under ${root}`);
  lines.push(`Manifest: ${root}/${result.manifestPath}`);
  if (m.counts.rejected) lines.push(`Rejected records, with the reason naming the field: ${root}/${m.files.find((f) => f.table === '_rejects')?.path}`);
  return lines.join('\n');
}

interface ExportFlags extends LogFlags {
  to: string;
  format: string;
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
  progress: boolean;
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

export function exportCommand(setExit: (code: number) => void): Command {
  return new Command('export')
    .description('Export Clerk users (from the Backend API or a file) to Parquet / CSV / NDJSON / raw files.')
    .option('--to <dir | s3://bucket/prefix>', 'output folder or S3 prefix', './clerk-export')
    .option('--format <list>', `comma-separated formats: ${FORMATS.join(', ')}`, 'parquet')
    .addOption(new Option('--mode <mode>', 'full export (incremental comes later)').choices(['full']).default('full'))
    .option('--from <file>', 'read users from a file (NDJSON or a JSON array of Users, .gz allowed) instead of the API')
    .addOption(new Option('--input-format <format>', 'format of --from').choices(['auto', 'ndjson', 'json-array']).default('auto'))
    .option('--api-url <url>', `Clerk Backend API origin (env CLERK_API_URL, default ${DEFAULT_API_URL})`)
    .option('--concurrency <n>', 'created_at windows paged at the same time', positiveInt('--concurrency'), 4)
    .option('--rate-limit <n[/Ns]>', 'requests per window (default from the key: sk_live_ 1000/10s, sk_test_ 100/10s)')
    .option('--request-timeout <ms>', 'timeout of one API request', positiveInt('--request-timeout'))
    .option('--max-attempts <n>', 'attempts per API request before the run fails', positiveInt('--max-attempts'))
    .option('--row-group-size <n>', 'Parquet rows per row group (memory per open file)', positiveInt('--row-group-size'))
    .addOption(new Option('--parquet-codec <codec>', 'Parquet compression').choices([...PARQUET_CODECS]).default('snappy'))
    .addOption(new Option('--compress <c>', 'compression of CSV, NDJSON and raw files (.gz)').choices(['gzip', 'none']).default('none'))
    .option('--max-rows-per-file <n>', 'start a new part after this many rows (default: no limit)', positiveInt('--max-rows-per-file'))
    .option('--max-file-bytes <size>', 'start a new part at about this size, e.g. 128MiB (default 128MiB)', parseBytes)
    .option('--s3-endpoint <url>', 'S3-compatible endpoint (MinIO, Ceph, R2); default from AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL')
    .option('--s3-region <region>', 'default from AWS_REGION / the AWS config')
    .option('--s3-path-style', 'path-style addressing (endpoint/bucket/key), for most S3-compatible stores')
    .addOption(new Option('--s3-sse <mode>', 'server-side encryption').choices(['AES256', 'aws:kms']))
    .option('--s3-kms-key-id <id>', 'KMS key id or ARN, with --s3-sse aws:kms')
    .option('--s3-storage-class <class>', 'e.g. STANDARD_IA, INTELLIGENT_TIERING')
    .option('--s3-part-size <size>', 'multipart part size (≥ 5MiB; default 8MiB). Memory ≈ open files × part size × (queue size + 1)', parseBytes)
    .option('--s3-queue-size <n>', 'parts of one file uploaded at once (default 1; every table and format uploads in parallel)', positiveInt('--s3-queue-size'))
    .option('--s3-orphan-grace <minutes>', 'at start, abort multipart uploads of earlier runs (a killed exporter) older than this', nonNegativeInt('--s3-orphan-grace'), 60)
    .addOption(new Option('--s3-checksums <mode>', 'when_required for servers that mishandle streamed checksums (s3rver)').choices(['when_supported', 'when_required']))
    .option('--no-progress', 'no progress bar / progress lines')
    .addOption(new Option('--log-format <format>', 'json lines (default when stderr is not a TTY) or pretty').choices(['json', 'pretty']))
    .addOption(new Option('--log-level <level>').choices(['debug', 'info', 'warn', 'error']).default('info'))
    .action(async (flags: ExportFlags) => {
      const log = loggerFromFlags(flags);
      const settings: ExportSettings = {
        to: flags.to,
        formats: parseFormats(flags.format),
        from: flags.from,
        inputFormat: flags.inputFormat,
        apiUrl: flags.apiUrl ?? process.env.CLERK_API_URL ?? DEFAULT_API_URL,
        secretKey: process.env.CLERK_SECRET_KEY || undefined,
        concurrency: flags.concurrency,
        rateLimit: flags.rateLimit ? parseRateLimit(flags.rateLimit) : undefined,
        requestTimeoutMs: flags.requestTimeout,
        maxAttempts: flags.maxAttempts,
        rowGroupSize: flags.rowGroupSize,
        parquetCodec: flags.parquetCodec,
        maxRowsPerFile: flags.maxRowsPerFile,
        maxFileBytes: flags.maxFileBytes,
        compress: flags.compress,
        s3: s3OptionsFromFlags(flags),
        orphanGraceMs: flags.s3OrphanGrace * 60_000,
        progress: flags.progress,
      };
      const signals = abortOnSignals(log);
      try {
        const { result } = await executeExport(settings, log, signals.signal);
        process.stdout.write(summaryText(result, flags.to) + '\n');
        setExit(result.manifest.counts.rejected > 0 ? EXIT.REJECTED : EXIT.OK);
      } finally {
        signals.dispose();
      }
    });
}
