import Papa from 'papaparse';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalDestination } from '../../src/load/local-destination.js';
import { createTableWriter } from '../../src/load/formats.js';
import { emptyRows, flattenUser } from '../../src/transform/flatten-user.js';
import { tableSchema } from '../../src/model/schema.js';
import { exampleUsers } from '../helpers/examples.js';
import { readCsv, readNdjson, readParquet } from '../helpers/read-back.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-formats-'));
afterAll(() => { if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true }); });

const NASTY = ['Zoë "the, great"', 'line1\nline2', 'cr\r\nlf', ' padded ', '', '=1+2', '李小龙 😀', 'مرحبا'];

function usersWithNames() {
  const base = exampleUsers()[1]!;
  return NASTY.map((name, i) => ({ ...structuredClone(base), id: `user_${i}`, first_name: name, last_name: i % 2 ? null : 'x,y', created_at: 1716883200000 + i }));
}

async function writeAll(format: 'csv' | 'ndjson' | 'parquet') {
  const dest = new LocalDestination(path.join(dir, format), 'run1');
  const rows = emptyRows();
  for (const u of usersWithNames()) flattenUser(u, { runId: 'run1', extractedAt: 1_700_000_000_000 }, rows);
  const file = dest.createFile(`users/x.${format}`);
  const w = createTableWriter(format, tableSchema('users'), file, { rowGroupSize: 3 });
  await w.writeRows(rows.get('users')!.slice(0, 5));
  await w.writeRows(rows.get('users')!.slice(5));
  const written = await w.finish();
  await dest.publish();
  return { written, path: path.join(dir, format, written.path) };
}

describe('table writers round-trip values exactly', () => {
  it('CSV: quotes, commas, CR/LF and unicode survive papaparse; null is empty, "" stays ""; timestamps are ISO-8601 UTC', async () => {
    const { written, path: p } = await writeAll('csv');
    const text = readFileSync(p, 'utf8');
    expect(text.startsWith('id,object,external_id,')).toBe(true);
    expect(text).toContain(',"",'); // the empty first name, quoted
    const rows = readCsv(p);
    // formula-like text is neutralised with a leading ' (OWASP); everything else is exact
    expect(rows.map((r) => r.first_name)).toEqual(NASTY.map((n) => (n === '=1+2' ? "'=1+2" : n)));
    expect(rows.map((r) => r.last_name)).toEqual(NASTY.map((_, i) => (i % 2 ? '' : 'x,y')));
    expect(rows[0]!.created_at).toBe('2024-05-28T08:00:00.000Z');
    expect(rows[0]!.has_image).toBe('true');
    expect(rows[0]!.backup_code_enabled).toBe('false');
    expect(rows[0]!.public_metadata).toBe('{"department":"engineering"}');
    expect(written.sha256).toBe(createHash('sha256').update(readFileSync(p)).digest('hex'));
    expect(written.bytes).toBe(readFileSync(p).length);
  });

  it('Parquet: typed columns, nulls, row groups, read back by hyparquet', async () => {
    const { path: p } = await writeAll('parquet');
    const rows = await readParquet(p);
    expect(rows).toHaveLength(NASTY.length);
    expect(rows.map((r) => r.first_name)).toEqual(NASTY);
    expect(rows[1]!.last_name).toBeNull();
    expect(rows[0]!.created_at).toEqual(new Date('2024-05-28T08:00:00.000Z'));
    expect(rows[0]!.has_image).toBe(true);
    expect(rows[0]!.mfa_disabled_at).toBeNull();
    expect(rows[0]!.public_metadata).toBe('{"department":"engineering"}');
    expect(rows[0]!._extracted_at).toEqual(new Date(1_700_000_000_000));
  });

  it('NDJSON: one object per row keyed by column name', async () => {
    const { path: p } = await writeAll('ndjson');
    const rows = readNdjson(p);
    expect(rows.map((r) => r.first_name)).toEqual(NASTY);
    expect(rows[0]!.created_at).toBe('2024-05-28T08:00:00.000Z');
    expect(rows[1]!.last_name).toBeNull();
  });
});

describe('gzip files', () => {
  it('gzip output is one gzip stream that gunzips to the plain bytes; size and sha256 are of the stored file', async () => {
    const { gzipFile } = await import('../../src/load/gzip-file.js');
    const { gunzipSync } = await import('node:zlib');
    const dest = new LocalDestination(path.join(dir, 'gz'), 'run1');
    const file = gzipFile(dest.createFile('t/x.csv.gz'));
    const chunks = Array.from({ length: 200 }, (_, i) => `row ${i},Zoë 😀,"a,b"\r\n`.repeat(50));
    for (const c of chunks) await file.write(c);
    const written = await file.close();
    await dest.publish();
    const stored = readFileSync(path.join(dir, 'gz', 't/x.csv.gz'));
    expect(written.bytes).toBe(stored.length);
    expect(written.sha256).toBe(createHash('sha256').update(stored).digest('hex'));
    expect(gunzipSync(stored).toString('utf8')).toBe(chunks.join(''));
    expect(stored.length).toBeLessThan(chunks.join('').length / 5);
  });
});

describe('text forms', () => {
  it('isoTimestamp equals Date#toISOString for any timestamp in the Date range, fast path or not', async () => {
    const { isoTimestamp } = await import('../../src/load/formats.js');
    const fc = (await import('fast-check')).default;
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -8.64e15, max: 8.64e15 }), fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.double({ min: -8.64e15, max: 8.64e15, noNaN: true })), (ms) => {
        expect(isoTimestamp(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 20_000 },
    );
    expect(isoTimestamp(null)).toBeNull();
  });

  it('csvText: papaparse reads back any text exactly; the empty string is "" and only what needs quotes is quoted', async () => {
    const { csvText } = await import('../../src/load/formats.js');
    const fc = (await import('fast-check')).default;
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 20 }), { minLength: 1, maxLength: 5 }), (cells) => {
        const parsed = Papa.parse<string[]>(cells.map(csvText).join(',') + '\r\n', { newline: '\r\n', delimiter: ',' });
        expect(parsed.data[0]).toEqual(cells);
      }),
      { numRuns: 5_000 },
    );
    expect(csvText('')).toBe('""');
    expect(csvText('plain text')).toBe('plain text');
    expect(csvText(' lead')).toBe('" lead"');
    expect(csvText('a "q", b')).toBe('"a ""q"", b"');
  });
});
