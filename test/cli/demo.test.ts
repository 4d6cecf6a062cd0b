import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { readParquet } from '../helpers/read-back.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const demo = (args: string[]) => runCli(['demo', '--users', '120', ...args], { cwd: dir });

describe('clerk-etl demo', () => {
  it('run twice: the second replaces the first, so the suggested query counts the users once', async () => {
    const out = path.join(dir, 'clerk-etl-demo');
    for (let i = 0; i < 2; i++) {
      const r = await demo([]);
      expect(r.code, r.stderr).toBe(0);
    }
    expect(readdirSync(path.join(out, '_manifests'))).toHaveLength(1);
    // what `SELECT count(*) FROM '<to>/users/*/*.parquet'` reads
    let rows = 0;
    for (const dt of readdirSync(path.join(out, 'users'))) for (const f of readdirSync(path.join(out, 'users', dt))) rows += (await readParquet(path.join(out, 'users', dt, f))).length;
    expect(rows).toBe(120);
    expect(existsSync(path.join(out, '.clerk-etl-demo'))).toBe(true);
  });

  it('a non-empty folder the demo did not write is refused (exit 2) and left as it was; the current folder too', async () => {
    const other = path.join(dir, 'my-data');
    mkdirSync(other);
    writeFileSync(path.join(other, 'precious.txt'), 'keep me');
    const r = await demo(['--to', other]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not written by the demo');
    expect(readdirSync(other)).toEqual(['precious.txt']);
    expect(readFileSync(path.join(other, 'precious.txt'), 'utf8')).toBe('keep me');
    const here = await demo(['--to', '.']);
    expect(here.code).toBe(2);
    expect(here.stderr).toContain('cannot be the current folder');
    expect(existsSync(path.join(dir, '.clerk-etl-demo'))).toBe(false); // nothing written to the current folder
  });
});
