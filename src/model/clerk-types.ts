/**
 * A Clerk User as returned by the Backend API (`GET /v1/users`), spec version 2026-05-12.
 * Kept loose on purpose: validation (src/transform/validate-user.ts) is what guarantees shapes,
 * and fields Clerk adds later must survive as data.
 */
export interface ClerkUser {
  id: string;
  object: string;
  created_at: number;
  updated_at: number;
  [field: string]: unknown;
}

/**
 * A record whose shape nobody has checked yet: a JSON object as Clerk's API or an input file gave
 * it. Only its being an object is known. Validation (src/transform/validate-user.ts, `isValidUser`)
 * is where it becomes a {@link ClerkUser}; until then every field is `unknown` and is checked where read.
 */
export type UncheckedUser = Record<string, unknown>;

/** A JSON object (not null, not an array): the one check every record gets before it is an {@link UncheckedUser}. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Clerk's error body (`ClerkErrors` schema). */
export interface ClerkErrorBody {
  errors: Array<{ message: string; long_message: string; code: string; meta?: Record<string, unknown> }>;
  meta?: Record<string, unknown>;
  clerk_trace_id?: string;
}

/** The Clerk API version this tool speaks: the version of Clerk's spec (docs/clerk-api.md, "API version"). */
export const CLERK_API_VERSION = '2026-05-12';
