import { EtlError, abortError, registerSecret, type EtlErrorCode } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { jsonArrayElements, mayLoseNumbers } from './json-elements.js';
import { TokenBucket } from './rate-limiter.js';
import { resolveRetryPolicy, retry, sleep, type RetryPolicy } from '../retry.js';
import { CLERK_API_VERSION, isPlainObject, type ClerkErrorBody, type UncheckedUser } from '../model/clerk-types.js';
import { DEFAULT_USER_AGENT } from '../model/defaults.js';

/** HTTP methods the Backend API uses. */
export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** One query parameter. Arrays become repeated keys (`email_address=a&email_address=b`); `undefined` is left out. */
export type QueryValue = string | number | boolean | Array<string | number> | undefined;

/** Query parameters of a request. */
export type Query = Record<string, QueryValue>;

/** Options of {@link ClerkClient.request}. */
export interface RequestOptions {
  /** Query parameters; see {@link QueryValue}. */
  query?: Query;
  /** JSON body (sent with `Content-Type: application/json`). */
  body?: unknown;
  /** Aborts the request, any retry wait and the wait for a rate-limit token. Rejects with `ABORTED`; never retried. */
  signal?: AbortSignal;
  /**
   * Whether sending the request twice is harmless. Default: true for GET, PUT and DELETE, false for POST and PATCH.
   * Non-idempotent requests are retried only when the server certainly did not process them; see {@link isAmbiguous}.
   */
  idempotent?: boolean;
  /**
   * For a non-idempotent request: after an attempt failed ambiguously (see {@link isAmbiguous}), find out whether it
   * took effect before anything is sent again (the importer looks the user up). `applied`: the request rejects with
   * that ambiguous error and the caller uses what it found; `not-applied`: it is sent again within the same attempts
   * and backoff as every other retry of this request, so one loop retries it, never two nested ones. Also called
   * after the last attempt; it is never called for a failure that is not ambiguous.
   */
  onAmbiguous?: (attempt: number) => Promise<'applied' | 'not-applied'>;
}

/** A parsed response. */
export interface ClerkResponse<T> {
  /** The JSON body (`undefined` for an empty 204). */
  data: T;
  /** HTTP status (2xx). */
  status: number;
  /** Response headers. */
  headers: Headers;
  /** The body as received (`raw` keeps each user's text from it). */
  text: string;
}

/** A user of a page (an object, its fields not checked: validation does that) with its JSON text as Clerk sent it. */
export interface UserWithText {
  user: UncheckedUser;
  /** The user's text as Clerk sent it, where asked for (see {@link UserText}). */
  text?: string;
}

/**
 * Which users of a page get their text: `all` (format raw keeps Clerk's bytes), `lossy` (only users
 * whose text holds a number JSON.parse changes, so the tables can keep it; one scan of the page
 * finds none on most pages), `none` (only the ids are wanted: the deletion sweep).
 */
export type UserText = 'all' | 'lossy' | 'none';

/** Options of {@link ClerkClient}. Validated in the constructor (`CONFIG_INVALID`). */
export interface ClerkClientOptions {
  /** Origin of the Backend API, without `/v1` (a trailing `/v1` is tolerated and dropped). E.g. `https://api.clerk.com`. */
  apiUrl: string;
  /** The instance's secret key (`sk_live_…` / `sk_test_…`). Registered as a secret: redacted from every message and log line. */
  secretKey: string;
  /** Sent as `Clerk-API-Version`. Default {@link CLERK_API_VERSION}. */
  apiVersion?: string;
  /** Rate limiter shared by every client of the process. Default `TokenBucket.forKey(secretKey)`. */
  limiter?: TokenBucket;
  /** Retry policy overrides; see {@link RetryPolicy} for defaults. */
  retry?: Partial<RetryPolicy>;
  /** Timeout of one attempt (connect, headers and the whole body), in milliseconds. Default 30 000. */
  requestTimeoutMs?: number;
  /** Logger: `warn` for each retry, `debug` for each attempt. Default: silent. */
  log?: Logger;
  /** `User-Agent` header. Default `clerk-etl/<package version>`. */
  userAgent?: string;
}

/** Counters of a {@link ClerkClient}, cumulative since construction. */
export interface ClerkClientStats {
  /** Attempts sent (each retry counts). */
  requests: number;
  /** Retries scheduled. */
  retries: number;
  /** 429 responses received. */
  rateLimited: number;
  /** 5xx responses received. */
  serverErrors: number;
  /** Attempts that failed at the network level (refused, reset, closed mid-body). */
  networkErrors: number;
  /** Attempts that hit `requestTimeoutMs`. */
  timeouts: number;
}

const KNOWN_OPTIONS = new Set<string>([
  'apiUrl',
  'secretKey',
  'apiVersion',
  'limiter',
  'retry',
  'requestTimeoutMs',
  'log',
  'userAgent',
]);
const OPTION_ALIASES: Record<string, string> = {
  baseUrl: 'apiUrl',
  url: 'apiUrl',
  apiKey: 'secretKey',
  key: 'secretKey',
  timeout: 'requestTimeoutMs',
  timeoutMs: 'requestTimeoutMs',
  logger: 'log',
  rateLimiter: 'limiter',
  retries: 'retry.maxAttempts',
  maxAttempts: 'retry.maxAttempts',
};

const IDEMPOTENT_METHODS = new Set<HttpMethod>(['GET', 'PUT', 'DELETE']);

/** Network error codes raised before the request left this machine: retrying is safe even for POST. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

/** Errors of non-idempotent requests whose outcome on the server is unknown. */
const ambiguousErrors = new WeakSet<object>();

/**
 * True when `err` came from a non-idempotent request (POST/PATCH without `idempotent: true`) that failed after it may
 * have reached Clerk: a 5xx, a reset or closed connection, a timeout, or an unreadable 2xx body. Such errors are
 * thrown at once (never retried blindly) with `retryable: true`; Clerk may or may not have applied the request, so
 * the caller must look the record up (the importer searches by `external_id`) before sending it again.
 *
 * Not ambiguous: 429 (`CLERK_RATE_LIMITED`: Clerk did not process it), connection refused / DNS failure
 * (nothing was sent), and every 4xx (Clerk rejected it).
 */
export function isAmbiguous(err: unknown): boolean {
  return typeof err === 'object' && err !== null && ambiguousErrors.has(err);
}

/** A failed attempt, described before it becomes an error (the message depends on whether we give up). */
interface Failure {
  code: EtlErrorCode;
  /** Short kind for logs: the status, or `network`, `timeout`, `bad-response`. */
  kind: string;
  /** What happened, without "after N attempts". */
  detail: string;
  /** Whether another attempt may be sent for this request. */
  retry: boolean;
  /** `retryable` flag of the error thrown if we stop here. */
  retryable: boolean;
  /** The request may have been applied (non-idempotent only). */
  ambiguous: boolean;
  status?: number;
  clerkCode?: string;
  clerkParam?: string;
  traceId?: string;
  retryAfter?: string | null;
  cause?: unknown;
}

/** A failed attempt inside the retry loop; {@link ClerkClient.request} turns the last one into an EtlError. */
class FailedAttempt extends Error {
  constructor(
    readonly failure: Failure,
    readonly attempt: number,
  ) {
    super(failure.detail);
  }
}

type AttemptResult<T> = { ok: true; response: ClerkResponse<T> } | { ok: false; failure: Failure };

/**
 * The HTTP client of the Clerk Backend API, shared by export and import.
 *
 * Every attempt takes a token from the shared {@link TokenBucket}, sends `Authorization: Bearer <key>`,
 * `Clerk-API-Version` and `Accept: application/json`, is bounded by `requestTimeoutMs` (body included) and by the
 * caller's signal, and reads and parses the whole JSON body. Failures are retried per {@link RetryPolicy}:
 *
 * - idempotent requests (GET/PUT/DELETE, or `idempotent: true`): 429, 5xx, network errors, timeouts, invalid JSON;
 * - other requests (POST/PATCH): only 429 and failures before anything was sent (connection refused, DNS);
 *   anything else is thrown at once, see {@link isAmbiguous}.
 *
 * A 429 pauses the shared bucket for the `Retry-After` time, so every concurrent request waits, not just this one.
 * Errors are `EtlError`s: `CLERK_AUTH` (401), `CLERK_HTTP` (other 4xx, 5xx, with `status`, `clerkCode`, `traceId`),
 * `CLERK_RATE_LIMITED`, `CLERK_NETWORK`, `CLERK_TIMEOUT`, `CLERK_BAD_RESPONSE`, `ABORTED`. The key never appears in
 * an error, a log line or a URL.
 */
export class ClerkClient {
  /** Counters since construction. */
  readonly stats: ClerkClientStats = {
    requests: 0,
    retries: 0,
    rateLimited: 0,
    serverErrors: 0,
    networkErrors: 0,
    timeouts: 0,
  };
  /** The rate limiter in use (shared if one was passed in). */
  readonly limiter: TokenBucket;
  /** The resolved retry policy. */
  readonly retryPolicy: Readonly<RetryPolicy>;
  /** `apiUrl` normalised: no trailing slash, no `/v1`. */
  readonly apiUrl: string;
  /** The `Clerk-API-Version` sent. */
  readonly apiVersion: string;
  /** Per-attempt timeout in milliseconds. */
  readonly requestTimeoutMs: number;

  private readonly secretKey: string;
  private readonly log: Logger;
  private readonly userAgent: string;

  constructor(options: ClerkClientOptions) {
    // Registered first, so that even a validation error below cannot echo the key.
    registerSecret(options?.secretKey);
    registerSecret(options?.secretKey?.trim());
    for (const key of Object.keys(options ?? {})) {
      if (!KNOWN_OPTIONS.has(key)) {
        const hint = OPTION_ALIASES[key];
        throw new EtlError(
          'CONFIG_INVALID',
          `Clerk client option \`${key}\` does not exist.` +
            (hint ? ` Use \`${hint}\`.` : ` Known options: ${[...KNOWN_OPTIONS].map((k) => `\`${k}\``).join(', ')}.`),
        );
      }
    }

    const secretKey = typeof options.secretKey === 'string' ? options.secretKey.trim() : '';
    if (secretKey === '') {
      throw new EtlError(
        'CONFIG_INVALID',
        'No Clerk secret key. Set CLERK_SECRET_KEY to the sk_… secret key of the instance (Clerk Dashboard → API keys).',
      );
    }
    // A newline or space would make fetch reject the header with a message quoting it (the key).
    if (!/^[\x21-\x7e]+$/.test(secretKey)) {
      throw new EtlError(
        'CONFIG_INVALID',
        'The Clerk secret key contains spaces or characters that cannot be sent in an HTTP header. Check CLERK_SECRET_KEY (copy it again from Clerk Dashboard → API keys).',
      );
    }
    this.secretKey = secretKey;

    let url: URL;
    try {
      url = new URL(options.apiUrl);
    } catch {
      throw new EtlError(
        'CONFIG_INVALID',
        `Clerk API URL ${JSON.stringify(String(options.apiUrl))} is not a URL. Expected e.g. https://api.clerk.com (CLERK_API_URL or --api-url).`,
      );
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new EtlError('CONFIG_INVALID', `Clerk API URL must be http(s); received ${url.protocol} (CLERK_API_URL or --api-url).`);
    }
    if (url.search || url.hash || url.username || url.password) {
      throw new EtlError(
        'CONFIG_INVALID',
        'Clerk API URL must not carry a query, a fragment or credentials; expected e.g. https://api.clerk.com (CLERK_API_URL or --api-url).',
      );
    }
    // Clerk documents the base URL as https://api.clerk.com/v1, so people will paste that; paths here carry /v1.
    const basePath = url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
    this.apiUrl = url.origin + basePath;

    this.apiVersion = options.apiVersion ?? CLERK_API_VERSION;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(this.apiVersion)) {
      throw new EtlError('CONFIG_INVALID', `Clerk API version must look like ${CLERK_API_VERSION}; received ${JSON.stringify(this.apiVersion)}.`);
    }
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    if (!Number.isFinite(this.requestTimeoutMs) || this.requestTimeoutMs <= 0) {
      throw new EtlError('CONFIG_INVALID', `Clerk client option \`requestTimeoutMs\` must be a positive number of milliseconds; received ${String(options.requestTimeoutMs)}.`);
    }
    this.retryPolicy = resolveRetryPolicy(options.retry);
    this.limiter = options.limiter ?? TokenBucket.forKey(secretKey);
    this.log = options.log ?? silentLogger;
    this.userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
  }

  /**
   * Send a request to the Backend API (`path` starts with `/v1/`) and parse its JSON body, retrying per the policy.
   * Resolves with the 2xx response; rejects with an `EtlError` (see the class doc). `T` is not checked: validate the
   * shape, as {@link listUsers} does.
   */
  async request<T = unknown>(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<ClerkResponse<T>> {
    const { signal } = options;
    if (!path.startsWith('/')) {
      throw new EtlError('INTERNAL', `Clerk request path must start with "/"; received ${JSON.stringify(path)}.`);
    }
    const idempotent = options.idempotent ?? IDEMPOTENT_METHODS.has(method);
    const url = this.apiUrl + path + encodeQuery(options.query);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const policy = this.retryPolicy;

    try {
      return await retry(
        async (attempt) => {
          if (signal?.aborted) throw abortError(signal);
          await this.limiter.acquire(signal);
          const result = await this.attempt<T>(method, path, url, body, idempotent, attempt, signal);
          if (result.ok) return result.response;
          throw new FailedAttempt(result.failure, attempt);
        },
        {
          policy,
          signal,
          decide: async (err) => {
            if (!(err instanceof FailedAttempt)) return 'stop';
            const { failure } = err;
            if (failure.retry) return { retryAfter: failure.retryAfter };
            if (failure.ambiguous && options.onAmbiguous && !signal?.aborted) return (await options.onAmbiguous(err.attempt)) === 'not-applied' ? 'retry' : 'stop';
            return 'stop';
          },
          onRetry: (err, attempt, delayMs) => {
            const failure = (err as FailedAttempt).failure;
            this.stats.retries++;
            this.log.warn('Clerk request failed; retrying', {
              method,
              path,
              ...(failure.status !== undefined ? { status: failure.status } : {}),
              ...(failure.kind !== String(failure.status) ? { error: failure.kind } : {}),
              ...(failure.clerkCode ? { clerkCode: failure.clerkCode } : {}),
              attempt,
              maxAttempts: policy.maxAttempts,
              delayMs,
            });
          },
          wait: async (delayMs, err) => {
            if ((err as FailedAttempt).failure.code === 'CLERK_RATE_LIMITED') {
              // Clerk blocks the whole instance's key, so every concurrent request must wait, not only this one. The
              // retry then simply queues for a token: the paused bucket does the waiting, and FIFO puts this request
              // ahead of the ones that arrived after the 429.
              this.limiter.pause(delayMs);
            } else {
              await sleep(delayMs, signal);
            }
          },
        },
      );
    } catch (err) {
      throw err instanceof FailedAttempt ? this.toError(method, path, err.failure, err.attempt) : err;
    }
  }

  /**
   * `GET /v1/users`: one page of users (a bare JSON array, per Clerk's spec). Throws `CLERK_BAD_RESPONSE` when the
   * body is not an array of objects. That is all it checks: the users are {@link UncheckedUser}s, for validation
   * (src/transform/validate-user.ts) to make ClerkUsers of.
   */
  async listUsers(query: Query = {}, signal?: AbortSignal): Promise<UncheckedUser[]> {
    return (await this.userPage(query, signal)).users;
  }

  /**
   * {@link listUsers}, with users' JSON text exactly as in Clerk's body (whitespace outside strings
   * removed when the body spans several lines), so an export can keep Clerk's bytes and numbers.
   * Texts cost memory and copies to the transform workers: only the users `keep` names get one.
   */
  async listUsersWithText(query: Query, signal: AbortSignal | undefined, keep: UserText): Promise<UserWithText[]> {
    const { users, text } = await this.userPage(query, signal);
    if (keep === 'none' || (keep === 'lossy' && !mayLoseNumbers(text))) return users.map((user) => ({ user }));
    const texts = jsonArrayElements(text);
    if (texts?.length !== users.length) {
      throw new EtlError('INTERNAL', `GET /v1/users: the body's array could not be split into its ${users.length} users (found ${texts?.length ?? 'no array'}).`);
    }
    return users.map((user, i) => {
      const t = texts[i]!;
      // A text read exactly lends its substrings to the table rows, which live until their row group
      // is written; as a slice of the page it would keep the whole page (~1.5 MB) alive with them.
      if (mayLoseNumbers(t)) return { user, text: Buffer.from(t, 'utf8').toString('utf8') };
      return { user, text: keep === 'all' ? t : undefined };
    });
  }

  private async userPage(query: Query, signal: AbortSignal | undefined): Promise<{ users: UncheckedUser[]; text: string }> {
    const { data, text } = await this.request<unknown>('GET', '/v1/users', { query, signal });
    if (!Array.isArray(data)) {
      throw new EtlError(
        'CLERK_BAD_RESPONSE',
        `GET /v1/users returned ${describeJson(data)}; expected a JSON array of users. Check that CLERK_API_URL points at the Clerk Backend API (e.g. https://api.clerk.com).`,
      );
    }
    const users: UncheckedUser[] = [];
    for (const u of data as unknown[]) {
      if (!isPlainObject(u)) {
        throw new EtlError('CLERK_BAD_RESPONSE', `GET /v1/users returned an array whose element ${users.length} is ${describeJson(u)}; expected user objects.`);
      }
      users.push(u);
    }
    return { users, text };
  }

  /** `GET /v1/users/count` with the same filters as {@link listUsers} → `total_count`. */
  async countUsers(query: Query = {}, signal?: AbortSignal): Promise<number> {
    const { data } = await this.request<unknown>('GET', '/v1/users/count', { query, signal });
    const total = (data as { total_count?: unknown } | null)?.total_count;
    if (typeof total !== 'number' || !Number.isInteger(total) || total < 0) {
      throw new EtlError(
        'CLERK_BAD_RESPONSE',
        `GET /v1/users/count returned ${describeJson(data)}; expected {"object":"total_count","total_count":<integer>}.`,
      );
    }
    return total;
  }

  /**
   * `GET /v1/users/{id}`: the user object, its fields unchecked (as {@link listUsers}). A missing user is
   * `CLERK_HTTP` with status 404 (`resource_not_found`).
   */
  async getUser(id: string, signal?: AbortSignal): Promise<UncheckedUser> {
    const path = `/v1/users/${encodeURIComponent(id)}`;
    const { data } = await this.request<unknown>('GET', path, { signal });
    if (!isPlainObject(data)) {
      throw new EtlError('CLERK_BAD_RESPONSE', `GET ${path} returned ${describeJson(data)}; expected a user object.`);
    }
    return data;
  }

  /** One attempt: send, read the whole body, classify. Throws only for the caller's abort. */
  private async attempt<T>(
    method: HttpMethod,
    path: string,
    url: string,
    body: string | undefined,
    idempotent: boolean,
    attempt: number,
    signal: AbortSignal | undefined,
  ): Promise<AttemptResult<T>> {
    // One controller linked to the caller's signal by a listener removed in `finally`, rather than
    // AbortSignal.any([signal, timeout]): combining a long-lived run signal per request retains every combined
    // signal in Node (nodejs/node#55351), and an import sends one request per user.
    const controller = new AbortController();
    const onCallerAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onCallerAbort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new EtlError('CLERK_TIMEOUT', `no response within ${this.requestTimeoutMs} ms`));
    }, this.requestTimeoutMs);

    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.secretKey}`,
      'Clerk-API-Version': this.apiVersion,
      Accept: 'application/json',
      'User-Agent': this.userAgent,
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json';

    const started = performance.now();
    let response: Response | undefined;
    this.stats.requests++;
    try {
      response = await fetch(url, { method, headers, body, signal: controller.signal, redirect: 'manual' });
      const text = await response.text();
      const ms = Math.round(performance.now() - started);
      this.log.debug('Clerk request', { method, path, status: response.status, attempt, ms });
      return this.classifyResponse<T>(method, path, response, text, idempotent);
    } catch (err) {
      if (signal?.aborted) throw abortError(signal);
      const ms = Math.round(performance.now() - started);
      const sent = response !== undefined;
      if (timedOut) {
        this.stats.timeouts++;
        this.log.debug('Clerk request timed out', { method, path, attempt, ms });
        return {
          ok: false,
          failure: {
            code: 'CLERK_TIMEOUT',
            kind: 'timeout',
            detail: `no complete response within ${this.requestTimeoutMs} ms${sent ? ` (status ${response!.status} received, body incomplete)` : ''}`,
            retry: idempotent,
            retryable: true,
            ambiguous: !idempotent,
            status: response?.status,
            cause: err,
          },
        };
      }
      const netCode = networkErrorCode(err);
      if (netCode === undefined) {
        throw new EtlError('INTERNAL', `${method} ${path} could not be sent: ${errorText(err)}`, { cause: err });
      }
      this.stats.networkErrors++;
      this.log.debug('Clerk request network error', { method, path, attempt, ms, error: netCode });
      const notSent = !sent && NOT_SENT_CODES.has(netCode);
      return {
        ok: false,
        failure: {
          code: 'CLERK_NETWORK',
          kind: netCode,
          detail: `network error ${netCode}${sent ? ` while reading the ${response!.status} response body` : ''}: ${errorText(err)}`,
          retry: idempotent || notSent,
          retryable: true,
          ambiguous: !idempotent && !notSent,
          status: response?.status,
          cause: err,
        },
      };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  private classifyResponse<T>(
    method: HttpMethod,
    path: string,
    response: Response,
    text: string,
    idempotent: boolean,
  ): AttemptResult<T> {
    const { status, headers } = response;
    if (status >= 200 && status < 300) {
      if (text === '' && (status === 204 || status === 205)) {
        return { ok: true, response: { data: undefined as T, status, headers, text } };
      }
      try {
        return { ok: true, response: { data: JSON.parse(text) as T, status, headers, text } };
      } catch (err) {
        return {
          ok: false,
          failure: {
            code: 'CLERK_BAD_RESPONSE',
            kind: 'bad-response',
            detail: `status ${status} with a body that is not valid JSON (${text.length} characters${text.length ? `, starting ${JSON.stringify(text.slice(0, 60))}` : ''}), probably truncated`,
            retry: idempotent,
            retryable: true,
            ambiguous: !idempotent,
            status,
            cause: err,
          },
        };
      }
    }

    const errorBody = parseErrorBody(text);
    const first = errorBody?.errors?.[0];
    const clerkCode = typeof first?.code === 'string' ? first.code : undefined;
    const traceId = (typeof errorBody?.clerk_trace_id === 'string' && errorBody.clerk_trace_id) || headers.get('cf-ray') || undefined;
    const clerkText = first ? clerkMessage(first) : text ? `body ${JSON.stringify(text.replace(/\s+/g, ' ').slice(0, 200))}` : 'empty body';
    const clerkParam = typeof first?.meta?.param_name === 'string' ? first.meta.param_name : undefined;
    const base = { status, clerkCode, clerkParam, traceId };

    if (status === 429) {
      this.stats.rateLimited++;
      return {
        ok: false,
        failure: {
          ...base,
          code: 'CLERK_RATE_LIMITED',
          kind: '429',
          detail: `Clerk's rate limit was hit (429${clerkCode ? ` ${clerkCode}` : ''}; Retry-After ${headers.get('retry-after') ?? 'absent'})`,
          retry: true,
          retryable: true,
          ambiguous: false,
          retryAfter: headers.get('retry-after'),
        },
      };
    }
    if (status >= 500) {
      this.stats.serverErrors++;
      return {
        ok: false,
        failure: {
          ...base,
          code: 'CLERK_HTTP',
          kind: String(status),
          detail: `Clerk answered ${status}${clerkCode ? ` ${clerkCode}` : ''}: ${clerkText}`,
          retry: idempotent,
          retryable: true,
          ambiguous: !idempotent,
          retryAfter: headers.get('retry-after'),
        },
      };
    }
    if (status === 401) {
      return {
        ok: false,
        failure: {
          ...base,
          code: 'CLERK_AUTH',
          kind: '401',
          detail: '',
          retry: false,
          retryable: false,
          ambiguous: false,
        },
      };
    }
    if (status >= 300 && status < 400) {
      return {
        ok: false,
        failure: {
          ...base,
          code: 'CLERK_HTTP',
          kind: String(status),
          detail: `Clerk answered with a redirect (${status}${headers.get('location') ? ` to ${headers.get('location')}` : ''}), which the Backend API never does. Check CLERK_API_URL (expected e.g. https://api.clerk.com)`,
          retry: false,
          retryable: false,
          ambiguous: false,
        },
      };
    }
    return {
      ok: false,
      failure: {
        ...base,
        code: 'CLERK_HTTP',
        kind: String(status),
        detail: `Clerk answered ${status}${clerkCode ? ` ${clerkCode}` : ''}: ${clerkText}`,
        retry: false,
        retryable: false,
        ambiguous: false,
      },
    };
  }

  private toError(method: HttpMethod, path: string, failure: Failure, attempts: number): EtlError {
    const what = `${method} ${path}`;
    let message: string;
    if (failure.code === 'CLERK_AUTH') {
      message =
        'Clerk rejected the secret key (401 authentication_invalid). Set CLERK_SECRET_KEY to the sk_… secret key of the instance you mean (Clerk Dashboard → API keys).' +
        (failure.clerkCode && failure.clerkCode !== 'authentication_invalid' ? ` Clerk's code: ${failure.clerkCode}.` : '');
    } else if (failure.ambiguous) {
      message =
        `${what} failed after the request was sent: ${failure.detail}. Clerk may or may not have applied it, so it was not ` +
        'retried automatically; look the record up before sending it again.';
    } else if (failure.retry) {
      // Retryable but out of attempts.
      message = `${what} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}; last: ${failure.detail}. ${retryHint(failure.code)}`;
    } else {
      message = `${what} failed: ${failure.detail}.`;
    }
    if (failure.traceId) message += ` (Clerk trace id ${failure.traceId})`;
    const error = new EtlError(failure.code, message, {
      retryable: failure.retryable,
      status: failure.status,
      clerkCode: failure.clerkCode,
      clerkParam: failure.clerkParam,
      traceId: failure.traceId,
      cause: failure.cause,
    });
    if (failure.ambiguous) ambiguousErrors.add(error);
    return error;
  }
}

function retryHint(code: EtlErrorCode): string {
  switch (code) {
    case 'CLERK_RATE_LIMITED':
      return 'Another client may be using the same instance; lower the concurrency or the rate limit, or run again later.';
    case 'CLERK_TIMEOUT':
      return 'Clerk or the network is slow; raise the request timeout or run again later.';
    case 'CLERK_NETWORK':
      return 'Check the network and CLERK_API_URL, then run again.';
    default:
      return 'Clerk may be having an incident (https://status.clerk.com); run again later.';
  }
}

/** `?a=1&b=x&b=y` for the defined parameters, or `''`. */
function encodeQuery(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      for (const v of value) params.append(key, String(v));
    } else {
      params.append(key, String(value));
    }
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

function parseErrorBody(text: string): Partial<ClerkErrorBody> | undefined {
  if (!text) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Partial<ClerkErrorBody>) : undefined;
  } catch {
    return undefined;
  }
}

function clerkMessage(e: { message?: unknown; long_message?: unknown; meta?: Record<string, unknown> }): string {
  const short = typeof e.message === 'string' ? e.message : '';
  const long = typeof e.long_message === 'string' ? e.long_message : '';
  const param = typeof e.meta?.param_name === 'string' ? ` (param ${e.meta.param_name})` : '';
  const text = long && long !== short ? (short ? `${short}: ${long}` : long) : short || long || 'no message';
  return text + param;
}

/** The Node/undici error code of a network failure, or undefined when `err` is not one. */
function networkErrorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(code)) return code;
  }
  if (err instanceof TypeError && (err.message === 'fetch failed' || err.message === 'terminated')) {
    return err.message === 'terminated' ? 'terminated' : 'fetch_failed';
  }
  if (err instanceof Error && /socket hang up|ECONNRESET|other side closed/i.test(err.message)) return 'ECONNRESET';
  return undefined;
}

function errorText(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const msg = e instanceof Error ? e.message : String(e);
    if (msg && !parts.includes(msg)) parts.push(msg);
  }
  return parts.join(': ') || 'unknown error';
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') {
    const keys = Object.keys(value as object);
    return `an object with keys ${JSON.stringify(keys.slice(0, 8))}${keys.length > 8 ? '…' : ''}`;
  }
  return `a ${typeof value} (${JSON.stringify(value)?.slice(0, 40)})`;
}
