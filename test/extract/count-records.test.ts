import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { generateUsers } from '../../src/emulator/generate.js';
import { countRecords } from '../../src/extract/count-records.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-count-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('countRecords (the import progress total)', () => {
  it('countRecords: NDJSON lines, JSON array elements (strings with brackets inside), gzip, dashboard CSV rows', async () => {
    const users = generateUsers(25, { seed: 68 });
    const nd = path.join(dir, 'count.ndjson');
    writeFileSync(nd, '\n' + users.map((u) => JSON.stringify(u)).join('\n') + '\n\n');
    expect(await countRecords(nd, 'raw')).toBe(25);
    const arr = path.join(dir, 'count.json');
    const tricky = users.map((u, i) => (i === 3 ? { ...u, first_name: 'a],[{"x":"\\"' } : u));
    writeFileSync(arr, ' [\n' + tricky.map((u) => JSON.stringify(u, null, 2)).join(',\n') + '\n]\n');
    expect(await countRecords(arr, 'raw')).toBe(25);
    writeFileSync(arr + '.gz', gzipSync(readFileSync(arr)));
    expect(await countRecords(arr + '.gz', 'raw')).toBe(25);
    const csv = path.join(dir, 'count.csv');
    writeFileSync(csv, 'id,first_name\r\n# a comment\r\nuser_1,A\r\n\r\nuser_2,B\r\nuser_3,C');
    expect(await countRecords(csv, 'clerk-csv')).toBe(3);
    expect(await countRecords(path.join(dir, 'missing.ndjson'), 'raw')).toBeUndefined();
  });
});
