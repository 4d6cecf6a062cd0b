import { Random } from './random.js';

/** A fault the emulator can inject into a `/v1/users*` response. */
export type Fault = '429' | '500' | '502' | '503' | 'reset' | 'truncate' | { slowMs: number };

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

  constructor(options: FaultOptions, defaultSeed: number) {
    this.rng = new Random(options.seed ?? defaultSeed);
    let acc = 0;
    this.thresholds = RATE_KEYS.map((k) => (acc += options[k] ?? 0));
    this.slowMs = options.slowMs ?? 2000;
  }

  enqueue(faults: Fault[]): void {
    this.queue.push(...faults);
  }

  next(): Fault | null {
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
