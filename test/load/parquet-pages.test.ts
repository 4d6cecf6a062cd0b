import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createTableWriter, type ParquetCodec } from '../../src/load/formats.js';
import { LocalDestination } from '../../src/load/local-destination.js';
import type { TableSchema } from '../../src/model/schema.js';
import { readParquet } from '../helpers/read-back.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-pages-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A table with one column of every kind the tool writes, nullable and required.
const TABLE: TableSchema = {
  name: 'users',
  description: 'test',
  columns: [
    { name: 'id', type: 'string', nullable: false, description: '' },
    { name: 'user_id', type: 'string', nullable: true, description: '' },
    { name: 'text', type: 'string', nullable: true, description: '' },
    { name: 'doc', type: 'json', nullable: true, description: '' },
    { name: 'n', type: 'int64', nullable: true, description: '' },
    { name: 'at', type: 'timestamp', nullable: true, description: '' },
    { name: 'ok', type: 'boolean', nullable: true, description: '' },
    { name: 'req_at', type: 'timestamp', nullable: false, description: '' },
  ],
};

let fileNo = 0;
async function write(rows: unknown[][], opts: { rowGroupSize?: number; codec?: ParquetCodec } = {}): Promise<string> {
  const name = `t${fileNo++}`;
  const dest = new LocalDestination(path.join(dir, name), 'run');
  const w = createTableWriter('parquet', TABLE, dest.createFile('t.parquet'), { rowGroupSize: opts.rowGroupSize ?? 1000, codec: opts.codec });
  for (let i = 0; i < rows.length; i += 97) await w.writeRows(rows.slice(i, i + 97));
  await w.finish();
  await dest.publish();
  return path.join(dir, name, 't.parquet');
}

/** The rows as readers give them back: timestamps as Dates, int64 as bigint. */
function expected(rows: unknown[][]): Array<Record<string, unknown>> {
  return rows.map((r) => ({
    id: r[0],
    user_id: r[1],
    text: r[2],
    doc: r[3],
    n: r[4] === null ? null : BigInt(r[4] as number),
    at: r[5] === null ? null : new Date(r[5] as number),
    ok: r[6],
    req_at: new Date(r[7] as number),
  }));
}

const row = fc.tuple(
  fc.stringMatching(/^user_[0-9A-Za-z]{4,27}$/),
  fc.option(fc.stringMatching(/^[a-z_]{0,12}$/), { nil: null, freq: 3 }),
  fc.option(fc.string({ unit: 'grapheme', maxLength: 30 }), { nil: null }),
  fc.option(fc.json({ maxDepth: 2 }), { nil: null }),
  fc.option(fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), { nil: null }),
  fc.option(fc.integer({ min: -8.64e15, max: 8.64e15 }), { nil: null }),
  fc.option(fc.boolean(), { nil: null }),
  fc.integer({ min: 0, max: 2 ** 45 }),
);

describe('Parquet column chunks (parquet-pages.ts)', () => {
  it('any values and null patterns read back exactly with hyparquet, over row groups, snappy or uncompressed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 400 }), fc.integer({ min: 1, max: 150 }), fc.constantFrom<ParquetCodec>('snappy', 'uncompressed'), async (rows, rowGroupSize, codec) => {
        const p = await write(rows, { rowGroupSize, codec });
        expect(await readParquet(p)).toEqual(expected(rows));
      }),
      { numRuns: 40 },
    );
  });

  it('null runs of every length around the RLE/bit-packing threshold, and pages over 1 MiB, read back with hyparquet and DuckDB', async () => {
    const rows: unknown[][] = [];
    // Null patterns: runs of 1..20 alternating, long runs, then a 2.5 MB stretch that spans pages.
    let k = 0;
    for (let run = 1; run <= 20; run++) for (let rep = 0; rep < 3; rep++) for (let j = 0; j < run; j++) rows.push(makeRow(k++, rep % 2 === 0));
    for (let j = 0; j < 1000; j++) rows.push(makeRow(k++, j % 3 !== 0));
    for (let j = 0; j < 50; j++) rows.push(makeRow(k++, true, 'é'.repeat(25_000)));
    const p = await write(rows, { rowGroupSize: 100_000 });
    expect(await readParquet(p)).toEqual(expected(rows));
    // hyparquet reads snappy only: gzip and brotli files are checked with DuckDB.
    const gz = await write(rows, { rowGroupSize: 300, codec: 'gzip' });
    const br = await write(rows, { rowGroupSize: 300, codec: 'brotli' });

    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    try {
      const count = await db.runAndReadAll(`SELECT count(*)::INTEGER AS c, count(text)::INTEGER AS t, count(n)::INTEGER AS n, sum(length(text))::BIGINT AS len FROM '${p}'`);
      const [c] = count.getRowObjects();
      const want = { c: rows.length, t: rows.filter((r) => r[2] !== null).length, n: rows.filter((r) => r[4] !== null).length, len: BigInt(rows.reduce((s, r) => s + ((r[2] as string | null)?.length ?? 0), 0)) };
      expect(c).toEqual(want);
      for (const f of [gz, br]) {
        const [x] = (await db.runAndReadAll(`SELECT count(*)::INTEGER AS c, count(text)::INTEGER AS t, count(n)::INTEGER AS n, sum(length(text))::BIGINT AS len FROM '${f}'`)).getRowObjects();
        expect(x).toEqual(want);
        const [same] = (await db.runAndReadAll(`SELECT count(*)::INTEGER AS d FROM (SELECT * FROM '${f}' EXCEPT SELECT * FROM '${p}')`)).getRowObjects();
        expect(same!.d).toBe(0);
      }
      // Statistics: DuckDB prunes row groups with them, so a wrong min/max would lose rows here.
      for (const r of [rows[0]!, rows[777]!, rows[rows.length - 1]!]) {
        const hit = await db.runAndReadAll(`SELECT count(*)::INTEGER AS c FROM '${p}' WHERE id = '${r[0] as string}' AND req_at = epoch_ms(${r[7] as number})`);
        expect(hit.getRowObjects()[0]!.c).toBe(1);
      }
    } finally {
      db.closeSync();
    }
  });

  it('min/max statistics equal the data (unsigned byte order for text), null counts are exact', async () => {
    const ids = ['user_b', 'user_a', 'user_é', 'user_Z', 'user_~', 'user_😀'];
    const rows = ids.map((id, i) => [id, i % 2 ? null : `u${i}`, null, null, i === 3 ? null : i * 10 - 25, 1_700_000_000_000 + i, i % 3 === 0, i]);
    const p = await write(rows);
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    try {
      const md = (await db.runAndReadAll(`SELECT path_in_schema AS col, stats_min_value AS mn, stats_max_value AS mx, stats_null_count::INTEGER AS nulls FROM parquet_metadata('${p}')`)).getRowObjects();
      const by = Object.fromEntries(md.map((m) => [String(m.col), m]));
      const sortedBytes = [...ids].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      expect(by.id).toMatchObject({ mn: sortedBytes[0], mx: sortedBytes.at(-1), nulls: 0 });
      expect(by.n).toMatchObject({ mn: '-25', mx: '25', nulls: 1 });
      expect(by.user_id).toMatchObject({ mn: 'u0', mx: 'u4', nulls: 3 });
      expect(by.ok).toMatchObject({ mn: 'false', mx: 'true', nulls: 0 });
      // Free text carries no statistics (wantsStatistics).
      expect(by.text!.mn).toBeNull();
    } finally {
      db.closeSync();
    }
  });

  it('a null in a required column is an error naming the column, not a corrupt file', async () => {
    await expect(write([['user_1', null, null, null, null, null, null, null]])).rejects.toThrow(/required column req_at/);
  });
});

function makeRow(k: number, withValues: boolean, text?: string): unknown[] {
  return [
    `user_${String(k).padStart(6, '0')}`,
    withValues ? `org_${k % 7}` : null,
    withValues ? (text ?? `name ${k} ✓`) : null,
    withValues ? JSON.stringify({ k }) : null,
    withValues ? k * 1_000_003 - 5e9 : null,
    withValues ? 1_600_000_000_000 + k : null,
    withValues ? k % 2 === 0 : null,
    1_700_000_000_000 + k,
  ];
}
