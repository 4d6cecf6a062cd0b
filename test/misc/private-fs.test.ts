import { chmodSync, closeSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensurePrivateDir, openPrivate, writePrivateFile } from '../../src/private-fs.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-private-fs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

describe('private files and folders', () => {
  it('ensurePrivateDir creates the folder 0700 (its missing parents as mkdir -p would) and leaves an existing one as it is', () => {
    chmodSync(dir, 0o755);
    const deep = path.join(dir, 'a', 'b', 'c');
    expect(ensurePrivateDir(deep)).toBe(deep);
    expect(mode(deep)).toBe('700');
    expect(mode(dir)).toBe('755');
    expect(ensurePrivateDir(deep)).toBe(deep); // exists: fine
  });

  it('ensurePrivateDir fails at once, naming the folder, where mkdir -p would spin (/proc) or a file is in the way', () => {
    const file = path.join(dir, 'file');
    writeFileSync(file, 'x');
    expect(() => ensurePrivateDir(path.join(file, 'sub'))).toThrow(/ENOTDIR/);
    if (existsSync('/proc/self')) {
      const t0 = Date.now();
      expect(() => ensurePrivateDir('/proc/clerk-etl-no-such/x')).toThrow(/ENOENT.*\/proc\/clerk-etl-no-such/);
      expect(Date.now() - t0).toBeLessThan(1000);
    }
  });

  it('openPrivate and writePrivateFile create 0600 and narrow a world-readable file an older version left', () => {
    const f = path.join(dir, 'report.json');
    writePrivateFile(f, '{}');
    expect(mode(f)).toBe('600');
    chmodSync(f, 0o644);
    closeSync(openPrivate(f, 'a'));
    expect(mode(f)).toBe('600');
  });
});
