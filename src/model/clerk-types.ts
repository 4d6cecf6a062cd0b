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

/** Clerk's error body (`ClerkErrors` schema). */
export interface ClerkErrorBody {
  errors: Array<{ message: string; long_message: string; code: string; meta?: Record<string, unknown> }>;
  meta?: Record<string, unknown>;
  clerk_trace_id?: string;
}

/** The Clerk API version this tool speaks: the version of Clerk's spec (docs/clerk-api.md, "API version"). */
export const CLERK_API_VERSION = '2026-05-12';
