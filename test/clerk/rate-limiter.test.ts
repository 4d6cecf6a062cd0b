import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TokenBucket } from '../../src/clerk/rate-limiter.js';
import { EtlError } from '../../src/errors.js';

/** Largest number of timestamps in any closed window [t, t + windowMs]. */
function maxInAnyWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let max = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi]! - sorted[lo]! > windowMs) lo++;
    max = Math.max(max, hi - lo + 1);
  }
  return max;
}

describe('TokenBucket', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('never exceeds `requests` in any sliding window during a burst of 1000 acquires, and keeps ~95% of the rate', async () => {
    const bucket = new TokenBucket({ requests: 100, windowMs: 10_000 });
    const start = Date.now();
    const times: number[] = [];
    const all = Array.from({ length: 1000 }, () => bucket.acquire().then(() => times.push(Date.now() - start)));
    await vi.advanceTimersByTimeAsync(200_000);
    await Promise.all(all);

    expect(times).toHaveLength(1000);
    expect(bucket.acquired).toBe(1000);
    expect(maxInAnyWindow(times, 10_000)).toBeLessThanOrEqual(100);
    // Not needlessly slow either: burst of 5, then 95 per 10 s → the 1000th token at ≈ 995 / 0.0095 ms ≈ 104.7 s.
    expect(times[999]).toBeGreaterThan(104_000);
    expect(times[999]).toBeLessThanOrEqual(105_500);
    // The first window is the worst case the headroom allows: exactly `requests`.
    expect(maxInAnyWindow(times, 10_000)).toBeGreaterThanOrEqual(99);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stays under the limit when bursts arrive after idle gaps (the bucket refills only to its small capacity)', async () => {
    const bucket = new TokenBucket({ requests: 50, windowMs: 1_000, headroom: 0.2 });
    const start = Date.now();
    const times: number[] = [];
    const all: Promise<unknown>[] = [];
    // Deterministic pseudo-random arrivals: bursts of 1..40 every 0..1500 ms.
    let seed = 42;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let burst = 0; burst < 40; burst++) {
      const n = 1 + Math.floor(rand() * 40);
      for (let i = 0; i < n; i++) all.push(bucket.acquire().then(() => times.push(Date.now() - start)));
      await vi.advanceTimersByTimeAsync(Math.floor(rand() * 1500));
    }
    await vi.advanceTimersByTimeAsync(120_000);
    await Promise.all(all);
    expect(times).toHaveLength(all.length);
    expect(maxInAnyWindow(times, 1_000)).toBeLessThanOrEqual(50);
  });

  it('serves concurrent waiters first in, first out, and a newcomer queues behind them', async () => {
    const bucket = new TokenBucket({ requests: 10, windowMs: 1_000 }); // capacity 1, one token per 111.1 ms
    const order: number[] = [];
    const all = [0, 1, 2, 3, 4].map((i) => bucket.acquire().then(() => order.push(i)));
    await vi.advanceTimersByTimeAsync(150); // token for #1 is available now, but #2..#4 still wait
    all.push(bucket.acquire().then(() => order.push(5)));
    await vi.advanceTimersByTimeAsync(2_000);
    await Promise.all(all);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('a newcomer does not jump the queue even when a token is already due but the timer has not fired yet', async () => {
    let clock = 0;
    const bucket = new TokenBucket({ requests: 10, windowMs: 1_000, headroom: 0.3, now: () => clock }); // capacity 3
    await Promise.all([bucket.acquire(), bucket.acquire(), bucket.acquire()]);
    const order: string[] = [];
    const queued = [bucket.acquire().then(() => order.push('a')), bucket.acquire().then(() => order.push('b'))];
    clock += 5_000; // 3 tokens are due, the (fake) timer has not run
    const late = bucket.acquire().then(() => order.push('late'));
    await Promise.resolve();
    expect(order).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    await Promise.all([...queued, late]);
    expect(order).toEqual(['a', 'b', 'late']);
  });

  it('pause() holds every token until the pause ends and counts paused time once', async () => {
    const bucket = new TokenBucket({ requests: 100, windowMs: 10_000 });
    bucket.pause(5_000);
    let resolvedAt = -1;
    const start = Date.now();
    const p = bucket.acquire().then(() => (resolvedAt = Date.now() - start));
    await vi.advanceTimersByTimeAsync(1_000);
    bucket.pause(3_000); // ends at 4 000, inside the current pause: no effect
    expect(bucket.pausedMs).toBe(5_000);
    await vi.advanceTimersByTimeAsync(3_999);
    expect(resolvedAt).toBe(-1);
    await vi.advanceTimersByTimeAsync(1);
    await p;
    expect(resolvedAt).toBe(5_000);
    expect(bucket.waitedMs).toBe(5_000);

    // A longer pause extends it; only the extension is counted.
    bucket.pause(1_000);
    await vi.advanceTimersByTimeAsync(500);
    bucket.pause(2_000); // until +2 500 from the first call: +1 500 more
    expect(bucket.pausedMs).toBe(5_000 + 1_000 + 1_500);
    expect(bucket.pausedFor()).toBe(2_000);
  });

  it('a pause issued while waiters queue re-arms their timer to the pause end', async () => {
    const bucket = new TokenBucket({ requests: 10, windowMs: 1_000 });
    await bucket.acquire(); // empties the capacity-1 bucket
    let resolvedAt = -1;
    const start = Date.now();
    const p = bucket.acquire().then(() => (resolvedAt = Date.now() - start));
    bucket.pause(2_000);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(resolvedAt).toBe(-1);
    await vi.advanceTimersByTimeAsync(1);
    await p;
    expect(resolvedAt).toBe(2_000);
  });

  it('rejects a waiter promptly with ABORTED when its signal aborts and leaves no timer behind', async () => {
    const bucket = new TokenBucket({ requests: 10, windowMs: 1_000 });
    await bucket.acquire();
    const ac = new AbortController();
    const p = bucket.acquire(ac.signal);
    const outcome = p.then(
      () => 'resolved',
      (e: unknown) => e,
    );
    expect(vi.getTimerCount()).toBe(1);
    ac.abort();
    const err = await outcome; // no timer advanced: the rejection is immediate
    expect(err).toBeInstanceOf(EtlError);
    expect((err as EtlError).code).toBe('ABORTED');
    expect(bucket.pending).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('an aborted head of the queue lets the next waiter through on time', async () => {
    const bucket = new TokenBucket({ requests: 10, windowMs: 1_000 });
    await bucket.acquire();
    const ac = new AbortController();
    const first = bucket.acquire(ac.signal).catch((e: unknown) => e);
    let secondAt = -1;
    const start = Date.now();
    const second = bucket.acquire().then(() => (secondAt = Date.now() - start));
    ac.abort();
    expect(((await first) as EtlError).code).toBe('ABORTED');
    await vi.advanceTimersByTimeAsync(200);
    await second;
    expect(secondAt).toBe(112); // ceil(1 / (9 tokens per 1000 ms))
    expect(bucket.acquired).toBe(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects at once with an already-aborted signal', async () => {
    const bucket = new TokenBucket({ requests: 10, windowMs: 1_000 });
    const err = await bucket.acquire(AbortSignal.abort()).catch((e: unknown) => e);
    expect((err as EtlError).code).toBe('ABORTED');
    expect(bucket.acquired).toBe(0);
  });

  it('with requests = 1 spaces tokens more than a window apart', async () => {
    const bucket = new TokenBucket({ requests: 1, windowMs: 1_000 });
    const start = Date.now();
    const times: number[] = [];
    const all = [0, 1, 2].map(() => bucket.acquire().then(() => times.push(Date.now() - start)));
    await vi.advanceTimersByTimeAsync(5_000);
    await Promise.all(all);
    expect(maxInAnyWindow(times, 1_000)).toBe(1);
  });

  it('forKey sizes the bucket from the key type, unless overridden', () => {
    expect(TokenBucket.forKey('sk_live_abcdefgh').limit).toEqual({ requests: 1000, windowMs: 10_000 });
    expect(TokenBucket.forKey('sk_live_abcdefgh').capacity).toBe(50);
    expect(TokenBucket.forKey('sk_test_abcdefgh').limit).toEqual({ requests: 100, windowMs: 10_000 });
    expect(TokenBucket.forKey('something_else').limit).toEqual({ requests: 100, windowMs: 10_000 });
    expect(TokenBucket.forKey('sk_live_abcdefgh', { requests: 20, windowMs: 1_000 }).limit).toEqual({ requests: 20, windowMs: 1_000 });
  });

  it('validates its options', () => {
    expect(() => new TokenBucket({ requests: 0, windowMs: 1_000 })).toThrow(/requests/);
    expect(() => new TokenBucket({ requests: 10, windowMs: 0 })).toThrow(/windowMs/);
    expect(() => new TokenBucket({ requests: 10, windowMs: 1_000, headroom: 1 })).toThrow(/headroom/);
  });
});
