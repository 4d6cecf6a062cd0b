import { Random, deriveSeed } from './random.js';

/**
 * A fault the emulator can inject into a `/v1/users*` response (reads and writes alike).
 *
 * - `'429'`, `'500'`, `'502'`, `'503'`: answered instead of the request, which is not performed (no write happens).
 * - `'reset'`, `'truncate'`: the request is performed (a write happens), then its response is mangled
 *   (see {@link FaultOptions}).
 * - `'500-after-create'`: the request is performed (a create, update or delete happens), then the
 *   emulator answers a 500 `internal_clerk_error` instead of the real response.
 * - `'reset-after-create'`: the request is performed, then the connection is destroyed before any
 *   byte of the response is sent.
 *   These two make an ambiguous write: the client cannot know the user exists. They are named after
 *   the create they are for, but apply to whatever request they hit.
 * - `{ slowMs }`: the response is delayed.
 */
export type Fault = '429' | '500' | '502' | '503' | 'reset' | 'truncate' | '500-after-create' | 'reset-after-create' | { slowMs: number };

/** The faults that let the request run first. */
export type AfterFault = '500-after-create' | 'reset-after-create';

/** Random faults: probabilities per request, drawn from a seeded PRNG (so a run is reproducible). */
export interface FaultOptions {
  /** Probability of a 429 `too_many_requests` with `Retry-After: retryAfterSeconds`. Default 0. */
  rate429?: number;
  /** Probability of a 500, 502 or 503 (equally likely) with Clerk's error body. Default 0. */
  rate5xx?: number;
  /** Probability that the connection is closed after the headers and part of the body. Default 0. */
  rateReset?: number;
  /** Probability that the response (status kept: 200 for a good request) is sent chunked, without Content-Length, and cut off mid-JSON, then ended cleanly. Default 0. */
  rateTruncate?: number;
  /** Probability that the response is delayed by `slowMs`. Default 0. */
  rateSlow?: number;
  /** Delay of a slow response, ms. Default 2000. */
  slowMs?: number;
  /** PRNG seed. Default: the emulator's seed. */
  seed?: number;
  /** `Retry-After` of an injected 429, whole seconds. Default 1. */
  retryAfterSeconds?: number;
  /**
   * Probability that a create (`POST /v1/users`, `/v1/organizations`, `/v1/organizations/{id}/memberships`)
   * that drew no other fault gets an ambiguous outcome: the object is created, then the emulator answers 500 or destroys the connection (equally likely; see {@link Fault}).
   * Drawn from its own seeded stream, so it does not shift the other faults' sequence. Default 0.
   */
  rateAfterCreate?: number;
}

const RATE_KEYS = ['rate429', 'rate5xx', 'rateReset', 'rateTruncate', 'rateSlow'] as const;

/** Check probabilities; returns a problem description or null. */
export function faultOptionsProblem(o: FaultOptions): string | null {
  let sum = 0;
  for (const k of RATE_KEYS) {
    const v = o[k] ?? 0;
    if (!(typeof v === 'number' && v >= 0 && v <= 1)) return `faults.${k} must be a probability between 0 and 1, got ${String(v)}`;
    sum += v;
  }
  if (sum > 1) return `the fault probabilities add up to ${sum}, more than 1`;
  const after = o.rateAfterCreate ?? 0;
  if (!(typeof after === 'number' && after >= 0 && after <= 1)) return `faults.rateAfterCreate must be a probability between 0 and 1, got ${String(after)}`;
  if (o.slowMs !== undefined && !(Number.isFinite(o.slowMs) && o.slowMs >= 0)) return `faults.slowMs must be >= 0, got ${o.slowMs}`;
  if (o.retryAfterSeconds !== undefined && !(Number.isInteger(o.retryAfterSeconds) && o.retryAfterSeconds >= 0)) return `faults.retryAfterSeconds must be a whole number >= 0, got ${o.retryAfterSeconds}`;
  return null;
}

/** Picks the fault of each request: queued faults first (in order), then random ones. */
export class FaultInjector {
  private readonly queue: Fault[] = [];
  private readonly rng: Random;
  private readonly thresholds: number[];
  private readonly slowMs: number;
  private readonly afterRng: Random;
  private readonly rateAfterCreate: number;

  constructor(options: FaultOptions, defaultSeed: number) {
    this.rng = new Random(options.seed ?? defaultSeed);
    this.afterRng = new Random(deriveSeed(options.seed ?? defaultSeed, 7));
    this.rateAfterCreate = options.rateAfterCreate ?? 0;
    let acc = 0;
    this.thresholds = RATE_KEYS.map((k) => (acc += options[k] ?? 0));
    this.slowMs = options.slowMs ?? 2000;
  }

  enqueue(faults: Fault[]): void {
    this.queue.push(...faults);
  }

  /**
   * The fault of the next request; `create` marks a create of a user, an organization or a membership (eligible for `rateAfterCreate`),
   * `write` any POST/PATCH/PUT/DELETE.
   */
  next(create = false, write = create): Fault | null {
    // An after-write fault waits in the queue for the next write: a lookup in between must not use it up.
    const head = this.queue[0];
    if (!write && (head === '500-after-create' || head === 'reset-after-create')) return null;
    const regular = this.nextRegular();
    if (regular !== null || !create || this.rateAfterCreate === 0) return regular;
    if (!this.afterRng.chance(this.rateAfterCreate)) return null;
    return this.afterRng.chance(0.5) ? '500-after-create' : 'reset-after-create';
  }

  private nextRegular(): Fault | null {
    const queued = this.queue.shift();
    if (queued !== undefined) return queued;
    if ((this.thresholds[this.thresholds.length - 1] as number) === 0) return null;
    const r = this.rng.float();
    const [t429, t5xx, tReset, tTruncate, tSlow] = this.thresholds as [number, number, number, number, number];
    if (r < t429) return '429';
    if (r < t5xx) return this.rng.pick(['500', '502', '503'] as const);
    if (r < tReset) return 'reset';
    if (r < tTruncate) return 'truncate';
    if (r < tSlow) return { slowMs: this.slowMs };
    return null;
  }
}
