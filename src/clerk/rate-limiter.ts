import { EtlError, abortError } from '../errors.js';

/** Options of {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** Requests the server allows per window (Clerk: 1000 for `sk_live_`, 100 for `sk_test_`). Integer ≥ 1. */
  requests: number;
  /** Length of the server's window in milliseconds (Clerk: 10 000). */
  windowMs: number;
  /**
   * Fraction of `requests` kept free for other clients of the same instance and for clock skew,
   * in [0, 1). Default 0.05 (measured: 95 % of Clerk's limit sustained, no 429 from a strict sliding-window server).
   * It also sets the burst: capacity = max(1, floor(requests × headroom)).
   */
  headroom?: number;
  /** Clock in milliseconds. Default `performance.now` (monotonic; faked by vitest fake timers). */
  now?: () => number;
}

/** The server's limit, as `{ requests, windowMs }`. */
export interface RateLimit {
  /** Requests allowed per window. */
  requests: number;
  /** Window length in milliseconds. */
  windowMs: number;
}

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
  enqueuedAt: number;
}

/** Clerk's documented Backend API limits per instance (docs/clerk-api.md, "Rate limits"). */
const CLERK_LIVE_LIMIT: RateLimit = { requests: 1000, windowMs: 10_000 };
const CLERK_TEST_LIMIT: RateLimit = { requests: 100, windowMs: 10_000 };

/**
 * A token bucket shared by every request of the process (export and import use the same one), sized so that
 * in ANY sliding window of `windowMs` at most `requests` requests are started, even if the server counts strictly.
 *
 * The bucket holds at most `capacity` tokens (the burst) and refills continuously at
 * `min(requests × (1 − headroom), requests − capacity) / windowMs` tokens per ms. Over any window the tokens handed out
 * are at most capacity + rate × windowMs ≤ requests. With the defaults (headroom 0.05) that is 5 % burst plus 95 % steady
 * rate: exactly `requests` in the worst window, about 95 % of it sustained.
 *
 * Waiters are served first in, first out. Timers are plain `setTimeout`s (one at a time, for the head of the queue) and
 * are cleared when the queue empties, so an idle bucket keeps nothing alive.
 */
export class TokenBucket {
  /** Maximum tokens held (the burst). */
  readonly capacity: number;
  /** Refill rate in tokens per millisecond. */
  readonly ratePerMs: number;
  /** The limit this bucket was sized for. */
  readonly limit: Readonly<RateLimit>;

  /** Tokens handed out so far. */
  acquired = 0;
  /** Total milliseconds callers of {@link acquire} spent waiting (summed over callers). */
  waitedMs = 0;
  /** Total milliseconds the bucket was paused by {@link pause} (overlapping pauses counted once). */
  pausedMs = 0;

  private tokens: number;
  private lastRefill: number;
  private pausedUntil: number;
  private readonly now: () => number;
  private readonly queue: Waiter[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: TokenBucketOptions) {
    const { requests, windowMs } = options;
    const headroom = options.headroom ?? 0.05;
    if (!Number.isInteger(requests) || requests < 1) {
      throw new EtlError('CONFIG_INVALID', `Rate limit \`requests\` must be an integer ≥ 1; received ${String(requests)}.`);
    }
    if (!Number.isFinite(windowMs) || windowMs <= 0) {
      throw new EtlError('CONFIG_INVALID', `Rate limit \`windowMs\` must be a positive number of milliseconds; received ${String(windowMs)}.`);
    }
    if (!Number.isFinite(headroom) || headroom < 0 || headroom >= 1) {
      throw new EtlError('CONFIG_INVALID', `Rate limit \`headroom\` must be a fraction in [0, 1); received ${String(headroom)}.`);
    }
    this.limit = { requests, windowMs };
    this.capacity = Math.max(1, Math.floor(requests * headroom));
    const perWindow = Math.min(requests * (1 - headroom), requests - this.capacity);
    // perWindow is 0 only when requests = 1 (capacity 1): then a token reappears strictly more than one window
    // after the previous one was taken, so even a server counting a closed window [t − windowMs, t] sees one request.
    this.ratePerMs = perWindow > 0 ? perWindow / windowMs : 1 / (windowMs + 1);
    this.now = options.now ?? (() => performance.now());
    this.tokens = this.capacity;
    this.lastRefill = this.now();
    this.pausedUntil = -Infinity;
  }

  /**
   * A bucket for a Clerk secret key: `sk_live_…` → 1000 requests / 10 s, anything else (`sk_test_…`) → 100 / 10 s
   * (Clerk's documented per-instance limits), unless `override` gives the limit explicitly.
   */
  static forKey(secretKey: string, override?: RateLimit & { headroom?: number }): TokenBucket {
    const limit = override ?? (secretKey.startsWith('sk_live_') ? CLERK_LIVE_LIMIT : CLERK_TEST_LIMIT);
    return new TokenBucket({ requests: limit.requests, windowMs: limit.windowMs, headroom: override?.headroom });
  }

  /** Callers currently waiting in {@link acquire}. */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * Wait for a token, first in first out. Rejects with an `ABORTED` EtlError as soon as `signal` aborts
   * (the waiter leaves the queue and its timer is cleared).
   */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.queue.length === 0 && this.tryTake()) {
      this.acquired++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, enqueuedAt: this.now() };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) this.queue.splice(i, 1);
          this.waitedMs += this.now() - waiter.enqueuedAt;
          reject(abortError(signal));
          // The head may have changed (or the queue emptied): re-arm or clear the timer.
          this.schedule();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
      if (this.queue.length === 1) this.schedule();
    });
  }

  /**
   * Hand out no token for the next `ms` milliseconds (after a 429, with the server's Retry-After).
   * Pauses do not shorten each other: the bucket stays paused until the latest end asked for.
   */
  pause(ms: number): void {
    if (!(ms > 0)) return;
    const now = this.now();
    const until = now + ms;
    if (until <= this.pausedUntil) return;
    this.pausedMs += now >= this.pausedUntil ? ms : until - this.pausedUntil;
    this.pausedUntil = until;
    // Waiters must now wait for the pause: re-arm the timer for the new deadline.
    if (this.queue.length > 0) this.schedule();
  }

  /** Milliseconds left in the current pause (0 when not paused). */
  pausedFor(): number {
    return Math.max(0, this.pausedUntil - this.now());
  }

  private refill(now: number): void {
    if (now > this.lastRefill) {
      this.tokens = Math.min(this.capacity, this.tokens + (now - this.lastRefill) * this.ratePerMs);
      this.lastRefill = now;
    }
  }

  private tryTake(): boolean {
    const now = this.now();
    this.refill(now);
    if (now < this.pausedUntil) return false;
    // A tiny epsilon absorbs floating-point error in rate × elapsed; it is ~1e-9 of one token.
    if (this.tokens >= 1 - 1e-9) {
      this.tokens = Math.max(0, this.tokens - 1);
      return true;
    }
    return false;
  }

  /** Serve the queue head while tokens last, then arm one timer for when the next token (or the pause end) is due. */
  private schedule(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.queue.length > 0 && this.tryTake()) {
      const waiter = this.queue.shift()!;
      if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
      this.acquired++;
      this.waitedMs += this.now() - waiter.enqueuedAt;
      waiter.resolve();
    }
    if (this.queue.length === 0) return;
    const now = this.now();
    const untilToken = this.tokens >= 1 ? 0 : (1 - this.tokens) / this.ratePerMs;
    const untilPauseEnd = this.pausedUntil - now;
    // At least 1 ms so a clock that lags the timers cannot spin the event loop.
    const delay = Math.max(1, Math.ceil(Math.max(untilToken, untilPauseEnd)));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.schedule();
    }, delay);
  }
}
