import { exportRun } from '../helpers/export-run.js';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportSettings } from '../../src/pipeline/export.js';
import { generateUsers } from '../../src/emulator/generate.js';
import { isEtlError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import type { Manifest } from '../../src/pipeline/export-run.js';
import { startFaultProxy, startS3Server, type S3Server } from '../helpers/s3-server.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-s3-'));
const input = path.join(dir, 'users.ndjson');
let s3: S3Server;
const logLines: string[] = [];
const log = createLogger({ format: 'json', level: 'debug', write: (l) => logLines.push(l) });

beforeAll(async () => {
  s3 = await startS3Server();
  await s3.createBucket('warehouse');
  writeFileSync(input, generateUsers(2500, { seed: 21 }).map((u) => JSON.stringify(u)).join('\n') + '\n');
}, 60_000);

afterAll(async () => {
  await s3?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function settings(to: string, extra: Partial<ExportSettings> = {}): ExportSettings {
  return { to, from: input, formats: ['parquet', 'csv', 'raw'], inputFormat: 'auto', apiUrl: 'unused', concurrency: 1, progress: false, s3: s3.options, ...extra };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe(`export to S3 (${process.env.CLERK_ETL_TEST_S3 === 's3rver' ? 's3rver' : 'moto_server or s3rver'})`, () => {
  it('writes the same bytes as the local destination, listed in the manifest with matching sha256', async () => {
    const fixed = { runId: '20261129T000000000Z-abcdef', startedAt: Date.UTC(2026, 10, 29) };
    const local = await exportRun(settings(path.join(dir, 'local'), fixed), log, new AbortController().signal);
    const remote = await exportRun(settings('s3://warehouse/clerk/feed', { ...fixed, maxRowsPerFile: 1000, compress: 'none' }), log, new AbortController().signal);
    const lm = local.result.manifest;
    const rm = remote.result.manifest;
    expect(rm.destination).toBe('s3://warehouse/clerk/feed');
    expect(rm.counts).toEqual(lm.counts);
    // Rolled at 1000 rows: users has 3 parts in S3, 1 locally; concatenated rows equal.
    expect(rm.files.filter((f) => f.table === 'users' && f.format === 'csv').map((f) => [f.part, f.rows])).toEqual([[0, 1000], [1, 1000], [2, 500]]);
    const keys = await s3.listKeys('warehouse', 'clerk/feed/');
    expect(keys).toEqual([...rm.files.map((f) => `clerk/feed/${f.path}`), `clerk/feed/_manifests/${rm.run_id}.json`].sort());
    for (const f of rm.files) {
      const body = await s3.getObject('warehouse', `clerk/feed/${f.path}`);
      expect(body.length, f.path).toBe(f.bytes);
      expect(sha(body), f.path).toBe(f.sha256);
    }
    // Unrolled tables are byte-identical to the local run.
    for (const f of rm.files.filter((x) => x.table !== 'users' && x.part === 0 && !rm.files.some((y) => y.table === x.table && y.format === x.format && y.part === 1))) {
      const lf = lm.files.find((x) => x.table === f.table && x.format === f.format)!;
      expect(f.sha256, f.path).toBe(lf.sha256);
      expect(sha(readFileSync(path.join(dir, 'local', lf.path)))).toBe(lf.sha256);
    }
    // Rolled CSV parts put back together (minus repeated headers) equal the local file.
    const parts = await Promise.all(rm.files.filter((f) => f.table === 'users' && f.format === 'csv').map((f) => s3.getObject('warehouse', `clerk/feed/${f.path}`)));
    const header = parts[0]!.toString('utf8').split('\r\n')[0]!;
    const joined = parts.map((p, i) => (i === 0 ? p.toString('utf8') : p.toString('utf8').slice(header.length + 2))).join('');
    expect(joined).toBe(readFileSync(path.join(dir, 'local', lm.files.find((f) => f.table === 'users' && f.format === 'csv')!.path), 'utf8'));
    const manifest = JSON.parse((await s3.getObject('warehouse', `clerk/feed/_manifests/${rm.run_id}.json`)).toString('utf8')) as Manifest;
    expect(manifest.files).toEqual(JSON.parse(JSON.stringify(rm.files)));
  });

  it('a file bigger than one part really goes multipart; gzip files read back', async () => {
    const proxy = await startFaultProxy(s3.endpoint);
    try {
      const viaProxy = { ...s3.options, endpoint: proxy.endpoint, partSize: 5 * 1024 * 1024 };
      const { result } = await exportRun(settings('s3://warehouse/multi', { formats: ['raw', 'csv'], compress: 'gzip', s3: viaProxy }), log, new AbortController().signal);
      const gz = result.manifest.files.find((f) => f.table === 'raw_users')!;
      expect(gz.path.endsWith('.ndjson.gz')).toBe(true);
      expect(gz.compression).toBe('gzip');
      const { gunzipSync } = await import('node:zlib');
      const gzBody = await s3.getObject('warehouse', `multi/${gz.path}`);
      expect(sha(gzBody)).toBe(gz.sha256);
      expect(gunzipSync(gzBody).toString('utf8').trim().split('\n')).toHaveLength(2500);
      const csv = result.manifest.files.find((f) => f.table === 'users' && f.format === 'csv')!;
      expect(gunzipSync(await s3.getObject('warehouse', `multi/${csv.path}`)).toString('utf8').split('\r\n')[0]).toMatch(/^id,object,external_id,/);

      const partsBefore = proxy.partsSeen;
      const big = await exportRun(settings('s3://warehouse/multi2', { formats: ['raw'], s3: viaProxy }), log, new AbortController().signal);
      const raw = big.result.manifest.files.find((f) => f.table === 'raw_users')!;
      expect(raw.bytes).toBeGreaterThan(5 * 1024 * 1024);
      // UploadPart requests went through the proxy: one per 5 MiB part
      expect(proxy.partsSeen - partsBefore).toBe(Math.ceil(raw.bytes / (5 * 1024 * 1024)));
      if (s3.kind === 'moto') {
        const head = await s3.client.send(new HeadObjectCommand({ Bucket: 'warehouse', Key: `multi2/${raw.path}` }));
        expect(head.ETag).toMatch(/-[2-9]"?$/);
      }
      expect(sha(await s3.getObject('warehouse', `multi2/${raw.path}`))).toBe(raw.sha256);
    } finally {
      await proxy.close();
    }
  });

  it('a server answering 500 to part uploads: the run fails clearly, leaves no manifest, no objects, no open multipart uploads', async () => {
    const proxy = await startFaultProxy(s3.endpoint);
    try {
      proxy.mode = 'fail-parts';
      const err = await exportRun(
        settings('s3://warehouse/failing', { formats: ['raw', 'parquet', 'csv'], s3: { ...s3.options, endpoint: proxy.endpoint, partSize: 5 * 1024 * 1024, maxAttempts: 2 } }),
        log,
        new AbortController().signal,
      ).then(
        () => null,
        (e: unknown) => e,
      );
      expect(isEtlError(err, 'SINK_WRITE')).toBe(true);
      expect((err as Error).message).toMatch(/^S3 upload of s3:\/\/warehouse\/failing\/raw_users\/dt=[\d-]+\/[\w-]+\.ndjson failed: /);
      // s3rver cannot abort a multipart upload (405), which then masks the 500; moto reports the 500 itself.
      if (s3.kind === 'moto') expect((err as Error).message).toMatch(/InternalError|injected/);
      expect(proxy.partsSeen).toBeGreaterThan(0);
      expect(await s3.listKeys('warehouse', 'failing/')).toEqual([]);
      const uploads = await s3.listUploads('warehouse', 'failing/');
      if (uploads !== null) expect(uploads).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('a server that goes down mid-upload and comes back: the run fails, then cleans up after itself', async () => {
    const proxy = await startFaultProxy(s3.endpoint);
    try {
      let wentDown = false;
      const watcher = setInterval(() => {
        if (proxy.partsSeen > 0 && !wentDown) {
          wentDown = true;
          proxy.mode = 'down';
          setTimeout(() => (proxy.mode = 'pass'), 2500);
        }
      }, 5);
      const err = await exportRun(
        settings('s3://warehouse/outage', { formats: ['raw', 'csv'], s3: { ...s3.options, endpoint: proxy.endpoint, partSize: 5 * 1024 * 1024, maxAttempts: 2 } }),
        log,
        new AbortController().signal,
      ).then(
        () => null,
        (e: unknown) => e,
      );
      clearInterval(watcher);
      expect(isEtlError(err, 'SINK_WRITE'), String(err)).toBe(true);
      expect(wentDown).toBe(true);
      expect(await s3.listKeys('warehouse', 'outage/')).toEqual([]);
      const uploads = await s3.listUploads('warehouse', 'outage/');
      if (uploads !== null) expect(uploads).toEqual([]);
    } finally {
      await proxy.close();
    }
  }, 60_000);

  it('an exporter killed with SIGKILL mid-upload: no manifest; the next run aborts the orphaned multipart uploads and publishes', async () => {
    const proxy = await startFaultProxy(s3.endpoint);
    try {
      const bin = path.resolve(__dirname, '../../bin/clerk-etl.js');
      const args = ['export', '--from', input, '--to', 's3://warehouse/killed', '--format', 'raw,csv', '--s3-endpoint', proxy.endpoint, '--s3-path-style', '--s3-part-size', '5MiB', '--s3-orphan-grace', '0', '--log-format', 'json'];
      if (s3.kind === 's3rver') args.push('--s3-checksums', 'when_required');
      const env = { PATH: process.env.PATH!, AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID!, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_REGION: 'us-east-1' };
      const { spawn } = await import('node:child_process');
      const child = spawn(process.execPath, [bin, ...args], { env, stdio: 'ignore' });
      await new Promise<void>((resolve) => {
        const t = setInterval(() => {
          if (proxy.partsSeen > 0 || child.exitCode !== null) {
            clearInterval(t);
            resolve();
          }
        }, 2);
      });
      child.kill('SIGKILL');
      await new Promise((r) => child.on('close', r));
      expect((await s3.listKeys('warehouse', 'killed/')).filter((k) => k.includes('_manifests'))).toEqual([]);
      const leftover = await s3.listUploads('warehouse', 'killed/');
      if (leftover !== null) expect(leftover.length).toBeGreaterThan(0); // the kill left an upload open
      const again = spawn(process.execPath, [bin, ...args], { env, stdio: 'ignore' });
      expect(await new Promise((r) => again.on('close', r))).toBe(0);
      const uploads = await s3.listUploads('warehouse', 'killed/');
      if (uploads !== null) expect(uploads).toEqual([]);
      expect((await s3.listKeys('warehouse', 'killed/_manifests/')).length).toBe(1);
    } finally {
      await proxy.close();
    }
  }, 60_000);

  it('an exporter killed with SIGKILL after some objects were complete: the next run (default grace) deletes them by the publish journal', async () => {
    const proxy = await startFaultProxy(s3.endpoint);
    try {
      const bin = path.resolve(__dirname, '../../bin/clerk-etl.js');
      const common = ['export', '--from', input, '--to', 's3://warehouse/killed-done', '--format', 'raw,csv', '--max-rows-per-file', '400', '--s3-path-style', '--log-format', 'json', '--no-progress'];
      if (s3.kind === 's3rver') common.push('--s3-checksums', 'when_required');
      const env = { PATH: process.env.PATH!, AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID!, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_REGION: 'us-east-1' };
      const { spawn } = await import('node:child_process');
      const child = spawn(process.execPath, [bin, ...common, '--s3-endpoint', proxy.endpoint], { env, stdio: 'ignore' });
      const isData = (k: string) => !k.includes('/_pending/') && !k.includes('/_manifests/');
      // Freeze the exporter (every request of it hangs) once a data object is complete, then kill it there.
      for (const end = Date.now() + 30_000; ; ) {
        if ((await s3.listKeys('warehouse', 'killed-done/')).some(isData)) break;
        if (child.exitCode !== null || Date.now() > end) throw new Error('the exporter ended before a file was complete');
        await new Promise((r) => setTimeout(r, 10));
      }
      proxy.mode = 'stall';
      child.kill('SIGKILL');
      await new Promise((r) => child.on('close', r));
      const left = await s3.listKeys('warehouse', 'killed-done/');
      expect(left.filter((k) => k.includes('/_manifests/'))).toEqual([]);
      const leftData = left.filter(isData);
      expect(leftData.length).toBeGreaterThan(0); // what a folder glob would read
      const journalKey = left.find((k) => k.includes('/_pending/'))!;
      const journal = JSON.parse((await s3.getObject('warehouse', journalKey)).toString('utf8')) as { run_id: string; files: string[] };
      for (const k of leftData) expect(journal.files.map((f) => `killed-done/${f}`)).toContain(k);

      const lines: string[] = [];
      const again = spawn(process.execPath, [bin, ...common, '--s3-endpoint', s3.endpoint], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      again.stderr!.on('data', (d: Buffer) => lines.push(...d.toString().split('\n')));
      expect(await new Promise((r) => again.on('close', r)), lines.join('\n')).toBe(0);
      const swept = lines.filter((l) => l.includes('swept the output of an earlier run')).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(swept).toEqual([expect.objectContaining({ run_id: journal.run_id, reason: 'process gone', objects_deleted: journal.files.length })]);
      const manifests = await s3.listKeys('warehouse', 'killed-done/_manifests/');
      expect(manifests).toHaveLength(1);
      const m = JSON.parse((await s3.getObject('warehouse', manifests[0]!)).toString('utf8')) as Manifest;
      // Exactly the second run's objects and its manifest: nothing of the killed run, no journal.
      expect(await s3.listKeys('warehouse', 'killed-done/')).toEqual([...m.files.map((f) => `killed-done/${f.path}`), manifests[0]!].sort());
      const uploads = await s3.listUploads('warehouse', 'killed-done/');
      if (uploads !== null) expect(uploads).toEqual([]);
    } finally {
      await proxy.close();
    }
  }, 90_000);

  it('the AWS secret never appears in logs, manifests or errors', async () => {
    expect(logLines.join('\n')).not.toContain(s3.secretAccessKey);
    for (const key of await s3.listKeys('warehouse')) {
      if (key.includes('_manifests/')) expect((await s3.getObject('warehouse', key)).toString('utf8')).not.toContain(s3.secretAccessKey);
    }
  });
});

describe('small objects with conditions (state and lock files of scheduled runs)', () => {
  it('S3 and local destinations read, create-only write, compare-and-swap and delete small objects', async () => {
    const { S3Destination } = await import('../../src/load/s3-destination.js');
    const { LocalDestination } = await import('../../src/load/local-destination.js');
    // s3rver ignores If-None-Match / If-Match (AWS S3 and moto honour them): only the local folder is checked there.
    const dests = [...(s3.kind === 'moto' ? [new S3Destination('s3://warehouse/state', 'r1', s3.options)] : []), new LocalDestination(path.join(dir, 'state'), 'r1')];
    for (const d of dests) {
      expect(await d.readSmall('lock.json'), d.url).toBeNull();
      expect(await d.writeSmall('lock.json', '{"holder":"a"}', { ifAbsent: true }), d.url).toBe(true);
      // a second create-only write loses
      expect(await d.writeSmall('lock.json', '{"holder":"b"}', { ifAbsent: true }), d.url).toBe(false);
      const first = (await d.readSmall('lock.json'))!;
      expect(first.content).toBe('{"holder":"a"}');
      expect(await d.writeSmall('lock.json', '{"holder":"a","n":2}', { ifVersion: first.version }), d.url).toBe(true);
      // the old version no longer matches
      expect(await d.writeSmall('lock.json', '{"holder":"c"}', { ifVersion: first.version }), d.url).toBe(false);
      expect((await d.readSmall('lock.json'))!.content).toBe('{"holder":"a","n":2}');
      await d.deleteSmall('lock.json');
      expect(await d.readSmall('lock.json')).toBeNull();
      await d.deleteSmall('lock.json'); // deleting what is gone is fine
    }
  });
});

describe('the state object store (not a destination): conditional writes and the lock on local and S3', () => {
  it('LocalObjectStore and S3ObjectStore create only if absent, compare-and-swap, and carry a StoreLock', async () => {
    const { LocalObjectStore, S3ObjectStore } = await import('../../src/state/object-store.js');
    const { createS3Client } = await import('../../src/state/s3-client.js');
    const { StoreLock } = await import('../../src/state/lock.js');
    const { statSync } = await import('node:fs');
    const local = new LocalObjectStore(path.join(dir, 'objects', 'private'), { privateFiles: true });
    // s3rver ignores If-None-Match / If-Match (docs/dependencies.md): S3 only against moto.
    const stores = [...(s3.kind === 'moto' ? [new S3ObjectStore(createS3Client(s3.options), 'warehouse', 'objects/state', s3.options)] : []), local];
    for (const store of stores) {
      expect(await store.writeSmall('a.json', '1', { ifAbsent: true }), store.url).toBe(true);
      expect(await store.writeSmall('a.json', '2', { ifAbsent: true }), store.url).toBe(false);
      const v = (await store.readSmall('a.json'))!;
      expect(await store.writeSmall('a.json', '3', { ifVersion: v.version }), store.url).toBe(true);
      expect(await store.writeSmall('a.json', '4', { ifVersion: v.version }), store.url).toBe(false);
      expect((await store.readSmall('a.json'))!.content).toBe('3');
      await store.deleteSmall('a.json');
      expect(await store.readSmall('a.json')).toBeNull();

      const first = new StoreLock(store, 'run.lock');
      const second = new StoreLock(store, 'run.lock');
      expect(await first.acquire('r1', 60_000, log), store.url).toEqual({ ok: true });
      const taken = await second.acquire('r2', 60_000, log);
      expect(taken.ok, store.url).toBe(false);
      expect(!taken.ok && taken.holder?.run_id).toBe('r1');
      await first.release();
      expect(await store.readSmall('run.lock'), store.url).toBeNull();
    }
    await local.writeSmall('b.json', '{}');
    expect(statSync(path.join(dir, 'objects', 'private', 'b.json')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dir, 'objects', 'private')).mode & 0o777).toBe(0o700);
  });
});
