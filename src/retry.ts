import { EtlError, abortError } from './errors.js';

/**
 * The one retry loop of clerk-etl: {@link retry} runs an attempt until it succeeds, the caller's
 * `decide` says stop, or the policy's attempts are used up; {@link computeRetryDelay} is the one
 * backoff computation (full jitter, caps, Retry-After). The Clerk client (every Backend API request,
 * including the importer's creates, whose ambiguous failures are looked up inside the same loop) and
 * the S3 destination's clean-up use it, so no request is retried by two nested loops.
 */

/**
 * When and how long to retry. Plain data: the caller decides *whether* a failure is retryable
 * (its `decide`), {@link computeRetryDelay} decides *how long* to wait.
 */
export interface RetryPolicy {
  /** Attempts in total, the first one included (so `maxAttempts − 1` retries). Integer ≥ 1. Default 6. */
  maxAttempts: number;
  /** Backoff base in milliseconds: the n-th retry waits a random time in [0, baseDelayMs × 2^(n−1)]. Default 500. */
  baseDelayMs: number;
  /** Cap of the exponential backoff, in milliseconds. Default 30 000. */
  maxDelayMs: number;
  /** Cap of a server-sent `Retry-After`, in milliseconds (a longer one is shortened to this). Default 120 000. */
  maxRetryAfterMs: number;
}

/** The default {@link RetryPolicy}: 6 attempts, 500 ms base, 30 s backoff cap, 120 s Retry-After cap. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 6,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 120_000,
});

const POLICY_KEYS = Object.keys(DEFAULT_RETRY_POLICY) as Array<keyof RetryPolicy>;

/** Names people reach for, mapped to the option that exists (got-style hint). */
const POLICY_ALIASES: Record<string, keyof RetryPolicy> = {
  retries: 'maxAttempts',
  maxRetries: 'maxAttempts',
  limit: 'maxAttempts',
  attempts: 'maxAttempts',
  baseDelay: 'baseDelayMs',
  minDelayMs: 'baseDelayMs',
  maxDelay: 'maxDelayMs',
  maxRetryAfter: 'maxRetryAfterMs',
};

/**
 * Merge `overrides` over {@link DEFAULT_RETRY_POLICY} and validate the result eagerly.
 * Throws `CONFIG_INVALID` for an unknown key (naming the one that exists) or an out-of-range value.
 */
export function resolveRetryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  for (const key of Object.keys(overrides)) {
    if (!(POLICY_KEYS as string[]).includes(key)) {
      const hint = POLICY_ALIASES[key];
      throw new EtlError(
        'CONFIG_INVALID',
        `Retry option \`${key}\` does not exist.` +
          (hint ? ` Use \`${hint}\`.` : ` Known options: ${POLICY_KEYS.map((k) => `\`${k}\``).join(', ')}.`),
      );
    }
  }
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...defined };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new EtlError('CONFIG_INVALID', `Retry option \`maxAttempts\` must be an integer ≥ 1 (1 = no retry); received ${String(policy.maxAttempts)}.`);
  }
  for (const key of ['baseDelayMs', 'maxDelayMs', 'maxRetryAfterMs'] as const) {
    const v = policy[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new EtlError('CONFIG_INVALID', `Retry option \`${key}\` must be a number of milliseconds ≥ 0; received ${String(v)}.`);
    }
  }
  return policy;
}

/**
 * Parse a `Retry-After` header: delta-seconds (`"3"`, `"1.5"` tolerated) or an HTTP-date.
 * Returns milliseconds from `nowMs` (never negative), or `undefined` when absent or unparseable.
 */
export function parseRetryAfter(header: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (header == null) return undefined;
  const value = header.trim();
  if (value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  // An HTTP-date always names the day and month; without this, Date.parse reads "-5" as the year −5.
  if (!/[A-Za-z]{3}/.test(value)) return undefined;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/**
 * Milliseconds to wait before the next attempt, after `attempt` attempts have failed (1 after the first failure).
 *
 * - A valid `Retry-After` wins and is honoured as is, capped at `maxRetryAfterMs` (the server said when it is ready).
 * - Otherwise exponential backoff with full jitter: uniform in [0, min(maxDelayMs, baseDelayMs × 2^(attempt−1))].
 *
 * Pure: `random` (values in [0, 1)) and `nowMs` (for an HTTP-date Retry-After) are injectable.
 */
export function computeRetryDelay(
  attempt: number,
  policy: RetryPolicy,
  retryAfterHeader?: string | null,
  random: () => number = Math.random,
  nowMs: number = Date.now(),
): number {
  const retryAfter = parseRetryAfter(retryAfterHeader, nowMs);
  if (retryAfter !== undefined) return Math.min(retryAfter, policy.maxRetryAfterMs);
  const exponent = Math.max(0, attempt - 1);
  // 2^exponent overflows to Infinity for huge attempts; min() keeps that harmless.
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent);
  return Math.floor(random() * ceiling);
}

/**
 * Wait `ms` milliseconds. Rejects with an `ABORTED` EtlError as soon as `signal` aborts, clearing the timer
 * (nothing is left pending).
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * What to do after a failed attempt: `stop` (throw the failure), `retry` (back off per the policy),
 * `{ retryAfter }` (a server's `Retry-After` header, honoured up to `maxRetryAfterMs`, backoff when
 * absent) or `{ waitMs }` (a wait the caller computed).
 */
export type RetryDecision = 'stop' | 'retry' | { retryAfter: string | null | undefined } | { waitMs: number };

export interface RetryOptions {
  /** Attempts in total and the backoff; only `maxAttempts` matters when `decide` gives `{ waitMs }`. */
  policy: Readonly<RetryPolicy>;
  /**
   * Whether `err` (thrown by attempt `attempt`, 1-based) may be retried. Called after every failed
   * attempt, the last one included (it may look something up).
   */
  decide(err: unknown, attempt: number): RetryDecision | Promise<RetryDecision>;
  /** Aborts the wait between attempts: the loop then rejects with `ABORTED`. */
  signal?: AbortSignal;
  /** Called before each wait (logs, counters). */
  onRetry?(err: unknown, attempt: number, delayMs: number): void;
  /** How to wait (default {@link sleep}); the Clerk client pauses its shared rate limiter instead after a 429. */
  wait?(delayMs: number, err: unknown, signal: AbortSignal | undefined): Promise<void>;
  /** Values in [0, 1) for the jitter (tests). */
  random?: () => number;
}

/**
 * Run `attempt(1)`, `attempt(2)`, … until one resolves; throw the last failure when `decide` says
 * `stop` or `policy.maxAttempts` attempts have failed.
 */
export async function retry<T>(attempt: (attemptNo: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { policy, signal } = options;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      const decision = await options.decide(err, n);
      if (decision === 'stop' || n >= policy.maxAttempts) throw err;
      const delayMs =
        decision === 'retry'
          ? computeRetryDelay(n, policy, undefined, options.random)
          : 'waitMs' in decision
            ? decision.waitMs
            : computeRetryDelay(n, policy, decision.retryAfter, options.random);
      options.onRetry?.(err, n, delayMs);
      await (options.wait ?? ((ms: number, _err: unknown, s: AbortSignal | undefined) => sleep(ms, s)))(delayMs, err, signal);
    }
  }
}
