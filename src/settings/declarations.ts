/**
 * Every setting of `export` and `import`, declared once, in help order. The command line, the
 * config file's schema and the README's flag tables come from here (see declare.ts). A setting's
 * name is the field of the pipeline's settings it becomes (ExportSettings, ImportSettings).
 */
import { DEFAULT_RETRY_POLICY } from '../retry.js';
import { DEFAULT_MAX_FILE_BYTES } from '../load/export-sink.js';
import { FORMATS, PARQUET_CODECS, type FormatName } from '../load/formats.js';
import { DEFAULT_PART_SIZE, DEFAULT_QUEUE_SIZE } from '../load/s3-destination.js';
import { DEFAULT_API_URL, DEFAULT_LOCK_TTL_MINUTES, DEFAULT_ORPHAN_GRACE_MINUTES, DEFAULT_OVERLAP_MINUTES, DEFAULT_USER_AGENT } from '../model/defaults.js';
import { COLUMN_ACTIONS, PII_PRESETS } from '../transform/pii-policy.js';
import { RESOURCE_CHOICES } from '../model/schema.js';
import { autoOrWholeNumber, define, duration, flag, httpUrl, list, mappingOf, onOff, oneOf, rateLimit, size, text, wholeNumber } from './declare.js';

const MIB = 1024 * 1024;
const LOG_FORMATS = ['json', 'pretty'] as const;
const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** Formats when neither a flag nor the config file names any. */
export const DEFAULT_FORMATS: readonly FormatName[] = ['parquet'];

/** `--config`, `--log-format`, `--log-level`, `--no-progress`: the "General:" group of a command that runs a job. */
function generalSettings(command: 'export' | 'import', debugLogs: string) {
  return {
    logFormat: define({
      flag: '--log-format <format>', help: 'log lines on stderr', group: 'General:', kind: oneOf(LOG_FORMATS),
      defaultText: 'json when stderr is not a TTY, else pretty', config: { section: command, key: 'log_format' },
      readme: { table: command, doc: 'logs go to stderr; the summary to stdout' },
    }),
    logLevel: define({
      flag: '--log-level <level>', help: `debug logs ${debugLogs}`, group: 'General:', kind: oneOf(LOG_LEVELS), default: 'info',
      config: { section: command, key: 'log_level' }, readme: { table: command },
    }),
    progress: define({
      flag: '--no-progress', help: 'no progress bar / progress lines', group: 'General:', kind: flag(), default: true,
      defaultText: 'progress on', readme: { table: command, doc: 'no progress bar (TTY) / progress lines (otherwise)' },
    }),
  };
}

/** The "Clerk API:" group, the same for every command that talks to Clerk. */
function clerkApiSettings(command: 'export' | 'import') {
  return {
    secretKey: define({
      kind: text(), config: { section: 'clerk', key: 'secret_key' }, env: 'CLERK_SECRET_KEY',
    }),
    apiUrl: define({
      flag: '--api-url <url>', help: 'Clerk Backend API origin', group: 'Clerk API:', kind: httpUrl('https://api.clerk.com'),
      default: DEFAULT_API_URL, defaultText: `CLERK_API_URL, else ${DEFAULT_API_URL}`, config: { section: 'clerk', key: 'api_url' }, env: 'CLERK_API_URL',
      readme: { table: command },
    }),
    rateLimit: define({
      flag: '--rate-limit <n[/Ns]>', help: 'requests per window', group: 'Clerk API:', kind: rateLimit(),
      defaultText: 'from the key: sk_live_ 1000/10s, sk_test_ 100/10s', config: { section: 'clerk', key: 'rate_limit' },
      readme: { table: command, doc: "requests per window (Clerk's limits: docs/clerk-api.md)" },
    }),
    maxAttempts: define({
      flag: '--max-attempts <n>', help: 'attempts per API request (retries with backoff) before giving up', group: 'Clerk API:', kind: wholeNumber(1),
      defaultText: String(DEFAULT_RETRY_POLICY.maxAttempts), config: { section: command, key: 'max_attempts' },
      readme: { table: command, doc: 'attempts per request (429, 5xx, resets, timeouts are retried with backoff + jitter; a 429 pauses every request for `Retry-After`)' },
    }),
    requestTimeoutMs: define({
      flag: '--request-timeout <ms>', help: 'timeout of one API request', group: 'Clerk API:', kind: duration('ms', 1),
      defaultText: '30000', config: { section: command, key: 'request_timeout_ms' }, readme: { table: command },
    }),
    userAgent: define({
      flag: '--user-agent <text>', help: 'User-Agent header of every Clerk API request', group: 'Clerk API:', kind: text(),
      default: DEFAULT_USER_AGENT, config: { section: 'clerk', key: 'user_agent' }, readme: { table: command },
    }),
  };
}

/** Help groups of export, in the order a user decides things (options are declared in config file order). */
export const EXPORT_HELP_GROUPS = ['General:', 'Source:', 'Destination:', 'Formats and files:', 'Scheduling (incremental runs):', 'Governance:', 'Clerk API:', 'Performance:'];

/** Help groups of import. */
export const IMPORT_HELP_GROUPS = ['General:', 'Source:', 'Reports and resume:', 'Mapping and conflicts:', 'Clerk API:', 'Performance:'];

export const EXPORT_SETTINGS = {
  config: define({ flag: '--config <file>', help: 'YAML config file (see config/); flags > config file > environment > defaults', group: 'General:', kind: text(), defaultText: 'none', readme: { table: 'scheduling' } }),
  dryRun: define({
    flag: '--dry-run', help: 'print the plan (mode, window, estimated users, destination, formats) and write nothing', group: 'General:', kind: flag(), defaultText: 'off',
    readme: { table: 'scheduling', doc: 'print the plan (mode, window, estimated users from `/v1/users/count`, destination, formats) and write nothing' },
  }),
  summaryFile: define({
    flag: '--summary-file <path>', help: 'write the run summary JSON here (also when the run fails)', group: 'General:', kind: text(), defaultText: 'none', config: { section: 'export', key: 'summary_file' },
    readme: { table: 'scheduling', doc: 'the run summary JSON: `status` (`published`, `nothing_to_do`, `planned` for a dry run, `failed`), mode, window, `counts` as in the manifest, rejected, deleted, the Clerk counters under `clerk` with the manifest\'s names, duration, files, state before/after (also written when the run fails). Summary, manifest and the import\'s `summary.json` use the same snake_case names. If it cannot be written after a run that published, the exit code is 7' },
  }),
  ...generalSettings('export', 'every page'),
  from: define({
    flag: '--from <file>', help: 'read users from a file (NDJSON or a JSON array of Users, .gz allowed) instead of the API', group: 'Source:', kind: text(), defaultText: 'the Clerk Backend API', config: { section: 'export', key: 'from' },
    readme: { table: 'export', doc: "read users from NDJSON (e.g. a `raw` export) or one JSON array of Users; `.gz` allowed; streamed, never loaded whole; not with `--state` or `--mode incremental` (exit 2). A file that gives no valid user (empty, all rejected) fails with exit 1 and publishes nothing; Clerk's dashboard CSV fails with a pointer to `clerk-etl import`; a truncated `.gz` fails naming the file" },
  }),
  inputFormat: define({ flag: '--input-format <format>', help: 'format of --from', group: 'Source:', kind: oneOf(['auto', 'ndjson', 'json-array']), default: 'auto', config: { section: 'export', key: 'input_format' }, readme: { table: 'export' } }),
  allowEmpty: define({
    flag: '--allow-empty', help: '--from: publish an empty snapshot when the file holds no valid user', group: 'Source:', kind: flag(), defaultText: 'off: such a run fails, exit 1',
    readme: { table: 'export', doc: 'with `--from`: publish an empty snapshot (and the rejects) even when the file gives no valid user. An API export of an instance with no user always publishes: that is a true snapshot' },
  }),
  to: define({
    flag: '--to <dir | s3://… | postgres://…>', help: 'output folder, S3 prefix, or a PostgreSQL mirror', group: 'Destination:', kind: text(), default: './clerk-export', config: { section: 'export', key: 'to' },
    readme: { table: 'export', doc: 'output folder, S3 prefix (see [S3](#s3)), or `postgres://user@host:port/db?schema=clerk` (see [PostgreSQL mirror](#postgresql-mirror)); any other `scheme://` (`gs://`, `http://`…) is refused with exit 2, as for `--state` (a file or `s3://`) and `--from` (a local file)' },
  }),
  onDelete: define({
    flag: '--on-delete <mode>', help: 'postgres:// mirror: a record gone from Clerk gets _deleted_at (mark) or is removed with its child rows (delete)', group: 'Destination:', kind: oneOf(['mark', 'delete']), default: 'mark',
    config: { section: 'export', key: 'on_delete' }, readme: { table: 'export', doc: 'with `--to postgres://…`: a user or record that disappeared from Clerk keeps its row with `_deleted_at` set (`mark`), or is removed with its child rows (`delete`); see [PostgreSQL mirror](#postgresql-mirror)' },
  }),
  s3Endpoint: define({ flag: '--s3-endpoint <url>', help: 'S3-compatible endpoint (MinIO, Ceph, R2)', group: 'Destination:', kind: httpUrl('http://minio:9000'), defaultText: 'AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, else AWS', config: { section: 'export.s3', key: 'endpoint' }, readme: { table: 's3' } }),
  s3Region: define({ flag: '--s3-region <region>', help: 'S3 region', group: 'Destination:', kind: text(), defaultText: 'AWS_REGION / the AWS config', config: { section: 'export.s3', key: 'region' }, readme: { table: 's3' } }),
  s3PathStyle: define({
    flag: '--s3-path-style', help: 'path-style addressing (endpoint/bucket/key), for most S3-compatible stores', negate: 'override path_style: true from the config file', group: 'Destination:', kind: flag(),
    defaultText: 'off; on for an IP endpoint', config: { section: 'export.s3', key: 'path_style' }, readme: { table: 's3' },
  }),
  s3Sse: define({ flag: '--s3-sse <mode>', help: 'server-side encryption', group: 'Destination:', kind: oneOf(['AES256', 'aws:kms']), defaultText: 'the bucket default', config: { section: 'export.s3', key: 'sse' }, readme: { table: 's3', doc: 'server-side encryption; `aws:kms` needs `--s3-kms-key-id`' } }),
  s3KmsKeyId: define({ flag: '--s3-kms-key-id <id>', help: 'KMS key id or ARN, with --s3-sse aws:kms', group: 'Destination:', kind: text(), defaultText: 'the AWS managed key aws/s3', config: { section: 'export.s3', key: 'kms_key_id' }, readme: { table: 's3' } }),
  s3StorageClass: define({ flag: '--s3-storage-class <class>', help: 'e.g. STANDARD_IA, INTELLIGENT_TIERING', group: 'Destination:', kind: text(), defaultText: 'the bucket default', config: { section: 'export.s3', key: 'storage_class' }, readme: { table: 's3' } }),
  s3PartSize: define({ flag: '--s3-part-size <size>', help: 'S3 multipart part size (≥ 5MiB). Memory ≈ open files × part size × (queue size + 1)', group: 'Performance:', kind: size(5 * MIB, "S3's minimum part size"), default: DEFAULT_PART_SIZE, config: { section: 'export.s3', key: 'part_size' }, readme: { table: 's3' } }),
  s3QueueSize: define({ flag: '--s3-queue-size <n>', help: 'parts of one file uploaded at once (every table and format uploads in parallel)', group: 'Performance:', kind: wholeNumber(1), default: DEFAULT_QUEUE_SIZE, config: { section: 'export.s3', key: 'queue_size' }, readme: { table: 's3' } }),
  s3Checksums: define({ flag: '--s3-checksums <mode>', help: 'when_required for servers that mishandle streamed checksums (s3rver)', group: 'Destination:', kind: oneOf(['when_supported', 'when_required']), defaultText: 'when_supported', config: { section: 'export.s3', key: 'checksums' }, readme: { table: 's3' } }),
  orphanGraceMs: define({
    flag: '--s3-orphan-grace <minutes>', help: 'at start, abort multipart uploads of earlier runs (a killed exporter) older than this', group: 'Destination:', kind: duration('minutes', 0, 'ms'),
    default: DEFAULT_ORPHAN_GRACE_MINUTES * 60_000, config: { section: 'export.s3', key: 'orphan_grace_minutes' },
    readme: { table: 's3', doc: 'at start, clean up after earlier runs that were killed: their multipart uploads older than this, and (S3 and local) the files their publish journals list and their `_staging/<run_id>` folders. A killed run of this host whose process is gone is cleaned at once, whatever the grace' },
  }),
  resources: define({
    flag: '--resources <list>', help: `what to export, comma-separated or repeated: ${RESOURCE_CHOICES.join(', ')}`, group: 'Source:', kind: list(RESOURCE_CHOICES, '--resources'), default: ['users'],
    config: { section: 'export', key: 'resources' },
    readme: { table: 'export', doc: '`users` and the rest of the directory: `organizations`, `organization_memberships`, `organization_invitations`, `organization_domains`, `invitations`, `waitlist_entries`, or `all`; each resource besides users is one table of the same name (see [Organizations and the rest of the directory](#organizations-and-the-rest-of-the-directory)). Read from the Clerk API only' },
  }),
  formats: define({
    flag: '--format <list>', help: `formats, comma-separated or repeated: ${FORMATS.join(', ')}`, group: 'Formats and files:', kind: list(FORMATS, '--format'), default: [...DEFAULT_FORMATS],
    config: { section: 'export', key: 'format' }, readme: { table: 'export', doc: `any of \`${FORMATS.join(',')}\`, comma-separated or repeated (\`--format parquet --format csv\` writes both; duplicates are ignored)` },
  }),
  parquetCodec: define({ flag: '--parquet-codec <codec>', help: 'Parquet compression', group: 'Formats and files:', kind: oneOf(PARQUET_CODECS), default: 'snappy', config: { section: 'export', key: 'parquet_codec' }, readme: { table: 'export', doc: 'Parquet compression (no zstd/lz4: Node 20\'s zlib lacks them)' } }),
  rowGroupSize: define({
    flag: '--row-group-size <n>', help: 'Parquet rows per row group at most', group: 'Formats and files:', kind: wholeNumber(1), defaultText: '25000', config: { section: 'export', key: 'row_group_size' },
    readme: { table: 'export', doc: 'Parquet rows per row group at most; a table\'s group also closes early when all Parquet tables together hold 32 MiB of values (8 MiB per transform worker), which bounds memory' },
  }),
  compress: define({ flag: '--compress <c>', help: 'compression of CSV, NDJSON and raw files (.gz)', group: 'Formats and files:', kind: oneOf(['gzip', 'none']), default: 'none', config: { section: 'export', key: 'compress' }, readme: { table: 'export', doc: 'gzip CSV, NDJSON and raw files (`.gz` suffix; one gzip stream per file)' } }),
  maxRowsPerFile: define({ flag: '--max-rows-per-file <n>', help: 'start a new part after this many rows', group: 'Formats and files:', kind: wholeNumber(1), defaultText: 'no limit', config: { section: 'export', key: 'max_rows_per_file' }, readme: { table: 'export', doc: 'start a new part (`-00001`, …) after this many rows' } }),
  maxFileBytes: define({
    flag: '--max-file-bytes <size>', help: 'start a new part at about this size, e.g. 128MiB', group: 'Formats and files:', kind: size(1, 'one byte'), default: DEFAULT_MAX_FILE_BYTES, config: { section: 'export', key: 'max_file_bytes' },
    readme: { table: 'export', doc: 'start a new part at about this size as stored (Parquet overshoots by at most one row group)' },
  }),
  mode: define({ flag: '--mode <mode>', help: 'full: every user; incremental: users changed since the last run (needs --state)', group: 'Scheduling (incremental runs):', kind: oneOf(['full', 'incremental']), default: 'full', config: { section: 'export', key: 'mode' }, readme: { table: 'scheduling', doc: '`full`: every user created before the run started (and any created at or after it); `incremental`: only users changed since the last run; without a state yet, the first run is full' } }),
  state: define({
    flag: '--state <path | s3://…>', help: 'where the watermark, the id list for deletions and the lock live', group: 'Scheduling (incremental runs):', kind: text(), defaultText: 'none', config: { section: 'export', key: 'state' },
    readme: { table: 'scheduling', doc: 'the watermark, the id list for deletions and the lock live here (`<state>`, `<state>.lock`, `<state>.ids-<run_id>.gz`); API exports only: refused with `--from` (exit 2), whose file would move the watermark past changes it never read' },
  }),
  overlapMinutes: define({ flag: '--overlap <minutes>', help: 'incremental: re-read users updated this long before the last watermark', group: 'Scheduling (incremental runs):', kind: duration('minutes', 0), default: DEFAULT_OVERLAP_MINUTES, config: { section: 'export', key: 'overlap_minutes' }, readme: { table: 'scheduling', doc: 'incremental: also re-read users updated this long before the last watermark (clock skew, slow writes)' } }),
  detectDeletions: define({
    flag: '--detect-deletions', help: 'incremental: also sweep every id to find deleted users (full runs with a state always do)', negate: 'override detect_deletions: true from the config file', group: 'Scheduling (incremental runs):', kind: flag(),
    defaultText: 'off', config: { section: 'export', key: 'detect_deletions' }, readme: { table: 'scheduling' },
  }),
  lockTtlMinutes: define({ flag: '--lock-ttl <minutes>', help: 'take over a lock older than this', group: 'Scheduling (incremental runs):', kind: duration('minutes', 1), default: DEFAULT_LOCK_TTL_MINUTES, config: { section: 'export', key: 'lock_ttl_minutes' }, readme: { table: 'scheduling', doc: 'a lock older than this is taken over (with a warning)' } }),
  piiPreset: define({ flag: '--pii <preset>', help: 'column policy preset; analytics: hash identifiers and names, drop free text and secrets (README lists every column)', group: 'Governance:', kind: oneOf(PII_PRESETS), defaultText: 'none', config: { section: 'export.pii', key: 'preset' }, readme: { table: 'governance', doc: '`analytics`: hash the identifiers people are found or joined by, drop names, pictures, free text and secrets, keep everything else (below)' } }),
  piiColumnFlags: define({ flag: '--pii-column <table.column=action>', help: `a column's policy: ${COLUMN_ACTIONS.join('|')} (repeatable)`, group: 'Governance:', kind: list(), defaultText: 'none', readme: { table: 'governance', doc: `${COLUMN_ACTIONS.map((a) => `\`${a}\``).join(', ')} for one column (repeatable; over the preset)` } }),
  piiColumns: define({ kind: mappingOf(COLUMN_ACTIONS), config: { section: 'export.pii', key: 'columns' } }),
  dropTables: define({ flag: '--drop-table <table>', help: 'leave a whole table out (repeatable or comma-separated)', group: 'Governance:', kind: list(), defaultText: 'none', config: { section: 'export.pii', key: 'drop_tables' }, readme: { table: 'governance' } }),
  csvFormulaEscape: define({ flag: '--csv-formula-escape <on|off>', help: "prefix ' to CSV cells starting with = + - @ tab CR (OWASP)", group: 'Governance:', kind: onOff(), default: true, config: { section: 'export', key: 'csv_formula_escape' }, readme: { table: 'governance' } }),
  schemaContract: define({ flag: '--schema-contract <mode>', help: 'fields the schema does not know: evolve (keep going), freeze (keep going, exit 6), strict (reject those users)', group: 'Governance:', kind: oneOf(['evolve', 'freeze', 'strict']), default: 'evolve', config: { section: 'export', key: 'schema_contract' }, readme: { table: 'governance' } }),
  ...clerkApiSettings('export'),
  concurrency: define({ flag: '--concurrency <n>', help: 'created_at windows paged at the same time', group: 'Performance:', kind: wholeNumber(1), default: 4, config: { section: 'export', key: 'concurrency' }, readme: { table: 'export', doc: '`created_at` windows paged at the same time; up to 2×n pages (500 users each) are buffered' } }),
  workers: define({
    flag: '--workers <n|auto>', help: 'transform workers (threads); auto: one per core (up to 4) for files of 32MiB+ and API exports of 20,000+ users; 0: none', group: 'Performance:', kind: autoOrWholeNumber(0), default: 'auto',
    config: { section: 'export', key: 'workers' },
    readme: { table: 'export', doc: 'transform workers (threads): validation, flattening and file encoding (and, for `--from` NDJSON, parsing) run on every core while the main thread reads pages or the file, de-duplicates and writes; each worker writes its own parts (worker w of n: parts w, w+n, …). `auto`: one per core (up to 4) for `--from` files of 32 MiB or more and full API exports of 20,000 users or more (an incremental run cannot count its users in advance, so it stays in the main thread), else none; `0`: all in the main thread. Counts, rejects (one file, input order) and de-duplication (first record wins) are the same either way. Memory: about 130 MB per worker (100k users from a file: 325 MB in all with 2 workers)' },
  }),
};

const importGeneral = generalSettings('import', 'every request');
const importClerk = clerkApiSettings('import');

/** In the order of the config file's `import:` keys; help shows them by IMPORT_HELP_GROUPS. */
export const IMPORT_SETTINGS = {
  config: define({ flag: '--config <file>', help: 'YAML config file (see config/); flags > config file > environment > defaults', group: 'General:', kind: text(), defaultText: 'none', readme: { table: 'import', doc: 'YAML config (`import:` and `clerk:` sections; see [Config files](#config-files))' } }),
  from: define({ flag: '--from <file | export>', help: 'the file to import, or an export folder (or one of its manifests) with its organizations; required, here or as import.from in --config', group: 'Source:', kind: text(), config: { section: 'import', key: 'from' }, readme: { table: 'import', doc: 'NDJSON or a JSON array of Clerk Users (streamed; `.gz` allowed), or the dashboard CSV, or an export folder written with `--format raw` (its latest manifest, or the manifest named): its users, then its organizations and memberships (see [Importing organizations](#importing-organizations)); required, here or as `import.from`; a file without a single record fails (exit 1)' } }),
  inputFormat: define({ flag: '--input-format <format>', help: 'auto: .csv is the dashboard CSV, anything else Clerk User JSON', group: 'Source:', kind: oneOf(['auto', 'raw', 'clerk-csv']), default: 'auto', config: { section: 'import', key: 'input_format' }, readme: { table: 'import' } }),
  reportDir: define({ flag: '--report <dir>', help: 'reports and the resume journal; re-run with the same folder to resume', group: 'Reports and resume:', kind: text(), default: './clerk-import-report', config: { section: 'import', key: 'report' }, readme: { table: 'import' } }),
  onConflict: define({
    flag: '--on-conflict <what>', help: 'when an email, phone, username or external_id already exists', group: 'Mapping and conflicts:', kind: oneOf(['skip', 'update', 'fail']), default: 'skip', config: { section: 'import', key: 'on_conflict' },
    readme: { table: 'import', doc: 'when Clerk says an identifier exists (`form_identifier_exists`): record the existing user; update it (PATCH the user, PUT its metadata); or stop. Skip and update only take a user that provably is this record (same `external_id` and holding all its identifiers; without an `external_id`, exactly its identifiers); an identifier held by anyone else fails the record, naming that user' },
  }),
  dryRun: define({
    flag: '--dry-run', help: 'read, validate and map every record; send nothing', negate: 'send for real, even when the config file says dry_run: true', group: 'General:', kind: flag(), default: false, defaultText: 'off',
    config: { section: 'import', key: 'dry_run' }, readme: { table: 'import', doc: 'read, validate and map every record; send nothing (reports are `dry-run-*`)' },
  }),
  externalId: define({ flag: '--external-id <mode>', help: "source: the source's external_id, else its id; id: always the source id; keep: only the source's external_id", group: 'Mapping and conflicts:', kind: oneOf(['source', 'id', 'keep']), default: 'source', config: { section: 'import', key: 'external_id' }, readme: { table: 'import' } }),
  concurrency: define({ flag: '--concurrency <n>', help: 'creates in flight at once (the rate limiter sets the pace)', group: 'Performance:', kind: wholeNumber(1), default: 8, config: { section: 'import', key: 'concurrency' }, readme: { table: 'import' } }),
  ...importClerk,
  ...importGeneral,
};

/** `clerk-etl load`: flags only (no config file section); `--on-delete` and the log options are the export's own declarations. */
export const LOAD_SETTINGS = {
  from: define({
    flag: '--from <export folder | s3://…>', help: 'an export written with --format csv: its runs are applied in manifest order', group: 'Source:', kind: text(),
    readme: { table: 'load', doc: 'an export written with `--format csv` (next to any other format), a local folder or `s3://bucket/prefix` (with the `--s3-*` options of [S3](#s3)): every published run, in manifest (run id) order' },
  }),
  to: define({
    flag: '--to <postgres://…>', help: 'the PostgreSQL mirror (postgres://user@host:port/db?schema=clerk)', group: 'Destination:', kind: text(),
    readme: { table: 'load', doc: 'the PostgreSQL mirror, as for `export --to`; runs it already has (`clerk_etl_runs`) are skipped' },
  }),
  onDelete: EXPORT_SETTINGS.onDelete,
  s3Endpoint: EXPORT_SETTINGS.s3Endpoint,
  s3Region: EXPORT_SETTINGS.s3Region,
  s3PathStyle: EXPORT_SETTINGS.s3PathStyle,
  s3Checksums: EXPORT_SETTINGS.s3Checksums,
  logFormat: EXPORT_SETTINGS.logFormat,
  logLevel: EXPORT_SETTINGS.logLevel,
};
