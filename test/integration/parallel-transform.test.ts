import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { executeExport, type ExportSettings } from '../../src/pipeline/export.js';
import { generateUsers } from '../../src/emulator/generate.js';
import { startEmulator } from '../../src/emulator/server.js';
import { EtlError } from '../../src/errors.js';
import { FileSource } from '../../src/extract/file-source.js';
import type { Destination, OutputFile } from '../../src/load/destination.js';
import { openDestination } from '../../src/load/open-destination.js';
import { silentLogger } from '../../src/log.js';
import { runExport, type Manifest } from '../../src/pipeline/export-run.js';
import { USER_TABLES as ALL_TABLES } from '../../src/model/schema.js';
import { readNdjson, readTable } from '../helpers/read-back.js';
import { published } from '../helpers/export-run.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-parallel-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// ~3,000 users of ~3 KB: about nine 1 MiB chunks, so every worker gets several and ids cross workers.
const users = generateUsers(3000, { seed: 7 });
const lines = users.map((u) => JSON.stringify(u));
// Hostile records spread over the file: a duplicate of an early user far later (another chunk,
// another worker), invalid JSON, an invalid user, a field the schema does not know.
lines.splice(2500, 0, JSON.stringify(users[3]));
lines.splice(1700, 0, '{"id":"user_cut","first_na');
lines.splice(900, 0, JSON.stringify({ ...users[10], id: 'user_invalid', created_at: 'yesterday' }));
lines.splice(400, 0, JSON.stringify({ ...users[11], id: 'user_drift', birthday: '1990-01-01' }));
const input = path.join(dir, 'users.ndjson');
writeFileSync(input, lines.join('\n') + '\n');

const RUN_AT = Date.UTC(2026, 10, 29, 12);

function settings(name: string, workers: number, extra: Partial<ExportSettings> = {}): ExportSettings {
  return {
    from: input,
    to: path.join(dir, name),
    formats: ['parquet', 'csv', 'ndjson', 'raw'],
    inputFormat: 'auto',
    apiUrl: 'unused',
    concurrency: 1,
    progress: false,
    runId: 'run-fixed',
    startedAt: RUN_AT,
    workers,
    ...extra,
  };
}

/** Every row of a table in one format, from all its parts, in a stable order. */
async function tableRows(root: string, m: Manifest, table: string, format: 'parquet' | 'csv' | 'ndjson'): Promise<unknown[]> {
  const rows = await readTable(root, m, table, format);
  const key = (r: Record<string, unknown>) => `${String(r.user_id ?? r.id)}#${String(r.position ?? '').padStart(4, '0')}`;
  return rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

describe('transform workers (--workers)', () => {
  it('write the same rows, counts, rejects and drift as the main thread, whatever the number of workers', async () => {
    const single = await executeExport(settings('w0', 0), silentLogger, new AbortController().signal);
    const m0 = published(single).result.manifest;
    expect(m0.counts).toMatchObject({ read: 3004, written: 3001, rejected: 3, drifted_users: 1 });
    for (const workers of [2, 3]) {
      const name = `w${workers}`;
      const out = await executeExport(settings(name, workers), silentLogger, new AbortController().signal);
      const m = published(out).result.manifest;
      expect(m.counts).toEqual(m0.counts);
      expect(m.drift).toEqual(m0.drift);
      // Each worker writes its own parts: worker w of n numbers them w, w + n, …
      const parts = m.files.filter((f) => f.table === 'users' && f.format === 'parquet').map((f) => f.part);
      expect(parts).toEqual([...Array(workers).keys()]);
      for (const t of ALL_TABLES) {
        for (const format of ['parquet', 'csv', 'ndjson'] as const) {
          const a = await tableRows(path.join(dir, 'w0'), m0, t.name, format);
          const b = await tableRows(path.join(dir, name), m, t.name, format);
          expect(b.length, `${t.name} ${format}`).toBe(m0.counts.rows[t.name]);
          expect(b, `${t.name} ${format}`).toEqual(a);
        }
      }
      // Rejects: the same records, in input order, in one file written by the main thread.
      const rejects = (root: string, mm: Manifest) => readNdjson(path.join(root, mm.files.find((f) => f.table === '_rejects')!.path));
      const r = rejects(path.join(dir, name), m);
      expect(r).toEqual(rejects(path.join(dir, 'w0'), m0));
      expect(r.map((x) => [x.source, x.id])).toEqual([
        ['line 902', 'user_invalid'],
        ['line 1703', null],
        ['line 2504', users[3]!.id],
      ]);
      expect(String(r[2]!.reason)).toContain('duplicate id');
      // raw: every parsed record once (duplicates and broken JSON excluded).
      const raw = m.files.filter((f) => f.table === 'raw_users').flatMap((f) => readFileSync(path.join(dir, name, f.path), 'utf8').split('\n').filter(Boolean));
      expect(raw.sort()).toEqual(lines.filter((l, i) => i !== 2503 && i !== 1702).sort());
      // Manifest entries match the files on disk.
      for (const f of m.files) expect(readFileSync(path.join(dir, name, f.path)).length, f.path).toBe(f.bytes);
    }
  });

  it('from the Clerk API (with faults): the same rows as the main thread; --workers auto stays in the main thread below 20,000 users', async () => {
    const emulator = await startEmulator({ users: users.slice(0, 2500), faults: { rate429: 0.05, rate5xx: 0.05, rateReset: 0.03, seed: 5, retryAfterSeconds: 0 } });
    try {
      const api = (name: string, workers: number | 'auto'): ExportSettings => ({
        ...settings(name, 0),
        from: undefined,
        apiUrl: emulator.url,
        secretKey: emulator.secretKey,
        concurrency: 3,
        formats: ['parquet', 'csv'],
        workers,
      });
      const m0 = published(await executeExport(api('api0', 0), silentLogger, new AbortController().signal)).result.manifest;
      const m2 = published(await executeExport(api('api2', 2), silentLogger, new AbortController().signal)).result.manifest;
      const mAuto = published(await executeExport(api('apiAuto', 'auto'), silentLogger, new AbortController().signal)).result.manifest;
      expect(m0.counts).toMatchObject({ read: 2500, written: 2500, rejected: 0 });
      expect(m0.clerk!.retries).toBeGreaterThan(0);
      expect(m2.counts).toEqual(m0.counts);
      expect(m2.files.filter((f) => f.table === 'users').map((f) => f.part)).toEqual([0, 1, 0, 1]);
      expect(mAuto.files.filter((f) => f.table === 'users').map((f) => f.part)).toEqual([0, 0]);
      for (const t of ALL_TABLES) {
        for (const format of ['parquet', 'csv'] as const) {
          expect(await tableRows(path.join(dir, 'api2'), m2, t.name, format), `${t.name} ${format}`).toEqual(await tableRows(path.join(dir, 'api0'), m0, t.name, format));
        }
      }
    } finally {
      await emulator.close();
    }
  });

  it('a PII policy applies in the workers exactly as in the main thread (hashed with the same key, dropped tables absent)', async () => {
    process.env.CLERK_ETL_HASH_KEY = 'parallel-test-key-0123456789abcdef';
    try {
      const pii = { preset: 'analytics' as const, columns: { 'users.first_name': 'mask' as const }, dropTables: ['user_passkeys'] };
      const a = published(await executeExport(settings('pii0', 0, { formats: ['parquet', 'csv'], pii }), silentLogger, new AbortController().signal)).result.manifest;
      const b = published(await executeExport(settings('pii2', 2, { formats: ['parquet', 'csv'], pii }), silentLogger, new AbortController().signal)).result.manifest;
      expect(b.pii).toEqual(a.pii);
      expect(b.files.some((f) => f.table === 'user_passkeys')).toBe(false);
      for (const t of ALL_TABLES.filter((x) => x.name !== 'user_passkeys')) {
        for (const format of ['parquet', 'csv'] as const) {
          expect(await tableRows(path.join(dir, 'pii2'), b, t.name, format), `${t.name} ${format}`).toEqual(await tableRows(path.join(dir, 'pii0'), a, t.name, format));
        }
      }
      const users = await tableRows(path.join(dir, 'pii2'), b, 'users', 'parquet');
      expect((users as Array<Record<string, unknown>>).some((u) => typeof u.primary_email_address === 'string' && u.primary_email_address.includes('@'))).toBe(false);
    } finally {
      delete process.env.CLERK_ETL_HASH_KEY;
    }
  });

  it('rolling files with workers: every part number used once, rows add up, gzip parts too', async () => {
    const out = await executeExport(settings('roll', 2, { formats: ['parquet', 'csv'], maxRowsPerFile: 400, compress: 'gzip' }), silentLogger, new AbortController().signal);
    const m = published(out).result.manifest;
    for (const format of ['parquet', 'csv'] as const) {
      const parts = m.files.filter((f) => f.table === 'users' && f.format === format);
      expect(new Set(parts.map((f) => f.part)).size).toBe(parts.length);
      expect(new Set(parts.map((f) => f.path)).size).toBe(parts.length);
      expect(parts.length).toBeGreaterThanOrEqual(Math.ceil(3001 / 400));
      expect(parts.reduce((n, f) => n + f.rows, 0)).toBe(3001);
      for (const f of parts) expect(f.rows).toBeLessThanOrEqual(400);
    }
  });

  it('a JSON array and a gzipped NDJSON file go through the workers with the same result', async () => {
    const arrayFile = path.join(dir, 'users.json');
    writeFileSync(arrayFile, '[' + users.slice(0, 1500).map((u) => JSON.stringify(u)).join(',\n') + ']');
    const gzFile = path.join(dir, 'users.ndjson.gz');
    writeFileSync(gzFile, gzipSync(readFileSync(input)));
    const run = async (name: string, from: string, workers: number) =>
      published(await executeExport(settings(name, workers, { from, formats: ['parquet'] }), silentLogger, new AbortController().signal)).result.manifest;
    const a0 = await run('arr0', arrayFile, 0);
    const a2 = await run('arr2', arrayFile, 2);
    expect(a0.counts).toMatchObject({ read: 1500, written: 1500 });
    expect(a2.counts).toEqual(a0.counts);
    expect(a2.files.filter((f) => f.table === 'users').length).toBe(2);
    expect(await tableRows(path.join(dir, 'arr2'), a2, 'user_email_addresses', 'parquet')).toEqual(await tableRows(path.join(dir, 'arr0'), a0, 'user_email_addresses', 'parquet'));
    const g2 = await run('gz2', gzFile, 2);
    expect(g2.counts).toMatchObject({ read: 3004, written: 3001, rejected: 3 });
    expect(g2.files.filter((f) => f.table === 'users').length).toBe(2);
  });

  it('--workers auto keeps a small file in the main thread: one part per table', async () => {
    const out = await executeExport(settings('auto', 0, { workers: 'auto' }), silentLogger, new AbortController().signal);
    const parts = published(out).result.manifest.files.filter((f) => f.table === 'users').map((f) => f.part);
    expect(parts).toEqual([0, 0, 0]);
  });

  it('a destination that fails mid-run fails the run: the error is named, workers stop, nothing is published', async () => {
    const root = path.join(dir, 'failing');
    const real = await openDestination(root, 'run-fail');
    let written = 0;
    const failing: Destination = Object.assign(Object.create(Object.getPrototypeOf(real)) as Destination, real, {
      createFile(rel: string, o?: Parameters<Destination['createFile']>[1]): OutputFile {
        const f = real.createFile(rel, o);
        return {
          path: f.path,
          get bytes() {
            return f.bytes;
          },
          write: async (chunk: Uint8Array | string) => {
            written += typeof chunk === 'string' ? chunk.length : chunk.byteLength;
            if (written > 2_000_000) throw new EtlError('SINK_WRITE', `Could not write ${rel}: no space left on the device.`);
            await f.write(chunk);
          },
          close: () => f.close(),
        };
      },
    });
    const run = runExport({
      source: new FileSource(input),
      destination: failing,
      formats: ['parquet', 'csv'],
      runId: 'run-fail',
      startedAt: RUN_AT,
      signal: new AbortController().signal,
      log: silentLogger,
      workers: 2,
    });
    await expect(run).rejects.toMatchObject({ code: 'SINK_WRITE', message: expect.stringContaining('no space left') });
    expect(existsSync(path.join(root, '_manifests'))).toBe(false);
    expect(existsSync(root) ? readdirSync(root).filter((x) => x !== '_staging') : []).toEqual([]);
  });

  it('an abort stops the workers: ABORTED, nothing published', async () => {
    const root = path.join(dir, 'aborted');
    const ac = new AbortController();
    let batches = 0;
    const run = runExport({
      source: new FileSource(input),
      destination: await openDestination(root, 'run-abort'),
      formats: ['parquet'],
      runId: 'run-abort',
      startedAt: RUN_AT,
      signal: ac.signal,
      log: silentLogger,
      workers: 2,
      onProgress: () => {
        if (++batches === 2) ac.abort(new Error('SIGTERM'));
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
    expect(existsSync(path.join(root, '_manifests'))).toBe(false);
    expect(existsSync(root) ? readdirSync(root).filter((x) => x !== '_staging') : []).toEqual([]);
  });
});
