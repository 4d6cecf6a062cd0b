/**
 * One parser per kind of value, shared by the command line and the config file, so a value means
 * the same wherever it is written. Each returns `undefined` for text that is not such a value; the
 * caller (a flag's parser, the config file's schema) says what was expected, in its own words.
 */

// ---------------------------------------------------------------------------------------------
// Sizes

/**
 * Sizes as people write them: `134217728`, `128MiB`, `512MB`, `1G`, `1.5g`. Every unit is binary
 * (K = 1024, M = 1024², G = 1024³, T = 1024⁴) whether or not it has the `i`. `B` alone means bytes.
 */
const SIZE = /^(\d+(?:\.\d+)?)\s*(?:([kmgt])(i?b)?|b)?$/i;

const UNIT = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 } as const;

/** Bytes of a size written as text, rounded to a whole byte; `undefined` when `text` is not a size. */
export function parseSize(text: string): number | undefined {
  const m = SIZE.exec(text.trim());
  if (!m) return undefined;
  const unit = UNIT[(m[2] ?? '').toLowerCase() as keyof typeof UNIT];
  return Math.round(Number(m[1]) * unit);
}

/** `8388608` → `8MiB`, `1000` → `1000B`: for messages and help about sizes. */
export function formatSize(bytes: number): string {
  for (const [suffix, unit] of [['TiB', UNIT.t], ['GiB', UNIT.g], ['MiB', UNIT.m], ['KiB', UNIT.k]] as const) {
    if (bytes >= unit && bytes % unit === 0) return `${bytes / unit}${suffix}`;
  }
  return `${bytes}B`;
}

// ---------------------------------------------------------------------------------------------
// Whole numbers and durations

/** `25000`, and `25_000` (YAML 1.2 reads that as text); `undefined` for anything else. */
export function parseWholeNumber(text: string): number | undefined {
  return /^\s*\d+(?:_\d+)*\s*$/.test(text) ? Number(text.replace(/_/g, '')) : undefined;
}

/**
 * A duration is a whole number in the unit its setting names (`--overlap <minutes>`,
 * `--request-timeout <ms>`): the same grammar as a whole number, converted to milliseconds.
 */
export const DURATION_UNITS = { ms: 1, seconds: 1000, minutes: 60_000 } as const;
export type DurationUnit = keyof typeof DURATION_UNITS;

export function parseDuration(text: string, unit: DurationUnit): number | undefined {
  const n = parseWholeNumber(text);
  return n === undefined ? undefined : n * DURATION_UNITS[unit];
}

// ---------------------------------------------------------------------------------------------
// Rate limits

export interface RateLimit {
  requests: number;
  windowMs: number;
}

/** `100` (per 10 s) or `100/10s`: requests, optionally per a window in seconds. */
const RATE_LIMIT = /^(\d+)(?:\/(\d+(?:\.\d+)?)s?)?$/;

/** The default window of a rate limit written without one (Clerk's limits are per 10 s, docs/clerk-api.md). */
export const DEFAULT_RATE_WINDOW_MS = 10_000;

export function parseRateLimit(text: string): RateLimit | undefined {
  const m = RATE_LIMIT.exec(text.trim());
  if (!m || Number(m[1]) < 1 || (m[2] !== undefined && Number(m[2]) <= 0)) return undefined;
  return { requests: Number(m[1]), windowMs: m[2] ? Math.round(Number(m[2]) * 1000) : DEFAULT_RATE_WINDOW_MS };
}

// ---------------------------------------------------------------------------------------------
// Lists

/**
 * `parquet,csv`, or a list of such texts (a repeated flag, a YAML list): the items, trimmed, empty
 * ones and duplicates dropped, in the order of first appearance.
 */
export function parseList(value: string | readonly string[]): string[] {
  const texts = typeof value === 'string' ? [value] : value;
  return [...new Set(texts.flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean))];
}

// ---------------------------------------------------------------------------------------------
// Booleans and URLs

/** `true` / `false` in any case (YAML 1.2 reads `yes` / `on` as text, and so do we: not booleans). */
export function parseBoolean(text: string): boolean | undefined {
  const m = /^\s*(true|false)\s*$/i.exec(text);
  return m ? m[1]!.toLowerCase() === 'true' : undefined;
}

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
