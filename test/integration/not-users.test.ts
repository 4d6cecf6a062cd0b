import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../src/cli/exit-codes.js';
import { executeExport, type ExportSettings } from '../../src/pipeline/export.js';
import { executeImport } from '../../src/pipeline/import.js';
import { generateUsers } from '../../src/emulator/generate.js';
import { EtlError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { published } from '../helpers/export-run.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-not-users-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// Clerk's dashboard "Export users" CSV layout (a sample with fake users; its first line is a # comment).
const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'clerk');

function settings(from: string, name: string, extra: Partial<ExportSettings> = {}): ExportSettings {
  return { from, to: path.join(dir, name), formats: ['ndjson'], inputFormat: 'auto', apiUrl: 'unused', concurrency: 1, progress: false, workers: 0, ...extra };
}

/** The export fails with a clear INPUT_INVALID (exit 1, a message, no stack trace) and publishes nothing. */
async function expectRefused(s: ExportSettings, message: RegExp): Promise<void> {
  const err: unknown = await executeExport(s, silentLogger, new AbortController().signal).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EtlError);
  expect((err as EtlError).code).toBe('INPUT_INVALID');
  expect((err as EtlError).message).toMatch(message);
  expect(exitCodeFor(err)).toBe(1);
  expect(existsSync(path.join(s.to, '_manifests'))).toBe(false);
  // The run made --to; failing, it leaves nothing there, not even the empty folder.
  expect(existsSync(s.to)).toBe(false);
}

describe('inputs that are not users publish nothing', () => {
  it('an empty --from file fails, naming the file and --allow-empty; with --allow-empty it publishes', async () => {
    const file = path.join(dir, 'empty.ndjson');
    writeFileSync(file, '\n\n');
    await expectRefused(settings(file, 'empty'), /empty\.ndjson holds no user record.*Nothing was published.*--allow-empty/);
    const json = path.join(dir, 'empty.json');
    writeFileSync(json, '[]');
    await expectRefused(settings(json, 'empty-array', { workers: 2 }), /empty\.json holds no user record/);
    const out = await executeExport(settings(file, 'empty-allowed', { allowEmpty: true }), silentLogger, new AbortController().signal);
    expect(out.status).toBe('published');
    expect(published(out).result.manifest.counts).toMatchObject({ read: 0, written: 0 });
  });

  it('a file whose records are all rejected fails, naming the first reason', async () => {
    const file = path.join(dir, 'bad.ndjson');
    writeFileSync(file, '{"id":"user_1","created_at":"yesterday"}\nnot json\n');
    await expectRefused(settings(file, 'bad'), /bad\.ndjson holds no valid user: 2 record\(s\) read, all rejected \(first: line 1 \(user_1\): .*--allow-empty/);
  });

  it('the dashboard CSV given to export --from fails with a hint to use clerk-etl import', async () => {
    const csv = path.join(dir, 'users.csv');
    copyFileSync(path.join(fixtures, 'dashboard-export-sample.csv'), csv);
    await expectRefused(settings(csv, 'csv'), /looks like a Clerk dashboard CSV export.*clerk-etl import --from .*users\.csv/);
    await expectRefused(settings(csv, 'csv-workers', { workers: 2 }), /looks like a Clerk dashboard CSV export/);
    const gz = path.join(dir, 'users.csv.gz');
    writeFileSync(gz, gzipSync(readFixture('dashboard-export-sample.csv')));
    await expectRefused(settings(gz, 'csv-gz'), /looks like a Clerk dashboard CSV export.*clerk-etl import --from .*users\.csv \(decompress it first\)/);
  });

  describe('a truncated .gz', () => {
    const text = generateUsers(300, { seed: 4 })
      .map((u) => JSON.stringify(u))
      .join('\n');
    const gz = gzipSync(text);
    const ndjson = path.join(dir, 'users.ndjson.gz');
    const array = path.join(dir, 'users.json.gz');
    const tiny = path.join(dir, 'tiny.ndjson.gz');
    writeFileSync(ndjson, gz.subarray(0, gz.length >> 1));
    const arrayGz = gzipSync(`[${text.split('\n').join(',')}]`);
    writeFileSync(array, arrayGz.subarray(0, arrayGz.length >> 1));
    // Cut inside the gzip header's first block: nothing decompresses at all.
    writeFileSync(tiny, gz.subarray(0, 12));
    const truncated = /Cannot read .*\.gz: unexpected end of file: the \.gz is truncated/;

    it('export fails with a clear error naming the file (NDJSON, JSON array, with and without workers)', async () => {
      await expectRefused(settings(ndjson, 'gz'), truncated);
      await expectRefused(settings(ndjson, 'gz-workers', { workers: 2 }), truncated);
      await expectRefused(settings(array, 'gz-array'), truncated);
      await expectRefused(settings(tiny, 'gz-tiny'), truncated);
    });

    it('import fails with the same clear error', async () => {
      const err: unknown = await executeImport(
        { from: ndjson, inputFormat: 'auto', reportDir: path.join(dir, 'report'), onConflict: 'skip', dryRun: true, apiUrl: 'http://127.0.0.1:9', concurrency: 1, externalId: 'source', progress: false },
        silentLogger,
        new AbortController().signal,
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(EtlError);
      expect((err as EtlError).message).toMatch(truncated);
      expect(exitCodeFor(err)).toBe(1);
    });
  });

  it('import of a file that does not exist: exit 2 naming it, and no report folder is made', async () => {
    const report = path.join(dir, 'report-missing');
    const err: unknown = await executeImport(
      { from: path.join(dir, 'missing.ndjson'), inputFormat: 'auto', reportDir: report, onConflict: 'skip', dryRun: true, apiUrl: 'http://127.0.0.1:9', concurrency: 1, externalId: 'source', progress: false },
      silentLogger,
      new AbortController().signal,
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as EtlError).message).toMatch(/Cannot read --from .*missing\.ndjson: no such file/);
    expect(exitCodeFor(err)).toBe(2);
    expect(existsSync(report)).toBe(false);
  });

  it('import of a file without a record fails (exit 1) naming the file, for NDJSON and a JSON array', async () => {
    for (const [name, text] of [['empty.ndjson', ''], ['empty.json', '[]\n']] as const) {
      const from = path.join(dir, `import-${name}`);
      writeFileSync(from, text);
      const err: unknown = await executeImport(
        { from, inputFormat: 'auto', reportDir: path.join(dir, `report-${name}`), onConflict: 'skip', dryRun: true, apiUrl: 'http://127.0.0.1:9', concurrency: 1, externalId: 'source', progress: false },
        silentLogger,
        new AbortController().signal,
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, name).toBeInstanceOf(EtlError);
      expect((err as EtlError).message).toMatch(new RegExp(`import-${name.replace('.', '\\.')} holds no record: nothing was imported`));
      expect(exitCodeFor(err)).toBe(1);
    }
  });
});

function readFixture(name: string): Buffer {
  return readFileSync(path.join(fixtures, name));
}
