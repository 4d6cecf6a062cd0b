import { apiErrors } from './api-error.js';

/**
 * Query-string rules shared by every list route of the emulator (users, organizations and the other
 * lists): Clerk's `limit` / `offset` bounds (docs/clerk-api.md, "Listing users" and "Organizations and
 * other lists"), the `+`/`-` order prefix, and the emulator's 422s for unknown or repeated parameters.
 */

/** Largest `limit` of every Clerk list endpoint. */
export const MAX_LIMIT = 500;
/** Default `limit` of every Clerk list endpoint. */
export const DEFAULT_LIMIT = 10;
/** Most values an array parameter takes. */
export const MAX_ARRAY = 100;
/** Handled by the server (API version), allowed on every request. */
export const ALWAYS = ['__clerk_api_version'] as const;

/** 422 `form_param_unknown` for the first parameter not in `known`. */
export function checkKnown(params: URLSearchParams, known: ReadonlySet<string>): void {
  for (const name of params.keys()) if (!known.has(name)) throw apiErrors.paramUnknown(name);
}

/** A single-valued parameter: null when absent or empty; 422 when repeated. */
export function scalar(params: URLSearchParams, name: string): string | null {
  const all = params.getAll(name);
  if (all.length > 1) throw apiErrors.paramDuplicate(name);
  const v = all[0];
  return v === undefined || v === '' ? null : v;
}

export function intParam(params: URLSearchParams, name: string): number | null {
  const v = scalar(params, name);
  if (v === null) return null;
  if (!/^[+-]?\d{1,15}$/.test(v)) throw apiErrors.paramType(name, 'integer');
  return Number(v);
}

export function dateParam(params: URLSearchParams, name: string): number | null {
  const v = scalar(params, name);
  if (v === null) return null;
  if (!/^-?\d{1,16}$/.test(v)) throw apiErrors.paramDate(name);
  return Number(v);
}

export function boolParam(params: URLSearchParams, name: string): boolean | null {
  const v = scalar(params, name);
  if (v === null) return null;
  // The values Go's strconv.ParseBool accepts (Clerk's backend is Go).
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  throw apiErrors.paramType(name, 'boolean');
}

export function arrayParam(params: URLSearchParams, name: string): string[] {
  const all = params.getAll(name);
  if (all.length > MAX_ARRAY) throw apiErrors.arraySize(name, MAX_ARRAY);
  return all;
}

/** `+id` includes, `-id` excludes, a bare id includes. */
export function signedSets(values: string[]): { include: Set<string>; exclude: Set<string> } {
  const include = new Set<string>();
  const exclude = new Set<string>();
  for (const v of values) {
    if (v.startsWith('-')) exclude.add(v.slice(1));
    else include.add(v.startsWith('+') ? v.slice(1) : v);
  }
  return { include, exclude };
}

/** `limit` (1..500, default 10) and `offset` (>= 0, default 0). */
export function parsePaging(params: URLSearchParams): { limit: number; offset: number } {
  const limit = intParam(params, 'limit') ?? DEFAULT_LIMIT;
  if (limit < 1) throw apiErrors.paramValue('limit', String(limit));
  if (limit > MAX_LIMIT) throw apiErrors.paramTooLarge('limit', MAX_LIMIT);
  const offset = intParam(params, 'offset') ?? 0;
  if (offset < 0) throw apiErrors.paramValue('offset', String(offset));
  return { limit, offset };
}

/**
 * `order_by`: one of `fields`, optionally prefixed `+` (ascending, implied) or `-` (descending).
 * Only the first value is used (as Clerk's spec says of `GET /v1/users`); 422 listing the allowed values otherwise.
 */
export function parseOrderBy<F extends string>(params: URLSearchParams, fields: readonly F[], fallback: string): { field: F; desc: boolean; raw: string } {
  const raw = params.get('order_by') || fallback;
  const desc = raw.startsWith('-');
  const field = raw.startsWith('-') || raw.startsWith('+') ? raw.slice(1) : raw;
  if (!(fields as readonly string[]).includes(field)) {
    throw apiErrors.paramValueAllowed('order_by', raw, fields.flatMap((f) => [f, `+${f}`, `-${f}`]));
  }
  return { field: field as F, desc, raw };
}
