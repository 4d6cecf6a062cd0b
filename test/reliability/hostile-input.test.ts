import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { executeExport, type ExportSettings } from '../../src/pipeline/export.js';
import { executeImport, type ImportSettings } from '../../src/pipeline/import.js';
import { generateUsers } from '../../src/emulator/generate.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { silentLogger } from '../../src/log.js';
import type { Manifest } from '../../src/pipeline/export-run.js';
import { readNdjson } from '../helpers/read-back.js';
import { published } from '../helpers/export-run.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const emulators: RunningEmulator[] = [];
afterEach(async () => {
  for (const e of emulators.splice(0)) await e.close();
});

const good = generateUsers(6, { seed: 81 }).filter((u) => (u.email_addresses as unknown[]).length > 0 || typeof u.username === 'string');
const line = (u: unknown) => JSON.stringify(u);

function exportSettings(from: string, name: string): ExportSettings {
  return { from, to: path.join(dir, name), formats: ['parquet', 'raw'], inputFormat: 'auto', apiUrl: 'unused', concurrency: 1, progress: false };
}

function rejectsOf(root: string, m: Manifest): Array<Record<string, unknown>> {
  const f = m.files.find((x) => x.table === '_rejects');
  return f ? readNdjson(path.join(root, f.path)) : [];
}

describe('hostile input to export --from', () => {
  it('truncated and invalid JSON lines, invalid UTF-8, duplicate ids, deep nesting, a 50 MB line, BOM and CRLF: each bad record rejected by line, the rest written, counts reconcile', async () => {
    // 20,000 levels: JSON.parse copes, JSON.stringify (and so a naive flattener) overflows the stack.
    const deepJson = line({ ...good[1]!, id: 'user_deep', public_metadata: 'DEEP' }).replace('"DEEP"', '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000));
    const big = { ...good[2]!, id: 'user_big', public_metadata: { blob: 'x'.repeat(50 * 1024 * 1024) } };
    const parts: Buffer[] = [
      Buffer.from('\ufeff' + line(good[0]) + '\r\n'), // line 1: BOM + CRLF, valid
      Buffer.from('{"id": "user_trunc", "object": "us\n'), // line 2: invalid JSON
      Buffer.concat([Buffer.from('{"id":"user_badutf8","first_name":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]), // line 3
      Buffer.from(deepJson + '\n'), // line 4: nested 20,000 levels deep
      Buffer.from(line(good[0]) + '\n'), // line 5: duplicate id of line 1
      Buffer.from(line(big) + '\n'), // line 6: a 50 MB line, valid
      Buffer.from('\n   \n'), // blank lines are skipped
      Buffer.from(line(good[3]).slice(0, 40)), // last line 9: truncated, no newline
    ];
    const file = path.join(dir, 'hostile.ndjson');
    writeFileSync(file, Buffer.concat(parts));
    const out = await executeExport(exportSettings(file, 'hostile-out'), silentLogger, new AbortController().signal);
    const m = published(out).result.manifest;
    expect(m.counts).toMatchObject({ read: 7, written: 2, rejected: 5 });
    expect(m.counts.read).toBe(m.counts.written + m.counts.rejected);
    const rejects = rejectsOf(path.join(dir, 'hostile-out'), m);
    const expected: Array<[string, string]> = [
      ['line 2', 'invalid JSON: '],
      ['line 3', 'invalid UTF-8 in the line'],
      ['line 4', 'could not be processed: Maximum call stack size exceeded'],
      ['line 5', 'duplicate id: an earlier record of this input has id'],
      ['line 9', 'invalid JSON: '],
    ];
    expect(rejects.map((r) => r.source)).toEqual(expected.map((e) => e[0]));
    rejects.forEach((r, i) => expect((r.problems as Array<{ problem: string }>)[0]!.problem.startsWith(expected[i]![1]), String(r.reason)).toBe(true));
    // The file is over 32 MiB, so --workers auto transforms it in workers: raw has a part per worker.
    const raw = m.files.filter((f) => f.table === 'raw_users').flatMap((f) => readNdjson(path.join(dir, 'hostile-out', f.path)));
    expect(raw.map((u) => u.id)).toContain('user_big');
    expect((raw.find((u) => u.id === 'user_big')!.public_metadata as { blob: string }).blob).toHaveLength(50 * 1024 * 1024);
  }, 60_000);

  it('a JSON array that cannot be parsed fails with the position of the problem, publishing nothing', async () => {
    const file = path.join(dir, 'broken.json');
    writeFileSync(file, '[' + line(good[0]) + ',\n' + line(good[1]) + ',\n{"id": "user_x", "first_name": tru');
    const err = await executeExport(exportSettings(file, 'broken-out'), silentLogger, new AbortController().signal).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('INPUT_INVALID');
    expect((err as Error).message).toMatch(/could not be parsed after record 2/);
    expect(() => readFileSync(path.join(dir, 'broken-out', '_manifests'))).toThrow();
  });
});

describe('hostile input to import --from (dashboard CSV)', () => {
  const BCRYPT = '$2b$10$U4C0ZY8OG8y41F9LusfKyu3HRMBL0rCZcKBVsXhgr.n8Ou6FPhzO2';
  function importSettings(em: RunningEmulator, from: string, report: string): ImportSettings {
    return { from, inputFormat: 'clerk-csv', reportDir: report, onConflict: 'skip', dryRun: false, apiUrl: em.url, secretKey: em.secretKey, concurrency: 1, rateLimit: { requests: 100_000, windowMs: 1000 }, externalId: 'source', progress: false };
  }

  it('reordered and extra columns, BOM, CRLF, an unbalanced quote, duplicate ids, an email shared by two users, unknown hashers: bad rows named, the rest imported', async () => {
    const em = await startEmulator({ users: 0 });
    emulators.push(em);
    // columns reordered, one unknown column, no password_hasher column at all
    const header = 'password_digest,email_extra_col,id,primary_email_address,first_name,verified_email_addresses,username';
    const rows = [
      `${BCRYPT},x,user_a,a@test.com,Ann,a@test.com,ann`, // row 1: digest without hasher column → field named
      `,x,user_b,b@test.com,"Bo, ""the"" B",b@test.com,bo`, // row 2: fine
      `,x,user_b,b2@test.com,Dup,b2@test.com,bo2`, // row 3: duplicate source id
      `,x,user_c,b@test.com,Cee,b@test.com,cee`, // row 4: email already on row 2 (user_b)
      `,x,user_d,d@test.com,"Unbalanced,d@test.com,dee`, // row 5: unbalanced quote swallows the rest
    ];
    const file = path.join(dir, 'hostile.csv');
    writeFileSync(file, '\ufeff' + header + '\r\n' + rows.join('\r\n') + '\r\n');
    const report = path.join(dir, 'hostile-report');
    const summary = await executeImport(importSettings(em, file, report), silentLogger, new AbortController().signal);
    const failures = readFileSync(path.join(report, 'failures.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(summary.counts.created).toBe(1);
    expect(em.store.all().map((u) => u.external_id)).toEqual(['user_b']);
    expect(em.store.all()[0]!.first_name).toBe('Bo, "the" B');
    const byWhere = Object.fromEntries(failures.map((f) => [f.where, [f.field, f.code]]));
    expect(byWhere['row 1']).toEqual(['password_hasher', 'RECORD_INVALID']);
    expect(byWhere['row 3']).toEqual(['id', 'RECORD_INVALID']);
    // found in the input before the first request, naming both rows: never sent, never merged
    expect(byWhere['row 4']).toEqual(['email_address', 'DUPLICATE_IDENTIFIER']);
    expect(String(failures.find((f) => f.where === 'row 4')!.message)).toContain('email_address is also on row 2 (source id user_b)');
    expect(byWhere['row 5']?.[1]).toBe('RECORD_INVALID');
    expect(summary.counts.read).toBe(summary.counts.created + summary.counts.failed + summary.counts.exists);
  });

  it('a file that is not a dashboard export fails with a clear message', async () => {
    const em = await startEmulator({ users: 0 });
    emulators.push(em);
    const file = path.join(dir, 'not-clerk.csv');
    writeFileSync(file, 'name,mail\nann,a@test.com\n');
    const err = await executeImport(importSettings(em, file, path.join(dir, 'nc-report')), silentLogger, new AbortController().signal).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('INPUT_INVALID');
    expect((err as Error).message).toMatch(/not a Clerk dashboard export: its header has no "id" column/);
    expect(em.stats.writes).toBe(0);
  });
});
