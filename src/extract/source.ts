import type { Logger } from '../log.js';

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

/** A source of users, read in batches (pages). Pull-based: the next batch is read when asked for. */
export interface Source {
  /** Description for the manifest: kind, and where from (never a secret). */
  readonly description: Record<string, unknown>;
  /** Whether the source may legitimately repeat a user (API windows) — duplicates are then dropped quietly. */
  readonly mayRepeat: boolean;
  /**
   * Whether a run that writes no user from this source fails rather than publishing an empty
   * snapshot: a file with no valid user is an empty or wrong file. Not the API: an instance with
   * no user is a true snapshot.
   */
  readonly requiresUsers?: boolean;
  /** Expected number of users, when the source can tell in advance (progress, reconciliation). */
  total(ctx: RunContext): Promise<number | undefined>;
  read(ctx: RunContext): AsyncIterable<SourceRecord[]>;
  /**
   * The input as runs of whole NDJSON lines of about `minBytes`, for transform workers to parse;
   * undefined when the source is not NDJSON (then `read` is used).
   */
  ndjsonChunks?(ctx: RunContext, minBytes: number): Promise<AsyncIterable<NdjsonChunk> | undefined>;
}

/** A run of whole NDJSON lines cut from a byte stream (ndjson.ts), handed to a transform worker as bytes. */
export interface NdjsonChunk {
  buf: Buffer;
  /** Line number of the chunk's first line (1-based). */
  firstLine: number;
}
