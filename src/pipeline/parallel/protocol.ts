import type { SourceRecord } from '../../model/records.js';
import type { FileOptions, WrittenFile } from '../../load/destination.js';
import type { FileLayoutOptions, ManifestFile } from '../../load/export-sink.js';
import type { FormatName, ParquetOptions } from '../../load/formats.js';
import type { BatchOptions } from '../../transform/batch.js';
import type { GateKeys } from '../../transform/id-gate.js';
import type { RejectedRecord } from '../../model/records.js';
import type { Row } from '../../model/records.js';
import type { PiiPolicySpec } from '../../transform/pii-policy.js';
import type { TableName } from '../../model/schema.js';

/** What a transform worker is started with (workerData). */
export interface WorkerConfig {
  index: number;
  count: number;
  formats: FormatName[];
  runId: string;
  dt: string;
  parquet?: ParquetOptions;
  layout?: FileLayoutOptions;
  policy?: PiiPolicySpec;
  batch: BatchOptions;
  /** The worker sink's Parquet buffer budget, bytes. */
  parquetBufferBytes: number;
  /** Send each record's updated_at with its id (IdGate.needsUpdatedAt: incremental overlaps). */
  needUpdatedAt: boolean;
}

/** Main thread → worker. */
export type ToWorker =
  | { type: 'chunk'; seq: number; buf: Uint8Array; firstLine: number }
  | { type: 'gates'; seq: number; gates: Uint8Array }
  /** Records a source already parsed (the Clerk API), gated by the main thread. */
  | { type: 'records'; seq: number; records: SourceRecord[]; ids: Array<string | null>; gates: Uint8Array }
  | { type: 'rows'; req: number; table: TableName; rows: Row[] }
  | { type: 'finish'; req: number }
  | { type: 'reply'; req: number; value?: unknown; error?: string };

/** What a batch became, without its rows (those stay in the worker's files). */
export interface BatchSummary {
  seq: number;
  records: number;
  rows: Array<[TableName, number]>;
  written: number;
  drifted: number;
  drift: Array<[string, number]>;
  recent: Array<[string, number]>;
  rejected: RejectedRecord[];
}

/** Worker → main thread. */
export type FromWorker =
  /** A parsed chunk's keys, for the main thread's id gate. */
  | ({ type: 'ids'; seq: number } & GateKeys)
  | ({ type: 'done' } & BatchSummary)
  | { type: 'open'; file: number; path: string; options?: FileOptions }
  | { type: 'write'; req: number; file: number; chunk: Uint8Array | string }
  | { type: 'close'; req: number; file: number }
  | { type: 'reply'; req: number; value?: ManifestFile[] | WrittenFile; error?: string }
  | { type: 'error'; message: string; stack?: string };
