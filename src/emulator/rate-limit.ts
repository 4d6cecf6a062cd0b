/**
 * Strict sliding-window rate limit, one window per key (Clerk limits per instance, i.e. per secret key):
 * never more than `requests` admitted requests in any `windowMs`. Rejected requests do not count.
 * Memory: one Float64Array of `requests` timestamps per key.
 */
export class SlidingWindowLimiter {
  private readonly windows = new Map<string, { times: Float64Array; next: number }>();

  /**
   * @param requests admitted requests per window (>= 1)
   * @param windowMs window length in ms (>= 1)
   * @param now clock in ms; default Date.now
   */
  constructor(
    readonly requests: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Admit a request for `key` and return 0, or return the ms until a slot frees (not admitted). */
  take(key: string): number {
    let w = this.windows.get(key);
    if (!w) {
      w = { times: new Float64Array(this.requests).fill(-Infinity), next: 0 };
      this.windows.set(key, w);
    }
    const t = this.now();
    // times[next] is the oldest of the last `requests` admissions.
    const oldest = w.times[w.next] as number;
    const wait = oldest + this.windowMs - t;
    if (wait > 0) return wait;
    w.times[w.next] = t;
    w.next = (w.next + 1) % this.requests;
    return 0;
  }
}
