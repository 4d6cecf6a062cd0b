/**
 * The config file (`clerk-etl export --config nightly.yaml`), declared once.
 *
 * Keys are snake_case, as written in YAML. Every section is optional, every key in it is optional,
 * and every mapping is strict: an unknown key is an error (see `load.ts` for the "did you mean"
 * messages). A value left out falls through to the environment and then the built-in default
 * (flags > config file > environment > defaults, see `merge.ts`); the defaults named below are the
 * commands' own.
 *
 * Values arrive after `${ENV}` substitution, so a number or a boolean may come in as text
 * (`concurrency: ${EXPORT_CONCURRENCY}`): whole numbers and `true`/`false` written as text are
 * accepted. Sizes are converted to bytes here, so {@link ConfigFile} holds plain numbers.
 *
 * The `error` strings say what was expected; `load.ts` adds the key path and what was received.
 */
import { z } from 'zod';
import { FORMATS, PARQUET_CODECS } from '../load/formats.js';
import { formatSize, parseSize } from '../settings/values.js';

// ---------------------------------------------------------------------------------------------
// Field types

function text() {
  return z.string({ error: 'expected a string' }).min(1, { error: 'expected a non-empty string' });
}

/** `25000`, `"25000"` (from `${ENV}`) and `25_000` (YAML 1.2 reads that as text) are all 25000. */
function toNumberIfDigits(value: unknown): unknown {
  return typeof value === 'string' && /^\s*\d+(?:_\d+)*\s*$/.test(value) ? Number(value.replace(/_/g, '')) : value;
}

function wholeNumber(min: number) {
  const expected = `expected a whole number ≥ ${min}`;
  return z.preprocess(toNumberIfDigits, z.number({ error: expected }).int({ error: expected }).min(min, { error: expected }));
}

/** YAML 1.2 reads `yes`/`on` as text, not booleans; only `true`/`false` (any case) are accepted. */
function flag() {
  return z.preprocess(
    (value) => (typeof value === 'string' && /^\s*(true|false)\s*$/i.test(value) ? value.trim().toLowerCase() === 'true' : value),
    z.boolean({ error: 'expected true or false' }),
  );
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `expected one of ${values.join(', ')}` });
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function httpUrl(example: string) {
  const expected = `expected an http:// or https:// URL such as ${example}`;
  return z.string({ error: expected }).refine(isHttpUrl, { error: expected });
}

/** A size in bytes: a whole number, or text with a binary unit (`128MiB`, `512MB`, `1G`; see `size.ts`). */
function size(min: number, why: string) {
  const expected = 'expected a size: a number of bytes, or a number with a unit such as 128MiB, 512MB, 1G';
  return z.preprocess(
    (value) => (typeof value === 'string' ? (parseSize(value) ?? value) : value),
    z.number({ error: expected }).int({ error: expected }).min(min, { error: `must be at least ${formatSize(min)} (${why})` }),
  );
}

/** Same grammar as `--rate-limit`: requests, optionally per a window in seconds (default 10 s). */
const RATE_LIMIT = /^(\d+)(?:\/(\d+(?:\.\d+)?)s?)?$/;

function rateLimit() {
  const expected = 'expected requests per window, like 100 (per 10 s) or 100/10s';
  return z.preprocess(
    (value) => (typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : value),
    z.string({ error: expected }).refine((value) => {
      const m = RATE_LIMIT.exec(value);
      return m !== null && Number(m[1]) >= 1 && (m[2] === undefined || Number(m[2]) > 0);
    }, { error: expected }),
  );
}

/** `[parquet, csv]` or `parquet,csv`; duplicates dropped, order kept. */
function formatList() {
  return z.preprocess(
    (value) => (typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value),
    z
      .array(oneOf(FORMATS), { error: `expected a list of formats, or a comma-separated string, of ${FORMATS.join(', ')}` })
      .min(1, { error: `expected at least one of ${FORMATS.join(', ')}` })
      .transform((list) => [...new Set(list)]),
  );
}

/**
 * A strict mapping whose keys are all optional. A section written with nothing under it
 * (`export:` with every key commented out) counts as absent.
 */
function section<S extends z.ZodRawShape>(shape: S, name: string) {
  return z.preprocess(
    (value) => (value === null ? undefined : value),
    z.strictObject(shape, { error: `expected a mapping (indented key: value lines under ${name}:)` }).partial().optional(),
  );
}

const LOG_FORMATS = ['json', 'pretty'] as const;
const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
const MIB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Sections

const clerkShape = {
  /**
   * The instance's secret key (`sk_live_…` / `sk_test_…`). Only as a reference to an environment
   * variable, `secret_key: ${CLERK_SECRET_KEY}`; a key written in the file is an error, and the
   * value is registered as a secret so it is redacted from every message and log line.
   * `${CLERK_SECRET_KEY:-}` makes it optional (empty counts as not set). Default: `$CLERK_SECRET_KEY`.
   */
  secret_key: text(),
  /** Backend API origin. Default: `$CLERK_API_URL`, else `https://api.clerk.com`. */
  api_url: httpUrl('https://api.clerk.com'),
  /**
   * Requests per window for export and import: `100` (per 10 s) or `100/10s`. Default: from the
   * key, `sk_live_` 1000/10s, `sk_test_` 100/10s (Clerk's limits). Kept as text, in the
   * `--rate-limit` grammar.
   */
  rate_limit: rateLimit(),
};

const s3Shape = {
  /** S3-compatible endpoint (MinIO, Ceph, R2). Default: `$AWS_ENDPOINT_URL_S3` / `$AWS_ENDPOINT_URL`. */
  endpoint: httpUrl('http://minio:9000'),
  /** AWS region. Default: `$AWS_REGION` / the AWS config. */
  region: text(),
  /** Path-style addressing (`endpoint/bucket/key`). Default: false (true by itself for an IP endpoint). */
  path_style: flag(),
  /** Server-side encryption. Default: the bucket's. `aws:kms` needs `kms_key_id`. */
  sse: oneOf(['AES256', 'aws:kms']),
  /** KMS key id or ARN, with `sse: aws:kms`. */
  kms_key_id: text(),
  /** e.g. `STANDARD_IA`, `INTELLIGENT_TIERING`. Default: the bucket's. */
  storage_class: text(),
  /**
   * Multipart part size, bytes (a size: `8MiB`). At least 5 MiB, S3's minimum. Default 8 MiB.
   * Memory for uploads ≈ open files × part_size × (queue_size + 1).
   */
  part_size: size(5 * MIB, "S3's minimum part size"),
  /** Parts of one file uploaded at once. Default 1. */
  queue_size: wholeNumber(1),
  /** `when_required` for servers that mishandle streamed checksums (s3rver). Default `when_supported`. */
  checksums: oneOf(['when_supported', 'when_required']),
  /** At start, abort multipart uploads of earlier (killed) runs older than this, minutes. Default 60. */
  orphan_grace_minutes: wholeNumber(0),
};

const exportShape = {
  /** Output folder or `s3://bucket/prefix`. Default `./clerk-export`. */
  to: text(),
  /** Formats to write: a list or a comma-separated string of `parquet`, `csv`, `ndjson`, `raw`. Default `[parquet]`. */
  format: formatList(),
  /** `full` snapshot, or `incremental` (users updated since the last run; needs `state`). Default `full`. */
  mode: oneOf(['full', 'incremental']),
  /** Where the watermark and lock live between runs: a file path or an `s3://` URL. Default: none. */
  state: text(),
  /** An incremental run re-reads users updated this many minutes before the watermark. Default 10. */
  overlap_minutes: wholeNumber(0),
  /** Also record users deleted since the previous run (compares id lists kept with the state). Default false. */
  detect_deletions: flag(),
  /** A lock older than this many minutes is taken over (its run is presumed dead). Default 360. */
  lock_ttl_minutes: wholeNumber(1),
  /** Also write the run summary (JSON) to this path. Default: none. */
  summary_file: text(),
  /** Read users from this file (NDJSON or a JSON array of Users, `.gz` allowed) instead of the API. */
  from: text(),
  /** Format of `from`. Default `auto`. */
  input_format: oneOf(['auto', 'ndjson', 'json-array']),
  /** `created_at` windows paged at the same time; up to 2 × n pages of 500 users are buffered. Default 4. */
  concurrency: wholeNumber(1),
  /** Timeout of one API request, milliseconds. Default 30000. */
  request_timeout_ms: wholeNumber(1),
  /** Attempts per API request (429, 5xx, resets and timeouts are retried). Default 6. */
  max_attempts: wholeNumber(1),
  /** Parquet rows per row group (the memory held per open table file; a group also closes at ~32 MiB). Default 25000. */
  row_group_size: wholeNumber(1),
  /** Parquet compression. Default `snappy`. */
  parquet_codec: oneOf(PARQUET_CODECS),
  /** gzip CSV, NDJSON and raw files (`.gz`); Parquet files use `parquet_codec` instead. Default `none`. */
  compress: oneOf(['gzip', 'none']),
  /** Start a new part after this many rows. Default: no limit. */
  max_rows_per_file: wholeNumber(1),
  /**
   * Transform workers (threads): `auto` (one per core, up to 4, for `from` files of 32 MiB or more
   * and API exports of 20,000 users or more) or a number; 0 or 1 transforms in the main thread.
   * Each worker writes its own parts.
   */
  workers: z.union([z.literal('auto'), wholeNumber(0)], { error: 'expected auto or a whole number ≥ 0' }),
  /** Start a new part at about this size as stored, bytes (a size: `128MiB`). Default 128 MiB. */
  max_file_bytes: size(1, 'one byte'),
  /** Log lines to stderr as `json` or `pretty`. Default: json when stderr is not a TTY. */
  log_format: oneOf(LOG_FORMATS),
  /** Default `info`; `debug` logs every page. */
  log_level: oneOf(LOG_LEVELS),
  /** S3 destination settings (used when `to` or `state` is an `s3://` URL). */
  s3: section(s3Shape, 's3'),
  /**
   * Column policies (PII): `preset` none|analytics, `columns` (`table.column: keep|drop|hash|mask|null`),
   * `drop_tables` (table names). `hash` needs CLERK_ETL_HASH_KEY in the environment.
   */
  pii: z
    .strictObject({
      preset: oneOf(['none', 'analytics']).optional(),
      columns: z.record(z.string(), oneOf(['keep', 'drop', 'hash', 'mask', 'null'])).optional(),
      drop_tables: z.array(z.string()).optional(),
    })
    .optional(),
  /** Neutralise CSV cells that start like a formula (OWASP). Default true. */
  csv_formula_escape: flag(),
  /** Fields the schema does not know: evolve (default), freeze (exit 6), strict (reject those users). */
  schema_contract: oneOf(['evolve', 'freeze', 'strict']),
};

const importShape = {
  /** NDJSON or a JSON array of Clerk Users (`.gz` allowed), or the dashboard "Export users" CSV. Required by the command (flag or here). */
  from: text(),
  /** `auto`: `*.csv` is the dashboard CSV, anything else User JSON. Default `auto`. */
  input_format: oneOf(['auto', 'raw', 'clerk-csv']),
  /** Folder of reports and the resume journal; re-run with the same folder to resume. Default `./clerk-import-report`. */
  report: text(),
  /** When Clerk says an identifier exists: record the existing user, update it, or stop. Default `skip`. */
  on_conflict: oneOf(['skip', 'update', 'fail']),
  /** Read, validate and map every record; send nothing. Default false. */
  dry_run: flag(),
  /** `external_id` of a new user: the source's, else the source id (`source`); always the source id (`id`); only the source's (`keep`). Default `source`. */
  external_id: oneOf(['source', 'id', 'keep']),
  /** Creates in flight; the rate limiter sets the pace. Default 8. */
  concurrency: wholeNumber(1),
  /** Attempts per API request. Default 6. */
  max_attempts: wholeNumber(1),
  /** Timeout of one API request, milliseconds. Default 30000. */
  request_timeout_ms: wholeNumber(1),
  /** Log lines to stderr as `json` or `pretty`. Default: json when stderr is not a TTY. */
  log_format: oneOf(LOG_FORMATS),
  /** Default `info`. */
  log_level: oneOf(LOG_LEVELS),
};

const topShape = {
  /** The Clerk instance: key, API origin, rate limit (export and import). */
  clerk: section(clerkShape, 'clerk'),
  /** `clerk-etl export` settings. */
  export: section(exportShape, 'export'),
  /** `clerk-etl import` settings. */
  import: section(importShape, 'import'),
};

/** The whole config file. Parse with `loadConfigFile` (it also substitutes `${ENV}` and checks secrets), not directly. */
export const configFileSchema = z.strictObject(topShape, { error: 'expected a mapping with the sections clerk, export and/or import' });

/** A loaded, validated config file: snake_case keys as in YAML, sizes in bytes, formats as a de-duplicated list. */
export type ConfigFile = z.output<typeof configFileSchema>;
export type ClerkConfig = NonNullable<ConfigFile['clerk']>;
export type ExportConfig = NonNullable<ConfigFile['export']>;
export type S3Config = NonNullable<ExportConfig['s3']>;
export type ImportConfig = NonNullable<ConfigFile['import']>;

/** A mapping of the config file, by its dotted path. */
export type ConfigSection = 'clerk' | 'export' | 'export.s3' | 'import';

/** The sections a config file may have at its top level. */
export const TOP_LEVEL_KEYS = Object.keys(topShape) as readonly (keyof typeof topShape)[];

/** The valid keys of each section, in declaration order (for the README, the CLI and "did you mean"). */
export const CONFIG_KEYS = {
  clerk: Object.keys(clerkShape) as readonly (keyof typeof clerkShape)[],
  export: Object.keys(exportShape) as readonly (keyof typeof exportShape)[],
  'export.s3': Object.keys(s3Shape) as readonly (keyof typeof s3Shape)[],
  import: Object.keys(importShape) as readonly (keyof typeof importShape)[],
} as const satisfies Record<ConfigSection, readonly string[]>;
