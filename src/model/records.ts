/**
 * The records that flow between the stages: what a source reads, what a reject says, and the rows
 * the transform makes. Every stage imports them from here, so none has to import another stage.
 */
import type { Logger } from '../log.js';
import type { TableName } from './schema.js';

/** What every stage gets: the abort signal, the logger, the run id. */
export interface RunContext {
  signal: AbortSignal;
  log: Logger;
  runId: string;
}

/** One record as a source produced it. */
export interface SourceRecord {
  /** The parsed JSON value, or undefined when the text could not be parsed (see `error`). */
  value: unknown;
  /** Where it came from, for messages: `line 12`, `record 3`, `user user_…`. */
  where: string;
  /**
   * The record's text when the source has it (an NDJSON line; a user's text in a Clerk page): `raw`
   * writes it, the tables read numbers JSON.parse would change from it, the rejects file keeps it.
   */
  text?: string;
  /** Why the record could not be parsed; the record is then rejected with this reason. */
  error?: string;
}

/** A record of a resource list (organizations, memberships, …): as JSON.parse read it, and exactly when needed. */
export interface ListRecord {
  value: Record<string, unknown>;
  /** The same record from parseExact (numbers JSON.parse changes kept as text), when its page had such a number. */
  exact?: unknown;
}

/** A run of whole NDJSON lines cut from a byte stream (ndjson.ts), handed to a transform worker as bytes. */
export interface NdjsonChunk {
  buf: Buffer;
  /** Line number of the chunk's first line (1-based). */
  firstLine: number;
}

/** What an import does with a record that already exists in Clerk (`--on-conflict`). */
export type OnConflict = 'skip' | 'update' | 'fail';

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
  /** The record as received: the parsed value, or the raw text when it could not be parsed or holds numbers JSON.parse would change. */
  record: unknown;
}

/** One problem found in a record: the field path (`email_addresses[1].verification.status`) and what is wrong. */
export interface FieldProblem {
  field: string;
  problem: string;
}

/**
 * A row is an array of values in the order of its table's columns (schema.ts). Values are JS
 * primitives: string, boolean, number (int64 and Unix-ms timestamps), JSON text for `json`
 * columns, or null. Writers convert them to their format's representation.
 */
export type Row = unknown[];

export type RowsByTable = Map<TableName, Row[]>;
