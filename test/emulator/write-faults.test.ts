import { describe, expect, it } from 'vitest';
import type { ClerkUser } from '../../src/model/clerk-types.js';
import { startEmulator, type EmulatorOptions } from '../../src/emulator/server.js';
import { isEtlError } from '../../src/errors.js';
import { call, create, created, err, start } from './write-helpers.js';

const byExternalId = async (emu: Awaited<ReturnType<typeof start>>, ext: string): Promise<ClerkUser[]> => (await call(emu, 'GET', `/v1/users?external_id=${ext}`)).body;

describe('ambiguous writes: the request is performed, the answer is lost', () => {
  it("'500-after-create': a 500 internal_clerk_error, yet the user exists and is found by external_id", async () => {
    const emu = await start();
    emu.injectNext('500-after-create');
    const r = await create(emu, { username: 'amb', external_id: 'amb-1' });
    expect(err(r)).toEqual([500, 'internal_clerk_error', undefined]);
    const found = await byExternalId(emu, 'amb-1');
    expect(found).toHaveLength(1);
    expect(found[0]!.username).toBe('amb');
    // the retry of the same body is now a duplicate
    expect(err(await create(emu, { username: 'amb', external_id: 'amb-1' }))).toEqual([422, 'form_identifier_exists', 'username']);
    expect(emu.stats).toMatchObject({ creates: 1, writes: 2 });
    expect(emu.stats.injected['500-after-create']).toBe(1);
    expect(emu.stats.byStatus).toMatchObject({ '500': 1, '422': 1, '200': 1 });
  });

  it("'reset-after-create': the connection dies before any byte, yet the user exists; the server is fine afterwards", async () => {
    const emu = await start();
    emu.injectNext('reset-after-create');
    await expect(create(emu, { username: 'gone', external_id: 'gone-1' })).rejects.toThrow();
    expect(await byExternalId(emu, 'gone-1')).toHaveLength(1);
    expect(emu.stats.creates).toBe(1);
    expect(emu.stats.injected['reset-after-create']).toBe(1);
    expect(emu.stats.byStatus['200'] ?? 0).toBe(1); // only the lookup: nothing was sent for the create
    expect((await create(emu, { username: 'next' })).status).toBe(200);
  });

  it('on PATCH and DELETE too: the write happens behind the 500', async () => {
    const emu = await start();
    const u = await created(emu, { username: 'patched' });
    emu.injectNext('500-after-create', '500-after-create', '500-after-create');
    expect((await call(emu, 'PATCH', `/v1/users/${u.id}`, { first_name: 'New' })).status).toBe(500);
    expect((await call(emu, 'PATCH', `/v1/users/${u.id}/metadata`, { public_metadata: { a: 1 } })).status).toBe(500);
    expect(emu.store.get(u.id)).toMatchObject({ first_name: 'New', public_metadata: { a: 1 } });
    expect((await call(emu, 'DELETE', `/v1/users/${u.id}`)).status).toBe(500);
    expect(emu.store.has(u.id)).toBe(false);
    expect(emu.stats).toMatchObject({ updates: 2, deletes: 1 });
  });

  it("the other faults: 429 and 5xx happen instead of the write; 'reset' and 'truncate' after it", async () => {
    const emu = await start();
    emu.injectNext('429', '503', 'reset', 'truncate');
    expect((await create(emu, { username: 'a', external_id: 'f-1' })).status).toBe(429);
    expect((await create(emu, { username: 'b', external_id: 'f-2' })).status).toBe(503);
    expect(emu.store.size).toBe(0);
    const reset = await fetch(new URL('/v1/users', emu.url), { method: 'POST', headers: { Authorization: `Bearer ${emu.secretKey}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'c', external_id: 'f-3' }) });
    expect(reset.status).toBe(200);
    await expect(reset.text()).rejects.toThrow();
    const truncated = await fetch(new URL('/v1/users', emu.url), { method: 'POST', headers: { Authorization: `Bearer ${emu.secretKey}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'd', external_id: 'f-4' }) });
    await expect(truncated.text().then((t) => JSON.parse(t))).rejects.toThrow();
    expect(emu.store.all().map((u) => u.external_id).sort()).toEqual(['f-3', 'f-4']);
    expect(emu.stats.creates).toBe(2);
  });

  it('faults.rateAfterCreate: creates come back ambiguous at that rate, every one is performed; reads are not affected; seeded', async () => {
    const run = async () => {
      const emu = await start({ faults: { rateAfterCreate: 0.5, seed: 5 } });
      const outcomes: string[] = [];
      for (let i = 0; i < 30; i++) {
        outcomes.push(await create(emu, { username: `r${i}` }).then((r) => String(r.status), () => 'reset'));
        expect((await call(emu, 'GET', '/v1/users/count')).status).toBe(200);
      }
      return { outcomes, emu };
    };
    const { outcomes, emu } = await run();
    expect(emu.store.size).toBe(30);
    expect(emu.stats.creates).toBe(30);
    const n = (s: string) => outcomes.filter((o) => o === s).length;
    expect(n('500')).toBe(emu.stats.injected['500-after-create']);
    expect(n('reset')).toBe(emu.stats.injected['reset-after-create']);
    expect(n('500')).toBeGreaterThan(2);
    expect(n('reset')).toBeGreaterThan(2);
    expect(n('200')).toBeGreaterThan(5);
    expect((await run()).outcomes).toEqual(outcomes);
  });

  it('random faults apply to writes like reads: rate5xx 1 → no create goes through', async () => {
    const emu = await start({ faults: { rate5xx: 1 } });
    for (let i = 0; i < 5; i++) expect([500, 502, 503]).toContain((await create(emu, { username: `x${i}` })).status);
    for (const method of ['PATCH', 'DELETE']) expect([500, 502, 503]).toContain((await call(emu, method, '/v1/users/user_x', method === 'PATCH' ? {} : undefined)).status);
    expect(emu.store.size).toBe(0);
    expect(emu.stats.injected['5xx']).toBe(7);
  });

  it('rejects a bad rateAfterCreate', async () => {
    const bad = await startEmulator({ faults: { rateAfterCreate: 2 } } as EmulatorOptions).then((e) => e.close().then(() => null), (e: unknown) => e);
    expect(isEtlError(bad, 'CONFIG_INVALID')).toBe(true);
    for (const o of [{ userRateLimit: { requests: 0, windowMs: 5 } }, { userQuota: -1 }]) {
      const e = await startEmulator(o as EmulatorOptions).then((x) => x.close().then(() => null), (x: unknown) => x);
      expect(isEtlError(e, 'CONFIG_INVALID'), JSON.stringify(o)).toBe(true);
    }
  });
});

describe('rate limits on writes', () => {
  it('the instance limit counts writes like reads, in one bucket; a limited create is not performed', async () => {
    const emu = await start({ rateLimit: { requests: 3, windowMs: 60_000 } });
    expect((await call(emu, 'GET', '/v1/users')).status).toBe(200);
    expect((await create(emu, { username: 'one' })).status).toBe(200);
    expect((await call(emu, 'GET', '/v1/users/count')).status).toBe(200);
    const limited = await create(emu, { username: 'two' });
    expect(err(limited)).toEqual([429, 'too_many_requests', undefined]);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    expect(emu.store.size).toBe(1);
    expect((await call(emu, 'DELETE', '/v1/users/user_x')).status).toBe(429);
    expect(emu.stats).toMatchObject({ rateLimited: 2, writes: 3, creates: 1 });
  });

  it('per user: PATCH user + PATCH/PUT metadata share 10 per 10 s by default when a rate limit is on; other users and other endpoints are not affected', async () => {
    const emu = await start({ rateLimit: 'prod' });
    const a = await created(emu, { username: 'a' });
    const b = await created(emu, { username: 'b' });
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const [method, p, body] = i % 3 === 0 ? ['PATCH', `/v1/users/${a.id}`, { first_name: `n${i}` }] : i % 3 === 1 ? ['PATCH', `/v1/users/${a.id}/metadata`, { public_metadata: { i } }] : ['PUT', `/v1/users/${a.id}/metadata`, { unsafe_metadata: { i } }];
      statuses.push((await call(emu, method, p, body)).status);
    }
    expect(statuses).toEqual([...Array(10).fill(200), 429]);
    const limited = await call(emu, 'PATCH', `/v1/users/${a.id}`, {});
    expect(err(limited)).toEqual([429, 'too_many_requests', undefined]);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(9);
    expect((await call(emu, 'PATCH', `/v1/users/${b.id}`, { first_name: 'ok' })).status).toBe(200);
    expect((await call(emu, 'GET', `/v1/users/${a.id}`)).status).toBe(200);
    expect((await call(emu, 'DELETE', `/v1/users/${a.id}`)).status).toBe(200);
    expect(emu.stats.rateLimited).toBe(2);
    expect(emu.stats.updates).toBe(11);
  });

  it('a custom per-user window frees up; no per-user limit when rate limits are off', async () => {
    const emu = await start({ rateLimit: 'prod', userRateLimit: { requests: 2, windowMs: 300 } });
    const a = await created(emu, { username: 'a' });
    const s = [];
    for (let i = 0; i < 3; i++) s.push((await call(emu, 'PATCH', `/v1/users/${a.id}`, {})).status);
    expect(s).toEqual([200, 200, 429]);
    await new Promise((r) => setTimeout(r, 320));
    expect((await call(emu, 'PATCH', `/v1/users/${a.id}`, {})).status).toBe(200);
    const off = await start();
    const u = await created(off, { username: 'free' });
    for (let i = 0; i < 25; i++) expect((await call(off, 'PATCH', `/v1/users/${u.id}/metadata`, { public_metadata: { i } })).status).toBe(200);
  });
});

describe('stats', () => {
  it('writes counts every writing request whatever its outcome; creates, updates, deletes count what was done; reads write nothing', async () => {
    const emu = await start({ users: 5 });
    await call(emu, 'GET', '/v1/users');
    await call(emu, 'GET', '/v1/users/count');
    expect(emu.stats).toMatchObject({ requests: 2, writes: 0, creates: 0, updates: 0, deletes: 0 });
    const u = await created(emu, { username: 'counted' });
    await create(emu, { username: 'counted' }); // 422
    await fetch(new URL('/v1/users', emu.url), { method: 'POST', body: '{}' }); // 401
    await call(emu, 'PATCH', `/v1/users/${u.id}`, { first_name: 'x' });
    await call(emu, 'PUT', `/v1/users/${u.id}/metadata`, { public_metadata: {} });
    await call(emu, 'PATCH', '/v1/users/user_missing', {}); // 404
    await call(emu, 'DELETE', `/v1/users/${u.id}`);
    await call(emu, 'POST', '/v1/nowhere', {}); // unknown route
    expect(emu.stats).toMatchObject({ requests: 10, writes: 8, creates: 1, updates: 2, deletes: 1 });
  });
});
