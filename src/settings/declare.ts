/**
 * A setting, declared once: its flag and help, its value kind (the parser of flags and the
 * config file's schema), its default, its config file key and environment variable, and its line
 * in the README. The command line (cli/options.ts), the config file's schema (config/schema.ts)
 * and the README's flag tables (readme.ts) are all derived from these declarations.
 */
import { z } from 'zod';
import { formatSize, isHttpUrl, parseBoolean, parseDuration, parseList, parseRateLimit, parseSize, parseWholeNumber, DURATION_UNITS, type DurationUnit, type RateLimit } from './values.js';

/** A flag's text that is not a value of its kind; the CLI reports it as a usage error. */
export class SettingValueError extends Error {}

/** How a value is read from a flag and from the config file. */
export interface Kind<T, C = T> {
  /** The value of a flag's text; `previous` is the value of an earlier occurrence (lists add up). Throws {@link SettingValueError}. */
  parseFlag?(text: string, flag: string, previous: T | undefined): T;
  /** Values a flag may take, shown in help (commander checks them). */
  choices?: readonly string[];
  /** The config file's value: the zod schema (its `error` strings say what was expected) and its conversion. */
  config: z.ZodType<C>;
  fromConfig(value: C): T;
  /** A value as help and the README show it. */
  show(value: T): string;
}

/** Where a setting lives in the config file: `export.s3.part_size` is section `export.s3`, key `part_size`. */
export type ConfigSection = 'clerk' | 'export' | 'export.s3' | 'export.pii' | 'import';

export interface Setting<T = unknown, C = unknown, R = T | undefined> {
  /** Commander's flags, `--max-file-bytes <size>`; none for a setting of the config file only. */
  flag?: string;
  help?: string;
  /** The help group (`Formats and files:`), in the order a user decides things. */
  group?: string;
  /** Help of the `--no-` form that overrides `true` from the config file. */
  negate?: string;
  kind: Kind<T, C>;
  default?: T;
  /** The default as help and README say it, when it is not a value (`from the key`, `none`). */
  defaultText?: string;
  config?: { section: ConfigSection; key: string };
  /** An environment variable read after the config file. */
  env?: string;
  /** The README flag table (`export`, `scheduling`, `s3`, `governance`, `import`) and its longer text there. */
  readme?: { table: string; doc?: string };
  /** Phantom: the type of the resolved value (the value's type, `undefined` only without a default). */
  readonly resolved?: R;
}

/**
 * A setting of any type, for code that handles every setting alike (cli/options.ts, readme.ts,
 * config/schema.ts): each kind's methods take its own value type, which no single type names.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySetting = Setting<any, any, unknown>;

type ValueOf<K> = K extends Kind<infer T, infer _C> ? T : never;
type ConfigValueOf<K> = K extends Kind<infer _T, infer C> ? C : never;

/** A declaration, typed by its kind: resolved to the kind's value, `undefined` only without a default. */
export function define<K extends Kind<any, any>>(s: Setting<ValueOf<K>, ConfigValueOf<K>> & { kind: K; default: NoInfer<ValueOf<K>> }): Setting<ValueOf<K>, ConfigValueOf<K>, ValueOf<K>>; // eslint-disable-line @typescript-eslint/no-explicit-any
export function define<K extends Kind<any, any>>(s: Setting<ValueOf<K>, ConfigValueOf<K>> & { kind: K }): Setting<ValueOf<K>, ConfigValueOf<K>, ValueOf<K> | undefined>; // eslint-disable-line @typescript-eslint/no-explicit-any
export function define(s: AnySetting): AnySetting {
  return s;
}

/** The resolved values of a list of settings, by name. */
export type Resolved<D extends Record<string, AnySetting>> = { [K in keyof D]: D[K] extends Setting<infer _T, infer _C, infer R> ? R : never };

// ---------------------------------------------------------------------------------------------
// Kinds

function plain<T>(config: z.ZodType<T>, show: (v: T) => string = String): Kind<T, T> {
  return { config, fromConfig: (v) => v, show };
}

/** Whole numbers written as text (`${ENV}` substitution, YAML's `25_000`) are numbers. */
function toNumberIfDigits(value: unknown): unknown {
  return typeof value === 'string' ? (parseWholeNumber(value) ?? value) : value;
}

function wholeNumberSchema(min: number) {
  const expected = `expected a whole number ≥ ${min}`;
  return z.preprocess(toNumberIfDigits, z.number({ error: expected }).int({ error: expected }).min(min, { error: expected }));
}

function wholeNumberFlag(text: string, flag: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new SettingValueError(`${flag} must be a ${min >= 1 ? 'positive' : 'non-negative'} integer, got "${text}".`);
  return n;
}

/** Free text (a path, a name). */
export function text(): Kind<string> {
  return { ...plain(z.string({ error: 'expected a string' }).min(1, { error: 'expected a non-empty string' })), parseFlag: (t) => t };
}

export function httpUrl(example: string): Kind<string> {
  const expected = `expected an http:// or https:// URL such as ${example}`;
  return {
    ...plain(z.string({ error: expected }).refine(isHttpUrl, { error: expected })),
    parseFlag: (t, flag) => {
      if (!isHttpUrl(t)) throw new SettingValueError(`${flag} ${expected}, got "${t}".`);
      return t;
    },
  };
}

export function wholeNumber(min: number): Kind<number> {
  return { ...plain(wholeNumberSchema(min)), parseFlag: (t, flag) => wholeNumberFlag(t, flag, min) };
}

/** A whole number of `unit` (the flag names it: `--overlap <minutes>`), held in `as`. */
export function duration(unit: DurationUnit, min: number, as: DurationUnit = unit): Kind<number> {
  const scale = (n: number): number => (n * DURATION_UNITS[unit]) / DURATION_UNITS[as];
  return {
    config: wholeNumberSchema(min),
    fromConfig: scale,
    parseFlag: (t, flag) => {
      wholeNumberFlag(t, flag, min);
      return scale(parseDuration(t, unit)! / DURATION_UNITS[unit]);
    },
    show: (v) => String((v * DURATION_UNITS[as]) / DURATION_UNITS[unit]),
  };
}

export function oneOf<const V extends readonly [string, ...string[]]>(values: V): Kind<V[number]> {
  return { ...plain(z.enum(values, { error: `expected one of ${values.join(', ')}` })), choices: values };
}

/** A switch: `--detect-deletions` (and `--no-…`) on the command line, `true`/`false` in the file. */
export function flag(): Kind<boolean> {
  return {
    ...plain(z.preprocess((v) => (typeof v === 'string' ? (parseBoolean(v) ?? v) : v), z.boolean({ error: 'expected true or false' }))),
    show: (v) => (v ? 'on' : 'off'),
  };
}

/** `on`/`off` on the command line, `true`/`false` in the file. */
export function onOff(): Kind<boolean, boolean> {
  return { ...flag(), choices: ['on', 'off'], parseFlag: (t) => t === 'on' };
}

/** A size in bytes: a whole number, or text with a binary unit (`128MiB`, `512MB`, `1G`). */
export function size(min: number, why: string): Kind<number> {
  const expected = 'expected a size: a number of bytes, or a number with a unit such as 128MiB, 512MB, 1G';
  return {
    config: z.preprocess(
      (value) => (typeof value === 'string' ? (parseSize(value) ?? value) : value),
      z.number({ error: expected }).int({ error: expected }).min(min, { error: `must be at least ${formatSize(min)} (${why})` }),
    ),
    fromConfig: (v) => v,
    parseFlag: (t, flag) => {
      const n = parseSize(t);
      if (n === undefined) throw new SettingValueError(`Not a size: "${t}". Use bytes or a suffix: 128MiB, 512MB, 1G.`);
      if (n < min) throw new SettingValueError(`${flag} must be at least ${formatSize(min)} (${why}): "${t}".`);
      return n;
    },
    show: formatSize,
  };
}

/** Requests per window: `100` (per 10 s) or `100/10s`. The config file keeps the text as written. */
export function rateLimit(): Kind<RateLimit, string> {
  const expected = 'expected requests per window, like 100 (per 10 s) or 100/10s';
  return {
    config: z.preprocess(
      (value) => (typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : value),
      z.string({ error: expected }).refine((value) => parseRateLimit(value) !== undefined, { error: expected }),
    ),
    fromConfig: (v) => parseRateLimit(v)!,
    parseFlag: (t, flag) => {
      const r = parseRateLimit(t);
      if (!r) throw new SettingValueError(`${flag} must look like 100 or 100/10s (requests per seconds), got "${t}".`);
      return r;
    },
    show: (r) => `${r.requests}/${r.windowMs / 1000}s`,
  };
}

/**
 * A list: comma-separated and/or repeated flags (`--format parquet,csv`, `--drop-table a
 * --drop-table b`), a YAML list or a comma-separated string in the file. With `of`, every item must
 * be one of those values (`label` names the setting in the message).
 */
export function list(): Kind<string[]>;
export function list<const V extends readonly [string, ...string[]]>(of: V, label: string): Kind<V[number][]>;
export function list<const V extends readonly [string, ...string[]]>(of?: V, label = 'list'): Kind<string[]> {
  const check = (items: string[]): string[] => {
    if (of && items.length === 0) throw new SettingValueError(`${label} needs at least one of ${of.join(', ')}.`);
    for (const item of items) if (of && !(of as readonly string[]).includes(item)) throw new SettingValueError(`Unknown ${label.replace(/^--/, '')} "${item}" in ${label}. Use any of: ${of.join(', ')}.`);
    return items;
  };
  const items = of
    ? z.array(z.enum(of, { error: `expected one of ${of.join(', ')}` }), { error: `expected a list of ${label.replace(/^--/, '')}s, or a comma-separated string, of ${of.join(', ')}` }).min(1, { error: `expected at least one of ${of.join(', ')}` })
    : z.array(z.string({ error: 'expected a string' }), { error: 'expected a list, or a comma-separated string' });
  return {
    config: z.preprocess((v) => (typeof v === 'string' ? parseList(v) : v), items).transform((l) => parseList(l)),
    fromConfig: (v) => v,
    parseFlag: (t, _flag, previous) => check(parseList([...(previous ?? []), t])),
    show: (v) => (v.length ? v.join(',') : 'none'),
  };
}

/** `auto` or a whole number. */
export function autoOrWholeNumber(min: number): Kind<number | 'auto'> {
  return {
    ...plain(z.union([z.literal('auto'), wholeNumberSchema(min)], { error: `expected auto or a whole number ≥ ${min}` })),
    parseFlag: (t, flag) => {
      if (t.trim() === 'auto') return 'auto';
      if (!/^\d+$/.test(t.trim())) throw new SettingValueError(`${flag} must be auto or a whole number, got "${t}".`);
      return Number(t);
    },
  };
}

/** A mapping of names to one of `values` (the config file only: `export.pii.columns`). */
export function mappingOf<const V extends readonly [string, ...string[]]>(values: V): Kind<Record<string, V[number]>> {
  return plain(z.record(z.string(), z.enum(values, { error: `expected one of ${values.join(', ')}` })), (v) => JSON.stringify(v));
}
