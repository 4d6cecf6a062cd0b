import type { IncomingMessage } from 'node:http';
import type { ApiError } from './api-error.js';
import type { OrgEnv } from './org-write.js';
import type { OrgStore } from './org-store.js';
import type { UserStore } from './store.js';
import type { WriteEnv } from './user-write.js';

/** The emulator's routing: what a handler gets and answers, and the route table entries (server.ts, org-routes.ts). */

/** Counters since start. */
export interface EmulatorStats {
  /** Every request received, including rejected ones. */
  requests: number;
  /** Responses by status code ('200', '401', '429', …). A reset counts under the status it started to send. */
  byStatus: Record<string, number>;
  /** Faults injected (queued or random). */
  injected: { '429': number; '5xx': number; reset: number; truncate: number; slow: number; '500-after-create': number; 'reset-after-create': number };
  /** Requests refused by the rate limit, instance or per-user (not counting injected 429s). */
  rateLimited: number;
  /** Requests with a writing method (POST, PATCH, PUT, DELETE), whatever their outcome (401, 404, 422, 429 included). */
  writes: number;
  /** Users created (also when an injected fault then hid the response). */
  creates: number;
  /** Users updated: `PATCH /v1/users/{id}` and metadata PATCH/PUT that succeeded. */
  updates: number;
  /** Users deleted. */
  deletes: number;
}

/** What a route handler gets. */
export interface RouteContext {
  req: IncomingMessage;
  url: URL;
  /** Decoded path parameters (`:user_id` → params.user_id). */
  params: Record<string, string>;
  store: UserStore;
  /** The organizations, their memberships, invitations and domains, the instance's invitations and waitlist. */
  orgs: OrgStore;
  inclusiveBounds: boolean;
  /** The request's API version (header or query), or null when none was sent. */
  apiVersion: string | null;
  /** Clock, id source and instance settings for writes. */
  env: WriteEnv;
  /** Clock and id source for organization writes. */
  orgEnv: OrgEnv;
  stats: EmulatorStats;
}

/** A response before it is sent (faults may mangle it). */
export interface Reply {
  status: number;
  body: Buffer;
  headers?: Record<string, string>;
}

export type Handler = (ctx: RouteContext) => Reply | Promise<Reply>;

export interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: Handler;
  /** Whether injected faults apply (every route of the table). */
  faultable: boolean;
  /** Whether Clerk's per-user limit applies (keyed by `:user_id`). */
  perUser: boolean;
}

export function route(method: string, path: string, handler: Handler, options: { faultable?: boolean; perUser?: boolean } = {}): Route {
  const keys: string[] = [];
  const source = path.replace(/:([a-z_]+)/g, (_m, key: string) => {
    keys.push(key);
    return '([^/]+)';
  });
  return { method, pattern: new RegExp(`^${source}$`), keys, handler, faultable: options.faultable ?? true, perUser: options.perUser ?? false };
}

export function jsonReply(status: number, value: unknown): Reply {
  return { status, body: Buffer.from(JSON.stringify(value), 'utf8') };
}

export function errorReply(err: ApiError): Reply {
  return { ...jsonReply(err.status, err.toBody()), headers: err.headers };
}

