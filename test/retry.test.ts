import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  computeRetryDelay,
  parseRetryAfter,
  resolveRetryPolicy,
  retry,
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

describe('retry', () => {
  const fast = resolveRetryPolicy({ maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 1 });

  it('runs until an attempt succeeds, asking decide after each failure', async () => {
    const asked: number[] = [];
    const waits: number[] = [];
    const out = await retry(
      async (n) => {
        if (n < 3) throw new Error(`fail ${n}`);
        return n;
      },
      { policy: fast, decide: (_e, n) => (asked.push(n), { waitMs: n * 2 }), onRetry: (_e, _n, ms) => waits.push(ms), wait: async () => undefined },
    );
    expect(out).toBe(3);
    expect(asked).toEqual([1, 2]);
    expect(waits).toEqual([2, 4]);
  });

  it('throws the failure when decide says stop, and the last one after maxAttempts (decide still asked after it)', async () => {
    let calls = 0;
    await expect(retry(async () => { calls++; throw new Error('no'); }, { policy: fast, decide: () => 'stop' })).rejects.toThrow('no');
    expect(calls).toBe(1);
    const asked: number[] = [];
    await expect(retry(async (n) => { throw new Error(`fail ${n}`); }, { policy: fast, decide: (_e, n) => (asked.push(n), 'retry') })).rejects.toThrow('fail 4');
    expect(asked).toEqual([1, 2, 3, 4]);
  });

  it('backs off per the policy (full jitter) or honours a Retry-After, capped', async () => {
    const policy = resolveRetryPolicy({ maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 });
    const waits: number[] = [];
    const decisions = ['retry', { retryAfter: '60' }] as const;
    await expect(
      retry(async () => { throw new Error('x'); }, { policy, random: () => 0.5, decide: (_e, n) => decisions[n - 1] ?? 'stop', wait: async (ms) => void waits.push(ms) }),
    ).rejects.toThrow('x');
    expect(waits).toEqual([50, 5000]);
  });

  it('an abort during the wait rejects with ABORTED', async () => {
    const ac = new AbortController();
    const p = retry(async () => { throw new Error('x'); }, { policy: resolveRetryPolicy({ baseDelayMs: 10_000, maxDelayMs: 10_000 }), random: () => 0.99, decide: () => 'retry', signal: ac.signal });
    setTimeout(() => ac.abort(), 10);
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
