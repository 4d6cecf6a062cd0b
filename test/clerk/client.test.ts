import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ClerkClient, TokenBucket, isAmbiguous, type ClerkClientOptions } from '../../src/clerk/index.js';
import { EtlError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';

// Deliberately not shaped like sk_test_… so that only registerSecret (not the key-shaped regex) can hide it.
const KEY = 'clerk-etl-test-secret-K3y9x7Qw2Zp';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let baseUrl: string;
let handlers: Handler[] = [];
let seen: Seen[] = [];
let logLines: string[] = [];

/** Script the next responses, one handler per request, in order. */
function script(...next: Handler[]): void {
  handlers.push(...next);
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
}

function clerkError(status: number, code: string, message: string, longMessage: string, traceId?: string, headers?: Record<string, string>): Handler {
  return json(
    status,
    { errors: [{ code, message, long_message: longMessage, meta: {} }], ...(traceId ? { clerk_trace_id: traceId } : {}) },
    headers,
  );
}

/** A raw capturing logger: no redaction here, so a key passed to the logger would be caught. */
const captureLog: Logger = {
  debug: (msg, fields) => logLines.push(JSON.stringify({ level: 'debug', msg, ...fields })),
  info: (msg, fields) => logLines.push(JSON.stringify({ level: 'info', msg, ...fields })),
  warn: (msg, fields) => logLines.push(JSON.stringify({ level: 'warn', msg, ...fields })),
  error: (msg, fields) => logLines.push(JSON.stringify({ level: 'error', msg, ...fields })),
};

function client(overrides: Partial<ClerkClientOptions> = {}): ClerkClient {
  return new ClerkClient({
    apiUrl: baseUrl,
    secretKey: KEY,
    limiter: new TokenBucket({ requests: 1_000, windowMs: 1_000 }),
    retry: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 4 },
    requestTimeoutMs: 2_000,
    log: captureLog,
    ...overrides,
  });
}

async function failure(p: Promise<unknown>): Promise<EtlError> {
  const result = await p.then(
    (v) => ({ ok: true as const, v }),
    (e: unknown) => ({ ok: false as const, e }),
  );
  if (result.ok) throw new Error(`expected a rejection, got ${JSON.stringify(result.v)}`);
  expect(result.e).toBeInstanceOf(EtlError);
  return result.e as EtlError;
}

const warnLines = (): Array<Record<string, unknown>> =>
  logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === 'warn');

const USERS = [
  { id: 'user_1', object: 'user', created_at: 1, updated_at: 1 },
  { id: 'user_2', object: 'user', created_at: 2, updated_at: 2 },
];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString(), at: performance.now() });
      const handler = handlers.shift() ?? json(599, { errors: [{ code: 'unscripted', message: 'no scripted response', long_message: '' }] });
      handler(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  handlers = [];
  seen = [];
  logLines = [];
});

afterEach(() => {
  expect(handlers, 'every scripted response was used').toEqual([]);
});

describe('ClerkClient requests', () => {
  it('sends bearer auth, Clerk-API-Version, Accept and repeated array query params', async () => {
    script(json(200, USERS));
    const users = await client().listUsers({
      limit: 2,
      email_address: ['a@x.com', 'b@x.com'],
      banned: false,
      order_by: '+created_at',
      starting_after: undefined,
    });
    expect(users).toEqual(USERS);
    expect(seen).toHaveLength(1);
    const req = seen[0]!;
    expect(req.method).toBe('GET');
    expect(req.url).toBe('/v1/users?limit=2&email_address=a%40x.com&email_address=b%40x.com&banned=false&order_by=%2Bcreated_at');
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req.headers['clerk-api-version']).toBe('2026-05-12');
    expect(req.headers.accept).toBe('application/json');
    expect(req.headers['content-type']).toBeUndefined();
  });

  it('sends a JSON body for POST and tolerates an apiUrl ending in /v1', async () => {
    script(json(200, USERS[0]));
    const c = client({ apiUrl: `${baseUrl}/v1/` });
    const res = await c.request<{ id: string }>('POST', '/v1/users', { body: { external_id: 'ext_1', email_address: ['a@x.com'] } });
    expect(res.data.id).toBe('user_1');
    expect(res.status).toBe(200);
    expect(seen[0]!.url).toBe('/v1/users');
    expect(seen[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen[0]!.body)).toEqual({ external_id: 'ext_1', email_address: ['a@x.com'] });
  });

  it('countUsers returns total_count; getUser encodes the id', async () => {
    script(json(200, { object: 'total_count', total_count: 42 }), json(200, USERS[1]));
    const c = client();
    expect(await c.countUsers({ banned: true })).toBe(42);
    expect(await c.getUser('user_2/../x')).toEqual(USERS[1]);
    expect(seen.map((s) => s.url)).toEqual(['/v1/users/count?banned=true', '/v1/users/user_2%2F..%2Fx']);
  });

  it('listUsers rejects a body that is not an array with CLERK_BAD_RESPONSE', async () => {
    script(json(200, { data: USERS, total_count: 2 }));
    const err = await failure(client().listUsers());
    expect(err.code).toBe('CLERK_BAD_RESPONSE');
    expect(err.message).toContain('expected a JSON array of users');
  });

  it('countUsers rejects a body without an integer total_count', async () => {
    script(json(200, { object: 'total_count' }));
    const err = await failure(client().countUsers());
    expect(err.code).toBe('CLERK_BAD_RESPONSE');
  });
});

describe('ClerkClient retries', () => {
  it('honours Retry-After on 429, pausing the shared limiter so concurrent requests wait too', async () => {
    script(clerkError(429, 'too_many_requests', 'Too many requests', 'Too many requests, retry later', undefined, { 'retry-after': '1' }));
    // The retry and the concurrent request both wait for the pause; answer each by its URL.
    const byUrl: Handler = (req, res) => json(200, req.url === '/v1/users' ? USERS : USERS[0])(req, res);
    script(byUrl, byUrl);
    const c = client();
    const first = c.listUsers();
    while (c.stats.rateLimited === 0) await new Promise((r) => setTimeout(r, 5));
    const t429 = seen[0]!.at;
    const concurrent = c.getUser('user_1'); // sent after the 429: must wait for the pause too
    expect(await first).toEqual(USERS);
    expect(await concurrent).toEqual(USERS[0]);

    expect(seen.map((s) => s.url)).toEqual(['/v1/users', '/v1/users', '/v1/users/user_1']); // the retry keeps its place
    for (const s of seen.slice(1)) expect(s.at - t429).toBeGreaterThanOrEqual(990);
    expect(c.limiter.pausedMs).toBe(1_000);
    expect(c.stats).toMatchObject({ requests: 3, retries: 1, rateLimited: 1, serverErrors: 0 });
    expect(warnLines()).toEqual([
      expect.objectContaining({ method: 'GET', path: '/v1/users', status: 429, attempt: 1, maxAttempts: 4, delayMs: 1_000 }),
    ]);
  });

  it('retries 500, 502, 503 with capped backoff, then succeeds', async () => {
    script(
      clerkError(500, 'internal_clerk_error', 'Oops', 'Internal error'),
      json(502, { message: 'bad gateway' }),
      (_req, res) => {
        res.writeHead(503, { 'content-type': 'text/html' });
        res.end('<html>unavailable</html>');
      },
      json(200, USERS),
    );
    const c = client();
    const started = performance.now();
    expect(await c.listUsers()).toEqual(USERS);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(seen).toHaveLength(4);
    expect(c.stats).toMatchObject({ requests: 4, retries: 3, serverErrors: 3, rateLimited: 0 });
    const warns = warnLines();
    expect(warns.map((w) => w.status)).toEqual([500, 502, 503]);
    expect(warns.map((w) => w.attempt)).toEqual([1, 2, 3]);
    for (const w of warns) expect(w.delayMs as number).toBeLessThanOrEqual(20);
  });

  it('gives up after maxAttempts with CLERK_HTTP naming the attempts', async () => {
    script(...Array.from({ length: 3 }, () => clerkError(503, 'service_unavailable', 'Unavailable', 'Try later', 'trace_503')));
    const c = client({ retry: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 3 } });
    const err = await failure(c.listUsers());
    expect(err.code).toBe('CLERK_HTTP');
    expect(err.status).toBe(503);
    expect(err.retryable).toBe(true);
    expect(err.traceId).toBe('trace_503');
    expect(err.message).toContain('GET /v1/users failed after 3 attempts');
    expect(seen).toHaveLength(3);
    expect(c.stats.retries).toBe(2);
  });

  it('gives up on repeated 429s with CLERK_RATE_LIMITED', async () => {
    script(...Array.from({ length: 2 }, () => clerkError(429, 'too_many_requests', 'Too many', 'Too many requests', undefined, { 'retry-after': '0' })));
    const err = await failure(client({ retry: { baseDelayMs: 5, maxAttempts: 2 } }).listUsers());
    expect(err.code).toBe('CLERK_RATE_LIMITED');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('after 2 attempts');
    expect(isAmbiguous(err)).toBe(false);
  });

  it('retries a response whose socket is destroyed mid-body', async () => {
    script((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '5000' });
      res.write('[{"id":"user_1","object":"us');
      setTimeout(() => res.socket?.destroy(), 10);
    }, json(200, USERS));
    const c = client();
    expect(await c.listUsers()).toEqual(USERS);
    expect(seen).toHaveLength(2);
    expect(c.stats).toMatchObject({ networkErrors: 1, retries: 1 });
    expect(warnLines()[0]).toMatchObject({ method: 'GET', path: '/v1/users', status: 200, error: 'UND_ERR_SOCKET', attempt: 1 });
  });

  it('retries an attempt that exceeds requestTimeoutMs', async () => {
    script((_req, res) => {
      const t = setTimeout(() => res.end('[]'), 1_500);
      res.on('close', () => clearTimeout(t));
    }, json(200, USERS));
    const c = client({ requestTimeoutMs: 150 });
    const started = performance.now();
    expect(await c.listUsers()).toEqual(USERS);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(1_000);
    expect(c.stats).toMatchObject({ timeouts: 1, retries: 1, requests: 2 });
    expect(warnLines()[0]).toMatchObject({ error: 'timeout', attempt: 1 });
  });

  it('gives up on timeouts with CLERK_TIMEOUT', async () => {
    const slow: Handler = (_req, res) => {
      const t = setTimeout(() => res.end('[]'), 1_500);
      res.on('close', () => clearTimeout(t));
    };
    script(slow, slow);
    const err = await failure(client({ requestTimeoutMs: 50, retry: { baseDelayMs: 5, maxAttempts: 2 } }).listUsers());
    expect(err.code).toBe('CLERK_TIMEOUT');
    expect(err.message).toContain('after 2 attempts');
    expect(err.message).toContain('50 ms');
  });

  it('retries an invalid (truncated) JSON body for GET', async () => {
    script((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('[{"id":"user_1",');
    }, json(200, USERS));
    const c = client();
    expect(await c.listUsers()).toEqual(USERS);
    expect(seen).toHaveLength(2);
    expect(warnLines()[0]).toMatchObject({ status: 200, attempt: 1 });
  });

  it('retries connection refused, even for POST, and reports CLERK_NETWORK after the last attempt', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const c = client({ apiUrl: `http://127.0.0.1:${port}`, retry: { baseDelayMs: 5, maxAttempts: 3 } });
    const err = await failure(c.request('POST', '/v1/users', { body: {} }));
    expect(err.code).toBe('CLERK_NETWORK');
    expect(err.message).toContain('POST /v1/users failed after 3 attempts');
    expect(err.message).toContain('ECONNREFUSED');
    expect(isAmbiguous(err)).toBe(false);
    expect(c.stats).toMatchObject({ requests: 3, networkErrors: 3, retries: 2 });
  });
});

describe('ClerkClient non-idempotent requests', () => {
  it('onAmbiguous: a create found not applied is sent again in the same loop; 429s and resends share one attempt budget', async () => {
    script(
      clerkError(429, 'too_many_requests', 'Too many', 'Too many requests', undefined, { 'retry-after': '0' }),
      clerkError(500, 'internal_clerk_error', 'Oops', 'Something went wrong'),
      clerkError(500, 'internal_clerk_error', 'Oops', 'Something went wrong'),
      clerkError(429, 'too_many_requests', 'Too many', 'Too many requests', undefined, { 'retry-after': '0' }),
    );
    const c = client();
    const asked: number[] = [];
    const err = await failure(
      c.request('POST', '/v1/users', {
        body: {},
        onAmbiguous: async (attempt) => {
          asked.push(attempt);
          return 'not-applied';
        },
      }),
    );
    // maxAttempts 4 in all, whatever failed: never 4 × 4 through two nested loops
    expect(seen).toHaveLength(4);
    expect(asked).toEqual([2, 3]);
    expect(err.code).toBe('CLERK_RATE_LIMITED');
    expect(err.message).toContain('failed after 4 attempts');
    expect(c.stats.retries).toBe(3);
  });

  it('onAmbiguous: applied stops at once with the ambiguous error; not-applied then success resolves', async () => {
    script(clerkError(500, 'internal_clerk_error', 'Oops', 'Something went wrong'));
    const err = await failure(client().request('POST', '/v1/users', { body: {}, onAmbiguous: async () => 'applied' }));
    expect(seen).toHaveLength(1);
    expect(isAmbiguous(err)).toBe(true);
    script(clerkError(502, 'bad_gateway', 'Bad', 'Bad gateway'), json(200, { id: 'user_1' }));
    const res = await client().request<{ id: string }>('POST', '/v1/users', { body: {}, onAmbiguous: async () => 'not-applied' });
    expect(res.data.id).toBe('user_1');
    expect(seen).toHaveLength(3);
  });

  it('does not retry POST on 500: one request, an ambiguous retryable error', async () => {
    script(clerkError(500, 'internal_clerk_error', 'Oops', 'Something went wrong'));
    const c = client();
    const err = await failure(c.request('POST', '/v1/users', { body: { external_id: 'ext_1' } }));
    expect(seen).toHaveLength(1);
    expect(err.code).toBe('CLERK_HTTP');
    expect(err.status).toBe(500);
    expect(err.retryable).toBe(true);
    expect(isAmbiguous(err)).toBe(true);
    expect(err.message).toContain('POST /v1/users failed after the request was sent');
    expect(err.message).toContain('look the record up before sending it again');
    expect(c.stats.retries).toBe(0);
  });

  it('does not retry POST on a broken body or invalid JSON', async () => {
    script((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id":"user_');
    });
    const err = await failure(client().request('POST', '/v1/users', { body: {} }));
    expect(seen).toHaveLength(1);
    expect(err.code).toBe('CLERK_BAD_RESPONSE');
    expect(isAmbiguous(err)).toBe(true);
  });

  it('does not retry PATCH on a timeout', async () => {
    script((_req, res) => {
      const t = setTimeout(() => res.end('{}'), 1_500);
      res.on('close', () => clearTimeout(t));
    });
    const err = await failure(client({ requestTimeoutMs: 50 }).request('PATCH', '/v1/users/user_1', { body: {} }));
    expect(seen).toHaveLength(1);
    expect(err.code).toBe('CLERK_TIMEOUT');
    expect(isAmbiguous(err)).toBe(true);
  });

  it('retries POST on 429 (Clerk did not process it)', async () => {
    script(clerkError(429, 'too_many_requests', 'Too many', 'Too many requests', undefined, { 'retry-after': '0' }), json(200, USERS[0]));
    const res = await client().request<{ id: string }>('POST', '/v1/users', { body: {} });
    expect(res.data.id).toBe('user_1');
    expect(seen).toHaveLength(2);
  });

  it('retries POST on 500 when the caller declares it idempotent', async () => {
    script(clerkError(500, 'internal_clerk_error', 'Oops', 'Oops'), json(200, USERS[0]));
    await client().request('POST', '/v1/users', { body: {}, idempotent: true });
    expect(seen).toHaveLength(2);
  });
});

describe('ClerkClient errors', () => {
  it('401 → CLERK_AUTH naming CLERK_SECRET_KEY, not retried, the key nowhere', async () => {
    script(clerkError(401, 'authentication_invalid', 'Unauthorized request', `The secret key ${KEY} is invalid`, 'trace_401'));
    const c = client({ log: captureLog });
    const err = await failure(c.listUsers());
    expect(err.code).toBe('CLERK_AUTH');
    expect(err.retryable).toBe(false);
    expect(err.status).toBe(401);
    expect(err.message).toContain(
      'Clerk rejected the secret key (401 authentication_invalid). Set CLERK_SECRET_KEY to the sk_… secret key of the instance you mean (Clerk Dashboard → API keys).',
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers.authorization).toBe(`Bearer ${KEY}`); // the key was really in play
    expect(err.message).not.toContain(KEY);
    expect(err.stack ?? '').not.toContain(KEY);
    expect(inspect(err, { depth: 5 })).not.toContain(KEY);
    expect(JSON.stringify(err)).not.toContain(KEY);
    expect(logLines.length).toBeGreaterThan(0);
    for (const line of logLines) expect(line).not.toContain(KEY);
  });

  it('the key never reaches a log line or an error, even across retries and a network failure', async () => {
    script(
      clerkError(503, 'x', 'Down', 'Down'),
      (_req, res) => res.socket?.destroy(),
      clerkError(422, 'form_param_unknown', 'Unknown', `Param ${KEY} unknown`),
    );
    const err = await failure(client().listUsers({ query: 'abc' }));
    expect(err.code).toBe('CLERK_HTTP');
    expect(logLines.length).toBeGreaterThanOrEqual(4);
    for (const text of [...logLines, err.message, err.stack ?? '', inspect(err, { depth: 5 })]) expect(text).not.toContain(KEY);
  });

  it('422 → CLERK_HTTP with status, clerkCode, traceId and Clerk’s messages, not retried', async () => {
    script(
      clerkError(
        422,
        'form_identifier_exists',
        'That email address is taken. Please try another.',
        'That email address is taken. Please try another.',
        'trace_abc123',
      ),
    );
    const c = client();
    const err = await failure(c.request('POST', '/v1/users', { body: { email_address: ['a@x.com'] } }));
    expect(err).toMatchObject({ code: 'CLERK_HTTP', status: 422, clerkCode: 'form_identifier_exists', traceId: 'trace_abc123', retryable: false });
    expect(err.message).toBe(
      'POST /v1/users failed: Clerk answered 422 form_identifier_exists: That email address is taken. Please try another.. (Clerk trace id trace_abc123)',
    );
    expect(isAmbiguous(err)).toBe(false);
    expect(seen).toHaveLength(1);
  });

  it('404 without clerk_trace_id takes the trace id from CF-Ray and includes long_message', async () => {
    script(clerkError(404, 'resource_not_found', 'not found', 'No user was found with id user_x', undefined, { 'cf-ray': '8a1b2c3d4e5f-AMS' }));
    const err = await failure(client().getUser('user_x'));
    expect(err).toMatchObject({ code: 'CLERK_HTTP', status: 404, clerkCode: 'resource_not_found', traceId: '8a1b2c3d4e5f-AMS' });
    expect(err.message).toContain('GET /v1/users/user_x failed: Clerk answered 404 resource_not_found: not found: No user was found with id user_x');
    expect(seen).toHaveLength(1);
  });

  it('a caller abort mid-request rejects with ABORTED and is not retried', async () => {
    script((_req, res) => {
      const t = setTimeout(() => res.end('[]'), 1_500);
      res.on('close', () => clearTimeout(t));
    });
    const c = client();
    const ac = new AbortController();
    const p = c.listUsers({}, ac.signal);
    setTimeout(() => ac.abort(), 50);
    const started = performance.now();
    const err = await failure(p);
    expect(performance.now() - started).toBeLessThan(500);
    expect(err.code).toBe('ABORTED');
    expect(seen).toHaveLength(1);
    expect(c.stats).toMatchObject({ retries: 0, timeouts: 0, networkErrors: 0 });
  });

  it('a caller abort during a long Retry-After wait rejects promptly', async () => {
    script(clerkError(503, 'x', 'Down', 'Down', undefined, { 'retry-after': '60' }));
    const c = client();
    const ac = new AbortController();
    const p = c.listUsers({}, ac.signal);
    while (c.stats.retries === 0) await new Promise((r) => setTimeout(r, 5));
    const started = performance.now();
    ac.abort();
    const err = await failure(p);
    expect(err.code).toBe('ABORTED');
    expect(performance.now() - started).toBeLessThan(200);
    expect(warnLines()[0]).toMatchObject({ status: 503, delayMs: 60_000 });
    expect(seen).toHaveLength(1);
  });
});

describe('ClerkClient options', () => {
  it('rejects unknown options with a hint, and a missing key naming CLERK_SECRET_KEY', () => {
    expect(() => new ClerkClient({ apiUrl: baseUrl, secretKey: KEY, timeout: 5 } as never)).toThrow(
      'Clerk client option `timeout` does not exist. Use `requestTimeoutMs`.',
    );
    expect(() => new ClerkClient({ apiUrl: baseUrl, secretKey: '' })).toThrow(/CLERK_SECRET_KEY/);
    expect(() => new ClerkClient({ apiUrl: 'api.clerk.com', secretKey: KEY })).toThrow(/not a URL/);
  });

  it('sizes the default limiter from the key', () => {
    expect(new ClerkClient({ apiUrl: baseUrl, secretKey: 'sk_live_abcdefghijkl' }).limiter.limit.requests).toBe(1_000);
    expect(new ClerkClient({ apiUrl: baseUrl, secretKey: 'sk_test_abcdefghijkl' }).limiter.limit.requests).toBe(100);
  });
});
