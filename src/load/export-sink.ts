import { TABLES, type TableName } from '../transform/schema.js';
import type { RowsByTable } from '../transform/flatten-user.js';
import type { Destination, WrittenFile } from './destination.js';
import { createTableWriter, FORMAT_EXTENSIONS, RawWriter, type FormatName, type ParquetOptions, type TableFileWriter } from './formats.js';

/** A file of the run, as listed in the manifest. */
export interface ManifestFile extends WrittenFile {
  /** A table name, `raw_users` for format raw, or `_rejects`. */
  table: string;
  format: FormatName | 'rejects';
  rows: number;
}

/** One rejected record: written to `_rejects/…/<run_id>.ndjson`. */
export interface RejectedRecord {
  /** Where the record came from: `line 12`, `record 3`, `user user_…`. */
  source: string;
  /** The record's id when it has one. */
  id: string | null;
  /** Human reason naming every field at fault. */
  reason: string;
  /** Field-level problems. */
  problems: Array<{ field: string; problem: string }>;
  /** The record as received: the parsed value, or the raw text when it could not be parsed. */
  record: unknown;
}

export interface ExportSinkOptions {
  destination: Destination;
  runId: string;
  /** Partition date, `YYYY-MM-DD` (UTC date of the run start). */
  dt: string;
  formats: FormatName[];
  parquet?: ParquetOptions;
}

/** Relative path of a run's file: `<table>/dt=<date>/<run_id>-<part>.<ext>`. */
export function dataFilePath(table: string, dt: string, runId: string, part: number, ext: string): string {
  return `${table}/dt=${dt}/${runId}-${String(part).padStart(5, '0')}.${ext}`;
}

/**
 * Writes one run's rows into every table × format, the raw users and the rejects. Every table gets
 * a file in every format even when it has no rows, so a run always has the full schema.
 */
export class ExportSink {
  private readonly tableWriters: Array<{ table: TableName; format: FormatName; writer: TableFileWriter }> = [];
  private readonly raw?: RawWriter;
  private rejects?: RawWriter;
  private rejectCount = 0;

  constructor(private readonly options: ExportSinkOptions) {
    const { destination, runId, dt } = options;
    for (const format of options.formats) {
      if (format === 'raw') {
        this.raw = new RawWriter(destination.createFile(dataFilePath('raw_users', dt, runId, 0, FORMAT_EXTENSIONS.raw)));
        continue;
      }
      for (const table of TABLES) {
        const file = destination.createFile(dataFilePath(table.name, dt, runId, 0, FORMAT_EXTENSIONS[format]));
        this.tableWriters.push({ table: table.name, format, writer: createTableWriter(format, table, file, options.parquet) });
      }
    }
  }

  /** Write one batch: rows of every table, the raw JSON lines of the batch's users, its rejects. */
  async write(rows: RowsByTable, rawLines: string[], rejected: RejectedRecord[]): Promise<void> {
    for (const { table, writer } of this.tableWriters) {
      const r = rows.get(table);
      if (r && r.length) await writer.writeRows(r);
    }
    if (this.raw) await this.raw.writeLines(rawLines);
    if (rejected.length) {
      this.rejects ??= new RawWriter(this.options.destination.createFile(`_rejects/dt=${this.options.dt}/${this.options.runId}.ndjson`));
      this.rejectCount += rejected.length;
      await this.rejects.writeLines(rejected.map((r) => JSON.stringify(r)));
    }
  }

  /** Close every file; returns them for the manifest. */
  async finish(): Promise<ManifestFile[]> {
    const files: ManifestFile[] = [];
    for (const { table, format, writer } of this.tableWriters) {
      files.push({ table, format, rows: writer.rows, ...(await writer.finish()) });
    }
    if (this.raw) files.push({ table: 'raw_users', format: 'raw', rows: this.raw.rows, ...(await this.raw.finish()) });
    if (this.rejects) files.push({ table: '_rejects', format: 'rejects', rows: this.rejects.rows, ...(await this.rejects.finish()) });
    return files;
  }
}
