import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateUsers } from '../../src/emulator/generate.js';
import { FileSource } from '../../src/extract/file-source.js';
import { openDestination } from '../../src/load/open-destination.js';
import { silentLogger } from '../../src/log.js';
import type { Row } from '../../src/model/records.js';
import { USER_TABLES as ALL_TABLES } from '../../src/model/schema.js';
import { runExport } from '../../src/pipeline/export-run.js';
import { CompiledPolicy, HASH_KEY_VARIABLE } from '../../src/transform/pii-policy.js';
import { readTable } from '../helpers/read-back.js';
import { publishedResult } from '../helpers/export-run.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-pii-once-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const KEY = 'hash-key-for-tests-0123456789abcdef';
const hmac = (v: string) => createHmac('sha256', KEY).update(v, 'utf8').digest('hex');

/** The real policy, counting the rows it is applied to, per table. */
class CountingPolicy extends CompiledPolicy {
  readonly applied = new Map<string, number>();
  override apply(table: string, rows: Row[]): Row[] {
    this.applied.set(table, (this.applied.get(table) ?? 0) + rows.length);
    return super.apply(table, rows);
  }
}

describe('the PII policy', () => {
  it('is applied once per row, however many formats are written; every format gets the same hashed values', async () => {
    const users = generateUsers(60, { seed: 11 });
    const input = path.join(dir, 'users.ndjson');
    writeFileSync(input, users.map((u) => JSON.stringify(u)).join('\n') + '\n');
    // analytics hashes the e-mail addresses; user_deletions.user_id hashed too, to cover the rows the run makes itself.
    const policy = new CountingPolicy({ preset: 'analytics', columns: { 'user_deletions.user_id': 'hash' } }, { [HASH_KEY_VARIABLE]: KEY });
    const root = path.join(dir, 'out');
    const formats = ['parquet', 'csv', 'ndjson'] as const;
    const { manifest: m } = publishedResult(await runExport({
      source: new FileSource(input),
      destination: await openDestination(root, 'run-pii'),
      formats: [...formats],
      runId: 'run-pii',
      startedAt: Date.UTC(2026, 0, 2),
      signal: new AbortController().signal,
      log: silentLogger,
      policy,
      workers: 0,
      deletions: { previous: new Set(['user_gone', users[0]!.id]) },
    }));
    expect(m.counts.written).toBe(60);
    expect(m.counts.rows.user_deletions).toBe(1);
    // Once per row: three formats, yet each table's rows went through the policy once.
    for (const t of ALL_TABLES) expect(policy.applied.get(t.name) ?? 0, t.name).toBe(m.counts.rows[t.name]);
    const emails = users.flatMap((u) => (u.email_addresses as Array<{ email_address: string }>).map((e) => e.email_address)).map(hmac).sort();
    expect(emails.length).toBeGreaterThan(0);
    for (const format of formats) {
      const rows = await readTable(root, m, 'user_email_addresses', format);
      expect(rows.map((r) => r.email_address).sort(), format).toEqual(emails);
      const gone = await readTable(root, m, 'user_deletions', format);
      expect(gone.map((r) => r.user_id), format).toEqual([hmac('user_gone')]);
    }
  });
});
