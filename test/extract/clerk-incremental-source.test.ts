import { afterEach, describe, expect, it } from 'vitest';
import { ClerkClient } from '../../src/clerk/client.js';
import { TokenBucket } from '../../src/clerk/rate-limiter.js';
import type { ClerkUser } from '../../src/model/clerk-types.js';
import { generateUsers } from '../../src/emulator/generate.js';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/server.js';
import type { UserStore } from '../../src/emulator/store.js';
import { Random } from '../../src/emulator/random.js';
import { ClerkIncrementalSource } from '../../src/extract/clerk-incremental-source.js';
import { silentLogger } from '../../src/log.js';

let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const NOW = Date.now();
/** The previous watermark minus the overlap. */
const SINCE = NOW - 3_600_000;

/** `changed` users updated after SINCE (1 s apart, some sharing a millisecond), then `older` ones before it. */
function users(changed: number, older: number, seed: number, tiesEvery = 0): ClerkUser[] {
  return generateUsers(changed + older, { seed }).map((u, i) => {
    const t = i < changed ? NOW - 60_000 - (tiesEvery ? Math.floor(i / tiesEvery) : i) * 1000 : SINCE - 1000 - i * 1000;
    return { ...u, updated_at: t };
  });
}

/** Ids of the users the page requests of one walk changed: every one of them may or may not be read. */
interface Churn {
  deleted: Set<string>;
  updated: Set<string>;
}

async function start(initial: ClerkUser[], onListPage: (n: number, store: UserStore, churn: Churn) => void, options: EmulatorOptions = {}): Promise<{ client: ClerkClient; churn: Churn }> {
  const churn: Churn = { deleted: new Set(), updated: new Set() };
  let listRequests = 0;
  emulator = await startEmulator({
    users: initial,
    ...options,
    onRequest: ({ method, path, store }) => {
      if (method === 'GET' && path === '/v1/users') onListPage(++listRequests, store, churn);
    },
  });
  const client = new ClerkClient({ apiUrl: emulator.url, secretKey: emulator.secretKey, limiter: new TokenBucket({ requests: 100_000, windowMs: 1000 }) });
  return { client, churn };
}

async function readAll(source: ClerkIncrementalSource): Promise<ClerkUser[]> {
  const out: ClerkUser[] = [];
  const ctx = { signal: new AbortController().signal, log: silentLogger, runId: 't' };
  for await (const batch of source.read(ctx)) for (const r of batch) out.push(r.value as ClerkUser);
  return out;
}

/** A user that is updated now: it moves to the head of `-updated_at`. */
function touch(store: UserStore, id: string, churn: Churn): void {
  const u = store.get(id);
  if (!u) return;
  store.replace({ ...u, updated_at: Date.now(), first_name: 'touched' });
  churn.updated.add(id);
}

/** Users the walk must have read: changed before the run and neither deleted nor updated while it paged. */
function required(initial: ClerkUser[], churn: Churn): Set<string> {
  return new Set(initial.filter((u) => u.updated_at >= SINCE && !churn.deleted.has(u.id) && !churn.updated.has(u.id)).map((u) => u.id));
}

function missing(read: ClerkUser[], want: Set<string>): string[] {
  const got = new Set(read.map((u) => u.id));
  return [...want].filter((id) => !got.has(id));
}

describe('ClerkIncrementalSource: the -updated_at offset walk while users change', () => {
  it('200 deletions after the first page (the issue: 150 of 2,800 changed users lost), with updates moving users up at the same time', async () => {
    const initial = users(2800, 300, 21);
    const newestFirst = [...initial].sort((a, b) => b.updated_at - a.updated_at);
    const { client, churn } = await start(initial, (n, store, c) => {
      if (n === 2) {
        // After the first page was read: 200 of its users deleted, 30 users further down updated.
        for (const u of newestFirst.slice(100, 300)) {
          store.delete(u.id);
          c.deleted.add(u.id);
        }
        for (const u of newestFirst.slice(1000, 1030)) touch(store, u.id, c);
      }
      if (n === 4) for (const u of newestFirst.slice(2000, 2010)) touch(store, u.id, c);
    });
    const source = new ClerkIncrementalSource({ client, since: SINCE, until: NOW });
    const read = await readAll(source);
    expect(churn.deleted.size).toBe(200);
    expect(missing(read, required(initial, churn))).toEqual([]);
    expect(read.every((u) => u.updated_at >= SINCE)).toBe(true);
    expect(source.stepBacks).toBeGreaterThan(0);
  });

  for (const seed of [1, 2, 3, 4]) {
    it(`any number of deletions and updates between page requests: nothing unchanged is missed (random churn, seed ${seed})`, async () => {
      // Small pages, ties on updated_at (3 users per millisecond), deletions anywhere (also of users
      // the walk has not reached, and many at once), updates of read and unread users.
      const initial = users(1500, 200, 30 + seed, 3);
      const rng = new Random(seed);
      const alive = initial.filter((u) => u.updated_at >= SINCE);
      const { client, churn } = await start(initial, (_n, store, c) => {
        const deletions = rng.float() < 0.4 ? Math.floor(rng.float() * 120) : 0;
        for (let i = 0; i < deletions && alive.length; i++) {
          const [u] = alive.splice(Math.floor(rng.float() * alive.length), 1);
          store.delete(u!.id);
          c.deleted.add(u!.id);
        }
        const updates = Math.floor(rng.float() * 8);
        for (let i = 0; i < updates && alive.length; i++) touch(store, alive[Math.floor(rng.float() * alive.length)]!.id, c);
      });
      const source = new ClerkIncrementalSource({ client, since: SINCE, until: NOW, pageSize: 50, pageOverlap: 5 });
      const read = await readAll(source);
      expect(churn.deleted.size).toBeGreaterThan(100);
      expect(missing(read, required(initial, churn))).toEqual([]);
      expect(source.stepBacks).toBeGreaterThan(0);
    });
  }

  it('the list shrinking below the next offset (a page comes back empty) is not the end of the walk', async () => {
    const initial = users(120, 0, 41);
    const newestFirst = [...initial].sort((a, b) => b.updated_at - a.updated_at);
    const { client, churn } = await start(initial, (n, store, c) => {
      if (n === 2) {
        for (const u of newestFirst.slice(0, 60)) {
          store.delete(u.id);
          c.deleted.add(u.id);
        }
      }
    });
    const source = new ClerkIncrementalSource({ client, since: SINCE, until: NOW, pageSize: 50, pageOverlap: 5 });
    const read = await readAll(source);
    expect(missing(read, required(initial, churn))).toEqual([]);
  });

  it('deletions that never stop: the walk gives up loudly (retryable) after its step backs, never ends quietly', async () => {
    const initial = users(2000, 0, 45);
    const newestFirst = [...initial].sort((a, b) => b.updated_at - a.updated_at);
    let next = 0;
    const { client } = await start(initial, (_n, store, c) => {
      // 10 of the newest users deleted before every page request: more than the overlap of 5.
      for (const u of newestFirst.slice(next, (next += 10))) {
        store.delete(u.id);
        c.deleted.add(u.id);
      }
    });
    const source = new ClerkIncrementalSource({ client, since: SINCE, until: NOW, pageSize: 50, pageOverlap: 5, maxStepBacks: 20 });
    const err = await readAll(source).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CLERK_BAD_RESPONSE', retryable: true });
    expect((err as Error).message).toMatch(/kept shifting .*21 step backs.*run again later/);
  });

  it('users sharing one updated_at across a page edge are all read; a page of one updated_at fails loudly instead of guessing', async () => {
    // 8 users per millisecond with pages of 10: each next page must start further back than the overlap.
    const tied = users(100, 20, 51, 8);
    const first = await start(tied, () => undefined);
    const read = await readAll(new ClerkIncrementalSource({ client: first.client, since: SINCE, until: NOW, pageSize: 10, pageOverlap: 1 }));
    expect(missing(read, required(tied, first.churn))).toEqual([]);
    await emulator!.close();

    const wall = users(100, 0, 52, 10);
    const second = await start(wall, () => undefined);
    const err = await readAll(new ClerkIncrementalSource({ client: second.client, since: SINCE, until: NOW, pageSize: 10 })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CLERK_BAD_RESPONSE' });
    expect((err as Error).message).toMatch(/At least 10 users share updated_at .*Run a full export/);
  });
});
