import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { ClerkUser } from '../model/clerk-types.js';
import { EtlError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { ApiError, apiErrors } from './api-error.js';
import { FaultInjector, faultOptionsProblem, type Fault, type FaultOptions } from './faults.js';
import { generateUserStream } from './generate.js';
import { defaultRoles, generateOrganizations } from './org-generate.js';
import { ORG_ROUTES } from './org-routes.js';
import { OrgStore } from './org-store.js';
import type { OrgEnv } from './org-write.js';
import { Random, deriveSeed } from './random.js';
import { SlidingWindowLimiter } from './rate-limit.js';
import { errorReply, jsonReply, route, type EmulatorStats, type Reply, type Route, type RouteContext } from './routing.js';
import { UserStore } from './store.js';
import { countUsers, listUsers, parseCountFilter, parseListQuery } from './user-query.js';
import { createUser, readJsonBody, updateMetadata, updateUser, type WriteEnv } from './user-write.js';

export type { EmulatorStats, Reply, RouteContext } from './routing.js';

/**
 * A local Clerk Backend API for users: bearer-key auth,
 * Clerk's error shape, Clerk's rate limits with 429 + Retry-After, injected faults, and
 * `GET /v1/users`, `/v1/users/count`, `/v1/users/{id}`, `POST /v1/users`, `PATCH` / `DELETE /v1/users/{id}`,
 * `PATCH` / `PUT /v1/users/{id}/metadata` faithful to Clerk's spec (docs/clerk-api.md) (write rules: user-write.ts),
 * and the organization routes and other instance-wide lists (org-routes.ts; docs/clerk-api.md, "Organizations and other lists").
 */
export interface EmulatorOptions {
  /** TCP port; 0 picks a free one. Default 0. */
  port?: number;
  /** Interface to listen on. Default '127.0.0.1'. */
  host?: string;
  /** Initial users: a count to generate (seeded by `seed`) or the users themselves. Default 0. */
  users?: number | ClerkUser[];
  /**
   * Organizations to generate over the initial users, with their memberships (`org:admin` / `org:member`),
   * organization invitations and domains, plus as many instance invitations and waitlist entries
   * (org-generate.ts; its own random streams, so the users do not change). Default 0.
   */
  organizations?: number;
  /** Seed of the user and organization generators and of random faults. Default 1. */
  seed?: number;
  /** The only accepted bearer key. Default 'sk_test_emulator'. */
  secretKey?: string;
  /**
   * Rate limit per secret key, strict sliding window: 'prod' 1000 requests / 10 s, 'dev' 100 / 10 s
   * (Clerk's documented BAPI limits), 'off', or a custom window. Default 'off'.
   */
  rateLimit?: 'prod' | 'dev' | 'off' | { requests: number; windowMs: number };
  /** Delay added to every response, ms. Default 0. */
  latencyMs?: number;
  /**
   * Whether `*_after` / `*_before` filters include the bound value. Clerk does not document it
   * (what it has said points to exclusive). Default false (exclusive).
   */
  inclusiveBounds?: boolean;
  /** Random faults on every API request (users, organizations and the other lists), reads and writes; see also {@link RunningEmulator.injectNext}. Default none. */
  faults?: FaultOptions;
  /**
   * Max users of the instance: a create beyond it is a 403 `user_quota_exceeded`. Clerk's development
   * instances cap at 500 (per Clerk's migration tool). Default unlimited.
   */
  userQuota?: number;
  /**
   * Per-user limit of `PATCH /v1/users/{id}` and `PATCH|PUT /v1/users/{id}/metadata` together (Clerk:
   * 10 requests / 10 s per user), on top of the instance limit. Default: 10 / 10 s when `rateLimit` is
   * not 'off', else 'off'.
   */
  userRateLimit?: 'off' | { requests: number; windowMs: number };
  /**
   * Whether the instance requires a password: a create without `password` / `password_digest` then needs
   * `skip_password_requirement: true` (else 422 `form_data_missing`). Default false.
   */
  requirePassword?: boolean;
  /** Clock of the timestamps written on creates and updates, Unix ms. Default Date.now. */
  now?: () => number;
  /** Request log (debug level) and start-up line (info). Default silent. */
  log?: Logger;
  /**
   * Called (and awaited) before each authenticated request to a known route is answered: tests use it
   * to change the users between two page requests (deletions, updates while a client pages).
   */
  onRequest?: (request: { method: string; path: string; query: URLSearchParams; headers: IncomingHttpHeaders; store: UserStore; orgs: OrgStore }) => void | Promise<void>;
}

export interface RunningEmulator {
  /** Base URL without trailing slash and without /v1, e.g. http://127.0.0.1:54321. */
  url: string;
  port: number;
  secretKey: string;
  /** The users; writes are visible to the next request. */
  store: UserStore;
  /** The organizations and the other lists; writes are visible to the next request. */
  orgs: OrgStore;
  stats: EmulatorStats;
  /** Queue faults for the next API requests (reads or writes), one per request, before any random fault. */
  injectNext(...faults: Fault[]): void;
  /** Stop listening and close every connection, keep-alive ones included. */
  close(): Promise<void>;
}

/** API versions Clerk publishes (docs/clerk-api.md, "API version"). */
const API_VERSIONS = new Set(['2021-02-05', '2024-10-01', '2025-03-12', '2025-04-10', '2025-11-10', '2026-05-12']);
const RATE_LIMITS = { prod: { requests: 1000, windowMs: 10_000 }, dev: { requests: 100, windowMs: 10_000 } } as const;
const DEFAULT_KEY = 'sk_test_emulator';

// --- routes ---------------------------------------------------------------------------------

const WRITE_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

const JSON_HEADERS = { 'Content-Type': 'application/json' };
const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');

function storedUser(ctx: RouteContext): ClerkUser {
  const id = ctx.params.user_id as string;
  const user = ctx.store.get(id);
  if (!user) throw apiErrors.userNotFound(id);
  return user;
}

/** Store an updated user and answer it. */
function saveUpdate(ctx: RouteContext, user: ClerkUser): Reply {
  ctx.store.replace(user);
  ctx.stats.updates++;
  return { status: 200, body: (ctx.store.row(user.id) as { json: Buffer }).json };
}

/** The routes, first match wins. */
const ROUTES: Route[] = [
  route('GET', '/v1/users', (ctx) => {
    const page = listUsers(ctx.store, parseListQuery(ctx.url.searchParams, ctx));
    const parts: Buffer[] = [OPEN];
    page.forEach((json, i) => {
      if (i > 0) parts.push(COMMA);
      parts.push(json);
    });
    parts.push(CLOSE);
    return { status: 200, body: Buffer.concat(parts) };
  }),
  route('GET', '/v1/users/count', (ctx) => {
    const total = countUsers(ctx.store, parseCountFilter(ctx.url.searchParams, ctx));
    return jsonReply(200, { object: 'total_count', total_count: total });
  }),
  route('GET', '/v1/users/:user_id', (ctx) => {
    const id = ctx.params.user_id as string;
    const row = ctx.store.row(id);
    if (!row) throw apiErrors.userNotFound(id);
    return { status: 200, body: row.json };
  }),
  route('POST', '/v1/users', async (ctx) => {
    const body = await readJsonBody(ctx.req);
    const { user, secrets } = createUser(body, ctx.env);
    ctx.store.add(user);
    ctx.store.setSecrets(user.id, secrets);
    ctx.stats.creates++;
    return { status: 200, body: (ctx.store.row(user.id) as { json: Buffer }).json };
  }),
  route(
    'PATCH',
    '/v1/users/:user_id',
    async (ctx) => {
      const current = storedUser(ctx); // 404 before any body problem
      const body = await readJsonBody(ctx.req);
      const { user, secrets } = updateUser(current, ctx.store.secretsOf(current.id) ?? { has_password: false }, body, ctx.env, ctx.apiVersion);
      const reply = saveUpdate(ctx, user);
      ctx.store.setSecrets(user.id, secrets);
      return reply;
    },
    { perUser: true },
  ),
  route('DELETE', '/v1/users/:user_id', (ctx) => {
    const id = ctx.params.user_id as string;
    if (!ctx.store.delete(id)) throw apiErrors.userNotFound(id);
    ctx.orgs.removeUser(id); // a deleted user leaves its organizations
    ctx.stats.deletes++;
    return jsonReply(200, { object: 'user', id, deleted: true });
  }),
  route('PATCH', '/v1/users/:user_id/metadata', async (ctx) => {
    const current = storedUser(ctx);
    return saveUpdate(ctx, updateMetadata(current, await readJsonBody(ctx.req), true, ctx.env));
  }, { perUser: true }),
  route('PUT', '/v1/users/:user_id/metadata', async (ctx) => {
    const current = storedUser(ctx);
    return saveUpdate(ctx, updateMetadata(current, await readJsonBody(ctx.req), false, ctx.env));
  }, { perUser: true }),
  ...ORG_ROUTES,
];

function matchRoute(method: string, path: string): { route: Route; params: Record<string, string> } | null {
  for (const r of ROUTES) {
    if (r.method !== method) continue;
    const m = r.pattern.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    try {
      r.keys.forEach((k, i) => {
        params[k] = decodeURIComponent(m[i + 1] as string);
      });
    } catch {
      return null; // malformed percent-encoding: no such resource
    }
    return { route: r, params };
  }
  return null;
}

// --- the server -------------------------------------------------------------------------------

function invalid(message: string): EtlError {
  return new EtlError('CONFIG_INVALID', `Emulator: ${message}`);
}

function checkOptions(o: EmulatorOptions): void {
  if (o.port !== undefined && !(Number.isInteger(o.port) && o.port >= 0 && o.port <= 65535)) throw invalid(`port must be an integer 0..65535, got ${o.port}`);
  if (typeof o.users === 'number' && !(Number.isSafeInteger(o.users) && o.users >= 0)) throw invalid(`users must be a whole number >= 0, got ${o.users}`);
  if (o.organizations !== undefined && !(Number.isSafeInteger(o.organizations) && o.organizations >= 0)) throw invalid(`organizations must be a whole number >= 0, got ${o.organizations}`);
  if (o.seed !== undefined && !Number.isSafeInteger(o.seed)) throw invalid(`seed must be an integer, got ${o.seed}`);
  if (o.latencyMs !== undefined && !(Number.isFinite(o.latencyMs) && o.latencyMs >= 0)) throw invalid(`latencyMs must be >= 0, got ${o.latencyMs}`);
  if (o.secretKey !== undefined && o.secretKey.trim() === '') throw invalid('secretKey must not be empty');
  const rl = o.rateLimit;
  if (typeof rl === 'object' && !(Number.isInteger(rl.requests) && rl.requests >= 1 && Number.isFinite(rl.windowMs) && rl.windowMs > 0)) {
    throw invalid(`rateLimit needs requests >= 1 and windowMs > 0, got ${JSON.stringify(rl)}`);
  }
  if (typeof rl === 'string' && !['prod', 'dev', 'off'].includes(rl)) throw invalid(`rateLimit must be prod, dev, off or {requests, windowMs}, got ${rl}`);
  const url = o.userRateLimit;
  if (typeof url === 'object' && !(Number.isInteger(url.requests) && url.requests >= 1 && Number.isFinite(url.windowMs) && url.windowMs > 0)) {
    throw invalid(`userRateLimit needs requests >= 1 and windowMs > 0, got ${JSON.stringify(url)}`);
  }
  if (typeof url === 'string' && url !== 'off') throw invalid(`userRateLimit must be off or {requests, windowMs}, got ${url}`);
  if (o.userQuota !== undefined && !(Number.isSafeInteger(o.userQuota) && o.userQuota >= 0)) throw invalid(`userQuota must be a whole number >= 0, got ${o.userQuota}`);
  const problem = o.faults ? faultOptionsProblem(o.faults) : null;
  if (problem) throw invalid(problem);
}

/**
 * Start an emulator. Loading users is synchronous, 35–60k users/s including serialisation:
 * 1,000,000 generated users take about 30 s and 3.5 GB of RSS (their JSON lives off the V8 heap).
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  checkOptions(options);
  const seed = options.seed ?? 1;
  const host = options.host ?? '127.0.0.1';
  const secretKey = options.secretKey ?? DEFAULT_KEY;
  const keyBytes = Buffer.from(secretKey, 'utf8');
  const log = options.log ?? silentLogger;
  const latencyMs = options.latencyMs ?? 0;
  const inclusiveBounds = options.inclusiveBounds ?? false;
  const rl = options.rateLimit ?? 'off';
  const limit = rl === 'off' ? null : typeof rl === 'string' ? RATE_LIMITS[rl] : rl;
  const limiter = limit ? new SlidingWindowLimiter(limit.requests, limit.windowMs) : null;
  const userLimit = options.userRateLimit ?? (limit ? { requests: 10, windowMs: 10_000 } : 'off');
  const userLimiter = userLimit === 'off' ? null : new SlidingWindowLimiter(userLimit.requests, userLimit.windowMs);
  const faults = new FaultInjector(options.faults ?? {}, seed);
  const retryAfterSeconds = options.faults?.retryAfterSeconds ?? 1;

  const users = options.users ?? 0;
  let store: UserStore;
  try {
    store = new UserStore(typeof users === 'number' ? generateUserStream(users, { seed }) : users);
  } catch (err) {
    throw invalid(`cannot load the users: ${err instanceof Error ? err.message : String(err)}`);
  }

  const orgCount = options.organizations ?? 0;
  const orgs = orgCount > 0 ? generateOrganizations(orgCount, store, { seed }) : new OrgStore(defaultRoles(seed));

  const stats: EmulatorStats = {
    requests: 0,
    byStatus: {},
    injected: { '429': 0, '5xx': 0, reset: 0, truncate: 0, slow: 0, '500-after-create': 0, 'reset-after-create': 0 },
    rateLimited: 0,
    writes: 0,
    creates: 0,
    updates: 0,
    deletes: 0,
  };

  // Ids of created users and identifications: seeded, so a run is reproducible; never one already stored.
  const idRng = new Random(deriveSeed(seed, 11));
  const env: WriteEnv = {
    store,
    now: options.now ?? Date.now,
    newId: (prefix) => {
      for (;;) {
        const id = prefix + idRng.base62(27);
        if (prefix !== 'user_' || !store.has(id)) return id;
      }
    },
    userQuota: options.userQuota ?? Number.POSITIVE_INFINITY,
    requirePassword: options.requirePassword ?? false,
  };
  // Ids of created organizations, memberships, domains and invitations: their own seeded stream, so user ids do not shift.
  const orgIdRng = new Random(deriveSeed(seed, 12));
  const orgEnv: OrgEnv = {
    users: store,
    orgs,
    now: env.now,
    newId: (prefix) => prefix + orgIdRng.base62(27),
    randomSuffix: () => orgIdRng.base62(6).toLowerCase(),
  };

  // Pending delays, so close() can cut them short.
  const pending = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  let closed = false;
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (closed || ms <= 0) return resolve();
      const entry = {
        timer: setTimeout(() => {
          pending.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      pending.add(entry);
    });

  const gone = (res: ServerResponse): boolean => closed || res.destroyed || res.socket === null || res.socket.destroyed;
  const count = (status: number): void => {
    stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
  };

  const send = (res: ServerResponse, reply: Reply): void => {
    if (gone(res)) return;
    count(reply.status);
    res.writeHead(reply.status, { ...JSON_HEADERS, 'Content-Length': String(reply.body.length), ...reply.headers });
    res.end(reply.body);
  };

  /** Headers with the full Content-Length, part of the body, then the socket is closed. */
  const sendReset = (res: ServerResponse, reply: Reply): void => {
    if (gone(res)) return;
    count(reply.status);
    res.writeHead(reply.status, { ...JSON_HEADERS, 'Content-Length': String(reply.body.length), ...reply.headers });
    res.write(reply.body.subarray(0, Math.floor(reply.body.length / 2)), () => res.socket?.destroy());
  };

  /** Nothing at all: the connection is destroyed (the request was performed). */
  const sendNothing = (res: ServerResponse): void => {
    if (gone(res)) return;
    res.socket?.destroy();
    res.destroy();
  };

  /** A chunked body (no Content-Length) cut mid-JSON, ended cleanly: the client sees a complete, invalid response. */
  const sendTruncated = (res: ServerResponse, reply: Reply): void => {
    if (gone(res)) return;
    count(reply.status);
    res.writeHead(reply.status, { ...JSON_HEADERS, ...reply.headers });
    res.end(reply.body.subarray(0, Math.max(1, Math.floor(reply.body.length / 2))));
  };

  const authenticate = (header: string | undefined): ApiError | null => {
    if (header === undefined || header === '') return apiErrors.authenticationInvalid();
    const m = /^Bearer +(\S+)\s*$/i.exec(header);
    if (!m) return apiErrors.authorizationHeaderFormat();
    const presented = Buffer.from(m[1] as string, 'utf8');
    // Constant-time compare; the presented key is never echoed or logged.
    if (presented.length !== keyBytes.length || !timingSafeEqual(presented, keyBytes)) return apiErrors.clerkKeyInvalid();
    return null;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    stats.requests++;
    if (WRITE_METHODS.has(req.method ?? '')) stats.writes++;
    const started = Date.now();
    if (latencyMs > 0) await sleep(latencyMs);
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const method = req.method ?? 'GET';
    const done = (reply: Reply, how: (res: ServerResponse, reply: Reply) => void = send): void => {
      how(res, reply);
      log.debug('emulator request', { method, path: url.pathname, status: reply.status, ms: Date.now() - started });
    };

    const authError = authenticate(req.headers.authorization);
    if (authError) return done(errorReply(authError));

    if (limiter) {
      const wait = limiter.take(secretKey);
      if (wait > 0) {
        stats.rateLimited++;
        return done(errorReply(apiErrors.tooManyRequests(Math.max(1, Math.ceil(wait / 1000)))));
      }
    }

    const match = matchRoute(method, url.pathname);
    if (!match) return done(errorReply(apiErrors.routeNotFound()));

    const headerVersion = req.headers['clerk-api-version'];
    const queryVersion = url.searchParams.get('__clerk_api_version');
    if (headerVersion !== undefined && queryVersion !== null) {
      return done(errorReply(apiErrors.apiVersionInvalid('send either the Clerk-API-Version header or the __clerk_api_version query parameter, not both')));
    }
    const version = typeof headerVersion === 'string' ? headerVersion : queryVersion;
    if (version !== null && !API_VERSIONS.has(version)) {
      return done(errorReply(apiErrors.apiVersionInvalid(`unknown version ${JSON.stringify(version.slice(0, 40))}`)));
    }

    if (userLimiter && match.route.perUser) {
      const wait = userLimiter.take(match.params.user_id as string);
      if (wait > 0) {
        stats.rateLimited++;
        return done(errorReply(apiErrors.tooManyRequests(Math.max(1, Math.ceil(wait / 1000)))));
      }
    }

    if (options.onRequest) await options.onRequest({ method, path: url.pathname, query: url.searchParams, headers: req.headers, store, orgs });

    // The creates an import sends: users, organizations, memberships (after-create faults hit these).
    const isCreate = method === 'POST' && (url.pathname === '/v1/users' || url.pathname === '/v1/organizations' || /^\/v1\/organizations\/[^/]+\/memberships$/.test(url.pathname));
    const fault = match.route.faultable ? faults.next(isCreate, method !== 'GET') : null;
    if (fault === '429') {
      stats.injected['429']++;
      return done(errorReply(apiErrors.tooManyRequests(retryAfterSeconds)));
    }
    if (fault === '500' || fault === '502' || fault === '503') {
      stats.injected['5xx']++;
      return done(errorReply(apiErrors.internal(Number(fault))));
    }
    if (fault !== null && typeof fault === 'object') {
      stats.injected.slow++;
      await sleep(fault.slowMs);
    }

    let reply: Reply;
    try {
      reply = await match.route.handler({ req, url, params: match.params, store, orgs, inclusiveBounds, apiVersion: version, env, orgEnv, stats });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      reply = errorReply(err);
    }
    if (fault === 'reset') {
      stats.injected.reset++;
      return done(reply, sendReset);
    }
    if (fault === 'truncate') {
      stats.injected.truncate++;
      return done(reply, sendTruncated);
    }
    if (fault === '500-after-create') {
      stats.injected['500-after-create']++;
      return done(errorReply(apiErrors.internal(500)));
    }
    if (fault === 'reset-after-create') {
      stats.injected['reset-after-create']++;
      return done(reply, sendNothing);
    }
    done(reply);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error('emulator: unexpected error', { error: err instanceof Error ? err.stack ?? err.message : String(err) });
      if (!res.headersSent) send(res, errorReply(apiErrors.internal(500)));
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(new EtlError('CONFIG_INVALID', `Emulator: cannot listen on ${host}:${options.port ?? 0} (${err.code ?? err.message}). Choose another --port.`, { cause: err }));
    };
    server.once('error', onError);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', onError);
      resolve();
    });
  });

  const port = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;
  log.info('Clerk emulator listening', { url, users: store.size });

  return {
    url,
    port,
    secretKey,
    store,
    orgs,
    stats,
    injectNext: (...next: Fault[]) => faults.enqueue(next),
    close: async () => {
      if (closed) return;
      closed = true;
      for (const p of pending) {
        clearTimeout(p.timer);
        p.resolve();
      }
      pending.clear();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await stopped;
    },
  };
}
