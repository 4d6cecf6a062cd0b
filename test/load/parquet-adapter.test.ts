import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { ParquetFile, type ParquetSchemaElement } from '../../src/load/parquet-adapter.js';
import { writeFlatColumn, type FlatColumn } from '../../src/load/parquet-pages.js';

/**
 * The contract src/load/parquet-adapter.ts holds with hyparquet-writer (docs/dependencies.md,
 * "hyparquet-writer: the adapter"): the internal members it fills or drains exist and behave as it
 * expects, and a file written through it is read back by an independent reader (hyparquet). An
 * upgrade of hyparquet-writer that changes any of this fails here, not in a user's export.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const readJson = (file: string): Record<string, unknown> => JSON.parse(readFileSync(path.join(root, file), 'utf8')) as Record<string, unknown>;

const MAGIC = [0x50, 0x41, 0x52, 0x31]; // PAR1

describe('hyparquet-writer: what the adapter relies on', () => {
  it('is pinned to an exact version, the one installed', () => {
    const wanted = (readJson('package.json').dependencies as Record<string, string>)['hyparquet-writer'];
    expect(wanted).toMatch(/^\d+\.\d+\.\d+$/);
    expect(readJson('node_modules/hyparquet-writer/package.json').version).toBe(wanted);
  });

  it('is imported by no module of src/ but the adapter', () => {
    const files = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(path.join(dir, n)).isDirectory() ? files(path.join(dir, n)) : [path.join(dir, n)]));
    const importers = files(path.join(root, 'src')).filter((f) => /from ['"]hyparquet-writer['"]/.test(readFileSync(f, 'utf8')));
    expect(importers.map((f) => path.relative(root, f))).toEqual([path.join('src', 'load', 'parquet-adapter.ts')]);
  });

  it('ByteWriter: buffer (an ArrayBuffer) holds the bytes up to index; offset counts every byte; index is only reset by its owner', () => {
    const w = new ByteWriter(4);
    expect(w.buffer).toBeInstanceOf(ArrayBuffer);
    expect([w.index, w.offset]).toEqual([0, 0]);
    w.appendBytes(new Uint8Array([1, 2, 3, 4, 5, 6]));
    expect([w.index, w.offset]).toEqual([6, 6]);
    expect([...new Uint8Array(w.buffer.slice(0, w.index))]).toEqual([1, 2, 3, 4, 5, 6]);
    w.index = 0; // what the adapter does after handing the bytes on
    w.appendBytes(new Uint8Array([7]));
    expect([w.index, w.offset]).toEqual([1, 7]);
    expect(new Uint8Array(w.buffer)[0]).toBe(7);
  });

  it('ParquetWriter: writes the magic at construction, starts with empty row_groups and num_rows 0n, brings SNAPPY, keeps other compressors', () => {
    const w = new ByteWriter();
    const gzip = (b: Uint8Array): Uint8Array => b;
    const pw = new ParquetWriter({ writer: w, schema: [{ name: 'root', num_children: 0 }], compressors: { GZIP: gzip } });
    expect([...new Uint8Array(w.buffer.slice(0, w.index))]).toEqual(MAGIC);
    expect(pw.row_groups).toEqual([]);
    expect(pw.num_rows).toBe(0n);
    expect(typeof pw.compressors.SNAPPY).toBe('function');
    expect(pw.compressors.GZIP).toBe(gzip);
    // finish() writes the footer from the members the adapter fills, and nothing it would not know of.
    expect(pw.pendingIndexes).toEqual([]);
  });
});

describe('ParquetFile', () => {
  const schema: ParquetSchemaElement[] = [
    { name: 'root', num_children: 3 },
    { name: 'id', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
    { name: 'n', type: 'INT64', repetition_type: 'OPTIONAL' },
    { name: 'ok', type: 'BOOLEAN', repetition_type: 'OPTIONAL' },
  ];
  const columns: FlatColumn[] = [
    { name: 'id', type: 'string', nullable: false, statistics: true },
    { name: 'n', type: 'int64', nullable: true, statistics: true },
    { name: 'ok', type: 'boolean', nullable: true, statistics: false },
  ];

  /** Write `groups` (each a list of [id, n, ok] rows) through the adapter; the chunks handed on, in order. */
  async function write(groups: unknown[][][], codec: 'SNAPPY' | 'UNCOMPRESSED'): Promise<{ chunks: Uint8Array[]; file: ArrayBuffer }> {
    const chunks: Uint8Array[] = [];
    const pf = new ParquetFile(async (c) => void chunks.push(c), { schema, codec, compressors: {}, createdBy: 'clerk-etl test' });
    for (const rows of groups) {
      const start = pf.out.offset;
      const metas = columns.map((c, i) => writeFlatColumn(pf.out, c, rows.map((r) => r[i]), codec, pf.compressor(codec)));
      const before = chunks.length;
      await pf.addRowGroup(metas, rows.length, start);
      // Each row group is handed on as soon as it is recorded: no file is held whole in memory.
      expect(chunks.length).toBe(before + 1);
    }
    await pf.finish();
    const all = Buffer.concat(chunks);
    return { chunks, file: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) };
  }

  for (const codec of ['SNAPPY', 'UNCOMPRESSED'] as const) {
    it(`${codec}: a file written through it is read back by hyparquet, row group by row group`, async () => {
      const g1 = [
        ['user_a', 1, true],
        ['user_b', null, false],
      ];
      const g2 = [['user_c', -5, null]];
      const { chunks, file } = await write([g1, g2], codec);
      expect([...chunks[0]!.subarray(0, 4)]).toEqual(MAGIC);
      expect([...new Uint8Array(file).subarray(-4)]).toEqual(MAGIC);
      const meta = parquetMetadata(file);
      expect(meta.created_by).toBe('clerk-etl test');
      expect(meta.num_rows).toBe(3n);
      expect(meta.row_groups.map((g) => g.num_rows)).toEqual([2n, 1n]);
      expect(meta.row_groups[0]!.columns[0]!.meta_data?.codec).toBe(codec);
      expect(meta.row_groups[0]!.columns[0]!.meta_data?.statistics).toMatchObject({ min_value: 'user_a', max_value: 'user_b' });
      const rows = await parquetReadObjects({ file });
      expect(rows).toEqual([
        { id: 'user_a', n: 1n, ok: true },
        { id: 'user_b', n: null, ok: false },
        { id: 'user_c', n: -5n, ok: null },
      ]);
    });
  }

  it('refuses a codec it has no compressor for, rather than writing chunks it cannot compress', () => {
    expect(() => new ParquetFile(async () => undefined, { schema, codec: 'ZSTD', compressors: {}, createdBy: 'x' })).toThrow(/no compressor for codec ZSTD/);
  });
});
