/**
 * clerk-etl as a library (`import … from 'clerk-etl'`): the same pieces the CLI is built from.
 * The CLI's own entry is bin/clerk-etl.js.
 */
export { runExport, type ExportOptions, type ExportResult, type ExportPublished, type ExportNothingToDo, type Manifest, type ExportCounts } from './pipeline/export-run.js';
export { newRunId } from './pipeline/run-id.js';
export { executeExport, type ExportSettings, type ExportOutcome } from './pipeline/export.js';
export { executeImport, type ImportSettings } from './pipeline/import.js';
export { runImport, type ImportOptions, type ImportSummary, type ImportCounts } from './pipeline/import-run.js';
export { ClerkClient } from './clerk/client.js';
export type { ClerkUser, UncheckedUser } from './model/clerk-types.js';
export { ClerkApiSource } from './extract/clerk-api-source.js';
export { ClerkIncrementalSource } from './extract/clerk-incremental-source.js';
export { FileSource } from './extract/file-source.js';
export type { Source } from './extract/source.js';
export type { SourceRecord, RunContext } from './model/records.js';
export { openDestination } from './load/open-destination.js';
export { LocalDestination } from './load/local-destination.js';
export { S3Destination } from './load/s3-destination.js';
export type { Destination, OutputFile, WrittenFile } from './load/destination.js';
export { createTableWriter, FORMATS, type FormatName } from './load/formats.js';
export { flattenUser, flattenUsers } from './transform/flatten-user.js';
export { type Row, type RowsByTable } from './model/records.js';
export { validateUser } from './transform/validate-user.js';
export { type FieldProblem } from './model/records.js';
export { ALL_TABLES, TABLES, tableSchema, SCHEMA_VERSION, type TableName, type TableSchema } from './model/schema.js';
export { IdSet } from './model/id-set.js';
export { EtlError } from './errors.js';
export { createLogger, silentLogger, type Logger } from './log.js';
export { startEmulator, type EmulatorOptions, type RunningEmulator } from './emulator/server.js';
export { generateUsers } from './emulator/generate.js';
export { PostgresMirror, type OnDelete, type ApplyResult, type RunToApply } from './load/postgres-mirror.js';
