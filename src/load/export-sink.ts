import { USER_TABLES, type TableName, type TableSchema } from '../model/schema.js';
import { DEFAULT_PARQUET_BUFFER_BYTES } from '../model/defaults.js';
import type { Row, RowsByTable } from '../model/records.js';
import type { RejectedRecord } from '../model/records.js';
import type { Destination, OutputFile, WrittenFile } from './destination.js';
import { createTableWriter, FORMAT_EXTENSIONS, RawWriter, type FormatName, type ParquetOptions, type TableFileWriter } from './formats.js';
import { gzipFile } from './gzip-file.js';
import type { CompiledPolicy } from '../transform/pii-policy.js';

/** A file of the run, as listed in the manifest. */
export interface ManifestFile extends WrittenFile {
  /** A table name, `raw_users` for format raw, or `_rejects`. */
  table: string;
  format: FormatName | 'rejects';
  /** Part number within the table and format (files roll at --max-rows-per-file / --max-file-bytes). */
  part: number;
  /** `gzip` or `none` for CSV/NDJSON/raw; the codec for Parquet. */
  compression: string;
  rows: number;
}

/** How files are cut and compressed. */
export interface FileLayoutOptions {
  /** Start a new part once a file holds this many rows. Default: no limit. */
  maxRowsPerFile?: number;
  /**
   * Start a new part once a file holds about this many bytes (as stored; Parquet grows a row group
   * at a time, so a part can overshoot by one row group). Default 128 MiB.
   */
  maxFileBytes?: number;
  /** Compression of CSV, NDJSON and raw files. Default `none`. */
  compress?: 'gzip' | 'none';
  /** CSV formula-injection safety (see CsvOptions). Default on. */
  csvFormulaEscape?: boolean;
}

export interface ExportSinkOptions extends FileLayoutOptions {
  /**
   * Column policies (PII): which tables get files, the columns they have, whether rejects show
   * their record. The rows given to `write` already went through it (transformBatch applies it
   * once per row, not once per format).
   */
  policy?: CompiledPolicy;
  /** Only files are created through it (a transform worker passes a proxy to the main thread's destination). */
  destination: Pick<Destination, 'createFile'>;
  /**
   * Part numbers: `first`, then `first + step`, … (default 0, 1, 2, …). Transform workers each
   * number their parts apart (worker w of n: w, w + n, …) so their files never collide.
   */
  parts?: { first: number; step: number };
  runId: string;
  /** Partition date, `YYYY-MM-DD` (UTC date of the run start). */
  dt: string;
  formats: FormatName[];
  parquet?: ParquetOptions;
  /** See DEFAULT_PARQUET_BUFFER_BYTES. */
  parquetBufferBytes?: number;
  /** The tables this sink writes (every one gets a file per format). Default: the user tables. */
  tables?: readonly TableSchema[];
  /** Name (and folder) of the `raw` format's files. Default `raw_users`. */
  rawName?: string;
  /** The rejects file's name under `_rejects/dt=<date>/`, without `.ndjson`. Default the run id. */
  rejectsName?: string;
}

export const DEFAULT_MAX_FILE_BYTES = 128 * 1024 * 1024;

/**
 * What all Parquet files of a sink may hold in memory for their next row groups together (string
 * lengths + 8 per other value); above it the fullest table writes its row group early. This, not
 * the number of tables, bounds the memory of a run. 32 MiB ≈ 20,000 users of 3 KB.
 */
export { DEFAULT_PARQUET_BUFFER_BYTES };

/**
 * Relative path of a run's file: `<table>/dt=<date>/<run_id>-<part>.<ext>` for Parquet and raw;
 * CSV and NDJSON tables under `csv/` and `ndjson/` (`csv/<table>/dt=…`). One format per folder:
 * Athena, Trino and Spark read every file of a table's folder, whatever its extension, so
 * Parquet and CSV of the same table must not share one.
 */
export function dataFilePath(table: string, dt: string, runId: string, part: number, ext: string, format?: FormatName): string {
  const root = format === 'csv' || format === 'ndjson' ? `${format}/` : '';
  return `${root}${table}/dt=${dt}/${runId}-${String(part).padStart(5, '0')}.${ext}`;
}

const CONTENT_TYPES: Record<FormatName, string> = {
  parquet: 'application/vnd.apache.parquet',
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
  raw: 'application/x-ndjson; charset=utf-8',
};

interface PartWriter<T> {
  readonly rows: number;
  writeRows(items: T[]): Promise<void>;
  finish(): Promise<WrittenFile>;
}

/**
 * The files of one table in one format: part 0 is always written (an empty table still gets a
 * file with its schema); a new part starts when the current one reaches the row or byte limit.
 */
class RollingFiles<T> {
  private current?: { writer: PartWriter<T>; file: OutputFile; part: number };
  private nextPart: number;
  private readonly partStep: number;
  readonly done: ManifestFile[] = [];

  constructor(
    private readonly table: string,
    private readonly format: FormatName,
    private readonly compression: string,
    private readonly open: (part: number) => { writer: PartWriter<T>; file: OutputFile },
    private readonly maxRows: number,
    private readonly maxBytes: number,
    parts: { first: number; step: number } = { first: 0, step: 1 },
  ) {
    this.nextPart = parts.first;
    this.partStep = parts.step;
    this.roll();
  }

  private roll(): NonNullable<RollingFiles<T>['current']> {
    const part = this.nextPart;
    this.nextPart += this.partStep;
    this.current = { ...this.open(part), part };
    return this.current;
  }

  async write(items: T[]): Promise<void> {
    let offset = 0;
    while (offset < items.length) {
      let cur = this.current ?? this.roll();
      if (cur.writer.rows >= this.maxRows || cur.file.bytes >= this.maxBytes) {
        await this.close();
        cur = this.roll();
      }
      const room = this.maxRows - cur.writer.rows;
      const slice = offset === 0 && items.length <= room ? items : items.slice(offset, offset + room);
      await cur.writer.writeRows(slice);
      offset += slice.length;
    }
  }

  private async close(): Promise<void> {
    const cur = this.current;
    if (!cur) return;
    this.current = undefined;
    const written = await cur.writer.finish();
    this.done.push({ table: this.table, format: this.format, part: cur.part, compression: this.compression, rows: cur.writer.rows, ...written });
  }

  async finish(): Promise<ManifestFile[]> {
    await this.close();
    return this.done;
  }

  /** Bytes the current part holds in memory for its next row group (Parquet). */
  get bufferedBytes(): number {
    const w = this.current?.writer as Partial<TableFileWriter> | undefined;
    return w?.bufferedBytes ?? 0;
  }

  flushBuffered(): Promise<void> {
    const w = this.current?.writer as Partial<TableFileWriter> | undefined;
    return w?.flushBuffered?.() ?? Promise.resolve();
  }
}

/**
 * Writes one run's rows into every table × format, the raw users and the rejects. Every table gets
 * a file in every format even when it has no rows, so a run always has the full schema.
 */
export class ExportSink {
  private readonly tables: Array<{ table: TableName; files: RollingFiles<Row> }> = [];
  private readonly raw?: RollingFiles<string>;
  private rejects?: RawWriter;
  private rejectsFile?: OutputFile;

  private readonly bufferBudget: number;

  constructor(private readonly options: ExportSinkOptions) {
    const { destination, runId, dt } = options;
    this.bufferBudget = options.parquetBufferBytes ?? DEFAULT_PARQUET_BUFFER_BYTES;
    const maxRows = options.maxRowsPerFile ?? Number.POSITIVE_INFINITY;
    const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    const gzip = options.compress === 'gzip';
    const textFile = (table: string, format: FormatName, part: number): OutputFile => {
      const rel = dataFilePath(table, dt, runId, part, FORMAT_EXTENSIONS[format] + (gzip ? '.gz' : ''), format);
      const file = destination.createFile(rel, { contentType: gzip ? 'application/gzip' : CONTENT_TYPES[format] });
      return gzip ? gzipFile(file) : file;
    };
    for (const format of options.formats) {
      if (format === 'raw') {
        const rawName = options.rawName ?? 'raw_users';
        this.raw = new RollingFiles<string>(rawName, 'raw', gzip ? 'gzip' : 'none', (part) => {
          const file = textFile(rawName, 'raw', part);
          const w = new RawWriter(file);
          return { file, writer: { get rows() { return w.rows; }, writeRows: (l) => w.writeLines(l), finish: () => w.finish() } };
        }, maxRows, maxBytes, options.parts);
        continue;
      }
      for (const base of options.tables ?? USER_TABLES) {
        if (options.policy?.tableDropped(base.name)) continue;
        const table = options.policy ? options.policy.schemaFor(base) : base;
        const codec = options.parquet?.codec ?? 'snappy';
        const compression = format === 'parquet' ? codec : gzip ? 'gzip' : 'none';
        this.tables.push({
          table: table.name,
          files: new RollingFiles<Row>(table.name, format, compression, (part) => {
            const file =
              format === 'parquet'
                ? destination.createFile(dataFilePath(table.name, dt, runId, part, 'parquet'), { contentType: CONTENT_TYPES.parquet })
                : textFile(table.name, format, part);
            const writer: TableFileWriter = createTableWriter(format, table, file, options.parquet, { formulaEscape: options.csvFormulaEscape });
            return { file, writer };
          }, maxRows, maxBytes, options.parts),
        });
      }
    }
  }

  /**
   * Write one batch: rows of every table (with the policy already applied), the raw JSON lines of
   * the batch's users, its rejects.
   */
  async write(rows: RowsByTable, rawLines: string[], rejected: RejectedRecord[]): Promise<void> {
    const policy = this.options.policy;
    for (const { table, files } of this.tables) {
      const r = rows.get(table);
      if (r && r.length) await files.write(r);
    }
    // Keep what the Parquet files hold for their next row groups within the budget: the biggest goes first.
    for (;;) {
      let total = 0;
      let biggest: RollingFiles<Row> | undefined;
      for (const { files } of this.tables) {
        const b = files.bufferedBytes;
        total += b;
        if (b > (biggest?.bufferedBytes ?? 0)) biggest = files;
      }
      if (total <= this.bufferBudget || !biggest) break;
      await biggest.flushBuffered();
    }
    if (this.raw && rawLines.length) await this.raw.write(rawLines);
    if (rejected.length) {
      if (!this.rejects) {
        this.rejectsFile = this.options.destination.createFile(`_rejects/dt=${this.options.dt}/${this.options.rejectsName ?? this.options.runId}.ndjson`, { contentType: CONTENT_TYPES.raw });
        this.rejects = new RawWriter(this.rejectsFile);
      }
      // Under a PII policy the raw record would carry what the policy removes: keep the reason only.
      const hide = policy?.active === true;
      await this.rejects.writeLines(rejected.map((r) => JSON.stringify(hide ? { ...r, record: '[omitted: a PII policy is active]' } : r)));
    }
  }

  /** Close every file; returns them for the manifest. */
  async finish(): Promise<ManifestFile[]> {
    const files: ManifestFile[] = [];
    for (const { files: f } of this.tables) files.push(...(await f.finish()));
    if (this.raw) files.push(...(await this.raw.finish()));
    if (this.rejects) files.push({ table: '_rejects', format: 'rejects', part: 0, compression: 'none', rows: this.rejects.rows, ...(await this.rejects.finish()) });
    return files;
  }
}
