import path from 'node:path';
import { readFileSync } from 'node:fs';
import Papa from 'papaparse';
import { parquetReadObjects } from 'hyparquet';

/** Read a CSV file written by clerk-etl back with papaparse: header row, all values as text. */
export function readCsv(file: string): Array<Record<string, string>> {
  const text = readFileSync(file, 'utf8');
  const parsed = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true, newline: '\r\n', delimiter: ',' });
  if (parsed.errors.length) throw new Error(`CSV errors in ${file}: ${JSON.stringify(parsed.errors.slice(0, 3))}`);
  return parsed.data;
}

/** Read a Parquet file back with hyparquet (an independent reader). */
export async function readParquet(file: string): Promise<Array<Record<string, unknown>>> {
  const buf = readFileSync(file);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  // hyparquet's default decoder drops a leading U+FEFF from strings; the bytes in the file keep it.
  const stringFromBytes = (b: Uint8Array | undefined) => (b ? new TextDecoder('utf-8', { ignoreBOM: true }).decode(b) : b);
  return (await parquetReadObjects({ file: ab, parsers: { stringFromBytes } as never })) as Array<Record<string, unknown>>;
}

export function readNdjson(file: string): Array<Record<string, unknown>> {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Every row of a table in one format, from all its parts (a run with transform workers has several). */
export async function readTable(root: string, manifest: { files: Array<{ table: string; format: string; path: string }> }, table: string, format: 'parquet' | 'csv' | 'ndjson'): Promise<Array<Record<string, unknown>>> {
  const rows: Array<Record<string, unknown>> = [];
  for (const f of manifest.files.filter((x) => x.table === table && x.format === format)) {
    const file = path.join(root, f.path);
    rows.push(...(format === 'parquet' ? await readParquet(file) : format === 'csv' ? readCsv(file) : readNdjson(file)));
  }
  return rows;
}
