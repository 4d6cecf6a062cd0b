import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';
import { DEFAULT_PARQUET_BUFFER_BYTES } from '../model/defaults.js';
import { ParquetFile, type ParquetCompressors, type ParquetSchemaElement } from './parquet-adapter.js';
import { writeFlatColumn, type ChunkCodec, type Compressor, type FlatColumn } from './parquet-pages.js';
import type { Row } from '../model/records.js';
import type { Column, ColumnType, TableSchema } from '../model/schema.js';
import type { OutputFile, WrittenFile } from './destination.js';

/** Output formats. `raw` is the users exactly as received, one JSON object per line. */
export const FORMATS = ['parquet', 'csv', 'ndjson', 'raw'] as const;
export type FormatName = (typeof FORMATS)[number];

export const FORMAT_EXTENSIONS: Record<FormatName, string> = { parquet: 'parquet', csv: 'csv', ndjson: 'ndjson', raw: 'ndjson' };

/** Writes the rows of one table into one file of one format. */
export interface TableFileWriter {
  readonly rows: number;
  writeRows(rows: Row[]): Promise<void>;
  finish(): Promise<WrittenFile>;
  /** Bytes of values held in memory for the next row group (Parquet; about: string lengths + 8 per other value). */
  readonly bufferedBytes?: number;
  /** Write what is held now as a row group (Parquet). */
  flushBuffered?(): Promise<void>;
}

/** Options of the Parquet writer. */
export interface ParquetOptions {
  /**
   * Rows per row group. Memory held per open table file is about one row group of rows;
   * default 25,000 (docs/dependencies.md, "hyparquet-writer": 25–50k keeps RSS bounded).
   */
  rowGroupSize?: number;
  /**
   * A row group is also closed once its buffered values reach about this many bytes (string
   * lengths + 8 per other value), so users with large metadata cannot inflate memory. Default 32 MiB.
   */
  rowGroupBytes?: number;
  /** Compression codec. Default `snappy` (built into hyparquet-writer); gzip and brotli use node:zlib. */
  codec?: ParquetCodec;
}

/** Parquet codecs this tool writes. zstd and lz4 are left out: Node 20's zlib has neither. */
export const PARQUET_CODECS = ['snappy', 'gzip', 'brotli', 'uncompressed'] as const;
export type ParquetCodec = (typeof PARQUET_CODECS)[number];

const PARQUET_CODEC_NAMES: Record<ParquetCodec, ChunkCodec> = { snappy: 'SNAPPY', gzip: 'GZIP', brotli: 'BROTLI', uncompressed: 'UNCOMPRESSED' };
const PARQUET_COMPRESSORS: ParquetCompressors = {
  GZIP: (input: Uint8Array): Uint8Array => gzipSync(input),
  BROTLI: (input: Uint8Array): Uint8Array => brotliCompressSync(input, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5 } }),
};

/** Options of the CSV writer. */
export interface CsvOptions {
  /**
   * Neutralise cells a spreadsheet would run as a formula (OWASP "CSV injection"): a text cell
   * starting with `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'`. Only text and JSON
   * columns: numbers, booleans and timestamps the tool writes itself are never changed. Default true.
   */
  formulaEscape?: boolean;
}

const FORMULA_START = /^[=+\-@\t\r]/;

/** The OWASP neutralisation of one text cell. */
export function escapeFormula(v: string): string {
  return FORMULA_START.test(v) ? `'${v}` : v;
}

export function createTableWriter(format: Exclude<FormatName, 'raw'>, table: TableSchema, file: OutputFile, parquet: ParquetOptions = {}, csv: CsvOptions = {}): TableFileWriter {
  switch (format) {
    case 'csv':
      return new CsvTableWriter(table, file, csv.formulaEscape ?? true);
    case 'ndjson':
      return new NdjsonTableWriter(table, file);
    case 'parquet':
      return new ParquetTableWriter(table, file, parquet.rowGroupSize ?? 25_000, parquet.rowGroupBytes ?? DEFAULT_PARQUET_BUFFER_BYTES, parquet.codec ?? 'snappy');
  }
}

/** `YYYY-MM-DDT` of recent days (a day number → its text); cleared when it grows past 4,096 days. */
const dayPrefixes = new Map<number, string>();
const MS_PER_DAY = 86_400_000;

/**
 * ISO-8601 UTC text of a Unix-ms timestamp (`2024-05-28T08:00:00.000Z`, as Date#toISOString);
 * null stays null. The date part is cached per day and the time of day computed directly: a
 * Date object and toISOString per value were an eighth of a CSV export's time.
 */
export function isoTimestamp(ms: unknown): string | null {
  if (typeof ms !== 'number') return null;
  // Years 1970–9999 and whole milliseconds take the fast path; anything else is rare.
  if (!(ms >= 0 && ms < 253_402_300_800_000) || !Number.isInteger(ms)) return new Date(ms).toISOString();
  const day = Math.floor(ms / MS_PER_DAY);
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    if (dayPrefixes.size >= 4096) dayPrefixes.clear();
    prefix = new Date(day * MS_PER_DAY).toISOString().slice(0, 11);
    dayPrefixes.set(day, prefix);
  }
  let r = ms - day * MS_PER_DAY;
  const h = Math.floor(r / 3_600_000);
  r -= h * 3_600_000;
  const m = Math.floor(r / 60_000);
  r -= m * 60_000;
  const sec = Math.floor(r / 1000);
  const milli = r - sec * 1000;
  return `${prefix}${h < 10 ? '0' : ''}${h}:${m < 10 ? '0' : ''}${m}:${sec < 10 ? '0' : ''}${sec}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

/**
 * The text form of a value (CSV/NDJSON tables): timestamps as ISO-8601 UTC, JSON columns as their
 * JSON text, everything else as is.
 */
function textValue(type: ColumnType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (type === 'timestamp') return isoTimestamp(v);
  return v;
}

/** Papaparse's rule for when a cell needs quotes: CR, LF, a quote, a BOM, the comma, or a space at either end. */
const NEEDS_QUOTES = /[\r\n",\ufeff]|^ | $/;

/** One CSV cell of text: `""` for the empty string (not the empty cell of null), quoted when needed. */
export function csvText(s: string): string {
  if (s === '') return '""';
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * CSV (RFC 4180): header row, CRLF line ends, cells quoted by papaparse's rules (CR/LF, quotes,
 * commas, a BOM, leading/trailing spaces; quotes doubled). Null is an empty cell; an empty string is
 * written as `""` so the two stay distinguishable for readers that honour quoting (DuckDB, pandas
 * with keep_default_na). Serialised here rather than by Papa.unparse: its per-cell checks were a
 * fifth of a CSV export's time; papaparse still reads every file back in the tests.
 */
class CsvTableWriter implements TableFileWriter {
  rows = 0;
  private readonly types: ColumnType[];
  private readonly escape: boolean[];
  private headerWritten = false;
  constructor(
    private readonly table: TableSchema,
    private readonly file: OutputFile,
    formulaEscape: boolean,
  ) {
    this.types = table.columns.map((c) => c.type);
    this.escape = table.columns.map((c) => formulaEscape && (c.type === 'string' || c.type === 'json'));
  }

  private async header(): Promise<void> {
    if (this.headerWritten) return;
    this.headerWritten = true;
    await this.file.write(this.table.columns.map((c) => csvText(c.name)).join(',') + '\r\n');
  }

  async writeRows(rows: Row[]): Promise<void> {
    await this.header();
    if (rows.length === 0) return;
    const types = this.types;
    const escape = this.escape;
    const n = types.length;
    let text = '';
    for (const r of rows) {
      let line = '';
      for (let i = 0; i < n; i++) {
        if (i) line += ',';
        const v = r[i];
        if (v === null || v === undefined) continue;
        if (typeof v === 'string') line += csvText(escape[i] ? escapeFormula(v) : v);
        else if (types[i] === 'timestamp') line += isoTimestamp(v) ?? '';
        else line += csvText(String(v));
      }
      text += line + '\r\n';
    }
    this.rows += rows.length;
    await this.file.write(text);
  }

  async finish(): Promise<WrittenFile> {
    await this.header();
    return this.file.close();
  }
}

/** One JSON object per line, keyed by column name; timestamps as ISO-8601 UTC text. */
class NdjsonTableWriter implements TableFileWriter {
  rows = 0;
  private readonly columns: Column[];
  constructor(
    table: TableSchema,
    private readonly file: OutputFile,
  ) {
    this.columns = table.columns;
  }

  async writeRows(rows: Row[]): Promise<void> {
    if (rows.length === 0) return;
    const cols = this.columns;
    let text = '';
    for (const r of rows) {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < cols.length; i++) o[cols[i]!.name] = textValue(cols[i]!.type, r[i]);
      text += JSON.stringify(o) + '\n';
    }
    this.rows += rows.length;
    await this.file.write(text);
  }

  finish(): Promise<WrittenFile> {
    return this.file.close();
  }
}

/** The Parquet schema element of a column. */
export function parquetElement(c: Column): ParquetSchemaElement {
  const repetition_type = c.nullable ? 'OPTIONAL' : 'REQUIRED';
  switch (c.type) {
    case 'string':
    case 'json':
      // Not the JSON converted type: hyparquet-writer would encode the text again (docs/dependencies.md, "hyparquet-writer").
      return { name: c.name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type };
    case 'boolean':
      return { name: c.name, type: 'BOOLEAN', repetition_type };
    case 'int64':
      return { name: c.name, type: 'INT64', repetition_type };
    case 'timestamp':
      return {
        name: c.name,
        type: 'INT64',
        converted_type: 'TIMESTAMP_MILLIS',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
        repetition_type,
      };
  }
}

/**
 * Min/max statistics (row-group pruning) for numbers, booleans, timestamps and id columns. Not for
 * free text and JSON: their min/max prune nothing in practice and cost ~5 % of the encoding time.
 */
export function wantsStatistics(c: Column): boolean {
  if (c.type !== 'string' && c.type !== 'json') return true;
  return c.name === 'id' || c.name.endsWith('_id');
}

/**
 * Typed, snappy-compressed Parquet, written one row group at a time. Column chunks are encoded by
 * parquet-pages.ts (the hot path); parquet-adapter.ts frames the file (magic, footer metadata)
 * with hyparquet-writer, which lends its snappy.
 */
class ParquetTableWriter implements TableFileWriter {
  rows = 0;
  private readonly parquet: ParquetFile;
  private columns: unknown[][];
  private buffered = 0;
  bufferedBytes = 0;
  private readonly flat: FlatColumn[];
  private readonly codecName: ChunkCodec;
  private readonly compress: Compressor | undefined;
  /** Indexes of string and JSON columns: the ones whose size varies. */
  private readonly textColumns: number[];

  constructor(
    private readonly table: TableSchema,
    private readonly file: OutputFile,
    private readonly rowGroupSize: number,
    private readonly rowGroupBytes: number,
    codec: ParquetCodec,
  ) {
    const schema: ParquetSchemaElement[] = [{ name: 'root', num_children: table.columns.length }, ...table.columns.map(parquetElement)];
    this.codecName = PARQUET_CODEC_NAMES[codec];
    this.parquet = new ParquetFile((chunk) => file.write(chunk), { schema, codec: this.codecName, compressors: PARQUET_COMPRESSORS, createdBy: 'clerk-etl' });
    this.compress = this.parquet.compressor(this.codecName);
    this.columns = table.columns.map(() => []);
    this.flat = table.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable, statistics: wantsStatistics(c) }));
    this.textColumns = table.columns.flatMap((c, i) => (c.type === 'string' || c.type === 'json' ? [i] : []));
  }

  async writeRows(rows: Row[]): Promise<void> {
    const n = this.table.columns.length;
    const text = this.textColumns;
    const fixed = 8 * (n - text.length);
    for (const r of rows) {
      // Re-read per row: flushGroup() swaps in fresh column arrays.
      const cols = this.columns;
      for (let i = 0; i < n; i++) cols[i]!.push(r[i]);
      let bytes = fixed;
      for (const i of text) {
        const v = r[i];
        bytes += typeof v === 'string' ? v.length : 8;
      }
      this.bufferedBytes += bytes;
      if (++this.buffered >= this.rowGroupSize || this.bufferedBytes >= this.rowGroupBytes) await this.flushGroup();
    }
    this.rows += rows.length;
  }

  flushBuffered(): Promise<void> {
    return this.flushGroup();
  }

  private async flushGroup(): Promise<void> {
    if (this.buffered === 0) return;
    const size = this.buffered;
    const data = this.columns;
    this.columns = this.table.columns.map(() => []);
    this.buffered = 0;
    this.bufferedBytes = 0;
    const out = this.parquet.out;
    const start = out.offset;
    const columns = this.flat.map((c, i) => writeFlatColumn(out, c, data[i]!, this.codecName, this.compress));
    await this.parquet.addRowGroup(columns, size, start);
  }

  async finish(): Promise<WrittenFile> {
    await this.flushGroup();
    await this.parquet.finish();
    return this.file.close();
  }
}

/** `raw`: each user as one JSON line, exactly the JSON value received. */
export class RawWriter {
  rows = 0;
  constructor(private readonly file: OutputFile) {}
  async writeLines(lines: string[]): Promise<void> {
    if (lines.length === 0) return;
    this.rows += lines.length;
    await this.file.write(lines.join('\n') + '\n');
  }
  finish(): Promise<WrittenFile> {
    return this.file.close();
  }
}
