import { afterEach, describe, expect, it } from 'vitest';
import { CLERK_API_VERSION } from '../../src/model/clerk-types.js';
import { generateUsers } from '../../src/emulator/generate.js';
import { SlidingWindowLimiter } from '../../src/emulator/rate-limit.js';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/server.js';
import { createLogger } from '../../src/log.js';
import { isEtlError } from '../../src/errors.js';

const users = generateUsers(60, { seed: 4 });
const running: RunningEmulator[] = [];

async function start(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const emu = await startEmulator({ users, ...options });
  running.push(emu);
  return emu;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()));
});

const json = (res: Response): Promise<any> => res.json();

function get(emu: RunningEmulator, path = '/v1/users?limit=20', headers: Record<string, string> = { Authorization: `Bearer ${emu.secretKey}` }): Promise<Response> {
  return fetch(new URL(path, emu.url), { headers });
}

describe('auth', () => {
  it('answers 401 in Clerk\'s error shape without ever echoing the presented or the real key', async () => {
    const lines: string[] = [];
    const emu = await start({ secretKey: 'sk_test_localKey42', log: createLogger({ level: 'debug', format: 'json', write: (l) => lines.push(l) }) });
    const wrong = 'sk_test_notTheRightOne';
    const cases: Array<[Record<string, string>, string]> = [
      [{}, 'authentication_invalid'],
      [{ Authorization: '' }, 'authentication_invalid'],
      [{ Authorization: `Basic ${wrong}` }, 'authorization_header_format_invalid'],
      [{ Authorization: wrong }, 'authorization_header_format_invalid'],
      [{ Authorization: `Bearer ${wrong}` }, 'clerk_key_invalid'],
      [{ Authorization: 'Bearer sk_test_localKey4' }, 'clerk_key_invalid'],
      [{ Authorization: 'Bearer sk_test_localKey42x' }, 'clerk_key_invalid'],
    ];
    for (const [headers, code] of cases) {
      const res = await get(emu, '/v1/users', headers);
      const text = await res.text();
      expect(res.status, JSON.stringify(headers)).toBe(401);
      const body = JSON.parse(text);
      expect(body.errors[0].code).toBe(code);
      expect(Object.keys(body.errors[0]).sort()).toEqual(['code', 'long_message', 'message', 'meta']);
      expect(body.clerk_trace_id).toMatch(/^[0-9a-f]{32}$/);
      expect(text).not.toContain('notTheRightOne');
      expect(text).not.toContain('localKey');
    }
    expect(emu.stats.byStatus['401']).toBe(cases.length);
    expect(lines.length).toBeGreaterThanOrEqual(cases.length);
    expect(lines.join('\n')).not.toMatch(/notTheRightOne|localKey/);
    const ok = await get(emu, '/v1/users?limit=1', { authorization: 'bearer  sk_test_localKey42' });
    expect(ok.status).toBe(200);
  });

  it('checks the API version: header or query, a published version, not both', async () => {
    const emu = await start();
    const auth = { Authorization: `Bearer ${emu.secretKey}` };
    expect((await get(emu, '/v1/users?limit=1', { ...auth, 'Clerk-API-Version': CLERK_API_VERSION })).status).toBe(200);
    expect((await get(emu, `/v1/users?limit=1&__clerk_api_version=2025-11-10`, auth)).status).toBe(200);
    const bad = await get(emu, '/v1/users?limit=1', { ...auth, 'Clerk-API-Version': '2099-01-01' });
    expect(bad.status).toBe(400);
    expect((await json(bad)).errors[0].code).toBe('api_version_invalid');
    const both = await get(emu, `/v1/users?__clerk_api_version=${CLERK_API_VERSION}`, { ...auth, 'Clerk-API-Version': CLERK_API_VERSION });
    expect(both.status).toBe(400);
    expect((await json(both)).errors[0].long_message).toMatch(/not both/);
  });
});

describe('rate limit', () => {
  it('a strict sliding window: never more than N in any window; the wait is until the oldest leaves', () => {
    let now = 1000;
    const rl = new SlidingWindowLimiter(3, 1000, () => now);
    expect([rl.take('k'), rl.take('k'), rl.take('k')]).toEqual([0, 0, 0]);
    now = 1400;
    expect(rl.take('k')).toBe(600);
    expect(rl.take('other')).toBe(0); // per key
    now = 1999;
    expect(rl.take('k')).toBe(1);
    now = 2000;
    expect(rl.take('k')).toBe(0); // the first left the window
    expect(rl.take('k')).toBe(0);
    expect(rl.take('k')).toBe(0);
    expect(rl.take('k')).toBe(1000); // 2000, 2000, 2000 are all inside
    // a burst at the end of one window and the start of the next cannot exceed N either
    const times: number[] = [];
    const rl2 = new SlidingWindowLimiter(5, 1000, () => now);
    for (now = 0; now < 5000; now += 37) if (rl2.take('k') === 0) times.push(now);
    for (let i = 5; i < times.length; i++) expect(times[i]! - times[i - 5]!).toBeGreaterThanOrEqual(1000);
  });

  it('over the limit: 429 too_many_requests with Retry-After in whole seconds; counted; admitted again after the window', async () => {
    const emu = await start({ rateLimit: { requests: 5, windowMs: 1000 } });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await get(emu)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const limited = await get(emu);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect((await json(limited)).errors[0].code).toBe('too_many_requests');
    expect((await get(emu, '/v1/users/count')).status).toBe(429); // every endpoint shares the key's limit
    expect(emu.stats.rateLimited).toBe(2);
    await new Promise((r) => setTimeout(r, 1050));
    expect((await get(emu)).status).toBe(200);
    expect(emu.stats.byStatus).toEqual({ '200': 6, '429': 2 });
  });

  it("'dev' is Clerk's 100 requests per 10 s", async () => {
    const emu = await start({ rateLimit: 'dev' });
    const results = await Promise.all(Array.from({ length: 100 }, () => get(emu, '/v1/users/count').then((r) => r.status)));
    expect(results.every((s) => s === 200)).toBe(true);
    const over = await get(emu, '/v1/users/count');
    expect(over.status).toBe(429);
    const retry = Number(over.headers.get('retry-after'));
    expect(retry).toBeGreaterThanOrEqual(9);
    expect(retry).toBeLessThanOrEqual(10);
  });
});

describe('faults', () => {
  it('injectNext: 500/502/503 with Clerk\'s body, 429 with Retry-After, in queue order, then normal responses', async () => {
    const emu = await start({ faults: { retryAfterSeconds: 3 } });
    emu.injectNext('503', '500', '429', '502');
    const r1 = await get(emu);
    expect(r1.status).toBe(503);
    expect((await json(r1)).errors[0].code).toBe('internal_clerk_error');
    expect((await get(emu)).status).toBe(500);
    const r3 = await get(emu);
    expect(r3.status).toBe(429);
    expect(r3.headers.get('retry-after')).toBe('3');
    expect((await json(r3)).errors[0].code).toBe('too_many_requests');
    expect((await get(emu)).status).toBe(502);
    expect((await get(emu)).status).toBe(200);
    expect(emu.stats.injected).toEqual({ '429': 1, '5xx': 3, reset: 0, truncate: 0, slow: 0, '500-after-create': 0, 'reset-after-create': 0 });
    expect(emu.stats.rateLimited).toBe(0);
  });

  it('queued faults wait for an authenticated /v1/users request', async () => {
    const emu = await start();
    emu.injectNext('503');
    expect((await get(emu, '/v1/users', {})).status).toBe(401);
    expect((await get(emu, '/v1/nothing')).status).toBe(404);
    expect((await get(emu, '/v1/users/count')).status).toBe(503);
  });

  it("reset: headers and part of the body, then the connection closes; the client's body read fails", async () => {
    const emu = await start();
    emu.injectNext('reset');
    const res = await get(emu);
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('content-length'))).toBeGreaterThan(1000);
    await expect(res.text()).rejects.toThrow();
    expect(emu.stats.injected.reset).toBe(1);
    expect((await get(emu)).status).toBe(200); // the server is fine afterwards
  });

  it('truncate: a chunked 200 whose body is a strict prefix of the real one, so JSON.parse fails', async () => {
    const emu = await start();
    const full = await (await get(emu)).text();
    emu.injectNext('truncate');
    const res = await get(emu);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBeNull();
    const text = await res.text();
    expect(text.length).toBeGreaterThan(0);
    expect(text.length).toBeLessThan(Buffer.byteLength(full));
    expect(full.startsWith(text)).toBe(true);
    expect(() => JSON.parse(text)).toThrow();
    expect(emu.stats.injected.truncate).toBe(1);
  });

  it('slow and latency delay the response', async () => {
    const emu = await start({ latencyMs: 120 });
    let t = Date.now();
    expect((await get(emu, '/v1/users', {})).status).toBe(401); // latency applies to every response
    expect(Date.now() - t).toBeGreaterThanOrEqual(110);
    emu.injectNext({ slowMs: 250 });
    t = Date.now();
    const res = await get(emu);
    expect(res.status).toBe(200);
    expect(await json(res)).toHaveLength(20);
    expect(Date.now() - t).toBeGreaterThanOrEqual(360);
    expect(emu.stats.injected.slow).toBe(1);
  });

  it('random faults are seeded: the same seed gives the same sequence; counters match what the client saw', async () => {
    const faults = { rate429: 0.15, rate5xx: 0.2, rateTruncate: 0.1, seed: 77 };
    const run = async () => {
      const emu = await start({ faults });
      const seen: string[] = [];
      for (let i = 0; i < 60; i++) {
        const res = await get(emu, '/v1/users/count');
        const text = await res.text();
        seen.push(res.status === 200 && !text.endsWith('}') ? 'truncated' : String(res.status));
      }
      return { seen, stats: emu.stats };
    };
    const a = await run();
    const b = await run();
    expect(a.seen).toEqual(b.seen);
    const n = (s: string) => a.seen.filter((x) => x === s).length;
    expect(n('429')).toBe(a.stats.injected['429']);
    expect(n('500') + n('502') + n('503')).toBe(a.stats.injected['5xx']);
    expect(n('truncated')).toBe(a.stats.injected.truncate);
    expect(n('429')).toBeGreaterThan(2);
    expect(n('500') + n('502') + n('503')).toBeGreaterThan(4);
    expect(n('truncated')).toBeGreaterThan(1);
    expect(n('200')).toBeGreaterThan(20);
    expect(a.stats.requests).toBe(60);
  });

  it('rejects impossible options with CONFIG_INVALID', async () => {
    for (const bad of [{ faults: { rate5xx: 1.5 } }, { faults: { rate5xx: 0.6, rateReset: 0.6 } }, { port: 70000 }, { rateLimit: { requests: 0, windowMs: 10 } }, { latencyMs: -1 }, { users: -3 }, { users: [users[0], users[0]] }, { users: [{ ...users[0], created_at: '2024-01-01' }] }]) {
      const err = await startEmulator(bad as EmulatorOptions).then(
        (e) => e.close().then(() => null),
        (e: unknown) => e,
      );
      expect(isEtlError(err, 'CONFIG_INVALID'), JSON.stringify(bad)).toBe(true);
    }
    const emu = await start();
    const taken = await startEmulator({ port: emu.port }).then((e) => e.close().then(() => null), (e: unknown) => e);
    expect(isEtlError(taken, 'CONFIG_INVALID')).toBe(true);
    expect((taken as Error).message).toMatch(/EADDRINUSE/);
  });
});

describe('close', () => {
  it('closes keep-alive connections and pending slow responses at once', async () => {
    const emu = await startEmulator({ users, latencyMs: 0 });
    expect((await get(emu)).status).toBe(200); // leaves a keep-alive socket open
    emu.injectNext({ slowMs: 30_000 });
    const pending = get(emu).then((r) => r.status, () => 'failed');
    await new Promise((r) => setTimeout(r, 50));
    const t = Date.now();
    await emu.close();
    expect(Date.now() - t).toBeLessThan(1000);
    expect(await pending).toBe('failed');
    await expect(get(emu)).rejects.toThrow();
    await emu.close(); // idempotent
  });

  it('url has no trailing slash and no /v1; port 0 picks a free port', async () => {
    const emu = await start({ port: 0 });
    expect(emu.url).toBe(`http://127.0.0.1:${emu.port}`);
    expect(emu.port).toBeGreaterThan(0);
    expect(emu.secretKey).toBe('sk_test_emulator');
  });
});
