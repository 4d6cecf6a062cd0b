import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { runCli, startCli } from '../helpers/cli.js';
import { exampleUsers } from '../helpers/examples.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-cli-'));
let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ users: 50, seed: 5, secretKey: 'sk_test_emuKey123' });
});
afterAll(async () => {
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
});

const run = (args: string[], env: Record<string, string> = {}) => runCli(args, { env });

describe('clerk-etl CLI', () => {
  it('a bad key fails with exit code 77, a message naming CLERK_SECRET_KEY, and the key in no output', async () => {
    const badKey = 'sk_test_wrongKey999';
    const out = path.join(dir, 'badkey');
    const r = await run(['export', '--to', out, '--format', 'parquet,csv'], { CLERK_SECRET_KEY: badKey, CLERK_API_URL: emulator.url });
    expect(r.code).toBe(77);
    expect(r.stderr).toContain('CLERK_SECRET_KEY');
    expect(r.stderr).toMatch(/401/);
    expect(r.stdout + r.stderr).not.toContain(badKey);
    expect(r.stdout + r.stderr).not.toContain('wrongKey999');
    expect(r.stderr).not.toMatch(/\n\s+at /); // a user error, not a stack trace
    // nothing published
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });

  it('a missing key is a usage error naming the variable', async () => {
    const r = await run(['export', '--to', path.join(dir, 'nokey')], { CLERK_API_URL: emulator.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('CLERK_SECRET_KEY is not set');
  });

  it('exports from the emulator: exit 0, summary on stdout, manifest on disk, key nowhere', async () => {
    const out = path.join(dir, 'ok');
    const r = await run(['export', '--to', out, '--format', 'parquet,csv,ndjson,raw', '--log-format', 'json'], {
      CLERK_SECRET_KEY: emulator.secretKey,
      CLERK_API_URL: emulator.url,
    });
    expect(r.stderr).not.toContain(emulator.secretKey);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('50 users read, 50 written, 0 rejected');
    expect(readdirSync(path.join(out, '_manifests'))).toHaveLength(1);
    for (const line of r.stderr.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('the summary file, the manifest and the import summary.json share one vocabulary: status published, snake_case Clerk counters', async () => {
    const env = { CLERK_SECRET_KEY: emulator.secretKey, CLERK_API_URL: emulator.url };
    const out = path.join(dir, 'vocabulary');
    const summaryFile = path.join(dir, 'vocabulary-summary.json');
    const r = await run(['export', '--to', out, '--format', 'ndjson', '--summary-file', summaryFile, '--log-format', 'json'], env);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as Record<string, unknown> & { manifest: string; clerk: Record<string, number> };
    const manifest = JSON.parse(readFileSync(summary.manifest, 'utf8')) as Record<string, unknown> & { clerk: Record<string, number> };
    expect(summary.status).toBe('published');
    expect(manifest.status).toBe('published');
    const counters = ['requests', 'retries', 'rate_limited_429', 'server_errors', 'network_errors', 'timeouts'];
    expect(Object.keys(manifest.clerk)).toEqual(counters);
    expect(summary.clerk).toEqual(manifest.clerk);
    expect(manifest.clerk.requests).toBeGreaterThan(0);
    // every key, at any depth, is snake_case
    const keys = (v: unknown): string[] => (Array.isArray(v) ? v.flatMap(keys) : v && typeof v === 'object' ? Object.entries(v).flatMap(([k, x]) => [k, ...keys(x)]) : []);
    for (const k of [...keys(summary), ...keys(manifest)]) expect(k).toMatch(/^[a-z0-9_]+$/);

    const file = path.join(dir, 'vocabulary-import.ndjson');
    writeFileSync(file, JSON.stringify({ ...exampleUsers()[1], id: 'user_vocabulary1', username: 'vocabulary_user', external_id: null }) + '\n');
    const report = path.join(dir, 'vocabulary-report');
    const imp = await run(['import', '--from', file, '--report', report, '--log-format', 'json'], env);
    expect(imp.code, imp.stderr).toBe(0);
    expect(imp.stdout).toMatch(/Clerk API: \d+ requests, \d+ retries, \d+ answered 429/);
    const importSummary = JSON.parse(readFileSync(path.join(report, 'summary.json'), 'utf8')) as { clerk: Record<string, number> };
    expect(Object.keys(importSummary.clerk)).toEqual(counters);
    expect(importSummary.clerk.requests).toBeGreaterThan(0);
  });

  it('--from a file with invalid records: exit 3, rejects named by line and field, counts reconcile', async () => {
    const [rich, modern] = exampleUsers();
    const file = path.join(dir, 'in.ndjson');
    writeFileSync(file, [JSON.stringify(modern), '{"id": "user_broken", ', JSON.stringify(rich), '', JSON.stringify({ ...modern, id: 'user_x', banned: 'no' })].join('\n') + '\n');
    const out = path.join(dir, 'from');
    const r = await run(['export', '--from', file, '--to', out, '--format', 'csv', '--log-format', 'json']);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('4 users read, 1 written, 3 rejected');
    expect(r.stderr).toContain('line 2');
    expect(r.stderr).toContain('line 5 (user_x): banned: expected a boolean, got a string');
  });

  it('SIGINT mid-run stops within seconds: exit 130, no manifest, no files, staging removed', async () => {
    const slow = await startEmulator({ users: 3000, seed: 9, latencyMs: 300 });
    try {
      const out = path.join(dir, 'interrupted');
      const child = startCli(['export', '--to', out, '--format', 'parquet,csv', '--concurrency', '1', '--log-format', 'json'], { env: { CLERK_SECRET_KEY: slow.secretKey, CLERK_API_URL: slow.url } });
      // wait until the export has started paging
      await new Promise<void>((resolve) => {
        const t = setInterval(() => {
          if (child.stderr().includes('export started')) {
            clearInterval(t);
            resolve();
          }
        }, 20);
      });
      await new Promise((r) => setTimeout(r, 700));
      const sentAt = Date.now();
      child.kill('SIGINT');
      const code = await child.code;
      expect(Date.now() - sentAt).toBeLessThan(5000);
      expect(code).toBe(130);
      expect(child.stderr()).toContain('Interrupted by SIGINT');
      expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
    } finally {
      await slow.close();
    }
  });

  it('a config file with typos: exit 2, every problem named with the valid alternative; flags beat the file', async () => {
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'clerk:\n  secret_key: ${CLERK_SECRET_KEY}\nexport:\n  formt: [parquet]\n  on_conflict: skip\n');
    const r = await run(['export', '--config', bad], { CLERK_SECRET_KEY: emulator.secretKey });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('export.formt: unknown key; did you mean "format"?');
    expect(r.stderr).toContain('export.on_conflict: unknown key; on_conflict belongs under import');
    const good = path.join(dir, 'good.yaml');
    const out = path.join(dir, 'from-config');
    writeFileSync(good, `clerk:\n  secret_key: \${CLERK_SECRET_KEY}\n  api_url: ${emulator.url}\nexport:\n  to: ${out}\n  format: [csv]\n  log_format: json\n`);
    const ok = await run(['export', '--config', good, '--format', 'raw'], { CLERK_SECRET_KEY: emulator.secretKey });
    expect(ok.code, ok.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['_manifests', 'raw_users']); // --format beat the file's csv
    for (const line of ok.stderr.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow(); // log_format from the file
  });

  it('no command: the help on stderr and exit 2; `help` and --help exit 0', async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Usage: clerk-etl [options] [command]');
    expect((await run(['help'])).code).toBe(0);
    expect((await run(['--help'])).code).toBe(0);
  });

  it('export and import help: options in groups, --config first, every option with a value shows its default', async () => {
    const groups = { export: ['General:', 'Source:', 'Destination:', 'Formats and files:', 'Scheduling (incremental runs):', 'Governance:', 'Clerk API:', 'Performance:'], import: ['General:', 'Source:', 'Reports and resume:', 'Mapping and conflicts:', 'Clerk API:', 'Performance:'] };
    for (const [cmd, headings] of Object.entries(groups)) {
      const { code, stdout } = await run([cmd, '--help']);
      expect(code, cmd).toBe(0);
      expect(stdout.split('\n').filter((l) => /^\S.*:$/.test(l) && !l.startsWith('Usage')), cmd).toEqual(headings);
      // One entry per option: its first line starts with "  -", wrapped lines are joined.
      const entries = stdout.split(/\n(?=  -)/).slice(1).map((e) => e.split('\n\n')[0]!.replace(/\s+/g, ' ').trim());
      expect(entries[0], cmd).toMatch(/^--config <file>/);
      for (const e of entries) {
        if (/^(-h|--no-)/.test(e) || /; required/.test(e)) continue;
        expect(e, cmd).toMatch(/\(.*default: [^)]+\)$/);
      }
    }
    const exp = (await run(['export', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(exp).toContain('--request-timeout <ms> timeout of one API request (default: 30000)');
    expect(exp).toContain('--s3-part-size <size>');
    expect(exp).toMatch(/--max-file-bytes <size> .* \(default: 128MiB\)/);
  });

  it('--format and --drop-table repeated: the union in the order given, duplicates ignored', async () => {
    const file = path.join(dir, 'repeat.ndjson');
    writeFileSync(file, JSON.stringify(exampleUsers()[1]) + '\n');
    const out = path.join(dir, 'repeat');
    const r = await run(['export', '--from', file, '--to', out, '--format', 'ndjson', '--format', 'csv,ndjson', '--format', 'csv', '--drop-table', 'user_passkeys', '--drop-table', 'user_web3_wallets,user_passkeys', '--log-format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const [name] = readdirSync(path.join(out, '_manifests'));
    const m = JSON.parse(readFileSync(path.join(out, '_manifests', name!), 'utf8')) as { formats: string[]; pii: { dropped_tables: string[] }; files: Array<{ table: string; format: string }> };
    expect(m.formats).toEqual(['ndjson', 'csv']);
    expect(m.pii.dropped_tables).toEqual(['user_passkeys', 'user_web3_wallets']);
    expect([...new Set(m.files.map((f) => f.format))].sort()).toEqual(['csv', 'ndjson']);
    expect(m.files.filter((f) => f.table === 'users')).toHaveLength(2);
    expect(m.files.some((f) => f.table === 'user_passkeys' || f.table === 'user_web3_wallets')).toBe(false);
    expect(readdirSync(out).sort()).toEqual(['_manifests', 'csv', 'ndjson']);
    // an unknown format among repeats is still named
    const bad = await run(['export', '--from', file, '--to', path.join(dir, 'repeat-bad'), '--format', 'csv', '--format', 'xls']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Unknown format "xls"');
  });

  it('--help works for every command; unknown flags are usage errors', async () => {
    for (const cmd of ['export', 'import', 'schema', 'demo', 'emulator']) {
      const r = await run([cmd, '--help']);
      expect(r.code, cmd).toBe(0);
      expect(r.stdout, cmd).toContain('Usage: clerk-etl ' + cmd);
    }
    const bad = await run(['export', '--formt', 'csv']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown option '--formt'");
  });
});
