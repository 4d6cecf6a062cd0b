import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateUsers } from '../../src/emulator/generate.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { redactSecrets, redactUrl } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { runCli, startCli } from '../helpers/cli.js';
import { readNdjson } from '../helpers/read-back.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-publish-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const input = path.join(dir, 'users.ndjson');
writeFileSync(input, generateUsers(2000, { seed: 31 }).map((u) => JSON.stringify(u)).join('\n') + '\n');
// Runs with a --state read the API (a file export cannot take a state): the emulator with the same users.
let emulator: RunningEmulator;
let api: Record<string, string>;
beforeAll(async () => {
  emulator = await startEmulator({ users: 2000, seed: 31 });
  api = { CLERK_API_URL: emulator.url, CLERK_SECRET_KEY: 'sk_test_emulator' };
});
afterAll(async () => {
  await emulator?.close();
});

const walk = (d: string): string[] => (existsSync(d) ? readdirSync(d).flatMap((n) => (statSync(path.join(d, n)).isDirectory() ? walk(path.join(d, n)) : [path.join(d, n)])) : []);
/** Files a folder glob would read: everything outside the `_`-prefixed top-level folders. */
const dataFiles = (root: string): string[] =>
  readdirSync(root)
    .filter((n) => !n.startsWith('_'))
    .flatMap((n) => walk(path.join(root, n)))
    .map((f) => path.relative(root, f).split(path.sep).join('/'))
    .sort();
const mode = (p: string): number => statSync(p).mode & 0o777;

// The CLI as a user runs it (test/helpers/cli.ts), in the test's folder; a hang is killed after 20 s.
const start = (args: string[], env: Record<string, string> = {}, cwd = dir) => startCli(args, { env, cwd });
const run = (args: string[], env: Record<string, string> = {}, limitMs = 20_000, cwd = dir) => runCli(args, { env, cwd, limitMs });
async function until(what: string, cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('a run killed with SIGKILL while it publishes (local)', () => {
  it('leaves files in the table folders and a journal; the next run (default grace) deletes them, its staging and the dead lock; private files are owner-only', async () => {
    const to = path.join(dir, 'killed');
    const state = path.join(dir, 'state-killed', 's.json');
    const args = ['export', '--to', to, '--format', 'parquet,csv,raw', '--state', state, '--log-format', 'json', '--no-progress'];
    // The test hook pauses the run right after its 3rd file reached its final place.
    const a = start(args, { ...api, CLERK_ETL_TEST_PAUSE_PUBLISH_AFTER: '3' });
    await until('the first run to pause in the middle of publishing', () => a.stderr().includes('paused after publishing 3 files'), 30_000);
    // What the kill leaves: 3 files a folder glob reads, no manifest, the journal, the staging folder, the lock.
    const pending = readdirSync(path.join(to, '_pending'));
    expect(pending).toHaveLength(1);
    const runA = pending[0]!.replace(/\.json$/, '');
    expect(mode(path.join(to, '_pending'))).toBe(0o700);
    expect(mode(path.join(to, '_pending', pending[0]!))).toBe(0o600);
    expect(mode(path.join(to, '_staging', runA))).toBe(0o700);
    expect(mode(`${state}.lock`)).toBe(0o600);
    expect(mode(path.dirname(state))).toBe(0o700);
    a.kill('SIGKILL');
    await a.code;
    const leftA = dataFiles(to);
    expect(leftA).toHaveLength(3);
    expect(leftA.every((f) => f.includes(runA))).toBe(true);
    const journal = JSON.parse(readFileSync(path.join(to, '_pending', `${runA}.json`), 'utf8')) as { files: string[] };
    for (const f of leftA) expect(journal.files).toContain(f);
    expect(existsSync(path.join(to, '_manifests'))).toBe(false);
    expect(walk(path.join(to, '_staging', runA)).length).toBeGreaterThan(0);

    // The next run, with the default 60-minute grace: the dead run (this host, process gone) is swept at once.
    const b = await run(args, api, 60_000);
    expect(b.code, b.stderr).toBe(0);
    const swept = b.stderr.split('\n').filter((l) => l.includes('swept the output of an earlier run')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(swept).toEqual([expect.objectContaining({ run_id: runA, reason: 'process gone', published_files_removed: 3, staging_removed: true })]);
    expect(b.stderr).toContain('taking over the lock of a run on this host that no longer runs');
    const manifests = readdirSync(path.join(to, '_manifests'));
    expect(manifests).toHaveLength(1);
    const m = JSON.parse(readFileSync(path.join(to, '_manifests', manifests[0]!), 'utf8')) as { run_id: string; files: Array<{ path: string; table: string }> };
    // Exactly the second run's files remain where a folder glob reads.
    expect(dataFiles(to)).toEqual(m.files.map((f) => f.path).sort());
    expect(existsSync(path.join(to, '_staging'))).toBe(false);
    expect(existsSync(path.join(to, '_pending'))).toBe(false);
    expect(readNdjson(path.join(to, m.files.find((f) => f.table === 'raw_users')!.path))).toHaveLength(2000);
    // Exports follow the umask (README); the state is owner-only.
    const umask = process.umask();
    expect(mode(path.join(to, m.files[0]!.path))).toBe(0o666 & ~umask);
    expect(mode(path.join(to, '_manifests', manifests[0]!))).toBe(0o666 & ~umask);
    expect(mode(state)).toBe(0o600);
    expect(existsSync(`${state}.lock`)).toBe(false);
  }, 120_000);
});

describe('paths that cannot be created', () => {
  it('--to, --state or --summary-file under /proc fail at once (no spinning); an unwritable summary file after publishing exits 7', async () => {
    const nowhere = '/proc/clerk-etl-cannot-exist';
    const base = ['export', '--from', input, '--format', 'raw', '--log-format', 'json', '--no-progress'];
    const toProc = await run([...base, '--to', `${nowhere}/out`]);
    expect(toProc.code, toProc.stderr).toBe(1);
    expect(toProc.stderr).toMatch(/Could not create the folder for .*ENOENT/);
    expect(toProc.ms).toBeLessThan(10_000);

    const stateProc = await run(['export', '--format', 'raw', '--log-format', 'json', '--no-progress', '--to', path.join(dir, 'proc-state'), '--state', `${nowhere}/s.json`], api);
    expect(stateProc.code, stateProc.stderr).toBe(1);
    expect(stateProc.stderr).toMatch(/Could not create the folder for s\.json\.lock.*ENOENT/);
    expect(stateProc.ms).toBeLessThan(10_000);

    const out = path.join(dir, 'proc-summary');
    const summary = await run([...base, '--to', out, '--summary-file', `${nowhere}/summary.json`]);
    expect(summary.code, summary.stderr).toBe(7);
    expect(summary.stderr).toContain('could not write the summary file');
    expect(summary.ms).toBeLessThan(10_000);
    expect(readdirSync(path.join(out, '_manifests'))).toHaveLength(1); // published all the same
  }, 60_000);
});

describe('locations with a scheme the tool does not support', () => {
  const secret = 'Sup3rSecretPw9';
  for (const [flag, value, takes] of [
    ['--to', `mysql://etl:${secret}@db.example/clerk`, 'a local folder, s3://bucket/prefix or postgres://host:port/db?schema=…'],
    ['--to', 'gs://bucket/clerk', 'a local folder, s3://bucket/prefix or postgres://host:port/db?schema=…'],
    ['--to', 'http://example.com/clerk', 'a local folder, s3://bucket/prefix or postgres://host:port/db?schema=…'],
    ['--to', 'S3://bucket/clerk', 'a local folder, s3://bucket/prefix or postgres://host:port/db?schema=…'],
    ['--state', 'gs://bucket/state.json', 'a local file or s3://bucket/key'],
    ['--from', `https://etl:${secret}@files.example/users.ndjson`, 'a local file'],
  ] as const) {
    it(`${flag} ${value.split('//')[0]}//…: exit 2 naming what it takes; nothing created; credentials redacted`, async () => {
      const cwd = path.join(dir, `cwd-${flag.slice(2)}-${value.split(':')[0]}`);
      mkdirSync(cwd, { recursive: true });
      const args = ['export', '--format', 'raw', '--log-format', 'json', '--no-progress', '--from', input, '--to', path.join(cwd, 'out')];
      const i = args.indexOf(flag);
      if (i >= 0) args[i + 1] = value;
      else args.push(flag, value);
      const r = await run(args, {}, 20_000, cwd);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`${flag} takes ${takes}`);
      expect(r.stderr).toMatch(/the scheme "[A-Za-z0-9]+:\/\/" is not supported/);
      expect(r.stdout + r.stderr).not.toContain(secret);
      expect(readdirSync(cwd)).toEqual([]);
    });
  }

  it('credentials in an s3:// URL: refused (exit 2), never shown', async () => {
    const r = await run(['export', '--from', input, '--to', 's3://AKIAEXAMPLE:Sup3rSecretPw9@warehouse/clerk', '--format', 'raw', '--no-progress']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('an s3:// URL cannot carry credentials');
    // The user part of an s3:// URL is an access key id: hidden as well.
    expect(r.stderr).toContain('s3://[REDACTED]@warehouse/clerk');
    expect(r.stdout + r.stderr).not.toContain('Sup3rSecretPw9');
    expect(r.stdout + r.stderr).not.toContain('AKIAEXAMPLE');
  });

  it('one redaction for URLs: messages and log lines lose the password (and a bare token) of any URL', () => {
    expect(redactUrl('postgres://etl:p4ss@db:5432/x')).toBe('postgres://etl:[REDACTED]@db:5432/x');
    expect(redactUrl('https://tok3n@host/path and s3://bucket/key')).toBe('https://[REDACTED]@host/path and s3://bucket/key');
    expect(redactSecrets('to postgres://etl:p4ss@db/x failed')).toBe('to postgres://etl:[REDACTED]@db/x failed');
    // Within one URL only: a JSON line with a URL and an email elsewhere is left alone.
    expect(redactSecrets('{"url":"http://img.example","email":"a@b.example"}')).toBe('{"url":"http://img.example","email":"a@b.example"}');
    const lines: string[] = [];
    createLogger({ format: 'json', write: (l) => lines.push(l) }).info('export started', { to: 'postgres://etl:p4ssw0rd@db/x' });
    expect(lines[0]).toContain('postgres://etl:[REDACTED]@db/x');
    expect(lines[0]).not.toContain('p4ssw0rd');
  });
});
