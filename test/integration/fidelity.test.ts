import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseLossless, stringify as stringifyLossless } from 'lossless-json';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClerkClient, TokenBucket } from '../../src/clerk/index.js';
import type { UserText } from '../../src/clerk/client.js';
import { generateUsers } from '../../src/emulator/generate.js';
import { ClerkApiSource } from '../../src/extract/clerk-api-source.js';
import { FileSource } from '../../src/extract/file-source.js';
import type { Source } from '../../src/extract/source.js';
import { openDestination } from '../../src/load/open-destination.js';
import { silentLogger } from '../../src/log.js';
import { runExport, type Manifest } from '../../src/pipeline/export-run.js';
import { readTable } from '../helpers/read-back.js';
import { publishedResult } from '../helpers/export-run.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-fidelity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RUN_AT = Date.UTC(2026, 10, 29, 12);

// Numbers JSON.parse changes: beyond 2^53, below -2^53, beyond a double's range, below its
// precision, more digits than a double keeps; next to numbers it keeps.
const META = '{"big":12345678901234567890,"neg":-9007199254740993,"huge":1e400,"tiny":1e-400,"pi":3.14159265358979323846,"ok":1.5,"n":[9007199254740993,2]}';
const EXTRA_NUMBER = '18446744073709551615';

/** Users as Clerk would send them, one JSON text each: exact numbers in metadata, unknown fields, `__proto__`. */
function userTexts(): string[] {
  const users = generateUsers(6, { seed: 5 });
  return users.map((u, i) => {
    let t = JSON.stringify({ ...u, public_metadata: 'META' }).replace('"META"', META);
    // An unknown top-level field holding a big number: kept in _extra with its digits.
    if (i === 1) t = t.replace(/\}$/, `,"score":${EXTRA_NUMBER}}`);
    // A top-level __proto__: JSON.parse keeps it as an own key; _extra and the drift report must too.
    if (i === 2) t = t.replace(/^\{/, '{"__proto__":{"role":"admin"},');
    return t;
  });
}

async function run(source: Source, name: string, workers: number): Promise<{ root: string; manifest: Manifest }> {
  const root = path.join(dir, name);
  const result = await runExport({
    source,
    destination: await openDestination(root, `run-${name}`),
    formats: ['parquet', 'csv', 'ndjson', 'raw'],
    runId: `run-${name}`,
    startedAt: RUN_AT,
    signal: new AbortController().signal,
    log: silentLogger,
    workers,
  });
  return { root, manifest: publishedResult(result).manifest };
}

function rawLines(root: string, m: Manifest): string[] {
  return m.files
    .filter((f) => f.format === 'raw')
    .flatMap((f) => readFileSync(path.join(root, f.path), 'utf8').split('\n'))
    .filter((l) => l.length);
}

/** The tables keep every number's text and every key, in every format. */
async function expectExactTables(root: string, m: Manifest, texts: string[]): Promise<void> {
  expect(m.counts).toMatchObject({ read: texts.length, written: texts.length, rejected: 0, drifted_users: 2 });
  expect(m.drift).toEqual([
    { field: '__proto__', users: 1 },
    { field: 'score', users: 1 },
  ]);
  const ids = texts.map((t) => (JSON.parse(t) as { id: string }).id);
  for (const format of ['parquet', 'csv', 'ndjson'] as const) {
    const rows = await readTable(root, m, 'users', format);
    const byId = new Map(rows.map((r) => [r.id as string, r]));
    expect(rows, format).toHaveLength(texts.length);
    for (const id of ids) expect(byId.get(id)!.public_metadata, `${format} ${id}`).toBe(META);
    expect(byId.get(ids[1]!)!._extra, format).toBe(`{"score":${EXTRA_NUMBER}}`);
    expect(byId.get(ids[2]!)!._extra, format).toBe('{"__proto__":{"role":"admin"}}');
    // Typed columns of a user read exactly are written as before (NDJSON: ISO timestamps).
    if (format === 'ndjson') {
      const first = JSON.parse(texts[0]!) as { created_at: number };
      expect(byId.get(ids[0]!)!.created_at).toBe(new Date(first.created_at).toISOString());
    }
  }
}

describe('numbers and keys survive an export from a file', () => {
  const texts = userTexts();
  const file = path.join(dir, 'users.ndjson');
  beforeAll(() => writeFileSync(file, texts.join('\n') + '\n'));

  for (const workers of [0, 2]) {
    it(`keeps big numbers, exponents and __proto__ in the tables and raw (workers ${workers})`, async () => {
      const { root, manifest } = await run(new FileSource(file), `file-w${workers}`, workers);
      await expectExactTables(root, manifest, texts);
      expect(rawLines(root, manifest)).toEqual(texts);
    });
  }
});

describe('a rejected user keeps its numbers in the rejects file', () => {
  it('its record is its text when JSON.parse would change a number in it', async () => {
    const [good, bad] = userTexts();
    const badText = bad!.replace(/"created_at":\d+/, '"created_at":12345678901234567890');
    const file = path.join(dir, 'rejects.ndjson');
    writeFileSync(file, `${good}\n${badText}\n`);
    const { root, manifest } = await run(new FileSource(file), 'rejects', 0);
    expect(manifest.counts).toMatchObject({ read: 2, written: 1, rejected: 1 });
    const rejects = manifest.files.find((f) => f.table === '_rejects')!;
    const [line] = readFileSync(path.join(root, rejects.path), 'utf8').split('\n');
    const reject = JSON.parse(line!) as { reason: string; record: unknown };
    expect(reject.reason).toMatch(/created_at: expected an integer \(Unix ms within ±8\.64e15\), got an integer beyond 2\^53/);
    expect(reject.record).toBe(badText);
  });
});

describe('numbers, keys and bytes survive an export from the Clerk API', () => {
  const texts = userTexts();
  const users = texts.map((t) => JSON.parse(t) as { id: string; created_at: number });
  let server: Server;
  let apiUrl = '';
  let pretty = false;

  beforeAll(async () => {
    // A Backend API on loopback that answers with these exact bytes: the emulator writes its
    // users with JSON.stringify and cannot hold a number beyond a double.
    server = createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      const q = url.searchParams;
      res.setHeader('content-type', 'application/json');
      if (url.pathname === '/v1/users/count') return res.end(JSON.stringify({ object: 'total_count', total_count: users.length }));
      const after = Number(q.get('created_at_after') ?? -Infinity);
      const before = Number(q.get('created_at_before') ?? Infinity);
      let picked = users.map((u, i) => ({ u, t: texts[i]! })).filter(({ u }) => u.created_at > after && u.created_at < before);
      picked.sort((a, b) => a.u.created_at - b.u.created_at);
      const cursor = q.get('starting_after');
      if (cursor) picked = picked.slice(picked.findIndex(({ u }) => u.id === cursor) + 1);
      picked = picked.slice(0, Number(q.get('limit') ?? 10));
      // Pretty-printed by an independent JSON library that keeps numbers as text.
      const elements = picked.map(({ t }) => (pretty ? stringifyLossless(parseLossless(t), null, 2)! : t));
      res.end(pretty ? `[\n${elements.join(',\n')}\n]\n` : `[${elements.join(',')}]`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const client = (): ClerkClient => new ClerkClient({ apiUrl, secretKey: 'sk_test_fidelity', limiter: new TokenBucket({ requests: 1000, windowMs: 1000 }) });
  // Format raw asks for every user's text (as the export command does); the tables alone for the
  // texts that hold a number JSON.parse changes (here: every user's public_metadata).
  const source = (userText: UserText = 'all'): ClerkApiSource => new ClerkApiSource({ client: client(), snapshotAt: RUN_AT, pageSize: 4, concurrency: 2, userText });

  it('texts only where asked: all, the users whose numbers JSON.parse changes, or none', async () => {
    pretty = false;
    const sorted = [...texts].sort();
    const all = await client().listUsersWithText({ limit: 10 }, undefined, 'all');
    expect(all.map((u) => u.text).sort()).toEqual(sorted);
    const lossy = await client().listUsersWithText({ limit: 10 }, undefined, 'lossy');
    expect(lossy.map((u) => u.text).sort()).toEqual(sorted); // every user here holds such a number
    const none = await client().listUsersWithText({ limit: 10 }, undefined, 'none');
    expect(none.map((u) => u.text)).toEqual(texts.map(() => undefined));
    expect(none.map((u) => u.user.id).sort()).toEqual(users.map((u) => u.id).sort());
  });

  it('without raw, the tables still keep numbers and keys (texts only for the users that need them)', async () => {
    pretty = false;
    const { root, manifest } = await run(source('lossy'), 'api-lossy', 2);
    await expectExactTables(root, manifest, texts);
  });

  for (const workers of [0, 2]) {
    it(`raw holds each user's bytes as Clerk sent them; the tables keep numbers and keys (workers ${workers})`, async () => {
      pretty = false;
      const { root, manifest } = await run(source(), `api-w${workers}`, workers);
      await expectExactTables(root, manifest, texts);
      expect(rawLines(root, manifest).sort()).toEqual([...texts].sort());
    });
  }

  it('a pretty-printed body: raw has one user per line, whitespace outside strings removed', async () => {
    pretty = true;
    const { root, manifest } = await run(source(), 'api-pretty', 0);
    await expectExactTables(root, manifest, texts);
    expect(rawLines(root, manifest).sort()).toEqual([...texts].sort());
  });
});
