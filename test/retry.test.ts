import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  computeRetryDelay,
  parseRetryAfter,
  resolveRetryPolicy,
  sleep,
} from '../src/retry.js';
import { EtlError } from '../src/errors.js';

const policy = DEFAULT_RETRY_POLICY;

describe('computeRetryDelay', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-09-01T12:00:00.000Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('honours Retry-After in seconds exactly, ignoring jitter', () => {
    expect(computeRetryDelay(1, policy, '7', () => 0.9)).toBe(7_000);
    expect(computeRetryDelay(5, policy, '0', () => 0.9)).toBe(0);
    expect(computeRetryDelay(1, policy, ' 2 ', () => 0)).toBe(2_000);
  });

  it('honours an HTTP-date Retry-After relative to now', () => {
    const in30s = new Date(Date.now() + 30_000).toUTCString();
    expect(computeRetryDelay(1, policy, in30s)).toBe(30_000);
    const past = new Date(Date.now() - 30_000).toUTCString();
    expect(computeRetryDelay(1, policy, past)).toBe(0);
  });

  it('caps Retry-After at maxRetryAfterMs', () => {
    expect(computeRetryDelay(1, policy, '3600')).toBe(120_000);
    expect(computeRetryDelay(1, { ...policy, maxRetryAfterMs: 5_000 }, '10')).toBe(5_000);
  });

  it('falls back to backoff when Retry-After is absent or unparseable', () => {
    expect(computeRetryDelay(3, policy, null, () => 0.5)).toBe(1_000);
    expect(computeRetryDelay(3, policy, 'soon', () => 0.5)).toBe(1_000);
    expect(computeRetryDelay(3, policy, '-5', () => 0.5)).toBe(1_000);
  });

  it('grows exponentially up to maxDelayMs (random → 1)', () => {
    const top = (): number => 0.999_999_999;
    const delays = Array.from({ length: 12 }, (_, i) => computeRetryDelay(i + 1, policy, undefined, top));
    expect(delays.slice(0, 6)).toEqual([499, 999, 1_999, 3_999, 7_999, 15_999]);
    for (const d of delays) expect(d).toBeLessThanOrEqual(policy.maxDelayMs);
    expect(delays[11]).toBe(29_999);
    expect(computeRetryDelay(10_000, policy, undefined, top)).toBeLessThanOrEqual(policy.maxDelayMs);
  });

  it('jitters fully within [0, min(maxDelayMs, base × 2^(n−1))]', () => {
    for (const attempt of [1, 2, 4, 8]) {
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      const samples = Array.from({ length: 2_000 }, () => computeRetryDelay(attempt, policy));
      expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...samples)).toBeLessThanOrEqual(ceiling);
      // Spread over the whole range, not a fixed delay.
      expect(Math.min(...samples)).toBeLessThan(ceiling * 0.05);
      expect(Math.max(...samples)).toBeGreaterThan(ceiling * 0.95);
    }
    expect(computeRetryDelay(1, policy, undefined, () => 0)).toBe(0);
  });
});

describe('parseRetryAfter', () => {
  it('parses seconds and dates, rejects garbage', () => {
    expect(parseRetryAfter('1', 0)).toBe(1_000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('')).toBeUndefined();
    expect(parseRetryAfter('abc')).toBeUndefined();
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:27:00 GMT'))).toBe(60_000);
  });
});

describe('resolveRetryPolicy', () => {
  it('merges over the defaults and ignores undefined values', () => {
    expect(resolveRetryPolicy({ baseDelayMs: 5, maxAttempts: undefined })).toEqual({ ...DEFAULT_RETRY_POLICY, baseDelayMs: 5 });
    expect(DEFAULT_RETRY_POLICY).toEqual({ maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 120_000 });
  });

  it('rejects unknown options naming the one that exists', () => {
    const err = (() => {
      try {
        resolveRetryPolicy({ maxRetries: 3 } as never);
      } catch (e) {
        return e;
      }
    })() as EtlError;
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toBe('Retry option `maxRetries` does not exist. Use `maxAttempts`.');
  });

  it('rejects out-of-range values', () => {
    expect(() => resolveRetryPolicy({ maxAttempts: 0 })).toThrow(/maxAttempts.*received 0/);
    expect(() => resolveRetryPolicy({ maxDelayMs: -1 })).toThrow(/maxDelayMs/);
  });
});

describe('sleep', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves after the delay', async () => {
    let done = false;
    const p = sleep(1_000).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await p;
    expect(done).toBe(true);
  });

  it('rejects promptly with ABORTED on abort and clears its timer', async () => {
    const ac = new AbortController();
    const p = sleep(60_000, ac.signal).catch((e: unknown) => e);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(10);
    ac.abort(new Error('SIGINT'));
    const err = (await p) as EtlError;
    expect(err).toBeInstanceOf(EtlError);
    expect(err.code).toBe('ABORTED');
    expect(err.message).toContain('SIGINT');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects at once for an already-aborted signal without arming a timer', async () => {
    const err = (await sleep(1_000, AbortSignal.abort()).catch((e: unknown) => e)) as EtlError;
    expect(err.code).toBe('ABORTED');
    expect(vi.getTimerCount()).toBe(0);
  });
});
