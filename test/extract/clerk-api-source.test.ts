import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ClerkClient } from '../../src/clerk/client.js';
import { TokenBucket } from '../../src/clerk/rate-limiter.js';
import type { ClerkUser } from '../../src/model/clerk-types.js';
import { generateUsers } from '../../src/emulator/generate.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { ClerkApiSource, splitWindows } from '../../src/extract/clerk-api-source.js';
import { silentLogger } from '../../src/log.js';

let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** Users piled up on every window edge (and one millisecond either side), as bulk imports do. */
function usersOnEdges(start: number, end: number, total: number, concurrency: number, pageSize: number): ClerkUser[] {
  const edges = splitWindows(start, end, total, concurrency, pageSize).map((w) => w.from);
  const base = generateUsers(total, { seed: 11 });
  const stamps: number[] = [];
  for (const e of edges) for (const d of [-1, 0, 0, 0, 0, 1]) if (e + d >= start) stamps.push(e + d);
  return base.map((u, i) => {
    const t = stamps[i % stamps.length]!;
    return { ...u, created_at: t, updated_at: t };
  });
}

async function readAll(source: ClerkApiSource): Promise<string[]> {
  const ids: string[] = [];
  const ctx = { signal: new AbortController().signal, log: silentLogger, runId: 't' };
  for await (const batch of source.read(ctx)) for (const r of batch) ids.push((r.value as ClerkUser).id);
  return ids;
}

describe('ClerkApiSource window edges', () => {
  for (const inclusiveBounds of [false, true]) {
    it(`reads every user exactly once with ties on every window edge (server bounds ${inclusiveBounds ? 'inclusive' : 'exclusive'})`, async () => {
      const start = 1_000_000;
      const snapshot = 1_010_000;
      const total = 600;
      const pageSize = 7; // many cursor pages inside each window
      const users = usersOnEdges(start, snapshot, total, 4, pageSize);
      // and some created at the snapshot millisecond itself: read once, by the last window (created_at
      // at or after the snapshot: in the future, or created during the run)
      const late = generateUsers(3, { seed: 99 }).map((u) => ({ ...u, created_at: snapshot, updated_at: snapshot }));
      emulator = await startEmulator({ users: [...users, ...late], inclusiveBounds });
      const client = new ClerkClient({ apiUrl: emulator.url, secretKey: emulator.secretKey, limiter: new TokenBucket({ requests: 100_000, windowMs: 1000 }) });
      const source = new ClerkApiSource({ client, snapshotAt: snapshot, concurrency: 4, pageSize });
      const ids = await readAll(source);
      expect(new Set(ids).size).toBe(ids.length); // nothing twice
      expect(new Set(ids)).toEqual(new Set([...users, ...late].map((u) => u.id))); // nothing lost
      expect(source.pages).toBeGreaterThan(total / pageSize);
    });
  }

  it('a user whose future created_at passes during the run is read (the last window starts at the snapshot, not at "now")', async () => {
    emulator = await startEmulator({ users: 300, seed: 12, latencyMs: 600 });
    const snapshot = Date.now();
    const [a, b, c] = generateUsers(3, { seed: 13 });
    // 1.5 s after the run start: in the future at the snapshot, in the past when the last window is
    // read (count, first user, one page: 3 requests of 600 ms before it); and one on each side of the snapshot edge.
    emulator.store.add({ ...a!, created_at: snapshot + 1500, updated_at: snapshot - 5000 });
    emulator.store.add({ ...b!, created_at: snapshot, updated_at: snapshot });
    emulator.store.add({ ...c!, created_at: snapshot - 1, updated_at: snapshot - 1 });
    const client = new ClerkClient({ apiUrl: emulator.url, secretKey: emulator.secretKey, limiter: new TokenBucket({ requests: 100_000, windowMs: 1000 }) });
    const source = new ClerkApiSource({ client, snapshotAt: snapshot, concurrency: 1 });
    const ids = await readAll(source);
    expect(Date.now()).toBeGreaterThan(snapshot + 1500);
    expect(ids).toHaveLength(303);
    expect(new Set(ids)).toEqual(new Set(emulator.store.all().map((u) => u.id)));
    expect(await source.total({ signal: new AbortController().signal, log: silentLogger, runId: 't' })).toBe(303);
  });

  it('a first user without a numeric created_at fails the read naming it: no window can start there, and no user is silently left out', async () => {
    // Clerk's answers are unchecked records until validation; the windows need this one field first.
    const server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(req.url!.startsWith('/v1/users/count') ? '{"object":"total_count","total_count":2}' : '[{"id":"user_1","object":"user","created_at":"yesterday"}]');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const client = new ClerkClient({ apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, secretKey: 'sk_test_unchecked', limiter: new TokenBucket({ requests: 1000, windowMs: 1000 }) });
      const err = await readAll(new ClerkApiSource({ client, snapshotAt: Date.now(), concurrency: 1 })).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'CLERK_BAD_RESPONSE' });
      expect((err as Error).message).toMatch(/created_at is "yesterday", not a number/);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('splits the range into contiguous windows', () => {
    const w = splitWindows(100, 1100, 1_000_000, 4);
    expect(w).toHaveLength(16);
    expect(w[0]!.from).toBe(100);
    expect(w.at(-1)!.to).toBe(1100);
    for (let i = 1; i < w.length; i++) expect(w[i]!.from).toBe(w[i - 1]!.to);
    expect(splitWindows(5, 6, 10_000, 8)).toEqual([{ from: 5, to: 6 }]);
  });
});
