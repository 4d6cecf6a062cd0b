import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClerkUser } from '../../src/model/clerk-types.js';
import { FileSource } from '../../src/extract/file-source.js';
import { ClerkClient } from '../../src/clerk/client.js';
import { TokenBucket } from '../../src/clerk/rate-limiter.js';
import { findSharedIdentifiers, findThisRecord, identifierKeys, notSameRecord } from '../../src/load/import-identity.js';
import { silentLogger } from '../../src/log.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-identity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const user = (i: number, o: { email?: string; phone?: string; username?: string; ext?: string } = {}) => ({
  id: `user_${i}`,
  external_id: o.ext ?? null,
  username: o.username ?? null,
  email_addresses: [{ id: `e${i}`, email_address: o.email ?? `u${i}@corp.test` }],
  primary_email_address_id: `e${i}`,
  phone_numbers: o.phone ? [{ id: `p${i}`, phone_number: o.phone }] : [],
  web3_wallets: [],
});

describe('findSharedIdentifiers', () => {
  it('20,000 records (the hash table grows several times): exactly the later records that share an identifier, with the first holder', async () => {
    const users = Array.from({ length: 20_000 }, (_, i) => user(i, { phone: `+1415${String(1_000_000 + i).slice(1)}`, username: `name${i}` }));
    users[15_000] = user(15_000, { email: 'U7@CORP.test' }); // email of line 8, other case
    users[19_999] = user(19_999, { phone: users[3]!.phone_numbers[0]!.phone_number, username: 'other' }); // phone of line 4
    users[12_345] = user(12_345, { username: 'NAME9' }); // username of line 10, other case
    users[100] = { ...user(100), id: 'user_5' }; // a second user_5: not sent (duplicate source id), so it shares nothing
    users[101] = user(101, { email: 'u100@corp.test' }); // would share with line 101, which is never sent
    const file = path.join(dir, 'many.ndjson');
    writeFileSync(file, users.map((u) => JSON.stringify(u)).join('\n') + '\n');
    const shared = await findSharedIdentifiers(new FileSource(file), { signal: new AbortController().signal, log: silentLogger, runId: 't' }, { inputKind: 'raw' });
    expect(Object.fromEntries(shared)).toEqual({
      'line 15001': { sourceId: 'user_15000', field: 'email_address', first: { where: 'line 8', sourceId: 'user_7' } },
      'line 20000': { sourceId: 'user_19999', field: 'phone_number', first: { where: 'line 4', sourceId: 'user_3' } },
      'line 12346': { sourceId: 'user_12345', field: 'username', first: { where: 'line 10', sourceId: 'user_9' } },
    });
  });
});

describe('notSameRecord', () => {
  const clerkUser = (o: Record<string, unknown>): ClerkUser => ({ id: 'user_x', object: 'user', created_at: 0, updated_at: 0, email_addresses: [], phone_numbers: [], web3_wallets: [], username: null, external_id: null, ...o });
  const body = { external_id: 'emp-1', email_address: ['A@corp.test'], username: 'Ann' };

  it('same external_id and every identifier (compared as Clerk does): the same record', () => {
    expect(notSameRecord(clerkUser({ external_id: 'emp-1', email_addresses: [{ email_address: 'a@CORP.test' }, { email_address: 'added@corp.test' }], username: 'ann' }), body)).toBeNull();
  });
  it('another external_id, or none, is another record', () => {
    expect(notSameRecord(clerkUser({ external_id: 'emp-2', email_addresses: [{ email_address: 'a@corp.test' }], username: 'ann' }), body)).toMatch(/external_id is "emp-2"/);
    expect(notSameRecord(clerkUser({ email_addresses: [{ email_address: 'a@corp.test' }], username: 'ann' }), body)).toMatch(/external_id is null/);
  });
  it('same external_id without this record\'s identifiers is another person', () => {
    expect(notSameRecord(clerkUser({ external_id: 'emp-1', email_addresses: [{ email_address: 'm@evil.test' }], username: 'ann' }), body)).toBe("it does not hold this record's email_address");
  });
  it('without an external_id the identifiers must be exactly the record\'s', () => {
    const noExt = { email_address: ['a@corp.test'] };
    expect(notSameRecord(clerkUser({ email_addresses: [{ email_address: 'A@corp.test' }] }), noExt)).toBeNull();
    expect(notSameRecord(clerkUser({ email_addresses: [{ email_address: 'a@corp.test' }], phone_numbers: [{ phone_number: '+14155550100' }] }), noExt)).toMatch(/also holds a phone_number/);
  });
  it('identifierKeys normalises as Clerk compares: emails, usernames and 0x wallets case-insensitively, phones exactly', () => {
    expect(identifierKeys({ external_id: 'E', email_address: ['A@B.c', 'a@b.C'], username: 'Ann', phone_number: ['+1415'], web3_wallet: ['0xAbC'] })).toEqual([
      { kind: 'external_id', value: 'E' },
      { kind: 'email_address', value: 'a@b.c' },
      { kind: 'phone_number', value: '+1415' },
      { kind: 'username', value: 'ann' },
      { kind: 'web3_wallet', value: '0xabc' },
    ]);
  });
});

describe('findThisRecord', () => {
  it('a user from the lookup without a string id is a bad response, never a record to map to', async () => {
    // listUsers returns unchecked users: the import maps a record to the id, so the lookup checks it.
    const server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end('[{"object":"user","external_id":"emp-1"}]');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const client = new ClerkClient({ apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, secretKey: 'sk_test_unchecked', limiter: new TokenBucket({ requests: 1000, windowMs: 1000 }) });
      const err = await findThisRecord(client, { external_id: 'emp-1' }, new AbortController().signal).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'CLERK_BAD_RESPONSE' });
      expect((err as Error).message).toMatch(/lookup by external_id\) returned a user without a string id/);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
