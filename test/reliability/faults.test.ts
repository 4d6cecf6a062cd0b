import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { executeExport, type ExportSettings } from '../../src/pipeline/export.js';
import { executeImport } from '../../src/pipeline/import.js';
import { generateUsers } from '../../src/emulator/generate.js';
import type { EmulatorOptions, RunningEmulator } from '../../src/emulator/server.js';
import { emulatorPerTest } from '../helpers/emulators.js';
import { createLogger } from '../../src/log.js';
import { LocalDestination } from '../../src/load/local-destination.js';
import type { Destination, OutputFile } from '../../src/load/destination.js';
import { FileSource } from '../../src/extract/file-source.js';
import { runExport } from '../../src/pipeline/export-run.js';
import { readNdjson } from '../helpers/read-back.js';
import { published } from '../helpers/export-run.js';

const BIN = path.resolve(__dirname, '../../bin/clerk-etl.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-faults-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const startOne = emulatorPerTest();
const emulator = (o: EmulatorOptions): Promise<RunningEmulator> => startOne({ secretKey: 'sk_test_faultsKey1', ...o });
const walk = (d: string): string[] => (existsSync(d) ? readdirSync(d).flatMap((n) => (statSync(path.join(d, n)).isDirectory() ? walk(path.join(d, n)) : [path.join(d, n)])) : []);
function noSecrets(files: string[], logs: string[], secrets: string[]): void {
  for (const s of secrets) {
    for (const f of files) expect(readFileSync(f).includes(s), `${s} in ${f}`).toBe(false);
    expect(logs.join('\n').includes(s), `${s} in the logs`).toBe(false);
  }
}

function settings(em: RunningEmulator, name: string, extra: Partial<ExportSettings> = {}): ExportSettings {
  return { to: path.join(dir, name), formats: ['parquet', 'raw'], inputFormat: 'auto', apiUrl: em.url, secretKey: em.secretKey, concurrency: 3, rateLimit: { requests: 100_000, windowMs: 1000 }, progress: false, ...extra };
}

describe('network faults during export', () => {
  it('429s with Retry-After, a response slower than the timeout, resets and a truncated body: exact output; the key in no file or log', async () => {
    const em = await emulator({ users: 1500, seed: 91, faults: { retryAfterSeconds: 1 } });
    em.injectNext('429', { slowMs: 2500 }, 'reset', '429', 'truncate', '503');
    const logs: string[] = [];
    const out = await executeExport(settings(em, 'net', { requestTimeoutMs: 800, maxAttempts: 8 }), createLogger({ format: 'json', level: 'debug', write: (l) => logs.push(l) }), new AbortController().signal);
    const m = published(out).result.manifest;
    expect(m.counts).toMatchObject({ read: 1500, written: 1500, rejected: 0 });
    expect(m.clerk).toMatchObject({ timeouts: 1 });
    expect(m.clerk!.rate_limited_429).toBeGreaterThanOrEqual(2);
    const raw = readNdjson(path.join(dir, 'net', m.files.find((f) => f.table === 'raw_users')!.path));
    expect(new Set(raw.map((u) => u.id)).size).toBe(1500);
    noSecrets(walk(path.join(dir, 'net')), logs, [em.secretKey]);
  }, 60_000);

  it('retries exhausted: a clear message naming the attempts, exit code 75, nothing published, the key in no message', async () => {
    const em = await emulator({ users: 1500, seed: 92, faults: { rate5xx: 1 } });
    const logs: string[] = [];
    const err = await executeExport(settings(em, 'exhausted', { maxAttempts: 2 }), createLogger({ format: 'json', level: 'debug', write: (l) => logs.push(l) }), new AbortController().signal).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('CLERK_HTTP');
    expect((err as Error).message).toMatch(/failed after 2 attempts; last: Clerk answered 50[023]/);
    const { exitCodeFor } = await import('../../src/cli/exit-codes.js');
    expect(exitCodeFor(err)).toBe(75);
    expect(walk(path.join(dir, 'exhausted'))).toEqual([]);
    noSecrets([], [...logs, (err as Error).message, (err as Error).stack ?? ''], [em.secretKey]);
  }, 60_000);
});

describe('network faults during import', () => {
  it('random 5xx, resets and creates that succeed but answer 500: every user created exactly once', async () => {
    const users = generateUsers(200, { seed: 93 }).filter((u) => (u.email_addresses as unknown[]).length > 0 || typeof u.username === 'string').slice(0, 80);
    const file = path.join(dir, 'import-faults.ndjson');
    writeFileSync(file, users.map((u) => JSON.stringify(u)).join('\n') + '\n');
    const em = await emulator({ users: 0, faults: { rate5xx: 0.1, rateReset: 0.05, rateAfterCreate: 0.15, seed: 7 } });
    const logs: string[] = [];
    const summary = await executeImport(
      { from: file, inputFormat: 'auto', reportDir: path.join(dir, 'import-faults-report'), onConflict: 'skip', dryRun: false, apiUrl: em.url, secretKey: em.secretKey, concurrency: 4, rateLimit: { requests: 100_000, windowMs: 1000 }, externalId: 'source', maxAttempts: 8, progress: false },
      createLogger({ format: 'json', level: 'debug', write: (l) => logs.push(l) }),
      new AbortController().signal,
    );
    expect(summary.counts).toMatchObject({ created: 80, failed: 0 });
    expect(summary.counts.recovered).toBeGreaterThan(0);
    expect(em.store.size).toBe(80);
    expect(new Set(em.store.all().map((u) => u.external_id)).size).toBe(80);
    noSecrets(walk(path.join(dir, 'import-faults-report')), logs, [em.secretKey]);
  }, 60_000);
});

describe('SIGTERM during an import', () => {
  it('ends within seconds with exit 130; the re-run creates every user exactly once', async () => {
    const users = generateUsers(300, { seed: 97 }).filter((u) => (u.email_addresses as unknown[]).length > 0 || typeof u.username === 'string').slice(0, 150);
    const file = path.join(dir, 'sigterm.ndjson');
    writeFileSync(file, users.map((u) => JSON.stringify(u)).join('\n') + '\n');
    const em = await emulator({ users: 0, latencyMs: 30 });
    const report = path.join(dir, 'sigterm-report');
    const args = [BIN, 'import', '--from', file, '--report', report, '--concurrency', '4', '--rate-limit', '100000/1s', '--log-format', 'json'];
    const env = { PATH: process.env.PATH!, CLERK_SECRET_KEY: em.secretKey, CLERK_API_URL: em.url };
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (em.stats.creates >= 40) {
          clearInterval(t);
          resolve();
        }
      }, 2);
    });
    const sent = Date.now();
    child.kill('SIGTERM');
    expect(await new Promise((r) => child.on('close', r))).toBe(130);
    expect(Date.now() - sent).toBeLessThan(5000);
    expect(em.store.size).toBeLessThan(150);
    const again = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    expect(await new Promise((r) => again.on('close', r))).toBe(0);
    expect(em.store.size).toBe(150);
    expect(new Set(em.store.all().map((u) => u.external_id)).size).toBe(150);
  }, 60_000);
});

describe('crash and resume of the exporter', () => {
  for (const seed of [1, 2, 3]) {
    it(`SIGKILL at a random point (seed ${seed}): no manifest, nothing visible to readers; the re-run publishes every user exactly once`, async () => {
      const em = await emulator({ users: 2500, seed: 94, latencyMs: 40 });
      const to = path.join(dir, `kill-${seed}`);
      const args = [BIN, 'export', '--to', to, '--format', 'parquet,csv,raw', '--state', path.join(to, '_state', 's.json'), '--concurrency', '1', '--s3-orphan-grace', '0', '--rate-limit', '100000/1s', '--log-format', 'json'];
      const env = { PATH: process.env.PATH!, CLERK_SECRET_KEY: em.secretKey, CLERK_API_URL: em.url };
      const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const killAfter = 150 + ((seed * 7919) % 600); // 150–750 ms into the run
      await new Promise((r) => setTimeout(r, killAfter));
      child.kill('SIGKILL');
      await new Promise((r) => child.on('close', r));
      // Nothing a reader would pick up: no manifest, no file under the table folders.
      expect(existsSync(path.join(to, '_manifests'))).toBe(false);
      for (const t of ['users', 'csv', 'raw_users']) expect(walk(path.join(to, t))).toEqual([]);
      expect(existsSync(path.join(to, '_state', 's.json'))).toBe(false); // the watermark never advanced
      const rerun = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      rerun.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      expect(await new Promise((r) => rerun.on('close', r)), stderr).toBe(0);
      const manifests = readdirSync(path.join(to, '_manifests'));
      expect(manifests).toHaveLength(1);
      const m = JSON.parse(readFileSync(path.join(to, '_manifests', manifests[0]!), 'utf8'));
      const raw = readNdjson(path.join(to, m.files.find((f: { table: string }) => f.table === 'raw_users').path));
      expect(raw).toHaveLength(2500);
      expect(new Set(raw.map((u) => u.id)).size).toBe(2500);
      // the killed run's staging folder was swept by the re-run
      expect(existsSync(path.join(to, '_staging'))).toBe(false);
    }, 60_000);
  }
});

describe('storage faults', () => {
  it('a destination that is not a folder: a clear error, nothing written', async () => {
    const em = await emulator({ users: 50, seed: 95 });
    const notDir = path.join(dir, 'a-file');
    writeFileSync(notDir, 'x');
    const err = await executeExport(settings(em, 'unused', { to: path.join(notDir, 'out') }), createLogger({ write: () => undefined }), new AbortController().signal).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('SINK_WRITE');
    expect((err as Error).message).toMatch(/^Could not create the folder for .*: ENOTDIR/);
  });

  it('a disk that fills up mid-run (a stream failing after N bytes): SINK_WRITE naming it, nothing published, staging removed', async () => {
    const users = generateUsers(3000, { seed: 96 });
    const file = path.join(dir, 'enospc.ndjson');
    writeFileSync(file, users.map((u) => JSON.stringify(u)).join('\n') + '\n');
    const root = path.join(dir, 'enospc');
    const local = new LocalDestination(root, 'run-enospc');
    let written = 0;
    const full: Destination = {
      ...local,
      url: local.url,
      publish: (s) => local.publish(s),
      writeSmallFile: (p, c) => local.writeSmallFile(p, c),
      discard: () => local.discard(),
      readSmall: (p) => local.readSmall(p),
      writeSmall: (p, c, cond) => local.writeSmall(p, c, cond),
      deleteSmall: (p) => local.deleteSmall(p),
      createFile(rel): OutputFile {
        const f = local.createFile(rel);
        return {
          path: f.path,
          get bytes() {
            return f.bytes;
          },
          async write(chunk) {
            written += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
            if (written > 2_000_000) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
            return f.write(chunk);
          },
          close: () => f.close(),
        };
      },
    };
    const err = await runExport({ source: new FileSource(file), destination: full, formats: ['csv', 'raw'], runId: 'run-enospc', startedAt: Date.now(), signal: new AbortController().signal, log: createLogger({ write: () => undefined }) }).catch((e: unknown) => e);
    expect((err as Error).message).toContain('ENOSPC');
    expect(walk(root)).toEqual([]);
  });
});
