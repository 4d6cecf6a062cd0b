import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-lib-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the package entry (package.json "main": dist/index.js)', () => {
  it('exists after the build and runs an export as a library', async () => {
    const lib = (await import(path.resolve('dist/index.js'))) as typeof import('../../src/index.js');
    const users = lib.generateUsers(25, { seed: 3 });
    const file = path.join(dir, 'u.ndjson');
    writeFileSync(file, users.map((u) => JSON.stringify(u)).join('\n') + '\n');
    const runId = lib.newRunId();
    const result = await lib.runExport({
      source: new lib.FileSource(file),
      destination: new lib.LocalDestination(path.join(dir, 'out'), runId),
      formats: ['parquet'],
      runId,
      startedAt: Date.now(),
      signal: new AbortController().signal,
      log: lib.silentLogger,
    });
    if (result.status !== 'published') throw new Error(`expected a published run, got ${result.status}`);
    expect(result.manifest.counts).toMatchObject({ read: 25, written: 25, rejected: 0 });
    expect(new lib.IdSet(users.map((u) => u.id)).size).toBe(25);
    expect(lib.ALL_TABLES.map((t) => t.name)).toContain('user_deletions');
  });
});
