import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClerkUser } from '../../src/model/clerk-types.js';
import { generateUsers } from '../../src/emulator/generate.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';

const N = 1500;
const users = generateUsers(N, { seed: 11 });
/** +created_at order: created_at, then id. */
const asc = [...users].sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1));
const ascIds = asc.map((u) => u.id);
let emu: RunningEmulator;
let inclusive: RunningEmulator;

beforeAll(async () => {
  emu = await startEmulator({ users });
  inclusive = await startEmulator({ users, inclusiveBounds: true });
});
afterAll(async () => {
  await emu?.close();
  await inclusive?.close();
});

type Params = Record<string, string | number | boolean | Array<string | number>>;

async function call(path: string, params: Params = {}, on: RunningEmulator = emu): Promise<{ status: number; body: any; headers: Headers }> {
  const url = new URL(path, on.url);
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) url.searchParams.append(k, String(x));
  const res = await fetch(url, { headers: { Authorization: `Bearer ${on.secretKey}` } });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

async function list(params: Params = {}, on: RunningEmulator = emu): Promise<ClerkUser[]> {
  const r = await call('/v1/users', params, on);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body as ClerkUser[];
}

async function count(params: Params = {}, on: RunningEmulator = emu): Promise<number> {
  const r = await call('/v1/users/count', params, on);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expect(r.body.object).toBe('total_count');
  return r.body.total_count as number;
}

/** Page with starting_after until a short page; returns the ids in the order received. */
async function pageAll(params: Params, limit: number): Promise<{ ids: string[]; requests: number }> {
  const ids: string[] = [];
  let requests = 0;
  for (;;) {
    const page = await list({ ...params, limit, ...(ids.length > 0 ? { starting_after: ids[ids.length - 1]! } : {}) });
    requests++;
    ids.push(...page.map((u) => u.id));
    if (page.length < limit) return { ids, requests };
  }
}

/** All users matching `pred`, in +created_at order. */
const expected = (pred: (u: ClerkUser) => boolean) => asc.filter(pred).map((u) => u.id);
/** List (up to 500, +created_at) and count with the same filter both equal the local expectation. */
async function expectFilter(params: Params, pred: (u: ClerkUser) => boolean, on: RunningEmulator = emu): Promise<number> {
  const want = expected(pred);
  expect(want.length).toBeLessThanOrEqual(500);
  expect((await list({ ...params, order_by: '+created_at', limit: 500 }, on)).map((u) => u.id)).toEqual(want);
  expect(await count(params, on)).toBe(want.length);
  return want.length;
}

const arr = (u: ClerkUser, k: string) => (u[k] ?? []) as Array<Record<string, any>>;

describe('GET /v1/users paging and ordering', () => {
  it('returns a bare JSON array, newest first by default, 10 per page, users byte-identical to the source', async () => {
    const r = await call('/v1/users');
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Array.isArray(r.body)).toBe(true);
    expect(r.body.map((u: ClerkUser) => u.id)).toEqual([...ascIds].reverse().slice(0, 10));
    const byId = new Map(users.map((u) => [u.id, u]));
    for (const u of r.body as ClerkUser[]) expect(u).toEqual(byId.get(u.id));
  });

  it('a tie-heavy data set: some page boundaries fall inside runs of equal created_at', () => {
    const tied = asc.filter((u, i) => (i > 0 && asc[i - 1]!.created_at === u.created_at) || (i + 1 < N && asc[i + 1]!.created_at === u.created_at));
    expect(tied.length).toBeGreaterThan(N * 0.05);
  });

  it('starting_after with +created_at returns every user exactly once, in (created_at, id) order, across ties', async () => {
    const { ids, requests } = await pageAll({ order_by: '+created_at' }, 7);
    expect(ids).toEqual(ascIds);
    expect(requests).toBe(Math.floor(N / 7) + 1);
  });

  it('starting_after with the default -created_at order walks the exact reverse', async () => {
    const { ids } = await pageAll({}, 13);
    expect(ids).toEqual([...ascIds].reverse());
    expect((await pageAll({ order_by: '-created_at' }, 500)).ids).toEqual([...ascIds].reverse());
  });

  it('cursor paging inside a created_at window with filters keeps every matching user once', async () => {
    const lo = asc[200]!.created_at;
    const hi = asc[1200]!.created_at;
    const { ids } = await pageAll({ order_by: '+created_at', created_at_after: lo, created_at_before: hi, banned: false }, 9);
    expect(ids).toEqual(expected((u) => u.created_at > lo && u.created_at < hi && u.banned === false));
  });

  it('offset paging pages through the same order', async () => {
    const got: string[] = [];
    for (let offset = 0; offset < N; offset += 400) got.push(...(await list({ limit: 400, offset })).map((u) => u.id));
    expect(got).toEqual([...ascIds].reverse());
    expect((await list({ limit: 5, offset: 3, order_by: '+created_at' })).map((u) => u.id)).toEqual(ascIds.slice(3, 8));
    expect(await list({ offset: N + 5 })).toEqual([]);
    const banned = expected((u) => u.banned === true);
    expect((await list({ banned: true, offset: 2, limit: 3, order_by: 'created_at' })).map((u) => u.id)).toEqual(banned.slice(2, 5));
  });

  it('orders by every allowed field; nulls last ascending and first descending; ties by id in the sort direction', async () => {
    const keyOf: Record<string, (u: ClerkUser) => string | number | null> = {
      updated_at: (u) => u.updated_at,
      first_name: (u) => u.first_name as string | null,
      last_name: (u) => u.last_name as string | null,
      username: (u) => u.username as string | null,
      last_active_at: (u) => u.last_active_at as number | null,
      last_sign_in_at: (u) => u.last_sign_in_at as number | null,
      email_address: (u) => (arr(u, 'email_addresses').find((e) => e.id === u.primary_email_address_id)?.email_address as string | undefined)?.toLowerCase() ?? null,
      phone_number: (u) => arr(u, 'phone_numbers').find((e) => e.id === u.primary_phone_number_id)?.phone_number ?? null,
      web3wallet: (u) => arr(u, 'web3_wallets').find((e) => e.id === u.primary_web3_wallet_id)?.web3_wallet ?? null,
    };
    for (const [field, key] of Object.entries(keyOf)) {
      const sorted = [...users].sort((a, b) => {
        const ka = key(a);
        const kb = key(b);
        if (ka !== kb) return ka === null ? 1 : kb === null ? -1 : ka < kb ? -1 : 1;
        return a.id < b.id ? -1 : 1;
      });
      const want = sorted.map((u) => u.id);
      const got: string[] = [];
      for (let offset = 0; offset < N; offset += 500) got.push(...(await list({ order_by: `+${field}`, limit: 500, offset })).map((u) => u.id));
      expect(got, field).toEqual(want);
      expect((await list({ order_by: field, limit: 50 })).map((u) => u.id), field).toEqual(want.slice(0, 50));
      expect((await list({ order_by: `-${field}`, limit: 50 })).map((u) => u.id), field).toEqual([...want].reverse().slice(0, 50));
    }
    // nulls: -last_active_at starts with the users that never were active
    const desc = await list({ order_by: '-last_active_at', limit: 3 });
    expect(desc.map((u) => u.last_active_at)).toEqual([null, null, null]);
  });

  it('only the first order_by is honoured', async () => {
    expect((await list({ order_by: ['+username', '-created_at'], limit: 20 })).map((u) => u.id)).toEqual(
      (await list({ order_by: '+username', limit: 20 })).map((u) => u.id),
    );
  });
});

describe('GET /v1/users 422 rules', () => {
  const cases: Array<[string, Params, string, string]> = [
    ['limit 0', { limit: 0 }, 'form_param_value_invalid', 'limit'],
    ['limit 501', { limit: 501 }, 'form_param_value_too_large', 'limit'],
    ['limit not a number', { limit: 'ten' }, 'form_param_type_invalid', 'limit'],
    ['negative offset', { offset: -1 }, 'form_param_value_invalid', 'offset'],
    ['offset not a number', { offset: '1.5' }, 'form_param_type_invalid', 'offset'],
    ['unknown order_by', { order_by: '+password' }, 'form_param_value_invalid', 'order_by'],
    ['raw + decoded to a space', { order_by: ' created_at' }, 'form_param_value_invalid', 'order_by'],
    ['cursor with another order', { order_by: '-updated_at', starting_after: 'user_x' }, 'form_conditional_param_disallowed', 'starting_after'],
    ['cursor with a non-zero offset', { offset: 10, starting_after: 'user_x' }, 'form_conditional_param_disallowed', 'offset'],
    ['unknown cursor id', { starting_after: 'user_doesnotexist' }, 'form_resource_not_found', 'starting_after'],
    ['101 email addresses', { email_address: Array.from({ length: 101 }, (_, i) => `a${i}@x.test`) }, 'form_param_array_size_exceeded', 'email_address'],
    ['101 user ids', { user_id: Array.from({ length: 101 }, (_, i) => `user_${i}`) }, 'form_param_array_size_exceeded', 'user_id'],
    ['101 provider user ids', { provider: 'oauth_google', provider_user_id: Array.from({ length: 101 }, (_, i) => `${i}`) }, 'form_param_array_size_exceeded', 'provider_user_id'],
    ['provider without provider_user_id', { provider: 'oauth_google' }, 'form_conditional_param_missing', 'provider_user_id'],
    ['provider_user_id without provider', { provider_user_id: '123' }, 'form_conditional_param_missing', 'provider'],
    ['a date that is not ms', { created_at_after: '2024-01-01' }, 'form_param_invalid_date', 'created_at_after'],
    ['last_sign_in_at_before not a number', { last_sign_in_at_before: 'yesterday' }, 'form_param_invalid_date', 'last_sign_in_at_before'],
    ['banned not a boolean', { banned: 'maybe' }, 'form_param_type_invalid', 'banned'],
    ['a typo', { startingAfter: 'user_x' }, 'form_param_unknown', 'startingAfter'],
    ['limit twice', { limit: [1, 2] }, 'form_param_duplicate', 'limit'],
  ];
  it.each(cases.map(([name, ...rest]) => [`${name} → 422 ${rest[1]}`, ...rest] as const))('%s', async (_name, params, code, param) => {
    const r = await call('/v1/users', params);
    expect(r.status).toBe(422);
    expect(r.body.errors).toHaveLength(1);
    const [e] = r.body.errors;
    expect(e.code).toBe(code);
    expect(e.meta).toEqual({ param_name: param });
    expect(typeof e.message).toBe('string');
    // the catalogue's date message names no parameter; the others do
    if (code !== 'form_param_invalid_date') expect(e.long_message).toContain(param);
    expect(r.body.clerk_trace_id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('the limits themselves are accepted: limit 1 and 500, starting_after with offset 0, +created_at and created_at', async () => {
    expect(await list({ limit: 1 })).toHaveLength(1);
    expect(await list({ limit: 500 })).toHaveLength(500);
    expect(await list({ starting_after: ascIds[5]!, offset: 0, order_by: 'created_at', limit: 2 })).toHaveLength(2);
    expect((await list({ starting_after: ascIds[5]!, order_by: '+created_at', limit: 2 })).map((u) => u.id)).toEqual(ascIds.slice(6, 8));
    expect(await list({ email_address: Array.from({ length: 100 }, (_, i) => `a${i}@x.test`) })).toEqual([]);
  });

  it('count applies the same 422 rules to filters', async () => {
    const r = await call('/v1/users/count', { created_at_before: 'now' });
    expect(r.status).toBe(422);
    expect(r.body.errors[0].code).toBe('form_param_invalid_date');
    expect((await call('/v1/users/count', { provider: 'oauth_github' })).status).toBe(422);
    expect((await call('/v1/users/count', { nope: '1' })).status).toBe(422);
  });
});

describe('GET /v1/users filters (list and count agree with a local evaluation)', () => {
  const withEmail = users.find((u) => arr(u, 'email_addresses').length >= 2)!;
  const withPhone = users.find((u) => arr(u, 'phone_numbers').length > 0)!;
  const withUsername = users.filter((u) => u.username !== null).slice(0, 3);
  const withWallet = users.find((u) => arr(u, 'web3_wallets').length > 0)!;
  const withExternal = users.filter((u) => u.external_id !== null);
  const withGoogle = users.filter((u) => arr(u, 'external_accounts').some((a) => a.provider === 'oauth_google')).slice(0, 4);

  it('email_address (exact, case-insensitive, any of the user\'s addresses), phone_number, username, web3_wallet', async () => {
    const second = arr(withEmail, 'email_addresses')[1]!.email_address as string;
    expect(await expectFilter({ email_address: [second.toUpperCase(), 'nobody@nowhere.test'] }, (u) => u.id === withEmail.id)).toBe(1);
    const phone = arr(withPhone, 'phone_numbers')[0]!.phone_number as string;
    expect(await expectFilter({ phone_number: phone }, (u) => arr(u, 'phone_numbers').some((p) => p.phone_number === phone))).toBe(1);
    const names = withUsername.map((u) => u.username as string);
    expect(await expectFilter({ username: names }, (u) => names.includes(u.username as string))).toBe(3);
    const wallet = arr(withWallet, 'web3_wallets')[0]!.web3_wallet as string;
    expect(await expectFilter({ web3_wallet: wallet }, (u) => u.id === withWallet.id)).toBe(1);
    expect(await expectFilter({ email_address: second.slice(0, -1) }, () => false)).toBe(0); // exact, not partial
  });

  it('external_id, user_id and organization_id with +/- include/exclude', async () => {
    const some = withExternal.slice(0, 5).map((u) => u.external_id as string);
    expect(await expectFilter({ external_id: some }, (u) => some.includes(u.external_id as string))).toBe(5);
    expect(await expectFilter({ external_id: some.map((e) => `+${e}`) }, (u) => some.includes(u.external_id as string))).toBe(5);
    const ids = [ascIds[3]!, ascIds[4]!, ascIds[5]!];
    expect(await expectFilter({ user_id: [ids[0]!, `+${ids[1]!}`, ids[2]!, `-${ids[2]!}`] }, (u) => u.id === ids[0] || u.id === ids[1])).toBe(2);
    // exclusion only: everyone but two
    expect(await count({ user_id: [`-${ids[0]!}`, `-${ids[1]!}`] })).toBe(N - 2);
    expect(await count({ external_id: some.map((e) => `-${e}`) })).toBe(N - 5);
    const orgOf = (u: ClerkUser) => arr(u, 'organization_memberships').map((m) => m.organization.id as string);
    const org = orgOf(users.find((u) => orgOf(u).length > 0)!)[0]!;
    const n = await expectFilter({ organization_id: org }, (u) => orgOf(u).includes(org));
    expect(n).toBeGreaterThan(1);
    expect(await count({ organization_id: `-${org}` })).toBe(N - n);
  });

  it('provider + provider_user_id', async () => {
    const ids = withGoogle.map((u) => arr(u, 'external_accounts').find((a) => a.provider === 'oauth_google')!.provider_user_id as string);
    expect(await expectFilter({ provider: 'oauth_google', provider_user_id: ids }, (u) => withGoogle.includes(u))).toBe(4);
    expect(await expectFilter({ provider: 'oauth_github', provider_user_id: ids }, () => false)).toBe(0);
  });

  it('query, email_address_query, phone_number_query, username_query and name_query are case-insensitive partial matches', async () => {
    const has = (v: unknown, q: string) => typeof v === 'string' && v.toLowerCase().includes(q.toLowerCase());
    expect(await expectFilter({ email_address_query: 'GMAIL' }, (u) => arr(u, 'email_addresses').some((e) => has(e.email_address, 'gmail')))).toBeGreaterThan(10);
    const part = (arr(withPhone, 'phone_numbers')[0]!.phone_number as string).slice(0, 7);
    expect(await expectFilter({ phone_number_query: part }, (u) => arr(u, 'phone_numbers').some((e) => has(e.phone_number, part)))).toBeGreaterThan(0);
    expect(await expectFilter({ username_query: 'MAR' }, (u) => has(u.username, 'mar'))).toBeGreaterThan(0);
    expect(await expectFilter({ name_query: 'zoë' }, (u) => has(u.first_name, 'zoë') || has(u.last_name, 'zoë'))).toBeGreaterThan(0);
    const full = users.find((u) => u.first_name === 'James' && typeof u.last_name === 'string')!;
    expect(await count({ name_query: `james ${(full.last_name as string).toLowerCase()}` })).toBeGreaterThanOrEqual(1);
    // query spans ids, names, emails, phones, usernames and wallets
    const idPart = ascIds[7]!.slice(5, 20);
    expect(await expectFilter({ query: idPart }, (u) => u.id.includes(idPart))).toBe(1);
    expect(await expectFilter({ query: 'smith' }, (u) =>
      [u.first_name, u.last_name, u.username, ...arr(u, 'email_addresses').map((e) => e.email_address), ...arr(u, 'phone_numbers').map((e) => e.phone_number), ...arr(u, 'web3_wallets').map((e) => e.web3_wallet)].some((v) => has(v, 'smith')),
    )).toBeGreaterThan(5);
  });

  it('banned', async () => {
    const nBanned = users.filter((u) => u.banned).length;
    expect(nBanned).toBeGreaterThan(0);
    expect(await expectFilter({ banned: true }, (u) => u.banned === true)).toBe(nBanned);
    expect(await count({ banned: false })).toBe(N - nBanned);
  });

  it('last_active_at and last_sign_in_at bounds (nulls never match); _since is the deprecated alias of _after', async () => {
    const t = asc[1400]!.created_at;
    const t2 = asc[1450]!.created_at;
    expect(await expectFilter({ last_sign_in_at_after: t, last_sign_in_at_before: t2 }, (u) => u.last_sign_in_at !== null && (u.last_sign_in_at as number) > t && (u.last_sign_in_at as number) < t2)).toBeGreaterThan(0);
    const day = Math.floor(t2 / 86_400_000) * 86_400_000;
    const activeAfter = users.filter((u) => u.last_active_at !== null && (u.last_active_at as number) > day).length;
    expect(await count({ last_active_at_after: day })).toBe(activeAfter);
    expect(await count({ last_active_at_since: day })).toBe(activeAfter);
    expect(await count({ last_active_at_before: day })).toBe(users.filter((u) => u.last_active_at !== null && (u.last_active_at as number) < day).length);
  });

  it('filters combine with AND', async () => {
    const lo = asc[100]!.created_at;
    expect(await expectFilter({ banned: false, email_address_query: 'yahoo', created_at_after: lo, username_query: '_' }, (u) =>
      !u.banned && u.created_at > lo && u.username !== null && arr(u, 'email_addresses').some((e) => (e.email_address as string).includes('yahoo')),
    )).toBeGreaterThan(0);
  });
});

describe('created_at bounds: exclusive by default, inclusive on request, and ties on the edges', () => {
  // the longest run of users sharing one created_at
  const runs = new Map<number, number>();
  for (const u of users) runs.set(u.created_at, (runs.get(u.created_at) ?? 0) + 1);
  const [T, k] = [...runs.entries()].sort((a, b) => b[1] - a[1])[0]!;
  const before = users.filter((u) => u.created_at < T).length;
  const after = users.filter((u) => u.created_at > T).length;

  it('finds a tie of several users', () => {
    expect(k).toBeGreaterThanOrEqual(5);
    expect(before + k + after).toBe(N);
  });

  it('exclusive: created_at_after=T and created_at_before=T both leave out the users at T', async () => {
    expect(await count({ created_at_after: T })).toBe(after);
    expect(await count({ created_at_before: T })).toBe(before);
    expect(await count({ created_at_after: T - 1, created_at_before: T + 1 })).toBe(k);
    expect(await count({ created_at_after: T, created_at_before: T })).toBe(0);
    const page = await list({ created_at_after: T - 1, created_at_before: T + 1, order_by: '+created_at', limit: 500 });
    expect(page.map((u) => u.id)).toEqual(expected((u) => u.created_at === T));
  });

  it('inclusive: the same bounds take the users at T', async () => {
    expect(await count({ created_at_after: T }, inclusive)).toBe(after + k);
    expect(await count({ created_at_before: T }, inclusive)).toBe(before + k);
    expect(await count({ created_at_after: T, created_at_before: T }, inclusive)).toBe(k);
    const ls = asc.find((u) => u.last_sign_in_at !== null)!.last_sign_in_at as number;
    const atLs = users.filter((u) => u.last_sign_in_at === ls).length;
    expect(await count({ last_sign_in_at_after: ls, last_sign_in_at_before: ls }, inclusive)).toBe(atLs);
    expect(await count({ last_sign_in_at_after: ls, last_sign_in_at_before: ls })).toBe(0);
  });

  it('the cursor inside a tie continues with the rest of the tie (both directions)', async () => {
    const tie = expected((u) => u.created_at === T);
    const next = await list({ order_by: '+created_at', starting_after: tie[1]!, limit: k });
    expect(next.map((u) => u.id).slice(0, k - 2)).toEqual(tie.slice(2));
    const prev = await list({ order_by: '-created_at', starting_after: tie[k - 2]!, limit: k - 2 });
    expect(prev.map((u) => u.id)).toEqual(tie.slice(0, k - 2).reverse());
  });
});

describe('GET /v1/users/count, /v1/users/{id}, unknown routes', () => {
  it('count without filters is the store size; with created_at bounds it agrees with the list', async () => {
    expect(await count()).toBe(N);
    const lo = asc[300]!.created_at;
    expect(await count({ created_at_after: lo })).toBe(expected((u) => u.created_at > lo).length);
    // list-only parameters are ignored by count
    expect(await count({ limit: 5, order_by: '-username' })).toBe(N);
  });

  it('GET /v1/users/{id} returns the user; an unknown id is a 404 resource_not_found', async () => {
    const u = users[17]!;
    const r = await call(`/v1/users/${u.id}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual(u);
    const missing = await call('/v1/users/user_missing');
    expect(missing.status).toBe(404);
    expect(missing.body.errors[0]).toMatchObject({ code: 'resource_not_found', long_message: 'No user was found with id user_missing' });
    expect((await call('/v1/users/%E0%A4%A')).status).toBe(404);
  });

  it('unknown routes and methods are 404 in Clerk\'s error shape', async () => {
    for (const path of ['/v1/nope', '/v2/users', '/', '/v1/users/user_x/extra']) {
      const r = await call(path);
      expect(r.status, path).toBe(404);
      expect(r.body.errors[0].code).toBe('resource_not_found');
    }
    // methods a path does not have are unknown routes too (nothing is written)
    for (const [method, path] of [['POST', '/v1/users/' + ascIds[0]], ['PUT', '/v1/users/' + ascIds[0]], ['DELETE', '/v1/users'], ['GET', `/v1/users/${ascIds[0]}/metadata`]] as const) {
      const res = await fetch(new URL(path, emu.url), { method, headers: { Authorization: `Bearer ${emu.secretKey}` } });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(((await res.json()) as { errors: Array<{ code: string }> }).errors[0]!.code).toBe('resource_not_found');
    }
    expect(emu.store.has(ascIds[0]!)).toBe(true);
  });

  it('store writes are visible to the next request and keep the (created_at, id) order', async () => {
    // three new users tied with an existing one
    const extra = generateUsers(3, { seed: 99 }).map((u) => ({ ...u, created_at: users[100]!.created_at }));
    const on = await startEmulator({ users: users.slice(0, 200) });
    try {
      for (const u of extra) on.store.add(u);
      expect(() => on.store.add(extra[0]!)).toThrow(/duplicate/);
      expect((await call('/v1/users/count', {}, on)).body.total_count).toBe(203);
      const all = on.store.all();
      expect(all.map((u) => u.id)).toEqual([...all].sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1)).map((u) => u.id));
      const got: string[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = (await call('/v1/users', { order_by: '+created_at', limit: 50, ...(cursor ? { starting_after: cursor } : {}) }, on)).body as ClerkUser[];
        got.push(...page.map((u) => u.id));
        if (page.length < 50) break;
        cursor = page[page.length - 1]!.id;
      }
      expect(got).toEqual(all.map((u) => u.id));
      expect(on.store.delete(extra[1]!.id)).toBe(true);
      expect((await call(`/v1/users/${extra[1]!.id}`, {}, on)).status).toBe(404);
      const bad = await call('/v1/users', { starting_after: extra[1]!.id }, on);
      expect(bad.body.errors[0].code).toBe('form_resource_not_found');
    } finally {
      await on.close();
    }
  });
});
